//! Why a task is pending or failed, in plain words (issue 11): for the task detail view's
//! "why" section and, shortened, the tasks pane's error column. Pure: it reads the task, its
//! service, the nodes and the other tasks as last read.
//!
//! - **pending** ("no suitable node", or pending for more than [`PENDING_AFTER_SECS`] with no
//!   error): the service's placement constraints evaluated against the active and ready nodes
//!   with the drain check's code ([`crate::maint::constraints`]): a constraint no node
//!   satisfies is named, constraints that together exclude every node say which nodes each
//!   excludes, drained, paused and down nodes are named as such; then the replicas-per-node
//!   limit, the reservations against each node's free CPU and memory (its total minus the
//!   reservations of the tasks already there), an unsupported platform;
//! - **image missing** on the nodes that rejected it (images built locally exist only there);
//! - **node down**: the task's node is down, disconnected or gone;
//! - **no such network or volume**, an invalid mount;
//! - **exited**: the exit code, how long it ran, how often its slot failed lately (a crash
//!   loop), and the last lines of its logs when the caller has them;
//! - otherwise a failed task's error through [`crate::deploy::explain_task_error`].

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;

use crate::deploy::{error_exit_code, exit_code_meaning, explain_task_error, is_image_missing};
use crate::domain::{Node, NodeId, NodeState, Service, ServiceId, Task, TaskId, TaskState};
use crate::maint::check::{available, fmt_bytes, fmt_cpus, occupies, unavailable_why};
use crate::maint::constraints::{self, Constraint, Op};
use crate::store::Store;

/// A task pending this long with no error from the scheduler is explained too.
pub const PENDING_AFTER_SECS: i64 = 5;
/// Failures of a slot within this window count towards a crash loop.
pub const CRASH_WINDOW_SECS: i64 = 600;
/// Failures of a slot within the window that make a crash loop.
pub const CRASH_LOOP_AFTER: usize = 2;
/// How many log lines the detail view asks for.
pub const LOG_TAIL: usize = 20;
/// Nodes named in one sentence before "and N more".
const NAMED: usize = 4;

/// What the explainer reads besides the task.
#[derive(Clone, Copy)]
pub struct ExplainCx<'a> {
    /// The task's service (None: not, or no longer, listed).
    pub service: Option<&'a Service>,
    /// Every service, for the reservations of the tasks already on a node.
    pub services: &'a [Service],
    pub nodes: &'a [Node],
    /// The live tasks (reservations per node, replicas per node, the same error elsewhere).
    pub tasks: &'a [Task],
    /// Earlier tasks when known (the service's history, the tasks that ended): the same error
    /// on other nodes, the failures of a slot. Tasks may appear in several of these.
    pub history: [&'a [Task]; 3],
    /// The last lines of the logs of the task [`Explanation::logs_for`] names, when read.
    pub logs: Option<&'a [String]>,
    pub now: Timestamp,
    /// Indexes into `nodes` and `services` (the store's), to look up without a scan.
    pub node_index: Option<&'a HashMap<NodeId, usize>>,
    pub service_index: Option<&'a HashMap<ServiceId, usize>>,
}

impl<'a> ExplainCx<'a> {
    /// A context with only these; no history, no logs, no indexes.
    pub fn new(
        service: Option<&'a Service>,
        services: &'a [Service],
        nodes: &'a [Node],
        tasks: &'a [Task],
        now: Timestamp,
    ) -> Self {
        ExplainCx {
            service,
            services,
            nodes,
            tasks,
            history: [&[], &[], &[]],
            logs: None,
            now,
            node_index: None,
            service_index: None,
        }
    }

    /// The store as last read, for `task`: its service, the service's history if read, the
    /// tasks that ended, the indexes. No logs (see [`ExplainCx::with_logs`]).
    pub fn of_store(store: &'a Store, task: &Task, now: Timestamp) -> Self {
        let history = store
            .scoped
            .get(&crate::engine::TaskScope::Service(task.service_id.clone()))
            .map_or(&[][..], Vec::as_slice);
        let (ended_a, ended_b) = store.ended.as_slices();
        ExplainCx {
            service: store.service(&task.service_id),
            services: &store.services,
            nodes: &store.nodes,
            tasks: &store.live_tasks,
            history: [history, ended_a, ended_b],
            logs: None,
            now,
            node_index: Some(&store.node_index),
            service_index: Some(&store.service_index),
        }
    }

    /// The same, with the log tail of the task the explanation names.
    pub fn with_logs(mut self, logs: Option<&'a [String]>) -> Self {
        self.logs = logs;
        self
    }

    fn node(&self, id: &NodeId) -> Option<&'a Node> {
        match self.node_index {
            Some(index) => index.get(id).and_then(|i| self.nodes.get(*i)),
            None => self.nodes.iter().find(|n| &n.id == id),
        }
    }

    fn service_of(&self, id: &ServiceId) -> Option<&'a Service> {
        if let Some(s) = self.service.filter(|s| &s.id == id) {
            return Some(s);
        }
        match self.service_index {
            Some(index) => index.get(id).and_then(|i| self.services.get(*i)),
            None => self.services.iter().find(|s| &s.id == id),
        }
    }

    fn node_name(&self, id: &NodeId) -> String {
        self.node(id)
            .map_or_else(|| id.short().to_string(), |n| n.hostname.clone())
    }

    /// The live tasks and the history (a task may come more than once: filter, then
    /// dedupe what is left).
    fn all_tasks(&self) -> impl Iterator<Item = &'a Task> {
        self.tasks.iter().chain(self.history.into_iter().flatten())
    }
}

/// A task's explanation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Explanation {
    /// One line for the tasks pane (about 60 characters).
    pub short: String,
    /// The sentences for the detail view.
    pub lines: Vec<String>,
    /// The task whose logs tell more (the task itself once it ran, or the last failed task
    /// of its slot for a replacement in a crash loop); the caller reads them.
    pub logs_for: Option<TaskId>,
    /// The last lines of those logs, when given ([`ExplainCx::logs`]).
    pub log_tail: Vec<String>,
}

impl Explanation {
    fn new(short: impl Into<String>, lines: Vec<String>) -> Self {
        Explanation {
            short: short.into(),
            lines,
            ..Default::default()
        }
    }
}

/// Why `task` is pending or failed; None for a task that is fine (running, complete, being
/// shut down as asked) or pending only for a moment.
pub fn explain(task: &Task, cx: &ExplainCx<'_>) -> Option<Explanation> {
    match task.state {
        TaskState::Failed | TaskState::Rejected | TaskState::Orphaned => Some(failure(task, cx)),
        _ if !wanted(task) => None,
        TaskState::New | TaskState::Allocated | TaskState::Pending => pending(task, cx),
        _ if task.state.is_active() => node_down(task, cx).or_else(|| crash_loop(task, cx)),
        _ => None,
    }
}

/// The task is meant to run (its desired state is not a stop).
fn wanted(t: &Task) -> bool {
    !matches!(
        t.desired,
        TaskState::Shutdown
            | TaskState::Remove
            | TaskState::Orphaned
            | TaskState::Failed
            | TaskState::Rejected
    )
}

fn secs_between(from: Option<Timestamp>, to: Option<Timestamp>) -> Option<i64> {
    Some((to?.as_second() - from?.as_second()).max(0))
}

/// `4 s`, `3 min`, `2 h`, `3 d`.
fn duration(secs: i64) -> String {
    match secs {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s if s < 172_800 => format!("{} h", s / 3600),
        s => format!("{} d", s / 86_400),
    }
}

/// `a`, `a and b`, `a, b and c`, `a, b, c, d and 3 more`.
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        _ if items.len() > NAMED => format!(
            "{} and {} more",
            items[..NAMED].join(", "),
            items.len() - NAMED
        ),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn image_of<'t>(task: &'t Task, cx: &ExplainCx<'t>) -> &'t str {
    let image = if task.image.is_empty() {
        cx.service.map_or("", |s| s.image.as_str())
    } else {
        task.image.as_str()
    };
    image.split('@').next().unwrap_or(image)
}

// ------------------------------------------------------------------------------- failures

fn failure(task: &Task, cx: &ExplainCx<'_>) -> Explanation {
    let err = task.error.trim();
    let lower = err.to_ascii_lowercase();
    if is_image_missing(&lower) {
        return image_missing(task, cx);
    }
    if let Some(e) = network_or_volume(err, &lower) {
        return e;
    }
    let code = task
        .exit_code
        .filter(|c| *c != 0)
        .or_else(|| error_exit_code(&lower));
    if let Some(code) = code {
        return exited(task, code, cx);
    }
    if task.state == TaskState::Orphaned {
        let node = task.node_id.as_ref().map(|n| cx.node_name(n));
        return Explanation::new(
            "orphaned: its node was gone too long",
            vec![format!(
                "Its node{} was unreachable for too long: Swarm gave the task up (orphaned) \
                 and a replacement runs elsewhere.",
                node.map_or(String::new(), |n| format!(" {n}"))
            )],
        );
    }
    let short = if err.is_empty() {
        format!("{} with no error", task.state)
    } else {
        err.to_string()
    };
    let mut e = Explanation::new(short, vec![explain_task_error(err)]);
    if !task.container_id.is_empty() {
        e.logs_for = Some(task.id.clone());
        add_logs(&mut e, cx);
    }
    e
}

fn image_missing(task: &Task, cx: &ExplainCx<'_>) -> Explanation {
    let image = image_of(task, cx);
    // every node where a task of this service failed the same way
    let mut nodes: Vec<String> = Vec::new();
    let mut add = |t: &Task| {
        if let Some(n) = &t.node_id {
            let name = cx.node_name(n);
            if !nodes.contains(&name) {
                nodes.push(name);
            }
        }
    };
    add(task);
    for t in cx.all_tasks() {
        if t.service_id == task.service_id
            && matches!(t.state, TaskState::Rejected | TaskState::Failed)
            && is_image_missing(&t.error.to_ascii_lowercase())
        {
            add(t);
        }
    }
    nodes.sort();
    let short = match nodes.as_slice() {
        [] => format!("image {image} is missing"),
        [one] => format!("image {image} missing on {one}"),
        many => format!("image {image} missing on {} nodes", many.len()),
    };
    let on = if nodes.is_empty() {
        "on its node".to_string()
    } else {
        format!("on {}", and_list(&nodes))
    };
    let mut lines = vec![format!(
        "Image {image} is missing {on}: images built locally must exist on every node, or be \
         pushed to a registry all nodes can pull from."
    )];
    let lower = task.error.to_ascii_lowercase();
    if lower.contains("pull access denied") || lower.contains("repository does not exist") {
        lines.push(
            "The registry refused the pull: the repository does not exist, or it needs \
             credentials (deploy with registry credentials)."
                .to_string(),
        );
    }
    Explanation::new(short, lines)
}

fn network_or_volume(err: &str, lower: &str) -> Option<Explanation> {
    let named = |what: &str| word_after(err, &format!("{what} "));
    let (short, line) = if lower.contains("network") && lower.contains("not found") {
        let name = named("network");
        (
            format!("network {} not found", name.unwrap_or("?")),
            format!(
                "The network{} the service joins does not exist (any more): create it (an \
                 attachable overlay for a service) or remove it from the service.",
                name.map_or(String::new(), |n| format!(" {n}"))
            ),
        )
    } else if lower.contains("no such volume")
        || (lower.contains("volume") && lower.contains("not found"))
    {
        let name = named("volume").or_else(|| err.rsplit(": ").next().map(str::trim));
        (
            format!("volume {} not found", name.unwrap_or("?")),
            format!(
                "The volume{} the service mounts does not exist on this node: create it on \
                 every node a task may run on, or use a volume driver that creates it.",
                name.map_or(String::new(), |n| format!(" {n}"))
            ),
        )
    } else if lower.contains("invalid mount config") || lower.contains("invalid mount") {
        ("invalid mount".to_string(), explain_task_error(err))
    } else if lower.contains("bind source path does not exist") {
        (
            "bind mount source missing on the node".to_string(),
            explain_task_error(err),
        )
    } else {
        return None;
    };
    Some(Explanation::new(short, vec![line]))
}

/// The word after `prefix` (case-insensitive), quotes stripped.
fn word_after<'e>(err: &'e str, prefix: &str) -> Option<&'e str> {
    let at = err.to_ascii_lowercase().find(prefix)? + prefix.len();
    let word = err.get(at..)?.split_whitespace().next()?;
    let word = word.trim_matches(|c| matches!(c, '"' | '\'' | ':' | ','));
    (!word.is_empty() && !matches!(word, "not" | "for")).then_some(word)
}

/// The failed tasks of the same slot (replicated) or node (global) as `task`, within the
/// crash window, newest first (the task itself too when it failed).
fn slot_failures<'a>(task: &Task, cx: &ExplainCx<'a>) -> Vec<&'a Task> {
    let same = |o: &Task| {
        o.service_id == task.service_id
            && match task.slot {
                Some(s) if s > 0 => o.slot == Some(s),
                _ => o.node_id.is_some() && o.node_id == task.node_id,
            }
    };
    let recent = |o: &Task| {
        o.since
            .is_some_and(|s| cx.now.as_second() - s.as_second() <= CRASH_WINDOW_SECS)
    };
    let mut seen = HashSet::new();
    let mut out: Vec<&Task> = cx
        .all_tasks()
        .filter(|o| o.state == TaskState::Failed && same(o) && recent(o))
        .filter(|o| seen.insert(&o.id))
        .collect();
    out.sort_by(|a, b| b.since.cmp(&a.since).then(b.id.cmp(&a.id)));
    out
}

fn exited(task: &Task, code: i64, cx: &ExplainCx<'_>) -> Explanation {
    let after = secs_between(task.created, task.since)
        .map_or(String::new(), |s| format!(" (after {})", duration(s)));
    let known = slot_failures(task, cx);
    let mut failures = known.len();
    if task.state == TaskState::Failed && !known.iter().any(|t| t.id == task.id) {
        failures += 1;
    }
    let mut short = format!("exited with code {code}{after}");
    let mut lines = vec![format!(
        "It exited with code {code}{after}: {}.",
        exit_code_meaning(code)
    )];
    if failures >= CRASH_LOOP_AFTER {
        short.push_str(&format!(", {failures}× in {}", window()));
        lines.push(crash_line(failures));
    }
    let mut e = Explanation::new(short, lines);
    e.logs_for = Some(task.id.clone());
    add_logs(&mut e, cx);
    e
}

fn window() -> String {
    duration(CRASH_WINDOW_SECS)
}

fn crash_line(failures: usize) -> String {
    format!(
        "Its slot failed {failures} times in the last {}: a crash loop (Swarm starts a new \
         task after each failure, after the restart delay).",
        window()
    )
}

fn add_logs(e: &mut Explanation, cx: &ExplainCx<'_>) {
    if let Some(logs) = cx.logs {
        e.log_tail = logs.to_vec();
    }
}

/// A replacement task (not running yet, or only just) whose slot keeps failing.
fn crash_loop(task: &Task, cx: &ExplainCx<'_>) -> Option<Explanation> {
    if task.state == TaskState::Running
        && secs_between(task.since, Some(cx.now)).is_none_or(|s| s > 30)
    {
        return None;
    }
    let failures = slot_failures(task, cx);
    if failures.len() < CRASH_LOOP_AFTER {
        return None;
    }
    let last = failures[0];
    let code = last
        .exit_code
        .filter(|c| *c != 0)
        .or_else(|| error_exit_code(&last.error.to_ascii_lowercase()));
    let what = match code {
        Some(code) => {
            let after = secs_between(last.created, last.since)
                .map_or(String::new(), |s| format!(" (after {})", duration(s)));
            format!("exited with code {code}{after}")
        }
        None if last.error.is_empty() => "failed".to_string(),
        None => format!("failed: {}", last.error.trim()),
    };
    let mut lines = vec![format!(
        "A replacement: the task before it {what}{}.",
        code.map_or(String::new(), |c| format!(" ({})", exit_code_meaning(c)))
    )];
    lines.push(crash_line(failures.len()));
    let mut e = Explanation::new(
        format!("crash loop: {what}, {}× in {}", failures.len(), window()),
        lines,
    );
    e.logs_for = Some(last.id.clone());
    add_logs(&mut e, cx);
    Some(e)
}

// ------------------------------------------------------------------------------- node down

fn node_down(task: &Task, cx: &ExplainCx<'_>) -> Option<Explanation> {
    let id = task.node_id.as_ref()?;
    let Some(node) = cx.node(id) else {
        if cx.nodes.is_empty() {
            return None;
        }
        return Some(Explanation::new(
            format!("node {} left the swarm", id.short()),
            vec![format!(
                "Its node {} is no longer in the swarm: Swarm runs a replacement elsewhere.",
                id.short()
            )],
        ));
    };
    let host = &node.hostname;
    let said = if node.state_message.is_empty() {
        String::new()
    } else {
        format!(" (the managers say: {})", node.state_message)
    };
    let global = cx.service.is_some_and(|s| {
        matches!(
            s.mode,
            crate::domain::ServiceMode::Global | crate::domain::ServiceMode::GlobalJob
        )
    });
    let (short, line) = match &node.state {
        NodeState::Ready => return None,
        NodeState::Down if global => (
            format!("node {host} is down: waits for the node"),
            format!(
                "Its node {host} is down{said}: a global service runs no replacement \
                 elsewhere; the task comes back with the node."
            ),
        ),
        NodeState::Down => (
            format!("node {host} is down: replaced elsewhere"),
            format!("Its node {host} is down{said}: Swarm starts a replacement on another node."),
        ),
        other => (
            format!("node {host} is {other}: moves once marked down"),
            format!(
                "Its node {host} is {other}{said}: Swarm reschedules it once the node is \
                 marked down."
            ),
        ),
    };
    Some(Explanation::new(short, vec![line]))
}

// ------------------------------------------------------------------------------- pending

fn pending(task: &Task, cx: &ExplainCx<'_>) -> Option<Explanation> {
    let err = task.error.trim();
    let lower = err.to_ascii_lowercase();
    let scheduler = lower.contains("no suitable node") || lower.contains("insufficient resources");
    let waited = secs_between(task.since.or(task.created), Some(cx.now));
    if !scheduler && waited.is_none_or(|s| s <= PENDING_AFTER_SECS) {
        return None;
    }
    let mut e = placement(task, &lower, cx).unwrap_or_else(|| {
        if err.is_empty() {
            Explanation::new(
                format!("pending for {}", duration(waited.unwrap_or(0))),
                vec![format!(
                    "Pending for {}: the scheduler has not placed it yet and gave no reason; \
                     nothing swarmdeck sees rules out every node.",
                    duration(waited.unwrap_or(0))
                )],
            )
        } else {
            Explanation::new(err.to_string(), vec![explain_task_error(err)])
        }
    });
    let unavailable: Vec<String> = cx
        .nodes
        .iter()
        .filter_map(|n| unavailable_why(n).map(|why| format!("{} is {why}", n.hostname)))
        .collect();
    if !unavailable.is_empty() && !e.lines.iter().any(|l| l.starts_with("No node is active")) {
        e.lines.push(format!(
            "Not available for new tasks: {}.",
            and_list(&unavailable)
        ));
    }
    Some(e)
}

/// The scheduler's filters replayed: availability, constraints, replicas per node,
/// reservations, platform.
fn placement(task: &Task, lower: &str, cx: &ExplainCx<'_>) -> Option<Explanation> {
    let service = cx.service?;
    if cx.nodes.is_empty() {
        return None;
    }
    let mut parsed: Vec<Constraint> = Vec::new();
    for raw in &service.constraints {
        match constraints::parse(raw) {
            Ok(c) => parsed.push(c),
            Err(e) => {
                return Some(Explanation::new(
                    format!("invalid constraint {}", e.constraint()),
                    vec![format!(
                        "{e}: the task can never be placed; fix the constraint."
                    )],
                ));
            }
        }
    }
    let active: Vec<&Node> = cx.nodes.iter().filter(|n| available(n)).collect();
    if active.is_empty() {
        let why: Vec<String> = cx
            .nodes
            .iter()
            .filter_map(|n| unavailable_why(n).map(|w| format!("{} is {w}", n.hostname)))
            .collect();
        return Some(Explanation::new(
            "no node is active and ready",
            vec![format!(
                "No node is active and ready: {}. Make a node active (or bring it back) and \
                 the task is placed.",
                and_list(&why)
            )],
        ));
    }
    if let Some(e) = constraints_exclude_all(&parsed, &active, cx) {
        return Some(e);
    }
    let fits: Vec<&Node> = active
        .iter()
        .copied()
        .filter(|n| parsed.iter().all(|c| constraints::matches(c, n)))
        .collect();
    if let Some(e) = max_replicas(service, &fits, cx) {
        return Some(e);
    }
    if let Some(e) = resources(service, &fits, &task.error, cx) {
        return Some(e);
    }
    if lower.contains("unsupported platform") {
        let platforms: Vec<String> = fits
            .iter()
            .map(|n| format!("{} is {}/{}", n.hostname, n.os, n.arch))
            .collect();
        return Some(Explanation::new(
            "image not built for the nodes' platform",
            vec![format!(
                "Image {} is not built for the OS or architecture of the nodes: {}. Build or \
                 pull a multi-platform image, or constrain the service to matching nodes \
                 (node.platform.arch==…).",
                image_of(task, cx),
                and_list(&platforms)
            )],
        ));
    }
    None
}

/// Constraints that rule out every active node: alone (named with what the nodes have) or
/// together (each with the nodes it excludes).
fn constraints_exclude_all(
    parsed: &[Constraint],
    active: &[&Node],
    cx: &ExplainCx<'_>,
) -> Option<Explanation> {
    if parsed.is_empty() {
        return None;
    }
    let mut alone: Vec<(String, String)> = Vec::new();
    for c in parsed {
        if active.iter().any(|n| constraints::matches(c, n)) {
            continue;
        }
        alone.push(no_node_satisfies(c, active, cx));
    }
    if !alone.is_empty() {
        let short = alone[0].0.clone();
        let lines = alone.into_iter().map(|(_, line)| line).collect();
        return Some(Explanation::new(short, lines));
    }
    if active
        .iter()
        .any(|n| parsed.iter().all(|c| constraints::matches(c, n)))
    {
        return None;
    }
    let mut lines = vec![
        "The constraints together exclude every active node (each alone leaves some):".to_string(),
    ];
    for c in parsed {
        let out: Vec<String> = active
            .iter()
            .filter(|n| !constraints::matches(c, n))
            .map(|n| n.hostname.clone())
            .collect();
        if !out.is_empty() {
            lines.push(format!("{} excludes {}", c.raw.trim(), and_list(&out)));
        }
    }
    Some(Explanation::new(
        "the constraints together exclude every node",
        lines,
    ))
}

/// (short, line) for a constraint no active node satisfies.
fn no_node_satisfies(c: &Constraint, active: &[&Node], cx: &ExplainCx<'_>) -> (String, String) {
    let raw = c.raw.trim();
    // nodes that would satisfy it but cannot take tasks now
    let idle: Vec<String> = cx
        .nodes
        .iter()
        .filter(|n| !available(n) && constraints::matches(c, n))
        .map(|n| {
            format!(
                "{} ({})",
                n.hostname,
                unavailable_why(n).unwrap_or_default()
            )
        })
        .collect();
    let but = if idle.is_empty() {
        String::new()
    } else {
        format!(
            "; only {} satisfies it, and cannot take tasks now",
            and_list(&idle)
        )
    };
    if let (Some(label), Op::Eq) = (c.node_label(), c.op) {
        let with: Vec<String> = active
            .iter()
            .filter_map(|n| {
                n.labels
                    .get(label)
                    .map(|v| format!("{} has {label}={v}", n.hostname))
            })
            .collect();
        let short = format!("no node has label {label}={}", c.value);
        let line = if with.is_empty() {
            format!(
                "Constraint {raw}: no node has the label {label}{but}. Add it to a node \
                 (docker node update --label-add {label}={} NODE) or change the constraint.",
                c.value
            )
        } else {
            format!(
                "Constraint {raw}: no node has {label}={} ({}){but}.",
                c.value,
                and_list(&with)
            )
        };
        return (short, line);
    }
    let why: Vec<String> = active
        .iter()
        .map(|n| format!("{} {}", n.hostname, constraints::why_not(c, n)))
        .collect();
    (
        format!("no node satisfies {raw}"),
        format!(
            "Constraint {raw}: no active node satisfies it ({}){but}.",
            and_list(&why)
        ),
    )
}

/// Tasks of `service` holding each node.
fn service_tasks_on(service: &Service, cx: &ExplainCx<'_>) -> HashMap<NodeId, usize> {
    let mut out = HashMap::new();
    for t in cx.tasks {
        if t.service_id == service.id
            && occupies(t)
            && let Some(n) = &t.node_id
        {
            *out.entry(n.clone()).or_default() += 1;
        }
    }
    out
}

fn max_replicas(service: &Service, fits: &[&Node], cx: &ExplainCx<'_>) -> Option<Explanation> {
    let max = service.max_replicas_per_node;
    if max == 0 || fits.is_empty() {
        return None;
    }
    let counts = service_tasks_on(service, cx);
    let there = |n: &Node| counts.get(&n.id).copied().unwrap_or(0) as u64;
    if fits.iter().any(|n| there(n) < max) {
        return None;
    }
    let names: Vec<String> = fits
        .iter()
        .map(|n| format!("{} runs {}", n.hostname, there(n)))
        .collect();
    Some(Explanation::new(
        format!("max {max} per node reached on every node that fits"),
        vec![format!(
            "Every node that satisfies the constraints already runs the maximum of {max} \
             replicas per node ({}): add nodes, raise the limit or lower the replicas.",
            and_list(&names)
        )],
    ))
}

/// What a node has free: its total minus the reservations of the tasks holding it.
fn free_on(node: &Node, cx: &ExplainCx<'_>) -> (i64, i64) {
    let (mut cpu, mut mem) = (0i64, 0i64);
    for t in cx.tasks {
        if occupies(t)
            && t.node_id.as_ref() == Some(&node.id)
            && let Some(s) = cx.service_of(&t.service_id)
        {
            cpu = cpu.saturating_add(s.reserve_nano_cpus);
            mem = mem.saturating_add(s.reserve_memory_bytes);
        }
    }
    (
        node.nano_cpus.saturating_sub(cpu).max(0),
        node.memory_bytes.saturating_sub(mem).max(0),
    )
}

fn resources(
    service: &Service,
    fits: &[&Node],
    err: &str,
    cx: &ExplainCx<'_>,
) -> Option<Explanation> {
    let (cpu, mem) = (service.reserve_nano_cpus, service.reserve_memory_bytes);
    let said = err.to_ascii_lowercase().contains("insufficient resources");
    if (cpu <= 0 && mem <= 0) || fits.is_empty() {
        return said.then(|| {
            Explanation::new(
                "insufficient resources on the nodes",
                vec![explain_task_error(err)],
            )
        });
    }
    let free: Vec<(&Node, i64, i64)> = fits
        .iter()
        .map(|n| {
            let (c, m) = free_on(n, cx);
            (*n, c, m)
        })
        .collect();
    let fits_on = |c: i64, m: i64| (cpu <= 0 || c >= cpu) && (mem <= 0 || m >= mem);
    if !said && free.iter().any(|(_, c, m)| fits_on(*c, *m)) {
        return None;
    }
    let mut need = Vec::new();
    if cpu > 0 {
        need.push(fmt_cpus(cpu));
    }
    if mem > 0 {
        need.push(fmt_bytes(mem));
    }
    let need = need.join(", ");
    let each: Vec<String> = free
        .iter()
        .map(|(n, c, m)| {
            let mut has = Vec::new();
            if cpu > 0 {
                has.push(fmt_cpus(*c));
            }
            if mem > 0 {
                has.push(fmt_bytes(*m));
            }
            format!("{} has {} free", n.hostname, has.join(", "))
        })
        .collect();
    let mut lines = vec![format!(
        "Insufficient resources: each task reserves {need}; {} (its total minus the \
         reservations of the tasks already there).",
        and_list(&each)
    )];
    lines.push(
        "Lower the service's reservations, free a node (scale down or move other services) \
         or add a node."
            .to_string(),
    );
    Some(Explanation::new(
        format!("needs {need}: no node has that free"),
        lines,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Availability, Role, ServiceMode};

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    const NOW: &str = "2026-03-01T12:00:00Z";

    fn node(id: &str, host: &str) -> Node {
        Node {
            id: NodeId::from(id),
            hostname: host.into(),
            role: Role::Worker,
            availability: Availability::Active,
            state: NodeState::Ready,
            os: "linux".into(),
            arch: "x86_64".into(),
            nano_cpus: 2_000_000_000,
            memory_bytes: 4 << 30,
            ..Default::default()
        }
    }

    fn nodes() -> Vec<Node> {
        vec![
            node("n1", "node1"),
            node("n2", "node2"),
            node("n3", "node3"),
        ]
    }

    fn service(constraints: &[&str]) -> Service {
        Service {
            id: ServiceId::from("s1"),
            name: "web".into(),
            mode: ServiceMode::Replicated { replicas: 1 },
            image: "demo/web:1@sha256:abc".into(),
            constraints: constraints.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    fn task(state: TaskState, error: &str) -> Task {
        Task {
            id: TaskId::from("t1"),
            service_id: ServiceId::from("s1"),
            slot: Some(1),
            desired: TaskState::Running,
            state,
            error: error.into(),
            created: Some(ts("2026-03-01T11:59:00Z")),
            since: Some(ts("2026-03-01T11:59:04Z")),
            image: "demo/web:1@sha256:abc".into(),
            ..Default::default()
        }
    }

    fn running(id: &str, service: &str, node: &str) -> Task {
        Task {
            id: TaskId::from(id),
            service_id: ServiceId::from(service),
            node_id: Some(NodeId::from(node)),
            desired: TaskState::Running,
            state: TaskState::Running,
            ..Default::default()
        }
    }

    fn run(task: &Task, svc: &Service, nodes: &[Node], tasks: &[Task]) -> Option<Explanation> {
        let services = std::slice::from_ref(svc);
        explain(
            task,
            &ExplainCx::new(Some(svc), services, nodes, tasks, ts(NOW)),
        )
    }

    const NO_NODE: &str = "no suitable node (scheduling constraints not satisfied on 3 nodes)";

    #[test]
    fn a_label_no_node_has_is_named() {
        let svc = service(&["node.labels.demo-gpu==true"]);
        let e = run(&task(TaskState::Pending, NO_NODE), &svc, &nodes(), &[]).unwrap();
        assert_eq!(e.short, "no node has label demo-gpu=true");
        assert!(
            e.lines[0].starts_with(
                "Constraint node.labels.demo-gpu==true: no node has the label demo-gpu"
            ),
            "{e:?}"
        );
        assert!(e.short.len() <= 60);
    }

    #[test]
    fn a_label_with_other_values_says_what_the_nodes_have() {
        let mut ns = nodes();
        ns[1].labels.insert("zone".into(), "b".into());
        let svc = service(&["node.labels.zone==a"]);
        let e = run(&task(TaskState::Pending, NO_NODE), &svc, &ns, &[]).unwrap();
        assert_eq!(e.short, "no node has label zone=a");
        assert!(e.lines[0].contains("node2 has zone=b"), "{e:?}");
    }

    #[test]
    fn a_drained_node_that_would_fit_is_named_as_drained() {
        let mut ns = nodes();
        ns[0].availability = Availability::Drain;
        ns[2].state = NodeState::Down;
        let svc = service(&["node.hostname==node1"]);
        let e = run(&task(TaskState::Pending, NO_NODE), &svc, &ns, &[]).unwrap();
        assert_eq!(e.short, "no node satisfies node.hostname==node1");
        assert!(
            e.lines[0].contains("only node1 (drained) satisfies it"),
            "{e:?}"
        );
        assert!(
            e.lines[0].contains("node2 needs node.hostname==node1 (it is \"node2\")"),
            "{e:?}"
        );
        let last = e.lines.last().unwrap();
        assert_eq!(
            last,
            "Not available for new tasks: node1 is drained and node3 is down."
        );
    }

    #[test]
    fn constraints_that_exclude_every_node_only_together() {
        let mut ns = nodes();
        ns[0].role = Role::Manager;
        ns[1].labels.insert("zone".into(), "a".into());
        let svc = service(&["node.role==manager", "node.labels.zone==a"]);
        let e = run(&task(TaskState::Pending, NO_NODE), &svc, &ns, &[]).unwrap();
        assert_eq!(e.short, "the constraints together exclude every node");
        assert!(
            e.lines
                .contains(&"node.role==manager excludes node2 and node3".to_string()),
            "{e:?}"
        );
        assert!(
            e.lines
                .contains(&"node.labels.zone==a excludes node1 and node3".to_string()),
            "{e:?}"
        );
    }

    #[test]
    fn no_active_node_at_all() {
        let mut ns = nodes();
        for n in &mut ns {
            n.availability = Availability::Pause;
        }
        let e = run(&task(TaskState::Pending, NO_NODE), &service(&[]), &ns, &[]).unwrap();
        assert_eq!(e.short, "no node is active and ready");
        assert!(e.lines[0].contains("node1 is paused"), "{e:?}");
        assert_eq!(e.lines.len(), 1, "the nodes are not listed twice: {e:?}");
    }

    #[test]
    fn an_invalid_constraint() {
        let svc = service(&["node.name==x"]);
        let e = run(&task(TaskState::Pending, NO_NODE), &svc, &nodes(), &[]).unwrap();
        assert_eq!(e.short, "invalid constraint node.name==x");
    }

    #[test]
    fn insufficient_resources_against_what_is_free() {
        let mut svc = service(&[]);
        svc.reserve_nano_cpus = 2_000_000_000;
        svc.reserve_memory_bytes = 1 << 30;
        let mut other = service(&[]);
        other.id = ServiceId::from("s2");
        other.reserve_nano_cpus = 1_500_000_000;
        let live = vec![
            running("a", "s2", "n1"),
            running("b", "s2", "n2"),
            running("c", "s2", "n3"),
        ];
        let services = vec![svc.clone(), other];
        let t = task(
            TaskState::Pending,
            "no suitable node (insufficient resources on 3 nodes)",
        );
        let cx = ExplainCx::new(Some(&services[0]), &services, &[], &live, ts(NOW));
        let ns = nodes();
        let cx = ExplainCx { nodes: &ns, ..cx };
        let e = explain(&t, &cx).unwrap();
        assert_eq!(e.short, "needs 2 CPUs, 1 GiB: no node has that free");
        assert!(
            e.lines[0].contains("node2 has 0.5 CPUs, 4 GiB free"),
            "{e:?}"
        );
        // with no error yet, the same from the reservations alone (pending long enough)
        let mut quiet = t.clone();
        quiet.error.clear();
        assert_eq!(
            explain(&quiet, &cx).unwrap().short,
            "needs 2 CPUs, 1 GiB: no node has that free"
        );
        // room on one node: not this
        let cx = ExplainCx {
            tasks: &live[..2],
            ..cx
        };
        assert_eq!(explain(&quiet, &cx).unwrap().short, "pending for 56 s");
    }

    #[test]
    fn a_moment_of_pending_is_not_explained() {
        let mut t = task(TaskState::Pending, "");
        t.since = Some(ts("2026-03-01T11:59:58Z"));
        assert_eq!(run(&t, &service(&[]), &nodes(), &[]), None);
    }

    #[test]
    fn max_replicas_per_node() {
        let mut svc = service(&[]);
        svc.max_replicas_per_node = 1;
        let live = vec![
            running("a", "s1", "n1"),
            running("b", "s1", "n2"),
            running("c", "s1", "n3"),
        ];
        let e = run(&task(TaskState::Pending, NO_NODE), &svc, &nodes(), &live).unwrap();
        assert_eq!(e.short, "max 1 per node reached on every node that fits");
    }

    #[test]
    fn unsupported_platform() {
        let mut ns = nodes();
        ns[0].arch = "aarch64".into();
        let e = run(
            &task(
                TaskState::Pending,
                "no suitable node (unsupported platform on 3 nodes)",
            ),
            &service(&[]),
            &ns,
            &[],
        )
        .unwrap();
        assert_eq!(e.short, "image not built for the nodes' platform");
        assert!(e.lines[0].contains("node1 is linux/aarch64"), "{e:?}");
    }

    #[test]
    fn an_image_missing_on_the_nodes_that_rejected_it() {
        let mut t = task(TaskState::Rejected, "No such image: demo/web:1@sha256:abc");
        t.node_id = Some(NodeId::from("n2"));
        let mut other = t.clone();
        other.id = TaskId::from("t0");
        other.node_id = Some(NodeId::from("n3"));
        other.desired = TaskState::Shutdown;
        let svc = service(&[]);
        let services = [svc.clone()];
        let ns = nodes();
        let history = [other];
        let cx = ExplainCx {
            history: [&history, &[], &[]],
            ..ExplainCx::new(Some(&svc), &services, &ns, &[], ts(NOW))
        };
        let e = explain(&t, &cx).unwrap();
        assert_eq!(e.short, "image demo/web:1 missing on 2 nodes");
        assert!(
            e.lines[0].starts_with("Image demo/web:1 is missing on node2 and node3: images built locally must exist on every node"),
            "{e:?}"
        );
        let e = run(&t, &svc, &ns, &[]).unwrap();
        assert_eq!(e.short, "image demo/web:1 missing on node2");
        let mut denied = t.clone();
        denied.error = "pull access denied for demo/web, repository does not exist or may require 'docker login'".into();
        let e = run(&denied, &svc, &ns, &[]).unwrap();
        assert_eq!(e.short, "image demo/web:1 missing on node2");
        assert!(e.lines[1].contains("credentials"), "{e:?}");
    }

    #[test]
    fn networks_and_volumes() {
        let svc = service(&[]);
        let ns = nodes();
        let e = run(
            &task(TaskState::Rejected, "network demo-net not found"),
            &svc,
            &ns,
            &[],
        )
        .unwrap();
        assert_eq!(e.short, "network demo-net not found");
        assert!(e.lines[0].contains("The network demo-net"), "{e:?}");
        let e = run(
            &task(
                TaskState::Rejected,
                "error while mounting volume: no such volume: data",
            ),
            &svc,
            &ns,
            &[],
        )
        .unwrap();
        assert_eq!(e.short, "volume data not found");
        let e = run(
            &task(
                TaskState::Rejected,
                "invalid mount config for type \"bind\": bind source path does not exist: /srv/x",
            ),
            &svc,
            &ns,
            &[],
        )
        .unwrap();
        assert_eq!(e.short, "invalid mount");
        assert!(e.lines[0].contains("/srv/x"), "{e:?}");
    }

    #[test]
    fn a_down_node() {
        let mut ns = nodes();
        ns[0].state = NodeState::Down;
        ns[0].state_message = "heartbeat failure".into();
        ns[1].state = NodeState::Unknown("rebooting".into());
        let svc = service(&[]);
        let mut t = running("t1", "s1", "n1");
        let e = run(&t, &svc, &ns, &[]).unwrap();
        assert_eq!(e.short, "node node1 is down: replaced elsewhere");
        assert!(
            e.lines[0].starts_with(
                "Its node node1 is down (the managers say: heartbeat failure): Swarm starts a replacement"
            ),
            "{e:?}"
        );
        t.node_id = Some(NodeId::from("n2"));
        let e = run(&t, &svc, &ns, &[]).unwrap();
        assert!(
            e.lines[0].ends_with("Swarm reschedules it once the node is marked down."),
            "{e:?}"
        );
        assert_eq!(
            e.short,
            "node node2 is unknown(rebooting): moves once marked down"
        );
        // a global service's task waits for its node
        let mut global = svc.clone();
        global.mode = ServiceMode::Global;
        t.node_id = Some(NodeId::from("n1"));
        let e = run(&t, &global, &ns, &[]).unwrap();
        assert_eq!(e.short, "node node1 is down: waits for the node");
        t.node_id = Some(NodeId::from("n2"));
        // fine on a ready node
        t.node_id = Some(NodeId::from("n3"));
        assert_eq!(run(&t, &svc, &ns, &[]), None);
        // shut down as asked: nothing to explain
        t.node_id = Some(NodeId::from("n1"));
        t.desired = TaskState::Shutdown;
        assert_eq!(run(&t, &svc, &ns, &[]), None);
    }

    fn failed(id: &str, since: &str, code: i64) -> Task {
        Task {
            id: TaskId::from(id),
            service_id: ServiceId::from("s1"),
            node_id: Some(NodeId::from("n1")),
            slot: Some(1),
            desired: TaskState::Shutdown,
            state: TaskState::Failed,
            error: format!("task: non-zero exit ({code})"),
            exit_code: Some(code),
            container_id: format!("c-{id}"),
            created: Some(ts(since) - jiff::SignedDuration::from_secs(4)),
            since: Some(ts(since)),
            ..Default::default()
        }
    }

    #[test]
    fn an_exit_code_with_the_logs() {
        let t = failed("t1", "2026-03-01T11:59:50Z", 3);
        let svc = service(&[]);
        let ns = nodes();
        let e = run(&t, &svc, &ns, &[]).unwrap();
        assert_eq!(e.short, "exited with code 3 (after 4 s)");
        assert_eq!(
            e.lines[0],
            "It exited with code 3 (after 4 s): see the task's logs."
        );
        assert_eq!(e.logs_for, Some(TaskId::from("t1")));
        assert!(e.log_tail.is_empty());
        let logs = vec!["starting".to_string(), "boom".to_string()];
        let services = [svc.clone()];
        let cx = ExplainCx::new(Some(&svc), &services, &ns, &[], ts(NOW)).with_logs(Some(&logs));
        assert_eq!(explain(&t, &cx).unwrap().log_tail, logs);
        // the code from the error when the container status has none
        let mut t2 = t.clone();
        t2.exit_code = None;
        t2.error = "task: non-zero exit (137)".into();
        let e = run(&t2, &svc, &ns, &[]).unwrap();
        assert!(e.lines[0].contains("killed: out of memory"), "{e:?}");
    }

    #[test]
    fn a_crash_loop_counts_the_slots_failures() {
        let history = vec![
            failed("t1", "2026-03-01T11:59:50Z", 3),
            failed("t2", "2026-03-01T11:59:40Z", 3),
            failed("t3", "2026-03-01T11:59:30Z", 3),
            // long ago: not counted
            failed("t4", "2026-03-01T10:00:00Z", 3),
        ];
        let svc = service(&[]);
        let services = [svc.clone()];
        let ns = nodes();
        let cx = ExplainCx {
            history: [&history, &[], &[]],
            ..ExplainCx::new(Some(&svc), &services, &ns, &[], ts(NOW))
        };
        let e = explain(&history[0], &cx).unwrap();
        assert_eq!(e.short, "exited with code 3 (after 4 s), 3× in 10 min");
        assert!(e.lines[1].contains("a crash loop"), "{e:?}");
        // the replacement, waiting for its restart delay, points at the last failure's logs
        let mut next = running("t5", "s1", "n1");
        next.slot = Some(1);
        next.state = TaskState::Ready;
        let live = [next.clone()];
        let cx = ExplainCx { tasks: &live, ..cx };
        let e = explain(&next, &cx).unwrap();
        assert_eq!(
            e.short,
            "crash loop: exited with code 3 (after 4 s), 3× in 10 min"
        );
        assert_eq!(e.logs_for, Some(TaskId::from("t1")));
        // running for a while: fine
        next.state = TaskState::Running;
        next.since = Some(ts("2026-03-01T11:58:00Z"));
        assert_eq!(explain(&next, &cx), None);
        // one failure is no loop
        let cx = ExplainCx {
            history: [&history[..1], &[], &[]],
            ..cx
        };
        next.state = TaskState::Starting;
        assert_eq!(explain(&next, &cx), None);
    }

    #[test]
    fn other_failures_through_the_deploy_explainer() {
        let svc = service(&[]);
        let ns = nodes();
        let t = task(
            TaskState::Failed,
            "starting container failed: port is already allocated",
        );
        let e = run(&t, &svc, &ns, &[]).unwrap();
        assert_eq!(
            e.short,
            "starting container failed: port is already allocated"
        );
        assert!(e.lines[0].contains("already used on this node"), "{e:?}");
        let mut quiet = task(TaskState::Failed, "");
        quiet.exit_code = Some(0);
        assert_eq!(
            run(&quiet, &svc, &ns, &[]).unwrap().short,
            "failed with no error"
        );
    }

    #[test]
    fn running_and_complete_tasks_need_no_explanation() {
        let svc = service(&[]);
        let ns = nodes();
        assert_eq!(run(&running("t1", "s1", "n1"), &svc, &ns, &[]), None);
        let mut done = running("t1", "s1", "n1");
        done.state = TaskState::Complete;
        assert_eq!(run(&done, &svc, &ns, &[]), None);
    }

    #[test]
    fn the_recorded_pinned_service() {
        // fx-pinned in tests/fixtures: `node.labels.site==nowhere`, 3 managers, no labels
        let ns: Vec<Node> = ["node1", "node2", "node3"]
            .iter()
            .map(|h| Node {
                role: Role::Manager,
                ..node(h, h)
            })
            .collect();
        let svc = service(&["node.labels.site==nowhere"]);
        let e = run(&task(TaskState::Pending, NO_NODE), &svc, &ns, &[]).unwrap();
        assert_eq!(e.short, "no node has label site=nowhere");
    }
}
