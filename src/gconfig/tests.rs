use serde_json::json;

use super::*;
use crate::engine::write::{Applied, WriteError, apply_config_ref};

#[test]
fn names_and_versions() {
    assert_eq!(
        config_name("global", Kind::Document, 7),
        "swarmdeck-global.v7"
    );
    assert_eq!(
        config_name("global", Kind::Schema, 2),
        "swarmdeck-global-schema.v2"
    );
    assert_eq!(
        parse_name("global", Kind::Document, "swarmdeck-global.v12"),
        Some(12)
    );
    assert_eq!(
        parse_name("global", Kind::Document, "swarmdeck-global.v012"),
        None
    );
    assert_eq!(
        parse_name("global", Kind::Document, "swarmdeck-global.v"),
        None
    );
    assert_eq!(
        parse_name("global", Kind::Document, "swarmdeck-global-schema.v1"),
        None
    );
    assert_eq!(
        parse_name("global", Kind::Document, "swarmdeck-globalx.v1"),
        None
    );
    assert_eq!(
        parse_name("global", Kind::Schema, "swarmdeck-global-schema.v1"),
        Some(1)
    );
    assert!(check_doc("global").is_ok());
    assert!(check_doc("a_b-2").is_ok());
    for bad in ["", "-a", "a-", "a.b", "a/b", "x-schema", &"a".repeat(33)] {
        assert!(check_doc(bad).is_err(), "{bad:?}");
    }
    // the longest document name still makes valid config names
    let longest = "a".repeat(MAX_DOC_LEN);
    assert!(valid_config_name(&config_name(
        &longest,
        Kind::Schema,
        u64::from(u32::MAX)
    )));
    assert!(!valid_config_name(&"a".repeat(65)));
    assert!(!valid_config_name("a."));
    assert_eq!(target_label("global"), "swarmdeck.global.target");
    assert!(check_target("/etc/app/global.json").is_ok());
    for bad in ["", "/", "etc/x", "/etc/../x", "/etc/", "/a\nb"] {
        assert!(check_target(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn sha256_is_hex_of_the_bytes() {
    assert_eq!(
        sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn version_from_a_raw_config() {
    let c = json!({
        "ID": "cid", "CreatedAt": "2026-01-01T00:00:00Z",
        "Spec": {"Name": "swarmdeck-global.v3", "Data": "e30K",
                 "Labels": version_labels("global", Kind::Document, 3, "ff", Some(2), "me@h", "T")}
    });
    let v = version_from_config("global", Kind::Document, &c).expect("a version");
    assert_eq!(
        (v.n, v.id.as_str(), v.parent, v.author.as_str()),
        (3, "cid", Some(2), "me@h")
    );
    assert_eq!(v.created, "T");
    assert!(version_from_config("other", Kind::Document, &c).is_none());
}

#[test]
fn validation_messages() {
    // syntax: serde_json's line and column
    let e = validate("{\n  \"a\": 1,\n}", None).expect_err("invalid");
    assert_eq!(e.len(), 1);
    assert_eq!((e[0].line, e[0].column), (Some(3), Some(1)));
    assert!(
        e[0].to_string()
            .starts_with("line 3, column 1: not valid JSON"),
        "{}",
        e[0]
    );
    // size: exactly 1000 KiB is refused, one byte less passes the size check
    let big = format!("\"{}\"", "x".repeat(MAX_CONFIG_SIZE - 2));
    assert_eq!(big.len(), MAX_CONFIG_SIZE);
    let e = validate(&big, None).expect_err("too big");
    assert!(e[0].message.contains("less than 1024000 bytes"), "{}", e[0]);
    let ok = format!("\"{}\"", "x".repeat(MAX_CONFIG_SIZE - 3));
    assert!(validate(&ok, None).is_ok());
    assert!(
        validate("", None).expect_err("empty")[0]
            .message
            .contains("empty")
    );
    // schema: each error names its pointer
    let schema = json!({
        "type": "object",
        "properties": {"port": {"type": "integer"}, "hosts": {"type": "array", "items": {"type": "string"}}},
        "required": ["port"]
    });
    let e = validate(r#"{"port": "80", "hosts": ["a", 2]}"#, Some(&schema)).expect_err("schema");
    let pointers: Vec<_> = e.iter().filter_map(|p| p.pointer.as_deref()).collect();
    assert!(pointers.contains(&"/port"), "{e:?}");
    assert!(pointers.contains(&"/hosts/1"), "{e:?}");
    let e = validate("{}", Some(&schema)).expect_err("required");
    assert_eq!(e[0].pointer.as_deref(), Some(""));
    assert!(e[0].to_string().contains("port"), "{}", e[0]);
    assert!(validate(r#"{"port": 80}"#, Some(&schema)).is_ok());
    assert!(validate_schema(r#"{"type": 12}"#).is_err());
}

#[test]
fn diff_by_pointer_with_escaping() {
    let old = json!({"a": 1, "b/c": {"x~y": true}, "list": [1, 2, 3], "gone": null});
    let new = json!({"a": 2, "b/c": {"x~y": false}, "list": [1, 5], "new": "n"});
    let d = diff(&old, &new);
    let texts: Vec<String> = d.iter().map(ToString::to_string).collect();
    assert!(d.contains(&Change::Changed {
        pointer: "/a".into(),
        old: json!(1),
        new: json!(2)
    }));
    assert!(d.contains(&Change::Changed {
        pointer: "/b~1c/x~0y".into(),
        old: json!(true),
        new: json!(false)
    }));
    assert!(d.contains(&Change::Changed {
        pointer: "/list/1".into(),
        old: json!(2),
        new: json!(5)
    }));
    assert!(d.contains(&Change::Removed {
        pointer: "/list/2".into(),
        value: json!(3)
    }));
    assert!(d.contains(&Change::Removed {
        pointer: "/gone".into(),
        value: json!(null)
    }));
    assert!(d.contains(&Change::Added {
        pointer: "/new".into(),
        value: json!("n")
    }));
    assert_eq!(d.len(), 6, "{texts:?}");
    // every pointer resolves in the document it came from
    for c in &d {
        match c {
            Change::Removed { .. } => assert!(old.pointer(c.pointer()).is_some()),
            _ => assert_eq!(new.pointer(c.pointer()), c.new_value()),
        }
    }
    assert!(diff(&old, &old).is_empty());
    let t = text_diff(&json!({"a": 1}), &json!({"a": 2}), "v1", "v2");
    assert!(
        t.contains("-  \"a\": 1") && t.contains("+  \"a\": 2"),
        "{t}"
    );
}

#[test]
fn merge3_disjoint_merges_and_overlaps_conflict() {
    let base = json!({"db": {"host": "a", "port": 1}, "flags": ["x"], "name": "n"});
    let theirs = json!({"db": {"host": "b", "port": 1}, "flags": ["x"], "name": "n"});
    let mine = json!({"db": {"host": "a", "port": 2}, "flags": ["x", "y"], "name": "n", "new": 1});
    match merge3(&base, &theirs, &mine) {
        Merge::Clean { merged } => assert_eq!(
            merged,
            json!({"db": {"host": "b", "port": 2}, "flags": ["x", "y"], "name": "n", "new": 1})
        ),
        other => panic!("{other:?}"),
    }
    // the same change on both sides is no conflict
    let both = json!({"db": {"host": "b", "port": 1}, "flags": ["x"], "name": "n"});
    assert_eq!(
        merge3(&base, &theirs, &both),
        Merge::Clean {
            merged: theirs.clone()
        }
    );
    // the same pointer changed differently, and a change inside something the other removed
    let mine2 = json!({"db": {"host": "c", "port": 1}, "flags": ["x"], "name": "m"});
    let theirs2 = json!({"db": {"host": "b", "port": 1}, "flags": ["x"]});
    match merge3(&base, &theirs2, &mine2) {
        Merge::Conflicts { conflicts } => {
            let ps: Vec<&str> = conflicts.iter().map(|c| c.pointer.as_str()).collect();
            assert_eq!(ps, ["/db/host", "/name"]);
            assert_eq!(conflicts[0].base, Some(json!("a")));
            assert_eq!(conflicts[0].theirs, Some(json!("b")));
            assert_eq!(conflicts[0].mine, Some(json!("c")));
            assert_eq!(conflicts[1].theirs, None);
            assert!(conflicts[1].to_string().contains("theirs (absent)"));
        }
        other => panic!("{other:?}"),
    }
    let theirs3 = json!({"flags": ["x"], "name": "n"});
    let mine3 = json!({"db": {"host": "a", "port": 9}, "flags": ["x"], "name": "n"});
    assert!(matches!(
        merge3(&base, &theirs3, &mine3),
        Merge::Conflicts { .. }
    ));
    // removing two array elements on one side, changing another key on the other
    let base4 = json!({"l": [1, 2, 3, 4], "k": 0});
    let theirs4 = json!({"l": [1, 2, 3, 4], "k": 1});
    let mine4 = json!({"l": [1, 2], "k": 0});
    assert_eq!(
        merge3(&base4, &theirs4, &mine4),
        Merge::Clean {
            merged: json!({"l": [1, 2], "k": 1})
        }
    );
}

fn service(
    labels: serde_json::Value,
    mode: serde_json::Value,
    configs: serde_json::Value,
) -> serde_json::Value {
    json!({"ID": "sid", "Version": {"Index": 5}, "Spec": {
        "Name": "web", "Labels": labels, "Mode": mode,
        "TaskTemplate": {"ContainerSpec": {"Image": "i",
            "Healthcheck": {"Test": ["CMD", "true"]}, "Configs": configs}},
        "UpdateConfig": {"Parallelism": 2, "Delay": 1000000000u64, "Order": "start-first", "FailureAction": "rollback"}
    }})
}

#[test]
fn subscribers_and_warnings() {
    let s = service(
        json!({"swarmdeck.global.target": "/etc/app/global.json"}),
        json!({"Replicated": {"Replicas": 3}}),
        json!([{"File": {"Name": "/etc/app/global.json"}, "ConfigID": "c", "ConfigName": "swarmdeck-global.v4"}]),
    );
    let sub = subscriber_from_service("global", &s).expect("subscriber");
    assert_eq!(sub.current, Some(4));
    assert_eq!(sub.mode, Mode::Replicated { replicas: 3 });
    assert_eq!(sub.update.parallelism, 2);
    assert_eq!(sub.update.order, "start-first");
    assert!(warnings(&sub).is_empty());
    assert!(subscriber_from_service("other", &s).is_none());

    let one = service(
        json!({"swarmdeck.global.target": "/x"}),
        json!({"Replicated": {"Replicas": 1}}),
        json!(null),
    );
    let mut sub1 = subscriber_from_service("global", &one).expect("subscriber");
    sub1.update.order = "stop-first".into();
    assert!(
        warnings(&sub1)[0].contains("down while"),
        "{:?}",
        warnings(&sub1)
    );
    let job = service(
        json!({"swarmdeck.global.target": "/x"}),
        json!({"ReplicatedJob": {}}),
        json!(null),
    );
    let subj = subscriber_from_service("global", &job).expect("subscriber");
    assert!(warnings(&subj)[0].contains("runs the job again"));
    let foreign = service(
        json!({"swarmdeck.global.target": "/x"}),
        json!({"Global": {}}),
        json!([{"File": {"Name": "/x"}, "ConfigID": "o", "ConfigName": "other"}]),
    );
    let subf = subscriber_from_service("global", &foreign).expect("subscriber");
    assert_eq!(subf.foreign.as_deref(), Some("other"));
    assert!(warnings(&subf)[0].contains("already mounts config other"));
}

#[test]
fn plan_text_and_unchanged() {
    let cur = json!({"a": 1});
    let p = make_plan(
        "global",
        Some((3, &cur)),
        json!({"a": 2}),
        "{\"a\": 2}",
        vec![],
        None,
    );
    assert_eq!((p.current, p.next, p.unchanged), (Some(3), 4, false));
    assert_eq!(p.changes.len(), 1);
    let t = p.text();
    assert!(
        t.contains("publish global v4") && t.contains("~ /a: 1 → 2"),
        "{t}"
    );
    let first = make_plan("global", None, json!({"a": 2}), "{}", vec![], None);
    assert_eq!((first.current, first.next), (None, 1));
}

#[test]
fn config_ref_replaced_in_one_spec_keeping_every_field() {
    let s = service(
        json!({}),
        json!({"Replicated": {"Replicas": 3}}),
        json!([
            {"File": {"Name": "/etc/app/global.json", "UID": "0", "GID": "0", "Mode": 292}, "ConfigID": "c4", "ConfigName": "swarmdeck-global.v4"},
            {"File": {"Name": "/other"}, "ConfigID": "o", "ConfigName": "other"}
        ]),
    );
    let mut spec = s["Spec"].clone();
    let r = apply_config_ref(
        "web",
        &mut spec,
        "/etc/app/global.json",
        Some(("c5", "swarmdeck-global.v5")),
        "swarmdeck-global.v",
        None,
    );
    assert_eq!(r, Ok(Applied::Changed));
    let refs = config_refs(&spec);
    assert_eq!(refs.len(), 2);
    assert_eq!(
        ref_at(refs, "/etc/app/global.json"),
        Some("swarmdeck-global.v5")
    );
    assert_eq!(refs[0]["ConfigID"], "c5");
    assert_eq!(
        spec["TaskTemplate"]["ContainerSpec"]["Healthcheck"],
        s["Spec"]["TaskTemplate"]["ContainerSpec"]["Healthcheck"]
    );
    assert_eq!(spec["UpdateConfig"], s["Spec"]["UpdateConfig"]);
    // again: already so
    let r = apply_config_ref(
        "web",
        &mut spec,
        "/etc/app/global.json",
        Some(("c5", "swarmdeck-global.v5")),
        "swarmdeck-global.v",
        None,
    );
    assert_eq!(r, Ok(Applied::Already));
    // another config at the target is refused
    let r = apply_config_ref(
        "web",
        &mut spec,
        "/other",
        Some(("c5", "swarmdeck-global.v5")),
        "swarmdeck-global.v",
        None,
    );
    assert!(
        matches!(r, Err(WriteError::Refused(t)) if t.contains("already mounts config \"other\""))
    );
    // subscribe: added with the label; unsubscribe: both removed
    let mut fresh = service(json!(null), json!({"Global": {}}), json!(null))["Spec"].clone();
    let r = apply_config_ref(
        "web",
        &mut fresh,
        "/t",
        Some(("c1", "swarmdeck-global.v1")),
        "swarmdeck-global.v",
        Some(("swarmdeck.global.target", Some("/t"))),
    );
    assert_eq!(r, Ok(Applied::Changed));
    assert_eq!(fresh["Labels"]["swarmdeck.global.target"], "/t");
    assert_eq!(
        config_refs(&fresh)[0],
        json!({"File": {"Name": "/t", "UID": "0", "GID": "0", "Mode": 292}, "ConfigID": "c1", "ConfigName": "swarmdeck-global.v1"})
    );
    let r = apply_config_ref(
        "web",
        &mut fresh,
        "/t",
        None,
        "swarmdeck-global.v",
        Some(("swarmdeck.global.target", None)),
    );
    assert_eq!(r, Ok(Applied::Changed));
    assert!(config_refs(&fresh).is_empty());
    assert!(fresh["Labels"].get("swarmdeck.global.target").is_none());
}

fn task(node: &str, v: Option<u64>, state: &str, err: &str) -> TaskSeen {
    TaskSeen {
        task: format!("t-{node}-{state}"),
        node: node.into(),
        version: v,
        state: state.into(),
        error: err.into(),
    }
}

#[test]
fn drift_judgements() {
    let s = service(
        json!({"swarmdeck.global.target": "/x"}),
        json!({"Global": {}}),
        json!(null),
    );
    let sub = subscriber_from_service("global", &s).expect("subscriber");
    let all = vec![
        task("node1", Some(7), "running", ""),
        task("node2", Some(7), "running", ""),
        task("node3", Some(7), "running", ""),
    ];
    let d = judge_service(&sub, all, Some(7), false, true);
    assert!(d.in_sync);
    assert_eq!(d.summary, ["web: 3/3 nodes on v7"]);
    let rolling = vec![
        task("node1", Some(7), "running", ""),
        task("node2", Some(6), "running", ""),
    ];
    let d = judge_service(&sub, rolling, Some(7), true, true);
    assert!(!d.in_sync);
    assert_eq!(
        d.summary,
        ["web: 1/2 nodes on v7", "web: node2 still on v6 — rolling"]
    );
    let failed = vec![task("node1", Some(5), "failed", "")];
    let d = judge_service(&sub, failed, Some(7), false, false);
    assert_eq!(d.summary, ["web: 1 task on v5 — failed to start"]);
    let d = judge_service(&sub, vec![], Some(7), false, false);
    assert!(!d.in_sync);
}

#[test]
fn retention_keeps_the_newest_and_what_is_in_use() {
    let v = |n: u64| Version {
        n,
        id: format!("id{n}"),
        name: format!("swarmdeck-g.v{n}"),
        sha256: String::new(),
        parent: None,
        author: String::new(),
        created: String::new(),
        size: 0,
    };
    let versions: Vec<Version> = (1..=14).map(v).collect();
    let in_use: std::collections::HashSet<String> = ["id2".to_string()].into();
    let gone: Vec<u64> = to_prune(&versions, 10, &in_use)
        .iter()
        .map(|v| v.n)
        .collect();
    assert_eq!(gone, [4, 3, 1]);
    assert!(to_prune(&versions, 0, &in_use).iter().all(|v| v.n != 14));
}

#[test]
fn list_filters_are_percent_encoded() {
    assert_eq!(
        crate::engine::write::query_value(r#"{"name":["swarmdeck-global.v"]}"#),
        "%7B%22name%22%3A%5B%22swarmdeck%2Dglobal%2Ev%22%5D%7D"
    );
}
