//! The node labels form: the node's labels with what will happen to each (`+` added, `~`
//! changed, `-` removed), a `key=value` input, and what the change would do to placement
//! (recomputed when the form changes, not per frame). Enter on an empty input reviews the
//! change in a confirmation dialog that replaces the form.

use std::collections::BTreeMap;

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

use super::confirm::{Then, WriteConfirm};
use super::{Ctx, DrawCtx, Outcome, View};
use crate::app::ops::node_write;
use crate::domain::{Node, NodeId};
use crate::engine::write::NodeChange;
use crate::keymap::Keymap;
use crate::maint::check::{self, LabelImpact};
use crate::store::Level;
use crate::widget::{InputResult, TextInput};

pub struct LabelsForm {
    pub node: NodeId,
    pub hostname: String,
    /// The labels when the form opened.
    pub seen: BTreeMap<String, String>,
    pub set: BTreeMap<String, String>,
    pub remove: Vec<String>,
    /// `key=value` being typed.
    pub input: TextInput,
    /// Selected row of [`LabelsForm::rows`].
    pub selected: usize,
    pub error: Option<String>,
    /// What the pending change would do to placement.
    pub impact: Vec<LabelImpact>,
}

impl LabelsForm {
    pub fn new(node: &Node) -> Self {
        LabelsForm {
            node: node.id.clone(),
            hostname: node.hostname.clone(),
            seen: node.labels.clone(),
            set: BTreeMap::new(),
            remove: Vec::new(),
            input: TextInput::new().with_max_len(4096),
            selected: 0,
            error: None,
            impact: Vec::new(),
        }
    }

    /// Every label with what will happen to it: (key, value, mark) with mark one of
    /// ' ' kept, '+' added, '~' changed, '-' removed.
    pub fn rows(&self) -> Vec<(String, String, char)> {
        let mut out: Vec<(String, String, char)> = Vec::new();
        for (k, v) in &self.seen {
            if self.remove.contains(k) {
                out.push((k.clone(), v.clone(), '-'));
            } else if let Some(new) = self.set.get(k) {
                out.push((k.clone(), new.clone(), if new == v { ' ' } else { '~' }));
            } else {
                out.push((k.clone(), v.clone(), ' '));
            }
        }
        for (k, v) in &self.set {
            if !self.seen.contains_key(k) {
                out.push((k.clone(), v.clone(), '+'));
            }
        }
        out
    }

    pub fn has_changes(&self) -> bool {
        !self.remove.is_empty() || self.set.iter().any(|(k, v)| self.seen.get(k) != Some(v))
    }

    /// "+zone=eu ~rack=2 -old" for the dialog.
    pub fn summary(&self) -> String {
        self.rows()
            .into_iter()
            .filter(|(_, _, m)| *m != ' ')
            .map(|(k, v, m)| match m {
                '-' => format!("-{k}"),
                _ => format!("{m}{k}={v}"),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn recompute(&mut self, cx: &Ctx<'_>) {
        self.impact = check::label_impact(
            &self.node,
            &self.set,
            &self.remove,
            &cx.store.nodes,
            &cx.store.services,
        );
    }

    /// Add what is typed (`key=value`, or `key` for an empty value).
    fn add_typed(&mut self) {
        let text = self.input.text().trim().to_string();
        let (k, v) = match text.split_once('=') {
            Some((k, v)) => (k.trim().to_string(), v.trim().to_string()),
            None => (text.clone(), String::new()),
        };
        match check::validate_label(&k, &v) {
            Ok(()) => {
                self.remove.retain(|r| r != &k);
                self.set.insert(k, v);
                self.input.clear();
            }
            Err(e) => self.error = Some(e),
        }
    }

    /// Toggle removal of the selected label (or drop a pending addition).
    fn toggle_selected(&mut self) {
        if let Some((k, _, mark)) = self.rows().get(self.selected).cloned() {
            match mark {
                '+' => {
                    self.set.remove(&k);
                }
                '-' => self.remove.retain(|r| r != &k),
                _ => {
                    self.set.remove(&k);
                    self.remove.push(k);
                }
            }
        }
    }

    /// The confirmation of the change, with its placement impact.
    fn review(&self) -> WriteConfirm {
        let mut lines = vec![(
            Level::Info,
            format!("labels of {}: {}", self.hostname, self.summary()),
        )];
        for i in &self.impact {
            let level = if i.after.is_empty() {
                Level::Danger
            } else {
                Level::Warn
            };
            lines.push((level, i.describe()));
        }
        if self.impact.is_empty() {
            lines.push((
                Level::Info,
                "no service's constraints use these labels".into(),
            ));
        }
        let write = node_write(
            self.node.clone(),
            self.hostname.clone(),
            NodeChange::Labels {
                set: self.set.clone(),
                remove: self.remove.clone(),
                seen: self.seen.clone(),
            },
        );
        WriteConfirm::plain(
            format!("labels of {}", self.hostname),
            lines,
            write,
            Then::Close,
        )
    }
}

impl View for LabelsForm {
    fn context(&self) -> &'static str {
        "labels"
    }

    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Outcome {
        let rows = self.rows().len();
        self.error = None;
        match key.code {
            KeyCode::Esc => return Outcome::Close,
            KeyCode::Up => self.selected = self.selected.saturating_sub(1),
            KeyCode::Down => self.selected = (self.selected + 1).min(rows.saturating_sub(1)),
            KeyCode::Delete if self.input.is_empty() => self.toggle_selected(),
            KeyCode::Enter if self.input.text().trim().is_empty() => {
                if !self.has_changes() {
                    self.error = Some(
                        "nothing to change: type key=value and Enter to add, Del to remove".into(),
                    );
                } else {
                    self.recompute(cx);
                    return Outcome::Replace(Box::new(self.review()));
                }
            }
            KeyCode::Enter => self.add_typed(),
            _ => {
                let _: InputResult = self.input.key(key);
                return Outcome::Handled;
            }
        }
        self.recompute(cx);
        Outcome::Handled
    }

    fn paste(&mut self, text: &str, _cx: &mut Ctx<'_>) -> Outcome {
        if let Err(why) = self.input.paste(text) {
            self.error = Some(why);
        }
        Outcome::Handled
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCtx<'_>) {
        let theme = cx.theme;
        let mut lines = Vec::new();
        let rows = self.rows();
        if rows.is_empty() {
            lines.push(Line::styled("no labels yet", theme.muted));
        }
        for (i, (k, v, mark)) in rows.iter().enumerate() {
            let style = match mark {
                '+' => theme.ok,
                '~' => theme.warn,
                '-' => theme.danger.add_modifier(Modifier::CROSSED_OUT),
                _ => theme.text,
            };
            let style = if i == self.selected {
                style.add_modifier(Modifier::REVERSED)
            } else {
                style
            };
            lines.push(Line::styled(format!("{mark} {k}={v}"), style));
        }
        lines.push(Line::default());
        for i in &self.impact {
            let style = if i.after.is_empty() {
                theme.danger
            } else {
                theme.warn
            };
            lines.push(Line::styled(i.describe(), style));
        }
        let input_row = lines.len();
        lines.push(Line::default());
        if let Some(e) = &self.error {
            lines.push(Line::styled(e.clone(), theme.danger));
        }
        let h = (lines.len() as u16 + 3).min(area.height);
        let rect = crate::widget::centered(area, 90, h);
        frame.render_widget(Clear, rect);
        let hint = "Enter add · ↑↓ select · Del remove · Enter on empty: review · Esc cancel";
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(theme.border_style(true))
            .title(Span::styled(
                format!(" labels of {} ", self.hostname),
                theme.title,
            ))
            .title_bottom(Span::styled(format!(" {hint} "), theme.muted))
            .style(theme.text);
        let inner = block.inner(rect);
        frame.render_widget(block, rect);
        frame.render_widget(Paragraph::new(lines), inner);
        // the input, with its cursor, on its row
        let label = "key=value: ";
        if (input_row as u16) < inner.height {
            let row = Rect {
                x: inner.x,
                y: inner.y + input_row as u16,
                width: inner.width,
                height: 1,
            };
            frame.render_widget(Paragraph::new(Line::styled(label, theme.muted)), row);
            let field = Rect {
                x: row.x + label.len() as u16,
                width: row.width.saturating_sub(label.len() as u16),
                ..row
            };
            self.input.render(
                frame,
                field,
                theme.accent,
                theme.accent.add_modifier(Modifier::REVERSED),
                true,
            );
        }
    }

    fn hints(&self, _keymap: &Keymap) -> Vec<(String, String)> {
        vec![
            ("Enter".into(), "add/review".into()),
            ("Del".into(), "remove".into()),
            ("Esc".into(), "cancel".into()),
        ]
    }
}
