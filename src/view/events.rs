//! The event timeline (`:events`, `:events KIND`), newest first: a list like every other, in
//! a popup over the whole screen, that follows the timeline while it is open.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::list::{Column, Data, ListPane, Rows};
use super::{Ctx, DrawCtx, Outcome, View};
use crate::health::timeline::{Event, Kind, Severity};
use crate::keymap::{Action, Keymap};
use crate::store::Changed;
use crate::theme::Theme;

/// The timeline's rows, newest first, of one kind or all.
pub struct EventRows {
    kind: Option<Kind>,
    /// Times are shown in this zone (the system's; UTC in the snapshots).
    tz: TimeZone,
}

impl EventRows {
    /// Row `i` (newest first): its place in the timeline and the event.
    fn at<'a>(&self, data: Data<'a>, i: usize) -> (usize, &'a Event) {
        let events = &data.store.timeline.events;
        let j = events.len() - 1 - i;
        (j, &events[j])
    }

    /// `HH:MM:SS`, with the date before it when it is not today.
    fn time(&self, at: Timestamp, now: Timestamp) -> String {
        let z = at.to_zoned(self.tz.clone());
        if z.date() == now.to_zoned(self.tz.clone()).date() {
            z.strftime("%H:%M:%S").to_string()
        } else {
            z.strftime("%Y-%m-%d %H:%M:%S").to_string()
        }
    }
}

impl Rows for EventRows {
    fn context(&self) -> &'static str {
        "events"
    }
    fn title(&self, _data: Data<'_>, shown: usize) -> String {
        match self.kind {
            Some(k) => format!("events: {} ({shown}, newest first)", k.name()),
            None => format!("events ({shown}, newest first)"),
        }
    }
    fn len(&self, data: Data<'_>) -> usize {
        data.store.timeline.events.len()
    }
    fn id(&self, data: Data<'_>, i: usize) -> String {
        let (j, _) = self.at(data, i);
        data.store.timeline.number(j).to_string()
    }
    fn text(&self, data: Data<'_>, i: usize) -> String {
        let (_, e) = self.at(data, i);
        format!(
            "{} {} {} {}",
            e.kind.name(),
            e.severity.name(),
            e.subject,
            e.text
        )
    }
    fn keep(&self, data: Data<'_>, i: usize) -> bool {
        self.kind.is_none_or(|k| self.at(data, i).1.kind == k)
    }
    fn shows(&self, _what: Changed) -> bool {
        true
    }
    fn columns(&self, data: Data<'_>, _width: u16) -> Vec<Column> {
        // the date only takes room once an event is from another day
        let dated = data
            .store
            .timeline
            .events
            .front()
            .is_some_and(|e| self.time(e.at, data.now).len() > 8);
        // the text names its subject too: narrow, the subject column goes first
        vec![
            Column::fixed("TIME", if dated { 19 } else { 8 }, 0),
            Column::fixed("KIND", 10, 2),
            Column::fixed("SUBJECT", 16, 3),
            Column::fill("TEXT", 40, 0),
        ]
    }
    fn cells(&self, data: Data<'_>, theme: &Theme, i: usize) -> Vec<Line<'static>> {
        let (j, e) = self.at(data, i);
        let time = self.time(e.at, data.now);
        if data.store.timeline.is_earlier(j) {
            // from a session before this one
            return [
                time,
                e.kind.name().into(),
                e.subject.clone(),
                e.text.clone(),
            ]
            .into_iter()
            .map(|t| Line::styled(t, theme.muted))
            .collect();
        }
        let style = match e.severity {
            Severity::Critical => theme.danger,
            Severity::Warn => theme.warn,
            Severity::Info => theme.text,
        };
        vec![
            Line::styled(time, theme.muted),
            Line::styled(e.kind.name(), theme.accent),
            Line::styled(e.subject.clone(), theme.text),
            Line::styled(e.text.clone(), style),
        ]
    }
    fn empty(&self, _data: Data<'_>, filtered: bool) -> &'static str {
        if filtered {
            "no event matches the filter"
        } else if self.kind.is_some() {
            "no event of this kind yet"
        } else {
            "nothing has happened yet"
        }
    }
}

/// The timeline popup.
pub struct EventsView {
    list: ListPane<EventRows>,
    /// The timeline's count when the list was last rebuilt.
    seen: Option<u64>,
}

impl EventsView {
    /// All events (`kind` None) or one kind's; times in `tz`.
    pub fn new(kind: Option<Kind>, tz: TimeZone) -> Self {
        EventsView {
            list: ListPane::new(EventRows { kind, tz }),
            seen: None,
        }
    }

    pub fn list(&self) -> &ListPane<EventRows> {
        &self.list
    }

    pub fn kind(&self) -> Option<Kind> {
        self.list.rows.kind
    }

    /// Rebuild when events arrived. On the newest row, the selection stays on the newest
    /// (as `tail -f`); elsewhere it stays on its event.
    fn sync(&mut self, data: Data<'_>) -> bool {
        let total = data.store.timeline.total;
        if self.seen == Some(total) {
            return false;
        }
        let newest = self.list.selected_row() == 0;
        self.list.refresh(data);
        if newest {
            self.list.select(0, data);
        }
        self.seen = Some(total);
        true
    }
}

impl View for EventsView {
    fn context(&self) -> &'static str {
        "events"
    }

    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Outcome {
        match self.list.key(key, cx) {
            Outcome::Ignored => match (cx.action("events", key), key.code) {
                (Some(Action::Back | Action::Quit), _) | (_, KeyCode::Esc) => Outcome::Close,
                _ => Outcome::Handled,
            },
            other => other,
        }
    }

    fn opened(&mut self, cx: &mut Ctx<'_>) {
        self.sync(Data::of_ctx(cx));
    }

    fn changed(&mut self, _what: Changed, cx: &mut Ctx<'_>) {
        self.sync(Data::of_ctx(cx));
    }

    fn tick(&mut self, cx: &mut Ctx<'_>) -> bool {
        // events that came with no data change (the dashboard's own probes)
        self.sync(Data::of_ctx(cx))
    }

    fn apply_filter(&mut self, filter: &str, data: Data<'_>) -> bool {
        self.list.set_filter(filter.to_string(), data);
        true
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCtx<'_>) {
        let theme = cx.theme;
        let data = Data::of_draw(cx);
        let key = |a: Action| {
            cx.keymap
                .keys_in("events", a)
                .first()
                .map_or_else(String::new, ToString::to_string)
        };
        let mut bottom = format!(
            " {}/{} move · {} filter · Esc close ",
            key(Action::Down),
            key(Action::Up),
            key(Action::Filter)
        );
        if cx.store.timeline.earlier > 0 {
            bottom.push_str("· dim: before this start ");
        }
        let inner = self.list.draw_popup_frame(frame, area, data, theme, bottom);
        self.list.draw_table(frame, inner, data, theme, true);
    }

    fn hints(&self, keymap: &Keymap) -> Vec<(String, String)> {
        let mut h = self.list.list_hints(keymap);
        h.push(("Esc".into(), "close".into()));
        h
    }
}
