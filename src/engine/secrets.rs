//! Secrets and configs for the `:secrets` and `:configs` popups: lists (with the services
//! that mount each object), creates (from a typed value or a file read here, off the UI
//! task), deletes (refused while a service mounts the object) and secret rotations (a new
//! `NAME.vN+1`, then every service using the old one moved to it at the same targets by the
//! global config's rollout core, [`crate::gconfig::io::rotate_secret`]). Each command runs
//! as its own task and answers [`EngineMsg::SecretsDone`] with its `seq`; a rotation's
//! progress goes out as [`EngineMsg::ConfigRollout`] with the same `seq`, before the answer.
//!
//! A secret's value travels as [`SecretBytes`] (wiped when dropped, never printed); it is
//! sent once, as standard base64 in `Data`, and is never written to the audit log, a
//! message or an error.

use std::collections::BTreeMap;
use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hyper::Method;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use zeroize::{Zeroize, Zeroizing};

use super::{Connection, EngineMsg, EngineOptions, fetch, write};
use crate::domain::secrets::{self, ObjectKind, check_size, family, users, users_text};
use crate::domain::{Config, Secret, SecretBytes, ServiceRefs, Unreadable};
use crate::gconfig::io::{self as gio, RolloutOptions, RolloutReport, SecretUser};

/// Where an object's data comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum Payload {
    /// Typed in the dashboard (a secret's value: masked, never shown).
    Typed(SecretBytes),
    /// A file on this host, read by the engine task right before the create.
    File(PathBuf),
}

impl std::fmt::Debug for Payload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Payload::Typed(b) => write!(f, "Typed({b:?})"),
            Payload::File(p) => write!(f, "File({})", p.display()),
        }
    }
}

/// A secrets-or-configs command from a popup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretsCmd {
    /// Every secret, and what every service mounts.
    ListSecrets,
    /// Every config (with its data), and what every service mounts.
    ListConfigs,
    /// Create a secret or a config (`POST /secrets/create`, `/configs/create`).
    Create {
        kind: ObjectKind,
        name: String,
        labels: BTreeMap<String, String>,
        data: Payload,
    },
    /// Delete one, unless a service mounts it (checked right before).
    Delete {
        kind: ObjectKind,
        id: String,
        name: String,
    },
    /// Rotate secret `id` (`name`): create `new_name` with `data` and the old one's labels,
    /// then move every service that mounts the old one to it at the same targets.
    Rotate {
        id: String,
        name: String,
        new_name: String,
        data: Payload,
    },
}

impl SecretsCmd {
    /// Whether it changes the swarm (refused in readonly mode).
    pub fn writes(&self) -> bool {
        !matches!(self, SecretsCmd::ListSecrets | SecretsCmd::ListConfigs)
    }
}

/// A list as read, with what every service mounts and what could not be read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Listed<T> {
    pub items: Vec<T>,
    pub services: Vec<ServiceRefs>,
    pub unreadable: Vec<Unreadable>,
}

/// An object that was created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub kind: ObjectKind,
    pub id: String,
    pub name: String,
    /// Bytes of data.
    pub size: usize,
}

/// A rotation that created its new secret: the rollout's report (which services were
/// moved, and where it stopped if it did).
#[derive(Debug, Clone, PartialEq)]
pub struct Rotated {
    pub created: Created,
    /// The services that mounted the old secret, in rollout order.
    pub users: Vec<SecretUser>,
    pub report: RolloutReport,
}

/// What a secrets command answers. Errors are for the user, and never carry a value.
#[derive(Debug, Clone, PartialEq)]
pub enum SecretsAnswer {
    Secrets(Result<Listed<Secret>, String>),
    Configs(Result<Listed<Config>, String>),
    Created(Result<Created, String>),
    /// The kind and name deleted.
    Deleted(Result<(ObjectKind, String), String>),
    /// The new secret was not created (and nothing moved), or the rollout's report.
    Rotated(Result<Box<Rotated>, String>),
}

/// Run one command as its own task; answer [`EngineMsg::SecretsDone`] with `seq`.
pub(super) fn start(
    conn: Option<&Connection>,
    opts: &EngineOptions,
    seq: u64,
    cmd: SecretsCmd,
    tx: &mpsc::Sender<EngineMsg>,
) {
    let tx = tx.clone();
    let readonly = opts.readonly;
    let ctx = conn.map(|c| gio::Ctx {
        docker: c.docker.clone(),
        endpoint: c.endpoint.clone(),
        audit: opts.audit_log.clone(),
    });
    tokio::spawn(async move {
        let answer = match ctx {
            _ if readonly && cmd.writes() => refused(&cmd, "swarmdeck runs in readonly mode"),
            None => refused(&cmd, "not connected to a manager"),
            Some(ctx) => run(&ctx, seq, cmd, &tx).await,
        };
        let _ = tx
            .send(EngineMsg::SecretsDone {
                seq,
                answer: Box::new(answer),
            })
            .await;
    });
}

fn refused(cmd: &SecretsCmd, why: &str) -> SecretsAnswer {
    let e = format!("{why}; nothing was changed");
    match cmd {
        SecretsCmd::ListSecrets => SecretsAnswer::Secrets(Err(e)),
        SecretsCmd::ListConfigs => SecretsAnswer::Configs(Err(e)),
        SecretsCmd::Create { .. } => SecretsAnswer::Created(Err(e)),
        SecretsCmd::Delete { .. } => SecretsAnswer::Deleted(Err(e)),
        SecretsCmd::Rotate { .. } => SecretsAnswer::Rotated(Err(e)),
    }
}

async fn run(
    ctx: &gio::Ctx,
    seq: u64,
    cmd: SecretsCmd,
    tx: &mpsc::Sender<EngineMsg>,
) -> SecretsAnswer {
    match cmd {
        SecretsCmd::ListSecrets => {
            SecretsAnswer::Secrets(list(ctx, fetch::secrets(&ctx.docker).await).await)
        }
        SecretsCmd::ListConfigs => {
            SecretsAnswer::Configs(list(ctx, fetch::configs(&ctx.docker).await).await)
        }
        SecretsCmd::Create {
            kind,
            name,
            labels,
            data,
        } => SecretsAnswer::Created(create(ctx, kind, &name, &labels, data, "").await),
        SecretsCmd::Delete { kind, id, name } => {
            SecretsAnswer::Deleted(delete(ctx, kind, &id, &name).await.map(|()| (kind, name)))
        }
        SecretsCmd::Rotate {
            id,
            name,
            new_name,
            data,
        } => {
            // progress goes out in order, before the final answer
            let (ev_tx, mut ev_rx) = mpsc::unbounded_channel();
            let fwd_tx = tx.clone();
            let forward = tokio::spawn(async move {
                while let Some(event) = ev_rx.recv().await {
                    let _ = fwd_tx.send(EngineMsg::ConfigRollout { seq, event }).await;
                }
            });
            let answer = {
                // owned here: dropped at the end of the block, which ends the forwarder
                let on_event = move |e| {
                    let _ = ev_tx.send(e);
                };
                rotate(ctx, &id, &name, &new_name, data, on_event).await
            };
            let _ = forward.await;
            SecretsAnswer::Rotated(answer.map(Box::new))
        }
    }
}

async fn list<T>(
    ctx: &gio::Ctx,
    items: Result<fetch::Fetched<T>, fetch::FetchError>,
) -> Result<Listed<T>, String> {
    let items = items.map_err(|e| e.to_string())?;
    let services = fetch::service_refs(&ctx.docker)
        .await
        .map_err(|e| format!("reading the services: {e}"))?;
    let mut unreadable = items.unreadable;
    unreadable.extend(services.unreadable);
    Ok(Listed {
        items: items.items,
        services: services.items,
        unreadable,
    })
}

/// Record what was done to a secret or config (never its data). Best effort.
fn record(
    ctx: &gio::Ctx,
    kind: ObjectKind,
    (id, name): (&str, &str),
    action: &str,
    after: Value,
    result: &str,
) {
    crate::audit::record(
        ctx.audit.as_deref(),
        crate::audit::Done {
            endpoint: &ctx.endpoint,
            kind: kind.word(),
            id,
            name,
            action,
            after,
            result,
        },
    );
}

/// The data to send: a typed value as it is, a file read now (its size checked before it is
/// read whole). Wiped when dropped.
async fn resolve(kind: ObjectKind, data: Payload) -> Result<(Zeroizing<Vec<u8>>, String), String> {
    match data {
        Payload::Typed(bytes) => {
            check_size(kind, bytes.len())?;
            Ok((bytes.into_bytes(), String::new()))
        }
        Payload::File(path) => {
            let shown = crate::text::printable(&path.display().to_string()).into_owned();
            let name = shown.clone();
            let read = tokio::task::spawn_blocking(move || {
                let meta =
                    std::fs::metadata(&path).map_err(|e| format!("cannot read {name}: {e}"))?;
                if !meta.is_file() {
                    return Err(format!("{name} is not a file"));
                }
                let len = usize::try_from(meta.len()).unwrap_or(usize::MAX);
                check_size(kind, len).map_err(|e| format!("{name}: {e}"))?;
                let bytes = Zeroizing::new(
                    std::fs::read(&path).map_err(|e| format!("cannot read {name}: {e}"))?,
                );
                // it may have changed in between
                check_size(kind, bytes.len()).map_err(|e| format!("{name}: {e}"))?;
                Ok(bytes)
            })
            .await
            .map_err(|e| format!("reading {shown}: {e}"))??;
            Ok((read, format!(" from {shown}")))
        }
    }
}

async fn create(
    ctx: &gio::Ctx,
    kind: ObjectKind,
    name: &str,
    labels: &BTreeMap<String, String>,
    data: Payload,
    note: &str,
) -> Result<Created, String> {
    let word = kind.word();
    if !secrets::valid_name(name) {
        return Err(format!(
            "{name:?} is not a valid {word} name; nothing was created"
        ));
    }
    let (bytes, from) = match resolve(kind, data).await {
        Ok(b) => b,
        Err(e) => {
            let action = format!("create {word} {name}{note}");
            record(
                ctx,
                kind,
                ("", name),
                &action,
                Value::Null,
                &format!("error: {e}"),
            );
            return Err(format!("{e}; nothing was created"));
        }
    };
    let size = bytes.len();
    let action = format!("create {word} {name} ({size} bytes{from}){note}");
    let mut body = json!({"Name": name, "Labels": labels, "Data": STANDARD.encode(&*bytes)});
    drop(bytes);
    let path = match kind {
        ObjectKind::Secret => "/secrets/create",
        ObjectKind::Config => "/configs/create",
    };
    let result = write::call(&ctx.docker, Method::POST, path, "", Some(&body)).await;
    // the encoded value goes too, as soon as it is sent
    if let Some(Value::String(d)) = body.get_mut("Data") {
        d.zeroize();
    }
    drop(body);
    match result {
        Ok(answer) => {
            let id = serde_json::from_str::<Value>(&answer)
                .ok()
                .and_then(|a| a.get("ID").and_then(Value::as_str).map(str::to_string))
                .unwrap_or_default();
            record(
                ctx,
                kind,
                (&id, name),
                &action,
                json!({"Labels": labels}),
                "ok",
            );
            Ok(Created {
                kind,
                id,
                name: name.to_string(),
                size,
            })
        }
        Err(e) => {
            let text = match &e {
                write::CallError::Engine { status, message }
                    if *status == 409 || message.to_lowercase().contains("already exists") =>
                {
                    format!("a {word} named {name} exists already")
                }
                other => other.to_string(),
            };
            record(
                ctx,
                kind,
                ("", name),
                &action,
                Value::Null,
                &format!("error: {text}"),
            );
            Err(format!("{text}; nothing was created"))
        }
    }
}

/// The services that mount an object now, read right before.
async fn users_now(
    ctx: &gio::Ctx,
    kind: ObjectKind,
    id: &str,
    name: &str,
) -> Result<Vec<crate::domain::User>, String> {
    let services = fetch::service_refs(&ctx.docker)
        .await
        .map_err(|e| format!("reading the services: {e}"))?;
    Ok(users(&services.items, kind, id, name))
}

async fn delete(ctx: &gio::Ctx, kind: ObjectKind, id: &str, name: &str) -> Result<(), String> {
    let word = kind.word();
    let action = format!("delete {word} {name}");
    let used = users_now(ctx, kind, id, name).await?;
    if !used.is_empty() {
        let why = format!("used by {}", users_text(&used));
        record(
            ctx,
            kind,
            (id, name),
            &action,
            Value::Null,
            &format!("refused: {why}"),
        );
        return Err(format!("{name} is {why}; nothing was deleted"));
    }
    let path = match kind {
        ObjectKind::Secret => format!("/secrets/{id}"),
        ObjectKind::Config => format!("/configs/{id}"),
    };
    match write::call(&ctx.docker, Method::DELETE, &path, "", None).await {
        Ok(_) => {
            record(ctx, kind, (id, name), &action, Value::Null, "ok");
            Ok(())
        }
        Err(e) => {
            record(
                ctx,
                kind,
                (id, name),
                &action,
                Value::Null,
                &format!("error: {e}"),
            );
            Err(format!("{e}; nothing was deleted"))
        }
    }
}

/// Who mounts secret `id`, one entry per service with all its targets.
fn secret_users(services: &[ServiceRefs], id: &str, name: &str) -> Vec<SecretUser> {
    let mut out: Vec<SecretUser> = Vec::new();
    for u in users(services, ObjectKind::Secret, id, name) {
        match out.iter_mut().find(|s| s.id == u.service_id.as_str()) {
            Some(s) => s.targets.push(u.target),
            None => out.push(SecretUser {
                id: u.service_id.0.clone(),
                name: u.service,
                targets: vec![u.target],
            }),
        }
    }
    out
}

async fn rotate(
    ctx: &gio::Ctx,
    id: &str,
    name: &str,
    new_name: &str,
    data: Payload,
    on_event: impl FnMut(crate::gconfig::io::RolloutEvent),
) -> Result<Rotated, String> {
    let (base, _) = family(name);
    let (new_base, n) = family(new_name);
    if new_base != base || n < 2 {
        return Err(format!(
            "{new_name} is not a later version of {name}; nothing was created"
        ));
    }
    // the old one as it is now: it must still exist; its labels go to the new one
    let old = write::read_raw(&ctx.docker, &format!("/secrets/{id}"))
        .await
        .map_err(|e| format!("reading secret {name}: {e}; nothing was created"))?;
    let labels: BTreeMap<String, String> = old
        .pointer("/Spec/Labels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    let services = fetch::service_refs(&ctx.docker)
        .await
        .map_err(|e| format!("reading the services: {e}; nothing was created"))?;
    let users = secret_users(&services.items, id, name);
    let created = create(
        ctx,
        ObjectKind::Secret,
        new_name,
        &labels,
        data,
        &format!(", rotation of {name}"),
    )
    .await?;
    let report = gio::rotate_secret(
        ctx,
        base,
        (n, created.id.as_str(), created.name.as_str()),
        &users,
        &RolloutOptions::default(),
        on_event,
    )
    .await;
    Ok(Rotated {
        created,
        users,
        report,
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::engine::{EngineCmd, recv_until, spawn_with};

    async fn answer(readonly: bool, cmd: SecretsCmd) -> SecretsAnswer {
        let dir = tempfile::tempdir().expect("tempdir");
        let ep = format!("unix://{}/none.sock", dir.path().display());
        let mut engine = spawn_with(
            vec![ep],
            EngineOptions {
                readonly,
                ..Default::default()
            },
        );
        engine
            .cmd
            .send(EngineCmd::Secrets {
                seq: 9,
                cmd: Box::new(cmd),
            })
            .expect("send");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while let Some(msg) = recv_until(&mut engine.rx, deadline).await {
            if let EngineMsg::SecretsDone { seq, answer } = msg {
                assert_eq!(seq, 9);
                return *answer;
            }
        }
        panic!("no SecretsDone within 10 s");
    }

    #[tokio::test]
    async fn writes_are_refused_in_readonly_mode_and_without_a_manager() {
        let value = "correct-horse-battery";
        let create = SecretsCmd::Create {
            kind: ObjectKind::Secret,
            name: "db-password".into(),
            labels: BTreeMap::new(),
            data: Payload::Typed(SecretBytes::new(value.as_bytes().to_vec())),
        };
        // the command prints without its value
        assert!(!format!("{create:?}").contains(value));
        let a = answer(true, create.clone()).await;
        assert!(
            matches!(&a, SecretsAnswer::Created(Err(t)) if t.contains("readonly")),
            "{a:?}"
        );
        assert!(!format!("{a:?}").contains(value));
        let a = answer(false, create).await;
        assert!(
            matches!(&a, SecretsAnswer::Created(Err(t)) if t.contains("not connected")),
            "{a:?}"
        );
        let a = answer(true, SecretsCmd::ListSecrets).await;
        assert!(
            matches!(&a, SecretsAnswer::Secrets(Err(t)) if t.contains("not connected")),
            "a list is not a write: {a:?}"
        );
        let a = answer(
            true,
            SecretsCmd::Rotate {
                id: "s".into(),
                name: "x".into(),
                new_name: "x.v2".into(),
                data: Payload::File("/nonexistent".into()),
            },
        )
        .await;
        assert!(
            matches!(&a, SecretsAnswer::Rotated(Err(t)) if t.contains("readonly")),
            "{a:?}"
        );
    }

    #[tokio::test]
    async fn a_file_is_checked_for_size_before_it_is_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'x'; 500 * 1024]).expect("write");
        let e = resolve(ObjectKind::Secret, Payload::File(big.clone()))
            .await
            .unwrap_err();
        assert!(e.contains("less than 500 KiB"), "{e}");
        // a config may be that big
        let (b, from) = resolve(ObjectKind::Config, Payload::File(big.clone()))
            .await
            .expect("a config of 500 KiB");
        assert_eq!(b.len(), 500 * 1024);
        assert!(from.contains("big"), "{from}");
        let empty = dir.path().join("empty");
        std::fs::write(&empty, b"").expect("write");
        assert!(
            resolve(ObjectKind::Config, Payload::File(empty))
                .await
                .unwrap_err()
                .contains("empty")
        );
        assert!(
            resolve(ObjectKind::Secret, Payload::File(dir.path().to_path_buf()))
                .await
                .unwrap_err()
                .contains("not a file")
        );
    }

    /// A create, a rotation that moves one service (followed until its task runs the new
    /// secret) and a delete through a fake engine: what was sent, what the service spec
    /// became, and an audit log that holds neither the value nor its base64.
    #[tokio::test]
    async fn create_rotate_and_delete_through_a_fake_engine_audit_no_value() {
        use crate::engine::write::tests::fake;
        let value = "v4lue-+/-WITH-symbols==";
        let second = "second+/VALUE??";
        let service = json!({
            "ID": "svc1",
            "Version": {"Index": 10},
            "Spec": {
                "Name": "rx_db",
                "Labels": {"keep": "me"},
                "TaskTemplate": {"ContainerSpec": {
                    "Image": "busybox",
                    "Healthcheck": {"Test": ["CMD", "true"]},
                    "Secrets": [
                        {"File": {"Name": "db_password", "UID": "0", "GID": "0", "Mode": 292},
                         "SecretID": "s1", "SecretName": "db-password"},
                        {"File": {"Name": "other", "UID": "0", "GID": "0", "Mode": 292},
                         "SecretID": "s9", "SecretName": "unrelated"}
                    ]
                }},
                "Mode": {"Replicated": {"Replicas": 1}}
            }
        });
        let task = json!({
            "ID": "t1", "ServiceID": "svc1", "NodeID": "n1", "Slot": 1,
            "CreatedAt": "2026-12-01T20:00:00Z", "DesiredState": "running",
            "Status": {"State": "running"},
            "Spec": {"ContainerSpec": {"Secrets": [
                {"File": {"Name": "db_password"}, "SecretName": "db-password.v2"}
            ]}}
        });
        let state = fake::with(&[
            (
                "/secrets/s1",
                json!({"ID": "s1", "Version": {"Index": 5},
                       "Spec": {"Name": "db-password", "Labels": {"team": "db"}}}),
            ),
            ("/services", json!([service.clone()])),
            ("/services/svc1", service),
            ("/tasks", json!([task])),
            (
                "/nodes",
                json!([{"ID": "n1", "Description": {"Hostname": "node1"}}]),
            ),
        ]);
        let (dir, socket) = fake::unix(state.clone()).await;
        let docker = bollard::Docker::connect_with_unix(&socket, 5, bollard::API_DEFAULT_VERSION)
            .expect("docker");
        let audit = dir.path().join("audit.jsonl");
        let ctx = gio::Ctx {
            docker,
            endpoint: socket.clone(),
            audit: Some(audit.clone()),
        };
        let (tx, mut rx) = mpsc::channel(64);
        let typed = |v: &str| Payload::Typed(SecretBytes::new(v.as_bytes().to_vec()));

        let a = run(
            &ctx,
            1,
            SecretsCmd::Create {
                kind: ObjectKind::Secret,
                name: "api-key".into(),
                labels: BTreeMap::from([("team".into(), "api".into())]),
                data: typed(value),
            },
            &tx,
        )
        .await;
        assert!(
            matches!(&a, SecretsAnswer::Created(Ok(c)) if c.name == "api-key" && c.size == value.len()),
            "{a:?}"
        );
        // the name is taken now: refused, nothing created
        let a = run(
            &ctx,
            2,
            SecretsCmd::Create {
                kind: ObjectKind::Secret,
                name: "api-key".into(),
                labels: BTreeMap::new(),
                data: typed(value),
            },
            &tx,
        )
        .await;
        assert!(
            matches!(&a, SecretsAnswer::Created(Err(e)) if e.contains("exists already")),
            "{a:?}"
        );

        let a = run(
            &ctx,
            3,
            SecretsCmd::Rotate {
                id: "s1".into(),
                name: "db-password".into(),
                new_name: "db-password.v2".into(),
                data: typed(second),
            },
            &tx,
        )
        .await;
        let SecretsAnswer::Rotated(Ok(r)) = &a else {
            panic!("{a:?}");
        };
        assert!(r.report.ok(), "{:?}", r.report);
        assert_eq!(r.report.moved.len(), 1);
        assert_eq!(r.users[0].targets, ["db_password"]);
        // progress went out first, with the rotation's seq
        let mut events = Vec::new();
        while let Ok(m) = rx.try_recv() {
            if let EngineMsg::ConfigRollout { seq, event } = m {
                assert_eq!(seq, 3);
                events.push(event);
            }
        }
        assert!(
            matches!(events.last(), Some(gio::RolloutEvent::Done { service, noop: false }) if service == "rx_db"),
            "{events:?}"
        );
        {
            let s = state.lock().expect("state");
            let spec = &s.objects["/services/svc1"]["Spec"];
            let refs = spec["TaskTemplate"]["ContainerSpec"]["Secrets"]
                .as_array()
                .expect("refs");
            assert_eq!(refs.len(), 2, "replaced, not added: {refs:?}");
            assert_eq!(refs[0]["File"]["Name"], "db_password");
            assert_eq!(refs[0]["SecretName"], "db-password.v2");
            assert_eq!(refs[0]["SecretID"], r.created.id.as_str());
            assert_eq!(refs[1]["SecretName"], "unrelated", "another secret is kept");
            assert_eq!(spec["Labels"]["keep"], "me");
            assert!(
                spec["TaskTemplate"]["ContainerSpec"]["Healthcheck"].is_object(),
                "what we do not touch goes back as read"
            );
            // the new secret has the old one's labels and the value, base64
            let created: Vec<&fake::Got> = s
                .got
                .iter()
                .filter(|g| g.target == "/secrets/create")
                .collect();
            assert_eq!(created.len(), 3);
            let body: Value = serde_json::from_str(&created[2].body).expect("json");
            assert_eq!(body["Name"], "db-password.v2");
            assert_eq!(body["Labels"]["team"], "db");
            assert_eq!(body["Data"], STANDARD.encode(second));
        }

        // the old one is not used any more: deleted; the new one is: refused
        let a = run(
            &ctx,
            4,
            SecretsCmd::Delete {
                kind: ObjectKind::Secret,
                id: "s1".into(),
                name: "db-password".into(),
            },
            &tx,
        )
        .await;
        // the list the engine reads (`/services`) still has the old spec in this fake: the
        // refusal names the service, which is what a real engine's list would say
        assert!(
            matches!(&a, SecretsAnswer::Deleted(Err(e)) if e.contains("used by rx_db (target db_password)")),
            "{a:?}"
        );
        {
            let mut s = state.lock().expect("state");
            let moved = s.objects["/services/svc1"].clone();
            s.objects.insert("/services".into(), json!([moved]));
        }
        let a = run(
            &ctx,
            5,
            SecretsCmd::Delete {
                kind: ObjectKind::Secret,
                id: "s1".into(),
                name: "db-password".into(),
            },
            &tx,
        )
        .await;
        assert!(
            matches!(&a, SecretsAnswer::Deleted(Ok((_, n))) if n == "db-password"),
            "{a:?}"
        );

        let log = std::fs::read_to_string(&audit).expect("the audit log");
        let entries: Vec<&str> = log.lines().collect();
        assert!(entries.len() >= 5, "{log}");
        for v in [value, second] {
            for needle in [v.to_string(), STANDARD.encode(v)] {
                assert!(!log.contains(&needle), "{needle} in the audit log:\n{log}");
            }
        }
        assert!(log.contains("create secret api-key (23 bytes)"), "{log}");
        assert!(
            log.contains("create secret db-password.v2 (15 bytes), rotation of db-password"),
            "{log}"
        );
        assert!(
            log.contains("rotate secret db-password: db-password.v2 at db_password"),
            "{log}"
        );
        assert!(log.contains("refused: used by rx_db"), "{log}");
        assert!(
            log.contains("\"action\":\"delete secret db-password\""),
            "{log}"
        );
    }

    #[test]
    fn a_service_mounting_a_secret_twice_is_one_user_with_both_targets() {
        let refs = |targets: &[&str]| {
            targets
                .iter()
                .map(|t| crate::domain::Mounted {
                    id: "s1".into(),
                    name: "pw".into(),
                    target: (*t).into(),
                })
                .collect()
        };
        let services = vec![
            ServiceRefs {
                id: crate::domain::ServiceId("a".into()),
                name: "app".into(),
                secrets: refs(&["pw", "pw2"]),
                configs: vec![],
            },
            ServiceRefs {
                id: crate::domain::ServiceId("b".into()),
                name: "db".into(),
                secrets: refs(&["pw"]),
                configs: vec![],
            },
        ];
        let u = secret_users(&services, "s1", "pw");
        assert_eq!(u.len(), 2);
        assert_eq!(u[0].name, "app");
        assert_eq!(u[0].targets, ["pw", "pw2"]);
        assert_eq!(u[1].targets, ["pw"]);
    }
}
