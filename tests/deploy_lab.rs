//! The deploy wizard against the real lab, driven by key events in a real terminal (tmux):
//! one service per Swarm mode, checked where the user would check it — `docker service
//! inspect` on a manager and the tasks' states — and bad inputs that must not reach the
//! engine (the services are counted).

mod common;

use std::process::Command;
use std::time::Duration;

use common::lab::{self, LabGuard};
use common::tmux::Tmux;
use serde_json::Value;

/// Removes what a test created, also when it fails.
struct Cleanup {
    services: Vec<String>,
    secrets: Vec<String>,
    configs: Vec<String>,
    networks: Vec<String>,
}

impl Cleanup {
    fn run(&self) {
        for s in &self.services {
            let _ = lab::lab(&["docker", "node1", "service", "rm", s]);
        }
        for s in &self.secrets {
            let _ = lab::lab(&["docker", "node1", "secret", "rm", s]);
        }
        for c in &self.configs {
            let _ = lab::lab(&["docker", "node1", "config", "rm", c]);
        }
        for n in &self.networks {
            let _ = lab::lab(&["docker", "node1", "network", "rm", n]);
        }
        // the volume the NFS mount declared, on every node that made it
        for node in lab::status() {
            let _ = lab::lab(&["docker", &node.name, "volume", "rm", "-f", "wz-nfs"]);
        }
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        self.run();
    }
}

fn inspect(lab: &LabGuard, service: &str) -> Value {
    let out = lab.docker("node1", &["service", "inspect", service]);
    let v: Value = serde_json::from_str(&out).expect("inspect is JSON");
    v[0]["Spec"].clone()
}

fn service_count(lab: &LabGuard) -> usize {
    lab.docker("node1", &["service", "ls", "-q"])
        .lines()
        .count()
}

fn dashboard(lab: &LabGuard, dir: &std::path::Path) -> Tmux {
    let bin = env!("CARGO_BIN_EXE_swarmdeck");
    let d = dir.display();
    let cmd = format!(
        "clear; XDG_STATE_HOME={d} XDG_DATA_HOME={d} XDG_CONFIG_HOME={d} HOME={d} USER=tester {bin} {} ; echo SWARMDECK-EXIT=$?",
        lab.host_args().join(" ")
    );
    let t = Tmux::start(&cmd, 130, 40);
    t.wait_screen("the dashboard", |s| {
        s.contains("node1") && s.contains("live")
    });
    t
}

/// Field order per step (the wizard's forms).
const APP: &[&str] = &[
    "name",
    "image",
    "registry",
    "registry_server",
    "registry_username",
    "registry_password",
    "command",
    "args",
    "env",
    "labels",
    "stack",
];
const PLACEMENT: &[&str] = &["constraints", "spread", "max_per_node"];
const NETWORK: &[&str] = &["networks", "ports"];
const STORAGE: &[&str] = &[
    "mounts",
    "secrets",
    "configs",
    "global_config",
    "limit_cpus",
    "limit_memory",
    "reserve_cpus",
    "reserve_memory",
    "restart_condition",
    "restart_max_attempts",
    "health_test",
    "health_interval",
    "health_timeout",
    "health_retries",
    "health_start_period",
    "update_parallelism",
    "update_delay",
];

/// The label a field shows (the wizard's forms).
fn label(field: &str) -> &'static str {
    match field {
        "name" => "Service name",
        "image" => "Image",
        "args" => "Args",
        "env" => "Environment",
        "replicas" => "Replicas",
        "completions" => "Total completions",
        "max_concurrent" => "Max concurrent",
        "constraints" => "Constraints",
        "spread" => "Spread over",
        "max_per_node" => "Max replicas per node",
        "networks" => "Overlay networks",
        "ports" => "Published ports",
        "mounts" => "Mounts",
        "secrets" => "Secrets",
        "configs" => "Configs",
        "health_test" => "Healthcheck",
        "health_interval" => "interval",
        "update_parallelism" => "Update parallelism",
        "update_delay" => "delay",
        "rollback_parallelism" => "Rollback parallelism",
        "registry" => "Registry credentials",
        "registry_server" => "registry server",
        "registry_username" => "user",
        "registry_password" => "password",
        other => panic!("no label for {other}"),
    }
}

/// The label of the focused field (the line with the focus mark `›`).
fn focused(screen: &str) -> Option<String> {
    screen.lines().find_map(|l| {
        let (_, rest) = l.split_once('›')?;
        Some(rest.trim_start().to_string())
    })
}

/// Wait until the dashboard has drawn everything sent so far: the screen stays the same
/// between two reads 100 ms apart (polled, with a deadline).
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

/// Tab until the field with this label has the focus (the screen says so).
fn focus(t: &Tmux, field: &str) {
    let want = label(field);
    for _ in 0..60 {
        settle(t);
        let screen = t.screen();
        let now = focused(&screen);
        if now.as_deref().is_some_and(|f| f.starts_with(want)) {
            return;
        }
        let _ = now;
        t.send(&["Tab"]);
    }
    panic!("cannot focus {field}; screen:\n{}", t.screen());
}

/// Type `values` into the named fields of the current step (focused through the screen).
fn fill(t: &Tmux, _order: &[&str], values: &[(&str, &str)]) {
    for (field, value) in values {
        focus(t, field);
        // clear what the field holds, then type
        t.send(&["End"]);
        t.send(&["C-u"]);
        if !value.is_empty() {
            t.send(&["-l", value]);
        }
    }
}

fn next_step(t: &Tmux, title: &str) {
    t.send(&["C-n"]);
    t.wait_screen(&format!("the {title} step"), |s| {
        s.contains(&format!("· {title}"))
    });
}

struct Want<'a> {
    name: &'a str,
    /// Right presses on the mode field: 0 replicated, 1 global, 2 replicated job, 3 global job.
    mode: usize,
    mode_fields: &'a [(&'a str, &'a str)],
    app: &'a [(&'a str, &'a str)],
    placement: &'a [(&'a str, &'a str)],
    network: &'a [(&'a str, &'a str)],
    storage: &'a [(&'a str, &'a str)],
}

/// `Ctrl-n` on a step with a bad field: the step stays, with a field marked `✗`.
fn refused(t: &Tmux, what: &str, step: &str) {
    t.send(&["C-n"]);
    t.wait_screen(what, |s| {
        s.contains("✗") && s.contains(&format!("· {step}"))
    });
}

/// `:deploy`, and wait for the wizard's first step.
fn open_wizard(t: &Tmux) {
    // an Esc just before, followed at once by `:`, reaches the terminal as Alt-:
    settle(t);
    t.send(&[":"]);
    t.send(&["-l", "deploy"]);
    t.send(&["Enter"]);
    t.wait_screen("the wizard", |s| {
        s.contains("deploy a service") && s.contains("Service name")
    });
}

/// Open the wizard, fill every step, deploy, and wait for the convergence view.
fn deploy(t: &Tmux, w: &Want<'_>) {
    deploy_exporting(t, w, None);
}

/// [`deploy`]; with `export`, the compose file is written there from the review first.
fn deploy_exporting(t: &Tmux, w: &Want<'_>, export: Option<&str>) {
    open_wizard(t);
    let mut app = vec![("name", w.name), ("image", "swarmdeck/busybox:lab")];
    app.extend_from_slice(w.app);
    fill(t, APP, &app);
    next_step(t, "Mode");
    for _ in 0..w.mode {
        t.send(&["Right"]);
    }
    if !w.mode_fields.is_empty() {
        fill(t, &[], w.mode_fields);
    }
    next_step(t, "Placement");
    fill(t, PLACEMENT, w.placement);
    next_step(t, "Network and ports");
    fill(t, NETWORK, w.network);
    next_step(t, "Storage, config, resources");
    fill(t, STORAGE, w.storage);
    next_step(t, "Review");
    if let Some(path) = export {
        t.send(&["w"]);
        t.wait_screen("the file prompt", |s| {
            s.contains("write the compose file to")
        });
        t.send(&["C-u"]);
        t.send(&["-l", path]);
        t.send(&["Enter"]);
        t.wait_screen("the file written", |s| s.contains("compose file written"));
    }
    t.send(&["C-s"]);
    t.wait_screen("the convergence view", |s| {
        s.contains(&format!(" {} ", w.name)) && s.contains("tasks, newest first")
    });
}

#[test]
fn one_service_per_mode_through_the_wizard() {
    let lab = lab::take();
    let _clean = Cleanup {
        services: ["wz-rep", "wz-glob", "wz-job", "wz-gjob", "wz-none"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        secrets: vec!["wz_secret".into()],
        configs: vec!["wz_conf".into()],
        networks: vec!["wz-net".into()],
    };
    _clean.run();
    let dir = tempfile::tempdir().expect("tempdir");
    // a secret and a config to mount
    let secret_file = dir.path().join("secret.txt");
    std::fs::write(&secret_file, "s3cr3t-value").expect("write");
    let sp = secret_file.display().to_string();
    lab.docker("node1", &["secret", "create", "wz_secret", &sp]);
    lab.docker("node1", &["config", "create", "wz_conf", &sp]);
    let before = service_count(&lab);

    let t = dashboard(&lab, dir.path());

    // bad inputs: each stays on its step with its field's message; nothing reaches the engine
    open_wizard(&t);
    refused(&t, "an empty name refused", "App");
    fill(
        &t,
        APP,
        &[("name", "a.b"), ("image", "swarmdeck/busybox:lab")],
    );
    refused(&t, "a dotted name refused", "App");
    fill(&t, APP, &[("name", "wz-none"), ("image", "Bad Image!")]);
    refused(&t, "a bad image refused", "App");
    t.send(&["BTab"]);
    fill(
        &t,
        APP,
        &[("name", "wz-none"), ("image", "swarmdeck/busybox:lab")],
    );
    next_step(&t, "Mode");
    fill(&t, &["replicas"], &[("replicas", "abc")]);
    refused(&t, "replicas abc refused", "Mode");
    fill(&t, &["replicas"], &[("replicas", "1")]);
    next_step(&t, "Placement");
    fill(&t, PLACEMENT, &[("constraints", "node.labels.zone=a")]);
    refused(&t, "a bad constraint refused", "Placement");
    fill(&t, PLACEMENT, &[("constraints", "node.labels.nosuch==x")]);
    t.wait_screen("no eligible node, said at once", |s| {
        s.contains("eligible nodes: 0 of")
    });
    fill(&t, PLACEMENT, &[("constraints", "")]);
    next_step(&t, "Network and ports");
    fill(&t, NETWORK, &[("ports", "70000:80")]);
    t.send(&["C-n"]);
    t.wait_screen("port 70000 refused", |s| {
        s.contains("✗") && s.contains("0–65535")
    });
    fill(&t, NETWORK, &[("ports", "")]);
    next_step(&t, "Storage, config, resources");
    next_step(&t, "Review");
    t.send(&["Escape"]);
    t.wait_screen("asked before leaving", |s| s.contains("Leave the wizard?"));
    t.send(&["y"]);
    t.wait_screen("the panes", |s| {
        s.contains("node1") && !s.contains("deploy a service")
    });
    assert_eq!(service_count(&lab), before, "nothing reached the engine");

    let nfs = r#"type=volume,source=wz-nfs,target=/data,volume-driver=local,volume-opt=type=nfs,"volume-opt=o=addr=198.51.100.1,rw",volume-opt=device=:/export"#;
    deploy(
        &t,
        &Want {
            name: "wz-rep",
            mode: 0,
            mode_fields: &[("replicas", "2")],
            app: &[("args", "sleep 3600"), ("env", "MODE=test, LEVEL=debug")],
            placement: &[
                ("constraints", "node.role==manager"),
                ("spread", "node.labels.zone"),
                ("max_per_node", "1"),
            ],
            network: &[("networks", "wz-net"), ("ports", "18080:80")],
            storage: &[
                ("mounts", nfs),
                ("secrets", "wz_secret"),
                ("configs", "wz_conf:/etc/wz.conf:0:0:0440"),
                ("health_test", "true"),
                ("health_interval", "2s"),
                ("update_parallelism", "2"),
                ("update_delay", "1s"),
                ("rollback_parallelism", "3"),
            ],
        },
    );
    t.send(&["Escape"]);
    deploy(
        &t,
        &Want {
            name: "wz-glob",
            mode: 1,
            mode_fields: &[],
            app: &[("args", "sleep 3600")],
            placement: &[],
            network: &[],
            storage: &[],
        },
    );
    t.send(&["Escape"]);
    deploy(
        &t,
        &Want {
            name: "wz-job",
            mode: 2,
            mode_fields: &[("completions", "3"), ("max_concurrent", "2")],
            app: &[("args", "true")],
            placement: &[],
            network: &[],
            storage: &[],
        },
    );
    t.wait_screen("the job's completions", |s| s.contains("3 completed of 3"));
    t.send(&["Escape"]);
    deploy(
        &t,
        &Want {
            name: "wz-gjob",
            mode: 3,
            mode_fields: &[],
            app: &[("args", "true")],
            placement: &[("constraints", "node.role==manager")],
            network: &[],
            storage: &[],
        },
    );
    t.send(&["Escape"]);

    // a constraint no node satisfies: the warning on the placement step, and deployed
    // anyway, its task waits, and the convergence view says why in plain words
    deploy(
        &t,
        &Want {
            name: "wz-none",
            mode: 0,
            mode_fields: &[],
            app: &[("args", "sleep 3600")],
            placement: &[("constraints", "node.labels.nosuch==x")],
            network: &[],
            storage: &[],
        },
    );
    t.wait_screen("the pending task explained", |s| {
        s.contains("pending") && s.contains("No node can run this task")
    });
    t.send(&["Escape"]);

    // a name in use and a published port in use: refused at their fields, nothing sent
    let count = service_count(&lab);
    open_wizard(&t);
    fill(
        &t,
        APP,
        &[("name", "wz-rep"), ("image", "swarmdeck/busybox:lab")],
    );
    refused(&t, "a name in use refused", "App");
    fill(&t, APP, &[("name", "wz-other")]);
    next_step(&t, "Mode");
    next_step(&t, "Placement");
    next_step(&t, "Network and ports");
    t.wait_screen("the ports in use listed", |s| {
        s.contains("wz-rep: 18080/tcp")
    });
    fill(&t, NETWORK, &[("ports", "18080:80")]);
    refused(&t, "a published port in use refused", "Network and ports");
    t.send(&["Escape"]);
    t.wait_screen("asked before leaving", |s| s.contains("Leave the wizard?"));
    t.send(&["y"]);
    assert_eq!(service_count(&lab), count, "nothing reached the engine");

    // what the engine holds, as docker service inspect shows it
    let rep = inspect(&lab, "wz-rep");
    assert_eq!(rep["Mode"]["Replicated"]["Replicas"], 2, "{rep:#}");
    let tt = &rep["TaskTemplate"];
    let cs = &tt["ContainerSpec"];
    assert_eq!(cs["Args"], serde_json::json!(["sleep", "3600"]));
    let env: Vec<&str> = cs["Env"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        env.contains(&"MODE=test") && env.contains(&"LEVEL=debug"),
        "{env:?}"
    );
    assert_eq!(
        tt["Placement"]["Constraints"],
        serde_json::json!(["node.role==manager"])
    );
    assert_eq!(tt["Placement"]["MaxReplicas"], 1);
    assert_eq!(
        tt["Placement"]["Preferences"][0]["Spread"]["SpreadDescriptor"],
        "node.labels.zone"
    );
    let m = &cs["Mounts"][0];
    assert_eq!(m["Target"], "/data");
    assert_eq!(m["VolumeOptions"]["DriverConfig"]["Name"], "local");
    let opts = &m["VolumeOptions"]["DriverConfig"]["Options"];
    assert_eq!(opts["type"], "nfs");
    assert_eq!(opts["o"], "addr=198.51.100.1,rw");
    assert_eq!(opts["device"], ":/export");
    assert_eq!(cs["Secrets"][0]["SecretName"], "wz_secret");
    assert_eq!(cs["Configs"][0]["ConfigName"], "wz_conf");
    assert_eq!(cs["Configs"][0]["File"]["Name"], "/etc/wz.conf");
    assert_eq!(cs["Configs"][0]["File"]["Mode"], 0o440);
    assert_eq!(
        cs["Healthcheck"]["Test"],
        serde_json::json!(["CMD-SHELL", "true"])
    );
    assert_eq!(cs["Healthcheck"]["Interval"], 2_000_000_000i64);
    assert_eq!(rep["UpdateConfig"]["Parallelism"], 2);
    assert_eq!(
        rep["RollbackConfig"]["Parallelism"], 3,
        "{:#}",
        rep["RollbackConfig"]
    );
    assert_eq!(
        rep["UpdateConfig"]["Delay"], 1_000_000_000i64,
        "{:#}",
        rep["UpdateConfig"]
    );
    let ports = &rep["EndpointSpec"]["Ports"][0];
    assert_eq!(
        (
            ports["PublishedPort"].as_u64(),
            ports["TargetPort"].as_u64()
        ),
        (Some(18080), Some(80))
    );
    let nets = lab.docker(
        "node1",
        &[
            "network",
            "inspect",
            "wz-net",
            "--format",
            "{{.Attachable}} {{.Driver}}",
        ],
    );
    assert_eq!(
        nets.trim(),
        "true overlay",
        "the new network is an attachable overlay"
    );

    assert!(inspect(&lab, "wz-glob")["Mode"].get("Global").is_some());
    let job = inspect(&lab, "wz-job");
    assert_eq!(
        job["Mode"]["ReplicatedJob"]["TotalCompletions"], 3,
        "{job:#}"
    );
    assert_eq!(job["Mode"]["ReplicatedJob"]["MaxConcurrent"], 2);
    // (the engine fills in a default UpdateConfig for jobs itself; the wizard sends none)
    assert_eq!(
        job["TaskTemplate"]["RestartPolicy"]["Condition"],
        "on-failure"
    );
    let gjob = inspect(&lab, "wz-gjob");
    assert!(gjob["Mode"].get("GlobalJob").is_some(), "{gjob:#}");

    // the global service runs on every node; the global job completed on every manager
    lab::wait_for("wz-glob on every node", Duration::from_secs(60), || {
        let out = lab.docker(
            "node1",
            &[
                "service",
                "ps",
                "wz-glob",
                "--filter",
                "desired-state=running",
                "--format",
                "{{.CurrentState}}",
            ],
        );
        out.lines().filter(|l| l.starts_with("Running")).count() == lab.nodes.len()
    });
    lab::wait_for(
        "wz-gjob complete on every manager",
        Duration::from_secs(60),
        || {
            let out = lab.docker(
                "node1",
                &["service", "ps", "wz-gjob", "--format", "{{.CurrentState}}"],
            );
            out.lines().filter(|l| l.starts_with("Complete")).count() == lab.managers().len()
        },
    );
    t.send(&["q"]);
    let _ = Command::new("true").status();
}

/// The fields compose can express, to compare a wizard-made service with its compose twin.
fn comparable(spec: &Value) -> Value {
    let tt = &spec["TaskTemplate"];
    let cs = &tt["ContainerSpec"];
    let mut env: Vec<String> = cs["Env"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    env.sort();
    serde_json::json!({
        "mode": spec["Mode"],
        "image": cs["Image"].as_str().map(|i| i.split('@').next().unwrap_or(i).to_string()),
        "args": cs["Args"],
        "env": env,
        "constraints": tt["Placement"]["Constraints"],
        "max_replicas": tt["Placement"]["MaxReplicas"],
        "health": cs["Healthcheck"],
        "update": spec["UpdateConfig"],
        "restart": tt["RestartPolicy"]["Condition"],
    })
}

#[test]
fn an_edit_keeps_what_the_form_does_not_show_and_the_compose_export_deploys() {
    let lab = lab::take();
    let _clean = Cleanup {
        services: ["wz-edit", "wz-comp", "wzstack_wz-comp"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        secrets: vec![],
        configs: vec![],
        networks: vec!["wzstack_default".into()],
    };
    _clean.run();
    let dir = tempfile::tempdir().expect("tempdir");
    // a service made by the CLI with what the form does not show: a DNS server, a
    // container label, a healthcheck, args, a service label
    lab.docker(
        "node1",
        &[
            "service",
            "create",
            "-d",
            "--name",
            "wz-edit",
            "--replicas",
            "1",
            "--health-cmd",
            "true",
            "--health-interval",
            "3s",
            "--label",
            "keep=me",
            "--container-label",
            "cl=1",
            "--dns",
            "198.51.100.53",
            "--no-resolve-image",
            "swarmdeck/busybox:lab",
            "sleep",
            "3600",
        ],
    );
    let before = inspect(&lab, "wz-edit");
    let t = dashboard(&lab, dir.path());
    t.send(&["Tab"]);
    t.wait_screen("the services pane with wz-edit", |s| s.contains("wz-edit"));
    t.send(&["e"]);
    t.wait_screen("the wizard on wz-edit", |s| {
        s.contains("edit wz-edit") && s.contains("sleep 3600")
    });
    fill(&t, APP, &[("env", "EDITED=1")]);
    for title in [
        "Mode",
        "Placement",
        "Network and ports",
        "Storage, config, resources",
        "Review",
    ] {
        next_step(&t, title);
    }
    for _ in 0..3 {
        t.send(&["Tab"]);
    }
    t.wait_screen("the spec diff", |s| {
        s.contains("spec diff") && s.contains("EDITED=1")
    });
    t.send(&["C-s"]);
    t.wait_screen("the convergence view", |s| {
        s.contains("tasks, newest first")
    });
    t.send(&["Escape"]);
    let after = inspect(&lab, "wz-edit");
    assert_eq!(
        after["TaskTemplate"]["ContainerSpec"]["Env"],
        serde_json::json!(["EDITED=1"])
    );
    let mut back = after.clone();
    back["TaskTemplate"]["ContainerSpec"]
        .as_object_mut()
        .expect("container spec")
        .remove("Env");
    // a service update bumps ForceUpdate only when asked: nothing else differs
    assert_eq!(back, before, "only the edited field changed");

    // the compose export of a wizard service deploys as a stack with the same spec
    let file = dir.path().join("wz-comp.yml");
    deploy_exporting(
        &t,
        &Want {
            name: "wz-comp",
            mode: 0,
            mode_fields: &[("replicas", "2")],
            app: &[("args", "sleep 3600"), ("env", "A=1, B=two words")],
            placement: &[("constraints", "node.role==manager"), ("max_per_node", "1")],
            network: &[],
            storage: &[
                ("health_test", "true"),
                ("health_interval", "2s"),
                ("update_parallelism", "2"),
                ("update_delay", "1s"),
            ],
        },
        Some(&file.display().to_string()),
    );
    t.send(&["Escape"]);
    let yaml = std::fs::read_to_string(&file).expect("the compose file was written");
    assert!(yaml.contains("wz-comp"), "{yaml}");
    let out = lab::lab(&[
        "docker",
        "node1",
        "stack",
        "deploy",
        "-c",
        &file.display().to_string(),
        "wzstack",
    ]);
    assert!(
        out.status.success(),
        "docker stack deploy accepts the export: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let wizard = comparable(&inspect(&lab, "wz-comp"));
    let stack = comparable(&inspect(&lab, "wzstack_wz-comp"));
    assert_eq!(wizard, stack, "the same service either way");
    t.send(&["q"]);
}

/// A deploy from the lab's private registry with typed credentials whose standard base64 has
/// `+` and `/` (swarmdeck sends base64url): every manager pulls and runs it. The password is
/// then searched for in everything the session showed (tmux's whole history), the audit log,
/// the state dir and every node's engine log: it is nowhere.
#[test]
fn a_deploy_from_the_private_registry_with_typed_credentials() {
    let lab = lab::take();
    let reg = lab::registry();
    assert!(reg.up, "the lab's registry is up: {reg:?}");
    let password = lab::registry_password();
    let _clean = Cleanup {
        services: vec!["wz-reg".into()],
        secrets: vec![],
        configs: vec![],
        networks: vec![],
    };
    _clean.run();
    let _forget = ForgetPulled { lab: &lab };
    let dir = tempfile::tempdir().expect("tempdir");
    let t = dashboard(&lab, dir.path());
    open_wizard(&t);
    fill(&t, APP, &[("name", "wz-reg"), ("image", &reg.image)]);
    focus(&t, "registry");
    // none → typed (HOME has no docker config: those are the two choices)
    t.send(&["Right"]);
    t.wait_screen("typed credentials", |s| s.contains("typed"));
    fill(
        &t,
        APP,
        &[
            ("registry_server", &reg.addr),
            ("registry_username", &reg.user),
            ("registry_password", &password),
            ("args", "sleep 3600"),
        ],
    );
    let typed = t.screen();
    assert!(typed.contains("••••"), "the password is masked: {typed}");
    next_step(&t, "Mode");
    t.send(&["Right"]); // global
    next_step(&t, "Placement");
    fill(&t, PLACEMENT, &[("constraints", "node.role==manager")]);
    next_step(&t, "Network and ports");
    next_step(&t, "Storage, config, resources");
    next_step(&t, "Review");
    for _ in 0..3 {
        t.send(&["Tab"]);
        settle(&t);
    }
    t.send(&["C-s"]);
    t.wait_screen("the convergence view", |s| {
        s.contains("tasks, newest first")
    });
    lab::wait_for(
        "wz-reg running on every manager",
        Duration::from_secs(90),
        || {
            let out = lab.docker(
                "node1",
                &[
                    "service",
                    "ps",
                    "wz-reg",
                    "--filter",
                    "desired-state=running",
                    "--format",
                    "{{.Node}} {{.CurrentState}}",
                ],
            );
            out.lines().filter(|l| l.contains("Running")).count() == lab.managers().len()
        },
    );
    t.send(&["Escape"]);
    t.send(&["q"]);
    // nowhere: the whole terminal history, the audit log and state, the engines' logs
    let history = Command::new("tmux")
        .args(["capture-pane", "-p", "-S", "-", "-t", &t.session])
        .output()
        .expect("tmux history");
    let history = String::from_utf8_lossy(&history.stdout);
    assert!(
        !history.contains(&password),
        "the password is not on any screen"
    );
    for entry in walk(dir.path()) {
        let text = std::fs::read(&entry).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&text).contains(&password),
            "the password is not in {}",
            entry.display()
        );
    }
    let audit = dir.path().join("swarmdeck/audit.jsonl");
    let audit = std::fs::read_to_string(&audit).expect("the audit log has the create");
    assert!(
        audit.contains("create service (with registry credentials)"),
        "{audit}"
    );
    for node in &lab.nodes {
        let log = std::path::Path::new("/var/lib/swarmdeck-lab/sdlab")
            .join(&node.name)
            .join("dockerd.log");
        let text = std::fs::read(&log).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&text).contains(&password),
            "the password is not in {}",
            log.display()
        );
    }
}

/// Every file below `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// After a pull from the registry: the service removed, its containers gone, and the nodes
/// made to forget the image again (`lab.sh registry up`), so that a pull without credentials
/// still fails in the registry's own test.
struct ForgetPulled<'a> {
    lab: &'a LabGuard,
}

impl Drop for ForgetPulled<'_> {
    fn drop(&mut self) {
        let _ = lab::lab(&["docker", "node1", "service", "rm", "wz-reg"]);
        let gone = || {
            self.lab.nodes.iter().all(|n| {
                let out = lab::lab(&[
                    "docker",
                    &n.name,
                    "ps",
                    "-aq",
                    "--filter",
                    "label=com.docker.swarm.service.name=wz-reg",
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
