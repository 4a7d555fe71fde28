//! The task explainer against the real lab (issue 11): a service constrained to a label no
//! node has is explained by naming the constraint; a crash-looping service by its exit code
//! and, once the detail view has asked the engine for them, the last lines of its logs.
//! Everything goes through the engine → App path the dashboard uses. Needs root; brings the
//! lab up itself. Prints how long each answer took.

mod common;

use std::time::Duration;

use common::lab::{self, LabGuard};
use jiff::Timestamp;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use swarmdeck::app::{App, Outgoing};
use swarmdeck::domain::{Task, TaskState};
use swarmdeck::engine::{self, EngineHandle};
use swarmdeck::health::explain::{ExplainCx, Explanation, explain};
use swarmdeck::keymap::Keymap;
use swarmdeck::view::task_detail::TaskDetail;
use swarmdeck::view::{Ctx, Effects};
use tokio::time::Instant;

const PINNED: &str = "sdx-pinned";
const CRASHY: &str = "sdx-crashy";
const CONSTRAINT: &str = "node.labels.swarmdeck-test-none==true";

/// Send what the app queued for the engine.
fn forward(engine: &EngineHandle, app: &mut App) {
    for out in app.outbox.drain(..) {
        if let Outgoing::Engine(cmd) = out {
            let _ = engine.cmd.send(cmd);
        }
    }
}

/// Feed engine messages into the app (as the UI loop does) until `done` holds.
async fn pump_until(
    engine: &mut EngineHandle,
    app: &mut App,
    what: &str,
    limit: Duration,
    done: impl Fn(&App) -> bool,
) {
    let deadline = Instant::now() + limit;
    forward(engine, app);
    while !done(app) {
        match engine::recv_until(&mut engine.rx, deadline).await {
            Some(msg) => {
                app.apply(msg);
                app.tick(Timestamp::now());
                forward(engine, app);
            }
            None => panic!(
                "timed out after {limit:?} waiting for: {what}\nconn: {:?}\nservices: {:?}\nnotices: {:?}",
                app.store.conn,
                app.store
                    .services
                    .iter()
                    .map(|s| (&s.name, s.running, s.desired))
                    .collect::<Vec<_>>(),
                app.notices
            ),
        }
    }
}

fn key(app: &mut App, code: KeyCode) {
    app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
}

fn why(app: &App, t: &Task) -> Option<Explanation> {
    explain(t, &ExplainCx::of_store(&app.store, t, Timestamp::now()))
}

/// The pinned service's pending task, once the scheduler has said why.
fn pinned_task(app: &App) -> Option<Task> {
    let svc = app.store.services.iter().find(|s| s.name == PINNED)?;
    app.store
        .live_tasks
        .iter()
        .find(|t| {
            t.service_id == svc.id
                && t.state == TaskState::Pending
                && t.error.contains("no suitable node")
        })
        .cloned()
}

/// The crashing service's newest failed task with an exit code, from the drilled-down history.
fn newest_crash(app: &App) -> Option<Task> {
    let svc = app.store.services.iter().find(|s| s.name == CRASHY)?;
    let scope = app.drill.as_ref()?;
    app.store
        .scoped
        .get(scope)?
        .iter()
        .filter(|t| {
            t.service_id == svc.id && t.state == TaskState::Failed && t.exit_code == Some(3)
        })
        .max_by_key(|t| t.since)
        .cloned()
}

/// Open the task detail view on `task` (as Enter in the tasks pane does) and send what it
/// asks for.
fn open_detail(engine: &EngineHandle, app: &mut App, task: Task) {
    let mut fx = Effects::default();
    let view = {
        let mut cx = Ctx {
            store: &app.store,
            ops: &app.ops,
            keymap: &app.keymap,
            now: Timestamp::now(),
            readonly: false,
            page: 10,
            follow: None,
            drill: app.drill.clone(),
            env: &app.env,
            fx: &mut fx,
        };
        TaskDetail::new(task, &mut cx)
    };
    app.push(Box::new(view));
    for cmd in fx.engine {
        let _ = engine.cmd.send(cmd);
    }
    forward(engine, app);
}

fn drill_into(app: &mut App, service: &str) {
    app.run_command("services");
    key(app, KeyCode::Char('/'));
    for c in service.chars() {
        key(app, KeyCode::Char(c));
    }
    key(app, KeyCode::Enter);
    key(app, KeyCode::Enter);
    assert_eq!(app.focused(), "tasks", "drilled into {service}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_explainer_names_the_constraint_and_the_exit_code_with_the_logs() {
    let lab: LabGuard = lab::take();
    let _cleanup = lab::RmServices(vec![PINNED, CRASHY]);
    lab.create_service(PINNED, &["--constraint", CONSTRAINT]);
    let _ = lab::lab(&["docker", "node1", "service", "rm", CRASHY]);
    lab.docker(
        "node1",
        &[
            "service",
            "create",
            "-d",
            "--name",
            CRASHY,
            "--no-resolve-image",
            "--restart-delay",
            "1s",
            "swarmdeck/busybox:lab",
            "sh",
            "-c",
            "echo boom >&2; exit 3",
        ],
    );
    let created = Instant::now();

    let mut engine = engine::spawn(lab.sockets(), common::fast_timings());
    let mut app = App::new(Keymap::default(), Timestamp::now());

    // the constraint no node satisfies
    pump_until(
        &mut engine,
        &mut app,
        "sdx-pinned's pending task with the scheduler's error",
        Duration::from_secs(60),
        |a| pinned_task(a).is_some(),
    )
    .await;
    let pinned = pinned_task(&app).expect("pinned task");
    let e = why(&app, &pinned).expect("a pending task is explained");
    println!(
        "pinned explained {:?} after the create: {} / {:?}",
        created.elapsed(),
        e.short,
        e.lines
    );
    assert_eq!(e.short, "no node has label swarmdeck-test-none=true");
    assert!(
        e.lines
            .iter()
            .any(|l| l.contains("node.labels.swarmdeck-test-none")),
        "the constraint is named: {e:?}"
    );

    // the crash loop: its history, an exit code 3
    drill_into(&mut app, CRASHY);
    pump_until(
        &mut engine,
        &mut app,
        "a failed sdx-crashy task with exit code 3 in its history",
        Duration::from_secs(90),
        |a| newest_crash(a).is_some(),
    )
    .await;
    println!("first crash seen {:?} after the create", created.elapsed());

    // the detail view asks for the logs; the explanation then carries them. A failed task is
    // pruned from the history after a few restarts: try again with the newest if it went.
    let mut logs_took = None;
    for attempt in 1..=3 {
        let crash = newest_crash(&app).expect("a failed task");
        let e = why(&app, &crash).expect("a failed task is explained");
        assert!(
            e.short.starts_with("exited with code 3"),
            "the exit code: {e:?}"
        );
        assert!(e.lines[0].contains("exited with code 3"), "{e:?}");
        assert_eq!(e.logs_for.as_ref(), Some(&crash.id));
        let asked = Instant::now();
        open_detail(&engine, &mut app, crash.clone());
        pump_until(
            &mut engine,
            &mut app,
            "the failed task's logs",
            Duration::from_secs(30),
            |a| a.store.task_logs_of(&crash.id).is_some(),
        )
        .await;
        match app.store.task_logs_of(&crash.id).cloned() {
            Some(Ok(lines)) => {
                println!(
                    "logs read in {:?} (attempt {attempt}): {lines:?}",
                    asked.elapsed()
                );
                assert!(
                    lines.iter().any(|l| l.contains("boom")),
                    "the task's stderr: {lines:?}"
                );
                let detail = app.top_as::<TaskDetail>().expect("the detail view is open");
                let e = detail
                    .explanation(&app.store, Timestamp::now())
                    .expect("explained");
                assert!(
                    e.log_tail.iter().any(|l| l.contains("boom")),
                    "the explanation carries the log tail: {e:?}"
                );
                assert!(e.short.contains("exited with code 3"), "{e:?}");
                let screen = common::text(&common::render(&app, 140, 50));
                assert!(
                    screen.contains("│ boom"),
                    "the detail view shows it:\n{screen}"
                );
                logs_took = Some(asked.elapsed());
                break;
            }
            Some(Err(err)) if attempt < 3 => {
                println!(
                    "logs of {} not read ({err}); trying the newest task",
                    crash.id
                );
                key(&mut app, KeyCode::Esc);
            }
            other => panic!("the logs of {}: {other:?}", crash.id),
        }
    }
    let logs_took = logs_took.expect("the logs were read");
    println!(
        "total {:?}; logs answered in {logs_took:?}",
        created.elapsed()
    );
    // `_cleanup` removes the services before `lab` lets go of the lab lock
}
