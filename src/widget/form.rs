//! [`Form`]: labelled fields with focus, validation and errors shown at the field.
//!
//! Field kinds ([`FieldKind`]):
//!
//! | kind | edited with | value |
//! | --- | --- | --- |
//! | `Text` | its [`TextInput`] | the text |
//! | `Number` | a [`TextInput`]; a whole number (`i64`), checked against `min`/`max` by [`Form::validate`] | the number, `None` while the text is not one |
//! | `Choice` | Left / Right (or Space) cycle the options | the chosen option |
//! | `Toggle` | Space flips it | on or off |
//! | `List` | a [`TextInput`] holding comma-separated items (so a list can be pasted or typed in one go) | the items, trimmed, empty ones dropped |
//!
//! Keys: Tab / Down go to the next field, Shift-Tab / Up to the previous one (both wrap
//! around); every other key goes to the focused field. Enter, Esc and Ctrl-c are
//! [`InputResult::Ignored`] for the owner, who calls [`Form::validate`] on Enter. A paste goes
//! to the focused field, and is refused (with a message) by a choice or a toggle.
//!
//! [`Form::validate`] runs every field's checks (a number's own, then the field's
//! `validate`), puts each error at its field, and focuses the first invalid one. Editing a
//! field clears its error.

use std::cell::Cell;
use std::fmt;

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Position, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

use super::{InputResult, TextInput, fit, is_ctrl_c, is_press, wrap};
use crate::theme::Theme;

/// What a field holds.
#[derive(Debug)]
pub enum FieldKind {
    /// Free text.
    Text(TextInput),
    /// A whole number typed as text, within `min..=max` where given.
    Number {
        input: TextInput,
        min: Option<i64>,
        max: Option<i64>,
    },
    /// One of `options`; `selected` is an index into them.
    Choice {
        options: Vec<String>,
        selected: usize,
    },
    /// On or off.
    Toggle(bool),
    /// Comma-separated items in a text input.
    List(TextInput),
}

/// A field's value, as [`Form::value`] gives it and as a field's `validate` sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue {
    Text(String),
    /// `None` while the text is not a whole number.
    Number(Option<i64>),
    /// The chosen option (empty if there are no options).
    Choice(String),
    Toggle(bool),
    List(Vec<String>),
}

/// A field's own check of its value: `Err` holds the message shown at the field.
pub type Validator = Box<dyn Fn(&FieldValue) -> Result<(), String>>;

/// One labelled field of a [`Form`].
pub struct Field {
    /// The key the owner reads the value by ([`Form::value`]).
    pub name: String,
    /// What the user sees beside the field.
    pub label: String,
    /// A line of help shown under the field (muted).
    pub help: Option<String>,
    pub kind: FieldKind,
    /// Checked by [`Form::validate`] (after a number's own range check).
    pub validate: Option<Validator>,
    /// The message from the last [`Form::validate`] (or [`Form::set_error`]), shown under the
    /// field until it is edited.
    pub error: Option<String>,
}

impl fmt::Debug for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Field")
            .field("name", &self.name)
            .field("label", &self.label)
            .field("help", &self.help)
            .field("kind", &self.kind)
            .field("validate", &self.validate.as_ref().map(|_| "<fn>"))
            .field("error", &self.error)
            .finish()
    }
}

fn list_items(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl Field {
    /// A field of any kind.
    pub fn new(name: impl Into<String>, label: impl Into<String>, kind: FieldKind) -> Self {
        Field {
            name: name.into(),
            label: label.into(),
            help: None,
            kind,
            validate: None,
            error: None,
        }
    }

    /// A text field.
    pub fn text(name: impl Into<String>, label: impl Into<String>, input: TextInput) -> Self {
        Self::new(name, label, FieldKind::Text(input))
    }

    /// A number field holding `value` (empty for `None`).
    pub fn number(
        name: impl Into<String>,
        label: impl Into<String>,
        value: Option<i64>,
        min: Option<i64>,
        max: Option<i64>,
    ) -> Self {
        let input = value.map_or_else(TextInput::new, |v| TextInput::with_text(v.to_string()));
        Self::new(name, label, FieldKind::Number { input, min, max })
    }

    /// A choice among `options`, `selected` chosen (clamped to them).
    pub fn choice(
        name: impl Into<String>,
        label: impl Into<String>,
        options: Vec<String>,
        selected: usize,
    ) -> Self {
        let selected = selected.min(options.len().saturating_sub(1));
        Self::new(name, label, FieldKind::Choice { options, selected })
    }

    /// An on/off toggle.
    pub fn toggle(name: impl Into<String>, label: impl Into<String>, on: bool) -> Self {
        Self::new(name, label, FieldKind::Toggle(on))
    }

    /// A list of items, edited as comma-separated text.
    pub fn list<S: AsRef<str>>(
        name: impl Into<String>,
        label: impl Into<String>,
        items: &[S],
    ) -> Self {
        let text = items
            .iter()
            .map(AsRef::as_ref)
            .collect::<Vec<_>>()
            .join(", ");
        Self::new(name, label, FieldKind::List(TextInput::with_text(text)))
    }

    /// The same field with a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The same field with a check of its value.
    pub fn with_validator(
        mut self,
        f: impl Fn(&FieldValue) -> Result<(), String> + 'static,
    ) -> Self {
        self.validate = Some(Box::new(f));
        self
    }

    /// The field's value.
    pub fn value(&self) -> FieldValue {
        match &self.kind {
            FieldKind::Text(i) => FieldValue::Text(i.text().to_string()),
            FieldKind::Number { input, .. } => FieldValue::Number(input.text().trim().parse().ok()),
            FieldKind::Choice { options, selected } => {
                FieldValue::Choice(options.get(*selected).cloned().unwrap_or_default())
            }
            FieldKind::Toggle(on) => FieldValue::Toggle(*on),
            FieldKind::List(i) => FieldValue::List(list_items(i.text())),
        }
    }

    /// The field's text input, for the kinds that have one.
    pub fn input(&self) -> Option<&TextInput> {
        match &self.kind {
            FieldKind::Text(i) | FieldKind::List(i) | FieldKind::Number { input: i, .. } => Some(i),
            FieldKind::Choice { .. } | FieldKind::Toggle(_) => None,
        }
    }

    fn input_mut(&mut self) -> Option<&mut TextInput> {
        match &mut self.kind {
            FieldKind::Text(i) | FieldKind::List(i) | FieldKind::Number { input: i, .. } => Some(i),
            FieldKind::Choice { .. } | FieldKind::Toggle(_) => None,
        }
    }

    /// The built-in check (a number's), then the field's own.
    fn check(&self) -> Result<(), String> {
        if let FieldKind::Number { input, min, max } = &self.kind {
            let t = input.text().trim();
            let n: i64 = match t.parse() {
                Ok(n) => n,
                Err(_) if t.is_empty() => return Err("enter a whole number".into()),
                Err(_) => {
                    return Err(format!(
                        "{} is not a whole number",
                        super::display_line(&fit(t, 24), 1)
                    ));
                }
            };
            if let Some(min) = min
                && n < *min
            {
                return Err(format!("must be at least {min}"));
            }
            if let Some(max) = max
                && n > *max
            {
                return Err(format!("must be at most {max}"));
            }
        }
        match &self.validate {
            Some(v) => v(&self.value()),
            None => Ok(()),
        }
    }

    fn key(&mut self, ev: &KeyEvent) -> InputResult {
        let plain = ev.modifiers.difference(KeyModifiers::SHIFT).is_empty();
        match &mut self.kind {
            FieldKind::Text(i) | FieldKind::List(i) | FieldKind::Number { input: i, .. } => {
                i.key(ev)
            }
            FieldKind::Choice { options, selected } => {
                let n = options.len();
                let to = match ev.code {
                    KeyCode::Left if plain => (*selected + n.max(1) - 1) % n.max(1),
                    KeyCode::Right | KeyCode::Char(' ') if plain => (*selected + 1) % n.max(1),
                    _ => return InputResult::Ignored,
                };
                if to == *selected {
                    InputResult::Moved
                } else {
                    *selected = to;
                    InputResult::Edited
                }
            }
            FieldKind::Toggle(on) => match ev.code {
                KeyCode::Char(' ') if plain => {
                    *on = !*on;
                    InputResult::Edited
                }
                _ => InputResult::Ignored,
            },
        }
    }

    fn paste(&mut self, text: &str) -> Result<(), String> {
        let label = self.label.clone();
        match self.input_mut() {
            Some(i) => i.paste(text),
            None => {
                let how = match self.kind {
                    FieldKind::Toggle(_) => "a toggle: Space flips it",
                    _ => "a choice: ←/→ pick the option",
                };
                Err(format!(
                    "nothing can be pasted into {}, {how}",
                    super::display_line(&label, 1)
                ))
            }
        }
    }
}

/// Labelled fields, one focused.
#[derive(Debug)]
pub struct Form {
    fields: Vec<Field>,
    focus: usize,
    /// The first row drawn (kept between draws so the view does not jump).
    scroll: Cell<usize>,
}

impl Form {
    /// A form of `fields`, the first focused.
    pub fn new(fields: Vec<Field>) -> Self {
        Form {
            fields,
            focus: 0,
            scroll: Cell::new(0),
        }
    }

    /// The fields, in order.
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The field called `name`, to change.
    pub fn field_mut(&mut self, name: &str) -> Option<&mut Field> {
        self.fields.iter_mut().find(|f| f.name == name)
    }

    /// The index of the focused field.
    pub fn focus(&self) -> usize {
        self.focus
    }

    /// The focused field (none in a form without fields).
    pub fn focused(&self) -> Option<&Field> {
        self.fields.get(self.focus)
    }

    /// Focus field `i` (clamped to the fields).
    pub fn set_focus(&mut self, i: usize) {
        self.focus = i.min(self.fields.len().saturating_sub(1));
    }

    /// Handle a key; see the module docs.
    pub fn key(&mut self, ev: &KeyEvent) -> InputResult {
        if !is_press(ev) || is_ctrl_c(ev) || self.fields.is_empty() {
            return InputResult::Ignored;
        }
        let n = self.fields.len();
        let no_mods = ev.modifiers.is_empty();
        match ev.code {
            KeyCode::Tab if no_mods => self.focus = (self.focus + 1) % n,
            KeyCode::Down if no_mods => self.focus = (self.focus + 1) % n,
            KeyCode::BackTab => self.focus = (self.focus + n - 1) % n,
            KeyCode::Up if no_mods => self.focus = (self.focus + n - 1) % n,
            _ => {
                let f = &mut self.fields[self.focus];
                let r = f.key(ev);
                if r == InputResult::Edited {
                    f.error = None;
                }
                return r;
            }
        }
        InputResult::Moved
    }

    /// Paste into the focused field; `Err` holds the reason it was refused (nothing changed).
    pub fn paste(&mut self, text: &str) -> Result<(), String> {
        let Some(f) = self.fields.get_mut(self.focus) else {
            return Err("this form has no field to paste into".into());
        };
        f.paste(text)?;
        f.error = None;
        Ok(())
    }

    /// Check every field, put each error at its field, focus the first invalid one; whether
    /// all are valid.
    pub fn validate(&mut self) -> bool {
        let mut first = None;
        for (i, f) in self.fields.iter_mut().enumerate() {
            f.error = f.check().err();
            if f.error.is_some() && first.is_none() {
                first = Some(i);
            }
        }
        if let Some(i) = first {
            self.focus = i;
        }
        first.is_none()
    }

    /// Put an error at the field called `name` (say, one the engine reported) and focus it;
    /// whether there is such a field.
    pub fn set_error(&mut self, name: &str, message: impl Into<String>) -> bool {
        match self.fields.iter().position(|f| f.name == name) {
            Some(i) => {
                self.fields[i].error = Some(message.into());
                self.focus = i;
                true
            }
            None => false,
        }
    }

    /// The value of the field called `name`.
    pub fn value(&self, name: &str) -> Option<FieldValue> {
        self.field(name).map(Field::value)
    }

    /// The text of a text, number or list field.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.field(name).and_then(Field::input).map(TextInput::text)
    }

    /// The number in a number field (`None` also while it is not a number).
    pub fn number(&self, name: &str) -> Option<i64> {
        match self.value(name)? {
            FieldValue::Number(n) => n,
            _ => None,
        }
    }

    /// The chosen option of a choice field.
    pub fn choice(&self, name: &str) -> Option<String> {
        match self.value(name)? {
            FieldValue::Choice(c) => Some(c),
            _ => None,
        }
    }

    /// Whether a toggle is on.
    pub fn toggle(&self, name: &str) -> Option<bool> {
        match self.value(name)? {
            FieldValue::Toggle(on) => Some(on),
            _ => None,
        }
    }

    /// The items of a list field.
    pub fn list(&self, name: &str) -> Option<Vec<String>> {
        match self.value(name)? {
            FieldValue::List(items) => Some(items),
            _ => None,
        }
    }

    /// Draw the form: a label column (aligned; the focused label marked and in the accent
    /// style), the fields, each error under its field (danger) and each help line (muted).
    /// Scrolls so the focused field, its error and its help stay in view.
    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        if area.width == 0 || area.height == 0 || self.fields.is_empty() {
            return;
        }
        let width = usize::from(area.width);
        let widest = self
            .fields
            .iter()
            .map(|f| f.label.width())
            .max()
            .unwrap_or(0);
        // "› " + label, then one space before the field.
        let label_w = (widest + 2).min(width / 2);
        let field_x = label_w + 1;
        let field_w = width.saturating_sub(field_x);
        let field_w16 = u16::try_from(field_w).unwrap_or(u16::MAX);
        let indent = " ".repeat(field_x);
        let cursor_style = theme.text.add_modifier(Modifier::REVERSED);

        // Every row of the form: the field it belongs to and its line.
        let mut rows: Vec<(usize, Line<'_>)> = Vec::new();
        let mut cursor: Option<(usize, u16)> = None;
        for (i, f) in self.fields.iter().enumerate() {
            let focused = i == self.focus;
            let label_style = if focused {
                theme.accent.add_modifier(Modifier::BOLD)
            } else {
                theme.text
            };
            let marker = if focused { "› " } else { "  " };
            let label = fit(&super::display_line(&f.label, 1), label_w.saturating_sub(2));
            let pad = label_w.saturating_sub(2 + label.width());
            let mut spans = vec![
                Span::styled(
                    fit(&format!("{marker}{}{label}", " ".repeat(pad)), label_w),
                    label_style,
                ),
                Span::raw(" "),
            ];
            let value_style = if f.error.is_some() {
                theme.danger
            } else {
                theme.text
            };
            match &f.kind {
                FieldKind::Text(input)
                | FieldKind::List(input)
                | FieldKind::Number { input, .. } => {
                    let line = input.line(field_w16, value_style, cursor_style, focused);
                    spans.extend(line.spans);
                    if focused && let Some(c) = input.cursor_column(field_w16) {
                        cursor = Some((rows.len(), c));
                    }
                }
                FieldKind::Choice { options, selected } => {
                    let opt = options.get(*selected).map_or("", String::as_str);
                    let opt = super::display_line(opt, 1);
                    let count = format!(" ({}/{})", selected + 1, options.len());
                    if focused {
                        spans.push(Span::styled(format!("◂ {opt} ▸"), theme.accent));
                    } else {
                        spans.push(Span::styled(opt, value_style));
                    }
                    spans.push(Span::styled(count, theme.muted));
                }
                FieldKind::Toggle(on) => {
                    let mark = if *on { "[x] on" } else { "[ ] off" };
                    let style = if focused { theme.accent } else { value_style };
                    spans.push(Span::styled(mark, style));
                }
            }
            rows.push((i, Line::from(spans)));
            if let Some(e) = &f.error {
                for l in wrap(&format!("✗ {}", super::display_line(e, 1)), field_w) {
                    rows.push((i, Line::styled(format!("{indent}{l}"), theme.danger)));
                }
            }
            if let Some(h) = &f.help {
                for l in wrap(&super::display_line(h, 1), field_w) {
                    rows.push((i, Line::styled(format!("{indent}{l}"), theme.muted)));
                }
            }
        }

        // Scroll: as little as keeps the focused field's rows in view, its first row first.
        let h = usize::from(area.height);
        let first = rows.iter().position(|(i, _)| *i == self.focus).unwrap_or(0);
        let last = rows
            .iter()
            .rposition(|(i, _)| *i == self.focus)
            .unwrap_or(0);
        let mut top = self.scroll.get().min(rows.len().saturating_sub(h));
        if last >= top + h {
            top = last + 1 - h;
        }
        if first < top {
            top = first;
        }
        self.scroll.set(top);

        let visible: Vec<Line<'_>> = rows.into_iter().skip(top).take(h).map(|(_, l)| l).collect();
        frame.render_widget(Paragraph::new(visible).style(theme.text), area);
        if let Some((row, col)) = cursor
            && row >= top
            && row < top + h
            && field_w > 0
        {
            let x = area.x + u16::try_from(field_x).unwrap_or(u16::MAX) + col;
            let y = area.y + u16::try_from(row - top).unwrap_or(u16::MAX);
            if x < area.right() {
                frame.set_cursor_position(Position::new(x, y));
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::widget::testing::{ch, draw, key, rows, screen, with};

    fn sample() -> Form {
        Form::new(vec![
            Field::text("name", "Name", TextInput::with_text("web")).with_validator(|v| match v {
                FieldValue::Text(t) if t.is_empty() => Err("a name is needed".into()),
                _ => Ok(()),
            }),
            Field::number("replicas", "Replicas", Some(3), Some(0), Some(100))
                .with_help("tasks to run"),
            Field::choice(
                "mode",
                "Mode",
                vec!["replicated".into(), "global".into()],
                0,
            ),
            Field::toggle("pull", "Always pull", false),
            Field::list("nets", "Networks", &["front", "back"]),
        ])
    }

    fn press(f: &mut Form, evs: &[KeyEvent]) {
        for e in evs {
            let _ = f.key(e);
        }
    }

    #[test]
    fn focus_order_wraps_both_ways() {
        let mut f = sample();
        let mut order = vec![];
        for _ in 0..6 {
            order.push(f.focus());
            assert_eq!(f.key(&key(KeyCode::Tab)), InputResult::Moved);
        }
        assert_eq!(order, [0, 1, 2, 3, 4, 0]);
        assert_eq!(f.focus(), 1);
        assert_eq!(f.key(&key(KeyCode::BackTab)), InputResult::Moved);
        assert_eq!(f.key(&key(KeyCode::BackTab)), InputResult::Moved);
        assert_eq!(f.focus(), 4);
        assert_eq!(f.key(&key(KeyCode::Down)), InputResult::Moved);
        assert_eq!(f.focus(), 0);
        assert_eq!(f.key(&key(KeyCode::Up)), InputResult::Moved);
        assert_eq!(f.focus(), 4);
        assert_eq!(
            f.key(&with(KeyCode::BackTab, KeyModifiers::SHIFT)),
            InputResult::Moved
        );
        assert_eq!(f.focus(), 3);
    }

    #[test]
    fn keys_go_to_the_focused_field() {
        let mut f = sample();
        assert_eq!(f.key(&ch('s')), InputResult::Edited);
        assert_eq!(f.text("name"), Some("webs"));
        press(
            &mut f,
            &[key(KeyCode::Tab), key(KeyCode::Backspace), ch('7')],
        );
        assert_eq!(f.number("replicas"), Some(7));
        press(&mut f, &[key(KeyCode::Tab)]);
        assert_eq!(f.key(&key(KeyCode::Right)), InputResult::Edited);
        assert_eq!(f.choice("mode").as_deref(), Some("global"));
        assert_eq!(f.key(&ch(' ')), InputResult::Edited);
        assert_eq!(f.choice("mode").as_deref(), Some("replicated"));
        assert_eq!(f.key(&key(KeyCode::Left)), InputResult::Edited);
        assert_eq!(f.choice("mode").as_deref(), Some("global"));
        assert_eq!(
            f.key(&ch('x')),
            InputResult::Ignored,
            "a choice takes no text"
        );
        press(&mut f, &[key(KeyCode::Tab)]);
        assert_eq!(f.key(&ch(' ')), InputResult::Edited);
        assert_eq!(f.toggle("pull"), Some(true));
        assert_eq!(f.key(&key(KeyCode::Left)), InputResult::Ignored);
        press(&mut f, &[key(KeyCode::Tab)]);
        for c in ", ,db".chars() {
            let _ = f.key(&ch(c));
        }
        assert_eq!(f.list("nets").unwrap(), ["front", "back", "db"]);
        assert_eq!(
            f.value("nets"),
            Some(FieldValue::List(vec![
                "front".into(),
                "back".into(),
                "db".into()
            ]))
        );
        assert_eq!(f.value("nope"), None);
        assert_eq!(f.toggle("name"), None, "not a toggle");
    }

    #[test]
    fn owner_keys_are_ignored() {
        let mut f = sample();
        for ev in [
            key(KeyCode::Enter),
            key(KeyCode::Esc),
            crate::widget::testing::ctrl('c'),
        ] {
            assert_eq!(f.key(&ev), InputResult::Ignored, "{ev:?}");
        }
        assert_eq!(f.focus(), 0);
        let mut empty = Form::new(vec![]);
        assert_eq!(empty.key(&key(KeyCode::Tab)), InputResult::Ignored);
        assert!(empty.paste("x").is_err());
        assert!(empty.validate());
    }

    #[test]
    fn validate_focuses_the_first_invalid_field() {
        let mut f = sample();
        assert!(f.validate());
        // Break the number (Tab to it) and then the name.
        press(
            &mut f,
            &[key(KeyCode::Tab), key(KeyCode::Backspace), ch('x')],
        );
        press(
            &mut f,
            &[key(KeyCode::BackTab), crate::widget::testing::ctrl('u')],
        );
        press(&mut f, &[key(KeyCode::Tab), key(KeyCode::Tab)]);
        assert_eq!(f.focus(), 2);
        assert!(!f.validate());
        assert_eq!(f.focus(), 0, "the first invalid field");
        assert_eq!(f.fields()[0].error.as_deref(), Some("a name is needed"));
        assert_eq!(
            f.fields()[1].error.as_deref(),
            Some("x is not a whole number")
        );
        assert_eq!(f.number("replicas"), None);
        // Editing a field clears its error only.
        let _ = f.key(&ch('a'));
        assert_eq!(f.fields()[0].error, None);
        assert!(f.fields()[1].error.is_some());
        assert!(!f.validate());
        assert_eq!(f.focus(), 1);
    }

    #[test]
    fn number_range_and_empty() {
        for (text, err) in [
            ("", Some("enter a whole number")),
            ("-1", Some("must be at least 0")),
            ("101", Some("must be at most 100")),
            (" 42 ", None),
        ] {
            let mut f = Form::new(vec![Field::number("n", "N", None, Some(0), Some(100))]);
            f.paste(text).unwrap();
            f.validate();
            assert_eq!(f.fields()[0].error.as_deref(), err, "{text:?}");
        }
    }

    #[test]
    fn paste_goes_to_the_focused_field() {
        let mut f = sample();
        assert!(f.set_error("name", "taken"));
        assert_eq!(f.fields()[0].error.as_deref(), Some("taken"));
        f.paste("-api").unwrap();
        assert_eq!(f.text("name"), Some("web-api"));
        assert_eq!(f.fields()[0].error, None, "a paste is an edit");
        let e = f.paste("two\nlines").unwrap_err();
        assert!(e.contains("2 lines"), "{e}");
        f.set_focus(2);
        let e = f.paste("global").unwrap_err();
        assert!(e.contains("Mode") && e.contains("choice"), "{e}");
        assert_eq!(f.choice("mode").as_deref(), Some("replicated"));
        f.set_focus(3);
        assert!(f.paste("yes").unwrap_err().contains("toggle"));
        assert!(!f.set_error("nope", "x"));
    }

    #[test]
    fn render_aligns_labels_and_shows_errors_and_help() {
        let mut f = sample();
        f.set_error("replicas", "too many for this cluster");
        assert_eq!(f.focus(), 1, "set_error focuses the field");
        f.set_focus(0);
        let theme = Theme::builtin_default();
        let (buf, cursor) = draw(50, 12, |fr| f.render(fr, fr.area(), &theme));
        let s = screen(&buf);
        let r = rows(&buf);
        let col = |label: &str| {
            r.iter()
                .find(|l| l.contains(label))
                .map(|l| l[..l.find(label).unwrap()].chars().count() + label.len())
                .unwrap()
        };
        // Labels are right-aligned to one column.
        assert_eq!(col("Name"), col("Replicas"), "{s}");
        assert_eq!(col("Mode"), col("Always pull"), "{s}");
        assert!(r[0].starts_with("› "), "{s}");
        assert!(r[1].contains("3"), "{s}");
        assert!(r[2].contains("✗ too many for this cluster"), "{s}");
        assert!(r[3].contains("tasks to run"), "{s}");
        assert!(
            s.contains("replicated (1/2)") && s.contains("[ ] off"),
            "{s}"
        );
        assert!(s.contains("front, back"), "{s}");
        let y = 2u16;
        let x = u16::try_from(r[2].find('✗').unwrap()).unwrap();
        assert_eq!(
            buf[(x, y)].style().fg,
            theme.danger.fg,
            "the error is in danger"
        );
        assert_eq!(
            cursor.map(|c| c.1),
            Some(0),
            "the cursor is in the focused field"
        );
    }

    #[test]
    fn scrolls_to_keep_the_focused_field_visible() {
        let theme = Theme::builtin_default();
        let fields = (0..10)
            .map(|i| Field::text(format!("f{i}"), format!("Field {i}"), TextInput::new()))
            .collect();
        let mut f = Form::new(fields);
        for i in 0..10 {
            let (buf, _) = draw(30, 3, |fr| f.render(fr, fr.area(), &theme));
            let s = screen(&buf);
            assert!(s.contains(&format!("› Field {i}")), "field {i}:\n{s}");
            let _ = f.key(&key(KeyCode::Tab));
        }
        // Back to the first, the view follows.
        let (buf, _) = draw(30, 3, |fr| f.render(fr, fr.area(), &theme));
        assert!(rows(&buf)[0].contains("› Field 0"), "{}", screen(&buf));
        // An error under the last field stays visible with it.
        f.set_focus(9);
        f.set_error("f9", "bad");
        let (buf, _) = draw(30, 3, |fr| f.render(fr, fr.area(), &theme));
        let s = screen(&buf);
        assert!(s.contains("› Field 9") && s.contains("✗ bad"), "{s}");
    }

    #[test]
    fn tiny_areas_do_not_panic() {
        let theme = Theme::builtin_default();
        let mut f = sample();
        f.set_error("name", "a very long error message that needs wrapping");
        for (w, h) in [(1, 1), (3, 1), (10, 2), (2, 5), (5, 3), (0, 0)] {
            for focus in 0..5 {
                f.set_focus(focus);
                let (buf, _) = draw(w.max(1), h.max(1), |fr| {
                    f.render(fr, Rect::new(0, 0, w, h), &theme)
                });
                assert_eq!(buf.area.width, w.max(1));
            }
        }
    }
}
