//! The `?` help screen: every key of the global table and of the view it was opened from,
//! generated from the keymap in use. Scrolling stops at the last line.

use std::cell::Cell;

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

use super::pane::nodes::{LEADER_MARK, VIP_MARK};
use super::{Ctx, DrawCtx, Outcome, View};
use crate::keymap::{Action, Keymap};

pub struct Help {
    /// The view whose keys are listed with the global ones.
    from: &'static str,
    from_actions: &'static [Action],
    scroll: u16,
    /// The last line that can be at the top (known once drawn).
    max_scroll: Cell<u16>,
}

impl Help {
    pub fn new(from: &'static str, from_actions: &'static [Action]) -> Self {
        Help {
            from,
            from_actions,
            scroll: 0,
            max_scroll: Cell::new(u16::MAX),
        }
    }

    pub fn scroll(&self) -> u16 {
        self.scroll
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
        let max = self.max_scroll.get();
        match cx.action("help", key) {
            Some(Action::Down) => self.scroll = (self.scroll + 1).min(max),
            Some(Action::Up) => self.scroll = self.scroll.saturating_sub(1),
            Some(Action::PageDown) => {
                self.scroll = self.scroll.saturating_add(cx.page as u16).min(max)
            }
            Some(Action::PageUp) => self.scroll = self.scroll.saturating_sub(cx.page as u16),
            Some(Action::Top) => self.scroll = 0,
            Some(Action::Bottom) => self.scroll = max.min(u16::MAX - 1),
            Some(Action::Help | Action::Back | Action::Quit) => return Outcome::Close,
            _ if key.code == KeyCode::Esc => return Outcome::Close,
            _ => {}
        }
        Outcome::Handled
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCtx<'_>) {
        let theme = cx.theme;
        let lines = self.lines(cx);
        let h = (lines.len() as u16 + 2).min(area.height);
        let rect = crate::widget::centered(area, 72, h);
        let inner_h = rect.height.saturating_sub(2);
        let max = (lines.len() as u16).saturating_sub(inner_h);
        self.max_scroll.set(max);
        frame.render_widget(Clear, rect);
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(theme.border_style(true))
            .title(Span::styled(" keys ", theme.title))
            .title_bottom(Span::styled(" ? or Esc closes ", theme.muted));
        frame.render_widget(
            Paragraph::new(lines)
                .block(block)
                .scroll((self.scroll.min(max), 0))
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
