//! `:cluster`: the swarm's own settings (id, ages, Raft, dispatcher, orchestration, CA,
//! autolock, address pool, data-path port), every node's addresses and the join tokens, as
//! one list with sections in a popup over the whole screen. A token is masked until `r`
//! shows it for 30 s (below the list, with a countdown); `c` copies the ready-to-paste
//! `docker swarm join` line (OSC 52) without showing it; `R` rotates it after a confirm,
//! through the versioned write core. Reveal and copy are reads: they stay in readonly mode.

use jiff::{SignedDuration, Timestamp};
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::list::{Column, Data, ListPane, Rows};
use super::{AppCmd, Ctx, DrawCtx, Outcome, View};
use crate::app::ops::{Follow, PendingWrite};
use crate::domain::cluster::{JoinRole, SwarmInfo, duration_text, join_command};
use crate::domain::{Node, short_age};
use crate::engine::cluster::{ClusterAnswer, ClusterCmd};
use crate::engine::write::{WriteError, WriteOutcome, rotate_action};
use crate::engine::{WriteChange, WriteTarget};
use crate::keymap::{Action, Keymap};
use crate::store::{Changed, Level, Store};
use crate::theme::Theme;
use crate::widget::{ConfirmDialog, ConfirmResult, Tone};

/// How long a revealed token stays on screen.
pub const REVEAL_SECS: i64 = 30;

/// The actions of the popup (help and hints).
const ACTIONS: &[Action] = &[Action::Reveal, Action::Copy, Action::Rotate];

/// A value cell.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Text(String),
    Muted(String),
    Warn(String),
    Danger(String),
    /// A time, with its age (drawn with the clock).
    Time(Option<Timestamp>),
    /// A certificate's expiry, with how far off it is.
    Expiry {
        subject: String,
        at: Timestamp,
    },
    Token(JoinRole),
}

#[derive(Debug, Clone, PartialEq)]
struct Item {
    section: &'static str,
    key: String,
    value: Value,
}

/// The rows: the swarm read, the items made of it and of the store, and which token is
/// shown until when.
pub struct ClusterRows {
    swarm: Option<SwarmInfo>,
    items: Vec<Item>,
    revealed: Option<(JoinRole, Timestamp)>,
}

fn or_not_reported<T: std::fmt::Display>(v: Option<T>) -> Value {
    match v {
        Some(v) => Value::Text(v.to_string()),
        None => Value::Muted("not reported".into()),
    }
}

/// When `at` is, from `now`: "12d ago", "in 19y".
fn relative(at: Timestamp, now: Timestamp) -> String {
    let secs = at.as_second() - now.as_second();
    if secs >= 0 {
        let d = secs / 86_400;
        if d >= 730 {
            format!("in {}y", d / 365)
        } else if d >= 1 {
            format!("in {d}d")
        } else {
            format!("in {}h", secs / 3600)
        }
    } else {
        format!("{} ago", short_age(at, now))
    }
}

fn date(at: Timestamp) -> String {
    at.strftime("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// The connected manager's node, if the store knows it.
fn connected_node(store: &Store) -> Option<&Node> {
    let info = store.info.as_ref()?;
    store.nodes.iter().find(|n| n.id == info.node_id)
}

/// Where a new node joins: the connected manager's advertise address (`ManagerStatus.Addr`,
/// as `docker swarm join-token` prints it), else `/info`'s `NodeAddr` with the manager port.
pub fn join_addr(store: &Store) -> Option<String> {
    if let Some(m) = connected_node(store).and_then(|n| n.manager.as_ref())
        && !m.addr.is_empty()
    {
        return Some(m.addr.clone());
    }
    let info = store.info.as_ref()?;
    (!info.node_addr.is_empty()).then(|| format!("{}:2377", info.node_addr))
}

/// The connected engine's node name ("node1"), for the texts that say whose view it is.
pub fn engine_name(store: &Store) -> String {
    if let Some(n) = connected_node(store) {
        return n.hostname.clone();
    }
    match &store.info {
        Some(i) if !i.name.is_empty() => i.name.clone(),
        _ => "the connected".into(),
    }
}

impl ClusterRows {
    fn rebuild(&mut self, store: &Store) {
        let mut items = Vec::new();
        let mut push = |section: &'static str, key: &str, value: Value| {
            items.push(Item {
                section,
                key: key.to_string(),
                value,
            });
        };
        let me = engine_name(store);
        if let Some(s) = &self.swarm {
            push("join", "worker token", Value::Token(JoinRole::Worker));
            push("join", "manager token", Value::Token(JoinRole::Manager));
            push(
                "join",
                "join address",
                match join_addr(store) {
                    Some(a) => Value::Text(format!("{a} ({me}'s advertise address)")),
                    None => Value::Muted("not known yet".into()),
                },
            );
            push("swarm", "id", Value::Text(s.id.clone()));
            push("swarm", "created", Value::Time(s.created));
            push("swarm", "updated", Value::Time(s.updated));
            push(
                "swarm",
                "labels",
                if s.labels.is_empty() {
                    Value::Muted("none".into())
                } else {
                    Value::Text(
                        s.labels
                            .iter()
                            .map(|(k, v)| format!("{k}={v}"))
                            .collect::<Vec<_>>()
                            .join(" "),
                    )
                },
            );
            push(
                "raft",
                "snapshot interval",
                match s.snapshot_interval {
                    Some(n) => Value::Text(format!("{n} log entries")),
                    None => or_not_reported(None::<u64>),
                },
            );
            push(
                "raft",
                "old snapshots kept",
                or_not_reported(s.keep_old_snapshots),
            );
            push(
                "raft",
                "entries for slow followers",
                or_not_reported(s.log_entries_for_slow_followers),
            );
            push(
                "raft",
                "election tick",
                match s.election_tick {
                    Some(n) => Value::Text(format!("{n} ticks without a heartbeat")),
                    None => or_not_reported(None::<u64>),
                },
            );
            push("raft", "heartbeat tick", or_not_reported(s.heartbeat_tick));
            push(
                "dispatcher",
                "heartbeat period",
                match s.dispatcher_heartbeat_ns {
                    Some(ns) => Value::Text(format!(
                        "{} (a node is marked down after about 3 missed)",
                        duration_text(ns)
                    )),
                    None => or_not_reported(None::<u64>),
                },
            );
            push(
                "orchestration",
                "task history retention",
                match s.task_history_limit {
                    Some(n) => Value::Text(format!("{n} tasks per slot")),
                    None => or_not_reported(None::<u64>),
                },
            );
            push(
                "ca",
                "node cert expiry",
                match s.node_cert_expiry_ns {
                    Some(ns) => Value::Text(duration_text(ns)),
                    None => or_not_reported(None::<u64>),
                },
            );
            match &s.root_error {
                Some(e) => push("ca", "root CA", Value::Warn(format!("cannot read it: {e}"))),
                None => {
                    for c in &s.root_certs {
                        push(
                            "ca",
                            "root CA",
                            Value::Expiry {
                                subject: c.subject.clone(),
                                at: c.not_after,
                            },
                        );
                    }
                }
            }
            push(
                "ca",
                "root rotation",
                match s.root_rotation {
                    Some(true) => Value::Warn("in progress".into()),
                    Some(false) => Value::Text("not in progress".into()),
                    None => or_not_reported(None::<u64>),
                },
            );
            if let Some(n) = s.ca_force_rotate {
                push("ca", "force rotate", Value::Text(n.to_string()));
            }
            push(
                "ca",
                "external CAs",
                if s.external_cas.is_empty() {
                    Value::Muted("none (the swarm signs its own node certificates)".into())
                } else {
                    Value::Text(
                        s.external_cas
                            .iter()
                            .map(|c| format!("{} {}", c.protocol, c.url))
                            .collect::<Vec<_>>()
                            .join(", "),
                    )
                },
            );
            push(
                "encryption",
                "autolock",
                match s.autolock {
                    Some(true) => {
                        Value::Text("on (a restarted manager needs the unlock key)".into())
                    }
                    Some(false) => Value::Text("off".into()),
                    None => or_not_reported(None::<u64>),
                },
            );
        }
        let state = store.info.as_ref().map(|i| i.swarm_state.clone());
        push(
            "encryption",
            &format!("{me} (connected)"),
            match state.as_deref() {
                Some("locked") => Value::Danger("locked: run docker swarm unlock on it".into()),
                Some("") | None => Value::Muted("not reported".into()),
                Some(other) => Value::Text(format!("{other}, not locked")),
            },
        );
        if let Some(s) = &self.swarm {
            push(
                "networking",
                "default address pool",
                if s.default_addr_pool.is_empty() {
                    Value::Muted("not reported".into())
                } else {
                    Value::Text(s.default_addr_pool.join(", "))
                },
            );
            push(
                "networking",
                "subnet size",
                match s.subnet_size {
                    Some(n) => Value::Text(format!("/{n}")),
                    None => or_not_reported(None::<u64>),
                },
            );
            push(
                "networking",
                "data-path port",
                match s.data_path_port {
                    Some(p) => Value::Text(format!("{p} (VXLAN, UDP)")),
                    None => or_not_reported(None::<u64>),
                },
            );
        }
        push(
            "networking",
            "data-path address",
            Value::Muted(
                "not in the API: the advertise address unless --data-path-addr was set".into(),
            ),
        );
        let mut nodes: Vec<&Node> = store.nodes.iter().collect();
        nodes.sort_by(|a, b| a.hostname.cmp(&b.hostname));
        let connected = store.info.as_ref().map(|i| i.node_id.clone());
        for n in nodes {
            let role = match (&n.manager, n.is_leader()) {
                (_, true) => "manager, leader",
                (Some(_), false) => "manager",
                (None, _) => "worker",
            };
            let here = if connected.as_ref() == Some(&n.id) {
                ", connected"
            } else {
                ""
            };
            let addr = match &n.manager {
                Some(m) if !m.addr.is_empty() => format!("advertise {}", m.addr),
                _ if !n.status_addr.is_empty() => format!("advertise {}", n.status_addr),
                _ => String::new(),
            };
            let value = if addr.is_empty() {
                Value::Muted("no address reported".into())
            } else {
                Value::Text(format!("{addr} · data path: same unless set at join"))
            };
            push("nodes", &format!("{} ({role}{here})", n.hostname), value);
        }
        self.items = items;
    }

    fn cell(&self, v: &Value, now: Timestamp, theme: &Theme) -> Line<'static> {
        match v {
            Value::Text(t) => Line::styled(t.clone(), theme.text),
            Value::Muted(t) => Line::styled(t.clone(), theme.muted),
            Value::Warn(t) => Line::styled(t.clone(), theme.warn),
            Value::Danger(t) => Line::styled(t.clone(), theme.danger),
            Value::Time(None) => Line::styled("not reported", theme.muted),
            Value::Time(Some(at)) => Line::from(vec![
                Span::styled(date(*at), theme.text),
                Span::styled(format!(" ({})", relative(*at, now)), theme.muted),
            ]),
            Value::Expiry { subject, at } => {
                let soon = at.as_second() - now.as_second() < 30 * 86_400;
                Line::from(vec![
                    Span::styled(format!("{subject}, expires "), theme.text),
                    Span::styled(
                        format!("{} ({})", date(*at), relative(*at, now)),
                        if soon { theme.warn } else { theme.text },
                    ),
                ])
            }
            Value::Token(role) => {
                let Some(s) = &self.swarm else {
                    return Line::default();
                };
                let token = s.token(*role);
                if token.is_empty() {
                    return Line::styled("not reported", theme.muted);
                }
                match self.revealed {
                    Some((r, until)) if r == *role => Line::styled(
                        format!(
                            "shown below · masked again in {} s",
                            (until.as_second() - now.as_second()).max(0)
                        ),
                        theme.warn,
                    ),
                    _ => Line::styled(token.masked(), theme.accent),
                }
            }
        }
    }
}

impl Rows for ClusterRows {
    fn context(&self) -> &'static str {
        "cluster"
    }
    fn title(&self, _data: Data<'_>, _shown: usize) -> String {
        match &self.swarm {
            Some(s) => format!("cluster {}", s.id.get(..12).unwrap_or(&s.id)),
            None => "cluster".into(),
        }
    }
    fn len(&self, _data: Data<'_>) -> usize {
        self.items.len()
    }
    fn id(&self, _data: Data<'_>, i: usize) -> String {
        let it = &self.items[i];
        // the same setting twice (a trust root of two certificates): its place among them
        let nth = self.items[..i]
            .iter()
            .filter(|o| o.section == it.section && o.key == it.key)
            .count();
        format!("{}/{}/{nth}", it.section, it.key)
    }
    fn text(&self, _data: Data<'_>, i: usize) -> String {
        let it = &self.items[i];
        let value = match &it.value {
            Value::Text(t) | Value::Muted(t) | Value::Warn(t) | Value::Danger(t) => t.clone(),
            Value::Expiry { subject, .. } => subject.clone(),
            // never the token
            Value::Time(_) | Value::Token(_) => String::new(),
        };
        format!("{} {} {value}", it.section, it.key)
    }
    fn shows(&self, what: Changed) -> bool {
        what.nodes || what.conn
    }
    fn columns(&self, _data: Data<'_>, _width: u16) -> Vec<Column> {
        vec![
            Column::fixed("SECTION", 13, 2),
            Column::fixed("SETTING", 26, 0),
            Column::fill("VALUE", 20, 0),
        ]
    }
    fn cells(&self, data: Data<'_>, theme: &Theme, i: usize) -> Vec<Line<'static>> {
        let it = &self.items[i];
        let first = i == 0 || self.items[i - 1].section != it.section;
        vec![
            Line::styled(
                if first { it.section } else { "" }.to_string(),
                theme.accent,
            ),
            Line::styled(it.key.clone(), theme.text),
            self.cell(&it.value, data.now, theme),
        ]
    }
    fn empty(&self, _data: Data<'_>, filtered: bool) -> &'static str {
        if filtered {
            "no setting matches the filter"
        } else {
            "reading the swarm…"
        }
    }
}

/// The `:cluster` popup.
pub struct ClusterView {
    list: ListPane<ClusterRows>,
    loading: bool,
    error: Option<String>,
    /// The rotate confirm, open over the list.
    confirm: Option<(JoinRole, ConfirmDialog)>,
    /// A rotation sent, not answered yet.
    rotating: Option<JoinRole>,
}

impl Default for ClusterView {
    fn default() -> Self {
        Self::new()
    }
}

impl ClusterView {
    pub fn new() -> Self {
        ClusterView {
            list: ListPane::new(ClusterRows {
                swarm: None,
                items: Vec::new(),
                revealed: None,
            }),
            loading: true,
            error: None,
            confirm: None,
            rotating: None,
        }
    }

    pub fn list(&self) -> &ListPane<ClusterRows> {
        &self.list
    }

    /// The token shown now, if one is.
    pub fn revealed(&self) -> Option<JoinRole> {
        self.list.rows.revealed.map(|(r, _)| r)
    }

    /// Whether the rotate confirm is open.
    pub fn confirming(&self) -> Option<JoinRole> {
        self.confirm.as_ref().map(|(r, _)| *r)
    }

    pub fn swarm(&self) -> Option<&SwarmInfo> {
        self.list.rows.swarm.as_ref()
    }

    /// Select the row of this token.
    pub fn select_token(&mut self, role: JoinRole, data: Data<'_>) {
        if let Some(i) = self
            .list
            .rows
            .items
            .iter()
            .position(|it| it.value == Value::Token(role))
        {
            let id = self.list.rows.id(data, i);
            self.list.select_id(&id, data);
        }
    }

    fn read(&mut self, cx: &mut Ctx<'_>) {
        self.loading = true;
        cx.fx.app.push(AppCmd::Cluster(ClusterCmd::Swarm));
    }

    fn rebuild(&mut self, cx: &Ctx<'_>) {
        self.list.rows.rebuild(cx.store);
        self.list.refresh(Data::of_ctx(cx));
    }

    /// The token of the selected row, if it is one.
    fn selected_token(&self) -> Option<JoinRole> {
        let i = self.list.selected()?;
        match self.list.rows.items.get(i)?.value {
            Value::Token(r) => Some(r),
            _ => None,
        }
    }

    fn token_action(&mut self, action: Action, cx: &mut Ctx<'_>) -> Outcome {
        let Some(role) = self.selected_token() else {
            cx.fx.notify(
                Level::Info,
                format!(
                    "{}: select the worker or manager token first",
                    action.name()
                ),
            );
            return Outcome::Handled;
        };
        let Some(swarm) = self.list.rows.swarm.as_ref() else {
            return Outcome::Handled;
        };
        if swarm.token(role).is_empty() {
            cx.fx
                .notify(Level::Warn, format!("the engine sent no {role} token"));
            return Outcome::Handled;
        }
        match action {
            Action::Reveal => {
                self.list.rows.revealed = match self.list.rows.revealed {
                    // r again on the shown one masks it at once
                    Some((r, _)) if r == role => None,
                    _ => Some((role, cx.now + SignedDuration::from_secs(REVEAL_SECS))),
                };
            }
            Action::Copy => {
                let Some(addr) = join_addr(cx.store) else {
                    cx.fx.notify(
                        Level::Warn,
                        "the connected manager's address is not known yet; nothing copied",
                    );
                    return Outcome::Handled;
                };
                cx.fx
                    .app
                    .push(AppCmd::Clipboard(join_command(swarm.token(role), &addr)));
                cx.fx.notify(
                    Level::Info,
                    format!("{role} join command copied (the token is not shown)"),
                );
            }
            Action::Rotate if cx.readonly => {
                // the keymap has no rotate key in readonly mode; this is the view's lock
                cx.fx
                    .notify(Level::Warn, "readonly mode: swarmdeck changes nothing");
            }
            Action::Rotate => {
                let other = match role {
                    JoinRole::Worker => "new workers",
                    JoinRole::Manager => "new managers",
                };
                let mut lines = vec![
                    (
                        Tone::Warn,
                        format!(
                            "The current {role} token stops working at once: nodes that \
                             joined stay, {other} need the new token."
                        ),
                    ),
                    (
                        Tone::Info,
                        format!(
                            "The swarm's settings are read right before and sent back \
                             unchanged with the rotate flag (now at version {}); a \
                             concurrent change is kept.",
                            swarm.version
                        ),
                    ),
                    (
                        Tone::Info,
                        "Recorded in the audit log, without the token.".to_string(),
                    ),
                ];
                if role == JoinRole::Manager {
                    lines.insert(
                        0,
                        (
                            Tone::Warn,
                            "Anyone with the manager token can join as a manager.".into(),
                        ),
                    );
                }
                let dialog = ConfirmDialog::plain(format!("Rotate the {role} join token?"), lines);
                self.confirm = Some((role, dialog));
            }
            _ => {}
        }
        Outcome::Handled
    }
}

/// A popup over the whole screen, as the audit and events popups are: cleared, bordered,
/// the title (and the filter) on top, `bottom` in the bottom border. Returns the inside.
pub fn popup_frame(
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
    title: &str,
    filter: &str,
    bottom: &str,
) -> Rect {
    let rect = crate::widget::popup_area(area);
    crate::widget::popup_box(frame, rect, theme, title, filter, format!(" {bottom} "))
}

/// The first key of `action` in `context`, for a bottom border ("" when unbound).
pub fn key_of(keymap: &Keymap, context: &'static str, action: Action) -> String {
    keymap
        .keys_in(context, action)
        .first()
        .map_or_else(String::new, ToString::to_string)
}

/// "r reveal · c copy join · R rotate · Esc close": the bound ones only.
pub fn bottom_words(keymap: &Keymap, context: &'static str, words: &[(Action, &str)]) -> String {
    let mut parts: Vec<String> = words
        .iter()
        .filter_map(|(a, w)| {
            let k = key_of(keymap, context, *a);
            (!k.is_empty()).then(|| format!("{k} {w}"))
        })
        .collect();
    parts.push("Esc close".into());
    parts.join(" · ")
}

impl View for ClusterView {
    fn context(&self) -> &'static str {
        "cluster"
    }

    fn opened(&mut self, cx: &mut Ctx<'_>) {
        self.rebuild(cx);
        self.read(cx);
    }

    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Outcome {
        if let Some((role, dialog)) = &mut self.confirm {
            let role = *role;
            match dialog.key(key) {
                ConfirmResult::Pending => {}
                ConfirmResult::Cancelled => self.confirm = None,
                ConfirmResult::Confirmed => {
                    self.confirm = None;
                    self.list.rows.revealed = None;
                    self.rotating = Some(role);
                    cx.fx.app.push(AppCmd::Write(PendingWrite {
                        target: WriteTarget::Swarm,
                        change: WriteChange::RotateJoinToken(role),
                        action: rotate_action(role),
                        follow: Follow::Nothing,
                    }));
                }
            }
            return Outcome::Handled;
        }
        let action = cx.action("cluster", key);
        match action {
            Some(a @ (Action::Reveal | Action::Copy | Action::Rotate)) => {
                return self.token_action(a, cx);
            }
            Some(Action::Refresh) => {
                self.read(cx);
                return Outcome::Handled;
            }
            Some(Action::Help) => {
                return Outcome::Push(Box::new(super::help::Help::new("cluster", ACTIONS)));
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
            .notify(Level::Info, "nothing takes a paste here; / to filter first");
        Outcome::Handled
    }

    fn cluster_msg(&mut self, answer: ClusterAnswer, cx: &mut Ctx<'_>) -> Outcome {
        if let ClusterAnswer::Swarm(result) = answer {
            self.loading = false;
            match result {
                Ok(s) => {
                    let first = self.list.rows.swarm.is_none();
                    self.list.rows.swarm = Some(*s);
                    self.error = None;
                    self.rebuild(cx);
                    if first {
                        self.list.select(0, Data::of_ctx(cx));
                    }
                }
                Err(e) => self.error = Some(format!("cannot read the swarm: {e}")),
            }
        }
        Outcome::Handled
    }

    fn write_done(
        &mut self,
        result: &Result<WriteOutcome, WriteError>,
        cx: &mut Ctx<'_>,
    ) -> Outcome {
        let role = self.rotating.take();
        match (result, role) {
            (Ok(_), Some(role)) => {
                self.list.rows.revealed = None;
                cx.fx.notify(
                    Level::Info,
                    format!("{role} join token rotated: the old one no longer joins"),
                );
                self.read(cx);
            }
            (Err(e), Some(role)) => {
                self.error = Some(format!("the {role} token was not rotated: {e}"));
            }
            _ => {}
        }
        Outcome::Handled
    }

    fn changed(&mut self, what: Changed, cx: &mut Ctx<'_>) {
        if what.nodes || what.conn {
            self.rebuild(cx);
        }
    }

    fn tick(&mut self, cx: &mut Ctx<'_>) -> bool {
        match self.list.rows.revealed {
            Some((_, until)) if cx.now >= until => {
                self.list.rows.revealed = None;
                true
            }
            // the countdown moves
            Some(_) => true,
            None => false,
        }
    }

    fn apply_filter(&mut self, filter: &str, data: Data<'_>) -> bool {
        self.list.set_filter(filter.to_string(), data);
        true
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCtx<'_>) {
        let theme = cx.theme;
        let data = Data::of_draw(cx);
        let title = self.list.rows.title(data, self.list.shown());
        let bottom = bottom_words(
            cx.keymap,
            "cluster",
            &[
                (Action::Down, "move"),
                (Action::Reveal, "reveal"),
                (Action::Copy, "copy join"),
                (Action::Rotate, "rotate"),
            ],
        );
        let inner = popup_frame(frame, area, theme, &title, self.list.filter(), &bottom);
        let mut notes: Vec<Line> = Vec::new();
        if let Some(e) = &self.error {
            notes.push(Line::styled(e.clone(), theme.danger));
        }
        if let Some(role) = self.rotating {
            notes.push(Line::styled(
                format!("rotating the {role} join token…"),
                theme.info,
            ));
        } else if self.loading && self.list.rows.swarm.is_some() {
            notes.push(Line::styled("reading the swarm again…", theme.muted));
        }
        if let (Some((role, until)), Some(s)) = (self.list.rows.revealed, &self.list.rows.swarm) {
            let left = (until.as_second() - cx.now.as_second()).max(0);
            notes.push(Line::from(vec![
                Span::styled(
                    format!("{role} token (masked again in {left} s): "),
                    theme.warn,
                ),
                Span::styled(s.token(role).reveal().to_string(), theme.accent),
            ]));
        }
        let width = inner.width.max(1);
        let note_h: u16 = notes
            .iter()
            .map(|l| (l.width() as u16).div_ceil(width).max(1))
            .sum::<u16>()
            .min(inner.height / 2);
        let [table, note_area] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(note_h)]).areas(inner);
        self.list.draw_table(frame, table, data, theme, true);
        frame.render_widget(
            Paragraph::new(notes)
                .wrap(Wrap { trim: false })
                .style(Style::default()),
            note_area,
        );
        if let Some((_, dialog)) = &self.confirm {
            dialog.render(frame, area, theme);
        }
    }

    fn hints(&self, keymap: &Keymap) -> Vec<(String, String)> {
        if self.confirm.is_some() {
            return vec![("y".into(), "rotate".into()), ("n".into(), "cancel".into())];
        }
        let mut h = super::hints_for(
            keymap,
            "cluster",
            &[
                (Action::Reveal, "reveal"),
                (Action::Copy, "copy join"),
                (Action::Rotate, "rotate"),
                (Action::Filter, "filter"),
            ],
        );
        h.push(("Esc".into(), "close".into()));
        h
    }

    fn actions(&self) -> &'static [Action] {
        ACTIONS
    }
}
