//! The dashboard's own look at a node: a TCP connect to its raft port (managers, 2377) or
//! its gossip port (workers, 7946), from this host. Used by the probe watcher and, once, by
//! `swarmdeck status`.

use std::collections::HashMap;
use std::time::Duration;

use jiff::Timestamp;
use tokio::net::TcpStream;

use super::Reach;
use crate::domain::{Node, NodeId};

/// The swarm manager (raft) port.
pub const MANAGER_PORT: u16 = 2377;
/// The gossip port every node listens on.
pub const GOSSIP_PORT: u16 = 7946;

/// Connect to `addr` (`ip:port`, `[v6]:port`) within `timeout`; the connection is closed at
/// once. The error is plain: "connection refused", "no answer within 500 ms".
pub async fn probe(addr: &str, timeout: Duration) -> Result<(), String> {
    match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
        Ok(Ok(_stream)) => Ok(()),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            Err("connection refused".to_string())
        }
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {} ms", timeout.as_millis())),
    }
}

/// What to probe for a node: a manager's `ManagerStatus.Addr` (its raft port), else the
/// node's address on the gossip port. `None` when the node has no usable address
/// (`0.0.0.0`, empty).
pub fn target(node: &Node) -> Option<String> {
    if let Some(m) = &node.manager
        && !m.addr.is_empty()
        && !m.addr.starts_with("0.0.0.0")
    {
        return Some(m.addr.clone());
    }
    let host = node.address();
    if host.is_empty() || host == "0.0.0.0" || host == "::" {
        return None;
    }
    let port = if node.is_manager() {
        MANAGER_PORT
    } else {
        GOSSIP_PORT
    };
    Some(if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    })
}

/// One look at every node, all at once: a probe, and for a node that did not answer a
/// second one `gap` after the first (two failures in a row make it unreachable). Takes at
/// most `gap + timeout`.
pub async fn probe_nodes(
    nodes: &[Node],
    gap: Duration,
    timeout: Duration,
) -> HashMap<NodeId, Reach> {
    let looks = nodes.iter().filter_map(|n| {
        let addr = target(n)?;
        Some(async move {
            let started = tokio::time::Instant::now();
            let first_at = Timestamp::now();
            let mut reach = Reach {
                target: addr.clone(),
                ..Reach::default()
            };
            if let Err(e) = probe(&addr, timeout.min(gap)).await {
                reach.failures = 1;
                reach.failing_since = Some(first_at);
                reach.error = e;
                tokio::time::sleep_until(started + gap).await;
                match probe(&addr, timeout).await {
                    Ok(()) => {
                        reach.failures = 0;
                        reach.failing_since = None;
                        reach.error.clear();
                    }
                    Err(e) => {
                        reach.failures = 2;
                        reach.error = e;
                    }
                }
            }
            (n.id.clone(), reach)
        })
    });
    futures_util::future::join_all(looks)
        .await
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ManagerInfo, Reachability, Role};

    #[test]
    fn managers_on_the_raft_port_workers_on_gossip() {
        let mut n = Node {
            role: Role::Manager,
            status_addr: "198.51.100.11".into(),
            manager: Some(ManagerInfo {
                leader: false,
                reachability: Reachability::Reachable,
                addr: "198.51.100.11:2377".into(),
            }),
            ..Node::default()
        };
        assert_eq!(target(&n).as_deref(), Some("198.51.100.11:2377"));
        n.manager = None;
        n.role = Role::Worker;
        assert_eq!(target(&n).as_deref(), Some("198.51.100.11:7946"));
        n.status_addr = "2001:db8::4".into();
        assert_eq!(target(&n).as_deref(), Some("[2001:db8::4]:7946"));
        n.status_addr = "0.0.0.0".into();
        assert_eq!(target(&n), None);
    }

    #[tokio::test]
    async fn an_open_port_answers_and_a_closed_one_refuses() {
        let open = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = open.local_addr().unwrap().to_string();
        assert_eq!(probe(&addr, Duration::from_secs(2)).await, Ok(()));
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().to_string()
        };
        assert_eq!(
            probe(&closed, Duration::from_secs(2)).await,
            Err("connection refused".to_string())
        );
    }

    #[tokio::test]
    async fn two_failures_make_a_node_unreachable() {
        let open = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let up = open.local_addr().unwrap().to_string();
        let down = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().to_string()
        };
        let node = |name: &str, addr: &str| Node {
            id: NodeId(name.into()),
            role: Role::Manager,
            manager: Some(ManagerInfo {
                leader: false,
                reachability: Reachability::Reachable,
                addr: addr.into(),
            }),
            ..Node::default()
        };
        let nodes = [node("up", &up), node("down", &down)];
        let reach = probe_nodes(&nodes, Duration::from_millis(50), Duration::from_secs(1)).await;
        let up = &reach[&NodeId("up".into())];
        assert_eq!((up.failures, up.unreachable()), (0, false));
        let down_r = &reach[&NodeId("down".into())];
        assert_eq!(down_r.failures, 2);
        assert!(down_r.unreachable());
        assert_eq!(down_r.target, down);
        assert_eq!(down_r.error, "connection refused");
        assert!(down_r.failing_since.is_some());
    }
}
