//! Docker I/O. Runs in background tokio tasks and reports to the UI task with typed messages;
//! the UI never awaits bollard.
//!
//! One [`run`] task per dashboard: it connects to the first endpoint that is a reachable
//! manager, reads everything, then keeps it fresh:
//! - node and service events trigger a re-read of nodes / services + tasks (debounced);
//! - tasks have no events, so they are polled (only live tasks, plus the drilled-down scope);
//! - everything is reconciled periodically;
//! - a ping heartbeat detects a dead manager (the events stream has no read timeout) and
//!   fails over to the next endpoint.

pub mod connect;
pub mod events;
pub mod fetch;
pub mod ssh;
pub mod write;

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior, interval, sleep, sleep_until, timeout};

pub use connect::{ConnectError, Connection};
pub use events::{EventKind, SwarmEvent};
pub use fetch::{FetchError, TaskScope};

use crate::domain::{EngineInfo, Node, NodeId, Service, ServiceId, Task, Unreadable};

/// A write the user confirmed. Runs as its own task and reports [`EngineMsg::WriteDone`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteRequest {
    /// Chosen by the app, to match the answer.
    pub seq: u64,
    pub target: WriteTarget,
    pub change: WriteChange,
    /// What it does, in words, for the audit log ("availability active → drain").
    pub action: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteTarget {
    Node { id: NodeId, name: String },
    Service { id: ServiceId, name: String },
}

impl WriteTarget {
    pub fn name(&self) -> &str {
        match self {
            WriteTarget::Node { name, .. } | WriteTarget::Service { name, .. } => name,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteChange {
    Node(write::NodeChange),
    /// Force-update a service so Swarm reschedules its tasks.
    ForceUpdate,
}

/// What the engine tells the UI.
#[derive(Debug, Clone, PartialEq)]
pub enum EngineMsg {
    Connecting {
        endpoint: String,
    },
    Connected {
        endpoint: String,
        info: EngineInfo,
    },
    /// Every endpoint failed; the engine retries by itself.
    ConnectFailed {
        errors: Vec<ConnectError>,
    },
    /// The connected manager stopped answering; reconnecting.
    Lost {
        endpoint: String,
        reason: String,
    },
    Info(EngineInfo),
    Nodes(Vec<Node>),
    Services(Vec<Service>),
    Tasks {
        scope: TaskScope,
        tasks: Vec<Task>,
    },
    /// Fields the engine sent that our model cannot read (shown, never fatal).
    Unreadable(Vec<Unreadable>),
    FetchFailed {
        what: &'static str,
        error: FetchError,
    },
    Event(SwarmEvent),
    /// The events stream ended and was resubscribed.
    EventsResumed {
        reason: String,
    },
    /// A write finished (or was refused).
    WriteDone {
        seq: u64,
        target: WriteTarget,
        action: String,
        result: Result<write::WriteOutcome, write::WriteError>,
    },
    /// The audit log's newest entries (newest first) and how many lines could not be read.
    Audit(Result<(Vec<crate::audit::AuditEntry>, usize), String>),
}

/// What the UI asks of the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineCmd {
    /// Also poll this scope's task history (the drill-down), or stop doing so.
    SetTaskScope(Option<TaskScope>),
    /// Re-read everything now.
    Refresh,
    /// Also poll every task of these nodes (nodes being drained: their leaving tasks).
    WatchNodes(Vec<NodeId>),
    /// Write to the swarm (refused in readonly mode).
    Write(WriteRequest),
    /// Read the audit log.
    ReadAudit,
}

/// How the engine runs.
#[derive(Debug, Clone, Default)]
pub struct EngineOptions {
    pub timings: Timings,
    /// Where writes are recorded (none: not recorded).
    pub audit_log: Option<std::path::PathBuf>,
    /// Refuse every write, whatever asks for it.
    pub readonly: bool,
}

/// Timings of the engine loop.
#[derive(Debug, Clone)]
pub struct Timings {
    pub task_poll: Duration,
    /// Nodes are polled too: a manager's reachability changes without a node event.
    pub node_poll: Duration,
    pub reconcile: Duration,
    pub heartbeat: Duration,
    /// Heartbeat failures in a row before the manager is given up on.
    pub heartbeat_failures: u32,
    pub debounce: Duration,
    pub retry: Duration,
}

impl Default for Timings {
    fn default() -> Self {
        Self {
            task_poll: Duration::from_secs(2),
            node_poll: Duration::from_secs(5),
            reconcile: Duration::from_secs(15),
            heartbeat: Duration::from_secs(2),
            heartbeat_failures: 2,
            debounce: Duration::from_millis(150),
            retry: Duration::from_secs(2),
        }
    }
}

/// Handle to a running engine.
pub struct EngineHandle {
    pub rx: mpsc::Receiver<EngineMsg>,
    pub cmd: mpsc::UnboundedSender<EngineCmd>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for EngineHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Start the engine for these endpoints (tried in order), with no audit log.
pub fn spawn(endpoints: Vec<String>, timings: Timings) -> EngineHandle {
    spawn_with(
        endpoints,
        EngineOptions {
            timings,
            ..Default::default()
        },
    )
}

/// Start the engine with every option.
pub fn spawn_with(endpoints: Vec<String>, opts: EngineOptions) -> EngineHandle {
    let (tx, rx) = mpsc::channel(1024);
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(run(endpoints, opts, tx, cmd_rx));
    EngineHandle {
        rx,
        cmd: cmd_tx,
        task,
    }
}

/// Run a confirmed write as its own task, record it in the audit log, report it.
fn start_write(
    conn: Option<&Connection>,
    opts: &EngineOptions,
    req: WriteRequest,
    tx: &mpsc::Sender<EngineMsg>,
) {
    let tx = tx.clone();
    let audit_log = opts.audit_log.clone();
    let readonly = opts.readonly;
    let conn = conn.cloned();
    tokio::spawn(async move {
        let result = match (&conn, readonly) {
            (_, true) => Err(write::WriteError::Refused(
                "swarmdeck runs in readonly mode".into(),
            )),
            (None, _) => Err(write::WriteError::Transport(
                "not connected to a manager".into(),
            )),
            (Some(c), false) => match (&req.target, &req.change) {
                (WriteTarget::Node { id, .. }, WriteChange::Node(change)) => {
                    write::update_node(&c.docker, id, change).await
                }
                (WriteTarget::Service { id, .. }, WriteChange::ForceUpdate) => {
                    write::force_update_service(&c.docker, id).await
                }
                _ => Err(write::WriteError::Refused(
                    "that change does not apply to that object".into(),
                )),
            },
        };
        if let Some(path) = audit_log {
            let entry = audit_entry(&req, conn.as_ref(), &result);
            let _ = tokio::task::spawn_blocking(move || crate::audit::append(&path, &entry)).await;
        }
        let _ = tx
            .send(EngineMsg::WriteDone {
                seq: req.seq,
                target: req.target,
                action: req.action,
                result,
            })
            .await;
    });
}

fn audit_entry(
    req: &WriteRequest,
    conn: Option<&Connection>,
    result: &Result<write::WriteOutcome, write::WriteError>,
) -> crate::audit::AuditEntry {
    let (kind, id) = match &req.target {
        WriteTarget::Node { id, .. } => ("node", id.as_str()),
        WriteTarget::Service { id, .. } => ("service", id.as_str()),
    };
    let endpoint = conn.map(|c| c.endpoint.as_str()).unwrap_or_default();
    crate::audit::AuditEntry::for_write(endpoint, kind, id, req.target.name(), &req.action, result)
}

/// Read the audit log off the UI task and report it.
fn start_read_audit(opts: &EngineOptions, tx: &mpsc::Sender<EngineMsg>) {
    let tx = tx.clone();
    let path = opts.audit_log.clone();
    tokio::spawn(async move {
        let result = match path {
            None => Err("no audit log: the XDG data directory is unknown".to_string()),
            Some(p) => {
                match tokio::task::spawn_blocking(move || crate::audit::read_recent(&p, 500)).await
                {
                    Ok(Ok(r)) => Ok(r),
                    Ok(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok((Vec::new(), 0)),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(e) => Err(e.to_string()),
                }
            }
        };
        let _ = tx.send(EngineMsg::Audit(result)).await;
    });
}

async fn run(
    endpoints: Vec<String>,
    opts: EngineOptions,
    tx: mpsc::Sender<EngineMsg>,
    mut cmd_rx: mpsc::UnboundedReceiver<EngineCmd>,
) {
    let timings = opts.timings.clone();
    let mut scope: Option<TaskScope> = None;
    let mut watched: Vec<NodeId> = Vec::new();
    loop {
        let mut errors = Vec::new();
        let mut conn = None;
        for ep in &endpoints {
            if tx
                .send(EngineMsg::Connecting {
                    endpoint: ep.clone(),
                })
                .await
                .is_err()
            {
                return;
            }
            match connect::connect(ep).await {
                Ok(c) => {
                    conn = Some(c);
                    break;
                }
                Err(e) => errors.push(e),
            }
        }
        let Some(conn) = conn else {
            if tx.send(EngineMsg::ConnectFailed { errors }).await.is_err() {
                return;
            }
            // Keep taking commands while we wait, so the latest scope is used on reconnect.
            let until = Instant::now() + timings.retry;
            loop {
                tokio::select! {
                    _ = sleep_until(until) => break,
                    cmd = cmd_rx.recv() => match cmd {
                        Some(EngineCmd::SetTaskScope(s)) => scope = s,
                        Some(EngineCmd::WatchNodes(n)) => watched = n,
                        Some(EngineCmd::Refresh) => break,
                        Some(EngineCmd::Write(req)) => start_write(None, &opts, req, &tx),
                        Some(EngineCmd::ReadAudit) => start_read_audit(&opts, &tx),
                        None => return,
                    },
                }
            }
            continue;
        };
        let msg = EngineMsg::Connected {
            endpoint: conn.endpoint.clone(),
            info: conn.info.clone(),
        };
        if tx.send(msg).await.is_err() {
            return;
        }
        match session(&conn, &opts, &tx, &mut cmd_rx, &mut scope, &mut watched).await {
            SessionEnd::Quit => return,
            SessionEnd::Lost(reason) => {
                let msg = EngineMsg::Lost {
                    endpoint: conn.endpoint.clone(),
                    reason,
                };
                if tx.send(msg).await.is_err() {
                    return;
                }
            }
        }
    }
}

enum SessionEnd {
    Quit,
    Lost(String),
}

#[derive(Default)]
struct Dirty {
    info: bool,
    nodes: bool,
    services: bool,
    tasks: bool,
}

impl Dirty {
    fn all() -> Self {
        Self {
            info: true,
            nodes: true,
            services: true,
            tasks: true,
        }
    }
    fn any(&self) -> bool {
        self.info || self.nodes || self.services || self.tasks
    }
}

async fn session(
    conn: &Connection,
    opts: &EngineOptions,
    tx: &mpsc::Sender<EngineMsg>,
    cmd_rx: &mut mpsc::UnboundedReceiver<EngineCmd>,
    scope: &mut Option<TaskScope>,
    watched: &mut Vec<NodeId>,
) -> SessionEnd {
    let timings = &opts.timings;
    let docker = &conn.docker;
    let (ev_tx, mut ev_rx) = mpsc::channel(256);
    let watcher = tokio::spawn(events::watch(docker.clone(), ev_tx));
    let _abort = AbortOnDrop(watcher);

    let mut dirty = Dirty::all();
    let mut due = Some(Instant::now());
    let mut tasks_tick = interval(timings.task_poll);
    let mut nodes_tick = interval(timings.node_poll);
    let mut reconcile_tick = interval(timings.reconcile);
    let mut heartbeat_tick = interval(timings.heartbeat);
    for t in [
        &mut tasks_tick,
        &mut nodes_tick,
        &mut reconcile_tick,
        &mut heartbeat_tick,
    ] {
        t.set_missed_tick_behavior(MissedTickBehavior::Delay);
    }
    let mut failures = 0u32;
    let mut live_sig: Option<u64> = None;

    loop {
        tokio::select! {
            ev = ev_rx.recv() => match ev {
                Some(events::WatchMsg::Event(ev)) => {
                    match ev.kind {
                        EventKind::Node => { dirty.nodes = true; dirty.info = true; dirty.tasks = true; }
                        EventKind::Service => { dirty.services = true; dirty.tasks = true; }
                        EventKind::Other(_) => {}
                    }
                    due.get_or_insert_with(|| Instant::now() + timings.debounce);
                    if tx.send(EngineMsg::Event(ev)).await.is_err() { return SessionEnd::Quit; }
                }
                Some(events::WatchMsg::Resumed { reason }) => {
                    // Events may have been missed while the stream was down: resync everything.
                    dirty = Dirty::all();
                    due = Some(Instant::now());
                    if tx.send(EngineMsg::EventsResumed { reason }).await.is_err() { return SessionEnd::Quit; }
                }
                Some(events::WatchMsg::Unreadable(u)) => {
                    if tx.send(EngineMsg::Unreadable(u)).await.is_err() { return SessionEnd::Quit; }
                }
                None => return SessionEnd::Lost("events watcher stopped".into()),
            },
            _ = sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() => {
                due = None;
                let work = std::mem::take(&mut dirty);
                if !refresh(docker, &work, scope.as_ref(), watched, &mut live_sig, tx).await { return SessionEnd::Quit; }
            }
            _ = tasks_tick.tick() => {
                let work = Dirty { tasks: true, ..Default::default() };
                if !refresh(docker, &work, scope.as_ref(), watched, &mut live_sig, tx).await { return SessionEnd::Quit; }
            }
                        _ = nodes_tick.tick() => {
                let work = Dirty { nodes: true, info: true, ..Default::default() };
                if !refresh(docker, &work, scope.as_ref(), watched, &mut live_sig, tx).await { return SessionEnd::Quit; }
            }
            _ = reconcile_tick.tick() => {
                if !refresh(docker, &Dirty::all(), scope.as_ref(), watched, &mut live_sig, tx).await { return SessionEnd::Quit; }
            }
            _ = heartbeat_tick.tick() => {
                let ok = matches!(timeout(timings.heartbeat.max(Duration::from_secs(2)), docker.ping()).await, Ok(Ok(_)));
                if ok {
                    failures = 0;
                } else {
                    failures += 1;
                    if failures >= timings.heartbeat_failures {
                        return SessionEnd::Lost(format!("no answer to {failures} pings"));
                    }
                }
            }
            cmd = cmd_rx.recv() => match cmd {
                Some(EngineCmd::SetTaskScope(s)) => {
                    *scope = s;
                    dirty.tasks = true;
                    due = Some(Instant::now());
                }
                                Some(EngineCmd::Refresh) => {
                    dirty = Dirty::all();
                    due = Some(Instant::now());
                }
                                Some(EngineCmd::WatchNodes(n)) => {
                    *watched = n;
                    dirty.tasks = true;
                    due = Some(Instant::now());
                }
                Some(EngineCmd::Write(req)) => {
                    start_write(Some(conn), opts, req, tx);
                    // what the write changed shows at once, not at the next poll
                    dirty = Dirty::all();
                    due = Some(Instant::now() + Duration::from_millis(300));
                }
                Some(EngineCmd::ReadAudit) => start_read_audit(opts, tx),
                None => return SessionEnd::Quit,
            },
        }
        if dirty.any() && due.is_none() {
            due = Some(Instant::now() + timings.debounce);
        }
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Read what is dirty and send it. Returns false when the UI is gone.
/// A fingerprint of the live tasks' states: when it changes, the services' running counts
/// (`ServiceStatus`) have changed too, and there is no event for that.
fn live_signature(tasks: &[Task]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for t in tasks {
        t.id.hash(&mut h);
        t.state.as_str().hash(&mut h);
        t.desired.as_str().hash(&mut h);
    }
    h.finish()
}

async fn refresh(
    docker: &bollard::Docker,
    work: &Dirty,
    scope: Option<&TaskScope>,
    watched: &[NodeId],
    live_sig: &mut Option<u64>,
    tx: &mpsc::Sender<EngineMsg>,
) -> bool {
    let mut out = Vec::new();
    if work.info {
        match fetch::engine_info(docker).await {
            Ok(info) => out.push(EngineMsg::Info(info)),
            Err(error) => out.push(EngineMsg::FetchFailed {
                what: "info",
                error,
            }),
        }
    }
    if work.nodes {
        push_fetched(
            &mut out,
            "nodes",
            fetch::nodes(docker).await,
            EngineMsg::Nodes,
        );
    }
    if work.services {
        push_fetched(
            &mut out,
            "services",
            fetch::services(docker).await,
            EngineMsg::Services,
        );
    }
    if work.tasks {
        let mut scopes = vec![TaskScope::Live];
        scopes.extend(scope.cloned());
        for n in watched {
            let s = TaskScope::Node(n.clone());
            if !scopes.contains(&s) {
                scopes.push(s);
            }
        }
        for scope in scopes {
            let result = fetch::tasks(docker, &scope).await;
            if scope == TaskScope::Live
                && let Ok(f) = &result
            {
                let sig = live_signature(&f.items);
                if live_sig.replace(sig).is_some_and(|old| old != sig) && !work.services {
                    // task states moved: the running/desired counts did too
                    push_fetched(
                        &mut out,
                        "services",
                        fetch::services(docker).await,
                        EngineMsg::Services,
                    );
                }
            }
            push_fetched(&mut out, "tasks", result, |tasks| EngineMsg::Tasks {
                scope,
                tasks,
            });
        }
    }
    for msg in out {
        if tx.send(msg).await.is_err() {
            return false;
        }
    }
    true
}

/// Queue a read's result: its unreadable fields (if any), then the data or the error.
fn push_fetched<T>(
    out: &mut Vec<EngineMsg>,
    what: &'static str,
    result: Result<fetch::Fetched<T>, FetchError>,
    msg: impl FnOnce(Vec<T>) -> EngineMsg,
) {
    match result {
        Ok(f) => {
            if !f.unreadable.is_empty() {
                out.push(EngineMsg::Unreadable(f.unreadable));
            }
            out.push(msg(f.items));
        }
        Err(error) => out.push(EngineMsg::FetchFailed { what, error }),
    }
}

/// Wait for the next message, for tests and one-shot tools: `None` after the deadline.
pub async fn recv_until(
    rx: &mut mpsc::Receiver<EngineMsg>,
    deadline: Instant,
) -> Option<EngineMsg> {
    tokio::select! {
        m = rx.recv() => m,
        _ = sleep(deadline.saturating_duration_since(Instant::now())) => None,
    }
}
