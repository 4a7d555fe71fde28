//! The resource popups' engine side (`:cluster`, `:networks`, `:volumes`): reading the
//! swarm, its networks and this engine's volumes with what the services use of them, and
//! creating or removing an overlay network. Each command runs as its own task and answers
//! [`EngineMsg::ClusterDone`] with its `seq`, routed to the popup that asked. All raw JSON
//! through `write::call` / `write::read_raw` (the same connection as every write), turned
//! into domain types in `domain::convert`. Rotating a join token is a versioned write
//! ([`super::WriteChange::RotateJoinToken`]), not one of these.

use serde_json::Value;
use tokio::sync::mpsc;

use super::write;
use super::{Connection, EngineMsg, EngineOptions};
use crate::domain::cluster::{self, NewNetwork, ServiceUse};
use crate::domain::convert;

/// A command from a resource popup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterCmd {
    /// `GET /swarm`.
    Swarm,
    /// `GET /networks` and `/services` (which services attach where).
    Networks,
    /// `GET /volumes` (this engine's) and `/services` (the mounts they declare).
    Volumes,
    /// Create an attachable overlay (checked by the form first).
    CreateNetwork(NewNetwork),
    /// Remove a network, after checking again right before that no service attaches.
    RemoveNetwork { id: String, name: String },
}

impl ClusterCmd {
    /// Whether it changes the swarm (refused in readonly mode).
    pub fn writes(&self) -> bool {
        matches!(
            self,
            ClusterCmd::CreateNetwork(_) | ClusterCmd::RemoveNetwork { .. }
        )
    }
}

/// What a resource command answers.
#[derive(Debug, Clone, PartialEq)]
pub enum ClusterAnswer {
    Swarm(Result<Box<cluster::SwarmInfo>, String>),
    Networks(Result<(Vec<cluster::Network>, Vec<ServiceUse>), String>),
    Volumes(Result<(Vec<cluster::Volume>, Vec<ServiceUse>), String>),
    /// The new network's name and id.
    Created(Result<(String, String), String>),
    /// The removed network's name.
    Removed(Result<String, String>),
}

/// Run one command as its own task.
pub(super) fn start(
    conn: Option<&Connection>,
    opts: &EngineOptions,
    seq: u64,
    cmd: ClusterCmd,
    tx: &mpsc::Sender<EngineMsg>,
) {
    let tx = tx.clone();
    let readonly = opts.readonly;
    let audit = opts.audit_log.clone();
    let conn = conn.map(|c| (c.docker.clone(), c.endpoint.clone()));
    tokio::spawn(async move {
        let answer = match conn {
            _ if readonly && cmd.writes() => refused(&cmd, "swarmdeck runs in readonly mode"),
            None => refused(&cmd, "not connected to a manager"),
            Some((docker, endpoint)) => run(&docker, &endpoint, audit.as_deref(), cmd).await,
        };
        let _ = tx
            .send(EngineMsg::ClusterDone {
                seq,
                answer: Box::new(answer),
            })
            .await;
    });
}

fn refused(cmd: &ClusterCmd, why: &str) -> ClusterAnswer {
    let e = format!("{why}; nothing was changed");
    match cmd {
        ClusterCmd::Swarm => ClusterAnswer::Swarm(Err(e)),
        ClusterCmd::Networks => ClusterAnswer::Networks(Err(e)),
        ClusterCmd::Volumes => ClusterAnswer::Volumes(Err(e)),
        ClusterCmd::CreateNetwork(_) => ClusterAnswer::Created(Err(e)),
        ClusterCmd::RemoveNetwork { .. } => ClusterAnswer::Removed(Err(e)),
    }
}

async fn get(docker: &bollard::Docker, path: &str) -> Result<Value, String> {
    let body = write::call(docker, hyper::Method::GET, path, "", None)
        .await
        .map_err(|e| format!("{path}: {e}"))?;
    serde_json::from_str(&body).map_err(|e| format!("{path}: the answer is not JSON: {e}"))
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
            kind: "network",
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
    cmd: ClusterCmd,
) -> ClusterAnswer {
    match cmd {
        ClusterCmd::Swarm => ClusterAnswer::Swarm(
            write::read_raw(docker, "/swarm")
                .await
                .map(|v| Box::new(convert::swarm_info(&v)))
                .map_err(|e| e.to_string()),
        ),
        ClusterCmd::Networks => {
            let read = async {
                let n = get(docker, "/networks").await?;
                let s = get(docker, "/services").await?;
                Ok((convert::networks(&n), convert::service_uses(&s)))
            };
            ClusterAnswer::Networks(read.await)
        }
        ClusterCmd::Volumes => {
            let read = async {
                let v = get(docker, "/volumes").await?;
                let s = get(docker, "/services").await?;
                Ok((convert::volumes(&v), convert::service_uses(&s)))
            };
            ClusterAnswer::Volumes(read.await)
        }
        ClusterCmd::CreateNetwork(new) => {
            let body = new.body();
            let action = match &new.subnet {
                Some(s) => format!("create attachable overlay network (subnet {s})"),
                None => "create attachable overlay network".to_string(),
            };
            let answer = write::call(
                docker,
                hyper::Method::POST,
                "/networks/create",
                "",
                Some(&body),
            )
            .await;
            match answer {
                Ok(text) => {
                    let id = serde_json::from_str::<Value>(&text)
                        .ok()
                        .and_then(|v| v.get("Id").and_then(Value::as_str).map(str::to_string))
                        .unwrap_or_default();
                    record(audit, endpoint, &id, &new.name, &action, body, "ok");
                    ClusterAnswer::Created(Ok((new.name, id)))
                }
                Err(e) => {
                    let msg = format!("the network {} was not created: {e}", new.name);
                    record(audit, endpoint, "", &new.name, &action, body, &msg);
                    ClusterAnswer::Created(Err(msg))
                }
            }
        }
        ClusterCmd::RemoveNetwork { id, name } => {
            let action = "remove network";
            // checked again right before: the services now, the network now
            let check = async {
                let n = get(docker, &format!("/networks/{id}")).await?;
                let s = get(docker, "/services").await?;
                let nets = convert::networks(&Value::Array(vec![n]));
                let net = nets.first().cloned().unwrap_or_default();
                match cluster::remove_refusal(&net, &convert::service_uses(&s)) {
                    Some(why) => Err(format!("{why}; nothing was removed")),
                    None => Ok(()),
                }
            };
            if let Err(e) = check.await {
                record(audit, endpoint, &id, &name, action, Value::Null, &e);
                return ClusterAnswer::Removed(Err(e));
            }
            match write::call(
                docker,
                hyper::Method::DELETE,
                &format!("/networks/{id}"),
                "",
                None,
            )
            .await
            {
                Ok(_) => {
                    record(audit, endpoint, &id, &name, action, Value::Null, "ok");
                    ClusterAnswer::Removed(Ok(name))
                }
                Err(e) => {
                    let msg = format!("{name} was not removed: {e}");
                    record(audit, endpoint, &id, &name, action, Value::Null, &msg);
                    ClusterAnswer::Removed(Err(msg))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_create_and_remove_write() {
        assert!(!ClusterCmd::Swarm.writes());
        assert!(!ClusterCmd::Networks.writes());
        assert!(!ClusterCmd::Volumes.writes());
        assert!(
            ClusterCmd::RemoveNetwork {
                id: "x".into(),
                name: "n".into()
            }
            .writes()
        );
        assert!(
            ClusterCmd::CreateNetwork(NewNetwork {
                name: "n".into(),
                subnet: None,
                gateway: None
            })
            .writes()
        );
    }
}
