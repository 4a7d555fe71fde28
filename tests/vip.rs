//! The VIP pane against the real lab: keepalived on every node holds 198.51.100.100 (node1
//! first, by priority). Who holds it is seen from outside the nodes (the root namespace on the
//! lab bridge) and from inside a node's namespace, and every move shows within 5 s.

mod common;

use std::process::Command;
use std::time::Duration;

use common::lab::{self, LabGuard, wait_for};
use jiff::Timestamp;
use swarmdeck::app::{App, Level};
use swarmdeck::engine::{self, EngineHandle, Timings};
use swarmdeck::keymap::Keymap;
use swarmdeck::vip::watch::{self, VipHandle, WatchOptions};
use swarmdeck::vip::{Method, Ownership, VipSource, VipSpec};
use tokio::time::Instant;

const VIP: &str = "198.51.100.100";

struct Dash {
    app: App,
    engine: EngineHandle,
    vips: VipHandle,
}

impl Dash {
    fn start(lab: &LabGuard) -> Self {
        let spec = VipSpec {
            addr: VIP.parse().expect("vip"),
            port: 2377,
            source: VipSource::Cli,
        };
        let mut app = App::new(Keymap::default(), Timestamp::now());
        app.set_vips(vec![spec.clone()]);
        let timings = Timings {
            task_poll: Duration::from_millis(500),
            heartbeat: Duration::from_secs(1),
            ..Default::default()
        };
        Dash {
            app,
            engine: engine::spawn(lab.sockets(), timings),
            vips: watch::spawn(vec![spec], WatchOptions::default()),
        }
    }

    /// Run the UI loop's plumbing until `done` holds.
    async fn until(
        &mut self,
        what: &str,
        limit: Duration,
        done: impl Fn(&App) -> bool,
    ) -> Duration {
        let start = Instant::now();
        let deadline = start + limit;
        while !done(&self.app) {
            tokio::select! {
                Some(m) = self.engine.rx.recv() => self.app.apply(m),
                Some(m) = self.vips.rx.recv() => self.app.apply_vip(m),
                _ = tokio::time::sleep_until(deadline) => panic!(
                    "timed out after {limit:?} waiting for: {what}\\nvips: {:#?}\\nalarms: {:?}",
                    self.app.store.vips.iter().map(|v| (&v.current, &v.history)).collect::<Vec<_>>(),
                    self.app.store.vip_alarms()
                ),
            }
            self.app.tick(Timestamp::now());
            for out in self.app.outbox.drain(..) {
                match out {
                    swarmdeck::app::Outgoing::Engine(c) => {
                        let _ = self.engine.cmd.send(c);
                    }
                    swarmdeck::app::Outgoing::Vip(c) => {
                        let _ = self.vips.cmd.send(c);
                    }
                    swarmdeck::app::Outgoing::Probe(_) | swarmdeck::app::Outgoing::Clusters(_) => {}
                }
            }
        }
        start.elapsed()
    }

    /// Do `action` to node1 (the holder) and return how long until another node holds the VIP.
    async fn move_away_from_node1(&mut self, action: &str, limit: Duration) -> Duration {
        let t0 = Instant::now();
        lab::lab_ok(&[action, "node1"]);
        self.until("another node holds the VIP", limit, |a| {
            a.store.vips[0].owner().is_some_and(|o| o != "node1")
        })
        .await;
        let took = t0.elapsed();
        println!("VIP move seen {took:?} after {action} started");
        took
    }

    fn owner(&self) -> Option<String> {
        self.app.store.vips[0].owner().map(str::to_string)
    }
}

fn owned_by(app: &App, node: &str) -> bool {
    app.store.vips[0].owner() == Some(node)
}

fn status_json(args: &[&str], in_node: Option<&str>) -> serde_json::Value {
    let bin = env!("CARGO_BIN_EXE_swarmdeck");
    let out = match in_node {
        None => Command::new(bin).args(args).output(),
        Some(node) => Command::new("bash")
            .arg(lab::script())
            .args(["exec", node, bin])
            .args(args)
            .output(),
    }
    .expect("run swarmdeck status");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "status --json ({in_node:?}): {e}\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn owner_is_named_from_outside_and_from_inside_the_nodes() {
    let lab = lab::take();
    wait_for("node1 holds the VIP", Duration::from_secs(30), || {
        lab::vip_owner().1 == "node1"
    });
    let hosts = lab.host_args();
    let mut args: Vec<&str> = hosts.iter().map(String::as_str).collect();
    args.extend(["--vip", VIP, "status", "--json"]);

    // outside the nodes: the root namespace, on the lab bridge
    let r = status_json(&args, None);
    assert_eq!(r["vips"][0]["owner"], "node1", "{r:#}");
    assert_eq!(r["vips"][0]["port_open"], true, "{r:#}");
    // inside a node that does not hold it (the "SSH onto another manager" case)
    let r = status_json(&args, Some("node2"));
    assert_eq!(r["vips"][0]["owner"], "node1", "{r:#}");
    // inside the holder itself: the VIP is on its own interface
    let r = status_json(&args, Some("node1"));
    assert_eq!(r["vips"][0]["owner"], "node1", "{r:#}");
    assert!(
        r["vips"][0]["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("this host"),
        "{r:#}"
    );
    assert_eq!(r["health"], "healthy", "{r:#}");
    drop(lab);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_keepalived_moves_the_vip_and_it_comes_back() {
    let lab = lab::take();
    let mut d = Dash::start(&lab);
    d.until("node1 holds the VIP", Duration::from_secs(30), |a| {
        owned_by(a, "node1")
    })
    .await;
    assert!(matches!(
        d.app.store.vips[0].current.as_ref().map(|o| &o.ownership),
        Some(Ownership::Owner {
            method: Method::ArpProbe { .. },
            ..
        })
    ));

    let took = d
        .move_away_from_node1("stop-vip", Duration::from_secs(8))
        .await;
    assert!(
        took <= Duration::from_secs(5),
        "the move showed after {took:?}"
    );
    let second = d.owner().expect("owner");

    lab::lab_ok(&["start-vip", "node1"]);
    d.until(
        "node1 takes the VIP back (preempt)",
        Duration::from_secs(15),
        |a| owned_by(a, "node1"),
    )
    .await;
    let moves: Vec<(String, String)> = d.app.store.vips[0]
        .history
        .iter()
        .map(|m| (m.from.clone(), m.to.clone()))
        .collect();
    assert!(
        moves.contains(&("node1".into(), second.clone())),
        "{moves:?}"
    );
    assert!(
        moves.contains(&(second.clone(), "node1".into())),
        "{moves:?}"
    );
    assert!(
        d.app
            .store
            .vip_alarms()
            .iter()
            .all(|(l, _)| *l != Level::Danger),
        "{:?}",
        d.app.store.vip_alarms()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn power_loss_of_the_holder_moves_the_vip_within_5s() {
    let lab = lab::take();
    let mut d = Dash::start(&lab);
    d.until("node1 holds the VIP", Duration::from_secs(30), |a| {
        owned_by(a, "node1")
    })
    .await;
    let took = d
        .move_away_from_node1("kill", Duration::from_secs(10))
        .await;
    assert!(
        took <= Duration::from_secs(5),
        "the move showed after {took:?}"
    );

    lab::lab_ok(&["restore", "node1"]);
    d.until(
        "node1 takes the VIP back after restore",
        Duration::from_secs(30),
        |a| owned_by(a, "node1"),
    )
    .await;
    assert!(d.app.store.vips[0].history.len() >= 2);
}

/// Removes a hand-added VIP even when the test fails.
struct HandVip(&'static str);

impl Drop for HandVip {
    fn drop(&mut self) {
        let _ = lab::lab(&[
            "exec",
            self.0,
            "ip",
            "addr",
            "del",
            &format!("{VIP}/24"),
            "dev",
            "eth0",
        ]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_holder_raises_split_brain_and_clears() {
    let lab = lab::take();
    let mut d = Dash::start(&lab);
    d.until("node1 holds the VIP", Duration::from_secs(30), |a| {
        owned_by(a, "node1")
    })
    .await;
    let split = |a: &App| {
        a.store
            .vip_alarms()
            .iter()
            .any(|(l, t)| *l == Level::Danger && t.contains("split brain"))
    };
    assert!(!split(&d.app));

    lab::lab_ok(&[
        "exec",
        "node3",
        "ip",
        "addr",
        "add",
        &format!("{VIP}/24"),
        "dev",
        "eth0",
    ]);
    let hand = HandVip("node3");
    d.until("the split-brain alarm", Duration::from_secs(10), split)
        .await;
    match &d.app.store.vips[0]
        .current
        .as_ref()
        .expect("observed")
        .ownership
    {
        Ownership::SplitBrain { holders, .. } => {
            assert!(
                holders.contains(&"node1".to_string()) && holders.contains(&"node3".to_string()),
                "{holders:?}"
            )
        }
        other => panic!("{other:?}"),
    }
    drop(hand);
    d.until("the alarm clears", Duration::from_secs(10), |a| {
        !split(a) && owned_by(a, "node1")
    })
    .await;
}

#[test]
fn a_broken_keepalived_conf_is_reported_and_its_good_vips_still_watched() {
    let lab = lab::take();
    wait_for("node1 holds the VIP", Duration::from_secs(30), || {
        lab::vip_owner().1 == "node1"
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("keepalived.conf");
    std::fs::write(
        &conf,
        "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n    virtual_ipaddress {\n        198.51.100.100/24 dev eth0\n        not-an-ip\n    }\n}\nvrrp_instance BROKEN {\n",
    )
    .expect("write conf");
    let hosts = lab.host_args();
    let mut args: Vec<&str> = hosts.iter().map(String::as_str).collect();
    let conf_arg = conf.display().to_string();
    args.extend(["--keepalived-conf", &conf_arg, "status", "--json"]);
    let r = status_json(&args, None);
    assert_eq!(r["vips"][0]["addr"], VIP, "{r:#}");
    assert_eq!(
        r["vips"][0]["owner"], "node1",
        "the good VIP is still watched: {r:#}"
    );
    let warnings: Vec<String> = r["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter_map(|w| w.as_str().map(str::to_string))
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains(&format!("{conf_arg}:6:")) && w.contains("not-an-ip")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains(&format!("{conf_arg}:9:"))),
        "{warnings:?}"
    );
}
