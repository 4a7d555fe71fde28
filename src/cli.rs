//! Command-line arguments.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "swarmdeck",
    version,
    about = "Keyboard-driven dashboard for highly available Docker Swarm clusters"
)]
pub struct Cli {
    /// A manager endpoint (unix:///path, tcp://host:port, ssh://user@host); repeat for several,
    /// tried in order. Default: `endpoints` from the config file, then DOCKER_HOST, then
    /// unix:///var/run/docker.sock.
    #[arg(long = "host", short = 'H', value_name = "ENDPOINT", global = true)]
    pub hosts: Vec<String>,
    /// Config file (default: the XDG config dir's swarmdeck/config.toml).
    #[arg(long, value_name = "PATH", global = true)]
    pub config: Option<PathBuf>,
    /// Theme name (default, light, mono, or one in the themes folder) or a .toml path.
    #[arg(long, value_name = "NAME", global = true)]
    pub theme: Option<String>,
    /// A keepalived virtual IP to watch (repeatable); adds to `vips` in the config file and
    /// to the VIPs found in the keepalived configuration.
    #[arg(long = "vip", value_name = "ADDR", global = true)]
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
    /// Print a one-shot snapshot: exit 0 healthy, 1 degraded, 2 no quorum/leader, 3 unreachable.
    Status {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Bring up the built-in lab (if it is not up) and open the dashboard on it.
    Demo,
    /// Manage the built-in lab: up [N] [--workers M], down, status, kill NODE, restore NODE,
    /// stop-vip NODE, start-vip NODE (see docs/lab.md).
    Lab {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}
