//! The scale engine: a fake Docker Engine API server on a unix socket, serving a generated
//! swarm ([`swarm`]) of 3 to 1,000 nodes and 60 to 20,000 running tasks with the history Swarm
//! keeps — the one place a fake is right: no lab holds 20,000 tasks. It answers what the
//! dashboard asks (`/_ping`, `/version`, `/info`, `/nodes`, `/services?status=true`, `/tasks`
//! with the `filters` query, `/tasks/ID`, `/events` streaming), pushes node and service
//! events on demand, changes tasks (which, as in Swarm, have no events), waits a configurable
//! latency before every answer, and counts the requests and bytes it serves per path. Its
//! nodes' addresses are on loopback, where it also listens on their raft (2377) or gossip
//! (7946) port, so the dashboard's reachability probes see the nodes that are up.
//!
//! Used by `cargo bench --bench scale` (tests/bench/scale.rs) and tests/scale_smoke.rs,
//! through `#[path]`: test code only, never in the release binary. [`Proxy`] counts the same
//! way in front of a real engine's socket (the bench's `--lab` mode).
#![allow(dead_code)]

pub mod figures;
pub mod swarm;
pub mod term;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::mpsc;

#[allow(unused_imports)]
pub use swarm::{LARGE, MEDIUM, Mode, SMALL, Size, Swarm, TaskRec};

/// Requests and bytes served (head and body) for one path.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub requests: u64,
    pub bytes: u64,
}

pub type Counts = BTreeMap<String, Count>;

/// `after - before`, per path.
pub fn counts_between(before: &Counts, after: &Counts) -> Counts {
    after
        .iter()
        .map(|(k, a)| {
            let b = before.get(k).copied().unwrap_or_default();
            (
                k.clone(),
                Count {
                    requests: a.requests - b.requests,
                    bytes: a.bytes - b.bytes,
                },
            )
        })
        .filter(|(_, c)| c.requests > 0 || c.bytes > 0)
        .collect()
}

/// A task list that is not scoped to one service, node or task: what the target counts
/// ("≤ one full task list per minute").
pub fn is_full_task_list(label: &str) -> bool {
    label == "GET /tasks" || label.starts_with("GET /tasks?desired-state")
}

#[derive(Default)]
struct Counter {
    counts: Mutex<Counts>,
}

impl Counter {
    fn add(&self, label: &str, requests: u64, bytes: u64) {
        let mut c = self.counts.lock().expect("counts");
        let e = c.entry(label.to_string()).or_default();
        e.requests += requests;
        e.bytes += bytes;
    }
    fn snapshot(&self) -> Counts {
        self.counts.lock().expect("counts").clone()
    }
}

/// The path a request is counted under: the API version dropped, an object id as `{id}`, the
/// filter names of a task list (`GET /tasks?desired-state`), `?status` on a service list.
pub fn label(method: &str, target: &str) -> String {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if segs
        .first()
        .is_some_and(|s| s.starts_with('v') && s[1..].contains('.'))
    {
        segs.remove(0);
    }
    let mut out = String::new();
    for (i, s) in segs.iter().enumerate() {
        out.push('/');
        out.push_str(if i == 1 && segs[0] != "_ping" {
            "{id}"
        } else {
            s
        });
    }
    if out.is_empty() {
        out.push('/');
    }
    let q = parse_query(query);
    if segs.len() == 1
        && segs[0] == "tasks"
        && let Some(f) = q.get("filters").and_then(|f| parse_filters(f).ok())
        && !f.is_empty()
    {
        let keys: Vec<&str> = f.keys().map(String::as_str).collect();
        out.push('?');
        out.push_str(&keys.join(","));
    }
    if segs.len() == 1
        && segs[0] == "services"
        && q.get("status").is_some_and(|v| v == "true" || v == "1")
    {
        out.push_str("?status");
    }
    format!("{method} {out}")
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (b[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn parse_query(q: &str) -> HashMap<String, String> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// The engine's `filters` JSON: `{"key": ["v", …]}` or `{"key": {"v": true}}`.
pub fn parse_filters(text: &str) -> Result<BTreeMap<String, Vec<String>>, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("invalid filters: {e}"))?;
    let obj = v.as_object().ok_or("invalid filters: not an object")?;
    let mut out = BTreeMap::new();
    for (k, vals) in obj {
        let list = match vals {
            Value::Array(a) => a
                .iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect(),
            Value::Object(m) => m
                .iter()
                .filter(|(_, b)| b.as_bool() == Some(true))
                .map(|(k, _)| k.clone())
                .collect(),
            _ => return Err(format!("invalid filter '{k}'")),
        };
        out.insert(k.clone(), list);
    }
    Ok(out)
}

/// A slot: a replicated service's number, or a global service's node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum SlotKey {
    Slot(usize, u64),
    Node(usize, usize),
}

struct State {
    swarm: Swarm,
    tasks: Vec<Option<TaskRec>>,
    free: Vec<usize>,
    by_id: HashMap<String, usize>,
    by_slot: HashMap<SlotKey, Vec<usize>>,
    generation: u64,
    cache: HashMap<String, (u64, Arc<Vec<u8>>)>,
}

fn slot_key(t: &TaskRec) -> Option<SlotKey> {
    match (t.slot, t.node) {
        (Some(s), _) => Some(SlotKey::Slot(t.service, s)),
        (None, Some(n)) => Some(SlotKey::Node(t.service, n)),
        (None, None) => None,
    }
}

impl State {
    fn new(mut swarm: Swarm) -> State {
        let tasks = std::mem::take(&mut swarm.tasks);
        let mut st = State {
            swarm,
            tasks: Vec::with_capacity(tasks.len()),
            free: Vec::new(),
            by_id: HashMap::with_capacity(tasks.len()),
            by_slot: HashMap::new(),
            generation: 0,
            cache: HashMap::new(),
        };
        for t in tasks {
            st.insert(t);
        }
        st
    }

    fn insert(&mut self, t: TaskRec) -> usize {
        let key = slot_key(&t);
        let id = t.id.clone();
        let i = match self.free.pop() {
            Some(i) => {
                self.tasks[i] = Some(t);
                i
            }
            None => {
                self.tasks.push(Some(t));
                self.tasks.len() - 1
            }
        };
        self.by_id.insert(id, i);
        if let Some(k) = key {
            self.by_slot.entry(k).or_default().push(i);
        }
        i
    }

    fn remove(&mut self, i: usize) {
        if let Some(t) = self.tasks[i].take() {
            self.by_id.remove(&t.id);
            if let Some(k) = slot_key(&t)
                && let Some(v) = self.by_slot.get_mut(&k)
            {
                v.retain(|&x| x != i);
            }
            self.free.push(i);
        }
    }

    fn changed(&mut self) {
        self.generation += 1;
    }

    fn live(&self) -> impl Iterator<Item = &TaskRec> {
        self.tasks.iter().flatten()
    }

    /// `ServiceStatus` as the engine computes it (moby's daemon/cluster/services.go): running
    /// tasks on nodes that are not down; a global service desires one task per such node that
    /// should run; a replicated service its replicas; completed job tasks.
    fn service_status(&self) -> Vec<(u64, u64, u64)> {
        let up: Vec<bool> = self
            .swarm
            .nodes
            .iter()
            .map(|n| n.state() != "down")
            .collect();
        let mut s = vec![(0u64, 0u64, 0u64); self.swarm.services.len()];
        for t in self.live() {
            let on_up = t.node.is_some_and(|n| up[n]);
            if on_up && t.state == "running" {
                s[t.service].0 += 1;
            }
            if on_up
                && t.desired == "running"
                && self.swarm.services[t.service].mode == Mode::Global
            {
                s[t.service].1 += 1;
            }
            if t.state == "complete" && t.desired == "complete" {
                s[t.service].2 += 1;
            }
        }
        for (i, svc) in self.swarm.services.iter().enumerate() {
            match svc.mode {
                Mode::Global => {}
                Mode::GlobalJob => s[i].1 = 0,
                Mode::ReplicatedJob => {
                    s[i].1 = svc.json["Spec"]["Mode"]["ReplicatedJob"]["TotalCompletions"]
                        .as_u64()
                        .unwrap_or(0)
                }
                Mode::Replicated | Mode::Pending => {
                    s[i].1 = svc.json["Spec"]["Mode"]["Replicated"]["Replicas"]
                        .as_u64()
                        .unwrap_or(0)
                }
            }
        }
        s
    }

    fn node_index(&self, key: &str) -> Option<usize> {
        self.swarm
            .nodes
            .iter()
            .position(|n| n.id == key || n.hostname == key)
            .or_else(|| {
                let hits: Vec<usize> = (0..self.swarm.nodes.len())
                    .filter(|&i| self.swarm.nodes[i].id.starts_with(key))
                    .collect();
                (hits.len() == 1).then(|| hits[0])
            })
    }

    fn service_index(&self, key: &str) -> Option<usize> {
        self.swarm
            .services
            .iter()
            .position(|s| s.id == key || s.name == key)
            .or_else(|| {
                let hits: Vec<usize> = (0..self.swarm.services.len())
                    .filter(|&i| self.swarm.services[i].id.starts_with(key))
                    .collect();
                (hits.len() == 1).then(|| hits[0])
            })
    }
}

fn list_body<'a>(items: impl Iterator<Item = &'a str>) -> Vec<u8> {
    let mut out = Vec::with_capacity(4096);
    out.push(b'[');
    for (i, it) in items.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(it.as_bytes());
    }
    out.extend_from_slice(b"]\n");
    out
}

/// An answer: status, content type, body.
struct Answer {
    status: u16,
    ctype: &'static str,
    body: Arc<Vec<u8>>,
}

impl Answer {
    fn json(body: Vec<u8>) -> Answer {
        Answer {
            status: 200,
            ctype: "application/json",
            body: Arc::new(body),
        }
    }
    fn error(status: u16, message: &str) -> Answer {
        let mut b = serde_json::to_vec(&json!({ "message": message })).expect("json");
        b.push(b'\n');
        Answer {
            status,
            ctype: "application/json",
            body: Arc::new(b),
        }
    }
}

/// An events subscription: its `type` filter (empty: all) and where its lines go.
type Subscriber = (Vec<String>, mpsc::UnboundedSender<Arc<str>>);

struct Event {
    nano: i64,
    typ: String,
    line: Arc<str>,
}

/// The scale engine. Start it with [`Fake::start`]; its socket is [`Fake::socket`].
pub struct Fake {
    state: Mutex<State>,
    counter: Counter,
    latency_us: AtomicU64,
    subscribers: Mutex<Vec<Subscriber>>,
    events: Mutex<VecDeque<Event>>,
    last_nano: Mutex<i64>,
    pub probes: AtomicU64,
    pub socket: PathBuf,
    pub dir: tempfile::TempDir,
    pub size: Size,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl Drop for Fake {
    fn drop(&mut self) {
        for t in self.tasks.lock().expect("tasks").drain(..) {
            t.abort();
        }
    }
}

/// How many events the fake keeps for a subscription's `since`.
const EVENT_LOG: usize = 4096;

impl Fake {
    /// Serve `swarm` on a unix socket in a new temp dir, on `rt`; with `probes`, listen on
    /// every node's probe port (nodes that are up).
    pub fn start(swarm: Swarm, rt: &tokio::runtime::Handle, probes: bool) -> Arc<Fake> {
        let _enter = rt.enter();
        let dir = tempfile::Builder::new()
            .prefix("sdscale")
            .tempdir()
            .expect("a temp dir");
        let socket = dir.path().join("docker.sock");
        let listener = UnixListener::bind(&socket).expect("bind the fake's socket");
        let size = swarm.size;
        let fake = Arc::new(Fake {
            state: Mutex::new(State::new(swarm)),
            counter: Counter::default(),
            latency_us: AtomicU64::new(0),
            subscribers: Mutex::new(Vec::new()),
            events: Mutex::new(VecDeque::new()),
            last_nano: Mutex::new(0),
            probes: AtomicU64::new(0),
            socket,
            dir,
            size,
            tasks: Mutex::new(Vec::new()),
        });
        let weak = Arc::downgrade(&fake);
        let accept = rt.spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let Some(fake) = weak.upgrade() else { return };
                tokio::spawn(async move { fake.serve(sock).await });
            }
        });
        fake.tasks.lock().expect("tasks").push(accept);
        if probes {
            fake.listen_probes(rt);
        }
        fake
    }

    /// `unix://…`, for `--host`.
    pub fn endpoint(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    pub fn set_latency(&self, d: Duration) {
        self.latency_us
            .store(d.as_micros() as u64, Ordering::Relaxed);
    }

    pub fn counts(&self) -> Counts {
        self.counter.snapshot()
    }

    fn listen_probes(self: &Arc<Self>, rt: &tokio::runtime::Handle) {
        let addrs: Vec<String> = {
            let st = self.state.lock().expect("state");
            st.swarm
                .nodes
                .iter()
                .filter(|n| n.state() != "down")
                .map(|n| format!("{}:{}", n.addr, if n.manager { 2377 } else { 7946 }))
                .collect()
        };
        for addr in addrs {
            let me = Arc::downgrade(self);
            let h = rt.spawn(async move {
                // the previous fake's listener on this address may still be closing
                let mut tries = 0;
                let l = loop {
                    match tokio::net::TcpListener::bind(&addr).await {
                        Ok(l) => break l,
                        Err(_) if tries < 30 => {
                            tries += 1;
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                        Err(_) => return,
                    }
                };
                while let Ok((sock, _)) = l.accept().await {
                    drop(sock);
                    match me.upgrade() {
                        Some(f) => f.probes.fetch_add(1, Ordering::Relaxed),
                        None => return,
                    };
                }
            });
            self.tasks.lock().expect("tasks").push(h);
        }
    }

    // ---- what the test or bench does to the swarm ----

    pub fn node_count(&self) -> usize {
        self.state.lock().expect("state").swarm.nodes.len()
    }

    pub fn service_count(&self) -> usize {
        self.state.lock().expect("state").swarm.services.len()
    }

    /// Hostname, state and availability of node `i`.
    pub fn node(&self, i: usize) -> (String, String, String) {
        let st = self.state.lock().expect("state");
        let n = &st.swarm.nodes[i];
        (
            n.hostname.clone(),
            n.state().to_string(),
            n.availability().to_string(),
        )
    }

    pub fn down_nodes(&self) -> usize {
        let st = self.state.lock().expect("state");
        st.swarm
            .nodes
            .iter()
            .filter(|n| n.state() == "down")
            .count()
    }

    /// Node `i` goes `state` ("down", "ready"): its object changes and a node `update` event
    /// says so, as the engine does.
    pub fn set_node_state(&self, i: usize, state: &str) {
        let (id, attrs) = {
            let mut st = self.state.lock().expect("state");
            let index = st.swarm.version_index + 1;
            st.swarm.version_index = index;
            let n = &mut st.swarm.nodes[i];
            let old = n.state().to_string();
            n.json["Status"]["State"] = state.into();
            let status = n.json["Status"].as_object_mut().expect("status");
            if state == "down" {
                status.insert("Message".into(), "heartbeat failure".into());
            } else {
                status.remove("Message");
            }
            if n.manager {
                n.json["ManagerStatus"]["Reachability"] = if state == "down" {
                    "unreachable"
                } else {
                    "reachable"
                }
                .into();
            }
            n.json["Version"]["Index"] = index.into();
            n.json["UpdatedAt"] = swarm::ts(Timestamp::now()).into();
            let attrs = json!({ "name": n.hostname, "state.old": old, "state.new": state });
            let id = n.id.clone();
            st.changed();
            (id, attrs)
        };
        self.push_event("node", "update", &id, attrs);
    }

    /// Service `i`'s image gets a new tag: a service `update` event.
    pub fn update_service_image(&self, i: usize, tag: &str) -> String {
        let (id, attrs, image) = {
            let mut st = self.state.lock().expect("state");
            let index = st.swarm.version_index + 1;
            st.swarm.version_index = index;
            let s = &mut st.swarm.services[i];
            let old = s.json["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let base = old.rsplit_once(':').map_or(old.as_str(), |(b, _)| b);
            let image = format!("{base}:{tag}");
            s.json["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"] = image.clone().into();
            s.json["Version"]["Index"] = index.into();
            s.json["UpdatedAt"] = swarm::ts(Timestamp::now()).into();
            let attrs = json!({ "name": s.name, "image.old": old, "image.new": image });
            let id = s.id.clone();
            st.changed();
            (id, attrs, image)
        };
        self.push_event("service", "update", &id, attrs);
        image
    }

    /// Send an event to every subscriber whose `type` filter takes it (and keep it for a
    /// later `since`).
    pub fn push_event(&self, typ: &str, action: &str, actor: &str, attributes: Value) {
        let nano = {
            let mut last = self.last_nano.lock().expect("nano");
            let now = Timestamp::now().as_nanosecond() as i64;
            *last = now.max(*last + 1);
            *last
        };
        let ev = json!({
            "Type": typ,
            "Action": action,
            "Actor": { "ID": actor, "Attributes": attributes },
            "scope": "swarm",
            "time": nano.div_euclid(1_000_000_000),
            "timeNano": nano,
        });
        let line: Arc<str> = format!("{ev}\n").into();
        {
            let mut log = self.events.lock().expect("events");
            log.push_back(Event {
                nano,
                typ: typ.to_string(),
                line: line.clone(),
            });
            while log.len() > EVENT_LOG {
                log.pop_front();
            }
        }
        self.subscribers
            .lock()
            .expect("subscribers")
            .retain(|(types, tx)| {
                if types.is_empty() || types.iter().any(|t| t == typ) {
                    tx.send(line.clone()).is_ok()
                } else {
                    !tx.is_closed()
                }
            });
    }

    /// Subscriptions open now.
    pub fn subscribers(&self) -> usize {
        let mut subs = self.subscribers.lock().expect("subscribers");
        subs.retain(|(_, tx)| !tx.is_closed());
        subs.len()
    }

    /// The running tasks on node `i`: (task id, its name as `docker service ps` and the
    /// dashboard write it: `service.slot`, or the service's name for a global task).
    pub fn running_on(&self, i: usize) -> Vec<(String, String)> {
        let st = self.state.lock().expect("state");
        st.live()
            .filter(|t| t.node == Some(i) && t.state == "running" && t.desired == "running")
            .map(|t| {
                let name = &st.swarm.services[t.service].name;
                let shown = match t.slot {
                    Some(s) => format!("{name}.{s}"),
                    None => name.clone(),
                };
                (t.id.clone(), shown)
            })
            .collect()
    }

    /// One task's state and message change in place (the desired state stays): the smallest
    /// change the task poll can bring.
    pub fn set_task_state(&self, id: &str, state: &str, message: &str) {
        let mut st = self.state.lock().expect("state");
        let Some(&i) = st.by_id.get(id) else {
            panic!("no task {id} in the scale engine")
        };
        let t = st.tasks[i].as_mut().expect("a live slot");
        let mut v: Value = serde_json::from_str(&t.json).expect("task json");
        v["Status"]["State"] = state.into();
        v["Status"]["Message"] = message.into();
        v["Status"]["Timestamp"] = swarm::ts(Timestamp::now()).into();
        t.state = state.to_string();
        t.json = serde_json::to_string(&v).expect("task json");
        st.changed();
    }

    /// A running task fails and Swarm replaces it, as a crash does: the task goes to
    /// failed/shutdown, a new running task takes its slot (on another ready node for a
    /// replicated service), and the slot's oldest tasks beyond Swarm's history are deleted.
    /// `pick` chooses among the running tasks. Returns the new task's id.
    pub fn churn_task(&self, pick: u64) -> Option<String> {
        let mut st = self.state.lock().expect("state");
        let running: Vec<usize> = st
            .tasks
            .iter()
            .enumerate()
            .filter_map(|(i, t)| {
                let t = t.as_ref()?;
                (t.state == "running" && t.desired == "running").then_some(i)
            })
            .collect();
        if running.is_empty() {
            return None;
        }
        let i = running[(pick % running.len() as u64) as usize];
        let old = st.tasks[i].clone().expect("a live slot");
        let now = Timestamp::now();
        let mut v: Value = serde_json::from_str(&old.json).expect("task json");
        v["DesiredState"] = "shutdown".into();
        v["Status"]["State"] = "failed".into();
        v["Status"]["Err"] = "task: non-zero exit (1)".into();
        v["Status"]["Timestamp"] = swarm::ts(now).into();
        v["Status"]["ContainerStatus"]["ExitCode"] = 1.into();
        {
            let t = st.tasks[i].as_mut().expect("a live slot");
            t.desired = "shutdown".into();
            t.state = "failed".into();
            t.json = serde_json::to_string(&v).expect("task json");
        }
        let node = if old.slot.is_some() {
            let eligible: Vec<usize> = (0..st.swarm.nodes.len())
                .filter(|&n| st.swarm.nodes[n].eligible())
                .collect();
            let r = st.swarm.rng.below(eligible.len() as u64) as usize;
            eligible[r]
        } else {
            old.node.expect("a global task has a node")
        };
        let fresh = st
            .swarm
            .task(old.service, old.slot, Some(node), "running", now);
        let fresh_id = fresh.id.clone();
        let key = slot_key(&fresh);
        st.insert(fresh);
        if let Some(k) = key {
            let keep = swarm::OLD_PER_SLOT + 1;
            let mut in_slot = st.by_slot.get(&k).cloned().unwrap_or_default();
            // oldest first: the order they were added in
            while in_slot.len() > keep {
                let oldest = in_slot.remove(0);
                st.remove(oldest);
            }
        }
        st.changed();
        Some(fresh_id)
    }

    /// Tasks held now (running and history).
    pub fn task_count(&self) -> usize {
        self.state.lock().expect("state").by_id.len()
    }

    // ---- the server ----

    async fn serve(self: Arc<Self>, mut sock: UnixStream) {
        let mut buf: Vec<u8> = Vec::with_capacity(8192);
        let mut chunk = vec![0u8; 16 * 1024];
        loop {
            // one request head
            let end = loop {
                if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break p + 4;
                }
                match sock.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(k) => buf.extend_from_slice(&chunk[..k]),
                }
            };
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            buf.drain(..end);
            let mut lines = head.split("\r\n");
            let first = lines.next().unwrap_or_default();
            let mut parts = first.split_whitespace();
            let method = parts.next().unwrap_or_default().to_string();
            let target = parts.next().unwrap_or_default().to_string();
            let mut length = 0usize;
            let mut close = false;
            for l in lines {
                if let Some((k, v)) = l.split_once(':') {
                    let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
                    if k == "content-length" {
                        length = v.parse().unwrap_or(0);
                    } else if k == "connection" && v.eq_ignore_ascii_case("close") {
                        close = true;
                    }
                }
            }
            while buf.len() < length {
                match sock.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(k) => buf.extend_from_slice(&chunk[..k]),
                }
            }
            buf.drain(..length);
            let lab = label(&method, &target);
            let latency = self.latency_us.load(Ordering::Relaxed);
            if latency > 0 {
                tokio::time::sleep(Duration::from_micros(latency)).await;
            }
            let (path, query) = target.split_once('?').unwrap_or((&target, ""));
            if path.ends_with("/events") && method == "GET" {
                self.stream_events(sock, &lab, query).await;
                return;
            }
            let answer = self.answer(&method, path, query);
            let reason = match answer.status {
                200 => "OK",
                400 => "Bad Request",
                404 => "Not Found",
                _ => "Error",
            };
            let head = format!(
                "HTTP/1.1 {} {reason}\r\nApi-Version: 1.41\r\nContent-Type: {}\r\nDocker-Experimental: false\r\nOstype: linux\r\nServer: Docker/20.10.24+dfsg1 (linux)\r\nDate: {}\r\nContent-Length: {}\r\n\r\n",
                answer.status,
                answer.ctype,
                http_date(),
                answer.body.len()
            );
            self.counter
                .add(&lab, 1, (head.len() + answer.body.len()) as u64);
            if sock.write_all(head.as_bytes()).await.is_err()
                || (method != "HEAD" && sock.write_all(&answer.body).await.is_err())
            {
                return;
            }
            if close {
                let _ = sock.shutdown().await;
                return;
            }
        }
    }

    fn answer(&self, method: &str, path: &str, query: &str) -> Answer {
        if method != "GET" && method != "HEAD" {
            return Answer::error(
                501,
                "the scale engine serves reads only (GET): nothing was written",
            );
        }
        let segs: Vec<&str> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .skip_while(|s| s.starts_with('v') && s[1..].contains('.'))
            .collect();
        let q = parse_query(query);
        let mut st = self.state.lock().expect("state");
        let key = format!("{path}?{query}");
        if let Some((g, body)) = st.cache.get(&key)
            && *g == st.generation
        {
            return Answer {
                status: 200,
                ctype: if segs == ["_ping"] {
                    "text/plain; charset=utf-8"
                } else {
                    "application/json"
                },
                body: body.clone(),
            };
        }
        let answer = match segs.as_slice() {
            ["_ping"] => Answer {
                status: 200,
                ctype: "text/plain; charset=utf-8",
                body: Arc::new(b"OK".to_vec()),
            },
            ["version"] => Answer::json(line(&st.swarm.version)),
            ["info"] => Answer::json(line(&st.swarm.info)),
            ["nodes"] => {
                let items: Vec<String> =
                    st.swarm.nodes.iter().map(|n| n.json.to_string()).collect();
                Answer::json(list_body(items.iter().map(String::as_str)))
            }
            ["nodes", id] => match st.node_index(id) {
                Some(i) => Answer::json(line(&st.swarm.nodes[i].json)),
                None => Answer::error(404, &format!("node {id} not found")),
            },
            ["services"] => {
                let status = q.get("status").is_some_and(|v| v == "true" || v == "1");
                let counts = status.then(|| st.service_status());
                let items: Vec<String> = st
                    .swarm
                    .services
                    .iter()
                    .enumerate()
                    .map(|(i, s)| match &counts {
                        Some(c) => {
                            let mut v = s.json.clone();
                            v["ServiceStatus"] = json!({
                                "RunningTasks": c[i].0,
                                "DesiredTasks": c[i].1,
                                "CompletedTasks": c[i].2,
                            });
                            v.to_string()
                        }
                        None => s.json.to_string(),
                    })
                    .collect();
                Answer::json(list_body(items.iter().map(String::as_str)))
            }
            ["services", id] => match st.service_index(id) {
                Some(i) => Answer::json(line(&st.swarm.services[i].json)),
                None => Answer::error(404, &format!("service {id} not found")),
            },
            ["tasks"] => match self.task_list(&st, q.get("filters").map(String::as_str)) {
                Ok(body) => Answer::json(body),
                Err(e) => Answer::error(400, &e),
            },
            ["tasks", id] => match st.by_id.get(*id) {
                Some(&i) => {
                    let mut b = st.tasks[i]
                        .as_ref()
                        .expect("a live slot")
                        .json
                        .clone()
                        .into_bytes();
                    b.push(b'\n');
                    Answer::json(b)
                }
                None => Answer::error(404, &format!("task {id} not found")),
            },
            _ => Answer::error(
                404,
                "page not found (the scale engine serves only what the dashboard reads)",
            ),
        };
        if answer.status == 200 && !matches!(segs.as_slice(), ["_ping"]) {
            let g = st.generation;
            if st.cache.len() > 64 {
                st.cache.clear();
            }
            st.cache.insert(key, (g, answer.body.clone()));
        }
        answer
    }

    fn task_list(&self, st: &State, filters: Option<&str>) -> Result<Vec<u8>, String> {
        let f = match filters {
            Some(text) if !text.is_empty() => parse_filters(text)?,
            _ => BTreeMap::new(),
        };
        for k in f.keys() {
            if ![
                "desired-state",
                "service",
                "node",
                "id",
                "name",
                "label",
                "up-to-date",
            ]
            .contains(&k.as_str())
            {
                return Err(format!("invalid filter '{k}'"));
            }
            if ["name", "label", "up-to-date"].contains(&k.as_str()) {
                return Err(format!("the scale engine does not filter by '{k}'"));
            }
        }
        let desired = f.get("desired-state");
        let services: Option<Vec<usize>> = f
            .get("service")
            .map(|v| v.iter().filter_map(|s| st.service_index(s)).collect());
        let nodes: Option<Vec<usize>> = f
            .get("node")
            .map(|v| v.iter().filter_map(|n| st.node_index(n)).collect());
        let ids = f.get("id");
        let items = st.live().filter(|t| {
            desired.is_none_or(|d| d.contains(&t.desired))
                && services.as_ref().is_none_or(|s| s.contains(&t.service))
                && nodes
                    .as_ref()
                    .is_none_or(|n| t.node.is_some_and(|x| n.contains(&x)))
                && ids.is_none_or(|v| v.iter().any(|x| t.id.starts_with(x.as_str())))
        });
        Ok(list_body(items.map(|t| t.json.as_str())))
    }

    async fn stream_events(self: Arc<Self>, mut sock: UnixStream, lab: &str, query: &str) {
        let q = parse_query(query);
        let types = q
            .get("filters")
            .and_then(|f| parse_filters(f).ok())
            .and_then(|f| f.get("type").cloned())
            .unwrap_or_default();
        let since = q.get("since").and_then(|s| parse_since(s));
        let (tx, mut rx) = mpsc::unbounded_channel::<Arc<str>>();
        let backlog: Vec<Arc<str>> = {
            // subscribe and read the log under one lock: no event falls in between
            let log = self.events.lock().expect("events");
            self.subscribers
                .lock()
                .expect("subscribers")
                .push((types.clone(), tx));
            match since {
                Some(s) => log
                    .iter()
                    .filter(|e| e.nano >= s && (types.is_empty() || types.contains(&e.typ)))
                    .map(|e| e.line.clone())
                    .collect(),
                None => Vec::new(),
            }
        };
        let head = format!(
            "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\nDocker-Experimental: false\r\nOstype: linux\r\nServer: Docker/20.10.24+dfsg1 (linux)\r\nDate: {}\r\nTransfer-Encoding: chunked\r\n\r\n",
            http_date()
        );
        self.counter.add(lab, 1, head.len() as u64);
        if sock.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        let (mut rd, mut wr) = sock.into_split();
        let me = self.clone();
        let lab = lab.to_string();
        let write = async move {
            for line in backlog {
                if !me.send_chunk(&mut wr, &lab, &line).await {
                    return;
                }
            }
            while let Some(line) = rx.recv().await {
                if !me.send_chunk(&mut wr, &lab, &line).await {
                    return;
                }
            }
        };
        let mut sink = [0u8; 256];
        let closed = async move {
            loop {
                match rd.read(&mut sink).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
            }
        };
        tokio::select! {
            _ = write => {}
            _ = closed => {}
        }
    }

    async fn send_chunk(
        &self,
        wr: &mut tokio::net::unix::OwnedWriteHalf,
        lab: &str,
        line: &str,
    ) -> bool {
        let chunk = format!("{:x}\r\n{line}\r\n", line.len());
        self.counter.add(lab, 0, chunk.len() as u64);
        wr.write_all(chunk.as_bytes()).await.is_ok()
    }
}

fn line(v: &Value) -> Vec<u8> {
    let mut b = serde_json::to_vec(v).expect("json");
    b.push(b'\n');
    b
}

/// `since` as the engine takes it: seconds, optionally `.nanoseconds`.
fn parse_since(s: &str) -> Option<i64> {
    let (secs, frac) = s.split_once('.').unwrap_or((s, "0"));
    let secs: i64 = secs.parse().ok()?;
    let mut frac = frac.to_string();
    frac.truncate(9);
    while frac.len() < 9 {
        frac.push('0');
    }
    Some(secs * 1_000_000_000 + frac.parse::<i64>().ok()?)
}

fn http_date() -> String {
    Timestamp::now()
        .strftime("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

/// A counting proxy in front of a real engine's unix socket: every byte passes unchanged;
/// the requests (by [`label`]) and the bytes answered are counted as the fake counts them.
pub struct Proxy {
    counter: Arc<Counter>,
    pub socket: PathBuf,
    pub dir: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    pub fn start(upstream: &Path, rt: &tokio::runtime::Handle) -> Proxy {
        let _enter = rt.enter();
        let dir = tempfile::Builder::new()
            .prefix("sdproxy")
            .tempdir()
            .expect("a temp dir");
        let socket = dir.path().join("docker.sock");
        let listener = UnixListener::bind(&socket).expect("bind the proxy's socket");
        let counter = Arc::new(Counter::default());
        let up = upstream.to_path_buf();
        let c = counter.clone();
        let task = rt.spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let up = up.clone();
                let c = c.clone();
                tokio::spawn(async move {
                    let Ok(server) = UnixStream::connect(&up).await else {
                        return;
                    };
                    proxy_conn(client, server, c).await;
                });
            }
        });
        Proxy {
            counter,
            socket,
            dir,
            task,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    pub fn counts(&self) -> Counts {
        self.counter.snapshot()
    }
}

async fn proxy_conn(client: UnixStream, server: UnixStream, counter: Arc<Counter>) {
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let current = Arc::new(Mutex::new(String::from("?")));
    let cur = current.clone();
    let c2 = counter.clone();
    let up = async move {
        // client → engine: find each request head (and skip its body) to count it
        let mut buf = Vec::new();
        let mut body_left = 0usize;
        let mut chunk = vec![0u8; 16 * 1024];
        loop {
            let k = match cr.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(k) => k,
            };
            if sw.write_all(&chunk[..k]).await.is_err() {
                return;
            }
            buf.extend_from_slice(&chunk[..k]);
            loop {
                if body_left > 0 {
                    let n = body_left.min(buf.len());
                    buf.drain(..n);
                    body_left -= n;
                    if body_left > 0 {
                        break;
                    }
                }
                let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                    break;
                };
                let head = String::from_utf8_lossy(&buf[..p]).into_owned();
                buf.drain(..p + 4);
                let mut lines = head.split("\r\n");
                let mut parts = lines.next().unwrap_or_default().split_whitespace();
                let (m, t) = (
                    parts.next().unwrap_or_default(),
                    parts.next().unwrap_or_default(),
                );
                let lab = label(m, t);
                c2.add(&lab, 1, 0);
                *cur.lock().expect("label") = lab;
                for l in lines {
                    if let Some((k, v)) = l.split_once(':')
                        && k.trim().eq_ignore_ascii_case("content-length")
                    {
                        body_left = v.trim().parse().unwrap_or(0);
                    }
                }
            }
        }
    };
    let down = async move {
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            let k = match sr.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(k) => k,
            };
            let lab = current.lock().expect("label").clone();
            counter.add(&lab, 0, k as u64);
            if cw.write_all(&chunk[..k]).await.is_err() {
                return;
            }
        }
    };
    tokio::select! {
        _ = up => {}
        _ = down => {}
    }
}

/// Minutes in `d` (for per-minute figures).
pub fn minutes(d: Duration) -> f64 {
    d.as_secs_f64() / 60.0
}
