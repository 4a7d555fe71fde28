//! `cargo bench --bench scale -- [--size small|medium|large|all] [--idle-secs N]
//! [--events N] [--frames N] [--vip ADDR] [--latency-ms N] [--no-clock-off] [--show-screen]
//! [--serve SECS] [--lab] [--soak [--soak-secs N] [--soak-size S] [--soak-events N]
//! [--soak-tasks N] [--soak-bound KB]]`
//!
//! The figures of issue 14 against the scale engine (tests/common/scale: a fake Docker Engine
//! API serving a generated swarm), each beside its target with PASS/FAIL: the real
//! bench-profile binary in a tmux terminal (first populated frame, terminal bytes, CPU, memory,
//! engine requests, event → frame), frame build + diff in-process. `--lab`: the real lab beside
//! the docker CLI and the manager's dockerd CPU. `--soak`: events and task churn at a high
//! rate, memory sampled. docs/performance.md has the targets and the figures.

#[path = "../common/scale/mod.rs"]
mod scale;

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use scale::figures::{self, Figures, Row, RunConfig, kb, ms};
use scale::swarm::Rng;
use scale::term::{Dash, Proc, Screen};
use scale::{Fake, Proxy, Size, Swarm};

struct Args {
    sizes: Vec<Size>,
    idle: Duration,
    events: usize,
    frames: usize,
    vip: Vec<String>,
    clock_off: bool,
    show_screen: bool,
    serve: Option<u64>,
    latency: Duration,
    lab: bool,
    soak: bool,
    soak_secs: u64,
    soak_size: Size,
    soak_events: u64,
    soak_tasks: u64,
    soak_bound: f64,
}

fn usage(msg: &str) -> ! {
    eprintln!(
        "scale: {msg}\nusage: cargo bench --bench scale -- [--size small|medium|large|all] [--idle-secs N] [--events N] [--frames N] [--vip ADDR] [--latency-ms N] [--no-clock-off] [--show-screen] [--serve SECS] [--lab] [--soak [--soak-secs N] [--soak-size S] [--soak-events N/s] [--soak-tasks N/s] [--soak-bound KB/min]]"
    );
    std::process::exit(64)
}

fn parse() -> Args {
    let mut a = Args {
        sizes: vec![scale::SMALL, scale::MEDIUM, scale::LARGE],
        idle: Duration::from_secs(60),
        events: 10,
        frames: 500,
        vip: Vec::new(),
        clock_off: true,
        show_screen: false,
        serve: None,
        latency: Duration::ZERO,
        lab: false,
        soak: false,
        soak_secs: 180,
        soak_size: scale::MEDIUM,
        soak_events: 20,
        soak_tasks: 100,
        soak_bound: 64.0,
    };
    let mut it = std::env::args().skip(1);
    let num = |v: Option<String>, what: &str| -> u64 {
        v.and_then(|v| v.parse().ok())
            .unwrap_or_else(|| usage(&format!("{what} takes a number")))
    };
    let size = |v: Option<String>| -> Vec<Size> {
        match v.as_deref() {
            Some("all") => vec![scale::SMALL, scale::MEDIUM, scale::LARGE],
            Some(s) => vec![Size::by_name(s).unwrap_or_else(|| usage(&format!("no size {s}")))],
            None => usage("--size takes small, medium, large or all"),
        }
    };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            // cargo bench passes --bench to every bench binary
            "--bench" => {}
            "--size" => a.sizes = size(it.next()),
            "--idle-secs" => a.idle = Duration::from_secs(num(it.next(), "--idle-secs").max(1)),
            "--events" => a.events = num(it.next(), "--events") as usize,
            "--frames" => a.frames = num(it.next(), "--frames").max(1) as usize,
            "--vip" => {
                let v = it.next().unwrap_or_else(|| usage("--vip takes an address"));
                a.vip = vec!["--vip".into(), v];
            }
            "--no-clock-off" => a.clock_off = false,
            "--show-screen" => a.show_screen = true,
            "--serve" => a.serve = Some(num(it.next(), "--serve")),
            "--latency-ms" => a.latency = Duration::from_millis(num(it.next(), "--latency-ms")),
            "--lab" => a.lab = true,
            "--soak" => a.soak = true,
            "--soak-secs" => a.soak_secs = num(it.next(), "--soak-secs").max(10),
            "--soak-size" => a.soak_size = size(it.next())[0],
            "--soak-events" => a.soak_events = num(it.next(), "--soak-events"),
            "--soak-tasks" => a.soak_tasks = num(it.next(), "--soak-tasks"),
            "--soak-bound" => a.soak_bound = num(it.next(), "--soak-bound") as f64,
            "-h" | "--help" => usage("the figures of issue 14 (docs/performance.md)"),
            other => usage(&format!("unknown argument {other}")),
        }
    }
    a
}

/// The 1-minute load average (other work on the machine disturbs the timings).
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_swarmdeck"))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

fn config(a: &Args) -> RunConfig {
    RunConfig {
        bin: bin(),
        idle: a.idle,
        settle: Duration::from_secs(3),
        events: a.events,
        w: 200,
        h: 50,
        vip: a.vip.clone(),
        clock_off: a.clock_off,
        frames: a.frames,
        patience: Duration::from_secs(120),
        verbose: true,
    }
}

fn main() {
    let a = parse();
    println!(
        "swarmdeck scale bench — {} — {} cores, load average {} — binary {}",
        jiff::Timestamp::now().strftime("%Y-%m-%d %H:%M UTC"),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load(),
        bin().display()
    );
    if a.lab {
        lab(&a);
        return;
    }
    if a.soak {
        soak(&a);
        return;
    }
    if let Some(secs) = a.serve {
        serve(&a, secs);
        return;
    }
    let rt = runtime();
    let cfg = config(&a);
    let mut verdicts = (0, 0);
    for size in &a.sizes {
        let t = Instant::now();
        let swarm = Swarm::generate(*size, 42);
        let running = swarm.running();
        let fake = Fake::start(swarm, rt.handle(), true);
        fake.set_latency(a.latency);
        let mut fig = Figures::new(*size, &fake);
        fig.running = running;
        println!();
        println!(
            "== {} (generated in {}) ==",
            figures::describe(&fig),
            ms(t.elapsed())
        );
        cfg.say("in-process: the engine reads the swarm into an App");
        let mut app = figures::loaded_app(&fake, &rt, cfg.patience);
        cfg.say("in-process: frame build + diff");
        fig.frames = figures::frame_times(&mut app, &[(80, 24), (200, 50)], cfg.frames);
        drop(app);
        figures::binary_figures(&fake, &cfg, &mut fig);
        if a.show_screen {
            println!("{}", fig.first_screen);
        }
        let rows = figures::rows(&fig);
        figures::print_rows(&rows);
        if let Some(i) = &fig.idle {
            figures::print_requests(i);
        }
        for n in &fig.notes {
            println!("  note: {n}");
        }
        for r in &rows {
            match r.pass {
                Some(true) => verdicts.0 += 1,
                Some(false) => verdicts.1 += 1,
                None => {}
            }
        }
    }
    println!();
    println!("{} PASS, {} FAIL", verdicts.0, verdicts.1);
}

/// Serve the first size for `secs` seconds and say how to watch it: for profiling the
/// dashboard by hand (`perf record -g -p PID`), docs/performance.md.
fn serve(a: &Args, secs: u64) {
    let rt = runtime();
    let size = a.sizes[0];
    let swarm = Swarm::generate(size, 42);
    let fake = Fake::start(swarm, rt.handle(), true);
    fake.set_latency(a.latency);
    println!(
        "serving {} for {secs} s: {} --host {} --no-bell",
        size.name,
        bin().display(),
        fake.endpoint()
    );
    std::thread::sleep(Duration::from_secs(secs));
    for (path, c) in fake.counts() {
        println!(
            "  {path:<40} {:>7} req  {:>10}",
            c.requests,
            kb(c.bytes as f64)
        );
    }
}

// ---- the lab ----

struct LabNode {
    name: String,
    socket: String,
}

fn lab_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/lab/lab.sh")
}

fn lab_status() -> (Vec<LabNode>, Option<String>) {
    let out = Command::new("bash")
        .arg(lab_script())
        .arg("status")
        .output()
        .expect("bash tests/lab/lab.sh status");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut nodes = Vec::new();
    let mut vip = None;
    for l in text.lines() {
        let f: Vec<&str> = l.split_whitespace().collect();
        if let Some(v) = f.first().and_then(|x| x.strip_prefix("vip=")) {
            vip = Some(v.to_string());
        }
        if let (Some(name), Some(sock)) = (
            f.first().filter(|n| n.starts_with("node")),
            f.iter().find_map(|x| x.strip_prefix("socket=")),
        ) && l.contains("role=manager")
            && l.contains("docker=up")
        {
            nodes.push(LabNode {
                name: name.to_string(),
                socket: sock.to_string(),
            });
        }
    }
    (nodes, vip)
}

fn docker(endpoint: &str, args: &[&str]) -> (Duration, String) {
    let t = Instant::now();
    let out = Command::new("docker")
        .env("DOCKER_HOST", endpoint)
        .args(args)
        .output()
        .expect("the docker CLI");
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        t.elapsed(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// `docker node ls`, `docker service ls`, `docker service ps` of every service: the time.
fn cli_round(endpoint: &str, services: &[String]) -> Duration {
    let mut total = docker(endpoint, &["node", "ls"]).0;
    total += docker(endpoint, &["service", "ls"]).0;
    for s in services {
        total += docker(endpoint, &["service", "ps", s]).0;
    }
    total
}

fn lab(a: &Args) {
    let dir = PathBuf::from("/var/lib/swarmdeck-lab");
    let lock = std::fs::File::create(dir.join(".test-lock")).expect("the lab's lock file (root)");
    println!("waiting for the lab (its test lock)…");
    lock.lock().expect("lock the lab");
    let (nodes, vip) = lab_status();
    let node = nodes.first().unwrap_or_else(|| {
        eprintln!("scale: the lab is not up (bash tests/lab/lab.sh status)");
        std::process::exit(1)
    });
    let sock = node.socket.trim_start_matches("unix://").to_string();
    let pidfile = dir.join("sdlab").join(&node.name).join("dockerd.pid");
    let dockerd: u32 = std::fs::read_to_string(&pidfile)
        .ok()
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("dockerd's pid in {}", pidfile.display()));
    let dproc = Proc(dockerd);
    let rt = runtime();
    let proxy = Proxy::start(std::path::Path::new(&sock), rt.handle());
    let ep = proxy.endpoint();
    let n = docker(&ep, &["node", "ls", "-q"]).1.lines().count();
    let services: Vec<String> = docker(&ep, &["service", "ls", "-q"])
        .1
        .lines()
        .map(str::to_string)
        .collect();
    println!(
        "lab: {} via a counting proxy; {n} nodes, {} services; dockerd pid {dockerd}; VIP {}",
        node.name,
        services.len(),
        vip.as_deref().unwrap_or("none")
    );
    let window = a.idle;
    let dockerd_cpu = |f: &mut dyn FnMut()| -> f64 {
        let c0 = dproc.cpu().unwrap_or_default();
        let t0 = Instant::now();
        f();
        let c1 = dproc.cpu().unwrap_or_default();
        c1.saturating_sub(c0).as_secs_f64() / t0.elapsed().as_secs_f64() * 100.0
    };

    // the docker CLI: one round, then one every 2 s (`watch -n 2`)
    let c0 = proxy.counts();
    let round = cli_round(&ep, &services);
    let one = scale::counts_between(&c0, &proxy.counts());
    let round_req: u64 = one.values().map(|c| c.requests).sum();
    let round_bytes: u64 = one.values().map(|c| c.bytes).sum();
    println!("  … dockerd idle {window:?}, nobody watching");
    let base = dockerd_cpu(&mut || std::thread::sleep(window));
    println!("  … dockerd {window:?}, the docker CLI every 2 s");
    let c0 = proxy.counts();
    let t0 = Instant::now();
    let with_cli = dockerd_cpu(&mut || {
        let end = Instant::now() + window;
        while Instant::now() < end {
            let next = Instant::now() + Duration::from_secs(2);
            cli_round(&ep, &services);
            std::thread::sleep(next.saturating_duration_since(Instant::now()));
        }
    });
    let cli_min = scale::minutes(t0.elapsed());
    let cli = scale::counts_between(&c0, &proxy.counts());
    let cli_req = cli.values().map(|c| c.requests).sum::<u64>() as f64 / cli_min;
    let cli_bytes = cli.values().map(|c| c.bytes).sum::<u64>() as f64 / cli_min;

    // swarmdeck, watching the VIP
    println!("  … swarmdeck: first frame, then idle {window:?}");
    let mut args = vec!["--host".to_string(), ep.clone(), "--no-bell".into()];
    if let Some(v) = &vip {
        args.extend(["--vip".to_string(), v.clone()]);
    }
    let dash = Dash::start(&bin(), &args, &[], 200, 50);
    let counts = format!("{n} nodes, {} services", services.len());
    let host = node.name.clone();
    let w = dash.watch(move |s: &Screen| {
        let t = s.text();
        t.contains(&counts) && t.contains(&host)
    });
    let first = dash
        .wait(w, Duration::from_secs(60))
        .map(|h| h.at - dash.started);
    std::thread::sleep(Duration::from_secs(3));
    let mut idle = None;
    let with_sd = dockerd_cpu(&mut || {
        idle = Some(figures::idle_window(
            &dash,
            &|| proxy.counts(),
            window,
            &mut || {},
        ));
    });
    let _ = dash.quit();
    drop(dash);
    let idle = idle.expect("the idle window");
    drop(lock);

    let req_min = idle.per_min(idle.requests() as f64);
    let bytes_min = idle.per_min(idle.engine_bytes() as f64);
    let ratio = |a: f64, b: f64| {
        if b > 0.0 {
            format!("{:.2}×", a / b)
        } else {
            "—".into()
        }
    };
    let rows = vec![
        Row::new(
            "first populated frame vs one CLI round",
            format!(
                "{} vs {} = {}",
                first.map_or("never".into(), ms),
                ms(round),
                first.map_or("—".into(), |f| ratio(
                    f.as_secs_f64(),
                    round.as_secs_f64()
                ))
            ),
        ),
        Row::new(
            "one CLI round (node ls, service ls, service ps ×N)",
            format!("{round_req} req, {}", kb(round_bytes as f64)),
        ),
        Row::new(
            "engine requests / idle min: swarmdeck vs CLI every 2 s",
            format!("{req_min:.0} vs {cli_req:.0} = {}", ratio(req_min, cli_req)),
        ),
        Row::new(
            "engine bytes / idle min: swarmdeck vs CLI every 2 s",
            format!(
                "{} vs {} = {}",
                kb(bytes_min),
                kb(cli_bytes),
                ratio(bytes_min, cli_bytes)
            ),
        ),
        Row::new(
            "full task lists / idle min",
            format!("{:.1}", idle.per_min(idle.full_task_lists() as f64)),
        )
        .target(
            "≤ 1",
            idle.per_min(idle.full_task_lists() as f64) <= figures::target::FULL_TASK_LISTS_PER_MIN,
        ),
        Row::new(
            "swarmdeck idle CPU (VIP watched)",
            format!("{:.2} %", idle.cpu_pct),
        )
        .target("≤ 0.1 %", idle.cpu_pct <= figures::target::IDLE_CPU_PCT),
        Row::new(
            "swarmdeck RSS peak / steady",
            format!(
                "{} / {}",
                kb(idle.rss_peak_kb as f64 * 1024.0),
                kb(idle.rss_steady_kb as f64 * 1024.0)
            ),
        )
        .target("≤ 25 MB", idle.rss_peak_kb <= figures::target::RSS_KB),
        Row::new(
            "terminal bytes / idle min (clock on)",
            kb(idle.per_min(idle.term_bytes as f64)),
        ),
        Row::new(
            "manager dockerd CPU: alone / +swarmdeck / +CLI",
            format!("{base:.2} / {with_sd:.2} / {with_cli:.2} %"),
        ),
        Row::new(
            "dockerd CPU added: swarmdeck vs CLI every 2 s",
            format!(
                "{:.2} vs {:.2} % = {}",
                with_sd - base,
                with_cli - base,
                ratio((with_sd - base).max(0.0), (with_cli - base).max(0.0))
            ),
        ),
    ];
    println!();
    println!("== lab: {n} nodes, {} services ==", services.len());
    figures::print_rows(&rows);
    figures::print_requests(&idle);
}

// ---- the soak ----

fn soak(a: &Args) {
    let rt = runtime();
    let size = a.soak_size;
    let fake = Fake::start(Swarm::generate(size, 42), rt.handle(), true);
    fake.set_latency(a.latency);
    let mut cfg = config(a);
    cfg.clock_off = false;
    println!(
        "soak: {} for {} s, {} node/service events/s and {} task changes/s",
        size.name, a.soak_secs, a.soak_events, a.soak_tasks
    );
    let (dash, first, _) = figures::start_dash(&fake, &cfg, true);
    if first.is_none() {
        println!("no populated frame; screen:\n{}", dash.screen());
        return;
    }
    std::thread::sleep(cfg.settle);
    let stop = Arc::new(AtomicBool::new(false));
    let pushed = Arc::new((AtomicU64::new(0), AtomicU64::new(0)));
    let driver = {
        let (fake, stop, pushed) = (fake.clone(), stop.clone(), pushed.clone());
        let (ev_rate, task_rate) = (a.soak_events, a.soak_tasks);
        std::thread::spawn(move || {
            let mut rng = Rng(9);
            let t0 = Instant::now();
            let workers: Vec<usize> = (3..fake.node_count()).collect();
            while !stop.load(Ordering::Relaxed) {
                let secs = t0.elapsed().as_secs_f64();
                while (pushed.0.load(Ordering::Relaxed) as f64) < secs * ev_rate as f64 {
                    let k = pushed.0.fetch_add(1, Ordering::Relaxed);
                    if k % 2 == 0 && !workers.is_empty() {
                        let i = workers[rng.below(workers.len() as u64) as usize];
                        let (_, st, _) = fake.node(i);
                        fake.set_node_state(i, if st == "down" { "ready" } else { "down" });
                    } else {
                        let s = rng.below(fake.service_count() as u64) as usize;
                        fake.update_service_image(s, &format!("soak{k}"));
                    }
                }
                while (pushed.1.load(Ordering::Relaxed) as f64) < secs * task_rate as f64 {
                    pushed.1.fetch_add(1, Ordering::Relaxed);
                    fake.churn_task(rng.next());
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let p = dash.proc();
    let t0 = Instant::now();
    let end = t0 + Duration::from_secs(a.soak_secs);
    let cpu0 = p.cpu().unwrap_or_default();
    let mut samples = Vec::new();
    while Instant::now() < end && dash.alive() {
        std::thread::sleep(Duration::from_secs(2));
        if let Some(kb) = p.rss_kb() {
            samples.push((t0.elapsed().as_secs_f64(), kb as f64));
        }
    }
    stop.store(true, Ordering::Relaxed);
    let _ = driver.join();
    let cpu = p
        .cpu()
        .unwrap_or_default()
        .saturating_sub(cpu0)
        .as_secs_f64()
        / t0.elapsed().as_secs_f64()
        * 100.0;
    let peak = p.hwm_kb().unwrap_or(0);
    let alive = dash.alive();
    let (bytes, frames) = dash.written();
    let _ = dash.quit();
    // the first quarter is the warm-up (allocator pools, the first histories filling)
    let warm = samples.len() / 4;
    let slope = figures::slope_per_min(&samples[warm..]);
    let (start, last) = (
        samples.get(warm).map_or(0.0, |s| s.1),
        samples.last().map_or(0.0, |s| s.1),
    );
    let rows = vec![
        Row::new(
            "pushed: events / task changes",
            format!(
                "{} / {}",
                pushed.0.load(Ordering::Relaxed),
                pushed.1.load(Ordering::Relaxed)
            ),
        ),
        Row::new(
            "frames / terminal bytes",
            format!("{frames} / {}", kb(bytes as f64)),
        ),
        Row::new("CPU during the soak", format!("{cpu:.1} %")),
        Row::new(
            "RSS after warm-up / at the end",
            format!("{} / {}", kb(start * 1024.0), kb(last * 1024.0)),
        ),
        Row::new("RSS peak", kb(peak as f64 * 1024.0))
            .target("≤ 25 MB", peak <= figures::target::RSS_KB),
        Row::new("RSS slope after warm-up", format!("{slope:.1} KB/min")).target(
            format!("≤ {:.0} KB/min", a.soak_bound),
            alive && slope <= a.soak_bound,
        ),
    ];
    println!();
    figures::print_rows(&rows);
    if !alive {
        println!("  note: the dashboard died during the soak");
    }
}
