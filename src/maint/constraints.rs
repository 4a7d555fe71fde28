//! Swarm placement constraints (`TaskTemplate.Placement.Constraints`), evaluated against a
//! [`Node`] the way the engine does (swarmkit's `manager/constraint`):
//!
//! - the operator is `==` or `!=` (`==` is looked for first), whitespace around it is ignored;
//! - keys are `node.id`, `node.hostname`, `node.ip`, `node.role`, `node.platform.os`,
//!   `node.platform.arch`, `node.labels.KEY` and `engine.labels.KEY`, matched
//!   case-insensitively; the label `KEY` itself is case-sensitive;
//! - values are compared case-insensitively, for labels too;
//! - a missing label reads as the empty string, so `==` is false and `!=` is true;
//! - `node.ip` takes an address or a CIDR network.
//!
//! The engine accepts a syntactically valid constraint with an unknown key and then never
//! places the task anywhere; we report it as [`ConstraintError::UnknownKey`] instead.

use std::net::IpAddr;

use thiserror::Error;

use crate::domain::{Node, Role};

const NODE_LABELS: &str = "node.labels.";
const ENGINE_LABELS: &str = "engine.labels.";

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConstraintError {
    /// Not `key == value` / `key != value` with a valid key and value.
    #[error("invalid constraint {constraint:?}: {why}")]
    Syntax { constraint: String, why: String },
    /// Well formed, but the key is none the engine knows: it matches no node.
    #[error("constraint {constraint:?} uses unknown key {key:?}: no node can satisfy it")]
    UnknownKey { constraint: String, key: String },
}

impl ConstraintError {
    /// The constraint as written.
    pub fn constraint(&self) -> &str {
        match self {
            Self::Syntax { constraint, .. } | Self::UnknownKey { constraint, .. } => constraint,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
}

impl Op {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Eq => "==",
            Self::Ne => "!=",
        }
    }
}

/// One parsed constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    /// The key as written, trimmed (e.g. `node.labels.zone`, maybe `Node.Labels.zone`).
    pub key: String,
    pub op: Op,
    /// The value as written, trimmed.
    pub value: String,
    /// The whole constraint as written.
    pub raw: String,
}

/// What a constraint key reads from a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field<'a> {
    Id,
    Hostname,
    Ip,
    Role,
    Os,
    Arch,
    NodeLabel(&'a str),
    EngineLabel(&'a str),
}

fn field(key: &str) -> Option<Field<'_>> {
    let is = |name: &str| key.eq_ignore_ascii_case(name);
    if is("node.id") {
        Some(Field::Id)
    } else if is("node.hostname") {
        Some(Field::Hostname)
    } else if is("node.ip") {
        Some(Field::Ip)
    } else if is("node.role") {
        Some(Field::Role)
    } else if is("node.platform.os") {
        Some(Field::Os)
    } else if is("node.platform.arch") {
        Some(Field::Arch)
    } else if let Some(label) = strip_prefix_ci(key, NODE_LABELS) {
        Some(Field::NodeLabel(label))
    } else {
        strip_prefix_ci(key, ENGINE_LABELS).map(Field::EngineLabel)
    }
}

/// `key` without `prefix` (compared ASCII case-insensitively), when something follows it.
fn strip_prefix_ci<'a>(key: &'a str, prefix: &str) -> Option<&'a str> {
    let head = key.get(..prefix.len())?;
    let rest = &key[prefix.len()..];
    (head.eq_ignore_ascii_case(prefix) && !rest.is_empty()).then_some(rest)
}

impl Constraint {
    /// The node label this constraint reads (`node.labels.KEY` → `KEY`).
    pub fn node_label(&self) -> Option<&str> {
        match field(&self.key) {
            Some(Field::NodeLabel(label)) => Some(label),
            _ => None,
        }
    }
}

impl std::fmt::Display for Constraint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.raw)
    }
}

/// Keys: `^[a-z_][a-z0-9\-_.]+$`, case-insensitive (swarmkit's `alphaNumeric`).
fn valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first.is_ascii_alphabetic() || first == '_')
        && key.len() >= 2
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Values: letters, digits, whitespace and `:-_.*()?+[]\^$|/` (swarmkit's `valuePattern`);
/// no operator characters such as `=`, `<`, `>`, `~`, `!`.
fn valid_value(value: &str) -> bool {
    !value.is_empty()
        && value.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    ':' | '-'
                        | '_'
                        | '.'
                        | '*'
                        | '('
                        | ')'
                        | '?'
                        | '+'
                        | '['
                        | ']'
                        | '\\'
                        | '^'
                        | '$'
                        | '|'
                        | '/'
                        | ' '
                        | '\t'
                        | '\n'
                        | '\r'
                        | '\x0c'
                )
        })
}

/// The operator and the text either side of it: `==` first, then `!=` (as the engine).
fn split_op(raw: &str) -> Option<(&str, Op, &str)> {
    [Op::Eq, Op::Ne].into_iter().find_map(|op| {
        raw.split_once(op.as_str())
            .map(|(left, right)| (left, op, right))
    })
}

pub fn parse(raw: &str) -> Result<Constraint, ConstraintError> {
    let syntax = |why: String| ConstraintError::Syntax {
        constraint: raw.to_string(),
        why,
    };
    let Some((left, op, right)) = split_op(raw) else {
        return Err(syntax("expected an operator, == or !=".into()));
    };
    let key = left.trim();
    if !valid_key(key) {
        return Err(syntax(format!("key {key:?} is invalid")));
    }
    let value = right.trim();
    if !valid_value(value) {
        return Err(syntax(format!("value {value:?} is invalid")));
    }
    if field(key).is_none() {
        return Err(ConstraintError::UnknownKey {
            constraint: raw.to_string(),
            key: key.to_string(),
        });
    }
    Ok(Constraint {
        key: key.to_string(),
        op,
        value: value.to_string(),
        raw: raw.to_string(),
    })
}

/// Case-insensitive equality (Go's `strings.EqualFold`, close enough).
fn fold_eq(a: &str, b: &str) -> bool {
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

fn role_text(node: &Node) -> &str {
    match &node.role {
        Role::Manager => "manager",
        Role::Worker => "worker",
        Role::Unknown(_) if node.manager.is_some() => "manager",
        Role::Unknown(raw) => raw,
    }
}

/// `node.ip`: an address (equal, IPv4-mapped IPv6 counts as IPv4) or a CIDR network.
/// A value that is neither matches nothing, whatever the operator (as the engine).
fn ip_matches(c: &Constraint, node: &Node) -> bool {
    let node_ip = node
        .status_addr
        .parse::<IpAddr>()
        .ok()
        .map(|ip| ip.to_canonical());
    let hit = if let Ok(ip) = c.value.parse::<IpAddr>() {
        node_ip == Some(ip.to_canonical())
    } else if let Some((net, bits)) = parse_cidr(&c.value) {
        node_ip.is_some_and(|ip| in_network(ip, net, bits))
    } else {
        return false;
    };
    hit == (c.op == Op::Eq)
}

fn parse_cidr(s: &str) -> Option<(IpAddr, u32)> {
    let (addr, bits) = s.split_once('/')?;
    let addr: IpAddr = addr.parse().ok()?;
    if bits.is_empty() || !bits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let bits: u32 = bits.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    (bits <= max).then_some((addr, bits))
}

fn in_network(ip: IpAddr, net: IpAddr, bits: u32) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

/// Whether `node` satisfies the constraint.
pub fn matches(c: &Constraint, node: &Node) -> bool {
    let Some(field) = field(&c.key) else {
        // The engine never places a task whose constraint key it does not know.
        return false;
    };
    let what: &str = match field {
        Field::Id => node.id.as_str(),
        Field::Hostname => &node.hostname,
        Field::Ip => return ip_matches(c, node),
        Field::Role => role_text(node),
        Field::Os => &node.os,
        Field::Arch => &node.arch,
        Field::NodeLabel(label) => node.labels.get(label).map_or("", String::as_str),
        Field::EngineLabel(label) => node.engine_labels.get(label).map_or("", String::as_str),
    };
    fold_eq(&c.value, what) == (c.op == Op::Eq)
}

/// All of a service's constraints hold on this node. An unparseable constraint is returned as
/// the error (the first one, in order); treat the node as not matching, as the engine does.
pub fn satisfies(constraints: &[String], node: &Node) -> Result<bool, ConstraintError> {
    let parsed = constraints
        .iter()
        .map(|raw| parse(raw))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(parsed.iter().all(|c| matches(c, node)))
}

/// Why `n` fails the constraint, with what the node has instead: `needs node.labels.zone==a
/// (its zone is "b")`, `excludes node.role!=manager (it is "manager")`.
pub fn why_not(c: &Constraint, n: &Node) -> String {
    let key = c.key.to_ascii_lowercase();
    let has = if let Some(label) = c.node_label() {
        match n.labels.get(label) {
            Some(v) => format!("its {label} is {v:?}"),
            None => format!("it has no {label} label"),
        }
    } else if let Some(label) = key.strip_prefix("engine.labels.") {
        let label = &c.key[c.key.len() - label.len()..];
        match n.engine_labels.get(label) {
            Some(v) => format!("its engine label {label} is {v:?}"),
            None => format!("it has no engine label {label}"),
        }
    } else {
        let what = match key.as_str() {
            "node.hostname" => n.hostname.clone(),
            "node.id" => n.id.to_string(),
            "node.ip" => n.status_addr.clone(),
            "node.role" => match &n.role {
                Role::Manager => "manager".into(),
                Role::Worker => "worker".into(),
                Role::Unknown(r) => r.clone(),
            },
            "node.platform.os" => n.os.clone(),
            "node.platform.arch" => n.arch.clone(),
            _ => String::new(),
        };
        format!("it is {what:?}")
    };
    let op = match c.op {
        Op::Eq => "needs",
        Op::Ne => "excludes",
    };
    format!("{op} {} ({has})", c.raw.trim())
}

/// The key part of a constraint as written, even when the rest does not parse.
fn raw_key(raw: &str) -> &str {
    split_op(raw).map_or(raw, |(left, _, _)| left).trim()
}

/// Constraints that mention node label `key` (`node.labels.KEY`), parseable or not.
pub fn mentions_label(constraints: &[String], key: &str) -> bool {
    constraints
        .iter()
        .any(|raw| strip_prefix_ci(raw_key(raw), NODE_LABELS) == Some(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ManagerInfo, NodeId, Reachability};

    fn node2() -> Node {
        Node {
            id: NodeId::from("abc123"),
            hostname: "node2".into(),
            role: Role::Worker,
            status_addr: "198.51.100.12".into(),
            os: "linux".into(),
            arch: "x86_64".into(),
            labels: [("zone".to_string(), "eu-1".to_string())].into(),
            engine_labels: [("gpu".to_string(), "true".to_string())].into(),
            ..Default::default()
        }
    }

    fn check(raw: &str, node: &Node) -> bool {
        matches(&parse(raw).unwrap(), node)
    }

    #[test]
    fn parses_both_operators_with_whitespace() {
        let c = parse("node.labels.zone == eu-1").unwrap();
        assert_eq!(
            (c.key.as_str(), c.op, c.value.as_str()),
            ("node.labels.zone", Op::Eq, "eu-1")
        );
        assert_eq!(c.raw, "node.labels.zone == eu-1");
        assert_eq!(c.to_string(), "node.labels.zone == eu-1");
        let c = parse("  node.role!=manager ").unwrap();
        assert_eq!(
            (c.key.as_str(), c.op, c.value.as_str()),
            ("node.role", Op::Ne, "manager")
        );
        assert_eq!(c.node_label(), None);
        assert_eq!(
            parse("node.labels.zone==x").unwrap().node_label(),
            Some("zone")
        );
    }

    #[test]
    fn syntax_errors_name_the_constraint() {
        let e = parse("node.labels.site").unwrap_err();
        assert!(matches!(e, ConstraintError::Syntax { .. }));
        assert_eq!(e.constraint(), "node.labels.site");
        assert!(e.to_string().contains("node.labels.site"), "{e}");
        // Empty value, bad key, operator characters in the value.
        assert!(matches!(
            parse("node.role=="),
            Err(ConstraintError::Syntax { .. })
        ));
        assert!(matches!(
            parse("==worker"),
            Err(ConstraintError::Syntax { .. })
        ));
        assert!(matches!(
            parse("1node.role==worker"),
            Err(ConstraintError::Syntax { .. })
        ));
        assert!(matches!(
            parse("node.role===worker"),
            Err(ConstraintError::Syntax { .. })
        ));
        assert!(matches!(
            parse("node.role==a<b"),
            Err(ConstraintError::Syntax { .. })
        ));
        // `==` is looked for first: the key becomes `node.role!`.
        assert!(matches!(
            parse("node.role!==worker"),
            Err(ConstraintError::Syntax { .. })
        ));
        // A single `=` is no operator.
        assert!(matches!(
            parse("node.role=worker"),
            Err(ConstraintError::Syntax { .. })
        ));
    }

    #[test]
    fn unknown_keys_are_errors() {
        let e = parse("node.name==x").unwrap_err();
        assert_eq!(
            e,
            ConstraintError::UnknownKey {
                constraint: "node.name==x".into(),
                key: "node.name".into()
            }
        );
        assert!(e.to_string().contains("node.name==x"));
        assert!(matches!(
            parse("node.labels.==x"),
            Err(ConstraintError::UnknownKey { .. })
        ));
        assert!(matches!(
            parse("engine.labels==x"),
            Err(ConstraintError::UnknownKey { .. })
        ));
    }

    #[test]
    fn node_fields() {
        let n = node2();
        assert!(check("node.hostname==node2", &n));
        assert!(!check("node.hostname!=node2", &n));
        assert!(!check("node.hostname==node1", &n));
        assert!(check("node.hostname!=node1", &n));
        assert!(check("node.id==abc123", &n));
        assert!(check("node.role==worker", &n));
        assert!(check("node.role!=manager", &n));
        assert!(check("node.platform.os==linux", &n));
        assert!(check("node.platform.arch==x86_64", &n));
        assert!(!check("node.platform.arch==aarch64", &n));
    }

    #[test]
    fn role_of_a_manager() {
        let mut n = node2();
        n.role = Role::Manager;
        n.manager = Some(ManagerInfo {
            leader: false,
            reachability: Reachability::Reachable,
            addr: "198.51.100.12:2377".into(),
        });
        assert!(check("node.role==manager", &n));
        assert!(!check("node.role!=manager", &n));
        n.role = Role::Unknown(String::new());
        assert!(check("node.role==manager", &n));
    }

    #[test]
    fn keys_and_values_are_case_insensitive_label_names_are_not() {
        let n = node2();
        assert!(check("Node.Hostname==NODE2", &n));
        assert!(check("NODE.LABELS.zone==EU-1", &n));
        assert!(check("node.platform.os==Linux", &n));
        assert!(check("Engine.Labels.gpu==TRUE", &n));
        // The label name is case-sensitive: `Zone` is missing.
        assert!(!check("node.labels.Zone==eu-1", &n));
        assert!(check("node.labels.Zone!=eu-1", &n));
    }

    #[test]
    fn labels_and_missing_labels() {
        let n = node2();
        assert!(check("node.labels.zone == eu-1", &n));
        assert!(!check("node.labels.zone != eu-1", &n));
        assert!(!check("node.labels.zone==eu-2", &n));
        assert!(!check("node.labels.rack==r1", &n));
        assert!(check("node.labels.rack!=r1", &n));
        assert!(check("engine.labels.gpu==true", &n));
        assert!(!check("engine.labels.gpu==false", &n));
        assert!(!check("engine.labels.ssd==true", &n));
        assert!(check("engine.labels.ssd!=true", &n));
        // Node labels and engine labels are different maps.
        assert!(!check("node.labels.gpu==true", &n));
    }

    #[test]
    fn node_ip_addresses_and_networks() {
        let n = node2();
        assert!(check("node.ip==198.51.100.12", &n));
        assert!(check("node.ip!=198.51.100.13", &n));
        assert!(check("node.ip==198.51.100.0/24", &n));
        assert!(!check("node.ip!=198.51.100.0/24", &n));
        assert!(!check("node.ip==10.0.0.0/8", &n));
        assert!(check("node.ip==::ffff:198.51.100.12", &n));
        // Neither an address nor a network: matches nothing, whatever the operator.
        assert!(!check("node.ip==nonsense", &n));
        assert!(!check("node.ip!=nonsense", &n));
        assert!(!check("node.ip==10.0.0.0/33", &n));
        let mut v6 = node2();
        v6.status_addr = "2001:db8::7".into();
        assert!(check("node.ip==2001:db8::/32", &v6));
        assert!(!check("node.ip==198.51.100.0/24", &v6));
        assert!(check("node.ip==0.0.0.0/0", &n));
    }

    #[test]
    fn satisfies_all_or_reports_the_bad_one() {
        let n = node2();
        let cs = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(satisfies(&[], &n), Ok(true));
        assert_eq!(
            satisfies(&cs(&["node.role==worker", "node.labels.zone==eu-1"]), &n),
            Ok(true)
        );
        assert_eq!(
            satisfies(&cs(&["node.role==worker", "node.labels.zone==eu-2"]), &n),
            Ok(false)
        );
        let err = satisfies(&cs(&["node.hostname==node1", "node.labels.site"]), &n).unwrap_err();
        assert_eq!(err.constraint(), "node.labels.site");
    }

    #[test]
    fn mentions() {
        let cs = vec![
            "node.labels.zone == eu-1".to_string(),
            "node.role!=manager".to_string(),
            "Node.Labels.site".to_string(),
            "engine.labels.rack==r1".to_string(),
        ];
        assert!(mentions_label(&cs, "zone"));
        assert!(mentions_label(&cs, "site"));
        assert!(!mentions_label(&cs, "Zone"));
        assert!(!mentions_label(&cs, "rack"));
        assert!(!mentions_label(&cs, "role"));
        assert!(!mentions_label(&[], "zone"));
    }
}
