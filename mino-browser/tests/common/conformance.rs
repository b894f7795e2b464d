//! The driver conformance suite: one async function per behaviour of the `BrowserDriver` and
//! `BrowserSession` docs, written once against `&dyn BrowserDriver` and run for every driver.

use std::time::{Duration, Instant};

use mino_core::browser::{BrowserDriver, BrowserSession, ImageFormat, SessionOptions, WaitUntil};
use mino_core::ErrorKind;
use serde_json::json;

use super::fixture::{closed_port, Fixture};

const LOAD: Duration = Duration::from_secs(15);

async fn open(driver: &dyn BrowserDriver) -> Box<dyn BrowserSession> {
    driver
        .open(SessionOptions::default())
        .await
        .expect("open a session")
}

async fn text_of(session: &mut dyn BrowserSession, selector: &str) -> String {
    let expression = format!(
        "document.querySelector({}).textContent",
        serde_json::to_string(selector).expect("quote")
    );
    let value = session.evaluate(&expression).await.expect("read text");
    value.as_str().expect("text is a string").to_owned()
}

/// A static page: final URL, status when known, title, serialized DOM.
pub async fn static_page(driver: &dyn BrowserDriver, fixture: &Fixture) {
    let mut s = open(driver).await;
    let url = fixture.url("/static");
    let nav = s.goto(&url, WaitUntil::Load, LOAD).await.expect("goto");
    assert_eq!(nav.url, url);
    let expected_status = driver.capabilities().http_status.then_some(200);
    assert_eq!(nav.status, expected_status);
    assert_eq!(s.current_url().await.expect("url"), url);
    assert_eq!(s.title().await.expect("title"), "Static fixture");
    let html = s.html().await.expect("html");
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(
        html.contains("<h1 id=\"headline\">Hello from MINO</h1>"),
        "{html}"
    );
    s.close().await.expect("close");
}

/// `file://` pages load (the offline demo uses them).
pub async fn file_url(driver: &dyn BrowserDriver, _fixture: &Fixture) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("offline.html");
    std::fs::write(
        &path,
        "<!DOCTYPE html><html><head><title>Offline page</title></head>\
         <body><p id=\"price\">19.99</p></body></html>",
    )
    .expect("write page");
    let url = format!("file://{}", path.display());
    let mut s = open(driver).await;
    let nav = s
        .goto(&url, WaitUntil::Load, LOAD)
        .await
        .expect("goto file");
    assert_eq!(nav.url, url);
    assert_eq!(s.title().await.expect("title"), "Offline page");
    assert_eq!(text_of(s.as_mut(), "#price").await, "19.99");
    let missing = format!("file://{}", dir.path().join("missing.html").display());
    let err = s
        .goto(&missing, WaitUntil::Load, LOAD)
        .await
        .expect_err("missing file");
    assert_eq!(err.kind(), ErrorKind::Network, "{err:?}");
    assert!(!err.is_transient(), "a missing file stays missing: {err:?}");
    s.close().await.expect("close");
}

/// Content rendered by JavaScript after a delay appears through `wait_for`; a selector that
/// never matches times out; an invalid selector is a validation error.
pub async fn js_rendered(driver: &dyn BrowserDriver, fixture: &Fixture) {
    let mut s = open(driver).await;
    s.goto(&fixture.url("/delayed"), WaitUntil::Load, LOAD)
        .await
        .expect("goto");
    let before = s
        .evaluate("document.querySelector('#late') === null")
        .await
        .expect("evaluate");
    assert_eq!(before, json!(true), "the element must not exist at load");
    s.wait_for("#late", Duration::from_secs(10))
        .await
        .expect("wait for late content");
    assert_eq!(text_of(s.as_mut(), "#late").await, "rendered later");
    assert!(s.html().await.expect("html").contains("rendered later"));

    let started = Instant::now();
    let err = s
        .wait_for("#never", Duration::from_millis(400))
        .await
        .expect_err("never appears");
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5));

    let err = s
        .wait_for("div[[", Duration::from_secs(1))
        .await
        .expect_err("invalid selector");
    assert_eq!(err.kind(), ErrorKind::Validation, "{err:?}");
    s.close().await.expect("close");
}

/// A 302 → 301 → 200 chain ends on the final URL.
pub async fn redirects(driver: &dyn BrowserDriver, fixture: &Fixture) {
    let mut s = open(driver).await;
    let nav = s
        .goto(&fixture.url("/redirect/a"), WaitUntil::Load, LOAD)
        .await
        .expect("goto");
    let final_url = fixture.url("/redirect/final");
    assert_eq!(nav.url, final_url);
    assert_eq!(nav.status, driver.capabilities().http_status.then_some(200));
    assert_eq!(s.current_url().await.expect("url"), final_url);
    assert_eq!(s.title().await.expect("title"), "Redirect target");
    s.close().await.expect("close");
}

/// 404 is a permanent `HttpStatus` error, 500 a transient one, for drivers that know the
/// status; the error page stays readable. Other drivers load the pages without a status.
pub async fn http_errors(driver: &dyn BrowserDriver, fixture: &Fixture) {
    let mut s = open(driver).await;
    let knows = driver.capabilities().http_status;
    for (path, code, transient) in [("/status/404", "404", false), ("/status/500", "500", true)] {
        let result = s.goto(&fixture.url(path), WaitUntil::Load, LOAD).await;
        if knows {
            let err = result.expect_err(path);
            assert_eq!(err.kind(), ErrorKind::HttpStatus, "{err:?}");
            assert_eq!(err.context_value("status"), Some(code));
            assert_eq!(err.is_transient(), transient, "{err:?}");
        } else {
            let nav = result.expect(path);
            assert_eq!(nav.status, None);
        }
    }
    // The 500 page is still there to read.
    assert_eq!(s.title().await.expect("title"), "Broken");
    s.close().await.expect("close");
}

/// A refused connection is a transient network error; strings that are not allowed URLs fail
/// validation before the browser sees them.
pub async fn unreachable_and_invalid(driver: &dyn BrowserDriver, _fixture: &Fixture) {
    let mut s = open(driver).await;
    let url = format!("http://127.0.0.1:{}/", closed_port().await);
    let err = s
        .goto(&url, WaitUntil::Load, LOAD)
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Network, "{err:?}");
    assert!(err.is_transient());
    for bad in ["not a url", "javascript:alert(1)", "chrome://version"] {
        let err = s.goto(bad, WaitUntil::Load, LOAD).await.expect_err(bad);
        assert_eq!(err.kind(), ErrorKind::Validation, "{bad}: {err:?}");
        assert!(!err.is_transient());
    }
    s.close().await.expect("close");
}

/// A page slower than the timeout fails with `Timeout`, promptly.
pub async fn slow_page_times_out(driver: &dyn BrowserDriver, fixture: &Fixture) {
    let mut s = open(driver).await;
    let started = Instant::now();
    let err = s
        .goto(
            &fixture.url("/slow"),
            WaitUntil::Load,
            Duration::from_secs(1),
        )
        .await
        .expect_err("too slow");
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");
    assert!(err.is_transient());
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "took {:?}",
        started.elapsed()
    );
    s.close().await.expect("close");
}

/// Type into a form, click submit, and the result page shows the typed text.
pub async fn form_submit(driver: &dyn BrowserDriver, fixture: &Fixture) {
    let mut s = open(driver).await;
    s.goto(&fixture.url("/form"), WaitUntil::Load, LOAD)
        .await
        .expect("goto");
    s.type_text("#q", "hello MINO ü").await.expect("type");
    assert_eq!(
        s.evaluate("document.querySelector('#q').value")
            .await
            .expect("value"),
        json!("hello MINO ü")
    );
    s.click("#go").await.expect("click");
    s.wait_for("#result", Duration::from_secs(10))
        .await
        .expect("result page");
    assert_eq!(
        text_of(s.as_mut(), "#result").await,
        "You typed: hello MINO ü"
    );
    assert!(s
        .current_url()
        .await
        .expect("url")
        .starts_with(&fixture.url("/submit?q=")));

    let err = s.click("#nothing-here").await.expect_err("no match");
    assert_eq!(err.kind(), ErrorKind::Validation, "{err:?}");
    let err = s.type_text("input[[", "x").await.expect_err("bad selector");
    assert_eq!(err.kind(), ErrorKind::Validation, "{err:?}");
    s.close().await.expect("close");
}

/// Cookies (set by the server and by script) and localStorage of one session are absent from
/// another, whether it is open at the same time or later.
pub async fn isolation(driver: &dyn BrowserDriver, fixture: &Fixture) {
    let mut a = open(driver).await;
    a.goto(&fixture.url("/set-cookie"), WaitUntil::Load, LOAD)
        .await
        .expect("goto");
    a.evaluate(
        "document.cookie = 'script_cookie=1; path=/'; localStorage.setItem('mino', 'a'); true",
    )
    .await
    .expect("set state");
    a.goto(&fixture.url("/echo-cookie"), WaitUntil::Load, LOAD)
        .await
        .expect("goto echo");
    let seen = text_of(a.as_mut(), "#cookie").await;
    assert!(
        seen.contains("server_cookie=1") && seen.contains("script_cookie=1"),
        "{seen}"
    );
    assert_eq!(
        a.evaluate("localStorage.getItem('mino')")
            .await
            .expect("get"),
        json!("a")
    );

    let mut concurrent = open(driver).await;
    assert_clean(concurrent.as_mut(), fixture).await;
    concurrent.close().await.expect("close");
    a.close().await.expect("close");

    let mut later = open(driver).await;
    assert_clean(later.as_mut(), fixture).await;
    later.close().await.expect("close");
}

async fn assert_clean(s: &mut dyn BrowserSession, fixture: &Fixture) {
    s.goto(&fixture.url("/echo-cookie"), WaitUntil::Load, LOAD)
        .await
        .expect("goto echo");
    assert_eq!(text_of(s, "#cookie").await, "", "cookies leaked");
    assert_eq!(
        s.evaluate("document.cookie").await.expect("cookie"),
        json!("")
    );
    assert_eq!(
        s.evaluate("localStorage.getItem('mino')")
            .await
            .expect("get"),
        json!(null),
        "localStorage leaked"
    );
}

/// Screenshots come as real PNG and JPEG.
pub async fn screenshots(driver: &dyn BrowserDriver, fixture: &Fixture) {
    let mut s = open(driver).await;
    s.goto(&fixture.url("/static"), WaitUntil::Load, LOAD)
        .await
        .expect("goto");
    let png = s.screenshot(ImageFormat::Png).await.expect("png");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(png.len() > 1000);
    let jpeg = s.screenshot(ImageFormat::Jpeg(70)).await.expect("jpeg");
    assert!(jpeg.starts_with(&[0xFF, 0xD8, 0xFF]), "not a JPEG");
    assert!(jpeg.ends_with(&[0xFF, 0xD9]), "truncated JPEG");
    s.close().await.expect("close");
}

/// `evaluate` returns JSON objects, awaits promises, maps `undefined` to null and reports
/// exceptions as validation errors.
pub async fn evaluate_json(driver: &dyn BrowserDriver, fixture: &Fixture) {
    let mut s = open(driver).await;
    s.goto(&fixture.url("/static"), WaitUntil::Load, LOAD)
        .await
        .expect("goto");
    let value = s
        .evaluate("({ a: 1, b: [true, null, 'x'], c: { d: 2.5 }, title: document.title })")
        .await
        .expect("object");
    assert_eq!(
        value,
        json!({"a": 1, "b": [true, null, "x"], "c": {"d": 2.5}, "title": "Static fixture"})
    );
    let awaited = s
        .evaluate("new Promise(resolve => setTimeout(() => resolve({ late: 42 }), 50))")
        .await
        .expect("promise");
    assert_eq!(awaited, json!({"late": 42}));
    assert_eq!(
        s.evaluate("undefined").await.expect("undefined"),
        json!(null)
    );
    assert_eq!(
        s.evaluate("const half = 20; half * 2 + 2")
            .await
            .expect("statements"),
        json!(42)
    );
    let err = s
        .evaluate("(() => { throw new Error('boom'); })()")
        .await
        .expect_err("throws");
    assert_eq!(err.kind(), ErrorKind::Validation, "{err:?}");
    assert!(err.to_string().contains("boom"), "{err}");
    s.close().await.expect("close");
}

/// Evaluation, selectors and waiting work on a page whose Content Security Policy forbids
/// `eval`.
pub async fn strict_csp(driver: &dyn BrowserDriver, fixture: &Fixture) {
    let mut s = open(driver).await;
    s.goto(&fixture.url("/csp"), WaitUntil::Load, LOAD)
        .await
        .expect("goto");
    assert_eq!(
        s.evaluate("({ title: document.title })")
            .await
            .expect("evaluate"),
        json!({"title": "CSP fixture"})
    );
    s.wait_for("#strict", Duration::from_secs(5))
        .await
        .expect("wait_for");
    assert_eq!(text_of(s.as_mut(), "#strict").await, "no eval here");
    s.close().await.expect("close");
}

/// Scrolling moves `window.scrollY` both ways.
pub async fn scrolling(driver: &dyn BrowserDriver, fixture: &Fixture) {
    let mut s = open(driver).await;
    s.goto(&fixture.url("/tall"), WaitUntil::Load, LOAD)
        .await
        .expect("goto");
    assert_eq!(s.evaluate("window.scrollY").await.expect("y"), json!(0));
    s.scroll_by(600).await.expect("down");
    assert_eq!(s.evaluate("window.scrollY").await.expect("y"), json!(600));
    s.scroll_by(-200).await.expect("up");
    assert_eq!(s.evaluate("window.scrollY").await.expect("y"), json!(400));
    s.close().await.expect("close");
}

/// `NetworkIdle` waits for a request started after the load event; `Load` does not.
pub async fn network_idle(driver: &dyn BrowserDriver, fixture: &Fixture) {
    let mut s = open(driver).await;
    let url = fixture.url("/idle");
    s.goto(&url, WaitUntil::Load, LOAD).await.expect("load");
    assert_eq!(
        s.evaluate("window.__fetched").await.expect("flag"),
        json!(false),
        "Load must not wait for the late request"
    );
    s.goto(&url, WaitUntil::NetworkIdle, LOAD)
        .await
        .expect("network idle");
    assert_eq!(
        s.evaluate("window.__fetched").await.expect("flag"),
        json!(true),
        "NetworkIdle must wait for the late request"
    );
    s.close().await.expect("close");
}

/// A session opened with a viewport has that viewport.
pub async fn viewport(driver: &dyn BrowserDriver, fixture: &Fixture) {
    let mut s = driver
        .open(SessionOptions {
            viewport: Some((800, 600)),
            ..SessionOptions::default()
        })
        .await
        .expect("open");
    s.goto(&fixture.url("/static"), WaitUntil::Load, LOAD)
        .await
        .expect("goto");
    assert_eq!(
        s.evaluate("[window.innerWidth, window.innerHeight]")
            .await
            .expect("size"),
        json!([800, 600])
    );
    s.close().await.expect("close");
}

/// A page that exhausts memory crashes its tab: a transient `Browser` error, for the operation
/// in flight and the ones after it; the next session works.
pub async fn tab_crash(driver: &dyn BrowserDriver, fixture: &Fixture) {
    let mut s = open(driver).await;
    let started = Instant::now();
    let err = s
        .goto(
            &fixture.url("/memory-hog"),
            WaitUntil::Load,
            Duration::from_secs(60),
        )
        .await
        .expect_err("the tab crashes");
    assert_eq!(err.kind(), ErrorKind::Browser, "{err:?}");
    assert!(err.is_transient());
    assert!(
        started.elapsed() < Duration::from_secs(45),
        "crash noticed late: {:?}",
        started.elapsed()
    );
    let err = s.title().await.expect_err("the tab is gone");
    assert_eq!(err.kind(), ErrorKind::Browser, "{err:?}");
    let _ = s.close().await;

    let mut next = open(driver).await;
    next.goto(&fixture.url("/static"), WaitUntil::Load, LOAD)
        .await
        .expect("a new session works");
    assert_eq!(next.title().await.expect("title"), "Static fixture");
    next.close().await.expect("close");
}

/// Live frames arrive as JPEG for drivers that have them, at most at the asked rate; other
/// drivers answer `None`.
pub async fn live_frames(driver: &dyn BrowserDriver, fixture: &Fixture) {
    let mut s = open(driver).await;
    let frames = s.frames(4).await.expect("frames");
    if !driver.capabilities().live_frames {
        assert!(frames.is_none());
        s.close().await.expect("close");
        return;
    }
    let mut frames = frames.expect("a frame stream");
    s.goto(&fixture.url("/animated"), WaitUntil::Load, LOAD)
        .await
        .expect("goto");
    let window = Duration::from_secs(3);
    let started = Instant::now();
    let mut received = Vec::new();
    while started.elapsed() < window {
        let left = window.saturating_sub(started.elapsed());
        match tokio::time::timeout(left, frames.recv()).await {
            Ok(Some(frame)) => received.push(frame),
            Ok(None) => panic!("frame stream ended early"),
            Err(_) => break,
        }
    }
    assert!(received.len() >= 2, "only {} frames in 3 s", received.len());
    // 4 fps for 3 s, plus the buffered ones and a little slack.
    assert!(
        received.len() <= 16,
        "{} frames exceed the cap",
        received.len()
    );
    for frame in &received {
        assert!(frame.jpeg.starts_with(&[0xFF, 0xD8, 0xFF]), "not a JPEG");
    }
    assert!(received.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
    s.close().await.expect("close");
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while frames.recv().await.is_some() {}
    })
    .await;
    assert!(ended.is_ok(), "the frame stream must end with the session");
}

/// After a navigation timed out, the session still navigates.
pub async fn goto_after_timeout(driver: &dyn BrowserDriver, fixture: &Fixture) {
    let mut s = open(driver).await;
    s.goto(&fixture.url("/set-cookie"), WaitUntil::Load, LOAD)
        .await
        .expect("goto");
    let err = s
        .goto(
            &fixture.url("/slow"),
            WaitUntil::Load,
            Duration::from_secs(1),
        )
        .await
        .expect_err("too slow");
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err:?}");
    let started = Instant::now();
    s.goto(&fixture.url("/echo-cookie"), WaitUntil::Load, LOAD)
        .await
        .expect("the next goto works");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the next goto waited {:?}",
        started.elapsed()
    );
    assert_eq!(
        text_of(s.as_mut(), "#cookie").await,
        "server_cookie=1",
        "the session keeps its cookies"
    );
    s.close().await.expect("close");
}

/// Sessions opened and used at the same time do not get in each other's way; an invalid proxy
/// is refused up front.
pub async fn concurrent_sessions(driver: &dyn BrowserDriver, fixture: &Fixture) {
    let sessions = futures::future::join_all((0..3).map(|_| open(driver))).await;
    let visits = sessions
        .into_iter()
        .enumerate()
        .map(|(i, mut s)| async move {
            s.goto(
                &fixture.url(&format!("/submit?q=tab{i}")),
                WaitUntil::Load,
                LOAD,
            )
            .await
            .expect("goto");
            let text = text_of(s.as_mut(), "#result").await;
            s.close().await.expect("close");
            text
        });
    let texts = futures::future::join_all(visits).await;
    assert_eq!(
        texts,
        ["You typed: tab0", "You typed: tab1", "You typed: tab2"]
    );

    let err = driver
        .open(SessionOptions {
            proxy: Some("not a proxy".to_owned()),
            ..SessionOptions::default()
        })
        .await
        .expect_err("invalid proxy");
    assert_eq!(err.kind(), ErrorKind::Validation, "{err:?}");
}
