//! Writes to the swarm's versioned objects (nodes, services, the swarm, configs, secrets),
//! done so that nobody's change is lost. One core does every write: [`update_versioned`].
//!
//! Every write is read-modify-write on the engine's versioned object:
//! 1. read the object right before writing, as the raw JSON the engine sends ([`read_raw`]);
//!    nothing is ever written from stale data;
//! 2. apply only the user's change to a copy of that raw `Spec` (e.g.
//!    [`apply_node_change`], [`apply_force_update`], [`apply_scale`], [`apply_labels`]);
//! 3. send that whole JSON back with the version index of that read ([`post_raw`]);
//! 4. on "update out of sequence" (someone wrote in between) go back to 1, at most
//!    [`MAX_ATTEMPTS`] times. If the re-read shows that someone else changed the very thing
//!    the user is changing, the change says so and the write stops with
//!    [`WriteError::Conflict`]: nothing is written.
//!
//! Why raw JSON: the body of an update replaces the whole spec, and a field the writer does
//! not send is deleted. A spec decoded into bollard's types and encoded again loses what they
//! cannot hold (serde drops unknown keys, and bollard spells `ContainerSpec.Healthcheck` as
//! `HealthCheck`), so a typed write would silently delete it, or has to be refused. The JSON
//! read right before the write holds everything the engine sent, whatever its version adds;
//! the change touches only its own keys, and everything else goes back exactly as read.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bollard::Docker;
use bollard::errors::Error as BollardError;
use hyper::Method;
use hyper::body::Bytes;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use serde_json::{Map, Value};

use crate::domain::{Availability, ConfigId, NodeId, Role, SecretId, ServiceId};

/// How many times a write is tried when the engine keeps saying "update out of sequence".
pub const MAX_ATTEMPTS: u32 = 5;

/// One change the user asked for, with what the user saw when asking (to detect someone
/// else's change to the same thing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeChange {
    Availability {
        seen: Availability,
        to: Availability,
    },
    Role {
        seen: Role,
        to: Role,
    },
    /// Set/change these labels, remove those; `seen` = the node's labels when the form
    /// opened. A key both in `set` and in `remove` is set.
    Labels {
        set: BTreeMap<String, String>,
        remove: Vec<String>,
        seen: BTreeMap<String, String>,
    },
}

impl NodeChange {
    /// What the change does, for the audit log and messages: `availability active → drain`,
    /// `role worker → manager`, `labels +zone=eu -old`.
    pub fn action(&self) -> String {
        match self {
            NodeChange::Availability { seen, to } => format!("availability {seen} → {to}"),
            NodeChange::Role { seen, to } => format!("role {seen} → {to}"),
            NodeChange::Labels { set, remove, .. } => labels_action(set, remove),
        }
    }
}

/// The action text of a label change (any kind of object): `labels +zone=eu -old`.
pub fn labels_action(set: &BTreeMap<String, String>, remove: &[String]) -> String {
    let mut parts = vec!["labels".to_string()];
    parts.extend(set.iter().map(|(k, v)| format!("+{k}={v}")));
    parts.extend(
        remove
            .iter()
            .filter(|k| !set.contains_key(*k))
            .map(|k| format!("-{k}")),
    );
    parts.join(" ")
}

/// The action text of a service force-update (for the audit log).
pub const FORCE_UPDATE_ACTION: &str = "force-update";

/// The action text of a scale: `scale 2 → 5`.
pub fn scale_action(seen: u64, to: u64) -> String {
    format!("scale {seen} → {to}")
}

/// The action text of a rollback (for the audit log).
pub const ROLLBACK_ACTION: &str = "rollback to the previous spec";

/// The action text of a service removal.
pub const REMOVE_ACTION: &str = "remove";

/// The action text of an image update: `image nginx:1.27 → nginx:1.28` (without the digest
/// the engine pinned), and whether registry credentials are sent with it.
pub fn image_action(seen: &str, to: &str, with_auth: bool) -> String {
    let seen = seen.split('@').next().unwrap_or(seen);
    let with = if with_auth {
        " (with registry credentials)"
    } else {
        ""
    };
    format!("image {seen} → {to}{with}")
}

#[derive(Debug, Clone, PartialEq)]
pub struct WriteOutcome {
    /// The object's `Spec`, exactly as the engine sent it right before the write.
    pub before: Value,
    /// The spec written: `before` with only the change applied (equal to `before` when `noop`).
    pub after: Value,
    /// The version index the write carried (for a no-op: the version read).
    pub version: u64,
    /// How many read-modify-write rounds it took; 1 = no retry.
    pub attempts: u32,
    /// Already as asked: nothing written.
    pub noop: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    /// Someone else changed what the user is changing, since the user looked: nothing
    /// written. The text says who-changed-what, e.g. "availability of node2 is now pause (you
    /// saw active): someone else changed it; nothing was written".
    #[error("{0}")]
    Conflict(String),
    #[error("the engine refused: {0}")]
    Refused(String),
    #[error("no answer from the engine: {0}")]
    Transport(String),
    #[error(
        "still out of sequence after {0} attempts: someone keeps changing it; nothing was written"
    )]
    GaveUp(u32),
}

/// Whether an error text is the engine's "update out of sequence" (swarmkit's
/// `ErrSequenceConflict`, wrapped in a gRPC error by the daemon).
pub fn out_of_sequence(message: &str) -> bool {
    message.to_lowercase().contains("update out of sequence")
}

fn sequence_conflict(e: &BollardError) -> bool {
    matches!(e, BollardError::DockerResponseServerError { message, .. } if out_of_sequence(message))
}

// ------------------------------------------------------------------------- the objects

/// A versioned object swarmdeck writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectRef {
    Node(NodeId),
    Service(ServiceId),
    /// The swarm itself (`/swarm`): there is one.
    Swarm,
    /// Labels only: a config's data is immutable.
    Config(ConfigId),
    /// Labels only: a secret's data is immutable (and never read back).
    Secret(SecretId),
}

impl ObjectRef {
    /// "node", "service", "swarm", "config", "secret" (as the audit log writes it).
    pub fn kind(&self) -> &'static str {
        match self {
            ObjectRef::Node(_) => "node",
            ObjectRef::Service(_) => "service",
            ObjectRef::Swarm => "swarm",
            ObjectRef::Config(_) => "config",
            ObjectRef::Secret(_) => "secret",
        }
    }

    /// The object's id ("" for the swarm: the API has no id in its path).
    pub fn id(&self) -> &str {
        match self {
            ObjectRef::Node(id) => id.as_str(),
            ObjectRef::Service(id) => id.as_str(),
            ObjectRef::Swarm => "",
            ObjectRef::Config(id) => id.as_str(),
            ObjectRef::Secret(id) => id.as_str(),
        }
    }

    /// Where it is read: `/nodes/ID`, `/services/ID`, `/swarm`, `/configs/ID`, `/secrets/ID`.
    pub fn path(&self) -> String {
        match self {
            ObjectRef::Swarm => "/swarm".to_string(),
            other => format!("/{}s/{}", other.kind(), other.id()),
        }
    }

    /// Where it is written: the path's `/update`.
    pub fn update_path(&self) -> String {
        format!("{}/update", self.path())
    }

    /// The update's query: the version, and for the swarm "rotate nothing". Never registry
    /// credentials: without `X-Registry-Auth` the engine keeps a service's stored ones.
    pub fn update_query(&self, version: u64) -> String {
        match self {
            ObjectRef::Swarm => format!(
                "version={version}&rotateWorkerToken=false&rotateManagerToken=false\
                 &rotateManagerUnlockKey=false"
            ),
            _ => format!("version={version}"),
        }
    }

    /// What messages call the object, from the object read: a node's hostname, the name of a
    /// service, config or secret, "the swarm"; its id when it has no name.
    pub fn name_in(&self, object: &Value) -> String {
        let pointer = match self {
            ObjectRef::Swarm => return "the swarm".to_string(),
            ObjectRef::Node(_) => "/Description/Hostname",
            _ => "/Spec/Name",
        };
        object
            .pointer(pointer)
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
            .map_or_else(|| self.id().to_string(), str::to_string)
    }
}

/// The object as read right before a write, for the change to look at.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectSeen {
    /// "node", "service", …
    pub kind: &'static str,
    /// What messages call it ([`ObjectRef::name_in`]).
    pub name: String,
    /// Its `Version.Index`, which the write carries.
    pub version: u64,
    /// The whole object exactly as the engine sent it (`ID`, `Version`, `Spec`, …).
    pub object: Value,
}

impl ObjectSeen {
    /// Check that the object read can be written: it has a version index and a spec.
    pub fn new(target: &ObjectRef, object: Value) -> Result<Self, WriteError> {
        let kind = target.kind();
        let name = target.name_in(&object);
        let what = match target {
            ObjectRef::Swarm => name.clone(),
            _ => format!("{kind} {name}"),
        };
        let version = object
            .pointer("/Version/Index")
            .and_then(Value::as_u64)
            .ok_or_else(|| {
                WriteError::Refused(format!("{what} has no version index; not writing"))
            })?;
        if !object.get("Spec").is_some_and(Value::is_object) {
            return Err(WriteError::Refused(format!(
                "{what} has no spec; not writing"
            )));
        }
        Ok(ObjectSeen {
            kind,
            name,
            version,
            object,
        })
    }

    /// The object's `Spec` as read (an object: checked by [`ObjectSeen::new`]).
    pub fn spec(&self) -> &Value {
        &self.object["Spec"]
    }
}

/// What a change did to the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// Changed: write it.
    Changed,
    /// Already as asked (by anyone): nothing to write.
    Already,
}

// ------------------------------------------------------------------------- the core

/// Change one versioned object, as described in the module docs: read it raw, apply
/// `change` to a copy of its `Spec`, POST the whole spec with the version just read, retry on
/// "update out of sequence" (at most [`MAX_ATTEMPTS`] rounds).
///
/// `change` gets the object read and a copy of its spec, and must touch only its own keys:
/// [`Applied::Already`] when the object is already as asked (nothing is written),
/// `Err(Conflict)` when someone else changed what it changes since the user looked,
/// `Err(Refused)` when it cannot apply to that object.
///
/// `between(attempt)` is called after each read and change and before its write: the lab
/// tests use it to race a write of their own against ours; pass `|_| {}` otherwise.
/// A change that leaves the spec as it was is a no-op: nothing is written.
pub async fn update_versioned(
    docker: &Docker,
    target: &ObjectRef,
    change: impl FnMut(&ObjectSeen, &mut Value) -> Result<Applied, WriteError>,
    between: impl FnMut(u32),
) -> Result<WriteOutcome, WriteError> {
    update_versioned_auth(docker, target, change, between, None).await
}

/// [`update_versioned`] that also sends `X-Registry-Auth` (`auth`: the encoded value), for a
/// service update that must pull with new credentials.
pub async fn update_versioned_auth(
    docker: &Docker,
    target: &ObjectRef,
    change: impl FnMut(&ObjectSeen, &mut Value) -> Result<Applied, WriteError>,
    between: impl FnMut(u32),
    auth: Option<&str>,
) -> Result<WriteOutcome, WriteError> {
    let opts = UpdateOpts {
        auth,
        rollback: false,
    };
    update_versioned_opts(docker, target, change, between, opts).await
}

/// How a versioned update is sent, besides its spec and version.
#[derive(Debug, Clone, Copy, Default)]
pub struct UpdateOpts<'a> {
    /// `X-Registry-Auth` (the encoded value; never logged), for an update that must pull
    /// with credentials. None: the engine keeps the credentials stored with the service.
    pub auth: Option<&'a str>,
    /// A server-side rollback (`rollback=previous`, what `docker service rollback` sends):
    /// the engine puts the previous spec back and ignores the body, which is the spec as read.
    /// The change still sets what the spec becomes (the previous spec), for the outcome and
    /// the audit log, and still compares it with what the user saw.
    pub rollback: bool,
}

/// The core ([`update_versioned`]) with every option.
pub async fn update_versioned_opts(
    docker: &Docker,
    target: &ObjectRef,
    mut change: impl FnMut(&ObjectSeen, &mut Value) -> Result<Applied, WriteError>,
    mut between: impl FnMut(u32),
    opts: UpdateOpts<'_>,
) -> Result<WriteOutcome, WriteError> {
    let auth = opts.auth;
    for attempt in 1..=MAX_ATTEMPTS {
        let object = read_raw(docker, &target.path()).await?;
        let seen = ObjectSeen::new(target, object)?;
        let before = seen.spec().clone();
        let mut after = before.clone();
        let applied = change(&seen, &mut after)?;
        if applied == Applied::Already || after == before {
            return Ok(WriteOutcome {
                after: before.clone(),
                before,
                version: seen.version,
                attempts: attempt,
                noop: true,
            });
        }
        if !after.is_object() {
            return Err(WriteError::Refused(format!(
                "the change left no spec for {} {}; nothing was written",
                seen.kind, seen.name
            )));
        }
        between(attempt);
        let mut query = target.update_query(seen.version);
        // a rollback sends the spec as read: the engine takes the previous one itself
        let body = if opts.rollback {
            query.push_str("&rollback=previous");
            &before
        } else {
            &after
        };
        let sent = match auth {
            None => post_raw(docker, &target.update_path(), &query, body).await,
            Some(a) => post_raw_auth(docker, &target.update_path(), &query, body, a).await,
        };
        match sent {
            Ok(_) => {
                return Ok(WriteOutcome {
                    before,
                    after,
                    version: seen.version,
                    attempts: attempt,
                    noop: false,
                });
            }
            Err(RawError::Engine(e)) if sequence_conflict(&e) => backoff(attempt).await,
            Err(e) => return Err(write_error(e)),
        }
    }
    Err(WriteError::GaveUp(MAX_ATTEMPTS))
}

/// Change one node's availability, role or labels.
pub async fn update_node(
    docker: &Docker,
    id: &NodeId,
    change: &NodeChange,
) -> Result<WriteOutcome, WriteError> {
    update_versioned(
        docker,
        &ObjectRef::Node(id.clone()),
        |seen: &ObjectSeen, spec: &mut Value| apply_node_change(&seen.name, spec, change),
        |_| {},
    )
    .await
}

/// Force-update a service (`TaskTemplate.ForceUpdate` + 1) so Swarm reschedules its tasks,
/// honouring the service's own UpdateConfig. No registry credentials are sent: the engine
/// uses the ones stored with the spec.
pub async fn force_update_service(
    docker: &Docker,
    id: &ServiceId,
) -> Result<WriteOutcome, WriteError> {
    update_versioned(
        docker,
        &ObjectRef::Service(id.clone()),
        |seen: &ObjectSeen, spec: &mut Value| apply_force_update(&seen.name, spec),
        |_| {},
    )
    .await
}

/// Scale a replicated service from `seen` (what the user saw) to `to` replicas.
pub async fn scale_service(
    docker: &Docker,
    id: &ServiceId,
    seen: u64,
    to: u64,
) -> Result<WriteOutcome, WriteError> {
    update_versioned(
        docker,
        &ObjectRef::Service(id.clone()),
        |object: &ObjectSeen, spec: &mut Value| apply_scale(&object.name, spec, seen, to),
        |_| {},
    )
    .await
}

/// Roll a service back to its previous spec (`rollback=previous`: the engine swaps the spec
/// and the previous spec). `seen` = [`rollback_fingerprint`] of the service the user was shown
/// the diff of: if anyone updated it since, the previous spec is another one (rolling back
/// would undo their change), and nothing is written.
pub async fn rollback_service(
    docker: &Docker,
    id: &ServiceId,
    seen: &str,
) -> Result<WriteOutcome, WriteError> {
    update_versioned_opts(
        docker,
        &ObjectRef::Service(id.clone()),
        |object: &ObjectSeen, spec: &mut Value| {
            apply_rollback(&object.name, &object.object, spec, seen)
        },
        |_| {},
        UpdateOpts {
            auth: None,
            rollback: true,
        },
    )
    .await
}

/// Set a service's image (`TaskTemplate.ContainerSpec.Image`) from `seen` to `to`, nothing
/// else; `auth` is the `X-Registry-Auth` to pull with (None: the engine keeps the
/// credentials stored with the service).
pub async fn update_image(
    docker: &Docker,
    id: &ServiceId,
    seen: &str,
    to: &str,
    auth: Option<&str>,
) -> Result<WriteOutcome, WriteError> {
    update_versioned_auth(
        docker,
        &ObjectRef::Service(id.clone()),
        |object: &ObjectSeen, spec: &mut Value| apply_image(&object.name, spec, seen, to),
        |_| {},
        auth,
    )
    .await
}

/// Remove a service (`DELETE /services/ID`). Not a versioned update: the service is read
/// right before (it must still exist; its spec is the outcome's `before`, kept in the audit
/// log so that it can be recreated), then deleted. `after` is null.
pub async fn remove_service(docker: &Docker, id: &ServiceId) -> Result<WriteOutcome, WriteError> {
    let target = ObjectRef::Service(id.clone());
    let object = read_raw(docker, &target.path()).await?;
    let seen = ObjectSeen::new(&target, object)?;
    call(docker, Method::DELETE, &target.path(), "", None)
        .await
        .map_err(|e| match e {
            CallError::Transport(t) => WriteError::Transport(format!(
                "{t} (the service may or may not have been removed; check before retrying)"
            )),
            other => other.into(),
        })?;
    Ok(WriteOutcome {
        before: seen.spec().clone(),
        after: Value::Null,
        version: seen.version,
        attempts: 1,
        noop: false,
    })
}

/// Set and remove labels (`Spec.Labels`) of any object; `seen` = its labels when the user
/// looked. For configs and secrets this is the only change the engine allows.
pub async fn update_labels(
    docker: &Docker,
    target: &ObjectRef,
    set: &BTreeMap<String, String>,
    remove: &[String],
    seen: &BTreeMap<String, String>,
) -> Result<WriteOutcome, WriteError> {
    update_versioned(
        docker,
        target,
        |object: &ObjectSeen, spec: &mut Value| apply_labels(&object.name, spec, set, remove, seen),
        |_| {},
    )
    .await
}

/// The query of a swarm update that rotates one join token (and nothing else).
pub fn rotate_query(version: u64, role: crate::domain::cluster::JoinRole) -> String {
    use crate::domain::cluster::JoinRole;
    let (worker, manager) = match role {
        JoinRole::Worker => (true, false),
        JoinRole::Manager => (false, true),
    };
    format!(
        "version={version}&rotateWorkerToken={worker}&rotateManagerToken={manager}\
         &rotateManagerUnlockKey=false"
    )
}

/// The action text of a token rotation (for the audit log; never the token).
pub fn rotate_action(role: crate::domain::cluster::JoinRole) -> String {
    format!("rotate {role} join token")
}

/// Rotate the worker or the manager join token: `POST /swarm/update` with the swarm's
/// `Spec` read right before, unchanged, its version index, and the rotate flag for `role`
/// (the engine makes the new token; the old one stops joining at once). "update out of
/// sequence" is retried on a fresh read like every versioned write, so a concurrent change
/// of the swarm's settings is sent back as it now is, never overwritten. The outcome's
/// `before`/`after` are the `Spec` (it holds no token); neither token is ever in a message.
pub async fn rotate_join_token(
    docker: &Docker,
    role: crate::domain::cluster::JoinRole,
) -> Result<WriteOutcome, WriteError> {
    let target = ObjectRef::Swarm;
    for attempt in 1..=MAX_ATTEMPTS {
        let object = read_raw(docker, &target.path()).await?;
        let seen = ObjectSeen::new(&target, object)?;
        let spec = seen.spec().clone();
        let query = rotate_query(seen.version, role);
        match post_raw(docker, &target.update_path(), &query, &spec).await {
            Ok(_) => {
                return Ok(WriteOutcome {
                    before: spec.clone(),
                    after: spec,
                    version: seen.version,
                    attempts: attempt,
                    noop: false,
                });
            }
            Err(RawError::Engine(e)) if sequence_conflict(&e) => backoff(attempt).await,
            Err(e) => return Err(write_error(e)),
        }
    }
    Err(WriteError::GaveUp(MAX_ATTEMPTS))
}

/// Pause before the next attempt, a little longer each time.
async fn backoff(attempt: u32) {
    tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt))).await;
}

// ------------------------------------------------------------------------- raw requests

/// Why a raw request failed.
#[derive(Debug)]
enum RawError {
    /// Not sent: the request was not one swarmdeck makes, or could not be aimed.
    NotSent(String),
    /// bollard's own error: the engine's non-2xx answer (`DockerResponseServerError`), or
    /// the transport's.
    Engine(BollardError),
}

/// ASCII letters and digits, and `%XX` escapes ([`query_value`]'s output).
fn percent_encoded(v: &str) -> bool {
    let b = v.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            match (b.get(i + 1), b.get(i + 2)) {
                (Some(h), Some(l)) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => i += 3,
                _ => return false,
            }
        } else if b[i].is_ascii_alphanumeric() {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

/// Only plain path segments (ids, names), and only the query swarmdeck builds itself.
fn checked_target(path: &str, query: &str) -> Result<String, RawError> {
    let plain = |seg: &str| {
        !seg.is_empty()
            && seg != "."
            && seg != ".."
            && seg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    if !path.starts_with('/') || !path[1..].split('/').all(plain) {
        return Err(RawError::NotSent(format!(
            "not an object path swarmdeck uses: {path:?}"
        )));
    }
    let pair = |p: &str| {
        p.split_once('=').is_some_and(|(k, v)| {
            !k.is_empty()
                && k.chars().all(|c| c.is_ascii_alphanumeric())
                && !v.is_empty()
                && percent_encoded(v)
        })
    };
    if query.is_empty() {
        Ok(path.to_string())
    } else if query.split('&').all(pair) {
        Ok(format!("{path}?{query}"))
    } else {
        Err(RawError::NotSent(format!(
            "not a query swarmdeck sends: {query:?}"
        )))
    }
}

/// One raw request through bollard's own connection: same transport (unix, tcp, TLS, the
/// ssh transport of `engine/ssh.rs`), negotiated API version, timeout and error handling as
/// every other call. Returns the answer's body; a non-2xx answer is bollard's
/// `DockerResponseServerError` with the engine's message.
///
/// bollard has no public call for a raw request. Its `ping` is a GET of `/_ping` whose body
/// it returns as text, after turning a non-2xx status into an error; and every request it
/// builds goes through the client's request modifier right before the transport. So a clone
/// of the client whose modifier re-aims ping's request (the URI's `/_ping` replaced by
/// `target`, the method, and a JSON body built with `bollard::body_full`) makes any request.
/// If the modifier could not re-aim it (an unexpected URI), the harmless ping went out and
/// the call says nothing was sent.
async fn raw_request(
    docker: &Docker,
    method: Method,
    target: String,
    body: Option<Bytes>,
) -> Result<String, RawError> {
    raw_request_auth(docker, method, target, body, None).await
}

/// [`raw_request`] with an `X-Registry-Auth` header (already encoded: base64url JSON, as the
/// engine decodes it), for a service create or update that must pull with credentials.
async fn raw_request_auth(
    docker: &Docker,
    method: Method,
    target: String,
    body: Option<Bytes>,
    auth: Option<HeaderValue>,
) -> Result<String, RawError> {
    let aimed = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&aimed);
    let client = docker.clone().with_request_modifier(move |mut req| {
        let uri = req.uri().to_string();
        if let Some(base) = uri.strip_suffix("/_ping")
            && let Ok(new) = format!("{base}{target}").parse()
        {
            *req.uri_mut() = new;
            *req.method_mut() = method.clone();
            if let Some(body) = &body {
                req.headers_mut()
                    .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                *req.body_mut() = bollard::body_full(body.clone());
            }
            if let Some(a) = &auth {
                req.headers_mut().insert("X-Registry-Auth", a.clone());
            }
            flag.store(true, Ordering::SeqCst);
        }
        req
    });
    let answer = client.ping().await;
    if !aimed.load(Ordering::SeqCst) {
        return Err(RawError::NotSent(
            "swarmdeck could not aim the request at the object; nothing was sent".into(),
        ));
    }
    answer.map_err(RawError::Engine)
}

/// GET one object (`/nodes/ID`, `/services/ID`, `/swarm`, …) as raw JSON, through bollard's
/// own connection ([`raw_request`]).
pub async fn read_raw(docker: &Docker, path: &str) -> Result<Value, WriteError> {
    let target = checked_target(path, "").map_err(read_error)?;
    let body = raw_request(docker, Method::GET, target, None)
        .await
        .map_err(read_error)?;
    serde_json::from_str(&body).map_err(|e| {
        let start: String = body.chars().take(80).collect();
        WriteError::Refused(format!(
            "the engine's answer for {path} is not JSON ({e}): {start:?}"
        ))
    })
}

/// POST a JSON body to `path?query` through bollard's own connection ([`raw_request`]), with
/// `Content-Type: application/json` and no other header of ours (no `X-Registry-Auth`).
/// Returns the answer's body (a service update's `{"Warnings": …}`, else empty).
async fn post_raw(
    docker: &Docker,
    path: &str,
    query: &str,
    body: &Value,
) -> Result<String, RawError> {
    let target = checked_target(path, query)?;
    let bytes = serde_json::to_vec(body)
        .map_err(|e| RawError::NotSent(format!("the spec could not be encoded: {e}")))?;
    raw_request(docker, Method::POST, target, Some(Bytes::from(bytes))).await
}

/// POST a JSON body with an `X-Registry-Auth` header (`auth`: the encoded value; never
/// logged). Returns the answer's body. For `/services/create` and service updates that pull.
pub async fn post_with_auth(
    docker: &Docker,
    path: &str,
    query: &str,
    body: &Value,
    auth: Option<&str>,
) -> Result<String, CallError> {
    let target = checked_target(path, query).map_err(call_error)?;
    let bytes = serde_json::to_vec(body)
        .map_err(|e| CallError::NotSent(format!("the body could not be encoded: {e}")))?;
    let header = match auth {
        Some(a) => Some(HeaderValue::from_str(a).map_err(|_| {
            CallError::NotSent("the registry credentials could not be sent as a header".into())
        })?),
        None => None,
    };
    raw_request_auth(
        docker,
        Method::POST,
        target,
        Some(Bytes::from(bytes)),
        header,
    )
    .await
    .map_err(call_error)
}

async fn post_raw_auth(
    docker: &Docker,
    path: &str,
    query: &str,
    body: &Value,
    auth: &str,
) -> Result<String, RawError> {
    let target = checked_target(path, query)?;
    let bytes = serde_json::to_vec(body)
        .map_err(|e| RawError::NotSent(format!("the spec could not be encoded: {e}")))?;
    let header = HeaderValue::from_str(auth).map_err(|_| {
        RawError::NotSent("the registry credentials could not be sent as a header".into())
    })?;
    raw_request_auth(
        docker,
        Method::POST,
        target,
        Some(Bytes::from(bytes)),
        Some(header),
    )
    .await
}

/// Percent-encode a query value (everything but ASCII letters and digits), e.g. a `filters`
/// JSON for a list call.
pub fn query_value(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Why a raw call failed (for callers outside the versioned core: lists, creates, deletes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The engine answered with a non-2xx status and this message.
    #[error("{message}")]
    Engine { status: u16, message: String },
    /// Nothing was sent.
    #[error("{0}")]
    NotSent(String),
    /// No answer (the request may or may not have been applied).
    #[error("no answer from the engine: {0}")]
    Transport(String),
}

impl From<CallError> for WriteError {
    fn from(e: CallError) -> Self {
        match e {
            CallError::Engine { status, message } => {
                WriteError::Refused(format!("{status}: {message}"))
            }
            CallError::NotSent(t) => WriteError::Refused(t),
            CallError::Transport(t) => WriteError::Transport(t),
        }
    }
}

/// One raw request (GET, POST with a JSON body, DELETE) to a plain object path with a query
/// swarmdeck built (values through [`query_value`]), through bollard's own connection like
/// every write; returns the answer's body.
pub async fn call(
    docker: &Docker,
    method: Method,
    path: &str,
    query: &str,
    body: Option<&Value>,
) -> Result<String, CallError> {
    let target = checked_target(path, query).map_err(call_error)?;
    let bytes = match body {
        Some(b) => Some(Bytes::from(serde_json::to_vec(b).map_err(|e| {
            CallError::NotSent(format!("the body could not be encoded: {e}"))
        })?)),
        None => None,
    };
    raw_request(docker, method, target, bytes)
        .await
        .map_err(call_error)
}

fn call_error(e: RawError) -> CallError {
    match e {
        RawError::NotSent(t) => CallError::NotSent(t),
        RawError::Engine(BollardError::DockerResponseServerError {
            status_code,
            message,
        }) => CallError::Engine {
            status: status_code,
            message,
        },
        RawError::Engine(other) => CallError::Transport(other.to_string()),
    }
}

/// An error of the read before a write.
fn read_error(e: RawError) -> WriteError {
    raw_error(e, false)
}

/// An error of the write itself (not "out of sequence", which is retried).
fn write_error(e: RawError) -> WriteError {
    raw_error(e, true)
}

/// What went wrong with a raw request; after a write was sent, a lost answer may hide an
/// applied write, and the message says so.
fn raw_error(e: RawError, written: bool) -> WriteError {
    match e {
        RawError::NotSent(text) => WriteError::Refused(text),
        RawError::Engine(BollardError::DockerResponseServerError {
            status_code,
            message,
        }) => WriteError::Refused(format!("{status_code}: {message}")),
        RawError::Engine(other) if written => WriteError::Transport(format!(
            "{other} (the write may or may not have been applied; check before retrying)"
        )),
        RawError::Engine(other) => WriteError::Transport(other.to_string()),
    }
}

// ------------------------------------------------------------------------- the changes

fn conflict(
    what: &str,
    whose: &str,
    now: &dyn std::fmt::Display,
    seen: &dyn std::fmt::Display,
) -> WriteError {
    WriteError::Conflict(format!(
        "{what} of {whose} is now {now} (you saw {seen}): someone else changed it; \
         nothing was written"
    ))
}

/// Which references of a container spec: its configs or its secrets. Both are lists of
/// `{"File": {"Name": TARGET, …}, "<Kind>ID": …, "<Kind>Name": …}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefKind {
    Config,
    Secret,
}

impl RefKind {
    /// The list in `ContainerSpec`: "Configs" | "Secrets".
    pub fn list_key(self) -> &'static str {
        match self {
            RefKind::Config => "Configs",
            RefKind::Secret => "Secrets",
        }
    }
    /// "ConfigID" | "SecretID".
    pub fn id_key(self) -> &'static str {
        match self {
            RefKind::Config => "ConfigID",
            RefKind::Secret => "SecretID",
        }
    }
    /// "ConfigName" | "SecretName".
    pub fn name_key(self) -> &'static str {
        match self {
            RefKind::Config => "ConfigName",
            RefKind::Secret => "SecretName",
        }
    }
    /// "config" | "secret".
    pub fn word(self) -> &'static str {
        match self {
            RefKind::Config => "config",
            RefKind::Secret => "secret",
        }
    }
}

/// Put `config` (a Swarm config's id and name) at `target` in a service spec's
/// `TaskTemplate.ContainerSpec.Configs`, replacing whatever reference of `ours` (a name
/// prefix: this document's versions) was at that target, in the same spec (one update: two
/// references with one target are refused by the engine). `None` removes ours from the
/// target. A reference to another config at the target is refused. Also sets (`Some`) or
/// removes (`None`) the subscription label `label` when given. Every other field is kept as
/// read. [`apply_ref`] for configs.
pub fn apply_config_ref(
    service_name: &str,
    spec: &mut Value,
    target: &str,
    config: Option<(&str, &str)>,
    ours: &str,
    label: Option<(&str, Option<&str>)>,
) -> Result<Applied, WriteError> {
    apply_ref(
        RefKind::Config,
        service_name,
        spec,
        target,
        config,
        &|name: &str| name.starts_with(ours),
        label,
    )
}

/// Put `object` (a config's or secret's id and name, by `kind`) at `target` in a service
/// spec's `TaskTemplate.ContainerSpec.Configs` or `.Secrets`, replacing the reference at that
/// target when `ours` says it is one of ours (a version of the same document, an older
/// version of the same secret), in the same spec: one update, since two references with one
/// target are refused by the engine. `None` removes ours from the target. A reference to
/// another object at the target is refused. Also sets (`Some`) or removes (`None`) the label
/// `label` when given. Every other field is kept as read.
pub fn apply_ref(
    kind: RefKind,
    service_name: &str,
    spec: &mut Value,
    target: &str,
    object: Option<(&str, &str)>,
    ours: &dyn Fn(&str) -> bool,
    label: Option<(&str, Option<&str>)>,
) -> Result<Applied, WriteError> {
    let before = spec.clone();
    let root = spec
        .as_object_mut()
        .ok_or_else(|| WriteError::Refused(format!("service {service_name} has no spec object")))?;
    if let Some((key, value)) = label {
        let labels = root
            .entry("Labels")
            .or_insert_with(|| Value::Object(Map::new()));
        if labels.is_null() {
            *labels = Value::Object(Map::new());
        }
        let labels = labels.as_object_mut().ok_or_else(|| {
            WriteError::Refused(format!("service {service_name}: Labels is not an object"))
        })?;
        match value {
            Some(v) => {
                labels.insert(key.to_string(), Value::String(v.to_string()));
            }
            None => {
                labels.remove(key);
            }
        }
    }
    let word = kind.word();
    let container = root
        .get_mut("TaskTemplate")
        .and_then(|t| t.get_mut("ContainerSpec"))
        .and_then(Value::as_object_mut)
        .ok_or_else(|| {
            WriteError::Refused(format!(
                "service {service_name} has no container spec (a plugin service?): it cannot \
                 mount a {word}"
            ))
        })?;
    let refs = container
        .entry(kind.list_key())
        .or_insert_with(|| Value::Array(Vec::new()));
    if refs.is_null() {
        *refs = Value::Array(Vec::new());
    }
    let refs = refs.as_array_mut().ok_or_else(|| {
        WriteError::Refused(format!(
            "service {service_name}: ContainerSpec.{} is not a list",
            kind.list_key()
        ))
    })?;
    let at_target = |r: &Value| r.pointer("/File/Name").and_then(Value::as_str) == Some(target);
    if let Some(other) = refs.iter().filter(|r| at_target(r)).find_map(|r| {
        let name = r.get(kind.name_key()).and_then(Value::as_str).unwrap_or("");
        (!ours(name)).then(|| name.to_string())
    }) {
        return Err(WriteError::Refused(format!(
            "service {service_name} already mounts {word} {other:?} at {target}: not \
             replacing it; nothing was written"
        )));
    }
    match refs.iter().position(at_target) {
        Some(i) => match object {
            Some((id, name)) => {
                let r = &mut refs[i];
                if let Some(o) = r.as_object_mut() {
                    o.insert(kind.id_key().into(), Value::String(id.into()));
                    o.insert(kind.name_key().into(), Value::String(name.into()));
                }
            }
            None => {
                refs.remove(i);
            }
        },
        None => {
            if let Some((id, name)) = object {
                let mut r = Map::new();
                r.insert(
                    "File".into(),
                    serde_json::json!({"Name": target, "UID": "0", "GID": "0", "Mode": 292}),
                );
                r.insert(kind.id_key().into(), Value::String(id.into()));
                r.insert(kind.name_key().into(), Value::String(name.into()));
                refs.push(Value::Object(r));
            }
        }
    }
    Ok(if *spec == before {
        Applied::Already
    } else {
        Applied::Changed
    })
}

/// The spec as a JSON object (the core only passes objects).
fn spec_object<'a>(
    whose: &str,
    spec: &'a mut Value,
) -> Result<&'a mut Map<String, Value>, WriteError> {
    spec.as_object_mut().ok_or_else(|| {
        WriteError::Refused(format!("the spec of {whose} is not an object; not writing"))
    })
}

/// A string field of the spec ("" when missing or not a string).
fn text_field<'a>(spec: &'a Value, key: &str) -> &'a str {
    spec.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn label_text(v: Option<&String>) -> String {
    match v {
        Some(v) => format!("{v:?}"),
        None => "unset".to_string(),
    }
}

/// Apply a node change to the node's raw spec (`Availability`, `Role`, `Labels`).
///
/// - `Err(Conflict)` when the current value differs from what the user saw AND from the
///   target (someone else changed it to something else since the user looked). For labels
///   this is decided per key the user touches ([`apply_labels`]).
/// - `Ok(Already)` when the node is already as asked (nothing to write).
/// - `Ok(Changed)`: only the user's change was applied; every other key is as read.
pub fn apply_node_change(
    node_name: &str,
    spec: &mut Value,
    change: &NodeChange,
) -> Result<Applied, WriteError> {
    match change {
        NodeChange::Availability { seen, to } => {
            if to.is_unknown() {
                return Err(WriteError::Refused(format!(
                    "cannot set the availability of {node_name} to {to}"
                )));
            }
            let now = Availability::parse(text_field(spec, "Availability"));
            if &now == to {
                return Ok(Applied::Already);
            }
            if &now != seen {
                return Err(conflict("availability", node_name, &now, seen));
            }
            spec_object(node_name, spec)?.insert("Availability".into(), to.as_str().into());
        }
        NodeChange::Role { seen, to } => {
            if to.is_unknown() {
                return Err(WriteError::Refused(format!(
                    "cannot set the role of {node_name} to {to}"
                )));
            }
            let now = Role::parse(text_field(spec, "Role"));
            if &now == to {
                return Ok(Applied::Already);
            }
            if &now != seen {
                return Err(conflict("role", node_name, &now, seen));
            }
            spec_object(node_name, spec)?.insert("Role".into(), to.as_str().into());
        }
        NodeChange::Labels { set, remove, seen } => {
            return apply_labels(node_name, spec, set, remove, seen);
        }
    }
    Ok(Applied::Changed)
}

/// Set and remove labels in a raw spec's `Labels` (nodes, services, the swarm, configs,
/// secrets all keep them there). `seen` = the labels when the user looked.
///
/// Decided per key the user touches: a key already as asked is left alone; a key whose value
/// is neither what the user saw nor the target is a conflict (someone else changed it), and
/// nothing is written. Keys the user did not touch are kept as they are now, so other
/// people's label changes survive. A key both in `set` and in `remove` is set.
pub fn apply_labels(
    whose: &str,
    spec: &mut Value,
    set: &BTreeMap<String, String>,
    remove: &[String],
    seen: &BTreeMap<String, String>,
) -> Result<Applied, WriteError> {
    let mut current: BTreeMap<String, String> = BTreeMap::new();
    match spec.get("Labels") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (k, v) in map {
                let Some(v) = v.as_str() else {
                    return Err(WriteError::Refused(format!(
                        "label {k} of {whose} is not text ({v}); not writing"
                    )));
                };
                current.insert(k.clone(), v.to_string());
            }
        }
        Some(other) => {
            return Err(WriteError::Refused(format!(
                "the labels of {whose} are not a map ({other}); not writing"
            )));
        }
    }
    let mut wanted: BTreeMap<&String, Option<&String>> = BTreeMap::new();
    for k in remove {
        wanted.insert(k, None);
    }
    for (k, v) in set {
        wanted.insert(k, Some(v));
    }
    let mut conflicts = Vec::new();
    let mut labels = current.clone();
    for (k, target) in &wanted {
        let now = current.get(*k);
        if now == *target {
            continue;
        }
        if now != seen.get(*k) {
            conflicts.push(format!(
                "label {k} of {whose} is now {} (you saw {})",
                label_text(now),
                label_text(seen.get(*k))
            ));
            continue;
        }
        match target {
            Some(v) => labels.insert((*k).clone(), (*v).clone()),
            None => labels.remove(*k),
        };
    }
    if !conflicts.is_empty() {
        let them = if conflicts.len() == 1 { "it" } else { "them" };
        return Err(WriteError::Conflict(format!(
            "{}: someone else changed {them}; nothing was written",
            conflicts.join("; ")
        )));
    }
    if labels == current {
        return Ok(Applied::Already);
    }
    let labels: Map<String, Value> = labels
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    spec_object(whose, spec)?.insert("Labels".into(), Value::Object(labels));
    Ok(Applied::Changed)
}

/// Force-update a service's raw spec: `TaskTemplate.ForceUpdate` + 1 (a missing counter is
/// 0), so Swarm reschedules its tasks. Always a change.
pub fn apply_force_update(service_name: &str, spec: &mut Value) -> Result<Applied, WriteError> {
    let Some(template) = spec.get_mut("TaskTemplate").and_then(Value::as_object_mut) else {
        return Err(WriteError::Refused(format!(
            "service {service_name} has no task template; not writing"
        )));
    };
    let now = match template.get("ForceUpdate") {
        None | Some(Value::Null) => 0,
        Some(v) => v.as_u64().ok_or_else(|| {
            WriteError::Refused(format!(
                "the ForceUpdate counter of service {service_name} is not a count ({v}); not \
                 writing"
            ))
        })?,
    };
    template.insert("ForceUpdate".into(), now.wrapping_add(1).into());
    Ok(Applied::Changed)
}

/// Scale a replicated service's raw spec: `Mode.Replicated.Replicas` from `seen` (what the
/// user saw) to `to`. Someone else's scale since then is a conflict; already `to` is a no-op.
/// Other modes have no replica count to set and are refused.
pub fn apply_scale(
    service_name: &str,
    spec: &mut Value,
    seen: u64,
    to: u64,
) -> Result<Applied, WriteError> {
    let mode = spec.get_mut("Mode").and_then(Value::as_object_mut);
    let Some(mode) = mode else {
        return Err(WriteError::Refused(format!(
            "service {service_name} has no mode; not scaling it"
        )));
    };
    let Some(replicated) = mode.get_mut("Replicated").and_then(Value::as_object_mut) else {
        let why = if mode.contains_key("Global") {
            "it is a global service: it runs one task on every eligible node and has no replica \
             count"
                .to_string()
        } else if mode.contains_key("ReplicatedJob") {
            "it is a replicated job: its tasks run to completion, and any update runs the job \
             again"
                .to_string()
        } else if mode.contains_key("GlobalJob") {
            "it is a global job: it runs once on every eligible node and has no replica count"
                .to_string()
        } else {
            let keys: Vec<&str> = mode.keys().map(String::as_str).collect();
            format!(
                "its mode is one swarmdeck does not know ({})",
                keys.join(", ")
            )
        };
        return Err(WriteError::Refused(format!(
            "cannot scale service {service_name}: {why}; nothing was written"
        )));
    };
    let Some(now) = replicated.get("Replicas").and_then(Value::as_u64) else {
        return Err(WriteError::Refused(format!(
            "service {service_name} has no replica count; not scaling it"
        )));
    };
    if now == to {
        return Ok(Applied::Already);
    }
    if now != seen {
        return Err(conflict("replicas", service_name, &now, &seen));
    }
    replicated.insert("Replicas".into(), to.into());
    Ok(Applied::Changed)
}

/// A fingerprint of a service object's `Spec` and `PreviousSpec` as read, so that a rollback
/// goes back to the spec the user was shown: an update by anyone in between changes both.
pub fn rollback_fingerprint(object: &Value) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for key in ["Spec", "PreviousSpec"] {
        h.update(object.get(key).map(Value::to_string).unwrap_or_default());
        h.update([0]);
    }
    h.finalize()
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A rollback of a service's raw spec: `spec` becomes the `PreviousSpec` of `object` (the
/// service as read right before; the engine does the swap itself, this says what it will be).
/// Refused without a previous spec; a conflict when the service is no longer the one the
/// user saw (`seen`: its [`rollback_fingerprint`]); already so when both specs are the same.
pub fn apply_rollback(
    service_name: &str,
    object: &Value,
    spec: &mut Value,
    seen: &str,
) -> Result<Applied, WriteError> {
    let Some(previous) = object.get("PreviousSpec").filter(|p| p.is_object()) else {
        return Err(WriteError::Refused(format!(
            "service {service_name} has no previous spec to roll back to (Swarm keeps one, \
             from the last update); nothing was written"
        )));
    };
    if rollback_fingerprint(object) != seen {
        return Err(WriteError::Conflict(format!(
            "service {service_name} was updated since you looked: its previous spec is now \
             another one, and rolling back would undo that update; nothing was written (look \
             at the diff again)"
        )));
    }
    if previous == spec {
        return Ok(Applied::Already);
    }
    *spec = previous.clone();
    Ok(Applied::Changed)
}

/// A new image for a service's raw spec: `TaskTemplate.ContainerSpec.Image` from `seen` (what
/// the user saw, digest included) to `to`; nothing else. Someone else's image change since
/// is a conflict; already `to` is a no-op.
pub fn apply_image(
    service_name: &str,
    spec: &mut Value,
    seen: &str,
    to: &str,
) -> Result<Applied, WriteError> {
    let Some(container) = spec
        .pointer_mut("/TaskTemplate/ContainerSpec")
        .and_then(Value::as_object_mut)
    else {
        return Err(WriteError::Refused(format!(
            "service {service_name} has no container spec; not writing"
        )));
    };
    let now = container
        .get("Image")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if now == to {
        return Ok(Applied::Already);
    }
    if now != seen {
        return Err(conflict("image", service_name, &now, &seen));
    }
    container.insert("Image".into(), to.into());
    Ok(Applied::Changed)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    fn spec(avail: &str, role: &str, labels: &[(&str, &str)]) -> Value {
        let labels: Map<String, Value> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), Value::from(*v)))
            .collect();
        json!({"Role": role, "Availability": avail, "Labels": labels})
    }

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn labels_of(s: &Value) -> BTreeMap<String, String> {
        s["Labels"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Apply a node change to a copy; the copy when it changed.
    fn node(name: &str, s: &Value, change: &NodeChange) -> Result<Option<Value>, WriteError> {
        let mut out = s.clone();
        match apply_node_change(name, &mut out, change)? {
            Applied::Changed => Ok(Some(out)),
            Applied::Already => {
                assert_eq!(&out, s, "a no-op leaves the spec alone");
                Ok(None)
            }
        }
    }

    #[test]
    fn availability_normal_noop_conflict() {
        let s = spec("active", "worker", &[("a", "1")]);
        let change = NodeChange::Availability {
            seen: Availability::Active,
            to: Availability::Drain,
        };
        let out = node("node2", &s, &change).unwrap().unwrap();
        assert_eq!(out["Availability"], "drain");
        // everything else is kept
        assert_eq!(out["Role"], s["Role"]);
        assert_eq!(out["Labels"], s["Labels"]);

        // already drained (by anyone): nothing to write
        let drained = spec("drain", "worker", &[]);
        assert_eq!(node("node2", &drained, &change), Ok(None));

        // someone paused it since the user looked
        let paused = spec("pause", "worker", &[]);
        let err = node("node2", &paused, &change).unwrap_err();
        assert_eq!(
            err,
            WriteError::Conflict(
                "availability of node2 is now pause (you saw active): someone else changed it; \
                 nothing was written"
                    .into()
            )
        );
        assert_eq!(
            err.to_string(),
            "availability of node2 is now pause (you saw active): someone else changed it; \
             nothing was written"
        );

        // an unknown target is never sent
        let bad = NodeChange::Availability {
            seen: Availability::Active,
            to: Availability::Unknown("x".into()),
        };
        assert!(matches!(
            node("node2", &s, &bad),
            Err(WriteError::Refused(_))
        ));
    }

    #[test]
    fn role_normal_noop_conflict() {
        let s = spec("active", "worker", &[("a", "1")]);
        let promote = NodeChange::Role {
            seen: Role::Worker,
            to: Role::Manager,
        };
        let out = node("node4", &s, &promote).unwrap().unwrap();
        assert_eq!(out["Role"], "manager");
        assert_eq!(out["Availability"], s["Availability"]);
        assert_eq!(out["Labels"], s["Labels"]);

        let manager = spec("active", "manager", &[]);
        assert_eq!(node("node4", &manager, &promote), Ok(None));

        let demote = NodeChange::Role {
            seen: Role::Manager,
            to: Role::Worker,
        };
        let err = node("node4", &spec("drain", "worker", &[]), &demote);
        assert_eq!(err, Ok(None), "already a worker");
        // the user saw a worker and wants a manager; we cannot conflict with only 2 roles
        // unless the value is unknown
        let weird = spec("active", "", &[]);
        let err = node("node4", &weird, &promote).unwrap_err();
        assert!(matches!(err, WriteError::Conflict(_)), "{err}");
        assert!(
            err.to_string().starts_with("role of node4 is now unknown"),
            "{err}"
        );
        let bad = NodeChange::Role {
            seen: Role::Worker,
            to: Role::Unknown("boss".into()),
        };
        assert!(matches!(
            node("node4", &s, &bad),
            Err(WriteError::Refused(_))
        ));
    }

    #[test]
    fn labels_normal_keeps_others_changes() {
        // the user saw {a=1, old=x}; since then someone added other=1 and changed a=2
        let s = spec(
            "active",
            "worker",
            &[("a", "2"), ("old", "x"), ("other", "1")],
        );
        let change = NodeChange::Labels {
            set: map(&[("zone", "eu")]),
            remove: vec!["old".into()],
            seen: map(&[("a", "1"), ("old", "x")]),
        };
        let out = node("node3", &s, &change).unwrap().unwrap();
        assert_eq!(
            labels_of(&out),
            map(&[("a", "2"), ("other", "1"), ("zone", "eu")])
        );
        assert_eq!(out["Availability"], s["Availability"]);
        assert_eq!(out["Role"], s["Role"]);
        assert_eq!(change.action(), "labels +zone=eu -old");
    }

    #[test]
    fn labels_noop_and_partial_noop() {
        let s = spec("active", "worker", &[("zone", "eu")]);
        let change = NodeChange::Labels {
            set: map(&[("zone", "eu")]),
            remove: vec!["gone".into()],
            seen: map(&[]),
        };
        // zone already eu (someone else did it), gone is not there: nothing to write
        assert_eq!(node("node3", &s, &change), Ok(None));
        // no labels at all (no key, or null), remove one that is not there
        let change = NodeChange::Labels {
            set: map(&[]),
            remove: vec!["x".into()],
            seen: map(&[("x", "1")]),
        };
        let bare = json!({"Role": "worker", "Availability": "active"});
        assert_eq!(node("node3", &bare, &change), Ok(None));
        let null = json!({"Role": "worker", "Availability": "active", "Labels": null});
        assert_eq!(node("node3", &null, &change), Ok(None));
        // setting one where there were none adds the key
        let set = NodeChange::Labels {
            set: map(&[("k", "v")]),
            remove: vec![],
            seen: map(&[]),
        };
        let out = node("node3", &bare, &set).unwrap().unwrap();
        assert_eq!(out["Labels"], json!({"k": "v"}));
    }

    #[test]
    fn labels_conflict_per_touched_key() {
        // the user saw zone=eu and wants zone=us; someone set zone=ap meanwhile
        let s = spec("active", "worker", &[("zone", "ap"), ("keep", "2")]);
        let change = NodeChange::Labels {
            set: map(&[("zone", "us")]),
            remove: vec![],
            seen: map(&[("zone", "eu"), ("keep", "1")]),
        };
        let err = node("node3", &s, &change).unwrap_err();
        assert_eq!(
            err,
            WriteError::Conflict(
                "label zone of node3 is now \"ap\" (you saw \"eu\"): someone else changed it; \
                 nothing was written"
                    .into()
            )
        );
        // removing a label someone else just changed, and setting one someone else removed
        let s = spec("active", "worker", &[("old", "y")]);
        let change = NodeChange::Labels {
            set: map(&[("zone", "us")]),
            remove: vec!["old".into()],
            seen: map(&[("zone", "eu"), ("old", "x")]),
        };
        let err = node("node3", &s, &change).unwrap_err().to_string();
        assert!(
            err.contains("label old of node3 is now \"y\" (you saw \"x\")"),
            "{err}"
        );
        assert!(
            err.contains("label zone of node3 is now unset (you saw \"eu\")"),
            "{err}"
        );
        assert!(
            err.ends_with("someone else changed them; nothing was written"),
            "{err}"
        );
        // a key the user did not touch changing is no conflict
        let s = spec("active", "worker", &[("zone", "eu"), ("keep", "changed")]);
        let change = NodeChange::Labels {
            set: map(&[("zone", "us")]),
            remove: vec![],
            seen: map(&[("zone", "eu"), ("keep", "1")]),
        };
        let out = node("node3", &s, &change).unwrap().unwrap();
        assert_eq!(labels_of(&out), map(&[("keep", "changed"), ("zone", "us")]));
    }

    #[test]
    fn set_wins_over_remove() {
        let s = spec("active", "worker", &[]);
        let change = NodeChange::Labels {
            set: map(&[("k", "v")]),
            remove: vec!["k".into()],
            seen: map(&[]),
        };
        let out = node("n", &s, &change).unwrap().unwrap();
        assert_eq!(labels_of(&out), map(&[("k", "v")]));
        assert_eq!(change.action(), "labels +k=v");
    }

    #[test]
    fn labels_that_are_not_text_are_not_written() {
        let mut s = json!({"Labels": {"a": 1}});
        let err = apply_labels("c1", &mut s, &map(&[("b", "2")]), &[], &map(&[])).unwrap_err();
        assert!(matches!(err, WriteError::Refused(_)), "{err}");
        let mut s = json!({"Labels": ["a"]});
        let err = apply_labels("c1", &mut s, &map(&[("b", "2")]), &[], &map(&[])).unwrap_err();
        assert!(matches!(err, WriteError::Refused(_)), "{err}");
    }

    #[test]
    fn a_value_and_fields_swarmdeck_does_not_know_are_kept() {
        // an availability from a newer engine, and a field nobody here knows
        let s = json!({
            "Role": "worker", "Availability": "hibernate", "Labels": {},
            "FutureField": {"nested": [1, 2.5, "x", null], "big": 18446744073709551615_u64}
        });
        let promote = NodeChange::Role {
            seen: Role::Worker,
            to: Role::Manager,
        };
        let out = node("node9", &s, &promote).unwrap().unwrap();
        assert_eq!(out["Availability"], "hibernate");
        assert_eq!(
            serde_json::to_string(&out["FutureField"]).unwrap(),
            serde_json::to_string(&s["FutureField"]).unwrap()
        );
        let mut back = out.clone();
        back["Role"] = s["Role"].clone();
        assert_eq!(back, s, "only the role changed");
        // changing the unknown value itself is a conflict that names it
        let err = node("node9", &s, &drain()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "availability of node9 is now unknown(hibernate) (you saw active): someone else \
             changed it; nothing was written"
        );
    }

    fn drain() -> NodeChange {
        NodeChange::Availability {
            seen: Availability::Active,
            to: Availability::Drain,
        }
    }

    fn service_spec() -> Value {
        json!({
            "Name": "web",
            "Labels": {"team": "ops"},
            "TaskTemplate": {
                "ContainerSpec": {
                    "Image": "busybox:lab@sha256:0123",
                    "Args": ["sleep", "3600"],
                    "Healthcheck": {
                        "Test": ["CMD-SHELL", "true"],
                        "Interval": 5000000000_u64,
                        "StartInterval": 1000000000_u64
                    },
                    "FutureContainerThing": {"x": 1, "y": [true, null]}
                },
                "ForceUpdate": 0,
                "FutureTaskThing": 0.25
            },
            "Mode": {"Replicated": {"Replicas": 2}},
            "UpdateConfig": {"Parallelism": 1, "MaxFailureRatio": 0, "Order": "start-first"},
            "FutureServiceThing": "kept"
        })
    }

    /// `after` equals `before` once these pointers are put back; and the healthcheck and
    /// every future field serialize to the same bytes.
    fn only_changed(before: &Value, after: &Value, changed: &[&str]) {
        for p in [
            "/TaskTemplate/ContainerSpec/Healthcheck",
            "/TaskTemplate/ContainerSpec/FutureContainerThing",
            "/TaskTemplate/FutureTaskThing",
            "/FutureServiceThing",
        ] {
            assert_eq!(
                serde_json::to_string(&after.pointer(p)).unwrap(),
                serde_json::to_string(&before.pointer(p)).unwrap(),
                "{p} byte for byte"
            );
        }
        let mut back = after.clone();
        for p in changed {
            *back.pointer_mut(p).unwrap() = before.pointer(p).unwrap().clone();
        }
        assert_eq!(&back, before, "nothing but {changed:?} changed");
    }

    #[test]
    fn a_write_keeps_the_healthcheck_and_unknown_fields_byte_for_byte() {
        let before = service_spec();
        let mut after = before.clone();
        assert_eq!(apply_force_update("web", &mut after), Ok(Applied::Changed));
        assert_eq!(after["TaskTemplate"]["ForceUpdate"], 1);
        only_changed(&before, &after, &["/TaskTemplate/ForceUpdate"]);
        assert_eq!(
            serde_json::to_string(&after["TaskTemplate"]["ContainerSpec"]["Healthcheck"]).unwrap(),
            r#"{"Test":["CMD-SHELL","true"],"Interval":5000000000,"StartInterval":1000000000}"#
        );
        // the integer 0 stays the integer 0 (a typed round trip wrote 0.0)
        assert_eq!(
            serde_json::to_string(&after["UpdateConfig"]).unwrap(),
            r#"{"Parallelism":1,"MaxFailureRatio":0,"Order":"start-first"}"#
        );

        let mut scaled = before.clone();
        assert_eq!(apply_scale("web", &mut scaled, 2, 5), Ok(Applied::Changed));
        assert_eq!(scaled["Mode"]["Replicated"]["Replicas"], 5);
        only_changed(&before, &scaled, &["/Mode/Replicated/Replicas"]);
    }

    #[test]
    fn force_update_counts_and_refuses_what_it_cannot_count() {
        let mut s = json!({"TaskTemplate": {"ContainerSpec": {"Image": "x"}}});
        assert_eq!(apply_force_update("web", &mut s), Ok(Applied::Changed));
        assert_eq!(
            s["TaskTemplate"]["ForceUpdate"], 1,
            "a missing counter is 0"
        );
        assert_eq!(apply_force_update("web", &mut s), Ok(Applied::Changed));
        assert_eq!(s["TaskTemplate"]["ForceUpdate"], 2);
        let mut s = json!({"TaskTemplate": {"ForceUpdate": u64::MAX}});
        assert_eq!(apply_force_update("web", &mut s), Ok(Applied::Changed));
        assert_eq!(
            s["TaskTemplate"]["ForceUpdate"], 0,
            "wraps as the engine's uint64"
        );
        for bad in [
            json!({"Name": "web"}),
            json!({"TaskTemplate": null}),
            json!({"TaskTemplate": {"ForceUpdate": -1}}),
            json!({"TaskTemplate": {"ForceUpdate": "1"}}),
        ] {
            let mut s = bad.clone();
            assert!(
                matches!(
                    apply_force_update("web", &mut s),
                    Err(WriteError::Refused(_))
                ),
                "{bad}"
            );
            assert_eq!(s, bad, "left alone");
        }
    }

    #[test]
    fn scale_normal_noop_conflict() {
        let s = service_spec();
        let mut out = s.clone();
        assert_eq!(apply_scale("web", &mut out, 2, 0), Ok(Applied::Changed));
        assert_eq!(out["Mode"]["Replicated"]["Replicas"], 0);
        // already 2 (whoever did it)
        let mut same = s.clone();
        assert_eq!(apply_scale("web", &mut same, 3, 2), Ok(Applied::Already));
        assert_eq!(same, s);
        // the user saw 3; it is 2 now and the user wants 5
        let mut c = s.clone();
        assert_eq!(
            apply_scale("web", &mut c, 3, 5),
            Err(WriteError::Conflict(
                "replicas of web is now 2 (you saw 3): someone else changed it; nothing was \
                 written"
                    .into()
            ))
        );
        assert_eq!(scale_action(2, 5), "scale 2 → 5");
    }

    #[test]
    fn image_normal_noop_conflict_and_nothing_else() {
        let s = service_spec();
        let seen = "busybox:lab@sha256:0123";
        let mut out = s.clone();
        let to = "198.51.100.5:5000/swarmdeck/busybox:lab";
        assert_eq!(apply_image("web", &mut out, seen, to), Ok(Applied::Changed));
        only_changed(&s, &out, &["/TaskTemplate/ContainerSpec/Image"]);
        assert_eq!(out["TaskTemplate"]["ContainerSpec"]["Image"], to);
        // already so (by anyone)
        let mut again = out.clone();
        assert_eq!(
            apply_image("web", &mut again, seen, to),
            Ok(Applied::Already)
        );
        // someone else set another image since the user looked
        let mut other = s.clone();
        other["TaskTemplate"]["ContainerSpec"]["Image"] = "nginx:1.27".into();
        let err = apply_image("web", &mut other, seen, to).unwrap_err();
        assert_eq!(
            err,
            WriteError::Conflict(
                "image of web is now nginx:1.27 (you saw busybox:lab@sha256:0123): someone \
                 else changed it; nothing was written"
                    .into()
            )
        );
        let mut none = json!({"TaskTemplate": {"PluginSpec": {}}});
        assert!(matches!(
            apply_image("web", &mut none, seen, to),
            Err(WriteError::Refused(_))
        ));
        assert_eq!(
            image_action(seen, to, true),
            "image busybox:lab → 198.51.100.5:5000/swarmdeck/busybox:lab (with registry \
             credentials)"
        );
    }

    #[test]
    fn rollback_goes_to_the_previous_spec_the_user_saw_or_nowhere() {
        let mut previous = service_spec();
        previous["TaskTemplate"]["ContainerSpec"]["Image"] = "busybox:old".into();
        let object = json!({"ID": "s1", "Version": {"Index": 4}, "Spec": service_spec(), "PreviousSpec": previous});
        let seen = rollback_fingerprint(&object);
        assert_eq!(seen.len(), 24);
        let mut spec = object["Spec"].clone();
        assert_eq!(
            apply_rollback("web", &object, &mut spec, &seen),
            Ok(Applied::Changed)
        );
        assert_eq!(spec, object["PreviousSpec"], "what the spec becomes");
        // someone updated it since: the previous spec is another one
        let mut updated = object.clone();
        updated["PreviousSpec"] = updated["Spec"].clone();
        updated["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"] = json!(["CONCURRENT=1"]);
        assert_ne!(rollback_fingerprint(&updated), seen);
        let mut spec = updated["Spec"].clone();
        let err = apply_rollback("web", &updated, &mut spec, &seen).unwrap_err();
        assert!(
            matches!(&err, WriteError::Conflict(t) if t.contains("updated since you looked")),
            "{err}"
        );
        assert_eq!(spec, updated["Spec"], "untouched");
        // no previous spec: refused, saying so
        let fresh = json!({"ID": "s2", "Version": {"Index": 1}, "Spec": service_spec()});
        let mut spec = fresh["Spec"].clone();
        let err =
            apply_rollback("web", &fresh, &mut spec, &rollback_fingerprint(&fresh)).unwrap_err();
        assert!(
            matches!(&err, WriteError::Refused(t) if t.contains("no previous spec")),
            "{err}"
        );
        // the same spec twice: nothing to do
        let same = json!({"Spec": service_spec(), "PreviousSpec": service_spec()});
        let mut spec = same["Spec"].clone();
        assert_eq!(
            apply_rollback("web", &same, &mut spec, &rollback_fingerprint(&same)),
            Ok(Applied::Already)
        );
    }

    #[test]
    fn scale_refuses_modes_without_a_replica_count() {
        for (mode, says) in [
            (json!({"Global": {}}), "global service"),
            (
                json!({"ReplicatedJob": {"MaxConcurrent": 1, "TotalCompletions": 1}}),
                "replicated job",
            ),
            (json!({"GlobalJob": {}}), "global job"),
            (json!({"Elastic": {}}), "does not know (Elastic)"),
            (json!({"Replicated": {}}), "no replica count"),
        ] {
            let mut s = json!({"Name": "x", "Mode": mode});
            let before = s.clone();
            let err = apply_scale("x", &mut s, 1, 2).unwrap_err();
            let WriteError::Refused(text) = &err else {
                panic!("{err:?}")
            };
            assert!(text.contains(says), "{text}");
            assert!(text.contains("service x"), "{text}");
            assert_eq!(s, before);
        }
        let mut s = json!({"Name": "x"});
        assert!(matches!(
            apply_scale("x", &mut s, 1, 2),
            Err(WriteError::Refused(_))
        ));
    }

    fn config_spec() -> Value {
        json!({
            "Name": "app.conf-v1",
            "Labels": {"owner": "ops"},
            "Data": "aGVsbG8K",
            "Templating": {"Name": "golang"}
        })
    }

    #[test]
    fn config_secret_and_swarm_labels() {
        let before = config_spec();
        // add one, change one
        let mut after = before.clone();
        let set = map(&[("issue", "9"), ("owner", "dev")]);
        let seen = map(&[("owner", "ops")]);
        assert_eq!(
            apply_labels("app.conf-v1", &mut after, &set, &[], &seen),
            Ok(Applied::Changed)
        );
        assert_eq!(after["Labels"], json!({"issue": "9", "owner": "dev"}));
        // the immutable data and everything else exactly as read
        assert_eq!(
            serde_json::to_string(&after["Data"]).unwrap(),
            "\"aGVsbG8K\""
        );
        let mut back = after.clone();
        back["Labels"] = before["Labels"].clone();
        assert_eq!(back, before);
        // again: no-op
        let mut again = after.clone();
        assert_eq!(
            apply_labels("app.conf-v1", &mut again, &set, &[], &seen),
            Ok(Applied::Already)
        );
        // someone changed owner since the user looked
        let mut other = before.clone();
        other["Labels"]["owner"] = "qa".into();
        let err = apply_labels("app.conf-v1", &mut other, &set, &[], &seen).unwrap_err();
        assert_eq!(
            err.to_string(),
            "label owner of app.conf-v1 is now \"qa\" (you saw \"ops\"): someone else changed \
             it; nothing was written"
        );
        // removing the last label leaves an empty map (the engine reads it as none)
        let mut gone = before.clone();
        assert_eq!(
            apply_labels("s", &mut gone, &map(&[]), &["owner".into()], &seen),
            Ok(Applied::Changed)
        );
        assert_eq!(gone["Labels"], json!({}));
        assert_eq!(
            labels_action(&set, &["old".into()]),
            "labels +issue=9 +owner=dev -old"
        );

        // the swarm's spec: its raft, CA and dispatcher settings stay as read
        let swarm = json!({
            "Name": "default", "Labels": {},
            "Orchestration": {"TaskHistoryRetentionLimit": 5},
            "Raft": {"SnapshotInterval": 10000, "KeepOldSnapshots": 0, "ElectionTick": 10},
            "CAConfig": {"NodeCertExpiry": 7776000000000000_u64},
            "EncryptionConfig": {"AutoLockManagers": false}
        });
        let mut out = swarm.clone();
        assert_eq!(
            apply_labels(
                "the swarm",
                &mut out,
                &map(&[("site", "a")]),
                &[],
                &map(&[])
            ),
            Ok(Applied::Changed)
        );
        let mut back = out.clone();
        back["Labels"] = json!({});
        assert_eq!(back, swarm);
    }

    #[test]
    fn object_refs() {
        let node = ObjectRef::Node(NodeId("n1".into()));
        assert_eq!(
            (
                node.kind(),
                node.path(),
                node.update_path(),
                node.update_query(7)
            ),
            (
                "node",
                "/nodes/n1".to_string(),
                "/nodes/n1/update".to_string(),
                "version=7".to_string()
            )
        );
        let svc = ObjectRef::Service(ServiceId("s1".into()));
        assert_eq!(svc.path(), "/services/s1");
        assert_eq!(svc.update_query(u64::MAX), format!("version={}", u64::MAX));
        let cfg = ObjectRef::Config(ConfigId("c1".into()));
        assert_eq!(
            (cfg.kind(), cfg.update_path().as_str()),
            ("config", "/configs/c1/update")
        );
        let sec = ObjectRef::Secret(SecretId("x1".into()));
        assert_eq!((sec.kind(), sec.path().as_str()), ("secret", "/secrets/x1"));
        let swarm = ObjectRef::Swarm;
        assert_eq!((swarm.kind(), swarm.id()), ("swarm", ""));
        assert_eq!(swarm.update_path(), "/swarm/update");
        assert_eq!(
            swarm.update_query(3),
            "version=3&rotateWorkerToken=false&rotateManagerToken=false&rotateManagerUnlockKey=false"
        );
        for (r, q) in [
            (&node, node.update_query(1)),
            (&swarm, swarm.update_query(1)),
        ] {
            assert!(checked_target(&r.update_path(), &q).is_ok(), "{q}");
        }
        // names, from the object read
        let object = json!({"Description": {"Hostname": "node3"}, "Spec": {"Name": "ignored"}});
        assert_eq!(node.name_in(&object), "node3");
        assert_eq!(node.name_in(&json!({})), "n1");
        assert_eq!(svc.name_in(&json!({"Spec": {"Name": "web"}})), "web");
        assert_eq!(swarm.name_in(&json!({})), "the swarm");
    }

    #[test]
    fn an_object_without_version_or_spec_is_not_written() {
        let svc = ObjectRef::Service(ServiceId("s1".into()));
        let ok = ObjectSeen::new(
            &svc,
            json!({"ID": "s1", "Version": {"Index": 42}, "Spec": {"Name": "web"}}),
        )
        .unwrap();
        assert_eq!(
            (ok.version, ok.name.as_str(), ok.kind),
            (42, "web", "service")
        );
        assert_eq!(ok.spec(), &json!({"Name": "web"}));
        for (object, says) in [
            (
                json!({"Spec": {"Name": "web"}}),
                "service web has no version index",
            ),
            (
                json!({"Version": {"Index": -1}, "Spec": {"Name": "web"}}),
                "no version index",
            ),
            (json!({"Version": {"Index": 1}}), "service s1 has no spec"),
            (json!({"Version": {"Index": 1}, "Spec": []}), "has no spec"),
        ] {
            let err = ObjectSeen::new(&svc, object).unwrap_err();
            assert!(err.to_string().contains(says), "{err}");
        }
        let err = ObjectSeen::new(&ObjectRef::Swarm, json!({})).unwrap_err();
        assert!(
            err.to_string().contains("the swarm has no version index"),
            "{err}"
        );
    }

    #[test]
    fn out_of_sequence_messages() {
        assert!(out_of_sequence(
            "rpc error: code = Unknown desc = update out of sequence"
        ));
        assert!(out_of_sequence("Update out of sequence"));
        assert!(!out_of_sequence("node not found"));
        assert!(!out_of_sequence(""));
        let e = BollardError::DockerResponseServerError {
            status_code: 500,
            message: "rpc error: code = Unknown desc = update out of sequence".into(),
        };
        assert!(sequence_conflict(&e));
    }

    #[test]
    fn actions() {
        let a = NodeChange::Availability {
            seen: Availability::Active,
            to: Availability::Drain,
        };
        assert_eq!(a.action(), "availability active → drain");
        let r = NodeChange::Role {
            seen: Role::Worker,
            to: Role::Manager,
        };
        assert_eq!(r.action(), "role worker → manager");
    }

    #[test]
    fn only_plain_targets_are_requested() {
        for path in [
            "/nodes/a?x=1",
            "/nodes/../info",
            "nodes/a",
            "/nodes/",
            "/nodes/a b",
            "/nodes/a%2F..",
            "/nodes/a#x",
        ] {
            assert!(checked_target(path, "").is_err(), "{path}");
        }
        for query in [
            "version=1&",
            "version=",
            "=1",
            "version=1;x=2",
            "a=b c",
            "v=1&&w=2",
            "filters=%",
            "filters=%7",
            "filters=%zz",
            "filters=%7B%2",
        ] {
            assert!(checked_target("/nodes/a", query).is_err(), "{query}");
        }
        assert_eq!(
            checked_target("/nodes/a", "version=1").ok().as_deref(),
            Some("/nodes/a?version=1")
        );
        let filters = format!("filters={}", query_value(r#"{"name":["a.v"]}"#));
        assert!(checked_target("/configs", &filters).is_ok(), "{filters}");
    }

    #[tokio::test]
    async fn odd_paths_are_not_requested() {
        let docker =
            Docker::connect_with_http("http://192.0.2.1:9", 1, bollard::API_DEFAULT_VERSION)
                .unwrap();
        for path in [
            "/nodes/a?x=1",
            "/nodes/../info",
            "nodes/a",
            "/nodes/",
            "/nodes/a b",
        ] {
            assert!(
                matches!(read_raw(&docker, path).await, Err(WriteError::Refused(_))),
                "{path}"
            );
        }
        // an id that is not a plain segment is never requested either
        let odd = ObjectRef::Node(NodeId("../swarm".into()));
        let result = update_node(&docker, &NodeId("../swarm".into()), &drain()).await;
        assert!(matches!(result, Err(WriteError::Refused(_))), "{result:?}");
        assert_eq!(odd.path(), "/nodes/../swarm");
    }

    // ------------------------------------------------------------- a fake engine

    /// A fake engine for unit tests (also `engine::secrets`'s).
    pub(crate) mod fake {
        use std::collections::HashMap;
        use std::sync::{Arc, Mutex};

        use serde_json::{Value, json};
        use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

        /// One request the fake engine got.
        #[derive(Debug, Clone)]
        pub struct Got {
            pub method: String,
            /// Path and query, without the `/v1.NN` prefix.
            pub target: String,
            pub headers: Vec<(String, String)>,
            pub body: String,
        }

        impl Got {
            pub fn header(&self, name: &str) -> Option<&str> {
                self.headers
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.as_str())
            }
        }

        /// A versioned store like the engine's: GET path → the object; POST path/update with
        /// the current version → the spec is stored and the version bumped; another version
        /// → 500 "update out of sequence". `race` POSTs first see someone else's write.
        #[derive(Default)]
        pub struct State {
            pub objects: HashMap<String, Value>,
            pub race: u32,
            pub got: Vec<Got>,
        }

        pub type Shared = Arc<Mutex<State>>;

        pub fn with(objects: &[(&str, Value)]) -> Shared {
            Arc::new(Mutex::new(State {
                objects: objects
                    .iter()
                    .map(|(p, o)| (p.to_string(), o.clone()))
                    .collect(),
                ..Default::default()
            }))
        }

        fn answer(state: &Shared, got: Got) -> (u16, String) {
            let mut s = state.lock().unwrap();
            s.got.push(got.clone());
            let (path, query) = got
                .target
                .split_once('?')
                .unwrap_or((got.target.as_str(), ""));
            match got.method.as_str() {
                "GET" => match s.objects.get(path) {
                    Some(o) => (200, o.to_string()),
                    None => (
                        404,
                        json!({"message": format!("no such object: {path}")}).to_string(),
                    ),
                },
                "POST" if path.ends_with("/create") => {
                    // `/secrets/create`, `/configs/create`: stored under a new id
                    let Ok(spec) = serde_json::from_str::<Value>(&got.body) else {
                        return (400, json!({"message": "bad json"}).to_string());
                    };
                    let base = path.trim_end_matches("/create");
                    let name = spec["Name"].as_str().unwrap_or_default().to_string();
                    let taken = s
                        .objects
                        .iter()
                        .any(|(p, o)| p.starts_with(base) && o["Spec"]["Name"] == name.as_str());
                    if taken {
                        let m = format!("rpc error: code = AlreadyExists desc = {name} exists");
                        return (409, json!({"message": m}).to_string());
                    }
                    let id = format!("new{}", s.got.len());
                    let object = json!({"ID": id, "Version": {"Index": 1}, "Spec": spec});
                    s.objects.insert(format!("{base}/{id}"), object);
                    (201, json!({"ID": id}).to_string())
                }
                "DELETE" => match s.objects.remove(path) {
                    Some(_) => (204, String::new()),
                    None => (404, json!({"message": "no such object"}).to_string()),
                },
                "POST" => {
                    let Some(base) = path.strip_suffix("/update") else {
                        return (404, "{}".into());
                    };
                    let race = s.race > 0;
                    if race {
                        s.race -= 1;
                    }
                    let Some(o) = s.objects.get_mut(base) else {
                        return (404, json!({"message": "no such object"}).to_string());
                    };
                    let current = o["Version"]["Index"].as_u64().unwrap();
                    if race {
                        // someone else writes first
                        o["Spec"]["Labels"]["raced"] = "yes".into();
                        o["Version"]["Index"] = (current + 1).into();
                    }
                    let current = o["Version"]["Index"].as_u64().unwrap();
                    let version = query
                        .split('&')
                        .find_map(|p| p.strip_prefix("version="))
                        .and_then(|v| v.parse::<u64>().ok());
                    if version != Some(current) {
                        let m = "rpc error: code = Unknown desc = update out of sequence";
                        return (500, json!({"message": m}).to_string());
                    }
                    let Ok(spec) = serde_json::from_str::<Value>(&got.body) else {
                        return (400, json!({"message": "bad json"}).to_string());
                    };
                    if query.split('&').any(|p| p == "rollback=previous") {
                        // swarmkit: the previous spec comes back, the body is ignored
                        let Some(previous) = o.get("PreviousSpec").cloned() else {
                            let m = "service does not have a previous spec";
                            return (400, json!({"message": m}).to_string());
                        };
                        o["PreviousSpec"] = o["Spec"].clone();
                        o["Spec"] = previous;
                    } else {
                        o["Spec"] = spec;
                    }
                    o["Version"]["Index"] = (current + 1).into();
                    if base.starts_with("/services/") {
                        (200, r#"{"Warnings":null}"#.into())
                    } else {
                        (200, String::new())
                    }
                }
                _ => (405, "{}".into()),
            }
        }

        /// Serve HTTP/1.1 requests on one connection (kept alive) until it closes.
        pub async fn serve<S: AsyncRead + AsyncWrite + Unpin>(mut sock: S, state: Shared) {
            let mut buf: Vec<u8> = Vec::new();
            let mut chunk = vec![0u8; 8192];
            loop {
                let head_end = loop {
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i;
                    }
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                };
                let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                let mut lines = head.split("\r\n");
                let first: Vec<&str> = lines.next().unwrap_or_default().split(' ').collect();
                let headers: Vec<(String, String)> = lines
                    .filter_map(|l| l.split_once(':'))
                    .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_string()))
                    .collect();
                let len: usize = headers
                    .iter()
                    .find(|(k, _)| k == "content-length")
                    .and_then(|(_, v)| v.parse().ok())
                    .unwrap_or(0);
                while buf.len() < head_end + 4 + len {
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let body =
                    String::from_utf8_lossy(&buf[head_end + 4..head_end + 4 + len]).to_string();
                buf.drain(..head_end + 4 + len);
                let raw_target = first.get(1).copied().unwrap_or_default();
                // "/v1.52/nodes/x" → "/nodes/x"
                let target = match raw_target.strip_prefix("/v") {
                    Some(rest) => rest.find('/').map_or(raw_target, |i| &rest[i..]),
                    None => raw_target,
                };
                let got = Got {
                    method: first.first().copied().unwrap_or_default().to_string(),
                    target: target.to_string(),
                    headers,
                    body,
                };
                let (status, body) = answer(&state, got);
                let resp = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: \
                     {}\r\n\r\n{body}",
                    body.len()
                );
                if sock.write_all(resp.as_bytes()).await.is_err() {
                    return;
                }
            }
        }

        pub async fn unix(state: Shared) -> (tempfile::TempDir, String) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("docker.sock");
            let listener = tokio::net::UnixListener::bind(&path).unwrap();
            tokio::spawn(async move {
                while let Ok((sock, _)) = listener.accept().await {
                    tokio::spawn(serve(sock, Arc::clone(&state)));
                }
            });
            (dir, format!("unix://{}", path.display()))
        }

        pub async fn tcp(state: Shared) -> String {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            tokio::spawn(async move {
                while let Ok((sock, _)) = listener.accept().await {
                    tokio::spawn(serve(sock, Arc::clone(&state)));
                }
            });
            format!("127.0.0.1:{}", addr.port())
        }
    }

    fn node_object(version: u64) -> Value {
        json!({
            "ID": "n1",
            "Version": {"Index": version},
            "Description": {"Hostname": "node3"},
            "Spec": {
                "Role": "worker", "Availability": "active", "Labels": {"a": "1"},
                "FutureNodeThing": {"x": [1, 2]}
            },
            "Status": {"State": "ready"}
        })
    }

    #[tokio::test]
    async fn the_core_retries_a_raced_write_with_only_our_change() {
        let state = fake::with(&[("/nodes/n1", node_object(7))]);
        state.lock().unwrap().race = 1;
        let (_dir, socket) = fake::unix(state.clone()).await;
        let docker = Docker::connect_with_unix(&socket, 5, bollard::API_DEFAULT_VERSION).unwrap();
        let mut between = Vec::new();
        let out = update_versioned(
            &docker,
            &ObjectRef::Node(NodeId("n1".into())),
            |seen: &ObjectSeen, spec: &mut Value| {
                assert_eq!((seen.kind, seen.name.as_str()), ("node", "node3"));
                apply_node_change(&seen.name, spec, &drain())
            },
            |attempt| between.push(attempt),
        )
        .await
        .expect("drain after a retry");
        assert_eq!(between, vec![1, 2]);
        assert_eq!((out.attempts, out.version, out.noop), (2, 8, false));
        assert_eq!(
            out.before["Labels"]["raced"], "yes",
            "re-read before the retry"
        );
        let s = state.lock().unwrap();
        let requests: Vec<String> = s
            .got
            .iter()
            .map(|g| format!("{} {}", g.method, g.target))
            .collect();
        assert_eq!(
            requests,
            vec![
                "GET /nodes/n1",
                "POST /nodes/n1/update?version=7",
                "GET /nodes/n1",
                "POST /nodes/n1/update?version=8",
            ]
        );
        let post = &s.got[3];
        assert_eq!(post.header("content-type"), Some("application/json"));
        assert_eq!(post.header("x-registry-auth"), None);
        let written: Value = serde_json::from_str(&post.body).unwrap();
        assert_eq!(written, out.after);
        assert_eq!(
            written,
            json!({
                "Role": "worker", "Availability": "drain",
                "Labels": {"a": "1", "raced": "yes"},
                "FutureNodeThing": {"x": [1, 2]}
            })
        );
        assert_eq!(s.objects["/nodes/n1"]["Spec"], written, "stored as sent");
    }

    #[tokio::test]
    async fn a_token_rotation_sends_the_spec_read_right_before_with_its_flag() {
        use crate::domain::cluster::JoinRole;
        let swarm = json!({
            "ID": "sw1",
            "Version": {"Index": 20},
            "Spec": {"Name": "default", "Labels": {}, "Raft": {"ElectionTick": 10}},
            "JoinTokens": {"Worker": "SWMTKN-1-aaa-old", "Manager": "SWMTKN-1-aaa-mgr"}
        });
        let state = fake::with(&[("/swarm", swarm)]);
        state.lock().unwrap().race = 1;
        let (_dir, socket) = fake::unix(state.clone()).await;
        let docker = Docker::connect_with_unix(&socket, 5, bollard::API_DEFAULT_VERSION).unwrap();
        let out = rotate_join_token(&docker, JoinRole::Worker)
            .await
            .expect("rotated after a retry");
        assert_eq!((out.attempts, out.version, out.noop), (2, 21, false));
        let s = state.lock().unwrap();
        let requests: Vec<String> = s
            .got
            .iter()
            .map(|g| format!("{} {}", g.method, g.target))
            .collect();
        assert_eq!(
            requests,
            vec![
                "GET /swarm",
                "POST /swarm/update?version=20&rotateWorkerToken=true&rotateManagerToken=false\
                 &rotateManagerUnlockKey=false",
                "GET /swarm",
                "POST /swarm/update?version=21&rotateWorkerToken=true&rotateManagerToken=false\
                 &rotateManagerUnlockKey=false",
            ]
        );
        // the concurrent change (a label) went back as read: not lost
        let written: Value = serde_json::from_str(&s.got[3].body).unwrap();
        assert_eq!(written["Labels"]["raced"], "yes");
        assert_eq!(written["Raft"]["ElectionTick"], 10);
        // no token in what the audit log records, nor in the request
        for g in &s.got {
            assert!(!g.body.contains("SWMTKN"), "{g:?}");
        }
        assert!(!out.after.to_string().contains("SWMTKN"));
        assert_eq!(
            rotate_query(3, JoinRole::Manager),
            "version=3&rotateWorkerToken=false&rotateManagerToken=true&rotateManagerUnlockKey=false"
        );
        assert_eq!(rotate_action(JoinRole::Worker), "rotate worker join token");
    }

    #[tokio::test]
    async fn the_core_gives_up_writes_nothing_on_conflict_and_no_op() {
        let state = fake::with(&[("/nodes/n1", node_object(3))]);
        state.lock().unwrap().race = MAX_ATTEMPTS;
        let (_dir, socket) = fake::unix(state.clone()).await;
        let docker = Docker::connect_with_unix(&socket, 5, bollard::API_DEFAULT_VERSION).unwrap();
        let id = NodeId("n1".into());
        let result = update_node(&docker, &id, &drain()).await;
        assert_eq!(result, Err(WriteError::GaveUp(MAX_ATTEMPTS)));
        let posts = |s: &fake::State| s.got.iter().filter(|g| g.method == "POST").count();
        assert_eq!(posts(&state.lock().unwrap()), MAX_ATTEMPTS as usize);
        assert_eq!(
            state.lock().unwrap().objects["/nodes/n1"]["Spec"]["Availability"],
            "active"
        );

        // already drained: read, nothing posted
        state.lock().unwrap().objects.get_mut("/nodes/n1").unwrap()["Spec"]["Availability"] =
            "drain".into();
        let before = posts(&state.lock().unwrap());
        let out = update_node(&docker, &id, &drain()).await.expect("no-op");
        assert!(out.noop);
        assert_eq!(out.before, out.after);
        // paused by someone: a conflict, nothing posted
        state.lock().unwrap().objects.get_mut("/nodes/n1").unwrap()["Spec"]["Availability"] =
            "pause".into();
        let err = update_node(&docker, &id, &drain()).await.unwrap_err();
        assert!(matches!(err, WriteError::Conflict(_)), "{err}");
        assert_eq!(posts(&state.lock().unwrap()), before);

        // a missing object is the engine's refusal, with its status and message
        let err = update_node(&docker, &NodeId("n2".into()), &drain())
            .await
            .unwrap_err();
        assert_eq!(
            err,
            WriteError::Refused("404: no such object: /nodes/n2".into())
        );
    }

    #[tokio::test]
    async fn every_kind_through_tcp_and_a_custom_transport() {
        let service = json!({"ID": "s1", "Version": {"Index": 10}, "Spec": service_spec()});
        let swarm = json!({
            "ID": "sw", "Version": {"Index": 20}, "JoinTokens": {"Worker": "SWMTKN-1-x"},
            "Spec": {"Name": "default", "Labels": {}, "Orchestration": {"TaskHistoryRetentionLimit": 5}}
        });
        let config = json!({"ID": "c1", "Version": {"Index": 30}, "Spec": config_spec()});
        let secret =
            json!({"ID": "x1", "Version": {"Index": 40}, "Spec": {"Name": "pw", "Labels": {}}});
        let state = fake::with(&[
            ("/services/s1", service),
            ("/swarm", swarm),
            ("/configs/c1", config),
            ("/secrets/x1", secret),
        ]);
        let addr = fake::tcp(state.clone()).await;
        let tcp =
            Docker::connect_with_http(&format!("tcp://{addr}"), 5, bollard::API_DEFAULT_VERSION)
                .unwrap();
        // what engine/ssh.rs builds: bollard's custom transport on a hyper-util client
        let client = Arc::new(
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http(),
        );
        let custom = Docker::connect_with_custom_transport(
            move |req: bollard::BollardRequest| {
                let client = Arc::clone(&client);
                async move { client.request(req).await.map_err(BollardError::from) }
            },
            Some(format!("http://{addr}")),
            5,
            bollard::API_DEFAULT_VERSION,
        )
        .unwrap();

        let sid = ServiceId("s1".into());
        let out = force_update_service(&tcp, &sid).await.expect("force");
        assert_eq!(
            (
                out.version,
                out.after["TaskTemplate"]["ForceUpdate"].as_u64()
            ),
            (10, Some(1))
        );
        only_changed(&out.before, &out.after, &["/TaskTemplate/ForceUpdate"]);
        let out = scale_service(&custom, &sid, 2, 4).await.expect("scale");
        assert_eq!(out.version, 11);
        only_changed(&out.before, &out.after, &["/Mode/Replicated/Replicas"]);
        assert_eq!(out.before["TaskTemplate"]["ForceUpdate"], 1);
        let stored = state.lock().unwrap().objects["/services/s1"]["Spec"].clone();
        assert_eq!(stored["Mode"]["Replicated"]["Replicas"], 4);
        assert_eq!(
            stored["TaskTemplate"]["ContainerSpec"]["Healthcheck"]["Interval"],
            5000000000_u64
        );

        let set = map(&[("site", "a")]);
        let out = update_labels(&custom, &ObjectRef::Swarm, &set, &[], &map(&[]))
            .await
            .expect("swarm");
        assert_eq!((out.version, out.noop), (20, false));
        let out = update_labels(
            &tcp,
            &ObjectRef::Config(ConfigId("c1".into())),
            &set,
            &[],
            &map(&[]),
        )
        .await
        .expect("config");
        assert_eq!(out.after["Data"], "aGVsbG8K");
        let out = update_labels(
            &tcp,
            &ObjectRef::Secret(SecretId("x1".into())),
            &set,
            &[],
            &map(&[]),
        )
        .await
        .expect("secret");
        assert_eq!(out.after, json!({"Name": "pw", "Labels": {"site": "a"}}));

        let s = state.lock().unwrap();
        let posts: Vec<&str> = s
            .got
            .iter()
            .filter(|g| g.method == "POST")
            .map(|g| g.target.as_str())
            .collect();
        assert_eq!(
            posts,
            vec![
                "/services/s1/update?version=10",
                "/services/s1/update?version=11",
                "/swarm/update?version=20&rotateWorkerToken=false&rotateManagerToken=false\
                 &rotateManagerUnlockKey=false",
                "/configs/c1/update?version=30",
                "/secrets/x1/update?version=40",
            ]
        );
        for g in s.got.iter().filter(|g| g.method == "POST") {
            assert_eq!(g.header("content-type"), Some("application/json"), "{g:?}");
            assert_eq!(g.header("x-registry-auth"), None, "{g:?}");
            assert!(g.header("content-length").is_some(), "{g:?}");
        }
        assert_eq!(s.objects["/swarm"]["Spec"]["Labels"], json!({"site": "a"}));
        assert_eq!(
            s.objects["/swarm"]["Spec"]["Orchestration"]["TaskHistoryRetentionLimit"],
            5
        );
        assert_eq!(s.objects["/configs/c1"]["Spec"]["Data"], "aGVsbG8K");
    }
    fn service_object(version: u64) -> Value {
        let mut previous = service_spec();
        previous["TaskTemplate"]["ContainerSpec"]["Image"] = "busybox:old".into();
        json!({"ID": "s1", "Version": {"Index": version}, "Spec": service_spec(), "PreviousSpec": previous})
    }

    #[tokio::test]
    async fn rollback_sends_the_spec_as_read_with_rollback_previous() {
        let state = fake::with(&[("/services/s1", service_object(10))]);
        let (_dir, socket) = fake::unix(state.clone()).await;
        let docker = Docker::connect_with_unix(&socket, 5, bollard::API_DEFAULT_VERSION).unwrap();
        let sid = ServiceId("s1".into());
        let seen = rollback_fingerprint(&service_object(10));
        let out = rollback_service(&docker, &sid, &seen)
            .await
            .expect("rollback");
        assert_eq!((out.version, out.attempts, out.noop), (10, 1, false));
        assert_eq!(out.before, service_spec());
        assert_eq!(
            out.after["TaskTemplate"]["ContainerSpec"]["Image"],
            "busybox:old"
        );
        {
            let s = state.lock().unwrap();
            let post = s.got.iter().find(|g| g.method == "POST").unwrap();
            assert_eq!(
                post.target,
                "/services/s1/update?version=10&rollback=previous"
            );
            let body: Value = serde_json::from_str(&post.body).unwrap();
            assert_eq!(
                body,
                service_spec(),
                "the current spec, as the docker CLI sends"
            );
            assert_eq!(post.header("x-registry-auth"), None);
            let stored = &s.objects["/services/s1"];
            assert_eq!(
                stored["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"],
                "busybox:old"
            );
        }
        // the same confirmation again: the service changed since (the rollback itself), so
        // it is a conflict and nothing is posted
        let posts = |s: &fake::State| s.got.iter().filter(|g| g.method == "POST").count();
        let before = posts(&state.lock().unwrap());
        let err = rollback_service(&docker, &sid, &seen).await.unwrap_err();
        assert!(matches!(err, WriteError::Conflict(_)), "{err}");
        assert_eq!(posts(&state.lock().unwrap()), before);
    }

    #[tokio::test]
    async fn an_image_update_keeps_a_concurrent_change_and_sends_the_credentials() {
        let state = fake::with(&[("/services/s1", service_object(10))]);
        // someone else writes (a label) between our read and our write
        state.lock().unwrap().race = 1;
        let (_dir, socket) = fake::unix(state.clone()).await;
        let docker = Docker::connect_with_unix(&socket, 5, bollard::API_DEFAULT_VERSION).unwrap();
        let sid = ServiceId("s1".into());
        let to = "198.51.100.5:5000/swarmdeck/busybox:lab";
        let out = update_image(
            &docker,
            &sid,
            "busybox:lab@sha256:0123",
            to,
            Some("ZW5jb2RlZA=="),
        )
        .await
        .expect("image");
        assert_eq!(out.attempts, 2, "retried after out of sequence");
        let s = state.lock().unwrap();
        let stored = &s.objects["/services/s1"]["Spec"];
        assert_eq!(stored["TaskTemplate"]["ContainerSpec"]["Image"], to);
        assert_eq!(stored["Labels"]["raced"], "yes", "their change is kept");
        assert_eq!(stored["Mode"], service_spec()["Mode"]);
        for post in s.got.iter().filter(|g| g.method == "POST") {
            assert_eq!(post.header("x-registry-auth"), Some("ZW5jb2RlZA=="));
            assert!(!post.target.contains("rollback"));
        }
    }

    #[tokio::test]
    async fn a_scale_keeps_an_env_added_during_the_confirm() {
        let state = fake::with(&[("/services/s1", service_object(10))]);
        let (_dir, socket) = fake::unix(state.clone()).await;
        let docker = Docker::connect_with_unix(&socket, 5, bollard::API_DEFAULT_VERSION).unwrap();
        // the user saw 2 replicas; meanwhile the CLI adds an env variable
        {
            let mut s = state.lock().unwrap();
            let o = s.objects.get_mut("/services/s1").unwrap();
            o["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"] = json!(["CONCURRENT=1"]);
            o["Version"]["Index"] = 11.into();
        }
        let out = scale_service(&docker, &ServiceId("s1".into()), 2, 3)
            .await
            .expect("scale");
        assert_eq!(out.version, 11);
        let s = state.lock().unwrap();
        let stored = &s.objects["/services/s1"]["Spec"];
        assert_eq!(stored["Mode"]["Replicated"]["Replicas"], 3);
        assert_eq!(
            stored["TaskTemplate"]["ContainerSpec"]["Env"],
            json!(["CONCURRENT=1"])
        );
    }

    #[tokio::test]
    async fn remove_reads_then_deletes_and_keeps_the_spec_for_the_audit() {
        let state = fake::with(&[("/services/s1", service_object(10))]);
        let (_dir, socket) = fake::unix(state.clone()).await;
        let docker = Docker::connect_with_unix(&socket, 5, bollard::API_DEFAULT_VERSION).unwrap();
        let sid = ServiceId("s1".into());
        let out = remove_service(&docker, &sid).await.expect("remove");
        assert_eq!(out.before, service_spec());
        assert_eq!(out.after, Value::Null);
        {
            let s = state.lock().unwrap();
            let requests: Vec<String> = s
                .got
                .iter()
                .map(|g| format!("{} {}", g.method, g.target))
                .collect();
            assert_eq!(requests, ["GET /services/s1", "DELETE /services/s1"]);
            assert!(!s.objects.contains_key("/services/s1"));
        }
        let err = remove_service(&docker, &sid).await.unwrap_err();
        assert_eq!(
            err,
            WriteError::Refused("404: no such object: /services/s1".into())
        );
    }
}
