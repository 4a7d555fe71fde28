//! Against the real lab: several real dockerd managers in their own network namespaces,
//! joined into one swarm. Everything is read through the same engine → App path the
//! dashboard uses. These tests need root; they bring the lab up themselves.

mod common;

use std::process::Command;
use std::time::Duration;

use common::lab::{self, LabGuard, wait_for};
use jiff::Timestamp;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use swarmdeck::app::{App, ConnState};
use swarmdeck::domain::{NodeState, TaskState};
use swarmdeck::engine::{self, EngineHandle};
use swarmdeck::keymap::Keymap;
use tokio::time::Instant;

/// Services created by a test, removed when it ends.
struct Services<'a> {
    lab: &'a LabGuard,
    names: Vec<String>,
}

impl<'a> Services<'a> {
    fn new(lab: &'a LabGuard) -> Self {
        Services { lab, names: vec![] }
    }
    fn create(&mut self, name: &str, args: &[&str]) {
        self.lab.create_service(name, args);
        self.names.push(name.to_string());
    }
}

impl Drop for Services<'_> {
    fn drop(&mut self) {
        let names: Vec<&str> = self.names.iter().map(String::as_str).collect();
        lab::rm_services(&names);
    }
}

/// Feed engine messages into the app (as the UI loop does) until `done` holds.
async fn pump_until(
    engine: &mut EngineHandle,
    app: &mut App,
    what: &str,
    limit: Duration,
    done: impl Fn(&App) -> bool,
) {
    let deadline = Instant::now() + limit;
    while !done(app) {
        match engine::recv_until(&mut engine.rx, deadline).await {
            Some(msg) => {
                app.apply(msg);
                app.tick(Timestamp::now());
                for out in app.outbox.drain(..) {
                    if let swarmdeck::app::Outgoing::Engine(cmd) = out {
                        let _ = engine.cmd.send(cmd);
                    }
                }
            }
            None => panic!(
                "timed out after {limit:?} waiting for: {what}\nconn: {:?}\nnodes: {:?}\nservices: {:?}\nnotices: {:?}",
                app.store.conn,
                app.store
                    .nodes
                    .iter()
                    .map(|n| (&n.hostname, &n.state, n.is_leader()))
                    .collect::<Vec<_>>(),
                app.store
                    .services
                    .iter()
                    .map(|s| (&s.name, s.running, s.desired))
                    .collect::<Vec<_>>(),
                app.notices
            ),
        }
    }
}

fn key(app: &mut App, code: KeyCode) {
    app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
}

/// The global service has a running task on every node, per the task poll.
fn global_task_on_every_node(app: &App, name: &str) -> bool {
    let Some(svc) = app.store.services.iter().find(|s| s.name == name) else {
        return false;
    };
    app.store.nodes.iter().all(|n| {
        app.store.live_tasks.iter().any(|t| {
            t.service_id == svc.id
                && t.node_id.as_ref() == Some(&n.id)
                && t.state == TaskState::Running
        })
    })
}

fn service_running(app: &App, name: &str, n: u64) -> bool {
    app.store
        .services
        .iter()
        .any(|s| s.name == name && s.running == n && s.desired == n)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_reads_nodes_leader_services_and_tasks() {
    let lab = lab::take();
    let mut svcs = Services::new(&lab);
    svcs.create("it-web", &["--replicas", "3"]);
    svcs.create("it-agent", &["--mode", "global"]);

    let mut engine = engine::spawn(lab.sockets(), common::fast_timings());
    let mut app = App::new(Keymap::default(), Timestamp::now());
    pump_until(
        &mut engine,
        &mut app,
        "3 managers + 1 worker ready, a leader, both services running",
        Duration::from_secs(90),
        |a| {
            a.store.nodes.len() == 4
                && a.store.nodes.iter().all(|n| n.state == NodeState::Ready)
                && a.store.leader().is_some()
                && service_running(a, "it-web", 3)
                && service_running(a, "it-agent", 4)
                && global_task_on_every_node(a, "it-agent")
                && a.store
                    .live_tasks
                    .iter()
                    .filter(|t| t.state == TaskState::Running)
                    .count()
                    >= 7
        },
    )
    .await;
    assert!(matches!(app.store.conn, ConnState::Connected { .. }));
    assert_eq!(app.store.quorum.total, 3, "the worker is not a manager");
    assert_eq!(app.store.quorum.tolerates, 1);
    let leader_cli = lab.docker(
        "node1",
        &[
            "node",
            "ls",
            "--filter",
            "role=manager",
            "--format",
            "{{.Hostname}} {{.ManagerStatus}}",
        ],
    );
    let leader_name = leader_cli
        .lines()
        .find(|l| l.ends_with("Leader"))
        .and_then(|l| l.split_whitespace().next())
        .expect("docker CLI names a leader")
        .to_string();
    assert_eq!(
        app.store.leader().map(|n| n.hostname.clone()),
        Some(leader_name),
        "same leader as the docker CLI"
    );
    // the global service runs one task on each node
    assert!(global_task_on_every_node(&app, "it-agent"));

    // drill down into it-web: the engine reads its task history
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.focused(), "services");
    key(&mut app, KeyCode::Char('/'));
    for c in "it-web".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.focused(), "tasks");
    pump_until(
        &mut engine,
        &mut app,
        "it-web's 3 tasks in the drill-down",
        Duration::from_secs(20),
        |a| {
            a.drill
                .as_ref()
                .and_then(|d| a.store.scoped.get(d))
                .is_some_and(|t| t.iter().filter(|t| t.state == TaskState::Running).count() == 3)
        },
    )
    .await;
    assert_eq!(app.pane("tasks").map(|p| p.shown()), Some(3));

    // a scale-up is seen through a service event + the task poll
    lab.docker("node1", &["service", "scale", "-d", "it-web=4"]);
    pump_until(
        &mut engine,
        &mut app,
        "it-web scaled to 4",
        Duration::from_secs(60),
        |a| service_running(a, "it-web", 4),
    )
    .await;
    assert!(
        app.store
            .events
            .iter()
            .any(|e| e.name == "it-web" && e.action == "update"),
        "service event seen"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_leader_shows_the_new_leader_and_the_down_node() {
    let lab = lab::take();
    let mut engine = engine::spawn(lab.sockets(), common::fast_timings());
    let mut app = App::new(Keymap::default(), Timestamp::now());
    pump_until(
        &mut engine,
        &mut app,
        "a leader",
        Duration::from_secs(60),
        |a| a.store.nodes.len() == 4 && a.store.leader().is_some(),
    )
    .await;
    let old = app.store.leader().expect("leader").clone();
    lab::lab_ok(&["kill", &old.hostname]);

    // Swarm re-elects in about 10-15 s; if we were reading from the old leader we fail over.
    pump_until(
        &mut engine,
        &mut app,
        "a new leader and the old one down",
        Duration::from_secs(90),
        |a| {
            a.store.leader().is_some_and(|l| l.hostname != old.hostname)
                && a.store
                    .nodes
                    .iter()
                    .any(|n| n.hostname == old.hostname && n.is_down())
        },
    )
    .await;
    assert_eq!(app.store.quorum.reachable, 2);
    assert_eq!(
        app.store.quorum.tolerates, 0,
        "2 of 3: the next failure loses quorum"
    );
    if let ConnState::Connected { endpoint } = &app.store.conn {
        assert_ne!(
            endpoint,
            &lab.node(&old.hostname).socket,
            "not reading from the dead node"
        );
    }

    // the status command agrees: degraded, exit 1
    let out = Command::new(env!("CARGO_BIN_EXE_swarmdeck"))
        .args(lab.host_args())
        .args(["status", "--json"])
        .output()
        .expect("run swarmdeck status");
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("status prints JSON");
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert_eq!(report["health"], "degraded");
    assert_ne!(report["leader"], old.hostname.as_str());

    lab::lab_ok(&["restore", &old.hostname]);
    pump_until(
        &mut engine,
        &mut app,
        "the old leader back and ready",
        Duration::from_secs(90),
        |a| {
            a.store
                .nodes
                .iter()
                .any(|n| n.hostname == old.hostname && n.state == NodeState::Ready)
                && a.store.quorum.reachable == 3
        },
    )
    .await;
}

#[test]
fn status_command_on_a_healthy_lab() {
    let lab = lab::take();
    wait_for("status healthy", Duration::from_secs(60), || {
        let out = Command::new(env!("CARGO_BIN_EXE_swarmdeck"))
            .args(["--host", &lab.sockets()[0], "status"])
            .output()
            .expect("run swarmdeck status");
        out.status.code() == Some(0)
            && String::from_utf8_lossy(&out.stdout).contains("swarm: HEALTHY")
    });
    let out = Command::new(env!("CARGO_BIN_EXE_swarmdeck"))
        .args(["--host", "unix:///nonexistent/docker.sock", "status"])
        .output()
        .expect("run swarmdeck status");
    assert_eq!(out.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("no Docker socket at /nonexistent/docker.sock")
    );
}

/// The lab script's own end-to-end check: kill/restore of the leader, VIP moves, a faked
/// split brain, `down` leaving nothing behind (also after `kill`), `up` after a crash.
#[test]
fn lab_script_selftest() {
    let _lab = lab::take();
    let script = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/lab/selftest.sh");
    let out = Command::new("bash")
        .arg(&script)
        .output()
        .expect("run selftest.sh");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains(" 0 failed"),
        "selftest failed:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_endpoint_names_the_managers() {
    let lab = lab::take();
    let worker = lab
        .workers()
        .first()
        .copied()
        .expect("the test lab has a worker")
        .clone();
    let err = engine::connect::connect(&worker.socket)
        .await
        .err()
        .expect("a worker is refused");
    let text = err.to_string();
    assert!(matches!(err, engine::ConnectError::Worker { .. }), "{text}");
    for m in lab.managers() {
        assert!(
            text.contains(&format!("{}:2377", m.addr)),
            "names manager {}: {text}",
            m.addr
        );
    }
    // with the worker first, the dashboard moves on to a manager
    let mut endpoints = vec![worker.socket.clone()];
    endpoints.extend(lab.sockets());
    let mut engine = engine::spawn(endpoints, common::fast_timings());
    let mut app = App::new(Keymap::default(), Timestamp::now());
    pump_until(
        &mut engine,
        &mut app,
        "connected to a manager",
        Duration::from_secs(30),
        |a| {
            matches!(&a.store.conn, ConnState::Connected { endpoint } if *endpoint != worker.socket)
                && !a.store.nodes.is_empty()
        },
    )
    .await;
}

/// A node label is the one engine string anybody can fill with escape sequences (the engine
/// refuses them in hostnames and service names): `status` shows it made visible, never raw.
#[test]
fn status_shows_an_escape_laden_node_label_made_visible() {
    let lab = lab::take();
    let evil = "\u{1b}[2J\u{1b}]0;PWNED\u{7}";
    lab.docker(
        "node1",
        &[
            "node",
            "update",
            "--label-add",
            &format!("sd-evil={evil}"),
            "node2",
        ],
    );
    let mut text = String::new();
    wait_for("the label in status", Duration::from_secs(30), || {
        let out = Command::new(env!("CARGO_BIN_EXE_swarmdeck"))
            .args(["--host", &lab.sockets()[0], "status"])
            .output()
            .expect("run swarmdeck status");
        text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.contains("sd-evil=")
    });
    lab.reset_node("node2", &["sd-evil"]);
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
    assert!(
        text.contains("sd-evil=\\x1b[2J\\x1b]0;PWNED\\x07"),
        "{text}"
    );
}
