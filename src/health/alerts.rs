//! Alert rules: the active conditions the alerts bar shows under the header, and that
//! `swarmdeck status` lists and turns into its exit code. Pure.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    Warning,
}

/// One active condition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    pub severity: Severity,
    /// Stable while the condition lasts ("node-unreachable:<node id>"), so that a new one
    /// (the bell) is told from one still active.
    pub key: String,
    /// One plain line: "crashy: 14 restarts in 5 min, last exit 1".
    pub text: String,
}
