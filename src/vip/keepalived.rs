//! Discovery of keepalived virtual IPs from the local keepalived configuration.
//!
//! The reader follows keepalived's own syntax closely enough for real configurations:
//! `include` directives (glob patterns, `{a,b}` alternatives, paths relative to the including
//! file), comments starting with `#` or `!`, blocks whose `{` is on the same or the next line,
//! quoted strings and `\` line continuations. Only `vrrp_instance` blocks are interpreted; every
//! other block (`global_defs`, `vrrp_script`, `vrrp_sync_group`, `virtual_server`, …) is read
//! for its braces and otherwise ignored.
//!
//! Nothing here is fatal: problems become [`ParseError`]s next to whatever could still be read.

use std::fs;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// One address of a `virtual_ipaddress` (or `virtual_ipaddress_excluded`) block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VipAddr {
    pub addr: IpAddr,
    /// The prefix length when written (`/24`); keepalived's default is the full length.
    pub prefix: Option<u8>,
    pub dev: Option<String>,
    pub label: Option<String>,
    /// From `virtual_ipaddress_excluded`.
    pub excluded: bool,
    /// 1-based line where this address is written.
    pub line: usize,
}

/// One `vrrp_instance NAME { ... }` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VrrpInstance {
    pub name: String,
    pub interface: Option<String>,
    pub virtual_router_id: Option<u8>,
    pub priority: Option<u16>,
    pub state: Option<String>,
    pub vips: Vec<VipAddr>,
    /// The file the instance is defined in.
    pub file: PathBuf,
    /// Line of `vrrp_instance NAME {`.
    pub line: usize,
}

/// A problem that makes part of the configuration unreadable. Never fatal: the rest is still returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}: {message}", file.display())]
pub struct ParseError {
    pub file: PathBuf,
    pub line: usize,
    pub message: String,
}

/// Everything read from a configuration: the instances in file order, and the problems met.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    pub instances: Vec<VrrpInstance>,
    pub errors: Vec<ParseError>,
}

/// The default file.
pub const DEFAULT_PATH: &str = "/etc/keepalived/keepalived.conf";

/// How deep includes may nest below the main file.
const MAX_INCLUDE_DEPTH: usize = 8;

/// Keywords that only make sense at the top level. Meeting one inside a block means a `}` is
/// missing: the open blocks are reported and closed so the rest of the file still reads.
const TOP_LEVEL: &[&str] = &[
    "global_defs",
    "vrrp_instance",
    "vrrp_sync_group",
    "vrrp_script",
    "vrrp_track_file",
    "vrrp_track_process",
    "virtual_server",
    "virtual_server_group",
    "static_ipaddress",
    "static_routes",
    "static_rules",
];

/// `virtual_ipaddress` options that take a value (skipped when looking for `dev` and `label`).
const VIP_OPTIONS_WITH_VALUE: &[&str] = &[
    "brd",
    "broadcast",
    "scope",
    "peer",
    "track_group",
    "preferred_lft",
    "metric",
    "table",
    "protocol",
];

/// Read a file and everything it includes (cycle-safe, depth limit 8). An unreadable file
/// (missing, permission denied) is a ParseError with line 0 naming the file and the OS error.
pub fn load(path: &Path) -> Parsed {
    match fs::read(path) {
        Ok(bytes) => parse_str(&String::from_utf8_lossy(&bytes), path),
        Err(e) => Parsed {
            instances: Vec::new(),
            errors: vec![ParseError {
                file: path.to_path_buf(),
                line: 0,
                message: format!("cannot read {}: {e}", path.display()),
            }],
        },
    }
}

/// Parse text as if it were the file `origin` (includes are resolved relative to origin's directory and read from disk).
pub fn parse_str(text: &str, origin: &Path) -> Parsed {
    let mut reader = Reader::default();
    reader.reading.push(canonical(origin));
    reader.read_text(text, origin, 0);
    let Reader {
        files,
        nodes,
        mut errors,
        ..
    } = reader;
    let instances = interpret(&files, &nodes, &mut errors);
    // Per file (in the order they were read), by line: structural and value problems mixed.
    errors.sort_by_key(|(file, error)| (*file, error.line));
    let errors = errors.into_iter().map(|(_, error)| error).collect();
    Parsed { instances, errors }
}

/// A statement: the words of one line (up to a brace), and the block it opens, if any.
/// Nodes live in one arena in document order, so nothing here recurses however deep the braces.
#[derive(Debug)]
struct Node {
    words: Vec<String>,
    file: usize,
    line: usize,
    block: bool,
    children: Vec<usize>,
}

#[derive(Debug, Default)]
struct Reader {
    /// Every file read, indexed by `Node::file`.
    files: Vec<PathBuf>,
    nodes: Vec<Node>,
    /// Top-level statements.
    roots: Vec<usize>,
    /// Blocks currently open, outermost first.
    open: Vec<usize>,
    /// Canonical paths of the files being read (the include chain), to break cycles.
    reading: Vec<PathBuf>,
    /// With the index of their file, for sorting.
    errors: Vec<(usize, ParseError)>,
}

#[derive(Debug, PartialEq, Eq)]
enum Tok {
    Open,
    Close,
    Word(String),
}

impl Reader {
    fn error(&mut self, file: usize, line: usize, message: String) {
        let error = ParseError {
            file: self.files[file].clone(),
            line,
            message,
        };
        self.errors.push((file, error));
    }

    /// A new statement in the innermost open block.
    fn new_node(&mut self, file: usize, line: usize) -> usize {
        let idx = self.nodes.len();
        self.nodes.push(Node {
            words: Vec::new(),
            file,
            line,
            block: false,
            children: Vec::new(),
        });
        match self.open.last() {
            Some(&parent) => self.nodes[parent].children.push(idx),
            None => self.roots.push(idx),
        }
        idx
    }

    fn describe(&self, idx: usize) -> String {
        let words = &self.nodes[idx].words;
        if words.is_empty() {
            "block".to_owned()
        } else {
            format!("`{}` block", words.join(" "))
        }
    }

    /// Report and close the blocks opened in the current file (above `base`).
    fn close_unclosed(&mut self, base: usize, why: &str) {
        let unclosed: Vec<usize> = self.open.drain(base..).collect();
        for idx in unclosed {
            let (file, line) = (self.nodes[idx].file, self.nodes[idx].line);
            let message = format!("{} opened here is never closed ({why})", self.describe(idx));
            self.error(file, line, message);
        }
    }

    /// Read one file's text; `path` names it (for errors and relative includes).
    fn read_text(&mut self, text: &str, path: &Path, depth: usize) {
        let file = self.files.len();
        self.files.push(path.to_path_buf());
        // Braces must balance within each file: a file cannot close its includer's blocks.
        let base = self.open.len();
        // A blockless statement that ended its line: a `{` starting a later line opens its block.
        let mut pending: Option<usize> = None;

        for (line, content) in logical_lines(text) {
            if let Some(pattern) = include_directive(&content) {
                pending = None;
                self.include(pattern, file, line, depth);
                continue;
            }
            let (toks, problem) = tokenize(&content);
            if let Some(problem) = problem {
                self.error(file, line, problem);
            }
            let mut current: Option<usize> = None;
            for tok in toks {
                match tok {
                    Tok::Open => {
                        let idx = match current.take().or(pending) {
                            Some(idx) => idx,
                            None => self.new_node(file, line),
                        };
                        self.nodes[idx].block = true;
                        self.open.push(idx);
                    }
                    Tok::Close => {
                        current = None;
                        if self.open.len() > base {
                            self.open.pop();
                        } else {
                            self.error(file, line, "unexpected `}`: no block is open".to_owned());
                        }
                    }
                    Tok::Word(word) => {
                        let idx = match current {
                            Some(idx) => idx,
                            None => {
                                if self.open.len() > base && TOP_LEVEL.contains(&word.as_str()) {
                                    let why = format!(
                                        "`{word}` on line {line} starts a new top-level block"
                                    );
                                    self.close_unclosed(base, &why);
                                }
                                self.new_node(file, line)
                            }
                        };
                        self.nodes[idx].words.push(word);
                        current = Some(idx);
                    }
                }
                pending = None;
            }
            if current.is_some() {
                pending = current;
            }
        }
        self.close_unclosed(base, "missing `}` at end of file");
    }

    /// Follow `include PATTERN` written at `line` of `file`.
    fn include(&mut self, pattern: &str, file: usize, line: usize, depth: usize) {
        if pattern.is_empty() {
            self.error(
                file,
                line,
                "`include` needs a file name or pattern".to_owned(),
            );
            return;
        }
        let dir = self.files[file]
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let options = glob::MatchOptions {
            case_sensitive: true,
            require_literal_separator: true,
            // Done below instead: glob 0.3 then drops every dot file, even for `.name*`.
            require_literal_leading_dot: false,
        };
        let mut matched = Vec::new();
        for alternative in expand_braces(pattern) {
            let full = if Path::new(&alternative).is_absolute() || dir.as_os_str().is_empty() {
                alternative
            } else {
                let escaped = glob::Pattern::escape(&dir.to_string_lossy());
                format!("{}/{alternative}", escaped.trim_end_matches('/'))
            };
            match glob::glob_with(&full, options) {
                Ok(paths) => {
                    for entry in paths {
                        match entry {
                            // Like POSIX glob(), a wildcard does not match a leading dot.
                            Ok(path) if hidden_unasked(&path, &full) => {}
                            Ok(path) => matched.push(path),
                            Err(e) => self.error(
                                file,
                                line,
                                format!(
                                    "cannot read {} for include `{pattern}`: {}",
                                    e.path().display(),
                                    e.error()
                                ),
                            ),
                        }
                    }
                }
                Err(e) => self.error(file, line, format!("bad include pattern `{pattern}`: {e}")),
            }
        }
        // A pattern matching nothing is fine: keepalived ignores it too.
        for path in matched {
            self.read_included(&path, file, line, depth + 1);
        }
    }

    fn read_included(&mut self, path: &Path, file: usize, line: usize, depth: usize) {
        if depth > MAX_INCLUDE_DEPTH {
            let message = format!(
                "includes nested more than {MAX_INCLUDE_DEPTH} deep; not reading {}",
                path.display()
            );
            self.error(file, line, message);
            return;
        }
        let key = canonical(path);
        if self.reading.contains(&key) {
            let message = format!(
                "include cycle: {} is already being read; not reading it again",
                path.display()
            );
            self.error(file, line, message);
            return;
        }
        match fs::read(path) {
            Ok(bytes) => {
                self.reading.push(key);
                self.read_text(&String::from_utf8_lossy(&bytes), path, depth);
                self.reading.pop();
            }
            Err(e) => {
                let message = format!("cannot read included file {}: {e}", path.display());
                self.error(file, line, message);
            }
        }
    }
}

/// Whether `path` is a dot file that `pattern`'s last component does not ask for by a leading `.`.
fn hidden_unasked(path: &Path, pattern: &str) -> bool {
    let hidden = path
        .file_name()
        .is_some_and(|name| name.as_encoded_bytes().starts_with(b"."));
    let asked = pattern
        .rsplit('/')
        .next()
        .is_some_and(|last| last.starts_with('.'));
    hidden && !asked
}

fn canonical(path: &Path) -> PathBuf {
    fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The lines of `text` without comments, continuation lines joined, each with its 1-based
/// number (that of its first physical line).
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut lines = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (i, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let content = strip_comment(raw).trim_end();
        let (content, continued) = match content.strip_suffix('\\') {
            Some(rest) => (rest, true),
            None => (content, false),
        };
        let (number, mut joined) = pending.take().unwrap_or((i + 1, String::new()));
        if !joined.is_empty() {
            joined.push(' ');
        }
        joined.push_str(content);
        if continued {
            pending = Some((number, joined));
        } else {
            lines.push((number, joined));
        }
    }
    if let Some(last) = pending {
        lines.push(last);
    }
    lines
}

/// `line` up to its comment: `#` or `!` outside a quoted string.
fn strip_comment(line: &str) -> &str {
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '#' | '!' if !quoted => return &line[..i],
            _ => {}
        }
    }
    line
}

/// The pattern of an `include` line (quotes removed), if the line is one.
fn include_directive(line: &str) -> Option<&str> {
    let rest = line.trim_start().strip_prefix("include")?;
    if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
        return None;
    }
    let rest = rest.trim();
    Some(
        rest.strip_prefix('"')
            .and_then(|r| r.strip_suffix('"'))
            .unwrap_or(rest),
    )
}

/// Split a (comment-free) line into words and braces. Braces are tokens of their own even
/// when written against a word; a quoted string is one word, braces and all.
fn tokenize(line: &str) -> (Vec<Tok>, Option<String>) {
    let mut toks = Vec::new();
    let mut problem = None;
    let mut chars = line.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '{' => {
                chars.next();
                toks.push(Tok::Open);
            }
            '}' => {
                chars.next();
                toks.push(Tok::Close);
            }
            '"' => {
                chars.next();
                let mut word = String::new();
                let mut closed = false;
                for c in chars.by_ref() {
                    if c == '"' {
                        closed = true;
                        break;
                    }
                    word.push(c);
                }
                if !closed {
                    problem = Some(format!("unterminated quoted string \"{word}"));
                }
                toks.push(Tok::Word(word));
            }
            _ => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || c == '{' || c == '}' {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                toks.push(Tok::Word(word));
            }
        }
    }
    (toks, problem)
}

/// Expand `{a,b}` alternatives like keepalived's `glob(GLOB_BRACE)`: `x{a,b}y` → `xay`, `xby`.
fn expand_braces(pattern: &str) -> Vec<String> {
    let Some(open) = pattern.find('{') else {
        return vec![pattern.to_owned()];
    };
    let mut depth = 0usize;
    let mut close = None;
    let mut commas = Vec::new();
    for (i, c) in pattern[open..].char_indices() {
        let i = open + i;
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(i);
                    break;
                }
            }
            ',' if depth == 1 => commas.push(i),
            _ => {}
        }
    }
    let Some(close) = close else {
        return vec![pattern.to_owned()];
    };
    let (head, tail) = (&pattern[..open], &pattern[close + 1..]);
    if commas.is_empty() {
        // `{x}` is no alternative: keep it literally and expand what follows.
        let literal = &pattern[..=close];
        return expand_braces(tail)
            .into_iter()
            .map(|t| format!("{literal}{t}"))
            .collect();
    }
    let mut bounds = vec![open];
    bounds.extend(&commas);
    bounds.push(close);
    let tails = expand_braces(tail);
    let mut out = Vec::new();
    for pair in bounds.windows(2) {
        for alternative in expand_braces(&pattern[pair[0] + 1..pair[1]]) {
            for t in &tails {
                out.push(format!("{head}{alternative}{t}"));
            }
        }
    }
    out
}

/// Turn the statement tree into instances. `vrrp_instance` blocks are found at any depth, so
/// an instance in a file included inside some block still counts.
fn interpret(
    files: &[PathBuf],
    nodes: &[Node],
    errors: &mut Vec<(usize, ParseError)>,
) -> Vec<VrrpInstance> {
    let mut instances = Vec::new();
    for node in nodes {
        if node.words.first().map(String::as_str) != Some("vrrp_instance") {
            continue;
        }
        let err = |errors: &mut Vec<(usize, ParseError)>, n: &Node, message: String| {
            let error = ParseError {
                file: files[n.file].clone(),
                line: n.line,
                message,
            };
            errors.push((n.file, error));
        };
        let Some(name) = node.words.get(1) else {
            err(errors, node, "`vrrp_instance` without a name".to_owned());
            continue;
        };
        if !node.block {
            err(
                errors,
                node,
                format!("`vrrp_instance {name}` has no `{{ ... }}` block"),
            );
            continue;
        }
        let mut instance = VrrpInstance {
            name: name.clone(),
            interface: None,
            virtual_router_id: None,
            priority: None,
            state: None,
            vips: Vec::new(),
            file: files[node.file].clone(),
            line: node.line,
        };
        for child in node.children.iter().map(|&i| &nodes[i]) {
            let Some(keyword) = child.words.first() else {
                continue;
            };
            let value = child.words.get(1);
            match keyword.as_str() {
                "interface" | "virtual_router_id" | "priority" | "state" if value.is_none() => {
                    err(errors, child, format!("`{keyword}` needs a value"));
                }
                "interface" => instance.interface = value.cloned(),
                "state" => {
                    let state = value.cloned().unwrap_or_default();
                    if state != "MASTER" && state != "BACKUP" {
                        err(
                            errors,
                            child,
                            format!("state must be MASTER or BACKUP, got `{state}`"),
                        );
                    }
                    instance.state = Some(state);
                }
                "virtual_router_id" => {
                    let raw = value.map(String::as_str).unwrap_or_default();
                    match number_in(raw, 1, 255) {
                        Ok(n) => instance.virtual_router_id = u8::try_from(n).ok(),
                        Err(message) => err(errors, child, format!("virtual_router_id {message}")),
                    }
                }
                "priority" => {
                    let raw = value.map(String::as_str).unwrap_or_default();
                    match number_in(raw, 1, 254) {
                        Ok(n) => instance.priority = u16::try_from(n).ok(),
                        Err(message) => err(errors, child, format!("priority {message}")),
                    }
                }
                "virtual_ipaddress" | "virtual_ipaddress_excluded" => {
                    if !child.block {
                        err(
                            errors,
                            child,
                            format!("`{keyword}` needs a `{{ ... }}` block"),
                        );
                        continue;
                    }
                    let excluded = keyword == "virtual_ipaddress_excluded";
                    for entry in child.children.iter().map(|&i| &nodes[i]) {
                        if entry.words.is_empty() {
                            continue;
                        }
                        match vip(&entry.words, excluded, entry.line) {
                            Ok(vip) => instance.vips.push(vip),
                            Err(message) => err(errors, entry, message),
                        }
                    }
                }
                _ => {}
            }
        }
        instances.push(instance);
    }
    instances
}

/// `raw` as a whole number within `min..=max`, or why not (to follow the keyword's name).
fn number_in(raw: &str, min: i64, max: i64) -> Result<i64, String> {
    match raw.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        Ok(n) => Err(format!("must be between {min} and {max}, got {n}")),
        Err(_) => Err(format!(
            "must be a number between {min} and {max}, got `{raw}`"
        )),
    }
}

/// One `virtual_ipaddress` entry: `ADDR[/PREFIX] [dev IF] [label L] [brd B] [scope S] ...`.
fn vip(words: &[String], excluded: bool, line: usize) -> Result<VipAddr, String> {
    let token = &words[0];
    let (addr_text, prefix_text) = match token.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (token.as_str(), None),
    };
    let addr: IpAddr = addr_text
        .parse()
        .map_err(|_| format!("`{token}` is not an IP address"))?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix_text {
        None => None,
        Some(p) => match p.parse::<u8>() {
            Ok(n) if n <= max => Some(n),
            _ => {
                return Err(format!(
                    "`{token}`: the prefix length must be between 0 and {max}"
                ));
            }
        },
    };
    let mut vip = VipAddr {
        addr,
        prefix,
        dev: None,
        label: None,
        excluded,
        line,
    };
    let mut rest = words[1..].iter();
    while let Some(option) = rest.next() {
        match option.as_str() {
            "dev" | "label" => {
                let Some(value) = rest.next() else {
                    return Err(format!("`{token}`: `{option}` needs a value"));
                };
                if option == "dev" {
                    vip.dev = Some(value.clone());
                } else {
                    vip.label = Some(value.clone());
                }
            }
            o if VIP_OPTIONS_WITH_VALUE.contains(&o) => {
                rest.next();
            }
            _ => {}
        }
    }
    Ok(vip)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    macro_rules! fixture {
        ($name:literal) => {
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keepalived/", $name)
        };
    }

    fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(a, b, c, d))
    }

    fn vip(
        addr: IpAddr,
        prefix: Option<u8>,
        dev: Option<&str>,
        label: Option<&str>,
        line: usize,
    ) -> VipAddr {
        VipAddr {
            addr,
            prefix,
            dev: dev.map(str::to_owned),
            label: label.map(str::to_owned),
            excluded: false,
            line,
        }
    }

    fn names(parsed: &Parsed) -> Vec<&str> {
        parsed.instances.iter().map(|i| i.name.as_str()).collect()
    }

    fn parse(text: &str) -> Parsed {
        parse_str(text, Path::new("/nonexistent/keepalived.conf"))
    }

    #[test]
    fn full_realistic_config() {
        let path = Path::new(fixture!("full.conf"));
        let parsed = load(path);
        assert_eq!(parsed.errors, vec![]);
        let v6: IpAddr = "2001:db8::100".parse::<Ipv6Addr>().unwrap().into();
        let expected = vec![
            VrrpInstance {
                name: "VI_1".into(),
                interface: Some("eth0".into()),
                virtual_router_id: Some(51),
                priority: Some(150),
                state: Some("MASTER".into()),
                vips: vec![
                    vip(
                        v4(198, 51, 100, 100),
                        Some(24),
                        Some("eth0"),
                        Some("eth0:vip"),
                        53,
                    ),
                    vip(v4(10, 0, 0, 5), None, None, None, 54),
                    vip(v4(192, 0, 2, 9), Some(32), Some("eth1"), None, 55),
                    vip(v6, Some(64), Some("eth0"), None, 56),
                    VipAddr {
                        excluded: true,
                        ..vip(
                            v4(203, 0, 113, 7),
                            Some(24),
                            Some("eth1"),
                            Some("eth1:ex"),
                            60,
                        )
                    },
                    VipAddr {
                        excluded: true,
                        ..vip("fd00::7".parse().unwrap(), None, None, None, 61)
                    },
                ],
                file: path.to_path_buf(),
                line: 32,
            },
            VrrpInstance {
                name: "VI_2".into(),
                interface: Some("eth1".into()),
                virtual_router_id: Some(52),
                priority: Some(100),
                state: Some("BACKUP".into()),
                vips: vec![vip(v4(198, 51, 100, 101), Some(24), Some("eth1"), None, 78)],
                file: path.to_path_buf(),
                line: 67,
            },
        ];
        assert_eq!(parsed.instances, expected);
    }

    #[test]
    fn includes_with_globs_and_relative_paths() {
        let main = Path::new(fixture!("includes/keepalived.conf"));
        let parsed = load(main);
        assert_eq!(parsed.errors, vec![]);
        assert_eq!(
            names(&parsed),
            ["VI_MAIN", "VI_10", "VI_20", "VI_SHARED", "VI_REL"]
        );
        let dir = Path::new(fixture!("includes"));
        let files: Vec<PathBuf> = parsed.instances.iter().map(|i| i.file.clone()).collect();
        assert_eq!(
            files,
            [
                main.to_path_buf(),
                dir.join("conf.d/10-first.conf"),
                dir.join("conf.d/20-second.conf"),
                dir.join("conf.d/../shared/shared.conf"),
                dir.join("extra/relative.conf"),
            ]
        );
        let vi20 = &parsed.instances[2];
        assert_eq!(vi20.line, 2);
        assert_eq!(vi20.virtual_router_id, Some(20));
        assert_eq!(
            vi20.vips,
            [vip(v4(192, 0, 2, 20), Some(24), Some("eth0"), None, 7)]
        );
        let rel = &parsed.instances[4];
        assert_eq!(rel.vips, [vip(v4(192, 0, 2, 40), None, None, None, 4)]);
    }

    #[test]
    fn include_cycle_does_not_loop() {
        let a = Path::new(fixture!("cycle/a.conf"));
        let parsed = load(a);
        assert_eq!(names(&parsed), ["VI_A", "VI_B"]);
        assert_eq!(parsed.errors.len(), 1, "{:?}", parsed.errors);
        let error = &parsed.errors[0];
        assert_eq!(error.file, Path::new(fixture!("cycle")).join("b.conf"));
        assert_eq!(error.line, 2);
        assert!(error.message.contains("include cycle"), "{error}");
        assert!(error.message.contains("a.conf"), "{error}");
    }

    #[test]
    fn malformed_config_reports_and_keeps_the_rest() {
        let path = Path::new(fixture!("malformed.conf"));
        let parsed = load(path);
        let errors: Vec<(usize, &str)> = parsed
            .errors
            .iter()
            .map(|e| {
                assert_eq!(e.file, path);
                (e.line, e.message.as_str())
            })
            .collect();
        assert_eq!(
            errors,
            [
                (
                    4,
                    "`vrrp_instance VI_UNCLOSED` block opened here is never closed \
                     (`vrrp_instance` on line 13 starts a new top-level block)"
                ),
                (7, "virtual_router_id must be between 1 and 255, got 300"),
                (17, "priority must be between 1 and 254, got 255"),
                (20, "`not-an-ip` is not an IP address"),
                (21, "`10.0.0.300/24` is not an IP address"),
                (23, "unexpected `}`: no block is open"),
                (
                    25,
                    "`vrrp_instance VI_TAIL` block opened here is never closed (missing `}` at end of file)"
                ),
            ]
        );
        assert_eq!(names(&parsed), ["VI_UNCLOSED", "VI_GOOD", "VI_TAIL"]);
        let unclosed = &parsed.instances[0];
        assert_eq!(unclosed.virtual_router_id, None);
        assert_eq!(unclosed.vips, [vip(v4(10, 0, 0, 1), None, None, None, 10)]);
        let good = &parsed.instances[1];
        assert_eq!(good.virtual_router_id, Some(2));
        assert_eq!(good.priority, None);
        assert_eq!(
            good.vips,
            [vip(v4(10, 0, 0, 2), Some(24), Some("eth0"), None, 19)]
        );
        let tail = &parsed.instances[2];
        assert_eq!(tail.vips, [vip(v4(10, 0, 0, 3), None, None, None, 28)]);
    }

    #[test]
    fn missing_file_is_one_error_naming_it() {
        let path = Path::new(fixture!("does-not-exist.conf"));
        let parsed = load(path);
        assert_eq!(parsed.instances, vec![]);
        assert_eq!(parsed.errors.len(), 1);
        let error = &parsed.errors[0];
        assert_eq!((error.file.as_path(), error.line), (path, 0));
        let shown = error.to_string();
        assert!(shown.contains("does-not-exist.conf"), "{shown}");
        assert!(shown.contains("No such file"), "{shown}");
    }

    fn assert_lab_node1(parsed: &Parsed) {
        assert_eq!(parsed.errors, vec![]);
        assert_eq!(names(parsed), ["VI_1"]);
        let instance = &parsed.instances[0];
        assert_eq!(instance.interface.as_deref(), Some("eth0"));
        assert_eq!(instance.state.as_deref(), Some("MASTER"));
        assert_eq!(instance.virtual_router_id, Some(51));
        assert_eq!(instance.priority, Some(150));
        assert_eq!(instance.vips.len(), 1);
        let vip = &instance.vips[0];
        assert_eq!(
            (vip.addr, vip.prefix, vip.dev.as_deref()),
            (v4(198, 51, 100, 100), Some(24), Some("eth0"))
        );
    }

    #[test]
    fn lab_node1_fixture() {
        assert_lab_node1(&load(Path::new(fixture!("lab-node1.conf"))));
    }

    #[test]
    fn lab_node1_live_file_when_the_lab_is_up() {
        let live = Path::new("/var/lib/swarmdeck-lab/sdlab/node1/keepalived.conf");
        if live.exists() {
            assert_lab_node1(&load(live));
        }
    }

    #[test]
    fn braces_on_one_line_and_glued_to_words() {
        let parsed = parse(
            "vrrp_instance X{ interface eth0; priority 7\n virtual_ipaddress {10.1.1.1/8} }\n",
        );
        assert_eq!(parsed.errors, vec![]);
        assert_eq!(
            parsed.instances[0].vips,
            [vip(v4(10, 1, 1, 1), Some(8), None, None, 2)]
        );
        // Statements are lines: `;` separates nothing (keepalived has no separator either), so
        // `priority 7` here is only more words of the `interface` statement.
        assert_eq!(parsed.instances[0].interface.as_deref(), Some("eth0;"));
        assert_eq!(parsed.instances[0].priority, None);
    }

    #[test]
    fn brace_on_a_later_line_after_comments() {
        let text =
            "vrrp_instance X\n# comment\n\n{\n virtual_ipaddress\n ! bang\n {\n  10.0.0.9\n }\n}\n";
        let parsed = parse(text);
        assert_eq!(parsed.errors, vec![]);
        assert_eq!(parsed.instances[0].line, 1);
        assert_eq!(
            parsed.instances[0].vips,
            [vip(v4(10, 0, 0, 9), None, None, None, 8)]
        );
    }

    #[test]
    fn quotes_comments_and_continuations() {
        let text = concat!(
            "vrrp_script chk { script \"/bin/check # not a comment }\" }\n",
            "vrrp_instance \"VI Q\" {\n",
            "  interface eth0 # trailing\n",
            "  virtual_ipaddress {\n",
            "    192.0.2.1/24 \\\n",
            "      dev eth2 label \"eth2:x\"\n",
            "    192.0.2.2\n",
            "  }\n",
            "}\r\n",
        );
        let parsed = parse(text);
        assert_eq!(parsed.errors, vec![]);
        let instance = &parsed.instances[0];
        assert_eq!(instance.name, "VI Q");
        assert_eq!(instance.interface.as_deref(), Some("eth0"));
        assert_eq!(
            instance.vips,
            [
                vip(v4(192, 0, 2, 1), Some(24), Some("eth2"), Some("eth2:x"), 5),
                vip(v4(192, 0, 2, 2), None, None, None, 7)
            ]
        );
    }

    #[test]
    fn instance_without_name_and_other_value_errors() {
        let text = concat!(
            "vrrp_instance {\n",
            "  virtual_ipaddress { 10.0.0.1 }\n",
            "}\n",
            "vrrp_instance N {\n",
            "  virtual_router_id 0\n",
            "  priority high\n",
            "  state PRIMARY\n",
            "  virtual_ipaddress {\n",
            "    10.0.0.2/33\n",
            "    10.0.0.3 dev\n",
            "    2001:db8::1/64 brd dev label x\n",
            "  }\n",
            "}\n",
        );
        let parsed = parse(text);
        let lines: Vec<(usize, &str)> = parsed
            .errors
            .iter()
            .map(|e| (e.line, e.message.as_str()))
            .collect();
        assert_eq!(
            lines,
            [
                (1, "`vrrp_instance` without a name"),
                (5, "virtual_router_id must be between 1 and 255, got 0"),
                (6, "priority must be a number between 1 and 254, got `high`"),
                (7, "state must be MASTER or BACKUP, got `PRIMARY`"),
                (
                    9,
                    "`10.0.0.2/33`: the prefix length must be between 0 and 32"
                ),
                (10, "`10.0.0.3`: `dev` needs a value"),
            ]
        );
        assert_eq!(names(&parsed), ["N"]);
        let n = &parsed.instances[0];
        assert_eq!(n.state.as_deref(), Some("PRIMARY"));
        assert_eq!(
            n.vips,
            [vip(
                "2001:db8::1".parse().unwrap(),
                Some(64),
                None,
                Some("x"),
                11
            )]
        );
    }

    #[test]
    fn unclosed_inner_block_at_end_of_file() {
        let parsed = parse("vrrp_instance A {\n virtual_ipaddress {\n  10.0.0.1\n");
        let lines: Vec<usize> = parsed.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [1, 2]);
        assert_eq!(parsed.instances[0].vips.len(), 1);
    }

    #[test]
    fn include_edge_cases() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("sub");
        fs::create_dir(&sub).unwrap();
        fs::write(sub.join("a.conf"), "vrrp_instance A { }\n").unwrap();
        fs::write(sub.join("b.conf"), "vrrp_instance B { }\n").unwrap();
        fs::write(sub.join("c.conf"), "vrrp_instance C { }\n").unwrap();
        fs::write(sub.join(".hidden.conf"), "vrrp_instance H { }\n").unwrap();
        // A file with an unbalanced brace cannot swallow its includer's blocks.
        fs::write(sub.join("open.conf"), "vrrp_instance O {\n").unwrap();
        let main = dir.path().join("keepalived.conf");
        let text = concat!(
            "include sub/{c,a}.conf\n",
            "include \"/nonexistent/dir/*.conf\"\n",
            "include sub/missing.conf\n",
            "include sub\n",
            "include\n",
            "include sub/.h*.conf\n",
            "include sub/open.conf\n",
            "vrrp_instance Z {\n}\n",
        );
        let parsed = parse_str(text, &main);
        assert_eq!(names(&parsed), ["C", "A", "H", "O", "Z"]);
        let errors: Vec<(PathBuf, usize)> = parsed
            .errors
            .iter()
            .map(|e| (e.file.clone(), e.line))
            .collect();
        assert_eq!(
            errors,
            [
                (main.clone(), 4),
                (main.clone(), 5),
                (sub.join("open.conf"), 1)
            ]
        );
        assert!(
            parsed.errors[0]
                .message
                .contains("cannot read included file"),
            "{}",
            parsed.errors[0]
        );
    }

    #[test]
    fn include_depth_is_limited() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..12 {
            let text = format!("vrrp_instance I{i} {{ }}\ninclude {}.conf\n", i + 1);
            fs::write(dir.path().join(format!("{i}.conf")), text).unwrap();
        }
        let parsed = load(&dir.path().join("0.conf"));
        assert_eq!(parsed.instances.len(), 9);
        assert_eq!(parsed.errors.len(), 1);
        assert_eq!(parsed.errors[0].file, dir.path().join("8.conf"));
        assert!(
            parsed.errors[0].message.contains("nested more than 8"),
            "{}",
            parsed.errors[0]
        );
    }

    #[test]
    fn diamond_includes_are_not_cycles() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("leaf.conf"), "vrrp_instance L { }\n").unwrap();
        let text = "include leaf.conf\ninclude leaf.conf\n";
        let parsed = parse_str(text, &dir.path().join("main.conf"));
        assert_eq!(parsed.errors, vec![]);
        assert_eq!(names(&parsed), ["L", "L"]);
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let text = format!("{}{}", "{".repeat(200_000), "}".repeat(200_000));
        let parsed = parse(&text);
        assert_eq!(parsed, Parsed::default());
    }

    #[test]
    fn brace_expansion() {
        assert_eq!(
            expand_braces("a{b,c}d{e,f}"),
            ["abde", "abdf", "acde", "acdf"]
        );
        assert_eq!(expand_braces("x{a,{b,c}}"), ["xa", "xb", "xc"]);
        assert_eq!(expand_braces("x{a}y{"), ["x{a}y{"]);
    }
}
