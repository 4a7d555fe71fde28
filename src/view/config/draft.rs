//! At start: drafts a session left behind (an SSH drop, a kill mid-edit) are offered.
//! Enter reopens the selected one in the editor, `d` discards it, Esc keeps them for later.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Wrap};

use crate::gconfig::draft::{Draft, Drafts};
use crate::keymap::{Action, Keymap};
use crate::view::{Ctx, DrawCtx, Outcome, View};

const CONTEXT: &str = "draft";

pub struct DraftOffer {
    drafts: Vec<Draft>,
    selected: usize,
    readonly: bool,
}

impl DraftOffer {
    pub fn new(drafts: Vec<Draft>, readonly: bool) -> Self {
        DraftOffer {
            drafts,
            selected: 0,
            readonly,
        }
    }

    pub fn drafts(&self) -> &[Draft] {
        &self.drafts
    }
}

impl View for DraftOffer {
    fn context(&self) -> &'static str {
        CONTEXT
    }

    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Outcome {
        match key.code {
            KeyCode::Enter => {
                if self.selected < self.drafts.len() {
                    let d = self.drafts.remove(self.selected);
                    return Outcome::Replace(Box::new(super::editor::ConfigEditor::from_draft(
                        d,
                        self.readonly,
                    )));
                }
                Outcome::Close
            }
            KeyCode::Char('d') => {
                if self.selected < self.drafts.len() {
                    let d = self.drafts.remove(self.selected);
                    if let Some(dir) = &cx.env.drafts {
                        let _ = Drafts::at(dir.clone()).discard(&d.doc, &d.endpoint);
                    }
                    cx.fx.notify(
                        crate::store::Level::Info,
                        format!("the draft of {} is discarded", d.doc),
                    );
                    self.selected = self.selected.min(self.drafts.len().saturating_sub(1));
                }
                if self.drafts.is_empty() {
                    Outcome::Close
                } else {
                    Outcome::Handled
                }
            }
            KeyCode::Esc => {
                cx.fx.notify(
                    crate::store::Level::Info,
                    "the drafts are kept: E (or :config NAME) reopens one",
                );
                Outcome::Close
            }
            _ => {
                match cx.action(CONTEXT, key) {
                    Some(Action::Down) => {
                        self.selected =
                            (self.selected + 1).min(self.drafts.len().saturating_sub(1));
                    }
                    Some(Action::Up) => self.selected = self.selected.saturating_sub(1),
                    _ => {}
                }
                Outcome::Handled
            }
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCtx<'_>) {
        let theme = cx.theme;
        let mut lines = vec![
            Line::styled(
                "An edit of the global config was not published when swarmdeck last ended (an SSH drop or a kill). Nothing typed is lost:",
                theme.text,
            ),
            Line::default(),
        ];
        for (i, d) in self.drafts.iter().enumerate() {
            let base = d
                .base
                .map_or("a new document".to_string(), |n| format!("typed on v{n}"));
            let text = format!(
                " {} · {base} · {} lines · saved {} ",
                crate::text::printable(&d.doc),
                d.text.lines().count(),
                d.saved.strftime("%Y-%m-%d %H:%M:%S UTC")
            );
            let style = if i == self.selected {
                theme.selected
            } else {
                theme.text
            };
            lines.push(Line::styled(text, style));
        }
        lines.push(Line::default());
        lines.push(Line::from(vec![
            Span::styled(" Enter ", theme.footer_key),
            Span::styled("reopen in the editor  ", theme.text),
            Span::styled(" d ", theme.footer_key),
            Span::styled("discard  ", theme.text),
            Span::styled(" Esc ", theme.footer_key),
            Span::styled("later", theme.text),
        ]));
        let h = lines.len() as u16 + 4;
        let r = crate::widget::centered(area, 76, h);
        frame.render_widget(Clear, r);
        frame.render_widget(
            Paragraph::new(lines).wrap(Wrap { trim: false }).block(
                Block::bordered()
                    .border_type(BorderType::Rounded)
                    .border_style(theme.warn)
                    .title(Span::styled(" unsaved config draft ", theme.title)),
            ),
            r,
        );
    }

    fn hints(&self, _keymap: &Keymap) -> Vec<(String, String)> {
        vec![
            ("Enter".into(), "reopen".into()),
            ("d".into(), "discard".into()),
            ("Esc".into(), "later".into()),
        ]
    }
}
