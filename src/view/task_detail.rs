//! A task's details (Enter on a task): the whole error and status message, desired and
//! current state with their times, node, slot, container, exit code, image, the configs and
//! secrets it mounts, why it is pending or failed ([`crate::health::explain`], with the last
//! lines of the logs that tell more, asked for when the view opens or its history arrives),
//! and the history of its slot (the tasks that held it before).

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Wrap};

use super::pane::tasks::state_style;
use super::{Ctx, DrawCtx, Outcome, Scroll, View};
use crate::domain::{Task, TaskId, TaskState, short_age};
use crate::engine::{EngineCmd, TaskScope};
use crate::health::explain::{ExplainCx, Explanation, LOG_TAIL, explain};
use crate::keymap::{Action, Keymap};
use crate::store::{Changed, Store};
use crate::text::printable;

pub struct TaskDetail {
    id: TaskId,
    /// The task as it was when opened (shown if it drops out of every list).
    opened: Task,
    scroll: Scroll,
    /// The task whose logs were asked for (the explanation's `logs_for`).
    asked_logs: Option<TaskId>,
}

impl TaskDetail {
    /// Open on a task, and ask the engine for its service's task history (for the slot's)
    /// and, when the explanation names a task whose logs tell more, for those logs.
    pub fn new(task: Task, cx: &mut Ctx<'_>) -> Self {
        cx.fx.engine.push(EngineCmd::ReadTasks(TaskScope::Service(
            task.service_id.clone(),
        )));
        let mut view = TaskDetail {
            id: task.id.clone(),
            opened: task,
            scroll: Scroll::default(),
            asked_logs: None,
        };
        view.ask_logs(cx);
        view
    }

    /// Why the task is pending or failed, with the log tail when it was read.
    pub fn explanation(&self, store: &Store, now: jiff::Timestamp) -> Option<Explanation> {
        let t = self.task(store);
        let base = ExplainCx::of_store(store, t, now);
        let first = explain(t, &base)?;
        let logs = first
            .logs_for
            .as_ref()
            .and_then(|id| store.task_logs_of(id))
            .and_then(|r| r.as_ref().ok())
            .map(Vec::as_slice);
        match logs {
            Some(logs) => explain(t, &base.with_logs(Some(logs))),
            None => Some(first),
        }
    }

    /// Ask for the logs the explanation names, once per task.
    fn ask_logs(&mut self, cx: &mut Ctx<'_>) {
        let Some(want) = self.explanation(cx.store, cx.now).and_then(|e| e.logs_for) else {
            return;
        };
        if self.asked_logs.as_ref() == Some(&want) {
            return;
        }
        if cx.store.task_logs_of(&want).is_none() {
            cx.fx.engine.push(EngineCmd::TaskLogs {
                task: want.clone(),
                tail: LOG_TAIL,
            });
        }
        self.asked_logs = Some(want);
    }

    /// The "why" section: the explanation, then the logs it names; empty when the task
    /// needs none.
    fn why_lines(&self, t: &Task, cx: &DrawCtx<'_>) -> Vec<Line<'static>> {
        let theme = cx.theme;
        let store = cx.store;
        let mut lines = Vec::new();
        let Some(e) = self.explanation(store, cx.now) else {
            return lines;
        };
        let style = if matches!(
            t.state,
            TaskState::Failed | TaskState::Rejected | TaskState::Orphaned
        ) {
            theme.danger
        } else {
            theme.warn
        };
        lines.push(Line::styled("why", theme.header));
        for l in &e.lines {
            lines.push(Line::styled(printable(l).into_owned(), style));
        }
        let Some(of) = &e.logs_for else {
            return lines;
        };
        let whose = if of == &t.id {
            "its logs".to_string()
        } else {
            let name = store
                .task(of)
                .map_or_else(|| of.short().to_string(), |o| store.task_name(o));
            format!("the logs of the task before it ({name}, {})", of.short())
        };
        match store.task_logs_of(of) {
            None => lines.push(Line::styled(format!("reading {whose}…"), theme.muted)),
            Some(Err(err)) => lines.push(Line::styled(
                format!("{whose}: could not be read: {}", printable(err)),
                theme.muted,
            )),
            Some(Ok(_)) if e.log_tail.is_empty() => {
                lines.push(Line::styled(format!("{whose}: empty"), theme.muted));
            }
            Some(Ok(_)) => {
                lines.push(Line::styled(
                    format!("last {} lines of {whose}:", e.log_tail.len()),
                    theme.header,
                ));
                for l in &e.log_tail {
                    lines.push(Line::from(vec![
                        Span::styled("│ ", theme.muted),
                        Span::styled(printable(l).into_owned(), theme.text),
                    ]));
                }
            }
        }
        lines
    }

    pub fn task_id(&self) -> &TaskId {
        &self.id
    }

    /// The task now (as last read), else as opened.
    fn task<'a>(&'a self, store: &'a Store) -> &'a Task {
        store.task(&self.id).unwrap_or(&self.opened)
    }

    /// Every task read that held the same slot (replicated) or the same node (global),
    /// newest first.
    pub fn slot_history<'a>(&self, store: &'a Store) -> Vec<&'a Task> {
        let t = self.task(store);
        let same = |o: &Task| {
            o.service_id == t.service_id
                && match t.slot {
                    Some(s) if s > 0 => o.slot == Some(s),
                    _ => o.node_id == t.node_id,
                }
        };
        let mut seen = std::collections::HashSet::new();
        let mut out: Vec<&Task> = store
            .live_tasks
            .iter()
            .chain(
                store
                    .scoped
                    .get(&TaskScope::Service(t.service_id.clone()))
                    .into_iter()
                    .flatten(),
            )
            .filter(|o| same(o) && seen.insert(o.id.clone()))
            .collect();
        out.sort_by(|a, b| b.created.cmp(&a.created).then(b.id.cmp(&a.id)));
        out
    }

    pub fn lines(&self, cx: &DrawCtx<'_>) -> Vec<Line<'static>> {
        let theme = cx.theme;
        let store = cx.store;
        let t = self.task(store);
        let when = |ts: Option<jiff::Timestamp>| {
            ts.map_or_else(
                || "-".to_string(),
                |ts| {
                    format!(
                        "{} ({} ago)",
                        ts.strftime("%Y-%m-%d %H:%M:%S UTC"),
                        short_age(ts, cx.now)
                    )
                },
            )
        };
        let field = |name: &str, value: String, style| {
            Line::from(vec![
                Span::styled(format!("{name:<12} "), theme.muted),
                Span::styled(value, style),
            ])
        };
        let node = t
            .node_id
            .as_ref()
            .map_or_else(|| "- (not placed)".to_string(), |n| store.node_name(n));
        let mut lines = vec![
            field(
                "task",
                format!("{}  {}", store.task_name(t), t.id),
                theme.text,
            ),
            field("service", store.service_name(&t.service_id), theme.text),
            field("node", node, theme.text),
            field(
                "slot",
                t.slot
                    .map_or_else(|| "- (global)".into(), |s| s.to_string()),
                theme.text,
            ),
            field(
                "state",
                format!("{} since {}", t.state, when(t.since)),
                state_style(&t.state, theme),
            ),
            field("desired", t.desired.to_string(), theme.text),
        ];
        // right under the state: what the user opened the task for
        let why = self.why_lines(t, cx);
        if !why.is_empty() {
            lines.push(Line::default());
            lines.extend(why);
            lines.push(Line::default());
        }
        lines.extend([
            field("created", when(t.created), theme.muted),
            field("updated", when(t.updated), theme.muted),
            field(
                "container",
                if t.container_id.is_empty() {
                    "-".into()
                } else {
                    t.container_id.clone()
                },
                theme.text,
            ),
            field(
                "exit code",
                t.exit_code.map_or_else(|| "-".into(), |c| c.to_string()),
                if t.exit_code.is_some_and(|c| c != 0) {
                    theme.danger
                } else {
                    theme.text
                },
            ),
            field("image", t.image.clone(), theme.text),
            field("message", t.message.clone(), theme.text),
            field(
                "error",
                if t.error.is_empty() {
                    "-".into()
                } else {
                    t.error.clone()
                },
                if t.error.is_empty() {
                    theme.muted
                } else {
                    theme.danger
                },
            ),
        ]);
        let refs = |list: &[(String, String)]| {
            if list.is_empty() {
                "-".to_string()
            } else {
                list.iter()
                    .map(|(n, target)| format!("{n} → {target}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        lines.push(field("configs", refs(&t.configs), theme.text));
        lines.push(field("secrets", refs(&t.secrets), theme.text));
        lines.push(Line::default());
        let history = self.slot_history(store);
        lines.push(Line::styled(
            format!(
                "history of this slot ({} task(s), newest first)",
                history.len()
            ),
            theme.header,
        ));
        if !store
            .scoped
            .contains_key(&TaskScope::Service(t.service_id.clone()))
        {
            lines.push(Line::styled(
                "reading the service's task history…",
                theme.muted,
            ));
        }
        for h in history {
            let mark = if h.id == t.id { "▸" } else { " " };
            lines.push(Line::from(vec![
                Span::styled(format!("{mark} "), theme.accent),
                Span::styled(
                    format!("{:<10} ", h.state.to_string()),
                    state_style(&h.state, theme),
                ),
                Span::styled(
                    format!(
                        "{:<8} ",
                        h.since.map(|s| short_age(s, cx.now)).unwrap_or_default()
                    ),
                    theme.muted,
                ),
                Span::styled(
                    format!(
                        "{:<12} ",
                        h.node_id
                            .as_ref()
                            .map_or_else(|| "-".into(), |n| store.node_name(n))
                    ),
                    theme.text,
                ),
                Span::styled(
                    if h.error.is_empty() {
                        h.message.clone()
                    } else {
                        h.error.clone()
                    },
                    if h.error.is_empty() {
                        theme.muted
                    } else {
                        theme.danger
                    },
                ),
            ]));
        }
        lines
    }
}

impl View for TaskDetail {
    fn context(&self) -> &'static str {
        "task"
    }

    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Outcome {
        let action = cx.action("task", key);
        if self.scroll.action(action, cx.page) {
            return Outcome::Handled;
        }
        match action {
            Some(Action::Logs) => {
                let t = self.task(cx.store).clone();
                let req = super::pane::tasks::logs_request(cx.store, &t);
                cx.fx.app.push(super::AppCmd::OpenLogs(req));
                Outcome::Handled
            }
            Some(Action::Back | Action::Quit | Action::Enter) => Outcome::Close,
            _ if key.code == KeyCode::Esc => Outcome::Close,
            _ => Outcome::Handled,
        }
    }

    fn scopes(&self) -> Vec<TaskScope> {
        vec![TaskScope::Service(self.opened.service_id.clone())]
    }

    fn changed(&mut self, what: Changed, cx: &mut Ctx<'_>) {
        // the history arrived or the task moved on: a crash loop's earlier task may tell more
        if what.tasks || what.scoped {
            self.ask_logs(cx);
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCtx<'_>) {
        let theme = cx.theme;
        let lines = self.lines(cx);
        let rect = crate::widget::centered(
            area,
            area.width.saturating_sub(4).min(120),
            area.height.saturating_sub(2),
        );
        frame.render_widget(Clear, rect);
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(theme.border_style(true))
            .title(Span::styled(
                format!(" task {} ", cx.store.task_name(self.task(cx.store))),
                theme.title,
            ))
            .title_bottom(Span::styled(" j/k scroll · Esc close ", theme.muted))
            .style(theme.text);
        let inner = block.inner(rect);
        // wrapped lines: count what they take at this width
        let width = usize::from(inner.width.max(1));
        let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(width)).sum();
        let top = self.scroll.fit(rows, inner.height);
        frame.render_widget(
            Paragraph::new(lines)
                .block(block)
                .wrap(Wrap { trim: false })
                .scroll((top, 0)),
            rect,
        );
    }

    fn hints(&self, keymap: &Keymap) -> Vec<(String, String)> {
        super::hints_for(
            keymap,
            "task",
            &[
                (Action::Down, "scroll"),
                (Action::Logs, "logs"),
                (Action::Back, "close"),
            ],
        )
    }

    fn actions(&self) -> &'static [Action] {
        &[Action::Logs]
    }
}
