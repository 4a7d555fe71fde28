//! `:errors` (`:errors STACK`, `:errors SERVICE`): the error digest. The recent error lines
//! of every service's logs (or of one stack's, or one service's), grouped by message with the
//! changing parts masked ([`crate::health::digest`]), newest group first: "8× ERROR db
//! timeout after <n>ms · api · node2, node3 · last 40 s ago". The logs are read by the engine
//! ([`crate::engine::digest`]) when the popup opens, then every [`REFRESH_SECS`] only since
//! the newest line read; the window slides (older lines leave their group). Enter opens the
//! logs view at the group's first line; `r` reads now; `1`–`5` choose the window.

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use super::cluster::{key_of, popup_frame};
use super::list::{Column, Data, ListPane, Rows, fit};
use super::{AppCmd, Ctx, DrawCtx, LogsRequest, Outcome, View};
use crate::domain::{Service, ServiceId};
use crate::engine::digest::{DigestCmd, DigestPart, DigestTarget, ServiceRead, TAIL};
use crate::health::digest::{Digest, literal};
use crate::keymap::{Action, Keymap};
use crate::store::{Level, Store};
use crate::text::printable;
use crate::theme::Theme;

/// The windows `1`–`5` choose: (seconds, label).
pub const WINDOWS: [(i64, &str); 5] = [
    (5 * 60, "5 m"),
    (15 * 60, "15 m"),
    (3600, "1 h"),
    (6 * 3600, "6 h"),
    (24 * 3600, "24 h"),
];
/// The window at start: 15 minutes.
pub const DEFAULT_WINDOW: usize = 1;
/// How often the logs are read again while the popup is open.
pub const REFRESH_SECS: i64 = 30;

const ACTIONS: &[Action] = &[
    Action::Window5m,
    Action::Window15m,
    Action::Window1h,
    Action::Window6h,
    Action::Window24h,
];

/// Whose logs are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    /// The services of a stack (`com.docker.stack.namespace`).
    Stack(String),
    Service(ServiceId, String),
}

impl Scope {
    /// `:errors ARG`: "" every service; a stack's name; a service's name; `stack NAME` or
    /// `service NAME` when a name is both; a unique prefix of a stack's or a service's name.
    pub fn resolve(store: &Store, arg: &str) -> Result<Scope, String> {
        let words: Vec<&str> = arg.split_whitespace().collect();
        let stacks: std::collections::BTreeSet<&str> =
            store.services.iter().filter_map(Service::stack).collect();
        let service = |name: &str| store.services.iter().find(|s| s.name == name);
        match words.as_slice() {
            [] => Ok(Scope::All),
            ["stack", name] => {
                if stacks.contains(name) {
                    Ok(Scope::Stack((*name).to_string()))
                } else {
                    Err(format!(
                        ":errors stack {name}: no such stack{}",
                        list(&stacks)
                    ))
                }
            }
            ["service", name] => match service(name) {
                Some(s) => Ok(Scope::Service(s.id.clone(), s.name.clone())),
                None => Err(format!(":errors service {name}: no such service")),
            },
            [name] => {
                let is_stack = stacks.contains(name);
                match (is_stack, service(name)) {
                    (true, Some(_)) => Err(format!(
                        ":errors {name}: both a stack and a service are named so; say :errors stack {name} or :errors service {name}"
                    )),
                    (true, None) => Ok(Scope::Stack((*name).to_string())),
                    (false, Some(s)) => Ok(Scope::Service(s.id.clone(), s.name.clone())),
                    (false, None) => {
                        let mut found: Vec<Scope> = stacks
                            .iter()
                            .filter(|s| s.starts_with(name))
                            .map(|s| Scope::Stack((*s).to_string()))
                            .collect();
                        found.extend(
                            store
                                .services
                                .iter()
                                .filter(|s| s.name.starts_with(name))
                                .map(|s| Scope::Service(s.id.clone(), s.name.clone())),
                        );
                        // one stack and only its own services: the stack
                        let stacks_found: Vec<&Scope> = found
                            .iter()
                            .filter(|f| matches!(f, Scope::Stack(_)))
                            .collect();
                        if let [Scope::Stack(stack)] = stacks_found.as_slice() {
                            let own = |id: &ServiceId| {
                                store.service(id).and_then(Service::stack) == Some(stack.as_str())
                            };
                            if found.iter().all(|f| match f {
                                Scope::Service(id, _) => own(id),
                                _ => true,
                            }) {
                                return Ok(Scope::Stack(stack.clone()));
                            }
                        }
                        match found.len() {
                            1 => Ok(found.remove(0)),
                            0 => Err(format!(
                                ":errors {name}: no stack or service is named so{}",
                                list(&stacks)
                            )),
                            n => Err(format!(
                                ":errors {name}: {n} stacks and services start so ({}); type more",
                                found
                                    .iter()
                                    .take(6)
                                    .map(Scope::name)
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )),
                        }
                    }
                }
            }
            _ => Err("usage: :errors · :errors STACK · :errors SERVICE".into()),
        }
    }

    fn name(&self) -> String {
        match self {
            Scope::All => "every service".into(),
            Scope::Stack(s) => format!("stack {s}"),
            Scope::Service(_, n) => format!("service {n}"),
        }
    }

    fn includes(&self, s: &Service) -> bool {
        match self {
            Scope::All => true,
            Scope::Stack(name) => s.stack() == Some(name.as_str()),
            Scope::Service(id, _) => &s.id == id,
        }
    }
}

fn list(stacks: &std::collections::BTreeSet<&str>) -> String {
    if stacks.is_empty() {
        String::new()
    } else {
        format!(
            " (stacks: {})",
            stacks.iter().copied().collect::<Vec<_>>().join(", ")
        )
    }
}

/// "40 s", "3 m", "2 h", "1 d".
pub fn ago(secs: i64) -> String {
    match secs.max(0) {
        s if s < 120 => format!("{s} s"),
        s if s < 120 * 60 => format!("{} m", s / 60),
        s if s < 48 * 3600 => format!("{} h", s / 3600),
        s => format!("{} d", s / 86_400),
    }
}

/// One group, as shown.
#[derive(Debug, Clone)]
pub struct GroupRow {
    pub key: String,
    pub count: usize,
    pub first: Timestamp,
    pub last: Timestamp,
    /// The service of the first line.
    pub first_service: ServiceId,
    pub services: Vec<String>,
    pub nodes: Vec<String>,
    pub example: String,
    pub example_at: Timestamp,
}

/// The groups, newest first.
#[derive(Default)]
pub struct ErrorRows {
    pub digest: Digest,
    /// Service names, as read (a service removed since keeps its name here).
    pub names: HashMap<ServiceId, String>,
    pub rows: Vec<GroupRow>,
    /// Still reading, nothing read yet: what the empty list says.
    reading: bool,
    /// The width the row was last laid out in (layout, learnt while drawing).
    width: Cell<u16>,
}

impl ErrorRows {
    fn name(&self, id: &ServiceId, store: &Store) -> String {
        self.names
            .get(id)
            .cloned()
            .unwrap_or_else(|| store.service_name(id))
    }
}

/// "api, web +2" in at most `room` cells (at least the first name).
fn names_in(names: &[String], room: usize) -> String {
    let all = names.join(", ");
    if all.width() <= room || names.len() <= 1 {
        return all;
    }
    for keep in (1..names.len()).rev() {
        let s = format!("{} +{}", names[..keep].join(", "), names.len() - keep);
        if s.width() <= room {
            return s;
        }
    }
    format!("{} +{}", names[0], names.len() - 1)
}

impl Rows for ErrorRows {
    fn context(&self) -> &'static str {
        "errors"
    }
    fn title(&self, _data: Data<'_>, shown: usize) -> String {
        format!("errors ({shown})")
    }
    fn len(&self, _data: Data<'_>) -> usize {
        self.rows.len()
    }
    fn id(&self, _data: Data<'_>, i: usize) -> String {
        self.rows[i].key.clone()
    }
    fn text(&self, _data: Data<'_>, i: usize) -> String {
        let r = &self.rows[i];
        format!(
            "{} {} {} {}",
            r.key,
            r.services.join(" "),
            r.nodes.join(" "),
            r.example
        )
    }
    fn shows(&self, _what: crate::store::Changed) -> bool {
        false
    }
    fn prepare(&mut self, data: Data<'_>) {
        let rows: Vec<GroupRow> = self
            .digest
            .newest_first()
            .into_iter()
            .filter_map(|g| {
                let (first_service, first) = g.first_seen()?;
                let mut services: Vec<String> = g
                    .services()
                    .into_iter()
                    .map(|s| self.name(s, data.store))
                    .collect();
                services.sort();
                services.dedup();
                let mut nodes: Vec<String> = g
                    .nodes()
                    .into_iter()
                    .map(|n| data.store.node_name(n))
                    .collect();
                nodes.sort();
                nodes.dedup();
                Some(GroupRow {
                    key: g.key.clone(),
                    count: g.count(),
                    first,
                    last: g.last()?,
                    first_service: first_service.clone(),
                    services,
                    nodes,
                    example: g.example.clone(),
                    example_at: g.example_at,
                })
            })
            .collect();
        self.rows = rows;
    }
    fn columns(&self, _data: Data<'_>, width: u16) -> Vec<Column> {
        self.width.set(width);
        vec![Column::fill(
            "COUNT× MESSAGE · SERVICES · NODES · LAST SEEN",
            10,
            0,
        )]
    }
    fn cells(&self, data: Data<'_>, theme: &Theme, i: usize) -> Vec<Line<'static>> {
        let r = &self.rows[i];
        let width = usize::from(self.width.get().max(10));
        let count = format!("{}× ", r.count);
        let last = format!(
            " · last {} ago",
            ago(data.now.as_second() - r.last.as_second())
        );
        // the message gets what the rest leaves, at least 20 cells; the names give way first
        let fixed = count.width() + last.width();
        let room = width.saturating_sub(fixed + 20);
        let services = names_in(&r.services, room.saturating_sub(3).max(8));
        let mut tail = vec![Span::styled(format!(" · {services}"), theme.accent)];
        let mut used = services.width() + 3;
        if !r.nodes.is_empty() {
            let nodes = names_in(&r.nodes, room.saturating_sub(used + 3).max(8));
            if used + nodes.width() + 3 <= room.max(24) {
                used += nodes.width() + 3;
                tail.push(Span::styled(format!(" · {nodes}"), theme.muted));
            }
        }
        tail.push(Span::styled(last, theme.muted));
        let message_room = width.saturating_sub(fixed + used).max(1) as u16;
        let message = fit(
            Line::styled(printable(&r.key).into_owned(), theme.text),
            message_room,
        );
        let mut spans = vec![Span::styled(count, theme.danger)];
        spans.extend(message.spans);
        spans.extend(tail);
        vec![Line::from(spans)]
    }
    fn empty(&self, _data: Data<'_>, filtered: bool) -> &'static str {
        if filtered {
            "no group matches the filter"
        } else if self.reading {
            "reading the logs…"
        } else {
            "no error line in this window (1–5 choose another)"
        }
    }
}

/// What is known of one service's logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceStatus {
    pub name: String,
    /// Where its reads started (the window's start when it was first read).
    pub since: Timestamp,
    /// The newest line read: the next read starts right after it.
    pub newest: Option<Timestamp>,
    /// Why the last read stopped early.
    pub error: Option<String>,
    /// The last read hit the per-task line limit.
    pub capped: bool,
    /// The engine named the lines' nodes.
    pub details: bool,
    pub lines: usize,
    pub errors: usize,
}

/// A read under way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    pub total: usize,
    pub done: usize,
}

/// The `:errors` popup.
pub struct ErrorsView {
    list: ListPane<ErrorRows>,
    scope: Scope,
    window: usize,
    /// Given with every read and back with its parts: an older window's parts are dropped.
    generation: u64,
    reading: Option<Reading>,
    /// When the last read ended.
    last_read: Option<Timestamp>,
    status: BTreeMap<ServiceId, ServiceStatus>,
    message: Option<(Level, String)>,
    tz: TimeZone,
}

impl ErrorsView {
    pub fn new(scope: Scope, tz: TimeZone) -> Self {
        ErrorsView {
            list: ListPane::new(ErrorRows::default()),
            scope,
            window: DEFAULT_WINDOW,
            generation: 1,
            reading: None,
            last_read: None,
            status: BTreeMap::new(),
            message: None,
            tz,
        }
    }

    pub fn list(&self) -> &ListPane<ErrorRows> {
        &self.list
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The window, in seconds.
    pub fn window_secs(&self) -> i64 {
        WINDOWS[self.window].0
    }

    pub fn reading(&self) -> Option<Reading> {
        self.reading
    }

    pub fn last_read(&self) -> Option<Timestamp> {
        self.last_read
    }

    pub fn status(&self) -> &BTreeMap<ServiceId, ServiceStatus> {
        &self.status
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The selected group.
    pub fn selected(&self) -> Option<&GroupRow> {
        self.list.rows.rows.get(self.list.selected()?)
    }

    /// Ask the engine for every service in scope, each since its newest line read (a new
    /// one: since the window's start).
    fn read(&mut self, cx: &mut Ctx<'_>) {
        if self.reading.is_some() {
            return;
        }
        let start = cx.now - SignedDuration::from_secs(self.window_secs());
        let in_scope: Vec<&Service> = cx
            .store
            .services
            .iter()
            .filter(|s| self.scope.includes(s))
            .collect();
        // a service gone from the scope is read no more
        self.status
            .retain(|id, _| in_scope.iter().any(|s| &s.id == id));
        let targets: Vec<DigestTarget> = in_scope
            .iter()
            .map(|s| {
                let st = self
                    .status
                    .entry(s.id.clone())
                    .or_insert_with(|| ServiceStatus {
                        name: s.name.clone(),
                        since: start,
                        newest: None,
                        error: None,
                        capped: false,
                        details: true,
                        lines: 0,
                        errors: 0,
                    });
                st.name = s.name.clone();
                self.list.rows.names.insert(s.id.clone(), s.name.clone());
                DigestTarget {
                    service: s.id.clone(),
                    name: s.name.clone(),
                    since: st.newest.unwrap_or(st.since).max(start),
                }
            })
            .collect();
        if targets.is_empty() {
            self.last_read = Some(cx.now);
            self.message = Some((
                Level::Warn,
                match &self.scope {
                    Scope::All => "no service to read".to_string(),
                    other => format!("{} has no service now", other.name()),
                },
            ));
            return;
        }
        if matches!(self.message, Some((Level::Warn, _))) {
            self.message = None;
        }
        self.reading = Some(Reading {
            total: targets.len(),
            done: 0,
        });
        self.list.rows.reading = self.list.rows.rows.is_empty();
        cx.fx.app.push(AppCmd::Digest(DigestCmd {
            generation: self.generation,
            targets,
            tail: TAIL,
        }));
    }

    /// Start again with window `w`: what was read is forgotten.
    fn set_window(&mut self, w: usize, cx: &mut Ctx<'_>) {
        self.window = w.min(WINDOWS.len() - 1);
        self.generation += 1;
        self.reading = None;
        self.status.clear();
        self.list.rows.digest = Digest::default();
        self.list.refresh(Data::of_ctx(cx));
        self.read(cx);
        self.list.refresh(Data::of_ctx(cx));
    }

    fn took(&mut self, r: ServiceRead) {
        self.list
            .rows
            .names
            .insert(r.service.clone(), r.name.clone());
        if let Some(st) = self.status.get_mut(&r.service) {
            st.newest = st.newest.max(r.newest);
            st.error = r.error;
            // the lines it could not read stay missing while the window holds them
            st.capped |= r.capped;
            st.details = r.details;
            st.lines += r.lines;
            st.errors += r.errors;
        }
        self.list.rows.digest.merge(r.digest);
    }

    /// Enter: the logs view at the group's first line, searching for its literal part.
    fn open_logs(&self, cx: &mut Ctx<'_>) {
        let Some(r) = self.selected() else {
            return;
        };
        let service = r.first_service.clone();
        let service_name = self.list.rows.name(&service, cx.store);
        cx.fx.app.push(AppCmd::OpenLogs(LogsRequest {
            service,
            service_name,
            task: None,
            since: Some(r.first),
            find: literal(&r.key, &r.example),
        }));
    }

    /// The title in at most `room` cells: what is read and the window, when it was read,
    /// then the counts when they fit.
    fn title(&self, now: Timestamp, room: usize) -> String {
        let (_, window) = WINDOWS[self.window];
        let head = format!("errors · {} · last {window}", self.scope.name());
        let read = match (self.reading, self.last_read) {
            (Some(r), _) => format!(" · reading {}/{}…", r.done, r.total),
            (None, Some(at)) => format!(" · read {} ago", ago(now.as_second() - at.as_second())),
            (None, None) => String::new(),
        };
        let kinds = self.list.rows.rows.len();
        let shown = self.list.shown();
        let mut counts = format!(
            " · {kinds} {}, {} lines",
            if kinds == 1 { "kind" } else { "kinds" },
            self.list.rows.digest.lines()
        );
        if shown != kinds {
            counts.push_str(&format!(" ({shown} shown)"));
        }
        let full = format!("{head}{counts}{read}");
        if full.width() <= room {
            return full;
        }
        format!("{head}{read}")
    }

    /// `HH:MM:SS`, with the date when it is not today.
    fn time(&self, at: Timestamp, now: Timestamp) -> String {
        let z = at.to_zoned(self.tz.clone());
        if z.date() == now.to_zoned(self.tz.clone()).date() {
            z.strftime("%H:%M:%S").to_string()
        } else {
            z.strftime("%Y-%m-%d %H:%M:%S").to_string()
        }
    }

    /// The lines under the table: the selected group's example and times, then what went
    /// wrong reading.
    fn notes(&self, theme: &Theme, now: Timestamp) -> Vec<Line<'static>> {
        let mut notes = Vec::new();
        if let Some(r) = self.selected() {
            notes.push(Line::from(vec![
                Span::styled(format!("{} ", self.time(r.example_at, now)), theme.muted),
                Span::styled(printable(&r.example).into_owned(), theme.text),
            ]));
            let mut words = vec![format!(
                "{}× from {} to {}",
                r.count,
                self.time(r.first, now),
                self.time(r.last, now)
            )];
            words.push(r.services.join(", "));
            if !r.nodes.is_empty() {
                words.push(format!("on {}", r.nodes.join(", ")));
            }
            notes.push(Line::styled(words.join(" · "), theme.muted));
        }
        for st in self.status.values() {
            if let Some(e) = &st.error {
                notes.push(Line::styled(
                    format!("{}: {}", st.name, printable(e)),
                    theme.warn,
                ));
            }
        }
        let capped: Vec<&str> = self
            .status
            .values()
            .filter(|s| s.capped)
            .map(|s| s.name.as_str())
            .collect();
        if !capped.is_empty() {
            notes.push(Line::styled(
                format!(
                    "{}: a task wrote more than {TAIL} lines in one read: only its newest {TAIL} were read",
                    capped.join(", ")
                ),
                theme.warn,
            ));
        }
        let blind: Vec<&str> = self
            .status
            .values()
            .filter(|s| !s.details && s.lines > 0)
            .map(|s| s.name.as_str())
            .collect();
        if !blind.is_empty() {
            notes.push(Line::styled(
                format!("{}: the engine did not name the nodes", blind.join(", ")),
                theme.muted,
            ));
        }
        if self.list.rows.digest.dropped > 0 {
            notes.push(Line::styled(
                format!(
                    "{} error lines of more than {} kinds were only counted",
                    self.list.rows.digest.dropped,
                    crate::health::digest::MAX_GROUPS
                ),
                theme.warn,
            ));
        }
        if let Some((level, m)) = &self.message {
            notes.push(Line::styled(m.clone(), super::level_style(*level, theme)));
        }
        notes
    }
}

impl View for ErrorsView {
    fn context(&self) -> &'static str {
        "errors"
    }

    fn opened(&mut self, cx: &mut Ctx<'_>) {
        self.read(cx);
        self.list.refresh(Data::of_ctx(cx));
    }

    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Outcome {
        let action = cx.action("errors", key);
        let window = match action {
            Some(Action::Window5m) => Some(0),
            Some(Action::Window15m) => Some(1),
            Some(Action::Window1h) => Some(2),
            Some(Action::Window6h) => Some(3),
            Some(Action::Window24h) => Some(4),
            _ => None,
        };
        if let Some(w) = window {
            self.set_window(w, cx);
            return Outcome::Handled;
        }
        match action {
            Some(Action::Refresh) => {
                if self.reading.is_some() {
                    cx.fx.notify(Level::Info, "still reading the logs");
                } else {
                    self.read(cx);
                    self.list.refresh(Data::of_ctx(cx));
                }
                return Outcome::Handled;
            }
            Some(Action::Enter) => {
                self.open_logs(cx);
                return Outcome::Handled;
            }
            Some(Action::Help) => {
                return Outcome::Push(Box::new(super::help::Help::new("errors", ACTIONS)));
            }
            _ => {}
        }
        match self.list.key(key, cx) {
            Outcome::Ignored => match (action, key.code) {
                (Some(Action::Back | Action::Quit), _) | (_, KeyCode::Esc) => Outcome::Close,
                _ => Outcome::Handled,
            },
            other => other,
        }
    }

    fn paste(&mut self, _text: &str, cx: &mut Ctx<'_>) -> Outcome {
        cx.fx
            .notify(Level::Warn, "nothing takes a paste here; / to filter first");
        Outcome::Handled
    }

    fn digest_msg(&mut self, generation: u64, part: DigestPart, cx: &mut Ctx<'_>) -> Outcome {
        if generation != self.generation {
            return Outcome::Handled;
        }
        match part {
            DigestPart::Service(r) => {
                self.took(*r);
                if let Some(reading) = &mut self.reading {
                    reading.done += 1;
                }
            }
            DigestPart::Done => {
                self.reading = None;
                self.last_read = Some(cx.now);
                self.list.rows.reading = false;
                let cutoff = cx.now - SignedDuration::from_secs(self.window_secs());
                self.list.rows.digest.prune(cutoff);
            }
        }
        // on the newest group the selection stays on the newest (as `tail -f`); elsewhere
        // it stays on its group
        let newest = self.list.selected_row() == 0;
        let data = Data::of_ctx(cx);
        self.list.refresh(data);
        if newest {
            self.list.select(0, data);
        }
        Outcome::Handled
    }

    fn tick(&mut self, cx: &mut Ctx<'_>) -> bool {
        let due = self
            .last_read
            .is_some_and(|at| cx.now.as_second() - at.as_second() >= REFRESH_SECS);
        if self.reading.is_none() && due {
            self.read(cx);
            self.list.refresh(Data::of_ctx(cx));
        }
        // the ages move
        true
    }

    fn apply_filter(&mut self, filter: &str, data: Data<'_>) -> bool {
        self.list.set_filter(filter.to_string(), data);
        true
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCtx<'_>) {
        let theme = cx.theme;
        let data = Data::of_draw(cx);
        let k = |a: Action| key_of(cx.keymap, "errors", a);
        let mut words: Vec<String> = Vec::new();
        for (a, w) in [
            (Action::Enter, "logs"),
            (Action::Refresh, "read now"),
            (Action::Filter, "filter"),
        ] {
            let key = k(a);
            if !key.is_empty() {
                words.push(format!("{key} {w}"));
            }
        }
        let (first, last) = (k(Action::Window5m), k(Action::Window24h));
        if !first.is_empty() && !last.is_empty() {
            words.push(format!("{first}–{last} window"));
        }
        words.push("Esc close".into());
        // the filter is a second title: room for it
        let filter = if self.list.filter().is_empty() {
            0
        } else {
            self.list.filter().width() + 4
        };
        let room = usize::from(crate::widget::popup_area(area).width).saturating_sub(6 + filter);
        let title = self.title(cx.now, room);
        let inner = popup_frame(
            frame,
            area,
            theme,
            &title,
            self.list.filter(),
            &words.join(" · "),
        );
        let notes = self.notes(theme, cx.now);
        let width = inner.width.max(1);
        let note_h: u16 = notes
            .iter()
            .map(|l| (l.width() as u16).div_ceil(width).max(1))
            .sum::<u16>()
            .min(inner.height / 2);
        let [table, note_area] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(note_h)]).areas(inner);
        self.list.draw_table(frame, table, data, theme, true);
        frame.render_widget(Paragraph::new(notes).wrap(Wrap { trim: false }), note_area);
    }

    fn hints(&self, keymap: &Keymap) -> Vec<(String, String)> {
        let mut h = super::hints_for(
            keymap,
            "errors",
            &[
                (Action::Enter, "logs"),
                (Action::Filter, "filter"),
                (Action::Refresh, "read now"),
            ],
        );
        h.push(("Esc".into(), "close".into()));
        h
    }

    fn actions(&self) -> &'static [Action] {
        ACTIONS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_and_names_fit() {
        assert_eq!(ago(40), "40 s");
        assert_eq!(ago(-3), "0 s");
        assert_eq!(ago(80), "80 s");
        assert_eq!(ago(185), "3 m");
        assert_eq!(ago(7100), "118 m");
        assert_eq!(ago(3 * 3600), "3 h");
        assert_eq!(ago(200_000), "2 d");
        let names: Vec<String> = ["api", "web", "worker"].map(String::from).to_vec();
        assert_eq!(names_in(&names, 40), "api, web, worker");
        assert_eq!(names_in(&names, 12), "api, web +1");
        assert_eq!(names_in(&names, 3), "api +2");
        assert_eq!(names_in(&names[..1], 1), "api");
    }
}
