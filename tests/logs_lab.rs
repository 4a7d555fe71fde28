//! The logs view against the real lab, with the real binary in tmux:
//!
//! - a service printing a numbered line every 100 ms, followed for 30 s: the screen shows the
//!   newest lines live (checked against the docker CLI while it runs), then `s` saves the
//!   ring to a file whose numbers are consecutive, with no gap and no double, from the first
//!   line the view got to one the CLI had printed just before the save;
//! - a printer with no pause and `log_lines = 1000`: the dashboard's resident memory stays
//!   under [`RSS_LIMIT_KB`] for 15 s, the ring holds 1000 lines, and the view still answers
//!   keys (pause, follow, close).
//!
//! Needs root; brings the lab up itself.

mod common;

use std::time::{Duration, Instant};

use common::lab::{self, LabGuard, RmServices};
use common::tmux::Tmux;

const SEQ: &str = "lg-seq";
const FAST: &str = "lg-fast";
const IMAGE: &str = "swarmdeck/busybox:lab";
/// The dashboard's resident memory bound while a fast printer is followed.
const RSS_LIMIT_KB: u64 = 60 * 1024;

/// Wait until the screen stops changing (keys sent right after an Esc would arrive as Alt).
fn settle(t: &Tmux) {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut last = t.screen();
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(150));
        let now = t.screen();
        if now == last {
            return;
        }
        last = now;
    }
}

fn create(lab: &LabGuard, name: &str, script: &str, extra: &[&str]) {
    let _ = lab::lab(&["docker", "node1", "service", "rm", name]);
    let mut args = vec![
        "service",
        "create",
        "-d",
        "--name",
        name,
        "--no-resolve-image",
        "--replicas",
        "1",
        // the node's disk is not filled by a printer
        "--log-driver",
        "json-file",
        "--log-opt",
        "max-size=5m",
        "--log-opt",
        "max-file=2",
    ];
    args.extend_from_slice(extra);
    args.extend_from_slice(&[IMAGE, "sh", "-c", script]);
    lab.docker("node1", &args);
    lab::wait_for(&format!("{name} running"), Duration::from_secs(60), || {
        let out = lab::lab(&[
            "docker",
            "node1",
            "service",
            "ps",
            name,
            "--filter",
            "desired-state=running",
            "--format",
            "{{.CurrentState}}",
        ]);
        String::from_utf8_lossy(&out.stdout).contains("Running")
    });
}

/// The newest number `line N` the docker CLI sees.
fn cli_latest(lab: &LabGuard) -> u64 {
    let out = lab.docker("node1", &["service", "logs", "--raw", "--tail", "5", SEQ]);
    numbers(&out).into_iter().max().unwrap_or(0)
}

/// The numbers of `line N` in a text, in order.
fn numbers(text: &str) -> Vec<u64> {
    text.lines()
        .filter_map(|l| {
            let at = l.rfind("line ")?;
            let digits: String = l[at + 5..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok()
        })
        .collect()
}

/// The dashboard in tmux, its XDG dirs and HOME in `dir`, with `args` after the endpoints.
fn dashboard(lab: &LabGuard, dir: &std::path::Path, args: &str) -> Tmux {
    // SWARMDECK_TEST_BIN: a copy of this build's binary, when the target dir is shared
    let bin = std::env::var("SWARMDECK_TEST_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_swarmdeck").to_string());
    let d = dir.display();
    let cmd = format!(
        "clear; cd {d} && XDG_STATE_HOME={d} XDG_DATA_HOME={d} XDG_CONFIG_HOME={d} HOME={d} \
         {bin} {} {args} ; echo SWARMDECK-EXIT=$?",
        lab.host_args().join(" ")
    );
    let t = Tmux::start(&cmd, 140, 40);
    t.wait_screen("the dashboard", |s| {
        s.contains("node1") && s.contains("live")
    });
    t
}

/// The logs of `name`: the services pane, filtered to it, then `l`.
fn open_logs(t: &Tmux, name: &str) {
    settle(t);
    t.send(&[":"]);
    t.send(&["-l", "services"]);
    t.send(&["Enter"]);
    settle(t);
    t.send(&["/"]);
    t.send(&["-l", name]);
    t.send(&["Enter"]);
    t.wait_screen("the service selected", |s| s.contains(&format!("/{name}")));
    settle(t);
    t.send(&["l"]);
    t.wait_screen("the logs view", |s| {
        s.contains(&format!("logs: {name}")) && s.contains("following")
    });
}

#[test]
fn a_numbered_printer_followed_for_30_s_then_saved_has_every_line_once() {
    let lab = lab::take();
    let _rm = RmServices(vec![SEQ]);
    create(
        &lab,
        SEQ,
        "i=0; while true; do i=$((i+1)); echo line $i; sleep 0.1; done",
        &[],
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let t = dashboard(&lab, dir.path(), "");
    open_logs(&t, SEQ);

    // live: the screen keeps up with what the CLI sees
    let start = Instant::now();
    let mut checks = 0;
    let mut last_max = 0;
    while start.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_secs(5));
        let cli = cli_latest(&lab);
        let screen = t.wait_screen("the newest lines on the screen", |s| {
            numbers(s).into_iter().max().unwrap_or(0) + 10 >= cli
        });
        let max = numbers(&screen).into_iter().max().unwrap_or(0);
        assert!(
            max > last_max,
            "the screen moves on: {max} after {last_max}"
        );
        assert!(screen.contains("following"), "still following:\n{screen}");
        last_max = max;
        checks += 1;
    }
    assert!(checks >= 5);

    // save: the whole run, every number once
    let before = cli_latest(&lab);
    let path = dir.path().join("seq.log");
    t.send(&["s"]);
    t.wait_screen("the save prompt", |s| s.contains("save to: "));
    t.send(&["C-u"]);
    t.send(&["-l", &path.display().to_string()]);
    t.send(&["Enter"]);
    let screen = t.wait_screen("the save's notice", |s| s.contains("saved "));
    assert!(
        screen.contains(&format!("to {}", path.display())),
        "the notice names the file:\n{screen}"
    );
    let saved = std::fs::read_to_string(&path).expect("the saved file");
    let nums = numbers(&saved);
    assert!(
        nums.len() >= 250,
        "30 s at 10 lines a second: {} lines",
        nums.len()
    );
    for w in nums.windows(2) {
        assert_eq!(w[1], w[0] + 1, "consecutive, no gap or double: {w:?}");
    }
    let last = *nums.last().expect("as set up");
    assert!(
        last >= before,
        "the file reaches the line the CLI saw before the save ({last} < {before})"
    );
    let told = screen
        .lines()
        .find(|l| l.contains("saved "))
        .unwrap_or_default()
        .to_string();
    assert!(
        told.contains(&format!("saved {} lines", saved.lines().count())),
        "the count told is the file's: {told}"
    );
    // every line names its task and node, and is stdout
    let first = saved.lines().next().expect("as set up");
    assert!(
        first.contains(&format!(" {SEQ}.1@node")) && first.contains(" out line "),
        "{first}"
    );
    t.send(&["Escape"]);
    t.wait_screen("back to the panes", |s| {
        !s.contains(&format!("logs: {SEQ}"))
    });
    settle(&t);
    t.send(&["q"]);
    t.wait_screen("the dashboard quit", |s| s.contains("SWARMDECK-EXIT=0"));
}

/// `VmRSS` of a process, in kB.
fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[test]
fn a_fast_printer_stays_in_bounded_memory_and_the_view_answers() {
    let lab = lab::take();
    let _rm = RmServices(vec![FAST]);
    create(
        &lab,
        FAST,
        "i=0; while true; do i=$((i+1)); echo fast line $i; done",
        &[],
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "log_lines = 1000\n").expect("config");
    let t = dashboard(&lab, dir.path(), &format!("--config {}", config.display()));
    let pid = t.child_pid().expect("the dashboard's pid");
    let idle = rss_kb(pid).expect("VmRSS");
    open_logs(&t, FAST);
    t.wait_screen("the ring full", |s| s.contains("following · 1000 lines"));

    let start = Instant::now();
    let mut peak = 0;
    let mut samples = 0;
    while start.elapsed() < Duration::from_secs(15) {
        let rss = rss_kb(pid).expect("the dashboard runs");
        peak = peak.max(rss);
        samples += 1;
        assert!(
            rss < RSS_LIMIT_KB,
            "resident memory {rss} kB after {:?} (idle {idle} kB)",
            start.elapsed()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    println!("idle {idle} kB, peak {peak} kB over {samples} samples");
    // still answering: pause, the count of new lines grows; follow again; close
    t.send(&["p"]);
    let paused = t.wait_screen("paused", |s| s.contains("paused, "));
    let count = |s: &str| -> u64 {
        s.split("paused, ")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    let first = count(&paused);
    t.wait_screen("new lines counted while paused", |s| count(s) > first);
    t.send(&["G"]);
    t.wait_screen("following again", |s| s.contains("following · 1000 lines"));
    let a = numbers(&t.screen()).into_iter().max().unwrap_or(0);
    t.wait_screen("the screen moves on", |s| {
        numbers(s).into_iter().max().unwrap_or(0) > a
    });
    t.send(&["Escape"]);
    t.wait_screen("back to the panes", |s| {
        !s.contains(&format!("logs: {FAST}"))
    });
    settle(&t);
    t.send(&["q"]);
    t.wait_screen("the dashboard quit", |s| s.contains("SWARMDECK-EXIT=0"));
}
