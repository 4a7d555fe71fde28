//! The real binary in a real terminal: a tmux session, its screen, keys.

use std::process::Command;
use std::time::Duration;

/// A detached tmux session running one command line, read with `capture-pane`.
pub struct Tmux {
    pub session: String,
}

impl Tmux {
    /// A `w` × `h` session typing `cmd` into its shell.
    pub fn start(cmd: &str, w: u16, h: u16) -> Self {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let session = format!("swarmdeck-test-{}-{n}", std::process::id());
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &session])
            .output();
        let ok = Command::new("tmux")
            .args([
                "new-session",
                "-d",
                "-s",
                &session,
                "-x",
                &w.to_string(),
                "-y",
                &h.to_string(),
            ])
            .env("TERM", "xterm-256color")
            .status()
            .expect("tmux is installed (the lab script installs it)")
            .success();
        assert!(ok, "tmux new-session failed");
        let t = Tmux { session };
        t.send(&[cmd, "Enter"]);
        t
    }
    /// Keys as tmux names them (`Enter`, `C-s`, `Escape`) or text.
    pub fn send(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.session];
        args.extend_from_slice(keys);
        assert!(
            Command::new("tmux")
                .args(&args)
                .status()
                .expect("tmux send-keys")
                .success()
        );
    }
    pub fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.session])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
    /// Poll the screen (60 s) until `f` holds; panic with the screen otherwise.
    pub fn wait_screen(&self, what: &str, f: impl Fn(&str) -> bool) -> String {
        let mut last = String::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while std::time::Instant::now() < deadline {
            last = self.screen();
            if f(&last) {
                return last;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("timed out waiting for {what}; screen:\n{last}");
    }
    /// The process id of what runs in the pane's shell now (the dashboard), if anything.
    pub fn child_pid(&self) -> Option<u32> {
        let out = Command::new("tmux")
            .args(["display-message", "-p", "-t", &self.session, "#{pane_pid}"])
            .output()
            .ok()?;
        let shell = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let out = Command::new("pgrep").args(["-P", &shell]).output().ok()?;
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .and_then(|l| l.trim().parse().ok())
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.session])
            .output();
    }
}

/// The line `echo PREFIX$?` printed (PREFIX and digits), not the command line that typed it,
/// which may wrap so that a line starts with `PREFIX$?`.
pub fn exit_line(screen: &str, prefix: &str) -> Option<String> {
    screen
        .lines()
        .map(str::trim)
        .find(|l| {
            l.strip_prefix(prefix)
                .is_some_and(|code| !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit()))
        })
        .map(str::to_owned)
}
