//! Deploys for the wizard: what the form needs from the swarm (networks, secrets, configs,
//! published ports), creating a service (with its new networks, and registry credentials sent
//! as `X-Registry-Auth`), and editing one on its raw spec through the versioned core. Each
//! command runs as its own task and answers [`EngineMsg::DeployDone`] with its `seq`.

use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::write::{self, Applied, ObjectRef, WriteError};
use super::{Connection, EngineMsg, EngineOptions};
use crate::deploy::{DeploySpec, Protocol, RegistryAuth};
use crate::domain::ServiceId;

/// A deploy command from the wizard.
#[derive(Debug, Clone)]
pub enum DeployCmd {
    /// Read the networks, secrets, configs and published ports.
    Context,
    /// Create the networks marked new (attachable overlays), then the service, pulling
    /// with `registry`'s credentials (sent as `X-Registry-Auth`; never logged or shown).
    Create {
        spec: Value,
        networks: Vec<String>,
        registry: RegistryAuth,
    },
    /// Read a service's raw spec (to edit it).
    ReadSpec { id: String },
    /// Read a whole service object as raw JSON (its spec and previous spec: a rollback's
    /// diff; its spec: the command that recreates a removed service).
    ReadService { id: String },
    /// What `~/.docker/config.json` says about registries (no secret; no credential helper
    /// is run). Needs no connection.
    Registries,
    /// Write the form's changes (`original` → `edited`) onto the raw spec read right
    /// before, through the versioned core.
    Update {
        id: String,
        name: String,
        original: Box<DeploySpec>,
        edited: Box<DeploySpec>,
        registry: RegistryAuth,
    },
}

// A command carries a secret and specs: equal only when it is the same value, which the
// engine's command enum needs for its own derive.
impl PartialEq for DeployCmd {
    fn eq(&self, other: &Self) -> bool {
        format!("{self:?}") == format!("{other:?}")
    }
}
impl Eq for DeployCmd {}

impl DeployCmd {
    /// Whether it changes the swarm (refused in readonly mode).
    pub fn writes(&self) -> bool {
        matches!(self, DeployCmd::Create { .. } | DeployCmd::Update { .. })
    }
}

/// What the form needs from the swarm, besides the nodes and services the store has.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeployContext {
    /// Swarm-scoped networks (overlays) by name, with whether each is attachable.
    pub networks: Vec<(String, bool)>,
    /// Every network's (id, name), to show a service's networks by name.
    pub network_ids: Vec<(String, String)>,
    pub secrets: Vec<String>,
    pub configs: Vec<String>,
    /// Each service's published ports.
    pub ports: Vec<(String, Vec<(u16, Protocol)>)>,
}

/// What a deploy command answers.
#[derive(Debug, Clone, PartialEq)]
pub enum DeployAnswer {
    Context(Result<DeployContext, String>),
    /// The new service's id, and the engine's warnings.
    Created(Result<(String, Vec<String>), String>),
    Spec(Result<Value, String>),
    Updated(Result<write::WriteOutcome, String>),
    /// A whole service object ([`DeployCmd::ReadService`]).
    Service(Result<Value, String>),
    Registries(Result<crate::deploy::Registries, String>),
}

/// Run one deploy command as its own task.
pub(super) fn start(
    conn: Option<&Connection>,
    opts: &EngineOptions,
    seq: u64,
    cmd: DeployCmd,
    tx: &mpsc::Sender<EngineMsg>,
) {
    let tx = tx.clone();
    let readonly = opts.readonly;
    let audit = opts.audit_log.clone();
    let conn = conn.map(|c| (c.docker.clone(), c.endpoint.clone()));
    tokio::spawn(async move {
        let answer = match conn {
            _ if matches!(cmd, DeployCmd::Registries) => {
                DeployAnswer::Registries(read_registries())
            }
            _ if readonly && cmd.writes() => refused(&cmd, "swarmdeck runs in readonly mode"),
            None => refused(&cmd, "not connected to a manager"),
            Some((docker, endpoint)) => run(&docker, &endpoint, audit.as_deref(), cmd).await,
        };
        let _ = tx
            .send(EngineMsg::DeployDone {
                seq,
                answer: Box::new(answer),
            })
            .await;
    });
}

fn refused(cmd: &DeployCmd, why: &str) -> DeployAnswer {
    let e = format!("{why}; nothing was changed");
    match cmd {
        DeployCmd::Context => DeployAnswer::Context(Err(e)),
        DeployCmd::Create { .. } => DeployAnswer::Created(Err(e)),
        DeployCmd::ReadSpec { .. } => DeployAnswer::Spec(Err(e)),
        DeployCmd::Update { .. } => DeployAnswer::Updated(Err(e)),
        DeployCmd::ReadService { .. } => DeployAnswer::Service(Err(e)),
        DeployCmd::Registries => DeployAnswer::Registries(Err(e)),
    }
}

async fn get(docker: &bollard::Docker, path: &str) -> Result<Value, String> {
    let body = write::call(docker, hyper::Method::GET, path, "", None)
        .await
        .map_err(|e| e.to_string())?;
    serde_json::from_str(&body).map_err(|e| format!("{path}: the answer is not JSON: {e}"))
}

fn names(list: &Value) -> Vec<String> {
    let mut v: Vec<String> = list
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o.pointer("/Spec/Name").and_then(Value::as_str))
        .map(str::to_string)
        .collect();
    v.sort();
    v
}

/// The published ports of every service, from its endpoint spec (and what the engine
/// assigned).
pub fn published_ports(services: &Value) -> Vec<(String, Vec<(u16, Protocol)>)> {
    let mut out = Vec::new();
    for s in services.as_array().into_iter().flatten() {
        let name = s
            .pointer("/Spec/Name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let mut ports = Vec::new();
        for p in ["/Endpoint/Ports", "/Spec/EndpointSpec/Ports"] {
            for port in s.pointer(p).and_then(Value::as_array).into_iter().flatten() {
                let Some(n) = port
                    .get("PublishedPort")
                    .and_then(Value::as_u64)
                    .and_then(|n| u16::try_from(n).ok())
                    .filter(|n| *n > 0)
                else {
                    continue;
                };
                let proto = match port.get("Protocol").and_then(Value::as_str) {
                    Some("udp") => Protocol::Udp,
                    _ => Protocol::Tcp,
                };
                if !ports.contains(&(n, proto)) {
                    ports.push((n, proto));
                }
            }
        }
        out.push((name, ports));
    }
    out
}

async fn context(docker: &bollard::Docker) -> Result<DeployContext, String> {
    let all = get(docker, "/networks").await?;
    let network_ids = all
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| {
            Some((
                n.get("Id")?.as_str()?.to_string(),
                n.get("Name")?.as_str()?.to_string(),
            ))
        })
        .collect();
    let networks = all
        .as_array()
        .into_iter()
        .flatten()
        .filter(|n| n.get("Scope").and_then(Value::as_str) == Some("swarm"))
        .filter(|n| n.get("Ingress").and_then(Value::as_bool) != Some(true))
        .filter_map(|n| {
            Some((
                n.get("Name")?.as_str()?.to_string(),
                n.get("Attachable")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            ))
        })
        .collect();
    Ok(DeployContext {
        networks,
        network_ids,
        secrets: names(&get(docker, "/secrets").await?),
        configs: names(&get(docker, "/configs").await?),
        ports: published_ports(&get(docker, "/services").await?),
    })
}

fn record(
    audit: Option<&std::path::Path>,
    endpoint: &str,
    id: &str,
    name: &str,
    action: &str,
    after: Value,
    result: &str,
) {
    crate::audit::record(
        audit,
        crate::audit::Done {
            endpoint,
            kind: "service",
            id,
            name,
            action,
            after,
            result,
        },
    );
}

async fn run(
    docker: &bollard::Docker,
    endpoint: &str,
    audit: Option<&std::path::Path>,
    cmd: DeployCmd,
) -> DeployAnswer {
    match cmd {
        DeployCmd::Context => DeployAnswer::Context(context(docker).await),
        DeployCmd::ReadSpec { id } => DeployAnswer::Spec(
            write::read_raw(docker, &format!("/services/{id}"))
                .await
                .map_err(|e| e.to_string())
                .map(|v| v.get("Spec").cloned().unwrap_or(Value::Null)),
        ),
        DeployCmd::ReadService { id } => DeployAnswer::Service(
            write::read_raw(docker, &format!("/services/{id}"))
                .await
                .map_err(|e| e.to_string()),
        ),
        DeployCmd::Registries => DeployAnswer::Registries(read_registries()),
        DeployCmd::Create {
            spec,
            networks,
            registry,
        } => {
            let auth = match credentials(&registry).await {
                Ok(a) => a,
                Err(e) => return DeployAnswer::Created(Err(e)),
            };
            let name = spec
                .get("Name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            for n in &networks {
                let body = json!({"Name": n, "Driver": "overlay", "Attachable": true, "CheckDuplicate": true});
                if let Err(e) = write::call(
                    docker,
                    hyper::Method::POST,
                    "/networks/create",
                    "",
                    Some(&body),
                )
                .await
                {
                    let msg =
                        format!("the network {n} could not be created: {e}; nothing else was done");
                    record(
                        audit,
                        endpoint,
                        "",
                        &name,
                        &format!("create network {n}"),
                        Value::Null,
                        &msg,
                    );
                    return DeployAnswer::Created(Err(msg));
                }
                record(
                    audit,
                    endpoint,
                    "",
                    &name,
                    &format!("create network {n} (attachable overlay)"),
                    Value::Null,
                    "ok",
                );
            }
            // the engine wants ids for secrets and configs: read right before
            let mut spec = spec;
            let ids = |v: &Value| -> Vec<(String, String)> {
                v.as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|o| {
                        Some((
                            o.get("ID")?.as_str()?.to_string(),
                            o.pointer("/Spec/Name")?.as_str()?.to_string(),
                        ))
                    })
                    .collect()
            };
            let (secrets, configs) =
                match (get(docker, "/secrets").await, get(docker, "/configs").await) {
                    (Ok(s), Ok(c)) => (ids(&s), ids(&c)),
                    (Err(e), _) | (_, Err(e)) => {
                        return DeployAnswer::Created(Err(format!("{e}; nothing was deployed")));
                    }
                };
            if let Err(e) = crate::deploy::resolve_refs(&mut spec, &secrets, &configs) {
                return DeployAnswer::Created(Err(format!("{e}; nothing was deployed")));
            }
            let answer =
                write::post_with_auth(docker, "/services/create", "", &spec, auth.as_deref()).await;
            let with = if auth.is_some() {
                " (with registry credentials)"
            } else {
                ""
            };
            match answer {
                Ok(body) => {
                    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                    let id = v
                        .get("ID")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string();
                    let warnings = v
                        .get("Warnings")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect();
                    record(
                        audit,
                        endpoint,
                        &id,
                        &name,
                        &format!("create service{with}"),
                        spec.clone(),
                        "ok",
                    );
                    DeployAnswer::Created(Ok((id, warnings)))
                }
                Err(e) => {
                    let msg = e.to_string();
                    record(
                        audit,
                        endpoint,
                        "",
                        &name,
                        &format!("create service{with}"),
                        spec.clone(),
                        &msg,
                    );
                    DeployAnswer::Created(Err(msg))
                }
            }
        }
        DeployCmd::Update {
            id,
            name,
            original,
            edited,
            registry,
        } => {
            let auth = match credentials(&registry).await {
                Ok(a) => a,
                Err(e) => return DeployAnswer::Updated(Err(e)),
            };
            let target = ObjectRef::Service(ServiceId(id.clone()));
            let result = write::update_versioned_auth(
                docker,
                &target,
                |_seen, spec| {
                    let merged = crate::deploy::merge_onto(spec, &original, &edited);
                    if &merged == spec {
                        return Ok(Applied::Already);
                    }
                    *spec = merged;
                    Ok::<_, WriteError>(Applied::Changed)
                },
                |_| {},
                auth.as_deref(),
            )
            .await;
            let r = match &result {
                Ok(_) => "ok".to_string(),
                Err(e) => e.to_string(),
            };
            let after = result
                .as_ref()
                .map(|o| o.after.clone())
                .unwrap_or(Value::Null);
            record(
                audit,
                endpoint,
                &id,
                &name,
                "edit service (deploy form)",
                after,
                &r,
            );
            DeployAnswer::Updated(result.map_err(|e| e.to_string()))
        }
    }
}

/// The `X-Registry-Auth` value for a deploy (None: no credentials): typed into the form, or
/// from the docker config through [`config_auth`]. Nothing of it is logged.
async fn credentials(registry: &RegistryAuth) -> Result<Option<String>, String> {
    match registry {
        RegistryAuth::None => Ok(None),
        RegistryAuth::Typed {
            server,
            username,
            password,
        } => Ok(Some(crate::deploy::registry_auth_header(
            username, password, server,
        ))),
        RegistryAuth::FromConfig { server } => match config_auth(server).await? {
            Some(a) => Ok(Some(a)),
            None => Err(format!(
                "{} has no credentials for {server}; nothing was deployed",
                docker_config_path().map_or_else(
                    || "~/.docker/config.json".to_string(),
                    |p| p.display().to_string()
                )
            )),
        },
    }
}

/// The `X-Registry-Auth` value for `server` from the docker config (`~/.docker/config.json`
/// or `$DOCKER_CONFIG/config.json`): its credential helper for the server (`credHelpers`,
/// else `credsStore`), else the `auths` entry ([`crate::deploy::stored_auth`]). None when
/// the file or the helper has nothing for it. The one way the deploy wizard and an image
/// update read stored credentials; nothing of it is logged.
pub async fn config_auth(server: &str) -> Result<Option<String>, String> {
    use crate::deploy::StoredAuth;
    let Some((_, cfg)) = read_docker_config()? else {
        return Ok(None);
    };
    let mut stored = crate::deploy::stored_auth(&cfg, server);
    if let StoredAuth::Helper(h) = &stored {
        stored = match credential_helper(h, server).await? {
            Some(out) => crate::deploy::helper_output(&out)?,
            None => StoredAuth::Missing,
        };
    }
    Ok(match stored {
        StoredAuth::Basic { username, password } => Some(crate::deploy::registry_auth_header(
            &username, &password, server,
        )),
        StoredAuth::Token(t) => Some(crate::deploy::registry_token_header(&t, server)),
        StoredAuth::Helper(_) | StoredAuth::Missing => None,
    })
}

/// The docker config file: `$DOCKER_CONFIG/config.json` (when set and not empty), else
/// `~/.docker/config.json`.
pub fn docker_config_path() -> Option<std::path::PathBuf> {
    crate::contexts::config_dir().map(|d| d.join("config.json"))
}

/// The docker config file parsed, with its path; None when there is no such file.
pub fn read_docker_config() -> Result<Option<(std::path::PathBuf, Value)>, String> {
    let path = docker_config_path().ok_or("no home directory for ~/.docker/config.json")?;
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let cfg: Value =
        serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
    Ok(Some((path, cfg)))
}

/// What the docker config says about registries, for `:registries`: no secret leaves here
/// (a stored password is decoded only to read the user), and no helper is run.
pub fn read_registries() -> Result<crate::deploy::Registries, String> {
    let path = docker_config_path().ok_or("no home directory for ~/.docker/config.json")?;
    let Some((path, cfg)) = read_docker_config()? else {
        return Ok(crate::deploy::Registries {
            path: path.display().to_string(),
            ..Default::default()
        });
    };
    let (known, store) = crate::deploy::known_registries(&cfg);
    Ok(crate::deploy::Registries {
        path: path.display().to_string(),
        found: true,
        known,
        store,
    })
}

/// `docker-credential-HELPER get`, the server on its stdin, as the docker CLI does (10 s);
/// its answer (which holds the secret) goes to [`crate::deploy::helper_output`] only. None:
/// the helper answered that it has nothing for the server (a non-zero exit).
async fn credential_helper(helper: &str, server: &str) -> Result<Option<String>, String> {
    use tokio::io::AsyncWriteExt;
    let prog = format!("docker-credential-{helper}");
    let mut child = tokio::process::Command::new(&prog)
        .arg("get")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("{prog}: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(server.as_bytes()).await;
    }
    let out = tokio::time::timeout(std::time::Duration::from_secs(10), child.wait_with_output())
        .await
        .map_err(|_| format!("{prog} did not answer within 10 s"))?
        .map_err(|e| format!("{prog}: {e}"))?;
    if !out.status.success() {
        return Ok(None);
    }
    String::from_utf8(out.stdout)
        .map(Some)
        .map_err(|_| format!("{prog} did not answer text"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::Secret;

    #[test]
    fn published_ports_come_from_the_endpoint_and_its_spec() {
        let services = json!([
            {"Spec": {"Name": "web", "EndpointSpec": {"Ports": [{"TargetPort": 80, "PublishedPort": 8080, "Protocol": "tcp"}]}},
             "Endpoint": {"Ports": [{"TargetPort": 80, "PublishedPort": 8080, "Protocol": "tcp"}, {"TargetPort": 53, "PublishedPort": 30053, "Protocol": "udp"}]}},
            {"Spec": {"Name": "worker"}}
        ]);
        let p = published_ports(&services);
        assert_eq!(
            p,
            vec![
                (
                    "web".to_string(),
                    vec![(8080, Protocol::Tcp), (30053, Protocol::Udp)]
                ),
                ("worker".to_string(), vec![])
            ]
        );
    }

    #[test]
    fn a_command_with_credentials_never_prints_them() {
        let cmd = DeployCmd::Create {
            spec: json!({"Name": "x"}),
            networks: vec![],
            registry: RegistryAuth::Typed {
                server: "198.51.100.5:5000".into(),
                username: "lab".into(),
                password: Secret::new("s3cret+/pw".to_string()),
            },
        };
        assert!(cmd.writes());
        assert!(!format!("{cmd:?}").contains("s3cret"));
    }
}
