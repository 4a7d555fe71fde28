//! Choosing and connecting to a manager endpoint, with errors an operator can act on.

use std::io::ErrorKind;
use std::path::PathBuf;
use std::time::Duration;

use bollard::{API_DEFAULT_VERSION, Docker};
use thiserror::Error;

use crate::domain::EngineInfo;
use crate::endpoint::{Endpoint, TcpScheme};

/// How long one request to the engine may take before we call the endpoint unreachable.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// How long `/info` may take while connecting before the manager is taken as one without a
/// leader (it still answers pings).
pub const INFO_TIMEOUT: Duration = Duration::from_secs(2);

pub const DEFAULT_SOCKET: &str = "unix:///var/run/docker.sock";

/// Where a connection's TLS settings come from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Tls {
    /// The docker CLI's environment: TLS for `https://` endpoints, or for every tcp endpoint
    /// with `DOCKER_TLS_VERIFY` set; the certificates from `DOCKER_CERT_PATH` (else
    /// `~/.docker`).
    #[default]
    Env,
    /// A docker context's ([`crate::contexts`]): TLS for `https://` endpoints, or for every
    /// tcp endpoint when the context stores TLS material; the certificates from its TLS
    /// directory (`contexts/tls/<id>/docker`), which plays the part of `DOCKER_CERT_PATH`.
    /// The environment's `DOCKER_TLS_VERIFY` and `DOCKER_CERT_PATH` are not read, as the
    /// docker CLI does not read them for a context.
    Context {
        /// The context's name, for messages.
        name: String,
        /// Its TLS directory (holding ca.pem, cert.pem, key.pem).
        dir: PathBuf,
        /// Whether the context stores TLS material (the directory exists with a file).
        material: bool,
    },
}

impl Tls {
    /// Whether a tcp endpoint (scheme `scheme`) is spoken to in TLS.
    fn on(&self, scheme: TcpScheme) -> bool {
        scheme == TcpScheme::Https
            || match self {
                Tls::Env => tls_verify_env(),
                Tls::Context { material, .. } => *material,
            }
    }

    /// Whether TLS is on for this endpoint (its text).
    fn on_for(&self, endpoint: &str) -> bool {
        match crate::endpoint::parse(endpoint) {
            Ok(Endpoint::Tcp { scheme, .. }) => self.on(scheme),
            _ => endpoint.starts_with("https://"),
        }
    }

    /// What the certificate directory is called in messages.
    fn dir_name(&self) -> String {
        match self {
            Tls::Env => "DOCKER_CERT_PATH".into(),
            Tls::Context { name, .. } => format!("the TLS directory of docker context {name:?}"),
        }
    }
}

/// Why an endpoint cannot be used. Each one is a full sentence for the error screen.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum ConnectError {
    #[error("{endpoint}: no Docker socket at {path} (is dockerd running on this host?)")]
    NoSocket { endpoint: String, path: String },
    #[error(
        "{endpoint}: permission denied on {path}: run swarmdeck as root or as a member of the docker group"
    )]
    PermissionDenied { endpoint: String, path: String },
    #[error("{endpoint}: unreachable: {reason}")]
    Unreachable { endpoint: String, reason: String },
    #[error(
        "{endpoint}: this engine is not part of a swarm (state: {state}); use a manager of your swarm"
    )]
    NotInSwarm { endpoint: String, state: String },
    #[error("{endpoint}: this engine is a swarm worker; connect to a manager instead: {}", managers_text(.managers))]
    Worker {
        endpoint: String,
        managers: Vec<String>,
    },
    #[error("{endpoint}: cannot use this endpoint: {reason}")]
    BadEndpoint { endpoint: String, reason: String },
    #[error("{endpoint}: the engine answered with an error: {message}")]
    Api { endpoint: String, message: String },
}

fn managers_text(m: &[String]) -> String {
    if m.is_empty() {
        "(the engine names none)".into()
    } else {
        m.join(", ")
    }
}

/// Where to connect, in order: `--host` flags, then `endpoints` from the config file, then
/// `DOCKER_HOST`, then the local socket. Flags and the config file are checked where they are
/// read; a `DOCKER_HOST` that is not an endpoint is an error that names it.
pub fn resolve_endpoints(
    cli: &[String],
    config: &[String],
    docker_host: Option<String>,
) -> Result<Vec<String>, String> {
    if !cli.is_empty() {
        return Ok(cli.to_vec());
    }
    if !config.is_empty() {
        return Ok(config.to_vec());
    }
    match docker_host {
        Some(h) if !h.trim().is_empty() => match crate::endpoint::parse(&h) {
            Ok(e) => Ok(vec![e.to_string()]),
            Err(why) => Err(format!("DOCKER_HOST={}: {why}", crate::endpoint::quote(&h))),
        },
        _ => Ok(vec![DEFAULT_SOCKET.to_string()]),
    }
}

/// The canonical form of an endpoint (`/path/to.sock` → `unix:///path/to.sock`, the scheme in
/// lower case); a string that is no endpoint is returned as it is, for the error to name it.
pub fn normalize(endpoint: &str) -> String {
    crate::endpoint::parse(endpoint).map_or_else(|_| endpoint.to_string(), |e| e.to_string())
}

fn client_for(
    endpoint: &str,
    tls_from: &Tls,
) -> Result<(Docker, Option<super::ssh::SshLog>), ConnectError> {
    let bad = |reason: String| ConnectError::BadEndpoint {
        endpoint: endpoint.to_string(),
        reason,
    };
    let parsed = crate::endpoint::parse(endpoint).map_err(|why| bad(why.to_string()))?;
    let docker = match parsed {
        Endpoint::Unix(_) => {
            Docker::connect_with_unix(endpoint, REQUEST_TIMEOUT.as_secs(), API_DEFAULT_VERSION)
        }
        Endpoint::Tcp { scheme, host, port } => {
            let tls = tls_from.on(scheme);
            let port = port.unwrap_or(if tls { 2376 } else { 2375 });
            if tls {
                let dir = match tls_from {
                    Tls::Context { dir, .. } => Some(dir.clone()),
                    Tls::Env => std::env::var("DOCKER_CERT_PATH")
                        .map(PathBuf::from)
                        .ok()
                        .or_else(|| {
                            std::env::var("HOME")
                                .ok()
                                .map(|h| PathBuf::from(h).join(".docker"))
                        }),
                }
                .ok_or_else(|| bad("no certificate directory: set DOCKER_CERT_PATH".into()))?;
                Docker::connect_with_ssl(
                    &format!("https://{host}:{port}"),
                    &dir.join("key.pem"),
                    &dir.join("cert.pem"),
                    &dir.join("ca.pem"),
                    REQUEST_TIMEOUT.as_secs(),
                    API_DEFAULT_VERSION,
                )
            } else {
                Docker::connect_with_http(
                    &format!("tcp://{host}:{port}"),
                    REQUEST_TIMEOUT.as_secs(),
                    API_DEFAULT_VERSION,
                )
            }
        }
        Endpoint::Ssh { user, host, port } => {
            let target = super::ssh::Target { user, host, port };
            return super::ssh::docker(target, REQUEST_TIMEOUT.as_secs(), API_DEFAULT_VERSION)
                .map(|(docker, log)| (docker, Some(log)))
                .map_err(|e| bad(explain_with(endpoint, &e, tls_from)));
        }
    };
    docker
        .map(|d| (d, None))
        .map_err(|e| bad(explain_with(endpoint, &e, tls_from)))
}

/// Check a unix socket before bollard does, to tell "no socket" from "permission denied".
async fn probe_unix(endpoint: &str) -> Result<(), ConnectError> {
    let path = endpoint.trim_start_matches("unix://").to_string();
    match tokio::net::UnixStream::connect(&path).await {
        Ok(_) => Ok(()),
        Err(e) => Err(match e.kind() {
            ErrorKind::NotFound => ConnectError::NoSocket {
                endpoint: endpoint.to_string(),
                path,
            },
            ErrorKind::PermissionDenied => ConnectError::PermissionDenied {
                endpoint: endpoint.to_string(),
                path,
            },
            _ => ConnectError::Unreachable {
                endpoint: endpoint.to_string(),
                reason: e.to_string(),
            },
        }),
    }
}

/// The whole cause of a failed request (bollard's own text often hides it, e.g. "client
/// error (Connect)"), with a hint when the cause is a TLS set-up an operator can fix.
pub fn explain(endpoint: &str, err: &(dyn std::error::Error + 'static)) -> String {
    explain_with(endpoint, err, &Tls::Env)
}

/// [`explain`], for a connection whose TLS settings come from `tls`.
pub fn explain_with(endpoint: &str, err: &(dyn std::error::Error + 'static), tls: &Tls) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = Some(err);
    while let Some(e) = cur {
        let text = e.to_string().trim().to_string();
        // a cause is often repeated inside its wrapper's text: keep the longer, once
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = e.source();
    }
    let reason = parts
        .join(": ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let tls_on = tls.on_for(endpoint);
    match tls_hint(&reason.to_lowercase(), tls_on) {
        Some(h) if matches!(tls, Tls::Context { .. }) => {
            format!(
                "{reason} ({})",
                h.replace("DOCKER_CERT_PATH", &tls.dir_name())
            )
        }
        Some(h) => format!("{reason} ({h})"),
        None => reason,
    }
}

/// What an operator can do about a TLS failure, from the words of its cause.
fn tls_hint(cause: &str, tls_on: bool) -> Option<&'static str> {
    let has = |w: &str| cause.contains(w);
    if has("http request to an https server") {
        return Some(
            "this endpoint speaks TLS: set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem)",
        );
    }
    if !tls_on {
        return None;
    }
    if has("cannot open/read") || has("certpath") || has("no such file") {
        Some("DOCKER_CERT_PATH must be a directory holding ca.pem, cert.pem and key.pem")
    } else if has("alert") {
        Some(
            "the engine refused this client: check that cert.pem and key.pem in DOCKER_CERT_PATH are signed by the CA the engine trusts",
        )
    } else if has("certificate") {
        Some(
            "the engine's certificate was not accepted: check that DOCKER_CERT_PATH/ca.pem is the CA that signed it and that it names this host",
        )
    } else if has("invalidcontenttype") || has("corrupt message") || has("invalid message") {
        Some("the endpoint did not answer in TLS: for a plain-HTTP port unset DOCKER_TLS_VERIFY")
    } else {
        None
    }
}

fn tls_verify_env() -> bool {
    std::env::var("DOCKER_TLS_VERIFY").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// A working connection to a swarm manager.
#[derive(Clone)]
pub struct Connection {
    pub endpoint: String,
    pub docker: Docker,
    pub info: EngineInfo,
    /// The manager answered but held `/info`: it has no leader (see [`connect`]).
    pub electing: bool,
}

/// Connect to one endpoint and check that it is a reachable swarm manager (TLS as the
/// environment says: [`Tls::Env`]).
pub async fn connect(endpoint: &str) -> Result<Connection, ConnectError> {
    connect_with(endpoint, &Tls::Env).await
}

/// [`connect`], with TLS settings from `tls` (a docker context's).
pub async fn connect_with(endpoint: &str, tls: &Tls) -> Result<Connection, ConnectError> {
    let endpoint = normalize(endpoint);
    if endpoint.starts_with("unix://") {
        probe_unix(&endpoint).await?;
    }
    let (docker, ssh_log) = client_for(&endpoint, tls)?;
    let unreachable = |reason: String| ConnectError::Unreachable {
        endpoint: endpoint.clone(),
        reason,
    };
    let negotiated = match tokio::time::timeout(REQUEST_TIMEOUT, docker.negotiate_version()).await {
        Err(_) => Err("no answer within 5 s".to_string()),
        Ok(r) => r.map_err(|e| explain_with(&endpoint, &e, tls)),
    };
    let docker = match (negotiated, ssh_log) {
        (Ok(d), _) => d,
        // ssh's own words say why: "Permission denied (publickey)", "docker: not found"…
        (Err(reason), Some(log)) => {
            let said = log.last_words(Duration::from_secs(1)).await;
            return Err(unreachable(if said.is_empty() {
                reason
            } else if said.starts_with("ssh:") {
                format!("{said} ({reason})")
            } else {
                format!("ssh: {said} ({reason})")
            }));
        }
        (Err(reason), None) => return Err(unreachable(reason)),
    };
    // A manager without a leader (an election, or quorum lost) answers /_ping and /version at
    // once but holds /info until its cluster request times out (20 s): a swarm manager that
    // pings but keeps /info is taken as one waiting for a leader, and used (a worker or an
    // engine outside a swarm answers /info at once).
    let info = match tokio::time::timeout(INFO_TIMEOUT, super::fetch::engine_info(&docker)).await {
        Ok(r) => r.map_err(|e| ConnectError::Api {
            endpoint: endpoint.clone(),
            message: e.to_string(),
        })?,
        Err(_) => {
            let alive = tokio::time::timeout(INFO_TIMEOUT, docker.ping()).await;
            let version = match alive {
                Ok(Ok(_)) => tokio::time::timeout(INFO_TIMEOUT, docker.version()).await,
                _ => return Err(unreachable("no answer within 5 s".into())),
            };
            let Ok(Ok(version)) = version else {
                return Err(unreachable("no answer to /version".into()));
            };
            let mut info = EngineInfo::from((bollard::models::SystemInfo::default(), version));
            info.swarm_state = "active".into();
            info.control_available = true;
            info.swarm_error = format!(
                "the manager answers pings but not /info within {} s: it has no leader (an election, or quorum lost)",
                INFO_TIMEOUT.as_secs()
            );
            return Ok(Connection {
                endpoint,
                docker,
                info,
                electing: true,
            });
        }
    };
    // A manager restarted while its swarm has no quorum stays "pending" (it cannot rejoin
    // until a majority of managers is back); one whose swarm lost its leader says so in
    // `Swarm.Error`. Both answer: use them, and wait for a leader.
    let pending = info.swarm_state == "pending";
    let leaderless = info.swarm_error.to_lowercase().contains("leader");
    if pending || (leaderless && info.swarm_state == "active") {
        let mut info = info;
        if pending && info.swarm_error.is_empty() {
            info.swarm_error = "this manager's swarm membership is pending: it waits for a majority of the managers to be back".into();
        }
        return Ok(Connection {
            endpoint,
            docker,
            info,
            electing: true,
        });
    }
    check_manager(&endpoint, &info)?;
    Ok(Connection {
        endpoint,
        docker,
        info,
        electing: false,
    })
}

/// Is this engine a swarm manager we can read the cluster from?
pub fn check_manager(endpoint: &str, info: &EngineInfo) -> Result<(), ConnectError> {
    match info.swarm_state.as_str() {
        "active" if info.control_available => Ok(()),
        "active" => Err(ConnectError::Worker {
            endpoint: endpoint.to_string(),
            managers: info.remote_managers.clone(),
        }),
        state => Err(ConnectError::NotInSwarm {
            endpoint: endpoint.to_string(),
            state: if state.is_empty() {
                "unknown".into()
            } else {
                state.into()
            },
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_order() {
        let cli = vec!["unix:///a".to_string()];
        let cfg = vec!["tcp://b:2375".to_string()];
        let r = |c: &[String], f: &[String], d: Option<&str>| {
            resolve_endpoints(c, f, d.map(str::to_string))
        };
        assert_eq!(r(&cli, &cfg, Some("unix:///c")), Ok(cli.clone()));
        assert_eq!(r(&[], &cfg, Some("unix:///c")), Ok(cfg.clone()));
        assert_eq!(r(&[], &[], Some("unix:///c")), Ok(vec!["unix:///c".into()]));
        assert_eq!(
            r(&[], &[], Some("/c.sock")),
            Ok(vec!["unix:///c.sock".into()])
        );
        assert_eq!(r(&[], &[], None), Ok(vec![DEFAULT_SOCKET.to_string()]));
        // a bad DOCKER_HOST is named, unless something before it is used
        let err = r(&[], &[], Some("tcp://")).unwrap_err();
        assert!(err.starts_with("DOCKER_HOST=\"tcp://\": "), "{err}");
        assert_eq!(r(&cli, &[], Some("tcp://")), Ok(cli.clone()));
        assert_eq!(normalize("/run/x.sock"), "unix:///run/x.sock");
        assert_eq!(normalize("SSH://Admin@M1"), "ssh://Admin@M1");
    }

    #[test]
    fn worker_names_its_managers() {
        let info = EngineInfo {
            swarm_state: "active".into(),
            control_available: false,
            remote_managers: vec!["198.51.100.11:2377".into()],
            ..Default::default()
        };
        let err = check_manager("unix:///x", &info).unwrap_err();
        assert!(err.to_string().contains("198.51.100.11:2377"), "{err}");
        let info = EngineInfo {
            swarm_state: "inactive".into(),
            ..Default::default()
        };
        assert!(matches!(
            check_manager("unix:///x", &info),
            Err(ConnectError::NotInSwarm { .. })
        ));
    }

    #[tokio::test]
    async fn missing_socket_is_named() {
        let err = connect("unix:///nonexistent/dir/docker.sock")
            .await
            .err()
            .unwrap();
        assert!(matches!(err, ConnectError::NoSocket { .. }), "{err}");
        assert!(err.to_string().contains("/nonexistent/dir/docker.sock"));
    }

    #[derive(Debug, thiserror::Error)]
    #[error("{text}")]
    struct Chain {
        text: &'static str,
        #[source]
        source: Option<Box<Chain>>,
    }

    fn chain(texts: &[&'static str]) -> Chain {
        let mut cur: Option<Box<Chain>> = None;
        for t in texts.iter().rev() {
            cur = Some(Box::new(Chain {
                text: t,
                source: cur,
            }));
        }
        *cur.expect("at least one text")
    }

    #[test]
    fn a_failure_is_explained_with_its_causes_and_a_hint() {
        let e = chain(&[
            "client error (Connect)",
            "tcp connect error",
            "Connection refused",
        ]);
        assert_eq!(
            explain("tcp://a:2375", &e),
            "client error (Connect): tcp connect error: Connection refused"
        );
        // a cause already inside its wrapper's text is not repeated; newlines go
        let e = chain(&["request failed: timed out", "timed out\n"]);
        assert_eq!(explain("tcp://a:2375", &e), "request failed: timed out");
        let e = chain(&[
            "Docker responded with status code 400: Client sent an HTTP request to an HTTPS server.\n",
        ]);
        assert!(
            explain("tcp://a:2376", &e).ends_with("(this endpoint speaks TLS: set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem))"),
            "{}",
            explain("tcp://a:2376", &e)
        );
        // https:// turns TLS on without the environment
        let e = chain(&[
            "client error (Connect)",
            "invalid peer certificate: UnknownIssuer",
        ]);
        assert!(
            explain("https://a:2376", &e)
                .contains("DOCKER_CERT_PATH/ca.pem is the CA that signed it")
        );
        let e = chain(&["connection error: received fatal alert: BadCertificate"]);
        assert!(explain("https://a:2376", &e).contains("the engine refused this client"));
        let e = chain(&["Cannot open/read certificate with path: /x/ca.pem"]);
        assert!(explain("https://a:2376", &e).contains("DOCKER_CERT_PATH must be a directory"));
        let e = chain(&["received corrupt message of type InvalidContentType"]);
        assert!(explain("https://a:2376", &e).contains("did not answer in TLS"));
    }

    #[tokio::test]
    async fn ssh_to_an_ipv6_address_reaches_ssh() {
        // the brackets used to be lost on the way to the transport: "empty host"
        let err = connect("ssh://root@[::1]:1").await.err().unwrap();
        let text = err.to_string();
        assert!(matches!(err, ConnectError::Unreachable { .. }), "{text}");
        assert!(text.contains("ssh"), "ssh's own words: {text}");
        assert!(
            !text.contains("parse") && !text.contains("port number"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn bad_scheme_is_refused() {
        let err = connect("ftp://x").await.err().unwrap();
        assert!(matches!(err, ConnectError::BadEndpoint { .. }), "{err}");
    }
}
