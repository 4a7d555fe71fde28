//! Node maintenance from the keyboard, against the real lab, through the same App → engine
//! path the dashboard uses: keys in, dialogs, writes with version indexes, live progress.

mod common;

use std::time::Duration;

use common::lab::{self, LabGuard};
use jiff::Timestamp;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use swarmdeck::app::ops::RebalanceStep;
use swarmdeck::app::{App, Outgoing};
use swarmdeck::domain::{Availability, TaskState};
use swarmdeck::engine::{self, EngineHandle, EngineOptions, Timings};
use swarmdeck::keymap::{Action, Keymap};
use swarmdeck::view::confirm::{Then, WriteConfirm};
use swarmdeck::view::labels::LabelsForm;
use swarmdeck::view::pane::Selection;
use tokio::time::Instant;

struct Dash {
    app: App,
    engine: EngineHandle,
    audit: tempfile::TempDir,
}

impl Dash {
    fn start(lab: &LabGuard, readonly: bool) -> Self {
        let audit = tempfile::tempdir().expect("tempdir");
        let opts = EngineOptions {
            timings: Timings {
                task_poll: Duration::from_millis(500),
                heartbeat: Duration::from_secs(1),
                debounce: Duration::from_millis(50),
                ..Default::default()
            },
            audit_log: Some(audit.path().join("audit.jsonl")),
            readonly,
            endpoint_template: None,
            tls: Default::default(),
        };
        let mut app = App::new(
            Keymap::new(&Default::default(), readonly).expect("keymap"),
            Timestamp::now(),
        );
        app.readonly = readonly;
        Dash {
            app,
            engine: engine::spawn_with(lab.sockets(), opts),
            audit,
        }
    }

    async fn until(&mut self, what: &str, limit: Duration, done: impl Fn(&App) -> bool) {
        let deadline = Instant::now() + limit;
        loop {
            self.flush();
            if done(&self.app) {
                return;
            }
            tokio::select! {
                Some(m) = self.engine.rx.recv() => self.app.apply(m),
                _ = tokio::time::sleep_until(deadline) => panic!(
                    "timed out after {limit:?} waiting for: {what}\nnodes: {:?}\nmodals: {:#?}\nnotices: {:#?}",
                    self.app.store.nodes.iter().map(|n| (&n.hostname, &n.availability, &n.role, &n.state)).collect::<Vec<_>>(),
                    self.app.popup_names(),
                    self.app.notices
                ),
            }
            self.app.tick(Timestamp::now());
        }
    }

    fn flush(&mut self) {
        for out in self.app.outbox.drain(..) {
            if let Outgoing::Engine(c) = out {
                let _ = self.engine.cmd.send(c);
            }
        }
    }

    fn key(&mut self, code: KeyCode) {
        self.app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
        self.flush();
    }

    fn typed(&mut self, text: &str) {
        for c in text.chars() {
            self.key(KeyCode::Char(c));
        }
    }

    /// Select a node in the nodes pane, by hostname.
    fn select_node(&mut self, host: &str) {
        self.app.run_command("nodes");
        self.key(KeyCode::Char('g'));
        for _ in 0..self.app.store.nodes.len() {
            if self.selected_node().as_deref() == Some(host) {
                break;
            }
            self.key(KeyCode::Char('j'));
        }
        assert_eq!(
            self.selected_node().as_deref(),
            Some(host),
            "{host} in the nodes pane"
        );
    }

    fn selected_node(&self) -> Option<String> {
        match self.app.selection("nodes") {
            Selection::Node(id) => self.app.store.node(&id).map(|n| n.hostname.clone()),
            _ => None,
        }
    }

    fn top_confirm(&self) -> &WriteConfirm {
        self.app.top_as::<WriteConfirm>().unwrap_or_else(|| {
            panic!(
                "expected a confirmation dialog, got {:?}",
                self.app.popup_names()
            )
        })
    }

    fn audit_lines(&self) -> Vec<String> {
        std::fs::read_to_string(self.audit.path().join("audit.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

/// Services and node state a test changed, put back when it ends.
struct Cleanup<'a> {
    lab: &'a LabGuard,
    services: Vec<String>,
}

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        for s in &self.services {
            let _ = lab::lab(&["docker", "node1", "service", "rm", s]);
        }
        for n in &self.lab.nodes {
            self.lab.reset_node(&n.name, &["zone", "other"]);
        }
        let _ = lab::lab(&["docker", "node1", "node", "demote", "node4"]);
    }
}

impl<'a> Cleanup<'a> {
    fn new(lab: &'a LabGuard) -> Self {
        Cleanup {
            lab,
            services: vec![],
        }
    }
    fn service(&mut self, name: &str, args: &[&str]) {
        self.lab.create_service(name, args);
        self.services.push(name.to_string());
    }
}

fn inspect(lab: &LabGuard, node: &str, format: &str) -> String {
    lab.docker("node1", &["node", "inspect", node, "--format", format])
        .trim()
        .to_string()
}

fn running_on(app: &App, service: &str, host: &str) -> usize {
    let Some(svc) = app.store.services.iter().find(|s| s.name == service) else {
        return 0;
    };
    let Some(node) = app.store.nodes.iter().find(|n| n.hostname == host) else {
        return 0;
    };
    app.store
        .live_tasks
        .iter()
        .filter(|t| {
            t.service_id == svc.id
                && t.node_id.as_ref() == Some(&node.id)
                && t.state == TaskState::Running
        })
        .count()
}

fn settled(app: &App, services: &[(&str, u64)]) -> bool {
    app.store.nodes.len() == 4
        && services.iter().all(|(n, want)| {
            app.store
                .services
                .iter()
                .any(|s| &s.name == n && s.running == *want && s.desired == *want)
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_with_progress_then_activate() {
    let lab = lab::take();
    let mut c = Cleanup::new(&lab);
    c.service(
        "mt-web",
        &["--replicas", "4", "--replicas-max-per-node", "2"],
    );
    c.service("mt-agent", &["--mode", "global"]);
    let mut d = Dash::start(&lab, false);
    d.until(
        "services running, a web task on node3",
        Duration::from_secs(90),
        |a| settled(a, &[("mt-web", 4), ("mt-agent", 4)]) && running_on(a, "mt-web", "node3") > 0,
    )
    .await;

    d.select_node("node3");
    d.key(KeyCode::Char('D'));
    let confirm = d.top_confirm();
    assert!(
        confirm.dialog.word().is_none(),
        "no danger: a plain y confirms: {:#?}",
        confirm.dialog.lines()
    );
    let text: Vec<&str> = confirm
        .dialog
        .lines()
        .iter()
        .map(|(_, t)| t.as_str())
        .collect();
    assert!(
        text.iter().any(|t| t.contains("mt-web")),
        "the moving tasks are listed: {text:#?}"
    );
    assert!(
        text.iter().any(|t| t.contains("mt-agent")),
        "the global task that stops is listed: {text:#?}"
    );
    assert!(matches!(confirm.then, Then::DrainProgress(_)));
    d.key(KeyCode::Char('y'));
    assert!(d.app.popup_names() == ["drain"], "the progress view opens");

    d.until(
        "the drain finished: no task left on node3",
        Duration::from_secs(90),
        |a| a.ops.drains.values().any(|s| s.done_at.is_some()),
    )
    .await;
    assert_eq!(
        inspect(&lab, "node3", "{{.Spec.Availability}}"),
        "drain",
        "docker CLI agrees"
    );
    d.until(
        "mt-web's 4 tasks run on the other nodes",
        Duration::from_secs(60),
        |a| settled(a, &[("mt-web", 4)]) && running_on(a, "mt-web", "node3") == 0,
    )
    .await;
    assert_eq!(
        running_on(&d.app, "mt-agent", "node3"),
        0,
        "the global task stopped"
    );
    d.key(KeyCode::Esc);

    // activate again: A, y
    d.select_node("node3");
    d.key(KeyCode::Char('A'));
    assert!(d.top_confirm().dialog.word().is_none());
    d.key(KeyCode::Char('y'));
    d.until("node3 active", Duration::from_secs(30), |a| {
        a.store
            .nodes
            .iter()
            .any(|n| n.hostname == "node3" && n.availability == Availability::Active)
    })
    .await;
    assert_eq!(inspect(&lab, "node3", "{{.Spec.Availability}}"), "active");
    let audit = d.audit_lines();
    assert!(
        audit
            .iter()
            .any(|l| l.contains("active → drain") && l.contains("\"result\":\"ok\"")),
        "{audit:#?}"
    );
    assert!(
        audit.iter().any(|l| l.contains("drain → active")),
        "{audit:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stranded_tasks_require_the_typed_hostname_and_a_concurrent_change_is_kept() {
    let lab = lab::take();
    let mut c = Cleanup::new(&lab);
    c.service("mt-pinned", &["--constraint", "node.hostname==node3"]);
    let mut d = Dash::start(&lab, false);
    d.until("mt-pinned running on node3", Duration::from_secs(60), |a| {
        running_on(a, "mt-pinned", "node3") == 1
    })
    .await;

    d.select_node("node3");
    d.key(KeyCode::Char('D'));
    let confirm = d.top_confirm();
    assert_eq!(
        confirm.dialog.word(),
        Some("node3"),
        "a danger asks for the hostname"
    );
    assert!(
        confirm
            .dialog
            .lines()
            .iter()
            .any(|(_, t)| t.contains("mt-pinned") && t.contains("stranded")),
        "{:#?}",
        confirm.dialog.lines()
    );
    // y is not enough
    d.key(KeyCode::Char('y'));
    d.key(KeyCode::Enter);
    assert!(d.app.popup_names() == ["confirm"], "still asking");
    assert_eq!(
        inspect(&lab, "node3", "{{.Spec.Availability}}"),
        "active",
        "nothing written"
    );

    // someone changes the node's labels while the dialog is open
    lab.docker(
        "node1",
        &["node", "update", "--label-add", "other=1", "node3"],
    );

    for _ in 0..1 {
        d.key(KeyCode::Backspace);
    }
    d.typed("node3");
    d.key(KeyCode::Enter);
    d.until("node3 drained", Duration::from_secs(30), |a| {
        a.store
            .nodes
            .iter()
            .any(|n| n.hostname == "node3" && n.availability == Availability::Drain)
    })
    .await;
    assert_eq!(inspect(&lab, "node3", "{{.Spec.Availability}}"), "drain");
    assert_eq!(
        inspect(&lab, "node3", "{{index .Spec.Labels \"other\"}}"),
        "1",
        "the other change is kept"
    );
    // the pinned task cannot go anywhere: it stays pending
    d.until(
        "mt-pinned pending, not running",
        Duration::from_secs(30),
        |a| {
            a.store
                .services
                .iter()
                .any(|s| s.name == "mt-pinned" && s.running == 0)
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labels_form_round_trip_and_bad_keys() {
    let lab = lab::take();
    let _c = Cleanup::new(&lab);
    let mut d = Dash::start(&lab, false);
    d.until("nodes", Duration::from_secs(30), |a| {
        a.store.nodes.len() == 4
    })
    .await;
    d.select_node("node2");
    d.key(KeyCode::Char('L'));
    // a bad key is refused with a message and changes nothing
    d.typed("bad key=1");
    d.key(KeyCode::Enter);
    match d.app.top_as::<LabelsForm>() {
        Some(f) => {
            assert!(f.error.is_some(), "bad key refused");
            assert!(f.set.is_empty());
        }
        None => panic!("{:?}", d.app.popup_names()),
    }
    for _ in 0.."bad key=1".len() {
        d.key(KeyCode::Backspace);
    }
    d.typed("zone=eu");
    d.key(KeyCode::Enter);
    d.key(KeyCode::Enter); // review
    assert!(
        d.top_confirm()
            .dialog
            .lines()
            .iter()
            .any(|(_, t)| t.contains("+zone=eu")),
        "{:#?}",
        d.top_confirm().dialog.lines()
    );
    d.key(KeyCode::Char('y'));
    d.until("the label is on node2", Duration::from_secs(30), |a| {
        a.store.nodes.iter().any(|n| {
            n.hostname == "node2" && n.labels.get("zone").map(String::as_str) == Some("eu")
        })
    })
    .await;
    assert_eq!(
        inspect(&lab, "node2", "{{index .Spec.Labels \"zone\"}}"),
        "eu"
    );

    // remove it again: select it, Del, review, y
    d.key(KeyCode::Char('L'));
    d.key(KeyCode::Delete);
    d.key(KeyCode::Enter);
    d.key(KeyCode::Char('y'));
    d.until("the label is gone", Duration::from_secs(30), |a| {
        a.store
            .nodes
            .iter()
            .any(|n| n.hostname == "node2" && !n.labels.contains_key("zone"))
    })
    .await;
    assert!(!inspect(&lab, "node2", "{{json .Spec.Labels}}").contains("zone"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promote_demote_and_quorum_refusal() {
    let lab = lab::take();
    let _c = Cleanup::new(&lab);
    let mut d = Dash::start(&lab, false);
    d.until("4 nodes, 3 managers", Duration::from_secs(30), |a| {
        a.store.nodes.len() == 4 && a.store.quorum.total == 3
    })
    .await;

    // promote the worker: 4 managers, an even count is warned about
    d.select_node("node4");
    d.key(KeyCode::Char('+'));
    let c = d.top_confirm();
    assert!(c.write.is_some());
    assert!(
        c.dialog
            .lines()
            .iter()
            .any(|(_, t)| t.contains("4 managers")),
        "{:#?}",
        c.dialog.lines()
    );
    d.key(KeyCode::Char('y'));
    d.until(
        "4 managers in the quorum header",
        Duration::from_secs(60),
        |a| a.store.quorum.total == 4 && a.store.quorum.reachable == 4,
    )
    .await;
    assert_eq!(inspect(&lab, "node4", "{{.Spec.Role}}"), "manager");
    assert!(d.app.store.quorum.even);

    // demote it again
    d.select_node("node4");
    d.key(KeyCode::Char('-'));
    assert!(d.top_confirm().write.is_some());
    d.key(KeyCode::Char('y'));
    d.until("3 managers again", Duration::from_secs(60), |a| {
        a.store.quorum.total == 3
    })
    .await;
    assert_eq!(inspect(&lab, "node4", "{{.Spec.Role}}"), "worker");

    // with one manager down, demoting a reachable one would leave 1 of 2: refused
    lab::lab_ok(&["kill", "node2"]);
    d.until("node2 unreachable", Duration::from_secs(90), |a| {
        a.store.quorum.reachable == 2
    })
    .await;
    let victim = if d.app.store.leader().map(|l| l.hostname.as_str()) == Some("node3") {
        "node1"
    } else {
        "node3"
    };
    d.select_node(victim);
    d.key(KeyCode::Char('-'));
    let c = d.top_confirm();
    assert!(c.write.is_none(), "refused: {:#?}", c.dialog.lines());
    assert!(
        c.dialog
            .lines()
            .iter()
            .any(|(_, t)| t.starts_with("refused")),
        "{:#?}",
        c.dialog.lines()
    );
    d.key(KeyCode::Char('y'));
    d.key(KeyCode::Esc);
    assert_eq!(
        inspect(&lab, victim, "{{.Spec.Role}}"),
        "manager",
        "nothing written"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebalance_after_a_node_comes_back() {
    let lab = lab::take();
    let mut c = Cleanup::new(&lab);
    // a quick rollout: rebalance honours the service's own update config
    c.service(
        "mt-spread",
        &[
            "--replicas",
            "6",
            "--constraint",
            "node.role==manager",
            "--stop-grace-period",
            "1s",
            "--update-monitor",
            "1s",
        ],
    );
    let mut d = Dash::start(&lab, false);
    d.until("6 tasks, 2 per manager", Duration::from_secs(90), |a| {
        settled(a, &[("mt-spread", 6)])
            && ["node1", "node2", "node3"]
                .iter()
                .all(|h| running_on(a, "mt-spread", h) == 2)
    })
    .await;
    lab::lab_ok(&["kill", "node3"]);
    d.until(
        "node3's tasks rescheduled on node1 and node2",
        Duration::from_secs(120),
        |a| running_on(a, "mt-spread", "node1") + running_on(a, "mt-spread", "node2") == 6,
    )
    .await;
    lab::lab_ok(&["restore", "node3"]);
    d.until("node3 ready again", Duration::from_secs(90), |a| {
        a.store
            .nodes
            .iter()
            .any(|n| n.hostname == "node3" && n.state == swarmdeck::domain::NodeState::Ready)
    })
    .await;
    assert_eq!(
        running_on(&d.app, "mt-spread", "node3"),
        0,
        "Swarm does not move tasks back by itself"
    );

    d.select_node("node3");
    d.key(KeyCode::Char('R'));
    let c = d.top_confirm();
    assert!(
        c.dialog
            .lines()
            .iter()
            .any(|(_, t)| t.contains("mt-spread")),
        "{:#?}",
        c.dialog.lines()
    );
    d.key(KeyCode::Char('y'));
    assert!(d.app.popup_names() == ["rebalance"]);
    d.until("tasks spread again", Duration::from_secs(120), |a| {
        settled(a, &[("mt-spread", 6)]) && running_on(a, "mt-spread", "node3") >= 1
    })
    .await;
    d.until("the rebalance finished", Duration::from_secs(120), |a| {
        a.ops
            .rebalance
            .iter()
            .all(|i| i.state == RebalanceStep::Done)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readonly_mode_writes_nothing() {
    let lab = lab::take();
    let mut d = Dash::start(&lab, true);
    d.until("nodes", Duration::from_secs(30), |a| {
        a.store.nodes.len() == 4
    })
    .await;
    let version_before = inspect(&lab, "node3", "{{.Version.Index}}");

    // no write action has a key, a help row, or a command
    let help: Vec<String> = d
        .app
        .keymap
        .help_rows()
        .into_iter()
        .map(|(_, desc)| desc.to_string())
        .collect();
    for a in Action::ALL.iter().filter(|a| a.is_write()) {
        assert!(
            d.app.keymap.keys(*a).is_empty(),
            "{a} has no key in readonly mode"
        );
        assert!(
            !help.contains(&a.description().to_string()),
            "{a} is not in the help"
        );
    }
    assert!(!d.app.commands().contains(&"rebalance"));

    // every key of every action, pressed on node3: no write leaves the app
    d.select_node("node3");
    for a in Action::ALL {
        if matches!(a, Action::Quit) {
            continue;
        }
        for k in ["D", "A", "P", "L", "+", "-", "R", "y"] {
            d.app.on_key(KeyEvent::new(
                KeyCode::Char(k.chars().next().unwrap_or('x')),
                KeyModifiers::NONE,
            ));
        }
        d.app.run(*a);
        assert!(
            !d.app
                .outbox
                .iter()
                .any(|o| matches!(o, Outgoing::Engine(engine::EngineCmd::Write(_)))),
            "{a} produced a write"
        );
        d.app.popups.clear();
        d.app.focus_pane("nodes");
        d.flush();
    }
    d.app.run_command("rebalance");
    assert!(d.app.popups.is_empty());

    // and the engine itself refuses a write that would reach it
    let node3 = d
        .app
        .store
        .nodes
        .iter()
        .find(|n| n.hostname == "node3")
        .expect("node3")
        .clone();
    let _ = d
        .engine
        .cmd
        .send(engine::EngineCmd::Write(engine::WriteRequest {
            seq: 99,
            target: engine::WriteTarget::Node {
                id: node3.id.clone(),
                name: "node3".into(),
            },
            change: engine::WriteChange::Node(swarmdeck::engine::write::NodeChange::Availability {
                seen: Availability::Active,
                to: Availability::Drain,
            }),
            action: "availability active → drain".into(),
        }));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match engine::recv_until(&mut d.engine.rx, deadline).await {
            Some(engine::EngineMsg::WriteDone {
                seq: 99, result, ..
            }) => {
                assert!(
                    matches!(
                        result,
                        Err(swarmdeck::engine::write::WriteError::Refused(_))
                    ),
                    "{result:?}"
                );
                break;
            }
            Some(_) => {}
            None => panic!("no answer to the write"),
        }
    }

    assert_eq!(
        inspect(&lab, "node3", "{{.Version.Index}}"),
        version_before,
        "no write reached the engine"
    );
    assert_eq!(inspect(&lab, "node3", "{{.Spec.Availability}}"), "active");
}
