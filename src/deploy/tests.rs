//! Unit tests of the deploy model: the checks, the engine JSON both ways, the merge for
//! edits, the exports and the credentials' encoding.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use serde_json::{Value, json};

use super::*;
use crate::domain::{Availability, Node, NodeId, NodeState, Role};

const SERVICES: &str = include_str!("../../tests/fixtures/engine-services.json");

/// A spec of the fixture service `name` (recorded from the lab's engine).
fn fixture(name: &str) -> Value {
    let all: Value = serde_json::from_str(SERVICES).unwrap();
    all.as_array()
        .unwrap()
        .iter()
        .find(|s| s["Spec"]["Name"] == name)
        .unwrap_or_else(|| panic!("no fixture service {name}"))
        .clone()
}

fn node(hostname: &str, labels: &[(&str, &str)]) -> Node {
    Node {
        id: NodeId::from(format!("id-{hostname}").as_str()),
        hostname: hostname.into(),
        role: Role::Worker,
        availability: Availability::Active,
        state: NodeState::Ready,
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        nano_cpus: 2_000_000_000,
        memory_bytes: 4 << 30,
        os: "linux".into(),
        arch: "x86_64".into(),
        ..Default::default()
    }
}

fn cluster() -> Cluster {
    Cluster {
        nodes: vec![
            node("node1", &[("zone", "a")]),
            node("node2", &[("zone", "b")]),
            node("node3", &[("zone", "a")]),
        ],
        services: vec![
            ("web".into(), vec![(8080, Protocol::Tcp)]),
            ("dns".into(), vec![(53, Protocol::Udp)]),
        ],
        networks: vec!["backend".into(), "ingress".into()],
        secrets: vec!["db-password".into()],
        configs: vec![
            "app-conf".into(),
            "swarmdeck-global.v1".into(),
            "swarmdeck-global.v2".into(),
        ],
    }
}

fn base() -> DeploySpec {
    DeploySpec {
        name: "api".into(),
        image: "registry.lab:5000/team/api:1.2".into(),
        ..DeploySpec::default()
    }
}

fn nfs_mount() -> MountSpec {
    MountSpec {
        kind: MountKind::Volume {
            source: "nfsdata".into(),
            driver: Some("local".into()),
            driver_opts: vec![
                ("type".into(), "nfs".into()),
                ("o".into(), "addr=198.51.100.5,rw".into()),
                ("device".into(), ":/export".into()),
            ],
        },
        target: "/data".into(),
        readonly: false,
    }
}

/// A spec with every field the form has.
fn full() -> DeploySpec {
    DeploySpec {
        name: "shop_api".into(),
        image: "registry.lab:5000/team/api:1.2".into(),
        registry: RegistryAuth::Typed {
            server: "registry.lab:5000".into(),
            username: "deployer".into(),
            password: Secret::new("Sw@rm>>deck??"),
        },
        command: vec!["/bin/sh".into(), "-c".into()],
        args: vec!["exec api --greeting \"it's a test\"".into()],
        env: vec![
            ("GREETING".into(), "it's a test".into()),
            ("EMPTY".into(), String::new()),
        ],
        labels: vec![("team".into(), "shop".into())],
        stack: Some("shop".into()),
        mode: Mode::Replicated { replicas: 3 },
        constraints: vec!["node.labels.zone==a".into(), "node.role!=manager".into()],
        spread: vec!["node.labels.zone".into()],
        max_per_node: Some(2),
        networks: vec![
            NetworkChoice {
                name: "backend".into(),
                create: false,
            },
            NetworkChoice {
                name: "shop-net".into(),
                create: true,
            },
        ],
        ports: vec![
            PortSpec {
                target: 80,
                published: Some(8081),
                protocol: Protocol::Tcp,
                mode: PublishMode::Ingress,
            },
            PortSpec {
                target: 5353,
                published: None,
                protocol: Protocol::Udp,
                mode: PublishMode::Host,
            },
        ],
        mounts: vec![
            nfs_mount(),
            MountSpec {
                kind: MountKind::Bind {
                    source: "/srv/logs".into(),
                },
                target: "/logs".into(),
                readonly: true,
            },
            MountSpec {
                kind: MountKind::Tmpfs {
                    size_bytes: Some(64 << 20),
                },
                target: "/tmp".into(),
                readonly: false,
            },
        ],
        secrets: vec![FileRef {
            name: "db-password".into(),
            target: "db_password".into(),
            uid: "1000".into(),
            gid: "1001".into(),
            mode: 0o400,
        }],
        configs: vec![FileRef {
            name: "app-conf".into(),
            target: "/etc/app/app.conf".into(),
            uid: "0".into(),
            gid: "0".into(),
            mode: 0o440,
        }],
        global_config: Some(("global".into(), "/etc/app/global.json".into())),
        global_config_version: Some(2),
        limits: Resources {
            nano_cpus: Some(500_000_000),
            memory_bytes: Some(512 << 20),
        },
        reservations: Resources {
            nano_cpus: Some(250_000_000),
            memory_bytes: Some(128 << 20),
        },
        restart: RestartSpec {
            condition: "on-failure".into(),
            delay_ns: Some(10 * SECOND_NS),
            max_attempts: Some(3),
            window_ns: Some(60 * SECOND_NS),
        },
        healthcheck: Some(HealthSpec {
            test: vec!["CMD-SHELL".into(), "curl -f localhost".into()],
            interval_ns: Some(10 * SECOND_NS),
            timeout_ns: Some(3 * SECOND_NS),
            start_period_ns: Some(30 * SECOND_NS),
            retries: Some(4),
        }),
        update: UpdateSpec {
            parallelism: 2,
            delay_ns: 5 * SECOND_NS,
            failure_action: "rollback".into(),
            monitor_ns: Some(20 * SECOND_NS),
            max_failure_ratio: 0.25,
            order: "start-first".into(),
        },
        rollback: UpdateSpec {
            parallelism: 0,
            ..UpdateSpec::default()
        },
    }
}

fn errors_at(errs: &[FieldError], field: &str) -> Vec<String> {
    errs.iter()
        .filter(|e| e.field == field)
        .map(|e| e.message.clone())
        .collect()
}

// ------------------------------------------------------------------------------ steps

#[test]
fn steps_in_order_with_titles() {
    assert_eq!(Step::ALL.len(), 6);
    assert_eq!(Step::ALL[0], Step::App);
    assert_eq!(Step::Review.title(), "Review");
    assert_eq!(Step::Network.title(), "Network and ports");
    assert_eq!(Step::App.next(), Some(Step::Mode));
    assert_eq!(Step::Review.next(), None);
    assert_eq!(Step::App.prev(), None);
    assert_eq!(Step::Storage.prev(), Some(Step::Network));
    assert_eq!(Step::Storage.index(), 4);
}

#[test]
fn defaults_are_swarms() {
    let d = DeploySpec::default();
    assert_eq!(d.mode, Mode::Replicated { replicas: 1 });
    assert_eq!(d.restart.condition, "any");
    for u in [&d.update, &d.rollback] {
        assert_eq!(u.parallelism, 1);
        assert_eq!(u.delay_ns, 0);
        assert_eq!(u.failure_action, "pause");
        assert_eq!(u.monitor_ns, Some(5 * SECOND_NS));
        assert_eq!(u.max_failure_ratio, 0.0);
        assert_eq!(u.order, "stop-first");
    }
}

// -------------------------------------------------------------------------- validators

#[test]
fn names() {
    for good in ["web", "web-1", "a_b", "a--b", "A9", "x", &"a".repeat(63)] {
        assert_eq!(check_name(good), Ok(()), "{good}");
    }
    assert!(check_name("").unwrap_err().contains("needs a name"));
    assert!(check_name("a.b").unwrap_err().contains("no dots"));
    assert!(
        check_name(&"a".repeat(64))
            .unwrap_err()
            .contains("at most 63")
    );
    for bad in ["-a", "a-", "_a", "a b", "a/b", "é"] {
        assert!(check_name(bad).is_err(), "{bad}");
    }
}

#[test]
fn images() {
    let digest = format!("sha256:{}", "ab".repeat(32));
    for good in [
        "nginx",
        "nginx:1.27",
        "library/nginx:latest",
        "registry.lab:5000/team/api:v1.2_rc-3",
        "localhost:5000/app",
        "localhost/app",
        "[::1]:5000/app:x",
        "198.51.100.5:5000/a/b/c",
        "a__b.c-d---e",
        "Registry.Lab:5000/app",
        &format!("app@{digest}"),
        &format!("registry.lab/app:1@{digest}"),
    ] {
        assert_eq!(check_image(good), Ok(()), "{good}");
    }
    let cases = [
        ("UPPER/case", "lowercase"),
        (":tag", "no repository name"),
        ("", "needs an image"),
        ("nginx:", "nothing after ':'"),
        ("a//b", "empty path component"),
        ("app@sha256:abc", "64 hexadecimal"),
        ("-x", "start and end"),
        ("Nginx", "lowercase"),
        ("a___b", "no separator"),
        ("a b", "no spaces"),
        ("reg.lab:port/x", "port must be a number"),
        ("nginx:-bad", "a tag is"),
    ];
    for (bad, why) in cases {
        let e = check_image(bad).expect_err(bad);
        assert!(e.contains(why), "{bad}: {e}");
    }
    assert!(
        check_image(&"ab".repeat(32))
            .unwrap_err()
            .contains("image id")
    );
    assert_eq!(image_registry("nginx"), "docker.io");
    assert_eq!(image_registry("registry.lab:5000/x:1"), "registry.lab:5000");
    assert_eq!(image_registry("team/app"), "docker.io");
}

#[test]
fn constraints() {
    for good in [
        "node.labels.zone==a",
        "node.labels.zone == a",
        "node.role!=manager",
        "node.hostname==node1",
        "node.id==abc",
        "node.platform.os==linux",
        "node.platform.arch==x86_64",
        "engine.labels.gpu==true",
    ] {
        assert_eq!(check_constraint(good), Ok(()), "{good}");
    }
    let e = check_constraint("node.labels.zone=a").unwrap_err();
    assert!(e.contains("single '='"), "{e}");
    assert!(e.contains("node.labels.zone=a"), "{e}");
    assert!(
        check_constraint("node.name==x")
            .unwrap_err()
            .contains("unknown key")
    );
    assert!(check_constraint("node.labels.zone").is_err());
    assert!(check_constraint("zone==a").is_err());
    assert_eq!(check_spread("node.labels.zone"), Ok(()));
    assert_eq!(check_spread("engine.labels.rack"), Ok(()));
    assert!(check_spread("node.labels.").is_err());
    assert!(check_spread("zone").is_err());
}

#[test]
fn env_and_labels() {
    assert_eq!(check_env("A=1"), Ok(()));
    assert_eq!(check_env("A="), Ok(()));
    assert_eq!(parse_env("A=b=c"), Ok(("A".into(), "b=c".into())));
    assert!(check_env("=1").is_err());
    assert!(check_env("A").unwrap_err().contains("KEY=VALUE"));
    assert!(check_env("A B=1").is_err());
    assert_eq!(check_label("team"), Ok(()));
    assert!(check_label("").is_err());
    assert!(check_label("a=b").is_err());
}

#[test]
fn ports() {
    assert!(check_port("0").is_err());
    assert_eq!(check_port("1"), Ok(()));
    assert_eq!(parse_port("65535"), Ok(65535));
    assert!(check_port("65536").unwrap_err().contains("out of range"));
    assert!(check_port("70000").unwrap_err().contains("out of range"));
    for bad in ["", "abc", "-1", "80/tcp", "1e3"] {
        assert!(check_port(bad).is_err(), "{bad}");
    }
}

#[test]
fn durations_cpus_memory() {
    for (text, ns) in [
        ("0", 0),
        ("0s", 0),
        ("5s", 5 * SECOND_NS),
        ("1m30s", 90 * SECOND_NS),
        ("500ms", 500_000_000),
        ("1.5h", 5400 * SECOND_NS),
        ("1s500ms", 1_500_000_000),
        ("2us", 2000),
        ("3ns", 3),
    ] {
        assert_eq!(parse_duration(text), Ok(ns), "{text}");
    }
    for bad in ["", "5", "-1s", "5x", "s", "1..5s"] {
        assert!(parse_duration(bad).is_err(), "{bad}");
    }
    for ns in [
        0,
        5 * SECOND_NS,
        90 * SECOND_NS,
        1_500_000_000,
        3_600 * SECOND_NS + 7,
    ] {
        assert_eq!(parse_duration(&format_duration(ns)), Ok(ns), "{ns}");
    }
    assert_eq!(format_duration(90 * SECOND_NS), "1m30s");
    assert_eq!(parse_cpus("0.5"), Ok(500_000_000));
    assert_eq!(parse_cpus("2"), Ok(2_000_000_000));
    assert_eq!(parse_cpus(".25"), Ok(250_000_000));
    assert!(parse_cpus("0").is_err());
    assert!(parse_cpus("abc").is_err());
    assert!(parse_cpus("0.1234567891").is_err());
    assert_eq!(format_cpus(500_000_000), "0.5");
    assert_eq!(format_cpus(2_000_000_000), "2");
    assert_eq!(parse_memory("512M"), Ok(512 << 20));
    assert_eq!(parse_memory("1g"), Ok(1 << 30));
    assert_eq!(parse_memory("1.5GiB"), Ok(3 << 29));
    assert_eq!(parse_memory("1048576"), Ok(1 << 20));
    assert!(parse_memory("12 parsecs").is_err());
    assert!(parse_memory("0").is_err());
    assert_eq!(format_memory(512 << 20), "512M");
    assert_eq!(format_memory(1000), "1000");
}

#[test]
fn app_step_errors_at_fields() {
    let c = cluster();
    let mut s = base();
    assert!(validate_step(Step::App, &s, &c, None).is_empty());
    s.name = String::new();
    let e = validate_step(Step::App, &s, &c, None);
    assert_eq!(e.len(), 1);
    assert_eq!((e[0].step, e[0].field), (Step::App, field::NAME));
    s.name = "a.b".into();
    assert!(errors_at(&validate_step(Step::App, &s, &c, None), field::NAME)[0].contains("dots"));
    s.name = "web".into();
    let e = validate_step(Step::App, &s, &c, None);
    assert!(
        errors_at(&e, field::NAME)[0].contains("already exists"),
        "{e:?}"
    );
    // Editing web itself: its own name is not "in use"; another name is a change.
    assert!(validate_step(Step::App, &s, &c, Some("web")).is_empty());
    let e = validate_step(Step::App, &s, &c, Some("api"));
    assert!(errors_at(&e, field::NAME)[0].contains("cannot change"));
    s.name = "api".into();
    s.image = "UPPER/case".into();
    assert_eq!(
        errors_at(&validate_step(Step::App, &s, &c, None), field::IMAGE).len(),
        1
    );
    s.image = "nginx".into();
    s.registry = RegistryAuth::Typed {
        server: String::new(),
        username: String::new(),
        password: Secret::default(),
    };
    let e = validate_step(Step::App, &s, &c, None);
    for f in [
        field::REGISTRY_SERVER,
        field::REGISTRY_USERNAME,
        field::REGISTRY_PASSWORD,
    ] {
        assert_eq!(errors_at(&e, f).len(), 1, "{f}: {e:?}");
    }
    s.registry = RegistryAuth::FromConfig {
        server: "https://index.docker.io/v1/".into(),
    };
    s.env = vec![(String::new(), "x".into())];
    s.labels = vec![
        (STACK_LABEL.into(), "x".into()),
        ("swarmdeck.global.target".into(), "/x".into()),
    ];
    s.stack = Some("my.stack".into());
    let e = validate_step(Step::App, &s, &c, None);
    assert!(errors_at(&e, field::REGISTRY_SERVER).is_empty(), "{e:?}");
    assert_eq!(errors_at(&e, field::ENV).len(), 1);
    assert_eq!(errors_at(&e, field::LABELS).len(), 2);
    assert_eq!(errors_at(&e, field::STACK).len(), 1);
}

#[test]
fn zero_counts_follow_swarm() {
    let c = cluster();
    let mut s = base();
    s.mode = Mode::Replicated { replicas: 0 };
    assert!(validate_all(&s, &c, None).is_empty());
    assert!(warnings(&s, &c).iter().any(|w| w.contains("0 replicas")));
    s.mode = Mode::ReplicatedJob {
        completions: 4,
        max_concurrent: 0,
    };
    assert!(validate_all(&s, &c, None).is_empty());
    assert!(
        warnings(&s, &c)
            .iter()
            .any(|w| w.contains("max concurrent 0"))
    );
}

#[test]
fn placement_step() {
    let c = cluster();
    let mut s = base();
    s.constraints = vec!["node.labels.zone=a".into(), "node.labels.zone==a".into()];
    s.spread = vec!["zone".into()];
    let e = validate_step(Step::Placement, &s, &c, None);
    assert_eq!(errors_at(&e, field::CONSTRAINTS).len(), 1);
    assert_eq!(errors_at(&e, field::SPREAD).len(), 1);
    s.mode = Mode::Global;
    s.max_per_node = Some(2);
    s.constraints.clear();
    s.spread.clear();
    let e = validate_step(Step::Placement, &s, &c, None);
    assert_eq!(errors_at(&e, field::MAX_PER_NODE).len(), 1);
}

#[test]
fn network_step_and_ports_in_use() {
    let c = cluster();
    let mut s = base();
    s.networks = vec![
        NetworkChoice {
            name: "backend".into(),
            create: false,
        },
        NetworkChoice {
            name: "nope".into(),
            create: false,
        },
        NetworkChoice {
            name: "backend".into(),
            create: true,
        },
        NetworkChoice {
            name: "new-net".into(),
            create: true,
        },
        NetworkChoice {
            name: "ingress".into(),
            create: false,
        },
    ];
    let port = |target, published: Option<u16>, protocol| PortSpec {
        target,
        published,
        protocol,
        mode: PublishMode::Ingress,
    };
    s.ports = vec![
        port(80, Some(8080), Protocol::Tcp),
        port(53, Some(8080), Protocol::Udp),
        port(0, Some(9000), Protocol::Tcp),
        port(81, Some(9000), Protocol::Tcp),
        port(82, Some(0), Protocol::Tcp),
        port(83, None, Protocol::Tcp),
        port(53, Some(53), Protocol::Udp),
    ];
    let e = validate_step(Step::Network, &s, &c, None);
    let nets = errors_at(&e, field::NETWORKS);
    assert_eq!(nets.len(), 3, "{nets:?}");
    assert!(nets.iter().any(|m| m.contains("no network named \"nope\"")));
    assert!(nets.iter().any(|m| m.contains("given twice")));
    assert!(nets.iter().any(|m| m.contains("ingress")));
    let ports = errors_at(&e, field::PORTS);
    assert!(
        ports
            .iter()
            .any(|m| m.contains("8080/tcp is already published by service web"))
    );
    assert!(
        ports
            .iter()
            .any(|m| m.contains("53/udp is already published by service dns"))
    );
    assert!(ports.iter().any(|m| m.contains("port 3: the target port")));
    assert!(
        ports
            .iter()
            .any(|m| m.contains("9000/tcp is published twice"))
    );
    assert!(ports.iter().any(|m| m.contains("port 5: 0 is not a port")));
    assert_eq!(ports.len(), 5, "{ports:?}");
    // 8080/udp is free; editing web, its own 8080/tcp is no conflict.
    s.networks.clear();
    s.ports = vec![port(80, Some(8080), Protocol::Tcp)];
    assert!(validate_step(Step::Network, &s, &c, Some("web")).is_empty());
}

#[test]
fn storage_step() {
    let c = cluster();
    let mut s = full();
    let e = validate_step(Step::Storage, &s, &c, None);
    assert!(e.is_empty(), "{e:?}");
    s.mounts.push(MountSpec {
        kind: MountKind::Bind {
            source: "relative".into(),
        },
        target: "/data".into(),
        readonly: false,
    });
    s.secrets.push(FileRef::new("missing", "db_password"));
    s.configs[0].uid = "root".into();
    s.global_config_version = Some(9);
    s.limits.memory_bytes = Some(1024);
    s.reservations.nano_cpus = Some(1_000_000_000);
    s.restart.condition = "always".into();
    s.healthcheck.as_mut().unwrap().test = vec!["curl".into()];
    s.update.order = "random".into();
    s.rollback.failure_action = "rollback".into();
    let e = validate_step(Step::Storage, &s, &c, None);
    let mounts = errors_at(&e, field::MOUNTS);
    assert_eq!(mounts.len(), 2, "{mounts:?}");
    let secrets = errors_at(&e, field::SECRETS);
    assert!(
        secrets
            .iter()
            .any(|m| m.contains("no secret named \"missing\""))
    );
    assert!(
        secrets
            .iter()
            .any(|m| m.contains("same target") || m.contains("has the target"))
    );
    assert_eq!(errors_at(&e, field::CONFIGS).len(), 1);
    assert!(errors_at(&e, field::GLOBAL_CONFIG)[0].contains("v9"));
    assert_eq!(errors_at(&e, field::LIMIT_MEMORY).len(), 1);
    assert_eq!(errors_at(&e, field::RESERVE_CPUS).len(), 1);
    assert_eq!(errors_at(&e, field::RESTART_CONDITION).len(), 1);
    assert_eq!(errors_at(&e, field::HEALTH_TEST).len(), 1);
    assert_eq!(errors_at(&e, field::UPDATE_ORDER).len(), 1);
    assert_eq!(errors_at(&e, field::ROLLBACK_FAILURE_ACTION).len(), 1);
    // A job takes no update config: it is not checked.
    s.mode = Mode::GlobalJob;
    let e = validate_step(Step::Storage, &s, &c, None);
    assert!(errors_at(&e, field::UPDATE_ORDER).is_empty());
    // No published version of a document yet.
    let mut s = base();
    s.global_config = Some(("other".into(), "/etc/other.json".into()));
    let e = validate_step(Step::Storage, &s, &c, None);
    assert!(errors_at(&e, field::GLOBAL_CONFIG)[0].contains("no published version"));
}

#[test]
fn edits_keep_name_and_mode() {
    let a = full();
    let mut b = a.clone();
    assert!(check_edit(&a, &b).is_empty());
    b.mode = Mode::Replicated { replicas: 9 };
    assert!(check_edit(&a, &b).is_empty());
    b.mode = Mode::Global;
    b.name = "other".into();
    let e = check_edit(&a, &b);
    assert_eq!(e.len(), 2);
    assert_eq!(e[0].field, field::NAME);
    assert_eq!((e[1].step, e[1].field), (Step::Mode, field::MODE));
}

// --------------------------------------------------------------------------- placement

#[test]
fn eligible_nodes_say_why_not() {
    let mut nodes = cluster().nodes;
    nodes.push(Node {
        availability: Availability::Drain,
        ..node("node4", &[("zone", "a")])
    });
    nodes.push(Node {
        state: NodeState::Down,
        ..node("node5", &[("zone", "a")])
    });
    nodes.push(node("node6", &[]));
    let mut s = base();
    s.constraints = vec!["node.labels.zone==a".into()];
    let r = eligible(&s, &nodes);
    let get = |h: &str| r.iter().find(|(n, _)| n == h).unwrap().1.clone();
    assert_eq!(get("node1"), Ok(()));
    assert_eq!(get("node3"), Ok(()));
    let n2 = get("node2").unwrap_err();
    assert!(
        n2.contains("node.labels.zone==a") && n2.contains("\"b\""),
        "{n2}"
    );
    assert!(get("node4").unwrap_err().contains("drained"));
    assert!(get("node5").unwrap_err().contains("down"));
    assert!(get("node6").unwrap_err().contains("no zone label"));
    s.constraints = vec!["node.hostname!=node1".into(), "node.labels.zone=a".into()];
    let n1 = eligible(&s, &nodes)[0].1.clone().unwrap_err();
    assert!(
        n1.contains("node.hostname!=node1") && n1.contains("node.labels.zone=a"),
        "{n1}"
    );
    s.constraints.clear();
    s.reservations.nano_cpus = Some(4_000_000_000);
    assert!(
        eligible(&s, &nodes)[0]
            .1
            .clone()
            .unwrap_err()
            .contains("CPUs")
    );
}

#[test]
fn warnings_for_the_review() {
    let c = cluster();
    let mut s = base();
    s.constraints = vec!["node.labels.zone==nowhere".into()];
    let w = warnings(&s, &c);
    assert!(w.iter().any(|w| w.starts_with("no node can run")), "{w:?}");
    s.constraints = vec!["node.labels.zone==a".into()];
    s.mode = Mode::Replicated { replicas: 5 };
    s.max_per_node = Some(2);
    let w = warnings(&s, &c);
    assert!(w.iter().any(|w| w.contains("1 of the 5")), "{w:?}");
    s.mode = Mode::Replicated { replicas: 1 };
    s.max_per_node = None;
    assert!(warnings(&s, &c).iter().any(|w| w.contains("stop-first")));
    s.update.order = "start-first".into();
    s.ports = vec![PortSpec {
        target: 80,
        published: Some(80),
        protocol: Protocol::Tcp,
        mode: PublishMode::Host,
    }];
    assert!(
        warnings(&s, &c)
            .iter()
            .any(|w| w.contains("host-mode port"))
    );
    let mut s = base();
    s.mode = Mode::Replicated { replicas: 3 };
    s.mounts = vec![MountSpec {
        kind: MountKind::Volume {
            source: "data".into(),
            driver: None,
            driver_opts: vec![],
        },
        target: "/data".into(),
        readonly: false,
    }];
    assert!(warnings(&s, &c).iter().any(|w| w.contains("local driver")));
    // NFS options through the local driver are shared storage: no warning.
    s.mounts = vec![nfs_mount()];
    assert!(!warnings(&s, &c).iter().any(|w| w.contains("local driver")));
    s.mode = Mode::GlobalJob;
    assert!(warnings(&s, &c).iter().any(|w| w.contains("runs it again")));
    s.image = "nginx".into();
    assert!(warnings(&s, &c).iter().any(|w| w.contains(":latest")));
    s.image = "registry.lab:5000/x:1".into();
    assert!(warnings(&s, &c).iter().any(|w| w.contains("No such image")));
}

// ----------------------------------------------------------------------- engine JSON

#[test]
fn spec_for_each_mode() {
    let mut s = base();
    let v = to_service_spec(&s);
    assert_eq!(v["Mode"], json!({"Replicated": {"Replicas": 1}}));
    assert!(v["UpdateConfig"].is_object() && v["RollbackConfig"].is_object());
    s.mode = Mode::Global;
    assert_eq!(to_service_spec(&s)["Mode"], json!({"Global": {}}));
    s.mode = Mode::ReplicatedJob {
        completions: 6,
        max_concurrent: 2,
    };
    let v = to_service_spec(&s);
    assert_eq!(
        v["Mode"],
        json!({"ReplicatedJob": {"MaxConcurrent": 2, "TotalCompletions": 6}})
    );
    assert!(v.get("UpdateConfig").is_none() && v.get("RollbackConfig").is_none());
    s.mode = Mode::GlobalJob;
    let v = to_service_spec(&s);
    assert_eq!(v["Mode"], json!({"GlobalJob": {}}));
    assert!(v.get("UpdateConfig").is_none() && v.get("RollbackConfig").is_none());
}

#[test]
fn spec_fields() {
    let v = to_service_spec(&full());
    assert_eq!(v["Name"], "shop_api");
    assert_eq!(
        v["Labels"],
        json!({"team": "shop", STACK_LABEL: "shop", "swarmdeck.global.target": "/etc/app/global.json"})
    );
    let cs = &v["TaskTemplate"]["ContainerSpec"];
    assert_eq!(cs["Image"], "registry.lab:5000/team/api:1.2");
    assert_eq!(cs["Command"], json!(["/bin/sh", "-c"]));
    assert_eq!(cs["Env"], json!(["GREETING=it's a test", "EMPTY="]));
    assert_eq!(
        cs["Mounts"][0],
        json!({
            "Type": "volume", "Source": "nfsdata", "Target": "/data", "ReadOnly": false,
            "VolumeOptions": {"DriverConfig": {"Name": "local", "Options": {
                "type": "nfs", "o": "addr=198.51.100.5,rw", "device": ":/export"}}}
        })
    );
    assert_eq!(
        cs["Mounts"][1],
        json!({"Type": "bind", "Source": "/srv/logs", "Target": "/logs", "ReadOnly": true})
    );
    assert_eq!(
        cs["Mounts"][2]["TmpfsOptions"],
        json!({"SizeBytes": 64 << 20})
    );
    assert_eq!(
        cs["Secrets"],
        json!([{"File": {"Name": "db_password", "UID": "1000", "GID": "1001", "Mode": 0o400},
                "SecretName": "db-password"}])
    );
    assert_eq!(
        cs["Configs"],
        json!([
            {"File": {"Name": "/etc/app/app.conf", "UID": "0", "GID": "0", "Mode": 0o440},
             "ConfigName": "app-conf"},
            {"File": {"Name": "/etc/app/global.json", "UID": "0", "GID": "0", "Mode": 0o444},
             "ConfigName": "swarmdeck-global.v2"}
        ])
    );
    // The engine's spelling, which bollard's typed model gets wrong (HealthCheck).
    assert_eq!(
        cs["Healthcheck"],
        json!({"Test": ["CMD-SHELL", "curl -f localhost"], "Interval": 10 * SECOND_NS,
               "Timeout": 3 * SECOND_NS, "StartPeriod": 30 * SECOND_NS, "Retries": 4})
    );
    let tt = &v["TaskTemplate"];
    assert_eq!(
        tt["Resources"],
        json!({"Limits": {"NanoCPUs": 500_000_000, "MemoryBytes": 512 << 20},
               "Reservations": {"NanoCPUs": 250_000_000, "MemoryBytes": 128 << 20}})
    );
    assert_eq!(
        tt["RestartPolicy"],
        json!({"Condition": "on-failure", "Delay": 10 * SECOND_NS, "MaxAttempts": 3,
               "Window": 60 * SECOND_NS})
    );
    assert_eq!(
        tt["Placement"],
        json!({"Constraints": ["node.labels.zone==a", "node.role!=manager"],
               "Preferences": [{"Spread": {"SpreadDescriptor": "node.labels.zone"}}],
               "MaxReplicas": 2})
    );
    assert_eq!(
        tt["Networks"],
        json!([{"Target": "backend"}, {"Target": "shop-net"}])
    );
    assert_eq!(
        v["EndpointSpec"],
        json!({"Mode": "vip", "Ports": [
            {"Protocol": "tcp", "TargetPort": 80, "PublishedPort": 8081, "PublishMode": "ingress"},
            {"Protocol": "udp", "TargetPort": 5353, "PublishMode": "host"}]})
    );
    assert_eq!(
        v["UpdateConfig"],
        json!({"Parallelism": 2, "Delay": 5 * SECOND_NS, "FailureAction": "rollback",
               "Monitor": 20 * SECOND_NS, "MaxFailureRatio": 0.25, "Order": "start-first"})
    );
    // No credentials anywhere in the spec.
    assert!(!v.to_string().contains("Sw@rm"));
    assert_eq!(
        networks_to_create(&full()),
        vec![
            json!({"Name": "shop-net", "CheckDuplicate": true, "Driver": "overlay", "Attachable": true})
        ]
    );
}

#[test]
fn round_trip_through_the_engine_json() {
    let mut s = full();
    // What a spec cannot hold: credentials and "create this network".
    s.registry = RegistryAuth::None;
    s.networks[1].create = false;
    assert_eq!(from_service_spec(&to_service_spec(&s)), s);
    for mode in [
        Mode::Global,
        Mode::ReplicatedJob {
            completions: 5,
            max_concurrent: 2,
        },
        Mode::GlobalJob,
    ] {
        let mut j = base();
        j.mode = mode;
        assert_eq!(from_service_spec(&to_service_spec(&j)), j, "{mode:?}");
    }
    assert_eq!(
        from_service_spec(&to_service_spec(&DeploySpec::default())),
        DeploySpec::default()
    );
}

#[test]
fn from_recorded_services() {
    let job = from_service_spec(&fixture("fx-migrate"));
    assert_eq!(job.name, "fx-migrate");
    assert_eq!(job.image, "swarmdeck/busybox:lab");
    assert_eq!(job.args, ["true"]);
    assert_eq!(
        job.mode,
        Mode::ReplicatedJob {
            completions: 2,
            max_concurrent: 2
        }
    );
    assert_eq!(
        from_service_spec(&fixture("fx-sweep")).mode,
        Mode::GlobalJob
    );
    assert_eq!(from_service_spec(&fixture("fx-agent")).mode, Mode::Global);
    let pinned = from_service_spec(&fixture("fx-pinned"));
    assert_eq!(pinned.constraints, ["node.labels.site==nowhere"]);
    let web = from_service_spec(&fixture("fx-web"));
    assert_eq!(web.mode, Mode::Replicated { replicas: 3 });
    assert_eq!(web.args, ["sleep", "3600"]);
    assert_eq!(web.update, UpdateSpec::default());
    assert!(web.labels.is_empty() && web.healthcheck.is_none());
}

/// A service as the lab's engine stores one made with `docker service create --name hc
/// --health-cmd 'curl -f localhost' --health-interval 10s --label team=a --label
/// com.docker.stack.namespace=shop --container-label c=1 --network backend --mount
/// type=volume,source=data,target=/data,volume-label=keep=1 nginx:1.27 nginx -g 'daemon
/// off;'`, plus a field from a newer engine.
fn cli_made() -> Value {
    json!({
        "ID": "svc123",
        "Version": {"Index": 42},
        "Spec": {
            "Name": "hc",
            "Labels": {"team": "a", "com.docker.stack.namespace": "shop"},
            "TaskTemplate": {
                "ContainerSpec": {
                    "Image": "nginx:1.27@sha256:0000000000000000000000000000000000000000000000000000000000000000",
                    "Labels": {"c": "1"},
                    "Args": ["nginx", "-g", "daemon off;"],
                    "Init": false,
                    "Mounts": [{"Type": "volume", "Source": "data", "Target": "/data",
                                "VolumeOptions": {"Labels": {"keep": "1"}}}],
                    "Healthcheck": {"Test": ["CMD-SHELL", "curl -f localhost"], "Interval": 10000000000u64},
                    "DNSConfig": {},
                    "Isolation": "default",
                    "FutureField": {"x": [1, 2]}
                },
                "Resources": {"Limits": {}, "Reservations": {}},
                "RestartPolicy": {"Condition": "any", "Delay": 5000000000u64, "MaxAttempts": 0},
                "Placement": {"Platforms": [{"Architecture": "amd64", "OS": "linux"}]},
                "Networks": [{"Target": "k3xnetid", "Aliases": ["hc"]}],
                "ForceUpdate": 0,
                "Runtime": "container"
            },
            "Mode": {"Replicated": {"Replicas": 1}},
            "UpdateConfig": {"Parallelism": 1, "FailureAction": "pause", "Monitor": 5000000000u64,
                             "MaxFailureRatio": 0, "Order": "stop-first"},
            "RollbackConfig": {"Parallelism": 1, "FailureAction": "pause", "Monitor": 5000000000u64,
                               "MaxFailureRatio": 0, "Order": "stop-first"},
            "EndpointSpec": {"Mode": "vip"}
        }
    })
}

/// `after` equals `before` everywhere but at the given pointers.
fn same_except(before: &Value, after: &Value, changed: &[&str]) {
    let mut a = before.clone();
    let mut b = after.clone();
    for p in changed {
        for v in [&mut a, &mut b] {
            if let Some((parent, key)) = p.rsplit_once('/')
                && let Some(o) = v.pointer_mut(parent).and_then(Value::as_object_mut)
            {
                o.remove(key);
            }
        }
    }
    assert_eq!(
        serde_json::to_string_pretty(&a).unwrap(),
        serde_json::to_string_pretty(&b).unwrap()
    );
}

#[test]
fn merge_keeps_what_the_form_did_not_touch() {
    let raw = cli_made();
    let original = from_service_spec(&raw);
    assert_eq!(original.stack.as_deref(), Some("shop"));
    assert_eq!(original.labels, [("team".to_string(), "a".to_string())]);
    assert!(original.healthcheck.is_some());

    // Nothing changed: the spec goes back byte for byte.
    let same = merge_onto(&raw, &original, &original);
    assert_eq!(same.to_string(), raw["Spec"].to_string());

    // Replicas and one env var: only those move.
    let mut edited = original.clone();
    edited.mode = Mode::Replicated { replicas: 3 };
    edited.env.push(("LOG".into(), "debug".into()));
    let out = merge_onto(&raw, &original, &edited);
    assert_eq!(out["Mode"]["Replicated"]["Replicas"], 3);
    assert_eq!(
        out["TaskTemplate"]["ContainerSpec"]["Env"],
        json!(["LOG=debug"])
    );
    same_except(
        &raw["Spec"],
        &out,
        &[
            "/Mode/Replicated/Replicas",
            "/TaskTemplate/ContainerSpec/Env",
        ],
    );
    let hc = |v: &Value| v["TaskTemplate"]["ContainerSpec"]["Healthcheck"].to_string();
    assert_eq!(hc(&out), hc(&raw["Spec"]));

    // One healthcheck field: the rest of it stays.
    let mut edited = original.clone();
    edited.healthcheck.as_mut().unwrap().retries = Some(5);
    let out = merge_onto(&raw, &original, &edited);
    assert_eq!(
        out["TaskTemplate"]["ContainerSpec"]["Healthcheck"],
        json!({"Test": ["CMD-SHELL", "curl -f localhost"], "Interval": 10000000000u64, "Retries": 5})
    );
    same_except(
        &raw["Spec"],
        &out,
        &["/TaskTemplate/ContainerSpec/Healthcheck"],
    );

    // The healthcheck removed; a label removed; the stack label kept.
    let mut edited = original.clone();
    edited.healthcheck = None;
    edited.labels.clear();
    let out = merge_onto(&raw, &original, &edited);
    assert!(
        out["TaskTemplate"]["ContainerSpec"]
            .get("Healthcheck")
            .is_none()
    );
    assert_eq!(out["Labels"], json!({"com.docker.stack.namespace": "shop"}));
    same_except(
        &raw["Spec"],
        &out,
        &["/TaskTemplate/ContainerSpec/Healthcheck", "/Labels"],
    );
}

#[test]
fn merge_keeps_list_items_the_form_shows_unchanged() {
    let raw = cli_made();
    let original = from_service_spec(&raw);
    let mut edited = original.clone();
    edited.mounts.push(nfs_mount());
    edited.ports.push(PortSpec {
        target: 80,
        published: Some(8088),
        ..PortSpec::default()
    });
    edited.networks.push(NetworkChoice {
        name: "backend".into(),
        create: false,
    });
    let out = merge_onto(&raw, &original, &edited);
    let mounts = &out["TaskTemplate"]["ContainerSpec"]["Mounts"];
    // The kept mount keeps its volume labels, which the form has no field for.
    assert_eq!(
        mounts[0],
        raw["Spec"]["TaskTemplate"]["ContainerSpec"]["Mounts"][0]
    );
    assert_eq!(
        mounts[1]["VolumeOptions"]["DriverConfig"]["Options"]["type"],
        "nfs"
    );
    assert_eq!(
        out["TaskTemplate"]["Networks"],
        json!([{"Target": "k3xnetid", "Aliases": ["hc"]}, {"Target": "backend"}])
    );
    assert_eq!(out["EndpointSpec"]["Mode"], "vip");
    assert_eq!(out["EndpointSpec"]["Ports"][0]["PublishedPort"], 8088);
    same_except(
        &raw["Spec"],
        &out,
        &[
            "/TaskTemplate/ContainerSpec/Mounts",
            "/TaskTemplate/Networks",
            "/EndpointSpec/Ports",
        ],
    );

    // The wizard may show networks by name where the engine keeps ids: a network
    // unchanged in the form keeps its raw entry (aliases) by position.
    let mut shown = original.clone();
    name_networks(&mut shown, &[("k3xnetid".into(), "backend".into())]);
    assert_eq!(shown.networks[0].name, "backend");
    assert!(validate_step(Step::Network, &shown, &cluster(), Some("hc")).is_empty());
    let mut edited = shown.clone();
    edited.networks.push(NetworkChoice {
        name: "frontend".into(),
        create: false,
    });
    let out = merge_onto(&raw, &shown, &edited);
    assert_eq!(
        out["TaskTemplate"]["Networks"],
        json!([{"Target": "k3xnetid", "Aliases": ["hc"]}, {"Target": "frontend"}])
    );
}

#[test]
fn merge_onto_recorded_services() {
    for name in ["fx-web", "fx-pinned", "fx-agent", "fx-migrate"] {
        let raw = fixture(name);
        let original = from_service_spec(&raw);
        let mut edited = original.clone();
        edited.image = "swarmdeck/busybox:lab2".into();
        let out = merge_onto(&raw, &original, &edited);
        assert_eq!(
            out["TaskTemplate"]["ContainerSpec"]["Image"],
            "swarmdeck/busybox:lab2"
        );
        // No UpdateConfig appears where the engine had none; everything else as read.
        same_except(&raw["Spec"], &out, &["/TaskTemplate/ContainerSpec/Image"]);
    }
    let raw = fixture("fx-web");
    let original = from_service_spec(&raw);
    let mut edited = original.clone();
    edited.update.parallelism = 2;
    let out = merge_onto(&raw, &original, &edited);
    assert_eq!(out["UpdateConfig"], json!({"Parallelism": 2}));
}

#[test]
fn merge_edits_a_global_config_subscription() {
    let mut s = full();
    s.registry = RegistryAuth::None;
    s.networks[1].create = false;
    let raw = to_service_spec(&s);
    let original = from_service_spec(&raw);
    assert_eq!(original.global_config_version, Some(2));
    assert_eq!(original.configs.len(), 1);
    let mut edited = original.clone();
    edited.global_config = None;
    edited.global_config_version = None;
    let out = merge_onto(&raw, &original, &edited);
    assert!(out["Labels"].get("swarmdeck.global.target").is_none());
    let configs = out["TaskTemplate"]["ContainerSpec"]["Configs"]
        .as_array()
        .unwrap();
    assert_eq!(configs.len(), 1);
    assert_eq!(configs[0]["ConfigName"], "app-conf");
}

#[test]
fn resolve_refs_fills_ids_and_the_newest_version() {
    let mut s = full();
    s.global_config_version = None;
    let mut v = to_service_spec(&s);
    let secrets = vec![("sid1".to_string(), "db-password".to_string())];
    let configs = vec![
        ("cid1".to_string(), "app-conf".to_string()),
        ("g1".to_string(), "swarmdeck-global.v1".to_string()),
        ("g10".to_string(), "swarmdeck-global.v10".to_string()),
        ("g2".to_string(), "swarmdeck-global.v2".to_string()),
    ];
    resolve_refs(&mut v, &secrets, &configs).unwrap();
    let cs = &v["TaskTemplate"]["ContainerSpec"];
    assert_eq!(cs["Secrets"][0]["SecretID"], "sid1");
    assert_eq!(cs["Configs"][0]["ConfigID"], "cid1");
    assert_eq!(cs["Configs"][1]["ConfigName"], "swarmdeck-global.v10");
    assert_eq!(cs["Configs"][1]["ConfigID"], "g10");
    assert_eq!(cs["Configs"][1]["File"]["Name"], "/etc/app/global.json");
    let err = resolve_refs(&mut to_service_spec(&full()), &[], &configs).unwrap_err();
    assert!(err.contains("db-password"), "{err}");
    let mut s = base();
    s.global_config = Some(("other".into(), "/x.json".into()));
    assert!(resolve_refs(&mut to_service_spec(&s), &[], &configs).is_err());
}

// ----------------------------------------------------------------------------- exports

#[test]
fn compose_parses_back_with_the_expected_keys() {
    let s = full();
    let text = compose_yaml(&s).unwrap();
    assert!(!text.contains("Sw@rm"), "{text}");
    assert!(!text.contains("deployer"), "no user name either: {text}");
    let y: Value = serde_norway::from_str(&text).unwrap();
    assert_eq!(y["version"], "3.8");
    // In stack "shop", key "api" deploys as shop_api.
    let svc = &y["services"]["api"];
    assert_eq!(svc["image"], s.image);
    assert_eq!(svc["entrypoint"], json!(["/bin/sh", "-c"]));
    assert_eq!(svc["command"], json!(s.args));
    assert_eq!(
        svc["environment"],
        json!(["GREETING=it's a test", "EMPTY="])
    );
    let d = &svc["deploy"];
    assert_eq!(d["mode"], "replicated");
    assert_eq!(d["replicas"], 3);
    assert_eq!(
        d["labels"],
        json!({"team": "shop", "swarmdeck.global.target": "/etc/app/global.json"})
    );
    assert_eq!(d["placement"]["constraints"], json!(s.constraints));
    assert_eq!(
        d["placement"]["preferences"],
        json!([{"spread": "node.labels.zone"}])
    );
    assert_eq!(d["placement"]["max_replicas_per_node"], 2);
    assert_eq!(
        d["resources"]["limits"],
        json!({"cpus": "0.5", "memory": "512M"})
    );
    assert_eq!(d["restart_policy"]["delay"], "10s");
    assert_eq!(d["update_config"]["order"], "start-first");
    assert_eq!(d["update_config"]["max_failure_ratio"], 0.25);
    assert_eq!(d["rollback_config"]["parallelism"], 0);
    assert_eq!(svc["healthcheck"]["start_period"], "30s");
    assert_eq!(
        svc["ports"][1],
        json!({"target": 5353, "protocol": "udp", "mode": "host"})
    );
    assert_eq!(
        svc["volumes"][0],
        json!({"type": "volume", "source": "nfsdata", "target": "/data"})
    );
    assert_eq!(svc["volumes"][1]["read_only"], true);
    assert_eq!(svc["volumes"][2]["tmpfs"]["size"], 64 << 20);
    assert_eq!(
        y["volumes"]["nfsdata"]["driver_opts"],
        json!({"type": "nfs", "o": "addr=198.51.100.5,rw", "device": ":/export"})
    );
    assert_eq!(y["networks"]["backend"], json!({"external": true}));
    assert_eq!(y["networks"]["shop-net"]["driver"], "overlay");
    assert_eq!(
        svc["secrets"][0],
        json!({"source": "db-password", "target": "db_password", "uid": "1000", "gid": "1001", "mode": 0o400})
    );
    assert_eq!(y["secrets"]["db-password"], json!({"external": true}));
    assert_eq!(svc["configs"][1]["source"], "swarmdeck-global.v2");
    assert_eq!(
        y["configs"]["swarmdeck-global.v2"],
        json!({"external": true})
    );
    let note = y["x-swarmdeck"]["registry-credentials"].as_str().unwrap();
    assert!(note.contains("registry.lab:5000") && note.contains("--with-registry-auth"));
    assert!(text.starts_with("# Compose file of service shop_api"));
}

#[test]
fn compose_refuses_jobs() {
    let mut s = base();
    s.mode = Mode::ReplicatedJob {
        completions: 3,
        max_concurrent: 1,
    };
    let e = compose_yaml(&s).unwrap_err();
    assert!(e.contains("replicated-job") && e.contains("20.10"), "{e}");
    s.mode = Mode::GlobalJob;
    assert!(compose_yaml(&s).unwrap_err().contains("global-job"));
    s.mode = Mode::Global;
    let y: Value = serde_norway::from_str(&compose_yaml(&s).unwrap()).unwrap();
    assert_eq!(y["services"]["api"]["deploy"]["mode"], "global");
    assert!(y["services"]["api"]["deploy"].get("replicas").is_none());
}

/// Split a command line as a POSIX shell does (quotes, backslashes, line continuations).
fn shell_split(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for d in chars.by_ref() {
                    if d == '\'' {
                        break;
                    }
                    cur.push(d);
                }
            }
            '"' => {
                in_word = true;
                while let Some(d) = chars.next() {
                    match d {
                        '"' => break,
                        '\\' => {
                            if let Some(e) = chars.next() {
                                cur.push(e);
                            }
                        }
                        _ => cur.push(d),
                    }
                }
            }
            '\\' => match chars.next() {
                Some('\n') | None => {}
                Some(e) => {
                    in_word = true;
                    cur.push(e);
                }
            },
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

fn value_of<'a>(words: &'a [String], flag: &str) -> Vec<&'a str> {
    words
        .windows(2)
        .filter(|w| w[0] == flag)
        .map(|w| w[1].as_str())
        .collect()
}

#[test]
fn cli_command_quotes_and_has_no_password() {
    let s = full();
    let line = cli_command(&s);
    assert!(!line.contains("Sw@rm"), "{line}");
    assert!(!line.contains("deployer"), "{line}");
    let (network, create) = line.split_once(" &&\n").unwrap();
    assert_eq!(
        shell_split(network),
        [
            "docker",
            "network",
            "create",
            "--driver",
            "overlay",
            "--attachable",
            "shop-net"
        ]
    );
    let w = shell_split(create);
    assert_eq!(&w[..3], ["docker", "service", "create"]);
    assert!(w.contains(&"--with-registry-auth".to_string()));
    assert_eq!(value_of(&w, "--name"), ["shop_api"]);
    assert_eq!(value_of(&w, "--replicas"), ["3"]);
    assert_eq!(value_of(&w, "--env"), ["GREETING=it's a test", "EMPTY="]);
    assert!(create.contains(r"'GREETING=it'\''s a test'"), "{create}");
    assert_eq!(
        value_of(&w, "--label"),
        [
            "team=shop",
            "com.docker.stack.namespace=shop",
            "swarmdeck.global.target=/etc/app/global.json"
        ]
    );
    assert_eq!(
        value_of(&w, "--constraint"),
        ["node.labels.zone==a", "node.role!=manager"]
    );
    assert_eq!(
        value_of(&w, "--placement-pref"),
        ["spread=node.labels.zone"]
    );
    assert_eq!(value_of(&w, "--replicas-max-per-node"), ["2"]);
    assert_eq!(
        value_of(&w, "--publish"),
        [
            "published=8081,target=80",
            "target=5353,protocol=udp,mode=host"
        ]
    );
    assert_eq!(
        value_of(&w, "--mount"),
        [
            r#"type=volume,source=nfsdata,target=/data,volume-driver=local,volume-opt=type=nfs,"volume-opt=o=addr=198.51.100.5,rw",volume-opt=device=:/export"#,
            "type=bind,source=/srv/logs,target=/logs,readonly",
            "type=tmpfs,target=/tmp,tmpfs-size=67108864",
        ]
    );
    assert_eq!(
        value_of(&w, "--secret"),
        ["source=db-password,target=db_password,uid=1000,gid=1001,mode=0400"]
    );
    assert_eq!(
        value_of(&w, "--config"),
        [
            "source=app-conf,target=/etc/app/app.conf,uid=0,gid=0,mode=0440",
            "source=swarmdeck-global.v2,target=/etc/app/global.json,uid=0,gid=0,mode=0444",
        ]
    );
    assert_eq!(value_of(&w, "--limit-cpu"), ["0.5"]);
    assert_eq!(value_of(&w, "--limit-memory"), ["512M"]);
    assert_eq!(value_of(&w, "--restart-condition"), ["on-failure"]);
    assert_eq!(value_of(&w, "--health-cmd"), ["curl -f localhost"]);
    assert_eq!(value_of(&w, "--health-start-period"), ["30s"]);
    assert_eq!(value_of(&w, "--update-order"), ["start-first"]);
    assert_eq!(value_of(&w, "--update-max-failure-ratio"), ["0.25"]);
    assert_eq!(value_of(&w, "--rollback-parallelism"), ["0"]);
    assert!(
        value_of(&w, "--rollback-order").is_empty(),
        "defaults are left out"
    );
    // --entrypoint's value is split into words again by the CLI.
    assert_eq!(value_of(&w, "--entrypoint"), ["/bin/sh -c"]);
    // The image, then the args, last.
    let n = w.len();
    assert_eq!(w[n - 2], s.image);
    assert_eq!(w[n - 1], s.args[0]);

    let mut job = base();
    job.mode = Mode::ReplicatedJob {
        completions: 6,
        max_concurrent: 2,
    };
    job.command = vec!["sh".into(), "-c".into(), "echo 'hi there'".into()];
    let w = shell_split(&cli_command(&job));
    assert_eq!(value_of(&w, "--mode"), ["replicated-job"]);
    assert_eq!(value_of(&w, "--replicas"), ["6"]);
    assert_eq!(value_of(&w, "--max-concurrent"), ["2"]);
    assert!(!w.contains(&"--with-registry-auth".to_string()));
    assert!(
        !w.iter()
            .any(|x| x.starts_with("--update") || x.starts_with("--rollback"))
    );
    // Split again as the CLI does, the entrypoint is the three words.
    let entry = value_of(&w, "--entrypoint")[0];
    assert_eq!(shell_split(entry), ["sh", "-c", "echo 'hi there'"]);
}

#[test]
fn shell_quoting() {
    assert_eq!(
        sh_quote("plain-word_1.2:/x=y,z@%+"),
        "plain-word_1.2:/x=y,z@%+"
    );
    assert_eq!(sh_quote(""), "''");
    assert_eq!(sh_quote("a b"), "'a b'");
    assert_eq!(sh_quote("it's"), r"'it'\''s'");
    for w in ["$(rm -rf /)", "a\nb", "`x`", "it's a \"test\" \\ ok", "*"] {
        assert_eq!(shell_split(&sh_quote(w)), [w]);
    }
}

// ------------------------------------------------------------------------- credentials

#[test]
fn registry_auth_header_is_base64url() {
    let password = Secret::new("Sw@rm>>deck??");
    // The password's standard base64 has both characters the engine chokes on.
    let plain = STANDARD.encode(password.expose());
    assert!(plain.contains('+') && plain.contains('/'), "{plain}");
    let header = registry_auth_header("deployer", &password, "registry.lab:5000");
    let json_text =
        r#"{"username":"deployer","password":"Sw@rm>>deck??","serveraddress":"registry.lab:5000"}"#;
    let standard = STANDARD.encode(json_text);
    assert!(
        standard.contains('+') && standard.contains('/'),
        "{standard}"
    );
    assert_ne!(header, standard);
    assert!(!header.contains('+') && !header.contains('/'), "{header}");
    let decoded = URL_SAFE.decode(&header).unwrap();
    assert_eq!(String::from_utf8(decoded).unwrap(), json_text);
    let v: Value = serde_json::from_slice(&URL_SAFE.decode(&header).unwrap()).unwrap();
    assert_eq!(v["password"], "Sw@rm>>deck??");
    // The standard decoder refuses it: the alphabets really differ here.
    assert!(STANDARD.decode(&header).is_err());
    let token = registry_token_header(&Secret::new("tok"), "registry.lab:5000");
    let v: Value = serde_json::from_slice(&URL_SAFE.decode(token).unwrap()).unwrap();
    assert_eq!(
        v,
        json!({"identitytoken": "tok", "serveraddress": "registry.lab:5000"})
    );
}

#[test]
fn secrets_never_print() {
    let s = Secret::new("hunter2");
    assert_eq!(format!("{s}"), "••••");
    assert_eq!(format!("{s:?}"), "••••");
    assert_eq!(s.expose(), "hunter2");
    let spec = full();
    assert!(!format!("{spec:?}").contains("Sw@rm"));
    assert!(!format!("{:#?}", spec.registry).contains("Sw@rm"));
}

#[test]
fn docker_config_entries() {
    let auth = STANDARD.encode("deployer:Sw@rm>>deck??");
    let config = json!({"auths": {
        "registry.lab:5000": {"auth": auth},
        "https://index.docker.io/v1/": {"auth": STANDARD.encode("hubuser:x")},
        "tok.lab": {"identitytoken": "t0k"}
    }});
    match stored_auth(&config, "registry.lab:5000") {
        StoredAuth::Basic { username, password } => {
            assert_eq!(username, "deployer");
            assert_eq!(password.expose(), "Sw@rm>>deck??");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(stored_auth(&config, "docker.io"), StoredAuth::Basic { username, .. } if username == "hubuser")
    );
    assert!(matches!(
        stored_auth(&config, "tok.lab"),
        StoredAuth::Token(_)
    ));
    assert_eq!(stored_auth(&config, "other.lab"), StoredAuth::Missing);
    let helpers = json!({"credsStore": "desktop", "credHelpers": {"registry.lab:5000": "pass"}});
    assert_eq!(
        stored_auth(&helpers, "registry.lab:5000"),
        StoredAuth::Helper("pass".into())
    );
    assert_eq!(
        stored_auth(&helpers, "x.lab"),
        StoredAuth::Helper("desktop".into())
    );
    let out = r#"{"ServerURL":"registry.lab:5000","Username":"u","Secret":"p"}"#;
    assert!(
        matches!(helper_output(out), Ok(StoredAuth::Basic { username, .. }) if username == "u")
    );
    let out = r#"{"ServerURL":"x","Username":"<token>","Secret":"t"}"#;
    assert!(matches!(helper_output(out), Ok(StoredAuth::Token(_))));
    assert!(helper_output("nope").is_err());
}

// ------------------------------------------------------------------------- task errors

#[test]
fn task_errors_in_plain_words() {
    let e =
        explain_task_error("no suitable node (scheduling constraints not satisfied on 3 nodes)");
    assert!(e.contains("placement constraints rule out 3 nodes"), "{e}");
    assert!(e.contains("(engine: no suitable node"), "{e}");
    let e = explain_task_error(
        "no suitable node (max replicas per node limit exceed; scheduling constraints not satisfied on 2 nodes)",
    );
    assert!(
        e.contains("maximum replicas per node") && e.contains("rule out 2 nodes"),
        "{e}"
    );
    let e = explain_task_error("no suitable node (insufficient resources on 1 node)");
    assert!(e.contains("1 node lack"), "{e}");
    let e = explain_task_error("no suitable node (host-mode port already in use on 1 node)");
    assert!(e.contains("host-mode port"), "{e}");
    let e = explain_task_error("no suitable node (1 node not available for new tasks)");
    assert!(e.contains("drained, paused or not ready"), "{e}");
    let e = explain_task_error("No such image: registry.lab:5000/team/api:1.2");
    assert!(
        e.contains("could not get the image") && e.contains("credentials"),
        "{e}"
    );
    let e = explain_task_error("network shop-net not found");
    assert!(
        e.contains("does not exist") && e.contains("shop-net"),
        "{e}"
    );
    let e = explain_task_error(
        "invalid mount config for type \"bind\": bind source path does not exist: /srv/logs",
    );
    assert!(e.contains("/srv/logs") && e.contains("every node"), "{e}");
    let e = explain_task_error(
        "failed to mount local volume: mount :/export:/var/lib/docker/volumes/nfsdata/_data, \
         data: addr=198.51.100.5: connection refused",
    );
    assert!(e.contains("NFS"), "{e}");
    let e = explain_task_error("invalid mount config for type \"volume\": invalid mount target");
    assert!(e.contains("mount is invalid"), "{e}");
    let e = explain_task_error("task: non-zero exit (137)");
    assert!(e.contains("code 137") && e.contains("out of memory"), "{e}");
    let e = explain_task_error(
        "starting container failed: OCI runtime create failed: exec: \"apii\": executable file not found in $PATH",
    );
    assert!(e.contains("command does not exist"), "{e}");
    assert!(explain_task_error("").contains("no error"));
    assert_eq!(
        explain_task_error("something new"),
        "The engine says: something new"
    );
}

// --------------------------------------------------------------------------- review

#[test]
fn summary_in_plain_words() {
    let lines = summary(&full());
    let text = lines.join("\n");
    assert!(!text.contains("Sw@rm"), "{text}");
    assert_eq!(
        lines[0],
        "Service shop_api in stack shop, image registry.lab:5000/team/api:1.2"
    );
    for want in [
        "Registry credentials for registry.lab:5000: user deployer, typed password",
        "Mode: replicated, 3 tasks",
        "Placement: only where node.labels.zone==a and node.role!=manager; spread over node.labels.zone; at most 2 per node",
        "Networks: backend, shop-net (new attachable overlay)",
        "Mount: volume nfsdata (driver local, type=nfs, o=addr=198.51.100.5,rw, device=:/export) at /data",
        "Mount: the node's /srv/logs at /logs, read-only",
        "Mount: memory (tmpfs) of 64M at /tmp",
        "Secret: db-password at /run/secrets/db_password (uid 1000, gid 1001, mode 0400)",
        "Global config global at /etc/app/global.json (swarmdeck-global.v2), follows its rollouts",
        "Limits: 0.5 CPUs, 512M memory",
        "Restart: when a task fails, after 10s, at most 3 times within 1m",
        "Healthcheck: curl -f localhost, every 10s, timeout 3s, unhealthy after 4 failures, 30s to start",
        "Updates: 2 at a time, start-first, 5s apart, each watched 20s, on failure rollback (after 25% failed)",
    ] {
        assert!(
            lines.iter().any(|l| l == want),
            "missing {want:?} in\n{text}"
        );
    }
    let mut job = base();
    job.mode = Mode::GlobalJob;
    assert!(
        summary(&job)
            .iter()
            .any(|l| l.contains("runs the job again"))
    );
}

#[test]
fn spec_diff_shows_only_the_change() {
    let raw = cli_made();
    let original = from_service_spec(&raw);
    let mut edited = original.clone();
    edited.mode = Mode::Replicated { replicas: 4 };
    let after = merge_onto(&raw, &original, &edited);
    let d = spec_diff(&raw["Spec"], &after);
    let changed: Vec<&str> = d
        .lines()
        .filter(|l| {
            (l.starts_with('-') || l.starts_with('+'))
                && !l.starts_with("---")
                && !l.starts_with("+++")
        })
        .collect();
    assert_eq!(
        changed,
        ["-      \"Replicas\": 1", "+      \"Replicas\": 4"],
        "{d}"
    );
}
