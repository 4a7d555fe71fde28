//! `:networks`: the networks as the connected manager lists them (the swarm's overlays and
//! that engine's own local networks) with driver, scope, flags, subnets and gateways,
//! labels and which services attach; `n` creates an attachable overlay (a form checked
//! before anything is sent, then a confirm), `Ctrl-d` removes one after a typed confirm —
//! refused while a service attaches, and for ingress and the predefined networks.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Wrap};

use super::cluster::{bottom_words, engine_name, popup_frame};
use super::list::{Column, Data, ListPane, Rows};
use super::{AppCmd, Ctx, DrawCtx, Outcome, View};
use crate::domain::cluster::{
    Network, ServiceUse, attached_services, check_new_network, remove_refusal,
};
use crate::engine::cluster::{ClusterAnswer, ClusterCmd};
use crate::keymap::{Action, Keymap};
use crate::store::Level;
use crate::theme::Theme;
use crate::widget::{ConfirmDialog, ConfirmResult, Field, Form, InputResult, TextInput, Tone};

const ACTIONS: &[Action] = &[Action::Create, Action::Delete];

/// The rows: the networks read and the services' use of them.
#[derive(Default)]
pub struct NetworkRows {
    pub networks: Vec<Network>,
    pub services: Vec<ServiceUse>,
}

fn subnets(n: &Network) -> String {
    n.ipam
        .iter()
        .map(|p| {
            if p.gateway.is_empty() {
                p.subnet.clone()
            } else {
                format!("{} via {}", p.subnet, p.gateway)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn labels(n: &Network) -> String {
    n.labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

impl Rows for NetworkRows {
    fn context(&self) -> &'static str {
        "networks"
    }
    fn title(&self, _data: Data<'_>, shown: usize) -> String {
        format!("networks ({shown})")
    }
    fn len(&self, _data: Data<'_>) -> usize {
        self.networks.len()
    }
    fn id(&self, _data: Data<'_>, i: usize) -> String {
        self.networks[i].id.clone()
    }
    fn text(&self, _data: Data<'_>, i: usize) -> String {
        let n = &self.networks[i];
        format!(
            "{} {} {} {} {} {}",
            n.name,
            n.driver,
            n.scope,
            subnets(n),
            labels(n),
            attached_services(n, &self.services).join(" ")
        )
    }
    fn shows(&self, _what: crate::store::Changed) -> bool {
        false
    }
    fn columns(&self, _data: Data<'_>, _width: u16) -> Vec<Column> {
        vec![
            Column::fill("NAME", 14, 0),
            Column::fixed("DRIVER", 8, 3),
            Column::fixed("SCOPE", 5, 5),
            Column::fixed("ATTACHABLE", 10, 4),
            Column::fixed("INGRESS", 7, 6),
            Column::fixed("INTERNAL", 8, 7),
            Column::fill_weighted("SUBNETS", 16, 2, 1),
            Column::fill("LABELS", 10, 8),
            Column::fill("SERVICES", 12, 2),
        ]
    }
    fn cells(&self, _data: Data<'_>, theme: &Theme, i: usize) -> Vec<Line<'static>> {
        let n = &self.networks[i];
        let users = attached_services(n, &self.services);
        let name_style = if n.ingress || n.is_predefined() {
            theme.muted
        } else {
            theme.text
        };
        vec![
            Line::styled(n.name.clone(), name_style),
            Line::styled(n.driver.clone(), theme.text),
            Line::styled(n.scope.clone(), theme.muted),
            Line::styled(yes(n.attachable), theme.text),
            Line::styled(yes(n.ingress), theme.text),
            Line::styled(yes(n.internal), theme.text),
            Line::styled(subnets(n), theme.text),
            Line::styled(labels(n), theme.muted),
            if users.is_empty() {
                Line::styled("none", theme.muted)
            } else {
                Line::styled(users.join(", "), theme.accent)
            },
        ]
    }
    fn empty(&self, _data: Data<'_>, filtered: bool) -> &'static str {
        if filtered {
            "no network matches the filter"
        } else {
            "reading the networks…"
        }
    }
}

/// What is open over the list.
enum Mode {
    List,
    /// The create form.
    Form(Form),
    /// A confirm (or a refusal), and what it sends.
    Confirm(ConfirmDialog, Option<ClusterCmd>),
}

/// The `:networks` popup.
pub struct NetworksView {
    list: ListPane<NetworkRows>,
    loading: bool,
    message: Option<(Level, String)>,
    mode: Mode,
    /// A create or remove sent, not answered yet.
    busy: Option<String>,
}

impl Default for NetworksView {
    fn default() -> Self {
        Self::new()
    }
}

/// The create form: name, optional subnet and gateway.
pub fn create_form() -> Form {
    Form::new(vec![
        Field::text("name", "Name", TextInput::new().with_max_len(63))
            .with_help("letters, digits, - and _ (a DNS name); an attachable overlay"),
        Field::text("subnet", "Subnet", TextInput::new().with_max_len(43))
            .with_help("optional CIDR, e.g. 10.30.0.0/24 (empty: from the default pool)"),
        Field::text("gateway", "Gateway", TextInput::new().with_max_len(39))
            .with_help("optional, an address inside the subnet"),
    ])
}

impl NetworksView {
    pub fn new() -> Self {
        NetworksView {
            list: ListPane::new(NetworkRows::default()),
            loading: true,
            message: None,
            mode: Mode::List,
            busy: None,
        }
    }

    pub fn list(&self) -> &ListPane<NetworkRows> {
        &self.list
    }

    /// The form, while it is open.
    pub fn form(&self) -> Option<&Form> {
        match &self.mode {
            Mode::Form(f) => Some(f),
            _ => None,
        }
    }

    /// The dialog, while one is open: (title, lines, whether it sends something).
    pub fn dialog(&self) -> Option<(&ConfirmDialog, bool)> {
        match &self.mode {
            Mode::Confirm(d, cmd) => Some((d, cmd.is_some())),
            _ => None,
        }
    }

    /// The selected network's name.
    pub fn selected_name(&self) -> Option<&str> {
        self.selected().map(|n| n.name.as_str())
    }

    /// A create or remove sent and not answered yet.
    pub fn busy(&self) -> Option<&str> {
        self.busy.as_deref()
    }

    pub fn message(&self) -> Option<&str> {
        self.message.as_ref().map(|(_, m)| m.as_str())
    }

    fn read(&mut self, cx: &mut Ctx<'_>) {
        self.loading = true;
        cx.fx.app.push(AppCmd::Cluster(ClusterCmd::Networks));
    }

    fn selected(&self) -> Option<&Network> {
        self.list.rows.networks.get(self.list.selected()?)
    }

    /// `Ctrl-d` on the selected network: the refusal, or the typed confirm.
    fn ask_remove(&mut self, cx: &mut Ctx<'_>) {
        let Some(n) = self.selected().cloned() else {
            return;
        };
        if let Some(why) = remove_refusal(&n, &self.list.rows.services) {
            self.mode = Mode::Confirm(
                ConfirmDialog::refusal(
                    format!("{} is not removed", n.name),
                    vec![(Tone::Warn, why)],
                ),
                None,
            );
            return;
        }
        let mut lines = vec![(
            Tone::Danger,
            format!("Remove the {} network {} ({})?", n.scope, n.name, n.driver),
        )];
        if n.scope == "local" {
            lines.push((
                Tone::Warn,
                format!(
                    "A local network: only {}'s engine's copy is removed.",
                    engine_name(cx.store)
                ),
            ));
        }
        lines.push((
            Tone::Info,
            "No service attaches now; checked again right before. Recorded in the audit log."
                .into(),
        ));
        self.mode = Mode::Confirm(
            ConfirmDialog::typed(format!("Remove {}?", n.name), lines, n.name.clone()),
            Some(ClusterCmd::RemoveNetwork {
                id: n.id.clone(),
                name: n.name.clone(),
            }),
        );
    }

    /// Enter in the form: check it, then the confirm.
    fn submit(&mut self) {
        let Mode::Form(form) = &mut self.mode else {
            return;
        };
        form.validate();
        let text = |f: &Form, n: &str| f.text(n).unwrap_or_default().to_string();
        let checked = check_new_network(
            &text(form, "name"),
            &text(form, "subnet"),
            &text(form, "gateway"),
            &self.list.rows.networks,
        );
        match checked {
            Err(errors) => {
                let first = errors.first().map(|(f, _)| *f);
                for (field, msg) in errors {
                    form.set_error(field, msg);
                }
                if let Some(i) = first.and_then(|f| form.fields().iter().position(|x| x.name == f))
                {
                    form.set_focus(i);
                }
            }
            Ok(new) => {
                let pool = match (&new.subnet, &new.gateway) {
                    (Some(s), Some(g)) => format!("subnet {s}, gateway {g}"),
                    (Some(s), None) => format!("subnet {s} (the engine picks the gateway)"),
                    _ => "a subnet from the swarm's default address pool".to_string(),
                };
                let lines = vec![
                    (
                        Tone::Info,
                        format!(
                            "Create {}: an attachable overlay network, {pool}.",
                            new.name
                        ),
                    ),
                    (
                        Tone::Info,
                        "Services (and standalone containers) on any node can attach to it. \
                         Recorded in the audit log."
                            .into(),
                    ),
                ];
                self.mode = Mode::Confirm(
                    ConfirmDialog::plain(format!("Create network {}?", new.name), lines),
                    Some(ClusterCmd::CreateNetwork(new)),
                );
            }
        }
    }
}

impl View for NetworksView {
    fn context(&self) -> &'static str {
        "networks"
    }

    fn opened(&mut self, cx: &mut Ctx<'_>) {
        self.read(cx);
    }

    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Outcome {
        match &mut self.mode {
            Mode::Form(form) => {
                match key.code {
                    KeyCode::Esc => self.mode = Mode::List,
                    KeyCode::Enter => self.submit(),
                    _ => {
                        let _: InputResult = form.key(key);
                    }
                }
                return Outcome::Handled;
            }
            Mode::Confirm(dialog, cmd) => {
                match dialog.key(key) {
                    ConfirmResult::Pending => {}
                    ConfirmResult::Cancelled => self.mode = Mode::List,
                    ConfirmResult::Confirmed => {
                        if let Some(cmd) = cmd.take() {
                            self.busy = Some(match &cmd {
                                ClusterCmd::CreateNetwork(n) => {
                                    format!("creating network {}…", n.name)
                                }
                                ClusterCmd::RemoveNetwork { name, .. } => {
                                    format!("removing network {name}…")
                                }
                                _ => String::new(),
                            });
                            cx.fx.app.push(AppCmd::Cluster(cmd));
                        }
                        self.mode = Mode::List;
                    }
                }
                return Outcome::Handled;
            }
            Mode::List => {}
        }
        let action = cx.action("networks", key);
        match action {
            Some(Action::Create | Action::Delete) if cx.readonly => {
                cx.fx
                    .notify(Level::Warn, "readonly mode: swarmdeck changes nothing");
                return Outcome::Handled;
            }
            Some(Action::Create) => {
                self.mode = Mode::Form(create_form());
                return Outcome::Handled;
            }
            Some(Action::Delete) => {
                self.ask_remove(cx);
                return Outcome::Handled;
            }
            Some(Action::Refresh) => {
                self.read(cx);
                return Outcome::Handled;
            }
            Some(Action::Help) => {
                return Outcome::Push(Box::new(super::help::Help::new("networks", ACTIONS)));
            }
            _ => {}
        }
        match self.list.key(key, cx) {
            Outcome::Ignored => match (action, key.code) {
                (Some(Action::Back | Action::Quit), _) | (_, KeyCode::Esc) => Outcome::Close,
                _ => Outcome::Handled,
            },
            other => other,
        }
    }

    fn paste(&mut self, text: &str, cx: &mut Ctx<'_>) -> Outcome {
        let refused = match &mut self.mode {
            Mode::Form(form) => form.paste(text).err(),
            Mode::Confirm(dialog, _) => dialog.paste(text).err(),
            Mode::List => Some("nothing takes a paste here; / to filter first".to_string()),
        };
        if let Some(why) = refused {
            cx.fx.notify(Level::Warn, why);
        }
        Outcome::Handled
    }

    fn cluster_msg(&mut self, answer: ClusterAnswer, cx: &mut Ctx<'_>) -> Outcome {
        match answer {
            ClusterAnswer::Networks(Ok((networks, services))) => {
                self.loading = false;
                self.list.rows = NetworkRows { networks, services };
                self.list.refresh(Data::of_ctx(cx));
            }
            ClusterAnswer::Networks(Err(e)) => {
                self.loading = false;
                self.message = Some((Level::Danger, format!("cannot read the networks: {e}")));
            }
            ClusterAnswer::Created(r) => {
                self.busy = None;
                match r {
                    Ok((name, _id)) => {
                        let text = format!("network {name} created (attachable overlay)");
                        cx.fx.notify(Level::Info, text.clone());
                        self.message = Some((Level::Info, text));
                        self.read(cx);
                    }
                    Err(e) => self.message = Some((Level::Danger, e)),
                }
            }
            ClusterAnswer::Removed(r) => {
                self.busy = None;
                match r {
                    Ok(name) => {
                        let text = format!("network {name} removed");
                        cx.fx.notify(Level::Info, text.clone());
                        self.message = Some((Level::Info, text));
                        self.read(cx);
                    }
                    Err(e) => self.message = Some((Level::Danger, e)),
                }
            }
            _ => {}
        }
        Outcome::Handled
    }

    fn apply_filter(&mut self, filter: &str, data: Data<'_>) -> bool {
        self.list.set_filter(filter.to_string(), data);
        true
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCtx<'_>) {
        let theme = cx.theme;
        let data = Data::of_draw(cx);
        let title = self.list.rows.title(data, self.list.shown());
        let bottom = bottom_words(
            cx.keymap,
            "networks",
            &[
                (Action::Down, "move"),
                (Action::Create, "new overlay"),
                (Action::Delete, "remove"),
            ],
        );
        let inner = popup_frame(frame, area, theme, &title, self.list.filter(), &bottom);
        let me = engine_name(cx.store);
        let head = Line::styled(
            format!("as {me}'s engine lists them: the swarm's networks and its own local ones"),
            theme.muted,
        );
        let mut notes: Vec<Line> = Vec::new();
        if let Some(n) = self.selected() {
            let users = attached_services(n, &self.list.rows.services);
            let mut words = vec![n.driver.clone(), n.scope.clone()];
            if n.attachable {
                words.push("attachable".into());
            }
            if n.ingress {
                words.push("ingress".into());
            }
            if n.internal {
                words.push("internal".into());
            }
            let pools = subnets(n);
            if !pools.is_empty() {
                words.push(format!("subnet {pools}"));
            }
            let l = labels(n);
            if !l.is_empty() {
                words.push(format!("labels {l}"));
            }
            words.push(if users.is_empty() {
                "no service attaches".into()
            } else {
                format!("used by {}", users.join(", "))
            });
            notes.push(Line::from(vec![
                Span::styled(format!("{}: ", n.name), theme.accent),
                Span::styled(words.join(" · "), theme.text),
            ]));
        }
        if let Some(b) = &self.busy {
            notes.push(Line::styled(b.clone(), theme.info));
        } else if self.loading && !self.list.rows.networks.is_empty() {
            notes.push(Line::styled("reading the networks again…", theme.muted));
        }
        if let Some((level, m)) = &self.message {
            notes.push(Line::styled(m.clone(), super::level_style(*level, theme)));
        }
        let width = inner.width.max(1);
        let note_h: u16 = notes
            .iter()
            .map(|l| (l.width() as u16).div_ceil(width).max(1))
            .sum::<u16>()
            .min(inner.height / 2);
        let [head_area, table, note_area] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(note_h),
        ])
        .areas(inner);
        frame.render_widget(Paragraph::new(head), head_area);
        self.list.draw_table(frame, table, data, theme, true);
        frame.render_widget(Paragraph::new(notes).wrap(Wrap { trim: false }), note_area);
        match &self.mode {
            Mode::List => {}
            Mode::Confirm(dialog, _) => dialog.render(frame, area, theme),
            Mode::Form(form) => {
                let rect = crate::widget::centered(area, 72.min(area.width), 12);
                frame.render_widget(Clear, rect);
                let block = Block::bordered()
                    .border_type(BorderType::Rounded)
                    .border_style(theme.border_style(true))
                    .title(Span::styled(
                        " new attachable overlay network ",
                        theme.title,
                    ))
                    .title_bottom(Span::styled(
                        " Tab next field · Enter check, then confirm · Esc cancel ",
                        theme.muted,
                    ))
                    .style(theme.text);
                let inner = block.inner(rect);
                frame.render_widget(block, rect);
                form.render(frame, inner, theme);
            }
        }
    }

    fn hints(&self, keymap: &Keymap) -> Vec<(String, String)> {
        match &self.mode {
            Mode::Form(_) => vec![
                ("Tab".into(), "next".into()),
                ("Enter".into(), "check".into()),
                ("Esc".into(), "cancel".into()),
            ],
            Mode::Confirm(d, _) if d.word().is_some() => vec![
                ("Enter".into(), "confirm".into()),
                ("Esc".into(), "cancel".into()),
            ],
            Mode::Confirm(_, None) => vec![("Esc".into(), "close".into())],
            Mode::Confirm(_, Some(_)) => vec![
                ("y".into(), "confirm".into()),
                ("n".into(), "cancel".into()),
            ],
            Mode::List => {
                let mut h = super::hints_for(
                    keymap,
                    "networks",
                    &[
                        (Action::Create, "new overlay"),
                        (Action::Delete, "remove"),
                        (Action::Filter, "filter"),
                    ],
                );
                h.push(("Esc".into(), "close".into()));
                h
            }
        }
    }

    fn actions(&self) -> &'static [Action] {
        ACTIONS
    }
}
