//! The event timeline (`:events`): what happened to the swarm, as seen from here, one plain
//! line each. Bounded in memory; appended to a JSON-lines file under the XDG state dir.

use std::collections::VecDeque;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// How many events are kept in memory.
pub const KEEP: usize = 2000;

/// What an event is about (the `:events` filter and the file's `kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Node,
    Leader,
    Service,
    Task,
    Vip,
    /// The dashboard's own connection: lost, failed over, reconnected.
    Connection,
    /// The dashboard's own probes: unreachable from here, reachable again.
    Suspicion,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warn,
    Critical,
}

/// One line of the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub at: Timestamp,
    pub kind: Kind,
    pub severity: Severity,
    /// What it is about (a node's hostname, a service's name, a VIP, an endpoint).
    pub subject: String,
    /// One plain line: "node1 unreachable from here (2 probes of 198.51.100.11:2377 failed)".
    pub text: String,
}

/// The timeline in memory: oldest first, at most [`KEEP`].
#[derive(Debug, Default)]
pub struct Timeline {
    pub events: VecDeque<Event>,
    /// Events not yet written to the file (taken by the app's writer).
    pub unwritten: Vec<Event>,
}

impl Timeline {
    pub fn push(
        &mut self,
        at: Timestamp,
        kind: Kind,
        severity: Severity,
        subject: impl Into<String>,
        text: impl Into<String>,
    ) {
        let ev = Event {
            at,
            kind,
            severity,
            subject: subject.into(),
            text: text.into(),
        };
        self.unwritten.push(ev.clone());
        self.events.push_back(ev);
        while self.events.len() > KEEP {
            self.events.pop_front();
        }
    }
}
