//! A task's last log lines (`GET /tasks/{id}/logs`, stdout and stderr, no follow), for the
//! task explainer. Runs as its own task and answers [`EngineMsg::TaskLogs`].
//!
//! The engine multiplexes the two streams with an 8-byte header per frame; bollard decodes
//! them into [`LogOutput`] values (the header gone), whose messages are joined and cut into
//! lines here. The manager asks the task's node for the logs: a node that does not answer
//! is given up after [`LOGS_TIMEOUT`].

use std::collections::VecDeque;
use std::time::Duration;

use bollard::container::LogOutput;
use bollard::query_parameters::LogsOptionsBuilder;
use futures_util::StreamExt;
use tokio::sync::mpsc;

use super::{Connection, EngineMsg};
use crate::domain::TaskId;

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
