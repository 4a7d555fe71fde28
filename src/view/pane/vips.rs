//! The VIP pane: who holds each keepalived VIP, how that was seen, since when, whether its
//! port answers, the alarm; focused, the moves of the selected VIP.

use ratatui::layout::Constraint;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use super::nodes::VIP_MARK;
use super::{PaneRows, Selection};
use crate::domain::short_age;
use crate::store::{Changed, Level};
use crate::theme::Theme;
use crate::view::list::{Column, Data, Rows};
use crate::vip::Ownership;

#[derive(Default)]
pub struct VipRows;

impl Rows for VipRows {
    fn context(&self) -> &'static str {
        "vips"
    }
    fn title(&self, _data: Data<'_>, shown: usize) -> String {
        format!("vips ({shown})")
    }
    fn len(&self, data: Data<'_>) -> usize {
        data.store.vips.len()
    }
    fn id(&self, data: Data<'_>, i: usize) -> String {
        data.store.vips[i].spec.addr.to_string()
    }
    fn text(&self, data: Data<'_>, i: usize) -> String {
        let v = &data.store.vips[i];
        let owner = v
            .current
            .as_ref()
            .map(|o| o.ownership.label())
            .unwrap_or_default();
        format!("{} {owner} {}", v.spec.addr, v.spec.source)
    }
    fn shows(&self, what: Changed) -> bool {
        what.vips || what.nodes
    }
    fn visible(&self, data: Data<'_>) -> bool {
        !data.store.vips.is_empty()
    }
    fn columns(&self, _data: Data<'_>, _width: u16) -> Vec<Column> {
        vec![
            Column::fixed("VIP", 16, 0),
            Column::fixed("HOLDER", 14, 0),
            Column::fixed("HOW", 6, 3),
            Column::fixed("SINCE", 6, 2),
            Column::fixed("PORT", 11, 1),
            Column::fill("NOTE", 8, 4),
        ]
    }
    fn cells(&self, data: Data<'_>, theme: &Theme, i: usize) -> Vec<Line<'static>> {
        let v = &data.store.vips[i];
        let addr = Line::styled(v.spec.addr.to_string(), theme.text);
        let Some(obs) = &v.current else {
            return vec![addr, Line::styled("looking…", theme.muted)];
        };
        let holder = match &obs.ownership {
            Ownership::Owner { hostname, .. } => {
                Span::styled(format!("{VIP_MARK} {hostname}"), theme.vip)
            }
            Ownership::Unseen { .. } => Span::styled("not visible", theme.muted),
            Ownership::Stranger { .. } => Span::styled(obs.ownership.label(), theme.warn),
            _ => Span::styled(
                obs.ownership.label(),
                theme.danger.add_modifier(Modifier::BOLD),
            ),
        };
        let how = match &obs.ownership {
            Ownership::Owner { method, .. } => method.short(),
            _ => "-",
        };
        let since = v.since.map(|t| short_age(t, data.now)).unwrap_or_default();
        let port = match obs.reachable {
            Some(true) => Line::styled(format!("{} open", obs.port), theme.ok),
            Some(false) => Line::styled(format!("{} closed", obs.port), theme.warn),
            None => Line::styled(format!("{} ?", obs.port), theme.muted),
        };
        let prefix = format!("VIP {}", v.spec.addr);
        let note = match data
            .store
            .vip_alarms()
            .iter()
            .find(|(_, t)| t.starts_with(&prefix))
        {
            Some((Level::Danger, t)) => Line::styled(t.clone(), theme.danger),
            Some((Level::Warn, t)) => Line::styled(t.clone(), theme.warn),
            Some((Level::Info, t)) => Line::styled(t.clone(), theme.info),
            None => Line::styled(obs.ownership.detail(), theme.muted),
        };
        vec![
            addr,
            Line::from(holder),
            Line::styled(how, theme.muted),
            Line::styled(since, theme.muted),
            port,
            note,
        ]
    }
    fn empty(&self, _data: Data<'_>, _filtered: bool) -> &'static str {
        "no VIP matches the filter"
    }
    fn below(&self, data: Data<'_>, theme: &Theme, selected: Option<usize>) -> Vec<Line<'static>> {
        let Some(v) = selected.and_then(|i| data.store.vips.get(i)) else {
            return Vec::new();
        };
        let mut lines = vec![Line::styled(
            format!("moves of {} (newest first)", v.spec.addr),
            theme.header,
        )];
        if v.history.is_empty() {
            lines.push(Line::styled(
                "no move seen since swarmdeck started",
                theme.muted,
            ));
        }
        for m in v.history.iter().rev() {
            lines.push(Line::from(vec![
                Span::styled(
                    format!("{} ", m.at.strftime("%Y-%m-%d %H:%M:%S UTC")),
                    theme.muted,
                ),
                Span::styled(m.from.clone(), theme.text),
                Span::styled(" → ", theme.muted),
                Span::styled(m.to.clone(), theme.vip),
            ]));
        }
        lines
    }
}

impl PaneRows for VipRows {
    fn selection(&self, data: Data<'_>, i: usize) -> Selection {
        data.store
            .vips
            .get(i)
            .map_or(Selection::None, |v| Selection::Vip(v.spec.addr))
    }
    fn constraint(&self, data: Data<'_>, _shown: usize, focused: bool, body: u16) -> Constraint {
        if data.store.vips.is_empty() {
            return Constraint::Length(0);
        }
        let history = if focused { 6 } else { 0 };
        Constraint::Length(
            (data.store.vips.len() as u16 + 3 + history)
                .min(body / 3)
                .max(4),
        )
    }
}
