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

// ---------------------------------------------------------------- the swarm's resources
// Read from the engine's raw JSON (`write::read_raw` / `write::call`): the resource popups
// show what the engine sent and say "not reported" for a field it did not send.

mod raw {
    use std::collections::BTreeMap;

    use serde_json::Value;

    pub fn str_at(v: &Value, p: &str) -> String {
        v.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    }
    pub fn u64_at(v: &Value, p: &str) -> Option<u64> {
        v.pointer(p).and_then(Value::as_u64)
    }
    pub fn i64_at(v: &Value, p: &str) -> Option<i64> {
        v.pointer(p).and_then(Value::as_i64)
    }
    pub fn bool_at(v: &Value, p: &str) -> Option<bool> {
        v.pointer(p).and_then(Value::as_bool)
    }
    pub fn time_at(v: &Value, p: &str) -> Option<jiff::Timestamp> {
        v.pointer(p)
            .and_then(Value::as_str)
            .and_then(super::parse_time)
    }
    /// A string map (labels, options); `null` or absent is empty.
    pub fn map_at(v: &Value, p: &str) -> BTreeMap<String, String> {
        v.pointer(p)
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                        (k.clone(), v)
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
    pub fn list_at<'a>(v: &'a Value, p: &str) -> impl Iterator<Item = &'a Value> {
        v.pointer(p).and_then(Value::as_array).into_iter().flatten()
    }
}

/// The certificates of a PEM bundle (the swarm's `TLSInfo.TrustRoot`), with their subject
/// and expiry; parsed by `x509-parser`.
pub fn trust_root(pem: &str) -> Result<Vec<cluster::CertInfo>, String> {
    use x509_parser::pem::Pem;
    let mut out = Vec::new();
    for block in Pem::iter_from_buffer(pem.as_bytes()) {
        let block = block.map_err(|e| format!("not PEM: {e}"))?;
        if block.label != "CERTIFICATE" {
            continue;
        }
        let cert = block
            .parse_x509()
            .map_err(|e| format!("not an X.509 certificate: {e}"))?;
        let not_after = jiff::Timestamp::from_second(cert.validity().not_after.timestamp())
            .map_err(|e| format!("its expiry is out of range: {e}"))?;
        out.push(cluster::CertInfo {
            subject: cert.subject().to_string(),
            not_after,
        });
    }
    if out.is_empty() {
        return Err("no certificate in it".into());
    }
    Ok(out)
}

/// `GET /swarm` → [`cluster::SwarmInfo`].
pub fn swarm_info(v: &serde_json::Value) -> cluster::SwarmInfo {
    use raw::*;
    let root = str_at(v, "/TLSInfo/TrustRoot");
    let (root_certs, root_error) = if root.is_empty() {
        (Vec::new(), Some("not reported".to_string()))
    } else {
        match trust_root(&root) {
            Ok(c) => (c, None),
            Err(e) => (Vec::new(), Some(e)),
        }
    };
    cluster::SwarmInfo {
        id: str_at(v, "/ID"),
        version: u64_at(v, "/Version/Index").unwrap_or(0),
        created: time_at(v, "/CreatedAt"),
        updated: time_at(v, "/UpdatedAt"),
        labels: map_at(v, "/Spec/Labels"),
        snapshot_interval: u64_at(v, "/Spec/Raft/SnapshotInterval"),
        keep_old_snapshots: u64_at(v, "/Spec/Raft/KeepOldSnapshots"),
        log_entries_for_slow_followers: u64_at(v, "/Spec/Raft/LogEntriesForSlowFollowers"),
        election_tick: u64_at(v, "/Spec/Raft/ElectionTick"),
        heartbeat_tick: u64_at(v, "/Spec/Raft/HeartbeatTick"),
        dispatcher_heartbeat_ns: i64_at(v, "/Spec/Dispatcher/HeartbeatPeriod"),
        task_history_limit: i64_at(v, "/Spec/Orchestration/TaskHistoryRetentionLimit"),
        node_cert_expiry_ns: i64_at(v, "/Spec/CAConfig/NodeCertExpiry"),
        ca_force_rotate: u64_at(v, "/Spec/CAConfig/ForceRotate"),
        external_cas: list_at(v, "/Spec/CAConfig/ExternalCAs")
            .map(|ca| cluster::ExternalCa {
                protocol: str_at(ca, "/Protocol"),
                url: str_at(ca, "/URL"),
            })
            .collect(),
        root_certs,
        root_error,
        root_rotation: bool_at(v, "/RootRotationInProgress"),
        autolock: bool_at(v, "/Spec/EncryptionConfig/AutoLockManagers"),
        default_addr_pool: list_at(v, "/DefaultAddrPool")
            .filter_map(|p| p.as_str().map(str::to_string))
            .collect(),
        subnet_size: u64_at(v, "/SubnetSize"),
        data_path_port: u64_at(v, "/DataPathPort"),
        worker_token: cluster::JoinToken::new(str_at(v, "/JoinTokens/Worker")),
        manager_token: cluster::JoinToken::new(str_at(v, "/JoinTokens/Manager")),
    }
}

/// `GET /networks` → [`cluster::Network`]s, by name.
pub fn networks(v: &serde_json::Value) -> Vec<cluster::Network> {
    use raw::*;
    let mut out: Vec<cluster::Network> = v
        .as_array()
        .into_iter()
        .flatten()
        .map(|n| cluster::Network {
            id: str_at(n, "/Id"),
            name: str_at(n, "/Name"),
            driver: str_at(n, "/Driver"),
            scope: str_at(n, "/Scope"),
            attachable: bool_at(n, "/Attachable").unwrap_or(false),
            ingress: bool_at(n, "/Ingress").unwrap_or(false),
            internal: bool_at(n, "/Internal").unwrap_or(false),
            ipam: list_at(n, "/IPAM/Config")
                .map(|c| cluster::IpamPool {
                    subnet: str_at(c, "/Subnet"),
                    gateway: str_at(c, "/Gateway"),
                })
                .collect(),
            labels: map_at(n, "/Labels"),
            created: time_at(n, "/Created"),
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// `GET /volumes` → [`cluster::Volume`]s, by name.
pub fn volumes(v: &serde_json::Value) -> Vec<cluster::Volume> {
    use raw::*;
    let mut out: Vec<cluster::Volume> = list_at(v, "/Volumes")
        .map(|x| cluster::Volume {
            name: str_at(x, "/Name"),
            driver: str_at(x, "/Driver"),
            scope: str_at(x, "/Scope"),
            labels: map_at(x, "/Labels"),
            options: map_at(x, "/Options"),
            created: time_at(x, "/CreatedAt"),
            mountpoint: str_at(x, "/Mountpoint"),
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// `GET /services` → what each service uses of the networks and volumes, by name.
pub fn service_uses(v: &serde_json::Value) -> Vec<cluster::ServiceUse> {
    use raw::*;
    let mut out: Vec<cluster::ServiceUse> = v
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            let mut networks: Vec<String> = list_at(s, "/Spec/TaskTemplate/Networks")
                .map(|n| str_at(n, "/Target"))
                .chain(list_at(s, "/Endpoint/VirtualIPs").map(|n| str_at(n, "/NetworkID")))
                .filter(|t| !t.is_empty())
                .collect();
            networks.dedup();
            cluster::ServiceUse {
                id: ServiceId(str_at(s, "/ID")),
                name: str_at(s, "/Spec/Name"),
                replicas: s
                    .pointer("/Spec/Mode/Replicated")
                    .map(|r| u64_at(r, "/Replicas").unwrap_or(1)),
                networks,
                volumes: list_at(s, "/Spec/TaskTemplate/ContainerSpec/Mounts")
                    .filter(|m| str_at(m, "/Type") == "volume")
                    .map(|m| cluster::VolumeMount {
                        source: str_at(m, "/Source"),
                        target: str_at(m, "/Target"),
                        driver: str_at(m, "/VolumeOptions/DriverConfig/Name"),
                        options: map_at(m, "/VolumeOptions/DriverConfig/Options"),
                        read_only: bool_at(m, "/ReadOnly").unwrap_or(false),
                    })
                    .collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod resource_tests {
    use super::*;

    fn fixture(name: &str) -> serde_json::Value {
        let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn the_recorded_swarm_reads_with_its_root_ca_expiry() {
        let s = swarm_info(&fixture("engine-swarm.json"));
        assert_eq!(s.id, "mvlefp6jwuc8s5k299f60ojnd");
        assert_eq!(s.version, 10);
        assert_eq!(s.election_tick, Some(10));
        assert_eq!(s.dispatcher_heartbeat_ns, Some(2_000_000_000));
        assert_eq!(s.autolock, Some(false));
        assert_eq!(s.ca_force_rotate, None, "not sent: not invented");
        assert_eq!(s.root_error, None);
        let certs = s.root_certs;
        assert_eq!(certs.len(), 1);
        assert_eq!(certs[0].subject, "CN=swarm-ca");
        assert_eq!(certs[0].not_after.to_string(), "2046-11-26T20:19:00Z");
        assert!(s.worker_token.reveal().starts_with("SWMTKN-1-"));
        assert_eq!(s.data_path_port, Some(4789));
        assert_eq!(s.default_addr_pool, ["10.0.0.0/8"]);
        assert!(trust_root("nonsense").is_err());
    }

    #[test]
    fn the_recorded_networks_volumes_and_mounts_read() {
        let n = networks(&fixture("engine-networks.json"));
        let backend = n.iter().find(|n| n.name == "rx_backend").unwrap();
        assert!(backend.attachable && !backend.ingress);
        assert_eq!(backend.ipam[0].subnet, "10.201.0.0/24");
        let uses = service_uses(&fixture("engine-services-resources.json"));
        assert_eq!(
            cluster::attached_services(backend, &uses),
            ["rx_db", "rx_web"]
        );
        let db = uses.iter().find(|s| s.name == "rx_db").unwrap();
        assert_eq!(db.volumes[0].options["o"], "addr=198.51.100.50");
        assert_eq!(db.volumes[0].options["device"], ":/exports/db");
        let files = uses.iter().find(|s| s.name == "rx-files").unwrap();
        assert!(files.volumes.is_empty(), "a bind mount is not a volume");
        assert_eq!(files.replicas, None);
        let v = volumes(&fixture("engine-volumes.json"));
        assert_eq!(v.len(), 2);
        assert_eq!(v[1].options["type"], "nfs");
    }
}
