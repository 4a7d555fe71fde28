//! Bounded fuzzing of every parser that reads what a user or a file gives swarmdeck: the
//! config file, themes, keepalived.conf and endpoints. 10,000 generated inputs each, built
//! from the parsers' own words (so they get past the first token) mixed with arbitrary text.
//! Each must return (an error is fine), never panic, and take bounded time.

use std::path::Path;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};

const CASES: u32 = 10_000;
/// Far above any honest parse of these small inputs; catches exponential blow-ups.
const SLOWEST: Duration = Duration::from_secs(2);

fn config() -> Config {
    Config {
        cases: CASES,
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..Config::default()
    }
}

/// Inputs made of `words` and arbitrary short strings, joined by `seps`.
fn text_of(
    words: &'static [&'static str],
    seps: &'static [&'static str],
) -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => proptest::sample::select(words).prop_map(str::to_string),
        1 => "\\PC{0,12}",
        1 => any::<String>().prop_map(|s| s.chars().take(8).collect()),
    ];
    proptest::collection::vec(
        (
            piece,
            proptest::sample::select(seps).prop_map(str::to_string),
        ),
        0..40,
    )
    .prop_map(|parts| parts.into_iter().map(|(p, s)| p + &s).collect())
}

fn timed<T>(what: &str, input: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    assert!(
        took < SLOWEST,
        "{what} took {took:?} on {:?}",
        input.chars().take(200).collect::<String>()
    );
    out
}

const CONFIG_WORDS: &[&str] = &[
    "theme",
    "endpoints",
    "keys",
    "vips",
    "vip_port",
    "keepalived_conf",
    "readonly",
    "config_keep",
    "[keys]",
    "[keys.nodes]",
    "quit",
    "help",
    "down",
    "up",
    "filter",
    "drain",
    "=",
    "\"",
    "'",
    "[",
    "]",
    "{",
    "}",
    ",",
    "\"q\"",
    "\"ctrl-c\"",
    "\"alt-x\"",
    "\"shift-tab\"",
    "\"f12\"",
    "true",
    "1979-05-27T07:32:00Z",
    "2377",
    "-1",
    "99999",
    "\"unix:///x.sock\"",
    "\"tcp://[::1\"",
    "\"ssh://root@[::1]:22\"",
    "\"10.0.0.1\"",
    "\"0.0.0.0\"",
    "\"::\"",
    "#",
    "\"\"\"",
    "\\u0000",
    "\\",
    "light",
    "\"mono\"",
];
const THEME_WORDS: &[&str] = &[
    "parent",
    "[styles]",
    "[palette]",
    "selected",
    "border",
    "header",
    "danger",
    "warn",
    "ok",
    "fg",
    "bg",
    "modifiers",
    "=",
    "\"",
    "[",
    "]",
    "{",
    "}",
    ",",
    "\"red\"",
    "\"#ff00ff\"",
    "\"#zz\"",
    "\"256\"",
    "17",
    "-3",
    "\"bold\"",
    "\"blink\"",
    "\"default\"",
    "\"light\"",
    "\"../../etc/passwd\"",
    "#",
    "true",
];
const KEEPALIVED_WORDS: &[&str] = &[
    "vrrp_instance",
    "VI_1",
    "{",
    "}",
    "virtual_ipaddress",
    "virtual_ipaddress_excluded",
    "interface",
    "eth0",
    "state",
    "MASTER",
    "BACKUP",
    "virtual_router_id",
    "51",
    "300",
    "priority",
    "100",
    "10.0.0.100/24",
    "198.51.100.100",
    "2001:db8::1/64",
    "dev",
    "label",
    "eth0:1",
    "include",
    "/nonexistent/x{a,b}{c,d}",
    "/nonexistent/*.conf",
    "{a,{b,c}}",
    "global_defs",
    "vrrp_script",
    "!",
    "#",
    "\"",
    "\\",
    "*",
    "?",
    "..",
    "/",
    "{,}",
    "{{{",
    "}}}",
];
const ENDPOINT_WORDS: &[&str] = &[
    "unix://",
    "tcp://",
    "http://",
    "https://",
    "ssh://",
    "npipe://",
    "ftp://",
    "/",
    "//",
    "[",
    "]",
    "::1",
    "2001:db8::1",
    ":",
    "@",
    "root",
    "-o",
    "host",
    "10.0.0.1",
    "2375",
    "99999",
    "-1",
    "0",
    "?",
    "#",
    " ",
    "%",
    ".",
    "..",
    "\u{1b}",
    "é",
];

proptest! {
    #![proptest_config(config())]

    #[test]
    fn config_parser(text in text_of(CONFIG_WORDS, &["", " ", "\n", " = ", ",", "\n[keys]\n"])) {
        timed("config::parse", &text, || {
            let _ = swarmdeck::config::parse(&text, Path::new("/fuzz/config.toml"));
        });
    }

    #[test]
    fn endpoint_parser(text in text_of(ENDPOINT_WORDS, &["", "", ":", "/"])) {
        let parsed = timed("endpoint::parse", &text, || swarmdeck::endpoint::parse(&text));
        // what is accepted prints in a form that parses to the same endpoint
        if let Ok(e) = parsed {
            prop_assert_eq!(swarmdeck::endpoint::parse(&e.to_string()), Ok(e));
        }
    }

    #[test]
    fn keepalived_parser(text in text_of(KEEPALIVED_WORDS, &[" ", " ", "\n", "", "\t"])) {
        timed("keepalived::parse_str", &text, || {
            let _ = swarmdeck::vip::keepalived::parse_str(&text, Path::new("/fuzz/keepalived.conf"));
        });
    }
}

/// Themes are read from files; one file is rewritten for every case.
#[test]
fn theme_parser() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("fuzz.toml");
    let mut runner = proptest::test_runner::TestRunner::new(config());
    let result = runner.run(
        &text_of(THEME_WORDS, &["", " ", "\n", " = ", ",", "\n[styles]\n"]),
        |text| {
            std::fs::write(&file, &text).expect("write theme");
            let (_, warning) = timed("Theme::load", &text, || {
                swarmdeck::theme::Theme::load(
                    Some(file.to_str().expect("utf-8 path")),
                    Some(dir.path()),
                    false,
                )
            });
            // a broken theme falls back with a warning that names the file
            if let Some(w) = warning {
                prop_assert!(w.ends_with("using the default theme"), "{}", w);
            }
            Ok(())
        },
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}
