//! `:clusters`: every cluster the dashboard can show — the one it started on, the config
//! file's `[[clusters]]`, every docker context — with each one's health, checked in the
//! background once when the list opens and every 15 s while it stays open (each within 5 s):
//! reachable or why not, the leader, managers reachable and the failures the quorum
//! tolerates, nodes down, services below desired, the VIP's holder when the entry names VIPs.
//! The current one is marked; Enter switches the dashboard to the selected one (after a
//! confirm when a write is still running, or when it was unreachable at the last check).

use jiff::Timestamp;
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::cluster::{bottom_words, popup_frame};
use super::list::{Column, Data, ListPane, Rows};
use super::{AppCmd, Ctx, DrawCtx, Outcome, View};
use crate::clusters::poll::{Checked, EVERY, Health, LIMIT};
use crate::clusters::{Cluster, Clusters};
use crate::keymap::{Action, Keymap};
use crate::store::Level;
use crate::theme::Theme;
use crate::widget::{ConfirmDialog, ConfirmResult, Tone};

const ACTIONS: &[Action] = &[Action::Enter, Action::Refresh];

/// The mark of the cluster shown.
pub const CURRENT_MARK: &str = "●";

/// The rows: the clusters, the one shown, and what the last check of each found.
pub struct ClusterRows {
    pub clusters: Vec<Cluster>,
    pub current: usize,
    /// The last check of each cluster (by index).
    pub health: Vec<Option<Checked>>,
    /// Asked and not answered yet.
    pub checking: Vec<bool>,
}

impl ClusterRows {
    fn health(&self, i: usize) -> Option<&Health> {
        self.health.get(i)?.as_ref().map(|c| &c.health)
    }

    fn is_checking(&self, i: usize) -> bool {
        self.checking.get(i).copied().unwrap_or(false)
    }

    /// The state in a word or two, and its style.
    fn state(&self, i: usize, theme: &Theme) -> (String, ratatui::style::Style) {
        let c = &self.clusters[i];
        if c.problem.is_some() {
            return ("cannot be used".into(), theme.danger);
        }
        match self.health(i) {
            None if self.is_checking(i) => ("checking…".into(), theme.muted),
            None => ("not checked".into(), theme.muted),
            Some(Err(_)) => ("unreachable".into(), theme.danger),
            Some(Ok(s)) if s.no_leader.is_some() => ("no leader".into(), theme.danger),
            Some(Ok(s)) if !s.quorum.has_quorum && s.quorum.total > 0 => {
                ("no quorum".into(), theme.danger)
            }
            Some(Ok(s)) if s.nodes_down > 0 || s.below > 0 || s.quorum.at_risk() => {
                ("degraded".into(), theme.warn)
            }
            Some(Ok(_)) => ("reachable".into(), theme.ok),
        }
    }

    fn endpoints(c: &Cluster) -> String {
        match c.endpoints.as_slice() {
            [] => "—".into(),
            [one] => crate::endpoint::label(one, 30),
            [first, rest @ ..] => {
                format!("{} +{}", crate::endpoint::label(first, 26), rest.len())
            }
        }
    }
}

impl Rows for ClusterRows {
    fn context(&self) -> &'static str {
        "clusters"
    }
    fn title(&self, _data: Data<'_>, shown: usize) -> String {
        format!("clusters ({shown})")
    }
    fn len(&self, _data: Data<'_>) -> usize {
        self.clusters.len()
    }
    fn id(&self, _data: Data<'_>, i: usize) -> String {
        i.to_string()
    }
    fn text(&self, _data: Data<'_>, i: usize) -> String {
        let c = &self.clusters[i];
        format!(
            "{} {} {} {}",
            c.name,
            c.source.words(),
            c.endpoints.join(" "),
            c.description
        )
    }
    fn shows(&self, _what: crate::store::Changed) -> bool {
        false
    }
    fn columns(&self, _data: Data<'_>, _width: u16) -> Vec<Column> {
        vec![
            Column::fixed(" ", 1, 0),
            Column::fill("NAME", 9, 0),
            Column::fixed("SOURCE", 16, 6),
            Column::fill_weighted("ENDPOINT", 16, 2, 5),
            Column::fixed("STATE", 14, 0),
            Column::fixed("LEADER", 10, 2),
            Column::fixed("MANAGERS", 10, 1),
            Column::fixed("DOWN", 4, 3),
            Column::fixed("BELOW", 5, 3),
            Column::fixed("VIP", 10, 4),
        ]
    }
    fn cells(&self, _data: Data<'_>, theme: &Theme, i: usize) -> Vec<Line<'static>> {
        let c = &self.clusters[i];
        let current = i == self.current;
        let (state, state_style) = self.state(i, theme);
        let seen = match self.health(i) {
            Some(Ok(s)) if s.no_leader.is_none() => Some(s),
            _ => None,
        };
        let dash = || Line::styled("—", theme.muted);
        let count =
            |n: usize| Line::styled(n.to_string(), if n > 0 { theme.danger } else { theme.text });
        let vip = match (seen, c.vips.is_empty()) {
            (_, true) => dash(),
            (Some(s), false) if !s.vips.is_empty() => {
                let text = s
                    .vips
                    .iter()
                    .map(|(_, o)| o.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                let held = s.vips.iter().all(|(_, o)| {
                    o != "NO OWNER" && !o.starts_with("SPLIT") && !o.starts_with("cannot")
                });
                Line::styled(text, if held { theme.vip } else { theme.danger })
            }
            _ => dash(),
        };
        vec![
            if current {
                Line::styled(CURRENT_MARK, theme.accent)
            } else {
                Line::raw(" ")
            },
            Line::styled(
                c.name.clone(),
                if current { theme.accent } else { theme.text },
            ),
            Line::styled(c.source.words(), theme.muted),
            Line::styled(Self::endpoints(c), theme.text),
            Line::styled(state, state_style),
            match seen {
                Some(s) => match &s.leader {
                    Some(l) => Line::styled(l.clone(), theme.leader),
                    None => Line::styled("none", theme.danger),
                },
                None => dash(),
            },
            match seen {
                Some(s) if s.quorum.total > 0 => {
                    let q = &s.quorum;
                    let style = if !q.has_quorum {
                        theme.danger
                    } else if q.at_risk() {
                        theme.warn
                    } else {
                        theme.ok
                    };
                    let tail = if q.has_quorum {
                        format!("tol {}", q.tolerates)
                    } else {
                        "lost".into()
                    };
                    Line::styled(format!("{}/{} {tail}", q.reachable, q.total), style)
                }
                _ => dash(),
            },
            seen.map_or_else(dash, |s| count(s.nodes_down)),
            seen.map_or_else(dash, |s| count(s.below)),
            vip,
        ]
    }
    fn empty(&self, _data: Data<'_>, filtered: bool) -> &'static str {
        if filtered {
            "no cluster matches the filter"
        } else {
            "no cluster"
        }
    }
}

/// The `:clusters` popup.
pub struct ClustersView {
    list: ListPane<ClusterRows>,
    /// When the last check was asked for.
    asked: Option<Timestamp>,
    /// A switch waiting for `y`: the dialog and the cluster's index.
    confirm: Option<(ConfirmDialog, Option<usize>)>,
}

impl ClustersView {
    pub fn new(clusters: &Clusters) -> Self {
        let n = clusters.list.len();
        let mut list = ListPane::new(ClusterRows {
            clusters: clusters.list.clone(),
            current: clusters.current,
            health: vec![None; n],
            checking: vec![false; n],
        });
        list.rows.current = clusters.current;
        ClustersView {
            list,
            asked: None,
            confirm: None,
        }
    }

    pub fn list(&self) -> &ListPane<ClusterRows> {
        &self.list
    }

    /// The dialog open, if any.
    pub fn dialog(&self) -> Option<&ConfirmDialog> {
        self.confirm.as_ref().map(|(d, _)| d)
    }

    /// Take a check's result (also used by the snapshots, with fixed data).
    pub fn take(&mut self, checked: Checked, data: Data<'_>) {
        let i = checked.index;
        if i < self.list.rows.health.len() {
            self.list.rows.checking[i] = false;
            self.list.rows.health[i] = Some(checked);
            self.list.refresh(data);
        }
    }

    fn ask(&mut self, cx: &mut Ctx<'_>) {
        self.asked = Some(cx.now);
        for c in &mut self.list.rows.checking {
            *c = true;
        }
        cx.fx.app.push(AppCmd::CheckClusters);
    }

    /// Enter on row `i`: switch, or say why first.
    fn choose(&mut self, i: usize, cx: &mut Ctx<'_>) {
        let rows = &self.list.rows;
        let c = &rows.clusters[i];
        if i == rows.current {
            cx.fx.notify(
                Level::Info,
                format!("the dashboard already shows {}", c.name),
            );
            return;
        }
        if let Some(p) = &c.problem {
            self.confirm = Some((
                ConfirmDialog::refusal(
                    format!("{} cannot be used", c.name),
                    vec![(Tone::Warn, p.clone())],
                ),
                None,
            ));
            return;
        }
        let from = rows
            .clusters
            .get(rows.current)
            .map_or("this cluster", |c| c.name.as_str());
        let mut lines = Vec::new();
        let writes = cx.ops.writes_in_flight();
        if writes > 0 {
            lines.push((
                Tone::Warn,
                format!(
                    "{writes} write(s) sent to {from} are not answered yet: they go on there, but \
                     their results (and the audit of what they did) will not be shown here."
                ),
            ));
        }
        if cx.ops.rebalancing() {
            lines.push((
                Tone::Warn,
                format!("The rebalance of {from} under way stops: the services not yet updated stay as they are."),
            ));
        }
        if let Some(Some(Checked {
            health: Err(why),
            at,
            ..
        })) = rows.health.get(i)
        {
            let ago = (cx.now.as_second() - at.as_second()).max(0);
            lines.push((
                Tone::Warn,
                format!(
                    "{} was unreachable {ago} s ago: {why}. The dashboard will show it \
                     unreachable and keep retrying.",
                    c.name
                ),
            ));
        }
        if lines.is_empty() {
            cx.fx.app.push(AppCmd::SwitchCluster(i));
            return;
        }
        lines.insert(
            0,
            (
                Tone::Info,
                format!(
                    "Switch the dashboard from {from} to {} ({})?",
                    c.name,
                    c.endpoints.join(", ")
                ),
            ),
        );
        self.confirm = Some((
            ConfirmDialog::plain(format!("Switch to {}?", c.name), lines),
            Some(i),
        ));
    }

    /// The lines under the table: the selected cluster in full.
    fn notes(&self, theme: &Theme, now: Timestamp) -> Vec<Line<'static>> {
        let mut notes = Vec::new();
        let Some(i) = self.list.selected() else {
            return notes;
        };
        let rows = &self.list.rows;
        let c = &rows.clusters[i];
        let mut words = vec![c.source.words().to_string()];
        if !c.description.is_empty() {
            words.push(c.description.clone());
        }
        if !c.endpoints.is_empty() {
            words.push(c.endpoints.join(", "));
        }
        if let Some(t) = &c.endpoint_template {
            words.push(format!("template {t}"));
        }
        if !c.vips.is_empty() {
            let v: Vec<String> = c.vips.iter().map(|v| v.addr.to_string()).collect();
            words.push(format!("VIPs {}", v.join(", ")));
        }
        notes.push(Line::from(vec![
            Span::styled(format!("{}: ", c.name), theme.accent),
            Span::styled(words.join(" · "), theme.text),
        ]));
        if let Some(p) = &c.problem {
            notes.push(Line::styled(p.clone(), theme.danger));
        }
        if let Some(Some(ch)) = rows.health.get(i) {
            let ago = (now.as_second() - ch.at.as_second()).max(0);
            match &ch.health {
                Err(why) => notes.push(Line::styled(
                    format!("unreachable ({ago} s ago): {why}"),
                    theme.danger,
                )),
                Ok(s) => {
                    let mut text = format!("answered by {} ({ago} s ago)", s.endpoint);
                    if let Some(why) = &s.no_leader {
                        text.push_str(&format!(": no leader: {why}"));
                    } else {
                        text.push_str(&format!(
                            ": {} node(s), {} down; {} service(s), {} below desired",
                            s.nodes, s.nodes_down, s.services, s.below
                        ));
                        for (addr, o) in &s.vips {
                            text.push_str(&format!("; VIP {addr} {o}"));
                        }
                    }
                    let style = if s.no_leader.is_some() {
                        theme.danger
                    } else {
                        theme.text
                    };
                    notes.push(Line::styled(text, style));
                }
            }
        }
        notes
    }
}

impl View for ClustersView {
    fn context(&self) -> &'static str {
        "clusters"
    }

    fn opened(&mut self, cx: &mut Ctx<'_>) {
        let data = Data::of_ctx(cx);
        self.list.refresh(data);
        let current = self.list.rows.current.to_string();
        self.list.select_id(&current, data);
        self.ask(cx);
    }

    fn tick(&mut self, cx: &mut Ctx<'_>) -> bool {
        let due = self
            .asked
            .is_none_or(|t| cx.now.as_second() - t.as_second() >= EVERY.as_secs() as i64);
        if due {
            self.ask(cx);
        }
        // the ages in the notes
        true
    }

    fn clusters_msg(&mut self, checked: &Checked, cx: &mut Ctx<'_>) -> Outcome {
        self.take(checked.clone(), Data::of_ctx(cx));
        Outcome::Handled
    }

    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Outcome {
        if let Some((dialog, target)) = &mut self.confirm {
            match dialog.key(key) {
                ConfirmResult::Pending => {}
                ConfirmResult::Cancelled => self.confirm = None,
                ConfirmResult::Confirmed => {
                    if let Some(i) = target.take() {
                        cx.fx.app.push(AppCmd::SwitchCluster(i));
                    }
                    self.confirm = None;
                }
            }
            return Outcome::Handled;
        }
        let action = cx.action("clusters", key);
        match action {
            Some(Action::Enter) => {
                if let Some(i) = self.list.selected() {
                    self.choose(i, cx);
                }
                return Outcome::Handled;
            }
            Some(Action::Refresh) => {
                self.ask(cx);
                return Outcome::Handled;
            }
            Some(Action::Help) => {
                return Outcome::Push(Box::new(super::help::Help::new("clusters", ACTIONS)));
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
            "clusters",
            &[
                (Action::Down, "move"),
                (Action::Enter, "switch"),
                (Action::Refresh, "check now"),
            ],
        );
        let inner = popup_frame(frame, area, theme, &title, self.list.filter(), &bottom);
        let head = Line::from(vec![
            Span::styled(format!("{CURRENT_MARK} shown now"), theme.accent),
            Span::styled(
                format!(
                    " · checked every {} s while this list is open, each within {} s",
                    EVERY.as_secs(),
                    LIMIT.as_secs()
                ),
                theme.muted,
            ),
        ]);
        let notes = self.notes(theme, cx.now);
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
        if let Some((dialog, _)) = &self.confirm {
            dialog.render(frame, area, theme);
        }
    }

    fn hints(&self, keymap: &Keymap) -> Vec<(String, String)> {
        match &self.confirm {
            Some((_, None)) => vec![("Esc".into(), "close".into())],
            Some((_, Some(_))) => {
                vec![("y".into(), "switch".into()), ("n".into(), "cancel".into())]
            }
            None => {
                let mut h = super::hints_for(
                    keymap,
                    "clusters",
                    &[
                        (Action::Enter, "switch"),
                        (Action::Refresh, "check now"),
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
