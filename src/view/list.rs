//! The one generic list pane. A [`Rows`] type says what a list shows — its items' ids,
//! columns (width, and a priority for hiding at narrow widths), cells and filter text — and
//! [`ListPane`] does the rest, the same for every list: the filter (its text per item is
//! cached when the data changes, not per key), the selection that follows its item's id
//! when rows move, the scroll offset kept across frames, and drawing only the visible rows.

use std::cell::Cell;

use jiff::Timestamp;
use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Row, Table, TableState};
use unicode_width::UnicodeWidthChar;

use super::{Ctx, DrawCtx, Outcome, View};
use crate::app::ops::Ops;
use crate::engine::TaskScope;
use crate::keymap::{Action, Keymap};
use crate::store::{Changed, Store};
use crate::theme::Theme;

/// How wide a column is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    /// Exactly this many cells.
    Fixed(u16),
    /// What is left, shared by weight, at least `min`.
    Fill { min: u16, weight: u16 },
}

/// One column of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub title: &'static str,
    pub width: Width,
    /// 0: always shown; higher numbers are hidden first when the pane is too narrow.
    pub priority: u8,
}

impl Column {
    pub const fn fixed(title: &'static str, w: u16, priority: u8) -> Self {
        Column {
            title,
            width: Width::Fixed(w),
            priority,
        }
    }
    pub const fn fill(title: &'static str, min: u16, priority: u8) -> Self {
        Column {
            title,
            width: Width::Fill { min, weight: 1 },
            priority,
        }
    }
    /// A fill column with its share of the room by `weight`.
    pub const fn fill_weighted(title: &'static str, min: u16, weight: u16, priority: u8) -> Self {
        Column {
            title,
            width: Width::Fill { min, weight },
            priority,
        }
    }
    fn min(&self) -> u16 {
        match self.width {
            Width::Fixed(w) => w,
            Width::Fill { min, .. } => min,
        }
    }
}

/// What rows are made from: the store, the app's long-running work, and what the tasks
/// pane follows.
#[derive(Clone, Copy)]
pub struct Data<'a> {
    pub store: &'a Store,
    pub ops: &'a Ops,
    pub follow: Option<&'a TaskScope>,
    pub drill: Option<&'a TaskScope>,
    pub now: Timestamp,
}

impl<'a> Data<'a> {
    pub fn of_ctx(cx: &'a Ctx<'_>) -> Data<'a> {
        Data {
            store: cx.store,
            ops: cx.ops,
            follow: cx.follow.as_ref(),
            drill: cx.drill.as_ref(),
            now: cx.now,
        }
    }
    pub fn of_draw(cx: &'a DrawCtx<'_>) -> Data<'a> {
        Data {
            store: cx.store,
            ops: cx.ops,
            follow: cx.follow,
            drill: cx.drill,
            now: cx.now,
        }
    }
}

/// What a list shows.
pub trait Rows {
    /// The keymap context and name of the pane ("nodes").
    fn context(&self) -> &'static str;
    /// The title, given how many rows are shown.
    fn title(&self, data: Data<'_>, shown: usize) -> String;
    /// How many items the source has.
    fn len(&self, data: Data<'_>) -> usize;
    /// A stable id of item `i`, to keep the selection on it when rows move.
    fn id(&self, data: Data<'_>, i: usize) -> String;
    /// The words a filter matches against (cached by the pane until the data changes).
    fn text(&self, data: Data<'_>, i: usize) -> String;
    /// Whether item `i` is listed at all (before the filter), e.g. the tasks of the
    /// followed node.
    fn keep(&self, _data: Data<'_>, _i: usize) -> bool {
        true
    }
    /// Which data changes this list shows.
    fn shows(&self, what: Changed) -> bool;
    /// The columns, widest layout first.
    fn columns(&self, data: Data<'_>, width: u16) -> Vec<Column>;
    /// The cells of item `i`, one per column of [`Rows::columns`] (only visible rows are
    /// built).
    fn cells(&self, data: Data<'_>, theme: &Theme, i: usize) -> Vec<Line<'static>>;
    /// What to say when no row is shown.
    fn empty(&self, data: Data<'_>, filtered: bool) -> &'static str;
    /// A key that is not navigation or the filter, on item `selected` (a source index).
    fn key(
        &mut self,
        _action: Option<Action>,
        _key: &KeyEvent,
        _selected: Option<usize>,
        _cx: &mut Ctx<'_>,
    ) -> Outcome {
        Outcome::Ignored
    }
    /// The actions of this list besides navigation (for help and hints).
    fn actions(&self) -> &'static [Action] {
        &[]
    }
    /// Footer words for some of [`Rows::actions`].
    fn hint_words(&self) -> &'static [(Action, &'static str)] {
        &[]
    }
    /// Lines drawn under the table inside the pane, when there is room (e.g. the moves of
    /// the selected VIP).
    fn below(
        &self,
        _data: Data<'_>,
        _theme: &Theme,
        _selected: Option<usize>,
    ) -> Vec<Line<'static>> {
        Vec::new()
    }
    /// Whether the pane is shown at all (the VIP pane only with VIPs).
    fn visible(&self, _data: Data<'_>) -> bool {
        true
    }
    /// The data changed: rebuild what the rows derive from it (the services pane's stack
    /// groups) before the pane reads lengths, ids and texts. Once per change, never per frame.
    fn prepare(&mut self, _data: Data<'_>) {}
    /// Asked after every [`Rows::key`]: `Some` when the rows kept changed (a group collapsed
    /// or expanded), with the id to select then (None: keep the selection).
    fn relist(&mut self) -> Option<Option<String>> {
        None
    }
}

/// A list pane: any [`Rows`] with filter, selection, scrolling and drawing.
pub struct ListPane<R: Rows> {
    pub rows: R,
    /// Source indexes of the rows shown, in order.
    view: Vec<usize>,
    /// The filter text of every source item, lower case; rebuilt when the data changes.
    texts: Vec<String>,
    filter: String,
    selected: usize,
    selected_id: Option<String>,
    /// The first row drawn; kept across frames so the list does not jump. A cell because
    /// only drawing knows the pane's height; it is layout, not state anything else reads.
    offset: Cell<usize>,
    /// How many rows fitted last time (for paging).
    shown_rows: Cell<usize>,
}

impl<R: Rows> ListPane<R> {
    pub fn new(rows: R) -> Self {
        ListPane {
            rows,
            view: Vec::new(),
            texts: Vec::new(),
            filter: String::new(),
            selected: 0,
            selected_id: None,
            offset: Cell::new(0),
            shown_rows: Cell::new(10),
        }
    }

    /// Rebuild the filter texts (the data changed) and the view.
    pub fn refresh(&mut self, data: Data<'_>) {
        self.rows.prepare(data);
        let n = self.rows.len(data);
        self.texts = (0..n)
            .map(|i| self.rows.text(data, i).to_lowercase())
            .collect();
        self.rebuild_view(data);
    }

    /// Rebuild the view from the cached texts (the filter or the followed scope changed).
    pub fn rebuild_view(&mut self, data: Data<'_>) {
        let filter = self.filter.to_lowercase();
        let n = self.rows.len(data).min(self.texts.len());
        self.view = (0..n)
            .filter(|i| self.rows.keep(data, *i))
            .filter(|i| filter.is_empty() || self.texts[*i].contains(&filter))
            .collect();
        // keep the selection on the same item
        let keep = self
            .selected_id
            .as_ref()
            .and_then(|id| self.view.iter().position(|i| &self.rows.id(data, *i) == id));
        self.selected =
            keep.unwrap_or_else(|| self.selected.min(self.view.len().saturating_sub(1)));
        self.selected_id = self.view.get(self.selected).map(|i| self.rows.id(data, *i));
    }

    /// A list shown as a popup over most of the screen: clears it, draws the rounded frame
    /// with the list's title, the filter being typed and `bottom` (its keys), and returns
    /// the inside for the table (and whatever the popup adds under it).
    pub fn draw_popup_frame(
        &self,
        frame: &mut Frame,
        area: Rect,
        data: Data<'_>,
        theme: &Theme,
        bottom: String,
    ) -> Rect {
        let title = self.rows.title(data, self.shown());
        let rect = crate::widget::popup_area(area);
        crate::widget::popup_box(frame, rect, theme, &title, self.filter(), bottom)
    }

    pub fn filter(&self) -> &str {
        &self.filter
    }

    pub fn set_filter(&mut self, filter: String, data: Data<'_>) {
        if filter != self.filter {
            self.filter = filter;
            self.selected = 0;
            self.selected_id = None;
            self.offset.set(0);
            self.rebuild_view(data);
        }
    }

    /// How many rows are shown.
    pub fn shown(&self) -> usize {
        self.view.len()
    }

    /// The source index of the selected row.
    pub fn selected(&self) -> Option<usize> {
        self.view.get(self.selected).copied()
    }

    pub fn selected_id(&self) -> Option<&str> {
        self.selected_id.as_deref()
    }

    /// The selected row's position in the view (0: the first row shown).
    pub fn selected_row(&self) -> usize {
        self.selected
    }

    /// Select the row at `row` of the view (clamped).
    pub fn select(&mut self, row: usize, data: Data<'_>) {
        self.selected = row.min(self.view.len().saturating_sub(1));
        self.selected_id = self.view.get(self.selected).map(|i| self.rows.id(data, *i));
    }

    /// Select the item with this id, if it is shown.
    pub fn select_id(&mut self, id: &str, data: Data<'_>) {
        if let Some(pos) = self.view.iter().position(|i| self.rows.id(data, *i) == id) {
            self.select(pos, data);
        }
    }

    /// Navigation keys; `None` when the action is not navigation.
    fn navigate(&mut self, action: Action, page: usize, data: Data<'_>) -> Option<()> {
        let len = self.view.len();
        let cur = self.selected;
        let page = page.max(1);
        let to = match action {
            Action::Up => cur.saturating_sub(1),
            Action::Down => (cur + 1).min(len.saturating_sub(1)),
            Action::Top => 0,
            Action::Bottom => len.saturating_sub(1),
            Action::PageUp => cur.saturating_sub(page),
            Action::PageDown => (cur + page).min(len.saturating_sub(1)),
            _ => return None,
        };
        self.select(to, data);
        Some(())
    }

    /// Rows a page moves: what fitted last time.
    fn page(&self, fallback: usize) -> usize {
        match self.shown_rows.get() {
            0 => fallback,
            n => n,
        }
    }

    /// Draw the pane: a bordered block with the title, the filter, the table of visible rows.
    pub fn draw_pane(&self, frame: &mut Frame, area: Rect, cx: &DrawCtx<'_>, focused: bool) {
        let data = Data::of_draw(cx);
        let theme = cx.theme;
        let title = self.rows.title(data, self.view.len());
        let mut block = Block::default()
            .borders(Borders::ALL)
            .border_type(BorderType::Rounded)
            .border_style(theme.border_style(focused))
            .title(Span::styled(
                format!(" {title} "),
                if focused { theme.title } else { theme.muted },
            ));
        if !self.filter.is_empty() {
            block = block.title(Span::styled(format!(" /{} ", self.filter), theme.accent));
        }
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let below = if focused {
            self.rows.below(data, theme, self.selected())
        } else {
            Vec::new()
        };
        let table_h = if below.is_empty() {
            inner.height
        } else {
            (self.view.len() as u16 + 1).max(2).min(inner.height)
        };
        let [table_area, below_area] =
            Layout::vertical([Constraint::Length(table_h), Constraint::Fill(1)]).areas(inner);
        self.draw_table(frame, table_area, data, theme, focused);
        if below_area.height > 0 && !below.is_empty() {
            frame.render_widget(Paragraph::new(below), below_area);
        }
    }

    /// The table alone (header + visible rows), for panes and popups.
    pub fn draw_table(
        &self,
        frame: &mut Frame,
        area: Rect,
        data: Data<'_>,
        theme: &Theme,
        focused: bool,
    ) {
        if area.height == 0 || area.width == 0 {
            return;
        }
        let all = self.rows.columns(data, area.width);
        let keep = kept_columns(&all, area.width);
        let columns: Vec<Column> = keep.iter().map(|i| all[*i].clone()).collect();
        let widths: Vec<u16> = layout_widths(&columns, area.width);
        let header = Row::new(
            columns
                .iter()
                .zip(&widths)
                .map(|(c, w)| fit(Line::from(c.title), *w))
                .collect::<Vec<_>>(),
        )
        .style(theme.header);
        let body_h = usize::from(area.height.saturating_sub(1));
        self.shown_rows.set(body_h);
        // keep the offset unless the selection left the window
        let mut offset = self.offset.get().min(self.view.len().saturating_sub(1));
        if self.selected < offset {
            offset = self.selected;
        } else if body_h > 0 && self.selected >= offset + body_h {
            offset = self.selected + 1 - body_h;
        }
        // no empty space under the last row while there is more above
        offset = offset.min(self.view.len().saturating_sub(body_h));
        self.offset.set(offset);
        let visible = self.view.iter().skip(offset).take(body_h);
        let rows: Vec<Row> = visible
            .map(|i| {
                let mut cells: Vec<Option<Line<'static>>> = self
                    .rows
                    .cells(data, theme, *i)
                    .into_iter()
                    .map(Some)
                    .collect();
                Row::new(
                    keep.iter()
                        .zip(&widths)
                        .map(|(c, w)| {
                            fit(
                                cells.get_mut(*c).and_then(Option::take).unwrap_or_default(),
                                *w,
                            )
                        })
                        .collect::<Vec<_>>(),
                )
            })
            .collect();
        // an empty list says so across the whole width (its first column may be narrow)
        let empty = rows.is_empty();
        let highlight = if focused {
            theme.selected
        } else {
            Style::default().add_modifier(Modifier::BOLD)
        };
        let constraints: Vec<Constraint> = widths.iter().map(|w| Constraint::Length(*w)).collect();
        let table = Table::new(rows, constraints)
            .header(header)
            .row_highlight_style(highlight)
            .column_spacing(1);
        let mut state = TableState::default()
            .with_selected((!self.view.is_empty()).then_some(self.selected - offset));
        frame.render_stateful_widget(table, area, &mut state);
        if empty && area.height > 1 {
            let line = Rect {
                y: area.y + 1,
                height: 1,
                ..area
            };
            let text = self.rows.empty(data, !self.filter.is_empty());
            frame.render_widget(Paragraph::new(Line::styled(text, theme.muted)), line);
        }
    }

    /// Footer hints of this list in its context.
    pub fn list_hints(&self, keymap: &Keymap) -> Vec<(String, String)> {
        // the first of the list's own words (what Enter does), then the filter, then the rest
        let own = self.rows.hint_words();
        let mut words: Vec<(Action, &str)> = own.iter().take(1).copied().collect();
        words.push((Action::Filter, "filter"));
        words.extend(own.iter().skip(1).copied());
        super::hints_for(keymap, self.rows.context(), &words)
    }
}

/// The indexes of the columns shown in `width`: the lowest-priority ones are dropped until
/// the rest fit (column spacing 1).
pub fn kept_columns(cols: &[Column], width: u16) -> Vec<usize> {
    let mut keep: Vec<usize> = (0..cols.len()).collect();
    loop {
        let need: u16 =
            keep.iter().map(|i| cols[*i].min()).sum::<u16>() + keep.len().saturating_sub(1) as u16;
        if need <= width || keep.len() <= 1 {
            return keep;
        }
        let Some((pos, _)) = keep
            .iter()
            .enumerate()
            .filter(|(_, i)| cols[**i].priority > 0)
            .max_by_key(|(_, i)| (cols[**i].priority, **i))
        else {
            return keep;
        };
        keep.remove(pos);
    }
}

/// The width of each column: fixed ones as given, fill ones sharing what is left by weight
/// (as ratatui's `Fill` does), each at least its minimum; at the end a column is cut to what
/// remains of `width`.
pub fn layout_widths(cols: &[Column], width: u16) -> Vec<u16> {
    let spacing = cols.len().saturating_sub(1) as u16;
    let fixed: u16 = cols
        .iter()
        .map(|c| match c.width {
            Width::Fixed(w) => w,
            Width::Fill { .. } => 0,
        })
        .sum();
    let fill_space = width.saturating_sub(fixed + spacing);
    let weights: u32 = cols
        .iter()
        .map(|c| match c.width {
            Width::Fill { weight, .. } => u32::from(weight),
            Width::Fixed(_) => 0,
        })
        .sum();
    let fills = cols
        .iter()
        .filter(|c| matches!(c.width, Width::Fill { .. }))
        .count();
    let mut given = 0u16;
    let mut fill_seen = 0;
    let mut out = Vec::with_capacity(cols.len());
    let mut left = width;
    for c in cols {
        let w = match c.width {
            Width::Fixed(w) => w,
            Width::Fill { min, weight } => {
                fill_seen += 1;
                let share = if fill_seen == fills {
                    fill_space.saturating_sub(given)
                } else {
                    (u32::from(fill_space) * u32::from(weight))
                        .checked_div(weights)
                        .map_or(0, |s| s as u16)
                };
                given += share;
                share.max(min)
            }
        };
        let w = w.min(left);
        left = left.saturating_sub(w + 1);
        out.push(w);
    }
    out
}

/// A line cut to `width` cells, ending in `…` when something was cut, so that long names
/// with a common prefix never look the same.
pub fn fit(line: Line<'static>, width: u16) -> Line<'static> {
    let width = usize::from(width);
    if line.width() <= width {
        return line;
    }
    if width == 0 {
        return Line::default();
    }
    let room = width - 1;
    let mut used = 0;
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut last_style = line.style;
    'outer: for span in line.spans {
        let mut text = String::new();
        last_style = span.style;
        for ch in span.content.chars() {
            let w = ch.width().unwrap_or(0);
            if used + w > room {
                if !text.is_empty() {
                    spans.push(Span::styled(text, span.style));
                }
                break 'outer;
            }
            used += w;
            text.push(ch);
        }
        spans.push(Span::styled(text, span.style));
    }
    spans.push(Span::styled("…", last_style));
    Line::from(spans).style(line.style)
}

/// A [`ListPane`] is a view: navigation and the filter here, the rest to its [`Rows`].
impl<R: Rows + 'static> View for ListPane<R> {
    fn context(&self) -> &'static str {
        self.rows.context()
    }

    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Outcome {
        let action = cx.action(self.rows.context(), key);
        if let Some(a) = action {
            let page = self.page(cx.page);
            if self.navigate(a, page, Data::of_ctx(cx)).is_some() {
                return Outcome::Handled;
            }
            if a == Action::Filter {
                return Outcome::Push(Box::new(super::filter::FilterPrompt::new(
                    self.rows.context(),
                    &self.filter,
                )));
            }
            if a == Action::Back && !self.filter.is_empty() {
                let data = Data::of_ctx(cx);
                self.filter.clear();
                self.rebuild_view(data);
                return Outcome::Handled;
            }
        }
        let selected = self.selected();
        let out = self.rows.key(action, key, selected, cx);
        if let Some(select) = self.rows.relist() {
            if select.is_some() {
                self.selected_id = select;
            }
            self.rebuild_view(Data::of_ctx(cx));
        }
        out
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCtx<'_>) {
        self.draw_pane(frame, area, cx, true);
    }

    fn hints(&self, keymap: &Keymap) -> Vec<(String, String)> {
        self.list_hints(keymap)
    }

    fn actions(&self) -> &'static [Action] {
        self.rows.actions()
    }

    fn apply_filter(&mut self, filter: &str, data: Data<'_>) -> bool {
        self.set_filter(filter.to_string(), data);
        true
    }

    fn changed(&mut self, what: Changed, cx: &mut Ctx<'_>) {
        if self.rows.shows(what) {
            self.refresh(Data::of_ctx(cx));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn cut_text_ends_in_an_ellipsis() {
        let l = fit(Line::from("fx-service-with-a-long-name-1"), 12);
        assert_eq!(l.to_string(), "fx-service-…");
        assert_eq!(l.width(), 12);
        let l = fit(Line::from("short"), 12);
        assert_eq!(l.to_string(), "short");
        // wide characters are never split
        let l = fit(Line::from("节点节点节点"), 6);
        assert_eq!(l.to_string(), "节点…");
        assert!(l.width() <= 6);
        assert_eq!(fit(Line::from("abc"), 0).width(), 0);
        assert_eq!(fit(Line::from("abc"), 1).to_string(), "…");
    }

    #[test]
    fn narrow_panes_hide_low_priority_columns_first() {
        let cols = vec![
            Column::fixed("A", 10, 0),
            Column::fixed("B", 10, 2),
            Column::fixed("C", 10, 1),
            Column::fill("D", 5, 0),
        ];
        let names = |w: u16| {
            kept_columns(&cols, w)
                .into_iter()
                .map(|i| cols[i].title)
                .collect::<Vec<_>>()
        };
        assert_eq!(names(80), ["A", "B", "C", "D"]);
        assert_eq!(names(30), ["A", "C", "D"]);
        assert_eq!(names(16), ["A", "D"]);
        assert_eq!(names(3), ["A", "D"]);
        let w = layout_widths(&[Column::fixed("A", 10, 0), Column::fill("D", 5, 0)], 40);
        assert_eq!(w, vec![10, 29]);
        // fills share what is left equally, whatever their minimums
        let w = layout_widths(
            &[
                Column::fill("A", 12, 0),
                Column::fixed("B", 4, 0),
                Column::fill("C", 5, 0),
            ],
            45,
        );
        assert_eq!(w, vec![19, 4, 20]);
    }
}
