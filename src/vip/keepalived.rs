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
//! Hostile or broken input cannot exhaust the stack, the memory or the time either: nothing
//! recurses deeper than a small constant, and every total is bounded (the `MAX_*` constants
//! below, listed in docs/vip.md). A limit that cuts something off is itself reported, naming
//! the file and line where it was hit; what was read until then is still returned.

use std::borrow::Cow;
use std::fs;
use std::io::{self, Read};
use std::net::IpAddr;
use std::ops::Range;
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
/// How deep `{a,b}` alternatives may nest in one include pattern.
const MAX_BRACE_DEPTH: usize = 32;
/// The longest include pattern followed, in bytes (Linux's `PATH_MAX`).
const MAX_PATTERN_LEN: usize = 4096;
/// Paths one include pattern's `{a,b}` alternatives expand to at most: the first ones are read.
const MAX_EXPANSIONS: usize = 1024;
/// Files one `include` directive reads at most: the first ones (in name order) are read.
const MAX_MATCHES: usize = 1024;
/// Files included in total, besides the main file.
const MAX_FILES: usize = 256;
/// Paths tried and directory entries looked at by all include patterns together.
const MAX_PATHS_EXAMINED: usize = 100_000;
/// Bytes read in total, the main file's included.
const MAX_BYTES: usize = 16 << 20;
/// Lines read in total, over all files (a line continued with `\` counts once).
const MAX_LINES: usize = 1_000_000;
/// Words and braces read in total, over all files.
const MAX_TOKENS: usize = 1_000_000;
/// Virtual addresses returned at most, over all instances.
const MAX_VIPS: usize = 1024;
/// Problems listed at most; the ones after are summed up in one more problem.
const MAX_PROBLEMS: usize = 100;
/// Problems of one kind listed one by one; the next one also counts all later ones.
const MAX_ALIKE: usize = 10;
/// Characters of the configuration's own text (a pattern, a word) quoted in a message.
const QUOTE_CHARS: usize = 80;

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
/// (missing, permission denied, not a regular file) is a ParseError with line 0 naming the file
/// and the reason.
pub fn load(path: &Path) -> Parsed {
    match read_capped(path, MAX_BYTES) {
        Ok(bytes) => {
            let (bytes, cut) = cut_at_line(&bytes, MAX_BYTES);
            parse(&String::from_utf8_lossy(bytes), path, cut)
        }
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
    let (bytes, cut) = cut_at_line(text.as_bytes(), MAX_BYTES);
    parse(&String::from_utf8_lossy(bytes), origin, cut)
}

fn parse(text: &str, origin: &Path, cut: bool) -> Parsed {
    let mut reader = Reader::default();
    reader.reading.push(canonical(origin));
    reader.read_text(text, origin, 0, cut);
    let Reader {
        files,
        nodes,
        words,
        mut problems,
        ..
    } = reader;
    let instances = interpret(&files, &nodes, &words, &mut problems);
    Parsed {
        instances,
        errors: problems.into_errors(),
    }
}

/// A regular file's bytes, `limit + 1` at most (so that a longer file shows as such). A
/// device, pipe or socket is not read: it could be endless or never answer.
fn read_capped(path: &Path, limit: usize) -> io::Result<Vec<u8>> {
    let meta = fs::metadata(path)?;
    // A directory is opened to get the system's own error for it.
    if !meta.is_file() && !meta.is_dir() {
        return Err(io::Error::other("not a regular file"));
    }
    let mut bytes = Vec::new();
    let limit = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    fs::File::open(path)?.take(limit).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// `bytes` cut to `limit` at most, after the last whole line that fits when there is one, and
/// whether anything was cut.
fn cut_at_line(bytes: &[u8], limit: usize) -> (&[u8], bool) {
    if bytes.len() <= limit {
        return (bytes, false);
    }
    let head = &bytes[..limit];
    let end = head
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(limit, |i| i + 1);
    (&bytes[..end], true)
}

/// A statement: the words of one line (up to a brace), and the block it opens, if any.
/// Nodes live in one arena in document order, so nothing here recurses however deep the braces,
/// and a block's descendants are the nodes right after it, up to its `end`.
#[derive(Debug)]
struct Node {
    /// Its words: a range of [`Words::spans`].
    words: Range<usize>,
    file: usize,
    line: usize,
    block: bool,
    /// One past the index of its last descendant.
    end: usize,
}

/// The words of all statements in one buffer: a word costs its bytes and a span, not an
/// allocation of its own.
#[derive(Debug, Default)]
struct Words {
    text: String,
    spans: Vec<Range<usize>>,
}

impl Words {
    fn push(&mut self, word: &str) {
        let start = self.text.len();
        self.text.push_str(word);
        self.spans.push(start..self.text.len());
    }

    /// The `i`-th word of `node`.
    fn get(&self, node: &Node, i: usize) -> Option<&str> {
        let at = node.words.start.checked_add(i)?;
        if at >= node.words.end {
            return None;
        }
        let span = self.spans.get(at)?;
        self.text.get(span.clone())
    }

    /// All words of `node`.
    fn of(&self, node: &Node) -> Vec<&str> {
        (0..node.words.len())
            .filter_map(|i| self.get(node, i))
            .collect()
    }
}

/// The statements directly inside `nodes[idx]`'s block, with their indices.
fn children(nodes: &[Node], idx: usize) -> impl Iterator<Item = (usize, &Node)> {
    let end = nodes[idx].end;
    let mut next = idx + 1;
    std::iter::from_fn(move || {
        if next >= end {
            return None;
        }
        let child = (next, &nodes[next]);
        next = child.1.end.max(next + 1);
        Some(child)
    })
}

#[derive(Debug, Default)]
struct Reader {
    /// Every file read, indexed by `Node::file`.
    files: Vec<PathBuf>,
    nodes: Vec<Node>,
    words: Words,
    /// Blocks currently open, outermost first.
    open: Vec<usize>,
    /// Canonical paths of the files being read (the include chain), to break cycles.
    reading: Vec<PathBuf>,
    problems: Problems,
    /// Totals so far, against the `MAX_*` limits.
    bytes: usize,
    lines: usize,
    tokens: usize,
    included: usize,
    examined: usize,
    /// A total limit was hit (and reported): nothing more is read.
    stopped: bool,
}

#[derive(Debug, PartialEq, Eq)]
enum Tok<'a> {
    Open,
    Close,
    Word(&'a str),
}

/// The problems met, bounded: at most [`MAX_ALIKE`] of one kind are listed one by one, the
/// next one of the kind also counts all those after it, and past [`MAX_PROBLEMS`] listed the
/// rest is only counted. A message is only built when it is listed.
#[derive(Debug, Default)]
struct Problems {
    listed: Vec<Listed>,
    /// Few (one per message shape): a list is quicker than a map.
    kinds: Vec<(&'static str, Kind)>,
    unlisted: usize,
    /// The first problem not listed, with its file index.
    first_unlisted: Option<(usize, ParseError)>,
}

#[derive(Debug)]
struct Listed {
    /// Index of the file, for sorting.
    file: usize,
    error: ParseError,
    /// Later problems of the same kind, not listed.
    more: usize,
}

#[derive(Debug, Default)]
struct Kind {
    listed: usize,
    /// Index in `listed` of the problem that counts the later ones of this kind.
    summary: Option<usize>,
}

impl Problems {
    /// A problem at `line` of `path` (file number `file`); `kind` names the message's shape.
    fn add(
        &mut self,
        file: usize,
        path: &Path,
        line: usize,
        kind: &'static str,
        message: impl FnOnce() -> String,
    ) {
        let seen = match self.kinds.iter().position(|(k, _)| *k == kind) {
            Some(i) => &mut self.kinds[i].1,
            None => {
                self.kinds.push((kind, Kind::default()));
                let last = self.kinds.len() - 1;
                &mut self.kinds[last].1
            }
        };
        if let Some(summary) = seen.summary {
            self.listed[summary].more += 1;
            return;
        }
        let error = move || ParseError {
            file: path.to_path_buf(),
            line,
            message: message(),
        };
        if self.listed.len() >= MAX_PROBLEMS {
            self.unlisted += 1;
            if self.first_unlisted.is_none() {
                self.first_unlisted = Some((file, error()));
            }
            return;
        }
        if seen.listed == MAX_ALIKE {
            seen.summary = Some(self.listed.len());
        } else {
            seen.listed += 1;
        }
        self.listed.push(Listed {
            file,
            error: error(),
            more: 0,
        });
    }

    /// Per file (in the order they were read), by line; then the summary of those not listed.
    fn into_errors(self) -> Vec<ParseError> {
        let mut listed = self.listed;
        listed.sort_by_key(|l| (l.file, l.error.line));
        let mut errors: Vec<ParseError> = listed
            .into_iter()
            .map(|l| {
                let mut error = l.error;
                if l.more > 0 {
                    error.message =
                        format!("{} (… and {} more like it)", error.message, grouped(l.more));
                }
                error
            })
            .collect();
        if let Some((_, mut first)) = self.first_unlisted {
            first.message = format!(
                "… and {} more problems not listed; the first of them: {}",
                grouped(self.unlisted),
                first.message
            );
            errors.push(first);
        }
        errors
    }
}

impl Reader {
    fn report(
        &mut self,
        file: usize,
        line: usize,
        kind: &'static str,
        message: impl FnOnce() -> String,
    ) {
        self.problems
            .add(file, &self.files[file], line, kind, message);
    }

    /// A total limit is hit at `line` of `file`: report it and read nothing more.
    fn stop(&mut self, file: usize, line: usize, what: String) {
        self.stopped = true;
        self.report(file, line, "stop", || {
            format!(
                "reading stopped here: {what} in total (the limit); \
                 the rest of the configuration is not read"
            )
        });
    }

    /// A new statement in the innermost open block.
    fn new_node(&mut self, file: usize, line: usize) -> usize {
        let idx = self.nodes.len();
        let words = self.words.spans.len();
        self.nodes.push(Node {
            words: words..words,
            file,
            line,
            block: false,
            end: idx + 1,
        });
        idx
    }

    /// Close the blocks open above `base`: what was read since is inside them.
    fn close_above(&mut self, base: usize) {
        let end = self.nodes.len();
        for &idx in &self.open[base..] {
            self.nodes[idx].end = end;
        }
    }

    /// Report and close the blocks opened in the current file (above `base`).
    fn close_unclosed(&mut self, base: usize, why: &str) {
        self.close_above(base);
        let unclosed: Vec<usize> = self.open.drain(base..).collect();
        let (nodes, words) = (&self.nodes, &self.words);
        for idx in unclosed {
            let (file, line) = (nodes[idx].file, nodes[idx].line);
            self.problems
                .add(file, &self.files[file], line, "unclosed", || {
                    let what = describe(&words.of(&nodes[idx]));
                    format!("{what} opened here is never closed ({why})")
                });
        }
    }

    /// Read one file's text; `path` names it (for errors and relative includes). `cut`: the
    /// file went on past the byte limit.
    fn read_text(&mut self, text: &str, path: &Path, depth: usize, cut: bool) {
        let file = self.files.len();
        self.files.push(path.to_path_buf());
        self.bytes += text.len();
        // Braces must balance within each file: a file cannot close its includer's blocks.
        let base = self.open.len();
        // A blockless statement that ended its line: a `{` starting a later line opens its block.
        let mut pending: Option<usize> = None;
        let mut last_line = 0;

        'lines: for (line, content) in LogicalLines::new(text) {
            last_line = line;
            self.lines += 1;
            if self.lines > MAX_LINES {
                self.stop(
                    file,
                    line,
                    format!("more than {} lines", grouped(MAX_LINES)),
                );
                break;
            }
            if let Some(pattern) = include_directive(&content) {
                pending = None;
                self.include(pattern, file, line, depth);
                if self.stopped {
                    break;
                }
                continue;
            }
            let mut tokens = Tokens::new(&content);
            let mut current: Option<usize> = None;
            while let Some(tok) = tokens.next() {
                self.tokens += 1;
                if self.tokens > MAX_TOKENS {
                    let what = format!("more than {} words and braces", grouped(MAX_TOKENS));
                    self.stop(file, line, what);
                    break 'lines;
                }
                if let Some(problem) = tokens.problem.take() {
                    self.report(file, line, "unterminated", || problem);
                }
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
                            self.close_above(self.open.len() - 1);
                            self.open.pop();
                        } else {
                            self.report(file, line, "unexpected-close", || {
                                "unexpected `}`: no block is open".to_owned()
                            });
                        }
                    }
                    Tok::Word(word) => {
                        let idx = match current {
                            Some(idx) => idx,
                            None => {
                                if self.open.len() > base && TOP_LEVEL.contains(&word) {
                                    let why = format!(
                                        "`{word}` on line {line} starts a new top-level block"
                                    );
                                    self.close_unclosed(base, &why);
                                }
                                self.new_node(file, line)
                            }
                        };
                        // `current` is always the latest node: its words are the latest.
                        self.words.push(word);
                        self.nodes[idx].words.end = self.words.spans.len();
                        current = Some(idx);
                    }
                }
                pending = None;
            }
            if current.is_some() {
                pending = current;
            }
        }
        if self.stopped {
            // Not this file's fault: the limit's report says why the rest is missing.
            self.close_above(base);
            self.open.truncate(base);
            return;
        }
        if cut {
            // The text ends with its last whole line: the line after it is where the cut is.
            self.report(file, last_line, "bytes", || {
                format!(
                    "reading stopped here: more than {} MiB of configuration in total \
                     (the limit); the rest of this file is not read",
                    MAX_BYTES >> 20
                )
            });
        }
        self.close_unclosed(base, "missing `}` at end of file");
    }

    /// Follow `include PATTERN` written at `line` of `file`.
    fn include(&mut self, pattern: &str, file: usize, line: usize, depth: usize) {
        if pattern.is_empty() {
            self.report(file, line, "include-empty", || {
                "`include` needs a file name or pattern".to_owned()
            });
            return;
        }
        if self.included >= MAX_FILES {
            self.report(file, line, "include-files", || {
                format!(
                    "not following `include {}`: {MAX_FILES} files are already included \
                     (the limit)",
                    quote(pattern)
                )
            });
            return;
        }
        if self.examined >= MAX_PATHS_EXAMINED {
            self.report(file, line, "include-examined", || {
                format!(
                    "not following `include {}`: include patterns already looked at {} paths \
                     (the limit)",
                    quote(pattern),
                    grouped(MAX_PATHS_EXAMINED)
                )
            });
            return;
        }
        let braces = if pattern.len() > MAX_PATTERN_LEN {
            // Not parsed at all: say what is most wrong with it, in one pass.
            Err(if brace_nesting(pattern) > MAX_BRACE_DEPTH {
                BraceError::TooDeep
            } else {
                BraceError::TooLong
            })
        } else {
            Braces::parse(pattern)
        };
        let braces = match braces {
            Ok(braces) => braces,
            Err(e) => {
                let why = match e {
                    BraceError::TooDeep => format!("nests `{{` more than {MAX_BRACE_DEPTH} deep"),
                    BraceError::TooLong => {
                        format!("is longer than {} bytes", grouped(MAX_PATTERN_LEN))
                    }
                };
                self.report(file, line, "include-unparsed", || {
                    format!("include pattern `{}` {why}; it is not read", quote(pattern))
                });
                return;
            }
        };
        let count = braces.count();
        if count > MAX_EXPANSIONS {
            self.report(file, line, "include-expansions", || {
                format!(
                    "include pattern `{}` expands to more than {n} paths; the first {n} are read",
                    quote(pattern),
                    n = grouped(MAX_EXPANSIONS)
                )
            });
        }
        let dir = self.files[file]
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        // Wildcards in no alternative when not in the pattern: each is a path as it is.
        let wild = has_wildcards(pattern);
        let mut matched = Vec::new();
        let mut alternative = String::new();
        for k in 0..count.min(MAX_EXPANSIONS) {
            alternative.clear();
            braces.nth(k, &mut alternative);
            if !wild {
                let path = dir.join(&alternative);
                if count == 1 {
                    // A plain path: read as it is, so that a missing file is reported (a
                    // pattern matching nothing is not: keepalived ignores it too).
                    self.examined += 1;
                    matched.push(path);
                    break;
                }
                // Like glob(): a path of a `{a,b}` pattern is kept only when it exists.
                if !self.examine(pattern, file, line) {
                    break;
                }
                if fs::symlink_metadata(&path).is_ok() {
                    matched.push(path);
                }
            } else if !self.glob(
                &collapse_stars(&alternative),
                &dir,
                pattern,
                file,
                line,
                &mut matched,
            ) {
                break;
            }
            if matched.len() > MAX_MATCHES {
                matched.truncate(MAX_MATCHES);
                self.report(file, line, "include-matches", || {
                    format!(
                        "include pattern `{}` matches more than {n} files; the first {n} are read",
                        quote(pattern),
                        n = grouped(MAX_MATCHES)
                    )
                });
                break;
            }
        }
        for path in matched {
            if self.stopped {
                break;
            }
            self.read_included(&path, file, line, depth + 1);
        }
    }

    /// Add the paths matching `alternative` (one brace alternative, relative to `dir`) to `out`,
    /// as POSIX glob() finds them: `*`, `?` and `[...]` match within one path component and
    /// never a leading `.`, each directory's matches in name order, and a path without wildcards
    /// only when it exists. False when [`MAX_PATHS_EXAMINED`] ran out (and that is reported).
    fn glob(
        &mut self,
        alternative: &str,
        dir: &Path,
        pattern: &str,
        file: usize,
        line: usize,
        out: &mut Vec<PathBuf>,
    ) -> bool {
        let (start, rest) = match alternative.strip_prefix('/') {
            Some(rest) => (PathBuf::from("/"), rest),
            None => (dir.to_path_buf(), alternative),
        };
        let components: Vec<&str> = rest.split('/').filter(|c| !c.is_empty()).collect();
        let options = glob::MatchOptions {
            case_sensitive: true,
            require_literal_separator: true,
            require_literal_leading_dot: true,
        };
        let mut frontier = vec![start];
        for (i, component) in components.iter().enumerate() {
            let last = i + 1 == components.len();
            if !has_wildcards(component) {
                for path in &mut frontier {
                    path.push(component);
                }
                if last {
                    let mut found = Vec::new();
                    for path in frontier {
                        if !self.examine(pattern, file, line) {
                            return false;
                        }
                        if fs::symlink_metadata(&path).is_ok() {
                            found.push(path);
                        }
                    }
                    frontier = found;
                }
                continue;
            }
            let matcher = match glob::Pattern::new(component) {
                Ok(matcher) => matcher,
                Err(e) => {
                    self.report(file, line, "include-bad-pattern", || {
                        format!("bad include pattern `{}`: {e}", quote(pattern))
                    });
                    return true;
                }
            };
            let mut next = Vec::new();
            for path in frontier {
                // An empty `dir`: the including file was named without a directory.
                let listed = if path.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    path.as_path()
                };
                if !listed.is_dir() {
                    continue;
                }
                let entries = match fs::read_dir(listed) {
                    Ok(entries) => entries,
                    Err(e) => {
                        self.report(file, line, "include-read-dir", || {
                            format!(
                                "cannot read {} for include `{}`: {e}",
                                listed.display(),
                                quote(pattern)
                            )
                        });
                        continue;
                    }
                };
                let mut names = Vec::new();
                for entry in entries {
                    if !self.examine(pattern, file, line) {
                        return false;
                    }
                    match entry {
                        Ok(entry) => {
                            let name = entry.file_name();
                            if matcher.matches_with(&name.to_string_lossy(), options) {
                                names.push(name);
                            }
                        }
                        Err(e) => self.report(file, line, "include-read-dir", || {
                            format!(
                                "cannot read {} for include `{}`: {e}",
                                listed.display(),
                                quote(pattern)
                            )
                        }),
                    }
                }
                names.sort();
                next.extend(names.into_iter().map(|name| path.join(name)));
            }
            frontier = next;
        }
        out.extend(frontier);
        true
    }

    /// Count one path looked at by an include pattern; false (reported once) past the limit.
    fn examine(&mut self, pattern: &str, file: usize, line: usize) -> bool {
        self.examined += 1;
        if self.examined <= MAX_PATHS_EXAMINED {
            return true;
        }
        self.report(file, line, "include-examined-stop", || {
            format!(
                "include pattern `{}`: include patterns looked at more than {} paths in total \
                 (the limit); the search stops here",
                quote(pattern),
                grouped(MAX_PATHS_EXAMINED)
            )
        });
        false
    }

    fn read_included(&mut self, path: &Path, file: usize, line: usize, depth: usize) {
        if depth > MAX_INCLUDE_DEPTH {
            self.report(file, line, "include-depth", || {
                format!(
                    "includes nested more than {MAX_INCLUDE_DEPTH} deep; not reading {}",
                    path.display()
                )
            });
            return;
        }
        if self.included >= MAX_FILES {
            self.report(file, line, "include-files-read", || {
                format!(
                    "not reading {}: {MAX_FILES} files are already included (the limit)",
                    path.display()
                )
            });
            return;
        }
        let key = canonical(path);
        if self.reading.contains(&key) {
            self.report(file, line, "include-cycle", || {
                format!(
                    "include cycle: {} is already being read; not reading it again",
                    path.display()
                )
            });
            return;
        }
        let budget = MAX_BYTES.saturating_sub(self.bytes);
        if budget == 0 {
            self.report(file, line, "include-bytes", || {
                format!(
                    "not reading {}: {} MiB of configuration are already read (the limit)",
                    path.display(),
                    MAX_BYTES >> 20
                )
            });
            return;
        }
        match read_capped(path, budget) {
            Ok(bytes) => {
                self.included += 1;
                let (bytes, cut) = cut_at_line(&bytes, budget);
                self.reading.push(key);
                self.read_text(&String::from_utf8_lossy(bytes), path, depth, cut);
                self.reading.pop();
            }
            Err(e) => self.report(file, line, "include-read", || {
                format!("cannot read included file {}: {e}", path.display())
            }),
        }
    }
}

/// How a statement is named in a message: "`vrrp_instance VI_1` block".
fn describe(words: &[&str]) -> String {
    if words.is_empty() {
        "block".to_owned()
    } else {
        format!("`{}` block", quote(&words.join(" ")))
    }
}

/// `text` for a message: its first [`QUOTE_CHARS`] characters, then `…` if there is more.
fn quote(text: &str) -> Cow<'_, str> {
    match text.char_indices().nth(QUOTE_CHARS) {
        Some((end, _)) => Cow::Owned(format!("{}…", &text[..end])),
        None => Cow::Borrowed(text),
    }
}

/// `n` with thousands separators: 1,048,576.
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn has_wildcards(pattern: &str) -> bool {
    pattern.bytes().any(|b| b == b'*' || b == b'?' || b == b'[')
}

/// POSIX glob() has no recursive `**`: a run of `*` is one `*` (the glob crate's `**` would
/// walk whole directory trees, and is an error next to other characters).
fn collapse_stars(pattern: &str) -> Cow<'_, str> {
    if !pattern.contains("**") {
        return Cow::Borrowed(pattern);
    }
    let mut out = String::with_capacity(pattern.len());
    for c in pattern.chars() {
        if c != '*' || !out.ends_with('*') {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn canonical(path: &Path) -> PathBuf {
    fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The lines of `text` without comments, continuation lines joined, each with its 1-based
/// number (that of its first physical line). One at a time: a huge file is not copied.
struct LogicalLines<'a> {
    raw: std::iter::Enumerate<std::str::Split<'a, char>>,
}

impl<'a> LogicalLines<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            raw: text.split('\n').enumerate(),
        }
    }
}

impl<'a> Iterator for LogicalLines<'a> {
    type Item = (usize, Cow<'a, str>);

    fn next(&mut self) -> Option<Self::Item> {
        let mut joined: Option<(usize, String)> = None;
        for (i, raw) in self.raw.by_ref() {
            let raw = raw.strip_suffix('\r').unwrap_or(raw);
            let content = strip_comment(raw).trim_end();
            let (content, continued) = match content.strip_suffix('\\') {
                Some(rest) => (rest, true),
                None => (content, false),
            };
            match joined.as_mut() {
                None if !continued => return Some((i + 1, Cow::Borrowed(content))),
                None => joined = Some((i + 1, content.to_owned())),
                Some((_, text)) => {
                    if !text.is_empty() {
                        text.push(' ');
                    }
                    text.push_str(content);
                }
            }
            if !continued {
                break;
            }
        }
        joined.map(|(number, text)| (number, Cow::Owned(text)))
    }
}

/// `line` up to its comment: `#` or `!` outside a quoted string.
fn strip_comment(line: &str) -> &str {
    // Bytes: these three are ASCII, never part of another character.
    let mut quoted = false;
    for (i, &b) in line.as_bytes().iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b'#' | b'!' if !quoted => return &line[..i],
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

/// The words and braces of a (comment-free) line, one at a time. Braces are tokens of their
/// own even when written against a word; a quoted string is one word, braces and all. An
/// unterminated quoted string is the line's last word, and leaves its `problem` behind.
struct Tokens<'a> {
    rest: &'a str,
    problem: Option<String>,
}

impl<'a> Tokens<'a> {
    fn new(line: &'a str) -> Self {
        Self {
            rest: line,
            problem: None,
        }
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Tok<'a>;

    fn next(&mut self) -> Option<Tok<'a>> {
        let s = self.rest.trim_start();
        let (tok, rest) = match s.chars().next()? {
            '{' => (Tok::Open, &s[1..]),
            '}' => (Tok::Close, &s[1..]),
            '"' => {
                let body = &s[1..];
                match body.find('"') {
                    Some(end) => (Tok::Word(&body[..end]), &body[end + 1..]),
                    None => {
                        self.problem =
                            Some(format!("unterminated quoted string \"{}", quote(body)));
                        (Tok::Word(body), "")
                    }
                }
            }
            _ => {
                let end = s
                    .find(|c: char| c.is_whitespace() || c == '{' || c == '}')
                    .unwrap_or(s.len());
                (Tok::Word(&s[..end]), &s[end..])
            }
        };
        self.rest = rest;
        Some(tok)
    }
}

/// Why an include pattern's `{a,b}` alternatives are not expanded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BraceError {
    TooDeep,
    TooLong,
}

/// How deep `{` nest in `pattern`, counted in one pass (for a pattern too long to parse).
fn brace_nesting(pattern: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    for b in pattern.bytes() {
        match b {
            b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// An include pattern's `{a,b}` alternatives, like keepalived's `glob(GLOB_BRACE)`:
/// `x{a,b}y` → `xay`, `xby`; `{x}` (no comma) and an unclosed `{` stay as they are. Parsed
/// once into pieces of the pattern, so that the `k`-th path is built directly, however many
/// there are: parsing recurses only per nesting level (at most [`MAX_BRACE_DEPTH`]).
#[derive(Debug)]
struct Braces<'a> {
    pattern: &'a str,
    root: Seq,
}

/// Pieces one after the other, and how many paths they make (capped, see [`COUNT_CAP`]).
#[derive(Debug)]
struct Seq {
    parts: Vec<Part>,
    /// For each part, how many paths the parts after it make (capped): the `k`-th path takes
    /// choice `k / stride % count` of that part.
    strides: Vec<usize>,
    count: usize,
}

#[derive(Debug)]
enum Part {
    /// Bytes of the pattern, as they are.
    Literal(Range<usize>),
    /// `{a,b,...}`: one of the alternatives, and the number of paths of them all (capped).
    Choice(Vec<Seq>, usize),
}

/// Path counts stop here: enough to tell "more than [`MAX_EXPANSIONS`]", and the first
/// [`MAX_EXPANSIONS`] paths are still indexed exactly (`k % n` and `k / n` are the same for any
/// `n` above `k`).
const COUNT_CAP: usize = MAX_EXPANSIONS + 1;

impl Part {
    fn count(&self) -> usize {
        match self {
            Part::Literal(_) => 1,
            Part::Choice(_, count) => *count,
        }
    }
}

impl<'a> Braces<'a> {
    fn parse(pattern: &'a str) -> Result<Self, BraceError> {
        let root = Self::seq(pattern, 0..pattern.len(), 0)?;
        Ok(Self { pattern, root })
    }

    /// The pieces of `pattern[range]`, inside `depth` choices.
    fn seq(pattern: &str, range: Range<usize>, depth: usize) -> Result<Seq, BraceError> {
        let bytes = pattern.as_bytes();
        let mut parts = Vec::new();
        // Start of the literal text not yet in `parts`, and where to look for the next `{`.
        let (mut literal, mut pos) = (range.start, range.start);
        while let Some(open) = bytes[pos..range.end]
            .iter()
            .position(|&b| b == b'{')
            .map(|i| pos + i)
        {
            let mut nesting = 0usize;
            let mut close = None;
            let mut commas = Vec::new();
            for (i, &b) in bytes[open..range.end].iter().enumerate() {
                match b {
                    b'{' => nesting += 1,
                    b'}' => {
                        nesting -= 1;
                        if nesting == 0 {
                            close = Some(open + i);
                            break;
                        }
                    }
                    b',' if nesting == 1 => commas.push(open + i),
                    _ => {}
                }
            }
            // An unclosed `{`: the rest is literal.
            let Some(close) = close else { break };
            pos = close + 1;
            if commas.is_empty() {
                // `{x}` is no alternative: it stays literally.
                continue;
            }
            if depth == MAX_BRACE_DEPTH {
                return Err(BraceError::TooDeep);
            }
            if literal < open {
                parts.push(Part::Literal(literal..open));
            }
            let mut alternatives = Vec::with_capacity(commas.len() + 1);
            let mut start = open + 1;
            for end in commas.into_iter().chain([close]) {
                alternatives.push(Self::seq(pattern, start..end, depth + 1)?);
                start = end + 1;
            }
            let count = alternatives
                .iter()
                .fold(0, |n: usize, a| n.saturating_add(a.count))
                .min(COUNT_CAP);
            parts.push(Part::Choice(alternatives, count));
            literal = pos;
        }
        if literal < range.end {
            parts.push(Part::Literal(literal..range.end));
        }
        let mut strides = vec![1; parts.len()];
        let mut count = 1usize;
        for (stride, part) in strides.iter_mut().zip(&parts).rev() {
            *stride = count;
            count = count.saturating_mul(part.count()).min(COUNT_CAP);
        }
        Ok(Seq {
            parts,
            strides,
            count,
        })
    }

    /// How many paths (capped at [`COUNT_CAP`]).
    fn count(&self) -> usize {
        self.root.count
    }

    /// Append the `k`-th path (`k < MAX_EXPANSIONS`, `k < count()`) to `out`: in keepalived's
    /// order, the last choice varying fastest.
    fn nth(&self, k: usize, out: &mut String) {
        self.nth_of(&self.root, k, out);
    }

    fn nth_of(&self, seq: &Seq, k: usize, out: &mut String) {
        for (part, &stride) in seq.parts.iter().zip(&seq.strides) {
            match part {
                Part::Literal(range) => out.push_str(&self.pattern[range.clone()]),
                Part::Choice(alternatives, count) => {
                    let mut choice = k / stride % count;
                    for alternative in alternatives {
                        if choice < alternative.count {
                            self.nth_of(alternative, choice, out);
                            break;
                        }
                        choice -= alternative.count;
                    }
                }
            }
        }
    }
}

/// All paths of `pattern`'s `{a,b}` alternatives, at most [`MAX_EXPANSIONS`] (for tests).
#[cfg(test)]
fn expand_braces(pattern: &str) -> Vec<String> {
    let Ok(braces) = Braces::parse(pattern) else {
        return Vec::new();
    };
    (0..braces.count().min(MAX_EXPANSIONS))
        .map(|k| {
            let mut out = String::new();
            braces.nth(k, &mut out);
            out
        })
        .collect()
}

/// Turn the statement tree into instances. `vrrp_instance` blocks are found at any depth, so
/// an instance in a file included inside some block still counts.
fn interpret(
    files: &[PathBuf],
    nodes: &[Node],
    words: &Words,
    problems: &mut Problems,
) -> Vec<VrrpInstance> {
    let mut instances = Vec::new();
    let mut err = |n: &Node, kind: &'static str, message: String| {
        problems.add(n.file, &files[n.file], n.line, kind, || message);
    };
    let mut vips = 0usize;
    for (idx, node) in nodes.iter().enumerate() {
        if words.get(node, 0) != Some("vrrp_instance") {
            continue;
        }
        let Some(name) = words.get(node, 1) else {
            err(node, "no-name", "`vrrp_instance` without a name".to_owned());
            continue;
        };
        if !node.block {
            err(
                node,
                "no-block",
                format!("`vrrp_instance {}` has no `{{ ... }}` block", quote(name)),
            );
            continue;
        }
        let mut instance = VrrpInstance {
            name: name.to_owned(),
            interface: None,
            virtual_router_id: None,
            priority: None,
            state: None,
            vips: Vec::new(),
            file: files[node.file].clone(),
            line: node.line,
        };
        for (child_idx, child) in children(nodes, idx) {
            let Some(keyword) = words.get(child, 0) else {
                continue;
            };
            let value = words.get(child, 1);
            match keyword {
                "interface" | "virtual_router_id" | "priority" | "state" if value.is_none() => {
                    err(child, "needs-value", format!("`{keyword}` needs a value"));
                }
                "interface" => instance.interface = value.map(str::to_owned),
                "state" => {
                    let state = value.unwrap_or_default().to_owned();
                    if state != "MASTER" && state != "BACKUP" {
                        err(
                            child,
                            "state",
                            format!("state must be MASTER or BACKUP, got `{}`", quote(&state)),
                        );
                    }
                    instance.state = Some(state);
                }
                "virtual_router_id" => {
                    let raw = value.unwrap_or_default();
                    match number_in(raw, 1, 255) {
                        Ok(n) => instance.virtual_router_id = u8::try_from(n).ok(),
                        Err(message) => err(
                            child,
                            "virtual_router_id",
                            format!("virtual_router_id {message}"),
                        ),
                    }
                }
                "priority" => {
                    let raw = value.unwrap_or_default();
                    match number_in(raw, 1, 254) {
                        Ok(n) => instance.priority = u16::try_from(n).ok(),
                        Err(message) => err(child, "priority", format!("priority {message}")),
                    }
                }
                "virtual_ipaddress" | "virtual_ipaddress_excluded" => {
                    if !child.block {
                        err(
                            child,
                            "needs-block",
                            format!("`{keyword}` needs a `{{ ... }}` block"),
                        );
                        continue;
                    }
                    let excluded = keyword == "virtual_ipaddress_excluded";
                    for (_, entry) in children(nodes, child_idx) {
                        if entry.words.is_empty() {
                            continue;
                        }
                        if vips == MAX_VIPS {
                            err(
                                entry,
                                "vips",
                                format!(
                                    "more than {} virtual addresses in total (the limit); \
                                     this one and those after it are ignored",
                                    grouped(MAX_VIPS)
                                ),
                            );
                            vips += 1;
                        }
                        if vips > MAX_VIPS {
                            continue;
                        }
                        match vip(&words.of(entry), excluded, entry.line) {
                            Ok(vip) => {
                                vips += 1;
                                instance.vips.push(vip);
                            }
                            Err((kind, message)) => err(entry, kind, message),
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
            "must be a number between {min} and {max}, got `{}`",
            quote(raw)
        )),
    }
}

/// One `virtual_ipaddress` entry: `ADDR[/PREFIX] [dev IF] [label L] [brd B] [scope S] ...`.
/// The error names its kind (for [`Problems`]) and says what is wrong.
fn vip(words: &[&str], excluded: bool, line: usize) -> Result<VipAddr, (&'static str, String)> {
    let token = words[0];
    let (addr_text, prefix_text) = match token.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (token, None),
    };
    let addr: IpAddr = addr_text.parse().map_err(|_| {
        (
            "vip-addr",
            format!("`{}` is not an IP address", quote(token)),
        )
    })?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix_text {
        None => None,
        Some(p) => match p.parse::<u8>() {
            Ok(n) if n <= max => Some(n),
            _ => {
                return Err((
                    "vip-prefix",
                    format!(
                        "`{}`: the prefix length must be between 0 and {max}",
                        quote(token)
                    ),
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
    let mut rest = words[1..].iter().copied();
    while let Some(option) = rest.next() {
        match option {
            "dev" | "label" => {
                let Some(value) = rest.next() else {
                    return Err((
                        "vip-option",
                        format!("`{}`: `{option}` needs a value", quote(token)),
                    ));
                };
                if option == "dev" {
                    vip.dev = Some(value.to_owned());
                } else {
                    vip.label = Some(value.to_owned());
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
                (main.clone(), 3),
                (main.clone(), 4),
                (main.clone(), 5),
                (sub.join("open.conf"), 1)
            ]
        );
        // A plain path that does not exist is reported; a pattern matching nothing is not.
        for error in &parsed.errors[..2] {
            assert!(
                error.message.contains("cannot read included file"),
                "{error}"
            );
        }
        assert!(
            parsed.errors[0]
                .message
                .contains("missing.conf: No such file"),
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
        assert_eq!(expand_braces("{a,}b{,c}"), ["ab", "abc", "b", "bc"]);
        assert_eq!(expand_braces("{{a,b}"), ["{{a,b}"]);
        assert_eq!(expand_braces("{a{b,c}}{d,e}"), ["{a{b,c}}d", "{a{b,c}}e"]);
        assert_eq!(expand_braces("é{à,ü}"), ["éà", "éü"]);
    }

    #[test]
    fn brace_expansion_is_bounded() {
        // 2^40 paths: counted up to the cap, and the first ones built directly, in order.
        let pattern = "{0,1}".repeat(40);
        let braces = Braces::parse(&pattern).unwrap();
        assert_eq!(braces.count(), MAX_EXPANSIONS + 1);
        let paths = expand_braces(&pattern);
        assert_eq!(paths.len(), MAX_EXPANSIONS);
        assert_eq!(paths[0], "0".repeat(40));
        assert_eq!(paths[1], format!("{}1", "0".repeat(39)));
        assert_eq!(paths[1023], format!("{}{}", "0".repeat(30), "1".repeat(10)));
        // A choice among more than the cap, then more choices: still exact.
        let wide = format!(
            "{{{}}}{{x,y}}",
            (0..2000)
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(",")
        );
        let paths = expand_braces(&wide);
        assert_eq!(paths[..4], ["0x", "0y", "1x", "1y"]);
        assert_eq!(paths[1023], "511y");
        // Nesting: MAX_BRACE_DEPTH levels are fine, one more is refused.
        let nested = |n: usize| format!("{}b{}", "{a,".repeat(n), "}".repeat(n));
        assert_eq!(
            expand_braces(&nested(MAX_BRACE_DEPTH)).len(),
            MAX_BRACE_DEPTH + 1
        );
        assert_eq!(
            Braces::parse(&nested(MAX_BRACE_DEPTH + 1)).unwrap_err(),
            BraceError::TooDeep
        );
        assert_eq!(brace_nesting(&nested(20_000)), 20_000);
    }

    #[test]
    fn problems_are_bounded_and_collapsed() {
        let mut problems = Problems::default();
        let path = Path::new("/x.conf");
        for line in 1..=25 {
            problems.add(0, path, line, "a", || format!("a{line}"));
        }
        for line in 1..=200 {
            problems.add(0, path, 1000 + line, "b", || format!("b{line}"));
        }
        for kind in ["c", "d", "e", "f", "g", "h", "i", "j", "k"] {
            for line in 1..=3 {
                problems.add(0, path, line, kind, || format!("{kind}{line}"));
            }
        }
        let errors = problems.into_errors();
        let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
        // 11 + 11 + 9 x 3 = 49: nothing unlisted.
        assert_eq!(messages.len(), 49);
        assert!(
            messages.contains(&"a11 (… and 14 more like it)"),
            "{messages:?}"
        );
        assert!(
            messages.contains(&"b11 (… and 189 more like it)"),
            "{messages:?}"
        );
        assert!(!messages.iter().any(|m| m.contains("a12")));

        let mut problems = Problems::default();
        for i in 0..300 {
            let kind: &'static str = Box::leak(format!("k{}", i / 5).into_boxed_str());
            problems.add(0, path, i, kind, || format!("m{i}"));
        }
        let errors = problems.into_errors();
        assert_eq!(errors.len(), MAX_PROBLEMS + 1);
        let last = errors.last().unwrap();
        assert_eq!(
            last.message,
            "… and 200 more problems not listed; the first of them: m100"
        );
        assert_eq!(last.line, 100);
    }

    #[test]
    fn virtual_addresses_are_bounded() {
        let mut text = String::new();
        for i in 0..3 {
            text.push_str(&format!("vrrp_instance V{i} {{\n virtual_ipaddress {{\n"));
            for j in 0..500 {
                text.push_str(&format!("  10.{i}.{}.{}\n", j / 256, j % 256));
            }
            text.push_str(" }\n}\n");
        }
        let parsed = parse(&text);
        let counts: Vec<usize> = parsed.instances.iter().map(|i| i.vips.len()).collect();
        assert_eq!(counts, [500, 500, MAX_VIPS - 1000]);
        assert_eq!(parsed.errors.len(), 1, "{:?}", parsed.errors);
        // V2 starts on line 1009 (504 lines per instance); its addresses two lines later.
        assert_eq!(parsed.errors[0].line, 1009 + 2 + (MAX_VIPS - 1000));
        assert!(
            parsed.errors[0]
                .message
                .starts_with("more than 1,024 virtual addresses in total"),
            "{}",
            parsed.errors[0]
        );
    }

    #[test]
    fn numbers_and_quotes_in_messages() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(1_048_575), "1,048,575");
        assert_eq!(quote("short"), "short");
        let long = "é".repeat(100);
        assert_eq!(quote(&long), format!("{}…", "é".repeat(QUOTE_CHARS)));
        assert_eq!(collapse_stars("a/**/b***c"), "a/*/b*c");
    }
}
