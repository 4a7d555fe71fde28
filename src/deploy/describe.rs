//! The whole service in plain words, for the review step, and the spec diff shown before
//! an edit is sent.

use serde_json::Value;

use super::check::{format_cpus, format_duration, format_memory};
use super::{
    DeploySpec, HealthSpec, Mode, MountKind, PublishMode, RegistryAuth, Resources, UpdateSpec,
};
use crate::gconfig;

/// One line per part of the service, in the order of the steps. Never a credential.
pub fn summary(spec: &DeploySpec) -> Vec<String> {
    let mut out = Vec::new();
    let stack = spec
        .stack
        .as_ref()
        .map_or(String::new(), |s| format!(" in stack {s}"));
    out.push(format!(
        "Service {}{stack}, image {}",
        spec.name, spec.image
    ));
    out.push(match &spec.registry {
        RegistryAuth::None => "Registry credentials: none sent".into(),
        RegistryAuth::FromConfig { server } => {
            format!("Registry credentials for {server}: from ~/.docker/config.json")
        }
        RegistryAuth::Typed {
            server, username, ..
        } => format!("Registry credentials for {server}: user {username}, typed password"),
    });
    let words = |w: &[String]| super::export::shell_words(w);
    match (spec.command.is_empty(), spec.args.is_empty()) {
        (true, true) => out.push("Runs the image's own command".into()),
        (true, false) => out.push(format!(
            "Runs the image's entrypoint with {}",
            words(&spec.args)
        )),
        (false, _) => out.push(format!(
            "Runs {}",
            words(&[spec.command.clone(), spec.args.clone()].concat())
        )),
    }
    if !spec.env.is_empty() {
        let env: Vec<String> = spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        out.push(format!("Environment: {}", env.join(", ")));
    }
    if !spec.labels.is_empty() {
        let l: Vec<String> = spec
            .labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        out.push(format!("Labels: {}", l.join(", ")));
    }
    out.push(match spec.mode {
        Mode::Replicated { replicas: 1 } => "Mode: replicated, 1 task".into(),
        Mode::Replicated { replicas } => format!("Mode: replicated, {replicas} tasks"),
        Mode::Global => "Mode: global, one task on every eligible node".into(),
        Mode::ReplicatedJob {
            completions,
            max_concurrent,
        } => format!(
            "Mode: replicated job, {completions} successful runs, at most {max_concurrent} at a time"
        ),
        Mode::GlobalJob => "Mode: global job, runs once on every eligible node".into(),
    });
    let mut placement = Vec::new();
    if !spec.constraints.is_empty() {
        placement.push(format!("only where {}", spec.constraints.join(" and ")));
    }
    if !spec.spread.is_empty() {
        placement.push(format!("spread over {}", spec.spread.join(", then ")));
    }
    if let Some(m) = spec.max_per_node.filter(|m| *m > 0) {
        placement.push(format!("at most {m} per node"));
    }
    out.push(if placement.is_empty() {
        "Placement: any available node".into()
    } else {
        format!("Placement: {}", placement.join("; "))
    });
    if !spec.networks.is_empty() {
        let n: Vec<String> = spec
            .networks
            .iter()
            .map(|n| {
                if n.create {
                    format!("{} (new attachable overlay)", n.name)
                } else {
                    n.name.clone()
                }
            })
            .collect();
        out.push(format!("Networks: {}", n.join(", ")));
    }
    if !spec.ports.is_empty() {
        let p: Vec<String> = spec
            .ports
            .iter()
            .map(|p| {
                let outside = p
                    .published
                    .map_or("a port Swarm picks".to_string(), |pp| pp.to_string());
                let how = match p.mode {
                    PublishMode::Ingress => "on every node (routing mesh)",
                    PublishMode::Host => "on the task's node (host mode)",
                };
                format!("{outside} → {}/{} {how}", p.target, p.protocol.as_str())
            })
            .collect();
        out.push(format!("Ports: {}", p.join("; ")));
    }
    for m in &spec.mounts {
        let ro = if m.readonly { ", read-only" } else { "" };
        out.push(match &m.kind {
            MountKind::Volume {
                source,
                driver,
                driver_opts,
            } => {
                let name = if source.is_empty() {
                    "an anonymous volume".to_string()
                } else {
                    format!("volume {source}")
                };
                let mut extra = Vec::new();
                if let Some(d) = driver {
                    extra.push(format!("driver {d}"));
                }
                extra.extend(driver_opts.iter().map(|(k, v)| format!("{k}={v}")));
                let extra = if extra.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", extra.join(", "))
                };
                format!("Mount: {name}{extra} at {}{ro}", m.target)
            }
            MountKind::Bind { source } => {
                format!("Mount: the node's {source} at {}{ro}", m.target)
            }
            MountKind::Tmpfs { size_bytes } => {
                let size = size_bytes.map_or(String::new(), |s| {
                    format!(
                        " of {}",
                        format_memory(i64::try_from(s).unwrap_or(i64::MAX))
                    )
                });
                format!("Mount: memory (tmpfs){size} at {}{ro}", m.target)
            }
        });
    }
    for (what, refs) in [("Secret", &spec.secrets), ("Config", &spec.configs)] {
        for r in refs {
            let path = if what == "Secret" && !r.file_name().starts_with('/') {
                format!("/run/secrets/{}", r.file_name())
            } else {
                r.file_name().to_string()
            };
            out.push(format!(
                "{what}: {} at {path} (uid {}, gid {}, mode {:04o})",
                r.name, r.uid, r.gid, r.mode
            ));
        }
    }
    if let Some((doc, target)) = &spec.global_config {
        let v = spec
            .global_config_version
            .map_or("the newest version".to_string(), |n| {
                gconfig::config_name(doc, gconfig::Kind::Document, n)
            });
        out.push(format!(
            "Global config {doc} at {target} ({v}), follows its rollouts"
        ));
    }
    let res = |r: &Resources| {
        let mut p = Vec::new();
        if let Some(c) = r.nano_cpus {
            p.push(format!("{} CPUs", format_cpus(c)));
        }
        if let Some(m) = r.memory_bytes {
            p.push(format!("{} memory", format_memory(m)));
        }
        (!p.is_empty()).then(|| p.join(", "))
    };
    if let Some(l) = res(&spec.limits) {
        out.push(format!("Limits: {l}"));
    }
    if let Some(r) = res(&spec.reservations) {
        out.push(format!("Reserved: {r}"));
    }
    let r = &spec.restart;
    let mut restart = format!(
        "Restart: {}",
        match r.condition.as_str() {
            "any" => "whenever a task stops",
            "on-failure" => "when a task fails",
            "none" => "never",
            other => other,
        }
    );
    if r.condition != "none" {
        if let Some(d) = r.delay_ns {
            restart.push_str(&format!(", after {}", format_duration(d)));
        }
        if let Some(n) = r.max_attempts {
            restart.push_str(&format!(", at most {n} times"));
        }
        if let Some(w) = r.window_ns {
            restart.push_str(&format!(" within {}", format_duration(w)));
        }
    }
    out.push(restart);
    if let Some(h) = &spec.healthcheck {
        out.push(health_line(h));
    }
    if spec.mode.is_job() {
        out.push("Updates: every update runs the job again (no update policy)".into());
    } else {
        out.push(format!("Updates: {}", update_line(&spec.update)));
        out.push(format!("Rollbacks: {}", update_line(&spec.rollback)));
    }
    out
}

fn health_line(h: &HealthSpec) -> String {
    let test = match h.test.first().map(String::as_str) {
        Some("NONE") => return "Healthcheck: off (the image's is disabled)".into(),
        Some("CMD-SHELL") => h.test.get(1).cloned().unwrap_or_default(),
        Some(_) => super::export::shell_words(&h.test[1..]),
        None => String::new(),
    };
    let mut s = format!("Healthcheck: {test}");
    if let Some(i) = h.interval_ns {
        s.push_str(&format!(", every {}", format_duration(i)));
    }
    if let Some(t) = h.timeout_ns {
        s.push_str(&format!(", timeout {}", format_duration(t)));
    }
    if let Some(r) = h.retries {
        s.push_str(&format!(", unhealthy after {r} failures"));
    }
    if let Some(p) = h.start_period_ns {
        s.push_str(&format!(", {} to start", format_duration(p)));
    }
    s
}

fn update_line(u: &UpdateSpec) -> String {
    let at_once = if u.parallelism == 0 {
        "all at once".to_string()
    } else {
        format!("{} at a time", u.parallelism)
    };
    let mut s = format!("{at_once}, {}", u.order);
    if u.delay_ns > 0 {
        s.push_str(&format!(", {} apart", format_duration(u.delay_ns)));
    }
    if let Some(m) = u.monitor_ns {
        s.push_str(&format!(", each watched {}", format_duration(m)));
    }
    s.push_str(&format!(", on failure {}", u.failure_action));
    if u.max_failure_ratio > 0.0 {
        s.push_str(&format!(
            " (after {}% failed)",
            (u.max_failure_ratio * 100.0).round()
        ));
    }
    s
}

/// A unified diff of two raw specs (pretty JSON, key order kept), for the confirmation of
/// an edit: `before` as read, `after` from [`super::merge_onto`].
pub fn spec_diff(before: &Value, after: &Value) -> String {
    gconfig::text_diff(before, after, "before", "after")
}
