//! The audit log of writes (`:audit`), newest first: a list like every other, in a popup
//! over the whole screen.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::list::{Column, Data, ListPane, Rows};
use super::{Ctx, DrawCtx, Outcome, View};
use crate::keymap::{Action, Keymap};
use crate::store::Changed;
use crate::theme::Theme;

pub struct AuditRows;

impl Rows for AuditRows {
    fn context(&self) -> &'static str {
        "audit"
    }
    fn title(&self, _data: Data<'_>, shown: usize) -> String {
        format!("audit log ({shown}, newest first)")
    }
    fn len(&self, data: Data<'_>) -> usize {
        data.ops.audit.entries.len()
    }
    fn id(&self, data: Data<'_>, i: usize) -> String {
        let e = &data.ops.audit.entries[i];
        format!("{} {} {} {}", e.time, e.kind, e.id, e.action)
    }
    fn text(&self, data: Data<'_>, i: usize) -> String {
        let e = &data.ops.audit.entries[i];
        format!(
            "{} {} {} {} {} {}",
            e.time, e.user, e.kind, e.name, e.action, e.result
        )
    }
    fn shows(&self, _what: Changed) -> bool {
        false
    }
    fn columns(&self, _data: Data<'_>, _width: u16) -> Vec<Column> {
        vec![
            Column::fixed("TIME", 19, 2),
            Column::fixed("WHO", 26, 3),
            Column::fixed("KIND", 7, 4),
            Column::fixed("NAME", 16, 0),
            Column::fill_weighted("ACTION", 16, 3, 0),
            Column::fill("RESULT", 8, 1),
        ]
    }
    fn cells(&self, data: Data<'_>, theme: &Theme, i: usize) -> Vec<Line<'static>> {
        let e = &data.ops.audit.entries[i];
        let who = match &e.ssh_client {
            Some(c) => format!("{} from {c}", e.user),
            None => e.user.clone(),
        };
        let style = if e.result == "ok" || e.result == "no-op" {
            theme.text
        } else {
            theme.danger
        };
        vec![
            Line::styled(e.time.get(..19).unwrap_or(&e.time).to_string(), theme.muted),
            Line::styled(who, theme.accent),
            Line::styled(e.kind.clone(), theme.text),
            Line::styled(e.name.clone(), theme.text),
            Line::styled(e.action.clone(), style),
            Line::styled(e.result.clone(), style),
        ]
    }
    fn empty(&self, data: Data<'_>, filtered: bool) -> &'static str {
        if data.ops.audit.loading {
            "reading…"
        } else if filtered {
            "no entry matches the filter"
        } else {
            "no write recorded yet"
        }
    }
}

/// The audit log popup.
pub struct AuditView {
    list: ListPane<AuditRows>,
}

impl Default for AuditView {
    fn default() -> Self {
        AuditView {
            list: ListPane::new(AuditRows),
        }
    }
}

impl AuditView {
    /// The log was (re)read.
    pub fn loaded(&mut self, data: Data<'_>) {
        self.list.refresh(data);
    }

    pub fn list(&self) -> &ListPane<AuditRows> {
        &self.list
    }
}

impl View for AuditView {
    fn context(&self) -> &'static str {
        "audit"
    }

    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Outcome {
        match self.list.key(key, cx) {
            Outcome::Ignored => match (cx.action("audit", key), key.code) {
                (Some(Action::Back | Action::Quit), _) | (_, KeyCode::Esc) => Outcome::Close,
                _ => Outcome::Handled,
            },
            other => other,
        }
    }

    fn changed(&mut self, _what: Changed, cx: &mut Ctx<'_>) {
        self.list.refresh(Data::of_ctx(cx));
    }

    fn apply_filter(&mut self, filter: &str, data: Data<'_>) -> bool {
        self.list.set_filter(filter.to_string(), data);
        true
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCtx<'_>) {
        let theme = cx.theme;
        let a = &cx.ops.audit;
        let inner = self.list.draw_popup_frame(
            frame,
            area,
            Data::of_draw(cx),
            theme,
            " j/k move · / filter · Esc close ".to_string(),
        );
        let mut notes = Vec::new();
        if let Some(e) = &a.error {
            notes.push(Line::styled(
                format!("cannot read the audit log: {e}"),
                theme.danger,
            ));
        }
        if a.unreadable_lines > 0 {
            notes.push(Line::styled(
                format!("{} line(s) could not be read", a.unreadable_lines),
                theme.warn,
            ));
        }
        let [table, note_area] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(notes.len() as u16)])
                .areas(inner);
        self.list
            .draw_table(frame, table, Data::of_draw(cx), theme, true);
        frame.render_widget(Paragraph::new(notes), note_area);
    }

    fn hints(&self, keymap: &Keymap) -> Vec<(String, String)> {
        let mut h = self.list.list_hints(keymap);
        h.push(("Esc".into(), "close".into()));
        h
    }
}
