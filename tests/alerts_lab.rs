//! The alert rules against the real lab (issue 11), through `swarmdeck status`: a
//! crash-looping service raises the restart alert with its exit code, and fixing it clears
//! the alert. Needs root; brings the lab up itself.

mod common;

use std::process::Command;
use std::time::Duration;

use common::lab::{self, LabGuard, wait_for};
use serde_json::Value;

const NAME: &str = "t-alerts-crashy";

/// The service, removed however the test ends.
struct Crashy<'a>(&'a LabGuard);

impl Drop for Crashy<'_> {
    fn drop(&mut self) {
        let _ = lab::lab(&["docker", "node1", "service", "rm", NAME]);
    }
}

fn status(lab: &LabGuard) -> (Option<i32>, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_swarmdeck"))
        .args(lab.host_args())
        .args(["status", "--json"])
        .output()
        .expect("run swarmdeck status");
    let json = serde_json::from_slice(&out.stdout).expect("status prints JSON");
    (out.status.code(), json)
}

fn crash_alert(report: &Value) -> Option<Value> {
    report["alerts"]
        .as_array()?
        .iter()
        .find(|a| {
            a["key"]
                .as_str()
                .is_some_and(|k| k.starts_with("crash-loop:"))
        })
        .cloned()
}

#[test]
fn a_crash_loop_is_an_alert_with_its_exit_code_and_a_fix_clears_it() {
    let lab = lab::take();
    // healthy before: no alert at all (every node answers from here too)
    wait_for("status healthy", Duration::from_secs(60), || {
        let (code, report) = status(&lab);
        code == Some(0) && report["alerts"].as_array().is_some_and(Vec::is_empty)
    });

    let _ = lab::lab(&["docker", "node1", "service", "rm", NAME]);
    let crashy = Crashy(&lab);
    crashy.0.docker(
        "node1",
        &[
            "service",
            "create",
            "-d",
            "--name",
            NAME,
            "--no-resolve-image",
            "--replicas",
            "1",
            "--restart-condition",
            "any",
            "--restart-delay",
            "1s",
            "swarmdeck/busybox:lab",
            "sh",
            "-c",
            "sleep 1; echo 'out of coffee' >&2; exit 3",
        ],
    );

    let mut last = Value::Null;
    wait_for(
        "the crash-loop alert with exit 3",
        Duration::from_secs(120),
        || {
            let (code, report) = status(&lab);
            let found = crash_alert(&report).is_some_and(|a| {
                a["severity"] == "critical"
                    && a["text"].as_str().is_some_and(|t| {
                        t.starts_with(&format!("{NAME}: "))
                            && t.contains(" restarts in 5 min, last exit 3")
                    })
            });
            let ok = found && code == Some(1) && report["health"] == "degraded";
            last = report;
            ok
        },
    );
    let alert = crash_alert(&last).expect("alert");
    let count: usize = alert["text"]
        .as_str()
        .and_then(|t| t.split(": ").nth(1))
        .and_then(|t| t.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("a count");
    assert!(count >= 3, "{alert}");

    // fixed: a command that stays up. The update starts the count again
    crashy.0.docker(
        "node1",
        &["service", "update", "-d", "--args", "sleep 3600", NAME],
    );
    wait_for(
        "the crash-loop alert cleared",
        Duration::from_secs(90),
        || {
            let (_, report) = status(&lab);
            crash_alert(&report).is_none()
        },
    );
    wait_for("status healthy again", Duration::from_secs(90), || {
        status(&lab).0 == Some(0)
    });
}
