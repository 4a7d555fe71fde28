//! `:secrets` and `:configs`: the swarm's secrets and configs as lists (the generic
//! [`ListPane`]) in a popup, with the services that mount each one and where; creating
//! ([`form`]), deleting (refused while a service uses it; the name typed to confirm) and, for
//! a secret, rotating: `NAME.vN+1` created from a new value, every service moved to it at the
//! same target by the global config's rollout core (followed here as the rollout view shows
//! it), then the old one offered for deletion.
//!
//! The popup owns each flow (form → confirm → progress) as a step drawn over its list, so
//! every engine answer comes back to it (it asked) and the list is read again after a write.
//! A secret's value is never drawn, put in a notice or kept after it was sent.

pub mod configs;
pub mod form;

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Wrap};

use super::config::rollout::{Step as ServiceStep, apply_event, service_lines, step_mut};
use super::list::{Column, Data, ListPane, Rows};
use super::{AppCmd, ConfigMsg, Ctx, DrawCtx, Outcome, View};
use crate::domain::secrets::{ObjectKind, family, labels_text, rotated_name, users, users_text};
use crate::domain::{Secret, ServiceRefs, User, short_age};
use crate::engine::secrets::{Listed, Rotated, SecretsAnswer, SecretsCmd};
use crate::keymap::{Action, Keymap};
use crate::store::{Changed, Level};
use crate::theme::Theme;
use crate::widget::{ConfirmDialog, ConfirmResult, Tone};
use form::{FormKey, ObjectForm};

const CONTEXT: &str = "secrets";

/// "2d", or "-" when unknown.
fn age(t: Option<jiff::Timestamp>, now: jiff::Timestamp) -> String {
    t.map_or_else(|| "-".to_string(), |t| short_age(t, now))
}

/// A users cell: "rx_db (db_password), …", or "unused".
fn users_cell(users: &[User], theme: &Theme) -> Line<'static> {
    if users.is_empty() {
        return Line::styled("unused", theme.muted);
    }
    let text = users
        .iter()
        .map(|u| format!("{} ({})", u.service, u.target))
        .collect::<Vec<_>>()
        .join(", ");
    Line::styled(crate::text::printable(&text).into_owned(), theme.accent)
}

/// The secrets as listed, with each one's users.
#[derive(Default)]
pub struct SecretRows {
    pub items: Vec<Secret>,
    pub services: Vec<ServiceRefs>,
    users: Vec<Vec<User>>,
    pub loading: bool,
    pub error: Option<String>,
}

impl SecretRows {
    fn set(&mut self, listed: Listed<Secret>) {
        self.users = listed
            .items
            .iter()
            .map(|s| users(&listed.services, ObjectKind::Secret, s.id.as_str(), &s.name))
            .collect();
        self.items = listed.items;
        self.services = listed.services;
        self.error = None;
    }

    /// The services that mount secret `i`.
    pub fn users_of(&self, i: usize) -> &[User] {
        self.users.get(i).map_or(&[], Vec::as_slice)
    }
}

impl Rows for SecretRows {
    fn context(&self) -> &'static str {
        CONTEXT
    }
    fn title(&self, _data: Data<'_>, shown: usize) -> String {
        format!("secrets ({shown})")
    }
    fn len(&self, _data: Data<'_>) -> usize {
        self.items.len()
    }
    fn id(&self, _data: Data<'_>, i: usize) -> String {
        self.items[i].id.0.clone()
    }
    fn text(&self, _data: Data<'_>, i: usize) -> String {
        let s = &self.items[i];
        let used: Vec<&str> = self
            .users_of(i)
            .iter()
            .map(|u| u.service.as_str())
            .collect();
        format!(
            "{} {} {} {}",
            s.name,
            labels_text(&s.labels),
            s.driver,
            used.join(" ")
        )
    }
    fn shows(&self, _what: Changed) -> bool {
        false
    }
    fn columns(&self, _data: Data<'_>, _width: u16) -> Vec<Column> {
        vec![
            Column::fill("NAME", 16, 0),
            Column::fill_weighted("USED BY (TARGET)", 20, 2, 0),
            Column::fixed("CREATED", 7, 2),
            Column::fixed("UPDATED", 7, 3),
            Column::fixed("DRIVER", 8, 4),
            Column::fill("LABELS", 12, 1),
        ]
    }
    fn cells(&self, data: Data<'_>, theme: &Theme, i: usize) -> Vec<Line<'static>> {
        let s = &self.items[i];
        let p = |t: &str| crate::text::printable(t).into_owned();
        vec![
            Line::styled(p(&s.name), theme.text),
            users_cell(self.users_of(i), theme),
            Line::styled(age(s.created, data.now), theme.muted),
            Line::styled(age(s.updated, data.now), theme.muted),
            if s.driver.is_empty() {
                Line::styled("internal", theme.muted)
            } else {
                Line::styled(p(&s.driver), theme.text)
            },
            Line::styled(p(&labels_text(&s.labels)), theme.muted),
        ]
    }
    fn empty(&self, _data: Data<'_>, filtered: bool) -> &'static str {
        if self.loading && self.items.is_empty() {
            "reading…"
        } else if self.error.is_some() {
            "the secrets could not be read (below)"
        } else if filtered {
            "no secret matches the filter"
        } else {
            "no secret yet"
        }
    }
}

/// A dialog over the list, and what its confirmation does.
enum Ask {
    /// Delete this object (a typed confirm).
    Delete {
        kind: ObjectKind,
        id: String,
        name: String,
    },
    /// Only says something (a refusal, an error).
    Note,
}

/// The delete dialog for an object: a refusal naming the services that use it, else the
/// name typed to confirm.
fn delete_dialog(kind: ObjectKind, id: &str, name: &str, used: &[User]) -> (ConfirmDialog, Ask) {
    let word = kind.word();
    let p = |t: &str| crate::text::printable(t).into_owned();
    if !used.is_empty() {
        let mut lines = vec![(
            Tone::Warn,
            format!("{word} {} is used by {}.", p(name), p(&users_text(used))),
        )];
        lines.push((
            Tone::Info,
            match kind {
                ObjectKind::Secret => {
                    "Move those services off it first (a rotation moves them to a new version); nothing was deleted."
                        .to_string()
                }
                ObjectKind::Config => {
                    "Move those services off it first; nothing was deleted.".to_string()
                }
            },
        ));
        return (
            ConfirmDialog::refusal(format!("{word} {} is in use", p(name)), lines),
            Ask::Note,
        );
    }
    let dialog = ConfirmDialog::typed(
        format!("Delete {word} {}?", p(name)),
        vec![
            (Tone::Danger, format!("delete {word} {} for good", p(name))),
            (
                Tone::Info,
                "no service uses it now (checked again right before)".into(),
            ),
        ],
        name,
    );
    (
        dialog,
        Ask::Delete {
            kind,
            id: id.to_string(),
            name: name.to_string(),
        },
    )
}

/// A refusal dialog that only says `lines`.
fn note(title: &str, lines: Vec<(Tone, String)>) -> (ConfirmDialog, Ask) {
    (ConfirmDialog::refusal(title, lines), Ask::Note)
}

/// What is drawn over the list.
enum Step {
    Form(ObjectForm),
    Confirm(ObjectForm, ConfirmDialog),
    Dialog(ConfirmDialog, Ask),
    /// A create or delete on its way; what.
    Sending(String),
    /// The rotation (`SecretsView::rotation`), shown.
    Rotation,
}

/// A secret's rotation: its progress per service, the result, and the offer to delete the
/// old secret.
pub struct Rotation {
    pub old_id: String,
    pub old: String,
    pub new_name: String,
    pub services: Vec<(String, ServiceStep)>,
    pub result: Option<Result<Box<Rotated>, String>>,
    /// The offer to delete the old secret (after a rotation that moved every service).
    offer: Option<ConfirmDialog>,
    deleting: bool,
    pub deleted: Option<Result<(), String>>,
    scroll: u16,
}

impl Rotation {
    fn new(old_id: &str, old: &str, new_name: &str, users: &[User]) -> Self {
        let mut services: Vec<(String, ServiceStep)> = Vec::new();
        for u in users {
            if !services.iter().any(|(n, _)| n == &u.service) {
                services.push((u.service.clone(), ServiceStep::Waiting));
            }
        }
        Rotation {
            old_id: old_id.to_string(),
            old: old.to_string(),
            new_name: new_name.to_string(),
            services,
            result: None,
            offer: None,
            deleting: false,
            deleted: None,
            scroll: 0,
        }
    }

    /// Whether it has finished (moved every service, or stopped).
    pub fn finished(&self) -> bool {
        self.result.is_some()
    }

    /// Whether the old secret is offered for deletion now.
    pub fn offering(&self) -> bool {
        self.offer.is_some()
    }

    fn lines(&self, theme: &Theme) -> Vec<Line<'static>> {
        let p = |t: &str| crate::text::printable(t).into_owned();
        let (old, new) = (p(&self.old), p(&self.new_name));
        let mut lines = vec![match &self.result {
            None => Line::styled(
                format!("Rotating {old} → {new}: creating {new}, then moving its services …"),
                theme.info,
            ),
            Some(Ok(r)) => Line::styled(
                format!("Created {new} ({} bytes).", r.created.size),
                theme.ok,
            ),
            Some(Err(e)) => Line::styled(format!("Not rotated: {}", p(e)), theme.danger),
        }];
        lines.push(Line::default());
        if self.services.is_empty() {
            lines.push(Line::styled(
                format!("No service uses {old}: only {new} is created."),
                theme.muted,
            ));
        }
        let (base, _) = family(&self.new_name);
        let base = base.to_string();
        lines.extend(service_lines(
            &self.services,
            &new,
            &move |n| {
                if n == 1 {
                    base.clone()
                } else {
                    format!("{base}.v{n}")
                }
            },
            theme,
        ));
        if let Some(Ok(r)) = &self.result {
            lines.push(Line::default());
            match &r.report.failed {
                Some((svc, why)) => {
                    lines.push(Line::styled(
                        format!("The rotation stopped at {}: {}", p(svc), p(why)),
                        theme.danger,
                    ));
                    let moved: Vec<String> = r
                        .report
                        .moved
                        .iter()
                        .filter(|m| &m.name != svc)
                        .map(|m| p(&m.name))
                        .collect();
                    lines.push(Line::styled(
                        if moved.is_empty() {
                            format!("No service was moved; {old} is kept.")
                        } else {
                            format!(
                                "The services already moved stay on {new}: {}. {old} is kept: \
                                 it is still used.",
                                moved.join(", ")
                            )
                        },
                        theme.warn,
                    ));
                }
                None => lines.push(Line::styled(
                    if r.users.is_empty() {
                        format!("{new} is ready; no service used {old}.")
                    } else {
                        format!("Every service that used {old} now runs with {new}.")
                    },
                    theme.ok,
                )),
            }
            match &self.deleted {
                Some(Ok(())) => lines.push(Line::styled(format!("Deleted {old}."), theme.ok)),
                Some(Err(e)) => lines.push(Line::styled(
                    format!("{old} was not deleted: {}", p(e)),
                    theme.danger,
                )),
                None if self.deleting => {
                    lines.push(Line::styled(format!("Deleting {old} …"), theme.info));
                }
                None => {}
            }
        }
        lines
    }

    fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let rect = popup_rect(area);
        frame.render_widget(Clear, rect);
        let state = match (&self.result, self.deleting) {
            (None, _) => "rolling out …",
            (_, true) => "deleting …",
            (Some(_), _) => "finished · Esc close",
        };
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(theme.border_focused)
            .title(Span::styled(
                format!(
                    " rotate · {} → {} ",
                    crate::text::printable(&self.old),
                    crate::text::printable(&self.new_name)
                ),
                theme.title,
            ))
            .title_bottom(Span::styled(format!(" {state} "), theme.muted))
            .style(theme.text);
        frame.render_widget(
            Paragraph::new(self.lines(theme))
                .block(block)
                .wrap(Wrap { trim: false })
                .scroll((self.scroll, 0)),
            rect,
        );
        if let Some(d) = &self.offer {
            d.render(frame, area, theme);
        }
    }
}

/// Where a list popup (and what replaces its list: a rotation, a content) is drawn.
pub(super) fn popup_rect(area: Rect) -> Rect {
    crate::widget::centered(
        area,
        area.width.saturating_sub(2),
        area.height.saturating_sub(2),
    )
}

/// Draw a list popup: the box, the table, and a few lines about the selected row under it.
pub(super) fn draw_list_box<R: Rows + 'static>(
    frame: &mut Frame,
    area: Rect,
    cx: &DrawCtx<'_>,
    list: &ListPane<R>,
    below: Vec<Line<'static>>,
    bottom: String,
) {
    let theme = cx.theme;
    let data = Data::of_draw(cx);
    let title = list.rows.title(data, list.shown());
    let inner = crate::widget::popup_box(
        frame,
        popup_rect(area),
        theme,
        &title,
        list.filter(),
        bottom,
    );
    let width = usize::from(inner.width.max(1));
    let wrapped: usize = below.iter().map(|l| l.width().max(1).div_ceil(width)).sum();
    let below_h = u16::try_from(wrapped)
        .unwrap_or(u16::MAX)
        .min(inner.height.saturating_sub(3));
    let [table, rest] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(below_h)]).areas(inner);
    list.draw_table(frame, table, data, theme, true);
    frame.render_widget(Paragraph::new(below).wrap(Wrap { trim: false }), rest);
}

/// The bottom border's hint for a list popup: its keys in force.
pub(super) fn list_hint(keymap: &Keymap, context: &'static str, own: &[(Action, &str)]) -> String {
    let key = |a: Action| keymap.keys_in(context, a).first().map(ToString::to_string);
    let mut parts: Vec<String> = own
        .iter()
        .filter_map(|(a, w)| Some(format!("{} {w}", key(*a)?)))
        .collect();
    if let Some(f) = key(Action::Filter) {
        parts.push(format!("{f} filter"));
    }
    parts.push("Esc close".into());
    format!(" {} ", parts.join(" · "))
}

/// The `:secrets` popup.
pub struct SecretsView {
    list: ListPane<SecretRows>,
    step: Option<Step>,
    /// The rotation running or last run (shown while [`Step::Rotation`]).
    rotation: Option<Rotation>,
}

impl Default for SecretsView {
    fn default() -> Self {
        Self::new()
    }
}

impl SecretsView {
    pub fn new() -> Self {
        SecretsView {
            list: ListPane::new(SecretRows::default()),
            step: None,
            rotation: None,
        }
    }

    pub fn list(&self) -> &ListPane<SecretRows> {
        &self.list
    }

    /// The form, if it is open.
    pub fn form(&self) -> Option<&ObjectForm> {
        match &self.step {
            Some(Step::Form(f) | Step::Confirm(f, _)) => Some(f),
            _ => None,
        }
    }

    /// The dialog shown, if any (a confirm, a refusal, the offer to delete the old secret).
    pub fn dialog(&self) -> Option<&ConfirmDialog> {
        match &self.step {
            Some(Step::Confirm(_, d) | Step::Dialog(d, _)) => Some(d),
            Some(Step::Rotation) => self.rotation.as_ref().and_then(|r| r.offer.as_ref()),
            _ => None,
        }
    }

    /// The rotation running or last run.
    pub fn rotation(&self) -> Option<&Rotation> {
        self.rotation.as_ref()
    }

    /// Whether a step is drawn over the list.
    pub fn busy(&self) -> bool {
        self.step.is_some()
    }

    fn reload(&mut self, cx: &mut Ctx<'_>) {
        self.list.rows.loading = true;
        cx.fx.app.push(AppCmd::Secrets(SecretsCmd::ListSecrets));
    }

    fn selected(&self) -> Option<(usize, &Secret)> {
        let i = self.list.selected()?;
        Some((i, self.list.rows.items.get(i)?))
    }

    fn names(&self) -> Vec<String> {
        self.list
            .rows
            .items
            .iter()
            .map(|s| s.name.clone())
            .collect()
    }

    fn refuse_readonly(cx: &mut Ctx<'_>) -> bool {
        if cx.readonly {
            cx.fx
                .notify(Level::Warn, "readonly mode: swarmdeck changes nothing");
        }
        cx.readonly
    }

    fn list_key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Outcome {
        match self.list.key(key, cx) {
            Outcome::Ignored => {}
            other => return other,
        }
        let action = cx.action(CONTEXT, key);
        match action {
            Some(Action::NewObject) if !Self::refuse_readonly(cx) => {
                self.step = Some(Step::Form(ObjectForm::create(
                    ObjectKind::Secret,
                    self.names(),
                )));
            }
            Some(Action::DeleteObject) if !Self::refuse_readonly(cx) => {
                if let Some((i, s)) = self.selected() {
                    let (d, ask) = delete_dialog(
                        ObjectKind::Secret,
                        s.id.as_str(),
                        &s.name,
                        self.list.rows.users_of(i),
                    );
                    self.step = Some(Step::Dialog(d, ask));
                }
            }
            Some(Action::RotateSecret) if !Self::refuse_readonly(cx) => self.start_rotate(cx),
            Some(Action::Refresh) => self.reload(cx),
            Some(Action::Back | Action::Quit) => return Outcome::Close,
            _ if key.code == KeyCode::Esc => return Outcome::Close,
            _ => {}
        }
        Outcome::Handled
    }

    fn start_rotate(&mut self, cx: &mut Ctx<'_>) {
        if self.rotation.as_ref().is_some_and(|r| !r.finished()) {
            self.step = Some(Step::Rotation);
            cx.fx
                .notify(Level::Info, "a rotation is running: here it is");
            return;
        }
        let Some((_, s)) = self.selected() else {
            return;
        };
        let (id, name) = (s.id.0.clone(), s.name.clone());
        let step = match rotated_name(&name) {
            Err(e) => {
                let (d, ask) = note("cannot rotate", vec![(Tone::Warn, e)]);
                Step::Dialog(d, ask)
            }
            Ok(new) if self.names().contains(&new) => {
                let (d, ask) = note(
                    "cannot rotate",
                    vec![(
                        Tone::Warn,
                        format!("{new} exists already: rotate {new} instead, or delete it"),
                    )],
                );
                Step::Dialog(d, ask)
            }
            Ok(new) => Step::Form(ObjectForm::rotate(&id, &name, &new)),
        };
        self.step = Some(step);
    }

    /// A key for the step over the list; the step after it.
    fn step_key(&mut self, step: Step, key: &KeyEvent, cx: &mut Ctx<'_>) -> Option<Step> {
        match step {
            Step::Form(f) => match form::form_key(f, key, "configs", cx) {
                FormKey::Stay(f) => Some(Step::Form(f)),
                FormKey::Confirm(f) => Some(confirm(f)),
                FormKey::Cancel => None,
            },
            Step::Confirm(mut f, mut d) => match d.key(key) {
                ConfirmResult::Pending => Some(Step::Confirm(f, d)),
                ConfirmResult::Cancelled => Some(Step::Form(f)),
                ConfirmResult::Confirmed => {
                    let cmd = f.take_command();
                    // the form goes now: nothing of the value stays here
                    drop(f);
                    Some(self.send(cmd, cx))
                }
            },
            Step::Dialog(mut d, ask) => match d.key(key) {
                ConfirmResult::Pending => Some(Step::Dialog(d, ask)),
                ConfirmResult::Cancelled => None,
                ConfirmResult::Confirmed => match ask {
                    Ask::Delete { kind, id, name } => {
                        let what = format!("deleting {} {name} …", kind.word());
                        cx.fx
                            .app
                            .push(AppCmd::Secrets(SecretsCmd::Delete { kind, id, name }));
                        Some(Step::Sending(what))
                    }
                    Ask::Note => None,
                },
            },
            Step::Sending(what) => {
                if key.code == KeyCode::Esc {
                    cx.fx.notify(Level::Info, format!("{what} (goes on)"));
                    None
                } else {
                    Some(Step::Sending(what))
                }
            }
            Step::Rotation => self.rotation_key(key, cx),
        }
    }

    fn send(&mut self, cmd: SecretsCmd, cx: &mut Ctx<'_>) -> Step {
        let step = match &cmd {
            SecretsCmd::Rotate {
                id, name, new_name, ..
            } => {
                let used = self
                    .list
                    .rows
                    .items
                    .iter()
                    .position(|s| s.id.as_str() == id)
                    .map(|i| self.list.rows.users_of(i).to_vec())
                    .unwrap_or_default();
                self.rotation = Some(Rotation::new(id, name, new_name, &used));
                Step::Rotation
            }
            SecretsCmd::Create { kind, name, .. } => {
                Step::Sending(format!("creating {} {name} …", kind.word()))
            }
            _ => Step::Sending("…".into()),
        };
        cx.fx.app.push(AppCmd::Secrets(cmd));
        step
    }

    fn rotation_key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Option<Step> {
        let r = self.rotation.as_mut()?;
        if let Some(d) = r.offer.as_mut() {
            match d.key(key) {
                ConfirmResult::Pending => {}
                ConfirmResult::Cancelled => {
                    r.offer = None;
                    cx.fx.notify(
                        Level::Info,
                        format!("{} is kept; Ctrl-d deletes it later", r.old),
                    );
                }
                ConfirmResult::Confirmed => {
                    r.offer = None;
                    r.deleting = true;
                    cx.fx.app.push(AppCmd::Secrets(SecretsCmd::Delete {
                        kind: ObjectKind::Secret,
                        id: r.old_id.clone(),
                        name: r.old.clone(),
                    }));
                }
            }
            return Some(Step::Rotation);
        }
        match (cx.action(CONTEXT, key), key.code) {
            (Some(Action::Down), _) => r.scroll = r.scroll.saturating_add(1),
            (Some(Action::Up), _) => r.scroll = r.scroll.saturating_sub(1),
            (_, KeyCode::Esc | KeyCode::Enter) | (Some(Action::Quit), _) => {
                if r.finished() && !r.deleting {
                    self.rotation = None;
                } else {
                    cx.fx.notify(
                        Level::Info,
                        format!(
                            "the rotation of {} goes on; {} on it shows it again",
                            r.old,
                            cx.keymap
                                .keys_in(CONTEXT, Action::RotateSecret)
                                .first()
                                .map_or_else(|| "rotate".into(), ToString::to_string)
                        ),
                    );
                }
                return None;
            }
            _ => {}
        }
        Some(Step::Rotation)
    }

    fn below(&self, theme: &Theme) -> Vec<Line<'static>> {
        let mut lines = Vec::new();
        if let Some(e) = &self.list.rows.error {
            lines.push(Line::styled(
                format!("cannot read the secrets: {}", crate::text::printable(e)),
                theme.danger,
            ));
        }
        if let Some(r) = &self.rotation
            && !r.finished()
            && !matches!(self.step, Some(Step::Rotation))
        {
            lines.push(Line::styled(
                format!("rotating {} → {} …", r.old, r.new_name),
                theme.info,
            ));
        }
        if let Some((i, s)) = self.selected() {
            let used = self.list.rows.users_of(i);
            let who = if used.is_empty() {
                "no service uses it".to_string()
            } else {
                format!("used by {}", users_text(used))
            };
            lines.push(Line::styled(
                crate::text::printable(&format!("{} · id {} · {who}", s.name, s.id.short()))
                    .into_owned(),
                theme.muted,
            ));
        }
        lines
    }
}

/// The confirm of a filled form.
fn confirm(f: ObjectForm) -> Step {
    let (title, lines) = f.summary();
    let d = ConfirmDialog::plain(title, lines);
    Step::Confirm(f, d)
}

impl View for SecretsView {
    fn context(&self) -> &'static str {
        CONTEXT
    }

    fn opened(&mut self, cx: &mut Ctx<'_>) {
        self.reload(cx);
    }

    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Outcome {
        match self.step.take() {
            None => self.list_key(key, cx),
            Some(step) => {
                self.step = self.step_key(step, key, cx);
                Outcome::Handled
            }
        }
    }

    fn paste(&mut self, text: &str, cx: &mut Ctx<'_>) -> Outcome {
        let r = match &mut self.step {
            Some(Step::Form(f)) => f.paste(text),
            Some(Step::Confirm(_, d) | Step::Dialog(d, _)) => d.paste(text),
            Some(Step::Rotation) => match self.rotation.as_mut().and_then(|r| r.offer.as_mut()) {
                Some(d) => d.paste(text),
                None => Err("nothing takes a paste here".into()),
            },
            _ => Err("nothing takes a paste here: n opens the form".into()),
        };
        if let Err(why) = r {
            cx.fx.notify(Level::Warn, why);
        }
        Outcome::Handled
    }

    fn apply_filter(&mut self, filter: &str, data: Data<'_>) -> bool {
        self.list.set_filter(filter.to_string(), data);
        true
    }

    fn secrets_msg(&mut self, answer: SecretsAnswer, cx: &mut Ctx<'_>) -> Outcome {
        match answer {
            SecretsAnswer::Secrets(r) => {
                self.list.rows.loading = false;
                match r {
                    Ok(listed) => {
                        if !listed.unreadable.is_empty() {
                            cx.fx.notify(
                                Level::Warn,
                                format!(
                                    "engine sent JSON swarmdeck cannot read, shown as unknown: {}",
                                    listed.unreadable[0]
                                ),
                            );
                        }
                        self.list.rows.set(listed);
                    }
                    Err(e) => self.list.rows.error = Some(e),
                }
                self.list.refresh(Data::of_ctx(cx));
            }
            SecretsAnswer::Created(r) => {
                if matches!(self.step, Some(Step::Sending(_))) {
                    self.step = None;
                }
                match r {
                    Ok(c) => cx.fx.notify(
                        Level::Info,
                        format!("{} {} created ({} bytes)", c.kind.word(), c.name, c.size),
                    ),
                    Err(e) => {
                        let (d, ask) = note(
                            "not created",
                            vec![
                                (Tone::Danger, e),
                                (
                                    Tone::Info,
                                    "the value was not kept: type it again (n)".into(),
                                ),
                            ],
                        );
                        self.step = Some(Step::Dialog(d, ask));
                    }
                }
                self.reload(cx);
            }
            SecretsAnswer::Deleted(r) => {
                match self.rotation.as_mut().filter(|r| r.deleting) {
                    Some(rot) => {
                        rot.deleting = false;
                        rot.deleted = Some(r.clone().map(|_| ()));
                    }
                    None => {
                        if matches!(self.step, Some(Step::Sending(_))) {
                            self.step = None;
                        }
                    }
                }
                match r {
                    Ok((kind, name)) => {
                        cx.fx
                            .notify(Level::Info, format!("{} {name} deleted", kind.word()));
                    }
                    Err(e) => {
                        if !matches!(self.step, Some(Step::Rotation)) {
                            let (d, ask) = note("not deleted", vec![(Tone::Danger, e.clone())]);
                            self.step = Some(Step::Dialog(d, ask));
                        }
                        cx.fx.notify(Level::Danger, format!("not deleted: {e}"));
                    }
                }
                self.reload(cx);
            }
            SecretsAnswer::Rotated(r) => {
                if let Some(rot) = self.rotation.as_mut() {
                    let (level, text) = match &r {
                        Ok(done) if done.report.ok() => (
                            Level::Info,
                            format!("{} → {}: rotated", rot.old, rot.new_name),
                        ),
                        Ok(done) => (
                            Level::Danger,
                            format!(
                                "{} → {}: stopped at {}",
                                rot.old,
                                rot.new_name,
                                done.report.failed.as_ref().map_or("?", |(s, _)| s.as_str())
                            ),
                        ),
                        Err(e) => (Level::Danger, format!("not rotated: {e}")),
                    };
                    cx.fx.notify(level, text);
                    if let Ok(done) = &r
                        && done.report.ok()
                    {
                        rot.offer = Some(ConfirmDialog::typed(
                            format!("Delete the old secret {}?", rot.old),
                            vec![
                                (
                                    Tone::Info,
                                    format!(
                                        "no service uses {} now: every one was moved to {}",
                                        rot.old, rot.new_name
                                    ),
                                ),
                                (Tone::Danger, format!("delete secret {} for good", rot.old)),
                                (Tone::Info, "Esc keeps it".into()),
                            ],
                            rot.old.clone(),
                        ));
                    }
                    // the report has the last word on each service's step
                    if let Ok(done) = &r {
                        for m in &done.report.moved {
                            if let Some(s) = step_mut(&mut rot.services, &m.name)
                                && matches!(s, ServiceStep::Waiting)
                            {
                                *s = ServiceStep::Done { noop: false };
                            }
                        }
                        if let Some((svc, why)) = &done.report.failed
                            && let Some(s) = step_mut(&mut rot.services, svc)
                            && !matches!(s, ServiceStep::Failed(_))
                        {
                            *s = ServiceStep::Failed(why.clone());
                        }
                    }
                    rot.result = Some(r);
                    // the result shows, whatever was on top
                    if !matches!(self.step, Some(Step::Form(_) | Step::Confirm(..))) {
                        self.step = Some(Step::Rotation);
                    }
                }
                self.reload(cx);
            }
            SecretsAnswer::Configs(_) => {}
        }
        Outcome::Handled
    }

    fn config_msg(&mut self, msg: ConfigMsg, _cx: &mut Ctx<'_>) -> Outcome {
        if let (ConfigMsg::Progress(e), Some(r)) = (msg, self.rotation.as_mut()) {
            apply_event(&mut r.services, e);
        }
        Outcome::Handled
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCtx<'_>) {
        let theme = cx.theme;
        let bottom = list_hint(
            cx.keymap,
            CONTEXT,
            &[
                (Action::NewObject, "new"),
                (Action::RotateSecret, "rotate"),
                (Action::DeleteObject, "delete"),
            ],
        );
        draw_list_box(frame, area, cx, &self.list, self.below(theme), bottom);
        match &self.step {
            None => {}
            Some(Step::Form(f)) => {
                let hint = if f.in_text() {
                    "Ctrl-s go on · Esc back"
                } else {
                    "Tab next field · Enter review · Esc cancel"
                };
                f.render(frame, area, theme, hint);
            }
            Some(Step::Confirm(_, d) | Step::Dialog(d, _)) => d.render(frame, area, theme),
            Some(Step::Sending(what)) => {
                let d = ConfirmDialog::refusal("working", vec![(Tone::Info, what.clone())]);
                d.render(frame, area, theme);
            }
            Some(Step::Rotation) => {
                if let Some(r) = &self.rotation {
                    r.draw(frame, area, theme);
                }
            }
        }
    }

    fn hints(&self, keymap: &Keymap) -> Vec<(String, String)> {
        let pair = |k: &str, w: &str| (k.to_string(), w.to_string());
        match &self.step {
            None => {
                let mut h = super::hints_for(
                    keymap,
                    CONTEXT,
                    &[
                        (Action::NewObject, "new"),
                        (Action::RotateSecret, "rotate"),
                        (Action::DeleteObject, "delete"),
                        (Action::Filter, "filter"),
                    ],
                );
                h.push(pair("Esc", "close"));
                h
            }
            Some(Step::Form(f)) if f.in_text() => {
                vec![pair("Ctrl-s", "go on"), pair("Esc", "back")]
            }
            Some(Step::Form(_)) => vec![
                pair("Tab", "next field"),
                pair("Enter", "review"),
                pair("Esc", "cancel"),
            ],
            Some(Step::Confirm(..) | Step::Dialog(..)) => Vec::new(),
            Some(Step::Sending(_)) => vec![pair("Esc", "hide (it goes on)")],
            Some(Step::Rotation) => match &self.rotation {
                Some(r) if r.offering() => Vec::new(),
                Some(r) if r.finished() => vec![pair("j/k", "scroll"), pair("Esc", "close")],
                _ => vec![pair("Esc", "hide (it goes on)")],
            },
        }
    }

    fn actions(&self) -> &'static [Action] {
        &[
            Action::NewObject,
            Action::RotateSecret,
            Action::DeleteObject,
        ]
    }
}
