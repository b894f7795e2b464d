//! The conformance suite and the WebDriver-only behaviours (spawned chromedriver restarted,
//! remote WebDriver URL, proxy per session) for [`WebDriverDriver`].
#![cfg(feature = "webdriver")]

mod common;

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use mino_browser::chrome::find_chromium;
use mino_browser::driver_from_spec;
use mino_browser::webdriver::{find_chromedriver, WebDriverConfig, WebDriverDriver};
use mino_core::browser::{BrowserDriver, DynBrowserDriver, SessionOptions, WaitUntil};
use mino_core::ErrorKind;
use serde_json::json;

use common::Fixture;

/// The JavaScript heap cap makes the memory-exhaustion fixture crash its tab within seconds
/// instead of after gigabytes.
const HEAP_CAP: &str = "--js-flags=--max-old-space-size=128";

const LOAD: Duration = Duration::from_secs(15);

fn available() -> bool {
    common::require(
        "chromedriver and Chromium (MINO_CHROMEDRIVER / MINO_CHROME, or on PATH)",
        find_chromedriver().is_some() && find_chromium().is_some(),
    )
}

fn webdriver_driver() -> Option<WebDriverDriver> {
    available().then(|| WebDriverDriver::new(WebDriverConfig::local().arg(HEAP_CAP)))
}

async fn webdriver() -> Option<DynBrowserDriver> {
    webdriver_driver().map(|d| Arc::new(d) as DynBrowserDriver)
}

conformance_tests!(webdriver =>
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
    let Some(driver) = webdriver_driver() else {
        return;
    };
    let proxy = Fixture::start_proxy().await;
    let mut s = driver
        .open(SessionOptions {
            proxy: Some(format!("http://{}", proxy.addr())),
            ..SessionOptions::default()
        })
        .await
        .expect("open with proxy");
    s.goto("http://shop.mino-test.invalid/item", WaitUntil::Load, LOAD)
        .await
        .expect("goto through the proxy");
    assert_eq!(
        s.evaluate("document.querySelector('#via').textContent")
            .await
            .expect("text"),
        json!("proxied shop.mino-test.invalid")
    );
    s.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_chromedriver_fails_and_is_restarted() {
    let Some(driver) = webdriver_driver() else {
        return;
    };
    let fixture = Fixture::start().await;
    let mut session = driver.open(SessionOptions::default()).await.expect("open");
    let pid = driver
        .chromedriver_pid()
        .await
        .expect("a spawned chromedriver");
    // The browser chromedriver started would outlive it, so it goes too.
    let orphans = children_of(pid);
    assert!(!orphans.is_empty(), "chromedriver started no browser");
    kill(pid);
    orphans.into_iter().for_each(kill);
    let err = session
        .goto(&fixture.url("/static"), WaitUntil::Load, LOAD)
        .await
        .expect_err("chromedriver is gone");
    assert_eq!(err.kind(), ErrorKind::Browser, "{err:?}");
    assert!(err.is_transient());
    let _ = session.close().await;

    let mut fresh = driver
        .open(SessionOptions::default())
        .await
        .expect("respawn");
    fresh
        .goto(&fixture.url("/static"), WaitUntil::Load, LOAD)
        .await
        .expect("the new chromedriver works");
    assert_eq!(fresh.title().await.expect("title"), "Static fixture");
    assert_ne!(driver.chromedriver_pid().await, Some(pid));
    fresh.close().await.expect("close");
}

fn kill(pid: u32) {
    let status = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill {pid}");
}

/// Processes whose parent is `parent`, from /proc.
fn children_of(parent: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                // The command name may contain spaces; the fields after its ')' are fixed.
                .and_then(|stat| {
                    let rest = &stat[stat.rfind(')')? + 1..];
                    rest.split_whitespace().nth(1)?.parse::<u32>().ok()
                })
                == Some(parent)
        })
        .collect()
}

/// A chromedriver started by the test, killed on drop.
struct RemoteChromedriver {
    child: Child,
    port: u16,
    _tmp: tempfile::TempDir,
}

impl Drop for RemoteChromedriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_webdriver_url() {
    if !available() {
        return;
    }
    let fixture = Fixture::start().await;
    let port = common::fixture::closed_port().await;
    let tmp = tempfile::tempdir().expect("temp dir");
    let remote = RemoteChromedriver {
        child: Command::new(find_chromedriver().expect("chromedriver"))
            .arg(format!("--port={port}"))
            .env("TMPDIR", tmp.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
        port,
        _tmp: tmp,
    };
    let spec = format!("webdriver:http://127.0.0.1:{}", remote.port);
    let driver = driver_from_spec(&spec).expect("spec");
    // chromedriver needs a moment to listen; opening fails as a transient browser error
    // until then.
    let mut session = None;
    for _ in 0..50 {
        match driver.open(SessionOptions::default()).await {
            Ok(s) => {
                session = Some(s);
                break;
            }
            Err(err) => {
                assert_eq!(err.kind(), ErrorKind::Browser, "{err:?}");
                assert!(err.is_transient());
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    let mut s = session.expect("a session on the remote server");
    s.goto(&fixture.url("/static"), WaitUntil::Load, LOAD)
        .await
        .expect("goto");
    assert_eq!(s.title().await.expect("title"), "Static fixture");
    s.close().await.expect("close");
    drop(remote);
}
