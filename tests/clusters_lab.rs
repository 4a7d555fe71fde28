//! Docker contexts and several clusters against the real lab, the binary in tmux as a user
//! runs it: a context made by the docker CLI (`docker context create lab-node2 --docker
//! host=unix://<node2's socket>`, DOCKER_CONFIG a temporary directory) chosen with
//! `--context` and with `DOCKER_CONTEXT` (the header names it and shows node2's socket, the
//! nodes are listed); a TLS context (the lab's client certificates) through `status`; then a
//! config file with two `[[clusters]]`, the lab and one that cannot be reached (an address of
//! the lab's own network where nothing answers): `:clusters` shows both, the second
//! unreachable; switching to it shows it unreachable, switching back shows the lab's nodes
//! again, and the timeline notes both switches. Needs root; brings the lab up itself.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::lab;
use common::tmux::{Tmux, exit_line};

/// An address in the lab's 198.51.100.0/24 that no node has: the host routes it to the lab
/// bridge, where nothing answers (nothing leaves the lab).
const NOWHERE: &str = "tcp://198.51.100.250:2375";

fn docker_cli(config: &Path, args: &[&str]) {
    let out = Command::new("docker")
        .args(args)
        .env("DOCKER_CONFIG", config)
        .env_remove("DOCKER_HOST")
        .env_remove("DOCKER_CONTEXT")
        .output()
        .expect("the docker CLI (installed with the lab)");
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The shell line that runs swarmdeck with this environment, then prints its exit code.
fn line(env: &str, args: &str, marker: &str) -> String {
    let bin = env!("CARGO_BIN_EXE_swarmdeck");
    format!("clear; env -u DOCKER_HOST -u DOCKER_CONTEXT {env} {bin} {args}; echo {marker}=$?")
}

/// The first screen line (the header's first line).
fn header(screen: &str) -> &str {
    screen.lines().next().unwrap_or_default()
}

fn every_node_listed(s: &str) -> bool {
    ["node1", "node2", "node3", "node4"]
        .iter()
        .all(|n| s.lines().any(|l| l.contains(n) && l.contains("ready")))
        && s.contains("live")
}

fn quit(t: &Tmux, marker: &str) {
    t.send(&["q"]);
    let after = t.wait_screen("the dashboard to exit", |s| {
        exit_line(s, &format!("{marker}=")).is_some()
    });
    assert_eq!(
        exit_line(&after, &format!("{marker}=")).as_deref(),
        Some(format!("{marker}=0").as_str()),
        "{after}"
    );
}

#[test]
fn contexts_and_switching_clusters_in_tmux() {
    let lab = lab::take();
    let tmp = tempfile::tempdir().expect("temp dir");
    let dc = tmp.path().join("docker");
    std::fs::create_dir_all(&dc).expect("mkdir");
    let node2 = lab.node("node2").socket.clone();
    docker_cli(
        &dc,
        &[
            "context",
            "create",
            "lab-node2",
            "--docker",
            &format!("host={node2}"),
        ],
    );
    // the lab's engines also listen with mutual TLS on 2376: a context holding the client files
    let certs = lab::tls_cert_path();
    let node3_addr = lab.node("node3").addr.clone();
    docker_cli(
        &dc,
        &[
            "context",
            "create",
            "lab-tls",
            "--docker",
            &format!(
                "host=tcp://{node3_addr}:2376,ca={certs}/ca.pem,cert={certs}/cert.pem,key={certs}/key.pem"
            ),
        ],
    );
    let xdg = tmp.path().join("xdg");
    let env = format!(
        "DOCKER_CONFIG={} XDG_CONFIG_HOME={} XDG_STATE_HOME={}",
        dc.display(),
        xdg.display(),
        xdg.display()
    );

    // status through the TLS context: its certificates play DOCKER_CERT_PATH's part
    let out = Command::new(env!("CARGO_BIN_EXE_swarmdeck"))
        .args(["--context", "lab-tls", "status", "--json", "--no-probe"])
        .env("DOCKER_CONFIG", &dc)
        .env("XDG_CONFIG_HOME", &xdg)
        .env("XDG_STATE_HOME", &xdg)
        .env_remove("DOCKER_HOST")
        .env_remove("DOCKER_CONTEXT")
        .env_remove("DOCKER_TLS_VERIFY")
        .env_remove("DOCKER_CERT_PATH")
        .output()
        .expect("status");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(report["context"], "lab-tls", "{report}");
    assert_eq!(
        report["endpoint"],
        format!("tcp://{node3_addr}:2376"),
        "{report}"
    );
    assert_eq!(report["quorum"]["managers"], 3, "{report}");

    // --context: the header names the context and node2's socket; every node is listed
    let t = Tmux::start(&line(&env, "--context lab-node2", "CTX-EXIT"), 140, 40);
    let screen = t.wait_screen("the dashboard on lab-node2", |s| {
        header(s).contains("context lab-node2") && every_node_listed(s)
    });
    assert!(header(&screen).contains("node2/docker.sock"), "{screen}");
    quit(&t, "CTX-EXIT");
    drop(t);

    // DOCKER_CONTEXT: the same
    let t = Tmux::start(
        &line(&format!("{env} DOCKER_CONTEXT=lab-node2"), "", "ENV-EXIT"),
        140,
        40,
    );
    let screen = t.wait_screen("the dashboard on DOCKER_CONTEXT=lab-node2", |s| {
        header(s).contains("context lab-node2") && every_node_listed(s)
    });
    assert!(header(&screen).contains("node2/docker.sock"), "{screen}");
    quit(&t, "ENV-EXIT");
    drop(t);

    // two [[clusters]]: the lab (node1, then node3) and one nothing answers for
    let node1 = lab.node("node1").socket.clone();
    let node3 = lab.node("node3").socket.clone();
    let config = tmp.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[clusters]]\nname = \"lab\"\nendpoints = [\"{node1}\", \"{node3}\"]\n\n\
             [[clusters]]\nname = \"nowhere\"\nendpoints = [\"{NOWHERE}\"]\n"
        ),
    )
    .expect("config");
    let args = format!("--config {} --context lab-node2", config.display());
    let t = Tmux::start(&line(&env, &args, "CL-EXIT"), 140, 40);
    t.wait_screen("the dashboard on lab-node2", |s| {
        header(s).contains("context lab-node2") && every_node_listed(s)
    });
    t.send(&[":clusters", "Enter"]);
    let row = |s: &str, name: &str| {
        s.lines()
            .find(|l| l.contains('│') && l.contains(&format!(" {name} ")))
            .map(str::to_string)
            .unwrap_or_default()
    };
    let screen = t.wait_screen("both clusters checked", |s| {
        row(s, "lab").contains("reachable")
            && row(s, "nowhere").contains("unreachable")
            && row(s, "lab-node2").contains("reachable")
    });
    assert!(row(&screen, "lab").contains("3/3 tol 1"), "{screen}");
    assert!(
        row(&screen, "lab-node2").contains('●'),
        "the current one is marked: {screen}"
    );
    assert!(
        row(&screen, "lab-tls").contains("context"),
        "every context is listed: {screen}"
    );
    // the selection starts on the current one (lab-node2, the third row): up once is nowhere
    t.send(&["k"]);
    t.wait_screen("nowhere selected", |s| {
        s.contains(&format!("nowhere: config · {NOWHERE}"))
    });
    t.send(&["Enter"]);
    let screen = t.wait_screen("the confirm says it is unreachable", |s| {
        s.contains("Switch to nowhere?") && s.contains("nowhere was unreachable")
    });
    assert!(
        screen.contains("will show it unreachable and keep retrying"),
        "{screen}"
    );
    t.send(&["y"]);
    let screen = t.wait_screen("nowhere shown unreachable", |s| {
        s.contains("cannot reach a swarm manager of cluster nowhere") && s.contains(NOWHERE)
    });
    assert!(
        !screen.contains("node4"),
        "no row of the old cluster: {screen}"
    );

    // back to the lab: its nodes again, the header names it
    t.send(&[":clusters", "Enter"]);
    t.wait_screen("the list over the error screen", |s| {
        row(s, "nowhere").contains('●')
    });
    t.send(&["k"]);
    t.wait_screen("lab selected", |s| s.contains("lab: config · "));
    t.send(&["Enter"]);
    let screen = t.wait_screen("the lab's nodes again", |s| {
        header(s).contains("on lab") && every_node_listed(s)
    });
    assert!(header(&screen).contains("node1/docker.sock"), "{screen}");
    // the timeline notes the switch
    t.send(&[":events connection", "Enter"]);
    t.wait_screen("the switch on the timeline", |s| {
        s.contains("switched from cluster nowhere to lab")
    });
    t.send(&["Escape"]);
    t.wait_screen("the timeline closed", |s| !s.contains("newest first"));
    // past tmux's escape-time, so q is not read as Alt-q
    std::thread::sleep(Duration::from_millis(600));
    quit(&t, "CL-EXIT");
}
