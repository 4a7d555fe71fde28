//! A drain's live progress: tasks moved, still stopping, stranded, left on the node, and
//! the elapsed time. It can be left with Esc (the drain goes on, the node shows a `drain N`
//! mark); once the drain is done (or failed) it says so and any key closes it.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Wrap};

use super::{Ctx, DrawCtx, Outcome, View};
use crate::domain::NodeId;
use crate::keymap::Keymap;

/// The write's result goes to the drain the app follows ([`crate::app::ops::Ops::drains`]);
/// this view draws from there.
pub struct DrainView {
    node: NodeId,
}

impl DrainView {
    pub fn new(node: NodeId) -> Self {
        DrainView { node }
    }

    pub fn node(&self) -> &NodeId {
        &self.node
    }

    fn finished(&self, cx_ops: &crate::app::ops::Ops) -> bool {
        cx_ops.drains.get(&self.node).is_none_or(|d| d.finished())
    }

    /// The footer/border hint: what a key does now.
    pub fn hint(&self, ops: &crate::app::ops::Ops) -> &'static str {
        if self.finished(ops) {
            "done · any key closes"
        } else {
            "Esc leaves (the drain goes on)"
        }
    }
}

impl View for DrainView {
    fn context(&self) -> &'static str {
        "drain"
    }

    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Outcome {
        if self.finished(cx.ops) {
            return Outcome::Close;
        }
        match key.code {
            KeyCode::Esc | KeyCode::Char('q') => Outcome::Close,
            _ => Outcome::Handled,
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCtx<'_>) {
        let theme = cx.theme;
        let Some(d) = cx.ops.drains.get(&self.node) else {
            return;
        };
        let elapsed = cx.now.as_second() - d.started.as_second();
        let mut lines = Vec::new();
        match (&d.failed, &d.progress, d.done_at) {
            (Some(e), _, _) => lines.push(Line::styled(
                format!("the drain was not written: {e}"),
                theme.danger,
            )),
            (None, progress, Some(done)) => {
                let (moved, stranded) = progress.as_ref().map_or((0, 0), |p| (p.moved, p.stranded));
                lines.push(Line::styled(
                    format!(
                        "done in {}s: no task left running · moved {moved} · stranded {stranded}",
                        done.as_second() - d.started.as_second()
                    ),
                    theme.ok,
                ));
            }
            (None, Some(p), None) => {
                lines.push(Line::styled(
                    format!(
                        "{elapsed}s · moved {} · still stopping {} · stranded {} · left on {}: {}",
                        p.moved,
                        p.stopping,
                        p.stranded,
                        d.check.node,
                        p.left_running.len()
                    ),
                    theme.warn,
                ));
                for t in p.left_running.iter().take(12) {
                    lines.push(Line::styled(format!("  {t}"), theme.muted));
                }
            }
            (None, None, None) => {
                lines.push(Line::styled(format!("{elapsed}s · writing…"), theme.muted))
            }
        }
        if !d.check.stranded.is_empty() {
            lines.push(Line::styled(
                format!(
                    "{} task(s) stranded: they stay pending until a node satisfies their constraints",
                    d.check.stranded.len()
                ),
                theme.danger,
            ));
        }
        let h = (lines.len() as u16 + 3).min(area.height);
        let rect = crate::widget::centered(area, 90, h);
        frame.render_widget(Clear, rect);
        let title = if d.finished() {
            format!("drained {}", d.check.node)
        } else {
            format!("draining {}", d.check.node)
        };
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(theme.border_style(true))
            .title(Span::styled(format!(" {title} "), theme.title))
            .title_bottom(Span::styled(
                format!(" {} ", self.hint(cx.ops)),
                theme.muted,
            ))
            .style(theme.text);
        frame.render_widget(
            Paragraph::new(lines)
                .block(block)
                .wrap(Wrap { trim: false }),
            rect,
        );
    }

    fn hints(&self, _keymap: &Keymap) -> Vec<(String, String)> {
        vec![("Esc".into(), "leave".into())]
    }
}
