//! The services pane: mode, replicas (done counts for jobs), image and rollout state;
//! services grouped by stack (`com.docker.stack.namespace`), a header row per stack with its
//! health, collapsible; and the service operations (scale, force update, rollback, image,
//! remove: [`crate::view::service_ops`]).

use std::collections::{BTreeMap, BTreeSet};

use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Constraint;
use ratatui::text::Line;

use super::{PaneRows, Selection};
use crate::domain::{Service, ServiceMode, UpdateState};
use crate::engine::TaskScope;
use crate::keymap::Action;
use crate::store::Changed;
use crate::theme::Theme;
use crate::view::list::{Column, Data, Rows};
use crate::view::{AppCmd, Ctx, Outcome};

/// One row of the pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A stack's header.
    Stack(StackRow),
    /// A service: its index in the store's list, and its stack.
    Service {
        index: usize,
        stack: Option<String>,
    },
}

/// A stack's header: its name and health.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackRow {
    pub name: String,
    pub services: usize,
    /// Services running as many tasks as desired (jobs always count).
    pub at_desired: usize,
    /// Services with an update or rollback under way.
    pub updating: usize,
}

impl StackRow {
    /// Its services below desired.
    pub fn below(&self) -> usize {
        self.services - self.at_desired
    }
}

/// The id of a stack's header row (service ids never have a colon).
pub fn stack_id(name: &str) -> String {
    format!("stack:{name}")
}

/// The rows for these services: each stack's header then its services (by name, as the
/// store keeps them), stacks by name; then the services without a stack. Without any stack
/// the rows are the services as they are.
pub fn group(services: &[Service]) -> Vec<Item> {
    let mut stacks: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut loose = Vec::new();
    for (i, s) in services.iter().enumerate() {
        match s.stack() {
            Some(name) => stacks.entry(name).or_default().push(i),
            None => loose.push(i),
        }
    }
    let mut items = Vec::with_capacity(services.len() + stacks.len());
    for (name, members) in stacks {
        let of = |pred: fn(&Service) -> bool| {
            members
                .iter()
                .filter(|i| services.get(**i).is_some_and(pred))
                .count()
        };
        items.push(Item::Stack(StackRow {
            name: name.to_string(),
            services: members.len(),
            at_desired: of(|s| !s.is_degraded()),
            updating: of(|s| {
                matches!(
                    s.update_state,
                    Some(UpdateState::Updating | UpdateState::RollbackStarted)
                )
            }),
        }));
        items.extend(members.into_iter().map(|index| Item::Service {
            index,
            stack: Some(name.to_string()),
        }));
    }
    items.extend(
        loose
            .into_iter()
            .map(|index| Item::Service { index, stack: None }),
    );
    items
}

/// The services pane's rows: the grouping is rebuilt when the services change
/// ([`Rows::prepare`]), never per frame; collapsed stacks are kept by name.
#[derive(Default)]
pub struct ServiceRows {
    items: Vec<Item>,
    collapsed: BTreeSet<String>,
    relist: Option<Option<String>>,
}

impl ServiceRows {
    /// The rows as grouped.
    pub fn items(&self) -> &[Item] {
        &self.items
    }

    /// Whether this stack is collapsed.
    pub fn is_collapsed(&self, stack: &str) -> bool {
        self.collapsed.contains(stack)
    }

    fn service<'a>(&self, data: Data<'a>, i: usize) -> Option<&'a Service> {
        match self.items.get(i)? {
            Item::Service { index, .. } => data.store.services.get(*index),
            Item::Stack(_) => None,
        }
    }

    /// Collapse or expand `stack`; the selection goes to its header.
    fn toggle(&mut self, stack: &str) {
        if !self.collapsed.remove(stack) {
            self.collapsed.insert(stack.to_string());
        }
        self.relist = Some(Some(stack_id(stack)));
    }
}

impl Rows for ServiceRows {
    fn context(&self) -> &'static str {
        "services"
    }
    fn title(&self, data: Data<'_>, shown: usize) -> String {
        let stacks = self
            .items
            .iter()
            .filter(|i| matches!(i, Item::Stack(_)))
            .count();
        if stacks == 0 {
            format!("services ({shown})")
        } else {
            format!(
                "services ({} · {stacks} stack{})",
                data.store.services.len(),
                if stacks == 1 { "" } else { "s" }
            )
        }
    }
    fn prepare(&mut self, data: Data<'_>) {
        self.items = group(&data.store.services);
    }
    fn len(&self, _data: Data<'_>) -> usize {
        self.items.len()
    }
    fn id(&self, data: Data<'_>, i: usize) -> String {
        match self.items.get(i) {
            Some(Item::Stack(st)) => stack_id(&st.name),
            _ => self
                .service(data, i)
                .map(|s| s.id.0.clone())
                .unwrap_or_default(),
        }
    }
    fn text(&self, data: Data<'_>, i: usize) -> String {
        match self.items.get(i) {
            // a stack's header matches its name and every service in it
            Some(Item::Stack(st)) => {
                let mut t = st.name.clone();
                for s in data
                    .store
                    .services
                    .iter()
                    .filter(|s| s.stack() == Some(&st.name))
                {
                    t.push(' ');
                    t.push_str(&service_text(s));
                }
                t
            }
            _ => self.service(data, i).map(service_text).unwrap_or_default(),
        }
    }
    fn keep(&self, _data: Data<'_>, i: usize) -> bool {
        match self.items.get(i) {
            Some(Item::Service {
                stack: Some(stack), ..
            }) => !self.collapsed.contains(stack),
            _ => true,
        }
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
        match self.items.get(i) {
            Some(Item::Stack(st)) => stack_cells(st, self.collapsed.contains(&st.name), theme),
            Some(Item::Service { index, stack }) => match data.store.services.get(*index) {
                Some(s) => service_cells(s, stack.is_some(), theme),
                None => Vec::new(),
            },
            None => Vec::new(),
        }
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
        let item = selected.and_then(|i| self.items.get(i)).cloned();
        let service = match &item {
            Some(Item::Service { index, .. }) => cx.store.services.get(*index).cloned(),
            _ => None,
        };
        match (action, &item) {
            (Some(Action::Enter | Action::ToggleStack), Some(Item::Stack(st))) => {
                self.toggle(&st.name.clone());
                Outcome::Handled
            }
            (
                Some(Action::ToggleStack),
                Some(Item::Service {
                    stack: Some(stack), ..
                }),
            ) => {
                self.toggle(&stack.clone());
                Outcome::Handled
            }
            (Some(Action::ToggleStack), _) => {
                cx.fx.notify(
                    crate::store::Level::Info,
                    "this service is in no stack (no com.docker.stack.namespace label)",
                );
                Outcome::Handled
            }
            (Some(Action::Enter), _) => {
                if let Some(s) = &service {
                    cx.fx
                        .app
                        .push(AppCmd::Drill(TaskScope::Service(s.id.clone())));
                }
                Outcome::Handled
            }
            (Some(Action::Logs), _) => {
                match &service {
                    Some(s) => cx.fx.app.push(AppCmd::OpenLogs(crate::view::LogsRequest {
                        service: s.id.clone(),
                        service_name: s.name.clone(),
                        task: None,
                        since: None,
                        find: None,
                    })),
                    None => cx.fx.notify(
                        crate::store::Level::Info,
                        "select a service (this row is a stack)",
                    ),
                }
                Outcome::Handled
            }
            (Some(a), _) if a.is_write() && cx.readonly => {
                cx.fx.notify(
                    crate::store::Level::Warn,
                    "readonly mode: swarmdeck changes nothing",
                );
                Outcome::Handled
            }
            (Some(Action::NewService), _) => Outcome::Push(Box::new(
                crate::view::deploy::DeployWizard::new(cx.readonly),
            )),
            (Some(Action::EditService), _) => match &service {
                Some(s) => Outcome::Push(Box::new(crate::view::deploy::DeployWizard::edit(
                    &s.id.0,
                    &s.name,
                    cx.readonly,
                ))),
                None => Outcome::Handled,
            },
            (
                Some(
                    a @ (Action::Scale
                    | Action::ForceUpdate
                    | Action::Rollback
                    | Action::UpdateImage
                    | Action::RemoveService),
                ),
                _,
            ) => match &service {
                Some(s) => crate::view::service_ops::service_action(cx, a, s),
                None => {
                    cx.fx.notify(
                        crate::store::Level::Info,
                        "select a service (this row is a stack)",
                    );
                    Outcome::Handled
                }
            },
            _ => Outcome::Ignored,
        }
    }
    fn relist(&mut self) -> Option<Option<String>> {
        self.relist.take()
    }
    fn actions(&self) -> &'static [Action] {
        &[
            Action::Enter,
            Action::Logs,
            Action::NewService,
            Action::EditService,
            Action::Scale,
            Action::ForceUpdate,
            Action::Rollback,
            Action::UpdateImage,
            Action::RemoveService,
            Action::ToggleStack,
        ]
    }
    fn hint_words(&self) -> &'static [(Action, &'static str)] {
        &[
            (Action::Enter, "tasks"),
            (Action::NewService, "deploy"),
            (Action::EditService, "edit"),
            (Action::Scale, "scale"),
            (Action::ForceUpdate, "restart"),
            (Action::Rollback, "rollback"),
            (Action::UpdateImage, "image"),
            (Action::RemoveService, "remove"),
            (Action::ToggleStack, "stack"),
            (Action::Logs, "logs"),
        ]
    }
}

/// What the filter matches for a service: name, mode, image, stack.
fn service_text(s: &Service) -> String {
    format!(
        "{} {} {} {}",
        s.name,
        s.mode.name(),
        s.image_short(),
        s.stack().unwrap_or_default()
    )
}

fn stack_cells(st: &StackRow, collapsed: bool, theme: &Theme) -> Vec<Line<'static>> {
    let ok = st.below() == 0;
    let health = if ok { theme.ok } else { theme.warn };
    vec![
        Line::styled(
            format!("{} {}", if collapsed { "▸" } else { "▾" }, st.name),
            theme.title,
        ),
        Line::styled(
            format!(
                "{} service{}",
                st.services,
                if st.services == 1 { "" } else { "s" }
            ),
            theme.muted,
        ),
        Line::styled(format!("{}/{}", st.at_desired, st.services), health),
        Line::styled(
            if ok {
                "at desired".to_string()
            } else {
                format!("{} below desired", st.below())
            },
            health,
        ),
        if st.updating > 0 {
            Line::styled(format!("{} updating", st.updating), theme.warn)
        } else {
            Line::styled("-", theme.muted)
        },
    ]
}

fn service_cells(s: &Service, in_stack: bool, theme: &Theme) -> Vec<Line<'static>> {
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
    let name = if in_stack {
        format!("  {}", s.name)
    } else {
        s.name.clone()
    };
    vec![
        Line::styled(name, theme.text),
        Line::styled(s.mode.name(), theme.text),
        Line::styled(replicas, style),
        Line::styled(s.image_short().to_string(), theme.muted),
        update,
    ]
}

impl PaneRows for ServiceRows {
    fn selection(&self, data: Data<'_>, i: usize) -> Selection {
        self.service(data, i)
            .map_or(Selection::None, |s| Selection::Service(s.id.clone()))
    }
    fn constraint(&self, _data: Data<'_>, _shown: usize, focused: bool, _body: u16) -> Constraint {
        Constraint::Fill(if focused { 3 } else { 2 })
    }
    fn followed(&self) -> bool {
        true
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The services recorded from the lab: stack "rx" (rx_web, rx_db: 0 of 1 running),
    /// rx-files (global, no stack).
    fn recorded() -> Vec<Service> {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/engine-services-resources.json"
        ))
        .unwrap();
        let raw: Vec<bollard::models::Service> = serde_json::from_str(&text).unwrap();
        let mut v: Vec<Service> = raw.into_iter().map(Service::from).collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }

    fn names(services: &[Service], items: &[Item]) -> Vec<String> {
        items
            .iter()
            .map(|i| match i {
                Item::Stack(st) => format!("[{}]", st.name),
                Item::Service { index, stack } => format!(
                    "{}{}",
                    if stack.is_some() { "  " } else { "" },
                    services[*index].name
                ),
            })
            .collect()
    }

    #[test]
    fn services_group_by_stack_with_its_health_then_the_rest() {
        let services = recorded();
        let items = group(&services);
        assert_eq!(
            names(&services, &items),
            ["[rx]", "  rx_db", "  rx_web", "rx-files"]
        );
        let Item::Stack(rx) = &items[0] else {
            panic!("a header first")
        };
        assert_eq!((rx.services, rx.at_desired, rx.below()), (2, 1, 1));
        assert_eq!(rx.updating, 1, "rx_web was being updated when recorded");
        // all at desired once rx_db runs
        let mut healed = services.clone();
        for s in healed.iter_mut().filter(|s| s.name == "rx_db") {
            s.running = 1;
        }
        let Item::Stack(rx) = &group(&healed)[0] else {
            panic!()
        };
        assert_eq!(rx.below(), 0);
        // no stack, no header: the rows are the services as they are
        let loose: Vec<Service> = services
            .iter()
            .filter(|s| s.stack().is_none())
            .cloned()
            .collect();
        assert_eq!(names(&loose, &group(&loose)), ["rx-files"]);
    }

    #[test]
    fn a_stack_header_says_below_desired_in_warn() {
        let theme = Theme::builtin_default();
        let st = StackRow {
            name: "rx".into(),
            services: 2,
            at_desired: 1,
            updating: 0,
        };
        let cells = stack_cells(&st, false, &theme);
        let text: Vec<String> = cells.iter().map(ToString::to_string).collect();
        assert_eq!(text, ["▾ rx", "2 services", "1/2", "1 below desired", "-"]);
        assert_eq!(cells[3].style, theme.warn);
        let ok = StackRow {
            at_desired: 2,
            ..st
        };
        let cells = stack_cells(&ok, true, &theme);
        assert_eq!(cells[0].to_string(), "▸ rx", "collapsed");
        assert_eq!(cells[3].to_string(), "at desired");
        assert_eq!(cells[3].style, theme.ok);
    }
}
