//! `ssh://` endpoints the way the docker CLI does them: every connection is one
//! `ssh [-l USER] [-p PORT] -- HOST docker system dial-stdio`, whose stdin and stdout carry
//! the Docker API. The user's own ssh configuration applies in full (keys, agent, known
//! hosts, jump hosts); ssh never prompts (`BatchMode=yes`), so nothing can write over the
//! dashboard; and the ssh process ends with its connection.
//!
//! Not bollard's `ssh` feature: it keeps an ssh ControlMaster running forever after we exit
//! and forces `StrictHostKeyChecking=accept-new` over the user's setting (see
//! docs/architecture.md).

use std::io;
use std::pin::Pin;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bollard::{BollardRequest, ClientVersion, Docker};

use crate::endpoint::{Endpoint, Host};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::process::{Child, ChildStdin, ChildStdout};

/// How long ssh may take to reach the host (`ConnectTimeout`).
const CONNECT_TIMEOUT_SECS: u32 = 5;
/// The end of ssh's error output kept for messages.
const KEEP_STDERR: usize = 2048;

/// Where an `ssh://[USER@]HOST[:PORT]` endpoint points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub user: Option<String>,
    pub host: Host,
    pub port: Option<u16>,
}

impl Target {
    /// Parse an `ssh://` endpoint (with the one endpoint parser, [`crate::endpoint`]).
    pub fn parse(endpoint: &str) -> Result<Target, String> {
        match crate::endpoint::parse(endpoint)? {
            Endpoint::Ssh { user, host, port } => Ok(Target { user, host, port }),
            _ => Err("an ssh endpoint starts with ssh://".into()),
        }
    }

    /// The arguments of `ssh` for one connection.
    pub fn ssh_args(&self) -> Vec<String> {
        let mut args: Vec<String> = vec![
            "-o".into(),
            "BatchMode=yes".into(),
            "-o".into(),
            format!("ConnectTimeout={CONNECT_TIMEOUT_SECS}"),
            "-T".into(),
        ];
        if let Some(u) = &self.user {
            args.extend(["-l".into(), u.clone()]);
        }
        if let Some(p) = self.port {
            args.extend(["-p".into(), p.to_string()]);
        }
        args.extend(
            [
                "--",
                self.host.bare().as_str(),
                "docker",
                "system",
                "dial-stdio",
            ]
            .iter()
            .map(|s| s.to_string()),
        );
        args
    }
}

/// What ssh last wrote to stderr, across this endpoint's connections: why a connection failed
/// ("Permission denied (publickey)", "Host key verification failed", "docker: not found").
#[derive(Debug, Clone, Default)]
pub struct SshLog {
    inner: Arc<Mutex<LogState>>,
}

#[derive(Debug, Default)]
struct LogState {
    text: String,
    /// ssh processes whose stderr is still open
    open: usize,
}

impl SshLog {
    fn lock(&self) -> std::sync::MutexGuard<'_, LogState> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn push(&self, chunk: &str) {
        let mut s = self.lock();
        s.text.push_str(chunk);
        if s.text.len() > KEEP_STDERR {
            let cut = s.text.len() - KEEP_STDERR;
            let cut = (cut..s.text.len())
                .find(|i| s.text.is_char_boundary(*i))
                .unwrap_or(s.text.len());
            s.text.drain(..cut);
        }
    }

    /// ssh's last words, once every ssh process of this endpoint has closed its stderr (or
    /// after `wait`): a failed connection is seen by the client before ssh's message is read.
    pub async fn last_words(&self, wait: Duration) -> String {
        let deadline = tokio::time::Instant::now() + wait;
        while self.lock().open > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.lock()
            .text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// A Docker client whose every connection is its own `ssh … docker system dial-stdio`.
pub fn docker(
    target: Target,
    timeout_secs: u64,
    version: &ClientVersion,
) -> Result<(Docker, SshLog), bollard::errors::Error> {
    let log = SshLog::default();
    let connector = Connector {
        args: Arc::new(target.ssh_args()),
        log: log.clone(),
    };
    let client = Arc::new(Client::builder(TokioExecutor::new()).build(connector));
    let docker = Docker::connect_with_custom_transport(
        move |req: BollardRequest| {
            let client = Arc::clone(&client);
            async move {
                client
                    .request(req)
                    .await
                    .map_err(bollard::errors::Error::from)
            }
        },
        // the address is not used to connect: every connection is an ssh process; it must
        // still be a URL, so an IPv6 host keeps its brackets
        Some(format!("http://{}", target.host)),
        timeout_secs,
        version,
    )?;
    Ok((docker, log))
}

#[derive(Clone)]
struct Connector {
    args: Arc<Vec<String>>,
    log: SshLog,
}

impl tower_service::Service<hyper::Uri> for Connector {
    type Response = TokioIo<SshStream>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<Self::Response>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _uri: hyper::Uri) -> Self::Future {
        let args = Arc::clone(&self.args);
        let log = self.log.clone();
        Box::pin(async move {
            let mut child = tokio::process::Command::new("ssh")
                .args(args.iter())
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .map_err(|e| io::Error::new(e.kind(), format!("cannot run ssh: {e}")))?;
            let (Some(stdin), Some(stdout), Some(mut stderr)) =
                (child.stdin.take(), child.stdout.take(), child.stderr.take())
            else {
                return Err(io::Error::other("ssh started without its pipes"));
            };
            log.lock().open += 1;
            tokio::spawn(async move {
                let mut buf = vec![0u8; 1024];
                while let Ok(n) = stderr.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    log.push(&String::from_utf8_lossy(&buf[..n]));
                }
                log.lock().open -= 1;
            });
            Ok(TokioIo::new(SshStream {
                _child: child,
                stdin,
                stdout,
            }))
        })
    }
}

/// One connection: the ssh process and its pipes. Dropping it kills the process.
struct SshStream {
    _child: Child,
    stdin: ChildStdin,
    stdout: ChildStdout,
}

impl Connection for SshStream {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

impl AsyncRead for SshStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stdout).poll_read(cx, buf)
    }
}

impl AsyncWrite for SshStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stdin).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stdin).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stdin).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse_like_the_docker_cli() {
        let t = Target::parse("ssh://root@198.51.100.11").unwrap();
        assert_eq!(
            t,
            Target {
                user: Some("root".into()),
                host: Host::V4("198.51.100.11".parse().unwrap()),
                port: None
            }
        );
        assert_eq!(
            t.ssh_args(),
            [
                "-o",
                "BatchMode=yes",
                "-o",
                "ConnectTimeout=5",
                "-T",
                "-l",
                "root",
                "--",
                "198.51.100.11",
                "docker",
                "system",
                "dial-stdio"
            ]
        );
        let t = Target::parse("ssh://mgr-1:2222/").unwrap();
        assert_eq!(
            (t.user, t.host.bare(), t.port),
            (None, "mgr-1".to_string(), Some(2222))
        );
        let t = Target::parse("ssh://admin@[2001:db8::1]:22").unwrap();
        assert_eq!(t.host.bare(), "2001:db8::1");
        assert!(t.ssh_args().contains(&"2001:db8::1".to_string()));
        assert_eq!(t.port, Some(22));
        assert!(
            Target::parse("ssh://mgr-1")
                .unwrap()
                .ssh_args()
                .contains(&"mgr-1".to_string())
        );
        for bad in [
            "ssh://",
            "ssh://@host",
            "ssh://host:0",
            "ssh://host:port",
            "ssh://host/path",
            "ssh://-oProxyCommand=x",
            "ssh://[::1",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad} refused");
        }
    }

    #[tokio::test]
    async fn ipv6_targets_make_a_client() {
        // the client's URL keeps the brackets: "http://::1" is no URL ("empty host")
        for ep in ["ssh://root@[::1]:1", "ssh://root@[2001:db8::1]"] {
            let t = Target::parse(ep).unwrap();
            let made = docker(t, 5, bollard::API_DEFAULT_VERSION);
            assert!(made.is_ok(), "{ep}: {:?}", made.err());
        }
    }

    #[tokio::test]
    async fn the_end_of_ssh_stderr_is_kept() {
        let log = SshLog::default();
        log.push("Warning: x\n");
        log.push("root@h: Permission denied (publickey).\r\n");
        assert_eq!(
            log.last_words(Duration::ZERO).await,
            "Warning: x; root@h: Permission denied (publickey)."
        );
        log.push(&"é".repeat(KEEP_STDERR));
        assert!(log.lock().text.len() <= KEEP_STDERR);
    }
}
