//! A chromedriver spawned on a free local port, shut down when dropped.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use mino_core::{Error, ErrorKind, Result};
use tokio::process::{Child, Command};
use tokio::time::Instant;

/// How often readiness is checked while chromedriver starts.
const READY_POLL: Duration = Duration::from_millis(50);

/// A running chromedriver.
#[derive(Debug)]
pub(crate) struct Service {
    child: Child,
    port: u16,
    /// TMPDIR of chromedriver and its browsers (their profiles and per-process files), removed
    /// on drop so that nothing is left behind even when a browser was killed.
    tmp: Option<tempfile::TempDir>,
}

impl Service {
    /// Spawns `binary` on a free port and waits until its `/status` says it is ready. A port
    /// taken between choosing and binding it makes chromedriver exit; that is retried on
    /// another port.
    pub(crate) async fn spawn(binary: &Path, timeout: Duration) -> Result<Service> {
        let deadline = Instant::now() + timeout;
        let mut last_error = None;
        for _ in 0..3 {
            let port = free_port()?;
            let tmp = tempfile::Builder::new()
                .prefix("mino-chromedriver-")
                .tempdir()
                .map_err(|err| {
                    Error::new(
                        ErrorKind::Internal,
                        "could not create a chromedriver temp dir",
                    )
                    .with_source(err)
                })?;
            let mut child = Command::new(binary)
                .arg(format!("--port={port}"))
                .env("TMPDIR", tmp.path())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .map_err(|err| {
                    Error::new(ErrorKind::Browser, "could not start chromedriver")
                        .with_context("binary", binary.display().to_string())
                        .with_source(err)
                        .with_transient(false)
                })?;
            loop {
                if let Ok(Some(status)) = child.try_wait() {
                    last_error = Some(format!("chromedriver exited with {status}"));
                    break;
                }
                if is_ready(port).await {
                    tracing::info!(port, binary = %binary.display(), "chromedriver ready");
                    return Ok(Service {
                        child,
                        port,
                        tmp: Some(tmp),
                    });
                }
                if Instant::now() >= deadline {
                    return Err(Error::new(
                        ErrorKind::Browser,
                        format!("chromedriver was not ready within {timeout:?}"),
                    ));
                }
                tokio::time::sleep(READY_POLL).await;
            }
        }
        Err(Error::new(
            ErrorKind::Browser,
            format!(
                "could not start chromedriver: {}",
                last_error.unwrap_or_default()
            ),
        ))
    }

    /// The server URL.
    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Whether the process still runs.
    pub(crate) fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The process id, while it runs.
    pub(crate) fn pid(&self) -> Option<u32> {
        self.child.id()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        // `/shutdown` makes chromedriver quit the browsers it started; a plain kill would leave
        // them behind. The kill on drop then covers a chromedriver that does not answer.
        if self.is_running() {
            let _ = http_get(self.port, "/shutdown");
            // chromedriver exits by itself once its browsers are closed.
            for _ in 0..100 {
                if !self.is_running() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = self.child.start_kill();
        }
        if let Some(tmp) = self.tmp.take() {
            crate::remove_dir_retrying(&tmp.keep());
        }
    }
}

/// A port that was free a moment ago.
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|err| {
        Error::new(ErrorKind::Internal, "no free local port for chromedriver").with_source(err)
    })?;
    listener
        .local_addr()
        .map(|addr| addr.port())
        .map_err(|err| Error::new(ErrorKind::Internal, "no local port").with_source(err))
}

/// Whether chromedriver on `port` answers `/status` with `"ready": true`.
async fn is_ready(port: u16) -> bool {
    tokio::task::spawn_blocking(move || {
        http_get(port, "/status")
            .map(|body| body.replace(' ', "").contains("\"ready\":true"))
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A minimal blocking HTTP/1.1 GET on the loopback interface, for the two calls made before a
/// WebDriver client exists (readiness) or after it may be gone (shutdown). Returns the body.
/// chromedriver keeps the connection open after answering, so the body is read by its
/// `Content-Length` rather than to the end of the stream.
fn http_get(port: u16, path: &str) -> std::io::Result<String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(500))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    stream.set_write_timeout(Some(Duration::from_secs(2)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        response.extend_from_slice(&chunk[..n]);
        if let Some(body) = complete_body(&response) {
            return Ok(body);
        }
    }
    Ok(complete_body(&response).unwrap_or_default())
}

/// The body of a buffered HTTP response once all of it (per `Content-Length`) has arrived.
fn complete_body(response: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(response);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let length = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse::<usize>().ok())?;
    (body.len() >= length).then(|| body.to_owned())
}

#[cfg(test)]
mod tests {
    use super::complete_body;

    #[test]
    fn bodies_are_complete_by_content_length() {
        let head = "HTTP/1.1 200 OK\r\nContent-Length:11\r\nConnection:close\r\n\r\n";
        assert_eq!(
            complete_body(format!("{head}{{\"ready\":").as_bytes()),
            None
        );
        assert_eq!(
            complete_body(format!("{head}{{\"ready\":1}}").as_bytes()).as_deref(),
            Some("{\"ready\":1}")
        );
        assert_eq!(complete_body(b"HTTP/1.1 200 OK\r\n"), None);
    }
}
