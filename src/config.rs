//! The config file: `~/.config/swarmdeck/config.toml` (or `--config PATH`).
//!
//! Everything in it is optional. Anything wrong in it is an error that names the file, the
//! line, the column and the key, and quotes the line; nothing is silently replaced by a
//! default. The keys are documented in `docs/config.md` and `docs/config.example.toml`.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::keymap::{Action, KeyBinding, KeyList, KeyTable, Keymap};

/// The config file's contents.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Theme name or path (see `docs/themes.md`); `--theme` wins over it.
    #[serde(default)]
    pub theme: Option<String>,
    /// Manager endpoints tried in order: `unix:///...`, `tcp://...`, `ssh://...`.
    /// `--host` flags win over them; `DOCKER_HOST` and the local socket come after.
    #[serde(default)]
    pub endpoints: Vec<String>,
    /// Key overrides: each action named here gets exactly these keys; `[keys.<view>]`
    /// tables override in that view only.
    #[serde(default)]
    pub keys: KeyTable,
    /// keepalived virtual IPs to watch, besides those found in the keepalived configuration.
    /// `--vip` flags come first.
    #[serde(default)]
    pub vips: Vec<std::net::IpAddr>,
    /// The TCP port checked on each VIP (default 2377, the swarm manager port).
    #[serde(default)]
    pub vip_port: Option<std::num::NonZeroU16>,
    /// The keepalived configuration VIPs are discovered from
    /// (default /etc/keepalived/keepalived.conf, when readable).
    #[serde(default)]
    pub keepalived_conf: Option<PathBuf>,
    /// Change nothing: every write action is absent from keys, help and the command line.
    #[serde(default)]
    pub readonly: bool,
    /// How many versions of a global config document are kept (at least 1); read it with
    /// [`Config::config_keep`], which gives the default. `--keep` wins.
    #[serde(default)]
    pub config_keep: Option<usize>,
    /// Turns a discovered manager address into a failover endpoint: `{addr}` is the
    /// manager's address without its port, e.g. `"ssh://admin@{addr}"` or
    /// `"tcp://{addr}:2376"`. Unset: only the configured endpoints are used.
    #[serde(default)]
    pub endpoint_template: Option<String>,
    /// Seconds a service may stay below its desired count before it is an alert
    /// (default 30).
    #[serde(default)]
    pub below_desired_secs: Option<u64>,
    /// Ring the terminal bell on a new critical alert (default true; `--no-bell` wins).
    #[serde(default)]
    pub bell: Option<bool>,
    /// How many lines the logs view holds (its ring; the oldest go first): at least
    /// [`LOG_LINES_MIN`], at most [`LOG_LINES_MAX`]; read it with [`Config::log_lines`].
    #[serde(default)]
    pub log_lines: Option<usize>,
    /// Other clusters `:clusters` switches to (`[[clusters]]`), besides every docker context.
    #[serde(default)]
    pub clusters: Vec<ClusterConfig>,
}

/// The logs view's ring when `log_lines` is not set.
pub const LOG_LINES_DEFAULT: usize = 10_000;
/// The fewest lines `log_lines` may say.
pub const LOG_LINES_MIN: usize = 100;
/// The most lines `log_lines` may say (a line is up to 16 KiB: a bound on memory).
pub const LOG_LINES_MAX: usize = 1_000_000;

/// One `[[clusters]]` entry: a cluster `:clusters` lists and switches to.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    /// Its name in the list and the header (unique; not `default`).
    pub name: String,
    /// Its manager endpoints, tried in order (at least one).
    pub endpoints: Vec<String>,
    /// Its own `endpoint_template` (the top-level one is not used for it).
    #[serde(default)]
    pub endpoint_template: Option<String>,
    /// Its keepalived VIPs (checked on the `vip_port`).
    #[serde(default)]
    pub vips: Vec<std::net::IpAddr>,
}

/// The longest cluster name.
pub const MAX_CLUSTER_NAME: usize = 64;

impl Config {
    /// How many versions of a global config document are kept: `config_keep`, else
    /// [`crate::gconfig::DEFAULT_KEEP`]. Never 0 (the file is checked when read).
    pub fn config_keep(&self) -> usize {
        self.config_keep
            .unwrap_or(crate::gconfig::DEFAULT_KEEP)
            .max(1)
    }

    /// How many lines the logs view holds: `log_lines`, else [`LOG_LINES_DEFAULT`] (the
    /// file is checked when read).
    pub fn log_lines(&self) -> usize {
        self.log_lines
            .unwrap_or(LOG_LINES_DEFAULT)
            .clamp(LOG_LINES_MIN, LOG_LINES_MAX)
    }
}

/// Why the config could not be used. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read (a `--config` file that does not exist, permissions,
    /// not UTF-8). Display: `<file>: <io error>`.
    #[error("{}: {source}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file was read but something in it is wrong.
    /// Display: `<file>:<line>:<col>: <message>` and the offending line with a marker.
    #[error("{}", show_invalid(.path, *.line, *.column, *.width, .message, .source_line))]
    Invalid {
        path: PathBuf,
        /// 1-based; 0 when the position is unknown.
        line: usize,
        /// 1-based, in characters.
        column: usize,
        /// How many characters to mark under the offending line.
        width: usize,
        /// The dotted key the problem is about (`keys.quit`, `endpoints[1]`), when known.
        key: Option<String>,
        /// What is wrong; names the key.
        message: String,
        /// The offending line of the file.
        source_line: String,
    },
}

impl ConfigError {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            ConfigError::Read { path, .. } | ConfigError::Invalid { path, .. } => path,
        }
    }

    /// The 1-based line of the problem, when there is one.
    pub fn line(&self) -> Option<usize> {
        match self {
            ConfigError::Invalid { line, .. } if *line > 0 => Some(*line),
            _ => None,
        }
    }
}

/// Renders [`ConfigError::Invalid`].
fn show_invalid(
    path: &Path,
    line: usize,
    column: usize,
    width: usize,
    message: &str,
    source_line: &str,
) -> String {
    let path = path.display();
    if line == 0 {
        return format!("{path}: {message}");
    }
    let gutter = line.to_string().len();
    let (source_line, marker_column, width) = excerpt(source_line, column, width);
    let pad = " ".repeat(marker_column.saturating_sub(1));
    let marks = "^".repeat(width.max(1));
    format!(
        "{path}:{line}:{column}: {message}\n{:gutter$} |\n{line} | {source_line}\n{:gutter$} | {pad}{marks}",
        "", ""
    )
}

/// At most this many characters of the offending line are quoted.
const EXCERPT: usize = 120;

/// The part of a long line around `column` (1-based) that an error quotes, with `…` where it
/// was cut and control characters made visible; returns the excerpt, the marker's column in
/// it and the marker's width.
fn excerpt(line: &str, column: usize, width: usize) -> (String, usize, usize) {
    let chars: Vec<char> = line.chars().collect();
    let (from, to) = if chars.len() <= EXCERPT {
        (0, chars.len())
    } else {
        let from = column.saturating_sub(1).saturating_sub(EXCERPT / 3);
        let from = from.min(chars.len().saturating_sub(EXCERPT));
        (from, (from + EXCERPT).min(chars.len()))
    };
    let mut out = String::new();
    let mut marker = column.saturating_sub(from);
    if from > 0 {
        out.push('…');
        marker += 1;
    }
    for c in &chars[from..to] {
        out.push(if c.is_control() && *c != '\t' {
            '\u{fffd}'
        } else {
            *c
        });
    }
    if to < chars.len() {
        out.push('…');
    }
    let width = width.min((to + 1).saturating_sub(column.max(from + 1)).max(1));
    (out, marker.max(1), width)
}

/// Where the config file lives by default:
/// `directories::ProjectDirs::from("", "", "swarmdeck")` config dir + `config.toml`
/// (`$XDG_CONFIG_HOME/swarmdeck/config.toml`, usually `~/.config/swarmdeck/config.toml`).
pub fn default_path() -> Option<PathBuf> {
    Some(config_dir()?.join("config.toml"))
}

/// The user themes folder: the same config dir + `themes`.
pub fn themes_dir() -> Option<PathBuf> {
    Some(config_dir()?.join("themes"))
}

/// Where swarmdeck keeps what must outlive a run (the config editor's drafts): the XDG state
/// dir, `$XDG_STATE_HOME/swarmdeck` (usually `~/.local/state/swarmdeck`); where the platform
/// has none (macOS, Windows), the same XDG path.
pub fn state_dir() -> Option<PathBuf> {
    if let Some(dirs) = directories::ProjectDirs::from("", "", "swarmdeck")
        && let Some(dir) = dirs.state_dir()
    {
        return Some(dir.to_path_buf());
    }
    let base = match std::env::var_os("XDG_STATE_HOME").map(PathBuf::from) {
        Some(dir) if dir.is_absolute() => dir,
        _ => directories::BaseDirs::new()?
            .home_dir()
            .join(".local/state"),
    };
    Some(base.join("swarmdeck"))
}

fn config_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "swarmdeck").map(|d| d.config_dir().to_path_buf())
}

/// Load: `explicit` = `--config PATH` (must exist, else error). Without it, the default path
/// if it exists, else `Config::default()`. Returns the config and the path it was read from
/// (`None` when defaults were used).
pub fn load(explicit: Option<&Path>) -> Result<(Config, Option<PathBuf>), ConfigError> {
    let path = match explicit {
        Some(path) => path.to_path_buf(),
        None => match default_path() {
            Some(path) if path.exists() => path,
            _ => return Ok((Config::default(), None)),
        },
    };
    let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
        path: path.clone(),
        source,
    })?;
    let config = parse(&text, &path)?;
    Ok((config, Some(path)))
}

/// Parse text (for tests and [`load`]); `origin` names the file in messages.
pub fn parse(text: &str, origin: &Path) -> Result<Config, ConfigError> {
    let doc = Doc { text, origin };
    let config: Config = toml::from_str(text).map_err(|e| doc.explain_toml(&e))?;
    // The text parsed, so this succeeds; it gives the spans for the checks below.
    let root = DeTable::parse(text).map_err(|e| doc.explain_toml(&e))?;
    validate(&config, root.get_ref(), &doc)?;
    Ok(config)
}

/// The text being parsed, for turning byte offsets into errors.
struct Doc<'a> {
    text: &'a str,
    origin: &'a Path,
}

impl Doc<'_> {
    fn error(
        &self,
        span: Option<Range<usize>>,
        key: Option<String>,
        message: String,
    ) -> ConfigError {
        let Some(span) = span else {
            return ConfigError::Invalid {
                path: self.origin.to_path_buf(),
                line: 0,
                column: 0,
                width: 0,
                key,
                message,
                source_line: String::new(),
            };
        };
        let start = floor_char_boundary(self.text, span.start);
        let before = &self.text[..start];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let line_end = self.text[start..]
            .find('\n')
            .map_or(self.text.len(), |i| start + i);
        let source_line = self.text[line_start..line_end].trim_end_matches('\r');
        let column = before[line_start..].chars().count() + 1;
        let end = floor_char_boundary(self.text, span.end.clamp(start, line_end));
        let width = self.text[start..end].chars().count();
        ConfigError::Invalid {
            path: self.origin.to_path_buf(),
            line: before.matches('\n').count() + 1,
            column,
            width,
            key,
            message,
            source_line: source_line.to_string(),
        }
    }

    /// Turn a TOML (syntax or serde) error into one that names the key.
    fn explain_toml(&self, e: &toml::de::Error) -> ConfigError {
        let span = e.span();
        let msg = e
            .message()
            .trim_end()
            .replace("expected a map", "expected a table")
            .replace("expected a sequence", "expected a list");
        // a TOML date-time reaches serde as a map with a private key
        let is_datetime = span.as_ref().is_some_and(|sp| {
            self.text
                .get(sp.clone())
                .is_some_and(|t| t.trim().parse::<toml::value::Datetime>().is_ok())
        });
        let msg = if is_datetime {
            msg.replace("invalid type: map", "invalid type: a date-time")
        } else {
            msg
        };
        let msg = msg.as_str();
        let root = DeTable::parse(self.text).ok();
        let path = match (&root, &span) {
            (Some(root), Some(span)) => path_at(root.get_ref(), span.start),
            _ => Vec::new(),
        };
        let Some(root) = root else {
            return self.error(span, None, format!("invalid TOML: {msg}"));
        };
        let key = (!path.is_empty()).then(|| show_path(&path));
        let under_keys = matches!(path.first(), Some(Seg::Key(k)) if k == "keys");

        if let Some(rest) = msg.strip_prefix("unknown field ") {
            let parent = &path[..path.len().saturating_sub(1)];
            let table = if parent.is_empty() {
                String::new()
            } else {
                format!(" in [{}]", show_path(parent))
            };
            let rest = rest.replacen(", expected", &format!("{table}; expected"), 1);
            return self.error(span, key, format!("unknown key {rest}"));
        }
        // an unknown name in [keys]: point at it
        if let Some(rest) = msg.strip_prefix("unknown action `")
            && let Some((name, _)) = rest.split_once('`')
            && let Some(keys) = get(root.get_ref(), "keys").and_then(|v| v.get_ref().as_table())
            && let Some((k, _)) = keys.iter().find(|(k, _)| k.get_ref().as_ref() == name)
        {
            return self.error(
                Some(k.span()),
                Some(format!("keys.{name}")),
                msg.to_string(),
            );
        }
        if under_keys
            && path.len() == 3
            && let Some(rest) = msg.strip_prefix("unknown variant ")
        {
            let view = show_path(&path[..2]);
            let rest = rest.replacen(", expected", &format!(" in [{view}]; expected"), 1);
            return self.error(span, key, format!("unknown action {rest}"));
        }
        if under_keys && path.len() == 2 {
            if let Some(rest) = msg.strip_prefix("unknown variant ") {
                let rest = rest.replacen(", expected", " in [keys]; expected", 1);
                return self.error(span, key, format!("unknown action {rest}"));
            }
            if (msg.contains("untagged enum KeyList") || msg.contains("untagged enum Entry"))
                && let Some(Seg::Key(action)) = path.get(1)
                && let Some(e) = self.key_list_error(root.get_ref(), action)
            {
                return e;
            }
        }
        match key {
            Some(key) => self.error(span, Some(key.clone()), format!("`{key}`: {msg}")),
            None => self.error(span, None, msg.to_string()),
        }
    }

    /// Explain why `keys.<action>` is not a key or a list of keys.
    fn key_list_error(&self, root: &DeTable<'_>, action: &str) -> Option<ConfigError> {
        let value = get(root, "keys")?
            .get_ref()
            .as_table()?
            .iter()
            .find_map(|(k, v)| (k.get_ref().as_ref() == action).then_some(v))?;
        let key = format!("keys.{action}");
        let check = |v: &Spanned<DeValue<'_>>, key: &str| -> Option<ConfigError> {
            match v.get_ref() {
                DeValue::String(s) => match s.parse::<KeyBinding>() {
                    Ok(_) => None,
                    Err(why) => Some(self.error(
                        Some(v.span()),
                        Some(key.to_string()),
                        format!("`{key}`: {why}"),
                    )),
                },
                other => Some(self.error(
                    Some(v.span()),
                    Some(key.to_string()),
                    format!(
                        "`{key}`: expected a key as a string (\"q\", \"ctrl-r\"), found {}",
                        other.type_str()
                    ),
                )),
            }
        };
        match value.get_ref() {
            DeValue::String(_) => check(value, &key),
            DeValue::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, item)| check(item, &format!("{key}[{i}]"))),
            other => Some(self.error(
                Some(value.span()),
                Some(key.clone()),
                format!(
                    "`{key}`: expected a key (\"q\") or a list of keys ([\"j\", \"down\"]), found {}",
                    other.type_str()
                ),
            )),
        }
    }
}

/// Checks serde cannot do: endpoint schemes, empty theme, `config_keep` 0, keys bound to two
/// actions.
fn validate(config: &Config, root: &DeTable<'_>, doc: &Doc<'_>) -> Result<(), ConfigError> {
    if config.config_keep == Some(0) {
        let span = get(root, "config_keep").map(Spanned::span);
        return Err(doc.error(
            span,
            Some("config_keep".to_string()),
            "`config_keep`: must be at least 1 (the current version is always kept)".to_string(),
        ));
    }
    if let Some(n) = config.log_lines
        && !(LOG_LINES_MIN..=LOG_LINES_MAX).contains(&n)
    {
        let span = get(root, "log_lines").map(Spanned::span);
        return Err(doc.error(
            span,
            Some("log_lines".to_string()),
            format!(
                "`log_lines`: {n} is out of range: the logs view holds at least {LOG_LINES_MIN} and at most {LOG_LINES_MAX} lines (default {LOG_LINES_DEFAULT})"
            ),
        ));
    }
    if let Some(t) = &config.endpoint_template
        && let Err(why) = crate::engine::check_template(t)
    {
        let span = get(root, "endpoint_template").map(Spanned::span);
        return Err(doc.error(span, Some("endpoint_template".to_string()), why));
    }
    if let Some(theme) = &config.theme
        && theme.trim().is_empty()
    {
        let span = get(root, "theme").map(Spanned::span);
        return Err(doc.error(
            span,
            Some("theme".to_string()),
            "`theme`: must not be empty (leave it out for the default theme)".to_string(),
        ));
    }

    for (i, endpoint) in config.endpoints.iter().enumerate() {
        if let Err(why) = crate::endpoint::parse(endpoint) {
            let span = get(root, "endpoints")
                .and_then(|v| v.get_ref().as_array())
                .and_then(|a| a.get(i))
                .map(Spanned::span);
            return Err(doc.error(
                span,
                Some(format!("endpoints[{i}]")),
                format!(
                    "`endpoints`: {} is not an endpoint: {why}",
                    crate::endpoint::quote(endpoint)
                ),
            ));
        }
    }

    for (i, addr) in config.vips.iter().enumerate() {
        if let Some(why) = crate::vip::unusable_vip(*addr) {
            let span = get(root, "vips")
                .and_then(|v| v.get_ref().as_array())
                .and_then(|a| a.get(i))
                .map(Spanned::span);
            return Err(doc.error(
                span,
                Some(format!("vips[{i}]")),
                format!("`vips`: {addr} is {why}; a VIP is a unicast address a node holds"),
            ));
        }
    }

    validate_clusters(config, root, doc)?;

    // Keys: the same checks the keymap makes, but here they can point at the line.
    let key_value = |action: Action| {
        get(root, "keys")
            .and_then(|v| v.get_ref().as_table())
            .and_then(|t| {
                t.iter()
                    .find(|(k, _)| k.get_ref().as_ref() == action.name())
                    .map(|(_, v)| v)
            })
    };
    // the span of keys.<action>, or of its item `index` when it is a list
    let key_span = |action: Action, index: usize| {
        key_value(action).map(|v| match v.get_ref() {
            DeValue::Array(items) => items.get(index).map_or_else(|| v.span(), Spanned::span),
            _ => v.span(),
        })
    };
    for (action, list) in &config.keys.global {
        // the same key twice for one action is harmless (the keymap keeps it once)
        let keys = list.keys();
        let item = |i: usize| match list {
            KeyList::One(_) => format!("keys.{action}"),
            KeyList::Many(_) => format!("keys.{action}[{i}]"),
        };
        for (i, key) in keys.iter().enumerate() {
            if *key == KeyBinding::ctrl_c() && *action != Action::Quit {
                return Err(doc.error(
                    key_span(*action, i),
                    Some(item(i)),
                    format!("`{}`: {}", item(i), KeyBinding::CTRL_C_RESERVED),
                ));
            }
        }
    }
    // per-view tables: the keymap's own check, pointed at the table
    if let Err(why) = Keymap::new(&config.keys, false) {
        let view = config
            .keys
            .views
            .keys()
            .find(|v| why.contains(&format!("[keys.{v}]")));
        if let Some(view) = view {
            let span = get(root, "keys")
                .and_then(|v| v.get_ref().as_table())
                .and_then(|t| {
                    t.iter()
                        .find(|(k, _)| k.get_ref().as_ref() == view.as_str())
                        .map(|(k, _)| k.span())
                });
            return Err(doc.error(
                span,
                Some(format!("keys.{view}")),
                format!("`keys.{view}`: {why}"),
            ));
        }
    }
    let defaults = Keymap::default();
    let mut owner: BTreeMap<String, Action> = BTreeMap::new();
    let bound = |a: Action| -> Vec<KeyBinding> {
        config
            .keys
            .global
            .get(&a)
            .map_or_else(|| defaults.keys(a).to_vec(), KeyList::keys)
    };
    // Overridden actions last, so a clash is reported at the line that caused it.
    let mut order: Vec<Action> = Action::ALL.to_vec();
    order.sort_by_key(|a| config.keys.global.contains_key(a));
    for action in order {
        for key in bound(action) {
            let name = key.to_string();
            if let Some(other) = owner.insert(name.clone(), action) {
                if other == action {
                    continue;
                }
                let span = get(root, "keys")
                    .and_then(|v| v.get_ref().as_table())
                    .and_then(|t| {
                        t.iter()
                            .find(|(k, _)| k.get_ref().as_ref() == action.name())
                            .map(|(_, v)| v.span())
                    });
                let hint = if config.keys.global.contains_key(&other) {
                    String::new()
                } else {
                    format!(" (its default; give `{other}` other keys too)")
                };
                return Err(doc.error(
                    span,
                    Some(format!("keys.{action}")),
                    format!("`keys.{action}`: key {name} is also bound to `{other}`{hint}"),
                ));
            }
        }
    }
    Ok(())
}

/// `[[clusters]]`: a name (unique, not `default`), endpoints, a template and VIPs that can be
/// used; the error points at the key.
fn validate_clusters(
    config: &Config,
    root: &DeTable<'_>,
    doc: &Doc<'_>,
) -> Result<(), ConfigError> {
    let entry = |i: usize| {
        get(root, "clusters")
            .and_then(|v| v.get_ref().as_array())
            .and_then(|a| a.get(i))
    };
    let span_of = |i: usize, key: &str, item: Option<usize>| {
        let e = entry(i)?;
        let Some(t) = e.get_ref().as_table() else {
            return Some(e.span());
        };
        let v = get(t, key)?;
        match item {
            Some(j) => v
                .get_ref()
                .as_array()
                .and_then(|a| a.get(j))
                .map(Spanned::span)
                .or_else(|| Some(v.span())),
            None => Some(v.span()),
        }
    };
    let fail = |i: usize, key: &str, item: Option<usize>, why: String| {
        let shown = match item {
            Some(j) => format!("clusters[{i}].{key}[{j}]"),
            None => format!("clusters[{i}].{key}"),
        };
        doc.error(
            span_of(i, key, item),
            Some(shown.clone()),
            format!("`{shown}`: {why}"),
        )
    };
    for (i, c) in config.clusters.iter().enumerate() {
        let name = c.name.as_str();
        if name.trim().is_empty() {
            return Err(fail(i, "name", None, "must not be empty".into()));
        }
        if name.chars().any(char::is_control) {
            return Err(fail(
                i,
                "name",
                None,
                "must not hold control characters".into(),
            ));
        }
        if name.chars().count() > MAX_CLUSTER_NAME {
            return Err(fail(
                i,
                "name",
                None,
                format!("is longer than {MAX_CLUSTER_NAME} characters"),
            ));
        }
        if name == crate::contexts::DEFAULT {
            return Err(fail(
                i,
                "name",
                None,
                "\"default\" is the name of the cluster swarmdeck starts on (--host, `endpoints`, \
                 DOCKER_HOST or the local socket); choose another"
                    .into(),
            ));
        }
        if let Some(j) = config.clusters[..i].iter().position(|o| o.name == c.name) {
            return Err(fail(
                i,
                "name",
                None,
                format!(
                    "{} is also the name of clusters[{j}]",
                    crate::endpoint::quote(name)
                ),
            ));
        }
        if c.endpoints.is_empty() {
            return Err(fail(
                i,
                "endpoints",
                None,
                format!("cluster {name:?} needs at least one endpoint"),
            ));
        }
        for (j, e) in c.endpoints.iter().enumerate() {
            if let Err(why) = crate::endpoint::parse(e) {
                return Err(fail(
                    i,
                    "endpoints",
                    Some(j),
                    format!("{} is not an endpoint: {why}", crate::endpoint::quote(e)),
                ));
            }
        }
        if let Some(t) = &c.endpoint_template
            && let Err(why) = crate::engine::check_template(t)
        {
            return Err(fail(i, "endpoint_template", None, why));
        }
        for (j, addr) in c.vips.iter().enumerate() {
            if let Some(why) = crate::vip::unusable_vip(*addr) {
                return Err(fail(
                    i,
                    "vips",
                    Some(j),
                    format!("{addr} is {why}; a VIP is a unicast address a node holds"),
                ));
            }
        }
    }
    Ok(())
}

/// Whether a config endpoint is one swarmdeck can connect with ([`crate::endpoint`]).
pub fn endpoint_ok(endpoint: &str) -> bool {
    crate::endpoint::parse(endpoint).is_ok()
}

fn get<'a, 'i>(table: &'a DeTable<'i>, key: &str) -> Option<&'a Spanned<DeValue<'i>>> {
    table
        .iter()
        .find(|(k, _)| k.get_ref().as_ref() == key)
        .map(|(_, v)| v)
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// One step of a key path.
#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Key(String),
    Index(usize),
}

fn show_path(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                let bare = !k.is_empty()
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                if bare {
                    out.push_str(k);
                } else {
                    out.push_str(&format!("{k:?}"));
                }
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

fn contains(span: &Range<usize>, offset: usize) -> bool {
    span.contains(&offset) || (span.is_empty() && span.start == offset)
}

/// The key path of the key or value at byte `offset`.
fn path_at(root: &DeTable<'_>, offset: usize) -> Vec<Seg> {
    let mut path = Vec::new();
    find_in_table(root, offset, &mut path);
    path
}

fn find_in_table(table: &DeTable<'_>, offset: usize, path: &mut Vec<Seg>) -> bool {
    for (k, v) in table {
        path.push(Seg::Key(k.get_ref().to_string()));
        if contains(&k.span(), offset) || find_in_value(v, offset, path) {
            return true;
        }
        path.pop();
    }
    false
}

fn find_in_value(value: &Spanned<DeValue<'_>>, offset: usize, path: &mut Vec<Seg>) -> bool {
    match value.get_ref() {
        DeValue::Table(t) => find_in_table(t, offset, path) || contains(&value.span(), offset),
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Seg::Index(i));
                if find_in_value(item, offset, path) {
                    return true;
                }
                path.pop();
            }
            contains(&value.span(), offset)
        }
        _ => contains(&value.span(), offset),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
    }

    fn toml_files(dir: &Path) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        files
    }

    fn parse_str(text: &str) -> Result<Config, ConfigError> {
        parse(text, Path::new("/etc/test.toml"))
    }

    fn err(text: &str) -> String {
        parse_str(text).unwrap_err().to_string()
    }

    #[test]
    fn empty_is_default() {
        assert_eq!(parse_str("").unwrap(), Config::default());
        assert_eq!(parse_str("# nothing\n\n").unwrap(), Config::default());
    }

    #[test]
    fn full_config() {
        let c = parse_str(
            "theme = \"light\"\nendpoints = [\"ssh://admin@m1\", \"tcp://10.0.0.2:2376\", \"/run/docker.sock\"]\n\
             [keys]\nquit = \"x\"\ndown = [\"j\", \"ctrl-n\"]\n",
        )
        .unwrap();
        assert_eq!(c.theme.as_deref(), Some("light"));
        assert_eq!(c.endpoints.len(), 3);
        assert_eq!(
            c.keys.global[&Action::Quit],
            KeyList::One("x".parse().unwrap())
        );
        assert_eq!(
            c.keys.global[&Action::Down].keys(),
            vec![
                "j".parse::<KeyBinding>().unwrap(),
                "ctrl-n".parse().unwrap()
            ]
        );
        // a valid config also builds a keymap
        Keymap::new(&c.keys, false).unwrap();
    }

    #[test]
    fn every_valid_fixture_parses() {
        let files = toml_files(&dir("tests/valid_configs"));
        assert!(files.len() >= 3);
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            let config = parse(&text, &path).unwrap_or_else(|e| panic!("{e}"));
            Keymap::new(&config.keys, false).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }

    /// Invalid fixtures start with `# expect-line: N` and `# expect: TEXT`.
    #[test]
    fn every_invalid_fixture_fails_with_file_and_line() {
        let files = toml_files(&dir("tests/invalid_configs"));
        assert!(files.len() >= 6);
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            let header = |prefix: &str| {
                text.lines()
                    .find_map(|l| l.strip_prefix(prefix))
                    .map(str::trim)
                    .unwrap_or_else(|| panic!("{} lacks {prefix}", path.display()))
            };
            let line: usize = header("# expect-line:").parse().unwrap();
            let expect = header("# expect:");
            let e = parse(&text, &path).expect_err(&path.display().to_string());
            assert_eq!(e.line(), Some(line), "{e}");
            assert_eq!(e.path(), path);
            let msg = e.to_string();
            let file = path.file_name().unwrap().to_string_lossy();
            assert!(msg.contains(&*file), "{msg}");
            assert!(msg.contains(&format!(":{line}:")), "{msg}");
            assert!(msg.contains(expect), "want {expect:?} in:\n{msg}");
        }
    }

    #[test]
    fn message_format() {
        let msg = err("theme = \"x\"\ncolour = \"red\"\n");
        assert_eq!(
            msg,
            "/etc/test.toml:2:1: unknown key `colour`; expected one of `theme`, `endpoints`, `keys`, `vips`, \
             `vip_port`, `keepalived_conf`, `readonly`, `config_keep`, `endpoint_template`, \
             `below_desired_secs`, `bell`, `log_lines`, `clusters`\n  \
             |\n2 | colour = \"red\"\n  | ^^^^^^"
        );
    }

    #[test]
    fn errors_name_the_key() {
        let msg = err("theme = 3\n");
        assert!(
            msg.starts_with("/etc/test.toml:1:9: `theme`: invalid type: integer `3`"),
            "{msg}"
        );
        let msg = err("endpoints = \"tcp://x\"\n");
        assert!(msg.contains("`endpoints`: invalid type: string"), "{msg}");
        let msg = err("endpoints = [\"tcp://a\", 7]\n");
        assert!(
            msg.contains("1:25: `endpoints[1]`: invalid type: integer"),
            "{msg}"
        );
        let msg = err("[keys]\nquitt = \"q\"\n");
        assert!(
            msg.contains("2:1: unknown action `quitt` in [keys]; expected one of `help`, `quit`"),
            "{msg}"
        );
        let msg = err("[keys]\nquit = \"hyper-q\"\n");
        assert!(
            msg.contains("2:8: `keys.quit`: unknown key \"hyper-q\""),
            "{msg}"
        );
        let msg = err("[keys]\nquit = [\"q\", \"f13\"]\n");
        assert!(
            msg.contains("2:14: `keys.quit[1]`: unknown key \"f13\""),
            "{msg}"
        );
        let msg = err("[keys]\nquit = [\"q\", 1]\n");
        assert!(
            msg.contains("`keys.quit[1]`: expected a key as a string"),
            "{msg}"
        );
        let msg = err("[keys]\nhelp = 1\n");
        assert!(
            msg.contains("`keys.help`: expected a key (\"q\") or a list"),
            "{msg}"
        );
        let msg = err("[keys]\nquit = 1\n");
        assert!(
            msg.contains("`keys.quit`: expected a key (\"q\") or a list"),
            "{msg}"
        );
        let msg = err("keys = 1\n");
        assert!(msg.contains("1:8: `keys`: invalid type: integer"), "{msg}");
        let msg = err("[keys.quit]\nx = 1\n");
        assert!(msg.contains("`keys.quit`"), "{msg}");
        // per-view tables
        let c = parse_str("[keys.nodes]\ndrain = \"x\"\n[keys.help]\ndown = \"n\"\n").unwrap();
        assert_eq!(
            c.keys.views["nodes"][&Action::Drain],
            KeyList::One("x".parse().unwrap())
        );
        let msg = err("[keys.nodes]\ndrian = \"x\"\n");
        assert!(
            msg.contains("2:1: unknown action `drian` in [keys.nodes]"),
            "{msg}"
        );
        let msg = err("[keys]\nquit = \"q\"\n[keys.nodes]\ndrain = \"j\"\n");
        assert!(
            msg.contains(
                "3:7: `keys.nodes`: key j is bound to both down and drain in [keys.nodes]"
            ),
            "{msg}"
        );
        let msg = err("theme = \"\"\n");
        assert!(msg.contains("`theme`: must not be empty"), "{msg}");
        let msg = err("theme = \n");
        assert!(msg.contains("1:9: invalid TOML: "), "{msg}");
    }

    #[test]
    fn config_keep_is_read_and_checked() {
        assert_eq!(
            Config::default().config_keep(),
            crate::gconfig::DEFAULT_KEEP
        );
        let c = parse_str("config_keep = 3\n").unwrap();
        assert_eq!(c.config_keep, Some(3));
        assert_eq!(c.config_keep(), 3);

        let e = parse_str("theme = \"mono\"\nconfig_keep = 0\n").unwrap_err();
        assert!(
            matches!(&e, ConfigError::Invalid { key: Some(k), line: 2, .. } if k == "config_keep"),
            "{e}"
        );
        let msg = e.to_string();
        assert!(
            msg.starts_with("/etc/test.toml:2:15: `config_keep`: must be at least 1"),
            "{msg}"
        );
        let msg = err("config_keep = -2\n");
        assert!(msg.contains("1:15: `config_keep`: invalid value"), "{msg}");
        let msg = err("config_keep = \"5\"\n");
        assert!(msg.contains("`config_keep`: invalid type: string"), "{msg}");
    }

    #[test]
    fn log_lines_is_read_and_checked() {
        assert_eq!(Config::default().log_lines(), LOG_LINES_DEFAULT);
        let c = parse_str("log_lines = 1000\n").unwrap();
        assert_eq!(c.log_lines(), 1000);
        assert_eq!(parse_str("log_lines = 100\n").unwrap().log_lines(), 100);
        assert_eq!(
            parse_str("log_lines = 1000000\n").unwrap().log_lines(),
            1_000_000
        );
        for bad in ["99", "0", "1000001"] {
            let e = parse_str(&format!("theme = \"mono\"\nlog_lines = {bad}\n")).unwrap_err();
            assert!(
                matches!(&e, ConfigError::Invalid { key: Some(k), line: 2, .. } if k == "log_lines"),
                "{e}"
            );
            let msg = e.to_string();
            assert!(
                msg.starts_with(&format!(
                    "/etc/test.toml:2:13: `log_lines`: {bad} is out of range: the logs view holds at least 100 and at most 1000000 lines"
                )),
                "{msg}"
            );
        }
        let msg = err("log_lines = -5\n");
        assert!(msg.contains("1:13: `log_lines`: invalid value"), "{msg}");
        let msg = err("log_lines = \"lots\"\n");
        assert!(msg.contains("`log_lines`: invalid type: string"), "{msg}");
    }

    #[test]
    fn endpoints_are_checked() {
        for ok in [
            "unix:///var/run/docker.sock",
            "tcp://10.0.0.1:2376",
            "http://m1:2375",
            "https://m1:2376",
            "ssh://admin@m1",
            "SSH://admin@m1",
            "ssh://admin@m1:2222",
            "/var/run/docker.sock",
        ] {
            assert!(endpoint_ok(ok), "{ok}");
        }
        for bad in [
            "m1:2376",
            "ftp://m1",
            "tcp://",
            "",
            "docker.sock",
            "npipe:////./pipe/x",
            "ssh://admin@m1/path",
            "ssh://m1:port",
        ] {
            assert!(!endpoint_ok(bad), "{bad}");
        }
        let msg = err("endpoints = [\n  \"tcp://a:2376\",\n  \"ftp://b\",\n]\n");
        assert!(
            msg.starts_with("/etc/test.toml:3:3: `endpoints`: \"ftp://b\" is not an endpoint"),
            "{msg}"
        );
        let e = parse_str("endpoints = [\"b:22\"]").unwrap_err();
        assert!(
            matches!(&e, ConfigError::Invalid { key: Some(k), .. } if k == "endpoints[0]"),
            "{e}"
        );
    }

    #[test]
    fn clusters_are_read_and_checked() {
        let c = parse_str(
            "[[clusters]]\nname = \"prod\"\nendpoints = [\"ssh://admin@m1\"]\n\
             endpoint_template = \"ssh://admin@{addr}\"\nvips = [\"10.0.0.100\"]\n\
             [[clusters]]\nname = \"lab\"\nendpoints = [\"/run/lab.sock\"]\n",
        )
        .unwrap();
        assert_eq!(c.clusters.len(), 2);
        assert_eq!(c.clusters[0].name, "prod");
        assert_eq!(
            c.clusters[0].endpoint_template.as_deref(),
            Some("ssh://admin@{addr}")
        );
        assert_eq!(
            c.clusters[0].vips,
            vec!["10.0.0.100".parse::<std::net::IpAddr>().unwrap()]
        );
        assert_eq!(c.clusters[1].endpoints, ["/run/lab.sock"]);
        let one = |body: &str| err(&format!("[[clusters]]\n{body}"));
        for (body, want) in [
            (
                "name = \"\"\nendpoints = [\"tcp://a:1\"]\n",
                "2:8: `clusters[0].name`: must not be empty",
            ),
            (
                "name = \"default\"\nendpoints = [\"tcp://a:1\"]\n",
                "`clusters[0].name`: \"default\" is the name of the cluster swarmdeck starts on",
            ),
            (
                "name = \"a\\u0007\"\nendpoints = [\"tcp://a:1\"]\n",
                "`clusters[0].name`: must not hold control characters",
            ),
            (
                &format!(
                    "name = \"{}\"\nendpoints = [\"tcp://a:1\"]\n",
                    "x".repeat(65)
                ),
                "`clusters[0].name`: is longer than 64 characters",
            ),
            (
                "name = \"p\"\nendpoints = [\"tcp://a:1\"]\nendpoint_template = \"tcp://h:1\"\n",
                "4:21: `clusters[0].endpoint_template`: endpoint_template \"tcp://h:1\" has no {addr}",
            ),
            (
                "name = \"p\"\nendpoints = [\"tcp://a:1\"]\nvips = [\"10.0.0.1\", \"224.0.0.1\"]\n",
                "4:21: `clusters[0].vips[1]`: 224.0.0.1 is a multicast address",
            ),
            ("endpoints = [\"tcp://a:1\"]\n", "missing field `name`"),
            ("name = \"p\"\n", "missing field `endpoints`"),
            (
                "name = 3\nendpoints = []\n",
                "`clusters[0].name`: invalid type: integer",
            ),
        ] {
            let msg = one(body);
            assert!(msg.contains(want), "{body:?}: want {want:?} in:\n{msg}");
        }
        let msg = err("clusters = 3\n");
        assert!(msg.contains("`clusters`: invalid type: integer"), "{msg}");
    }

    #[test]
    fn conflicting_keys_point_at_the_override() {
        let msg = err("theme = \"mono\"\n[keys]\nquit = \"j\"\n");
        assert!(
            msg.contains("3:8: `keys.quit`: key j is also bound to `down` (its default; give `down` other keys too)"),
            "{msg}"
        );
        // moving the default away fixes it
        parse_str("[keys]\nquit = \"j\"\ndown = \"n\"\n").unwrap();
        // the same key twice for one action is harmless
        parse_str("[keys]\nquit = [\"x\", \"x\"]\n").unwrap();
        let msg = err("[keys]\nquit = \"x\"\nhelp = \"x\"\n");
        assert!(
            msg.contains("`keys.quit`: key x is also bound to `help`\n"),
            "{msg}"
        );
    }

    #[test]
    fn non_ascii_columns() {
        let msg = err("# é\n\"thème\" = \"x\"\n");
        assert!(
            msg.starts_with("/etc/test.toml:2:1: unknown key `thème`"),
            "{msg}"
        );
        let msg = err("endpoints = [\"é\", \"ü\"]\n");
        assert!(msg.contains(":1:14: "), "{msg}");
    }

    #[test]
    fn load_explicit_missing_is_an_error() {
        let e = load(Some(Path::new("/nonexistent/swarmdeck.toml"))).unwrap_err();
        assert!(matches!(e, ConfigError::Read { .. }));
        assert!(
            e.to_string().starts_with("/nonexistent/swarmdeck.toml: "),
            "{e}"
        );
        assert_eq!(e.line(), None);
    }

    #[test]
    fn load_explicit_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "theme = \"mono\"\n").unwrap();
        let (config, from) = load(Some(&path)).unwrap();
        assert_eq!(config.theme.as_deref(), Some("mono"));
        assert_eq!(from.as_deref(), Some(path.as_path()));

        std::fs::write(&path, "theme = \"mono\"\nbogus = 1\n").unwrap();
        let e = load(Some(&path)).unwrap_err();
        assert!(
            e.to_string()
                .starts_with(&format!("{}:2:1: ", path.display())),
            "{e}"
        );
    }

    #[test]
    fn default_paths_share_a_folder() {
        if let (Some(config), Some(themes)) = (default_path(), themes_dir()) {
            assert!(
                config.ends_with("swarmdeck/config.toml"),
                "{}",
                config.display()
            );
            assert_eq!(config.parent(), themes.parent());
            assert!(themes.ends_with("swarmdeck/themes"));
        }
        if let Some(state) = state_dir() {
            assert!(state.is_absolute(), "{}", state.display());
            assert!(state.ends_with("swarmdeck"), "{}", state.display());
        }
    }

    fn example() -> String {
        std::fs::read_to_string(dir("docs/config.example.toml")).unwrap()
    }

    #[test]
    fn example_parses_and_documents_everything() {
        let text = example();
        let path = dir("docs/config.example.toml");
        parse(&text, &path).unwrap_or_else(|e| panic!("{e}"));
        for key in [
            "theme",
            "endpoints",
            "vips",
            "vip_port",
            "keepalived_conf",
            "readonly",
            "config_keep",
            "[keys]",
        ] {
            assert!(text.contains(key), "example lacks {key}");
        }
        for action in Action::ALL {
            assert!(
                text.lines()
                    .any(|l| l.starts_with(&format!("# {} = ", action.name()))),
                "example lacks a commented `{}` line",
                action.name()
            );
        }
    }

    /// The commented `[keys]` lines of the example are the real defaults and parse.
    #[test]
    fn example_key_lines_are_the_defaults() {
        let text: String = example()
            .lines()
            .map(|l| {
                let bare = l.strip_prefix("# ").unwrap_or(l);
                let is_action = Action::ALL
                    .iter()
                    .any(|a| bare.starts_with(&format!("{} = ", a.name())));
                // a view's table header, for the view's own keys after it
                let is_view = bare.starts_with("[keys.");
                if is_action || is_view { bare } else { l }
            })
            .collect::<Vec<_>>()
            .join("\n");
        let config =
            parse(&text, Path::new("uncommented example")).unwrap_or_else(|e| panic!("{e}"));
        let defaults = Keymap::default();
        for action in Action::ALL {
            let keys = config
                .keys
                .global
                .get(action)
                .map(KeyList::keys)
                .unwrap_or_default();
            assert_eq!(keys, defaults.keys(*action), "{action}");
        }
        for (view, table) in &config.keys.views {
            for (action, keys) in table {
                assert_eq!(
                    keys.keys(),
                    defaults.keys_in(view, *action),
                    "[keys.{view}] {action}"
                );
            }
        }
        assert!(
            config.keys.views.contains_key("config"),
            "the example shows the editor's own keys"
        );
    }

    #[test]
    fn docs_list_every_action() {
        let md = std::fs::read_to_string(dir("docs/config.md")).unwrap();
        for action in Action::ALL {
            assert!(
                md.contains(&format!("`{}`", action.name())),
                "docs/config.md lacks {action}"
            );
        }
    }

    #[test]
    fn theme_docs_list_every_slot() {
        let md = std::fs::read_to_string(dir("docs/themes.md")).unwrap();
        for slot in crate::theme::SLOTS {
            assert!(
                md.contains(&format!("`{slot}`")),
                "docs/themes.md lacks {slot}"
            );
        }
        for name in crate::theme::Theme::builtin_names() {
            assert!(
                md.contains(&format!("`{name}`")),
                "docs/themes.md lacks {name}"
            );
        }
    }
}
