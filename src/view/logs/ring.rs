//! The logs view's model, pure: the ring of lines (bounded, numbered), what was seen last of
//! each task's stream (to resume a stream with no line missing or doubled), the search, the
//! times as shown, and the file a save writes.

use std::collections::{HashMap, VecDeque};
use std::ops::Range;

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// One line held: its time, stderr or not, where it came from (an index into the view's
/// sources) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub ts: Option<Timestamp>,
    pub err: bool,
    pub src: u32,
    pub text: Box<str>,
    /// The line was cut at the engine's bound.
    pub cut: bool,
}

/// The lines held, oldest first, at most `cap`: a new line past it lets the oldest go. Every
/// line has a number that never changes (the first line of a window is 0), so a position
/// survives the lines that leave.
#[derive(Debug, Clone)]
pub struct Ring {
    lines: VecDeque<Entry>,
    cap: usize,
    /// The number of `lines[0]`.
    first: u64,
}

impl Ring {
    pub fn new(cap: usize) -> Self {
        Ring {
            lines: VecDeque::new(),
            cap: cap.max(1),
            first: 0,
        }
    }

    pub fn cap(&self) -> usize {
        self.cap
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The number of the oldest line held.
    pub fn first(&self) -> u64 {
        self.first
    }

    /// One past the number of the newest line.
    pub fn end(&self) -> u64 {
        self.first + self.lines.len() as u64
    }

    /// How many lines have left the ring.
    pub fn dropped(&self) -> u64 {
        self.first
    }

    /// Add a line; whether the oldest one left to make room.
    pub fn push(&mut self, e: Entry) -> bool {
        self.lines.push_back(e);
        if self.lines.len() > self.cap {
            self.lines.pop_front();
            self.first += 1;
            return true;
        }
        false
    }

    /// Line number `n`, if it is held.
    pub fn get(&self, n: u64) -> Option<&Entry> {
        let i = n.checked_sub(self.first)?;
        self.lines.get(usize::try_from(i).ok()?)
    }

    /// The lines `range` (numbers), those held.
    pub fn range(&self, range: Range<u64>) -> impl DoubleEndedIterator<Item = (u64, &Entry)> {
        let a = range.start.clamp(self.first, self.end());
        let b = range.end.clamp(a, self.end());
        let i = (a - self.first) as usize;
        let j = (b - self.first) as usize;
        self.lines
            .range(i..j)
            .enumerate()
            .map(move |(k, e)| (a + k as u64, e))
    }

    /// Every line, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Entry> {
        self.lines.iter()
    }

    /// Forget every line; the numbers go on (a late position points at nothing).
    pub fn clear(&mut self) {
        self.first = self.end();
        self.lines.clear();
    }
}

/// At most this many lines of one stream at one instant are remembered to tell a resumed
/// line from a new one (one is the rule: nanoseconds).
const SAME_INSTANT: usize = 256;

/// A stream of one source (a task, or "unknown") and one output (stdout or stderr).
pub type Key = (u32, bool);

/// What was seen last of one key.
#[derive(Debug, Clone, Default)]
struct Last {
    ts: Option<Timestamp>,
    /// The lines seen at exactly `ts`.
    at: Vec<Box<str>>,
    /// While a resumed stream catches up: the lines at `ts` not yet seen again.
    resume: Option<Vec<Box<str>>>,
}

/// What was seen last of every task's stdout and stderr, to resume a stream that ended.
///
/// The engine's `since` is inclusive, and a service's tasks run on several nodes whose lines
/// do not arrive in time order; but the lines of one task's stdout (or stderr) do, as its
/// node wrote them. So a resumed stream starts at the earliest of the keys' last times (of
/// the keys heard from in the last minute before the newest), and for each key, until it
/// passes its last time: a line older than that was seen (dropped), one at that very
/// instant is dropped only when it is one of the lines seen at that instant (each once), and
/// anything else is new. Nothing is missing, nothing doubled.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    last: HashMap<Key, Last>,
}

/// Keys whose last line is older than the newest by more than this do not hold a resume back.
const QUIET: jiff::SignedDuration = jiff::SignedDuration::from_secs(60);

impl Seen {
    /// A line arrived: whether it is new (and then it is remembered).
    pub fn take(&mut self, key: Key, ts: Option<Timestamp>, text: &str) -> bool {
        let Some(ts) = ts else {
            // no time: nothing to compare with; kept
            return true;
        };
        let last = self.last.entry(key).or_default();
        if let (Some(resume), Some(lts)) = (&mut last.resume, last.ts) {
            if ts < lts {
                return false;
            }
            if ts == lts {
                if let Some(i) = resume.iter().position(|t| &**t == text) {
                    resume.swap_remove(i);
                    return false;
                }
            } else {
                // caught up: from here on every line is new
                last.resume = None;
            }
        }
        match last.ts {
            Some(lts) if ts < lts => {} // out of order in a live stream: kept, not remembered
            Some(lts) if ts == lts => {
                if last.at.len() < SAME_INSTANT {
                    last.at.push(text.into());
                }
            }
            _ => {
                last.ts = Some(ts);
                last.at.clear();
                last.at.push(text.into());
            }
        }
        true
    }

    /// A new stream takes over from the one that ended: from when to ask for lines (None:
    /// nothing was seen, start as the window says), each key dropping what it has seen.
    pub fn resume(&mut self) -> Option<Timestamp> {
        let newest = self.last.values().filter_map(|l| l.ts).max()?;
        for l in self.last.values_mut() {
            l.resume = Some(l.at.clone());
        }
        self.last
            .values()
            .filter_map(|l| l.ts)
            .filter(|ts| *ts >= newest - QUIET)
            .min()
    }

    pub fn clear(&mut self) {
        self.last.clear();
    }
}

/// Whether a search is case-blind: when the query has no capital (as in less and vim).
pub fn folds(query: &str) -> bool {
    !query.chars().any(char::is_uppercase)
}

/// Where `needle` is in `hay` (byte ranges, not overlapping), ignoring ASCII case when `fold`.
pub fn find_all(hay: &str, needle: &str, fold: bool) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    if needle.is_empty() || needle.len() > hay.len() {
        return out;
    }
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    let mut i = 0;
    while i + n.len() <= h.len() {
        let here = &h[i..i + n.len()];
        let hit = if fold {
            here.eq_ignore_ascii_case(n)
        } else {
            here == n
        };
        // a hit starts on a character; it ends on one because the needle is whole UTF-8
        if hit && hay.is_char_boundary(i) {
            out.push(i..i + n.len());
            i += n.len();
        } else {
            i += 1;
        }
    }
    out
}

/// Whether `hay` holds `needle` (see [`find_all`]).
pub fn matches(hay: &str, needle: &str, fold: bool) -> bool {
    if needle.is_empty() {
        return false;
    }
    if !fold {
        return hay.contains(needle);
    }
    let n = needle.as_bytes();
    hay.as_bytes()
        .windows(n.len())
        .any(|w| w.eq_ignore_ascii_case(n))
}

/// A line's time as shown: local `HH:MM:SS.mmm`.
pub fn clock(ts: Timestamp, tz: &TimeZone) -> String {
    ts.to_zoned(tz.clone()).strftime("%H:%M:%S%.3f").to_string()
}

/// A line as a save writes it: the time (RFC 3339, UTC, nanoseconds), where it came from,
/// `out` or `err`, the text.
pub fn saved_line(e: &Entry, source: &str) -> String {
    let ts = e.ts.map_or_else(|| "-".to_string(), |t| t.to_string());
    let source = if source.is_empty() { "-" } else { source };
    let stream = if e.err { "err" } else { "out" };
    let cut = if e.cut { " [cut]" } else { "" };
    format!("{ts} {source} {stream} {}{cut}", e.text)
}

/// Write `lines` to a new file at `path` (never over an existing one; readable by its owner
/// only: logs may hold what others should not read); how many lines were written.
pub fn save<'a>(
    path: &std::path::Path,
    lines: impl Iterator<Item = String> + 'a,
) -> std::io::Result<usize> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let file = o.open(path)?;
    let mut w = std::io::BufWriter::new(file);
    let mut n = 0;
    let written = (|| {
        for l in lines {
            w.write_all(l.as_bytes())?;
            w.write_all(b"\n")?;
            n += 1;
        }
        w.flush()?;
        w.get_ref().sync_all()
    })();
    match written {
        Ok(()) => Ok(n),
        Err(e) => {
            // the file this call made, half written, is not left behind
            drop(w);
            let _ = std::fs::remove_file(path);
            Err(e)
        }
    }
}

/// A path as typed: `~/` is the home directory.
pub fn expand(path: &str) -> std::path::PathBuf {
    if let Some(rest) = path.strip_prefix("~/")
        && let Some(home) = directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf())
    {
        return home.join(rest);
    }
    std::path::PathBuf::from(path)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn e(text: &str) -> Entry {
        Entry {
            ts: None,
            err: false,
            src: 0,
            text: text.into(),
            cut: false,
        }
    }

    fn t(s: i64, ns: i32) -> Option<Timestamp> {
        Some(Timestamp::new(1_800_000_000 + s, ns).unwrap())
    }

    #[test]
    fn the_ring_keeps_the_newest_and_numbers_never_change() {
        let mut r = Ring::new(3);
        assert!(r.is_empty());
        for i in 0..5 {
            let dropped = r.push(e(&format!("l{i}")));
            assert_eq!(dropped, i >= 3);
        }
        assert_eq!((r.len(), r.first(), r.end(), r.dropped()), (3, 2, 5, 2));
        assert_eq!(r.get(1), None, "gone");
        assert_eq!(&*r.get(2).unwrap().text, "l2");
        assert_eq!(&*r.get(4).unwrap().text, "l4");
        assert_eq!(r.get(5), None);
        let got: Vec<(u64, &str)> = r.range(0..10).map(|(n, e)| (n, &*e.text)).collect();
        assert_eq!(got, [(2, "l2"), (3, "l3"), (4, "l4")]);
        let back: Vec<u64> = r.range(3..5).rev().map(|(n, _)| n).collect();
        assert_eq!(back, [4, 3]);
        assert_eq!(r.range(7..9).count(), 0);
        #[allow(clippy::reversed_empty_ranges)]
        let backwards = 4..2;
        assert_eq!(r.range(backwards).count(), 0);
        r.clear();
        assert!(r.is_empty());
        assert_eq!((r.first(), r.end()), (5, 5), "numbers go on");
        r.push(e("x"));
        assert_eq!(&*r.get(5).unwrap().text, "x");
        assert_eq!(Ring::new(0).cap(), 1);
    }

    #[test]
    fn a_resumed_stream_drops_exactly_what_was_seen() {
        let mut s = Seen::default();
        assert_eq!(s.resume(), None, "nothing seen: start as the window says");
        let a = (0, false);
        let b = (1, false);
        let a_err = (0, true);
        // task a: lines 1..3, two of them at the same instant; task b: one line, later
        assert!(s.take(a, t(1, 0), "a1"));
        assert!(s.take(a, t(2, 5), "a2"));
        assert!(s.take(a, t(2, 5), "a2 twin"));
        assert!(s.take(a_err, t(2, 0), "oops"));
        assert!(s.take(b, t(3, 0), "b1"));
        // the stream ends; the resume starts at the earliest last time of a key
        assert_eq!(s.resume(), t(2, 0));
        // the engine sends again from there: a's older line, both twins, then new ones
        assert!(!s.take(a, t(1, 0), "a1"), "older than a's last: seen");
        assert!(!s.take(a, t(2, 5), "a2 twin"));
        assert!(
            s.take(a, t(2, 5), "a2 third"),
            "same instant, not seen: new"
        );
        assert!(!s.take(a, t(2, 5), "a2"));
        assert!(!s.take(a_err, t(2, 0), "oops"));
        assert!(!s.take(b, t(3, 0), "b1"));
        assert!(
            s.take(b, t(3, 0), "b1"),
            "a second identical line at that instant is new"
        );
        assert!(s.take(a, t(4, 0), "a3"), "newer: new");
        // caught up: a line that is out of order afterwards is kept, not taken for old
        assert!(s.take(a, t(3, 0), "late"));
        // lines without a time cannot be compared: kept
        assert!(s.take(a, None, "a1"));
        s.clear();
        assert_eq!(s.resume(), None);
    }

    #[test]
    fn a_key_quiet_for_long_does_not_hold_the_resume_back() {
        let mut s = Seen::default();
        assert!(s.take((0, false), t(0, 0), "old task"));
        assert!(s.take((1, false), t(600, 0), "busy task"));
        assert_eq!(s.resume(), t(600, 0));
        // what the quiet key sends again (nothing new) is still told apart
        assert!(!s.take((0, false), t(0, 0), "old task"));
        assert!(s.take((1, false), t(601, 0), "new"));
    }

    #[test]
    fn search_is_case_blind_without_capitals() {
        assert!(folds("error"));
        assert!(!folds("Error"));
        assert_eq!(
            find_all("an ERROR, an error", "error", true),
            [3..8, 13..18]
        );
        assert_eq!(find_all("an ERROR, an error", "ERROR", false), vec![3..8]);
        assert_eq!(find_all("aaaa", "aa", true), [0..2, 2..4], "no overlaps");
        assert!(find_all("abc", "", true).is_empty());
        assert!(find_all("ab", "abc", true).is_empty());
        // multibyte text: ranges stay on characters
        assert_eq!(find_all("héllo wörld", "wö", true), vec![7..10]);
        assert_eq!(find_all("ÉÉ", "é", true), Vec::<Range<usize>>::new());
        assert!(matches("GET /health 500", "500", true));
        assert!(matches("Timeout", "timeout", true));
        assert!(!matches("Timeout", "TIMEOUT", false));
        assert!(!matches("x", "", true));
    }

    #[test]
    fn times_are_local_with_milliseconds() {
        let ts: Timestamp = "2026-12-02T01:58:04.695409314Z".parse().unwrap();
        assert_eq!(clock(ts, &TimeZone::UTC), "01:58:04.695");
        let paris = TimeZone::get("Europe/Paris").unwrap_or(TimeZone::fixed(jiff::tz::offset(1)));
        assert_eq!(clock(ts, &paris), "02:58:04.695");
        let mut line = e("hello");
        line.ts = Some(ts);
        line.err = true;
        assert_eq!(
            saved_line(&line, "api.1@node2"),
            "2026-12-02T01:58:04.695409314Z api.1@node2 err hello"
        );
        line.ts = None;
        line.cut = true;
        assert_eq!(saved_line(&line, ""), "- - err hello [cut]");
    }

    #[test]
    fn a_save_writes_a_new_file_and_never_over_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.log");
        let n = save(&path, ["a".to_string(), "b".to_string()].into_iter()).unwrap();
        assert_eq!(n, 2);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a\nb\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let e = save(&path, std::iter::once("c".to_string())).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "a\nb\n",
            "unchanged"
        );
        let e = save(&dir.path().join("no/such/dir.log"), std::iter::empty()).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
        assert_eq!(expand("/tmp/x"), std::path::PathBuf::from("/tmp/x"));
        assert!(!expand("~/x.log").starts_with("~"));
    }
}
