//! The same service as a compose v3 file and as a `docker service create` command line,
//! for the review step. Neither ever holds a credential: both say when credentials are
//! needed (`x-swarmdeck` in the compose file, `--with-registry-auth` on the command line).

use serde_json::{Map, Value, json};

use super::check::{format_cpus, format_duration, format_memory};
use super::{
    DeploySpec, FileRef, HealthSpec, Mode, MountKind, MountSpec, PortSpec, Protocol, PublishMode,
    Resources, STACK_LABEL, UpdateSpec,
};
use crate::gconfig::{self, Kind};

// ------------------------------------------------------------------------------ compose

/// The compose file (version 3.8, for `docker stack deploy`) of the same service. Err, in
/// plain words, for what compose or the lab's docker CLI (20.10) cannot express: the job
/// modes (20.10's compose has none, and in later CLIs a job's `replicas` sets both its
/// completions and its concurrency).
///
/// `docker stack deploy -c FILE STACK` names the service `STACK_KEY`: with a stack
/// namespace and a name `STACK_rest`, the key is `rest`, so the deployed name is the same.
/// Networks and volumes the file creates carry `name:` so the stack does not prefix them.
pub fn compose_yaml(spec: &DeploySpec) -> Result<String, String> {
    if spec.mode.is_job() {
        return Err(format!(
            "a {} cannot be written as compose for this lab: docker 20.10's compose has no job \
             modes, and later CLIs set a job's completions and concurrency from one `replicas` \
             value. Deploy it from the wizard or with the docker service create command line.",
            spec.mode.name()
        ));
    }
    let key = compose_key(spec);
    let mut svc = Map::new();
    svc.insert("image".into(), json!(spec.image));
    if !spec.command.is_empty() {
        svc.insert("entrypoint".into(), json!(spec.command));
    }
    if !spec.args.is_empty() {
        svc.insert("command".into(), json!(spec.args));
    }
    if !spec.env.is_empty() {
        let env: Vec<String> = spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        svc.insert("environment".into(), json!(env));
    }
    if let Some(h) = &spec.healthcheck {
        svc.insert("healthcheck".into(), compose_health(h));
    }
    if !spec.ports.is_empty() {
        svc.insert(
            "ports".into(),
            Value::Array(spec.ports.iter().map(compose_port).collect()),
        );
    }
    let mut top_networks = Map::new();
    if !spec.networks.is_empty() {
        let names: Vec<&str> = spec.networks.iter().map(|n| n.name.as_str()).collect();
        svc.insert("networks".into(), json!(names));
        for n in &spec.networks {
            let def = if n.create {
                json!({"name": n.name, "driver": "overlay", "attachable": true})
            } else {
                json!({"external": true})
            };
            top_networks.insert(n.name.clone(), def);
        }
    }
    let mut top_volumes = Map::new();
    if !spec.mounts.is_empty() {
        svc.insert(
            "volumes".into(),
            Value::Array(spec.mounts.iter().map(compose_mount).collect()),
        );
        for m in &spec.mounts {
            if let MountKind::Volume {
                source,
                driver,
                driver_opts,
            } = &m.kind
                && !source.is_empty()
            {
                let mut def = Map::new();
                def.insert("name".into(), json!(source));
                if let Some(d) = driver {
                    def.insert("driver".into(), json!(d));
                }
                if !driver_opts.is_empty() {
                    let opts: Map<String, Value> = driver_opts
                        .iter()
                        .map(|(k, v)| (k.clone(), json!(v)))
                        .collect();
                    def.insert("driver_opts".into(), Value::Object(opts));
                }
                top_volumes.insert(source.clone(), Value::Object(def));
            }
        }
    }
    let mut top_secrets = Map::new();
    if !spec.secrets.is_empty() {
        svc.insert(
            "secrets".into(),
            Value::Array(spec.secrets.iter().map(compose_file_ref).collect()),
        );
        for s in &spec.secrets {
            top_secrets.insert(s.name.clone(), json!({"external": true}));
        }
    }
    let mut configs: Vec<FileRef> = spec.configs.clone();
    if let Some(r) = global_file_ref(spec) {
        configs.push(r);
    }
    let mut top_configs = Map::new();
    if !configs.is_empty() {
        svc.insert(
            "configs".into(),
            Value::Array(configs.iter().map(compose_file_ref).collect()),
        );
        for c in &configs {
            top_configs.insert(c.name.clone(), json!({"external": true}));
        }
    }
    svc.insert("deploy".into(), compose_deploy(spec));

    let mut root = Map::new();
    root.insert("version".into(), json!("3.8"));
    root.insert("services".into(), json!({ key.clone(): svc }));
    for (name, m) in [
        ("networks", top_networks),
        ("volumes", top_volumes),
        ("secrets", top_secrets),
        ("configs", top_configs),
    ] {
        if !m.is_empty() {
            root.insert(name.into(), Value::Object(m));
        }
    }
    let mut notes = Map::new();
    if let Some(server) = spec.registry.server() {
        notes.insert(
            "registry-credentials".into(),
            json!(format!(
                "needed for {server}, and not in this file: run docker login {server}, then \
                 docker stack deploy --with-registry-auth"
            )),
        );
    }
    if let Some((doc, target)) = &spec.global_config
        && spec.global_config_version.is_none()
    {
        notes.insert(
            "global-config".into(),
            json!(format!(
                "{doc} at {target}: no version chosen; add its newest config \
                 ({}N) under configs",
                gconfig::name_prefix(doc, Kind::Document)
            )),
        );
    }
    if !notes.is_empty() {
        root.insert("x-swarmdeck".into(), Value::Object(notes));
    }
    let yaml = serde_norway::to_string(&Value::Object(root))
        .map_err(|e| format!("could not write the compose file: {e}"))?;

    let stack = spec.stack.as_deref().unwrap_or("STACK");
    let mut head = format!(
        "# Compose file of service {} (written by swarmdeck).\n\
         # Deploy with: docker stack deploy -c FILE {stack}\n",
        spec.name
    );
    if format!("{stack}_{key}") != spec.name {
        head.push_str(&format!(
            "# Note: the stack names the service {stack}_{key}, not {}.\n",
            spec.name
        ));
    }
    if let Some(server) = spec.registry.server() {
        head.push_str(&format!(
            "# Registry credentials are needed for {server}; none are in this file:\n\
             # docker login {server}, then add --with-registry-auth to the deploy.\n"
        ));
    }
    Ok(head + &yaml)
}

/// The service's key in the compose file: the name without `STACK_` when it has it.
fn compose_key(spec: &DeploySpec) -> String {
    spec.stack
        .as_ref()
        .and_then(|s| spec.name.strip_prefix(&format!("{s}_")))
        .filter(|rest| !rest.is_empty())
        .unwrap_or(&spec.name)
        .to_string()
}

fn global_file_ref(spec: &DeploySpec) -> Option<FileRef> {
    let (doc, target) = spec.global_config.as_ref()?;
    let n = spec.global_config_version?;
    Some(FileRef::new(
        gconfig::config_name(doc, Kind::Document, n),
        target.as_str(),
    ))
}

fn compose_health(h: &HealthSpec) -> Value {
    if h.test.first().map(String::as_str) == Some("NONE") {
        return json!({"disable": true});
    }
    let mut o = Map::new();
    o.insert("test".into(), json!(h.test));
    for (k, v) in [
        ("interval", h.interval_ns),
        ("timeout", h.timeout_ns),
        ("start_period", h.start_period_ns),
    ] {
        if let Some(v) = v {
            o.insert(k.into(), json!(format_duration(v)));
        }
    }
    if let Some(r) = h.retries {
        o.insert("retries".into(), json!(r));
    }
    Value::Object(o)
}

fn compose_port(p: &PortSpec) -> Value {
    let mut o = Map::new();
    o.insert("target".into(), json!(p.target));
    if let Some(pp) = p.published {
        o.insert("published".into(), json!(pp));
    }
    o.insert("protocol".into(), json!(p.protocol.as_str()));
    o.insert("mode".into(), json!(p.mode.as_str()));
    Value::Object(o)
}

fn compose_mount(m: &MountSpec) -> Value {
    let mut o = Map::new();
    match &m.kind {
        MountKind::Volume { source, .. } => {
            o.insert("type".into(), json!("volume"));
            if !source.is_empty() {
                o.insert("source".into(), json!(source));
            }
        }
        MountKind::Bind { source } => {
            o.insert("type".into(), json!("bind"));
            o.insert("source".into(), json!(source));
        }
        MountKind::Tmpfs { .. } => {
            o.insert("type".into(), json!("tmpfs"));
        }
    }
    o.insert("target".into(), json!(m.target));
    if m.readonly {
        o.insert("read_only".into(), json!(true));
    }
    if let MountKind::Tmpfs {
        size_bytes: Some(size),
    } = m.kind
    {
        o.insert("tmpfs".into(), json!({"size": size}));
    }
    Value::Object(o)
}

fn compose_file_ref(r: &FileRef) -> Value {
    json!({
        "source": r.name,
        "target": r.file_name(),
        "uid": r.uid,
        "gid": r.gid,
        "mode": r.mode,
    })
}

fn compose_resources(r: &Resources) -> Option<Value> {
    let mut o = Map::new();
    if let Some(c) = r.nano_cpus {
        o.insert("cpus".into(), json!(format_cpus(c)));
    }
    if let Some(m) = r.memory_bytes {
        o.insert("memory".into(), json!(format_memory(m)));
    }
    (!o.is_empty()).then_some(Value::Object(o))
}

fn compose_update(u: &UpdateSpec) -> Value {
    let mut o = Map::new();
    o.insert("parallelism".into(), json!(u.parallelism));
    o.insert("delay".into(), json!(format_duration(u.delay_ns)));
    o.insert("failure_action".into(), json!(u.failure_action));
    if let Some(m) = u.monitor_ns {
        o.insert("monitor".into(), json!(format_duration(m)));
    }
    o.insert("max_failure_ratio".into(), json!(u.max_failure_ratio));
    o.insert("order".into(), json!(u.order));
    Value::Object(o)
}

fn compose_deploy(spec: &DeploySpec) -> Value {
    let mut d = Map::new();
    match spec.mode {
        Mode::Replicated { replicas } => {
            d.insert("mode".into(), json!("replicated"));
            d.insert("replicas".into(), json!(replicas));
        }
        _ => {
            d.insert("mode".into(), json!("global"));
        }
    }
    let mut labels: Map<String, Value> = spec
        .labels
        .iter()
        .filter(|(k, _)| k != STACK_LABEL)
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    if let Some((doc, target)) = &spec.global_config {
        labels.insert(gconfig::target_label(doc), json!(target));
    }
    if !labels.is_empty() {
        d.insert("labels".into(), Value::Object(labels));
    }
    let mut placement = Map::new();
    if !spec.constraints.is_empty() {
        placement.insert("constraints".into(), json!(spec.constraints));
    }
    if !spec.spread.is_empty() {
        let prefs: Vec<Value> = spec.spread.iter().map(|s| json!({"spread": s})).collect();
        placement.insert("preferences".into(), Value::Array(prefs));
    }
    if let Some(m) = spec.max_per_node.filter(|m| *m > 0) {
        placement.insert("max_replicas_per_node".into(), json!(m));
    }
    if !placement.is_empty() {
        d.insert("placement".into(), Value::Object(placement));
    }
    let mut res = Map::new();
    if let Some(l) = compose_resources(&spec.limits) {
        res.insert("limits".into(), l);
    }
    if let Some(r) = compose_resources(&spec.reservations) {
        res.insert("reservations".into(), r);
    }
    if !res.is_empty() {
        d.insert("resources".into(), Value::Object(res));
    }
    let r = &spec.restart;
    let mut rp = Map::new();
    rp.insert("condition".into(), json!(r.condition));
    if let Some(v) = r.delay_ns {
        rp.insert("delay".into(), json!(format_duration(v)));
    }
    if let Some(n) = r.max_attempts {
        rp.insert("max_attempts".into(), json!(n));
    }
    if let Some(v) = r.window_ns {
        rp.insert("window".into(), json!(format_duration(v)));
    }
    d.insert("restart_policy".into(), Value::Object(rp));
    d.insert("update_config".into(), compose_update(&spec.update));
    d.insert("rollback_config".into(), compose_update(&spec.rollback));
    Value::Object(d)
}

// ------------------------------------------------------------------------- command line

/// A word for a POSIX shell: as is when it is made only of safe characters, else in
/// single quotes (a `'` inside written `'\''`).
pub fn sh_quote(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// A field of the CLI's comma-separated option values (`--mount`, `--secret`…, read with
/// Go's csv reader): in double quotes when it holds a comma or a quote.
fn csv_field(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) || field.starts_with(' ') {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

fn csv(fields: &[String]) -> String {
    fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",")
}

/// The equivalent `docker service create …` (one option per line, `\` continued), after
/// `docker network create` for each new network. `--with-registry-auth` when the deploy
/// needs credentials (the CLI then sends those of `docker login`); never a password.
/// A `["CMD", …]` healthcheck is written as `--health-cmd` (CMD-SHELL), the only form the
/// CLI has.
pub fn cli_command(spec: &DeploySpec) -> String {
    let mut opts: Vec<(String, Option<String>)> = Vec::new();
    let mut flag = |f: &str, v: Option<String>| opts.push((f.to_string(), v));
    flag("--name", Some(spec.name.clone()));
    if spec.registry.needed() {
        flag("--with-registry-auth", None);
    }
    match spec.mode {
        Mode::Replicated { replicas } => flag("--replicas", Some(replicas.to_string())),
        Mode::Global => flag("--mode", Some("global".into())),
        Mode::ReplicatedJob {
            completions,
            max_concurrent,
        } => {
            flag("--mode", Some("replicated-job".into()));
            flag("--replicas", Some(completions.to_string()));
            flag("--max-concurrent", Some(max_concurrent.to_string()));
        }
        Mode::GlobalJob => flag("--mode", Some("global-job".into())),
    }
    for (k, v) in &spec.env {
        flag("--env", Some(format!("{k}={v}")));
    }
    for (k, v) in &spec.labels {
        flag("--label", Some(format!("{k}={v}")));
    }
    if let Some(stack) = &spec.stack {
        flag("--label", Some(format!("{STACK_LABEL}={stack}")));
    }
    if let Some((doc, target)) = &spec.global_config {
        flag(
            "--label",
            Some(format!("{}={target}", gconfig::target_label(doc))),
        );
    }
    for c in &spec.constraints {
        flag("--constraint", Some(c.clone()));
    }
    for s in &spec.spread {
        flag("--placement-pref", Some(format!("spread={s}")));
    }
    if let Some(m) = spec.max_per_node.filter(|m| *m > 0) {
        flag("--replicas-max-per-node", Some(m.to_string()));
    }
    for n in &spec.networks {
        flag("--network", Some(n.name.clone()));
    }
    for p in &spec.ports {
        let mut f = Vec::new();
        if let Some(pp) = p.published {
            f.push(format!("published={pp}"));
        }
        f.push(format!("target={}", p.target));
        if p.protocol != Protocol::Tcp {
            f.push(format!("protocol={}", p.protocol.as_str()));
        }
        if p.mode != PublishMode::Ingress {
            f.push(format!("mode={}", p.mode.as_str()));
        }
        flag("--publish", Some(csv(&f)));
    }
    for m in &spec.mounts {
        flag("--mount", Some(csv(&mount_fields(m))));
    }
    for s in &spec.secrets {
        flag("--secret", Some(csv(&file_ref_fields(s))));
    }
    for c in &spec.configs {
        flag("--config", Some(csv(&file_ref_fields(c))));
    }
    if let Some(r) = global_file_ref(spec) {
        flag("--config", Some(csv(&file_ref_fields(&r))));
    }
    for (prefix, r) in [("limit", &spec.limits), ("reserve", &spec.reservations)] {
        if let Some(c) = r.nano_cpus {
            flag(&format!("--{prefix}-cpu"), Some(format_cpus(c)));
        }
        if let Some(m) = r.memory_bytes {
            flag(&format!("--{prefix}-memory"), Some(format_memory(m)));
        }
    }
    let r = &spec.restart;
    if r.condition != "any" {
        flag("--restart-condition", Some(r.condition.clone()));
    }
    if let Some(d) = r.delay_ns {
        flag("--restart-delay", Some(format_duration(d)));
    }
    if let Some(n) = r.max_attempts {
        flag("--restart-max-attempts", Some(n.to_string()));
    }
    if let Some(w) = r.window_ns {
        flag("--restart-window", Some(format_duration(w)));
    }
    if let Some(h) = &spec.healthcheck {
        match h.test.first().map(String::as_str) {
            Some("NONE") => flag("--no-healthcheck", None),
            Some("CMD-SHELL") => flag("--health-cmd", h.test.get(1).cloned()),
            Some(_) => flag("--health-cmd", Some(shell_words(&h.test[1..]))),
            None => {}
        }
        for (f, v) in [
            ("--health-interval", h.interval_ns),
            ("--health-timeout", h.timeout_ns),
            ("--health-start-period", h.start_period_ns),
        ] {
            if let Some(v) = v {
                flag(f, Some(format_duration(v)));
            }
        }
        if let Some(n) = h.retries {
            flag("--health-retries", Some(n.to_string()));
        }
    }
    if !spec.mode.is_job() {
        for (prefix, u) in [("update", &spec.update), ("rollback", &spec.rollback)] {
            let d = UpdateSpec::default();
            let mut set = |name: &str, differs: bool, v: String| {
                if differs {
                    flag(&format!("--{prefix}-{name}"), Some(v));
                }
            };
            set(
                "parallelism",
                u.parallelism != d.parallelism,
                u.parallelism.to_string(),
            );
            set(
                "delay",
                u.delay_ns != d.delay_ns,
                format_duration(u.delay_ns),
            );
            set(
                "failure-action",
                u.failure_action != d.failure_action,
                u.failure_action.clone(),
            );
            if let Some(m) = u.monitor_ns {
                set("monitor", Some(m) != d.monitor_ns, format_duration(m));
            }
            set(
                "max-failure-ratio",
                u.max_failure_ratio != d.max_failure_ratio,
                u.max_failure_ratio.to_string(),
            );
            set("order", u.order != d.order, u.order.clone());
        }
    }
    if !spec.command.is_empty() {
        // The CLI splits --entrypoint's one value into words again (shell-like).
        flag("--entrypoint", Some(shell_words(&spec.command)));
    }

    let mut lines = vec!["docker service create".to_string()];
    for (f, v) in &opts {
        lines.push(match v {
            Some(v) => format!("  {f} {}", sh_quote(v)),
            None => format!("  {f}"),
        });
    }
    let mut last = vec![sh_quote(&spec.image)];
    last.extend(spec.args.iter().map(|a| sh_quote(a)));
    lines.push(format!("  {}", last.join(" ")));
    let create = lines.join(" \\\n");

    let mut out = String::new();
    for n in spec.networks.iter().filter(|n| n.create) {
        out.push_str(&format!(
            "docker network create --driver overlay --attachable {} &&\n",
            sh_quote(&n.name)
        ));
    }
    out + &create
}

/// Words as one shell line, each quoted where needed.
pub fn shell_words(words: &[String]) -> String {
    words
        .iter()
        .map(|w| sh_quote(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A mount as the CLI's `--mount` value (fields in double quotes where they hold commas).
pub fn mount_arg(m: &MountSpec) -> String {
    csv(&mount_fields(m))
}

fn mount_fields(m: &MountSpec) -> Vec<String> {
    let mut f = Vec::new();
    match &m.kind {
        MountKind::Volume {
            source,
            driver,
            driver_opts,
        } => {
            f.push("type=volume".into());
            if !source.is_empty() {
                f.push(format!("source={source}"));
            }
            f.push(format!("target={}", m.target));
            if let Some(d) = driver {
                f.push(format!("volume-driver={d}"));
            }
            for (k, v) in driver_opts {
                f.push(format!("volume-opt={k}={v}"));
            }
        }
        MountKind::Bind { source } => {
            f.push("type=bind".into());
            f.push(format!("source={source}"));
            f.push(format!("target={}", m.target));
        }
        MountKind::Tmpfs { size_bytes } => {
            f.push("type=tmpfs".into());
            f.push(format!("target={}", m.target));
            if let Some(s) = size_bytes {
                f.push(format!("tmpfs-size={s}"));
            }
        }
    }
    if m.readonly {
        f.push("readonly".into());
    }
    f
}

fn file_ref_fields(r: &FileRef) -> Vec<String> {
    vec![
        format!("source={}", r.name),
        format!("target={}", r.file_name()),
        format!("uid={}", r.uid),
        format!("gid={}", r.gid),
        format!("mode={:04o}", r.mode),
    ]
}
