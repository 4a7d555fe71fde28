//! `swarmdeck lab …` and `swarmdeck demo`: the project's real-swarm lab, embedded so the
//! binary can bring it up anywhere (the script lives at tests/lab/lab.sh).

use std::path::PathBuf;
use std::process::{Command, ExitStatus, Output};

use anyhow::{Context, bail};

const SCRIPT: &str = include_str!("../tests/lab/lab.sh");

/// Write the embedded script where it can be run, and return its path.
fn script_path() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("swarmdeck-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join("lab.sh");
    std::fs::write(&path, SCRIPT).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// Run `lab.sh ARGS…` with the terminal attached.
pub fn run(args: &[String]) -> anyhow::Result<ExitStatus> {
    let path = script_path()?;
    let status = Command::new("bash")
        .arg(&path)
        .args(args)
        .status()
        .context("running bash")?;
    let _ = std::fs::remove_dir_all(path.parent().unwrap_or(&path));
    Ok(status)
}

/// Run `lab.sh ARGS…` with its output captured.
fn output(args: &[&str]) -> anyhow::Result<Output> {
    let path = script_path()?;
    let out = Command::new("bash")
        .arg(&path)
        .args(args)
        .output()
        .context("running bash");
    let _ = std::fs::remove_dir_all(path.parent().unwrap_or(&path));
    out
}

/// A script's exit status as a process exit code (1 if it was ended by a signal).
fn exit_code(status: ExitStatus) -> u8 {
    u8::try_from(status.code().unwrap_or(1)).unwrap_or(1)
}

/// What `lab.sh status` says of the running lab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabStatus {
    pub managers: Vec<String>,
    pub vip: Option<std::net::IpAddr>,
}

/// The running lab's manager sockets and VIP, from `lab.sh status`.
pub fn status() -> anyhow::Result<LabStatus> {
    let out = output(&["status"])?;
    if !out.status.success() {
        bail!(
            "the lab is not up:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(LabStatus {
        managers: parse_status_sockets(&text),
        vip: parse_status_vip(&text),
    })
}

/// `swarmdeck demo`: deploy the demo workload (`lab.sh workload`: only what is missing of it,
/// without waiting for it to converge), which prints one line saying what it created. A
/// warning for the dashboard if that failed.
pub fn deploy_demo() -> anyhow::Result<Option<String>> {
    let st = run(&["workload".to_string()])?;
    Ok((!st.success()).then(|| {
        "the demo workload was not fully deployed (the reason is in the terminal after you quit)"
            .to_string()
    }))
}

/// `swarmdeck demo --clean`: remove the demo workload (`lab.sh workload-rm`: every service
/// labelled `swarmdeck.demo=true`). The exit code: 0 once removed (or if there was none), 1 if
/// the lab is not up, else the script's.
pub fn clean_demo() -> anyhow::Result<u8> {
    if !output(&["status"])?.status.success() {
        eprintln!(
            "swarmdeck: the lab is not up, so there is no demo workload to remove \
             (`swarmdeck demo` brings up both)"
        );
        return Ok(1);
    }
    Ok(exit_code(run(&["workload-rm".to_string()])?))
}

/// The VIP of `lab.sh status` output (first line `vip=ADDR owner=…`).
pub fn parse_status_vip(text: &str) -> Option<std::net::IpAddr> {
    text.split_whitespace()
        .find_map(|f| f.strip_prefix("vip="))
        .and_then(|v| v.parse().ok())
}

/// Sockets of the managers in `lab.sh status` output (lines like
/// `node1 role=manager socket=unix:///… addr=… docker=up …`).
pub fn parse_status_sockets(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.split_whitespace().any(|f| f == "role=manager"))
        .filter_map(|l| {
            l.split_whitespace()
                .find_map(|f| f.strip_prefix("socket="))
                .map(str::to_string)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockets_from_status() {
        let text = "vip=198.51.100.100 owner=node1\n\
            node1 role=manager socket=unix:///var/lib/swarmdeck-lab/sdlab/node1/docker.sock addr=198.51.100.11 docker=up keepalived=MASTER link=up\n\
            node4 role=worker socket=unix:///var/lib/swarmdeck-lab/sdlab/node4/docker.sock addr=198.51.100.14 docker=up keepalived=BACKUP link=up\n";
        assert_eq!(
            parse_status_sockets(text),
            vec!["unix:///var/lib/swarmdeck-lab/sdlab/node1/docker.sock"]
        );
        assert_eq!(parse_status_vip(text), "198.51.100.100".parse().ok());
    }
}
