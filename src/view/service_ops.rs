//! The service operations of the services pane: scale (a number), force update, rollback to
//! the previous spec (with the diff of what goes back), a new image (pulled with the
//! credentials of `~/.docker/config.json`), remove (the name typed). Each one is refused with
//! its reason where it cannot apply, confirmed, then sent as one write through the versioned
//! core (`engine/write.rs`: the spec read right before, only this change applied, so a change
//! someone makes meanwhile is kept), and recorded in the audit log. Absent in readonly mode:
//! the keymap has no such key, the pane refuses, the app and the engine refuse the write.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Wrap};
use serde_json::Value;

use super::confirm::{Then, WriteConfirm};
use super::{AppCmd, Ctx, DrawCtx, Outcome, View};
use crate::app::ops::{Follow, PendingWrite};
use crate::deploy::{CredSource, Registries};
use crate::domain::{Service, ServiceMode};
use crate::engine::deploy::{DeployAnswer, DeployCmd};
use crate::engine::write;
use crate::engine::{WriteChange, WriteTarget};
use crate::keymap::{Action, Keymap};
use crate::store::Level;
use crate::widget::{DiffView, InputResult, TextInput};

/// A write to one service.
pub fn service_write(s: &Service, change: WriteChange, action: String) -> PendingWrite {
    PendingWrite {
        target: WriteTarget::Service {
            id: s.id.clone(),
            name: s.name.clone(),
        },
        change,
        action,
        follow: Follow::Nothing,
    }
}

/// The replicas a service can be scaled from, or why it cannot be scaled.
pub fn scale_refusal(s: &Service) -> Result<u64, String> {
    let name = &s.name;
    match s.mode {
        ServiceMode::Replicated { replicas } => Ok(replicas),
        ServiceMode::Global => Err(format!(
            "{name} is global: one task per eligible node, it cannot be scaled (its placement \
             constraints decide the nodes)"
        )),
        ServiceMode::ReplicatedJob { .. } => Err(format!(
            "{name} is a replicated job: its tasks run to completion and it has no replica \
             count to scale (any update runs the job again)"
        )),
        ServiceMode::GlobalJob => Err(format!(
            "{name} is a global job: it runs once on every eligible node, it cannot be scaled"
        )),
        ServiceMode::Unknown => Err(format!(
            "{name} has a mode swarmdeck does not know: not scaling it"
        )),
    }
}

/// A service action pressed in the services pane (the pane checked readonly mode).
pub fn service_action(cx: &mut Ctx<'_>, action: Action, s: &Service) -> Outcome {
    if cx.readonly {
        cx.fx
            .notify(Level::Warn, "readonly mode: swarmdeck changes nothing");
        return Outcome::Handled;
    }
    match action {
        Action::Scale => match scale_refusal(s) {
            Ok(replicas) => Outcome::Push(Box::new(ServicePrompt::scale(s, replicas))),
            Err(why) => Outcome::Push(Box::new(WriteConfirm::refusal(
                format!("scale {}", s.name),
                vec![(Level::Warn, why)],
            ))),
        },
        Action::ForceUpdate => Outcome::Push(Box::new(force_update(s))),
        Action::Rollback => Outcome::Push(Box::new(ServiceRead::new(s, ReadFor::Rollback))),
        Action::UpdateImage => Outcome::Push(Box::new(ServicePrompt::image(s))),
        Action::RemoveService => Outcome::Push(Box::new(ServiceRead::new(s, ReadFor::Remove))),
        _ => Outcome::Ignored,
    }
}

/// The force-update (restart) confirmation.
fn force_update(s: &Service) -> WriteConfirm {
    let mut lines = vec![(
        Level::Info,
        format!(
            "every task of {} is replaced by a new one with the same spec \
             (TaskTemplate.ForceUpdate + 1, as `docker service update --force`), following \
             its update config",
            s.name
        ),
    )];
    if s.mode.is_job() {
        lines.push((
            Level::Warn,
            format!(
                "{} is a {}: this runs the job again (every update re-runs a job)",
                s.name,
                s.mode.name()
            ),
        ));
    } else {
        lines.push((Level::Warn, "its containers restart".into()));
    }
    WriteConfirm::plain(
        format!("force update {}", s.name),
        lines,
        service_write(
            s,
            WriteChange::ForceUpdate,
            write::FORCE_UPDATE_ACTION.into(),
        ),
        Then::Close,
    )
}

// ------------------------------------------------------------------------ scale, image

#[derive(Debug, Clone, PartialEq, Eq)]
enum Ask {
    /// The replicas it has (what the user sees).
    Scale(u64),
    /// The image it has (with the digest the engine pinned).
    Image(String),
}

/// A one-line input before the confirmation: the replica count (prefilled, selected), or
/// the image (prefilled without its digest).
pub struct ServicePrompt {
    service: Service,
    ask: Ask,
    pub input: TextInput,
    pub error: Option<String>,
    /// What `~/.docker/config.json` says (asked when the image prompt opens).
    registries: Option<Result<Registries, String>>,
}

impl ServicePrompt {
    pub fn scale(s: &Service, replicas: u64) -> Self {
        ServicePrompt {
            service: s.clone(),
            ask: Ask::Scale(replicas),
            input: TextInput::with_text(replicas.to_string())
                .selected()
                .with_max_len(9),
            error: None,
            registries: None,
        }
    }

    pub fn image(s: &Service) -> Self {
        ServicePrompt {
            service: s.clone(),
            ask: Ask::Image(s.image.clone()),
            input: TextInput::with_text(s.image_short()).with_max_len(512),
            error: None,
            registries: None,
        }
    }

    fn title(&self) -> String {
        match self.ask {
            Ask::Scale(_) => format!("scale {}", self.service.name),
            Ask::Image(_) => format!("image of {}", self.service.name),
        }
    }

    /// The confirmation for what was typed, or why not.
    fn confirm(&self, cx: &Ctx<'_>) -> Result<WriteConfirm, String> {
        let typed = self.input.text().trim();
        let s = &self.service;
        match &self.ask {
            Ask::Scale(seen) => {
                let to: u64 = typed
                    .parse()
                    .map_err(|_| format!("{typed:?} is not a number of replicas (0 or more)"))?;
                if to == *seen {
                    return Err(format!("{} has {seen} replicas already", s.name));
                }
                Ok(scale_confirm(s, *seen, to, cx.store.nodes.len()))
            }
            Ask::Image(seen) => {
                crate::deploy::check_image(typed)?;
                if typed == seen || typed == s.image_short() {
                    return Err(format!("{} runs {typed} already", s.name));
                }
                Ok(image_confirm(s, seen, typed, self.registries.as_ref()))
            }
        }
    }
}

/// "scale web 3 → 5", with what Swarm will do.
pub fn scale_confirm(s: &Service, seen: u64, to: u64, nodes: usize) -> WriteConfirm {
    let mut lines = vec![(
        Level::Info,
        if to > seen {
            format!("Swarm starts {} more task(s) of {}", to - seen, s.name)
        } else {
            format!("Swarm stops {} task(s) of {}", seen - to, s.name)
        },
    )];
    if to == 0 {
        lines.push((
            Level::Warn,
            format!("at 0 replicas every task of {} stops", s.name),
        ));
    }
    let max = s.max_replicas_per_node;
    if max > 0 && to > max.saturating_mul(nodes as u64) {
        lines.push((
            Level::Warn,
            format!(
                "at most {max} per node on {nodes} node(s): {} task(s) will stay pending",
                to - max * nodes as u64
            ),
        ));
    }
    WriteConfirm::plain(
        format!("scale {} {seen} → {to}", s.name),
        lines,
        service_write(
            s,
            WriteChange::Scale { seen, to },
            write::scale_action(seen, to),
        ),
        Then::Close,
    )
}

/// The line that says where the image's registry credentials come from, and whether any
/// are sent.
pub fn credentials_line(
    image: &str,
    registries: Option<&Result<Registries, String>>,
) -> (Level, String, bool) {
    let host = crate::deploy::image_registry(image);
    match registries {
        Some(Ok(r)) => match r.source_for(&host) {
            Some(src) if src.usable() => {
                let user = match &src {
                    CredSource::Stored { username } => format!(" (user {username})"),
                    _ => String::new(),
                };
                (
                    Level::Info,
                    format!(
                        "registry {host}: credentials {}{user}, sent with the update (never \
                         shown or logged)",
                        src.describe()
                    ),
                    true,
                )
            }
            _ if host == "docker.io" => (
                Level::Info,
                "Docker Hub, no credentials here: a public image is pulled anonymously (the \
                 engine keeps any credentials stored with the service)"
                    .into(),
                false,
            ),
            _ => (
                Level::Warn,
                format!(
                    "no credentials here for {host}: none are sent (the engine keeps those \
                     stored with the service, if any); a private registry refuses the pull \
                     without them — a hint: it may allow anonymous pulls"
                ),
                false,
            ),
        },
        Some(Err(e)) => (
            Level::Warn,
            format!("cannot read the docker config ({e}): no credentials are sent"),
            false,
        ),
        None => (
            Level::Info,
            format!("registry {host}: credentials from ~/.docker/config.json, if it has some"),
            true,
        ),
    }
}

/// "image of web": only `TaskTemplate.ContainerSpec.Image` changes.
pub fn image_confirm(
    s: &Service,
    seen: &str,
    to: &str,
    registries: Option<&Result<Registries, String>>,
) -> WriteConfirm {
    let mut lines = vec![(
        Level::Info,
        format!(
            "{}: {} → {to}; nothing else changes, the tasks are replaced following its update \
             config",
            s.name,
            s.image_short()
        ),
    )];
    if seen.contains('@') && !to.contains('@') {
        lines.push((
            Level::Info,
            "the digest the engine pinned goes: every node pulls the tag".into(),
        ));
    }
    let (level, text, with_auth) = credentials_line(to, registries);
    lines.push((level, text));
    if s.mode.is_job() {
        lines.push((
            Level::Warn,
            format!("{} is a {}: this runs the job again", s.name, s.mode.name()),
        ));
    }
    WriteConfirm::plain(
        format!("image of {}", s.name),
        lines,
        service_write(
            s,
            WriteChange::Image {
                seen: seen.to_string(),
                to: to.to_string(),
            },
            write::image_action(seen, to, with_auth),
        ),
        Then::Close,
    )
}

impl View for ServicePrompt {
    fn context(&self) -> &'static str {
        "confirm"
    }

    fn opened(&mut self, cx: &mut Ctx<'_>) {
        if matches!(self.ask, Ask::Image(_)) {
            cx.fx.app.push(AppCmd::Deploy(DeployCmd::Registries));
        }
    }

    fn deploy_msg(&mut self, answer: DeployAnswer, _cx: &mut Ctx<'_>) -> Outcome {
        if let DeployAnswer::Registries(r) = answer {
            self.registries = Some(r);
        }
        Outcome::Handled
    }

    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Outcome {
        match key.code {
            KeyCode::Esc => Outcome::Close,
            KeyCode::Enter => match self.confirm(cx) {
                Ok(dialog) => Outcome::Replace(Box::new(dialog)),
                Err(e) => {
                    self.error = Some(e);
                    Outcome::Handled
                }
            },
            _ => {
                if self.input.key(key) == InputResult::Edited {
                    self.error = None;
                }
                Outcome::Handled
            }
        }
    }

    fn paste(&mut self, text: &str, _cx: &mut Ctx<'_>) -> Outcome {
        match self.input.paste(text) {
            Ok(()) => self.error = None,
            Err(why) => self.error = Some(why),
        }
        Outcome::Handled
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCtx<'_>) {
        let theme = cx.theme;
        let s = &self.service;
        let (label, help) = match &self.ask {
            Ask::Scale(n) => (
                "replicas: ",
                format!("{} has {n} replica(s), {} running", s.name, s.running),
            ),
            Ask::Image(_) => ("image: ", format!("{} runs {}", s.name, s.image_short())),
        };
        // under the input: where the credentials come from, and why not
        let mut below: Vec<Line<'_>> = Vec::new();
        if let Ask::Image(_) = &self.ask {
            let (level, text, _) =
                credentials_line(self.input.text().trim(), self.registries.as_ref());
            below.push(Line::styled(text, super::level_style(level, theme)));
        }
        if let Some(e) = &self.error {
            below.push(Line::styled(format!("✗ {e}"), theme.danger));
        }
        let w = 76.min(area.width);
        let inner_w = w.saturating_sub(4).max(1);
        let below_h: u16 = below
            .iter()
            .map(|l| (l.width() as u16).div_ceil(inner_w).max(1) + 1)
            .sum();
        // the help line, a blank, the input, a blank, what is below
        let rect = crate::widget::centered(area, w, 3 + 2 + 1 + below_h);
        frame.render_widget(Clear, rect);
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(theme.border_style(true))
            .padding(ratatui::widgets::Padding::horizontal(1))
            .title(Span::styled(format!(" {} ", self.title()), theme.title))
            .title_bottom(Span::styled(" Enter review · Esc cancel ", theme.muted))
            .style(theme.text);
        let inner = block.inner(rect);
        frame.render_widget(block, rect);
        let [top, _, input_row, _, rest] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Fill(1),
        ])
        .areas(inner);
        frame.render_widget(
            Paragraph::new(Line::styled(
                crate::widget::fit(&help, usize::from(inner.width)),
                theme.text,
            )),
            top,
        );
        frame.render_widget(Paragraph::new(Line::styled(label, theme.muted)), input_row);
        let lw = label.len() as u16;
        let field = Rect {
            x: input_row.x + lw,
            width: input_row.width.saturating_sub(lw),
            ..input_row
        };
        self.input.render(
            frame,
            field,
            theme.accent,
            theme.accent.add_modifier(Modifier::REVERSED),
            true,
        );
        frame.render_widget(Paragraph::new(below).wrap(Wrap { trim: false }), rest);
    }

    fn hints(&self, _keymap: &Keymap) -> Vec<(String, String)> {
        vec![
            ("Enter".into(), "review".into()),
            ("Esc".into(), "cancel".into()),
        ]
    }
}

// ------------------------------------------------------------------- rollback, remove

/// What the service is read for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadFor {
    Rollback,
    Remove,
}

/// Reads the service as raw JSON right before the confirmation (its previous spec for a
/// rollback; its spec for the command that recreates it after a removal), then gives way to
/// the confirmation.
pub struct ServiceRead {
    service: Service,
    pub what: ReadFor,
}

impl ServiceRead {
    pub fn new(s: &Service, what: ReadFor) -> Self {
        ServiceRead {
            service: s.clone(),
            what,
        }
    }

    fn title(&self) -> String {
        match self.what {
            ReadFor::Rollback => format!("rollback {}", self.service.name),
            ReadFor::Remove => format!("remove {}", self.service.name),
        }
    }
}

/// The next step once the service is read: the rollback's diff, or why not; the removal's
/// typed confirmation.
pub fn after_read(s: &Service, what: ReadFor, object: Result<Value, String>) -> Box<dyn View> {
    match (what, object) {
        (ReadFor::Rollback, Ok(obj)) => match RollbackConfirm::new(s, obj) {
            Ok(view) => Box::new(view),
            Err(why) => Box::new(WriteConfirm::refusal(
                format!("rollback {}", s.name),
                vec![(Level::Warn, why)],
            )),
        },
        (ReadFor::Rollback, Err(e)) => Box::new(WriteConfirm::refusal(
            format!("rollback {}", s.name),
            vec![(Level::Danger, format!("cannot read {}: {e}", s.name))],
        )),
        (ReadFor::Remove, read) => Box::new(remove_confirm(s, read.ok().as_ref())),
    }
}

/// Removing: the name typed; what cannot be undone; the command that would recreate it.
pub fn remove_confirm(s: &Service, object: Option<&Value>) -> WriteConfirm {
    let mut lines = vec![(
        Level::Danger,
        format!(
            "removing {} is not reversible: its tasks stop and its spec is gone (the audit log \
             keeps the spec)",
            s.name
        ),
    )];
    if let Some(stack) = s.stack() {
        lines.push((
            Level::Warn,
            format!(
                "{} belongs to stack {stack}: `docker stack deploy` would create it again",
                s.name
            ),
        ));
    }
    match object.and_then(|o| o.get("Spec")) {
        Some(spec) => {
            lines.push((Level::Info, "to recreate it:".into()));
            // the wizard's command, on one line (it breaks lines with `\`)
            let cmd = crate::deploy::cli_command(&crate::deploy::from_service_spec(spec));
            let words: Vec<&str> = cmd.split("\\\n").map(str::trim).collect();
            lines.push((Level::Info, words.join(" ")));
        }
        None => lines.push((
            Level::Warn,
            "its spec could not be read: no command to recreate it".into(),
        )),
    }
    WriteConfirm::typed(
        format!("remove {}", s.name),
        lines,
        s.name.clone(),
        service_write(s, WriteChange::Remove, write::REMOVE_ACTION.into()),
        Then::Close,
    )
}

impl View for ServiceRead {
    fn context(&self) -> &'static str {
        "confirm"
    }

    fn opened(&mut self, cx: &mut Ctx<'_>) {
        cx.fx.app.push(AppCmd::Deploy(DeployCmd::ReadService {
            id: self.service.id.0.clone(),
        }));
    }

    fn deploy_msg(&mut self, answer: DeployAnswer, _cx: &mut Ctx<'_>) -> Outcome {
        match answer {
            DeployAnswer::Service(r) => Outcome::Replace(after_read(&self.service, self.what, r)),
            _ => Outcome::Handled,
        }
    }

    fn key(&mut self, key: &KeyEvent, _cx: &mut Ctx<'_>) -> Outcome {
        match key.code {
            KeyCode::Esc => Outcome::Close,
            _ => Outcome::Handled,
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCtx<'_>) {
        let theme = cx.theme;
        let rect = crate::widget::centered(area, 50, 3);
        frame.render_widget(Clear, rect);
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(theme.border_style(true))
            .title(Span::styled(format!(" {} ", self.title()), theme.title))
            .style(theme.text);
        let inner = block.inner(rect);
        frame.render_widget(block, rect);
        frame.render_widget(
            Paragraph::new(Line::styled(
                format!(" reading {}…", self.service.name),
                theme.muted,
            )),
            inner,
        );
    }

    fn hints(&self, _keymap: &Keymap) -> Vec<(String, String)> {
        vec![("Esc".into(), "cancel".into())]
    }
}

/// The rollback's confirmation: what goes back in words (image, replicas, env, the other
/// fields), the text diff of the current spec to the previous one, `y` to roll back.
pub struct RollbackConfirm {
    service: Service,
    /// [`write::rollback_fingerprint`] of the service read: the write goes back to exactly
    /// this previous spec, or not at all.
    pub seen: String,
    pub summary: Vec<(Level, String)>,
    pub diff: DiffView,
}

impl RollbackConfirm {
    /// From the service read right before; Err: why it cannot be rolled back.
    pub fn new(s: &Service, object: Value) -> Result<Self, String> {
        let current = object.get("Spec").cloned().unwrap_or(Value::Null);
        let Some(previous) = object
            .get("PreviousSpec")
            .filter(|p| p.is_object())
            .cloned()
        else {
            return Err(format!(
                "{} has no previous spec: Swarm keeps one, from the last update, and this \
                 service was not updated since it was created; nothing to roll back to",
                s.name
            ));
        };
        let mut summary = rollback_summary(&current, &previous);
        if summary.is_empty() {
            summary.push((
                Level::Info,
                "the previous spec is the same as the current one".into(),
            ));
        }
        if s.mode.is_job() {
            summary.push((
                Level::Warn,
                format!("{} is a {}: this runs the job again", s.name, s.mode.name()),
            ));
        } else {
            summary.push((
                Level::Info,
                "the tasks are replaced following its rollback config".into(),
            ));
        }
        let diff = DiffView::new(
            &crate::gconfig::pretty(&current),
            &crate::gconfig::pretty(&previous),
        )
        .with_context(3);
        Ok(RollbackConfirm {
            service: s.clone(),
            seen: write::rollback_fingerprint(&object),
            summary,
            diff,
        })
    }

    fn write(&self) -> PendingWrite {
        service_write(
            &self.service,
            WriteChange::Rollback {
                seen: self.seen.clone(),
            },
            write::ROLLBACK_ACTION.into(),
        )
    }
}

/// What a rollback puts back, in words: the image, the replicas, the environment, and the
/// names of the other fields that change.
pub fn rollback_summary(current: &Value, previous: &Value) -> Vec<(Level, String)> {
    let mut out = Vec::new();
    let text = |v: &Value, p: &str| v.pointer(p).and_then(Value::as_str).map(str::to_string);
    let image = "/TaskTemplate/ContainerSpec/Image";
    if text(current, image) != text(previous, image) {
        let short = |v: Option<String>| {
            v.map(|i| i.split('@').next().unwrap_or_default().to_string())
                .unwrap_or_else(|| "(none)".into())
        };
        out.push((
            Level::Warn,
            format!(
                "image {} → {}",
                short(text(current, image)),
                short(text(previous, image))
            ),
        ));
    }
    let replicas = "/Mode/Replicated/Replicas";
    let (a, b) = (current.pointer(replicas), previous.pointer(replicas));
    if a != b
        && let (Some(a), Some(b)) = (a, b)
    {
        out.push((Level::Warn, format!("replicas {a} → {b}")));
    }
    let env = |v: &Value| -> Vec<String> {
        v.pointer("/TaskTemplate/ContainerSpec/Env")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    };
    let (ea, eb) = (env(current), env(previous));
    let mut env_words: Vec<String> = eb
        .iter()
        .filter(|e| !ea.contains(e))
        .map(|e| format!("+{e}"))
        .collect();
    env_words.extend(
        ea.iter()
            .filter(|e| !eb.contains(e))
            .map(|e| format!("-{}", e.split('=').next().unwrap_or(e))),
    );
    if !env_words.is_empty() {
        out.push((Level::Warn, format!("env {}", env_words.join(" "))));
    }
    // the other fields, by name (array items count as their list)
    let covered = [
        image,
        replicas,
        "/TaskTemplate/ContainerSpec/Env",
        "/TaskTemplate/ForceUpdate",
    ];
    let mut others: Vec<String> = Vec::new();
    for c in crate::gconfig::diff(current, previous) {
        let p: Vec<&str> = c
            .pointer()
            .split('/')
            .take_while(|seg| seg.parse::<usize>().is_err())
            .collect();
        let p = p.join("/");
        if covered.iter().any(|k| p.starts_with(k)) || others.contains(&p) {
            continue;
        }
        others.push(p);
    }
    if !others.is_empty() {
        let names: Vec<&str> = others
            .iter()
            .map(|p| p.rsplit('/').next().unwrap_or(p))
            .take(6)
            .collect();
        let more = others.len().saturating_sub(6);
        out.push((
            Level::Info,
            format!(
                "also: {}{}",
                names.join(", "),
                if more > 0 {
                    format!(" (+{more})")
                } else {
                    String::new()
                }
            ),
        ));
    }
    out
}

impl View for RollbackConfirm {
    fn context(&self) -> &'static str {
        "confirm"
    }

    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Outcome {
        match key.code {
            KeyCode::Esc | KeyCode::Char('n' | 'N') => Outcome::Close,
            KeyCode::Char('y' | 'Y') => {
                cx.fx.app.push(AppCmd::Write(self.write()));
                Outcome::Close
            }
            _ => {
                let _: InputResult = self.diff.key(key);
                Outcome::Handled
            }
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCtx<'_>) {
        let theme = cx.theme;
        let rect = crate::widget::centered(
            area,
            area.width.saturating_sub(4).min(110),
            area.height.saturating_sub(2),
        );
        frame.render_widget(Clear, rect);
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(theme.border_style(true))
            .padding(ratatui::widgets::Padding::horizontal(1))
            .title(Span::styled(
                format!(" rollback {} to its previous spec ", self.service.name),
                theme.title,
            ))
            .title_bottom(Span::styled(
                " y roll back · n/Esc cancel · j/k PgUp/PgDn scroll the diff ",
                theme.muted,
            ))
            .style(theme.text);
        let inner = block.inner(rect);
        frame.render_widget(block, rect);
        let mut lines: Vec<Line<'_>> = self
            .summary
            .iter()
            .map(|(l, t)| Line::styled(t.clone(), super::level_style(*l, theme)))
            .collect();
        lines.push(Line::styled(
            "the spec now → the previous spec (+ comes back, - goes):",
            theme.muted,
        ));
        let head = (lines.len() as u16).min(inner.height.saturating_sub(2).max(1));
        let [top, body] =
            Layout::vertical([Constraint::Length(head), Constraint::Fill(1)]).areas(inner);
        frame.render_widget(Paragraph::new(lines), top);
        self.diff.render(frame, body, theme);
    }

    fn hints(&self, _keymap: &Keymap) -> Vec<(String, String)> {
        vec![
            ("y".into(), "roll back".into()),
            ("n".into(), "cancel".into()),
        ]
    }
}
