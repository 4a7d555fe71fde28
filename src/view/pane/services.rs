//! The services pane: mode, replicas (done counts for jobs), image and rollout state.

use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Constraint;
use ratatui::text::Line;

use super::{PaneRows, Selection};
use crate::domain::{ServiceMode, UpdateState};
use crate::engine::TaskScope;
use crate::keymap::Action;
use crate::store::Changed;
use crate::theme::Theme;
use crate::view::list::{Column, Data, Rows};
use crate::view::{AppCmd, Ctx, Outcome};

pub struct ServiceRows;

impl Rows for ServiceRows {
    fn context(&self) -> &'static str {
        "services"
    }
    fn title(&self, _data: Data<'_>, shown: usize) -> String {
        format!("services ({shown})")
    }
    fn len(&self, data: Data<'_>) -> usize {
        data.store.services.len()
    }
    fn id(&self, data: Data<'_>, i: usize) -> String {
        data.store.services[i].id.0.clone()
    }
    fn text(&self, data: Data<'_>, i: usize) -> String {
        let s = &data.store.services[i];
        format!("{} {} {}", s.name, s.mode.name(), s.image_short())
    }
    fn shows(&self, what: Changed) -> bool {
        what.services
    }
    fn columns(&self, _data: Data<'_>, _width: u16) -> Vec<Column> {
        vec![
            Column::fill("NAME", 12, 0),
            Column::fixed("MODE", 14, 2),
            Column::fixed("REPLICAS", 10, 0),
            Column::fill("IMAGE", 10, 3),
            Column::fixed("UPDATE", 10, 1),
        ]
    }
    fn cells(&self, data: Data<'_>, theme: &Theme, i: usize) -> Vec<Line<'static>> {
        let s = &data.store.services[i];
        let (replicas, style) = match s.mode {
            ServiceMode::ReplicatedJob {
                total_completions, ..
            } => (
                format!("{}/{total_completions} done", s.completed),
                if s.completed < total_completions {
                    theme.warn
                } else {
                    theme.ok
                },
            ),
            ServiceMode::GlobalJob => (
                if s.running > 0 {
                    format!("{} done, {} running", s.completed, s.running)
                } else {
                    format!("{} done", s.completed)
                },
                if s.running > 0 { theme.warn } else { theme.ok },
            ),
            _ => (
                format!("{}/{}", s.running, s.desired),
                if s.running < s.desired {
                    theme.warn
                } else {
                    theme.ok
                },
            ),
        };
        let update = match &s.update_state {
            None => Line::styled("-", theme.muted),
            Some(u @ (UpdateState::Completed | UpdateState::RollbackCompleted)) => {
                Line::styled(u.to_string(), theme.ok)
            }
            Some(u @ UpdateState::Updating) => Line::styled(u.to_string(), theme.warn),
            Some(u) => Line::styled(u.to_string(), theme.danger),
        };
        vec![
            Line::styled(s.name.clone(), theme.text),
            Line::styled(s.mode.name(), theme.text),
            Line::styled(replicas, style),
            Line::styled(s.image_short().to_string(), theme.muted),
            update,
        ]
    }
    fn empty(&self, data: Data<'_>, _filtered: bool) -> &'static str {
        if data.store.services.is_empty() {
            "no services"
        } else {
            "no service matches the filter"
        }
    }
    fn key(
        &mut self,
        action: Option<Action>,
        _key: &KeyEvent,
        selected: Option<usize>,
        cx: &mut Ctx<'_>,
    ) -> Outcome {
        match action {
            Some(Action::Enter) => {
                if let Some(s) = selected.and_then(|i| cx.store.services.get(i)) {
                    cx.fx
                        .app
                        .push(AppCmd::Drill(TaskScope::Service(s.id.clone())));
                }
                Outcome::Handled
            }
            Some(Action::NewService | Action::EditService) if cx.readonly => {
                cx.fx.notify(
                    crate::store::Level::Warn,
                    "readonly mode: swarmdeck changes nothing",
                );
                Outcome::Handled
            }
            Some(Action::NewService) => Outcome::Push(Box::new(
                crate::view::deploy::DeployWizard::new(cx.readonly),
            )),
            Some(Action::EditService) => match selected.and_then(|i| cx.store.services.get(i)) {
                Some(s) => Outcome::Push(Box::new(crate::view::deploy::DeployWizard::edit(
                    &s.id.0,
                    &s.name,
                    cx.readonly,
                ))),
                None => Outcome::Handled,
            },
            _ => Outcome::Ignored,
        }
    }
    fn actions(&self) -> &'static [Action] {
        &[Action::Enter, Action::NewService, Action::EditService]
    }
    fn hint_words(&self) -> &'static [(Action, &'static str)] {
        &[
            (Action::Enter, "tasks"),
            (Action::NewService, "deploy"),
            (Action::EditService, "edit"),
        ]
    }
}

impl PaneRows for ServiceRows {
    fn selection(&self, data: Data<'_>, i: usize) -> Selection {
        data.store
            .services
            .get(i)
            .map_or(Selection::None, |s| Selection::Service(s.id.clone()))
    }
    fn constraint(&self, _data: Data<'_>, _shown: usize, focused: bool, _body: u16) -> Constraint {
        Constraint::Fill(if focused { 3 } else { 2 })
    }
    fn followed(&self) -> bool {
        true
    }
}
