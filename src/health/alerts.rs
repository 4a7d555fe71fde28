//! Alert rules: the active conditions the alerts bar shows under the header, and that
//! `swarmdeck status` lists and turns into its exit code. Pure: [`evaluate`] reads an
//! [`Input`] (plain data borrowed from the dashboard's store or from `status`'s snapshot)
//! and says what is wrong now, worst first. The rules are listed in `docs/alerts.md`.

use std::collections::{HashMap, HashSet, VecDeque};

use jiff::Timestamp;
use serde::Serialize;

use super::{LeaderChange, Reach};
use crate::domain::quorum::Quorum;
use crate::domain::{Node, NodeId, NodeState, Reachability, Service, ServiceId, Task, TaskState};
use crate::store::{Level, Store};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    Warning,
}

/// One active condition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    pub severity: Severity,
    /// Stable while the condition lasts ("node-unreachable:<node id>"), so that a new one
    /// (the bell) is told from one still active.
    pub key: String,
    /// One plain line: "crashy: 14 restarts in 5 min, last exit 1".
    pub text: String,
}

/// Keys of the swarm-wide alerts (the per-object ones end in `:<id>`).
pub mod key {
    pub const QUORUM_LOST: &str = "quorum-lost";
    pub const NO_LEADER: &str = "no-leader";
    pub const QUORUM_AT_RISK: &str = "quorum-at-risk";
    pub const LEADER_CHANGED: &str = "leader-changed";
    pub const NODE_DOWN: &str = "node-down:";
    pub const NODE_UNREACHABLE: &str = "node-unreachable:";
    pub const MANAGER_UNREACHABLE: &str = "manager-unreachable:";
    pub const BELOW_DESIRED: &str = "below-desired:";
    pub const CRASH_LOOP: &str = "crash-loop:";
    pub const VIP: &str = "vip:";
}

/// A leader change is news for this long.
pub const LEADER_CHANGE_SECS: i64 = 60;
/// Failed tasks of a service within this window are counted as restarts…
pub const CRASH_WINDOW_SECS: i64 = 300;
/// …and this many of them are a crash loop.
pub const CRASH_RESTARTS: usize = 3;
/// The bell rings at most once in this many seconds.
pub const BELL_GAP_SECS: i64 = 5;
/// `below_desired_secs` when the config file does not say.
pub const DEFAULT_BELOW_DESIRED_SECS: u64 = 30;

/// What the rules are tuned by (the config file's `below_desired_secs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertConfig {
    /// A service below its desired count for at least this long is an alert.
    pub below_desired_secs: u64,
}

impl Default for AlertConfig {
    fn default() -> Self {
        AlertConfig {
            below_desired_secs: DEFAULT_BELOW_DESIRED_SECS,
        }
    }
}

impl AlertConfig {
    pub fn from_config(cfg: &crate::config::Config) -> Self {
        AlertConfig {
            below_desired_secs: cfg.below_desired_secs.unwrap_or(DEFAULT_BELOW_DESIRED_SECS),
        }
    }
}

/// Everything the rules read, borrowed.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    pub nodes: &'a [Node],
    pub services: &'a [Service],
    pub quorum: &'a Quorum,
    /// This host's probes of the nodes.
    pub reach: &'a HashMap<NodeId, Reach>,
    /// Since when the engine says there is no leader.
    pub no_leader_since: Option<Timestamp>,
    /// Leader changes, oldest first.
    pub leader_changes: &'a VecDeque<LeaderChange>,
    /// Since when each service has been below its desired count (a degraded service
    /// missing here counts from `now`).
    pub below_since: &'a HashMap<ServiceId, Timestamp>,
    /// Tasks that ended (failed ones are counted as restarts; the same task seen twice
    /// counts once).
    pub ended: Vec<&'a Task>,
    /// The VIP alarms, as the store words them.
    pub vip_alarms: &'a [(Level, String)],
    pub now: Timestamp,
    pub below_desired_secs: u64,
}

impl<'a> Input<'a> {
    /// The dashboard's view of the swarm.
    pub fn from_store(store: &'a Store, now: Timestamp, cfg: &AlertConfig) -> Self {
        Input {
            nodes: &store.nodes,
            services: &store.services,
            quorum: &store.quorum,
            reach: &store.reach,
            no_leader_since: store.no_leader_since,
            leader_changes: &store.leader_changes,
            below_since: &store.below_since,
            ended: store.ended.iter().collect(),
            vip_alarms: store.vip_alarms(),
            now,
            below_desired_secs: cfg.below_desired_secs,
        }
    }
}

/// The active alerts, critical first, then warnings; within a severity in rule order (swarm
/// first, then nodes in list order, services, VIPs).
pub fn evaluate(input: &Input<'_>) -> Vec<Alert> {
    let mut out = Vec::new();
    let now = input.now;
    let q = input.quorum;
    let crit = |key: String, text: String| Alert {
        severity: Severity::Critical,
        key,
        text,
    };
    let warn = |key: String, text: String| Alert {
        severity: Severity::Warning,
        key,
        text,
    };

    // the swarm
    if q.total > 0 && !q.has_quorum {
        out.push(crit(
            key::QUORUM_LOST.into(),
            format!(
                "quorum lost: {}/{} managers reachable, {} needed",
                q.reachable, q.total, q.majority
            ),
        ));
    }
    if let Some(since) = input.no_leader_since {
        let secs = secs_since(since, now);
        let lasting = if secs > 0 {
            format!(" ({secs} s)")
        } else {
            String::new()
        };
        // with quorum the managers are electing one; without, the quorum alert says why
        let text = if q.has_quorum {
            format!("no leader — election in progress{lasting}")
        } else {
            format!("no leader{lasting}")
        };
        out.push(crit(key::NO_LEADER.into(), text));
    }
    if q.has_quorum && q.at_risk() {
        out.push(warn(
            key::QUORUM_AT_RISK.into(),
            format!(
                "quorum tolerates 0 failures ({}/{} managers reachable)",
                q.reachable, q.total
            ),
        ));
    }
    if let Some(text) = leader_changed(input.leader_changes, now) {
        out.push(warn(key::LEADER_CHANGED.into(), text));
    }

    // the nodes
    for n in input.nodes {
        let name = node_name(n);
        let down = match &n.state {
            NodeState::Ready => None,
            NodeState::Down => Some("down".to_string()),
            NodeState::Disconnected => Some("disconnected".to_string()),
            NodeState::Unknown(raw) if raw.is_empty() => Some("state unknown".to_string()),
            NodeState::Unknown(raw) => Some(format!("state unknown ({raw})")),
        };
        if let Some(state) = down {
            out.push(crit(
                format!("{}{}", key::NODE_DOWN, n.id),
                format!("{name} {state} (engine)"),
            ));
        }
        if let Some(r) = input.reach.get(&n.id).filter(|r| r.unreachable()) {
            out.push(crit(
                format!("{}{}", key::NODE_UNREACHABLE, n.id),
                format!(
                    "{name} unreachable from here ({} probes of {} failed)",
                    r.failures, r.target
                ),
            ));
        }
        if n.manager
            .as_ref()
            .is_some_and(|m| m.reachability == Reachability::Unreachable)
        {
            out.push(crit(
                format!("{}{}", key::MANAGER_UNREACHABLE, n.id),
                format!("{name}: manager unreachable (raft)"),
            ));
        }
    }

    // the services
    let loops = crash_loops(&input.ended, input.services, now);
    for s in input.services {
        let name = if s.name.is_empty() {
            s.id.short().to_string()
        } else {
            s.name.clone()
        };
        if let Some(l) = loops.get(&s.id) {
            let last = match l.last.exit_code {
                Some(code) if code != 0 || l.last.error.is_empty() => {
                    format!("last exit {code}")
                }
                _ if !l.last.error.is_empty() => format!("last error: {}", shorten(&l.last.error)),
                _ => format!("last state {}", l.last.state),
            };
            out.push(crit(
                format!("{}{}", key::CRASH_LOOP, s.id),
                format!("{name}: {} restarts in 5 min, {last}", l.count),
            ));
        }
        if s.is_degraded() {
            let since = input.below_since.get(&s.id).copied().unwrap_or(now);
            let secs = secs_since(since, now);
            if secs >= i64::try_from(input.below_desired_secs).unwrap_or(i64::MAX) {
                let lasting = if secs > 0 {
                    format!(" for {}", duration(secs))
                } else {
                    String::new()
                };
                out.push(warn(
                    format!("{}{}", key::BELOW_DESIRED, s.id),
                    format!("{name}: {}/{} running{lasting}", s.running, s.desired),
                ));
            }
        }
    }

    // the VIPs
    out.extend(vip_alerts(input.vip_alarms));

    out.sort_by_key(|a| a.severity);
    out
}

/// The VIP alarms as alerts: danger is critical, a warning a warning, a note none.
pub fn vip_alerts(alarms: &[(Level, String)]) -> Vec<Alert> {
    alarms
        .iter()
        .filter_map(|(level, text)| {
            let severity = match level {
                Level::Danger => Severity::Critical,
                Level::Warn => Severity::Warning,
                Level::Info => return None,
            };
            Some(Alert {
                severity,
                key: format!("{}{text}", key::VIP),
                text: text.clone(),
            })
        })
        .collect()
}

/// Whether these alerts say the swarm cannot be governed: quorum lost or no leader
/// (`swarmdeck status` exits 2).
pub fn no_quorum(alerts: &[Alert]) -> bool {
    alerts
        .iter()
        .any(|a| a.key == key::QUORUM_LOST || a.key == key::NO_LEADER)
}

/// A task that ended in failure: failed or rejected, or a non-zero exit the orchestrator did
/// not ask for (a task it shut down — an update, a scale-down — may exit 137 or 143 after
/// its stop signal: that is no restart).
pub fn is_failure(t: &Task) -> bool {
    match t.state {
        TaskState::Failed | TaskState::Rejected => true,
        TaskState::Shutdown | TaskState::Complete => false,
        _ => t.exit_code.is_some_and(|c| c != 0) && !t.state.is_active(),
    }
}

struct CrashLoop<'a> {
    count: usize,
    last: &'a Task,
}

/// Services with at least [`CRASH_RESTARTS`] distinct failed tasks ended within the window
/// and since the service's last update: an update (the fix, a rollback, a force update)
/// starts the count again, and a service scaled to 0 is no loop.
fn crash_loops<'a>(
    ended: &[&'a Task],
    services: &[Service],
    now: Timestamp,
) -> HashMap<ServiceId, CrashLoop<'a>> {
    let window = now - jiff::SignedDuration::from_secs(CRASH_WINDOW_SECS);
    let from: HashMap<&ServiceId, Timestamp> = services
        .iter()
        .filter(|s| s.desired > 0)
        .map(|s| (&s.id, s.update_started.map_or(window, |u| u.max(window))))
        .collect();
    let mut seen: HashSet<&crate::domain::TaskId> = HashSet::new();
    let mut per: HashMap<&ServiceId, (usize, &'a Task, Timestamp)> = HashMap::new();
    for &t in ended {
        let (Some(at), Some(from)) = (t.since.or(t.updated), from.get(&t.service_id)) else {
            continue;
        };
        // (a task a little in the future is the engine's clock ahead of ours)
        if !is_failure(t) || at < *from || !seen.insert(&t.id) {
            continue;
        }
        let e = per.entry(&t.service_id).or_insert((0, t, at));
        e.0 += 1;
        if at >= e.2 {
            e.1 = t;
            e.2 = at;
        }
    }
    per.into_iter()
        .filter(|(_, (count, _, _))| *count >= CRASH_RESTARTS)
        .map(|(id, (count, last, _))| (id.clone(), CrashLoop { count, last }))
        .collect()
}

/// The last leader change, if it is recent: "leader changed node1 → node3 25 s ago". A
/// change to no leader is the no-leader alert's; the election that follows it is told as
/// from the leader before it.
fn leader_changed(changes: &VecDeque<LeaderChange>, now: Timestamp) -> Option<String> {
    let (i, last) = changes.iter().enumerate().next_back()?;
    let to = last.to.as_deref()?;
    let secs = secs_since(last.at, now);
    if secs > LEADER_CHANGE_SECS {
        return None;
    }
    let from = last.from.clone().or_else(|| {
        // node1 → none → node3: the leader before the election
        changes
            .iter()
            .take(i)
            .rev()
            .take_while(|c| c.to.is_none())
            .last()
            .and_then(|c| c.from.clone())
    });
    Some(match from {
        Some(from) => format!("leader changed {from} → {to} {secs} s ago"),
        None => format!("leader elected: {to} {secs} s ago"),
    })
}

/// Decides when the terminal bell rings: once for each critical alert that was not active
/// at the last look, never again while it stays active, and at most once in
/// [`BELL_GAP_SECS`] (alerts that appear within the gap are taken as heard: a node going
/// down raises three at once).
#[derive(Debug, Clone)]
pub struct Bell {
    pub enabled: bool,
    /// The critical keys active at the last look.
    known: HashSet<String>,
    last: Option<Timestamp>,
}

impl Bell {
    pub fn new(enabled: bool) -> Self {
        Bell {
            enabled,
            known: HashSet::new(),
            last: None,
        }
    }

    /// Look at the alerts now active: whether to ring.
    pub fn ring(&mut self, alerts: &[Alert], now: Timestamp) -> bool {
        let active: HashSet<String> = alerts
            .iter()
            .filter(|a| a.severity == Severity::Critical)
            .map(|a| a.key.clone())
            .collect();
        let new = active.iter().any(|k| !self.known.contains(k));
        self.known = active;
        if !new || !self.enabled {
            return false;
        }
        if self
            .last
            .is_some_and(|t| secs_since(t, now) < BELL_GAP_SECS)
        {
            return false;
        }
        self.last = Some(now);
        true
    }
}

fn node_name(n: &Node) -> String {
    if n.hostname.is_empty() {
        n.id.short().to_string()
    } else {
        n.hostname.clone()
    }
}

fn secs_since(t: Timestamp, now: Timestamp) -> i64 {
    now.as_second().saturating_sub(t.as_second())
}

/// "45 s", "12 min", "3 h".
fn duration(secs: i64) -> String {
    match secs {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s => format!("{} h", s / 3600),
    }
}

/// An error on one line, at most 60 characters.
fn shorten(text: &str) -> String {
    const MAX: usize = 60;
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= MAX {
        return line;
    }
    let cut: String = line.chars().take(MAX - 1).collect();
    format!("{}…", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ManagerInfo, Role, ServiceMode, TaskId};

    fn t0() -> Timestamp {
        "2026-03-01T12:00:00Z".parse().unwrap()
    }

    fn at(secs: i64) -> Timestamp {
        t0() + jiff::SignedDuration::from_secs(secs)
    }

    fn manager(name: &str, leader: bool, reach: Reachability) -> Node {
        Node {
            id: NodeId(format!("id-{name}")),
            hostname: name.into(),
            role: Role::Manager,
            state: NodeState::Ready,
            manager: Some(ManagerInfo {
                leader,
                reachability: reach,
                addr: format!("198.51.100.1{}:2377", &name[name.len() - 1..]),
            }),
            ..Node::default()
        }
    }

    fn three() -> Vec<Node> {
        vec![
            manager("node1", true, Reachability::Reachable),
            manager("node2", false, Reachability::Reachable),
            manager("node3", false, Reachability::Reachable),
        ]
    }

    fn service(name: &str, running: u64, desired: u64) -> Service {
        Service {
            id: ServiceId(format!("sid-{name}")),
            name: name.into(),
            mode: ServiceMode::Replicated { replicas: desired },
            running,
            desired,
            ..Service::default()
        }
    }

    fn failed(id: &str, svc: &Service, secs: i64, exit: Option<i64>) -> Task {
        Task {
            id: TaskId(id.into()),
            service_id: svc.id.clone(),
            desired: TaskState::Shutdown,
            state: TaskState::Failed,
            since: Some(at(secs)),
            exit_code: exit,
            error: "task: non-zero exit (1)".into(),
            ..Task::default()
        }
    }

    /// Owns what an [`Input`] borrows.
    struct World {
        nodes: Vec<Node>,
        services: Vec<Service>,
        reach: HashMap<NodeId, Reach>,
        no_leader_since: Option<Timestamp>,
        leader_changes: VecDeque<LeaderChange>,
        below_since: HashMap<ServiceId, Timestamp>,
        ended: Vec<Task>,
        vip_alarms: Vec<(Level, String)>,
        now: Timestamp,
        below_desired_secs: u64,
    }

    impl World {
        fn new() -> Self {
            World {
                nodes: three(),
                services: vec![service("web", 3, 3)],
                reach: HashMap::new(),
                no_leader_since: None,
                leader_changes: VecDeque::new(),
                below_since: HashMap::new(),
                ended: Vec::new(),
                vip_alarms: Vec::new(),
                now: at(600),
                below_desired_secs: 30,
            }
        }

        fn alerts(&self) -> Vec<Alert> {
            let quorum = Quorum::from_nodes(&self.nodes);
            evaluate(&Input {
                nodes: &self.nodes,
                services: &self.services,
                quorum: &quorum,
                reach: &self.reach,
                no_leader_since: self.no_leader_since,
                leader_changes: &self.leader_changes,
                below_since: &self.below_since,
                ended: self.ended.iter().collect(),
                vip_alarms: &self.vip_alarms,
                now: self.now,
                below_desired_secs: self.below_desired_secs,
            })
        }

        fn texts(&self) -> Vec<String> {
            self.alerts().into_iter().map(|a| a.text).collect()
        }
    }

    #[test]
    fn a_healthy_swarm_has_no_alert() {
        assert_eq!(World::new().alerts(), vec![]);
    }

    #[test]
    fn a_down_manager_raises_engine_raft_and_quorum_alerts() {
        let mut w = World::new();
        w.nodes[1].state = NodeState::Down;
        w.nodes[1].manager.as_mut().unwrap().reachability = Reachability::Unreachable;
        let alerts = w.alerts();
        let got: Vec<(Severity, &str, &str)> = alerts
            .iter()
            .map(|a| (a.severity, a.key.as_str(), a.text.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    Severity::Critical,
                    "node-down:id-node2",
                    "node2 down (engine)"
                ),
                (
                    Severity::Critical,
                    "manager-unreachable:id-node2",
                    "node2: manager unreachable (raft)"
                ),
                (
                    Severity::Warning,
                    "quorum-at-risk",
                    "quorum tolerates 0 failures (2/3 managers reachable)"
                ),
            ]
        );
    }

    #[test]
    fn disconnected_and_unknown_states_are_down() {
        let mut w = World::new();
        w.nodes[0].state = NodeState::Disconnected;
        w.nodes[2].state = NodeState::Unknown(String::new());
        assert_eq!(
            w.texts(),
            [
                "node1 disconnected (engine)",
                "node3 state unknown (engine)"
            ]
        );
    }

    #[test]
    fn unreachable_from_here_after_two_failed_probes() {
        let mut w = World::new();
        let mut r = Reach {
            target: "198.51.100.11:2377".into(),
            failures: 1,
            failing_since: Some(at(598)),
            error: "no answer within 800 ms".into(),
        };
        w.reach.insert(NodeId("id-node1".into()), r.clone());
        assert_eq!(w.alerts(), vec![], "one failure is not enough");
        r.failures = 2;
        w.reach.insert(NodeId("id-node1".into()), r);
        let a = w.alerts();
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].severity, Severity::Critical);
        assert_eq!(a[0].key, "node-unreachable:id-node1");
        assert_eq!(
            a[0].text,
            "node1 unreachable from here (2 probes of 198.51.100.11:2377 failed)"
        );
        // both at once: the engine's own state comes later
        w.nodes[0].state = NodeState::Down;
        assert_eq!(
            w.texts(),
            [
                "node1 down (engine)",
                "node1 unreachable from here (2 probes of 198.51.100.11:2377 failed)"
            ]
        );
    }

    #[test]
    fn quorum_lost_and_no_leader() {
        let mut w = World::new();
        for n in &mut w.nodes[1..] {
            n.manager.as_mut().unwrap().reachability = Reachability::Unreachable;
        }
        w.no_leader_since = Some(at(588));
        let a = w.alerts();
        assert_eq!(a[0].key, key::QUORUM_LOST);
        assert_eq!(a[0].text, "quorum lost: 1/3 managers reachable, 2 needed");
        assert_eq!(a[1].key, key::NO_LEADER);
        assert_eq!(a[1].text, "no leader (12 s)");
        assert!(no_quorum(&a));
        // no "tolerates 0" on top of a lost quorum
        assert!(a.iter().all(|x| x.key != key::QUORUM_AT_RISK), "{a:?}");

        // an election with quorum
        let mut w = World::new();
        w.no_leader_since = Some(at(588));
        assert_eq!(w.texts(), ["no leader — election in progress (12 s)"]);
        assert!(no_quorum(&w.alerts()));
    }

    #[test]
    fn no_nodes_read_yet_is_no_alert() {
        let mut w = World::new();
        w.nodes.clear();
        w.services.clear();
        assert_eq!(w.alerts(), vec![]);
    }

    #[test]
    fn a_single_manager_is_not_at_risk_by_this_rule() {
        let mut w = World::new();
        w.nodes.truncate(1);
        assert_eq!(w.alerts(), vec![]);
        // two managers both up tolerate nothing
        let mut w = World::new();
        w.nodes.truncate(2);
        assert_eq!(
            w.texts(),
            ["quorum tolerates 0 failures (2/2 managers reachable)"]
        );
    }

    #[test]
    fn a_leader_change_is_news_for_a_minute() {
        let mut w = World::new();
        w.leader_changes.push_back(LeaderChange {
            at: at(575),
            from: Some("node1".into()),
            to: Some("node3".into()),
        });
        let a = w.alerts();
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].severity, Severity::Warning);
        assert_eq!(a[0].text, "leader changed node1 → node3 25 s ago");
        w.now = at(575 + 61);
        assert_eq!(w.alerts(), vec![]);

        // through an election: node1 → none → node3
        let mut w = World::new();
        w.leader_changes.push_back(LeaderChange {
            at: at(570),
            from: Some("node1".into()),
            to: None,
        });
        w.leader_changes.push_back(LeaderChange {
            at: at(580),
            from: None,
            to: Some("node3".into()),
        });
        assert_eq!(w.texts(), ["leader changed node1 → node3 20 s ago"]);
        // while there is none, the no-leader alert says it
        w.leader_changes.pop_back();
        assert_eq!(w.texts(), Vec::<String>::new());
    }

    #[test]
    fn below_desired_only_after_the_configured_time() {
        let mut w = World::new();
        w.services = vec![service("web", 1, 3)];
        w.below_since.insert(ServiceId("sid-web".into()), at(580));
        assert_eq!(w.alerts(), vec![], "20 s < 30 s");
        w.now = at(625);
        let a = w.alerts();
        assert_eq!(a[0].severity, Severity::Warning);
        assert_eq!(a[0].key, "below-desired:sid-web");
        assert_eq!(a[0].text, "web: 1/3 running for 45 s");
        // status: no history, any degraded service counts
        w.below_desired_secs = 0;
        w.below_since.clear();
        assert_eq!(w.texts(), ["web: 1/3 running"]);
    }

    #[test]
    fn completed_jobs_are_never_below_desired() {
        let mut w = World::new();
        w.below_desired_secs = 0;
        let mut job = service("once", 0, 3);
        job.mode = ServiceMode::ReplicatedJob {
            max_concurrent: 1,
            total_completions: 3,
        };
        job.completed = 3;
        let mut global_job = service("everywhere", 0, 3);
        global_job.mode = ServiceMode::GlobalJob;
        w.services = vec![job, global_job];
        assert_eq!(w.alerts(), vec![]);
    }

    #[test]
    fn a_crash_loop_counts_distinct_failed_tasks_in_five_minutes() {
        let mut w = World::new();
        let crashy = service("demo-crashy", 0, 1);
        w.services = vec![crashy.clone()];
        w.below_desired_secs = 3600;
        w.ended = vec![
            failed("t1", &crashy, 590, Some(1)),
            failed("t2", &crashy, 595, Some(1)),
        ];
        assert_eq!(w.alerts(), vec![], "two restarts are not a loop");
        // the same task read twice counts once
        w.ended.push(failed("t2", &crashy, 595, Some(1)));
        assert_eq!(w.alerts(), vec![]);
        // one older than five minutes does not count
        w.ended.push(failed("t0", &crashy, 200, Some(1)));
        assert_eq!(w.alerts(), vec![]);
        w.ended.push(failed("t3", &crashy, 598, Some(2)));
        let a = w.alerts();
        assert_eq!(a.len(), 1, "{a:?}");
        assert_eq!(a[0].severity, Severity::Critical);
        assert_eq!(a[0].key, "crash-loop:sid-demo-crashy");
        assert_eq!(a[0].text, "demo-crashy: 3 restarts in 5 min, last exit 2");
        // no exit code: the error, shortened
        let mut t4 = failed("t4", &crashy, 599, None);
        t4.state = TaskState::Rejected;
        t4.error = "No such image: registry.example/does-not-exist:latest (pull access denied, repository does not exist)".into();
        w.ended.push(t4);
        let text = &w.alerts()[0].text;
        assert!(
            text.starts_with("demo-crashy: 4 restarts in 5 min, last error: No such image: "),
            "{text}"
        );
        assert!(text.ends_with('…'), "{text}");
        assert!(text.chars().count() < 110, "{text}");
    }

    #[test]
    fn an_update_or_a_scale_to_zero_ends_a_crash_loop() {
        let mut w = World::new();
        let mut crashy = service("demo-crashy", 0, 1);
        w.services = vec![crashy.clone()];
        w.below_desired_secs = 3600;
        w.ended = (0..4)
            .map(|i| failed(&format!("t{i}"), &crashy, 580 + i * 5, Some(1)))
            .collect();
        // the engine's clock a little ahead of ours
        w.ended.push(failed("t9", &crashy, 603, Some(1)));
        assert_eq!(w.texts(), ["demo-crashy: 5 restarts in 5 min, last exit 1"]);
        // fixed by an update at 598: only t9 ended since
        crashy.update_started = Some(at(598));
        w.services = vec![crashy.clone()];
        assert_eq!(w.alerts(), vec![]);
        // an update long ago changes nothing
        crashy.update_started = Some(at(10));
        w.services = vec![crashy.clone()];
        assert_eq!(w.alerts().len(), 1);
        // scaled to 0
        crashy.desired = 0;
        w.services = vec![crashy];
        assert_eq!(w.alerts(), vec![]);
    }

    #[test]
    fn tasks_the_orchestrator_stopped_are_not_restarts() {
        let mut w = World::new();
        let web = service("web", 3, 3);
        w.services = vec![web.clone()];
        w.ended = (0..5)
            .map(|i| {
                let mut t = failed(&format!("t{i}"), &web, 590, Some(137));
                t.state = TaskState::Shutdown;
                t
            })
            .collect();
        assert_eq!(w.alerts(), vec![]);
        // but a non-zero exit in another final state is
        for t in &mut w.ended {
            t.state = TaskState::Orphaned;
        }
        assert_eq!(
            w.texts(),
            ["web: 5 restarts in 5 min, last exit 137"],
            "{:?}",
            w.alerts()
        );
    }

    #[test]
    fn vip_alarms_keep_their_words() {
        let mut w = World::new();
        w.vip_alarms = vec![
            (Level::Danger, "VIP 198.51.100.100: no owner".into()),
            (
                Level::Warn,
                "VIP 198.51.100.101: held by 02:42:c6:33:64:0b, not a swarm node".into(),
            ),
            (
                Level::Info,
                "VIP 198.51.100.102 on node2, not on the leader".into(),
            ),
        ];
        let a = w.alerts();
        assert_eq!(a.len(), 2);
        assert_eq!(
            (a[0].severity, a[0].text.as_str()),
            (Severity::Critical, "VIP 198.51.100.100: no owner")
        );
        assert_eq!(a[0].key, "vip:VIP 198.51.100.100: no owner");
        assert_eq!(a[1].severity, Severity::Warning);
        assert!(!no_quorum(&a));
    }

    #[test]
    fn critical_first_then_warnings_in_rule_order() {
        let mut w = World::new();
        w.services = vec![service("web", 1, 3)];
        w.below_since.insert(ServiceId("sid-web".into()), at(0));
        w.leader_changes.push_back(LeaderChange {
            at: at(590),
            from: Some("node2".into()),
            to: Some("node1".into()),
        });
        w.nodes[2].state = NodeState::Down;
        w.nodes[2].manager.as_mut().unwrap().reachability = Reachability::Unreachable;
        w.vip_alarms = vec![(Level::Danger, "VIP 198.51.100.100: no owner".into())];
        let keys: Vec<String> = w.alerts().into_iter().map(|a| a.key).collect();
        assert_eq!(
            keys,
            [
                "node-down:id-node3",
                "manager-unreachable:id-node3",
                "vip:VIP 198.51.100.100: no owner",
                "quorum-at-risk",
                "leader-changed",
                "below-desired:sid-web",
            ]
        );
    }

    fn alert(sev: Severity, key: &str) -> Alert {
        Alert {
            severity: sev,
            key: key.into(),
            text: key.into(),
        }
    }

    #[test]
    fn the_bell_rings_once_per_new_critical_key() {
        let mut bell = Bell::new(true);
        let down = alert(Severity::Critical, "node-down:a");
        let warn = alert(Severity::Warning, "quorum-at-risk");
        assert!(
            !bell.ring(std::slice::from_ref(&warn), at(0)),
            "a warning never rings"
        );
        assert!(
            bell.ring(&[down.clone(), warn.clone()], at(1)),
            "a new critical"
        );
        for s in 2..30 {
            assert!(
                !bell.ring(&[down.clone(), warn.clone()], at(s)),
                "still active"
            );
        }
        // gone, then back: new again
        assert!(!bell.ring(std::slice::from_ref(&warn), at(30)));
        assert!(bell.ring(std::slice::from_ref(&down), at(31)));
    }

    #[test]
    fn the_bell_rings_at_most_once_in_five_seconds() {
        let mut bell = Bell::new(true);
        let a = alert(Severity::Critical, "node-down:a");
        let b = alert(Severity::Critical, "node-unreachable:a");
        let c = alert(Severity::Critical, "crash-loop:s");
        assert!(bell.ring(std::slice::from_ref(&a), at(0)));
        // a second one 2 s later is heard with the first
        assert!(!bell.ring(&[a.clone(), b.clone()], at(2)));
        assert!(!bell.ring(&[a.clone(), b.clone()], at(7)), "not rung later");
        // a third one after the gap rings
        assert!(bell.ring(&[a, b, c], at(8)));
    }

    #[test]
    fn a_bell_turned_off_never_rings() {
        let mut bell = Bell::new(false);
        assert!(!bell.ring(&[alert(Severity::Critical, "no-leader")], at(0)));
        // turned on later, an alert already active is not new
        bell.enabled = true;
        assert!(!bell.ring(&[alert(Severity::Critical, "no-leader")], at(10)));
    }

    #[test]
    fn shortened_errors() {
        assert_eq!(shorten("exit\n  status 1"), "exit status 1");
        let long = "x".repeat(100);
        assert_eq!(shorten(&long).chars().count(), 60);
        assert_eq!(duration(45), "45 s");
        assert_eq!(duration(125), "2 min");
        assert_eq!(duration(7300), "2 h");
    }
}
