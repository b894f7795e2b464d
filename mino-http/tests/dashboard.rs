//! The dashboard in a real browser: Chromium, driven by MINO's own Chromium driver, creates a
//! project, uploads a CSV, starts a test execution, watches live progress, pauses and resumes
//! it, opens the jobs table and a job's detail, and exports — with screenshots saved as test
//! artifacts. A product title that is markup (`<img src=x onerror=…>`) must show as text.
//!
//! Also a static check: the dashboard's scripts never parse HTML from strings.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::fixture::{product, Shop};
use common::{Backend, TestServer};
use mino_core::browser::{BrowserSession, ImageFormat, SessionOptions, WaitUntil};
use mino_http::HttpConfig;
use serde_json::Value;

/// Where screenshots go: `MINO_TEST_ARTIFACTS`, else the target directory's test folder.
fn artifacts() -> PathBuf {
    let dir = std::env::var("MINO_TEST_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dashboard"));
    std::fs::create_dir_all(&dir).expect("the artifacts directory");
    dir
}

async fn shot(page: &mut Box<dyn BrowserSession>, name: &str) {
    let png = page
        .screenshot(ImageFormat::Png)
        .await
        .expect("a screenshot");
    let path = artifacts().join(format!("{name}.png"));
    std::fs::write(&path, png).expect("the screenshot is written");
    eprintln!("screenshot: {}", path.display());
}

async fn eval(page: &mut Box<dyn BrowserSession>, js: &str) -> Value {
    page.evaluate(js).await.expect("the script runs")
}

/// Polls a JavaScript expression until it is true.
async fn until(page: &mut Box<dyn BrowserSession>, what: &str, js: &str, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        if eval(page, js).await == Value::Bool(true) {
            return;
        }
        if Instant::now() > deadline {
            let _ = shot(page, &format!("timeout-{}", what.replace(' ', "-"))).await;
            let errors = eval(page, "JSON.stringify(window.__minoErrors || [])").await;
            let html = page.html().await.unwrap_or_default();
            panic!("timed out waiting for {what}; script errors: {errors}; page:\n{html}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn hash(page: &mut Box<dyn BrowserSession>) -> String {
    eval(page, "location.hash")
        .await
        .as_str()
        .unwrap_or("")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_whole_journey_in_chromium() {
    if !common::require_chromium() {
        return;
    }
    let server = TestServer::start(Backend::Sqlite, true, HttpConfig::default())
        .await
        .expect("SQLite is always there");
    let shop = Shop::start_with_delay(Duration::from_millis(1200)).await;
    let driver = mino_browser::driver_from_spec("chromium").expect("a driver");
    let mut page = driver
        .open(SessionOptions::default())
        .await
        .expect("a browser tab");
    page.goto(&server.url("/"), WaitUntil::Load, Duration::from_secs(30))
        .await
        .expect("the dashboard loads");
    page.wait_for("[data-testid=project-name]", Duration::from_secs(10))
        .await
        .expect("the projects page");

    // A project.
    page.type_text("[data-testid=project-name]", "Fixture shop")
        .await
        .expect("typed");
    page.type_text(
        "[data-testid=project-instructions]",
        "Find the title, the price and the brand.",
    )
    .await
    .expect("typed");
    eval(
        &mut page,
        "document.querySelector('[data-testid=project-fields]').value = 'title\\nprice:number\\nbrand'; true",
    )
    .await;
    shot(&mut page, "01-new-project").await;
    page.click("[data-testid=project-create]")
        .await
        .expect("clicked");
    until(
        &mut page,
        "the project page",
        "location.hash.startsWith('#/projects/') && !!document.querySelector('[data-testid=batch-file]')",
        Duration::from_secs(10),
    )
    .await;

    // A CSV upload (the file is given to the file input as a user's pick would be).
    let mut csv = String::from("url,gt_title,gt_price,gt_brand\n");
    for i in 0..12 {
        let (title, price, brand) = product(i);
        let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        csv.push_str(&format!(
            "{},{},{},{}\n",
            shop.url(i),
            quote(title),
            quote(price),
            quote(brand)
        ));
    }
    let csv_js = serde_json::to_string(&csv).expect("a JS string");
    eval(
        &mut page,
        &format!(
            "(() => {{ const dt = new DataTransfer(); \
             dt.items.add(new File([{csv_js}], 'shop.csv', {{ type: 'text/csv' }})); \
             document.querySelector('[data-testid=batch-file]').files = dt.files; return true; }})()"
        ),
    )
    .await;
    page.click("[data-testid=batch-upload]")
        .await
        .expect("clicked");
    until(
        &mut page,
        "the batch page",
        "location.hash.startsWith('#/batches/') && !!document.querySelector('[data-testid=exec-start]')",
        Duration::from_secs(20),
    )
    .await;
    let batch_hash = hash(&mut page).await;
    let batch_id = batch_hash.trim_start_matches("#/batches/").to_owned();
    // The preview shows website text as text: the markup title is not an element.
    until(
        &mut page,
        "the preview with the markup title as text",
        "document.body.innerText.includes('<img src=x onerror=alert(1)>') && !document.querySelector('img[src=\"x\"]') && !document.querySelector('main script')",
        Duration::from_secs(5),
    )
    .await;
    shot(&mut page, "02-batch").await;

    // A test execution of 10 rows at concurrency 2; watch it, pause and resume it.
    eval(
        &mut page,
        "document.querySelector('[data-testid=exec-concurrency]').value = '2'; true",
    )
    .await;
    page.click("[data-testid=exec-start]")
        .await
        .expect("clicked");
    until(
        &mut page,
        "the execution monitor",
        "location.hash.startsWith('#/executions/') && !!document.querySelector('[data-testid=stat-progress]')",
        Duration::from_secs(20),
    )
    .await;
    let execution_id = hash(&mut page)
        .await
        .trim_start_matches("#/executions/")
        .to_owned();
    until(
        &mut page,
        "a running agent card",
        "document.querySelectorAll('[data-testid=agent-card]').length > 0",
        Duration::from_secs(30),
    )
    .await;
    until(
        &mut page,
        "a live browser frame in an agent card",
        "[...document.querySelectorAll('[data-testid=agent-card] img')].some((i) => i.src.startsWith('data:image/jpeg'))",
        Duration::from_secs(30),
    )
    .await;
    shot(&mut page, "03-monitor-running").await;
    page.click("[data-testid=pause]").await.expect("clicked");
    until(
        &mut page,
        "the paused status",
        "document.querySelector('[data-testid=exec-status]').innerText.trim() === 'paused'",
        Duration::from_secs(10),
    )
    .await;
    let (_, paused) = server.get(&format!("/api/executions/{execution_id}")).await;
    assert_eq!(paused["status"], "paused");
    shot(&mut page, "04-monitor-paused").await;
    page.click("[data-testid=resume]").await.expect("clicked");
    until(
        &mut page,
        "the execution to complete, live",
        "document.querySelector('[data-testid=exec-status]').innerText.trim() === 'completed' \
         && document.querySelector('[data-testid=stat-progress]').innerText === '100%'",
        Duration::from_secs(120),
    )
    .await;
    let (_, done) = server.get(&format!("/api/executions/{execution_id}")).await;
    assert_eq!(done["status"], "completed");
    let shown = eval(
        &mut page,
        "document.querySelector('[data-testid=stat-completed]').innerText",
    )
    .await;
    assert_eq!(
        shown.as_str(),
        Some(done["counts"]["completed"].to_string().as_str())
    );
    shot(&mut page, "05-monitor-completed").await;

    // Results: the jobs table, the markup title as text, a job's detail.
    // In-app navigation changes only the hash (no page load to wait for).
    eval(
        &mut page,
        &format!("location.hash = '#/batches/{batch_id}/jobs?status=completed'; true"),
    )
    .await;
    until(
        &mut page,
        "the jobs table",
        "document.querySelectorAll('[data-testid=job-link]').length > 0",
        Duration::from_secs(20),
    )
    .await;
    let escaped = eval(
        &mut page,
        "!document.querySelector('img[src=\"x\"]') && !document.querySelector('#app script')",
    )
    .await;
    assert_eq!(
        escaped,
        Value::Bool(true),
        "no markup from a website became an element"
    );
    shot(&mut page, "06-jobs").await;
    page.click("[data-testid=job-link]").await.expect("clicked");
    until(
        &mut page,
        "the job detail",
        "location.hash.startsWith('#/jobs/') && !!document.querySelector('[data-testid=fields]') && document.querySelectorAll('[data-testid=extracted]').length === 3",
        Duration::from_secs(20),
    )
    .await;
    shot(&mut page, "07-job").await;

    // Metrics and export are reachable from the batch.
    eval(
        &mut page,
        &format!("location.hash = '#/batches/{batch_id}/metrics'; true"),
    )
    .await;
    until(
        &mut page,
        "the column metrics",
        "document.querySelectorAll('[data-testid=column-metrics] tbody tr').length === 3",
        Duration::from_secs(20),
    )
    .await;
    shot(&mut page, "08-metrics").await;
    let href = eval(
        &mut page,
        "(async () => { location.hash = '#/batches/' + location.hash.split('/')[2]; \
         for (let i = 0; i < 100 && !document.querySelector('[data-testid=export-link]'); i++) await new Promise(r => setTimeout(r, 50)); \
         const a = document.querySelector('[data-testid=export-link]'); const r = await fetch(a.getAttribute('href')); \
         return r.status + ' ' + r.headers.get('content-disposition'); })()",
    )
    .await;
    let href = href.as_str().unwrap_or("").to_owned();
    assert!(href.starts_with("200 attachment;"), "{href}");

    page.close().await.expect("the tab closes");
    server.finish().await;
}

#[test]
fn the_dashboard_never_parses_html_from_strings() {
    for (path, _, source) in mino_http::dashboard::ASSETS {
        if !path.ends_with(".js") {
            continue;
        }
        for forbidden in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
            "new Function",
            "createContextualFragment",
        ] {
            assert!(
                !source.contains(forbidden),
                "{path} uses {forbidden}: website and CSV text must only become text nodes"
            );
        }
    }
    assert!(
        !mino_http::dashboard::INDEX.contains("<script>"),
        "no inline script"
    );
}
