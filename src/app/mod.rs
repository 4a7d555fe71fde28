//! The dashboard's state and everything that changes it. One owner, on the UI task:
//! engine messages and keys come in ([`App::apply`], [`App::on_key`]), commands for the
//! engine go out through [`App::outbox`]. Drawing reads it and never changes it.

use std::collections::{HashMap, VecDeque};

use jiff::Timestamp;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::domain::quorum::Quorum;
use crate::domain::{EngineInfo, Node, NodeId, Service, ServiceId, Task, TaskState};
use crate::engine::{ConnectError, EngineCmd, EngineMsg, FetchError, SwarmEvent, TaskScope};
use crate::keymap::{Action, Keymap};

pub mod maint;
use crate::vip::watch::{VipCmd, VipMsg};
use crate::vip::{NodeAddr, Ownership, VipObservation, VipSpec};

/// Data older than this is shown as stale.
pub const STALE_AFTER_SECS: i64 = 6;
/// How long a notice stays in the footer.
pub const NOTICE_SECS: i64 = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pane {
    Nodes,
    Services,
    Tasks,
    Vips,
}

impl Pane {
    /// In screen order (top to bottom), the order Tab follows.
    pub const ALL: [Pane; 4] = [Pane::Nodes, Pane::Services, Pane::Tasks, Pane::Vips];

    pub fn index(self) -> usize {
        match self {
            Pane::Nodes => 0,
            Pane::Services => 1,
            Pane::Tasks => 2,
            Pane::Vips => 3,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Pane::Nodes => "nodes",
            Pane::Services => "services",
            Pane::Tasks => "tasks",
            Pane::Vips => "vips",
        }
    }
}

/// A command for one of the background tasks, queued by the app for the UI loop to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    Engine(EngineCmd),
    Vip(VipCmd),
}

/// A move of a VIP from one holder to another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VipMove {
    pub at: Timestamp,
    pub from: String,
    pub to: String,
    /// From one node straight to another (not through "no owner" or an alarm).
    pub node_to_node: bool,
}

/// Everything known about one VIP.
#[derive(Debug, Clone, PartialEq)]
pub struct VipState {
    pub spec: VipSpec,
    pub current: Option<VipObservation>,
    /// When the current holder (or lack of one) was first seen.
    pub since: Option<Timestamp>,
    /// Moves, oldest first.
    pub history: VecDeque<VipMove>,
    /// A split brain seen once, not yet confirmed by the next look (a normal preemption
    /// has both nodes hold the VIP for a moment).
    pub split_seen: bool,
}

impl VipState {
    pub fn new(spec: VipSpec) -> Self {
        VipState {
            spec,
            current: None,
            since: None,
            history: VecDeque::new(),
            split_seen: false,
        }
    }

    pub fn owner(&self) -> Option<&str> {
        self.current.as_ref().and_then(|o| o.ownership.owner())
    }
}

/// Holder changes within this window that count as flipping (split brain).
pub const FLIP_WINDOW_SECS: i64 = 15;
/// How many holder changes within the window count as flipping.
pub const FLIPS: usize = 3;

/// Where the connection stands.
#[derive(Debug, Clone, PartialEq)]
pub enum ConnState {
    Connecting { endpoint: String },
    Connected { endpoint: String },
    Failed { errors: Vec<ConnectError> },
    Lost { endpoint: String, reason: String },
}

/// A line for the footer: what just happened that the user should know.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub at: Timestamp,
    pub text: String,
    pub level: Level,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Danger,
}

/// The command line's commands, for completion.
pub const COMMANDS: &[(&str, &str)] = &[
    ("nodes", "focus the nodes pane"),
    ("services", "focus the services pane"),
    ("tasks", "focus the tasks pane"),
    ("vips", "focus the VIP pane"),
    ("help", "show the keys"),
    ("audit", "show the audit log of writes"),
    (
        "rebalance",
        "spread tasks again (a write: absent in readonly mode)",
    ),
    ("quit", "quit swarmdeck"),
    ("q", "quit swarmdeck"),
];

/// Commands that write: absent in readonly mode.
pub const WRITE_COMMANDS: &[&str] = &["rebalance"];

/// Overlays; the top one gets keys first.
#[derive(Debug, Clone, PartialEq)]
pub enum Modal {
    Help {
        scroll: u16,
    },
    Command {
        input: String,
    },
    Filter {
        pane: Pane,
        input: String,
    },
    /// A write waiting for confirmation (or a refusal that explains itself).
    Confirm(Box<maint::Confirm>),
    /// The live progress of a drain.
    DrainProgress {
        node: NodeId,
    },
    /// The node labels form.
    Labels(Box<maint::LabelForm>),
    /// The rebalance plan and its progress.
    Rebalance,
    /// The audit log.
    Audit {
        scroll: u16,
    },
}

/// Selection and scrolling of one pane.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PaneState {
    /// Index into the pane's view.
    pub selected: usize,
    /// The selected row's id, to keep the selection on the same object across refreshes.
    pub selected_id: Option<String>,
    pub filter: String,
}

/// The state of the whole dashboard.
#[derive(Debug, Clone)]
pub struct App {
    pub keymap: Keymap,
    pub conn: ConnState,
    pub info: Option<EngineInfo>,
    pub nodes: Vec<Node>,
    pub services: Vec<Service>,
    /// Tasks that should be running, cluster-wide (polled).
    pub live_tasks: Vec<Task>,
    /// The drill-down's task history, when one is open.
    pub scoped_tasks: Option<(TaskScope, Vec<Task>)>,
    pub drill: Option<TaskScope>,
    /// The last successful read of the swarm.
    pub updated_at: Option<Timestamp>,
    pub now: Timestamp,
    pub focus: Pane,
    /// The pane the tasks pane follows when there is no drill-down.
    pub follow: Pane,
    pub panes: [PaneState; 4],
    pub modals: Vec<Modal>,
    pub notices: VecDeque<Notice>,
    pub fetch_error: Option<FetchError>,
    pub events: VecDeque<SwarmEvent>,
    pub quit: bool,
    /// Something visible changed since the last draw.
    pub dirty: bool,
    /// Rows a page moves (set from the terminal size).
    pub page: usize,
    /// Commands for the engine, drained by the UI loop.
    pub outbox: Vec<Outgoing>,
    /// The VIPs being watched (none: the VIP pane is hidden).
    pub vips: Vec<VipState>,
    /// Readonly mode: no write can start from here.
    pub readonly: bool,
    pub write_seq: u64,
    /// Writes sent and not answered yet.
    pub in_flight: HashMap<u64, maint::InFlight>,
    /// Drains being followed.
    pub drains: HashMap<NodeId, maint::DrainState>,
    /// Every task of the nodes being drained (the leaving ones too).
    pub drain_tasks: HashMap<NodeId, Vec<Task>>,
    /// The rebalance queue (services in order).
    pub rebalance: Vec<maint::RebalanceItem>,
    pub audit: maint::AuditView,
    /// VIP alarms, worst first (derived on update).
    pub alarms: Vec<(Level, String)>,
    // Derived on update, not per frame.
    pub views: [Vec<usize>; 4],
    pub node_index: HashMap<NodeId, usize>,
    pub service_index: HashMap<ServiceId, usize>,
    pub running_per_node: HashMap<NodeId, usize>,
    pub quorum: Quorum,
}

impl App {
    pub fn new(keymap: Keymap, now: Timestamp) -> Self {
        App {
            keymap,
            conn: ConnState::Connecting {
                endpoint: String::new(),
            },
            info: None,
            nodes: Vec::new(),
            services: Vec::new(),
            live_tasks: Vec::new(),
            scoped_tasks: None,
            drill: None,
            updated_at: None,
            now,
            focus: Pane::Nodes,
            follow: Pane::Nodes,
            panes: Default::default(),
            modals: Vec::new(),
            notices: VecDeque::new(),
            fetch_error: None,
            events: VecDeque::new(),
            quit: false,
            dirty: true,
            page: 10,
            outbox: Vec::new(),
            vips: Vec::new(),
            readonly: false,
            write_seq: 0,
            in_flight: HashMap::new(),
            drains: HashMap::new(),
            drain_tasks: HashMap::new(),
            rebalance: Vec::new(),
            audit: maint::AuditView::default(),
            alarms: Vec::new(),
            views: Default::default(),
            node_index: HashMap::new(),
            service_index: HashMap::new(),
            running_per_node: HashMap::new(),
            quorum: Quorum::new(0, 0),
        }
    }

    // ---------------------------------------------------------------- engine messages

    pub fn apply(&mut self, msg: EngineMsg) {
        self.dirty = true;
        match msg {
            EngineMsg::Connecting { endpoint } => {
                if !matches!(self.conn, ConnState::Lost { .. } | ConnState::Failed { .. }) {
                    self.conn = ConnState::Connecting { endpoint };
                }
            }
            EngineMsg::Connected { endpoint, info } => {
                if let ConnState::Lost { endpoint: old, .. } = &self.conn
                    && *old != endpoint
                {
                    self.notify(Level::Warn, format!("failed over from {old} to {endpoint}"));
                }
                self.conn = ConnState::Connected { endpoint };
                self.info = Some(info);
                self.fetch_error = None;
            }
            EngineMsg::ConnectFailed { errors } => {
                self.conn = ConnState::Failed { errors };
            }
            EngineMsg::Lost { endpoint, reason } => {
                self.notify(
                    Level::Danger,
                    format!("lost {endpoint}: {reason}; reconnecting"),
                );
                self.conn = ConnState::Lost { endpoint, reason };
            }
            EngineMsg::Info(info) => self.info = Some(info),
            EngineMsg::Nodes(nodes) => {
                self.nodes = nodes;
                self.fresh();
                if !self.vips.is_empty() {
                    self.outbox
                        .push(Outgoing::Vip(VipCmd::Nodes(self.node_addrs())));
                }
            }
            EngineMsg::Services(services) => {
                self.services = services;
                self.fresh();
            }
            EngineMsg::Tasks { scope, tasks } => {
                if scope == TaskScope::Live {
                    self.live_tasks = tasks;
                    self.fresh();
                } else {
                    if let TaskScope::Node(id) = &scope
                        && self.drains.contains_key(id)
                    {
                        self.drain_tasks.insert(id.clone(), tasks.clone());
                        if let Some(d) = self.drains.get_mut(id)
                            && d.written
                        {
                            d.node_tasks_read = true;
                        }
                    }
                    if self.drill.as_ref() == Some(&scope) {
                        self.scoped_tasks = Some((scope, tasks));
                    }
                }
            }
            EngineMsg::Unchanged { .. } => self.fresh(),
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
                self.fetch_error = Some(error);
            }
            EngineMsg::Event(ev) => {
                if ev.kind == crate::engine::EventKind::Node && !self.vips.is_empty() {
                    self.outbox.push(Outgoing::Vip(VipCmd::CheckNow));
                }
                self.events.push_back(ev);
                while self.events.len() > 200 {
                    self.events.pop_front();
                }
            }
            EngineMsg::WriteDone {
                seq,
                target,
                action,
                result,
            } => self.write_done(seq, &target, &action, &result),
            EngineMsg::Audit(result) => {
                self.audit.loading = false;
                match result {
                    Ok((entries, bad)) => {
                        self.audit.entries = entries;
                        self.audit.unreadable_lines = bad;
                        self.audit.error = None;
                    }
                    Err(e) => self.audit.error = Some(e),
                }
            }
            EngineMsg::EventsResumed { reason } => {
                if reason.contains("undecodable") {
                    self.notify(Level::Warn, format!("events: {reason}; resubscribed"));
                }
            }
        }
        self.rebuild();
    }

    fn fresh(&mut self) {
        self.updated_at = Some(self.now);
        self.fetch_error = None;
    }

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

    /// The notice to show now, if a recent one exists.
    pub fn current_notice(&self) -> Option<&Notice> {
        self.notices
            .back()
            .filter(|n| self.now.as_second() - n.at.as_second() < NOTICE_SECS)
    }

    /// Advance the clock (once a second): ages and "stale" change with it.
    pub fn tick(&mut self, now: Timestamp) {
        let before = (self.age_secs(), self.current_notice().is_some());
        self.now = now;
        if (self.age_secs(), self.current_notice().is_some()) != before || self.has_ages() {
            self.dirty = true;
        }
    }

    fn has_ages(&self) -> bool {
        !self.live_tasks.is_empty() || self.scoped_tasks.is_some()
    }

    /// Seconds since the last successful read.
    pub fn age_secs(&self) -> Option<i64> {
        self.updated_at
            .map(|t| (self.now.as_second() - t.as_second()).max(0))
    }

    pub fn is_stale(&self) -> bool {
        self.age_secs().is_some_and(|a| a > STALE_AFTER_SECS)
    }

    pub fn leader(&self) -> Option<&Node> {
        self.nodes.iter().find(|n| n.is_leader())
    }

    pub fn node(&self, id: &NodeId) -> Option<&Node> {
        self.node_index.get(id).map(|i| &self.nodes[*i])
    }

    pub fn service(&self, id: &ServiceId) -> Option<&Service> {
        self.service_index.get(id).map(|i| &self.services[*i])
    }

    /// The tasks the tasks pane lists (before filtering).
    pub fn task_source(&self) -> &[Task] {
        match (&self.drill, &self.scoped_tasks) {
            (Some(d), Some((s, tasks))) if d == s => tasks,
            (Some(_), _) => &[],
            (None, _) => &self.live_tasks,
        }
    }

    /// What the tasks pane is showing, for its title.
    pub fn task_scope_label(&self) -> String {
        match &self.drill {
            Some(TaskScope::Node(id)) => {
                format!(
                    "on {}, with history",
                    self.node(id).map_or(id.short(), |n| &n.hostname)
                )
            }
            Some(TaskScope::Service(id)) => format!(
                "of {}, with history",
                self.service(id).map_or(id.short(), |s| &s.name)
            ),
            Some(TaskScope::Live) | None => match self.followed() {
                Some(TaskScope::Node(id)) => {
                    format!(
                        "on {}",
                        self.node(&id)
                            .map_or(id.short().to_string(), |n| n.hostname.clone())
                    )
                }
                Some(TaskScope::Service(id)) => {
                    format!(
                        "of {}",
                        self.service(&id)
                            .map_or(id.short().to_string(), |s| s.name.clone())
                    )
                }
                _ => "all running".into(),
            },
        }
    }

    /// Without a drill-down, the tasks pane follows the selection of the node or service pane.
    fn followed(&self) -> Option<TaskScope> {
        match self.follow {
            Pane::Nodes => self.selected_node().map(|n| TaskScope::Node(n.id.clone())),
            Pane::Services => self
                .selected_service()
                .map(|s| TaskScope::Service(s.id.clone())),
            Pane::Tasks | Pane::Vips => None,
        }
    }

    pub fn selected_node(&self) -> Option<&Node> {
        let p = &self.panes[Pane::Nodes.index()];
        self.views[0].get(p.selected).map(|i| &self.nodes[*i])
    }

    pub fn selected_service(&self) -> Option<&Service> {
        let p = &self.panes[Pane::Services.index()];
        self.views[1].get(p.selected).map(|i| &self.services[*i])
    }

    pub fn task_on_down_node(&self, t: &Task) -> bool {
        t.state == TaskState::Running
            && t.node_id
                .as_ref()
                .and_then(|n| self.node(n))
                .is_some_and(|n| n.is_down())
    }

    // ---------------------------------------------------------------- derived data

    /// Recompute indexes and the panes' views after data, filter, drill or selection changed.
    pub fn rebuild(&mut self) {
        self.node_index = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id.clone(), i))
            .collect();
        self.service_index = self
            .services
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.clone(), i))
            .collect();
        self.running_per_node = crate::domain::running_per_node(&self.live_tasks);
        self.quorum = Quorum::from_nodes(&self.nodes);
        self.rebuild_view(Pane::Nodes);
        self.rebuild_view(Pane::Services);
        self.rebuild_view(Pane::Tasks);
        self.rebuild_view(Pane::Vips);
        self.rebuild_alarms();
        self.rebuild_maint();
    }

    fn row_id(&self, pane: Pane, idx: usize) -> String {
        match pane {
            Pane::Nodes => self.nodes[idx].id.0.clone(),
            Pane::Services => self.services[idx].id.0.clone(),
            Pane::Tasks => self.task_source()[idx].id.0.clone(),
            Pane::Vips => self.vips[idx].spec.addr.to_string(),
        }
    }

    /// The words a filter matches against, per row.
    fn row_text(&self, pane: Pane, idx: usize) -> String {
        match pane {
            Pane::Vips => {
                let v = &self.vips[idx];
                let owner = v
                    .current
                    .as_ref()
                    .map(|o| o.ownership.label())
                    .unwrap_or_default();
                format!("{} {owner} {}", v.spec.addr, v.spec.source)
            }
            Pane::Nodes => {
                let n = &self.nodes[idx];
                let labels: Vec<String> =
                    n.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!(
                    "{} {} {} {} {} {} {}",
                    n.hostname,
                    n.role,
                    n.availability,
                    n.state,
                    n.address(),
                    n.engine_version,
                    labels.join(" ")
                )
            }
            Pane::Services => {
                let s = &self.services[idx];
                format!("{} {} {}", s.name, s.mode.name(), s.image_short())
            }
            Pane::Tasks => {
                let t = &self.task_source()[idx];
                let svc = self.service(&t.service_id).map_or("", |s| s.name.as_str());
                let node = t
                    .node_id
                    .as_ref()
                    .and_then(|n| self.node(n))
                    .map_or("", |n| n.hostname.as_str());
                format!(
                    "{svc} {node} {} {} {} {}",
                    t.desired, t.state, t.message, t.error
                )
            }
        }
    }

    fn rebuild_view(&mut self, pane: Pane) {
        let filter = self.effective_filter(pane).to_lowercase();
        let len = match pane {
            Pane::Nodes => self.nodes.len(),
            Pane::Services => self.services.len(),
            Pane::Tasks => self.task_source().len(),
            Pane::Vips => self.vips.len(),
        };
        let follow_scope = if pane == Pane::Tasks && self.drill.is_none() {
            self.followed()
        } else {
            None
        };
        let view: Vec<usize> = (0..len)
            .filter(|i| {
                filter.is_empty() || self.row_text(pane, *i).to_lowercase().contains(&filter)
            })
            .filter(|i| match (&follow_scope, pane) {
                (Some(TaskScope::Node(n)), Pane::Tasks) => {
                    self.live_tasks[*i].node_id.as_ref() == Some(n)
                }
                (Some(TaskScope::Service(s)), Pane::Tasks) => &self.live_tasks[*i].service_id == s,
                _ => true,
            })
            .collect();
        // keep the selection on the same object
        let state = &self.panes[pane.index()];
        let keep = state
            .selected_id
            .as_ref()
            .and_then(|id| view.iter().position(|i| &self.row_id(pane, *i) == id));
        let selected = keep.unwrap_or_else(|| state.selected.min(view.len().saturating_sub(1)));
        let selected_id = view.get(selected).map(|i| self.row_id(pane, *i));
        let state = &mut self.panes[pane.index()];
        state.selected = selected;
        state.selected_id = selected_id;
        self.views[pane.index()] = view;
    }

    /// The filter in force: while typing one, the text typed so far.
    pub fn effective_filter(&self, pane: Pane) -> &str {
        for m in self.modals.iter().rev() {
            if let Modal::Filter { pane: p, input } = m
                && *p == pane
            {
                return input;
            }
        }
        &self.panes[pane.index()].filter
    }

    // ---------------------------------------------------------------- VIPs

    /// Start watching these VIPs (the VIP pane appears).
    pub fn set_vips(&mut self, specs: Vec<VipSpec>) {
        self.vips = specs.into_iter().map(VipState::new).collect();
        self.rebuild_view(Pane::Vips);
        self.dirty = true;
    }

    /// The nodes' addresses, for the VIP watcher.
    pub fn node_addrs(&self) -> Vec<NodeAddr> {
        crate::vip::node_addrs(&self.nodes)
    }

    pub fn apply_vip(&mut self, msg: VipMsg) {
        let VipMsg::Observed(observations) = msg;
        for mut obs in observations {
            let Some(v) = self.vips.iter_mut().find(|v| v.spec.addr == obs.addr) else {
                continue;
            };
            // A split brain counts once it is seen on two looks in a row.
            if matches!(obs.ownership, Ownership::SplitBrain { .. }) && !v.split_seen {
                v.split_seen = true;
                if let Some(cur) = &mut v.current {
                    cur.at = obs.at;
                    cur.reachable = obs.reachable;
                }
                continue;
            }
            v.split_seen = matches!(obs.ownership, Ownership::SplitBrain { .. });
            let label = obs.ownership.label();
            let before = v.current.as_ref().map(|o| o.ownership.label());
            if before.as_deref() != Some(label.as_str()) {
                if let Some(from) = before {
                    let node_to_node = v.owner().is_some() && obs.ownership.owner().is_some();
                    v.history.push_back(VipMove {
                        at: obs.at,
                        from,
                        to: label.clone(),
                        node_to_node,
                    });
                    while v.history.len() > 50 {
                        v.history.pop_front();
                    }
                }
                v.since = Some(obs.at);
            }
            // A holder that keeps changing straight from node to node is two nodes answering
            // in turn (the MAC flips): split brain. A failover and a failback are two moves.
            let recent: Vec<&VipMove> = v
                .history
                .iter()
                .filter(|m| {
                    m.node_to_node && obs.at.as_second() - m.at.as_second() <= FLIP_WINDOW_SECS
                })
                .collect();
            if recent.len() >= FLIPS && !matches!(obs.ownership, Ownership::SplitBrain { .. }) {
                let mut holders: Vec<String> = Vec::new();
                for m in &recent {
                    for h in [&m.from, &m.to] {
                        if !holders.contains(h) {
                            holders.push(h.clone());
                        }
                    }
                }
                obs.ownership = Ownership::SplitBrain {
                    why: format!(
                        "the holder changed {} times in {FLIP_WINDOW_SECS} s (its MAC flips between nodes)",
                        recent.len()
                    ),
                    holders,
                };
            }
            v.current = Some(obs);
        }
        self.rebuild_view(Pane::Vips);
        self.rebuild_alarms();
        self.dirty = true;
    }

    /// VIP alarms and notes for the header and the pane: (level, text), worst first.
    pub fn vip_alarms(&self) -> &[(Level, String)] {
        &self.alarms
    }

    /// Recompute [`App::vip_alarms`] (after VIPs or nodes changed).
    fn rebuild_alarms(&mut self) {
        let mut alarms: Vec<crate::vip::Alarm> = self
            .vips
            .iter()
            .filter_map(|v| {
                let obs = v.current.as_ref()?;
                crate::vip::alarm(v.spec.addr, &obs.ownership, &self.nodes)
            })
            .collect();
        alarms.sort();
        self.alarms = alarms
            .into_iter()
            .map(|a| match a {
                crate::vip::Alarm::Danger(t) => (Level::Danger, t),
                crate::vip::Alarm::Warn(t) => (Level::Warn, t),
                crate::vip::Alarm::Info(t) => (Level::Info, t),
            })
            .collect();
    }

    /// Whether this node holds a watched VIP.
    pub fn holds_vip(&self, hostname: &str) -> bool {
        self.vips.iter().any(|v| v.owner() == Some(hostname))
    }

    pub fn selected_vip(&self) -> Option<&VipState> {
        let p = &self.panes[Pane::Vips.index()];
        self.views[3].get(p.selected).map(|i| &self.vips[*i])
    }

    // ---------------------------------------------------------------- keys

    pub fn on_key(&mut self, key: KeyEvent) {
        self.dirty = true;
        if let Some(top) = self.modals.last().cloned() {
            self.on_modal_key(top, key);
            return;
        }
        if let Some(action) = self.keymap.action(&key) {
            self.run(action);
        }
    }

    fn on_modal_key(&mut self, modal: Modal, key: KeyEvent) {
        let ctrl_c =
            key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl_c {
            self.quit = true;
            return;
        }
        match modal {
            Modal::Help { scroll } => match self.keymap.action(&key) {
                Some(Action::Down) => self.set_top(Modal::Help {
                    scroll: scroll.saturating_add(1),
                }),
                Some(Action::Up) => self.set_top(Modal::Help {
                    scroll: scroll.saturating_sub(1),
                }),
                Some(Action::Help | Action::Back | Action::Quit) => {
                    self.modals.pop();
                }
                _ if key.code == KeyCode::Esc => {
                    self.modals.pop();
                }
                _ => {}
            },
            Modal::Command { mut input } => match key.code {
                KeyCode::Esc => {
                    self.modals.pop();
                }
                KeyCode::Enter => {
                    self.modals.pop();
                    self.run_command(input.trim());
                }
                KeyCode::Tab => {
                    if let Some(done) = complete(&self.commands(), &input) {
                        self.set_top(Modal::Command { input: done });
                    }
                }
                KeyCode::Backspace => {
                    if input.pop().is_none() {
                        self.modals.pop();
                    } else {
                        self.set_top(Modal::Command { input });
                    }
                }
                KeyCode::Char(c) => {
                    input.push(c);
                    self.set_top(Modal::Command { input });
                }
                _ => {}
            },
            Modal::Confirm(c) => self.on_confirm_key(*c, key),
            Modal::DrainProgress { .. } | Modal::Rebalance | Modal::Audit { .. } => {
                self.on_view_key(modal, key)
            }
            Modal::Labels(form) => self.on_labels_key(*form, key),
            Modal::Filter { pane, mut input } => match key.code {
                KeyCode::Esc => {
                    self.modals.pop();
                    self.panes[pane.index()].filter.clear();
                    self.rebuild_view(pane);
                }
                KeyCode::Enter => {
                    self.modals.pop();
                    self.panes[pane.index()].filter = input;
                    self.panes[pane.index()].selected = 0;
                    self.panes[pane.index()].selected_id = None;
                    self.rebuild_view(pane);
                    self.selection_moved(pane);
                }
                KeyCode::Backspace => {
                    input.pop();
                    self.set_top(Modal::Filter { pane, input });
                    self.rebuild_view(pane);
                }
                KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                    input.push(c);
                    self.set_top(Modal::Filter { pane, input });
                    let st = &mut self.panes[pane.index()];
                    st.selected = 0;
                    st.selected_id = None;
                    self.rebuild_view(pane);
                }
                _ => {}
            },
        }
    }

    fn set_top(&mut self, m: Modal) {
        if let Some(top) = self.modals.last_mut() {
            *top = m;
        }
    }

    /// Run the command typed on the command line.
    pub fn run_command(&mut self, cmd: &str) {
        let cmd = cmd.trim_start_matches(':');
        match cmd {
            "" => {}
            "nodes" | "node" | "no" => self.focus_pane(Pane::Nodes),
            "services" | "service" | "svc" => self.focus_pane(Pane::Services),
            "tasks" | "task" => self.focus_pane(Pane::Tasks),
            "vips" | "vip" if !self.vips.is_empty() => self.focus_pane(Pane::Vips),
            "vips" | "vip" => self.notify(
                Level::Warn,
                "no VIP is watched: use --vip ADDR, `vips` in the config file, or a readable keepalived.conf".into(),
            ),
                        "help" => self.modals.push(Modal::Help { scroll: 0 }),
            "audit" => self.open_audit(),
            "rebalance" if !self.readonly => self.open_rebalance(None),
            "q" | "quit" | "q!" => self.quit = true,
            other => {
                let known = self.commands().iter().map(|c| format!(":{c}")).collect::<Vec<_>>().join(" ");
                self.notify(Level::Warn, format!("unknown command :{other} (try {known})"))
            }
        }
    }

    fn focus_pane(&mut self, pane: Pane) {
        self.focus = pane;
        if matches!(pane, Pane::Nodes | Pane::Services) {
            self.follow = pane;
        }
        self.rebuild_view(Pane::Tasks);
    }

    pub fn run(&mut self, action: Action) {
        let pane = self.focus;
        let len = self.views[pane.index()].len();
        let cur = self.panes[pane.index()].selected;
        match action {
            Action::Quit => self.quit = true,
            Action::Help => self.modals.push(Modal::Help { scroll: 0 }),
            Action::NextPane => {
                let next = self.cycle(pane, 1);
                self.focus_pane(next);
            }
            Action::PrevPane => {
                let prev = self.cycle(pane, Pane::ALL.len() - 1);
                self.focus_pane(prev);
            }
            Action::Up => self.select(pane, cur.saturating_sub(1)),
            Action::Down => self.select(pane, (cur + 1).min(len.saturating_sub(1))),
            Action::Top => self.select(pane, 0),
            Action::Bottom => self.select(pane, len.saturating_sub(1)),
            Action::PageUp => self.select(pane, cur.saturating_sub(self.page.max(1))),
            Action::PageDown => {
                self.select(pane, (cur + self.page.max(1)).min(len.saturating_sub(1)))
            }
            Action::Enter => self.drill_down(),
            Action::Back => self.back(),
            Action::Filter => {
                let input = self.panes[pane.index()].filter.clone();
                self.modals.push(Modal::Filter { pane, input });
            }
            Action::Command => self.modals.push(Modal::Command {
                input: String::new(),
            }),
            Action::Refresh => {
                self.outbox.push(Outgoing::Engine(EngineCmd::Refresh));
                self.notify(Level::Info, "re-reading the swarm".into());
            }
            // every write action (see Action::is_write)
            _ => self.maintenance(action),
        }
    }

    /// The pane `step` places on from `pane`, skipping the VIP pane when it is hidden.
    fn cycle(&self, pane: Pane, step: usize) -> Pane {
        let n = Pane::ALL.len();
        let mut i = pane.index();
        loop {
            i = (i + step) % n;
            let p = Pane::ALL[i];
            if p != Pane::Vips || !self.vips.is_empty() {
                return p;
            }
        }
    }

    fn select(&mut self, pane: Pane, idx: usize) {
        let st = &mut self.panes[pane.index()];
        st.selected = idx;
        st.selected_id = None;
        self.rebuild_view(pane);
        self.selection_moved(pane);
    }

    fn selection_moved(&mut self, pane: Pane) {
        if matches!(pane, Pane::Nodes | Pane::Services) && self.drill.is_none() {
            self.rebuild_view(Pane::Tasks);
        }
    }

    fn drill_down(&mut self) {
        let scope = match self.focus {
            Pane::Nodes => self.selected_node().map(|n| TaskScope::Node(n.id.clone())),
            Pane::Services => self
                .selected_service()
                .map(|s| TaskScope::Service(s.id.clone())),
            Pane::Tasks | Pane::Vips => None,
        };
        let Some(scope) = scope else { return };
        self.follow = self.focus;
        self.drill = Some(scope.clone());
        self.scoped_tasks = None;
        self.focus = Pane::Tasks;
        self.panes[Pane::Tasks.index()] = PaneState::default();
        self.outbox
            .push(Outgoing::Engine(EngineCmd::SetTaskScope(Some(scope))));
        self.rebuild_view(Pane::Tasks);
    }

    fn back(&mut self) {
        if self.focus == Pane::Tasks && self.drill.is_some() {
            self.drill = None;
            self.scoped_tasks = None;
            self.focus = self.follow;
            self.panes[Pane::Tasks.index()] = PaneState::default();
            self.outbox
                .push(Outgoing::Engine(EngineCmd::SetTaskScope(None)));
            self.rebuild_view(Pane::Tasks);
        } else if !self.panes[self.focus.index()].filter.is_empty() {
            self.panes[self.focus.index()].filter.clear();
            self.rebuild_view(self.focus);
        }
    }
}

impl App {
    /// The commands in force (no write command in readonly mode).
    pub fn commands(&self) -> Vec<&'static str> {
        COMMANDS
            .iter()
            .map(|(c, _)| *c)
            .filter(|c| !(self.readonly && WRITE_COMMANDS.contains(c)))
            .collect()
    }

    /// Commands a prefix could become (shown beside the command line).
    pub fn candidates(&self, prefix: &str) -> Vec<&'static str> {
        self.commands()
            .into_iter()
            .filter(|c| c.starts_with(prefix))
            .collect()
    }
}

/// Complete a command-line prefix: the one command it starts, or the longest common prefix.
pub fn complete(commands: &[&str], prefix: &str) -> Option<String> {
    let matches: Vec<&str> = commands
        .iter()
        .copied()
        .filter(|c| c.starts_with(prefix) && *c != prefix)
        .collect();
    let first = matches.first()?;
    let mut common = first.to_string();
    for m in &matches[1..] {
        while !m.starts_with(&common) {
            common.pop();
        }
    }
    (common.len() > prefix.len()).then_some(common)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::vip::{Method, Ownership, VipObservation, VipSource, VipSpec};

    fn vip_app() -> App {
        let mut app = App::new(Keymap::default(), Timestamp::UNIX_EPOCH);
        app.set_vips(vec![VipSpec {
            addr: "198.51.100.100".parse().unwrap(),
            port: 2377,
            source: VipSource::Cli,
        }]);
        app
    }

    fn seen(app: &mut App, secs: i64, ownership: Ownership) {
        let at = Timestamp::from_second(secs).unwrap();
        app.apply_vip(VipMsg::Observed(vec![VipObservation {
            addr: "198.51.100.100".parse().unwrap(),
            ownership,
            reachable: Some(true),
            port: 2377,
            at,
        }]));
    }

    fn owner(name: &str) -> Ownership {
        Ownership::Owner {
            hostname: name.into(),
            method: Method::LocalInterface {
                iface: "eth0".into(),
            },
        }
    }

    fn split() -> Ownership {
        Ownership::SplitBrain {
            holders: vec!["node1".into(), "node2".into()],
            why: "2 hosts answer".into(),
        }
    }

    #[test]
    fn vip_moves_are_recorded_with_their_time() {
        let mut app = vip_app();
        seen(&mut app, 100, owner("node1"));
        seen(&mut app, 101, owner("node1"));
        seen(&mut app, 102, owner("node2"));
        let v = &app.vips[0];
        assert_eq!(v.owner(), Some("node2"));
        assert_eq!(v.since, Timestamp::from_second(102).ok());
        assert_eq!(v.history.len(), 1);
        assert_eq!(
            (v.history[0].from.as_str(), v.history[0].to.as_str()),
            ("node1", "node2")
        );
    }

    #[test]
    fn a_split_brain_seen_once_is_a_preemption_not_an_alarm() {
        let mut app = vip_app();
        seen(&mut app, 100, owner("node2"));
        seen(&mut app, 101, split());
        seen(&mut app, 102, owner("node1"));
        assert!(app.vip_alarms().is_empty(), "{:?}", app.vip_alarms());
        assert_eq!(app.vips[0].history.len(), 1);
        seen(&mut app, 110, split());
        seen(&mut app, 111, split());
        assert!(
            app.vip_alarms()
                .iter()
                .any(|(l, t)| *l == Level::Danger && t.contains("split brain"))
        );
    }

    #[test]
    fn a_holder_flipping_between_nodes_is_split_brain() {
        let mut app = vip_app();
        seen(&mut app, 100, owner("node1"));
        seen(&mut app, 102, owner("node2"));
        seen(&mut app, 104, owner("node1"));
        assert!(
            app.vip_alarms().iter().all(|(l, _)| *l != Level::Danger),
            "failover + failback is fine"
        );
        seen(&mut app, 106, owner("node2"));
        let alarms = app.vip_alarms();
        assert!(
            alarms
                .iter()
                .any(|(l, t)| *l == Level::Danger && t.contains("split brain")),
            "{alarms:?}"
        );
    }

    #[test]
    fn no_owner_is_an_alarm() {
        let mut app = vip_app();
        seen(
            &mut app,
            100,
            Ownership::NoOwner {
                why: "nobody answers".into(),
            },
        );
        assert_eq!(
            app.vip_alarms()[0].clone(),
            (Level::Danger, "VIP 198.51.100.100: no owner".to_string())
        );
    }

    #[test]
    fn completion() {
        let mut app = App::new(Keymap::default(), Timestamp::UNIX_EPOCH);
        let cmds = app.commands();
        assert_eq!(complete(&cmds, "no").as_deref(), Some("nodes"));
        assert_eq!(complete(&cmds, "s").as_deref(), Some("services"));
        assert_eq!(complete(&cmds, "nodes"), None);
        assert_eq!(complete(&cmds, "x"), None);
        assert_eq!(complete(&cmds, "r").as_deref(), Some("rebalance"));
        assert_eq!(app.candidates("q"), vec!["quit", "q"]);
        app.readonly = true;
        assert_eq!(
            complete(&app.commands(), "r"),
            None,
            "no write command in readonly mode"
        );
    }
}
