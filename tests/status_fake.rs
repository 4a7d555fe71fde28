//! `swarmdeck status` against data a real engine cannot be made to send: a hostname full of
//! terminal escape sequences, a node whose Status is null, one whose Spec is null, one whose
//! state is a value nobody knows. A tiny fake Docker server on a unix socket answers with the
//! JSON recorded from the lab (tests/fixtures), changed just so.

use std::path::Path;
use std::process::Output;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixListener;

fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("fixture JSON")
}

/// Answer every request by its path, one request per connection.
async fn serve(listener: UnixListener, nodes: Value) {
    let version = fixture("engine-version.json").to_string();
    let info = fixture("engine-info.json").to_string();
    // without the service pinned to a label no node has, the recorded swarm is healthy
    let mut services = fixture("engine-services.json");
    if let Some(list) = services.as_array_mut() {
        list.retain(|s| s["Spec"]["Name"] != "fx-pinned");
    }
    let services = services.to_string();
    let tasks = fixture("engine-tasks.json").to_string();
    let nodes = nodes.to_string();
    loop {
        let Ok((mut sock, _)) = listener.accept().await else {
            return;
        };
        let mut got = Vec::new();
        let mut buf = vec![0u8; 8192];
        while !got.windows(4).any(|w| w == b"\r\n\r\n") {
            match sock.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(k) => got.extend_from_slice(&buf[..k]),
            }
        }
        let line = String::from_utf8_lossy(&got)
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        let path = line.split_whitespace().nth(1).unwrap_or_default();
        let path = path.split('?').next().unwrap_or_default();
        let body = if path.ends_with("/_ping") {
            "OK".to_string()
        } else if path.ends_with("/version") {
            version.clone()
        } else if path.ends_with("/info") {
            info.clone()
        } else if path.ends_with("/nodes") {
            nodes.clone()
        } else if path.ends_with("/services") {
            services.clone()
        } else if path.ends_with("/tasks") {
            tasks.clone()
        } else {
            "{\"message\":\"not in this fake\"}".to_string()
        };
        let resp = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nApi-Version: 1.41\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = sock.write_all(resp.as_bytes()).await;
        let _ = sock.shutdown().await;
    }
}

/// `status` against the fake, without probing the nodes: the fixture's addresses are the
/// lab's, which may or may not be up on this host.
async fn status_against(nodes: Value, args: &[&str]) -> Output {
    let mut with = vec!["--no-probe"];
    with.extend_from_slice(args);
    status_probing(nodes, &with).await
}

async fn status_probing(nodes: Value, args: &[&str]) -> Output {
    let dir = tempfile::tempdir().expect("tempdir");
    let sock = dir.path().join("docker.sock");
    let listener = UnixListener::bind(&sock).expect("bind");
    let server = tokio::spawn(serve(listener, nodes));
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_swarmdeck"))
        .args(["--host", &format!("unix://{}", sock.display()), "status"])
        .args(args)
        .env_remove("DOCKER_HOST")
        .env("HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path())
        .output()
        .await
        .expect("run swarmdeck");
    server.abort();
    out
}

const EVIL: &str = "\u{1b}[2J\u{1b}]0;PWNED\u{7}evil\nswarm: HEALTHY";

#[tokio::test]
async fn escape_sequences_from_a_node_never_reach_the_terminal() {
    let mut nodes = fixture("engine-nodes.json");
    nodes[0]["Description"]["Hostname"] = Value::from(EVIL);
    nodes[1]["Spec"]["Labels"] = serde_json::json!({ "zone": "\u{1b}]0;TITLE\u{7}\u{9b}2J" });
    let out = status_against(nodes.clone(), &[]).await;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    for bad in ['\u{1b}', '\u{7}', '\u{9b}'] {
        assert!(
            !text.contains(bad),
            "a control character {bad:?} reached stdout: {text:?}"
        );
    }
    // what was sent can still be read
    assert!(
        text.contains("\\x1b[2J\\x1b]0;PWNED\\x07evil\\nswarm: HEALTHY"),
        "{text}"
    );
    assert!(text.contains("zone=\\x1b]0;TITLE\\x07\\x9b2J"), "{text}");
    // no forged line: exactly one line says the swarm's state
    assert_eq!(
        text.lines().filter(|l| l.starts_with("swarm: ")).count(),
        1,
        "{text}"
    );
    assert_eq!(out.status.code(), Some(0), "{text}");

    // JSON keeps the exact strings (escaped, as JSON does)
    let out = status_against(nodes, &["--json"]).await;
    let json: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["nodes"][0]["hostname"], EVIL);
}

#[tokio::test]
async fn unreadable_nodes_are_not_healthy_and_the_field_is_named() {
    // Status null on node2, Spec null on node3
    let mut nodes = fixture("engine-nodes.json");
    nodes[1]["Status"] = Value::Null;
    nodes[2]["Spec"] = Value::Null;
    let out = status_against(nodes, &["--json"]).await;
    let json: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["health"], "degraded", "{json:#}");
    assert_eq!(out.status.code(), Some(1), "{json:#}");
    let problems: Vec<&str> = json["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let has = |node: &str, field: &str| {
        problems
            .iter()
            .any(|p| p.starts_with(&format!("node {node}:")) && p.contains(field))
    };
    assert!(has("node2", "Status.State"), "{problems:?}");
    assert!(has("node3", "Spec.Availability"), "{problems:?}");
    assert!(has("node3", "Spec.Role"), "{problems:?}");

    // a state nobody knows: the field is named, and the run is degraded
    let mut nodes = fixture("engine-nodes.json");
    nodes[0]["Status"]["State"] = Value::from("rebooting");
    let out = status_against(nodes, &[]).await;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("swarm: DEGRADED"), "{text}");
    assert!(text.contains("Status.State"), "{text}");
}

#[tokio::test]
async fn healthy_fixture_is_healthy() {
    // the control for the two above: the recorded swarm as it was is healthy
    let out = status_against(fixture("engine-nodes.json"), &[]).await;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("swarm: HEALTHY"), "{text}");
}

#[tokio::test]
async fn a_node_that_does_not_answer_from_here_is_an_alert() {
    // node1 and node3 answer on their raft port, node2's is closed
    let up1 = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let up3 = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .to_string();
    let mut nodes = fixture("engine-nodes.json");
    let addrs = [
        up1.local_addr().expect("addr").to_string(),
        closed.clone(),
        up3.local_addr().expect("addr").to_string(),
    ];
    for (i, addr) in addrs.iter().enumerate() {
        nodes[i]["ManagerStatus"]["Addr"] = Value::from(addr.as_str());
    }
    let host = |i: usize| {
        nodes[i]["Description"]["Hostname"]
            .as_str()
            .expect("hostname")
            .to_string()
    };
    let down = host(1);
    let out = status_probing(nodes.clone(), &["--json"]).await;
    let json: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(out.status.code(), Some(1), "{json:#}");
    assert_eq!(json["health"], "degraded", "{json:#}");
    let alerts = json["alerts"].as_array().expect("alerts");
    assert_eq!(alerts.len(), 1, "{json:#}");
    assert_eq!(alerts[0]["severity"], "critical");
    assert_eq!(
        alerts[0]["text"],
        format!("{down} unreachable from here (2 probes of {closed} failed)").as_str()
    );
    // the text says it too
    let out = status_probing(nodes.clone(), &[]).await;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        text.contains(&format!("alert: [critical] {down} unreachable from here")),
        "{text}"
    );
    // without the probes the swarm is healthy
    let out = status_against(nodes, &[]).await;
    assert_eq!(out.status.code(), Some(0));
    drop((up1, up3));
}
