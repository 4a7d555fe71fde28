//! `:configs`: the swarm's configs, with their size and the services that mount them. The
//! global config's own versions (`swarmdeck-<doc>.vN`, as `gconfig` names them) are one row
//! per document, expanded with a key. `Enter` shows a config's content (text in a read-only
//! editor, with JSON colours when it parses; binary as its size and sha256); `n` creates one
//! from a file or typed text; `Ctrl-d` deletes one no service uses.

use std::cell::RefCell;
use std::collections::BTreeSet;

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

use super::form::{FormKey, ObjectForm};
use super::{Ask, age, delete_dialog, draw_list_box, list_hint, note, popup_rect, users_cell};
use crate::domain::secrets::{ObjectKind, gconfig_version, labels_text, users, users_text};
use crate::domain::{Config, ServiceRefs, User};
use crate::engine::secrets::{Listed, SecretsAnswer, SecretsCmd};
use crate::gconfig::Kind;
use crate::keymap::{Action, Keymap};
use crate::store::{Changed, Level};
use crate::theme::Theme;
use crate::view::list::{Column, Data, ListPane, Rows};
use crate::view::{AppCmd, Ctx, DrawCtx, Outcome, View};
use crate::widget::editor::Syntax;
use crate::widget::{ConfirmDialog, ConfirmResult, Editor, Tone};

const CONTEXT: &str = "configs";

/// A global config document's versions (or its schema's).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupKey {
    pub doc: String,
    /// The schema's versions, not the document's.
    pub schema: bool,
}

impl GroupKey {
    fn of(doc: String, kind: Kind) -> Self {
        GroupKey {
            doc,
            schema: kind == Kind::Schema,
        }
    }

    /// `swarmdeck-rx`, `swarmdeck-rx-schema`.
    pub fn name(&self) -> String {
        if self.schema {
            format!("swarmdeck-{}-schema", self.doc)
        } else {
            format!("swarmdeck-{}", self.doc)
        }
    }
}

/// One row of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    /// A config (its index in the items).
    Config(usize),
    /// A document's versions: the items, oldest first.
    Group(GroupKey, Vec<(u64, usize)>),
    /// A version under its expanded group.
    Member(usize),
}

/// The configs as listed, each one's users, and the rows (groups folded or not).
#[derive(Default)]
pub struct ConfigRows {
    pub items: Vec<Config>,
    pub services: Vec<ServiceRefs>,
    users: Vec<Vec<User>>,
    pub rows: Vec<Row>,
    pub expanded: BTreeSet<GroupKey>,
    pub loading: bool,
    pub error: Option<String>,
}

/// The rows of `items` (sorted by name): a config alone, or its document's group (once, where
/// its first version would be), with the versions under it, newest first, when `expanded`.
pub fn group_rows(items: &[Config], expanded: &BTreeSet<GroupKey>) -> Vec<Row> {
    let mut groups: Vec<(GroupKey, Vec<(u64, usize)>)> = Vec::new();
    for (i, c) in items.iter().enumerate() {
        if let Some((doc, kind, n)) = gconfig_version(&c.name) {
            let key = GroupKey::of(doc, kind);
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, v)) => v.push((n, i)),
                None => groups.push((key, vec![(n, i)])),
            }
        }
    }
    for (_, v) in &mut groups {
        v.sort();
    }
    let mut rows = Vec::new();
    let mut seen: BTreeSet<GroupKey> = BTreeSet::new();
    for (i, c) in items.iter().enumerate() {
        match gconfig_version(&c.name) {
            None => rows.push(Row::Config(i)),
            Some((doc, kind, _)) => {
                let key = GroupKey::of(doc, kind);
                if !seen.insert(key.clone()) {
                    continue;
                }
                let Some((_, members)) = groups.iter().find(|(k, _)| *k == key) else {
                    continue;
                };
                rows.push(Row::Group(key.clone(), members.clone()));
                if expanded.contains(&key) {
                    rows.extend(members.iter().rev().map(|(_, i)| Row::Member(*i)));
                }
            }
        }
    }
    rows
}

/// "1.2 KiB".
fn size(bytes: usize) -> String {
    crate::view::config::size_text(bytes)
}

impl ConfigRows {
    fn set(&mut self, listed: Listed<Config>) {
        self.users = listed
            .items
            .iter()
            .map(|c| users(&listed.services, ObjectKind::Config, c.id.as_str(), &c.name))
            .collect();
        self.items = listed.items;
        self.services = listed.services;
        self.error = None;
        self.regroup();
    }

    fn regroup(&mut self) {
        self.rows = group_rows(&self.items, &self.expanded);
    }

    /// The services that mount config `i`.
    pub fn users_of(&self, i: usize) -> &[User] {
        self.users.get(i).map_or(&[], Vec::as_slice)
    }

    /// The config a row stands for (a group: its newest version).
    pub fn config_of(&self, row: usize) -> Option<usize> {
        match self.rows.get(row)? {
            Row::Config(i) | Row::Member(i) => Some(*i),
            Row::Group(_, m) => m.last().map(|(_, i)| *i),
        }
    }

    fn group_users(&self, members: &[(u64, usize)]) -> Vec<User> {
        let mut all: Vec<User> = members
            .iter()
            .flat_map(|(_, i)| self.users_of(*i).iter().cloned())
            .collect();
        all.sort();
        all.dedup();
        all
    }
}

impl Rows for ConfigRows {
    fn context(&self) -> &'static str {
        CONTEXT
    }
    fn title(&self, _data: Data<'_>, _shown: usize) -> String {
        format!("configs ({})", self.items.len())
    }
    fn len(&self, _data: Data<'_>) -> usize {
        self.rows.len()
    }
    fn id(&self, _data: Data<'_>, i: usize) -> String {
        match &self.rows[i] {
            Row::Config(c) | Row::Member(c) => self.items[*c].id.0.clone(),
            Row::Group(k, _) => format!("group {}", k.name()),
        }
    }
    fn text(&self, _data: Data<'_>, i: usize) -> String {
        let one = |c: usize| {
            let cfg = &self.items[c];
            let used: Vec<&str> = self
                .users_of(c)
                .iter()
                .map(|u| u.service.as_str())
                .collect();
            format!(
                "{} {} {}",
                cfg.name,
                labels_text(&cfg.labels),
                used.join(" ")
            )
        };
        match &self.rows[i] {
            Row::Config(c) | Row::Member(c) => one(*c),
            Row::Group(k, m) => {
                let all: Vec<String> = m.iter().map(|(_, c)| one(*c)).collect();
                format!("{} global config {}", k.name(), all.join(" "))
            }
        }
    }
    fn shows(&self, _what: Changed) -> bool {
        false
    }
    fn columns(&self, _data: Data<'_>, _width: u16) -> Vec<Column> {
        // a group's row ("▸ swarmdeck-rx (3 versions, newest v3)") fits at 80 columns
        vec![
            Column::fill_weighted("NAME", 36, 2, 0),
            Column::fixed("SIZE", 9, 1),
            Column::fill("USED BY (TARGET)", 18, 0),
            Column::fixed("CREATED", 7, 2),
            Column::fill("LABELS", 12, 3),
        ]
    }
    fn cells(&self, data: Data<'_>, theme: &Theme, i: usize) -> Vec<Line<'static>> {
        let p = |t: &str| crate::text::printable(t).into_owned();
        match &self.rows[i] {
            Row::Config(c) | Row::Member(c) => {
                let cfg = &self.items[*c];
                let name = match &self.rows[i] {
                    Row::Member(_) => format!("  └ {}", p(&cfg.name)),
                    _ => p(&cfg.name),
                };
                vec![
                    Line::styled(name, theme.text),
                    Line::styled(
                        cfg.data.as_ref().map_or("-".into(), |d| size(d.len())),
                        theme.muted,
                    ),
                    users_cell(self.users_of(*c), theme),
                    Line::styled(age(cfg.created, data.now), theme.muted),
                    // a global config version's own labels are noise: who published it
                    match (&self.rows[i], cfg.labels.get(crate::gconfig::LABEL_AUTHOR)) {
                        (Row::Member(_), Some(a)) => {
                            Line::styled(format!("by {}", p(a)), theme.muted)
                        }
                        _ => Line::styled(p(&labels_text(&cfg.labels)), theme.muted),
                    },
                ]
            }
            Row::Group(k, m) => {
                let newest = m.last().map(|(_, c)| &self.items[*c]);
                let mark = if self.expanded.contains(k) {
                    "▾"
                } else {
                    "▸"
                };
                let count = m.len();
                let plural = if count == 1 { "" } else { "s" };
                let what = if k.schema {
                    "its schema"
                } else {
                    "global config"
                };
                vec![
                    Line::styled(
                        format!(
                            "{mark} {} ({count} version{plural}, newest v{})",
                            p(&k.name()),
                            m.last().map_or(0, |(n, _)| *n)
                        ),
                        theme.title,
                    ),
                    Line::styled(newest.map_or("-".into(), |c| size(c.size())), theme.muted),
                    users_cell(&self.group_users(m), theme),
                    Line::styled(
                        newest.map_or("-".into(), |c| age(c.created, data.now)),
                        theme.muted,
                    ),
                    Line::styled(format!("{what} (:config {})", p(&k.doc)), theme.muted),
                ]
            }
        }
    }
    fn empty(&self, _data: Data<'_>, filtered: bool) -> &'static str {
        if self.loading && self.items.is_empty() {
            "reading…"
        } else if self.error.is_some() {
            "the configs could not be read (below)"
        } else if filtered {
            "no config matches the filter"
        } else {
            "no config yet"
        }
    }
}

/// A config's content: text in a read-only editor, or a binary's size and sha256.
pub struct Content {
    pub name: String,
    pub editor: Option<RefCell<Editor>>,
    /// (size, sha256) of a binary config.
    pub binary: Option<(usize, String)>,
    styled: RefCell<bool>,
}

impl Content {
    pub fn new(cfg: &Config) -> Self {
        let data = cfg.data.clone().unwrap_or_default();
        let text = std::str::from_utf8(&data)
            .ok()
            .filter(|t| !t.contains('\0'))
            .map(str::to_string);
        match text {
            Some(t) => {
                let mut e = Editor::new(&t);
                e.set_readonly(true);
                if serde_json::from_str::<serde_json::Value>(&t).is_ok() {
                    e.set_syntax(Some(Syntax::Json));
                }
                Content {
                    name: cfg.name.clone(),
                    editor: Some(RefCell::new(e)),
                    binary: None,
                    styled: RefCell::new(false),
                }
            }
            None => Content {
                name: cfg.name.clone(),
                editor: None,
                binary: Some((data.len(), crate::gconfig::sha256_hex(&data))),
                styled: RefCell::new(false),
            },
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let rect = popup_rect(area);
        frame.render_widget(Clear, rect);
        let name = crate::text::printable(&self.name).into_owned();
        match (&self.editor, &self.binary) {
            (Some(e), _) => {
                if !*self.styled.borrow() {
                    e.borrow_mut().set_style(theme);
                    *self.styled.borrow_mut() = true;
                }
                let json = e.borrow().syntax().is_some();
                let title = format!(
                    "{name} ({}, read-only{}) · Esc back",
                    size(e.borrow().text().len()),
                    if json { ", JSON" } else { "" }
                );
                e.borrow().render(frame, rect, &title, true);
            }
            (None, Some((n, sha))) => {
                let block = Block::bordered()
                    .border_type(BorderType::Rounded)
                    .border_style(theme.border_focused)
                    .title(Span::styled(format!(" {name} "), theme.title))
                    .title_bottom(Span::styled(" Esc back ", theme.muted))
                    .style(theme.text);
                let lines = vec![
                    Line::styled("binary data (not UTF-8 text): not shown", theme.muted),
                    Line::default(),
                    Line::styled(format!("size    {n} bytes ({})", size(*n)), theme.text),
                    Line::styled(format!("sha256  {sha}"), theme.text),
                ];
                frame.render_widget(Paragraph::new(lines).block(block), rect);
            }
            (None, None) => {}
        }
    }
}

enum Step {
    Form(ObjectForm),
    Confirm(ObjectForm, ConfirmDialog),
    Dialog(ConfirmDialog, Ask),
    Sending(String),
    Content(Content),
}

/// The `:configs` popup.
pub struct ConfigsView {
    list: ListPane<ConfigRows>,
    step: Option<Step>,
}

impl Default for ConfigsView {
    fn default() -> Self {
        Self::new()
    }
}

impl ConfigsView {
    pub fn new() -> Self {
        ConfigsView {
            list: ListPane::new(ConfigRows::default()),
            step: None,
        }
    }

    pub fn list(&self) -> &ListPane<ConfigRows> {
        &self.list
    }

    /// The content shown, if any.
    pub fn content(&self) -> Option<&Content> {
        match &self.step {
            Some(Step::Content(c)) => Some(c),
            _ => None,
        }
    }

    /// The dialog shown, if any.
    pub fn dialog(&self) -> Option<&ConfirmDialog> {
        match &self.step {
            Some(Step::Confirm(_, d) | Step::Dialog(d, _)) => Some(d),
            _ => None,
        }
    }

    /// The form, if it is open.
    pub fn form(&self) -> Option<&ObjectForm> {
        match &self.step {
            Some(Step::Form(f) | Step::Confirm(f, _)) => Some(f),
            _ => None,
        }
    }

    fn reload(&mut self, cx: &mut Ctx<'_>) {
        self.list.rows.loading = true;
        cx.fx.app.push(AppCmd::Secrets(SecretsCmd::ListConfigs));
    }

    fn selected_row(&self) -> Option<&Row> {
        self.list.rows.rows.get(self.list.selected()?)
    }

    fn toggle(&mut self, cx: &mut Ctx<'_>) {
        let key = match self.selected_row() {
            Some(Row::Group(k, _)) => k.clone(),
            Some(Row::Member(i)) => match gconfig_version(&self.list.rows.items[*i].name) {
                Some((doc, kind, _)) => GroupKey::of(doc, kind),
                None => return,
            },
            _ => return,
        };
        if !self.list.rows.expanded.remove(&key) {
            self.list.rows.expanded.insert(key.clone());
        }
        self.list.rows.regroup();
        let data = Data::of_ctx(cx);
        self.list.refresh(data);
        self.list.select_id(&format!("group {}", key.name()), data);
    }

    fn list_key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Outcome {
        match self.list.key(key, cx) {
            Outcome::Ignored => {}
            other => return other,
        }
        let readonly = |cx: &mut Ctx<'_>| {
            if cx.readonly {
                cx.fx
                    .notify(Level::Warn, "readonly mode: swarmdeck changes nothing");
            }
            cx.readonly
        };
        match cx.action(CONTEXT, key) {
            Some(Action::ToggleGroup) => self.toggle(cx),
            Some(Action::Enter) => match self.selected_row() {
                Some(Row::Group(..)) => self.toggle(cx),
                Some(Row::Config(i) | Row::Member(i)) => {
                    self.step = Some(Step::Content(Content::new(&self.list.rows.items[*i])));
                }
                None => {}
            },
            Some(Action::NewObject) if !readonly(cx) => {
                let names = self
                    .list
                    .rows
                    .items
                    .iter()
                    .map(|c| c.name.clone())
                    .collect();
                self.step = Some(Step::Form(ObjectForm::create(ObjectKind::Config, names)));
            }
            Some(Action::DeleteObject) if !readonly(cx) => {
                let step = match self.selected_row() {
                    Some(Row::Group(k, _)) => {
                        let (d, ask) = note(
                            "a global config document",
                            vec![(
                                Tone::Info,
                                format!(
                                    "{} holds the versions of :config {}: expand it ({}) and \
                                     delete a version, or let its retention do it",
                                    k.name(),
                                    k.doc,
                                    cx.keymap
                                        .keys_in(CONTEXT, Action::ToggleGroup)
                                        .first()
                                        .map_or_else(|| "Enter".into(), ToString::to_string)
                                ),
                            )],
                        );
                        Some(Step::Dialog(d, ask))
                    }
                    Some(Row::Config(i) | Row::Member(i)) => {
                        let c = &self.list.rows.items[*i];
                        let (d, ask) = delete_dialog(
                            ObjectKind::Config,
                            c.id.as_str(),
                            &c.name,
                            self.list.rows.users_of(*i),
                        );
                        Some(Step::Dialog(d, ask))
                    }
                    None => None,
                };
                self.step = step;
            }
            Some(Action::Refresh) => self.reload(cx),
            Some(Action::Back | Action::Quit) => return Outcome::Close,
            _ if key.code == KeyCode::Esc => return Outcome::Close,
            _ => {}
        }
        Outcome::Handled
    }

    fn step_key(&mut self, step: Step, key: &KeyEvent, cx: &mut Ctx<'_>) -> Option<Step> {
        match step {
            Step::Content(c) => {
                if matches!(key.code, KeyCode::Esc | KeyCode::Char('q')) {
                    return None;
                }
                if let Some(e) = &c.editor {
                    let _ = e.borrow_mut().key(key);
                }
                Some(Step::Content(c))
            }
            Step::Form(f) => match super::form::form_key(f, key, CONTEXT, cx) {
                FormKey::Stay(f) => Some(Step::Form(f)),
                FormKey::Confirm(f) => Some(confirm(f)),
                FormKey::Cancel => None,
            },
            Step::Confirm(mut f, mut d) => match d.key(key) {
                ConfirmResult::Pending => Some(Step::Confirm(f, d)),
                ConfirmResult::Cancelled => Some(Step::Form(f)),
                ConfirmResult::Confirmed => {
                    let cmd = f.take_command();
                    drop(f);
                    let name = match &cmd {
                        SecretsCmd::Create { name, .. } => name.clone(),
                        _ => String::new(),
                    };
                    cx.fx.app.push(AppCmd::Secrets(cmd));
                    Some(Step::Sending(format!("creating config {name} …")))
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
        }
    }

    fn below(&self, theme: &Theme) -> Vec<Line<'static>> {
        let p = |t: &str| crate::text::printable(t).into_owned();
        let mut lines = Vec::new();
        if let Some(e) = &self.list.rows.error {
            lines.push(Line::styled(
                format!("cannot read the configs: {}", p(e)),
                theme.danger,
            ));
        }
        let rows = &self.list.rows;
        match self.selected_row() {
            Some(Row::Group(k, m)) => {
                let used = rows.group_users(m);
                lines.push(Line::styled(
                    format!(
                        "{}: the versions of the global config document {} · {}",
                        p(&k.name()),
                        p(&k.doc),
                        if used.is_empty() {
                            "no service mounts one".to_string()
                        } else {
                            format!("mounted by {}", p(&users_text(&used)))
                        }
                    ),
                    theme.muted,
                ));
            }
            Some(Row::Config(i) | Row::Member(i)) => {
                let c = &rows.items[*i];
                let used = rows.users_of(*i);
                lines.push(Line::styled(
                    format!(
                        "{} · id {} · {}",
                        p(&c.name),
                        c.id.short(),
                        if used.is_empty() {
                            "no service uses it".to_string()
                        } else {
                            format!("used by {}", p(&users_text(used)))
                        }
                    ),
                    theme.muted,
                ));
            }
            None => {}
        }
        lines
    }
}

fn confirm(f: ObjectForm) -> Step {
    let (title, lines) = f.summary();
    Step::Confirm(f, ConfirmDialog::plain(title, lines))
}

impl View for ConfigsView {
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
        let sending = matches!(self.step, Some(Step::Sending(_)));
        match answer {
            SecretsAnswer::Configs(r) => {
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
                if sending {
                    self.step = None;
                }
                match r {
                    Ok(c) => cx.fx.notify(
                        Level::Info,
                        format!("config {} created ({} bytes)", c.name, c.size),
                    ),
                    Err(e) => {
                        let (d, ask) = note("not created", vec![(Tone::Danger, e)]);
                        self.step = Some(Step::Dialog(d, ask));
                    }
                }
                self.reload(cx);
            }
            SecretsAnswer::Deleted(r) => {
                if sending {
                    self.step = None;
                }
                match r {
                    Ok((_, name)) => cx.fx.notify(Level::Info, format!("config {name} deleted")),
                    Err(e) => {
                        let (d, ask) = note("not deleted", vec![(Tone::Danger, e)]);
                        self.step = Some(Step::Dialog(d, ask));
                    }
                }
                self.reload(cx);
            }
            _ => {}
        }
        Outcome::Handled
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCtx<'_>) {
        let theme = cx.theme;
        let bottom = list_hint(
            cx.keymap,
            CONTEXT,
            &[
                (Action::Enter, "view"),
                (Action::ToggleGroup, "expand"),
                (Action::NewObject, "new"),
                (Action::DeleteObject, "delete"),
            ],
        );
        draw_list_box(frame, area, cx, &self.list, self.below(theme), bottom);
        match &self.step {
            None => {}
            Some(Step::Content(c)) => c.draw(frame, area, theme),
            Some(Step::Form(f)) => {
                let hint = if f.in_text() {
                    "Ctrl-s go on · Esc back"
                } else {
                    "Tab next field · Enter go on · Esc cancel"
                };
                f.render(frame, area, theme, hint);
            }
            Some(Step::Confirm(_, d) | Step::Dialog(d, _)) => d.render(frame, area, theme),
            Some(Step::Sending(what)) => {
                ConfirmDialog::refusal("working", vec![(Tone::Info, what.clone())])
                    .render(frame, area, theme);
            }
        }
    }

    fn hints(&self, keymap: &Keymap) -> Vec<(String, String)> {
        let pair = |k: &str, w: &str| (k.to_string(), w.to_string());
        match &self.step {
            None => {
                let mut h = crate::view::hints_for(
                    keymap,
                    CONTEXT,
                    &[
                        (Action::Enter, "view"),
                        (Action::ToggleGroup, "expand"),
                        (Action::NewObject, "new"),
                        (Action::DeleteObject, "delete"),
                        (Action::Filter, "filter"),
                    ],
                );
                h.push(pair("Esc", "close"));
                h
            }
            Some(Step::Content(_)) => vec![pair("j/k", "move"), pair("Esc", "back")],
            Some(Step::Form(f)) if f.in_text() => {
                vec![pair("Ctrl-s", "go on"), pair("Esc", "back")]
            }
            Some(Step::Form(_)) => vec![
                pair("Tab", "next field"),
                pair("Enter", "go on"),
                pair("Esc", "cancel"),
            ],
            Some(Step::Confirm(..) | Step::Dialog(..)) => Vec::new(),
            Some(Step::Sending(_)) => vec![pair("Esc", "hide (it goes on)")],
        }
    }

    fn actions(&self) -> &'static [Action] {
        &[Action::ToggleGroup, Action::NewObject, Action::DeleteObject]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ConfigId;

    fn cfg(name: &str) -> Config {
        Config {
            id: ConfigId(format!("id-{name}")),
            name: name.into(),
            data: Some(b"{}".to_vec()),
            ..Default::default()
        }
    }

    #[test]
    fn the_global_configs_versions_are_one_row_per_document() {
        let items: Vec<Config> = [
            "app.conf",
            "swarmdeck-global-schema.v1",
            "swarmdeck-global.v1",
            "swarmdeck-global.v10",
            "swarmdeck-global.v2",
            "swarmdeck-rx.v3",
            "zz",
        ]
        .iter()
        .map(|n| cfg(n))
        .collect();
        let folded = group_rows(&items, &BTreeSet::new());
        let global = GroupKey {
            doc: "global".into(),
            schema: false,
        };
        assert_eq!(
            folded,
            vec![
                Row::Config(0),
                Row::Group(
                    GroupKey {
                        doc: "global".into(),
                        schema: true
                    },
                    vec![(1, 1)]
                ),
                Row::Group(global.clone(), vec![(1, 2), (2, 4), (10, 3)]),
                Row::Group(
                    GroupKey {
                        doc: "rx".into(),
                        schema: false
                    },
                    vec![(3, 5)]
                ),
                Row::Config(6),
            ]
        );
        let open = group_rows(&items, &BTreeSet::from([global.clone()]));
        assert_eq!(
            open[2..6],
            [
                Row::Group(global, vec![(1, 2), (2, 4), (10, 3)]),
                Row::Member(3),
                Row::Member(4),
                Row::Member(2),
            ],
            "newest first under the group"
        );
    }

    #[test]
    fn content_is_text_with_json_colours_or_binary_with_its_sha256() {
        let json = Content::new(&cfg("a"));
        let e = json.editor.as_ref().expect("text");
        assert_eq!(e.borrow().syntax(), Some(Syntax::Json));
        assert!(e.borrow().readonly());
        let mut plain = cfg("b");
        plain.data = Some(b"listen = 8080\n".to_vec());
        let c = Content::new(&plain);
        assert_eq!(c.editor.as_ref().map(|e| e.borrow().syntax()), Some(None));
        let mut bin = cfg("c");
        bin.data = Some(vec![0, 159, 146, 150]);
        let c = Content::new(&bin);
        assert!(c.editor.is_none());
        let (n, sha) = c.binary.clone().expect("binary");
        assert_eq!(n, 4);
        assert_eq!(sha, crate::gconfig::sha256_hex(&[0, 159, 146, 150]));
    }
}
