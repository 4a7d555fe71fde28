//! The service operations of the services pane against the real lab, driven by key events
//! in a real terminal (tmux) with the real binary, each checked with the docker CLI: scale
//! 1 → 3, force update (the counter bumped, every task replaced), update image to the lab
//! registry's image (credentials from the test HOME's `~/.docker/config.json`), rollback (the
//! image back), a change made with the CLI while the scale confirmation is open (both
//! kept), remove (gone). The registry password is then looked for on every screen and in
//! the audit log: it is nowhere.

mod common;

use std::process::Command;
use std::time::Duration;

use common::lab::{self, LabGuard};
use common::tmux::Tmux;
use serde_json::Value;

const SVC: &str = "so-web";
const IMAGE: &str = "swarmdeck/busybox:lab";

/// Removes the service, also when the test fails; then makes the nodes forget the registry
/// image (`lab.sh registry up`) so that the registry's own test still sees a refused pull.
struct Cleanup<'a> {
    lab: &'a LabGuard,
}

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        let _ = lab::lab(&["docker", "node1", "service", "rm", SVC]);
        let gone = || {
            self.lab.nodes.iter().all(|n| {
                let out = lab::lab(&[
                    "docker",
                    &n.name,
                    "ps",
                    "-aq",
                    "--filter",
                    &format!("label=com.docker.swarm.service.name={SVC}"),
                ]);
                !out.status.success() || out.stdout.iter().all(u8::is_ascii_whitespace)
            })
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while !gone() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(300));
        }
        let _ = lab::lab(&["registry", "up"]);
    }
}

/// The whole service object, as `docker service inspect` prints it.
fn inspect(lab: &LabGuard) -> Value {
    let out = lab.docker("node1", &["service", "inspect", SVC]);
    let v: Value = serde_json::from_str(&out).expect("inspect is JSON");
    v[0].clone()
}

/// The running tasks: (id, image).
fn running(lab: &LabGuard) -> Vec<(String, String)> {
    lab.docker(
        "node1",
        &[
            "service",
            "ps",
            SVC,
            "--filter",
            "desired-state=running",
            "--format",
            "{{.ID}} {{.Image}} {{.CurrentState}}",
        ],
    )
    .lines()
    .filter(|l| l.contains("Running"))
    .filter_map(|l| {
        let mut w = l.split_whitespace();
        Some((w.next()?.to_string(), w.next()?.to_string()))
    })
    .collect()
}

fn replicas(v: &Value) -> u64 {
    v.pointer("/Spec/Mode/Replicated/Replicas")
        .and_then(Value::as_u64)
        .unwrap_or(0)
}

fn image(v: &Value) -> String {
    v.pointer("/Spec/TaskTemplate/ContainerSpec/Image")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .split('@')
        .next()
        .unwrap_or_default()
        .to_string()
}

fn force_counter(v: &Value) -> u64 {
    v.pointer("/Spec/TaskTemplate/ForceUpdate")
        .and_then(Value::as_u64)
        .unwrap_or(0)
}

/// Wait until the screen stops changing (keys sent right after an Esc would arrive as Alt).
fn settle(t: &Tmux) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut last = t.screen();
    while std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        let now = t.screen();
        if now == last {
            return;
        }
        last = now;
    }
}

/// The dashboard in tmux, with `dir` as HOME (its `.docker/config.json` holds the lab
/// registry's credentials) and as the XDG dirs (the audit log lands there).
fn dashboard(lab: &LabGuard, dir: &std::path::Path) -> Tmux {
    let bin = env!("CARGO_BIN_EXE_swarmdeck");
    let d = dir.display();
    let cmd = format!(
        "clear; XDG_STATE_HOME={d} XDG_DATA_HOME={d} XDG_CONFIG_HOME={d} HOME={d} USER=tester \
         DOCKER_CONFIG= {bin} {} ; echo SWARMDECK-EXIT=$?",
        lab.host_args().join(" ")
    );
    let t = Tmux::start(&cmd, 140, 40);
    t.wait_screen("the dashboard", |s| {
        s.contains("node1") && s.contains("live")
    });
    t
}

/// Focus the services pane and select the test service (the filter selects its row).
fn select(t: &Tmux) {
    settle(t);
    t.send(&[":"]);
    t.send(&["-l", "services"]);
    t.send(&["Enter"]);
    settle(t);
    t.send(&["/"]);
    t.send(&["-l", SVC]);
    t.send(&["Enter"]);
    t.wait_screen("the service selected", |s| s.contains(&format!("/{SVC}")));
    settle(t);
}

#[test]
fn scale_force_update_image_rollback_concurrent_change_and_remove() {
    let lab = lab::take();
    let reg = lab::registry();
    assert!(reg.up, "the lab's registry is up: {reg:?}");
    let password = lab::registry_password();
    let _clean = Cleanup { lab: &lab };
    // on the managers, as the registry's own tests pull there
    lab.create_service(
        SVC,
        &["--replicas", "1", "--constraint", "node.role==manager"],
    );
    lab::wait_for("1 task running", Duration::from_secs(60), || {
        running(&lab).len() == 1
    });

    // a HOME whose docker config has the lab registry's credentials
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join(".docker")).expect("mkdir");
    let auth = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{password}", reg.user))
    };
    let config = serde_json::json!({"auths": {reg.addr.clone(): {"auth": auth}}});
    std::fs::write(dir.path().join(".docker/config.json"), config.to_string())
        .expect("config.json");

    let t = dashboard(&lab, dir.path());
    select(&t);

    // scale 1 → 3
    t.send(&["s"]);
    t.wait_screen("the replicas input", |s| s.contains("replicas:"));
    t.send(&["C-u"]);
    t.send(&["-l", "3"]);
    t.send(&["Enter"]);
    t.wait_screen("the scale confirm", |s| {
        s.contains(&format!("scale {SVC} 1 → 3"))
    });
    t.send(&["y"]);
    lab::wait_for("3 replicas, 3 running", Duration::from_secs(90), || {
        replicas(&inspect(&lab)) == 3 && running(&lab).len() == 3
    });

    // force update: the counter + 1, every task replaced
    let before = inspect(&lab);
    let old: Vec<String> = running(&lab).into_iter().map(|(id, _)| id).collect();
    settle(&t);
    t.send(&["u"]);
    t.wait_screen("the force update confirm", |s| {
        s.contains(&format!("force update {SVC}"))
    });
    t.send(&["y"]);
    lab::wait_for(
        "ForceUpdate + 1 and 3 new tasks running",
        Duration::from_secs(120),
        || {
            let now = running(&lab);
            force_counter(&inspect(&lab)) == force_counter(&before) + 1
                && now.len() == 3
                && now.iter().all(|(id, _)| !old.contains(id))
        },
    );
    assert_eq!(replicas(&inspect(&lab)), 3, "the scale is kept");

    // update image to the registry's, pulled with config.json's credentials
    settle(&t);
    t.send(&["i"]);
    t.wait_screen("the image input", |s| s.contains("image:"));
    t.send(&["C-u"]);
    t.send(&["-l", &reg.image]);
    t.send(&["Enter"]);
    let s = t.wait_screen("the image confirm", |s| {
        s.contains(&format!("image of {SVC}")) && s.contains("stored in config.json")
    });
    assert!(!s.contains(&password), "the password is not shown");
    t.send(&["y"]);
    lab::wait_for(
        "the registry image in the spec and on 3 running tasks",
        Duration::from_secs(120),
        || {
            let now = running(&lab);
            image(&inspect(&lab)) == reg.image
                && now.len() == 3
                && now.iter().all(|(_, i)| i.starts_with(&reg.image))
        },
    );
    let after_image = inspect(&lab);
    assert_eq!(replicas(&after_image), 3);
    assert_eq!(force_counter(&after_image), force_counter(&before) + 1);

    // rollback: the image back, from the previous spec
    settle(&t);
    t.send(&["b"]);
    t.wait_screen("the rollback diff", |s| {
        s.contains(&format!("rollback {SVC} to its previous spec")) && s.contains("image")
    });
    t.send(&["y"]);
    lab::wait_for(
        "the lab image back on 3 running tasks",
        Duration::from_secs(120),
        || {
            let now = running(&lab);
            image(&inspect(&lab)) == IMAGE
                && now.len() == 3
                && now.iter().all(|(_, i)| i.starts_with(IMAGE))
        },
    );
    let rolled = inspect(&lab);
    assert!(
        rolled
            .pointer("/UpdateStatus/State")
            .and_then(Value::as_str)
            .is_some_and(|s| s.starts_with("rollback")),
        "a rollback: {:?}",
        rolled.get("UpdateStatus")
    );

    // a CLI change while the scale confirm is open: both land
    settle(&t);
    t.send(&["s"]);
    t.wait_screen("the replicas input", |s| s.contains("replicas:"));
    t.send(&["C-u"]);
    t.send(&["-l", "5"]);
    t.send(&["Enter"]);
    t.wait_screen("the scale confirm", |s| {
        s.contains(&format!("scale {SVC} 3 → 5"))
    });
    lab.docker(
        "node1",
        &["service", "update", "-d", "--env-add", "CONCURRENT=1", SVC],
    );
    lab::wait_for("the CLI's env stored", Duration::from_secs(30), || {
        inspect(&lab).to_string().contains("CONCURRENT=1")
    });
    t.send(&["y"]);
    lab::wait_for(
        "5 replicas with the CLI's env",
        Duration::from_secs(120),
        || {
            let v = inspect(&lab);
            let env = v
                .pointer("/Spec/TaskTemplate/ContainerSpec/Env")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            replicas(&v) == 5 && env.iter().any(|e| e == "CONCURRENT=1")
        },
    );

    // remove: the name typed
    settle(&t);
    t.send(&["C-d"]);
    t.wait_screen("the remove confirm", |s| {
        s.contains(&format!("remove {SVC}")) && s.contains("not reversible")
    });
    t.send(&["-l", SVC]);
    t.send(&["Enter"]);
    lab::wait_for("the service gone", Duration::from_secs(60), || {
        !lab.docker("node1", &["service", "ls", "--format", "{{.Name}}"])
            .lines()
            .any(|l| l == SVC)
    });
    settle(&t);
    t.send(&["q"]);
    t.wait_screen("the dashboard ended", |s| s.contains("SWARMDECK-EXIT="));

    // every write in the audit log; the password nowhere
    let audit =
        std::fs::read_to_string(dir.path().join("swarmdeck/audit.jsonl")).expect("the audit log");
    for action in [
        "scale 1 → 3",
        "force-update",
        "(with registry credentials)",
        "rollback to the previous spec",
        "scale 3 → 5",
        "\"remove\"",
    ] {
        assert!(audit.contains(action), "{action} in the audit log: {audit}");
    }
    assert!(
        !audit.contains(&password),
        "the password is not in the audit log"
    );
    let history = Command::new("tmux")
        .args(["capture-pane", "-p", "-S", "-", "-t", &t.session])
        .output()
        .expect("tmux history");
    assert!(
        !String::from_utf8_lossy(&history.stdout).contains(&password),
        "the password is not on any screen"
    );
}
