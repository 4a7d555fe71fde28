//! The event timeline (`:events`): the popup drawn from a recorded story (node2 killed and
//! restored), its filters, live updates, and the file behind it.

mod common;

use jiff::SignedDuration;
use jiff::tz::TimeZone;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::KeyCode;
use swarmdeck::app::App;
use swarmdeck::domain::{NodeState, Reachability, ServiceMode, TaskState};
use swarmdeck::engine::EngineMsg;
use swarmdeck::health::timeline::{Event, Kind, Severity};
use swarmdeck::view::events::EventsView;
use swarmdeck::vip::watch::VipMsg;
use swarmdeck::vip::{Method, Ownership, VipObservation, VipSource, VipSpec};

use common::{key, render, text, type_str};

/// The clock `secs` after the fixture's "now".
fn at(app: &mut App, secs: i64) {
    app.tick(common::fixture_now() + SignedDuration::from_secs(secs));
}

fn vip_seen(app: &mut App, ownership: Ownership) {
    let at = app.now;
    app.apply_vip(VipMsg::Observed(vec![VipObservation {
        addr: "198.51.100.100".parse().expect("an address"),
        ownership,
        reachable: None,
        port: 80,
        at,
    }]));
}

fn owner(host: &str) -> Ownership {
    Ownership::Owner {
        hostname: host.into(),
        method: Method::ArpProbe {
            iface: "eth0".into(),
            mac: "02:42:c6:33:64:0c".parse().expect("a MAC"),
        },
    }
}

/// The recorded swarm, then node2 (holding the VIP) killed and restored: the events as the
/// store makes them from each list, and the suspicions and the failover as the probe
/// watcher and the engine push them.
fn story() -> App {
    let mut app = common::populated_app();
    app.tz = TimeZone::UTC;
    app.set_vips(vec![VipSpec {
        addr: "198.51.100.100".parse().expect("an address"),
        port: 80,
        source: VipSource::Cli,
    }]);
    vip_seen(&mut app, owner("node2"));
    let up = common::nodes();
    let node2 = up
        .iter()
        .position(|n| n.hostname == "node2")
        .expect("node2 in the fixture");

    at(&mut app, 1);
    let now = app.now;
    app.store.timeline.push(
        now,
        Kind::Suspicion,
        Severity::Warn,
        "node2",
        "node2 unreachable from here (2 probes of 198.51.100.12:2377 failed: connection refused)",
    );
    at(&mut app, 2);
    vip_seen(
        &mut app,
        Ownership::NoOwner {
            why: "nobody answers ARP for it on eth0".into(),
        },
    );
    at(&mut app, 3);
    vip_seen(&mut app, owner("node1"));

    at(&mut app, 6);
    let mut down = up.clone();
    down[node2].state = NodeState::Down;
    down[node2].state_message = "heartbeat failure".into();
    down[node2]
        .manager
        .as_mut()
        .expect("node2 is a manager")
        .reachability = Reachability::Unreachable;
    app.apply(EngineMsg::Nodes(down));

    at(&mut app, 8);
    let mut ended: Vec<_> = common::tasks()
        .into_iter()
        .filter(|t| t.id.as_str().starts_with("t89pzfrun65m"))
        .collect();
    ended[0].desired = TaskState::Shutdown;
    let mut crashed = ended[0].clone();
    crashed.slot = Some(1);
    crashed.id = swarmdeck::domain::TaskId("k2crash0000000000000000000".into());
    crashed.node_id = up
        .iter()
        .find(|n| n.hostname == "node3")
        .map(|n| n.id.clone());
    crashed.state = TaskState::Failed;
    crashed.exit_code = Some(1);
    crashed.error = "task: non-zero exit (1)".into();
    ended.push(crashed);
    app.apply(EngineMsg::TasksEnded(ended));

    at(&mut app, 20);
    let now = app.now;
    app.store.timeline.push(
        now,
        Kind::Connection,
        Severity::Warn,
        "tcp://198.51.100.11:2376",
        "failed over from tcp://198.51.100.12:2376 to tcp://198.51.100.11:2376",
    );

    at(&mut app, 31);
    let mut services = common::services();
    let web = services
        .iter_mut()
        .find(|s| s.name == "fx-web")
        .expect("fx-web in the fixture");
    web.version += 1;
    web.mode = ServiceMode::Replicated { replicas: 4 };
    app.apply(EngineMsg::Services(services));

    at(&mut app, 45);
    app.apply(EngineMsg::Nodes(up));
    at(&mut app, 46);
    let now = app.now;
    app.store.timeline.push(
        now,
        Kind::Suspicion,
        Severity::Info,
        "node2",
        "node2 reachable from here again",
    );
    at(&mut app, 60);
    app.dirty = false;
    app
}

fn open(app: &mut App, cmd: &str) {
    key(app, KeyCode::Char(':'));
    type_str(app, &format!("{cmd}\n"));
}

fn view(app: &App) -> &EventsView {
    app.top_as::<EventsView>()
        .expect("the events popup is on top")
}

/// Where `needle` is on the screen.
fn find(buf: &Buffer, needle: &str) -> Option<(u16, u16)> {
    let n: Vec<char> = needle.chars().collect();
    text(buf).lines().enumerate().find_map(|(y, line)| {
        let chars: Vec<char> = line.chars().collect();
        let x = chars.windows(n.len()).position(|w| w == n.as_slice())?;
        Some((x as u16, y as u16))
    })
}

/// The events' texts shown, top to bottom (wide enough for every text to fit).
fn shown(app: &App) -> Vec<String> {
    let screen = text(&render(app, 200, 60));
    screen
        .lines()
        .filter_map(|line| {
            app.store
                .timeline
                .events
                .iter()
                .find(|e| line.contains(&format!(" {} ", e.text)))
                .map(|e| e.text.clone())
        })
        .collect()
}

#[test]
fn the_story_in_order() {
    let app = story();
    let texts: Vec<&str> = app
        .store
        .timeline
        .events
        .iter()
        .map(|e| e.text.as_str())
        .collect();
    let connected = format!("connected to {}", common::ENDPOINT);
    assert_eq!(
        texts,
        [
            connected.as_str(),
            "node2 unreachable from here (2 probes of 198.51.100.12:2377 failed: connection refused)",
            "VIP 198.51.100.100 node2 → no owner: nobody answers ARP for it on eth0",
            "VIP 198.51.100.100 no owner → node1",
            "node2 down (the engine: heartbeat failure)",
            "manager node2 unreachable (the other managers cannot reach it)",
            "fx-web.2 lost with its node on node2: Swarm starts it elsewhere (task t89pzfrun65m)",
            "fx-web.1 failed on node3: exit 1 (task k2crash00000)",
            "failed over from tcp://198.51.100.12:2376 to tcp://198.51.100.11:2376",
            "fx-web updated: replicas 3 → 4",
            "node2 ready again (was down)",
            "manager node2 reachable again",
            "node2 reachable from here again",
        ]
    );
}

#[test]
fn the_popup() {
    let mut app = story();
    open(&mut app, "events");
    assert_eq!(app.popup_names(), ["events"]);
    for (w, h) in [(80, 24), (140, 40)] {
        insta::assert_snapshot!(format!("events_{w}x{h}"), text(&render(&app, w, h)));
    }
    // severity colours from the theme
    let theme = swarmdeck::theme::Theme::builtin_default();
    let buf = render(&app, 140, 40);
    let (x, y) = find(&buf, "node2 down (the engine").expect("on screen");
    assert_eq!(
        buf[(x, y)].fg,
        theme.danger.fg.expect("a colour"),
        "critical: danger"
    );
    let (x, y) = find(&buf, "fx-web.1 failed").expect("on screen");
    assert_eq!(
        buf[(x, y)].fg,
        theme.warn.fg.expect("a colour"),
        "warn: warn"
    );
    let (x, y) = find(&buf, "fx-web updated").expect("on screen");
    assert_eq!(
        buf[(x, y)].fg,
        theme.text.fg.unwrap_or_default(),
        "info: text"
    );
    // newest first
    let down = find(&buf, "node2 down (the engine").expect("on screen");
    let ready = find(&buf, "node2 ready again").expect("on screen");
    assert!(ready.1 < down.1, "newest first");
    key(&mut app, KeyCode::Esc);
    assert!(app.popups.is_empty(), "Esc closes");
}

#[test]
fn slash_filters() {
    let mut app = story();
    open(&mut app, "events");
    let all = view(&app).list().shown();
    assert_eq!(all, app.store.timeline.events.len());
    key(&mut app, KeyCode::Char('/'));
    type_str(&mut app, "reachable\n");
    assert_eq!(app.popup_names(), ["events"], "the filter prompt closed");
    assert_eq!(view(&app).list().filter(), "reachable");
    assert_eq!(
        shown(&app),
        [
            "node2 reachable from here again",
            "manager node2 reachable again",
            "manager node2 unreachable (the other managers cannot reach it)",
            "node2 unreachable from here (2 probes of 198.51.100.12:2377 failed: connection refused)",
        ]
    );
    assert_eq!(view(&app).list().shown(), 4);
    let buf = render(&app, 140, 40);
    assert!(find(&buf, "/reachable").is_some(), "the filter is shown");
    // the kind's word is matched too (the prompt opens with the filter selected: typing
    // replaces it)
    key(&mut app, KeyCode::Char('/'));
    type_str(&mut app, "suspicion\n");
    assert_eq!(view(&app).list().filter(), "suspicion");
    assert_eq!(view(&app).list().shown(), 2);
    // Esc clears the filter, then closes
    key(&mut app, KeyCode::Esc);
    assert_eq!(view(&app).list().shown(), all);
    key(&mut app, KeyCode::Esc);
    assert!(app.popups.is_empty());
}

#[test]
fn a_kind_prefilters() {
    let mut app = story();
    open(&mut app, "events vip");
    assert_eq!(view(&app).kind(), Some(Kind::Vip));
    assert_eq!(
        shown(&app),
        [
            "VIP 198.51.100.100 no owner → node1",
            "VIP 198.51.100.100 node2 → no owner: nobody answers ARP for it on eth0",
        ]
    );
    let buf = render(&app, 140, 40);
    assert!(find(&buf, "events: vip (2, newest first)").is_some());
    key(&mut app, KeyCode::Esc);

    open(&mut app, "events suspicion");
    assert_eq!(view(&app).list().shown(), 2);
    key(&mut app, KeyCode::Esc);
    open(&mut app, "events leader");
    let buf = render(&app, 140, 40);
    assert!(find(&buf, "no event of this kind yet").is_some());
    key(&mut app, KeyCode::Esc);

    open(&mut app, "events bogus");
    assert!(app.popups.is_empty(), "an unknown kind opens nothing");
    let notice = app.current_notice().expect("a notice").text.clone();
    assert!(
        notice.contains(":events bogus: no such kind")
            && notice.contains("node, leader, service, task, vip, connection, suspicion"),
        "{notice}"
    );
}

#[test]
fn the_popup_follows_the_timeline() {
    let mut app = story();
    open(&mut app, "events");
    let n = app.store.timeline.events.len();
    // on the newest row: the newest stays selected as events arrive
    at(&mut app, 70);
    let mut nodes = common::nodes();
    nodes[2].availability = swarmdeck::domain::Availability::Drain;
    app.apply(EngineMsg::Nodes(nodes.clone()));
    assert_eq!(view(&app).list().shown(), n + 1, "shown while open");
    assert_eq!(view(&app).list().selected(), Some(0), "the newest");
    assert_eq!(shown(&app)[0], "node3 availability active → drain");
    // on an older row: the selection stays on its event
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Char('j'));
    let id = view(&app)
        .list()
        .selected_id()
        .expect("a selection")
        .to_string();
    nodes[2].availability = swarmdeck::domain::Availability::Active;
    app.apply(EngineMsg::Nodes(nodes));
    assert_eq!(view(&app).list().selected_id(), Some(id.as_str()));
    assert_eq!(view(&app).list().selected(), Some(3));
    // an event pushed with no data change (a probe's) shows on the next tick
    let now = app.now;
    app.store.timeline.push(
        now,
        Kind::Suspicion,
        Severity::Warn,
        "node1",
        "node1 unreachable from here",
    );
    at(&mut app, 71);
    assert_eq!(view(&app).list().shown(), n + 3);
    assert!(app.dirty, "redrawn");
}

#[test]
fn the_file_and_a_restart() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("swarmdeck/events.jsonl");
    let mut app = story();
    app.events_log = Some(path.clone());
    app.write_events();
    assert!(app.store.timeline.unwritten.is_empty(), "taken");
    let written: Vec<Event> = app.store.timeline.events.iter().cloned().collect();
    drop(app); // the writer finishes what was queued
    let text = std::fs::read_to_string(&path).expect("the file was written");
    let back: Vec<Event> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line an event"))
        .collect();
    assert_eq!(back, written);

    // a restarted dashboard (the next day) reads it back, dim and dated
    let mut app = common::populated_app();
    app.tz = TimeZone::UTC;
    app.events_log = Some(path.clone());
    app.load_events();
    assert_eq!(app.store.timeline.earlier, written.len());
    let queued: Vec<&str> = app
        .store
        .timeline
        .unwritten
        .iter()
        .map(|e| e.text.as_str())
        .collect();
    assert_eq!(
        queued,
        [format!("connected to {}", common::ENDPOINT)],
        "only this run's own connection is queued: the loaded ones are not written again"
    );
    app.tick(common::fixture_now() + SignedDuration::from_hours(24));
    open(&mut app, "events");
    let buf = render(&app, 140, 40);
    let (x, y) = find(&buf, "node2 down (the engine").expect("on screen");
    let theme = swarmdeck::theme::Theme::builtin_default();
    assert_eq!(buf[(x, y)].style().add_modifier, theme.muted.add_modifier);
    assert_eq!(buf[(x, y)].fg, theme.muted.fg.unwrap_or_default());
    let day = written[0]
        .at
        .to_zoned(TimeZone::UTC)
        .strftime("%Y-%m-%d ")
        .to_string();
    assert!(text_of(&buf).contains(&day), "dated: {day}");
    assert!(find(&buf, "dim: before this start").is_some());
    // the populated app's own writer is never started without a path
    let mut app = common::populated_app();
    at(&mut app, 5);
    app.apply(EngineMsg::Nodes(Vec::new()));
    app.write_events();
    assert!(
        app.store.timeline.unwritten.is_empty(),
        "dropped: memory stays bounded"
    );
}

fn text_of(buf: &Buffer) -> String {
    text(buf)
}
