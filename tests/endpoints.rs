//! Endpoints other than a unix socket, against the real lab, reached through the keepalived
//! VIP as an operator would: the Docker API over TCP with mutual TLS (`DOCKER_HOST`,
//! `DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH`, as the docker CLI reads them), and ssh:// to the
//! nodes' real sshd (`ssh … docker system dial-stdio`, as the docker CLI does it).

mod common;

use std::process::{Command, Output};
use std::time::Duration;

use common::lab::{self, wait_for};

const VIP_TLS: &str = "tcp://198.51.100.100:2376";

/// `swarmdeck status` with only these Docker variables (and PATH, if given) set.
fn status(envs: &[(&str, &str)], extra: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_swarmdeck"));
    for v in ["DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH"] {
        cmd.env_remove(v);
    }
    // no config file of the machine's may add endpoints
    let empty = tempfile::NamedTempFile::new().expect("temp config");
    cmd.args(["--config", &empty.path().display().to_string()]);
    cmd.envs(envs.iter().copied()).arg("status").args(extra);
    cmd.output().expect("run swarmdeck status")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn tls_through_the_vip_and_its_errors() {
    let _lab = lab::take();
    let certs = lab::tls_cert_path();
    let tls = [
        ("DOCKER_HOST", VIP_TLS),
        ("DOCKER_TLS_VERIFY", "1"),
        ("DOCKER_CERT_PATH", certs.as_str()),
    ];

    // as the docker CLI would be set up: the whole swarm is read through the VIP over TLS
    wait_for("status over TLS healthy", Duration::from_secs(60), || {
        let out = status(&tls, &[]);
        out.status.code() == Some(0) && text(&out).contains("swarm: HEALTHY")
    });
    let out = status(&tls, &["--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("status --json over TLS: {e}: {}", text(&out)));
    assert_eq!(json["endpoint"], VIP_TLS, "{json}");
    let nodes = json["nodes"].as_array().expect("nodes");
    assert_eq!(nodes.len(), 4, "{json}");
    assert!(
        nodes.iter().any(|n| n["leader"] == true),
        "a leader over TLS: {json}"
    );

    // https:// needs no DOCKER_TLS_VERIFY; --host wins over DOCKER_HOST
    let out = status(
        &[("DOCKER_CERT_PATH", certs.as_str())],
        &["--host", "https://198.51.100.12:2376"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // plain HTTP to the TLS port: named, with what to set
    let out = status(&[("DOCKER_HOST", VIP_TLS)], &[]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains("this endpoint speaks TLS: set DOCKER_TLS_VERIFY=1"),
        "{}",
        text(&out)
    );

    // a CA that did not sign the engine's certificate: refused, and said so
    let other = tempfile::tempdir().expect("temp dir");
    for f in ["cert.pem", "key.pem"] {
        std::fs::copy(format!("{certs}/{f}"), other.path().join(f)).expect("copy client cert");
    }
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=another CA",
            "-keyout",
        ])
        .arg(other.path().join("ca-key.pem"))
        .arg("-out")
        .arg(other.path().join("ca.pem"))
        .output()
        .expect("openssl (the lab installs it)");
    assert!(made.status.success(), "{}", text(&made));
    let other_dir = other.path().display().to_string();
    let out = status(
        &[
            ("DOCKER_HOST", VIP_TLS),
            ("DOCKER_TLS_VERIFY", "1"),
            ("DOCKER_CERT_PATH", other_dir.as_str()),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains("certificate was not accepted"),
        "{}",
        text(&out)
    );

    // no certificates where DOCKER_CERT_PATH points
    let out = status(
        &[
            ("DOCKER_HOST", VIP_TLS),
            ("DOCKER_TLS_VERIFY", "1"),
            ("DOCKER_CERT_PATH", "/nonexistent/certs"),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("/nonexistent/certs"), "{t}");
    assert!(!t.contains("panicked"), "{t}");
}

#[test]
fn ssh_through_the_vip_with_failover_and_its_errors() {
    let _lab = lab::take();
    let path = lab::path_with_lab_ssh();
    let via_lab_ssh = [("PATH", path.as_str())];

    // the whole swarm through ssh to the VIP, with the user's (here: the lab's) ssh settings
    wait_for("status over ssh healthy", Duration::from_secs(60), || {
        let out = status(&via_lab_ssh, &["--host", "ssh://root@198.51.100.100"]);
        out.status.code() == Some(0) && text(&out).contains("swarm: HEALTHY")
    });
    let out = status(
        &via_lab_ssh,
        &["--json", "--host", "ssh://root@198.51.100.100:22"],
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("status --json over ssh: {e}: {}", text(&out)));
    assert_eq!(json["endpoint"], "ssh://root@198.51.100.100:22", "{json}");
    assert_eq!(json["nodes"].as_array().map(Vec::len), Some(4), "{json}");

    // an address nobody answers on is skipped for the next manager
    let out = status(
        &via_lab_ssh,
        &[
            "--json",
            "--host",
            "ssh://root@198.51.100.99",
            "--host",
            "ssh://root@198.51.100.12",
        ],
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("status --json failover: {e}: {}", text(&out)));
    assert_eq!(json["endpoint"], "ssh://root@198.51.100.12", "{json}");
    assert_eq!(out.status.code(), Some(0), "{json}");

    // a key the node does not accept: ssh's own reason, no prompt, exit 3
    let dir = tempfile::tempdir().expect("temp dir");
    let key = dir.path().join("id_other");
    let made = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .output()
        .expect("ssh-keygen (the lab installs openssh-client)");
    assert!(made.status.success(), "{}", text(&made));
    let lab_config = std::path::Path::new(&lab::ssh_path())
        .parent()
        .expect("ssh dir")
        .join("ssh_config");
    let config = std::fs::read_to_string(&lab_config)
        .expect("the lab's ssh_config")
        .lines()
        .filter(|l| !l.trim_start().starts_with("IdentityFile"))
        .collect::<Vec<_>>()
        .join("\n")
        + &format!("\n  IdentityFile {}\n", key.display());
    let config_file = dir.path().join("ssh_config");
    std::fs::write(&config_file, config).expect("write ssh config");
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).expect("bin dir");
    std::fs::write(
        bin.join("ssh"),
        format!(
            "#!/bin/sh\nexec /usr/bin/ssh -F {} \"$@\"\n",
            config_file.display()
        ),
    )
    .expect("ssh wrapper");
    let chmod = Command::new("chmod")
        .arg("0755")
        .arg(bin.join("ssh"))
        .status()
        .expect("chmod");
    assert!(chmod.success());
    let other_path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = status(
        &[("PATH", other_path.as_str())],
        &["--host", "ssh://root@198.51.100.100"],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains("Permission denied (publickey)"),
        "{}",
        text(&out)
    );

    // a malformed ssh endpoint is refused before anything runs: a usage error (64)
    let out = status(&via_lab_ssh, &["--host", "ssh://root@198.51.100.100/x"]);
    assert_eq!(out.status.code(), Some(64), "{}", text(&out));
    assert!(text(&out).contains("has no path"), "{}", text(&out));

    // every ssh process ended with the run that started it
    wait_for(
        "no ssh process left behind",
        Duration::from_secs(10),
        || lab::lab_ssh_clients().is_empty(),
    );
}
