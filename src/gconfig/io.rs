//! The engine I/O of global config documents: every call is raw JSON through bollard's own
//! connection (`engine::write::call`, `read_raw`, `update_versioned`), so nothing bollard's
//! types cannot hold is lost or refused.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bollard::Docker;
use hyper::Method;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::*;
use crate::audit::AuditEntry;
use crate::domain::ServiceId;
use crate::engine::write::{
    self, Applied, CallError, ObjectRef, ObjectSeen, RefKind, WriteError, apply_ref, query_value,
};

/// Where the calls go and where they are recorded.
#[derive(Clone)]
pub struct Ctx {
    pub docker: Docker,
    /// The endpoint, for the audit log.
    pub endpoint: String,
    /// The audit log (None: not recorded).
    pub audit: Option<PathBuf>,
}

/// Why a global-config operation did not do what was asked. Nothing was written unless the
/// text says so.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GError {
    /// A bad name, path or argument.
    #[error("{0}")]
    Usage(String),
    /// The document (or schema) is not valid; nothing was published.
    #[error("the document is not valid; nothing was published:\n{}", list(.0))]
    Invalid(Vec<Problem>),
    /// Someone else published this version first (the engine refused the duplicate name).
    #[error(
        "conflict: v{version} was published by {author} at {created} while you were working; \
         nothing was published (get it, and apply again with --base to merge)"
    )]
    Conflict {
        version: u64,
        author: String,
        created: String,
    },
    /// The edit's base is older than the current version and both changed the same pointers.
    #[error(
        "conflict: your edit (based on v{base}) and v{current} changed the same pointers; \
         nothing was published:\n{}", list(.conflicts)
    )]
    Merge {
        base: u64,
        current: u64,
        conflicts: Vec<MergeConflict>,
    },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Engine(String),
}

fn list<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(|p| format!("  {}", crate::text::printable(&p.to_string())))
        .collect::<Vec<_>>()
        .join("\n")
}

impl From<CallError> for GError {
    fn from(e: CallError) -> Self {
        GError::Engine(e.to_string())
    }
}

impl From<WriteError> for GError {
    fn from(e: WriteError) -> Self {
        GError::Engine(e.to_string())
    }
}

async fn get_json(ctx: &Ctx, path: &str, query: &str) -> Result<Value, GError> {
    let body = write::call(&ctx.docker, Method::GET, path, query, None).await?;
    serde_json::from_str(&body)
        .map_err(|e| GError::Engine(format!("the engine's answer for {path} is not JSON: {e}")))
}

fn filters(f: &Value) -> String {
    format!("filters={}", query_value(&f.to_string()))
}

/// Record what was done to a config (a version created, or why not) in the audit log. Best
/// effort: a write is not undone because it cannot be recorded.
fn record(ctx: &Ctx, id: &str, name: &str, action: &str, after: Value, result: &str) {
    crate::audit::record(
        ctx.audit.as_deref(),
        crate::audit::Done {
            endpoint: &ctx.endpoint,
            kind: "config",
            id,
            name,
            action,
            after,
            result,
        },
    );
}

// ------------------------------------------------------------------------- versions

/// A document's (or its schema's) versions, oldest first.
pub async fn list_versions(ctx: &Ctx, doc: &str, kind: Kind) -> Result<Vec<Version>, GError> {
    check_doc(doc).map_err(GError::Usage)?;
    let all = get_json(
        ctx,
        "/configs",
        &filters(&json!({"name": [name_prefix(doc, kind)]})),
    )
    .await?;
    let mut out: Vec<Version> = all
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|c| {
            let mut v = version_from_config(doc, kind, c)?;
            if let Some(d) = c.pointer("/Spec/Data").and_then(Value::as_str) {
                v.size = STANDARD.decode(d).map_or(v.size, |b| b.len());
            }
            Some(v)
        })
        .collect();
    out.sort_by_key(|v| v.n);
    Ok(out)
}

/// One version and its text (`n` None: the newest). Err(NotFound) when there is none.
pub async fn read_version(
    ctx: &Ctx,
    doc: &str,
    kind: Kind,
    n: Option<u64>,
) -> Result<(Version, String), GError> {
    let versions = list_versions(ctx, doc, kind).await?;
    let v = match n {
        Some(n) => versions.into_iter().find(|v| v.n == n),
        None => versions.into_iter().last(),
    }
    .ok_or_else(|| {
        GError::NotFound(match n {
            Some(n) => format!("{doc} has no {} version {n}", kind.as_str()),
            None => format!("{doc} has no {} version yet", kind.as_str()),
        })
    })?;
    let text = read_data(ctx, &v.id).await?;
    Ok((v, text))
}

/// A config's data as text (ConfigInspect's `Spec.Data` is standard base64).
pub async fn read_data(ctx: &Ctx, id: &str) -> Result<String, GError> {
    let c = write::read_raw(&ctx.docker, &format!("/configs/{id}")).await?;
    let data = c
        .pointer("/Spec/Data")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let bytes = STANDARD
        .decode(data)
        .map_err(|e| GError::Engine(format!("config {id}: its data is not base64: {e}")))?;
    String::from_utf8(bytes)
        .map_err(|_| GError::Engine(format!("config {id}: its data is not UTF-8 text")))
}

/// The current schema of a document, if it has one.
pub async fn read_schema(ctx: &Ctx, doc: &str) -> Result<Option<(Version, Value)>, GError> {
    match read_version(ctx, doc, Kind::Schema, None).await {
        Ok((v, text)) => {
            let value = parse(&text).map_err(|p| {
                GError::Engine(format!("the stored schema {} is not JSON: {p}", v.name))
            })?;
            Ok(Some((v, value)))
        }
        Err(GError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The outcome of a publish.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Published {
    /// The new version.
    Created { version: Version },
    /// Its sha256 equals the current version's: nothing created.
    Unchanged { current: u64 },
}

/// Create version `n` of a document (or schema). A duplicate name is the engine's refusal:
/// someone published `n` first → [`GError::Conflict`] with who.
async fn create_version(
    ctx: &Ctx,
    doc: &str,
    kind: Kind,
    n: u64,
    parent: Option<u64>,
    text: &str,
    note: &str,
) -> Result<Version, GError> {
    check_size(text).map_err(|p| GError::Invalid(vec![p]))?;
    let name = config_name(doc, kind, n);
    if !valid_config_name(&name) {
        return Err(GError::Usage(format!(
            "{name:?} is not a valid Swarm config name"
        )));
    }
    let sha = sha256_hex(text.as_bytes());
    let author = author();
    let created = jiff::Timestamp::now().to_string();
    let labels = version_labels(doc, kind, n, &sha, parent, &author, &created);
    let body = json!({"Name": name, "Labels": labels, "Data": STANDARD.encode(text)});
    let action = format!(
        "publish {doc}{} v{n} ({} bytes, sha256 {sha}){note}",
        if kind == Kind::Schema { " schema" } else { "" },
        text.len()
    );
    match write::call(
        &ctx.docker,
        Method::POST,
        "/configs/create",
        "",
        Some(&body),
    )
    .await
    {
        Ok(answer) => {
            let id = serde_json::from_str::<Value>(&answer)
                .ok()
                .and_then(|a| a.get("ID").and_then(Value::as_str).map(str::to_string))
                .unwrap_or_default();
            record(ctx, &id, &name, &action, json!({"Labels": labels}), "ok");
            Ok(Version {
                n,
                id,
                name,
                sha256: sha,
                parent,
                author,
                created,
                size: text.len(),
            })
        }
        Err(CallError::Engine { status, message })
            if status == 409 || message.to_lowercase().contains("already exists") =>
        {
            let theirs = list_versions(ctx, doc, kind)
                .await
                .ok()
                .and_then(|vs| vs.into_iter().find(|v| v.n == n));
            let (author, created) = theirs
                .map_or(("someone".into(), "an unknown time".into()), |v| {
                    (v.author, v.created)
                });
            let err = GError::Conflict {
                version: n,
                author,
                created,
            };
            record(
                ctx,
                "",
                &name,
                &action,
                Value::Null,
                &format!("conflict: {err}"),
            );
            Err(err)
        }
        Err(other) => {
            record(
                ctx,
                "",
                &name,
                &action,
                Value::Null,
                &format!("error: {other}"),
            );
            Err(other.into())
        }
    }
}

/// Publish a new schema version for a document (checked: it must be a JSON Schema).
pub async fn publish_schema(ctx: &Ctx, doc: &str, text: &str) -> Result<Published, GError> {
    validate_schema(text).map_err(GError::Invalid)?;
    let current = list_versions(ctx, doc, Kind::Schema)
        .await?
        .into_iter()
        .last();
    if let Some(c) = &current
        && c.sha256 == sha256_hex(text.as_bytes())
    {
        return Ok(Published::Unchanged { current: c.n });
    }
    let n = current.as_ref().map_or(1, |c| c.n + 1);
    let v = create_version(ctx, doc, Kind::Schema, n, current.map(|c| c.n), text, "").await?;
    Ok(Published::Created { version: v })
}

// ------------------------------------------------------------------------- plan and publish

/// Every service (raw), for subscribers and for retention.
async fn services(ctx: &Ctx) -> Result<Vec<Value>, GError> {
    Ok(get_json(ctx, "/services", "")
        .await?
        .as_array()
        .cloned()
        .unwrap_or_default())
}

/// The services that subscribe to a document (label `swarmdeck.<doc>.target`), from their raw
/// specs, by name.
pub async fn subscribers(ctx: &Ctx, doc: &str) -> Result<Vec<Subscriber>, GError> {
    let label = target_label(doc);
    let list = get_json(ctx, "/services", &filters(&json!({"label": [label]}))).await?;
    let mut out: Vec<Subscriber> = list
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|s| subscriber_from_service(doc, s))
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Make the plan for publishing `text` as the next version of `doc`: validation (size, JSON,
/// the schema if any), the changes against the current version, the subscribers and the
/// warnings. `base`: the version the edit started from; when a newer one exists, the edit is
/// merged with it by pointer (or refused, listing the pointers changed on both sides).
/// Nothing is written.
pub async fn plan(ctx: &Ctx, doc: &str, text: &str, base: Option<u64>) -> Result<Plan, GError> {
    check_doc(doc).map_err(GError::Usage)?;
    let schema = read_schema(ctx, doc).await?.map(|(_, s)| s);
    let mine = validate(text, schema.as_ref()).map_err(GError::Invalid)?;
    let current = match read_version(ctx, doc, Kind::Document, None).await {
        Ok((v, t)) => Some((v, t)),
        Err(GError::NotFound(_)) => None,
        Err(e) => return Err(e),
    };
    let current_value = match &current {
        Some((v, t)) => Some((
            v.n,
            parse(t)
                .map_err(|p| GError::Engine(format!("the stored {} is not JSON: {p}", v.name)))?,
        )),
        None => None,
    };
    let subs = subscribers(ctx, doc).await?;
    let cur_n = current.as_ref().map(|(v, _)| v.n);
    if let (Some(b), Some((cn, cv))) = (base, &current_value)
        && b < *cn
    {
        let (_, base_text) = read_version(ctx, doc, Kind::Document, Some(b)).await?;
        let base_value =
            parse(&base_text).map_err(|p| GError::Engine(format!("v{b} is not JSON: {p}")))?;
        return match merge3(&base_value, cv, &mine) {
            Merge::Clean { merged } => {
                let merged_text = pretty(&merged);
                validate(&merged_text, schema.as_ref()).map_err(GError::Invalid)?;
                let mut p = make_plan(doc, Some((*cn, cv)), merged, &merged_text, subs, Some(b));
                p.unchanged = current.as_ref().is_some_and(|(v, _)| v.sha256 == p.sha256)
                    || p.changes.is_empty();
                Ok(p)
            }
            Merge::Conflicts { conflicts } => Err(GError::Merge {
                base: b,
                current: *cn,
                conflicts,
            }),
        };
    }
    if let Some(b) = base
        && cur_n.is_some_and(|c| b > c)
    {
        return Err(GError::Usage(format!(
            "--base {b}: {doc} has no version {b} (the newest is v{})",
            cur_n.unwrap_or(0)
        )));
    }
    let mut p = make_plan(
        doc,
        current_value.as_ref().map(|(n, v)| (*n, v)),
        mine,
        text,
        subs,
        None,
    );
    p.unchanged = current
        .as_ref()
        .is_some_and(|(v, t)| v.sha256 == p.sha256 || sha256_hex(t.as_bytes()) == p.sha256);
    Ok(p)
}

/// Publish what a plan says: create `swarmdeck-<doc>.v<next>` with its labels. Unchanged →
/// nothing is created. Someone else published `next` first → [`GError::Conflict`].
pub async fn publish(ctx: &Ctx, plan: &Plan) -> Result<Published, GError> {
    if plan.unchanged {
        return Ok(Published::Unchanged {
            current: plan.current.unwrap_or(0),
        });
    }
    let v = create_version(
        ctx,
        &plan.doc,
        Kind::Document,
        plan.next,
        plan.current,
        &plan.text,
        &plan
            .rollback_of
            .map_or(String::new(), |r| format!(", rollback to v{r}'s content")),
    )
    .await?;
    Ok(Published::Created { version: v })
}

// ------------------------------------------------------------------------- tasks

/// Node id → hostname.
async fn node_names(ctx: &Ctx) -> HashMap<String, String> {
    let Ok(nodes) = get_json(ctx, "/nodes", "").await else {
        return HashMap::new();
    };
    nodes
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|n| {
            Some((
                n.get("ID")?.as_str()?.to_string(),
                n.pointer("/Description/Hostname")?.as_str()?.to_string(),
            ))
        })
        .collect()
}

/// What a rollout moves and how it tells one version from another: a global config
/// document's versions (configs `swarmdeck-<doc>.vN`), or a secret's rotations (`NAME` is
/// version 1, `NAME.vN` version N; [`crate::domain::secrets::family`]). The same core
/// updates and follows both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Track {
    /// A document's versions.
    Doc(String),
    /// The rotations of the secret family with this base name.
    Secret(String),
}

impl Track {
    /// Configs or secrets.
    pub fn kind(&self) -> RefKind {
        match self {
            Track::Doc(_) => RefKind::Config,
            Track::Secret(_) => RefKind::Secret,
        }
    }

    /// The version a referenced name is, if it is one of ours.
    pub fn version(&self, name: &str) -> Option<u64> {
        match self {
            Track::Doc(doc) => parse_name(doc, Kind::Document, name),
            Track::Secret(base) => crate::domain::secrets::version_in(base, name),
        }
    }

    /// Whether a referenced name is ours to replace: a document's name prefix (as the
    /// rollout always did), a name of the secret's family.
    fn ours(&self, name: &str) -> bool {
        match self {
            Track::Doc(doc) => name.starts_with(&name_prefix(doc, Kind::Document)),
            Track::Secret(base) => crate::domain::secrets::version_in(base, name).is_some(),
        }
    }

    /// The name referenced at `target` in a container spec (a service's
    /// `TaskTemplate.ContainerSpec`, or a task's `Spec.ContainerSpec`).
    fn at<'a>(&self, container: Option<&'a Value>, target: &str) -> Option<&'a str> {
        let kind = self.kind();
        container?
            .get(kind.list_key())?
            .as_array()?
            .iter()
            .find(|r| r.pointer("/File/Name").and_then(Value::as_str) == Some(target))?
            .get(kind.name_key())?
            .as_str()
    }

    /// The version a task's own spec has at `target`.
    fn task_version(&self, task: &Value, target: &str) -> Option<u64> {
        self.at(task.pointer("/Spec/ContainerSpec"), target)
            .and_then(|n| self.version(n))
    }
}

/// The tasks that represent a service now: per slot (replicated) or node (global) the newest
/// task, if it should run or failed; with the version its own spec mounts at `target`.
async fn service_tasks(
    ctx: &Ctx,
    track: &Track,
    service_id: &str,
    target: &str,
    nodes: &HashMap<String, String>,
) -> Result<Vec<TaskSeen>, GError> {
    let tasks = get_json(ctx, "/tasks", &filters(&json!({"service": [service_id]}))).await?;
    let mut newest: BTreeMap<String, &Value> = BTreeMap::new();
    let index = |t: &Value| {
        t.pointer("/Version/Index")
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    for t in tasks.as_array().map(Vec::as_slice).unwrap_or_default() {
        if t.get("ServiceID").and_then(Value::as_str) != Some(service_id) {
            continue;
        }
        let slot = match t.get("Slot").and_then(Value::as_u64) {
            Some(s) if s > 0 => format!("slot{s}"),
            _ => format!(
                "node{}",
                t.get("NodeID").and_then(Value::as_str).unwrap_or_default()
            ),
        };
        let created = |t: &Value| {
            t.get("CreatedAt")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        match newest.get(&slot) {
            Some(old) if (created(old), index(old)) >= (created(t), index(t)) => {}
            _ => {
                newest.insert(slot, t);
            }
        }
    }
    let mut out = Vec::new();
    for t in newest.values() {
        let desired = t.get("DesiredState").and_then(Value::as_str).unwrap_or("");
        let state = t
            .pointer("/Status/State")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let failed = matches!(state.as_str(), "failed" | "rejected");
        if !(matches!(desired, "running" | "ready" | "accepted") || failed) {
            continue;
        }
        let version = track.task_version(t, target);
        let node_id = t.get("NodeID").and_then(Value::as_str).unwrap_or_default();
        out.push(TaskSeen {
            task: t
                .get("ID")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            node: nodes
                .get(node_id)
                .cloned()
                .unwrap_or_else(|| node_id.to_string()),
            version,
            state,
            error: t
                .pointer("/Status/Err")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        });
    }
    out.sort_by(|a, b| a.node.cmp(&b.node).then(a.task.cmp(&b.task)));
    Ok(out)
}

/// Drift: per subscribed service and node, the version the running tasks have, read from
/// the tasks' own specs.
pub async fn drift(ctx: &Ctx, doc: &str) -> Result<Drift, GError> {
    let current = list_versions(ctx, doc, Kind::Document)
        .await?
        .last()
        .map(|v| v.n);
    let subs = subscribers(ctx, doc).await?;
    let nodes = node_names(ctx).await;
    let mut services = Vec::new();
    for s in &subs {
        let tasks =
            service_tasks(ctx, &Track::Doc(doc.to_string()), &s.id, &s.target, &nodes).await?;
        let raw = write::read_raw(&ctx.docker, &format!("/services/{}", s.id)).await?;
        let updating = matches!(
            raw.pointer("/UpdateStatus/State").and_then(Value::as_str),
            Some("updating" | "rollback_started")
        );
        let global = matches!(s.mode, Mode::Global | Mode::GlobalJob);
        services.push(judge_service(s, tasks, current, updating, global));
    }
    Ok(Drift {
        doc: doc.to_string(),
        current,
        in_sync: services.iter().all(|s| s.in_sync),
        services,
    })
}

// ------------------------------------------------------------------------- rollout

/// How a rollout runs.
#[derive(Debug, Clone)]
pub struct RolloutOptions {
    /// The longest one service may take to converge.
    pub timeout: Duration,
    /// How often its progress is read.
    pub poll: Duration,
}

impl Default for RolloutOptions {
    fn default() -> Self {
        RolloutOptions {
            timeout: Duration::from_secs(180),
            poll: Duration::from_millis(500),
        }
    }
}

/// What a rollout reports while it runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum RolloutEvent {
    /// The service's update was sent.
    Started {
        service: String,
        from: Option<u64>,
        to: Option<u64>,
    },
    /// Its tasks now (per node); `state` is its UpdateStatus.State ("" when none).
    Progress {
        service: String,
        on_new: usize,
        total: usize,
        state: String,
        tasks: Vec<TaskSeen>,
    },
    /// Every task runs the new version (`noop`: it already referenced it).
    Done { service: String, noop: bool },
    /// Not touched (another config at its target).
    Skipped { service: String, reason: String },
    /// Failed, paused or rolled back by Swarm: the rollout stops here.
    Failed { service: String, reason: String },
}

/// A service the rollout moved (to return it to `previous`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Moved {
    pub id: String,
    pub name: String,
    pub target: String,
    /// What it referenced before (None: nothing of this document).
    pub previous: Option<u64>,
}

/// How a rollout ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RolloutReport {
    pub to: Option<u64>,
    /// Moved (or already there), in order.
    pub moved: Vec<Moved>,
    pub skipped: Vec<(String, String)>,
    /// The service that failed and why (the rollout stopped there).
    pub failed: Option<(String, String)>,
}

impl RolloutReport {
    pub fn ok(&self) -> bool {
        self.failed.is_none()
    }
}

/// Move every subscriber to `version` (None: remove the document from them — used to return
/// services that had nothing), one service at a time: one versioned ServiceUpdate on the raw
/// spec read right before (the reference at its target replaced, every other field kept, no
/// registry credentials sent), then follow it until Swarm says it completed, paused or rolled
/// back. Stops at the first failure.
pub async fn rollout(
    ctx: &Ctx,
    doc: &str,
    version: &Version,
    subs: &[Subscriber],
    opts: &RolloutOptions,
    mut on_event: impl FnMut(RolloutEvent),
) -> RolloutReport {
    let mut report = RolloutReport {
        to: Some(version.n),
        moved: Vec::new(),
        skipped: Vec::new(),
        failed: None,
    };
    for s in subs {
        if let Some(other) = &s.foreign {
            let reason = format!("already mounts config {other} at {}", s.target);
            on_event(RolloutEvent::Skipped {
                service: s.name.clone(),
                reason: reason.clone(),
            });
            report.skipped.push((s.name.clone(), reason));
            continue;
        }
        let r = move_service(
            ctx,
            &Track::Doc(doc.to_string()),
            &s.id,
            &[s.target.as_str()],
            Some((version.n, version.id.as_str(), version.name.as_str())),
            None,
            opts,
            &mut on_event,
        )
        .await;
        match r {
            Ok(previous) => report.moved.push(Moved {
                id: s.id.clone(),
                name: s.name.clone(),
                target: s.target.clone(),
                previous,
            }),
            Err((moved, reason)) => {
                if moved {
                    report.moved.push(Moved {
                        id: s.id.clone(),
                        name: s.name.clone(),
                        target: s.target.clone(),
                        previous: s.current,
                    });
                }
                report.failed = Some((s.name.clone(), reason));
                break;
            }
        }
    }
    report
}

/// A service that mounts a secret being rotated, and at which targets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretUser {
    pub id: String,
    pub name: String,
    pub targets: Vec<String>,
}

/// A secret rotation's rollout: move every service in `users` to secret `to` (its version
/// in family `base`, id, name) at the same targets, one service at a time, by the same core
/// as a document's rollout: one versioned ServiceUpdate on the raw spec read right before
/// (each old reference replaced at its target, every other field kept, no registry
/// credentials sent), then followed until Swarm says it completed, paused or rolled back.
/// Stops at the first failure; the services already moved stay moved (`moved`).
pub async fn rotate_secret(
    ctx: &Ctx,
    base: &str,
    to: (u64, &str, &str),
    users: &[SecretUser],
    opts: &RolloutOptions,
    mut on_event: impl FnMut(RolloutEvent),
) -> RolloutReport {
    let track = Track::Secret(base.to_string());
    let mut report = RolloutReport {
        to: Some(to.0),
        moved: Vec::new(),
        skipped: Vec::new(),
        failed: None,
    };
    for u in users {
        let targets: Vec<&str> = u.targets.iter().map(String::as_str).collect();
        let r = move_service(
            ctx,
            &track,
            &u.id,
            &targets,
            Some(to),
            None,
            opts,
            &mut on_event,
        )
        .await;
        let moved = |previous| Moved {
            id: u.id.clone(),
            name: u.name.clone(),
            target: u.targets.first().cloned().unwrap_or_default(),
            previous,
        };
        match r {
            Ok(previous) => report.moved.push(moved(previous)),
            Err((written, reason)) => {
                if written {
                    report.moved.push(moved(None));
                }
                report.failed = Some((u.name.clone(), reason));
                break;
            }
        }
    }
    report
}

/// Return services a rollout moved to what they had before (the previous version, or no
/// reference when they had none). Returns each service's result.
pub async fn return_to_previous(
    ctx: &Ctx,
    doc: &str,
    moved: &[Moved],
    opts: &RolloutOptions,
    mut on_event: impl FnMut(RolloutEvent),
) -> Vec<(String, Result<(), String>)> {
    let versions = list_versions(ctx, doc, Kind::Document)
        .await
        .unwrap_or_default();
    let mut out = Vec::new();
    for m in moved {
        let to = match m.previous {
            Some(n) => match versions.iter().find(|v| v.n == n) {
                Some(v) => Some((v.n, v.id.as_str(), v.name.as_str())),
                None => {
                    out.push((m.name.clone(), Err(format!("v{n} no longer exists"))));
                    continue;
                }
            },
            None => None,
        };
        let r = move_service(
            ctx,
            &Track::Doc(doc.to_string()),
            &m.id,
            &[m.target.as_str()],
            to,
            None,
            opts,
            &mut on_event,
        )
        .await;
        out.push((m.name.clone(), r.map(|_| ()).map_err(|(_, e)| e)));
    }
    out
}

/// One service to `to` at `targets` (None: our reference removed), in one versioned update,
/// optionally setting or removing the subscription label in the same update (documents
/// only); then follow it (at the first target). Ok(previous version); Err((whether the
/// update was written, why)).
#[allow(clippy::too_many_arguments)]
async fn move_service(
    ctx: &Ctx,
    track: &Track,
    service: &str,
    targets: &[&str],
    to: Option<(u64, &str, &str)>,
    label: Option<Option<&str>>,
    opts: &RolloutOptions,
    on_event: &mut impl FnMut(RolloutEvent),
) -> Result<Option<u64>, (bool, String)> {
    let kind = track.kind();
    let target = targets.first().copied().unwrap_or_default();
    let key = match track {
        Track::Doc(doc) => target_label(doc),
        Track::Secret(_) => String::new(),
    };
    let ours = |n: &str| track.ours(n);
    let mut previous = None;
    let mut name = service.to_string();
    let mut stale = None;
    let result = write::update_versioned(
        &ctx.docker,
        &ObjectRef::Service(ServiceId(service.to_string())),
        |seen: &ObjectSeen, spec: &mut Value| {
            name = seen.name.clone();
            stale = seen.object.pointer("/UpdateStatus/StartedAt").cloned();
            previous = track
                .at(seen.spec().pointer("/TaskTemplate/ContainerSpec"), target)
                .and_then(|n| track.version(n));
            // a subscription moving to another path: our old reference goes in the same update
            if let Some(Some(_)) = label
                && let Some(old) = seen
                    .spec()
                    .pointer("/Labels")
                    .and_then(|l| l.get(&key))
                    .and_then(Value::as_str)
                && old != target
            {
                apply_ref(kind, &seen.name, spec, old, None, &ours, None)?;
            }
            let mut applied = Applied::Already;
            for (i, t) in targets.iter().enumerate() {
                // the label once, with the first target
                let l = if i == 0 {
                    label.map(|v| (key.as_str(), v))
                } else {
                    None
                };
                if apply_ref(
                    kind,
                    &seen.name,
                    spec,
                    t,
                    to.map(|(_, id, n)| (id, n)),
                    &ours,
                    l,
                )? == Applied::Changed
                {
                    applied = Applied::Changed;
                }
            }
            Ok(if *spec == *seen.spec() {
                Applied::Already
            } else {
                applied
            })
        },
        |_| {},
    )
    .await;
    let action = match (track, to, label) {
        (Track::Secret(base), Some((_, _, new)), _) => {
            format!("rotate secret {base}: {new} at {}", targets.join(", "))
        }
        (Track::Secret(base), None, _) => {
            format!("remove secret {base} from {}", targets.join(", "))
        }
        (Track::Doc(doc), _, Some(Some(p))) => {
            format!("subscribe {doc} at {p} (v{})", to.map_or(0, |t| t.0))
        }
        (Track::Doc(doc), _, Some(None)) => format!("unsubscribe {doc} from {target}"),
        (Track::Doc(doc), Some((n, _, _)), None) => format!("rollout {doc} v{n} at {target}"),
        (Track::Doc(doc), None, None) => format!("remove {doc} from {target}"),
    };
    if let Some(path) = &ctx.audit {
        // best effort, as every audit entry
        let e = AuditEntry::for_write(&ctx.endpoint, "service", service, &name, &action, &result);
        let _ = crate::audit::append(path, &e);
    }
    let outcome = match result {
        Ok(o) => o,
        Err(err) => {
            let reason = err.to_string();
            on_event(RolloutEvent::Failed {
                service: name.clone(),
                reason: reason.clone(),
            });
            return Err((false, reason));
        }
    };
    on_event(RolloutEvent::Started {
        service: name.clone(),
        from: previous,
        to: to.map(|t| t.0),
    });
    if outcome.noop {
        on_event(RolloutEvent::Done {
            service: name,
            noop: true,
        });
        return Ok(previous);
    }
    let written = Written {
        version: outcome.version,
        stale_started: stale,
    };
    follow(
        ctx,
        track,
        service,
        &name,
        target,
        to.map(|t| t.0),
        &written,
        opts,
        on_event,
    )
    .await
    .map(|()| previous)
    .map_err(|e| (true, e))
}

/// What the write left to tell our update's status from an older one.
struct Written {
    /// The version index the update carried.
    version: u64,
    /// `UpdateStatus.StartedAt` as read before the write: a status that still carries it is
    /// an older update's (a paused one, say), not ours.
    stale_started: Option<Value>,
}

/// Follow one service's update until every task that should run runs `to`, or Swarm
/// pauses or rolls it back, or the deadline passes.
#[allow(clippy::too_many_arguments)]
async fn follow(
    ctx: &Ctx,
    track: &Track,
    service: &str,
    name: &str,
    target: &str,
    to: Option<u64>,
    written: &Written,
    opts: &RolloutOptions,
    on_event: &mut impl FnMut(RolloutEvent),
) -> Result<(), String> {
    let deadline = Instant::now() + opts.timeout;
    let nodes = node_names(ctx).await;
    let mut last: Option<(usize, usize, String)> = None;
    loop {
        let raw = write::read_raw(&ctx.docker, &format!("/services/{service}"))
            .await
            .map_err(|e| e.to_string())?;
        let ours = written.stale_started.is_none()
            || raw.pointer("/UpdateStatus/StartedAt") != written.stale_started.as_ref();
        let state = raw
            .pointer("/UpdateStatus/State")
            .and_then(Value::as_str)
            .filter(|_| ours)
            .unwrap_or("")
            .to_string();
        let message = raw
            .pointer("/UpdateStatus/Message")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let tasks = service_tasks(ctx, track, service, target, &nodes)
            .await
            .map_err(|e| e.to_string())?;
        let total = tasks.len();
        let on_new = tasks
            .iter()
            .filter(|t| t.version == to && t.state == "running")
            .count();
        if last.as_ref() != Some(&(on_new, total, state.clone())) {
            last = Some((on_new, total, state.clone()));
            on_event(RolloutEvent::Progress {
                service: name.to_string(),
                on_new,
                total,
                state: state.clone(),
                tasks: tasks.clone(),
            });
        }
        let why = if matches!(
            state.as_str(),
            "paused" | "rollback_started" | "rollback_paused" | "rollback_completed"
        ) || Instant::now() >= deadline
        {
            last_failure(ctx, track, service, target, to, &nodes).await
        } else {
            String::new()
        };
        let fail = |what: &str| {
            format!(
                "{name}: {what}{}{why}",
                if message.is_empty() {
                    String::new()
                } else {
                    format!(": {message}")
                },
            )
        };
        // the service was updated again by someone else since our write: stop following
        let newer = raw
            .pointer("/Version/Index")
            .and_then(Value::as_u64)
            .unwrap_or(0)
            > written.version;
        match state.as_str() {
            "paused" => return Err(report(on_event, name, fail("update paused by Swarm"))),
            "rollback_started" | "rollback_paused" | "rollback_completed" => {
                return Err(report(on_event, name, fail("update rolled back by Swarm")));
            }
            _ => {}
        }
        let converged = total > 0 && on_new == total;
        if converged && (state.is_empty() || state == "completed") {
            on_event(RolloutEvent::Done {
                service: name.to_string(),
                noop: false,
            });
            return Ok(());
        }
        if to.is_none() && (state == "completed" || (state.is_empty() && newer)) && on_new == total
        {
            on_event(RolloutEvent::Done {
                service: name.to_string(),
                noop: false,
            });
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(report(
                on_event,
                name,
                fail(&format!(
                    "not converged after {:?} ({on_new}/{total} tasks on the new version, update \
                     state {:?})",
                    opts.timeout, state
                )),
            ));
        }
        tokio::time::sleep(opts.poll).await;
    }
}

/// The newest failed or rejected task of a service on version `to`, as "; task on NODE:
/// STATE: ERR" ("" when none).
async fn last_failure(
    ctx: &Ctx,
    track: &Track,
    service: &str,
    target: &str,
    to: Option<u64>,
    nodes: &HashMap<String, String>,
) -> String {
    let Ok(tasks) = get_json(ctx, "/tasks", &filters(&json!({"service": [service]}))).await else {
        return String::new();
    };
    let text = |t: &Value, p: &str| {
        t.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    tasks
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter(|t| matches!(text(t, "/Status/State").as_str(), "failed" | "rejected"))
        .filter(|t| track.task_version(t, target) == to)
        .max_by_key(|t| text(t, "/Status/Timestamp"))
        .map(|t| {
            let node = text(t, "/NodeID");
            format!(
                "; task on {}: {}: {}",
                nodes.get(&node).unwrap_or(&node),
                text(t, "/Status/State"),
                text(t, "/Status/Err")
            )
        })
        .unwrap_or_default()
}

fn report(on_event: &mut impl FnMut(RolloutEvent), name: &str, reason: String) -> String {
    on_event(RolloutEvent::Failed {
        service: name.to_string(),
        reason: reason.clone(),
    });
    reason
}

// ------------------------------------------------------------------------- subscribe

/// Subscribe a service (name or id) to a document at `path`: set the label and add (or
/// replace) the reference to the current version in one versioned update, then follow it.
pub async fn subscribe(
    ctx: &Ctx,
    doc: &str,
    service: &str,
    path: &str,
    opts: &RolloutOptions,
    on_event: impl FnMut(RolloutEvent),
) -> Result<(), GError> {
    check_doc(doc).map_err(GError::Usage)?;
    check_target(path).map_err(GError::Usage)?;
    let id = service_id(ctx, service).await?;
    let v = list_versions(ctx, doc, Kind::Document)
        .await?
        .into_iter()
        .last()
        .ok_or_else(|| {
            GError::NotFound(format!(
                "{doc} has no version yet: publish one first (config apply FILE)"
            ))
        })?;
    let mut on_event = on_event;
    move_service(
        ctx,
        &Track::Doc(doc.to_string()),
        &id,
        &[path],
        Some((v.n, &v.id, &v.name)),
        Some(Some(path)),
        opts,
        &mut on_event,
    )
    .await
    .map(|_| ())
    .map_err(|(_, e)| GError::Engine(e))
}

/// Unsubscribe a service: remove the label and the reference in one versioned update.
pub async fn unsubscribe(
    ctx: &Ctx,
    doc: &str,
    service: &str,
    opts: &RolloutOptions,
    on_event: impl FnMut(RolloutEvent),
) -> Result<(), GError> {
    check_doc(doc).map_err(GError::Usage)?;
    let id = service_id(ctx, service).await?;
    let raw = write::read_raw(&ctx.docker, &format!("/services/{id}")).await?;
    let sub = subscriber_from_service(doc, &raw).ok_or_else(|| {
        GError::NotFound(format!("service {service} does not subscribe to {doc}"))
    })?;
    let mut on_event = on_event;
    move_service(
        ctx,
        &Track::Doc(doc.to_string()),
        &id,
        &[sub.target.as_str()],
        None,
        Some(None),
        opts,
        &mut on_event,
    )
    .await
    .map(|_| ())
    .map_err(|(_, e)| GError::Engine(e))
}

async fn service_id(ctx: &Ctx, service: &str) -> Result<String, GError> {
    let plain = !service.is_empty()
        && service
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
    if !plain {
        return Err(GError::Usage(format!("bad service name {service:?}")));
    }
    let raw = write::read_raw(&ctx.docker, &format!("/services/{service}"))
        .await
        .map_err(|e| match e {
            WriteError::Refused(t) if t.starts_with("404") => {
                GError::NotFound(format!("no service {service}"))
            }
            other => other.into(),
        })?;
    raw.get("ID")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| GError::Engine(format!("service {service} has no id")))
}

// ------------------------------------------------------------------------- rollback, retention

/// Roll back = publish version `n`'s content as a new version (with the same plan).
pub async fn rollback_plan(ctx: &Ctx, doc: &str, n: u64) -> Result<Plan, GError> {
    let (_, text) = read_version(ctx, doc, Kind::Document, Some(n)).await?;
    let mut p = plan(ctx, doc, &text, None).await?;
    p.rollback_of = Some(n);
    Ok(p)
}

/// Keep the newest `keep` versions of a document; delete older ones no service references
/// (in its spec or previous spec). Returns the names deleted.
pub async fn prune(ctx: &Ctx, doc: &str, keep: usize) -> Result<Vec<String>, GError> {
    let versions = list_versions(ctx, doc, Kind::Document).await?;
    let mut in_use = HashSet::new();
    for s in services(ctx).await? {
        for spec in [s.get("Spec"), s.get("PreviousSpec")].into_iter().flatten() {
            for r in config_refs(spec) {
                if let Some(id) = r.get("ConfigID").and_then(Value::as_str) {
                    in_use.insert(id.to_string());
                }
            }
        }
    }
    let mut deleted = Vec::new();
    for v in to_prune(&versions, keep, &in_use) {
        // a config still in use (a task of a service we did not see) is refused: keep it
        if write::call(
            &ctx.docker,
            Method::DELETE,
            &format!("/configs/{}", v.id),
            "",
            None,
        )
        .await
        .is_ok()
        {
            deleted.push(v.name.clone());
        }
    }
    Ok(deleted)
}
