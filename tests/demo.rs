//! `swarmdeck demo`'s workload against the real lab: what `lab.sh workload` deploys (the
//! script `swarmdeck demo` runs after `up`), checked where a user would look, with the docker
//! CLI; deploying it again creates nothing; `swarmdeck demo --clean` removes exactly it.
//! These tests need root; the one that deploys holds the lab lock and removes the workload
//! before it lets go of it.

mod common;

use std::collections::BTreeMap;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::lab::{self, LabGuard};

const DEMO_FILTER: &str = "label=swarmdeck.demo=true";
/// A service of the test's own, named like the demo's: `--clean` goes by the label only.
const BYSTANDER: &str = "demo-bystander";

/// Removes the demo workload and the test's own service, also when the test fails, before
/// the lab guard (declared first, dropped last) releases the lock.
struct Cleanup;

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = lab::lab(&["workload-rm"]);
        let _ = lab::lab(&["docker", "node1", "service", "rm", BYSTANDER]);
    }
}

/// `swarmdeck … demo --clean`, with an empty config file (no endpoints of the machine's).
fn swarmdeck_demo_clean(envs: &[(&str, &str)]) -> Output {
    let empty = tempfile::NamedTempFile::new().expect("temp config");
    Command::new(env!("CARGO_BIN_EXE_swarmdeck"))
        .args(["--config", &empty.path().display().to_string()])
        .args(["demo", "--clean"])
        .envs(envs.iter().copied())
        .output()
        .expect("run swarmdeck demo --clean")
}

/// `swarmdeck --host SOCKET status` on the lab's first manager.
fn swarmdeck_status(lab: &LabGuard) -> Output {
    let empty = tempfile::NamedTempFile::new().expect("temp config");
    Command::new(env!("CARGO_BIN_EXE_swarmdeck"))
        .args(["--config", &empty.path().display().to_string()])
        .args(["--host", &lab.sockets()[0], "status"])
        .output()
        .expect("run swarmdeck status")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The demo's services as `docker service ls` lists them: name → (mode, replicas).
fn demo_services(lab: &LabGuard) -> BTreeMap<String, (String, String)> {
    lab.docker(
        "node1",
        &[
            "service",
            "ls",
            "--filter",
            DEMO_FILTER,
            "--format",
            "{{.Name}}|{{.Mode}}|{{.Replicas}}",
        ],
    )
    .lines()
    .filter_map(|l| {
        let mut f = l.splitn(3, '|');
        Some((
            f.next()?.to_string(),
            (f.next()?.to_string(), f.next()?.to_string()),
        ))
    })
    .collect()
}

/// Each demo service's ID and version: they change if the service is created again or
/// updated.
fn demo_versions(lab: &LabGuard) -> BTreeMap<String, String> {
    let names: Vec<String> = demo_services(lab).into_keys().collect();
    let mut args = vec![
        "service",
        "inspect",
        "--format",
        "{{.ID}} {{.Version.Index}}",
    ];
    args.extend(names.iter().map(String::as_str));
    names
        .iter()
        .cloned()
        .zip(lab.docker("node1", &args).lines().map(str::to_owned))
        .collect()
}

/// A service's tasks as `docker service ps` shows them, one `desired|current|error` each.
fn tasks(lab: &LabGuard, service: &str) -> Vec<String> {
    lab.docker(
        "node1",
        &[
            "service",
            "ps",
            "--no-trunc",
            "--format",
            "{{.DesiredState}}|{{.CurrentState}}|{{.Error}}",
            service,
        ],
    )
    .lines()
    .map(str::to_owned)
    .collect()
}

/// Poll until `check` is Ok; on the deadline, panic with what it last said was missing.
fn poll(what: &str, limit: Duration, mut check: impl FnMut() -> Result<(), String>) {
    let deadline = Instant::now() + limit;
    loop {
        match check() {
            Ok(()) => return,
            Err(why) if Instant::now() >= deadline => {
                panic!("timed out after {limit:?} waiting for {what}: {why}")
            }
            Err(_) => std::thread::sleep(Duration::from_millis(500)),
        }
    }
}

/// Demo containers still running on the lab's nodes.
fn running_demo_containers(lab: &LabGuard) -> Vec<String> {
    lab.nodes
        .iter()
        .flat_map(|n| {
            lab.docker(
                &n.name,
                &["ps", "--filter", DEMO_FILTER, "--format", "{{.Names}}"],
            )
            .lines()
            .map(|c| format!("{}: {c}", n.name))
            .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn demo_workload_deploys_once_and_clean_removes_exactly_it() {
    let lab = lab::take();
    let _cleanup = Cleanup;
    assert!(
        demo_services(&lab).is_empty(),
        "lab::take() leaves no demo workload"
    );
    lab.create_service(BYSTANDER, &["--replicas", "1"]);

    // deploy: one line saying what was created, and it returns without waiting
    let started = Instant::now();
    let out = lab::lab_ok(&["workload"]);
    let took = started.elapsed();
    let line = out.trim();
    assert_eq!(line.lines().count(), 1, "one line: {out}");
    assert!(line.starts_with("demo workload: created "), "{line}");
    for name in [
        "demo-web",
        "demo-agent",
        "demo-migrate",
        "demo-pinned",
        "demo-crashy",
    ] {
        assert!(line.contains(name), "{name} in: {line}");
    }
    assert!(line.contains("swarmdeck demo --clean"), "{line}");
    assert!(took < Duration::from_secs(30), "no waiting: took {took:?}");

    // the five services, labelled, with their modes
    let services = demo_services(&lab);
    let modes: BTreeMap<&str, &str> = services
        .iter()
        .map(|(n, (m, _))| (n.as_str(), m.as_str()))
        .collect();
    assert_eq!(
        modes,
        BTreeMap::from([
            ("demo-agent", "global"),
            ("demo-crashy", "replicated"),
            ("demo-migrate", "replicated job"),
            ("demo-pinned", "replicated"),
            ("demo-web", "replicated"),
        ]),
        "{services:?}"
    );

    // and what they are for, once the swarm has scheduled them
    let nodes = lab.nodes.len();
    poll(
        "demo-web 3/3, demo-agent on every node, demo-migrate's 3 completions",
        Duration::from_secs(120),
        || {
            let s = demo_services(&lab);
            let replicas = |n: &str| s.get(n).map(|(_, r)| r.clone()).unwrap_or_default();
            let web = tasks(&lab, "demo-web")
                .iter()
                .filter(|t| t.starts_with("Running|Running"))
                .count();
            let ok = web == 3
                && replicas("demo-web") == "3/3"
                && replicas("demo-agent") == format!("{nodes}/{nodes}")
                && replicas("demo-migrate").contains("(3/3 completed)");
            ok.then_some(())
                .ok_or(format!("{s:?}, demo-web running tasks: {web}"))
        },
    );
    poll(
        "demo-pinned pending with no suitable node",
        Duration::from_secs(60),
        || {
            let t = tasks(&lab, "demo-pinned");
            t.iter()
                .any(|t| t.starts_with("Running|Pending") && t.contains("no suitable node"))
                .then_some(())
                .ok_or(format!("{t:?}"))
        },
    );
    poll(
        "demo-crashy failed and restarted",
        Duration::from_secs(90),
        || {
            let t = tasks(&lab, "demo-crashy");
            let failed = t
                .iter()
                .filter(|t| t.starts_with("Shutdown|Failed") && t.contains("non-zero exit"))
                .count();
            // restarted: a task after the failed one (running, or waiting out the delay)
            (failed >= 1 && t.len() > failed)
                .then_some(())
                .ok_or(format!("{t:?}"))
        },
    );

    // what `swarmdeck status` makes of it: the pending service is a problem
    let out = swarmdeck_status(&lab);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("problem: service demo-pinned has 0/1 tasks running"),
        "{}",
        text(&out)
    );

    // deploying again creates and changes nothing
    let before = demo_versions(&lab);
    assert_eq!(before.len(), 5, "{before:?}");
    let again = lab::lab_ok(&["workload"]);
    assert!(
        again.starts_with("demo workload: nothing to create; already there: "),
        "{again}"
    );
    assert_eq!(
        demo_versions(&lab),
        before,
        "the same services, not updated"
    );

    // --clean, with the real binary: the demo's services go, the bystander stays
    let out = swarmdeck_demo_clean(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("demo workload: removed"),
        "{}",
        text(&out)
    );
    assert!(demo_services(&lab).is_empty(), "{:?}", demo_services(&lab));
    let left = lab.docker(
        "node1",
        &[
            "service",
            "ls",
            "--format",
            "{{.Name}}",
            "--filter",
            &format!("name={BYSTANDER}"),
        ],
    );
    assert_eq!(left.trim(), BYSTANDER, "the test's own service survives");
    let running = running_demo_containers(&lab);
    assert!(running.is_empty(), "nothing of the demo runs: {running:?}");
    // so the lab is as healthy as the other tests expect it
    lab::wait_for("status healthy again", Duration::from_secs(60), || {
        swarmdeck_status(&lab).status.code() == Some(0)
    });

    // and again: nothing to remove, still exit 0
    let out = swarmdeck_demo_clean(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("demo workload: nothing to remove"),
        "{}",
        text(&out)
    );
}

/// Nothing is deployed here: the lab instance asked for does not exist.
#[test]
fn demo_clean_says_when_the_lab_is_not_up() {
    let out = swarmdeck_demo_clean(&[("SWARMDECK_LAB", "sdnotup")]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("the lab is not up, so there is no demo workload to remove"),
        "{}",
        text(&out)
    );
    assert!(!text(&out).contains("panicked"), "{}", text(&out));
}
