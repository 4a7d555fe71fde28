//! The conflict screen: a newer version appeared while editing, and it changed some of the
//! same pointers as the edit. Each such pointer is listed with its three values — base (the
//! version the edit started from), theirs (the newer version), mine (the edit) — and a choice
//! per pointer. Enter merges with the choices (every other change of both sides is kept) and
//! shows the plan of the result; Esc goes back to the editor. Never a silent last writer wins.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph, Wrap};
use serde_json::Value;

use super::{bar, clear};
use crate::engine::gconf::{ConfigAnswer, ConfigCmd};
use crate::gconfig::{Merge, MergeConflict, merge3, pretty, set_pointer};
use crate::keymap::{Action, Keymap};
use crate::store::Level;
use crate::view::{AppCmd, ConfigMsg, Ctx, DrawCtx, Outcome, View};
use crate::widget::display_line;

const CONTEXT: &str = "conflict";

/// Which side a pointer takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Theirs,
    Mine,
}

pub struct ConflictView {
    doc: String,
    base: u64,
    current: u64,
    conflicts: Vec<MergeConflict>,
    choices: Vec<Option<Choice>>,
    selected: usize,
    mine: String,
    readonly: bool,
    /// The base and the current version's documents, once read.
    base_doc: Option<Value>,
    theirs_doc: Option<Value>,
    message: Option<(Level, String)>,
    planning: bool,
}

impl ConflictView {
    pub fn new(
        doc: &str,
        base: u64,
        current: u64,
        conflicts: Vec<MergeConflict>,
        mine: String,
        readonly: bool,
    ) -> Self {
        let n = conflicts.len();
        ConflictView {
            doc: doc.to_string(),
            base,
            current,
            conflicts,
            choices: vec![None; n],
            selected: 0,
            mine,
            readonly,
            base_doc: None,
            theirs_doc: None,
            message: None,
            planning: false,
        }
    }

    pub fn conflicts(&self) -> &[MergeConflict] {
        &self.conflicts
    }

    pub fn choices(&self) -> &[Option<Choice>] {
        &self.choices
    }

    /// The document with the choices applied, merged with every other change of both sides.
    pub fn resolved(&self) -> Result<Value, String> {
        let (Some(base), Some(theirs)) = (&self.base_doc, &self.theirs_doc) else {
            return Err(format!(
                "v{} and v{} are still being read",
                self.base, self.current
            ));
        };
        let mine = crate::gconfig::parse(&self.mine).map_err(|p| p.to_string())?;
        let mut theirs2 = theirs.clone();
        let mut mine2 = mine.clone();
        for (c, choice) in self.conflicts.iter().zip(&self.choices) {
            match choice {
                Some(Choice::Mine) => {
                    set_pointer(&mut theirs2, &c.pointer, mine.pointer(&c.pointer).cloned())
                }
                Some(Choice::Theirs) => {
                    set_pointer(&mut mine2, &c.pointer, theirs.pointer(&c.pointer).cloned())
                }
                None => return Err(format!("choose theirs or mine for {}", c.pointer)),
            }
        }
        match merge3(base, &theirs2, &mine2) {
            Merge::Clean { merged } => Ok(merged),
            Merge::Conflicts { conflicts } => Err(format!(
                "still in conflict: {}",
                conflicts
                    .iter()
                    .map(|c| c.pointer.clone())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    fn choose(&mut self, c: Choice, all: bool) {
        if all {
            self.choices.iter_mut().for_each(|x| *x = Some(c));
        } else if let Some(x) = self.choices.get_mut(self.selected) {
            *x = Some(c);
            self.selected = (self.selected + 1).min(self.conflicts.len().saturating_sub(1));
        }
    }
}

fn value_text(v: &Option<Value>) -> String {
    v.as_ref().map_or("(absent)".to_string(), |v| {
        crate::text::printable(&v.to_string()).into_owned()
    })
}

impl View for ConflictView {
    fn context(&self) -> &'static str {
        CONTEXT
    }

    fn full_screen(&self) -> bool {
        true
    }

    fn opened(&mut self, cx: &mut Ctx<'_>) {
        for n in [self.base, self.current] {
            cx.fx.app.push(AppCmd::Config(ConfigCmd::Read {
                doc: self.doc.clone(),
                n,
            }));
        }
    }

    fn config_msg(&mut self, msg: ConfigMsg, _cx: &mut Ctx<'_>) -> Outcome {
        match msg.answer() {
            Some(ConfigAnswer::Read(Ok((v, text)))) => match crate::gconfig::parse(&text) {
                Ok(value) if v.n == self.base => self.base_doc = Some(value),
                Ok(value) if v.n == self.current => self.theirs_doc = Some(value),
                Ok(_) => {}
                Err(p) => {
                    self.message = Some((Level::Danger, format!("v{} is not JSON: {p}", v.n)))
                }
            },
            Some(ConfigAnswer::Read(Err(e))) => {
                self.message = Some((Level::Danger, format!("cannot read a version: {e}")));
            }
            Some(ConfigAnswer::Planned(result)) => {
                self.planning = false;
                match result {
                    Ok(plan) => {
                        return Outcome::Replace(Box::new(super::plan::PlanView::new(
                            plan,
                            Some(self.current),
                            self.readonly,
                        )));
                    }
                    Err(e) => self.message = Some((Level::Danger, format!("cannot plan: {e}"))),
                }
            }
            _ => {}
        }
        Outcome::Handled
    }

    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Outcome {
        match key.code {
            KeyCode::Char('t') | KeyCode::Left => self.choose(Choice::Theirs, false),
            KeyCode::Char('m') | KeyCode::Right => self.choose(Choice::Mine, false),
            KeyCode::Char('T') => self.choose(Choice::Theirs, true),
            KeyCode::Char('M') => self.choose(Choice::Mine, true),
            KeyCode::Enter if !self.planning => match self.resolved() {
                Ok(merged) => {
                    self.planning = true;
                    self.message = Some((Level::Info, "merged; planning …".into()));
                    cx.fx.app.push(AppCmd::Config(ConfigCmd::Plan {
                        doc: self.doc.clone(),
                        text: pretty(&merged),
                        base: Some(self.current),
                    }));
                }
                Err(e) => self.message = Some((Level::Warn, e)),
            },
            KeyCode::Esc | KeyCode::Char('e') | KeyCode::Char('q') => return Outcome::Close,
            _ => match cx.action(CONTEXT, key) {
                Some(Action::Down) => {
                    self.selected = (self.selected + 1).min(self.conflicts.len().saturating_sub(1));
                }
                Some(Action::Up) => self.selected = self.selected.saturating_sub(1),
                _ => {}
            },
        }
        Outcome::Handled
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCtx<'_>) {
        let theme = cx.theme;
        clear(frame, area, theme);
        if area.height < 4 {
            return;
        }
        let [top, intro, table, status] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(3),
            Constraint::Fill(1),
            Constraint::Length(1),
        ])
        .areas(area);
        frame.render_widget(
            Paragraph::new(bar(
                vec![Span::styled(
                    format!(" conflict · {} ", self.doc),
                    theme.danger,
                )],
                vec![Span::styled(
                    format!(
                        "{}/{} chosen ",
                        self.choices.iter().filter(|c| c.is_some()).count(),
                        self.conflicts.len()
                    ),
                    theme.muted,
                )],
                top.width,
                theme.text,
            )),
            top,
        );
        frame.render_widget(
            Paragraph::new(vec![Line::styled(
                format!(
                    "v{} was published while you edited v{}, and both changed the pointers below. Choose a side for each (t theirs = v{}, m mine); every other change of both is kept. Nothing is published before the plan's y.",
                    self.current, self.base, self.current
                ),
                theme.text,
            )])
            .wrap(Wrap { trim: false }),
            intro,
        );
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(theme.border_focused)
            .title(Span::styled(
                format!(
                    " pointers changed on both sides ({}) ",
                    self.conflicts.len()
                ),
                theme.title,
            ));
        let inner = block.inner(table);
        frame.render_widget(block, table);
        let w = usize::from(inner.width);
        let ptr_w = (w / 4).clamp(8, 30);
        let col = w.saturating_sub(ptr_w + 3 + 3) / 3;
        let mut lines = vec![Line::styled(
            format!(
                "   {:<ptr_w$} {:<col$}{:<col$}{:<col$}",
                "pointer",
                format!("base v{}", self.base),
                format!("theirs v{}", self.current),
                "mine"
            ),
            theme.header,
        )];
        let h = usize::from(inner.height.saturating_sub(1));
        let first = self.selected.saturating_sub(h.saturating_sub(1));
        for (i, c) in self.conflicts.iter().enumerate().skip(first).take(h) {
            let chosen = self.choices[i];
            let cell = |text: String, on: bool| {
                let t = display_line(&text, col.saturating_sub(1));
                let t = format!("{t:<col$}");
                if on {
                    Span::styled(t, theme.ok)
                } else if chosen.is_some() {
                    Span::styled(t, theme.muted)
                } else {
                    Span::styled(t, theme.text)
                }
            };
            let mark = match chosen {
                Some(Choice::Theirs) => "t",
                Some(Choice::Mine) => "m",
                None => "?",
            };
            let ptr = if c.pointer.is_empty() {
                "(the document)".to_string()
            } else {
                crate::text::printable(&c.pointer).into_owned()
            };
            let row_style = if i == self.selected {
                theme.selected
            } else {
                theme.text
            };
            lines.push(Line::from(vec![
                Span::styled(
                    format!(" {mark} "),
                    if chosen.is_some() {
                        theme.ok
                    } else {
                        theme.warn
                    },
                ),
                Span::styled(format!("{:<ptr_w$} ", display_line(&ptr, ptr_w)), row_style),
                cell(value_text(&c.base), false),
                cell(value_text(&c.theirs), chosen == Some(Choice::Theirs)),
                cell(value_text(&c.mine), chosen == Some(Choice::Mine)),
            ]));
        }
        frame.render_widget(Paragraph::new(lines), inner);
        if let Some((level, m)) = &self.message {
            let style = crate::view::level_style(*level, theme);
            frame.render_widget(Paragraph::new(Line::styled(format!(" {m}"), style)), status);
        }
    }

    fn hints(&self, _keymap: &Keymap) -> Vec<(String, String)> {
        vec![
            ("t".into(), "theirs".into()),
            ("m".into(), "mine".into()),
            ("T/M".into(), "all".into()),
            ("Enter".into(), "merge & plan".into()),
            ("Esc".into(), "back to the editor".into()),
        ]
    }
}
