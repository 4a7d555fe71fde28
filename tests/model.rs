//! The domain model, read from JSON recorded from the lab's real engine
//! (tests/fixtures, made by tests/fixtures/record.sh).

mod common;

use bollard::models as bm;
use swarmdeck::domain::quorum::Quorum;
use swarmdeck::domain::{
    Availability, NodeState, Reachability, Role, ServiceMode, TaskState, lenient,
};
use swarmdeck::engine::fetch::Snapshot;
use swarmdeck::status::{Health, Report};

#[test]
fn nodes_from_the_real_engine() {
    let nodes = common::nodes();
    assert_eq!(nodes.len(), 3);
    let names: Vec<_> = nodes.iter().map(|n| n.hostname.as_str()).collect();
    assert_eq!(names, ["node1", "node2", "node3"]);
    assert_eq!(
        nodes.iter().filter(|n| n.is_leader()).count(),
        1,
        "exactly one leader"
    );
    for (i, n) in nodes.iter().enumerate() {
        assert_eq!(n.role, Role::Manager);
        assert_eq!(n.availability, Availability::Active);
        assert_eq!(n.state, NodeState::Ready);
        let m = n.manager.as_ref().expect("managers have ManagerStatus");
        assert_eq!(m.reachability, Reachability::Reachable);
        // ManagerStatus.Addr without its port
        assert_eq!(n.address(), format!("198.51.100.{}", 11 + i));
        assert!(n.version > 0, "version index is read for later writes");
        assert!(n.engine_version.starts_with("20.") || n.engine_version.contains('.'));
    }
    let q = Quorum::from_nodes(&nodes);
    assert_eq!(
        (q.total, q.reachable, q.majority, q.tolerates),
        (3, 3, 2, 1)
    );
}

#[test]
fn services_of_all_four_modes() {
    let services = common::services();
    let by_name = |n: &str| {
        services
            .iter()
            .find(|s| s.name == n)
            .unwrap_or_else(|| panic!("service {n}"))
    };
    let web = by_name("fx-web");
    assert_eq!(web.mode, ServiceMode::Replicated { replicas: 3 });
    assert_eq!((web.running, web.desired), (3, 3));
    assert_eq!(web.image_short(), "swarmdeck/busybox:lab");
    assert!(!web.is_degraded());
    let agent = by_name("fx-agent");
    assert_eq!(agent.mode, ServiceMode::Global);
    assert_eq!((agent.running, agent.desired), (3, 3));
    assert_eq!(by_name("fx-migrate").mode.name(), "replicated-job");
    assert!(by_name("fx-migrate").completed >= 2);
    assert_eq!(by_name("fx-sweep").mode, ServiceMode::GlobalJob);
    let pinned = by_name("fx-pinned");
    assert!(
        pinned.is_degraded(),
        "a service that cannot be placed is below desired"
    );
    assert_eq!(pinned.constraints, ["node.labels.site==nowhere"]);
}

#[test]
fn tasks_carry_slots_nodes_and_states() {
    let tasks = common::tasks();
    let services = common::services();
    let web = services
        .iter()
        .find(|s| s.name == "fx-web")
        .expect("fx-web");
    let web_tasks: Vec<_> = tasks
        .iter()
        .filter(|t| t.service_id == web.id && t.desired == TaskState::Running)
        .collect();
    assert_eq!(web_tasks.len(), 3);
    let mut slots: Vec<_> = web_tasks.iter().filter_map(|t| t.slot).collect();
    slots.sort();
    assert_eq!(slots, [1, 2, 3]);
    assert!(
        web_tasks
            .iter()
            .all(|t| t.state == TaskState::Running && t.node_id.is_some() && t.since.is_some())
    );
    let pinned = services
        .iter()
        .find(|s| s.name == "fx-pinned")
        .expect("fx-pinned");
    let pending = tasks
        .iter()
        .find(|t| t.service_id == pinned.id)
        .expect("pinned task");
    assert_eq!(pending.state, TaskState::Pending);
    assert!(pending.node_id.is_none());
    assert!(!pending.error.is_empty() || !pending.message.is_empty());
}

#[test]
fn unknown_values_from_a_newer_engine_degrade_to_unknown() {
    let body = common::fixture("engine-nodes.json").replacen("\"ready\"", "\"rebooting\"", 1);
    assert!(
        serde_json::from_str::<Vec<bm::Node>>(&body).is_err(),
        "bollard alone rejects the whole list"
    );
    let (nodes, problems) = lenient::decode_list::<bm::Node>(&body).expect("lenient decode");
    assert_eq!(nodes.len(), 3, "no node is lost");
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].path, "[0].Status.State");
    let nodes: Vec<swarmdeck::domain::Node> = nodes.into_iter().map(Into::into).collect();
    assert!(nodes.iter().any(|n| n.state.is_unknown()));
    assert_eq!(
        nodes.iter().filter(|n| n.state == NodeState::Ready).count(),
        2
    );

    let body = common::fixture("engine-tasks.json").replace("\"running\"", "\"hibernating\"");
    let (tasks, problems) = lenient::decode_list::<bm::Task>(&body).expect("lenient decode");
    assert_eq!(tasks.len(), common::tasks().len());
    assert!(!problems.is_empty());
}

#[test]
fn status_judgement() {
    let snap = Snapshot {
        info: common::info(),
        nodes: common::nodes(),
        services: common::services(),
        tasks: common::tasks(),
        unreadable: vec![],
    };
    let r = Report::from_snapshot(common::ENDPOINT, &snap);
    // fx-pinned cannot be placed: degraded
    assert_eq!(r.health, Health::Degraded);
    assert_eq!(r.exit_code, 1);
    assert!(
        r.problems.iter().any(|p| p.contains("fx-pinned")),
        "{:?}",
        r.problems
    );

    let mut healthy = snap.clone();
    healthy.services.retain(|s| s.name != "fx-pinned");
    let r = Report::from_snapshot(common::ENDPOINT, &healthy);
    assert_eq!(
        (r.health, r.exit_code),
        (Health::Healthy, 0),
        "{:?}",
        r.problems
    );
    assert_eq!(
        r.leader.as_deref().map(|l| l.starts_with("node")),
        Some(true)
    );

    // one manager unreachable and down: 2/3, cannot lose another → degraded
    let mut two = healthy.clone();
    let victim = two
        .nodes
        .iter_mut()
        .find(|n| !n.is_leader())
        .expect("a follower");
    victim.state = NodeState::Down;
    victim.manager.as_mut().expect("manager").reachability = Reachability::Unreachable;
    let r = Report::from_snapshot(common::ENDPOINT, &two);
    assert_eq!(r.exit_code, 1);
    assert!(
        r.problems[0].contains("cannot lose another manager"),
        "{:?}",
        r.problems
    );

    // two of three unreachable: no quorum
    let mut one = two.clone();
    for n in one.nodes.iter_mut().filter(|n| !n.is_leader()) {
        n.manager.as_mut().expect("manager").reachability = Reachability::Unreachable;
    }
    let r = Report::from_snapshot(common::ENDPOINT, &one);
    assert_eq!((r.health, r.exit_code), (Health::NoQuorum, 2));

    // a deliberate single-manager swarm is a warning, not degraded
    let mut single = healthy.clone();
    let leader = single
        .nodes
        .iter()
        .position(|n| n.is_leader())
        .expect("leader");
    let keep = single.nodes.remove(leader);
    single.nodes = vec![keep];
    let r = Report::from_snapshot(common::ENDPOINT, &single);
    assert_eq!(r.exit_code, 0, "{:?}", r.problems);
    assert!(r.warnings.iter().any(|w| w.contains("single-manager")));

    let r = Report::unreachable(&[]);
    assert_eq!(r.exit_code, 3);
}
