//! `:configs` and `:registries` against the real lab, in the real binary in tmux, as an
//! operator would use them: a config made with the docker CLI and mounted by a service shows
//! with its user, its content opens, its delete is refused naming the service; the lab
//! registry's credentials in the operator's `~/.docker/config.json` show as stored, with the
//! user and the services whose image is there, never the password.

mod common;

use std::time::Duration;

use base64::Engine as _;
use common::lab;
use common::tmux::Tmux;

const CONFIG: &str = "sdc-app.conf";
const USER: &str = "sdc-web";
const FROM_REGISTRY: &str = "sdc-reg";

struct Cleanup;

impl Drop for Cleanup {
    fn drop(&mut self) {
        lab::rm_services(&[USER, FROM_REGISTRY]);
        // a config in use goes only once the service's tasks are gone
        lab::wait_for("the test config removed", Duration::from_secs(30), || {
            let out = lab::lab(&["docker", "node1", "config", "rm", CONFIG]);
            out.status.success() || String::from_utf8_lossy(&out.stderr).contains("not found")
        });
    }
}

#[test]
fn configs_show_users_content_and_refuse_a_used_delete_and_registries_never_a_password() {
    let lab = lab::take();
    let _cleanup = Cleanup;
    let reg = lab::registry();
    let password = lab::registry_password();
    let dir = tempfile::tempdir().expect("tempdir");
    // the operator's docker login, as the docker CLI stores it
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{}:{password}", reg.user));
    std::fs::create_dir_all(dir.path().join(".docker")).expect("mkdir");
    std::fs::write(
        dir.path().join(".docker/config.json"),
        format!(r#"{{"auths":{{"{}":{{"auth":"{auth}"}}}}}}"#, reg.addr),
    )
    .expect("config.json");

    let data = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(data.path(), "listen = 8080\n").expect("write");
    let path = data.path().to_string_lossy().to_string();
    lab.docker("node1", &["config", "create", CONFIG, &path]);
    lab.docker(
        "node1",
        &[
            "service",
            "create",
            "-d",
            "--name",
            USER,
            "--no-resolve-image",
            "--config",
            &format!("source={CONFIG},target=/etc/app.conf"),
            "swarmdeck/busybox:lab",
            "sleep",
            "3600",
        ],
    );
    lab.docker(
        "node1",
        &[
            "service",
            "create",
            "-d",
            "--name",
            FROM_REGISTRY,
            "--no-resolve-image",
            &reg.image,
            "sleep",
            "3600",
        ],
    );

    let bin = env!("CARGO_BIN_EXE_swarmdeck");
    let d = dir.path().display();
    let cmd = format!(
        "clear; XDG_STATE_HOME={d} XDG_DATA_HOME={d} XDG_CONFIG_HOME={d} HOME={d} USER=tester {bin} {} ; echo SWARMDECK-EXIT=$?",
        lab.host_args().join(" ")
    );
    let t = Tmux::start(&cmd, 140, 40);
    let mut screens = Vec::new();
    screens.push(t.wait_screen("the dashboard", |s| s.contains("live") && s.contains(USER)));

    // :configs: the config with the service that uses it
    t.send(&[":"]);
    t.send(&["configs", "Enter"]);
    let s = t.wait_screen("the config and its user", |s| {
        s.lines().any(|l| l.contains(CONFIG) && l.contains(USER))
    });
    screens.push(s);
    t.send(&["/"]);
    t.send(&[CONFIG, "Enter"]);
    std::thread::sleep(Duration::from_millis(300));
    // its delete is refused, naming the service; nothing is removed
    t.send(&["C-d"]);
    let s = t.wait_screen("the delete refused naming the service", |s| {
        s.contains(&format!("used by {USER}")) || s.contains("in use")
    });
    assert!(s.contains(USER), "{s}");
    screens.push(s);
    let ls = lab.docker("node1", &["config", "ls", "--format", "{{.Name}}"]);
    assert!(ls.lines().any(|l| l == CONFIG), "still there: {ls}");
    // its content
    t.send(&["Escape"]);
    std::thread::sleep(Duration::from_millis(700));
    t.send(&["Enter"]);
    let s = t.wait_screen("the config's content", |s| s.contains("listen = 8080"));
    screens.push(s);
    // one Escape at a time, each given longer than tmux's escape-time (500 ms), or an
    // Escape and the next key arrive as one Alt-key
    for _ in 0..3 {
        t.send(&["Escape"]);
        std::thread::sleep(Duration::from_millis(700));
    }
    t.wait_screen("the configs popup closed", |s| !s.contains("configs ("));

    // :registries: the lab registry, stored in config.json, its user and its service
    t.send(&[":"]);
    t.send(&["registries", "Enter"]);
    let s = t.wait_screen("the lab registry with its user and service", |s| {
        s.contains("registries (")
            && s.lines().any(|l| l.contains(&reg.addr))
            && s.contains("stored in config.json")
            && s.contains(FROM_REGISTRY)
    });
    assert!(
        s.contains("config.json"),
        "where the credentials come from:\n{s}"
    );
    screens.push(s);

    for s in &screens {
        assert!(
            !s.contains(&password),
            "the registry password is on no screen"
        );
        assert!(!s.contains(&auth), "nor its base64");
    }
}
