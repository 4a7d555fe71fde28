//! The deploy wizard (`N` on the services pane, `:deploy`; `e` edits the selected service):
//! six steps on the shared form widget — App, Mode, Placement, Network, Storage and
//! resources, Review — with a step list on the side. `Ctrl-n` validates the step and goes on
//! (errors at their fields), `Ctrl-p` goes back, `Ctrl-s` deploys from the review, `Esc`
//! cancels (asking when anything was entered). The model, the checks and the exports are
//! [`crate::deploy`]; the engine calls are [`crate::engine::deploy`].

pub mod converge;
pub mod forms;

use std::cell::RefCell;

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Wrap};
use serde_json::Value;

use crate::deploy::{self as model, Cluster, DeploySpec, Mode, Step};
use crate::engine::deploy::{DeployAnswer, DeployCmd, DeployContext};
use crate::keymap::{Action, Keymap};
use crate::store::Level;
use crate::view::config::{bar, clear};
use crate::view::{AppCmd, Ctx, DrawCtx, Outcome, View};
use crate::widget::{DiffView, Form, TextInput};

const CONTEXT: &str = "deploy";

/// Editing an existing service: what it was.
pub struct Editing {
    pub id: String,
    pub name: String,
    /// The raw spec as read when the form opened (the write reads it again right before).
    pub raw: Value,
    /// The form as it opened, to tell what the user changed.
    pub original: DeploySpec,
}

/// What the review shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pane {
    Words,
    Compose,
    Cli,
    Diff,
}

pub struct DeployWizard {
    step: Step,
    forms: Vec<Form>,
    spec: DeploySpec,
    servers: Vec<String>,
    context: Option<DeployContext>,
    /// Waiting for the context (or the spec of the service to edit).
    loading: bool,
    editing: Option<Editing>,
    /// The id of the service to edit, until its spec is read.
    edit_id: Option<(String, String)>,
    /// Errors per step (from the last check of each).
    errors: Vec<(Step, String, String)>,
    asking: bool,
    sending: bool,
    pane: Pane,
    scroll: u16,
    message: Option<(Level, String)>,
    /// Ctrl-t on the constraints: picking one from the cluster.
    picker: Option<(Vec<String>, usize)>,
    /// `w` on the review: the file the compose YAML goes to.
    save_as: Option<TextInput>,
    diff: RefCell<Option<DiffView>>,
    readonly: bool,
    /// What the checks and the extra panels read of the swarm: rebuilt when the swarm data
    /// or the context changes, not per frame.
    cluster: Cluster,
}

fn step_index(s: Step) -> usize {
    Step::ALL.iter().position(|x| *x == s).unwrap_or(0)
}

/// The registries `~/.docker/config.json` knows (its `auths`, its `credHelpers`), as the
/// file names them; no secret is kept. The same reading as `:registries` and the image
/// update ([`crate::engine::deploy::read_docker_config`], [`crate::deploy::known_registries`]).
pub fn known_registries() -> Vec<String> {
    let Ok(Some((_, cfg))) = crate::engine::deploy::read_docker_config() else {
        return Vec::new();
    };
    let mut out: Vec<String> = crate::deploy::known_registries(&cfg)
        .0
        .into_iter()
        .map(|k| k.key)
        .collect();
    out.sort();
    out
}

impl DeployWizard {
    /// A new service.
    pub fn new(readonly: bool) -> Self {
        Self::with(DeploySpec::default(), known_registries(), readonly)
    }

    /// A wizard on `spec`, with these registries to choose from.
    pub fn with(spec: DeploySpec, servers: Vec<String>, readonly: bool) -> Self {
        let forms = Step::ALL
            .iter()
            .map(|s| forms::build(*s, &spec, &servers, false))
            .collect();
        DeployWizard {
            step: Step::App,
            forms,
            spec,
            servers,
            context: None,
            loading: true,
            editing: None,
            edit_id: None,
            errors: Vec::new(),
            asking: false,
            sending: false,
            pane: Pane::Words,
            scroll: 0,
            message: None,
            picker: None,
            save_as: None,
            diff: RefCell::new(None),
            readonly,
            cluster: Cluster::default(),
        }
    }

    /// Edit the service with this id and name (its raw spec is read when the wizard opens).
    pub fn edit(id: &str, name: &str, readonly: bool) -> Self {
        let mut w = Self::new(readonly);
        w.edit_id = Some((id.to_string(), name.to_string()));
        w
    }

    pub fn step(&self) -> Step {
        self.step
    }

    pub fn spec(&self) -> &DeploySpec {
        &self.spec
    }

    pub fn form(&self) -> &Form {
        &self.forms[step_index(self.step)]
    }

    /// The errors found by the last check, as (step, field, message).
    pub fn errors(&self) -> &[(Step, String, String)] {
        &self.errors
    }

    pub fn message(&self) -> Option<&str> {
        self.message.as_ref().map(|(_, m)| m.as_str())
    }

    fn form_mut(&mut self) -> &mut Form {
        let i = step_index(self.step);
        &mut self.forms[i]
    }

    fn recluster(&mut self, store: &crate::store::Store) {
        self.cluster = cluster(store, self.context.as_ref());
    }

    /// Read every form into the spec (what could not be read is an error at its field).
    fn read_all(&mut self) -> Vec<(Step, String, String)> {
        let mut errs = Vec::new();
        for (i, s) in Step::ALL.iter().enumerate() {
            errs.extend(forms::read(
                *s,
                &self.forms[i],
                &mut self.spec,
                &self.servers,
            ));
        }
        errs
    }

    /// A network the swarm does not have is one to create (an attachable overlay).
    fn mark_new_networks(&mut self) {
        let known: Vec<String> = self
            .context
            .as_ref()
            .map(|c| c.networks.iter().map(|(n, _)| n.clone()).collect())
            .unwrap_or_default();
        for n in &mut self.spec.networks {
            n.create = !known.contains(&n.name);
        }
    }

    /// Check one step: the form read, then the model's checks; errors go to the fields.
    fn check(&mut self, step: Step, cluster: &Cluster) -> usize {
        let i = step_index(step);
        let mut errs = forms::read(step, &self.forms[i], &mut self.spec, &self.servers);
        self.mark_new_networks();
        let editing = self.editing.as_ref().map(|e| e.name.clone());
        for e in model::validate_step(step, &self.spec, cluster, editing.as_deref()) {
            errs.push((e.step, e.field.to_string(), e.message));
        }
        self.errors.retain(|(s, _, _)| *s != step);
        let n = errs.len();
        for (s, f, m) in &errs {
            let form = &mut self.forms[step_index(*s)];
            if !form.set_error(f, m.clone()) {
                // a field this form does not show (yet): at the first field
                if let Some(first) = form.fields().first().map(|f| f.name.clone()) {
                    form.set_error(&first, format!("{f}: {m}"));
                }
            }
        }
        self.errors.extend(errs);
        n
    }

    fn go(&mut self, step: Step) {
        // a mode change shows or hides the update and rollback fields
        if step == Step::Storage {
            let job = matches!(self.spec.mode, Mode::ReplicatedJob { .. } | Mode::GlobalJob);
            let has = self.forms[step_index(Step::Storage)]
                .field("update_parallelism")
                .is_some();
            if job == has {
                let _ = forms::read(
                    Step::Storage,
                    &self.forms[step_index(Step::Storage)],
                    &mut self.spec,
                    &self.servers,
                );
                // a job restarts on failure, not after it completed (as the docker CLI's)
                if job && self.spec.restart.condition == "any" {
                    self.spec.restart.condition = "on-failure".into();
                }
                self.forms[step_index(Step::Storage)] = forms::build(
                    Step::Storage,
                    &self.spec,
                    &self.servers,
                    self.editing.is_some(),
                );
            }
        }
        self.step = step;
        self.scroll = 0;
        *self.diff.borrow_mut() = None;
    }

    fn next(&mut self) {
        let cluster = self.cluster.clone();
        let n = self.check(self.step, &cluster);
        if n > 0 {
            self.message = Some((
                Level::Danger,
                format!(
                    "{n} problem{} on this step: see the fields",
                    if n == 1 { "" } else { "s" }
                ),
            ));
            return;
        }
        self.message = None;
        let i = step_index(self.step);
        if let Some(s) = Step::ALL.get(i + 1) {
            let _ = self.read_all();
            self.go(*s);
        }
    }

    fn prev(&mut self) {
        let i = step_index(self.step);
        if i > 0 {
            let _ = forms::read(
                self.step,
                self.form(),
                &mut self.spec.clone(),
                &self.servers,
            );
            let _ = forms::read(self.step, &self.forms[i], &mut self.spec, &self.servers);
            self.go(Step::ALL[i - 1]);
        }
    }

    /// Ctrl-s on the review: every step checked, then the create (or the edit) sent.
    fn deploy(&mut self, cx: &mut Ctx<'_>) {
        if self.readonly {
            self.message = Some((Level::Warn, "readonly mode: nothing is deployed".into()));
            return;
        }
        if self.sending {
            return;
        }
        let cluster = self.cluster.clone();
        let mut first_bad = None;
        for s in Step::ALL {
            if s != Step::Review && self.check(s, &cluster) > 0 && first_bad.is_none() {
                first_bad = Some(s);
            }
        }
        if let Some(s) = first_bad {
            self.go(s);
            self.message = Some((
                Level::Danger,
                format!("{}: fix the fields first", s.title()),
            ));
            return;
        }
        self.sending = true;
        self.message = Some((Level::Info, "deploying …".into()));
        let cmd = match &self.editing {
            Some(e) => DeployCmd::Update {
                id: e.id.clone(),
                name: e.name.clone(),
                original: Box::new(e.original.clone()),
                edited: Box::new(self.spec.clone()),
                registry: self.spec.registry.clone(),
            },
            None => {
                let existing: Vec<String> = self
                    .context
                    .as_ref()
                    .map(|c| c.networks.iter().map(|(n, _)| n.clone()).collect())
                    .unwrap_or_default();
                let new_networks = self
                    .spec
                    .networks
                    .iter()
                    .filter(|n| n.create && !existing.contains(&n.name))
                    .map(|n| n.name.clone())
                    .collect();
                DeployCmd::Create {
                    spec: model::to_service_spec(&self.spec),
                    networks: new_networks,
                    registry: self.spec.registry.clone(),
                }
            }
        };
        cx.fx.app.push(AppCmd::Deploy(cmd));
    }

    fn anything_entered(&self) -> bool {
        let mut now = self.spec.clone();
        for (i, s) in Step::ALL.iter().enumerate() {
            let _ = forms::read(*s, &self.forms[i], &mut now, &self.servers);
        }
        match &self.editing {
            Some(e) => now != e.original,
            None => now != DeploySpec::default(),
        }
    }

    fn picker_items(&self, cx: &Ctx<'_>) -> Vec<String> {
        let mut v = vec![
            "node.role==manager".to_string(),
            "node.role==worker".to_string(),
        ];
        for n in &cx.store.nodes {
            v.push(format!("node.hostname=={}", n.hostname));
        }
        for n in &cx.store.nodes {
            for (k, val) in &n.labels {
                let c = format!("node.labels.{k}=={val}");
                if !v.contains(&c) {
                    v.push(c);
                }
            }
        }
        v
    }

    fn review_lines(&self, theme: &crate::theme::Theme) -> Vec<Line<'static>> {
        let mut lines = Vec::new();
        match self.pane {
            Pane::Words => {
                for l in model::summary(&self.spec) {
                    lines.push(Line::styled(l, theme.text));
                }
            }
            Pane::Compose => match model::compose_yaml(&self.spec) {
                Ok(y) => lines.extend(y.lines().map(|l| Line::styled(l.to_string(), theme.text))),
                Err(e) => lines.push(Line::styled(
                    format!("No compose file for this service: {e}"),
                    theme.warn,
                )),
            },
            Pane::Cli => {
                let cli = model::cli_command(&self.spec);
                lines.extend(cli.lines().map(|l| Line::styled(l.to_string(), theme.text)));
            }
            Pane::Diff => {}
        }
        lines
    }
}

/// What the model's checks need, from the store and the context read for the form.
pub fn cluster(store: &crate::store::Store, context: Option<&DeployContext>) -> Cluster {
    let services = match context {
        Some(c) => c.ports.clone(),
        None => store
            .services
            .iter()
            .map(|s| (s.name.clone(), Vec::new()))
            .collect(),
    };
    Cluster {
        nodes: store.nodes.clone(),
        services,
        networks: context
            .map(|c| c.networks.iter().map(|(n, _)| n.clone()).collect())
            .unwrap_or_default(),
        secrets: context.map(|c| c.secrets.clone()).unwrap_or_default(),
        configs: context.map(|c| c.configs.clone()).unwrap_or_default(),
    }
}

impl View for DeployWizard {
    fn context(&self) -> &'static str {
        CONTEXT
    }

    fn full_screen(&self) -> bool {
        true
    }

    fn opened(&mut self, cx: &mut Ctx<'_>) {
        self.recluster(cx.store);
        cx.fx.app.push(AppCmd::Deploy(DeployCmd::Context));
        if let Some((id, _)) = &self.edit_id {
            cx.fx
                .app
                .push(AppCmd::Deploy(DeployCmd::ReadSpec { id: id.clone() }));
        }
    }

    fn changed(&mut self, what: crate::store::Changed, cx: &mut Ctx<'_>) {
        if what.nodes || what.services {
            self.recluster(cx.store);
        }
    }

    fn deploy_msg(&mut self, answer: DeployAnswer, cx: &mut Ctx<'_>) -> Outcome {
        match answer {
            DeployAnswer::Context(Ok(c)) => {
                self.context = Some(c);
                self.recluster(cx.store);
                if self.edit_id.is_none() {
                    self.loading = false;
                }
            }
            DeployAnswer::Context(Err(e)) => {
                self.loading = self.edit_id.is_some();
                self.message = Some((
                    Level::Warn,
                    format!("cannot read networks, secrets and configs: {e}"),
                ));
            }
            DeployAnswer::Spec(Ok(raw)) => {
                let (id, name) = self.edit_id.take().unwrap_or_default();
                let mut spec = model::from_service_spec(&raw);
                if let Some(c) = &self.context {
                    model::name_networks(&mut spec, &c.network_ids);
                }
                self.forms = Step::ALL
                    .iter()
                    .map(|s| forms::build(*s, &spec, &self.servers, true))
                    .collect();
                self.spec = spec.clone();
                self.editing = Some(Editing {
                    id,
                    name,
                    raw,
                    original: spec,
                });
                self.loading = false;
            }
            DeployAnswer::Spec(Err(e)) => {
                self.loading = false;
                self.message = Some((Level::Danger, format!("cannot read the service: {e}")));
            }
            DeployAnswer::Created(r) => {
                self.sending = false;
                match r {
                    Ok((id, warnings)) => {
                        for w in warnings {
                            cx.fx.notify(Level::Warn, format!("the engine warns: {w}"));
                        }
                        return Outcome::Replace(Box::new(converge::ConvergeView::new(
                            &id, &self.spec,
                        )));
                    }
                    // the engine's refusal: back to the form, everything kept
                    Err(e) => {
                        self.message = Some((Level::Danger, format!("the engine refused: {e}")))
                    }
                }
            }
            // not asked by the wizard
            DeployAnswer::Service(_) | DeployAnswer::Registries(_) => {}
            DeployAnswer::Updated(r) => {
                self.sending = false;
                match r {
                    Ok(o) if o.noop => {
                        self.message =
                            Some((Level::Info, "nothing changed: nothing was written".into()))
                    }
                    Ok(_) => {
                        let id = self
                            .editing
                            .as_ref()
                            .map(|e| e.id.clone())
                            .unwrap_or_default();
                        return Outcome::Replace(Box::new(converge::ConvergeView::new(
                            &id, &self.spec,
                        )));
                    }
                    Err(e) => {
                        self.message = Some((Level::Danger, format!("the engine refused: {e}")))
                    }
                }
            }
        }
        Outcome::Handled
    }

    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Outcome {
        if self.asking {
            return match key.code {
                KeyCode::Char('y') => Outcome::Close,
                _ => {
                    self.asking = false;
                    Outcome::Handled
                }
            };
        }
        if let Some(input) = &mut self.save_as {
            match key.code {
                KeyCode::Esc => self.save_as = None,
                KeyCode::Enter => {
                    let path = input.text().trim().to_string();
                    self.save_as = None;
                    self.message = Some(match model::compose_yaml(&self.spec) {
                        Ok(y) => match std::fs::write(&path, y) {
                            Ok(()) => (Level::Info, format!("compose file written to {path}")),
                            Err(e) => (Level::Danger, format!("cannot write {path}: {e}")),
                        },
                        Err(e) => (Level::Warn, format!("no compose file: {e}")),
                    });
                }
                _ => {
                    input.key(key);
                }
            }
            return Outcome::Handled;
        }
        if let Some((items, sel)) = &mut self.picker {
            match key.code {
                KeyCode::Esc => self.picker = None,
                KeyCode::Down | KeyCode::Char('j') => {
                    *sel = (*sel + 1).min(items.len().saturating_sub(1))
                }
                KeyCode::Up | KeyCode::Char('k') => *sel = sel.saturating_sub(1),
                KeyCode::Enter => {
                    let c = items[*sel].clone();
                    self.picker = None;
                    let form = self.form_mut();
                    let mut list = form.list("constraints").unwrap_or_default();
                    if !list.contains(&c) {
                        list.push(c);
                    }
                    if let Some(f) = form.field_mut("constraints")
                        && let crate::widget::FieldKind::List(i) = &mut f.kind
                    {
                        i.set_text(list.join(", "));
                    }
                }
                _ => {}
            }
            return Outcome::Handled;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match cx.action(CONTEXT, key) {
            Some(Action::NextStep) => {
                self.next();
                return Outcome::Handled;
            }
            Some(Action::PrevStep) => {
                self.prev();
                return Outcome::Handled;
            }
            Some(Action::Save) => {
                if self.step == Step::Review {
                    self.deploy(cx);
                } else {
                    self.message = Some((
                        Level::Info,
                        "Ctrl-s deploys from the review step (Ctrl-n goes on)".into(),
                    ));
                }
                return Outcome::Handled;
            }
            _ => {}
        }
        match key.code {
            KeyCode::Esc if self.anything_entered() => {
                self.asking = true;
                return Outcome::Handled;
            }
            KeyCode::Esc => return Outcome::Close,
            KeyCode::Char('t') if ctrl && self.step == Step::Placement => {
                self.picker = Some((self.picker_items(cx), 0));
                return Outcome::Handled;
            }
            _ => {}
        }
        if self.step == Step::Review {
            match key.code {
                KeyCode::Tab => {
                    self.pane = match self.pane {
                        Pane::Words => Pane::Compose,
                        Pane::Compose => Pane::Cli,
                        Pane::Cli if self.editing.is_some() => Pane::Diff,
                        _ => Pane::Words,
                    };
                    self.scroll = 0;
                }
                KeyCode::Char('w') => {
                    self.save_as = Some(TextInput::with_text(format!(
                        "{}-compose.yml",
                        self.spec.name
                    )));
                }
                KeyCode::Char('c') => {
                    cx.fx
                        .app
                        .push(AppCmd::Clipboard(model::cli_command(&self.spec)));
                    self.message = Some((
                        Level::Info,
                        "the docker service create line is on the clipboard (OSC 52)".into(),
                    ));
                }
                KeyCode::Down | KeyCode::Char('j') => self.scroll = self.scroll.saturating_add(1),
                KeyCode::Up | KeyCode::Char('k') => self.scroll = self.scroll.saturating_sub(1),
                _ => {}
            }
            return Outcome::Handled;
        }
        let before_mode = self.form().choice("mode");
        let before_registry = self.form().choice("registry");
        let editing = self.editing.is_some();
        // name and mode are fixed on a service: the form says so and keeps them
        if editing {
            let f = self.form().focused().map(|f| f.name.clone());
            if matches!(f.as_deref(), Some("name") | Some("mode"))
                && key.code != KeyCode::Tab
                && key.code != KeyCode::BackTab
                && key.code != KeyCode::Up
                && key.code != KeyCode::Down
            {
                self.message = Some((
                    Level::Warn,
                    "a service's name and mode cannot change (remove it and deploy a new one)"
                        .into(),
                ));
                return Outcome::Handled;
            }
        }
        if self.form_mut().key(key) == crate::widget::InputResult::Edited
            && matches!(self.message, Some((Level::Danger, _)))
        {
            self.message = None;
        }
        if self.step == Step::Mode && self.form().choice("mode") != before_mode {
            let i = step_index(Step::Mode);
            let _ = forms::read(Step::Mode, &self.forms[i], &mut self.spec, &self.servers);
            self.forms[i] = forms::build(Step::Mode, &self.spec, &self.servers, editing);
        }
        // typed credentials show their fields; the others hide them
        if self.step == Step::App && self.form().choice("registry") != before_registry {
            let i = step_index(Step::App);
            let _ = forms::read(Step::App, &self.forms[i], &mut self.spec, &self.servers);
            let focus = self.forms[i].focus();
            self.forms[i] = forms::build(Step::App, &self.spec, &self.servers, editing);
            self.forms[i].set_focus(focus);
        }
        Outcome::Handled
    }

    fn paste(&mut self, text: &str, _cx: &mut Ctx<'_>) -> Outcome {
        if let Some(i) = &mut self.save_as {
            let _ = i.paste(text);
        } else if self.step != Step::Review
            && let Err(e) = self.form_mut().paste(text)
        {
            self.message = Some((Level::Warn, e));
        }
        Outcome::Handled
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCtx<'_>) {
        let theme = cx.theme;
        clear(frame, area, theme);
        if area.height < 5 || area.width < 30 {
            return;
        }
        let [top, body, status] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(1),
        ])
        .areas(area);
        let title = match &self.editing {
            Some(e) => format!(" edit {} ", e.name),
            None => " deploy a service ".to_string(),
        };
        frame.render_widget(
            Paragraph::new(bar(
                vec![Span::styled(title, theme.title)],
                vec![Span::styled(
                    format!(
                        "step {}/6 · {} ",
                        step_index(self.step) + 1,
                        self.step.title()
                    ),
                    theme.muted,
                )],
                top.width,
                theme.text,
            )),
            top,
        );
        let side_w = 15;
        let short = ["App", "Mode", "Placement", "Network", "Storage", "Review"];
        let [side, main] =
            Layout::horizontal([Constraint::Length(side_w), Constraint::Fill(1)]).areas(body);
        let mut steps = Vec::new();
        for (i, s) in Step::ALL.iter().enumerate() {
            let bad = self.errors.iter().filter(|(e, _, _)| e == s).count();
            let (mark, style) = if *s == self.step {
                ("▸", theme.selected)
            } else if bad > 0 {
                ("✗", theme.danger)
            } else if i < step_index(self.step) {
                ("✓", theme.ok)
            } else {
                (" ", theme.text)
            };
            steps.push(Line::styled(
                format!("{mark} {} {}", i + 1, short[i]),
                style,
            ));
        }
        frame.render_widget(
            Paragraph::new(steps).block(
                Block::bordered()
                    .border_type(BorderType::Rounded)
                    .border_style(theme.border)
                    .title(Span::styled(" steps ", theme.title)),
            ),
            side,
        );
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(theme.border_focused)
            .title(Span::styled(
                format!(" {} ", self.step.title()),
                theme.title,
            ));
        let inner = block.inner(main);
        frame.render_widget(block, main);
        if self.loading {
            frame.render_widget(
                Paragraph::new(Line::styled(
                    "reading the swarm's networks, secrets and configs …",
                    theme.info,
                )),
                inner,
            );
        } else if self.step == Step::Review {
            self.draw_review(frame, inner, cx);
        } else {
            let extra = match self.step {
                Step::Placement | Step::Network => inner.height / 3,
                _ => 0,
            };
            let [f, x] =
                Layout::vertical([Constraint::Fill(1), Constraint::Length(extra)]).areas(inner);
            self.form().render(frame, f, theme);
            if extra > 0 {
                self.draw_extra(frame, x, cx);
            }
        }
        if let Some((level, m)) = &self.message {
            let style = crate::view::level_style(*level, theme);
            frame.render_widget(
                Paragraph::new(Line::styled(
                    format!(" {}", crate::text::printable(m)),
                    style,
                )),
                status,
            );
        }
        if let Some((items, sel)) = &self.picker {
            let lines: Vec<Line> = items
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    Line::styled(
                        c.clone(),
                        if i == *sel {
                            theme.selected
                        } else {
                            theme.text
                        },
                    )
                })
                .collect();
            let r = crate::widget::centered(area, 50, (items.len() as u16 + 2).min(area.height));
            frame.render_widget(Clear, r);
            frame.render_widget(
                Paragraph::new(lines).block(
                    Block::bordered()
                        .border_type(BorderType::Rounded)
                        .border_style(theme.border_focused)
                        .title(Span::styled(" add a constraint (Enter) ", theme.title)),
                ),
                r,
            );
        }
        if let Some(input) = &self.save_as {
            let r = crate::widget::centered(area, 60, 3);
            frame.render_widget(Clear, r);
            let inner = Rect {
                x: r.x + 1,
                y: r.y + 1,
                width: r.width.saturating_sub(2),
                height: 1,
            };
            frame.render_widget(
                Block::bordered()
                    .border_type(BorderType::Rounded)
                    .border_style(theme.border_focused)
                    .title(Span::styled(
                        " write the compose file to (Enter) ",
                        theme.title,
                    )),
                r,
            );
            frame.render_widget(
                Paragraph::new(input.line(inner.width, theme.text, theme.selected, true)),
                inner,
            );
        }
        if self.asking {
            let r = crate::widget::centered(area, 50, 5);
            frame.render_widget(Clear, r);
            frame.render_widget(
                Paragraph::new(vec![
                    Line::styled("Leave the wizard? What you entered is lost.", theme.warn),
                    Line::styled("y leave · any other key stays", theme.muted),
                ])
                .block(
                    Block::bordered()
                        .border_type(BorderType::Rounded)
                        .border_style(theme.warn)
                        .title(Span::styled(" cancel ", theme.title)),
                ),
                r,
            );
        }
    }

    fn hints(&self, keymap: &Keymap) -> Vec<(String, String)> {
        let k = |a: Action| {
            keymap
                .keys_in(CONTEXT, a)
                .first()
                .map_or(String::new(), ToString::to_string)
        };
        let mut h = Vec::new();
        if self.step != Step::Review {
            h.push(("Tab".to_string(), "field".to_string()));
            h.push((k(Action::NextStep), "next step".to_string()));
        }
        if self.step != Step::App {
            h.push((k(Action::PrevStep), "back".to_string()));
        }
        if self.step == Step::Placement {
            h.push(("Ctrl-t".to_string(), "pick a constraint".to_string()));
        }
        if self.step == Step::Review {
            h.push((k(Action::Save), "deploy".to_string()));
            h.push(("Tab".to_string(), "words/compose/cli".to_string()));
            h.push(("w".to_string(), "write compose".to_string()));
            h.push(("c".to_string(), "copy command".to_string()));
        }
        h.push(("Esc".to_string(), "cancel".to_string()));
        h
    }

    fn actions(&self) -> &'static [Action] {
        &[Action::NextStep, Action::PrevStep, Action::Save]
    }
}

impl DeployWizard {
    fn draw_extra(&self, frame: &mut Frame, area: Rect, cx: &DrawCtx<'_>) {
        let theme = cx.theme;
        let mut spec = self.spec.clone();
        let _ = forms::read(self.step, self.form(), &mut spec, &self.servers);
        let mut lines = Vec::new();
        match self.step {
            Step::Placement => {
                let el = model::eligible(&spec, &cx.store.nodes);
                let ok = el.iter().filter(|(_, r)| r.is_ok()).count();
                lines.push(Line::styled(
                    format!("eligible nodes: {ok} of {}", el.len()),
                    if ok == 0 { theme.danger } else { theme.header },
                ));
                for (host, r) in el {
                    match r {
                        Ok(()) => lines.push(Line::styled(format!("  ✓ {host}"), theme.ok)),
                        Err(why) => {
                            lines.push(Line::styled(format!("  ✗ {host}: {why}"), theme.muted))
                        }
                    }
                }
                for w in model::warnings(&spec, &self.cluster) {
                    lines.push(Line::styled(format!("⚠ {w}"), theme.warn));
                }
            }
            Step::Network => {
                lines.push(Line::styled("ports other services publish:", theme.header));
                if let Some(c) = &self.context {
                    for (svc, ports) in &c.ports {
                        if !ports.is_empty()
                            && Some(svc.as_str()) != self.editing.as_ref().map(|e| e.name.as_str())
                        {
                            let p: Vec<String> = ports
                                .iter()
                                .map(|(n, pr)| format!("{n}/{pr:?}").to_lowercase())
                                .collect();
                            lines.push(Line::styled(
                                format!("  {svc}: {}", p.join(", ")),
                                theme.muted,
                            ));
                        }
                    }
                    let nets: Vec<String> = c
                        .networks
                        .iter()
                        .map(|(n, a)| {
                            if *a {
                                format!("{n} (attachable)")
                            } else {
                                n.clone()
                            }
                        })
                        .collect();
                    lines.push(Line::styled(
                        format!(
                            "overlay networks: {}",
                            if nets.is_empty() {
                                "none".into()
                            } else {
                                nets.join(", ")
                            }
                        ),
                        theme.muted,
                    ));
                }
            }
            _ => {}
        }
        frame.render_widget(
            Paragraph::new(lines).wrap(Wrap { trim: false }).block(
                Block::default()
                    .borders(ratatui::widgets::Borders::TOP)
                    .border_style(theme.border),
            ),
            area,
        );
    }

    fn draw_review(&self, frame: &mut Frame, area: Rect, cx: &DrawCtx<'_>) {
        let theme = cx.theme;
        let tabs = [
            "in words",
            "compose v3",
            "docker service create",
            "spec diff",
        ];
        let n = if self.editing.is_some() { 4 } else { 3 };
        let cur = match self.pane {
            Pane::Words => 0,
            Pane::Compose => 1,
            Pane::Cli => 2,
            Pane::Diff => 3,
        };
        let spans: Vec<Span> = tabs[..n]
            .iter()
            .enumerate()
            .map(|(i, t)| {
                Span::styled(
                    format!(" {t} "),
                    if i == cur {
                        theme.selected
                    } else {
                        theme.muted
                    },
                )
            })
            .collect();
        let [head, rest] =
            Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
        frame.render_widget(Paragraph::new(Line::from(spans)), head);
        if self.pane == Pane::Diff {
            if let Some(e) = &self.editing {
                let mut diff = self.diff.borrow_mut();
                let d = diff.get_or_insert_with(|| {
                    let merged = model::merge_onto(&e.raw, &e.original, &self.spec);
                    DiffView::new(
                        &crate::gconfig::pretty(&e.raw),
                        &crate::gconfig::pretty(&merged),
                    )
                    .with_context(3)
                });
                d.render(frame, rest, theme);
            }
            return;
        }
        let cl = &self.cluster;
        let mut lines = Vec::new();
        if self.pane == Pane::Words {
            for l in model::summary(&self.spec) {
                lines.push(Line::styled(l, theme.text));
            }
            let ws = model::warnings(&self.spec, cl);
            if !ws.is_empty() {
                lines.push(Line::default());
                for w in ws {
                    lines.push(Line::styled(format!("⚠ {w}"), theme.warn));
                }
            }
            lines.push(Line::default());
            lines.push(Line::styled(
                if self.editing.is_some() {
                    "Ctrl-s writes the changes (Tab: the spec diff)"
                } else {
                    "Ctrl-s deploys"
                },
                theme.info,
            ));
        } else {
            lines = self.review_lines(theme);
        }
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .scroll((self.scroll, 0)),
            rest,
        );
    }
}
