//! The `?` help screen: every key of the global table and of the view it was opened from,
//! generated from the keymap in use. Scrolling stops at the last line.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

use super::pane::nodes::{LEADER_MARK, VIP_MARK};
use super::{Ctx, DrawCtx, Outcome, Scroll, View};
use crate::keymap::{Action, Keymap};

pub struct Help {
    /// The view whose keys are listed with the global ones.
    from: &'static str,
    from_actions: &'static [Action],
    scroll: Scroll,
}

impl Help {
    pub fn new(from: &'static str, from_actions: &'static [Action]) -> Self {
        Help {
            from,
            from_actions,
            scroll: Scroll::default(),
        }
    }

    pub fn scroll(&self) -> u16 {
        self.scroll.pos()
    }

    fn lines(&self, cx: &DrawCtx<'_>) -> Vec<Line<'static>> {
        let theme = cx.theme;
        let rows = cx.keymap.help_rows_in(self.from, self.from_actions);
        let key_w = rows
            .iter()
            .map(|(k, _)| k.chars().count())
            .max()
            .unwrap_or(4)
            .min(22);
        let mut lines: Vec<Line> = rows
            .into_iter()
            .map(|(k, d)| {
                Line::from(vec![
                    Span::styled(format!(" {k:<key_w$}  "), theme.accent),
                    Span::styled(d.to_string(), theme.text),
                ])
            })
            .collect();
        lines.push(Line::default());
        lines.push(Line::styled(
            " Filter and command line: Enter keeps, Esc cancels, Tab completes.",
            theme.muted,
        ));
        lines.push(Line::styled(
            format!(" {LEADER_MARK} marks the Raft leader, {VIP_MARK} the node holding a VIP."),
            theme.muted,
        ));
        lines
    }
}

impl View for Help {
    fn context(&self) -> &'static str {
        "help"
    }

    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Outcome {
        let action = cx.action("help", key);
        if self.scroll.action(action, cx.page) {
            return Outcome::Handled;
        }
        match action {
            Some(Action::Help | Action::Back | Action::Quit) => Outcome::Close,
            _ if key.code == KeyCode::Esc => Outcome::Close,
            _ => Outcome::Handled,
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCtx<'_>) {
        let theme = cx.theme;
        let lines = self.lines(cx);
        let h = (lines.len() as u16 + 2).min(area.height);
        let rect = crate::widget::centered(area, 72, h);
        let top = self.scroll.fit(lines.len(), rect.height.saturating_sub(2));
        frame.render_widget(Clear, rect);
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(theme.border_style(true))
            .title(Span::styled(" keys ", theme.title))
            .title_bottom(Span::styled(" ? or Esc closes ", theme.muted));
        frame.render_widget(
            Paragraph::new(lines)
                .block(block)
                .scroll((top, 0))
                .style(theme.text),
            rect,
        );
    }

    fn hints(&self, keymap: &Keymap) -> Vec<(String, String)> {
        super::hints_for(
            keymap,
            "help",
            &[(Action::Down, "scroll"), (Action::Help, "close")],
        )
    }
}
