//! Docker contexts, read as the docker CLI reads them, and the choice of where swarmdeck
//! connects at start (see docs/contexts.md).
//!
//! The docker CLI keeps its contexts in its config directory (`$DOCKER_CONFIG`, else
//! `~/.docker`): a context named NAME is `contexts/meta/<ID>/meta.json`, where ID is the
//! SHA-256 of NAME in hex, holding
//! `{"Name": NAME, "Metadata": {...}, "Endpoints": {"docker": {"Host": "...", "SkipTLSVerify": false}}}`,
//! and its TLS material (when it has some) is `contexts/tls/<ID>/docker/{ca,cert,key}.pem`.
//! The context in use is `--context`, else `DOCKER_CONTEXT`, else `currentContext` in
//! `config.json`; the context `default` is no stored context but "`DOCKER_HOST`, else the local
//! socket". [`select`] puts these in the docker CLI's order among swarmdeck's own sources.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::engine::connect::{DEFAULT_SOCKET, Tls};

/// The name of the context that is no stored context: `DOCKER_HOST`, else the local socket.
pub const DEFAULT: &str = "default";

/// The docker CLI's config directory: `$DOCKER_CONFIG` (when set and not empty), else
/// `~/.docker`.
pub fn config_dir() -> Option<PathBuf> {
    std::env::var_os("DOCKER_CONFIG")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".docker")))
}

/// A context's directory name: the SHA-256 of its name, in hex.
pub fn context_id(name: &str) -> String {
    crate::gconfig::sha256_hex(name.as_bytes())
}

/// Where the context `name`'s `meta.json` is.
pub fn meta_path(dir: &Path, name: &str) -> PathBuf {
    dir.join("contexts")
        .join("meta")
        .join(context_id(name))
        .join("meta.json")
}

/// Where the context `name`'s TLS material for its docker endpoint is.
pub fn tls_dir(dir: &Path, name: &str) -> PathBuf {
    dir.join("contexts")
        .join("tls")
        .join(context_id(name))
        .join("docker")
}

/// A docker context, as swarmdeck uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    pub name: String,
    /// `Metadata.Description`, when there is one.
    pub description: String,
    /// Its docker endpoint, in the canonical form ([`crate::endpoint`]).
    pub host: String,
    /// How to speak TLS to it.
    pub tls: Tls,
    /// The file it was read from.
    pub meta_path: PathBuf,
}

#[derive(Deserialize)]
struct Meta {
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Metadata", default)]
    metadata: Option<serde_json::Value>,
    #[serde(rename = "Endpoints", default)]
    endpoints: Option<std::collections::BTreeMap<String, serde_json::Value>>,
}

#[derive(Deserialize)]
struct DockerEndpoint {
    #[serde(rename = "Host", default)]
    host: Option<String>,
    #[serde(rename = "SkipTLSVerify", default)]
    skip_tls_verify: Option<bool>,
}

/// Read the context `name` from the docker config directory `dir`. Every error names the
/// context and the file.
pub fn load(dir: &Path, name: &str) -> Result<Context, String> {
    let path = meta_path(dir, name);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!(
                "docker context {name:?} not found: there is no {} (`docker context ls` lists the contexts of {})",
                path.display(),
                dir.display()
            ));
        }
        Err(e) => {
            return Err(format!(
                "docker context {name:?}: cannot read {}: {e}",
                path.display()
            ));
        }
    };
    parse(dir, name, &text, &path)
}

/// A context's `meta.json` text, read from `path`.
fn parse(dir: &Path, name: &str, text: &str, path: &Path) -> Result<Context, String> {
    let bad = |why: String| format!("docker context {name:?}: {}: {why}", path.display());
    let meta: Meta = serde_json::from_str(text)
        .map_err(|e| bad(format!("not a docker context's meta.json: {e}")))?;
    if meta.name != name {
        return Err(bad(format!(
            "it holds the context {:?}, not {name:?}",
            meta.name
        )));
    }
    let description = meta
        .metadata
        .as_ref()
        .and_then(|m| m.get("Description"))
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_string();
    let endpoint = meta
        .endpoints
        .as_ref()
        .and_then(|e| e.get("docker"))
        .ok_or_else(|| bad("it has no docker endpoint (Endpoints.docker)".into()))?;
    let endpoint: DockerEndpoint = serde_json::from_value(endpoint.clone())
        .map_err(|e| bad(format!("its docker endpoint cannot be read: {e}")))?;
    let host = endpoint
        .host
        .filter(|h| !h.trim().is_empty())
        .ok_or_else(|| bad("its docker endpoint has no Host".into()))?;
    let host = crate::endpoint::parse(&host)
        .map_err(|why| {
            bad(format!(
                "its docker host {} is not an endpoint: {why}",
                crate::endpoint::quote(&host)
            ))
        })?
        .to_string();
    if endpoint.skip_tls_verify == Some(true) {
        return Err(bad(format!(
            "it skips TLS verification (SkipTLSVerify), which swarmdeck does not do: give it the CA \
             that signed the engine's certificate (docker context update {name} --docker \
             \"host=...,ca=PATH,cert=PATH,key=PATH\")"
        )));
    }
    let tls = tls_dir(dir, name);
    let material = ["ca.pem", "cert.pem", "key.pem"]
        .iter()
        .any(|f| tls.join(f).is_file());
    Ok(Context {
        name: name.to_string(),
        description,
        host,
        tls: Tls::Context {
            name: name.to_string(),
            dir: tls,
            material,
        },
        meta_path: path.to_path_buf(),
    })
}

/// Every context stored in `dir`, by name: each one read, or why it could not be (its name,
/// or its directory when even the name cannot be read, and the reason).
pub fn list(dir: &Path) -> Vec<Result<Context, (String, String)>> {
    let meta = dir.join("contexts").join("meta");
    let Ok(entries) = std::fs::read_dir(&meta) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path().join("meta.json");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let shown = entry.file_name().to_string_lossy().into_owned();
        let name = match serde_json::from_str::<Meta>(&text) {
            Ok(m) => m.name,
            Err(e) => {
                out.push(Err((
                    shown,
                    format!("{}: not a docker context's meta.json: {e}", path.display()),
                )));
                continue;
            }
        };
        if context_id(&name) != shown {
            out.push(Err((
                name.clone(),
                format!(
                    "{}: the context {name:?} is in the directory of another name",
                    path.display()
                ),
            )));
            continue;
        }
        out.push(parse(dir, &name, &text, &path).map_err(|why| (name, why)));
    }
    out.sort_by(|a, b| {
        let key = |r: &Result<Context, (String, String)>| match r {
            Ok(c) => c.name.clone(),
            Err((n, _)) => n.clone(),
        };
        key(a).cmp(&key(b))
    });
    out
}

/// `currentContext` of `config.json` in `dir` (None: no file, or no such key).
pub fn current_context(dir: &Path) -> Result<Option<String>, String> {
    let path = dir.join("config.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
    match value.get("currentContext") {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) if s.is_empty() => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(format!(
            "{}: currentContext is {other}, not a context's name",
            path.display()
        )),
    }
}

/// Where the endpoints swarmdeck starts on came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `--host` flags.
    Flags,
    /// `--context NAME`.
    ContextFlag,
    /// `endpoints` in the config file.
    Config,
    /// `DOCKER_HOST`.
    DockerHost,
    /// `DOCKER_CONTEXT`.
    DockerContext,
    /// `currentContext` in the docker CLI's `config.json`.
    CurrentContext,
    /// Nothing said where: the local socket.
    Socket,
    /// `swarmdeck demo`: the lab's managers.
    Demo,
}

impl Origin {
    /// In words, for the clusters list and messages.
    pub fn words(self) -> &'static str {
        match self {
            Origin::Flags => "--host",
            Origin::ContextFlag => "--context",
            Origin::Config => "config endpoints",
            Origin::DockerHost => "DOCKER_HOST",
            Origin::DockerContext => "DOCKER_CONTEXT",
            Origin::CurrentContext => "currentContext",
            Origin::Socket => "local socket",
            Origin::Demo => "demo lab",
        }
    }
}

/// What the process's environment says (read once, so [`select`] is a pure function).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Env {
    pub docker_host: Option<String>,
    pub docker_context: Option<String>,
    /// The docker CLI's config directory ([`config_dir`]).
    pub config_dir: Option<PathBuf>,
}

impl Env {
    pub fn from_process() -> Self {
        Env {
            docker_host: std::env::var("DOCKER_HOST").ok(),
            docker_context: std::env::var("DOCKER_CONTEXT").ok(),
            config_dir: config_dir(),
        }
    }
}

/// Where swarmdeck connects at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected {
    /// Canonical endpoints, tried in order.
    pub endpoints: Vec<String>,
    pub tls: Tls,
    /// The docker context in use (not "default").
    pub context: Option<String>,
    pub origin: Origin,
}

/// Choose the endpoints, in this order (the docker CLI's, with swarmdeck's own config file
/// after the command line):
///
/// 1. `--host` flags (the command line refuses them together with `--context`, as the
///    docker CLI does);
/// 2. `--context NAME`;
/// 3. `endpoints` in the config file;
/// 4. `DOCKER_HOST`;
/// 5. `DOCKER_CONTEXT`;
/// 6. `currentContext` in `$DOCKER_CONFIG/config.json`;
/// 7. `unix:///var/run/docker.sock`.
///
/// The context `default` (2, 5, 6) means `DOCKER_HOST`, else the local socket. A context that
/// does not exist or cannot be read is an error naming it and its file; so is a `DOCKER_HOST`
/// that is not an endpoint, when it is used.
pub fn select(
    cli_hosts: &[String],
    cli_context: Option<&str>,
    config_endpoints: &[String],
    env: &Env,
) -> Result<Selected, String> {
    let plain = |endpoints: Vec<String>, origin| Selected {
        endpoints,
        tls: Tls::Env,
        context: None,
        origin,
    };
    if !cli_hosts.is_empty() {
        return Ok(plain(cli_hosts.to_vec(), Origin::Flags));
    }
    let docker_host = env.docker_host.as_deref().filter(|h| !h.trim().is_empty());
    // DOCKER_HOST, else the local socket: what the context "default" is
    let default = |origin_if_host: Origin, origin_else: Origin| -> Result<Selected, String> {
        match docker_host {
            Some(h) => match crate::endpoint::parse(h) {
                Ok(e) => Ok(plain(vec![e.to_string()], origin_if_host)),
                Err(why) => Err(format!("DOCKER_HOST={}: {why}", crate::endpoint::quote(h))),
            },
            None => Ok(plain(vec![DEFAULT_SOCKET.to_string()], origin_else)),
        }
    };
    let named = |name: &str, origin: Origin| -> Result<Selected, String> {
        let dir = env.config_dir.as_deref().ok_or_else(|| {
            format!(
                "docker context {name:?}: no docker config directory (set DOCKER_CONFIG or HOME)"
            )
        })?;
        let c = load(dir, name)?;
        Ok(Selected {
            endpoints: vec![c.host],
            tls: c.tls,
            context: Some(c.name),
            origin,
        })
    };
    if let Some(name) = cli_context {
        if name.trim().is_empty() {
            return Err("--context: the name is empty".into());
        }
        if name == DEFAULT {
            return default(Origin::DockerHost, Origin::Socket);
        }
        return named(name, Origin::ContextFlag);
    }
    if !config_endpoints.is_empty() {
        return Ok(plain(config_endpoints.to_vec(), Origin::Config));
    }
    if docker_host.is_some() {
        return default(Origin::DockerHost, Origin::Socket);
    }
    if let Some(name) = env.docker_context.as_deref().filter(|n| !n.is_empty()) {
        if name == DEFAULT {
            return default(Origin::DockerHost, Origin::Socket);
        }
        return named(name, Origin::DockerContext)
            .map_err(|e| format!("DOCKER_CONTEXT={}: {e}", crate::endpoint::quote(name)));
    }
    if let Some(dir) = &env.config_dir {
        match current_context(dir)? {
            Some(name) if name != DEFAULT => {
                return named(&name, Origin::CurrentContext).map_err(|e| {
                    format!(
                        "currentContext {name:?} of {}: {e}",
                        dir.join("config.json").display()
                    )
                });
            }
            _ => {}
        }
    }
    default(Origin::DockerHost, Origin::Socket)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The fixtures were written by the docker CLI (28.2):
    /// `DOCKER_CONFIG=tests/fixtures/contexts docker context create …` (see its README).
    fn fixtures() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/contexts")
    }

    #[test]
    fn the_id_is_the_sha256_of_the_name() {
        // `echo -n lab-node2 | sha256sum`, and the directory the CLI made
        assert_eq!(
            context_id("lab-node2"),
            "6f18fa89ca84a16f573dc3052d4e39699ef04ca49b413c4fa91adfedf82c8859"
        );
        assert!(meta_path(&fixtures(), "lab-node2").is_file());
    }

    #[test]
    fn contexts_written_by_the_docker_cli_are_read() {
        let dir = fixtures();
        let c = load(&dir, "lab-node2").unwrap();
        assert_eq!(
            c.host,
            "unix:///var/lib/swarmdeck-lab/sdlab/node2/docker.sock"
        );
        assert_eq!(c.description, "node2 of the lab");
        assert_eq!(
            c.tls,
            Tls::Context {
                name: "lab-node2".into(),
                dir: tls_dir(&dir, "lab-node2"),
                material: false
            }
        );
        let t = load(&dir, "lab-tls").unwrap();
        assert_eq!(t.host, "tcp://198.51.100.12:2376");
        let Tls::Context {
            dir: tdir,
            material,
            ..
        } = &t.tls
        else {
            panic!("a context's TLS")
        };
        assert!(material, "the CLI copied ca.pem, cert.pem and key.pem");
        assert!(tdir.join("ca.pem").is_file());
        assert!(tdir.ends_with(format!("contexts/tls/{}/docker", context_id("lab-tls"))));
        // SkipTLSVerify is refused, with what to do instead
        let e = load(&dir, "skip").unwrap_err();
        assert!(e.contains("docker context \"skip\""), "{e}");
        assert!(e.contains("SkipTLSVerify"), "{e}");
        assert!(
            e.contains(&meta_path(&dir, "skip").display().to_string()),
            "{e}"
        );
        // every one is listed, by name
        let names: Vec<String> = list(&dir)
            .into_iter()
            .map(|r| match r {
                Ok(c) => c.name,
                Err((n, _)) => n,
            })
            .collect();
        assert_eq!(names, ["lab-node2", "lab-tls", "skip"]);
        assert_eq!(current_context(&dir).unwrap().as_deref(), Some("lab-node2"));
    }

    fn write_meta(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = meta_path(dir, name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn missing_and_malformed_contexts_name_the_context_and_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let e = load(dir, "nosuch").unwrap_err();
        assert!(e.starts_with("docker context \"nosuch\" not found"), "{e}");
        assert!(
            e.contains(&meta_path(dir, "nosuch").display().to_string()),
            "{e}"
        );
        for (text, why) in [
            ("{", "not a docker context's meta.json"),
            ("[]", "not a docker context's meta.json"),
            (
                r#"{"Name":"other","Endpoints":{}}"#,
                "holds the context \"other\"",
            ),
            (r#"{"Name":"x"}"#, "no docker endpoint"),
            (r#"{"Name":"x","Endpoints":{"docker":{}}}"#, "no Host"),
            (
                r#"{"Name":"x","Endpoints":{"docker":{"Host":"ftp://h"}}}"#,
                "is not an endpoint: the scheme ftp://",
            ),
            (
                r#"{"Name":"x","Endpoints":{"docker":{"Host":7}}}"#,
                "its docker endpoint cannot be read",
            ),
        ] {
            let p = write_meta(dir, "x", text);
            let e = load(dir, "x").unwrap_err();
            assert!(e.starts_with("docker context \"x\": "), "{text}: {e}");
            assert!(e.contains(&p.display().to_string()), "{text}: {e}");
            assert!(e.contains(why), "{text}: want {why:?} in {e}");
        }
        // a listing keeps going past a broken one
        write_meta(
            dir,
            "ok",
            r#"{"Name":"ok","Endpoints":{"docker":{"Host":"tcp://h:1"}}}"#,
        );
        let listed = list(dir);
        assert_eq!(listed.len(), 2);
        assert!(
            listed
                .iter()
                .any(|r| r.as_ref().is_ok_and(|c| c.name == "ok"))
        );
        assert!(
            listed
                .iter()
                .any(|r| r.as_ref().is_err_and(|(n, _)| n == "x"))
        );
        // a malformed config.json is named when its currentContext is needed
        std::fs::write(dir.join("config.json"), "{").unwrap();
        let e = current_context(dir).unwrap_err();
        assert!(e.contains("config.json: not JSON"), "{e}");
        std::fs::write(dir.join("config.json"), r#"{"currentContext": 3}"#).unwrap();
        assert!(
            current_context(dir)
                .unwrap_err()
                .contains("not a context's name")
        );
    }

    /// The precedence, every source against the ones below it.
    #[test]
    fn precedence() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        for n in ["flagctx", "envctx", "curctx"] {
            write_meta(
                &dir,
                n,
                &format!(
                    r#"{{"Name":"{n}","Endpoints":{{"docker":{{"Host":"tcp://{n}:2375"}}}}}}"#
                ),
            );
        }
        std::fs::write(dir.join("config.json"), r#"{"currentContext":"curctx"}"#).unwrap();
        let hosts = vec!["unix:///flag.sock".to_string()];
        let cfg = vec!["tcp://cfg:2375".to_string()];
        let env = |host: Option<&str>, ctx: Option<&str>| Env {
            docker_host: host.map(str::to_string),
            docker_context: ctx.map(str::to_string),
            config_dir: Some(dir.clone()),
        };
        let pick = |h: &[String], c: Option<&str>, f: &[String], e: &Env| {
            let s = select(h, c, f, e).unwrap();
            (s.endpoints[0].clone(), s.origin, s.context)
        };
        let all = env(Some("tcp://envhost:2375"), Some("envctx"));
        use Origin::*;
        // --host beats everything (clap refuses it beside --context)
        assert_eq!(
            pick(&hosts, None, &cfg, &all),
            ("unix:///flag.sock".into(), Flags, None)
        );
        // --context beats the config file, DOCKER_HOST, DOCKER_CONTEXT, currentContext
        assert_eq!(
            pick(&[], Some("flagctx"), &cfg, &all),
            (
                "tcp://flagctx:2375".into(),
                ContextFlag,
                Some("flagctx".into())
            )
        );
        // the config file beats DOCKER_HOST
        assert_eq!(
            pick(&[], None, &cfg, &all),
            ("tcp://cfg:2375".into(), Config, None)
        );
        // DOCKER_HOST beats DOCKER_CONTEXT
        assert_eq!(
            pick(&[], None, &[], &all),
            ("tcp://envhost:2375".into(), DockerHost, None)
        );
        // DOCKER_CONTEXT beats currentContext
        assert_eq!(
            pick(&[], None, &[], &env(None, Some("envctx"))),
            (
                "tcp://envctx:2375".into(),
                DockerContext,
                Some("envctx".into())
            )
        );
        // currentContext beats the local socket
        assert_eq!(
            pick(&[], None, &[], &env(None, None)),
            (
                "tcp://curctx:2375".into(),
                CurrentContext,
                Some("curctx".into())
            )
        );
        std::fs::write(dir.join("config.json"), r#"{"auths":{}}"#).unwrap();
        assert_eq!(
            pick(&[], None, &[], &env(None, None)),
            (DEFAULT_SOCKET.into(), Socket, None)
        );
        // "default" is DOCKER_HOST, else the local socket, wherever it is named
        assert_eq!(
            pick(&[], Some("default"), &cfg, &all),
            ("tcp://envhost:2375".into(), DockerHost, None)
        );
        assert_eq!(
            pick(&[], Some("default"), &cfg, &env(None, None)),
            (DEFAULT_SOCKET.into(), Socket, None)
        );
        assert_eq!(
            pick(&[], None, &[], &env(None, Some("default"))),
            (DEFAULT_SOCKET.into(), Socket, None)
        );
        std::fs::write(dir.join("config.json"), r#"{"currentContext":"default"}"#).unwrap();
        assert_eq!(
            pick(&[], None, &[], &env(None, None)),
            (DEFAULT_SOCKET.into(), Socket, None)
        );
        // an empty DOCKER_HOST or DOCKER_CONTEXT is unset
        assert_eq!(
            pick(&[], None, &[], &env(Some(""), Some("envctx"))).1,
            DockerContext
        );
        assert_eq!(pick(&[], None, &[], &env(None, Some(""))).1, Socket);
    }

    #[test]
    fn selection_errors_name_the_context_and_where_it_was_named() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let env = |ctx: Option<&str>| Env {
            docker_host: None,
            docker_context: ctx.map(str::to_string),
            config_dir: Some(dir.clone()),
        };
        let e = select(&[], Some("gone"), &[], &env(None)).unwrap_err();
        assert!(e.starts_with("docker context \"gone\" not found"), "{e}");
        let e = select(&[], None, &[], &env(Some("gone"))).unwrap_err();
        assert!(
            e.starts_with("DOCKER_CONTEXT=\"gone\": docker context \"gone\""),
            "{e}"
        );
        std::fs::write(dir.join("config.json"), r#"{"currentContext":"gone"}"#).unwrap();
        let e = select(&[], None, &[], &env(None)).unwrap_err();
        assert!(e.starts_with("currentContext \"gone\" of "), "{e}");
        assert!(e.contains("config.json"), "{e}");
        std::fs::write(dir.join("config.json"), "not json").unwrap();
        let e = select(&[], None, &[], &env(None)).unwrap_err();
        assert!(e.contains("config.json: not JSON"), "{e}");
        // what comes before the broken one is used without reading it
        assert!(select(&[], None, &["tcp://a:1".into()], &env(Some("gone"))).is_ok());
        let e = select(
            &[],
            None,
            &[],
            &Env {
                docker_host: Some("tcp://".into()),
                ..env(None)
            },
        )
        .unwrap_err();
        assert!(e.starts_with("DOCKER_HOST=\"tcp://\": "), "{e}");
        assert!(
            select(&[], Some(" "), &[], &env(None))
                .unwrap_err()
                .contains("empty")
        );
    }
}
