//! The `/` filter prompt of a pane, on the bottom line. It opens with the pane's current
//! filter selected, so typing replaces it (arrows keep it and move); the pane filters as
//! you type; Enter keeps the filter, Esc clears it.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{AppCmd, Ctx, DrawCtx, Outcome, View};
use crate::keymap::Keymap;
use crate::store::Level;
use crate::widget::{InputResult, TextInput};

pub struct FilterPrompt {
    /// The pane being filtered (its context name).
    pane: &'static str,
    input: TextInput,
}

impl FilterPrompt {
    pub fn new(pane: &'static str, current: &str) -> Self {
        let input = if current.is_empty() {
            TextInput::new()
        } else {
            TextInput::with_text(current).selected()
        };
        FilterPrompt {
            pane,
            input: input.with_max_len(200),
        }
    }

    pub fn text(&self) -> &str {
        self.input.text()
    }

    fn apply(&self, cx: &mut Ctx<'_>) {
        cx.fx
            .app
            .push(AppCmd::SetFilter(self.pane, self.input.text().to_string()));
    }
}

impl View for FilterPrompt {
    fn context(&self) -> &'static str {
        "filter"
    }

    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Outcome {
        match key.code {
            KeyCode::Esc => {
                cx.fx.app.push(AppCmd::SetFilter(self.pane, String::new()));
                Outcome::Close
            }
            KeyCode::Enter => {
                self.apply(cx);
                Outcome::Close
            }
            _ => {
                if self.input.key(key) == InputResult::Edited {
                    self.apply(cx);
                }
                // every other key belongs to the prompt while it is open
                Outcome::Handled
            }
        }
    }

    fn paste(&mut self, text: &str, cx: &mut Ctx<'_>) -> Outcome {
        match self.input.paste(text) {
            Ok(()) => self.apply(cx),
            Err(why) => cx.fx.notify(Level::Warn, why),
        }
        Outcome::Handled
    }

    fn draw(&self, _frame: &mut Frame, _area: Rect, _cx: &DrawCtx<'_>) {
        // drawn as the prompt line (see `prompt_line`)
    }

    fn hints(&self, _keymap: &Keymap) -> Vec<(String, String)> {
        vec![
            ("Enter".into(), "keep".into()),
            ("Esc".into(), "clear".into()),
        ]
    }

    fn prompt_line(&self, cx: &DrawCtx<'_>, width: u16) -> Option<Line<'_>> {
        let mut spans = super::prompt_spans("/", &self.input, width, cx.theme);
        spans.push(Span::styled("   Enter keep · Esc clear", cx.theme.muted));
        Some(Line::from(spans))
    }
}
