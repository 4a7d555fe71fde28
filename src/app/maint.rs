//! Node maintenance in the app: the confirmation dialogs, the labels form, drain progress,
//! the rebalance queue and the audit view. Every write leaves as an [`EngineCmd::Write`] and
//! comes back as [`EngineMsg::WriteDone`]; nothing here touches the engine.

use std::collections::BTreeMap;

use jiff::Timestamp;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{App, Level, Modal, Outgoing, Pane};
use crate::audit::AuditEntry;
use crate::domain::{Availability, NodeId, Role, ServiceId, UpdateState};
use crate::engine::write::{NodeChange, WriteError, WriteOutcome};
use crate::engine::{EngineCmd, WriteChange, WriteRequest, WriteTarget};
use crate::keymap::Action;
use crate::maint::check::{self, DrainCheck, DrainProgress, LabelImpact, RoleCheck, Unbalanced};

/// A write the user is asked to confirm.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    pub title: String,
    /// What the write will do, worst first.
    pub lines: Vec<(Level, String)>,
    /// For a dangerous write: the hostname to type.
    pub expect: Option<String>,
    pub typed: String,
    /// `None`: the write is refused; the dialog only explains why.
    pub write: Option<PendingWrite>,
    /// What to follow after the write.
    pub then: After,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PendingWrite {
    pub target: WriteTarget,
    pub change: WriteChange,
    pub action: String,
}

/// What the app follows once a write is sent.
#[derive(Debug, Clone, PartialEq)]
pub enum After {
    Nothing,
    /// Show the drain's progress.
    Drain(Box<DrainCheck>),
    /// Start the rebalance queue with these services.
    Rebalance(Vec<Unbalanced>),
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

/// The labels form.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelForm {
    pub node: NodeId,
    pub hostname: String,
    /// The labels when the form opened.
    pub seen: BTreeMap<String, String>,
    pub set: BTreeMap<String, String>,
    pub remove: Vec<String>,
    /// `key=value` being typed.
    pub input: String,
    /// Selected row of [`LabelForm::rows`].
    pub selected: usize,
    pub error: Option<String>,
    /// What the pending change would do to placement (recomputed as the form changes).
    pub impact: Vec<LabelImpact>,
}

impl LabelForm {
    /// Every label with what will happen to it: (key, value, mark) with mark one of
    /// ' ' kept, '+' added, '~' changed, '-' removed.
    pub fn rows(&self) -> Vec<(String, String, char)> {
        let mut out: Vec<(String, String, char)> = Vec::new();
        for (k, v) in &self.seen {
            if self.remove.contains(k) {
                out.push((k.clone(), v.clone(), '-'));
            } else if let Some(new) = self.set.get(k) {
                out.push((k.clone(), new.clone(), if new == v { ' ' } else { '~' }));
            } else {
                out.push((k.clone(), v.clone(), ' '));
            }
        }
        for (k, v) in &self.set {
            if !self.seen.contains_key(k) {
                out.push((k.clone(), v.clone(), '+'));
            }
        }
        out
    }

    pub fn changed(&self) -> bool {
        !self.remove.is_empty() || self.set.iter().any(|(k, v)| self.seen.get(k) != Some(v))
    }

    /// "+zone=eu ~rack=2 -old" for the audit log and the dialog.
    pub fn summary(&self) -> String {
        self.rows()
            .into_iter()
            .filter(|(_, _, m)| *m != ' ')
            .map(|(k, v, m)| match m {
                '-' => format!("-{k}"),
                _ => format!("{m}{k}={v}"),
            })
            .collect::<Vec<_>>()
            .join(" ")
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

/// What a write in flight was for.
#[derive(Debug, Clone, PartialEq)]
pub enum InFlight {
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

impl App {
    fn selected_node_id(&self) -> Option<NodeId> {
        if self.focus == Pane::Nodes {
            self.selected_node().map(|n| n.id.clone())
        } else {
            None
        }
    }

    fn next_seq(&mut self) -> u64 {
        self.write_seq += 1;
        self.write_seq
    }

    /// A write action pressed in the main view.
    pub(super) fn maintenance(&mut self, action: Action) {
        if self.readonly && action.is_write() {
            // The keymap has no write keys in readonly mode; this is the second lock.
            self.notify(
                Level::Warn,
                "readonly mode: swarmdeck changes nothing".into(),
            );
            return;
        }
        if action == Action::Rebalance {
            self.open_rebalance(self.selected_node_id());
            return;
        }
        let Some(id) = self.selected_node_id() else {
            self.notify(
                Level::Warn,
                format!("{action}: select a node in the nodes pane first"),
            );
            return;
        };
        match action {
            Action::Drain => self.open_drain(&id),
            Action::Activate => self.open_availability(&id, Availability::Active),
            Action::Pause => self.open_availability(&id, Availability::Pause),
            Action::Labels => self.open_labels(&id),
            Action::Promote => self.open_role(&id, true),
            Action::Demote => self.open_role(&id, false),
            _ => {}
        }
    }

    fn open_drain(&mut self, id: &NodeId) {
        let holds_vip = self.node(id).is_some_and(|n| self.holds_vip(&n.hostname));
        let Some(check) =
            check::drain_check(id, &self.nodes, &self.services, &self.live_tasks, holds_vip)
        else {
            return;
        };
        let Some(node) = self.node(id).cloned() else {
            return;
        };
        if check.already_drained {
            self.notify(Level::Info, format!("{} is already drained", node.hostname));
            if self.drains.contains_key(id) {
                self.modals.push(Modal::DrainProgress { node: id.clone() });
            }
            return;
        }
        let dangers = check.dangers();
        let mut lines: Vec<(Level, String)> =
            dangers.iter().map(|d| (Level::Danger, d.clone())).collect();
        lines.extend(
            check
                .lines()
                .into_iter()
                .filter(|l| !dangers.contains(l))
                .map(|l| (Level::Info, l)),
        );
        let expect = (!dangers.is_empty()).then(|| node.hostname.clone());
        self.modals.push(Modal::Confirm(Box::new(Confirm {
            title: format!("drain {}", node.hostname),
            lines,
            expect,
            typed: String::new(),
            write: Some(availability_write(id, &node, Availability::Drain)),
            then: After::Drain(Box::new(check)),
        })));
    }

    fn open_availability(&mut self, id: &NodeId, to: Availability) {
        let Some(node) = self.node(id).cloned() else {
            return;
        };
        if node.availability == to {
            self.notify(Level::Info, format!("{} is already {to}", node.hostname));
            return;
        }
        let what = match to {
            Availability::Active => {
                "it takes new tasks again; Swarm does not move running tasks back (see rebalance)"
            }
            Availability::Pause => "running tasks stay; no new task is placed on it",
            _ => "",
        };
        self.modals.push(Modal::Confirm(Box::new(Confirm {
            title: format!("{} → {to}", node.hostname),
            lines: vec![(
                Level::Info,
                format!("{} is {} now: {what}.", node.hostname, node.availability),
            )],
            expect: None,
            typed: String::new(),
            write: Some(availability_write(id, &node, to.clone())),
            then: After::Nothing,
        })));
    }

    fn open_role(&mut self, id: &NodeId, promote: bool) {
        let Some(node) = self.node(id).cloned() else {
            return;
        };
        let Some(rc) = check::role_check(id, promote, &self.nodes) else {
            return;
        };
        let to = if promote { Role::Manager } else { Role::Worker };
        let lines = role_lines(&rc);
        let write = rc.refused.is_none().then(|| {
            node_write(
                id.clone(),
                node.hostname.clone(),
                NodeChange::Role {
                    seen: node.role.clone(),
                    to: to.clone(),
                },
            )
        });
        self.modals.push(Modal::Confirm(Box::new(Confirm {
            title: format!(
                "{} {}",
                if promote { "promote" } else { "demote" },
                node.hostname
            ),
            lines,
            expect: None,
            typed: String::new(),
            write,
            then: After::Nothing,
        })));
    }

    fn open_labels(&mut self, id: &NodeId) {
        let Some(node) = self.node(id) else { return };
        self.modals.push(Modal::Labels(Box::new(LabelForm {
            node: id.clone(),
            hostname: node.hostname.clone(),
            seen: node.labels.clone(),
            set: BTreeMap::new(),
            remove: Vec::new(),
            input: String::new(),
            selected: 0,
            error: None,
            impact: Vec::new(),
        })));
    }

    /// What a label change would do to the services that use the labels.
    pub fn label_impact(&self, form: &LabelForm) -> Vec<LabelImpact> {
        check::label_impact(
            &form.node,
            &form.set,
            &form.remove,
            &self.nodes,
            &self.services,
        )
    }

    pub(super) fn open_rebalance(&mut self, node: Option<NodeId>) {
        if self.readonly {
            self.notify(
                Level::Warn,
                "readonly mode: swarmdeck changes nothing".into(),
            );
            return;
        }
        if self
            .rebalance
            .iter()
            .any(|i| !matches!(i.state, RebalanceStep::Done | RebalanceStep::Failed(_)))
        {
            self.modals.push(Modal::Rebalance);
            return;
        }
        let plan = check::unbalanced(&self.nodes, &self.services, &self.live_tasks, node.as_ref());
        if plan.is_empty() {
            self.notify(
                Level::Info,
                "every replicated service is evenly spread: nothing to rebalance".into(),
            );
            return;
        }
        let mut lines = vec![(
            Level::Info,
            format!(
                "force-update {} service(s), one at a time; each rolls out with its own update config:",
                plan.len()
            ),
        )];
        for u in &plan {
            let spread: Vec<String> = u.per_node.iter().map(|(h, n)| format!("{h}:{n}")).collect();
            lines.push((Level::Info, format!("{}  ({})", u.name, spread.join(" "))));
        }
        lines.push((
            Level::Warn,
            "each task of these services is restarted (rolling update)".into(),
        ));
        self.modals.push(Modal::Confirm(Box::new(Confirm {
            title: "rebalance".into(),
            lines,
            expect: None,
            typed: String::new(),
            write: None,
            then: After::Rebalance(plan),
        })));
    }

    pub(super) fn open_audit(&mut self) {
        self.audit.loading = true;
        self.outbox.push(Outgoing::Engine(EngineCmd::ReadAudit));
        self.modals.push(Modal::Audit { scroll: 0 });
    }

    /// Keys in a confirmation dialog: `y` (or the typed hostname + Enter) confirms, Esc/n cancels.
    pub(super) fn on_confirm_key(&mut self, mut c: Confirm, key: KeyEvent) {
        let confirmed = match (&c.expect, key.code) {
            (_, KeyCode::Esc) => {
                self.modals.pop();
                return;
            }
            (None, KeyCode::Char('n')) => {
                self.modals.pop();
                return;
            }
            (None, KeyCode::Char('y')) => true,
            (Some(expect), KeyCode::Enter) => {
                if c.typed == *expect {
                    true
                } else {
                    self.notify(
                        Level::Warn,
                        format!("type {expect} exactly to confirm, or Esc"),
                    );
                    false
                }
            }
            (Some(_), KeyCode::Backspace) => {
                c.typed.pop();
                self.set_top_modal(Modal::Confirm(Box::new(c)));
                return;
            }
            (Some(_), KeyCode::Char(ch)) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                c.typed.push(ch);
                self.set_top_modal(Modal::Confirm(Box::new(c)));
                return;
            }
            _ => false,
        };
        if !confirmed {
            return;
        }
        let refused_rebalance = c.write.is_none() && !matches!(c.then, After::Rebalance(_));
        self.modals.pop();
        if refused_rebalance {
            return;
        }
        match c.then {
            After::Rebalance(plan) => {
                self.rebalance = plan
                    .into_iter()
                    .map(|u| RebalanceItem {
                        spread_before: u
                            .per_node
                            .iter()
                            .map(|(h, n)| format!("{h}:{n}"))
                            .collect::<Vec<_>>()
                            .join(" "),
                        service: u.service,
                        name: u.name,
                        state: RebalanceStep::Waiting,
                    })
                    .collect();
                self.modals.push(Modal::Rebalance);
                self.advance_rebalance();
            }
            then => {
                let Some(w) = c.write else { return };
                let seq = self.next_seq();
                let purpose = match (&then, &w.target) {
                    (After::Drain(check), WriteTarget::Node { id, .. }) => {
                        self.drains.insert(
                            id.clone(),
                            DrainState {
                                check: (**check).clone(),
                                started: self.now,
                                progress: None,
                                failed: None,
                                written: false,
                                node_tasks_read: false,
                                done_at: None,
                            },
                        );
                        self.modals.push(Modal::DrainProgress { node: id.clone() });
                        self.watch_draining_nodes();
                        InFlight::Drain(id.clone())
                    }
                    _ => InFlight::Plain,
                };
                self.in_flight.insert(seq, purpose);
                self.notify(Level::Info, format!("{}: {} …", w.target.name(), w.action));
                self.outbox
                    .push(Outgoing::Engine(EngineCmd::Write(WriteRequest {
                        seq,
                        target: w.target,
                        change: w.change,
                        action: w.action,
                    })));
                self.rebuild_maint();
            }
        }
    }

    /// Keys in the drain progress, rebalance and audit views: Esc leaves (the work goes on).
    pub(super) fn on_view_key(&mut self, modal: Modal, key: KeyEvent) {
        match (modal, key.code) {
            (_, KeyCode::Esc | KeyCode::Char('q')) => {
                self.modals.pop();
            }
            (Modal::Audit { scroll }, KeyCode::Down | KeyCode::Char('j')) => {
                self.set_top_modal(Modal::Audit {
                    scroll: scroll.saturating_add(1),
                });
            }
            (Modal::Audit { scroll }, KeyCode::Up | KeyCode::Char('k')) => {
                self.set_top_modal(Modal::Audit {
                    scroll: scroll.saturating_sub(1),
                });
            }
            _ => {}
        }
    }

    /// Keys in the labels form.
    pub(super) fn on_labels_key(&mut self, mut f: LabelForm, key: KeyEvent) {
        let rows = f.rows().len();
        f.error = None;
        match key.code {
            KeyCode::Esc => {
                self.modals.pop();
                return;
            }
            KeyCode::Up => f.selected = f.selected.saturating_sub(1),
            KeyCode::Down => f.selected = (f.selected + 1).min(rows.saturating_sub(1)),
            KeyCode::Delete => {
                // toggle removal of the selected label (or drop a pending addition)
                if let Some((k, _, mark)) = f.rows().get(f.selected).cloned() {
                    match mark {
                        '+' => {
                            f.set.remove(&k);
                        }
                        '-' => f.remove.retain(|r| r != &k),
                        _ => {
                            f.set.remove(&k);
                            f.remove.push(k);
                        }
                    }
                }
            }
            KeyCode::Backspace => {
                f.input.pop();
            }
            KeyCode::Enter if f.input.trim().is_empty() => {
                // review and write
                if !f.changed() {
                    f.error = Some(
                        "nothing to change: type key=value and Enter to add, Del to remove".into(),
                    );
                } else {
                    let impact = self.label_impact(&f);
                    let mut lines = vec![(
                        Level::Info,
                        format!("labels of {}: {}", f.hostname, f.summary()),
                    )];
                    for i in &impact {
                        let level = if i.after.is_empty() {
                            Level::Danger
                        } else {
                            Level::Warn
                        };
                        lines.push((level, i.describe()));
                    }
                    if impact.is_empty() {
                        lines.push((
                            Level::Info,
                            "no service's constraints use these labels".into(),
                        ));
                    }
                    let write = node_write(
                        f.node.clone(),
                        f.hostname.clone(),
                        NodeChange::Labels {
                            set: f.set.clone(),
                            remove: f.remove.clone(),
                            seen: f.seen.clone(),
                        },
                    );
                    self.modals.pop();
                    self.modals.push(Modal::Confirm(Box::new(Confirm {
                        title: format!("labels of {}", f.hostname),
                        lines,
                        expect: None,
                        typed: String::new(),
                        write: Some(write),
                        then: After::Nothing,
                    })));
                    return;
                }
            }
            KeyCode::Enter => {
                let text = f.input.trim().to_string();
                let (k, v) = match text.split_once('=') {
                    Some((k, v)) => (k.trim().to_string(), v.trim().to_string()),
                    None => (text.clone(), String::new()),
                };
                match check::validate_label(&k, &v) {
                    Ok(()) => {
                        f.remove.retain(|r| r != &k);
                        f.set.insert(k, v);
                        f.input.clear();
                    }
                    Err(e) => f.error = Some(e),
                }
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => f.input.push(c),
            _ => {}
        }
        f.impact = self.label_impact(&f);
        self.set_top_modal(Modal::Labels(Box::new(f)));
    }

    fn set_top_modal(&mut self, m: Modal) {
        if let Some(top) = self.modals.last_mut() {
            *top = m;
        }
    }

    /// A write came back.
    pub(super) fn write_done(
        &mut self,
        seq: u64,
        target: &WriteTarget,
        action: &str,
        result: &Result<WriteOutcome, WriteError>,
    ) {
        let purpose = self.in_flight.remove(&seq).unwrap_or(InFlight::Plain);
        let name = target.name().to_string();
        match result {
            Ok(o) if o.noop => self.notify(
                Level::Info,
                format!("{name}: already so ({action}); nothing written"),
            ),
            Ok(o) => {
                let retried = if o.attempts > 1 {
                    format!(
                        " after {} attempts (someone else wrote meanwhile; their change is kept)",
                        o.attempts
                    )
                } else {
                    String::new()
                };
                self.notify(Level::Info, format!("{name}: {action} done{retried}"));
            }
            Err(e) => self.notify(Level::Danger, format!("{name}: {action} not done: {e}")),
        }
        match purpose {
            InFlight::Plain => {}
            InFlight::Drain(node) => {
                if let Some(d) = self.drains.get_mut(&node) {
                    match result {
                        Ok(_) => d.written = true,
                        Err(e) => d.failed = Some(e.to_string()),
                    }
                }
            }
            InFlight::Rebalance(service) => {
                if let Some(item) = self.rebalance.iter_mut().find(|i| i.service == service) {
                    item.state = match result {
                        Ok(o) => RebalanceStep::Updating {
                            version: o.version,
                            since: self.now,
                        },
                        Err(e) => RebalanceStep::Failed(e.to_string()),
                    };
                }
                self.advance_rebalance();
            }
        }
        self.rebuild_maint();
    }

    /// Start the next service of the rebalance once the previous one has rolled out.
    fn advance_rebalance(&mut self) {
        // a service being updated is done when its version moved past the write and its
        // update is no longer in progress with every task running
        for item in &mut self.rebalance {
            // Done when the update that started after our write has finished (a few seconds
            // of clock difference between this host and the manager are allowed for).
            if let RebalanceStep::Updating { version, since } = item.state
                && let Some(svc) = self.services.iter().find(|s| s.id == item.service)
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
            return;
        }
        let Some(idx) = self
            .rebalance
            .iter()
            .position(|i| i.state == RebalanceStep::Waiting)
        else {
            return;
        };
        let seq = self.next_seq();
        let item = &mut self.rebalance[idx];
        item.state = RebalanceStep::Writing(seq);
        let req = WriteRequest {
            seq,
            target: WriteTarget::Service {
                id: item.service.clone(),
                name: item.name.clone(),
            },
            change: WriteChange::ForceUpdate,
            action: "force-update (rebalance)".into(),
        };
        self.in_flight
            .insert(seq, InFlight::Rebalance(item.service.clone()));
        self.outbox.push(Outgoing::Engine(EngineCmd::Write(req)));
    }

    /// Recompute drain progress and move the rebalance on (after data changed).
    pub(super) fn rebuild_maint(&mut self) {
        let ids: Vec<NodeId> = self.drains.keys().cloned().collect();
        for id in ids {
            // a finished drain needs no more counting
            if self.drains[&id].done_at.is_some() || self.drains[&id].failed.is_some() {
                continue;
            }
            let progress = {
                let d = &self.drains[&id];
                // the live tasks, plus this node's leaving tasks (desired state no longer running)
                let mut tasks = self.live_tasks.clone();
                if let Some(extra) = self.drain_tasks.get(&id) {
                    tasks.extend(
                        extra
                            .iter()
                            .filter(|t| !self.live_tasks.iter().any(|l| l.id == t.id))
                            .cloned(),
                    );
                }
                check::drain_progress(&d.check, &id, &self.nodes, &self.services, &tasks)
            };
            let now = self.now;
            let mut finished = None;
            if let Some(d) = self.drains.get_mut(&id) {
                if d.written && d.node_tasks_read && progress.done && d.done_at.is_none() {
                    d.done_at = Some(now);
                    finished = Some((
                        d.check.node.clone(),
                        now.as_second() - d.started.as_second(),
                    ));
                }
                d.progress = Some(progress);
            }
            if let Some((host, secs)) = finished {
                self.notify(
                    Level::Info,
                    format!("{host} drained: no task left running ({secs}s)"),
                );
                self.watch_draining_nodes();
            }
        }
        if !self.rebalance.is_empty() {
            self.advance_rebalance();
        }
    }

    /// Ask the engine for the tasks of every node whose drain is not finished.
    fn watch_draining_nodes(&mut self) {
        let nodes: Vec<NodeId> = self
            .drains
            .iter()
            .filter(|(_, d)| d.done_at.is_none() && d.failed.is_none())
            .map(|(id, _)| id.clone())
            .collect();
        self.outbox
            .push(Outgoing::Engine(EngineCmd::WatchNodes(nodes)));
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
}

/// A write to one node.
fn node_write(id: NodeId, name: String, change: NodeChange) -> PendingWrite {
    PendingWrite {
        target: WriteTarget::Node { id, name },
        action: change.action(),
        change: WriteChange::Node(change),
    }
}

/// Set a node's availability from what the user saw.
fn availability_write(id: &NodeId, node: &crate::domain::Node, to: Availability) -> PendingWrite {
    node_write(
        id.clone(),
        node.hostname.clone(),
        NodeChange::Availability {
            seen: node.availability.clone(),
            to,
        },
    )
}

fn role_lines(rc: &RoleCheck) -> Vec<(Level, String)> {
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
