//! `swarmdeck status`: a one-shot snapshot for scripts and monitoring.
//!
//! Exit codes: 0 healthy, 1 degraded (a node down, a service below desired, or a multi-manager
//! swarm that can no longer lose a manager), 2 no quorum or no leader, 3 no manager reachable.
//! They follow the dashboard's alert rules ([`crate::health::alerts`]): quorum lost or no
//! leader is 2, any other alert (or a problem, e.g. an unreadable field) is 1.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use jiff::Timestamp;
use serde::Serialize;

use crate::domain::quorum::Quorum;
use crate::domain::{NodeId, Task};
use crate::engine::fetch::{FetchError, Snapshot};
use crate::engine::{ConnectError, connect, fetch};
use crate::health::Reach;
use crate::health::alerts::{self, Alert, Input};

/// The gap between `status`'s two probes of a node that did not answer, and the longest
/// either may wait: the probes add at most 1.2 s.
pub const PROBE_GAP: Duration = Duration::from_millis(500);
pub const PROBE_TIMEOUT: Duration = Duration::from_millis(700);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    Healthy,
    Degraded,
    NoQuorum,
    Unreachable,
}

impl Health {
    pub fn exit_code(self) -> i32 {
        match self {
            Health::Healthy => 0,
            Health::Degraded => 1,
            Health::NoQuorum => 2,
            Health::Unreachable => 3,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct QuorumReport {
    pub managers: usize,
    pub reachable: usize,
    pub majority: usize,
    pub tolerates: usize,
    pub has_quorum: bool,
    pub even: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct NodeReport {
    pub id: String,
    pub hostname: String,
    pub role: String,
    pub leader: bool,
    pub availability: String,
    pub state: String,
    pub reachability: Option<String>,
    pub address: String,
    pub engine_version: String,
    pub running_tasks: usize,
    /// The node's labels (`Spec.Labels`).
    pub labels: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceReport {
    pub id: String,
    pub name: String,
    pub mode: String,
    pub running: u64,
    pub desired: u64,
    pub completed: u64,
    pub image: String,
    pub update_state: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VipReport {
    pub addr: String,
    /// The holder's hostname, when exactly one node holds it.
    pub owner: Option<String>,
    /// The holder, or what is wrong ("NO OWNER", "SPLIT BRAIN: …", "cannot be seen from here").
    pub state: String,
    /// How it was determined, or why there is no owner.
    pub detail: String,
    pub port: u16,
    pub port_open: Option<bool>,
    pub alarm: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub health: Health,
    pub exit_code: i32,
    /// The docker context in use (`--context`, `DOCKER_CONTEXT`, `currentContext`).
    pub context: Option<String>,
    pub endpoint: Option<String>,
    pub cluster_id: Option<String>,
    pub engine_version: Option<String>,
    pub api_version: Option<String>,
    pub leader: Option<String>,
    pub quorum: Option<QuorumReport>,
    /// The alert rules' findings, critical first (the dashboard's alerts bar): they make
    /// the exit code.
    pub alerts: Vec<Alert>,
    /// Why the swarm is not healthy.
    pub problems: Vec<String>,
    /// Worth knowing, not a failure (e.g. a single-manager swarm).
    pub warnings: Vec<String>,
    pub nodes: Vec<NodeReport>,
    pub services: Vec<ServiceReport>,
    pub vips: Vec<VipReport>,
}

impl Report {
    fn empty(health: Health) -> Self {
        Report {
            health,
            exit_code: health.exit_code(),
            context: None,
            endpoint: None,
            cluster_id: None,
            engine_version: None,
            api_version: None,
            leader: None,
            quorum: None,
            alerts: Vec::new(),
            problems: Vec::new(),
            warnings: Vec::new(),
            nodes: Vec::new(),
            services: Vec::new(),
            vips: Vec::new(),
        }
    }

    pub fn unreachable(errors: &[ConnectError]) -> Self {
        let mut r = Report::empty(Health::Unreachable);
        r.problems = errors.iter().map(ToString::to_string).collect();
        r
    }

    fn set_health(&mut self, h: Health) {
        self.health = h;
        self.exit_code = h.exit_code();
    }

    /// Judge a snapshot alone (no probes, no task history).
    pub fn from_snapshot(endpoint: &str, snap: &Snapshot) -> Self {
        Self::judge(endpoint, snap, &Seen::default(), Timestamp::now())
    }

    /// Judge a snapshot and what else `status` saw (its probes, the ended tasks) at `now`.
    pub fn judge(endpoint: &str, snap: &Snapshot, seen: &Seen, now: Timestamp) -> Self {
        let mut r = Report::empty(Health::Healthy);
        r.endpoint = Some(endpoint.to_string());
        r.cluster_id = Some(snap.info.cluster_id.clone());
        r.engine_version = Some(snap.info.engine_version.clone());
        r.api_version = Some(snap.info.api_version.clone());
        let q = Quorum::from_nodes(&snap.nodes);
        let leader = snap.nodes.iter().find(|n| n.is_leader());
        r.leader = leader.map(|n| n.hostname.clone());
        r.quorum = Some(QuorumReport {
            managers: q.total,
            reachable: q.reachable,
            majority: q.majority,
            tolerates: q.tolerates,
            has_quorum: q.has_quorum,
            even: q.even,
        });
        // what could not be read is not healthy: it may hide a down node or a lost manager
        for u in &snap.unreadable {
            r.problems.push(format!("unreadable field {u}"));
        }
        let running = crate::domain::running_per_node(&snap.tasks);
        for n in &snap.nodes {
            if n.is_down() {
                r.problems
                    .push(format!("node {} is {}", node_name(n), n.state));
            }
            r.problems.extend(unknown_node_fields(n));
            r.nodes.push(NodeReport {
                id: n.id.0.clone(),
                hostname: n.hostname.clone(),
                role: n.role.to_string(),
                leader: n.is_leader(),
                availability: n.availability.to_string(),
                state: n.state.to_string(),
                reachability: n.manager.as_ref().map(|m| m.reachability.to_string()),
                address: n.address().to_string(),
                engine_version: n.engine_version.clone(),
                running_tasks: running.get(&n.id).copied().unwrap_or(0),
                labels: n.labels.clone(),
            });
        }
        for s in &snap.services {
            if s.mode == crate::domain::ServiceMode::Unknown {
                r.problems.push(format!(
                    "service {}: its mode is unknown (Spec.Mode missing or unreadable)",
                    if s.name.is_empty() {
                        s.id.as_str()
                    } else {
                        &s.name
                    }
                ));
            }
            if s.is_degraded() {
                r.problems.push(format!(
                    "service {} has {}/{} tasks running",
                    s.name, s.running, s.desired
                ));
            }
            r.services.push(ServiceReport {
                id: s.id.0.clone(),
                name: s.name.clone(),
                mode: s.mode.name().to_string(),
                running: s.running,
                desired: s.desired,
                completed: s.completed,
                image: s.image_short().to_string(),
                update_state: s.update_state.as_ref().map(ToString::to_string),
            });
        }
        if q.even {
            r.warnings.push(format!(
                "{} managers: an even count tolerates no more failures than {}",
                q.total,
                q.total - 1
            ));
        }
        if q.single() {
            r.warnings.push(
                "single-manager swarm: it cannot survive the loss of its manager".to_string(),
            );
        }
        if !q.has_quorum || leader.is_none() {
            if leader.is_none() {
                r.problems.insert(0, "the swarm has no leader".into());
            }
            if !q.has_quorum {
                r.problems.insert(
                    0,
                    format!(
                        "no quorum: {}/{} managers reachable, {} needed",
                        q.reachable, q.total, q.majority
                    ),
                );
            }
        } else if q.at_risk() {
            r.problems.insert(
                0,
                format!(
                    "{}/{} managers reachable: the swarm cannot lose another manager",
                    q.reachable, q.total
                ),
            );
        }
        // the dashboard's rules, on what one look can tell: no history, so any service
        // below desired counts, and no leader is as of now
        let no_changes = VecDeque::new();
        let below_since = HashMap::new();
        r.alerts = alerts::evaluate(&Input {
            nodes: &snap.nodes,
            services: &snap.services,
            quorum: &q,
            reach: &seen.reach,
            no_leader_since: leader.is_none().then_some(now),
            leader_changes: &no_changes,
            below_since: &below_since,
            ended: seen.ended.iter().collect(),
            vip_alarms: &[],
            now,
            below_desired_secs: 0,
        });
        r.judge_health();
        r
    }

    /// The exit code from the alerts: no quorum or no leader is 2, any other alert or a
    /// problem is 1.
    fn judge_health(&mut self) {
        let h = if alerts::no_quorum(&self.alerts) {
            Health::NoQuorum
        } else if !self.alerts.is_empty() || !self.problems.is_empty() {
            Health::Degraded
        } else {
            Health::Healthy
        };
        self.set_health(h);
    }

    /// Add what was seen of the VIPs: no owner, split brain, or an owner that is down or
    /// drained (critical alerts), or a VIP held by something that is no swarm node (a
    /// warning) make a healthy swarm degraded.
    pub fn add_vips(
        &mut self,
        observations: &[crate::vip::VipObservation],
        nodes: &[crate::domain::Node],
    ) {
        let mut vip_alarms = Vec::new();
        for obs in observations {
            let alarm = crate::vip::alarm(obs.addr, &obs.ownership, nodes);
            vip_alarms.push(match &alarm {
                Some(crate::vip::Alarm::Danger(t)) => {
                    Some((crate::store::Level::Danger, t.clone()))
                }
                Some(crate::vip::Alarm::Warn(t)) => Some((crate::store::Level::Warn, t.clone())),
                Some(crate::vip::Alarm::Info(t)) => Some((crate::store::Level::Info, t.clone())),
                None => None,
            });
            let alarm_text = match &alarm {
                Some(crate::vip::Alarm::Danger(t)) => {
                    self.problems.push(t.clone());
                    Some(t.clone())
                }
                Some(crate::vip::Alarm::Warn(t) | crate::vip::Alarm::Info(t)) => {
                    self.warnings.push(t.clone());
                    Some(t.clone())
                }
                None => None,
            };
            if let crate::vip::Ownership::Unseen { why } = &obs.ownership {
                self.warnings.push(format!("VIP {}: {why}", obs.addr));
            }
            self.vips.push(VipReport {
                addr: obs.addr.to_string(),
                owner: obs.ownership.owner().map(str::to_string),
                state: obs.ownership.label(),
                detail: obs.ownership.detail(),
                port: obs.port,
                port_open: obs.reachable,
                alarm: alarm_text,
            });
        }
        let vip_alarms: Vec<_> = vip_alarms.into_iter().flatten().collect();
        self.alerts.extend(alerts::vip_alerts(&vip_alarms));
        self.alerts.sort_by_key(|a| a.severity);
        if self.health != Health::Unreachable {
            self.judge_health();
        }
    }

    /// A human-readable summary. Every string that came from the engine, a node or a file
    /// is made printable first ([`crate::text::printable`]): a hostname holding escape
    /// sequences or a newline must neither drive the terminal nor forge a line.
    pub fn text(&self) -> String {
        use crate::text::printable as p;
        let mut out = String::new();
        let health = match self.health {
            Health::Healthy => "HEALTHY",
            Health::Degraded => "DEGRADED",
            Health::NoQuorum => "NO QUORUM",
            Health::Unreachable => "UNREACHABLE",
        };
        out.push_str(&format!("swarm: {health}\n"));
        if let Some(c) = &self.context {
            out.push_str(&format!("context: {}\n", p(c)));
        }
        if let Some(ep) = &self.endpoint {
            out.push_str(&format!(
                "endpoint: {} (engine {}, API {})\n",
                p(ep),
                p(self.engine_version.as_deref().unwrap_or("?")),
                p(self.api_version.as_deref().unwrap_or("?"))
            ));
        }
        if let Some(c) = &self.cluster_id {
            out.push_str(&format!("cluster: {}\n", p(c)));
        }
        if let Some(q) = &self.quorum {
            out.push_str(&format!(
                "leader: {}\nquorum: {}/{} managers reachable, majority {}, tolerates {} more failure(s){}\n",
                p(self.leader.as_deref().unwrap_or("none")),
                q.reachable,
                q.managers,
                q.majority,
                q.tolerates,
                if q.even { ", even manager count" } else { "" }
            ));
        }
        for a in &self.alerts {
            let sev = match a.severity {
                alerts::Severity::Critical => "critical",
                alerts::Severity::Warning => "warning",
            };
            out.push_str(&format!("alert: [{sev}] {}\n", p(&a.text)));
        }
        for pr in &self.problems {
            out.push_str(&format!("problem: {}\n", p(pr)));
        }
        for w in &self.warnings {
            out.push_str(&format!("warning: {}\n", p(w)));
        }
        if !self.nodes.is_empty() {
            out.push_str(&format!(
                "\n{:<16} {:<8} {:<7} {:<8} {:<12} {:<16} {:>5}  LABELS\n",
                "HOSTNAME", "ROLE", "AVAIL", "STATE", "MANAGER", "ADDRESS", "TASKS"
            ));
            for n in &self.nodes {
                let name = if n.leader {
                    format!("{} *", p(&n.hostname))
                } else {
                    p(&n.hostname).into_owned()
                };
                let labels = n
                    .labels
                    .iter()
                    .map(|(k, v)| format!("{}={}", p(k), p(v)))
                    .collect::<Vec<_>>()
                    .join(",");
                out.push_str(&format!(
                    "{:<16} {:<8} {:<7} {:<8} {:<12} {:<16} {:>5}  {}\n",
                    name,
                    p(&n.role),
                    p(&n.availability),
                    p(&n.state),
                    p(n.reachability.as_deref().unwrap_or("-")),
                    p(&n.address),
                    n.running_tasks,
                    labels
                ));
            }
        }
        for v in &self.vips {
            out.push_str(&format!(
                "vip: {} {} ({}), port {} {}\n",
                p(&v.addr),
                p(&v.state),
                p(&v.detail),
                v.port,
                match v.port_open {
                    Some(true) => "open",
                    Some(false) => "not answering",
                    None => "not checked",
                }
            ));
        }
        if !self.services.is_empty() {
            out.push_str(&format!(
                "\n{:<24} {:<15} {:>9}  {}\n",
                "SERVICE", "MODE", "REPLICAS", "IMAGE"
            ));
            for s in &self.services {
                let replicas = if s.mode.ends_with("job") {
                    format!("{} done", s.completed)
                } else {
                    format!("{}/{}", s.running, s.desired)
                };
                out.push_str(&format!(
                    "{:<24} {:<15} {:>9}  {}\n",
                    p(&s.name),
                    p(&s.mode),
                    replicas,
                    p(&s.image)
                ));
            }
        }
        out
    }
}

/// A node as messages name it: its hostname, else its id.
fn node_name(n: &crate::domain::Node) -> String {
    if n.hostname.is_empty() {
        format!("{} (no hostname)", n.id.short())
    } else {
        n.hostname.clone()
    }
}

/// One problem for each field of a node that the engine left out or that we cannot read:
/// a node whose state is unknown cannot be counted as up.
fn unknown_node_fields(n: &crate::domain::Node) -> Vec<String> {
    fn seen(raw: &str) -> String {
        if raw.is_empty() {
            "missing or unreadable".into()
        } else {
            format!("{raw:?} is not a value swarmdeck knows")
        }
    }
    let name = node_name(n);
    let mut out = Vec::new();
    let mut field = |what: &str, path: &str, raw: &str| {
        out.push(format!(
            "node {name}: {what} unknown ({path} {})",
            seen(raw)
        ));
    };
    if let crate::domain::NodeState::Unknown(raw) = &n.state {
        field("state", "Status.State", raw);
    }
    if let crate::domain::Availability::Unknown(raw) = &n.availability {
        field("availability", "Spec.Availability", raw);
    }
    if let crate::domain::Role::Unknown(raw) = &n.role {
        field("role", "Spec.Role", raw);
    }
    if let Some(crate::domain::Reachability::Unknown(raw)) =
        n.manager.as_ref().map(|m| &m.reachability)
    {
        field("manager reachability", "ManagerStatus.Reachability", raw);
    }
    if n.hostname.is_empty() {
        out.push(format!(
            "node {name}: hostname unknown (Description.Hostname missing or unreadable)"
        ));
    }
    out
}

/// What `status` saw besides the snapshot.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    /// Its own probes of the nodes (empty: not probed, `--no-probe`).
    pub reach: HashMap<NodeId, Reach>,
    /// Tasks that ended (the swarm's task history), for the crash-loop rule.
    pub ended: Vec<Task>,
}

/// Connect to the first reachable manager and judge the swarm; `probe`: probe every node
/// from here too (twice, 500 ms apart, for one that does not answer).
pub async fn run(
    endpoints: &[String],
    tls: &connect::Tls,
    vips: &[crate::vip::VipSpec],
    probe: bool,
) -> Report {
    let mut errors = Vec::new();
    for ep in endpoints {
        match connect::connect_with(ep, tls).await {
            Ok(conn) => {
                return match fetch::snapshot(&conn.docker).await {
                    Ok(snap) => {
                        // the task history, the probes and the VIPs at once
                        let ended = fetch::ended_tasks(&conn.docker);
                        let reach = async {
                            if probe {
                                crate::health::probe::probe_nodes(
                                    &snap.nodes,
                                    PROBE_GAP,
                                    PROBE_TIMEOUT,
                                )
                                .await
                            } else {
                                HashMap::new()
                            }
                        };
                        let vip_seen = async {
                            if vips.is_empty() {
                                return Vec::new();
                            }
                            let nodes = crate::vip::node_addrs(&snap.nodes);
                            let opts = crate::vip::watch::WatchOptions::default();
                            crate::vip::watch::observe_all(vips, &nodes, &opts).await
                        };
                        let (ended, reach, vip_seen) = tokio::join!(ended, reach, vip_seen);
                        let mut read_error = None;
                        let ended = match ended {
                            Ok(f) => f.items,
                            Err(e) => {
                                read_error = Some(format!(
                                    "the ended tasks could not be read (no crash-loop check): {e}"
                                ));
                                Vec::new()
                            }
                        };
                        let seen = Seen { reach, ended };
                        let mut r = Report::judge(&conn.endpoint, &snap, &seen, Timestamp::now());
                        r.warnings.extend(read_error);
                        if !vips.is_empty() {
                            r.add_vips(&vip_seen, &snap.nodes);
                        }
                        r
                    }
                    Err(FetchError::NoLeader(msg)) => {
                        let mut r = Report::empty(Health::NoQuorum);
                        r.endpoint = Some(conn.endpoint.clone());
                        r.cluster_id = Some(conn.info.cluster_id.clone());
                        r.problems.push(format!("the swarm has no leader: {msg}"));
                        r.alerts = alerts::evaluate(&Input {
                            nodes: &[],
                            services: &[],
                            quorum: &Quorum::new(0, 0),
                            reach: &HashMap::new(),
                            no_leader_since: Some(Timestamp::now()),
                            leader_changes: &VecDeque::new(),
                            below_since: &HashMap::new(),
                            ended: Vec::new(),
                            vip_alarms: &[],
                            now: Timestamp::now(),
                            below_desired_secs: 0,
                        });
                        r
                    }
                    Err(e) => {
                        let mut r = Report::empty(Health::Unreachable);
                        r.endpoint = Some(conn.endpoint.clone());
                        r.problems.push(format!("{}: {e}", conn.endpoint));
                        r
                    }
                };
            }
            Err(e) => errors.push(e),
        }
    }
    Report::unreachable(&errors)
}
