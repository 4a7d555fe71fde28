//! The real binary in a real terminal, byte for byte: a tmux session (its own server) whose
//! pane output is piped (`pipe-pane`) into a FIFO this process reads. Every byte the
//! dashboard writes is counted and fed to [`Screen`], a small emulator of what ratatui and
//! crossterm emit; at the end of each frame (the synchronized-update end marker) the
//! registered [`Watch`]es are checked, so a frame that shows something is known to the
//! millisecond, with its size in bytes. [`Proc`] reads the process's CPU time and memory.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use unicode_width::UnicodeWidthChar;

/// The screen as a terminal would show it (characters only).
pub struct Screen {
    pub w: usize,
    pub h: usize,
    cells: Vec<Vec<char>>,
    x: usize,
    y: usize,
    parse: Parse,
    utf8: Vec<u8>,
}

#[derive(Default)]
enum Parse {
    #[default]
    Ground,
    Esc,
    Csi(String),
    Osc(bool),
}

/// What one chunk of output held.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Fed {
    /// Byte offsets (within the chunk, just past the marker) where a frame ended.
    pub frame_ends: Vec<usize>,
}

const WIDE_TAIL: char = '\0';

impl Screen {
    pub fn new(w: usize, h: usize) -> Screen {
        Screen {
            w,
            h,
            cells: vec![vec![' '; w]; h],
            x: 0,
            y: 0,
            parse: Parse::Ground,
            utf8: Vec::new(),
        }
    }

    pub fn text(&self) -> String {
        let mut out = String::with_capacity((self.w + 1) * self.h);
        for row in &self.cells {
            out.extend(row.iter().filter(|c| **c != WIDE_TAIL));
            out.push('\n');
        }
        out
    }

    pub fn row(&self, y: usize) -> String {
        self.cells[y].iter().filter(|c| **c != WIDE_TAIL).collect()
    }

    fn clear(&mut self) {
        for row in &mut self.cells {
            row.fill(' ');
        }
    }

    fn put(&mut self, c: char) {
        let wd = c.width().unwrap_or(0);
        if wd == 0 {
            return;
        }
        if self.y < self.h && self.x < self.w {
            self.cells[self.y][self.x] = c;
            if wd == 2 && self.x + 1 < self.w {
                self.cells[self.y][self.x + 1] = WIDE_TAIL;
            }
        }
        self.x += wd;
    }

    fn csi(&mut self, body: &str, fin: char) -> bool {
        let private = body.starts_with('?');
        let params: Vec<usize> = body
            .trim_start_matches('?')
            .split(';')
            .map(|p| p.parse().unwrap_or(0))
            .collect();
        let p = |i: usize, d: usize| params.get(i).copied().filter(|v| *v != 0).unwrap_or(d);
        match (private, fin) {
            (true, 'l') if params.contains(&2026) => return true,
            (true, 'h') if params.contains(&1049) => self.clear(),
            (false, 'H') | (false, 'f') => {
                self.y = p(0, 1) - 1;
                self.x = p(1, 1) - 1;
            }
            (false, 'J') if self.y < self.h => match params.first().copied().unwrap_or(0) {
                2 | 3 => self.clear(),
                0 => {
                    let x = self.x.min(self.w);
                    self.cells[self.y][x..].fill(' ');
                    for row in self.cells.iter_mut().skip(self.y + 1) {
                        row.fill(' ');
                    }
                }
                _ => {}
            },
            (false, 'J') if params.first().copied().unwrap_or(0) >= 2 => self.clear(),
            (false, 'K') if self.y < self.h => {
                let x = self.x.min(self.w);
                match params.first().copied().unwrap_or(0) {
                    0 => self.cells[self.y][x..].fill(' '),
                    1 => self.cells[self.y][..x].fill(' '),
                    _ => self.cells[self.y].fill(' '),
                }
            }
            (false, 'A') => self.y = self.y.saturating_sub(p(0, 1)),
            (false, 'B') => self.y += p(0, 1),
            (false, 'C') => self.x += p(0, 1),
            (false, 'D') => self.x = self.x.saturating_sub(p(0, 1)),
            (false, 'G') => self.x = p(0, 1) - 1,
            (false, 'd') => self.y = p(0, 1) - 1,
            _ => {}
        }
        false
    }

    /// Take a chunk of output; say where frames ended in it.
    pub fn feed(&mut self, bytes: &[u8]) -> Fed {
        let mut fed = Fed::default();
        for (i, &b) in bytes.iter().enumerate() {
            match std::mem::take(&mut self.parse) {
                Parse::Ground => match b {
                    0x1b => self.parse = Parse::Esc,
                    b'\r' => self.x = 0,
                    b'\n' => self.y += 1,
                    0x08 => self.x = self.x.saturating_sub(1),
                    0x00..=0x1f | 0x7f => {}
                    _ => {
                        self.utf8.push(b);
                        match std::str::from_utf8(&self.utf8) {
                            Ok(s) => {
                                let chars: Vec<char> = s.chars().collect();
                                self.utf8.clear();
                                for c in chars {
                                    self.put(c);
                                }
                            }
                            Err(e) if e.error_len().is_some() || self.utf8.len() >= 4 => {
                                self.utf8.clear();
                                self.put('\u{fffd}');
                            }
                            Err(_) => {}
                        }
                    }
                },
                Parse::Esc => match b {
                    b'[' => self.parse = Parse::Csi(String::new()),
                    b']' => self.parse = Parse::Osc(false),
                    _ => {}
                },
                Parse::Csi(mut body) => {
                    if (0x40..=0x7e).contains(&b) {
                        if self.csi(&body, b as char) {
                            fed.frame_ends.push(i + 1);
                        }
                    } else {
                        body.push(b as char);
                        self.parse = Parse::Csi(body);
                    }
                }
                Parse::Osc(esc) => match b {
                    0x07 => {}
                    b'\\' if esc => {}
                    0x1b => self.parse = Parse::Osc(true),
                    _ => self.parse = Parse::Osc(false),
                },
            }
        }
        fed
    }
}

/// A frame that showed what a watch waited for.
#[derive(Debug, Clone, Copy)]
pub struct Hit {
    pub at: Instant,
    /// The bytes of that frame (since the end of the one before).
    pub frame_bytes: u64,
    /// Frames seen until then (counted from the start).
    pub frame: u64,
}

/// What a watch waits for.
pub type Pred = Box<dyn Fn(&Screen) -> bool + Send>;

#[derive(Default)]
struct Capture {
    total: u64,
    frames: u64,
    last_frame_end: u64,
    last_frame_at: Option<Instant>,
    screen: Option<Screen>,
    watches: HashMap<u64, (Pred, Option<Hit>)>,
    next_watch: u64,
    eof: bool,
    opened: bool,
}

/// A registered watch (see [`Dash::watch`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Watch(u64);

/// The dashboard in tmux.
pub struct Dash {
    server: String,
    pub pid: u32,
    /// When the dashboard was let go (just before its `exec`).
    pub started: Instant,
    cap: Arc<(Mutex<Capture>, Condvar)>,
    dir: PathBuf,
    _tmp: tempfile::TempDir,
}

fn tmux(server: &str, args: &[&str]) -> std::process::Output {
    Command::new("tmux")
        .arg("-L")
        .arg(server)
        .arg("-f")
        .arg("/dev/null")
        .args(args)
        .output()
        .expect("tmux runs (the lab script installs it)")
}

fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

impl Dash {
    /// Run `bin args…` in a `w` × `h` terminal with `env`, HOME and the XDG dirs in a temp
    /// dir (no user config). Returns once it runs; `started` is when it was let go.
    pub fn start(bin: &Path, args: &[String], env: &[(&str, &str)], w: u16, h: u16) -> Dash {
        Self::start_watching(bin, args, env, w, h, Vec::new()).0
    }

    /// [`Dash::start`] with watches registered before the dashboard is let go (so even its
    /// first frame is seen by them).
    pub fn start_watching(
        bin: &Path,
        args: &[String],
        env: &[(&str, &str)],
        w: u16,
        h: u16,
        preds: Vec<Pred>,
    ) -> (Dash, Vec<Watch>) {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let server = format!("sdscale-{}-{n}", std::process::id());
        let tmp = tempfile::Builder::new()
            .prefix("sdscale-term")
            .tempdir()
            .expect("temp dir");
        let dir = tmp.path().to_path_buf();
        let home = dir.join("home");
        std::fs::create_dir_all(&home).expect("home");
        let out_fifo = dir.join("out.fifo");
        let go_fifo = dir.join("go.fifo");
        for f in [&out_fifo, &go_fifo] {
            let ok = Command::new("mkfifo")
                .arg(f)
                .status()
                .expect("mkfifo")
                .success();
            assert!(ok, "mkfifo {}", f.display());
        }
        let mut cmd = format!(
            "read _ < {}; exec env HOME={} XDG_CONFIG_HOME={}/config XDG_STATE_HOME={}/state XDG_DATA_HOME={}/data TERM=xterm-256color",
            sh_quote(&go_fifo.display().to_string()),
            sh_quote(&home.display().to_string()),
            sh_quote(&home.display().to_string()),
            sh_quote(&home.display().to_string()),
            sh_quote(&home.display().to_string()),
        );
        for (k, v) in env {
            cmd.push_str(&format!(" {k}={}", sh_quote(v)));
        }
        cmd.push(' ');
        cmd.push_str(&sh_quote(&bin.display().to_string()));
        for a in args {
            cmd.push(' ');
            cmd.push_str(&sh_quote(a));
        }
        let out = tmux(
            &server,
            &[
                "new-session",
                "-d",
                "-s",
                "dash",
                "-x",
                &w.to_string(),
                "-y",
                &h.to_string(),
                &cmd,
            ],
        );
        assert!(
            out.status.success(),
            "tmux new-session: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let _ = tmux(&server, &["set-option", "-t", "dash", "status", "off"]);
        let _ = tmux(
            &server,
            &[
                "resize-window",
                "-t",
                "dash",
                "-x",
                &w.to_string(),
                "-y",
                &h.to_string(),
            ],
        );

        let cap = Arc::new((
            Mutex::new(Capture {
                screen: Some(Screen::new(w.into(), h.into())),
                ..Default::default()
            }),
            Condvar::new(),
        ));
        let reader_cap = cap.clone();
        let fifo = out_fifo.clone();
        std::thread::spawn(move || {
            let (m, cv) = &*reader_cap;
            let Ok(mut f) = std::fs::File::open(&fifo) else {
                m.lock().expect("capture").eof = true;
                cv.notify_all();
                return;
            };
            m.lock().expect("capture").opened = true;
            cv.notify_all();
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let k = match f.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(k) => k,
                };
                let now = Instant::now();
                let mut c = m.lock().expect("capture");
                let mut screen = c.screen.take().expect("screen");
                let fed = screen.feed(&buf[..k]);
                let base = c.total;
                c.total += k as u64;
                for end in fed.frame_ends {
                    let end = base + end as u64;
                    let frame_bytes = end - c.last_frame_end;
                    c.last_frame_end = end;
                    c.frames += 1;
                    c.last_frame_at = Some(now);
                    let frame = c.frames;
                    for (pred, hit) in c.watches.values_mut() {
                        if hit.is_none() && pred(&screen) {
                            *hit = Some(Hit {
                                at: now,
                                frame_bytes,
                                frame,
                            });
                        }
                    }
                }
                c.screen = Some(screen);
                drop(c);
                cv.notify_all();
            }
            m.lock().expect("capture").eof = true;
            cv.notify_all();
        });
        let pipe = format!("cat > {}", sh_quote(&out_fifo.display().to_string()));
        let out = tmux(&server, &["pipe-pane", "-t", "dash", "-O", &pipe]);
        assert!(
            out.status.success(),
            "tmux pipe-pane: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        {
            let (m, cv) = &*cap;
            let g = m.lock().expect("capture");
            let (g, _) = cv
                .wait_timeout_while(g, Duration::from_secs(20), |c| !c.opened && !c.eof)
                .expect("capture");
            assert!(g.opened, "tmux's pipe-pane never opened the FIFO");
        }
        let pid: u32 = {
            let out = tmux(
                &server,
                &["display-message", "-p", "-t", "dash", "#{pane_pid}"],
            );
            String::from_utf8_lossy(&out.stdout)
                .trim()
                .parse()
                .expect("the pane's pid")
        };
        let watches: Vec<Watch> = {
            let mut c = cap.0.lock().expect("capture");
            preds
                .into_iter()
                .map(|p| {
                    let id = c.next_watch;
                    c.next_watch += 1;
                    c.watches.insert(id, (p, None));
                    Watch(id)
                })
                .collect()
        };
        let started = Instant::now();
        {
            let mut go = std::fs::OpenOptions::new()
                .write(true)
                .open(&go_fifo)
                .expect("open the start FIFO");
            go.write_all(b"go\n").expect("let the dashboard go");
        }
        // the shell execs the dashboard: same pid
        let deadline = Instant::now() + Duration::from_secs(20);
        let name = bin
            .file_name()
            .map(|n| n.to_string_lossy().chars().take(15).collect::<String>())
            .unwrap_or_default();
        while std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .map(|c| c.trim() != name)
            .unwrap_or(false)
        {
            assert!(Instant::now() < deadline, "the dashboard never started");
            std::thread::sleep(Duration::from_millis(2));
        }
        (
            Dash {
                server,
                pid,
                started,
                cap,
                dir,
                _tmp: tmp,
            },
            watches,
        )
    }

    /// Be told of the first frame (from now on) for which `pred` holds.
    pub fn watch(&self, pred: impl Fn(&Screen) -> bool + Send + 'static) -> Watch {
        let mut c = self.cap.0.lock().expect("capture");
        let id = c.next_watch;
        c.next_watch += 1;
        c.watches.insert(id, (Box::new(pred), None));
        Watch(id)
    }

    /// The frame a watch waited for, within `within`; `None` if it did not come (the watch
    /// is dropped either way).
    pub fn wait(&self, w: Watch, within: Duration) -> Option<Hit> {
        let (m, cv) = &*self.cap;
        let deadline = Instant::now() + within;
        let mut c = m.lock().expect("capture");
        loop {
            if let Some((_, Some(hit))) = c.watches.get(&w.0) {
                let hit = *hit;
                c.watches.remove(&w.0);
                return Some(hit);
            }
            let now = Instant::now();
            if now >= deadline || c.eof {
                c.watches.remove(&w.0);
                return None;
            }
            c = cv.wait_timeout(c, deadline - now).expect("capture").0;
        }
    }

    /// Bytes written so far, frames so far.
    pub fn written(&self) -> (u64, u64) {
        let c = self.cap.0.lock().expect("capture");
        (c.total, c.frames)
    }

    pub fn screen(&self) -> String {
        let c = self.cap.0.lock().expect("capture");
        c.screen.as_ref().map(Screen::text).unwrap_or_default()
    }

    /// Keys as tmux names them.
    pub fn send(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "dash"];
        args.extend_from_slice(keys);
        let _ = tmux(&self.server, &args);
    }

    pub fn alive(&self) -> bool {
        Path::new(&format!("/proc/{}", self.pid)).exists()
            && !std::fs::read_to_string(format!("/proc/{}/stat", self.pid))
                .map(|s| {
                    s.rsplit_once(')')
                        .is_some_and(|(_, r)| r.trim_start().starts_with('Z'))
                })
                .unwrap_or(true)
    }

    /// Quit with `q` and wait (10 s) for the process to end.
    pub fn quit(&self) -> bool {
        self.send(&["q"]);
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.alive() {
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        true
    }

    pub fn proc(&self) -> Proc {
        Proc(self.pid)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Dash {
    fn drop(&mut self) {
        let _ = tmux(&self.server, &["kill-server"]);
    }
}

/// A process's figures from /proc.
#[derive(Debug, Clone, Copy)]
pub struct Proc(pub u32);

/// Clock ticks per second (`getconf CLK_TCK`; 100 on Linux).
pub fn clk_tck() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

impl Proc {
    /// User + system CPU time so far (all threads).
    pub fn cpu(&self) -> Option<Duration> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.0)).ok()?;
        let (_, rest) = stat.rsplit_once(')')?;
        let f: Vec<&str> = rest.split_whitespace().collect();
        // after the name: state is field 3, utime 14, stime 15
        let utime: u64 = f.get(11)?.parse().ok()?;
        let stime: u64 = f.get(12)?.parse().ok()?;
        Some(Duration::from_secs_f64((utime + stime) as f64 / clk_tck()))
    }

    fn status_kb(&self, field: &str) -> Option<u64> {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.0)).ok()?;
        s.lines().find_map(|l| {
            l.strip_prefix(field)?
                .trim()
                .strip_suffix("kB")?
                .trim()
                .parse()
                .ok()
        })
    }

    /// Resident now (kB).
    pub fn rss_kb(&self) -> Option<u64> {
        self.status_kb("VmRSS:")
    }

    /// Resident at its peak (kB).
    pub fn hwm_kb(&self) -> Option<u64> {
        self.status_kb("VmHWM:")
    }
}
