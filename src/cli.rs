//! Command-line arguments.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Exit codes, for every command. `status` uses 0–3 for what it found; the others are the
/// same for every command, so a script can tell a typo or a bad config file from a swarm
/// without quorum.
pub mod exit {
    /// healthy (status), or quit normally
    pub const OK: u8 = 0;
    /// degraded (status): a node down, a service below desired, a manager short of safe
    pub const DEGRADED: u8 = 1;
    /// no quorum or no leader (status)
    pub const NO_QUORUM: u8 = 2;
    /// no manager could be reached (status)
    pub const UNREACHABLE: u8 = 3;
    /// the command line is wrong: an unknown flag, a bad value (sysexits EX_USAGE)
    pub const USAGE: u8 = 64;
    /// something failed that is not the user's input: the terminal, the runtime (EX_SOFTWARE)
    pub const INTERNAL: u8 = 70;
    /// the config file, its [keys], or DOCKER_HOST is wrong (sysexits EX_CONFIG)
    pub const CONFIG: u8 = 78;
}

const EXIT_CODES: &str = "\
Exit codes:
  0    healthy (status) / quit normally
  1    degraded (status): a node down, a service below desired, unreadable data,
       or a multi-manager swarm that cannot lose another manager
  2    no quorum or no leader (status)
  3    no manager could be reached (status)
  64   usage error: unknown flag or bad value (e.g. --host tcp://)
  70   internal error (terminal, runtime)
  78   config error: the config file, its [keys], or DOCKER_HOST
  128+N  ended by signal N (130 SIGINT, 143 SIGTERM, 129 SIGHUP)";

/// `--host`: checked by the one endpoint parser, kept in its canonical form.
fn host_arg(text: &str) -> Result<String, String> {
    crate::endpoint::parse(text).map(|e| e.to_string())
}

#[derive(Debug, Parser)]
#[command(
    name = "swarmdeck",
    version,
    about = "Keyboard-driven dashboard for highly available Docker Swarm clusters",
    after_help = EXIT_CODES
)]
pub struct Cli {
    /// A manager endpoint (unix:///path, tcp://host:port, ssh://user@host); repeat for several,
    /// tried in order. Default: `endpoints` from the config file, then DOCKER_HOST, then
    /// unix:///var/run/docker.sock.
    #[arg(long = "host", short = 'H', value_name = "ENDPOINT", global = true, value_parser = host_arg)]
    pub hosts: Vec<String>,
    /// Config file (default: the XDG config dir's swarmdeck/config.toml).
    #[arg(long, value_name = "PATH", global = true)]
    pub config: Option<PathBuf>,
    /// Theme name (default, light, mono, or one in the themes folder) or a .toml path.
    #[arg(long, value_name = "NAME", global = true)]
    pub theme: Option<String>,
    /// A keepalived virtual IP to watch (repeatable); adds to `vips` in the config file and
    /// to the VIPs found in the keepalived configuration.
    #[arg(long = "vip", value_name = "ADDR", global = true, value_parser = crate::vip::parse_vip_flag)]
    pub vips: Vec<std::net::IpAddr>,
    /// TCP port checked on each VIP (default: `vip_port` in the config file, else 2377).
    #[arg(long, value_name = "PORT", global = true, value_parser = clap::value_parser!(u16).range(1..))]
    pub vip_port: Option<u16>,
    /// keepalived configuration to discover VIPs from (default: `keepalived_conf` in the
    /// config file, else /etc/keepalived/keepalived.conf when it exists).
    #[arg(long, value_name = "PATH", global = true)]
    pub keepalived_conf: Option<PathBuf>,
    /// Change nothing: every write action is absent (also `readonly = true` in the config file).
    #[arg(long, global = true)]
    pub readonly: bool,
    /// Most frames drawn per second.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=120))]
    pub fps: u32,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a one-shot snapshot: exit 0 healthy, 1 degraded, 2 no quorum/leader, 3 unreachable
    /// (64 usage error, 78 config error).
    #[command(after_help = EXIT_CODES)]
    Status {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Bring up the built-in lab (if it is not up), deploy the demo workload (what is missing
    /// of it: a replicated, a global, a job, a pending and a crash-looping service) and open
    /// the dashboard on it.
    Demo {
        /// Remove the demo workload (every service labelled swarmdeck.demo=true) and exit,
        /// without opening the dashboard; exit 1 if the lab is not up.
        #[arg(long)]
        clean: bool,
    },
    /// Manage the built-in lab: up [N] [--workers M], down, status, kill NODE, restore NODE,
    /// stop-vip NODE, start-vip NODE, workload, workload-rm (see docs/lab.md).
    Lab {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}
