//! Every popup and form through key events, against an app fed with the JSON recorded from
//! the lab (no lab needed): the labels form, the drain confirm with a typed hostname, the
//! filter (replace, clear, paste), paste into every input, the task detail view, the
//! drain-done dialog, the help's end; and proof that no view can be cloned.

mod common;

use std::marker::PhantomData;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use swarmdeck::app::{App, Outgoing};
use swarmdeck::domain::{Availability, Task, TaskState};
use swarmdeck::engine::write::{NodeChange, WriteOutcome};
use swarmdeck::engine::{EngineCmd, EngineMsg, TaskScope, WriteChange, WriteRequest};
use swarmdeck::view::labels::LabelsForm;
use swarmdeck::view::pane::Selection;

use common::{key, render, type_str};

fn screen(app: &App, w: u16, h: u16) -> String {
    common::text(&render(app, w, h))
}

/// The writes the app queued for the engine (and forget the rest of the outbox).
fn writes(app: &mut App) -> Vec<WriteRequest> {
    app.outbox
        .drain(..)
        .filter_map(|o| match o {
            Outgoing::Engine(EngineCmd::Write(w)) => Some(w),
            _ => None,
        })
        .collect()
}

fn last_notice(app: &App) -> String {
    app.notices
        .back()
        .map(|n| n.text.clone())
        .unwrap_or_default()
}

fn pane_filter(app: &App, pane: &str) -> String {
    app.pane(pane).expect("pane").filter().to_string()
}

fn select_node(app: &mut App, host: &str) {
    app.run_command("nodes");
    key(app, KeyCode::Char('g'));
    for _ in 0..app.store.nodes.len() {
        if let Selection::Node(id) = app.selection("nodes")
            && app.store.node(&id).is_some_and(|n| n.hostname == host)
        {
            return;
        }
        key(app, KeyCode::Char('j'));
    }
    panic!("{host} is not in the nodes pane");
}

#[test]
fn labels_form_adds_refuses_bad_keys_and_reviews() {
    let mut app = common::populated_app();
    select_node(&mut app, "node2");
    key(&mut app, KeyCode::Char('L'));
    assert_eq!(app.popup_names(), ["labels"]);
    // a bad key is refused at the field and changes nothing
    type_str(&mut app, "bad key=1");
    key(&mut app, KeyCode::Enter);
    let f = app.top_as::<LabelsForm>().expect("the form");
    assert!(f.error.as_deref().is_some_and(|e| !e.is_empty()), "refused");
    assert!(f.set.is_empty());
    assert_eq!(f.input.text(), "bad key=1", "what was typed is kept");
    // Ctrl-u clears the input (a real input widget)
    app.on_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    assert_eq!(app.top_as::<LabelsForm>().expect("form").input.text(), "");
    // a good one is added
    type_str(&mut app, "zone=eu");
    key(&mut app, KeyCode::Enter);
    let f = app.top_as::<LabelsForm>().expect("the form");
    assert_eq!(f.set.get("zone").map(String::as_str), Some("eu"));
    assert!(f.error.is_none());
    assert!(
        screen(&app, 100, 30).contains("+ zone=eu"),
        "{}",
        screen(&app, 100, 30)
    );
    // Enter on an empty input: the review replaces the form; y writes only that change
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.popup_names(), ["confirm"]);
    assert!(writes(&mut app).is_empty(), "nothing written before y");
    key(&mut app, KeyCode::Char('y'));
    let w = writes(&mut app);
    assert_eq!(w.len(), 1);
    match &w[0].change {
        WriteChange::Node(NodeChange::Labels { set, remove, .. }) => {
            assert_eq!(set.get("zone").map(String::as_str), Some("eu"));
            assert!(remove.is_empty());
        }
        other => panic!("{other:?}"),
    }
    assert!(app.popups.is_empty());
}

#[test]
fn the_labels_form_takes_a_paste() {
    let mut app = common::populated_app();
    select_node(&mut app, "node3");
    key(&mut app, KeyCode::Char('L'));
    app.on_paste("rack=r2");
    assert_eq!(
        app.top_as::<LabelsForm>().expect("form").input.text(),
        "rack=r2"
    );
    key(&mut app, KeyCode::Enter);
    let f = app.top_as::<LabelsForm>().expect("form");
    assert_eq!(f.set.get("rack").map(String::as_str), Some("r2"));
    // two lines are refused at the field, and nothing is typed
    app.on_paste("a=1\nb=2");
    let f = app.top_as::<LabelsForm>().expect("form");
    assert_eq!(f.input.text(), "");
    assert!(
        f.error
            .as_deref()
            .is_some_and(|e| e.contains("nothing was pasted")),
        "{:?}",
        f.error
    );
}

#[test]
fn dangerous_drain_needs_the_typed_hostname_and_takes_a_paste() {
    let mut app = common::populated_app(); // node1 is the leader
    select_node(&mut app, "node1");
    key(&mut app, KeyCode::Char('D'));
    assert_eq!(app.popup_names(), ["confirm"]);
    // y does nothing here; a wrong word does not confirm
    key(&mut app, KeyCode::Char('y'));
    key(&mut app, KeyCode::Enter);
    assert!(writes(&mut app).is_empty());
    assert_eq!(app.popup_names(), ["confirm"]);
    // clear the y, paste the hostname
    key(&mut app, KeyCode::Backspace);
    app.on_paste("node1");
    key(&mut app, KeyCode::Enter);
    let w = writes(&mut app);
    assert_eq!(w.len(), 1, "one write");
    assert!(matches!(
        &w[0].change,
        WriteChange::Node(NodeChange::Availability {
            to: Availability::Drain,
            ..
        })
    ));
    // the progress view replaced the dialog
    assert_eq!(app.popup_names(), ["drain"]);
    // a paste of two lines is refused whole
    let mut app = common::populated_app();
    select_node(&mut app, "node1");
    key(&mut app, KeyCode::Char('D'));
    app.on_paste("node1\nrm -rf /");
    key(&mut app, KeyCode::Enter);
    assert!(
        writes(&mut app).is_empty(),
        "a multi-line paste confirms nothing"
    );
    assert!(
        last_notice(&app).contains("nothing was pasted"),
        "{}",
        last_notice(&app)
    );
}

#[test]
fn filter_opens_selected_so_typing_replaces_it() {
    let mut app = common::populated_app();
    app.run_command("services");
    key(&mut app, KeyCode::Char('/'));
    type_str(&mut app, "gpu");
    key(&mut app, KeyCode::Enter);
    assert_eq!(pane_filter(&app, "services"), "gpu");
    // reopening: the filter is selected, typing replaces it (not "gpucrashy")
    key(&mut app, KeyCode::Char('/'));
    type_str(&mut app, "web");
    assert_eq!(pane_filter(&app, "services"), "web", "filters as you type");
    key(&mut app, KeyCode::Enter);
    assert_eq!(pane_filter(&app, "services"), "web");
    assert_eq!(app.pane("services").map(|p| p.shown()), Some(1));
    // arrows keep it and move: End then typing appends
    key(&mut app, KeyCode::Char('/'));
    key(&mut app, KeyCode::End);
    type_str(&mut app, "x");
    assert_eq!(pane_filter(&app, "services"), "webx");
    // Esc clears
    key(&mut app, KeyCode::Esc);
    assert_eq!(pane_filter(&app, "services"), "");
    assert_eq!(app.pane("services").map(|p| p.shown()), Some(5));
    // paste into the filter; a multi-line paste is refused and changes nothing
    key(&mut app, KeyCode::Char('/'));
    app.on_paste("pinned");
    assert_eq!(pane_filter(&app, "services"), "pinned");
    app.on_paste("a\nb");
    assert_eq!(pane_filter(&app, "services"), "pinned");
    assert!(last_notice(&app).contains("nothing was pasted"));
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.pane("services").map(|p| p.shown()), Some(1));
}

#[test]
fn the_command_line_takes_a_paste_and_completes() {
    let mut app = common::populated_app();
    key(&mut app, KeyCode::Char(':'));
    app.on_paste("servi");
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.focused(), "services");
    // a paste with no input open says where to paste
    app.on_paste("x");
    assert!(
        last_notice(&app).contains("press /"),
        "{}",
        last_notice(&app)
    );
}

fn pinned_task(app: &App) -> Task {
    app.store
        .live_tasks
        .iter()
        .find(|t| t.state == TaskState::Pending)
        .expect("fx-pinned's pending task")
        .clone()
}

#[test]
fn a_task_opens_its_details_with_the_whole_error() {
    let mut app = common::populated_app();
    let t = pinned_task(&app);
    // follow fx-pinned from the services pane, then Enter on its task
    app.run_command("services");
    key(&mut app, KeyCode::Char('/'));
    type_str(&mut app, "pinned");
    key(&mut app, KeyCode::Enter);
    app.run_command("tasks");
    app.outbox.clear();
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.popup_names(), ["task"]);
    // the service's history is asked for
    assert!(app.outbox.iter().any(|o| matches!(
        o,
        Outgoing::Engine(EngineCmd::ReadTasks(TaskScope::Service(id))) if *id == t.service_id
    )));
    let s = screen(&app, 100, 30);
    assert!(
        s.contains("no suitable node (scheduling constraints not satisfied on 3 nodes)"),
        "the whole error: {s}"
    );
    assert!(s.contains("fx-pinned.1"), "{s}");
    assert!(s.contains("pending"), "{s}");
    assert!(s.contains("history of this slot"), "{s}");
    // the history arrives: an older failed task of the same slot shows
    let mut old = t.clone();
    old.id = "oldtask000000000000000000".into();
    old.state = TaskState::Failed;
    old.desired = TaskState::Shutdown;
    old.error = "task: non-zero exit (1)".into();
    old.created = t.created.map(|c| c - jiff::SignedDuration::from_secs(600));
    app.apply(EngineMsg::Tasks {
        scope: TaskScope::Service(t.service_id.clone()),
        tasks: vec![t.clone(), old],
    });
    let s = screen(&app, 100, 30);
    assert!(s.contains("task: non-zero exit (1)"), "{s}");
    assert!(s.contains("2 task(s)"), "{s}");
    let scope = TaskScope::Service(t.service_id.clone());
    assert!(app.store.scoped.contains_key(&scope));
    key(&mut app, KeyCode::Esc);
    assert!(app.popups.is_empty());
    // closed: its history is not kept for ever
    assert!(
        !app.store.scoped.contains_key(&scope),
        "the history is dropped"
    );
}

/// The engine commands queued (and forget the rest of the outbox).
fn engine_cmds(app: &mut App) -> Vec<EngineCmd> {
    app.outbox
        .drain(..)
        .filter_map(|o| match o {
            Outgoing::Engine(c) => Some(c),
            _ => None,
        })
        .collect()
}

#[test]
fn a_pending_task_says_which_constraint_no_node_satisfies() {
    let mut app = common::populated_app();
    app.run_command("services");
    key(&mut app, KeyCode::Char('/'));
    type_str(&mut app, "pinned");
    key(&mut app, KeyCode::Enter);
    app.run_command("tasks");
    // the pane's error column: the short explanation, not the scheduler's words
    let s = screen(&app, 140, 40);
    assert!(s.contains("no node has label site=nowhere"), "{s}");
    app.outbox.clear();
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.popup_names(), ["task"]);
    let s = screen(&app, 120, 40);
    assert!(s.contains("why"), "{s}");
    assert!(
        s.contains("Constraint node.labels.site==nowhere: no node has the label site"),
        "{s}"
    );
    // the raw error stays in the details
    assert!(
        s.contains("no suitable node (scheduling constraints not satisfied on 3 nodes)"),
        "{s}"
    );
    // a pending task has no logs to read
    assert!(
        !engine_cmds(&mut app)
            .iter()
            .any(|c| matches!(c, EngineCmd::TaskLogs { .. })),
        "no logs asked for"
    );
}

#[test]
fn a_failed_task_shows_its_exit_code_and_the_last_log_lines() {
    let mut app = common::populated_app();
    app.run_command("services");
    key(&mut app, KeyCode::Char('/'));
    type_str(&mut app, "fx-web");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter); // drill into fx-web's history
    assert_eq!(app.focused(), "tasks");
    let scope = app.drill.clone().expect("drilled");
    let running = app
        .store
        .live_tasks
        .iter()
        .find(|t| TaskScope::Service(t.service_id.clone()) == scope)
        .expect("an fx-web task")
        .clone();
    let mut crashed = running.clone();
    crashed.id = "crashed00000000000000000".into();
    crashed.state = TaskState::Failed;
    crashed.desired = TaskState::Shutdown;
    crashed.error = "task: non-zero exit (3)".into();
    crashed.exit_code = Some(3);
    crashed.container_id = "c0ffee".into();
    crashed.since = Some(app.now - jiff::SignedDuration::from_secs(30));
    crashed.created = Some(app.now - jiff::SignedDuration::from_secs(34));
    app.apply(EngineMsg::Tasks {
        scope: scope.clone(),
        tasks: vec![running, crashed.clone()],
    });
    let s = screen(&app, 140, 40);
    assert!(s.contains("exited with code 3 (after 4 s)"), "{s}");
    key(&mut app, KeyCode::Char('/'));
    type_str(&mut app, "non-zero");
    key(&mut app, KeyCode::Enter);
    app.outbox.clear();
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.popup_names(), ["task"]);
    // the logs are asked for, once
    let asked: Vec<EngineCmd> = engine_cmds(&mut app)
        .into_iter()
        .filter(|c| matches!(c, EngineCmd::TaskLogs { .. }))
        .collect();
    assert_eq!(
        asked,
        [EngineCmd::TaskLogs {
            task: crashed.id.clone(),
            tail: 20
        }]
    );
    let s = screen(&app, 120, 40);
    assert!(
        s.contains("It exited with code 3 (after 4 s): see the task's logs."),
        "{s}"
    );
    assert!(s.contains("reading its logs…"), "{s}");
    app.apply(EngineMsg::TaskLogs {
        task: crashed.id.clone(),
        result: Ok(vec!["starting".into(), "boom \x1b[2J".into()]),
    });
    let s = screen(&app, 120, 40);
    assert!(s.contains("last 2 lines of its logs:"), "{s}");
    assert!(s.contains("│ boom"), "{s}");
    // made printable: the escape is shown, not sent
    assert!(s.contains("boom \\x1b[2J"), "{s}");
    // an answer that is not the same task's is not shown
    app.apply(EngineMsg::TaskLogs {
        task: "othertask".into(),
        result: Err("not connected".into()),
    });
    assert!(screen(&app, 120, 40).contains("│ boom"));
    assert!(
        !engine_cmds(&mut app)
            .iter()
            .any(|c| matches!(c, EngineCmd::TaskLogs { .. })),
        "not asked again"
    );
}

#[test]
fn a_finished_drain_says_so_and_any_key_closes_it() {
    let mut app = common::populated_app();
    select_node(&mut app, "node2");
    key(&mut app, KeyCode::Char('D'));
    key(&mut app, KeyCode::Char('y'));
    let w = writes(&mut app);
    assert_eq!(w.len(), 1);
    assert_eq!(app.popup_names(), ["drain"]);
    // while it runs: other keys stay in the dialog, Esc would leave it
    key(&mut app, KeyCode::Char('x'));
    assert_eq!(app.popup_names(), ["drain"]);
    assert!(screen(&app, 100, 30).contains("Esc leaves (the drain goes on)"));
    // the write is done, node2 is drained and its tasks are gone
    let node2 = app
        .store
        .nodes
        .iter()
        .find(|n| n.hostname == "node2")
        .expect("node2")
        .id
        .clone();
    app.apply(EngineMsg::WriteDone {
        seq: w[0].seq,
        target: w[0].target.clone(),
        action: w[0].action.clone(),
        result: Ok(WriteOutcome {
            before: serde_json::Value::Null,
            after: serde_json::Value::Null,
            version: 1,
            attempts: 1,
            noop: false,
        }),
    });
    let mut nodes = app.store.nodes.clone();
    for n in &mut nodes {
        if n.id == node2 {
            n.availability = Availability::Drain;
        }
    }
    app.apply(EngineMsg::Nodes(nodes));
    let live: Vec<Task> = app
        .store
        .live_tasks
        .iter()
        .filter(|t| t.node_id.as_ref() != Some(&node2))
        .cloned()
        .collect();
    app.apply(EngineMsg::Tasks {
        scope: TaskScope::Live,
        tasks: live,
    });
    app.apply(EngineMsg::Tasks {
        scope: TaskScope::Node(node2.clone()),
        tasks: Vec::new(),
    });
    assert!(
        app.ops.drains[&node2].done_at.is_some(),
        "the drain is done"
    );
    let s = screen(&app, 100, 30);
    assert!(s.contains("done · any key closes"), "{s}");
    assert!(!s.contains("the drain goes on"), "{s}");
    key(&mut app, KeyCode::Char('x'));
    assert!(app.popups.is_empty(), "any key closes it");
}

#[test]
fn help_scrolling_stops_at_its_last_line() {
    let mut app = common::populated_app();
    key(&mut app, KeyCode::Char('?'));
    let first = screen(&app, 80, 12);
    for _ in 0..200 {
        key(&mut app, KeyCode::Char('j'));
        let _ = render(&app, 80, 12);
    }
    let help = app
        .top_as::<swarmdeck::view::help::Help>()
        .expect("the help");
    let at_end = help.scroll();
    assert!(
        at_end > 0 && at_end < 100,
        "scrolled to the end, not past it: {at_end}"
    );
    let s = screen(&app, 80, 12);
    assert_ne!(s, first);
    assert!(
        s.contains("marks the Raft leader"),
        "the last line is in view: {s}"
    );
    // one more j changes nothing
    key(&mut app, KeyCode::Char('j'));
    assert_eq!(screen(&app, 80, 12), s);
}

// ---------------------------------------------------------------------- no clones

struct Probe<T>(PhantomData<T>);
trait CloneProbe {
    fn is_clone(&self) -> bool {
        true
    }
}
impl<T: Clone> CloneProbe for Probe<T> {}
trait NotCloneProbe {
    fn is_clone(&self) -> bool {
        false
    }
}
impl<T> NotCloneProbe for &Probe<T> {}

macro_rules! clone_able {
    ($t:ty) => {
        (&Probe::<$t>(PhantomData)).is_clone()
    };
}

/// Keys reach the popup on the stack by reference: no view type can even be cloned, so no
/// key handler can copy a popup (or the document an editor popup will hold).
#[test]
fn no_view_can_be_cloned() {
    use swarmdeck::view;
    assert!(clone_able!(String), "the probe sees Clone types");
    assert!(!clone_able!(view::confirm::WriteConfirm));
    assert!(!clone_able!(view::labels::LabelsForm));
    assert!(!clone_able!(view::filter::FilterPrompt));
    assert!(!clone_able!(view::command::CommandLine));
    assert!(!clone_able!(view::help::Help));
    assert!(!clone_able!(view::drain::DrainView));
    assert!(!clone_able!(view::rebalance::RebalanceView));
    assert!(!clone_able!(view::audit::AuditView));
    assert!(!clone_able!(view::task_detail::TaskDetail));
    assert!(!clone_able!(view::service_ops::ServicePrompt));
    assert!(!clone_able!(view::service_ops::ServiceRead));
    assert!(!clone_able!(view::service_ops::RollbackConfirm));
    assert!(!clone_able!(view::registries::RegistriesView));
    assert!(!clone_able!(view::cluster::ClusterView));
    assert!(!clone_able!(view::networks::NetworksView));
    assert!(!clone_able!(view::volumes::VolumesView));
    assert!(!clone_able!(swarmdeck::app::Popup));
    assert!(!clone_able!(swarmdeck::app::App));
}
