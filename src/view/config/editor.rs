//! The full-screen editor of one global config document (`E`, `:config [NAME]`).
//!
//! It loads the current version, edits it in the shared [`Editor`] widget (line numbers,
//! JSON colours), and on `save` (Ctrl-s) validates it here first — a JSON error moves the
//! cursor to it, schema errors are listed with their pointers and Enter jumps to one — then
//! asks the engine for the plan, which opens on top ([`super::plan::PlanView`]). Every edit
//! is saved as a draft (debounced, and on the way out), so a dropped SSH session loses
//! nothing; the next start offers it. Esc with unsaved changes asks first.

use std::cell::RefCell;

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph};

use super::{ConfigEnv, bar, clear, size_text};
use crate::engine::gconf::{ConfigAnswer, ConfigCmd, Loaded};
use crate::gconfig::draft::{Debounce, Draft, Drafts};
use crate::gconfig::io::GError;
use crate::gconfig::{MAX_CONFIG_SIZE, Problem, Version};
use crate::keymap::{Action, Keymap};
use crate::store::Level;
use crate::view::{AppCmd, ConfigMsg, Ctx, DrawCtx, Outcome, View, hints_for};
use crate::widget::editor::Syntax;
use crate::widget::{Editor, InputResult};

const CONTEXT: &str = "config";

/// Where the keys go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Focus {
    Text,
    Problems,
}

/// What the editor is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Busy {
    Loading,
    Planning,
    External,
}

/// The editor of one document.
pub struct ConfigEditor {
    doc: String,
    readonly: bool,
    busy: Option<Busy>,
    /// What the load said (versions, schema, subscribers).
    loaded: Option<Loaded>,
    /// Why it could not be loaded.
    failed: Option<String>,
    /// The version the text was opened from (None: the document has no version yet).
    base: Option<Version>,
    /// The text as opened (a change from it is unsaved work).
    original: String,
    editor: RefCell<Editor>,
    /// The theme the editor's styles were last taken from.
    styled: RefCell<String>,
    problems: Vec<Problem>,
    /// Each problem's line (from 0), when it could be found.
    problem_lines: Vec<Option<usize>>,
    selected: usize,
    focus: Focus,
    /// The last thing to tell the user (and how serious).
    message: Option<(Level, String)>,
    /// Esc with unsaved changes: asking what to do.
    asking: bool,
    /// A draft to put in place of the loaded text (reopened after a crash).
    restore: Option<Draft>,
    debounce: Debounce,
    /// The text last saved as a draft.
    drafted: Option<String>,
    draft_error: Option<String>,
    /// A newer version than the base exists (the plan will merge, or show a conflict).
    newer: Option<u64>,
    /// The clock's time and an `Instant` taken together: the debounce runs on instants,
    /// the app's clock is a timestamp (tests move it).
    anchor: Option<(jiff::Timestamp, std::time::Instant)>,
    /// The text's size and whether it differs from what was opened, as of the last change
    /// (the status line reads these: the text is not joined per frame).
    shown: (usize, bool),
}

impl ConfigEditor {
    /// An editor of `doc`; it loads when opened.
    pub fn new(doc: &str, readonly: bool) -> Self {
        let mut editor = Editor::new("");
        editor.set_syntax(Some(Syntax::Json));
        editor.set_readonly(true);
        ConfigEditor {
            doc: doc.to_string(),
            readonly,
            busy: Some(Busy::Loading),
            loaded: None,
            failed: None,
            base: None,
            original: String::new(),
            editor: RefCell::new(editor),
            styled: RefCell::new(String::new()),
            problems: Vec::new(),
            problem_lines: Vec::new(),
            selected: 0,
            focus: Focus::Text,
            message: None,
            asking: false,
            restore: None,
            debounce: Debounce::default(),
            drafted: None,
            draft_error: None,
            newer: None,
            anchor: None,
            shown: (0, false),
        }
    }

    /// After a change of the text: what the status line shows.
    fn refresh(&mut self) {
        let text = self.text();
        self.shown = (
            text.len(),
            self.busy != Some(Busy::Loading) && text != self.original,
        );
    }

    /// The app's time as an instant for the debounce.
    fn instant(&mut self, now: jiff::Timestamp) -> std::time::Instant {
        let (ts, at) = *self.anchor.get_or_insert((now, std::time::Instant::now()));
        let d = now.duration_since(ts);
        if d.is_negative() {
            at
        } else {
            at + d.unsigned_abs()
        }
    }

    fn touched(&mut self, now: jiff::Timestamp) {
        let i = self.instant(now);
        self.debounce.touch(i);
        self.refresh();
    }

    /// An editor that reopens a draft (its text replaces the loaded one; its base stays the
    /// version it was typed on, so a newer version merges or shows a conflict).
    pub fn from_draft(draft: Draft, readonly: bool) -> Self {
        let mut e = ConfigEditor::new(&draft.doc, readonly);
        e.restore = Some(draft);
        e
    }

    pub fn doc(&self) -> &str {
        &self.doc
    }

    /// The text being edited.
    pub fn text(&self) -> String {
        self.editor.borrow().text()
    }

    /// The problems listed (after a save or a return from `$EDITOR`).
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// The line the message bar shows, if any.
    pub fn message(&self) -> Option<&str> {
        self.message.as_ref().map(|(_, m)| m.as_str())
    }

    pub fn cursor(&self) -> (usize, usize) {
        self.editor.borrow().cursor()
    }

    pub fn base(&self) -> Option<u64> {
        self.base.as_ref().map(|v| v.n)
    }

    pub fn is_loading(&self) -> bool {
        self.busy == Some(Busy::Loading)
    }

    fn modified(&self) -> bool {
        self.busy != Some(Busy::Loading) && self.text() != self.original
    }

    fn say(&mut self, level: Level, text: impl Into<String>) {
        self.message = Some((level, text.into()));
    }

    fn loaded(&mut self, l: Loaded) {
        let (text, base) = match &l.current {
            Some((v, t)) => (t.clone(), Some(v.clone())),
            None => ("{\n}\n".to_string(), None),
        };
        self.original = text.clone();
        let mut shown = text;
        self.base = base;
        if let Some(d) = self.restore.take() {
            shown = d.text.clone();
            // the draft's base, when it still exists
            if let Some(b) = d.base {
                self.base = l.versions.iter().find(|v| v.n == b).cloned();
                if self.base.is_none() {
                    self.say(
                        Level::Warn,
                        format!(
                            "the draft was typed on v{b}, which no longer exists: it is compared with the current version"
                        ),
                    );
                    self.base = l.current.as_ref().map(|(v, _)| v.clone());
                }
            }
            // what the draft is compared with: the version it was typed on
            if self.base.as_ref().map(|v| v.n) != l.current.as_ref().map(|(v, _)| v.n) {
                self.original.clear();
            }
            if self.message.is_none() {
                self.say(
                    Level::Info,
                    format!(
                        "draft reopened (saved {}): Ctrl-s to validate and plan",
                        d.saved
                    ),
                );
            }
            self.drafted = Some(d.text);
        }
        self.newer = match (&self.base, &l.current) {
            (Some(b), Some((c, _))) if c.n > b.n => Some(c.n),
            _ => None,
        };
        {
            // a new editor: its undo history starts at the loaded text
            let mut e = Editor::new(&shown);
            e.set_syntax(Some(Syntax::Json));
            e.set_readonly(self.readonly);
            *self.editor.borrow_mut() = e;
            self.styled.borrow_mut().clear();
        }
        if self.readonly && self.message.is_none() {
            self.say(Level::Info, "readonly mode: the document opens read-only");
        }
        self.loaded = Some(l);
        self.busy = None;
        self.refresh();
    }

    /// Show problems: marks in the editor, the list under it, the cursor on the first.
    fn show_problems(&mut self, problems: Vec<Problem>, what: &str) {
        let text = self.text();
        self.problem_lines = problems
            .iter()
            .map(|p| match (&p.pointer, p.line) {
                (_, Some(l)) => Some(l.saturating_sub(1)),
                (Some(ptr), None) => {
                    crate::gconfig::locate::pointer_position(&text, ptr).map(|(l, _)| l)
                }
                _ => None,
            })
            .collect();
        let marks: Vec<(usize, String)> = problems
            .iter()
            .zip(&self.problem_lines)
            .filter_map(|(p, l)| l.map(|l| (l, p.to_string())))
            .collect();
        let n = problems.len();
        {
            let mut e = self.editor.borrow_mut();
            e.set_marks(marks);
            if let Some(first) = problems.first() {
                match (first.line, first.column, self.problem_lines[0]) {
                    (Some(l), Some(c), _) => e.goto(l.saturating_sub(1), c.saturating_sub(1)),
                    (_, _, Some(l)) => e.goto(l, 0),
                    _ => {}
                }
            }
        }
        let first = problems
            .first()
            .map(ToString::to_string)
            .unwrap_or_default();
        self.problems = problems;
        self.selected = 0;
        self.focus = Focus::Text;
        self.say(
            Level::Danger,
            if n == 1 {
                format!("{what}: {first}; nothing was published")
            } else {
                format!("{what}: {n} problems (Tab lists them, Enter jumps); nothing was published")
            },
        );
    }

    fn clear_problems(&mut self) {
        self.problems.clear();
        self.problem_lines.clear();
        self.editor.borrow_mut().set_marks(Vec::new());
        if self.focus == Focus::Problems {
            self.focus = Focus::Text;
        }
    }

    fn schema(&self) -> Option<&serde_json::Value> {
        self.loaded
            .as_ref()
            .and_then(|l| l.schema.as_ref())
            .map(|(_, s)| s)
    }

    /// Ctrl-s: validate here, then ask for the plan.
    fn save(&mut self, cx: &mut Ctx<'_>) {
        if self.busy.is_some() {
            return;
        }
        let text = self.text();
        match crate::gconfig::validate(&text, self.schema()) {
            Err(problems) => {
                let what = if problems.iter().any(|p| p.pointer.is_some()) {
                    "the schema refuses it"
                } else {
                    "not valid"
                };
                self.show_problems(problems, what);
            }
            Ok(_) => {
                self.clear_problems();
                self.busy = Some(Busy::Planning);
                self.say(Level::Info, "valid; planning (nothing is written yet) …");
                cx.fx.app.push(AppCmd::Config(ConfigCmd::Plan {
                    doc: self.doc.clone(),
                    text,
                    base: self.base(),
                }));
            }
        }
    }

    /// Ctrl-f: pretty-print (one undo step).
    fn format(&mut self) {
        let text = self.text();
        match crate::gconfig::parse(&text) {
            Ok(v) => {
                let pretty = crate::gconfig::pretty(&v);
                if pretty == text {
                    self.say(Level::Info, "already pretty-printed");
                } else {
                    self.editor.borrow_mut().set_text(&pretty);
                    self.say(Level::Info, "pretty-printed (Ctrl-z undoes it)");
                }
            }
            Err(p) => self.show_problems(vec![p], "cannot pretty-print"),
        }
    }

    fn drafts(env: &ConfigEnv) -> Option<Drafts> {
        env.drafts.as_ref().map(|d| Drafts::at(d.clone()))
    }

    /// Save the draft now if the text changed since the last one (or remove it when the
    /// text is back to what was opened).
    fn save_draft(&mut self, cx: &mut Ctx<'_>) {
        if self.busy == Some(Busy::Loading) || self.readonly {
            return;
        }
        let text = self.text();
        if self.drafted.as_deref() == Some(text.as_str()) {
            self.debounce.saved();
            return;
        }
        let Some(drafts) = Self::drafts(cx.env) else {
            return;
        };
        let result = if text == self.original && self.restore.is_none() {
            drafts.discard(&self.doc, &cx.env.cluster)
        } else {
            drafts.save(&Draft {
                doc: self.doc.clone(),
                endpoint: cx.env.cluster.clone(),
                base: self.base(),
                text: text.clone(),
                saved: cx.now,
            })
        };
        self.debounce.saved();
        match result {
            Ok(()) => {
                self.drafted = Some(text);
                self.draft_error = None;
            }
            Err(e) => self.draft_error = Some(format!("the draft cannot be saved: {e}")),
        }
    }

    /// The user chose to drop the edit: no draft is kept.
    fn discard_draft(&mut self, cx: &mut Ctx<'_>) {
        if let Some(d) = Self::drafts(cx.env) {
            let _ = d.discard(&self.doc, &cx.env.cluster);
        }
        self.drafted = None;
    }

    fn answer(&mut self, answer: ConfigAnswer, cx: &mut Ctx<'_>) -> Outcome {
        match answer {
            ConfigAnswer::Loaded(Ok(l)) => {
                self.loaded(l);
                Outcome::Handled
            }
            ConfigAnswer::Loaded(Err(e)) => {
                self.busy = None;
                self.failed = Some(e.to_string());
                self.say(Level::Danger, format!("cannot read {}: {e}", self.doc));
                Outcome::Handled
            }
            ConfigAnswer::Planned(result) => {
                self.busy = None;
                match result {
                    Ok(plan) => {
                        self.message = None;
                        Outcome::Push(Box::new(super::plan::PlanView::new(
                            plan,
                            self.base(),
                            self.readonly,
                        )))
                    }
                    Err(GError::Invalid(problems)) => {
                        self.show_problems(problems, "the engine's check refuses it");
                        Outcome::Handled
                    }
                    Err(GError::Merge {
                        base,
                        current,
                        conflicts,
                    }) => {
                        self.say(
                            Level::Warn,
                            format!(
                                "v{current} appeared while you edited v{base}, and changed the same pointers"
                            ),
                        );
                        Outcome::Push(Box::new(super::conflict::ConflictView::new(
                            &self.doc,
                            base,
                            current,
                            conflicts,
                            self.text(),
                            self.readonly,
                        )))
                    }
                    Err(e) => {
                        self.say(Level::Danger, format!("cannot plan: {e}"));
                        Outcome::Handled
                    }
                }
            }
            other => {
                let _ = (other, cx);
                Outcome::Handled
            }
        }
    }

    fn key_asking(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Outcome {
        match key.code {
            KeyCode::Char('d') => {
                self.discard_draft(cx);
                Outcome::Close
            }
            KeyCode::Char('k') => {
                self.save_draft(cx);
                cx.fx.notify(
                    Level::Info,
                    format!(
                        "the draft of {} is kept: E or :config {} reopens it",
                        self.doc, self.doc
                    ),
                );
                Outcome::Close
            }
            KeyCode::Esc | KeyCode::Char('n') => {
                self.asking = false;
                Outcome::Handled
            }
            _ => Outcome::Handled,
        }
    }

    fn key_problems(&mut self, key: &KeyEvent, action: Option<Action>) -> Outcome {
        match (key.code, action) {
            (_, Some(Action::Down)) => {
                self.selected = (self.selected + 1).min(self.problems.len().saturating_sub(1));
            }
            (_, Some(Action::Up)) => self.selected = self.selected.saturating_sub(1),
            (KeyCode::Enter, _) => {
                let p = &self.problems[self.selected];
                let at = match (p.line, p.column, self.problem_lines[self.selected]) {
                    (Some(l), Some(c), _) => Some((l.saturating_sub(1), c.saturating_sub(1))),
                    (_, _, Some(l)) => Some((l, 0)),
                    _ => None,
                };
                if let Some((l, c)) = at {
                    self.editor.borrow_mut().goto(l, c);
                }
                self.focus = Focus::Text;
            }
            (KeyCode::Tab | KeyCode::Esc, _) => self.focus = Focus::Text,
            _ => {}
        }
        Outcome::Handled
    }
}

impl View for ConfigEditor {
    fn context(&self) -> &'static str {
        CONTEXT
    }

    fn full_screen(&self) -> bool {
        true
    }

    fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Outcome {
        if self.asking {
            return self.key_asking(key, cx);
        }
        let action = cx.action(CONTEXT, key);
        if self.focus == Focus::Problems {
            return self.key_problems(key, action);
        }
        match action {
            Some(Action::Save) => {
                self.save(cx);
                return Outcome::Handled;
            }
            Some(Action::Format) if !self.readonly && self.busy.is_none() => {
                self.format();
                self.touched(cx.now);
                return Outcome::Handled;
            }
            Some(Action::ExternalEdit) if !self.readonly && self.busy.is_none() => {
                self.busy = Some(Busy::External);
                cx.fx.app.push(AppCmd::ExternalEdit {
                    text: self.text(),
                    suffix: ".json".into(),
                });
                return Outcome::Handled;
            }
            _ => {}
        }
        match key.code {
            KeyCode::Esc if self.modified() && !self.readonly => {
                self.asking = true;
                return Outcome::Handled;
            }
            KeyCode::Esc => return Outcome::Close,
            KeyCode::Tab if !self.problems.is_empty() => {
                self.focus = Focus::Problems;
                return Outcome::Handled;
            }
            _ => {}
        }
        if self.busy == Some(Busy::Loading) {
            return Outcome::Handled;
        }
        let result = self.editor.borrow_mut().key(key);
        match result {
            InputResult::Edited => {
                self.touched(cx.now);
                Outcome::Handled
            }
            InputResult::Moved => Outcome::Handled,
            InputResult::Ignored if self.readonly && is_text_key(key) => {
                self.say(Level::Warn, "read-only: readonly mode changes nothing");
                Outcome::Handled
            }
            // nothing else falls through to the panes under a full-screen editor
            InputResult::Ignored => Outcome::Handled,
        }
    }

    fn paste(&mut self, text: &str, cx: &mut Ctx<'_>) -> Outcome {
        if self.readonly || self.busy.is_some() {
            self.say(Level::Warn, "read-only here: the paste was not taken");
            return Outcome::Handled;
        }
        let pasted = self.editor.borrow_mut().paste(text);
        if let Err(e) = pasted {
            self.say(Level::Warn, e);
            return Outcome::Handled;
        }
        self.touched(cx.now);
        Outcome::Handled
    }

    fn opened(&mut self, cx: &mut Ctx<'_>) {
        cx.fx.app.push(AppCmd::Config(ConfigCmd::Load {
            doc: self.doc.clone(),
        }));
    }

    fn config_msg(&mut self, msg: ConfigMsg, cx: &mut Ctx<'_>) -> Outcome {
        match msg {
            ConfigMsg::Done(answer) => self.answer(*answer, cx),
            ConfigMsg::Progress(_) => Outcome::Handled,
        }
    }

    fn external_done(&mut self, result: Result<String, String>, cx: &mut Ctx<'_>) -> Outcome {
        self.busy = None;
        match result {
            Ok(text) if text == self.text() => self.say(Level::Info, "$EDITOR changed nothing"),
            Ok(text) => {
                self.editor.borrow_mut().set_text(&text);
                self.touched(cx.now);
                self.save_draft(cx);
                // as kubectl edit does: the errors shown, the text kept
                match crate::gconfig::validate(&text, self.schema()) {
                    Ok(_) => {
                        self.clear_problems();
                        self.say(
                            Level::Info,
                            "back from $EDITOR: valid JSON; Ctrl-s plans the publish",
                        );
                    }
                    Err(problems) => {
                        self.show_problems(problems, "back from $EDITOR, your text is kept, but")
                    }
                }
            }
            Err(e) => self.say(
                Level::Danger,
                format!("$EDITOR: {e}; the text is unchanged"),
            ),
        }
        Outcome::Handled
    }

    fn tick(&mut self, cx: &mut Ctx<'_>) -> bool {
        let now = self.instant(cx.now);
        if self.debounce.due(now) {
            self.save_draft(cx);
            return true;
        }
        false
    }

    fn flush(&mut self, cx: &mut Ctx<'_>) {
        if self.modified() || self.restore.is_some() {
            self.save_draft(cx);
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, cx: &DrawCtx<'_>) {
        let theme = cx.theme;
        clear(frame, area, theme);
        if area.height < 3 {
            return;
        }
        {
            let mut styled = self.styled.borrow_mut();
            if *styled != theme.name || styled.is_empty() {
                self.editor.borrow_mut().set_style(theme);
                *styled = theme.name.clone();
            }
        }
        let problems_h = if self.problems.is_empty() {
            0
        } else {
            (self.problems.len() as u16 + 2).min(area.height / 3).max(3)
        };
        let [top, body, list, status] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(problems_h),
            Constraint::Length(1),
        ])
        .areas(area);

        // the title bar: the document, where it came from, the schema, the subscribers
        let from = match &self.base {
            Some(v) => format!(
                "opened from v{} ({}, {})",
                v.n,
                v.author,
                short_time(&v.created)
            ),
            None if self.busy == Some(Busy::Loading) => "loading …".to_string(),
            None => "no version yet: this will be v1".to_string(),
        };
        let mut right = Vec::new();
        if let Some(l) = &self.loaded {
            if let Some((v, _)) = &l.schema {
                right.push(Span::styled(format!("schema v{} · ", v.n), theme.muted));
            }
            right.push(Span::styled(
                format!(
                    "{} subscriber{} ",
                    l.subscribers.len(),
                    if l.subscribers.len() == 1 { "" } else { "s" }
                ),
                theme.muted,
            ));
        }
        let mut left = vec![
            Span::styled(format!(" {} ", self.doc), theme.title),
            Span::styled(from, theme.muted),
        ];
        if self.readonly {
            left.push(Span::styled("  READ-ONLY", theme.warn));
        }
        if let Some(n) = self.newer {
            left.push(Span::styled(
                format!("  v{n} is newer: Ctrl-s merges or shows the conflict"),
                theme.warn,
            ));
        }
        frame.render_widget(Paragraph::new(bar(left, right, top.width, theme.text)), top);

        if let Some(err) = &self.failed {
            let block = Block::bordered()
                .border_type(BorderType::Rounded)
                .border_style(theme.danger)
                .title(Span::styled(format!(" {} ", self.doc), theme.title));
            frame.render_widget(
                Paragraph::new(vec![
                    Line::styled(format!("cannot read {}:", self.doc), theme.danger),
                    Line::styled(crate::text::printable(err), theme.text),
                    Line::default(),
                    Line::styled("Esc closes.", theme.muted),
                ])
                .block(block)
                .wrap(ratatui::widgets::Wrap { trim: false }),
                body,
            );
        } else {
            let title = format!("{}.json", self.doc);
            self.editor
                .borrow()
                .render(frame, body, &title, self.focus == Focus::Text);
        }

        if problems_h > 0 {
            let block = Block::bordered()
                .border_type(BorderType::Rounded)
                .border_style(if self.focus == Focus::Problems {
                    theme.border_focused
                } else {
                    theme.border
                })
                .title(Span::styled(
                    format!(" problems ({}) · Tab · Enter jumps ", self.problems.len()),
                    theme.danger,
                ));
            let inner = block.inner(list);
            frame.render_widget(block, list);
            let h = usize::from(inner.height);
            let first = self.selected.saturating_sub(h.saturating_sub(1));
            let lines: Vec<Line> = self
                .problems
                .iter()
                .enumerate()
                .skip(first)
                .take(h)
                .map(|(i, p)| {
                    let at = self.problem_lines[i]
                        .map_or(String::new(), |l| format!("line {}: ", l + 1));
                    let style = if i == self.selected && self.focus == Focus::Problems {
                        theme.selected
                    } else {
                        theme.text
                    };
                    Line::styled(
                        crate::widget::display_line(&format!("{at}{p}"), inner.width as usize),
                        style,
                    )
                })
                .collect();
            frame.render_widget(Paragraph::new(lines), inner);
        }

        // the status line: position, size against the limit, version, draft, message
        let (line, col) = self.cursor();
        let (size, modified) = self.shown;
        let size_style = if size >= MAX_CONFIG_SIZE {
            theme.danger
        } else if size * 10 >= MAX_CONFIG_SIZE * 9 {
            theme.warn
        } else {
            theme.muted
        };
        let mut left = vec![
            Span::styled(format!(" Ln {}, Col {} · ", line + 1, col + 1), theme.muted),
            Span::styled(format!("{} of 1000 KiB ", size_text(size)), size_style),
        ];
        if modified {
            left.push(Span::styled("· modified ", theme.warn));
        }
        match (&self.draft_error, &self.drafted) {
            (Some(e), _) => left.push(Span::styled(format!("· {e} "), theme.danger)),
            (None, Some(_)) => left.push(Span::styled("· draft saved ", theme.muted)),
            _ => {}
        }
        let right = match (self.busy, &self.message) {
            (Some(Busy::Loading), _) => {
                vec![Span::styled(format!("loading {} … ", self.doc), theme.info)]
            }
            (Some(Busy::External), _) => vec![Span::styled("in $EDITOR … ", theme.info)],
            (_, Some((level, m))) => vec![Span::styled(
                format!("{} ", crate::text::printable(m)),
                crate::view::level_style(*level, theme),
            )],
            _ => Vec::new(),
        };
        frame.render_widget(
            Paragraph::new(bar(left, right, status.width, theme.text)),
            status,
        );

        if self.asking {
            let lines = vec![
                Line::styled(format!("{} has unsaved changes.", self.doc), theme.warn),
                Line::default(),
                Line::from(vec![
                    Span::styled(" k ", theme.footer_key),
                    Span::styled("close and keep the draft (E reopens it)", theme.text),
                ]),
                Line::from(vec![
                    Span::styled(" d ", theme.footer_key),
                    Span::styled("discard the changes", theme.text),
                ]),
                Line::from(vec![
                    Span::styled(" Esc ", theme.footer_key),
                    Span::styled("back to the editor", theme.text),
                ]),
            ];
            let r = crate::widget::centered(area, 52, 7);
            frame.render_widget(ratatui::widgets::Clear, r);
            frame.render_widget(
                Paragraph::new(lines).block(
                    Block::bordered()
                        .border_type(BorderType::Rounded)
                        .border_style(theme.warn)
                        .title(Span::styled(" close the editor? ", theme.title)),
                ),
                r,
            );
        }
    }

    fn hints(&self, keymap: &Keymap) -> Vec<(String, String)> {
        if self.asking {
            return vec![
                ("k".into(), "keep draft".into()),
                ("d".into(), "discard".into()),
                ("Esc".into(), "back".into()),
            ];
        }
        if self.focus == Focus::Problems {
            return vec![
                ("Enter".into(), "jump".into()),
                ("Tab".into(), "editor".into()),
            ];
        }
        let mut h = if self.readonly {
            hints_for(keymap, CONTEXT, &[(Action::Save, "validate")])
        } else {
            hints_for(
                keymap,
                CONTEXT,
                &[
                    (Action::Save, "validate & plan"),
                    (Action::Format, "format"),
                    (Action::ExternalEdit, "$EDITOR"),
                ],
            )
        };
        if !self.problems.is_empty() {
            h.push(("Tab".into(), "problems".into()));
        }
        h.push(("Ctrl-z".into(), "undo".into()));
        h.push(("Esc".into(), "close".into()));
        h
    }

    fn actions(&self) -> &'static [Action] {
        &[Action::Save, Action::Format, Action::ExternalEdit]
    }
}

/// Whether a key would type or delete text (refused in read-only mode).
fn is_text_key(key: &KeyEvent) -> bool {
    matches!(
        key.code,
        KeyCode::Char(_) | KeyCode::Enter | KeyCode::Backspace | KeyCode::Delete | KeyCode::Tab
    )
}

/// "2026-12-01 16:05" from an RFC 3339 time.
fn short_time(t: &str) -> String {
    let t = t.replace('T', " ");
    t.chars().take(16).collect()
}
