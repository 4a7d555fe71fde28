//! The VIP watcher: a background task that looks at every VIP once a second, and at once when
//! asked (after a node event), and reports to the UI task. Never blocks the UI.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use jiff::Timestamp;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::{MissedTickBehavior, interval, timeout};

use super::net::{self, Mac};
use super::{NodeAddr, Seen, VipObservation, VipSpec, judge};

/// What the UI tells the watcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VipCmd {
    /// The swarm's nodes changed (their addresses are matched against the VIP's holder).
    Nodes(Vec<NodeAddr>),
    /// Look again now (a node event).
    CheckNow,
}

/// What the watcher reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VipMsg {
    Observed(Vec<VipObservation>),
}

#[derive(Debug, Clone)]
pub struct WatchOptions {
    pub every: Duration,
    /// How long ARP answers are collected.
    pub probe_wait: Duration,
    pub connect_timeout: Duration,
}

impl Default for WatchOptions {
    fn default() -> Self {
        Self {
            every: Duration::from_secs(1),
            probe_wait: Duration::from_millis(250),
            connect_timeout: Duration::from_millis(400),
        }
    }
}

pub struct VipHandle {
    pub rx: mpsc::Receiver<VipMsg>,
    pub cmd: mpsc::UnboundedSender<VipCmd>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for VipHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Start watching these VIPs.
pub fn spawn(specs: Vec<VipSpec>, opts: WatchOptions) -> VipHandle {
    let (tx, rx) = mpsc::channel(64);
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(run(specs, opts, tx, cmd_rx));
    VipHandle {
        rx,
        cmd: cmd_tx,
        task,
    }
}

async fn run(
    specs: Vec<VipSpec>,
    opts: WatchOptions,
    tx: mpsc::Sender<VipMsg>,
    mut cmd_rx: mpsc::UnboundedReceiver<VipCmd>,
) {
    if specs.is_empty() {
        return;
    }
    let mut nodes: Vec<NodeAddr> = Vec::new();
    let mut tick = interval(opts.every);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            cmd = cmd_rx.recv() => match cmd {
                Some(VipCmd::Nodes(n)) => {
                    let first = nodes.is_empty();
                    nodes = n;
                    if !first {
                        continue;
                    }
                }
                Some(VipCmd::CheckNow) => {}
                None => return,
            },
        }
        // newest commands win before looking
        while let Ok(cmd) = cmd_rx.try_recv() {
            if let VipCmd::Nodes(n) = cmd {
                nodes = n;
            }
        }
        // Without the nodes, a holder could only be named by its MAC: wait for them.
        if nodes.is_empty() {
            continue;
        }
        let obs = observe_all(&specs, &nodes, &opts).await;
        if tx.send(VipMsg::Observed(obs)).await.is_err() {
            return;
        }
    }
}

/// Look at every VIP once (also used by `swarmdeck status`).
pub async fn observe_all(
    specs: &[VipSpec],
    nodes: &[NodeAddr],
    opts: &WatchOptions,
) -> Vec<VipObservation> {
    let futures = specs.iter().map(|s| observe(s, nodes, opts));
    futures_util::future::join_all(futures).await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    Open,
    Closed,
}

async fn connect(addr: IpAddr, port: u16, within: Duration) -> Reach {
    match timeout(within, TcpStream::connect(SocketAddr::new(addr, port))).await {
        Ok(Ok(_)) => Reach::Open,
        _ => Reach::Closed,
    }
}

fn macs_of(table: &[net::ArpEntry], addrs: impl Iterator<Item = IpAddr>) -> BTreeMap<IpAddr, Mac> {
    let mut out = BTreeMap::new();
    for a in addrs {
        if let IpAddr::V4(v4) = a
            && let Some(e) = table.iter().find(|e| e.ip == v4 && e.complete)
        {
            out.insert(a, e.mac);
        }
    }
    out
}

/// Look at one VIP: where it is, who answers for it, whether its port answers.
pub async fn observe(spec: &VipSpec, nodes: &[NodeAddr], opts: &WatchOptions) -> VipObservation {
    let vip = spec.addr;
    let ifaces = net::interfaces();
    let mut seen = Seen {
        local_iface: net::local_iface(&ifaces, vip).map(|i| i.name.clone()),
        on_link_iface: net::on_link_iface(&ifaces, vip).map(|i| i.name.clone()),
        own_macs: ifaces.iter().filter_map(|i| i.mac).collect(),
        own_addrs: ifaces
            .iter()
            .flat_map(|i| i.addrs.iter().map(|(a, _)| *a))
            .collect(),
        is_ipv6: vip.is_ipv6(),
        ..Default::default()
    };

    // A connection attempt checks the VIP's port and makes the kernel resolve the VIP (and the
    // nodes we have no MAC for yet) into the neighbour table.
    let table = net::read_arp_table().unwrap_or_default();
    let missing: Vec<IpAddr> = if seen.on_link_iface.is_some() {
        let known = macs_of(&table, nodes.iter().map(|n| n.addr));
        nodes
            .iter()
            .map(|n| n.addr)
            .filter(|a| a.is_ipv4() && !known.contains_key(a) && !seen.own_addrs.contains(a))
            .collect()
    } else {
        Vec::new()
    };
    let resolve = missing
        .iter()
        .map(|a| connect(*a, super::DEFAULT_PORT, opts.connect_timeout));
    let (reach, _) = tokio::join!(
        connect(vip, spec.port, opts.connect_timeout),
        futures_util::future::join_all(resolve)
    );

    // An ARP probe sees every host that answers for the VIP (split brain), when we may send one.
    let probe_iface = seen
        .local_iface
        .clone()
        .or_else(|| seen.on_link_iface.clone());
    if let (Some(iface), IpAddr::V4(v4)) = (probe_iface, vip) {
        let mut targets: Vec<Ipv4Addr> = vec![v4];
        targets.extend(nodes.iter().filter_map(|n| match n.addr {
            IpAddr::V4(a) if a != v4 && !seen.own_addrs.contains(&n.addr) => Some(a),
            _ => None,
        }));
        let wait = opts.probe_wait;
        let result =
            tokio::task::spawn_blocking(move || net::arp_probe(&iface, &targets, wait)).await;
        match result {
            Ok(Ok(answers)) => {
                seen.probe_macs = Some(answers.get(&v4).cloned().unwrap_or_default());
                for (ip, macs) in answers {
                    if ip != v4
                        && let Some(m) = macs.first()
                    {
                        seen.node_macs.insert(IpAddr::V4(ip), *m);
                    }
                }
            }
            Ok(Err(e)) => seen.probe_error = Some(e.to_string()),
            Err(e) => seen.probe_error = Some(format!("ARP probe task failed: {e}")),
        }
    }

    let table = net::read_arp_table().unwrap_or_default();
    seen.neighbour_mac = macs_of(&table, std::iter::once(vip)).get(&vip).copied();
    for (ip, mac) in macs_of(&table, nodes.iter().map(|n| n.addr)) {
        seen.node_macs.entry(ip).or_insert(mac);
    }

    VipObservation {
        addr: vip,
        ownership: judge(vip, &seen, nodes),
        reachable: Some(reach == Reach::Open),
        port: spec.port,
        at: Timestamp::now(),
    }
}
