//! The generated swarm: every object is a clone of an object recorded from the lab's engine
//! (`tests/fixtures/engine-*.json`) with its ids, names, addresses, times and states changed,
//! so the JSON has the shapes a real engine sends. [`shape`] and [`same_shape`] are what the
//! shape test compares with.

use std::collections::BTreeMap;
use std::path::Path;

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

/// A swarm size: nodes (3 managers, the rest workers), services in all four modes, running
/// tasks (plus the history Swarm keeps).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub name: &'static str,
    pub nodes: usize,
    pub running: usize,
    pub services: usize,
}

pub const SMALL: Size = Size {
    name: "small",
    nodes: 3,
    running: 60,
    services: 6,
};
pub const MEDIUM: Size = Size {
    name: "medium",
    nodes: 100,
    running: 2_000,
    services: 60,
};
pub const LARGE: Size = Size {
    name: "large",
    nodes: 1_000,
    running: 20_000,
    services: 400,
};

impl Size {
    pub fn by_name(name: &str) -> Option<Size> {
        [SMALL, MEDIUM, LARGE].into_iter().find(|s| s.name == name)
    }
}

/// Swarm keeps `TaskHistoryRetentionLimit` (5) tasks per slot, the current one included
/// (swarmkit's task reaper deletes the oldest beyond it): four old ones beside the running one.
pub const OLD_PER_SLOT: usize = 4;

/// The recordings the generator clones from.
pub struct Recorded {
    pub info: Value,
    pub version: Value,
    pub nodes: Vec<Value>,
    pub services: Vec<Value>,
    pub tasks: Vec<Value>,
}

fn load(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

fn array(v: Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a,
        other => panic!("a fixture list is an array, not {other}"),
    }
}

impl Recorded {
    pub fn load() -> Recorded {
        let mut nodes = array(load("engine-nodes.json"));
        nodes.extend(array(load("engine-nodes-resources.json")));
        let mut services = array(load("engine-services.json"));
        services.extend(array(load("engine-services-resources.json")));
        let mut tasks = array(load("engine-tasks.json"));
        tasks.extend(array(load("engine-tasks-resources.json")));
        Recorded {
            info: load("engine-info.json"),
            version: load("engine-version.json"),
            nodes,
            services,
            tasks,
        }
    }

    fn service_named(&self, name: &str) -> &Value {
        self.services
            .iter()
            .find(|s| s["Spec"]["Name"] == name)
            .unwrap_or_else(|| panic!("the recordings have service {name}"))
    }

    fn task_where(&self, what: &str, f: impl Fn(&Value) -> bool) -> &Value {
        self.tasks
            .iter()
            .find(|t| f(t))
            .unwrap_or_else(|| panic!("the recordings have a task: {what}"))
    }

    /// The templates, by what they are cloned into.
    pub fn templates(&self) -> Templates {
        let svc_id = |name: &str| self.service_named(name)["ID"].clone();
        let (web, agent, migrate, sweep, stack_web) = (
            svc_id("fx-web"),
            svc_id("fx-agent"),
            svc_id("fx-migrate"),
            svc_id("fx-sweep"),
            svc_id("rx_web"),
        );
        let db = svc_id("rx_db");
        let manager = self
            .nodes
            .iter()
            .find(|n| n["ManagerStatus"].is_object() && n["ManagerStatus"].get("Leader").is_none())
            .expect("a recorded manager that is not the leader")
            .clone();
        let leader = self
            .nodes
            .iter()
            .find(|n| n["ManagerStatus"]["Leader"] == true)
            .expect("a recorded leader")
            .clone();
        let worker = self
            .nodes
            .iter()
            .find(|n| n.get("ManagerStatus").is_none())
            .expect("a recorded worker")
            .clone();
        Templates {
            leader,
            manager,
            worker,
            replicated: self.service_named("fx-web").clone(),
            stack: self.service_named("rx_web").clone(),
            global: self.service_named("fx-agent").clone(),
            replicated_job: self.service_named("fx-migrate").clone(),
            global_job: self.service_named("fx-sweep").clone(),
            pending: self.service_named("fx-pinned").clone(),
            task_running: self
                .task_where("fx-web running", |t| {
                    t["ServiceID"] == web && t["Status"]["State"] == "running"
                })
                .clone(),
            task_global: self
                .task_where("fx-agent running", |t| {
                    t["ServiceID"] == agent && t["Status"]["State"] == "running"
                })
                .clone(),
            task_net_running: self
                .task_where("rx_web running", |t| {
                    t["ServiceID"] == stack_web
                        && t["Status"]["State"] == "running"
                        && t["DesiredState"] == "running"
                })
                .clone(),
            task_net_shutdown: self
                .task_where("rx_web shut down", |t| {
                    t["ServiceID"] == stack_web && t["Status"]["State"] == "shutdown"
                })
                .clone(),
            task_net_failed: self
                .task_where("rx_db failed", |t| {
                    t["ServiceID"] == db && t["Status"]["State"] == "failed"
                })
                .clone(),
            task_job_slot: self
                .task_where("fx-migrate complete", |t| {
                    t["ServiceID"] == migrate && t.get("Slot").is_some()
                })
                .clone(),
            task_job_global: self
                .task_where("fx-sweep complete", |t| t["ServiceID"] == sweep)
                .clone(),
            task_pending: self
                .task_where("fx-pinned pending", |t| t["Status"]["State"] == "pending")
                .clone(),
        }
    }
}

/// Recorded objects, each the source of one kind of generated object.
#[derive(Clone)]
pub struct Templates {
    pub leader: Value,
    pub manager: Value,
    pub worker: Value,
    pub replicated: Value,
    /// A replicated service of a stack on an overlay network, updated once (PreviousSpec).
    pub stack: Value,
    pub global: Value,
    pub replicated_job: Value,
    pub global_job: Value,
    /// A replicated service whose constraint no node meets.
    pub pending: Value,
    pub task_running: Value,
    pub task_global: Value,
    pub task_net_running: Value,
    pub task_net_shutdown: Value,
    pub task_net_failed: Value,
    pub task_job_slot: Value,
    pub task_job_global: Value,
    pub task_pending: Value,
}

/// A small deterministic generator (splitmix64).
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    /// A Swarm object id: 25 characters of [0-9a-z].
    pub fn id(&mut self) -> String {
        const A: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
        (0..25)
            .map(|_| A[self.below(36) as usize] as char)
            .collect()
    }
    /// A container id: 64 hex digits.
    pub fn hex64(&mut self) -> String {
        (0..4).map(|_| format!("{:016x}", self.next())).collect()
    }
}

/// RFC 3339 in UTC, as the engine writes times.
pub fn ts(t: Timestamp) -> String {
    t.to_string()
}

/// What a generated task is, for the fake's filters and its changes.
#[derive(Debug, Clone)]
pub struct TaskRec {
    pub id: String,
    pub service: usize,
    /// The node's index (`None`: not yet placed).
    pub node: Option<usize>,
    /// Replicated slot, or `None` for a global service's task (its slot is its node).
    pub slot: Option<u64>,
    pub desired: String,
    pub state: String,
    /// The task as the engine sends it (compact JSON).
    pub json: String,
}

/// A service's mode, as generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Replicated,
    Global,
    ReplicatedJob,
    GlobalJob,
    /// Replicated, one replica that cannot be placed.
    Pending,
}

pub struct ServiceRec {
    pub id: String,
    pub name: String,
    pub mode: Mode,
    pub networked: bool,
    /// Without `ServiceStatus` (added when `?status=true` asks).
    pub json: Value,
}

pub struct NodeRec {
    pub id: String,
    pub hostname: String,
    pub addr: String,
    pub manager: bool,
    pub json: Value,
}

impl NodeRec {
    pub fn state(&self) -> &str {
        self.json["Status"]["State"].as_str().unwrap_or_default()
    }
    pub fn availability(&self) -> &str {
        self.json["Spec"]["Availability"]
            .as_str()
            .unwrap_or_default()
    }
    /// Takes tasks: ready and active.
    pub fn eligible(&self) -> bool {
        self.state() == "ready" && self.availability() == "active"
    }
}

/// The generated swarm.
pub struct Swarm {
    pub size: Size,
    pub info: Value,
    pub version: Value,
    pub nodes: Vec<NodeRec>,
    pub services: Vec<ServiceRec>,
    pub tasks: Vec<TaskRec>,
    pub templates: Templates,
    pub rng: Rng,
    pub version_index: u64,
}

/// Node `i`'s hostname.
pub fn hostname(i: usize) -> String {
    if i < 3 {
        format!("mgr-{:02}", i + 1)
    } else {
        format!("wrk-{:04}", i - 2)
    }
}

/// Node `i`'s address: loopback (all of 127/8 is this host's), so the dashboard's reachability
/// probes reach the fake's listeners; the second octet from the process id, so two processes
/// (a bench and a test run) do not bind each other's probe ports.
pub fn node_addr(i: usize) -> String {
    let net = 64 + std::process::id() % 120;
    format!("127.{net}.{}.{}", i / 250, i % 250 + 1)
}

fn service_name(i: usize, mode: Mode) -> String {
    match mode {
        Mode::Global => format!("agent-{i:03}"),
        Mode::GlobalJob => format!("sweep-{i:03}"),
        Mode::ReplicatedJob => format!("migrate-{i:03}"),
        Mode::Pending => format!("pinned-{i:03}"),
        // stacks of four, as `docker stack deploy` names them
        Mode::Replicated if i.is_multiple_of(2) => {
            let roles = ["api", "web", "worker", "cache"];
            format!("st{:03}_{}{:03}", i / 8, roles[(i / 2) % 4], i)
        }
        Mode::Replicated => format!("app-{i:03}"),
    }
}

/// Which mode service `i` of `m` has: a global service (three at the large size), a global job,
/// a replicated job, one pending service from 20 services on, the rest replicated.
fn mode_of(i: usize, m: usize) -> Mode {
    let globals = if m >= 200 {
        3
    } else if m >= 20 {
        2
    } else {
        1
    };
    match i {
        _ if i < globals => Mode::Global,
        _ if i == globals => Mode::GlobalJob,
        _ if i == globals + 1 => Mode::ReplicatedJob,
        _ if i == globals + 2 && m >= 20 => Mode::Pending,
        _ => Mode::Replicated,
    }
}

impl Swarm {
    pub fn generate(size: Size, seed: u64) -> Swarm {
        let rec = Recorded::load();
        let t = rec.templates();
        let mut rng = Rng(seed);
        let now = Timestamp::now();
        let mut version_index = 1000u64;
        let mut vi = || {
            version_index += 1;
            version_index
        };
        let created = now - SignedDuration::from_hours(24 * 30);

        // nodes: 3 managers (the first leads), the rest workers; 2 % down, 2 % drained
        let mut nodes = Vec::with_capacity(size.nodes);
        for i in 0..size.nodes {
            let manager = i < 3;
            let mut n = if i == 0 {
                t.leader.clone()
            } else if manager {
                t.manager.clone()
            } else {
                t.worker.clone()
            };
            let id = rng.id();
            let host = hostname(i);
            let addr = node_addr(i);
            n["ID"] = id.clone().into();
            n["Version"]["Index"] = vi().into();
            n["CreatedAt"] = ts(created + SignedDuration::from_secs(i as i64)).into();
            n["UpdatedAt"] = ts(now - SignedDuration::from_secs(60 + i as i64)).into();
            n["Description"]["Hostname"] = host.clone().into();
            n["Description"]["Resources"]["NanoCPUs"] =
                (2_000_000_000u64 * (1 + i as u64 % 4)).into();
            n["Description"]["Resources"]["MemoryBytes"] =
                ((8u64 << 30) * (1 + i as u64 % 4)).into();
            n["Spec"]["Labels"] = json!({ "zone": format!("z{}", i % 3) });
            n["Status"]["Addr"] = addr.clone().into();
            if manager {
                n["ManagerStatus"]["Addr"] = format!("{addr}:2377").into();
            }
            if !manager && i % 50 == 7 {
                n["Status"]["State"] = "down".into();
                // the engine says why (a key no recording of a ready node has)
                n["Status"]["Message"] = "heartbeat failure".into();
            }
            if !manager && i % 50 == 13 {
                n["Spec"]["Availability"] = "drain".into();
            }
            nodes.push(NodeRec {
                id,
                hostname: host,
                addr,
                manager,
                json: n,
            });
        }

        // info and version: the leader's
        let mut info = rec.info.clone();
        info["ID"] = format!("{}:{}", "SDSC", rng.id()).into();
        info["Name"] = nodes[0].hostname.clone().into();
        info["Swarm"]["NodeID"] = nodes[0].id.clone().into();
        info["Swarm"]["NodeAddr"] = nodes[0].addr.clone().into();
        info["Swarm"]["Nodes"] = size.nodes.into();
        info["Swarm"]["Managers"] = 3.into();
        info["Swarm"]["Cluster"]["ID"] = rng.id().into();
        info["Swarm"]["RemoteManagers"] = nodes
            .iter()
            .filter(|n| n.manager)
            .map(|n| json!({ "NodeID": n.id, "Addr": format!("{}:2377", n.addr) }))
            .collect::<Vec<_>>()
            .into();

        let eligible: Vec<usize> = (0..size.nodes).filter(|&i| nodes[i].eligible()).collect();

        // services
        let modes: Vec<Mode> = (0..size.services)
            .map(|i| mode_of(i, size.services))
            .collect();
        let globals = modes.iter().filter(|m| **m == Mode::Global).count();
        let replicated: Vec<usize> = (0..size.services)
            .filter(|&i| modes[i] == Mode::Replicated)
            .collect();
        let to_place = size.running.saturating_sub(globals * eligible.len());
        let mut services = Vec::with_capacity(size.services);
        let mut replicas = vec![0usize; size.services];
        for (k, &i) in replicated.iter().enumerate() {
            replicas[i] =
                to_place / replicated.len() + usize::from(k < to_place % replicated.len());
        }
        for (i, &mode) in modes.iter().enumerate() {
            let networked = mode == Mode::Replicated && i.is_multiple_of(2);
            let mut s = match mode {
                Mode::Replicated if networked => t.stack.clone(),
                Mode::Replicated => t.replicated.clone(),
                Mode::Global => t.global.clone(),
                Mode::ReplicatedJob => t.replicated_job.clone(),
                Mode::GlobalJob => t.global_job.clone(),
                Mode::Pending => t.pending.clone(),
            };
            let id = rng.id();
            let name = service_name(i, mode);
            let image = format!(
                "registry.example:5000/team{}/{}:1.{}",
                i % 7,
                name.split('_').next_back().unwrap_or(&name),
                i % 20
            );
            let obj = s.as_object_mut().expect("a service is an object");
            obj.remove("ServiceStatus");
            s["ID"] = id.clone().into();
            s["Version"]["Index"] = vi().into();
            s["CreatedAt"] = ts(created + SignedDuration::from_secs(3600 + i as i64)).into();
            s["UpdatedAt"] = ts(now - SignedDuration::from_secs(7200 + i as i64)).into();
            s["Spec"]["Name"] = name.clone().into();
            s["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"] = image.clone().into();
            if networked {
                let stack = name.split('_').next().unwrap_or_default().to_string();
                for spec in ["Spec", "PreviousSpec"] {
                    s[spec]["Name"] = name.clone().into();
                    s[spec]["Labels"] = json!({ "com.docker.stack.namespace": stack });
                    s[spec]["TaskTemplate"]["ContainerSpec"]["Labels"] =
                        json!({ "com.docker.stack.namespace": stack });
                    s[spec]["TaskTemplate"]["ContainerSpec"]["Image"] = image.clone().into();
                    s[spec]["Mode"]["Replicated"]["Replicas"] = replicas[i].into();
                }
                s["Endpoint"]["VirtualIPs"][0]["Addr"] =
                    format!("10.{}.{}.2/24", 200 + i / 256 % 50, i % 256).into();
                s["UpdateStatus"]["State"] = "completed".into();
                s["UpdateStatus"]["Message"] = "update completed".into();
                s["UpdateStatus"]["StartedAt"] = ts(now - SignedDuration::from_secs(7300)).into();
            } else if mode == Mode::Replicated {
                s["Spec"]["Mode"]["Replicated"]["Replicas"] = replicas[i].into();
            }
            if matches!(mode, Mode::ReplicatedJob | Mode::GlobalJob) {
                s["JobStatus"]["LastExecution"] =
                    ts(now - SignedDuration::from_secs(3 * 3600)).into();
            }
            services.push(ServiceRec {
                id,
                name,
                mode,
                networked,
                json: s,
            });
        }

        let mut swarm = Swarm {
            size,
            info,
            version: rec.version.clone(),
            nodes,
            services,
            tasks: Vec::new(),
            templates: t,
            rng,
            version_index,
        };

        // tasks: a running one per slot and the slot's history
        let mut next_node = 0usize;
        #[allow(clippy::needless_range_loop)]
        for si in 0..swarm.services.len() {
            let mode = swarm.services[si].mode;
            match mode {
                Mode::Global => {
                    for &ni in &eligible {
                        swarm.add_slot(si, None, ni, now);
                    }
                }
                Mode::Replicated => {
                    for slot in 1..=replicas[si] as u64 {
                        let ni = eligible[next_node % eligible.len()];
                        next_node += 1;
                        swarm.add_slot(si, Some(slot), ni, now);
                    }
                }
                Mode::ReplicatedJob => {
                    for slot in 1..=2u64 {
                        let ni = eligible[next_node % eligible.len()];
                        next_node += 1;
                        let task = swarm.task(si, Some(slot), Some(ni), "complete", now);
                        swarm.tasks.push(task);
                    }
                }
                Mode::GlobalJob => {
                    for &ni in &eligible {
                        let task = swarm.task(si, None, Some(ni), "complete", now);
                        swarm.tasks.push(task);
                    }
                }
                Mode::Pending => {
                    let task = swarm.task(si, Some(1), None, "pending", now);
                    swarm.tasks.push(task);
                }
            }
        }
        swarm
    }

    fn vi(&mut self) -> u64 {
        self.version_index += 1;
        self.version_index
    }

    /// A slot: its running task and the old ones before it.
    fn add_slot(&mut self, si: usize, slot: Option<u64>, ni: usize, now: Timestamp) {
        let eligible = self.nodes.len();
        for k in (1..=OLD_PER_SLOT).rev() {
            let state = match self.rng.below(10) {
                0..=6 => "shutdown",
                7..=8 => "failed",
                _ => "complete",
            };
            // an old task may have run elsewhere (a replicated one) or on the node itself
            let node = if slot.is_some() {
                self.rng.below(eligible as u64) as usize
            } else {
                ni
            };
            let at = now - SignedDuration::from_hours(24 * k as i64 + self.rng.below(20) as i64);
            let task = self.task(si, slot, Some(node), state, at);
            self.tasks.push(task);
        }
        let started = now - SignedDuration::from_secs(3600 + self.rng.below(6 * 86_400) as i64);
        let task = self.task(si, slot, Some(ni), "running", started);
        self.tasks.push(task);
    }

    /// A task of service `si` in `state` (running, shutdown, failed, complete, pending) since `at`.
    pub fn task(
        &mut self,
        si: usize,
        slot: Option<u64>,
        node: Option<usize>,
        state: &str,
        at: Timestamp,
    ) -> TaskRec {
        let svc = &self.services[si];
        let t = &self.templates;
        let job = matches!(svc.mode, Mode::ReplicatedJob | Mode::GlobalJob);
        let mut v = match (state, svc.networked, job) {
            ("pending", ..) => t.task_pending.clone(),
            (_, _, true) if slot.is_some() => t.task_job_slot.clone(),
            (_, _, true) => t.task_job_global.clone(),
            ("running", true, _) => t.task_net_running.clone(),
            ("running", false, _) if slot.is_some() => t.task_running.clone(),
            ("running", false, _) => t.task_global.clone(),
            ("failed", ..) => t.task_net_failed.clone(),
            _ => t.task_net_shutdown.clone(),
        };
        let obj = v.as_object_mut().expect("a task is an object");
        if !svc.networked {
            // a service without networks: its tasks have no attachments (omitempty)
            obj.remove("NetworksAttachments");
        }
        match slot {
            Some(s) => {
                obj.insert("Slot".into(), s.into());
            }
            None => {
                obj.remove("Slot");
            }
        }
        let id = self.rng.id();
        let container = self.rng.hex64();
        let pid = 1000 + self.rng.below(60_000);
        let index = self.vi();
        let svc = &self.services[si];
        v["ID"] = id.clone().into();
        v["Version"]["Index"] = index.into();
        v["CreatedAt"] = ts(at - SignedDuration::from_secs(2)).into();
        v["UpdatedAt"] = ts(at).into();
        v["ServiceID"] = svc.id.clone().into();
        v["Spec"]["ContainerSpec"]["Image"] =
            svc.json["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"].clone();
        if let Some(ni) = node {
            v["NodeID"] = self.nodes[ni].id.clone().into();
        }
        let desired = match state {
            "running" | "pending" => "running",
            "complete" if job => "complete",
            _ => "shutdown",
        };
        v["DesiredState"] = desired.into();
        let st = &mut v["Status"];
        st["Timestamp"] = ts(at).into();
        st["State"] = state.into();
        match state {
            "running" => {
                st["Message"] = "started".into();
                st["ContainerStatus"]["ContainerID"] = container.into();
                st["ContainerStatus"]["PID"] = pid.into();
            }
            "failed" => {
                st["Message"] = "started".into();
                st["Err"] = "task: non-zero exit (137): container killed (out of memory)".into();
                st["ContainerStatus"]["ContainerID"] = container.into();
                st["ContainerStatus"]["ExitCode"] = 137.into();
            }
            "complete" => {
                st["Message"] = "finished".into();
                st["ContainerStatus"]["ContainerID"] = container.into();
                st["ContainerStatus"]["ExitCode"] = 0.into();
            }
            "shutdown" => {
                st["Message"] = "shutdown".into();
            }
            _ => {}
        }
        if let Some(att) = v
            .get_mut("NetworksAttachments")
            .and_then(|a| a.as_array_mut())
        {
            for a in att {
                a["Addresses"] = json!([format!(
                    "10.{}.{}.{}/24",
                    200 + si / 256 % 50,
                    si % 256,
                    3 + index % 250
                )]);
            }
        }
        TaskRec {
            id,
            service: si,
            node,
            slot,
            desired: desired.into(),
            state: state.into(),
            json: serde_json::to_string(&v).expect("a task serializes"),
        }
    }

    /// Running tasks (the figure the sizes are named by).
    pub fn running(&self) -> usize {
        self.tasks.iter().filter(|t| t.state == "running").count()
    }
}

/// A JSON value's shape: key sets recursively and the type of every value. Free-form maps
/// (`Labels`, `Options`, `Attributes`) are maps: their keys are data, only the values' types
/// count. An array's shape is the set of its elements' shapes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Shape {
    Null,
    Bool,
    Number,
    String,
    Array(Vec<Shape>),
    Object(BTreeMap<String, Shape>),
    Map(Vec<Shape>),
}

const FREE_MAPS: &[&str] = &["Labels", "Options", "Attributes"];

pub fn shape(v: &Value) -> Shape {
    shape_at(v, "")
}

fn shape_at(v: &Value, key: &str) -> Shape {
    match v {
        Value::Null => Shape::Null,
        Value::Bool(_) => Shape::Bool,
        Value::Number(_) => Shape::Number,
        Value::String(_) => Shape::String,
        Value::Array(a) => {
            let mut s: Vec<Shape> = a.iter().map(|e| shape_at(e, key)).collect();
            s.sort();
            s.dedup();
            Shape::Array(s)
        }
        Value::Object(o) if FREE_MAPS.contains(&key) => {
            let mut s: Vec<Shape> = o.iter().map(|(_, e)| shape_at(e, "")).collect();
            s.sort();
            s.dedup();
            Shape::Map(s)
        }
        Value::Object(o) => {
            Shape::Object(o.iter().map(|(k, e)| (k.clone(), shape_at(e, k))).collect())
        }
    }
}

/// Where two shapes differ (paths), empty when they are the same. An empty array or map is
/// the same as one with elements (it says nothing about them).
pub fn differences(a: &Shape, b: &Shape, path: &str, out: &mut Vec<String>) {
    match (a, b) {
        (Shape::Object(x), Shape::Object(y)) => {
            for (k, va) in x {
                match y.get(k) {
                    Some(vb) => differences(va, vb, &format!("{path}.{k}"), out),
                    None => out.push(format!("{path}.{k}: only in the generated object")),
                }
            }
            for k in y.keys().filter(|k| !x.contains_key(*k)) {
                out.push(format!("{path}.{k}: only in the recording"));
            }
        }
        (Shape::Array(x), Shape::Array(y)) | (Shape::Map(x), Shape::Map(y)) => {
            if x.is_empty() || y.is_empty() {
                return;
            }
            // every generated element has the shape of some recorded element
            for (i, e) in x.iter().enumerate() {
                if !y.iter().any(|r| {
                    let mut d = Vec::new();
                    differences(e, r, "", &mut d);
                    d.is_empty()
                }) {
                    let mut d = Vec::new();
                    differences(e, &y[0], &format!("{path}[{i}]"), &mut d);
                    out.extend(d);
                }
            }
        }
        (x, y) if x == y => {}
        (x, y) => out.push(format!(
            "{path}: {} in the generated object, {} recorded",
            kind(x),
            kind(y)
        )),
    }
}

fn kind(s: &Shape) -> &'static str {
    match s {
        Shape::Null => "null",
        Shape::Bool => "a boolean",
        Shape::Number => "a number",
        Shape::String => "a string",
        Shape::Array(_) => "an array",
        Shape::Object(_) => "an object",
        Shape::Map(_) => "a map",
    }
}
