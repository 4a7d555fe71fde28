//! `:cluster`, `:networks` and `:volumes` from the JSON recorded from the lab
//! (tests/fixtures/engine-swarm.json, engine-networks.json, engine-volumes.json and the
//! resource services, tasks and nodes): snapshots at 80×24 and 140×40 with the tokens
//! masked, the reveal's 30 s, the copied join command, the rotate confirm (absent in
//! readonly mode), the network refusals and the create form's checks, the volume flag.

mod common;

use bollard::models as bm;
use jiff::{SignedDuration, Timestamp};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::Value;
use swarmdeck::app::{App, Outgoing};
use swarmdeck::domain::cluster::JoinRole;
use swarmdeck::domain::{Node, NodeId, Service, Task, convert};
use swarmdeck::engine::cluster::{ClusterAnswer, ClusterCmd};
use swarmdeck::engine::write::WriteOutcome;
use swarmdeck::engine::{EngineCmd, EngineMsg, TaskScope, WriteChange, WriteRequest, WriteTarget};
use swarmdeck::keymap::{KeyTable, Keymap};
use swarmdeck::view::cluster::ClusterView;
use swarmdeck::view::networks::NetworksView;
use swarmdeck::view::volumes::VolumesView;

use common::{fixture, key, render, text, type_str};

fn json(name: &str) -> Value {
    serde_json::from_str(&fixture(name)).expect("fixture is JSON")
}

/// The newest task time of the resource recording plus a minute.
fn now() -> Timestamp {
    let newest: Timestamp = "2026-12-01T20:28:29Z".parse().expect("a time");
    newest + SignedDuration::from_secs(60)
}

const WORKER: &str =
    "SWMTKN-1-4uoivxanoyu84859gm0hokmwy3cvlc6pjn8jag0bn8vo13pwkz-0wuq2mllwmb7whrsvfc54pv9b";
const MANAGER: &str =
    "SWMTKN-1-4uoivxanoyu84859gm0hokmwy3cvlc6pjn8jag0bn8vo13pwkz-72paaksdk0mp9qk6ul3goz5vv";
/// The secret part of each token: what must never be on screen unless revealed.
const WORKER_SECRET: &str = "0wuq2mllwmb7whrsvfc54pv9b";
const MANAGER_SECRET: &str = "72paaksdk0mp9qk6ul3goz5vv";

/// An app fed with the resource recording (connected to node1), in readonly mode or not.
fn app_with(readonly: bool) -> App {
    let keymap = Keymap::new(&KeyTable::default(), readonly).expect("keymap");
    let mut app = App::new(keymap, now());
    app.readonly = readonly;
    let mut info = common::info();
    // the recording's node1
    info.node_id = NodeId("fd1xjf73jsyu0oindcc0bue7q".into());
    app.apply(EngineMsg::Connected {
        endpoint: common::ENDPOINT.into(),
        info,
    });
    let nodes: Vec<bm::Node> =
        serde_json::from_str(&fixture("engine-nodes-resources.json")).expect("nodes");
    let mut nodes: Vec<Node> = nodes.into_iter().map(Node::from).collect();
    nodes.sort_by(|a, b| a.hostname.cmp(&b.hostname));
    app.apply(EngineMsg::Nodes(nodes));
    let services: Vec<bm::Service> =
        serde_json::from_str(&fixture("engine-services-resources.json")).expect("services");
    app.apply(EngineMsg::Services(
        services.into_iter().map(Service::from).collect(),
    ));
    let tasks: Vec<bm::Task> =
        serde_json::from_str(&fixture("engine-tasks-resources.json")).expect("tasks");
    // what the live poll reads: desired running, ready or accepted
    let live: Vec<Task> = tasks
        .into_iter()
        .map(Task::from)
        .filter(|t| matches!(t.desired.as_str(), "running" | "ready" | "accepted"))
        .collect();
    app.apply(EngineMsg::Tasks {
        scope: TaskScope::Live,
        tasks: live,
    });
    app.outbox.clear();
    app.dirty = false;
    app
}

/// The resource commands the app queued (and forget the rest of the outbox).
fn cluster_cmds(app: &mut App) -> Vec<(u64, ClusterCmd)> {
    app.outbox
        .drain(..)
        .filter_map(|o| match o {
            Outgoing::Engine(EngineCmd::Cluster { seq, cmd }) => Some((seq, cmd)),
            _ => None,
        })
        .collect()
}

fn writes(app: &mut App) -> Vec<WriteRequest> {
    app.outbox
        .drain(..)
        .filter_map(|o| match o {
            Outgoing::Engine(EngineCmd::Write(w)) => Some(w),
            _ => None,
        })
        .collect()
}

/// Answer the one resource command queued, as the engine would.
fn answer(app: &mut App, want: ClusterCmd, answer: ClusterAnswer) {
    let cmds = cluster_cmds(app);
    let seq = cmds
        .iter()
        .find(|(_, c)| *c == want)
        .unwrap_or_else(|| panic!("no {want:?} queued: {cmds:?}"))
        .0;
    app.apply(EngineMsg::ClusterDone {
        seq,
        answer: Box::new(answer),
    });
}

fn open_cluster(readonly: bool) -> App {
    let mut app = app_with(readonly);
    app.run_command("cluster");
    assert_eq!(app.popup_names(), ["cluster"]);
    let swarm = convert::swarm_info(&json("engine-swarm.json"));
    answer(
        &mut app,
        ClusterCmd::Swarm,
        ClusterAnswer::Swarm(Ok(Box::new(swarm))),
    );
    app
}

fn screen(app: &App, w: u16, h: u16) -> String {
    text(&render(app, w, h))
}

fn cluster(app: &App) -> &ClusterView {
    app.top_as::<ClusterView>().expect("the cluster popup")
}

fn notices(app: &App) -> String {
    app.notices
        .iter()
        .map(|n| n.text.clone())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_cluster_popup_with_the_tokens_masked() {
    let app = open_cluster(false);
    for (w, h) in [(80, 24), (140, 40)] {
        let s = screen(&app, w, h);
        assert!(s.contains("SWMTKN-1-••••"), "{s}");
        assert!(
            !s.contains(WORKER_SECRET) && !s.contains(MANAGER_SECRET),
            "no token on screen: {s}"
        );
        insta::assert_snapshot!(format!("cluster_{w}x{h}"), s);
    }
    let s = screen(&app, 140, 40);
    for want in [
        "mvlefp6jwuc8s5k299f60ojnd",
        "2s (a node is marked down",
        "2160h (90d)",
        "CN=swarm-ca, expires 2046-11-26",
        "not in progress",
        "198.51.100.11:2377 (node1's advertise address)",
        "10.0.0.0/8",
        "4789 (VXLAN, UDP)",
        "node1 (connected)",
        "active, not locked",
        "node4 (worker)",
        "advertise 198.51.100.14",
        "node3 (manager, leader)",
    ] {
        assert!(s.contains(want), "{want:?} missing:\n{s}");
    }
}

#[test]
fn r_reveals_a_token_for_30_seconds_then_masks_it_again() {
    let mut app = open_cluster(false);
    assert_eq!(cluster(&app).revealed(), None);
    // the first row is the worker token
    key(&mut app, KeyCode::Char('r'));
    assert_eq!(cluster(&app).revealed(), Some(JoinRole::Worker));
    let s = screen(&app, 140, 40);
    assert!(s.contains(WORKER), "revealed in full: {s}");
    assert!(s.contains("masked again in 30 s"), "{s}");
    assert!(!s.contains(MANAGER_SECRET), "only the one asked for");
    // the countdown moves with the clock
    app.tick(now() + SignedDuration::from_secs(10));
    assert!(screen(&app, 140, 40).contains("masked again in 20 s"));
    // 31 s after: masked again, without a key
    app.tick(now() + SignedDuration::from_secs(31));
    assert_eq!(cluster(&app).revealed(), None);
    let s = screen(&app, 140, 40);
    assert!(!s.contains(WORKER_SECRET), "masked again: {s}");
    // the manager row, and r again masks at once
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Char('r'));
    assert_eq!(cluster(&app).revealed(), Some(JoinRole::Manager));
    assert!(screen(&app, 140, 40).contains(MANAGER));
    key(&mut app, KeyCode::Char('r'));
    assert_eq!(cluster(&app).revealed(), None);
    // on a row that is not a token, r says so and reveals nothing
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Char('r'));
    assert_eq!(cluster(&app).revealed(), None);
    assert!(notices(&app).contains("select the worker or manager token"));
    // nothing revealed went into a notice
    assert!(!notices(&app).contains(WORKER_SECRET) && !notices(&app).contains(MANAGER_SECRET));
}

#[test]
fn c_copies_the_join_command_without_showing_it() {
    let mut app = open_cluster(false);
    key(&mut app, KeyCode::Char('c'));
    assert_eq!(
        app.clipboard,
        vec![format!(
            "docker swarm join --token {WORKER} 198.51.100.11:2377"
        )]
    );
    assert!(
        notices(&app).contains("worker join command copied (the token is not shown)"),
        "{}",
        notices(&app)
    );
    assert!(!notices(&app).contains(WORKER_SECRET));
    assert!(!screen(&app, 140, 40).contains(WORKER_SECRET));
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Char('c'));
    assert_eq!(
        app.clipboard[1],
        format!("docker swarm join --token {MANAGER} 198.51.100.11:2377")
    );
}

#[test]
fn rotate_asks_first_then_writes_through_the_versioned_core() {
    let mut app = open_cluster(false);
    key(&mut app, KeyCode::Char('r'));
    key(&mut app, KeyCode::Char('R'));
    assert_eq!(cluster(&app).confirming(), Some(JoinRole::Worker));
    assert!(writes(&mut app).is_empty(), "nothing written before y");
    let s = screen(&app, 100, 30);
    assert!(s.contains("Rotate the worker join token?"), "{s}");
    // n cancels
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(cluster(&app).confirming(), None);
    assert!(writes(&mut app).is_empty());
    // y rotates: a swarm write, the token masked meanwhile
    key(&mut app, KeyCode::Char('R'));
    key(&mut app, KeyCode::Char('y'));
    let w = writes(&mut app);
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].target, WriteTarget::Swarm);
    assert_eq!(w[0].change, WriteChange::RotateJoinToken(JoinRole::Worker));
    assert_eq!(w[0].action, "rotate worker join token");
    assert!(!format!("{:?}", w[0]).contains(WORKER_SECRET));
    assert_eq!(cluster(&app).revealed(), None);
    assert!(screen(&app, 140, 40).contains("rotating the worker join token"));
    // done: the swarm is read again, for the new token
    let spec = json("engine-swarm.json")["Spec"].clone();
    app.apply(EngineMsg::WriteDone {
        seq: w[0].seq,
        target: WriteTarget::Swarm,
        action: w[0].action.clone(),
        result: Ok(WriteOutcome {
            before: spec.clone(),
            after: spec,
            version: 10,
            attempts: 1,
            noop: false,
        }),
    });
    assert!(notices(&app).contains("worker join token rotated"));
    let again = cluster_cmds(&mut app);
    assert!(
        again.iter().any(|(_, c)| *c == ClusterCmd::Swarm),
        "{again:?}"
    );
}

#[test]
fn readonly_mode_has_no_rotate_but_reveals_and_copies() {
    let mut app = open_cluster(true);
    key(&mut app, KeyCode::Char('R'));
    assert_eq!(cluster(&app).confirming(), None);
    assert!(writes(&mut app).is_empty());
    assert_eq!(app.popup_names(), ["cluster"], "R is no key here at all");
    let s = screen(&app, 140, 40);
    assert!(!s.contains("R rotate"), "not offered: {s}");
    key(&mut app, KeyCode::Char('r'));
    assert_eq!(cluster(&app).revealed(), Some(JoinRole::Worker));
    key(&mut app, KeyCode::Char('c'));
    assert_eq!(app.clipboard.len(), 1);
}

// ------------------------------------------------------------------ networks

fn open_networks(readonly: bool) -> App {
    let mut app = app_with(readonly);
    app.run_command("networks");
    assert_eq!(app.popup_names(), ["networks"]);
    let nets = convert::networks(&json("engine-networks.json"));
    let uses = convert::service_uses(&json("engine-services-resources.json"));
    answer(
        &mut app,
        ClusterCmd::Networks,
        ClusterAnswer::Networks(Ok((nets, uses))),
    );
    app
}

fn networks(app: &App) -> &NetworksView {
    app.top_as::<NetworksView>().expect("the networks popup")
}

fn select_network(app: &mut App, name: &str) {
    key(app, KeyCode::Char('g'));
    for _ in 0..10 {
        if networks(app).selected_name() == Some(name) {
            return;
        }
        key(app, KeyCode::Char('j'));
    }
    panic!("{name} is not listed");
}

fn ctrl_d(app: &mut App) {
    app.on_key(KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL));
}

#[test]
fn the_networks_popup() {
    let mut app = open_networks(false);
    select_network(&mut app, "rx_backend");
    for (w, h) in [(80, 24), (140, 40)] {
        insta::assert_snapshot!(format!("networks_{w}x{h}"), screen(&app, w, h));
    }
    let s = screen(&app, 140, 40);
    assert!(s.contains("10.201.0.0/24 via 10.201.0.1"), "{s}");
    assert!(s.contains("used by rx_db,"), "{s}");
}

#[test]
fn removing_a_used_ingress_or_predefined_network_is_refused() {
    let mut app = open_networks(false);
    for (name, why) in [
        ("rx_backend", "in use by rx_db, rx_web"),
        ("ingress", "routing mesh"),
        ("docker_gwbridge", "cannot be removed"),
        ("host", "cannot be removed"),
    ] {
        select_network(&mut app, name);
        ctrl_d(&mut app);
        let (dialog, sends) = networks(&app).dialog().expect("a dialog");
        assert!(!sends, "{name}: a refusal sends nothing");
        let lines: String = dialog.lines().iter().map(|(_, l)| l.clone()).collect();
        assert!(lines.contains(why), "{name}: {lines}");
        key(&mut app, KeyCode::Enter);
        assert!(networks(&app).dialog().is_none());
        assert!(cluster_cmds(&mut app).is_empty());
    }
    // an unused one: the name typed, then it is sent
    select_network(&mut app, "rx-tools");
    ctrl_d(&mut app);
    assert!(networks(&app).dialog().is_some_and(|(_, sends)| sends));
    key(&mut app, KeyCode::Char('y'));
    key(&mut app, KeyCode::Enter);
    assert!(cluster_cmds(&mut app).is_empty(), "y is not the name");
    key(&mut app, KeyCode::Backspace);
    type_str(&mut app, "rx-tools\n");
    let sent = cluster_cmds(&mut app);
    assert!(
        matches!(&sent[..], [(_, ClusterCmd::RemoveNetwork { name, .. })] if name == "rx-tools"),
        "{sent:?}"
    );
}

#[test]
fn the_create_form_checks_before_anything_is_sent() {
    let mut app = open_networks(false);
    key(&mut app, KeyCode::Char('n'));
    assert!(networks(&app).form().is_some());
    type_str(&mut app, "my.net");
    key(&mut app, KeyCode::Tab);
    type_str(&mut app, "10.201.0.0/16");
    key(&mut app, KeyCode::Tab);
    type_str(&mut app, "10.99.0.1");
    key(&mut app, KeyCode::Enter);
    let form = networks(&app).form().expect("still the form");
    let err = |f: &str| {
        form.field(f)
            .and_then(|x| x.error.clone())
            .unwrap_or_default()
    };
    assert!(err("name").contains("'.'"), "{}", err("name"));
    assert!(err("subnet").contains("overlaps 10.201.0.0/24 of network rx_backend"));
    assert_eq!(form.focus(), 0, "the first wrong field");
    insta::assert_snapshot!("networks_form_80x24", screen(&app, 80, 24));
    assert!(cluster_cmds(&mut app).is_empty(), "nothing sent");
    // fix them: the gateway must be inside the new subnet
    app.on_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    type_str(&mut app, "tools");
    key(&mut app, KeyCode::Tab);
    app.on_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    type_str(&mut app, "10.30.0.0/24");
    key(&mut app, KeyCode::Enter);
    let form = networks(&app).form().expect("still the form");
    assert!(
        form.field("gateway")
            .and_then(|f| f.error.clone())
            .is_some_and(|e| e.contains("not inside 10.30.0.0/24"))
    );
    // the focus is on the wrong field: the gateway
    assert_eq!(networks(&app).form().expect("form").focus(), 2);
    app.on_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    type_str(&mut app, "10.30.0.1\n");
    // the confirm, then y sends it
    assert!(networks(&app).dialog().is_some_and(|(_, sends)| sends));
    assert!(cluster_cmds(&mut app).is_empty(), "nothing before y");
    key(&mut app, KeyCode::Char('y'));
    let sent = cluster_cmds(&mut app);
    match &sent[..] {
        [(seq, ClusterCmd::CreateNetwork(n))] => {
            assert_eq!(n.name, "tools");
            assert_eq!(n.subnet.as_deref(), Some("10.30.0.0/24"));
            assert_eq!(n.gateway.as_deref(), Some("10.30.0.1"));
            // created: a notice and the list read again
            app.apply(EngineMsg::ClusterDone {
                seq: *seq,
                answer: Box::new(ClusterAnswer::Created(Ok(("tools".into(), "abc".into())))),
            });
        }
        other => panic!("{other:?}"),
    }
    assert!(notices(&app).contains("network tools created"));
    assert!(
        cluster_cmds(&mut app)
            .iter()
            .any(|(_, c)| *c == ClusterCmd::Networks)
    );
}

#[test]
fn readonly_mode_has_no_create_or_remove() {
    let mut app = open_networks(true);
    key(&mut app, KeyCode::Char('n'));
    assert!(networks(&app).form().is_none());
    select_network(&mut app, "rx-tools");
    ctrl_d(&mut app);
    assert!(networks(&app).dialog().is_none());
    assert!(cluster_cmds(&mut app).is_empty());
    // and the app refuses a write command whatever asks for it
    assert!(!app.commands().contains(&"deploy"));
}

// ------------------------------------------------------------------ volumes

fn open_volumes() -> App {
    let mut app = app_with(false);
    app.run_command("volumes");
    assert_eq!(app.popup_names(), ["volumes"]);
    let vols = convert::volumes(&json("engine-volumes.json"));
    let uses = convert::service_uses(&json("engine-services-resources.json"));
    answer(
        &mut app,
        ClusterCmd::Volumes,
        ClusterAnswer::Volumes(Ok((vols, uses))),
    );
    app
}

#[test]
fn the_volumes_popup_flags_the_local_volume_spread_over_nodes() {
    let mut app = open_volumes();
    let v = app.top_as::<VolumesView>().expect("the volumes popup");
    let data = &v.declared().rows.declared;
    let rx_data = data.iter().find(|d| d.name == "rx-data").expect("rx-data");
    assert_eq!(rx_data.nodes(), ["node2", "node4"]);
    assert!(
        rx_data
            .flag
            .as_deref()
            .is_some_and(|f| f.contains("each node gets its own empty copy")),
        "{:?}",
        rx_data.flag
    );
    let nfs = data.iter().find(|d| d.name == "rx-nfs").expect("rx-nfs");
    assert!(nfs.flag.is_none(), "NFS options: shared storage");
    assert_eq!(nfs.options["o"], "addr=198.51.100.50");
    // the selected declared volume is the first: rx-data, explained below the lists
    for (w, h) in [(80, 24), (140, 40)] {
        let s = screen(&app, w, h);
        assert!(
            s.contains("volumes of node1's engine only; Swarm has no cluster-wide volume list"),
            "{s}"
        );
        insta::assert_snapshot!(format!("volumes_{w}x{h}"), s);
    }
    let s = screen(&app, 140, 40);
    assert!(s.contains("⚠ each node gets its own empty copy"), "{s}");
    assert!(s.contains("device=:/exports/db"), "{s}");
    // Tab: this engine's list has the keys
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.top_as::<VolumesView>().expect("popup").focus(), 0);
    key(&mut app, KeyCode::Esc);
    assert!(app.popups.is_empty());
}
