//! The lab's private registry (`lab.sh registry …`), for real: Debian's docker-registry with
//! basic auth and the lab CA's TLS, holding the workload image that no node keeps under the
//! registry's name. With `docker login` and `service create --with-registry-auth` a global
//! service runs on every manager (each node pulls); without credentials every manager's pull is
//! refused. The password is one whose STANDARD base64 in `X-Registry-Auth` has `+` and `/`.
//! These tests need root and hold the lab lock; they remove what they create, and leave no node
//! holding the image under the registry's name (`lab.sh registry up` again).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use base64::Engine;
use common::lab::{self, LabGuard, LabRegistry};

const NO_AUTH: &str = "sd-registry-noauth";
const WITH_AUTH: &str = "sd-registry-auth";

/// Removes the test's services, waits until none of their containers runs, and has the lab
/// forget the pulled image (`lab.sh registry up`), also when the test fails, before the lab
/// guard (declared first, dropped last) releases the lock.
struct Cleanup<'a> {
    lab: &'a LabGuard,
}

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        let _ = lab::lab(&["docker", "node1", "service", "rm", NO_AUTH, WITH_AUTH]);
        let gone = || {
            self.lab.nodes.iter().all(|n| {
                [NO_AUTH, WITH_AUTH].iter().all(|name| {
                    let filter = format!("label=com.docker.swarm.service.name={name}");
                    let out = lab::lab(&["docker", &n.name, "ps", "-aq", "--filter", &filter]);
                    !out.status.success() || out.stdout.iter().all(u8::is_ascii_whitespace)
                })
            })
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while !gone() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(300));
        }
        let _ = lab::lab(&["registry", "up"]);
    }
}

/// The docker CLI against one node's engine, with a docker config directory of its own (0700,
/// removed at the end), so neither root's credentials nor a credential helper take part.
struct Cli {
    socket: String,
    config: tempfile::TempDir,
}

impl Cli {
    fn new(socket: &str, reg: &LabRegistry) -> Cli {
        let config = tempfile::tempdir().expect("docker config dir");
        // Naming the registry keeps the CLI from looking for a credential helper: `login`
        // then stores the credentials in this file.
        std::fs::write(
            config.path().join("config.json"),
            format!("{{\"auths\":{{\"{}\":{{}}}}}}\n", reg.addr),
        )
        .expect("write config.json");
        Cli {
            socket: socket.to_owned(),
            config,
        }
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = Command::new("/usr/bin/docker");
        cmd.arg("-H")
            .arg(&self.socket)
            .arg("--config")
            .arg(self.config.path())
            .args(args)
            .env_remove("DOCKER_CONTEXT")
            .env_remove("DOCKER_TLS_VERIFY")
            .env_remove("DOCKER_CERT_PATH")
            .env_remove("DOCKER_CONFIG")
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("run docker");
        if let Some(text) = stdin {
            let mut pipe = child.stdin.take().expect("stdin");
            pipe.write_all(text.as_bytes()).expect("write stdin");
        }
        child.wait_with_output().expect("wait for docker")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args, None);
        assert!(
            out.status.success(),
            "docker {args:?} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// `docker service ps NAME` as node → [(current state, error)], every task of its history.
fn tasks(name: &str) -> BTreeMap<String, Vec<(String, String)>> {
    let out = lab::lab(&[
        "docker",
        "node1",
        "service",
        "ps",
        "--no-trunc",
        "--format",
        "{{.Node}}|{{.CurrentState}}|{{.Error}}",
        name,
    ]);
    let mut by_node: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let mut f = line.splitn(3, '|');
        let (node, state, err) = (
            f.next().unwrap_or_default(),
            f.next().unwrap_or_default(),
            f.next().unwrap_or_default(),
        );
        by_node
            .entry(node.to_owned())
            .or_default()
            .push((state.to_owned(), err.to_owned()));
    }
    by_node
}

fn manager_names(lab: &LabGuard) -> BTreeSet<String> {
    lab.managers().iter().map(|n| n.name.clone()).collect()
}

/// Node NAME's directory in the lab's state dir (where its socket is).
fn node_dir(lab: &LabGuard, name: &str) -> PathBuf {
    let socket = &lab.node(name).socket;
    Path::new(socket.trim_start_matches("unix://"))
        .parent()
        .expect("the socket is in the node's directory")
        .to_path_buf()
}

/// Where node NAME's dockerd writes its log.
fn dockerd_log(lab: &LabGuard, name: &str) -> PathBuf {
    node_dir(lab, name).join("dockerd.log")
}

/// The names (tags and digests) under which node NAME holds an image from the registry.
fn registry_refs(lab: &LabGuard, name: &str, reg: &LabRegistry) -> Vec<String> {
    let out = lab.docker(
        name,
        &[
            "image",
            "ls",
            "--digests",
            "--format",
            "{{.Repository}}:{{.Tag}}@{{.Digest}}",
        ],
    );
    out.lines()
        .filter(|l| l.starts_with(&format!("{}/", reg.addr)))
        .map(str::to_owned)
        .collect()
}

fn no_node_holds_the_image(lab: &LabGuard, reg: &LabRegistry) {
    for n in &lab.nodes {
        let refs = registry_refs(lab, &n.name, reg);
        assert!(
            refs.is_empty(),
            "{} holds the registry's image already: {refs:?}",
            n.name
        );
    }
}

#[test]
fn the_registry_is_up_and_its_password_needs_base64url() {
    let lab = lab::take();
    let reg = lab::registry();
    assert!(reg.up, "{reg:?}");
    assert_eq!(reg.addr, "198.51.100.5:5000");
    assert_eq!(reg.image, format!("{}/swarmdeck/busybox:lab", reg.addr));
    assert!(!reg.user.is_empty());
    let status = lab::lab(&["registry", "status"]);
    assert!(status.status.success());
    assert_eq!(
        String::from_utf8_lossy(&status.stdout).trim_end(),
        format!(
            "registry addr={} user={} state=up image={} ca={}",
            reg.addr, reg.user, reg.image, reg.ca
        )
    );
    // stored for root only
    let state = node_dir(&lab, "node1")
        .parent()
        .expect("the lab's state dir")
        .join("registry");
    let password_file = state.join("password");
    let mode = std::fs::metadata(&password_file)
        .expect("the password file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o077, 0, "{} is {mode:o}", password_file.display());

    // The X-Registry-Auth JSON as the docker CLI writes it: its STANDARD base64 has `+` and
    // `/`, so an engine that wants base64url refuses (or misreads) the standard encoding.
    let password = lab::registry_password();
    let json = format!(
        "{{\"username\":{},\"password\":{},\"serveraddress\":{}}}",
        serde_json::to_string(&reg.user).expect("json"),
        serde_json::to_string(&password).expect("json"),
        serde_json::to_string(&reg.addr).expect("json"),
    );
    let standard = base64::engine::general_purpose::STANDARD.encode(&json);
    let url_safe = base64::engine::general_purpose::URL_SAFE.encode(&json);
    assert!(
        standard.contains('+') && standard.contains('/'),
        "the standard base64 of the auth JSON lacks + or /"
    );
    assert_ne!(standard, url_safe);
    assert!(password.chars().any(|c| !c.is_ascii_alphanumeric()));
}

/// Without credentials every manager tries to pull from the registry, is refused, and the task
/// fails with the image missing; nothing runs.
#[test]
fn without_credentials_every_managers_pull_is_refused() {
    let lab = lab::take();
    let _cleanup = Cleanup { lab: &lab };
    let reg = lab::registry();
    no_node_holds_the_image(&lab, &reg);
    let managers = manager_names(&lab);
    let logs: BTreeMap<String, u64> = managers
        .iter()
        .map(|m| {
            let len = std::fs::metadata(dockerd_log(&lab, m)).map_or(0, |md| md.len());
            (m.clone(), len)
        })
        .collect();

    let cli = Cli::new(&lab.node("node1").socket, &reg);
    cli.ok(&[
        "service",
        "create",
        "--detach",
        "--quiet",
        "--name",
        NO_AUTH,
        "--mode",
        "global",
        "--constraint",
        "node.role==manager",
        "--stop-grace-period",
        "1s",
        "--no-resolve-image",
        &reg.image,
        "sleep",
        "3600",
    ]);
    let mut seen = BTreeMap::new();
    lab::wait_for(
        "a failed task on every manager",
        Duration::from_secs(60),
        || {
            seen = tasks(NO_AUTH);
            for (node, ts) in &seen {
                assert!(
                    ts.iter().all(|(state, _)| !state.starts_with("Running")),
                    "a task without credentials runs on {node}: {ts:?}"
                );
            }
            managers.iter().all(|m| {
                seen.get(m).is_some_and(|ts| {
                    ts.iter()
                        .any(|(_, err)| err.contains(&format!("No such image: {}", reg.image)))
                })
            })
        },
    );
    assert!(
        seen.keys().all(|n| managers.contains(n)),
        "tasks only on managers: {seen:?}"
    );
    // and it is the registry that said no: each manager's dockerd logged its refused pull
    for m in &managers {
        let log = std::fs::read(dockerd_log(&lab, m)).expect("dockerd.log");
        let start = usize::try_from(logs[m]).unwrap_or(0);
        let new = String::from_utf8_lossy(log.get(start..).unwrap_or(&log)).into_owned();
        let refused = new.lines().any(|l| {
            l.contains("pulling image failed")
                && l.contains(&reg.addr)
                && (l.contains("no basic auth credentials")
                    || l.contains("unauthorized")
                    || l.contains("authentication required"))
        });
        assert!(refused, "{m}: no refused pull in its dockerd.log:\n{new}");
    }
    no_node_holds_the_image(&lab, &reg);
}

/// `docker login` + `service create --with-registry-auth`: a global service on the managers
/// runs one task on each, every node having pulled the image from the registry.
#[test]
fn with_registry_auth_a_task_runs_on_every_manager() {
    let lab = lab::take();
    let _cleanup = Cleanup { lab: &lab };
    let reg = lab::registry();
    no_node_holds_the_image(&lab, &reg);
    let managers = manager_names(&lab);
    let password = lab::registry_password();

    let cli = Cli::new(&lab.node("node1").socket, &reg);
    let login = cli.run(
        &[
            "login",
            "--username",
            &reg.user,
            "--password-stdin",
            &reg.addr,
        ],
        Some(&format!("{password}\n")),
    );
    assert!(
        login.status.success(),
        "docker login {} failed: {}",
        reg.addr,
        String::from_utf8_lossy(&login.stderr)
    );
    let config = std::fs::read_to_string(cli.config.path().join("config.json")).expect("config");
    let stored: serde_json::Value = serde_json::from_str(&config).expect("config.json");
    assert!(
        stored["auths"][&reg.addr]["auth"].is_string(),
        "docker login stored no credentials for {} in its own config",
        reg.addr
    );

    let out = cli.ok(&[
        "service",
        "create",
        "--detach",
        "--quiet",
        "--with-registry-auth",
        "--name",
        WITH_AUTH,
        "--mode",
        "global",
        "--constraint",
        "node.role==manager",
        "--stop-grace-period",
        "1s",
        &reg.image,
        "sleep",
        "3600",
    ]);
    assert!(!out.contains(&password));
    // the CLI resolved the digest through the registry, with the credentials
    let image = lab.docker(
        "node1",
        &[
            "service",
            "inspect",
            "--format",
            "{{.Spec.TaskTemplate.ContainerSpec.Image}}",
            WITH_AUTH,
        ],
    );
    assert!(
        image.trim().starts_with(&format!("{}@sha256:", reg.image)),
        "{image}"
    );
    lab::wait_for(
        "a running task on every manager",
        Duration::from_secs(90),
        || {
            let running: BTreeSet<String> = tasks(WITH_AUTH)
                .into_iter()
                .filter(|(_, ts)| ts.iter().any(|(state, _)| state.starts_with("Running")))
                .map(|(node, _)| node)
                .collect();
            running == managers
        },
    );
    // every manager pulled it from the registry; no other node has it
    for n in &lab.nodes {
        let refs = registry_refs(&lab, &n.name, &reg);
        if managers.contains(&n.name) {
            assert!(!refs.is_empty(), "{} did not pull {}", n.name, reg.image);
        } else {
            assert!(refs.is_empty(), "{} pulled {}: {refs:?}", n.name, reg.image);
        }
    }
    let inspect = lab.docker("node1", &["service", "inspect", WITH_AUTH]);
    assert!(!inspect.contains(&password), "the password is in the spec");
}
