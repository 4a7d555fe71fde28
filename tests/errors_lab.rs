//! `:errors` against the real lab, driven by keys in a real terminal (tmux) as an operator
//! would: a service writes `ERROR timeout after N ms` twelve times with twelve different N
//! (and info lines between them); the digest shows one group of 12, naming the service and
//! its task's node, with the count checked against `docker service logs` through the lab's
//! docker CLI. Reading again (`r`) counts nothing twice; `/` filters; a window key reads the
//! window again.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::lab::{self, LabGuard};
use common::tmux::Tmux;

const SERVICE: &str = "er-timeouts";
/// The N of each error line: all different, in no order.
const NS: [u32; 12] = [7, 3, 12, 1, 9, 5, 11, 2, 8, 4, 10, 6];
const GROUP: &str = "12× ERROR timeout after <n> ms · er-timeouts";

/// The dashboard in tmux.
struct Dash {
    t: Tmux,
}

impl Dash {
    fn start(lab: &LabGuard, dir: &Path) -> Self {
        let bin = env!("CARGO_BIN_EXE_swarmdeck");
        let d = dir.display();
        let cmd = format!(
            "clear; XDG_STATE_HOME={d} XDG_DATA_HOME={d} XDG_CONFIG_HOME={d} HOME={d} USER=tester {bin} {} ; echo SWARMDECK-EXIT=$?",
            lab.host_args().join(" ")
        );
        let dash = Dash {
            t: Tmux::start(&cmd, 140, 40),
        };
        dash.wait("the dashboard", Duration::from_secs(60), |s| {
            s.contains("node1") && s.contains("live") && s.contains(SERVICE)
        });
        dash
    }

    fn send(&self, keys: &[&str]) {
        self.t.send(keys);
    }

    /// Poll the screen (every 200 ms) until `f` holds.
    fn wait(&self, what: &str, limit: Duration, f: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + limit;
        let mut last = String::new();
        while Instant::now() < deadline {
            last = self.t.screen();
            if f(&last) {
                return last;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("timed out after {limit:?} waiting for {what}; screen:\n{last}");
    }

    /// One Escape, and past tmux's escape-time before the next key.
    fn escape(&self) {
        self.send(&["Escape"]);
        std::thread::sleep(Duration::from_millis(700));
    }
}

/// The service's error lines as the docker CLI reads them.
fn cli_errors(lab: &LabGuard) -> Vec<String> {
    lab.docker("node1", &["service", "logs", "--raw", SERVICE])
        .lines()
        .filter(|l| l.contains("ERROR timeout after"))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_digest_groups_twelve_timeouts_with_different_numbers_into_one() {
    let lab: LabGuard = lab::take();
    let _cleanup = lab::RmServices(vec![SERVICE]);
    let _ = lab::lab(&["docker", "node1", "service", "rm", SERVICE]);
    let script = format!(
        "for n in {}; do echo \"ERROR timeout after $n ms\"; echo \"INFO request $n served in 3${{n}}ms\"; done; echo 'WARN slow disk' >&2; sleep 3600",
        NS.map(|n| n.to_string()).join(" ")
    );
    lab.docker(
        "node1",
        &[
            "service",
            "create",
            "-d",
            "--name",
            SERVICE,
            "--no-resolve-image",
            "swarmdeck/busybox:lab",
            "sh",
            "-c",
            &script,
        ],
    );
    lab::wait_for(
        "the service's 12 error lines in docker service logs",
        Duration::from_secs(90),
        || cli_errors(&lab).len() >= 12,
    );
    let cli = cli_errors(&lab);
    assert_eq!(cli.len(), 12, "the docker CLI reads 12: {cli:?}");
    let mut ns: Vec<u32> = cli
        .iter()
        .filter_map(|l| l.split_whitespace().nth(3)?.parse().ok())
        .collect();
    ns.sort_unstable();
    assert_eq!(ns, (1..=12).collect::<Vec<_>>(), "twelve different N");
    let node = lab
        .docker(
            "node1",
            &[
                "service",
                "ps",
                "--filter",
                "desired-state=running",
                "--format",
                "{{.Node}}",
                SERVICE,
            ],
        )
        .trim()
        .to_string();
    assert!(node.starts_with("node"), "its task's node: {node:?}");

    let dir = tempfile::tempdir().expect("temp dir");
    let dash = Dash::start(&lab, dir.path());
    dash.send(&[":"]);
    dash.send(&["-l", "errors"]);
    dash.send(&["Enter"]);
    let opened = Instant::now();
    let s = dash.wait("the group of 12", Duration::from_secs(60), |s| {
        s.contains(GROUP) && s.contains(" · read ")
    });
    println!("the digest read in {:?}:\n{s}", opened.elapsed());
    let row = s
        .lines()
        .find(|l| l.contains(GROUP))
        .expect("the row")
        .to_string();
    assert!(
        row.contains(&format!("{GROUP} · {node} · last ")),
        "the service and its task's node: {row}"
    );
    assert!(
        !s.contains("INFO request") && !s.contains("WARN slow disk"),
        "info and warning lines are not errors: {s}"
    );
    assert!(s.contains("errors · every service · last 15 m"), "{s}");
    // one group, not twelve
    assert_eq!(s.matches("ERROR timeout after <n> ms").count(), 1, "{s}");

    // read again now: nothing is counted twice
    let age = |s: &str| -> Option<u64> {
        let rest = &s[s.find(" · read ")? + " · read ".len()..];
        rest.split_whitespace().next()?.parse().ok()
    };
    dash.wait("the first read to age", Duration::from_secs(30), |s| {
        age(s).is_some_and(|a| a >= 2)
    });
    dash.send(&["r"]);
    let s = dash.wait("the second read", Duration::from_secs(30), |s| {
        age(s).is_some_and(|a| a <= 1)
    });
    assert!(s.contains(GROUP), "still 12: {s}");
    assert!(!s.contains("24× ERROR timeout"), "{s}");

    // the filter
    dash.send(&["/"]);
    dash.send(&["-l", SERVICE]);
    dash.send(&["Enter"]);
    let s = dash.wait("the filtered list", Duration::from_secs(20), |s| {
        s.contains(&format!(" /{SERVICE} "))
    });
    assert!(s.contains(GROUP), "{s}");
    dash.escape();

    // the 5-minute window reads again from its start: the lines are younger than that
    dash.send(&["1"]);
    let s = dash.wait("the 5-minute window", Duration::from_secs(30), |s| {
        s.contains("last 5 m") && s.contains(" · read ") && s.contains(GROUP)
    });
    assert!(!s.contains("24×"), "{s}");
    assert_eq!(cli_errors(&lab).len(), 12, "the CLI still reads 12");

    dash.escape();
    dash.send(&["q"]);
    dash.wait("the dashboard's exit", Duration::from_secs(20), |s| {
        s.contains("SWARMDECK-EXIT=0")
    });
}
