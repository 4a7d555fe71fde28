//! The error digest (`:errors`), pure: which log lines are errors ([`is_error`]), the changing
//! parts of a message masked ([`mask`]) so that one kind of error is one group whatever its
//! numbers, ids, times and addresses, and the groups themselves ([`Digest`]: count, services,
//! nodes, first and last time, an example line). The engine side that reads the logs is
//! `engine/digest.rs`; the popup is `view/errors.rs`. The rules are in docs/errors.md.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::LazyLock;

use jiff::Timestamp;
use regex::{Captures, Regex};

use crate::domain::{NodeId, ServiceId};

/// Groups one digest holds at most; error lines of a new kind past it are only counted
/// ([`Digest::dropped`]).
pub const MAX_GROUPS: usize = 1000;
/// A message is cut to this many characters before it is masked and kept (a stack dump on
/// one line must not become a megabyte key).
pub const MAX_MESSAGE: usize = 600;

fn re(s: &str) -> Regex {
    Regex::new(s).unwrap_or_else(|e| panic!("built-in pattern {s}: {e}"))
}

/// Terminal escape sequences (colours): `\x1b[31mERROR\x1b[0m` is an ERROR.
static ANSI: LazyLock<Regex> =
    LazyLock::new(|| re(r"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])"));

/// A structured level field: `level=error`, `"level":"ERROR"`, `severity: error`, `lvl=eror`,
/// `"log.level": "error"`, `"levelname": "ERROR"`, `"level":50` (bunyan, pino).
static LEVEL_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)(?:^|[\s{,;(\[])"?(?:level|lvl|severity|loglevel|log\.level|levelname|log_level)"?\s*[:=]\s*"?([a-z]+|\d+)\b"#,
    )
});

/// klog / glog: `E0102 15:04:05.000000 …` (I, W, E, F).
static KLOG: LazyLock<Regex> = LazyLock::new(|| re(r"^([IWEF])\d{4} \d{2}:\d{2}:\d{2}"));

/// What comes before a leading level word: a timestamp, brackets, a pid.
static LEAD: LazyLock<Regex> = LazyLock::new(|| re(r"^[\s\[\]()<>|:,.\-/+0-9TZ]*"));

/// A leading word.
static WORD: LazyLock<Regex> = LazyLock::new(|| re(r"^([A-Za-z]+)\b"));

/// Upper-case level words anywhere, as whole words.
static UPPER: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b(?:ERROR|ERR|FATAL|CRITICAL|CRIT|PANIC|SEVERE|EMERG|EMERGENCY)\b"));

/// A level in brackets anywhere, any case: `[error]`, `<Fatal>`, `(crit)`, `|ERROR|`.
static BRACKETED: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)[\[(<|]\s*(?:error|err|fatal|crit|critical|panic|severe|emerg|alert)\s*[\])>|]")
});

/// The words of a crash: Go's `panic:`, Python's traceback, an exception's class, a
/// `SomethingError:`.
static CRASH: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?:\bpanic:|\bTraceback \(most recent call last\)|\b[A-Za-z_$][\w.$]*Exception\b|(?:^|[^\w.$])Exception\b|\b[\w.$]*[A-Za-z]Error:)",
    )
});

/// On stderr, these words in any case say error too.
static STDERR_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)\b(?:error|errors|fatal|failed|failure|exception|panic|panicked|critical|refused|denied|cannot|unable|timed out)\b",
    )
});

/// Whether a level name means an error.
fn level_is_error(level: &str) -> Option<bool> {
    let l = level.to_ascii_lowercase();
    if let Ok(n) = l.parse::<u32>() {
        // bunyan and pino: 50 error, 60 fatal; below is info, debug, trace
        return Some(n >= 50);
    }
    match l.as_str() {
        "error" | "err" | "eror" | "fatal" | "crit" | "critical" | "panic" | "dpanic" | "emerg"
        | "emergency" | "severe" | "e" | "f" => Some(true),
        "trace" | "debug" | "dbug" | "info" | "information" | "informational" | "notice"
        | "warn" | "warning" | "log" | "fine" | "finer" | "finest" | "verbose" | "t" | "d"
        | "i" | "w" | "n" => Some(false),
        _ => None,
    }
}

/// Whether a log line is an error (the rules of docs/errors.md, in order):
/// 1. a structured level field (`level=…`, `"level":"…"`, `severity=…`) decides alone;
/// 2. so does a leading level word (after a leading timestamp and brackets: `ERROR …`,
///    `[info] …`, `Error: …`, klog's `E0102`) — `INFO retrying after ERROR` is info;
/// 3. else an upper-case level word anywhere (`ERROR`, `ERR`, `FATAL`, `CRITICAL`, `CRIT`,
///    `PANIC`, `SEVERE`, `EMERG`), a bracketed level in any case (`[error]`), or a crash
///    (`panic:`, `Traceback (most recent call last)`, `…Exception`, `…Error:`);
/// 4. else, on stderr only, the words error, fatal, failed, failure, exception, panic,
///    critical, refused, denied, cannot, unable, timed out in any case.
///
/// `line` is the message as the service wrote it (terminal colours are ignored).
pub fn is_error(line: &str, stderr: bool) -> bool {
    let clean = strip_ansi(line);
    let line = clean.as_ref();
    if let Some(c) = LEVEL_FIELD.captures(line)
        && let Some(verdict) = level_is_error(&c[1])
    {
        return verdict;
    }
    if let Some(c) = KLOG.captures(line) {
        return matches!(&c[1], "E" | "F");
    }
    let rest = &line[LEAD.find(line).map_or(0, |m| m.end())..];
    if let Some(c) = WORD.captures(rest)
        && let Some(verdict) = level_is_error(&c[1])
        && c[1].len() > 1
    {
        return verdict;
    }
    if UPPER.is_match(line) || BRACKETED.is_match(line) || CRASH.is_match(line) {
        return true;
    }
    stderr && STDERR_WORDS.is_match(line)
}

/// The line without terminal escape sequences.
pub fn strip_ansi(line: &str) -> std::borrow::Cow<'_, str> {
    if line.contains('\x1b') {
        ANSI.replace_all(line, "")
    } else {
        std::borrow::Cow::Borrowed(line)
    }
}

static UUID: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
});

/// Dates and times: ISO 8601 / RFC 3339 (`2024-01-02T03:04:05.678Z`, `2024-01-02 03:04:05,678
/// +0100`), `2024/01/02 03:04:05`, the common log format's `[10/Oct/2000:13:55:36 -0700]`,
/// syslog's `Jan  2 15:04:05`, a time alone (`15:04:05.123`), a date alone.
static TIME: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"\b\d{4}[-/]\d{2}[-/]\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:\s?(?:Z|UTC|[+-]\d{2}:?\d{2})\b)?)?",
        r"|\b\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2}(?: [+-]\d{4})?",
        r"|\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d{1,2} \d{2}:\d{2}:\d{2}",
        r"|\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?:\s?(?:Z|UTC|[+-]\d{2}:?\d{2})\b)?",
    ))
});

/// IPv4 with an optional port or prefix length.
static IPV4: LazyLock<Regex> =
    LazyLock::new(|| re(r"\b\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2}\b|:\d{1,5}\b)?"));

/// IPv6 in brackets with an optional port, or bare (checked further in [`mask`]).
static IPV6: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\[[0-9a-fA-F:.]*:[0-9a-fA-F:.]*\](?::\d{1,5}\b)?|(?:\b[0-9a-fA-F]{1,4}|\B)(?::[0-9a-fA-F]{0,4}){2,7}(?:\.\d{1,3}){0,3}\b(?:/\d{1,3}\b)?",
    )
});

/// `0x1f`: a number written in hex.
static HEX_NUMBER: LazyLock<Regex> = LazyLock::new(|| re(r"\b0[xX][0-9a-fA-F]+\b"));

/// A long letters-and-digits token: maybe an id.
static TOKEN: LazyLock<Regex> = LazyLock::new(|| re(r"\b[A-Za-z0-9]{8,}\b"));

/// A number, with its decimals (`40`, `1.5`; a version `1.2.3` too).
static NUMBER: LazyLock<Regex> = LazyLock::new(|| re(r"\d+(?:\.\d+)*"));

/// A leading timestamp once masked, and what separates it from the message.
static LEADING_TIME: LazyLock<Regex> =
    LazyLock::new(|| re(r"^[\s\[(]*<time>(?:[\s,T]*<time>)*[\])]?[\s:,|\-]*"));

static SPACES: LazyLock<Regex> = LazyLock::new(|| re(r"\s+"));

/// The placeholders [`mask`] writes.
pub const PLACEHOLDERS: [&str; 4] = ["<n>", "<id>", "<time>", "<ip>"];

/// Whether a token is an id: hex of 8 or more with a digit and a letter (container ids,
/// trace ids, digests), a swarm id (25 lower-case letters and digits, one digit at least), or
/// 16 or more letters and digits with at least three of each (request ids).
fn is_id(t: &str) -> bool {
    let digits = t.bytes().filter(u8::is_ascii_digit).count();
    let letters = t.len() - digits;
    if digits == 0 || letters == 0 {
        return false;
    }
    t.bytes().all(|b| b.is_ascii_hexdigit())
        || (t.len() == 25
            && t.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
        || (t.len() >= 16 && digits >= 3 && letters >= 3)
}

/// A bare IPv6 candidate is one when it has a `::` or at least five groups, and a digit or
/// hex letter beyond colons (`a:b:c` in words stays).
fn is_ipv6(t: &str) -> bool {
    let t = t.split('/').next().unwrap_or(t);
    let colons = t.matches(':').count();
    let hex = t.bytes().any(|b| b.is_ascii_hexdigit());
    hex && colons >= 2 && (t.contains("::") || colons >= 5)
}

/// The message with its changing parts masked, for the group key: UUIDs, hex ids of 8 or
/// more, swarm ids and other long ids → `<id>`; dates and times → `<time>`; IPv4 and IPv6
/// addresses, with a port or prefix → `<ip>`; numbers → `<n>` (the unit stays: `40ms` →
/// `<n>ms`), but not digits right after a letter (`node2`, `http2`, `v1.2` stay: names, not
/// values). Terminal colours and a leading timestamp are removed, runs of white space become
/// one space. Quoted strings are kept (their numbers and ids are masked).
pub fn mask(line: &str) -> String {
    let clean = strip_ansi(line);
    let clean = json_message(&clean).map_or(clean, std::borrow::Cow::Owned);
    let cut: String = clean.chars().take(MAX_MESSAGE).collect();
    let s = UUID.replace_all(&cut, "<id>");
    let s = IPV4.replace_all(&s, "<ip>");
    let s = TIME.replace_all(&s, "<time>");
    let s = IPV6.replace_all(&s, |c: &Captures| {
        let m = &c[0];
        if m.starts_with('[') || is_ipv6(m) {
            "<ip>".to_string()
        } else {
            m.to_string()
        }
    });
    let s = HEX_NUMBER.replace_all(&s, "<n>");
    let s = TOKEN.replace_all(&s, |c: &Captures| {
        let m = &c[0];
        if is_id(m) {
            "<id>".to_string()
        } else {
            m.to_string()
        }
    });
    let s = {
        let hay: &str = &s;
        let mut out = String::with_capacity(hay.len());
        let mut last = 0;
        for m in NUMBER.find_iter(hay) {
            let after_letter = hay[..m.start()]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_alphabetic());
            out.push_str(&hay[last..m.start()]);
            out.push_str(if after_letter { m.as_str() } else { "<n>" });
            last = m.end();
        }
        out.push_str(&hay[last..]);
        out
    };
    let s = LEADING_TIME.replace(&s, "");
    SPACES.replace_all(s.trim(), " ").into_owned()
}

/// A JSON log line's message, for its group: the level in capitals, the message (`msg`,
/// `message`, `@message`, `event`, `log`), and the error (`error`, `err`, `exception`) after a
/// colon — `ERROR dial tcp <ip>: connection refused` — so that the other fields (request ids,
/// callers, durations) do not make a kind of their own. None: not a JSON object with a
/// message.
pub fn json_message(line: &str) -> Option<String> {
    let t = line.trim();
    if !t.starts_with('{') {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(t).ok()?;
    let o = v.as_object()?;
    let text = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| o.get(*k).and_then(serde_json::Value::as_str))
            .filter(|s| !s.trim().is_empty())
    };
    let msg = text(&["msg", "message", "@message", "event", "log"])?;
    let mut out = String::new();
    if let Some(level) = text(&["level", "lvl", "severity", "levelname", "log.level"]) {
        out.push_str(&level.to_uppercase());
        out.push(' ');
    }
    out.push_str(msg.trim());
    if let Some(err) = text(&["error", "err", "exception"]) {
        out.push_str(": ");
        out.push_str(err.trim());
    }
    Some(out)
}

/// A distinctive literal part of a group's message, to search the logs for: of the runs of
/// the masked key between placeholders and quotes (punctuation at their ends trimmed) that the raw line
/// holds as they are, the one with the most letters, digits and spaces (at least 4), else
/// None.
pub fn literal(key: &str, raw: &str) -> Option<String> {
    let mut parts: Vec<&str> = vec![key];
    for p in PLACEHOLDERS {
        parts = parts.iter().flat_map(|s| s.split(p)).collect();
    }
    // a quote ends a run too: a JSON line's message, not its keys
    parts = parts.iter().flat_map(|s| s.split('"')).collect();
    let raw = strip_ansi(raw);
    let words = |p: &str| {
        p.chars()
            .filter(|c| c.is_alphanumeric() || *c == ' ')
            .count()
    };
    let mut parts: Vec<&str> = parts
        .into_iter()
        .map(|p| p.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|p| words(p) >= 4)
        .collect();
    parts.sort_by_key(|p| std::cmp::Reverse(words(p)));
    parts
        .into_iter()
        .find(|p| raw.contains(*p))
        .map(str::to_string)
}

/// One kind of error: every line whose masked message is `key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The masked message.
    pub key: String,
    /// The newest line of the group as written (colours removed, cut to [`MAX_MESSAGE`]).
    pub example: String,
    pub example_at: Timestamp,
    /// When each line was written, per service and node (None: the engine did not say).
    pub seen: BTreeMap<(ServiceId, Option<NodeId>), Vec<Timestamp>>,
}

impl Group {
    /// How many lines.
    pub fn count(&self) -> usize {
        self.seen.values().map(Vec::len).sum()
    }
    /// The first line's time.
    pub fn first(&self) -> Option<Timestamp> {
        self.seen.values().flatten().min().copied()
    }
    /// The newest line's time.
    pub fn last(&self) -> Option<Timestamp> {
        self.seen.values().flatten().max().copied()
    }
    /// The service of the first line, and that time.
    pub fn first_seen(&self) -> Option<(&ServiceId, Timestamp)> {
        self.seen
            .iter()
            .filter_map(|((s, _), times)| Some((s, *times.iter().min()?)))
            .min_by_key(|(_, t)| *t)
    }
    /// The services it came from.
    pub fn services(&self) -> BTreeSet<&ServiceId> {
        self.seen.keys().map(|(s, _)| s).collect()
    }
    /// The nodes it came from (the ones the engine named).
    pub fn nodes(&self) -> BTreeSet<&NodeId> {
        self.seen.keys().filter_map(|(_, n)| n.as_ref()).collect()
    }
}

/// Error lines grouped by masked message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Digest {
    groups: Vec<Group>,
    index: HashMap<String, usize>,
    /// Error lines not grouped: [`MAX_GROUPS`] kinds were already held.
    pub dropped: usize,
}

impl Digest {
    /// Add an error line (the message as the service wrote it, without the engine's
    /// timestamp) of `service` on `node`, written `at`.
    pub fn add(&mut self, service: &ServiceId, node: Option<&NodeId>, at: Timestamp, line: &str) {
        let key = mask(line);
        if key.is_empty() {
            return;
        }
        let example = || -> String { strip_ansi(line).chars().take(MAX_MESSAGE).collect() };
        let i = match self.index.get(&key) {
            Some(i) => *i,
            None => {
                if self.groups.len() >= MAX_GROUPS {
                    self.dropped += 1;
                    return;
                }
                self.groups.push(Group {
                    key: key.clone(),
                    example: example(),
                    example_at: at,
                    seen: BTreeMap::new(),
                });
                self.index.insert(key, self.groups.len() - 1);
                self.groups.len() - 1
            }
        };
        let g = &mut self.groups[i];
        if at > g.example_at {
            g.example = example();
            g.example_at = at;
        }
        g.seen
            .entry((service.clone(), node.cloned()))
            .or_default()
            .push(at);
    }

    /// Take in another digest's groups (a service read since the last read).
    pub fn merge(&mut self, other: Digest) {
        self.dropped += other.dropped;
        for g in other.groups {
            match self.index.get(&g.key) {
                Some(&i) => {
                    let mine = &mut self.groups[i];
                    if g.example_at > mine.example_at {
                        mine.example = g.example;
                        mine.example_at = g.example_at;
                    }
                    for (k, times) in g.seen {
                        mine.seen.entry(k).or_default().extend(times);
                    }
                }
                None if self.groups.len() >= MAX_GROUPS => self.dropped += g.count(),
                None => {
                    self.index.insert(g.key.clone(), self.groups.len());
                    self.groups.push(g);
                }
            }
        }
    }

    /// Forget the lines written before `cutoff` (the window slides).
    pub fn prune(&mut self, cutoff: Timestamp) {
        for g in &mut self.groups {
            for times in g.seen.values_mut() {
                times.retain(|t| *t >= cutoff);
            }
            g.seen.retain(|_, times| !times.is_empty());
        }
        self.groups.retain(|g| !g.seen.is_empty());
        self.reindex();
    }

    /// Forget the lines of this service (it is no longer in scope).
    pub fn forget_service(&mut self, service: &ServiceId) {
        for g in &mut self.groups {
            g.seen.retain(|(s, _), _| s != service);
        }
        self.groups.retain(|g| !g.seen.is_empty());
        self.reindex();
    }

    fn reindex(&mut self) {
        self.index = self
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| (g.key.clone(), i))
            .collect();
    }

    /// The groups, newest last line first (then the larger count, then the key).
    pub fn newest_first(&self) -> Vec<&Group> {
        let mut v: Vec<(&Group, Option<Timestamp>, usize)> = self
            .groups
            .iter()
            .map(|g| (g, g.last(), g.count()))
            .collect();
        v.sort_by(|a, b| {
            b.1.cmp(&a.1)
                .then(b.2.cmp(&a.2))
                .then_with(|| a.0.key.cmp(&b.0.key))
        });
        v.into_iter().map(|(g, _, _)| g).collect()
    }

    /// The group with this key.
    pub fn group(&self, key: &str) -> Option<&Group> {
        self.index.get(key).map(|i| &self.groups[*i])
    }

    pub fn len(&self) -> usize {
        self.groups.len()
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// How many error lines it holds.
    pub fn lines(&self) -> usize {
        self.groups.iter().map(Group::count).sum()
    }
}

/// One line of `GET /services/{id}/logs?timestamps=1&details=1` as the engine writes it:
/// `<RFC 3339 time> <details> <message>`, the details being `key=value` pairs joined by
/// commas, each part query-escaped (`com.docker.swarm.node.id=…,com.docker.swarm.task.id=…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine<'a> {
    pub at: Timestamp,
    pub node: Option<String>,
    pub task: Option<String>,
    pub message: &'a str,
}

/// Read one log line; `details`: whether the engine was asked for the details (then the
/// second field is them, empty or not). None: no timestamp (a fragment of a long line).
pub fn parse_line(line: &str, details: bool) -> Option<LogLine<'_>> {
    let (ts, rest) = line.split_once(' ').unwrap_or((line, ""));
    let at: Timestamp = ts.parse().ok()?;
    let mut out = LogLine {
        at,
        node: None,
        task: None,
        message: rest,
    };
    if !details {
        return Some(out);
    }
    let (attrs, message) = rest.split_once(' ').unwrap_or((rest, ""));
    let looks_like_attrs = attrs.is_empty()
        || attrs
            .split(',')
            .all(|kv| kv.split_once('=').is_some_and(|(k, _)| !k.is_empty()));
    if !looks_like_attrs {
        return Some(out);
    }
    out.message = message;
    for kv in attrs.split(',') {
        if let Some((k, v)) = kv.split_once('=') {
            match unescape(k).as_str() {
                "com.docker.swarm.node.id" => out.node = Some(unescape(v)),
                "com.docker.swarm.task.id" => out.task = Some(unescape(v)),
                _ => {}
            }
        }
    }
    Some(out)
}

/// Go's `url.QueryUnescape`, leniently: `+` is a space, `%XX` a byte.
fn unescape(s: &str) -> String {
    if !s.contains(['%', '+']) {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(b[i + 1]), hex(b[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn level_words_structured_fields_and_crashes_are_errors() {
        for line in [
            "ERROR timeout after 40 ms",
            "2024-05-01T10:00:00.123Z ERROR db timeout after 40ms",
            "2024/05/01 10:00:00 [error] 29#29: *1 connect() failed (111: Connection refused)",
            "[2024-05-01 10:00:00,123] ERROR [Consumer clientId=x] fetch failed",
            "2024-05-01 10:00:00.123 UTC [1] ERROR:  relation \"users\" does not exist",
            "npm ERR! code E404",
            "FATAL: password authentication failed for user \"app\"",
            "CRITICAL worker died",
            "level=error msg=\"query failed\" err=\"timeout\"",
            "time=\"2024-05-01T10:00:00Z\" level=fatal msg=\"cannot start\"",
            r#"{"level":"error","ts":1714557600.1,"msg":"dial tcp 10.0.0.5:5432: i/o timeout"}"#,
            r#"{"level": "ERROR", "message": "boom"}"#,
            r#"{"severity":"error","message":"x"}"#,
            r#"{"level":50,"time":1714557600000,"msg":"request failed"}"#,
            r#"{"@timestamp":"2024-05-01T10:00:00Z","log.level":"error","message":"x"}"#,
            "panic: runtime error: invalid memory address or nil pointer dereference",
            "Traceback (most recent call last):",
            "ValueError: invalid literal for int() with base 10: 'x'",
            "Exception in thread \"main\" java.lang.NullPointerException",
            "java.lang.OutOfMemoryError: Java heap space",
            "Error: connect ECONNREFUSED 127.0.0.1:6379",
            "error: failed to push some refs",
            "E0501 10:00:00.123456       1 reflector.go:138] failed to list",
            "\x1b[31mERROR\x1b[0m something broke",
            "12:00:01 [ERROR] x",
            "<Error> listener crashed",
            "[crit] disk full",
        ] {
            assert!(is_error(line, false), "an error: {line:?}");
        }
    }

    #[test]
    fn other_levels_and_plain_words_are_not() {
        for line in [
            "INFO tick 5",
            "INFO retrying after ERROR from upstream",
            "[info] errors: 0",
            "level=info msg=\"ERROR count reset\"",
            r#"{"level":"info","msg":"no error"}"#,
            r#"{"level":30,"msg":"ok"}"#,
            "WARN slow query",
            "warning: deprecated flag",
            "DEBUG err=nil",
            "I0501 10:00:00.123456 1 main.go:10] started",
            "W0501 10:00:00.123456 1 main.go:10] ERROR-looking but a warning",
            "registered onError handler",
            "ExceptionHandler installed",
            "0 errors, 0 warnings",
            "the error rate is low",
            "GET /health 200 1.2ms",
            "",
        ] {
            assert!(!is_error(line, false), "not an error: {line:?}");
        }
    }

    #[test]
    fn stderr_lines_that_look_like_errors() {
        assert!(is_error("connection refused by upstream", true));
        assert!(is_error("failed to open /data/db", true));
        assert!(is_error("cannot allocate memory", true));
        assert!(is_error("request timed out", true));
        assert!(!is_error("connection refused by upstream", false));
        // stderr alone is not enough: plenty of programs log everything there
        assert!(!is_error("Listening on :8080", true));
        // nor over an explicit level
        assert!(!is_error("level=info msg=\"retry failed once\"", true));
        assert!(!is_error(
            "INFO: cannot find optional plugin, skipping",
            true
        ));
    }

    #[test]
    fn numbers_ids_times_and_addresses_are_masked() {
        let cases = [
            ("ERROR timeout after 40 ms", "ERROR timeout after <n> ms"),
            (
                "ERROR db timeout after 40ms",
                "ERROR db timeout after <n>ms",
            ),
            (
                "2024-05-01T10:00:00.123456789Z ERROR took 1.5s",
                "ERROR took <n>s",
            ),
            ("[2024-05-01 10:00:00,123] ERROR x", "ERROR x"),
            (
                "2024/05/01 10:00:00 [error] 29#29: *1 connect() failed",
                "[error] <n>#<n>: *<n> connect() failed",
            ),
            (
                "ERROR request 3f2c1a9e-8b7d-4c6e-9f10-123456789abc failed",
                "ERROR request <id> failed",
            ),
            (
                "ERROR container 4f9a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5061728394a5b6c7d8e gone",
                "ERROR container <id> gone",
            ),
            (
                "ERROR task api.1.kqvvi13fwestuts09p95tuvv7 failed",
                "ERROR task api.<n>.<id> failed",
            ),
            ("ERROR trace=7f3a9c2e1b4d", "ERROR trace=<id>"),
            (
                "ERROR dial tcp 10.0.0.5:5432: connection refused",
                "ERROR dial tcp <ip>: connection refused",
            ),
            ("ERROR no route to 192.168.1.0/24", "ERROR no route to <ip>"),
            (
                "ERROR dial tcp [fe80::1%eth0]:443 failed",
                "ERROR dial tcp [<ip>%eth0]:<n> failed",
            ),
            (
                "ERROR dial tcp [2001:db8::1]:443: timeout",
                "ERROR dial tcp <ip>: timeout",
            ),
            (
                "ERROR peer 2001:db8:0:0:1:0:0:1 unreachable",
                "ERROR peer <ip> unreachable",
            ),
            (
                "ERROR at 10:00:01.250 retry 3 of 5",
                "ERROR at <time> retry <n> of <n>",
            ),
            (
                "127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET /x HTTP/1.1\" 500 2326",
                "<ip> - - [<time>] \"GET /x HTTP/<n>\" <n> <n>",
            ),
            ("ERROR segfault at 0x7ffd1234", "ERROR segfault at <n>"),
            // names with digits stay: they are not what changes
            (
                "ERROR node2 lost its http2 stream (v1.2)",
                "ERROR node2 lost its http2 stream (v1.2)",
            ),
            ("ERROR   too    many\tspaces  ", "ERROR too many spaces"),
            ("\x1b[1;31mERROR\x1b[0m colour 7", "ERROR colour <n>"),
            (
                "Jan  2 15:04:05 host app[123]: ERROR x",
                "host app[<n>]: ERROR x",
            ),
        ];
        for (line, want) in cases {
            assert_eq!(mask(line), want, "{line:?}");
        }
        // a JSON line: its level, message and error
        assert_eq!(
            mask(
                r#"{"level":"error","ts":"2024-05-01T10:00:00Z","caller":"db/pool.go:88","msg":"query failed","error":"dial tcp 10.0.0.5:5432: i/o timeout","req":"a81f3c2e9b"}"#
            ),
            "ERROR query failed: dial tcp <ip>: i/o timeout"
        );
        assert_eq!(
            mask(r#"{"message": "boom 7", "x": 1}"#),
            "boom <n>",
            "no level field"
        );
        assert_eq!(
            mask(r#"{"no":"message here 5"}"#),
            r#"{"no":"message here <n>"}"#,
            "no message: the line as it is"
        );
        assert_eq!(mask("{not json 5"), "{not json <n>");
        // plain words are not ids, even long ones or hex-looking ones
        assert_eq!(
            mask("ERROR Connection refused: deadbeef facade accessed"),
            "ERROR Connection refused: deadbeef facade accessed"
        );
    }

    #[test]
    fn the_literal_is_the_longest_unmasked_run_of_the_raw_line() {
        let raw = "ERROR timeout after 40 ms";
        assert_eq!(
            literal(&mask(raw), raw).as_deref(),
            Some("ERROR timeout after")
        );
        let raw = "2024-05-01T10:00:00Z ERROR dial tcp 10.0.0.5:5432: connection refused";
        assert_eq!(
            literal(&mask(raw), raw).as_deref(),
            Some("connection refused")
        );
        let raw = r#"{"level":"error","msg":"dial tcp 10.0.1.7:5432: connect: connection refused","ts":"2026-12-01T20:00:00Z"}"#;
        assert_eq!(
            literal(&mask(raw), raw).as_deref(),
            Some("connect: connection refused")
        );
        // white space collapsed in the key is not in the raw line: the next run that is
        let raw = "ERROR  a  b 5 short";
        assert_eq!(literal(&mask(raw), raw).as_deref(), Some("short"));
        assert_eq!(literal("<n> <id>", "1 abcdef12"), None);
    }

    #[test]
    fn one_error_with_varying_numbers_is_one_group_with_the_right_count() {
        let api = ServiceId("svc-api".into());
        let web = ServiceId("svc-web".into());
        let n2 = NodeId("node-2".into());
        let n3 = NodeId("node-3".into());
        let mut d = Digest::default();
        let base = t("2026-12-02T10:00:00Z");
        let ns = [7, 3, 12, 1, 9, 5, 11, 2, 8, 4, 10, 6];
        for (i, n) in ns.iter().enumerate() {
            let at = base + jiff::SignedDuration::from_secs(i as i64);
            let node = if i % 2 == 0 { &n2 } else { &n3 };
            let line = format!("ERROR timeout after {n} ms");
            assert!(is_error(&line, false));
            d.add(&api, Some(node), at, &line);
        }
        d.add(&web, None, base, "FATAL cannot bind 0.0.0.0:80");
        d.add(
            &web,
            None,
            base + jiff::SignedDuration::from_secs(100),
            "FATAL cannot bind 0.0.0.0:8080",
        );
        assert_eq!(d.len(), 2);
        let groups = d.newest_first();
        assert_eq!(groups[0].key, "FATAL cannot bind <ip>", "newest first");
        assert_eq!(groups[0].count(), 2);
        assert_eq!(
            groups[0].example, "FATAL cannot bind 0.0.0.0:8080",
            "the newest"
        );
        assert!(groups[0].nodes().is_empty());
        let g = groups[1];
        assert_eq!(g.key, "ERROR timeout after <n> ms");
        assert_eq!(g.count(), 12);
        assert_eq!(g.services().into_iter().collect::<Vec<_>>(), [&api]);
        assert_eq!(g.nodes().into_iter().collect::<Vec<_>>(), [&n2, &n3]);
        assert_eq!(g.first(), Some(base));
        assert_eq!(g.last(), Some(base + jiff::SignedDuration::from_secs(11)));
        assert_eq!(g.first_seen(), Some((&api, base)));
        assert_eq!(g.example, "ERROR timeout after 6 ms");

        // a later read of the same kind adds to the group
        let mut more = Digest::default();
        more.add(
            &web,
            Some(&n2),
            base + jiff::SignedDuration::from_secs(200),
            "ERROR timeout after 99 ms",
        );
        d.merge(more);
        let g = d.group("ERROR timeout after <n> ms").unwrap();
        assert_eq!(g.count(), 13);
        assert_eq!(g.services().len(), 2);
        assert_eq!(d.newest_first()[0].key, "ERROR timeout after <n> ms");

        // the window slides: older lines go, then empty groups
        d.prune(base + jiff::SignedDuration::from_secs(6));
        assert_eq!(d.group("ERROR timeout after <n> ms").unwrap().count(), 7);
        assert_eq!(d.group("FATAL cannot bind <ip>").unwrap().count(), 1);
        d.prune(base + jiff::SignedDuration::from_secs(150));
        assert_eq!(d.len(), 1);
        assert_eq!(d.lines(), 1);
        d.forget_service(&web);
        assert!(d.is_empty());
    }

    #[test]
    fn a_digest_holds_a_bounded_number_of_groups() {
        let s = ServiceId("s".into());
        let mut d = Digest::default();
        let at = t("2026-12-02T10:00:00Z");
        for i in 0..MAX_GROUPS + 10 {
            // letters, not digits: each its own kind
            let word: String = format!("{i:x}")
                .chars()
                .map(|c| (b'g' + c.to_digit(16).unwrap() as u8) as char)
                .collect();
            d.add(&s, None, at, &format!("ERROR kind {word}"));
        }
        assert_eq!(d.len(), MAX_GROUPS);
        assert_eq!(d.dropped, 10);
        // a kind already held still counts
        d.add(&s, None, at, "ERROR kind g");
        assert_eq!(d.dropped, 10);
        assert_eq!(d.group("ERROR kind g").unwrap().count(), 2);
        let long = format!("ERROR {}", "x".repeat(10_000));
        let mut d = Digest::default();
        d.add(&s, None, at, &long);
        assert!(d.newest_first()[0].key.len() <= MAX_MESSAGE);
        assert!(d.newest_first()[0].example.len() <= MAX_MESSAGE);
    }

    #[test]
    fn engine_lines_with_details() {
        let raw = "2026-12-02T01:56:30.265822432Z com.docker.swarm.node.id=1t326uhilmx6wuej5ijoyn1m3,com.docker.swarm.service.id=3tfbzdtfqqr75eu5mjtr7h6aa,com.docker.swarm.task.id=jt61isl4thcaf5bqcui5xdz57 ERROR timeout after 5 ms";
        let l = parse_line(raw, true).unwrap();
        assert_eq!(l.at, t("2026-12-02T01:56:30.265822432Z"));
        assert_eq!(l.node.as_deref(), Some("1t326uhilmx6wuej5ijoyn1m3"));
        assert_eq!(l.task.as_deref(), Some("jt61isl4thcaf5bqcui5xdz57"));
        assert_eq!(l.message, "ERROR timeout after 5 ms");
        // without details asked for, the rest is the message
        let l = parse_line("2026-12-02T01:56:30Z a=b ERROR x", false).unwrap();
        assert_eq!(l.message, "a=b ERROR x");
        assert_eq!(l.node, None);
        // empty details
        let l = parse_line("2026-12-02T01:56:30Z  ERROR x", true).unwrap();
        assert_eq!(l.message, "ERROR x");
        // details that are not details: the message starts there
        let l = parse_line("2026-12-02T01:56:30Z ERROR x", true).unwrap();
        assert_eq!(l.message, "ERROR x");
        // escaped values
        let l = parse_line(
            "2026-12-02T01:56:30Z com.docker.swarm.node.id=a%2Cb,x=y+z msg",
            true,
        )
        .unwrap();
        assert_eq!(l.node.as_deref(), Some("a,b"));
        assert_eq!(l.message, "msg");
        // a fragment without a timestamp
        assert_eq!(parse_line("continued text", true), None);
        assert_eq!(parse_line("", true), None);
        assert_eq!(unescape("100%"), "100%");
        assert_eq!(unescape("%zz"), "%zz");
    }
}
