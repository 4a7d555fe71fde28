//! Endpoints other than a unix socket, against the real lab: the Docker API over TCP with
//! mutual TLS (`DOCKER_HOST`, `DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH`, as the docker CLI
//! reads them), reached through the keepalived VIP as an operator would.

mod common;

use std::process::{Command, Output};
use std::time::Duration;

use common::lab::{self, wait_for};

const VIP_TLS: &str = "tcp://198.51.100.100:2376";

/// `swarmdeck status` with only these Docker variables set.
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
