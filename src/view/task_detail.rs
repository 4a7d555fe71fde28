//! A task's details (Enter on a task): the whole error and status message, desired and
//! current state with their times, node, slot, container, exit code, image, the configs and
//! secrets it mounts, and the history of its slot (the tasks that held it before).

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Wrap};

use super::pane::tasks::state_style;
use super::{Ctx, DrawCtx, Outcome, Scroll, View};
use crate::domain::{Task, TaskId, short_age};
use crate::engine::{EngineCmd, TaskScope};
use crate::keymap::{Action, Keymap};
use crate::store::Store;

pub struct TaskDetail {
    id: TaskId,
    /// The task as it was when opened (shown if it drops out of every list).
    opened: Task,
    scroll: Scroll,
}

impl TaskDetail {
    /// Open on a task, and ask the engine for its service's task history (for the slot's).
    pub fn new(task: Task, cx: &mut Ctx<'_>) -> Self {
        cx.fx.engine.push(EngineCmd::ReadTasks(TaskScope::Service(
            task.service_id.clone(),
        )));
        TaskDetail {
            id: task.id.clone(),
            opened: task,
            scroll: Scroll::default(),
        }
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
        ];
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
            Some(Action::Back | Action::Quit | Action::Enter) => Outcome::Close,
            _ if key.code == KeyCode::Esc => Outcome::Close,
            _ => Outcome::Handled,
        }
    }

    fn scopes(&self) -> Vec<TaskScope> {
        vec![TaskScope::Service(self.opened.service_id.clone())]
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
            &[(Action::Down, "scroll"), (Action::Back, "close")],
        )
    }
}
