//! [`Editor`]: a multi-line text editor, a thin wrapper of `ratatui-textarea`.
//!
//! The keys are the textarea's (emacs-like; its documentation has the full table): arrows,
//! Home/End, PageUp/PageDown, Ctrl-Left/Right and Alt-b/f by words, Enter for a new line,
//! Tab indents, Backspace/Delete, Ctrl-w / Alt-Backspace and Alt-d delete words, Ctrl-k
//! deletes to the end of the line, Ctrl-j to its start, Ctrl-x cuts, Ctrl-y pastes what was
//! cut, Shift with a motion selects. Undo is Ctrl-u (the textarea's) and also Ctrl-z; redo is
//! Ctrl-r. Differences from the plain textarea:
//!
//! - Esc, Shift-Tab and Ctrl-c are [`InputResult::Ignored`] for the owner (Ctrl-c would copy
//!   in the textarea; the app quits on it instead).
//! - [`Editor::key`] says `Edited` when the text changed, `Moved` when only the cursor, the
//!   selection or the view did, and `Ignored` when nothing happened: a key the editor has
//!   no use for (Ctrl-s, F-keys — so the owner can bind them), or a motion that could not
//!   move (Up on the first line).
//! - [`Editor::paste`] takes a bracketed paste whole, as one undo step; `\r\n` and `\r`
//!   become `\n`, control characters other than tabs are dropped.
//! - Lines can be marked with errors ([`Editor::set_marks`]): a `●` in a gutter left of the
//!   text, the line drawn in the danger style while the cursor is on it, and the message of
//!   the cursor's line (else a count of the problems) under the editor. Marks stay on their
//!   line numbers until set again: the owner re-checks the text after edits.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType};
use ratatui_textarea::TextArea;

use super::{InputResult, is_ctrl_c, is_press};
use crate::text::is_unsafe;
use crate::theme::Theme;

/// The mark drawn in the gutter of a line with an error.
pub const MARK: &str = "●";

/// The theme's styles an editor draws with.
#[derive(Debug)]
struct Styles {
    border: Style,
    border_focused: Style,
    title: Style,
    muted: Style,
    danger: Style,
}

/// A multi-line editor: the text, its undo history, line numbers, and error marks.
#[derive(Debug)]
pub struct Editor {
    area: TextArea<'static>,
    /// (line, message), sorted by line.
    marks: Vec<(usize, String)>,
    styles: Styles,
    line_numbers: bool,
    /// The text given to [`Editor::new`] ended with a newline; [`Editor::text`] keeps it.
    trailing_newline: bool,
}

/// Drop what must not enter the text (keeping tabs and newlines), `\r\n` and `\r` as `\n`.
fn clean(text: &str) -> String {
    text.replace("\r\n", "\n")
        .chars()
        .filter_map(|c| match c {
            '\r' => Some('\n'),
            '\n' | '\t' => Some(c),
            c if is_unsafe(c) => None,
            c => Some(c),
        })
        .collect()
}

impl Editor {
    /// An editor holding `text`, the cursor at the start, line numbers on, plain styles
    /// until [`Editor::set_style`].
    pub fn new(text: &str) -> Self {
        let text = clean(text);
        let trailing_newline = text.ends_with('\n');
        let body = text.strip_suffix('\n').unwrap_or(&text);
        let lines: Vec<String> = body.split('\n').map(str::to_string).collect();
        let mut area = TextArea::new(lines);
        area.set_cursor_line_style(Style::default());
        area.set_line_number_style(Style::default().add_modifier(Modifier::DIM));
        Editor {
            area,
            marks: Vec::new(),
            styles: Styles {
                border: Style::default(),
                border_focused: Style::default().add_modifier(Modifier::BOLD),
                title: Style::default().add_modifier(Modifier::BOLD),
                muted: Style::default().add_modifier(Modifier::DIM),
                danger: Style::default().add_modifier(Modifier::BOLD),
            },
            line_numbers: true,
            trailing_newline,
        }
    }

    /// The text: the lines joined with `\n`, with a final newline if the text given to
    /// [`Editor::new`] had one.
    pub fn text(&self) -> String {
        let mut t = self.area.lines().join("\n");
        if self.trailing_newline {
            t.push('\n');
        }
        t
    }

    /// The lines (never none: an empty text is one empty line).
    pub fn lines(&self) -> &[String] {
        self.area.lines()
    }

    /// The cursor as (line, column), both from 0; the column counts characters.
    pub fn cursor(&self) -> (usize, usize) {
        let c = self.area.cursor();
        (c.0, c.1)
    }

    /// Show line numbers (on by default) or not.
    pub fn set_line_numbers(&mut self, on: bool) {
        self.line_numbers = on;
        if on {
            self.area.set_line_number_style(self.styles.muted);
        } else {
            self.area.remove_line_number();
        }
    }

    /// Take the styles from `theme`: text, cursor (the text reversed), selection, line
    /// numbers (muted), borders, title, marks (danger).
    pub fn set_style(&mut self, theme: &Theme) {
        self.styles = Styles {
            border: theme.border,
            border_focused: theme.border_focused,
            title: theme.title,
            muted: theme.muted,
            danger: theme.danger,
        };
        self.area.set_style(theme.text);
        self.area
            .set_cursor_style(theme.text.add_modifier(Modifier::REVERSED));
        self.area.set_selection_style(theme.selected);
        self.set_line_numbers(self.line_numbers);
        self.update_cursor_line();
    }

    /// Mark lines (from 0) with error messages; replaces the marks there were. Marks past
    /// the last line are kept but drawn nowhere except in the count.
    pub fn set_marks(&mut self, mut marks: Vec<(usize, String)>) {
        marks.sort_by_key(|(line, _)| *line);
        self.marks = marks;
        self.update_cursor_line();
    }

    /// The marks, sorted by line.
    pub fn marks(&self) -> &[(usize, String)] {
        &self.marks
    }

    /// The message of the first mark on the cursor's line.
    pub fn mark_at_cursor(&self) -> Option<&str> {
        let line = self.cursor().0;
        self.marks
            .iter()
            .find(|(l, _)| *l == line)
            .map(|(_, m)| m.as_str())
    }

    fn is_marked(&self, line: usize) -> bool {
        self.marks.iter().any(|(l, _)| *l == line)
    }

    fn update_cursor_line(&mut self) {
        let style = if self.mark_at_cursor().is_some() {
            self.styles.danger
        } else {
            Style::default()
        };
        self.area.set_cursor_line_style(style);
    }

    /// Undo the last edit; whether there was one.
    pub fn undo(&mut self) -> bool {
        let done = self.area.undo();
        self.update_cursor_line();
        done
    }

    /// Redo the last undone edit; whether there was one.
    pub fn redo(&mut self) -> bool {
        let done = self.area.redo();
        self.update_cursor_line();
        done
    }

    /// Handle a key; see the module docs.
    pub fn key(&mut self, ev: &KeyEvent) -> InputResult {
        if !is_press(ev) || is_ctrl_c(ev) || matches!(ev.code, KeyCode::Esc | KeyCode::BackTab) {
            return InputResult::Ignored;
        }
        if ev.code == KeyCode::Char('z') && ev.modifiers == KeyModifiers::CONTROL {
            return if self.undo() {
                InputResult::Edited
            } else {
                InputResult::Ignored
            };
        }
        let before = self.view_state();
        let edited = self.area.input(*ev);
        self.update_cursor_line();
        if edited {
            InputResult::Edited
        } else if self.view_state() != before {
            InputResult::Moved
        } else {
            InputResult::Ignored
        }
    }

    /// What a key that edits nothing may still change.
    #[allow(clippy::type_complexity)]
    fn view_state(
        &self,
    ) -> (
        (usize, usize),
        Option<((usize, usize), (usize, usize))>,
        (u16, u16),
    ) {
        (
            self.cursor(),
            self.area.selection_range(),
            self.area.scroll_offset(),
        )
    }

    /// Insert a paste at the cursor (replacing a selection) as one undo step. Several lines
    /// are fine; `\r\n` and `\r` become `\n`, control characters other than tabs are dropped.
    pub fn paste(&mut self, text: &str) {
        let t = clean(text);
        if !t.is_empty() {
            self.area.insert_str(t);
        }
        self.update_cursor_line();
    }

    /// Draw the editor in a rounded bordered box titled `title`; under it the cursor's
    /// mark message, else the count of marks, else the cursor position.
    pub fn render(&self, frame: &mut Frame, area: Rect, title: &str, focused: bool) {
        if area.width == 0 || area.height == 0 {
            return;
        }
        let (line, col) = self.cursor();
        let bottom = if let Some(msg) = self.mark_at_cursor() {
            Span::styled(
                format!(" line {}: {} ", line + 1, super::display_line(msg, 1)),
                self.styles.danger,
            )
        } else if !self.marks.is_empty() {
            let n = self.marks.len();
            let first = self.marks[0].0 + 1;
            Span::styled(
                format!(
                    " {n} problem{}, the first on line {first} ",
                    if n == 1 { "" } else { "s" }
                ),
                self.styles.danger,
            )
        } else {
            Span::styled(format!(" {}:{} ", line + 1, col + 1), self.styles.muted)
        };
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(if focused {
                self.styles.border_focused
            } else {
                self.styles.border
            })
            .title(Span::styled(format!(" {title} "), self.styles.title))
            .title_bottom(Line::from(bottom));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        if inner.width < 2 || inner.height == 0 {
            return;
        }
        let [gutter, text] =
            Layout::horizontal([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
        frame.render_widget(&self.area, text);
        // The textarea recorded where it scrolled to while drawing.
        let top = usize::from(self.area.scroll_offset().0);
        let buf = frame.buffer_mut();
        for r in 0..gutter.height {
            if self.is_marked(top + usize::from(r)) && top + usize::from(r) < self.lines().len() {
                buf.set_string(gutter.x, gutter.y + r, MARK, self.styles.danger);
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::widget::testing::{alt, ch, ctrl, draw, key, rows, screen, with};

    #[test]
    fn text_round_trips() {
        for t in ["", "one", "one\ntwo", "one\ntwo\n", "a\n\nb\n"] {
            assert_eq!(Editor::new(t).text(), t);
        }
        let e = Editor::new("a\r\nb\r\n");
        assert_eq!(e.lines(), ["a", "b"]);
        assert_eq!(e.text(), "a\nb\n");
        assert_eq!(Editor::new("a\u{1b}[31mb").text(), "a[31mb");
        assert_eq!(Editor::new("").lines(), [""]);
    }

    #[test]
    fn typing_and_enter_edit() {
        let mut e = Editor::new("");
        for c in "ab".chars() {
            assert_eq!(e.key(&ch(c)), InputResult::Edited);
        }
        assert_eq!(e.key(&key(KeyCode::Enter)), InputResult::Edited);
        assert_eq!(e.key(&ch('c')), InputResult::Edited);
        assert_eq!(e.text(), "ab\nc");
        assert_eq!(e.cursor(), (1, 1));
    }

    #[test]
    fn owner_keys_are_ignored() {
        let mut e = Editor::new("x\ny");
        for ev in [
            ctrl('c'),
            key(KeyCode::Esc),
            key(KeyCode::BackTab),
            ctrl('s'),
            key(KeyCode::F(2)),
        ] {
            assert_eq!(e.key(&ev), InputResult::Ignored, "{ev:?}");
        }
        assert_eq!(e.text(), "x\ny");
    }

    #[test]
    fn motions_move_or_are_ignored_at_an_edge() {
        let mut e = Editor::new("one\ntwo");
        assert_eq!(
            e.key(&key(KeyCode::Up)),
            InputResult::Ignored,
            "already on top"
        );
        assert_eq!(e.key(&key(KeyCode::Down)), InputResult::Moved);
        assert_eq!(e.key(&key(KeyCode::End)), InputResult::Moved);
        assert_eq!(e.cursor(), (1, 3));
        assert_eq!(e.key(&alt('b')), InputResult::Moved);
        assert_eq!(e.cursor(), (1, 0));
        assert_eq!(
            e.key(&with(KeyCode::Right, KeyModifiers::SHIFT)),
            InputResult::Moved
        );
        assert_eq!(e.key(&ctrl('x')), InputResult::Edited, "cut the selection");
        assert_eq!(e.text(), "one\nwo");
    }

    #[test]
    fn multi_line_paste_is_one_undo_step() {
        let mut e = Editor::new("start\nend");
        e.key(&key(KeyCode::End));
        e.paste(" a\r\nb\rc\u{7}\td");
        assert_eq!(e.text(), "start a\nb\nc\td\nend");
        assert_eq!(e.cursor(), (2, 3));
        assert_eq!(e.key(&ctrl('u')), InputResult::Edited, "undo");
        assert_eq!(e.text(), "start\nend");
        assert_eq!(e.key(&ctrl('r')), InputResult::Edited, "redo");
        assert_eq!(e.text(), "start a\nb\nc\td\nend");
        assert_eq!(e.key(&ctrl('z')), InputResult::Edited, "Ctrl-z undoes too");
        assert_eq!(e.text(), "start\nend");
        assert_eq!(
            e.key(&ctrl('z')),
            InputResult::Ignored,
            "nothing left to undo"
        );
        assert!(!e.undo());
        assert!(e.redo());
    }

    #[test]
    fn paste_replaces_a_selection() {
        let mut e = Editor::new("abc");
        e.key(&with(KeyCode::End, KeyModifiers::SHIFT));
        e.paste("x\ny");
        assert_eq!(e.text(), "x\ny");
    }

    #[test]
    fn marks_are_kept_sorted_and_found_at_the_cursor() {
        let mut e = Editor::new("a\nb\nc");
        e.set_marks(vec![(2, "bad c".into()), (0, "bad a".into())]);
        assert_eq!(e.marks()[0].0, 0);
        assert_eq!(e.mark_at_cursor(), Some("bad a"));
        e.key(&key(KeyCode::Down));
        assert_eq!(e.mark_at_cursor(), None);
    }

    #[test]
    fn render_draws_numbers_marks_and_messages() {
        let mut e = Editor::new("alpha\nbeta\ngamma");
        e.set_style(&Theme::builtin_default());
        e.set_marks(vec![(1, "beta is wrong".into())]);
        let (buf, _) = draw(40, 6, |f| e.render(f, f.area(), "compose", true));
        let s = screen(&buf);
        assert!(s.contains(" compose "), "{s}");
        assert!(s.contains("1 alpha"), "{s}");
        let r = rows(&buf);
        assert!(r[2].starts_with(&format!("│{MARK}")), "{s}");
        assert!(!r[1].starts_with(&format!("│{MARK}")), "{s}");
        assert!(r[5].contains("1 problem, the first on line 2"), "{s}");
        e.key(&key(KeyCode::Down));
        let (buf, _) = draw(40, 6, |f| e.render(f, f.area(), "compose", true));
        assert!(
            rows(&buf)[5].contains("line 2: beta is wrong"),
            "{}",
            screen(&buf)
        );
        e.set_marks(vec![]);
        let (buf, _) = draw(40, 6, |f| e.render(f, f.area(), "compose", true));
        assert!(rows(&buf)[5].contains(" 2:1 "), "{}", screen(&buf));
        e.set_line_numbers(false);
        let (buf, _) = draw(40, 6, |f| e.render(f, f.area(), "compose", true));
        assert!(rows(&buf)[1].starts_with("│ alpha"), "{}", screen(&buf));
    }

    #[test]
    fn marks_follow_the_scroll() {
        let text: Vec<String> = (0..30).map(|i| format!("line {i}")).collect();
        let mut e = Editor::new(&text.join("\n"));
        e.set_marks(vec![(25, "here".into())]);
        for _ in 0..26 {
            e.key(&key(KeyCode::Down));
        }
        let (buf, _) = draw(30, 7, |f| e.render(f, f.area(), "t", false));
        let r = rows(&buf);
        let marked: Vec<&String> = r
            .iter()
            .filter(|l| l.starts_with(&format!("│{MARK}")))
            .collect();
        assert_eq!(marked.len(), 1, "{}", screen(&buf));
        assert!(marked[0].contains("line 25"), "{}", screen(&buf));
    }

    #[test]
    fn tiny_areas_do_not_panic() {
        let mut e = Editor::new("日本語テキスト\n👨‍👩‍👧 emoji\nplain");
        e.set_marks(vec![(0, "x".into()), (1, "y".into()), (9, "z".into())]);
        for (w, h) in [(1, 1), (3, 1), (10, 2), (2, 3), (3, 3), (4, 4), (6, 3)] {
            for focused in [true, false] {
                let (buf, _) = draw(w, h, |f| e.render(f, f.area(), "title", focused));
                assert_eq!(buf.area.width, w);
            }
            e.key(&key(KeyCode::Down));
            e.key(&key(KeyCode::End));
        }
    }
}
