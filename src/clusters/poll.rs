//! The clusters' health, checked in the background while `:clusters` is open (once when it
//! opens, then every [`EVERY`]): each cluster at once, each within [`LIMIT`]. Light: a
//! connection (ping, version, info), the node list and the service list with their task
//! counts (`GET /services?status=true`: one request), and the VIPs the entry names.

use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::domain::quorum::Quorum;
use crate::engine::connect::Tls;
use crate::engine::fetch;
use crate::vip::VipSpec;

/// How often the list is checked again while it is open.
pub const EVERY: Duration = Duration::from_secs(15);
/// The longest one cluster's check may take.
pub const LIMIT: Duration = Duration::from_secs(5);

/// What is checked for one cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub endpoints: Vec<String>,
    pub tls: Tls,
    pub vips: Vec<VipSpec>,
    /// Why it cannot be used: answered at once, nothing tried.
    pub problem: Option<String>,
}

/// What a reachable cluster looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// The endpoint that answered.
    pub endpoint: String,
    /// The leader's hostname (None: no leader in the node list).
    pub leader: Option<String>,
    pub quorum: Quorum,
    pub nodes: usize,
    pub nodes_down: usize,
    pub services: usize,
    /// Services (not jobs) running fewer tasks than desired.
    pub below: usize,
    /// Each named VIP's holder, or what is wrong with it (`NO OWNER`…).
    pub vips: Vec<(std::net::IpAddr, String)>,
    /// A manager answered but its swarm has no leader: why (nothing else could be read).
    pub no_leader: Option<String>,
}

/// A cluster's health: what was seen, or why it is unreachable.
pub type Health = Result<Seen, String>;

/// One cluster checked: its index in the list, when, and what was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub index: usize,
    pub at: Timestamp,
    pub health: Health,
}

/// What the UI asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollCmd {
    /// Check these clusters (index in the list, what to try) now.
    Check(Vec<(usize, Target)>),
}

/// The running task.
pub struct PollHandle {
    pub rx: mpsc::Receiver<Checked>,
    pub cmd: mpsc::UnboundedSender<PollCmd>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for PollHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Start the task; every check it is asked for runs at once, each answered as it ends.
pub fn spawn(limit: Duration) -> PollHandle {
    let (tx, rx) = mpsc::channel(64);
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(run(limit, tx, cmd_rx));
    PollHandle {
        rx,
        cmd: cmd_tx,
        task,
    }
}

async fn run(
    limit: Duration,
    tx: mpsc::Sender<Checked>,
    mut cmd_rx: mpsc::UnboundedReceiver<PollCmd>,
) {
    // aborted with this task: no check outlives the dashboard
    let mut running: JoinSet<()> = JoinSet::new();
    loop {
        tokio::select! {
            cmd = cmd_rx.recv() => match cmd {
                Some(PollCmd::Check(targets)) => {
                    for (index, target) in targets {
                        let tx = tx.clone();
                        running.spawn(async move {
                            let health = check(&target, limit).await;
                            let _ = tx.send(Checked { index, at: Timestamp::now(), health }).await;
                        });
                    }
                }
                None => return,
            },
            Some(_) = running.join_next(), if !running.is_empty() => {}
        }
    }
}

/// Check one cluster within `limit`.
pub async fn check(target: &Target, limit: Duration) -> Health {
    if let Some(p) = &target.problem {
        return Err(p.clone());
    }
    if target.endpoints.is_empty() {
        return Err("no endpoint".into());
    }
    match tokio::time::timeout(limit, look(target)).await {
        Ok(h) => h,
        Err(_) => Err(format!("no answer within {} s", limit.as_secs())),
    }
}

async fn look(target: &Target) -> Health {
    let conn = crate::engine::connect_any(&target.endpoints, &target.tls)
        .await
        .map_err(|errors| {
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        })?;
    let mut seen = Seen {
        endpoint: conn.endpoint.clone(),
        leader: None,
        quorum: Quorum::new(0, 0),
        nodes: 0,
        nodes_down: 0,
        services: 0,
        below: 0,
        vips: Vec::new(),
        no_leader: None,
    };
    if conn.electing {
        seen.no_leader = Some(conn.info.swarm_error.clone());
        return Ok(seen);
    }
    let (nodes, services) = tokio::join!(fetch::nodes(&conn.docker), fetch::services(&conn.docker));
    let nodes = match nodes {
        Ok(n) => n.items,
        Err(fetch::FetchError::NoLeader(why)) => {
            seen.no_leader = Some(why);
            return Ok(seen);
        }
        Err(e) => return Err(format!("{}: reading the nodes: {e}", conn.endpoint)),
    };
    let services = services.map_err(|e| format!("{}: reading the services: {e}", conn.endpoint))?;
    seen.quorum = Quorum::from_nodes(&nodes);
    seen.leader = nodes
        .iter()
        .find(|n| n.is_leader())
        .map(|n| n.hostname.clone());
    seen.nodes = nodes.len();
    seen.nodes_down = nodes.iter().filter(|n| n.is_down()).count();
    seen.services = services.items.len();
    seen.below = services.items.iter().filter(|s| s.is_degraded()).count();
    if !target.vips.is_empty() {
        let addrs = crate::vip::node_addrs(&nodes);
        let opts = crate::vip::watch::WatchOptions::default();
        let seen_vips = crate::vip::watch::observe_all(&target.vips, &addrs, &opts).await;
        seen.vips = seen_vips
            .into_iter()
            .map(|o| (o.addr, o.ownership.label()))
            .collect();
    }
    Ok(seen)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn target(endpoints: &[&str]) -> Target {
        Target {
            endpoints: endpoints.iter().map(|s| s.to_string()).collect(),
            tls: Tls::Env,
            vips: Vec::new(),
            problem: None,
        }
    }

    #[tokio::test]
    async fn an_unreachable_cluster_says_why() {
        let h = check(&target(&["unix:///nonexistent/docker.sock"]), LIMIT).await;
        let why = h.unwrap_err();
        assert!(
            why.contains("no Docker socket at /nonexistent/docker.sock"),
            "{why}"
        );
        let mut t = target(&["tcp://h:1"]);
        t.problem = Some("docker context \"x\": broken".into());
        assert_eq!(
            check(&t, LIMIT).await.unwrap_err(),
            "docker context \"x\": broken"
        );
        assert_eq!(check(&target(&[]), LIMIT).await.unwrap_err(), "no endpoint");
    }

    #[tokio::test]
    async fn the_task_answers_each_check() {
        let mut h = spawn(LIMIT);
        h.cmd
            .send(PollCmd::Check(vec![
                (0, target(&["unix:///nonexistent/a.sock"])),
                (1, target(&["unix:///nonexistent/b.sock"])),
            ]))
            .unwrap();
        let mut got = Vec::new();
        for _ in 0..2 {
            let c = tokio::time::timeout(Duration::from_secs(10), h.rx.recv())
                .await
                .unwrap()
                .unwrap();
            assert!(c.health.is_err());
            got.push(c.index);
        }
        got.sort_unstable();
        assert_eq!(got, [0, 1]);
    }
}
