//! The wizard's forms, one per step, built from a [`DeploySpec`] and read back into one.
//! What a field holds is text as an operator types it on the docker command line: `8080:80/tcp`
//! for a port, `--mount` syntax for a mount, `5s` for a duration, `256M` for a size.

use crate::deploy::{
    DeploySpec, FileRef, HealthSpec, Mode, MountKind, MountSpec, NetworkChoice, PortSpec, Protocol,
    PublishMode, RegistryAuth, Resources, Secret, Step, UpdateSpec, format_cpus, format_duration,
    format_memory, mount_arg, parse_cpus, parse_duration, parse_memory, shell_words,
};
use crate::widget::{Field, Form, TextInput};

/// Modes as the mode field names them.
pub const MODES: [&str; 4] = ["replicated", "global", "replicated-job", "global-job"];
const RESTART: [&str; 3] = ["any", "on-failure", "none"];
const FAILURE: [&str; 3] = ["pause", "continue", "rollback"];
const ROLLBACK_FAILURE: [&str; 2] = ["pause", "continue"];
const ORDER: [&str; 2] = ["stop-first", "start-first"];

fn opts(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_string()).collect()
}

fn pos(list: &[&str], v: &str) -> usize {
    list.iter().position(|x| *x == v).unwrap_or(0)
}

fn text(name: &str, label: &str, value: &str) -> Field {
    Field::text(name, label, TextInput::with_text(value))
}

/// Split a command line as a shell would for words: spaces separate, '…' and "…" quote,
/// a backslash escapes the next character.
pub fn split_words(s: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                    in_word = true;
                }
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return Err("a quote is not closed".into());
    }
    if in_word {
        out.push(cur);
    }
    Ok(out)
}

/// `K=V` items.
fn pairs(items: &[String], what: &str) -> Result<Vec<(String, String)>, String> {
    items
        .iter()
        .map(|i| match i.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
            _ => Err(format!("{what} {i:?}: write KEY=VALUE")),
        })
        .collect()
}

fn pairs_text(p: &[(String, String)]) -> Vec<String> {
    p.iter().map(|(k, v)| format!("{k}={v}")).collect()
}

/// `8080:80/tcp`, `80` (target only: the engine picks the published port), `53:53/udp@host`.
pub fn parse_port(s: &str) -> Result<PortSpec, String> {
    let (rest, mode) = match s.trim().rsplit_once('@') {
        Some((r, "host")) => (r, PublishMode::Host),
        Some((r, "ingress")) => (r, PublishMode::Ingress),
        Some((_, m)) => return Err(format!("{s:?}: the mode is ingress or host, not {m:?}")),
        None => (s.trim(), PublishMode::Ingress),
    };
    let (rest, protocol) = match rest.rsplit_once('/') {
        Some((r, "tcp")) => (r, Protocol::Tcp),
        Some((r, "udp")) => (r, Protocol::Udp),
        Some((_, p)) => return Err(format!("{s:?}: the protocol is tcp or udp, not {p:?}")),
        None => (rest, Protocol::Tcp),
    };
    let num = |t: &str| -> Result<u16, String> {
        let n: u32 = t
            .trim()
            .parse()
            .map_err(|_| format!("{s:?}: {t:?} is not a port number"))?;
        u16::try_from(n).map_err(|_| format!("{s:?}: a port is 0–65535, not {n}"))
    };
    let (published, target) = match rest.split_once(':') {
        Some((p, t)) => (Some(num(p)?), num(t)?),
        None => (None, num(rest)?),
    };
    Ok(PortSpec {
        target,
        published,
        protocol,
        mode,
    })
}

pub fn port_text(p: &PortSpec) -> String {
    let mut s = match p.published {
        Some(n) => format!("{n}:{}", p.target),
        None => p.target.to_string(),
    };
    if p.protocol == Protocol::Udp {
        s.push_str("/udp");
    }
    if p.mode == PublishMode::Host {
        s.push_str("@host");
    }
    s
}

/// Split docker's CSV `--mount` value: commas separate, "…" quotes a value with commas.
fn csv(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter()
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect()
}

/// One mount in docker's `--mount` syntax: `type=volume,source=data,target=/data`,
/// `volume-driver=local,"volume-opt=o=addr=198.51.100.5,rw",volume-opt=type=nfs,…`,
/// `type=bind,source=/srv,target=/srv,readonly`, `type=tmpfs,target=/tmp,tmpfs-size=64M`.
pub fn parse_mount(s: &str) -> Result<MountSpec, String> {
    let mut kind = "volume".to_string();
    let (mut source, mut target, mut readonly) = (String::new(), String::new(), false);
    let mut driver = None;
    let mut opts = Vec::new();
    let mut size = None;
    for item in csv(s) {
        let (k, v) = item.split_once('=').unwrap_or((item.as_str(), ""));
        match k {
            "type" => kind = v.to_string(),
            "source" | "src" => source = v.to_string(),
            "target" | "dst" | "destination" => target = v.to_string(),
            "readonly" | "ro" => readonly = v.is_empty() || v == "true" || v == "1",
            "volume-driver" => driver = Some(v.to_string()),
            "volume-opt" => match v.split_once('=') {
                Some((ok, ov)) => opts.push((ok.to_string(), ov.to_string())),
                None => return Err(format!("volume-opt {v:?}: write volume-opt=KEY=VALUE")),
            },
            "tmpfs-size" => size = Some(parse_memory(v)? as u64),
            other => return Err(format!("{other:?} is not a mount option swarmdeck knows")),
        }
    }
    if !target.starts_with('/') {
        return Err(format!(
            "{s:?}: target=/path inside the container is needed"
        ));
    }
    let kind = match kind.as_str() {
        "volume" => MountKind::Volume {
            source,
            driver,
            driver_opts: opts,
        },
        "bind" if source.starts_with('/') => MountKind::Bind { source },
        "bind" => return Err(format!("{s:?}: a bind mount needs source=/absolute/path")),
        "tmpfs" => MountKind::Tmpfs { size_bytes: size },
        other => return Err(format!("type={other}: volume, bind or tmpfs")),
    };
    Ok(MountSpec {
        kind,
        target,
        readonly,
    })
}

/// `name` (target /run/secrets/name or /name), `name:/target`, `name:/target:uid:gid:mode`
/// (mode in octal).
pub fn parse_file_ref(s: &str, secret: bool) -> Result<FileRef, String> {
    let parts: Vec<&str> = s.trim().split(':').collect();
    let name = parts[0].trim().to_string();
    if name.is_empty() {
        return Err(format!("{s:?}: a name first"));
    }
    let target = match parts.get(1) {
        Some(t) if !t.is_empty() => t.to_string(),
        _ if secret => format!("/run/secrets/{name}"),
        _ => format!("/{name}"),
    };
    let uid = parts.get(2).map_or("0", |v| v).to_string();
    let gid = parts.get(3).map_or("0", |v| v).to_string();
    let mode = match parts.get(4) {
        Some(m) => {
            u32::from_str_radix(m, 8).map_err(|_| format!("{s:?}: the mode is octal, e.g. 0440"))?
        }
        None => 0o444,
    };
    if parts.len() > 5 {
        return Err(format!("{s:?}: name:/target:uid:gid:mode at most"));
    }
    Ok(FileRef {
        name,
        target,
        uid,
        gid,
        mode,
    })
}

pub fn file_ref_text(f: &FileRef) -> String {
    if f.uid == "0" && f.gid == "0" && f.mode == 0o444 {
        format!("{}:{}", f.name, f.target)
    } else {
        format!("{}:{}:{}:{}:{:04o}", f.name, f.target, f.uid, f.gid, f.mode)
    }
}

/// The registry choices: none, each server of `~/.docker/config.json`, typed.
pub fn registry_options(servers: &[String]) -> Vec<String> {
    let mut v = vec!["none".to_string()];
    v.extend(servers.iter().cloned());
    v.push("typed".to_string());
    v
}

/// The form of a step, filled from `spec`. `servers`: the registries known from the docker
/// config; `editing`: name and mode cannot change.
pub fn build(step: Step, spec: &DeploySpec, servers: &[String], editing: bool) -> Form {
    let fields = match step {
        Step::App => {
            let reg = registry_options(servers);
            let (sel, server, user) = match &spec.registry {
                RegistryAuth::None => (0, String::new(), String::new()),
                RegistryAuth::FromConfig { server } => (
                    reg.iter().position(|r| r == server).unwrap_or(0),
                    String::new(),
                    String::new(),
                ),
                RegistryAuth::Typed {
                    server, username, ..
                } => (reg.len() - 1, server.clone(), username.clone()),
            };
            let mut name = text("name", "Service name", &spec.name);
            if editing {
                name = name.with_help("a service's name cannot change");
            }
            let typed = matches!(spec.registry, RegistryAuth::Typed { .. });
            let mut f = vec![
                name,
                text("image", "Image", &spec.image).with_help("e.g. registry:5000/team/app:1.2"),
                Field::choice("registry", "Registry credentials", reg, sel)
                    .with_help("none · from ~/.docker/config.json · typed (never shown or logged)"),
            ];
            // the typed credentials' fields only when typed is chosen
            if typed {
                f.push(text("registry_server", "  registry server", &server));
                f.push(text("registry_username", "  user", &user));
                f.push(Field::text(
                    "registry_password",
                    "  password",
                    TextInput::new().masked(),
                ));
            }
            f.extend([
                text("command", "Command", &shell_words(&spec.command))
                    .with_help("empty: the image's entrypoint"),
                text("args", "Args", &shell_words(&spec.args)),
                Field::list("env", "Environment", &pairs_text(&spec.env))
                    .with_help("KEY=VALUE, comma separated"),
                Field::list("labels", "Labels", &pairs_text(&spec.labels)),
                text(
                    "stack",
                    "Stack namespace",
                    spec.stack.as_deref().unwrap_or(""),
                )
                .with_help("optional: com.docker.stack.namespace"),
            ]);
            f
        }
        Step::Mode => {
            let (m, replicas, completions, max) = match spec.mode {
                Mode::Replicated { replicas } => (0, replicas, 1, 1),
                Mode::Global => (1, 1, 1, 1),
                Mode::ReplicatedJob {
                    completions,
                    max_concurrent,
                } => (2, 1, completions, max_concurrent),
                Mode::GlobalJob => (3, 1, 1, 1),
            };
            let mut mode = Field::choice("mode", "Mode", opts(&MODES), m)
                .with_help("←/→ to choose: replicated · global · replicated job · global job");
            if editing {
                mode = mode.with_help("a service's mode cannot change");
            }
            let mut f = vec![mode];
            match m {
                0 => f.push(Field::number(
                    "replicas",
                    "Replicas",
                    Some(replicas as i64),
                    Some(0),
                    None,
                )),
                2 => {
                    f.push(Field::number(
                        "completions",
                        "Total completions",
                        Some(completions as i64),
                        Some(1),
                        None,
                    ));
                    f.push(Field::number(
                        "max_concurrent",
                        "Max concurrent",
                        Some(max as i64),
                        Some(1),
                        None,
                    ));
                }
                _ => {}
            }
            f
        }
        Step::Placement => vec![
            Field::list("constraints", "Constraints", &spec.constraints).with_help(
                "node.labels.K==V, node.role==manager, … (Ctrl-t picks from the cluster)",
            ),
            Field::list("spread", "Spread over", &spec.spread)
                .with_help("e.g. node.labels.zone: spread the tasks over its values"),
            Field::number(
                "max_per_node",
                "Max replicas per node",
                spec.max_per_node.map(|n| n as i64),
                Some(0),
                None,
            )
            .with_help("empty or 0: no limit"),
        ],
        Step::Network => vec![
            Field::list(
                "networks",
                "Overlay networks",
                &spec
                    .networks
                    .iter()
                    .map(|n| n.name.clone())
                    .collect::<Vec<_>>(),
            )
            .with_help("existing ones, or a new name: created as an attachable overlay"),
            Field::list(
                "ports",
                "Published ports",
                &spec.ports.iter().map(port_text).collect::<Vec<_>>(),
            )
            .with_help("PUBLISHED:TARGET[/udp][@host], or TARGET alone"),
        ],
        Step::Storage => {
            let job = matches!(spec.mode, Mode::ReplicatedJob { .. } | Mode::GlobalJob);
            let h = spec.healthcheck.clone();
            let mut f = vec![
                text(
                    "mounts",
                    "Mounts",
                    &spec
                        .mounts
                        .iter()
                        .map(mount_arg)
                        .collect::<Vec<_>>()
                        .join("; "),
                )
                .with_help(
                    "--mount syntax, ; between mounts: type=volume,source=data,target=/data",
                ),
                Field::list(
                    "secrets",
                    "Secrets",
                    &spec.secrets.iter().map(file_ref_text).collect::<Vec<_>>(),
                )
                .with_help("name[:/target[:uid:gid:mode]]"),
                Field::list(
                    "configs",
                    "Configs",
                    &spec.configs.iter().map(file_ref_text).collect::<Vec<_>>(),
                ),
                text(
                    "global_config",
                    "Global config",
                    &spec
                        .global_config
                        .as_ref()
                        .map_or(String::new(), |(d, t)| format!("{d}:{t}")),
                )
                .with_help("DOC:/path — subscribe to a global config document"),
                text(
                    "limit_cpus",
                    "CPU limit",
                    &spec.limits.nano_cpus.map_or(String::new(), format_cpus),
                ),
                text(
                    "limit_memory",
                    "Memory limit",
                    &spec
                        .limits
                        .memory_bytes
                        .map_or(String::new(), format_memory),
                ),
                text(
                    "reserve_cpus",
                    "CPU reservation",
                    &spec
                        .reservations
                        .nano_cpus
                        .map_or(String::new(), format_cpus),
                ),
                text(
                    "reserve_memory",
                    "Memory reservation",
                    &spec
                        .reservations
                        .memory_bytes
                        .map_or(String::new(), format_memory),
                ),
                Field::choice(
                    "restart_condition",
                    "Restart",
                    opts(&RESTART),
                    pos(&RESTART, &spec.restart.condition),
                ),
                Field::number(
                    "restart_max_attempts",
                    "  max attempts",
                    spec.restart.max_attempts.map(|n| n as i64),
                    Some(0),
                    None,
                ),
                text(
                    "health_test",
                    "Healthcheck",
                    &h.as_ref().map_or(String::new(), health_text),
                )
                .with_help("a shell command (CMD-SHELL); empty: the image's"),
                text(
                    "health_interval",
                    "  interval",
                    &h.as_ref()
                        .and_then(|h| h.interval_ns)
                        .map_or(String::new(), format_duration),
                ),
                text(
                    "health_timeout",
                    "  timeout",
                    &h.as_ref()
                        .and_then(|h| h.timeout_ns)
                        .map_or(String::new(), format_duration),
                ),
                Field::number(
                    "health_retries",
                    "  retries",
                    h.as_ref().and_then(|h| h.retries).map(|n| n as i64),
                    Some(0),
                    None,
                ),
                text(
                    "health_start_period",
                    "  start period",
                    &h.as_ref()
                        .and_then(|h| h.start_period_ns)
                        .map_or(String::new(), format_duration),
                ),
            ];
            if !job {
                f.extend(update_fields("update", "Update", &spec.update, &FAILURE));
                f.extend(update_fields(
                    "rollback",
                    "Rollback",
                    &spec.rollback,
                    &ROLLBACK_FAILURE,
                ));
            }
            f
        }
        Step::Review => Vec::new(),
    };
    Form::new(fields)
}

fn health_text(h: &HealthSpec) -> String {
    match h.test.first().map(String::as_str) {
        Some("CMD-SHELL") => h.test[1..].join(" "),
        Some("CMD") => shell_words(&h.test[1..]),
        _ => String::new(),
    }
}

fn update_fields(p: &str, label: &str, u: &UpdateSpec, failure: &[&str]) -> Vec<Field> {
    vec![
        Field::number(
            format!("{p}_parallelism"),
            format!("{label} parallelism"),
            Some(u.parallelism as i64),
            Some(0),
            None,
        ),
        text(
            &format!("{p}_delay"),
            "  delay",
            &format_duration(u.delay_ns),
        ),
        Field::choice(
            format!("{p}_failure_action"),
            "  on failure",
            opts(failure),
            pos(failure, &u.failure_action),
        ),
        text(
            &format!("{p}_monitor"),
            "  monitor",
            &u.monitor_ns.map_or(String::new(), format_duration),
        ),
        text(
            &format!("{p}_max_failure_ratio"),
            "  max failure ratio",
            &format!("{}", u.max_failure_ratio),
        ),
        Field::choice(
            format!("{p}_order"),
            "  order",
            opts(&ORDER),
            pos(&ORDER, &u.order),
        ),
    ]
}

/// An error at a field of a step.
pub type FormError = (Step, String, String);

fn opt_text(form: &Form, name: &str) -> Option<String> {
    form.text(name)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// Read a step's form into `spec`; errors at their fields (what could not be read).
pub fn read(step: Step, form: &Form, spec: &mut DeploySpec, servers: &[String]) -> Vec<FormError> {
    let mut errs = Vec::new();
    let mut err = |field: &str, m: String| errs.push((step, field.to_string(), m));
    match step {
        Step::App => {
            spec.name = form.text("name").unwrap_or("").trim().to_string();
            spec.image = form.text("image").unwrap_or("").trim().to_string();
            let reg = form.choice("registry").unwrap_or_default();
            spec.registry = if reg == "none" || reg.is_empty() {
                RegistryAuth::None
            } else if reg == "typed" {
                let server = form
                    .text("registry_server")
                    .unwrap_or("")
                    .trim()
                    .to_string();
                let username = form
                    .text("registry_username")
                    .unwrap_or("")
                    .trim()
                    .to_string();
                let password = form.text("registry_password").unwrap_or("").to_string();
                if server.is_empty() {
                    err(
                        "registry_server",
                        "the registry's address (host[:port])".into(),
                    );
                }
                if username.is_empty() {
                    err("registry_username", "a user name".into());
                }
                if password.is_empty() {
                    err("registry_password", "a password".into());
                }
                RegistryAuth::Typed {
                    server,
                    username,
                    password: Secret::new(password),
                }
            } else if servers.contains(&reg) {
                RegistryAuth::FromConfig { server: reg }
            } else {
                RegistryAuth::None
            };
            match split_words(form.text("command").unwrap_or("")) {
                Ok(w) => spec.command = w,
                Err(e) => err("command", e),
            }
            match split_words(form.text("args").unwrap_or("")) {
                Ok(w) => spec.args = w,
                Err(e) => err("args", e),
            }
            let env: Result<Vec<_>, String> = form
                .list("env")
                .unwrap_or_default()
                .iter()
                .map(|kv| crate::deploy::parse_env(kv))
                .collect();
            match env {
                Ok(p) => spec.env = p,
                Err(e) => err("env", e),
            }
            match pairs(&form.list("labels").unwrap_or_default(), "label") {
                Ok(p) => spec.labels = p,
                Err(e) => err("labels", e),
            }
            spec.stack = opt_text(form, "stack");
        }
        Step::Mode => {
            let n = |name: &str| form.number(name).filter(|n| *n >= 0).map(|n| n as u64);
            spec.mode = match form.choice("mode").as_deref() {
                Some("global") => Mode::Global,
                Some("replicated-job") => {
                    let completions = n("completions");
                    let max = n("max_concurrent");
                    if completions.is_none() {
                        err("completions", "a whole number, at least 1".into());
                    }
                    if max.is_none() {
                        err("max_concurrent", "a whole number, at least 1".into());
                    }
                    Mode::ReplicatedJob {
                        completions: completions.unwrap_or(1),
                        max_concurrent: max.unwrap_or(1),
                    }
                }
                Some("global-job") => Mode::GlobalJob,
                _ => {
                    let r = n("replicas");
                    if r.is_none() {
                        err("replicas", "a whole number (0 or more)".into());
                    }
                    Mode::Replicated {
                        replicas: r.unwrap_or(1),
                    }
                }
            };
            // as the docker CLI does: a job restarts on failure, not after it completed
            if spec.mode.is_job() && spec.restart.condition == "any" {
                spec.restart.condition = "on-failure".into();
            }
        }
        Step::Placement => {
            spec.constraints = form.list("constraints").unwrap_or_default();
            spec.spread = form.list("spread").unwrap_or_default();
            let t = form.text("max_per_node").unwrap_or("").trim().to_string();
            spec.max_per_node = if t.is_empty() {
                None
            } else {
                match form.number("max_per_node") {
                    Some(0) => None,
                    Some(n) if n > 0 => Some(n as u64),
                    _ => {
                        err(
                            "max_per_node",
                            "a whole number, or empty for no limit".into(),
                        );
                        None
                    }
                }
            };
        }
        Step::Network => {
            spec.networks = form
                .list("networks")
                .unwrap_or_default()
                .into_iter()
                .map(|name| NetworkChoice {
                    name,
                    create: false,
                })
                .collect();
            spec.ports.clear();
            for p in form.list("ports").unwrap_or_default() {
                match parse_port(&p) {
                    Ok(p) => spec.ports.push(p),
                    Err(e) => err("ports", e),
                }
            }
        }
        Step::Storage => {
            spec.mounts.clear();
            for m in form
                .text("mounts")
                .unwrap_or("")
                .split(';')
                .map(str::trim)
                .filter(|m| !m.is_empty())
            {
                match parse_mount(m) {
                    Ok(m) => spec.mounts.push(m),
                    Err(e) => err("mounts", e),
                }
            }
            for (field, secret) in [("secrets", true), ("configs", false)] {
                let mut v = Vec::new();
                for s in form.list(field).unwrap_or_default() {
                    match parse_file_ref(&s, secret) {
                        Ok(f) => v.push(f),
                        Err(e) => err(field, e),
                    }
                }
                if secret {
                    spec.secrets = v;
                } else {
                    spec.configs = v;
                }
            }
            spec.global_config = match opt_text(form, "global_config") {
                None => None,
                Some(t) => match t.split_once(':') {
                    Some((d, p)) => Some((d.trim().to_string(), p.trim().to_string())),
                    None => Some(("global".to_string(), t)),
                },
            };
            let cpus = |name: &str, err: &mut dyn FnMut(&str, String)| {
                opt_text(form, name).and_then(|t| match parse_cpus(&t) {
                    Ok(n) => Some(n),
                    Err(e) => {
                        err(name, e);
                        None
                    }
                })
            };
            let size = |name: &str, err: &mut dyn FnMut(&str, String)| {
                opt_text(form, name).and_then(|t| match parse_memory(&t) {
                    Ok(n) => Some(n),
                    Err(e) => {
                        err(name, e);
                        None
                    }
                })
            };
            spec.limits = Resources {
                nano_cpus: cpus("limit_cpus", &mut err),
                memory_bytes: size("limit_memory", &mut err),
            };
            spec.reservations = Resources {
                nano_cpus: cpus("reserve_cpus", &mut err),
                memory_bytes: size("reserve_memory", &mut err),
            };
            spec.restart.condition = form
                .choice("restart_condition")
                .unwrap_or_else(|| "any".into());
            spec.restart.max_attempts = form
                .number("restart_max_attempts")
                .filter(|n| *n > 0)
                .map(|n| n as u64);
            let dur = |name: &str, err: &mut dyn FnMut(&str, String)| {
                opt_text(form, name).and_then(|t| match parse_duration(&t) {
                    Ok(n) => Some(n),
                    Err(e) => {
                        err(name, e);
                        None
                    }
                })
            };
            spec.healthcheck = opt_text(form, "health_test").map(|cmd| HealthSpec {
                test: vec!["CMD-SHELL".to_string(), cmd],
                interval_ns: None,
                timeout_ns: None,
                start_period_ns: None,
                retries: None,
            });
            let interval = dur("health_interval", &mut err);
            let timeout = dur("health_timeout", &mut err);
            let start = dur("health_start_period", &mut err);
            if let Some(h) = &mut spec.healthcheck {
                h.interval_ns = interval;
                h.timeout_ns = timeout;
                h.start_period_ns = start;
                h.retries = form
                    .number("health_retries")
                    .filter(|n| *n > 0)
                    .map(|n| n as u64);
            }
            if form.field("update_parallelism").is_some() {
                for p in ["update", "rollback"] {
                    let mut u = if p == "update" {
                        spec.update.clone()
                    } else {
                        spec.rollback.clone()
                    };
                    u.parallelism = form
                        .number(&format!("{p}_parallelism"))
                        .filter(|n| *n >= 0)
                        .map_or(1, |n| n as u64);
                    if let Some(d) = dur(&format!("{p}_delay"), &mut err) {
                        u.delay_ns = d;
                    }
                    u.monitor_ns = dur(&format!("{p}_monitor"), &mut err);
                    u.failure_action = form
                        .choice(&format!("{p}_failure_action"))
                        .unwrap_or_default();
                    u.order = form.choice(&format!("{p}_order")).unwrap_or_default();
                    match opt_text(form, &format!("{p}_max_failure_ratio"))
                        .map(|t| t.parse::<f64>())
                    {
                        Some(Ok(r)) if (0.0..=1.0).contains(&r) => u.max_failure_ratio = r,
                        Some(_) => err(
                            &format!("{p}_max_failure_ratio"),
                            "a fraction from 0 to 1".into(),
                        ),
                        None => u.max_failure_ratio = 0.0,
                    }
                    if p == "update" {
                        spec.update = u;
                    } else {
                        spec.rollback = u;
                    }
                }
            }
        }
        Step::Review => {}
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_and_join_like_a_shell() {
        assert_eq!(
            split_words(r#"sh -c 'echo "hi there"' it\'s"#).unwrap(),
            vec!["sh", "-c", "echo \"hi there\"", "it's"]
        );
        assert!(split_words("'open").is_err());
        let w = vec!["echo".to_string(), "a b".into(), "it's".into()];
        assert_eq!(split_words(&shell_words(&w)).unwrap(), w);
    }

    #[test]
    fn ports_parse_with_their_limits() {
        let p = parse_port("8080:80").unwrap();
        assert_eq!(
            (p.published, p.target, p.protocol, p.mode),
            (Some(8080), 80, Protocol::Tcp, PublishMode::Ingress)
        );
        let p = parse_port("53:53/udp@host").unwrap();
        assert_eq!((p.protocol, p.mode), (Protocol::Udp, PublishMode::Host));
        assert_eq!(parse_port("80").unwrap().published, None);
        assert!(parse_port("70000:80").unwrap_err().contains("0–65535"));
        assert!(parse_port("80/sctp").is_err());
        assert_eq!(
            port_text(&parse_port("53:53/udp@host").unwrap()),
            "53:53/udp@host"
        );
    }

    #[test]
    fn mounts_in_docker_syntax_with_an_nfs_volume() {
        let m = parse_mount(
            r#"type=volume,source=shared,target=/data,volume-driver=local,volume-opt=type=nfs,"volume-opt=o=addr=198.51.100.5,rw",volume-opt=device=:/export"#,
        )
        .unwrap();
        assert_eq!(m.target, "/data");
        let MountKind::Volume {
            source,
            driver,
            driver_opts,
        } = &m.kind
        else {
            panic!("{m:?}");
        };
        assert_eq!(source, "shared");
        assert_eq!(driver.as_deref(), Some("local"));
        assert_eq!(
            driver_opts,
            &vec![
                ("type".to_string(), "nfs".to_string()),
                ("o".to_string(), "addr=198.51.100.5,rw".to_string()),
                ("device".to_string(), ":/export".to_string())
            ]
        );
        assert_eq!(parse_mount(&mount_arg(&m)).unwrap(), m);
        assert!(parse_mount("type=bind,source=rel,target=/x").is_err());
        assert!(parse_mount("type=volume,source=x").is_err());
        let t = parse_mount("type=tmpfs,target=/tmp,tmpfs-size=64M").unwrap();
        assert_eq!(
            t.kind,
            MountKind::Tmpfs {
                size_bytes: Some(64 << 20)
            }
        );
    }

    #[test]
    fn secrets_and_configs() {
        let s = parse_file_ref("db_pw", true).unwrap();
        assert_eq!((s.target.as_str(), s.mode), ("/run/secrets/db_pw", 0o444));
        let c = parse_file_ref("app:/etc/app.conf:1000:1000:0440", false).unwrap();
        assert_eq!(
            (c.uid.as_str(), c.gid.as_str(), c.mode),
            ("1000", "1000", 0o440)
        );
        assert_eq!(parse_file_ref(&file_ref_text(&c), false).unwrap(), c);
        assert!(parse_file_ref("x:/t:0:0:999", false).is_err());
    }
}
