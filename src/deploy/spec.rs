//! The engine's raw `ServiceSpec` JSON: built from the form ([`to_service_spec`]), read
//! into it ([`from_service_spec`]), and the form's changes written onto the spec read right
//! before an update ([`merge_onto`]), keeping everything else as it was.

use serde_json::{Map, Value, json};

use super::{
    DeploySpec, FileRef, HealthSpec, Mode, MountKind, MountSpec, NetworkChoice, PortSpec, Protocol,
    PublishMode, Resources, RestartSpec, STACK_LABEL, UpdateSpec,
};
use crate::gconfig::{self, Kind};

// ------------------------------------------------------------------------ to the engine

/// The `ServiceSpec` for `POST /services/create` (and the base of an update). Secret and
/// config references carry their names only: [`resolve_refs`] adds the ids the engine
/// requires. Jobs get no `UpdateConfig` or `RollbackConfig` (the engine takes none).
pub fn to_service_spec(spec: &DeploySpec) -> Value {
    let mut root = Map::new();
    root.insert("Name".into(), json!(spec.name));
    root.insert("Labels".into(), Value::Object(service_labels(spec)));

    let mut cs = Map::new();
    cs.insert("Image".into(), json!(spec.image));
    if !spec.command.is_empty() {
        cs.insert("Command".into(), json!(spec.command));
    }
    if !spec.args.is_empty() {
        cs.insert("Args".into(), json!(spec.args));
    }
    if !spec.env.is_empty() {
        let env: Vec<Value> = spec.env.iter().map(|(k, v)| env_json(k, v)).collect();
        cs.insert("Env".into(), Value::Array(env));
    }
    if !spec.mounts.is_empty() {
        cs.insert(
            "Mounts".into(),
            Value::Array(spec.mounts.iter().map(mount_json).collect()),
        );
    }
    if let Some(h) = &spec.healthcheck {
        cs.insert("Healthcheck".into(), health_json(h));
    }
    if !spec.secrets.is_empty() {
        let refs = spec.secrets.iter().map(|r| file_ref_json(r, "SecretName"));
        cs.insert("Secrets".into(), Value::Array(refs.collect()));
    }
    let mut configs: Vec<Value> = spec
        .configs
        .iter()
        .map(|r| file_ref_json(r, "ConfigName"))
        .collect();
    if let Some(r) = global_ref(spec) {
        configs.push(r);
    }
    if !configs.is_empty() {
        cs.insert("Configs".into(), Value::Array(configs));
    }

    let mut tt = Map::new();
    tt.insert("ContainerSpec".into(), Value::Object(cs));
    tt.insert(
        "Resources".into(),
        json!({"Limits": resources_json(&spec.limits), "Reservations": resources_json(&spec.reservations)}),
    );
    tt.insert("RestartPolicy".into(), restart_json(&spec.restart));
    tt.insert("Placement".into(), placement_json(spec));
    if !spec.networks.is_empty() {
        tt.insert(
            "Networks".into(),
            Value::Array(spec.networks.iter().map(network_json).collect()),
        );
    }
    root.insert("TaskTemplate".into(), Value::Object(tt));
    root.insert("Mode".into(), mode_json(&spec.mode));
    if !spec.mode.is_job() {
        root.insert("UpdateConfig".into(), update_json(&spec.update));
        root.insert("RollbackConfig".into(), update_json(&spec.rollback));
    }
    let mut ep = Map::new();
    ep.insert("Mode".into(), json!("vip"));
    if !spec.ports.is_empty() {
        ep.insert(
            "Ports".into(),
            Value::Array(spec.ports.iter().map(port_json).collect()),
        );
    }
    root.insert("EndpointSpec".into(), Value::Object(ep));
    Value::Object(root)
}

fn service_labels(spec: &DeploySpec) -> Map<String, Value> {
    let mut labels = Map::new();
    for (k, v) in &spec.labels {
        labels.insert(k.clone(), json!(v));
    }
    if let Some(stack) = &spec.stack {
        labels.insert(STACK_LABEL.into(), json!(stack));
    }
    if let Some((doc, target)) = &spec.global_config {
        labels.insert(gconfig::target_label(doc), json!(target));
    }
    labels
}

fn env_json(k: &str, v: &str) -> Value {
    json!(format!("{k}={v}"))
}

fn mount_json(m: &MountSpec) -> Value {
    let mut o = Map::new();
    match &m.kind {
        MountKind::Volume {
            source,
            driver,
            driver_opts,
        } => {
            o.insert("Type".into(), json!("volume"));
            if !source.is_empty() {
                o.insert("Source".into(), json!(source));
            }
            o.insert("Target".into(), json!(m.target));
            o.insert("ReadOnly".into(), json!(m.readonly));
            if driver.is_some() || !driver_opts.is_empty() {
                let mut dc = Map::new();
                if let Some(d) = driver {
                    dc.insert("Name".into(), json!(d));
                }
                if !driver_opts.is_empty() {
                    let opts: Map<String, Value> = driver_opts
                        .iter()
                        .map(|(k, v)| (k.clone(), json!(v)))
                        .collect();
                    dc.insert("Options".into(), Value::Object(opts));
                }
                o.insert("VolumeOptions".into(), json!({"DriverConfig": dc}));
            }
        }
        MountKind::Bind { source } => {
            o.insert("Type".into(), json!("bind"));
            o.insert("Source".into(), json!(source));
            o.insert("Target".into(), json!(m.target));
            o.insert("ReadOnly".into(), json!(m.readonly));
        }
        MountKind::Tmpfs { size_bytes } => {
            o.insert("Type".into(), json!("tmpfs"));
            o.insert("Target".into(), json!(m.target));
            o.insert("ReadOnly".into(), json!(m.readonly));
            if let Some(size) = size_bytes {
                o.insert("TmpfsOptions".into(), json!({"SizeBytes": size}));
            }
        }
    }
    Value::Object(o)
}

fn file_ref_json(r: &FileRef, name_key: &str) -> Value {
    json!({
        "File": {"Name": r.file_name(), "UID": r.uid, "GID": r.gid, "Mode": r.mode},
        name_key: r.name,
    })
}

/// The reference to the chosen version of the global config, when one is chosen.
fn global_ref(spec: &DeploySpec) -> Option<Value> {
    let (doc, target) = spec.global_config.as_ref()?;
    let n = spec.global_config_version?;
    let name = gconfig::config_name(doc, Kind::Document, n);
    Some(file_ref_json(
        &FileRef::new(name, target.as_str()),
        "ConfigName",
    ))
}

fn health_json(h: &HealthSpec) -> Value {
    let mut o = Map::new();
    o.insert("Test".into(), json!(h.test));
    for (key, v) in [
        ("Interval", h.interval_ns),
        ("Timeout", h.timeout_ns),
        ("StartPeriod", h.start_period_ns),
    ] {
        if let Some(v) = v {
            o.insert(key.into(), json!(v));
        }
    }
    if let Some(r) = h.retries {
        o.insert("Retries".into(), json!(r));
    }
    Value::Object(o)
}

fn resources_json(r: &Resources) -> Value {
    let mut o = Map::new();
    if let Some(c) = r.nano_cpus {
        o.insert("NanoCPUs".into(), json!(c));
    }
    if let Some(m) = r.memory_bytes {
        o.insert("MemoryBytes".into(), json!(m));
    }
    Value::Object(o)
}

fn restart_json(r: &RestartSpec) -> Value {
    let mut o = Map::new();
    o.insert("Condition".into(), json!(r.condition));
    if let Some(d) = r.delay_ns {
        o.insert("Delay".into(), json!(d));
    }
    if let Some(n) = r.max_attempts {
        o.insert("MaxAttempts".into(), json!(n));
    }
    if let Some(w) = r.window_ns {
        o.insert("Window".into(), json!(w));
    }
    Value::Object(o)
}

fn placement_json(spec: &DeploySpec) -> Value {
    let mut o = Map::new();
    if !spec.constraints.is_empty() {
        o.insert("Constraints".into(), json!(spec.constraints));
    }
    if !spec.spread.is_empty() {
        o.insert(
            "Preferences".into(),
            Value::Array(spec.spread.iter().map(|s| pref_json(s)).collect()),
        );
    }
    if let Some(n) = spec.max_per_node.filter(|n| *n > 0) {
        o.insert("MaxReplicas".into(), json!(n));
    }
    Value::Object(o)
}

fn pref_json(descriptor: &str) -> Value {
    json!({"Spread": {"SpreadDescriptor": descriptor}})
}

fn network_json(n: &NetworkChoice) -> Value {
    json!({"Target": n.name})
}

fn mode_json(m: &Mode) -> Value {
    match m {
        Mode::Replicated { replicas } => json!({"Replicated": {"Replicas": replicas}}),
        Mode::Global => json!({"Global": {}}),
        Mode::ReplicatedJob {
            completions,
            max_concurrent,
        } => {
            json!({"ReplicatedJob": {"MaxConcurrent": max_concurrent, "TotalCompletions": completions}})
        }
        Mode::GlobalJob => json!({"GlobalJob": {}}),
    }
}

fn update_json(u: &UpdateSpec) -> Value {
    let mut o = Map::new();
    o.insert("Parallelism".into(), json!(u.parallelism));
    o.insert("Delay".into(), json!(u.delay_ns));
    o.insert("FailureAction".into(), json!(u.failure_action));
    if let Some(m) = u.monitor_ns {
        o.insert("Monitor".into(), json!(m));
    }
    o.insert("MaxFailureRatio".into(), json!(u.max_failure_ratio));
    o.insert("Order".into(), json!(u.order));
    Value::Object(o)
}

fn port_json(p: &PortSpec) -> Value {
    let mut o = Map::new();
    o.insert("Protocol".into(), json!(p.protocol.as_str()));
    o.insert("TargetPort".into(), json!(p.target));
    if let Some(pp) = p.published {
        o.insert("PublishedPort".into(), json!(pp));
    }
    o.insert("PublishMode".into(), json!(p.mode.as_str()));
    Value::Object(o)
}

/// Show networks by name: the engine stores a service's networks by id, the form (and its
/// check against [`super::Cluster::networks`]) uses names. `networks` is `(id, name)` as
/// listed; an id not listed stays as it is. [`merge_onto`] keeps the raw entries (aliases)
/// of networks shown this way and left unchanged.
pub fn name_networks(spec: &mut DeploySpec, networks: &[(String, String)]) {
    for n in &mut spec.networks {
        if let Some((_, name)) = networks.iter().find(|(id, _)| *id == n.name) {
            n.name = name.clone();
        }
    }
}

/// The `POST /networks/create` bodies of the networks the form asks to create: attachable
/// overlays, created before the service.
pub fn networks_to_create(spec: &DeploySpec) -> Vec<Value> {
    spec.networks
        .iter()
        .filter(|n| n.create)
        .map(|n| {
            json!({
                "Name": n.name,
                "CheckDuplicate": true,
                "Driver": "overlay",
                "Attachable": true,
            })
        })
        .collect()
}

/// Fill what the engine needs and the form cannot know: `SecretID` and `ConfigID` of every
/// reference that has only a name, and for a global config subscription whose version was
/// not chosen, a reference to the newest version (`swarmdeck-<doc>.vN`, mode 0444) at the
/// subscription's target. `secrets` and `configs` are `(id, name)` as listed right before.
/// Err names what does not exist.
pub fn resolve_refs(
    spec: &mut Value,
    secrets: &[(String, String)],
    configs: &[(String, String)],
) -> Result<(), String> {
    let subscriptions: Vec<(String, String)> = spec
        .get("Labels")
        .and_then(Value::as_object)
        .map(|labels| {
            labels
                .iter()
                .filter_map(|(k, v)| Some((subscription_doc(k)?, v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    let Some(cs) = spec
        .pointer_mut("/TaskTemplate/ContainerSpec")
        .and_then(Value::as_object_mut)
    else {
        return Err("the spec has no container spec".into());
    };
    for (doc, target) in subscriptions {
        let refs = cs.entry("Configs").or_insert_with(|| json!([]));
        if refs.is_null() {
            *refs = json!([]);
        }
        let Some(refs) = refs.as_array_mut() else {
            return Err("ContainerSpec.Configs is not a list".into());
        };
        if gconfig::ref_at(refs, &target).is_some() {
            continue;
        }
        let newest = configs
            .iter()
            .filter_map(|(id, name)| {
                Some((gconfig::parse_name(&doc, Kind::Document, name)?, id, name))
            })
            .max_by_key(|(n, _, _)| *n);
        let Some((_, id, name)) = newest else {
            return Err(format!(
                "global config {doc:?} has no published version: publish one first"
            ));
        };
        let mut r = file_ref_json(&FileRef::new(name.as_str(), target.as_str()), "ConfigName");
        r["ConfigID"] = json!(id);
        refs.push(r);
    }
    for (list, id_key, name_key, known, what) in [
        ("Secrets", "SecretID", "SecretName", secrets, "secret"),
        ("Configs", "ConfigID", "ConfigName", configs, "config"),
    ] {
        let Some(refs) = cs.get_mut(list).and_then(Value::as_array_mut) else {
            continue;
        };
        for r in refs {
            let has_id = r
                .get(id_key)
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty());
            if has_id {
                continue;
            }
            let name = r.get(name_key).and_then(Value::as_str).unwrap_or_default();
            let Some((id, _)) = known.iter().find(|(_, n)| n == name) else {
                return Err(format!("there is no {what} named {name:?}"));
            };
            r[id_key] = json!(id);
        }
    }
    Ok(())
}

/// `swarmdeck.<doc>.target` → `doc`, for a valid document name.
fn subscription_doc(label: &str) -> Option<String> {
    let doc = label.strip_prefix("swarmdeck.")?.strip_suffix(".target")?;
    gconfig::check_doc(doc).ok()?;
    Some(doc.to_string())
}

// ----------------------------------------------------------------------- from the engine

/// The spec inside what was read: `raw["Spec"]` for a whole service (`GET /services/ID`),
/// else `raw` itself.
pub fn service_spec_of(raw: &Value) -> &Value {
    match raw.get("Spec") {
        Some(spec)
            if spec.is_object() && (raw.get("ID").is_some() || raw.get("Version").is_some()) =>
        {
            spec
        }
        _ => raw,
    }
}

fn str_of(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(str::to_string)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The form filled from an existing service's raw spec (or the whole service as read).
/// What the form has no field for is simply not in it; [`merge_onto`] keeps it. Registry
/// credentials are not in a spec: `registry` is `None` (an update without the header keeps
/// the stored ones). Network targets are as the engine stores them (ids).
pub fn from_service_spec(raw: &Value) -> DeploySpec {
    let spec = service_spec_of(raw);
    let cs = spec.pointer("/TaskTemplate/ContainerSpec");
    let cs_get = |k: &str| cs.and_then(|c| c.get(k));
    let tt = spec.get("TaskTemplate");
    let tt_get = |k: &str| tt.and_then(|t| t.get(k));

    let mut out = DeploySpec {
        name: str_of(spec.get("Name")).unwrap_or_default(),
        image: str_of(cs_get("Image")).unwrap_or_default(),
        command: strings(cs_get("Command")),
        args: strings(cs_get("Args")),
        ..DeploySpec::default()
    };
    out.env = cs_get("Env")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(parse_env_item).collect())
        .unwrap_or_default();

    // Labels: the stack namespace and one global config subscription have their own fields.
    if let Some(labels) = spec.get("Labels").and_then(Value::as_object) {
        for (k, v) in labels {
            let v = v.as_str().unwrap_or_default().to_string();
            if k == STACK_LABEL {
                out.stack = Some(v);
            } else if out.global_config.is_none()
                && let Some(doc) = subscription_doc(k)
            {
                out.global_config = Some((doc, v));
            } else {
                out.labels.push((k.clone(), v));
            }
        }
    }

    out.mode = parse_mode(spec.get("Mode"));
    let placement = tt_get("Placement");
    out.constraints = strings(placement.and_then(|p| p.get("Constraints")));
    out.spread = placement
        .and_then(|p| p.get("Preferences"))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(parse_pref).collect())
        .unwrap_or_default();
    out.max_per_node = placement
        .and_then(|p| p.get("MaxReplicas"))
        .and_then(Value::as_u64)
        .filter(|n| *n > 0);

    let networks = tt_get("Networks").or_else(|| spec.get("Networks"));
    out.networks = networks
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(parse_network).collect())
        .unwrap_or_default();
    out.ports = spec
        .pointer("/EndpointSpec/Ports")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(parse_port_item).collect())
        .unwrap_or_default();
    out.mounts = cs_get("Mounts")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(parse_mount).collect())
        .unwrap_or_default();
    out.secrets = cs_get("Secrets")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|r| parse_file_ref(r, "SecretName"))
                .collect()
        })
        .unwrap_or_default();
    let mut configs: Vec<FileRef> = cs_get("Configs")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|r| parse_file_ref(r, "ConfigName"))
                .collect()
        })
        .unwrap_or_default();
    if let Some((doc, target)) = &out.global_config
        && let Some(i) = configs.iter().position(|c| {
            c.target == *target && gconfig::parse_name(doc, Kind::Document, &c.name).is_some()
        })
    {
        let r = configs.remove(i);
        out.global_config_version = gconfig::parse_name(doc, Kind::Document, &r.name);
    }
    out.configs = configs;

    let res = |which: &str| {
        let r = tt.and_then(|t| t.pointer(&format!("/Resources/{which}")));
        let get = |k: &str| {
            r.and_then(|r| r.get(k))
                .and_then(Value::as_i64)
                .filter(|n| *n > 0)
        };
        Resources {
            nano_cpus: get("NanoCPUs"),
            memory_bytes: get("MemoryBytes"),
        }
    };
    out.limits = res("Limits");
    out.reservations = res("Reservations");
    if let Some(rp) = tt_get("RestartPolicy") {
        out.restart = RestartSpec {
            condition: str_of(rp.get("Condition")).unwrap_or_else(|| "any".into()),
            delay_ns: rp.get("Delay").and_then(Value::as_i64),
            max_attempts: rp
                .get("MaxAttempts")
                .and_then(Value::as_u64)
                .filter(|n| *n > 0),
            window_ns: rp.get("Window").and_then(Value::as_i64).filter(|n| *n > 0),
        };
    }
    out.healthcheck = cs_get("Healthcheck")
        .filter(|h| h.is_object())
        .map(|h| HealthSpec {
            test: strings(h.get("Test")),
            interval_ns: h.get("Interval").and_then(Value::as_i64),
            timeout_ns: h.get("Timeout").and_then(Value::as_i64),
            start_period_ns: h.get("StartPeriod").and_then(Value::as_i64),
            retries: h.get("Retries").and_then(Value::as_u64),
        });
    if let Some(u) = spec.get("UpdateConfig") {
        out.update = parse_update(u);
    }
    if let Some(u) = spec.get("RollbackConfig") {
        out.rollback = parse_update(u);
    }
    out
}

fn parse_mode(m: Option<&Value>) -> Mode {
    let Some(m) = m else {
        return Mode::default();
    };
    let n = |p: &str| m.pointer(p).and_then(Value::as_u64);
    if m.get("Global").is_some() {
        Mode::Global
    } else if m.get("ReplicatedJob").is_some() {
        let max = n("/ReplicatedJob/MaxConcurrent").unwrap_or(1);
        Mode::ReplicatedJob {
            completions: n("/ReplicatedJob/TotalCompletions").unwrap_or(max),
            max_concurrent: max,
        }
    } else if m.get("GlobalJob").is_some() {
        Mode::GlobalJob
    } else {
        Mode::Replicated {
            replicas: n("/Replicated/Replicas").unwrap_or(1),
        }
    }
}

fn parse_update(u: &Value) -> UpdateSpec {
    let d = UpdateSpec::default();
    UpdateSpec {
        parallelism: u.get("Parallelism").and_then(Value::as_u64).unwrap_or(0),
        delay_ns: u.get("Delay").and_then(Value::as_i64).unwrap_or(0),
        failure_action: str_of(u.get("FailureAction")).unwrap_or(d.failure_action),
        monitor_ns: u.get("Monitor").and_then(Value::as_i64),
        max_failure_ratio: u
            .get("MaxFailureRatio")
            .and_then(Value::as_f64)
            .unwrap_or(0.0),
        order: str_of(u.get("Order")).unwrap_or(d.order),
    }
}

fn parse_env_item(v: &Value) -> Option<(String, String)> {
    let s = v.as_str()?;
    Some(match s.split_once('=') {
        Some((k, v)) => (k.to_string(), v.to_string()),
        None => (s.to_string(), String::new()),
    })
}

fn parse_pref(v: &Value) -> Option<String> {
    str_of(v.pointer("/Spread/SpreadDescriptor"))
}

fn parse_network(v: &Value) -> Option<NetworkChoice> {
    Some(NetworkChoice {
        name: str_of(v.get("Target"))?,
        create: false,
    })
}

fn parse_port_item(v: &Value) -> Option<PortSpec> {
    let protocol = match v.get("Protocol").and_then(Value::as_str).unwrap_or("tcp") {
        "tcp" => Protocol::Tcp,
        "udp" => Protocol::Udp,
        _ => return None,
    };
    let mode = match v
        .get("PublishMode")
        .and_then(Value::as_str)
        .unwrap_or("ingress")
    {
        "ingress" => PublishMode::Ingress,
        "host" => PublishMode::Host,
        _ => return None,
    };
    Some(PortSpec {
        target: u16::try_from(v.get("TargetPort")?.as_u64()?).ok()?,
        published: v
            .get("PublishedPort")
            .and_then(Value::as_u64)
            .and_then(|p| u16::try_from(p).ok())
            .filter(|p| *p > 0),
        protocol,
        mode,
    })
}

fn parse_mount(v: &Value) -> Option<MountSpec> {
    let target = str_of(v.get("Target"))?;
    let readonly = v.get("ReadOnly").and_then(Value::as_bool).unwrap_or(false);
    let source = str_of(v.get("Source")).unwrap_or_default();
    let kind = match v.get("Type").and_then(Value::as_str).unwrap_or("volume") {
        "volume" => {
            let dc = v.pointer("/VolumeOptions/DriverConfig");
            MountKind::Volume {
                source,
                driver: dc
                    .and_then(|d| str_of(d.get("Name")))
                    .filter(|d| !d.is_empty()),
                driver_opts: dc
                    .and_then(|d| d.get("Options"))
                    .and_then(Value::as_object)
                    .map(|o| {
                        o.iter()
                            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        }
        "bind" => MountKind::Bind { source },
        "tmpfs" => MountKind::Tmpfs {
            size_bytes: v
                .pointer("/TmpfsOptions/SizeBytes")
                .and_then(Value::as_u64)
                .filter(|n| *n > 0),
        },
        _ => return None,
    };
    Some(MountSpec {
        kind,
        target,
        readonly,
    })
}

fn parse_file_ref(v: &Value, name_key: &str) -> Option<FileRef> {
    let file = v.get("File")?;
    Some(FileRef {
        name: str_of(v.get(name_key))?,
        target: str_of(file.get("Name")).unwrap_or_default(),
        uid: str_of(file.get("UID")).unwrap_or_else(|| "0".into()),
        gid: str_of(file.get("GID")).unwrap_or_else(|| "0".into()),
        mode: file
            .get("Mode")
            .and_then(Value::as_u64)
            .and_then(|m| u32::try_from(m).ok())
            .unwrap_or(0o444),
    })
}

// -------------------------------------------------------------------------------- merge

/// The spec to send for an edit: `raw_before` (the spec — or whole service — read right
/// before writing) with only what differs between `original` (the form as it was filled)
/// and `edited` written onto it. A field the user did not change is not touched, however
/// the form would have written it: an untouched `Healthcheck`, `Args`, labels, container
/// labels, log driver, unknown fields of a newer engine all go back byte for byte. Within
/// a changed list (mounts, ports, networks, secrets, configs, env, preferences), an item
/// that the form shows unchanged keeps its raw JSON (ids, aliases, options the form has
/// no field for), and raw items the form cannot show are kept.
///
/// Name and mode are written like any field if they differ; [`super::check_edit`] refuses
/// that before anything is sent.
pub fn merge_onto(raw_before: &Value, original: &DeploySpec, edited: &DeploySpec) -> Value {
    let mut out = service_spec_of(raw_before).clone();
    let o = to_service_spec(original);
    let e = to_service_spec(edited);
    let Some(root) = out.as_object_mut() else {
        return e;
    };
    // The deprecated top-level `Networks`: move it where the form's changes go.
    let nets_changed = o.pointer("/TaskTemplate/Networks") != e.pointer("/TaskTemplate/Networks");
    let tt_has_nets = root
        .get("TaskTemplate")
        .and_then(|t| t.get("Networks"))
        .is_some();
    if nets_changed
        && !tt_has_nets
        && let Some(legacy) = root.remove("Networks")
        && let Some(tt) = root
            .entry("TaskTemplate")
            .or_insert_with(|| json!({}))
            .as_object_mut()
    {
        tt.insert("Networks".into(), legacy);
    }
    if let (Some(o), Some(e)) = (o.as_object(), e.as_object()) {
        for k in union_keys(o, e) {
            merge_key(root, &k, "", o.get(&k), e.get(&k));
        }
    }
    out
}

fn union_keys(a: &Map<String, Value>, b: &Map<String, Value>) -> Vec<String> {
    let mut keys: Vec<String> = b.keys().cloned().collect();
    keys.extend(a.keys().filter(|k| !b.contains_key(*k)).cloned());
    keys
}

/// Lists whose items carry more than the form shows: merged item by item.
const ITEM_LISTS: [&str; 7] = [
    "/TaskTemplate/ContainerSpec/Env",
    "/TaskTemplate/ContainerSpec/Mounts",
    "/TaskTemplate/ContainerSpec/Secrets",
    "/TaskTemplate/ContainerSpec/Configs",
    "/TaskTemplate/Placement/Preferences",
    "/TaskTemplate/Networks",
    "/EndpointSpec/Ports",
];

fn merge_key(
    raw: &mut Map<String, Value>,
    key: &str,
    path: &str,
    o: Option<&Value>,
    e: Option<&Value>,
) {
    if o == e {
        return;
    }
    let here = format!("{path}/{key}");
    if ITEM_LISTS.contains(&here.as_str()) {
        let none = Vec::new();
        let items = |v: Option<&Value>| v.and_then(Value::as_array).unwrap_or(&none).clone();
        let raw_items = items(raw.get(key));
        let merged = merge_list(&here, &raw_items, &items(o), &items(e));
        if merged.is_empty() {
            raw.remove(key);
        } else {
            raw.insert(key.to_string(), Value::Array(merged));
        }
        return;
    }
    match (o, e) {
        (None | Some(Value::Object(_)), Some(Value::Object(eo))) => {
            let empty = Map::new();
            let oo = o.and_then(Value::as_object).unwrap_or(&empty);
            let slot = raw
                .entry(key.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            if let Some(m) = slot.as_object_mut() {
                for k in union_keys(oo, eo) {
                    merge_key(m, &k, &here, oo.get(&k), eo.get(&k));
                }
            }
        }
        (_, None) => {
            raw.remove(key);
        }
        (_, Some(v)) => {
            raw.insert(key.to_string(), v.clone());
        }
    }
}

/// A raw list item as the form would write it (None: the form cannot show it).
fn normalize(path: &str, item: &Value) -> Option<Value> {
    match path.rsplit('/').next().unwrap_or_default() {
        "Env" => parse_env_item(item).map(|(k, v)| env_json(&k, &v)),
        "Mounts" => parse_mount(item).map(|m| mount_json(&m)),
        "Secrets" => parse_file_ref(item, "SecretName").map(|r| file_ref_json(&r, "SecretName")),
        "Configs" => parse_file_ref(item, "ConfigName").map(|r| file_ref_json(&r, "ConfigName")),
        "Preferences" => parse_pref(item).map(|p| pref_json(&p)),
        "Networks" => parse_network(item).map(|n| network_json(&n)),
        "Ports" => parse_port_item(item).map(|p| port_json(&p)),
        _ => Some(item.clone()),
    }
}

/// The edited list, each item taken from the raw list when the form shows it unchanged.
/// Networks may be shown by name where the engine stores ids: an item equal to the
/// original form's item at some position reuses the raw item at that position.
fn merge_list(path: &str, raw: &[Value], o: &[Value], e: &[Value]) -> Vec<Value> {
    let norm: Vec<Option<Value>> = raw.iter().map(|r| normalize(path, r)).collect();
    let shown: Vec<usize> = (0..raw.len()).filter(|&j| norm[j].is_some()).collect();
    let positional = path.ends_with("/Networks") && shown.len() == o.len();
    let mut used = vec![false; raw.len()];
    let mut out = Vec::with_capacity(e.len());
    for item in e {
        let exact = (0..raw.len()).find(|&j| !used[j] && norm[j].as_ref() == Some(item));
        let by_position = || {
            positional
                .then(|| (0..o.len()).find(|&i| o[i] == *item && !used[shown[i]]))
                .flatten()
                .map(|i| shown[i])
        };
        match exact.or_else(by_position) {
            Some(j) => {
                used[j] = true;
                out.push(raw[j].clone());
            }
            None => out.push(item.clone()),
        }
    }
    out.extend(
        (0..raw.len())
            .filter(|&j| norm[j].is_none())
            .map(|j| raw[j].clone()),
    );
    out
}
