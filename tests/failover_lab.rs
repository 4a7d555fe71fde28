//! HA truth while the cluster fails (issue 11), in the real binary against the lab, read off
//! the screen as an operator would: the loss of the manager the dashboard reads from, early
//! suspicion of a power-lost node, failover through discovered endpoints only, and a total
//! failure with two managers restored. Every wait polls the screen with a deadline; the
//! measured times are printed.

mod common;

use std::time::{Duration, Instant};

use common::lab::{self, LabGuard};
use common::tmux::Tmux;

/// The lab's managers by name, with the leader first (from the docker CLI).
fn leader_first(lab: &LabGuard) -> Vec<String> {
    let mut out = Vec::new();
    lab::wait_for("a leader", Duration::from_secs(60), || {
        let text = lab.docker(
            "node1",
            &["node", "ls", "--format", "{{.Hostname}} {{.ManagerStatus}}"],
        );
        out = text
            .lines()
            .filter_map(|l| {
                let (name, status) = l.split_once(' ')?;
                (!status.is_empty()).then(|| (status == "Leader", name.to_string()))
            })
            .collect::<Vec<_>>()
            .into_iter()
            .fold(Vec::new(), |mut v, (leader, name)| {
                if leader {
                    v.insert(0, name);
                } else {
                    v.push(name);
                }
                v
            });
        text.contains("Leader")
    });
    out
}

/// The dashboard in tmux with its own XDG dirs, on these endpoints, plus `extra` arguments.
fn dashboard(dir: &std::path::Path, hosts: &[String], extra: &str, env: &str) -> Tmux {
    let bin = env!("CARGO_BIN_EXE_swarmdeck");
    let d = dir.display();
    let hosts: Vec<String> = hosts.iter().map(|h| format!("--host {h}")).collect();
    let cmd = format!(
        "clear; XDG_STATE_HOME={d} XDG_DATA_HOME={d} XDG_CONFIG_HOME={d} HOME={d} {env} {bin} {} {extra}; echo SWARMDECK-EXIT=$?",
        hosts.join(" ")
    );
    Tmux::start(&cmd, 150, 45)
}

/// The screen's row of this node in the nodes pane.
fn row<'a>(screen: &'a str, node: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.starts_with(&format!("│{node} ")))
        .unwrap_or("")
}

/// The alerts bar: the line right under the three header lines.
fn alerts_bar(screen: &str) -> &str {
    screen.lines().nth(3).unwrap_or("")
}

/// The header's first line (the endpoint in use).
fn line1(screen: &str) -> &str {
    screen.lines().next().unwrap_or("")
}

/// Poll the screen every 100 ms until `done`, checking `never` on every capture; the
/// screen and the time it took.
fn watch(
    t: &Tmux,
    what: &str,
    limit: Duration,
    never: &dyn Fn(&str) -> Option<String>,
    done: &dyn Fn(&str) -> bool,
) -> (String, Duration) {
    let start = Instant::now();
    let mut last = String::new();
    while start.elapsed() < limit {
        last = t.screen();
        if let Some(why) = never(&last) {
            panic!("{why} ({:?} in); screen:\n{last}", start.elapsed());
        }
        if done(&last) {
            return (last, start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out after {limit:?} waiting for {what}; screen:\n{last}");
}

fn no_false_claim(screen: &str) -> Option<String> {
    (screen.contains("no manager reachable") || screen.contains("no manager answers"))
        .then(|| "said no manager answers while two managers were up".to_string())
}

fn nothing(_: &str) -> Option<String> {
    None
}

/// Restores whatever a test killed, also when it fails.
struct Restore<'a>(Vec<&'a str>);

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        for n in &self.0 {
            let _ = lab::lab(&["restore", n]);
        }
    }
}

#[test]
fn power_loss_of_the_connected_leader_fails_over_and_tells_the_truth_meanwhile() {
    let lab = lab::take();
    let dir = tempfile::tempdir().expect("tempdir");
    let order = leader_first(&lab);
    let old = order[0].clone();
    let hosts: Vec<String> = order.iter().map(|n| lab.node(n).socket.clone()).collect();
    let t = dashboard(dir.path(), &hosts, "", "");
    t.wait_screen("the leader, connected to it", |s| {
        s.contains(&format!("leader ★ {old}"))
            && line1(s).contains(&hosts[0])
            && s.contains("(+2 failover)")
    });

    let _restore = Restore(vec![old.as_str()]);
    let killed = Instant::now();
    lab::lab_ok(&["kill", &old]);
    let kill_took = killed.elapsed();

    // flagged from here long before Swarm marks it down
    let (_, flagged) = watch(
        &t,
        "the old leader unreachable from here",
        Duration::from_secs(10),
        &no_false_claim,
        &|s| row(s, &old).contains("unreachable from here"),
    );
    let flagged = flagged + kill_took;
    // on another manager, never claiming that none answers
    let (_, connected) = watch(
        &t,
        "connected to another manager",
        Duration::from_secs(10),
        &no_false_claim,
        &|s| {
            let l = line1(s);
            hosts[1..].iter().any(|h| l.contains(h.as_str()))
                && !l.contains("(lost)")
                && !l.contains("(connecting)")
        },
    );
    let connected = connected + flagged;
    // the engine has no leader until the election ends: said so, with no star on the old one
    let (screen, _) = watch(
        &t,
        "no leader — election in progress",
        Duration::from_secs(30),
        &no_false_claim,
        &|s| s.contains("no leader — election in progress") || s.contains("leader ★ node"),
    );
    let saw_election = screen.contains("no leader — election in progress");
    if saw_election {
        assert!(
            !row(&screen, &old).contains('★'),
            "the old leader keeps no star once the engine reports none:\n{screen}"
        );
    }
    let (screen, elected) = watch(
        &t,
        "a new leader",
        Duration::from_secs(60),
        &no_false_claim,
        &|s| s.contains("leader ★ node") && !s.contains(&format!("leader ★ {old}")),
    );
    let elected = elected + connected;
    // the engine's own state, beside ours
    let (screen2, down) = watch(
        &t,
        "the engine's own down beside the suspicion",
        Duration::from_secs(60),
        &nothing,
        &|s| row(s, &old).contains("down") && row(s, &old).contains("unreachable from here"),
    );
    println!(
        "measured: kill took {kill_took:?}; unreachable from here after {flagged:?}; connected to another manager after {connected:?}; \
         election shown: {saw_election}; new leader after {elected:?}; engine down {down:?} later"
    );
    assert!(
        flagged <= Duration::from_secs(4),
        "flagged after {flagged:?}"
    );
    assert!(
        connected <= Duration::from_secs(6),
        "connected elsewhere after {connected:?}"
    );
    assert!(
        saw_election,
        "the election was shown before the new leader:\n{screen}"
    );
    drop(screen2);
    drop(_restore);
    t.wait_screen("the old leader back, ready and reachable from here", |s| {
        let r = row(s, &old);
        r.contains("ready") && !r.contains("unreachable")
    });
}

#[test]
fn power_loss_of_a_non_leader_is_flagged_at_once_and_the_engine_s_down_follows() {
    let lab = lab::take();
    let dir = tempfile::tempdir().expect("tempdir");
    let order = leader_first(&lab);
    let victim = order[2].clone();
    let hosts: Vec<String> = order.iter().map(|n| lab.node(n).socket.clone()).collect();
    let t = dashboard(dir.path(), &hosts, "", "");
    t.wait_screen("the swarm, live", |s| {
        row(s, &victim).contains("ready") && s.contains("● live")
    });
    let _restore = Restore(vec![victim.as_str()]);
    let killed = Instant::now();
    lab::lab_ok(&["kill", &victim]);
    let kill_took = killed.elapsed();
    let (_, flagged) = watch(
        &t,
        "unreachable from here",
        Duration::from_secs(10),
        &nothing,
        &|s| row(s, &victim).contains("unreachable from here"),
    );
    let flagged = flagged + kill_took;
    let (screen, down) = watch(
        &t,
        "the engine's down",
        Duration::from_secs(90),
        &nothing,
        &|s| row(s, &victim).contains("down"),
    );
    let down = down + flagged;
    println!("measured: unreachable from here after {flagged:?}; the engine's down after {down:?}");
    assert!(
        flagged <= Duration::from_secs(4),
        "flagged after {flagged:?}"
    );
    assert!(
        row(&screen, &victim).contains("unreachable from here"),
        "beside, not instead of, the engine's state:\n{screen}"
    );
    assert!(
        line1(&screen).contains(&hosts[0]),
        "still on the leader:\n{screen}"
    );
    assert!(
        alerts_bar(&screen).contains(&format!("{victim} unreachable from here")),
        "the alert is up:\n{screen}"
    );
    drop(_restore);
    let restored = Instant::now();
    let screen = t.wait_screen("the node back and its alerts cleared", |s| {
        let r = row(s, &victim);
        r.contains("ready") && !r.contains("unreachable") && !alerts_bar(s).contains(&victim)
    });
    println!(
        "measured: back on screen {:?} after the restore",
        restored.elapsed()
    );
    assert!(!screen.contains("unreachable from here"), "{screen}");

    // the timeline tells the story in order: suspicion, down, restore, ready
    t.send(&[":"]);
    t.send(&["events", "Enter"]);
    std::thread::sleep(Duration::from_millis(300));
    t.send(&["/"]);
    t.send(&[&victim, "Enter"]);
    // the restore is the first sign of life: our probe answering, or the engine hearing from
    // the node again when its agent reaches the leader before our probe reaches it
    let back = format!("{victim} back: the engine hears from it again");
    let again = format!("{victim} reachable from here again");
    let screen = t.wait_screen("the timeline of the node", |s| {
        s.contains(&again) && s.contains(&format!("{victim} ready again"))
    });
    let restore = if screen.contains(&back) { back } else { again };
    println!("measured: the restore on the timeline is \"{restore}\"");
    let want = [
        format!("{victim} unreachable from here"),
        format!("{victim} down"),
        restore,
        format!("{victim} ready again"),
    ];
    // newest first: the story reads bottom to top
    let at = |w: &str| {
        screen
            .lines()
            .position(|l| l.contains(w))
            .unwrap_or_else(|| panic!("{w} on the timeline:\n{screen}"))
    };
    let rows: Vec<usize> = want.iter().map(|w| at(w)).collect();
    assert!(
        rows.windows(2).all(|p| p[0] > p[1]),
        "suspicion, down, restore, ready in that order ({rows:?}):\n{screen}"
    );
}

#[test]
fn failover_through_discovered_endpoints_only() {
    let lab = lab::take();
    let dir = tempfile::tempdir().expect("tempdir");
    let order = leader_first(&lab);
    let only = order[1].clone();
    let config = dir.path().join("failover.toml");
    std::fs::write(&config, "endpoint_template = \"tcp://{addr}:2376\"\n").expect("config");
    let env = format!(
        "DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH={}",
        lab::tls_cert_path()
    );
    let hosts = vec![lab.node(&only).socket.clone()];
    let t = dashboard(
        dir.path(),
        &hosts,
        &format!("--config {}", config.display()),
        &env,
    );
    // one endpoint given; the other two managers found through the template
    t.wait_screen("two discovered failover endpoints", |s| {
        line1(s).contains(&hosts[0]) && s.contains("(+2 failover)")
    });
    let _restore = Restore(vec![only.as_str()]);
    let killed = Instant::now();
    lab::lab_ok(&["kill", &only]);
    let (screen, took) = watch(
        &t,
        "connected through a discovered endpoint",
        Duration::from_secs(20),
        &no_false_claim,
        &|s| {
            let l = line1(s);
            l.contains("tcp://198.51.100.") && l.contains(":2376") && !l.contains("(lost)")
        },
    );
    println!(
        "measured: on a discovered endpoint {:?} after the kill",
        killed.elapsed()
    );
    let others: Vec<String> = order
        .iter()
        .filter(|n| **n != only)
        .map(|n| format!("tcp://{}:2376", lab.node(n).addr))
        .collect();
    assert!(
        others.iter().any(|e| line1(&screen).contains(e.as_str())),
        "one of {others:?}:\n{screen}"
    );
    assert!(took <= Duration::from_secs(10), "took {took:?}");
}

#[test]
fn all_managers_lost_then_two_restored_the_dashboard_keeps_running_and_shows_the_swarm() {
    let lab = lab::take();
    let dir = tempfile::tempdir().expect("tempdir");
    let order = leader_first(&lab);
    let hosts: Vec<String> = order.iter().map(|n| lab.node(n).socket.clone()).collect();
    let t = dashboard(dir.path(), &hosts, "", "");
    t.wait_screen("the swarm, live", |s| s.contains("● live"));
    let pid = t.child_pid().expect("the dashboard runs");
    let names: Vec<&str> = order.iter().map(String::as_str).collect();
    let _restore = Restore(names.clone());
    let start = Instant::now();
    for n in &names {
        lab::lab_ok(&["kill", n]);
    }
    let (screen, _) = watch(
        &t,
        "no manager answers, last known shown",
        Duration::from_secs(20),
        &nothing,
        &|s| {
            s.contains("no manager answers")
                && s.contains("last known")
                && names
                    .iter()
                    .all(|n| row(s, n).contains("unreachable from here"))
        },
    );
    assert!(
        !screen.contains("leader ★ node") || screen.contains("last known: leader ★"),
        "no leader claimed as live:\n{screen}"
    );
    println!("measured: all lost on screen after {:?}", start.elapsed());
    // two of three back: a quorum again
    for n in &names[..2] {
        lab::lab_ok(&["restore", n]);
        println!("measured: {n} restored at {:?}", start.elapsed());
    }
    let back = Instant::now();
    let (screen, _) = watch(
        &t,
        "the swarm shown again with a leader",
        Duration::from_secs(120),
        &nothing,
        &|s| s.contains("leader ★ node") && s.contains("● live") && !s.contains("last known"),
    );
    println!(
        "measured: swarm live again {:?} after the second restore",
        back.elapsed()
    );
    assert_eq!(
        t.child_pid(),
        Some(pid),
        "the same dashboard process kept running:\n{screen}"
    );
    assert!(
        common::tmux::exit_line(&screen, "SWARMDECK-EXIT=").is_none(),
        "never exited:\n{screen}"
    );
}

#[test]
fn a_crash_loop_is_an_alert_with_its_exit_code_and_its_tasks_say_why() {
    let lab = lab::take();
    let dir = tempfile::tempdir().expect("tempdir");
    struct Rm;
    impl Drop for Rm {
        fn drop(&mut self) {
            let _ = lab::lab(&[
                "docker",
                "node1",
                "service",
                "rm",
                "sdf-crashy",
                "sdf-pinned",
            ]);
        }
    }
    let _rm = Rm;
    lab.docker(
        "node1",
        &[
            "service",
            "create",
            "-d",
            "--name",
            "sdf-crashy",
            "--no-resolve-image",
            "--restart-delay",
            "1s",
            "swarmdeck/busybox:lab",
            "sh",
            "-c",
            "echo boom >&2; sleep 1; exit 3",
        ],
    );
    lab.docker(
        "node1",
        &[
            "service",
            "create",
            "-d",
            "--name",
            "sdf-pinned",
            "--no-resolve-image",
            "--constraint",
            "node.labels.sdf-none==true",
            "swarmdeck/busybox:lab",
            "sleep",
            "3600",
        ],
    );
    let t = dashboard(dir.path(), &lab.sockets(), "", "");
    let start = Instant::now();
    let screen = t.wait_screen("the crash-loop alert with its exit code", |s| {
        alerts_bar(s).contains("sdf-crashy: ") && alerts_bar(s).contains("last exit 3")
    });
    println!(
        "measured: crash-loop alert {:?} after start",
        start.elapsed()
    );
    assert!(
        alerts_bar(&screen).contains("restarts in 5 min"),
        "{screen}"
    );
    // the pinned service's tasks say, shortened, why it is pending
    t.send(&["Tab"]);
    std::thread::sleep(Duration::from_millis(200));
    t.send(&["/"]);
    t.send(&["sdf-pinned", "Enter"]);
    std::thread::sleep(Duration::from_millis(200));
    t.send(&["Enter"]);
    let screen = t.wait_screen("the pinned task's explanation", |s| {
        s.lines()
            .any(|l| l.contains("sdf-pinned.1") && l.contains("sdf-none"))
    });
    assert!(
        screen
            .lines()
            .any(|l| l.contains("sdf-pinned.1") && l.contains("label sdf-none")),
        "the short explanation names the label:\n{screen}"
    );
}
