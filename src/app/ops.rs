//! Work that outlives the popup that started it: drains being followed, the rebalance queue,
//! writes in flight, the audit log as last read. The app owns it; views read it.

use std::collections::HashMap;

use jiff::Timestamp;

use crate::audit::AuditEntry;
use crate::domain::{Availability, Node, NodeId, ServiceId, Task, UpdateState};
use crate::engine::write::NodeChange;
use crate::engine::{EngineCmd, TaskScope, WriteChange, WriteRequest, WriteTarget};
use crate::maint::check::{self, DrainCheck, DrainProgress, RoleCheck};
use crate::store::{Level, Store};

/// A write the user confirmed, before the app gives it its sequence number.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingWrite {
    pub target: WriteTarget,
    pub change: WriteChange,
    pub action: String,
    /// What the app follows once it is sent.
    pub follow: Follow,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Follow {
    Nothing,
    /// A drain: its progress is counted until no task is left.
    Drain(NodeId, Box<DrainCheck>),
}

/// A drain being followed.
#[derive(Debug, Clone, PartialEq)]
pub struct DrainState {
    pub check: DrainCheck,
    pub started: Timestamp,
    pub progress: Option<DrainProgress>,
    /// The write failed: why.
    pub failed: Option<String>,
    pub written: bool,
    /// The node's tasks were read after the write (progress is only trusted then).
    pub node_tasks_read: bool,
    pub done_at: Option<Timestamp>,
}

impl DrainState {
    /// Finished, one way or the other.
    pub fn finished(&self) -> bool {
        self.done_at.is_some() || self.failed.is_some()
    }
}

/// One service of a rebalance, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct RebalanceItem {
    pub service: ServiceId,
    pub name: String,
    pub spread_before: String,
    pub state: RebalanceStep,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RebalanceStep {
    Waiting,
    /// The force update was sent (this sequence number).
    Writing(u64),
    /// Written at this version: Swarm is rolling it out.
    Updating {
        version: u64,
        since: Timestamp,
    },
    Done,
    Failed(String),
}

/// Who a write in flight answers to.
#[derive(Debug, Clone, PartialEq)]
pub struct InFlight {
    /// The popup that asked (its id on the stack), if any.
    pub view: Option<u64>,
    pub purpose: Purpose,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Purpose {
    Plain,
    Drain(NodeId),
    Rebalance(ServiceId),
}

/// The audit log as last read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AuditView {
    pub entries: Vec<AuditEntry>,
    pub unreadable_lines: usize,
    pub error: Option<String>,
    pub loading: bool,
}

/// Long-running work of the app.
#[derive(Debug, Default)]
pub struct Ops {
    pub write_seq: u64,
    /// Writes sent and not answered yet.
    pub in_flight: HashMap<u64, InFlight>,
    /// Drains being followed.
    pub drains: HashMap<NodeId, DrainState>,
    /// The rebalance queue (services in order).
    pub rebalance: Vec<RebalanceItem>,
    pub audit: AuditView,
    /// Config, deploy, resource and secret commands that write, sent and not answered yet.
    pub other_writes: std::collections::HashSet<u64>,
}

impl Ops {
    /// Writes sent and not answered yet, of every kind.
    pub fn writes_in_flight(&self) -> usize {
        self.in_flight.len() + self.other_writes.len()
    }

    pub fn next_seq(&mut self) -> u64 {
        self.write_seq += 1;
        self.write_seq
    }

    /// A rebalance is under way.
    pub fn rebalancing(&self) -> bool {
        self.rebalance
            .iter()
            .any(|i| !matches!(i.state, RebalanceStep::Done | RebalanceStep::Failed(_)))
    }

    /// Start following a drain of this node.
    pub fn start_drain(&mut self, id: &NodeId, check: DrainCheck, now: Timestamp) {
        self.drains.insert(
            id.clone(),
            DrainState {
                check,
                started: now,
                progress: None,
                failed: None,
                written: false,
                node_tasks_read: false,
                done_at: None,
            },
        );
    }

    /// The nodes whose every task the engine must poll (drains not finished).
    pub fn watched_nodes(&self) -> Vec<NodeId> {
        let mut v: Vec<NodeId> = self
            .drains
            .iter()
            .filter(|(_, d)| !d.finished())
            .map(|(id, _)| id.clone())
            .collect();
        v.sort();
        v
    }

    /// A node's task history arrived: a drain written before it may now trust its count.
    pub fn node_tasks_read(&mut self, scope: &TaskScope) {
        if let TaskScope::Node(id) = scope
            && let Some(d) = self.drains.get_mut(id)
            && d.written
        {
            d.node_tasks_read = true;
        }
    }

    /// Recompute drain progress and move the rebalance on (after data changed). Returns the
    /// notices to show and whether the drained-node watch list changed.
    pub fn refresh(&mut self, store: &Store, now: Timestamp) -> (Vec<(Level, String)>, bool) {
        let mut notices = Vec::new();
        let mut watch_changed = false;
        for (id, d) in self.drains.iter_mut() {
            // a finished drain needs no more counting
            if d.finished() {
                continue;
            }
            // the live tasks, plus this node's leaving tasks (desired state no longer running)
            let mut tasks: Vec<Task> = store.live_tasks.clone();
            if let Some(extra) = store.scoped.get(&TaskScope::Node(id.clone())) {
                tasks.extend(
                    extra
                        .iter()
                        .filter(|t| !store.live_tasks.iter().any(|l| l.id == t.id))
                        .cloned(),
                );
            }
            let progress =
                check::drain_progress(&d.check, id, &store.nodes, &store.services, &tasks);
            if d.written && d.node_tasks_read && progress.done && d.done_at.is_none() {
                d.done_at = Some(now);
                notices.push((
                    Level::Info,
                    format!(
                        "{} drained: no task left running ({}s)",
                        d.check.node,
                        now.as_second() - d.started.as_second()
                    ),
                ));
                watch_changed = true;
            }
            d.progress = Some(progress);
        }
        (notices, watch_changed)
    }

    /// Start the next service of the rebalance once the previous one has rolled out; the
    /// write to send, if one is due.
    pub fn advance_rebalance(&mut self, store: &Store, _now: Timestamp) -> Option<WriteRequest> {
        for item in &mut self.rebalance {
            // Done when the update that started after our write has finished (a few seconds
            // of clock difference between this host and the manager are allowed for).
            if let RebalanceStep::Updating { version, since } = item.state
                && let Some(svc) = store.service(&item.service)
                && svc.version > version
                && svc
                    .update_started
                    .is_some_and(|t| t.as_second() >= since.as_second() - 5)
                && !matches!(
                    svc.update_state,
                    Some(UpdateState::Updating | UpdateState::RollbackStarted)
                )
                && svc.running >= svc.desired
            {
                item.state = if matches!(
                    svc.update_state,
                    Some(
                        UpdateState::RollbackCompleted
                            | UpdateState::Paused
                            | UpdateState::RollbackPaused
                    )
                ) {
                    RebalanceStep::Failed(format!("update ended {}", svc.update_message))
                } else {
                    RebalanceStep::Done
                };
            }
        }
        let busy = self.rebalance.iter().any(|i| {
            matches!(
                i.state,
                RebalanceStep::Writing(_) | RebalanceStep::Updating { .. }
            )
        });
        if busy {
            return None;
        }
        let idx = self
            .rebalance
            .iter()
            .position(|i| i.state == RebalanceStep::Waiting)?;
        let seq = self.next_seq();
        let item = &mut self.rebalance[idx];
        item.state = RebalanceStep::Writing(seq);
        let service = item.service.clone();
        let req = WriteRequest {
            seq,
            target: WriteTarget::Service {
                id: item.service.clone(),
                name: item.name.clone(),
            },
            change: WriteChange::ForceUpdate,
            action: "force-update (rebalance)".into(),
        };
        self.in_flight.insert(
            seq,
            InFlight {
                view: None,
                purpose: Purpose::Rebalance(service),
            },
        );
        Some(req)
    }

    /// The drain mark for the nodes pane while tasks are leaving: "drain 3" (3 still running).
    pub fn drain_mark(&self, id: &NodeId) -> Option<String> {
        let d = self.drains.get(id)?;
        if d.failed.is_some() {
            return Some("drain failed".into());
        }
        match (&d.progress, d.done_at) {
            (_, Some(_)) => None,
            (Some(p), None) => Some(format!("drain {}", p.left_running.len())),
            (None, None) => Some("draining".into()),
        }
    }

    /// Whether any drain is still moving tasks (the AVAIL column widens for its mark).
    pub fn draining(&self) -> bool {
        self.drains.values().any(|d| d.done_at.is_none())
    }

    pub fn engine_watch(&self) -> EngineCmd {
        EngineCmd::WatchNodes(self.watched_nodes())
    }
}

/// A write to one node.
pub fn node_write(id: NodeId, name: String, change: NodeChange) -> PendingWrite {
    PendingWrite {
        target: WriteTarget::Node { id, name },
        action: change.action(),
        change: WriteChange::Node(change),
        follow: Follow::Nothing,
    }
}

/// Set a node's availability from what the user saw.
pub fn availability_write(id: &NodeId, node: &Node, to: Availability) -> PendingWrite {
    node_write(
        id.clone(),
        node.hostname.clone(),
        NodeChange::Availability {
            seen: node.availability.clone(),
            to,
        },
    )
}

/// The lines of a promote/demote dialog.
pub fn role_lines(rc: &RoleCheck) -> Vec<(Level, String)> {
    let mut lines = Vec::new();
    if let Some(why) = &rc.refused {
        lines.push((Level::Danger, format!("refused: {why}")));
    }
    lines.push((
        Level::Info,
        format!(
            "after: {} managers, {} reachable, majority {}, tolerates {} failure(s)",
            rc.managers_after, rc.reachable_after, rc.majority_after, rc.tolerates_after
        ),
    ));
    for w in &rc.warnings {
        lines.push((Level::Warn, w.clone()));
    }
    lines
}
