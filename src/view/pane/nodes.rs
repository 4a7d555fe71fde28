//! The nodes pane: every node with role, availability, state, manager reachability,
//! address, running tasks, engine and labels; the leader and VIP holder marked. The node
//! maintenance actions start here.

use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Constraint;
use ratatui::text::{Line, Span};

use super::{PaneRows, Selection};
use crate::domain::{Availability, NodeState, Reachability};
use crate::engine::TaskScope;
use crate::keymap::Action;
use crate::store::{Changed, Level};
use crate::theme::Theme;
use crate::view::list::{Column, Data, Rows};
use crate::view::{AppCmd, Ctx, Outcome, confirm};

pub const LEADER_MARK: &str = "★";
pub const VIP_MARK: &str = "◆";

#[derive(Default)]
pub struct NodeRows;

const ACTIONS: &[Action] = &[
    Action::Enter,
    Action::Drain,
    Action::Activate,
    Action::Pause,
    Action::Labels,
    Action::Promote,
    Action::Demote,
    Action::Rebalance,
];

impl Rows for NodeRows {
    fn context(&self) -> &'static str {
        "nodes"
    }
    fn title(&self, _data: Data<'_>, shown: usize) -> String {
        format!("nodes ({shown})")
    }
    fn len(&self, data: Data<'_>) -> usize {
        data.store.nodes.len()
    }
    fn id(&self, data: Data<'_>, i: usize) -> String {
        data.store.nodes[i].id.0.clone()
    }
    fn text(&self, data: Data<'_>, i: usize) -> String {
        let n = &data.store.nodes[i];
        let labels: Vec<String> = n.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!(
            "{} {} {} {} {} {} {}{}",
            n.hostname,
            n.role,
            n.availability,
            n.state,
            n.address(),
            n.engine_version,
            labels.join(" "),
            if data.store.unreachable_from_here(&n.id) {
                " unreachable from here"
            } else {
                ""
            }
        )
    }
    fn shows(&self, what: Changed) -> bool {
        // the filter text is the node's own; running counts and marks are drawn, not cached
        what.nodes
    }
    fn columns(&self, data: Data<'_>, _width: u16) -> Vec<Column> {
        let name_w = data
            .store
            .nodes
            .iter()
            .map(|n| n.hostname.chars().count())
            .max()
            .unwrap_or(8) as u16
            + 4;
        vec![
            Column::fixed("HOSTNAME", name_w.clamp(10, 28), 0),
            Column::fixed("ROLE", 7, 3),
            Column::fixed("AVAIL", if data.ops.draining() { 10 } else { 6 }, 0),
            Column::fixed(
                "STATE",
                if data.store.reach.values().any(|r| r.unreachable()) {
                    30
                } else {
                    7
                },
                0,
            ),
            Column::fixed("MANAGER", 11, 1),
            Column::fixed("ADDRESS", 15, 4),
            Column::fixed("TASKS", 5, 2),
            Column::fixed("ENGINE", 15, 6),
            Column::fill("LABELS", 6, 5),
        ]
    }
    fn cells(&self, data: Data<'_>, theme: &Theme, i: usize) -> Vec<Line<'static>> {
        let n = &data.store.nodes[i];
        let mut name = vec![Span::styled(
            n.hostname.clone(),
            if n.is_down() {
                theme.danger
            } else {
                theme.text
            },
        )];
        if data.store.is_leader(n) {
            name.push(Span::styled(format!(" {LEADER_MARK}"), theme.leader));
        }
        if data.store.holds_vip(&n.hostname) {
            name.push(Span::styled(format!(" {VIP_MARK}"), theme.vip));
        }
        let avail = match n.availability {
            Availability::Active => theme.ok,
            Availability::Pause | Availability::Drain => theme.warn,
            Availability::Unknown(_) => theme.danger,
        };
        let state = match n.state {
            NodeState::Ready => theme.ok,
            _ => theme.danger,
        };
        let (mgr, mgr_style) = match &n.manager {
            None => ("-".to_string(), theme.muted),
            Some(m) => (
                m.reachability.to_string(),
                if m.reachability == Reachability::Reachable {
                    theme.ok
                } else {
                    theme.danger
                },
            ),
        };
        let labels: Vec<String> = n.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let running = data.store.running_per_node.get(&n.id).copied().unwrap_or(0);
        vec![
            Line::from(name),
            Line::styled(n.role.to_string(), theme.text),
            match data.ops.drain_mark(&n.id) {
                Some(mark) => Line::styled(mark, theme.warn),
                None => Line::styled(n.availability.to_string(), avail),
            },
            if data.store.unreachable_from_here(&n.id) {
                // beside the engine's own state, never instead of it
                Line::from(vec![
                    Span::styled(n.state.to_string(), state),
                    Span::styled(" · unreachable from here", theme.danger),
                ])
            } else {
                Line::styled(n.state.to_string(), state)
            },
            Line::styled(mgr, mgr_style),
            Line::styled(n.address().to_string(), theme.text),
            Line::styled(running.to_string(), theme.text),
            Line::styled(n.engine_version.clone(), theme.muted),
            Line::styled(labels.join(","), theme.muted),
        ]
    }
    fn empty(&self, data: Data<'_>, _filtered: bool) -> &'static str {
        if data.store.nodes.is_empty() {
            "no nodes yet"
        } else {
            "no node matches the filter"
        }
    }
    fn key(
        &mut self,
        action: Option<Action>,
        _key: &KeyEvent,
        selected: Option<usize>,
        cx: &mut Ctx<'_>,
    ) -> Outcome {
        let Some(action) = action else {
            return Outcome::Ignored;
        };
        let node = selected
            .and_then(|i| cx.store.nodes.get(i))
            .map(|n| n.id.clone());
        match action {
            Action::Enter => {
                if let Some(id) = node {
                    cx.fx.app.push(AppCmd::Drill(TaskScope::Node(id)));
                }
                Outcome::Handled
            }
            a if a.is_write() && cx.readonly => {
                // The keymap has no write keys in readonly mode; this is the second lock.
                cx.fx
                    .notify(Level::Warn, "readonly mode: swarmdeck changes nothing");
                Outcome::Handled
            }
            Action::Rebalance => confirm::rebalance(cx, node.as_ref()),
            // the services pane's (and the global fallback's)
            Action::NewService | Action::EditService => Outcome::Ignored,
            a if a.is_write() => match node {
                Some(id) => confirm::node_action(cx, a, &id),
                None => {
                    cx.fx
                        .notify(Level::Warn, format!("{a}: no node is selected"));
                    Outcome::Handled
                }
            },
            _ => Outcome::Ignored,
        }
    }
    fn actions(&self) -> &'static [Action] {
        ACTIONS
    }
    fn hint_words(&self) -> &'static [(Action, &'static str)] {
        &[(Action::Enter, "tasks"), (Action::Drain, "drain")]
    }
}

impl PaneRows for NodeRows {
    fn selection(&self, data: Data<'_>, i: usize) -> Selection {
        data.store
            .nodes
            .get(i)
            .map_or(Selection::None, |n| Selection::Node(n.id.clone()))
    }
    fn constraint(&self, _data: Data<'_>, shown: usize, _focused: bool, body: u16) -> Constraint {
        // never more than it needs, or more than half
        Constraint::Length((shown as u16 + 3).min(body / 2).max(4))
    }
    fn followed(&self) -> bool {
        true
    }
}
