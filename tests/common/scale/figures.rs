//! The figures of issue 14, measured against the scale engine: shared by the bench (which
//! prints them beside their targets) and the CI smoke test (which checks they are produced
//! and sane).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use swarmdeck::app::App;
use swarmdeck::engine::{self, EngineMsg, Timings};
use swarmdeck::keymap::Keymap;
use swarmdeck::theme::Theme;

use super::term::{Dash, Proc, Screen};
use super::{Counts, Fake, Size, counts_between, is_full_task_list, swarm};

/// The targets (issue 14).
pub mod target {
    use std::time::Duration;
    /// First populated frame, 3 nodes.
    pub const FIRST_FRAME_SMALL: Duration = Duration::from_millis(300);
    /// First populated frame, 1,000 nodes / 20,000 tasks (applied to every size above 3 nodes).
    pub const FIRST_FRAME_LARGE: Duration = Duration::from_secs(1);
    /// Frame build + diff, p99 at 200×50 (applied at 80×24 too).
    pub const FRAME_P99: Duration = Duration::from_millis(1);
    /// Bytes to the terminal per idle minute, clock off.
    pub const IDLE_BYTES_CLOCK_OFF: f64 = 1024.0;
    /// Idle CPU, % of a core (with a VIP watched).
    pub const IDLE_CPU_PCT: f64 = 0.1;
    /// Resident memory at 1,000 nodes / 20,000 tasks (applied to every size).
    pub const RSS_KB: u64 = 25 * 1024;
    /// Event to the frame that shows it.
    pub const EVENT_TO_FRAME: Duration = Duration::from_millis(100);
    /// Full task lists fetched per idle minute (the load on the manager).
    pub const FULL_TASK_LISTS_PER_MIN: f64 = 1.0;
}

pub fn first_frame_target(size: &Size) -> Duration {
    if size.nodes <= 3 {
        target::FIRST_FRAME_SMALL
    } else {
        target::FIRST_FRAME_LARGE
    }
}

/// How a run is made.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The swarmdeck binary.
    pub bin: PathBuf,
    /// The idle window (the figures per minute are scaled from it).
    pub idle: Duration,
    /// Waited after the first populated frame, before the idle window (the first reads and
    /// their follow-ups are over).
    pub settle: Duration,
    /// Node events pushed (each one down, then up again: two latencies).
    pub events: usize,
    pub w: u16,
    pub h: u16,
    /// `--vip ADDR` (and `--vip-port`) for the runs, if any.
    pub vip: Vec<String>,
    /// Also run with the clock off (`SWARMDECK_NO_CLOCK=1`) for the idle figures.
    pub clock_off: bool,
    /// Frames drawn per in-process timing.
    pub frames: usize,
    /// Patience for anything to show (first frame, an event's frame).
    pub patience: Duration,
    /// Say what is going on (stderr).
    pub verbose: bool,
}

impl RunConfig {
    pub fn say(&self, what: &str) {
        if self.verbose {
            eprintln!("  … {what}");
        }
    }
}

/// Median and p99 of one in-process frame timing.
#[derive(Debug, Clone)]
pub struct FrameTimes {
    pub what: String,
    pub w: u16,
    pub h: u16,
    pub median: Duration,
    pub p99: Duration,
    pub samples: usize,
}

/// An idle window of the real binary.
#[derive(Debug, Clone, Default)]
pub struct Idle {
    pub secs: f64,
    pub cpu_pct: f64,
    pub rss_steady_kb: u64,
    pub rss_peak_kb: u64,
    pub term_bytes: u64,
    pub frames: u64,
    /// What the engine served in the window, per path.
    pub engine: Counts,
}

impl Idle {
    pub fn per_min(&self, x: f64) -> f64 {
        x / (self.secs / 60.0)
    }
    pub fn requests(&self) -> u64 {
        self.engine.values().map(|c| c.requests).sum()
    }
    pub fn engine_bytes(&self) -> u64 {
        self.engine.values().map(|c| c.bytes).sum()
    }
    pub fn full_task_lists(&self) -> u64 {
        self.engine
            .iter()
            .filter(|(k, _)| is_full_task_list(k))
            .map(|(_, c)| c.requests)
            .sum()
    }
}

#[derive(Debug, Clone)]
pub struct Figures {
    pub size: Size,
    pub nodes: usize,
    pub down: usize,
    pub services: usize,
    pub running: usize,
    pub tasks: usize,
    pub first_frame: Option<Duration>,
    /// Start → the frame showing the first node's tasks.
    pub first_tasks: Option<Duration>,
    pub frames: Vec<FrameTimes>,
    pub idle: Option<Idle>,
    pub idle_clock_off: Option<Idle>,
    /// One task changed: the time until its frame and that frame's bytes.
    pub task_change: Option<(Duration, u64)>,
    pub events: Vec<Duration>,
    pub events_missed: usize,
    pub notes: Vec<String>,
    /// The screen when the first populated frame came (the bench's `--show-screen`).
    pub first_screen: String,
}

impl Figures {
    pub fn new(size: Size, fake: &Fake) -> Figures {
        Figures {
            size,
            nodes: fake.node_count(),
            down: fake.down_nodes(),
            services: fake.service_count(),
            running: 0,
            tasks: fake.task_count(),
            first_frame: None,
            first_tasks: None,
            frames: Vec::new(),
            idle: None,
            idle_clock_off: None,
            task_change: None,
            events: Vec::new(),
            events_missed: 0,
            notes: Vec::new(),
            first_screen: String::new(),
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

pub fn median(v: &[Duration]) -> Duration {
    let mut s = v.to_vec();
    s.sort();
    percentile(&s, 0.5)
}

/// An App fed by the real engine (bollard, fetch, convert) from the scale engine.
pub fn loaded_app(fake: &Fake, rt: &tokio::runtime::Runtime, patience: Duration) -> App {
    let now = Timestamp::now();
    let mut app = App::new(Keymap::default(), now);
    let (n, m) = (fake.node_count(), fake.service_count());
    rt.block_on(async {
        let mut eng = engine::spawn(vec![fake.endpoint()], Timings::default());
        let deadline = tokio::time::Instant::now() + patience;
        let mut tasks = false;
        while app.store.nodes.len() < n || app.store.services.len() < m || !tasks {
            let Some(msg) = engine::recv_until(&mut eng.rx, deadline).await else {
                panic!(
                    "the engine did not read the scale engine's swarm in {patience:?}: {} nodes, {} services, tasks {tasks}",
                    app.store.nodes.len(),
                    app.store.services.len()
                );
            };
            if let EngineMsg::Tasks {
                scope: engine::TaskScope::Live,
                ..
            } = &msg
            {
                tasks = true;
            }
            app.apply(msg);
        }
    });
    app
}

/// Frame build + diff (ratatui's `Terminal::draw` on a `TestBackend`: the UI's draw, the
/// buffer diff, the backend's writes) at each size, idle (the clock a second on between
/// frames, as the binary draws at idle) and while scrolling (`j`/`k` between frames, untimed).
pub fn frame_times(app: &mut App, sizes: &[(u16, u16)], frames: usize) -> Vec<FrameTimes> {
    let theme = Theme::builtin_default();
    let mut out = Vec::new();
    let start = app.now;
    for &(w, h) in sizes {
        let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
        app.page = usize::from(h / 4).max(1);
        let draw = |term: &mut Terminal<TestBackend>, app: &App| {
            let t = Instant::now();
            term.draw(|f| swarmdeck::ui::draw(f, f.area(), app, &theme))
                .expect("draw");
            t.elapsed()
        };
        draw(&mut term, app);
        let mut idle = Vec::with_capacity(frames);
        for i in 0..frames {
            app.tick(start + SignedDuration::from_secs(i as i64 + 1));
            idle.push(draw(&mut term, app));
        }
        let mut scroll = Vec::with_capacity(frames);
        for i in 0..frames {
            let code = if (i / 40) % 2 == 0 {
                KeyCode::Char('j')
            } else {
                KeyCode::Char('k')
            };
            app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
            scroll.push(draw(&mut term, app));
        }
        for (what, mut v) in [("idle", idle), ("scrolling", scroll)] {
            v.sort();
            out.push(FrameTimes {
                what: what.into(),
                w,
                h,
                median: percentile(&v, 0.5),
                p99: percentile(&v, 0.99),
                samples: v.len(),
            });
        }
    }
    out
}

/// The populated frame: the header's counts and the first node.
fn populated(n: usize, m: usize) -> impl Fn(&Screen) -> bool + Send + 'static {
    let counts = format!("{n} nodes, {m} services");
    let first = swarm::hostname(0);
    move |s: &Screen| {
        let t = s.text();
        t.contains(&counts) && t.contains(&first)
    }
}

fn args(fake: &Fake, cfg: &RunConfig) -> Vec<String> {
    let mut a = vec!["--host".to_string(), fake.endpoint(), "--no-bell".into()];
    a.extend(cfg.vip.iter().cloned());
    a
}

/// An idle window: CPU, memory (sampled every second), terminal bytes, engine requests.
pub fn idle_window(
    dash: &Dash,
    counts: &dyn Fn() -> Counts,
    idle: Duration,
    extra: &mut dyn FnMut(),
) -> Idle {
    let p: Proc = dash.proc();
    let cpu0 = p.cpu().unwrap_or_default();
    let (b0, f0) = dash.written();
    let c0 = counts();
    let t0 = Instant::now();
    let mut rss = 0;
    let end = t0 + idle;
    loop {
        let now = Instant::now();
        if now >= end {
            break;
        }
        std::thread::sleep((end - now).min(Duration::from_secs(1)));
        rss = p.rss_kb().unwrap_or(rss);
        extra();
    }
    let secs = t0.elapsed().as_secs_f64();
    let cpu1 = p.cpu().unwrap_or_default();
    let (b1, f1) = dash.written();
    Idle {
        secs,
        cpu_pct: (cpu1.saturating_sub(cpu0)).as_secs_f64() / secs * 100.0,
        rss_steady_kb: p.rss_kb().unwrap_or(rss),
        rss_peak_kb: p.hwm_kb().unwrap_or(0),
        term_bytes: b1 - b0,
        frames: f1 - f0,
        engine: counts_between(&c0, &counts()),
    }
}

/// Which node the events are about: a ready, active worker (a manager that does not lead on
/// a swarm of managers only).
fn event_victim(fake: &Fake) -> usize {
    (0..fake.node_count())
        .rev()
        .find(|&i| {
            let (_, st, av) = fake.node(i);
            st == "ready" && av == "active" && i != 0
        })
        .expect("a node to push events about")
}

fn down_text(d: usize) -> String {
    format!("· {d} down")
}

/// The tasks pane shows the first node's tasks: `tasks on mgr-01 (N)`, N > 0.
fn tasks_shown() -> impl Fn(&Screen) -> bool + Send + 'static {
    let title = format!("tasks on {} (", swarm::hostname(0));
    move |s: &Screen| {
        let t = s.text();
        t.find(&title)
            .is_some_and(|i| !t[i + title.len()..].starts_with("0)"))
    }
}

/// Start the real binary against the fake; wait for its first populated frame (and the one
/// that shows the first node's tasks).
pub fn start_dash(
    fake: &Arc<Fake>,
    cfg: &RunConfig,
    clock: bool,
) -> (Dash, Option<Duration>, Option<Duration>) {
    let env: Vec<(&str, &str)> = if clock {
        vec![]
    } else {
        vec![("SWARMDECK_NO_CLOCK", "1")]
    };
    let (n, m) = (fake.node_count(), fake.service_count());
    let (dash, w) = Dash::start_watching(
        &cfg.bin,
        &args(fake, cfg),
        &env,
        cfg.w,
        cfg.h,
        vec![Box::new(populated(n, m)), Box::new(tasks_shown())],
    );
    let first = dash
        .wait(w[0], cfg.patience)
        .map(|hit| hit.at - dash.started);
    let tasks = first.and_then(|_| {
        dash.wait(w[1], cfg.patience)
            .map(|hit| hit.at - dash.started)
    });
    (dash, first, tasks)
}

/// Every figure of the real binary for one size (the in-process frame times aside).
pub fn binary_figures(fake: &Arc<Fake>, cfg: &RunConfig, fig: &mut Figures) {
    cfg.say("the dashboard in a terminal: first frame");
    let (dash, first, tasks) = start_dash(fake, cfg, true);
    fig.first_frame = first;
    fig.first_tasks = tasks;
    if first.is_none() {
        fig.notes.push(format!(
            "no populated frame within {:?}; screen:\n{}",
            cfg.patience,
            dash.screen()
        ));
        return;
    }
    std::thread::sleep(cfg.settle);
    fig.first_screen = dash.screen();
    cfg.say(&format!("idle {:?}, clock on", cfg.idle));
    let f2 = fake.clone();
    fig.idle = Some(idle_window(
        &dash,
        &move || f2.counts(),
        cfg.idle,
        &mut || {},
    ));

    // node events: down, then up again
    cfg.say("events");
    let victim = event_victim(fake);
    for _ in 0..cfg.events {
        for state in ["down", "ready"] {
            let d = fake.down_nodes();
            let want = if state == "down" { d + 1 } else { d - 1 };
            let text = down_text(want);
            let gone = down_text(d);
            let w = dash.watch(move |s: &Screen| {
                let t = s.text();
                if want == 0 {
                    !t.contains(&gone)
                } else {
                    t.contains(&text)
                }
            });
            let pushed = Instant::now();
            fake.set_node_state(victim, state);
            match dash.wait(w, cfg.patience) {
                Some(hit) => fig.events.push(hit.at.saturating_duration_since(pushed)),
                None => fig.events_missed += 1,
            }
        }
    }

    // one task changes (tasks have no events: the task poll brings it)
    cfg.say("one task changes");
    // a task of the selected node whose row is on screen (replicated: its name is unique)
    let screen = dash.screen();
    let row_of = |s: &str, name: &str| -> Option<String> {
        s.lines()
            .find(|l| {
                l.split(|c: char| c.is_whitespace() || c == '│')
                    .any(|w| w == name)
            })
            .map(str::to_string)
    };
    let shown = fake
        .running_on(0)
        .into_iter()
        .find(|(_, name)| name.contains('.') && row_of(&screen, name).is_some());
    match shown {
        Some((id, name)) => {
            let w = dash.watch(move |s: &Screen| {
                row_of(&s.text(), &name).is_some_and(|row| row.contains("failed"))
            });
            let changed = Instant::now();
            fake.set_task_state(&id, "failed", "task: non-zero exit (1)");
            match dash.wait(w, cfg.patience) {
                Some(hit) => fig.task_change = Some((hit.at - changed, hit.frame_bytes)),
                None => fig.notes.push(format!(
                    "the changed task never showed; screen:\n{}",
                    dash.screen()
                )),
            }
            fake.set_task_state(&id, "running", "started");
        }
        None => fig
            .notes
            .push(format!("no task of node 0 on screen to change:\n{screen}")),
    }
    if !dash.quit() {
        fig.notes.push("the dashboard did not quit on q".into());
    }
    drop(dash);

    if cfg.clock_off {
        cfg.say(&format!("idle {:?}, clock off", cfg.idle));
        let (dash, first, _) = start_dash(fake, cfg, false);
        if first.is_some() {
            std::thread::sleep(cfg.settle);
            let f2 = fake.clone();
            fig.idle_clock_off = Some(idle_window(
                &dash,
                &move || f2.counts(),
                cfg.idle,
                &mut || {},
            ));
        } else {
            fig.notes.push("clock off: no populated frame".into());
        }
        let _ = dash.quit();
    }
}

// ---- printing ----

pub fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else if ms >= 1.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.3} ms")
    }
}

pub fn kb(bytes: f64) -> String {
    if bytes >= 1024.0 * 1024.0 {
        format!("{:.1} MB", bytes / 1024.0 / 1024.0)
    } else if bytes >= 1024.0 {
        format!("{:.1} KB", bytes / 1024.0)
    } else {
        format!("{bytes:.0} B")
    }
}

/// One printed line: figure, measured, target, verdict.
pub struct Row {
    pub figure: String,
    pub measured: String,
    pub target: String,
    /// `None`: no target (a figure for information).
    pub pass: Option<bool>,
}

impl Row {
    pub fn new(figure: impl Into<String>, measured: impl Into<String>) -> Row {
        Row {
            figure: figure.into(),
            measured: measured.into(),
            target: "—".into(),
            pass: None,
        }
    }
    pub fn target(mut self, target: impl Into<String>, pass: bool) -> Row {
        self.target = target.into();
        self.pass = Some(pass);
        self
    }
    pub fn verdict(&self) -> &'static str {
        match self.pass {
            Some(true) => "PASS",
            Some(false) => "FAIL",
            None => "",
        }
    }
}

pub fn print_rows(rows: &[Row]) {
    println!(
        "  {:<46} {:>30}  {:<18} verdict",
        "figure", "measured", "target"
    );
    for r in rows {
        println!(
            "  {:<46} {:>30}  {:<18} {}",
            r.figure,
            r.measured,
            r.target,
            r.verdict()
        );
    }
}

/// The rows of one size's figures.
pub fn rows(f: &Figures) -> Vec<Row> {
    let mut rows = Vec::new();
    let t1 = first_frame_target(&f.size);
    rows.push(match f.first_frame {
        Some(d) => Row::new("1 start → first populated frame", ms(d))
            .target(format!("≤ {}", ms(t1)), d <= t1),
        None => Row::new("1 start → first populated frame", "never")
            .target(format!("≤ {}", ms(t1)), false),
    });
    rows.push(Row::new(
        "1 start → the first node's tasks shown",
        f.first_tasks.map_or("never".into(), ms),
    ));
    for ft in &f.frames {
        rows.push(
            Row::new(
                format!("2 frame {}×{} {} (median / p99)", ft.w, ft.h, ft.what),
                format!("{} / {}", ms(ft.median), ms(ft.p99)),
            )
            .target(
                format!("p99 ≤ {}", ms(target::FRAME_P99)),
                ft.p99 <= target::FRAME_P99,
            ),
        );
    }
    if let Some(i) = &f.idle {
        rows.push(Row::new(
            "3 terminal bytes / idle min, clock on",
            format!(
                "{} ({:.0} frames)",
                kb(i.per_min(i.term_bytes as f64)),
                i.per_min(i.frames as f64)
            ),
        ));
    }
    match &f.idle_clock_off {
        Some(i) => {
            let b = i.per_min(i.term_bytes as f64);
            rows.push(
                Row::new(
                    "3 terminal bytes / idle min, clock off",
                    format!("{} ({:.0} frames)", kb(b), i.per_min(i.frames as f64)),
                )
                .target("≤ 1 KB", b <= target::IDLE_BYTES_CLOCK_OFF),
            );
        }
        None => rows.push(Row::new(
            "3 terminal bytes / idle min, clock off",
            "not run",
        )),
    }
    if let Some((d, b)) = f.task_change {
        rows.push(Row::new(
            "3 bytes of the frame showing one changed task",
            format!("{} (after {})", kb(b as f64), ms(d)),
        ));
    }
    if let Some(i) = &f.idle {
        rows.push(
            Row::new(
                format!("4 idle CPU, % of a core ({:.0} s)", i.secs),
                format!("{:.2} %", i.cpu_pct),
            )
            .target("≤ 0.1 %", i.cpu_pct <= target::IDLE_CPU_PCT),
        );
        if let Some(o) = &f.idle_clock_off {
            rows.push(Row::new(
                "4 idle CPU, clock off",
                format!("{:.2} %", o.cpu_pct),
            ));
        }
        rows.push(
            Row::new(
                "4 RSS peak / steady",
                format!(
                    "{} / {}",
                    kb(i.rss_peak_kb as f64 * 1024.0),
                    kb(i.rss_steady_kb as f64 * 1024.0)
                ),
            )
            .target("≤ 25 MB", i.rss_peak_kb <= target::RSS_KB),
        );
        rows.push(Row::new(
            "5 engine requests / idle min",
            format!("{:.0}", i.per_min(i.requests() as f64)),
        ));
        rows.push(Row::new(
            "5 engine bytes / idle min",
            kb(i.per_min(i.engine_bytes() as f64)),
        ));
        let full = i.per_min(i.full_task_lists() as f64);
        rows.push(
            Row::new("5 full task lists / idle min", format!("{full:.1}"))
                .target("≤ 1", full <= target::FULL_TASK_LISTS_PER_MIN),
        );
    }
    if !f.events.is_empty() || f.events_missed > 0 {
        let mut v = f.events.clone();
        v.sort();
        let worst = v.last().copied().unwrap_or_default();
        let med = percentile(&v, 0.5);
        rows.push(
            Row::new(
                format!(
                    "6 event → frame (median / max of {}{})",
                    v.len(),
                    if f.events_missed > 0 {
                        format!(", {} never shown", f.events_missed)
                    } else {
                        String::new()
                    }
                ),
                format!("{} / {}", ms(med), ms(worst)),
            )
            .target(
                "≤ 100 ms",
                f.events_missed == 0 && worst <= target::EVENT_TO_FRAME,
            ),
        );
    }
    if let Some((d, _)) = f.task_change {
        rows.push(Row::new("6 task change → frame (task poll)", ms(d)));
    }
    rows
}

/// The engine's requests per idle minute, by path.
pub fn print_requests(i: &Idle) {
    println!("  engine requests per idle minute, by path:");
    let mut v: Vec<_> = i.engine.iter().collect();
    v.sort_by_key(|(_, c)| std::cmp::Reverse(c.bytes));
    for (path, c) in v {
        println!(
            "    {:<40} {:>7.1} req  {:>10}",
            path,
            i.per_min(c.requests as f64),
            kb(i.per_min(c.bytes as f64))
        );
    }
}

pub fn describe(f: &Figures) -> String {
    format!(
        "{}: {} nodes (3 managers, {} down), {} services (all four modes), {} running tasks, {} tasks in all (history included)",
        f.size.name, f.nodes, f.down, f.services, f.size.running, f.tasks
    )
}

/// The slope (per minute) of `(seconds, value)` samples, by least squares.
pub fn slope_per_min(samples: &[(f64, f64)]) -> f64 {
    let n = samples.len() as f64;
    if n < 2.0 {
        return 0.0;
    }
    let mx = samples.iter().map(|s| s.0).sum::<f64>() / n;
    let my = samples.iter().map(|s| s.1).sum::<f64>() / n;
    let num: f64 = samples.iter().map(|s| (s.0 - mx) * (s.1 - my)).sum();
    let den: f64 = samples.iter().map(|s| (s.0 - mx).powi(2)).sum();
    if den == 0.0 { 0.0 } else { num / den * 60.0 }
}
