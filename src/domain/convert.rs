//! The one boundary where bollard's types become swarmdeck's.

use std::collections::{BTreeMap, HashMap};

use bollard::models as bm;

use super::*;

fn labels(map: Option<HashMap<String, String>>) -> BTreeMap<String, String> {
    map.map(|m| m.into_iter().collect()).unwrap_or_default()
}

fn text<E: std::fmt::Display>(e: Option<E>) -> String {
    e.map(|e| e.to_string()).unwrap_or_default()
}

impl From<bm::Node> for Node {
    fn from(n: bm::Node) -> Self {
        let spec = n.spec.unwrap_or_default();
        let desc = n.description.unwrap_or_default();
        let status = n.status.unwrap_or_default();
        let resources = desc.resources.unwrap_or_default();
        let platform = desc.platform.unwrap_or_default();
        let engine = desc.engine.unwrap_or_default();
        let role = Role::parse(&text(spec.role));
        Node {
            id: NodeId(n.id.unwrap_or_default()),
            version: n.version.and_then(|v| v.index).unwrap_or(0),
            hostname: desc.hostname.unwrap_or_default(),
            role,
            availability: Availability::parse(&text(spec.availability)),
            state: NodeState::parse(&text(status.state)),
            state_message: status.message.unwrap_or_default(),
            manager: n.manager_status.map(|m| ManagerInfo {
                leader: m.leader.unwrap_or(false),
                reachability: Reachability::parse(&text(m.reachability)),
                addr: m.addr.unwrap_or_default(),
            }),
            status_addr: status.addr.unwrap_or_default(),
            engine_version: engine.engine_version.unwrap_or_default(),
            engine_labels: labels(engine.labels),
            os: platform.os.unwrap_or_default(),
            arch: platform.architecture.unwrap_or_default(),
            labels: labels(spec.labels),
            nano_cpus: resources.nano_cpus.unwrap_or(0),
            memory_bytes: resources.memory_bytes.unwrap_or(0),
        }
    }
}

fn mode_of(mode: Option<bm::ServiceSpecMode>) -> ServiceMode {
    let Some(m) = mode else {
        return ServiceMode::Unknown;
    };
    if let Some(r) = m.replicated {
        ServiceMode::Replicated {
            replicas: r.replicas.unwrap_or(1).max(0) as u64,
        }
    } else if m.global.is_some() {
        ServiceMode::Global
    } else if let Some(j) = m.replicated_job {
        ServiceMode::ReplicatedJob {
            max_concurrent: j.max_concurrent.unwrap_or(1).max(0) as u64,
            total_completions: j.total_completions.unwrap_or(1).max(0) as u64,
        }
    } else if m.global_job.is_some() {
        ServiceMode::GlobalJob
    } else {
        ServiceMode::Unknown
    }
}

impl From<bm::Service> for Service {
    fn from(s: bm::Service) -> Self {
        let spec = s.spec.unwrap_or_default();
        let template = spec.task_template.unwrap_or_default();
        let image = template
            .container_spec
            .and_then(|c| c.image)
            .unwrap_or_default();
        let placement = template.placement.unwrap_or_default();
        let constraints = placement.constraints.unwrap_or_default();
        let reservations = template
            .resources
            .and_then(|r| r.reservations)
            .unwrap_or_default();
        let mode = mode_of(spec.mode);
        let status = s.service_status.unwrap_or_default();
        let update = s.update_status;
        let update_state = update
            .as_ref()
            .and_then(|u| u.state.as_ref())
            .map(|st| UpdateState::parse(st.as_ref()));
        Service {
            id: ServiceId(s.id.unwrap_or_default()),
            version: s.version.and_then(|v| v.index).unwrap_or(0),
            name: spec.name.unwrap_or_default(),
            desired: status.desired_tasks.unwrap_or(match mode {
                ServiceMode::Replicated { replicas } => replicas,
                _ => 0,
            }),
            running: status.running_tasks.unwrap_or(0),
            completed: status.completed_tasks.unwrap_or(0),
            mode,
            image,
            update_state,
            update_started: update
                .as_ref()
                .and_then(|u| u.started_at.as_deref())
                .and_then(parse_time),
            update_message: update.and_then(|u| u.message).unwrap_or_default(),
            constraints,
            labels: labels(spec.labels),
            reserve_nano_cpus: reservations.nano_cpus.unwrap_or(0),
            reserve_memory_bytes: reservations.memory_bytes.unwrap_or(0),
            max_replicas_per_node: placement.max_replicas.unwrap_or(0).max(0) as u64,
        }
    }
}

impl From<bm::Task> for Task {
    fn from(t: bm::Task) -> Self {
        let status = t.status.unwrap_or_default();
        let container = status.container_status.clone().unwrap_or_default();
        let cspec = t.spec.and_then(|s| s.container_spec).unwrap_or_default();
        let configs = cspec
            .configs
            .unwrap_or_default()
            .into_iter()
            .map(|c| {
                (
                    c.config_name.unwrap_or_default(),
                    c.file.and_then(|f| f.name).unwrap_or_default(),
                )
            })
            .collect();
        let secrets = cspec
            .secrets
            .unwrap_or_default()
            .into_iter()
            .map(|c| {
                (
                    c.secret_name.unwrap_or_default(),
                    c.file.and_then(|f| f.name).unwrap_or_default(),
                )
            })
            .collect();
        Task {
            id: TaskId(t.id.unwrap_or_default()),
            service_id: ServiceId(t.service_id.unwrap_or_default()),
            node_id: t.node_id.filter(|n| !n.is_empty()).map(NodeId),
            slot: t.slot,
            desired: TaskState::parse(&text(t.desired_state)),
            state: TaskState::parse(&text(status.state)),
            since: status.timestamp.as_deref().and_then(parse_time),
            message: status.message.unwrap_or_default(),
            error: status.err.unwrap_or_default(),
            created: t.created_at.as_deref().and_then(parse_time),
            updated: t.updated_at.as_deref().and_then(parse_time),
            image: cspec.image.unwrap_or_default(),
            container_id: container.container_id.unwrap_or_default(),
            exit_code: container.exit_code,
            configs,
            secrets,
        }
    }
}

impl From<(bm::SystemInfo, bm::SystemVersion)> for EngineInfo {
    fn from((info, version): (bm::SystemInfo, bm::SystemVersion)) -> Self {
        let swarm = info.swarm.unwrap_or_default();
        EngineInfo {
            name: info.name.unwrap_or_default(),
            engine_version: version.version.or(info.server_version).unwrap_or_default(),
            api_version: version.api_version.unwrap_or_default(),
            node_id: NodeId(swarm.node_id.unwrap_or_default()),
            node_addr: swarm.node_addr.unwrap_or_default(),
            swarm_state: text(swarm.local_node_state),
            control_available: swarm.control_available.unwrap_or(false),
            cluster_id: swarm.cluster.and_then(|c| c.id).unwrap_or_default(),
            managers: swarm.managers.unwrap_or(0),
            nodes: swarm.nodes.unwrap_or(0),
            remote_managers: swarm
                .remote_managers
                .unwrap_or_default()
                .into_iter()
                .filter_map(|p| p.addr)
                .collect(),
            swarm_error: swarm.error.unwrap_or_default(),
        }
    }
}

impl From<bm::Secret> for Secret {
    fn from(s: bm::Secret) -> Self {
        let spec = s.spec.unwrap_or_default();
        Secret {
            id: SecretId(s.id.unwrap_or_default()),
            version: s.version.and_then(|v| v.index).unwrap_or(0),
            name: spec.name.unwrap_or_default(),
            created: s.created_at.as_deref().and_then(parse_time),
            updated: s.updated_at.as_deref().and_then(parse_time),
            labels: labels(spec.labels),
            // `Spec.Data` is never returned for a secret: nothing else is read
            driver: spec.driver.map(|d| d.name).unwrap_or_default(),
        }
    }
}

impl From<bm::Config> for Config {
    fn from(c: bm::Config) -> Self {
        use base64::Engine as _;
        let spec = c.spec.unwrap_or_default();
        Config {
            id: ConfigId(c.id.unwrap_or_default()),
            version: c.version.and_then(|v| v.index).unwrap_or(0),
            name: spec.name.unwrap_or_default(),
            created: c.created_at.as_deref().and_then(parse_time),
            updated: c.updated_at.as_deref().and_then(parse_time),
            labels: labels(spec.labels),
            // standard base64 (RFC 4648 §4), whatever older API docs said
            data: spec
                .data
                .and_then(|d| base64::engine::general_purpose::STANDARD.decode(d).ok()),
        }
    }
}

/// What a service mounts, from its spec (never from a task: what it should run).
impl From<bm::Service> for ServiceRefs {
    fn from(s: bm::Service) -> Self {
        let spec = s.spec.unwrap_or_default();
        let container = spec
            .task_template
            .and_then(|t| t.container_spec)
            .unwrap_or_default();
        ServiceRefs {
            id: ServiceId(s.id.unwrap_or_default()),
            name: spec.name.unwrap_or_default(),
            secrets: container
                .secrets
                .unwrap_or_default()
                .into_iter()
                .map(|r| Mounted {
                    id: r.secret_id.unwrap_or_default(),
                    name: r.secret_name.unwrap_or_default(),
                    target: r.file.and_then(|f| f.name).unwrap_or_default(),
                })
                .collect(),
            configs: container
                .configs
                .unwrap_or_default()
                .into_iter()
                .map(|r| Mounted {
                    id: r.config_id.unwrap_or_default(),
                    name: r.config_name.unwrap_or_default(),
                    target: r.file.and_then(|f| f.name).unwrap_or_default(),
                })
                .collect(),
        }
    }
}
