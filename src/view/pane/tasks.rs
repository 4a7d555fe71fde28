//! The tasks pane: without a drill-down, the live tasks of the selected node or service;
//! with one, that node's or service's whole task history. Enter opens a task's details.
//! The error column shows why a task is pending or failed in a few words
//! ([`crate::health::explain`], built for the visible rows only); the raw error is in the
//! details.

use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Constraint;
use ratatui::style::Style;
use ratatui::text::Line;

use super::{PaneRows, Selection};
use crate::domain::{Task, TaskState, short_age};
use crate::engine::TaskScope;
use crate::health::explain::{ExplainCx, explain};
use crate::keymap::Action;
use crate::store::Changed;
use crate::theme::Theme;
use crate::view::list::{Column, Data, Rows};
use crate::view::{AppCmd, Ctx, LogsRequest, Outcome, task_detail::TaskDetail};

/// What `l` on a task opens: that task's logs.
pub fn logs_request(store: &crate::store::Store, t: &Task) -> LogsRequest {
    LogsRequest {
        service: t.service_id.clone(),
        service_name: store.service_name(&t.service_id),
        task: Some((t.id.clone(), store.task_name(t))),
        since: None,
        find: None,
    }
}

#[derive(Default)]
pub struct TaskRows;

/// The tasks the pane lists (before filtering): the drill-down's history, else the live ones.
pub fn source<'a>(data: Data<'a>) -> &'a [Task] {
    match data.drill {
        Some(scope) => data.store.scoped.get(scope).map_or(&[], Vec::as_slice),
        None => &data.store.live_tasks,
    }
}

/// What the pane is showing, for its title.
pub fn scope_label(data: Data<'_>) -> String {
    match data.drill {
        Some(TaskScope::Node(id)) => format!("on {}, with history", data.store.node_name(id)),
        Some(TaskScope::Service(id)) => {
            format!("of {}, with history", data.store.service_name(id))
        }
        Some(TaskScope::Live) | None => match data.follow {
            Some(TaskScope::Node(id)) => format!("on {}", data.store.node_name(id)),
            Some(TaskScope::Service(id)) => format!("of {}", data.store.service_name(id)),
            _ => "all running".into(),
        },
    }
}

pub fn state_style(state: &TaskState, theme: &Theme) -> Style {
    match state {
        TaskState::Running | TaskState::Complete => theme.ok,
        TaskState::Failed | TaskState::Rejected | TaskState::Orphaned | TaskState::Unknown(_) => {
            theme.danger
        }
        TaskState::Shutdown | TaskState::Remove => theme.muted,
        _ => theme.warn,
    }
}

impl Rows for TaskRows {
    fn context(&self) -> &'static str {
        "tasks"
    }
    fn title(&self, data: Data<'_>, shown: usize) -> String {
        format!("tasks {} ({shown})", scope_label(data))
    }
    fn len(&self, data: Data<'_>) -> usize {
        source(data).len()
    }
    fn id(&self, data: Data<'_>, i: usize) -> String {
        source(data)[i].id.0.clone()
    }
    fn text(&self, data: Data<'_>, i: usize) -> String {
        let t = &source(data)[i];
        let svc = data.store.service_name(&t.service_id);
        let node = t
            .node_id
            .as_ref()
            .map(|n| data.store.node_name(n))
            .unwrap_or_default();
        format!(
            "{svc} {node} {} {} {} {}",
            t.desired, t.state, t.message, t.error
        )
    }
    fn keep(&self, data: Data<'_>, i: usize) -> bool {
        if data.drill.is_some() {
            return true;
        }
        let t = &source(data)[i];
        match data.follow {
            Some(TaskScope::Node(n)) => t.node_id.as_ref() == Some(n),
            Some(TaskScope::Service(s)) => &t.service_id == s,
            _ => true,
        }
    }
    fn shows(&self, what: Changed) -> bool {
        what.tasks || what.scoped || what.nodes || what.services
    }
    fn columns(&self, _data: Data<'_>, _width: u16) -> Vec<Column> {
        vec![
            Column::fill("TASK", 14, 0),
            Column::fixed("NODE", 12, 1),
            Column::fixed("DESIRED", 8, 3),
            Column::fixed("STATE", 24, 0),
            Column::fill("ERROR", 8, 2),
        ]
    }
    fn cells(&self, data: Data<'_>, theme: &Theme, i: usize) -> Vec<Line<'static>> {
        let t = &source(data)[i];
        let node = t
            .node_id
            .as_ref()
            .map_or_else(|| "-".to_string(), |id| data.store.node_name(id));
        let age = t.since.map(|s| short_age(s, data.now)).unwrap_or_default();
        let down = data.store.task_on_down_node(t);
        let state = if down {
            Line::styled(format!("{} {age} (node down)", t.state), theme.danger)
        } else {
            Line::styled(format!("{} {age}", t.state), state_style(&t.state, theme))
        };
        let why = match explain(t, &ExplainCx::of_store(data.store, t, data.now)) {
            Some(e) => {
                let failed = down
                    || matches!(
                        t.state,
                        TaskState::Failed | TaskState::Rejected | TaskState::Orphaned
                    );
                Line::styled(
                    crate::text::printable(&e.short).into_owned(),
                    if failed { theme.danger } else { theme.warn },
                )
            }
            None => Line::styled(crate::text::printable(&t.error).into_owned(), theme.danger),
        };
        vec![
            Line::styled(data.store.task_name(t), theme.text),
            Line::styled(node, if down { theme.danger } else { theme.text }),
            Line::styled(t.desired.to_string(), theme.muted),
            state,
            why,
        ]
    }
    fn empty(&self, data: Data<'_>, _filtered: bool) -> &'static str {
        match data.drill {
            Some(scope) if !data.store.scoped.contains_key(scope) => "loading…",
            _ => "no tasks",
        }
    }
    fn key(
        &mut self,
        action: Option<Action>,
        _key: &KeyEvent,
        selected: Option<usize>,
        cx: &mut Ctx<'_>,
    ) -> Outcome {
        match action {
            Some(Action::Enter) => {
                let data = Data::of_ctx(cx);
                match selected.and_then(|i| source(data).get(i)).cloned() {
                    Some(t) => Outcome::Push(Box::new(TaskDetail::new(t, cx))),
                    None => Outcome::Handled,
                }
            }
            Some(Action::Logs) => {
                let data = Data::of_ctx(cx);
                if let Some(t) = selected.and_then(|i| source(data).get(i)) {
                    let req = logs_request(cx.store, t);
                    cx.fx.app.push(AppCmd::OpenLogs(req));
                }
                Outcome::Handled
            }
            _ => Outcome::Ignored,
        }
    }
    fn actions(&self) -> &'static [Action] {
        &[Action::Enter, Action::Logs]
    }
    fn hint_words(&self) -> &'static [(Action, &'static str)] {
        &[(Action::Enter, "details"), (Action::Logs, "logs")]
    }
}

impl PaneRows for TaskRows {
    fn selection(&self, _data: Data<'_>, _i: usize) -> Selection {
        Selection::None
    }
    fn constraint(&self, _data: Data<'_>, _shown: usize, focused: bool, _body: u16) -> Constraint {
        Constraint::Fill(if focused { 3 } else { 2 })
    }
}
