//! What a real engine cannot be made to do, end to end through the engine loop: the events
//! stream sends an event bollard cannot decode and then closes. The engine must resubscribe,
//! resync every list, and so show a change made while the stream was down — with every
//! periodic poll switched off, the resync is the only way the change can arrive. A tiny
//! fake Docker server on a unix socket answers with the JSON recorded from the lab.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use serde_json::Value;
use swarmdeck::domain::NodeState;
use swarmdeck::engine::{self, EngineMsg, Timings};
use swarmdeck::store::Store;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::Notify;

fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("fixture JSON")
}

struct Fake {
    nodes: Mutex<Value>,
    /// Event subscriptions seen (their request lines).
    subscriptions: Mutex<Vec<String>>,
    /// Tells the first subscription to send the bad event and end.
    break_stream: Notify,
}

const BAD_EVENT: &str = r#"{"Type":"hologram","Action":"beam","Actor":{"ID":"x","Attributes":{"name":"x"}},"scope":"swarm","time":1700000000,"timeNano":1700000000000000003}"#;

async fn handle(mut sock: UnixStream, fake: Arc<Fake>) {
    let mut got = Vec::new();
    let mut buf = vec![0u8; 8192];
    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
        match sock.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(k) => got.extend_from_slice(&buf[..k]),
        }
    }
    let line = String::from_utf8_lossy(&got)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    let full = line
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string();
    let path = full.split('?').next().unwrap_or_default();
    if path.ends_with("/events") {
        let n = {
            let mut subs = fake.subscriptions.lock().expect("lock");
            subs.push(full.clone());
            subs.len()
        };
        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nApi-Version: 1.41\r\nTransfer-Encoding: chunked\r\n\r\n";
        let _ = sock.write_all(head.as_bytes()).await;
        if n == 1 {
            fake.break_stream.notified().await;
            let chunk = format!("{BAD_EVENT}\n");
            let _ = sock
                .write_all(format!("{:x}\r\n{chunk}\r\n0\r\n\r\n", chunk.len()).as_bytes())
                .await;
            let _ = sock.shutdown().await;
        } else {
            // a live engine keeps the stream open
            tokio::time::sleep(Duration::from_secs(120)).await;
        }
        return;
    }
    let body = if path.ends_with("/_ping") {
        "OK".to_string()
    } else if path.ends_with("/version") {
        fixture("engine-version.json").to_string()
    } else if path.ends_with("/info") {
        fixture("engine-info.json").to_string()
    } else if path.ends_with("/nodes") {
        fake.nodes.lock().expect("lock").to_string()
    } else if path.ends_with("/services") {
        fixture("engine-services.json").to_string()
    } else if path.ends_with("/tasks") {
        fixture("engine-tasks.json").to_string()
    } else {
        "{\"message\":\"not in this fake\"}".to_string()
    };
    let resp = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nApi-Version: 1.41\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = sock.write_all(resp.as_bytes()).await;
    let _ = sock.shutdown().await;
}

async fn serve(listener: UnixListener, fake: Arc<Fake>) {
    while let Ok((sock, _)) = listener.accept().await {
        tokio::spawn(handle(sock, fake.clone()));
    }
}

#[derive(Default)]
struct Seen {
    resumed: usize,
    unreadable: Vec<swarmdeck::domain::Unreadable>,
    lost: usize,
}

impl Seen {
    fn step(&mut self, store: &mut Store, msg: EngineMsg) {
        match &msg {
            EngineMsg::EventsResumed { .. } => self.resumed += 1,
            EngineMsg::Unreadable(u) => self.unreadable.extend(u.clone()),
            EngineMsg::Lost { .. } => self.lost += 1,
            _ => {
                store.apply(msg, Timestamp::now());
            }
        }
    }
}

/// Nothing but the events stream and the resync can bring news: no polls in the test's time.
fn no_polls() -> Timings {
    Timings {
        task_poll: Duration::from_secs(600),
        node_poll: Duration::from_secs(600),
        reconcile: Duration::from_secs(600),
        heartbeat: Duration::from_secs(1),
        heartbeat_failures: 2,
        debounce: Duration::from_millis(50),
        retry: Duration::from_millis(500),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undecodable_event_and_a_closed_stream_resync_and_no_change_is_lost() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sock = dir.path().join("docker.sock");
    let listener = UnixListener::bind(&sock).expect("bind");
    let fake = Arc::new(Fake {
        nodes: Mutex::new(fixture("engine-nodes.json")),
        subscriptions: Mutex::new(Vec::new()),
        break_stream: Notify::new(),
    });
    tokio::spawn(serve(listener, fake.clone()));
    let mut eng = engine::spawn(vec![format!("unix://{}", sock.display())], no_polls());
    let mut store = Store::default();
    let mut seen = Seen::default();

    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while store.nodes.is_empty() || fake.subscriptions.lock().expect("lock").is_empty() {
        let msg = engine::recv_until(&mut eng.rx, deadline)
            .await
            .expect("the first read");
        seen.step(&mut store, msg);
    }
    let victim = store.nodes[0].hostname.clone();
    assert_ne!(store.nodes[0].state, NodeState::Down);

    // the change happens while the stream is about to break: only a resync can show it
    {
        let mut nodes = fake.nodes.lock().expect("lock");
        nodes[0]["Status"]["State"] = "down".into();
        nodes[0]["Status"]["Message"] = "heartbeat failure".into();
    }
    fake.break_stream.notify_one();
    while !store
        .nodes
        .iter()
        .any(|n| n.hostname == victim && n.state == NodeState::Down)
        || fake.subscriptions.lock().expect("lock").len() < 2
        || seen.resumed == 0
    {
        let msg = engine::recv_until(&mut eng.rx, deadline)
            .await
            .unwrap_or_else(|| {
                panic!(
                    "the change made while the stream broke never arrived; subscriptions {:?}",
                    fake.subscriptions.lock().unwrap()
                )
            });
        seen.step(&mut store, msg);
    }
    let subs = fake.subscriptions.lock().expect("lock").clone();
    assert!(subs.len() >= 2, "resubscribed: {subs:?}");
    assert!(
        subs[1].contains("since=1700000000.000000004"),
        "resubscribed from just after the bad event: {subs:?}"
    );
    assert!(seen.resumed >= 1, "the loop was told to resync");
    assert_eq!(
        seen.unreadable.first().map(|u| u.path.as_str()),
        Some("event.Type"),
        "the unreadable field is named"
    );
    assert_eq!(seen.lost, 0, "a broken events stream is not a lost manager");
}
