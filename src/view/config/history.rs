//! The history of a document (`:config history [NAME]`): its versions with author, time and
//! size, newest first. Enter shows one; Space marks one and `d` diffs the marked and the
//! selected (without a mark: the selected against the current); `r` rolls back — publishes
//! the selected version's content as a new version, through the same plan.

use std::cell::RefCell;

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph};

use super::{bar, clear, size_text};
use crate::engine::gconf::{ConfigAnswer, ConfigCmd};
use crate::gconfig::Version;
use crate::keymap::{Action, Keymap};
use crate::store::Level;
use crate::view::{AppCmd, ConfigMsg, Ctx, DrawCtx, Outcome, View};
use crate::widget::editor::Syntax;
use crate::widget::{DiffView, Editor, display_line};

const CONTEXT: &str = "history";

/// What the history waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Want {
    Nothing,
    Show(u64),
    /// Diff (old, new): the texts read so far.
    Diff(u64, u64, Vec<(u64, String)>),
    Rollback(u64),
}

pub struct HistoryView {
    doc: String,
    readonly: bool,
    versions: Vec<Version>,
    loading: bool,
    selected: usize,
    marked: Option<u64>,
    want: Want,
    message: Option<(Level, String)>,
}

impl HistoryView {
    pub fn new(doc: &str, readonly: bool) -> Self {
        HistoryView {
            doc: doc.to_string(),
            readonly,
            versions: Vec::new(),
            loading: true,
            selected: 0,
            marked: None,
            want: Want::Nothing,
            message: None,
        }
    }

    /// The versions, newest first.
    pub fn versions(&self) -> &[Version] {
        &self.versions
    }

    fn current(&self) -> Option<u64> {
        self.versions.first().map(|v| v.n)
    }

    fn read(&self, n: u64, cx: &mut Ctx<'_>) {
        cx.fx.app.push(AppCmd::Config(ConfigCmd::Read {
            doc: self.doc.clone(),
            n,
        }));
    }
}

impl View for HistoryView {
    fn context(&self) -> &'static str {
        CONTEXT
    }

    fn full_screen(&self) -> bool {
        true
    }

    fn opened(&mut self, cx: &mut Ctx<'_>) {
        cx.fx.app.push(AppCmd::Config(ConfigCmd::Load {
            doc: self.doc.clone(),
        }));
    }

    fn config_msg(&mut self, msg: ConfigMsg, _cx: &mut Ctx<'_>) -> Outcome {
        let Some(answer) = msg.answer() else {
            return Outcome::Handled;
        };
        match answer {
            ConfigAnswer::Loaded(Ok(l)) => {
                self.loading = false;
                let mut v = l.versions;
                v.sort_by_key(|v| std::cmp::Reverse(v.n));
                self.versions = v;
                self.selected = self.selected.min(self.versions.len().saturating_sub(1));
            }
            ConfigAnswer::Loaded(Err(e)) => {
                self.loading = false;
                self.message = Some((Level::Danger, format!("cannot read the history: {e}")));
            }
            ConfigAnswer::Read(Ok((v, text))) => match &mut self.want {
                Want::Show(n) if *n == v.n => {
                    self.want = Want::Nothing;
                    return Outcome::Push(Box::new(TextPopup::new(
                        format!("{} (by {}, {})", v.name, v.author, v.created),
                        &text,
                    )));
                }
                Want::Diff(a, b, got) => {
                    got.push((v.n, text));
                    let (a, b) = (*a, *b);
                    let find = |n: u64| got.iter().find(|(m, _)| *m == n).map(|(_, t)| t.clone());
                    if let (Some(old), Some(new)) = (find(a), find(b)) {
                        self.want = Want::Nothing;
                        return Outcome::Push(Box::new(DiffPopup::new(
                            format!("{} v{a} → v{b}", self.doc),
                            &old,
                            &new,
                        )));
                    }
                }
                _ => {}
            },
            ConfigAnswer::Read(Err(e)) => {
                self.want = Want::Nothing;
                self.message = Some((Level::Danger, format!("cannot read the version: {e}")));
            }
            ConfigAnswer::Planned(r) => {
                self.want = Want::Nothing;
                match r {
                    Ok(plan) => {
                        let base = plan.current;
                        return Outcome::Push(Box::new(super::plan::PlanView::new(
                            plan,
                            base,
                            self.readonly,
                        )));
                    }
                    Err(e) => {
                        self.message =
                            Some((Level::Danger, format!("cannot plan the rollback: {e}")))
                    }
                }
            }
            _ => {}
        }
        Outcome::Handled
    }

    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Outcome {
        let sel = self.versions.get(self.selected).map(|v| v.n);
        match key.code {
            KeyCode::Esc | KeyCode::Char('q') => return Outcome::Close,
            KeyCode::Enter => {
                if let Some(n) = sel {
                    self.want = Want::Show(n);
                    self.read(n, cx);
                }
                return Outcome::Handled;
            }
            KeyCode::Char(' ') => {
                self.marked = if self.marked == sel { None } else { sel };
                return Outcome::Handled;
            }
            KeyCode::Char('d') => {
                let (Some(s), Some(cur)) = (sel, self.current()) else {
                    return Outcome::Handled;
                };
                let other = self.marked.unwrap_or(cur);
                if other == s {
                    self.message = Some((
                        Level::Info,
                        "mark another version with Space (or select an older one) to diff".into(),
                    ));
                    return Outcome::Handled;
                }
                let (a, b) = (other.min(s), other.max(s));
                self.want = Want::Diff(a, b, Vec::new());
                self.read(a, cx);
                self.read(b, cx);
                return Outcome::Handled;
            }
            KeyCode::Char('r') if self.readonly => {
                self.message = Some((Level::Warn, "readonly mode: no rollback".into()));
                return Outcome::Handled;
            }
            KeyCode::Char('r') => {
                if let Some(n) = sel {
                    self.want = Want::Rollback(n);
                    self.message = Some((Level::Info, format!("planning the rollback to v{n} …")));
                    cx.fx.app.push(AppCmd::Config(ConfigCmd::RollbackPlan {
                        doc: self.doc.clone(),
                        n,
                    }));
                }
                return Outcome::Handled;
            }
            _ => {}
        }
        let last = self.versions.len().saturating_sub(1);
        match cx.action(CONTEXT, key) {
            Some(Action::Down) => self.selected = (self.selected + 1).min(last),
            Some(Action::Up) => self.selected = self.selected.saturating_sub(1),
            Some(Action::Top) => self.selected = 0,
            Some(Action::Bottom) => self.selected = last,
            Some(Action::PageDown) => self.selected = (self.selected + cx.page).min(last),
            Some(Action::PageUp) => self.selected = self.selected.saturating_sub(cx.page),
            _ => {}
        }
        Outcome::Handled
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCtx<'_>) {
        let theme = cx.theme;
        clear(frame, area, theme);
        if area.height < 3 {
            return;
        }
        let [top, body, status] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(1),
        ])
        .areas(area);
        frame.render_widget(
            Paragraph::new(bar(
                vec![Span::styled(
                    format!(" history · {} ", self.doc),
                    theme.title,
                )],
                vec![Span::styled(
                    format!("{} versions ", self.versions.len()),
                    theme.muted,
                )],
                top.width,
                theme.text,
            )),
            top,
        );
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(theme.border_focused)
            .title(Span::styled(" versions, newest first ", theme.title));
        let inner = block.inner(body);
        frame.render_widget(block, body);
        let w = usize::from(inner.width);
        let mut lines = vec![Line::styled(
            format!(
                "  {:<7} {:<17} {:<9} {:<7} {}",
                "version", "created", "size", "parent", "author"
            ),
            theme.header,
        )];
        if self.loading {
            lines.push(Line::styled("  reading …", theme.info));
        } else if self.versions.is_empty() {
            lines.push(Line::styled(
                format!(
                    "  {} has no version yet: E opens the editor to publish v1",
                    self.doc
                ),
                theme.muted,
            ));
        }
        let h = usize::from(inner.height.saturating_sub(1));
        let first = self.selected.saturating_sub(h.saturating_sub(1));
        let cur = self.current();
        for (i, v) in self.versions.iter().enumerate().skip(first).take(h) {
            let mark = if self.marked == Some(v.n) { "*" } else { " " };
            let size = if v.size > 0 {
                size_text(v.size)
            } else {
                String::new()
            };
            let parent = v.parent.map_or("-".to_string(), |p| format!("v{p}"));
            let now = if Some(v.n) == cur { "  (current)" } else { "" };
            let text = format!(
                "{mark} {:<7} {:<17} {:<9} {:<7} {}{now}",
                format!("v{}", v.n),
                v.created
                    .replace('T', " ")
                    .chars()
                    .take(16)
                    .collect::<String>(),
                size,
                parent,
                crate::text::printable(&v.author)
            );
            let style = if i == self.selected {
                theme.selected
            } else {
                theme.text
            };
            lines.push(Line::styled(display_line(&text, w), style));
        }
        frame.render_widget(Paragraph::new(lines), inner);
        if let Some((level, m)) = &self.message {
            let style = crate::view::level_style(*level, theme);
            frame.render_widget(Paragraph::new(Line::styled(format!(" {m}"), style)), status);
        }
    }

    fn hints(&self, _keymap: &Keymap) -> Vec<(String, String)> {
        let mut h = vec![
            ("Enter".into(), "view".into()),
            ("Space".into(), "mark".into()),
            ("d".into(), "diff".into()),
        ];
        if !self.readonly {
            h.push(("r".into(), "roll back to it".into()));
        }
        h.push(("Esc".into(), "close".into()));
        h
    }
}

/// One version's text, read-only, with JSON colours.
pub struct TextPopup {
    title: String,
    editor: RefCell<Editor>,
    styled: RefCell<bool>,
}

impl TextPopup {
    pub fn new(title: String, text: &str) -> Self {
        let mut editor = Editor::new(text);
        editor.set_syntax(Some(Syntax::Json));
        editor.set_readonly(true);
        TextPopup {
            title,
            editor: RefCell::new(editor),
            styled: RefCell::new(false),
        }
    }
}

impl View for TextPopup {
    fn context(&self) -> &'static str {
        CONTEXT
    }

    fn full_screen(&self) -> bool {
        true
    }

    fn key(&mut self, key: &KeyEvent, _cx: &mut Ctx<'_>) -> Outcome {
        if matches!(key.code, KeyCode::Esc | KeyCode::Char('q')) {
            return Outcome::Close;
        }
        self.editor.borrow_mut().key(key);
        Outcome::Handled
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCtx<'_>) {
        clear(frame, area, cx.theme);
        if !*self.styled.borrow() {
            self.editor.borrow_mut().set_style(cx.theme);
            *self.styled.borrow_mut() = true;
        }
        self.editor.borrow().render(frame, area, &self.title, true);
    }

    fn hints(&self, _keymap: &Keymap) -> Vec<(String, String)> {
        vec![("Esc".into(), "back".into())]
    }
}

/// The line diff of two versions.
pub struct DiffPopup {
    title: String,
    diff: DiffView,
}

impl DiffPopup {
    pub fn new(title: String, old: &str, new: &str) -> Self {
        DiffPopup {
            title,
            diff: DiffView::new(old, new).with_context(3),
        }
    }
}

impl View for DiffPopup {
    fn context(&self) -> &'static str {
        CONTEXT
    }

    fn full_screen(&self) -> bool {
        true
    }

    fn key(&mut self, key: &KeyEvent, _cx: &mut Ctx<'_>) -> Outcome {
        if matches!(key.code, KeyCode::Esc | KeyCode::Char('q')) {
            return Outcome::Close;
        }
        self.diff.key(key);
        Outcome::Handled
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCtx<'_>) {
        let theme = cx.theme;
        clear(frame, area, theme);
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(theme.border_focused)
            .title(Span::styled(format!(" {} ", self.title), theme.title));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        self.diff.render(frame, inner, theme);
    }

    fn hints(&self, _keymap: &Keymap) -> Vec<(String, String)> {
        vec![("Esc".into(), "back".into())]
    }
}
