//! The deploy wizard's model (issue 10), pure: what the six steps fill in ([`DeploySpec`]),
//! their checks ([`validate_step`], [`warnings`], [`eligible`]), the engine's raw
//! `ServiceSpec` JSON both ways ([`to_service_spec`], [`from_service_spec`], and
//! [`merge_onto`] for editing), and the same service as a compose v3 file
//! ([`compose_yaml`]) and as a `docker service create` command line ([`cli_command`]).
//! Registry credentials ([`Secret`], [`registry_auth_header`]) never reach either text.
//! No I/O: the engine side lists what [`Cluster`] holds, fills the secret and config ids
//! ([`resolve_refs`]), creates the new networks ([`networks_to_create`]) and sends the spec.
//!
//! Durations are nanoseconds (`i64`, as the engine's JSON); [`parse_duration`] and
//! [`format_duration`] speak Go's `1m30s` syntax, which compose and the CLI use.

mod check;
mod describe;
mod explain;
mod export;
mod registry;
mod spec;
mod validate;

#[cfg(test)]
mod tests;

pub use check::{
    check_constraint, check_env, check_image, check_label, check_name, check_network_name,
    check_port, check_spread, check_volume_name, format_cpus, format_duration, format_memory,
    image_registry, parse_cpus, parse_duration, parse_env, parse_memory, parse_port,
};
pub use describe::{spec_diff, summary};
pub use explain::{error_exit_code, exit_code_meaning, explain_task_error, is_image_missing};
pub use export::{cli_command, compose_yaml, mount_arg, sh_quote, shell_words};
pub use registry::{
    CredSource, KnownRegistry, Registries, Secret, StoredAuth, helper_output, known_registries,
    registry_auth_header, registry_host, registry_token_header, stored_auth,
};
pub use spec::{
    from_service_spec, merge_onto, name_networks, networks_to_create, resolve_refs,
    service_spec_of, to_service_spec,
};
pub use validate::{
    check_edit, eligible, latest_global_version, validate_all, validate_step, warnings,
};

use crate::domain::Node;

/// The stack namespace label (`docker stack deploy` sets it on everything it creates).
pub const STACK_LABEL: &str = "com.docker.stack.namespace";

/// One second in nanoseconds.
pub const SECOND_NS: i64 = 1_000_000_000;

/// Everything the wizard's form holds about one service.
#[derive(Debug, Clone, PartialEq)]
pub struct DeploySpec {
    pub name: String,
    pub image: String,
    pub registry: RegistryAuth,
    /// `ContainerSpec.Command` (the image's entrypoint replaced), empty: the image's.
    pub command: Vec<String>,
    /// `ContainerSpec.Args`, empty: the image's.
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// The service's labels (`Spec.Labels`), without the stack namespace and the global
    /// config subscription, which have their own fields.
    pub labels: Vec<(String, String)>,
    /// `com.docker.stack.namespace`.
    pub stack: Option<String>,
    pub mode: Mode,
    /// Placement constraints as typed (`node.labels.zone==eu-1`).
    pub constraints: Vec<String>,
    /// Spread preferences, each a descriptor such as `node.labels.zone`.
    pub spread: Vec<String>,
    /// `Placement.MaxReplicas` (None or 0: no limit).
    pub max_per_node: Option<u64>,
    pub networks: Vec<NetworkChoice>,
    pub ports: Vec<PortSpec>,
    pub mounts: Vec<MountSpec>,
    pub secrets: Vec<FileRef>,
    pub configs: Vec<FileRef>,
    /// A global config subscription (`src/gconfig`): (document, target path). Sets the
    /// label `swarmdeck.<doc>.target` and a reference to a version at the target.
    pub global_config: Option<(String, String)>,
    /// The version of the global config referenced (`swarmdeck-<doc>.vN`). None: the
    /// newest at deploy time, added by [`resolve_refs`]; [`latest_global_version`] finds it
    /// in a [`Cluster`] so the review, the compose file and the command line can name it.
    pub global_config_version: Option<u64>,
    pub limits: Resources,
    pub reservations: Resources,
    pub restart: RestartSpec,
    pub healthcheck: Option<HealthSpec>,
    /// Not used by jobs (the engine takes no update or rollback config for them).
    pub update: UpdateSpec,
    pub rollback: UpdateSpec,
}

impl Default for DeploySpec {
    /// One replica, restart on any exit, Swarm's update and rollback defaults.
    fn default() -> Self {
        Self {
            name: String::new(),
            image: String::new(),
            registry: RegistryAuth::None,
            command: Vec::new(),
            args: Vec::new(),
            env: Vec::new(),
            labels: Vec::new(),
            stack: None,
            mode: Mode::default(),
            constraints: Vec::new(),
            spread: Vec::new(),
            max_per_node: None,
            networks: Vec::new(),
            ports: Vec::new(),
            mounts: Vec::new(),
            secrets: Vec::new(),
            configs: Vec::new(),
            global_config: None,
            global_config_version: None,
            limits: Resources::default(),
            reservations: Resources::default(),
            restart: RestartSpec::default(),
            healthcheck: None,
            update: UpdateSpec::default(),
            rollback: UpdateSpec::default(),
        }
    }
}

/// Where the credentials for a private registry come from. They travel only in the
/// `X-Registry-Auth` header of the create (or update) call, never in the spec.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RegistryAuth {
    /// No credentials sent (a public image; on an update: the stored ones are kept).
    #[default]
    None,
    /// An entry of `~/.docker/config.json` (`auths`, or its credential helper).
    FromConfig { server: String },
    /// Typed into the form.
    Typed {
        server: String,
        username: String,
        password: Secret,
    },
}

impl RegistryAuth {
    /// The registry the credentials are for.
    pub fn server(&self) -> Option<&str> {
        match self {
            Self::None => None,
            Self::FromConfig { server } | Self::Typed { server, .. } => Some(server),
        }
    }
    /// Whether the deploy sends credentials (`--with-registry-auth`).
    pub fn needed(&self) -> bool {
        !matches!(self, Self::None)
    }
}

/// The four Swarm service modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Replicated {
        replicas: u64,
    },
    Global,
    ReplicatedJob {
        completions: u64,
        max_concurrent: u64,
    },
    GlobalJob,
}

impl Default for Mode {
    fn default() -> Self {
        Self::Replicated { replicas: 1 }
    }
}

impl Mode {
    /// The CLI's name of the mode (`--mode`).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Replicated { .. } => "replicated",
            Self::Global => "global",
            Self::ReplicatedJob { .. } => "replicated-job",
            Self::GlobalJob => "global-job",
        }
    }
    pub fn is_job(&self) -> bool {
        matches!(self, Self::ReplicatedJob { .. } | Self::GlobalJob)
    }
    /// Same mode, whatever the counts (a mode cannot change on an update).
    pub fn same_kind(&self, other: &Mode) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

/// A network the service joins.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NetworkChoice {
    pub name: String,
    /// A new attachable overlay network, created before the service.
    pub create: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Protocol {
    #[default]
    Tcp,
    Udp,
}

impl Protocol {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Tcp => "tcp",
            Self::Udp => "udp",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PublishMode {
    /// The routing mesh: the port on every node.
    #[default]
    Ingress,
    /// Only on the nodes that run a task, straight to that task.
    Host,
}

impl PublishMode {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Ingress => "ingress",
            Self::Host => "host",
        }
    }
}

/// A published port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PortSpec {
    /// The port inside the containers.
    pub target: u16,
    /// The port outside; None: Swarm picks one (30000–32767 for ingress).
    pub published: Option<u16>,
    pub protocol: Protocol,
    pub mode: PublishMode,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MountKind {
    /// A named volume (empty source: an anonymous one), optionally with a driver and its
    /// options, e.g. NFS through the local driver: `type=nfs`, `o=addr=…,rw`,
    /// `device=:/export`.
    Volume {
        source: String,
        driver: Option<String>,
        driver_opts: Vec<(String, String)>,
    },
    /// A path of the node.
    Bind { source: String },
    /// Memory-backed, optionally limited in size.
    Tmpfs { size_bytes: Option<u64> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountSpec {
    pub kind: MountKind,
    /// The path inside the containers.
    pub target: String,
    pub readonly: bool,
}

/// A secret or config mounted as a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRef {
    /// The secret's or config's name.
    pub name: String,
    /// The file: for secrets relative to `/run/secrets/` or absolute; for configs
    /// absolute. Empty: the name (as the CLI does).
    pub target: String,
    pub uid: String,
    pub gid: String,
    /// File mode, e.g. `0o444`.
    pub mode: u32,
}

impl FileRef {
    /// A reference owned by root, mode 0444 (the CLI's defaults).
    pub fn new(name: impl Into<String>, target: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            target: target.into(),
            uid: "0".into(),
            gid: "0".into(),
            mode: 0o444,
        }
    }
    /// The target the engine gets: the name when none was given.
    pub fn file_name(&self) -> &str {
        if self.target.is_empty() {
            &self.name
        } else {
            &self.target
        }
    }
}

/// CPU and memory, for limits or reservations. None: not set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Resources {
    pub nano_cpus: Option<i64>,
    pub memory_bytes: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestartSpec {
    /// `any`, `on-failure` or `none`.
    pub condition: String,
    /// None: the engine's default (5 s).
    pub delay_ns: Option<i64>,
    /// None (or 0): no limit.
    pub max_attempts: Option<u64>,
    /// None: no window.
    pub window_ns: Option<i64>,
}

impl Default for RestartSpec {
    fn default() -> Self {
        Self {
            condition: "any".into(),
            delay_ns: None,
            max_attempts: None,
            window_ns: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HealthSpec {
    /// `["CMD-SHELL", "curl -f localhost"]`, `["CMD", "prog", "arg"]` or `["NONE"]`.
    pub test: Vec<String>,
    /// None: the image's (or the engine's default, 30 s).
    pub interval_ns: Option<i64>,
    pub timeout_ns: Option<i64>,
    pub start_period_ns: Option<i64>,
    pub retries: Option<u64>,
}

/// An update (or rollback) policy.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateSpec {
    /// Tasks updated at once (0: all at once).
    pub parallelism: u64,
    pub delay_ns: i64,
    /// `pause`, `continue` or `rollback` (updates only).
    pub failure_action: String,
    /// How long each task is watched for a failure; None: the engine's default (5 s).
    pub monitor_ns: Option<i64>,
    /// Failures tolerated during an update, 0 to 1.
    pub max_failure_ratio: f64,
    /// `stop-first` or `start-first`.
    pub order: String,
}

impl Default for UpdateSpec {
    /// Swarm's defaults: one at a time, no delay, pause on failure, watched 5 s, no
    /// failure tolerated, stop first.
    fn default() -> Self {
        Self {
            parallelism: 1,
            delay_ns: 0,
            failure_action: "pause".into(),
            monitor_ns: Some(5 * SECOND_NS),
            max_failure_ratio: 0.0,
            order: "stop-first".into(),
        }
    }
}

/// The wizard's six steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    App,
    Mode,
    Placement,
    Network,
    Storage,
    Review,
}

impl Step {
    pub const ALL: [Step; 6] = [
        Step::App,
        Step::Mode,
        Step::Placement,
        Step::Network,
        Step::Storage,
        Step::Review,
    ];

    pub fn title(&self) -> &'static str {
        match self {
            Self::App => "App",
            Self::Mode => "Mode",
            Self::Placement => "Placement",
            Self::Network => "Network and ports",
            Self::Storage => "Storage, config, resources",
            Self::Review => "Review",
        }
    }
    /// 0 for the first step.
    pub fn index(&self) -> usize {
        Self::ALL.iter().position(|s| s == self).unwrap_or(0)
    }
    pub fn next(&self) -> Option<Step> {
        Self::ALL.get(self.index() + 1).copied()
    }
    pub fn prev(&self) -> Option<Step> {
        self.index().checked_sub(1).map(|i| Self::ALL[i])
    }
}

/// A problem at one field of the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub step: Step,
    /// The form field's name, one of [`field`].
    pub field: &'static str,
    pub message: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} › {}: {}",
            self.step.title(),
            self.field,
            self.message
        )
    }
}

/// The form's field names, as [`FieldError::field`] names them. A list field (ports,
/// mounts…) has one name; its messages say which item.
pub mod field {
    pub const NAME: &str = "name";
    pub const IMAGE: &str = "image";
    pub const REGISTRY: &str = "registry";
    pub const REGISTRY_SERVER: &str = "registry_server";
    pub const REGISTRY_USERNAME: &str = "registry_username";
    pub const REGISTRY_PASSWORD: &str = "registry_password";
    pub const COMMAND: &str = "command";
    pub const ARGS: &str = "args";
    pub const ENV: &str = "env";
    pub const LABELS: &str = "labels";
    pub const STACK: &str = "stack";
    pub const MODE: &str = "mode";
    pub const REPLICAS: &str = "replicas";
    pub const COMPLETIONS: &str = "completions";
    pub const MAX_CONCURRENT: &str = "max_concurrent";
    pub const CONSTRAINTS: &str = "constraints";
    pub const SPREAD: &str = "spread";
    pub const MAX_PER_NODE: &str = "max_per_node";
    pub const NETWORKS: &str = "networks";
    pub const PORTS: &str = "ports";
    pub const MOUNTS: &str = "mounts";
    pub const SECRETS: &str = "secrets";
    pub const CONFIGS: &str = "configs";
    pub const GLOBAL_CONFIG: &str = "global_config";
    pub const LIMIT_CPUS: &str = "limit_cpus";
    pub const LIMIT_MEMORY: &str = "limit_memory";
    pub const RESERVE_CPUS: &str = "reserve_cpus";
    pub const RESERVE_MEMORY: &str = "reserve_memory";
    pub const RESTART_CONDITION: &str = "restart_condition";
    pub const RESTART_DELAY: &str = "restart_delay";
    pub const RESTART_MAX_ATTEMPTS: &str = "restart_max_attempts";
    pub const RESTART_WINDOW: &str = "restart_window";
    pub const HEALTH_TEST: &str = "health_test";
    pub const HEALTH_INTERVAL: &str = "health_interval";
    pub const HEALTH_TIMEOUT: &str = "health_timeout";
    pub const HEALTH_START_PERIOD: &str = "health_start_period";
    pub const HEALTH_RETRIES: &str = "health_retries";
    pub const UPDATE_PARALLELISM: &str = "update_parallelism";
    pub const UPDATE_DELAY: &str = "update_delay";
    pub const UPDATE_FAILURE_ACTION: &str = "update_failure_action";
    pub const UPDATE_MONITOR: &str = "update_monitor";
    pub const UPDATE_MAX_FAILURE_RATIO: &str = "update_max_failure_ratio";
    pub const UPDATE_ORDER: &str = "update_order";
    pub const ROLLBACK_PARALLELISM: &str = "rollback_parallelism";
    pub const ROLLBACK_DELAY: &str = "rollback_delay";
    pub const ROLLBACK_FAILURE_ACTION: &str = "rollback_failure_action";
    pub const ROLLBACK_MONITOR: &str = "rollback_monitor";
    pub const ROLLBACK_MAX_FAILURE_RATIO: &str = "rollback_max_failure_ratio";
    pub const ROLLBACK_ORDER: &str = "rollback_order";
}

/// What the wizard knows of the swarm, for its checks.
#[derive(Debug, Clone, Default)]
pub struct Cluster {
    pub nodes: Vec<Node>,
    /// Every service's name and the ports it publishes.
    pub services: Vec<(String, Vec<(u16, Protocol)>)>,
    /// Network names.
    pub networks: Vec<String>,
    /// Secret names.
    pub secrets: Vec<String>,
    /// Config names.
    pub configs: Vec<String>,
}
