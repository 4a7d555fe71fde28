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
    /// the config file, its [keys], DOCKER_HOST, or the docker context named is wrong
    /// (sysexits EX_CONFIG)
    pub const CONFIG: u8 = 78;
    /// `config apply`/`rollback`/`subscribe`…: refused, nothing changed — the document is
    /// invalid, someone else published first or changed the same pointers, the plan was not
    /// confirmed, or the version asked for does not exist
    pub const REFUSED: u8 = 4;
}

const EXIT_CODES: &str = "\
Exit codes:
  0    healthy (status) / quit normally
  1    degraded (status): an alert (a node down or unreachable from here, a service
       below desired, a crash loop, a VIP alarm, a multi-manager swarm that cannot
       lose another manager; docs/alerts.md) or unreadable data
  2    no quorum or no leader (status)
  1    config drift: a subscribed task is not on the current version; config apply,
       rollback, subscribe: a service's rollout failed (the message says which and why)
  3    no manager could be reached (status, config)
  4    config: refused, nothing changed (invalid document or schema violation, a
       concurrent publish or overlapping edits, not confirmed, no such version)
  64   usage error: unknown flag or bad value (e.g. --host tcp://)
  70   internal error (terminal, runtime)
  78   config error: the config file, its [keys], DOCKER_HOST, or a docker context
       (missing or unreadable: the message names it and its file)
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
    /// tried in order. Default: --context, then `endpoints` from the config file, then
    /// DOCKER_HOST, then DOCKER_CONTEXT, then the docker CLI's current context, then
    /// unix:///var/run/docker.sock.
    #[arg(long = "host", short = 'H', value_name = "ENDPOINT", global = true, value_parser = host_arg)]
    pub hosts: Vec<String>,
    /// A docker context (as `docker context ls` lists them, from $DOCKER_CONFIG or
    /// ~/.docker): its endpoint and TLS material. "default" is DOCKER_HOST, else the local
    /// socket. Not with --host (as the docker CLI).
    #[arg(long, value_name = "NAME", global = true, conflicts_with = "hosts")]
    pub context: Option<String>,
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
    /// No terminal bell on a new critical alert (also `bell = false` in the config file).
    #[arg(long, global = true)]
    pub no_bell: bool,
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
        /// Do not probe the nodes from here (their raft or gossip port): for a host that
        /// cannot reach the nodes' addresses, where every node would be "unreachable from
        /// here".
        #[arg(long)]
        no_probe: bool,
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
    /// Global config documents: versioned JSON stored as Swarm configs and rolled out to
    /// the services that subscribe to them (see docs/config-editor.md).
    #[command(after_help = EXIT_CODES)]
    Config {
        /// The document.
        #[arg(long, value_name = "NAME", default_value = crate::gconfig::DEFAULT_DOC, global = true)]
        doc: String,
        #[command(subcommand)]
        cmd: ConfigCmd,
    },
    /// Manage the built-in lab: up [N] [--workers M], down, status, kill NODE, restore NODE,
    /// stop-vip NODE, start-vip NODE, workload, workload-rm (see docs/lab.md).
    Lab {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

/// `swarmdeck config …`
#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// Print a version of a document (default: the current one).
    Get {
        /// The document (same as --doc).
        name: Option<String>,
        #[arg(long, value_name = "N")]
        version: Option<u64>,
        /// Print the document's JSON Schema instead.
        #[arg(long)]
        schema: bool,
    },
    /// Validate FILE ("-": stdin), print the plan, and after `y` (or --yes) publish it as the
    /// next version and roll it out to every subscribed service.
    Apply {
        file: PathBuf,
        /// Do not ask: publish and roll out after printing the plan.
        #[arg(long)]
        yes: bool,
        /// The version FILE was edited from: if a newer one exists, merge by JSON pointer (or
        /// refuse, listing the pointers both changed).
        #[arg(long, value_name = "N")]
        base: Option<u64>,
        /// FILE is the document's JSON Schema (published as `…-schema.vN`; no rollout).
        #[arg(long)]
        schema: bool,
        #[command(flatten)]
        rollout: RolloutArgs,
    },
    /// The versions: number, author, time, size.
    History {
        #[arg(long)]
        json: bool,
    },
    /// The changes from version A to version B, by JSON pointer and as text.
    Diff { a: u64, b: u64 },
    /// Publish version N's content as a new version (with the same plan) and roll it out.
    Rollback {
        n: u64,
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        rollout: RolloutArgs,
    },
    /// Subscribe SERVICE: mount the current version at PATH in its containers (one update).
    Subscribe {
        service: String,
        path: String,
        #[arg(long, value_name = "SECONDS", default_value_t = 180)]
        timeout: u64,
    },
    /// Unsubscribe SERVICE: remove the label and the mounted config (one update).
    Unsubscribe {
        service: String,
        #[arg(long, value_name = "SECONDS", default_value_t = 180)]
        timeout: u64,
    },
    /// Which version every subscribed task runs, per service and node; exit 0 when all run
    /// the current version, 1 otherwise.
    Drift {
        #[arg(long)]
        json: bool,
    },
}

/// `--keep`: a count of versions, at least 1.
fn keep_arg(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1 (the current version is always kept)".to_string()),
        Ok(n) => Ok(n),
        Err(_) => Err("expected a number of versions, at least 1".to_string()),
    }
}

#[derive(Debug, Clone, clap::Args)]
pub struct RolloutArgs {
    /// Keep the newest K versions; older ones are deleted when no service uses them
    /// (default: `config_keep` in the config file, else 10).
    #[arg(long, value_name = "K", value_parser = keep_arg)]
    pub keep: Option<usize>,
    /// The longest one service's rollout may take.
    #[arg(long, value_name = "SECONDS", default_value_t = 180)]
    pub timeout: u64,
}
