//! The probe watcher: a background task that, about once a second, opens a TCP connection
//! from this host to every node — a manager's raft address (2377), a worker's gossip port
//! (7946) — and reports each round. Two failures in a row make a node "unreachable from here"
//! ([`super::Reach`]) seconds before Swarm itself marks it down. Never blocks the UI.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::{MissedTickBehavior, interval};

use crate::domain::{Node, NodeId};

pub use super::probe::{GOSSIP_PORT, MANAGER_PORT as RAFT_PORT, probe};

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
    /// At most this many probes per round: managers always, workers in turn (a swarm of a
    /// thousand workers gets each probed every few seconds, not a thousand connects a second).
    pub per_round: usize,
    /// Nodes that failed [`super::SUSPECT_AFTER`] probes in a row are probed again this often
    /// as well (short timeout), so that their return is seen within a fraction of a second,
    /// not a round later — before the engine's own "ready" as a rule.
    pub suspect_every: Duration,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        Self {
            every: Duration::from_secs(1),
            connect_timeout: Duration::from_millis(800),
            per_round: 64,
            suspect_every: Duration::from_millis(200),
        }
    }
}

/// What to probe for these nodes: managers on their raft address, workers on the gossip
/// port of their address ([`super::probe::target`]). Nodes without an address are left out.
pub fn targets(nodes: &[Node]) -> Vec<Target> {
    nodes
        .iter()
        .filter_map(|n| {
            Some(Target {
                node: n.id.clone(),
                addr: super::probe::target(n)?,
            })
        })
        .collect()
}

/// The targets of one round: every manager (port 2377), then workers in turn up to `max`.
fn this_round<'a>(targets: &'a [Target], max: usize, turn: &mut usize) -> Vec<&'a Target> {
    let (managers, workers): (Vec<&Target>, Vec<&Target>) = targets
        .iter()
        .partition(|t| t.addr.ends_with(&format!(":{RAFT_PORT}")));
    let room = max.saturating_sub(managers.len()).max(1);
    let mut out = managers;
    if workers.len() <= room {
        out.extend(workers);
    } else {
        for k in 0..room {
            out.push(workers[(*turn + k) % workers.len()]);
        }
        *turn = (*turn + room) % workers.len();
    }
    out
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
    let mut turn = 0usize;
    let mut failing = Failing::default();
    let mut tick = interval(opts.every);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut fast = interval(opts.suspect_every);
    fast.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        let round: Vec<&Target> = tokio::select! {
            cmd = cmd_rx.recv() => match cmd {
                Some(ProbeCmd::Targets(t)) => {
                    targets = t;
                    failing.keep(&targets);
                    continue;
                }
                None => return,
            },
            _ = tick.tick(), if !targets.is_empty() => {
                this_round(&targets, opts.per_round, &mut turn)
            }
            _ = fast.tick(), if failing.any_suspect() => {
                targets.iter().filter(|t| failing.suspect(&t.node)).collect()
            }
        };
        if round.is_empty() {
            continue;
        }
        // a suspect's quick re-probe may not wait as long as a round (it comes again soon)
        let limit = if round.iter().all(|t| failing.suspect(&t.node)) {
            opts.connect_timeout.min(opts.suspect_every)
        } else {
            opts.connect_timeout
        };
        let probes = round
            .into_iter()
            .map(|t| async move { (t.clone(), probe(&t.addr, limit).await) });
        let results = futures_util::future::join_all(probes).await;
        failing.count(&results);
        if tx.send(ProbeRound { results }).await.is_err() {
            return;
        }
    }
}

/// Failed probes in a row, per node, as the watcher itself counts them (the store counts
/// the same from the rounds it is sent).
#[derive(Default)]
struct Failing(std::collections::HashMap<NodeId, u32>);

impl Failing {
    fn count(&mut self, results: &[(Target, Result<(), String>)]) {
        for (t, r) in results {
            match r {
                Ok(()) => {
                    self.0.remove(&t.node);
                }
                Err(_) => *self.0.entry(t.node.clone()).or_default() += 1,
            }
        }
    }
    fn suspect(&self, node: &NodeId) -> bool {
        self.0.get(node).is_some_and(|n| *n >= super::SUSPECT_AFTER)
    }
    fn any_suspect(&self) -> bool {
        self.0.values().any(|n| *n >= super::SUSPECT_AFTER)
    }
    fn keep(&mut self, targets: &[Target]) {
        self.0.retain(|id, _| targets.iter().any(|t| &t.node == id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ManagerInfo, Reachability, Role};

    #[test]
    fn managers_every_round_workers_in_turn() {
        let t = |n: usize, port: u16| Target {
            node: NodeId(format!("n{n}")),
            addr: format!("198.51.100.{n}:{port}"),
        };
        let mut all = vec![t(1, RAFT_PORT), t(2, RAFT_PORT)];
        all.extend((10..15).map(|n| t(n, GOSSIP_PORT)));
        let mut turn = 0;
        let names = |r: Vec<&Target>| r.iter().map(|t| t.node.0.clone()).collect::<Vec<_>>();
        assert_eq!(
            names(this_round(&all, 4, &mut turn)),
            ["n1", "n2", "n10", "n11"]
        );
        assert_eq!(
            names(this_round(&all, 4, &mut turn)),
            ["n1", "n2", "n12", "n13"]
        );
        assert_eq!(
            names(this_round(&all, 4, &mut turn)),
            ["n1", "n2", "n14", "n10"]
        );
        assert_eq!(
            this_round(&all, 64, &mut turn).len(),
            7,
            "all fit: all of them"
        );
    }

    #[tokio::test]
    async fn a_suspect_is_probed_again_between_rounds() {
        let up = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let gone = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let gone_addr = gone.local_addr().unwrap().to_string();
        drop(gone); // nothing listens there now: refused at once
        let target = |id: &str, addr: String| Target {
            node: NodeId(id.into()),
            addr,
        };
        let mut h = spawn(ProbeOptions {
            every: Duration::from_millis(300),
            connect_timeout: Duration::from_millis(200),
            per_round: 64,
            suspect_every: Duration::from_millis(20),
        });
        h.cmd
            .send(ProbeCmd::Targets(vec![
                target("up", up.local_addr().unwrap().to_string()),
                target("gone", gone_addr),
            ]))
            .unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        let mut failures = 0;
        loop {
            let round = tokio::time::timeout_at(deadline, h.rx.recv())
                .await
                .expect("a round of the suspect alone within 10 s")
                .unwrap();
            let only_gone = round.results.iter().all(|(t, _)| t.node.0 == "gone");
            if only_gone {
                assert!(
                    failures >= crate::health::SUSPECT_AFTER,
                    "only a suspect is probed between rounds"
                );
                assert!(round.results[0].1.is_err());
                break;
            }
            failures += round
                .results
                .iter()
                .filter(|(t, r)| t.node.0 == "gone" && r.is_err())
                .count() as u32;
        }
    }

    fn manager(id: &str, leader: bool) -> Node {
        Node {
            id: NodeId(id.into()),
            hostname: id.into(),
            role: Role::Manager,
            manager: Some(ManagerInfo {
                leader,
                reachability: Reachability::Reachable,
                addr: format!("198.51.100.{}:2377", id.len()),
            }),
            ..Default::default()
        }
    }

    fn round(results: Vec<(&str, Result<(), String>)>) -> ProbeRound {
        ProbeRound {
            results: results
                .into_iter()
                .map(|(id, r)| {
                    (
                        Target {
                            node: NodeId(id.into()),
                            addr: format!("{id}:2377"),
                        },
                        r,
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn two_failed_probes_make_a_node_unreachable_from_here_and_one_answer_clears_it() {
        use crate::engine::EngineMsg;
        use crate::health::timeline::{Kind, Severity};
        use crate::store::Store;
        let t0: jiff::Timestamp = "2026-12-01T10:00:00Z".parse().unwrap();
        let mut store = Store::default();
        store.apply(
            EngineMsg::Nodes(vec![manager("node1", true), manager("node2", false)]),
            t0,
        );
        let id = NodeId("node1".into());
        let ch = store.apply_probe(
            round(vec![("node1", Err("refused".into())), ("node2", Ok(()))]),
            t0,
        );
        assert!(
            !store.unreachable_from_here(&id),
            "one failure is not enough"
        );
        assert!(!ch.nodes, "nothing shown changed");
        let ch = store.apply_probe(
            round(vec![("node1", Err("no answer within 800 ms".into()))]),
            t0,
        );
        assert!(store.unreachable_from_here(&id));
        assert!(ch.nodes && ch.conn, "the row and the header change");
        assert_eq!(store.reach[&id].failing_since, Some(t0));
        let ev = store.timeline.events.back().unwrap();
        assert_eq!(
            (ev.kind, ev.severity),
            (Kind::Suspicion, Severity::Critical)
        );
        assert!(
            ev.text.contains("node1 unreachable from here"),
            "{}",
            ev.text
        );
        // the engine's own state is untouched, and node2 (not probed this round) is kept
        assert!(store.node(&id).unwrap().is_leader());
        assert!(store.reach.contains_key(&NodeId("node2".into())));
        store.apply_probe(round(vec![("node1", Ok(()))]), t0);
        assert!(!store.unreachable_from_here(&id));
        assert!(
            store
                .timeline
                .events
                .back()
                .unwrap()
                .text
                .contains("reachable from here again")
        );
    }

    #[test]
    fn no_leader_removes_the_star_and_is_a_leader_change() {
        use crate::engine::{EngineMsg, FetchError};
        use crate::store::Store;
        let t0: jiff::Timestamp = "2026-12-01T10:00:00Z".parse().unwrap();
        let mut store = Store::default();
        store.apply(
            EngineMsg::Nodes(vec![manager("node1", true), manager("node2", false)]),
            t0,
        );
        assert!(
            store.leader_changes.is_empty(),
            "the first list is no change"
        );
        let n1 = store.nodes[0].clone();
        assert!(store.is_leader(&n1));
        store.apply(
            EngineMsg::FetchFailed {
                what: "nodes",
                error: FetchError::NoLeader("rpc error: no leader".into()),
            },
            t0,
        );
        assert_eq!(store.no_leader_since, Some(t0));
        assert!(store.leader().is_none() && !store.is_leader(&n1), "no star");
        let last = store.leader_changes.back().unwrap();
        assert_eq!(
            (last.from.as_deref(), last.to.as_deref()),
            (Some("node1"), None)
        );
        // the election ends: node2 leads
        store.apply(
            EngineMsg::Nodes(vec![manager("node1", false), manager("node2", true)]),
            t0,
        );
        assert_eq!(store.no_leader_since, None);
        assert_eq!(store.leader().map(|n| n.hostname.as_str()), Some("node2"));
        let last = store.leader_changes.back().unwrap();
        assert_eq!(
            (last.from.as_deref(), last.to.as_deref()),
            (None, Some("node2"))
        );
    }

    #[test]
    fn connections_and_failovers_are_on_the_timeline_and_the_cluster_id_is_kept() {
        use crate::domain::EngineInfo;
        use crate::engine::EngineMsg;
        use crate::store::Store;
        let t0: jiff::Timestamp = "2026-12-01T10:00:00Z".parse().unwrap();
        let mut store = Store::default();
        let info = |cluster: &str| EngineInfo {
            cluster_id: cluster.into(),
            ..Default::default()
        };
        store.apply(
            EngineMsg::Connected {
                endpoint: "a".into(),
                info: info("c1"),
            },
            t0,
        );
        store.apply(
            EngineMsg::Lost {
                endpoint: "a".into(),
                reason: "no answer to 2 pings".into(),
            },
            t0,
        );
        // a manager without a leader may not know the cluster's id
        store.apply(
            EngineMsg::Connected {
                endpoint: "b".into(),
                info: info(""),
            },
            t0,
        );
        assert_eq!(store.info.as_ref().unwrap().cluster_id, "c1");
        let texts: Vec<&str> = store
            .timeline
            .events
            .iter()
            .map(|e| e.text.as_str())
            .collect();
        assert_eq!(
            texts,
            [
                "connected to a",
                "lost the connection to a: no answer to 2 pings",
                "failed over to b (was a)"
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
