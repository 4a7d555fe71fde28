//! `:clusters` from fixed data (no engine): snapshots at 80×24 and 140×40, the checks it asks
//! for (at once, then every 15 s), Enter's switch (the store reset, the header, the timeline,
//! the VIPs), the confirms (a write in flight, an unreachable target) and the refusals.

mod common;

use jiff::{SignedDuration, Timestamp};
use ratatui::crossterm::event::KeyCode;
use swarmdeck::app::{App, Outgoing};
use swarmdeck::clusters::poll::{Checked, PollCmd, Seen};
use swarmdeck::clusters::{Cluster, Clusters, Source};
use swarmdeck::contexts::Origin;
use swarmdeck::domain::quorum::Quorum;
use swarmdeck::engine::connect::Tls;
use swarmdeck::view::clusters::ClustersView;
use swarmdeck::vip::{VipSource, VipSpec};

use common::{ENDPOINT, key, populated_app, render, text};

fn vip(addr: &str) -> VipSpec {
    VipSpec {
        addr: addr.parse().expect("an address"),
        port: 2377,
        source: VipSource::Config,
    }
}

fn cluster(name: &str, source: Source, endpoints: &[&str], vips: &[&str]) -> Cluster {
    Cluster {
        name: name.into(),
        source,
        endpoints: endpoints.iter().map(|s| s.to_string()).collect(),
        endpoint_template: None,
        tls: Tls::Env,
        vips: vips.iter().map(|v| vip(v)).collect(),
        problem: None,
        description: String::new(),
    }
}

const NODE2: &str = "unix:///var/lib/swarmdeck-lab/sdlab/node2/docker.sock";

fn clusters() -> Clusters {
    let mut broken = cluster("broken", Source::Context, &[], &[]);
    broken.problem = Some(
        "docker context \"broken\": /root/.docker/contexts/meta/5e1d/meta.json: not a docker \
         context's meta.json: EOF while parsing an object at line 1 column 1"
            .into(),
    );
    let mut prod = cluster(
        "prod",
        Source::Config,
        &["ssh://admin@prod-1", "ssh://admin@prod-2"],
        &["10.0.0.100"],
    );
    prod.endpoint_template = Some("ssh://admin@{addr}".into());
    Clusters {
        list: vec![
            cluster(
                "default",
                Source::Start(Origin::Flags),
                &[ENDPOINT],
                &["198.51.100.100"],
            ),
            prod,
            cluster(
                "staging",
                Source::Config,
                &["tcp://198.51.100.250:2375"],
                &[],
            ),
            cluster("lab-node2", Source::Context, &[NODE2], &[]),
            broken,
        ],
        current: 0,
    }
}

fn seen(endpoint: &str, leader: &str, quorum: Quorum, down: usize, below: usize) -> Seen {
    Seen {
        endpoint: endpoint.into(),
        leader: Some(leader.into()),
        quorum,
        nodes: 4,
        nodes_down: down,
        services: 5,
        below,
        vips: Vec::new(),
        no_leader: None,
    }
}

const UNREACHABLE: &str = "tcp://198.51.100.250:2375: unreachable: Error in the hyper legacy \
                           client: client error (Connect): tcp connect error: No route to host \
                           (os error 113)";

/// The answers of one round, as the poll task sends them.
fn answers(now: Timestamp) -> Vec<Checked> {
    let at = now - SignedDuration::from_secs(3);
    let mut default = seen(ENDPOINT, "node1", Quorum::new(3, 3), 0, 1);
    default.vips = vec![("198.51.100.100".parse().expect("addr"), "node1".into())];
    let mut prod = seen("ssh://admin@prod-2", "prod-2", Quorum::new(3, 2), 1, 0);
    prod.vips = vec![("10.0.0.100".parse().expect("addr"), "NO OWNER".into())];
    vec![
        Checked {
            index: 0,
            at,
            health: Ok(default),
        },
        Checked {
            index: 1,
            at,
            health: Ok(prod),
        },
        Checked {
            index: 2,
            at,
            health: Err(UNREACHABLE.into()),
        },
        // lab-node2 (3) is still being checked
        Checked {
            index: 4,
            at,
            health: Err(clusters().list[4].problem.clone().expect("a problem")),
        },
    ]
}

/// The populated app with the clusters, `:clusters` open, one round answered.
fn open() -> App {
    let mut app = populated_app();
    app.clusters = clusters();
    app.run_command("clusters");
    for a in answers(app.now) {
        app.apply_clusters(a);
    }
    app
}

fn view(app: &App) -> &ClustersView {
    app.top_as::<ClustersView>()
        .expect("the clusters list is on top")
}

/// The checks asked for since the last look.
fn checks(app: &mut App) -> Vec<Vec<usize>> {
    app.outbox
        .drain(..)
        .filter_map(|o| match o {
            Outgoing::Clusters(PollCmd::Check(t)) => Some(t.into_iter().map(|(i, _)| i).collect()),
            _ => None,
        })
        .collect()
}

#[test]
fn snapshots() {
    let app = open();
    insta::assert_snapshot!("clusters_80x24", text(&render(&app, 80, 24)));
    insta::assert_snapshot!("clusters_140x40", text(&render(&app, 140, 40)));
    // the current one marked, each state in words
    let wide = text(&render(&app, 140, 40));
    let row = |name: &str| {
        wide.lines()
            .find(|l| l.contains('│') && l.contains(&format!("{name} ")))
            .unwrap_or_else(|| panic!("a row for {name}:\n{wide}"))
            .to_string()
    };
    assert!(row("default").contains("● default"), "{wide}");
    assert!(row("default").contains("degraded") && row("default").contains("3/3 tol 1"));
    assert!(row("default").contains("node1"), "the VIP's holder");
    assert!(row("prod").contains("2/3 tol 0") && row("prod").contains("NO OWNER"));
    assert!(row("staging").contains("unreachable"), "{wide}");
    assert!(row("lab-node2").contains("checking…"), "{wide}");
    assert!(row("broken").contains("cannot be used"), "{wide}");
    // the header names the cluster shown
    assert!(
        wide.lines()
            .next()
            .unwrap_or_default()
            .contains("on default"),
        "{wide}"
    );
}

#[test]
fn a_selected_unreachable_cluster_says_why_under_the_list() {
    let mut app = open();
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Char('j'));
    let screen = text(&render(&app, 140, 40));
    assert!(
        screen.contains("staging: config · tcp://198.51.100.250:2375"),
        "{screen}"
    );
    assert!(
        screen.contains("unreachable (3 s ago): tcp://198.51.100.250:2375"),
        "{screen}"
    );
    insta::assert_snapshot!(
        "clusters_unreachable_selected_80x24",
        text(&render(&app, 80, 24))
    );
}

#[test]
fn checks_are_asked_at_once_then_every_15_s_and_ctrl_r() {
    let mut app = populated_app();
    app.clusters = clusters();
    app.run_command("clusters");
    assert_eq!(
        checks(&mut app),
        vec![vec![0, 1, 2, 3, 4]],
        "every cluster at once"
    );
    let t0 = app.now;
    app.tick(t0 + SignedDuration::from_secs(10));
    assert!(checks(&mut app).is_empty(), "not before 15 s");
    app.tick(t0 + SignedDuration::from_secs(15));
    assert_eq!(checks(&mut app).len(), 1, "again after 15 s");
    common::ctrl(&mut app, 'r');
    assert_eq!(checks(&mut app).len(), 1, "Ctrl-r checks now");
    // closed, it asks nothing
    key(&mut app, KeyCode::Esc);
    assert!(app.top_as::<ClustersView>().is_none());
    app.tick(t0 + SignedDuration::from_secs(60));
    assert!(checks(&mut app).is_empty());
}

#[test]
fn enter_switches_and_nothing_of_the_old_cluster_stays() {
    let mut app = open();
    assert!(!app.store.nodes.is_empty());
    app.outbox.clear();
    // prod: reachable at the last check, no write in flight: no question
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Enter);
    let sw = app.switch.take().expect("a switch for the UI loop");
    assert_eq!(sw.name, "prod");
    assert_eq!(sw.endpoints, ["ssh://admin@prod-1", "ssh://admin@prod-2"]);
    assert_eq!(sw.endpoint_template.as_deref(), Some("ssh://admin@{addr}"));
    assert_eq!(sw.vips, vec![vip("10.0.0.100")]);
    assert_eq!(app.clusters.current, 1);
    // the old cluster's rows are gone, the popups closed, the VIPs are prod's
    assert!(app.popups.is_empty());
    assert!(app.store.nodes.is_empty() && app.store.services.is_empty());
    assert!(app.store.live_tasks.is_empty() && app.store.info.is_none());
    let vips: Vec<String> = app
        .store
        .vips
        .iter()
        .map(|v| v.spec.addr.to_string())
        .collect();
    assert_eq!(vips, ["10.0.0.100"]);
    assert!(
        !app.outbox.iter().any(|o| matches!(o, Outgoing::Engine(_))),
        "nothing for the old engine: {:?}",
        app.outbox
    );
    // the timeline notes it
    let last = app.store.timeline.events.back().expect("an event");
    assert_eq!(
        last.text,
        format!("switched from cluster default to prod (ssh://admin@prod-1, ssh://admin@prod-2)")
    );
    let screen = text(&render(&app, 140, 40));
    assert!(
        screen
            .lines()
            .next()
            .unwrap_or_default()
            .contains("on prod"),
        "{screen}"
    );
    assert!(
        !screen.contains("node1"),
        "no row of the old cluster: {screen}"
    );
    // the new engine's answers fill it as usual
    app.apply(swarmdeck::engine::EngineMsg::Connected {
        endpoint: "ssh://admin@prod-1".into(),
        info: common::info(),
    });
    app.apply(swarmdeck::engine::EngineMsg::Nodes(common::nodes()));
    let screen = text(&render(&app, 140, 40));
    assert!(
        screen.contains("node1") && screen.contains("via ssh://admin@prod-1"),
        "{screen}"
    );
}

#[test]
fn an_unreachable_target_or_a_write_in_flight_is_said_first() {
    let mut app = open();
    // staging was unreachable: asked first, and switching is allowed
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Enter);
    assert!(app.switch.is_none());
    let screen = text(&render(&app, 140, 40));
    assert!(screen.contains("Switch to staging?"), "{screen}");
    assert!(
        screen.contains("staging was unreachable 3 s ago"),
        "{screen}"
    );
    assert!(
        screen.contains("will show it unreachable and keep retrying"),
        "{screen}"
    );
    key(&mut app, KeyCode::Char('n'));
    assert!(view(&app).dialog().is_none() && app.switch.is_none());
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('y'));
    assert_eq!(
        app.switch.take().map(|s| s.name).as_deref(),
        Some("staging")
    );

    // a write in flight: asked first, even to a reachable cluster
    let mut app = open();
    app.ops.other_writes.insert(99);
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Enter);
    assert!(app.switch.is_none());
    let screen = text(&render(&app, 140, 40));
    assert!(
        screen.contains("1 write(s) sent to default are not answered yet"),
        "{screen}"
    );
    insta::assert_snapshot!("clusters_confirm_80x24", text(&render(&app, 80, 24)));
    key(&mut app, KeyCode::Char('y'));
    assert_eq!(app.switch.take().map(|s| s.name).as_deref(), Some("prod"));
    assert_eq!(
        app.ops.writes_in_flight(),
        0,
        "the old cluster's writes are not followed"
    );
}

#[test]
fn the_current_one_and_a_broken_context_do_not_switch() {
    let mut app = open();
    key(&mut app, KeyCode::Enter);
    assert!(app.switch.is_none());
    let notice = app
        .current_notice()
        .map(|n| n.text.clone())
        .unwrap_or_default();
    assert!(notice.contains("already shows default"), "{notice}");
    key(&mut app, KeyCode::Char('G'));
    key(&mut app, KeyCode::Enter);
    assert!(app.switch.is_none());
    let screen = text(&render(&app, 140, 40));
    assert!(screen.contains("broken cannot be used"), "{screen}");
    assert!(
        screen.contains("not a docker context's meta.json"),
        "{screen}"
    );
    key(&mut app, KeyCode::Enter);
    assert!(view(&app).dialog().is_none(), "the refusal closes");
    assert!(app.switch.is_none());
}

#[test]
fn a_context_is_named_in_the_header_and_the_error_screen() {
    let mut app = App::new(swarmdeck::keymap::Keymap::default(), common::fixture_now());
    let mut c = clusters();
    c.current = 3;
    app.clusters = c;
    app.apply(swarmdeck::engine::EngineMsg::ConnectFailed {
        errors: vec![swarmdeck::engine::ConnectError::NoSocket {
            endpoint: NODE2.into(),
            path: "/var/lib/swarmdeck-lab/sdlab/node2/docker.sock".into(),
        }],
    });
    let screen = text(&render(&app, 100, 20));
    assert!(
        screen.contains("cannot reach a swarm manager of docker context lab-node2"),
        "{screen}"
    );
    assert!(
        screen.contains(":clusters lists the other clusters"),
        "{screen}"
    );
    let mut app = populated_app();
    let mut c = clusters();
    c.current = 3;
    app.clusters = c;
    let screen = text(&render(&app, 80, 24));
    assert!(
        screen
            .lines()
            .next()
            .unwrap_or_default()
            .contains("lab-node2"),
        "{screen}"
    );
    let screen = text(&render(&app, 140, 40));
    assert!(
        screen
            .lines()
            .next()
            .unwrap_or_default()
            .contains("context lab-node2"),
        "{screen}"
    );
}
