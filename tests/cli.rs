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
fn bad_config_names_file_key_and_line_and_exits_78() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/invalid_configs/unknown_top_level_key.toml"
    );
    let out = swarmdeck(&["--config", path, "status"]);
    assert_eq!(
        out.status.code(),
        Some(78),
        "a config error, not \"no quorum\" (2)"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown_top_level_key.toml:"), "{err}");
    assert!(err.contains("bad config"), "{err}");
    assert!(out.stdout.is_empty(), "nothing else happens");
}

#[test]
fn missing_config_file_is_an_error() {
    let out = swarmdeck(&["--config", "/nonexistent/swarmdeck.toml", "status"]);
    assert_eq!(out.status.code(), Some(78));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/swarmdeck.toml"));
}

#[test]
fn unreachable_endpoints_exit_3_with_every_reason() {
    let out = swarmdeck(&[
        "--host",
        "unix:///nonexistent/a.sock",
        "--host",
        "tcp://127.0.0.1:1",
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
            .contains("tcp://127.0.0.1:1: unreachable")
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

fn config_file(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::Builder::new()
        .suffix(".toml")
        .tempfile()
        .expect("temp file");
    std::io::Write::write_all(&mut f, text.as_bytes()).expect("write config");
    f
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[test]
fn usage_errors_have_their_own_exit_code() {
    for args in [
        &["status", "--jsn"][..],
        &["--no-such-flag"],
        &["stauts"],
        &["--fps", "0", "status"],
        &["--vip", "not-an-ip", "status"],
    ] {
        let out = swarmdeck(args);
        assert_eq!(out.status.code(), Some(64), "{args:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    // --help and --version are not errors
    assert_eq!(swarmdeck(&["--help"]).status.code(), Some(0));
    assert_eq!(swarmdeck(&["status", "--help"]).status.code(), Some(0));
    assert_eq!(swarmdeck(&["--version"]).status.code(), Some(0));
}

#[test]
fn help_lists_every_exit_code() {
    for args in [&["--help"][..], &["status", "--help"]] {
        let out = swarmdeck(args);
        let text = String::from_utf8_lossy(&out.stdout);
        for code in ["0 ", "1 ", "2 ", "3 ", "64 ", "70 ", "78 ", "128+N"] {
            assert!(
                text.lines().any(|l| l.trim_start().starts_with(code)),
                "{args:?} lists exit code {code}: {text}"
            );
        }
    }
}

#[test]
fn config_errors_in_keys_exit_78_with_file_and_line() {
    for (text, line, says) in [
        ("[keys]\nhelp = \"ctrl-c\"\n", ":2:", "Ctrl-c always quits"),
        ("[keys]\nquit = \"j\"\n", ":2:", "also bound to `down`"),
        ("theme = 1979-05-27T07:32:00Z\n", ":1:", "a date-time"),
        ("vips = [\"0.0.0.0\"]\n", ":1:", "unspecified"),
        (
            "vips = [\"10.0.0.1\", \"255.255.255.255\"]\n",
            ":1:",
            "broadcast",
        ),
        ("vips = [\"224.0.0.1\"]\n", ":1:", "multicast"),
    ] {
        let f = config_file(text);
        let path = f.path().to_str().expect("utf-8 path");
        let out = swarmdeck(&["--config", path, "status"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(78), "{text}: {err}");
        assert!(err.contains(&format!("{path}{line}")), "{text}: {err}");
        assert!(err.contains(says), "{text}: {err}");
    }
}

/// `config_keep` is read for the config commands (and checked before anything connects);
/// `--keep` refuses 0 the same way.
#[test]
fn config_keep_is_checked_before_connecting() {
    let unreachable = ["--host", "unix:///nonexistent/a.sock"];
    let f = config_file("config_keep = 0\n");
    let path = f.path().to_str().expect("utf-8 path");
    let out = swarmdeck(&["--config", path, "config", "history"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(78), "{err}");
    assert!(err.contains(&format!("{path}:1:")), "{err}");
    assert!(err.contains("`config_keep`: must be at least 1"), "{err}");

    let f = config_file("config_keep = 3\n");
    let path = f.path().to_str().expect("utf-8 path");
    let out = swarmdeck(
        &[
            &["--config", path][..],
            &unreachable,
            &["config", "history"],
        ]
        .concat(),
    );
    assert_eq!(out.status.code(), Some(3), "accepted: {}", stderr(&out));

    let out = swarmdeck(
        &[
            &unreachable[..],
            &["config", "rollback", "1", "--keep", "0"],
        ]
        .concat(),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(64), "{err}");
    assert!(
        err.contains("--keep") && err.contains("at least 1"),
        "{err}"
    );
}

#[test]
fn harmless_key_lists_are_accepted() {
    // no keys for quit (Ctrl-c still quits); the same key twice (it is kept once)
    for text in ["[keys]\nquit = []\n", "[keys]\nquit = [\"q\", \"q\"]\n"] {
        let f = config_file(text);
        let out = swarmdeck(&[
            "--config",
            f.path().to_str().expect("utf-8 path"),
            "--host",
            "unix:///nonexistent/a.sock",
            "status",
        ]);
        assert_eq!(
            out.status.code(),
            Some(3),
            "{text} is accepted: {}",
            stderr(&out)
        );
    }
}

#[test]
fn a_long_bad_line_is_quoted_in_part() {
    let f = config_file(&format!("theme = {}\n", "x".repeat(10_000_000)));
    let out = swarmdeck(&["--config", f.path().to_str().expect("utf-8 path"), "status"]);
    assert_eq!(out.status.code(), Some(78));
    let err = stderr(&out);
    assert!(err.len() < 2_000, "{} bytes on stderr", err.len());
    assert!(err.contains(":1:9:") && err.contains('…'), "{err}");
}

/// Every endpoint string that is not an endpoint is refused where it is read: a config
/// error with its line, a usage error naming --host, a config error naming DOCKER_HOST.
#[test]
fn bad_endpoints_are_refused_where_they_are_written() {
    let bad = [
        "tcp://[::1",
        "http://x:99999",
        "tcp://:2375",
        "tcp://h:-1",
        "tcp://a b:1",
        "tcp://",
        "unix://",
        "unix://relative.sock",
        "ftp://x",
        "x:2375",
        "ssh://root@[::1",
        "ssh://host/path",
        "ssh://-oProxyCommand=x",
        "tcp://h:1/path",
    ];
    for ep in bad {
        let f = config_file(&format!(
            "# endpoints\nendpoints = [\n  \"unix:///a.sock\",\n  {ep:?},\n]\n"
        ));
        let path = f.path().to_str().expect("utf-8 path");
        let out = swarmdeck(&["--config", path, "status"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(78), "config {ep}: {err}");
        assert!(
            err.contains(&format!("{path}:4:3: `endpoints`:")),
            "config {ep}: {err}"
        );
        assert!(err.contains("is not an endpoint"), "config {ep}: {err}");
        assert!(out.stdout.is_empty());

        let out = swarmdeck(&["--host", ep, "status"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(64), "--host {ep}: {err}");
        assert!(err.contains("'--host <ENDPOINT>'"), "--host {ep}: {err}");

        let out = Command::new(env!("CARGO_BIN_EXE_swarmdeck"))
            .arg("status")
            .env("DOCKER_HOST", ep)
            .env("XDG_CONFIG_HOME", "/nonexistent")
            .output()
            .expect("run swarmdeck");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(78), "DOCKER_HOST={ep}: {err}");
        assert!(err.contains("DOCKER_HOST="), "DOCKER_HOST={ep}: {err}");
    }
}

/// swarmdeck with the docker CLI's config directory `dir` and nothing else from the
/// environment that picks an endpoint.
fn with_docker_config(
    dir: &std::path::Path,
    env: &[(&str, &str)],
    args: &[&str],
) -> std::process::Output {
    let xdg = dir.join("xdg");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_swarmdeck"));
    cmd.args(args)
        .env_remove("DOCKER_HOST")
        .env_remove("DOCKER_CONTEXT")
        .env("DOCKER_CONFIG", dir)
        .env("XDG_CONFIG_HOME", &xdg)
        .env("XDG_STATE_HOME", &xdg);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run swarmdeck")
}

fn write_context(dir: &std::path::Path, name: &str, meta: &str) -> std::path::PathBuf {
    let path = swarmdeck::contexts::meta_path(dir, name);
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    std::fs::write(&path, meta).expect("write meta.json");
    path
}

#[test]
fn a_missing_or_broken_docker_context_is_a_config_error_naming_it() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    let out = with_docker_config(dir, &[], &["--context", "nosuch", "status"]);
    assert_eq!(out.status.code(), Some(78));
    let err = String::from_utf8_lossy(&out.stderr);
    let meta = swarmdeck::contexts::meta_path(dir, "nosuch");
    assert!(err.contains("docker context \"nosuch\" not found"), "{err}");
    assert!(err.contains(&meta.display().to_string()), "{err}");
    assert!(out.stdout.is_empty());

    let out = with_docker_config(dir, &[("DOCKER_CONTEXT", "nosuch")], &["status"]);
    assert_eq!(out.status.code(), Some(78));
    assert!(String::from_utf8_lossy(&out.stderr).contains("DOCKER_CONTEXT=\"nosuch\""));

    let path = write_context(dir, "bad", "{\"Name\": \"bad\", ");
    let out = with_docker_config(dir, &[], &["--context", "bad", "status"]);
    assert_eq!(out.status.code(), Some(78));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(err.contains("not a docker context's meta.json"), "{err}");

    // recorded from the docker CLI: SkipTLSVerify is refused with what to do instead
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/contexts");
    let out = with_docker_config(&fixtures, &[], &["--context", "skip", "status"]);
    assert_eq!(out.status.code(), Some(78));
    assert!(String::from_utf8_lossy(&out.stderr).contains("SkipTLSVerify"));

    // --host and --context together: refused, as the docker CLI does
    let out = with_docker_config(
        dir,
        &[],
        &["--context", "bad", "--host", "unix:///x.sock", "status"],
    );
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be used with"));
}

#[test]
fn status_uses_the_docker_context_and_names_it() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    write_context(
        dir,
        "far",
        r#"{"Name":"far","Metadata":{},"Endpoints":{"docker":{"Host":"unix:///nonexistent/far.sock","SkipTLSVerify":false}}}"#,
    );
    std::fs::write(dir.join("config.json"), r#"{"currentContext": "far"}"#).expect("config.json");
    // currentContext of config.json, --context, DOCKER_CONTEXT: the same context
    for (env, args) in [
        (vec![], vec!["status", "--json"]),
        (vec![], vec!["--context", "far", "status", "--json"]),
        (vec![("DOCKER_CONTEXT", "far")], vec!["status", "--json"]),
    ] {
        let out = with_docker_config(dir, &env, &args);
        assert_eq!(out.status.code(), Some(3), "{args:?}");
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert_eq!(report["context"], "far", "{report}");
        assert!(
            report["problems"][0]
                .as_str()
                .unwrap_or_default()
                .contains("no Docker socket at /nonexistent/far.sock"),
            "{report}"
        );
    }
    // DOCKER_HOST beats DOCKER_CONTEXT and currentContext; "default" is DOCKER_HOST
    for (env, args) in [
        (
            vec![
                ("DOCKER_HOST", "unix:///nonexistent/env.sock"),
                ("DOCKER_CONTEXT", "far"),
            ],
            vec!["status", "--json"],
        ),
        (
            vec![("DOCKER_HOST", "unix:///nonexistent/env.sock")],
            vec!["--context", "default", "status", "--json"],
        ),
    ] {
        let out = with_docker_config(dir, &env, &args);
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert!(report["context"].is_null(), "{report}");
        assert!(
            report["problems"][0]
                .as_str()
                .unwrap_or_default()
                .contains("/nonexistent/env.sock"),
            "{report}"
        );
    }
}
