//! The binary's command line: bad input gets a clear message and a non-zero exit.

use std::process::Command;

fn swarmdeck(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_swarmdeck"))
        .args(args)
        .env_remove("DOCKER_HOST")
        .output()
        .expect("run swarmdeck")
}

#[test]
fn bad_config_names_file_key_and_line_and_exits_2() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/invalid_configs/unknown_top_level_key.toml"
    );
    let out = swarmdeck(&["--config", path, "status"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown_top_level_key.toml:"), "{err}");
    assert!(err.contains("bad config"), "{err}");
    assert!(out.stdout.is_empty(), "nothing else happens");
}

#[test]
fn missing_config_file_is_an_error() {
    let out = swarmdeck(&["--config", "/nonexistent/swarmdeck.toml", "status"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/swarmdeck.toml"));
}

#[test]
fn unreachable_endpoints_exit_3_with_every_reason() {
    let out = swarmdeck(&[
        "--host",
        "unix:///nonexistent/a.sock",
        "--host",
        "ftp://x",
        "status",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(3));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(report["health"], "unreachable");
    let problems = report["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[0]
            .as_str()
            .unwrap_or_default()
            .contains("no Docker socket at /nonexistent/a.sock")
    );
    assert!(
        problems[1]
            .as_str()
            .unwrap_or_default()
            .contains("cannot use this endpoint")
    );
}

#[test]
fn permission_denied_says_root_or_docker_group() {
    // a socket we cannot open: a listening socket with no permissions, opened as nobody
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("docker.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&path).expect("bind");
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod dir");
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod");
    let Ok(out) = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            env!("CARGO_BIN_EXE_swarmdeck"),
        ])
        .args(["--host", &format!("unix://{}", path.display()), "status"])
        .env("HOME", "/nonexistent")
        .output()
    else {
        panic!("setpriv (util-linux) is needed for this test");
    };
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("permission denied") && text.contains("docker group"),
        "{text}"
    );
}
