//! The form's checks: errors at fields per step, warnings for the review, and where the
//! scheduler could place the tasks.

use std::collections::{HashMap, HashSet};

use super::check::{
    check_constraint, check_domain_text, check_env_pair, check_image, check_label, check_name,
    check_network_name, check_spread, check_volume_name, format_cpus, format_memory,
    image_has_tag_or_digest, image_registry,
};
use super::{
    Cluster, DeploySpec, FieldError, Mode, MountKind, PublishMode, RegistryAuth, STACK_LABEL, Step,
    field,
};
use crate::domain::{Availability, Node, NodeState};
use crate::gconfig::{self, Kind};
use crate::maint::constraints;

/// The engine's smallest memory limit (6 MiB).
const MIN_MEMORY_LIMIT: i64 = 6 * 1024 * 1024;

struct Errors {
    step: Step,
    out: Vec<FieldError>,
}

impl Errors {
    fn new(step: Step) -> Self {
        Self {
            step,
            out: Vec::new(),
        }
    }
    fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.out.push(FieldError {
            step: self.step,
            field,
            message: message.into(),
        });
    }
    fn check(&mut self, field: &'static str, r: Result<(), String>) {
        if let Err(m) = r {
            self.add(field, m);
        }
    }
}

/// The errors of one step's fields. `editing` is the service's own name when an existing
/// service is edited (its name is then not "in use", and may not change). The review step
/// has no fields of its own: before deploying, use [`validate_all`] (and, for an edit,
/// [`check_edit`]).
pub fn validate_step(
    step: Step,
    spec: &DeploySpec,
    cluster: &Cluster,
    editing: Option<&str>,
) -> Vec<FieldError> {
    let mut e = Errors::new(step);
    match step {
        Step::App => app(&mut e, spec, cluster, editing),
        // Swarm takes any count, 0 included (a scaled-down service, a job with nothing to
        // do); `warnings` says what such counts mean.
        Step::Mode => {}
        Step::Placement => placement(&mut e, spec),
        Step::Network => network(&mut e, spec, cluster, editing),
        Step::Storage => storage(&mut e, spec, cluster),
        Step::Review => {}
    }
    e.out
}

/// Every step's errors, in step order.
pub fn validate_all(
    spec: &DeploySpec,
    cluster: &Cluster,
    editing: Option<&str>,
) -> Vec<FieldError> {
    Step::ALL
        .iter()
        .flat_map(|s| validate_step(*s, spec, cluster, editing))
        .collect()
}

/// What an edit may not change: the name and the mode (the engine refuses both).
pub fn check_edit(original: &DeploySpec, edited: &DeploySpec) -> Vec<FieldError> {
    let mut out = Vec::new();
    if original.name != edited.name {
        out.push(FieldError {
            step: Step::App,
            field: field::NAME,
            message: format!(
                "a service's name cannot change (it is {:?}): create a new service instead",
                original.name
            ),
        });
    }
    if !original.mode.same_kind(&edited.mode) {
        out.push(FieldError {
            step: Step::Mode,
            field: field::MODE,
            message: format!(
                "a service's mode cannot change (it is {}): create a new service instead",
                original.mode.name()
            ),
        });
    }
    out
}

fn app(e: &mut Errors, spec: &DeploySpec, cluster: &Cluster, editing: Option<&str>) {
    match check_name(&spec.name) {
        Err(m) => e.add(field::NAME, m),
        Ok(()) => match editing {
            Some(own) if own != spec.name => e.add(
                field::NAME,
                format!("a service's name cannot change (it is {own:?})"),
            ),
            Some(_) => {}
            None if cluster.services.iter().any(|(n, _)| *n == spec.name) => e.add(
                field::NAME,
                format!("a service named {:?} already exists", spec.name),
            ),
            None => {}
        },
    }
    e.check(field::IMAGE, check_image(&spec.image));
    match &spec.registry {
        RegistryAuth::None => {}
        RegistryAuth::FromConfig { server } => {
            e.check(field::REGISTRY_SERVER, check_server(server));
        }
        RegistryAuth::Typed {
            server,
            username,
            password,
        } => {
            e.check(field::REGISTRY_SERVER, check_server(server));
            if username.trim().is_empty() {
                e.add(field::REGISTRY_USERNAME, "a user name is needed");
            }
            if password.is_empty() {
                e.add(field::REGISTRY_PASSWORD, "a password is needed");
            }
        }
    }
    for (i, (k, v)) in spec.env.iter().enumerate() {
        if let Err(m) = check_env_pair(k, v) {
            e.add(field::ENV, format!("entry {}: {m}", i + 1));
        }
    }
    let mut seen = HashSet::new();
    for (k, _) in &spec.labels {
        if let Err(m) = check_label(k) {
            e.add(field::LABELS, m);
        } else if k == STACK_LABEL {
            e.add(
                field::LABELS,
                format!("{STACK_LABEL} is set by the stack field"),
            );
        } else if k.starts_with("swarmdeck.") && k.ends_with(".target") {
            e.add(
                field::LABELS,
                format!("{k} is a global config subscription: use the global config field"),
            );
        } else if !seen.insert(k.as_str()) {
            e.add(field::LABELS, format!("label {k:?} is given twice"));
        }
    }
    if let Some(stack) = &spec.stack {
        // `docker stack deploy` names its services STACK_NAME: the stack must be a name too.
        if let Err(m) = check_name(stack) {
            e.add(field::STACK, format!("bad stack name: {m}"));
        }
    }
}

fn check_server(server: &str) -> Result<(), String> {
    if server.trim().is_empty() {
        return Err("the registry's host is needed, e.g. registry.example:5000".into());
    }
    check_domain_text(server)
}

fn placement(e: &mut Errors, spec: &DeploySpec) {
    for c in &spec.constraints {
        e.check(field::CONSTRAINTS, check_constraint(c));
    }
    for s in &spec.spread {
        e.check(field::SPREAD, check_spread(s));
    }
    if spec.max_per_node.is_some_and(|n| n > 0)
        && matches!(spec.mode, Mode::Global | Mode::GlobalJob)
    {
        e.add(
            field::MAX_PER_NODE,
            format!(
                "a {} service runs one task per node: max replicas per node is for replicated \
                 modes",
                spec.mode.name()
            ),
        );
    }
}

fn network(e: &mut Errors, spec: &DeploySpec, cluster: &Cluster, editing: Option<&str>) {
    let mut seen = HashSet::new();
    for n in &spec.networks {
        if let Err(m) = check_network_name(&n.name) {
            e.add(field::NETWORKS, m);
            continue;
        }
        if !seen.insert(n.name.as_str()) {
            e.add(
                field::NETWORKS,
                format!("network {:?} is given twice", n.name),
            );
            continue;
        }
        if n.name == "ingress" {
            e.add(
                field::NETWORKS,
                "the ingress network cannot be joined explicitly: publish a port instead",
            );
            continue;
        }
        let exists = cluster.networks.contains(&n.name);
        match (n.create, exists) {
            (true, true) => e.add(
                field::NETWORKS,
                format!(
                    "network {:?} already exists: join it instead of creating it",
                    n.name
                ),
            ),
            (false, false) => e.add(
                field::NETWORKS,
                format!(
                    "there is no network named {:?}: pick one, or create it",
                    n.name
                ),
            ),
            _ => {}
        }
    }
    let mut published = HashMap::new();
    for (i, p) in spec.ports.iter().enumerate() {
        let which = format!("port {}", i + 1);
        if p.target == 0 {
            e.add(field::PORTS, format!("{which}: the target port is 1–65535"));
        }
        let Some(pp) = p.published else {
            continue;
        };
        if pp == 0 {
            e.add(
                field::PORTS,
                format!("{which}: 0 is not a port; leave it empty to let Swarm choose"),
            );
            continue;
        }
        if let Some(first) = published.insert((pp, p.protocol), i + 1) {
            e.add(
                field::PORTS,
                format!(
                    "{which}: {pp}/{} is published twice (also port {first})",
                    p.protocol.as_str()
                ),
            );
            continue;
        }
        let other = cluster.services.iter().find(|(name, ports)| {
            Some(name.as_str()) != editing && ports.contains(&(pp, p.protocol))
        });
        if let Some((name, _)) = other {
            e.add(
                field::PORTS,
                format!(
                    "{which}: {pp}/{} is already published by service {name}",
                    p.protocol.as_str()
                ),
            );
        }
    }
}

fn is_absolute_path(p: &str) -> bool {
    p.starts_with('/') && !p.split('/').any(|s| s == "..")
}

fn storage(e: &mut Errors, spec: &DeploySpec, cluster: &Cluster) {
    let mut targets = HashSet::new();
    for (i, m) in spec.mounts.iter().enumerate() {
        let which = format!("mount {} ({})", i + 1, m.target);
        if !is_absolute_path(&m.target) || m.target == "/" {
            e.add(
                field::MOUNTS,
                format!("{which}: the target is an absolute path inside the container, not /"),
            );
        } else if !targets.insert(m.target.trim_end_matches('/')) {
            e.add(
                field::MOUNTS,
                format!("{which}: two mounts at the same target"),
            );
        }
        match &m.kind {
            MountKind::Volume {
                source,
                driver,
                driver_opts,
            } => {
                if !source.is_empty()
                    && let Err(msg) = check_volume_name(source)
                {
                    e.add(field::MOUNTS, format!("{which}: {msg}"));
                }
                if source.is_empty() && (driver.is_some() || !driver_opts.is_empty()) {
                    e.add(
                        field::MOUNTS,
                        format!("{which}: a volume with a driver or options needs a name"),
                    );
                }
                if driver.as_deref().is_some_and(|d| d.trim().is_empty()) {
                    e.add(field::MOUNTS, format!("{which}: an empty driver name"));
                }
                for (k, _) in driver_opts {
                    if k.trim().is_empty() || k.contains('=') {
                        e.add(
                            field::MOUNTS,
                            format!("{which}: driver option {k:?} has no name"),
                        );
                    }
                }
            }
            MountKind::Bind { source } => {
                if !is_absolute_path(source) {
                    e.add(
                        field::MOUNTS,
                        format!("{which}: a bind mount's source is an absolute path on the node"),
                    );
                }
            }
            MountKind::Tmpfs { size_bytes } => {
                if *size_bytes == Some(0) {
                    e.add(
                        field::MOUNTS,
                        format!("{which}: a size of 0: leave it empty for no limit"),
                    );
                }
            }
        }
    }
    file_refs(
        e,
        field::SECRETS,
        "secret",
        &spec.secrets,
        &cluster.secrets,
        false,
    );
    file_refs(
        e,
        field::CONFIGS,
        "config",
        &spec.configs,
        &cluster.configs,
        true,
    );
    if let Some((doc, target)) = &spec.global_config {
        if let Err(m) = gconfig::check_doc(doc) {
            e.add(field::GLOBAL_CONFIG, m);
        } else if let Some(n) = spec.global_config_version {
            let name = gconfig::config_name(doc, Kind::Document, n);
            if !cluster.configs.contains(&name) {
                e.add(
                    field::GLOBAL_CONFIG,
                    format!("version v{n} of {doc} ({name}) does not exist"),
                );
            }
        } else if latest_global_version(doc, cluster).is_none() {
            e.add(
                field::GLOBAL_CONFIG,
                format!("{doc} has no published version yet: publish one first"),
            );
        }
        if let Err(m) = gconfig::check_target(target) {
            e.add(field::GLOBAL_CONFIG, m);
        } else if spec.configs.iter().any(|c| c.file_name() == target) {
            e.add(
                field::GLOBAL_CONFIG,
                format!("another config is mounted at {target}: two configs cannot share a target"),
            );
        }
    }
    resources(e, spec);
    restart(e, spec);
    health(e, spec);
    if !spec.mode.is_job() {
        update(e, &spec.update, false);
        update(e, &spec.rollback, true);
    }
}

fn file_refs(
    e: &mut Errors,
    f: &'static str,
    what: &str,
    refs: &[super::FileRef],
    known: &[String],
    absolute: bool,
) {
    let mut targets = HashSet::new();
    for r in refs {
        if !known.contains(&r.name) {
            e.add(f, format!("there is no {what} named {:?}", r.name));
        }
        let t = r.file_name();
        if t.chars().any(char::is_control) || t.split('/').any(|s| s == "..") {
            e.add(f, format!("{}: bad target {t:?}", r.name));
        } else if absolute && !t.starts_with('/') {
            e.add(
                f,
                format!("{}: a config's target is an absolute path", r.name),
            );
        } else if !targets.insert(t) {
            e.add(
                f,
                format!(
                    "{}: another {what} has the target {t} (the engine refuses it)",
                    r.name
                ),
            );
        }
        for (label, id) in [("uid", &r.uid), ("gid", &r.gid)] {
            if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
                e.add(f, format!("{}: the {label} is a number, e.g. 0", r.name));
            }
        }
        if r.mode > 0o7777 {
            e.add(
                f,
                format!("{}: mode {:o} is more than 7777 (octal)", r.name, r.mode),
            );
        }
    }
}

fn resources(e: &mut Errors, spec: &DeploySpec) {
    let (l, r) = (&spec.limits, &spec.reservations);
    for (f, v) in [
        (field::LIMIT_CPUS, l.nano_cpus),
        (field::RESERVE_CPUS, r.nano_cpus),
        (field::LIMIT_MEMORY, l.memory_bytes),
        (field::RESERVE_MEMORY, r.memory_bytes),
    ] {
        if v.is_some_and(|v| v <= 0) {
            e.add(f, "more than 0, or empty for none");
        }
    }
    if let Some(m) = l.memory_bytes
        && m > 0
        && m < MIN_MEMORY_LIMIT
    {
        e.add(
            field::LIMIT_MEMORY,
            "the engine's smallest memory limit is 6M",
        );
    }
    if let (Some(lc), Some(rc)) = (l.nano_cpus, r.nano_cpus)
        && rc > lc
    {
        e.add(
            field::RESERVE_CPUS,
            format!(
                "reserves {} CPUs, more than the limit {}",
                format_cpus(rc),
                format_cpus(lc)
            ),
        );
    }
    if let (Some(lm), Some(rm)) = (l.memory_bytes, r.memory_bytes)
        && rm > lm
    {
        e.add(
            field::RESERVE_MEMORY,
            format!(
                "reserves {}, more than the limit {}",
                format_memory(rm),
                format_memory(lm)
            ),
        );
    }
}

fn restart(e: &mut Errors, spec: &DeploySpec) {
    let r = &spec.restart;
    if !matches!(r.condition.as_str(), "any" | "on-failure" | "none") {
        e.add(field::RESTART_CONDITION, "any, on-failure or none");
    }
    for (f, v) in [
        (field::RESTART_DELAY, r.delay_ns),
        (field::RESTART_WINDOW, r.window_ns),
    ] {
        if v.is_some_and(|v| v < 0) {
            e.add(f, "not negative");
        }
    }
}

fn health(e: &mut Errors, spec: &DeploySpec) {
    let Some(h) = &spec.healthcheck else {
        return;
    };
    match h.test.first().map(String::as_str) {
        Some("NONE") if h.test.len() == 1 => {}
        Some("CMD") if h.test.len() >= 2 && !h.test[1].is_empty() => {}
        Some("CMD-SHELL") if h.test.len() == 2 && !h.test[1].trim().is_empty() => {}
        _ => e.add(
            field::HEALTH_TEST,
            "a command: [\"CMD-SHELL\", \"curl -f localhost\"], [\"CMD\", \"prog\", \"arg\"…] \
             or [\"NONE\"] to turn the image's off",
        ),
    }
    for (f, v) in [
        (field::HEALTH_INTERVAL, h.interval_ns),
        (field::HEALTH_TIMEOUT, h.timeout_ns),
        (field::HEALTH_START_PERIOD, h.start_period_ns),
    ] {
        match v {
            Some(v) if v < 0 => e.add(f, "not negative"),
            Some(v) if v > 0 && v < 1_000_000 => e.add(f, "at least 1ms (or 0 for the default)"),
            _ => {}
        }
    }
}

fn update(e: &mut Errors, u: &super::UpdateSpec, rollback: bool) {
    let (fa, delay, monitor, ratio, order) = if rollback {
        (
            field::ROLLBACK_FAILURE_ACTION,
            field::ROLLBACK_DELAY,
            field::ROLLBACK_MONITOR,
            field::ROLLBACK_MAX_FAILURE_RATIO,
            field::ROLLBACK_ORDER,
        )
    } else {
        (
            field::UPDATE_FAILURE_ACTION,
            field::UPDATE_DELAY,
            field::UPDATE_MONITOR,
            field::UPDATE_MAX_FAILURE_RATIO,
            field::UPDATE_ORDER,
        )
    };
    let actions_ok = match u.failure_action.as_str() {
        "pause" | "continue" => true,
        "rollback" => !rollback,
        _ => false,
    };
    if !actions_ok {
        e.add(
            fa,
            if rollback {
                "pause or continue"
            } else {
                "pause, continue or rollback"
            },
        );
    }
    if u.delay_ns < 0 {
        e.add(delay, "not negative");
    }
    if u.monitor_ns.is_some_and(|m| m < 0) {
        e.add(monitor, "not negative");
    }
    if !(0.0..=1.0).contains(&u.max_failure_ratio) {
        e.add(ratio, "between 0 and 1");
    }
    if !matches!(u.order.as_str(), "stop-first" | "start-first") {
        e.add(order, "stop-first or start-first");
    }
}

// ----------------------------------------------------------------------------- placement

/// Each node's hostname and whether a task of this service could be placed there, with
/// the reason when not: not ready, drained or paused, a constraint (named, with what the
/// node has instead), or too little CPU or memory for the reservations. Constraints are
/// judged by [`crate::maint::constraints`], the drain check's code.
pub fn eligible(spec: &DeploySpec, nodes: &[Node]) -> Vec<(String, Result<(), String>)> {
    nodes
        .iter()
        .map(|n| (n.hostname.clone(), node_fits(spec, n)))
        .collect()
}

fn node_fits(spec: &DeploySpec, n: &Node) -> Result<(), String> {
    if n.state != NodeState::Ready {
        return Err(format!("the node is {}", n.state));
    }
    match n.availability {
        Availability::Active => {}
        Availability::Drain => return Err("the node is drained".into()),
        Availability::Pause => return Err("the node is paused".into()),
        Availability::Unknown(_) => return Err(format!("availability {}", n.availability)),
    }
    let mut failed = Vec::new();
    for raw in &spec.constraints {
        match constraints::parse(raw) {
            Err(e) => failed.push(e.to_string()),
            Ok(c) if !constraints::matches(&c, n) => failed.push(constraints::why_not(&c, n)),
            Ok(_) => {}
        }
    }
    let r = &spec.reservations;
    if let Some(c) = r.nano_cpus
        && n.nano_cpus > 0
        && c > n.nano_cpus
    {
        failed.push(format!(
            "reserves {} CPUs, the node has {}",
            format_cpus(c),
            format_cpus(n.nano_cpus)
        ));
    }
    if let Some(m) = r.memory_bytes
        && n.memory_bytes > 0
        && m > n.memory_bytes
    {
        failed.push(format!(
            "reserves {} memory, the node has {}",
            format_memory(m),
            format_memory(n.memory_bytes)
        ));
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(failed.join("; "))
    }
}

/// `node.labels.zone==eu-1 (its zone is eu-2)`.
/// The newest published version of a global config document among the cluster's configs.
pub fn latest_global_version(doc: &str, cluster: &Cluster) -> Option<u64> {
    cluster
        .configs
        .iter()
        .filter_map(|name| gconfig::parse_name(doc, Kind::Document, name))
        .max()
}

// ------------------------------------------------------------------------------ warnings

/// What is allowed but probably not meant, in plain words, for the review step.
pub fn warnings(spec: &DeploySpec, cluster: &Cluster) -> Vec<String> {
    let mut w = Vec::new();
    let fits = eligible(spec, &cluster.nodes);
    let ok = fits.iter().filter(|(_, r)| r.is_ok()).count() as u64;
    let tasks_wanted = match spec.mode {
        Mode::Replicated { replicas } => replicas,
        Mode::ReplicatedJob {
            max_concurrent,
            completions,
        } => max_concurrent.min(completions),
        Mode::Global | Mode::GlobalJob => 1,
    };
    if !cluster.nodes.is_empty() && ok == 0 && tasks_wanted > 0 {
        let reasons: Vec<String> = fits
            .iter()
            .filter_map(|(h, r)| r.as_ref().err().map(|why| format!("{h}: {why}")))
            .collect();
        w.push(format!(
            "no node can run this service; its tasks will stay pending ({})",
            reasons.join("; ")
        ));
    }
    if let Some(m) = spec.max_per_node.filter(|m| *m > 0)
        && ok > 0
    {
        let room = ok.saturating_mul(m);
        if tasks_wanted > room {
            w.push(format!(
                "{ok} eligible node(s) × {m} per node = {room} tasks at most: {} of the {} \
                 will stay pending (\"max replicas per node limit exceed\")",
                tasks_wanted - room,
                tasks_wanted
            ));
        }
    }
    match spec.mode {
        Mode::Replicated { replicas: 0 } => {
            w.push("0 replicas: nothing runs until the service is scaled up".into())
        }
        Mode::ReplicatedJob {
            completions,
            max_concurrent,
        } => {
            if completions == 0 {
                w.push("0 completions: the job has nothing to run".into());
            } else if max_concurrent == 0 {
                w.push("max concurrent 0: no task of the job ever starts".into());
            }
        }
        _ => {}
    }
    if spec.mode.is_job() {
        w.push("a job: every later update of this service (even a label) runs it again".into());
    }
    let host_ports: Vec<u16> = spec
        .ports
        .iter()
        .filter(|p| p.mode == PublishMode::Host)
        .filter_map(|p| p.published)
        .collect();
    if !spec.mode.is_job() {
        let single = matches!(spec.mode, Mode::Replicated { replicas: 1 });
        if single && spec.update.order == "stop-first" {
            w.push(
                "one replica with stop-first updates: the service is down while each update \
                 starts the new task (start-first avoids it)"
                    .into(),
            );
        }
        if spec.update.order == "start-first" && !host_ports.is_empty() {
            w.push(format!(
                "start-first with host-mode port(s) {host_ports:?}: the new task cannot take \
                 the port while the old one holds it (\"host-mode port already in use\"); use \
                 stop-first"
            ));
        }
    }
    if let Mode::Replicated { replicas } = spec.mode
        && !host_ports.is_empty()
        && ok > 0
        && replicas > ok
    {
        w.push(format!(
            "host-mode port(s) {host_ports:?}: one task per node can hold them, {replicas} \
             replicas on {ok} eligible node(s)"
        ));
    }
    let many_nodes = ok > 1
        && match spec.mode {
            Mode::Replicated { replicas } => replicas > 1,
            Mode::ReplicatedJob { completions, .. } => completions > 1,
            Mode::Global | Mode::GlobalJob => true,
        };
    for m in &spec.mounts {
        match &m.kind {
            MountKind::Volume {
                source,
                driver,
                driver_opts,
            } if !source.is_empty()
                && driver.as_deref().is_none_or(|d| d == "local")
                && !driver_opts.iter().any(|(k, _)| k == "type")
                && many_nodes =>
            {
                w.push(format!(
                    "volume {source} uses the local driver: each node has its own copy, so \
                     tasks on different nodes do not share its data (use shared storage, e.g. \
                     NFS options, or a constraint)"
                ));
            }
            MountKind::Bind { source } => w.push(format!(
                "bind mount {source}: the path must exist on every node a task may run on"
            )),
            _ => {}
        }
    }
    if !image_has_tag_or_digest(&spec.image) && check_image(&spec.image).is_ok() {
        w.push(format!(
            "{} has no tag: :latest is used; a tag or digest keeps every node on the same image",
            spec.image
        ));
    }
    let registry = image_registry(&spec.image);
    if !spec.registry.needed() && registry != "docker.io" && check_image(&spec.image).is_ok() {
        w.push(format!(
            "the image is from {registry} and no credentials are sent: if it needs a login, \
             the nodes fail with \"No such image\""
        ));
    }
    if let Some(server) = spec.registry.server()
        && server != registry
        && !(registry == "docker.io" && server.contains("docker.io"))
    {
        w.push(format!(
            "the credentials are for {server}, the image is pulled from {registry}"
        ));
    }
    if let Some((doc, _)) = &spec.global_config
        && spec.global_config_version.is_none()
        && let Some(n) = latest_global_version(doc, cluster)
    {
        w.push(format!(
            "global config {doc}: the newest version, v{n}, is mounted"
        ));
    }
    w
}
