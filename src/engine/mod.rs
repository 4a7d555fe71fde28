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

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior, interval, sleep, sleep_until, timeout};

pub use connect::{ConnectError, Connection};
pub use events::{EventKind, SwarmEvent};
pub use fetch::{FetchError, TaskScope};

use crate::domain::{EngineInfo, Node, Service, Task, Unreadable};

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
}

/// What the UI asks of the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineCmd {
    /// Also poll this scope's task history (the drill-down), or stop doing so.
    SetTaskScope(Option<TaskScope>),
    /// Re-read everything now.
    Refresh,
}

/// Timings of the engine loop.
#[derive(Debug, Clone)]
pub struct Timings {
    pub task_poll: Duration,
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

/// Start the engine for these endpoints (tried in order).
pub fn spawn(endpoints: Vec<String>, timings: Timings) -> EngineHandle {
    let (tx, rx) = mpsc::channel(1024);
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(run(endpoints, timings, tx, cmd_rx));
    EngineHandle {
        rx,
        cmd: cmd_tx,
        task,
    }
}

async fn run(
    endpoints: Vec<String>,
    timings: Timings,
    tx: mpsc::Sender<EngineMsg>,
    mut cmd_rx: mpsc::UnboundedReceiver<EngineCmd>,
) {
    let mut scope: Option<TaskScope> = None;
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
                        Some(EngineCmd::Refresh) => break,
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
        match session(&conn, &timings, &tx, &mut cmd_rx, &mut scope).await {
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
    timings: &Timings,
    tx: &mpsc::Sender<EngineMsg>,
    cmd_rx: &mut mpsc::UnboundedReceiver<EngineCmd>,
    scope: &mut Option<TaskScope>,
) -> SessionEnd {
    let docker = &conn.docker;
    let (ev_tx, mut ev_rx) = mpsc::channel(256);
    let watcher = tokio::spawn(events::watch(docker.clone(), ev_tx));
    let _abort = AbortOnDrop(watcher);

    let mut dirty = Dirty::all();
    let mut due = Some(Instant::now());
    let mut tasks_tick = interval(timings.task_poll);
    let mut reconcile_tick = interval(timings.reconcile);
    let mut heartbeat_tick = interval(timings.heartbeat);
    for t in [&mut tasks_tick, &mut reconcile_tick, &mut heartbeat_tick] {
        t.set_missed_tick_behavior(MissedTickBehavior::Delay);
    }
    let mut failures = 0u32;

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
                if !refresh(docker, &work, scope.as_ref(), tx).await { return SessionEnd::Quit; }
            }
            _ = tasks_tick.tick() => {
                let work = Dirty { tasks: true, ..Default::default() };
                if !refresh(docker, &work, scope.as_ref(), tx).await { return SessionEnd::Quit; }
            }
            _ = reconcile_tick.tick() => {
                if !refresh(docker, &Dirty::all(), scope.as_ref(), tx).await { return SessionEnd::Quit; }
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
async fn refresh(
    docker: &bollard::Docker,
    work: &Dirty,
    scope: Option<&TaskScope>,
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
        for scope in scopes {
            let result = fetch::tasks(docker, &scope).await;
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
