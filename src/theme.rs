//! Semantic themes: the UI asks for "the danger style" or "the selected row", never for red.
//!
//! A theme is a TOML file with a `[theme]` table (name, optional parent) and a `[slots]` table
//! that gives each slot a style. Three themes are built in (embedded in the binary); users can
//! add their own in the config folder's `themes/` directory or point at any file. Anything
//! wrong with a theme never stops the program: [`Theme::load`] falls back to the default theme
//! and returns a warning that names the file, the line and the problem. The format is
//! documented in `docs/themes.md`.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::OnceLock;

use ratatui::style::{Color, Modifier, Style};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

const DEFAULT_TOML: &str = include_str!("../themes/default.toml");
const LIGHT_TOML: &str = include_str!("../themes/light.toml");
const MONO_TOML: &str = include_str!("../themes/mono.toml");

const BUILTINS: &[(&str, &str)] = &[
    ("default", DEFAULT_TOML),
    ("light", LIGHT_TOML),
    ("mono", MONO_TOML),
];
const BUILTIN_NAMES: &[&str] = &["default", "light", "mono"];

/// How many themes a chain of `parent`s may hold (the theme itself included).
const MAX_DEPTH: usize = 8;

/// Every slot name, in the order of the [`Theme`] fields.
pub const SLOTS: &[&str] = &[
    "text",
    "muted",
    "accent",
    "title",
    "border",
    "border_focused",
    "header",
    "selected",
    "ok",
    "warn",
    "danger",
    "info",
    "leader",
    "vip",
    "bar",
    "footer_key",
    "footer_text",
    "json_key",
    "json_string",
    "json_number",
    "json_literal",
    "json_punct",
];

/// Slots a theme without `parent` may leave out, each with the slot it then copies (from the
/// finished theme, so a child's `accent` also moves `json_key` when nothing sets `json_key`).
/// Themes written before these slots existed keep loading.
const FALLBACKS: &[(&str, &str)] = &[
    ("json_key", "accent"),
    ("json_string", "ok"),
    ("json_number", "info"),
    ("json_literal", "warn"),
    ("json_punct", "muted"),
];

/// Keys allowed in a slot's table form.
const STYLE_KEYS: &[&str] = &[
    "fg",
    "bg",
    "bold",
    "dim",
    "italic",
    "underlined",
    "reversed",
    "crossed_out",
];

/// The styles the UI draws with, by meaning.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    /// The theme's name (`[theme] name`, else the file name without `.toml`).
    pub name: String,
    /// Normal text.
    pub text: Style,
    /// Secondary text: ids, ages, versions.
    pub muted: Style,
    /// Highlights, key names in the help screen.
    pub accent: Style,
    /// Pane titles.
    pub title: Style,
    /// Border of an unfocused pane.
    pub border: Style,
    /// Border of the focused pane.
    pub border_focused: Style,
    /// Table column header row.
    pub header: Style,
    /// The selected row. Stays visible without colour (`no_color` adds REVERSED).
    pub selected: Style,
    /// Ready / active / running / healthy.
    pub ok: Style,
    /// Degraded, even manager count, stale data.
    pub warn: Style,
    /// Down, no quorum, tolerates 0 failures, errors.
    pub danger: Style,
    /// Informational notes.
    pub info: Style,
    /// The Raft leader mark and hostname.
    pub leader: Style,
    /// The keepalived VIP owner mark.
    pub vip: Style,
    /// The header bar (background and text).
    pub bar: Style,
    /// A key in the footer hints.
    pub footer_key: Style,
    /// The word after a key in the footer hints.
    pub footer_text: Style,
    /// JSON in the editor: an object key (the string before a `:`), quotes included.
    pub json_key: Style,
    /// JSON in the editor: a string value, quotes included.
    pub json_string: Style,
    /// JSON in the editor: a number.
    pub json_number: Style,
    /// JSON in the editor: `true`, `false`, `null`.
    pub json_literal: Style,
    /// JSON in the editor: `{ } [ ] : ,`.
    pub json_punct: Style,
}

impl Theme {
    /// Built-in default (parsed from the embedded `themes/default.toml`). Never fails: a test
    /// proves the embedded file parses; should it ever not, a plain colourless theme is used.
    pub fn builtin_default() -> Theme {
        static DEFAULT: OnceLock<Theme> = OnceLock::new();
        DEFAULT
            .get_or_init(|| {
                load_chain(Source::Builtin("default"), None).unwrap_or_else(|_| plain())
            })
            .clone()
    }

    /// Names of built-in themes: `["default", "light", "mono"]`.
    pub fn builtin_names() -> &'static [&'static str] {
        BUILTIN_NAMES
    }

    /// Load by name. `name` may be a built-in name, the name of a file `<user_dir>/<name>.toml`,
    /// or a path to a `.toml` file (anything containing a `/` or ending in `.toml`).
    /// `None` or `""` means `"default"`. User files win over built-ins of the same name.
    ///
    /// When something is wrong (unknown name, unreadable file, bad TOML, unknown slot, bad
    /// colour, parent loop) the default theme is returned with a one-line warning naming the
    /// file, the line and the problem, ending with "; using the default theme".
    ///
    /// `no_color` strips every colour (modifiers stay; `selected` gets REVERSED).
    pub fn load(
        name: Option<&str>,
        user_dir: Option<&Path>,
        no_color: bool,
    ) -> (Theme, Option<String>) {
        let name = name
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .unwrap_or("default");
        let (theme, warning) =
            match resolve_start(name, user_dir).and_then(|s| load_chain(s, user_dir)) {
                Ok(theme) => (theme, None),
                Err(msg) => (
                    Theme::builtin_default(),
                    Some(format!("{msg}; using the default theme")),
                ),
            };
        let theme = if no_color {
            theme.without_color()
        } else {
            theme
        };
        (theme, warning)
    }

    /// true when the NO_COLOR environment variable is set to a non-empty value
    /// (<https://no-color.org>).
    pub fn no_color_env() -> bool {
        std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
    }

    /// Style for a pane border.
    pub fn border_style(&self, focused: bool) -> Style {
        if focused {
            self.border_focused
        } else {
            self.border
        }
    }

    /// The same theme with every foreground and background colour removed. Modifiers stay,
    /// and `selected` gets REVERSED so the selection is still visible.
    pub fn without_color(mut self) -> Theme {
        for (_, style) in self.slots_mut() {
            *style = Style {
                fg: None,
                bg: None,
                ..*style
            };
        }
        self.selected = self.selected.add_modifier(Modifier::REVERSED);
        self
    }

    /// Every slot with its name, in [`SLOTS`] order.
    pub fn slots(&self) -> [(&'static str, Style); 22] {
        [
            ("text", self.text),
            ("muted", self.muted),
            ("accent", self.accent),
            ("title", self.title),
            ("border", self.border),
            ("border_focused", self.border_focused),
            ("header", self.header),
            ("selected", self.selected),
            ("ok", self.ok),
            ("warn", self.warn),
            ("danger", self.danger),
            ("info", self.info),
            ("leader", self.leader),
            ("vip", self.vip),
            ("bar", self.bar),
            ("footer_key", self.footer_key),
            ("footer_text", self.footer_text),
            ("json_key", self.json_key),
            ("json_string", self.json_string),
            ("json_number", self.json_number),
            ("json_literal", self.json_literal),
            ("json_punct", self.json_punct),
        ]
    }

    fn slots_mut(&mut self) -> [(&'static str, &mut Style); 22] {
        [
            ("text", &mut self.text),
            ("muted", &mut self.muted),
            ("accent", &mut self.accent),
            ("title", &mut self.title),
            ("border", &mut self.border),
            ("border_focused", &mut self.border_focused),
            ("header", &mut self.header),
            ("selected", &mut self.selected),
            ("ok", &mut self.ok),
            ("warn", &mut self.warn),
            ("danger", &mut self.danger),
            ("info", &mut self.info),
            ("leader", &mut self.leader),
            ("vip", &mut self.vip),
            ("bar", &mut self.bar),
            ("footer_key", &mut self.footer_key),
            ("footer_text", &mut self.footer_text),
            ("json_key", &mut self.json_key),
            ("json_string", &mut self.json_string),
            ("json_number", &mut self.json_number),
            ("json_literal", &mut self.json_literal),
            ("json_punct", &mut self.json_punct),
        ]
    }

    fn slot(&self, name: &str) -> Option<Style> {
        self.slots()
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| s)
    }

    fn set_slot(&mut self, name: &str, style: Style) {
        if let Some((_, slot)) = self.slots_mut().into_iter().find(|(n, _)| *n == name) {
            *slot = style;
        }
    }
}

/// A theme with no colours at all; only used if the embedded default were ever broken.
fn plain() -> Theme {
    let none = Style::new();
    Theme {
        name: "default".to_string(),
        text: none,
        muted: none.add_modifier(Modifier::DIM),
        accent: none.add_modifier(Modifier::BOLD),
        title: none.add_modifier(Modifier::BOLD),
        border: none,
        border_focused: none.add_modifier(Modifier::BOLD),
        header: none.add_modifier(Modifier::BOLD),
        selected: none.add_modifier(Modifier::REVERSED),
        ok: none,
        warn: none.add_modifier(Modifier::BOLD),
        danger: none.add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        info: none,
        leader: none.add_modifier(Modifier::BOLD),
        vip: none.add_modifier(Modifier::BOLD),
        bar: none.add_modifier(Modifier::REVERSED),
        footer_key: none.add_modifier(Modifier::BOLD),
        footer_text: none,
        json_key: none.add_modifier(Modifier::BOLD),
        json_string: none,
        json_number: none,
        json_literal: none,
        json_punct: none,
    }
}

/// Where a theme's text comes from.
#[derive(Debug, Clone)]
enum Source {
    Builtin(&'static str),
    File(PathBuf),
}

impl Source {
    fn label(&self) -> String {
        match self {
            Source::Builtin(name) => format!("built-in theme {name}"),
            Source::File(path) => path.display().to_string(),
        }
    }

    /// A short name for lists: the built-in name or the file name.
    fn short(&self) -> String {
        match self {
            Source::Builtin(name) => (*name).to_string(),
            Source::File(path) => path
                .file_name()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.display().to_string()),
        }
    }

    /// The theme's name when the file does not give one.
    fn fallback_name(&self) -> String {
        match self {
            Source::Builtin(name) => (*name).to_string(),
            Source::File(path) => path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.display().to_string()),
        }
    }

    fn read(&self) -> Result<Cow<'static, str>, String> {
        match self {
            Source::Builtin(name) => builtin_text(name)
                .map(Cow::Borrowed)
                .ok_or_else(|| format!("unknown built-in theme {name:?}")),
            Source::File(path) => std::fs::read_to_string(path)
                .map(Cow::Owned)
                .map_err(|e| format!("theme {}: {e}", path.display())),
        }
    }

    fn same(&self, other: &Source) -> bool {
        match (self, other) {
            (Source::Builtin(a), Source::Builtin(b)) => a == b,
            (Source::File(a), Source::File(b)) => same_file(a, b),
            _ => false,
        }
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

fn builtin_text(name: &str) -> Option<&'static str> {
    BUILTINS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

fn builtin_source(name: &str) -> Option<Source> {
    BUILTIN_NAMES
        .iter()
        .find(|n| **n == name)
        .map(|n| Source::Builtin(n))
}

fn is_path_like(name: &str) -> bool {
    name.contains('/') || name.contains(std::path::MAIN_SEPARATOR) || name.ends_with(".toml")
}

fn user_file(user_dir: Option<&Path>, name: &str) -> Option<PathBuf> {
    let path = user_dir?.join(format!("{name}.toml"));
    path.is_file().then_some(path)
}

/// The theme the user asked for: a path, a user theme, or a built-in (in that order).
fn resolve_start(name: &str, user_dir: Option<&Path>) -> Result<Source, String> {
    if is_path_like(name) {
        return Ok(Source::File(PathBuf::from(name)));
    }
    if let Some(path) = user_file(user_dir, name) {
        return Ok(Source::File(path));
    }
    builtin_source(name).ok_or_else(|| {
        let user = match user_dir {
            Some(dir) => format!("; no file {}", dir.join(format!("{name}.toml")).display()),
            None => String::new(),
        };
        format!(
            "unknown theme {name:?} (built-in: {}{user})",
            BUILTIN_NAMES.join(", ")
        )
    })
}

/// A parent named inside `child`. Built-ins only inherit from built-ins. A user theme's
/// parent is a path (relative to the theme's folder), a user theme, or a built-in; a user
/// theme naming itself (say `default.toml` with `parent = "default"`) inherits from the
/// built-in of that name.
fn resolve_parent(name: &str, child: &Source, user_dir: Option<&Path>) -> Result<Source, String> {
    let unknown = || {
        format!(
            "unknown parent theme {name:?} (expected one of {}, a user theme or a path)",
            BUILTIN_NAMES.join(", ")
        )
    };
    let child_path = match child {
        Source::Builtin(_) => return builtin_source(name).ok_or_else(unknown),
        Source::File(path) => path,
    };
    if is_path_like(name) {
        let path = Path::new(name);
        let path = match child_path.parent() {
            Some(dir) if path.is_relative() => dir.join(path),
            _ => path.to_path_buf(),
        };
        return Ok(Source::File(path));
    }
    if let Some(path) = user_file(user_dir, name)
        && !same_file(&path, child_path)
    {
        return Ok(Source::File(path));
    }
    if let Some(builtin) = builtin_source(name) {
        return Ok(builtin);
    }
    if let Some(path) = user_file(user_dir, name) {
        // The file names itself and there is no built-in of that name.
        return Ok(Source::File(path));
    }
    Err(unknown())
}

/// Load a theme and its parents, and merge them (child slots replace parent slots).
fn load_chain(start: Source, user_dir: Option<&Path>) -> Result<Theme, String> {
    let mut chain: Vec<(Source, ThemeDoc)> = Vec::new();
    let mut next = start;
    loop {
        if let Some((src, doc)) = chain.last() {
            // `next` is the parent of the last theme in the chain
            let at = doc.parent.as_ref().map(|p| p.1).unwrap_or_default();
            if chain.iter().any(|(s, _)| s.same(&next)) {
                let names: Vec<String> = chain
                    .iter()
                    .map(|(s, _)| s.short())
                    .chain(std::iter::once(next.short()))
                    .collect();
                return Err(
                    at.message(&src.label(), &format!("parent loop: {}", names.join(" → ")))
                );
            }
            if chain.len() >= MAX_DEPTH {
                return Err(at.message(
                    &src.label(),
                    &format!("too many parent levels (at most {MAX_DEPTH})"),
                ));
            }
        }
        let text = next.read()?;
        let doc = parse_doc(&text).map_err(|d| d.message(&next.label()))?;
        let parent = doc.parent.clone();
        chain.push((next.clone(), doc));
        match parent {
            None => break,
            Some((name, at)) => {
                next = resolve_parent(&name, &next, user_dir)
                    .map_err(|m| at.message(&next.label(), &m))?;
            }
        }
    }

    let mut theme = plain();
    let mut iter = chain.iter().rev();
    if let Some((src, root)) = iter.next() {
        let missing: Vec<&str> = SLOTS
            .iter()
            .copied()
            .filter(|slot| !FALLBACKS.iter().any(|(optional, _)| optional == slot))
            .filter(|slot| !root.slots.iter().any(|(n, _)| n == slot))
            .collect();
        if !missing.is_empty() {
            return Err(root.slots_at.message(
                &src.label(),
                &format!(
                    "missing slots: {} (a theme without `parent` must set every slot but the \
                     json_* ones; add `parent = \"default\"` under [theme] to inherit the rest)",
                    missing.join(", ")
                ),
            ));
        }
        apply(&mut theme, root);
    }
    for (_, doc) in iter {
        apply(&mut theme, doc);
    }
    for (slot, from) in FALLBACKS {
        let set = chain
            .iter()
            .any(|(_, doc)| doc.slots.iter().any(|(n, _)| n == slot));
        if !set && let Some(style) = theme.slot(from) {
            theme.set_slot(slot, style);
        }
    }
    if let Some((src, doc)) = chain.first() {
        theme.name = doc.name.clone().unwrap_or_else(|| src.fallback_name());
    }
    Ok(theme)
}

fn apply(theme: &mut Theme, doc: &ThemeDoc) {
    for (slot, style) in &doc.slots {
        theme.set_slot(slot, *style);
    }
}

/// A position in a theme file: 1-based line and column (0 = unknown).
#[derive(Debug, Clone, Copy, Default)]
struct Pos {
    line: usize,
    col: usize,
}

impl Pos {
    fn of(text: &str, offset: usize) -> Pos {
        let offset = offset.min(text.len());
        let before = text.get(..offset).unwrap_or(text);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
        Pos { line, col }
    }

    fn message(self, file: &str, problem: &str) -> String {
        if self.line == 0 {
            format!("theme {file}: {problem}")
        } else {
            format!("theme {file}:{}:{}: {problem}", self.line, self.col)
        }
    }
}

/// A problem found while parsing one file.
#[derive(Debug)]
struct Diag {
    at: Pos,
    problem: String,
}

impl Diag {
    fn message(&self, file: &str) -> String {
        self.at.message(file, &self.problem)
    }
}

/// One parsed theme file, before parents are applied.
#[derive(Debug, Clone)]
struct ThemeDoc {
    name: Option<String>,
    parent: Option<(String, Pos)>,
    slots: Vec<(&'static str, Style)>,
    /// Where `[slots]` is (or the start of the file), for "missing slots".
    slots_at: Pos,
}

/// Entries of a table in file order (the parser stores them sorted by key).
fn entries<'a, 'i>(
    table: &'a DeTable<'i>,
) -> Vec<(&'a Spanned<Cow<'i, str>>, &'a Spanned<DeValue<'i>>)> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start);
    entries
}

fn parse_doc(text: &str) -> Result<ThemeDoc, Diag> {
    let at = |offset: usize| Pos::of(text, offset);
    let err = |offset: usize, problem: String| Diag {
        at: at(offset),
        problem,
    };
    let root = DeTable::parse(text).map_err(|e| {
        err(
            e.span().map_or(0, |s| s.start),
            format!("invalid TOML: {}", e.message().trim_end()),
        )
    })?;
    let mut doc = ThemeDoc {
        name: None,
        parent: None,
        slots: Vec::new(),
        slots_at: Pos { line: 1, col: 1 },
    };
    for (key, value) in entries(root.get_ref()) {
        match key.get_ref().as_ref() {
            "theme" => {
                let DeValue::Table(table) = value.get_ref() else {
                    return Err(err(
                        value.span().start,
                        "`theme` must be a table: [theme] with name and parent".to_string(),
                    ));
                };
                for (k, v) in entries(table) {
                    let field = k.get_ref().as_ref();
                    match field {
                        "name" | "parent" | "description" => {
                            let Some(s) = v.get_ref().as_str() else {
                                return Err(err(
                                    v.span().start,
                                    format!(
                                        "[theme] {field} must be a string, found {}",
                                        v.get_ref().type_str()
                                    ),
                                ));
                            };
                            match field {
                                "name" => doc.name = Some(s.to_string()),
                                "parent" => doc.parent = Some((s.to_string(), at(v.span().start))),
                                _ => {}
                            }
                        }
                        other => {
                            return Err(err(
                                k.span().start,
                                format!(
                                    "unknown key `{other}` in [theme] (expected name, parent, description)"
                                ),
                            ));
                        }
                    }
                }
            }
            "slots" => {
                doc.slots_at = at(key.span().start);
                let DeValue::Table(table) = value.get_ref() else {
                    return Err(err(
                        value.span().start,
                        "`slots` must be a table: [slots] with one line per slot".to_string(),
                    ));
                };
                for (k, v) in entries(table) {
                    let name = k.get_ref().as_ref();
                    let Some(slot) = SLOTS.iter().copied().find(|s| *s == name) else {
                        return Err(err(
                            k.span().start,
                            format!(
                                "unknown slot `{name}` (expected one of {})",
                                SLOTS.join(", ")
                            ),
                        ));
                    };
                    let style = parse_style(slot, v).map_err(|(o, p)| err(o, p))?;
                    doc.slots.push((slot, style));
                }
            }
            other => {
                return Err(err(
                    key.span().start,
                    format!("unknown table `{other}` (a theme file has [theme] and [slots])"),
                ));
            }
        }
    }
    Ok(doc)
}

/// A slot's value: a colour (the foreground) or a table of fg, bg and modifiers.
fn parse_style(slot: &str, value: &Spanned<DeValue<'_>>) -> Result<Style, (usize, String)> {
    match value.get_ref() {
        DeValue::String(_) | DeValue::Integer(_) => Ok(Style::new().fg(parse_color(slot, value)?)),
        DeValue::Table(table) => {
            let mut style = Style::new();
            for (k, v) in entries(table) {
                let key = k.get_ref().as_ref();
                match key {
                    "fg" => style = style.fg(parse_color(slot, v)?),
                    "bg" => style = style.bg(parse_color(slot, v)?),
                    _ => {
                        let Some(modifier) = modifier(key) else {
                            return Err((
                                k.span().start,
                                format!(
                                    "unknown style key `{key}` in slot `{slot}` (expected one of {})",
                                    STYLE_KEYS.join(", ")
                                ),
                            ));
                        };
                        let Some(on) = v.get_ref().as_bool() else {
                            return Err((
                                v.span().start,
                                format!(
                                    "`{key}` in slot `{slot}` must be true or false, found {}",
                                    v.get_ref().type_str()
                                ),
                            ));
                        };
                        if on {
                            style = style.add_modifier(modifier);
                        }
                    }
                }
            }
            Ok(style)
        }
        other => Err((
            value.span().start,
            format!(
                "slot `{slot}` must be a colour (\"green\", \"#00ff00\", 0-255) or a table \
                 like {{ fg = \"green\", bold = true }}, found {}",
                other.type_str()
            ),
        )),
    }
}

fn modifier(key: &str) -> Option<Modifier> {
    Some(match key {
        "bold" => Modifier::BOLD,
        "dim" => Modifier::DIM,
        "italic" => Modifier::ITALIC,
        "underlined" => Modifier::UNDERLINED,
        "reversed" => Modifier::REVERSED,
        "crossed_out" => Modifier::CROSSED_OUT,
        _ => return None,
    })
}

fn parse_color(slot: &str, value: &Spanned<DeValue<'_>>) -> Result<Color, (usize, String)> {
    let bad = |what: String| {
        (
            value.span().start,
            format!(
                "{what} in slot `{slot}` (use a name like red, lightred, darkgray, reset, \
                 \"#rrggbb\" or a number 0-255)"
            ),
        )
    };
    match value.get_ref() {
        DeValue::String(s) => Color::from_str(s).map_err(|_| bad(format!("unknown colour {s:?}"))),
        DeValue::Integer(i) => u8::from_str_radix(i.as_str(), i.radix())
            .map(Color::Indexed)
            .map_err(|_| bad(format!("colour index {i} out of range"))),
        other => Err(bad(format!("a colour cannot be a {}", other.type_str()))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/themes")
    }

    /// Bad fixtures say on their first line which line the warning must name: `# expect-line: N`.
    fn expected_line(text: &str) -> usize {
        text.lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect-line:"))
            .and_then(|n| n.trim().parse().ok())
            .expect("bad fixture must start with `# expect-line: N`")
    }

    #[test]
    fn embedded_default_parses() {
        let theme = load_chain(Source::Builtin("default"), None).unwrap();
        assert_eq!(theme.name, "default");
        assert_eq!(Theme::builtin_default(), theme);
        assert_ne!(theme, plain(), "the fallback must not be what we ship");
    }

    #[test]
    fn every_builtin_loads_without_warning() {
        for name in Theme::builtin_names() {
            let (theme, warning) = Theme::load(Some(name), None, false);
            assert_eq!(warning, None, "{name}");
            assert_eq!(theme.name, *name);
        }
        assert_eq!(BUILTINS.len(), BUILTIN_NAMES.len());
    }

    #[test]
    fn no_name_means_default() {
        assert_eq!(
            Theme::load(None, None, false),
            (Theme::builtin_default(), None)
        );
        assert_eq!(
            Theme::load(Some(""), None, false),
            (Theme::builtin_default(), None)
        );
    }

    #[test]
    fn builtins_look_different_and_mono_has_no_colour() {
        let default = Theme::load(Some("default"), None, false).0;
        let light = Theme::load(Some("light"), None, false).0;
        let mono = Theme::load(Some("mono"), None, false).0;
        assert_ne!(default.ok, light.ok);
        for (slot, style) in mono.slots() {
            assert_eq!((style.fg, style.bg), (None, None), "mono {slot}");
        }
        assert!(mono.selected.add_modifier.contains(Modifier::REVERSED));
        assert_eq!(mono.clone().without_color(), mono);
    }

    #[test]
    fn every_slot_is_a_field() {
        let mut theme = plain();
        for slot in SLOTS {
            theme.set_slot(slot, Style::new().fg(Color::Indexed(42)));
        }
        for (slot, style) in theme.slots() {
            assert_eq!(style.fg, Some(Color::Indexed(42)), "{slot}");
        }
        let names: Vec<&str> = theme.slots().iter().map(|(n, _)| *n).collect();
        assert_eq!(names, SLOTS);
    }

    #[test]
    fn no_color_strips_every_colour() {
        for name in Theme::builtin_names() {
            let (theme, warning) = Theme::load(Some(name), None, true);
            assert_eq!(warning, None);
            for (slot, style) in theme.slots() {
                assert_eq!((style.fg, style.bg), (None, None), "{name} {slot}");
            }
            assert!(
                theme.selected.add_modifier.contains(Modifier::REVERSED),
                "{name}"
            );
        }
        // modifiers stay
        let theme = Theme::load(Some("default"), None, true).0;
        assert!(theme.danger.add_modifier.contains(Modifier::BOLD));
    }

    #[test]
    fn builtins_set_every_slot_themselves() {
        for (name, text) in BUILTINS {
            let doc = parse_doc(text).ok().unwrap();
            for slot in SLOTS {
                assert!(
                    doc.slots.iter().any(|(n, _)| n == slot),
                    "built-in {name} leaves out {slot}"
                );
            }
        }
    }

    #[test]
    fn json_slots_may_be_left_out_and_copy_related_slots() {
        let dir = tempfile::tempdir().unwrap();
        // Every slot but the json_* ones, and no parent: a theme from before they existed.
        let mut root = String::from("[theme]\nname = \"old\"\n[slots]\n");
        for (i, slot) in SLOTS.iter().enumerate() {
            if !slot.starts_with("json_") {
                root.push_str(&format!("{slot} = {i}\n"));
            }
        }
        std::fs::write(dir.path().join("old.toml"), &root).unwrap();
        let (theme, warning) = Theme::load(Some("old"), Some(dir.path()), false);
        assert_eq!(warning, None);
        assert_eq!(theme.json_key, theme.accent);
        assert_eq!(theme.json_string, theme.ok);
        assert_eq!(theme.json_number, theme.info);
        assert_eq!(theme.json_literal, theme.warn);
        assert_eq!(theme.json_punct, theme.muted);

        // The copy is taken from the finished theme: a child's accent moves json_key too,
        // and a slot set anywhere in the chain is kept.
        std::fs::write(
            dir.path().join("kid.toml"),
            "[theme]\nparent = \"old\"\n[slots]\naccent = \"red\"\njson_number = \"blue\"\n",
        )
        .unwrap();
        let (theme, warning) = Theme::load(Some("kid"), Some(dir.path()), false);
        assert_eq!(warning, None);
        assert_eq!(theme.json_key, Style::new().fg(Color::Red));
        assert_eq!(theme.json_number, Style::new().fg(Color::Blue));
        assert_eq!(theme.json_string, theme.ok);

        // NO_COLOR strips them like every other slot.
        let theme = Theme::load(Some("default"), None, true).0;
        assert!(theme.json_key.add_modifier.contains(Modifier::BOLD));
        assert_eq!(theme.json_key.fg, None);
        assert_eq!(theme.json_string, Style::new());
    }

    #[test]
    fn no_color_env_reads_the_variable() {
        // Only reads; the test environment may or may not set it.
        let expected = std::env::var("NO_COLOR").is_ok_and(|v| !v.is_empty());
        assert_eq!(Theme::no_color_env(), expected);
    }

    #[test]
    fn border_style_follows_focus() {
        let theme = Theme::builtin_default();
        assert_eq!(theme.border_style(true), theme.border_focused);
        assert_eq!(theme.border_style(false), theme.border);
    }

    #[test]
    fn unknown_name_warns_and_falls_back() {
        let (theme, warning) = Theme::load(Some("solarized-nope"), None, false);
        assert_eq!(theme, Theme::builtin_default());
        let warning = warning.unwrap();
        assert!(warning.contains("solarized-nope"), "{warning}");
        assert!(
            warning.contains("built-in: default, light, mono"),
            "{warning}"
        );
        assert!(warning.ends_with("; using the default theme"), "{warning}");
    }

    #[test]
    fn missing_file_warns_and_falls_back() {
        let (theme, warning) = Theme::load(Some("/nonexistent/theme.toml"), None, false);
        assert_eq!(theme, Theme::builtin_default());
        let warning = warning.unwrap();
        assert!(warning.contains("/nonexistent/theme.toml"), "{warning}");
        assert!(warning.ends_with("; using the default theme"), "{warning}");
    }

    #[test]
    fn bad_fixtures_warn_with_file_and_line() {
        let mut seen = 0;
        let dir = fixtures();
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("bad_"))
            })
            .collect();
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path).unwrap();
            let line = expected_line(&text);
            let (theme, warning) = Theme::load(path.to_str(), Some(&dir), false);
            let warning = warning.unwrap_or_else(|| panic!("{} gave no warning", path.display()));
            let file = path.file_name().unwrap().to_string_lossy();
            assert!(warning.contains(&*file), "{warning}");
            assert!(
                warning.contains(&format!(":{line}:")),
                "want line {line}: {warning}"
            );
            assert!(warning.ends_with("; using the default theme"), "{warning}");
            assert_eq!(theme, Theme::builtin_default(), "{warning}");
            seen += 1;
        }
        assert!(seen >= 5, "only {seen} bad fixtures");
    }

    #[test]
    fn specific_problems_are_named() {
        let dir = fixtures();
        let cases = [
            ("bad_unknown_slot.toml", "unknown slot `sucess`"),
            ("bad_colour.toml", "unknown colour \"redd\""),
            ("bad_style_key.toml", "unknown style key `blink`"),
            ("bad_missing_slots.toml", "missing slots:"),
            ("bad_syntax.toml", "invalid TOML"),
            ("bad_index.toml", "out of range"),
        ];
        for (file, needle) in cases {
            let (_, warning) = Theme::load(dir.join(file).to_str(), None, false);
            let warning = warning.unwrap();
            assert!(warning.contains(needle), "{file}: {warning}");
        }
    }

    #[test]
    fn parent_inheritance() {
        let (theme, warning) = Theme::load(fixtures().join("child.toml").to_str(), None, false);
        assert_eq!(warning, None);
        let default = Theme::builtin_default();
        assert_eq!(theme.name, "child");
        assert_eq!(theme.ok, Style::new().fg(Color::Magenta));
        assert_eq!(
            theme.danger,
            Style::new()
                .fg(Color::Rgb(0xff, 0x00, 0x80))
                .add_modifier(Modifier::BOLD)
        );
        assert_eq!(
            theme.selected,
            Style::new().add_modifier(Modifier::REVERSED)
        );
        assert_eq!(theme.text, default.text);
        assert_eq!(theme.bar, default.bar);
    }

    #[test]
    fn grandparent_by_user_name() {
        // grandchild → child (user theme by name) → default
        let dir = fixtures();
        let (theme, warning) = Theme::load(Some("grandchild"), Some(&dir), false);
        assert_eq!(warning, None);
        assert_eq!(theme.name, "grandchild");
        assert_eq!(theme.ok, Style::new().fg(Color::Magenta));
        assert_eq!(theme.warn, Style::new().fg(Color::Indexed(208)));
    }

    #[test]
    fn parent_loop_is_detected() {
        let dir = fixtures();
        let (theme, warning) = Theme::load(Some("loop_a"), Some(&dir), false);
        assert_eq!(theme, Theme::builtin_default());
        let warning = warning.unwrap();
        assert!(warning.contains("parent loop"), "{warning}");
        assert!(warning.contains("loop_b.toml:5:"), "{warning}");
        assert!(warning.ends_with("; using the default theme"), "{warning}");
    }

    #[test]
    fn user_theme_wins_over_builtin_and_may_extend_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("light.toml"),
            "[theme]\nparent = \"light\"\n[slots]\nok = \"white\"\n",
        )
        .unwrap();
        let (theme, warning) = Theme::load(Some("light"), Some(dir.path()), false);
        assert_eq!(warning, None);
        let builtin = Theme::load(Some("light"), None, false).0;
        assert_eq!(theme.ok, Style::new().fg(Color::White));
        assert_eq!(theme.danger, builtin.danger);
        assert_eq!(theme.name, "light");

        // A user `default.toml` also replaces the default when no name is given.
        std::fs::write(
            dir.path().join("default.toml"),
            "[theme]\nname = \"mine\"\nparent = \"default\"\n[slots]\nwarn = 214\n",
        )
        .unwrap();
        let (theme, warning) = Theme::load(None, Some(dir.path()), false);
        assert_eq!(warning, None);
        assert_eq!(theme.name, "mine");
        assert_eq!(theme.warn, Style::new().fg(Color::Indexed(214)));
    }

    #[test]
    fn self_parent_without_builtin_is_a_loop() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("me.toml"),
            "[theme]\nparent = \"me\"\n[slots]\nok = \"white\"\n",
        )
        .unwrap();
        let (_, warning) = Theme::load(Some("me"), Some(dir.path()), false);
        let warning = warning.unwrap();
        assert!(warning.contains("parent loop"), "{warning}");
        assert!(warning.contains("me.toml:2:"), "{warning}");
    }

    #[test]
    fn depth_is_limited() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..12 {
            std::fs::write(
                dir.path().join(format!("t{i}.toml")),
                format!("[theme]\nparent = \"t{}\"\n[slots]\n", i + 1),
            )
            .unwrap();
        }
        let (_, warning) = Theme::load(Some("t0"), Some(dir.path()), false);
        let warning = warning.unwrap();
        assert!(warning.contains("too many parent levels"), "{warning}");
    }

    #[test]
    fn colour_forms() {
        let text = "[theme]\nparent = \"default\"\n[slots]\nok = \"#00ff7f\"\nwarn = 3\n\
                    danger = { fg = \"light red\", bg = 0, underlined = true, bold = false }\n\
                    [slots.info]\nfg = \"reset\"\nitalic = true\n";
        let doc = parse_doc(text).ok().unwrap();
        let get = |n: &str| doc.slots.iter().find(|(s, _)| *s == n).unwrap().1;
        assert_eq!(get("ok"), Style::new().fg(Color::Rgb(0, 0xff, 0x7f)));
        assert_eq!(get("warn"), Style::new().fg(Color::Indexed(3)));
        assert_eq!(
            get("danger"),
            Style::new()
                .fg(Color::LightRed)
                .bg(Color::Indexed(0))
                .add_modifier(Modifier::UNDERLINED)
        );
        assert_eq!(
            get("info"),
            Style::new().fg(Color::Reset).add_modifier(Modifier::ITALIC)
        );
    }
}
