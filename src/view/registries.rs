//! `:registries`: the registries `~/.docker/config.json` knows (its `auths` keys, its
//! `credHelpers`, its `credsStore`), where each one's credentials come from, the user when the
//! file stores it, and the services whose image is on it; the registries the services pull
//! from with no credentials here are flagged (a hint: a registry may allow anonymous pulls).
//! Never a password or token: the engine task reads the file and sends only this summary, and
//! no credential helper is run to list. The deploy wizard and the image update (`i`) use the
//! same lookup ([`crate::deploy::stored_auth`] through
//! [`crate::engine::deploy::config_auth`]).

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use super::list::{Column, Data, ListPane, Rows};
use super::{AppCmd, Ctx, DrawCtx, Outcome, View};
use crate::deploy::{CredSource, Registries};
use crate::domain::Service;
use crate::engine::deploy::{DeployAnswer, DeployCmd};
use crate::keymap::{Action, Keymap};
use crate::store::Changed;
use crate::theme::Theme;

/// One registry: where its credentials come from (None: nowhere here) and the services
/// whose image is on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryRow {
    pub host: String,
    pub source: Option<CredSource>,
    pub services: Vec<String>,
}

impl RegistryRow {
    /// Services pull from it, and nothing here has credentials for it (Docker Hub is not
    /// flagged: its public images pull anonymously).
    pub fn flagged(&self) -> bool {
        !self.services.is_empty()
            && self.host != "docker.io"
            && !self.source.as_ref().is_some_and(CredSource::usable)
    }
}

/// The rows: every registry the file knows, then every other registry the services pull
/// from, each with its services (by name).
pub fn registry_rows(reg: &Registries, services: &[Service]) -> Vec<RegistryRow> {
    let on = |host: &str| -> Vec<String> {
        let mut v: Vec<String> = services
            .iter()
            .filter(|s| crate::deploy::image_registry(&s.image) == host)
            .map(|s| s.name.clone())
            .collect();
        v.sort();
        v
    };
    let mut rows: Vec<RegistryRow> = reg
        .known
        .iter()
        .map(|k| RegistryRow {
            host: k.host.clone(),
            source: Some(k.source.clone()),
            services: on(&k.host),
        })
        .collect();
    let mut used: Vec<String> = services
        .iter()
        .map(|s| crate::deploy::image_registry(&s.image))
        .filter(|h| !reg.known.iter().any(|k| &k.host == h))
        .collect();
    used.sort();
    used.dedup();
    for host in used {
        rows.push(RegistryRow {
            source: reg.source_for(&host),
            services: on(&host),
            host,
        });
    }
    rows
}

#[derive(Default)]
pub struct RegistryRows {
    /// What the engine read; None until it answers.
    pub read: Option<Result<Registries, String>>,
    rows: Vec<RegistryRow>,
}

impl RegistryRows {
    pub fn rows(&self) -> &[RegistryRow] {
        &self.rows
    }
}

impl Rows for RegistryRows {
    fn context(&self) -> &'static str {
        "registries"
    }
    fn title(&self, _data: Data<'_>, shown: usize) -> String {
        format!("registries ({shown})")
    }
    fn prepare(&mut self, data: Data<'_>) {
        self.rows = match &self.read {
            Some(Ok(r)) => registry_rows(r, &data.store.services),
            // nothing read: the services' registries, with no credentials known
            _ => registry_rows(&Registries::default(), &data.store.services),
        };
    }
    fn len(&self, _data: Data<'_>) -> usize {
        self.rows.len()
    }
    fn id(&self, _data: Data<'_>, i: usize) -> String {
        self.rows.get(i).map(|r| r.host.clone()).unwrap_or_default()
    }
    fn text(&self, _data: Data<'_>, i: usize) -> String {
        self.rows.get(i).map_or_else(String::new, |r| {
            format!(
                "{} {} {} {}",
                r.host,
                r.source
                    .as_ref()
                    .map(CredSource::describe)
                    .unwrap_or_default(),
                r.source.as_ref().map(CredSource::user).unwrap_or_default(),
                r.services.join(" ")
            )
        })
    }
    fn shows(&self, what: Changed) -> bool {
        what.services
    }
    fn columns(&self, _data: Data<'_>, _width: u16) -> Vec<Column> {
        vec![
            Column::fill("REGISTRY", 16, 0),
            Column::fill_weighted("CREDENTIALS", 20, 2, 0),
            Column::fixed("USER", 14, 2),
            Column::fill("SERVICES", 10, 1),
        ]
    }
    fn cells(&self, _data: Data<'_>, theme: &Theme, i: usize) -> Vec<Line<'static>> {
        let Some(r) = self.rows.get(i) else {
            return Vec::new();
        };
        let flag = r.flagged();
        let (cred, style) = match &r.source {
            Some(src) if src.usable() => (src.describe(), theme.text),
            Some(src) => (src.describe(), theme.warn),
            None if r.host == "docker.io" => (
                "none (public images pull anonymously)".to_string(),
                theme.muted,
            ),
            None if flag => ("⚠ no credentials here".to_string(), theme.warn),
            None => ("no credentials here".to_string(), theme.muted),
        };
        let user = r.source.as_ref().map_or("-", CredSource::user).to_string();
        let services = if r.services.is_empty() {
            Line::styled("-", theme.muted)
        } else {
            Line::styled(
                r.services.join(", "),
                if flag { theme.warn } else { theme.text },
            )
        };
        vec![
            Line::styled(r.host.clone(), theme.text),
            Line::styled(cred, style),
            Line::styled(user, theme.muted),
            services,
        ]
    }
    fn empty(&self, _data: Data<'_>, filtered: bool) -> &'static str {
        match &self.read {
            _ if filtered => "no registry matches the filter",
            None => "reading the docker config…",
            Some(_) => "no registry in the docker config, and no service image names one",
        }
    }
}

/// The `:registries` popup.
pub struct RegistriesView {
    pub list: ListPane<RegistryRows>,
}

impl Default for RegistriesView {
    fn default() -> Self {
        RegistriesView {
            list: ListPane::new(RegistryRows::default()),
        }
    }
}

impl RegistriesView {
    /// The engine's answer (also for the tests).
    pub fn loaded(&mut self, read: Result<Registries, String>, data: Data<'_>) {
        self.list.rows.read = Some(read);
        self.list.refresh(data);
    }

    /// The lines under the table: where the file is, what a flag means.
    fn notes(&self, theme: &Theme) -> Vec<Line<'static>> {
        let mut notes = Vec::new();
        match &self.list.rows.read {
            Some(Ok(r)) if r.found => notes.push(Line::styled(
                format!(
                    "from {}{}",
                    r.path,
                    r.store
                        .as_ref()
                        .map(|s| format!(
                            " · credsStore docker-credential-{s} for every other registry"
                        ))
                        .unwrap_or_default()
                ),
                theme.muted,
            )),
            Some(Ok(r)) => notes.push(Line::styled(
                format!("no docker config at {}: no credentials here", r.path),
                theme.warn,
            )),
            Some(Err(e)) => notes.push(Line::styled(
                format!("cannot read the docker config: {e}"),
                theme.danger,
            )),
            None => {}
        }
        if self.list.rows.rows.iter().any(RegistryRow::flagged) {
            notes.push(Line::styled(
                "⚠ services pull from a registry with no credentials here: a hint, not a \
                 verdict (it may allow anonymous pulls, or the service keeps credentials \
                 stored at its deploy)",
                theme.warn,
            ));
        }
        notes.push(Line::styled(
            "passwords and tokens are never shown; helpers are not asked to list (via helper). \
             The deploy wizard and the image update (i) pull with these credentials.",
            theme.muted,
        ));
        notes
    }
}

impl View for RegistriesView {
    fn context(&self) -> &'static str {
        "registries"
    }

    fn opened(&mut self, cx: &mut Ctx<'_>) {
        self.list.refresh(Data::of_ctx(cx));
        cx.fx.app.push(AppCmd::Deploy(DeployCmd::Registries));
    }

    fn deploy_msg(&mut self, answer: DeployAnswer, cx: &mut Ctx<'_>) -> Outcome {
        if let DeployAnswer::Registries(r) = answer {
            self.loaded(r, Data::of_ctx(cx));
        }
        Outcome::Handled
    }

    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Outcome {
        match self.list.key(key, cx) {
            Outcome::Ignored => match (cx.action("registries", key), key.code) {
                (Some(Action::Back | Action::Quit), _) | (_, KeyCode::Esc) => Outcome::Close,
                _ => Outcome::Handled,
            },
            other => other,
        }
    }

    fn changed(&mut self, what: Changed, cx: &mut Ctx<'_>) {
        if what.services {
            self.list.refresh(Data::of_ctx(cx));
        }
    }

    fn apply_filter(&mut self, filter: &str, data: Data<'_>) -> bool {
        self.list.set_filter(filter.to_string(), data);
        true
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCtx<'_>) {
        let theme = cx.theme;
        let inner = self.list.draw_popup_frame(
            frame,
            area,
            Data::of_draw(cx),
            theme,
            " j/k move · / filter · Esc close ".to_string(),
        );
        let notes = self.notes(theme);
        let width = inner.width.max(1);
        let notes_h: u16 = notes
            .iter()
            .map(|l| (l.width() as u16).div_ceil(width).max(1))
            .sum::<u16>()
            .min(inner.height / 2);
        let [table, note_area] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(notes_h)]).areas(inner);
        self.list
            .draw_table(frame, table, Data::of_draw(cx), theme, true);
        frame.render_widget(Paragraph::new(notes).wrap(Wrap { trim: false }), note_area);
    }

    fn hints(&self, keymap: &Keymap) -> Vec<(String, String)> {
        let mut h = self.list.list_hints(keymap);
        h.push(("Esc".into(), "close".into()));
        h
    }
}
