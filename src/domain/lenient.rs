//! Lenient decoding of engine JSON into bollard's types.
//!
//! bollard's enums are strict: one value it does not know (a newer engine's node state, say)
//! fails the whole list. When that happens we decode item by item; for each item that fails we
//! find the exact field with `serde_path_to_error`, drop it (bollard's fields are all optional)
//! and try again. The item survives with that field unknown, and the dropped field is reported.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::Unreadable;

/// How many fields we drop from one item before we give up on it.
const MAX_DROPS: usize = 16;

/// Decode a JSON array of `T`, dropping fields our model cannot read.
/// Items that cannot be decoded at all are left out and reported.
pub fn decode_list<T: DeserializeOwned>(
    body: &str,
) -> Result<(Vec<T>, Vec<Unreadable>), Unreadable> {
    let value: Value = serde_json::from_str(body).map_err(|e| Unreadable {
        path: "(body)".into(),
        reason: e.to_string(),
    })?;
    let Value::Array(items) = value else {
        return Err(Unreadable {
            path: "(body)".into(),
            reason: "expected a JSON array".into(),
        });
    };
    let mut out = Vec::with_capacity(items.len());
    let mut problems = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        match decode_one::<T>(item, &format!("[{i}]"), &mut problems) {
            Some(t) => out.push(t),
            None => continue,
        }
    }
    Ok((out, problems))
}

/// Decode one JSON object, dropping unreadable fields. `prefix` names it in reports.
pub fn decode_value<T: DeserializeOwned>(
    value: Value,
    prefix: &str,
) -> (Option<T>, Vec<Unreadable>) {
    let mut problems = Vec::new();
    let t = decode_one(value, prefix, &mut problems);
    (t, problems)
}

fn decode_one<T: DeserializeOwned>(
    mut item: Value,
    prefix: &str,
    problems: &mut Vec<Unreadable>,
) -> Option<T> {
    for _ in 0..MAX_DROPS {
        let result: Result<T, _> = serde_path_to_error::deserialize(&item);
        match result {
            Ok(t) => return Some(t),
            Err(err) => {
                let path = err.path().to_string();
                let reason = err.inner().to_string();
                problems.push(Unreadable {
                    path: format!("{prefix}.{path}"),
                    reason,
                });
                if !remove_path(&mut item, &path) {
                    return None;
                }
            }
        }
    }
    None
}

/// Remove the value at a serde_path_to_error path like `Status.State` or `Spec.Labels.x`
/// or `Tasks[3].Spec`. Returns false when there is nothing to remove (the item itself is bad).
fn remove_path(root: &mut Value, path: &str) -> bool {
    let segments = split_path(path);
    let Some((last, parents)) = segments.split_last() else {
        return false;
    };
    let mut cur = root;
    for seg in parents {
        let next = match (seg, cur) {
            (Seg::Key(k), Value::Object(map)) => map.get_mut(k.as_str()),
            (Seg::Index(i), Value::Array(arr)) => arr.get_mut(*i),
            _ => None,
        };
        match next {
            Some(v) => cur = v,
            None => return false,
        }
    }
    match (last, cur) {
        (Seg::Key(k), Value::Object(map)) => map.remove(k.as_str()).is_some(),
        (Seg::Index(i), Value::Array(arr)) if *i < arr.len() => {
            arr.remove(*i);
            true
        }
        _ => false,
    }
}

enum Seg {
    Key(String),
    Index(usize),
}

fn split_path(path: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    if path == "." || path.is_empty() {
        return out;
    }
    for part in path.split('.') {
        // "Tasks[3]" or "[3]" or "Key"
        let mut rest = part;
        if let Some(open) = rest.find('[') {
            let key = &rest[..open];
            if !key.is_empty() {
                out.push(Seg::Key(key.to_string()));
            }
            rest = &rest[open..];
            while let Some(stripped) = rest.strip_prefix('[') {
                let Some(close) = stripped.find(']') else {
                    break;
                };
                if let Ok(i) = stripped[..close].parse() {
                    out.push(Seg::Index(i));
                }
                rest = &stripped[close + 1..];
            }
        } else if !rest.is_empty() {
            out.push(Seg::Key(rest.to_string()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::Node;

    #[test]
    fn unknown_enum_value_is_dropped_not_fatal() {
        let body = r#"[
          {"ID":"a","Status":{"State":"ready","Addr":"198.51.100.11"},"Spec":{"Role":"manager","Availability":"active"}},
          {"ID":"b","Status":{"State":"rebooting","Addr":"198.51.100.12"},"Spec":{"Role":"manager","Availability":"sleepy"}}
        ]"#;
        // bollard itself refuses the whole list
        assert!(serde_json::from_str::<Vec<Node>>(body).is_err());
        let (nodes, problems) = decode_list::<Node>(body).unwrap();
        assert_eq!(nodes.len(), 2);
        assert_eq!(nodes[1].id.as_deref(), Some("b"));
        let status = nodes[1].status.as_ref().unwrap();
        assert_eq!(status.state, None);
        assert_eq!(status.addr.as_deref(), Some("198.51.100.12"));
        let paths: Vec<_> = problems.iter().map(|p| p.path.as_str()).collect();
        // in the order of the document (serde_json keeps the engine's key order)
        assert_eq!(paths, vec!["[1].Status.State", "[1].Spec.Availability"]);
        assert!(
            problems[0].reason.contains("rebooting"),
            "{}",
            problems[0].reason
        );
    }

    #[test]
    fn not_an_array_is_an_error() {
        assert!(decode_list::<Node>("{}").is_err());
        assert!(decode_list::<Node>("nope").is_err());
    }

    #[test]
    fn paths_with_indexes() {
        let mut v: Value = serde_json::json!({"A":[{"B":1},{"B":2}]});
        assert!(remove_path(&mut v, "A[1].B"));
        assert_eq!(v, serde_json::json!({"A":[{"B":1},{}]}));
        assert!(!remove_path(&mut v, "."));
    }
}
