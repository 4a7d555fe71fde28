//! [`TextInput`]: a one-line text field with a cursor.
//!
//! Keys (readline-like; the field takes them whatever the state, so a key it owns never
//! reaches the owner, even Backspace at the start):
//!
//! | key | does |
//! | --- | --- |
//! | a printable character (Shift allowed) | inserts it (replacing a selection) |
//! | Left / Right | one grapheme |
//! | Home / End, Ctrl-a / Ctrl-e | start / end |
//! | Ctrl-Left / Ctrl-Right, Alt-b / Alt-f (and Alt-Left / Alt-Right) | a word back / forward |
//! | Backspace (Ctrl-h), Delete | the grapheme before / under the cursor |
//! | Ctrl-w, Alt-Backspace (Ctrl-Backspace) | the word before the cursor |
//! | Alt-d (Ctrl-Delete, Alt-Delete) | the word after the cursor |
//! | Ctrl-u / Ctrl-k | everything before / after the cursor |
//!
//! Everything else (Enter, Esc, Tab, Shift-Tab, Up, Down, PageUp, F-keys, Ctrl-c, other
//! Ctrl and Alt chords) is [`InputResult::Ignored`] and changes nothing, the selection
//! included.
//!
//! A word is a run of alphanumeric characters (Unicode-aware, as [`char::is_alphanumeric`]);
//! everything else separates words, as in readline. The cursor and the motions count
//! graphemes (`unicode-segmentation`), so `é` written as `e` + a combining accent, or a
//! family emoji, is one step; widths on screen come from `unicode-width` (CJK is two cells).
//!
//! **Selection.** [`TextInput::selected`] opens the field with its whole text selected (the
//! cursor at the end): the first typed character or paste replaces it, Backspace/Delete and
//! the word and line deletes clear it, and a motion key just deselects and moves. This is how
//! `/` reopens a pane's current filter.
//!
//! **Paste** ([`TextInput::paste`]): inserted at the cursor as a whole, or refused whole with
//! a message. One trailing newline (`\n`, `\r\n` or `\r`) is stripped, since copying a line
//! from a terminal or an editor usually brings its newline along; any other line break
//! refuses the paste. Tabs become spaces; other control characters are dropped.
//!
//! **Maximum length** ([`TextInput::with_max_len`]) counts characters (Unicode scalar
//! values). A typed character past it is swallowed ([`InputResult::Moved`]), a paste past it
//! is refused.
//!
//! **Masked** ([`TextInput::masked`]): for a password or a secret's value. Each character is
//! drawn as `•` and `Debug` prints `••••`. Its text lives in one buffer that is wiped
//! (`zeroize`) whenever it is replaced, grown, shortened or dropped, so no stale copy of it is
//! left in freed memory by the field; [`TextInput::take_secret`] moves it out, wiped when the
//! taker drops it. (What the terminal handed us, a paste's own string, is not the field's.)

use std::cell::Cell;

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;
use zeroize::{Zeroize, Zeroizing};

use super::{InputResult, is_ctrl_c, is_press, paste_line_count};
use crate::text::is_unsafe;

/// A one-line text field: text, a cursor, an optional selection of everything, an optional
/// maximum length, and the horizontal scroll that keeps the cursor in view.
#[derive(Default)]
pub struct TextInput {
    text: String,
    /// Drawn as `•` (a password): the text is never drawn nor printed by `Debug`.
    masked: bool,
    /// Graphemes before the cursor.
    cursor: usize,
    /// The whole text is selected.
    selected: bool,
    /// At most this many characters.
    max_len: Option<usize>,
    /// The first grapheme drawn (kept between draws so the view does not jump).
    scroll: Cell<usize>,
}

/// What may enter the text: tabs (and, for [`TextInput::with_text`], line breaks) as
/// spaces, no other unsafe character.
fn clean(s: &str, breaks_as_space: bool) -> String {
    s.chars()
        .filter_map(|c| match c {
            '\t' => Some(' '),
            '\n' | '\r' if breaks_as_space => Some(' '),
            c if is_unsafe(c) => None,
            c => Some(c),
        })
        .collect()
}

fn is_word(g: &str) -> bool {
    g.chars().next().is_some_and(char::is_alphanumeric)
}

impl std::fmt::Debug for TextInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = if self.masked {
            "••••".to_string()
        } else {
            self.text.clone()
        };
        f.debug_struct("TextInput")
            .field("text", &text)
            .field("cursor", &self.cursor)
            .field("masked", &self.masked)
            .finish_non_exhaustive()
    }
}

impl Drop for TextInput {
    fn drop(&mut self) {
        if self.masked {
            self.text.zeroize();
        }
    }
}

impl TextInput {
    /// The same field drawn masked (each character as `•`): for a password or a secret.
    /// Its text is wiped from memory whenever it changes place (see the module docs).
    pub fn masked(mut self) -> Self {
        self.masked = true;
        let mut room = String::with_capacity(self.text.len().max(128));
        room.push_str(&self.text);
        self.text.zeroize();
        self.text = room;
        self
    }

    /// Move the text out (the field is left empty): for a masked field's value on its way
    /// to the one call that uses it; wiped when the taker drops it.
    pub fn take_secret(&mut self) -> Zeroizing<String> {
        self.cursor = 0;
        self.selected = false;
        Zeroizing::new(std::mem::take(&mut self.text))
    }

    /// Whether it is drawn masked.
    pub fn is_masked(&self) -> bool {
        self.masked
    }

    /// An empty field.
    pub fn new() -> Self {
        Self::default()
    }

    /// A field holding `text` (line breaks and tabs become spaces, control characters are
    /// dropped), the cursor at its end.
    pub fn with_text(text: impl AsRef<str>) -> Self {
        let mut input = Self::new();
        input.set_text(text);
        input
    }

    /// The same field with its whole text selected (if it has any): the first typed
    /// character replaces it, a motion deselects.
    pub fn selected(mut self) -> Self {
        self.selected = !self.text.is_empty();
        self.cursor = self.grapheme_count();
        self
    }

    /// The same field limited to `max` characters (a longer text is cut).
    pub fn with_max_len(mut self, max: usize) -> Self {
        self.max_len = Some(max);
        if self.text.chars().count() > max {
            let cut: String = self.text.chars().take(max).collect();
            self.set_text(cut);
        }
        self
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The text, taken out.
    pub fn into_text(mut self) -> String {
        std::mem::take(&mut self.text)
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Replace the text (cleaned as in [`TextInput::with_text`], cut to the maximum
    /// length); the cursor goes to the end, the selection is dropped.
    pub fn set_text(&mut self, text: impl AsRef<str>) {
        let mut t = clean(text.as_ref(), true);
        if let Some(max) = self.max_len
            && t.chars().count() > max
        {
            t = t.chars().take(max).collect();
        }
        if self.masked {
            self.text.zeroize();
        }
        self.text = t;
        self.cursor = self.grapheme_count();
        self.selected = false;
    }

    /// Empty the field.
    pub fn clear(&mut self) {
        self.set_text("");
    }

    /// The cursor, in graphemes from the start.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// Whether the whole text is selected.
    pub fn is_selected(&self) -> bool {
        self.selected
    }

    /// The maximum length in characters, if any.
    pub fn max_len(&self) -> Option<usize> {
        self.max_len
    }

    fn graphemes(&self) -> Vec<&str> {
        self.text.graphemes(true).collect()
    }

    fn grapheme_count(&self) -> usize {
        self.text.graphemes(true).count()
    }

    /// The byte offset of grapheme `g` (the end for `g` past the last).
    fn byte_of(&self, g: usize) -> usize {
        self.text
            .grapheme_indices(true)
            .nth(g)
            .map_or(self.text.len(), |(i, _)| i)
    }

    fn word_left(&self) -> usize {
        let gs = self.graphemes();
        let mut i = self.cursor.min(gs.len());
        while i > 0 && !is_word(gs[i - 1]) {
            i -= 1;
        }
        while i > 0 && is_word(gs[i - 1]) {
            i -= 1;
        }
        i
    }

    fn word_right(&self) -> usize {
        let gs = self.graphemes();
        let mut i = self.cursor.min(gs.len());
        while i < gs.len() && !is_word(gs[i]) {
            i += 1;
        }
        while i < gs.len() && is_word(gs[i]) {
            i += 1;
        }
        i
    }

    fn move_to(&mut self, to: usize) -> InputResult {
        self.selected = false;
        self.cursor = to.min(self.grapheme_count());
        InputResult::Moved
    }

    /// Delete graphemes `from..to`; with a selection, delete everything instead.
    fn delete(&mut self, from: usize, to: usize) -> InputResult {
        if self.selected {
            self.selected = false;
            self.wipe_text();
            self.cursor = 0;
            return InputResult::Edited;
        }
        if from >= to {
            return InputResult::Moved;
        }
        let (a, b) = (self.byte_of(from), self.byte_of(to));
        if self.masked {
            // into a fresh buffer: removing in place would leave the old tail's bytes behind
            let mut kept = String::with_capacity(self.text.capacity());
            kept.push_str(&self.text[..a]);
            kept.push_str(&self.text[b..]);
            self.text.zeroize();
            self.text = kept;
        } else {
            self.text.replace_range(a..b, "");
        }
        self.cursor = self.text[..a].graphemes(true).count();
        InputResult::Edited
    }

    /// Insert already-clean text at the cursor (replacing a selection). The caller checked
    /// the maximum length.
    fn insert(&mut self, s: &str) {
        if self.selected {
            self.selected = false;
            self.wipe_text();
            self.cursor = 0;
        }
        if self.masked && self.text.capacity() < self.text.len() + s.len() {
            // grow by hand: a reallocation would free the old buffer unwiped
            let mut room = String::with_capacity((self.text.len() + s.len()).max(64) * 2);
            room.push_str(&self.text);
            self.text.zeroize();
            self.text = room;
        }
        let at = self.byte_of(self.cursor);
        self.text.insert_str(at, s);
        // Counted again: a combining mark joins the grapheme before it.
        self.cursor = self.text[..at + s.len()].graphemes(true).count();
    }

    /// Empty the text (wiped first when masked).
    fn wipe_text(&mut self) {
        if self.masked {
            self.text.zeroize();
        } else {
            self.text.clear();
        }
    }

    /// Characters there would be with `adding` more (a selection is replaced).
    fn len_after(&self, adding: usize) -> usize {
        if self.selected {
            adding
        } else {
            self.text.chars().count() + adding
        }
    }

    fn type_char(&mut self, c: char) -> InputResult {
        if is_unsafe(c) {
            return InputResult::Ignored;
        }
        if let Some(max) = self.max_len
            && self.len_after(1) > max
        {
            return InputResult::Moved;
        }
        self.insert(c.encode_utf8(&mut [0; 4]));
        InputResult::Edited
    }

    /// Handle a key; see the module docs for the keys.
    pub fn key(&mut self, ev: &KeyEvent) -> InputResult {
        if !is_press(ev) || is_ctrl_c(ev) {
            return InputResult::Ignored;
        }
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        let alt = ev.modifiers.contains(KeyModifiers::ALT);
        let plain = !ctrl && !alt;
        let (cur, len) = (self.cursor, self.grapheme_count());
        match ev.code {
            KeyCode::Char(c) if plain => self.type_char(c),
            KeyCode::Left if plain => self.move_to(cur.saturating_sub(1)),
            KeyCode::Right if plain => self.move_to(cur + 1),
            KeyCode::Left => self.move_to(self.word_left()),
            KeyCode::Right => self.move_to(self.word_right()),
            KeyCode::Home => self.move_to(0),
            KeyCode::End => self.move_to(len),
            KeyCode::Char('a') if ctrl && !alt => self.move_to(0),
            KeyCode::Char('e') if ctrl && !alt => self.move_to(len),
            KeyCode::Char('b') if alt && !ctrl => self.move_to(self.word_left()),
            KeyCode::Char('f') if alt && !ctrl => self.move_to(self.word_right()),
            KeyCode::Backspace if plain => self.delete(cur.saturating_sub(1), cur),
            KeyCode::Char('h') if ctrl && !alt => self.delete(cur.saturating_sub(1), cur),
            KeyCode::Backspace => self.delete(self.word_left(), cur),
            KeyCode::Char('w') if ctrl && !alt => self.delete(self.word_left(), cur),
            KeyCode::Delete if plain => self.delete(cur, (cur + 1).min(len)),
            KeyCode::Delete => self.delete(cur, self.word_right()),
            KeyCode::Char('d') if alt && !ctrl => self.delete(cur, self.word_right()),
            KeyCode::Char('u') if ctrl && !alt => self.delete(0, cur),
            KeyCode::Char('k') if ctrl && !alt => self.delete(cur, len),
            _ => InputResult::Ignored,
        }
    }

    /// Insert a paste at the cursor (replacing a selection), or refuse it whole with a
    /// message for the user: a paste of several lines, or one that would pass the maximum
    /// length. One trailing newline is stripped; tabs become spaces; other control
    /// characters are dropped.
    pub fn paste(&mut self, text: &str) -> Result<(), String> {
        let t = text
            .strip_suffix("\r\n")
            .or_else(|| text.strip_suffix('\n'))
            .or_else(|| text.strip_suffix('\r'))
            .unwrap_or(text);
        if t.contains(['\n', '\r']) {
            return Err(format!(
                "a paste of {} lines cannot go into a one-line field; nothing was pasted",
                paste_line_count(t)
            ));
        }
        let t = Zeroizing::new(clean(t, false));
        if t.is_empty() {
            return Ok(());
        }
        let n = t.chars().count();
        if let Some(max) = self.max_len
            && self.len_after(n) > max
        {
            let free = max.saturating_sub(self.len_after(0));
            return Err(format!(
                "the paste is {n} characters and the field takes at most {max} ({free} more); nothing was pasted"
            ));
        }
        self.insert(&t);
        Ok(())
    }

    /// Lay the text out in `width` columns: the first grapheme drawn (remembered for the
    /// next draw) and the cursor's column. The view moves only as far as it must to show
    /// the cursor, and when the text shrinks it uses free space on the right to show more.
    fn layout(&self, gs: &[&str], width: usize) -> (usize, usize) {
        let n = gs.len();
        let cur = self.cursor.min(n);
        let w = |i: usize| gs[i].width();
        let cur_w = if cur < n { w(cur).max(1) } else { 1 };
        let mut start = self.scroll.get().min(cur);
        let mut before: usize = (start..cur).map(w).sum();
        while start < cur && before + cur_w > width {
            before -= w(start);
            start += 1;
        }
        // The cell after the text always counts, so the view does not shift by one when the
        // cursor leaves the end.
        let mut tail: usize = (start..n).map(w).sum::<usize>() + 1;
        while start > 0 && tail + w(start - 1) <= width {
            start -= 1;
            tail += w(start);
            before += w(start);
        }
        self.scroll.set(start);
        (start, before)
    }

    /// The column of the cursor in [`TextInput::line`] drawn `width` wide, if it is on it.
    pub fn cursor_column(&self, width: u16) -> Option<u16> {
        let gs = self.graphemes();
        let (_, col) = self.layout(&gs, width.into());
        (col < usize::from(width)).then(|| u16::try_from(col).unwrap_or(u16::MAX))
    }

    /// The part of the text that shows in `width` columns, for drawing inside another widget
    /// (a footer prompt). When `focused`, the cursor is a cell in `cursor_style` and a
    /// selection is drawn reversed; unfocused, it is the plain text.
    pub fn line(&self, width: u16, style: Style, cursor_style: Style, focused: bool) -> Line<'_> {
        let width = usize::from(width);
        if width == 0 {
            return Line::default();
        }
        let gs = if self.masked {
            vec!["•"; self.grapheme_count()]
        } else {
            self.graphemes()
        };
        let n = gs.len();
        let cur = self.cursor.min(n);
        let (start, _) = self.layout(&gs, width);
        let text_style = if focused && self.selected {
            style.add_modifier(Modifier::REVERSED)
        } else {
            style
        };
        let (mut before, mut after) = (String::new(), String::new());
        let mut cursor: Option<String> = None;
        let mut used = 0;
        for (i, g) in gs.iter().enumerate().skip(start) {
            let gw = g.width();
            if focused && i == cur {
                let cell = gw.max(1);
                if used + cell > width {
                    // Wider than the room left (a CJK char in one column): a blank cursor.
                    cursor = Some(" ".into());
                    used += 1;
                    break;
                }
                cursor = Some(if gw == 0 { " ".into() } else { (*g).into() });
                used += cell;
                continue;
            }
            if used + gw > width {
                break;
            }
            used += gw;
            if focused && i > cur {
                after.push_str(g);
            } else {
                before.push_str(g);
            }
        }
        if focused && cur == n && used < width {
            cursor = Some(" ".into());
        }
        let mut spans = vec![Span::styled(before, text_style)];
        if let Some(c) = cursor {
            spans.push(Span::styled(c, cursor_style));
        }
        if !after.is_empty() {
            spans.push(Span::styled(after, text_style));
        }
        Line::from(spans)
    }

    /// Draw the field on the first row of `area`. When `focused` the cursor is a cell in
    /// `cursor_style` (say, the text style reversed) and the terminal cursor is put there.
    pub fn render(
        &self,
        frame: &mut Frame,
        area: Rect,
        style: Style,
        cursor_style: Style,
        focused: bool,
    ) {
        if area.width == 0 || area.height == 0 {
            return;
        }
        let row = Rect { height: 1, ..area };
        let line = self.line(row.width, style, cursor_style, focused);
        frame.render_widget(Paragraph::new(line).style(style), row);
        if focused && let Some(x) = self.cursor_column(row.width) {
            frame.set_cursor_position(Position::new(row.x + x, row.y));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::widget::testing::{alt, ch, ctrl, draw, key, rows, with};
    use ratatui::crossterm::event::{KeyEventKind, KeyEventState};

    fn typed(s: &str) -> TextInput {
        let mut t = TextInput::new();
        for c in s.chars() {
            assert_eq!(t.key(&ch(c)), InputResult::Edited);
        }
        t
    }

    fn at(text: &str, cursor: usize) -> TextInput {
        let mut t = TextInput::with_text(text);
        t.cursor = cursor;
        t
    }

    #[test]
    fn typing_inserts_at_the_cursor() {
        let mut t = typed("held");
        assert_eq!(t.cursor(), 4);
        assert_eq!(t.key(&key(KeyCode::Left)), InputResult::Moved);
        assert_eq!(t.key(&key(KeyCode::Left)), InputResult::Moved);
        assert_eq!(t.key(&ch('l')), InputResult::Edited);
        assert_eq!(t.text(), "helld");
        assert_eq!(
            t.key(&with(KeyCode::Char('O'), KeyModifiers::SHIFT)),
            InputResult::Edited
        );
        assert_eq!(t.text(), "helOld");
        assert_eq!(t.cursor(), 4);
    }

    #[test]
    fn owner_keys_are_ignored_and_change_nothing() {
        let mut t = TextInput::with_text("web").selected();
        for ev in [
            key(KeyCode::Enter),
            key(KeyCode::Esc),
            key(KeyCode::Tab),
            key(KeyCode::BackTab),
            key(KeyCode::Up),
            key(KeyCode::Down),
            key(KeyCode::PageDown),
            key(KeyCode::F(1)),
            ctrl('c'),
            with(
                KeyCode::Char('c'),
                KeyModifiers::CONTROL | KeyModifiers::SHIFT,
            ),
            ctrl('s'),
            alt('x'),
        ] {
            assert_eq!(t.key(&ev), InputResult::Ignored, "{ev:?}");
        }
        assert_eq!(t.text(), "web");
        assert!(t.is_selected(), "an ignored key keeps the selection");
    }

    #[test]
    fn key_releases_are_ignored() {
        let mut t = TextInput::new();
        let release = KeyEvent {
            code: KeyCode::Char('x'),
            modifiers: KeyModifiers::NONE,
            kind: KeyEventKind::Release,
            state: KeyEventState::NONE,
        };
        assert_eq!(t.key(&release), InputResult::Ignored);
        assert_eq!(t.text(), "");
    }

    #[test]
    fn selected_text_is_replaced_by_the_first_character() {
        let mut t = TextInput::with_text("web").selected();
        assert!(t.is_selected());
        assert_eq!(t.key(&ch('d')), InputResult::Edited);
        assert_eq!(t.text(), "d");
        assert!(!t.is_selected());
        assert_eq!(t.key(&ch('b')), InputResult::Edited);
        assert_eq!(t.text(), "db", "only the first character replaces");
    }

    #[test]
    fn motions_deselect_and_move() {
        let mut t = TextInput::with_text("web").selected();
        assert_eq!(t.key(&key(KeyCode::Left)), InputResult::Moved);
        assert!(!t.is_selected());
        assert_eq!((t.text(), t.cursor()), ("web", 2));
        t.key(&ch('X'));
        assert_eq!(t.text(), "weXb");

        let mut t = TextInput::with_text("web").selected();
        assert_eq!(t.key(&key(KeyCode::Home)), InputResult::Moved);
        t.key(&ch('>'));
        assert_eq!(t.text(), ">web");

        let mut t = TextInput::with_text("web").selected();
        assert_eq!(t.key(&key(KeyCode::End)), InputResult::Moved);
        t.key(&ch('s'));
        assert_eq!(t.text(), "webs");
    }

    #[test]
    fn deleting_a_selection_clears_it() {
        for ev in [
            key(KeyCode::Backspace),
            key(KeyCode::Delete),
            ctrl('w'),
            ctrl('k'),
        ] {
            let mut t = TextInput::with_text("web").selected();
            assert_eq!(t.key(&ev), InputResult::Edited, "{ev:?}");
            assert_eq!(t.text(), "");
        }
    }

    #[test]
    fn selecting_an_empty_text_selects_nothing() {
        let mut t = TextInput::new().selected();
        assert!(!t.is_selected());
        t.key(&ch('a'));
        assert_eq!(t.text(), "a");
    }

    #[test]
    fn home_end_and_emacs_equivalents() {
        let mut t = typed("abc");
        assert_eq!(t.key(&key(KeyCode::Home)), InputResult::Moved);
        assert_eq!(t.cursor(), 0);
        assert_eq!(t.key(&key(KeyCode::End)), InputResult::Moved);
        assert_eq!(t.cursor(), 3);
        assert_eq!(t.key(&ctrl('a')), InputResult::Moved);
        assert_eq!(t.cursor(), 0);
        assert_eq!(t.key(&ctrl('e')), InputResult::Moved);
        assert_eq!(t.cursor(), 3);
        // At the ends the keys are still the field's.
        assert_eq!(t.key(&key(KeyCode::Right)), InputResult::Moved);
        assert_eq!(t.cursor(), 3);
    }

    #[test]
    fn word_motions_stop_at_alphanumeric_runs() {
        let text = "foo bar-baz  qux";
        for back in [with(KeyCode::Left, KeyModifiers::CONTROL), alt('b')] {
            let mut t = TextInput::with_text(text);
            let mut stops = vec![];
            for _ in 0..5 {
                assert_eq!(t.key(&back), InputResult::Moved);
                stops.push(t.cursor());
            }
            assert_eq!(stops, [13, 8, 4, 0, 0], "{back:?}");
        }
        for fwd in [with(KeyCode::Right, KeyModifiers::CONTROL), alt('f')] {
            let mut t = at(text, 0);
            let mut stops = vec![];
            for _ in 0..5 {
                assert_eq!(t.key(&fwd), InputResult::Moved);
                stops.push(t.cursor());
            }
            assert_eq!(stops, [3, 7, 11, 16, 16], "{fwd:?}");
        }
        let mut t = TextInput::with_text(text);
        assert_eq!(
            t.key(&with(KeyCode::Left, KeyModifiers::ALT)),
            InputResult::Moved
        );
        assert_eq!(t.cursor(), 13);
    }

    #[test]
    fn word_deletes() {
        let mut t = TextInput::with_text("foo bar-baz");
        assert_eq!(t.key(&ctrl('w')), InputResult::Edited);
        assert_eq!(t.text(), "foo bar-");
        assert_eq!(
            t.key(&with(KeyCode::Backspace, KeyModifiers::ALT)),
            InputResult::Edited
        );
        assert_eq!(t.text(), "foo ");
        assert_eq!(t.key(&ctrl('w')), InputResult::Edited);
        assert_eq!(t.text(), "");
        assert_eq!(
            t.key(&ctrl('w')),
            InputResult::Moved,
            "nothing left to delete"
        );

        let mut t = at("foo bar-baz", 0);
        assert_eq!(t.key(&alt('d')), InputResult::Edited);
        assert_eq!((t.text(), t.cursor()), (" bar-baz", 0));
        assert_eq!(t.key(&alt('d')), InputResult::Edited);
        assert_eq!(t.text(), "-baz");
        let mut t = at("a.b c", 1);
        assert_eq!(
            t.key(&with(KeyCode::Delete, KeyModifiers::CONTROL)),
            InputResult::Edited
        );
        assert_eq!(t.text(), "a c");
    }

    #[test]
    fn line_deletes() {
        let mut t = at("hello world", 5);
        assert_eq!(t.key(&ctrl('k')), InputResult::Edited);
        assert_eq!((t.text(), t.cursor()), ("hello", 5));
        let mut t = at("hello world", 5);
        assert_eq!(t.key(&ctrl('u')), InputResult::Edited);
        assert_eq!((t.text(), t.cursor()), (" world", 0));
        assert_eq!(t.key(&ctrl('u')), InputResult::Moved);
    }

    #[test]
    fn backspace_and_delete() {
        let mut t = at("abc", 1);
        assert_eq!(t.key(&key(KeyCode::Backspace)), InputResult::Edited);
        assert_eq!((t.text(), t.cursor()), ("bc", 0));
        assert_eq!(
            t.key(&key(KeyCode::Backspace)),
            InputResult::Moved,
            "at the start"
        );
        assert_eq!(t.key(&key(KeyCode::Delete)), InputResult::Edited);
        assert_eq!(t.text(), "c");
        assert_eq!(t.key(&key(KeyCode::End)), InputResult::Moved);
        assert_eq!(
            t.key(&key(KeyCode::Delete)),
            InputResult::Moved,
            "at the end"
        );
        assert_eq!(t.key(&ctrl('h')), InputResult::Edited);
        assert_eq!(t.text(), "");
    }

    #[test]
    fn a_masked_field_never_draws_or_prints_its_text() {
        let mut t = TextInput::with_text("s3cret+/pw").masked();
        assert!(t.is_masked());
        let line = t.line(20, Style::default(), Style::default(), true);
        let drawn: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
        assert!(!drawn.contains("s3cret"), "{drawn:?}");
        assert!(drawn.starts_with("••••••••••"), "{drawn:?}");
        assert!(!format!("{t:?}").contains("s3cret"));
        t.set_text("x");
        assert_eq!(t.text(), "x", "the owner still reads it");
    }

    #[test]
    fn a_masked_field_edits_like_any_other_and_gives_its_text_away() {
        let mut t = TextInput::new().masked();
        let long = "p4ss-".repeat(60);
        for c in long.chars() {
            assert_eq!(t.key(&ch(c)), InputResult::Edited);
        }
        assert_eq!(t.text(), long, "grown past its first buffer");
        t.key(&key(KeyCode::Home));
        t.key(&key(KeyCode::Delete));
        t.key(&alt('d'));
        assert_eq!(t.text(), &long[4..], "a letter, then the rest of the word");
        t.key(&key(KeyCode::End));
        t.key(&ctrl('w'));
        assert_eq!(t.text(), &long[4..long.len() - 5]);
        t.paste("+/=").unwrap();
        assert!(t.text().ends_with("p4ss-+/="), "{}", t.text().len());
        let taken = t.take_secret();
        assert!(taken.ends_with("+/="));
        assert!(t.is_empty());
        assert_eq!(t.cursor(), 0);
        // a selection is replaced as in any field
        let mut t = TextInput::with_text("old").masked().selected();
        t.key(&ch('n'));
        assert_eq!(t.text(), "n");
    }

    #[test]
    fn graphemes_are_one_step() {
        // "e" + combining acute, a family emoji (ZWJ sequence), CJK.
        let mut t = TextInput::with_text("ae\u{301}👨\u{200d}👩\u{200d}👧日");
        assert_eq!(t.cursor(), 4);
        t.key(&key(KeyCode::Left));
        t.key(&key(KeyCode::Backspace));
        assert_eq!(t.text(), "ae\u{301}日");
        t.key(&key(KeyCode::Backspace));
        assert_eq!(t.text(), "a日");
        // A combining mark typed after a letter joins it.
        let mut t = typed("e");
        t.key(&ch('\u{301}'));
        assert_eq!(t.cursor(), 1);
        // CJK are word characters.
        let mut t = TextInput::with_text("日本 語");
        t.key(&ctrl('w'));
        assert_eq!(t.text(), "日本 ");
    }

    #[test]
    fn control_characters_never_enter() {
        let mut t = TextInput::new();
        assert_eq!(t.key(&ch('\u{1b}')), InputResult::Ignored);
        assert_eq!(t.key(&ch('\u{202e}')), InputResult::Ignored);
        t.paste("a\tb\u{1b}[2Jc\u{7}").unwrap();
        assert_eq!(t.text(), "a b[2Jc");
        let t = TextInput::with_text("x\ny\tz\u{0}");
        assert_eq!(t.text(), "x y z");
    }

    #[test]
    fn paste_inserts_at_the_cursor() {
        let mut t = at("node", 2);
        t.paste("-01-").unwrap();
        assert_eq!((t.text(), t.cursor()), ("no-01-de", 6));
    }

    #[test]
    fn paste_replaces_a_selection() {
        let mut t = TextInput::with_text("old filter").selected();
        t.paste("new").unwrap();
        assert_eq!((t.text(), t.is_selected()), ("new", false));
    }

    #[test]
    fn paste_strips_one_trailing_newline() {
        for p in ["web-01\n", "web-01\r\n", "web-01\r"] {
            let mut t = TextInput::new();
            t.paste(p).unwrap();
            assert_eq!(t.text(), "web-01");
        }
    }

    #[test]
    fn multi_line_paste_is_refused_whole() {
        let mut t = TextInput::with_text("keep").selected();
        let e = t.paste("one\ntwo\r\nthree\n").unwrap_err();
        assert_eq!(
            e,
            "a paste of 3 lines cannot go into a one-line field; nothing was pasted"
        );
        assert_eq!(t.text(), "keep");
        assert!(t.is_selected());
        assert!(t.paste("a\n\n").unwrap_err().contains("2 lines"));
        assert!(t.paste("a\rb").unwrap_err().contains("2 lines"));
    }

    #[test]
    fn max_length_is_kept() {
        let mut t = TextInput::with_text("abcdef").with_max_len(4);
        assert_eq!(t.text(), "abcd");
        assert_eq!(
            t.key(&ch('e')),
            InputResult::Moved,
            "swallowed, not passed on"
        );
        assert_eq!(t.text(), "abcd");
        let e = t.paste("x").unwrap_err();
        assert!(
            e.contains("at most 4") && e.contains("nothing was pasted"),
            "{e}"
        );
        t.key(&key(KeyCode::Backspace));
        t.key(&key(KeyCode::Backspace));
        assert!(t.paste("xyz").is_err(), "not half-applied");
        assert_eq!(t.text(), "ab");
        t.paste("xy").unwrap();
        assert_eq!(t.text(), "abxy");
        // A selection is replaced, so its length does not count.
        let mut t = TextInput::with_text("abcd").with_max_len(4).selected();
        t.paste("wxyz").unwrap();
        assert_eq!(t.text(), "wxyz");
        assert_eq!(t.max_len(), Some(4));
    }

    fn cell_style(buf: &ratatui::buffer::Buffer, x: u16) -> Style {
        buf[(x, 0)].style()
    }

    #[test]
    fn render_shows_cursor_and_sets_position() {
        let t = at("abc", 1);
        let cur = Style::default().add_modifier(Modifier::REVERSED);
        let (buf, pos) = draw(6, 1, |f| t.render(f, f.area(), Style::default(), cur, true));
        assert_eq!(rows(&buf), ["abc   "]);
        assert!(
            cell_style(&buf, 1)
                .add_modifier
                .contains(Modifier::REVERSED)
        );
        assert!(
            !cell_style(&buf, 0)
                .add_modifier
                .contains(Modifier::REVERSED)
        );
        assert_eq!(pos, Some((1, 0)));
        // Unfocused: no cursor cell, no terminal cursor.
        let (buf, pos) = draw(6, 1, |f| {
            t.render(f, f.area(), Style::default(), cur, false)
        });
        assert!(
            !cell_style(&buf, 1)
                .add_modifier
                .contains(Modifier::REVERSED)
        );
        assert_eq!(pos, None);
    }

    #[test]
    fn render_shows_selection_reversed() {
        let t = TextInput::with_text("ab").selected();
        let cur = Style::default().add_modifier(Modifier::UNDERLINED);
        let (buf, _) = draw(4, 1, |f| t.render(f, f.area(), Style::default(), cur, true));
        assert!(
            cell_style(&buf, 0)
                .add_modifier
                .contains(Modifier::REVERSED)
        );
        assert!(
            cell_style(&buf, 1)
                .add_modifier
                .contains(Modifier::REVERSED)
        );
        assert!(
            cell_style(&buf, 2)
                .add_modifier
                .contains(Modifier::UNDERLINED)
        );
    }

    #[test]
    fn view_scrolls_to_keep_the_cursor_visible() {
        let mut t = TextInput::with_text("abcdefghij");
        let s = Style::default();
        let text = |t: &TextInput| t.line(5, s, s, true).to_string();
        assert_eq!(
            text(&t),
            "ghij ",
            "end: the last letters and the cursor cell"
        );
        assert_eq!(t.cursor_column(5), Some(4));
        t.key(&key(KeyCode::Left));
        t.key(&key(KeyCode::Left));
        assert_eq!(
            text(&t),
            "ghij",
            "the view does not move while the cursor is in it"
        );
        assert_eq!(t.cursor_column(5), Some(2));
        t.key(&key(KeyCode::Home));
        assert_eq!(text(&t), "abcde");
        assert_eq!(t.cursor_column(5), Some(0));
        t.key(&key(KeyCode::End));
        t.key(&ctrl('w'));
        assert_eq!(t.text(), "");
        assert_eq!(text(&t), " ");
    }

    #[test]
    fn deleting_at_the_end_pulls_the_view_back() {
        let mut t = TextInput::with_text("abcdefghij");
        let s = Style::default();
        assert_eq!(t.line(5, s, s, false).to_string(), "ghij");
        for _ in 0..3 {
            t.key(&key(KeyCode::Backspace));
        }
        assert_eq!(t.line(5, s, s, false).to_string(), "defg");
    }

    #[test]
    fn wide_characters_scroll_and_never_overflow() {
        let mut t = TextInput::with_text("日本語テキスト");
        let s = Style::default();
        for w in 0..10u16 {
            for _ in 0..8 {
                let line = t.line(w, s, s, true);
                assert!(line.width() <= usize::from(w), "width {w}: {line:?}");
                if let Some(c) = t.cursor_column(w) {
                    assert!(c < w);
                }
                t.key(&key(KeyCode::Left));
            }
            t.key(&key(KeyCode::End));
        }
        // One column: a blank cursor where the wide char does not fit.
        t.key(&key(KeyCode::Home));
        assert_eq!(t.line(1, s, s, true).to_string(), " ");
        assert_eq!(t.line(2, s, s, true).to_string(), "日");
    }

    #[test]
    fn tiny_areas_do_not_panic() {
        let s = Style::default();
        for text in [
            "",
            "a",
            "hello world",
            "日本語",
            "👨\u{200d}👩\u{200d}👧 ok",
        ] {
            for sel in [false, true] {
                let mut t = TextInput::with_text(text);
                if sel {
                    t = t.selected();
                }
                for (w, h) in [(1, 1), (3, 1), (10, 2), (2, 1)] {
                    for focused in [true, false] {
                        let (buf, _) = draw(w, h, |f| t.render(f, f.area(), s, s, focused));
                        assert_eq!(buf.area.width, w);
                    }
                }
                let _ = draw(4, 1, |f| t.render(f, Rect::new(0, 0, 0, 1), s, s, true));
                let _ = draw(4, 1, |f| t.render(f, Rect::new(0, 0, 4, 0), s, s, true));
                assert_eq!(t.line(0, s, s, true).width(), 0);
            }
        }
    }
}
