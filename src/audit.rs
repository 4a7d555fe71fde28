//! The audit log: every write swarmdeck attempts (also refused and conflicting ones) is
//! appended as one JSON line to `<XDG data dir>/swarmdeck/audit.jsonl`.

use std::fs::{DirBuilder, OpenOptions};
use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine::write::{WriteError, WriteOutcome};

/// One attempted write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When, RFC 3339 UTC.
    pub time: String,
    /// `$USER`, else `$LOGNAME`, else `uid:N`.
    pub user: String,
    /// `$SSH_CLIENT`'s first field (the client address), if any.
    pub ssh_client: Option<String>,
    /// The engine endpoint the write went to.
    pub endpoint: String,
    /// "node" | "service" | "swarm" | "config" | "secret".
    pub kind: String,
    /// The object's id (for the swarm: its cluster id, when connected).
    pub id: String,
    pub name: String,
    /// e.g. "availability active → drain", "labels +zone=eu -old", "role worker → manager",
    /// "force-update", "scale 2 → 5".
    pub action: String,
    /// The spec before the write, as the engine sent it (null when the write did not get
    /// that far).
    pub before: serde_json::Value,
    /// The spec written (null when nothing was written).
    pub after: serde_json::Value,
    /// "ok", "no-op", "conflict: …", "error: …".
    pub result: String,
}

impl AuditEntry {
    /// The entry for one write's result, stamped now and with [`who`].
    pub fn for_write(
        endpoint: &str,
        kind: &str,
        id: &str,
        name: &str,
        action: &str,
        result: &Result<WriteOutcome, WriteError>,
    ) -> Self {
        let (user, ssh_client) = who();
        let (before, after) = match result {
            Ok(o) => (o.before.clone(), o.after.clone()),
            Err(_) => (serde_json::Value::Null, serde_json::Value::Null),
        };
        AuditEntry {
            time: jiff::Timestamp::now().to_string(),
            user,
            ssh_client,
            endpoint: endpoint.to_string(),
            kind: kind.to_string(),
            id: id.to_string(),
            name: name.to_string(),
            action: action.to_string(),
            before,
            after,
            result: result_text(result),
        }
    }
}

/// The `result` field for a write's result: "ok", "no-op", "conflict: …", "error: …".
pub fn result_text(result: &Result<WriteOutcome, WriteError>) -> String {
    match result {
        Ok(o) if o.noop => "no-op".into(),
        Ok(_) => "ok".into(),
        Err(WriteError::Conflict(text)) => format!("conflict: {text}"),
        Err(e) => format!("error: {e}"),
    }
}

/// `<XDG data dir>/swarmdeck/audit.jsonl` (None when there is no home directory).
pub fn default_path() -> Option<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "swarmdeck")?;
    Some(dirs.data_dir().join("audit.jsonl"))
}

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Who is writing: `$USER`, else `$LOGNAME`, else `uid:N`; and the SSH client address from
/// `$SSH_CLIENT` (its first field), if any.
pub fn who() -> (String, Option<String>) {
    let user = env_nonempty("USER")
        .or_else(|| env_nonempty("LOGNAME"))
        .unwrap_or_else(|| match std::fs::metadata("/proc/self") {
            Ok(m) => format!("uid:{}", m.uid()),
            Err(_) => "unknown".to_string(),
        });
    let ssh =
        env_nonempty("SSH_CLIENT").and_then(|v| v.split_whitespace().next().map(str::to_string));
    (user, ssh)
}

/// What was done to one object, for [`record`].
pub struct Done<'a> {
    pub endpoint: &'a str,
    /// "service", "config", …
    pub kind: &'a str,
    pub id: &'a str,
    pub name: &'a str,
    pub action: &'a str,
    pub after: serde_json::Value,
    pub result: &'a str,
}

/// Record what was done now, by whom, in the audit log at `path` (None: not recorded). Best
/// effort: a write is not undone because it cannot be recorded.
pub fn record(path: Option<&Path>, done: Done<'_>) {
    let Some(path) = path else { return };
    let (user, ssh_client) = who();
    let entry = AuditEntry {
        time: jiff::Timestamp::now().to_string(),
        user,
        ssh_client,
        endpoint: done.endpoint.to_string(),
        kind: done.kind.to_string(),
        id: done.id.to_string(),
        name: done.name.to_string(),
        action: done.action.to_string(),
        before: serde_json::Value::Null,
        after: done.after,
        result: done.result.to_string(),
    };
    let _ = append(path, &entry);
}

/// Append one entry as one line (creating the directories, and the file with mode 0600).
pub fn append(path: &Path, entry: &AuditEntry) -> std::io::Result<()> {
    let mut line = serde_json::to_string(entry).map_err(std::io::Error::other)?;
    line.push('\n');
    append_private(path, &line)
}

/// Append whole lines to a private file: the directories are created (0700), the file with
/// mode 0600, and `lines` goes out in one write, so with O_APPEND concurrent swarmdecks do
/// not interleave them. Also the event timeline's file (`health::eventlog`).
pub fn append_private(path: &Path, lines: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    }
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(lines.as_bytes())?;
    file.flush()?;
    file.sync_data()
}

/// The newest `n` entries, newest first, and how many lines could not be read (skipped).
/// A missing file is an empty log.
pub fn read_recent(path: &Path, n: usize) -> std::io::Result<(Vec<AuditEntry>, usize)> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(e) => return Err(e),
    };
    let mut reader = BufReader::new(file);
    let mut recent = std::collections::VecDeque::with_capacity(n.min(1024));
    let mut bad = 0;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        let line = String::from_utf8_lossy(&buf);
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match serde_json::from_str::<AuditEntry>(line) {
            Ok(entry) => {
                if n == 0 {
                    continue;
                }
                if recent.len() == n {
                    recent.pop_front();
                }
                recent.push_back(entry);
            }
            Err(_) => bad += 1,
        }
    }
    Ok((recent.into_iter().rev().collect(), bad))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(i: usize) -> AuditEntry {
        AuditEntry {
            time: format!("2026-01-01T00:00:{i:02}Z"),
            user: "alice".into(),
            ssh_client: Some("192.0.2.7".into()),
            endpoint: "unix:///var/run/docker.sock".into(),
            kind: "node".into(),
            id: format!("id{i}"),
            name: "node2".into(),
            action: "availability active → drain".into(),
            before: serde_json::json!({"Availability": "active"}),
            after: serde_json::json!({"Availability": "drain"}),
            result: "ok".into(),
        }
    }

    #[test]
    fn append_and_read_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/audit.jsonl");
        assert_eq!(read_recent(&path, 5).unwrap(), (vec![], 0), "no log yet");
        for i in 0..4 {
            append(&path, &entry(i)).unwrap();
        }
        let mode = std::fs::metadata(&path).unwrap().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 4, "one line per entry");

        let (all, bad) = read_recent(&path, 10).unwrap();
        assert_eq!(bad, 0);
        assert_eq!(all, (0..4).rev().map(entry).collect::<Vec<_>>());
        let (two, _) = read_recent(&path, 2).unwrap();
        assert_eq!(two, vec![entry(3), entry(2)], "newest first");
        assert_eq!(read_recent(&path, 0).unwrap(), (vec![], 0));
    }

    #[test]
    fn bad_lines_are_skipped_and_counted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        append(&path, &entry(1)).unwrap();
        {
            let mut f = OpenOptions::new().append(true).open(&path).unwrap();
            f.write_all(b"not json\n\n{\"time\":\"x\"}\n\xff\xfe\n")
                .unwrap();
        }
        append(&path, &entry(2)).unwrap();
        // a torn last line (crash mid-write)
        {
            let mut f = OpenOptions::new().append(true).open(&path).unwrap();
            f.write_all(b"{\"time\":\"2026").unwrap();
        }
        let (entries, bad) = read_recent(&path, 10).unwrap();
        assert_eq!(entries, vec![entry(2), entry(1)]);
        assert_eq!(bad, 4);
    }

    #[test]
    fn result_texts() {
        let ok = WriteOutcome {
            before: serde_json::Value::Null,
            after: serde_json::Value::Null,
            version: 1,
            attempts: 1,
            noop: false,
        };
        assert_eq!(result_text(&Ok(ok.clone())), "ok");
        assert_eq!(result_text(&Ok(WriteOutcome { noop: true, ..ok })), "no-op");
        assert_eq!(
            result_text(&Err(WriteError::Conflict("x changed".into()))),
            "conflict: x changed"
        );
        assert_eq!(
            result_text(&Err(WriteError::Refused("403: no".into()))),
            "error: the engine refused: 403: no"
        );
        let e = AuditEntry::for_write(
            "unix:///x",
            "node",
            "abc",
            "node2",
            "availability active → drain",
            &Err(WriteError::GaveUp(5)),
        );
        assert!(e.result.starts_with("error: still out of sequence"));
        assert!(e.time.ends_with('Z'), "{}", e.time);
        assert!(!e.user.is_empty());
    }

    #[test]
    fn default_path_ends_in_audit_jsonl() {
        if let Some(p) = default_path() {
            assert!(p.ends_with("swarmdeck/audit.jsonl"), "{}", p.display());
        }
    }
}
