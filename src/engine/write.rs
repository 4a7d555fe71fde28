//! Writes to nodes and services, done so that nobody's change is lost.
//!
//! Every write is read-modify-write on the engine's versioned objects:
//! 1. read the object right before writing (nothing is ever written from stale data);
//! 2. apply only the user's change to the whole spec just read ([`apply_node_change`]);
//! 3. send it with the version index of that read;
//! 4. on "update out of sequence" (someone wrote in between) go back to 1, at most
//!    [`MAX_ATTEMPTS`] times. If the re-read shows that someone else changed the very thing
//!    the user is changing, stop with [`WriteError::Conflict`]: nothing is written.
//!
//! A spec that bollard's types cannot fully hold is never written back: the write would
//! silently drop what they could not read. bollard's typed inspect cannot tell us (serde
//! ignores unknown keys, and bollard spells some keys differently from the engine, e.g.
//! `ContainerSpec.Healthcheck`), so the object is read as raw JSON through bollard's own
//! connection ([`read_raw`]), decoded into bollard's types, encoded again and compared with
//! what the engine sent ([`spec_differences`]). Any difference refuses the write, naming the
//! fields; so does a value bollard's strict enums do not know.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use bollard::Docker;
use bollard::errors::Error as BollardError;
use bollard::models as bm;
use bollard::query_parameters::{UpdateNodeOptions, UpdateServiceOptions};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::domain::{Availability, NodeId, Role, ServiceId};

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
            NodeChange::Labels { set, remove, .. } => {
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
        }
    }
}

/// The action text of a service force-update (for the audit log).
pub const FORCE_UPDATE_ACTION: &str = "force-update";

#[derive(Debug, Clone, PartialEq)]
pub struct WriteOutcome {
    /// The spec (NodeSpec / ServiceSpec as JSON) read right before the successful write.
    pub before: serde_json::Value,
    /// The spec written (equal to `before` when `noop`).
    pub after: serde_json::Value,
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

/// An error of the read before a write.
fn read_error(e: BollardError) -> WriteError {
    match e {
        BollardError::DockerResponseServerError {
            status_code,
            message,
        } => WriteError::Refused(format!("{status_code}: {message}")),
        other => WriteError::Transport(other.to_string()),
    }
}

/// GET one object (`/nodes/ID`, `/services/ID`) as raw JSON, through bollard's own connection
/// (same transport, negotiated version, timeout and error handling as every other call).
///
/// bollard has no public call for a raw GET; its ping is a GET whose body it returns as
/// text, so a client whose request modifier points ping's request at the object does it.
pub async fn read_raw(docker: &Docker, path: &str) -> Result<Value, WriteError> {
    let plain = |seg: &str| {
        !seg.is_empty()
            && seg != "."
            && seg != ".."
            && seg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    if !path.starts_with('/') || !path[1..].split('/').all(plain) {
        return Err(WriteError::Refused(format!(
            "not an object path swarmdeck reads: {path:?}"
        )));
    }
    let target = path.to_string();
    let raw = docker.clone().with_request_modifier(move |mut req| {
        let uri = req.uri().to_string();
        if let Some(base) = uri.strip_suffix("/_ping")
            && let Ok(new) = format!("{base}{target}").parse()
        {
            *req.uri_mut() = new;
        }
        req
    });
    let body = raw.ping().await.map_err(read_error)?;
    serde_json::from_str(&body).map_err(|e| {
        let start: String = body.chars().take(80).collect();
        WriteError::Refused(format!(
            "the engine's answer for {path} is not JSON ({e}): {start:?}"
        ))
    })
}

/// Keys bollard spells differently from the engine, inside a spec: (where, engine's, bollard's).
/// The engine reads JSON keys case-insensitively, so bollard's spelling is written back fine;
/// reading needs the key renamed first, or serde drops it.
const NODE_SPEC_ALIASES: &[(&[&str], &str, &str)] = &[];
const SERVICE_SPEC_ALIASES: &[(&[&str], &str, &str)] = &[(
    &["TaskTemplate", "ContainerSpec"],
    "Healthcheck",
    "HealthCheck",
)];

/// Rename keys from one spelling to the other (`to_bollard`: engine's → bollard's).
fn rename_keys(spec: &mut Value, aliases: &[(&[&str], &str, &str)], to_bollard: bool) {
    for (at, engine, ours) in aliases {
        let (from, to) = if to_bollard {
            (*engine, *ours)
        } else {
            (*ours, *engine)
        };
        let pointer: String = at.iter().map(|seg| format!("/{seg}")).collect();
        let Some(v) = spec.pointer_mut(&pointer) else {
            continue;
        };
        if let Some(obj) = v.as_object_mut()
            && !obj.contains_key(to)
            && let Some(value) = obj.remove(from)
        {
            obj.insert(to.to_string(), value);
        }
    }
}

/// Where two specs differ, as paths (`TaskTemplate.ContainerSpec.Healthcheck: missing`).
/// A null and an absent key are the same; numbers are compared by value (0 and 0.0 are one).
/// Used to prove that a spec survived bollard's types (read, decoded, encoded again).
pub fn spec_differences(engine: &Value, ours: &Value) -> Vec<String> {
    let mut out = Vec::new();
    diff(engine, ours, "", &mut out);
    out
}

fn diff(a: &Value, b: &Value, path: &str, out: &mut Vec<String>) {
    let join = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                match (
                    a.get(k).filter(|v| !v.is_null()),
                    b.get(k).filter(|v| !v.is_null()),
                ) {
                    (Some(x), Some(y)) => diff(x, y, &join(k), out),
                    (Some(_), None) => out.push(format!("{}: lost", join(k))),
                    (None, Some(_)) => out.push(format!("{}: added", join(k))),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (x, y)) in x.iter().zip(y).enumerate() {
                diff(x, y, &format!("{path}[{i}]"), out);
            }
        }
        (Value::Number(x), Value::Number(y)) => {
            let same = match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
                (Some(x), Some(y), _, _) => x == y,
                (_, _, Some(x), Some(y)) => x == y,
                _ => x.as_f64() == y.as_f64(),
            };
            if !same {
                out.push(format!("{path}: {x} became {y}"));
            }
        }
        (x, y) if x == y => {}
        (x, y) => out.push(format!("{path}: {x} became {y}")),
    }
}

/// One object as read right before a write.
#[derive(Debug)]
struct Read<S> {
    /// The spec in bollard's types: holds everything the engine sent (checked).
    spec: S,
    /// The spec exactly as the engine sent it.
    raw: Value,
    version: u64,
}

/// Decode an object's `Spec` into bollard's type, refusing unless it holds all of it.
fn decode_spec<S: DeserializeOwned + Serialize>(
    what: &str,
    object: &Value,
    aliases: &[(&[&str], &str, &str)],
) -> Result<Read<S>, WriteError> {
    let version = object
        .pointer("/Version/Index")
        .and_then(Value::as_u64)
        .ok_or_else(|| WriteError::Refused(format!("{what} has no version index; not writing")))?;
    let raw = match object.get("Spec") {
        Some(spec @ Value::Object(_)) => spec.clone(),
        _ => {
            return Err(WriteError::Refused(format!(
                "{what} has no spec; not writing"
            )));
        }
    };
    let mut ours = raw.clone();
    rename_keys(&mut ours, aliases, true);
    let spec: S = serde_path_to_error::deserialize(&ours).map_err(|e| {
        WriteError::Refused(format!(
            "swarmdeck cannot read {what}'s Spec.{} ({}); writing it back would lose it, so \
             nothing was written",
            e.path(),
            e.inner()
        ))
    })?;
    let mut back = to_json(&spec);
    rename_keys(&mut back, aliases, false);
    let lost = spec_differences(&raw, &back);
    if !lost.is_empty() {
        let shown: Vec<String> = lost.iter().take(6).map(|l| format!("Spec.{l}")).collect();
        let more = match lost.len().saturating_sub(shown.len()) {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        return Err(WriteError::Refused(format!(
            "swarmdeck cannot fully hold {what}'s spec ({}{more}); writing it back would lose \
             that, so nothing was written",
            shown.join(", ")
        )));
    }
    Ok(Read { spec, raw, version })
}

/// A spec written, as JSON in the engine's spelling and number forms (for
/// [`WriteOutcome::after`], so that it differs from `before` only where the write changed it).
fn written_json<S: Serialize>(spec: &S, aliases: &[(&[&str], &str, &str)]) -> Value {
    let mut v = to_json(spec);
    rename_keys(&mut v, aliases, false);
    whole_numbers(&mut v);
    v
}

/// bollard encodes its f64 fields as `0.0` where the engine writes `0`: use the engine's form.
fn whole_numbers(v: &mut Value) {
    match v {
        Value::Number(n) => {
            if let Some(f) = n.as_f64()
                && !n.is_i64()
                && !n.is_u64()
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                *v = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers),
        Value::Object(map) => map.values_mut().for_each(whole_numbers),
        _ => {}
    }
}

/// An error of the write itself (not "out of sequence", which is retried).
fn write_error(e: BollardError) -> WriteError {
    match e {
        BollardError::DockerResponseServerError {
            status_code,
            message,
        } => WriteError::Refused(format!("{status_code}: {message}")),
        // The engine answered 2xx with a body we could not read: the write happened.
        BollardError::JsonDataError { message, .. } => WriteError::Refused(format!(
            "the write was sent but its answer could not be read ({message}); check the result"
        )),
        other => WriteError::Transport(format!(
            "{other} (the write may or may not have been applied; check before retrying)"
        )),
    }
}

fn to_json<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// Pause before the next attempt, a little longer each time.
async fn backoff(attempt: u32) {
    tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt))).await;
}

fn node_availability(a: &Availability) -> Option<bm::NodeSpecAvailabilityEnum> {
    match a {
        Availability::Active => Some(bm::NodeSpecAvailabilityEnum::ACTIVE),
        Availability::Pause => Some(bm::NodeSpecAvailabilityEnum::PAUSE),
        Availability::Drain => Some(bm::NodeSpecAvailabilityEnum::DRAIN),
        Availability::Unknown(_) => None,
    }
}

fn node_role(r: &Role) -> Option<bm::NodeSpecRoleEnum> {
    match r {
        Role::Manager => Some(bm::NodeSpecRoleEnum::MANAGER),
        Role::Worker => Some(bm::NodeSpecRoleEnum::WORKER),
        Role::Unknown(_) => None,
    }
}

fn text<E: std::fmt::Display>(e: Option<E>) -> String {
    e.map(|e| e.to_string()).unwrap_or_default()
}

fn label_text(v: Option<&String>) -> String {
    match v {
        Some(v) => format!("{v:?}"),
        None => "unset".to_string(),
    }
}

/// The pure part: apply the change to a NodeSpec read from the engine.
///
/// - `Err(Conflict)` when the current value differs from what the user saw AND from the
///   target (someone else changed it to something else since the user looked). For labels
///   this is decided per key the user touches; keys the user did not touch are kept as they
///   are now, so other people's label changes survive.
/// - `Ok(None)` when the node is already as asked (nothing to write).
/// - `Ok(Some(spec))`: the whole current spec with only the user's change applied.
pub fn apply_node_change(
    node_name: &str,
    spec: &bm::NodeSpec,
    change: &NodeChange,
) -> Result<Option<bm::NodeSpec>, WriteError> {
    let conflict = |what: &str, now: &dyn std::fmt::Display, seen: &dyn std::fmt::Display| {
        WriteError::Conflict(format!(
            "{what} of {node_name} is now {now} (you saw {seen}): someone else changed it; \
             nothing was written"
        ))
    };
    let mut out = spec.clone();
    match change {
        NodeChange::Availability { seen, to } => {
            let Some(target) = node_availability(to) else {
                return Err(WriteError::Refused(format!(
                    "cannot set the availability of {node_name} to {to}"
                )));
            };
            let now = Availability::parse(&text(spec.availability));
            if &now == to {
                return Ok(None);
            }
            if &now != seen {
                return Err(conflict("availability", &now, seen));
            }
            out.availability = Some(target);
        }
        NodeChange::Role { seen, to } => {
            let Some(target) = node_role(to) else {
                return Err(WriteError::Refused(format!(
                    "cannot set the role of {node_name} to {to}"
                )));
            };
            let now = Role::parse(&text(spec.role));
            if &now == to {
                return Ok(None);
            }
            if &now != seen {
                return Err(conflict("role", &now, seen));
            }
            out.role = Some(target);
        }
        NodeChange::Labels { set, remove, seen } => {
            let current: BTreeMap<String, String> = spec
                .labels
                .as_ref()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default();
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
                        "label {k} of {node_name} is now {} (you saw {})",
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
                return Ok(None);
            }
            out.labels = Some(labels.into_iter().collect::<HashMap<_, _>>());
        }
    }
    Ok(Some(out))
}

/// Change one node, as described in the module docs.
pub async fn update_node(
    docker: &Docker,
    id: &NodeId,
    change: &NodeChange,
) -> Result<WriteOutcome, WriteError> {
    update_node_with_hook(docker, id, change, |_| {}).await
}

/// [`update_node`], calling `between(attempt)` after each read and before its write: the lab
/// tests use it to race a write of their own against ours. Not for other uses.
#[doc(hidden)]
pub async fn update_node_with_hook(
    docker: &Docker,
    id: &NodeId,
    change: &NodeChange,
    mut between: impl FnMut(u32),
) -> Result<WriteOutcome, WriteError> {
    for attempt in 1..=MAX_ATTEMPTS {
        let object = read_raw(docker, &format!("/nodes/{id}")).await?;
        let name = object
            .pointer("/Description/Hostname")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
            .map_or_else(|| id.to_string(), str::to_string);
        let read: Read<bm::NodeSpec> =
            decode_spec(&format!("node {name}"), &object, NODE_SPEC_ALIASES)?;
        let Some(new) = apply_node_change(&name, &read.spec, change)? else {
            return Ok(WriteOutcome {
                after: read.raw.clone(),
                before: read.raw,
                version: read.version,
                attempts: attempt,
                noop: true,
            });
        };
        let after = written_json(&new, NODE_SPEC_ALIASES);
        between(attempt);
        let options = UpdateNodeOptions {
            version: i64::try_from(read.version).map_err(|_| {
                WriteError::Refused(format!(
                    "version index {} of {name} is too large",
                    read.version
                ))
            })?,
        };
        match docker.update_node(id.as_str(), new, options).await {
            Ok(()) => {
                return Ok(WriteOutcome {
                    before: read.raw,
                    after,
                    version: read.version,
                    attempts: attempt,
                    noop: false,
                });
            }
            Err(e) if sequence_conflict(&e) => backoff(attempt).await,
            Err(e) => return Err(write_error(e)),
        }
    }
    Err(WriteError::GaveUp(MAX_ATTEMPTS))
}

/// Force-update a service (`TaskTemplate.ForceUpdate` + 1) so Swarm reschedules its tasks,
/// honouring the service's own UpdateConfig. Same versioning/retry rules as [`update_node`].
/// No registry credentials are sent: the engine uses the ones stored with the spec.
pub async fn force_update_service(
    docker: &Docker,
    id: &ServiceId,
) -> Result<WriteOutcome, WriteError> {
    for attempt in 1..=MAX_ATTEMPTS {
        let object = read_raw(docker, &format!("/services/{id}")).await?;
        let name = object
            .pointer("/Spec/Name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
            .map_or_else(|| id.to_string(), str::to_string);
        let read: Read<bm::ServiceSpec> =
            decode_spec(&format!("service {name}"), &object, SERVICE_SPEC_ALIASES)?;
        let mut new = read.spec;
        let Some(template) = new.task_template.as_mut() else {
            return Err(WriteError::Refused(format!(
                "service {name} has no task template; not writing"
            )));
        };
        template.force_update = Some(template.force_update.unwrap_or(0).wrapping_add(1));
        let after = written_json(&new, SERVICE_SPEC_ALIASES);
        let options = UpdateServiceOptions {
            version: i32::try_from(read.version).map_err(|_| {
                WriteError::Refused(format!(
                    "version index {} of {name} is too large",
                    read.version
                ))
            })?,
            ..Default::default()
        };
        match docker.update_service(id.as_str(), new, options, None).await {
            Ok(_) => {
                return Ok(WriteOutcome {
                    before: read.raw,
                    after,
                    version: read.version,
                    attempts: attempt,
                    noop: false,
                });
            }
            Err(e) if sequence_conflict(&e) => backoff(attempt).await,
            Err(e) => return Err(write_error(e)),
        }
    }
    Err(WriteError::GaveUp(MAX_ATTEMPTS))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(avail: &str, role: &str, labels: &[(&str, &str)]) -> bm::NodeSpec {
        bm::NodeSpec {
            name: None,
            labels: Some(
                labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            role: Some(role.parse().unwrap()),
            availability: Some(avail.parse().unwrap()),
        }
    }

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn labels_of(s: &bm::NodeSpec) -> BTreeMap<String, String> {
        s.labels.clone().unwrap_or_default().into_iter().collect()
    }

    #[test]
    fn availability_normal_noop_conflict() {
        let s = spec("active", "worker", &[("a", "1")]);
        let change = NodeChange::Availability {
            seen: Availability::Active,
            to: Availability::Drain,
        };
        let out = apply_node_change("node2", &s, &change).unwrap().unwrap();
        assert_eq!(out.availability, Some(bm::NodeSpecAvailabilityEnum::DRAIN));
        // everything else is kept
        assert_eq!(out.role, s.role);
        assert_eq!(out.labels, s.labels);

        // already drained (by anyone): nothing to write
        let drained = spec("drain", "worker", &[]);
        assert_eq!(apply_node_change("node2", &drained, &change), Ok(None));

        // someone paused it since the user looked
        let paused = spec("pause", "worker", &[]);
        let err = apply_node_change("node2", &paused, &change).unwrap_err();
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
            apply_node_change("node2", &s, &bad),
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
        let out = apply_node_change("node4", &s, &promote).unwrap().unwrap();
        assert_eq!(out.role, Some(bm::NodeSpecRoleEnum::MANAGER));
        assert_eq!(out.availability, s.availability);
        assert_eq!(out.labels, s.labels);

        let manager = spec("active", "manager", &[]);
        assert_eq!(apply_node_change("node4", &manager, &promote), Ok(None));

        let demote = NodeChange::Role {
            seen: Role::Manager,
            to: Role::Worker,
        };
        let err = apply_node_change("node4", &spec("drain", "worker", &[]), &demote);
        assert_eq!(err, Ok(None), "already a worker");
        // the user saw a worker and wants a manager; we cannot conflict with only 2 roles
        // unless the value is unknown
        let weird = bm::NodeSpec {
            role: Some(bm::NodeSpecRoleEnum::EMPTY),
            ..spec("active", "worker", &[])
        };
        let err = apply_node_change("node4", &weird, &promote).unwrap_err();
        assert!(matches!(err, WriteError::Conflict(_)), "{err}");
        assert!(
            err.to_string().starts_with("role of node4 is now unknown"),
            "{err}"
        );
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
        let out = apply_node_change("node3", &s, &change).unwrap().unwrap();
        assert_eq!(
            labels_of(&out),
            map(&[("a", "2"), ("other", "1"), ("zone", "eu")])
        );
        assert_eq!(out.availability, s.availability);
        assert_eq!(out.role, s.role);
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
        assert_eq!(apply_node_change("node3", &s, &change), Ok(None));
        // no labels at all, remove one that is not there
        let bare = bm::NodeSpec {
            labels: None,
            ..spec("active", "worker", &[])
        };
        let change = NodeChange::Labels {
            set: map(&[]),
            remove: vec!["x".into()],
            seen: map(&[("x", "1")]),
        };
        assert_eq!(apply_node_change("node3", &bare, &change), Ok(None));
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
        let err = apply_node_change("node3", &s, &change).unwrap_err();
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
        let err = apply_node_change("node3", &s, &change)
            .unwrap_err()
            .to_string();
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
        let out = apply_node_change("node3", &s, &change).unwrap().unwrap();
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
        let out = apply_node_change("n", &s, &change).unwrap().unwrap();
        assert_eq!(labels_of(&out), map(&[("k", "v")]));
        assert_eq!(change.action(), "labels +k=v");
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
    fn a_value_bollard_cannot_read_refuses_naming_the_field() {
        let object = serde_json::json!({
            "ID": "x", "Version": {"Index": 3},
            "Spec": {"Role": "worker", "Availability": "hibernate"}
        });
        let err = decode_spec::<bm::NodeSpec>("node x", &object, NODE_SPEC_ALIASES).unwrap_err();
        let WriteError::Refused(text) = &err else {
            panic!("{err:?}")
        };
        assert!(text.contains("Spec.Availability"), "{text}");
        assert!(text.contains("nothing was written"), "{text}");
    }

    fn service_object(extra: Value) -> Value {
        let mut o = serde_json::json!({
            "ID": "s1", "Version": {"Index": 42},
            "Spec": {
                "Name": "web",
                "Labels": {},
                "TaskTemplate": {
                    "ContainerSpec": {
                        "Image": "busybox",
                        "Healthcheck": {"Test": ["CMD-SHELL", "true"], "Interval": 5000000000_u64}
                    },
                    "ForceUpdate": 0
                },
                "Mode": {"Replicated": {"Replicas": 2}},
                "UpdateConfig": {"Parallelism": 1, "MaxFailureRatio": 0}
            }
        });
        if let Value::Object(extra) = extra {
            for (k, v) in extra {
                o["Spec"]["TaskTemplate"][k] = v;
            }
        }
        o
    }

    #[test]
    fn a_service_spec_survives_bollard_with_its_healthcheck() {
        let object = service_object(serde_json::json!({}));
        let read: Read<bm::ServiceSpec> =
            decode_spec("service web", &object, SERVICE_SPEC_ALIASES).unwrap();
        assert_eq!(read.version, 42);
        assert_eq!(read.raw, object["Spec"]);
        let hc = read
            .spec
            .task_template
            .as_ref()
            .and_then(|t| t.container_spec.as_ref())
            .and_then(|c| c.health_check.as_ref())
            .expect("the healthcheck is read");
        assert_eq!(hc.interval, Some(5_000_000_000));
        // written back in the engine's spelling, and nothing else changed (0 == 0.0)
        let after = written_json(&read.spec, SERVICE_SPEC_ALIASES);
        assert!(after["TaskTemplate"]["ContainerSpec"]["Healthcheck"].is_object());
        assert_eq!(after, object["Spec"], "same spelling, same number forms");
        assert_eq!(
            spec_differences(&object["Spec"], &after),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_field_bollard_does_not_know_refuses_the_write() {
        let object = service_object(serde_json::json!({"FutureThing": {"x": 1}}));
        let err = decode_spec::<bm::ServiceSpec>("service web", &object, SERVICE_SPEC_ALIASES)
            .unwrap_err();
        assert_eq!(
            err,
            WriteError::Refused(
                "swarmdeck cannot fully hold service web's spec (Spec.TaskTemplate.FutureThing: \
                 lost); writing it back would lose that, so nothing was written"
                    .into()
            )
        );
        // no version: refused too
        let mut object = service_object(serde_json::json!({}));
        object["Version"] = Value::Null;
        assert!(matches!(
            decode_spec::<bm::ServiceSpec>("service web", &object, SERVICE_SPEC_ALIASES),
            Err(WriteError::Refused(_))
        ));
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
    }

    #[test]
    fn differences() {
        let a = serde_json::json!({"a": 0, "b": [1, {"c": "x"}], "n": null, "f": 0.5});
        let b = serde_json::json!({"a": 0.0, "b": [1, {"c": "y"}], "e": 1, "f": 0.5});
        assert_eq!(
            spec_differences(&a, &b),
            vec!["b[1].c: \"x\" became \"y\"", "e: added"]
        );
        let c = serde_json::json!({"a": 1, "b": [1]});
        assert_eq!(
            spec_differences(&a, &c),
            vec![
                "a: 0 became 1",
                "b: [1,{\"c\":\"x\"}] became [1]",
                "f: lost"
            ]
        );
        assert!(spec_differences(&a, &a).is_empty());
    }
}
