//! The deploy wizard driven by key events through the app, with the engine's answers fed in
//! as the engine sends them (tests/deploy_lab.rs deploys through it on the real lab).
//! Snapshots of each step at 80×24 and 140×40.

mod common;

use ratatui::crossterm::event::KeyCode;
use serde_json::Value;
use swarmdeck::app::{App, Outgoing};
use swarmdeck::deploy::Step;
use swarmdeck::engine::deploy::{DeployAnswer, DeployCmd, DeployContext};
use swarmdeck::engine::{EngineCmd, EngineMsg};
use swarmdeck::view::deploy::DeployWizard;
use swarmdeck::view::deploy::converge::ConvergeView;

use common::{ctrl, key, populated_app, render, text, type_str};

const SIZES: [(u16, u16); 2] = [(80, 24), (140, 40)];

fn snap(name: &str, app: &App) {
    for (w, h) in SIZES {
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), text(&render(app, w, h)));
    }
}

fn deploy_cmds(app: &mut App) -> Vec<(u64, DeployCmd)> {
    app.outbox
        .drain(..)
        .filter_map(|o| match o {
            Outgoing::Engine(EngineCmd::Deploy { seq, cmd }) => Some((seq, *cmd)),
            _ => None,
        })
        .collect()
}

fn answer(app: &mut App, seq: u64, a: DeployAnswer) {
    app.apply(EngineMsg::DeployDone {
        seq,
        answer: Box::new(a),
    });
}

fn wizard(app: &App) -> &DeployWizard {
    app.top_as::<DeployWizard>().expect("the wizard is on top")
}

/// The dashboard with the wizard open (N on the services pane), its context answered.
fn wizard_app() -> App {
    let mut app = populated_app();
    app.focus_pane("services");
    key(&mut app, KeyCode::Char('N'));
    let cmds = deploy_cmds(&mut app);
    assert!(
        matches!(cmds.as_slice(), [(_, DeployCmd::Context)]),
        "the wizard reads the context: {cmds:?}"
    );
    answer(
        &mut app,
        cmds[0].0,
        DeployAnswer::Context(Ok(DeployContext {
            networks: vec![("backend".into(), true)],
            network_ids: vec![("netid1".into(), "backend".into())],
            secrets: vec!["db_password".into()],
            configs: vec!["app_conf".into()],
            ports: vec![(
                "fx-web".into(),
                vec![(8080, swarmdeck::deploy::Protocol::Tcp)],
            )],
        })),
    );
    app
}

/// Tab to the field with this name on the current step.
fn to_field(app: &mut App, name: &str) {
    for _ in 0..40 {
        if wizard(app).form().focused().is_some_and(|f| f.name == name) {
            return;
        }
        key(app, KeyCode::Tab);
    }
    panic!("no field {name} on {:?}", wizard(app).step());
}

fn set(app: &mut App, name: &str, value: &str) {
    to_field(app, name);
    // clear what is there: to the end, then back over it
    key(app, KeyCode::End);
    for _ in 0..80 {
        key(app, KeyCode::Backspace);
    }
    type_str(app, value);
}

#[test]
fn each_step_in_turn_with_its_checks() {
    let mut app = wizard_app();
    assert_eq!(wizard(&app).step(), Step::App);
    snap("deploy_step_app", &app);
    // empty name and image: the step does not go on, the errors are at the fields
    ctrl(&mut app, 'n');
    assert_eq!(wizard(&app).step(), Step::App);
    assert!(!wizard(&app).errors().is_empty());
    for bad in ["a.b", "fx-web", &"x".repeat(64)] {
        set(&mut app, "name", bad);
        set(&mut app, "image", "swarmdeck/busybox:lab");
        ctrl(&mut app, 'n');
        assert_eq!(wizard(&app).step(), Step::App, "{bad:?} is refused");
        assert!(
            wizard(&app).errors().iter().any(|(_, f, _)| f == "name"),
            "{bad:?}: {:?}",
            wizard(&app).errors()
        );
    }
    set(&mut app, "name", "api");
    set(&mut app, "image", "UPPER/Case:tag");
    ctrl(&mut app, 'n');
    assert!(
        wizard(&app).errors().iter().any(|(_, f, _)| f == "image"),
        "{:?}",
        wizard(&app).errors()
    );
    set(&mut app, "image", "swarmdeck/busybox:lab");
    set(&mut app, "args", "sleep 3600");
    set(&mut app, "env", "MODE=test, LEVEL=debug");
    ctrl(&mut app, 'n');
    assert_eq!(
        wizard(&app).step(),
        Step::Mode,
        "{:?}",
        wizard(&app).errors()
    );
    snap("deploy_step_mode", &app);
    set(&mut app, "replicas", "abc");
    ctrl(&mut app, 'n');
    assert_eq!(wizard(&app).step(), Step::Mode);
    set(&mut app, "replicas", "2");
    ctrl(&mut app, 'n');
    assert_eq!(wizard(&app).step(), Step::Placement);
    set(&mut app, "constraints", "node.labels.zone=a");
    ctrl(&mut app, 'n');
    assert_eq!(
        wizard(&app).step(),
        Step::Placement,
        "a single = is refused"
    );
    set(&mut app, "constraints", "node.role==manager");
    let screen = text(&render(&app, 140, 40));
    assert!(screen.contains("eligible nodes"), "{screen}");
    snap("deploy_step_placement", &app);
    ctrl(&mut app, 'n');
    assert_eq!(wizard(&app).step(), Step::Network);
    set(&mut app, "ports", "70000:80");
    ctrl(&mut app, 'n');
    assert_eq!(wizard(&app).step(), Step::Network, "port 70000 is refused");
    set(&mut app, "ports", "8080:80");
    ctrl(&mut app, 'n');
    assert_eq!(wizard(&app).step(), Step::Network, "8080 is fx-web's");
    set(&mut app, "ports", "8081:80");
    set(&mut app, "networks", "backend, newnet");
    snap("deploy_step_network", &app);
    ctrl(&mut app, 'n');
    assert_eq!(
        wizard(&app).step(),
        Step::Storage,
        "{:?}",
        wizard(&app).errors()
    );
    set(&mut app, "health_test", "true");
    set(&mut app, "health_interval", "2s");
    set(&mut app, "update_parallelism", "2");
    set(&mut app, "update_delay", "1s");
    snap("deploy_step_storage", &app);
    ctrl(&mut app, 'n');
    assert_eq!(
        wizard(&app).step(),
        Step::Review,
        "{:?}",
        wizard(&app).errors()
    );
    let screen = text(&render(&app, 140, 40));
    assert!(
        screen.contains("Service api, image swarmdeck/busybox:lab"),
        "{screen}"
    );
    assert!(screen.contains("Mode: replicated, 2 tasks"), "{screen}");
    snap("deploy_step_review", &app);
    key(&mut app, KeyCode::Tab);
    let compose = text(&render(&app, 140, 40));
    assert!(compose.contains("services:"), "{compose}");
    key(&mut app, KeyCode::Tab);
    let cli = text(&render(&app, 140, 40));
    assert!(cli.contains("docker service create"), "{cli}");
    key(&mut app, KeyCode::Char('c'));
    assert_eq!(app.clipboard.len(), 1, "c copies the command line");
    assert!(app.clipboard[0].starts_with("docker service create"));

    // nothing reached the engine until Ctrl-s
    assert!(deploy_cmds(&mut app).is_empty());
    ctrl(&mut app, 's');
    let cmds = deploy_cmds(&mut app);
    let [(seq, DeployCmd::Create { spec, networks, .. })] = cmds.as_slice() else {
        panic!("{cmds:?}");
    };
    assert_eq!(
        networks,
        &vec!["newnet".to_string()],
        "only the new network is created"
    );
    assert_eq!(spec["Name"], "api");
    assert_eq!(
        spec.pointer("/Mode/Replicated/Replicas"),
        Some(&Value::from(2))
    );
    assert_eq!(
        spec.pointer("/TaskTemplate/Placement/Constraints/0"),
        Some(&Value::from("node.role==manager"))
    );
    assert!(
        spec.pointer("/TaskTemplate/ContainerSpec/Healthcheck/Test")
            .is_some()
    );
    assert_eq!(
        spec.pointer("/UpdateConfig/Parallelism"),
        Some(&Value::from(2))
    );
    assert_eq!(
        spec.pointer("/UpdateConfig/Delay"),
        Some(&Value::from(1_000_000_000i64)),
        "{spec:#}"
    );
    // an engine refusal: back to the form with everything kept
    answer(
        &mut app,
        *seq,
        DeployAnswer::Created(Err("rpc error: name conflicts".into())),
    );
    assert_eq!(wizard(&app).step(), Step::Review);
    assert!(
        wizard(&app)
            .message()
            .is_some_and(|m| m.contains("name conflicts"))
    );
    ctrl(&mut app, 's');
    let cmds = deploy_cmds(&mut app);
    answer(
        &mut app,
        cmds[0].0,
        DeployAnswer::Created(Ok(("newsvcid".into(), vec![]))),
    );
    assert!(app.top_as::<ConvergeView>().is_some());
}

#[test]
fn esc_asks_when_something_was_entered() {
    let mut app = wizard_app();
    key(&mut app, KeyCode::Esc);
    assert!(app.popups.is_empty(), "nothing entered: it closes");
    let mut app = wizard_app();
    set(&mut app, "name", "x");
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.popup_names(), vec!["deploy"]);
    assert!(text(&render(&app, 80, 24)).contains("Leave the wizard?"));
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(app.popup_names(), vec!["deploy"]);
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('y'));
    assert!(app.popups.is_empty());
}

#[test]
fn job_modes_hide_what_does_not_apply() {
    let mut app = wizard_app();
    set(&mut app, "name", "batch");
    set(&mut app, "image", "swarmdeck/busybox:lab");
    ctrl(&mut app, 'n');
    to_field(&mut app, "mode");
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Right); // replicated-job
    let names: Vec<String> = wizard(&app)
        .form()
        .fields()
        .iter()
        .map(|f| f.name.clone())
        .collect();
    assert!(names.contains(&"completions".to_string()), "{names:?}");
    assert!(names.contains(&"max_concurrent".to_string()));
    assert!(!names.contains(&"replicas".to_string()));
    ctrl(&mut app, 'n');
    ctrl(&mut app, 'n');
    ctrl(&mut app, 'n');
    assert_eq!(wizard(&app).step(), Step::Storage);
    assert!(
        wizard(&app).form().field("update_parallelism").is_none(),
        "a job takes no update config"
    );
}

#[test]
fn readonly_has_no_wizard() {
    let mut app = populated_app();
    app.readonly = true;
    app.focus_pane("services");
    key(&mut app, KeyCode::Char('N'));
    assert!(app.popups.is_empty());
    app.run_command(":deploy");
    assert!(app.popups.is_empty());
}

#[test]
fn typed_credentials_show_their_fields_and_mask_the_password() {
    let mut app = wizard_app();
    let has = |app: &App, f: &str| wizard(app).form().field(f).is_some();
    assert!(
        !has(&app, "registry_password"),
        "no credential fields for none"
    );
    to_field(&mut app, "registry");
    key(&mut app, KeyCode::Right); // none → typed (no docker config here)
    assert!(has(&app, "registry_server") && has(&app, "registry_password"));
    assert_eq!(
        wizard(&app).form().focused().map(|f| f.name.as_str()),
        Some("registry"),
        "the focus stays on the choice"
    );
    set(&mut app, "registry_password", "s3cret+/pw");
    let screen = text(&render(&app, 140, 40));
    assert!(!screen.contains("s3cret"), "{screen}");
    assert!(screen.contains("••••"), "{screen}");
    to_field(&mut app, "registry");
    key(&mut app, KeyCode::Right); // typed → none
    assert!(!has(&app, "registry_password"));
}
