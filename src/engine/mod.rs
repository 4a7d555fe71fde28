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

pub mod cluster;
pub mod connect;
pub mod deploy;
pub mod digest;
pub mod events;
pub mod fetch;
pub mod gconf;
pub mod logs;
pub mod secrets;
pub mod ssh;
pub mod write;

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior, interval, sleep, sleep_until, timeout};

pub use connect::{ConnectError, Connection};
pub use events::{EventKind, SwarmEvent};
pub use fetch::{FetchError, TaskScope};

use crate::domain::{
    ConfigId, EngineInfo, Node, NodeId, SecretId, Service, ServiceId, Task, TaskId, Unreadable,
};

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
    Node {
        id: NodeId,
        name: String,
    },
    Service {
        id: ServiceId,
        name: String,
    },
    /// The swarm itself (its spec: labels, orchestration, raft, CA and dispatcher settings).
    Swarm,
    /// Labels only: a config's data is immutable.
    Config {
        id: ConfigId,
        name: String,
    },
    /// Labels only: a secret's data is immutable.
    Secret {
        id: SecretId,
        name: String,
    },
}

impl WriteTarget {
    pub fn name(&self) -> &str {
        match self {
            WriteTarget::Node { name, .. }
            | WriteTarget::Service { name, .. }
            | WriteTarget::Config { name, .. }
            | WriteTarget::Secret { name, .. } => name,
            WriteTarget::Swarm => "swarm",
        }
    }

    /// The versioned object the write goes to.
    pub fn object(&self) -> write::ObjectRef {
        match self {
            WriteTarget::Node { id, .. } => write::ObjectRef::Node(id.clone()),
            WriteTarget::Service { id, .. } => write::ObjectRef::Service(id.clone()),
            WriteTarget::Swarm => write::ObjectRef::Swarm,
            WriteTarget::Config { id, .. } => write::ObjectRef::Config(id.clone()),
            WriteTarget::Secret { id, .. } => write::ObjectRef::Secret(id.clone()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteChange {
    Node(write::NodeChange),
    /// Force-update a service so Swarm reschedules its tasks.
    ForceUpdate,
    /// Scale a replicated service from `seen` (what the user saw) to `to` replicas.
    Scale {
        seen: u64,
        to: u64,
    },
    /// Set these labels, remove those (`Spec.Labels` of a config, secret, the swarm, or any
    /// other target); `seen` = its labels when the user looked. A key in both is set.
    Labels {
        set: BTreeMap<String, String>,
        remove: Vec<String>,
        seen: BTreeMap<String, String>,
    },
    /// Roll a service back to its previous spec; `seen` = [`write::rollback_fingerprint`] of
    /// the service as the user was shown it.
    Rollback {
        seen: String,
    },
    /// Set a service's image from `seen` (what the user saw) to `to`, pulling with the
    /// credentials `~/.docker/config.json` has for its registry (none: the stored ones).
    Image {
        seen: String,
        to: String,
    },
    /// Remove a service.
    Remove,
    /// Rotate the swarm's worker or manager join token (the swarm's spec is sent back as
    /// read right before, with the rotate flag).
    RotateJoinToken(crate::domain::cluster::JoinRole),
}

/// Run one write through the versioned-update core ([`write::update_versioned`]).
pub async fn run_write(
    docker: &bollard::Docker,
    target: &WriteTarget,
    change: &WriteChange,
) -> Result<write::WriteOutcome, write::WriteError> {
    match (target, change) {
        (WriteTarget::Node { id, .. }, WriteChange::Node(change)) => {
            write::update_node(docker, id, change).await
        }
        (WriteTarget::Service { id, .. }, WriteChange::ForceUpdate) => {
            write::force_update_service(docker, id).await
        }
        (WriteTarget::Service { id, .. }, WriteChange::Scale { seen, to }) => {
            write::scale_service(docker, id, *seen, *to).await
        }
        (WriteTarget::Service { id, .. }, WriteChange::Rollback { seen }) => {
            write::rollback_service(docker, id, seen).await
        }
        (WriteTarget::Service { id, .. }, WriteChange::Image { seen, to }) => {
            let server = crate::deploy::image_registry(to);
            let auth = deploy::config_auth(&server)
                .await
                .map_err(|e| write::WriteError::Refused(format!("{e}; nothing was written")))?;
            write::update_image(docker, id, seen, to, auth.as_deref()).await
        }
        (WriteTarget::Service { id, .. }, WriteChange::Remove) => {
            write::remove_service(docker, id).await
        }
        (WriteTarget::Swarm, WriteChange::RotateJoinToken(role)) => {
            write::rotate_join_token(docker, *role).await
        }
        (target, WriteChange::Labels { set, remove, seen }) => {
            write::update_labels(docker, &target.object(), set, remove, seen).await
        }
        _ => Err(write::WriteError::Refused(
            "that change does not apply to that object".into(),
        )),
    }
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
    /// A list (`what`: "nodes", "services", "tasks") was read again and is exactly the one
    /// sent last: not sent again, but the data is fresh.
    Unchanged {
        what: &'static str,
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
    /// A rollout's progress, for the [`EngineCmd::Config`] (or a secret rotation's
    /// [`EngineCmd::Secrets`]) with this `seq`.
    ConfigRollout {
        seq: u64,
        event: crate::gconfig::io::RolloutEvent,
    },
    /// A [`EngineCmd::Config`] finished.
    ConfigDone {
        seq: u64,
        answer: Box<gconf::ConfigAnswer>,
    },
    /// A [`EngineCmd::Deploy`] finished.
    DeployDone {
        seq: u64,
        answer: Box<deploy::DeployAnswer>,
    },
    /// A [`EngineCmd::Secrets`] finished.
    SecretsDone {
        seq: u64,
        answer: Box<secrets::SecretsAnswer>,
    },
    /// Tasks the live poll no longer sees (their desired state moved off running), as read
    /// right after they left: their final state, error and exit code.
    TasksEnded(Vec<Task>),
    /// The endpoints known for failover besides the one in use (configured, then
    /// discovered from the managers' addresses through `endpoint_template`).
    Failover {
        endpoints: Vec<String>,
    },
    /// The last lines of a task's logs ([`EngineCmd::TaskLogs`]), or why not.
    TaskLogs {
        task: TaskId,
        result: Result<Vec<String>, String>,
    },
    /// A [`EngineCmd::Cluster`] finished.
    ClusterDone {
        seq: u64,
        answer: Box<cluster::ClusterAnswer>,
    },
    /// Lines of a followed log stream ([`EngineCmd::FollowLogs`]), or its end.
    Logs {
        stream: u64,
        event: logs::LogsEvent,
    },
    /// A part of the [`EngineCmd::Digest`] with this `seq`: one service read, or the end.
    Digest {
        seq: u64,
        generation: u64,
        part: digest::DigestPart,
    },
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
    /// Read this scope's task history once (a task's details: its service's history).
    ReadTasks(TaskScope),
    /// A global config document command (load, plan, publish + rollout, drift, return);
    /// answered with [`EngineMsg::ConfigDone`] carrying `seq` (publish and return refused in
    /// readonly mode).
    Config { seq: u64, cmd: gconf::ConfigCmd },
    /// A deploy-wizard command (context, create, read a spec, edit); answered with
    /// [`EngineMsg::DeployDone`] carrying `seq` (create and edit refused in readonly mode).
    Deploy {
        seq: u64,
        cmd: Box<deploy::DeployCmd>,
    },
    /// Read a task's last `tail` log lines (stdout and stderr, no follow); answered with
    /// [`EngineMsg::TaskLogs`].
    TaskLogs { task: TaskId, tail: usize },
    /// A resource popup's command (the swarm, networks, volumes; create or remove a
    /// network); answered with [`EngineMsg::ClusterDone`] carrying `seq` (the writes refused
    /// in readonly mode).
    Cluster { seq: u64, cmd: cluster::ClusterCmd },
    /// A secrets or configs command (list, create, delete, rotate); answered with
    /// [`EngineMsg::SecretsDone`] carrying `seq` (writes refused in readonly mode).
    Secrets {
        seq: u64,
        cmd: Box<secrets::SecretsCmd>,
    },
    /// Follow a service's or a task's logs; answered with [`EngineMsg::Logs`] batches
    /// carrying the request's stream id, then the stream's end.
    FollowLogs(logs::FollowRequest),
    /// Stop following this stream (its view closed or restarted it).
    StopLogs { stream: u64 },
    /// Read the recent error lines of some services' logs (`:errors`); answered with an
    /// [`EngineMsg::Digest`] per service as it is read, then one with
    /// [`digest::DigestPart::Done`], all carrying `seq`.
    Digest { seq: u64, cmd: digest::DigestCmd },
}

/// How the engine runs.
#[derive(Debug, Clone, Default)]
pub struct EngineOptions {
    pub timings: Timings,
    /// Where writes are recorded (none: not recorded).
    pub audit_log: Option<std::path::PathBuf>,
    /// Refuse every write, whatever asks for it.
    pub readonly: bool,
    /// Turns the managers' addresses into failover endpoints (`{addr}`: a manager's host).
    pub endpoint_template: Option<String>,
    /// Where the TLS settings of every endpoint come from (the environment, or the docker
    /// context in use).
    pub tls: connect::Tls,
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
            heartbeat: Duration::from_secs(1),
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

/// Run a confirmed write as its own task, record it in the audit log, report it; then tell
/// `done` (the session, which re-reads everything after it).
fn start_write(
    conn: Option<&Connection>,
    opts: &EngineOptions,
    req: WriteRequest,
    tx: &mpsc::Sender<EngineMsg>,
    done: Option<mpsc::UnboundedSender<()>>,
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
            (Some(c), false) => run_write(&c.docker, &req.target, &req.change).await,
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
        if let Some(done) = done {
            let _ = done.send(());
        }
    });
}

fn audit_entry(
    req: &WriteRequest,
    conn: Option<&Connection>,
    result: &Result<write::WriteOutcome, write::WriteError>,
) -> crate::audit::AuditEntry {
    let object = req.target.object();
    // the swarm's path has no id: record its cluster id
    let id = match (&req.target, conn) {
        (WriteTarget::Swarm, Some(c)) => c.info.cluster_id.as_str(),
        _ => object.id(),
    };
    let kind = object.kind();
    let endpoint = conn.map(|c| c.endpoint.as_str()).unwrap_or_default();
    crate::audit::AuditEntry::for_write(endpoint, kind, id, req.target.name(), &req.action, result)
}

/// Read one scope's task history once, as its own task, and report it.
fn start_read_tasks(conn: &Connection, scope: TaskScope, tx: &mpsc::Sender<EngineMsg>) {
    let tx = tx.clone();
    let docker = conn.docker.clone();
    tokio::spawn(async move {
        let msg = match fetch::tasks(&docker, &scope).await {
            Ok(f) => EngineMsg::Tasks {
                scope,
                tasks: f.items,
            },
            Err(error) => EngineMsg::FetchFailed {
                what: "tasks",
                error,
            },
        };
        let _ = tx.send(msg).await;
    });
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
    let mut known = Candidates::new(endpoints, opts.endpoint_template.clone());
    let mut lost: Option<String> = None;
    let mut told: Option<Vec<String>> = None;
    let mut ready: Option<Connection> = None;
    // followed log streams: they use a session's connection and end with it
    let mut streams = logs::Streams::default();
    loop {
        let order = known.order(lost.as_deref());
        let first = order.first().cloned().unwrap_or_default();
        if tx
            .send(EngineMsg::Connecting { endpoint: first })
            .await
            .is_err()
        {
            return;
        }
        let found = match ready.take() {
            Some(c) => Ok(c),
            None => connect_any(&order, &opts.tls).await,
        };
        let conn = match found {
            Ok(c) => c,
            Err(errors) => {
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
                            Some(EngineCmd::Write(req)) => start_write(None, &opts, req, &tx, None),
                            Some(EngineCmd::ReadAudit) => start_read_audit(&opts, &tx),
                            Some(EngineCmd::ReadTasks(_)) => {}
                            Some(EngineCmd::Config { seq, cmd }) => gconf::start(None, &opts, seq, cmd, &tx),
                            Some(EngineCmd::Deploy { seq, cmd }) => deploy::start(None, &opts, seq, *cmd, &tx),
                            Some(EngineCmd::Secrets { seq, cmd }) => secrets::start(None, &opts, seq, *cmd, &tx),
                            Some(EngineCmd::TaskLogs { task, tail }) => logs::start(None, task, tail, &tx),
                            Some(EngineCmd::Cluster { seq, cmd }) => cluster::start(None, &opts, seq, cmd, &tx),
                            Some(EngineCmd::FollowLogs(req)) => streams.start(None, req, &tx),
                            Some(EngineCmd::StopLogs { stream }) => streams.stop(stream),
                            Some(EngineCmd::Digest { seq, cmd }) => digest::start(None, seq, cmd, &tx),
                            None => return,
                        },
                    }
                }
                continue;
            }
        };
        let msg = EngineMsg::Connected {
            endpoint: conn.endpoint.clone(),
            info: conn.info.clone(),
        };
        if tx.send(msg).await.is_err() {
            return;
        }
        if conn.electing {
            let msg = EngineMsg::FetchFailed {
                what: "info",
                error: FetchError::NoLeader(conn.info.swarm_error.clone()),
            };
            if tx.send(msg).await.is_err() {
                return;
            }
        }
        let mut link = Link {
            known: &mut known,
            told: &mut told,
        };
        let end = session(
            &conn,
            &opts,
            &tx,
            &mut cmd_rx,
            &mut scope,
            &mut watched,
            &mut link,
            &mut streams,
        )
        .await;
        match end {
            SessionEnd::Quit => return,
            SessionEnd::Lost(reason) => {
                streams.lost(&reason, &tx).await;
                let msg = EngineMsg::Lost {
                    endpoint: conn.endpoint.clone(),
                    reason,
                };
                if tx.send(msg).await.is_err() {
                    return;
                }
                lost = Some(conn.endpoint.clone());
            }
            SessionEnd::Better(c) => {
                streams.lost("another manager took over", &tx).await;
                ready = Some(*c);
            }
        }
    }
}

/// Try every endpoint at once; the first in `order` that connects wins, waiting briefly for
/// an earlier one when a later one answers first (a dead manager costs no more than its
/// timeout, and a healthy first endpoint keeps being the one used).
pub async fn connect_any(
    order: &[String],
    tls: &connect::Tls,
) -> Result<Connection, Vec<ConnectError>> {
    use futures_util::StreamExt as _;
    use futures_util::stream::FuturesUnordered;
    let mut pending: FuturesUnordered<_> = order
        .iter()
        .enumerate()
        .map(|(i, ep)| async move { (i, connect::connect_with(ep, tls).await) })
        .collect();
    let mut errors: Vec<Option<ConnectError>> = vec![None; order.len()];
    let mut done = vec![false; order.len()];
    // a manager with a leader beats one waiting for a leader; then the order decides
    let mut best: Option<((bool, usize), Connection)> = None;
    let mut until: Option<Instant> = None;
    loop {
        let next = match until {
            Some(u) => {
                match timeout(u.saturating_duration_since(Instant::now()), pending.next()).await {
                    Ok(n) => n,
                    Err(_) => break,
                }
            }
            None => pending.next().await,
        };
        let Some((i, result)) = next else { break };
        done[i] = true;
        match result {
            Ok(c) => {
                let rank = (c.electing, i);
                if best.as_ref().is_none_or(|(b, _)| rank < *b) {
                    best = Some((rank, c));
                }
                let wait = if rank.0 {
                    connect::INFO_TIMEOUT + CONNECT_GRACE
                } else {
                    CONNECT_GRACE
                };
                let u = Instant::now() + wait;
                until = Some(until.map_or(u, |old| old.min(u)));
            }
            Err(e) => errors[i] = Some(e),
        }
        if let Some(((false, b), _)) = &best
            && done[..*b].iter().all(|d| *d)
        {
            break;
        }
    }
    match best {
        Some((_, c)) => Ok(c),
        None => Err(errors.into_iter().flatten().collect()),
    }
}

/// How long a connection that answered waits for an endpoint earlier in the order.
const CONNECT_GRACE: Duration = Duration::from_millis(400);

/// What a session tells the connection loop: the endpoints it discovered.
struct Link<'a> {
    known: &'a mut Candidates,
    /// The failover endpoints last sent to the UI.
    told: &'a mut Option<Vec<String>>,
}

impl Link<'_> {
    /// Learn the managers' addresses (from `/info` and the node list) and tell the UI the
    /// failover endpoints when they changed.
    async fn learn(
        &mut self,
        conn: &Connection,
        hosts: Vec<String>,
        tx: &mpsc::Sender<EngineMsg>,
    ) -> bool {
        let own = crate::domain::strip_port(&conn.info.node_addr).to_string();
        self.known.discover(hosts, &own);
        let failover: Vec<String> = self
            .known
            .all()
            .into_iter()
            .filter(|e| *e != conn.endpoint)
            .collect();
        if self.told.as_ref() != Some(&failover) {
            *self.told = Some(failover.clone());
            return tx
                .send(EngineMsg::Failover {
                    endpoints: failover,
                })
                .await
                .is_ok();
        }
        true
    }
}

/// Where the engine may connect: the configured endpoints in their order, then the ones
/// discovered from the managers' addresses through `endpoint_template`.
#[derive(Debug, Clone, Default)]
pub struct Candidates {
    configured: Vec<String>,
    template: Option<String>,
    discovered: Vec<String>,
}

impl Candidates {
    pub fn new(configured: Vec<String>, template: Option<String>) -> Self {
        Candidates {
            configured,
            template,
            discovered: Vec::new(),
        }
    }

    /// Every endpoint, configured first, each once.
    pub fn all(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for e in self.configured.iter().chain(&self.discovered) {
            let e = connect::normalize(e);
            if !out.contains(&e) {
                out.push(e);
            }
        }
        out
    }

    /// The order to try: every endpoint, the one just lost last.
    pub fn order(&self, lost: Option<&str>) -> Vec<String> {
        let mut all = self.all();
        if let Some(lost) = lost
            && let Some(i) = all.iter().position(|e| e == lost)
        {
            let e = all.remove(i);
            all.push(e);
        }
        all
    }

    /// Managers' hosts seen (`own`, the connected manager's, left out): with a template they
    /// become the discovered endpoints. An empty list changes nothing (a failed read).
    pub fn discover(&mut self, hosts: Vec<String>, own: &str) {
        let Some(t) = &self.template else {
            return;
        };
        if hosts.is_empty() {
            return;
        }
        let mut found: Vec<String> = Vec::new();
        for h in hosts {
            if h.is_empty() || h == own {
                continue;
            }
            let e = apply_template(t, &h);
            if !found.contains(&e) {
                found.push(e);
            }
        }
        // a manager seen once stays a candidate: it may be the one that is down now
        for e in found {
            if !self.discovered.contains(&e) {
                self.discovered.push(e);
            }
        }
    }
}

/// `endpoint_template` with `{addr}` replaced by a manager's host (an IPv6 address in
/// brackets, as endpoints write it).
pub fn apply_template(template: &str, host: &str) -> String {
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    template.replace("{addr}", &host)
}

/// Whether a template makes endpoints: it must hold `{addr}` and give a valid endpoint.
pub fn check_template(template: &str) -> Result<(), String> {
    if !template.contains("{addr}") {
        return Err(format!(
            "endpoint_template {template:?} has no {{addr}} (e.g. \"ssh://admin@{{addr}}\" or \"tcp://{{addr}}:2376\")"
        ));
    }
    let sample = apply_template(template, "198.51.100.1");
    crate::endpoint::parse(&sample)
        .map(|_| ())
        .map_err(|why| format!("endpoint_template {template:?} does not make an endpoint: {why}"))
}

/// The managers' hosts as this connection knows them: `/info`'s remote managers and the
/// node list's manager addresses.
fn manager_hosts(info: Option<&EngineInfo>, nodes: Option<&[Node]>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let from_info = info.into_iter().flat_map(|i| i.remote_managers.iter());
    let from_nodes = nodes
        .into_iter()
        .flatten()
        .filter_map(|n| n.manager.as_ref().map(|m| &m.addr));
    for a in from_info.chain(from_nodes) {
        let h = crate::domain::strip_port(a).to_string();
        if !h.is_empty() && !out.contains(&h) {
            out.push(h);
        }
    }
    out
}

enum SessionEnd {
    Quit,
    Lost(String),
    /// While this manager had no leader, another one answered with a leader: use it.
    Better(Box<Connection>),
}

/// How long a manager without a leader is waited on before the others are tried, and how
/// often they are tried again.
const SCOUT_AFTER: Duration = Duration::from_secs(2);
const SCOUT_EVERY: Duration = Duration::from_secs(3);

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

/// What one connection keeps between reads.
#[derive(Default)]
struct SessionState {
    live_sig: Option<u64>,
    /// What this connection sent last: a new connection sends every list again.
    last: LastSent,
    /// The live tasks' ids at the last poll (none yet: nothing to compare).
    live_ids: Option<std::collections::HashSet<crate::domain::TaskId>>,
    /// The engine says there is no leader: the lists wait for one.
    no_leader: bool,
    /// What the last read learnt of the managers' hosts.
    hosts: Vec<String>,
}

/// Ping the manager every `every`; after `failures` misses in a row, say why and stop.
async fn heartbeat(
    docker: bollard::Docker,
    every: Duration,
    failures: u32,
    dead: tokio::sync::oneshot::Sender<String>,
) {
    let mut tick = interval(every);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let limit = every.clamp(Duration::from_millis(500), Duration::from_secs(2));
    let mut missed = 0u32;
    loop {
        tick.tick().await;
        match timeout(limit, docker.ping()).await {
            Ok(Ok(_)) => missed = 0,
            _ => missed += 1,
        }
        if missed >= failures.max(1) {
            let _ = dead.send(format!("no answer to {missed} pings"));
            return;
        }
    }
}

/// How long a read may wait for a leader to be elected (the engine's own limit is 20 s).
const LEADER_WAIT: Duration = Duration::from_secs(25);

#[allow(clippy::too_many_arguments)]
async fn session(
    conn: &Connection,
    opts: &EngineOptions,
    tx: &mpsc::Sender<EngineMsg>,
    cmd_rx: &mut mpsc::UnboundedReceiver<EngineCmd>,
    scope: &mut Option<TaskScope>,
    watched: &mut Vec<NodeId>,
    link: &mut Link<'_>,
    streams: &mut logs::Streams,
) -> SessionEnd {
    let timings = &opts.timings;
    let docker = &conn.docker;
    let patient = conn.docker.clone().with_timeout(LEADER_WAIT);
    let (ev_tx, mut ev_rx) = mpsc::channel(256);
    let watcher = tokio::spawn(events::watch(docker.clone(), ev_tx));
    let _abort = AbortOnDrop(watcher);
    let (dead_tx, mut dead_rx) = tokio::sync::oneshot::channel();
    let beat = tokio::spawn(heartbeat(
        docker.clone(),
        timings.heartbeat,
        timings.heartbeat_failures,
        dead_tx,
    ));
    let _abort_beat = AbortOnDrop(beat);

    let mut st = SessionState {
        no_leader: conn.electing,
        ..Default::default()
    };
    if !link
        .learn(conn, manager_hosts(Some(&conn.info), None), tx)
        .await
    {
        return SessionEnd::Quit;
    }
    let mut dirty = if conn.electing {
        Dirty::default()
    } else {
        Dirty::all()
    };
    let mut due = (!conn.electing).then(Instant::now);
    let mut tasks_tick = interval(timings.task_poll);
    let mut nodes_tick = interval(timings.node_poll);
    let mut reconcile_tick = interval(timings.reconcile);
    let mut leader_tick = interval(Duration::from_secs(1));
    for t in [
        &mut tasks_tick,
        &mut nodes_tick,
        &mut reconcile_tick,
        &mut leader_tick,
    ] {
        t.set_missed_tick_behavior(MissedTickBehavior::Delay);
    }
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<()>();

    // A read, cancelled the moment the heartbeat gives the manager up.
    macro_rules! read {
        ($docker:expr, $work:expr) => {{
            let work = $work;
            tokio::select! {
                biased;
                reason = &mut dead_rx => {
                    return SessionEnd::Lost(reason.unwrap_or_else(|_| "heartbeat stopped".into()));
                }
                ok = refresh($docker, &work, scope.as_ref(), watched, &mut st, tx) => {
                    if !ok {
                        return SessionEnd::Quit;
                    }
                }
            }
            let hosts = std::mem::take(&mut st.hosts);
            if !hosts.is_empty() && !link.learn(conn, hosts, tx).await {
                return SessionEnd::Quit;
            }
        }};
    }

    loop {
        tokio::select! {
            reason = &mut dead_rx => {
                return SessionEnd::Lost(reason.unwrap_or_else(|_| "heartbeat stopped".into()));
            }
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
            _ = sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() && !st.no_leader => {
                due = None;
                let work = std::mem::take(&mut dirty);
                read!(docker, work);
            }
            _ = leader_tick.tick(), if st.no_leader => {
                // no leader: the node list waits (up to the engine's 20 s) for one, and the
                // moment it answers everything is read again. Meanwhile the other managers
                // are tried: one that has a leader (this one may be cut off from the
                // majority, or still rejoining) is taken instead.
                let others: Vec<String> = link
                    .known
                    .all()
                    .into_iter()
                    .filter(|e| *e != conn.endpoint)
                    .collect();
                let scout = async {
                    if others.is_empty() {
                        std::future::pending::<()>().await;
                    }
                    sleep(SCOUT_AFTER).await;
                    loop {
                        if let Ok(c) = connect_any(&others, &opts.tls).await
                            && !c.electing
                        {
                            return c;
                        }
                        sleep(SCOUT_EVERY).await;
                    }
                };
                let work = Dirty { nodes: true, ..Default::default() };
                tokio::select! {
                    biased;
                    reason = &mut dead_rx => {
                        return SessionEnd::Lost(reason.unwrap_or_else(|_| "heartbeat stopped".into()));
                    }
                    ok = refresh(&patient, &work, scope.as_ref(), watched, &mut st, tx) => {
                        if !ok {
                            return SessionEnd::Quit;
                        }
                    }
                    better = scout => return SessionEnd::Better(Box::new(better)),
                }
                let hosts = std::mem::take(&mut st.hosts);
                if !hosts.is_empty() && !link.learn(conn, hosts, tx).await {
                    return SessionEnd::Quit;
                }
                if !st.no_leader {
                    st.last.forget_all();
                    dirty = Dirty::all();
                    due = Some(Instant::now());
                }
            }
            _ = tasks_tick.tick(), if !st.no_leader => {
                read!(docker, Dirty { tasks: true, ..Default::default() });
            }
            _ = nodes_tick.tick(), if !st.no_leader => {
                read!(docker, Dirty { nodes: true, info: true, ..Default::default() });
            }
            _ = reconcile_tick.tick(), if !st.no_leader => {
                read!(docker, Dirty::all());
            }
            Some(()) = done_rx.recv() => {
                // a write finished (its WriteDone is sent): what follows it is sent even if
                // unchanged, so the app sees a read made after the write
                st.last.forget_all();
                dirty = Dirty::all();
                due = Some(Instant::now());
            }
            cmd = cmd_rx.recv() => match cmd {
                Some(EngineCmd::SetTaskScope(s)) => {
                    *scope = s;
                    // a scope shown again gets its list, even if it is the one sent before
                    st.last.forget_scopes();
                    dirty.tasks = true;
                    due = Some(Instant::now());
                }
                Some(EngineCmd::Refresh) => {
                    st.last.forget_all();
                    dirty = Dirty::all();
                    due = Some(Instant::now());
                }
                Some(EngineCmd::WatchNodes(n)) => {
                    *watched = n;
                    st.last.forget_scopes();
                    dirty.tasks = true;
                    due = Some(Instant::now());
                }
                Some(EngineCmd::Write(req)) => {
                    start_write(Some(conn), opts, req, tx, Some(done_tx.clone()));
                    // what the write changed shows at once, not at the next poll
                    dirty = Dirty::all();
                    due = Some(Instant::now() + Duration::from_millis(300));
                }
                Some(EngineCmd::ReadAudit) => start_read_audit(opts, tx),
                Some(EngineCmd::ReadTasks(scope)) => start_read_tasks(conn, scope, tx),
                Some(EngineCmd::TaskLogs { task, tail }) => logs::start(Some(conn), task, tail, tx),
                Some(EngineCmd::FollowLogs(req)) => streams.start(Some(conn), req, tx),
                Some(EngineCmd::StopLogs { stream }) => streams.stop(stream),
                Some(EngineCmd::Digest { seq, cmd }) => digest::start(Some(conn), seq, cmd, tx),
                Some(EngineCmd::Deploy { seq, cmd }) => {
                    let writes = cmd.writes();
                    deploy::start(Some(conn), opts, seq, *cmd, tx);
                    if writes {
                        dirty = Dirty::all();
                        due = Some(Instant::now() + Duration::from_millis(300));
                    }
                }
                Some(EngineCmd::Cluster { seq, cmd }) => {
                    let writes = cmd.writes();
                    cluster::start(Some(conn), opts, seq, cmd, tx);
                    if writes {
                        dirty = Dirty::all();
                        due = Some(Instant::now() + Duration::from_millis(300));
                    }
                }
                Some(EngineCmd::Config { seq, cmd }) => {
                    let writes = cmd.writes();
                    gconf::start(Some(conn), opts, seq, cmd, tx);
                    if writes {
                        dirty = Dirty::all();
                        due = Some(Instant::now() + Duration::from_millis(300));
                    }
                }
                Some(EngineCmd::Secrets { seq, cmd }) => {
                    let writes = cmd.writes();
                    secrets::start(Some(conn), opts, seq, *cmd, tx);
                    if writes {
                        dirty = Dirty::all();
                        due = Some(Instant::now() + Duration::from_millis(300));
                    }
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

/// A read that timed out while the heartbeat still gets answers is a manager waiting for a
/// leader (a dead manager ends the session before its reads time out).
fn no_leader_if_timeout(error: FetchError) -> FetchError {
    match error {
        FetchError::Transport(m) if m.to_lowercase().contains("timeout") => {
            FetchError::NoLeader(format!(
                "the manager answers pings but its swarm requests time out ({m}): no leader (an election, or quorum lost)"
            ))
        }
        other => other,
    }
}

/// At most this many tasks that left the live list are read per poll.
const ENDED_READS: usize = 20;

/// Read what is dirty and send it. Returns false when the UI is gone.
async fn refresh(
    docker: &bollard::Docker,
    work: &Dirty,
    scope: Option<&TaskScope>,
    watched: &[NodeId],
    st: &mut SessionState,
    tx: &mpsc::Sender<EngineMsg>,
) -> bool {
    let mut out = Vec::new();
    let mut info_read = None;
    if work.info {
        match fetch::engine_info(docker).await {
            Ok(info) => {
                info_read = Some(info.clone());
                out.push(EngineMsg::Info(info));
            }
            Err(error) => out.push(EngineMsg::FetchFailed {
                what: "info",
                error: no_leader_if_timeout(error),
            }),
        }
    }
    let mut nodes_read: Option<Vec<Node>> = None;
    if work.nodes {
        let result = fetch::nodes(docker).await.map_err(no_leader_if_timeout);
        if let Ok(f) = &result {
            nodes_read = Some(f.items.clone());
        }
        push_fetched(&mut out, &mut st.last, "nodes", result, EngineMsg::Nodes);
    }
    if work.services {
        push_fetched(
            &mut out,
            &mut st.last,
            "services",
            fetch::services(docker).await.map_err(no_leader_if_timeout),
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
            let result = fetch::tasks(docker, &scope)
                .await
                .map_err(no_leader_if_timeout);
            if scope == TaskScope::Live
                && let Ok(f) = &result
            {
                let sig = live_signature(&f.items);
                if st.live_sig.replace(sig).is_some_and(|old| old != sig) && !work.services {
                    // task states moved: the running/desired counts did too
                    push_fetched(
                        &mut out,
                        &mut st.last,
                        "services",
                        fetch::services(docker).await,
                        EngineMsg::Services,
                    );
                }
                let ids: std::collections::HashSet<_> =
                    f.items.iter().map(|t| t.id.clone()).collect();
                if let Some(before) = st.live_ids.replace(ids.clone()) {
                    let gone: Vec<_> = before.difference(&ids).take(ENDED_READS).cloned().collect();
                    let mut ended = Vec::new();
                    for id in gone {
                        if let Ok(Ok(t)) =
                            timeout(Duration::from_secs(2), docker.inspect_task(&id.0)).await
                        {
                            ended.push(Task::from(t));
                        }
                    }
                    if !ended.is_empty() {
                        out.push(EngineMsg::TasksEnded(ended));
                    }
                }
            }
            push_fetched(&mut out, &mut st.last, "tasks", result, |tasks| {
                EngineMsg::Tasks { scope, tasks }
            });
        }
    }
    let no_leader = out.iter().any(|m| {
        matches!(
            m,
            EngineMsg::FetchFailed {
                error: FetchError::NoLeader(_),
                ..
            }
        )
    });
    if no_leader {
        st.no_leader = true;
    } else if nodes_read.is_some() {
        st.no_leader = false;
    }
    st.hosts = manager_hosts(info_read.as_ref(), nodes_read.as_deref());
    for msg in out {
        if tx.send(msg).await.is_err() {
            return false;
        }
    }
    true
}

/// Queue a read's result: its unreadable fields (if any), then the data or the error; or,
/// when the list and its unreadable fields are exactly the ones last sent,
/// [`EngineMsg::Unchanged`] (once per `what` in one refresh).
fn push_fetched<T>(
    out: &mut Vec<EngineMsg>,
    last: &mut LastSent,
    what: &'static str,
    result: Result<fetch::Fetched<T>, FetchError>,
    msg: impl FnOnce(Vec<T>) -> EngineMsg,
) {
    match result {
        Ok(f) => {
            let list = msg(f.items);
            if last.is_new(&f.unreadable, &list) {
                if !f.unreadable.is_empty() {
                    out.push(EngineMsg::Unreadable(f.unreadable));
                }
                out.push(list);
            } else if !out
                .iter()
                .any(|m| matches!(m, EngineMsg::Unchanged { what: w } if *w == what))
            {
                out.push(EngineMsg::Unchanged { what });
            }
        }
        Err(error) => out.push(EngineMsg::FetchFailed { what, error }),
    }
}

/// Which list a message carries.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ListKey {
    Nodes,
    Services,
    Tasks(TaskScope),
}

impl ListKey {
    fn of(msg: &EngineMsg) -> Option<Self> {
        match msg {
            EngineMsg::Nodes(_) => Some(ListKey::Nodes),
            EngineMsg::Services(_) => Some(ListKey::Services),
            EngineMsg::Tasks { scope, .. } => Some(ListKey::Tasks(scope.clone())),
            _ => None,
        }
    }
}

/// The lists one connection last sent to the UI (with the unreadable fields read with
/// them), so that a list is sent only when it changed. Forgotten when the UI must get a list
/// again whatever it holds: a new connection (a new `LastSent`), a refresh, a write done,
/// a scope shown again.
#[derive(Debug, Default)]
struct LastSent {
    sent: std::collections::HashMap<ListKey, (Vec<Unreadable>, EngineMsg)>,
}

impl LastSent {
    /// Whether `msg` differs from the list last sent under its key; remembers it if so.
    /// A message that carries no list is always new.
    fn is_new(&mut self, unreadable: &[Unreadable], msg: &EngineMsg) -> bool {
        let Some(key) = ListKey::of(msg) else {
            return true;
        };
        if self
            .sent
            .get(&key)
            .is_some_and(|(u, m)| u.as_slice() == unreadable && m == msg)
        {
            return false;
        }
        self.sent.insert(key, (unreadable.to_vec(), msg.clone()));
        true
    }

    /// Forget the task lists of every scope but the live one.
    fn forget_scopes(&mut self) {
        self.sent
            .retain(|k, _| !matches!(k, ListKey::Tasks(s) if *s != TaskScope::Live));
    }

    fn forget_all(&mut self) {
        self.sent.clear();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::TaskId;

    fn node(id: &str) -> Node {
        Node {
            id: NodeId(id.into()),
            hostname: id.into(),
            ..Default::default()
        }
    }

    fn task(id: &str) -> Task {
        Task {
            id: TaskId(id.into()),
            ..Default::default()
        }
    }

    fn fetched<T>(items: Vec<T>) -> Result<fetch::Fetched<T>, FetchError> {
        Ok(fetch::Fetched {
            items,
            unreadable: Vec::new(),
        })
    }

    fn nodes(out: &mut Vec<EngineMsg>, last: &mut LastSent, items: Vec<Node>) {
        push_fetched(out, last, "nodes", fetched(items), EngineMsg::Nodes);
    }

    fn tasks(out: &mut Vec<EngineMsg>, last: &mut LastSent, scope: TaskScope, items: Vec<Task>) {
        push_fetched(out, last, "tasks", fetched(items), |tasks| {
            EngineMsg::Tasks { scope, tasks }
        });
    }

    #[test]
    fn a_list_is_sent_only_when_it_changed() {
        let mut last = LastSent::default();
        let mut out = Vec::new();
        nodes(&mut out, &mut last, vec![node("a")]);
        assert_eq!(
            out,
            vec![EngineMsg::Nodes(vec![node("a")])],
            "the first is sent"
        );
        out.clear();
        nodes(&mut out, &mut last, vec![node("a")]);
        assert_eq!(out, vec![EngineMsg::Unchanged { what: "nodes" }]);
        out.clear();
        nodes(&mut out, &mut last, vec![node("a"), node("b")]);
        assert_eq!(out, vec![EngineMsg::Nodes(vec![node("a"), node("b")])]);
        out.clear();
        // back to what was sent two lists ago: that is a change too
        nodes(&mut out, &mut last, vec![node("a")]);
        assert_eq!(out, vec![EngineMsg::Nodes(vec![node("a")])]);

        // services are their own list: the same nodes do not make them unchanged
        out.clear();
        push_fetched(
            &mut out,
            &mut last,
            "services",
            fetched(vec![]),
            EngineMsg::Services,
        );
        assert_eq!(out, vec![EngineMsg::Services(vec![])]);
    }

    #[test]
    fn task_lists_are_kept_per_scope_and_unchanged_is_said_once() {
        let mut last = LastSent::default();
        let mut out = Vec::new();
        let drill = TaskScope::Node(NodeId("n1".into()));
        tasks(&mut out, &mut last, TaskScope::Live, vec![task("t1")]);
        tasks(&mut out, &mut last, drill.clone(), vec![task("t1")]);
        assert_eq!(out.len(), 2, "same tasks, other scope: sent");
        out.clear();
        tasks(&mut out, &mut last, TaskScope::Live, vec![task("t1")]);
        tasks(&mut out, &mut last, drill.clone(), vec![task("t1")]);
        assert_eq!(
            out,
            vec![EngineMsg::Unchanged { what: "tasks" }],
            "once per refresh"
        );

        // a scope shown again gets its list again; the live list stays remembered
        last.forget_scopes();
        out.clear();
        tasks(&mut out, &mut last, TaskScope::Live, vec![task("t1")]);
        tasks(&mut out, &mut last, drill.clone(), vec![task("t1")]);
        assert_eq!(
            out,
            vec![
                EngineMsg::Unchanged { what: "tasks" },
                EngineMsg::Tasks {
                    scope: drill.clone(),
                    tasks: vec![task("t1")]
                }
            ]
        );
    }

    #[test]
    fn unreadable_fields_count_and_errors_pass_and_forgetting_resends() {
        let mut last = LastSent::default();
        let mut out = Vec::new();
        let bad = Unreadable {
            path: "[0].Status.State".into(),
            reason: "unknown variant".into(),
        };
        let with = |u: Vec<Unreadable>| {
            Ok(fetch::Fetched {
                items: vec![node("a")],
                unreadable: u,
            })
        };
        push_fetched(
            &mut out,
            &mut last,
            "nodes",
            with(vec![bad.clone()]),
            EngineMsg::Nodes,
        );
        assert_eq!(out.len(), 2, "the unreadable fields, then the list");
        out.clear();
        push_fetched(
            &mut out,
            &mut last,
            "nodes",
            with(vec![bad]),
            EngineMsg::Nodes,
        );
        assert_eq!(out, vec![EngineMsg::Unchanged { what: "nodes" }]);
        out.clear();
        // the same list now read without the unreadable field: sent (the field changed)
        push_fetched(&mut out, &mut last, "nodes", with(vec![]), EngineMsg::Nodes);
        assert_eq!(out, vec![EngineMsg::Nodes(vec![node("a")])]);

        // a failed read is always sent, and does not make the next list new
        out.clear();
        let failed: Result<fetch::Fetched<Node>, FetchError> =
            Err(FetchError::Transport("timeout".into()));
        push_fetched(&mut out, &mut last, "nodes", failed, EngineMsg::Nodes);
        nodes(&mut out, &mut last, vec![node("a")]);
        assert_eq!(
            out,
            vec![
                EngineMsg::FetchFailed {
                    what: "nodes",
                    error: FetchError::Transport("timeout".into())
                },
                EngineMsg::Unchanged { what: "nodes" }
            ]
        );

        // after a write, a refresh or on a new connection everything is sent again
        last.forget_all();
        out.clear();
        nodes(&mut out, &mut last, vec![node("a")]);
        assert_eq!(out, vec![EngineMsg::Nodes(vec![node("a")])]);
        let mut fresh = LastSent::default();
        out.clear();
        nodes(&mut out, &mut fresh, vec![node("a")]);
        assert_eq!(out, vec![EngineMsg::Nodes(vec![node("a")])]);
    }

    #[test]
    fn discovered_managers_become_failover_endpoints_after_the_configured_ones() {
        let mut c = Candidates::new(
            vec!["unix:///a.sock".into()],
            Some("ssh://admin@{addr}".into()),
        );
        let info = EngineInfo {
            node_addr: "198.51.100.11".into(),
            remote_managers: vec!["198.51.100.11:2377".into(), "198.51.100.12:2377".into()],
            ..Default::default()
        };
        let mut n3 = node("n3");
        n3.manager = Some(crate::domain::ManagerInfo {
            leader: false,
            reachability: crate::domain::Reachability::Reachable,
            addr: "[2001:db8::3]:2377".into(),
        });
        let hosts = manager_hosts(Some(&info), Some(&[n3]));
        assert_eq!(hosts, ["198.51.100.11", "198.51.100.12", "2001:db8::3"]);
        c.discover(hosts, "198.51.100.11");
        assert_eq!(
            c.all(),
            [
                "unix:///a.sock",
                "ssh://admin@198.51.100.12",
                "ssh://admin@[2001:db8::3]"
            ],
            "configured first; this manager's own address left out"
        );
        // a failed read teaches nothing and forgets nothing
        c.discover(vec![], "x");
        assert_eq!(c.all().len(), 3);
        // the one just lost is tried last
        assert_eq!(
            c.order(Some("unix:///a.sock")).last().map(String::as_str),
            Some("unix:///a.sock")
        );
        // without a template nothing is discovered
        let mut plain = Candidates::new(vec!["unix:///a.sock".into()], None);
        plain.discover(vec!["198.51.100.12".into()], "");
        assert_eq!(plain.all(), ["unix:///a.sock"]);
    }

    #[test]
    fn a_template_must_name_addr_and_make_an_endpoint() {
        assert_eq!(check_template("tcp://{addr}:2376"), Ok(()));
        assert_eq!(check_template("ssh://admin@{addr}"), Ok(()));
        assert!(
            check_template("ssh://admin@manager")
                .unwrap_err()
                .contains("{addr}")
        );
        assert!(
            check_template("ftp://{addr}")
                .unwrap_err()
                .contains("does not make an endpoint")
        );
        assert_eq!(
            apply_template("tcp://{addr}:2376", "::1"),
            "tcp://[::1]:2376"
        );
    }

    #[test]
    fn audit_entries_name_every_kind() {
        let labels = WriteChange::Labels {
            set: [("k".to_string(), "v".to_string())].into(),
            remove: vec![],
            seen: BTreeMap::new(),
        };
        let targets = [
            (
                WriteTarget::Node {
                    id: NodeId("n1".into()),
                    name: "node3".into(),
                },
                ("node", "n1", "node3"),
            ),
            (
                WriteTarget::Service {
                    id: ServiceId("s1".into()),
                    name: "web".into(),
                },
                ("service", "s1", "web"),
            ),
            (WriteTarget::Swarm, ("swarm", "", "swarm")),
            (
                WriteTarget::Config {
                    id: ConfigId("c1".into()),
                    name: "app.conf-v1".into(),
                },
                ("config", "c1", "app.conf-v1"),
            ),
            (
                WriteTarget::Secret {
                    id: SecretId("x1".into()),
                    name: "pw".into(),
                },
                ("secret", "x1", "pw"),
            ),
        ];
        for (target, (kind, id, name)) in targets {
            let req = WriteRequest {
                seq: 1,
                target,
                change: labels.clone(),
                action: "labels +k=v".into(),
            };
            let result = Err(write::WriteError::Transport("not connected".into()));
            let entry = audit_entry(&req, None, &result);
            assert_eq!(
                (entry.kind.as_str(), entry.id.as_str(), entry.name.as_str()),
                (kind, id, name)
            );
            assert_eq!(entry.action, "labels +k=v");
        }
    }

    #[tokio::test]
    async fn a_change_that_does_not_fit_its_target_is_refused_unsent() {
        let docker = bollard::Docker::connect_with_http(
            "http://192.0.2.1:9",
            1,
            bollard::API_DEFAULT_VERSION,
        )
        .expect("client");
        let node = WriteTarget::Node {
            id: NodeId("n1".into()),
            name: "node3".into(),
        };
        for (target, change) in [
            (node.clone(), WriteChange::ForceUpdate),
            (node, WriteChange::Scale { seen: 1, to: 2 }),
            (
                WriteTarget::Swarm,
                WriteChange::Node(write::NodeChange::Role {
                    seen: crate::domain::Role::Worker,
                    to: crate::domain::Role::Manager,
                }),
            ),
            (
                WriteTarget::Config {
                    id: ConfigId("c1".into()),
                    name: "c".into(),
                },
                WriteChange::ForceUpdate,
            ),
        ] {
            let result = run_write(&docker, &target, &change).await;
            assert_eq!(
                result,
                Err(write::WriteError::Refused(
                    "that change does not apply to that object".into()
                )),
                "{target:?} {change:?}"
            );
        }
    }
}
