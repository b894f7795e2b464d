//! The conformance suite and the Chromium-only behaviours (proxy per session, killed browser,
//! remote CDP endpoint) for [`ChromiumDriver`].
#![cfg(feature = "chromium")]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mino_browser::chromium::{find_chromium, ChromiumConfig, ChromiumDriver};
use mino_browser::driver_from_spec;
use mino_core::browser::{BrowserDriver, DynBrowserDriver, SessionOptions, WaitUntil};
use mino_core::ErrorKind;
use serde_json::json;

use common::Fixture;

/// The JavaScript heap cap makes the memory-exhaustion fixture crash its tab within a second
/// instead of after gigabytes.
const HEAP_CAP: &str = "--js-flags=--max-old-space-size=128";

fn chromium_driver() -> Option<ChromiumDriver> {
    let found = find_chromium().is_some();
    common::require("Chromium (MINO_CHROME, or chromium on PATH)", found)
        .then(|| ChromiumDriver::new(ChromiumConfig::local().arg(HEAP_CAP)))
}

async fn chromium() -> Option<DynBrowserDriver> {
    chromium_driver().map(|d| Arc::new(d) as DynBrowserDriver)
}

conformance_tests!(chromium =>
    static_page,
    file_url,
    js_rendered,
    redirects,
    http_errors,
    unreachable_and_invalid,
    slow_page_times_out,
    goto_after_timeout,
    form_submit,
    isolation,
    concurrent_sessions,
    screenshots,
    evaluate_json,
    strict_csp,
    scrolling,
    network_idle,
    viewport,
    tab_crash,
    live_frames,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_per_session() {
    let Some(driver) = chromium_driver() else {
        return;
    };
    let proxy = Fixture::start_proxy().await;
    let mut proxied = driver
        .open(SessionOptions {
            proxy: Some(format!("http://{}", proxy.addr())),
            ..SessionOptions::default()
        })
        .await
        .expect("open with proxy");
    // A name that cannot resolve: only the proxy can answer it.
    proxied
        .goto(
            "http://shop.mino-test.invalid/item",
            WaitUntil::Load,
            Duration::from_secs(15),
        )
        .await
        .expect("goto through the proxy");
    assert_eq!(
        proxied
            .evaluate("document.querySelector('#via').textContent")
            .await
            .expect("text"),
        json!("proxied shop.mino-test.invalid")
    );
    // Another session at the same time goes direct, and so cannot resolve the name.
    let mut direct = driver.open(SessionOptions::default()).await.expect("open");
    let err = direct
        .goto(
            "http://shop.mino-test.invalid/item",
            WaitUntil::Load,
            Duration::from_secs(15),
        )
        .await
        .expect_err("no proxy, no such host");
    assert_eq!(err.kind(), ErrorKind::Network, "{err:?}");
    direct.close().await.expect("close");
    proxied.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_browser_fails_in_flight_and_is_relaunched() {
    let Some(driver) = chromium_driver() else {
        return;
    };
    let fixture = Fixture::start().await;
    let mut session = driver.open(SessionOptions::default()).await.expect("open");
    let pid = driver
        .browser_pid()
        .await
        .expect("a launched browser has a pid");

    let killer = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let status = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill {pid} failed");
    });
    let started = Instant::now();
    let err = session
        .goto(
            &fixture.url("/slow"),
            WaitUntil::Load,
            Duration::from_secs(30),
        )
        .await
        .expect_err("the browser was killed");
    killer.await.expect("killer");
    assert_eq!(err.kind(), ErrorKind::Browser, "{err:?}");
    assert!(err.is_transient());
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    let err = session.title().await.expect_err("still dead");
    assert_eq!(err.kind(), ErrorKind::Browser);
    let _ = session.close().await;

    let mut fresh = driver
        .open(SessionOptions::default())
        .await
        .expect("relaunch");
    fresh
        .goto(
            &fixture.url("/static"),
            WaitUntil::Load,
            Duration::from_secs(15),
        )
        .await
        .expect("the new browser works");
    assert_eq!(fresh.title().await.expect("title"), "Static fixture");
    let new_pid = driver.browser_pid().await.expect("pid");
    assert_ne!(new_pid, pid);
    fresh.close().await.expect("close");
    driver.shutdown().await;
    assert_eq!(driver.browser_pid().await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hung_browser_is_replaced() {
    if chromium_driver().is_none() {
        return;
    }
    let driver =
        ChromiumDriver::new(ChromiumConfig::local().health_timeout(Duration::from_secs(2)));
    let fixture = Fixture::start().await;
    let first = driver.open(SessionOptions::default()).await.expect("open");
    first.close().await.expect("close");
    let pid = driver.browser_pid().await.expect("pid");
    // A stopped process keeps its websocket open but answers nothing: hung, not dead.
    let status = Command::new("kill")
        .args(["-STOP", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
    let started = Instant::now();
    let err = driver
        .open(SessionOptions::default())
        .await
        .expect_err("the browser is hung");
    assert_eq!(err.kind(), ErrorKind::Browser, "{err:?}");
    assert!(err.is_transient());
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );

    let mut fresh = driver
        .open(SessionOptions::default())
        .await
        .expect("relaunch");
    assert_ne!(driver.browser_pid().await, Some(pid));
    fresh
        .goto(
            &fixture.url("/static"),
            WaitUntil::Load,
            Duration::from_secs(15),
        )
        .await
        .expect("the new browser works");
    fresh.close().await.expect("close");
    // The hung browser was killed when the driver let go of it.
    let gone = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| stat.contains(") Z"))
        .unwrap_or(true);
    assert!(gone, "the hung browser {pid} still runs");
}

/// A Chromium started by the test, exposing its DevTools websocket, killed on drop.
struct RemoteChromium {
    child: Child,
    ws_url: String,
    _profile: tempfile::TempDir,
}

impl Drop for RemoteChromium {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_remote_chromium() -> RemoteChromium {
    let binary = find_chromium().expect("chromium");
    let profile = tempfile::tempdir().expect("profile");
    let mut child = Command::new(binary)
        .args([
            "--headless",
            "--no-sandbox",
            "--remote-debugging-port=0",
            "--remote-debugging-address=127.0.0.1",
            "about:blank",
        ])
        .args(mino_browser::chromium::config::DEFAULT_FLAGS)
        .arg(format!(
            "--user-data-dir={}",
            profile.path().join("profile").display()
        ))
        .env("TMPDIR", profile.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chromium");
    let stderr = child.stderr.take().expect("stderr");
    let ws_url = BufReader::new(stderr)
        .lines()
        .map_while(Result::ok)
        .find_map(|line| {
            line.strip_prefix("DevTools listening on ")
                .map(|url| url.trim().to_owned())
        })
        .expect("DevTools URL on stderr");
    RemoteChromium {
        child,
        ws_url,
        _profile: profile,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_cdp_endpoint() {
    if !common::require(
        "Chromium (MINO_CHROME, or chromium on PATH)",
        find_chromium().is_some(),
    ) {
        return;
    }
    let fixture = Fixture::start().await;
    let mut remote = tokio::task::spawn_blocking(start_remote_chromium)
        .await
        .expect("start remote");
    let driver = driver_from_spec(&format!("cdp:{}", remote.ws_url)).expect("spec");
    assert_eq!(driver.name(), "chromium");

    let mut a = driver.open(SessionOptions::default()).await.expect("open");
    a.goto(
        &fixture.url("/static"),
        WaitUntil::Load,
        Duration::from_secs(15),
    )
    .await
    .expect("goto");
    a.evaluate("localStorage.setItem('remote', '1')")
        .await
        .expect("set");
    let mut b = driver.open(SessionOptions::default()).await.expect("open");
    b.goto(
        &fixture.url("/static"),
        WaitUntil::Load,
        Duration::from_secs(15),
    )
    .await
    .expect("goto");
    assert_eq!(
        b.evaluate("localStorage.getItem('remote')")
            .await
            .expect("get"),
        json!(null)
    );
    b.close().await.expect("close");

    // The remote browser goes away: the open session fails as a browser error, and so does
    // reconnecting while nothing listens.
    remote.child.kill().expect("kill remote");
    let _ = remote.child.wait();
    let err = a.title().await.expect_err("remote is gone");
    assert_eq!(err.kind(), ErrorKind::Browser, "{err:?}");
    let err = driver
        .open(SessionOptions::default())
        .await
        .expect_err("nothing to reconnect to");
    assert_eq!(err.kind(), ErrorKind::Browser, "{err:?}");
    assert!(err.is_transient());
}
