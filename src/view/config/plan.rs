//! The plan of a publish, shown before anything is written: the changes by JSON pointer, the
//! text diff, the subscribed services with their mode and update config, the warnings.
//! `y` publishes and rolls out ([`super::rollout::RolloutView`] takes this popup's place);
//! Esc goes back to the editor.

use std::cell::Cell;

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph};

use super::{bar, change_line, clear, size_text};
use crate::gconfig::Plan;
use crate::keymap::{Action, Keymap};
use crate::view::{Ctx, DrawCtx, Outcome, View};
use crate::widget::DiffView;

const CONTEXT: &str = "plan";

/// The plan, waiting for `y`.
pub struct PlanView {
    plan: Plan,
    /// The version the edit started from (sent again with the publish, so a version that
    /// appears meanwhile is merged or refused, never overwritten).
    base: Option<u64>,
    readonly: bool,
    diff: DiffView,
    /// The first line of the summary shown.
    scroll: Cell<usize>,
    top: usize,
    /// Which part scrolls: the summary (false) or the text diff (true).
    in_diff: bool,
}

impl PlanView {
    pub fn new(plan: Plan, base: Option<u64>, readonly: bool) -> Self {
        let old = plan
            .previous
            .as_ref()
            .map_or(String::new(), crate::gconfig::pretty);
        let diff = DiffView::new(&old, &crate::gconfig::pretty(&plan.document)).with_context(3);
        PlanView {
            plan,
            base,
            readonly,
            diff,
            scroll: Cell::new(0),
            top: 0,
            in_diff: false,
        }
    }

    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    fn summary(&self, width: usize, theme: &crate::theme::Theme) -> Vec<Line<'static>> {
        let p = &self.plan;
        let mut lines = Vec::new();
        if p.unchanged {
            lines.push(Line::styled(
                format!(
                    "Identical to the current version v{}: nothing to publish.",
                    p.current.unwrap_or(0)
                ),
                theme.ok,
            ));
            return lines;
        }
        let over = p
            .current
            .map_or("nothing (the first version)".to_string(), |n| {
                format!("v{n}")
            });
        let what = match p.rollback_of {
            Some(n) => format!("Roll back {} to v{n}'s content as v{}", p.doc, p.next),
            None => format!("Publish {} v{}", p.doc, p.next),
        };
        lines.push(Line::from(vec![
            Span::styled(what, theme.title),
            Span::styled(
                format!(
                    " over {over} · {} · sha256 {}…",
                    size_text(p.size),
                    &p.sha256[..12.min(p.sha256.len())]
                ),
                theme.muted,
            ),
        ]));
        if let Some(m) = p.merged_from {
            lines.push(Line::styled(
                format!(
                    "Your edit was made on v{m}; v{} appeared meanwhile and changed other pointers: this is the merged result.",
                    p.current.unwrap_or(0)
                ),
                theme.warn,
            ));
        }
        lines.push(Line::default());
        lines.push(Line::styled(
            format!("Changes by pointer ({}):", p.changes.len()),
            theme.header,
        ));
        for c in &p.changes {
            lines.push(change_line(c, width, theme));
        }
        lines.push(Line::default());
        lines.push(Line::styled(
            format!("Subscribed services ({}):", p.subscribers.len()),
            theme.header,
        ));
        if p.subscribers.is_empty() {
            lines.push(Line::styled(
                "  none: the version is stored, no container gets it (swarmdeck config subscribe SERVICE PATH)",
                theme.muted,
            ));
        }
        for s in &p.subscribers {
            let on = match (&s.foreign, s.current) {
                (Some(f), _) => format!("another config at the target ({f}): skipped"),
                (None, Some(n)) => format!("v{n} → v{}", p.next),
                (None, None) => format!("nothing yet → v{}", p.next),
            };
            lines.push(Line::from(vec![
                Span::styled(
                    format!("  {} ", crate::text::printable(&s.name)),
                    theme.text,
                ),
                Span::styled(
                    format!("→ {} ", crate::text::printable(&s.target)),
                    theme.muted,
                ),
                Span::styled(format!("[{}] ", s.mode), theme.text),
                Span::styled(on, theme.info),
            ]));
            lines.push(Line::styled(format!("      {}", s.update), theme.muted));
        }
        if !p.warnings.is_empty() {
            lines.push(Line::default());
            for w in &p.warnings {
                lines.push(Line::styled(
                    format!("⚠ {}", crate::text::printable(w)),
                    theme.warn,
                ));
            }
        }
        lines
    }
}

impl View for PlanView {
    fn context(&self) -> &'static str {
        CONTEXT
    }

    fn full_screen(&self) -> bool {
        true
    }

    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Outcome {
        match key.code {
            KeyCode::Char('y') if !self.readonly && !self.plan.unchanged => {
                return Outcome::Replace(Box::new(super::rollout::RolloutView::new(
                    self.plan.clone(),
                    self.base,
                    cx.env.keep,
                )));
            }
            KeyCode::Char('y') if self.readonly => {
                cx.fx.notify(
                    crate::store::Level::Warn,
                    "readonly mode: nothing is published",
                );
                return Outcome::Handled;
            }
            KeyCode::Esc | KeyCode::Char('n') | KeyCode::Char('q') => return Outcome::Close,
            KeyCode::Tab => {
                self.in_diff = !self.in_diff;
                return Outcome::Handled;
            }
            _ => {}
        }
        if self.in_diff {
            self.diff.key(key);
            return Outcome::Handled;
        }
        let max = self.scroll.get();
        match cx.action(CONTEXT, key) {
            Some(Action::Down) => self.top = (self.top + 1).min(max),
            Some(Action::Up) => self.top = self.top.saturating_sub(1),
            Some(Action::PageDown) => self.top = (self.top + cx.page).min(max),
            Some(Action::PageUp) => self.top = self.top.saturating_sub(cx.page),
            Some(Action::Top) => self.top = 0,
            Some(Action::Bottom) => self.top = max,
            _ => {}
        }
        Outcome::Handled
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCtx<'_>) {
        let theme = cx.theme;
        clear(frame, area, theme);
        if area.height < 4 {
            return;
        }
        let summary = self.summary(usize::from(area.width), theme);
        let want = summary.len() as u16 + 2;
        let summary_h = if self.plan.unchanged {
            area.height.saturating_sub(1)
        } else {
            want.min(area.height.saturating_sub(1) * 3 / 5).max(3)
        };
        let [top, sum, diff] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(summary_h),
            Constraint::Fill(1),
        ])
        .areas(area);
        let left = vec![Span::styled(
            " plan · nothing is written before y ",
            theme.title,
        )];
        let right = vec![Span::styled(
            if self.readonly {
                "readonly: no publish ".to_string()
            } else {
                format!("{} subscriber(s) ", self.plan.subscribers.len())
            },
            theme.muted,
        )];
        frame.render_widget(Paragraph::new(bar(left, right, top.width, theme.text)), top);
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(if self.in_diff {
                theme.border
            } else {
                theme.border_focused
            })
            .title(Span::styled(" what changes ", theme.title));
        let inner = block.inner(sum);
        frame.render_widget(block, sum);
        let max = summary.len().saturating_sub(usize::from(inner.height));
        self.scroll.set(max);
        let top_line = self.top.min(max);
        frame.render_widget(
            Paragraph::new(summary.into_iter().skip(top_line).collect::<Vec<_>>()),
            inner,
        );
        if diff.height > 2 && !self.plan.unchanged {
            let block = Block::bordered()
                .border_type(BorderType::Rounded)
                .border_style(if self.in_diff {
                    theme.border_focused
                } else {
                    theme.border
                })
                .title(Span::styled(" text diff (Tab to scroll it) ", theme.title));
            let inner = block.inner(diff);
            frame.render_widget(block, diff);
            self.diff.render(frame, inner, theme);
        }
    }

    fn hints(&self, _keymap: &Keymap) -> Vec<(String, String)> {
        let mut h = Vec::new();
        if !self.readonly && !self.plan.unchanged {
            h.push(("y".into(), "publish & roll out".into()));
        }
        h.push((
            "Tab".into(),
            if self.in_diff { "summary" } else { "diff" }.into(),
        ));
        h.push(("Esc".into(), "back to the editor".into()));
        h
    }
}
