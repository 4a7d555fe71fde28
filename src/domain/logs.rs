//! Log lines as the engine sends them for `GET /services/{id}/logs` and `/tasks/{id}/logs`
//! with `timestamps=true` and `details=true`.
//!
//! Every message is `TIMESTAMP ATTRS TEXT`: the engine's RFC 3339 time with nanoseconds, then
//! (with `details`) the message's attributes as `key=value` pairs joined by `,` and
//! URL-query-escaped (so without a space): the log driver's own, then the swarm's context,
//! which the engine always adds — `com.docker.swarm.node.id`, `com.docker.swarm.service.id`
//! and `com.docker.swarm.task.id`. That is how a line of a service's logs names the task and
//! the node it came from (the docker CLI asks for `details` for the same reason).
//!
//! Without a TTY, each multiplexed frame carries one message of stdout or stderr. A line
//! longer than the log driver's buffer (16 KiB) comes as several messages, each with its own
//! header, all but the last without a newline: they are joined here. With a TTY the bytes
//! come raw (no frames, no stderr), cut anywhere: they are joined and split at newlines, and
//! each line's header read then. A line is cut at [`MAX_LINE`] bytes (marked, never
//! silently).

use jiff::Timestamp;

use super::{NodeId, TaskId};

/// The most of one line that is kept (the rest is dropped, and the line marked cut).
pub const MAX_LINE: usize = 16 * 1024;

/// The attribute the engine names a message's task with.
pub const TASK_ATTR: &str = "com.docker.swarm.task.id";
/// The attribute the engine names a message's node with.
pub const NODE_ATTR: &str = "com.docker.swarm.node.id";

/// Which output a line was written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogStream {
    Stdout,
    Stderr,
}

/// One line of a service's or a task's logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// When the engine received it (None: the message had no readable timestamp).
    pub ts: Option<Timestamp>,
    pub stream: LogStream,
    /// The task and node the engine says it came from.
    pub task: Option<TaskId>,
    pub node: Option<NodeId>,
    /// The text, without its newline; bytes that are not UTF-8 replaced.
    pub text: String,
    /// The line was longer than [`MAX_LINE`] and was cut.
    pub cut: bool,
}

/// What a message's header says, and where its text starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header<'a> {
    pub ts: Option<Timestamp>,
    pub task: Option<&'a str>,
    pub node: Option<&'a str>,
    /// The message's text (its newline, if any, still there).
    pub rest: &'a [u8],
}

/// Read a message's timestamp and (with `details`) attributes. A message without a readable
/// timestamp is all text; an attributes word that is not `key=value,…` is text too.
pub fn parse_header(msg: &[u8], details: bool) -> Header<'_> {
    let all = Header {
        ts: None,
        task: None,
        node: None,
        rest: msg,
    };
    // "2006-01-02T15:04:05.999999999Z07:00" is at most 35 bytes
    let Some(sp) = msg.iter().take(40).position(|b| *b == b' ') else {
        return all;
    };
    let Some(ts) = std::str::from_utf8(&msg[..sp])
        .ok()
        .and_then(|s| s.parse::<Timestamp>().ok())
    else {
        return all;
    };
    let rest = &msg[sp + 1..];
    let mut h = Header {
        ts: Some(ts),
        task: None,
        node: None,
        rest,
    };
    if !details {
        return h;
    }
    // the attributes end at the next space (they are escaped: no space inside); an empty
    // word (two spaces) is a message without attributes
    let Some(end) = rest.iter().position(|b| *b == b' ') else {
        return h;
    };
    let Ok(word) = std::str::from_utf8(&rest[..end]) else {
        return h;
    };
    let pairs: Option<Vec<(&str, &str)>> = if word.is_empty() {
        Some(Vec::new())
    } else {
        word.split(',').map(|p| p.split_once('=')).collect()
    };
    let Some(pairs) = pairs else {
        return h;
    };
    for (k, v) in pairs {
        match k {
            TASK_ATTR if !v.is_empty() => h.task = Some(v),
            NODE_ATTR if !v.is_empty() => h.node = Some(v),
            _ => {}
        }
    }
    h.rest = &rest[end + 1..];
    h
}

/// What the transport delivered: one message of stdout or stderr (a multiplexed frame), or
/// raw bytes (a TTY's output, cut anywhere).
#[derive(Debug, Clone, Copy)]
pub enum Chunk<'a> {
    Message(LogStream, &'a [u8]),
    Raw(&'a [u8]),
}

/// A line begun in one message and continued in the next.
#[derive(Debug, Clone)]
struct Partial {
    ts: Option<Timestamp>,
    task: Option<TaskId>,
    node: Option<NodeId>,
    bytes: Vec<u8>,
    cut: bool,
}

impl Partial {
    fn new(h: &Header<'_>) -> Self {
        Partial {
            ts: h.ts,
            task: h.task.map(TaskId::from),
            node: h.node.map(NodeId::from),
            bytes: Vec::new(),
            cut: false,
        }
    }

    fn add(&mut self, piece: &[u8]) {
        let room = MAX_LINE.saturating_sub(self.bytes.len());
        if piece.len() > room {
            self.bytes.extend_from_slice(&piece[..room]);
            self.cut = true;
        } else {
            self.bytes.extend_from_slice(piece);
        }
    }

    fn line(self, stream: LogStream) -> LogLine {
        let mut bytes = self.bytes;
        while bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
        let text = match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        LogLine {
            ts: self.ts,
            stream,
            task: self.task,
            node: self.node,
            text,
            cut: self.cut,
        }
    }
}

/// Turns what the transport delivers into lines (see the module's docs).
#[derive(Debug, Clone, Default)]
pub struct Splitter {
    details: bool,
    /// A line begun and not ended, per stream (stdout, stderr).
    partial: [Option<Partial>; 2],
    /// Raw bytes after the last newline (a TTY).
    raw: Vec<u8>,
}

fn slot(stream: LogStream) -> usize {
    match stream {
        LogStream::Stdout => 0,
        LogStream::Stderr => 1,
    }
}

impl Splitter {
    /// `details`: whether the messages carry attributes (asked with `details=true`).
    pub fn new(details: bool) -> Self {
        Splitter {
            details,
            ..Default::default()
        }
    }

    /// Take a chunk; the lines it ends go to `out`.
    pub fn push(&mut self, chunk: Chunk<'_>, out: &mut Vec<LogLine>) {
        match chunk {
            Chunk::Message(stream, msg) => self.message(stream, msg, out),
            Chunk::Raw(bytes) => self.raw(bytes, out),
        }
    }

    fn message(&mut self, stream: LogStream, msg: &[u8], out: &mut Vec<LogLine>) {
        let h = parse_header(msg, self.details);
        let slot = &mut self.partial[slot(stream)];
        let mut pieces = h.rest.split(|b| *b == b'\n').peekable();
        while let Some(piece) = pieces.next() {
            let last = pieces.peek().is_none();
            if last && piece.is_empty() {
                break;
            }
            // a continued line keeps the header of the message that began it
            let mut p = slot.take().unwrap_or_else(|| Partial::new(&h));
            p.add(piece);
            if last {
                *slot = Some(p);
            } else {
                out.push(p.line(stream));
            }
        }
    }

    fn raw(&mut self, bytes: &[u8], out: &mut Vec<LogLine>) {
        self.raw.extend_from_slice(bytes);
        while let Some(at) = self.raw.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.raw.drain(..=at).collect();
            self.raw_line(&line[..line.len() - 1], out);
        }
        // a TTY line with no end in sight: a cut line; what follows is the next one
        if self.raw.len() > MAX_LINE + 64 {
            let line = std::mem::take(&mut self.raw);
            self.raw_line(&line, out);
        }
    }

    fn raw_line(&mut self, line: &[u8], out: &mut Vec<LogLine>) {
        let h = parse_header(line, self.details);
        let mut p = Partial::new(&h);
        p.add(h.rest);
        out.push(p.line(LogStream::Stdout));
    }

    /// The stream ended: what was begun becomes a line.
    pub fn finish(&mut self, out: &mut Vec<LogLine>) {
        for (i, stream) in [LogStream::Stdout, LogStream::Stderr]
            .into_iter()
            .enumerate()
        {
            if let Some(p) = self.partial[i].take() {
                out.push(p.line(stream));
            }
        }
        if !self.raw.is_empty() {
            let line = std::mem::take(&mut self.raw);
            self.raw_line(&line, out);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const TS: &str = "2026-12-02T01:58:04.695409314Z";
    const ATTRS: &str = "com.docker.swarm.node.id=ml09ebuhzg3p,com.docker.swarm.service.id=ssj0fhw83w29,com.docker.swarm.task.id=n450yk657swg";

    fn msg(text: &str) -> Vec<u8> {
        format!("{TS} {ATTRS} {text}").into_bytes()
    }

    #[test]
    fn the_header_gives_the_time_task_and_node() {
        let m = msg("line 8\n");
        let h = parse_header(&m, true);
        assert_eq!(h.ts, Some(TS.parse().unwrap()));
        assert_eq!(h.task, Some("n450yk657swg"));
        assert_eq!(h.node, Some("ml09ebuhzg3p"));
        assert_eq!(h.rest, b"line 8\n");
        // nanoseconds are kept, and other zones are read too
        let ts = parse_header(b"2026-12-02T02:58:04.000000001+01:00 x", false)
            .ts
            .unwrap();
        assert_eq!(ts, "2026-12-02T01:58:04.000000001Z".parse().unwrap());
        // without details the text starts after the time
        let h = parse_header(b"2026-12-02T01:58:04Z a=b hello", false);
        assert_eq!(h.rest, b"a=b hello");
        // no attributes at all: two spaces
        let two = format!("{TS}  hello");
        let h = parse_header(two.as_bytes(), true);
        assert_eq!((h.task, h.rest), (None, &b"hello"[..]));
        // a word that is not attributes is text
        let text = format!("{TS} hello world");
        let h = parse_header(text.as_bytes(), true);
        assert_eq!(h.rest, b"hello world");
        // no timestamp: all text
        let h = parse_header(b"not a time at all", true);
        assert_eq!((h.ts, h.rest), (None, &b"not a time at all"[..]));
        assert_eq!(parse_header(b"", true).rest, b"");
    }

    #[test]
    fn a_line_split_across_messages_is_joined_with_its_first_header() {
        let mut s = Splitter::new(true);
        let mut out = Vec::new();
        s.push(
            Chunk::Message(LogStream::Stdout, &msg("first half, ")),
            &mut out,
        );
        assert!(out.is_empty(), "not ended yet");
        // stderr in between is its own line
        s.push(Chunk::Message(LogStream::Stderr, &msg("oops\n")), &mut out);
        let later = b"2026-12-02T01:58:05Z com.docker.swarm.task.id=other second half\r\n";
        s.push(Chunk::Message(LogStream::Stdout, later), &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].stream, LogStream::Stderr);
        assert_eq!(out[0].text, "oops");
        assert_eq!(out[1].text, "first half, second half");
        assert_eq!(
            out[1].ts,
            Some(TS.parse().unwrap()),
            "the first part's time"
        );
        assert_eq!(out[1].task, Some(TaskId::from("n450yk657swg")));
        assert!(!out[1].cut);
        // an empty line is a line
        s.push(Chunk::Message(LogStream::Stdout, &msg("\n")), &mut out);
        assert_eq!(out[2].text, "");
        // what is left when the stream ends is a line
        s.push(
            Chunk::Message(LogStream::Stdout, &msg("no newline")),
            &mut out,
        );
        s.finish(&mut out);
        assert_eq!(out[3].text, "no newline");
        assert_eq!(out.len(), 4);
    }

    #[test]
    fn raw_bytes_are_split_at_newlines_anywhere() {
        let mut s = Splitter::new(true);
        let mut out = Vec::new();
        let all = [msg("one\r\n"), msg("two\n"), msg("three")].concat();
        for part in all.chunks(7) {
            s.push(Chunk::Raw(part), &mut out);
        }
        assert_eq!(out.len(), 2);
        s.finish(&mut out);
        let texts: Vec<&str> = out.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["one", "two", "three"]);
        assert!(out.iter().all(|l| l.task.is_some() && l.ts.is_some()));
    }

    #[test]
    fn long_lines_are_cut_and_marked() {
        let mut s = Splitter::new(false);
        let mut out = Vec::new();
        let big = "x".repeat(MAX_LINE);
        // three messages of one line, 3 × 16 KiB
        for end in ["", "", "\n"] {
            let m = format!("{TS} {big}{end}");
            s.push(Chunk::Message(LogStream::Stdout, m.as_bytes()), &mut out);
        }
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].text.len(), MAX_LINE);
        assert!(out[0].cut);
        // bytes that are not UTF-8 are replaced, never an error
        let m = [format!("{TS} ").into_bytes(), vec![0xff, b'a', b'\n']].concat();
        s.push(Chunk::Message(LogStream::Stdout, &m), &mut out);
        assert_eq!(out[1].text, "\u{fffd}a");
        // a TTY that never ends its line is cut too
        let mut s = Splitter::new(false);
        let mut out = Vec::new();
        s.push(Chunk::Raw(format!("{TS} ").as_bytes()), &mut out);
        for _ in 0..3 {
            s.push(Chunk::Raw(big.as_bytes()), &mut out);
        }
        assert!(!out.is_empty() && out.iter().all(|l| l.text.len() <= MAX_LINE));
        assert!(out[0].cut);
    }
}
