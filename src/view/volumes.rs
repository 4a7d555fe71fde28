//! `:volumes`: a manager's `GET /volumes` lists only its own engine's volumes (Swarm has no
//! cluster-wide list), so the popup says so and shows two lists: this engine's volumes, and
//! what the services' mounts declare across the cluster (volume, driver and its options
//! such as an NFS `addr`/`device`, which services mount it, the nodes their tasks are on
//! now). A named local volume without driver options, used by a replicated service whose
//! tasks are on several nodes, is flagged: each node gets its own empty copy. Read only.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::cluster::{bottom_words, engine_name, popup_frame};
use super::list::{Column, Data, ListPane, Rows};
use super::{AppCmd, Ctx, DrawCtx, Outcome, View};
use crate::domain::cluster::{DeclaredVolume, ServiceUse, Volume, declared_volumes};
use crate::domain::short_age;
use crate::engine::cluster::{ClusterAnswer, ClusterCmd};
use crate::keymap::{Action, Keymap};
use crate::store::{Changed, Store};
use crate::theme::Theme;

fn pairs(m: &std::collections::BTreeMap<String, String>) -> String {
    m.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// This engine's volumes.
#[derive(Default)]
pub struct LocalVolumes {
    pub volumes: Vec<Volume>,
}

impl Rows for LocalVolumes {
    fn context(&self) -> &'static str {
        "volumes"
    }
    fn title(&self, _data: Data<'_>, shown: usize) -> String {
        format!("volumes ({shown})")
    }
    fn len(&self, _data: Data<'_>) -> usize {
        self.volumes.len()
    }
    fn id(&self, _data: Data<'_>, i: usize) -> String {
        self.volumes[i].name.clone()
    }
    fn text(&self, _data: Data<'_>, i: usize) -> String {
        let v = &self.volumes[i];
        format!(
            "{} {} {} {} {} {}",
            v.name,
            v.driver,
            v.scope,
            pairs(&v.options),
            pairs(&v.labels),
            v.mountpoint
        )
    }
    fn shows(&self, _what: Changed) -> bool {
        false
    }
    fn columns(&self, _data: Data<'_>, _width: u16) -> Vec<Column> {
        vec![
            Column::fill("NAME", 12, 0),
            Column::fixed("DRIVER", 8, 2),
            Column::fixed("SCOPE", 6, 5),
            Column::fill("OPTIONS", 14, 3),
            Column::fill("LABELS", 10, 4),
            Column::fixed("CREATED", 8, 6),
            Column::fill_weighted("MOUNTPOINT", 16, 2, 1),
        ]
    }
    fn cells(&self, data: Data<'_>, theme: &Theme, i: usize) -> Vec<Line<'static>> {
        let v = &self.volumes[i];
        vec![
            Line::styled(v.name.clone(), theme.text),
            Line::styled(v.driver.clone(), theme.text),
            Line::styled(v.scope.clone(), theme.muted),
            Line::styled(pairs(&v.options), theme.text),
            Line::styled(pairs(&v.labels), theme.muted),
            Line::styled(
                v.created
                    .map_or_else(String::new, |t| format!("{} ago", short_age(t, data.now))),
                theme.muted,
            ),
            Line::styled(v.mountpoint.clone(), theme.muted),
        ]
    }
    fn empty(&self, _data: Data<'_>, filtered: bool) -> &'static str {
        if filtered {
            "no volume matches the filter"
        } else {
            "no volume on this engine (or not read yet)"
        }
    }
}

/// The volumes the services' mounts declare.
#[derive(Default)]
pub struct DeclaredRows {
    pub services: Vec<ServiceUse>,
    pub declared: Vec<DeclaredVolume>,
}

impl DeclaredRows {
    /// Group the mounts again, with where the tasks are now.
    fn recompute(&mut self, store: &Store) {
        self.declared =
            declared_volumes(&self.services, &store.live_tasks, |id| store.node_name(id));
    }
}

fn volume_name(d: &DeclaredVolume) -> String {
    if d.name.is_empty() {
        "(anonymous)".into()
    } else {
        d.name.clone()
    }
}

impl Rows for DeclaredRows {
    fn context(&self) -> &'static str {
        "volumes"
    }
    fn title(&self, _data: Data<'_>, shown: usize) -> String {
        format!("declared by the services' mounts, across the cluster ({shown})")
    }
    fn len(&self, _data: Data<'_>) -> usize {
        self.declared.len()
    }
    fn id(&self, _data: Data<'_>, i: usize) -> String {
        let d = &self.declared[i];
        format!("{}/{}/{}/{i}", d.name, d.driver, pairs(&d.options))
    }
    fn text(&self, _data: Data<'_>, i: usize) -> String {
        let d = &self.declared[i];
        let users: Vec<&str> = d.users.iter().map(|u| u.service.as_str()).collect();
        format!(
            "{} {} {} {} {}",
            volume_name(d),
            d.driver,
            pairs(&d.options),
            users.join(" "),
            d.nodes().join(" ")
        )
    }
    fn shows(&self, _what: Changed) -> bool {
        false
    }
    fn columns(&self, _data: Data<'_>, _width: u16) -> Vec<Column> {
        vec![
            Column::fill("VOLUME", 10, 0),
            Column::fixed("DRIVER", 8, 3),
            Column::fill_weighted("OPTIONS", 12, 2, 2),
            Column::fill("SERVICES", 10, 1),
            Column::fill("NODES NOW", 10, 1),
            Column::fixed("NOTE", 20, 0),
        ]
    }
    fn cells(&self, _data: Data<'_>, theme: &Theme, i: usize) -> Vec<Line<'static>> {
        let d = &self.declared[i];
        let users: Vec<String> = d.users.iter().map(|u| u.service.clone()).collect();
        let nodes = d.nodes();
        vec![
            Line::styled(
                volume_name(d),
                if d.name.is_empty() {
                    theme.muted
                } else {
                    theme.text
                },
            ),
            Line::styled(d.driver.clone(), theme.text),
            Line::styled(pairs(&d.options), theme.text),
            Line::styled(users.join(", "), theme.accent),
            if nodes.is_empty() {
                Line::styled("no task now", theme.muted)
            } else {
                Line::styled(nodes.join(", "), theme.text)
            },
            match &d.flag {
                Some(_) => Line::styled("⚠ own copy per node", theme.warn),
                None => Line::default(),
            },
        ]
    }
    fn empty(&self, _data: Data<'_>, filtered: bool) -> &'static str {
        if filtered {
            "no declared volume matches the filter"
        } else {
            "no service mounts a volume"
        }
    }
}

/// The `:volumes` popup.
pub struct VolumesView {
    local: ListPane<LocalVolumes>,
    declared: ListPane<DeclaredRows>,
    /// 0: this engine's list, 1: the declared volumes.
    focus: usize,
    loading: bool,
    error: Option<String>,
}

impl Default for VolumesView {
    fn default() -> Self {
        Self::new()
    }
}

impl VolumesView {
    pub fn new() -> Self {
        VolumesView {
            local: ListPane::new(LocalVolumes::default()),
            declared: ListPane::new(DeclaredRows::default()),
            focus: 1,
            loading: true,
            error: None,
        }
    }

    pub fn local(&self) -> &ListPane<LocalVolumes> {
        &self.local
    }

    pub fn declared(&self) -> &ListPane<DeclaredRows> {
        &self.declared
    }

    /// Which list has the keys: 0 this engine's, 1 the declared volumes.
    pub fn focus(&self) -> usize {
        self.focus
    }

    fn read(&mut self, cx: &mut Ctx<'_>) {
        self.loading = true;
        cx.fx.app.push(AppCmd::Cluster(ClusterCmd::Volumes));
    }

    fn selected_declared(&self) -> Option<&DeclaredVolume> {
        self.declared.rows.declared.get(self.declared.selected()?)
    }
}

impl View for VolumesView {
    fn context(&self) -> &'static str {
        "volumes"
    }

    fn opened(&mut self, cx: &mut Ctx<'_>) {
        self.read(cx);
    }

    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Outcome {
        let action = cx.action("volumes", key);
        match action {
            Some(Action::NextPane | Action::PrevPane) => {
                self.focus = 1 - self.focus;
                return Outcome::Handled;
            }
            Some(Action::Refresh) => {
                self.read(cx);
                return Outcome::Handled;
            }
            Some(Action::Help) => {
                return Outcome::Push(Box::new(super::help::Help::new("volumes", &[])));
            }
            _ => {}
        }
        let out = if self.focus == 0 {
            self.local.key(key, cx)
        } else {
            self.declared.key(key, cx)
        };
        match out {
            Outcome::Ignored => match (action, key.code) {
                (Some(Action::Back | Action::Quit), _) | (_, KeyCode::Esc) => Outcome::Close,
                _ => Outcome::Handled,
            },
            // the filter prompt filters the focused list (apply_filter)
            other => other,
        }
    }

    fn cluster_msg(&mut self, answer: ClusterAnswer, cx: &mut Ctx<'_>) -> Outcome {
        if let ClusterAnswer::Volumes(r) = answer {
            self.loading = false;
            match r {
                Ok((volumes, services)) => {
                    self.error = None;
                    self.local.rows.volumes = volumes;
                    self.declared.rows.services = services;
                    self.declared.rows.recompute(cx.store);
                    let data = Data::of_ctx(cx);
                    self.local.refresh(data);
                    self.declared.refresh(data);
                }
                Err(e) => self.error = Some(format!("cannot read the volumes: {e}")),
            }
        }
        Outcome::Handled
    }

    fn changed(&mut self, what: Changed, cx: &mut Ctx<'_>) {
        // where the tasks are now
        if what.tasks || what.nodes {
            self.declared.rows.recompute(cx.store);
            self.declared.refresh(Data::of_ctx(cx));
        }
    }

    fn apply_filter(&mut self, filter: &str, data: Data<'_>) -> bool {
        if self.focus == 0 {
            self.local.set_filter(filter.to_string(), data);
        } else {
            self.declared.set_filter(filter.to_string(), data);
        }
        true
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCtx<'_>) {
        let theme = cx.theme;
        let data = Data::of_draw(cx);
        let me = engine_name(cx.store);
        let bottom = bottom_words(
            cx.keymap,
            "volumes",
            &[(Action::Down, "move"), (Action::NextPane, "other list")],
        );
        let filter = if self.focus == 0 {
            self.local.filter()
        } else {
            self.declared.filter()
        };
        let inner = popup_frame(frame, area, theme, "volumes", filter, &bottom);
        let mut notes: Vec<Line> = Vec::new();
        if let Some(e) = &self.error {
            notes.push(Line::styled(e.clone(), theme.danger));
        } else if self.loading {
            notes.push(Line::styled("reading the volumes…", theme.muted));
        }
        if let Some(d) = self.selected_declared()
            && self.focus == 1
        {
            if !d.options.is_empty() {
                notes.push(Line::from(vec![
                    Span::styled(format!("{} ", volume_name(d)), theme.accent),
                    Span::styled(
                        format!("driver {} · options {}", d.driver, pairs(&d.options)),
                        theme.text,
                    ),
                ]));
            }
            for u in &d.users {
                let nodes = if u.nodes.is_empty() {
                    "no task now".to_string()
                } else {
                    format!("tasks on {}", u.nodes.join(", "))
                };
                let mode = match u.replicas {
                    Some(n) => format!("replicated ×{n}"),
                    None => "not replicated".into(),
                };
                notes.push(Line::from(vec![
                    Span::styled(format!("{} ", u.service), theme.accent),
                    Span::styled(
                        format!("({mode}) mounts it at {} · {nodes}", u.targets.join(", ")),
                        theme.text,
                    ),
                ]));
            }
            if let Some(f) = &d.flag {
                notes.push(Line::styled(format!("⚠ {f}"), theme.warn));
            }
        }
        let width = inner.width.max(1);
        let note_h: u16 = notes
            .iter()
            .map(|l| (l.width() as u16).div_ceil(width).max(1))
            .sum::<u16>()
            .min(inner.height / 3);
        let avail = inner.height.saturating_sub(3 + note_h);
        let local_h = (self.local.rows.volumes.len() as u16 + 1)
            .max(2)
            .min(avail * 2 / 5)
            .max(avail.min(2));
        let [warn_area, t1, l_area, t2, d_area, note_area] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(local_h),
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(note_h),
        ])
        .areas(inner);
        frame.render_widget(
            Paragraph::new(Line::styled(
                format!("volumes of {me}'s engine only; Swarm has no cluster-wide volume list"),
                theme.warn,
            )),
            warn_area,
        );
        let heading = |text: String, focused: bool| {
            Line::styled(text, if focused { theme.title } else { theme.muted })
        };
        frame.render_widget(
            Paragraph::new(heading(
                format!("{me}'s volumes ({})", self.local.shown()),
                self.focus == 0,
            )),
            t1,
        );
        self.local
            .draw_table(frame, l_area, data, theme, self.focus == 0);
        frame.render_widget(
            Paragraph::new(heading(
                self.declared.rows.title(data, self.declared.shown()),
                self.focus == 1,
            )),
            t2,
        );
        self.declared
            .draw_table(frame, d_area, data, theme, self.focus == 1);
        frame.render_widget(Paragraph::new(notes).wrap(Wrap { trim: false }), note_area);
    }

    fn hints(&self, keymap: &Keymap) -> Vec<(String, String)> {
        let mut h = super::hints_for(
            keymap,
            "volumes",
            &[(Action::NextPane, "other list"), (Action::Filter, "filter")],
        );
        h.push(("Esc".into(), "close".into()));
        h
    }
}
