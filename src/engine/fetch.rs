//! One-shot reads of the swarm, each converted to our domain at the boundary.
//! Used by the live engine loop, by `swarmdeck status` and by the lab tests: one code path.

use std::collections::HashMap;

use bollard::Docker;
use bollard::errors::Error as BollardError;
use bollard::query_parameters::{ListNodesOptions, ListServicesOptions, ListTasksOptions};
use serde::de::DeserializeOwned;
use thiserror::Error;

use crate::domain::{EngineInfo, Node, NodeId, Service, ServiceId, Task, Unreadable, lenient};

#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum FetchError {
    /// The managers have lost quorum or are electing: the engine says there is no leader.
    #[error("the swarm has no leader (quorum lost?): {0}")]
    NoLeader(String),
    #[error("the engine refused: {0}")]
    Api(String),
    #[error("no answer from the engine: {0}")]
    Transport(String),
    #[error("the engine sent JSON swarmdeck cannot read: {0}")]
    Unreadable(String),
}

impl FetchError {
    pub fn from_bollard(e: BollardError) -> Self {
        match e {
            BollardError::DockerResponseServerError {
                status_code,
                message,
            } => {
                let lower = message.to_lowercase();
                if lower.contains("does not have a leader")
                    || lower.contains("no leader")
                    || lower.contains("deadline exceeded")
                    || (status_code == 503 && lower.contains("raft"))
                {
                    FetchError::NoLeader(message)
                } else {
                    FetchError::Api(format!("{status_code}: {message}"))
                }
            }
            BollardError::JsonDataError { message, .. } => FetchError::Unreadable(message),
            other => FetchError::Transport(super::connect::explain("", &other)),
        }
    }
}

/// A list read from the engine, with any fields our model could not read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fetched<T> {
    pub items: Vec<T>,
    pub unreadable: Vec<Unreadable>,
}

/// Run a typed list call; if bollard cannot decode the body, decode it leniently.
async fn list<B, D, F>(what: &str, call: F) -> Result<Fetched<D>, FetchError>
where
    B: DeserializeOwned,
    D: From<B>,
    F: std::future::Future<Output = Result<Vec<B>, BollardError>>,
{
    match call.await {
        Ok(items) => Ok(Fetched {
            items: items.into_iter().map(D::from).collect(),
            unreadable: Vec::new(),
        }),
        Err(BollardError::JsonDataError {
            contents, message, ..
        }) => {
            let (items, mut unreadable) = lenient::decode_list::<B>(&contents)
                .map_err(|u| FetchError::Unreadable(format!("{what}: {u} ({message})")))?;
            for u in &mut unreadable {
                u.path = format!("{what}{}", u.path);
            }
            Ok(Fetched {
                items: items.into_iter().map(D::from).collect(),
                unreadable,
            })
        }
        Err(e) => Err(FetchError::from_bollard(e)),
    }
}

pub async fn engine_info(docker: &Docker) -> Result<EngineInfo, FetchError> {
    let info = docker.info().await.map_err(FetchError::from_bollard)?;
    let version = docker.version().await.map_err(FetchError::from_bollard)?;
    Ok(EngineInfo::from((info, version)))
}

pub async fn nodes(docker: &Docker) -> Result<Fetched<Node>, FetchError> {
    let mut f: Fetched<Node> = list("nodes", docker.list_nodes(None::<ListNodesOptions>)).await?;
    f.items
        .sort_by(|a, b| a.hostname.cmp(&b.hostname).then(a.id.cmp(&b.id)));
    Ok(f)
}

pub async fn services(docker: &Docker) -> Result<Fetched<Service>, FetchError> {
    let opts = ListServicesOptions {
        status: Some(true),
        ..Default::default()
    };
    let mut f: Fetched<Service> = list("services", docker.list_services(Some(opts))).await?;
    f.items.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(f)
}

/// Every secret (never a value: the engine does not return them), by name.
pub async fn secrets(docker: &Docker) -> Result<Fetched<crate::domain::Secret>, FetchError> {
    let mut f: Fetched<crate::domain::Secret> = list(
        "secrets",
        docker.list_secrets(None::<bollard::query_parameters::ListSecretsOptions>),
    )
    .await?;
    f.items.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(f)
}

/// Every config with its data, by name.
pub async fn configs(docker: &Docker) -> Result<Fetched<crate::domain::Config>, FetchError> {
    let mut f: Fetched<crate::domain::Config> = list(
        "configs",
        docker.list_configs(None::<bollard::query_parameters::ListConfigsOptions>),
    )
    .await?;
    f.items.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(f)
}

/// What every service mounts (its secrets and configs, from its spec), by name.
pub async fn service_refs(
    docker: &Docker,
) -> Result<Fetched<crate::domain::ServiceRefs>, FetchError> {
    let mut f: Fetched<crate::domain::ServiceRefs> = list(
        "services",
        docker.list_services(None::<ListServicesOptions>),
    )
    .await?;
    f.items.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(f)
}

/// Which tasks to read. The whole task history of a cluster is large: the live poll asks only
/// for tasks that should be running; a drill-down asks for one node's or service's history.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TaskScope {
    /// Tasks whose desired state is running (or ready/accepted, about to run).
    Live,
    Service(ServiceId),
    Node(NodeId),
}

pub async fn tasks(docker: &Docker, scope: &TaskScope) -> Result<Fetched<Task>, FetchError> {
    let mut filters: HashMap<String, Vec<String>> = HashMap::new();
    match scope {
        TaskScope::Live => {
            filters.insert(
                "desired-state".into(),
                vec!["running".into(), "ready".into(), "accepted".into()],
            );
        }
        TaskScope::Service(id) => {
            filters.insert("service".into(), vec![id.0.clone()]);
        }
        TaskScope::Node(id) => {
            filters.insert("node".into(), vec![id.0.clone()]);
        }
    }
    let opts = ListTasksOptions {
        filters: Some(filters),
    };
    let mut f: Fetched<Task> = list("tasks", docker.list_tasks(Some(opts))).await?;
    f.items.sort_by(|a, b| {
        a.service_id
            .cmp(&b.service_id)
            .then(a.slot.cmp(&b.slot))
            .then(b.created.cmp(&a.created))
    });
    Ok(f)
}

/// Tasks the orchestrator has shut down or that ended (desired state `shutdown`): the
/// history Swarm keeps (its task history retention, 5 per slot by default), for the
/// crash-loop rule of `swarmdeck status`. One request.
pub async fn ended_tasks(docker: &Docker) -> Result<Fetched<Task>, FetchError> {
    let mut filters: HashMap<String, Vec<String>> = HashMap::new();
    filters.insert("desired-state".into(), vec!["shutdown".into()]);
    let opts = ListTasksOptions {
        filters: Some(filters),
    };
    list("tasks", docker.list_tasks(Some(opts))).await
}

/// Everything the header, nodes and services panes need, read once.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    pub info: EngineInfo,
    pub nodes: Vec<Node>,
    pub services: Vec<Service>,
    pub tasks: Vec<Task>,
    pub unreadable: Vec<Unreadable>,
}

pub async fn snapshot(docker: &Docker) -> Result<Snapshot, FetchError> {
    let info = engine_info(docker).await?;
    let nodes = nodes(docker).await?;
    let services = services(docker).await?;
    let tasks = tasks(docker, &TaskScope::Live).await?;
    let mut unreadable = nodes.unreadable;
    unreadable.extend(services.unreadable);
    unreadable.extend(tasks.unreadable);
    Ok(Snapshot {
        info,
        nodes: nodes.items,
        services: services.items,
        tasks: tasks.items,
        unreadable,
    })
}
