//! The swarm's own settings, its networks and its volumes, as the resource popups show them
//! (`:cluster`, `:networks`, `:volumes`), and the pure judgements on them: whether a network
//! may be removed, whether a new overlay's form is right, which declared volumes give every
//! node its own empty copy. Read from the engine's raw JSON in [`super::convert`].

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use jiff::Timestamp;

use super::{NodeId, ServiceId, Task};

/// Which join token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JoinRole {
    Worker,
    Manager,
}

impl JoinRole {
    pub fn name(self) -> &'static str {
        match self {
            JoinRole::Worker => "worker",
            JoinRole::Manager => "manager",
        }
    }
}

impl fmt::Display for JoinRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A swarm join token: a credential. Its `Debug` never shows it, so a message or a state
/// printed for a log or a test failure does not leak it; [`JoinToken::reveal`] is the one
/// way to the text.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct JoinToken(String);

impl JoinToken {
    pub fn new(text: impl Into<String>) -> Self {
        JoinToken(text.into())
    }

    /// The token itself: only for a reveal the user asked for, or the clipboard.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `SWMTKN-1-••••••••…`: the kind of token, nothing of its secret.
    pub fn masked(&self) -> String {
        if self.0.is_empty() {
            return String::new();
        }
        let prefix = if self.0.starts_with("SWMTKN-1-") {
            "SWMTKN-1-"
        } else {
            ""
        };
        format!("{prefix}••••••••…")
    }
}

impl fmt::Debug for JoinToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JoinToken({})", self.masked())
    }
}

/// A certificate of the swarm's trust root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// `CN=swarm-ca`.
    pub subject: String,
    pub not_after: Timestamp,
}

/// An external CA of `Spec.CAConfig.ExternalCAs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalCa {
    pub protocol: String,
    pub url: String,
}

/// `GET /swarm`, as read. `None`: the engine did not send the field (shown as "not
/// reported", never as a default).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SwarmInfo {
    pub id: String,
    pub version: u64,
    pub created: Option<Timestamp>,
    pub updated: Option<Timestamp>,
    pub labels: BTreeMap<String, String>,
    pub snapshot_interval: Option<u64>,
    pub keep_old_snapshots: Option<u64>,
    pub log_entries_for_slow_followers: Option<u64>,
    pub election_tick: Option<u64>,
    pub heartbeat_tick: Option<u64>,
    /// `Spec.Dispatcher.HeartbeatPeriod`, nanoseconds.
    pub dispatcher_heartbeat_ns: Option<i64>,
    pub task_history_limit: Option<i64>,
    /// `Spec.CAConfig.NodeCertExpiry`, nanoseconds.
    pub node_cert_expiry_ns: Option<i64>,
    pub ca_force_rotate: Option<u64>,
    pub external_cas: Vec<ExternalCa>,
    /// The certificates of `TLSInfo.TrustRoot` (empty with `root_error`).
    pub root_certs: Vec<CertInfo>,
    /// Why the trust root could not be read.
    pub root_error: Option<String>,
    pub root_rotation: Option<bool>,
    pub autolock: Option<bool>,
    pub default_addr_pool: Vec<String>,
    pub subnet_size: Option<u64>,
    pub data_path_port: Option<u64>,
    pub worker_token: JoinToken,
    pub manager_token: JoinToken,
}

impl SwarmInfo {
    pub fn token(&self, role: JoinRole) -> &JoinToken {
        match role {
            JoinRole::Worker => &self.worker_token,
            JoinRole::Manager => &self.manager_token,
        }
    }
}

/// `docker swarm join --token TOKEN ADDR` for a new node of `role`, as `docker swarm
/// join-token` prints it. `addr` is `host:port` (the manager's advertise address).
pub fn join_command(token: &JoinToken, addr: &str) -> String {
    format!("docker swarm join --token {} {addr}", token.reveal())
}

/// A duration in nanoseconds as Docker's flags write it: `5s`, `2160h`, `1m30s`, `250ms`.
pub fn duration_text(ns: i64) -> String {
    if ns == 0 {
        return "0s".into();
    }
    let neg = if ns < 0 { "-" } else { "" };
    let ns = ns.unsigned_abs();
    const MS: u64 = 1_000_000;
    const S: u64 = 1_000 * MS;
    if !ns.is_multiple_of(S) {
        return if ns.is_multiple_of(MS) {
            format!("{neg}{}ms", ns / MS)
        } else {
            format!("{neg}{ns}ns")
        };
    }
    let secs = ns / S;
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = neg.to_string();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || out.len() == neg.len() {
        out.push_str(&format!("{s}s"));
    }
    if h >= 48 && h.is_multiple_of(24) && m == 0 && s == 0 {
        out.push_str(&format!(" ({}d)", h / 24));
    }
    out
}

// ------------------------------------------------------------------ networks

/// One IPAM pool of a network.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IpamPool {
    pub subnet: String,
    pub gateway: String,
}

/// A network as `GET /networks` lists it on the connected manager: the swarm's networks and
/// this engine's own local ones.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Network {
    pub id: String,
    pub name: String,
    pub driver: String,
    /// `swarm` or `local`.
    pub scope: String,
    pub attachable: bool,
    pub ingress: bool,
    pub internal: bool,
    pub ipam: Vec<IpamPool>,
    pub labels: BTreeMap<String, String>,
    pub created: Option<Timestamp>,
}

/// The networks every engine makes for itself; they cannot be removed.
pub const PREDEFINED_NETWORKS: &[&str] = &["bridge", "host", "none", "docker_gwbridge"];

impl Network {
    pub fn is_predefined(&self) -> bool {
        PREDEFINED_NETWORKS.contains(&self.name.as_str())
            || self.labels.contains_key("com.docker.swarm.predefined")
    }
}

/// What one service uses of the swarm's networks and volumes (from its raw spec).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceUse {
    pub id: ServiceId,
    pub name: String,
    /// `Some(replicas)` for a replicated service; `None` for the other modes.
    pub replicas: Option<u64>,
    /// `Spec.TaskTemplate.Networks[].Target` (an id or a name) and
    /// `Endpoint.VirtualIPs[].NetworkID`.
    pub networks: Vec<String>,
    /// `Spec.TaskTemplate.ContainerSpec.Mounts` of type volume.
    pub volumes: Vec<VolumeMount>,
}

/// A volume mount a service declares.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VolumeMount {
    /// The volume's name; empty for an anonymous volume.
    pub source: String,
    pub target: String,
    /// `VolumeOptions.DriverConfig.Name`; empty: the engine's default (`local`).
    pub driver: String,
    /// `VolumeOptions.DriverConfig.Options` (NFS: `type`, `o=addr=…`, `device`).
    pub options: BTreeMap<String, String>,
    pub read_only: bool,
}

impl VolumeMount {
    /// The driver the volume gets: the declared one, else `local`.
    pub fn driver_name(&self) -> &str {
        if self.driver.is_empty() {
            "local"
        } else {
            &self.driver
        }
    }
}

/// The services attached to `net`, by name, sorted.
pub fn attached_services(net: &Network, services: &[ServiceUse]) -> Vec<String> {
    let mut out: Vec<String> = services
        .iter()
        .filter(|s| {
            s.networks
                .iter()
                .any(|t| *t == net.id || (!net.name.is_empty() && *t == net.name))
        })
        .map(|s| s.name.clone())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Why `net` may not be removed, or `None` when it may be asked for.
pub fn remove_refusal(net: &Network, services: &[ServiceUse]) -> Option<String> {
    if net.ingress || net.name == "ingress" {
        return Some(format!(
            "{} is the swarm's routing mesh (ingress): swarmdeck does not remove it",
            net.name
        ));
    }
    if net.is_predefined() {
        return Some(format!(
            "{} is one of the networks every engine makes for itself (bridge, host, none, \
             docker_gwbridge): it cannot be removed",
            net.name
        ));
    }
    let users = attached_services(net, services);
    if !users.is_empty() {
        return Some(format!(
            "{} is in use by {}: remove it from {} first",
            net.name,
            users.join(", "),
            if users.len() == 1 {
                "that service"
            } else {
                "those services"
            }
        ));
    }
    None
}

/// A new attachable overlay, checked ([`check_new_network`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNetwork {
    pub name: String,
    pub subnet: Option<String>,
    pub gateway: Option<String>,
}

impl NewNetwork {
    /// The body of `POST /networks/create`.
    pub fn body(&self) -> serde_json::Value {
        let mut body = serde_json::json!({
            "Name": self.name,
            "Driver": "overlay",
            "Attachable": true,
            "CheckDuplicate": true,
        });
        if let Some(subnet) = &self.subnet {
            let mut pool = serde_json::json!({ "Subnet": subnet });
            if let Some(g) = &self.gateway {
                pool["Gateway"] = serde_json::Value::String(g.clone());
            }
            body["IPAM"] = serde_json::json!({ "Driver": "default", "Config": [pool] });
        }
        body
    }
}

/// A field's error in a form: (field name, message).
pub type FieldError = (&'static str, String);

/// Whether `name` is a name Swarm takes for a network: a DNS label (swarmkit's
/// `validateAnnotations`): letters and digits, `-` and `_` inside, at most 63 characters.
pub fn check_network_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("a name is needed".into());
    }
    if name.len() > 63 {
        return Err(format!("{} characters: at most 63", name.len()));
    }
    let b = name.as_bytes();
    let alnum = |c: u8| c.is_ascii_alphanumeric();
    if !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return Err("must start and end with a letter or a digit".into());
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(format!(
            "{c:?} is not allowed: letters, digits, - and _ only (a DNS name)"
        ));
    }
    Ok(())
}

/// A CIDR `addr/prefix`: the address and the prefix length.
pub fn parse_cidr(text: &str) -> Result<(IpAddr, u8), String> {
    let (addr, prefix) = text
        .split_once('/')
        .ok_or_else(|| format!("{text} is not a CIDR subnet (e.g. 10.20.0.0/24)"))?;
    let ip: IpAddr = addr
        .parse()
        .map_err(|_| format!("{addr} is not an IP address"))?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let prefix: u8 = prefix
        .parse()
        .ok()
        .filter(|p| *p <= max)
        .ok_or_else(|| format!("/{prefix} is not a prefix length (0–{max})"))?;
    Ok((ip, prefix))
}

fn bits(ip: IpAddr) -> (u128, u8) {
    match ip {
        IpAddr::V4(v) => (u128::from(u32::from(v)), 32),
        IpAddr::V6(v) => (u128::from(v), 128),
    }
}

fn mask(prefix: u8, width: u8) -> u128 {
    if prefix == 0 {
        return 0;
    }
    let all: u128 = if width == 128 {
        u128::MAX
    } else {
        (1u128 << width) - 1
    };
    // prefix ≥ 1, so the shift is below 128
    let host = (1u128 << (width - prefix)) - 1;
    all & !host
}

/// Whether `ip` is inside `net/prefix` (same address family).
pub fn subnet_contains(net: IpAddr, prefix: u8, ip: IpAddr) -> bool {
    if net.is_ipv4() != ip.is_ipv4() {
        return false;
    }
    let (n, w) = bits(net);
    let (i, _) = bits(ip);
    let m = mask(prefix, w);
    n & m == i & m
}

/// Whether two subnets share an address.
fn overlaps(a: (IpAddr, u8), b: (IpAddr, u8)) -> bool {
    let shorter = if a.1 <= b.1 { a } else { b };
    let other = if a.1 <= b.1 { b } else { a };
    subnet_contains(shorter.0, shorter.1, other.0)
}

/// The network address of `ip/prefix` written out (`10.20.0.0/24`).
fn network_of(ip: IpAddr, prefix: u8) -> String {
    let (b, w) = bits(ip);
    let n = b & mask(prefix, w);
    let addr = if w == 32 {
        IpAddr::V4(std::net::Ipv4Addr::from(n as u32))
    } else {
        IpAddr::V6(std::net::Ipv6Addr::from(n))
    };
    format!("{addr}/{prefix}")
}

/// Check the create form before anything is sent: the name's rules and that it is free, the
/// subnet's CIDR syntax and that it overlaps no known network's, the gateway an address
/// inside the subnet (and only with one). Every error, each at its field.
pub fn check_new_network(
    name: &str,
    subnet: &str,
    gateway: &str,
    existing: &[Network],
) -> Result<NewNetwork, Vec<FieldError>> {
    let (name, subnet, gateway) = (name.trim(), subnet.trim(), gateway.trim());
    let mut errors: Vec<FieldError> = Vec::new();
    if let Err(e) = check_network_name(name) {
        errors.push(("name", e));
    } else if existing.iter().any(|n| n.name == name) {
        errors.push(("name", format!("a network called {name} exists already")));
    }
    let mut cidr = None;
    if !subnet.is_empty() {
        match parse_cidr(subnet) {
            Err(e) => errors.push(("subnet", e)),
            Ok((ip, prefix)) => {
                let net = network_of(ip, prefix);
                if net != format!("{ip}/{prefix}") {
                    errors.push((
                        "subnet",
                        format!("{subnet} has host bits set: did you mean {net}?"),
                    ));
                } else if let Some((other, pool)) = existing.iter().find_map(|n| {
                    n.ipam
                        .iter()
                        .find(|p| parse_cidr(&p.subnet).is_ok_and(|o| overlaps((ip, prefix), o)))
                        .map(|p| (n, p))
                }) {
                    errors.push((
                        "subnet",
                        format!(
                            "{subnet} overlaps {} of network {}",
                            pool.subnet, other.name
                        ),
                    ));
                } else {
                    cidr = Some((ip, prefix));
                }
            }
        }
    }
    if !gateway.is_empty() {
        match gateway.parse::<IpAddr>() {
            Err(_) => errors.push(("gateway", format!("{gateway} is not an IP address"))),
            Ok(_) if subnet.is_empty() => {
                errors.push(("gateway", "a gateway needs a subnet".into()));
            }
            Ok(g) => {
                if let Some((ip, prefix)) = cidr
                    && !subnet_contains(ip, prefix, g)
                {
                    errors.push(("gateway", format!("{gateway} is not inside {subnet}")));
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(NewNetwork {
        name: name.to_string(),
        subnet: (!subnet.is_empty()).then(|| subnet.to_string()),
        gateway: (!gateway.is_empty()).then(|| gateway.to_string()),
    })
}

// ------------------------------------------------------------------ volumes

/// A volume of the connected engine (`GET /volumes`: that engine's only).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Volume {
    pub name: String,
    pub driver: String,
    pub scope: String,
    pub labels: BTreeMap<String, String>,
    pub options: BTreeMap<String, String>,
    pub created: Option<Timestamp>,
    pub mountpoint: String,
}

/// A volume as the services' mounts declare it across the cluster: one per name, driver
/// and options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredVolume {
    /// Empty for anonymous volumes.
    pub name: String,
    pub driver: String,
    pub options: BTreeMap<String, String>,
    /// Each service that mounts it (name, its mount targets) and the nodes its tasks are on
    /// now (hostnames, sorted).
    pub users: Vec<VolumeUser>,
    /// The warning, when each node gets its own copy (see [`declared_volumes`]).
    pub flag: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeUser {
    pub service: String,
    pub targets: Vec<String>,
    pub replicas: Option<u64>,
    pub nodes: Vec<String>,
}

impl DeclaredVolume {
    /// Every node any of its users' tasks are on now.
    pub fn nodes(&self) -> Vec<String> {
        let mut all: Vec<String> = self.users.iter().flat_map(|u| u.nodes.clone()).collect();
        all.sort();
        all.dedup();
        all
    }
}

/// The nodes a service's tasks are on now: tasks that should run (desired running, ready or
/// accepted, as the live poll reads them) and are assigned or further (up to running).
pub fn task_nodes(
    service: &ServiceId,
    tasks: &[Task],
    hostname: impl Fn(&NodeId) -> String,
) -> Vec<String> {
    let mut out: Vec<String> = tasks
        .iter()
        .filter(|t| &t.service_id == service)
        .filter(|t| {
            matches!(t.desired.as_str(), "running" | "ready" | "accepted") && t.state.is_active()
        })
        .filter_map(|t| t.node_id.as_ref().map(&hostname))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// What the services' mounts declare across the cluster, grouped by volume (name, driver,
/// options), with where each user's tasks run now. A named volume with the local driver and
/// no driver options, mounted by a replicated service whose tasks are on more than one
/// node, is flagged: Swarm creates a volume of that name on each node a task lands on, so
/// each node gets its own empty copy and the replicas do not share data.
pub fn declared_volumes(
    services: &[ServiceUse],
    tasks: &[Task],
    hostname: impl Fn(&NodeId) -> String,
) -> Vec<DeclaredVolume> {
    let mut out: Vec<DeclaredVolume> = Vec::new();
    for s in services {
        let nodes = task_nodes(&s.id, tasks, &hostname);
        for m in &s.volumes {
            let driver = m.driver_name().to_string();
            let pos = out.iter().position(|d| {
                !m.source.is_empty()
                    && d.name == m.source
                    && d.driver == driver
                    && d.options == m.options
            });
            let i = match pos {
                Some(i) => i,
                None => {
                    out.push(DeclaredVolume {
                        name: m.source.clone(),
                        driver,
                        options: m.options.clone(),
                        users: Vec::new(),
                        flag: None,
                    });
                    out.len() - 1
                }
            };
            let d = &mut out[i];
            match d.users.iter_mut().find(|u| u.service == s.name) {
                Some(u) => u.targets.push(m.target.clone()),
                None => d.users.push(VolumeUser {
                    service: s.name.clone(),
                    targets: vec![m.target.clone()],
                    replicas: s.replicas,
                    nodes: nodes.clone(),
                }),
            }
        }
    }
    for d in &mut out {
        d.flag = local_copy_flag(d);
    }
    out.sort_by(|a, b| (a.name.is_empty(), &a.name).cmp(&(b.name.is_empty(), &b.name)));
    out
}

/// The warning for a volume each node gets its own empty copy of, if it is one.
pub fn local_copy_flag(d: &DeclaredVolume) -> Option<String> {
    if d.name.is_empty() || d.driver != "local" || !d.options.is_empty() {
        return None;
    }
    let spread: Vec<&VolumeUser> = d
        .users
        .iter()
        .filter(|u| u.replicas.is_some() && u.nodes.len() > 1)
        .collect();
    let u = spread.first()?;
    Some(format!(
        "each node gets its own empty copy: {} runs on {} ({}), each with its own local {}",
        u.service,
        u.nodes.len(),
        u.nodes.join(", "),
        d.name
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::domain::TaskState;

    #[test]
    fn tokens_never_show_in_debug() {
        let t = JoinToken::new("SWMTKN-1-abc-def");
        assert_eq!(t.masked(), "SWMTKN-1-••••••••…");
        assert!(!format!("{t:?}").contains("abc"));
        let s = SwarmInfo {
            worker_token: t.clone(),
            ..Default::default()
        };
        assert!(!format!("{s:?}").contains("abc-def"));
        assert_eq!(
            join_command(&t, "198.51.100.11:2377"),
            "docker swarm join --token SWMTKN-1-abc-def 198.51.100.11:2377"
        );
    }

    #[test]
    fn durations_as_docker_writes_them() {
        assert_eq!(duration_text(5_000_000_000), "5s");
        assert_eq!(duration_text(2_000_000_000), "2s");
        assert_eq!(duration_text(7_776_000_000_000_000), "2160h (90d)");
        assert_eq!(duration_text(90_000_000_000), "1m30s");
        assert_eq!(duration_text(250_000_000), "250ms");
        assert_eq!(duration_text(0), "0s");
        assert_eq!(duration_text(3_600_000_000_000), "1h");
    }

    fn net(name: &str, id: &str) -> Network {
        Network {
            id: id.into(),
            name: name.into(),
            driver: "overlay".into(),
            scope: "swarm".into(),
            ..Default::default()
        }
    }

    fn svc(name: &str, networks: &[&str]) -> ServiceUse {
        ServiceUse {
            id: ServiceId(format!("id-{name}")),
            name: name.into(),
            replicas: Some(1),
            networks: networks.iter().map(|s| s.to_string()).collect(),
            volumes: vec![],
        }
    }

    #[test]
    fn removing_a_network_is_refused_while_used_and_for_the_predefined_ones() {
        let backend = net("rx_backend", "u4ws");
        let services = vec![svc("rx_web", &["u4ws"]), svc("rx_db", &["rx_backend"])];
        let why = remove_refusal(&backend, &services).unwrap();
        assert!(why.contains("rx_db, rx_web"), "{why}");
        assert!(remove_refusal(&net("rx-tools", "90ca"), &services).is_none());
        let mut ingress = net("ingress", "lb1k");
        ingress.ingress = true;
        assert!(remove_refusal(&ingress, &[]).unwrap().contains("ingress"));
        for name in PREDEFINED_NETWORKS {
            let why = remove_refusal(&net(name, "x"), &[]).unwrap();
            assert!(why.contains("cannot be removed"), "{name}: {why}");
        }
    }

    #[test]
    fn the_create_form_checks_name_cidr_and_gateway() {
        let mut existing = net("rx_backend", "u4ws");
        existing.ipam = vec![IpamPool {
            subnet: "10.201.0.0/24".into(),
            gateway: "10.201.0.1".into(),
        }];
        let existing = vec![existing];
        let ok = check_new_network("tools", "10.30.0.0/24", "10.30.0.1", &existing).unwrap();
        assert_eq!(ok.subnet.as_deref(), Some("10.30.0.0/24"));
        let body = ok.body();
        assert_eq!(body["Attachable"], true);
        assert_eq!(body["Driver"], "overlay");
        assert_eq!(body["IPAM"]["Config"][0]["Gateway"], "10.30.0.1");
        // no subnet: Swarm picks one from the default pool
        let plain = check_new_network("tools", "", "", &existing).unwrap();
        assert!(plain.body().get("IPAM").is_none());

        let field = |r: Result<NewNetwork, Vec<FieldError>>, f: &str| -> String {
            r.unwrap_err()
                .into_iter()
                .find(|(n, _)| *n == f)
                .map(|(_, m)| m)
                .unwrap_or_else(|| panic!("no error at {f}"))
        };
        assert!(field(check_new_network("my.net", "", "", &existing), "name").contains("'.'"));
        assert!(field(check_new_network("-x", "", "", &existing), "name").contains("start"));
        assert!(field(check_new_network("", "", "", &existing), "name").contains("needed"));
        assert!(
            field(
                check_new_network(&"a".repeat(64), "", "", &existing),
                "name"
            )
            .contains("63")
        );
        assert!(
            field(check_new_network("rx_backend", "", "", &existing), "name").contains("exists")
        );
        assert!(
            field(check_new_network("t", "10.30.0.0", "", &existing), "subnet")
                .contains("not a CIDR")
        );
        assert!(
            field(
                check_new_network("t", "10.30.0.0/33", "", &existing),
                "subnet"
            )
            .contains("prefix")
        );
        assert!(
            field(
                check_new_network("t", "10.300.0.0/24", "", &existing),
                "subnet"
            )
            .contains("not an IP")
        );
        assert!(
            field(
                check_new_network("t", "10.30.0.1/24", "", &existing),
                "subnet"
            )
            .contains("10.30.0.0/24")
        );
        assert!(
            field(
                check_new_network("t", "10.201.0.0/16", "", &existing),
                "subnet"
            )
            .contains("rx_backend")
        );
        assert!(
            field(
                check_new_network("t", "10.30.0.0/24", "10.31.0.1", &existing),
                "gateway"
            )
            .contains("not inside")
        );
        assert!(
            field(
                check_new_network("t", "", "10.30.0.1", &existing),
                "gateway"
            )
            .contains("needs a subnet")
        );
        assert!(
            field(
                check_new_network("t", "10.30.0.0/24", "gw", &existing),
                "gateway"
            )
            .contains("not an IP")
        );
        // every field's error at once
        let all = check_new_network("a.b", "x", "y", &existing).unwrap_err();
        assert_eq!(all.len(), 3, "{all:?}");
        // IPv6
        assert!(check_new_network("v6", "fd00:1::/64", "fd00:1::1", &existing).is_ok());
        assert!(check_new_network("v6", "fd00:1::/64", "10.0.0.1", &existing).is_err());
    }

    fn task(service: &str, node: &str, desired: &str, state: &str) -> Task {
        Task {
            service_id: ServiceId(format!("id-{service}")),
            node_id: Some(NodeId(node.into())),
            desired: TaskState::parse(desired),
            state: TaskState::parse(state),
            ..Default::default()
        }
    }

    fn mounting(name: &str, replicas: Option<u64>, m: VolumeMount) -> ServiceUse {
        ServiceUse {
            id: ServiceId(format!("id-{name}")),
            name: name.into(),
            replicas,
            networks: vec![],
            volumes: vec![m],
        }
    }

    fn vol(source: &str, options: &[(&str, &str)]) -> VolumeMount {
        VolumeMount {
            source: source.into(),
            target: "/data".into(),
            driver: String::new(),
            options: options
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            read_only: false,
        }
    }

    #[test]
    fn a_local_volume_of_a_replicated_service_on_several_nodes_is_flagged() {
        let host = |id: &NodeId| id.as_str().to_string();
        let tasks = vec![
            task("web", "node2", "running", "running"),
            task("web", "node4", "running", "starting"),
            task("web", "node1", "shutdown", "running"),
            task("db", "node1", "running", "running"),
            task("one", "node1", "running", "running"),
            task("one", "node3", "shutdown", "failed"),
        ];
        let services = vec![
            mounting("web", Some(2), vol("data", &[])),
            mounting(
                "db",
                Some(1),
                vol("nfs", &[("type", "nfs"), ("o", "addr=198.51.100.50")]),
            ),
            mounting("one", Some(1), vol("single", &[])),
        ];
        let d = declared_volumes(&services, &tasks, host);
        let by = |n: &str| d.iter().find(|v| v.name == n).unwrap();
        let data = by("data");
        assert_eq!(
            data.nodes(),
            ["node2", "node4"],
            "a shut-down task is not counted"
        );
        assert!(
            data.flag
                .as_deref()
                .is_some_and(|f| f.starts_with("each node gets its own empty copy")),
            "{:?}",
            data.flag
        );
        // driver options (NFS): shared storage, not flagged
        assert!(by("nfs").flag.is_none());
        // one node only: not flagged
        assert!(by("single").flag.is_none());
        // a global service on several nodes: its own copy is what a global service wants
        let global = vec![mounting("agent", None, vol("data", &[]))];
        let tasks = vec![
            task("agent", "node1", "running", "running"),
            task("agent", "node2", "running", "running"),
        ];
        assert!(declared_volumes(&global, &tasks, host)[0].flag.is_none());
        // another driver (a cluster volume plugin): not flagged
        let mut m = vol("data", &[]);
        m.driver = "rexray".into();
        let tasks = vec![
            task("web", "node1", "running", "running"),
            task("web", "node2", "running", "running"),
        ];
        assert!(
            declared_volumes(&[mounting("web", Some(2), m)], &tasks, host)[0]
                .flag
                .is_none()
        );
        // anonymous volumes are listed, each on its own, never flagged
        let anon = vec![
            mounting("web", Some(2), vol("", &[])),
            mounting("db", Some(2), vol("", &[])),
        ];
        let d = declared_volumes(&anon, &tasks, host);
        assert_eq!(d.len(), 2);
        assert!(d.iter().all(|v| v.flag.is_none()));
    }
}
