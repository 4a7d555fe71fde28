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
//! - [`Editor::paste`] takes a bracketed paste whole, as one undo step (two when it replaces
//!   a selection: the textarea deletes it, then inserts); `\r\n` and `\r` become `\n`,
//!   control characters other than tabs are dropped.
//! - Lines can be marked with errors ([`Editor::set_marks`]): a `●` in a gutter left of the
//!   text, the line drawn in the danger style while the cursor is on it, and the message of
//!   the cursor's line (else a count of the problems) under the editor. Marks stay on their
//!   line numbers until set again: the owner re-checks the text after edits.
//! - [`Editor::set_text`] replaces the whole text as one undo step (a pretty-print that
//!   Ctrl-u takes back). The textarea cannot do that in one step, so the editor keeps the
//!   replaced textarea whole (moved, never copied) and steps back into it when the new one
//!   has nothing left to undo; redo steps forward again, and an edit drops what was undone.
//!   The last [`MAX_REPLACED`] replaced texts are kept.
//! - Read-only ([`Editor::set_readonly`]): every key that would change the text (typing,
//!   Enter, Tab, deleting, cut, yank, undo, redo) is `Ignored` and changes nothing; motions,
//!   selection and scrolling still work. [`Editor::paste`] refuses with a message.
//! - Syntax colours ([`Editor::set_syntax`], off by default): JSON keys, strings, numbers,
//!   `true`/`false`/`null` and punctuation in the theme's `json_*` styles. Only the visible
//!   lines are read, each by itself with a forgiving lexer (JSON strings never span lines; an
//!   unclosed string is coloured to the end of its line, anything unknown stays plain). The
//!   colours are laid over what the textarea drew, cell by cell, with its own column rules
//!   (line-number width, tab stops, wide characters, horizontal and vertical scroll); the
//!   cursor, the selection and a marked cursor line keep their styles.

use std::ops::Range;

use ratatui::Frame;
use ratatui::buffer::{Buffer, CellWidth};
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType};
use ratatui_textarea::{CursorMove, Input, Key, Scrolling, TextArea};
use unicode_segmentation::UnicodeSegmentation;

use super::{InputResult, is_ctrl_c, is_press};
use crate::text::is_unsafe;
use crate::theme::Theme;

/// The mark drawn in the gutter of a line with an error.
pub const MARK: &str = "●";

/// How many texts replaced by [`Editor::set_text`] undo can go back to.
pub const MAX_REPLACED: usize = 20;

/// A language the editor can colour ([`Editor::set_syntax`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// JSON, in the theme's `json_key`, `json_string`, `json_number`, `json_literal` and
    /// `json_punct` styles.
    Json,
}

/// The theme's styles an editor draws with.
#[derive(Debug)]
struct Styles {
    text: Style,
    cursor: Style,
    selection: Style,
    border: Style,
    border_focused: Style,
    title: Style,
    muted: Style,
    danger: Style,
    json: JsonStyles,
}

/// The style of each kind of JSON token.
#[derive(Debug, Clone, Copy)]
struct JsonStyles {
    key: Style,
    string: Style,
    number: Style,
    literal: Style,
    punct: Style,
}

impl JsonStyles {
    fn of(&self, token: json::Token) -> Style {
        match token {
            json::Token::Key => self.key,
            json::Token::String => self.string,
            json::Token::Number => self.number,
            json::Token::Literal => self.literal,
            json::Token::Punct => self.punct,
        }
    }
}

/// A multi-line editor: the text, its undo history, line numbers, and error marks.
#[derive(Debug)]
pub struct Editor {
    area: TextArea<'static>,
    /// Textareas replaced by [`Editor::set_text`], oldest first, each as it was when replaced.
    replaced: Vec<TextArea<'static>>,
    /// Textareas undone back out of (the newest last), each with how many of its own edits
    /// were undone before leaving it: redo replays those, then moves on into the next.
    undone: Vec<(TextArea<'static>, usize)>,
    /// Edits undone in `area` since it was entered or last edited; it matters only while
    /// `undone` holds something.
    undone_here: usize,
    /// (line, message), sorted by line.
    marks: Vec<(usize, String)>,
    styles: Styles,
    line_numbers: bool,
    /// The text given to [`Editor::new`] ended with a newline; [`Editor::text`] keeps it.
    trailing_newline: bool,
    readonly: bool,
    syntax: Option<Syntax>,
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
        let plain = Style::default();
        let mut editor = Editor {
            area: TextArea::new(body.split('\n').map(str::to_string).collect()),
            replaced: Vec::new(),
            undone: Vec::new(),
            undone_here: 0,
            marks: Vec::new(),
            styles: Styles {
                // The textarea's own defaults for the text, the cursor and the selection.
                text: plain,
                cursor: plain.add_modifier(Modifier::REVERSED),
                selection: plain.bg(Color::LightBlue),
                border: plain,
                border_focused: plain.add_modifier(Modifier::BOLD),
                title: plain.add_modifier(Modifier::BOLD),
                muted: plain.add_modifier(Modifier::DIM),
                danger: plain.add_modifier(Modifier::BOLD),
                json: JsonStyles {
                    key: plain.add_modifier(Modifier::BOLD),
                    string: plain,
                    number: plain,
                    literal: plain,
                    punct: plain,
                },
            },
            line_numbers: true,
            trailing_newline,
            readonly: false,
            syntax: None,
        };
        editor.dress();
        editor
    }

    /// Give the textarea the editor's styles and line numbers (a textarea from
    /// [`Editor::set_text`] or from the undo eras may have none or old ones).
    fn dress(&mut self) {
        self.area.set_style(self.styles.text);
        self.area.set_cursor_style(self.styles.cursor);
        self.area.set_selection_style(self.styles.selection);
        if self.line_numbers {
            self.area.set_line_number_style(self.styles.muted);
        } else {
            self.area.remove_line_number();
        }
        self.update_cursor_line();
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
        self.dress();
    }

    /// Take the styles from `theme`: text, cursor (the text reversed), selection, line
    /// numbers (muted), borders, title, marks (danger), syntax colours (`json_*`).
    pub fn set_style(&mut self, theme: &Theme) {
        self.styles = Styles {
            text: theme.text,
            cursor: theme.text.add_modifier(Modifier::REVERSED),
            selection: theme.selected,
            border: theme.border,
            border_focused: theme.border_focused,
            title: theme.title,
            muted: theme.muted,
            danger: theme.danger,
            json: JsonStyles {
                key: theme.json_key,
                string: theme.json_string,
                number: theme.json_number,
                literal: theme.json_literal,
                punct: theme.json_punct,
            },
        };
        self.dress();
    }

    /// Colour the text as `syntax`, or not at all (`None`, the default).
    pub fn set_syntax(&mut self, syntax: Option<Syntax>) {
        self.syntax = syntax;
    }

    /// The syntax the text is coloured as.
    pub fn syntax(&self) -> Option<Syntax> {
        self.syntax
    }

    /// Make the editor read-only (or editable again): see the module docs.
    pub fn set_readonly(&mut self, readonly: bool) {
        self.readonly = readonly;
    }

    /// Whether the editor is read-only; an owner that gets `Ignored` for a key can say so.
    pub fn readonly(&self) -> bool {
        self.readonly
    }

    /// Move the cursor to `line` and `col` (both from 0; `col` counts characters), each
    /// clamped to the text, and cancel the selection. The next draw scrolls it into view.
    ///
    /// The textarea addresses the cursor with `u16`s: a line past 65,535 is reached by
    /// stepping down from there, and a column past 65,535 that is not the end of its line
    /// stops at 65,535 (the textarea cannot scroll further right anyway).
    pub fn goto(&mut self, line: usize, col: usize) {
        let line = line.min(self.lines().len().saturating_sub(1));
        let len = self.lines()[line].chars().count();
        let col = col.min(len);
        self.area.cancel_selection();
        let near = u16::try_from(line).unwrap_or(u16::MAX);
        self.area.move_cursor(CursorMove::Jump(near, 0));
        for _ in usize::from(near)..line {
            self.area.move_cursor(CursorMove::Down);
        }
        if col == len {
            self.area.move_cursor(CursorMove::End);
        } else if usize::from(near) == line {
            let col = u16::try_from(col).unwrap_or(u16::MAX);
            self.area.move_cursor(CursorMove::Jump(near, col));
        } else {
            for _ in 0..col {
                self.area.move_cursor(CursorMove::Forward);
            }
        }
        self.update_cursor_line();
    }

    /// Replace the whole text with `text` (cleaned like a paste) as one undo step; whether
    /// the text changed (an unchanged text adds no step). The cursor stays on its line and
    /// column, each clamped to the new text, and the view where it was. The final newline
    /// of [`Editor::text`] follows the text given to [`Editor::new`]: a text that ended with
    /// one still does, and a final newline of `text` is kept either way.
    ///
    /// Works when read-only too: it is the owner's call, not the user's.
    pub fn set_text(&mut self, text: &str) -> bool {
        let text = clean(text);
        let body = if self.trailing_newline {
            text.strip_suffix('\n').unwrap_or(&text)
        } else {
            &text
        };
        let same = body.split('\n').eq(self.lines().iter().map(String::as_str));
        if same {
            return false;
        }
        let (line, col) = self.cursor();
        let (top, left) = self.area.scroll_offset();
        let mut area = TextArea::new(body.split('\n').map(str::to_string).collect());
        // Keep the view: scroll the new textarea where the old one was, in steps of at most
        // i16::MAX (the cursor is put back below, so where scrolling leaves it is no matter).
        let (mut rows, mut cols) = (top, left);
        while rows > 0 || cols > 0 {
            let r = rows.min(i16::MAX.unsigned_abs());
            let c = cols.min(i16::MAX.unsigned_abs());
            area.scroll(Scrolling::Delta {
                rows: i16::try_from(r).unwrap_or(i16::MAX),
                cols: i16::try_from(c).unwrap_or(i16::MAX),
            });
            rows -= r;
            cols -= c;
        }
        let old = std::mem::replace(&mut self.area, area);
        self.replaced.push(old);
        if self.replaced.len() > MAX_REPLACED {
            self.replaced.remove(0);
        }
        self.edited();
        self.dress();
        self.goto(line, col);
        true
    }

    /// The text was edited: what was undone can no longer be redone.
    fn edited(&mut self) {
        self.undone.clear();
        self.undone_here = 0;
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

    /// Undo the last edit (a [`Editor::set_text`] is one); whether there was one. Never
    /// when read-only.
    pub fn undo(&mut self) -> bool {
        if self.readonly {
            return false;
        }
        let done = if self.area.undo() {
            self.undone_here += 1;
            true
        } else if let Some(older) = self.replaced.pop() {
            let newer = std::mem::replace(&mut self.area, older);
            self.undone.push((newer, self.undone_here));
            self.undone_here = 0;
            self.dress();
            true
        } else {
            false
        };
        self.update_cursor_line();
        done
    }

    /// Redo the last undone edit; whether there was one. Never when read-only.
    pub fn redo(&mut self) -> bool {
        if self.readonly {
            return false;
        }
        let done = if self.undone.is_empty() || self.undone_here > 0 {
            // This textarea's own edits first; past what was undone in it lie edits that
            // were undone before it was replaced, which are not to come back.
            let done = self.area.redo();
            self.undone_here = self.undone_here.saturating_sub(usize::from(done));
            done
        } else if let Some((newer, undone_there)) = self.undone.pop() {
            let older = std::mem::replace(&mut self.area, newer);
            self.replaced.push(older);
            self.undone_here = undone_there;
            self.dress();
            true
        } else {
            false
        };
        self.update_cursor_line();
        done
    }

    /// Handle a key; see the module docs.
    pub fn key(&mut self, ev: &KeyEvent) -> InputResult {
        if !is_press(ev) || is_ctrl_c(ev) || matches!(ev.code, KeyCode::Esc | KeyCode::BackTab) {
            return InputResult::Ignored;
        }
        let input = Input::from(*ev);
        if self.readonly && !only_moves(&input) {
            return InputResult::Ignored;
        }
        if input.ctrl && !input.alt {
            let done = match input.key {
                Key::Char('u' | 'z') => Some(self.undo()),
                Key::Char('r') => Some(self.redo()),
                _ => None,
            };
            match done {
                Some(true) => return InputResult::Edited,
                Some(false) => return InputResult::Ignored,
                None => {}
            }
        }
        let before = self.view_state();
        let edited = self.area.input(input);
        self.update_cursor_line();
        if edited {
            self.edited();
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

    /// Insert a paste at the cursor (replacing a selection) as one undo step (see the module
    /// docs for a selection). Several lines
    /// are fine; `\r\n` and `\r` become `\n`, control characters other than tabs are dropped.
    /// Refused whole, with a message for the owner to show, when read-only.
    pub fn paste(&mut self, text: &str) -> Result<(), String> {
        if self.readonly {
            return Err("the editor is read-only; nothing was pasted".to_string());
        }
        let t = clean(text);
        if !t.is_empty() && self.area.insert_str(t) {
            self.edited();
        }
        self.update_cursor_line();
        Ok(())
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
        if self.syntax == Some(Syntax::Json) {
            self.colour_json(buf, text);
        }
        for r in 0..gutter.height {
            if self.is_marked(top + usize::from(r)) && top + usize::from(r) < self.lines().len() {
                buf.set_string(gutter.x, gutter.y + r, MARK, self.styles.danger);
            }
        }
    }

    /// Lay the JSON colours over the textarea just drawn in `area`: the visible lines only,
    /// each lexed from its start up to the right edge of the view. The cells are found the
    /// way the textarea draws them (ratatui-textarea 0.9, `WrapMode::None`, left-aligned):
    /// screen row `r` is text line `top + r`; a line is its line number (as wide as
    /// `line_number_width()`) and then its text, tabs expanded to the next multiple of the
    /// tab length counted from the start of the text, and that whole line is cut to the
    /// columns `left..left + width`; each grapheme takes its ratatui cell width, and the
    /// textarea's spans (cut at the cursor and the selection) are where graphemes break.
    fn colour_json(&self, buf: &mut Buffer, area: Rect) {
        let (top, left) = self.area.scroll_offset();
        let (top, left) = (usize::from(top), usize::from(left));
        let lnum = usize::from(self.area.line_number_width());
        let width = usize::from(area.width);
        // The text columns in view.
        let view = left.saturating_sub(lnum)..(left + width).saturating_sub(lnum);
        if view.is_empty() {
            return;
        }
        let tab = usize::from(self.area.tab_length());
        let (cursor_line, cursor_col) = self.cursor();
        let selection = self.area.selection_range();
        let marked_cursor_line = self.mark_at_cursor().is_some();
        for r in 0..area.height {
            let row = top + usize::from(r);
            let Some(line) = self.lines().get(row) else {
                break;
            };
            if row == cursor_line && marked_cursor_line {
                continue;
            }
            // Characters drawn in the cursor or selection style: left as they are.
            let mut keep: Vec<Range<usize>> = Vec::new();
            if row == cursor_line {
                keep.push(cursor_col..cursor_col + 1);
            }
            if let Some(((sr, sc), (er, ec))) = selection
                && (sr..=er).contains(&row)
            {
                let from = if row == sr { sc } else { 0 };
                let to = if row == er { ec } else { usize::MAX };
                keep.push(from..to);
            }
            let splits: Vec<usize> = keep.iter().flat_map(|k| [k.start, k.end]).collect();
            let mut cells = Graphemes::new(line, tab, splits);
            let y = area.y + r;
            'tokens: for (token, bytes) in json::Lexer::new(line) {
                let style = self.styles.json.of(token);
                while let Some(g) = cells.next_before(bytes.end) {
                    if g.col >= view.end {
                        break 'tokens;
                    }
                    if g.byte < bytes.start || keep.iter().any(|k| k.contains(&g.char)) {
                        continue;
                    }
                    for col in g.col.max(view.start)..(g.col + g.width).min(view.end) {
                        // `col` is in view, so this is inside `area`.
                        let x = area.x + u16::try_from(lnum + col - left).unwrap_or(u16::MAX);
                        if let Some(cell) = buf.cell_mut((x, y)) {
                            cell.set_style(style);
                        }
                    }
                }
            }
        }
    }
}

/// Whether a key only moves the cursor, the selection or the view in the textarea (its
/// table in `TextArea::input`): what read-only lets through.
fn only_moves(input: &Input) -> bool {
    match input.key {
        Key::Up
        | Key::Down
        | Key::Left
        | Key::Right
        | Key::Home
        | Key::End
        | Key::PageUp
        | Key::PageDown
        | Key::MouseScrollUp
        | Key::MouseScrollDown => true,
        Key::Char(c) => match (input.ctrl, input.alt) {
            (true, false) => matches!(c, 'a' | 'b' | 'e' | 'f' | 'n' | 'p' | 'v'),
            (true, true) => matches!(c, 'b' | 'f' | 'n' | 'p'),
            (false, true) => matches!(c, 'b' | 'f' | 'n' | 'p' | 'v' | '<' | '>' | '[' | ']'),
            (false, false) => false,
        },
        _ => false,
    }
}

/// One grapheme of a line as the textarea draws it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Drawn {
    /// Its first byte and first character in the line.
    byte: usize,
    char: usize,
    /// The text column it starts at (after the line number) and how many cells it takes.
    col: usize,
    width: usize,
}

/// The graphemes of a line with their columns, from the start, as the textarea draws them.
struct Graphemes<'a> {
    line: &'a str,
    tab: usize,
    /// Character indices where the textarea starts a new span (a grapheme never crosses
    /// one): the cursor's character and the selection's ends; sorted.
    splits: Vec<usize>,
    /// The first of `splits` after `char`, and the byte where it is (once looked up).
    next_split: usize,
    split_byte: Option<usize>,
    byte: usize,
    char: usize,
    col: usize,
    /// The width the textarea's tab expansion counts (character by character).
    tab_width: usize,
}

impl<'a> Graphemes<'a> {
    fn new(line: &'a str, tab: usize, mut splits: Vec<usize>) -> Self {
        splits.sort_unstable();
        splits.dedup();
        Graphemes {
            line,
            tab,
            splits,
            next_split: 0,
            split_byte: None,
            byte: 0,
            char: 0,
            col: 0,
            tab_width: 0,
        }
    }

    /// The next grapheme if it starts before byte `end` (else it stays for the next call).
    fn next_before(&mut self, end: usize) -> Option<Drawn> {
        if self.byte >= end.min(self.line.len()) {
            return None;
        }
        let g = self.line[self.byte..self.span_end()]
            .graphemes(true)
            .next()?;
        let width = if g == "\t" {
            let w = if self.tab == 0 {
                0
            } else {
                self.tab - self.tab_width % self.tab
            };
            self.tab_width += w;
            w
        } else {
            self.tab_width += g.chars().map(char_cells).sum::<usize>();
            if g.contains(char::is_control) {
                0
            } else {
                usize::from(g.cell_width())
            }
        };
        let drawn = Drawn {
            byte: self.byte,
            char: self.char,
            col: self.col,
            width,
        };
        self.byte += g.len();
        self.char += g.chars().count();
        self.col += width;
        Some(drawn)
    }

    /// Where the span holding `byte` ends (the next split, else the end of the line).
    fn span_end(&mut self) -> usize {
        while self
            .splits
            .get(self.next_split)
            .is_some_and(|s| *s <= self.char)
        {
            self.next_split += 1;
            self.split_byte = None;
        }
        let Some(&split) = self.splits.get(self.next_split) else {
            return self.line.len();
        };
        *self.split_byte.get_or_insert_with(|| {
            let rest = &self.line[self.byte..];
            rest.char_indices()
                .nth(split - self.char)
                .map_or(self.line.len(), |(i, _)| self.byte + i)
        })
    }
}

/// The cells the textarea counts for one character when expanding tabs.
fn char_cells(c: char) -> usize {
    if c.is_control() {
        0
    } else {
        usize::from(c.encode_utf8(&mut [0; 4]).cell_width())
    }
}

/// A small, forgiving JSON lexer for one line at a time.
mod json {
    use std::ops::Range;

    /// What a run of a line is.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Token {
        /// A string followed (after spaces) by `:`.
        Key,
        /// Any other string, also one with no closing quote (it runs to the end of the line).
        String,
        Number,
        /// `true`, `false`, `null`.
        Literal,
        /// `{ } [ ] : ,`
        Punct,
    }

    /// The tokens of a line with their byte ranges, in order; what is not a token (spaces,
    /// words, stray characters) is skipped.
    pub struct Lexer<'a> {
        bytes: &'a [u8],
        pos: usize,
    }

    impl<'a> Lexer<'a> {
        pub fn new(line: &'a str) -> Self {
            Lexer {
                bytes: line.as_bytes(),
                pos: 0,
            }
        }

        fn run(&self, from: usize, f: impl Fn(u8) -> bool) -> usize {
            let b = self.bytes;
            let mut i = from;
            while i < b.len() && f(b[i]) {
                i += 1;
            }
            i
        }
    }

    /// A byte that continues a word: `trueish` is a word, not `true`.
    fn wordy(b: u8) -> bool {
        b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
    }

    impl Iterator for Lexer<'_> {
        type Item = (Token, Range<usize>);

        fn next(&mut self) -> Option<Self::Item> {
            let b = self.bytes;
            while self.pos < b.len() {
                let start = self.pos;
                match b[start] {
                    b'"' => {
                        let mut i = start + 1;
                        let mut closed = false;
                        while i < b.len() {
                            match b[i] {
                                b'\\' => i += 2,
                                b'"' => {
                                    i += 1;
                                    closed = true;
                                    break;
                                }
                                _ => i += 1,
                            }
                        }
                        let end = i.min(b.len());
                        self.pos = end;
                        let after = self.run(end, |c| c == b' ' || c == b'\t');
                        let token = if closed && b.get(after) == Some(&b':') {
                            Token::Key
                        } else {
                            Token::String
                        };
                        return Some((token, start..end));
                    }
                    b'{' | b'}' | b'[' | b']' | b':' | b',' => {
                        self.pos = start + 1;
                        return Some((Token::Punct, start..start + 1));
                    }
                    b'-' | b'0'..=b'9' => {
                        let digits = start + usize::from(b[start] == b'-');
                        if !b.get(digits).is_some_and(u8::is_ascii_digit) {
                            // A lone `-`.
                            self.pos = digits.max(start + 1);
                            continue;
                        }
                        let mut i = self.run(digits, |c| c.is_ascii_digit());
                        if b.get(i) == Some(&b'.') {
                            i = self.run(i + 1, |c| c.is_ascii_digit());
                        }
                        if matches!(b.get(i), Some(b'e' | b'E')) {
                            i += 1;
                            if matches!(b.get(i), Some(b'+' | b'-')) {
                                i += 1;
                            }
                            i = self.run(i, |c| c.is_ascii_digit());
                        }
                        if b.get(i).is_some_and(|c| wordy(*c)) {
                            // `12px`: a word, not a number.
                            self.pos = self.run(i, wordy);
                            continue;
                        }
                        self.pos = i;
                        return Some((Token::Number, start..i));
                    }
                    c if wordy(c) => {
                        let end = self.run(start, wordy);
                        self.pos = end;
                        if matches!(&b[start..end], b"true" | b"false" | b"null") {
                            return Some((Token::Literal, start..end));
                        }
                    }
                    _ => self.pos = start + 1,
                }
            }
            None
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::widget::testing::{alt, ch, ctrl, draw, key, rows, screen, with};
    use ratatui::crossterm::event::KeyModifiers;

    /// Where `needle` (narrow characters, one a cell) is drawn: the first (x, y) found.
    fn find(buf: &Buffer, needle: &str) -> (u16, u16) {
        let a = buf.area;
        let want: Vec<String> = needle.chars().map(String::from).collect();
        for y in a.y..a.y + a.height {
            for x in a.x..a.x + a.width {
                let fits = want.iter().enumerate().all(|(i, sym)| {
                    let Ok(i) = u16::try_from(i) else {
                        return false;
                    };
                    x + i < a.x + a.width && buf[(x + i, y)].symbol() == sym
                });
                if fits {
                    return (x, y);
                }
            }
        }
        panic!("{needle:?} not on screen:\n{}", screen(buf));
    }

    /// The foreground of `n` cells from (x, y).
    fn fgs(buf: &Buffer, (x, y): (u16, u16), n: u16) -> Vec<Color> {
        (x..x + n).map(|x| buf[(x, y)].fg).collect()
    }

    fn fg(style: Style) -> Color {
        style.fg.unwrap_or(Color::Reset)
    }

    /// A JSON editor in the default theme.
    fn json_editor(text: &str) -> (Editor, Theme) {
        let theme = Theme::builtin_default();
        let mut e = Editor::new(text);
        e.set_style(&theme);
        e.set_syntax(Some(Syntax::Json));
        (e, theme)
    }

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
        e.paste(" a\r\nb\rc\u{7}\td").unwrap();
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
        e.paste("x\ny").unwrap();
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
    fn json_tokens_are_found_with_their_ranges() {
        let line = r#"{"a" : "b\"c", "d": [1, -2.5E+3, true, nul, 12px, -x, "open"#;
        let got: Vec<(json::Token, &str)> =
            json::Lexer::new(line).map(|(t, r)| (t, &line[r])).collect();
        use json::Token::*;
        assert_eq!(
            got,
            [
                (Punct, "{"),
                (Key, "\"a\""),
                (Punct, ":"),
                (String, r#""b\"c""#),
                (Punct, ","),
                (Key, "\"d\""),
                (Punct, ":"),
                (Punct, "["),
                (Number, "1"),
                (Punct, ","),
                (Number, "-2.5E+3"),
                (Punct, ","),
                (Literal, "true"),
                (Punct, ","),
                (Punct, ","),
                (Punct, ","),
                (Punct, ","),
                (String, "\"open"),
            ]
        );
        // An escaped quote at the very end, and a key that is not closed.
        let line = r#""a\"#;
        assert_eq!(
            json::Lexer::new(line).collect::<Vec<_>>(),
            [(String, 0..line.len())]
        );
        let line = r#""a :"#;
        assert_eq!(
            json::Lexer::new(line).collect::<Vec<_>>(),
            [(String, 0..line.len())]
        );
        assert_eq!(json::Lexer::new("trueish nullable 日本").count(), 0);
    }

    #[test]
    fn json_colours_land_on_their_tokens() {
        let line =
            r#"{"name": "web", "n": -1.5e3, "on": true, "off": false, "z": null, "w": bogus}"#;
        let (mut e, t) = json_editor(&format!("{line}\n\n"));
        e.set_line_numbers(false);
        e.goto(1, 0); // the cursor off the tokens
        let (buf, _) = draw(100, 5, |f| e.render(f, f.area(), "doc", true));
        let (x, y) = find(&buf, line);
        let at = |s: &str| (x + u16::try_from(line.find(s).unwrap()).unwrap(), y);
        let n = |s: &str| u16::try_from(s.len()).unwrap();
        for (token, style) in [
            (r#""name""#, t.json_key),
            (r#""web""#, t.json_string),
            ("-1.5e3", t.json_number),
            ("true", t.json_literal),
            ("false", t.json_literal),
            ("null", t.json_literal),
        ] {
            assert_eq!(
                fgs(&buf, at(token), n(token)),
                vec![fg(style); token.len()],
                "{token}"
            );
        }
        assert!(buf[at(r#""name""#)].modifier.contains(Modifier::BOLD));
        assert_eq!(buf[(x, y)].fg, fg(t.json_punct), "{{");
        assert_eq!(buf[at(":")].fg, fg(t.json_punct));
        assert_eq!(buf[at(",")].fg, fg(t.json_punct));
        assert_eq!(buf[at("}")].fg, fg(t.json_punct));
        // Spaces and what is not JSON stay in the text style.
        assert_eq!(fgs(&buf, at(" \"web"), 1), [fg(t.text)]);
        assert_eq!(fgs(&buf, at("bogus"), 5), [fg(t.text); 5]);

        // Off by default, and off again with None.
        e.set_syntax(None);
        let (buf, _) = draw(100, 5, |f| e.render(f, f.area(), "doc", true));
        assert_eq!(fgs(&buf, at(r#""name""#), 6), [fg(t.text); 6]);
        assert_eq!(Editor::new("").syntax(), None);
    }

    #[test]
    fn json_colours_skip_the_line_numbers() {
        let (mut e, t) = json_editor("[1, 2]");
        e.key(&key(KeyCode::End));
        let (buf, _) = draw(20, 4, |f| e.render(f, f.area(), "doc", true));
        // │, the mark gutter, then " 1 " and the text.
        assert_eq!(rows(&buf)[1], format!("│  1 [1, 2]{}│", " ".repeat(8)));
        assert_eq!(buf[(3, 1)].symbol(), "1");
        assert_eq!(buf[(3, 1)].fg, fg(t.muted), "the line number");
        assert_eq!(fgs(&buf, (5, 1), 6), {
            let (p, n, s) = (fg(t.json_punct), fg(t.json_number), fg(t.text));
            vec![p, n, p, s, n, p]
        });
    }

    #[test]
    fn json_colours_follow_the_horizontal_scroll() {
        let line = format!(r#"{{"k": "{}", "num": 42, "t": true}}"#, "x".repeat(40));
        let (mut e, t) = json_editor(&line);
        e.key(&key(KeyCode::End));
        let (buf, _) = draw(30, 4, |f| e.render(f, f.area(), "doc", true));
        assert!(e.area.scroll_offset().1 > 0, "scrolled");
        assert!(!rows(&buf)[1].contains("{\"k\""), "{}", screen(&buf));
        let n = find(&buf, "42");
        assert_eq!(fgs(&buf, n, 2), [fg(t.json_number); 2]);
        assert_eq!(buf[(n.0 - 1, n.1)].fg, fg(t.text), "the space before");
        assert_eq!(fgs(&buf, find(&buf, r#""num""#), 5), [fg(t.json_key); 5]);
        assert_eq!(fgs(&buf, find(&buf, "true"), 4), [fg(t.json_literal); 4]);
        // The string cut by the left edge is still a string.
        assert_eq!(fgs(&buf, find(&buf, "xx\""), 3), [fg(t.json_string); 3]);
        // The line numbers have scrolled out: no muted cell before the text.
        assert_eq!(buf[(2, 1)].fg, fg(t.json_string), "{}", screen(&buf));
    }

    #[test]
    fn json_colours_count_wide_characters_and_tabs() {
        let (mut e, t) = json_editor("{\"日本\": \"語\", \"n\": 12}\n\t\"k\":\t7");
        e.goto(1, 99);
        let (buf, _) = draw(40, 5, |f| e.render(f, f.area(), "doc", true));
        let (p, s) = (fg(t.json_punct), fg(t.text));
        // 12 after three wide characters.
        let twelve = find(&buf, "12}");
        assert_eq!(fgs(&buf, (twelve.0 - 1, twelve.1), 4), {
            let n = fg(t.json_number);
            vec![s, n, n, p]
        });
        // "日本": the quotes and the wide characters (a terminal draws a wide character in
        // the style of its first cell; the second is not even sent).
        let (x, y) = find(&buf, "{\"");
        assert_eq!(buf[(x + 2, y)].symbol(), "日");
        assert_eq!(buf[(x + 4, y)].symbol(), "本");
        for x in [x + 1, x + 2, x + 4, x + 6] {
            assert_eq!(buf[(x, y)].fg, fg(t.json_key), "{x}");
        }
        assert_eq!(buf[(x + 7, y)].fg, p, "the colon");
        // The tab before "k" takes four cells and the one before 7 runs to column 12.
        let (kx, ky) = find(&buf, "\"k\"");
        assert_eq!(kx, 5 + 4, "{}", screen(&buf));
        assert_eq!(fgs(&buf, (kx, ky), 3), [fg(t.json_key); 3]);
        assert_eq!(buf[(5 + 12, ky)].symbol(), "7");
        assert_eq!(fgs(&buf, (5 + 8, ky), 5), {
            let n = fg(t.json_number);
            vec![s, s, s, s, n]
        });
    }

    #[test]
    fn json_colours_follow_the_textarea_spans_through_a_cluster() {
        // The textarea cuts its spans at the cursor, so a family emoji under the cursor is
        // drawn as pieces, wider than the one cluster it is elsewhere.
        let (mut e, t) = json_editor("[\"👨\u{200d}👩\u{200d}👧\", 12]\n");
        for col in [2, 0] {
            e.goto(0, col);
            let (buf, _) = draw(30, 4, |f| e.render(f, f.area(), "doc", true));
            let n = find(&buf, "12]");
            assert_eq!(
                fgs(&buf, n, 3),
                {
                    let (d, p) = (fg(t.json_number), fg(t.json_punct));
                    vec![d, d, p]
                },
                "cursor at {col}:\n{}",
                screen(&buf)
            );
        }
    }

    #[test]
    fn json_colours_follow_the_vertical_scroll() {
        let text: Vec<String> = (0..30).map(|i| format!(r#"{{"n": {i}}}"#)).collect();
        let (mut e, t) = json_editor(&text.join("\n"));
        e.goto(25, 0);
        let (buf, _) = draw(30, 7, |f| e.render(f, f.area(), "doc", true));
        let r = rows(&buf);
        assert!(r[5].contains(r#"{"n": 25}"#), "{}", screen(&buf));
        for y in 1..=5 {
            let n = 20 + usize::from(y);
            let (x, _) = find(&buf, &format!("{n}}}"));
            assert_eq!(fgs(&buf, (x, y), 2), [fg(t.json_number); 2], "line {n}");
        }
    }

    #[test]
    fn cursor_and_selection_keep_their_styles() {
        let (mut e, t) = json_editor(r#"{"key": 1, "v": "abc"}"#);
        e.goto(0, 2);
        let (buf, _) = draw(40, 4, |f| e.render(f, f.area(), "doc", true));
        let (x, y) = find(&buf, r#""key""#);
        let cursor = &buf[(x + 1, y)];
        assert!(cursor.modifier.contains(Modifier::REVERSED));
        assert_eq!(cursor.fg, fg(t.text), "not recoloured");
        assert_eq!(buf[(x, y)].fg, fg(t.json_key));
        assert_eq!(buf[(x + 2, y)].fg, fg(t.json_key));

        // Select `abc` (the cursor ends on the closing quote).
        e.goto(0, 17);
        for _ in 0..3 {
            e.key(&with(KeyCode::Right, KeyModifiers::SHIFT));
        }
        let (buf, _) = draw(40, 4, |f| e.render(f, f.area(), "doc", true));
        let (x, y) = find(&buf, "abc");
        for x in x..x + 3 {
            assert_eq!(buf[(x, y)].fg, fg(t.selected), "{}", screen(&buf));
            assert_eq!(buf[(x, y)].bg, t.selected.bg.unwrap());
        }
        assert_eq!(buf[(x - 1, y)].fg, fg(t.json_string), "the opening quote");
        assert!(
            buf[(x + 3, y)].modifier.contains(Modifier::REVERSED),
            "cursor"
        );
    }

    #[test]
    fn a_marked_cursor_line_stays_in_danger() {
        let (mut e, t) = json_editor("{\"a\": 1,\n\"b\": 2}");
        e.set_marks(vec![(1, "trailing".into())]);
        e.goto(1, 0);
        let (buf, _) = draw(30, 5, |f| e.render(f, f.area(), "doc", true));
        let (x, y) = find(&buf, "\"b\": 2");
        assert_eq!(fgs(&buf, (x + 1, y), 5), [fg(t.danger); 5]);
        assert_eq!(fgs(&buf, find(&buf, "\"a\""), 3), [fg(t.json_key); 3]);
    }

    #[test]
    fn an_open_string_colours_to_the_end_of_its_line_only() {
        let (mut e, t) = json_editor("\"abc, 1\n2");
        e.goto(1, 1);
        let (buf, _) = draw(20, 4, |f| e.render(f, f.area(), "doc", true));
        assert_eq!(fgs(&buf, find(&buf, "\"abc, 1"), 7), [fg(t.json_string); 7]);
        assert_eq!(buf[(5, 2)].symbol(), "2", "{}", screen(&buf));
        assert_eq!(buf[(5, 2)].fg, fg(t.json_number));
    }

    #[test]
    fn mono_and_no_color_draw_json_without_colours() {
        let (theme, _) = Theme::load(Some("mono"), None, false);
        let mut e = Editor::new(r#"{"a": null}"#);
        e.set_style(&theme);
        e.set_syntax(Some(Syntax::Json));
        e.key(&key(KeyCode::End));
        let (buf, _) = draw(30, 4, |f| e.render(f, f.area(), "doc", true));
        let (x, y) = find(&buf, "\"a\"");
        assert!(buf[(x, y)].modifier.contains(Modifier::BOLD));
        let null = find(&buf, "null");
        assert!(buf[null].modifier.contains(Modifier::UNDERLINED));
        for x in x..null.0 + 4 {
            assert_eq!(buf[(x, y)].fg, Color::Reset);
        }
    }

    #[test]
    fn read_only_refuses_every_edit_but_moves() {
        let mut e = Editor::new("one two\nthree");
        e.set_readonly(true);
        assert!(e.readonly());
        for ev in [
            ch('x'),
            key(KeyCode::Enter),
            key(KeyCode::Tab),
            key(KeyCode::Backspace),
            key(KeyCode::Delete),
            ctrl('h'),
            ctrl('d'),
            ctrl('m'),
            ctrl('k'),
            ctrl('j'),
            ctrl('w'),
            alt('d'),
            alt('h'),
            with(KeyCode::Backspace, KeyModifiers::ALT),
            ctrl('y'),
            ctrl('u'),
            ctrl('z'),
            ctrl('r'),
        ] {
            assert_eq!(e.key(&ev), InputResult::Ignored, "{ev:?}");
        }
        assert_eq!(e.text(), "one two\nthree");
        assert_eq!(e.key(&key(KeyCode::End)), InputResult::Moved);
        assert_eq!(e.key(&alt('b')), InputResult::Moved);
        assert_eq!(e.key(&ctrl('n')), InputResult::Moved);
        assert_eq!(
            e.key(&with(KeyCode::Home, KeyModifiers::SHIFT)),
            InputResult::Moved,
            "select"
        );
        assert!(e.area.selection_range().is_some());
        assert_eq!(e.key(&ctrl('x')), InputResult::Ignored, "no cut");
        assert_eq!(e.key(&key(KeyCode::PageUp)), InputResult::Moved);
        let err = e.paste("pasted").unwrap_err();
        assert!(err.contains("read-only"), "{err}");
        assert_eq!(e.text(), "one two\nthree");

        // Undo and redo are refused too, and come back with editing.
        e.set_readonly(false);
        e.goto(0, 0);
        assert_eq!(e.key(&ch('x')), InputResult::Edited);
        e.set_readonly(true);
        assert!(!e.undo());
        assert_eq!(e.text(), "xone two\nthree");
        e.set_readonly(false);
        assert!(e.undo());
        e.set_readonly(true);
        assert!(!e.redo());
        assert_eq!(e.text(), "one two\nthree");
    }

    #[test]
    fn goto_clamps_and_scrolls_into_view() {
        let mut lines: Vec<String> = (0..50).map(|i| format!("line {i}")).collect();
        lines[1] = "日本語".into();
        let mut e = Editor::new(&lines.join("\n"));
        e.key(&with(KeyCode::Down, KeyModifiers::SHIFT));
        e.goto(1, 2);
        assert_eq!(e.cursor(), (1, 2));
        assert_eq!(e.area.selection_range(), None, "the selection is cancelled");
        e.goto(1, 99);
        assert_eq!(e.cursor(), (1, 3), "characters, not bytes");
        e.goto(999, 999);
        assert_eq!(e.cursor(), (49, 7));
        e.goto(40, 4);
        assert_eq!(e.cursor(), (40, 4));
        let (buf, _) = draw(30, 6, |f| e.render(f, f.area(), "t", false));
        assert!(screen(&buf).contains("line 40"), "{}", screen(&buf));
        assert!(rows(&buf)[5].contains(" 41:5 "), "{}", screen(&buf));
    }

    #[test]
    fn set_text_is_one_undo_step() {
        let mut e = Editor::new("a\nbb\ncc");
        e.goto(2, 1);
        e.key(&ch('x'));
        assert_eq!(e.text(), "a\nbb\ncxc");
        assert!(e.set_text("{\n  \"pretty\": true\n}"));
        assert!(
            !e.set_text("{\n  \"pretty\": true\n}"),
            "the same text: no step"
        );
        assert_eq!(e.text(), "{\n  \"pretty\": true\n}");
        assert_eq!(e.cursor(), (2, 1), "same line, column clamped");
        assert_eq!(e.key(&ctrl('u')), InputResult::Edited);
        assert_eq!(e.text(), "a\nbb\ncxc", "one undo brings the old text back");
        assert_eq!(e.cursor(), (2, 2));
        assert_eq!(e.key(&ctrl('z')), InputResult::Edited);
        assert_eq!(e.text(), "a\nbb\ncc", "then the edit before it");
        assert_eq!(e.key(&ctrl('z')), InputResult::Ignored);
        assert_eq!(e.key(&ctrl('r')), InputResult::Edited);
        assert_eq!(e.text(), "a\nbb\ncxc");
        assert_eq!(e.key(&ctrl('r')), InputResult::Edited);
        assert_eq!(e.text(), "{\n  \"pretty\": true\n}");
        assert_eq!(e.key(&ctrl('r')), InputResult::Ignored);

        // Edits after it are undone first; an edit after undoing it drops the redo.
        e.goto(0, 1);
        e.key(&ch('!'));
        assert!(e.undo() && e.undo());
        assert_eq!(e.text(), "a\nbb\ncxc");
        e.key(&ch('?'));
        assert!(!e.redo());
        assert!(e.undo());
        assert_eq!(e.text(), "a\nbb\ncxc");
    }

    #[test]
    fn set_text_keeps_the_final_newline_styles_and_view() {
        let mut e = Editor::new("a\n");
        e.set_text("b");
        assert_eq!(e.text(), "b\n", "the document's final newline stays");
        e.undo();
        assert_eq!(e.text(), "a\n");
        let mut e = Editor::new("a");
        e.set_text("b\n");
        assert_eq!(e.text(), "b\n");
        e.undo();
        assert_eq!(e.text(), "a");

        let text: Vec<String> = (0..40).map(|i| format!("line {i}")).collect();
        let (mut e, t) = json_editor(&text.join("\n"));
        e.set_line_numbers(false);
        e.goto(30, 0);
        let (before, _) = draw(30, 7, |f| e.render(f, f.area(), "t", false));
        let pretty: Vec<String> = (0..40).map(|i| format!("{i}")).collect();
        e.set_text(&pretty.join("\n"));
        let (after, _) = draw(30, 7, |f| e.render(f, f.area(), "t", false));
        assert_eq!(rows(&before)[1], format!("│ line 26{}│", " ".repeat(20)));
        assert_eq!(
            rows(&after)[1],
            format!("│ 26{}│", " ".repeat(25)),
            "same view"
        );
        assert_eq!(fgs(&after, (2, 1), 2), [fg(t.json_number); 2], "still JSON");
        assert!(
            after[(2, 5)].modifier.contains(Modifier::REVERSED),
            "cursor"
        );
    }

    #[test]
    fn undo_eras_are_bounded() {
        let mut e = Editor::new("0");
        for i in 1..=MAX_REPLACED + 5 {
            e.set_text(&i.to_string());
        }
        let mut undos = 0;
        while e.undo() {
            undos += 1;
        }
        assert_eq!(undos, MAX_REPLACED);
        assert_eq!(e.text(), "5");
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
