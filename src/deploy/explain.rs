//! Task errors (`Status.Err`) in plain words, for the convergence view. The scheduler's
//! are swarmkit's filter explanations (`manager/scheduler/filter.go`), joined with `; `
//! inside `no suitable node (…)`; the others come from the node's engine.

/// A plain explanation of a task's error, ending with the engine's own words.
pub fn explain_task_error(err: &str) -> String {
    let raw = err.trim();
    if raw.is_empty() {
        return "The task reported no error.".into();
    }
    let lower = raw.to_ascii_lowercase();
    let plain = if let Some(rest) = lower.strip_prefix("no suitable node") {
        let inner = rest
            .trim()
            .strip_prefix('(')
            .and_then(|r| r.strip_suffix(')'))
            .unwrap_or("");
        let reasons: Vec<String> = inner
            .split("; ")
            .filter(|s| !s.is_empty())
            .map(scheduler_reason)
            .collect();
        if reasons.is_empty() {
            "No node can run this task right now; it stays pending until one can.".to_string()
        } else {
            format!(
                "No node can run this task; it stays pending until one can: {}.",
                reasons.join("; ")
            )
        }
    } else if is_image_missing(&lower) {
        "The node could not get the image: the name or tag is wrong, or the registry needs \
         credentials (deploy with registry credentials so every node can pull; an image built \
         on one node only exists there)."
            .to_string()
    } else if lower.contains("unauthorized")
        || lower.contains("authentication required")
        || lower.contains("no basic auth credentials")
        || lower.contains("denied: requested access")
    {
        "The registry refused the node's pull: the credentials are missing or wrong (deploy \
         with registry credentials; check the user and password)."
            .to_string()
    } else if lower.contains("network") && lower.contains("not found") {
        format!(
            "A network the service joins does not exist (any more){}: pick an existing overlay \
             network or create it.",
            quoted_after(raw, "network ").map_or(String::new(), |n| format!(" ({n})"))
        )
    } else if lower.contains("no such volume")
        || (lower.contains("volume") && lower.contains("not found"))
    {
        format!(
            "A volume the service mounts does not exist on this node{}: create it on every \
             node a task may run on, or use a volume driver that creates it.",
            quoted_after(raw, "volume ").map_or(String::new(), |n| format!(" ({n})"))
        )
    } else if lower.contains("bind source path does not exist") {
        format!(
            "A bind mount's source path does not exist on this node{}: it must exist on every \
             node a task may run on (or constrain the service to the nodes that have it).",
            raw.rsplit(": ")
                .next()
                .map_or(String::new(), |p| format!(" ({p})"))
        )
    } else if lower.contains("failed to mount local volume")
        || lower.contains("error while mounting volume")
    {
        "The node could not mount a volume: for NFS check the server address and export \
         (device=:/export), that the server lets this node in, and that the node has NFS \
         support installed."
            .to_string()
    } else if lower.contains("invalid mount config") || lower.contains("invalid mount") {
        "A mount is invalid on this node (a missing source, a bad path or an option the \
         driver does not know)."
            .to_string()
    } else if let Some(code) = error_exit_code(&lower) {
        format!(
            "The container exited with code {code} ({}).",
            exit_code_meaning(code)
        )
    } else if lower.contains("executable file not found")
        || (lower.contains("oci runtime") && lower.contains("no such file or directory"))
    {
        "The command does not exist in the image: check the command (entrypoint) and args."
            .to_string()
    } else if lower.contains("unhealthy container") {
        "The healthcheck failed too often: Swarm stopped the task and starts a new one.".to_string()
    } else if lower.contains("port is already allocated")
        || lower.contains("address already in use")
    {
        "A published host port is already used on this node by something else.".to_string()
    } else if (lower.contains("secret") || lower.contains("config")) && lower.contains("not found")
    {
        "A secret or config the service mounts does not exist (any more).".to_string()
    } else if lower.contains("context deadline exceeded") || lower.contains("timeout") {
        "The node timed out (pulling the image or starting the container): retried by Swarm."
            .to_string()
    } else {
        return format!("The engine says: {raw}");
    };
    format!("{plain} (engine: {raw})")
}

/// What an exit code usually means.
pub fn exit_code_meaning(code: i64) -> &'static str {
    match code {
        137 => "killed: out of memory, or it did not stop in time",
        143 => "terminated by SIGTERM",
        126 => "the command is not executable",
        127 => "the command was not found in the image",
        1 => "an error of the program: see the task's logs",
        _ => "see the task's logs",
    }
}

/// A node could not find or pull the image (`lower`: the error in lower case): no such
/// image, pull access denied, manifest unknown, repository does not exist, image not found.
pub fn is_image_missing(lower: &str) -> bool {
    lower.contains("no such image")
        || lower.contains("pull access denied")
        || lower.contains("manifest unknown")
        || lower.contains("repository does not exist")
        || (lower.contains("manifest for") && lower.contains("not found"))
        || (lower.contains("image") && lower.contains("not found"))
}

fn scheduler_reason(part: &str) -> String {
    let p = part.trim();
    let n = p
        .split_whitespace()
        .find_map(|w| w.parse::<u64>().ok())
        .unwrap_or(0);
    let nodes = |n: u64| {
        if n == 1 {
            "1 node".to_string()
        } else {
            format!("{n} nodes")
        }
    };
    if p.starts_with("scheduling constraints not satisfied") {
        format!("the placement constraints rule out {}", nodes(n))
    } else if p.contains("not available for new tasks") {
        format!("{} drained, paused or not ready", nodes(n))
    } else if p.starts_with("insufficient resources") {
        format!(
            "{} lack the reserved CPU or memory (lower the reservations)",
            nodes(n)
        )
    } else if p.starts_with("host-mode port already in use") {
        format!(
            "{} already have a task holding the host-mode port (one per node; stop-first \
             updates avoid it)",
            nodes(n)
        )
    } else if p.starts_with("max replicas per node limit exceed") {
        "every eligible node already runs the maximum replicas per node".to_string()
    } else if p.starts_with("unsupported platform") {
        format!(
            "the image is not built for the OS or architecture of {}",
            nodes(n)
        )
    } else if p.starts_with("missing plugin") {
        format!("{} lack a volume, network or log driver plugin", nodes(n))
    } else {
        p.to_string()
    }
}

/// `task: non-zero exit (137)` → 137.
pub fn error_exit_code(lower: &str) -> Option<i64> {
    let at = lower.find("non-zero exit (")? + "non-zero exit (".len();
    let rest = &lower[at..];
    rest[..rest.find(')')?].trim().parse().ok()
}

/// The word after `prefix` (quotes stripped), e.g. the network's name.
fn quoted_after<'a>(raw: &'a str, prefix: &str) -> Option<&'a str> {
    let at = raw.to_ascii_lowercase().find(prefix)? + prefix.len();
    let word = raw[at..].split_whitespace().next()?;
    let word = word.trim_matches(|c| c == '"' || c == '\'');
    (!word.is_empty() && word != "not").then_some(word)
}
