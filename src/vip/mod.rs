//! keepalived virtual IPs: which node holds each one, seen from this host without any agent
//! on the nodes. See docs/vip.md for the methods and their limits.
//!
//! - [`keepalived`]: discovers VIPs from the local keepalived configuration.
//! - [`net`]: this host's interfaces, the kernel's neighbour table, ARP probes.
//! - [`watch`]: the background task that observes every VIP once a second (and at once after a
//!   node event) and reports [`VipObservation`]s to the UI task.
//! - [`judge`]: turns what was seen into an [`Ownership`] (pure, unit-tested).

pub mod keepalived;
pub mod net;
pub mod watch;

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;

use jiff::Timestamp;

pub use net::Mac;

/// The port whose TCP reachability is checked on a VIP by default: the swarm manager port.
pub const DEFAULT_PORT: u16 = 2377;

/// Where swarmdeck learned of a VIP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VipSource {
    /// `--vip ADDR`
    Cli,
    /// `vips = [...]` in the config file
    Config,
    /// a `vrrp_instance` in a keepalived configuration file
    Keepalived {
        file: PathBuf,
        line: usize,
        instance: String,
        interface: Option<String>,
        virtual_router_id: Option<u8>,
        priority: Option<u16>,
    },
}

impl fmt::Display for VipSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VipSource::Cli => f.write_str("--vip"),
            VipSource::Config => f.write_str("config"),
            VipSource::Keepalived {
                instance,
                virtual_router_id,
                ..
            } => match virtual_router_id {
                Some(id) => write!(f, "keepalived {instance} (vrid {id})"),
                None => write!(f, "keepalived {instance}"),
            },
        }
    }
}

/// A VIP to watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VipSpec {
    pub addr: IpAddr,
    /// TCP port for the reachability check.
    pub port: u16,
    pub source: VipSource,
}

/// Merge VIPs from every source, first one wins for a duplicate address.
pub fn merge(specs: impl IntoIterator<Item = VipSpec>) -> Vec<VipSpec> {
    let mut out: Vec<VipSpec> = Vec::new();
    for s in specs {
        if !out.iter().any(|o| o.addr == s.addr) {
            out.push(s);
        }
    }
    out
}

/// VIPs of a keepalived configuration (excluded addresses too: keepalived moves them as well).
pub fn from_keepalived(parsed: &keepalived::Parsed, port: u16) -> Vec<VipSpec> {
    parsed
        .instances
        .iter()
        .flat_map(|inst| {
            inst.vips.iter().map(move |v| VipSpec {
                addr: v.addr,
                port,
                source: VipSource::Keepalived {
                    file: inst.file.clone(),
                    line: v.line,
                    instance: inst.name.clone(),
                    interface: v.dev.clone().or_else(|| inst.interface.clone()),
                    virtual_router_id: inst.virtual_router_id,
                    priority: inst.priority,
                },
            })
        })
        .collect()
}

/// Every VIP to watch, in order: `--vip` flags, `vips` in the config file, then the keepalived
/// configuration (`--keepalived-conf`, `keepalived_conf`, or the default file when it exists).
/// Returns the VIPs and the problems found on the way (file and line), which never stop the rest.
/// Why an address cannot be a keepalived VIP (nothing can hold it as its own address), or
/// `None` when it can: unspecified (`0.0.0.0`, `::`), broadcast, multicast, loopback.
pub fn unusable_vip(addr: IpAddr) -> Option<&'static str> {
    match addr {
        IpAddr::V4(a) if a.is_unspecified() => Some("the unspecified address (0.0.0.0)"),
        IpAddr::V4(a) if a.is_broadcast() => Some("the broadcast address"),
        IpAddr::V4(a) if a.is_multicast() => Some("a multicast address"),
        IpAddr::V4(a) if a.is_loopback() => Some("a loopback address"),
        IpAddr::V6(a) if a.is_unspecified() => Some("the unspecified address (::)"),
        IpAddr::V6(a) if a.is_multicast() => Some("a multicast address"),
        IpAddr::V6(a) if a.is_loopback() => Some("the loopback address"),
        _ => None,
    }
}

/// `--vip ADDR`: an IP address that can be a VIP.
pub fn parse_vip_flag(text: &str) -> Result<IpAddr, String> {
    let addr: IpAddr = text
        .trim()
        .parse()
        .map_err(|_| format!("{} is not an IP address", crate::endpoint::quote(text)))?;
    match unusable_vip(addr) {
        Some(why) => Err(format!(
            "{addr} is {why}; a VIP is a unicast address a node holds"
        )),
        None => Ok(addr),
    }
}

pub fn resolve(
    cli: &[IpAddr],
    cfg: &crate::config::Config,
    cli_port: Option<u16>,
    cli_conf: Option<&std::path::Path>,
) -> (Vec<VipSpec>, Vec<String>) {
    let port = cli_port
        .or(cfg.vip_port.map(|p| p.get()))
        .unwrap_or(DEFAULT_PORT);
    let mut specs: Vec<VipSpec> = cli
        .iter()
        .map(|a| VipSpec {
            addr: *a,
            port,
            source: VipSource::Cli,
        })
        .collect();
    specs.extend(cfg.vips.iter().map(|a| VipSpec {
        addr: *a,
        port,
        source: VipSource::Config,
    }));
    let explicit = cli_conf
        .map(std::path::Path::to_path_buf)
        .or_else(|| cfg.keepalived_conf.clone());
    let path = explicit
        .clone()
        .unwrap_or_else(|| PathBuf::from(keepalived::DEFAULT_PATH));
    let mut problems = Vec::new();
    if explicit.is_some() || path.exists() {
        let parsed = keepalived::load(&path);
        problems.extend(
            parsed
                .errors
                .iter()
                .map(|e| format!("keepalived configuration: {e}")),
        );
        specs.extend(from_keepalived(&parsed, port));
    }
    // --vip and the config file refuse these; keepalived.conf can still name one
    specs.retain(|s| match unusable_vip(s.addr) {
        Some(why) => {
            problems.push(format!(
                "VIP {} ({}) is not watched: it is {why}",
                s.addr, s.source
            ));
            false
        }
        None => true,
    });
    (merge(specs), problems)
}

/// A swarm node as the VIP watcher needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeAddr {
    pub hostname: String,
    pub addr: IpAddr,
}

/// The nodes' addresses (`ManagerStatus.Addr` or `Status.Addr`), as the watcher needs them.
pub fn node_addrs(nodes: &[crate::domain::Node]) -> Vec<NodeAddr> {
    nodes
        .iter()
        .filter_map(|n| {
            Some(NodeAddr {
                hostname: n.hostname.clone(),
                addr: n.address().parse().ok()?,
            })
        })
        .collect()
}

/// How the owner was determined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    /// The VIP is on one of this host's interfaces.
    LocalInterface { iface: String },
    /// The VIP's MAC in the kernel's neighbour table matches a node's.
    NeighbourTable { iface: String, mac: Mac },
    /// An ARP request for the VIP was answered by a node's MAC.
    ArpProbe { iface: String, mac: Mac },
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Method::LocalInterface { iface } => write!(f, "on this host's {iface}"),
            Method::NeighbourTable { iface, mac } => write!(f, "neighbour table {mac} on {iface}"),
            Method::ArpProbe { iface, mac } => write!(f, "ARP reply {mac} on {iface}"),
        }
    }
}

impl Method {
    /// A short word for narrow columns.
    pub fn short(&self) -> &'static str {
        match self {
            Method::LocalInterface { .. } => "local",
            Method::NeighbourTable { .. } => "neigh",
            Method::ArpProbe { .. } => "arp",
        }
    }
}

/// Who holds a VIP, as far as can be seen from here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ownership {
    /// One node holds it.
    Owner { hostname: String, method: Method },
    /// Something answers for the VIP but it is no known node (a MAC we cannot match).
    Stranger { mac: Mac, iface: String },
    /// Nobody answers for the VIP.
    NoOwner { why: String },
    /// Two or more nodes answer for the VIP (or its MAC keeps flipping between nodes).
    SplitBrain { holders: Vec<String>, why: String },
    /// The owner cannot be seen from this host; never a guess.
    Unseen { why: String },
}

impl Ownership {
    pub fn owner(&self) -> Option<&str> {
        match self {
            Ownership::Owner { hostname, .. } => Some(hostname),
            _ => None,
        }
    }

    /// A word for the pane.
    pub fn label(&self) -> String {
        match self {
            Ownership::Owner { hostname, .. } => hostname.clone(),
            Ownership::Stranger { mac, .. } => format!("unknown host {mac}"),
            Ownership::NoOwner { .. } => "NO OWNER".into(),
            Ownership::SplitBrain { holders, .. } => {
                format!("SPLIT BRAIN: {}", holders.join(" + "))
            }
            Ownership::Unseen { .. } => "cannot be seen from here".into(),
        }
    }

    /// The explanation: the method, or why there is no owner.
    pub fn detail(&self) -> String {
        match self {
            Ownership::Owner { method, .. } => method.to_string(),
            Ownership::Stranger { iface, .. } => {
                format!("answers on {iface} but matches no swarm node's MAC")
            }
            Ownership::NoOwner { why }
            | Ownership::SplitBrain { why, .. }
            | Ownership::Unseen { why } => why.clone(),
        }
    }
}

/// How bad a VIP's state is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Alarm {
    /// No owner, split brain, owner down or drained.
    Danger(String),
    /// Held by something that is not a swarm node.
    Warn(String),
    /// Worth knowing, not an alarm (the VIP is not on the leader).
    Info(String),
}

/// The alarm for one VIP's ownership, judged against the swarm's nodes.
pub fn alarm(addr: IpAddr, ownership: &Ownership, nodes: &[crate::domain::Node]) -> Option<Alarm> {
    match ownership {
        Ownership::NoOwner { .. } => Some(Alarm::Danger(format!("VIP {addr}: no owner"))),
        Ownership::SplitBrain { holders, .. } => Some(Alarm::Danger(format!(
            "VIP {addr}: split brain ({})",
            holders.join(" + ")
        ))),
        Ownership::Stranger { mac, .. } => Some(Alarm::Warn(format!(
            "VIP {addr}: held by {mac}, not a swarm node"
        ))),
        Ownership::Unseen { .. } => None,
        Ownership::Owner { hostname, .. } => {
            let node = nodes.iter().find(|n| &n.hostname == hostname)?;
            if node.is_down() {
                Some(Alarm::Danger(format!(
                    "VIP {addr}: owner {hostname} is {}",
                    node.state
                )))
            } else if node.availability == crate::domain::Availability::Drain {
                Some(Alarm::Danger(format!(
                    "VIP {addr}: owner {hostname} is drained"
                )))
            } else if nodes
                .iter()
                .any(|n| n.is_leader() && &n.hostname != hostname)
            {
                Some(Alarm::Info(format!(
                    "VIP {addr} on {hostname}, not on the leader"
                )))
            } else {
                None
            }
        }
    }
}

/// One look at one VIP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VipObservation {
    pub addr: IpAddr,
    pub ownership: Ownership,
    /// TCP connect to the VIP's port: `None` when not tried.
    pub reachable: Option<bool>,
    pub port: u16,
    pub at: Timestamp,
}

/// What one round of looking found, the input of [`judge`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seen {
    /// The VIP is on this interface of this host.
    pub local_iface: Option<String>,
    /// The interface of the VIP's directly connected subnet, if any.
    pub on_link_iface: Option<String>,
    /// This host's own MACs (to recognise our own answers).
    pub own_macs: Vec<Mac>,
    /// Addresses of this host (to find which node this host is).
    pub own_addrs: Vec<IpAddr>,
    /// The VIP's MAC in the neighbour table, if resolved.
    pub neighbour_mac: Option<Mac>,
    /// MACs that answered an ARP probe for the VIP (`None`: no probe was possible).
    pub probe_macs: Option<Vec<Mac>>,
    /// Why the probe was not possible.
    pub probe_error: Option<String>,
    /// Node address → MAC, from the neighbour table and the probe.
    pub node_macs: BTreeMap<IpAddr, Mac>,
    pub is_ipv6: bool,
}

/// Decide who owns the VIP from what was seen. Never guesses.
pub fn judge(vip: IpAddr, seen: &Seen, nodes: &[NodeAddr]) -> Ownership {
    let by_mac = |mac: &Mac| -> Option<String> {
        nodes
            .iter()
            .find(|n| seen.node_macs.get(&n.addr) == Some(mac))
            .map(|n| n.hostname.clone())
    };
    let this_node = nodes.iter().find(|n| seen.own_addrs.contains(&n.addr));
    // Answers from other hosts (the probe never hears this host's own answer).
    let remote: Vec<Mac> = seen
        .probe_macs
        .clone()
        .unwrap_or_default()
        .into_iter()
        .filter(|m| !seen.own_macs.contains(m))
        .collect();
    let name = |mac: &Mac| by_mac(mac).unwrap_or_else(|| format!("unknown host {mac}"));

    if let Some(iface) = &seen.local_iface {
        let me = this_node.map_or_else(
            || "this host (not a swarm node address)".to_string(),
            |n| n.hostname.clone(),
        );
        if !remote.is_empty() {
            let mut holders = vec![me];
            holders.extend(remote.iter().map(name));
            return Ownership::SplitBrain {
                why: format!(
                    "the VIP is on this host's {iface} and {} also answer(s) ARP for it",
                    remote.len()
                ),
                holders,
            };
        }
        return match this_node {
            Some(n) => Ownership::Owner {
                hostname: n.hostname.clone(),
                method: Method::LocalInterface {
                    iface: iface.clone(),
                },
            },
            None => Ownership::Unseen {
                why: format!(
                    "the VIP is on this host's {iface}, but none of this host's addresses is a swarm node's address"
                ),
            },
        };
    }

    let Some(iface) = &seen.on_link_iface else {
        return Ownership::Unseen {
            why: format!(
                "{vip} is not on a network directly connected to this host (not the same L2 segment), so its \
                 holder's MAC cannot be seen; run swarmdeck on a host in the VIP's subnet"
            ),
        };
    };
    if seen.is_ipv6 {
        return Ownership::Unseen {
            why: format!(
                "{vip} is IPv6: swarmdeck reads IPv4 neighbours only, so the holder cannot be seen from here"
            ),
        };
    }

    match seen.probe_macs.as_ref().map(|_| remote.as_slice()) {
        Some([]) => Ownership::NoOwner {
            why: format!("nobody answers ARP for {vip} on {iface}"),
        },
        Some([mac]) => match by_mac(mac) {
            Some(hostname) => Ownership::Owner {
                hostname,
                method: Method::ArpProbe {
                    iface: iface.clone(),
                    mac: *mac,
                },
            },
            None => Ownership::Stranger {
                mac: *mac,
                iface: iface.clone(),
            },
        },
        Some(many) => Ownership::SplitBrain {
            holders: many.iter().map(name).collect(),
            why: format!("{} hosts answer ARP for {vip} on {iface}", many.len()),
        },
        None => match &seen.neighbour_mac {
            Some(mac) => match by_mac(mac) {
                Some(hostname) => Ownership::Owner {
                    hostname,
                    method: Method::NeighbourTable {
                        iface: iface.clone(),
                        mac: *mac,
                    },
                },
                None => Ownership::Stranger {
                    mac: *mac,
                    iface: iface.clone(),
                },
            },
            None => Ownership::NoOwner {
                why: format!(
                    "{vip} does not resolve on {iface} (no neighbour entry after a connection attempt){}",
                    seen.probe_error
                        .as_ref()
                        .map(|e| format!("; {e}"))
                        .unwrap_or_default()
                ),
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VIP: &str = "198.51.100.100";

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }
    fn mac(last: u8) -> Mac {
        Mac([2, 0, 0, 0, 0, last])
    }
    fn nodes() -> Vec<NodeAddr> {
        (1..=3)
            .map(|i| NodeAddr {
                hostname: format!("node{i}"),
                addr: ip(&format!("198.51.100.{}", 10 + i)),
            })
            .collect()
    }
    fn on_link() -> Seen {
        Seen {
            on_link_iface: Some("br0".into()),
            node_macs: (1..=3)
                .map(|i| (ip(&format!("198.51.100.{}", 10 + i)), mac(i)))
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn local_interface_names_this_node() {
        let seen = Seen {
            local_iface: Some("eth0".into()),
            own_addrs: vec![ip("198.51.100.12"), ip(VIP)],
            probe_macs: Some(vec![]),
            ..Default::default()
        };
        let o = judge(ip(VIP), &seen, &nodes());
        assert_eq!(o.owner(), Some("node2"));
        assert!(matches!(
            o,
            Ownership::Owner {
                method: Method::LocalInterface { .. },
                ..
            }
        ));
    }

    #[test]
    fn local_plus_remote_answer_is_split_brain() {
        let mut seen = on_link();
        seen.local_iface = Some("eth0".into());
        seen.own_addrs = vec![ip("198.51.100.12")];
        seen.own_macs = vec![mac(2)];
        seen.probe_macs = Some(vec![mac(1)]);
        match judge(ip(VIP), &seen, &nodes()) {
            Ownership::SplitBrain { holders, .. } => assert_eq!(holders, ["node2", "node1"]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn neighbour_table_matches_node_mac() {
        let mut seen = on_link();
        seen.neighbour_mac = Some(mac(3));
        let o = judge(ip(VIP), &seen, &nodes());
        assert_eq!(o.owner(), Some("node3"));
        assert!(matches!(
            o,
            Ownership::Owner {
                method: Method::NeighbourTable { .. },
                ..
            }
        ));
    }

    #[test]
    fn probe_wins_and_sees_two_answers() {
        let mut seen = on_link();
        seen.neighbour_mac = Some(mac(3));
        seen.probe_macs = Some(vec![mac(1)]);
        assert_eq!(judge(ip(VIP), &seen, &nodes()).owner(), Some("node1"));
        seen.probe_macs = Some(vec![mac(1), mac(2)]);
        match judge(ip(VIP), &seen, &nodes()) {
            Ownership::SplitBrain { holders, .. } => assert_eq!(holders, ["node1", "node2"]),
            other => panic!("{other:?}"),
        }
        seen.probe_macs = Some(vec![]);
        assert!(matches!(
            judge(ip(VIP), &seen, &nodes()),
            Ownership::NoOwner { .. }
        ));
        seen.probe_macs = Some(vec![mac(9)]);
        assert!(matches!(
            judge(ip(VIP), &seen, &nodes()),
            Ownership::Stranger { .. }
        ));
    }

    #[test]
    fn off_link_is_never_guessed() {
        let seen = Seen::default();
        match judge(ip("203.0.113.7"), &seen, &nodes()) {
            Ownership::Unseen { why } => assert!(why.contains("not the same L2 segment"), "{why}"),
            other => panic!("{other:?}"),
        }
        let mut seen = on_link();
        seen.is_ipv6 = true;
        assert!(matches!(
            judge(ip("2001:db8::1"), &seen, &nodes()),
            Ownership::Unseen { .. }
        ));
    }

    #[test]
    fn unresolved_without_probe_is_no_owner_with_reason() {
        let mut seen = on_link();
        seen.probe_error = Some("ARP probing needs root".into());
        match judge(ip(VIP), &seen, &nodes()) {
            Ownership::NoOwner { why } => assert!(why.contains("needs root"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    fn node(name: &str, leader: bool, state: &str, avail: &str) -> crate::domain::Node {
        use crate::domain::*;
        Node {
            id: NodeId(name.into()),
            version: 1,
            hostname: name.into(),
            role: Role::Manager,
            availability: Availability::parse(avail),
            state: NodeState::parse(state),
            state_message: String::new(),
            manager: Some(ManagerInfo {
                leader,
                reachability: Reachability::Reachable,
                addr: String::new(),
            }),
            status_addr: String::new(),
            engine_version: String::new(),
            ..Default::default()
        }
    }

    #[test]
    fn alarms_for_the_owner_node() {
        let owner = |h: &str| Ownership::Owner {
            hostname: h.into(),
            method: Method::LocalInterface {
                iface: "eth0".into(),
            },
        };
        let nodes = vec![
            node("node1", true, "ready", "active"),
            node("node2", false, "down", "active"),
            node("node3", false, "ready", "drain"),
        ];
        let vip = ip(VIP);
        assert_eq!(alarm(vip, &owner("node1"), &nodes), None);
        assert!(
            matches!(alarm(vip, &owner("node2"), &nodes), Some(Alarm::Danger(t)) if t.contains("node2 is down"))
        );
        assert!(
            matches!(alarm(vip, &owner("node3"), &nodes), Some(Alarm::Danger(t)) if t.contains("drained"))
        );
        let healthy = vec![
            node("node1", true, "ready", "active"),
            node("node2", false, "ready", "active"),
        ];
        assert!(
            matches!(alarm(vip, &owner("node2"), &healthy), Some(Alarm::Info(t)) if t.contains("not on the leader"))
        );
        assert!(alarm(vip, &Ownership::Unseen { why: "x".into() }, &nodes).is_none());
    }

    #[test]
    fn merge_keeps_the_first_source() {
        let a = VipSpec {
            addr: ip(VIP),
            port: 2377,
            source: VipSource::Cli,
        };
        let b = VipSpec {
            source: VipSource::Config,
            ..a.clone()
        };
        let merged = merge([a.clone(), b]);
        assert_eq!(merged, vec![a]);
    }
}
