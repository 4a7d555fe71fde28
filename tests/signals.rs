//! Signals to the real binary in a real terminal (tmux), no Docker needed: the endpoint
//! cannot connect, so the dashboard shows its connect-error screen. Whatever ends it, the
//! terminal is given back (raw mode off, main screen, cursor shown) and the exit status is
//! 128 + the signal's number, as for a process that signal killed.

use std::process::Command;
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(30);

/// A tmux server of its own (own socket, no config) with one pane running `sh`.
struct Pane {
    socket: String,
    target: String,
    /// Numbers the `stty` checks, so one never reads an earlier one's line.
    checks: std::cell::Cell<u32>,
}

impl Pane {
    fn start(name: &str) -> Self {
        let socket = format!("swarmdeck-sig-{}-{name}", std::process::id());
        let target = "t".to_string();
        let pane = Pane {
            socket,
            target,
            checks: Default::default(),
        };
        let _ = pane.tmux(&["kill-server"]);
        // sh, not the user's shell: bash puts the terminal modes back itself when a job dies
        // of a signal, which would hide a dashboard that does not
        let ok = Command::new("tmux")
            .args(["-L", &pane.socket, "-f", "/dev/null"])
            .args([
                "new-session",
                "-d",
                "-s",
                &pane.target,
                "-x",
                "200",
                "-y",
                "40",
            ])
            .args(["env", "PS1=$ ", "ENV=", "sh"])
            .env("TERM", "xterm-256color")
            .status()
            .expect("tmux is installed")
            .success();
        assert!(ok, "tmux new-session failed");
        // type nothing before the shell reads: the echo of early keys would share a line
        // with its first prompt
        pane.wait("the shell's prompt", |p| {
            p.screen().trim_start().starts_with('$')
        });
        pane
    }

    fn tmux(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux runs")
    }

    /// Type `line` and a newline (C-j: a newline whatever state the terminal is in).
    fn type_line(&self, line: &str) {
        let out = self.tmux(&["send-keys", "-t", &self.target, "-l", line]);
        assert!(out.status.success(), "send-keys: {out:?}");
        self.keys(&["C-j"]);
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.target];
        args.extend_from_slice(keys);
        let out = self.tmux(&args);
        assert!(out.status.success(), "send-keys: {out:?}");
    }

    fn screen(&self) -> String {
        let out = self.tmux(&["capture-pane", "-p", "-J", "-t", &self.target]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn format(&self, what: &str) -> String {
        let out = self.tmux(&["display-message", "-p", "-t", &self.target, what]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn alternate_on(&self) -> bool {
        self.format("#{alternate_on}") == "1"
    }

    fn cursor_shown(&self) -> bool {
        self.format("#{cursor_flag}") == "1"
    }

    /// Poll until `f` holds (or fail with the screen after the deadline).
    fn wait(&self, what: &str, mut f: impl FnMut(&Pane) -> bool) {
        let deadline = Instant::now() + DEADLINE;
        while Instant::now() < deadline {
            if f(self) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("timed out waiting for {what}; screen:\n{}", self.screen());
    }

    /// Wait for the line `echo PREFIX$?` printed (PREFIX and digits; the typed command line
    /// holds `PREFIX$?` too) and return the number.
    fn wait_exit(&self, prefix: &str) -> i32 {
        self.wait(&format!("a line {prefix}<digits>"), |p| {
            exit_code(&p.screen(), prefix).is_some()
        });
        exit_code(&self.screen(), prefix).expect("seen above")
    }

    /// The pid of the pane's child process whose command line holds `marker`.
    fn child_pid(&self, marker: &str) -> u32 {
        let shell = self.format("#{pane_pid}");
        let mut pid = None;
        self.wait("the dashboard's pid", |_| {
            let out = Command::new("pgrep")
                .args(["-P", &shell, "-f", marker])
                .output()
                .expect("pgrep runs");
            pid = String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .next()
                .and_then(|p| p.parse().ok());
            pid.is_some()
        });
        pid.expect("seen above")
    }

    /// Start the dashboard against an endpoint that cannot connect and wait until it is on
    /// screen (its signal handlers are in place before the terminal goes raw). Returns the
    /// pid.
    fn start_dashboard(&self, marker: &str, then: &str) -> u32 {
        let bin = env!("CARGO_BIN_EXE_swarmdeck");
        self.type_line(&format!(
            "{bin} --host unix:///nonexistent/{marker}.sock{then}"
        ));
        self.wait("the dashboard on the alternate screen", |p| {
            p.alternate_on() && p.screen().contains("not connected")
        });
        self.child_pid(marker)
    }

    /// `stty -a` typed in the pane: the terminal is cooked again.
    fn assert_sane_tty(&self) {
        self.checks.set(self.checks.get() + 1);
        let done = format!("STTY-DONE-{}=", self.checks.get());
        self.type_line(&format!("clear; stty -a; echo {done}$?"));
        assert_eq!(self.wait_exit(&done), 0, "{}", self.screen());
        let screen = self.screen();
        let words: Vec<&str> = screen.split_whitespace().collect();
        for mode in ["icanon", "echo", "isig"] {
            assert!(
                words.contains(&mode) && !words.contains(&format!("-{mode}").as_str()),
                "stty shows {mode}:\n{screen}"
            );
        }
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

fn exit_code(screen: &str, prefix: &str) -> Option<i32> {
    screen.lines().map(str::trim).find_map(|l| {
        let l = l.strip_prefix("$ ").unwrap_or(l);
        l.strip_prefix(prefix)
            .filter(|code| !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|code| code.parse().ok())
    })
}

/// The signal's number on this system.
fn number_of(name: &str) -> i32 {
    let out = Command::new("kill")
        .args(["-l", name])
        .output()
        .expect("kill runs");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("kill -l {name}: {out:?}"))
}

fn send(pid: u32, signal: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .expect("kill runs")
        .success();
    assert!(ok, "kill -{signal} {pid}");
}

/// `kill -SIG` on the running dashboard: it exits with 128 + N and gives the terminal back.
fn ends_cleanly_on(signal: &str) {
    let pane = Pane::start(signal);
    let marker = format!("swarmdeck-sig-{signal}-{}", std::process::id());
    let pid = pane.start_dashboard(&marker, "; echo SWARMDECK-EXIT=$?");
    send(pid, signal);
    let code = pane.wait_exit("SWARMDECK-EXIT=");
    assert_eq!(
        code,
        128 + number_of(signal),
        "exit status after SIG{signal}:\n{}",
        pane.screen()
    );
    assert!(!pane.alternate_on(), "the alternate screen was left");
    assert!(pane.cursor_shown(), "the cursor is shown");
    pane.assert_sane_tty();
}

#[test]
fn sigint() {
    ends_cleanly_on("INT");
}

#[test]
fn sigquit() {
    ends_cleanly_on("QUIT");
}

#[test]
fn sigterm() {
    ends_cleanly_on("TERM");
}

#[test]
fn sighup() {
    ends_cleanly_on("HUP");
}

#[test]
fn sigusr1() {
    ends_cleanly_on("USR1");
}

#[test]
fn sigusr2() {
    ends_cleanly_on("USR2");
}

#[test]
fn sigalrm() {
    ends_cleanly_on("ALRM");
}

#[test]
fn sigvtalrm() {
    ends_cleanly_on("VTALRM");
}

#[test]
fn sigprof() {
    ends_cleanly_on("PROF");
}

/// In raw mode Ctrl-c is a key, not SIGINT: it quits, with 0.
#[test]
fn ctrl_c_is_a_key_and_quits_with_0() {
    let pane = Pane::start("ctrl-c");
    let marker = format!("swarmdeck-sig-ctrl-c-{}", std::process::id());
    pane.start_dashboard(&marker, "; echo SWARMDECK-EXIT=$?");
    pane.keys(&["C-c"]);
    assert_eq!(pane.wait_exit("SWARMDECK-EXIT="), 0, "{}", pane.screen());
    assert!(!pane.alternate_on());
    assert!(pane.cursor_shown());
    pane.assert_sane_tty();
}

/// Rust programs ignore SIGPIPE (a write to a closed pipe or socket fails instead), and so
/// does the dashboard: it keeps running, and quits with 0 when asked.
#[test]
fn sigpipe_is_ignored() {
    let pane = Pane::start("pipe");
    let marker = format!("swarmdeck-sig-pipe-{}", std::process::id());
    let pid = pane.start_dashboard(&marker, "; echo SWARMDECK-EXIT=$?");
    send(pid, "PIPE");
    pane.keys(&["q"]);
    assert_eq!(pane.wait_exit("SWARMDECK-EXIT="), 0, "{}", pane.screen());
    assert!(!pane.alternate_on());
    pane.assert_sane_tty();
}

/// `kill -TSTP`: the terminal is given back while the dashboard is stopped, and taken again,
/// redrawn, on `fg`.
#[test]
fn sigtstp_gives_the_terminal_back_and_fg_takes_it_again() {
    let pane = Pane::start("tstp");
    let marker = format!("swarmdeck-sig-tstp-{}", std::process::id());
    // no `; echo`: the shell would run it as soon as the job stops
    let pid = pane.start_dashboard(&marker, "");
    send(pid, "TSTP");
    pane.wait("the dashboard stopped", |_| {
        let out = Command::new("ps")
            .args(["-o", "stat=", "-p", &pid.to_string()])
            .output()
            .expect("ps runs");
        String::from_utf8_lossy(&out.stdout).trim().starts_with('T')
    });
    pane.wait("the main screen", |p| !p.alternate_on());
    assert!(pane.cursor_shown(), "the cursor is shown");
    pane.assert_sane_tty();

    pane.type_line("clear; fg; echo SWARMDECK-FG=$?");
    pane.wait("the dashboard redrawn", |p| {
        p.alternate_on() && p.screen().contains("not connected")
    });
    pane.keys(&["q"]);
    assert_eq!(pane.wait_exit("SWARMDECK-FG="), 0, "{}", pane.screen());
    assert!(!pane.alternate_on());
    assert!(pane.cursor_shown());
    pane.assert_sane_tty();
}

/// A stop that is not the dashboard's own (SIGSTOP cannot be caught): on `fg` (SIGCONT) it
/// takes the terminal again and redraws in full, over what the shell printed meanwhile.
#[test]
fn sigcont_after_sigstop_redraws_in_full() {
    let pane = Pane::start("cont");
    let marker = format!("swarmdeck-sig-cont-{}", std::process::id());
    let pid = pane.start_dashboard(&marker, "");
    send(pid, "STOP");
    pane.wait("the shell saying the job stopped", |p| {
        p.screen().contains("Stopped")
    });
    pane.type_line("fg; echo SWARMDECK-FG=$?");
    pane.wait("the dashboard redrawn over the shell's lines", |p| {
        let s = p.screen();
        s.contains("not connected") && !s.contains("Stopped")
    });
    pane.keys(&["q"]);
    assert_eq!(pane.wait_exit("SWARMDECK-FG="), 0, "{}", pane.screen());
    assert!(!pane.alternate_on());
    assert!(pane.cursor_shown());
    pane.assert_sane_tty();
}
