//! Writes against the real lab: node availability and labels, and service force-updates,
//! done read-modify-write with the version index so that nobody's change is lost.
//! These tests need root; they share the lab through `lab::take()`.

mod common;

use std::collections::BTreeMap;

use bollard::query_parameters::UpdateNodeOptions;
use common::lab::{self, LabGuard};
use serde_json::Value;
use swarmdeck::domain::{Availability, NodeId, ServiceId};
use swarmdeck::engine::connect::{self, Connection};
use swarmdeck::engine::write::{
    self, NodeChange, WriteError, force_update_service, out_of_sequence, update_node,
};

const IMAGE: &str = "swarmdeck/busybox:lab";
const NODE: &str = "node3";

async fn connection(lab: &LabGuard) -> Connection {
    connect::connect(&lab.node("node1").socket)
        .await
        .unwrap_or_else(|e| panic!("connect to node1: {e}"))
}

fn inspect(lab: &LabGuard, what: &str, name: &str, format: &str) -> String {
    lab.docker("node1", &[what, "inspect", name, "--format", format])
        .trim()
        .to_string()
}

fn node_field(lab: &LabGuard, format: &str) -> String {
    inspect(lab, "node", NODE, format)
}

fn node_version(lab: &LabGuard) -> u64 {
    node_field(lab, "{{.Version.Index}}")
        .parse()
        .expect("a version index")
}

fn node_labels(lab: &LabGuard) -> BTreeMap<String, String> {
    serde_json::from_str(&node_field(lab, "{{json .Spec.Labels}}")).unwrap_or_default()
}

/// Leaves node3 active and without the test's labels, at the start and at the end of a test
/// (also when it fails).
struct NodeReset<'a>(&'a LabGuard);

impl<'a> NodeReset<'a> {
    fn new(lab: &'a LabGuard) -> Self {
        reset_node(lab);
        NodeReset(lab)
    }
}

fn reset_node(lab: &LabGuard) {
    lab.reset_node(NODE, &["other", "zone", "raced"]);
}

impl Drop for NodeReset<'_> {
    fn drop(&mut self) {
        reset_node(self.0);
    }
}

fn node_id(lab: &LabGuard) -> NodeId {
    NodeId(node_field(lab, "{{.ID}}"))
}

fn drain_from_active() -> NodeChange {
    NodeChange::Availability {
        seen: Availability::Active,
        to: Availability::Drain,
    }
}

/// `Spec` of an object exactly as the engine sends it (no bollard in between, no defaults
/// inserted as `docker ... inspect` does): a plain HTTP/1.0 GET on node1's socket.
async fn raw_spec(lab: &LabGuard, path: &str) -> Value {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let socket = lab.node("node1").socket.clone();
    let socket = socket.trim_start_matches("unix://");
    let mut stream = tokio::net::UnixStream::connect(socket)
        .await
        .unwrap_or_else(|e| panic!("connect {socket}: {e}"));
    let request = format!("GET /v1.41{path} HTTP/1.0\r\nHost: docker\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    let response = String::from_utf8(response).expect("utf-8");
    let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
    assert!(head.starts_with("HTTP/1.0 200"), "{head}\n{body}");
    let object: Value = serde_json::from_str(body).expect("json");
    object["Spec"].clone()
}

/// Nothing was dropped on the way: `before` is exactly what the engine had, and what the
/// engine has now is exactly what we wrote.
fn assert_lossless(raw_before: &Value, raw_after: &Value, out: &write::WriteOutcome) {
    assert_eq!(&out.before, raw_before, "before is the engine's spec");
    assert_eq!(raw_after, &out.after, "the engine stores the spec we wrote");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_and_activate_a_node() {
    let lab = lab::take();
    let _reset = NodeReset::new(&lab);
    let conn = connection(&lab).await;
    let id = node_id(&lab);
    let v0 = node_version(&lab);
    let raw_before = raw_spec(&lab, &format!("/nodes/{id}")).await;

    let out = update_node(&conn.docker, &id, &drain_from_active())
        .await
        .expect("drain");
    assert!(!out.noop);
    assert_eq!(out.attempts, 1);
    assert_eq!(out.version, v0, "the write carried the version just read");
    assert_eq!(out.before["Availability"], "active");
    assert_eq!(out.after["Availability"], "drain");
    assert_eq!(node_field(&lab, "{{.Spec.Availability}}"), "drain");
    let raw_after = raw_spec(&lab, &format!("/nodes/{id}")).await;
    assert_lossless(&raw_before, &raw_after, &out);
    let v1 = node_version(&lab);
    assert!(v1 > v0, "version {v0} → {v1}");

    // asking again is a no-op: nothing written
    let again = update_node(&conn.docker, &id, &drain_from_active())
        .await
        .expect("no-op");
    assert!(again.noop);
    assert_eq!(again.version, v1);
    assert_eq!(node_version(&lab), v1, "nothing written");

    let activate = NodeChange::Availability {
        seen: Availability::Drain,
        to: Availability::Active,
    };
    let out = update_node(&conn.docker, &id, &activate)
        .await
        .expect("activate");
    assert!(!out.noop);
    assert_eq!(out.version, v1);
    assert_eq!(node_field(&lab, "{{.Spec.Availability}}"), "active");
    let v2 = node_version(&lab);
    assert!(v2 > v1, "version {v1} → {v2}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_concurrent_writers_change_is_not_lost() {
    let lab = lab::take();
    let _reset = NodeReset::new(&lab);
    let conn = connection(&lab).await;
    let id = node_id(&lab);

    // what the dialog read when it opened
    let seen = conn
        .docker
        .inspect_node(id.as_str())
        .await
        .expect("inspect");
    let stale_version = seen.version.and_then(|v| v.index).expect("version");
    let stale_spec = seen.spec.expect("spec");

    // someone else changes the labels with the docker CLI meanwhile
    lab.docker("node2", &["node", "update", "--label-add", "other=1", NODE]);

    let out = update_node(&conn.docker, &id, &drain_from_active())
        .await
        .expect("drain");
    assert_eq!(out.attempts, 1, "the CLI wrote before our read: no retry");
    assert!(out.version > stale_version);
    assert_eq!(out.after["Labels"]["other"], "1");
    assert_eq!(node_field(&lab, "{{.Spec.Availability}}"), "drain");
    assert_eq!(
        node_labels(&lab).get("other").map(String::as_str),
        Some("1")
    );

    // writing the dialog's stale spec with its stale version is what the engine prevents:
    // it says "update out of sequence", and we recognise it
    let mut stale = stale_spec.clone();
    stale.availability = Some(bollard::models::NodeSpecAvailabilityEnum::PAUSE);
    let err = conn
        .docker
        .update_node(
            id.as_str(),
            stale,
            UpdateNodeOptions {
                version: stale_version as i64,
            },
        )
        .await
        .expect_err("a stale version is refused");
    let message = match &err {
        bollard::errors::Error::DockerResponseServerError { message, .. } => message.clone(),
        other => panic!("unexpected error: {other:?}"),
    };
    assert!(out_of_sequence(&message), "{message}");
    assert_eq!(
        node_labels(&lab).get("other").map(String::as_str),
        Some("1")
    );
    assert_eq!(node_field(&lab, "{{.Spec.Availability}}"), "drain");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_raced_write_is_retried_with_only_our_change() {
    let lab = lab::take();
    let _reset = NodeReset::new(&lab);
    let conn = connection(&lab).await;
    let id = node_id(&lab);
    let v0 = node_version(&lab);

    // someone else writes between our read and our write: the engine says out of sequence,
    // we re-read and re-apply only our change; their label survives
    let mut raced = 0;
    let out = write::update_node_with_hook(&conn.docker, &id, &drain_from_active(), |attempt| {
        if attempt == 1 {
            raced += 1;
            lab.docker(
                "node2",
                &["node", "update", "--label-add", "raced=yes", NODE],
            );
        }
    })
    .await
    .expect("drain after a retry");
    assert_eq!(raced, 1);
    assert_eq!(out.attempts, 2, "one retry");
    assert!(out.version > v0, "the retry carried the re-read version");
    assert_eq!(out.before["Labels"]["raced"], "yes");
    assert_eq!(node_field(&lab, "{{.Spec.Availability}}"), "drain");
    assert_eq!(
        node_labels(&lab).get("raced").map(String::as_str),
        Some("yes")
    );
    let raw_after = raw_spec(&lab, &format!("/nodes/{id}")).await;
    assert_eq!(raw_after, out.after);

    // someone who keeps writing between our read and our write: we give up, writing nothing
    lab.docker(
        "node1",
        &["node", "update", "--availability", "active", NODE],
    );
    let mut writes = 0;
    let result = write::update_node_with_hook(&conn.docker, &id, &drain_from_active(), |n| {
        writes += 1;
        let label = format!("raced={n}");
        lab.docker("node2", &["node", "update", "--label-add", &label, NODE]);
    })
    .await;
    assert_eq!(result, Err(WriteError::GaveUp(write::MAX_ATTEMPTS)));
    assert_eq!(writes, write::MAX_ATTEMPTS);
    assert_eq!(node_field(&lab, "{{.Spec.Availability}}"), "active");
    let raced = format!("{}", write::MAX_ATTEMPTS);
    assert_eq!(
        node_labels(&lab).get("raced").map(String::as_str),
        Some(raced.as_str())
    );

    // if the raced write changes what we are changing, the retry stops with a conflict
    lab.docker(
        "node1",
        &["node", "update", "--availability", "active", NODE],
    );
    let result = write::update_node_with_hook(&conn.docker, &id, &drain_from_active(), |_| {
        lab.docker(
            "node2",
            &["node", "update", "--availability", "pause", NODE],
        );
    })
    .await;
    match result {
        Err(WriteError::Conflict(text)) => {
            assert!(
                text.contains("availability of node3 is now pause (you saw active)"),
                "{text}"
            );
            assert!(text.ends_with("nothing was written"), "{text}");
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(node_field(&lab, "{{.Spec.Availability}}"), "pause");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conflicting_change_is_not_written() {
    let lab = lab::take();
    let _reset = NodeReset::new(&lab);
    let conn = connection(&lab).await;
    let id = node_id(&lab);

    // the user saw active; someone paused it before the user confirmed "drain"
    lab.docker(
        "node2",
        &["node", "update", "--availability", "pause", NODE],
    );
    let v = node_version(&lab);
    let err = update_node(&conn.docker, &id, &drain_from_active())
        .await
        .expect_err("conflict");
    assert_eq!(
        err,
        WriteError::Conflict(
            "availability of node3 is now pause (you saw active): someone else changed it; \
             nothing was written"
                .into()
        )
    );
    assert_eq!(node_field(&lab, "{{.Spec.Availability}}"), "pause");
    assert_eq!(node_version(&lab), v, "nothing written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labels_round_trip() {
    let lab = lab::take();
    let _reset = NodeReset::new(&lab);
    let conn = connection(&lab).await;
    let id = node_id(&lab);
    let seen = node_labels(&lab);
    assert!(!seen.contains_key("zone"));

    let set = NodeChange::Labels {
        set: BTreeMap::from([("zone".to_string(), "eu".to_string())]),
        remove: vec![],
        seen: seen.clone(),
    };
    let out = update_node(&conn.docker, &id, &set)
        .await
        .expect("set zone");
    assert!(!out.noop);
    assert_eq!(node_field(&lab, "{{index .Spec.Labels \"zone\"}}"), "eu");
    let mut expected = seen.clone();
    expected.insert("zone".into(), "eu".into());
    assert_eq!(node_labels(&lab), expected, "other labels untouched");
    let raw_after = raw_spec(&lab, &format!("/nodes/{id}")).await;
    assert_eq!(raw_after, out.after);

    let now = node_labels(&lab);
    let remove = NodeChange::Labels {
        set: BTreeMap::new(),
        remove: vec!["zone".into()],
        seen: now,
    };
    let out = update_node(&conn.docker, &id, &remove)
        .await
        .expect("remove zone");
    assert!(!out.noop);
    assert_eq!(node_labels(&lab), seen, "zone gone, the rest as before");
    let again = update_node(&conn.docker, &id, &remove)
        .await
        .expect("no-op");
    assert!(again.noop, "already gone");
}

/// Removes the test's service when the test ends.
struct ServiceGuard<'a> {
    lab: &'a LabGuard,
    name: &'static str,
}

impl Drop for ServiceGuard<'_> {
    fn drop(&mut self) {
        let _ = lab::lab(&["docker", "node1", "service", "rm", self.name]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn force_update_a_service() {
    let lab = lab::take();
    let name = "wr-force";
    let _ = lab::lab(&["docker", "node1", "service", "rm", name]);
    let svc = ServiceGuard { lab: &lab, name };
    svc.lab.docker(
        "node1",
        &[
            "service",
            "create",
            "-d",
            "--name",
            name,
            "--replicas",
            "2",
            // a spec with more in it than the defaults, to prove none of it is lost
            "--label",
            "team=ops",
            "--container-label",
            "c=1",
            "--env",
            "MODE=test",
            "--update-parallelism",
            "1",
            "--update-delay",
            "1s",
            "--update-order",
            "start-first",
            "--rollback-order",
            "stop-first",
            "--restart-condition",
            "on-failure",
            "--limit-memory",
            "64M",
            "--reserve-cpu",
            "0.01",
            "--mount",
            "type=tmpfs,dst=/scratch",
            "--health-cmd",
            "true",
            "--health-interval",
            "5s",
            "--stop-signal",
            "SIGTERM",
            "--no-resolve-image",
            IMAGE,
            "sleep",
            "3600",
        ],
    );
    let conn = connection(&lab).await;
    let id = ServiceId(inspect(&lab, "service", name, "{{.ID}}"));
    let force = |lab: &LabGuard| -> u64 {
        inspect(lab, "service", name, "{{.Spec.TaskTemplate.ForceUpdate}}")
            .parse()
            .expect("ForceUpdate")
    };
    let version = |lab: &LabGuard| -> u64 {
        inspect(lab, "service", name, "{{.Version.Index}}")
            .parse()
            .expect("version")
    };
    let f0 = force(&lab);
    let v0 = version(&lab);
    let raw_before = raw_spec(&lab, &format!("/services/{id}")).await;

    let out = force_update_service(&conn.docker, &id)
        .await
        .expect("force update");
    assert!(!out.noop);
    assert_eq!(out.attempts, 1);
    assert_eq!(out.version, v0);
    assert_eq!(force(&lab), f0 + 1);
    assert!(version(&lab) > v0);
    let raw_after = raw_spec(&lab, &format!("/services/{id}")).await;
    assert_lossless(&raw_before, &raw_after, &out);
    assert_eq!(
        raw_after["TaskTemplate"]["ContainerSpec"]["Healthcheck"],
        raw_before["TaskTemplate"]["ContainerSpec"]["Healthcheck"],
        "the healthcheck survived"
    );
    assert!(raw_after["TaskTemplate"]["ContainerSpec"]["Healthcheck"].is_object());
    // only ForceUpdate changed
    let mut before = out.before.clone();
    before["TaskTemplate"]["ForceUpdate"] = out.after["TaskTemplate"]["ForceUpdate"].clone();
    assert_eq!(before, out.after);

    let out = force_update_service(&conn.docker, &id)
        .await
        .expect("force update again");
    assert_eq!(force(&lab), f0 + 2);
    assert!(out.version > v0);
}
