//! Global config documents against the real lab, through the `swarmdeck config` binary,
//! checked where the user would check them: the file inside every running container on every
//! node (through each node's own engine), the engine's own config list, `docker service
//! inspect`. Each test takes the lab (`lab::take()`) and removes every service and config it
//! created before releasing it, also on failure (the `Cleanup` guard).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::lab::{self, LabGuard};
use serde_json::Value;
use swarmdeck::gconfig::io;

const TARGET: &str = "/etc/app/global.json";

struct Run {
    code: i32,
    out: String,
    err: String,
}

/// Run `swarmdeck config --doc DOC ARGS… --host <every manager>`, with its audit log in `data`.
fn config(lab: &LabGuard, data: &Path, doc: &str, args: &[&str]) -> Run {
    let started = std::time::Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_swarmdeck"))
        .arg("config")
        .args(["--doc", doc])
        .args(args)
        .args(lab.host_args())
        .env("XDG_DATA_HOME", data)
        .env("XDG_CONFIG_HOME", data)
        .env("USER", "tester")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run swarmdeck");
    eprintln!(
        "config {args:?}: exit {:?} after {:.1?}",
        out.status.code(),
        started.elapsed()
    );
    Run {
        code: out.status.code().unwrap_or(-1),
        out: String::from_utf8_lossy(&out.stdout).into_owned(),
        err: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn ok(r: Run, what: &str) -> Run {
    assert_eq!(r.code, 0, "{what}: exit {}\n{}\n{}", r.code, r.out, r.err);
    r
}

/// Removes the services and every config of the documents it names, before the lab is
/// released (declared after the lab guard, so it drops first), also when a test fails.
struct Cleanup {
    services: Vec<String>,
    docs: Vec<String>,
}

impl Cleanup {
    fn new(services: &[&str], docs: &[&str]) -> Self {
        let c = Cleanup {
            services: services.iter().map(|s| s.to_string()).collect(),
            docs: docs.iter().map(|s| s.to_string()).collect(),
        };
        c.run();
        c
    }

    fn run(&self) {
        for s in &self.services {
            let _ = lab::lab(&["docker", "node1", "service", "rm", s]);
        }
        let list = lab::lab(&["docker", "node1", "config", "ls", "--format", "{{.Name}}"]);
        let names = String::from_utf8_lossy(&list.stdout).into_owned();
        for name in names.lines() {
            if self.docs.iter().any(|d| {
                name.starts_with(&format!("swarmdeck-{d}.v"))
                    || name.starts_with(&format!("swarmdeck-{d}-schema.v"))
            }) {
                let _ = lab::lab(&["docker", "node1", "config", "rm", name]);
            }
        }
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        self.run();
    }
}

fn config_count(lab: &LabGuard) -> usize {
    lab.docker("node1", &["config", "ls", "-q"]).lines().count()
}

fn write_file(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write file");
    p.display().to_string()
}

/// Wait until a service has `n` running tasks.
fn wait_running(lab: &LabGuard, service: &str, n: usize) {
    lab::wait_for(
        &format!("{service}: {n} running tasks"),
        Duration::from_secs(60),
        || {
            let out = lab::lab(&[
                "docker",
                &lab.managers()[0].name,
                "service",
                "ps",
                service,
                "--filter",
                "desired-state=running",
                "--format",
                "{{.CurrentState}}",
            ]);
            let text = String::from_utf8_lossy(&out.stdout);
            text.lines().filter(|l| l.starts_with("Running")).count() == n
        },
    );
}

/// The file at TARGET in every running container of these services on every node, read
/// through each node's own engine: (service, node, container) → content.
fn contents(lab: &LabGuard, services: &[&str]) -> BTreeMap<(String, String, String), String> {
    let mut out = BTreeMap::new();
    for node in &lab.nodes {
        for s in services {
            let ps = lab::lab(&[
                "docker",
                &node.name,
                "ps",
                "--filter",
                &format!("label=com.docker.swarm.service.name={s}"),
                "-q",
            ]);
            for c in String::from_utf8_lossy(&ps.stdout).lines() {
                let cat = lab::lab(&["docker", &node.name, "exec", c, "cat", TARGET]);
                out.insert(
                    (s.to_string(), node.name.clone(), c.to_string()),
                    String::from_utf8_lossy(&cat.stdout).into_owned(),
                );
            }
        }
    }
    out
}

/// Poll until every running container of the services has `want` at TARGET, and there are
/// `expected` containers in all.
fn wait_content(lab: &LabGuard, services: &[&str], expected: usize, want: &str) {
    let mut last = BTreeMap::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    while std::time::Instant::now() < deadline {
        last = contents(lab, services);
        if last.len() == expected && last.values().all(|c| c == want) {
            return;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    panic!("not every container has {want:?} at {TARGET}: {last:#?}");
}

/// A replicated service with a healthcheck and a global service, both running: the
/// subscribers of the rollout tests. `sleep` ignores SIGTERM: a short grace period keeps each
/// task's replacement quick.
fn create_pair(lab: &LabGuard, web: &str, agent: &str) {
    lab.create_service(
        web,
        &[
            "--replicas",
            "2",
            "--health-cmd",
            "true",
            "--health-interval",
            "1s",
            "--stop-grace-period",
            "1s",
            "--update-monitor",
            "1s",
        ],
    );
    lab.create_service(
        agent,
        &[
            "--mode",
            "global",
            "--stop-grace-period",
            "1s",
            "--update-monitor",
            "1s",
        ],
    );
    wait_running(lab, web, 2);
    wait_running(lab, agent, lab.nodes.len());
}

#[test]
fn apply_subscribe_rollout_drift_and_rollback_reach_every_container() {
    let lab = lab::take();
    let doc = "gtest-roll";
    let _clean = Cleanup::new(&["gcfg-web", "gcfg-agent"], &[doc]);
    let dir = tempfile::tempdir().expect("tempdir");
    create_pair(&lab, "gcfg-web", "gcfg-agent");

    let v1 = "{\"level\": \"info\", \"hosts\": [\"a\"]}\n";
    let v2 = "{\"level\": \"debug\", \"hosts\": [\"a\", \"b\"]}\n";
    let f1 = write_file(dir.path(), "v1.json", v1);
    let f2 = write_file(dir.path(), "v2.json", v2);
    let r = ok(
        config(&lab, dir.path(), doc, &["apply", &f1, "--yes"]),
        "apply v1",
    );
    assert!(
        r.out.contains("published swarmdeck-gtest-roll.v1"),
        "{}",
        r.out
    );
    // the same content again: nothing published
    let r = ok(
        config(&lab, dir.path(), doc, &["apply", &f1, "--yes"]),
        "apply v1 again",
    );
    assert!(r.out.contains("nothing to publish"), "{}", r.out);
    for s in ["gcfg-web", "gcfg-agent"] {
        ok(
            config(&lab, dir.path(), doc, &["subscribe", s, TARGET]),
            "subscribe",
        );
    }
    let all = 2 + lab.nodes.len();
    wait_content(&lab, &["gcfg-web", "gcfg-agent"], all, v1);

    let r = ok(
        config(&lab, dir.path(), doc, &["apply", &f2, "--yes"]),
        "apply v2",
    );
    // the plan came first: the changes by pointer, the subscribers and their update config
    assert!(
        r.out.contains("~ /level: \"info\" → \"debug\""),
        "{}",
        r.out
    );
    assert!(r.out.contains("+ /hosts/1 = \"b\""), "{}", r.out);
    assert!(
        r.out.contains("gcfg-agent → /etc/app/global.json [global;"),
        "{}",
        r.out
    );
    assert!(
        r.out
            .contains("gcfg-web → /etc/app/global.json [replicated (2);"),
        "{}",
        r.out
    );
    assert!(
        r.out.contains("gcfg-web: done") && r.out.contains("gcfg-agent: done"),
        "{}",
        r.out
    );
    wait_content(&lab, &["gcfg-web", "gcfg-agent"], all, v2);

    // drift: from the tasks' own specs, everything on v2
    let mut drift = Value::Null;
    lab::wait_for("drift exits 0", Duration::from_secs(30), || {
        let r = config(&lab, dir.path(), doc, &["drift", "--json"]);
        drift = serde_json::from_str(&r.out).unwrap_or(Value::Null);
        r.code == 0
    });
    assert_eq!(drift["current"], 2, "{drift:#}");
    assert_eq!(drift["in_sync"], true, "{drift:#}");
    let services = drift["services"].as_array().expect("services");
    assert_eq!(services.len(), 2, "{drift:#}");
    for s in services {
        let tasks = s["tasks"].as_array().expect("tasks");
        assert!(!tasks.is_empty());
        assert!(
            tasks
                .iter()
                .all(|t| t["version"] == 2 && t["state"] == "running"),
            "{s:#}"
        );
    }
    let agent = services
        .iter()
        .find(|s| s["service"] == "gcfg-agent")
        .expect("agent");
    assert_eq!(
        agent["summary"][0],
        format!("gcfg-agent: {n}/{n} nodes on v2", n = lab.nodes.len())
    );
    // the healthcheck survived every update
    let health = lab.docker(
        "node1",
        &[
            "service",
            "inspect",
            "gcfg-web",
            "--format",
            "{{json .Spec.TaskTemplate.ContainerSpec.Healthcheck}}",
        ],
    );
    assert!(health.contains("\"true\""), "healthcheck lost: {health}");

    // history and diff
    let r = ok(
        config(&lab, dir.path(), doc, &["history", "--json"]),
        "history",
    );
    let h: Value = serde_json::from_str(&r.out).expect("history json");
    assert_eq!(h.as_array().map(Vec::len), Some(2), "{h:#}");
    assert_eq!(h[1]["parent"], 1);
    assert!(
        h[1]["author"]
            .as_str()
            .is_some_and(|a| a.starts_with("tester@")),
        "{h:#}"
    );
    assert_eq!(h[1]["size"], v2.len());
    let r = ok(config(&lab, dir.path(), doc, &["diff", "1", "2"]), "diff");
    assert!(
        r.out.contains("2 changes") && r.out.contains("~ /level"),
        "{}",
        r.out
    );

    // rollback to v1: v3 has v1's content and reaches every container
    let r = ok(
        config(&lab, dir.path(), doc, &["rollback", "1", "--yes"]),
        "rollback",
    );
    assert!(
        r.out.contains("published swarmdeck-gtest-roll.v3"),
        "{}",
        r.out
    );
    let r = ok(
        config(&lab, dir.path(), doc, &["get", "--version", "3"]),
        "get v3",
    );
    assert_eq!(r.out, v1);
    wait_content(&lab, &["gcfg-web", "gcfg-agent"], all, v1);

    // every publish, rollout and subscribe is in the audit log
    let log = std::fs::read_to_string(dir.path().join("swarmdeck/audit.jsonl")).expect("audit log");
    let actions: Vec<String> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .map(|e| {
            format!(
                "{} {}",
                e["name"].as_str().unwrap_or(""),
                e["action"].as_str().unwrap_or("")
            )
        })
        .collect();
    for want in [
        "swarmdeck-gtest-roll.v1 publish gtest-roll v1",
        "gcfg-web subscribe gtest-roll at /etc/app/global.json (v1)",
        "gcfg-agent rollout gtest-roll v2 at /etc/app/global.json",
        "swarmdeck-gtest-roll.v3 publish gtest-roll v3",
    ] {
        assert!(
            actions.iter().any(|a| a.starts_with(want)),
            "{want:?} not in {actions:#?}"
        );
    }

    // unsubscribe: the label and the mount go in one update
    ok(
        config(&lab, dir.path(), doc, &["unsubscribe", "gcfg-agent"]),
        "unsubscribe",
    );
    let spec = lab.docker(
        "node1",
        &[
            "service",
            "inspect",
            "gcfg-agent",
            "--format",
            "{{json .Spec}}",
        ],
    );
    assert!(
        !spec.contains("swarmdeck.gtest-roll.target") && !spec.contains("swarmdeck-gtest-roll"),
        "{spec}"
    );
}

#[test]
fn bad_documents_change_nothing() {
    let lab = lab::take();
    let doc = "gtest-bad";
    let _clean = Cleanup::new(&[], &[doc]);
    let dir = tempfile::tempdir().expect("tempdir");
    let before = config_count(&lab);

    let f = write_file(dir.path(), "bad.json", "{\n  \"a\": 1,\n}\n");
    let r = config(&lab, dir.path(), doc, &["apply", &f, "--yes"]);
    assert_eq!(r.code, 4, "{}\n{}", r.out, r.err);
    assert!(
        r.err.contains("line 3, column 1: not valid JSON"),
        "{}",
        r.err
    );

    let big = format!("\"{}\"", "x".repeat(1000 * 1024 - 2));
    assert_eq!(big.len(), 1000 * 1024);
    let f = write_file(dir.path(), "big.json", &big);
    let r = config(&lab, dir.path(), doc, &["apply", &f, "--yes"]);
    assert_eq!(r.code, 4, "{}\n{}", r.out, r.err);
    assert!(
        r.err
            .contains("is 1024000 bytes; a Swarm config must be less than 1024000"),
        "{}",
        r.err
    );

    // no terminal and no --yes: the plan is printed, nothing is published
    let f = write_file(dir.path(), "ok.json", "{\"port\": 80}");
    let r = config(&lab, dir.path(), doc, &["apply", &f]);
    assert_eq!(r.code, 4, "{}\n{}", r.out, r.err);
    assert!(r.out.contains("Plan: publish gtest-bad v1"), "{}", r.out);
    assert!(r.err.contains("pass --yes"), "{}", r.err);
    assert_eq!(
        config_count(&lab),
        before,
        "a refused apply created a config"
    );

    // a schema: a violating document is refused naming its pointers
    let schema = r#"{"type": "object", "properties": {"port": {"type": "integer", "maximum": 65535}}, "required": ["port"]}"#;
    let s = write_file(dir.path(), "schema.json", schema);
    ok(
        config(&lab, dir.path(), doc, &["apply", &s, "--schema"]),
        "schema",
    );
    let with_schema = config_count(&lab);
    assert_eq!(with_schema, before + 1);
    let f = write_file(dir.path(), "violating.json", "{\"port\": 70000}");
    let r = config(&lab, dir.path(), doc, &["apply", &f, "--yes"]);
    assert_eq!(r.code, 4, "{}\n{}", r.out, r.err);
    assert!(
        r.err
            .contains("/port: 70000 is greater than the maximum of 65535"),
        "{}",
        r.err
    );
    let f = write_file(dir.path(), "missing.json", "{}");
    let r = config(&lab, dir.path(), doc, &["apply", &f, "--yes"]);
    assert_eq!(r.code, 4);
    assert!(
        r.err
            .contains("(the document): \"port\" is a required property"),
        "{}",
        r.err
    );
    assert_eq!(
        config_count(&lab),
        with_schema,
        "a refused apply created a config"
    );
    // and a valid one passes
    let f = write_file(dir.path(), "valid.json", "{\"port\": 8080}");
    ok(
        config(&lab, dir.path(), doc, &["apply", &f, "--yes"]),
        "valid",
    );
    assert_eq!(config_count(&lab), with_schema + 1);
}

#[test]
fn concurrent_applies_land_or_conflict_and_lose_nothing() {
    let lab = lab::take();
    let doc = "gtest-race";
    let _clean = Cleanup::new(&[], &[doc]);
    let dir = tempfile::tempdir().expect("tempdir");
    let rounds = 20;
    let outcomes: Vec<Vec<(String, Option<u64>)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|p| {
                let lab = &lab;
                let dir = dir.path();
                scope.spawn(move || {
                    (0..rounds)
                        .map(|round| {
                            let text = format!("{{\"process\": {p}, \"round\": {round}}}\n");
                            let f = write_file(dir, &format!("p{p}r{round}.json"), &text);
                            let r = config(lab, dir, doc, &["apply", &f, "--yes", "--keep", "100"]);
                            let landed = r
                                .out
                                .lines()
                                .find_map(|l| l.strip_prefix("published swarmdeck-gtest-race.v"))
                                .and_then(|l| l.split_whitespace().next())
                                .and_then(|n| n.parse::<u64>().ok());
                            match (r.code, landed) {
                                (0, Some(_)) => {}
                                (4, None) => assert!(
                                    r.err.contains("conflict: v")
                                        && r.err.contains("nothing was published"),
                                    "{}",
                                    r.err
                                ),
                                _ => panic!(
                                    "neither landed nor a conflict: {}\n{}\n{}",
                                    r.code, r.out, r.err
                                ),
                            }
                            (text, landed)
                        })
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    let landed: BTreeMap<u64, String> = outcomes
        .iter()
        .flatten()
        .filter_map(|(t, n)| n.map(|n| (n, t.clone())))
        .collect();
    let count = outcomes
        .iter()
        .flatten()
        .filter(|(_, n)| n.is_some())
        .count();
    assert_eq!(landed.len(), count, "a version was claimed twice");
    let conflicts = outcomes.iter().flatten().count() - count;
    eprintln!("{count} landed, {conflicts} conflicts");
    let r = ok(
        config(&lab, dir.path(), doc, &["history", "--json"]),
        "history",
    );
    let h: Value = serde_json::from_str(&r.out).expect("json");
    let stored: BTreeSet<u64> = h
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|v| v["n"].as_u64())
        .collect();
    assert_eq!(
        stored,
        landed.keys().copied().collect(),
        "versions lost or extra"
    );
    assert_eq!(
        stored,
        (1..=count as u64).collect(),
        "versions not contiguous"
    );
    for (n, text) in &landed {
        let r = ok(
            config(&lab, dir.path(), doc, &["get", "--version", &n.to_string()]),
            "get",
        );
        assert_eq!(&r.out, text, "v{n}");
    }
}

#[test]
fn disjoint_edits_merge_and_overlapping_ones_are_refused() {
    let lab = lab::take();
    let doc = "gtest-merge";
    let _clean = Cleanup::new(&[], &[doc]);
    let dir = tempfile::tempdir().expect("tempdir");
    let put = |name: &str, text: &str| write_file(dir.path(), name, text);
    ok(
        config(
            &lab,
            dir.path(),
            doc,
            &["apply", &put("v1", r#"{"a": 1, "b": 1}"#), "--yes"],
        ),
        "v1",
    );
    // theirs: v2 changes /a
    ok(
        config(
            &lab,
            dir.path(),
            doc,
            &["apply", &put("v2", r#"{"a": 2, "b": 1}"#), "--yes"],
        ),
        "v2",
    );
    // mine, edited from v1, changes /b: merged into v3
    let r = ok(
        config(
            &lab,
            dir.path(),
            doc,
            &[
                "apply",
                &put("m1", r#"{"a": 1, "b": 2}"#),
                "--base",
                "1",
                "--yes",
            ],
        ),
        "merge",
    );
    assert!(r.out.contains("based on v1; merged cleanly"), "{}", r.out);
    let r = ok(config(&lab, dir.path(), doc, &["get"]), "get");
    let got: Value = serde_json::from_str(&r.out).expect("json");
    assert_eq!(got, serde_json::json!({"a": 2, "b": 2}));
    // mine, edited from v2, changes /b differently from v3: refused, listing the pointer
    let before = config_count(&lab);
    let r = config(
        &lab,
        dir.path(),
        doc,
        &[
            "apply",
            &put("m2", r#"{"a": 2, "b": 3}"#),
            "--base",
            "2",
            "--yes",
        ],
    );
    assert_eq!(r.code, 4, "{}\n{}", r.out, r.err);
    assert!(
        r.err.contains("/b: base 1 / theirs 2 / mine 3"),
        "{}",
        r.err
    );
    assert_eq!(config_count(&lab), before);
}

#[test]
fn a_failing_service_update_stops_the_rollout_and_says_which_and_why() {
    let lab = lab::take();
    let doc = "gtest-fail";
    let _clean = Cleanup::new(&["gcfg-f1", "gcfg-f2", "gcfg-f3"], &[doc]);
    let dir = tempfile::tempdir().expect("tempdir");
    for s in ["gcfg-f1", "gcfg-f2", "gcfg-f3"] {
        lab.create_service(
            s,
            &[
                "--replicas",
                "1",
                "--update-monitor",
                "2s",
                "--stop-grace-period",
                "1s",
            ],
        );
    }
    for s in ["gcfg-f1", "gcfg-f2", "gcfg-f3"] {
        wait_running(&lab, s, 1);
    }
    let f = write_file(dir.path(), "v1.json", "{\"v\": 1}\n");
    ok(config(&lab, dir.path(), doc, &["apply", &f, "--yes"]), "v1");
    ok(
        config(&lab, dir.path(), doc, &["subscribe", "gcfg-f1", TARGET]),
        "subscribe f1",
    );
    ok(
        config(&lab, dir.path(), doc, &["subscribe", "gcfg-f3", TARGET]),
        "subscribe f3",
    );
    // f2 subscribes at a path that cannot be mounted (under /proc)
    let r = config(
        &lab,
        dir.path(),
        doc,
        &[
            "subscribe",
            "gcfg-f2",
            "/proc/gconf.json",
            "--timeout",
            "60",
        ],
    );
    assert_eq!(r.code, 1, "{}\n{}", r.out, r.err);
    assert!(
        r.err.contains("gcfg-f2: update paused by Swarm"),
        "{}\n{}",
        r.out,
        r.err
    );
    // v2: f1 moves, f2 fails and the rollout stops there; f3 is not touched
    let f = write_file(dir.path(), "v2.json", "{\"v\": 2}\n");
    let r = config(
        &lab,
        dir.path(),
        doc,
        &["apply", &f, "--yes", "--timeout", "60"],
    );
    assert_eq!(r.code, 1, "{}\n{}", r.out, r.err);
    assert!(r.out.contains("gcfg-f1: done"), "{}", r.out);
    eprintln!("the failed rollout said:\n{}", r.err);
    assert!(
        r.err.contains("the rollout of v2 stopped at gcfg-f2"),
        "{}",
        r.err
    );
    assert!(
        r.err.contains("/proc/gconf.json"),
        "the reason names the mount: {}",
        r.err
    );
    assert!(!r.out.contains("gcfg-f3: updating"), "{}", r.out);
    let spec = lab.docker(
        "node1",
        &[
            "service",
            "inspect",
            "gcfg-f3",
            "--format",
            "{{json .Spec}}",
        ],
    );
    assert!(
        spec.contains("swarmdeck-gtest-fail.v1") && !spec.contains("swarmdeck-gtest-fail.v2"),
        "{spec}"
    );
    // drift says so
    let r = config(&lab, dir.path(), doc, &["drift"]);
    assert_eq!(r.code, 1, "{}", r.out);
    assert!(r.out.contains("gcfg-f3: 1 task still on v1"), "{}", r.out);
    assert!(r.out.contains("gcfg-f1: 1/1 tasks on v2"), "{}", r.out);

    // the offer: return the service already moved (f1) to its previous version
    let id = lab.docker(
        "node1",
        &["service", "inspect", "gcfg-f1", "--format", "{{.ID}}"],
    );
    let moved = vec![io::Moved {
        id: id.trim().to_string(),
        name: "gcfg-f1".into(),
        target: TARGET.into(),
        previous: Some(1),
    }];
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let results = rt.block_on(async {
        let conn = swarmdeck::engine::connect::connect(&lab.node("node1").socket)
            .await
            .expect("connect");
        let ctx = io::Ctx {
            docker: conn.docker.clone(),
            endpoint: conn.endpoint.clone(),
            audit: None,
        };
        let opts = io::RolloutOptions {
            timeout: Duration::from_secs(60),
            ..Default::default()
        };
        io::return_to_previous(&ctx, doc, &moved, &opts, |_| {}).await
    });
    assert_eq!(results, [("gcfg-f1".to_string(), Ok(()))]);
    wait_content(&lab, &["gcfg-f1"], 1, "{\"v\": 1}\n");
}

/// The dashboard in tmux, against the lab, with its own state and data dirs in `dir`.
fn dashboard(lab: &LabGuard, dir: &Path) -> common::tmux::Tmux {
    let bin = env!("CARGO_BIN_EXE_swarmdeck");
    let d = dir.display();
    let cmd = format!(
        "clear; XDG_STATE_HOME={d} XDG_DATA_HOME={d} XDG_CONFIG_HOME={d} USER=tester {bin} {} ; echo SWARMDECK-EXIT=$?",
        lab.host_args().join(" ")
    );
    let t = common::tmux::Tmux::start(&cmd, 120, 36);
    t.wait_screen("the dashboard with its nodes", |s| {
        s.contains("node1") && s.contains("live")
    });
    t
}

/// v1 published from the CLI, v2 typed into the dashboard's editor with key events in a
/// real terminal: ctrl-s, the plan, y, the rollout — then the file inside every container
/// on every node is v2's, the healthcheck is still there, and `config drift` says in sync.
/// Then an edit killed by SIGHUP (an SSH drop) is offered at the next start, text intact.
#[test]
fn publish_through_the_editor_in_tmux_and_a_hangup_keeps_the_draft() {
    let lab = lab::take();
    let doc = "gtest-editor";
    let _clean = Cleanup::new(&["gcfg-ed-web", "gcfg-ed-agent"], &[doc]);
    let dir = tempfile::tempdir().expect("tempdir");
    create_pair(&lab, "gcfg-ed-web", "gcfg-ed-agent");
    let v1 = "{\n  \"level\": \"info\"\n}\n";
    let f1 = write_file(dir.path(), "v1.json", v1);
    ok(
        config(&lab, dir.path(), doc, &["apply", &f1, "--yes"]),
        "apply v1",
    );
    for s in ["gcfg-ed-web", "gcfg-ed-agent"] {
        ok(
            config(&lab, dir.path(), doc, &["subscribe", s, TARGET]),
            "subscribe",
        );
    }
    let all = 2 + lab.nodes.len();
    wait_content(&lab, &["gcfg-ed-web", "gcfg-ed-agent"], all, v1);
    let configs_before = config_count(&lab);

    let t = dashboard(&lab, dir.path());
    t.send(&[":"]);
    t.send(&["-l", &format!("config {doc}")]);
    t.send(&["Enter"]);
    t.wait_screen("the editor on v1", |s| {
        s.contains("opened from v1") && s.contains("\"level\": \"info\"")
    });
    // invalid first: a stray comma → the message, nothing created
    t.send(&["Down", "End"]);
    t.send(&["-l", ","]);
    t.send(&["C-s"]);
    t.wait_screen("the JSON error", |s| s.contains("not valid JSON"));
    assert_eq!(config_count(&lab), configs_before, "nothing was created");
    // the cursor went to the error (the `}` after the comma): back to the end of the line;
    // "info" → "debug": the comma out, back into the quotes, four letters out
    t.send(&[
        "Up", "End", "BSpace", "Left", "BSpace", "BSpace", "BSpace", "BSpace",
    ]);
    t.send(&["-l", "debug"]);
    t.wait_screen("the edit", |s| s.contains("\"level\": \"debug\""));
    t.send(&["C-s"]);
    let plan = t.wait_screen("the plan", |s| s.contains(&format!("Publish {doc} v2")));
    assert!(plan.contains("/level: \"info\" → \"debug\""), "{plan}");
    assert!(plan.contains("gcfg-ed-web"), "{plan}");
    assert!(plan.contains("gcfg-ed-agent"), "{plan}");
    assert_eq!(config_count(&lab), configs_before, "nothing before y");
    t.send(&["y"]);
    let done = t.wait_screen("the rollout's end", |s| {
        s.contains("Every subscribed task runs the new version") || s.contains("stopped at")
    });
    assert!(!done.contains("stopped at"), "{done}");
    let v2 = "{\n  \"level\": \"debug\"\n}\n";
    wait_content(&lab, &["gcfg-ed-web", "gcfg-ed-agent"], all, v2);
    let health = lab.docker(
        "node1",
        &[
            "service",
            "inspect",
            "gcfg-ed-web",
            "--format",
            "{{json .Spec.TaskTemplate.ContainerSpec.Healthcheck.Test}}",
        ],
    );
    assert!(health.contains("true"), "the healthcheck is kept: {health}");
    let r = ok(config(&lab, dir.path(), doc, &["drift"]), "drift");
    assert!(r.out.contains("every subscribed task runs it"), "{}", r.out);
    // the drift view says so too
    t.send(&["d"]);
    t.wait_screen("the drift view", |s| {
        s.contains("every subscribed task runs it") && s.contains("gcfg-ed-agent")
    });
    // one Esc at a time: two at once reach the terminal as one Alt-Esc
    t.send(&["Escape"]);
    t.wait_screen("the rollout again", |s| s.contains("rollout ·"));
    t.send(&["Escape"]);
    t.wait_screen("the panes again", |s| {
        s.contains("node1") && !s.contains("rollout ·")
    });

    // a hangup mid-edit: the next start offers the draft with the typed text
    t.send(&[":"]);
    t.send(&["-l", &format!("config {doc}")]);
    t.send(&["Enter"]);
    t.wait_screen("the editor on v2", |s| s.contains("opened from v2"));
    t.send(&["Down", "End", "Enter"]);
    t.send(&["-l", "\"typed-before-hangup\": 1"]);
    t.wait_screen("the typed text", |s| s.contains("typed-before-hangup"));
    let pid = t.child_pid().expect("the dashboard's pid");
    let st = Command::new("kill")
        .args(["-HUP", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(st.success());
    t.wait_screen("the exit after SIGHUP", |s| {
        common::tmux::exit_line(s, "SWARMDECK-EXIT=").is_some()
    });
    let t2 = dashboard(&lab, dir.path());
    t2.wait_screen("the draft offered", |s| {
        s.contains("unsaved config draft") && s.contains(doc) && s.contains("typed on v2")
    });
    t2.send(&["Enter"]);
    t2.wait_screen("the draft reopened", |s| {
        s.contains("typed-before-hangup") && s.contains("draft reopened")
    });
    // discard it: nothing was published by the hangup
    t2.send(&["Escape"]);
    t2.wait_screen("the question", |s| s.contains("unsaved changes"));
    t2.send(&["d"]);
    t2.send(&["q"]);
    t2.wait_screen("the exit", |s| {
        common::tmux::exit_line(s, "SWARMDECK-EXIT=").as_deref() == Some("SWARMDECK-EXIT=0")
    });
    let versions = lab.docker("node1", &["config", "ls", "--format", "{{.Name}}"]);
    assert!(
        !versions.contains(&format!("swarmdeck-{doc}.v3")),
        "no v3: {versions}"
    );
}
