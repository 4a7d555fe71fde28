//! The real binary in a real terminal (tmux) against the lab: read the screen as a user
//! would, type keys, quit, and check the terminal is given back.

mod common;

use std::process::Command;
use std::time::Duration;

use common::lab::{self, wait_for};
use common::tmux::{Tmux, exit_line};

#[test]
fn dashboard_in_tmux() {
    let lab = lab::take();
    let _ = lab::lab(&["docker", "node1", "service", "rm", "tmux-web"]);
    lab.docker(
        "node1",
        &[
            "service",
            "create",
            "-d",
            "--name",
            "tmux-web",
            "--replicas",
            "2",
            "--no-resolve-image",
            "swarmdeck/busybox:lab",
            "sleep",
            "3600",
        ],
    );
    wait_for("tmux-web running", Duration::from_secs(60), || {
        lab.docker(
            "node1",
            &["service", "ls", "--format", "{{.Name}} {{.Replicas}}"],
        )
        .contains("tmux-web 2/2")
    });
    let bin = env!("CARGO_BIN_EXE_swarmdeck");
    let hosts: Vec<String> = lab
        .sockets()
        .iter()
        .map(|s| format!("--host {s}"))
        .collect();
    let cmd = format!(
        "clear; {bin} {} --vip 198.51.100.100 ; echo SWARMDECK-EXIT=$?",
        hosts.join(" ")
    );
    let t = Tmux::start(&cmd, 100, 30);
    let screen = t.wait_screen("nodes, leader and live data", |s| {
        s.contains("node1")
            && s.contains("node2")
            && s.contains("node3")
            && s.contains("★")
            && s.contains("live")
            && s.contains("tmux-web")
            && s.contains("managers 3/3 reachable")
    });
    assert!(screen.contains("tolerates 1 failure"), "{screen}");
    // the VIP pane names the holder, and the nodes pane marks it
    let screen = t.wait_screen("the VIP holder", |s| {
        s.contains("VIP ◆ node") && s.contains("198.51.100.100")
    });
    assert!(screen.contains("2377 open"), "{screen}");

    // :tasks focuses the tasks pane; the help screen lists keys from the keymap
    t.send(&[":", "tasks", "Enter"]);
    t.wait_screen("help after :tasks", |s| s.contains("tasks"));
    t.send(&["?"]);
    let help = t.wait_screen("the help overlay", |s| {
        s.contains("this help") && s.contains("Shift-Tab")
    });
    assert!(help.contains("its tasks; task → its details"), "{help}");
    t.send(&["Escape"]);
    t.wait_screen("help closed", |s| !s.contains("this help"));

    // a filter narrows the services pane
    t.send(&["Tab"]);
    t.send(&["/", "tmux", "Enter"]);
    t.wait_screen("filter shown", |s| s.contains("/tmux"));

    // quit gives the terminal back
    t.send(&["q"]);
    // the typed command line also holds "SWARMDECK-EXIT=$?": wait for the line echo printed
    let after = t.wait_screen("the process to exit", |s| {
        exit_line(s, "SWARMDECK-EXIT=").is_some()
    });
    assert_eq!(
        exit_line(&after, "SWARMDECK-EXIT=").as_deref(),
        Some("SWARMDECK-EXIT=0"),
        "{after}"
    );
    assert!(!after.contains("nodes ("), "alternate screen left: {after}");

    // SIGTERM also gives the terminal back, and exits 128 + 15 (tests/signals.rs has the rest)
    t.send(&["clear", "Enter"]);
    let marker = "--fps 29";
    t.send(&[
        &format!(
            "{bin} {marker} {} ; echo SWARMDECK-TERM=$?",
            hosts.join(" ")
        ),
        "Enter",
    ]);
    t.wait_screen("the dashboard again", |s| {
        s.contains("node3") && s.contains("live")
    });
    let killed = Command::new("pkill")
        .args(["-TERM", "-f", &format!("swarmdeck {marker}")])
        .status()
        .expect("pkill");
    assert!(killed.success(), "the dashboard process was found");
    let after = t.wait_screen("exit on SIGTERM", |s| {
        exit_line(s, "SWARMDECK-TERM=").is_some()
    });
    assert_eq!(
        exit_line(&after, "SWARMDECK-TERM=").as_deref(),
        Some("SWARMDECK-TERM=143"),
        "{after}"
    );
    assert!(!after.contains("nodes ("), "alternate screen left: {after}");

    // over ssh to the VIP (events stream and polls through `ssh … docker system dial-stdio`);
    // quitting ends every ssh process
    t.send(&["clear", "Enter"]);
    t.send(&[
        &format!(
            "PATH={} {bin} --host ssh://root@198.51.100.100 ; echo SWARMDECK-SSH=$?",
            lab::path_with_lab_ssh()
        ),
        "Enter",
    ]);
    let screen = t.wait_screen("the dashboard over ssh", |s| {
        s.contains("ssh://root@198.51.100.100")
            && s.contains("node3")
            && s.contains("tmux-web")
            && s.contains("live")
    });
    assert!(screen.contains("managers 3/3 reachable"), "{screen}");
    assert!(
        !lab::lab_ssh_clients().is_empty(),
        "the dashboard reads through ssh"
    );
    t.send(&["q"]);
    let after = t.wait_screen("exit over ssh", |s| {
        exit_line(s, "SWARMDECK-SSH=").is_some()
    });
    assert_eq!(
        exit_line(&after, "SWARMDECK-SSH=").as_deref(),
        Some("SWARMDECK-SSH=0"),
        "{after}"
    );
    lab::wait_for("no ssh process left", Duration::from_secs(10), || {
        lab::lab_ssh_clients().is_empty()
    });
    let _ = lab::lab(&["docker", "node1", "service", "rm", "tmux-web"]);
}
