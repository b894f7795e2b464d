//! A fixture web server on 127.0.0.1 whose answers are scripted per path and per request.
//!
//! It speaks just enough HTTP/1.1 by hand (one request per connection, `Connection: close`)
//! because the faults the engine tests need live below what a web framework lets a handler do:
//! closing the socket without any answer, or holding it open past the client's patience. It
//! also records every request it received, so a test can tell which faults were really served.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// What the server does with one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `200 OK` with this HTML, after `delay`.
    Page { html: String, delay: Duration },
    /// This status with a short HTML body.
    Status(u16),
    /// Closes the connection at once without answering.
    Drop,
    /// Holds the connection open this long (or until the client leaves), then closes it
    /// without answering: a server that hangs.
    Stall(Duration),
}

impl Reply {
    /// A short name for logs and tallies.
    pub fn label(&self) -> String {
        match self {
            Reply::Page { .. } => "200".to_owned(),
            Reply::Status(code) => code.to_string(),
            Reply::Drop => "drop".to_owned(),
            Reply::Stall(_) => "stall".to_owned(),
        }
    }
}

/// Decides the reply to the `hit`-th request (from 1) for `path`.
pub type Script = dyn Fn(&str, u32) -> Reply + Send + Sync;

/// One request the server received.
#[derive(Debug, Clone)]
pub struct Served {
    /// The request path, query included.
    pub path: String,
    /// Which request for this path it was, from 1.
    pub hit: u32,
    /// What the script answered.
    pub reply: Reply,
    /// When the request arrived.
    pub at: Instant,
}

#[derive(Default)]
struct State {
    hits: Mutex<HashMap<String, u32>>,
    served: Mutex<Vec<Served>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

/// A running fixture server; it stops when dropped.
pub struct FixtureServer {
    addr: SocketAddr,
    state: Arc<State>,
    task: JoinHandle<()>,
}

impl Drop for FixtureServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FixtureServer {
    /// Serves `script` on a random local port.
    pub async fn start(script: impl Fn(&str, u32) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a local port");
        let addr = listener.local_addr().expect("local address");
        let state = Arc::new(State::default());
        let script: Arc<Script> = Arc::new(script);
        let task = tokio::spawn(accept(listener, script, state.clone()));
        FixtureServer { addr, state, task }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// How many requests for `path` arrived.
    pub fn hits(&self, path: &str) -> u32 {
        let hits = self.state.hits.lock().expect("hits lock");
        hits.get(path).copied().unwrap_or(0)
    }

    /// Every request received so far, in arrival order.
    pub fn served(&self) -> Vec<Served> {
        self.state.served.lock().expect("served lock").clone()
    }

    /// The most requests that were being answered at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }
}

async fn accept(listener: TcpListener, script: Arc<Script>, state: Arc<State>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let (script, state) = (script.clone(), state.clone());
        tokio::spawn(async move {
            let mut stream = stream;
            // A browser's speculative connections may never send a request: give up on them.
            let head = tokio::time::timeout(Duration::from_secs(30), read_head(&mut stream));
            if let Ok(Some(path)) = head.await {
                answer(stream, &path, script.as_ref(), &state).await;
            }
        });
    }
}

/// Reads the request head and returns the request path.
async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 || head.len() > 16 * 1024 {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = head.split(|b| *b == b'\r').next()?;
    let line = String::from_utf8_lossy(line);
    Some(line.split_whitespace().nth(1)?.to_owned())
}

async fn answer(mut stream: TcpStream, path: &str, script: &Script, state: &State) {
    if path == "/favicon.ico" {
        let _ = write_response(&mut stream, 404, "").await;
        return;
    }
    let hit = {
        let mut hits = state.hits.lock().expect("hits lock");
        let n = hits.entry(path.to_owned()).or_insert(0);
        *n += 1;
        *n
    };
    let reply = script(path, hit);
    state.served.lock().expect("served lock").push(Served {
        path: path.to_owned(),
        hit,
        reply: reply.clone(),
        at: Instant::now(),
    });
    let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    state.max_in_flight.fetch_max(now, Ordering::SeqCst);
    match reply {
        Reply::Page { html, delay } => {
            if hold(&mut stream, delay).await {
                let _ = write_response(&mut stream, 200, &html).await;
            }
        }
        Reply::Status(code) => {
            let body = format!("<!doctype html><title>{code}</title><p>status {code}</p>");
            let _ = write_response(&mut stream, code, &body).await;
        }
        Reply::Drop => {}
        Reply::Stall(how_long) => {
            hold(&mut stream, how_long).await;
        }
    }
    state.in_flight.fetch_sub(1, Ordering::SeqCst);
    // Dropping the stream closes the connection (without an answer for Drop and Stall).
}

/// Waits `how_long` unless the client hangs up first; returns whether it is still there.
async fn hold(stream: &mut TcpStream, how_long: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + how_long;
    let mut buf = [0u8; 256];
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => return true,
            read = stream.read(&mut buf) => match read {
                Ok(0) | Err(_) => return false,
                Ok(_) => {} // Extra bytes after the head: ignore them.
            },
        }
    }
}

async fn write_response(stream: &mut TcpStream, code: u16, body: &str) -> std::io::Result<()> {
    let reason = match code {
        200 => "OK",
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };
    let head = format!(
        "HTTP/1.1 {code} {reason}\r\nContent-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown().await
}
