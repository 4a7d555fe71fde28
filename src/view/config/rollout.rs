//! A publish and its rollout, live: the version created (or why not), then each subscribed
//! service as Swarm updates it, with its tasks per node. A failure stops the rollout; `r`
//! then returns the services already moved to the version they had.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph, Wrap};

use super::{bar, clear, node_name};
use crate::engine::gconf::{ConfigAnswer, ConfigCmd, PublishDone};
use crate::gconfig::io::{GError, Published, RolloutEvent};
use crate::gconfig::{Plan, TaskSeen};
use crate::keymap::Keymap;
use crate::store::Level;
use crate::view::{AppCmd, ConfigMsg, Ctx, DrawCtx, Outcome, View};

const CONTEXT: &str = "rollout";

/// Where one service is.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Waiting,
    Updating {
        on_new: usize,
        total: usize,
        state: String,
        tasks: Vec<TaskSeen>,
    },
    Done {
        noop: bool,
    },
    Skipped(String),
    Failed(String),
    /// Returned to its previous version (or why not).
    Returned(Result<(), String>),
}

/// The publish of one plan and its rollout.
pub struct RolloutView {
    plan: Plan,
    base: Option<u64>,
    keep: usize,
    services: Vec<(String, Step)>,
    result: Option<Result<Box<PublishDone>, GError>>,
    returning: bool,
    scroll: u16,
}

impl RolloutView {
    pub fn new(plan: Plan, base: Option<u64>, keep: usize) -> Self {
        let services = plan
            .subscribers
            .iter()
            .map(|s| (s.name.clone(), Step::Waiting))
            .collect();
        RolloutView {
            plan,
            base,
            keep,
            services,
            result: None,
            returning: false,
            scroll: 0,
        }
    }

    /// Every service's step, in rollout order.
    pub fn steps(&self) -> &[(String, Step)] {
        &self.services
    }

    /// The publish finished (whatever the rollout did).
    pub fn finished(&self) -> bool {
        self.result.is_some() && !self.returning
    }

    /// The version created, if one was.
    pub fn created(&self) -> Option<u64> {
        match &self.result {
            Some(Ok(d)) => match &d.published {
                Published::Created { version } => Some(version.n),
                Published::Unchanged { .. } => None,
            },
            _ => None,
        }
    }

    /// Why the rollout stopped, if it did.
    pub fn failure(&self) -> Option<&(String, String)> {
        match &self.result {
            Some(Ok(d)) => d.report.as_ref().and_then(|r| r.failed.as_ref()),
            _ => None,
        }
    }

    fn step_mut(&mut self, name: &str) -> Option<&mut Step> {
        step_mut(&mut self.services, name)
    }

    fn event(&mut self, e: RolloutEvent) {
        apply_event(&mut self.services, e);
    }

    fn moved(&self) -> Vec<crate::gconfig::io::Moved> {
        match &self.result {
            Some(Ok(d)) => d.report.as_ref().map_or(Vec::new(), |r| r.moved.clone()),
            _ => Vec::new(),
        }
    }

    fn answer(&mut self, a: ConfigAnswer, cx: &mut Ctx<'_>) {
        match a {
            ConfigAnswer::Published(result) => {
                if let Ok(d) = &result
                    && let Published::Created { version } = &d.published
                {
                    // published: the draft has done its job
                    if let Some(dir) = &cx.env.drafts {
                        let _ = crate::gconfig::draft::Drafts::at(dir.clone())
                            .discard(&self.plan.doc, &cx.env.cluster);
                    }
                    let level = if d.report.as_ref().is_some_and(|r| r.ok()) {
                        Level::Info
                    } else {
                        Level::Danger
                    };
                    cx.fx.notify(
                        level,
                        format!("{}: published v{}", self.plan.doc, version.n),
                    );
                }
                self.result = Some(result);
            }
            ConfigAnswer::Returned(results) => {
                self.returning = false;
                for (name, r) in results {
                    if let Some(s) = self.step_mut(&name) {
                        *s = Step::Returned(r);
                    }
                }
            }
            _ => {}
        }
    }

    fn lines(&self, theme: &crate::theme::Theme) -> Vec<Line<'static>> {
        let p = |s: &str| crate::text::printable(s).into_owned();
        let mut lines = Vec::new();
        let head = match &self.result {
            None => Line::styled(
                format!(
                    "Publishing {} v{} and rolling it out …",
                    self.plan.doc, self.plan.next
                ),
                theme.info,
            ),
            Some(Ok(d)) => match &d.published {
                Published::Created { version } => Line::styled(
                    format!("Published {} (v{}).", version.name, version.n),
                    theme.ok,
                ),
                Published::Unchanged { current } => Line::styled(
                    format!("Identical to v{current}: nothing was published."),
                    theme.ok,
                ),
            },
            Some(Err(GError::Conflict {
                version,
                author,
                created,
            })) => Line::styled(
                format!(
                    "Conflict: v{version} was published by {} at {created} while you worked. Nothing was published. Esc goes back to the editor: Ctrl-s there merges your edit with v{version}.",
                    p(author)
                ),
                theme.danger,
            ),
            Some(Err(e)) => Line::styled(
                format!("Not published: {}", p(&e.to_string())),
                theme.danger,
            ),
        };
        lines.push(head);
        lines.push(Line::default());
        lines.extend(service_lines(
            &self.services,
            &format!("v{}", self.plan.next),
            &|n| format!("v{n}"),
            theme,
        ));
        if let Some(Ok(d)) = &self.result {
            if !d.pruned.is_empty() {
                lines.push(Line::default());
                lines.push(Line::styled(
                    format!(
                        "Retention (keep {}): deleted {}",
                        self.keep,
                        d.pruned.join(", ")
                    ),
                    theme.muted,
                ));
            }
            if let Some((svc, why)) = d.report.as_ref().and_then(|r| r.failed.as_ref()) {
                lines.push(Line::default());
                lines.push(Line::styled(
                    format!("The rollout stopped at {}: {}", p(svc), p(why)),
                    theme.danger,
                ));
                let moved = self.moved();
                if !moved.is_empty() && !self.returning {
                    let names: Vec<String> = moved.iter().map(|m| p(&m.name)).collect();
                    lines.push(Line::styled(
                        format!(
                            "r returns what was moved ({}) to the version each had before.",
                            names.join(", ")
                        ),
                        theme.warn,
                    ));
                }
            } else if self.created().is_some() {
                lines.push(Line::default());
                lines.push(Line::styled(
                    "Every subscribed task runs the new version (d shows the drift per node).",
                    theme.ok,
                ));
            }
        }
        lines
    }
}

/// The step of the service called `name` (added, waiting, when it is not listed yet).
pub fn step_mut<'a>(services: &'a mut Vec<(String, Step)>, name: &str) -> Option<&'a mut Step> {
    if let Some(i) = services.iter().position(|(n, _)| n == name) {
        return Some(&mut services[i].1);
    }
    services.push((name.to_string(), Step::Waiting));
    services.last_mut().map(|(_, s)| s)
}

/// One rollout event onto the services' steps (a document's rollout, a secret's rotation).
pub fn apply_event(services: &mut Vec<(String, Step)>, e: RolloutEvent) {
    let (service, step) = match e {
        RolloutEvent::Started { service, .. } => (
            service,
            Step::Updating {
                on_new: 0,
                total: 0,
                state: "updating".into(),
                tasks: Vec::new(),
            },
        ),
        RolloutEvent::Progress {
            service,
            on_new,
            total,
            state,
            tasks,
        } => (
            service,
            Step::Updating {
                on_new,
                total,
                state,
                tasks,
            },
        ),
        RolloutEvent::Done { service, noop } => (service, Step::Done { noop }),
        RolloutEvent::Skipped { service, reason } => (service, Step::Skipped(reason)),
        RolloutEvent::Failed { service, reason } => (service, Step::Failed(reason)),
    };
    if let Some(s) = step_mut(services, &service) {
        *s = step;
    }
}

/// Each service's step as a line, and under an updating one its tasks per node: `to` names
/// what the services move to ("v3", "db-password.v2"), `version` a task's version.
pub fn service_lines(
    services: &[(String, Step)],
    to: &str,
    version: &dyn Fn(u64) -> String,
    theme: &crate::theme::Theme,
) -> Vec<Line<'static>> {
    let p = |s: &str| crate::text::printable(s).into_owned();
    let mut lines = Vec::new();
    for (name, step) in services {
        let (mark, style, text) = match step {
            Step::Waiting => ("·", theme.muted, "waiting".to_string()),
            Step::Updating {
                on_new,
                total,
                state,
                ..
            } => (
                "↻",
                theme.info,
                format!("{on_new}/{total} tasks on {to} ({state})"),
            ),
            Step::Done { noop: true } => ("✓", theme.ok, "already on it".to_string()),
            Step::Done { noop: false } => ("✓", theme.ok, format!("every task on {to}")),
            Step::Skipped(r) => ("–", theme.warn, format!("skipped: {}", p(r))),
            Step::Failed(r) => ("✗", theme.danger, format!("FAILED: {}", p(r))),
            Step::Returned(Ok(())) => (
                "↩",
                theme.warn,
                "returned to its previous version".to_string(),
            ),
            Step::Returned(Err(e)) => (
                "✗",
                theme.danger,
                format!("could not be returned: {}", p(e)),
            ),
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" {mark} "), style),
            Span::styled(format!("{:<20} ", p(name)), theme.text),
            Span::styled(text, style),
        ]));
        if let Step::Updating { tasks, .. } = step {
            for t in tasks {
                let v = t.version.map_or("none".to_string(), version);
                let err = if t.error.is_empty() {
                    String::new()
                } else {
                    format!(" — {}", p(&t.error))
                };
                lines.push(Line::styled(
                    format!("      {:<14} {:<6} {}{err}", node_name(&t.node), v, t.state),
                    if t.error.is_empty() {
                        theme.muted
                    } else {
                        theme.danger
                    },
                ));
            }
        }
    }
    lines
}

impl View for RolloutView {
    fn context(&self) -> &'static str {
        CONTEXT
    }

    fn full_screen(&self) -> bool {
        true
    }

    fn opened(&mut self, cx: &mut Ctx<'_>) {
        // a merged plan was merged with the current version: that is its base now
        let base = if self.plan.merged_from.is_some() {
            self.plan.current
        } else {
            self.base
        };
        cx.fx.app.push(AppCmd::Config(ConfigCmd::Publish {
            doc: self.plan.doc.clone(),
            text: self.plan.text.clone(),
            base,
            rollback_of: self.plan.rollback_of,
            keep: self.keep,
        }));
    }

    fn config_msg(&mut self, msg: ConfigMsg, cx: &mut Ctx<'_>) -> Outcome {
        match msg {
            ConfigMsg::Progress(e) => self.event(e),
            ConfigMsg::Done(a) => self.answer(*a, cx),
        }
        Outcome::Handled
    }

    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Outcome {
        match key.code {
            KeyCode::Char('r') if self.failure().is_some() && !self.returning => {
                let moved = self.moved();
                if !moved.is_empty() {
                    self.returning = true;
                    cx.fx.app.push(AppCmd::Config(ConfigCmd::Return {
                        doc: self.plan.doc.clone(),
                        moved,
                    }));
                }
                Outcome::Handled
            }
            KeyCode::Char('d') if self.finished() => {
                Outcome::Push(Box::new(super::drift::DriftView::new(&self.plan.doc)))
            }
            KeyCode::Down | KeyCode::Char('j') => {
                self.scroll = self.scroll.saturating_add(1);
                Outcome::Handled
            }
            KeyCode::Up | KeyCode::Char('k') => {
                self.scroll = self.scroll.saturating_sub(1);
                Outcome::Handled
            }
            KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q') => {
                if self.result.is_none() {
                    cx.fx.notify(
                        Level::Info,
                        format!(
                            "the rollout of {} v{} goes on; :config drift {} shows where it is",
                            self.plan.doc, self.plan.next, self.plan.doc
                        ),
                    );
                }
                if self.created().is_some() {
                    // what the editor held is published: it closes too
                    cx.fx.app.push(AppCmd::CloseViews("config"));
                }
                Outcome::Close
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
        let state = match (&self.result, self.returning) {
            (_, true) => "returning …",
            (None, _) => "rolling out …",
            (Some(_), _) => "finished",
        };
        frame.render_widget(
            Paragraph::new(bar(
                vec![Span::styled(
                    format!(" rollout · {} v{} ", self.plan.doc, self.plan.next),
                    theme.title,
                )],
                vec![Span::styled(format!("{state} "), theme.muted)],
                top.width,
                theme.text,
            )),
            top,
        );
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(theme.border_focused)
            .title(Span::styled(" services ", theme.title));
        frame.render_widget(
            Paragraph::new(self.lines(theme))
                .block(block)
                .wrap(Wrap { trim: false })
                .scroll((self.scroll, 0)),
            body,
        );
    }

    fn hints(&self, _keymap: &Keymap) -> Vec<(String, String)> {
        let mut h = Vec::new();
        if self.failure().is_some() && !self.returning && !self.moved().is_empty() {
            h.push(("r".into(), "return moved services".into()));
        }
        if self.finished() {
            h.push(("d".into(), "drift".into()));
            h.push(("Esc".into(), "close".into()));
        } else {
            h.push(("Esc".into(), "hide (it goes on)".into()));
        }
        h
    }
}
