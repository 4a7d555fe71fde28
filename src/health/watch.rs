//! The probe watcher: a background task that, about once a second, opens a TCP connection
//! from this host to every node — a manager's raft address (2377), a worker's gossip port
//! (7946) — and reports each round. Two failures in a row make a node "unreachable from here"
//! ([`super::Reach`]) seconds before Swarm itself marks it down. Never blocks the UI.

use std::time::Duration;

use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::{MissedTickBehavior, interval, timeout};

use crate::domain::{Node, NodeId};

/// The port a worker is probed on: Swarm's gossip (memberlist) port.
pub const GOSSIP_PORT: u16 = 7946;
/// The port a manager is probed on when its address names none.
pub const RAFT_PORT: u16 = 2377;

/// One node to probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub node: NodeId,
    /// `host:port`.
    pub addr: String,
}

/// What the UI tells the watcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeCmd {
    /// The nodes changed: probe these from now on.
    Targets(Vec<Target>),
}

/// One round of probes: each target and whether it answered (the reason when not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeRound {
    pub results: Vec<(Target, Result<(), String>)>,
}

#[derive(Debug, Clone)]
pub struct ProbeOptions {
    pub every: Duration,
    pub connect_timeout: Duration,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        Self {
            every: Duration::from_secs(1),
            connect_timeout: Duration::from_millis(800),
        }
    }
}

/// What to probe for these nodes: managers on their raft address, workers on the gossip
/// port of their address. Nodes without an address are left out.
pub fn targets(nodes: &[Node]) -> Vec<Target> {
    nodes
        .iter()
        .filter_map(|n| {
            let addr = match &n.manager {
                Some(m) if !m.addr.is_empty() => {
                    if has_port(&m.addr) {
                        m.addr.clone()
                    } else {
                        join(&m.addr, RAFT_PORT)
                    }
                }
                _ if !n.status_addr.is_empty() && n.status_addr != "0.0.0.0" => {
                    join(&n.status_addr, GOSSIP_PORT)
                }
                _ => return None,
            };
            Some(Target {
                node: n.id.clone(),
                addr,
            })
        })
        .collect()
}

fn has_port(addr: &str) -> bool {
    match addr.rsplit_once(':') {
        Some((host, port)) => {
            port.parse::<u16>().is_ok() && (!host.contains(':') || host.ends_with(']'))
        }
        None => false,
    }
}

fn join(host: &str, port: u16) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Open (and close) one TCP connection to `addr` within `limit`.
pub async fn probe(addr: &str, limit: Duration) -> Result<(), String> {
    match timeout(limit, TcpStream::connect(addr)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(match e.kind() {
            std::io::ErrorKind::ConnectionRefused => "connection refused".to_string(),
            _ => e.to_string(),
        }),
        Err(_) => Err(format!("no answer within {} ms", limit.as_millis())),
    }
}

pub struct ProbeHandle {
    pub rx: mpsc::Receiver<ProbeRound>,
    pub cmd: mpsc::UnboundedSender<ProbeCmd>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ProbeHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Start the watcher; it probes nothing until it is given targets.
pub fn spawn(opts: ProbeOptions) -> ProbeHandle {
    let (tx, rx) = mpsc::channel(16);
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(run(opts, tx, cmd_rx));
    ProbeHandle {
        rx,
        cmd: cmd_tx,
        task,
    }
}

async fn run(
    opts: ProbeOptions,
    tx: mpsc::Sender<ProbeRound>,
    mut cmd_rx: mpsc::UnboundedReceiver<ProbeCmd>,
) {
    let mut targets: Vec<Target> = Vec::new();
    let mut tick = interval(opts.every);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            cmd = cmd_rx.recv() => match cmd {
                Some(ProbeCmd::Targets(t)) => targets = t,
                None => return,
            },
            _ = tick.tick(), if !targets.is_empty() => {
                let limit = opts.connect_timeout;
                let probes = targets.iter().map(|t| async move {
                    (t.clone(), probe(&t.addr, limit).await)
                });
                let results = futures_util::future::join_all(probes).await;
                if tx.send(ProbeRound { results }).await.is_err() {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ManagerInfo, Reachability, Role};

    #[test]
    fn managers_are_probed_on_raft_and_workers_on_gossip() {
        let mgr = Node {
            id: NodeId("m".into()),
            role: Role::Manager,
            status_addr: "198.51.100.11".into(),
            manager: Some(ManagerInfo {
                leader: false,
                reachability: Reachability::Reachable,
                addr: "198.51.100.11:2377".into(),
            }),
            ..Default::default()
        };
        let worker = Node {
            id: NodeId("w".into()),
            role: Role::Worker,
            status_addr: "198.51.100.14".into(),
            ..Default::default()
        };
        let v6 = Node {
            id: NodeId("6".into()),
            status_addr: "2001:db8::4".into(),
            ..Default::default()
        };
        let none = Node {
            id: NodeId("n".into()),
            ..Default::default()
        };
        let t = targets(&[mgr, worker, v6, none]);
        let addrs: Vec<&str> = t.iter().map(|t| t.addr.as_str()).collect();
        assert_eq!(
            addrs,
            [
                "198.51.100.11:2377",
                "198.51.100.14:7946",
                "[2001:db8::4]:7946"
            ]
        );
    }

    #[tokio::test]
    async fn a_probe_answers_refuses_or_times_out() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let open = listener.local_addr().unwrap().to_string();
        assert_eq!(probe(&open, Duration::from_secs(1)).await, Ok(()));
        drop(listener);
        let refused = probe(&open, Duration::from_secs(1)).await.unwrap_err();
        assert_eq!(refused, "connection refused");
    }
}
