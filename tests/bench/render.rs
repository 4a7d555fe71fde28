//! `cargo bench --bench render`: how long a 1,000-node, 300-service, 6,000-task swarm takes
//! to take in (App::apply) and to draw, and how long a key press takes. Prints figures.
//! Targets: apply < 20 ms, draw < 10 ms per frame at 200×60, key < 5 ms.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use swarmdeck::app::App;
use swarmdeck::domain::*;
use swarmdeck::engine::{EngineMsg, TaskScope};
use swarmdeck::keymap::Keymap;
use swarmdeck::theme::Theme;

fn cluster(now: Timestamp) -> (Vec<Node>, Vec<Service>, Vec<Task>) {
    let nodes: Vec<Node> = (0..1000)
        .map(|i| Node {
            id: NodeId(format!("node{i:04}id")),
            version: 10,
            hostname: format!("node{i:04}"),
            role: if i < 5 { Role::Manager } else { Role::Worker },
            availability: Availability::Active,
            state: if i % 97 == 0 {
                NodeState::Down
            } else {
                NodeState::Ready
            },
            state_message: String::new(),
            manager: (i < 5).then(|| ManagerInfo {
                leader: i == 0,
                reachability: Reachability::Reachable,
                addr: format!("198.51.100.{}:2377", 11 + i),
            }),
            status_addr: format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256),
            engine_version: "20.10.24".into(),
            labels: BTreeMap::from([("zone".to_string(), format!("z{}", i % 3))]),
            nano_cpus: 2_000_000_000,
            memory_bytes: 4 << 30,
            ..Default::default()
        })
        .collect();
    let services: Vec<Service> = (0..300)
        .map(|i| Service {
            id: ServiceId(format!("svc{i:04}id")),
            version: 5,
            name: format!("app-{i:03}"),
            mode: ServiceMode::Replicated { replicas: 20 },
            image: format!("registry.example/app-{i}:1.{i}@sha256:abc"),
            running: 20,
            desired: 20,
            completed: 0,
            update_state: None,
            update_message: String::new(),
            constraints: vec![],
            labels: BTreeMap::new(),
            ..Default::default()
        })
        .collect();
    let tasks: Vec<Task> = (0..6000)
        .map(|i| Task {
            id: TaskId(format!("task{i:05}")),
            service_id: services[i % 300].id.clone(),
            node_id: Some(nodes[i % 1000].id.clone()),
            slot: Some((i / 300) as i64 + 1),
            desired: TaskState::Running,
            state: TaskState::Running,
            since: Some(now),
            message: "started".into(),
            error: String::new(),
            created: Some(now),
            ..Default::default()
        })
        .collect();
    (nodes, services, tasks)
}

fn time<T>(runs: u32, mut f: impl FnMut() -> T) -> Duration {
    let start = Instant::now();
    for _ in 0..runs {
        std::hint::black_box(f());
    }
    start.elapsed() / runs
}

/// A `/proc/self/status` figure in MiB (`VmRSS`: now, `VmHWM`: the peak).
fn mem_mib(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix(field)?
                    .trim()
                    .strip_suffix("kB")?
                    .trim()
                    .parse::<f64>()
                    .ok()
            })
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    let rss_start = mem_mib("VmRSS:");
    let now = Timestamp::now();
    let (nodes, services, tasks) = cluster(now);
    let mut app = App::new(Keymap::default(), now);
    let apply = time(20, || {
        app.apply(EngineMsg::Nodes(nodes.clone()));
        app.apply(EngineMsg::Services(services.clone()));
        app.apply(EngineMsg::Tasks {
            scope: TaskScope::Live,
            tasks: tasks.clone(),
        });
    });
    let theme = Theme::builtin_default();
    let mut term = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
    let draw = time(50, || {
        term.draw(|f| swarmdeck::ui::draw(f, f.area(), &app, &theme))
            .map(|_| ())
    });
    let key = time(200, || {
        app.on_key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE))
    });
    println!(
        "swarm: {} nodes, {} services, {} tasks",
        nodes.len(),
        services.len(),
        tasks.len()
    );
    let line = |what: &str, d: Duration, target_ms: f64| {
        let ms = d.as_secs_f64() * 1e3;
        let verdict = if ms <= target_ms { "ok" } else { "OVER" };
        println!("{what:<28}{ms:>8.2} ms   target <= {target_ms} ms   {verdict}");
    };
    line("apply nodes+services+tasks:", apply, 50.0);
    line("draw 200x60 frame:", draw, 1.0);
    line("key press (j):", key, 1.0);
    // the engine's copy of the lists is dropped after each apply in the real loop
    drop((nodes, services, tasks));
    println!(
        "memory: {:.1} MiB resident with the swarm in the App ({:.1} MiB at start), peak {:.1} MiB   target < 64 MiB resident",
        mem_mib("VmRSS:"),
        rss_start,
        mem_mib("VmHWM:")
    );
}
