//! The swarm as last read: nodes, services, tasks, VIPs, the connection, and what is derived
//! from them (indexes, quorum, running tasks per node, VIP alarms). Engine and VIP messages
//! update it ([`Store::apply`], [`Store::apply_vip`]) and say what changed ([`Changed`]);
//! views only read it. UI state (selection, filters, popups) is not here.

use std::collections::{HashMap, VecDeque};

use jiff::Timestamp;

use crate::domain::quorum::Quorum;
use crate::domain::{EngineInfo, Node, NodeId, Service, ServiceId, Task, TaskId, TaskState};
use crate::engine::{ConnectError, EngineMsg, FetchError, SwarmEvent, TaskScope};
use crate::health::alerts::{Alert, AlertConfig};
use crate::health::timeline::{self, Timeline};
use crate::health::watch::ProbeRound;
use crate::health::{LeaderChange, Reach};
use crate::vip::watch::VipMsg;
use crate::vip::{NodeAddr, Ownership, VipObservation, VipSpec};

/// Data older than this is shown as stale.
pub const STALE_AFTER_SECS: i64 = 6;
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

/// How bad something is (notices, alarms, dialog lines).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Danger,
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

/// What a message changed, for the views to refresh only what they show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Changed {
    pub nodes: bool,
    pub services: bool,
    /// The live tasks.
    pub tasks: bool,
    /// A scoped task history (drill-down, drain, task detail).
    pub scoped: bool,
    pub vips: bool,
    /// Connection, engine info, freshness, fetch errors.
    pub conn: bool,
}

impl Changed {
    pub const ALL: Changed = Changed {
        nodes: true,
        services: true,
        tasks: true,
        scoped: true,
        vips: true,
        conn: true,
    };

    pub fn any(self) -> bool {
        self != Changed::default()
    }

    /// Anything a list of swarm objects may show.
    pub fn data(self) -> bool {
        self.nodes || self.services || self.tasks || self.scoped || self.vips
    }
}

impl std::ops::BitOrAssign for Changed {
    fn bitor_assign(&mut self, o: Changed) {
        self.nodes |= o.nodes;
        self.services |= o.services;
        self.tasks |= o.tasks;
        self.scoped |= o.scoped;
        self.vips |= o.vips;
        self.conn |= o.conn;
    }
}

/// The swarm as last read.
#[derive(Debug)]
pub struct Store {
    pub conn: ConnState,
    pub info: Option<EngineInfo>,
    pub nodes: Vec<Node>,
    pub services: Vec<Service>,
    /// Tasks that should be running, cluster-wide (polled).
    pub live_tasks: Vec<Task>,
    /// Task histories read for a scope (the drill-down, a draining node, a task's service).
    pub scoped: HashMap<TaskScope, Vec<Task>>,
    /// The last successful read of the swarm.
    pub updated_at: Option<Timestamp>,
    pub fetch_error: Option<FetchError>,
    pub events: VecDeque<SwarmEvent>,
    /// The VIPs being watched (none: the VIP pane is hidden).
    pub vips: Vec<VipState>,
    // Derived on update, not per frame.
    pub node_index: HashMap<NodeId, usize>,
    pub service_index: HashMap<ServiceId, usize>,
    pub running_per_node: HashMap<NodeId, usize>,
    pub quorum: Quorum,
    /// VIP alarms, worst first.
    pub alarms: Vec<(Level, String)>,
    // HA truth (issue 11).
    /// Each node as this host's probes see it (`health::probe`).
    pub reach: HashMap<NodeId, Reach>,
    /// Since when the engine says there is no leader (lists fail with "no leader", or the
    /// manager's `/info` hangs in an election); `None` once a list is read again.
    pub no_leader_since: Option<Timestamp>,
    /// Leader changes as the engine reported them, oldest first (bounded).
    pub leader_changes: VecDeque<LeaderChange>,
    /// Tasks the live poll stopped seeing, as read once they left (final state, exit code),
    /// oldest first (bounded): restarts and crash loops are counted from them.
    pub ended: VecDeque<Task>,
    /// Since when each service has been below its desired count.
    pub below_since: HashMap<ServiceId, Timestamp>,
    /// The event timeline (`:events`).
    pub timeline: Timeline,
    /// The active alerts, worst first (the alerts bar).
    pub alerts: Vec<Alert>,
    /// The other managers' endpoints known for failover (configured and discovered).
    pub failover: Vec<String>,
    /// The endpoint of the last connection (a new one to another endpoint is a failover).
    pub last_endpoint: Option<String>,
    /// A service list was read (the next one is diffed into the timeline).
    services_read: bool,
    /// The last log lines read for tasks (the task explainer), oldest first, at most
    /// [`TASK_LOGS_KEPT`] tasks.
    pub task_logs: VecDeque<(TaskId, Result<Vec<String>, String>)>,
    /// What the alert rules are tuned by (the config file's `below_desired_secs`).
    pub alert_cfg: AlertConfig,
}

/// How many tasks' log tails the store keeps.
pub const TASK_LOGS_KEPT: usize = 20;

impl Default for Store {
    fn default() -> Self {
        Store {
            conn: ConnState::Connecting {
                endpoint: String::new(),
            },
            info: None,
            nodes: Vec::new(),
            services: Vec::new(),
            live_tasks: Vec::new(),
            scoped: HashMap::new(),
            updated_at: None,
            fetch_error: None,
            events: VecDeque::new(),
            vips: Vec::new(),
            node_index: HashMap::new(),
            service_index: HashMap::new(),
            running_per_node: HashMap::new(),
            quorum: Quorum::new(0, 0),
            alarms: Vec::new(),
            reach: HashMap::new(),
            no_leader_since: None,
            leader_changes: VecDeque::new(),
            ended: VecDeque::new(),
            below_since: HashMap::new(),
            timeline: Timeline::default(),
            alerts: Vec::new(),
            failover: Vec::new(),
            last_endpoint: None,
            services_read: false,
            task_logs: VecDeque::new(),
            alert_cfg: AlertConfig::default(),
        }
    }
}

impl Store {
    /// Take an engine message's data; `now` stamps freshness. Messages that are not data
    /// (writes, the audit log, notices) change nothing here.
    pub fn apply(&mut self, msg: EngineMsg, now: Timestamp) -> Changed {
        let mut changed = Changed::default();
        let leader_before = self.leader().map(|n| n.hostname.clone());
        let had_nodes = !self.nodes.is_empty();
        match msg {
            EngineMsg::Connecting { endpoint } => {
                if !matches!(self.conn, ConnState::Lost { .. } | ConnState::Failed { .. }) {
                    self.conn = ConnState::Connecting { endpoint };
                }
                changed.conn = true;
            }
            EngineMsg::Connected { endpoint, info } => {
                self.connected_event(&endpoint, now);
                self.last_endpoint = Some(endpoint.clone());
                self.conn = ConnState::Connected { endpoint };
                self.take_info(info);
                self.fetch_error = None;
                changed.conn = true;
            }
            EngineMsg::ConnectFailed { errors } => {
                if !matches!(self.conn, ConnState::Failed { .. }) {
                    use crate::health::timeline::{Kind, Severity};
                    let text = format!(
                        "no manager reachable ({} endpoint(s) tried): {}",
                        errors.len(),
                        errors.first().map(ToString::to_string).unwrap_or_default()
                    );
                    self.timeline.push(
                        now,
                        Kind::Connection,
                        Severity::Critical,
                        "swarmdeck",
                        text,
                    );
                }
                self.conn = ConnState::Failed { errors };
                changed.conn = true;
            }
            EngineMsg::Lost { endpoint, reason } => {
                use crate::health::timeline::{Kind, Severity};
                let text = format!("lost the connection to {endpoint}: {reason}");
                self.timeline.push(
                    now,
                    Kind::Connection,
                    Severity::Critical,
                    endpoint.clone(),
                    text,
                );
                self.conn = ConnState::Lost { endpoint, reason };
                changed.conn = true;
            }
            EngineMsg::Info(info) => {
                self.take_info(info);
                changed.conn = true;
            }
            EngineMsg::Nodes(nodes) => {
                if had_nodes {
                    self.first_sign_of_life(&nodes, now);
                    let events = timeline::nodes(&self.nodes, &nodes, now);
                    self.timeline.extend(events);
                }
                self.nodes = nodes;
                self.no_leader_since = None;
                self.fresh(now);
                changed.nodes = true;
                changed.conn = true;
            }
            EngineMsg::Services(services) => {
                if std::mem::replace(&mut self.services_read, true) {
                    let events = timeline::services(&self.services, &services, now);
                    self.timeline.extend(events);
                }
                self.services = services;
                self.fresh(now);
                changed.services = true;
                changed.conn = true;
            }
            EngineMsg::Tasks { scope, tasks } => {
                if scope == TaskScope::Live {
                    self.live_tasks = tasks;
                    self.fresh(now);
                    changed.tasks = true;
                    changed.conn = true;
                } else {
                    self.scoped.insert(scope, tasks);
                    changed.scoped = true;
                }
            }
            EngineMsg::FetchFailed { error, .. } => {
                if matches!(error, FetchError::NoLeader(_)) && self.no_leader_since.is_none() {
                    self.no_leader_since = Some(now);
                }
                self.fetch_error = Some(error);
                changed.conn = true;
            }
            EngineMsg::TasksEnded(tasks) => {
                let events = timeline::tasks_ended(&tasks, self, now);
                self.timeline.extend(events);
                self.ended.extend(tasks);
                while self.ended.len() > 1000 {
                    self.ended.pop_front();
                }
                changed.tasks = true;
            }
            EngineMsg::Failover { endpoints } => {
                self.failover = endpoints;
                changed.conn = true;
            }
            EngineMsg::TaskLogs { task, result } => {
                // drawn from the store: the redraw that follows every message shows them
                self.task_logs.retain(|(t, _)| t != &task);
                self.task_logs.push_back((task, result));
                while self.task_logs.len() > TASK_LOGS_KEPT {
                    self.task_logs.pop_front();
                }
            }
            EngineMsg::Event(ev) => {
                self.events.push_back(ev);
                while self.events.len() > 200 {
                    self.events.pop_front();
                }
            }
            _ => {}
        }
        if changed.nodes || changed.services || changed.tasks {
            self.rebuild();
        }
        if changed.services {
            self.track_below_desired(now);
        }
        if changed.nodes {
            self.rebuild_alarms();
        }
        let leader_after = self.leader().map(|n| n.hostname.clone());
        if had_nodes && leader_before != leader_after {
            let event = timeline::leader(leader_before.as_deref(), leader_after.as_deref(), now);
            self.timeline.add(event);
            self.leader_changes.push_back(LeaderChange {
                at: now,
                from: leader_before,
                to: leader_after,
            });
            while self.leader_changes.len() > 50 {
                self.leader_changes.pop_front();
            }
            changed.nodes = true;
        }
        if self.rebuild_alerts(now) {
            changed.conn = true;
        }
        changed
    }

    /// A manager's info; one without a leader may not know the cluster's id: the last known
    /// one is kept.
    fn take_info(&mut self, mut info: EngineInfo) {
        if info.cluster_id.is_empty()
            && let Some(old) = &self.info
        {
            info.cluster_id = old.cluster_id.clone();
        }
        self.info = Some(info);
    }

    /// A connection on the timeline: the first, a reconnection, or a failover.
    fn connected_event(&mut self, endpoint: &str, now: Timestamp) {
        use crate::health::timeline::{Kind, Severity};
        let (severity, text) = match self.last_endpoint.as_deref() {
            None => (Severity::Info, format!("connected to {endpoint}")),
            Some(old) if old == endpoint => (Severity::Info, format!("reconnected to {endpoint}")),
            Some(old) => (
                Severity::Warn,
                format!("failed over to {endpoint} (was {old})"),
            ),
        };
        self.timeline
            .push(now, Kind::Connection, severity, endpoint.to_string(), text);
    }

    /// Since when each service has been below its desired count: set when it falls below,
    /// dropped when it is back (or gone).
    fn track_below_desired(&mut self, now: Timestamp) {
        let below: std::collections::HashSet<&ServiceId> = self
            .services
            .iter()
            .filter(|s| s.is_degraded())
            .map(|s| &s.id)
            .collect();
        self.below_since.retain(|id, _| below.contains(id));
        for id in below {
            if !self.below_since.contains_key(id) {
                self.below_since.insert(id.clone(), now);
            }
        }
    }

    /// Judge the alert rules anew (after every message, and once a second for the rules
    /// that count time); whether the alerts changed.
    pub fn rebuild_alerts(&mut self, now: Timestamp) -> bool {
        use crate::health::alerts::{Input, evaluate};
        let alerts = evaluate(&Input::from_store(self, now, &self.alert_cfg));
        if alerts == self.alerts {
            return false;
        }
        self.alerts = alerts;
        true
    }

    /// The data is as fresh as `now` (a list was read, changed or not).
    pub fn fresh(&mut self, now: Timestamp) {
        self.updated_at = Some(now);
        self.fetch_error = None;
    }

    /// Keep only the task histories something still shows; the others are dropped, so the
    /// store does not grow with every drill-down or task opened.
    pub fn keep_scopes(&mut self, keep: &[TaskScope]) {
        self.scoped.retain(|s, _| keep.contains(s));
    }

    fn rebuild(&mut self) {
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
    }

    // ---------------------------------------------------------------- reading

    /// Seconds since the last successful read.
    pub fn age_secs(&self, now: Timestamp) -> Option<i64> {
        self.updated_at
            .map(|t| (now.as_second() - t.as_second()).max(0))
    }

    pub fn is_stale(&self, now: Timestamp) -> bool {
        self.age_secs(now).is_some_and(|a| a > STALE_AFTER_SECS)
    }

    /// The leader as the engine last reported it; none while the engine says there is no
    /// leader (an election, or quorum lost), even though the last list read still names one.
    pub fn leader(&self) -> Option<&Node> {
        if self.no_leader_since.is_some() {
            return None;
        }
        self.nodes.iter().find(|n| n.is_leader())
    }

    /// Whether this node is the leader now (see [`Store::leader`]): the star in its row.
    pub fn is_leader(&self, n: &Node) -> bool {
        self.no_leader_since.is_none() && n.is_leader()
    }

    /// Whether this host's probes say the node is unreachable (two failures in a row).
    pub fn unreachable_from_here(&self, id: &NodeId) -> bool {
        self.reach.get(id).is_some_and(Reach::unreachable)
    }

    pub fn node(&self, id: &NodeId) -> Option<&Node> {
        self.node_index.get(id).and_then(|i| self.nodes.get(*i))
    }

    pub fn service(&self, id: &ServiceId) -> Option<&Service> {
        self.service_index
            .get(id)
            .and_then(|i| self.services.get(*i))
    }

    /// A node's hostname, or its short id when it is not (or no longer) known.
    pub fn node_name(&self, id: &NodeId) -> String {
        self.node(id)
            .map_or_else(|| id.short().to_string(), |n| n.hostname.clone())
    }

    /// A service's name, or its short id.
    pub fn service_name(&self, id: &ServiceId) -> String {
        self.service(id)
            .map_or_else(|| id.short().to_string(), |s| s.name.clone())
    }

    /// A task by id, wherever it was read (live or a history).
    pub fn task(&self, id: &TaskId) -> Option<&Task> {
        self.live_tasks
            .iter()
            .chain(self.scoped.values().flatten())
            .find(|t| &t.id == id)
    }

    /// A task as the docker CLI names it: `service.slot`, or `service.node` for global ones.
    pub fn task_name(&self, t: &Task) -> String {
        let svc = self.service_name(&t.service_id);
        match t.slot {
            Some(slot) if slot > 0 => format!("{svc}.{slot}"),
            _ => format!("{svc}.{}", t.node_id.as_ref().map_or("?", |n| n.short())),
        }
    }

    /// The log tail read for a task, or why it could not be read; None if never asked.
    pub fn task_logs_of(&self, id: &TaskId) -> Option<&Result<Vec<String>, String>> {
        self.task_logs
            .iter()
            .rev()
            .find(|(t, _)| t == id)
            .map(|(_, r)| r)
    }

    pub fn task_on_down_node(&self, t: &Task) -> bool {
        t.state == TaskState::Running
            && t.node_id
                .as_ref()
                .and_then(|n| self.node(n))
                .is_some_and(|n| n.is_down())
    }

    // ---------------------------------------------------------------- probes

    /// One round of this host's probes: count failures per node, and put the moments a node
    /// becomes unreachable from here (the second failure in a row) or answers again on the
    /// timeline. Nodes no longer probed are forgotten.
    /// A node suspected from here that the engine hears from again (ready, or its raft
    /// reachable again) is back before our probe says so: the restore goes on the timeline
    /// first, ahead of the engine's own "ready again" (the engine's agent may reach the leader
    /// before this host's probe reaches the node).
    fn first_sign_of_life(&mut self, nodes: &[Node], now: Timestamp) {
        use crate::domain::{NodeState, Reachability};
        use crate::health::timeline::{Kind, Severity};
        for n in nodes {
            if !self.unreachable_from_here(&n.id) {
                continue;
            }
            let Some(o) = self.node(&n.id) else { continue };
            let ready = n.state == NodeState::Ready && o.state != NodeState::Ready;
            let raft = |x: &Node| x.manager.as_ref().map(|m| m.reachability.clone());
            let reachable = raft(n) == Some(Reachability::Reachable)
                && raft(o).is_some_and(|r| r != Reachability::Reachable);
            if ready || reachable {
                let text = format!(
                    "{} back: the engine hears from it again (not answering from here yet)",
                    n.hostname
                );
                self.timeline.push(
                    now,
                    Kind::Suspicion,
                    Severity::Info,
                    n.hostname.clone(),
                    text,
                );
            }
        }
    }

    pub fn apply_probe(&mut self, round: ProbeRound, now: Timestamp) -> Changed {
        use crate::health::timeline::{Kind, Severity};
        let mut flipped = false;
        let mut probed = std::collections::HashSet::new();
        for (target, result) in round.results {
            let name = self.node_name(&target.node);
            probed.insert(target.node.clone());
            let r = self.reach.entry(target.node).or_default();
            r.target = target.addr;
            match result {
                Ok(()) => {
                    if r.unreachable() {
                        flipped = true;
                        let text =
                            format!("{name} reachable from here again ({} answers)", r.target);
                        self.timeline
                            .push(now, Kind::Suspicion, Severity::Info, name, text);
                    }
                    r.failures = 0;
                    r.failing_since = None;
                    r.error.clear();
                }
                Err(why) => {
                    if r.failures == 0 {
                        r.failing_since = Some(now);
                    }
                    r.failures += 1;
                    r.error = why;
                    if r.failures == crate::health::SUSPECT_AFTER {
                        flipped = true;
                        let text = format!(
                            "{name} unreachable from here: {} probes of {} failed ({})",
                            r.failures, r.target, r.error
                        );
                        self.timeline
                            .push(now, Kind::Suspicion, Severity::Critical, name, text);
                    }
                }
            }
        }
        let before = self.reach.len();
        // a round may probe only some workers (they take turns): forget only nodes that left
        let index = &self.node_index;
        self.reach
            .retain(|id, _| probed.contains(id) || index.contains_key(id));
        flipped |= self.reach.len() != before;
        let alerts = flipped && self.rebuild_alerts(now);
        Changed {
            nodes: flipped,
            conn: flipped || alerts,
            ..Changed::default()
        }
    }

    // ---------------------------------------------------------------- VIPs

    /// Start watching these VIPs (the VIP pane appears).
    pub fn set_vips(&mut self, specs: Vec<VipSpec>) {
        self.vips = specs.into_iter().map(VipState::new).collect();
        self.rebuild_alarms();
    }

    /// The nodes' addresses, for the VIP watcher.
    pub fn node_addrs(&self) -> Vec<NodeAddr> {
        crate::vip::node_addrs(&self.nodes)
    }

    /// Whether this node holds a watched VIP.
    pub fn holds_vip(&self, hostname: &str) -> bool {
        self.vips.iter().any(|v| v.owner() == Some(hostname))
    }

    /// What the VIP watcher saw: the holder, its moves, and split brain confirmed only when
    /// seen on two looks in a row (or when the holder keeps flipping between nodes).
    pub fn apply_vip(&mut self, msg: VipMsg) -> Changed {
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
            if let Some(was) = &v.current
                && was.ownership.label() != obs.ownership.label()
            {
                let event = timeline::vip_move(v.spec.addr, &was.ownership, &obs.ownership, obs.at);
                self.timeline.add(event);
            }
            v.current = Some(obs);
        }
        self.rebuild_alarms();
        let now = self
            .vips
            .iter()
            .filter_map(|v| v.current.as_ref().map(|o| o.at))
            .max();
        let alerts = match now {
            Some(now) => self.rebuild_alerts(now),
            None => false,
        };
        Changed {
            vips: true,
            conn: alerts,
            ..Changed::default()
        }
    }

    /// VIP alarms and notes for the header and the pane: (level, text), worst first.
    pub fn vip_alarms(&self) -> &[(Level, String)] {
        &self.alarms
    }

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
}

/// The store names tasks and nodes for the timeline.
impl timeline::Names for Store {
    fn task_name(&self, t: &Task) -> String {
        Store::task_name(self, t)
    }
    fn node_name(&self, id: &NodeId) -> String {
        Store::node_name(self, id)
    }
    fn node_down(&self, id: &NodeId) -> bool {
        self.node(id).is_some_and(Node::is_down)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_logs_are_kept_for_the_last_tasks_only() {
        let mut store = Store::default();
        let now = Timestamp::UNIX_EPOCH;
        for i in 0..=TASK_LOGS_KEPT {
            store.apply(
                EngineMsg::TaskLogs {
                    task: TaskId(format!("t{i}")),
                    result: Ok(vec![format!("line {i}")]),
                },
                now,
            );
        }
        assert_eq!(store.task_logs.len(), TASK_LOGS_KEPT);
        assert_eq!(
            store.task_logs_of(&TaskId::from("t0")),
            None,
            "the oldest went"
        );
        // read again: the newer answer replaces the older, and is kept longest
        store.apply(
            EngineMsg::TaskLogs {
                task: TaskId::from("t1"),
                result: Err("not connected".into()),
            },
            now,
        );
        assert_eq!(store.task_logs.len(), TASK_LOGS_KEPT);
        assert_eq!(
            store.task_logs_of(&TaskId::from("t1")),
            Some(&Err("not connected".to_string()))
        );
        assert_eq!(store.task_logs.back().map(|(t, _)| t.as_str()), Some("t1"));
    }
}
