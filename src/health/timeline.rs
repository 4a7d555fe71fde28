//! The event timeline (`:events`): what happened to the swarm, as seen from here, one plain
//! line each. Bounded in memory; appended to a JSON-lines file under the XDG state dir
//! (`health::eventlog`, off the UI task).
//!
//! The events come from pure diffs of what the engine sent before and after ([`nodes`],
//! [`services`], [`tasks_ended`], [`leader`], [`vip_move`]), called by the store as it takes
//! each list; the connection and the dashboard's own suspicions are pushed where they are
//! seen.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::IpAddr;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::domain::{
    Availability, Node, NodeId, NodeState, Reachability, Role, Service, ServiceId, ServiceMode,
    Task, TaskState, UpdateState,
};
use crate::vip::Ownership;

/// How many events are kept in memory.
pub const KEEP: usize = 2000;

/// What an event is about (the `:events` filter and the file's `kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Node,
    Leader,
    Service,
    Task,
    Vip,
    /// The dashboard's own connection: lost, failed over, reconnected.
    Connection,
    /// The dashboard's own probes: unreachable from here, reachable again.
    Suspicion,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warn,
    Critical,
}

/// One line of the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub at: Timestamp,
    pub kind: Kind,
    pub severity: Severity,
    /// What it is about (a node's hostname, a service's name, a VIP, an endpoint).
    pub subject: String,
    /// One plain line: "node1 unreachable from here (2 probes of 198.51.100.11:2377 failed)".
    pub text: String,
}

impl Kind {
    /// Every kind, in the order the docs list them.
    pub const ALL: &'static [Kind] = &[
        Kind::Node,
        Kind::Leader,
        Kind::Service,
        Kind::Task,
        Kind::Vip,
        Kind::Connection,
        Kind::Suspicion,
    ];

    /// The word in the `KIND` column, the file and `:events KIND`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Node => "node",
            Kind::Leader => "leader",
            Kind::Service => "service",
            Kind::Task => "task",
            Kind::Vip => "vip",
            Kind::Connection => "connection",
            Kind::Suspicion => "suspicion",
        }
    }

    /// A kind by its name (or its plural: `nodes`, `vips`), any case.
    pub fn parse(word: &str) -> Option<Kind> {
        let w = word.trim().to_ascii_lowercase();
        Kind::ALL
            .iter()
            .copied()
            .find(|k| w == k.name() || w.strip_suffix('s') == Some(k.name()))
    }
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warn => "warn",
            Severity::Critical => "critical",
        }
    }
}

impl Event {
    pub fn new(
        at: Timestamp,
        kind: Kind,
        severity: Severity,
        subject: impl Into<String>,
        text: impl Into<String>,
    ) -> Self {
        Event {
            at,
            kind,
            severity,
            subject: subject.into(),
            text: text.into(),
        }
    }
}

/// The timeline in memory: oldest first, at most [`KEEP`].
#[derive(Debug, Default)]
pub struct Timeline {
    pub events: VecDeque<Event>,
    /// Events not yet written to the file (taken by the app's writer).
    pub unwritten: Vec<Event>,
    /// How many events were ever added (also those read back from the file): the number of
    /// `events[i]` is `total - events.len() + i`, which stays with the event as older ones
    /// are dropped (the `:events` list keeps its selection by it).
    pub total: u64,
    /// How many of the first `events` were read back from the file at start (a session
    /// before this one): drawn muted.
    pub earlier: usize,
}

impl Timeline {
    pub fn push(
        &mut self,
        at: Timestamp,
        kind: Kind,
        severity: Severity,
        subject: impl Into<String>,
        text: impl Into<String>,
    ) {
        self.add(Event::new(at, kind, severity, subject, text));
    }

    /// Add one event (kept, and queued for the file).
    pub fn add(&mut self, ev: Event) {
        self.unwritten.push(ev.clone());
        self.events.push_back(ev);
        self.total += 1;
        while self.events.len() > KEEP {
            self.events.pop_front();
            self.earlier = self.earlier.saturating_sub(1);
        }
    }

    /// Add these events, in order.
    pub fn extend(&mut self, events: impl IntoIterator<Item = Event>) {
        for ev in events {
            self.add(ev);
        }
    }

    /// Events of an earlier session, read back from the file (oldest first): they go before
    /// everything else and are not written again.
    pub fn load_earlier(&mut self, events: Vec<Event>) {
        let room = KEEP.saturating_sub(self.events.len());
        let skip = events.len().saturating_sub(room);
        let n = events.len() - skip;
        for ev in events.into_iter().skip(skip).rev() {
            self.events.push_front(ev);
        }
        self.earlier += n;
        self.total += n as u64;
    }

    /// The number of `events[i]` (see [`Timeline::total`]).
    pub fn number(&self, i: usize) -> u64 {
        self.total - self.events.len() as u64 + i as u64
    }

    /// Whether `events[i]` is from a session before this one.
    pub fn is_earlier(&self, i: usize) -> bool {
        i < self.earlier
    }
}

// ------------------------------------------------------------------------------ the diffs

/// What changed between two node lists (matched by id): joined, left, state (down, ready
/// again), availability, role, manager reachability. Leader changes are [`leader`]'s.
pub fn nodes(old: &[Node], new: &[Node], at: Timestamp) -> Vec<Event> {
    let mut out = Vec::new();
    let ev = |sev, n: &Node, text: String| Event::new(at, Kind::Node, sev, &n.hostname, text);
    let before: HashMap<&NodeId, &Node> = old.iter().map(|n| (&n.id, n)).collect();
    for n in new {
        let Some(o) = before.get(&n.id) else {
            out.push(ev(
                Severity::Info,
                n,
                format!("{} joined as {}", n.hostname, n.role),
            ));
            continue;
        };
        if o.state != n.state {
            let (sev, text) = node_state(o, n);
            out.push(ev(sev, n, text));
        }
        if o.availability != n.availability {
            let sev = match n.availability {
                Availability::Active => Severity::Info,
                _ => Severity::Warn,
            };
            out.push(ev(
                sev,
                n,
                format!(
                    "{} availability {} → {}",
                    n.hostname, o.availability, n.availability
                ),
            ));
        }
        if o.role != n.role {
            let text = match n.role {
                Role::Manager => format!("{} promoted to manager", n.hostname),
                Role::Worker => format!("{} demoted to worker", n.hostname),
                Role::Unknown(_) => format!("{} role {} → {}", n.hostname, o.role, n.role),
            };
            out.push(ev(Severity::Info, n, text));
        }
        if let (Some(om), Some(nm)) = (&o.manager, &n.manager)
            && om.reachability != nm.reachability
        {
            let (sev, text) = match &nm.reachability {
                Reachability::Unreachable => (
                    Severity::Critical,
                    format!(
                        "manager {} unreachable (the other managers cannot reach it)",
                        n.hostname
                    ),
                ),
                Reachability::Reachable => (
                    Severity::Info,
                    format!("manager {} reachable again", n.hostname),
                ),
                other => (
                    Severity::Warn,
                    format!(
                        "manager {} reachability {} → {other}",
                        n.hostname, om.reachability
                    ),
                ),
            };
            out.push(ev(sev, n, text));
        }
    }
    let now: HashSet<&NodeId> = new.iter().map(|n| &n.id).collect();
    for o in old {
        if !now.contains(&o.id) {
            out.push(ev(
                Severity::Warn,
                o,
                format!(
                    "{} left the swarm (was {}, {})",
                    o.hostname, o.role, o.state
                ),
            ));
        }
    }
    out
}

/// A node's state changed: down and disconnected are critical, ready again is the restore.
fn node_state(o: &Node, n: &Node) -> (Severity, String) {
    let why = if n.state_message.trim().is_empty() {
        String::new()
    } else {
        format!(" (the engine: {})", n.state_message.trim())
    };
    match &n.state {
        NodeState::Down | NodeState::Disconnected => (
            Severity::Critical,
            format!("{} {}{why}", n.hostname, n.state),
        ),
        NodeState::Ready => (
            Severity::Info,
            format!("{} ready again (was {})", n.hostname, o.state),
        ),
        NodeState::Unknown(_) => (
            Severity::Warn,
            format!("{} state {} → {}{why}", n.hostname, o.state, n.state),
        ),
    }
}

/// The leader changed (`None`: the engine reports none).
pub fn leader(from: Option<&str>, to: Option<&str>, at: Timestamp) -> Event {
    match (from, to) {
        (_, None) => Event::new(
            at,
            Kind::Leader,
            Severity::Critical,
            from.unwrap_or(""),
            "no leader (the engine reports none: election or quorum lost)",
        ),
        (None, Some(to)) => Event::new(
            at,
            Kind::Leader,
            Severity::Info,
            to,
            format!("leader {to} (elected)"),
        ),
        (Some(from), Some(to)) => Event::new(
            at,
            Kind::Leader,
            Severity::Warn,
            to,
            format!("leader {from} → {to}"),
        ),
    }
}

/// What changed between two service lists (matched by id): created, removed, the spec
/// updated (its version moved), the rolling update's state.
pub fn services(old: &[Service], new: &[Service], at: Timestamp) -> Vec<Event> {
    let mut out = Vec::new();
    let ev = |sev, s: &Service, text: String| Event::new(at, Kind::Service, sev, &s.name, text);
    let before: HashMap<&ServiceId, &Service> = old.iter().map(|s| (&s.id, s)).collect();
    for s in new {
        let Some(o) = before.get(&s.id) else {
            out.push(ev(
                Severity::Info,
                s,
                format!(
                    "{} created ({}, {})",
                    s.name,
                    mode_words(&s.mode),
                    s.image_short()
                ),
            ));
            continue;
        };
        let changes = spec_changes(o, s);
        let state_moved = s.update_state.is_some() && o.update_state != s.update_state;
        if state_moved && let Some(st) = &s.update_state {
            let (sev, mut text) = update_state(s, st);
            if !changes.is_empty() {
                text = format!("{text}: {}", changes.join("; "));
            }
            out.push(ev(sev, s, text));
        } else if !changes.is_empty() {
            out.push(ev(
                Severity::Info,
                s,
                format!("{} updated: {}", s.name, changes.join("; ")),
            ));
        } else if o.version != s.version {
            out.push(ev(
                Severity::Info,
                s,
                format!(
                    "{} updated (spec version {} → {})",
                    s.name, o.version, s.version
                ),
            ));
        }
    }
    let now: HashSet<&ServiceId> = new.iter().map(|s| &s.id).collect();
    for o in old {
        if !now.contains(&o.id) {
            out.push(ev(Severity::Info, o, format!("{} removed", o.name)));
        }
    }
    out
}

fn mode_words(mode: &ServiceMode) -> String {
    match mode {
        ServiceMode::Replicated { replicas: 1 } => "replicated, 1 replica".into(),
        ServiceMode::Replicated { replicas } => format!("replicated, {replicas} replicas"),
        other => other.name().into(),
    }
}

/// The spec changes a reader cares about, in words ("image a → b", "replicas 2 → 5").
fn spec_changes(o: &Service, s: &Service) -> Vec<String> {
    let mut out = Vec::new();
    if o.image_short() != s.image_short() {
        out.push(format!("image {} → {}", o.image_short(), s.image_short()));
    }
    match (&o.mode, &s.mode) {
        (ServiceMode::Replicated { replicas: a }, ServiceMode::Replicated { replicas: b })
            if a != b =>
        {
            out.push(format!("replicas {a} → {b}"));
        }
        (a, b) if a.name() != b.name() => out.push(format!("mode {} → {}", a.name(), b.name())),
        _ => {}
    }
    if o.constraints != s.constraints {
        out.push("placement constraints changed".into());
    }
    if o.labels != s.labels {
        out.push("labels changed".into());
    }
    out
}

/// The line for a service's new update state: a pause or a rollback is a warning.
fn update_state(s: &Service, st: &UpdateState) -> (Severity, String) {
    let msg = s.update_message.trim();
    let with = |text: String| {
        if msg.is_empty() {
            text
        } else {
            format!("{text} ({msg})")
        }
    };
    match st {
        UpdateState::Updating => (Severity::Info, format!("{} updating", s.name)),
        UpdateState::Completed => (Severity::Info, format!("{} update completed", s.name)),
        UpdateState::Paused => (Severity::Warn, with(format!("{} update paused", s.name))),
        UpdateState::RollbackStarted => (Severity::Warn, with(format!("{} rolling back", s.name))),
        UpdateState::RollbackPaused => {
            (Severity::Warn, with(format!("{} rollback paused", s.name)))
        }
        UpdateState::RollbackCompleted => (Severity::Warn, format!("{} rolled back", s.name)),
        UpdateState::Unknown(_) => (Severity::Warn, with(format!("{} update {st}", s.name))),
    }
}

/// What [`tasks_ended`] needs to name a task the way the docker CLI does.
pub trait Names {
    /// `service.slot`, or `service.node` for global services.
    fn task_name(&self, t: &Task) -> String;
    /// A node's hostname (its short id when it is not known).
    fn node_name(&self, id: &NodeId) -> String;
    /// Whether the node is down as the engine last said.
    fn node_down(&self, id: &NodeId) -> bool;
}

/// Tasks the live poll stopped seeing, as read once they left: a failure or a rejection
/// (warn), an orphan, a task lost with its down node, a completed run (info). A task shut
/// down on purpose (an update, a scale-down, a removal) is no event, whatever its exit code
/// (a container killed after its stop grace period exits 137).
pub fn tasks_ended(tasks: &[Task], names: &dyn Names, at: Timestamp) -> Vec<Event> {
    let mut out = Vec::new();
    for t in tasks {
        let name = names.task_name(t);
        let on = t
            .node_id
            .as_ref()
            .map(|n| format!(" on {}", names.node_name(n)))
            .unwrap_or_default();
        let id = t.id.short();
        let (sev, text) = match &t.state {
            TaskState::Failed => (
                Severity::Warn,
                format!("{name} failed{on}: {} (task {id})", failure(t)),
            ),
            TaskState::Rejected => (
                Severity::Warn,
                format!("{name} rejected{on}: {} (task {id})", failure(t)),
            ),
            TaskState::Orphaned => (
                Severity::Warn,
                format!("{name} orphaned{on}: its node was gone too long (task {id})"),
            ),
            TaskState::Complete => (Severity::Info, format!("{name} completed{on}")),
            st if st.is_active() && t.node_id.as_ref().is_some_and(|n| names.node_down(n)) => (
                Severity::Warn,
                format!("{name} lost with its node{on}: Swarm starts it elsewhere (task {id})"),
            ),
            _ => continue,
        };
        out.push(Event::new(at, Kind::Task, sev, name, text));
    }
    out
}

/// Why a task failed, shortly: its exit code, and the engine's error when it says more.
fn failure(t: &Task) -> String {
    let err = t.error.trim();
    let exit = t.exit_code.filter(|c| *c != 0).map(|c| format!("exit {c}"));
    match exit {
        // "task: non-zero exit (1)" says nothing the exit code does not
        Some(exit) if err.is_empty() || err.starts_with("task: non-zero exit") => exit,
        Some(exit) => format!("{exit}: {err}"),
        None if !err.is_empty() => err.to_string(),
        None if !t.message.trim().is_empty() => t.message.trim().to_string(),
        None => "no reason given".into(),
    }
}

/// A VIP's holder changed: to no single owner (none, split brain, an unknown host) is
/// critical, with why; from one node to another (a failover or a failback) or out of sight
/// from here a warning; back to an owner info.
pub fn vip_move(addr: IpAddr, from: &Ownership, to: &Ownership, at: Timestamp) -> Event {
    let word = |o: &Ownership| match o {
        Ownership::NoOwner { .. } => "no owner".to_string(),
        Ownership::SplitBrain { holders, .. } => format!("split brain ({})", holders.join(" + ")),
        other => other.label(),
    };
    let detail = to.detail();
    let why = match to.owner() {
        None if !detail.trim().is_empty() => format!(": {}", detail.trim()),
        _ => String::new(),
    };
    let sev = match (from.owner(), to) {
        (_, Ownership::Unseen { .. }) => Severity::Warn,
        (_, to) if to.owner().is_none() => Severity::Critical,
        (Some(_), _) => Severity::Warn,
        (None, _) => Severity::Info,
    };
    Event::new(
        at,
        Kind::Vip,
        sev,
        addr.to_string(),
        format!("VIP {addr} {} → {}{why}", word(from), word(to)),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::domain::{ManagerInfo, TaskId};

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(1_767_225_600 + s).unwrap()
    }

    fn mgr(i: usize, leader: bool) -> Node {
        Node {
            id: NodeId(format!("n{i}xxxxxxxxxxxxxxxx")),
            hostname: format!("node{i}"),
            role: Role::Manager,
            availability: Availability::Active,
            state: NodeState::Ready,
            manager: Some(ManagerInfo {
                leader,
                reachability: Reachability::Reachable,
                addr: format!("198.51.100.1{i}:2377"),
            }),
            ..Default::default()
        }
    }

    fn worker(i: usize) -> Node {
        Node {
            role: Role::Worker,
            manager: None,
            ..mgr(i, false)
        }
    }

    fn lines(events: &[Event]) -> Vec<(Severity, &str)> {
        events
            .iter()
            .map(|e| (e.severity, e.text.as_str()))
            .collect()
    }

    #[test]
    fn a_node_down_and_back() {
        let old = vec![mgr(1, true), mgr(2, false)];
        let mut down = old.clone();
        down[1].state = NodeState::Down;
        down[1].state_message = "heartbeat failure".into();
        let evs = nodes(&old, &down, at(0));
        assert_eq!(
            lines(&evs),
            [(
                Severity::Critical,
                "node2 down (the engine: heartbeat failure)"
            )]
        );
        assert_eq!(
            (evs[0].kind, evs[0].subject.as_str()),
            (Kind::Node, "node2")
        );
        assert_eq!(evs[0].at, at(0));
        let evs = nodes(&down, &old, at(9));
        assert_eq!(
            lines(&evs),
            [(Severity::Info, "node2 ready again (was down)")]
        );
        assert!(nodes(&old, &old, at(0)).is_empty(), "nothing changed");
        let mut gone = old.clone();
        gone[1].state = NodeState::Disconnected;
        assert_eq!(
            lines(&nodes(&old, &gone, at(0))),
            [(Severity::Critical, "node2 disconnected")]
        );
    }

    #[test]
    fn joins_leaves_availability_roles_and_reachability() {
        let old = vec![mgr(1, true), mgr(2, false), worker(3)];
        let mut new = old.clone();
        new[1].availability = Availability::Drain;
        new[1].manager.as_mut().unwrap().reachability = Reachability::Unreachable;
        new[2].role = Role::Manager;
        new.remove(0);
        new.push(worker(4));
        assert_eq!(
            lines(&nodes(&old, &new, at(0))),
            [
                (Severity::Warn, "node2 availability active → drain"),
                (
                    Severity::Critical,
                    "manager node2 unreachable (the other managers cannot reach it)"
                ),
                (Severity::Info, "node3 promoted to manager"),
                (Severity::Info, "node4 joined as worker"),
                (Severity::Warn, "node1 left the swarm (was manager, ready)"),
            ]
        );
        let back = nodes(&new, &old[1..], at(1));
        assert_eq!(
            lines(&back),
            [
                (Severity::Info, "node2 availability drain → active"),
                (Severity::Info, "manager node2 reachable again"),
                (Severity::Info, "node3 demoted to worker"),
                (Severity::Warn, "node4 left the swarm (was worker, ready)"),
            ]
        );
    }

    #[test]
    fn the_leader_flag_is_not_a_node_event() {
        let old = vec![mgr(1, true), mgr(2, false)];
        let new = vec![mgr(1, false), mgr(2, true)];
        assert!(nodes(&old, &new, at(0)).is_empty());
    }

    #[test]
    fn leader_lines() {
        let e = leader(Some("node1"), Some("node3"), at(0));
        assert_eq!((e.kind, e.severity), (Kind::Leader, Severity::Warn));
        assert_eq!(
            (e.subject.as_str(), e.text.as_str()),
            ("node3", "leader node1 → node3")
        );
        let e = leader(Some("node1"), None, at(0));
        assert_eq!(e.severity, Severity::Critical);
        assert_eq!(
            e.text,
            "no leader (the engine reports none: election or quorum lost)"
        );
        let e = leader(None, Some("node3"), at(0));
        assert_eq!(
            (e.severity, e.text.as_str()),
            (Severity::Info, "leader node3 (elected)")
        );
    }

    fn svc(name: &str, replicas: u64) -> Service {
        Service {
            id: ServiceId(format!("{name}-id")),
            version: 10,
            name: name.into(),
            mode: ServiceMode::Replicated { replicas },
            image: "nginx:1.27@sha256:abc".into(),
            ..Default::default()
        }
    }

    #[test]
    fn services_created_removed_updated() {
        let old = vec![svc("demo-web", 2), svc("demo-old", 1)];
        let mut new = vec![svc("demo-web", 5), svc("demo-new", 1)];
        new[0].version = 11;
        new[1].mode = ServiceMode::Global;
        assert_eq!(
            lines(&services(&old, &new, at(0))),
            [
                (Severity::Info, "demo-web updated: replicas 2 → 5"),
                (Severity::Info, "demo-new created (global, nginx:1.27)"),
                (Severity::Info, "demo-old removed"),
            ]
        );
        assert!(services(&old, &old, at(0)).is_empty(), "nothing changed");
        // a spec change the list does not show (a force update): its version moved
        let mut forced = old.clone();
        forced[0].version = 12;
        assert_eq!(
            lines(&services(&old, &forced, at(0))),
            [(Severity::Info, "demo-web updated (spec version 10 → 12)")]
        );
        let e = &services(&[], &old[1..], at(0))[0];
        assert_eq!((e.kind, e.subject.as_str()), (Kind::Service, "demo-old"));
        assert_eq!(
            e.text,
            "demo-old created (replicated, 1 replica, nginx:1.27)"
        );
    }

    #[test]
    fn rolling_update_states() {
        let before = svc("demo-web", 3);
        let step = |prev: &Service, st: UpdateState, msg: &str, image: &str| {
            let mut s = prev.clone();
            s.version += 1;
            s.update_state = Some(st);
            s.update_message = msg.into();
            s.image = image.into();
            (
                services(std::slice::from_ref(prev), std::slice::from_ref(&s), at(0)),
                s,
            )
        };
        let (evs, updating) = step(
            &before,
            UpdateState::Updating,
            "update in progress",
            "nginx:1.28",
        );
        assert_eq!(
            lines(&evs),
            [(
                Severity::Info,
                "demo-web updating: image nginx:1.27 → nginx:1.28"
            )]
        );
        let (evs, paused) = step(
            &updating,
            UpdateState::Paused,
            "update paused due to failure or early termination of task x1",
            "nginx:1.28",
        );
        assert_eq!(
            lines(&evs),
            [(
                Severity::Warn,
                "demo-web update paused (update paused due to failure or early termination of task x1)"
            )]
        );
        let (evs, rolling) = step(&paused, UpdateState::RollbackStarted, "", "nginx:1.27");
        assert_eq!(
            lines(&evs),
            [(
                Severity::Warn,
                "demo-web rolling back: image nginx:1.28 → nginx:1.27"
            )]
        );
        let (evs, _) = step(
            &rolling,
            UpdateState::RollbackCompleted,
            "rollback completed",
            "nginx:1.27",
        );
        assert_eq!(lines(&evs), [(Severity::Warn, "demo-web rolled back")]);
        let (evs, _) = step(
            &updating,
            UpdateState::Completed,
            "update completed",
            "nginx:1.28",
        );
        assert_eq!(lines(&evs), [(Severity::Info, "demo-web update completed")]);
        // the same state read again: nothing
        let mut again = updating.clone();
        again.version += 1;
        assert_eq!(
            services(std::slice::from_ref(&updating), &[again], at(0)).len(),
            1,
            "version only"
        );
        assert!(
            {
                let one = std::slice::from_ref(&updating);
                services(one, one, at(0))
            }
            .is_empty()
        );
    }

    struct FakeNames;
    impl Names for FakeNames {
        fn task_name(&self, t: &Task) -> String {
            format!("demo-crashy.{}", t.slot.unwrap_or(0))
        }
        fn node_name(&self, id: &NodeId) -> String {
            id.as_str().replace("-id", "")
        }
        fn node_down(&self, id: &NodeId) -> bool {
            id.as_str() == "node3-id"
        }
    }

    fn task(slot: i64, state: TaskState, exit: Option<i64>, error: &str) -> Task {
        Task {
            id: TaskId(format!("abc{slot}def456789xyz")),
            service_id: ServiceId("crashy-id".into()),
            node_id: Some(NodeId("node2-id".into())),
            slot: Some(slot),
            desired: TaskState::Shutdown,
            state,
            exit_code: exit,
            error: error.into(),
            ..Default::default()
        }
    }

    #[test]
    fn ended_tasks() {
        let mut lost = task(6, TaskState::Running, None, "");
        lost.node_id = Some(NodeId("node3-id".into()));
        let mut pending = task(7, TaskState::Rejected, None, "No such image: nope:latest");
        pending.node_id = None;
        let tasks = vec![
            task(1, TaskState::Failed, Some(1), "task: non-zero exit (1)"),
            task(2, TaskState::Shutdown, Some(137), ""),
            task(3, TaskState::Complete, Some(0), ""),
            task(
                4,
                TaskState::Failed,
                Some(2),
                "starting container failed: oops",
            ),
            task(5, TaskState::Running, None, ""),
            lost,
            pending,
            task(8, TaskState::Orphaned, None, ""),
            task(9, TaskState::Failed, None, ""),
        ];
        let evs = tasks_ended(&tasks, &FakeNames, at(0));
        assert_eq!(
            lines(&evs),
            [
                (
                    Severity::Warn,
                    "demo-crashy.1 failed on node2: exit 1 (task abc1def45678)"
                ),
                (Severity::Info, "demo-crashy.3 completed on node2"),
                (
                    Severity::Warn,
                    "demo-crashy.4 failed on node2: exit 2: starting container failed: oops (task abc4def45678)"
                ),
                (
                    Severity::Warn,
                    "demo-crashy.6 lost with its node on node3: Swarm starts it elsewhere (task abc6def45678)"
                ),
                (
                    Severity::Warn,
                    "demo-crashy.7 rejected: No such image: nope:latest (task abc7def45678)"
                ),
                (
                    Severity::Warn,
                    "demo-crashy.8 orphaned on node2: its node was gone too long (task abc8def45678)"
                ),
                (
                    Severity::Warn,
                    "demo-crashy.9 failed on node2: no reason given (task abc9def45678)"
                ),
            ],
            "shut down on purpose (2, and 5 still running on a ready node) is no event"
        );
        assert!(evs.iter().all(|e| e.kind == Kind::Task));
        assert_eq!(evs[0].subject, "demo-crashy.1");
    }

    #[test]
    fn vip_moves() {
        use crate::vip::Method;
        let addr: IpAddr = "198.51.100.100".parse().unwrap();
        let owner = |h: &str| Ownership::Owner {
            hostname: h.into(),
            method: Method::LocalInterface {
                iface: "eth0".into(),
            },
        };
        let none = Ownership::NoOwner {
            why: "nobody answers ARP".into(),
        };
        let e = vip_move(addr, &owner("node1"), &none, at(0));
        assert_eq!((e.kind, e.severity), (Kind::Vip, Severity::Critical));
        assert_eq!(e.subject, "198.51.100.100");
        assert_eq!(
            e.text,
            "VIP 198.51.100.100 node1 → no owner: nobody answers ARP"
        );
        let e = vip_move(addr, &none, &owner("node2"), at(0));
        assert_eq!(
            (e.severity, e.text.as_str()),
            (Severity::Info, "VIP 198.51.100.100 no owner → node2")
        );
        let e = vip_move(addr, &owner("node2"), &owner("node1"), at(0));
        assert_eq!(
            (e.severity, e.text.as_str()),
            (Severity::Warn, "VIP 198.51.100.100 node2 → node1")
        );
        let split = Ownership::SplitBrain {
            holders: vec!["node1".into(), "node2".into()],
            why: "both answer".into(),
        };
        let e = vip_move(addr, &owner("node1"), &split, at(0));
        assert_eq!(e.severity, Severity::Critical);
        assert_eq!(
            e.text,
            "VIP 198.51.100.100 node1 → split brain (node1 + node2): both answer"
        );
        let unseen = Ownership::Unseen {
            why: "not on this host's networks".into(),
        };
        let e = vip_move(addr, &owner("node1"), &unseen, at(0));
        assert_eq!(e.severity, Severity::Warn);
        assert_eq!(
            e.text,
            "VIP 198.51.100.100 node1 → cannot be seen from here: not on this host's networks"
        );
    }

    #[test]
    fn the_timeline_is_bounded_and_numbers_stay() {
        let mut tl = Timeline::default();
        tl.load_earlier(vec![leader(None, Some("node1"), at(0))]);
        assert_eq!(
            (tl.earlier, tl.total, tl.unwritten.len()),
            (1, 1, 0),
            "not written again"
        );
        for i in 0..KEEP + 5 {
            tl.push(
                at(i as i64),
                Kind::Node,
                Severity::Info,
                "node1",
                format!("#{i}"),
            );
        }
        assert_eq!(tl.events.len(), KEEP);
        assert_eq!(tl.unwritten.len(), KEEP + 5);
        assert_eq!(tl.earlier, 0, "the earlier one was dropped first");
        assert_eq!(tl.total, KEEP as u64 + 6);
        // the newest is number total - 1, the oldest kept follows the dropped ones
        assert_eq!(tl.number(KEEP - 1), KEEP as u64 + 5);
        assert_eq!(tl.number(0), 6);
        assert_eq!(tl.events[0].text, "#5");
    }

    #[test]
    fn kinds_by_name() {
        assert_eq!(Kind::parse("vip"), Some(Kind::Vip));
        assert_eq!(Kind::parse("VIPs"), Some(Kind::Vip));
        assert_eq!(Kind::parse("suspicion"), Some(Kind::Suspicion));
        assert_eq!(Kind::parse("connections"), Some(Kind::Connection));
        assert_eq!(Kind::parse("nope"), None);
        assert_eq!(Kind::parse("s"), None);
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.name()), Some(*k));
            let json = serde_json::to_string(k).unwrap();
            assert_eq!(
                json,
                format!("\"{}\"", k.name()),
                "the file's word is the name"
            );
        }
    }

    // ------------------------------------------------------------ through the store

    use crate::engine::EngineMsg;
    use crate::store::Store;

    fn texts(store: &Store) -> Vec<&str> {
        store
            .timeline
            .events
            .iter()
            .map(|e| e.text.as_str())
            .collect()
    }

    #[test]
    fn a_node_killed_and_restored_tells_the_story_in_order() {
        let mut store = Store::default();
        let up = vec![mgr(1, true), mgr(2, false), mgr(3, false)];
        store.apply(EngineMsg::Nodes(up.clone()), at(0));
        assert!(
            store.timeline.events.is_empty(),
            "the first list is no change"
        );
        let mut down = up.clone();
        down[1].state = NodeState::Down;
        down[1].state_message = "heartbeat failure".into();
        down[1].manager.as_mut().unwrap().reachability = Reachability::Unreachable;
        store.apply(EngineMsg::Nodes(down.clone()), at(10));
        store.apply(EngineMsg::Nodes(down), at(15));
        store.apply(EngineMsg::Nodes(up), at(40));
        assert_eq!(
            texts(&store),
            [
                "node2 down (the engine: heartbeat failure)",
                "manager node2 unreachable (the other managers cannot reach it)",
                "node2 ready again (was down)",
                "manager node2 reachable again",
            ]
        );
        let times: Vec<Timestamp> = store.timeline.events.iter().map(|e| e.at).collect();
        assert_eq!(times, [at(10), at(10), at(40), at(40)]);
        assert_eq!(store.timeline.unwritten.len(), 4, "all queued for the file");
    }

    #[test]
    fn the_leader_lost_and_elected_through_the_store() {
        let mut store = Store::default();
        let up = vec![mgr(1, true), mgr(2, false), mgr(3, false)];
        store.apply(EngineMsg::Nodes(up.clone()), at(0));
        store.apply(
            EngineMsg::FetchFailed {
                what: "nodes",
                error: crate::engine::FetchError::NoLeader("rpc error: no leader".into()),
            },
            at(5),
        );
        let mut after = up.clone();
        after[0].state = NodeState::Down;
        after[0].manager = Some(ManagerInfo {
            leader: false,
            reachability: Reachability::Unreachable,
            addr: String::new(),
        });
        after[2].manager.as_mut().unwrap().leader = true;
        store.apply(EngineMsg::Nodes(after), at(9));
        assert_eq!(
            texts(&store),
            [
                "no leader (the engine reports none: election or quorum lost)",
                "node1 down",
                "manager node1 unreachable (the other managers cannot reach it)",
                "leader node3 (elected)",
            ]
        );
        assert_eq!(store.timeline.events[0].kind, Kind::Leader);
    }

    #[test]
    fn services_and_ended_tasks_through_the_store() {
        let mut store = Store::default();
        store.apply(EngineMsg::Nodes(vec![mgr(1, true), worker(2)]), at(0));
        store.apply(EngineMsg::Services(Vec::new()), at(0));
        let crashy = Service {
            id: ServiceId("crashy-id".into()),
            ..svc("demo-crashy", 1)
        };
        store.apply(EngineMsg::Services(vec![crashy]), at(1));
        let mut t = task(1, TaskState::Failed, Some(1), "task: non-zero exit (1)");
        t.node_id = Some(NodeId("n2xxxxxxxxxxxxxxxx".into()));
        store.apply(EngineMsg::TasksEnded(vec![t]), at(2));
        assert_eq!(
            texts(&store),
            [
                "demo-crashy created (replicated, 1 replica, nginx:1.27)",
                "demo-crashy.1 failed on node2: exit 1 (task abc1def45678)",
            ],
            "an empty first list is read too: a service created after it is an event"
        );
        assert_eq!(store.ended.len(), 1, "the ended tasks are still kept");
    }

    #[test]
    fn the_first_service_list_is_no_change() {
        let mut store = Store::default();
        store.apply(EngineMsg::Services(vec![svc("demo-web", 2)]), at(0));
        assert!(store.timeline.events.is_empty());
    }

    #[test]
    fn vip_moves_through_the_store() {
        use crate::vip::watch::VipMsg;
        use crate::vip::{Method, VipObservation, VipSource, VipSpec};
        let addr: IpAddr = "198.51.100.100".parse().unwrap();
        let mut store = Store::default();
        store.set_vips(vec![VipSpec {
            addr,
            port: 80,
            source: VipSource::Cli,
        }]);
        let seen = |ownership: Ownership, s: i64| {
            VipMsg::Observed(vec![VipObservation {
                addr,
                ownership,
                reachable: None,
                port: 80,
                at: at(s),
            }])
        };
        let owner = |h: &str| Ownership::Owner {
            hostname: h.into(),
            method: Method::LocalInterface {
                iface: "eth0".into(),
            },
        };
        store.apply_vip(seen(owner("node1"), 0));
        store.apply_vip(seen(owner("node1"), 1));
        store.apply_vip(seen(
            Ownership::NoOwner {
                why: "nobody answers".into(),
            },
            2,
        ));
        store.apply_vip(seen(owner("node2"), 3));
        assert_eq!(
            texts(&store),
            [
                "VIP 198.51.100.100 node1 → no owner: nobody answers",
                "VIP 198.51.100.100 no owner → node2",
            ]
        );
        assert_eq!(
            store.vips[0].history.len(),
            2,
            "the same moves as the pane's history"
        );
    }
}
