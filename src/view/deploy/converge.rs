//! After a deploy: the service's tasks as they appear, their states and nodes, until they
//! run (complete, for a job) or fail — with failures in plain words.

use jiff::Timestamp;
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph, Wrap};

use crate::deploy::{DeploySpec, Mode};
use crate::domain::ServiceId;
use crate::engine::{EngineCmd, TaskScope};
use crate::keymap::Keymap;
use crate::view::config::{bar, clear};
use crate::view::{Ctx, DrawCtx, Outcome, View};

const CONTEXT: &str = "deploy";

pub struct ConvergeView {
    id: ServiceId,
    name: String,
    job: bool,
    /// Replicas wanted (None: global, one per eligible node).
    want: Option<u64>,
    asked: Option<Timestamp>,
    scroll: u16,
}

impl ConvergeView {
    pub fn new(id: &str, spec: &DeploySpec) -> Self {
        let (job, want) = match spec.mode {
            Mode::Replicated { replicas } => (false, Some(replicas)),
            Mode::Global => (false, None),
            Mode::ReplicatedJob { completions, .. } => (true, Some(completions)),
            Mode::GlobalJob => (true, None),
        };
        ConvergeView {
            id: ServiceId(id.to_string()),
            name: spec.name.clone(),
            job,
            want,
            asked: None,
            scroll: 0,
        }
    }

    fn scope(&self) -> TaskScope {
        TaskScope::Service(self.id.clone())
    }

    /// (running or completed, failed, other) of the newest task per slot or node.
    pub fn counts(&self, store: &crate::store::Store) -> (usize, usize, usize) {
        let tasks = store
            .scoped
            .get(&self.scope())
            .map_or(&[][..], Vec::as_slice);
        let done = if self.job { "complete" } else { "running" };
        let mut good = 0;
        let mut bad = 0;
        let mut other = 0;
        for t in tasks.iter().filter(|t| {
            t.desired.as_str() == "running"
                || t.desired.as_str() == "complete"
                || t.state.as_str() == "complete"
        }) {
            match t.state.as_str() {
                s if s == done => good += 1,
                "failed" | "rejected" | "orphaned" => bad += 1,
                _ => other += 1,
            }
        }
        (good, bad, other)
    }
}

impl View for ConvergeView {
    fn context(&self) -> &'static str {
        CONTEXT
    }

    fn full_screen(&self) -> bool {
        true
    }

    fn scopes(&self) -> Vec<TaskScope> {
        vec![self.scope()]
    }

    fn opened(&mut self, cx: &mut Ctx<'_>) {
        self.asked = Some(cx.now);
        cx.fx.engine.push(EngineCmd::ReadTasks(self.scope()));
    }

    fn tick(&mut self, cx: &mut Ctx<'_>) -> bool {
        self.asked = Some(cx.now);
        cx.fx.engine.push(EngineCmd::ReadTasks(self.scope()));
        true
    }

    fn key(&mut self, key: &KeyEvent, _cx: &mut Ctx<'_>) -> Outcome {
        match key.code {
            KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q') => Outcome::Close,
            KeyCode::Down | KeyCode::Char('j') => {
                self.scroll = self.scroll.saturating_add(1);
                Outcome::Handled
            }
            KeyCode::Up | KeyCode::Char('k') => {
                self.scroll = self.scroll.saturating_sub(1);
                Outcome::Handled
            }
            _ => Outcome::Handled,
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCtx<'_>) {
        let theme = cx.theme;
        clear(frame, area, theme);
        if area.height < 3 {
            return;
        }
        let [top, body] =
            Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
        let (good, bad, other) = self.counts(cx.store);
        let word = if self.job { "completed" } else { "running" };
        let want = self
            .want
            .map_or("every eligible node".to_string(), |n| n.to_string());
        frame.render_widget(
            Paragraph::new(bar(
                vec![Span::styled(format!(" {} ", self.name), theme.title)],
                vec![Span::styled(
                    format!("{good} {word} of {want} · {bad} failed · {other} on the way "),
                    if bad > 0 { theme.danger } else { theme.muted },
                )],
                top.width,
                theme.text,
            )),
            top,
        );
        let mut lines = Vec::new();
        let tasks = cx.store.scoped.get(&self.scope());
        match tasks {
            None => lines.push(Line::styled("reading the tasks …", theme.info)),
            Some(t) if t.is_empty() => lines.push(Line::styled(
                "no task yet: the orchestrator is creating them",
                theme.info,
            )),
            Some(tasks) => {
                // the tasks meant to run (or to complete) now, then the earlier ones that
                // failed (what explains a retry), at most five of them
                let mut tasks: Vec<_> = tasks.iter().collect();
                tasks.sort_by_key(|t| std::cmp::Reverse(t.created));
                let current = tasks.iter().filter(|t| t.desired.as_str() != "shutdown");
                let failed = tasks
                    .iter()
                    .filter(|t| {
                        t.desired.as_str() == "shutdown"
                            && matches!(t.state.as_str(), "failed" | "rejected")
                    })
                    .take(5);
                let earlier = tasks
                    .iter()
                    .filter(|t| t.desired.as_str() == "shutdown")
                    .count();
                let shown: Vec<_> = current.chain(failed).copied().collect();
                if earlier > 0 {
                    lines.push(Line::styled(
                        format!(
                            "({earlier} earlier task(s) shut down; the failed ones are listed last)"
                        ),
                        theme.muted,
                    ));
                }
                for t in shown {
                    let node = t
                        .node_id
                        .as_ref()
                        .map_or("(not placed)".to_string(), |n| cx.store.node_name(n));
                    let state = t.state.as_str();
                    let style = match state {
                        "running" | "complete" => theme.ok,
                        "failed" | "rejected" | "orphaned" => theme.danger,
                        _ => theme.info,
                    };
                    lines.push(Line::from(vec![
                        Span::styled(format!("{:<28}", cx.store.task_name(t)), theme.text),
                        Span::styled(format!("{node:<14} "), theme.muted),
                        Span::styled(format!("{state:<10} "), style),
                        Span::styled(crate::text::printable(&t.message).into_owned(), theme.muted),
                    ]));
                    let why = if t.error.is_empty() {
                        (state == "pending" && !t.message.is_empty()).then(|| t.message.clone())
                    } else {
                        Some(t.error.clone())
                    };
                    if let Some(e) = why {
                        lines.push(Line::styled(
                            format!("    {}", crate::deploy::explain_task_error(&e)),
                            if t.error.is_empty() {
                                theme.warn
                            } else {
                                theme.danger
                            },
                        ));
                    }
                }
            }
        }
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .scroll((self.scroll, 0))
                .block(
                    Block::bordered()
                        .border_type(BorderType::Rounded)
                        .border_style(theme.border_focused)
                        .title(Span::styled(" tasks, newest first ", theme.title)),
                ),
            body,
        );
    }

    fn hints(&self, _keymap: &Keymap) -> Vec<(String, String)> {
        vec![("Esc".into(), "close (the service stays)".into())]
    }
}
