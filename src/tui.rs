//! The UI task: one loop that owns the [`App`], takes keys, engine messages and signals, and
//! draws only when something changed, at most `fps` times a second.

use std::future::poll_fn;
use std::io;
use std::task::Poll;
use std::time::Duration;

use futures_util::StreamExt;
use jiff::Timestamp;
use ratatui::crossterm::event::{Event, EventStream, KeyEventKind};
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::time::{Instant, interval, sleep_until, timeout};

use crate::app::{App, Level, Outgoing};
use crate::engine::{self, EngineOptions};
use crate::term;
use crate::theme::Theme;
use crate::vip::{self, VipSpec};

pub struct Options {
    pub endpoints: Vec<String>,
    pub fps: u32,
    pub engine: EngineOptions,
    pub vips: Vec<VipSpec>,
}

/// How the dashboard ended. The terminal is already restored when [`run`] returns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The user quit (`q`, `:q`, Ctrl-c), or the keys or the engine went away.
    Quit,
    /// A terminating signal arrived (its number).
    Signal(i32),
}

impl Ended {
    /// The process's exit status: 0 after a quit, 128 + N after signal N (what a shell
    /// reports for a process that signal killed).
    pub fn exit_code(self) -> u8 {
        match self {
            Ended::Quit => 0,
            Ended::Signal(n) => u8::try_from(128 + n).unwrap_or(u8::MAX),
        }
    }
}

/// Signal numbers that differ between platforms and that tokio has no constructor for.
#[cfg(any(
    target_os = "android",
    all(
        target_os = "linux",
        any(
            target_arch = "x86",
            target_arch = "x86_64",
            target_arch = "arm",
            target_arch = "aarch64",
            target_arch = "riscv32",
            target_arch = "riscv64",
            target_arch = "powerpc",
            target_arch = "powerpc64",
            target_arch = "s390x",
            target_arch = "loongarch64",
        )
    )
))]
mod num {
    pub const STKFLT: i32 = 16;
    pub const CONT: i32 = 18;
    pub const TSTP: i32 = 20;
    pub const XCPU: i32 = 24;
    pub const XFSZ: i32 = 25;
    pub const VTALRM: i32 = 26;
    pub const PROF: i32 = 27;
    pub const PWR: i32 = 30;
    /// SIGIO ends the process on Linux (the BSDs ignore it).
    const IO: i32 = super::SignalKind::io().as_raw_value();
    pub const TERMINATING: &[i32] = &[XCPU, XFSZ, VTALRM, PROF, STKFLT, IO, PWR];
    pub const STOP_CONT: Option<(i32, i32)> = Some((TSTP, CONT));
}

#[cfg(any(
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly",
))]
mod num {
    pub const TERMINATING: &[i32] = &[24, 25, 26, 27]; // XCPU XFSZ VTALRM PROF
    pub const STOP_CONT: Option<(i32, i32)> = Some((18, 19)); // TSTP CONT
}

/// Elsewhere: only the signals tokio names.
#[cfg(not(any(
    target_os = "android",
    all(
        target_os = "linux",
        any(
            target_arch = "x86",
            target_arch = "x86_64",
            target_arch = "arm",
            target_arch = "aarch64",
            target_arch = "riscv32",
            target_arch = "riscv64",
            target_arch = "powerpc",
            target_arch = "powerpc64",
            target_arch = "s390x",
            target_arch = "loongarch64",
        )
    ),
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly",
)))]
mod num {
    pub const TERMINATING: &[i32] = &[];
    pub const STOP_CONT: Option<(i32, i32)> = None;
}

/// Every signal whose default action ends the process and that may be caught, but for:
/// SIGPIPE, which Rust programs ignore (a write to a closed pipe or socket, such as an `ssh`
/// transport that died, must fail that write, not end the dashboard); SIGBUS, SIGSYS,
/// SIGTRAP and SIGABRT, which report a fault or ask for a core dump; and the real-time
/// signals, whose first number depends on the C library.
fn terminating() -> Vec<i32> {
    let named = [
        SignalKind::hangup(),
        SignalKind::interrupt(),
        SignalKind::quit(),
        SignalKind::user_defined1(),
        SignalKind::user_defined2(),
        SignalKind::alarm(),
        SignalKind::terminate(),
    ];
    named
        .iter()
        .map(SignalKind::as_raw_value)
        .chain(num::TERMINATING.iter().copied())
        .collect()
}

enum SigEvent {
    /// End the dashboard.
    End(i32),
    /// SIGTSTP: give the terminal back and stop.
    Stop,
    /// SIGCONT: take the terminal again.
    Cont,
}

/// The signal streams, registered before the terminal goes raw, so that no signal that
/// arrives once it is raw can end the process without restoring it. (Signals before that,
/// and after [`run`] returns, find nothing to restore.)
struct Signals {
    ending: Vec<(i32, Signal)>,
    stop: Option<Signal>,
    cont: Option<Signal>,
}

impl Signals {
    fn install() -> io::Result<Self> {
        let mut ending = Vec::new();
        for n in terminating() {
            ending.push((n, signal(SignalKind::from_raw(n))?));
        }
        let (stop, cont) = match num::STOP_CONT {
            Some((tstp, cont)) => (
                Some(signal(SignalKind::from_raw(tstp))?),
                Some(signal(SignalKind::from_raw(cont))?),
            ),
            None => (None, None),
        };
        Ok(Signals { ending, stop, cont })
    }

    /// The next signal that arrives.
    async fn next(&mut self) -> SigEvent {
        poll_fn(|cx| {
            for (n, s) in &mut self.ending {
                if let Poll::Ready(Some(())) = s.poll_recv(cx) {
                    return Poll::Ready(SigEvent::End(*n));
                }
            }
            if let Some(s) = &mut self.stop
                && let Poll::Ready(Some(())) = s.poll_recv(cx)
            {
                return Poll::Ready(SigEvent::Stop);
            }
            if let Some(s) = &mut self.cont
                && let Poll::Ready(Some(())) = s.poll_recv(cx)
            {
                return Poll::Ready(SigEvent::Cont);
            }
            Poll::Pending
        })
        .await
    }

    /// A terminating signal that arrives within `wait`: when the terminal fails (a hangup
    /// closes it), the signal that came with it says how the dashboard ended.
    async fn ending_within(&mut self, wait: Duration) -> Option<i32> {
        let deadline = Instant::now() + wait;
        loop {
            match timeout(
                deadline.saturating_duration_since(Instant::now()),
                self.next(),
            )
            .await
            {
                Ok(SigEvent::End(n)) => return Some(n),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
    }
}

/// Stop this process as SIGTSTP's default action would (the handler replaced it), and
/// return once it is continued. SIGSTOP is sent from a shell: std has no `kill(2)` and
/// this crate has no `unsafe`.
async fn stop_self() -> io::Result<()> {
    let status = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(format!("kill -STOP {}", std::process::id()))
        .status()
        .await?;
    if status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!("kill -STOP: {status}")))
    }
}

/// Run the dashboard until the user quits or a terminating signal arrives. The terminal is
/// restored on every way out (the guard's Drop, and the panic hook in [`term`]) and while
/// the process is stopped.
pub async fn run(mut app: App, theme: Theme, opts: Options) -> anyhow::Result<Ended> {
    let mut signals = Signals::install()?;
    let mut guard = term::enter()?;
    let ended = run_loop(&mut guard, &mut signals, &mut app, &theme, opts).await;
    // on every way out (a quit, a signal, a failed terminal): nothing typed is lost
    app.flush();
    let ended = match ended {
        Ok(ended) => Ok(ended),
        Err(e) => match signals.ending_within(Duration::from_millis(100)).await {
            Some(n) => Ok(Ended::Signal(n)),
            None => Err(e),
        },
    };
    drop(guard);
    ended
}

async fn run_loop(
    guard: &mut term::TermGuard,
    signals: &mut Signals,
    app: &mut App,
    theme: &Theme,
    opts: Options,
) -> anyhow::Result<Ended> {
    let base = opts.engine.clone();
    let mut engine = engine::spawn_with(opts.endpoints, opts.engine);
    let mut vips = vip::watch::spawn(opts.vips, vip::watch::WatchOptions::default());
    let mut probes = crate::health::watch::spawn(Default::default());
    let mut clusters = crate::clusters::poll::spawn(crate::clusters::poll::LIMIT);
    let mut keys = EventStream::new();
    let mut clock = interval(Duration::from_secs(1));
    // SWARMDECK_NO_CLOCK=1: no 1 s clock (ages and staleness stand still). Only for
    // measuring what the clock costs (`cargo bench --bench scale`, docs/performance.md).
    let clock_on = std::env::var_os("SWARMDECK_NO_CLOCK").is_none_or(|v| v.is_empty() || v == "0");
    let frame_gap = Duration::from_millis(1000 / u64::from(opts.fps.clamp(1, 120)));
    let mut last_draw: Option<Instant> = None;

    loop {
        if app.dirty {
            let ready_at = last_draw.map_or_else(Instant::now, |t| t + frame_gap);
            if Instant::now() >= ready_at {
                let size = guard.terminal.size()?;
                app.page = usize::from(size.height / 4).max(1);
                guard.draw(|f| crate::ui::draw(f, f.area(), app, theme))?;
                app.dirty = false;
                last_draw = Some(Instant::now());
            }
        }
        let next_frame = last_draw.map_or_else(Instant::now, |t| t + frame_gap);
        tokio::select! {
            ev = keys.next() => match ev {
                Some(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => app.on_key(key),
                Some(Ok(Event::Resize(..))) => app.dirty = true,
                Some(Ok(Event::Paste(text))) => app.on_paste(&text),
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e.into()),
                // the terminal closed: a hangup may be on its way
                None => {
                    let sig = signals.ending_within(Duration::from_millis(100)).await;
                    return Ok(sig.map_or(Ended::Quit, Ended::Signal));
                }
            },
            msg = engine.rx.recv() => match msg {
                Some(msg) => {
                    app.apply(msg);
                    // take everything already queued, then draw once
                    while let Ok(more) = engine.rx.try_recv() {
                        app.apply(more);
                    }
                }
                None => break,
            },
            Some(msg) = vips.rx.recv() => app.apply_vip(msg),
            Some(round) = probes.rx.recv() => app.apply_probe(round),
            Some(checked) = clusters.rx.recv() => app.apply_clusters(checked),
            _ = clock.tick(), if clock_on => app.tick(Timestamp::now()),
            _ = sleep_until(next_frame), if app.dirty => {}
            sig = signals.next() => match sig {
                SigEvent::End(n) => return Ok(Ended::Signal(n)),
                SigEvent::Stop => {
                    guard.suspend();
                    let stopped = stop_self().await;
                    guard.resume()?;
                    if let Err(e) = stopped {
                        app.notify(Level::Warn, format!("cannot suspend: {e}"));
                    }
                    app.dirty = true;
                }
                // also after a stop that was not ours (SIGSTOP): the shell may have changed
                // the terminal meanwhile
                SigEvent::Cont => {
                    guard.resume()?;
                    app.dirty = true;
                }
            },
        }
        if let Some(ext) = app.external.take() {
            // the terminal is the editor's while it runs; keys and draws wait. The key reader
            // is dropped first (its thread would read the editor's keys) and made anew after.
            keys = EventStream::new();
            guard.suspend();
            let result =
                tokio::task::block_in_place(|| crate::external::edit(&ext.text, &ext.suffix))
                    .map_err(|e| e.to_string());
            guard.resume()?;
            app.external_done(ext.popup, result);
        }
        for text in app.clipboard.drain(..) {
            // OSC 52: the terminal (also at the far end of an SSH session) takes it
            use base64::Engine as _;
            use std::io::Write as _;
            let b64 = base64::engine::general_purpose::STANDARD.encode(text);
            let mut out = std::io::stdout();
            let _ = write!(out, "\x1b]52;c;{b64}\x07");
            let _ = out.flush();
        }
        app.write_events();
        if app.bells > 0 {
            // BEL: a new critical alert (one, however many were asked since the last turn)
            use std::io::Write as _;
            app.bells = 0;
            let mut out = std::io::stdout();
            let _ = out.write_all(b"\x07");
            let _ = out.flush();
        }
        if let Some(to) = app.switch.take() {
            // another cluster: the old engine (and what it was reading), the VIP watcher and
            // the probes stop as their handles drop; new ones start on the new endpoints
            let opts = EngineOptions {
                endpoint_template: to.endpoint_template,
                tls: to.tls,
                ..base.clone()
            };
            engine = engine::spawn_with(to.endpoints, opts);
            vips = vip::watch::spawn(to.vips, vip::watch::WatchOptions::default());
            probes = crate::health::watch::spawn(Default::default());
        }
        for out in app.outbox.drain(..) {
            match out {
                Outgoing::Engine(cmd) => {
                    let _ = engine.cmd.send(cmd);
                }
                Outgoing::Vip(cmd) => {
                    let _ = vips.cmd.send(cmd);
                }
                Outgoing::Probe(cmd) => {
                    let _ = probes.cmd.send(cmd);
                }
                Outgoing::Clusters(cmd) => {
                    let _ = clusters.cmd.send(cmd);
                }
            }
        }
        if app.quit {
            break;
        }
    }
    Ok(Ended::Quit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_128_plus_the_signal() {
        assert_eq!(Ended::Quit.exit_code(), 0);
        assert_eq!(
            Ended::Signal(SignalKind::terminate().as_raw_value()).exit_code(),
            143
        );
        assert_eq!(
            Ended::Signal(SignalKind::hangup().as_raw_value()).exit_code(),
            129
        );
        assert_eq!(
            Ended::Signal(SignalKind::interrupt().as_raw_value()).exit_code(),
            130
        );
        assert_eq!(Ended::Signal(200).exit_code(), 255);
    }

    /// The name the system gives signal `n`, without `SIG` (procps `kill` knows every Linux
    /// name; the shell's builtin is the fallback).
    fn name_of(n: i32) -> String {
        let out = std::process::Command::new("kill")
            .args(["-l", &n.to_string()])
            .output()
            .or_else(|_| {
                std::process::Command::new("sh")
                    .arg("-c")
                    .arg(format!("kill -l {n}"))
                    .output()
            })
            .expect("kill or sh runs");
        let name = String::from_utf8_lossy(&out.stdout).trim().to_string();
        name.strip_prefix("SIG").unwrap_or(&name).to_string()
    }

    /// The numbers written by hand are the ones the system knows by those names.
    #[test]
    fn signal_numbers_match_the_system() {
        let ending = [
            "HUP", "INT", "QUIT", "USR1", "USR2", "ALRM", "TERM", "XCPU", "XFSZ", "VTALRM", "PROF",
            "STKFLT", "IO", "POLL", "PWR",
        ];
        let all = terminating();
        for &n in &all {
            let name = name_of(n);
            assert!(ending.contains(&name.as_str()), "signal {n} is {name:?}");
        }
        let mut dedup = all.clone();
        dedup.sort_unstable();
        dedup.dedup();
        assert_eq!(dedup.len(), all.len(), "no signal twice: {all:?}");
        if let Some((tstp, cont)) = num::STOP_CONT {
            assert_eq!(name_of(tstp), "TSTP");
            assert_eq!(name_of(cont), "CONT");
        }
    }
}
