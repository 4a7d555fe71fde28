//! The engine's events stream, made dependable.
//!
//! The stream ends after one event bollard cannot decode, and it has no read timeout. So:
//! resubscribe from just after the last event we have seen (`since` with nanoseconds), decode
//! the bad event leniently so we can step past it, and drop events we have already passed on.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Duration;

use bollard::Docker;
use bollard::errors::Error as BollardError;
use bollard::models::EventMessage;
use bollard::query_parameters::EventsOptions;
use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::domain::{Unreadable, lenient};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    Node,
    Service,
    Other(String),
}

/// One node or service event, in our terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwarmEvent {
    /// Nanoseconds since the epoch.
    pub time_nano: i64,
    pub kind: EventKind,
    pub action: String,
    pub actor_id: String,
    /// The actor's `name` attribute (a service name, a node hostname), if any.
    pub name: String,
    pub attributes: Vec<(String, String)>,
}

impl From<EventMessage> for SwarmEvent {
    fn from(e: EventMessage) -> Self {
        let kind = match e.typ.as_ref().map(|t| t.as_ref().to_string()).as_deref() {
            Some("node") => EventKind::Node,
            Some("service") => EventKind::Service,
            Some(other) => EventKind::Other(other.to_string()),
            None => EventKind::Other("unknown".into()),
        };
        let actor = e.actor.unwrap_or_default();
        let attrs: HashMap<String, String> = actor.attributes.unwrap_or_default();
        let name = attrs.get("name").cloned().unwrap_or_default();
        let mut attributes: Vec<_> = attrs.into_iter().collect();
        attributes.sort();
        SwarmEvent {
            time_nano: e
                .time_nano
                .or(e.time.map(|t| t * 1_000_000_000))
                .unwrap_or(0),
            kind,
            action: e.action.unwrap_or_default(),
            actor_id: actor.id.unwrap_or_default(),
            name,
            attributes,
        }
    }
}

impl SwarmEvent {
    fn key(&self) -> (i64, String, String) {
        (self.time_nano, self.actor_id.clone(), self.action.clone())
    }
}

/// Remembers the last events passed on, to drop the ones a resubscription replays.
#[derive(Default)]
pub struct Dedupe {
    seen: HashSet<(i64, String, String)>,
    order: VecDeque<(i64, String, String)>,
    /// The newest event time seen, for `since` on resubscription.
    pub last_nano: Option<i64>,
    /// Resubscribe from after this time (an undecodable event we must not be sent again).
    floor_nano: Option<i64>,
}

impl Dedupe {
    const KEEP: usize = 512;

    /// True when the event is new (and remembers it).
    pub fn admit(&mut self, ev: &SwarmEvent) -> bool {
        let key = ev.key();
        if self.seen.contains(&key) {
            return false;
        }
        self.last_nano = Some(self.last_nano.map_or(ev.time_nano, |l| l.max(ev.time_nano)));
        self.seen.insert(key.clone());
        self.order.push_back(key);
        while self.order.len() > Self::KEEP {
            if let Some(old) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
        true
    }

    /// Never ask for this event again: the engine would replay it and the stream would end
    /// on it once more.
    pub fn step_past(&mut self, time_nano: i64) {
        self.floor_nano = Some(
            self.floor_nano
                .map_or(time_nano + 1, |f| f.max(time_nano + 1)),
        );
    }

    /// The `since` argument for resubscribing: the last event's time (inclusive, so events
    /// in the same nanosecond are replayed and deduplicated rather than lost), or just after
    /// an undecodable event.
    pub fn since(&self) -> Option<String> {
        let n = match (self.last_nano, self.floor_nano) {
            (Some(l), Some(f)) => l.max(f),
            (l, f) => l.or(f)?,
        };
        Some(format!(
            "{}.{:09}",
            n.div_euclid(1_000_000_000),
            n.rem_euclid(1_000_000_000)
        ))
    }
}

pub enum WatchMsg {
    Event(SwarmEvent),
    /// The stream ended (why) and was resubscribed: the receiver should resync.
    Resumed {
        reason: String,
    },
    Unreadable(Vec<Unreadable>),
}

fn options(since: Option<String>) -> EventsOptions {
    let mut filters = HashMap::new();
    filters.insert(
        "type".to_string(),
        vec!["node".to_string(), "service".to_string()],
    );
    EventsOptions {
        since,
        until: None,
        filters: Some(filters),
    }
}

/// Follow the events stream forever (until the receiver is dropped).
pub async fn watch(docker: Docker, tx: mpsc::Sender<WatchMsg>) {
    let mut dedupe = Dedupe::default();
    loop {
        let mut stream = Box::pin(docker.events(Some(options(dedupe.since()))));
        let reason = loop {
            match stream.next().await {
                Some(Ok(msg)) => {
                    let ev = SwarmEvent::from(msg);
                    if dedupe.admit(&ev) && tx.send(WatchMsg::Event(ev)).await.is_err() {
                        return;
                    }
                }
                Some(Err(BollardError::JsonDataError {
                    contents, message, ..
                })) => {
                    // One event we cannot decode. Read what we can of it, pass it on, and
                    // resubscribe after it: bollard's stream does not survive it.
                    let value =
                        serde_json::from_str(contents.trim()).unwrap_or(serde_json::Value::Null);
                    let (msg, problems) = lenient::decode_value::<EventMessage>(value, "event");
                    let problems = if problems.is_empty() {
                        vec![Unreadable {
                            path: "event".into(),
                            reason: message.clone(),
                        }]
                    } else {
                        problems
                    };
                    if tx.send(WatchMsg::Unreadable(problems)).await.is_err() {
                        return;
                    }
                    if let Some(msg) = msg {
                        let ev = SwarmEvent::from(msg);
                        if ev.time_nano > 0 {
                            dedupe.step_past(ev.time_nano);
                        }
                        if dedupe.admit(&ev) && tx.send(WatchMsg::Event(ev)).await.is_err() {
                            return;
                        }
                    }
                    break format!("undecodable event: {message}");
                }
                Some(Err(e)) => break format!("events stream error: {e}"),
                None => break "events stream ended".to_string(),
            }
        };
        // Wait a moment so a dead engine does not spin us; the heartbeat decides death.
        tokio::time::sleep(Duration::from_millis(300)).await;
        if tx.send(WatchMsg::Resumed { reason }).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(t: i64, id: &str, action: &str) -> SwarmEvent {
        SwarmEvent {
            time_nano: t,
            kind: EventKind::Node,
            action: action.into(),
            actor_id: id.into(),
            name: String::new(),
            attributes: vec![],
        }
    }

    #[test]
    fn replayed_events_are_dropped() {
        let mut d = Dedupe::default();
        assert!(d.admit(&ev(1_700_000_000_000_000_001, "n1", "update")));
        assert!(d.admit(&ev(1_700_000_000_000_000_005, "n2", "update")));
        assert!(!d.admit(&ev(1_700_000_000_000_000_001, "n1", "update")));
        assert!(d.admit(&ev(1_700_000_000_000_000_005, "n1", "update")));
        assert_eq!(d.since().as_deref(), Some("1700000000.000000005"));
        d.step_past(1_700_000_000_000_000_005);
        assert_eq!(d.since().as_deref(), Some("1700000000.000000006"));
    }

    #[test]
    fn event_conversion_reads_names() {
        let msg: EventMessage = serde_json::from_str(
            r#"{"Type":"service","Action":"update","Actor":{"ID":"s1","Attributes":{"name":"web"}},"time":1700000000,"timeNano":1700000000000000123}"#,
        )
        .unwrap();
        let ev = SwarmEvent::from(msg);
        assert_eq!(ev.kind, EventKind::Service);
        assert_eq!(ev.name, "web");
        assert_eq!(ev.time_nano, 1_700_000_000_000_000_123);
    }

    #[test]
    fn unknown_event_type_is_read_leniently() {
        let value =
            serde_json::json!({"Type":"hologram","Action":"beam","Actor":{"ID":"x"},"timeNano":5});
        assert!(serde_json::from_value::<EventMessage>(value.clone()).is_err());
        let (msg, problems) = lenient::decode_value::<EventMessage>(value, "event");
        let ev = SwarmEvent::from(msg.unwrap());
        assert_eq!(ev.kind, EventKind::Other("unknown".into()));
        assert_eq!(ev.action, "beam");
        assert_eq!(problems[0].path, "event.Type");
    }
}
