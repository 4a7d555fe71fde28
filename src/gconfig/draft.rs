//! Drafts of the config editor: nothing typed is ever lost. The editor saves its buffer as a
//! draft while the user types (when [`Debounce`] says so); the next start offers the drafts an
//! SSH drop or a kill left behind, and a publish or an explicit discard removes them.
//!
//! One file per (endpoint, document): `<doc>.<hash>.json` in `<XDG state dir>/swarmdeck/drafts/`,
//! where `<hash>` is the start of the endpoint's sha256, so two clusters never share a draft.
//! A document may hold secrets: the folder is 0700, every file 0600, and a save is atomic (a
//! temp file in the same folder, fsync, rename), so a crash leaves the old draft or the new
//! one, never half of one.

use std::fs::{DirBuilder, File, Permissions};
use std::io::{self, ErrorKind, Write};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// An unpublished edit of one document on one cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    /// The document's name (`global`).
    pub doc: String,
    /// The endpoint of the cluster the document lives in (its canonical form).
    pub endpoint: String,
    /// The version the edit started from; `None` for a document that has no version yet.
    pub base: Option<u64>,
    /// The buffer as typed: not necessarily valid JSON.
    pub text: String,
    /// When it was saved.
    pub saved: jiff::Timestamp,
}

/// The drafts folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drafts {
    dir: PathBuf,
}

/// Hex digits of the endpoint's sha256 in a draft's file name.
const HASH_LEN: usize = 12;

impl Drafts {
    /// `<XDG state dir>/swarmdeck/drafts` ([`crate::config::state_dir`]).
    pub fn default_dir() -> Option<PathBuf> {
        Some(crate::config::state_dir()?.join("drafts"))
    }

    /// The drafts in `dir` (created, 0700, by the first save).
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        Drafts { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of the draft of `doc` on `endpoint`: the document's name (anything but
    /// letters, digits, `-` and `_` as `_`) and the start of the endpoint's sha256.
    pub fn path(&self, doc: &str, endpoint: &str) -> PathBuf {
        let mut name: String = doc
            .chars()
            .take(super::MAX_DOC_LEN)
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if name.is_empty() {
            name.push('_');
        }
        let hash = super::sha256_hex(endpoint.as_bytes());
        self.dir.join(format!("{name}.{}.json", &hash[..HASH_LEN]))
    }

    /// Write `draft` over the one of its (endpoint, document), atomically, with mode 0600.
    pub fn save(&self, draft: &Draft) -> io::Result<()> {
        self.make_dir()?;
        let json = serde_json::to_vec_pretty(draft).map_err(io::Error::other)?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".draft-")
            .suffix(".tmp")
            .permissions(Permissions::from_mode(0o600))
            .tempfile_in(&self.dir)?;
        tmp.write_all(&json)?;
        tmp.as_file().sync_all()?;
        tmp.persist(self.path(&draft.doc, &draft.endpoint))
            .map_err(|e| e.error)?;
        // the rename reaches the disk too
        File::open(&self.dir)?.sync_all()
    }

    /// The draft of `doc` on `endpoint`, if there is one. A file that cannot be read or is
    /// not a draft of that document is an error (naming the file); it is left in place.
    pub fn load(&self, doc: &str, endpoint: &str) -> io::Result<Option<Draft>> {
        let path = self.path(doc, endpoint);
        let draft = match read(&path) {
            Ok(d) => d,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        if draft.doc != doc || draft.endpoint != endpoint {
            return Err(io::Error::new(
                ErrorKind::InvalidData,
                format!(
                    "{}: holds a draft of {:?} on {:?}, not of {doc:?} on {endpoint:?}",
                    path.display(),
                    draft.doc,
                    draft.endpoint
                ),
            ));
        }
        Ok(Some(draft))
    }

    /// Every draft, newest first, and one problem per file that could not be read or is not a
    /// draft (`<file>: <why>`; file names and reasons are not made printable here). A folder
    /// that does not exist holds no drafts.
    pub fn list(&self) -> (Vec<Draft>, Vec<String>) {
        let mut drafts = Vec::new();
        let mut problems = Vec::new();
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == ErrorKind::NotFound => return (drafts, problems),
            Err(e) => {
                problems.push(format!("{}: {e}", self.dir.display()));
                return (drafts, problems);
            }
        };
        for entry in entries {
            let path = match entry {
                Ok(entry) => entry.path(),
                Err(e) => {
                    problems.push(format!("{}: {e}", self.dir.display()));
                    continue;
                }
            };
            let name = path.file_name().map(|n| n.to_string_lossy());
            // a save's temp file (left by a kill during a save) is not a draft
            if !name.is_some_and(|n| n.ends_with(".json") && !n.starts_with('.')) {
                continue;
            }
            match read(&path) {
                Ok(draft) => drafts.push(draft),
                Err(e) => problems.push(e.to_string()),
            }
        }
        drafts.sort_by(|a, b| {
            b.saved
                .cmp(&a.saved)
                .then_with(|| a.doc.cmp(&b.doc))
                .then_with(|| a.endpoint.cmp(&b.endpoint))
        });
        problems.sort();
        (drafts, problems)
    }

    /// Remove the draft of `doc` on `endpoint`; none is not an error.
    pub fn discard(&self, doc: &str, endpoint: &str) -> io::Result<()> {
        match std::fs::remove_file(self.path(doc, endpoint)) {
            Err(e) if e.kind() != ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Create the folder (0700), or make an existing one 0700.
    fn make_dir(&self) -> io::Result<()> {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)?;
        let perms = std::fs::metadata(&self.dir)?.permissions();
        if perms.mode() & 0o777 != 0o700 {
            std::fs::set_permissions(&self.dir, Permissions::from_mode(0o700))?;
        }
        Ok(())
    }
}

/// One draft file; every error names the file.
fn read(path: &Path) -> io::Result<Draft> {
    let named = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let bytes = std::fs::read(path).map_err(|e| io::Error::new(e.kind(), named(&e)))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        io::Error::new(
            ErrorKind::InvalidData,
            named(&format_args!("not a draft: {e}")),
        )
    })
}

/// When to save the buffer as a draft: after a pause in typing, and during constant typing at
/// least every [`Debounce::MAX_WAIT`]. Pure: the caller passes the time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Debounce {
    /// The first change not saved yet.
    first: Option<Instant>,
    /// The last change.
    last: Option<Instant>,
}

impl Debounce {
    /// A save is due this long after the last change…
    pub const QUIET: Duration = Duration::from_millis(500);
    /// …or this long after the first change not saved, whichever comes first.
    pub const MAX_WAIT: Duration = Duration::from_secs(2);

    /// The buffer changed at `now`.
    pub fn touch(&mut self, now: Instant) {
        self.first.get_or_insert(now);
        self.last = Some(now);
    }

    /// Whether there is a change not saved yet.
    pub fn pending(&self) -> bool {
        self.first.is_some()
    }

    /// When the next save is due (for the caller's timer); `None` when nothing changed.
    pub fn deadline(&self) -> Option<Instant> {
        let (first, last) = (self.first?, self.last?);
        Some((last + Self::QUIET).min(first + Self::MAX_WAIT))
    }

    /// Whether the buffer should be saved at `now`.
    pub fn due(&self, now: Instant) -> bool {
        self.deadline().is_some_and(|at| now >= at)
    }

    /// The buffer was saved: nothing is pending. After a failed save, do not call it: the save
    /// stays due.
    pub fn saved(&mut self) {
        *self = Debounce::default();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::os::unix::fs::MetadataExt;

    use super::*;

    const EP: &str = "ssh://admin@manager-1";

    fn draft(doc: &str, endpoint: &str, text: &str, secs: i64) -> Draft {
        Draft {
            doc: doc.into(),
            endpoint: endpoint.into(),
            base: Some(3),
            text: text.into(),
            saved: jiff::Timestamp::from_second(1_767_225_600 + secs).unwrap(),
        }
    }

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().mode() & 0o777
    }

    /// The files in the folder, sorted.
    fn files(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn round_trip() {
        let tmp = tempfile::tempdir().unwrap();
        let drafts = Drafts::at(tmp.path().join("state/drafts"));
        assert_eq!(drafts.load("global", EP).unwrap(), None, "no folder yet");
        assert_eq!(drafts.list(), (vec![], vec![]));

        let d = draft("global", EP, "{\"a\": 1,\n  \"b\": \"é\\u0000\"", 0);
        drafts.save(&d).unwrap();
        assert_eq!(drafts.load("global", EP).unwrap(), Some(d.clone()));
        assert_eq!(drafts.list(), (vec![d.clone()], vec![]));

        let new = Draft { base: None, ..d };
        drafts.save(&new).unwrap();
        assert_eq!(drafts.load("global", EP).unwrap(), Some(new));
    }

    #[test]
    fn a_save_replaces_the_file_atomically() {
        let tmp = tempfile::tempdir().unwrap();
        let drafts = Drafts::at(tmp.path());
        drafts.save(&draft("global", EP, "old", 0)).unwrap();
        let path = drafts.path("global", EP);
        let before = std::fs::metadata(&path).unwrap().ino();
        drafts.save(&draft("global", EP, "new", 1)).unwrap();
        // a new file renamed over the old one (an in-place write would keep the inode)
        assert_ne!(std::fs::metadata(&path).unwrap().ino(), before);
        assert_eq!(drafts.load("global", EP).unwrap().unwrap().text, "new");
        // no temp file is left behind, and the one file is the draft
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(files(tmp.path()), vec![name]);
    }

    #[test]
    fn files_are_private() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/drafts");
        let drafts = Drafts::at(&dir);
        drafts.save(&draft("global", EP, "{}", 0)).unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&drafts.path("global", EP)), 0o600);

        // a folder that exists with a wider mode is narrowed
        let wide = tmp.path().join("wide");
        std::fs::create_dir(&wide).unwrap();
        std::fs::set_permissions(&wide, Permissions::from_mode(0o755)).unwrap();
        let drafts = Drafts::at(&wide);
        drafts.save(&draft("global", EP, "{}", 0)).unwrap();
        assert_eq!(mode(&wide), 0o700);
        assert_eq!(mode(&drafts.path("global", EP)), 0o600);
    }

    #[test]
    fn a_corrupt_file_is_skipped_and_reported() {
        let tmp = tempfile::tempdir().unwrap();
        let drafts = Drafts::at(tmp.path());
        let good = draft("global", EP, "{}", 0);
        drafts.save(&good).unwrap();
        drafts.save(&draft("other", EP, "{}", 1)).unwrap();
        std::fs::write(drafts.path("other", EP), "{\"doc\": \"oth").unwrap();
        // a save's leftover temp file and anything not named .json are not drafts
        std::fs::write(tmp.path().join(".draft-x1.tmp"), "{").unwrap();
        std::fs::write(tmp.path().join("notes.txt"), "x").unwrap();

        let (list, problems) = drafts.list();
        assert_eq!(list, vec![good]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        let file = drafts.path("other", EP).display().to_string();
        assert!(
            problems[0].starts_with(&format!("{file}: not a draft: ")),
            "{problems:?}"
        );

        let e = drafts.load("other", EP).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidData);
        assert!(e.to_string().starts_with(&file), "{e}");
        assert!(
            drafts.path("other", EP).exists(),
            "a bad file is left for the user"
        );
        // saving over it repairs it
        drafts.save(&draft("other", EP, "[]", 2)).unwrap();
        assert_eq!(drafts.list().0.len(), 2);
    }

    #[test]
    fn two_endpoints_have_their_own_drafts() {
        let tmp = tempfile::tempdir().unwrap();
        let drafts = Drafts::at(tmp.path());
        let other = "tcp://10.0.0.2:2376";
        let a = draft("global", EP, "a", 0);
        let b = draft("global", other, "b", 5);
        drafts.save(&a).unwrap();
        drafts.save(&b).unwrap();
        assert_ne!(drafts.path("global", EP), drafts.path("global", other));
        assert_eq!(drafts.load("global", EP).unwrap(), Some(a.clone()));
        assert_eq!(drafts.load("global", other).unwrap(), Some(b.clone()));
        assert_eq!(drafts.list().0, vec![b, a], "newest first");
        assert_eq!(drafts.load("app", EP).unwrap(), None);

        // a file copied under another endpoint's name is not taken for that endpoint's draft
        std::fs::copy(
            drafts.path("global", EP),
            drafts.path("global", "unix:///x"),
        )
        .unwrap();
        let e = drafts.load("global", "unix:///x").unwrap_err();
        assert!(
            e.to_string().contains("holds a draft of \"global\" on"),
            "{e}"
        );
    }

    #[test]
    fn names_are_sanitised() {
        let drafts = Drafts::at("/d");
        let path = drafts.path("../a b/c", EP);
        assert_eq!(path.parent(), Some(Path::new("/d")));
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with("___a_b_c."), "{name}");
        assert!(name.ends_with(".json") && name.len() == "___a_b_c.".len() + 12 + 5);
        let empty = drafts.path("", EP);
        assert!(
            empty
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("_.")
        );
    }

    #[test]
    fn discard() {
        let tmp = tempfile::tempdir().unwrap();
        let drafts = Drafts::at(tmp.path());
        drafts.discard("global", EP).unwrap();
        drafts.save(&draft("global", EP, "{}", 0)).unwrap();
        drafts.save(&draft("app", EP, "{}", 0)).unwrap();
        drafts.discard("global", EP).unwrap();
        assert_eq!(drafts.load("global", EP).unwrap(), None);
        assert!(drafts.load("app", EP).unwrap().is_some(), "only that one");
        drafts.discard("global", EP).unwrap();
    }

    #[test]
    fn default_dir_is_under_the_state_dir() {
        if let Some(dir) = Drafts::default_dir() {
            assert!(dir.ends_with("swarmdeck/drafts"), "{}", dir.display());
        }
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn debounce_waits_for_a_pause() {
        let t0 = Instant::now();
        let mut d = Debounce::default();
        assert!(!d.pending() && !d.due(t0) && d.deadline().is_none());
        d.touch(t0);
        assert!(d.pending());
        assert!(!d.due(t0 + ms(499)));
        assert!(d.due(t0 + ms(500)));
        // another key moves the quiet deadline
        d.touch(t0 + ms(300));
        assert!(!d.due(t0 + ms(799)));
        assert!(d.due(t0 + ms(800)));
        assert_eq!(d.deadline(), Some(t0 + ms(800)));
        d.saved();
        assert!(!d.pending() && !d.due(t0 + ms(5000)));
    }

    #[test]
    fn debounce_saves_during_constant_typing() {
        let t0 = Instant::now();
        let mut d = Debounce::default();
        // a key every 100 ms: never a 500 ms pause, still due 2 s after the first
        let mut t = t0;
        while t < t0 + ms(2000) {
            d.touch(t);
            assert!(!d.due(t), "at {:?}", t - t0);
            t += ms(100);
        }
        assert!(d.due(t0 + ms(2000)));
        assert_eq!(d.deadline(), Some(t0 + ms(2000)));
        // after the save, the next 2 s count from the next change
        d.saved();
        d.touch(t0 + ms(2100));
        for i in 1..20 {
            d.touch(t0 + ms(2100 + i * 100));
        }
        assert!(!d.due(t0 + ms(4099)));
        assert!(d.due(t0 + ms(4100)));
    }

    #[test]
    fn a_failed_save_stays_due() {
        let t0 = Instant::now();
        let mut d = Debounce::default();
        d.touch(t0);
        assert!(d.due(t0 + ms(600)));
        // no saved(): still due later
        assert!(d.due(t0 + ms(10_000)));
    }
}
