//! `:secrets` against the real lab, driven by keys in a real terminal (tmux) as an operator
//! would: a secret created through the dashboard from a typed value, a global service (a
//! task on every node) that mounts it made with the docker CLI, the delete refused naming
//! that service, a rotation that moves the service to `NAME.v2` (every node's container
//! reads the new value from /run/secrets), then the old secret deleted from the offer.
//! Finally every screen captured during the test, the audit log and every file the
//! dashboard wrote are searched for both values (and their base64): none may hold one.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine as _;
use common::lab::{self, LabGuard};
use common::tmux::Tmux;
use serde_json::Value;

const SECRET: &str = "lab-sec-pw";
const ROTATED: &str = "lab-sec-pw.v2";
const SERVICE: &str = "lab-sec-app";
const TARGET: &str = "app_pw";

/// Removes what the test created, also when it fails.
struct Cleanup;

impl Cleanup {
    fn run(&self) {
        let _ = lab::lab(&["docker", "node1", "service", "rm", SERVICE]);
        // a secret in use cannot go until the service's tasks are gone
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let a = lab::lab(&["docker", "node1", "secret", "rm", SECRET]);
            let b = lab::lab(&["docker", "node1", "secret", "rm", ROTATED]);
            let gone = |o: &std::process::Output| {
                o.status.success() || String::from_utf8_lossy(&o.stderr).contains("not found")
            };
            if (gone(&a) && gone(&b)) || Instant::now() > deadline {
                return;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        self.run();
    }
}

/// The dashboard in tmux and every screen read from it.
struct Dash {
    t: Tmux,
    screens: Vec<String>,
}

impl Dash {
    fn start(lab: &LabGuard, dir: &Path) -> Self {
        let bin = env!("CARGO_BIN_EXE_swarmdeck");
        let d = dir.display();
        let cmd = format!(
            "clear; XDG_STATE_HOME={d} XDG_DATA_HOME={d} XDG_CONFIG_HOME={d} HOME={d} USER=tester {bin} {} ; echo SWARMDECK-EXIT=$?",
            lab.host_args().join(" ")
        );
        let mut dash = Dash {
            t: Tmux::start(&cmd, 140, 40),
            screens: Vec::new(),
        };
        dash.wait("the dashboard", Duration::from_secs(60), |s| {
            s.contains("node1") && s.contains("live")
        });
        dash
    }

    fn screen(&mut self) -> String {
        let s = self.t.screen();
        self.screens.push(s.clone());
        s
    }

    fn send(&self, keys: &[&str]) {
        self.t.send(keys);
    }

    /// Poll the screen (every 200 ms, each capture kept) until `f` holds.
    fn wait(&mut self, what: &str, limit: Duration, f: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + limit;
        let mut last = String::new();
        while Instant::now() < deadline {
            last = self.screen();
            if f(&last) {
                return last;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("timed out after {limit:?} waiting for {what}; screen:\n{last}");
    }

    /// Until the screen stays the same for 100 ms (everything sent so far is drawn).
    fn settle(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut last = self.screen();
        while Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
            let now = self.screen();
            if now == last {
                return;
            }
            last = now;
        }
    }

    /// The secrets popup, filtered to `name` (its row selected).
    fn secrets_on(&mut self, name: &str) {
        self.settle();
        self.send(&[":"]);
        self.send(&["-l", "secrets"]);
        self.send(&["Enter"]);
        self.wait("the secrets popup", Duration::from_secs(20), |s| {
            s.contains("secrets (") && s.contains("NAME")
        });
        self.send(&["/"]);
        self.send(&["-l", name]);
        self.send(&["Enter"]);
        self.wait("the filtered list", Duration::from_secs(20), |s| {
            s.contains(&format!(" /{name} "))
        });
    }
}

/// The containers of the service on each lab node: (node, container id).
fn containers(lab: &LabGuard) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for n in &lab.nodes {
        let ids = lab.docker(
            &n.name,
            &[
                "ps",
                "-q",
                "--filter",
                &format!("label=com.docker.swarm.service.name={SERVICE}"),
            ],
        );
        out.extend(
            ids.lines()
                .filter(|l| !l.trim().is_empty())
                .map(|id| (n.name.clone(), id.trim().to_string())),
        );
    }
    out
}

/// What each running container of the service reads at /run/secrets/TARGET.
fn read_everywhere(lab: &LabGuard) -> Vec<(String, String)> {
    containers(lab)
        .into_iter()
        .map(|(node, id)| {
            let out = lab::lab(&[
                "docker",
                &node,
                "exec",
                &id,
                "cat",
                &format!("/run/secrets/{TARGET}"),
            ]);
            (node, String::from_utf8_lossy(&out.stdout).into_owned())
        })
        .collect()
}

fn secret_names(lab: &LabGuard) -> Vec<String> {
    lab.docker("node1", &["secret", "ls", "--format", "{{.Name}}"])
        .lines()
        .map(str::to_string)
        .collect()
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn a_secret_created_used_refused_rotated_on_every_node_and_never_shown() {
    let lab = lab::take();
    let clean = Cleanup;
    clean.run();
    let dir = tempfile::tempdir().expect("tempdir");
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let first = format!("Fst-{stamp}-s3cr3t+/=");
    let second = format!("Snd-{stamp}-R0tated?");
    let mut d = Dash::start(&lab, dir.path());

    // create it from a typed value: the confirm says the size, the engine holds it
    d.secrets_on("lab-sec");
    d.send(&["n"]);
    d.wait("the form", Duration::from_secs(10), |s| {
        s.contains("new secret")
    });
    d.send(&["-l", SECRET]);
    d.send(&["Tab"]);
    d.send(&["-l", "purpose=lab"]);
    d.send(&["Tab"]);
    d.send(&["-l", &first]);
    d.settle();
    d.send(&["Enter"]);
    d.wait("the confirm", Duration::from_secs(10), |s| {
        s.contains(&format!("create secret {SECRET} ({} bytes)", first.len()))
    });
    d.send(&["y"]);
    d.wait("created", Duration::from_secs(30), |s| {
        s.contains(&format!("secret {SECRET} created"))
    });
    assert!(secret_names(&lab).contains(&SECRET.to_string()));
    let inspect: Value =
        serde_json::from_str(&lab.docker("node1", &["secret", "inspect", SECRET])).expect("json");
    assert_eq!(inspect[0]["Spec"]["Labels"]["purpose"], "lab");

    // a global service mounts it: a task on every node
    lab.create_service(
        SERVICE,
        &[
            "--mode",
            "global",
            "--secret",
            &format!("source={SECRET},target={TARGET}"),
        ],
    );
    lab::wait_for(
        "a container of the service on every node reads the first value",
        Duration::from_secs(120),
        || {
            let read = read_everywhere(&lab);
            read.len() == lab.nodes.len() && read.iter().all(|(_, v)| v == &first)
        },
    );

    // the dashboard sees the user; the delete is refused naming it
    d.send(&["C-r"]);
    d.wait("the user listed", Duration::from_secs(20), |s| {
        s.contains(&format!("{SERVICE} ({TARGET})"))
    });
    d.send(&["C-d"]);
    d.wait("the refusal", Duration::from_secs(10), |s| {
        s.contains(&format!("used by {SERVICE} (target {TARGET})"))
    });
    d.send(&["Enter"]);
    assert!(
        secret_names(&lab).contains(&SECRET.to_string()),
        "nothing was deleted"
    );

    // rotate: the new secret, the service moved at the same target, followed to the end
    d.settle();
    d.send(&["r"]);
    d.wait("the rotation's form", Duration::from_secs(10), |s| {
        s.contains(&format!("rotate {SECRET} → {ROTATED}"))
    });
    d.send(&["-l", &second]);
    d.settle();
    d.send(&["Enter"]);
    d.wait("the rotation's confirm", Duration::from_secs(10), |s| {
        s.contains(&format!("Rotate secret {SECRET}?"))
            && s.contains(&format!("({} bytes)", second.len()))
    });
    d.send(&["y"]);
    let done = d.wait("the rotation done", Duration::from_secs(240), |s| {
        s.contains(&format!("now runs with {ROTATED}")) || s.contains("stopped at")
    });
    assert!(!done.contains("stopped at"), "{done}");
    let spec: Value =
        serde_json::from_str(&lab.docker("node1", &["service", "inspect", SERVICE])).expect("json");
    let refs = spec[0]["Spec"]["TaskTemplate"]["ContainerSpec"]["Secrets"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(refs.len(), 1, "replaced in one update: {refs:?}");
    assert_eq!(refs[0]["SecretName"], ROTATED);
    assert_eq!(refs[0]["File"]["Name"], TARGET);
    lab::wait_for(
        "every node's container reads the new value",
        Duration::from_secs(120),
        || {
            let read = read_everywhere(&lab);
            read.len() == lab.nodes.len() && read.iter().all(|(_, v)| v == &second)
        },
    );

    // the offer: the old one deleted, its name typed
    d.wait("the offer", Duration::from_secs(10), |s| {
        s.contains(&format!("Delete the old secret {SECRET}?"))
    });
    d.send(&["-l", SECRET]);
    d.send(&["Enter"]);
    d.wait("deleted", Duration::from_secs(30), |s| {
        s.contains(&format!("Deleted {SECRET}."))
    });
    let names = secret_names(&lab);
    assert!(!names.contains(&SECRET.to_string()), "{names:?}");
    assert!(names.contains(&ROTATED.to_string()), "{names:?}");

    // out of the popup (the rotation, the filter, the list), and quit
    for _ in 0..4 {
        d.settle();
        if !d.screen().contains("secrets (") && !d.screen().contains("rotate ·") {
            break;
        }
        d.send(&["Escape"]);
    }
    d.settle();
    d.send(&["q"]);
    d.wait("the exit", Duration::from_secs(20), |s| {
        s.contains("SWARMDECK-EXIT=0")
    });

    // no value anywhere: screens, audit log, every file the dashboard wrote
    let needles: Vec<String> = [&first, &second]
        .iter()
        .flat_map(|v| {
            [
                v.to_string(),
                base64::engine::general_purpose::STANDARD.encode(v.as_bytes()),
                base64::engine::general_purpose::URL_SAFE.encode(v.as_bytes()),
            ]
        })
        .collect();
    assert!(
        d.screens.len() > 20,
        "screens captured: {}",
        d.screens.len()
    );
    for s in &d.screens {
        for n in &needles {
            assert!(!s.contains(n.as_str()), "a value on screen:\n{s}");
        }
    }
    let audit = dir.path().join("swarmdeck/audit.jsonl");
    let log = std::fs::read_to_string(&audit).expect("the audit log");
    assert!(
        log.contains(&format!("create secret {SECRET} ({} bytes)", first.len())),
        "{log}"
    );
    assert!(log.contains(&format!("delete secret {SECRET}")), "{log}");
    assert!(log.contains(&format!("rotate secret {SECRET}")), "{log}");
    let written = files(dir.path());
    assert!(written.iter().any(|p| p == &audit), "{written:?}");
    for p in &written {
        let bytes = std::fs::read(p).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        for n in &needles {
            assert!(!text.contains(n.as_str()), "a value in {}", p.display());
        }
    }
    drop(clean);
}
