//! Logs. Two readers, each its own task:
//!
//! - a task's last log lines (`GET /tasks/{id}/logs`, stdout and stderr, no follow), for the
//!   task explainer: [`start`], answered with [`EngineMsg::TaskLogs`];
//! - a service's or a task's logs followed live for the logs view: [`Streams::start`], with
//!   `follow`, `timestamps` and `details` (the swarm's task and node of each line), answered
//!   with [`EngineMsg::Logs`] batches and, at the end, the reason it ended.
//!
//! The engine multiplexes the two streams with an 8-byte header per frame; bollard decodes
//! them into [`LogOutput`] values (the header gone), which become lines in
//! [`crate::domain::logs::Splitter`] (the tail reader cuts them itself). The manager asks the
//! task's node for the logs: a node that does not answer is given up after [`LOGS_TIMEOUT`]
//! by the tail reader; a followed stream waits (it says "no lines yet").
//!
//! **Bounded all the way.** A followed stream sends a batch every [`BATCH_EVERY`] or every
//! [`BATCH_LINES`] lines ([`BATCH_BYTES`]), whichever comes first, so a fast printer is a
//! few messages a second on the UI's channel, not one per line. At most [`IN_FLIGHT`]
//! batches of a stream are on their way at once: each carries a [`Credit`] that returns when
//! the UI has taken its lines; without one the task stops reading, and the engine's own
//! flow control holds the printer's output on the node. The lines end in the view's ring.
//!
//! **bollard's `LogsOptions` has no `details` and takes `since` in whole seconds**, so the
//! request is built by bollard and its query replaced, right before it goes out, through the
//! client's request modifier (as `write::raw_request` does): the same connection and
//! transport as every other call, `since` with nanoseconds.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bollard::container::LogOutput;
use bollard::query_parameters::{LogsOptions, LogsOptionsBuilder};
use futures_util::{Stream, StreamExt};
use jiff::Timestamp;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::time::{Instant, sleep_until};

use super::{Connection, EngineMsg};
use crate::domain::logs::{Chunk, LogLine, LogStream, Splitter};
use crate::domain::{ServiceId, TaskId};

/// How long a log read may take.
pub const LOGS_TIMEOUT: Duration = Duration::from_secs(10);

/// Read a task's last `tail` log lines as its own task and report them; not connected:
/// answered at once with an error.
pub fn start(conn: Option<&Connection>, task: TaskId, tail: usize, tx: &mpsc::Sender<EngineMsg>) {
    let tx = tx.clone();
    let docker = conn.map(|c| c.docker.clone());
    tokio::spawn(async move {
        let result = match docker {
            None => Err("not connected".to_string()),
            Some(d) => match tokio::time::timeout(LOGS_TIMEOUT, read(&d, &task, tail)).await {
                Ok(r) => r,
                Err(_) => Err(format!(
                    "no answer within {} s (is the task's node up?)",
                    LOGS_TIMEOUT.as_secs()
                )),
            },
        };
        let _ = tx.send(EngineMsg::TaskLogs { task, result }).await;
    });
}

async fn read(docker: &bollard::Docker, task: &TaskId, tail: usize) -> Result<Vec<String>, String> {
    let options = LogsOptionsBuilder::new()
        .stdout(true)
        .stderr(true)
        .follow(false)
        .tail(&tail.to_string())
        .build();
    let mut stream = docker.task_logs(task.as_str(), Some(options));
    let mut lines = Lines::new(tail);
    while let Some(item) = stream.next().await {
        match item {
            Ok(out) => lines.push(&out),
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(lines.finish())
}

/// The last `keep` lines of what the frames carry (a frame may end mid-line).
struct Lines {
    keep: usize,
    lines: VecDeque<String>,
    partial: String,
}

impl Lines {
    fn new(keep: usize) -> Self {
        Lines {
            keep,
            lines: VecDeque::new(),
            partial: String::new(),
        }
    }

    fn push(&mut self, out: &LogOutput) {
        self.partial
            .push_str(&String::from_utf8_lossy(out.as_ref()));
        while let Some(at) = self.partial.find('\n') {
            let line: String = self.partial.drain(..=at).collect();
            self.add(line.trim_end_matches(['\n', '\r']).to_string());
        }
    }

    fn add(&mut self, line: String) {
        self.lines.push_back(line);
        while self.lines.len() > self.keep {
            self.lines.pop_front();
        }
    }

    fn finish(mut self) -> Vec<String> {
        if !self.partial.is_empty() {
            let rest = std::mem::take(&mut self.partial);
            self.add(rest);
        }
        self.lines.into()
    }
}

/// Lines of a followed stream are sent at least this often while they come.
pub const BATCH_EVERY: Duration = Duration::from_millis(50);
/// A batch is sent at once when it holds this many lines…
pub const BATCH_LINES: usize = 500;
/// …or this many bytes of text.
pub const BATCH_BYTES: usize = 256 * 1024;
/// Batches of one stream on their way to the UI at once.
pub const IN_FLIGHT: usize = 4;

/// Whose logs to follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogsTarget {
    /// Every task of a service (each line names its task and node).
    Service(ServiceId),
    /// One task.
    Task(TaskId),
}

/// Follow a service's or a task's logs ([`super::EngineCmd::FollowLogs`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowRequest {
    /// Chosen by the view (unique in the process: [`next_stream`]); every message of the
    /// stream carries it, so what comes for a stream nobody follows any more is dropped.
    pub stream: u64,
    pub target: LogsTarget,
    /// From this time (the engine's `since`, inclusive), else the last `tail` lines.
    pub since: Option<Timestamp>,
    /// The last lines (per task) to start with; None: all (from `since`).
    pub tail: Option<usize>,
}

/// A new stream id, unique in this process.
pub fn next_stream() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// What a followed stream reports ([`EngineMsg::Logs`]).
#[derive(Debug, Clone, PartialEq)]
pub enum LogsEvent {
    /// Lines, in the order the engine sent them.
    Lines(Vec<LogLine>, Credit),
    /// The stream ended: `Ok` when the engine closed it, else why it failed.
    Ended(Result<(), String>),
}

/// A batch's place among the stream's [`IN_FLIGHT`] batches: the place is free again when
/// the message (every copy of it) is dropped, i.e. when the UI has taken the lines.
#[derive(Clone, Default)]
pub struct Credit {
    /// Held, never read: dropping the last copy frees the place.
    _permit: Option<Arc<OwnedSemaphorePermit>>,
}

impl Credit {
    fn new(permit: OwnedSemaphorePermit) -> Self {
        Credit {
            _permit: Some(Arc::new(permit)),
        }
    }
}

impl std::fmt::Debug for Credit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credit")
    }
}

impl PartialEq for Credit {
    /// Credits say nothing about the lines: any two are alike.
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}

/// The followed streams of one engine, by id: started, stopped, and all ended when the
/// connection they use is lost (a stream has no read timeout: it would wait on a dead
/// manager for good).
#[derive(Default)]
pub struct Streams {
    running: HashMap<u64, tokio::task::AbortHandle>,
}

impl Drop for Streams {
    fn drop(&mut self) {
        for h in self.running.values() {
            h.abort();
        }
    }
}

impl Streams {
    /// Start following; not connected: ended at once with the reason.
    pub fn start(
        &mut self,
        conn: Option<&Connection>,
        req: FollowRequest,
        tx: &mpsc::Sender<EngineMsg>,
    ) {
        self.running.retain(|_, h| !h.is_finished());
        let tx = tx.clone();
        let Some(conn) = conn else {
            tokio::spawn(async move {
                let _ = tx
                    .send(EngineMsg::Logs {
                        stream: req.stream,
                        event: LogsEvent::Ended(Err("not connected to a manager".into())),
                    })
                    .await;
            });
            return;
        };
        let docker = conn.docker.clone();
        let id = req.stream;
        let task = tokio::spawn(async move {
            let ended = follow(&docker, &req, &tx).await;
            if let Some(ended) = ended {
                let _ = tx
                    .send(EngineMsg::Logs {
                        stream: req.stream,
                        event: LogsEvent::Ended(ended),
                    })
                    .await;
            }
        });
        if let Some(old) = self.running.insert(id, task.abort_handle()) {
            old.abort();
        }
    }

    /// Stop following (the view closed, or it starts another window).
    pub fn stop(&mut self, stream: u64) {
        if let Some(h) = self.running.remove(&stream) {
            h.abort();
        }
    }

    /// The connection is gone: every stream on it ends, and the UI is told why (the views
    /// resume on the next one).
    pub async fn lost(&mut self, why: &str, tx: &mpsc::Sender<EngineMsg>) {
        for (stream, h) in self.running.drain() {
            if h.is_finished() {
                continue;
            }
            h.abort();
            let _ = tx
                .send(EngineMsg::Logs {
                    stream,
                    event: LogsEvent::Ended(Err(format!("the connection was lost ({why})"))),
                })
                .await;
        }
    }

    /// How many streams are running (for the tests).
    pub fn running(&self) -> usize {
        self.running.values().filter(|h| !h.is_finished()).count()
    }
}

/// The query of a followed stream (bollard's options cannot say `details` or a `since` with
/// nanoseconds).
pub fn follow_query(req: &FollowRequest) -> String {
    let mut q = String::from("follow=1&stdout=1&stderr=1&timestamps=1&details=1");
    if let Some(since) = req.since {
        let s = since.as_second();
        let n = since.subsec_nanosecond();
        // a time before 1970 has a negative second and nanosecond: the engine wants
        // seconds.nanoseconds with both of one sign; before 1970 means "from the start"
        if s < 0 || n < 0 {
            q.push_str("&since=0");
        } else {
            q.push_str(&format!("&since={s}.{n:09}"));
        }
    }
    match req.tail {
        Some(n) => q.push_str(&format!("&tail={n}")),
        None => q.push_str("&tail=all"),
    }
    q
}

type LogItems<'a> =
    std::pin::Pin<Box<dyn Stream<Item = Result<LogOutput, bollard::errors::Error>> + Send + 'a>>;

/// Follow until the engine ends the stream (`Some(Ok)`), it fails (`Some(Err)`), or the UI
/// is gone (`None`).
async fn follow(
    docker: &bollard::Docker,
    req: &FollowRequest,
    tx: &mpsc::Sender<EngineMsg>,
) -> Option<Result<(), String>> {
    let query = follow_query(req);
    let aimed = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&aimed);
    let client = docker.clone().with_request_modifier(move |mut r| {
        let uri = r.uri().to_string();
        let path = uri.split('?').next().unwrap_or_default();
        if path.ends_with("/logs")
            && let Ok(new) = format!("{path}?{query}").parse()
        {
            *r.uri_mut() = new;
            flag.store(true, Ordering::SeqCst);
        }
        r
    });
    let items: LogItems<'_> = match &req.target {
        LogsTarget::Service(id) => Box::pin(client.service_logs(id.as_str(), None::<LogsOptions>)),
        LogsTarget::Task(id) => Box::pin(client.task_logs(id.as_str(), None::<LogsOptions>)),
    };
    let items = items.map(|item| {
        item.map_err(|e| {
            if aimed.load(Ordering::SeqCst) {
                e.to_string()
            } else {
                format!("swarmdeck could not build the logs request ({e})")
            }
        })
    });
    pump(items, req.stream, tx).await
}

/// Turn what the engine sends into batches of lines for the UI (see the module's docs):
/// `Some(Ok)` when the stream ended, `Some(Err)` when it failed, `None` when the UI is gone.
pub async fn pump<S>(
    items: S,
    stream: u64,
    tx: &mpsc::Sender<EngineMsg>,
) -> Option<Result<(), String>>
where
    S: Stream<Item = Result<LogOutput, String>>,
{
    let mut items = std::pin::pin!(items);
    let sem = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut split = Splitter::new(true);
    let mut batch: Vec<LogLine> = Vec::new();
    let mut bytes = 0usize;
    let mut due: Option<Instant> = None;
    loop {
        let item = tokio::select! {
            item = items.next() => item,
            _ = sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() => {
                due = None;
                bytes = 0;
                if !send(&mut batch, stream, &sem, tx).await {
                    return None;
                }
                continue;
            }
        };
        let ended = match item {
            Some(Ok(out)) => {
                let before = batch.len();
                split.push(chunk(&out), &mut batch);
                bytes += batch[before..].iter().map(|l| l.text.len()).sum::<usize>();
                None
            }
            Some(Err(e)) => Some(Err(e)),
            None => Some(Ok(())),
        };
        if let Some(ended) = ended {
            split.finish(&mut batch);
            if !send(&mut batch, stream, &sem, tx).await {
                return None;
            }
            return Some(ended);
        }
        if batch.len() >= BATCH_LINES || bytes >= BATCH_BYTES {
            due = None;
            bytes = 0;
            if !send(&mut batch, stream, &sem, tx).await {
                return None;
            }
        } else if !batch.is_empty() && due.is_none() {
            due = Some(Instant::now() + BATCH_EVERY);
        }
    }
}

/// Send what the batch holds, once a place is free; false when the UI is gone.
async fn send(
    batch: &mut Vec<LogLine>,
    stream: u64,
    sem: &Arc<Semaphore>,
    tx: &mpsc::Sender<EngineMsg>,
) -> bool {
    if batch.is_empty() {
        return true;
    }
    let Ok(permit) = Arc::clone(sem).acquire_owned().await else {
        return false;
    };
    let lines = std::mem::take(batch);
    tx.send(EngineMsg::Logs {
        stream,
        event: LogsEvent::Lines(lines, Credit::new(permit)),
    })
    .await
    .is_ok()
}

/// What bollard decoded, for the splitter.
fn chunk(out: &LogOutput) -> Chunk<'_> {
    match out {
        LogOutput::StdOut { message } => Chunk::Message(LogStream::Stdout, message),
        LogOutput::StdErr { message } => Chunk::Message(LogStream::Stderr, message),
        LogOutput::Console { message } | LogOutput::StdIn { message } => Chunk::Raw(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::body::Bytes;

    fn out(s: &'static str) -> LogOutput {
        LogOutput::StdErr {
            message: Bytes::from_static(s.as_bytes()),
        }
    }

    #[test]
    fn the_query_asks_for_details_and_nanoseconds() {
        let req = |since, tail| FollowRequest {
            stream: 1,
            target: LogsTarget::Task(TaskId::from("t")),
            since,
            tail,
        };
        assert_eq!(
            follow_query(&req(None, Some(200))),
            "follow=1&stdout=1&stderr=1&timestamps=1&details=1&tail=200"
        );
        let ts: Timestamp = "2026-12-02T01:58:04.000000042Z".parse().unwrap();
        assert_eq!(
            follow_query(&req(Some(ts), None)),
            format!(
                "follow=1&stdout=1&stderr=1&timestamps=1&details=1&since={}.000000042&tail=all",
                ts.as_second()
            )
        );
        let old: Timestamp = "1969-12-31T23:59:59.5Z".parse().unwrap();
        assert!(follow_query(&req(Some(old), None)).contains("&since=0&"));
        assert_ne!(next_stream(), next_stream());
    }

    fn frame(i: usize) -> Result<LogOutput, String> {
        Ok(LogOutput::StdOut {
            message: Bytes::from(format!("2026-12-02T01:58:04Z  line {i}\n")),
        })
    }

    /// A printer faster than the UI: the lines come in batches, at most IN_FLIGHT of them on
    /// their way; the pump stops reading until the UI takes one.
    #[tokio::test]
    async fn batches_are_bounded_and_wait_for_the_ui() {
        let (tx, mut rx) = mpsc::channel(1024);
        let pulled = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = Arc::clone(&pulled);
        let items = futures_util::stream::iter(0..100_000).map(move |i| {
            count.fetch_add(1, Ordering::SeqCst);
            frame(i)
        });
        let task = tokio::spawn(async move { pump(items, 7, &tx).await });
        // the UI takes nothing: the places fill up…
        let deadline = Instant::now() + Duration::from_secs(5);
        while rx.len() < IN_FLIGHT && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // …and the pump, given time to read on, must not
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut held = Vec::new();
        while let Ok(m) = rx.try_recv() {
            held.push(m);
        }
        assert_eq!(held.len(), IN_FLIGHT, "no more batches than places");
        let read = pulled.load(Ordering::SeqCst);
        assert!(
            read <= (IN_FLIGHT + 1) * BATCH_LINES + 1,
            "stopped reading: {read} frames"
        );
        // the UI takes them all: every line arrives once, in order, then the end
        let mut next = 0;
        let mut take = |m: EngineMsg| match m {
            EngineMsg::Logs {
                stream: 7,
                event: LogsEvent::Lines(lines, _),
            } => {
                assert!(lines.len() <= BATCH_LINES);
                for l in lines {
                    assert_eq!(l.text, format!("line {next}"));
                    next += 1;
                }
                false
            }
            EngineMsg::Logs {
                stream: 7,
                event: LogsEvent::Ended(r),
            } => {
                assert_eq!(r, Ok(()));
                true
            }
            other => panic!("{other:?}"),
        };
        for m in held {
            take(m);
        }
        while let Some(m) = rx.recv().await {
            if take(m) {
                break;
            }
        }
        assert_eq!(next, 100_000);
        assert_eq!(task.await.unwrap(), Some(Ok(())));
    }

    /// A slow printer's line is not held back for a full batch.
    #[tokio::test]
    async fn a_lone_line_goes_out_within_the_batch_time() {
        let (tx, mut rx) = mpsc::channel(16);
        let items = futures_util::stream::iter([frame(1)]).chain(futures_util::stream::pending());
        let task = tokio::spawn(async move { pump(items, 1, &tx).await });
        let started = std::time::Instant::now();
        let m = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert!(started.elapsed() < Duration::from_secs(1));
        assert!(matches!(m, EngineMsg::Logs { event: LogsEvent::Lines(l, _), .. } if l.len() == 1));
        // an error ends it with the reason; the UI gone ends it quietly
        task.abort();
        let (tx, mut rx) = mpsc::channel(16);
        let items = futures_util::stream::iter([frame(1), Err("boom".to_string())]);
        assert_eq!(pump(items, 2, &tx).await, Some(Err("boom".into())));
        assert!(matches!(
            rx.recv().await,
            Some(EngineMsg::Logs {
                event: LogsEvent::Lines(..),
                ..
            })
        ));
        drop(rx);
        let items = futures_util::stream::iter([frame(1)]);
        assert_eq!(pump(items, 3, &tx).await, None);
    }

    #[test]
    fn frames_become_the_last_lines() {
        let mut l = Lines::new(3);
        l.push(&out("one\ntw"));
        l.push(&out("o\r\nthree\n"));
        l.push(&out("four\nfive"));
        assert_eq!(l.finish(), ["three", "four", "five"]);
        let mut l = Lines::new(5);
        l.push(&out("boom\n"));
        assert_eq!(l.finish(), ["boom"]);
        assert!(Lines::new(5).finish().is_empty());
    }
}
