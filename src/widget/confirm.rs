//! [`ConfirmDialog`]: a centred dialog that asks before something is done, or explains why it
//! will not be.
//!
//! Three kinds:
//!
//! - **plain** ([`ConfirmDialog::plain`]): `y` confirms, `n` or Esc cancel.
//! - **typed** ([`ConfirmDialog::typed`]): for dangerous acts, the user types an exact word
//!   (a hostname, say) and presses Enter. A wrong word is said so at the dialog and does not
//!   confirm; `y` is just a letter of the word. Pasting the word works. Leading and trailing
//!   spaces are not counted; the case is. Esc cancels.
//! - **refusal** ([`ConfirmDialog::refusal`]): only explains; Enter or Esc close it (reported
//!   as [`ConfirmResult::Cancelled`]).
//!
//! Any other key leaves the dialog [`ConfirmResult::Pending`] (Ctrl-c included: the app
//! quits on it before a dialog sees it).
//!
//! The dialog is sized to its content (the lines are wrapped to at most
//! [`ConfirmDialog::MAX_WIDTH`] columns) and clamped to the area; a typed or dangerous one
//! has a border in the danger style, a refusal one in the warn style. The keys are hinted in
//! the bottom border.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Padding, Paragraph};
use unicode_width::UnicodeWidthStr;

use super::{InputResult, TextInput, Tone, centered, display_line, fit, is_press, wrap};
use crate::theme::Theme;

/// What a key did to a [`ConfirmDialog`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmResult {
    /// Still open.
    Pending,
    /// The user said yes: do it, and close the dialog.
    Confirmed,
    /// The user said no (or closed a refusal): close the dialog.
    Cancelled,
}

#[derive(Debug)]
enum Mode {
    Plain,
    Typed { word: String, input: TextInput },
    Refusal,
}

/// A yes/no, type-the-word, or refusal dialog.
#[derive(Debug)]
pub struct ConfirmDialog {
    title: String,
    lines: Vec<(Tone, String)>,
    mode: Mode,
    dangerous: bool,
    /// Why the last Enter did not confirm (typed mode).
    error: Option<String>,
}

impl ConfirmDialog {
    /// The widest a dialog gets, borders included.
    pub const MAX_WIDTH: u16 = 84;

    fn new(title: impl Into<String>, lines: Vec<(Tone, String)>, mode: Mode) -> Self {
        let dangerous = lines.iter().any(|(t, _)| *t == Tone::Danger);
        ConfirmDialog {
            title: title.into(),
            lines,
            mode,
            dangerous,
            error: None,
        }
    }

    /// A dialog where `y` confirms and `n` or Esc cancel.
    pub fn plain(title: impl Into<String>, lines: Vec<(Tone, String)>) -> Self {
        Self::new(title, lines, Mode::Plain)
    }

    /// A dialog confirmed only by typing `word` exactly and pressing Enter.
    pub fn typed(
        title: impl Into<String>,
        lines: Vec<(Tone, String)>,
        word: impl Into<String>,
    ) -> Self {
        let mut d = Self::new(
            title,
            lines,
            Mode::Typed {
                word: word.into(),
                input: TextInput::new(),
            },
        );
        d.dangerous = true;
        d
    }

    /// A dialog that only explains why something is not done; Enter or Esc close it.
    pub fn refusal(title: impl Into<String>, lines: Vec<(Tone, String)>) -> Self {
        Self::new(title, lines, Mode::Refusal)
    }

    /// The same dialog drawn as dangerous (danger border) even without a danger line.
    pub fn dangerous(mut self) -> Self {
        self.dangerous = true;
        self
    }

    /// Whether the dialog is drawn as dangerous: typed, marked so, or with a danger line.
    pub fn is_dangerous(&self) -> bool {
        self.dangerous
    }

    /// The title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The lines of explanation.
    pub fn lines(&self) -> &[(Tone, String)] {
        &self.lines
    }

    /// The word to type, for a typed dialog.
    pub fn word(&self) -> Option<&str> {
        match &self.mode {
            Mode::Typed { word, .. } => Some(word),
            _ => None,
        }
    }

    /// What was typed so far, for a typed dialog.
    pub fn typed_text(&self) -> Option<&str> {
        match &self.mode {
            Mode::Typed { input, .. } => Some(input.text()),
            _ => None,
        }
    }

    /// Why the last Enter did not confirm.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Handle a key; see the module docs.
    pub fn key(&mut self, ev: &KeyEvent) -> ConfirmResult {
        if !is_press(ev) {
            return ConfirmResult::Pending;
        }
        let plain = ev.modifiers.difference(KeyModifiers::SHIFT).is_empty();
        match &mut self.mode {
            Mode::Plain => match ev.code {
                KeyCode::Char('y' | 'Y') if plain => ConfirmResult::Confirmed,
                KeyCode::Char('n' | 'N') if plain => ConfirmResult::Cancelled,
                KeyCode::Esc => ConfirmResult::Cancelled,
                _ => ConfirmResult::Pending,
            },
            Mode::Refusal => match ev.code {
                KeyCode::Esc | KeyCode::Enter => ConfirmResult::Cancelled,
                _ => ConfirmResult::Pending,
            },
            Mode::Typed { word, input } => match ev.code {
                KeyCode::Esc => ConfirmResult::Cancelled,
                KeyCode::Enter => {
                    let typed = input.text().trim();
                    if typed == word.as_str() {
                        self.error = None;
                        return ConfirmResult::Confirmed;
                    }
                    let word = display_line(word, 1);
                    self.error = Some(if typed.is_empty() {
                        format!("type {word} to confirm")
                    } else {
                        format!(
                            "{} is not {word}; type {word} exactly to confirm",
                            display_line(&fit(typed, 40), 1)
                        )
                    });
                    ConfirmResult::Pending
                }
                _ => {
                    if input.key(ev) == InputResult::Edited {
                        self.error = None;
                    }
                    ConfirmResult::Pending
                }
            },
        }
    }

    /// Paste into the word of a typed dialog; `Err` when it is refused (several lines, or a
    /// dialog with nothing to type).
    pub fn paste(&mut self, text: &str) -> Result<(), String> {
        match &mut self.mode {
            Mode::Typed { input, .. } => {
                input.paste(text)?;
                self.error = None;
                Ok(())
            }
            Mode::Plain => Err("this dialog takes y or n; nothing was pasted".into()),
            Mode::Refusal => Err("this dialog only explains; nothing was pasted".into()),
        }
    }

    fn hint(&self) -> String {
        match &self.mode {
            Mode::Plain => "y confirm · n/Esc cancel".into(),
            Mode::Typed { word, .. } => {
                format!(
                    "type {} · Enter confirm · Esc cancel",
                    display_line(word, 1)
                )
            }
            Mode::Refusal => "Enter/Esc close".into(),
        }
    }

    /// Draw the dialog in the middle of `area`.
    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        if area.width == 0 || area.height == 0 {
            return;
        }
        let title = display_line(&self.title, 1);
        let hint = self.hint();
        let lines: Vec<(Tone, String)> = self
            .lines
            .iter()
            .map(|(t, s)| (*t, display_line(s, 4)))
            .collect();
        let prompt = self
            .word()
            .map(|w| format!("Type {} and press Enter to confirm:", display_line(w, 1)));

        // Width: the content's, within MAX_WIDTH and the area; 2 borders + 2 padding.
        let content_w = lines
            .iter()
            .map(|(_, s)| s.width())
            .chain([title.width() + 2, hint.width() + 2])
            .chain(prompt.iter().map(|p| p.width()))
            .chain(self.word().map(|w| display_line(w, 1).width() + 4))
            .max()
            .unwrap_or(0)
            .max(20);
        let w = u16::try_from(content_w + 4)
            .unwrap_or(u16::MAX)
            .min(Self::MAX_WIDTH)
            .min(area.width);
        let inner_w = usize::from(w.saturating_sub(4));

        // The explanation, then what the user acts on.
        let mut head: Vec<Line<'_>> = Vec::new();
        for (tone, s) in &lines {
            for l in wrap(s, inner_w) {
                head.push(Line::styled(l, tone.style(theme)));
            }
        }
        let mut tail: Vec<Line<'_>> = Vec::new();
        let mut input_row = None;
        if let (Some(p), Mode::Typed { .. }) = (&prompt, &self.mode) {
            tail.push(Line::default());
            for l in wrap(p, inner_w) {
                tail.push(Line::styled(l, theme.danger));
            }
            input_row = Some(tail.len());
            tail.push(Line::default());
            if let Some(e) = &self.error {
                for l in wrap(&format!("✗ {e}"), inner_w) {
                    tail.push(Line::styled(l, theme.danger));
                }
            }
        }
        // Height: as tall as the content, clamped; what must be acted on is kept first.
        let avail = usize::from(area.height.saturating_sub(2));
        let tail_len = tail.len().min(avail);
        let skip_tail = tail.len() - tail_len;
        head.truncate(avail - tail_len);
        let h = u16::try_from(head.len() + tail_len + 2).unwrap_or(u16::MAX);
        let rect = centered(area, w, h.min(area.height));

        let border = if self.dangerous {
            theme.danger
        } else if matches!(self.mode, Mode::Refusal) {
            theme.warn
        } else {
            theme.border_focused
        };
        let width = usize::from(w.saturating_sub(2));
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(border)
            .padding(Padding::horizontal(1))
            .title(Span::styled(fit(&format!(" {title} "), width), theme.title))
            .title_bottom(Span::styled(fit(&format!(" {hint} "), width), theme.muted))
            .style(theme.text);
        let inner = block.inner(rect);
        frame.render_widget(Clear, rect);
        frame.render_widget(block, rect);
        if inner.width == 0 || inner.height == 0 {
            return;
        }
        let head_len = head.len();
        let body: Vec<Line<'_>> = head
            .into_iter()
            .chain(tail.into_iter().skip(skip_tail))
            .collect();
        frame.render_widget(Paragraph::new(body), inner);

        if let (Some(row), Mode::Typed { input, .. }) = (input_row, &self.mode)
            && row >= skip_tail
        {
            let y = inner.y + u16::try_from(head_len + row - skip_tail).unwrap_or(u16::MAX);
            if y < inner.bottom() {
                let lead = "› ";
                frame
                    .buffer_mut()
                    .set_stringn(inner.x, y, lead, inner.width.into(), theme.accent);
                let field = Rect {
                    x: inner.x + 2,
                    y,
                    width: inner.width.saturating_sub(2),
                    height: 1,
                };
                input.render(
                    frame,
                    field,
                    theme.accent,
                    theme.accent.add_modifier(Modifier::REVERSED),
                    true,
                );
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::widget::testing::{ch, ctrl, draw, key, rows, screen};

    fn lines() -> Vec<(Tone, String)> {
        vec![
            (Tone::Info, "Drain node web-01?".into()),
            (Tone::Warn, "3 tasks will move".into()),
        ]
    }

    #[test]
    fn plain_y_confirms_n_and_esc_cancel() {
        let mut d = ConfirmDialog::plain("drain", lines());
        for ev in [
            ch('x'),
            key(KeyCode::Enter),
            ctrl('c'),
            ctrl('y'),
            key(KeyCode::Tab),
        ] {
            assert_eq!(d.key(&ev), ConfirmResult::Pending, "{ev:?}");
        }
        assert_eq!(d.key(&ch('y')), ConfirmResult::Confirmed);
        assert_eq!(d.key(&ch('Y')), ConfirmResult::Confirmed);
        assert_eq!(d.key(&ch('n')), ConfirmResult::Cancelled);
        assert_eq!(d.key(&key(KeyCode::Esc)), ConfirmResult::Cancelled);
        assert!(d.paste("y").is_err());
        assert!(!d.is_dangerous());
    }

    #[test]
    fn typed_needs_the_exact_word() {
        let mut d = ConfirmDialog::typed("remove", lines(), "web-01");
        assert!(d.is_dangerous());
        assert_eq!(d.key(&key(KeyCode::Enter)), ConfirmResult::Pending);
        assert_eq!(d.error(), Some("type web-01 to confirm"));
        for c in "y".chars() {
            assert_eq!(d.key(&ch(c)), ConfirmResult::Pending, "y is a letter here");
        }
        assert_eq!(d.error(), None, "typing clears the error");
        assert_eq!(d.key(&key(KeyCode::Enter)), ConfirmResult::Pending);
        assert_eq!(
            d.error(),
            Some("y is not web-01; type web-01 exactly to confirm")
        );
        let _ = d.key(&key(KeyCode::Backspace));
        for c in "WEB-01".chars() {
            let _ = d.key(&ch(c));
        }
        assert_eq!(
            d.key(&key(KeyCode::Enter)),
            ConfirmResult::Pending,
            "case counts"
        );
        let _ = d.key(&ctrl('u'));
        for c in "web-01".chars() {
            let _ = d.key(&ch(c));
        }
        assert_eq!(d.typed_text(), Some("web-01"));
        assert_eq!(d.key(&key(KeyCode::Enter)), ConfirmResult::Confirmed);
    }

    #[test]
    fn typed_accepts_a_paste() {
        let mut d = ConfirmDialog::typed("remove", lines(), "web-01");
        assert!(d.paste("web-01\nweb-02").unwrap_err().contains("2 lines"));
        assert_eq!(d.typed_text(), Some(""));
        d.paste(" web-01\n").unwrap();
        assert_eq!(d.key(&key(KeyCode::Enter)), ConfirmResult::Confirmed);
        let mut d = ConfirmDialog::typed("remove", lines(), "web-01");
        assert_eq!(d.key(&key(KeyCode::Esc)), ConfirmResult::Cancelled);
    }

    #[test]
    fn refusal_only_closes() {
        let mut d = ConfirmDialog::refusal("cannot drain", lines());
        assert_eq!(d.key(&ch('y')), ConfirmResult::Pending);
        assert_eq!(d.key(&key(KeyCode::Enter)), ConfirmResult::Cancelled);
        assert_eq!(d.key(&key(KeyCode::Esc)), ConfirmResult::Cancelled);
        assert!(d.paste("x").is_err());
    }

    #[test]
    fn danger_lines_make_it_dangerous() {
        let d = ConfirmDialog::plain("x", vec![(Tone::Danger, "the last manager".into())]);
        assert!(d.is_dangerous());
        assert!(ConfirmDialog::plain("x", vec![]).dangerous().is_dangerous());
    }

    #[test]
    fn render_is_centred_sized_and_hinted() {
        let theme = Theme::builtin_default();
        let d = ConfirmDialog::plain("drain", lines());
        let (buf, cursor) = draw(60, 12, |f| d.render(f, f.area(), &theme));
        let r = rows(&buf);
        let s = screen(&buf);
        let top = r.iter().position(|l| l.contains('╭')).unwrap();
        let bottom = r.iter().position(|l| l.contains('╰')).unwrap();
        assert_eq!(bottom - top + 1, 4, "two lines and the borders:\n{s}");
        assert!(r[top].contains(" drain "), "{s}");
        assert!(r[bottom].contains("y confirm · n/Esc cancel"), "{s}");
        let left = r[top].chars().position(|c| c == '╭').unwrap();
        let right = r[top].chars().position(|c| c == '╮').unwrap();
        assert_eq!(left, 60 - right - 1, "centred:\n{s}");
        assert!(right - left < 40, "sized to its content:\n{s}");
        assert_eq!(cursor, None);
        let x = u16::try_from(left).unwrap();
        assert_eq!(
            buf[(x, u16::try_from(top).unwrap())].style().fg,
            theme.border_focused.fg
        );
    }

    #[test]
    fn render_typed_has_a_danger_border_prompt_and_cursor() {
        let theme = Theme::builtin_default();
        let mut d = ConfirmDialog::typed("remove node", lines(), "web-01");
        let _ = d.key(&ch('w'));
        let _ = d.key(&key(KeyCode::Enter));
        let (buf, cursor) = draw(70, 14, |f| d.render(f, f.area(), &theme));
        let s = screen(&buf);
        let r = rows(&buf);
        assert!(s.contains("Type web-01 and press Enter to confirm:"), "{s}");
        assert!(s.contains("› w"), "{s}");
        assert!(s.contains("✗ w is not web-01"), "{s}");
        let top = r.iter().position(|l| l.contains('╭')).unwrap();
        let x = r[top].chars().position(|c| c == '╭').unwrap();
        let cell = &buf[(u16::try_from(x).unwrap(), u16::try_from(top).unwrap())];
        assert_eq!(cell.style().fg, theme.danger.fg);
        let input_y = r.iter().position(|l| l.contains("› w")).unwrap();
        assert_eq!(cursor.map(|c| usize::from(c.1)), Some(input_y));
    }

    #[test]
    fn long_lines_wrap_and_the_input_survives_a_short_area() {
        let theme = Theme::builtin_default();
        let long = "word ".repeat(60);
        let d = ConfirmDialog::typed("t", vec![(Tone::Info, long)], "node");
        let (buf, _) = draw(100, 30, |f| d.render(f, f.area(), &theme));
        let r = rows(&buf);
        let top = r.iter().position(|l| l.contains('╭')).unwrap();
        assert!(r[top].chars().filter(|c| *c != ' ').count() <= 84);
        // Too short for everything: the input row is still drawn.
        let (buf, cursor) = draw(40, 5, |f| d.render(f, f.area(), &theme));
        assert!(screen(&buf).contains("›"), "{}", screen(&buf));
        assert!(cursor.is_some());
    }

    #[test]
    fn tiny_areas_do_not_panic() {
        let theme = Theme::builtin_default();
        let mut dialogs = [
            ConfirmDialog::plain("a title longer than the area", lines()),
            ConfirmDialog::typed("日本語", vec![(Tone::Danger, "👨‍👩‍👧 日本語".into())], "日本"),
            ConfirmDialog::refusal("r", vec![]),
        ];
        let _ = dialogs[1].key(&key(KeyCode::Enter));
        for d in &dialogs {
            for (w, h) in [(1, 1), (3, 1), (10, 2), (4, 4), (5, 3), (12, 6)] {
                let (buf, _) = draw(w, h, |f| d.render(f, f.area(), &theme));
                assert_eq!(buf.area.width, w);
            }
        }
    }
}
