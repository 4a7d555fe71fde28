//! What a real engine cannot be made to send: an event bollard cannot decode. A tiny fake
//! Docker server on a unix socket serves /events; the watcher must pass on what it can,
//! resubscribe past the bad event (not get it replayed forever), and drop replayed events.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bollard::{API_DEFAULT_VERSION, Docker};
use swarmdeck::engine::events::{EventKind, WatchMsg, watch};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixListener;
use tokio::sync::mpsc;

const T0: i64 = 1_700_000_000_000_000_000;

fn event(typ: &str, id: &str, action: &str, nano: i64) -> String {
    format!(
        r#"{{"Type":"{typ}","Action":"{action}","Actor":{{"ID":"{id}","Attributes":{{"name":"{id}"}}}},"scope":"swarm","time":{},"timeNano":{nano}}}"#,
        nano / 1_000_000_000
    )
}

/// Serve one /events request per connection: the Nth connection gets `bodies[N]`, then the
/// connection closes (ending the stream). Records each request line.
async fn serve(
    listener: UnixListener,
    bodies: Vec<Vec<String>>,
    requests: Arc<Mutex<Vec<String>>>,
) {
    let mut n = 0;
    loop {
        let Ok((mut sock, _)) = listener.accept().await else {
            return;
        };
        let mut buf = vec![0u8; 8192];
        let mut got = Vec::new();
        while !got.windows(4).any(|w| w == b"\r\n\r\n") {
            let Ok(k) = sock.read(&mut buf).await else {
                break;
            };
            if k == 0 {
                break;
            }
            got.extend_from_slice(&buf[..k]);
        }
        let line = String::from_utf8_lossy(&got)
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        requests.lock().expect("requests lock").push(line);
        let body = bodies.get(n).cloned();
        n += 1;
        let mut resp = String::from(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        );
        for ev in body.clone().unwrap_or_default() {
            let chunk = format!("{ev}\n");
            resp.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
        }
        if body.is_some() && n < bodies.len() {
            resp.push_str("0\r\n\r\n");
            let _ = sock.write_all(resp.as_bytes()).await;
            let _ = sock.shutdown().await;
        } else {
            // the last body: keep the stream open, as a live engine does
            let _ = sock.write_all(resp.as_bytes()).await;
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
    }
}

#[tokio::test]
async fn undecodable_event_is_stepped_past_and_replays_are_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("docker.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let bodies = vec![
        // first subscription: a good event, then one with a Type bollard does not know
        vec![
            event("node", "n1", "update", T0 + 1),
            event("hologram", "x", "beam", T0 + 3),
        ],
        // resubscription: the engine replays the good one; then a new one
        vec![
            event("node", "n1", "update", T0 + 1),
            event("service", "web", "update", T0 + 7),
        ],
    ];
    tokio::spawn(serve(listener, bodies, requests.clone()));

    let docker = Docker::connect_with_unix(
        &format!("unix://{}", path.display()),
        5,
        API_DEFAULT_VERSION,
    )
    .unwrap();
    let (tx, mut rx) = mpsc::channel(64);
    let watcher = tokio::spawn(watch(docker, tx));

    let mut events = Vec::new();
    let mut unreadable = Vec::new();
    let mut resumed = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !events
        .iter()
        .any(|(_, name, _): &(EventKind, String, i64)| name == "web")
    {
        let msg = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "timed out; events so far {events:?}, requests {:?}",
                    requests.lock().unwrap()
                )
            })
            .expect("watcher alive");
        match msg {
            WatchMsg::Event(e) => events.push((e.kind, e.name, e.time_nano)),
            WatchMsg::Unreadable(u) => unreadable.extend(u),
            WatchMsg::Resumed { .. } => resumed += 1,
        }
    }
    watcher.abort();

    // the good event once (its replay dropped), the bad one read leniently, then the new one
    assert_eq!(
        events,
        vec![
            (EventKind::Node, "n1".to_string(), T0 + 1),
            (EventKind::Other("unknown".into()), "x".to_string(), T0 + 3),
            (EventKind::Service, "web".to_string(), T0 + 7),
        ]
    );
    assert_eq!(unreadable.len(), 1);
    assert_eq!(
        unreadable[0].path, "event.Type",
        "the unreadable field is named"
    );
    assert!(resumed >= 1, "the loop is told to resync");
    let reqs = requests.lock().unwrap().clone();
    assert!(reqs.len() >= 2, "{reqs:?}");
    assert!(
        !reqs[0].contains("since="),
        "first subscription starts now: {}",
        reqs[0]
    );
    // resubscribed from just after the bad event (1700000000.000000004), so it is not replayed
    assert!(
        reqs[1].contains("since=1700000000.000000004"),
        "{}",
        reqs[1]
    );
}
