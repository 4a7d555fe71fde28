//! The form that creates a secret or a config (and gives a rotation its new value): name
//! (the engine's rule, not taken), labels, and the data — a secret's value typed in a masked
//! field or a file; a config's text typed in an editor or a file. Files are read by the
//! engine task, not here. A secret's value stays in the masked field (wiped when it goes)
//! until the confirmed command takes it; nothing here prints it.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::PathBuf;

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Block, BorderType, Clear};

use crate::domain::SecretBytes;
use crate::domain::secrets::{ObjectKind, check_name, check_size, parse_labels};
use crate::engine::secrets::{Payload, SecretsCmd};
use crate::theme::Theme;
use crate::widget::editor::Syntax;
use crate::widget::{Editor, Field, FieldKind, FieldValue, Form, InputResult, TextInput, Tone};

/// What the form is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose {
    Create,
    /// A secret's new version: `new_name` from `old` (id `id`).
    Rotate {
        id: String,
        old: String,
        new_name: String,
    },
}

/// What Enter on the form leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Errors are at their fields.
    Stay,
    /// A config without a file: its text is typed next.
    Text,
    /// Ready to confirm.
    Confirm,
}

/// The create (or rotate) form.
pub struct ObjectForm {
    pub kind: ObjectKind,
    pub purpose: Purpose,
    pub form: Form,
    /// A config's typed text (after [`Next::Text`]).
    text: Option<RefCell<Editor>>,
    /// Whether the editor's style was taken from the theme.
    styled: RefCell<bool>,
}

/// `~/x` as `$HOME/x`; the path as typed otherwise.
fn expand(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}

impl ObjectForm {
    /// A new secret or config; `taken`: the names that exist (refused).
    pub fn create(kind: ObjectKind, taken: Vec<String>) -> Self {
        let mut fields = vec![
            Field::text("name", "Name", TextInput::new().with_max_len(64)).with_validator(
                move |v| match v {
                    FieldValue::Text(t) => check_name(kind, t.trim(), &taken),
                    _ => Ok(()),
                },
            ),
            Field::list("labels", "Labels", &[] as &[&str])
                .with_help("key=value, comma separated (optional)")
                .with_validator(|v| match v {
                    FieldValue::List(items) => parse_labels(items).map(|_| ()),
                    _ => Ok(()),
                }),
        ];
        fields.extend(data_fields(kind));
        ObjectForm {
            kind,
            purpose: Purpose::Create,
            form: Form::new(fields),
            text: None,
            styled: RefCell::new(false),
        }
    }

    /// A rotation's new value for secret `old` (id `id`), to be created as `new_name`.
    pub fn rotate(id: &str, old: &str, new_name: &str) -> Self {
        ObjectForm {
            kind: ObjectKind::Secret,
            purpose: Purpose::Rotate {
                id: id.to_string(),
                old: old.to_string(),
                new_name: new_name.to_string(),
            },
            form: Form::new(data_fields(ObjectKind::Secret)),
            text: None,
            styled: RefCell::new(false),
        }
    }

    /// The name the object gets.
    pub fn name(&self) -> String {
        match &self.purpose {
            Purpose::Create => self
                .form
                .text("name")
                .unwrap_or_default()
                .trim()
                .to_string(),
            Purpose::Rotate { new_name, .. } => new_name.clone(),
        }
    }

    fn file(&self) -> &str {
        self.form.text("file").unwrap_or_default().trim()
    }

    /// Bytes typed (a secret's value, or a config's text), without copying them.
    fn typed_len(&self) -> usize {
        match (&self.text, self.kind) {
            (Some(e), _) => e.borrow().text().len(),
            (None, ObjectKind::Secret) => self.form.text("value").map_or(0, str::len),
            (None, ObjectKind::Config) => 0,
        }
    }

    /// Whether a config's text is being typed.
    pub fn in_text(&self) -> bool {
        self.text.is_some()
    }

    /// Enter: check the fields; what comes next.
    pub fn submit(&mut self) -> Next {
        if !self.form.validate() {
            return Next::Stay;
        }
        let file = self.file().to_string();
        match self.kind {
            ObjectKind::Secret => {
                let typed = self.typed_len();
                let msg = match (typed, file.is_empty()) {
                    (0, true) => Some("type the value, or give a file below"),
                    (n, false) if n > 0 => Some("a typed value or a file, not both"),
                    _ => None,
                };
                if let Some(m) = msg {
                    self.form.set_error("value", m);
                    return Next::Stay;
                }
                if typed > 0
                    && let Err(e) = check_size(self.kind, typed)
                {
                    self.form.set_error("value", e);
                    return Next::Stay;
                }
                Next::Confirm
            }
            ObjectKind::Config if file.is_empty() => {
                let mut e = Editor::new("");
                e.set_line_numbers(true);
                self.text = Some(RefCell::new(e));
                *self.styled.borrow_mut() = false;
                Next::Text
            }
            ObjectKind::Config => Next::Confirm,
        }
    }

    /// Ctrl-s in the text: check its size; whether it can be confirmed.
    pub fn text_done(&mut self) -> Result<(), String> {
        check_size(self.kind, self.typed_len())
    }

    /// Esc in the text: back to the form (the text is dropped).
    pub fn leave_text(&mut self) {
        self.text = None;
    }

    /// A key for the form, or the text when it is open.
    pub fn key(&mut self, key: &KeyEvent) -> InputResult {
        if let Some(e) = &self.text {
            let r = e.borrow_mut().key(key);
            if let Some(e) = &self.text {
                // a JSON text gets JSON colours
                let json = serde_json::from_str::<serde_json::Value>(&e.borrow().text()).is_ok();
                e.borrow_mut().set_syntax(json.then_some(Syntax::Json));
            }
            return r;
        }
        self.form.key(key)
    }

    /// A paste for the focused field, or the text.
    pub fn paste(&mut self, text: &str) -> Result<(), String> {
        match &self.text {
            Some(e) => e.borrow_mut().paste(text),
            None => self.form.paste(text),
        }
    }

    /// The confirm's title and lines: what is created, never a value.
    pub fn summary(&self) -> (String, Vec<(Tone, String)>) {
        let word = self.kind.word();
        let name = self.name();
        let file = self.file();
        let size = if file.is_empty() {
            format!("({} bytes)", self.typed_len())
        } else {
            format!(
                "from {} (read and checked when it is created)",
                crate::text::printable(file)
            )
        };
        let mut lines = Vec::new();
        let title = match &self.purpose {
            Purpose::Create => {
                lines.push((Tone::Info, format!("create {word} {name} {size}")));
                let labels = self.form.list("labels").unwrap_or_default();
                if !labels.is_empty() {
                    lines.push((Tone::Info, format!("labels: {}", labels.join(", "))));
                }
                format!("Create {word} {name}?")
            }
            Purpose::Rotate { old, .. } => {
                lines.push((Tone::Info, format!("create secret {name} {size}")));
                lines.push((
                    Tone::Warn,
                    format!(
                        "then move every service that uses {old} to {name} at the same target \
                         (one rolling update per service; their tasks restart)"
                    ),
                ));
                format!("Rotate secret {old}?")
            }
        };
        (title, lines)
    }

    /// The confirmed command; the typed value moves into it (the field is left empty).
    pub fn take_command(&mut self) -> SecretsCmd {
        let file = self.file().to_string();
        let data = if !file.is_empty() {
            Payload::File(expand(&file))
        } else if let Some(e) = self.text.take() {
            Payload::Typed(SecretBytes::new(e.into_inner().text().into_bytes()))
        } else {
            let value = match self.form.field_mut("value").map(|f| &mut f.kind) {
                Some(FieldKind::Text(input)) => input.take_secret(),
                _ => zeroize::Zeroizing::new(String::new()),
            };
            Payload::Typed(SecretBytes::from_text(value))
        };
        match &self.purpose {
            Purpose::Create => SecretsCmd::Create {
                kind: self.kind,
                name: self.name(),
                labels: parse_labels(&self.form.list("labels").unwrap_or_default())
                    .unwrap_or_else(|_| BTreeMap::new()),
                data,
            },
            Purpose::Rotate { id, old, new_name } => SecretsCmd::Rotate {
                id: id.clone(),
                name: old.clone(),
                new_name: new_name.clone(),
                data,
            },
        }
    }

    /// The title of the box.
    pub fn title(&self) -> String {
        match &self.purpose {
            Purpose::Create => format!("new {}", self.kind.word()),
            Purpose::Rotate { old, new_name, .. } => format!("rotate {old} → {new_name}"),
        }
    }

    /// Draw the form in a box in the middle of `area`, or the text's editor over the list.
    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme, hint: &str) {
        if let Some(e) = &self.text {
            let rect = super::popup_rect(area);
            frame.render_widget(Clear, rect);
            if !*self.styled.borrow() {
                e.borrow_mut().set_style(theme);
                *self.styled.borrow_mut() = true;
            }
            let title = format!(
                "{} {} · its text ({} bytes) · {hint}",
                self.title(),
                crate::text::printable(&self.name()),
                self.typed_len()
            );
            e.borrow().render(frame, rect, &title, true);
            return;
        }
        let rows = self.form.fields().len() as u16 * 3 + 4;
        let rect = crate::widget::centered(area, area.width.saturating_sub(4).min(84), rows);
        frame.render_widget(Clear, rect);
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .border_style(theme.border_style(true))
            .title(Span::styled(format!(" {} ", self.title()), theme.title))
            .title_bottom(Span::styled(format!(" {hint} "), theme.muted))
            .style(theme.text);
        let inner = block.inner(rect);
        frame.render_widget(block, rect);
        self.form.render(frame, inner, theme);
    }
}

/// The data's fields: a secret's masked value or a file; a config's file (else typed).
fn data_fields(kind: ObjectKind) -> Vec<Field> {
    let limit = kind.max_size() / 1024;
    match kind {
        ObjectKind::Secret => vec![
            Field::text("value", "Value", TextInput::new().masked())
                .with_help("typed or pasted here, never shown; or give a file below"),
            Field::text("file", "or a file", TextInput::new()).with_help(format!(
                "a path on this host, read when created; less than {limit} KiB"
            )),
        ],
        ObjectKind::Config => {
            vec![
                Field::text("file", "File", TextInput::new()).with_help(format!(
                    "a path on this host, less than {limit} KiB; empty: type the text next"
                )),
            ]
        }
    }
}

/// Where a key in the create form leads.
pub enum FormKey {
    Stay(ObjectForm),
    /// Filled in: on to the confirm.
    Confirm(ObjectForm),
    Cancel,
}

/// A key in the create form, its typed-text step included (the `save` action of `context`
/// ends the typed text; `Esc` there goes back to the fields).
pub fn form_key(
    mut f: ObjectForm,
    key: &KeyEvent,
    context: &'static str,
    cx: &mut crate::view::Ctx<'_>,
) -> FormKey {
    if f.in_text() {
        if cx.action(context, key) == Some(crate::keymap::Action::Save) {
            return match f.text_done() {
                Ok(()) => FormKey::Confirm(f),
                Err(e) => {
                    cx.fx.notify(crate::store::Level::Warn, e);
                    FormKey::Stay(f)
                }
            };
        }
        if key.code == KeyCode::Esc {
            f.leave_text();
        } else {
            let _ = f.key(key);
        }
        return FormKey::Stay(f);
    }
    match key.code {
        KeyCode::Esc => FormKey::Cancel,
        KeyCode::Enter => match f.submit() {
            Next::Stay | Next::Text => FormKey::Stay(f),
            Next::Confirm => FormKey::Confirm(f),
        },
        _ => {
            let _ = f.key(key);
            FormKey::Stay(f)
        }
    }
}
