//! Every pane, drawn to a TestBackend at 80×24 and 140×40: populated, empty, error, stale,
//! plus the overlays. Snapshots record characters; styles are asserted cell by cell after.

mod common;

use jiff::SignedDuration;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::KeyCode;
use swarmdeck::app::App;
use swarmdeck::domain::Service;
use swarmdeck::domain::{NodeState, Reachability};
use swarmdeck::engine::{ConnectError, EngineMsg};
use swarmdeck::keymap::Keymap;
use swarmdeck::theme::Theme;
use swarmdeck::ui::LEADER_MARK;
use swarmdeck::view::pane::Selection;

const SIZES: [(u16, u16); 2] = [(80, 24), (140, 40)];

use common::{key, render, text, type_str};

fn snap(name: &str, app: &App) {
    for (w, h) in SIZES {
        let buf = render(app, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), text(&buf));
    }
}

fn selected_service(app: &App) -> Option<&Service> {
    match app.selection("services") {
        Selection::Service(id) => app.store.service(&id),
        _ => None,
    }
}

/// Where `needle` starts on screen.
fn find(buf: &Buffer, needle: &str) -> Option<(u16, u16)> {
    let t = text(buf);
    for (y, line) in t.lines().enumerate() {
        let chars: Vec<char> = line.chars().collect();
        let n: Vec<char> = needle.chars().collect();
        if let Some(x) = chars.windows(n.len()).position(|w| w == n.as_slice()) {
            return Some((x as u16, y as u16));
        }
    }
    None
}

#[test]
fn populated() {
    let app = common::populated_app();
    snap("populated", &app);
    let buf = render(&app, 80, 24);
    let theme = Theme::builtin_default();
    let (x, y) = find(&buf, LEADER_MARK).expect("leader mark drawn");
    assert_eq!(
        buf[(x, y)].fg,
        theme.leader.fg.unwrap_or_default(),
        "leader mark in the leader colour"
    );
    let (x, y) = find(&buf, "live").expect("data age shown");
    assert_eq!(buf[(x, y)].fg, theme.ok.fg.unwrap_or_default());
    assert!(find(&buf, "managers 3/3 reachable").is_some());
    assert!(find(&buf, "tolerates 1 failure").is_some());
}

#[test]
fn empty() {
    let mut app = App::new(Keymap::default(), common::fixture_now());
    app.apply(EngineMsg::Connected {
        endpoint: common::ENDPOINT.into(),
        info: common::info(),
    });
    app.apply(EngineMsg::Nodes(common::nodes()));
    app.apply(EngineMsg::Services(vec![]));
    snap("empty", &app);
    let buf = render(&app, 80, 24);
    assert!(find(&buf, "no services").is_some());
    assert!(find(&buf, "no tasks").is_some());
}

#[test]
fn connect_error() {
    let mut app = App::new(Keymap::default(), common::fixture_now());
    app.apply(EngineMsg::ConnectFailed {
        errors: vec![
            ConnectError::NoSocket {
                endpoint: "unix:///var/run/docker.sock".into(),
                path: "/var/run/docker.sock".into(),
            },
            ConnectError::PermissionDenied {
                endpoint: "unix:///run/user.sock".into(),
                path: "/run/user.sock".into(),
            },
            ConnectError::Worker {
                endpoint: "tcp://198.51.100.14:2375".into(),
                managers: vec!["198.51.100.11:2377".into(), "198.51.100.12:2377".into()],
            },
        ],
    });
    snap("connect_error", &app);
    let buf = render(&app, 80, 24);
    let theme = Theme::builtin_default();
    let (x, y) = find(&buf, "cannot reach").expect("headline");
    assert_eq!(buf[(x, y)].fg, theme.danger.fg.unwrap_or_default());
    assert!(find(&buf, "docker group").is_some());
}

#[test]
fn stale_and_degraded() {
    let mut app = common::populated_app();
    // a follower goes down, then the manager we read from stops answering
    let mut nodes = app.store.nodes.clone();
    let victim = nodes
        .iter_mut()
        .find(|n| !n.is_leader())
        .expect("a follower");
    victim.state = NodeState::Down;
    victim.manager.as_mut().expect("manager").reachability = Reachability::Unreachable;
    app.apply(EngineMsg::Nodes(nodes));
    app.apply(EngineMsg::Lost {
        endpoint: common::ENDPOINT.into(),
        reason: "no answer to 2 pings".into(),
    });
    app.tick(app.now + SignedDuration::from_secs(42));
    assert!(app.is_stale());
    // select the down node: the tasks pane follows it
    let down = app
        .store
        .nodes
        .iter()
        .position(|n| n.is_down())
        .expect("down node");
    for _ in 0..down {
        key(&mut app, KeyCode::Down);
    }
    snap("stale", &app);
    let buf = render(&app, 80, 24);
    let theme = Theme::builtin_default();
    let (x, y) = find(&buf, "stale 42s").expect("stale age shown");
    assert_eq!(buf[(x, y)].fg, theme.danger.fg.unwrap_or_default());
    let (x, y) = find(&buf, "tolerates 0").expect("tolerates 0 shown");
    let x = x + "tolerates ".len() as u16;
    assert_eq!(
        buf[(x, y)].fg,
        theme.danger.fg.unwrap_or_default(),
        "0 tolerated failures is danger"
    );
    assert!(
        find(&buf, "(node down)").is_some(),
        "tasks on the down node are marked"
    );
}

#[test]
fn help_overlay_lists_the_keymap() {
    let mut app = common::populated_app();
    key(&mut app, KeyCode::Char('?'));
    snap("help", &app);
    let buf = render(&app, 140, 40);
    let focused = app.focused();
    let own = app.pane(focused).expect("the focused pane").actions();
    for (keys, desc) in app.keymap.help_rows_in(focused, own) {
        assert!(find(&buf, &keys).is_some(), "help shows keys {keys}");
        assert!(find(&buf, desc).is_some(), "help shows {desc}");
    }
}

#[test]
fn filter_and_drill_down() {
    let mut app = common::populated_app();
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.focused(), "services");
    key(&mut app, KeyCode::Char('/'));
    type_str(&mut app, "web");
    snap("filter_typing", &app);
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        selected_service(&app).map(|s| s.name.as_str()),
        Some("fx-web")
    );
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.focused(), "tasks");
    let scoped: Vec<_> = common::tasks()
        .into_iter()
        .filter(|t| Some(&t.service_id) == selected_service(&app).map(|s| &s.id))
        .collect();
    let scope = app.drill.clone().expect("drilled");
    app.apply(EngineMsg::Tasks {
        scope,
        tasks: scoped,
    });
    snap("drill_service", &app);
}

#[test]
fn task_detail_says_why() {
    let mut app = common::populated_app();
    app.run_command("services");
    key(&mut app, KeyCode::Char('/'));
    type_str(&mut app, "pinned");
    key(&mut app, KeyCode::Enter);
    app.run_command("tasks");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.popup_names(), ["task"]);
    snap("task_detail_why", &app);
}

#[test]
fn command_line() {
    let mut app = common::populated_app();
    key(&mut app, KeyCode::Char(':'));
    type_str(&mut app, "ser");
    snap("command_line", &app);
}

#[test]
fn unreadable_json_is_named_and_the_panes_stay() {
    let mut app = common::populated_app();
    app.apply(EngineMsg::Unreadable(vec![swarmdeck::domain::Unreadable {
        path: "nodes[1].Status.State".into(),
        reason: "unknown variant `rebooting`".into(),
    }]));
    let buf = render(&app, 140, 40);
    assert!(
        find(&buf, "nodes[1].Status.State").is_some(),
        "the field is named"
    );
    assert!(find(&buf, "node3").is_some(), "the panes stay");
}

fn vip_app() -> App {
    use swarmdeck::vip::watch::VipMsg;
    use swarmdeck::vip::{Mac, Method, Ownership, VipObservation, VipSource, VipSpec};
    let mut app = common::populated_app();
    let addr = "198.51.100.100".parse().expect("vip");
    app.set_vips(vec![VipSpec {
        addr,
        port: 2377,
        source: VipSource::Cli,
    }]);
    let owner = |h: &str, last: u8| Ownership::Owner {
        hostname: h.into(),
        method: Method::ArpProbe {
            iface: "sdlab-br".into(),
            mac: Mac([2, 0x5d, 0, 0, 0, last]),
        },
    };
    let now = app.now;
    let at = |s: i64| now - SignedDuration::from_secs(s);
    for (ago, o) in [
        (300, owner("node1", 0x0b)),
        (200, owner("node2", 0x0c)),
        (100, owner("node1", 0x0b)),
    ] {
        let obs = VipObservation {
            addr,
            ownership: o,
            reachable: Some(true),
            port: 2377,
            at: at(ago),
        };
        app.apply_vip(VipMsg::Observed(vec![obs]));
    }
    app
}

#[test]
fn vip_pane_and_marks() {
    let mut app = vip_app();
    snap("vip_owner", &app);
    let buf = render(&app, 80, 24);
    let theme = Theme::builtin_default();
    let (x, y) = find(&buf, "◆ node1").expect("VIP holder in the header or pane");
    assert_eq!(buf[(x, y)].fg, theme.vip.fg.unwrap_or_default());
    // the nodes pane marks the holder beside the leader
    assert!(find(&buf, "node1 ★ ◆").is_some(), "{}", text(&buf));
    // the focused pane lists the moves
    app.run_command("vips");
    assert_eq!(app.focused(), "vips");
    snap("vip_history", &app);
    let buf = render(&app, 140, 40);
    assert!(find(&buf, "node1 → node2").is_some(), "{}", text(&buf));
    assert!(find(&buf, "node2 → node1").is_some());
}

#[test]
fn vip_split_brain_alarm_in_the_header() {
    use swarmdeck::vip::watch::VipMsg;
    use swarmdeck::vip::{Ownership, VipObservation};
    let mut app = vip_app();
    let split = VipObservation {
        addr: "198.51.100.100".parse().expect("vip"),
        ownership: Ownership::SplitBrain {
            holders: vec!["node1".into(), "node3".into()],
            why: "2 hosts answer ARP for 198.51.100.100 on sdlab-br".into(),
        },
        reachable: Some(true),
        port: 2377,
        at: app.now,
    };
    app.apply_vip(VipMsg::Observed(vec![split.clone()]));
    app.apply_vip(VipMsg::Observed(vec![split]));
    snap("vip_split_brain", &app);
    let buf = render(&app, 80, 24);
    let theme = Theme::builtin_default();
    let (x, y) = find(&buf, "split brain").expect("alarm in the header");
    assert_eq!(buf[(x, y)].fg, theme.danger.fg.unwrap_or_default());
}

#[test]
fn drain_confirmation_dialog() {
    let mut app = common::populated_app();
    key(&mut app, KeyCode::Char('j')); // node2
    key(&mut app, KeyCode::Char('D'));
    assert_eq!(app.popup_names(), ["confirm"]);
    snap("drain_confirm", &app);
    let buf = render(&app, 140, 40);
    assert!(find(&buf, "drain node2").is_some(), "{}", text(&buf));
    assert!(find(&buf, "y confirm").is_some());
}

#[test]
fn drain_of_the_leader_needs_the_typed_hostname() {
    let mut app = common::populated_app(); // node1 is the leader
    key(&mut app, KeyCode::Char('D'));
    assert_eq!(app.popup_names(), ["confirm"]);
    type_str(&mut app, "node");
    snap("drain_confirm_typed", &app);
    let buf = render(&app, 140, 40);
    let theme = Theme::builtin_default();
    assert!(
        find(&buf, "Type node1 and press Enter").is_some(),
        "typed confirmation asked: {}",
        text(&buf)
    );
    let (x, y) = find(&buf, "node1 is the Raft leader").expect("the danger is named");
    assert_eq!(buf[(x, y)].fg, theme.danger.fg.unwrap_or_default());
    // the dialog's border is drawn as dangerous
    let (x, y) = find(&buf, "╭ drain node1").expect("dialog");
    assert_eq!(buf[(x, y)].fg, theme.danger.fg.unwrap_or_default());
}

#[test]
fn labels_form() {
    let mut app = common::populated_app();
    key(&mut app, KeyCode::Char('L'));
    type_str(&mut app, "site=nowhere");
    key(&mut app, KeyCode::Enter);
    snap("labels_form", &app);
    // fx-pinned (node.labels.site==nowhere) could run on node1 after the change
    let buf = render(&app, 140, 40);
    assert!(find(&buf, "+ site=nowhere").is_some(), "{}", text(&buf));
    assert!(
        find(&buf, "fx-pinned").is_some(),
        "the impact names the service: {}",
        text(&buf)
    );
}

#[test]
fn readonly_has_no_write_keys() {
    let keymap = Keymap::new(&Default::default(), true).expect("keymap");
    let mut app = App::new(keymap, common::fixture_now());
    app.readonly = true;
    let base = common::populated_app();
    app.apply(EngineMsg::Connected {
        endpoint: common::ENDPOINT.into(),
        info: common::info(),
    });
    app.apply(EngineMsg::Nodes(base.store.nodes.clone()));
    app.apply(EngineMsg::Services(base.store.services.clone()));
    key(&mut app, KeyCode::Char('D'));
    assert!(app.popups.is_empty(), "D does nothing in readonly mode");
    key(&mut app, KeyCode::Char('?'));
    snap("readonly_help", &app);
    let buf = render(&app, 140, 40);
    assert!(find(&buf, "READONLY").is_some());
    assert!(
        find(&buf, "drain the node").is_none(),
        "no write action in the help"
    );
}

/// The last row of the screen, as text.
fn bottom_row(buf: &Buffer) -> String {
    let y = buf.area.height - 1;
    (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect()
}

/// The bottom row starts with `text` and the cell after it is the cursor (reversed).
fn prompt_with_cursor(buf: &Buffer, text: &str) -> bool {
    let y = buf.area.height - 1;
    let n = text.chars().count() as u16;
    bottom_row(buf).starts_with(text)
        && buf[(n, y)]
            .modifier
            .contains(ratatui::style::Modifier::REVERSED)
}

fn connect_failed_app() -> App {
    let mut app = App::new(Keymap::default(), common::fixture_now());
    app.apply(EngineMsg::ConnectFailed {
        errors: vec![ConnectError::NoSocket {
            endpoint: "unix:///var/run/docker.sock".into(),
            path: "/var/run/docker.sock".into(),
        }],
    });
    app
}

#[test]
fn prompts_are_drawn_at_any_height() {
    for h in 1..=12 {
        // the command line, also over a notice
        let mut app = common::populated_app();
        app.notify(swarmdeck::app::Level::Warn, "a notice".into());
        key(&mut app, KeyCode::Char(':'));
        type_str(&mut app, "ser");
        let buf = render(&app, 80, h);
        assert!(prompt_with_cursor(&buf, ":ser"), "80×{h}:\n{}", text(&buf));
        // the filter
        let mut app = common::populated_app();
        key(&mut app, KeyCode::Char('/'));
        type_str(&mut app, "web");
        let buf = render(&app, 80, h);
        assert!(prompt_with_cursor(&buf, "/web"), "80×{h}:\n{}", text(&buf));
        // on the connect-error screen
        let mut app = connect_failed_app();
        key(&mut app, KeyCode::Char(':'));
        type_str(&mut app, "q");
        let buf = render(&app, 80, h);
        assert!(prompt_with_cursor(&buf, ":q"), "80×{h}:\n{}", text(&buf));
    }
    let mut app = common::populated_app();
    key(&mut app, KeyCode::Char(':'));
    type_str(&mut app, "ser");
    insta::assert_snapshot!("command_line_80x3", text(&render(&app, 80, 3)));
    let mut app = common::populated_app();
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Char('/'));
    type_str(&mut app, "web");
    insta::assert_snapshot!("filter_typing_80x5", text(&render(&app, 80, 5)));
    insta::assert_snapshot!("filter_typing_80x9", text(&render(&app, 80, 9)));
}

/// What is typed stays in view on a line narrower than it: the start gives way to `…`.
#[test]
fn a_long_prompt_keeps_its_end_and_the_cursor_in_view() {
    let mut app = common::populated_app();
    key(&mut app, KeyCode::Char('/'));
    type_str(&mut app, "a-very-long-filter-text-end");
    let buf = render(&app, 12, 6);
    assert!(prompt_with_cursor(&buf, "/…-text-end"), "{}", text(&buf));
}

#[test]
fn cut_cells_end_in_an_ellipsis() {
    let mut app = common::populated_app();
    let mut services = app.store.services.clone();
    services[0].name = "fx-a-service-name-much-longer-than-its-column-alpha".into();
    services[1].name = "fx-a-service-name-much-longer-than-its-column-beta".into();
    app.apply(EngineMsg::Services(services));
    let buf = render(&app, 80, 24);
    let screen = text(&buf);
    let cut: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains("fx-a-service-name"))
        .collect();
    assert_eq!(cut.len(), 2, "{screen}");
    for line in cut {
        let cell = line
            .split("fx-a-service-name")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .expect("the name");
        assert!(cell.ends_with('…'), "cut name ends in …: {line}");
    }
    // a name that fits is not marked
    assert!(find(&buf, "fx-pinned ").is_some(), "{screen}");
    assert!(!screen.contains("fx-pinned…"), "{screen}");
    // the task names (service.slot) are cut in their column too
    assert!(find(&buf, "│fx-a-service-n… node1").is_some(), "{screen}");
}

/// Every state cheap to reach, drawn at every small size: nothing panics.
#[test]
fn no_size_panics() {
    let mut states: Vec<App> = Vec::new();
    states.push(common::populated_app());
    let mut help = common::populated_app();
    key(&mut help, KeyCode::Char('?'));
    states.push(help);
    let mut filter = common::populated_app();
    key(&mut filter, KeyCode::Tab);
    key(&mut filter, KeyCode::Char('/'));
    type_str(&mut filter, "web");
    states.push(filter);
    let mut command = common::populated_app();
    key(&mut command, KeyCode::Char(':'));
    type_str(&mut command, "ser");
    states.push(command);
    let mut drill = common::populated_app();
    key(&mut drill, KeyCode::Enter);
    states.push(drill);
    let mut confirm = common::populated_app();
    key(&mut confirm, KeyCode::Char('D'));
    states.push(confirm);
    let mut labels = common::populated_app();
    key(&mut labels, KeyCode::Char('L'));
    states.push(labels);
    states.push(vip_app());
    let mut vips = vip_app();
    vips.run_command("vips");
    states.push(vips);
    states.push(connect_failed_app());
    let mut failed_cmd = connect_failed_app();
    key(&mut failed_cmd, KeyCode::Char(':'));
    states.push(failed_cmd);
    states.push(App::new(Keymap::default(), common::fixture_now()));

    let mut sizes: Vec<(u16, u16)> = (1..=20)
        .flat_map(|w| (1..=12).map(move |h| (w, h)))
        .collect();
    sizes.extend([(200, 2), (200, 1), (1, 60)]);
    for app in &states {
        for &(w, h) in &sizes {
            render(app, w, h);
        }
    }
}
