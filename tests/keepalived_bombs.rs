//! Hostile keepalived configurations: each is read quickly, with bounded work and memory, and
//! reported, never fatal (src/vip/keepalived.rs, docs/vip.md "Reading keepalived.conf").
//!
//! The bombs are generated in a temporary directory. The time bounds are generous guards
//! against exponential blowups in a debug build, not benchmarks.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use swarmdeck::vip::keepalived::{Parsed, load, parse_str};

/// Problems listed at most (the parser's cap), plus one summary line.
const MAX_PROBLEMS: usize = 100 + 1;
/// Files included at most, plus the main file.
const MAX_FILES: usize = 256 + 1;
const QUICK: Duration = Duration::from_secs(2);

fn timed(what: &str, read: impl FnOnce() -> Parsed) -> Parsed {
    let start = Instant::now();
    let parsed = read();
    let took = start.elapsed();
    eprintln!("{what}: {took:?}, {} problems", parsed.errors.len());
    // Shown when a test fails, or with --nocapture.
    eprintln!("{}", messages(&parsed));
    assert!(took < QUICK, "{what} took {took:?}");
    assert!(
        parsed.errors.len() <= MAX_PROBLEMS,
        "{what}: {} problems",
        parsed.errors.len()
    );
    parsed
}

fn messages(parsed: &Parsed) -> String {
    parsed
        .errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// A trailing instance proves the rest of the file is still read.
const TAIL: &str = "vrrp_instance TAIL {\n  virtual_ipaddress {\n    192.0.2.7\n  }\n}\n";

#[test]
fn nested_brace_include_is_reported_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let main = dir.path().join("keepalived.conf");
    // `include /x/{a,{a,{a,…b}…}}`: 20,000 nested braces, about 80 KB on one line.
    let n = 20_000;
    let pattern = format!("/x/{}b{}", "{a,".repeat(n), "}".repeat(n));
    fs::write(&main, format!("include {pattern}\n{TAIL}")).unwrap();
    let parsed = timed("nested braces", || load(&main));
    assert_eq!(parsed.instances.len(), 1, "{}", messages(&parsed));
    assert_eq!(parsed.instances[0].vips.len(), 1);
    let error = &parsed.errors[0];
    assert_eq!((error.file.as_path(), error.line), (main.as_path(), 1));
    assert!(error.message.contains("more than 32 deep"), "{error}");
    assert!(
        error.to_string().len() < 300,
        "the pattern is shortened: {error}"
    );
}

#[test]
fn brace_alternatives_multiplying_are_cut() {
    let dir = tempfile::tempdir().unwrap();
    let main = dir.path().join("keepalived.conf");
    // 2^20 paths from 253 bytes.
    fs::write(&main, format!("include /x{}\n{TAIL}", "{a,b}".repeat(20))).unwrap();
    let parsed = timed("20 x {a,b}", || load(&main));
    assert_eq!(parsed.instances.len(), 1);
    // No path of the pattern exists: a pattern matching nothing is not a problem, only the cut.
    assert_eq!(parsed.errors.len(), 1, "{}", messages(&parsed));
    let error = &parsed.errors[0];
    assert_eq!((error.file.as_path(), error.line), (main.as_path(), 1));
    assert!(
        error
            .message
            .contains("expands to more than 1,024 paths; the first 1,024 are read"),
        "{error}"
    );
}

#[test]
fn brace_alternatives_past_the_cut_are_not_read() {
    let dir = tempfile::tempdir().unwrap();
    // 11 x {0,1}: 2,048 paths, of which only the first 1,024 (those starting with 0) are read.
    for name in ["00000000000", "01111111111", "10000000000"] {
        let text = format!("vrrp_instance I{name} {{ }}\n");
        fs::write(dir.path().join(format!("{name}.conf")), text).unwrap();
    }
    let text = format!("include {}.conf\n", "{0,1}".repeat(11));
    let parsed = timed("11 x {0,1}", || {
        parse_str(&text, &dir.path().join("keepalived.conf"))
    });
    let names: Vec<&str> = parsed.instances.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["I00000000000", "I01111111111"]);
    assert_eq!(parsed.errors.len(), 1, "{}", messages(&parsed));
}

#[test]
fn many_expanding_includes_share_one_budget() {
    // 200 lines of 1,024 paths each: more than the 100,000 paths all patterns may look at.
    let line = format!("include /nonexistent-swarmdeck/x{}\n", "{a,b}".repeat(10));
    let text = format!("{}{TAIL}", line.repeat(200));
    let parsed = timed("200 x 1,024 paths", || {
        parse_str(&text, Path::new("/nonexistent/keepalived.conf"))
    });
    assert_eq!(parsed.instances.len(), 1);
    // 97 x 1,024 < 100,000 < 98 x 1,024: line 98 stops the search, lines 99.. are not followed.
    let lines: Vec<usize> = parsed.errors.iter().map(|e| e.line).collect();
    assert_eq!(
        lines,
        (98..=109).collect::<Vec<_>>(),
        "{}",
        messages(&parsed)
    );
    assert!(
        parsed.errors[0]
            .message
            .contains("looked at more than 100,000 paths in total (the limit)"),
        "{}",
        parsed.errors[0]
    );
    assert!(
        parsed.errors[11]
            .message
            .ends_with("already looked at 100,000 paths (the limit) (… and 91 more like it)"),
        "{}",
        parsed.errors[11]
    );
}

#[test]
fn one_include_reads_the_first_1024_matches() {
    let dir = tempfile::tempdir().unwrap();
    let many = dir.path().join("many");
    fs::create_dir(&many).unwrap();
    for i in 0..1100 {
        fs::write(many.join(format!("{i:04}.conf")), "").unwrap();
    }
    fs::write(many.join("9999.conf"), "vrrp_instance LAST { }\n").unwrap();
    let text = format!("include many/*.conf\n{TAIL}");
    let parsed = timed("1,101 matches", || {
        parse_str(&text, &dir.path().join("keepalived.conf"))
    });
    let names: Vec<&str> = parsed.instances.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["TAIL"]);
    let all = messages(&parsed);
    assert!(
        all.contains("matches more than 1,024 files; the first 1,024 are read"),
        "{all}"
    );
    assert!(
        all.contains("256 files are already included (the limit) (… and 757 more like it)"),
        "{all}"
    );
}

#[test]
fn include_fan_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let fan = dir.path().join("fan");
    fs::create_dir(&fan).unwrap();
    // Eight files each including all eight again: 8! include chains before the cycle and
    // depth checks stop them.
    for i in 0..8 {
        let text = format!(
            "vrrp_instance F{i} {{\n  virtual_ipaddress {{\n    10.0.0.{i}\n  }}\n}}\ninclude ../fan/*.conf\n"
        );
        fs::write(fan.join(format!("{i}.conf")), text).unwrap();
    }
    let main = dir.path().join("keepalived.conf");
    fs::write(&main, format!("include fan/*.conf\n{TAIL}")).unwrap();
    let parsed = timed("include fan", || load(&main));
    // Every file holds one instance: so many files were read.
    let read = parsed.instances.len();
    assert!(read <= MAX_FILES, "{read} files read");
    assert!(read > 8, "{read} files read");
    assert_eq!(parsed.instances.last().unwrap().name, "TAIL");
    let all = messages(&parsed);
    assert!(
        all.contains("256 files are already included (the limit)"),
        "{all}"
    );
    assert!(all.contains("more like it"), "{all}");
}

#[test]
fn megabyte_of_open_braces_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let main = dir.path().join("keepalived.conf");
    fs::write(&main, "{".repeat(1 << 20)).unwrap();
    let parsed = timed("1 MB of {", || load(&main));
    assert_eq!(parsed.instances, vec![]);
    assert_eq!(parsed.errors.len(), 1, "{}", messages(&parsed));
    let error = &parsed.errors[0];
    assert_eq!((error.file.as_path(), error.line), (main.as_path(), 1));
    assert!(
        error
            .message
            .contains("more than 1,000,000 words and braces in total"),
        "{error}"
    );
}

#[test]
fn half_a_megabyte_of_open_braces_is_one_collapsed_problem() {
    let text = "{".repeat(1 << 19);
    let parsed = timed("512 KiB of {", || {
        parse_str(&text, Path::new("/nonexistent/keepalived.conf"))
    });
    assert_eq!(parsed.errors.len(), 11, "{}", messages(&parsed));
    assert!(
        parsed.errors[10]
            .message
            .ends_with("(missing `}` at end of file) (… and 524,277 more like it)"),
        "{}",
        parsed.errors[10]
    );
}

#[test]
fn repeated_problems_are_collapsed() {
    let text = format!("{}\n{TAIL}", "}".repeat(100_000));
    let parsed = timed("100,000 x }", || {
        parse_str(&text, Path::new("/nonexistent/keepalived.conf"))
    });
    assert_eq!(parsed.instances.len(), 1);
    assert_eq!(parsed.errors.len(), 11, "{}", messages(&parsed));
    for error in &parsed.errors[..10] {
        assert_eq!(error.message, "unexpected `}`: no block is open");
    }
    assert_eq!(
        parsed.errors[10].message,
        "unexpected `}`: no block is open (… and 99,989 more like it)"
    );
}

#[test]
fn many_kinds_of_problems_end_in_one_summary() {
    // 200 different bad values: 10 of a kind, then the summary of the kinds left out.
    let mut text = String::new();
    for i in 0..200 {
        text.push_str(&format!(
            "vrrp_instance V{i} {{\n  priority x{i}\n  virtual_router_id 0\n  state S{i}\n  \
             interface\n  virtual_ipaddress {{\n    a{i}\n    10.0.0.1/99\n    10.0.0.2 dev\n  \
             }}\n  virtual_ipaddress_excluded\n}}\nvrrp_instance\nvrrp_instance N{i}\n"
        ));
    }
    let parsed = timed("many kinds", || {
        parse_str(&text, Path::new("/nonexistent/keepalived.conf"))
    });
    assert_eq!(parsed.errors.len(), MAX_PROBLEMS, "{}", messages(&parsed));
    assert_eq!(parsed.instances.len(), 200);
    let last = parsed.errors.last().unwrap();
    assert!(
        last.message.starts_with("… and ") && last.message.contains(" more problems"),
        "{last}"
    );
}

#[test]
fn missing_include_file_is_reported_with_its_includer() {
    let dir = tempfile::tempdir().unwrap();
    let main = dir.path().join("keepalived.conf");
    fs::write(
        &main,
        format!(
            "# plain paths\ninclude missing.conf\ninclude \"/nonexistent-swarmdeck/x.conf\"\n{TAIL}"
        ),
    )
    .unwrap();
    let parsed = timed("missing include", || load(&main));
    assert_eq!(parsed.instances.len(), 1);
    let found: Vec<(&Path, usize)> = parsed
        .errors
        .iter()
        .map(|e| (e.file.as_path(), e.line))
        .collect();
    assert_eq!(found, [(main.as_path(), 2), (main.as_path(), 3)]);
    let first = parsed.errors[0].to_string();
    assert!(first.contains("cannot read included file"), "{first}");
    assert!(first.contains("missing.conf"), "{first}");
    assert!(first.contains("No such file"), "{first}");
}

#[test]
fn patterns_matching_nothing_are_not_problems() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("empty.d")).unwrap();
    let text = format!(
        "include empty.d/*.conf\ninclude /nonexistent-swarmdeck/*.conf\ninclude {{a,b}}.conf\n{TAIL}"
    );
    let parsed = timed("no match", || {
        parse_str(&text, &dir.path().join("keepalived.conf"))
    });
    assert_eq!(parsed.errors, vec![]);
    assert_eq!(parsed.instances.len(), 1);
}

#[test]
fn devices_are_not_read() {
    let main = Path::new("/nonexistent/keepalived.conf");
    let parsed = timed("include /dev/zero", || {
        parse_str(&format!("include /dev/zero\n{TAIL}"), main)
    });
    assert_eq!(parsed.instances.len(), 1);
    assert_eq!(parsed.errors.len(), 1, "{}", messages(&parsed));
    let error = &parsed.errors[0];
    assert_eq!(error.line, 1);
    assert!(error.message.contains("not a regular file"), "{error}");
}

#[test]
fn double_star_is_one_level_as_in_keepalived() {
    let dir = tempfile::tempdir().unwrap();
    let deep = dir.path().join("a/b");
    fs::create_dir_all(&deep).unwrap();
    fs::write(dir.path().join("a/x.conf"), "vrrp_instance ONE { }\n").unwrap();
    fs::write(deep.join("x.conf"), "vrrp_instance TWO { }\n").unwrap();
    // POSIX glob(), which keepalived uses, has no recursive `**`: it is `*`.
    let parsed = timed("**", || {
        parse_str(
            "include **/x.conf\ninclude a/b**/x.conf\n",
            &dir.path().join("keepalived.conf"),
        )
    });
    assert_eq!(parsed.errors, vec![]);
    let names: Vec<&str> = parsed.instances.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["ONE", "TWO"]);
}

#[test]
fn too_many_lines_stop_reading_with_a_report() {
    let text = format!("{TAIL}{}{TAIL}", "\n".repeat(1_000_000));
    let parsed = timed("1,000,000 empty lines", || {
        parse_str(&text, Path::new("/nonexistent/keepalived.conf"))
    });
    assert_eq!(parsed.instances.len(), 1);
    assert_eq!(parsed.errors.len(), 1, "{}", messages(&parsed));
    let error = &parsed.errors[0];
    assert_eq!(error.line, 1_000_001);
    assert!(
        error.message.contains("more than 1,000,000 lines"),
        "{error}"
    );
}

#[test]
fn too_many_words_stop_reading_with_a_report() {
    let text = format!("{TAIL}{}\n{TAIL}", "{}".repeat(500_000));
    let parsed = timed("1,000,000 braces", || {
        parse_str(&text, Path::new("/nonexistent/keepalived.conf"))
    });
    assert_eq!(parsed.instances.len(), 1);
    assert_eq!(parsed.errors.len(), 1, "{}", messages(&parsed));
    let error = &parsed.errors[0];
    assert_eq!(error.line, 6);
    assert!(
        error
            .message
            .contains("more than 1,000,000 words and braces"),
        "{error}"
    );
}

#[test]
fn oversized_file_is_cut_at_the_byte_limit() {
    let dir = tempfile::tempdir().unwrap();
    let main = dir.path().join("keepalived.conf");
    // 17 MiB of comment after a good instance: the first 16 MiB are read.
    let mut text = String::from(TAIL);
    let comment = format!("#{}\n", "x".repeat(1023));
    text.push_str(&comment.repeat(17 * 1024));
    fs::write(&main, &text).unwrap();
    let parsed = timed("17 MiB", || load(&main));
    assert_eq!(parsed.instances.len(), 1);
    assert_eq!(parsed.errors.len(), 1, "{}", messages(&parsed));
    let error = &parsed.errors[0];
    assert_eq!(error.file, main);
    // The cut is after the last whole line within 16 MiB: TAIL's 5 lines, then comment lines.
    let comments = ((16 << 20) - TAIL.len()) / comment.len();
    assert_eq!(error.line, 5 + comments + 1, "{error}");
    assert!(error.message.contains("16 MiB"), "{error}");
}
