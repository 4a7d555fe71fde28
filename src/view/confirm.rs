//! Confirming a write: the dialog (a plain `y`, or the hostname typed for a dangerous one,
//! on the shared [`ConfirmDialog`]), and the checks that fill it for each node action.
//! A confirmed write goes to the app; the next step of the flow replaces the dialog.

use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;

use super::drain::DrainView;
use super::labels::LabelsForm;
use super::rebalance::RebalanceView;
use super::{AppCmd, Ctx, DrawCtx, Outcome, View};
use crate::app::ops::{Follow, PendingWrite, availability_write, node_write, role_lines};
use crate::domain::{Availability, NodeId, Role};
use crate::engine::write::NodeChange;
use crate::keymap::{Action, Keymap};
use crate::maint::check::{self, Unbalanced};
use crate::store::Level;
use crate::widget::{ConfirmDialog, ConfirmResult, Tone};

/// What comes after the write is confirmed.
pub enum Then {
    Close,
    /// Show the drain's progress (the dialog is replaced by it).
    DrainProgress(NodeId),
    /// Start the rebalance queue and show it.
    Rebalance(Vec<Unbalanced>),
}

/// A dialog that confirms a write (or only explains why it is refused).
pub struct WriteConfirm {
    pub dialog: ConfirmDialog,
    pub write: Option<PendingWrite>,
    pub then: Then,
}

pub fn tone(level: Level) -> Tone {
    match level {
        Level::Info => Tone::Info,
        Level::Warn => Tone::Warn,
        Level::Danger => Tone::Danger,
    }
}

fn tones(lines: Vec<(Level, String)>) -> Vec<(Tone, String)> {
    lines.into_iter().map(|(l, t)| (tone(l), t)).collect()
}

impl WriteConfirm {
    /// `y` confirms.
    pub fn plain(
        title: String,
        lines: Vec<(Level, String)>,
        write: PendingWrite,
        then: Then,
    ) -> Self {
        WriteConfirm {
            dialog: ConfirmDialog::plain(title, tones(lines)),
            write: Some(write),
            then,
        }
    }

    /// Dangerous: `word` must be typed.
    pub fn typed(
        title: String,
        lines: Vec<(Level, String)>,
        word: String,
        write: PendingWrite,
        then: Then,
    ) -> Self {
        WriteConfirm {
            dialog: ConfirmDialog::typed(title, tones(lines), word),
            write: Some(write),
            then,
        }
    }

    /// Only explains why nothing is done.
    pub fn refusal(title: String, lines: Vec<(Level, String)>) -> Self {
        WriteConfirm {
            dialog: ConfirmDialog::refusal(title, tones(lines)),
            write: None,
            then: Then::Close,
        }
    }

    /// Confirms a step that is not itself a write (the rebalance plan: its writes follow).
    pub fn step(title: String, lines: Vec<(Level, String)>, then: Then) -> Self {
        WriteConfirm {
            dialog: ConfirmDialog::plain(title, tones(lines)),
            write: None,
            then,
        }
    }

    pub fn dialog(&self) -> &ConfirmDialog {
        &self.dialog
    }
}

impl View for WriteConfirm {
    fn context(&self) -> &'static str {
        "confirm"
    }

    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Outcome {
        match self.dialog.key(key) {
            ConfirmResult::Pending => Outcome::Handled,
            ConfirmResult::Cancelled => Outcome::Close,
            ConfirmResult::Confirmed => {
                if let Some(w) = self.write.take() {
                    cx.fx.app.push(AppCmd::Write(w));
                }
                match std::mem::replace(&mut self.then, Then::Close) {
                    Then::Close => Outcome::Close,
                    Then::DrainProgress(node) => Outcome::Replace(Box::new(DrainView::new(node))),
                    Then::Rebalance(plan) => {
                        cx.fx.app.push(AppCmd::StartRebalance(plan));
                        Outcome::Replace(Box::new(RebalanceView))
                    }
                }
            }
        }
    }

    fn paste(&mut self, text: &str, cx: &mut Ctx<'_>) -> Outcome {
        if let Err(why) = self.dialog.paste(text) {
            cx.fx.notify(Level::Warn, why);
        }
        Outcome::Handled
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCtx<'_>) {
        self.dialog.render(frame, area, cx.theme);
    }

    fn hints(&self, _keymap: &Keymap) -> Vec<(String, String)> {
        match (self.dialog.word(), &self.write) {
            (Some(_), _) => vec![
                ("Enter".into(), "confirm".into()),
                ("Esc".into(), "cancel".into()),
            ],
            (None, None) if matches!(self.then, Then::Close) => {
                vec![("Esc".into(), "close".into())]
            }
            _ => vec![
                ("y".into(), "confirm".into()),
                ("n".into(), "cancel".into()),
            ],
        }
    }
}

/// A write action pressed on a node in the nodes pane.
pub fn node_action(cx: &mut Ctx<'_>, action: Action, id: &NodeId) -> Outcome {
    match action {
        Action::Drain => drain(cx, id),
        Action::Activate => availability(cx, id, Availability::Active),
        Action::Pause => availability(cx, id, Availability::Pause),
        Action::Labels => match cx.store.node(id) {
            Some(n) => Outcome::Push(Box::new(LabelsForm::new(n))),
            None => Outcome::Handled,
        },
        Action::Promote => role(cx, id, true),
        Action::Demote => role(cx, id, false),
        _ => Outcome::Ignored,
    }
}

fn drain(cx: &mut Ctx<'_>, id: &NodeId) -> Outcome {
    let Some(node) = cx.store.node(id).cloned() else {
        return Outcome::Handled;
    };
    let holds_vip = cx.store.holds_vip(&node.hostname);
    let Some(check) = check::drain_check(
        id,
        &cx.store.nodes,
        &cx.store.services,
        &cx.store.live_tasks,
        holds_vip,
    ) else {
        return Outcome::Handled;
    };
    if check.already_drained {
        cx.fx
            .notify(Level::Info, format!("{} is already drained", node.hostname));
        if cx.ops.drains.contains_key(id) {
            return Outcome::Push(Box::new(DrainView::new(id.clone())));
        }
        return Outcome::Handled;
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
    let mut write = availability_write(id, &node, Availability::Drain);
    write.follow = Follow::Drain(id.clone(), Box::new(check));
    let title = format!("drain {}", node.hostname);
    let then = Then::DrainProgress(id.clone());
    let dialog = if dangers.is_empty() {
        WriteConfirm::plain(title, lines, write, then)
    } else {
        WriteConfirm::typed(title, lines, node.hostname.clone(), write, then)
    };
    Outcome::Push(Box::new(dialog))
}

fn availability(cx: &mut Ctx<'_>, id: &NodeId, to: Availability) -> Outcome {
    let Some(node) = cx.store.node(id).cloned() else {
        return Outcome::Handled;
    };
    if node.availability == to {
        cx.fx
            .notify(Level::Info, format!("{} is already {to}", node.hostname));
        return Outcome::Handled;
    }
    let what = match to {
        Availability::Active => {
            "it takes new tasks again; Swarm does not move running tasks back (see rebalance)"
        }
        Availability::Pause => "running tasks stay; no new task is placed on it",
        _ => "",
    };
    Outcome::Push(Box::new(WriteConfirm::plain(
        format!("{} → {to}", node.hostname),
        vec![(
            Level::Info,
            format!("{} is {} now: {what}.", node.hostname, node.availability),
        )],
        availability_write(id, &node, to.clone()),
        Then::Close,
    )))
}

fn role(cx: &mut Ctx<'_>, id: &NodeId, promote: bool) -> Outcome {
    let Some(node) = cx.store.node(id).cloned() else {
        return Outcome::Handled;
    };
    let Some(rc) = check::role_check(id, promote, &cx.store.nodes) else {
        return Outcome::Handled;
    };
    let to = if promote { Role::Manager } else { Role::Worker };
    let title = format!(
        "{} {}",
        if promote { "promote" } else { "demote" },
        node.hostname
    );
    let lines = role_lines(&rc);
    if rc.refused.is_some() {
        return Outcome::Push(Box::new(WriteConfirm::refusal(title, lines)));
    }
    let write = node_write(
        id.clone(),
        node.hostname.clone(),
        NodeChange::Role {
            seen: node.role.clone(),
            to,
        },
    );
    Outcome::Push(Box::new(WriteConfirm::plain(
        title,
        lines,
        write,
        Then::Close,
    )))
}

/// Rebalance: the plan to confirm (or the running queue, or "nothing to do").
pub fn rebalance(cx: &mut Ctx<'_>, node: Option<&NodeId>) -> Outcome {
    if cx.readonly {
        cx.fx
            .notify(Level::Warn, "readonly mode: swarmdeck changes nothing");
        return Outcome::Handled;
    }
    if cx.ops.rebalancing() {
        return Outcome::Push(Box::new(RebalanceView));
    }
    let plan = check::unbalanced(
        &cx.store.nodes,
        &cx.store.services,
        &cx.store.live_tasks,
        node,
    );
    if plan.is_empty() {
        cx.fx.notify(
            Level::Info,
            "every replicated service is evenly spread: nothing to rebalance",
        );
        return Outcome::Handled;
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
    Outcome::Push(Box::new(WriteConfirm::step(
        "rebalance".into(),
        lines,
        Then::Rebalance(plan),
    )))
}
