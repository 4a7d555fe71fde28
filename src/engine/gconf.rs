//! Global config documents for the UI: each `EngineCmd::Config…` runs as its own task over
//! the `gconfig::io` functions and answers with typed messages (the editor is the app's).

use tokio::sync::mpsc;

use super::{Connection, EngineMsg, EngineOptions};
use crate::gconfig::io::{self, Ctx, GError, Moved, Published, RolloutOptions, RolloutReport};
use crate::gconfig::{Kind, Plan, Subscriber, Version};

/// A config command from the UI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigCmd {
    /// Read a document: versions, the current text, the schema, the subscribers.
    Load { doc: String },
    /// Validate and plan `text` (edited from `base`); nothing is written.
    Plan {
        doc: String,
        text: String,
        base: Option<u64>,
    },
    /// Plan again right before, publish, and roll out (progress as
    /// [`EngineMsg::ConfigRollout`]); then keep the newest `keep` versions.
    /// `rollback_of`: publish that version's content again (`text` is ignored).
    Publish {
        doc: String,
        text: String,
        base: Option<u64>,
        rollback_of: Option<u64>,
        keep: usize,
    },
    /// Plan a rollback: version `n`'s content as a new version.
    RollbackPlan { doc: String, n: u64 },
    /// Read one version's text.
    Read { doc: String, n: u64 },
    /// Subscribe a service: the label and the current version at `target`, in one rolling
    /// update (progress as [`EngineMsg::ConfigRollout`]).
    Subscribe {
        doc: String,
        service: String,
        target: String,
    },
    /// Unsubscribe a service: the label and the reference removed, in one rolling update.
    Unsubscribe { doc: String, service: String },
    /// Drift of the document's subscribers.
    Drift { doc: String },
    /// Return services a failed rollout moved to their previous version.
    Return { doc: String, moved: Vec<Moved> },
}

impl ConfigCmd {
    /// Whether it changes the swarm (refused in readonly mode).
    pub fn writes(&self) -> bool {
        matches!(
            self,
            ConfigCmd::Publish { .. }
                | ConfigCmd::Return { .. }
                | ConfigCmd::Subscribe { .. }
                | ConfigCmd::Unsubscribe { .. }
        )
    }
}

/// A document as read for the editor.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    pub doc: String,
    pub versions: Vec<Version>,
    /// The current version and its text.
    pub current: Option<(Version, String)>,
    /// The current schema version and the schema.
    pub schema: Option<(Version, serde_json::Value)>,
    pub subscribers: Vec<Subscriber>,
}

/// A publish that went through: the plan, what was created, the rollout (None: nothing
/// was created), the old versions retention deleted.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishDone {
    pub plan: Plan,
    pub published: Published,
    pub report: Option<RolloutReport>,
    pub pruned: Vec<String>,
}

/// What a config command answers.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigAnswer {
    Loaded(Result<Loaded, GError>),
    Planned(Result<Plan, GError>),
    /// The plan that was published, what was published, and the rollout (None: unchanged).
    Published(Result<Box<PublishDone>, GError>),
    Drift(Result<crate::gconfig::Drift, GError>),
    Read(Result<(Version, String), GError>),
    /// A subscribe or unsubscribe finished.
    Subscribed(Result<(), GError>),
    Returned(Vec<(String, Result<(), String>)>),
}

/// Run one config command as its own task; answer [`EngineMsg::ConfigDone`] with `seq`.
pub(super) fn start(
    conn: Option<&Connection>,
    opts: &EngineOptions,
    seq: u64,
    cmd: ConfigCmd,
    tx: &mpsc::Sender<EngineMsg>,
) {
    let tx = tx.clone();
    let readonly = opts.readonly;
    let ctx = conn.map(|c| Ctx {
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
            .send(EngineMsg::ConfigDone {
                seq,
                answer: Box::new(answer),
            })
            .await;
    });
}

fn refused(cmd: &ConfigCmd, why: &str) -> ConfigAnswer {
    let e = GError::Engine(format!("{why}; nothing was changed"));
    match cmd {
        ConfigCmd::Load { .. } => ConfigAnswer::Loaded(Err(e)),
        ConfigCmd::Plan { .. } | ConfigCmd::RollbackPlan { .. } => ConfigAnswer::Planned(Err(e)),
        ConfigCmd::Read { .. } => ConfigAnswer::Read(Err(e)),
        ConfigCmd::Subscribe { .. } | ConfigCmd::Unsubscribe { .. } => {
            ConfigAnswer::Subscribed(Err(e))
        }
        ConfigCmd::Publish { .. } => ConfigAnswer::Published(Err(e)),
        ConfigCmd::Drift { .. } => ConfigAnswer::Drift(Err(e)),
        ConfigCmd::Return { moved, .. } => ConfigAnswer::Returned(
            moved
                .iter()
                .map(|m| (m.name.clone(), Err(why.to_string())))
                .collect(),
        ),
    }
}

async fn load(ctx: &Ctx, doc: &str) -> Result<Loaded, GError> {
    let versions = io::list_versions(ctx, doc, Kind::Document).await?;
    let current = match io::read_version(ctx, doc, Kind::Document, None).await {
        Ok(c) => Some(c),
        Err(GError::NotFound(_)) => None,
        Err(e) => return Err(e),
    };
    Ok(Loaded {
        doc: doc.to_string(),
        versions,
        current,
        schema: io::read_schema(ctx, doc).await?,
        subscribers: io::subscribers(ctx, doc).await?,
    })
}

async fn run(ctx: &Ctx, seq: u64, cmd: ConfigCmd, tx: &mpsc::Sender<EngineMsg>) -> ConfigAnswer {
    // rollout events go out in order, before the final answer
    let (ev_tx, mut ev_rx) = mpsc::unbounded_channel();
    let fwd_tx = tx.clone();
    let forward = tokio::spawn(async move {
        while let Some(event) = ev_rx.recv().await {
            let _ = fwd_tx.send(EngineMsg::ConfigRollout { seq, event }).await;
        }
    });
    let on_event = move |e| {
        let _ = ev_tx.send(e);
    };
    let opts = RolloutOptions::default();
    // the block owns `on_event`: a command that reports no progress drops it at the end,
    // which ends the forwarding task (awaiting it with a sender alive would wait forever)
    let answer = {
        let on_event = on_event;
        match cmd {
            ConfigCmd::Load { doc } => ConfigAnswer::Loaded(load(ctx, &doc).await),
            ConfigCmd::Plan { doc, text, base } => {
                ConfigAnswer::Planned(io::plan(ctx, &doc, &text, base).await)
            }
            ConfigCmd::Drift { doc } => ConfigAnswer::Drift(io::drift(ctx, &doc).await),
            ConfigCmd::RollbackPlan { doc, n } => {
                ConfigAnswer::Planned(io::rollback_plan(ctx, &doc, n).await)
            }
            ConfigCmd::Subscribe {
                doc,
                service,
                target,
            } => ConfigAnswer::Subscribed(
                io::subscribe(ctx, &doc, &service, &target, &opts, on_event).await,
            ),
            ConfigCmd::Unsubscribe { doc, service } => ConfigAnswer::Subscribed(
                io::unsubscribe(ctx, &doc, &service, &opts, on_event).await,
            ),
            ConfigCmd::Read { doc, n } => {
                ConfigAnswer::Read(io::read_version(ctx, &doc, Kind::Document, Some(n)).await)
            }
            ConfigCmd::Publish {
                doc,
                text,
                base,
                rollback_of,
                keep,
            } => {
                let result = async {
                    let plan = match rollback_of {
                        Some(n) => io::rollback_plan(ctx, &doc, n).await?,
                        None => io::plan(ctx, &doc, &text, base).await?,
                    };
                    let published = io::publish(ctx, &plan).await?;
                    let report = match &published {
                        Published::Created { version } => Some(
                            io::rollout(ctx, &doc, version, &plan.subscribers, &opts, on_event)
                                .await,
                        ),
                        Published::Unchanged { .. } => None,
                    };
                    let pruned = if report.is_some() {
                        io::prune(ctx, &doc, keep.max(1)).await.unwrap_or_default()
                    } else {
                        Vec::new()
                    };
                    Ok(Box::new(PublishDone {
                        plan,
                        published,
                        report,
                        pruned,
                    }))
                }
                .await;
                ConfigAnswer::Published(result)
            }
            ConfigCmd::Return { doc, moved } => ConfigAnswer::Returned(
                io::return_to_previous(ctx, &doc, &moved, &opts, on_event).await,
            ),
        }
    };
    let _ = forward.await;
    answer
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::engine::{EngineCmd, recv_until, spawn_with};

    /// The answer to one config command from an engine that cannot connect.
    async fn answer(readonly: bool, cmd: ConfigCmd) -> ConfigAnswer {
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
            .send(EngineCmd::Config { seq: 7, cmd })
            .expect("send");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while let Some(msg) = recv_until(&mut engine.rx, deadline).await {
            if let EngineMsg::ConfigDone { seq, answer } = msg {
                assert_eq!(seq, 7);
                return *answer;
            }
        }
        panic!("no ConfigDone within 10 s");
    }

    #[tokio::test]
    async fn config_commands_are_answered_with_their_seq() {
        let a = answer(
            false,
            ConfigCmd::Drift {
                doc: "global".into(),
            },
        )
        .await;
        assert!(
            matches!(&a, ConfigAnswer::Drift(Err(GError::Engine(t))) if t.contains("not connected")),
            "{a:?}"
        );
        let publish = ConfigCmd::Publish {
            doc: "global".into(),
            text: "{}".into(),
            base: None,
            rollback_of: None,
            keep: 10,
        };
        let a = answer(true, publish).await;
        assert!(
            matches!(&a, ConfigAnswer::Published(Err(GError::Engine(t))) if t.contains("readonly")),
            "{a:?}"
        );
        let moved = vec![Moved {
            id: "s".into(),
            name: "web".into(),
            target: "/t".into(),
            previous: Some(1),
        }];
        let a = answer(
            true,
            ConfigCmd::Return {
                doc: "global".into(),
                moved,
            },
        )
        .await;
        assert_eq!(
            a,
            ConfigAnswer::Returned(vec![(
                "web".into(),
                Err("swarmdeck runs in readonly mode".into())
            )])
        );
    }
}
