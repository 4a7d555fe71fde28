//! swarmdeck's own model of a swarm. Everything the panes draw is one of these types;
//! bollard's types stop at [`convert`], the one boundary where they are translated.

pub mod cluster;
pub mod convert;
pub mod lenient;
pub mod logs;
pub mod quorum;
pub mod secrets;

pub use secrets::{Config, Mounted, ObjectKind, Secret, SecretBytes, ServiceRefs, User};

use std::collections::BTreeMap;
use std::fmt;

use jiff::Timestamp;

macro_rules! id_type {
    ($name:ident) => {
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(pub String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
            /// The first 12 characters, as the docker CLI shows ids.
            pub fn short(&self) -> &str {
                let end = self
                    .0
                    .char_indices()
                    .nth(12)
                    .map_or(self.0.len(), |(i, _)| i);
                &self.0[..end]
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_string())
            }
        }
    };
}

id_type!(NodeId);
id_type!(ServiceId);
id_type!(TaskId);
id_type!(ConfigId);
id_type!(SecretId);

/// An enum the engine reports as a string. Values we do not know are kept, never an error.
macro_rules! engine_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant,)+
            /// A value this version of swarmdeck does not know (or none at all).
            Unknown(String),
        }

        impl $name {
            pub fn parse(s: &str) -> Self {
                match s {
                    $($text => Self::$variant,)+
                    other => Self::Unknown(other.to_string()),
                }
            }
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)+
                    Self::Unknown(_) => "unknown",
                }
            }
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::Unknown(_))
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::Unknown(String::new())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    Self::Unknown(raw) if !raw.is_empty() => write!(f, "unknown({raw})"),
                    other => f.write_str(other.as_str()),
                }
            }
        }
    };
}

engine_enum!(
    /// `Spec.Role` of a node.
    Role { Manager => "manager", Worker => "worker" }
);
engine_enum!(
    /// `Spec.Availability` of a node.
    Availability { Active => "active", Pause => "pause", Drain => "drain" }
);
engine_enum!(
    /// `Status.State` of a node.
    NodeState { Ready => "ready", Down => "down", Disconnected => "disconnected" }
);
engine_enum!(
    /// `ManagerStatus.Reachability` of a manager.
    Reachability { Reachable => "reachable", Unreachable => "unreachable" }
);
engine_enum!(
    /// A task's state (both desired and current).
    TaskState {
        New => "new",
        Allocated => "allocated",
        Pending => "pending",
        Assigned => "assigned",
        Accepted => "accepted",
        Preparing => "preparing",
        Ready => "ready",
        Starting => "starting",
        Running => "running",
        Complete => "complete",
        Shutdown => "shutdown",
        Failed => "failed",
        Rejected => "rejected",
        Remove => "remove",
        Orphaned => "orphaned",
    }
);
engine_enum!(
    /// `UpdateStatus.State` of a service.
    UpdateState {
        Updating => "updating",
        Paused => "paused",
        Completed => "completed",
        RollbackStarted => "rollback_started",
        RollbackPaused => "rollback_paused",
        RollbackCompleted => "rollback_completed",
    }
);

impl TaskState {
    /// States in which a task is, or is about to be, running on its node.
    pub fn is_active(&self) -> bool {
        matches!(
            self,
            Self::Assigned
                | Self::Accepted
                | Self::Preparing
                | Self::Ready
                | Self::Starting
                | Self::Running
        )
    }
}

/// The four Swarm service modes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ServiceMode {
    Replicated {
        replicas: u64,
    },
    Global,
    ReplicatedJob {
        max_concurrent: u64,
        total_completions: u64,
    },
    GlobalJob,
    #[default]
    Unknown,
}

impl ServiceMode {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Replicated { .. } => "replicated",
            Self::Global => "global",
            Self::ReplicatedJob { .. } => "replicated-job",
            Self::GlobalJob => "global-job",
            Self::Unknown => "unknown",
        }
    }
    pub fn is_job(&self) -> bool {
        matches!(self, Self::ReplicatedJob { .. } | Self::GlobalJob)
    }
}

/// A field the engine sent that our model could not read. Shown to the user, never fatal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    /// Where in the JSON, e.g. `[2].Status.State`.
    pub path: String,
    /// What serde said about it.
    pub reason: String,
}

impl fmt::Display for Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.reason)
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Node {
    pub id: NodeId,
    pub version: u64,
    pub hostname: String,
    pub role: Role,
    pub availability: Availability,
    pub state: NodeState,
    pub state_message: String,
    /// `ManagerStatus` for managers, `None` for workers.
    pub manager: Option<ManagerInfo>,
    /// `Status.Addr` (may be 0.0.0.0 on some setups).
    pub status_addr: String,
    pub engine_version: String,
    pub labels: BTreeMap<String, String>,
    pub nano_cpus: i64,
    pub memory_bytes: i64,
    /// `Description.Platform.OS` / `.Architecture` (for `node.platform.*` constraints).
    pub os: String,
    pub arch: String,
    /// `Description.Engine.Labels` (for `engine.labels.*` constraints).
    pub engine_labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ManagerInfo {
    pub leader: bool,
    pub reachability: Reachability,
    /// `ManagerStatus.Addr`: `ip:2377`.
    pub addr: String,
}

impl Node {
    pub fn is_manager(&self) -> bool {
        self.manager.is_some() || self.role == Role::Manager
    }
    pub fn is_leader(&self) -> bool {
        self.manager.as_ref().is_some_and(|m| m.leader)
    }
    /// The node's address: `ManagerStatus.Addr` without the port when there is one,
    /// else `Status.Addr`.
    pub fn address(&self) -> &str {
        if let Some(m) = &self.manager
            && !m.addr.is_empty()
        {
            return strip_port(&m.addr);
        }
        &self.status_addr
    }
    pub fn is_down(&self) -> bool {
        matches!(self.state, NodeState::Down | NodeState::Disconnected)
    }
}

/// A host without its port: `ip:port` → `ip`, `[v6]:port` → `v6`.
pub fn strip_port(addr: &str) -> &str {
    if let Some(rest) = addr.strip_prefix('[') {
        // [v6]:port
        return rest.split(']').next().unwrap_or(rest);
    }
    match addr.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && port.chars().all(|c| c.is_ascii_digit()) => {
            host
        }
        _ => addr,
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Service {
    pub id: ServiceId,
    pub version: u64,
    pub name: String,
    pub mode: ServiceMode,
    pub image: String,
    pub running: u64,
    pub desired: u64,
    pub completed: u64,
    pub update_state: Option<UpdateState>,
    pub update_message: String,
    /// When the current (or last) update started.
    pub update_started: Option<Timestamp>,
    pub constraints: Vec<String>,
    pub labels: BTreeMap<String, String>,
    /// Per-task reservations (`TaskTemplate.Resources.Reservations`): 0 when none.
    pub reserve_nano_cpus: i64,
    pub reserve_memory_bytes: i64,
    /// `TaskTemplate.Placement.MaxReplicas` (0: no limit per node).
    pub max_replicas_per_node: u64,
}

impl Service {
    /// The image without the `@sha256:` digest the engine pins.
    pub fn image_short(&self) -> &str {
        self.image.split('@').next().unwrap_or(&self.image)
    }
    /// Running below desired (for services; jobs are never "below").
    pub fn is_degraded(&self) -> bool {
        !self.mode.is_job() && self.running < self.desired
    }
    /// The stack it belongs to (`com.docker.stack.namespace`, set by `docker stack deploy`).
    pub fn stack(&self) -> Option<&str> {
        self.labels
            .get(crate::deploy::STACK_LABEL)
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Task {
    pub id: TaskId,
    pub service_id: ServiceId,
    pub node_id: Option<NodeId>,
    pub slot: Option<i64>,
    pub desired: TaskState,
    pub state: TaskState,
    /// When the current state was entered.
    pub since: Option<Timestamp>,
    pub message: String,
    pub error: String,
    pub created: Option<Timestamp>,
    /// When the task was last updated.
    pub updated: Option<Timestamp>,
    /// `Spec.ContainerSpec.Image` (with the digest the engine pinned).
    pub image: String,
    /// `Status.ContainerStatus`: the container's id and exit code, once it has them.
    pub container_id: String,
    pub exit_code: Option<i64>,
    /// The configs and secrets the task mounts: (name, target path).
    pub configs: Vec<(String, String)>,
    pub secrets: Vec<(String, String)>,
}

/// What the engine we talk to says about itself and the swarm (`GET /info` + `/version`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EngineInfo {
    pub name: String,
    pub engine_version: String,
    pub api_version: String,
    pub node_id: NodeId,
    pub node_addr: String,
    pub swarm_state: String,
    pub control_available: bool,
    pub cluster_id: String,
    pub managers: i64,
    pub nodes: i64,
    pub remote_managers: Vec<String>,
    pub swarm_error: String,
}

/// How many running tasks each node has.
pub fn running_per_node(tasks: &[Task]) -> std::collections::HashMap<NodeId, usize> {
    let mut out = std::collections::HashMap::new();
    for t in tasks {
        if t.state == TaskState::Running
            && let Some(n) = &t.node_id
        {
            *out.entry(n.clone()).or_default() += 1;
        }
    }
    out
}

/// Parse an engine timestamp (RFC 3339 with nanoseconds).
pub fn parse_time(s: &str) -> Option<Timestamp> {
    if s.is_empty() || s.starts_with("0001-01-01") {
        return None;
    }
    s.parse().ok()
}

/// "12s", "4m", "3h", "2d": how long ago, for narrow columns.
pub fn short_age(since: Timestamp, now: Timestamp) -> String {
    let secs = now.as_second().saturating_sub(since.as_second()).max(0);
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_are_kept_and_shown() {
        let s = NodeState::parse("rebooting");
        assert_eq!(s, NodeState::Unknown("rebooting".into()));
        assert_eq!(s.to_string(), "unknown(rebooting)");
        assert_eq!(NodeState::parse("ready").to_string(), "ready");
        assert_eq!(NodeState::parse("").to_string(), "unknown");
    }

    #[test]
    fn address_prefers_manager_addr_without_port() {
        assert_eq!(strip_port("198.51.100.11:2377"), "198.51.100.11");
        assert_eq!(strip_port("[2001:db8::1]:2377"), "2001:db8::1");
        assert_eq!(strip_port("2001:db8::1"), "2001:db8::1");
        assert_eq!(strip_port("10.0.0.1"), "10.0.0.1");
    }

    #[test]
    fn ages() {
        let now: Timestamp = "2026-01-01T00:10:00Z".parse().unwrap();
        let t: Timestamp = "2026-01-01T00:09:48Z".parse().unwrap();
        assert_eq!(short_age(t, now), "12s");
        let t: Timestamp = "2025-12-30T00:10:00Z".parse().unwrap();
        assert_eq!(short_age(t, now), "2d");
        assert_eq!(parse_time("0001-01-01T00:00:00Z"), None);
        assert!(parse_time("2024-05-01T10:11:12.123456789Z").is_some());
    }
}
