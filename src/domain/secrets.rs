//! Swarm secrets and configs as swarmdeck sees them: the objects (never a secret's value: the
//! engine does not return it), the services that mount them, and the pure rules for their
//! names, sizes, rotation names and the global config's own versions among the configs.

use std::collections::BTreeMap;
use std::fmt;

use jiff::Timestamp;
use zeroize::Zeroizing;

use super::{ConfigId, SecretId, ServiceId};
use crate::gconfig::Kind;

/// Config and secret names are at most this long (swarmkit).
pub const MAX_NAME_LEN: usize = 64;
/// swarmkit's `MaxSecretSize`: a secret's data is more than 0 and less than this many bytes.
pub const MAX_SECRET_SIZE: usize = 500 * 1024;
/// swarmkit's `MaxConfigSize`: a config's data is more than 0 and less than this many bytes.
pub const MAX_CONFIG_SIZE: usize = crate::gconfig::MAX_CONFIG_SIZE;

/// A secret or a config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    Secret,
    Config,
}

impl ObjectKind {
    /// "secret" | "config" (as the audit log writes it).
    pub fn word(self) -> &'static str {
        match self {
            ObjectKind::Secret => "secret",
            ObjectKind::Config => "config",
        }
    }

    /// The size limit (exclusive) of its data.
    pub fn max_size(self) -> usize {
        match self {
            ObjectKind::Secret => MAX_SECRET_SIZE,
            ObjectKind::Config => MAX_CONFIG_SIZE,
        }
    }
}

/// A Swarm secret: everything but its value, which the engine never returns.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Secret {
    pub id: SecretId,
    pub version: u64,
    pub name: String,
    pub created: Option<Timestamp>,
    pub updated: Option<Timestamp>,
    pub labels: BTreeMap<String, String>,
    /// The secret store driver ("" for Swarm's own, internal store).
    pub driver: String,
}

/// A Swarm config, with its data (configs are not secret; the list carries it).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Config {
    pub id: ConfigId,
    pub version: u64,
    pub name: String,
    pub created: Option<Timestamp>,
    pub updated: Option<Timestamp>,
    pub labels: BTreeMap<String, String>,
    /// The data, decoded (None: the engine sent none, or not as base64).
    pub data: Option<Vec<u8>>,
}

impl Config {
    /// Bytes of data (0 when unknown).
    pub fn size(&self) -> usize {
        self.data.as_ref().map_or(0, Vec::len)
    }
}

/// One secret or config reference of a service: the object and the file it becomes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Mounted {
    pub id: String,
    pub name: String,
    /// `File.Name`: a path (configs) or a name under `/run/secrets/` (secrets).
    pub target: String,
}

/// What one service mounts, from its spec (`TaskTemplate.ContainerSpec.Secrets` / `Configs`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceRefs {
    pub id: ServiceId,
    pub name: String,
    pub secrets: Vec<Mounted>,
    pub configs: Vec<Mounted>,
}

/// A service that mounts an object, and where.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct User {
    pub service: String,
    pub service_id: ServiceId,
    pub target: String,
}

/// The services that mount the object with this id (or, for a reference without an id,
/// this name), sorted by service and target.
pub fn users(services: &[ServiceRefs], kind: ObjectKind, id: &str, name: &str) -> Vec<User> {
    let mut out: Vec<User> = services
        .iter()
        .flat_map(|s| {
            let refs = match kind {
                ObjectKind::Secret => &s.secrets,
                ObjectKind::Config => &s.configs,
            };
            refs.iter()
                .filter(|r| {
                    if r.id.is_empty() {
                        r.name == name
                    } else {
                        r.id == id
                    }
                })
                .map(|r| User {
                    service: s.name.clone(),
                    service_id: s.id.clone(),
                    target: r.target.clone(),
                })
        })
        .collect();
    out.sort();
    out
}

/// "rx_db (target db_password), rx_web (target /etc/app.conf)".
pub fn users_text(users: &[User]) -> String {
    users
        .iter()
        .map(|u| format!("{} (target {})", u.service, u.target))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether a name follows swarmkit's rule for config and secret names
/// (`^[a-zA-Z0-9]+(?:[a-zA-Z0-9-_.]*[a-zA-Z0-9])?$`, at most 64 characters).
pub fn valid_name(name: &str) -> bool {
    crate::gconfig::valid_config_name(name)
}

/// Check a new object's name: the engine's rule, and not taken (`taken`: the names that
/// exist). The message says what is wrong.
pub fn check_name(kind: ObjectKind, name: &str, taken: &[String]) -> Result<(), String> {
    let word = kind.word();
    if name.is_empty() {
        return Err(format!("the {word} needs a name"));
    }
    if name.chars().count() > MAX_NAME_LEN {
        return Err(format!(
            "at most {MAX_NAME_LEN} characters (this is {})",
            name.chars().count()
        ));
    }
    if !valid_name(name) {
        return Err(
            "letters, digits, '-', '_' and '.', starting and ending with a letter or digit".into(),
        );
    }
    if taken.iter().any(|t| t == name) {
        return Err(format!("a {word} named {name} exists already"));
    }
    Ok(())
}

/// Check the size of an object's data: more than 0 and less than the kind's limit.
pub fn check_size(kind: ObjectKind, len: usize) -> Result<(), String> {
    let max = kind.max_size();
    if len == 0 {
        return Err(format!("a {} cannot be empty", kind.word()));
    }
    if len >= max {
        return Err(format!(
            "{len} bytes: a {} must be less than {} KiB ({max} bytes)",
            kind.word(),
            max / 1024
        ));
    }
    Ok(())
}

/// A name's rotation family and version: `db-password` → (`db-password`, 1), `x.v3` →
/// (`x`, 3). A trailing `.vN` (digits, no leading zero) is the version; without one the name
/// is version 1 of itself.
pub fn family(name: &str) -> (&str, u64) {
    if let Some((base, digits)) = name.rsplit_once(".v")
        && !base.is_empty()
        && !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !(digits.len() > 1 && digits.starts_with('0'))
        && let Ok(n) = digits.parse::<u64>()
    {
        return (base, n);
    }
    (name, 1)
}

/// The version of `name` in rotation family `base`: 1 for `base` itself, N for `base.vN`;
/// None for a name outside the family.
pub fn version_in(base: &str, name: &str) -> Option<u64> {
    if name == base {
        return Some(1);
    }
    match family(name) {
        (b, n) if b == base && name != b => Some(n),
        _ => None,
    }
}

/// The name a rotation creates: `NAME.vN+1` from a trailing `.vN`, else `NAME.v2`
/// (`db-password` → `db-password.v2`, `x.v3` → `x.v4`); refused when it would break the
/// name rule (longer than 64 characters).
pub fn rotated_name(name: &str) -> Result<String, String> {
    let (base, n) = family(name);
    let next = format!("{base}.v{}", n.saturating_add(1));
    if next.chars().count() > MAX_NAME_LEN || !valid_name(&next) {
        return Err(format!(
            "{next} would be longer than {MAX_NAME_LEN} characters: create the new secret by \
             hand (n) and move the services with docker service update"
        ));
    }
    Ok(next)
}

/// One of the global config's own versions: a config named `swarmdeck-<doc>.vN` (or
/// `swarmdeck-<doc>-schema.vN`), as `gconfig` names them; None for any other config.
pub fn gconfig_version(name: &str) -> Option<(String, Kind, u64)> {
    let rest = name.strip_prefix("swarmdeck-")?;
    let (head, _) = rest.rsplit_once(".v")?;
    let (doc, kind) = match head.strip_suffix("-schema") {
        Some(doc) => (doc, Kind::Schema),
        None => (head, Kind::Document),
    };
    crate::gconfig::check_doc(doc).ok()?;
    let n = crate::gconfig::parse_name(doc, kind, name)?;
    Some((doc.to_string(), kind, n))
}

/// Labels typed as `key=value` items: each needs a key and `=`; a key given twice is refused.
pub fn parse_labels(items: &[String]) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for item in items {
        let Some((k, v)) = item.split_once('=') else {
            return Err(format!("{item}: write key=value"));
        };
        let k = k.trim();
        if k.is_empty() {
            return Err(format!("{item}: the key is empty"));
        }
        if out.insert(k.to_string(), v.trim().to_string()).is_some() {
            return Err(format!("{k} is given twice"));
        }
    }
    Ok(out)
}

/// "team=db, app=web" for a list cell.
pub fn labels_text(labels: &BTreeMap<String, String>) -> String {
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A secret's value on its way to the engine: wiped from memory when dropped, never printed
/// (`Debug` says only its size), compared by value only so the command enum can be `Eq`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    /// Take these bytes (the caller's buffer moves in; nothing is copied).
    pub fn new(bytes: Vec<u8>) -> Self {
        SecretBytes(Zeroizing::new(bytes))
    }

    /// Take a text's bytes (moved, not copied).
    pub fn from_text(text: Zeroizing<String>) -> Self {
        let mut text = text;
        SecretBytes::new(std::mem::take(&mut *text).into_bytes())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The bytes, moved out (still wiped when dropped).
    pub fn into_bytes(self) -> Zeroizing<Vec<u8>> {
        self.0
    }

    /// The bytes, for the one call that sends them.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes(<hidden, {} bytes>)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc(
        name: &str,
        secrets: &[(&str, &str, &str)],
        configs: &[(&str, &str, &str)],
    ) -> ServiceRefs {
        let m = |v: &[(&str, &str, &str)]| {
            v.iter()
                .map(|(id, name, target)| Mounted {
                    id: (*id).into(),
                    name: (*name).into(),
                    target: (*target).into(),
                })
                .collect()
        };
        ServiceRefs {
            id: ServiceId(format!("id-{name}")),
            name: name.into(),
            secrets: m(secrets),
            configs: m(configs),
        }
    }

    #[test]
    fn users_are_found_by_id_with_their_targets() {
        let services = vec![
            svc("rx_web", &[], &[("c1", "rx-app.conf", "/etc/app.conf")]),
            svc(
                "rx_db",
                &[
                    ("s1", "db-password", "db_password"),
                    ("s1", "db-password", "again"),
                ],
                &[],
            ),
            svc("other", &[("s2", "db-password.v2", "db_password")], &[]),
            // a reference without an id is matched by name
            svc("legacy", &[("", "db-password", "pw")], &[]),
        ];
        let u = users(&services, ObjectKind::Secret, "s1", "db-password");
        let names: Vec<(&str, &str)> = u
            .iter()
            .map(|u| (u.service.as_str(), u.target.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("legacy", "pw"),
                ("rx_db", "again"),
                ("rx_db", "db_password")
            ]
        );
        assert_eq!(
            users_text(&u[1..]),
            "rx_db (target again), rx_db (target db_password)"
        );
        let c = users(&services, ObjectKind::Config, "c1", "rx-app.conf");
        assert_eq!(users_text(&c), "rx_web (target /etc/app.conf)");
        assert!(users(&services, ObjectKind::Config, "s1", "db-password").is_empty());
    }

    #[test]
    fn names_follow_the_engine_rule_and_are_not_taken() {
        let taken = vec!["db-password".to_string()];
        let k = ObjectKind::Secret;
        assert!(check_name(k, "db-password.v2", &taken).is_ok());
        assert!(check_name(k, "a", &taken).is_ok());
        assert!(check_name(k, "A_b-c.d9", &taken).is_ok());
        for bad in ["", "-a", "a-", ".a", "a.", "a b", "a/b", "é", "a:b"] {
            assert!(check_name(k, bad, &taken).is_err(), "{bad:?} is refused");
        }
        assert!(check_name(k, &"x".repeat(64), &taken).is_ok());
        let long = check_name(k, &"x".repeat(65), &taken).unwrap_err();
        assert!(long.contains("64"), "{long}");
        let dup = check_name(k, "db-password", &taken).unwrap_err();
        assert!(dup.contains("exists already"), "{dup}");
        assert!(check_name(ObjectKind::Config, "db-password", &[]).is_ok());
    }

    #[test]
    fn sizes_have_the_engine_limits() {
        assert!(check_size(ObjectKind::Secret, 0).is_err());
        assert!(check_size(ObjectKind::Secret, 1).is_ok());
        assert!(check_size(ObjectKind::Secret, 500 * 1024 - 1).is_ok());
        let e = check_size(ObjectKind::Secret, 500 * 1024).unwrap_err();
        assert!(e.contains("500 KiB"), "{e}");
        assert!(check_size(ObjectKind::Config, 999 * 1024).is_ok());
        assert!(check_size(ObjectKind::Config, 1000 * 1024).is_err());
        assert!(check_size(ObjectKind::Config, 0).is_err());
    }

    #[test]
    fn rotation_names_count_up() {
        assert_eq!(rotated_name("db-password").unwrap(), "db-password.v2");
        assert_eq!(rotated_name("x.v3").unwrap(), "x.v4");
        assert_eq!(rotated_name("x.v9").unwrap(), "x.v10");
        // not a version: kept in the name
        assert_eq!(rotated_name("x.v03").unwrap(), "x.v03.v2");
        assert_eq!(rotated_name("x.vx").unwrap(), "x.vx.v2");
        assert_eq!(rotated_name("app.v1.2").unwrap(), "app.v1.2.v2");
        assert!(rotated_name(&"x".repeat(62)).is_err());
        assert_eq!(family("db-password"), ("db-password", 1));
        assert_eq!(family("db-password.v7"), ("db-password", 7));
        assert_eq!(version_in("db-password", "db-password"), Some(1));
        assert_eq!(version_in("db-password", "db-password.v2"), Some(2));
        assert_eq!(version_in("db-password", "db-password-other"), None);
        assert_eq!(version_in("db-password", "other.v2"), None);
    }

    #[test]
    fn gconfig_versions_are_told_from_other_configs() {
        assert_eq!(
            gconfig_version("swarmdeck-rx.v3"),
            Some(("rx".into(), Kind::Document, 3))
        );
        assert_eq!(
            gconfig_version("swarmdeck-global-schema.v1"),
            Some(("global".into(), Kind::Schema, 1))
        );
        for other in [
            "rx-app.conf",
            "swarmdeck-rx",
            "swarmdeck-rx.v",
            "swarmdeck-rx.v01",
            "swarmdeck-.v1",
            "swarmdeck-a.b.v1",
            "swarmdeckrx.v1",
        ] {
            assert_eq!(gconfig_version(other), None, "{other}");
        }
    }

    #[test]
    fn labels_are_key_value_items() {
        let l = parse_labels(&["team=db".into(), " app = web ".into(), "empty=".into()]).unwrap();
        assert_eq!(labels_text(&l), "app=web, empty=, team=db");
        assert!(parse_labels(&["novalue".into()]).is_err());
        assert!(parse_labels(&["=x".into()]).is_err());
        assert!(parse_labels(&["a=1".into(), "a=2".into()]).is_err());
    }

    #[test]
    fn a_secret_value_never_prints() {
        let v = SecretBytes::from_text(Zeroizing::new("hunter2-hunter2".to_string()));
        assert_eq!(v.len(), 15);
        assert_eq!(v.expose(), b"hunter2-hunter2");
        let shown = format!("{v:?} {:#?}", v.clone());
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("15 bytes"), "{shown}");
    }
}
