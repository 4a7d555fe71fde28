//! What a write would do, computed from live state before anything is written: draining a
//! node, promoting or demoting it, changing its labels, and where services run unevenly.
//!
//! Placement everywhere follows the scheduler's hard filters: a node can take a task of a
//! service when it is active and ready, satisfies every constraint, and (when the service
//! sets `MaxReplicas`) runs fewer than that many of the service's tasks.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::constraints::{self, ConstraintError};
use crate::domain::quorum::Quorum;
use crate::domain::{
    Availability, Node, NodeId, NodeState, Reachability, Service, ServiceId, ServiceMode, Task,
    TaskState,
};

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

/// A task that holds its node: about to run or running, and not ordered to stop.
pub(crate) fn occupies(t: &Task) -> bool {
    t.state.is_active()
        && !matches!(
            t.desired,
            TaskState::Shutdown
                | TaskState::Remove
                | TaskState::Orphaned
                | TaskState::Failed
                | TaskState::Rejected
        )
}

/// Active and ready: the scheduler may place tasks there.
pub(crate) fn available(n: &Node) -> bool {
    n.availability == Availability::Active && n.state == NodeState::Ready
}

/// Why a node cannot take one more task of a service.
#[derive(Debug)]
enum Refusal {
    Unavailable,
    Invalid(ConstraintError),
    Constraints,
    MaxReplicas,
}

/// Whether `node`, already running `there` tasks of `service`, can take one more.
fn can_take(node: &Node, service: &Service, there: usize) -> Result<(), Refusal> {
    if !available(node) {
        return Err(Refusal::Unavailable);
    }
    match constraints::satisfies(&service.constraints, node) {
        Err(e) => return Err(Refusal::Invalid(e)),
        Ok(false) => return Err(Refusal::Constraints),
        Ok(true) => {}
    }
    let max = service.max_replicas_per_node;
    if max > 0 && there as u64 >= max {
        return Err(Refusal::MaxReplicas);
    }
    Ok(())
}

/// Tasks of `service` holding each node.
fn service_counts(service: &ServiceId, tasks: &[Task]) -> HashMap<NodeId, usize> {
    let mut out = HashMap::new();
    for t in tasks {
        if &t.service_id == service
            && occupies(t)
            && let Some(n) = &t.node_id
        {
            *out.entry(n.clone()).or_default() += 1;
        }
    }
    out
}

fn is_replicated(mode: &ServiceMode) -> bool {
    !matches!(mode, ServiceMode::Global | ServiceMode::GlobalJob)
}

/// `web.1`, as the CLI names tasks (without the task id); `web.<task id>` without a slot.
fn task_name(service: &str, slot: Option<i64>, task_id: &str) -> String {
    match slot {
        Some(slot) => format!("{service}.{slot}"),
        None => {
            let short: String = task_id.chars().take(12).collect();
            format!("{service}.{short}")
        }
    }
}

/// The service a task belongs to, or a stand-in named by its id when it is not listed.
fn service_of(services: &[Service], id: &ServiceId) -> Service {
    services
        .iter()
        .find(|s| &s.id == id)
        .cloned()
        .unwrap_or_else(|| Service {
            id: id.clone(),
            name: id.short().to_string(),
            ..Default::default()
        })
}

/// "a", "a or b", "a, b or c", "a, b or 3 other nodes".
fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        _ if items.len() > 3 => format!(
            "{} or {} other nodes",
            items[..2].join(", "),
            items.len() - 2
        ),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `1 CPU`, `1.5 CPUs`, `0.25 CPUs` from nano-CPUs.
pub fn fmt_cpus(nano: i64) -> String {
    let cpus = nano as f64 / 1e9;
    let text = format!("{cpus:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "1" {
        "1 CPU".into()
    } else {
        format!("{text} CPUs")
    }
}

/// `512 MiB`, `1.5 GiB`.
pub fn fmt_bytes(bytes: i64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value.abs() >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    let text = format!("{value:.1}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text} {}", UNITS[unit])
}

// ---------------------------------------------------------------------------------------------
// Drain
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MovingTask {
    /// Service name.
    pub service: String,
    pub slot: Option<i64>,
    pub task_id: String,
    /// Hostnames that could take it (empty for a stranded task).
    pub candidates: Vec<String>,
    /// For a stranded task, why no node can take it (e.g. "no other node satisfies
    /// node.hostname==node2"); empty for a task that moves.
    pub why: String,
}

impl MovingTask {
    /// `web.1`.
    pub fn name(&self) -> String {
        task_name(&self.service, self.slot, &self.task_id)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DrainCheck {
    /// Hostname of the node to drain.
    pub node: String,
    /// Replicated (and replicated-job) tasks that will be rescheduled elsewhere.
    pub moving: Vec<MovingTask>,
    /// Replicated tasks no other active+ready node can take: they will stay pending.
    pub stranded: Vec<MovingTask>,
    /// Global(-job) services whose task on this node will simply stop.
    pub stopping_global: Vec<String>,
    pub is_leader: bool,
    pub holds_vip: bool,
    /// Reservations of the moving tasks.
    pub cpu_needed: i64,
    pub mem_needed: i64,
    /// Free reservations on the other active ready nodes.
    pub cpu_free: i64,
    pub mem_free: i64,
    /// Other nodes already drained/paused or down: (hostname, why).
    pub others_unavailable: Vec<(String, String)>,
    /// No other active ready node would remain.
    pub last_active: bool,
    pub already_drained: bool,
}

impl DrainCheck {
    /// The moving tasks reserve more CPU or memory than the other active nodes have free.
    pub fn lacks_capacity(&self) -> bool {
        self.lacks_cpu() || self.lacks_mem()
    }

    fn lacks_cpu(&self) -> bool {
        self.cpu_needed > 0 && self.cpu_needed > self.cpu_free
    }

    fn lacks_mem(&self) -> bool {
        self.mem_needed > 0 && self.mem_needed > self.mem_free
    }

    /// Dangers that require typing the hostname to confirm: stranded tasks, last active node,
    /// leader, VIP owner, not enough capacity. Each is the same sentence [`Self::lines`] shows,
    /// so a caller can tell them apart by equality. None for an already drained node (a no-op).
    pub fn dangers(&self) -> Vec<String> {
        self.annotated(None)
            .into_iter()
            .filter_map(|(danger, line)| danger.then_some(line))
            .collect()
    }

    /// Human lines for the dialog, most important first.
    pub fn lines(&self) -> Vec<String> {
        self.lines_with_vip(None)
    }

    /// [`Self::lines`], naming the VIP address this node holds when the caller knows it.
    pub fn lines_with_vip(&self, vip: Option<&str>) -> Vec<String> {
        self.annotated(vip)
            .into_iter()
            .map(|(_, line)| line)
            .collect()
    }

    /// The lines, each with whether it is a danger.
    fn annotated(&self, vip: Option<&str>) -> Vec<(bool, String)> {
        let host = &self.node;
        // Draining a drained node again is a no-op: nothing about it is a danger.
        let danger = !self.already_drained;
        let mut out: Vec<(bool, String)> = Vec::new();
        if self.already_drained {
            out.push((
                false,
                format!("{host} is already drained: draining it again changes nothing."),
            ));
        }
        if self.last_active {
            out.push((
                danger,
                format!("{host} is the last active node: no other node can take its tasks."),
            ));
        }
        for t in &self.stranded {
            out.push((
                danger,
                format!("{} is stranded: {}; it will stay pending.", t.name(), t.why),
            ));
        }
        if self.lacks_cpu() {
            out.push((
                danger,
                format!(
                    "Not enough free CPU: the moving tasks reserve {}, the other active nodes have {} free; some will stay pending.",
                    fmt_cpus(self.cpu_needed),
                    fmt_cpus(self.cpu_free)
                ),
            ));
        }
        if self.lacks_mem() {
            out.push((
                danger,
                format!(
                    "Not enough free memory: the moving tasks reserve {}, the other active nodes have {} free; some will stay pending.",
                    fmt_bytes(self.mem_needed),
                    fmt_bytes(self.mem_free)
                ),
            ));
        }
        if self.is_leader {
            out.push((
                danger,
                format!("{host} is the Raft leader: draining does not move leadership."),
            ));
        }
        if self.holds_vip {
            let what = vip.map_or_else(|| "a watched VIP".to_string(), |v| format!("VIP {v}"));
            out.push((
                danger,
                format!("{host} holds {what}: draining does not move the VIP."),
            ));
        }
        let mut info = |line: String| out.push((false, line));
        if self.moving.is_empty() {
            if self.stranded.is_empty() && !self.already_drained {
                info(format!("No replicated task runs on {host}: nothing moves."));
            }
        } else {
            const SHOWN: usize = 6;
            let mut parts: Vec<String> = self
                .moving
                .iter()
                .take(SHOWN)
                .map(|t| format!("{} → {}", t.name(), or_list(&t.candidates)))
                .collect();
            if self.moving.len() > SHOWN {
                parts.push(format!("and {} more", self.moving.len() - SHOWN));
            }
            info(format!(
                "{}: {}.",
                plural(self.moving.len(), "task moves", "tasks move"),
                parts.join(", ")
            ));
        }
        if !self.stopping_global.is_empty() {
            info(format!(
                "{} stop their task here: {}.",
                plural(
                    self.stopping_global.len(),
                    "global service will",
                    "global services will"
                ),
                self.stopping_global.join(", ")
            ));
        }
        if self.cpu_needed > 0 && !self.lacks_cpu() {
            info(format!(
                "The moving tasks reserve {}; the other active nodes have {} free.",
                fmt_cpus(self.cpu_needed),
                fmt_cpus(self.cpu_free)
            ));
        }
        if self.mem_needed > 0 && !self.lacks_mem() {
            info(format!(
                "The moving tasks reserve {}; the other active nodes have {} free.",
                fmt_bytes(self.mem_needed),
                fmt_bytes(self.mem_free)
            ));
        }
        if !self.others_unavailable.is_empty() {
            let parts: Vec<String> = self
                .others_unavailable
                .iter()
                .map(|(h, why)| format!("{h} ({why})"))
                .collect();
            info(format!("Already unavailable: {}.", parts.join(", ")));
        }
        out
    }
}

/// Why a node is not available for placement ("drained", "paused, down"), or None.
pub(crate) fn unavailable_why(n: &Node) -> Option<String> {
    let mut why = Vec::new();
    match &n.availability {
        Availability::Active => {}
        Availability::Drain => why.push("drained".to_string()),
        Availability::Pause => why.push("paused".to_string()),
        other => why.push(format!("availability {other}")),
    }
    if n.state != NodeState::Ready {
        why.push(n.state.to_string());
    }
    (!why.is_empty()).then(|| why.join(", "))
}

/// Why no other node can take a task of `service` (for a stranded task).
fn stranded_why(service: &Service, others: &[&Node], counts: &HashMap<NodeId, usize>) -> String {
    let mut any_available = false;
    let mut any_satisfies = false;
    for n in others {
        match can_take(n, service, counts.get(&n.id).copied().unwrap_or(0)) {
            Err(Refusal::Invalid(e)) => return format!("its constraint is invalid ({e})"),
            Err(Refusal::Unavailable) => {}
            Err(Refusal::Constraints) => any_available = true,
            Err(Refusal::MaxReplicas) | Ok(()) => {
                any_available = true;
                any_satisfies = true;
            }
        }
    }
    if !any_available {
        "no other node is active and ready".into()
    } else if !any_satisfies {
        format!(
            "no other node satisfies {}",
            service.constraints.join(" and ")
        )
    } else {
        format!(
            "the other nodes that satisfy its constraints already run the maximum of {} per node",
            service.max_replicas_per_node
        )
    }
}

/// What draining `node` would do. `tasks` are the live tasks (desired state running; tasks
/// ordered to stop are ignored). `vip_holder`: whether this node holds a watched VIP.
/// None when the node is not in `nodes`.
pub fn drain_check(
    node: &NodeId,
    nodes: &[Node],
    services: &[Service],
    tasks: &[Task],
    vip_holder: bool,
) -> Option<DrainCheck> {
    let me = nodes.iter().find(|n| &n.id == node)?;
    let mut others: Vec<&Node> = nodes.iter().filter(|n| &n.id != node).collect();
    others.sort_by(|a, b| a.hostname.cmp(&b.hostname));

    let mut check = DrainCheck {
        node: me.hostname.clone(),
        is_leader: me.is_leader(),
        holds_vip: vip_holder,
        already_drained: me.availability == Availability::Drain,
        last_active: !others.iter().any(|n| available(n)),
        others_unavailable: others
            .iter()
            .filter_map(|n| unavailable_why(n).map(|why| (n.hostname.clone(), why)))
            .collect(),
        ..Default::default()
    };

    // Free reservations on the other active ready nodes.
    for n in others.iter().filter(|n| available(n)) {
        let (mut cpu, mut mem) = (0i64, 0i64);
        for t in tasks
            .iter()
            .filter(|t| occupies(t) && t.node_id.as_ref() == Some(&n.id))
        {
            if let Some(s) = services.iter().find(|s| s.id == t.service_id) {
                cpu = cpu.saturating_add(s.reserve_nano_cpus);
                mem = mem.saturating_add(s.reserve_memory_bytes);
            }
        }
        check.cpu_free += n.nano_cpus.saturating_sub(cpu).max(0);
        check.mem_free += n.memory_bytes.saturating_sub(mem).max(0);
    }

    // The tasks on this node, by service.
    let mut by_service: BTreeMap<ServiceId, Vec<&Task>> = BTreeMap::new();
    for t in tasks
        .iter()
        .filter(|t| occupies(t) && t.node_id.as_ref() == Some(node))
    {
        by_service.entry(t.service_id.clone()).or_default().push(t);
    }
    let mut global = BTreeSet::new();
    for (sid, mut here) in by_service {
        let service = service_of(services, &sid);
        if !is_replicated(&service.mode) {
            global.insert(service.name.clone());
            continue;
        }
        here.sort_by(|a, b| a.slot.cmp(&b.slot).then_with(|| a.id.cmp(&b.id)));
        // Tasks of the service elsewhere; updated as tasks are placed, so MaxReplicas holds.
        let mut counts = service_counts(&sid, tasks);
        counts.remove(node);
        for t in here {
            let mut fits: Vec<&Node> = others
                .iter()
                .copied()
                .filter(|n| can_take(n, &service, counts.get(&n.id).copied().unwrap_or(0)).is_ok())
                .collect();
            let mut moving = MovingTask {
                service: service.name.clone(),
                slot: t.slot,
                task_id: t.id.0.clone(),
                candidates: fits.iter().map(|n| n.hostname.clone()).collect(),
                why: String::new(),
            };
            if fits.is_empty() {
                moving.why = stranded_why(&service, &others, &counts);
                check.stranded.push(moving);
                continue;
            }
            // The scheduler spreads a service's tasks: the node with fewest takes it.
            fits.sort_by_key(|n| counts.get(&n.id).copied().unwrap_or(0));
            *counts.entry(fits[0].id.clone()).or_default() += 1;
            check.cpu_needed += service.reserve_nano_cpus;
            check.mem_needed += service.reserve_memory_bytes;
            check.moving.push(moving);
        }
    }
    check.stopping_global = global.into_iter().collect();
    let order = |a: &MovingTask, b: &MovingTask| {
        (&a.service, a.slot, &a.task_id).cmp(&(&b.service, b.slot, &b.task_id))
    };
    check.moving.sort_by(order);
    check.stranded.sort_by(order);
    Some(check)
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DrainProgress {
    /// Names of the tasks still running (or starting) on the node, sorted.
    pub left_running: Vec<String>,
    /// Of those, how many the engine has ordered to stop (desired state no longer running).
    pub stopping: usize,
    /// The check's tasks (moving or stranded) whose service slot now runs on another node.
    pub moved: usize,
    /// The check's tasks whose slot runs nowhere and that no node can take now.
    pub stranded: usize,
    /// No task left running on the node.
    pub done: bool,
}

/// Progress of a drain started with `check`, from the current tasks (all of them, or the
/// live ones: tasks still running on the node count whatever their desired state).
pub fn drain_progress(
    check: &DrainCheck,
    node: &NodeId,
    nodes: &[Node],
    services: &[Service],
    tasks: &[Task],
) -> DrainProgress {
    let name_of = |sid: &ServiceId| service_of(services, sid).name;
    let still_here: Vec<&Task> = tasks
        .iter()
        .filter(|t| t.node_id.as_ref() == Some(node) && t.state.is_active())
        .collect();
    let mut left_running: Vec<String> = still_here
        .iter()
        .map(|t| task_name(&name_of(&t.service_id), t.slot, t.id.as_str()))
        .collect();
    left_running.sort();
    let stopping = still_here
        .iter()
        .filter(|t| !matches!(t.desired, TaskState::Running))
        .count();

    let others: Vec<&Node> = nodes.iter().filter(|n| &n.id != node).collect();
    let (mut moved, mut stranded) = (0, 0);
    for mt in check.moving.iter().chain(&check.stranded) {
        let Some(service) = services.iter().find(|s| s.name == mt.service) else {
            continue;
        };
        let of_slot = |t: &&Task| {
            t.service_id == service.id
                && match mt.slot {
                    Some(slot) => t.slot == Some(slot),
                    None => t.id.as_str() != mt.task_id,
                }
        };
        let running_elsewhere = tasks.iter().filter(of_slot).any(|t| {
            t.state == TaskState::Running && t.node_id.as_ref().is_some_and(|n| n != node)
        });
        if running_elsewhere {
            moved += 1;
            continue;
        }
        let running_anywhere = tasks
            .iter()
            .filter(of_slot)
            .any(|t| t.state == TaskState::Running)
            || (mt.slot.is_none() && still_here.iter().any(|t| t.id.as_str() == mt.task_id));
        if running_anywhere {
            continue;
        }
        let counts = service_counts(&service.id, tasks);
        let placeable = others
            .iter()
            .any(|n| can_take(n, service, counts.get(&n.id).copied().unwrap_or(0)).is_ok());
        if !placeable {
            stranded += 1;
        }
    }
    DrainProgress {
        done: left_running.is_empty(),
        left_running,
        stopping,
        moved,
        stranded,
    }
}

// ---------------------------------------------------------------------------------------------
// Promote / demote
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RoleCheck {
    /// Hostname.
    pub node: String,
    /// Promote (true) or demote (false).
    pub promote: bool,
    pub managers_after: usize,
    pub reachable_after: usize,
    pub majority_after: usize,
    pub tolerates_after: usize,
    pub even_after: bool,
    /// Why it must not be done.
    pub refused: Option<String>,
    pub warnings: Vec<String>,
}

/// What promoting or demoting `node` would do to the managers' Raft quorum. None when the
/// node is not in `nodes`.
///
/// Refused: demoting a non-manager, the last manager, or a manager whose demotion leaves
/// fewer than a majority of the remaining managers reachable (as the engine refuses it);
/// promoting a manager or a down node; any change while the managers have lost quorum.
pub fn role_check(node: &NodeId, promote: bool, nodes: &[Node]) -> Option<RoleCheck> {
    let me = nodes.iter().find(|n| &n.id == node)?;
    let host = &me.hostname;
    let managers: Vec<&Node> = nodes.iter().filter(|n| n.is_manager()).collect();
    let reachable_of = |n: &Node| {
        n.manager
            .as_ref()
            .is_some_and(|m| m.reachability == Reachability::Reachable)
    };
    let total = managers.len();
    let reachable = managers.iter().filter(|n| reachable_of(n)).count();
    let now = Quorum::new(total, reachable);

    let mut refused = None;
    let (managers_after, reachable_after) = if promote {
        if me.is_manager() {
            refused = Some(format!("{host} is already a manager"));
            (total, reachable)
        } else {
            if me.is_down() {
                refused = Some(format!(
                    "{host} is {}: a manager that cannot be reached raises the majority without adding a vote",
                    me.state
                ));
            }
            (total + 1, reachable + 1)
        }
    } else if !me.is_manager() {
        refused = Some(format!("{host} is not a manager"));
        (total, reachable)
    } else {
        let after = (total - 1, reachable - usize::from(reachable_of(me)));
        if total == 1 {
            refused = Some(format!(
                "{host} is the last manager: a swarm needs at least one"
            ));
        }
        after
    };
    let after = Quorum::new(managers_after, reachable_after);
    if refused.is_none() && total > 0 && !now.has_quorum {
        refused = Some(format!(
            "the managers have lost quorum ({reachable} of {total} reachable, {} needed): no change can be made until it is restored",
            now.majority
        ));
    }
    if refused.is_none() && !promote && !after.has_quorum {
        refused = Some(format!(
            "after demoting {host}, {reachable_after} of {managers_after} managers would be reachable, fewer than the majority of {}: the swarm would lose quorum",
            after.majority
        ));
    }

    let mut warnings = Vec::new();
    if refused.is_none() {
        if !promote && me.is_leader() {
            warnings.push(format!(
                "{host} is the Raft leader: leadership moves to another manager after a short election"
            ));
        }
        if after.even {
            warnings.push(format!(
                "{managers_after} managers tolerate no more failures than {}",
                managers_after - 1
            ));
        }
        if managers_after == 1 {
            warnings
                .push("a single manager remains: losing it loses control of the swarm".to_string());
        } else if after.tolerates == 0 {
            warnings.push(format!(
                "afterwards the swarm tolerates no manager failure ({reachable_after} of {managers_after} reachable, {} needed)",
                after.majority
            ));
        }
    }
    Some(RoleCheck {
        node: host.clone(),
        promote,
        managers_after,
        reachable_after,
        majority_after: after.majority,
        tolerates_after: after.tolerates,
        even_after: after.even,
        refused,
        warnings,
    })
}

// ---------------------------------------------------------------------------------------------
// Labels
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabelImpact {
    /// Service name.
    pub service: String,
    /// The service's constraints that mention a changed label, joined with " and ".
    pub constraint: String,
    /// Hostnames that satisfy all the service's constraints now (sorted).
    pub before: Vec<String>,
    /// After the change (sorted).
    pub after: Vec<String>,
}

impl LabelImpact {
    pub fn changed(&self) -> bool {
        self.before != self.after
    }

    /// Could be placed somewhere before, nowhere after.
    pub fn loses_every_node(&self) -> bool {
        !self.before.is_empty() && self.after.is_empty()
    }

    /// One line: "web (node.labels.zone==eu): can run on [node1, node2] → [node1]".
    pub fn describe(&self) -> String {
        format!(
            "{} ({}): can run on [{}] → [{}]",
            self.service,
            self.constraint,
            self.before.join(", "),
            self.after.join(", ")
        )
    }
}

fn satisfying(service: &Service, nodes: &[Node]) -> Vec<String> {
    let mut out: Vec<String> = nodes
        .iter()
        .filter(|n| constraints::satisfies(&service.constraints, n) == Ok(true))
        .map(|n| n.hostname.clone())
        .collect();
    out.sort();
    out
}

/// The services whose constraints mention a label that the change really changes, with
/// where their constraints hold before and after applying `set`/`remove` to this node's
/// labels. Services that lose every node first, then the others that change, then by name.
pub fn label_impact(
    node: &NodeId,
    set: &BTreeMap<String, String>,
    remove: &[String],
    nodes: &[Node],
    services: &[Service],
) -> Vec<LabelImpact> {
    let Some(me) = nodes.iter().find(|n| &n.id == node) else {
        return Vec::new();
    };
    let mut changed: BTreeSet<&str> = BTreeSet::new();
    for (k, v) in set {
        if me.labels.get(k) != Some(v) {
            changed.insert(k);
        }
    }
    for k in remove {
        if me.labels.contains_key(k) && !set.contains_key(k) {
            changed.insert(k);
        }
    }
    if changed.is_empty() {
        return Vec::new();
    }
    let mut after_nodes = nodes.to_vec();
    for n in after_nodes.iter_mut().filter(|n| &n.id == node) {
        for k in remove {
            n.labels.remove(k);
        }
        for (k, v) in set {
            n.labels.insert(k.clone(), v.clone());
        }
    }
    let mut out: Vec<LabelImpact> = services
        .iter()
        .filter(|s| {
            changed
                .iter()
                .any(|k| constraints::mentions_label(&s.constraints, k))
        })
        .map(|s| {
            let mentioning: Vec<&str> = s
                .constraints
                .iter()
                .filter(|c| {
                    changed
                        .iter()
                        .any(|k| constraints::mentions_label(std::slice::from_ref(*c), k))
                })
                .map(String::as_str)
                .collect();
            LabelImpact {
                service: s.name.clone(),
                constraint: mentioning.join(" and "),
                before: satisfying(s, nodes),
                after: satisfying(s, &after_nodes),
            }
        })
        .collect();
    out.sort_by_key(|i| (!i.loses_every_node(), !i.changed(), i.service.clone()));
    out
}

/// Docker's rules for a node label set from the form: the key is not empty, has no
/// whitespace or `=`, is printable and at most 255 bytes; the value has no newline.
/// The error names the key.
pub fn validate_label(key: &str, value: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("a label key cannot be empty".into());
    }
    if key.chars().any(char::is_whitespace) {
        return Err(format!("label key {key:?} contains whitespace"));
    }
    if key.contains('=') {
        return Err(format!("label key {key:?} contains '='"));
    }
    if key.chars().any(char::is_control) {
        return Err(format!("label key {key:?} contains a control character"));
    }
    if key.len() > 255 {
        return Err(format!(
            "label key {key:?} is {} bytes long, at most 255 are allowed",
            key.len()
        ));
    }
    if value.contains(['\n', '\r']) {
        return Err(format!("the value of label {key:?} contains a newline"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Balance
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Unbalanced {
    pub service: ServiceId,
    pub name: String,
    /// (hostname, running tasks) for the eligible nodes (active, ready, constraints
    /// satisfied), by hostname.
    pub per_node: Vec<(String, usize)>,
    /// max - min over `per_node`.
    pub spread: usize,
}

/// Replicated services whose running tasks are unevenly spread over the nodes they may run on
/// (max - min > 1, which includes a node holding 2+ while an eligible node holds none), worst
/// first. With `node`, only the services that would gain a task on that node (it is eligible
/// and its count is the minimum).
pub fn unbalanced(
    nodes: &[Node],
    services: &[Service],
    tasks: &[Task],
    node: Option<&NodeId>,
) -> Vec<Unbalanced> {
    let mut sorted: Vec<&Node> = nodes.iter().collect();
    sorted.sort_by(|a, b| a.hostname.cmp(&b.hostname));
    let mut out = Vec::new();
    for s in services {
        if !matches!(s.mode, ServiceMode::Replicated { .. }) {
            continue;
        }
        let eligible: Vec<&Node> = sorted
            .iter()
            .copied()
            .filter(|n| available(n) && constraints::satisfies(&s.constraints, n) == Ok(true))
            .collect();
        if eligible.len() < 2 {
            continue;
        }
        let count = |n: &Node| {
            tasks
                .iter()
                .filter(|t| {
                    t.service_id == s.id
                        && t.state == TaskState::Running
                        && t.node_id.as_ref() == Some(&n.id)
                })
                .count()
        };
        let counted: Vec<(&Node, usize)> = eligible.iter().map(|n| (*n, count(n))).collect();
        let max = counted.iter().map(|(_, c)| *c).max().unwrap_or(0);
        let min = counted.iter().map(|(_, c)| *c).min().unwrap_or(0);
        if max - min <= 1 {
            continue;
        }
        if let Some(target) = node
            && !counted.iter().any(|(n, c)| &n.id == target && *c == min)
        {
            continue;
        }
        out.push(Unbalanced {
            service: s.id.clone(),
            name: s.name.clone(),
            per_node: counted
                .iter()
                .map(|(n, c)| (n.hostname.clone(), *c))
                .collect(),
            spread: max - min,
        });
    }
    out.sort_by(|a, b| b.spread.cmp(&a.spread).then_with(|| a.name.cmp(&b.name)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ManagerInfo, Role};

    const GIB: i64 = 1 << 30;
    const CPU: i64 = 1_000_000_000;

    fn manager(leader: bool, reachable: bool) -> Option<ManagerInfo> {
        Some(ManagerInfo {
            leader,
            reachability: if reachable {
                Reachability::Reachable
            } else {
                Reachability::Unreachable
            },
            addr: String::new(),
        })
    }

    fn node(i: usize) -> Node {
        Node {
            id: NodeId(format!("id{i}")),
            hostname: format!("node{i}"),
            role: Role::Worker,
            availability: Availability::Active,
            state: NodeState::Ready,
            nano_cpus: 4 * CPU,
            memory_bytes: 8 * GIB,
            os: "linux".into(),
            arch: "x86_64".into(),
            ..Default::default()
        }
    }

    fn mgr(i: usize, leader: bool, reachable: bool) -> Node {
        Node {
            role: Role::Manager,
            manager: manager(leader, reachable),
            ..node(i)
        }
    }

    /// node1 (leader), node2, node3: three managers, all reachable, all active.
    fn three() -> Vec<Node> {
        vec![mgr(1, true, true), mgr(2, false, true), mgr(3, false, true)]
    }

    fn five() -> Vec<Node> {
        vec![
            mgr(1, true, true),
            mgr(2, false, true),
            mgr(3, false, true),
            node(4),
            node(5),
        ]
    }

    fn id(i: usize) -> NodeId {
        NodeId(format!("id{i}"))
    }

    fn replicated(name: &str, replicas: u64) -> Service {
        Service {
            id: ServiceId(format!("s-{name}")),
            name: name.into(),
            mode: ServiceMode::Replicated { replicas },
            ..Default::default()
        }
    }

    fn global(name: &str) -> Service {
        Service {
            id: ServiceId(format!("s-{name}")),
            name: name.into(),
            mode: ServiceMode::Global,
            ..Default::default()
        }
    }

    fn task(service: &Service, slot: Option<i64>, on: usize) -> Task {
        let slot_part = slot.map_or_else(|| format!("g{on}"), |s| s.to_string());
        Task {
            id: format!("t-{}-{slot_part}", service.name).as_str().into(),
            service_id: service.id.clone(),
            node_id: Some(id(on)),
            slot,
            desired: TaskState::Running,
            state: TaskState::Running,
            ..Default::default()
        }
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    // --- drain ------------------------------------------------------------------------------

    #[test]
    fn drain_unknown_node_is_none() {
        assert!(drain_check(&id(9), &three(), &[], &[], false).is_none());
    }

    #[test]
    fn drain_moves_replicated_tasks_and_stops_global_ones() {
        let nodes = three();
        let web = replicated("web", 3);
        let agent = global("agent");
        let tasks = vec![
            task(&web, Some(1), 1),
            task(&web, Some(2), 2),
            task(&web, Some(3), 3),
            task(&agent, None, 1),
            task(&agent, None, 2),
            task(&agent, None, 3),
        ];
        let check = drain_check(&id(2), &nodes, &[web, agent], &tasks, false).unwrap();
        assert_eq!(check.node, "node2");
        assert_eq!(check.moving.len(), 1);
        let m = &check.moving[0];
        assert_eq!((m.service.as_str(), m.slot), ("web", Some(2)));
        assert_eq!(m.name(), "web.2");
        assert_eq!(m.candidates, strings(&["node1", "node3"]));
        assert!(check.stranded.is_empty());
        assert_eq!(check.stopping_global, strings(&["agent"]));
        assert!(!check.last_active && !check.already_drained && !check.is_leader);
        assert!(check.dangers().is_empty(), "{:?}", check.dangers());
        let lines = check.lines();
        assert!(
            lines.contains(&"1 task moves: web.2 → node1 or node3.".to_string()),
            "{lines:?}"
        );
        assert!(lines.contains(&"1 global service will stop their task here: agent.".to_string()));
    }

    #[test]
    fn drain_strands_a_task_pinned_to_the_node() {
        let nodes = three();
        let mut api = replicated("api", 2);
        api.constraints = strings(&["node.hostname==node2"]);
        let tasks = vec![task(&api, Some(1), 2), task(&api, Some(2), 2)];
        let check = drain_check(&id(2), &nodes, std::slice::from_ref(&api), &tasks, false).unwrap();
        assert!(check.moving.is_empty());
        assert_eq!(check.stranded.len(), 2);
        assert_eq!(check.stranded[1].name(), "api.2");
        assert!(check.stranded[1].candidates.is_empty());
        let lines = check.lines();
        assert_eq!(
            lines[0],
            "api.1 is stranded: no other node satisfies node.hostname==node2; it will stay pending."
        );
        let dangers = check.dangers();
        assert_eq!(dangers, lines[..2].to_vec());
        assert!(dangers[1].starts_with("api.2 is stranded"));
    }

    #[test]
    fn drain_respects_max_replicas_per_node() {
        let nodes = three();
        let mut db = replicated("db", 3);
        db.max_replicas_per_node = 1;
        // One per node; draining node3 leaves nowhere for db.3.
        let tasks = vec![
            task(&db, Some(1), 1),
            task(&db, Some(2), 2),
            task(&db, Some(3), 3),
        ];
        let check = drain_check(&id(3), &nodes, std::slice::from_ref(&db), &tasks, false).unwrap();
        assert_eq!(check.stranded.len(), 1);
        assert!(
            check.stranded[0].why.contains("maximum of 1 per node"),
            "{}",
            check.stranded[0].why
        );

        // Two tasks on node3, one free node: one moves, one is stranded.
        let nodes = vec![node(1), node(2), node(3)];
        let tasks = vec![
            task(&db, Some(1), 1),
            task(&db, Some(2), 3),
            task(&db, Some(3), 3),
        ];
        db.max_replicas_per_node = 2;
        let check = drain_check(&id(3), &nodes, std::slice::from_ref(&db), &tasks, false).unwrap();
        assert_eq!(check.moving.len(), 2, "{check:?}");
        db.max_replicas_per_node = 1;
        let check = drain_check(&id(3), &nodes, std::slice::from_ref(&db), &tasks, false).unwrap();
        assert_eq!(check.moving.len(), 1);
        assert_eq!(check.moving[0].candidates, strings(&["node2"]));
        assert_eq!(check.stranded.len(), 1);
        assert_eq!(check.stranded[0].name(), "db.3");
    }

    #[test]
    fn drain_reservations_and_capacity() {
        let nodes = three();
        let mut big = replicated("big", 3);
        big.reserve_nano_cpus = 3 * CPU;
        big.reserve_memory_bytes = 6 * GIB;
        let tasks = vec![
            task(&big, Some(1), 1),
            task(&big, Some(2), 2),
            task(&big, Some(3), 3),
        ];
        let check = drain_check(&id(3), &nodes, std::slice::from_ref(&big), &tasks, false).unwrap();
        assert_eq!((check.cpu_needed, check.mem_needed), (3 * CPU, 6 * GIB));
        // node1 and node2: 4 CPUs - 3 each, 8 GiB - 6 each.
        assert_eq!((check.cpu_free, check.mem_free), (2 * CPU, 4 * GIB));
        assert!(check.lacks_capacity());
        assert!(
            check
                .dangers()
                .iter()
                .any(|d| d.starts_with("Not enough free memory"))
        );
        let lines = check.lines();
        assert!(lines.iter().any(|l| l.starts_with(
            "Not enough free CPU: the moving tasks reserve 3 CPUs, the other active nodes have 2 CPUs free"
        )), "{lines:?}");
        assert!(
            lines.iter().any(|l| l.contains("reserve 6 GiB")),
            "{lines:?}"
        );

        // Small reservations fit.
        big.reserve_nano_cpus = CPU / 2;
        big.reserve_memory_bytes = GIB / 2;
        let check = drain_check(&id(3), &nodes, std::slice::from_ref(&big), &tasks, false).unwrap();
        assert!(!check.lacks_capacity());
        assert_eq!(check.cpu_free, 7 * CPU);
        assert!(check.dangers().is_empty());
        assert!(
            check.lines().contains(
                &"The moving tasks reserve 0.5 CPUs; the other active nodes have 7 CPUs free."
                    .to_string()
            )
        );
        assert!(
            check.lines().contains(
                &"The moving tasks reserve 512 MiB; the other active nodes have 15 GiB free."
                    .to_string()
            )
        );
    }

    #[test]
    fn drain_last_active_node() {
        let mut nodes = three();
        nodes[1].availability = Availability::Drain;
        nodes[2].state = NodeState::Down;
        let web = replicated("web", 2);
        let tasks = vec![task(&web, Some(1), 1), task(&web, Some(2), 1)];
        let check = drain_check(&id(1), &nodes, std::slice::from_ref(&web), &tasks, false).unwrap();
        assert!(check.last_active);
        assert_eq!(
            check.others_unavailable,
            vec![
                ("node2".to_string(), "drained".to_string()),
                ("node3".to_string(), "down".to_string())
            ]
        );
        assert_eq!(check.stranded.len(), 2);
        assert_eq!(check.stranded[0].why, "no other node is active and ready");
        let dangers = check.dangers();
        // Last active, two stranded tasks, leader.
        assert_eq!(dangers.len(), 4, "{dangers:?}");
        assert!(dangers[3].contains("Raft leader"));
        let lines = check.lines();
        assert_eq!(dangers, lines[..4].to_vec());
        assert_eq!(
            lines[0],
            "node1 is the last active node: no other node can take its tasks."
        );
        assert!(lines.contains(&"Already unavailable: node2 (drained), node3 (down).".to_string()));
    }

    #[test]
    fn drain_leader_and_vip() {
        let nodes = three();
        let check = drain_check(&id(1), &nodes, &[], &[], true).unwrap();
        assert!(check.is_leader && check.holds_vip);
        assert_eq!(
            check.dangers(),
            strings(&[
                "node1 is the Raft leader: draining does not move leadership.",
                "node1 holds a watched VIP: draining does not move the VIP.",
            ])
        );
        let lines = check.lines_with_vip(Some("198.51.100.100"));
        assert_eq!(
            lines,
            strings(&[
                "node1 is the Raft leader: draining does not move leadership.",
                "node1 holds VIP 198.51.100.100: draining does not move the VIP.",
                "No replicated task runs on node1: nothing moves.",
            ])
        );
        assert!(check.lines()[1].contains("holds a watched VIP"));
    }

    #[test]
    fn drain_already_drained_is_no_danger() {
        let mut nodes = three();
        nodes[0].availability = Availability::Drain;
        let check = drain_check(&id(1), &nodes, &[], &[], true).unwrap();
        assert!(check.already_drained);
        assert!(check.dangers().is_empty());
        assert!(check.lines()[0].contains("already drained"));
    }

    #[test]
    fn drain_five_nodes_with_constraints_and_jobs() {
        let nodes = five();
        let mut web = replicated("web", 4);
        web.constraints = strings(&["node.role==worker"]);
        let job = Service {
            mode: ServiceMode::ReplicatedJob {
                max_concurrent: 1,
                total_completions: 1,
            },
            ..replicated("migrate", 0)
        };
        let gjob = Service {
            mode: ServiceMode::GlobalJob,
            ..replicated("prune", 0)
        };
        let mut done = task(&job, Some(2), 4);
        done.state = TaskState::Complete;
        done.desired = TaskState::Complete;
        let mut old = task(&web, Some(9), 4);
        old.desired = TaskState::Shutdown;
        let tasks = vec![
            task(&web, Some(1), 4),
            task(&web, Some(2), 4),
            task(&web, Some(3), 5),
            task(&job, Some(1), 4),
            done,
            old,
            task(&gjob, None, 4),
        ];
        let services = vec![web, job, gjob];
        let check = drain_check(&id(4), &nodes, &services, &tasks, false).unwrap();
        let names: Vec<String> = check.moving.iter().map(MovingTask::name).collect();
        assert_eq!(names, strings(&["migrate.1", "web.1", "web.2"]));
        assert_eq!(check.moving[1].candidates, strings(&["node5"]));
        assert_eq!(
            check.moving[0].candidates,
            strings(&["node1", "node2", "node3", "node5"])
        );
        assert_eq!(check.stopping_global, strings(&["prune"]));
        let lines = check.lines();
        assert!(lines.contains(&"3 tasks move: migrate.1 → node1, node2 or 2 other nodes, web.1 → node5, web.2 → node5.".to_string()), "{lines:?}");
    }

    #[test]
    fn drain_invalid_constraint_strands() {
        let nodes = three();
        let mut bad = replicated("bad", 1);
        bad.constraints = strings(&["node.labels.site"]);
        let tasks = vec![task(&bad, Some(1), 2)];
        let check = drain_check(&id(2), &nodes, std::slice::from_ref(&bad), &tasks, false).unwrap();
        assert_eq!(check.stranded.len(), 1);
        assert!(
            check.stranded[0].why.contains("invalid"),
            "{}",
            check.stranded[0].why
        );
    }

    #[test]
    fn drain_progress_follows_the_tasks() {
        let nodes = three();
        let web = replicated("web", 3);
        let mut api = replicated("api", 1);
        api.constraints = strings(&["node.hostname==node2"]);
        let agent = global("agent");
        let services = vec![web.clone(), api.clone(), agent.clone()];
        let before = vec![
            task(&web, Some(1), 1),
            task(&web, Some(2), 2),
            task(&api, Some(1), 2),
            task(&agent, None, 2),
        ];
        let check = drain_check(&id(2), &nodes, &services, &before, false).unwrap();
        assert_eq!((check.moving.len(), check.stranded.len()), (1, 1));

        // Just after the drain: everything still runs on node2, ordered to stop.
        let mut during = before.clone();
        for t in during.iter_mut().skip(1) {
            t.desired = TaskState::Shutdown;
        }
        let p = drain_progress(&check, &id(2), &nodes, &services, &during);
        assert_eq!(
            p.left_running,
            strings(&["agent.t-agent-g2", "api.1", "web.2"])
        );
        assert_eq!((p.stopping, p.moved, p.stranded, p.done), (3, 0, 0, false));

        // Later: web.2 runs on node3, the old tasks are gone, api.1 is pending.
        let mut pending = task(&api, Some(1), 2);
        pending.node_id = None;
        pending.state = TaskState::Pending;
        let after = vec![task(&web, Some(1), 1), task(&web, Some(2), 3), pending];
        let p = drain_progress(&check, &id(2), &nodes, &services, &after);
        assert_eq!(
            p,
            DrainProgress {
                left_running: vec![],
                stopping: 0,
                moved: 1,
                stranded: 1,
                done: true
            }
        );
    }

    // --- roles ------------------------------------------------------------------------------

    #[test]
    fn demote_three_to_two_is_allowed_with_warnings() {
        let r = role_check(&id(2), false, &three()).unwrap();
        assert_eq!(r.refused, None);
        assert_eq!(
            (
                r.managers_after,
                r.reachable_after,
                r.majority_after,
                r.tolerates_after,
                r.even_after
            ),
            (2, 2, 2, 0, true)
        );
        assert!(
            r.warnings
                .contains(&"2 managers tolerate no more failures than 1".to_string()),
            "{:?}",
            r.warnings
        );
        assert!(
            r.warnings
                .iter()
                .any(|w| w.contains("tolerates no manager failure"))
        );
        assert!(!r.warnings.iter().any(|w| w.contains("leader")));
    }

    #[test]
    fn demote_leader_warns_about_election() {
        let mut nodes = five();
        nodes[3] = mgr(4, false, true);
        // 4 managers → 3.
        let r = role_check(&id(1), false, &nodes).unwrap();
        assert_eq!(r.refused, None);
        assert_eq!(
            (r.managers_after, r.tolerates_after, r.even_after),
            (3, 1, false)
        );
        assert_eq!(
            r.warnings,
            strings(&[
                "node1 is the Raft leader: leadership moves to another manager after a short election"
            ])
        );
    }

    #[test]
    fn demote_a_reachable_manager_with_one_down_is_refused() {
        let nodes = vec![
            mgr(1, true, true),
            mgr(2, false, true),
            mgr(3, false, false),
        ];
        let r = role_check(&id(2), false, &nodes).unwrap();
        assert_eq!(
            (r.managers_after, r.reachable_after, r.majority_after),
            (2, 1, 2)
        );
        let why = r.refused.unwrap();
        assert!(why.contains("1 of 2 managers would be reachable"), "{why}");
        // Demoting the unreachable one is fine: 2 of 2 remain.
        let r = role_check(&id(3), false, &nodes).unwrap();
        assert_eq!(r.refused, None);
        assert_eq!((r.managers_after, r.reachable_after), (2, 2));
    }

    #[test]
    fn demote_last_manager_or_a_worker_is_refused() {
        let nodes = vec![mgr(1, true, true), node(2)];
        let r = role_check(&id(1), false, &nodes).unwrap();
        assert!(r.refused.unwrap().contains("last manager"));
        let r = role_check(&id(2), false, &nodes).unwrap();
        assert_eq!(r.refused.as_deref(), Some("node2 is not a manager"));
        assert!(role_check(&id(7), false, &nodes).is_none());
    }

    #[test]
    fn promote() {
        let nodes = five();
        // 3 → 4: even.
        let r = role_check(&id(4), true, &nodes).unwrap();
        assert_eq!(r.refused, None);
        assert_eq!(
            (
                r.managers_after,
                r.reachable_after,
                r.majority_after,
                r.tolerates_after
            ),
            (4, 4, 3, 1)
        );
        assert!(r.even_after);
        assert_eq!(
            r.warnings,
            strings(&["4 managers tolerate no more failures than 3"])
        );
        // Already a manager.
        let r = role_check(&id(1), true, &nodes).unwrap();
        assert_eq!(r.refused.as_deref(), Some("node1 is already a manager"));
        // Down.
        let mut nodes = five();
        nodes[4].state = NodeState::Down;
        let r = role_check(&id(5), true, &nodes).unwrap();
        assert!(r.refused.unwrap().starts_with("node5 is down"));
        // 1 → 2.
        let nodes = vec![mgr(1, true, true), node(2)];
        let r = role_check(&id(2), true, &nodes).unwrap();
        assert_eq!(r.refused, None);
        assert!(
            r.warnings
                .contains(&"2 managers tolerate no more failures than 1".to_string())
        );
    }

    #[test]
    fn no_change_without_quorum() {
        let nodes = vec![
            mgr(1, false, true),
            mgr(2, false, false),
            mgr(3, false, false),
            node(4),
        ];
        let r = role_check(&id(4), true, &nodes).unwrap();
        assert!(r.refused.unwrap().contains("lost quorum"));
    }

    // --- labels -----------------------------------------------------------------------------

    #[test]
    fn label_impact_before_and_after() {
        let mut nodes = three();
        nodes[0].labels.insert("zone".into(), "eu-1".into());
        nodes[1].labels.insert("zone".into(), "eu-1".into());
        nodes[2].labels.insert("zone".into(), "eu-2".into());
        let mut web = replicated("web", 2);
        web.constraints = strings(&["node.labels.zone==eu-1", "node.role==manager"]);
        let mut batch = replicated("batch", 1);
        batch.constraints = strings(&["node.labels.zone != eu-1"]);
        let mut other = replicated("other", 1);
        other.constraints = strings(&["node.labels.rack==r1"]);
        let services = vec![web, batch, other];

        // Move node2 to eu-2.
        let set: BTreeMap<String, String> = [("zone".to_string(), "eu-2".to_string())].into();
        let impact = label_impact(&id(2), &set, &[], &nodes, &services);
        assert_eq!(impact.len(), 2, "{impact:?}");
        assert_eq!(impact[0].service, "batch");
        assert_eq!(impact[0].constraint, "node.labels.zone != eu-1");
        assert_eq!(impact[0].before, strings(&["node3"]));
        assert_eq!(impact[0].after, strings(&["node2", "node3"]));
        assert_eq!(impact[1].service, "web");
        assert_eq!(impact[1].constraint, "node.labels.zone==eu-1");
        assert_eq!(impact[1].before, strings(&["node1", "node2"]));
        assert_eq!(impact[1].after, strings(&["node1"]));

        // Removing zone from node1 and node2 leaves web nowhere: listed first.
        let mut nodes2 = nodes.clone();
        nodes2[1].labels.remove("zone");
        let impact = label_impact(
            &id(1),
            &BTreeMap::new(),
            &strings(&["zone"]),
            &nodes2,
            &services,
        );
        assert_eq!(impact[0].service, "web");
        assert!(impact[0].after.is_empty());

        // Setting the value it already has changes nothing.
        let same: BTreeMap<String, String> = [("zone".to_string(), "eu-1".to_string())].into();
        assert!(label_impact(&id(1), &same, &[], &nodes, &services).is_empty());
        // Removing a label the node does not have changes nothing.
        assert!(
            label_impact(
                &id(1),
                &BTreeMap::new(),
                &strings(&["rack"]),
                &nodes,
                &services
            )
            .is_empty()
        );
        // Adding rack=r1 to node3 gives `other` a place.
        let rack: BTreeMap<String, String> = [("rack".to_string(), "r1".to_string())].into();
        let impact = label_impact(&id(3), &rack, &[], &nodes, &services);
        assert_eq!(impact.len(), 1);
        assert!(impact[0].before.is_empty());
        assert_eq!(impact[0].after, strings(&["node3"]));
        assert!(impact[0].changed());
    }

    #[test]
    fn label_validation() {
        assert_eq!(validate_label("zone", "eu-1"), Ok(()));
        assert_eq!(validate_label("com.example.zone", ""), Ok(()));
        assert!(validate_label("", "x").is_err());
        assert!(
            validate_label("my zone", "x")
                .unwrap_err()
                .contains("my zone")
        );
        assert!(validate_label("a=b", "x").unwrap_err().contains("a=b"));
        assert!(validate_label("a\u{7}", "x").is_err());
        assert!(validate_label(&"k".repeat(256), "x").is_err());
        assert_eq!(validate_label(&"k".repeat(255), "x"), Ok(()));
        assert!(
            validate_label("zone", "eu\n1")
                .unwrap_err()
                .contains("zone")
        );
        assert_eq!(validate_label("zone", "eu 1"), Ok(()));
    }

    // --- balance ----------------------------------------------------------------------------

    #[test]
    fn unbalanced_after_a_node_returns() {
        let nodes = three();
        let web = replicated("web", 6);
        let api = replicated("api", 4);
        let mut pinned = replicated("pinned", 2);
        pinned.constraints = strings(&["node.hostname==node1"]);
        let agent = global("agent");
        // node3 was drained and has come back empty.
        let tasks = vec![
            task(&web, Some(1), 1),
            task(&web, Some(2), 1),
            task(&web, Some(3), 1),
            task(&web, Some(4), 2),
            task(&web, Some(5), 2),
            task(&web, Some(6), 2),
            task(&api, Some(1), 1),
            task(&api, Some(2), 1),
            task(&api, Some(3), 2),
            task(&api, Some(4), 3),
            task(&pinned, Some(1), 1),
            task(&pinned, Some(2), 1),
            task(&agent, None, 1),
            task(&agent, None, 2),
        ];
        let services = vec![api, web, pinned, agent];
        let out = unbalanced(&nodes, &services, &tasks, None);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].name, "web");
        assert_eq!(
            out[0].per_node,
            vec![
                ("node1".to_string(), 3),
                ("node2".to_string(), 3),
                ("node3".to_string(), 0)
            ]
        );
        assert_eq!(out[0].spread, 3);
        assert_eq!(unbalanced(&nodes, &services, &tasks, Some(&id(3))).len(), 1);
        assert!(unbalanced(&nodes, &services, &tasks, Some(&id(1))).is_empty());

        // While node3 is still drained, nothing is unbalanced.
        let mut drained = nodes.clone();
        drained[2].availability = Availability::Drain;
        assert!(unbalanced(&drained, &services, &tasks, None).is_empty());
    }

    #[test]
    fn unbalanced_worst_first_and_two_versus_zero() {
        let nodes = five();
        let a = replicated("a", 2);
        let b = replicated("b", 4);
        let tasks = vec![
            task(&a, Some(1), 1),
            task(&a, Some(2), 1),
            task(&b, Some(1), 2),
            task(&b, Some(2), 2),
            task(&b, Some(3), 2),
            task(&b, Some(4), 2),
        ];
        let out = unbalanced(&nodes, &[a, b], &tasks, None);
        let names: Vec<&str> = out.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(names, vec!["b", "a"]);
        assert_eq!((out[0].spread, out[1].spread), (4, 2));
    }

    #[test]
    fn helpers() {
        assert_eq!(fmt_cpus(CPU), "1 CPU");
        assert_eq!(fmt_cpus(CPU / 4), "0.25 CPUs");
        assert_eq!(fmt_cpus(0), "0 CPUs");
        assert_eq!(fmt_bytes(512), "512 B");
        assert_eq!(fmt_bytes(3 * GIB / 2), "1.5 GiB");
        assert_eq!(or_list(&strings(&["a"])), "a");
        assert_eq!(or_list(&strings(&["a", "b"])), "a or b");
        assert_eq!(or_list(&strings(&["a", "b", "c"])), "a, b or c");
        assert_eq!(
            or_list(&strings(&["a", "b", "c", "d"])),
            "a, b or 2 other nodes"
        );
        assert_eq!(
            task_name("web", None, "abcdefghijklmnop"),
            "web.abcdefghijkl"
        );
    }
}
