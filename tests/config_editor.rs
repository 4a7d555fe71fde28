//! The global config editor and its screens, driven by key events through the app, with the
//! engine's answers fed in as the engine would send them (the lab tests in tests/gconfig.rs
//! and tests/tmux_config.rs do the same against a real swarm). Snapshots of the editor, the
//! plan, the rollout, the drift view and the conflict screen at 80×24 and 140×40.

mod common;

use ratatui::crossterm::event::KeyCode;
use serde_json::json;
use swarmdeck::app::{App, Outgoing};
use swarmdeck::engine::gconf::{ConfigAnswer, ConfigCmd, Loaded, PublishDone};
use swarmdeck::engine::{EngineCmd, EngineMsg};
use swarmdeck::gconfig::io::{GError, Moved, Published, RolloutEvent, RolloutReport};
use swarmdeck::gconfig::{
    Drift, MergeConflict, Mode, ServiceDrift, Subscriber, TaskSeen, UpdatePolicy, Version,
    make_plan, pretty,
};
use swarmdeck::view::config::conflict::ConflictView;
use swarmdeck::view::config::draft::DraftOffer;
use swarmdeck::view::config::drift::DriftView;
use swarmdeck::view::config::editor::ConfigEditor;
use swarmdeck::view::config::plan::PlanView;
use swarmdeck::view::config::rollout::{RolloutView, Step};

use common::{ctrl, key, populated_app, render, text, type_str};

const SIZES: [(u16, u16); 2] = [(80, 24), (140, 40)];

fn snap(name: &str, app: &App) {
    for (w, h) in SIZES {
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), text(&render(app, w, h)));
    }
}

/// The config commands the app sent since the last call, with their seq.
fn config_cmds(app: &mut App) -> Vec<(u64, ConfigCmd)> {
    app.outbox
        .drain(..)
        .filter_map(|o| match o {
            Outgoing::Engine(EngineCmd::Config { seq, cmd }) => Some((seq, cmd)),
            _ => None,
        })
        .collect()
}

fn answer(app: &mut App, seq: u64, a: ConfigAnswer) {
    app.apply(EngineMsg::ConfigDone {
        seq,
        answer: Box::new(a),
    });
}

fn version(n: u64, size: usize) -> Version {
    Version {
        n,
        id: format!("cfgid{n}"),
        name: format!("swarmdeck-global.v{n}"),
        sha256: "ab".repeat(32),
        parent: n.checked_sub(1).filter(|p| *p > 0),
        author: "alice@manager1".into(),
        created: format!("2026-12-01T10:0{n}:00Z"),
        size,
    }
}

fn subscribers() -> Vec<Subscriber> {
    vec![
        Subscriber {
            id: "svcweb".into(),
            name: "web".into(),
            target: "/etc/app/global.json".into(),
            mode: Mode::Replicated { replicas: 3 },
            update: UpdatePolicy {
                parallelism: 1,
                delay_ns: 5_000_000_000,
                order: "start-first".into(),
                failure_action: "rollback".into(),
            },
            current: Some(1),
            foreign: None,
        },
        Subscriber {
            id: "svcagent".into(),
            name: "agent".into(),
            target: "/etc/agent/global.json".into(),
            mode: Mode::Global,
            update: UpdatePolicy {
                parallelism: 1,
                delay_ns: 0,
                order: "stop-first".into(),
                failure_action: "pause".into(),
            },
            current: Some(1),
            foreign: None,
        },
    ]
}

const V1: &str = "{\n  \"log_level\": \"info\",\n  \"port\": 8080,\n  \"features\": [\n    \"a\",\n    \"b\"\n  ],\n  \"debug\": false\n}\n";

fn loaded(schema: Option<serde_json::Value>) -> Loaded {
    Loaded {
        doc: "global".into(),
        versions: vec![version(1, V1.len())],
        current: Some((version(1, V1.len()), V1.to_string())),
        schema: schema.map(|s| (version(1, 10), s)),
        subscribers: subscribers(),
    }
}

/// The populated dashboard with the editor open on v1 (the load answered).
fn editor_app(schema: Option<serde_json::Value>) -> App {
    let mut app = populated_app();
    key(&mut app, KeyCode::Char('E'));
    let cmds = config_cmds(&mut app);
    assert_eq!(
        cmds.iter().map(|(_, c)| c.clone()).collect::<Vec<_>>(),
        vec![ConfigCmd::Load {
            doc: "global".into()
        }],
        "E loads the global document"
    );
    answer(
        &mut app,
        cmds[0].0,
        ConfigAnswer::Loaded(Ok(loaded(schema))),
    );
    app
}

fn editor(app: &App) -> &ConfigEditor {
    app.top_as::<ConfigEditor>().expect("the editor is on top")
}

/// Move to the start of the document, then down `n` lines and to the end of that line.
fn end_of_line(app: &mut App, n: usize) {
    ctrl(app, 'a'); // emacs: start of line (no-op on the first)
    for _ in 0..20 {
        key(app, KeyCode::Up);
    }
    for _ in 0..n {
        key(app, KeyCode::Down);
    }
    key(app, KeyCode::End);
}

#[test]
fn the_editor_opens_with_the_current_version() {
    let app = editor_app(None);
    let e = editor(&app);
    assert_eq!(e.text(), V1);
    assert_eq!(e.base(), Some(1));
    let screen = text(&render(&app, 140, 40));
    assert!(screen.contains("opened from v1"), "{screen}");
    assert!(screen.contains("2 subscribers"), "{screen}");
    assert!(screen.contains("Ln 1, Col 1"), "{screen}");
    assert!(screen.contains("of 1000 KiB"), "{screen}");
    snap("config_editor", &app);
}

#[test]
fn invalid_json_is_refused_with_the_cursor_on_the_error() {
    let mut app = editor_app(None);
    // "port": 8080, → "port": 8080,, (a second comma)
    end_of_line(&mut app, 2);
    type_str(&mut app, ",");
    ctrl(&mut app, 's');
    assert!(
        config_cmds(&mut app).is_empty(),
        "nothing is planned or written"
    );
    let e = editor(&app);
    assert!(
        e.message().is_some_and(|m| m.contains("not valid JSON")),
        "{:?}",
        e.message()
    );
    assert_eq!(e.cursor().0, 2, "the cursor is on the error's line");
    assert_eq!(e.problems().len(), 1);
    let screen = text(&render(&app, 140, 40));
    assert!(
        screen.contains("line 3"),
        "the error names its line: {screen}"
    );
}

#[test]
fn schema_errors_are_listed_with_pointers_and_enter_jumps() {
    let schema = json!({
        "type": "object",
        "properties": {
            "port": {"type": "integer", "maximum": 65535},
            "debug": {"type": "boolean"}
        }
    });
    let mut app = editor_app(Some(schema));
    // port 8080 → 808099, debug false → "no"
    end_of_line(&mut app, 2);
    key(&mut app, KeyCode::Left);
    type_str(&mut app, "99");
    end_of_line(&mut app, 7);
    for _ in 0..5 {
        key(&mut app, KeyCode::Backspace);
    }
    type_str(&mut app, "\"no\"");
    ctrl(&mut app, 's');
    assert!(config_cmds(&mut app).is_empty(), "nothing planned");
    let e = editor(&app);
    let pointers: Vec<_> = e
        .problems()
        .iter()
        .filter_map(|p| p.pointer.clone())
        .collect();
    assert!(pointers.contains(&"/port".to_string()), "{pointers:?}");
    assert!(pointers.contains(&"/debug".to_string()), "{pointers:?}");
    let screen = text(&render(&app, 140, 40));
    assert!(screen.contains("problems (2)"), "{screen}");
    assert!(screen.contains("/port"), "{screen}");
    // Tab to the list, down to the second, Enter: the cursor goes to its line
    key(&mut app, KeyCode::Tab);
    let second_line = {
        let e = editor(&app);
        let p = &e.problems()[1];
        if p.pointer.as_deref() == Some("/debug") {
            7
        } else {
            2
        }
    };
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    assert_eq!(editor(&app).cursor().0, second_line);
}

fn plan_v2(text: &str) -> swarmdeck::gconfig::Plan {
    let v1: serde_json::Value = serde_json::from_str(V1).expect("v1");
    let v2: serde_json::Value = serde_json::from_str(text).expect("v2");
    make_plan("global", Some((1, &v1)), v2, text, subscribers(), None)
}

#[test]
fn save_plans_then_y_publishes_and_the_rollout_is_followed() {
    let mut app = editor_app(None);
    end_of_line(&mut app, 2);
    key(&mut app, KeyCode::Left);
    key(&mut app, KeyCode::Backspace);
    type_str(&mut app, "1"); // 8080 → 8081
    ctrl(&mut app, 's');
    let cmds = config_cmds(&mut app);
    let [(seq, ConfigCmd::Plan { doc, text: t, base })] = cmds.as_slice() else {
        panic!("one plan asked: {cmds:?}");
    };
    assert_eq!((doc.as_str(), *base), ("global", Some(1)));
    assert!(t.contains("8081"));
    answer(&mut app, *seq, ConfigAnswer::Planned(Ok(plan_v2(t))));
    let plan = app.top_as::<PlanView>().expect("the plan is shown");
    assert_eq!(plan.plan().next, 2);
    let screen = text(&render(&app, 140, 40));
    assert!(screen.contains("Publish global v2"), "{screen}");
    assert!(screen.contains("/port: 8080 → 8081"), "{screen}");
    assert!(screen.contains("web"), "{screen}");
    assert!(screen.contains("parallelism 1"), "{screen}");
    snap("config_plan", &app);

    key(&mut app, KeyCode::Char('y'));
    let cmds = config_cmds(&mut app);
    let [
        (
            seq,
            ConfigCmd::Publish {
                base, rollback_of, ..
            },
        ),
    ] = cmds.as_slice()
    else {
        panic!("one publish sent: {cmds:?}");
    };
    assert_eq!((*base, *rollback_of), (Some(1), None));
    let seq = *seq;
    assert!(app.top_as::<RolloutView>().is_some());
    let rollout = |event| EngineMsg::ConfigRollout { seq, event };
    app.apply(rollout(RolloutEvent::Started {
        service: "web".into(),
        from: Some(1),
        to: Some(2),
    }));
    app.apply(rollout(RolloutEvent::Progress {
        service: "web".into(),
        on_new: 1,
        total: 3,
        state: "updating".into(),
        tasks: vec![
            TaskSeen {
                task: "t1".into(),
                node: "manager1".into(),
                version: Some(2),
                state: "running".into(),
                error: String::new(),
            },
            TaskSeen {
                task: "t2".into(),
                node: "manager2".into(),
                version: Some(1),
                state: "running".into(),
                error: String::new(),
            },
        ],
    }));
    let screen = text(&render(&app, 140, 40));
    assert!(screen.contains("1/3 tasks on v2"), "{screen}");
    assert!(screen.contains("manager2"), "{screen}");
    snap("config_rollout_running", &app);
    app.apply(rollout(RolloutEvent::Done {
        service: "web".into(),
        noop: false,
    }));
    app.apply(rollout(RolloutEvent::Failed {
        service: "agent".into(),
        reason: "task: non-zero exit (1)".into(),
    }));
    let plan = plan_v2(t);
    let created = version(2, 10);
    answer(
        &mut app,
        seq,
        ConfigAnswer::Published(Ok(Box::new(PublishDone {
            plan,
            published: Published::Created {
                version: created.clone(),
            },
            report: Some(RolloutReport {
                to: Some(2),
                moved: vec![Moved {
                    id: "svcweb".into(),
                    name: "web".into(),
                    target: "/etc/app/global.json".into(),
                    previous: Some(1),
                }],
                skipped: vec![],
                failed: Some(("agent".into(), "task: non-zero exit (1)".into())),
            }),
            pruned: vec![],
        }))),
    );
    let r = app.top_as::<RolloutView>().expect("rollout");
    assert_eq!(r.created(), Some(2));
    assert!(matches!(r.steps()[1].1, Step::Failed(_)));
    let screen = text(&render(&app, 140, 40));
    assert!(screen.contains("The rollout stopped at agent"), "{screen}");
    assert!(
        screen.contains("r returns what was moved (web)"),
        "{screen}"
    );
    snap("config_rollout_failed", &app);
    key(&mut app, KeyCode::Char('r'));
    let cmds = config_cmds(&mut app);
    assert!(
        matches!(cmds.as_slice(), [(_, ConfigCmd::Return { moved, .. })] if moved.len() == 1 && moved[0].name == "web"),
        "{cmds:?}"
    );
    answer(
        &mut app,
        cmds[0].0,
        ConfigAnswer::Returned(vec![("web".into(), Ok(()))]),
    );
    assert!(matches!(
        app.top_as::<RolloutView>().expect("rollout").steps()[0].1,
        Step::Returned(Ok(()))
    ));
    // closing after a publish closes the editor too
    key(&mut app, KeyCode::Esc);
    assert!(app.popups.is_empty(), "{:?}", app.popup_names());
}

#[test]
fn a_concurrent_publish_is_reported_and_nothing_is_lost() {
    let mut app = editor_app(None);
    end_of_line(&mut app, 2);
    key(&mut app, KeyCode::Left);
    type_str(&mut app, "1");
    ctrl(&mut app, 's');
    let cmds = config_cmds(&mut app);
    let t = match &cmds[0].1 {
        ConfigCmd::Plan { text, .. } => text.clone(),
        other => panic!("{other:?}"),
    };
    answer(&mut app, cmds[0].0, ConfigAnswer::Planned(Ok(plan_v2(&t))));
    key(&mut app, KeyCode::Char('y'));
    let cmds = config_cmds(&mut app);
    answer(
        &mut app,
        cmds[0].0,
        ConfigAnswer::Published(Err(GError::Conflict {
            version: 2,
            author: "bob@manager2".into(),
            created: "2026-12-01T10:05:00Z".into(),
        })),
    );
    let screen = text(&render(&app, 140, 40));
    assert!(
        screen.contains("Conflict: v2 was published by bob@manager2"),
        "{screen}"
    );
    key(&mut app, KeyCode::Esc);
    // back in the editor with the text kept
    assert_eq!(editor(&app).text(), t);
}

fn conflict_app() -> App {
    let mut app = editor_app(None);
    end_of_line(&mut app, 1);
    ctrl(&mut app, 's');
    let cmds = config_cmds(&mut app);
    answer(
        &mut app,
        cmds[0].0,
        ConfigAnswer::Planned(Err(GError::Merge {
            base: 1,
            current: 2,
            conflicts: vec![
                MergeConflict {
                    pointer: "/port".into(),
                    base: Some(json!(8080)),
                    theirs: Some(json!(9090)),
                    mine: Some(json!(8010)),
                },
                MergeConflict {
                    pointer: "/log_level".into(),
                    base: Some(json!("info")),
                    theirs: Some(json!("warn")),
                    mine: Some(json!("debug")),
                },
            ],
        })),
    );
    app
}

#[test]
fn overlapping_edits_show_the_conflict_screen_and_choices_merge() {
    let mut app = conflict_app();
    assert!(app.top_as::<ConflictView>().is_some());
    let cmds = config_cmds(&mut app);
    let reads: Vec<u64> = cmds
        .iter()
        .filter_map(|(_, c)| match c {
            ConfigCmd::Read { n, .. } => Some(*n),
            _ => None,
        })
        .collect();
    assert_eq!(reads, vec![1, 2], "base and theirs are read");
    let screen = text(&render(&app, 140, 40));
    assert!(screen.contains("/port"), "{screen}");
    assert!(screen.contains("9090"), "{screen}");
    assert!(screen.contains("8010"), "{screen}");
    snap("config_conflict", &app);
    // the base (v1) and theirs (v2: port 9090, log_level warn, debug true)
    let theirs = V1
        .replace("8080", "9090")
        .replace("\"info\"", "\"warn\"")
        .replace("false", "true");
    answer(
        &mut app,
        cmds[0].0,
        ConfigAnswer::Read(Ok((version(1, 1), V1.to_string()))),
    );
    answer(
        &mut app,
        cmds[1].0,
        ConfigAnswer::Read(Ok((version(2, 1), theirs))),
    );
    // without a choice for each, Enter merges nothing
    key(&mut app, KeyCode::Enter);
    assert!(config_cmds(&mut app).is_empty());
    key(&mut app, KeyCode::Char('t')); // /port: theirs (9090)
    key(&mut app, KeyCode::Char('m')); // /log_level: mine
    key(&mut app, KeyCode::Enter);
    let cmds = config_cmds(&mut app);
    let [(_, ConfigCmd::Plan { text: t, base, .. })] = cmds.as_slice() else {
        panic!("{cmds:?}");
    };
    assert_eq!(*base, Some(2), "planned over theirs");
    let merged: serde_json::Value = serde_json::from_str(t).expect("json");
    // mine's edit of the editor was on the line after "log_level": nothing; the choices:
    assert_eq!(merged["port"], json!(9090));
    assert_eq!(
        merged["log_level"],
        json!("info"),
        "mine: the editor's text kept info"
    );
    assert_eq!(merged["debug"], json!(true), "theirs' other change is kept");
}

#[test]
fn drift_view_shows_versions_per_node() {
    let mut app = populated_app();
    app.run_command(":config drift");
    let cmds = config_cmds(&mut app);
    assert!(matches!(cmds.as_slice(), [(_, ConfigCmd::Drift { doc })] if doc == "global"));
    let t = |node: &str, v: u64, state: &str, err: &str| TaskSeen {
        task: format!("task{node}{v}"),
        node: node.into(),
        version: Some(v),
        state: state.into(),
        error: err.into(),
    };
    answer(
        &mut app,
        cmds[0].0,
        ConfigAnswer::Drift(Ok(Drift {
            doc: "global".into(),
            current: Some(7),
            in_sync: false,
            services: vec![
                ServiceDrift {
                    service: "web".into(),
                    id: "svcweb".into(),
                    target: "/etc/app/global.json".into(),
                    in_sync: true,
                    summary: vec!["web: 3/3 tasks on v7".into()],
                    tasks: vec![
                        t("manager1", 7, "running", ""),
                        t("manager2", 7, "running", ""),
                        t("manager3", 7, "running", ""),
                    ],
                },
                ServiceDrift {
                    service: "agent".into(),
                    id: "svcagent".into(),
                    target: "/etc/agent/global.json".into(),
                    in_sync: false,
                    summary: vec![
                        "agent: 2/3 nodes on v7".into(),
                        "agent: manager2 still on v6 — rolling".into(),
                    ],
                    tasks: vec![
                        t("manager1", 7, "running", ""),
                        t("manager2", 6, "running", ""),
                        t("worker1", 7, "running", ""),
                    ],
                },
            ],
        })),
    );
    assert!(app.top_as::<DriftView>().and_then(|d| d.drift()).is_some());
    let screen = text(&render(&app, 140, 40));
    assert!(screen.contains("agent: manager2 still on v6"), "{screen}");
    snap("config_drift", &app);
}

#[test]
fn esc_with_changes_asks_and_discard_closes() {
    let mut app = editor_app(None);
    key(&mut app, KeyCode::Esc);
    assert!(app.popups.is_empty(), "no change: Esc closes at once");
    let mut app = editor_app(None);
    type_str(&mut app, "x");
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.popup_names(), vec!["config"], "it asks first");
    let screen = text(&render(&app, 80, 24));
    assert!(screen.contains("unsaved changes"), "{screen}");
    key(&mut app, KeyCode::Esc);
    assert_eq!(editor(&app).text(), format!("x{V1}"), "back, text kept");
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('d'));
    assert!(app.popups.is_empty());
}

#[test]
fn format_pretty_prints_and_undo_brings_the_text_back() {
    let mut app = editor_app(None);
    end_of_line(&mut app, 1);
    type_str(&mut app, "   ");
    let typed = editor(&app).text();
    ctrl(&mut app, 'f');
    assert_eq!(editor(&app).text(), V1);
    ctrl(&mut app, 'z');
    assert_eq!(editor(&app).text(), typed);
}

#[test]
fn drafts_are_saved_as_you_type_and_offered_at_the_next_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let drafts = dir.path().join("drafts");
    let mut app = populated_app();
    app.env.drafts = Some(drafts.clone());
    app.env.cluster = "unix:///lab.sock".into();
    key(&mut app, KeyCode::Char('E'));
    let cmds = config_cmds(&mut app);
    answer(&mut app, cmds[0].0, ConfigAnswer::Loaded(Ok(loaded(None))));
    type_str(&mut app, "{\"typed\": 1}\n");
    // a tick 3 s later: the debounce is due
    let later = app.now + jiff::SignedDuration::from_secs(3);
    app.tick(later);
    let files: Vec<_> = std::fs::read_dir(&drafts)
        .expect("the drafts dir exists")
        .collect();
    assert_eq!(files.len(), 1, "one draft file");
    type_str(&mut app, "more");
    // the process ends (a signal): flush saves what the debounce had not yet
    app.flush();

    // the next start: the draft is offered, Enter reopens it in the editor
    let mut app = populated_app();
    app.env.drafts = Some(drafts.clone());
    app.env.cluster = "unix:///lab.sock".into();
    app.offer_drafts();
    let offer = app.top_as::<DraftOffer>().expect("the draft is offered");
    assert_eq!(offer.drafts().len(), 1);
    assert!(offer.drafts()[0].text.contains("more"));
    let screen = text(&render(&app, 80, 24));
    assert!(screen.contains("unsaved config draft"), "{screen}");
    key(&mut app, KeyCode::Enter);
    let cmds = config_cmds(&mut app);
    answer(&mut app, cmds[0].0, ConfigAnswer::Loaded(Ok(loaded(None))));
    let e = editor(&app);
    assert!(
        e.text().starts_with("{\"typed\": 1}\nmore"),
        "{:?}",
        e.text()
    );
    assert_eq!(e.base(), Some(1));

    // another cluster's start offers nothing
    let mut other = populated_app();
    other.env.drafts = Some(drafts);
    other.env.cluster = "unix:///other.sock".into();
    other.offer_drafts();
    assert!(other.popups.is_empty());
}

#[test]
fn readonly_opens_read_only_and_offers_no_publish() {
    let mut app = populated_app();
    app.readonly = true;
    key(&mut app, KeyCode::Char('E'));
    let cmds = config_cmds(&mut app);
    answer(&mut app, cmds[0].0, ConfigAnswer::Loaded(Ok(loaded(None))));
    type_str(&mut app, "xyz");
    assert_eq!(editor(&app).text(), V1, "nothing typed gets in");
    let screen = text(&render(&app, 140, 40));
    assert!(screen.contains("READ-ONLY"), "{screen}");
    ctrl(&mut app, 's');
    let cmds = config_cmds(&mut app);
    answer(&mut app, cmds[0].0, ConfigAnswer::Planned(Ok(plan_v2(V1))));
    key(&mut app, KeyCode::Char('y'));
    assert!(
        config_cmds(&mut app).is_empty(),
        "y publishes nothing in readonly mode"
    );
    assert!(app.top_as::<PlanView>().is_some());
}

#[test]
fn the_external_editor_result_comes_back_with_errors_shown_and_text_kept() {
    let mut app = editor_app(None);
    ctrl(&mut app, 'e');
    let ext = app
        .external
        .take()
        .expect("the loop is asked to run $EDITOR");
    assert_eq!(ext.text, V1);
    assert_eq!(ext.suffix, ".json");
    app.external_done(ext.popup, Ok("{\"a\": }\n".into()));
    let e = editor(&app);
    assert_eq!(e.text(), "{\"a\": }\n", "the text is kept");
    assert_eq!(e.problems().len(), 1);
    assert!(
        e.message().is_some_and(|m| m.contains("back from $EDITOR")),
        "{:?}",
        e.message()
    );
    assert!(config_cmds(&mut app).is_empty(), "nothing planned");
}

#[test]
fn config_commands_and_names() {
    let mut app = populated_app();
    app.run_command(":config bad/name");
    assert!(app.popups.is_empty());
    assert!(
        app.current_notice()
            .is_some_and(|n| n.text.contains("bad/name")),
        "a bad name says why"
    );
    app.run_command(":config history");
    let cmds = config_cmds(&mut app);
    assert!(matches!(cmds.as_slice(), [(_, ConfigCmd::Load { doc })] if doc == "global"));
    assert_eq!(app.popup_names(), vec!["history"]);
    let _ = pretty(&json!({}));
}

#[test]
fn subscribe_from_the_command_line_asks_then_follows_the_update() {
    use swarmdeck::view::config::subscribe::{State, SubscribeView};
    let mut app = populated_app();
    app.run_command(":config subscribe web /etc/app/global.json");
    assert!(config_cmds(&mut app).is_empty(), "nothing before y");
    let screen = text(&render(&app, 100, 30));
    assert!(screen.contains("Subscribe web to global"), "{screen}");
    key(&mut app, KeyCode::Char('y'));
    let cmds = config_cmds(&mut app);
    assert!(
        matches!(cmds.as_slice(), [(_, ConfigCmd::Subscribe { doc, service, target })]
            if doc == "global" && service == "web" && target == "/etc/app/global.json"),
        "{cmds:?}"
    );
    answer(&mut app, cmds[0].0, ConfigAnswer::Subscribed(Ok(())));
    assert_eq!(
        app.top_as::<SubscribeView>().expect("view").state(),
        &State::Done(Ok(()))
    );
    // a relative path is refused before anything is asked
    let mut app = populated_app();
    app.run_command(":config subscribe web relative/path");
    assert!(app.popups.is_empty());
    // readonly: refused
    let mut app = populated_app();
    app.readonly = true;
    app.run_command(":config unsubscribe web");
    assert!(app.popups.is_empty());
    assert!(
        app.current_notice()
            .is_some_and(|n| n.text.contains("readonly"))
    );
}
