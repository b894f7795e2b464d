//! `mino serve` stops cleanly on a signal: it answers requests until SIGTERM or SIGINT, then
//! stops taking connections and exits with success within its drain time, with or without
//! its embedded worker.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A running `mino serve` and the address it listens on.
struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `mino serve` on a free port over a SQLite file in `dir`, and waits until it says
/// where it listens.
fn serve(dir: &Path, extra: &[&str]) -> Server {
    let database = format!("sqlite:{}", dir.join("mino.db").display());
    let child = Command::new(env!("CARGO_BIN_EXE_mino"))
        .args(["--database", &database, "serve", "--port", "0"])
        .args(extra)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the mino binary starts");
    // Reaped by its drop on every path, a failed start included.
    let mut server = Server {
        child,
        addr: String::new(),
    };
    let stderr = server.child.stderr.take().expect("piped stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let Ok(line) = rx.recv_timeout(left) else {
            break;
        };
        if let Some(rest) = line.split("MINO dashboard on http://").nth(1) {
            let addr = rest.split('/').next().unwrap_or_default().to_owned();
            // Keep draining stderr so the server never blocks on a full pipe.
            std::thread::spawn(move || while rx.recv().is_ok() {});
            server.addr = addr;
            return server;
        }
        seen.push(line);
    }
    panic!(
        "mino serve did not say where it listens:\n{}",
        seen.join("\n")
    );
}

/// The status line of `GET path`.
fn get_status(addr: &str, path: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    Ok(response.lines().next().unwrap_or_default().to_owned())
}

fn signal(child: &Child, name: &str) {
    let sent = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(child.id().to_string())
        .status()
        .expect("kill runs");
    assert!(sent.success(), "kill -{name} failed");
}

fn wait_exit(child: &mut Child, within: Duration) -> ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().expect("the server's status") {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "mino serve still runs {within:?} after the signal"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Starts a server, checks it answers (unless `at_once`: then the signal follows the
/// announcement as closely as it can), signals it and expects a clean exit.
fn stops_cleanly_on(signal_name: &str, extra: &[&str], at_once: bool) {
    let dir = tempfile::tempdir().expect("a scratch directory");
    let mut server = serve(dir.path(), extra);
    if !at_once {
        let status = get_status(&server.addr, "/api/health").expect("the server answers");
        assert!(status.contains(" 200 "), "health: {status}");
    }

    let asked = Instant::now();
    signal(&server.child, signal_name);
    // The drain time is 5 s; a worker with nothing running stops at once.
    let exit = wait_exit(&mut server.child, Duration::from_secs(15));
    assert!(
        exit.success(),
        "mino serve exited with {exit} after SIG{signal_name}"
    );
    println!("SIG{signal_name}: exited in {:?}", asked.elapsed());
    assert!(
        TcpStream::connect(&server.addr).is_err(),
        "the port still takes connections after the exit"
    );
}

#[test]
fn serve_without_a_worker_stops_on_sigterm() {
    stops_cleanly_on("TERM", &["--no-worker"], false);
}

#[test]
fn serve_with_its_worker_stops_on_sigint() {
    stops_cleanly_on("INT", &[], false);
}

/// A signal right after the server says it is ready still gets the graceful stop: the
/// handlers are in place before the announcement.
#[test]
fn a_signal_right_after_the_announcement_is_handled() {
    for _ in 0..5 {
        stops_cleanly_on("TERM", &["--no-worker"], true);
    }
}
