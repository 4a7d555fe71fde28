//! `:secrets` and `:configs` driven by key events through the app, with the engine's answers
//! fed in as the engine sends them, from the JSON recorded from the lab
//! (tests/fixtures/engine-secrets.json, engine-configs.json, engine-services-resources.json).
//! Snapshots at 80×24 and 140×40; every step of a create and a rotation drawn with a known
//! value typed, which must be on no screen (tests/secrets_lab.rs does it on the real lab).

mod common;

use bollard::models as bm;
use jiff::Timestamp;
use ratatui::crossterm::event::KeyCode;
use swarmdeck::app::{App, Outgoing};
use swarmdeck::domain::{Config, Secret, SecretId, ServiceRefs};
use swarmdeck::engine::secrets::{Created, Listed, Payload, Rotated, SecretsAnswer, SecretsCmd};
use swarmdeck::engine::{EngineCmd, EngineMsg};
use swarmdeck::gconfig::TaskSeen;
use swarmdeck::gconfig::io::{Moved, RolloutEvent, RolloutReport, SecretUser};
use swarmdeck::keymap::{KeyTable, Keymap};
use swarmdeck::view::secrets::SecretsView;
use swarmdeck::view::secrets::configs::ConfigsView;

use common::{ctrl, fixture, key, populated_app, render, text, type_str};

const SIZES: [(u16, u16); 2] = [(80, 24), (140, 40)];

fn snap(name: &str, app: &App) {
    for (w, h) in SIZES {
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), text(&render(app, w, h)));
    }
}

/// Two days after the resources were recorded: ages are stable.
fn now() -> Timestamp {
    "2026-12-03T20:30:00Z".parse().expect("time")
}

fn fixture_secrets() -> Vec<Secret> {
    let raw: Vec<bm::Secret> =
        serde_json::from_str(&fixture("engine-secrets.json")).expect("secrets fixture");
    raw.into_iter().map(Secret::from).collect()
}

fn fixture_configs() -> Vec<Config> {
    let raw: Vec<bm::Config> =
        serde_json::from_str(&fixture("engine-configs.json")).expect("configs fixture");
    let mut v: Vec<Config> = raw.into_iter().map(Config::from).collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}

fn fixture_refs() -> Vec<ServiceRefs> {
    let raw: Vec<bm::Service> =
        serde_json::from_str(&fixture("engine-services-resources.json")).expect("services fixture");
    raw.into_iter().map(ServiceRefs::from).collect()
}

/// The secrets and configs commands sent since the last call, with their seq.
fn cmds(app: &mut App) -> Vec<(u64, SecretsCmd)> {
    app.outbox
        .drain(..)
        .filter_map(|o| match o {
            Outgoing::Engine(EngineCmd::Secrets { seq, cmd }) => Some((seq, *cmd)),
            _ => None,
        })
        .collect()
}

fn answer(app: &mut App, seq: u64, a: SecretsAnswer) {
    app.apply(EngineMsg::SecretsDone {
        seq,
        answer: Box::new(a),
    });
}

/// Answer the list command the popup just sent.
fn answer_list(app: &mut App, secrets: Vec<Secret>) {
    let sent = cmds(app);
    let (seq, _) = sent
        .iter()
        .find(|(_, c)| *c == SecretsCmd::ListSecrets)
        .unwrap_or_else(|| panic!("the popup lists the secrets: {sent:?}"));
    answer(
        app,
        *seq,
        SecretsAnswer::Secrets(Ok(Listed {
            items: secrets,
            services: fixture_refs(),
            unreadable: Vec::new(),
        })),
    );
}

fn answer_configs(app: &mut App) {
    let sent = cmds(app);
    let (seq, _) = sent
        .iter()
        .find(|(_, c)| *c == SecretsCmd::ListConfigs)
        .unwrap_or_else(|| panic!("the popup lists the configs: {sent:?}"));
    answer(
        app,
        *seq,
        SecretsAnswer::Configs(Ok(Listed {
            items: fixture_configs(),
            services: fixture_refs(),
            unreadable: Vec::new(),
        })),
    );
}

fn secrets_app(secrets: Vec<Secret>) -> App {
    let mut app = populated_app();
    app.now = now();
    app.run_command("secrets");
    assert!(app.top_as::<SecretsView>().is_some(), "the popup is open");
    answer_list(&mut app, secrets);
    app
}

fn configs_app() -> App {
    let mut app = populated_app();
    app.now = now();
    app.run_command("configs");
    assert!(app.top_as::<ConfigsView>().is_some(), "the popup is open");
    answer_configs(&mut app);
    app
}

fn view(app: &App) -> &SecretsView {
    app.top_as::<SecretsView>()
        .expect("the secrets popup is on top")
}

fn configs(app: &App) -> &ConfigsView {
    app.top_as::<ConfigsView>()
        .expect("the configs popup is on top")
}

/// An unused secret beside the fixture's.
fn unused() -> Secret {
    Secret {
        id: SecretId("unusedid0000000000000000".into()),
        name: "old-token".into(),
        created: Some("2026-11-20T10:00:00Z".parse().expect("time")),
        updated: Some("2026-11-21T10:00:00Z".parse().expect("time")),
        ..Default::default()
    }
}

fn select(app: &mut App, name: &str) {
    for _ in 0..20 {
        let v = view(app);
        let cur = v
            .list()
            .selected()
            .map(|i| v.list().rows.items[i].name.clone());
        if cur.as_deref() == Some(name) {
            return;
        }
        key(app, KeyCode::Down);
    }
    panic!("no secret {name}");
}

fn screens(app: &App) -> Vec<String> {
    SIZES
        .iter()
        .map(|(w, h)| text(&render(app, *w, *h)))
        .collect()
}

#[test]
fn the_secrets_popup_names_who_uses_each() {
    let app = secrets_app(fixture_secrets());
    snap("secrets", &app);
    let wide = text(&render(&app, 140, 40));
    assert!(wide.contains("rx-db-password"), "{wide}");
    assert!(wide.contains("rx_db (db_password)"), "{wide}");
    assert!(wide.contains("team=db"), "{wide}");
    assert!(wide.contains("internal"), "the driver: {wide}");
    assert!(wide.contains("2d"), "ages: {wide}");
    // the selected one's users, in words
    assert!(
        wide.contains("used by rx_db (target db_password)"),
        "{wide}"
    );
}

#[test]
fn deleting_a_secret_in_use_is_refused_naming_the_services() {
    let mut app = secrets_app(fixture_secrets());
    ctrl(&mut app, 'd');
    let d = view(&app).dialog().expect("a dialog");
    let said: Vec<&str> = d.lines().iter().map(|(_, l)| l.as_str()).collect();
    assert!(
        said.iter()
            .any(|l| l.contains("used by rx_db (target db_password)")),
        "{said:?}"
    );
    assert!(d.word().is_none(), "a refusal, not a confirm");
    snap("secrets_delete_refused", &app);
    key(&mut app, KeyCode::Enter);
    assert!(!view(&app).busy());
    assert!(cmds(&mut app).is_empty(), "nothing was sent");
}

#[test]
fn deleting_an_unused_secret_needs_its_name_typed() {
    let mut secrets = fixture_secrets();
    secrets.push(unused());
    let mut app = secrets_app(secrets);
    select(&mut app, "old-token");
    ctrl(&mut app, 'd');
    assert_eq!(
        view(&app).dialog().and_then(|d| d.word()),
        Some("old-token")
    );
    type_str(&mut app, "old-toke\n");
    assert!(cmds(&mut app).is_empty(), "a wrong word does not confirm");
    type_str(&mut app, "n\n");
    let sent = cmds(&mut app);
    assert!(
        matches!(
            sent.as_slice(),
            [(_, SecretsCmd::Delete { id, name, .. })]
                if id == "unusedid0000000000000000" && name == "old-token"
        ),
        "{sent:?}"
    );
    let seq = sent[0].0;
    answer(
        &mut app,
        seq,
        SecretsAnswer::Deleted(Ok((
            swarmdeck::domain::ObjectKind::Secret,
            "old-token".into(),
        ))),
    );
    assert!(
        app.current_notice()
            .is_some_and(|n| n.text.contains("old-token deleted"))
    );
    // and the list is read again
    assert!(
        cmds(&mut app)
            .iter()
            .any(|(_, c)| *c == SecretsCmd::ListSecrets)
    );
}

#[test]
fn a_new_secrets_name_is_checked_at_the_field() {
    let mut app = secrets_app(fixture_secrets());
    key(&mut app, KeyCode::Char('n'));
    for bad in ["rx-db-password", "-bad", "a b"] {
        // clear, type, Enter
        key(&mut app, KeyCode::End);
        for _ in 0..70 {
            key(&mut app, KeyCode::Backspace);
        }
        type_str(&mut app, bad);
        key(&mut app, KeyCode::Enter);
        let f = view(&app).form().expect("the form stays");
        assert!(
            f.form
                .field("name")
                .and_then(|f| f.error.as_ref())
                .is_some(),
            "{bad:?} refused"
        );
    }
    let f = view(&app).form().expect("the form");
    assert!(
        f.form
            .field("name")
            .and_then(|f| f.error.clone())
            .is_some_and(|e| e.contains("letters, digits")),
    );
    assert!(cmds(&mut app).is_empty());
}

/// Every screen of a create and a rotation with `value` typed (or pasted), and the commands
/// that carried it.
#[test]
fn a_secrets_value_is_on_no_screen_at_any_step() {
    let value = "Zq7-s3cr3t-V4LUE-91";
    let second = "Rotated-9x-NEWVALUE";
    let mut app = secrets_app(fixture_secrets());
    let mut seen: Vec<String> = Vec::new();
    let look = |app: &App, seen: &mut Vec<String>| seen.extend(screens(app));

    // create: the form, the value typed, the confirm, sent, created
    key(&mut app, KeyCode::Char('n'));
    look(&app, &mut seen);
    type_str(&mut app, "db-password");
    key(&mut app, KeyCode::Tab);
    type_str(&mut app, "team=db");
    key(&mut app, KeyCode::Tab);
    type_str(&mut app, &value[..8]);
    look(&app, &mut seen);
    app.on_paste(&value[8..]);
    look(&app, &mut seen);
    snap("secrets_create_form", &app);
    key(&mut app, KeyCode::Enter);
    let d = view(&app).dialog().expect("the confirm");
    assert!(
        d.lines()
            .iter()
            .any(|(_, l)| l == &format!("create secret db-password ({} bytes)", value.len())),
        "{:?}",
        d.lines()
    );
    look(&app, &mut seen);
    snap("secrets_create_confirm", &app);
    key(&mut app, KeyCode::Char('y'));
    assert!(view(&app).form().is_none(), "the form (and the value) went");
    look(&app, &mut seen);
    let sent = cmds(&mut app);
    let [(seq, cmd)] = sent.as_slice() else {
        panic!("one create: {sent:?}");
    };
    match cmd {
        SecretsCmd::Create {
            name, labels, data, ..
        } => {
            assert_eq!(name, "db-password");
            assert_eq!(labels.get("team").map(String::as_str), Some("db"));
            match data {
                Payload::Typed(b) => assert_eq!(b.expose(), value.as_bytes()),
                other => panic!("{other:?}"),
            }
        }
        other => panic!("{other:?}"),
    }
    assert!(
        !format!("{sent:?}").contains(value),
        "the command prints no value"
    );
    answer(
        &mut app,
        *seq,
        SecretsAnswer::Created(Ok(Created {
            kind: swarmdeck::domain::ObjectKind::Secret,
            id: "newid".into(),
            name: "db-password".into(),
            size: value.len(),
        })),
    );
    look(&app, &mut seen);
    answer_list(&mut app, fixture_secrets());

    // rotate rx-db-password: the form, the value, the confirm, the rollout, the offer
    select(&mut app, "rx-db-password");
    key(&mut app, KeyCode::Char('r'));
    let f = view(&app).form().expect("the rotation's form");
    assert_eq!(f.title(), "rotate rx-db-password → rx-db-password.v2");
    look(&app, &mut seen);
    type_str(&mut app, second);
    look(&app, &mut seen);
    key(&mut app, KeyCode::Enter);
    look(&app, &mut seen);
    snap("secrets_rotate_confirm", &app);
    key(&mut app, KeyCode::Char('y'));
    let sent = cmds(&mut app);
    let [(seq, SecretsCmd::Rotate { id, new_name, .. })] = sent.as_slice() else {
        panic!("one rotation: {sent:?}");
    };
    assert_eq!(id, "l5gz2mc2mlrxp3tz3o4c5ti5a");
    assert_eq!(new_name, "rx-db-password.v2");
    assert!(!format!("{sent:?}").contains(second));
    let seq = *seq;
    look(&app, &mut seen);
    let task = |version, state: &str| TaskSeen {
        task: "t1".into(),
        node: "node2".into(),
        version: Some(version),
        state: state.into(),
        error: String::new(),
    };
    for event in [
        RolloutEvent::Started {
            service: "rx_db".into(),
            from: Some(1),
            to: Some(2),
        },
        RolloutEvent::Progress {
            service: "rx_db".into(),
            on_new: 0,
            total: 1,
            state: "updating".into(),
            tasks: vec![task(1, "running")],
        },
        RolloutEvent::Progress {
            service: "rx_db".into(),
            on_new: 1,
            total: 1,
            state: "completed".into(),
            tasks: vec![task(2, "running")],
        },
    ] {
        app.apply(EngineMsg::ConfigRollout { seq, event });
        look(&app, &mut seen);
    }
    let updating = text(&render(&app, 140, 40));
    assert!(
        updating.contains("1/1 tasks on rx-db-password.v2"),
        "{updating}"
    );
    assert!(updating.contains("node2"), "{updating}");
    app.apply(EngineMsg::ConfigRollout {
        seq,
        event: RolloutEvent::Done {
            service: "rx_db".into(),
            noop: false,
        },
    });
    answer(
        &mut app,
        seq,
        SecretsAnswer::Rotated(Ok(Box::new(Rotated {
            created: Created {
                kind: swarmdeck::domain::ObjectKind::Secret,
                id: "newid2".into(),
                name: "rx-db-password.v2".into(),
                size: second.len(),
            },
            users: vec![SecretUser {
                id: "svc-db".into(),
                name: "rx_db".into(),
                targets: vec!["db_password".into()],
            }],
            report: RolloutReport {
                to: Some(2),
                moved: vec![Moved {
                    id: "svc-db".into(),
                    name: "rx_db".into(),
                    target: "db_password".into(),
                    previous: Some(1),
                }],
                skipped: Vec::new(),
                failed: None,
            },
        }))),
    );
    look(&app, &mut seen);
    snap("secrets_rotated_offer", &app);
    // the offer to delete the old one: its name typed
    let offer = view(&app).dialog().expect("the offer");
    assert_eq!(offer.word(), Some("rx-db-password"));
    answer_list(&mut app, fixture_secrets());
    type_str(&mut app, "rx-db-password\n");
    let sent = cmds(&mut app);
    assert!(
        matches!(sent.as_slice(), [(_, SecretsCmd::Delete { name, .. })] if name == "rx-db-password"),
        "{sent:?}"
    );
    answer(
        &mut app,
        sent[0].0,
        SecretsAnswer::Deleted(Ok((
            swarmdeck::domain::ObjectKind::Secret,
            "rx-db-password".into(),
        ))),
    );
    look(&app, &mut seen);
    let done = text(&render(&app, 140, 40));
    assert!(done.contains("Deleted rx-db-password."), "{done}");
    assert!(done.contains("now runs with rx-db-password.v2"), "{done}");

    assert!(seen.len() >= 30, "every step was drawn: {}", seen.len());
    for screen in &seen {
        for v in [value, &value[..8], &value[8..], second] {
            assert!(!screen.contains(v), "{v} drawn:\n{screen}");
        }
    }
    for n in &app.notices {
        assert!(
            !n.text.contains(value) && !n.text.contains(second),
            "{}",
            n.text
        );
    }
}

#[test]
fn a_rotation_that_stops_says_where_and_that_the_moved_ones_stay() {
    let mut app = secrets_app(fixture_secrets());
    key(&mut app, KeyCode::Char('r'));
    type_str(&mut app, "new-value\n");
    key(&mut app, KeyCode::Char('y'));
    let sent = cmds(&mut app);
    let seq = sent[0].0;
    answer(
        &mut app,
        seq,
        SecretsAnswer::Rotated(Ok(Box::new(Rotated {
            created: Created {
                kind: swarmdeck::domain::ObjectKind::Secret,
                id: "n".into(),
                name: "rx-db-password.v2".into(),
                size: 9,
            },
            users: Vec::new(),
            report: RolloutReport {
                to: Some(2),
                moved: vec![Moved {
                    id: "a".into(),
                    name: "rx_api".into(),
                    target: "db_password".into(),
                    previous: Some(1),
                }],
                skipped: Vec::new(),
                failed: Some(("rx_db".into(), "rx_db: update paused by Swarm".into())),
            },
        }))),
    );
    let screen = text(&render(&app, 140, 40));
    assert!(
        screen.contains("The rotation stopped at rx_db: rx_db: update paused by Swarm"),
        "{screen}"
    );
    assert!(
        screen.contains("The services already moved stay on rx-db-password.v2: rx_api"),
        "{screen}"
    );
    assert!(
        view(&app).dialog().is_none(),
        "no offer to delete a secret still in use"
    );
    snap("secrets_rotation_stopped", &app);
}

#[test]
fn readonly_mode_has_no_create_delete_or_rotate() {
    let mut app = populated_app();
    app.keymap = Keymap::new(&KeyTable::default(), true).expect("keymap");
    app.readonly = true;
    app.now = now();
    app.run_command("secrets");
    answer_list(&mut app, fixture_secrets());
    key(&mut app, KeyCode::Char('n'));
    ctrl(&mut app, 'd');
    key(&mut app, KeyCode::Char('r'));
    assert!(!view(&app).busy(), "no form, no dialog");
    assert!(cmds(&mut app).is_empty());
    let screen = text(&render(&app, 140, 40));
    assert!(!screen.contains("n new"), "no write key hinted: {screen}");
}

#[test]
fn the_configs_popup_groups_the_global_configs_versions() {
    let mut app = configs_app();
    snap("configs", &app);
    let wide = text(&render(&app, 140, 40));
    assert!(
        wide.contains("▸ swarmdeck-rx (1 version, newest v1)"),
        "{wide}"
    );
    assert!(!wide.contains("swarmdeck-rx.v1"), "folded: {wide}");
    assert!(wide.contains("rx_web (/etc/app.conf)"), "{wide}");
    assert!(wide.contains("14 B"), "the size: {wide}");
    // the group is the first row (sorted by name: rx-app.conf, swarmdeck-rx)
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char(' '));
    let open = text(&render(&app, 140, 40));
    assert!(open.contains("▾ swarmdeck-rx"), "{open}");
    assert!(open.contains("└ swarmdeck-rx.v1"), "{open}");
    snap("configs_expanded", &app);
    // Enter on the version shows its JSON
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    let c = configs(&app).content().expect("the content");
    assert_eq!(c.name, "swarmdeck-rx.v1");
    assert!(
        c.editor
            .as_ref()
            .is_some_and(|e| e.borrow().text() == r#"{"greeting":"hello"}"#)
    );
    snap("configs_content", &app);
    key(&mut app, KeyCode::Esc);
    assert!(configs(&app).content().is_none());
}

#[test]
fn deleting_a_config_in_use_is_refused_naming_the_services() {
    let mut app = configs_app();
    // rx-app.conf, first by name
    ctrl(&mut app, 'd');
    let d = configs(&app).dialog().expect("a dialog");
    assert!(
        d.lines()
            .iter()
            .any(|(_, l)| l.contains("used by rx_web (target /etc/app.conf)")),
        "{:?}",
        d.lines()
    );
    assert!(d.word().is_none());
    key(&mut app, KeyCode::Esc);
    // the unused global config version: the name typed
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Down);
    ctrl(&mut app, 'd');
    assert_eq!(
        configs(&app).dialog().and_then(|d| d.word()),
        Some("swarmdeck-rx.v1")
    );
    type_str(&mut app, "swarmdeck-rx.v1\n");
    let sent = cmds(&mut app);
    assert!(
        matches!(sent.as_slice(), [(_, SecretsCmd::Delete { id, .. })] if id == "5aq50kyre6mk01gr3bvj98nxh"),
        "{sent:?}"
    );
}

#[test]
fn a_config_is_created_from_typed_text_after_a_confirm() {
    let mut app = configs_app();
    key(&mut app, KeyCode::Char('n'));
    type_str(&mut app, "app.json");
    key(&mut app, KeyCode::Enter);
    assert!(
        configs(&app).form().is_some_and(|f| f.in_text()),
        "no file: the text is typed"
    );
    type_str(&mut app, "{\"a\": 1}");
    snap("configs_create_text", &app);
    ctrl(&mut app, 's');
    let d = configs(&app).dialog().expect("the confirm");
    assert!(
        d.lines()
            .iter()
            .any(|(_, l)| l == "create config app.json (8 bytes)"),
        "{:?}",
        d.lines()
    );
    key(&mut app, KeyCode::Char('y'));
    let sent = cmds(&mut app);
    match sent.as_slice() {
        [
            (
                _,
                SecretsCmd::Create {
                    name,
                    data: Payload::Typed(b),
                    ..
                },
            ),
        ] => {
            assert_eq!(name, "app.json");
            assert_eq!(b.expose(), b"{\"a\": 1}");
        }
        other => panic!("{other:?}"),
    }
    answer(
        &mut app,
        sent[0].0,
        SecretsAnswer::Created(Ok(Created {
            kind: swarmdeck::domain::ObjectKind::Config,
            id: "c9".into(),
            name: "app.json".into(),
            size: 8,
        })),
    );
    assert!(
        app.current_notice()
            .is_some_and(|n| n.text == "config app.json created (8 bytes)")
    );
    let _ = cmds(&mut app);
    // from a file: the path goes to the engine, which reads it
    key(&mut app, KeyCode::Char('n'));
    type_str(&mut app, "from-file");
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Tab);
    type_str(&mut app, "/etc/hostname\n");
    key(&mut app, KeyCode::Char('y'));
    let sent = cmds(&mut app);
    assert!(
        matches!(sent.as_slice(), [(_, SecretsCmd::Create { data: Payload::File(p), .. })] if p.as_os_str() == "/etc/hostname"),
        "{sent:?}"
    );
}
