//! `:cluster` against the real lab, through the engine → App path the dashboard uses: the
//! worker token revealed for 30 s then masked, rotated after a confirm (the docker CLI sees
//! the new token, the manager token is untouched), and on a fresh engine (`lab.sh spare`)
//! the old token no longer joins while the new one does. Neither token is in the audit log.
//! Needs root; brings the lab up itself.

mod common;

use std::time::Duration;

use common::lab::{self, wait_for};
use jiff::{SignedDuration, Timestamp};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use swarmdeck::app::{App, Outgoing};
use swarmdeck::engine::{self, EngineHandle, EngineOptions, Timings};
use swarmdeck::keymap::Keymap;
use swarmdeck::view::cluster::ClusterView;
use tokio::time::Instant;

/// The spare engine, removed when the test ends (also when it fails).
struct Spare;

impl Spare {
    fn up() -> Self {
        lab::lab_ok(&["spare", "up"]);
        Spare
    }
}

impl Drop for Spare {
    fn drop(&mut self) {
        let _ = lab::lab(&["spare", "down"]);
    }
}

fn fast() -> Timings {
    Timings {
        task_poll: Duration::from_millis(500),
        node_poll: Duration::from_secs(1),
        reconcile: Duration::from_secs(600),
        heartbeat: Duration::from_secs(1),
        heartbeat_failures: 2,
        debounce: Duration::from_millis(50),
        retry: Duration::from_millis(500),
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
    loop {
        for out in app.outbox.drain(..) {
            if let Outgoing::Engine(cmd) = out {
                let _ = engine.cmd.send(cmd);
            }
        }
        if done(app) {
            return;
        }
        match engine::recv_until(&mut engine.rx, deadline).await {
            Some(msg) => app.apply(msg),
            None => panic!(
                "timed out after {limit:?} waiting for: {what}\nnotices: {:?}",
                app.notices
            ),
        }
    }
}

fn key(app: &mut App, c: char) {
    app.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
}

fn cluster(app: &App) -> Option<&ClusterView> {
    app.top_as::<ClusterView>()
}

fn worker_token(app: &App) -> Option<String> {
    cluster(app)?
        .swarm()
        .map(|s| s.worker_token.reveal().to_string())
}

fn screen(app: &App) -> String {
    common::text(&common::render(app, 140, 40))
}

fn cli_token(lab: &lab::LabGuard, role: &str) -> String {
    lab.docker("node1", &["swarm", "join-token", "-q", role])
        .trim()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_worker_token_no_longer_joins_and_the_new_one_does() {
    let lab = lab::take();
    let spare = Spare::up();
    let dir = tempfile::tempdir().expect("temp dir");
    let audit = dir.path().join("audit.jsonl");
    let mut engine = engine::spawn_with(
        lab.sockets(),
        EngineOptions {
            timings: fast(),
            audit_log: Some(audit.clone()),
            ..Default::default()
        },
    );
    let mut app = App::new(Keymap::default(), Timestamp::now());
    pump_until(
        &mut engine,
        &mut app,
        "connected, the nodes read",
        Duration::from_secs(60),
        |a| a.store.info.is_some() && !a.store.nodes.is_empty(),
    )
    .await;
    app.run_command("cluster");
    pump_until(
        &mut engine,
        &mut app,
        "the swarm read",
        Duration::from_secs(30),
        |a| worker_token(a).is_some(),
    )
    .await;
    let old = worker_token(&app).expect("a worker token");
    let manager_before = cli_token(&lab, "manager");
    assert!(old == cli_token(&lab, "worker"), "the CLI's worker token");
    assert!(!screen(&app).contains(&old), "masked at first");

    // r shows it for 30 s, then it is masked again
    key(&mut app, 'r');
    assert!(screen(&app).contains(&old), "revealed");
    app.tick(Timestamp::now() + SignedDuration::from_secs(31));
    assert!(!screen(&app).contains(&old), "masked again after 30 s");

    // R asks first; y rotates; the popup reads the new one
    key(&mut app, 'R');
    assert!(cluster(&app).and_then(ClusterView::confirming).is_some());
    key(&mut app, 'y');
    pump_until(
        &mut engine,
        &mut app,
        "the rotated token read back",
        Duration::from_secs(30),
        |a| worker_token(a).is_some_and(|t| t != old),
    )
    .await;
    let new = worker_token(&app).expect("the new worker token");
    assert!(
        new == cli_token(&lab, "worker"),
        "the CLI sees the new token"
    );
    assert!(
        manager_before == cli_token(&lab, "manager"),
        "the manager token did not change"
    );

    // a fresh engine: the old token is refused, the new one joins
    let refused = lab::lab(&["spare", "join", &old]);
    assert!(
        !refused.status.success(),
        "the old worker token still joins: {}",
        String::from_utf8_lossy(&refused.stdout)
    );
    let status = lab::lab_ok(&["spare", "status"]);
    assert!(status.contains("swarm=inactive"), "{status}");
    lab::lab_ok(&["spare", "join", &new]);
    wait_for("node50 Ready in the swarm", Duration::from_secs(60), || {
        let out = lab::lab(&[
            "docker",
            "node1",
            "node",
            "ls",
            "--format",
            "{{.Hostname}} {{.Status}}",
        ]);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .any(|l| l == "node50 Ready")
    });
    lab::lab_ok(&["spare", "leave"]);

    // the audit log has the rotation, and no token
    let log = std::fs::read_to_string(&audit).expect("the audit log");
    assert!(log.contains("rotate worker join token"), "{log}");
    assert!(
        !log.contains(&old) && !log.contains(&new) && !log.contains(&manager_before),
        "a token is in the audit log"
    );
    // nor in any notice
    let notices: String = app.notices.iter().map(|n| n.text.clone()).collect();
    assert!(!notices.contains(&old) && !notices.contains(&new));
    drop(spare);
}

fn networks(app: &App) -> Option<&swarmdeck::view::networks::NetworksView> {
    app.top_as::<swarmdeck::view::networks::NetworksView>()
}

/// `:networks` against the lab: an attachable overlay created from the form is what
/// `docker network inspect` shows; while a service attaches, removing it is refused naming
/// the service; once the service is gone, it is removed. `:volumes` lists what node1's
/// `docker volume ls` does, and a local volume of a replicated service spread over two
/// nodes is flagged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn networks_created_refused_while_used_removed_and_volumes_flagged() {
    let lab = lab::take();
    struct Cleanup;
    impl Drop for Cleanup {
        fn drop(&mut self) {
            let _ = lab::lab(&["docker", "node1", "service", "rm", "cl-web"]);
            let _ = lab::lab(&["docker", "node1", "network", "rm", "cl-net"]);
            for n in lab::status() {
                let _ = lab::lab(&["docker", &n.name, "volume", "rm", "-f", "cl-data"]);
            }
        }
    }
    let _cleanup = Cleanup;
    let _ = lab::lab(&["docker", "node1", "service", "rm", "cl-web"]);
    let _ = lab::lab(&["docker", "node1", "network", "rm", "cl-net"]);
    let mut engine = engine::spawn_with(
        lab.sockets(),
        EngineOptions {
            timings: fast(),
            ..Default::default()
        },
    );
    let mut app = App::new(Keymap::default(), Timestamp::now());
    pump_until(
        &mut engine,
        &mut app,
        "connected",
        Duration::from_secs(60),
        |a| a.store.info.is_some() && !a.store.nodes.is_empty(),
    )
    .await;
    app.run_command("networks");
    pump_until(
        &mut engine,
        &mut app,
        "the networks read",
        Duration::from_secs(30),
        |a| networks(a).is_some_and(|v| v.list().shown() > 0),
    )
    .await;
    // n, the form, y
    key(&mut app, 'n');
    common::type_str(&mut app, "cl-net");
    app.on_key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE));
    common::type_str(&mut app, "10.231.0.0/24");
    app.on_key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE));
    common::type_str(&mut app, "10.231.0.1\n");
    assert!(networks(&app).is_some_and(|v| v.dialog().is_some()));
    key(&mut app, 'y');
    pump_until(
        &mut engine,
        &mut app,
        "cl-net created and listed",
        Duration::from_secs(30),
        |a| networks(a).is_some_and(|v| v.list().rows.networks.iter().any(|n| n.name == "cl-net")),
    )
    .await;
    let inspect = lab.docker(
        "node1",
        &[
            "network",
            "inspect",
            "--format",
            "{{.Driver}} {{.Attachable}} {{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}",
            "cl-net",
        ],
    );
    assert_eq!(inspect.trim(), "overlay true 10.231.0.0/24 10.231.0.1");

    // a service on it: removal refused, naming it
    lab.create_service(
        "cl-web",
        &[
            "--replicas",
            "2",
            "--network",
            "cl-net",
            "--replicas-max-per-node",
            "1",
            "--mount",
            "type=volume,source=cl-data,target=/data",
        ],
    );
    app.on_key(KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL));
    pump_until(
        &mut engine,
        &mut app,
        "cl-web seen attached",
        Duration::from_secs(30),
        |a| networks(a).is_some_and(|v| v.list().rows.services.iter().any(|s| s.name == "cl-web")),
    )
    .await;
    key(&mut app, 'g');
    for _ in 0..30 {
        if networks(&app).and_then(|v| v.selected_name()) == Some("cl-net") {
            break;
        }
        key(&mut app, 'j');
    }
    app.on_key(KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL));
    let (dialog, sends) = networks(&app).and_then(|v| v.dialog()).expect("a dialog");
    assert!(!sends);
    let why: String = dialog.lines().iter().map(|(_, l)| l.clone()).collect();
    assert!(why.contains("cl-web"), "{why}");
    app.on_key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));

    // :volumes: node1's own list, and the flag once cl-web runs on two nodes
    app.on_key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
    wait_for("cl-web on two nodes", Duration::from_secs(60), || {
        let out = lab::lab(&[
            "docker",
            "node1",
            "service",
            "ps",
            "--filter",
            "desired-state=running",
            "--format",
            "{{.Node}} {{.CurrentState}}",
            "cl-web",
        ]);
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let running: std::collections::BTreeSet<&str> = text
            .lines()
            .filter(|l| l.contains("Running"))
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        running.len() == 2
    });
    app.run_command("volumes");
    pump_until(
        &mut engine,
        &mut app,
        "cl-data flagged",
        Duration::from_secs(30),
        |a| {
            a.top_as::<swarmdeck::view::volumes::VolumesView>()
                .is_some_and(|v| {
                    v.declared()
                        .rows
                        .declared
                        .iter()
                        .any(|d| d.name == "cl-data" && d.flag.is_some())
                })
        },
    )
    .await;
    let v = app
        .top_as::<swarmdeck::view::volumes::VolumesView>()
        .expect("volumes");
    let mut ours: Vec<String> = v
        .local()
        .rows
        .volumes
        .iter()
        .map(|x| x.name.clone())
        .collect();
    ours.sort();
    let mut cli: Vec<String> = lab
        .docker("node1", &["volume", "ls", "-q"])
        .lines()
        .map(str::to_string)
        .collect();
    cli.sort();
    assert_eq!(
        ours, cli,
        "node1's engine's volumes, as its docker volume ls"
    );
    app.on_key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));

    // the service gone: removed through the popup
    lab.docker("node1", &["service", "rm", "cl-web"]);
    app.run_command("networks");
    pump_until(
        &mut engine,
        &mut app,
        "cl-web no longer attached",
        Duration::from_secs(30),
        |a| {
            networks(a).is_some_and(|v| {
                v.list().shown() > 0 && !v.list().rows.services.iter().any(|s| s.name == "cl-web")
            })
        },
    )
    .await;
    key(&mut app, 'g');
    for _ in 0..30 {
        if networks(&app).and_then(|v| v.selected_name()) == Some("cl-net") {
            break;
        }
        key(&mut app, 'j');
    }
    app.on_key(KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL));
    assert!(
        networks(&app)
            .and_then(|v| v.dialog())
            .is_some_and(|(_, sends)| sends)
    );
    common::type_str(&mut app, "cl-net\n");
    // the tasks' network attachments go a moment after the service: the engine may refuse
    // at first ("has active endpoints"); ask again (each answer awaited) until it is removed
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        pump_until(
            &mut engine,
            &mut app,
            "the removal answered",
            Duration::from_secs(30),
            |a| networks(a).is_some_and(|v| v.busy().is_none()),
        )
        .await;
        let gone = !lab::lab(&["docker", "node1", "network", "inspect", "cl-net"])
            .status
            .success();
        if gone {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "cl-net not removed: {:?}",
            networks(&app).and_then(|v| v.message())
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        app.on_key(KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL));
        common::type_str(&mut app, "cl-net\n");
    }
}
