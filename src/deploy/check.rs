//! Syntax checks of what the form's fields hold, and the parsers of its typed values
//! (ports, durations, CPUs, memory). Each check says what is wrong in plain words.

use crate::maint::constraints::{self, ConstraintError};

/// Swarm's service name limit.
pub const MAX_SERVICE_NAME: usize = 63;

/// A service name: `^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$`, at most 63 characters (swarmkit's
/// rule): letters and digits, with `-` and `_` only between them; no dots.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("a service needs a name".into());
    }
    if name.len() > MAX_SERVICE_NAME {
        return Err(format!(
            "{} characters: a service name has at most {MAX_SERVICE_NAME}",
            name.chars().count()
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_')))
    {
        let what = if c == '.' {
            "no dots in a service name".to_string()
        } else {
            format!("{c:?} is not allowed")
        };
        return Err(format!(
            "{what}: use letters, digits, and '-' or '_' between them"
        ));
    }
    let b = name.as_bytes();
    if !b[0].is_ascii_alphanumeric() || !b[b.len() - 1].is_ascii_alphanumeric() {
        return Err("a service name starts and ends with a letter or digit".into());
    }
    Ok(())
}

/// A network name (the engine's rule for names: `^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`).
pub fn check_network_name(name: &str) -> Result<(), String> {
    let ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if !ok {
        return Err(format!(
            "bad network name {name:?}: letters, digits, '_', '.' and '-', starting with a \
             letter or digit"
        ));
    }
    Ok(())
}

/// A named volume (the engine's rule: `^[a-zA-Z0-9][a-zA-Z0-9_.-]+$`).
pub fn check_volume_name(name: &str) -> Result<(), String> {
    let ok = name.len() >= 2
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if !ok {
        return Err(format!(
            "bad volume name {name:?}: at least 2 characters, letters, digits, '_', '.' and \
             '-', starting with a letter or digit"
        ));
    }
    Ok(())
}

// ------------------------------------------------------------------------------ images

/// An image reference, in the grammar of the distribution `reference` package the engine
/// uses: `[host[:port]/]path[:tag][@digest]`, the path lowercase components separated by
/// `/` (`[a-z0-9]+` joined by `.`, `_`, `__` or dashes), the tag `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`,
/// the digest `algorithm:hex` (64 hex digits for sha256).
///
/// Stricter than the engine in one place: a first component with capitals but no dot, no
/// port and not `localhost` (`UPPER/case`) is refused as "must be lowercase", where the
/// engine would take `UPPER` for a registry host; such a host is never what was meant.
pub fn check_image(reference: &str) -> Result<(), String> {
    parse_image(reference).map(|_| ())
}

/// The registry an image reference is pulled from: its host (with port), or `docker.io`.
/// An unparseable reference gives `docker.io` too.
pub fn image_registry(reference: &str) -> String {
    parse_image(reference)
        .ok()
        .and_then(|r| r.domain)
        .unwrap_or_else(|| "docker.io".to_string())
}

/// Whether an image reference names a tag or digest (else the engine uses `:latest`).
pub(crate) fn image_has_tag_or_digest(reference: &str) -> bool {
    parse_image(reference).is_ok_and(|r| r.tag.is_some() || r.digest.is_some())
}

#[derive(Debug)]
struct ImageRef {
    domain: Option<String>,
    tag: Option<String>,
    digest: Option<String>,
}

fn parse_image(reference: &str) -> Result<ImageRef, String> {
    let msg = |why: &str| format!("bad image reference {reference:?}: {why}");
    let bad = |why: &str| Err(msg(why));
    if reference.is_empty() {
        return Err(
            "a service needs an image, e.g. nginx:1.27 or registry.example:5000/app:v1".into(),
        );
    }
    if reference.chars().any(char::is_whitespace) {
        return bad("no spaces");
    }
    if reference.len() == 64 && reference.chars().all(|c| c.is_ascii_hexdigit()) {
        return bad("a 64-digit hexadecimal string is an image id, not a name");
    }
    let (name_tag, digest) = match reference.split_once('@') {
        Some((n, d)) => {
            check_digest(d).map_err(|why| msg(&why))?;
            (n, Some(d.to_string()))
        }
        None => (reference, None),
    };
    // The tag is after the last ':' that follows the last '/'.
    let last_slash = name_tag.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match name_tag[last_slash..].rfind(':') {
        Some(i) => {
            let at = last_slash + i;
            (&name_tag[..at], Some(&name_tag[at + 1..]))
        }
        None => (name_tag, None),
    };
    if let Some(tag) = tag {
        let mut chars = tag.chars();
        let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
        let ok = chars.next().is_some_and(word)
            && tag.len() <= 128
            && chars.all(|c| word(c) || c == '.' || c == '-');
        if !ok {
            return bad(if tag.is_empty() {
                "nothing after ':' (the tag)"
            } else {
                "a tag is letters, digits, '_', '.' and '-' (not first), at most 128"
            });
        }
    }
    if name.is_empty() {
        return bad("no repository name before the tag or digest");
    }
    if name.len() > 255 {
        return bad("the repository name has more than 255 characters");
    }
    let (domain, path) = match name.split_once('/') {
        Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => {
            check_domain(first).map_err(|why| msg(&why))?;
            (Some(first.to_string()), rest)
        }
        _ => (None, name),
    };
    if path.chars().any(|c| c.is_ascii_uppercase()) {
        return bad("the repository name must be lowercase");
    }
    for component in path.split('/') {
        check_path_component(component).map_err(|why| msg(&why))?;
    }
    Ok(ImageRef {
        domain,
        tag: tag.map(str::to_string),
        digest,
    })
}

/// `[a-z0-9]+` joined by `.`, `_`, `__` or one or more `-`.
fn check_path_component(c: &str) -> Result<(), String> {
    if c.is_empty() {
        return Err("an empty path component (two '/' in a row, or '/' at an end)".into());
    }
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    if !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return Err(format!(
            "path component {c:?} must start and end with a lowercase letter or digit"
        ));
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = matches!(sep, "." | "_" | "__") || sep.bytes().all(|x| x == b'-');
        if !ok {
            return Err(format!(
                "path component {c:?}: {sep:?} is no separator (use '.', '_', '__' or dashes)"
            ));
        }
    }
    Ok(())
}

/// `host[:port]`: DNS labels separated by dots, an IPv4 address, or `[IPv6]`.
fn check_domain(d: &str) -> Result<(), String> {
    let (host, port) = if let Some(rest) = d.strip_prefix('[') {
        let Some((v6, after)) = rest.split_once(']') else {
            return Err(format!("registry host {d:?}: no closing ']'"));
        };
        if v6.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(format!("registry host {d:?}: not an IPv6 address"));
        }
        match after.strip_prefix(':') {
            Some(p) => ("", Some(p)),
            None if after.is_empty() => ("", None),
            None => return Err(format!("registry host {d:?}: junk after ']'")),
        }
    } else {
        match d.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (d, None),
        }
    };
    if let Some(p) = port
        && (p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(format!("registry host {d:?}: the port must be a number"));
    }
    if !d.starts_with('[') {
        let label_ok = |l: &str| {
            let b = l.as_bytes();
            !b.is_empty()
                && b[0].is_ascii_alphanumeric()
                && b[b.len() - 1].is_ascii_alphanumeric()
                && b.iter().all(|x| x.is_ascii_alphanumeric() || *x == b'-')
        };
        if !host.split('.').all(label_ok) {
            return Err(format!("registry host {host:?} is not a host name"));
        }
    }
    Ok(())
}

/// A registry server as typed for credentials: `host[:port]`, maybe with `https://` and a
/// path (`https://index.docker.io/v1/`).
pub(crate) fn check_domain_text(server: &str) -> Result<(), String> {
    let s = server.trim();
    let s = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .unwrap_or(s);
    let host = s.split('/').next().unwrap_or_default();
    if host.is_empty() {
        return Err(format!("{server:?} is not a registry host"));
    }
    check_domain(host)
}

fn check_digest(d: &str) -> Result<(), String> {
    let Some((algo, hex)) = d.split_once(':') else {
        return Err("a digest is algorithm:hex, e.g. sha256:…".into());
    };
    let algo_ok = !algo.is_empty()
        && algo.split(['+', '.', '_', '-']).all(|c| {
            c.chars().next().is_some_and(|x| x.is_ascii_alphabetic())
                && c.chars().all(|x| x.is_ascii_alphanumeric())
        });
    if !algo_ok {
        return Err(format!("digest algorithm {algo:?} is invalid"));
    }
    let want = match algo {
        "sha256" => Some(64),
        "sha384" => Some(96),
        "sha512" => Some(128),
        _ => None,
    };
    let hex_ok = hex.chars().all(|c| c.is_ascii_hexdigit())
        && match want {
            Some(n) => hex.len() == n,
            None => hex.len() >= 32,
        };
    if !hex_ok {
        return Err(match want {
            Some(n) => format!("a {algo} digest is {n} hexadecimal digits"),
            None => "a digest is at least 32 hexadecimal digits".into(),
        });
    }
    Ok(())
}

// ------------------------------------------------------------------------- placement

/// A placement constraint, parsed by the same code the drain check uses
/// ([`crate::maint::constraints`]): `node.labels.K==V`, `!=`, `node.role`,
/// `node.hostname`, `node.id`, `node.ip`, `node.platform.os`, `node.platform.arch`,
/// `engine.labels.K`.
pub fn check_constraint(c: &str) -> Result<(), String> {
    match constraints::parse(c) {
        Ok(_) => Ok(()),
        Err(e @ ConstraintError::Syntax { .. }) => {
            let single = c.contains('=') && !c.contains("==") && !c.contains("!=");
            if single {
                Err(format!("{e}: a single '=' is no operator, write == or !="))
            } else {
                Err(e.to_string())
            }
        }
        Err(e) => Err(e.to_string()),
    }
}

/// A spread preference's descriptor: `node.labels.KEY` or `engine.labels.KEY`.
pub fn check_spread(descriptor: &str) -> Result<(), String> {
    let lower = descriptor.to_ascii_lowercase();
    let ok = ["node.labels.", "engine.labels."]
        .iter()
        .any(|p| lower.starts_with(p) && lower.len() > p.len())
        && !descriptor.chars().any(|c| c.is_whitespace() || c == '=');
    if !ok {
        return Err(format!(
            "bad spread preference {descriptor:?}: a label to spread over, node.labels.KEY \
             or engine.labels.KEY"
        ));
    }
    Ok(())
}

// ----------------------------------------------------------------------- env, labels

/// `KEY=VALUE` as typed: split at the first `=`.
pub fn parse_env(kv: &str) -> Result<(String, String), String> {
    let Some((k, v)) = kv.split_once('=') else {
        return Err(format!("{kv:?}: write KEY=VALUE"));
    };
    check_env_pair(k, v)?;
    Ok((k.to_string(), v.to_string()))
}

/// An environment entry as typed, `KEY=VALUE`: a key without spaces, no NUL anywhere.
pub fn check_env(kv: &str) -> Result<(), String> {
    parse_env(kv).map(|_| ())
}

pub(crate) fn check_env_pair(k: &str, v: &str) -> Result<(), String> {
    if k.is_empty() {
        return Err("an environment variable needs a name before '='".into());
    }
    if k.contains('=') {
        return Err(format!("{k:?}: no '=' in a variable's name"));
    }
    if k.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "{k:?}: no spaces or control characters in a variable's name"
        ));
    }
    if v.contains('\0') {
        return Err(format!("{k}: no NUL character in a value"));
    }
    Ok(())
}

/// A label's key: not empty, no `=`, no control characters.
pub fn check_label(key: &str) -> Result<(), String> {
    if key.trim().is_empty() {
        return Err("a label needs a key".into());
    }
    if key.contains('=') || key.chars().any(char::is_control) {
        return Err(format!(
            "label key {key:?}: no '=' and no control characters"
        ));
    }
    Ok(())
}

// ----------------------------------------------------------------------------- ports

/// A port number as typed: 1 to 65535.
pub fn parse_port(text: &str) -> Result<u16, String> {
    let t = text.trim();
    if t.is_empty() || !t.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("{text:?} is not a port number (1–65535)"));
    }
    match t.parse::<u32>() {
        Ok(0) => Err(
            "0 is not a port: 1–65535 (leave the published port empty to let Swarm choose)".into(),
        ),
        Ok(n) if n <= 65535 => Ok(n as u16),
        _ => Err(format!("{t} is out of range: ports are 1–65535")),
    }
}

/// A port number as typed: 1 to 65535.
pub fn check_port(text: &str) -> Result<(), String> {
    parse_port(text).map(|_| ())
}

// ------------------------------------------------------------------------- durations

/// A duration in Go's syntax, as compose and the CLI take it: `90s`, `1m30s`, `500ms`,
/// `1.5h`, `0`; units ns, us (µs), ms, s, m, h. Not negative.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let bad = || {
        Err(format!(
            "{text:?} is not a duration: e.g. 30s, 1m30s, 500ms, 2h (units ns us ms s m h)"
        ))
    };
    if t == "0" {
        return Ok(0);
    }
    if t.is_empty() || t.starts_with(['-', '+']) {
        return bad();
    }
    let mut total: f64 = 0.0;
    let mut rest = t;
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let num = &rest[..num_end];
        if num.is_empty() || num == "." || num.matches('.').count() > 1 {
            return bad();
        }
        let Ok(value) = num.parse::<f64>() else {
            return bad();
        };
        rest = &rest[num_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale: f64 = match &rest[..unit_end] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return bad(),
        };
        rest = &rest[unit_end..];
        total += value * scale;
    }
    if total > i64::MAX as f64 {
        return Err(format!("{text:?} is too long a duration"));
    }
    Ok(total.round() as i64)
}

/// Nanoseconds in Go's syntax, exactly: `0s`, `5s`, `1m30s`, `1s500ms`, `2h`.
pub fn format_duration(ns: i64) -> String {
    if ns == 0 {
        return "0s".into();
    }
    let sign = if ns < 0 { "-" } else { "" };
    let mut n = ns.unsigned_abs();
    let mut out = String::from(sign);
    for (unit, size) in [
        ("h", 3_600_000_000_000u64),
        ("m", 60_000_000_000),
        ("s", 1_000_000_000),
        ("ms", 1_000_000),
        ("us", 1_000),
        ("ns", 1),
    ] {
        if n >= size {
            out.push_str(&format!("{}{unit}", n / size));
            n %= size;
        }
    }
    out
}

// ---------------------------------------------------------------------- CPU, memory

/// CPUs as typed (`0.5`, `2`) in nano CPUs, at most 9 decimals, more than 0.
pub fn parse_cpus(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let bad = || Err(format!("{text:?} is not a number of CPUs, e.g. 0.5 or 2"));
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return bad();
    }
    if frac.len() > 9 {
        return Err(format!("{text:?}: at most 9 decimals"));
    }
    let int: i64 = if int.is_empty() {
        0
    } else {
        match int.parse() {
            Ok(n) => n,
            Err(_) => return bad(),
        }
    };
    let frac_n: i64 = format!("{frac:0<9}").parse().unwrap_or(0);
    let nano = int
        .checked_mul(1_000_000_000)
        .and_then(|n| n.checked_add(frac_n));
    match nano {
        Some(0) => Err("0 CPUs: leave it empty for no limit".into()),
        Some(n) => Ok(n),
        None => bad(),
    }
}

/// Nano CPUs as a decimal (`0.5`, `2`), as the CLI and compose take it.
pub fn format_cpus(nano: i64) -> String {
    let int = nano / 1_000_000_000;
    let frac = (nano % 1_000_000_000).abs();
    if frac == 0 {
        return int.to_string();
    }
    let frac = format!("{frac:09}");
    format!("{int}.{}", frac.trim_end_matches('0'))
}

/// Memory as typed, as the docker CLI reads it (binary units): `512M`, `1g`, `1.5GiB`,
/// `1048576` (bytes). More than 0.
pub fn parse_memory(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let bad = || {
        Err(format!(
            "{text:?} is not a memory size, e.g. 512M, 1G or 1048576 (bytes)"
        ))
    };
    let num_end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(num_end);
    let Ok(value) = num.parse::<f64>() else {
        return bad();
    };
    let unit = unit.trim_start().to_ascii_lowercase();
    let unit = unit.strip_suffix('b').unwrap_or(&unit);
    let unit = unit.strip_suffix('i').unwrap_or(unit);
    let scale: f64 = match unit {
        "" => 1.0,
        "k" => 1024.0,
        "m" => 1024.0 * 1024.0,
        "g" => 1024.0 * 1024.0 * 1024.0,
        "t" => 1024f64.powi(4),
        "p" => 1024f64.powi(5),
        _ => return bad(),
    };
    let bytes = (value * scale).round();
    if bytes < 1.0 {
        return Err("0 bytes: leave it empty for no limit".into());
    }
    if bytes > i64::MAX as f64 {
        return bad();
    }
    Ok(bytes as i64)
}

/// Bytes in the CLI's binary units when exact (`512M`, `2G`), else plain bytes.
pub fn format_memory(bytes: i64) -> String {
    for (unit, size) in [("G", 1i64 << 30), ("M", 1 << 20), ("K", 1 << 10)] {
        if bytes != 0 && bytes % size == 0 {
            return format!("{}{unit}", bytes / size);
        }
    }
    bytes.to_string()
}
