//! HA truth while the cluster fails (issue 11): what the dashboard itself sees of the
//! nodes (`probe`: reachability from here), the event timeline (`timeline`), the alert
//! rules shared by the dashboard and `swarmdeck status` (`alerts`), and the pending / failed
//! task explainer (`explain`). Everything here but the probe task is pure.

pub mod alerts;
pub mod digest;
pub mod eventlog;
pub mod explain;
pub mod probe;
pub mod timeline;
pub mod watch;

use jiff::Timestamp;

/// Failed probes in a row after which a node is "unreachable from here".
pub const SUSPECT_AFTER: u32 = 2;

/// A node as this host sees it: the dashboard's own TCP probe of its raft port (managers,
/// 2377) or gossip port (workers, 7946), about once a second.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reach {
    /// `addr:port` probed.
    pub target: String,
    /// Failed probes in a row (0: the last one answered).
    pub failures: u32,
    /// When the first of these failures was seen.
    pub failing_since: Option<Timestamp>,
    /// The last failure's reason ("connection refused", "no answer within 800 ms").
    pub error: String,
}

impl Reach {
    /// Two failed probes in a row: shown beside the engine's own state.
    pub fn unreachable(&self) -> bool {
        self.failures >= SUSPECT_AFTER
    }
}

/// The leader as the engine reported it changed (`None`: no leader).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaderChange {
    pub at: Timestamp,
    pub from: Option<String>,
    pub to: Option<String>,
}
