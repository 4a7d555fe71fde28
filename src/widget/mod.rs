//! Reusable input widgets: the pieces the views (panes and popups) are built from.
//!
//! | widget | what it is |
//! | --- | --- |
//! | [`TextInput`] | a one-line text field with a cursor, word motions, selection and paste |
//! | [`Editor`] | a multi-line editor (on `ratatui-textarea`) with undo, line numbers, error marks, JSON colours and a read-only mode |
//! | [`Form`] | labelled fields (text, number, choice, toggle, list) with focus and validation |
//! | [`ConfirmDialog`] | a centred yes/no, type-the-word or refusal dialog |
//! | [`DiffView`] | a scrollable line diff of two texts |
//!
//! The rules they share:
//!
//! - **Keys in, a verdict out.** Each widget has `key(&KeyEvent)` and says what it did with
//!   it ([`InputResult`], or `ConfirmResult` for the dialog). A key that a widget does not
//!   use (Enter, Esc, Tab, Up/Down in a one-line field…) comes back `Ignored` for the owner
//!   to act on. Ctrl-c is always `Ignored`: the app quits on it. Key releases are ignored.
//! - **Paste is its own call.** The terminal delivers a bracketed paste as one event;
//!   `paste(&str)` puts it in at the cursor as a whole, or refuses it whole with a message
//!   for the owner to show (nothing is half-applied).
//! - **Nothing unsafe gets in.** Control characters (ESC, BEL, …) and the bidirectional
//!   controls of [`crate::text::is_unsafe`] never enter a widget's text; a tab becomes a space
//!   in one-line fields.
//! - **Drawing is `&self`.** A widget draws into a [`ratatui::Frame`] without being changed
//!   (what a view scrolled to is remembered in a `Cell`), never panics on a tiny or empty
//!   area, and takes its styles from [`crate::theme::Theme`] or from its caller.
//! - Widgets know nothing of `crate::app`, and are not `Clone`.

pub mod confirm;
pub mod diff;
pub mod editor;
pub mod form;
pub mod input;

pub use confirm::{ConfirmDialog, ConfirmResult};
pub use diff::DiffView;
pub use editor::Editor;
pub use form::{Field, FieldKind, FieldValue, Form};
pub use input::TextInput;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::style::Style;

use crate::theme::Theme;

/// How serious a line of a dialog is; the app maps its own levels onto this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Plain information ([`Theme::text`]).
    Info,
    /// Worth a second look ([`Theme::warn`]).
    Warn,
    /// Dangerous or destructive ([`Theme::danger`]).
    Danger,
}

impl Tone {
    /// The theme's style for this tone.
    pub fn style(self, theme: &Theme) -> Style {
        match self {
            Tone::Info => theme.text,
            Tone::Warn => theme.warn,
            Tone::Danger => theme.danger,
        }
    }
}

/// What a widget did with a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputResult {
    /// The text (or value) changed.
    Edited,
    /// The key was the widget's, but the text did not change: the cursor, the selection or
    /// the view moved, or an editing key had nothing to act on (Backspace at the start,
    /// a character past the maximum length).
    Moved,
    /// Not the widget's key: the owner decides (Enter, Esc, Tab, Ctrl-c…).
    Ignored,
}

impl InputResult {
    /// Whether the widget used the key (`Edited` or `Moved`).
    pub fn consumed(self) -> bool {
        !matches!(self, InputResult::Ignored)
    }
}

/// A `w` × `h` rectangle in the middle of `area`, clamped to it.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// A list popup's box in `rect`: cleared, rounded, the title (and the filter being typed)
/// on top, `bottom` (its keys) in the bottom border. Returns the inside. Every list popup
/// (audit, events, cluster, networks, volumes, secrets, configs, registries) is drawn in one.
pub fn popup_box(
    frame: &mut ratatui::Frame,
    rect: Rect,
    theme: &crate::theme::Theme,
    title: &str,
    filter: &str,
    bottom: String,
) -> Rect {
    use ratatui::text::Span;
    use ratatui::widgets::{Block, BorderType, Clear};
    frame.render_widget(Clear, rect);
    let mut block = Block::bordered()
        .border_type(BorderType::Rounded)
        .border_style(theme.border_style(true))
        .title(Span::styled(format!(" {title} "), theme.title))
        .title_bottom(Span::styled(bottom, theme.muted))
        .style(theme.text);
    if !filter.is_empty() {
        block = block.title(Span::styled(format!(" /{filter} "), theme.accent));
    }
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    inner
}

/// Where a list popup goes in `area`: all of it but a margin.
pub fn popup_area(area: Rect) -> Rect {
    centered(
        area,
        area.width.saturating_sub(4),
        area.height.saturating_sub(2),
    )
}

/// Whether a key event is one to act on (a press or a repeat, not a release).
pub(crate) fn is_press(ev: &KeyEvent) -> bool {
    ev.kind != KeyEventKind::Release
}

/// Whether the key is Ctrl-c (which every widget leaves to the app).
pub(crate) fn is_ctrl_c(ev: &KeyEvent) -> bool {
    ev.modifiers.contains(KeyModifiers::CONTROL) && matches!(ev.code, KeyCode::Char('c' | 'C'))
}

/// How many lines a paste holds (`\r\n`, `\n` and `\r` each end one).
pub(crate) fn paste_line_count(text: &str) -> usize {
    text.replace("\r\n", "\n").split(['\n', '\r']).count()
}

/// Text from outside made fit for one line of a widget: tabs become spaces (`tab` of
/// them), newlines become `⏎`, other unsafe characters are written as escapes
/// (see [`crate::text::printable`]).
pub(crate) fn display_line(text: &str, tab: usize) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' => out.extend(std::iter::repeat_n(' ', tab)),
            '\n' | '\r' => out.push('⏎'),
            c if crate::text::is_unsafe(c) => {
                out.push_str(&crate::text::printable(c.encode_utf8(&mut [0; 4])))
            }
            c => out.push(c),
        }
    }
    out
}

/// `text` cut to `width` columns, ending in `…` when it was cut.
pub(crate) fn fit(text: &str, width: usize) -> String {
    use unicode_segmentation::UnicodeSegmentation;
    use unicode_width::UnicodeWidthStr;

    if text.width() <= width {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for g in text.graphemes(true) {
        let w = g.width();
        if used + w + 1 > width {
            break;
        }
        out.push_str(g);
        used += w;
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// Greedy word wrap of one line to `width` columns (long words are cut by graphemes).
/// Always at least one (possibly empty) line; a `width` of 0 is taken as 1.
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    use unicode_segmentation::UnicodeSegmentation;
    use unicode_width::UnicodeWidthStr;

    let width = width.max(1);
    let mut lines = Vec::new();
    let mut cur = String::new();
    let mut cur_w = 0;
    for word in text.split_word_bounds() {
        let w = word.width();
        if cur_w + w <= width {
            cur.push_str(word);
            cur_w += w;
            continue;
        }
        if word.trim().is_empty() {
            // A space that does not fit ends the line and is dropped.
            lines.push(std::mem::take(&mut cur));
            cur_w = 0;
            continue;
        }
        if w <= width && cur_w > 0 {
            lines.push(std::mem::take(&mut cur).trim_end().to_string());
            cur.push_str(word);
            cur_w = w;
            continue;
        }
        // A word longer than a line: cut it by graphemes.
        for g in word.graphemes(true) {
            let gw = g.width();
            if cur_w + gw > width && cur_w > 0 {
                lines.push(std::mem::take(&mut cur));
                cur_w = 0;
            }
            cur.push_str(g);
            cur_w += gw;
        }
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod testing {
    //! Helpers for the widgets' tests: key events and a test terminal.

    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::buffer::Buffer;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    pub fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }
    pub fn ch(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }
    pub fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }
    pub fn alt(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::ALT)
    }
    pub fn with(code: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, m)
    }

    /// Draw with `f` on a `w` × `h` test terminal; the buffer and the cursor position
    /// (if the drawing set one).
    pub fn draw(
        w: u16,
        h: u16,
        f: impl FnOnce(&mut ratatui::Frame),
    ) -> (Buffer, Option<(u16, u16)>) {
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        // A position no drawing sets: still there after the draw means "no cursor".
        let none = ratatui::layout::Position::new(u16::MAX, u16::MAX);
        term.set_cursor_position(none).unwrap();
        term.draw(|frame| f(frame)).unwrap();
        let p = term.get_cursor_position().unwrap();
        let cursor = (p != none).then_some((p.x, p.y));
        (term.backend().buffer().clone(), cursor)
    }

    /// The rows of a buffer as strings (a wide char's trailing cell is skipped).
    pub fn rows(buf: &Buffer) -> Vec<String> {
        let a = buf.area;
        (a.y..a.y + a.height)
            .map(|y| {
                let mut s = String::new();
                let mut skip = 0;
                for x in a.x..a.x + a.width {
                    if skip > 0 {
                        skip -= 1;
                        continue;
                    }
                    let sym = buf[(x, y)].symbol();
                    skip = unicode_width::UnicodeWidthStr::width(sym).saturating_sub(1);
                    s.push_str(sym);
                }
                s
            })
            .collect()
    }

    /// All the rows joined with newlines, trailing spaces trimmed.
    pub fn screen(buf: &Buffer) -> String {
        rows(buf)
            .iter()
            .map(|r| r.trim_end().to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn centered_clamps() {
        let a = Rect::new(2, 3, 10, 4);
        assert_eq!(centered(a, 4, 2), Rect::new(5, 4, 4, 2));
        assert_eq!(centered(a, 40, 20), a);
        assert_eq!(centered(Rect::new(0, 0, 0, 0), 5, 5), Rect::new(0, 0, 0, 0));
    }

    #[test]
    fn wrap_words_and_long_words() {
        assert_eq!(wrap("hello world", 5), ["hello", "world"]);
        assert_eq!(wrap("abcdefgh", 3), ["abc", "def", "gh"]);
        assert_eq!(wrap("", 3), [""]);
        assert_eq!(wrap("日本語", 3), ["日", "本", "語"]);
        assert_eq!(wrap("a b", 0), ["a", "b"]);
    }

    #[test]
    fn fit_cuts_with_an_ellipsis() {
        assert_eq!(fit("hello", 5), "hello");
        assert_eq!(fit("hello", 4), "hel…");
        assert_eq!(fit("日本語", 4), "日…");
        assert_eq!(fit("hello", 1), "…");
        assert_eq!(fit("hello", 0), "");
    }

    #[test]
    fn display_line_escapes() {
        assert_eq!(display_line("a\tb\x1b[2J\nc", 2), "a  b\\x1b[2J⏎c");
    }

    #[test]
    fn tone_styles() {
        let t = Theme::builtin_default();
        assert_eq!(Tone::Danger.style(&t), t.danger);
        assert_eq!(Tone::Warn.style(&t), t.warn);
        assert_eq!(Tone::Info.style(&t), t.text);
    }
}
