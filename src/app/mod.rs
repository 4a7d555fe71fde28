//! The dashboard: one owner of state, on the UI task. Engine messages and keys come in
//! ([`App::apply`], [`App::on_key`], [`App::on_paste`]); commands for the engine go out
//! through [`App::outbox`]. The swarm is in the [`Store`]; work that outlives a popup
//! (drains, the rebalance queue, writes in flight) is in [`Ops`]; the panes and the popup
//! stack are [`View`]s that read both and ask for changes through [`Effects`].

pub mod ops;

use std::collections::VecDeque;

use jiff::Timestamp;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::engine::write::{WriteError, WriteOutcome};
use crate::engine::{EngineCmd, EngineMsg, TaskScope, WriteRequest, WriteTarget};
use crate::keymap::{Action, Keymap};
pub use crate::store::{ConnState, Level, STALE_AFTER_SECS, Store, VipMove, VipState};
use crate::view::list::Data;
use crate::view::pane::{self, Pane, Selection};
use crate::view::{AppCmd, Ctx, Effects, Outcome, View};
use crate::vip::VipSpec;
use crate::vip::watch::{VipCmd, VipMsg};
use ops::{Follow, InFlight, Ops, Purpose, RebalanceItem, RebalanceStep};

/// How long a notice stays in the footer.
pub const NOTICE_SECS: i64 = 8;

/// A command for one of the background tasks, queued by the app for the UI loop to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    Engine(EngineCmd),
    Vip(VipCmd),
    Probe(crate::health::watch::ProbeCmd),
    /// For the clusters' health checks (`:clusters`).
    Clusters(crate::clusters::poll::PollCmd),
}

/// A line for the footer: what just happened that the user should know.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub at: Timestamp,
    pub text: String,
    pub level: Level,
}

/// A popup on the stack, with the id its writes' results come back to.
pub struct Popup {
    pub id: u64,
    pub view: Box<dyn View>,
}

/// The state of the whole dashboard.
pub struct App {
    pub keymap: Keymap,
    pub store: Store,
    pub ops: Ops,
    pub now: Timestamp,
    /// Readonly mode: no write can start from here.
    pub readonly: bool,
    /// The panes, in screen order ([`pane::registry`]).
    pub panes: Vec<Box<dyn Pane>>,
    /// The focused pane.
    pub focus: usize,
    /// The pane the tasks pane follows without a drill-down (nodes or services).
    pub follow_pane: usize,
    /// What the tasks pane follows (the followed pane's selection), derived on change.
    pub follow: Option<TaskScope>,
    pub drill: Option<TaskScope>,
    /// The popup stack; the top one gets keys first. Borrowed, never cloned.
    pub popups: Vec<Popup>,
    next_popup: u64,
    pub notices: VecDeque<Notice>,
    pub quit: bool,
    /// Something visible changed since the last draw.
    pub dirty: bool,
    /// Rows a page moves when a view does not know its height yet.
    pub page: usize,
    /// Commands for the engine and the VIP watcher, drained by the UI loop.
    pub outbox: Vec<Outgoing>,
    /// Drafts, retention and the cluster's name, for the config editor.
    pub env: crate::view::config::ConfigEnv,
    /// Config commands in flight: seq → the popup that asked.
    config_flight: std::collections::HashMap<u64, u64>,
    /// A text to hand to the external editor, for the popup with this id (the UI loop
    /// takes it: it suspends the terminal around the editor).
    pub external: Option<ExternalEdit>,
    /// Texts for the terminal's clipboard (OSC 52), written by the UI loop.
    pub clipboard: Vec<String>,
    /// Where the event timeline is appended (`<XDG state dir>/swarmdeck/events.jsonl`; None:
    /// not written, as in the tests).
    pub events_log: Option<std::path::PathBuf>,
    /// The thread that appends to it, started with the first events.
    events_writer: Option<crate::health::eventlog::Writer>,
    /// The time zone times are shown in (the system's).
    pub tz: jiff::tz::TimeZone,
    /// When a new critical alert rings the terminal bell (`bell`, `--no-bell`).
    pub bell: crate::health::alerts::Bell,
    /// Bells to ring, written (as one BEL) by the UI loop.
    pub bells: u32,
    /// How many lines a logs view holds (`log_lines`).
    pub log_lines: usize,
    /// Followed log streams: stream id → the logs view (popup id) that follows it.
    logs_flight: std::collections::HashMap<u64, u64>,
    /// Every cluster the dashboard can show (`:clusters`) and the one it shows.
    pub clusters: crate::clusters::Clusters,
    /// A switch to another cluster, for the UI loop to carry out (it restarts the engine
    /// and the watchers).
    pub switch: Option<crate::clusters::Switch>,
}

/// A text for `$VISUAL` / `$EDITOR`, and the popup its result goes back to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalEdit {
    pub popup: u64,
    pub text: String,
    pub suffix: String,
}

/// What views read, borrowed apart from the panes and the popups, which are lent out `&mut`
/// at the same time.
struct Shared<'a> {
    store: &'a Store,
    ops: &'a Ops,
    keymap: &'a Keymap,
    now: Timestamp,
    readonly: bool,
    page: usize,
    follow: &'a Option<TaskScope>,
    drill: &'a Option<TaskScope>,
    env: &'a crate::view::config::ConfigEnv,
}

impl Shared<'_> {
    fn data(&self) -> Data<'_> {
        Data {
            store: self.store,
            ops: self.ops,
            follow: self.follow.as_ref(),
            drill: self.drill.as_ref(),
            now: self.now,
        }
    }

    fn ctx<'b>(&'b self, fx: &'b mut Effects) -> Ctx<'b> {
        Ctx {
            store: self.store,
            ops: self.ops,
            keymap: self.keymap,
            now: self.now,
            readonly: self.readonly,
            page: self.page,
            follow: self.follow.clone(),
            drill: self.drill.clone(),
            env: self.env,
            fx,
        }
    }
}

fn is_ctrl_c(key: &KeyEvent) -> bool {
    key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL)
}

impl App {
    pub fn new(keymap: Keymap, now: Timestamp) -> Self {
        let panes = pane::registry();
        let follow_pane = panes.iter().position(|p| p.followed()).unwrap_or(0);
        App {
            keymap,
            store: Store::default(),
            ops: Ops::default(),
            now,
            readonly: false,
            panes,
            focus: 0,
            follow_pane,
            follow: None,
            drill: None,
            popups: Vec::new(),
            next_popup: 1,
            notices: VecDeque::new(),
            quit: false,
            dirty: true,
            page: 10,
            outbox: Vec::new(),
            env: crate::view::config::ConfigEnv::default(),
            config_flight: std::collections::HashMap::new(),
            external: None,
            clipboard: Vec::new(),
            events_log: None,
            events_writer: None,
            tz: jiff::tz::TimeZone::system(),
            bell: crate::health::alerts::Bell::new(true),
            bells: 0,
            log_lines: crate::config::LOG_LINES_DEFAULT,
            logs_flight: std::collections::HashMap::new(),
            clusters: crate::clusters::Clusters::default(),
            switch: None,
        }
    }

    // ---------------------------------------------------------------- reading

    /// The index of the pane with this context name ("nodes", "tasks"…).
    pub fn pane_index(&self, context: &str) -> Option<usize> {
        self.panes.iter().position(|p| p.context() == context)
    }

    /// The pane with this context name.
    pub fn pane(&self, context: &str) -> Option<&dyn Pane> {
        self.pane_index(context).map(|i| self.panes[i].as_ref())
    }

    /// The focused pane's context name.
    pub fn focused(&self) -> &'static str {
        self.panes[self.focus].context()
    }

    pub fn data(&self) -> Data<'_> {
        Data {
            store: &self.store,
            ops: &self.ops,
            follow: self.follow.as_ref(),
            drill: self.drill.as_ref(),
            now: self.now,
        }
    }

    /// What is selected in the pane with this context.
    pub fn selection(&self, context: &str) -> Selection {
        self.pane(context)
            .map_or(Selection::None, |p| p.selection(self.data()))
    }

    /// The top popup, if any.
    pub fn top(&self) -> Option<&dyn View> {
        self.popups.last().map(|p| p.view.as_ref())
    }

    /// The top popup, if it is a `T`.
    pub fn top_as<T: 'static>(&self) -> Option<&T> {
        self.popups.last()?.view.as_any().downcast_ref::<T>()
    }

    /// The context names of the popups, bottom first (for tests and the help).
    pub fn popup_names(&self) -> Vec<&'static str> {
        self.popups.iter().map(|p| p.view.context()).collect()
    }

    /// The notice to show now, if a recent one exists.
    pub fn current_notice(&self) -> Option<&Notice> {
        self.notices
            .back()
            .filter(|n| self.now.as_second() - n.at.as_second() < NOTICE_SECS)
    }

    /// The commands in force (no write command in readonly mode).
    pub fn commands(&self) -> Vec<&'static str> {
        crate::view::command::commands(self.readonly)
    }

    /// Commands a prefix could become.
    pub fn candidates(&self, prefix: &str) -> Vec<&'static str> {
        crate::view::command::candidates(self.readonly, prefix)
    }

    pub fn is_stale(&self) -> bool {
        self.store.is_stale(self.now)
    }

    pub fn age_secs(&self) -> Option<i64> {
        self.store.age_secs(self.now)
    }

    /// The panes, the popups and the focus, `&mut`, beside what views read.
    fn split(&mut self) -> (Shared<'_>, &mut Vec<Box<dyn Pane>>, &mut Vec<Popup>, usize) {
        let App {
            panes,
            popups,
            focus,
            store,
            ops,
            keymap,
            now,
            readonly,
            page,
            follow,
            drill,
            env,
            ..
        } = self;
        (
            Shared {
                store,
                ops,
                keymap,
                now: *now,
                readonly: *readonly,
                page: *page,
                follow,
                drill,
                env,
            },
            panes,
            popups,
            *focus,
        )
    }

    // ---------------------------------------------------------------- changing

    pub fn notify(&mut self, level: Level, text: String) {
        self.notices.push_back(Notice {
            at: self.now,
            text,
            level,
        });
        while self.notices.len() > 50 {
            self.notices.pop_front();
        }
        self.dirty = true;
    }

    /// Advance the clock (once a second): ages and "stale" change with it.
    pub fn tick(&mut self, now: Timestamp) {
        let before = (self.age_secs(), self.current_notice().is_some());
        self.now = now;
        let ages = !self.store.live_tasks.is_empty() || self.drill.is_some();
        if (self.age_secs(), self.current_notice().is_some()) != before || ages {
            self.dirty = true;
        }
        if !self.ops.drains.is_empty() || !self.ops.rebalance.is_empty() {
            self.dirty = true;
        }
        let mut redraw = false;
        // each popup's effects are its own: what it asks for comes back to it
        let mut asked: Vec<(u64, Effects)> = Vec::new();
        {
            let (shared, _, popups, _) = self.split();
            for p in popups.iter_mut() {
                let mut fx = Effects::default();
                let mut cx = shared.ctx(&mut fx);
                redraw |= p.view.tick(&mut cx);
                asked.push((p.id, fx));
            }
        }
        self.dirty |= redraw;
        for (id, fx) in asked {
            self.run_effects(fx, Some(id));
        }
        // the rules that count time: "for 45 s", "25 s ago"
        if self.store.rebuild_alerts(now) {
            self.dirty = true;
        }
        self.listen();
    }

    /// A new critical alert rings the bell (see [`crate::health::alerts::Bell`]).
    fn listen(&mut self) {
        if self.bell.ring(&self.store.alerts, self.now) {
            self.bells += 1;
        }
    }

    /// The dashboard is ending: the popups save what must not be lost (drafts).
    pub fn flush(&mut self) {
        let mut fx = Effects::default();
        let (shared, _, popups, _) = self.split();
        let mut cx = shared.ctx(&mut fx);
        for p in popups.iter_mut() {
            p.view.flush(&mut cx);
        }
    }

    /// The external editor returned (the UI loop ran it).
    pub fn external_done(&mut self, popup: u64, result: Result<String, String>) {
        self.dirty = true;
        self.call_popup(popup, |v, cx| v.external_done(result, cx));
    }

    /// Call the popup with this id (if it is still open) and carry out what it answers.
    fn call_popup(&mut self, id: u64, f: impl FnOnce(&mut dyn View, &mut Ctx<'_>) -> Outcome) {
        let mut fx = Effects::default();
        let out = {
            let (shared, _, popups, _) = self.split();
            let mut cx = shared.ctx(&mut fx);
            match popups.iter_mut().find(|p| p.id == id) {
                Some(p) => f(p.view.as_mut(), &mut cx),
                None => return,
            }
        };
        self.run_effects(fx, Some(id));
        self.popup_outcome(id, out);
        self.refollow();
    }

    /// Hand the timeline's new events to the writer thread (the UI loop calls this after
    /// every turn, whatever message brought them); tell a write failure once.
    pub fn write_events(&mut self) {
        let batch = std::mem::take(&mut self.store.timeline.unwritten);
        if let Some(e) = self.events_writer.as_ref().and_then(|w| w.error()) {
            self.notify(Level::Warn, e);
        }
        let Some(path) = &self.events_log else {
            return;
        };
        if batch.is_empty() {
            return;
        }
        if self.events_writer.is_none() {
            match crate::health::eventlog::Writer::spawn(path.clone()) {
                Ok(w) => self.events_writer = Some(w),
                Err(e) => {
                    let text = format!("cannot write the event timeline: {e}");
                    self.events_log = None;
                    self.notify(Level::Warn, text);
                    return;
                }
            }
        }
        if let Some(w) = &self.events_writer {
            w.write(batch);
        }
    }

    /// At start: the end of the timeline's file, so a restarted dashboard still tells the
    /// story (those events are shown dim and not written again).
    pub fn load_events(&mut self) {
        let Some(path) = &self.events_log else {
            return;
        };
        match crate::health::eventlog::read_tail(path, crate::health::eventlog::LOAD) {
            Ok(events) => self.store.timeline.load_earlier(events),
            Err(e) => {
                let text = format!("cannot read the event timeline {}: {e}", path.display());
                self.notify(Level::Warn, text);
            }
        }
    }

    /// Start watching these VIPs (the VIP pane appears).
    pub fn set_vips(&mut self, specs: Vec<VipSpec>) {
        self.store.set_vips(specs);
        self.changed(crate::store::Changed {
            vips: true,
            ..Default::default()
        });
    }

    /// An engine message.
    pub fn apply(&mut self, msg: EngineMsg) {
        self.dirty = true;
        match &msg {
            EngineMsg::Connected { endpoint, .. } => {
                if let ConnState::Lost { endpoint: old, .. } = &self.store.conn
                    && old != endpoint
                {
                    let text = format!("failed over from {old} to {endpoint}");
                    self.notify(Level::Warn, text);
                }
            }
            EngineMsg::Lost { endpoint, reason } => {
                self.notify(
                    Level::Danger,
                    format!("lost {endpoint}: {reason}; reconnecting"),
                );
            }
            EngineMsg::Unreadable(fields) => {
                let list: Vec<String> = fields.iter().take(3).map(ToString::to_string).collect();
                let more = fields.len().saturating_sub(3);
                let more = if more > 0 {
                    format!(" (+{more} more)")
                } else {
                    String::new()
                };
                self.notify(
                    Level::Warn,
                    format!(
                        "engine sent JSON swarmdeck cannot read, shown as unknown: {}{more}",
                        list.join("; ")
                    ),
                );
            }
            EngineMsg::FetchFailed { what, error } => {
                self.notify(Level::Danger, format!("reading {what}: {error}"));
            }
            EngineMsg::EventsResumed { reason } if reason.contains("undecodable") => {
                self.notify(Level::Warn, format!("events: {reason}; resubscribed"));
            }
            EngineMsg::Unchanged { .. } => {
                self.store.fresh(self.now);
                return;
            }
            _ => {}
        }
        let changed = match msg {
            EngineMsg::ConfigRollout { seq, event } => {
                if let Some(&id) = self.config_flight.get(&seq) {
                    self.call_popup(id, |v, cx| {
                        v.config_msg(crate::view::ConfigMsg::Progress(event), cx)
                    });
                }
                return;
            }
            EngineMsg::ConfigDone { seq, answer } => {
                self.ops.other_writes.remove(&seq);
                if let Some(id) = self.config_flight.remove(&seq) {
                    self.call_popup(id, |v, cx| {
                        v.config_msg(crate::view::ConfigMsg::Done(answer), cx)
                    });
                }
                return;
            }
            EngineMsg::DeployDone { seq, answer } => {
                self.ops.other_writes.remove(&seq);
                if let Some(id) = self.config_flight.remove(&seq) {
                    self.call_popup(id, |v, cx| v.deploy_msg(*answer, cx));
                }
                return;
            }
            EngineMsg::ClusterDone { seq, answer } => {
                self.ops.other_writes.remove(&seq);
                if let Some(id) = self.config_flight.remove(&seq) {
                    self.call_popup(id, |v, cx| v.cluster_msg(*answer, cx));
                }
                return;
            }
            EngineMsg::Digest {
                seq,
                generation,
                part,
            } => {
                // every service's part goes to the popup that asked; the end forgets the seq
                let id = if part == crate::engine::digest::DigestPart::Done {
                    self.config_flight.remove(&seq)
                } else {
                    self.config_flight.get(&seq).copied()
                };
                if let Some(id) = id {
                    self.call_popup(id, |v, cx| v.digest_msg(generation, part, cx));
                }
                return;
            }
            EngineMsg::SecretsDone { seq, answer } => {
                self.ops.other_writes.remove(&seq);
                if let Some(id) = self.config_flight.remove(&seq) {
                    self.call_popup(id, |v, cx| v.secrets_msg(*answer, cx));
                }
                return;
            }
            EngineMsg::WriteDone {
                seq,
                target,
                action,
                result,
            } => {
                self.write_done(seq, &target, &action, &result);
                return;
            }
            EngineMsg::Logs { stream, event } => {
                self.logs_event(stream, event);
                return;
            }
            EngineMsg::Audit(result) => {
                self.ops.audit.loading = false;
                match result {
                    Ok((entries, bad)) => {
                        self.ops.audit.entries = entries;
                        self.ops.audit.unreadable_lines = bad;
                        self.ops.audit.error = None;
                    }
                    Err(e) => self.ops.audit.error = Some(e),
                }
                self.changed_popups(crate::store::Changed::default());
                return;
            }
            EngineMsg::Event(ev) => {
                if ev.kind == crate::engine::EventKind::Node && !self.store.vips.is_empty() {
                    self.outbox.push(Outgoing::Vip(VipCmd::CheckNow));
                }
                self.store.apply(EngineMsg::Event(ev), self.now)
            }
            EngineMsg::Tasks { scope, tasks } => {
                if scope != TaskScope::Live {
                    self.ops.node_tasks_read(&scope);
                    // an answer for a view that has closed since it asked is not kept
                    if !self.wanted_scopes().contains(&scope) {
                        return;
                    }
                }
                self.store
                    .apply(EngineMsg::Tasks { scope, tasks }, self.now)
            }
            // the lists move into the store: no copy per poll
            other => self.store.apply(other, self.now),
        };
        self.listen();
        if changed.nodes && !self.store.vips.is_empty() {
            self.outbox
                .push(Outgoing::Vip(VipCmd::Nodes(self.store.node_addrs())));
        }
        if changed.nodes {
            let targets = crate::health::watch::targets(&self.store.nodes);
            self.outbox
                .push(Outgoing::Probe(crate::health::watch::ProbeCmd::Targets(
                    targets,
                )));
        }
        if changed.any() {
            self.changed(changed);
        }
    }

    /// Lines of a followed log stream, or its end: to the view that follows it; a stream
    /// nobody follows any more is stopped.
    fn logs_event(&mut self, stream: u64, event: crate::engine::logs::LogsEvent) {
        let ended = matches!(event, crate::engine::logs::LogsEvent::Ended(_));
        match self.logs_flight.get(&stream).copied() {
            Some(id) if self.popups.iter().any(|p| p.id == id) => {
                if ended {
                    self.logs_flight.remove(&stream);
                }
                self.call_popup(id, |v, cx| v.logs_msg(stream, event, cx));
            }
            _ => {
                self.logs_flight.remove(&stream);
                if !ended {
                    self.outbox
                        .push(Outgoing::Engine(EngineCmd::StopLogs { stream }));
                }
            }
        }
    }

    /// The log streams followed now, by stream id (for the tests).
    pub fn log_streams(&self) -> Vec<u64> {
        let mut v: Vec<u64> = self.logs_flight.keys().copied().collect();
        v.sort_unstable();
        v
    }

    /// Open the logs view ([`AppCmd::OpenLogs`]).
    pub fn open_logs(&mut self, req: crate::view::LogsRequest) {
        let view = crate::view::logs::LogsView::new(req, self.log_lines, self.tz.clone());
        self.push(Box::new(view));
    }

    /// A cluster's health was checked: the open clusters list takes it.
    pub fn apply_clusters(&mut self, checked: crate::clusters::poll::Checked) {
        let ids: Vec<u64> = self
            .popups
            .iter()
            .filter(|p| p.view.context() == "clusters")
            .map(|p| p.id)
            .collect();
        for id in ids {
            self.dirty = true;
            self.call_popup(id, |v, cx| v.clusters_msg(&checked, cx));
        }
    }

    /// Show cluster `index` of [`App::clusters`] instead of the current one: nothing of the
    /// old cluster stays (its nodes, services, tasks, alerts, timeline, drains, popups); the
    /// UI loop restarts the engine and the watchers on the new one ([`App::switch`]), and both
    /// clusters' timelines note the switch. Drafts of open editors are saved first.
    pub fn switch_cluster(&mut self, index: usize) {
        use crate::health::timeline::{Kind, Severity};
        let Some(to) = self.clusters.list.get(index).cloned() else {
            return;
        };
        if let Some(p) = &to.problem {
            self.notify(Level::Warn, format!("{} cannot be used: {p}", to.name));
            return;
        }
        let from = self
            .clusters
            .current()
            .map_or_else(|| "the previous cluster".to_string(), |c| c.name.clone());
        let text = format!(
            "switched from cluster {from} to {} ({})",
            to.name,
            to.endpoints.join(", ")
        );
        // the old cluster's timeline says where the dashboard went
        self.store.timeline.push(
            self.now,
            Kind::Connection,
            Severity::Info,
            "swarmdeck",
            text.clone(),
        );
        self.write_events();
        self.events_writer = None;
        // drafts are saved before their editors close
        self.flush();
        self.popups.clear();
        self.external = None;
        self.outbox.clear();
        self.config_flight.clear();
        self.logs_flight.clear();
        let alert_cfg = self.store.alert_cfg;
        self.store = Store::default();
        self.store.alert_cfg = alert_cfg;
        let seq = self.ops.write_seq;
        self.ops = Ops::default();
        self.ops.write_seq = seq;
        self.panes = pane::registry();
        self.focus = 0;
        self.follow_pane = self.panes.iter().position(|p| p.followed()).unwrap_or(0);
        self.follow = None;
        self.drill = None;
        self.clusters.current = index;
        let first = to.endpoints.first().cloned().unwrap_or_default();
        self.env.cluster = first.clone();
        if self.events_log.is_some() {
            self.events_log = crate::health::eventlog::default_path(&first);
            self.load_events();
        }
        self.store.timeline.push(
            self.now,
            Kind::Connection,
            Severity::Info,
            "swarmdeck",
            text,
        );
        self.set_vips(to.vips.clone());
        self.switch = Some(to.switch());
        self.notify(Level::Info, format!("switching to cluster {} …", to.name));
        self.offer_drafts();
        self.dirty = true;
    }

    /// What this host's probes saw of the nodes.
    pub fn apply_probe(&mut self, round: crate::health::watch::ProbeRound) {
        let changed = self.store.apply_probe(round, self.now);
        if changed.any() {
            self.changed(changed);
            self.dirty = true;
        }
    }

    /// What the VIP watcher saw.
    pub fn apply_vip(&mut self, msg: VipMsg) {
        let changed = self.store.apply_vip(msg);
        self.listen();
        self.changed(changed);
        self.dirty = true;
    }

    /// The data changed: follow drains and the rebalance, tell the views.
    fn changed(&mut self, what: crate::store::Changed) {
        if what.data() {
            let (notices, watch_changed) = self.ops.refresh(&self.store, self.now);
            for (l, t) in notices {
                self.notify(l, t);
            }
            if watch_changed {
                self.outbox.push(Outgoing::Engine(self.ops.engine_watch()));
            }
            if !self.ops.rebalance.is_empty()
                && let Some(req) = self.ops.advance_rebalance(&self.store, self.now)
            {
                self.outbox.push(Outgoing::Engine(EngineCmd::Write(req)));
            }
        }
        let mut fx = Effects::default();
        {
            let (shared, panes, _, _) = self.split();
            let mut cx = shared.ctx(&mut fx);
            for p in panes.iter_mut() {
                p.changed(what, &mut cx);
            }
        }
        self.run_effects(fx, None);
        self.changed_popups(what);
        self.refollow();
    }

    fn changed_popups(&mut self, what: crate::store::Changed) {
        let mut fx = Effects::default();
        {
            let (shared, _, popups, _) = self.split();
            let mut cx = shared.ctx(&mut fx);
            for p in popups.iter_mut() {
                p.view.changed(what, &mut cx);
            }
        }
        self.run_effects(fx, None);
    }

    /// Recompute what the tasks pane follows; rebuild it when that changed.
    fn refollow(&mut self) {
        let follow = match self.panes[self.follow_pane].selection(self.data()) {
            Selection::Node(id) => Some(TaskScope::Node(id)),
            Selection::Service(id) => Some(TaskScope::Service(id)),
            _ => None,
        };
        if follow != self.follow {
            self.follow = follow;
            if self.drill.is_none()
                && let Some(t) = self.pane_index("tasks")
            {
                let (shared, panes, _, _) = self.split();

                let data = shared.data();
                panes[t].rebuild_view(data);
            }
        }
    }

    // ---------------------------------------------------------------- keys

    pub fn on_key(&mut self, key: KeyEvent) {
        self.dirty = true;
        if is_ctrl_c(&key) {
            // one way out that nothing can take away
            self.quit = true;
            return;
        }
        if !self.popups.is_empty() {
            let (out, fx, id) = self.call_top(|view, cx| view.key(&key, cx));
            self.run_effects(fx, Some(id));
            match out {
                Outcome::Ignored => {}
                other => {
                    self.popup_outcome(id, other);
                    self.refollow();
                    return;
                }
            }
        }
        let (out, fx) = self.call_focused(|view, cx| view.key(&key, cx));
        self.run_effects(fx, None);
        match out {
            Outcome::Ignored => {
                if let Some(action) = self.keymap.action_in(self.focused(), &key) {
                    self.global(action);
                }
            }
            Outcome::Push(v) => self.push(v),
            _ => {}
        }
        self.refollow();
    }

    /// Do what `action` does where the focus is: its key when it has one, else the global
    /// action (which refuses what the mode does not allow).
    pub fn run(&mut self, action: Action) {
        match self.keymap.keys_in(self.focused(), action).first() {
            Some(k) => self.on_key(KeyEvent::new(k.code, k.mods)),
            None => self.global(action),
        }
    }

    /// A bracketed paste: the top popup's focused input takes it (or says why not).
    pub fn on_paste(&mut self, text: &str) {
        self.dirty = true;
        if self.popups.is_empty() {
            self.notify(
                Level::Info,
                "nothing takes a paste here: press / to filter or : for a command first".into(),
            );
            return;
        }
        let (out, fx, id) = self.call_top(|view, cx| view.paste(text, cx));
        self.run_effects(fx, Some(id));
        if !matches!(out, Outcome::Ignored) {
            self.popup_outcome(id, out);
        }
        self.refollow();
    }

    /// Call the top popup with a context.
    fn call_top(
        &mut self,
        f: impl FnOnce(&mut dyn View, &mut Ctx<'_>) -> Outcome,
    ) -> (Outcome, Effects, u64) {
        let mut fx = Effects::default();
        let (shared, _, popups, _) = self.split();
        let Some(top) = popups.last_mut() else {
            return (Outcome::Ignored, fx, 0);
        };
        let id = top.id;
        let mut cx = shared.ctx(&mut fx);
        let out = f(top.view.as_mut(), &mut cx);
        (out, fx, id)
    }

    /// Call the focused pane with a context.
    fn call_focused(
        &mut self,
        f: impl FnOnce(&mut dyn View, &mut Ctx<'_>) -> Outcome,
    ) -> (Outcome, Effects) {
        let mut fx = Effects::default();
        let (shared, panes, _, focus) = self.split();
        let mut cx = shared.ctx(&mut fx);
        let out = f(panes[focus].as_mut(), &mut cx);
        (out, fx)
    }

    /// Open a popup on top of the stack.
    pub fn push(&mut self, view: Box<dyn View>) {
        let id = self.next_popup;
        self.next_popup += 1;
        self.popups.push(Popup { id, view });
        self.dirty = true;
        self.call_popup(id, |v, cx| {
            v.opened(cx);
            Outcome::Handled
        });
    }

    /// Drop the task histories nothing shows any more: not the drill-down, not a drain being
    /// followed, not an open popup.
    fn prune_scopes(&mut self) {
        let keep = self.wanted_scopes();
        self.store.keep_scopes(&keep);
    }

    /// The task histories something shows.
    fn wanted_scopes(&self) -> Vec<TaskScope> {
        let mut keep: Vec<TaskScope> = self.drill.iter().cloned().collect();
        keep.extend(self.ops.watched_nodes().into_iter().map(TaskScope::Node));
        for p in &self.popups {
            keep.extend(p.view.scopes());
        }
        keep
    }

    /// What a popup answered.
    fn popup_outcome(&mut self, id: u64, out: Outcome) {
        let Some(pos) = self.popups.iter().position(|p| p.id == id) else {
            if let Outcome::Push(v) = out {
                self.push(v);
            }
            return;
        };
        match out {
            Outcome::Close => {
                self.popups.remove(pos);
                self.prune_scopes();
            }
            Outcome::Push(v) => self.push(v),
            // the next step of a flow keeps the id: a write's result reaches it
            Outcome::Replace(v) => {
                self.popups[pos].view = v;
                self.prune_scopes();
                self.call_popup(id, |v, cx| {
                    v.opened(cx);
                    Outcome::Handled
                });
            }
            Outcome::Ignored | Outcome::Handled => {}
        }
    }

    /// A key no view took: the global actions.
    fn global(&mut self, action: Action) {
        match action {
            Action::Quit => self.quit = true,
            Action::Help => self.open_help(),
            Action::NextPane => self.cycle(true),
            Action::PrevPane => self.cycle(false),
            Action::Command => self.push(Box::new(crate::view::command::CommandLine::new(
                self.readonly,
            ))),
            Action::Refresh => {
                self.outbox.push(Outgoing::Engine(EngineCmd::Refresh));
                self.notify(Level::Info, "re-reading the swarm".into());
            }
            Action::Back => self.back(),
            Action::EditConfig => self.open_config("global"),
            Action::NewService if !self.readonly => {
                self.push(Box::new(crate::view::deploy::DeployWizard::new(false)));
            }
            Action::EditService if !self.readonly => self.notify(
                Level::Warn,
                "edit_service: select a service in the services pane first".into(),
            ),
            Action::Logs => self.notify(
                Level::Info,
                "logs: select a service (services pane) or a task (tasks pane) first".into(),
            ),
            a if a.is_write() && self.readonly => self.notify(
                Level::Warn,
                "readonly mode: swarmdeck changes nothing".into(),
            ),
            a if a.is_write() && a.home() == "services" => self.notify(
                Level::Warn,
                format!("{a}: select a service in the services pane first"),
            ),
            a if a.is_write() => self.notify(
                Level::Warn,
                format!("{a}: select a node in the nodes pane first"),
            ),
            _ => {}
        }
    }

    fn open_help(&mut self) {
        let p = &self.panes[self.focus];
        let help = crate::view::help::Help::new(p.context(), p.actions());
        self.push(Box::new(help));
    }

    fn cycle(&mut self, forward: bool) {
        let n = self.panes.len();
        let mut i = self.focus;
        for _ in 0..n {
            i = if forward {
                (i + 1) % n
            } else {
                (i + n - 1) % n
            };
            if self.panes[i].visible(self.data()) {
                break;
            }
        }
        self.focus_index(i);
    }

    fn focus_index(&mut self, i: usize) {
        self.focus = i;
        if self.panes[i].followed() {
            self.follow_pane = i;
        }
        self.refollow();
    }

    /// Focus the pane with this context name.
    pub fn focus_pane(&mut self, context: &str) {
        if let Some(i) = self.pane_index(context) {
            self.focus_index(i);
        }
    }

    fn drill_down(&mut self, scope: TaskScope) {
        let Some(t) = self.pane_index("tasks") else {
            return;
        };
        self.follow_pane = self.focus;
        self.drill = Some(scope.clone());
        self.focus = t;
        self.outbox
            .push(Outgoing::Engine(EngineCmd::SetTaskScope(Some(scope))));
        self.prune_scopes();
        self.reset_tasks_pane();
    }

    fn back(&mut self) {
        if self.drill.is_some() && self.focused() == "tasks" {
            self.drill = None;
            self.focus = self.follow_pane;
            self.outbox
                .push(Outgoing::Engine(EngineCmd::SetTaskScope(None)));
            self.prune_scopes();
            self.reset_tasks_pane();
        }
    }

    fn reset_tasks_pane(&mut self) {
        let Some(t) = self.pane_index("tasks") else {
            return;
        };
        let (shared, panes, _, _) = self.split();

        let data = shared.data();
        panes[t].set_filter(String::new(), data);
        panes[t].refresh(data);
    }

    /// Run the command typed on the command line.
    pub fn run_command(&mut self, cmd: &str) {
        let cmd = cmd.trim().trim_start_matches(':');
        match cmd {
            "" => {}
            "nodes" | "node" | "no" => self.focus_pane("nodes"),
            "services" | "service" | "svc" => self.focus_pane("services"),
            "tasks" | "task" => self.focus_pane("tasks"),
            "vips" | "vip" if !self.store.vips.is_empty() => self.focus_pane("vips"),
            "vips" | "vip" => self.notify(
                Level::Warn,
                "no VIP is watched: use --vip ADDR, `vips` in the config file, or a readable keepalived.conf".into(),
            ),
            "help" => self.open_help(),
            "audit" => self.open_audit(),
            "registries" | "registry" => self.push(Box::new(
                crate::view::registries::RegistriesView::default(),
            )),
            "cluster" | "swarm" => self.push(Box::new(crate::view::cluster::ClusterView::new())),
            "clusters" | "contexts" | "context" => self.push(Box::new(
                crate::view::clusters::ClustersView::new(&self.clusters),
            )),
            "networks" | "network" | "net" => {
                self.push(Box::new(crate::view::networks::NetworksView::new()));
            }
            "volumes" | "volume" | "vol" => {
                self.push(Box::new(crate::view::volumes::VolumesView::new()));
            }
            "secrets" | "secret" => self.push(Box::new(crate::view::secrets::SecretsView::new())),
            "configs" => self.push(Box::new(crate::view::secrets::configs::ConfigsView::new())),
            c if c == "events" || c.starts_with("events ") => {
                self.open_events(c["events".len()..].trim());
            }
            c if c == "errors" || c.starts_with("errors ") => {
                self.open_errors(c["errors".len()..].trim());
            }
            "deploy" if !self.readonly => self.push(Box::new(
                crate::view::deploy::DeployWizard::new(self.readonly),
            )),
            c if c == "config" || c.starts_with("config ") => {
                self.config_command(c["config".len()..].trim());
            }
            "rebalance" if !self.readonly => {
                let node = match self.selection("nodes") {
                    Selection::Node(id) if self.focused() == "nodes" => Some(id),
                    _ => None,
                };
                let (out, fx) =
                    self.call_focused(|_, cx| crate::view::confirm::rebalance(cx, node.as_ref()));
                self.run_effects(fx, None);
                if let Outcome::Push(v) = out {
                    self.push(v);
                }
            }
            "q" | "quit" | "q!" => self.quit = true,
            other => {
                let known = self
                    .commands()
                    .iter()
                    .map(|c| format!(":{c}"))
                    .collect::<Vec<_>>()
                    .join(" ");
                self.notify(
                    Level::Warn,
                    format!("unknown command :{other} (try {known})"),
                )
            }
        }
    }

    /// `:config [NAME]`, `:config drift [NAME]`, `:config history [NAME]`.
    fn config_command(&mut self, args: &str) {
        let words: Vec<&str> = args.split_whitespace().collect();
        let sub = match words.as_slice() {
            ["subscribe", service, target] => Some((*service, Some(*target), "global")),
            ["subscribe", service, target, doc] => Some((*service, Some(*target), *doc)),
            ["unsubscribe", service] => Some((*service, None, "global")),
            ["unsubscribe", service, doc] => Some((*service, None, *doc)),
            ["subscribe" | "unsubscribe", ..] => {
                self.notify(
                    Level::Warn,
                    "usage: :config subscribe SERVICE PATH [NAME] · :config unsubscribe SERVICE [NAME]"
                        .into(),
                );
                return;
            }
            _ => None,
        };
        if let Some((service, target, doc)) = sub {
            if self.readonly {
                self.notify(
                    Level::Warn,
                    "readonly mode: swarmdeck changes nothing".into(),
                );
                return;
            }
            let checked = crate::gconfig::check_doc(doc)
                .and_then(|()| target.map_or(Ok(()), crate::gconfig::check_target));
            if let Err(e) = checked {
                self.notify(Level::Warn, format!(":config: {e}"));
                return;
            }
            let cmd = match target {
                Some(t) => crate::engine::gconf::ConfigCmd::Subscribe {
                    doc: doc.to_string(),
                    service: service.to_string(),
                    target: t.to_string(),
                },
                None => crate::engine::gconf::ConfigCmd::Unsubscribe {
                    doc: doc.to_string(),
                    service: service.to_string(),
                },
            };
            self.push(Box::new(
                crate::view::config::subscribe::SubscribeView::new(cmd),
            ));
            return;
        }
        let (what, doc) = match words.as_slice() {
            [] => ("edit", "global"),
            ["drift"] => ("drift", "global"),
            ["history"] => ("history", "global"),
            ["drift", doc] => ("drift", *doc),
            ["history", doc] => ("history", *doc),
            [doc] => ("edit", *doc),
            _ => {
                self.notify(
                    Level::Warn,
                    "usage: :config [NAME] · :config drift [NAME] · :config history [NAME]".into(),
                );
                return;
            }
        };
        if let Err(e) = crate::gconfig::check_doc(doc) {
            self.notify(Level::Warn, format!(":config {doc}: {e}"));
            return;
        }
        match what {
            "drift" => self.push(Box::new(crate::view::config::drift::DriftView::new(doc))),
            "history" => self.push(Box::new(crate::view::config::history::HistoryView::new(
                doc,
                self.readonly,
            ))),
            _ => self.open_config(doc),
        }
    }

    /// Open the editor of `doc` (the one already open, if it is).
    pub fn open_config(&mut self, doc: &str) {
        if let Some(pos) = self.popups.iter().position(|p| {
            p.view
                .as_any()
                .downcast_ref::<crate::view::config::editor::ConfigEditor>()
                .is_some_and(|e| e.doc() == doc)
        }) {
            // back to the editor already open: what is above it closes
            self.popups.truncate(pos + 1);
            self.dirty = true;
            return;
        }
        // a draft of this document is reopened, not silently replaced
        let draft = self.env.drafts.as_ref().and_then(|dir| {
            crate::gconfig::draft::Drafts::at(dir.clone())
                .load(doc, &self.env.cluster)
                .ok()
                .flatten()
        });
        let view = match draft {
            Some(d) => crate::view::config::editor::ConfigEditor::from_draft(d, self.readonly),
            None => crate::view::config::editor::ConfigEditor::new(doc, self.readonly),
        };
        self.push(Box::new(view));
    }

    /// At start: drafts left by a session that ended mid-edit are offered.
    pub fn offer_drafts(&mut self) {
        let Some(dir) = self.env.drafts.clone() else {
            return;
        };
        let (drafts, problems) = crate::gconfig::draft::Drafts::at(dir).list();
        for p in problems {
            self.notify(Level::Warn, p);
        }
        let mine: Vec<_> = drafts
            .into_iter()
            .filter(|d| d.endpoint == self.env.cluster)
            .collect();
        if !mine.is_empty() {
            self.push(Box::new(crate::view::config::draft::DraftOffer::new(
                mine,
                self.readonly,
            )));
        }
    }

    /// `:events` (all) or `:events KIND`.
    fn open_events(&mut self, kind: &str) {
        use crate::health::timeline::Kind;
        let kind = match kind {
            "" => None,
            word => match Kind::parse(word) {
                Some(k) => Some(k),
                None => {
                    let kinds: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
                    self.notify(
                        Level::Warn,
                        format!(":events {word}: no such kind (one of {})", kinds.join(", ")),
                    );
                    return;
                }
            },
        };
        let view = crate::view::events::EventsView::new(kind, self.tz.clone());
        self.push(Box::new(view));
    }

    /// `:errors`, `:errors STACK`, `:errors SERVICE`: the error digest.
    fn open_errors(&mut self, arg: &str) {
        match crate::view::errors::Scope::resolve(&self.store, arg) {
            Ok(scope) => {
                let view = crate::view::errors::ErrorsView::new(scope, self.tz.clone());
                self.push(Box::new(view));
            }
            Err(e) => self.notify(Level::Warn, e),
        }
    }

    fn open_audit(&mut self) {
        self.ops.audit.loading = true;
        self.outbox.push(Outgoing::Engine(EngineCmd::ReadAudit));
        let mut view = crate::view::audit::AuditView::default();
        view.loaded(self.data());
        self.push(Box::new(view));
    }

    /// Carry out what a view asked for; `from` is the popup that asked.
    fn run_effects(&mut self, fx: Effects, from: Option<u64>) {
        for cmd in fx.engine {
            // a log stream's lines go back to the view that started it
            match (&cmd, from) {
                (EngineCmd::FollowLogs(r), Some(id)) => {
                    self.logs_flight.insert(r.stream, id);
                }
                (EngineCmd::StopLogs { stream }, _) => {
                    self.logs_flight.remove(stream);
                }
                _ => {}
            }
            self.outbox.push(Outgoing::Engine(cmd));
        }
        for (l, t) in fx.notices {
            self.notify(l, t);
        }
        for cmd in fx.app {
            match cmd {
                AppCmd::Drill(scope) => self.drill_down(scope),
                AppCmd::Command(c) => self.run_command(&c),
                AppCmd::SetFilter(ctx, filter) => self.set_filter(ctx, filter),
                AppCmd::Write(w) => self.send_write(w, from),
                AppCmd::StartRebalance(plan) => self.start_rebalance(plan),
                AppCmd::Config(cmd) => {
                    let seq = self.ops.next_seq();
                    if cmd.writes() {
                        self.ops.other_writes.insert(seq);
                    }
                    if let Some(id) = from {
                        self.config_flight.insert(seq, id);
                    }
                    self.outbox
                        .push(Outgoing::Engine(EngineCmd::Config { seq, cmd }));
                }
                AppCmd::ExternalEdit { text, suffix } => {
                    if let Some(popup) = from {
                        self.external = Some(ExternalEdit {
                            popup,
                            text,
                            suffix,
                        });
                    }
                }
                AppCmd::Open(v) => self.push(v.0),
                AppCmd::Deploy(cmd) => {
                    let seq = self.ops.next_seq();
                    if cmd.writes() {
                        self.ops.other_writes.insert(seq);
                    }
                    if let Some(id) = from {
                        self.config_flight.insert(seq, id);
                    }
                    self.outbox.push(Outgoing::Engine(EngineCmd::Deploy {
                        seq,
                        cmd: Box::new(cmd),
                    }));
                }
                AppCmd::Clipboard(text) => self.clipboard.push(text),
                AppCmd::Cluster(cmd) => {
                    if self.readonly && cmd.writes() {
                        // the keymap has no write keys in readonly mode; this is the second lock
                        self.notify(
                            Level::Warn,
                            "readonly mode: swarmdeck changes nothing".into(),
                        );
                        continue;
                    }
                    let seq = self.ops.next_seq();
                    if cmd.writes() {
                        self.ops.other_writes.insert(seq);
                    }
                    if let Some(id) = from {
                        self.config_flight.insert(seq, id);
                    }
                    self.outbox
                        .push(Outgoing::Engine(EngineCmd::Cluster { seq, cmd }));
                }
                AppCmd::Secrets(cmd) => {
                    if self.readonly && cmd.writes() {
                        // the keymap has no write keys in readonly mode; this is the second lock
                        self.notify(
                            Level::Warn,
                            "readonly mode: swarmdeck changes nothing".into(),
                        );
                        continue;
                    }
                    let seq = self.ops.next_seq();
                    if cmd.writes() {
                        self.ops.other_writes.insert(seq);
                    }
                    if let Some(id) = from {
                        self.config_flight.insert(seq, id);
                    }
                    self.outbox.push(Outgoing::Engine(EngineCmd::Secrets {
                        seq,
                        cmd: Box::new(cmd),
                    }));
                }
                AppCmd::Digest(cmd) => {
                    let seq = self.ops.next_seq();
                    if let Some(id) = from {
                        self.config_flight.insert(seq, id);
                    }
                    self.outbox
                        .push(Outgoing::Engine(EngineCmd::Digest { seq, cmd }));
                }
                AppCmd::OpenLogs(req) => self.open_logs(req),
                AppCmd::CloseViews(context) => {
                    self.popups.retain(|p| p.view.context() != context);
                    self.prune_scopes();
                }
                AppCmd::CheckClusters => {
                    let targets = self
                        .clusters
                        .list
                        .iter()
                        .enumerate()
                        .map(|(i, c)| (i, c.target()))
                        .collect();
                    self.outbox
                        .push(Outgoing::Clusters(crate::clusters::poll::PollCmd::Check(
                            targets,
                        )));
                }
                AppCmd::SwitchCluster(i) => {
                    self.switch_cluster(i);
                    // the stack is gone: nothing more of what the view asked applies
                    return;
                }
            }
        }
    }

    fn set_filter(&mut self, context: &str, filter: String) {
        if let Some(i) = self.pane_index(context) {
            let (shared, panes, _, _) = self.split();

            let data = shared.data();
            panes[i].set_filter(filter, data);
            return;
        }
        let (shared, _, popups, _) = self.split();

        let data = shared.data();
        for p in popups.iter_mut().rev() {
            if p.view.context() == context && p.view.apply_filter(&filter, data) {
                return;
            }
        }
    }

    /// Send a confirmed write; its result goes back to popup `from`.
    fn send_write(&mut self, w: ops::PendingWrite, from: Option<u64>) {
        if self.readonly {
            // the keymap has no write keys in readonly mode; this is the second lock
            self.notify(
                Level::Warn,
                "readonly mode: swarmdeck changes nothing".into(),
            );
            return;
        }
        let seq = self.ops.next_seq();
        let purpose = match w.follow {
            Follow::Drain(id, check) => {
                self.ops.start_drain(&id, *check, self.now);
                self.outbox.push(Outgoing::Engine(self.ops.engine_watch()));
                Purpose::Drain(id)
            }
            Follow::Nothing => Purpose::Plain,
        };
        self.ops.in_flight.insert(
            seq,
            InFlight {
                view: from,
                purpose,
            },
        );
        self.notify(Level::Info, format!("{}: {} …", w.target.name(), w.action));
        self.outbox
            .push(Outgoing::Engine(EngineCmd::Write(WriteRequest {
                seq,
                target: w.target,
                change: w.change,
                action: w.action,
            })));
    }

    fn start_rebalance(&mut self, plan: Vec<crate::maint::check::Unbalanced>) {
        self.ops.rebalance = plan
            .into_iter()
            .map(|u| RebalanceItem {
                spread_before: u
                    .per_node
                    .iter()
                    .map(|(h, n)| format!("{h}:{n}"))
                    .collect::<Vec<_>>()
                    .join(" "),
                service: u.service,
                name: u.name,
                state: RebalanceStep::Waiting,
            })
            .collect();
        if let Some(req) = self.ops.advance_rebalance(&self.store, self.now) {
            self.outbox.push(Outgoing::Engine(EngineCmd::Write(req)));
        }
    }

    /// A write came back: tell the user, the work that follows it, and the view that asked.
    fn write_done(
        &mut self,
        seq: u64,
        target: &WriteTarget,
        action: &str,
        result: &Result<WriteOutcome, WriteError>,
    ) {
        let flight = self.ops.in_flight.remove(&seq).unwrap_or(InFlight {
            view: None,
            purpose: Purpose::Plain,
        });
        let name = target.name().to_string();
        match result {
            Ok(o) if o.noop => self.notify(
                Level::Info,
                format!("{name}: already so ({action}); nothing written"),
            ),
            Ok(o) => {
                let retried = if o.attempts > 1 {
                    format!(
                        " after {} attempts (someone else wrote meanwhile; their change is kept)",
                        o.attempts
                    )
                } else {
                    String::new()
                };
                self.notify(Level::Info, format!("{name}: {action} done{retried}"));
            }
            Err(e) => self.notify(Level::Danger, format!("{name}: {action} not done: {e}")),
        }
        match &flight.purpose {
            Purpose::Plain => {}
            Purpose::Drain(node) => {
                if let Some(d) = self.ops.drains.get_mut(node) {
                    match result {
                        Ok(_) => d.written = true,
                        Err(e) => d.failed = Some(e.to_string()),
                    }
                }
            }
            Purpose::Rebalance(service) => {
                let now = self.now;
                if let Some(item) = self
                    .ops
                    .rebalance
                    .iter_mut()
                    .find(|i| &i.service == service)
                {
                    item.state = match result {
                        Ok(o) => RebalanceStep::Updating {
                            version: o.version,
                            since: now,
                        },
                        Err(e) => RebalanceStep::Failed(e.to_string()),
                    };
                }
                if let Some(req) = self.ops.advance_rebalance(&self.store, self.now) {
                    self.outbox.push(Outgoing::Engine(EngineCmd::Write(req)));
                }
            }
        }
        // the view that asked hears the result, if it is still open
        if let Some(id) = flight.view
            && self.popups.iter().any(|p| p.id == id)
        {
            let mut fx = Effects::default();
            let out = {
                let (shared, _, popups, _) = self.split();
                let mut cx = shared.ctx(&mut fx);
                match popups.iter_mut().find(|p| p.id == id) {
                    Some(p) => p.view.write_done(result, &mut cx),
                    None => Outcome::Handled,
                }
            };
            self.run_effects(fx, Some(id));
            self.popup_outcome(id, out);
        }
        self.changed(crate::store::Changed {
            nodes: true,
            ..Default::default()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::command::complete;

    #[test]
    fn completion() {
        let mut app = App::new(Keymap::default(), Timestamp::UNIX_EPOCH);
        let cmds = app.commands();
        assert_eq!(complete(&cmds, "no").as_deref(), Some("nodes"));
        assert_eq!(complete(&cmds, "ser").as_deref(), Some("services"));
        assert_eq!(complete(&cmds, "sec").as_deref(), Some("secrets"));
        assert_eq!(complete(&cmds, "s").as_deref(), Some("se"));
        assert_eq!(complete(&cmds, "nodes"), None);
        assert_eq!(complete(&cmds, "x"), None);
        assert_eq!(complete(&cmds, "r").as_deref(), Some("re"));
        assert_eq!(complete(&cmds, "reb").as_deref(), Some("rebalance"));
        assert_eq!(app.candidates("q"), vec!["quit", "q"]);
        app.readonly = true;
        assert_eq!(
            complete(&app.commands(), "r").as_deref(),
            Some("registries"),
            "no write command in readonly mode: :rebalance is gone"
        );
    }
}
