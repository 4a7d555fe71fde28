//! One parser for every Docker endpoint, wherever it comes from: `--host`, `endpoints` in the
//! config file, `DOCKER_HOST`. A string that is not an endpoint is refused here, with what is
//! wrong in it, before anything tries to connect (it used to surface later as "unreachable").
//!
//! Accepted, as the docker CLI writes them:
//! - `unix:///abs/path.sock`, or just `/abs/path.sock`;
//! - `tcp://HOST[:PORT]`, `http://HOST[:PORT]`, `https://HOST[:PORT]` (port 2375, or 2376 with
//!   TLS, when left out; a trailing `/` is allowed, no other path);
//! - `ssh://[USER@]HOST[:PORT]`.
//!
//! HOST is a host name (letters, digits, `-`, `_`, `.`), an IPv4 address, or an IPv6 address
//! in brackets (`[2001:db8::1]`). The scheme may be in any case.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

/// The longest endpoint accepted (a socket path is at most 108 bytes; host names 253).
pub const MAX_LEN: usize = 1024;

/// What to use in messages for the endpoints the parser knows.
pub const FORMS: &str = "unix:///path/to/docker.sock, tcp://host:2376, http://host:2375, \
                         https://host:2376, ssh://user@host or an absolute socket path";

/// A parsed endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Unix(PathBuf),
    Tcp {
        scheme: TcpScheme,
        host: Host,
        port: Option<u16>,
    },
    Ssh {
        user: Option<String>,
        host: Host,
        port: Option<u16>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpScheme {
    Tcp,
    Http,
    Https,
}

impl TcpScheme {
    pub fn as_str(self) -> &'static str {
        match self {
            TcpScheme::Tcp => "tcp",
            TcpScheme::Http => "http",
            TcpScheme::Https => "https",
        }
    }
}

/// A host: a name, an IPv4 address or an IPv6 address (written in brackets in URLs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    Name(String),
    V4(Ipv4Addr),
    V6(Ipv6Addr),
}

impl Host {
    /// The host as a program such as ssh takes it: IPv6 without brackets.
    pub fn bare(&self) -> String {
        match self {
            Host::Name(n) => n.clone(),
            Host::V4(a) => a.to_string(),
            Host::V6(a) => a.to_string(),
        }
    }
}

/// The host as written in a URL: IPv6 in brackets.
impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Name(n) => f.write_str(n),
            Host::V4(a) => write!(f, "{a}"),
            Host::V6(a) => write!(f, "[{a}]"),
        }
    }
}

/// The canonical form: scheme in lower case, IPv6 in brackets, the port only when given.
impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Unix(p) => write!(f, "unix://{}", p.display()),
            Endpoint::Tcp { scheme, host, port } => {
                write!(f, "{}://{host}", scheme.as_str())?;
                if let Some(p) = port {
                    write!(f, ":{p}")?;
                }
                Ok(())
            }
            Endpoint::Ssh { user, host, port } => {
                f.write_str("ssh://")?;
                if let Some(u) = user {
                    write!(f, "{u}@")?;
                }
                write!(f, "{host}")?;
                if let Some(p) = port {
                    write!(f, ":{p}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::str::FromStr for Endpoint {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        parse(s)
    }
}

/// `text` as it can be shown in a message: control characters escaped, long text cut.
pub fn quote(text: &str) -> String {
    let cut: String = text.chars().take(80).collect();
    let more = if cut.len() < text.len() { "…" } else { "" };
    format!("{cut:?}{more}")
}

/// An endpoint short enough for a header or a column of `max` characters: long socket paths keep their last two parts.
pub fn label(ep: &str, max: usize) -> String {
    if ep.chars().count() <= max {
        return ep.to_string();
    }
    if let Some(path) = ep.strip_prefix("unix://") {
        let parts: Vec<&str> = path.rsplitn(3, '/').collect();
        if parts.len() == 3 {
            return format!("…/{}/{}", parts[1], parts[0]);
        }
    }
    let tail: String = ep
        .chars()
        .rev()
        .take(max.saturating_sub(1))
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("…{tail}")
}

/// Parse an endpoint. The error says what is wrong, without repeating the endpoint (the
/// caller names where it came from).
pub fn parse(text: &str) -> Result<Endpoint, String> {
    if text.len() > MAX_LEN {
        return Err(format!(
            "it is {} bytes long; an endpoint is at most {MAX_LEN}",
            text.len()
        ));
    }
    if text.trim().is_empty() {
        return Err(format!("it is empty; use {FORMS}"));
    }
    if text.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err("it holds spaces or control characters".into());
    }
    if text.starts_with('/') {
        return unix_path(text);
    }
    let Some((scheme, rest)) = text.split_once("://") else {
        if text.contains(':') && !text.contains('/') {
            return Err(format!(
                "it has no scheme: write tcp://{text} (or https://{text} for TLS)"
            ));
        }
        return Err(format!("it has no scheme; use {FORMS}"));
    };
    match scheme.to_ascii_lowercase().as_str() {
        "unix" => {
            if rest.is_empty() {
                return Err("unix:// needs a socket path: unix:///var/run/docker.sock".into());
            }
            if !rest.starts_with('/') {
                return Err(format!(
                    "a socket path must be absolute: unix:///{rest} (three slashes)"
                ));
            }
            unix_path(rest)
        }
        "tcp" => tcp(TcpScheme::Tcp, rest),
        "http" => tcp(TcpScheme::Http, rest),
        "https" => tcp(TcpScheme::Https, rest),
        "ssh" => ssh(rest),
        "npipe" => Err("npipe:// (a Windows named pipe) is not available on this system".into()),
        other => Err(format!(
            "the scheme {}:// is not one swarmdeck can connect with; use {FORMS}",
            quote(other).trim_matches('"')
        )),
    }
}

fn unix_path(path: &str) -> Result<Endpoint, String> {
    if path.trim_end_matches('/').is_empty() {
        return Err("a socket path names a file, not /".into());
    }
    Ok(Endpoint::Unix(PathBuf::from(path)))
}

fn tcp(scheme: TcpScheme, rest: &str) -> Result<Endpoint, String> {
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains(['/', '?', '#']) {
        return Err(format!(
            "a {}:// endpoint has no path: use {}://host[:port]",
            scheme.as_str(),
            scheme.as_str()
        ));
    }
    if rest.contains('@') {
        return Err(format!(
            "a {}:// endpoint has no user (ssh://user@host has)",
            scheme.as_str()
        ));
    }
    let (host, port) = host_port(rest)?;
    Ok(Endpoint::Tcp { scheme, host, port })
}

fn ssh(rest: &str) -> Result<Endpoint, String> {
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains(['/', '?', '#']) {
        return Err("an ssh endpoint has no path: use ssh://[user@]host[:port]".into());
    }
    let (user, hostport) = match rest.rsplit_once('@') {
        Some((u, h)) if !u.is_empty() => (Some(u), h),
        Some(_) => return Err("the user before @ is empty".into()),
        None => (None, rest),
    };
    if let Some(u) = user
        && (u.starts_with('-') || u.contains([':', '@']))
    {
        return Err(format!("{} is not a user name", quote(u)));
    }
    let (host, port) = host_port(hostport)?;
    Ok(Endpoint::Ssh {
        user: user.map(str::to_string),
        host,
        port,
    })
}

/// `HOST[:PORT]` with HOST a name, an IPv4 address or a bracketed IPv6 address.
fn host_port(text: &str) -> Result<(Host, Option<u16>), String> {
    if text.is_empty() {
        return Err("it has no host".into());
    }
    let (host, port) = if let Some(v6) = text.strip_prefix('[') {
        let (h, after) = v6
            .split_once(']')
            .ok_or_else(|| "an IPv6 address needs its closing ]".to_string())?;
        let addr: Ipv6Addr = h
            .parse()
            .map_err(|_| format!("{} is not an IPv6 address", quote(h)))?;
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or_else(|| format!("{} after the ] is not :PORT", quote(p)))?,
            ),
        };
        (Host::V6(addr), port)
    } else {
        if text.matches(':').count() > 1 {
            return Err(format!(
                "an IPv6 address goes in brackets: [{}]",
                text.trim_end_matches(|c: char| c.is_ascii_digit())
                    .trim_end_matches(':')
            ));
        }
        let (h, p) = match text.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (text, None),
        };
        (name_or_v4(h)?, p)
    };
    let port = port.map(port_number).transpose()?;
    Ok((host, port))
}

fn name_or_v4(h: &str) -> Result<Host, String> {
    if h.is_empty() {
        return Err("it has no host before the :PORT".into());
    }
    if let Ok(a) = h.parse::<Ipv4Addr>() {
        return Ok(Host::V4(a));
    }
    let ok_chars = h
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !ok_chars || h.starts_with(['-', '.']) || h.len() > 253 {
        return Err(format!("{} is not a host name", quote(h)));
    }
    if h.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Err(format!("{} is not an IPv4 address", quote(h)));
    }
    Ok(Host::Name(h.to_string()))
}

fn port_number(p: &str) -> Result<u16, String> {
    if p.is_empty() {
        return Err("it has an empty port after the :".into());
    }
    match p.parse::<u32>() {
        Ok(n) if (1..=65535).contains(&n) && p.chars().all(|c| c.is_ascii_digit()) => Ok(n as u16),
        Ok(_) => Err(format!("port {p} is out of range (1–65535)")),
        Err(_) if p.chars().all(|c| c.is_ascii_digit()) => {
            Err(format!("port {p} is out of range (1–65535)"))
        }
        Err(_) => Err(format!("{} is not a port number", quote(p))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn good_endpoints_and_their_canonical_form() {
        for (given, canonical) in [
            ("unix:///var/run/docker.sock", "unix:///var/run/docker.sock"),
            ("/run/x.sock", "unix:///run/x.sock"),
            ("UNIX:///run/x.sock", "unix:///run/x.sock"),
            ("tcp://10.0.0.1:2376", "tcp://10.0.0.1:2376"),
            ("tcp://m1", "tcp://m1"),
            ("tcp://m1:2375/", "tcp://m1:2375"),
            ("http://m1:2375", "http://m1:2375"),
            ("HTTPS://M1:2376", "https://M1:2376"),
            ("tcp://[::1]:2375", "tcp://[::1]:2375"),
            ("tcp://[2001:db8::1]", "tcp://[2001:db8::1]"),
            ("ssh://admin@m1", "ssh://admin@m1"),
            ("SSH://Admin@M1", "ssh://Admin@M1"),
            ("ssh://m1:2222/", "ssh://m1:2222"),
            ("ssh://root@[::1]:1", "ssh://root@[::1]:1"),
            ("ssh://root@[2001:db8::1]", "ssh://root@[2001:db8::1]"),
            ("ssh://mgr_1.prod", "ssh://mgr_1.prod"),
        ] {
            let e = parse(given).unwrap_or_else(|e| panic!("{given}: {e}"));
            assert_eq!(e.to_string(), canonical, "{given}");
            // the canonical form parses to the same endpoint
            assert_eq!(parse(canonical).unwrap(), e);
        }
        assert_eq!(
            parse("ssh://root@[2001:db8::1]:22").unwrap(),
            Endpoint::Ssh {
                user: Some("root".into()),
                host: Host::V6("2001:db8::1".parse().unwrap()),
                port: Some(22)
            }
        );
    }

    #[test]
    fn bad_endpoints_say_what_is_wrong() {
        for (bad, why) in [
            ("", "empty"),
            ("   ", "empty"),
            ("m1:2376", "write tcp://m1:2376"),
            ("docker.sock", "no scheme"),
            ("ftp://m1", "ftp://"),
            ("npipe:////./pipe/x", "Windows"),
            ("unix://", "needs a socket path"),
            ("unix://run/x.sock", "must be absolute"),
            ("unix:///", "not /"),
            ("tcp://", "no host"),
            ("tcp://[::1", "closing ]"),
            ("tcp://[::1]x", "not :PORT"),
            ("tcp://[zz::1]:1", "not an IPv6 address"),
            ("tcp://::1:2375", "in brackets: [::1]"),
            ("http://x:99999", "out of range"),
            ("http://x:4294967296", "out of range"),
            ("tcp://:2375", "no host before"),
            ("tcp://h:-1", "not a port number"),
            ("tcp://h:", "empty port"),
            ("tcp://h:0", "out of range"),
            ("tcp://a b:1", "spaces"),
            ("tcp://a\u{1b}[2J:1", "control"),
            ("tcp://h:1/v1.41", "no path"),
            ("tcp://u@h:1", "no user"),
            ("tcp://-h:1", "not a host name"),
            ("tcp://1.2.3:1", "not an IPv4 address"),
            ("ssh://", "no host"),
            ("ssh://@host", "user before @ is empty"),
            ("ssh://host:0", "out of range"),
            ("ssh://host:port", "not a port number"),
            ("ssh://host/path", "no path"),
            ("ssh://-oProxyCommand=x", "not a host name"),
            ("ssh://-l@host", "not a user name"),
            ("ssh://[::1", "closing ]"),
        ] {
            let err = parse(bad).expect_err(bad);
            assert!(err.contains(why), "{bad:?}: {err}");
        }
        let long = format!("tcp://{}:1", "a".repeat(2000));
        assert!(parse(&long).unwrap_err().contains("at most"));
    }

    #[test]
    fn ssh_gets_the_bare_ipv6_host() {
        let Endpoint::Ssh { host, .. } = parse("ssh://root@[::1]:1").unwrap() else {
            panic!("ssh")
        };
        assert_eq!(host.bare(), "::1");
        assert_eq!(host.to_string(), "[::1]");
    }
}
