//! The shared real-swarm lab for integration tests. Tests share one lab deliberately: each
//! takes an exclusive lock for its whole run, and leaves the lab with every node restored.

use std::fs::File;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/lab/lab.sh")
}

pub fn lab(args: &[&str]) -> Output {
    Command::new("bash")
        .arg(script())
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running lab.sh {args:?}: {e}"))
}

pub fn lab_ok(args: &[&str]) -> String {
    let out = lab(args);
    assert!(
        out.status.success(),
        "lab.sh {args:?} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A node as `lab.sh status` reports it.
#[derive(Debug, Clone)]
pub struct LabNode {
    pub name: String,
    pub role: String,
    pub socket: String,
    pub addr: String,
    pub docker_up: bool,
    /// keepalived's state: MASTER, BACKUP, FAULT, stopped, unknown.
    pub keepalived: String,
}

pub fn status() -> Vec<LabNode> {
    let text = lab_ok(&["status"]);
    text.lines()
        .filter(|l| l.starts_with("node"))
        .map(|l| {
            let mut fields = l.split_whitespace();
            let name = fields.next().unwrap_or_default().to_string();
            let mut node = LabNode {
                name,
                role: String::new(),
                socket: String::new(),
                addr: String::new(),
                docker_up: false,
                keepalived: String::new(),
            };
            for f in fields {
                if let Some((k, v)) = f.split_once('=') {
                    match k {
                        "role" => node.role = v.into(),
                        "socket" => node.socket = v.into(),
                        "addr" => node.addr = v.into(),
                        "docker" => node.docker_up = v == "up",
                        "keepalived" => node.keepalived = v.into(),
                        _ => {}
                    }
                }
            }
            node
        })
        .collect()
}

/// Held for the whole of one lab test.
pub struct LabGuard {
    _lock: File,
    pub nodes: Vec<LabNode>,
}

impl LabGuard {
    pub fn managers(&self) -> Vec<&LabNode> {
        self.nodes.iter().filter(|n| n.role == "manager").collect()
    }
    pub fn workers(&self) -> Vec<&LabNode> {
        self.nodes.iter().filter(|n| n.role == "worker").collect()
    }
    /// `--host SOCKET` for every manager, for the swarmdeck binary.
    pub fn host_args(&self) -> Vec<String> {
        self.sockets()
            .into_iter()
            .flat_map(|s| ["--host".to_string(), s])
            .collect()
    }
    pub fn sockets(&self) -> Vec<String> {
        self.managers().iter().map(|n| n.socket.clone()).collect()
    }
    pub fn node(&self, name: &str) -> &LabNode {
        self.nodes
            .iter()
            .find(|n| n.name == name)
            .unwrap_or_else(|| panic!("no lab node {name}"))
    }
    /// (Re)create a test service running `sleep 3600` from the lab's image, in the background.
    pub fn create_service(&self, name: &str, args: &[&str]) {
        let _ = lab(&["docker", "node1", "service", "rm", name]);
        let mut all = vec![
            "service",
            "create",
            "-d",
            "--name",
            name,
            "--no-resolve-image",
        ];
        all.extend_from_slice(args);
        all.extend_from_slice(&["swarmdeck/busybox:lab", "sleep", "3600"]);
        self.docker("node1", &all);
    }

    /// Put a node back as the tests expect it: active, without these labels.
    pub fn reset_node(&self, node: &str, labels: &[&str]) {
        let _ = lab(&[
            "docker",
            "node1",
            "node",
            "update",
            "--availability",
            "active",
            node,
        ]);
        for label in labels {
            let _ = lab(&[
                "docker",
                "node1",
                "node",
                "update",
                "--label-rm",
                label,
                node,
            ]);
        }
    }

    /// Run the docker CLI against a node.
    pub fn docker(&self, node: &str, args: &[&str]) -> String {
        let mut all = vec!["docker", node];
        all.extend_from_slice(args);
        lab_ok(&all)
    }
}

impl Drop for LabGuard {
    fn drop(&mut self) {
        // leave every node up, with keepalived running, for the next test
        for n in status() {
            if !n.docker_up {
                let _ = lab(&["restore", &n.name]);
            } else if n.keepalived == "stopped" {
                let _ = lab(&["start-vip", &n.name]);
            }
        }
    }
}

/// Take the lab: bring it up if needed (it needs root and Debian's packages, which the
/// script installs), restore any node an earlier test left down, and wait until the swarm
/// has a leader and every manager is reachable.
pub fn take() -> LabGuard {
    let dir = PathBuf::from("/var/lib/swarmdeck-lab");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| {
        panic!(
            "the lab needs root (cannot create {}: {e}); run the tests as root",
            dir.display()
        )
    });
    let lock = File::create(dir.join(".test-lock")).expect("lock file");
    lock.lock().expect("lock the lab");
    // 3 managers and 1 worker: the worker proves the "connect to a manager" error.
    lab_ok(&["up", "3", "--workers", "1"]);
    for n in status() {
        if !n.docker_up {
            lab_ok(&["restore", &n.name]);
        } else if n.keepalived == "stopped" {
            lab_ok(&["start-vip", &n.name]);
        }
    }
    let nodes = status();
    assert!(
        nodes.iter().filter(|n| n.role == "manager").count() >= 3,
        "the lab has 3 managers: {nodes:?}"
    );
    let guard = LabGuard { _lock: lock, nodes };
    wait_for(
        "every node Ready, every manager reachable, a leader",
        Duration::from_secs(90),
        || {
            let out = lab(&[
                "docker",
                "node1",
                "node",
                "ls",
                "--format",
                "{{.Status}} {{.ManagerStatus}}",
            ]);
            let text = String::from_utf8_lossy(&out.stdout);
            let ready = text.lines().filter(|l| l.starts_with("Ready")).count();
            let managers = text
                .lines()
                .filter(|l| l.ends_with("Reachable") || l.ends_with("Leader"))
                .count();
            out.status.success()
                && ready == guard.nodes.len()
                && managers == guard.managers().len()
                && text.contains("Leader")
        },
    );
    // A demo workload (`swarmdeck demo` on this lab, or a test that could not remove it)
    // would change what the tests count: remove it, and wait until none of it runs.
    lab_ok(&["workload-rm"]);
    guard
}

/// Poll until `f` holds; panic with `what` after the deadline.
pub fn wait_for(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    panic!("timed out after {limit:?} waiting for: {what}");
}

/// The lab's VIP and the node(s) holding it, from `lab.sh status` (`vip=ADDR owner=node1`).
pub fn vip_owner() -> (String, String) {
    let text = lab_ok(&["status"]);
    let first = text.lines().next().unwrap_or_default();
    let mut vip = String::new();
    let mut owner = String::new();
    for f in first.split_whitespace() {
        if let Some(v) = f.strip_prefix("vip=") {
            vip = v.to_string();
        } else if let Some(o) = f.strip_prefix("owner=") {
            owner = o.to_string();
        }
    }
    (vip, owner)
}

/// DOCKER_CERT_PATH for the lab's engines' TLS port, from `lab.sh status`
/// (`tls=tcp://NODE:2376 cert_path=DIR`).
pub fn tls_cert_path() -> String {
    status_field("tls=", "cert_path=")
}

/// A directory with an `ssh` that uses the lab's ssh client settings (its key, its pinned host
/// key), to put first in PATH; from `lab.sh status` (`ssh=… config=FILE path=DIR`).
pub fn ssh_path() -> String {
    status_field("ssh=", "path=")
}

/// The lab's private registry as `lab.sh status` reports it
/// (`registry addr=ADDR user=USER state=up|down image=REF ca=FILE`).
#[derive(Debug, Clone)]
pub struct LabRegistry {
    /// `198.51.100.5:5000`: what image references and `docker login` name.
    pub addr: String,
    pub user: String,
    pub up: bool,
    /// The workload image in the registry, e.g. `198.51.100.5:5000/swarmdeck/busybox:lab`.
    pub image: String,
    /// The lab CA that signed the registry's certificate (PEM).
    pub ca: String,
}

pub fn registry() -> LabRegistry {
    let text = lab_ok(&["status"]);
    let line = text
        .lines()
        .find(|l| l.starts_with("registry "))
        .unwrap_or_else(|| panic!("lab.sh status has no registry line:\n{text}"));
    let field = |key: &str| {
        line.split_whitespace()
            .find_map(|f| f.strip_prefix(key))
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no {key} on the registry line: {line}"))
    };
    LabRegistry {
        addr: field("addr="),
        user: field("user="),
        up: field("state=") == "up",
        image: field("image="),
        ca: field("ca="),
    }
}

/// The registry user's password (`lab.sh registry password`, root only). Never print it: the
/// tests that use it check that it appears nowhere.
pub fn registry_password() -> String {
    let out = lab(&["registry", "password"]);
    assert!(
        out.status.success(),
        "lab.sh registry password failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("the password is UTF-8");
    text.trim_end_matches('\n').to_owned()
}

/// The value of `key` on the `lab.sh status` line that starts with `line`.
fn status_field(line: &str, key: &str) -> String {
    let text = lab_ok(&["status"]);
    text.lines()
        .filter(|l| l.starts_with(line))
        .flat_map(str::split_whitespace)
        .find_map(|f| f.strip_prefix(key))
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("lab.sh status has no {line}… {key}…:\n{text}"))
}

/// PATH with the lab's `ssh` first.
pub fn path_with_lab_ssh() -> String {
    format!(
        "{}:{}",
        ssh_path(),
        std::env::var("PATH").unwrap_or_else(|_| "/usr/sbin:/usr/bin:/sbin:/bin".into())
    )
}

/// ssh client processes to the lab's addresses (a connection, or a master left running).
pub fn lab_ssh_clients() -> Vec<String> {
    let out = Command::new("pgrep")
        .args(["-a", "-x", "ssh"])
        .output()
        .expect("pgrep");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("198.51.100."))
        .map(str::to_owned)
        .collect()
}

/// Remove these services through the first manager that answers (a test's cleanup: errors
/// are ignored, a service may already be gone).
pub fn rm_services(names: &[&str]) {
    for n in names {
        for node in ["node1", "node2", "node3"] {
            if lab(&["docker", node, "service", "rm", n]).status.success() {
                break;
            }
        }
    }
}

/// Removes these services when dropped, also when the test fails.
pub struct RmServices(pub Vec<&'static str>);

impl Drop for RmServices {
    fn drop(&mut self) {
        rm_services(&self.0);
    }
}
