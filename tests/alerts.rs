//! The alert rules through the store and the app (issue 11): the alerts bar under the header,
//! the bell, the below-desired bookkeeping, and `swarmdeck status` judging the same rules.

mod common;

use jiff::{SignedDuration, Timestamp};
use ratatui::buffer::Buffer;
use ratatui::style::Modifier;
use swarmdeck::app::App;
use swarmdeck::domain::{NodeId, NodeState, Reachability, Service, Task, TaskId, TaskState};
use swarmdeck::engine::fetch::Snapshot;
use swarmdeck::engine::{EngineMsg, TaskScope};
use swarmdeck::health::Reach;
use swarmdeck::health::alerts::Severity;
use swarmdeck::status::{Health, Report, Seen};
use swarmdeck::theme::Theme;

use common::{render, text};

fn service<'a>(app: &'a App, name: &str) -> &'a Service {
    app.store
        .services
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("service {name}"))
}

fn node_id(nodes: &[swarmdeck::domain::Node], host: &str) -> NodeId {
    nodes
        .iter()
        .find(|n| n.hostname == host)
        .unwrap_or_else(|| panic!("node {host}"))
        .id
        .clone()
}

/// `n` failed tasks of a service, the last `exit` ending `ago` seconds before `now`.
fn crashes(service: &Service, n: usize, now: Timestamp, exit: i64) -> Vec<Task> {
    (0..n)
        .map(|i| Task {
            id: TaskId(format!("crash{i}")),
            service_id: service.id.clone(),
            slot: Some(1),
            desired: TaskState::Shutdown,
            state: TaskState::Failed,
            since: Some(now - SignedDuration::from_secs(10 * (n - i) as i64)),
            error: "task: non-zero exit (1)".into(),
            exit_code: Some(exit),
            ..Task::default()
        })
        .collect()
}

/// The recorded swarm read again at the app's time (data stays fresh).
fn reread(app: &mut App) {
    let nodes = app.store.nodes.clone();
    let services = app.store.services.clone();
    let tasks = app.store.live_tasks.clone();
    app.apply(EngineMsg::Nodes(nodes));
    app.apply(EngineMsg::Services(services));
    app.apply(EngineMsg::Tasks {
        scope: TaskScope::Live,
        tasks,
    });
}

fn later(app: &mut App, secs: i64) {
    let t = app.now + SignedDuration::from_secs(secs);
    app.tick(t);
}

/// Where `needle` starts on screen.
fn find(buf: &Buffer, needle: &str) -> Option<(u16, u16)> {
    let t = text(buf);
    let n: Vec<char> = needle.chars().collect();
    for (y, line) in t.lines().enumerate() {
        let chars: Vec<char> = line.chars().collect();
        if let Some(x) = chars.windows(n.len()).position(|w| w == n.as_slice()) {
            return Some((x as u16, y as u16));
        }
    }
    None
}

fn set_node(app: &mut App, host: &str, state: NodeState, reach: Reachability) {
    let mut nodes = app.store.nodes.clone();
    let n = nodes.iter_mut().find(|n| n.hostname == host).expect("node");
    n.state = state;
    n.manager.as_mut().expect("manager").reachability = reach;
    app.apply(EngineMsg::Nodes(nodes));
}

#[test]
fn no_alert_no_bar() {
    let app = common::populated_app();
    // fx-pinned is below desired, but not for 30 s yet
    assert!(app.store.alerts.is_empty(), "{:?}", app.store.alerts);
    let buf = render(&app, 80, 24);
    assert_eq!(find(&buf, "╭ nodes"), Some((0, 3)), "{}", text(&buf));
}

#[test]
fn the_bar_shows_two_alerts_worst_first() {
    let mut app = common::populated_app();
    let web = service(&app, "fx-web").clone();
    app.apply(EngineMsg::TasksEnded(crashes(&web, 4, app.now, 1)));
    later(&mut app, 45);
    reread(&mut app);
    let texts: Vec<&str> = app.store.alerts.iter().map(|a| a.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "fx-web: 4 restarts in 5 min, last exit 1",
            "fx-pinned: 0/1 running for 45 s"
        ]
    );
    let buf = render(&app, 80, 24);
    insta::assert_snapshot!("alerts_bar_two_80x24", text(&buf));
    // right under the header; the panes one line lower
    assert_eq!(find(&buf, "fx-web: 4 restarts"), Some((1, 3)));
    assert_eq!(find(&buf, "╭ nodes"), Some((0, 4)));
    let theme = Theme::builtin_default();
    let (x, y) = find(&buf, "fx-web: 4 restarts").expect("critical drawn");
    assert_eq!(buf[(x, y)].fg, theme.danger.fg.unwrap_or_default());
    assert!(buf[(x, y)].modifier.contains(Modifier::BOLD));
    let (x, y) = find(&buf, "fx-pinned: 0/1").expect("warning drawn");
    assert_eq!(buf[(x, y)].fg, theme.warn.fg.unwrap_or_default());
    assert!(find(&buf, " · fx-pinned").is_some());
    assert!(find(&buf, "more").is_none());

    // five minutes on, the restarts are old: the crash loop clears
    later(&mut app, 300);
    reread(&mut app);
    let keys: Vec<&str> = app.store.alerts.iter().map(|a| a.key.as_str()).collect();
    assert!(
        keys.iter().all(|k| !k.starts_with("crash-loop:")),
        "{keys:?}"
    );
}

#[test]
fn many_alerts_end_with_how_many_more() {
    let mut app = common::populated_app();
    let web = service(&app, "fx-web").clone();
    app.apply(EngineMsg::TasksEnded(crashes(&web, 3, app.now, 1)));
    set_node(
        &mut app,
        "node2",
        NodeState::Down,
        Reachability::Unreachable,
    );
    let node3 = node_id(&app.store.nodes, "node3");
    app.store.reach.insert(
        node3,
        Reach {
            target: "198.51.100.13:2377".into(),
            failures: 2,
            failing_since: Some(app.now),
            error: "no answer within 800 ms".into(),
        },
    );
    later(&mut app, 40);
    reread(&mut app);
    let alerts = &app.store.alerts;
    assert_eq!(alerts.len(), 6, "{alerts:#?}");
    assert_eq!(
        alerts.iter().map(|a| a.severity).collect::<Vec<_>>(),
        [
            Severity::Critical,
            Severity::Critical,
            Severity::Critical,
            Severity::Critical,
            Severity::Warning,
            Severity::Warning
        ]
    );
    let buf = render(&app, 80, 24);
    insta::assert_snapshot!("alerts_bar_many_80x24", text(&buf));
    let bar: String = text(&buf).lines().nth(3).expect("bar line").to_string();
    assert!(bar.starts_with(" node2 down (engine)"), "{bar}");
    assert!(bar.trim_end().ends_with("more"), "{bar}");
    // what is shown and what is counted add up
    let shown = bar.matches(" · ").count(); // separators: shown - 1, and one before "+N"
    let more: usize = bar
        .rsplit('+')
        .next()
        .and_then(|t| t.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("+N more");
    assert_eq!(shown + more, alerts.len(), "{bar}");
    // wide enough, every one fits
    let buf = render(&app, 400, 40);
    let bar: String = text(&buf).lines().nth(3).expect("bar line").to_string();
    for a in alerts {
        assert!(bar.contains(&a.text), "{} not in {bar}", a.text);
    }
    assert!(!bar.contains("more"), "{bar}");
}

#[test]
fn the_bell_rings_once_for_a_new_critical_alert() {
    let mut app = common::populated_app();
    assert_eq!(app.bells, 0);
    set_node(
        &mut app,
        "node2",
        NodeState::Down,
        Reachability::Unreachable,
    );
    assert_eq!(app.bells, 1, "{:?}", app.store.alerts);
    for _ in 0..10 {
        later(&mut app, 1);
        reread(&mut app);
    }
    assert_eq!(app.bells, 1, "never twice while it stays active");
    // back up: the alerts clear
    set_node(&mut app, "node2", NodeState::Ready, Reachability::Reachable);
    assert!(app.store.alerts.is_empty(), "{:?}", app.store.alerts);
    // down again, later: a new alert, a new bell
    later(&mut app, 10);
    set_node(
        &mut app,
        "node2",
        NodeState::Down,
        Reachability::Unreachable,
    );
    assert_eq!(app.bells, 2);
    // another one 2 s later is heard with the first
    later(&mut app, 2);
    set_node(
        &mut app,
        "node3",
        NodeState::Down,
        Reachability::Unreachable,
    );
    assert_eq!(app.bells, 2);
    // a warning never rings
    let mut app = common::populated_app();
    later(&mut app, 40);
    assert_eq!(app.store.alerts.len(), 1, "fx-pinned below desired");
    assert_eq!(app.bells, 0);
}

#[test]
fn no_bell_when_turned_off() {
    let mut app = common::populated_app();
    app.bell.enabled = false;
    set_node(
        &mut app,
        "node2",
        NodeState::Down,
        Reachability::Unreachable,
    );
    assert!(!app.store.alerts.is_empty());
    assert_eq!(app.bells, 0);
}

#[test]
fn below_desired_is_timed_from_when_it_fell_below() {
    let mut app = common::populated_app();
    let start = app.now;
    let pinned = service(&app, "fx-pinned").id.clone();
    assert_eq!(app.store.below_since.get(&pinned), Some(&start));
    assert_eq!(app.store.below_since.len(), 1, "jobs are never below");
    later(&mut app, 20);
    reread(&mut app);
    assert_eq!(app.store.below_since.get(&pinned), Some(&start), "kept");
    // placed at last: forgotten
    let mut services = app.store.services.clone();
    let s = services
        .iter_mut()
        .find(|s| s.id == pinned)
        .expect("pinned");
    s.running = 1;
    app.apply(EngineMsg::Services(services));
    assert!(app.store.below_since.is_empty());
    // the configured time
    let mut app = common::populated_app();
    app.store.alert_cfg.below_desired_secs = 5;
    later(&mut app, 4);
    assert!(app.store.alerts.is_empty());
    later(&mut app, 1);
    assert_eq!(app.store.alerts[0].text, "fx-pinned: 0/1 running for 5 s");
}

#[test]
fn a_change_in_alerts_marks_the_header() {
    let mut app = common::populated_app();
    let web = service(&app, "fx-web").clone();
    let now = app.now;
    let changed = app
        .store
        .apply(EngineMsg::TasksEnded(crashes(&web, 2, now, 1)), now);
    assert!(
        !changed.conn,
        "two restarts: no alert, nothing for the header"
    );
    let mut more = crashes(&web, 3, now, 1);
    more[0].id = TaskId("another".into());
    let changed = app.store.apply(EngineMsg::TasksEnded(more), now);
    assert!(changed.conn, "a crash loop: the header changes");
    // crash0 and crash1 again, another and crash2: four distinct tasks
    assert_eq!(
        app.store.alerts[0].text,
        "fx-web: 4 restarts in 5 min, last exit 1"
    );
}

// ---------------------------------------------------------------- status

fn healthy_snapshot() -> Snapshot {
    let mut services = common::services();
    services.retain(|s| s.name != "fx-pinned");
    Snapshot {
        info: common::info(),
        nodes: common::nodes(),
        services,
        tasks: common::tasks(),
        unreadable: vec![],
    }
}

#[test]
fn status_reports_a_crash_loop_and_an_unreachable_node() {
    let snap = healthy_snapshot();
    let now = common::fixture_now();
    let r = Report::judge(common::ENDPOINT, &snap, &Seen::default(), now);
    assert_eq!(
        (r.health, r.exit_code),
        (Health::Healthy, 0),
        "{:?}",
        r.alerts
    );
    assert!(r.alerts.is_empty());

    let web = snap
        .services
        .iter()
        .find(|s| s.name == "fx-web")
        .expect("fx-web");
    let mut seen = Seen {
        ended: crashes(web, 4, now, 137),
        ..Seen::default()
    };
    seen.reach.insert(
        node_id(&snap.nodes, "node2"),
        Reach {
            target: "198.51.100.12:2377".into(),
            failures: 2,
            failing_since: Some(now),
            error: "connection refused".into(),
        },
    );
    let r = Report::judge(common::ENDPOINT, &snap, &seen, now);
    assert_eq!((r.health, r.exit_code), (Health::Degraded, 1));
    let texts: Vec<&str> = r.alerts.iter().map(|a| a.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "node2 unreachable from here (2 probes of 198.51.100.12:2377 failed)",
            "fx-web: 4 restarts in 5 min, last exit 137"
        ]
    );
    let out = r.text();
    assert!(
        out.contains(
            "alert: [critical] node2 unreachable from here (2 probes of 198.51.100.12:2377 failed)\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("alert: [critical] fx-web: 4 restarts in 5 min, last exit 137\n"),
        "{out}"
    );
    let json = serde_json::to_value(&r).expect("JSON");
    assert_eq!(json["alerts"][0]["severity"], "critical");
    assert_eq!(
        json["alerts"][1]["key"],
        format!("crash-loop:{}", web.id).as_str()
    );

    // the restarts are old: only the unreachable node is left
    let r = Report::judge(
        common::ENDPOINT,
        &snap,
        &seen,
        now + SignedDuration::from_secs(600),
    );
    assert_eq!(r.alerts.len(), 1, "{:?}", r.alerts);
}

#[test]
fn status_exit_codes_follow_the_alerts() {
    let now = common::fixture_now();
    // below desired: a warning at once (status has no history)
    let mut snap = healthy_snapshot();
    snap.services = common::services();
    let r = Report::judge(common::ENDPOINT, &snap, &Seen::default(), now);
    assert_eq!(r.exit_code, 1);
    assert_eq!(r.alerts[0].text, "fx-pinned: 0/1 running");
    assert_eq!(r.alerts[0].severity, Severity::Warning);

    // no leader in the list: no quorum (2), the alert says so
    let mut snap = healthy_snapshot();
    for n in &mut snap.nodes {
        if let Some(m) = &mut n.manager {
            m.leader = false;
        }
    }
    let r = Report::judge(common::ENDPOINT, &snap, &Seen::default(), now);
    assert_eq!((r.health, r.exit_code), (Health::NoQuorum, 2));
    assert_eq!(r.alerts[0].text, "no leader — election in progress");
    assert!(
        r.text().contains("alert: [critical] no leader"),
        "{}",
        r.text()
    );

    // quorum lost: 2
    let mut snap = healthy_snapshot();
    for n in snap.nodes.iter_mut().filter(|n| !n.is_leader()) {
        n.state = NodeState::Down;
        n.manager.as_mut().expect("manager").reachability = Reachability::Unreachable;
    }
    let r = Report::judge(common::ENDPOINT, &snap, &Seen::default(), now);
    assert_eq!(r.exit_code, 2);
    assert_eq!(
        r.alerts[0].text,
        "quorum lost: 1/3 managers reachable, 2 needed"
    );
    // a worst-first list
    assert!(r.text().find("alert: [critical]") < r.text().find("problem:"));
}
