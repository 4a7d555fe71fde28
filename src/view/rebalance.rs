//! The rebalance queue and its progress: one service at a time, each done once the rollout
//! that started after its write has finished. Esc leaves (it goes on); once every service
//! is done, any key closes.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

use super::{Ctx, DrawCtx, Outcome, View};
use crate::app::ops::RebalanceStep;
use crate::keymap::Keymap;

pub struct RebalanceView;

impl View for RebalanceView {
    fn context(&self) -> &'static str {
        "rebalance"
    }

    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Outcome {
        if !cx.ops.rebalancing() {
            return Outcome::Close;
        }
        match key.code {
            KeyCode::Esc | KeyCode::Char('q') => Outcome::Close,
            _ => Outcome::Handled,
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCtx<'_>) {
        let theme = cx.theme;
        let mut lines = Vec::new();
        for item in &cx.ops.rebalance {
            let (text, style) = match &item.state {
                RebalanceStep::Waiting => ("waiting".to_string(), theme.muted),
                RebalanceStep::Writing(_) => ("writing…".to_string(), theme.warn),
                RebalanceStep::Updating { since, .. } => (
                    format!("rolling out ({}s)", cx.now.as_second() - since.as_second()),
                    theme.warn,
                ),
                RebalanceStep::Done => ("done".to_string(), theme.ok),
                RebalanceStep::Failed(e) => (format!("failed: {e}"), theme.danger),
            };
            lines.push(Line::from(vec![
                Span::styled(format!("{:<24} ", item.name), theme.text),
                Span::styled(format!("{text:<22} "), style),
                Span::styled(format!("was {}", item.spread_before), theme.muted),
            ]));
        }
        let hint = if cx.ops.rebalancing() {
            "Esc leaves (it goes on)"
        } else {
            "done · any key closes"
        };
        let h = (lines.len() as u16 + 3).min(area.height);
        let rect = crate::widget::centered(area, 90, h);
        frame.render_widget(Clear, rect);
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(theme.border_style(true))
            .title(Span::styled(" rebalance ", theme.title))
            .title_bottom(Span::styled(format!(" {hint} "), theme.muted))
            .style(theme.text);
        frame.render_widget(Paragraph::new(lines).block(block), rect);
    }

    fn hints(&self, _keymap: &Keymap) -> Vec<(String, String)> {
        vec![("Esc".into(), "leave".into())]
    }
}
