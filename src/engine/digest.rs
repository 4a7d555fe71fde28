//! The error digest's engine side (`:errors`): the recent logs of each service read once
//! (`GET /services/{id}/logs`, no follow, stdout and stderr, timestamps and details), only
//! since a given time and at most `tail` lines per task, a few services at a time, each given
//! up after [`READ_TIMEOUT`] (what came before is kept, and the service is reported as not
//! answering: a node that is down does not hang the digest). Only the error lines are kept,
//! grouped at once ([`crate::health::digest`]); every service's part is sent as soon as it is
//! read ([`EngineMsg::Digest`]), then [`DigestPart::Done`].
//!
//! bollard's `LogsOptions` has neither `details` nor a `since` finer than a second, so the
//! request goes through a request modifier on a clone of the client (the same connection,
//! as `write::raw_request` does for raw JSON) that adds `details=1` and writes `since` with
//! its nanoseconds: a later read starts right after the newest line already read, so nothing
//! is counted twice (a line at or before that time is skipped as well). The details name each
//! line's node (`com.docker.swarm.node.id`) and task.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bollard::container::LogOutput;
use bollard::query_parameters::LogsOptionsBuilder;
use futures_util::StreamExt;
use jiff::Timestamp;
use tokio::sync::mpsc;

use super::{Connection, EngineMsg};
use crate::domain::{NodeId, ServiceId};
use crate::health::digest::{Digest, is_error, parse_line};

/// How long one service's read may take.
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Services read at once.
pub const CONCURRENCY: usize = 4;
/// Lines read per task at most, per read.
pub const TAIL: usize = 2000;

/// Read these services' error lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestCmd {
    /// Chosen by the view, given back with every part (a read for an older window is
    /// ignored).
    pub generation: u64,
    pub targets: Vec<DigestTarget>,
    /// Lines per task at most.
    pub tail: usize,
}

/// One service to read, from `since` on (lines at `since` or before are skipped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestTarget {
    pub service: ServiceId,
    pub name: String,
    pub since: Timestamp,
}

/// What one service's read gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRead {
    pub service: ServiceId,
    pub name: String,
    /// Its error lines, grouped.
    pub digest: Digest,
    /// Lines read (errors or not).
    pub lines: usize,
    /// Of which errors.
    pub errors: usize,
    /// The newest line's time: where the next read starts.
    pub newest: Option<Timestamp>,
    /// A task gave `tail` lines: older ones since `since` were not read.
    pub capped: bool,
    /// The engine gave each line's node (the details could be asked for).
    pub details: bool,
    /// Why the read stopped early (what was read before is in `digest`).
    pub error: Option<String>,
}

/// A part of the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DigestPart {
    Service(Box<ServiceRead>),
    /// Every service was read.
    Done,
}

/// Read the targets as its own task, [`CONCURRENCY`] at a time; not connected: every
/// service is answered with that.
pub fn start(conn: Option<&Connection>, seq: u64, cmd: DigestCmd, tx: &mpsc::Sender<EngineMsg>) {
    let tx = tx.clone();
    let docker = conn.map(|c| c.docker.clone());
    tokio::spawn(async move {
        let generation = cmd.generation;
        let tail = cmd.tail.max(1);
        let send = |part: DigestPart| {
            let tx = tx.clone();
            async move {
                tx.send(EngineMsg::Digest {
                    seq,
                    generation,
                    part,
                })
                .await
                .is_ok()
            }
        };
        match docker {
            None => {
                for t in cmd.targets {
                    let mut r = empty(&t);
                    r.error = Some("not connected to a manager".into());
                    if !send(DigestPart::Service(Box::new(r))).await {
                        return;
                    }
                }
            }
            Some(d) => {
                let mut reads = futures_util::stream::iter(cmd.targets)
                    .map(|t| {
                        let d = d.clone();
                        async move { read(&d, t, tail, READ_TIMEOUT).await }
                    })
                    .buffer_unordered(CONCURRENCY);
                while let Some(r) = reads.next().await {
                    if !send(DigestPart::Service(Box::new(r))).await {
                        return;
                    }
                }
            }
        }
        let _ = send(DigestPart::Done).await;
    });
}

fn empty(t: &DigestTarget) -> ServiceRead {
    ServiceRead {
        service: t.service.clone(),
        name: t.name.clone(),
        digest: Digest::default(),
        lines: 0,
        errors: 0,
        newest: None,
        capped: false,
        details: false,
        error: None,
    }
}

/// `since` as the engine reads it: seconds and nanoseconds.
pub fn since_param(t: Timestamp) -> String {
    format!("{}.{:09}", t.as_second(), t.subsec_nanosecond().max(0))
}

/// The logs request's URI with `details=1` and our `since` (bollard's own `since` dropped);
/// None when it is not a logs request.
pub fn logs_uri(uri: &str, since: &str) -> Option<String> {
    let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
    if !path.ends_with("/logs") {
        return None;
    }
    let mut pairs: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("since=") && !p.starts_with("details="))
        .collect();
    let since = format!("since={since}");
    pairs.push(&since);
    pairs.push("details=1");
    Some(format!("{path}?{}", pairs.join("&")))
}

/// Read one service: its lines since `t.since`, the error ones grouped.
async fn read(
    docker: &bollard::Docker,
    t: DigestTarget,
    tail: usize,
    limit: Duration,
) -> ServiceRead {
    let aimed = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&aimed);
    let since = since_param(t.since);
    let client = docker.clone().with_request_modifier(move |mut req| {
        if let Some(new) = logs_uri(&req.uri().to_string(), &since)
            && let Ok(uri) = new.parse()
        {
            *req.uri_mut() = uri;
            flag.store(true, Ordering::SeqCst);
        }
        req
    });
    let options = LogsOptionsBuilder::new()
        .stdout(true)
        .stderr(true)
        .follow(false)
        .timestamps(true)
        // what the modifier could not replace: whole seconds
        .since(i32::try_from(t.since.as_second()).unwrap_or(0))
        .tail(&tail.to_string())
        .build();
    let mut out = empty(&t);
    let mut fold = Fold::new(t.since, tail);
    let mut stream = client.service_logs(t.service.as_str(), Some(options));
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Err(_) => {
                let within = if limit.as_secs() > 0 {
                    format!("{} s", limit.as_secs())
                } else {
                    format!("{} ms", limit.as_millis())
                };
                out.error = Some(format!(
                    "no answer within {within} (is one of its nodes down?); what came before is counted"
                ));
                break;
            }
            Ok(None) => break,
            Ok(Some(Ok(frame))) => {
                let details = aimed.load(Ordering::SeqCst);
                fold.frame(&t.service, &frame, details);
            }
            Ok(Some(Err(e))) => {
                out.error = Some(e.to_string());
                break;
            }
        }
    }
    out.details = aimed.load(Ordering::SeqCst);
    out.lines = fold.lines;
    out.errors = fold.errors;
    out.newest = fold.newest;
    out.capped = fold.per_task.values().any(|n| *n >= tail) || (!out.details && out.lines >= tail);
    out.digest = fold.digest;
    out
}

/// The lines of one read folded into a digest.
struct Fold {
    since: Timestamp,
    tail: usize,
    digest: Digest,
    lines: usize,
    errors: usize,
    newest: Option<Timestamp>,
    per_task: HashMap<String, usize>,
}

impl Fold {
    fn new(since: Timestamp, tail: usize) -> Self {
        Fold {
            since,
            tail,
            digest: Digest::default(),
            lines: 0,
            errors: 0,
            newest: None,
            per_task: HashMap::new(),
        }
    }

    /// One frame of the multiplexed stream: one line as the engine sends service logs
    /// (several, or a piece of a long one, are read as they come).
    fn frame(&mut self, service: &ServiceId, frame: &LogOutput, details: bool) {
        let stderr = matches!(frame, LogOutput::StdErr { .. });
        let text = String::from_utf8_lossy(frame.as_ref());
        for raw in text.split('\n') {
            let raw = raw.trim_end_matches('\r');
            if raw.is_empty() {
                continue;
            }
            self.line(service, raw, stderr, details);
        }
    }

    fn line(&mut self, service: &ServiceId, raw: &str, stderr: bool, details: bool) {
        let Some(l) = parse_line(raw, details) else {
            return;
        };
        if l.at <= self.since {
            return;
        }
        self.lines += 1;
        if self.newest.is_none_or(|n| l.at > n) {
            self.newest = Some(l.at);
        }
        if let Some(task) = &l.task {
            let n = self.per_task.entry(task.clone()).or_default();
            *n = (*n + 1).min(self.tail);
        }
        if is_error(l.message, stderr) {
            self.errors += 1;
            let node = l.node.map(NodeId);
            self.digest.add(service, node.as_ref(), l.at, l.message);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use hyper::body::Bytes;

    #[test]
    fn the_request_gets_details_and_a_since_with_nanoseconds() {
        let t: Timestamp = "2026-12-02T01:56:30.000000042Z".parse().unwrap();
        assert_eq!(since_param(t), "1796176590.000000042");
        let uri = "http://localhost/v1.47/services/abc/logs?follow=false&stdout=true&stderr=true&since=1796176590&until=0&timestamps=true&tail=2000";
        assert_eq!(
            logs_uri(uri, "1796176590.000000042").unwrap(),
            "http://localhost/v1.47/services/abc/logs?follow=false&stdout=true&stderr=true&until=0&timestamps=true&tail=2000&since=1796176590.000000042&details=1"
        );
        assert_eq!(logs_uri("http://localhost/v1.47/_ping", "1"), None);
        assert_eq!(
            logs_uri("unix://x/services/abc/logs", "5.000000000").unwrap(),
            "unix://x/services/abc/logs?since=5.000000000&details=1"
        );
    }

    /// An engine that sends the head of a logs answer and one line, then nothing: what a
    /// manager does while a task's node does not answer (a real one cannot be made to do so
    /// without taking a lab node down). The request head it got is kept.
    async fn stalling_engine(head: Arc<std::sync::Mutex<String>>) -> (tempfile::TempDir, String) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("docker.sock");
        let listener = tokio::net::UnixListener::bind(&path).unwrap();
        tokio::spawn(async move {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                match sock.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            *head.lock().unwrap() = String::from_utf8_lossy(&buf).into_owned();
            let line = b"2026-12-02T01:00:01.000000001Z com.docker.swarm.node.id=n2,com.docker.swarm.task.id=t1 ERROR timeout after 7 ms\n";
            let mut frame = vec![2u8, 0, 0, 0];
            frame.extend_from_slice(&(line.len() as u32).to_be_bytes());
            frame.extend_from_slice(line);
            let mut out = b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
            out.extend_from_slice(format!("{:x}\r\n", frame.len()).as_bytes());
            out.extend_from_slice(&frame);
            out.extend_from_slice(b"\r\n");
            let _ = sock.write_all(&out).await;
            // and then nothing, the connection held open
            tokio::time::sleep(Duration::from_secs(3600)).await;
            drop(sock);
        });
        (dir, format!("unix://{}", path.display()))
    }

    #[tokio::test]
    async fn a_service_that_stops_answering_is_reported_with_what_came_before() {
        let head = Arc::new(std::sync::Mutex::new(String::new()));
        let (_dir, socket) = stalling_engine(Arc::clone(&head)).await;
        let docker =
            bollard::Docker::connect_with_unix(&socket, 30, bollard::API_DEFAULT_VERSION).unwrap();
        let since: Timestamp = "2026-12-02T01:00:00.25Z".parse().unwrap();
        let target = DigestTarget {
            service: ServiceId("svc1".into()),
            name: "api".into(),
            since,
        };
        let started = std::time::Instant::now();
        let r = read(&docker, target, 2000, Duration::from_millis(400)).await;
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "given up, not hung: {:?}",
            started.elapsed()
        );
        let head = head.lock().unwrap().clone();
        let first = head.lines().next().unwrap_or_default();
        assert!(first.starts_with("GET /"), "{head}");
        assert!(first.contains("/services/svc1/logs?"), "{first}");
        assert!(first.contains("details=1"), "{first}");
        assert!(
            first.contains(&format!("since={}", since_param(since))),
            "the since with its nanoseconds: {first}"
        );
        assert_eq!(
            first.matches("since=").count(),
            1,
            "bollard's whole seconds are gone: {first}"
        );
        assert!(
            first.contains("timestamps=true") && first.contains("tail=2000"),
            "{first}"
        );
        assert!(first.contains("follow=false"), "{first}");
        let e = r.error.as_deref().unwrap_or_default();
        assert!(e.contains("no answer within 400 ms"), "{e}");
        assert!(r.details);
        assert_eq!(
            (r.lines, r.errors),
            (1, 1),
            "the line before the stall is kept"
        );
        let g = r.digest.group("ERROR timeout after <n> ms").unwrap();
        assert_eq!(
            g.nodes().into_iter().collect::<Vec<_>>(),
            [&NodeId("n2".into())]
        );
        assert_eq!(
            r.newest,
            Some("2026-12-02T01:00:01.000000001Z".parse().unwrap())
        );
    }

    fn frame(stderr: bool, s: &str) -> LogOutput {
        let message = Bytes::from(s.to_string());
        if stderr {
            LogOutput::StdErr { message }
        } else {
            LogOutput::StdOut { message }
        }
    }

    #[test]
    fn lines_at_or_before_since_are_not_counted_again() {
        let since: Timestamp = "2026-12-02T01:00:00.5Z".parse().unwrap();
        let svc = ServiceId("s1".into());
        let mut f = Fold::new(since, 3);
        let d = "com.docker.swarm.node.id=n1,com.docker.swarm.service.id=s1,com.docker.swarm.task.id=t1";
        f.frame(
            &svc,
            &frame(false, &format!("2026-12-02T01:00:00.5Z {d} ERROR old 1\n")),
            true,
        );
        f.frame(
            &svc,
            &frame(
                false,
                &format!("2026-12-02T01:00:01Z {d} ERROR timeout after 5 ms\n"),
            ),
            true,
        );
        f.frame(
            &svc,
            &frame(true, &format!("2026-12-02T01:00:02Z {d} INFO fine\n")),
            true,
        );
        f.frame(
            &svc,
            &frame(
                true,
                &format!("2026-12-02T01:00:03Z {d} connection refused\n"),
            ),
            true,
        );
        // a piece of a long line, without its timestamp
        f.frame(&svc, &frame(false, "…rest of a long line"), true);
        assert_eq!(f.lines, 3);
        assert_eq!(f.errors, 2);
        assert_eq!(f.newest, Some("2026-12-02T01:00:03Z".parse().unwrap()));
        assert_eq!(f.per_task.get("t1"), Some(&3), "this task hit the tail");
        let keys: Vec<&str> = f
            .digest
            .newest_first()
            .iter()
            .map(|g| g.key.as_str())
            .collect();
        assert_eq!(keys, ["connection refused", "ERROR timeout after <n> ms"]);
        let g = f.digest.group("connection refused").unwrap();
        assert_eq!(
            g.nodes().into_iter().collect::<Vec<_>>(),
            [&NodeId("n1".into())]
        );
    }
}
