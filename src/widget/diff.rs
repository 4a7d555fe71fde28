//! [`DiffView`]: a scrollable line diff of two texts, for "what your edit changes" screens.
//!
//! The texts are compared line by line (`similar`, Myers, with a time limit so a huge input
//! cannot hang the UI; past it the diff is coarser but still correct). Lines are split as by
//! [`str::lines`], so `\r\n` and `\n` compare alike and a missing final newline is not a
//! change. Removed lines are drawn `-` in the danger style, added ones `+` in the ok style,
//! unchanged ones plain; with [`DiffView::with_context`] runs of unchanged lines further
//! than N lines from a change fold into one `⋯ K unchanged lines` row. A header row counts
//! the added and removed lines and shows where the view is.
//!
//! Keys: j / Down, k / Up one row; PageDown / PageUp (and Space) a page; Home / g, End / G
//! the ends — all [`InputResult::Moved`], even at an end. The view stops at the end: the
//! last row is never scrolled above the bottom of the area. Other keys are `Ignored`.

use std::cell::Cell;
use std::time::Duration;

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use similar::{ChangeTag, TextDiffConfig};

use super::{InputResult, display_line, is_press};
use crate::theme::Theme;

/// How long the diff may take before it settles for a coarser answer.
const DIFF_TIME: Duration = Duration::from_millis(500);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    Same,
    Removed,
    Added,
}

/// One line of the full diff: its tag, its numbers in the old and new text (from 1), its text.
#[derive(Debug)]
struct DiffLine {
    tag: Tag,
    old: Option<usize>,
    new: Option<usize>,
    text: String,
}

/// A row on screen: a line of the diff, or a fold of unchanged lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Row {
    Line(usize),
    Fold(usize),
}

/// A scrollable diff of two texts.
#[derive(Debug)]
pub struct DiffView {
    lines: Vec<DiffLine>,
    rows: Vec<Row>,
    context: Option<usize>,
    added: usize,
    removed: usize,
    /// The first row shown.
    scroll: usize,
    /// Body rows in the last draw (0 before the first).
    height: Cell<usize>,
    /// Width of the line numbers.
    num_w: usize,
}

impl DiffView {
    /// The diff of `old` to `new`, every unchanged line shown.
    pub fn new(old: &str, new: &str) -> Self {
        let old_lines: Vec<&str> = old.lines().collect();
        let new_lines: Vec<&str> = new.lines().collect();
        let diff = TextDiffConfig::default()
            .timeout(DIFF_TIME)
            .diff_slices(&old_lines, &new_lines);
        let mut lines = Vec::new();
        let (mut added, mut removed) = (0, 0);
        for op in diff.ops() {
            for change in diff.iter_changes(op) {
                let (o, n) = (change.old_index(), change.new_index());
                let (tag, text) = match change.tag() {
                    ChangeTag::Equal => (Tag::Same, o.and_then(|i| old_lines.get(i))),
                    ChangeTag::Delete => {
                        removed += 1;
                        (Tag::Removed, o.and_then(|i| old_lines.get(i)))
                    }
                    ChangeTag::Insert => {
                        added += 1;
                        (Tag::Added, n.and_then(|i| new_lines.get(i)))
                    }
                };
                lines.push(DiffLine {
                    tag,
                    old: o.filter(|_| tag != Tag::Added).map(|i| i + 1),
                    new: n.filter(|_| tag != Tag::Removed).map(|i| i + 1),
                    text: display_line(text.copied().unwrap_or(""), 4),
                });
            }
        }
        let num_w = old_lines
            .len()
            .max(new_lines.len())
            .max(1)
            .to_string()
            .len();
        let mut view = DiffView {
            lines,
            rows: Vec::new(),
            context: None,
            added,
            removed,
            scroll: 0,
            height: Cell::new(0),
            num_w,
        };
        view.set_context(None);
        view
    }

    /// The same view showing only `n` unchanged lines around each change.
    pub fn with_context(mut self, n: usize) -> Self {
        self.set_context(Some(n));
        self
    }

    /// Show `Some(n)` unchanged lines around each change (folding the rest), or all (`None`).
    pub fn set_context(&mut self, context: Option<usize>) {
        self.context = context;
        self.rows = match context {
            None => (0..self.lines.len()).map(Row::Line).collect(),
            Some(n) => self.folded(n),
        };
        self.scroll = self.scroll.min(self.max_scroll());
    }

    /// The context around changes (`None`: everything is shown).
    pub fn context(&self) -> Option<usize> {
        self.context
    }

    fn folded(&self, n: usize) -> Vec<Row> {
        let len = self.lines.len();
        let mut keep = vec![false; len];
        for (i, l) in self.lines.iter().enumerate() {
            if l.tag != Tag::Same {
                keep[i.saturating_sub(n)..(i + n + 1).min(len)].fill(true);
            }
        }
        let mut rows = Vec::new();
        let mut i = 0;
        while i < len {
            if keep[i] {
                rows.push(Row::Line(i));
                i += 1;
                continue;
            }
            let start = i;
            while i < len && !keep[i] {
                i += 1;
            }
            // A fold of one line takes as much room as the line: show the line.
            if i - start == 1 {
                rows.push(Row::Line(start));
            } else {
                rows.push(Row::Fold(i - start));
            }
        }
        rows
    }

    /// Lines added.
    pub fn added(&self) -> usize {
        self.added
    }

    /// Lines removed.
    pub fn removed(&self) -> usize {
        self.removed
    }

    /// Whether the texts differ (line by line).
    pub fn has_changes(&self) -> bool {
        self.added + self.removed > 0
    }

    /// Rows in the view (lines and folds).
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are no rows (both texts empty).
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The first row shown.
    pub fn scroll(&self) -> usize {
        self.scroll
    }

    /// The furthest the view scrolls: the last row at the bottom of the last drawn area
    /// (before the first draw, the last row at the top).
    fn max_scroll(&self) -> usize {
        self.rows.len().saturating_sub(self.height.get().max(1))
    }

    /// Handle a key; see the module docs.
    pub fn key(&mut self, ev: &KeyEvent) -> InputResult {
        if !is_press(ev) || !ev.modifiers.difference(KeyModifiers::SHIFT).is_empty() {
            return InputResult::Ignored;
        }
        let max = self.max_scroll();
        let page = self.height.get().saturating_sub(1).max(1);
        let cur = self.scroll.min(max);
        self.scroll = match ev.code {
            KeyCode::Char('j') | KeyCode::Down => cur + 1,
            KeyCode::Char('k') | KeyCode::Up => cur.saturating_sub(1),
            KeyCode::PageDown | KeyCode::Char(' ') => cur + page,
            KeyCode::PageUp => cur.saturating_sub(page),
            KeyCode::Home | KeyCode::Char('g') => 0,
            KeyCode::End | KeyCode::Char('G') => max,
            _ => return InputResult::Ignored,
        }
        .min(max);
        InputResult::Moved
    }

    /// Draw the header row and as many rows of the diff as fit in `area`.
    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        if area.width == 0 || area.height == 0 {
            return;
        }
        let body_h = usize::from(area.height - 1);
        self.height.set(body_h);
        let top = self.scroll.min(self.max_scroll());

        let mut header = if self.has_changes() {
            vec![
                Span::styled(format!("+{} added", self.added), theme.ok),
                Span::styled("  ", theme.text),
                Span::styled(format!("-{} removed", self.removed), theme.danger),
            ]
        } else {
            vec![Span::styled("no changes", theme.muted)]
        };
        if self.rows.len() > body_h && body_h > 0 {
            let last = (top + body_h).min(self.rows.len());
            header.push(Span::styled(
                format!("  rows {}–{last} of {}", top + 1, self.rows.len()),
                theme.muted,
            ));
        }
        let numbers = usize::from(area.width) >= 2 * self.num_w + 12;
        let mut out = vec![Line::from(header)];
        for row in self.rows.iter().skip(top).take(body_h) {
            out.push(match *row {
                Row::Fold(n) => Line::styled(
                    format!(
                        "{}⋯ {n} unchanged line{}",
                        if numbers {
                            " ".repeat(2 * self.num_w + 2)
                        } else {
                            String::new()
                        },
                        if n == 1 { "" } else { "s" }
                    ),
                    theme.muted,
                ),
                Row::Line(i) => {
                    let l = &self.lines[i];
                    let (sign, style) = match l.tag {
                        Tag::Same => (' ', theme.text),
                        Tag::Removed => ('-', theme.danger),
                        Tag::Added => ('+', theme.ok),
                    };
                    let mut spans = Vec::new();
                    if numbers {
                        let num = |n: Option<usize>| {
                            n.map_or(" ".repeat(self.num_w), |n| {
                                format!("{n:>w$}", w = self.num_w)
                            })
                        };
                        spans.push(Span::styled(
                            format!("{} {} ", num(l.old), num(l.new)),
                            theme.muted,
                        ));
                    }
                    spans.push(Span::styled(format!("{sign} {}", l.text), style));
                    Line::from(spans)
                }
            });
        }
        frame.render_widget(Paragraph::new(out).style(theme.text), area);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::widget::testing::{ch, ctrl, draw, key, rows, screen, with};

    fn numbered(n: usize) -> String {
        (1..=n).map(|i| format!("line {i}\n")).collect()
    }

    #[test]
    fn counts_added_and_removed() {
        let d = DiffView::new("a\nb\nc\n", "a\nB\nc\nd\n");
        assert_eq!((d.added(), d.removed()), (2, 1));
        assert!(d.has_changes());
        let d = DiffView::new("a\r\nb", "a\nb\n");
        assert!(
            !d.has_changes(),
            "line endings and the final newline do not count"
        );
        assert!(DiffView::new("", "").is_empty());
    }

    #[test]
    fn render_styles_removed_and_added() {
        let theme = Theme::builtin_default();
        let d = DiffView::new("a\nb\nc\n", "a\nB\nc\n");
        let (buf, _) = draw(30, 6, |f| d.render(f, f.area(), &theme));
        let r = rows(&buf);
        assert!(r[0].starts_with("+1 added  -1 removed"), "{}", screen(&buf));
        assert_eq!(r[1].trim_end(), "1 1   a");
        assert_eq!(r[2].trim_end(), "2   - b");
        assert_eq!(r[3].trim_end(), "  2 + B");
        assert_eq!(r[4].trim_end(), "3 3   c");
        assert_eq!(buf[(4, 2)].style().fg, theme.danger.fg);
        assert_eq!(buf[(4, 3)].style().fg, theme.ok.fg);
        let same = DiffView::new("x", "x");
        let (buf, _) = draw(30, 3, |f| same.render(f, f.area(), &theme));
        assert!(rows(&buf)[0].starts_with("no changes"));
    }

    #[test]
    fn context_folds_far_unchanged_lines() {
        let old = numbered(20);
        let new = old.replace("line 10\n", "line ten\n");
        let d = DiffView::new(&old, &new).with_context(2);
        assert_eq!(
            d.rows,
            [
                Row::Fold(7),
                Row::Line(7),
                Row::Line(8),
                Row::Line(9),
                Row::Line(10),
                Row::Line(11),
                Row::Line(12),
                Row::Fold(8),
            ]
        );
        let theme = Theme::builtin_default();
        let (buf, _) = draw(40, 10, |f| d.render(f, f.area(), &theme));
        let s = screen(&buf);
        assert!(
            s.contains("⋯ 7 unchanged lines") && s.contains("⋯ 8 unchanged lines"),
            "{s}"
        );
        let mut d = d;
        d.set_context(None);
        assert_eq!(d.len(), 21);
        // No change: everything folds into one row; a lone unchanged line is shown.
        assert_eq!(
            DiffView::new(&old, &old).with_context(3).rows,
            [Row::Fold(20)]
        );
        let d = DiffView::new("a\nb\nc\nd\n", "a\nb\nc\nD\n").with_context(2);
        assert_eq!(d.rows[0], Row::Line(0), "a fold of one line is the line");
    }

    #[test]
    fn scroll_stops_at_the_end() {
        let theme = Theme::builtin_default();
        let mut d = DiffView::new("", &numbered(50));
        assert_eq!(d.len(), 50);
        // Drawn with 10 body rows: the furthest is row 40.
        let _ = draw(50, 11, |f| d.render(f, f.area(), &theme));
        assert_eq!(d.key(&key(KeyCode::End)), InputResult::Moved);
        assert_eq!(d.scroll(), 40);
        assert_eq!(
            d.key(&ch('j')),
            InputResult::Moved,
            "still the view's key at the end"
        );
        assert_eq!(d.scroll(), 40);
        assert_eq!(d.key(&key(KeyCode::PageDown)), InputResult::Moved);
        assert_eq!(d.scroll(), 40);
        let (buf, _) = draw(50, 11, |f| d.render(f, f.area(), &theme));
        let r = rows(&buf);
        assert!(
            r[10].contains("line 50"),
            "the last line is at the bottom:\n{}",
            screen(&buf)
        );
        assert!(r[0].contains("rows 41–50 of 50"), "{}", screen(&buf));
        assert_eq!(d.key(&ch('k')), InputResult::Moved);
        assert_eq!(d.scroll(), 39);
        assert_eq!(d.key(&key(KeyCode::PageUp)), InputResult::Moved);
        assert_eq!(d.scroll(), 30);
        assert_eq!(d.key(&key(KeyCode::Home)), InputResult::Moved);
        assert_eq!(d.scroll(), 0);
        assert_eq!(d.key(&key(KeyCode::Up)), InputResult::Moved);
        assert_eq!(d.scroll(), 0);
        assert_eq!(d.key(&ch('G')), InputResult::Moved);
        assert_eq!(d.scroll(), 40);
        assert_eq!(d.key(&ch('g')), InputResult::Moved);
        assert_eq!(d.key(&key(KeyCode::Down)), InputResult::Moved);
        assert_eq!(d.scroll(), 1);
    }

    #[test]
    fn a_taller_area_pulls_the_view_back() {
        let theme = Theme::builtin_default();
        let mut d = DiffView::new("", &numbered(20));
        // Before any draw the view may go to the last row...
        for _ in 0..30 {
            let _ = d.key(&ch('j'));
        }
        assert_eq!(d.scroll(), 19);
        // ...but a draw shows a full page, and the next key goes on from there.
        let (buf, _) = draw(30, 11, |f| d.render(f, f.area(), &theme));
        assert!(rows(&buf)[10].contains("line 20"), "{}", screen(&buf));
        let _ = d.key(&ch('k'));
        assert_eq!(d.scroll(), 9);
        // Short texts do not scroll.
        let mut d = DiffView::new("a", "b");
        let _ = draw(30, 11, |f| d.render(f, f.area(), &theme));
        let _ = d.key(&key(KeyCode::End));
        assert_eq!(d.scroll(), 0);
    }

    #[test]
    fn other_keys_are_ignored() {
        let mut d = DiffView::new("a", "b");
        for ev in [
            key(KeyCode::Enter),
            key(KeyCode::Esc),
            ch('y'),
            ctrl('c'),
            ctrl('j'),
            with(KeyCode::Down, KeyModifiers::ALT),
        ] {
            assert_eq!(d.key(&ev), InputResult::Ignored, "{ev:?}");
        }
    }

    #[test]
    fn unsafe_text_is_shown_escaped() {
        let theme = Theme::builtin_default();
        let d = DiffView::new("", "a\tb\u{1b}[2J\n");
        let (buf, _) = draw(40, 3, |f| d.render(f, f.area(), &theme));
        assert!(
            rows(&buf)[1].contains("+ a    b\\x1b[2J"),
            "{}",
            screen(&buf)
        );
    }

    #[test]
    fn tiny_areas_do_not_panic() {
        let theme = Theme::builtin_default();
        let old = numbered(30);
        let new = old.replace("line 3\n", "日本語 👨‍👩‍👧\n");
        let d = DiffView::new(&old, &new).with_context(1);
        for (w, h) in [(1, 1), (3, 1), (10, 2), (2, 4), (0, 0)] {
            let (buf, _) = draw(w.max(1), h.max(1), |f| {
                d.render(f, Rect::new(0, 0, w, h), &theme)
            });
            assert_eq!(buf.area.width, w.max(1));
        }
    }
}
