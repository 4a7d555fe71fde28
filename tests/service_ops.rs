//! Stacks and the service operations on the services pane, and `:registries`, against an app
//! fed with the JSON recorded from the lab (tests/fixtures/engine-*-resources.json: stack "rx"
//! with rx_web and rx_db, rx-files global without a stack; rx_web has a previous spec). No lab
//! needed: the engine's answers are given to the app as the engine would send them.

mod common;

use std::process::Command;

use jiff::SignedDuration;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::{Value, json};
use swarmdeck::app::{App, Outgoing};
use swarmdeck::deploy::Registries;
use swarmdeck::domain::{Node, Service, ServiceMode, Task};
use swarmdeck::engine::deploy::{DeployAnswer, DeployCmd};
use swarmdeck::engine::{EngineCmd, EngineMsg, TaskScope, WriteChange, WriteRequest};
use swarmdeck::keymap::{Action, KeyTable, Keymap};
use swarmdeck::view::list::ListPane;
use swarmdeck::view::pane::Selection;
use swarmdeck::view::pane::services::ServiceRows;
use swarmdeck::view::registries::RegistriesView;
use swarmdeck::view::service_ops::{RollbackConfirm, ServicePrompt, ServiceRead};

use common::{key, render, text, type_str};

const SIZES: [(u16, u16); 2] = [(80, 24), (140, 40)];

fn raw(name: &str) -> Vec<Value> {
    serde_json::from_str(&common::fixture(name)).expect("fixture JSON")
}

fn decoded<T: serde::de::DeserializeOwned>(name: &str) -> Vec<T> {
    serde_json::from_str(&common::fixture(name)).expect("fixture")
}

/// The services as the engine sends them (sorted by name, as the store keeps them).
fn services() -> Vec<Service> {
    let mut v: Vec<Service> = decoded::<bollard::models::Service>("engine-services-resources.json")
        .into_iter()
        .map(Service::from)
        .collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}

/// The raw service object recorded for `name` (what `GET /services/ID` answers).
fn raw_service(name: &str) -> Value {
    raw("engine-services-resources.json")
        .into_iter()
        .find(|s| s["Spec"]["Name"] == name)
        .unwrap_or_else(|| panic!("no {name} in the fixture"))
}

/// An app fed with the recorded resources, the services pane focused.
fn app_with(keymap: Keymap, readonly: bool, services: Vec<Service>) -> App {
    let tasks: Vec<Task> = decoded::<bollard::models::Task>("engine-tasks-resources.json")
        .into_iter()
        .map(Task::from)
        .collect();
    let now =
        tasks.iter().filter_map(|t| t.since).max().expect("times") + SignedDuration::from_secs(60);
    let mut app = App::new(keymap, now);
    app.readonly = readonly;
    app.apply(EngineMsg::Connected {
        endpoint: common::ENDPOINT.into(),
        info: common::info(),
    });
    let mut nodes: Vec<Node> = decoded::<bollard::models::Node>("engine-nodes-resources.json")
        .into_iter()
        .map(Node::from)
        .collect();
    nodes.sort_by(|a, b| a.hostname.cmp(&b.hostname));
    app.apply(EngineMsg::Nodes(nodes));
    app.apply(EngineMsg::Services(services));
    app.apply(EngineMsg::Tasks {
        scope: TaskScope::Live,
        tasks: tasks
            .into_iter()
            .filter(|t| t.desired.as_str() == "running")
            .collect(),
    });
    app.run_command("services");
    app.outbox.clear();
    app.dirty = false;
    app
}

fn app() -> App {
    app_with(Keymap::default(), false, services())
}

fn screen(app: &App, w: u16, h: u16) -> String {
    text(&render(app, w, h))
}

fn pane(app: &App) -> &ListPane<ServiceRows> {
    app.pane("services")
        .and_then(|p| p.as_any().downcast_ref::<ListPane<ServiceRows>>())
        .expect("the services pane")
}

fn selected_id(app: &App) -> String {
    pane(app).selected_id().unwrap_or_default().to_string()
}

/// Move the selection to the row with this id.
fn select(app: &mut App, id: &str) {
    key(app, KeyCode::Char('g'));
    for _ in 0..10 {
        if selected_id(app) == id {
            return;
        }
        key(app, KeyCode::Char('j'));
    }
    panic!("no row {id} in the services pane");
}

fn select_service(app: &mut App, name: &str) {
    let id = app
        .store
        .services
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no service {name}"))
        .id
        .0
        .clone();
    select(app, &id);
    assert_eq!(
        app.selection("services"),
        Selection::Service(swarmdeck::domain::ServiceId(id))
    );
}

fn ctrl(app: &mut App, c: char) {
    app.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL));
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

/// The deploy commands the app queued (and forget the rest of the outbox).
fn deploy_cmds(app: &mut App) -> Vec<(u64, DeployCmd)> {
    app.outbox
        .drain(..)
        .filter_map(|o| match o {
            Outgoing::Engine(EngineCmd::Deploy { seq, cmd }) => Some((seq, *cmd)),
            _ => None,
        })
        .collect()
}

fn answer(app: &mut App, seq: u64, answer: DeployAnswer) {
    app.apply(EngineMsg::DeployDone {
        seq,
        answer: Box::new(answer),
    });
}

fn last_notice(app: &App) -> String {
    app.notices
        .back()
        .map(|n| n.text.clone())
        .unwrap_or_default()
}

// ------------------------------------------------------------------------------ stacks

#[test]
fn services_are_grouped_by_stack_with_its_health() {
    let mut app = app();
    let s = screen(&app, 140, 40);
    let rows: Vec<&str> = s.lines().collect();
    let at = |needle: &str| {
        rows.iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle} not on screen:\n{s}"))
    };
    let (header, db, web, files) = (at("▾ rx "), at("  rx_db "), at("  rx_web "), at("rx-files"));
    assert!(header < db && db < web && web < files, "{s}");
    assert!(rows[header].contains("2 services"), "{}", rows[header]);
    assert!(rows[header].contains("1/2"), "{}", rows[header]);
    assert!(rows[header].contains("1 below desired"), "{}", rows[header]);
    // the health in the warn style (on a row that is not selected)
    select_service(&mut app, "rx-files");
    let buf = render(&app, 140, 40);
    let theme = swarmdeck::theme::Theme::builtin_default();
    let line = &rows[header];
    let x = line
        .find("1 below")
        .map(|b| line[..b].chars().count())
        .unwrap() as u16;
    assert_eq!(
        buf[(x, header as u16)].fg,
        theme.warn.fg.unwrap_or_default()
    );

    // collapse: the stack is one row, the selection stays on its header
    select(&mut app, "stack:rx");
    key(&mut app, KeyCode::Char('z'));
    assert!(pane(&app).rows.is_collapsed("rx"));
    assert_eq!(selected_id(&app), "stack:rx");
    let s = screen(&app, 140, 40);
    assert!(s.contains("▸ rx "), "{s}");
    assert!(!s.contains("  rx_web ") && !s.contains("  rx_db "), "{s}");
    assert!(s.contains("│rx-files"), "{s}");
    assert_eq!(
        app.selection("services"),
        Selection::None,
        "a stack is no service"
    );
    // expand again (Space, or Enter on the header)
    key(&mut app, KeyCode::Char(' '));
    assert!(!pane(&app).rows.is_collapsed("rx"));
    key(&mut app, KeyCode::Enter);
    assert!(pane(&app).rows.is_collapsed("rx"));
    key(&mut app, KeyCode::Enter);
    // z on a service of the stack collapses it and selects the header
    select_service(&mut app, "rx_web");
    key(&mut app, KeyCode::Char('z'));
    assert_eq!(selected_id(&app), "stack:rx");
    key(&mut app, KeyCode::Char('z'));

    // the selection follows its id when the data moves; collapsed stays collapsed
    select_service(&mut app, "rx_web");
    let web = selected_id(&app);
    let mut more = services();
    let mut extra = more[0].clone();
    extra.id = swarmdeck::domain::ServiceId("aaaa".into());
    extra.name = "aa-first".into();
    extra.labels.clear();
    more.insert(0, extra);
    app.apply(EngineMsg::Services(more));
    assert_eq!(selected_id(&app), web);
}

#[test]
fn the_filter_matches_the_stack_name_and_keeps_the_header() {
    let mut app = app();
    key(&mut app, KeyCode::Char('/'));
    type_str(&mut app, "web\n");
    let s = screen(&app, 140, 40);
    assert!(s.contains("▾ rx "), "the header of a matching service: {s}");
    assert!(s.contains("rx_web") && !s.contains("rx_db"), "{s}");
    key(&mut app, KeyCode::Esc);
    // a stack's name matches its services
    let mut services = services();
    for s in services.iter_mut().filter(|s| s.name == "rx_db") {
        s.name = "database".into();
    }
    let mut app = app_with(Keymap::default(), false, services);
    key(&mut app, KeyCode::Char('/'));
    type_str(&mut app, "rx\n");
    let s = screen(&app, 140, 40);
    assert!(s.contains("database"), "in stack rx: {s}");
}

#[test]
fn snapshot_the_grouped_services_pane() {
    let app = app();
    for (w, h) in SIZES {
        insta::assert_snapshot!(format!("services_stacks_{w}x{h}"), screen(&app, w, h));
    }
}

// ------------------------------------------------------------------------------ scale

#[test]
fn scale_asks_a_number_prefilled_then_confirms_what_the_user_saw() {
    let mut app = app();
    select_service(&mut app, "rx_web");
    key(&mut app, KeyCode::Char('s'));
    let p = app.top_as::<ServicePrompt>().expect("the replicas input");
    assert_eq!(p.input.text(), "2", "the current count prefilled");
    // typing replaces it; a bad number is refused at the input
    type_str(&mut app, "x\n");
    let p = app.top_as::<ServicePrompt>().expect("still the input");
    assert!(
        p.error
            .as_deref()
            .unwrap_or_default()
            .contains("not a number")
    );
    ctrl(&mut app, 'u');
    type_str(&mut app, "2\n");
    let p = app.top_as::<ServicePrompt>().expect("still the input");
    assert!(p.error.as_deref().unwrap_or_default().contains("already"));
    ctrl(&mut app, 'u');
    type_str(&mut app, "5\n");
    let s = screen(&app, 100, 30);
    assert!(s.contains("scale rx_web 2 → 5"), "{s}");
    assert!(writes(&mut app).is_empty(), "nothing before y");
    key(&mut app, KeyCode::Char('y'));
    let w = writes(&mut app);
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].change, WriteChange::Scale { seen: 2, to: 5 });
    assert_eq!(w[0].action, "scale 2 → 5");
    assert_eq!(w[0].target.name(), "rx_web");
    assert!(app.popups.is_empty());
}

#[test]
fn scale_is_refused_for_global_services_and_jobs_with_the_reason() {
    let mut app = app();
    select_service(&mut app, "rx-files");
    key(&mut app, KeyCode::Char('s'));
    let s = screen(&app, 120, 30);
    assert!(
        s.contains("rx-files is global: one task per eligible node, it cannot be scaled"),
        "{s}"
    );
    key(&mut app, KeyCode::Enter);
    assert!(app.popups.is_empty());
    assert!(writes(&mut app).is_empty());
    // jobs
    let mut services = services();
    for s in services.iter_mut() {
        if s.name == "rx_db" {
            s.mode = ServiceMode::ReplicatedJob {
                max_concurrent: 1,
                total_completions: 3,
            };
        }
        if s.name == "rx_web" {
            s.mode = ServiceMode::GlobalJob;
        }
    }
    let mut app = app_with(Keymap::default(), false, services);
    select_service(&mut app, "rx_db");
    key(&mut app, KeyCode::Char('s'));
    let s = screen(&app, 120, 30);
    assert!(s.contains("rx_db is a replicated job"), "{s}");
    assert!(s.contains("no replica"), "{s}");
    key(&mut app, KeyCode::Esc);
    select_service(&mut app, "rx_web");
    key(&mut app, KeyCode::Char('s'));
    assert!(screen(&app, 120, 30).contains("rx_web is a global job"));
    key(&mut app, KeyCode::Esc);
    // a force update of a job says that it runs again
    key(&mut app, KeyCode::Char('u'));
    assert!(screen(&app, 120, 30).contains("runs the job again"));
    key(&mut app, KeyCode::Char('y'));
    assert_eq!(writes(&mut app)[0].change, WriteChange::ForceUpdate);
    assert!(writes(&mut app).is_empty());
}

#[test]
fn force_update_is_confirmed_then_written() {
    let mut app = app();
    select_service(&mut app, "rx_web");
    key(&mut app, KeyCode::Char('u'));
    let s = screen(&app, 120, 30);
    assert!(s.contains("force update rx_web"), "{s}");
    assert!(s.contains("same spec"), "{s}");
    key(&mut app, KeyCode::Char('n'));
    assert!(writes(&mut app).is_empty());
    key(&mut app, KeyCode::Char('u'));
    key(&mut app, KeyCode::Char('y'));
    let w = writes(&mut app);
    assert_eq!(w.len(), 1);
    assert_eq!(
        (&w[0].change, w[0].action.as_str()),
        (&WriteChange::ForceUpdate, "force-update")
    );
}

// ---------------------------------------------------------------------------- rollback

#[test]
fn rollback_reads_the_service_shows_what_goes_back_and_writes_what_was_seen() {
    let mut app = app();
    select_service(&mut app, "rx_web");
    key(&mut app, KeyCode::Char('b'));
    assert!(app.top_as::<ServiceRead>().is_some(), "reading first");
    let cmds = deploy_cmds(&mut app);
    let [(seq, DeployCmd::ReadService { id })] = cmds.as_slice() else {
        panic!("one read: {cmds:?}")
    };
    let object = raw_service("rx_web");
    assert_eq!(id, object["ID"].as_str().unwrap());
    answer(&mut app, *seq, DeployAnswer::Service(Ok(object.clone())));
    let c = app.top_as::<RollbackConfirm>().expect("the diff");
    let summary: Vec<&str> = c.summary.iter().map(|(_, t)| t.as_str()).collect();
    assert!(summary.contains(&"env -STAGE"), "{summary:?}");
    assert!(c.diff.has_changes());
    let s = screen(&app, 120, 40);
    assert!(s.contains("rollback rx_web to its previous spec"), "{s}");
    assert!(s.contains("STAGE=2"), "the diff: {s}");
    key(&mut app, KeyCode::Char('j'));
    assert!(writes(&mut app).is_empty(), "scrolling writes nothing");
    key(&mut app, KeyCode::Char('y'));
    let w = writes(&mut app);
    assert_eq!(w.len(), 1);
    assert_eq!(
        w[0].change,
        WriteChange::Rollback {
            seen: swarmdeck::engine::write::rollback_fingerprint(&object)
        }
    );
    assert_eq!(w[0].action, "rollback to the previous spec");
    assert!(app.popups.is_empty());
}

#[test]
fn rollback_is_refused_without_a_previous_spec() {
    let mut app = app();
    select_service(&mut app, "rx_db");
    key(&mut app, KeyCode::Char('b'));
    let (seq, _) = deploy_cmds(&mut app).pop().expect("a read");
    answer(
        &mut app,
        seq,
        DeployAnswer::Service(Ok(raw_service("rx_db"))),
    );
    let s = screen(&app, 120, 30);
    assert!(s.contains("rx_db has no previous spec"), "{s}");
    key(&mut app, KeyCode::Char('y'));
    key(&mut app, KeyCode::Enter);
    assert!(app.popups.is_empty());
    assert!(writes(&mut app).is_empty());
}

#[test]
fn snapshot_the_rollback_confirm() {
    let mut app = app();
    select_service(&mut app, "rx_web");
    key(&mut app, KeyCode::Char('b'));
    let (seq, _) = deploy_cmds(&mut app).pop().expect("a read");
    answer(
        &mut app,
        seq,
        DeployAnswer::Service(Ok(raw_service("rx_web"))),
    );
    for (w, h) in SIZES {
        insta::assert_snapshot!(format!("rollback_confirm_{w}x{h}"), screen(&app, w, h));
    }
}

// ------------------------------------------------------------------------ image, remove

fn lab_registries() -> Registries {
    use base64::Engine as _;
    let auth = base64::engine::general_purpose::STANDARD.encode("lab:s3cret+pass/word");
    let config = json!({
        "auths": {
            "198.51.100.5:5000": {"auth": auth},
            "https://index.docker.io/v1/": {}
        },
        "credHelpers": {"registry.example.com": "pass"}
    });
    let (known, store) = swarmdeck::deploy::known_registries(&config);
    Registries {
        path: "/home/op/.docker/config.json".into(),
        found: true,
        known,
        store,
    }
}

#[test]
fn update_image_changes_the_image_only_with_the_registry_credentials() {
    let mut app = app();
    select_service(&mut app, "rx_web");
    key(&mut app, KeyCode::Char('i'));
    let p = app.top_as::<ServicePrompt>().expect("the image input");
    assert_eq!(
        p.input.text(),
        "swarmdeck/busybox:lab",
        "prefilled, without a digest"
    );
    let (seq, cmd) = deploy_cmds(&mut app).pop().expect("the registries asked");
    assert_eq!(cmd, DeployCmd::Registries);
    answer(
        &mut app,
        seq,
        DeployAnswer::Registries(Ok(lab_registries())),
    );
    ctrl(&mut app, 'u');
    type_str(&mut app, "bad image!\n");
    assert!(
        app.top_as::<ServicePrompt>()
            .and_then(|p| p.error.clone())
            .is_some_and(|e| e.contains("bad image")),
        "refused at the input"
    );
    ctrl(&mut app, 'u');
    type_str(&mut app, "198.51.100.5:5000/swarmdeck/busybox:lab\n");
    let s = screen(&app, 130, 30);
    assert!(s.contains("image of rx_web"), "{s}");
    assert!(s.contains("stored in config.json (user lab)"), "{s}");
    assert!(!s.contains("s3cret"), "{s}");
    key(&mut app, KeyCode::Char('y'));
    let w = writes(&mut app);
    assert_eq!(w.len(), 1);
    let seen = app
        .store
        .services
        .iter()
        .find(|s| s.name == "rx_web")
        .unwrap()
        .image
        .clone();
    assert_eq!(
        w[0].change,
        WriteChange::Image {
            seen,
            to: "198.51.100.5:5000/swarmdeck/busybox:lab".into()
        }
    );
    assert_eq!(
        w[0].action,
        "image swarmdeck/busybox:lab → 198.51.100.5:5000/swarmdeck/busybox:lab (with registry credentials)"
    );
    assert!(
        !format!("{w:?}").contains("s3cret"),
        "no credential in the request"
    );

    // a registry with no credentials here: said so, as a hint
    select_service(&mut app, "rx_db");
    key(&mut app, KeyCode::Char('i'));
    let (seq, _) = deploy_cmds(&mut app).pop().expect("the registries asked");
    answer(
        &mut app,
        seq,
        DeployAnswer::Registries(Ok(lab_registries())),
    );
    ctrl(&mut app, 'u');
    type_str(&mut app, "10.0.0.9:5000/app:2\n");
    let s = screen(&app, 130, 30);
    assert!(s.contains("no credentials here for 10.0.0.9:5000"), "{s}");
}

#[test]
fn remove_needs_the_name_typed_and_shows_how_to_recreate_it() {
    let mut app = app();
    select_service(&mut app, "rx_web");
    ctrl(&mut app, 'd');
    let (seq, cmd) = deploy_cmds(&mut app).pop().expect("a read");
    assert!(matches!(cmd, DeployCmd::ReadService { .. }));
    answer(
        &mut app,
        seq,
        DeployAnswer::Service(Ok(raw_service("rx_web"))),
    );
    let s = screen(&app, 140, 40);
    assert!(s.contains("remove rx_web"), "{s}");
    assert!(s.contains("not reversible"), "{s}");
    assert!(s.contains("docker service create"), "{s}");
    assert!(s.contains("stack rx"), "{s}");
    // y is a letter of the word, not a yes
    key(&mut app, KeyCode::Char('y'));
    key(&mut app, KeyCode::Enter);
    assert!(writes(&mut app).is_empty());
    ctrl(&mut app, 'u');
    type_str(&mut app, "rx_web\n");
    let w = writes(&mut app);
    assert_eq!(w.len(), 1);
    assert_eq!(
        (&w[0].change, w[0].action.as_str()),
        (&WriteChange::Remove, "remove")
    );
}

// ---------------------------------------------------------------------------- readonly

#[test]
fn readonly_has_no_service_operation() {
    let km = Keymap::new(&KeyTable::default(), true).expect("keymap");
    for a in [
        Action::Scale,
        Action::ForceUpdate,
        Action::Rollback,
        Action::UpdateImage,
        Action::RemoveService,
    ] {
        assert!(a.is_write());
        assert!(km.keys_in("services", a).is_empty(), "{a} has no key");
    }
    assert!(!Action::ToggleStack.is_write());
    let mut app = app_with(km, true, services());
    select_service(&mut app, "rx_web");
    for k in ['s', 'u', 'b', 'i'] {
        key(&mut app, KeyCode::Char(k));
    }
    ctrl(&mut app, 'd');
    assert!(app.popups.is_empty(), "{:?}", app.popup_names());
    assert!(app.outbox.is_empty(), "nothing asked of the engine");
    // the stacks still fold
    key(&mut app, KeyCode::Char('z'));
    assert!(pane(&app).rows.is_collapsed("rx"));

    // the pane refuses even with the keys bound (the second lock)
    let mut app = app_with(Keymap::default(), true, services());
    select_service(&mut app, "rx_web");
    key(&mut app, KeyCode::Char('s'));
    assert!(app.popups.is_empty());
    assert!(
        last_notice(&app).contains("readonly"),
        "{}",
        last_notice(&app)
    );
}

#[tokio::test]
async fn a_readonly_engine_refuses_a_service_write() {
    let mut engine = swarmdeck::engine::spawn_with(
        vec!["unix:///nonexistent/swarmdeck-test.sock".into()],
        swarmdeck::engine::EngineOptions {
            readonly: true,
            ..Default::default()
        },
    );
    let _ = engine.cmd.send(EngineCmd::Write(WriteRequest {
        seq: 7,
        target: swarmdeck::engine::WriteTarget::Service {
            id: swarmdeck::domain::ServiceId("s1".into()),
            name: "web".into(),
        },
        change: WriteChange::Remove,
        action: "remove".into(),
    }));
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match swarmdeck::engine::recv_until(&mut engine.rx, deadline).await {
            Some(EngineMsg::WriteDone { seq: 7, result, .. }) => {
                let e = result.expect_err("refused");
                assert!(e.to_string().contains("readonly"), "{e}");
                return;
            }
            Some(_) => {}
            None => panic!("no answer to the write"),
        }
    }
}

// -------------------------------------------------------------------------- registries

/// The registries popup over an app whose services pull from the lab registry, an unknown
/// private one, and Docker Hub.
fn registries_app(read: Result<Registries, String>) -> App {
    let mut services = services();
    for s in services.iter_mut() {
        match s.name.as_str() {
            "rx_web" => s.image = "198.51.100.5:5000/swarmdeck/busybox:lab".into(),
            "rx_db" => s.image = "10.0.0.9:5000/db:16".into(),
            _ => {}
        }
    }
    let mut app = app_with(Keymap::default(), false, services);
    app.run_command("registries");
    assert_eq!(app.popup_names(), ["registries"]);
    let (seq, cmd) = deploy_cmds(&mut app).pop().expect("the config asked for");
    assert_eq!(cmd, DeployCmd::Registries);
    answer(&mut app, seq, DeployAnswer::Registries(read));
    app
}

#[test]
fn registries_list_sources_users_services_and_flag_missing_credentials() {
    let app = registries_app(Ok(lab_registries()));
    let v = app.top_as::<RegistriesView>().expect("the popup");
    let rows = v.list.rows.rows();
    let hosts: Vec<&str> = rows.iter().map(|r| r.host.as_str()).collect();
    assert_eq!(
        hosts,
        [
            "198.51.100.5:5000",
            "docker.io",
            "registry.example.com",
            "10.0.0.9:5000"
        ]
    );
    assert_eq!(rows[0].services, ["rx_web"]);
    assert!(!rows[0].flagged());
    assert_eq!(rows[1].services, ["rx-files"], "docker.io: never flagged");
    assert!(!rows[1].flagged());
    assert!(
        rows[3].flagged(),
        "a private registry with no credentials here"
    );
    let s = screen(&app, 140, 40);
    assert!(s.contains("stored in config.json"), "{s}");
    assert!(
        s.contains("credential helper docker-credential-pass"),
        "{s}"
    );
    assert!(s.contains("via helper"), "{s}");
    assert!(s.contains("no credentials here"), "{s}");
    assert!(s.contains("a hint"), "{s}");
    for (w, h) in SIZES {
        let t = screen(&app, w, h);
        assert!(!t.contains("s3cret"), "{t}");
        insta::assert_snapshot!(format!("registries_{w}x{h}"), t);
    }
}

/// The real read of `$HOME/.docker/config.json`, in a child process whose HOME is a temp
/// directory (a test cannot change its own environment safely): the users and sources are
/// shown, the password in no rendered buffer.
#[test]
fn registries_from_a_temp_home_never_show_the_password() {
    const NAME: &str = "registries_from_a_temp_home_never_show_the_password";
    const PASSWORD: &str = "hunter2+/=longpassword";
    if std::env::var_os("SWARMDECK_TEMP_HOME_CHILD").is_none() {
        use base64::Engine as _;
        let home = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(home.path().join(".docker")).expect("mkdir");
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("op:{PASSWORD}"));
        let config = json!({
            "auths": {"198.51.100.5:5000": {"auth": auth}},
            "credHelpers": {"registry.example.com": "pass"}
        });
        std::fs::write(home.path().join(".docker/config.json"), config.to_string())
            .expect("config.json");
        let out = Command::new(std::env::current_exe().expect("this test"))
            .args(["--exact", NAME, "--nocapture", "--test-threads=1"])
            .env("HOME", home.path())
            .env_remove("DOCKER_CONFIG")
            .env("SWARMDECK_TEMP_HOME_CHILD", "1")
            .output()
            .expect("run the child");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{all}");
        assert!(all.contains("1 passed"), "the child ran the test: {all}");
        assert!(!all.contains(PASSWORD));
        return;
    }
    let read = swarmdeck::engine::deploy::read_registries().expect("read");
    assert!(read.found, "{read:?}");
    assert!(!format!("{read:?}").contains(PASSWORD));
    let app = registries_app(Ok(read));
    for (w, h) in [(80, 24), (140, 40), (200, 60)] {
        let t = screen(&app, w, h);
        assert!(!t.contains(PASSWORD), "{t}");
        assert!(!t.contains("hunter2"), "{t}");
        if w >= 140 {
            assert!(t.contains("198.51.100.5:5000"), "{t}");
            assert!(t.contains(" op "), "the user: {t}");
            assert!(t.contains("docker-credential-pass"), "{t}");
        }
    }
}
