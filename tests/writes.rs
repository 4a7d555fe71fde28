//! Writes against the real lab, all through the one versioned-update core
//! (`write::update_versioned`): node availability and labels, service force-updates and
//! scales, the swarm's spec, config and secret labels; done read-modify-write on the raw JSON
//! with the version index so that nobody's change is lost and nothing the engine sent is
//! dropped. These tests need root; they share the lab through `lab::take()`.

mod common;

use std::collections::BTreeMap;
use std::process::Command;

use bollard::query_parameters::UpdateNodeOptions;
use common::lab::{self, LabGuard};
use serde_json::Value;
use swarmdeck::domain::{Availability, ConfigId, NodeId, SecretId, ServiceId};
use swarmdeck::engine::connect::{self, Connection};
use swarmdeck::engine::write::{
    self, Applied, NodeChange, ObjectRef, ObjectSeen, WriteError, force_update_service,
    out_of_sequence, scale_service, update_labels, update_node, update_versioned,
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
    lab.reset_node(NODE, &["other", "zone", "raced", "via"]);
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

/// A node change as the core's change on the raw spec.
fn node_write(
    change: NodeChange,
) -> impl FnMut(&ObjectSeen, &mut Value) -> Result<Applied, WriteError> {
    move |seen: &ObjectSeen, spec: &mut Value| write::apply_node_change(&seen.name, spec, &change)
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
    let node = ObjectRef::Node(id.clone());
    let out = update_versioned(
        &conn.docker,
        &node,
        node_write(drain_from_active()),
        |attempt| {
            if attempt == 1 {
                raced += 1;
                lab.docker(
                    "node2",
                    &["node", "update", "--label-add", "raced=yes", NODE],
                );
            }
        },
    )
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
    let result = update_versioned(&conn.docker, &node, node_write(drain_from_active()), |n| {
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
    let result = update_versioned(&conn.docker, &node, node_write(drain_from_active()), |_| {
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

fn service_field(lab: &LabGuard, name: &str, format: &str) -> String {
    inspect(lab, "service", name, format)
}

/// The healthcheck as the docker CLI shows it (`docker service inspect`).
fn cli_healthcheck(lab: &LabGuard, name: &str) -> Value {
    let text = service_field(
        lab,
        name,
        "{{json .Spec.TaskTemplate.ContainerSpec.Healthcheck}}",
    );
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("healthcheck {text:?}: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_healthcheck_survives_force_update_and_scale() {
    let lab = lab::take();
    let name = "wr-health";
    let svc = ServiceGuard { lab: &lab, name };
    svc.lab.create_service(
        name,
        &[
            "--replicas",
            "2",
            "--health-cmd",
            "true",
            "--health-interval",
            "5s",
            "--health-retries",
            "2",
            "--health-start-period",
            "1s",
        ],
    );
    let conn = connection(&lab).await;
    let id = ServiceId(service_field(&lab, name, "{{.ID}}"));
    let hc0 = cli_healthcheck(&lab, name);
    assert_eq!(
        hc0["Test"],
        serde_json::json!(["CMD-SHELL", "true"]),
        "{hc0}"
    );
    assert_eq!(hc0["Interval"], 5_000_000_000_u64, "{hc0}");
    let raw0 = raw_spec(&lab, &format!("/services/{id}")).await;

    // force update: the healthcheck is still there, as the CLI sees it
    let out = force_update_service(&conn.docker, &id)
        .await
        .expect("force update");
    assert!(!out.noop);
    let raw1 = raw_spec(&lab, &format!("/services/{id}")).await;
    assert_lossless(&raw0, &raw1, &out);
    assert_eq!(cli_healthcheck(&lab, name), hc0, "after the force update");

    // scale 2 → 3 through the core: the healthcheck is still there
    let v = service_field(&lab, name, "{{.Version.Index}}");
    let out = scale_service(&conn.docker, &id, 2, 3).await.expect("scale");
    assert!(!out.noop);
    assert_eq!(out.version.to_string(), v, "the version just read");
    assert_eq!(
        service_field(&lab, name, "{{.Spec.Mode.Replicated.Replicas}}"),
        "3"
    );
    assert_eq!(cli_healthcheck(&lab, name), hc0, "after the scale");
    let raw2 = raw_spec(&lab, &format!("/services/{id}")).await;
    assert_lossless(&raw1, &raw2, &out);
    let mut back = out.after.clone();
    back["Mode"]["Replicated"]["Replicas"] = 2.into();
    assert_eq!(back, out.before, "only the replica count changed");

    // again: already 3, nothing written
    let again = scale_service(&conn.docker, &id, 2, 3).await.expect("no-op");
    assert!(again.noop);
    // someone scaled it with the CLI since the user looked: a conflict, nothing written
    lab.docker("node2", &["service", "scale", "-d", &format!("{name}=1")]);
    let v = service_field(&lab, name, "{{.Version.Index}}");
    let err = scale_service(&conn.docker, &id, 3, 5)
        .await
        .expect_err("conflict");
    assert_eq!(
        err,
        WriteError::Conflict(format!(
            "replicas of {name} is now 1 (you saw 3): someone else changed it; nothing was \
             written"
        ))
    );
    assert_eq!(service_field(&lab, name, "{{.Version.Index}}"), v);
    assert_eq!(cli_healthcheck(&lab, name), hc0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_global_service_is_not_scaled() {
    let lab = lab::take();
    let name = "wr-global";
    let svc = ServiceGuard { lab: &lab, name };
    svc.lab.create_service(name, &["--mode", "global"]);
    let conn = connection(&lab).await;
    let id = ServiceId(service_field(&lab, name, "{{.ID}}"));
    let v = service_field(&lab, name, "{{.Version.Index}}");
    let err = scale_service(&conn.docker, &id, 1, 2)
        .await
        .expect_err("refused");
    match &err {
        WriteError::Refused(text) => assert!(text.contains("global service"), "{text}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(service_field(&lab, name, "{{.Version.Index}}"), v);
}

fn swarm_field(lab: &LabGuard, format: &str) -> String {
    lab.docker("node1", &["info", "--format", format])
        .trim()
        .to_string()
}

fn history_limit(lab: &LabGuard) -> u64 {
    swarm_field(
        lab,
        "{{.Swarm.Cluster.Spec.Orchestration.TaskHistoryRetentionLimit}}",
    )
    .parse()
    .expect("TaskHistoryRetentionLimit")
}

fn swarm_version(lab: &LabGuard) -> u64 {
    swarm_field(lab, "{{.Swarm.Cluster.Version.Index}}")
        .parse()
        .expect("swarm version")
}

/// Puts the swarm's task history limit back when the test ends.
struct HistoryReset(u64);

impl Drop for HistoryReset {
    fn drop(&mut self) {
        let limit = self.0.to_string();
        let _ = lab::lab(&[
            "docker",
            "node1",
            "swarm",
            "update",
            "--task-history-limit",
            &limit,
        ]);
    }
}

const SWARM_LABEL: &str = "swarmdeck.test";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_swarm_write_carries_the_version_and_keeps_the_rest() {
    let lab = lab::take();
    let conn = connection(&lab).await;
    let limit0 = history_limit(&lab);
    let _reset = HistoryReset(limit0);
    // a label an earlier failed run may have left (the CLI cannot remove swarm labels)
    let labels = |spec: &Value| -> BTreeMap<String, String> {
        serde_json::from_value(spec["Labels"].clone()).unwrap_or_default()
    };
    let seen = labels(&raw_spec(&lab, "/swarm").await);
    update_labels(
        &conn.docker,
        &ObjectRef::Swarm,
        &BTreeMap::new(),
        &[SWARM_LABEL.to_string()],
        &seen,
    )
    .await
    .expect("clean up");

    // the task history limit, through the core with a change of our own
    let v0 = swarm_version(&lab);
    let raw0 = raw_spec(&lab, "/swarm").await;
    let to = limit0 + 3;
    let out = update_versioned(
        &conn.docker,
        &ObjectRef::Swarm,
        |seen: &ObjectSeen, spec: &mut Value| {
            assert_eq!(seen.name, "the swarm");
            spec["Orchestration"]["TaskHistoryRetentionLimit"] = to.into();
            Ok(Applied::Changed)
        },
        |_| {},
    )
    .await
    .expect("history limit");
    assert!(!out.noop);
    assert_eq!(out.version, v0, "the write carried the version just read");
    assert_eq!(history_limit(&lab), to);
    assert!(swarm_version(&lab) > v0);
    let raw1 = raw_spec(&lab, "/swarm").await;
    assert_lossless(&raw0, &raw1, &out);
    let mut back = out.after.clone();
    back["Orchestration"]["TaskHistoryRetentionLimit"] = limit0.into();
    assert_eq!(
        back, raw0,
        "only the limit changed: raft, CA, dispatcher as they were"
    );
    // the join tokens were not rotated
    let tokens = |lab: &LabGuard| lab.docker("node1", &["swarm", "join-token", "-q", "worker"]);
    let token = tokens(&lab);

    // a swarm label set and removed
    let set = BTreeMap::from([(SWARM_LABEL.to_string(), "1".to_string())]);
    let out = update_labels(&conn.docker, &ObjectRef::Swarm, &set, &[], &BTreeMap::new())
        .await
        .expect("swarm label");
    assert!(!out.noop);
    let raw2 = raw_spec(&lab, "/swarm").await;
    assert_eq!(raw2["Labels"][SWARM_LABEL], "1");
    assert_lossless(&raw1, &raw2, &out);
    let out = update_labels(
        &conn.docker,
        &ObjectRef::Swarm,
        &BTreeMap::new(),
        &[SWARM_LABEL.to_string()],
        &set,
    )
    .await
    .expect("remove the swarm label");
    assert!(!out.noop);
    assert!(
        raw_spec(&lab, "/swarm").await["Labels"]
            .get(SWARM_LABEL)
            .is_none()
    );

    // and the limit back
    let out = update_versioned(
        &conn.docker,
        &ObjectRef::Swarm,
        |_: &ObjectSeen, spec: &mut Value| {
            spec["Orchestration"]["TaskHistoryRetentionLimit"] = limit0.into();
            Ok(Applied::Changed)
        },
        |_| {},
    )
    .await
    .expect("limit back");
    assert!(!out.noop);
    assert_eq!(history_limit(&lab), limit0);
    assert_eq!(tokens(&lab), token, "no token rotated");
}

/// Removes the test's config or secret when the test ends.
struct Removes(&'static str, &'static str);

impl Drop for Removes {
    fn drop(&mut self) {
        let _ = lab::lab(&["docker", "node1", self.0, "rm", self.1]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_and_secret_labels_change_and_data_stays() {
    let lab = lab::take();
    let conn = connection(&lab).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("data");
    std::fs::write(&file, "listen 80;\n").expect("write data");
    let file = file.to_string_lossy().into_owned();
    let mut ids = Vec::new();
    let mut guards = Vec::new();
    for (what, name) in [("config", "wr-conf-v1"), ("secret", "wr-secret-v1")] {
        let _ = lab::lab(&["docker", "node1", what, "rm", name]);
        let id = lab.docker(
            "node1",
            &[what, "create", "--label", "owner=ops", name, &file],
        );
        guards.push(Removes(what, name));
        ids.push((what, name, id.trim().to_string()));
    }
    for (what, name, id) in ids {
        let target = match what {
            "config" => ObjectRef::Config(ConfigId(id.clone())),
            _ => ObjectRef::Secret(SecretId(id.clone())),
        };
        let path = target.path();
        let raw0 = raw_spec(&lab, &path).await;
        let cli_labels = || -> BTreeMap<String, String> {
            let text = inspect(&lab, what, name, "{{json .Spec.Labels}}");
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{text}: {e}"))
        };
        let seen = cli_labels();
        assert_eq!(seen.get("owner").map(String::as_str), Some("ops"));

        let set = BTreeMap::from([
            ("issue".to_string(), "9".to_string()),
            ("owner".to_string(), "dev".to_string()),
        ]);
        let out = update_labels(&conn.docker, &target, &set, &[], &seen)
            .await
            .unwrap_or_else(|e| panic!("{what} labels: {e}"));
        assert!(!out.noop);
        assert_eq!(cli_labels(), set, "{what}");
        let raw1 = raw_spec(&lab, &path).await;
        assert_lossless(&raw0, &raw1, &out);
        let mut back = raw1.clone();
        back["Labels"] = raw0["Labels"].clone();
        assert_eq!(back, raw0, "{what}: only the labels changed");
        if what == "config" {
            assert_eq!(
                inspect(&lab, what, name, "{{json .Spec.Data}}"),
                "\"bGlzdGVuIDgwOwo=\"",
                "the data as created"
            );
        }

        // again: a no-op; then one removed
        let again = update_labels(&conn.docker, &target, &set, &[], &seen)
            .await
            .expect("no-op");
        assert!(again.noop);
        let out = update_labels(
            &conn.docker,
            &target,
            &BTreeMap::new(),
            &["issue".into()],
            &set,
        )
        .await
        .expect("remove");
        assert!(!out.noop);
        assert_eq!(
            cli_labels(),
            BTreeMap::from([("owner".to_string(), "dev".to_string())])
        );
    }
    drop(guards);
}

/// Run by [`a_write_through_tls_and_ssh`] in a child process, with the environment the
/// transport needs (DOCKER_TLS_VERIFY / DOCKER_CERT_PATH, or PATH with the lab's ssh):
/// a test cannot set its own environment (`set_var` is unsafe). Does nothing otherwise.
#[tokio::test]
#[ignore = "run by a_write_through_tls_and_ssh"]
async fn child_write_through_endpoint() {
    let (Ok(endpoint), Ok(node)) = (
        std::env::var("SWARMDECK_TEST_ENDPOINT"),
        std::env::var("SWARMDECK_TEST_NODE"),
    ) else {
        return;
    };
    let conn = connect::connect(&endpoint)
        .await
        .unwrap_or_else(|e| panic!("connect to {endpoint}: {e}"));
    let via = endpoint.split("://").next().unwrap_or_default().to_string();
    let object = write::read_raw(&conn.docker, &format!("/nodes/{node}"))
        .await
        .expect("read");
    let seen: BTreeMap<String, String> =
        serde_json::from_value(object["Spec"]["Labels"].clone()).unwrap_or_default();
    let change = NodeChange::Labels {
        set: BTreeMap::from([("via".to_string(), via)]),
        remove: vec![],
        seen,
    };
    let out = update_node(&conn.docker, &NodeId(node), &change)
        .await
        .unwrap_or_else(|e| panic!("write through {endpoint}: {e}"));
    assert!(!out.noop);
    println!("written through {endpoint} with version {}", out.version);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_through_tls_and_ssh() {
    let lab = lab::take();
    let _reset = NodeReset::new(&lab);
    let id = node_id(&lab);
    let addr = lab.node("node1").addr.clone();
    let certs = lab::tls_cert_path();
    let path = lab::path_with_lab_ssh();
    let runs = [
        (
            format!("tcp://{addr}:2376"),
            "tcp",
            vec![("DOCKER_TLS_VERIFY", "1"), ("DOCKER_CERT_PATH", &certs)],
        ),
        (format!("ssh://root@{addr}"), "ssh", vec![("PATH", &path)]),
    ];
    for (endpoint, via, env) in runs {
        let v = node_version(&lab);
        let exe = std::env::current_exe().expect("the test binary");
        let mut child = Command::new(exe);
        child
            .args([
                "child_write_through_endpoint",
                "--exact",
                "--ignored",
                "--nocapture",
            ])
            .env("SWARMDECK_TEST_ENDPOINT", &endpoint)
            .env("SWARMDECK_TEST_NODE", id.as_str())
            .env_remove("DOCKER_TLS_VERIFY")
            .env_remove("DOCKER_CERT_PATH");
        for (k, v) in env {
            child.env(k, v);
        }
        let out = child.output().expect("run the child test");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{endpoint}: {text}");
        assert!(text.contains("1 passed"), "{endpoint}: {text}");
        assert_eq!(node_labels(&lab).get("via").map(String::as_str), Some(via));
        assert!(node_version(&lab) > v, "{endpoint} wrote");
    }
}
