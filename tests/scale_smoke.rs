//! The scale engine (tests/common/scale) in CI: its JSON has the shapes the lab's engine
//! records, it answers the dashboard's filters and streams events, and the benchmark's
//! figures (`cargo bench --bench scale`) come out for the smallest size in a few seconds —
//! produced and sane, not the timing targets (those are the bench's, docs/performance.md).

#[path = "common/scale/mod.rs"]
mod scale;

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

use scale::figures::{self, RunConfig};
use scale::swarm::{self, Recorded, Shape, differences, shape};
use scale::{Fake, MEDIUM, SMALL, Swarm};
use serde_json::Value;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// One GET on the fake's socket: status and body.
fn get(sock: &Path, target: &str) -> (u16, String) {
    let mut s = UnixStream::connect(sock).expect("connect to the fake");
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    write!(
        s,
        "GET {target} HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n"
    )
    .expect("request");
    let mut r = BufReader::new(s);
    let mut status = String::new();
    r.read_line(&mut status).expect("status line");
    let code: u16 = status
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("a status code");
    let mut length = 0usize;
    loop {
        let mut l = String::new();
        r.read_line(&mut l).expect("header");
        let l = l.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().expect("length");
        }
    }
    let mut body = vec![0u8; length];
    r.read_exact(&mut body).expect("body");
    (code, String::from_utf8(body).expect("utf-8"))
}

fn json(sock: &Path, target: &str) -> Value {
    let (code, body) = get(sock, target);
    assert_eq!(code, 200, "{target}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{target}: {e}"))
}

/// The shapes a recorded object may have: as recorded, or without the keys the engine
/// leaves out when empty (`omitempty`) — a task's `Slot` (a global service's task) and
/// `NetworksAttachments` (a service without networks).
fn recorded_shapes(objects: &[Value], omitempty: &[&str]) -> Vec<Shape> {
    let mut out = Vec::new();
    for o in objects {
        let n = omitempty.len();
        for mask in 0..(1u32 << n) {
            let mut v = o.clone();
            for (i, k) in omitempty.iter().enumerate() {
                if mask & (1 << i) != 0 {
                    v.as_object_mut().expect("object").remove(*k);
                }
            }
            out.push(shape(&v));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Every object has the shape of some recorded one (an empty array or map matches any
/// elements); else the differences from the closest.
fn check(kind: &str, generated: &[Value], recorded: &[Shape]) {
    assert!(!generated.is_empty(), "no {kind} generated");
    for g in generated {
        let s = shape(g);
        let closest = recorded
            .iter()
            .map(|r| {
                let mut d = Vec::new();
                differences(&s, r, "", &mut d);
                d
            })
            .min_by_key(Vec::len)
            .unwrap_or_else(|| vec!["nothing recorded".into()]);
        assert!(
            closest.is_empty(),
            "a generated {kind} has no recorded shape: {closest:?}\n{g}"
        );
    }
}

#[test]
fn the_scale_engine_serves_the_shapes_the_lab_engine_records() {
    let rt = runtime();
    let rec = Recorded::load();
    let node_shapes = recorded_shapes(&rec.nodes, &[]);
    let service_shapes = recorded_shapes(&rec.services, &[]);
    let task_shapes = recorded_shapes(&rec.tasks, &["Slot", "NetworksAttachments"]);
    // the comparison sees a changed type and a misspelt key
    let mut bad = rec.nodes[0].clone();
    bad["Version"]["Index"] = "12".into();
    bad["Spec"]["Availabilty"] = "active".into();
    let mut d = Vec::new();
    differences(&shape(&bad), &shape(&rec.nodes[0]), "", &mut d);
    assert_eq!(
        d,
        [
            ".Spec.Availabilty: only in the generated object",
            ".Version.Index: a string in the generated object, a number recorded",
        ],
        "{d:?}"
    );
    for size in [SMALL, MEDIUM] {
        let fake = Fake::start(Swarm::generate(size, 7), rt.handle(), false);
        let sock = fake.socket.clone();
        let mut nodes: Vec<Value> = json(&sock, "/v1.41/nodes")
            .as_array()
            .expect("nodes")
            .clone();
        assert_eq!(nodes.len(), size.nodes);
        // a down node's Status.Message: the engine's reason, a key no recorded (ready) node has
        let mut down = 0;
        for n in &mut nodes {
            if n["Status"]["State"] == "down" {
                down += 1;
                let st = n["Status"].as_object_mut().expect("status");
                assert!(st.remove("Message").is_some(), "a down node says why");
            }
        }
        if size.nodes > 3 {
            assert!(down > 0, "{}: some nodes are down", size.name);
            assert!(
                nodes.iter().any(|n| n["Spec"]["Availability"] == "drain"),
                "{}: some nodes are drained",
                size.name
            );
        }
        assert_eq!(
            nodes
                .iter()
                .filter(|n| n["Spec"]["Role"] == "manager")
                .count(),
            3
        );
        check("node", &nodes, &node_shapes);

        let services = json(&sock, "/v1.41/services?status=true");
        let services = services.as_array().expect("services");
        assert_eq!(services.len(), size.services);
        for mode in ["Replicated", "Global", "ReplicatedJob", "GlobalJob"] {
            assert!(
                services
                    .iter()
                    .any(|s| s["Spec"]["Mode"].get(mode).is_some()),
                "{}: a {mode} service",
                size.name
            );
        }
        check("service", services, &service_shapes);
        // without ?status=true the engine leaves the counts out
        let bare = json(&sock, "/v1.41/services");
        assert!(
            bare.as_array()
                .expect("services")
                .iter()
                .all(|s| s.get("ServiceStatus").is_none())
        );
        let running: u64 = services
            .iter()
            .map(|s| {
                s["ServiceStatus"]["RunningTasks"]
                    .as_u64()
                    .expect("running")
            })
            .sum();
        assert_eq!(running as usize, size.running, "{}", size.name);

        let tasks = json(&sock, "/v1.41/tasks");
        let tasks = tasks.as_array().expect("tasks");
        check("task", tasks, &task_shapes);
        let states: std::collections::BTreeSet<&str> = tasks
            .iter()
            .map(|t| t["Status"]["State"].as_str().expect("state"))
            .collect();
        for s in ["running", "shutdown", "failed", "complete"] {
            assert!(
                states.contains(s),
                "{}: a {s} task among {states:?}",
                size.name
            );
        }
        check("info", &[json(&sock, "/v1.41/info")], &[shape(&rec.info)]);
        check(
            "version",
            &[json(&sock, "/version")],
            &[shape(&rec.version)],
        );
    }
}

#[test]
fn the_scale_engine_filters_tasks_counts_requests_and_streams_events() {
    let rt = runtime();
    let swarm = Swarm::generate(MEDIUM, 11);
    let (node0, svc) = (swarm.nodes[0].id.clone(), swarm.services[5].id.clone());
    let total = swarm.tasks.len();
    let fake = Fake::start(swarm, rt.handle(), false);
    let sock = fake.socket.clone();
    let q = |f: &str| {
        let enc: String = f
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        format!("/v1.41/tasks?filters={enc}")
    };
    let n = |v: Value| v.as_array().expect("a list").len();
    assert_eq!(n(json(&sock, "/v1.41/tasks")), total);
    let live = json(
        &sock,
        &q(r#"{"desired-state":["running","ready","accepted"]}"#),
    );
    let live = live.as_array().expect("tasks");
    // every running task, and the pending one
    assert_eq!(live.len(), MEDIUM.running + 1);
    assert!(live.iter().all(|t| t["DesiredState"] == "running"));
    let on_node = json(&sock, &q(&format!(r#"{{"node":["{node0}"]}}"#)));
    assert!(n(on_node.clone()) > 0);
    assert!(
        on_node
            .as_array()
            .expect("tasks")
            .iter()
            .all(|t| t["NodeID"] == node0.as_str())
    );
    let of_svc = json(&sock, &q(&format!(r#"{{"service":{{"{svc}":true}}}}"#)));
    let of_svc = of_svc.as_array().expect("tasks");
    assert!(of_svc.iter().all(|t| t["ServiceID"] == svc.as_str()));
    // a slot keeps the running task and four old ones
    assert!(
        of_svc.len().is_multiple_of(swarm::OLD_PER_SLOT + 1),
        "{}",
        of_svc.len()
    );
    let (code, body) = get(&sock, &q(r#"{"colour":["blue"]}"#));
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("invalid filter 'colour'"), "{body}");
    let one = of_svc[0]["ID"].as_str().expect("id").to_string();
    assert_eq!(
        json(&sock, &format!("/v1.41/tasks/{one}"))["ID"],
        one.as_str()
    );
    assert_eq!(get(&sock, "/v1.41/tasks/nope").0, 404);

    let counts = fake.counts();
    assert_eq!(counts["GET /tasks"].requests, 1);
    assert_eq!(counts["GET /tasks?desired-state"].requests, 1);
    assert_eq!(counts["GET /tasks?node"].requests, 1);
    assert_eq!(counts["GET /tasks/{id}"].requests, 2);
    assert!(counts["GET /tasks?desired-state"].bytes > 100_000);

    // a churned task: failed, replaced in its slot, the slot trimmed to Swarm's history
    let before = fake.task_count();
    let fresh = fake.churn_task(3).expect("a running task to churn");
    assert_eq!(
        fake.task_count(),
        before,
        "one added, the oldest of the slot deleted"
    );
    assert_eq!(
        json(&sock, &format!("/v1.41/tasks/{fresh}"))["Status"]["State"],
        "running"
    );
    assert_eq!(
        n(json(&sock, &q(r#"{"desired-state":["running"]}"#))),
        MEDIUM.running + 1
    );

    // events: a subscription filtered to nodes gets the node event, not the service one
    let mut s = UnixStream::connect(&sock).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    write!(
        s,
        "GET /v1.41/events?filters=%7B%22type%22%3A%5B%22node%22%5D%7D HTTP/1.1\r\nHost: docker\r\n\r\n"
    )
    .expect("subscribe");
    let mut r = BufReader::new(s);
    let mut status = String::new();
    r.read_line(&mut status).expect("status");
    assert!(status.contains("200"), "{status}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while fake.subscribers() == 0 {
        assert!(
            Instant::now() < deadline,
            "the subscription never registered"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    fake.update_service_image(5, "9.9");
    fake.set_node_state(7, "ready");
    let mut event = None;
    while event.is_none() {
        let mut l = String::new();
        r.read_line(&mut l).expect("a line of the stream");
        if l.trim_start().starts_with('{') {
            event = Some(serde_json::from_str::<Value>(l.trim()).expect("event JSON"));
        }
    }
    let e = event.expect("an event");
    assert_eq!(e["Type"], "node");
    assert_eq!(e["Action"], "update");
    assert_eq!(e["Actor"]["Attributes"]["state.new"], "ready");
    assert_eq!(e["Actor"]["Attributes"]["state.old"], "down");
    assert!(e["timeNano"].as_i64().expect("timeNano") > 0);
    assert!(fake.counts()["GET /events"].bytes > 0);
}

#[test]
fn the_small_swarm_s_figures_are_produced_and_sane() {
    let rt = runtime();
    let fake = Fake::start(Swarm::generate(SMALL, 1), rt.handle(), true);
    let cfg = RunConfig {
        bin: env!("CARGO_BIN_EXE_swarmdeck").into(),
        idle: Duration::from_secs(3),
        settle: Duration::from_millis(500),
        events: 2,
        w: 200,
        h: 50,
        vip: vec![],
        clock_off: true,
        frames: 40,
        patience: Duration::from_secs(60),
        verbose: false,
    };
    let mut fig = figures::Figures::new(SMALL, &fake);
    let mut app = figures::loaded_app(&fake, &rt, cfg.patience);
    fig.frames = figures::frame_times(&mut app, &[(80, 24), (200, 50)], cfg.frames);
    drop(app);
    figures::binary_figures(&fake, &cfg, &mut fig);
    let notes = fig.notes.join("\n");
    figures::print_rows(&figures::rows(&fig));

    assert_eq!(fig.frames.len(), 4, "{notes}");
    for f in &fig.frames {
        assert!(f.samples == 40 && f.median > Duration::ZERO && f.p99 >= f.median);
        assert!(f.p99 < Duration::from_secs(1), "{f:?}");
    }
    let first = fig
        .first_frame
        .unwrap_or_else(|| panic!("no first frame: {notes}"));
    assert!(first > Duration::ZERO && first < cfg.patience);
    let idle = fig
        .idle
        .clone()
        .unwrap_or_else(|| panic!("no idle window: {notes}"));
    assert!(idle.secs >= 2.9, "{idle:?}");
    assert!(idle.cpu_pct.is_finite() && idle.cpu_pct >= 0.0 && idle.cpu_pct < 200.0);
    assert!(
        idle.rss_steady_kb > 1_000 && idle.rss_steady_kb < 2_000_000,
        "{idle:?}"
    );
    assert!(idle.rss_peak_kb >= idle.rss_steady_kb, "{idle:?}");
    assert!(
        idle.requests() > 0,
        "the dashboard polls while idle: {idle:?}"
    );
    // the clock redraws the task ages every second
    assert!(idle.frames > 0 && idle.term_bytes > 0, "{idle:?}");
    assert!(fig.idle_clock_off.is_some(), "{notes}");
    assert_eq!(fig.events_missed, 0, "{notes}");
    assert_eq!(fig.events.len(), 4);
    assert!(fig.events.iter().all(|d| *d < cfg.patience));
    let (d, bytes) = fig
        .task_change
        .unwrap_or_else(|| panic!("no task change: {notes}"));
    assert!(d < cfg.patience && bytes > 0);
    let all = fake.counts();
    for path in [
        "GET /_ping",
        "GET /version",
        "GET /info",
        "GET /nodes",
        "GET /services?status",
        "GET /tasks?desired-state",
        "GET /events",
    ] {
        assert!(
            all.get(path).is_some_and(|c| c.requests > 0),
            "the dashboard read {path}: {all:?}"
        );
    }
    assert!(
        fake.probes.load(std::sync::atomic::Ordering::Relaxed) > 0,
        "the dashboard probed the nodes' loopback addresses"
    );
}

#[test]
fn the_screen_follows_what_ratatui_writes() {
    use scale::term::Screen;
    let mut s = Screen::new(10, 3);
    let fed = s.feed(b"\x1b[?2026h\x1b[1;1Hab\x1b[38;5;2mc\x1b[2;3H\xe2\x97\x8f x\x1b[?2026l");
    assert_eq!(fed.frame_ends.len(), 1);
    assert_eq!(s.row(0), "abc       ");
    assert_eq!(s.row(1), "  \u{25cf} x     ");
    // a character split between two reads
    let mut s = Screen::new(4, 1);
    s.feed(b"\x1b[1;1H\xe2\x97");
    s.feed(b"\x8f");
    assert_eq!(s.row(0), "\u{25cf}   ");
}
