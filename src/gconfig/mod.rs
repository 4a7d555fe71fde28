//! Global config documents: versioned JSON documents stored as Swarm configs
//! (`swarmdeck-<doc>.vN`), optionally checked against a JSON Schema (`swarmdeck-<doc>-schema.vN`),
//! published by creating the next version (the engine refuses a duplicate name: that is how a
//! concurrent publish is detected) and rolled out to the services that subscribe to them.
//!
//! This module is the pure part (names, labels, limits, validation, diffs, the three-way
//! merge, plans, drift judgement), unit-tested without Docker; [`io`] does the engine I/O,
//! through the raw JSON core of `engine/write.rs`; [`draft`] keeps the editor's unpublished
//! buffers on disk. See docs/config-editor.md.

pub mod cmd;
pub mod draft;
pub mod io;
pub mod locate;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// swarmkit's `MaxConfigSize`: config data must be more than 0 and less than this many bytes.
pub const MAX_CONFIG_SIZE: usize = 1000 * 1024;
/// Swarm config names are at most this long.
pub const MAX_NAME_LEN: usize = 64;
/// Document names are at most this long (so `swarmdeck-<doc>-schema.vN` fits in 64).
pub const MAX_DOC_LEN: usize = 32;
/// The document used when none is named.
pub const DEFAULT_DOC: &str = "global";
/// Versions kept by default (older ones are deleted when no service uses them).
pub const DEFAULT_KEEP: usize = 10;

/// Labels on every version.
pub const LABEL_DOC: &str = "swarmdeck.gconfig.doc";
pub const LABEL_KIND: &str = "swarmdeck.gconfig.kind";
pub const LABEL_VERSION: &str = "swarmdeck.gconfig.version";
pub const LABEL_SHA256: &str = "swarmdeck.gconfig.sha256";
pub const LABEL_PARENT: &str = "swarmdeck.gconfig.parent";
pub const LABEL_AUTHOR: &str = "swarmdeck.gconfig.author";
pub const LABEL_CREATED: &str = "swarmdeck.gconfig.created";

/// A document (the config itself) or its schema: each has its own versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Document,
    Schema,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Document => "document",
            Kind::Schema => "schema",
        }
    }
}

/// Check a document name: letters, digits, `-` and `_`, starting and ending with a letter
/// or digit, at most [`MAX_DOC_LEN`], not ending in `-schema`.
pub fn check_doc(doc: &str) -> Result<(), String> {
    let ok_chars = doc
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let ends_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if doc.is_empty() || !ok_chars || !ends_ok(doc.chars().next()) || !ends_ok(doc.chars().last()) {
        return Err(format!(
            "bad document name {doc:?}: use letters, digits, '-' and '_', starting and ending \
             with a letter or digit"
        ));
    }
    if doc.len() > MAX_DOC_LEN {
        return Err(format!(
            "bad document name {doc:?}: at most {MAX_DOC_LEN} characters"
        ));
    }
    if doc.ends_with("-schema") {
        return Err(format!(
            "bad document name {doc:?}: a name ending in \"-schema\" is kept for schemas"
        ));
    }
    Ok(())
}

/// The prefix every version's name starts with: `swarmdeck-<doc>.v` or
/// `swarmdeck-<doc>-schema.v`.
pub fn name_prefix(doc: &str, kind: Kind) -> String {
    match kind {
        Kind::Document => format!("swarmdeck-{doc}.v"),
        Kind::Schema => format!("swarmdeck-{doc}-schema.v"),
    }
}

/// The Swarm config name of version `n`.
pub fn config_name(doc: &str, kind: Kind, n: u64) -> String {
    format!("{}{n}", name_prefix(doc, kind))
}

/// The version number in a config name of this document and kind (exactly
/// `<prefix><digits>`, no leading zero), else None.
pub fn parse_name(doc: &str, kind: Kind, name: &str) -> Option<u64> {
    let digits = name.strip_prefix(&name_prefix(doc, kind))?;
    if digits.is_empty()
        || !digits.chars().all(|c| c.is_ascii_digit())
        || (digits.len() > 1 && digits.starts_with('0'))
    {
        return None;
    }
    digits.parse().ok()
}

/// Whether a name is a valid Swarm config name (swarmkit's rule).
pub fn valid_config_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= MAX_NAME_LEN
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// The label a subscribing service carries: `swarmdeck.<doc>.target`, its value the path.
pub fn target_label(doc: &str) -> String {
    format!("swarmdeck.{doc}.target")
}

/// Check a subscription path: absolute, no `..`, no control characters.
pub fn check_target(path: &str) -> Result<(), String> {
    if !path.starts_with('/') || path.len() < 2 || path.ends_with('/') {
        return Err(format!(
            "bad target {path:?}: an absolute file path inside the containers, e.g. \
             /etc/app/global.json"
        ));
    }
    if path.split('/').any(|s| s == "..") || path.chars().any(char::is_control) {
        return Err(format!(
            "bad target {path:?}: no '..' and no control characters"
        ));
    }
    Ok(())
}

/// Lowercase hex sha256.
pub fn sha256_hex(data: &[u8]) -> String {
    let digest = Sha256::digest(data);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// One stored version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Version {
    pub n: u64,
    /// The Swarm config's id.
    pub id: String,
    /// The Swarm config's name (`swarmdeck-global.v7`).
    pub name: String,
    /// From the label (what was published); empty when the label is missing.
    pub sha256: String,
    /// The version it was edited from.
    pub parent: Option<u64>,
    /// `user@host`, with ` (ssh CLIENT)` when published over ssh.
    pub author: String,
    /// RFC 3339, from the label (else the config's CreatedAt).
    pub created: String,
    /// Bytes of data (0 when not read).
    pub size: usize,
}

/// Who publishes: `$USER@host`, and the SSH client if any.
pub fn author() -> String {
    let (user, ssh) = crate::audit::who();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".to_string());
    match ssh {
        Some(c) => format!("{user}@{host} (ssh {c})"),
        None => format!("{user}@{host}"),
    }
}

/// The labels of a new version.
pub fn version_labels(
    doc: &str,
    kind: Kind,
    n: u64,
    sha256: &str,
    parent: Option<u64>,
    author: &str,
    created: &str,
) -> BTreeMap<String, String> {
    let mut l = BTreeMap::new();
    l.insert(LABEL_DOC.to_string(), doc.to_string());
    l.insert(LABEL_KIND.to_string(), kind.as_str().to_string());
    l.insert(LABEL_VERSION.to_string(), n.to_string());
    l.insert(LABEL_SHA256.to_string(), sha256.to_string());
    l.insert(
        LABEL_PARENT.to_string(),
        parent.map(|p| p.to_string()).unwrap_or_default(),
    );
    l.insert(LABEL_AUTHOR.to_string(), author.to_string());
    l.insert(LABEL_CREATED.to_string(), created.to_string());
    l
}

/// A version from a config object as the engine sends it (`/configs`, raw JSON); None when
/// its name is not one of this document's versions.
pub fn version_from_config(doc: &str, kind: Kind, config: &Value) -> Option<Version> {
    let name = config.pointer("/Spec/Name")?.as_str()?;
    let n = parse_name(doc, kind, name)?;
    let label = |k: &str| {
        config
            .pointer("/Spec/Labels")
            .and_then(|l| l.get(k))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let created = match label(LABEL_CREATED) {
        c if c.is_empty() => config
            .get("CreatedAt")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        c => c,
    };
    let size = config
        .pointer("/Spec/Data")
        .and_then(Value::as_str)
        .map_or(0, |d| d.len() / 4 * 3);
    Some(Version {
        n,
        id: config.get("ID")?.as_str()?.to_string(),
        name: name.to_string(),
        sha256: label(LABEL_SHA256),
        parent: label(LABEL_PARENT).parse().ok(),
        author: label(LABEL_AUTHOR),
        created,
        size,
    })
}

// ------------------------------------------------------------------------- validation

/// One problem with a document: where (a JSON pointer, or a line and column) and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub pointer: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.pointer, self.line, self.column) {
            (Some(p), _, _) if p.is_empty() => write!(f, "(the document): {}", self.message),
            (Some(p), _, _) => write!(f, "{p}: {}", self.message),
            (None, Some(l), Some(c)) => write!(f, "line {l}, column {c}: {}", self.message),
            _ => write!(f, "{}", self.message),
        }
    }
}

fn problem(message: String) -> Problem {
    Problem {
        pointer: None,
        line: None,
        column: None,
        message,
    }
}

/// Check the size of a document (or schema): more than 0 and less than
/// [`MAX_CONFIG_SIZE`] bytes.
pub fn check_size(text: &str) -> Result<(), Problem> {
    if text.is_empty() {
        return Err(problem(
            "the document is empty (a Swarm config needs at least one byte)".into(),
        ));
    }
    if text.len() >= MAX_CONFIG_SIZE {
        return Err(problem(format!(
            "the document is {} bytes; a Swarm config must be less than {} bytes (1000 KiB)",
            text.len(),
            MAX_CONFIG_SIZE
        )));
    }
    Ok(())
}

/// Parse JSON text; a syntax error carries serde_json's line and column.
pub fn parse(text: &str) -> Result<Value, Problem> {
    serde_json::from_str(text).map_err(|e| Problem {
        pointer: None,
        line: Some(e.line()),
        column: Some(e.column()),
        message: format!("not valid JSON: {e}"),
    })
}

/// Validate a document: its size, its JSON syntax, and (when there is one) the schema.
/// Every schema error names its instance pointer.
pub fn validate(text: &str, schema: Option<&Value>) -> Result<Value, Vec<Problem>> {
    check_size(text).map_err(|p| vec![p])?;
    let value = parse(text).map_err(|p| vec![p])?;
    if let Some(schema) = schema {
        let validator = jsonschema::validator_for(schema)
            .map_err(|e| vec![problem(format!("the schema itself is not valid: {e}"))])?;
        let problems: Vec<Problem> = validator
            .iter_errors(&value)
            .map(|e| Problem {
                pointer: Some(e.instance_path().as_str().to_string()),
                line: None,
                column: None,
                message: e.to_string(),
            })
            .collect();
        if !problems.is_empty() {
            return Err(problems);
        }
    }
    Ok(value)
}

/// Validate a schema document: size, JSON, and that it is a schema the validator accepts.
pub fn validate_schema(text: &str) -> Result<Value, Vec<Problem>> {
    check_size(text).map_err(|p| vec![p])?;
    let value = parse(text).map_err(|p| vec![p])?;
    jsonschema::validator_for(&value)
        .map_err(|e| vec![problem(format!("not a valid JSON Schema: {e}"))])?;
    Ok(value)
}

// ------------------------------------------------------------------------- diff

/// Escape one reference token (RFC 6901): `~` → `~0`, `/` → `~1`.
pub fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Unescape one reference token (RFC 6901).
pub fn unescape_token(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// One change between two documents, at a JSON pointer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Change {
    Added {
        pointer: String,
        value: Value,
    },
    Removed {
        pointer: String,
        value: Value,
    },
    Changed {
        pointer: String,
        old: Value,
        new: Value,
    },
}

impl Change {
    pub fn pointer(&self) -> &str {
        match self {
            Change::Added { pointer, .. }
            | Change::Removed { pointer, .. }
            | Change::Changed { pointer, .. } => pointer,
        }
    }

    /// The value after the change (None: removed).
    pub fn new_value(&self) -> Option<&Value> {
        match self {
            Change::Added { value, .. } => Some(value),
            Change::Removed { .. } => None,
            Change::Changed { new, .. } => Some(new),
        }
    }
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |p: &str| {
            if p.is_empty() {
                "(the document)".to_string()
            } else {
                p.to_string()
            }
        };
        match self {
            Change::Added { pointer, value } => write!(f, "+ {} = {value}", show(pointer)),
            Change::Removed { pointer, value } => write!(f, "- {} (was {value})", show(pointer)),
            Change::Changed { pointer, old, new } => {
                write!(f, "~ {}: {old} → {new}", show(pointer))
            }
        }
    }
}

/// The changes from `old` to `new` by JSON pointer: objects are compared key by key, arrays
/// element by element (a longer or shorter array adds or removes its tail), anything else as
/// a value.
pub fn diff(old: &Value, new: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    diff_at("", old, new, &mut out);
    out
}

fn diff_at(at: &str, old: &Value, new: &Value, out: &mut Vec<Change>) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, va) in a {
                let p = format!("{at}/{}", escape_token(k));
                match b.get(k) {
                    Some(vb) => diff_at(&p, va, vb, out),
                    None => out.push(Change::Removed {
                        pointer: p,
                        value: va.clone(),
                    }),
                }
            }
            for (k, vb) in b {
                if !a.contains_key(k) {
                    out.push(Change::Added {
                        pointer: format!("{at}/{}", escape_token(k)),
                        value: vb.clone(),
                    });
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for i in 0..a.len().max(b.len()) {
                let p = format!("{at}/{i}");
                match (a.get(i), b.get(i)) {
                    (Some(va), Some(vb)) => diff_at(&p, va, vb, out),
                    (Some(va), None) => out.push(Change::Removed {
                        pointer: p,
                        value: va.clone(),
                    }),
                    (None, Some(vb)) => out.push(Change::Added {
                        pointer: p,
                        value: vb.clone(),
                    }),
                    (None, None) => {}
                }
            }
        }
        _ if old == new => {}
        _ => out.push(Change::Changed {
            pointer: at.to_string(),
            old: old.clone(),
            new: new.clone(),
        }),
    }
}

/// The documents pretty-printed (two-space JSON, one key per line).
pub fn pretty(value: &Value) -> String {
    let mut s = serde_json::to_string_pretty(value).unwrap_or_default();
    s.push('\n');
    s
}

/// A unified text diff of the pretty-printed documents (3 lines of context).
/// `Null` as the old side is "no version yet": the diff adds every line.
pub fn text_diff(old: &Value, new: &Value, old_name: &str, new_name: &str) -> String {
    let a = if old.is_null() {
        String::new()
    } else {
        pretty(old)
    };
    let b = pretty(new);
    similar::TextDiff::from_lines(&a, &b)
        .unified_diff()
        .context_radius(3)
        .header(old_name, new_name)
        .to_string()
}

// ------------------------------------------------------------------------- merge

/// A pointer both sides changed differently: the three values (None: absent).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MergeConflict {
    pub pointer: String,
    pub base: Option<Value>,
    pub theirs: Option<Value>,
    pub mine: Option<Value>,
}

impl std::fmt::Display for MergeConflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = |v: &Option<Value>| v.as_ref().map_or("(absent)".to_string(), Value::to_string);
        write!(
            f,
            "{}: base {} / theirs {} / mine {}",
            if self.pointer.is_empty() {
                "(the document)"
            } else {
                &self.pointer
            },
            v(&self.base),
            v(&self.theirs),
            v(&self.mine)
        )
    }
}

/// What a three-way merge found.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Merge {
    /// Every change applies: the merged document.
    Clean { merged: Value },
    /// The pointers both sides changed differently; nothing merged.
    Conflicts { conflicts: Vec<MergeConflict> },
}

/// Whether one pointer is the other or inside it.
fn overlaps(a: &str, b: &str) -> bool {
    let inside = |x: &str, y: &str| x == y || (x.starts_with(y) && x[y.len()..].starts_with('/'));
    inside(a, b) || inside(b, a)
}

/// Merge `theirs` and `mine`, both edited from `base`, by JSON pointer: changes to different
/// pointers merge; the same change on both sides is taken once; different changes to the same
/// pointer (or one inside the other) are conflicts, listed with the three values.
pub fn merge3(base: &Value, theirs: &Value, mine: &Value) -> Merge {
    let ours = diff(base, mine);
    let others = diff(base, theirs);
    let mut conflicts = Vec::new();
    for m in &ours {
        for t in &others {
            if overlaps(m.pointer(), t.pointer()) && m != t {
                // report the outer pointer once
                let p = if m.pointer().len() <= t.pointer().len() {
                    m.pointer()
                } else {
                    t.pointer()
                };
                if conflicts.iter().any(|c: &MergeConflict| c.pointer == p) {
                    continue;
                }
                conflicts.push(MergeConflict {
                    pointer: p.to_string(),
                    base: base.pointer(p).cloned(),
                    theirs: theirs.pointer(p).cloned(),
                    mine: mine.pointer(p).cloned(),
                });
            }
        }
    }
    if !conflicts.is_empty() {
        return Merge::Conflicts { conflicts };
    }
    let mut merged = theirs.clone();
    // removals of array elements from the end first, so indexes stay right
    let mut todo: Vec<&Change> = ours.iter().filter(|c| !others.contains(c)).collect();
    todo.sort_by(|a, b| {
        let removed = |c: &Change| matches!(c, Change::Removed { .. });
        removed(a)
            .cmp(&removed(b))
            .then_with(|| array_index(b.pointer()).cmp(&array_index(a.pointer())))
    });
    for c in todo {
        set_pointer(&mut merged, c.pointer(), c.new_value().cloned());
    }
    Merge::Clean { merged }
}

fn array_index(pointer: &str) -> Option<usize> {
    pointer.rsplit('/').next().and_then(|t| t.parse().ok())
}

/// Set (Some) or remove (None) the value at a pointer; parents must exist (they do for a
/// change computed by [`diff`] applied to a side that did not touch them).
pub fn set_pointer(doc: &mut Value, pointer: &str, value: Option<Value>) {
    if pointer.is_empty() {
        if let Some(v) = value {
            *doc = v;
        }
        return;
    }
    let (parent, last) = match pointer.rfind('/') {
        Some(i) => (&pointer[..i], unescape_token(&pointer[i + 1..])),
        None => return,
    };
    let Some(target) = doc.pointer_mut(parent) else {
        return;
    };
    match (target, value) {
        (Value::Object(map), Some(v)) => {
            map.insert(last, v);
        }
        (Value::Object(map), None) => {
            map.remove(&last);
        }
        (Value::Array(arr), v) => {
            let Ok(i) = last.parse::<usize>() else {
                return;
            };
            match v {
                Some(v) if i < arr.len() => arr[i] = v,
                Some(v) if i == arr.len() => arr.push(v),
                None if i < arr.len() => {
                    arr.remove(i);
                }
                _ => {}
            }
        }
        _ => {}
    }
}

// ------------------------------------------------------------------------- subscribers and plans

/// A service's update settings, as its spec says (Swarm's defaults when absent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpdatePolicy {
    pub parallelism: u64,
    /// Nanoseconds between batches.
    pub delay_ns: u64,
    /// "stop-first" | "start-first".
    pub order: String,
    /// "pause" | "continue" | "rollback".
    pub failure_action: String,
}

impl std::fmt::Display for UpdatePolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let delay = self.delay_ns as f64 / 1e9;
        write!(
            f,
            "parallelism {}, delay {delay}s, order {}, on failure {}",
            self.parallelism, self.order, self.failure_action
        )
    }
}

/// How a service runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "mode", rename_all = "kebab-case")]
pub enum Mode {
    Replicated { replicas: u64 },
    Global,
    ReplicatedJob,
    GlobalJob,
    Unknown,
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mode::Replicated { replicas } => write!(f, "replicated ({replicas})"),
            Mode::Global => write!(f, "global"),
            Mode::ReplicatedJob => write!(f, "replicated job"),
            Mode::GlobalJob => write!(f, "global job"),
            Mode::Unknown => write!(f, "unknown mode"),
        }
    }
}

/// A service that subscribes to a document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Subscriber {
    pub id: String,
    pub name: String,
    /// The path inside its containers.
    pub target: String,
    pub mode: Mode,
    pub update: UpdatePolicy,
    /// The version it references now at that target (None: none yet, or another config).
    pub current: Option<u64>,
    /// Another config mounted at the target (not one of this document's versions).
    pub foreign: Option<String>,
}

/// The service's config references (`TaskTemplate.ContainerSpec.Configs`) in a spec.
pub fn config_refs(spec: &Value) -> &[Value] {
    spec.pointer("/TaskTemplate/ContainerSpec/Configs")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The config name referenced at `target` in a spec's (or a task spec's container spec's)
/// config list.
pub fn ref_at<'a>(refs: &'a [Value], target: &str) -> Option<&'a str> {
    refs.iter()
        .find(|r| r.pointer("/File/Name").and_then(Value::as_str) == Some(target))
        .and_then(|r| r.get("ConfigName").and_then(Value::as_str))
}

/// A subscriber from a service as read raw (`/services/ID`); None when it does not carry the
/// document's label.
pub fn subscriber_from_service(doc: &str, service: &Value) -> Option<Subscriber> {
    let spec = service.get("Spec")?;
    let target = spec
        .pointer("/Labels")
        .and_then(|l| l.get(target_label(doc)))
        .and_then(Value::as_str)?
        .to_string();
    let mode = match spec.get("Mode") {
        Some(m) if m.get("Replicated").is_some() => Mode::Replicated {
            replicas: m
                .pointer("/Replicated/Replicas")
                .and_then(Value::as_u64)
                .unwrap_or(1),
        },
        Some(m) if m.get("Global").is_some() => Mode::Global,
        Some(m) if m.get("ReplicatedJob").is_some() => Mode::ReplicatedJob,
        Some(m) if m.get("GlobalJob").is_some() => Mode::GlobalJob,
        None => Mode::Replicated { replicas: 1 },
        Some(_) => Mode::Unknown,
    };
    let u = spec.get("UpdateConfig");
    let field = |k: &str| u.and_then(|u| u.get(k));
    let update = UpdatePolicy {
        parallelism: field("Parallelism").and_then(Value::as_u64).unwrap_or(1),
        delay_ns: field("Delay").and_then(Value::as_u64).unwrap_or(0),
        order: field("Order")
            .and_then(Value::as_str)
            .unwrap_or("stop-first")
            .to_string(),
        failure_action: field("FailureAction")
            .and_then(Value::as_str)
            .unwrap_or("pause")
            .to_string(),
    };
    let at = ref_at(config_refs(spec), &target);
    let current = at.and_then(|n| parse_name(doc, Kind::Document, n));
    let foreign = at.filter(|_| current.is_none()).map(str::to_string);
    Some(Subscriber {
        id: service.get("ID")?.as_str()?.to_string(),
        name: spec
            .get("Name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        target,
        mode,
        update,
        current,
        foreign,
    })
}

/// Warnings for one subscriber's rollout.
pub fn warnings(s: &Subscriber) -> Vec<String> {
    let mut w = Vec::new();
    match s.mode {
        Mode::ReplicatedJob | Mode::GlobalJob => w.push(format!(
            "{}: a job service: every update runs the job again",
            s.name
        )),
        Mode::Replicated { replicas: 1 } if s.update.order == "stop-first" => w.push(format!(
            "{}: one replica with order stop-first: the service is down while its task is \
             replaced",
            s.name
        )),
        Mode::Replicated { replicas: 0 } => w.push(format!(
            "{}: 0 replicas: nothing runs to receive the new version",
            s.name
        )),
        Mode::Unknown => w.push(format!(
            "{}: a service mode swarmdeck does not know",
            s.name
        )),
        _ => {}
    }
    if let Some(other) = &s.foreign {
        w.push(format!(
            "{}: already mounts config {other} at {}: it is not moved (remove it first)",
            s.name, s.target
        ));
    }
    w
}

/// What a publish would do: shown before anything is written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub doc: String,
    /// The current version (None: the first publish).
    pub current: Option<u64>,
    /// The version the publish creates.
    pub next: u64,
    pub sha256: String,
    pub size: usize,
    /// Identical to the current version: nothing would be published.
    pub unchanged: bool,
    pub changes: Vec<Change>,
    pub text_diff: String,
    pub subscribers: Vec<Subscriber>,
    pub warnings: Vec<String>,
    /// When the edit was based on an older version and merged cleanly with the newer one.
    pub merged_from: Option<u64>,
    /// The document that would be published (the merge result when merged).
    pub document: Value,
    /// Its text, exactly as it would be stored.
    #[serde(skip)]
    pub text: String,
    /// A rollback: the version whose content this publishes again.
    pub rollback_of: Option<u64>,
    /// The current version's document (None: the first publish), for a side-by-side diff.
    #[serde(skip)]
    pub previous: Option<Value>,
}

/// Build the plan from what was read (pure).
pub fn make_plan(
    doc: &str,
    current: Option<(u64, &Value)>,
    new: Value,
    text: &str,
    subscribers: Vec<Subscriber>,
    merged_from: Option<u64>,
) -> Plan {
    let empty = Value::Null;
    let (cur_n, cur_doc) = current.map_or((None, &empty), |(n, v)| (Some(n), v));
    let sha = sha256_hex(text.as_bytes());
    let unchanged = current.is_some() && cur_doc == &new;
    let changes = if current.is_some() {
        diff(cur_doc, &new)
    } else {
        vec![Change::Added {
            pointer: String::new(),
            value: new.clone(),
        }]
    };
    let old_name = cur_n.map_or("(none)".to_string(), |n| format!("v{n}"));
    let next = cur_n.unwrap_or(0) + 1;
    let text_diff = text_diff(cur_doc, &new, &old_name, &format!("v{next}"));
    let warnings = subscribers.iter().flat_map(warnings).collect();
    Plan {
        doc: doc.to_string(),
        current: cur_n,
        next,
        sha256: sha,
        size: text.len(),
        unchanged,
        changes,
        text_diff,
        subscribers,
        warnings,
        merged_from,
        document: new,
        text: text.to_string(),
        rollback_of: None,
        previous: current.map(|(_, v)| v.clone()),
    }
}

impl Plan {
    /// The plan as text, for the CLI (and a log).
    pub fn text(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let p = crate::text::printable;
        if self.unchanged {
            let _ = writeln!(
                s,
                "{}: identical to the current version v{}: nothing to publish",
                self.doc,
                self.current.unwrap_or(0)
            );
            return s;
        }
        let from = self
            .current
            .map_or("nothing".to_string(), |n| format!("v{n}"));
        let _ = writeln!(
            s,
            "Plan: publish {} v{} ({} bytes, sha256 {}) over {from}",
            self.doc, self.next, self.size, self.sha256
        );
        if let Some(m) = self.merged_from {
            let _ = writeln!(
                s,
                "  your edit was based on v{m}; merged cleanly with the newer versions"
            );
        }
        let _ = writeln!(s, "Changes ({}):", self.changes.len());
        for c in &self.changes {
            let _ = writeln!(s, "  {}", p(&c.to_string()));
        }
        let _ = writeln!(s, "Text diff:");
        for line in self.text_diff.lines() {
            let _ = writeln!(s, "  {}", p(line));
        }
        let _ = writeln!(s, "Subscribed services ({}):", self.subscribers.len());
        for sub in &self.subscribers {
            let on = sub
                .current
                .map_or("no version yet".to_string(), |n| format!("on v{n}"));
            let _ = writeln!(
                s,
                "  {} → {} [{}; {}] {on}",
                p(&sub.name),
                p(&sub.target),
                sub.mode,
                sub.update
            );
        }
        for w in &self.warnings {
            let _ = writeln!(s, "Warning: {}", p(w));
        }
        s
    }
}

// ------------------------------------------------------------------------- drift

/// One running (or supposed to run) task, as its own spec says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskSeen {
    pub task: String,
    pub node: String,
    /// Its version at the target (None: no config of this document there).
    pub version: Option<u64>,
    /// `Status.State`.
    pub state: String,
    /// `Status.Err`, when any.
    pub error: String,
}

/// One subscriber's drift.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceDrift {
    pub service: String,
    pub id: String,
    pub target: String,
    /// Every task that should run is running the current version.
    pub in_sync: bool,
    /// "web: 3/3 nodes on v7", "agent: node2 still on v6 — rolling", …
    pub summary: Vec<String>,
    pub tasks: Vec<TaskSeen>,
}

/// The drift of a document over its subscribers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Drift {
    pub doc: String,
    pub current: Option<u64>,
    pub in_sync: bool,
    pub services: Vec<ServiceDrift>,
}

impl Drift {
    pub fn text(&self) -> String {
        let mut s = String::new();
        let cur = self.current.map_or("none".to_string(), |n| format!("v{n}"));
        s.push_str(&format!(
            "{}: current {cur}; {}\n",
            self.doc,
            if self.in_sync {
                "every subscribed task runs it"
            } else {
                "drift"
            }
        ));
        if self.services.is_empty() {
            s.push_str("  no subscribed services\n");
        }
        for d in &self.services {
            for line in &d.summary {
                s.push_str(&format!("  {}\n", crate::text::printable(line)));
            }
        }
        s
    }
}

fn vname(v: Option<u64>) -> String {
    v.map_or("no version".to_string(), |n| format!("v{n}"))
}

/// Judge one service from its tasks (those whose desired state is running) — pure.
/// `updating`: the service's UpdateStatus says an update is under way.
pub fn judge_service(
    sub: &Subscriber,
    tasks: Vec<TaskSeen>,
    current: Option<u64>,
    updating: bool,
    global: bool,
) -> ServiceDrift {
    let unit = if global { "nodes" } else { "tasks" };
    let total = tasks.len();
    let good = tasks
        .iter()
        .filter(|t| t.state == "running" && t.version == current && current.is_some())
        .count();
    let mut summary = Vec::new();
    let name = &sub.name;
    if total == 0 {
        summary.push(format!("{name}: no task runs"));
    } else if good == total {
        summary.push(format!(
            "{name}: {good}/{total} {unit} on {}",
            vname(current)
        ));
    } else {
        if good > 0 {
            summary.push(format!(
                "{name}: {good}/{total} {unit} on {}",
                vname(current)
            ));
        }
        // group the others by (version, what they do)
        let mut groups: BTreeMap<(Option<u64>, String), Vec<&TaskSeen>> = BTreeMap::new();
        for t in tasks
            .iter()
            .filter(|t| !(t.state == "running" && t.version == current && current.is_some()))
        {
            let what = match t.state.as_str() {
                "running" if updating => "rolling".to_string(),
                "running" => "not updated".to_string(),
                "failed" | "rejected" => {
                    if t.error.is_empty() {
                        "failed to start".to_string()
                    } else {
                        format!("failed to start: {}", t.error)
                    }
                }
                other => format!(
                    "{other}{}",
                    if t.error.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", t.error)
                    }
                ),
            };
            groups.entry((t.version, what)).or_default().push(t);
        }
        for ((v, what), ts) in groups {
            let nodes: Vec<&str> = ts.iter().map(|t| t.node.as_str()).collect();
            let who = if global {
                nodes.join(", ")
            } else if ts.len() == 1 {
                "1 task".to_string()
            } else {
                format!("{} tasks", ts.len())
            };
            let still = if what == "rolling" || what == "not updated" {
                "still "
            } else {
                ""
            };
            summary.push(format!("{name}: {who} {still}on {} — {what}", vname(v)));
        }
    }
    ServiceDrift {
        service: name.clone(),
        id: sub.id.clone(),
        target: sub.target.clone(),
        in_sync: total > 0 && good == total,
        summary,
        tasks,
    }
}

// ------------------------------------------------------------------------- retention

/// Which versions retention deletes: all but the newest `keep`, and only those no service
/// uses (`in_use`: config ids referenced by a service's spec or previous spec). The current
/// version is always kept.
pub fn to_prune<'a>(
    versions: &'a [Version],
    keep: usize,
    in_use: &std::collections::HashSet<String>,
) -> Vec<&'a Version> {
    let mut sorted: Vec<&Version> = versions.iter().collect();
    sorted.sort_by_key(|v| std::cmp::Reverse(v.n));
    sorted
        .into_iter()
        .skip(keep.max(1))
        .filter(|v| !in_use.contains(&v.id))
        .collect()
}

#[cfg(test)]
mod tests;
