//! The event timeline's file: `<XDG state dir>/swarmdeck/events.jsonl`, one
//! [`Event`] per JSON line, appended off the UI task by a thread ([`Writer`]). When a batch
//! would take it past [`MAX_BYTES`] it is renamed to `events.jsonl.1` (replacing the one
//! before) and a new file begun. At start the last [`LOAD`] events are read back
//! ([`read_tail`]), so a restarted dashboard still tells the story. Unlike the rest of
//! `health`, this module does I/O.

use std::fs::File;
use std::io::{self, ErrorKind, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;

use super::timeline::Event;

/// The file is rotated before it grows past this.
pub const MAX_BYTES: u64 = 5 * 1024 * 1024;
/// How many events of an earlier session are read back at start.
pub const LOAD: usize = 200;
/// How much of the file's end is read for them (an event line is ~150 bytes).
const TAIL_BYTES: u64 = 512 * 1024;

/// `<XDG state dir>/swarmdeck/events.jsonl` for the local socket, `events-<hash>.jsonl`
/// for any other first endpoint (one file per cluster watched, so a dashboard restarted on
/// one cluster does not tell another's story); None when there is no home directory.
pub fn default_path(endpoint: &str) -> Option<PathBuf> {
    crate::config::state_dir().map(|d| d.join(file_name(endpoint)))
}

/// The file's name for a dashboard whose first endpoint is `endpoint`.
pub fn file_name(endpoint: &str) -> String {
    if endpoint.is_empty() || endpoint == crate::engine::connect::DEFAULT_SOCKET {
        "events.jsonl".to_string()
    } else {
        let hash = crate::gconfig::sha256_hex(endpoint.as_bytes());
        format!("events-{}.jsonl", &hash[..12])
    }
}

/// Where a full file goes: `events.jsonl.1`.
pub fn rotated(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".1");
    PathBuf::from(name)
}

/// Append a batch as JSON lines (one write), first rotating the file when the batch would
/// take it past `max`. Directories are made 0700, the file 0600.
pub fn append(path: &Path, events: &[Event], max: u64) -> io::Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let mut text = String::new();
    for ev in events {
        text.push_str(&serde_json::to_string(ev).map_err(io::Error::other)?);
        text.push('\n');
    }
    match std::fs::metadata(path) {
        Ok(m) if m.len() > 0 && m.len() + text.len() as u64 > max => {
            std::fs::rename(path, rotated(path))?;
        }
        Ok(_) => {}
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    crate::audit::append_private(path, &text)
}

/// The last `n` events of the file, oldest first, read from its end only. A missing file has
/// none; unreadable lines (a torn last line, another version's kind) are skipped.
pub fn read_tail(path: &Path, n: usize) -> io::Result<Vec<Event>> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let len = file.metadata()?.len();
    let start = len.saturating_sub(TAIL_BYTES);
    file.seek(SeekFrom::Start(start))?;
    let mut buf = Vec::new();
    file.take(TAIL_BYTES).read_to_end(&mut buf)?;
    let mut text = String::from_utf8_lossy(&buf);
    if start > 0 {
        // the first line was cut by where the read began
        let cut = text.find('\n').map_or(text.len(), |i| i + 1);
        text = text[cut..].to_string().into();
    }
    let events: Vec<Event> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l.trim()).ok())
        .collect();
    let skip = events.len().saturating_sub(n);
    Ok(events.into_iter().skip(skip).collect())
}

/// The writer thread: batches go in through a channel and are appended in order; a failure
/// comes back once (until a write succeeds again), not once per event.
pub struct Writer {
    tx: Option<mpsc::Sender<Vec<Event>>>,
    errors: mpsc::Receiver<String>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    /// Start the thread appending to `path` (rotated at [`MAX_BYTES`]).
    pub fn spawn(path: PathBuf) -> io::Result<Writer> {
        Writer::spawn_with(path, MAX_BYTES)
    }

    /// Start the thread, rotating at `max` bytes.
    pub fn spawn_with(path: PathBuf, max: u64) -> io::Result<Writer> {
        let (tx, rx) = mpsc::channel::<Vec<Event>>();
        let (etx, errors) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("swarmdeck-events".into())
            .spawn(move || {
                let mut failing = false;
                for batch in rx {
                    match append(&path, &batch, max) {
                        Ok(()) => failing = false,
                        Err(e) => {
                            if !failing {
                                let _ = etx.send(format!(
                                    "cannot write the event timeline to {}: {e} (kept in memory only)",
                                    path.display()
                                ));
                            }
                            failing = true;
                        }
                    }
                }
            })?;
        Ok(Writer {
            tx: Some(tx),
            errors,
            thread: Some(thread),
        })
    }

    /// Queue a batch (never blocks).
    pub fn write(&self, batch: Vec<Event>) {
        if let (false, Some(tx)) = (batch.is_empty(), &self.tx) {
            let _ = tx.send(batch);
        }
    }

    /// A write failure not yet told.
    pub fn error(&self) -> Option<String> {
        self.errors.try_recv().ok()
    }

    /// Wait until everything queued is written; the failures not yet told.
    pub fn finish(mut self) -> Vec<String> {
        self.close();
        self.errors.try_iter().collect()
    }

    fn close(&mut self) {
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Writer {
    /// What was queued is written before the dashboard ends.
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::os::unix::fs::MetadataExt;

    use super::*;
    use crate::health::timeline::{Kind, Severity};

    fn ev(i: usize) -> Event {
        Event::new(
            jiff::Timestamp::from_second(1_767_225_600 + i as i64).unwrap(),
            Kind::Node,
            Severity::Critical,
            "node2",
            format!("node2 down (the engine: heartbeat failure) #{i}"),
        )
    }

    #[test]
    fn one_file_per_cluster() {
        assert_eq!(file_name("unix:///var/run/docker.sock"), "events.jsonl");
        let a = file_name("ssh://admin@manager-1");
        assert!(
            a.starts_with("events-") && a.ends_with(".jsonl") && a.len() == 25,
            "{a}"
        );
        assert_ne!(a, file_name("ssh://admin@manager-2"));
    }

    #[test]
    fn the_writer_appends_lines_that_parse_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/swarmdeck/events.jsonl");
        let w = Writer::spawn(path.clone()).unwrap();
        w.write((0..3).map(ev).collect());
        w.write(Vec::new());
        w.write(vec![ev(3)]);
        assert_eq!(w.finish(), Vec::<String>::new());
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 4, "one line per event:\n{text}");
        let back: Vec<Event> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(back, (0..4).map(ev).collect::<Vec<_>>());
        assert!(
            text.contains(r#""kind":"node","severity":"critical""#),
            "{text}"
        );
        assert_eq!(std::fs::metadata(&path).unwrap().mode() & 0o777, 0o600);
        assert_eq!(
            read_tail(&path, 2).unwrap(),
            vec![ev(2), ev(3)],
            "oldest first"
        );
        assert_eq!(read_tail(&dir.path().join("none"), 2).unwrap(), vec![]);
    }

    #[test]
    fn a_full_file_is_rotated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        let line = serde_json::to_string(&ev(0)).unwrap().len() as u64 + 1;
        // room for three lines
        let max = line * 3 + 1;
        append(&path, &[ev(0), ev(1)], max).unwrap();
        append(&path, &[ev(2)], max).unwrap();
        assert!(!rotated(&path).exists(), "three lines fit");
        append(&path, &[ev(3)], max).unwrap();
        assert_eq!(rotated(&path), dir.path().join("events.jsonl.1"));
        let old = std::fs::read_to_string(rotated(&path)).unwrap();
        assert_eq!(old.lines().count(), 3);
        let new = std::fs::read_to_string(&path).unwrap();
        assert_eq!(new.lines().count(), 1, "a new file begun");
        for i in 4..7 {
            append(&path, &[ev(i)], max).unwrap();
        }
        let old = std::fs::read_to_string(rotated(&path)).unwrap();
        assert!(
            old.contains("#3") && !old.contains("#0"),
            "the old .1 replaced"
        );
        assert_eq!(read_tail(&path, 10).unwrap(), vec![ev(6)]);
    }

    #[test]
    fn a_write_failure_is_told_once() {
        let dir = tempfile::tempdir().unwrap();
        // a directory where the file should be: every append fails
        let path = dir.path().join("events.jsonl");
        std::fs::create_dir(&path).unwrap();
        let w = Writer::spawn(path.clone()).unwrap();
        for i in 0..3 {
            w.write(vec![ev(i)]);
        }
        let told = w.finish();
        assert_eq!(told.len(), 1, "{told:?}");
        assert!(told[0].contains("events.jsonl"), "{}", told[0]);
    }

    #[test]
    fn the_tail_skips_a_cut_first_line_and_bad_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        let many: Vec<Event> = (0..5000).map(ev).collect();
        append(&path, &many, u64::MAX).unwrap();
        crate::audit::append_private(&path, "not json\n{\"at\":\"2026").unwrap();
        assert!(std::fs::metadata(&path).unwrap().len() > TAIL_BYTES);
        let tail = read_tail(&path, LOAD).unwrap();
        assert_eq!(tail.len(), LOAD);
        assert_eq!(tail.last(), Some(&ev(4999)));
        assert_eq!(tail[0], ev(4800));
    }
}
