//! The logs view (`l` on a service or a task, [`super::AppCmd::OpenLogs`]): the screen
//! follows a service's (every task's, each line named `task@node`) or one task's logs live.
//!
//! - **A window**: the tail (the last [`DEFAULT_TAIL`] lines of each task, then live), or the
//!   last 1 m / 5 m / 15 m / 30 m / 1 h, or since a given time; a new window drops the lines
//!   held and starts a new stream.
//! - **A ring** of `log_lines` lines (the config file; the oldest go first); only the rows on
//!   the screen are built.
//! - **Follow or pause**: following, the newest line is at the bottom; paused (`p`, or
//!   scrolled up) the screen stays while lines keep arriving into the ring ("K new lines");
//!   `G` follows again.
//! - **Search** (`/`, the shared input), `n`/`N` to the newer/older match, matches
//!   highlighted; `w` wraps; `t` hides the times; `s` saves what the ring holds to a file.
//! - **An ended stream** (the engine closed it, the manager went away) says so and is
//!   resumed (after 1, 2, 4… up to 30 s, or `r` at once) from the last line seen, without a
//!   line missing or doubled ([`ring::Seen`]). Each stream has an id; what a stream this view
//!   no longer follows sends is dropped.

pub mod ring;

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashMap;

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};
use unicode_width::UnicodeWidthChar;

use super::{Ctx, DrawCtx, LogsRequest, Outcome, View};
use crate::domain::logs::{LogLine, LogStream, MAX_LINE};
use crate::domain::{NodeId, TaskId, TaskState};
use crate::engine::logs::{FollowRequest, LogsEvent, LogsTarget, next_stream};
use crate::engine::{EngineCmd, TaskScope};
use crate::keymap::{Action, Keymap};
use crate::store::{Changed, Level, Store};
use crate::theme::Theme;
use crate::widget::{InputResult, TextInput};
use ring::{Entry, Ring, Seen};

/// The lines (per task) the tail window starts with.
pub const DEFAULT_TAIL: usize = 200;

/// A source's label is cut to this many columns.
const LABEL_MAX: usize = 24;

/// The view's own actions, for the help screen.
pub const ACTIONS: &[Action] = &[
    Action::PauseLogs,
    Action::NextMatch,
    Action::PrevMatch,
    Action::Wrap,
    Action::Timestamps,
    Action::WindowTail,
    Action::Window1m,
    Action::Window5m,
    Action::Window15m,
    Action::Window30m,
    Action::Window1h,
    Action::SaveLogs,
    Action::Reconnect,
];

/// Which lines a stream starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// The last N lines of each task.
    Tail(usize),
    /// The lines of the last minutes.
    Last(SignedDuration),
    /// From a time on (`:errors`: the first occurrence of an error).
    Since(Timestamp),
}

impl Window {
    pub fn label(&self, tz: &TimeZone) -> String {
        match self {
            Window::Tail(n) => format!("tail {n}"),
            Window::Last(d) => {
                let m = d.as_secs() / 60;
                if m >= 60 && m % 60 == 0 {
                    format!("last {}h", m / 60)
                } else {
                    format!("last {m}m")
                }
            }
            Window::Since(t) => format!("since {}", ring::clock(*t, tz)),
        }
    }
}

/// The stream's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamState {
    /// Asked for; nothing arrived yet.
    Connecting,
    /// Lines arrived.
    Live,
    /// It ended (why), and when it is tried again (None: only on `r`).
    Ended {
        why: String,
        retry: Option<Timestamp>,
    },
}

/// Where the lines come from: a task and its node, with the label shown.
#[derive(Debug, Clone)]
struct Source {
    task: Option<TaskId>,
    node: Option<NodeId>,
    label: String,
}

/// The bottom line's prompt: a search or a save.
enum Prompt {
    Search {
        input: TextInput,
        /// Where the screen was, to go back there on Esc.
        pos: Option<u64>,
    },
    Save(TextInput),
}

/// What the last draw showed: the first and last line numbers, and how many lines;
/// `valid` until a key moves the screen (then the position is what counts).
#[derive(Debug, Clone, Copy, Default)]
struct Shown {
    top: u64,
    bottom: u64,
    lines: usize,
    valid: bool,
}

pub struct LogsView {
    req: LogsRequest,
    tz: TimeZone,
    window: Window,
    /// The stream this view follows now (0: none yet).
    stream: u64,
    state: StreamState,
    /// Streams tried since lines last arrived (the back-off).
    attempts: u32,
    ring: Ring,
    sources: Vec<Source>,
    source_index: HashMap<(Option<TaskId>, Option<NodeId>), u32>,
    seen: Seen,
    /// Lines a resumed stream sent again and that were dropped.
    doubles: u64,
    /// None: following (the newest line at the bottom); Some(n): line n stays at the bottom.
    pos: Option<u64>,
    wrap: bool,
    stamps: bool,
    query: String,
    /// The line of the match last jumped to.
    current: Option<u64>,
    /// Jump to the first line that matches as soon as it arrives (`find`).
    pending_find: bool,
    prompt: Option<Prompt>,
    shown: Cell<Shown>,
}

/// How long to wait before trying a stream again after `attempts` tries.
fn backoff(attempts: u32) -> SignedDuration {
    const STEPS: [i64; 6] = [1, 2, 4, 8, 15, 30];
    SignedDuration::from_secs(STEPS[(attempts as usize).min(STEPS.len() - 1)])
}

/// A line's text as shown: tabs as spaces, control characters as visible escapes.
pub fn display(text: &str) -> Cow<'_, str> {
    if text.contains('\t') {
        Cow::Owned(crate::text::printable(&text.replace('\t', "    ")).into_owned())
    } else {
        crate::text::printable(text)
    }
}

fn source_label(store: &Store, task: Option<&TaskId>, node: Option<&NodeId>) -> String {
    let t = task.map(|id| {
        store
            .task(id)
            .map_or_else(|| id.short().to_string(), |t| store.task_name(t))
    });
    let n = node.map(|id| store.node_name(id));
    match (t, n) {
        (Some(t), Some(n)) => format!("{t}@{n}"),
        (Some(t), None) => t,
        (None, Some(n)) => format!("@{n}"),
        (None, None) => String::new(),
    }
}

impl LogsView {
    /// A view for `req`, holding at most `cap` lines, times shown in `tz`. The stream starts
    /// when it is opened.
    pub fn new(req: LogsRequest, cap: usize, tz: TimeZone) -> Self {
        let window = match req.since {
            Some(t) => Window::Since(t),
            None => Window::Tail(DEFAULT_TAIL),
        };
        let query = req.find.clone().unwrap_or_default();
        LogsView {
            pending_find: !query.is_empty(),
            query,
            req,
            tz,
            window,
            stream: 0,
            state: StreamState::Connecting,
            attempts: 0,
            ring: Ring::new(cap),
            sources: Vec::new(),
            source_index: HashMap::new(),
            seen: Seen::default(),
            doubles: 0,
            pos: None,
            wrap: false,
            stamps: true,
            current: None,
            prompt: None,
            shown: Cell::new(Shown::default()),
        }
    }

    pub fn request(&self) -> &LogsRequest {
        &self.req
    }
    pub fn window(&self) -> Window {
        self.window
    }
    pub fn stream(&self) -> u64 {
        self.stream
    }
    pub fn state(&self) -> &StreamState {
        &self.state
    }
    pub fn ring(&self) -> &Ring {
        &self.ring
    }
    /// Whether the screen follows the newest line.
    pub fn following(&self) -> bool {
        self.pos.is_none()
    }
    pub fn query(&self) -> &str {
        &self.query
    }
    /// The line of the match the view is on.
    pub fn current_match(&self) -> Option<u64> {
        self.current
    }
    /// Lines a resumed stream sent again, dropped.
    pub fn doubles(&self) -> u64 {
        self.doubles
    }
    pub fn wraps(&self) -> bool {
        self.wrap
    }
    pub fn shows_times(&self) -> bool {
        self.stamps
    }
    /// The label of line `n`'s source ("api.2@node1"), if it is held.
    pub fn source_of(&self, n: u64) -> Option<&str> {
        let e = self.ring.get(n)?;
        self.sources.get(e.src as usize).map(|s| s.label.as_str())
    }

    /// What the title names: the task, or the service.
    pub fn name(&self) -> &str {
        match &self.req.task {
            Some((_, label)) => label,
            None => &self.req.service_name,
        }
    }

    fn target(&self) -> LogsTarget {
        match &self.req.task {
            Some((id, _)) => LogsTarget::Task(id.clone()),
            None => LogsTarget::Service(self.req.service.clone()),
        }
    }

    /// Start a stream (stopping the one before): from `resume` when it takes over from one
    /// that ended, else as the window says.
    fn start(&mut self, cx: &mut Ctx<'_>, resume: Option<Timestamp>) {
        if self.stream != 0 {
            cx.fx.engine.push(EngineCmd::StopLogs {
                stream: self.stream,
            });
        }
        self.stream = next_stream();
        let (since, tail) = match (resume, self.window) {
            (Some(t), _) => (Some(t), None),
            (None, Window::Tail(n)) => (None, Some(n)),
            (None, Window::Last(d)) => (Some(cx.now - d), None),
            (None, Window::Since(t)) => (Some(t), None),
        };
        cx.fx.engine.push(EngineCmd::FollowLogs(FollowRequest {
            stream: self.stream,
            target: self.target(),
            since,
            tail,
        }));
        self.state = StreamState::Connecting;
    }

    /// A stream that ended is taken over by a new one, from the last lines seen.
    fn reconnect(&mut self, cx: &mut Ctx<'_>) {
        let since = self.seen.resume();
        self.start(cx, since);
    }

    /// Another window: the lines held go, a new stream starts.
    fn set_window(&mut self, w: Window, cx: &mut Ctx<'_>) {
        self.window = w;
        self.ring.clear();
        self.seen.clear();
        self.sources.clear();
        self.source_index.clear();
        self.pos = None;
        self.current = None;
        self.attempts = 0;
        self.shown.set(Shown::default());
        self.start(cx, None);
    }

    /// Whether an ended stream is tried again by itself: not for a task that has ended, a
    /// service that is gone, or an engine that says there is no such thing.
    fn retries(&self, why: &str, store: &Store) -> bool {
        let lower = why.to_ascii_lowercase();
        if lower.contains("no such") || lower.contains("not found") {
            return false;
        }
        match &self.req.task {
            Some((id, _)) => !store.task(id).is_some_and(|t| {
                matches!(
                    t.state,
                    TaskState::Complete
                        | TaskState::Shutdown
                        | TaskState::Failed
                        | TaskState::Rejected
                        | TaskState::Remove
                        | TaskState::Orphaned
                )
            }),
            None => store.services.is_empty() || store.service(&self.req.service).is_some(),
        }
    }

    fn source(&mut self, task: Option<TaskId>, node: Option<NodeId>, store: &Store) -> u32 {
        let key = (task, node);
        if let Some(i) = self.source_index.get(&key) {
            return *i;
        }
        let i = u32::try_from(self.sources.len()).unwrap_or(u32::MAX);
        let label = source_label(store, key.0.as_ref(), key.1.as_ref());
        self.sources.push(Source {
            task: key.0.clone(),
            node: key.1.clone(),
            label,
        });
        self.source_index.insert(key, i);
        i
    }

    fn add(&mut self, l: LogLine, store: &Store) {
        let src = self.source(l.task, l.node, store);
        let err = l.stream == LogStream::Stderr;
        if !self.seen.take((src, err), l.ts, &l.text) {
            self.doubles += 1;
            return;
        }
        let n = self.ring.end();
        let found = self.pending_find && self.hit(&l.text);
        self.ring.push(Entry {
            ts: l.ts,
            err,
            src,
            text: l.text.into_boxed_str(),
            cut: l.cut,
        });
        if found {
            self.pending_find = false;
            self.jump(n);
        }
    }

    fn hit(&self, text: &str) -> bool {
        ring::matches(&display(text), &self.query, ring::folds(&self.query))
    }

    /// The line at the bottom of the screen (as last drawn, unless a key moved it since).
    fn base(&self) -> u64 {
        if self.ring.is_empty() {
            return self.ring.first();
        }
        let s = self.shown.get();
        let last = self.ring.end().saturating_sub(1);
        let b = if s.valid {
            s.bottom
        } else {
            self.pos.unwrap_or(last)
        };
        b.clamp(self.ring.first(), last)
    }

    /// The screen moves to `pos` (what the last draw showed no longer holds).
    fn move_to(&mut self, pos: Option<u64>) {
        self.pos = pos;
        let s = self.shown.get();
        self.shown.set(Shown { valid: false, ..s });
    }

    /// Rows a page moves: the lines last shown, less one.
    fn page(&self, cx: &Ctx<'_>) -> u64 {
        let s = self.shown.get();
        let n = if s.lines > 0 { s.lines } else { cx.page };
        n.saturating_sub(1).max(1) as u64
    }

    fn up(&mut self, n: u64) {
        if self.ring.is_empty() {
            return;
        }
        let s = self.shown.get();
        if s.valid && s.top <= self.ring.first() {
            // the oldest line is on the screen already: stay (paused)
            let b = self.base();
            self.move_to(Some(b));
            return;
        }
        let b = self.base().saturating_sub(n).max(self.ring.first());
        self.move_to(Some(b));
    }

    fn down(&mut self, n: u64) {
        if self.ring.is_empty() || self.pos.is_none() {
            return;
        }
        let last = self.ring.end() - 1;
        let b = (self.base() + n).min(last);
        self.move_to(Some(b));
    }

    /// Put line `n` on the screen (about its middle) and make it the current match.
    fn jump(&mut self, n: u64) {
        self.current = Some(n);
        let half = (self.shown.get().lines.max(2) / 2) as u64;
        let last = self.ring.end().saturating_sub(1);
        self.move_to(Some((n + half).min(last).max(n)));
    }

    /// The newest match at or above `from`.
    fn latest_match(&self, from: u64) -> Option<u64> {
        self.ring
            .range(self.ring.first()..from.saturating_add(1))
            .rev()
            .find(|(_, e)| self.hit(&e.text))
            .map(|(n, _)| n)
    }

    fn step_match(&mut self, newer: bool, cx: &mut Ctx<'_>) {
        if self.query.is_empty() {
            let key = cx
                .keymap
                .keys_in("logs", Action::Filter)
                .first()
                .map_or_else(|| "/".to_string(), ToString::to_string);
            cx.fx
                .notify(Level::Info, format!("no search yet: {key} searches"));
            return;
        }
        let found = match (self.current, newer) {
            (Some(c), true) => self
                .ring
                .range(c + 1..self.ring.end())
                .find(|(_, e)| self.hit(&e.text)),
            (None, true) => self
                .ring
                .range(self.base() + 1..self.ring.end())
                .find(|(_, e)| self.hit(&e.text)),
            (Some(c), false) => self
                .ring
                .range(self.ring.first()..c)
                .rev()
                .find(|(_, e)| self.hit(&e.text)),
            (None, false) => self
                .ring
                .range(self.ring.first()..self.base() + 1)
                .rev()
                .find(|(_, e)| self.hit(&e.text)),
        }
        .map(|(n, _)| n);
        match found {
            Some(n) => self.jump(n),
            None => cx.fx.notify(
                Level::Info,
                format!(
                    "no {} match for {:?} in the lines held",
                    if newer { "newer" } else { "older" },
                    self.query
                ),
            ),
        }
    }

    /// Where a save goes unless the user says otherwise: the current directory (else the
    /// XDG state dir), a name with the service or task and the time.
    pub fn default_path(&self, now: Timestamp) -> std::path::PathBuf {
        let name: String = self
            .name()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let when = now.to_zoned(self.tz.clone()).strftime("%Y%m%d-%H%M%S");
        let dir = std::env::current_dir()
            .ok()
            .or_else(crate::config::state_dir)
            .unwrap_or_default();
        dir.join(format!("swarmdeck-{name}-{when}.log"))
    }

    /// Save the lines held to `typed` (a path); the notice says where and how many, or why
    /// nothing was written. Whether it was saved.
    pub fn save_to(&self, typed: &str, cx: &mut Ctx<'_>) -> bool {
        let typed = typed.trim();
        if typed.is_empty() {
            cx.fx.notify(Level::Warn, "save: type a file name first");
            return false;
        }
        if self.ring.is_empty() {
            cx.fx
                .notify(Level::Warn, "save: no lines held; nothing written");
            return false;
        }
        let path = ring::expand(typed);
        let lines = self.ring.iter().map(|e| {
            let label = self
                .sources
                .get(e.src as usize)
                .map_or("", |s| s.label.as_str());
            ring::saved_line(e, label)
        });
        match ring::save(&path, lines) {
            Ok(n) => {
                cx.fx.notify(
                    Level::Info,
                    format!("saved {n} lines to {}", path.display()),
                );
                true
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                cx.fx.notify(
                    Level::Warn,
                    format!(
                        "{} exists: swarmdeck writes over no file; nothing written (type another name)",
                        path.display()
                    ),
                );
                false
            }
            Err(e) => {
                cx.fx.notify(
                    Level::Danger,
                    format!("cannot save to {}: {e}; nothing written", path.display()),
                );
                false
            }
        }
    }

    fn prompt_key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Outcome {
        match &mut self.prompt {
            None => return Outcome::Ignored,
            Some(Prompt::Search { input, pos }) => match key.code {
                KeyCode::Esc => {
                    let back = *pos;
                    self.prompt = None;
                    self.query.clear();
                    self.current = None;
                    self.move_to(back);
                }
                KeyCode::Enter => {
                    self.prompt = None;
                    if !self.query.is_empty() && self.current.is_none() {
                        cx.fx
                            .notify(Level::Info, format!("no match for {:?}", self.query));
                    }
                }
                _ => {
                    if input.key(key) == InputResult::Edited {
                        self.query = input.text().to_string();
                        self.search_again();
                    }
                }
            },
            Some(Prompt::Save(input)) => match key.code {
                KeyCode::Esc => self.prompt = None,
                KeyCode::Enter => {
                    let typed = input.text().to_string();
                    if self.save_to(&typed, cx) {
                        self.prompt = None;
                    }
                }
                _ => {
                    input.key(key);
                }
            },
        }
        Outcome::Handled
    }

    /// The query was typed: the newest match at or above where the screen was when the
    /// prompt opened, or none (and the screen goes back there).
    fn search_again(&mut self) {
        self.pending_find = false;
        let before = match &self.prompt {
            Some(Prompt::Search { pos, .. }) => *pos,
            _ => self.pos,
        };
        let from = before.unwrap_or(self.ring.end().saturating_sub(1));
        match self.latest_match(from) {
            Some(n) if !self.query.is_empty() => self.jump(n),
            _ => {
                self.current = None;
                self.move_to(before);
            }
        }
    }

    /// The width of the source column (0: one task, or nothing known of the sources).
    fn label_width(&self) -> usize {
        if self.req.task.is_some() {
            return 0;
        }
        self.sources
            .iter()
            .map(|s| unicode_width::UnicodeWidthStr::width(s.label.as_str()))
            .max()
            .unwrap_or(0)
            .min(LABEL_MAX)
    }

    /// Line `n`'s spans, on one row.
    fn spans(&self, n: u64, e: &Entry, label_w: usize, theme: &Theme) -> Vec<Span<'static>> {
        let mut spans = Vec::new();
        if self.stamps {
            let t =
                e.ts.map_or_else(|| "--:--:--.---".to_string(), |t| ring::clock(t, &self.tz));
            spans.push(Span::styled(format!("{t} "), theme.muted));
        }
        if label_w > 0 {
            let label = self
                .sources
                .get(e.src as usize)
                .map_or("", |s| s.label.as_str());
            spans.push(Span::styled(
                format!("{} ", fit(label, label_w)),
                theme.accent,
            ));
        }
        // stderr is marked, not only coloured: it shows without colour too
        if e.err {
            spans.push(Span::styled("! ", theme.warn.add_modifier(Modifier::BOLD)));
        } else {
            spans.push(Span::styled("  ", theme.muted));
        }
        let base = if e.err { theme.warn } else { theme.text };
        let text = display(&e.text).into_owned();
        let hits = if self.query.is_empty() {
            Vec::new()
        } else {
            ring::find_all(&text, &self.query, ring::folds(&self.query))
        };
        if hits.is_empty() {
            spans.push(Span::styled(text, base));
        } else {
            let on = if self.current == Some(n) {
                theme
                    .accent
                    .add_modifier(Modifier::REVERSED | Modifier::BOLD | Modifier::UNDERLINED)
            } else {
                theme.accent.add_modifier(Modifier::REVERSED)
            };
            let mut at = 0;
            for r in hits {
                if r.start > at {
                    spans.push(Span::styled(text[at..r.start].to_string(), base));
                }
                spans.push(Span::styled(text[r.clone()].to_string(), on));
                at = r.end;
            }
            if at < text.len() {
                spans.push(Span::styled(text[at..].to_string(), base));
            }
        }
        if e.cut {
            spans.push(Span::styled(
                format!(" …[cut at {} KiB]", MAX_LINE / 1024),
                theme.muted,
            ));
        }
        spans
    }

    /// Line `n`'s rows at `width`: one (cut at the edge), or as many as it wraps to.
    fn rows(
        &self,
        n: u64,
        e: &Entry,
        width: usize,
        label_w: usize,
        theme: &Theme,
    ) -> Vec<Line<'static>> {
        let spans = self.spans(n, e, label_w, theme);
        if self.wrap {
            wrap_spans(spans, width)
        } else {
            vec![Line::from(spans)]
        }
    }

    /// The status on the title's right.
    fn status(&self, theme: &Theme) -> Span<'static> {
        let held = self.ring.len();
        match &self.state {
            StreamState::Connecting => Span::styled(" connecting… ", theme.muted),
            StreamState::Ended { .. } => {
                Span::styled(format!(" ended · {held} lines "), theme.danger)
            }
            StreamState::Live => match self.pos {
                None => Span::styled(format!(" following · {held} lines "), theme.ok),
                Some(_) => {
                    let s = self.shown.get();
                    let bottom = if s.valid { s.bottom } else { self.base() };
                    let newer = self.ring.end().saturating_sub(1).saturating_sub(bottom);
                    Span::styled(
                        format!(" paused, {newer} new lines · {held} held "),
                        theme.warn,
                    )
                }
            },
        }
    }

    fn draw_lines(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let width = usize::from(area.width);
        let height = usize::from(area.height);
        if width == 0 || height == 0 {
            return;
        }
        if self.ring.is_empty() {
            self.shown.set(Shown::default());
            let text = match &self.state {
                StreamState::Connecting => "connecting…",
                StreamState::Live => "no lines yet: following",
                StreamState::Ended { .. } => "no lines",
            };
            frame.render_widget(Paragraph::new(Line::styled(text, theme.muted)), area);
            return;
        }
        let label_w = self.label_width();
        let (first, end) = (self.ring.first(), self.ring.end());
        let bottom = self.pos.map_or(end - 1, |p| p.clamp(first, end - 1));
        // from the bottom line up until the screen is full; when the oldest line comes
        // first, the screen fills downwards from it
        let mut older: Vec<(u64, Vec<Line<'static>>)> = Vec::new();
        let mut used = 0;
        for (n, e) in self.ring.range(first..bottom + 1).rev() {
            let rows = self.rows(n, e, width, label_w, theme);
            used += rows.len();
            older.push((n, rows));
            if used >= height {
                break;
            }
        }
        older.reverse();
        let mut newer: Vec<(u64, Vec<Line<'static>>)> = Vec::new();
        if used < height {
            for (n, e) in self.ring.range(bottom + 1..end) {
                let rows = self.rows(n, e, width, label_w, theme);
                used += rows.len();
                newer.push((n, rows));
                if used >= height {
                    break;
                }
            }
        }
        let top = older.first().map_or(bottom, |(n, _)| *n);
        let last = newer.last().or(older.last()).map_or(bottom, |(n, _)| *n);
        let count = older.len() + newer.len();
        let mut lines: Vec<Line<'static>> = older
            .into_iter()
            .chain(newer)
            .flat_map(|(_, rows)| rows)
            .collect();
        if lines.len() > height {
            if self.pos.is_some() && last > bottom {
                lines.truncate(height);
            } else {
                // the oldest line shown loses its first rows
                lines.drain(..lines.len() - height);
            }
        }
        self.shown.set(Shown {
            top,
            bottom: last,
            lines: count,
            valid: true,
        });
        frame.render_widget(Paragraph::new(lines).style(theme.text), area);
    }
}

/// `text` cut (with `…`) or padded to `w` columns.
fn fit(text: &str, w: usize) -> String {
    let mut out = String::new();
    let mut col = 0;
    let total = unicode_width::UnicodeWidthStr::width(text);
    for c in text.chars() {
        let cw = c.width().unwrap_or(0);
        if total > w && col + cw + 1 > w {
            out.push('…');
            col += 1;
            break;
        }
        if col + cw > w {
            break;
        }
        out.push(c);
        col += cw;
    }
    out.push_str(&" ".repeat(w.saturating_sub(col)));
    out
}

/// Spans cut into rows of `width` columns (at characters: logs are not prose).
pub fn wrap_spans(spans: Vec<Span<'static>>, width: usize) -> Vec<Line<'static>> {
    let width = width.max(1);
    let mut rows: Vec<Line<'static>> = Vec::new();
    let mut row: Vec<Span<'static>> = Vec::new();
    let mut col = 0;
    for span in spans {
        let style: Style = span.style;
        let mut buf = String::new();
        for c in span.content.chars() {
            let w = c.width().unwrap_or(0);
            if col + w > width && col > 0 {
                if !buf.is_empty() {
                    row.push(Span::styled(std::mem::take(&mut buf), style));
                }
                rows.push(Line::from(std::mem::take(&mut row)));
                col = 0;
            }
            buf.push(c);
            col += w;
        }
        if !buf.is_empty() {
            row.push(Span::styled(buf, style));
        }
    }
    if !row.is_empty() || rows.is_empty() {
        rows.push(Line::from(row));
    }
    rows
}

impl View for LogsView {
    fn context(&self) -> &'static str {
        "logs"
    }

    fn full_screen(&self) -> bool {
        true
    }

    fn opened(&mut self, cx: &mut Ctx<'_>) {
        if self.stream == 0 {
            // the service's task history names the tasks that have ended since (their
            // lines are in the logs too): `web.1@node3`, not an id
            if self.req.task.is_none() {
                cx.fx.engine.push(EngineCmd::ReadTasks(TaskScope::Service(
                    self.req.service.clone(),
                )));
            }
            self.start(cx, None);
        }
    }

    fn scopes(&self) -> Vec<TaskScope> {
        if self.req.task.is_none() {
            vec![TaskScope::Service(self.req.service.clone())]
        } else {
            Vec::new()
        }
    }

    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Outcome {
        if self.prompt.is_some() {
            return self.prompt_key(key, cx);
        }
        let action = cx.action("logs", key);
        match action {
            Some(Action::Back | Action::Quit) => {
                cx.fx.engine.push(EngineCmd::StopLogs {
                    stream: self.stream,
                });
                return Outcome::Close;
            }
            None if key.code == KeyCode::Esc => {
                cx.fx.engine.push(EngineCmd::StopLogs {
                    stream: self.stream,
                });
                return Outcome::Close;
            }
            Some(Action::Help) => {
                return Outcome::Push(Box::new(super::help::Help::new("logs", ACTIONS)));
            }
            Some(Action::Up) => self.up(1),
            Some(Action::Down) => self.down(1),
            Some(Action::PageUp) => {
                let p = self.page(cx);
                self.up(p);
            }
            Some(Action::PageDown) => {
                let p = self.page(cx);
                self.down(p);
            }
            // the screen fills downwards from the oldest line
            Some(Action::Top) if !self.ring.is_empty() => {
                self.move_to(Some(self.ring.first()));
            }
            Some(Action::Bottom) => self.move_to(None),
            Some(Action::PauseLogs) => {
                let pos = match self.pos {
                    Some(_) => None,
                    None => Some(self.base()),
                };
                self.move_to(pos);
            }
            Some(Action::Filter) => {
                let input = if self.query.is_empty() {
                    TextInput::new()
                } else {
                    TextInput::with_text(&self.query).selected()
                };
                self.prompt = Some(Prompt::Search {
                    input: input.with_max_len(200),
                    pos: self.pos,
                });
            }
            Some(Action::NextMatch) => self.step_match(true, cx),
            Some(Action::PrevMatch) => self.step_match(false, cx),
            Some(Action::Wrap) => self.wrap = !self.wrap,
            Some(Action::Timestamps) => self.stamps = !self.stamps,
            Some(Action::WindowTail) => self.set_window(Window::Tail(DEFAULT_TAIL), cx),
            Some(Action::Window1m) => {
                self.set_window(Window::Last(SignedDuration::from_mins(1)), cx)
            }
            Some(Action::Window5m) => {
                self.set_window(Window::Last(SignedDuration::from_mins(5)), cx)
            }
            Some(Action::Window15m) => {
                self.set_window(Window::Last(SignedDuration::from_mins(15)), cx);
            }
            Some(Action::Window30m) => {
                self.set_window(Window::Last(SignedDuration::from_mins(30)), cx);
            }
            Some(Action::Window1h) => {
                self.set_window(Window::Last(SignedDuration::from_hours(1)), cx)
            }
            Some(Action::SaveLogs) => {
                let path = self.default_path(cx.now);
                self.prompt = Some(Prompt::Save(
                    TextInput::with_text(path.display().to_string()).with_max_len(4096),
                ));
            }
            Some(Action::Reconnect) => {
                self.attempts = 0;
                self.reconnect(cx);
            }
            _ => {}
        }
        Outcome::Handled
    }

    fn paste(&mut self, text: &str, cx: &mut Ctx<'_>) -> Outcome {
        let (result, search) = match &mut self.prompt {
            Some(Prompt::Search { input, .. }) => (input.paste(text), true),
            Some(Prompt::Save(input)) => (input.paste(text), false),
            None => return Outcome::Ignored,
        };
        match result {
            Err(why) => cx.fx.notify(Level::Warn, why),
            Ok(()) if search => {
                if let Some(Prompt::Search { input, .. }) = &self.prompt {
                    self.query = input.text().to_string();
                    self.search_again();
                }
            }
            Ok(()) => {}
        }
        Outcome::Handled
    }

    fn logs_msg(&mut self, stream: u64, event: LogsEvent, cx: &mut Ctx<'_>) -> Outcome {
        if stream != self.stream {
            return Outcome::Handled;
        }
        match event {
            LogsEvent::Lines(lines, _credit) => {
                self.state = StreamState::Live;
                self.attempts = 0;
                for l in lines {
                    self.add(l, cx.store);
                }
            }
            LogsEvent::Ended(r) => {
                let why = match r {
                    Ok(()) => "the engine closed the stream".to_string(),
                    Err(e) => crate::text::printable(&e).into_owned(),
                };
                let retry = self
                    .retries(&why, cx.store)
                    .then(|| cx.now + backoff(self.attempts));
                self.attempts += 1;
                self.state = StreamState::Ended { why, retry };
            }
        }
        Outcome::Handled
    }

    fn tick(&mut self, cx: &mut Ctx<'_>) -> bool {
        if let StreamState::Ended {
            retry: Some(at), ..
        } = &self.state
        {
            if cx.now >= *at {
                self.reconnect(cx);
            }
            // the countdown moves
            return true;
        }
        false
    }

    fn changed(&mut self, what: Changed, cx: &mut Ctx<'_>) {
        if what.tasks || what.scoped || what.nodes || what.services {
            for s in &mut self.sources {
                s.label = source_label(cx.store, s.task.as_ref(), s.node.as_ref());
            }
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCtx<'_>) {
        let theme = cx.theme;
        frame.render_widget(Clear, area);
        let title = Line::from(vec![
            Span::styled(
                format!(" logs: {} ", crate::text::printable(self.name())),
                theme.title,
            ),
            Span::styled(format!("· {} ", self.window.label(&self.tz)), theme.accent),
        ]);
        let mut bottom = Vec::new();
        if !self.query.is_empty() {
            bottom.push(Span::styled(
                format!(" /{} ", crate::text::printable(&self.query)),
                theme.accent,
            ));
            if self.current.is_none() && !self.pending_find {
                bottom.push(Span::styled("no match ", theme.warn));
            }
        }
        let marks = if self.wrap { " wrap " } else { "" };
        if !marks.is_empty() {
            bottom.push(Span::styled(marks, theme.muted));
        }
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(theme.border_style(true))
            .title(title)
            .title(Line::from(self.status(theme)).right_aligned())
            .title_bottom(Line::from(bottom))
            .style(theme.text);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        // an ended stream says so on the last row, with what happens next
        let body = if let StreamState::Ended { why, retry } = &self.state
            && inner.height >= 2
        {
            let r = cx
                .keymap
                .keys_in("logs", Action::Reconnect)
                .first()
                .map_or_else(String::new, ToString::to_string);
            let next = match retry {
                Some(at) => {
                    let secs = at.duration_since(cx.now).as_secs().max(0);
                    format!("reconnecting in {secs} s ({r}: now)")
                }
                None => format!("{r} reconnects"),
            };
            let row = Rect {
                y: inner.y + inner.height - 1,
                height: 1,
                ..inner
            };
            frame.render_widget(
                Paragraph::new(Line::styled(
                    format!("── stream ended, {next}: {why}"),
                    theme.danger,
                )),
                row,
            );
            Rect {
                height: inner.height - 1,
                ..inner
            }
        } else {
            inner
        };
        self.draw_lines(frame, body, theme);
    }

    fn hints(&self, keymap: &Keymap) -> Vec<(String, String)> {
        match &self.prompt {
            Some(Prompt::Search { .. }) => {
                return vec![
                    ("Enter".into(), "keep".into()),
                    ("Esc".into(), "clear".into()),
                ];
            }
            Some(Prompt::Save(_)) => {
                return vec![
                    ("Enter".into(), "save".into()),
                    ("Esc".into(), "cancel".into()),
                ];
            }
            None => {}
        }
        let mut h = super::hints_for(
            keymap,
            "logs",
            &[
                (Action::Filter, "search"),
                (Action::PauseLogs, "pause"),
                (Action::Bottom, "follow"),
            ],
        );
        let first = |a| keymap.keys_in("logs", a).first().map(ToString::to_string);
        if let (Some(a), Some(b)) = (first(Action::WindowTail), first(Action::Window1h)) {
            h.push((format!("{a}–{b}"), "window".into()));
        }
        h.extend(super::hints_for(
            keymap,
            "logs",
            &[
                (Action::SaveLogs, "save"),
                (Action::Back, "close"),
                (Action::NextMatch, "next"),
                (Action::Wrap, "wrap"),
                (Action::Timestamps, "time"),
            ],
        ));
        h
    }

    fn actions(&self) -> &'static [Action] {
        ACTIONS
    }

    fn prompt_line(&self, cx: &DrawCtx<'_>, width: u16) -> Option<Line<'_>> {
        let theme = cx.theme;
        match self.prompt.as_ref()? {
            Prompt::Search { input, .. } => {
                let mut spans = super::prompt_spans("/", input, width, theme);
                if !input.is_empty() && self.current.is_none() {
                    spans.push(Span::styled("   no match", theme.warn));
                }
                spans.push(Span::styled("   Enter keep · Esc clear", theme.muted));
                Some(Line::from(spans))
            }
            Prompt::Save(input) => {
                let mut spans = super::prompt_spans("save to: ", input, width, theme);
                spans.push(Span::styled("   Enter save · Esc cancel", theme.muted));
                Some(Line::from(spans))
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_cuts_at_the_width_and_keeps_styles() {
        let spans = vec![
            Span::styled("12:00 ", Style::new().add_modifier(Modifier::DIM)),
            Span::raw("abcdefghij"),
        ];
        let rows = wrap_spans(spans, 7);
        let text: Vec<String> = rows.iter().map(|l| l.to_string()).collect();
        assert_eq!(text, ["12:00 a", "bcdefgh", "ij"]);
        assert_eq!(rows[0].spans.len(), 2, "the style changes inside the row");
        // wide characters do not split
        let rows = wrap_spans(vec![Span::raw("ab🐳cd")], 3);
        let text: Vec<String> = rows.iter().map(|l| l.to_string()).collect();
        assert_eq!(text, ["ab", "🐳c", "d"]);
        assert_eq!(
            wrap_spans(Vec::new(), 10).len(),
            1,
            "an empty line is a row"
        );
    }

    #[test]
    fn labels_fit_their_column() {
        assert_eq!(fit("api.1@node1", 12), "api.1@node1 ");
        assert_eq!(fit("averyveryverylongname.12@node4", 10), "averyvery…");
        assert_eq!(fit("", 3), "   ");
    }

    #[test]
    fn windows_are_named() {
        let tz = TimeZone::UTC;
        assert_eq!(Window::Tail(200).label(&tz), "tail 200");
        assert_eq!(
            Window::Last(SignedDuration::from_mins(5)).label(&tz),
            "last 5m"
        );
        assert_eq!(
            Window::Last(SignedDuration::from_hours(1)).label(&tz),
            "last 1h"
        );
        let t: Timestamp = "2026-12-02T01:58:04.695Z".parse().unwrap();
        assert_eq!(Window::Since(t).label(&tz), "since 01:58:04.695");
        assert_eq!(backoff(0).as_secs(), 1);
        assert_eq!(backoff(3).as_secs(), 8);
        assert_eq!(backoff(40).as_secs(), 30);
        assert_eq!(display("a\tb\u{1b}[31m"), "a    b\\x1b[31m");
    }
}
