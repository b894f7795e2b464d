//! End to end: fixture pages through the real engine with real Chromium and the heuristic
//! agent, against a bare chromiumoxide loop doing the same page work.
//!
//! The corpus of `tests/fixtures/sites` (every site's pages held in memory) is served on
//! 127.0.0.1 by the tests' fixture server; 200 start pages `/s/<n>/index.html` cycle over
//! its sites, each under its own address, with the site's other pages beside it so that
//! relative links resolve. Each run visits all 200 with 8 in flight, two ways:
//!
//! - **MINO**: a production execution of a 200-row batch (the corpus's `gt_*` columns as
//!   ground truth) on a `Platform` over SQLite with its worker, the `ChromiumDriver` and
//!   the built-in `heuristic` agent with its default settings (follow at most one link while
//!   a field is missing, one JPEG screenshot of the last page), at concurrency 8. Timed from
//!   `start_execution` until the execution is seen completed. Everything the engine does is
//!   in: claims, a session per attempt, the screenshot stored, the evaluation, events.
//! - **bare**: one chromiumoxide `Browser` launched with the driver's binary and flags and 8
//!   tasks taking the next page: a fresh browser context and page, `goto` (load event),
//!   `content()`, the heuristic agent's own extraction ([`SiteRun`], the pure code that
//!   `HeuristicAgent` drives) with the same link following, the same JPEG screenshot, the
//!   page's URL, and the context disposed. Nothing is stored.
//!
//! Both browsers are launched and warmed up before anything is timed. Repetitions alternate
//! which side goes first; the table shows medians, and the ratio is taken per repetition
//! (the two sides ran back to back). The extractions of both sides are compared job by job.
//!
//! Run: `cargo bench -p mino --bench end_to_end`. Needs Chromium (`MINO_CHROME` or on
//! `PATH`). `MINO_BENCH_PAGES` (default 200), `MINO_BENCH_REPS` (default 3).

#[path = "../mino-browser/benches/support/bare_chromium.rs"]
mod bare_chromium;
mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bare_chromium::Bare;
use chromiumoxide::cdp::browser_protocol::page::CaptureScreenshotFormat;
use chromiumoxide::page::ScreenshotParams;
use common::fixture::{FixtureServer, Reply};
use common::{env_usize, load_average, median};
use indexmap::IndexMap;
use mino::agent::heuristic::{HeuristicSettings, SiteRun};
use mino::agent::{AgentRegistry, AgentTask};
use mino::browser::{BrowserDriver, DynBrowserDriver, SessionOptions, DEFAULT_VIEWPORT};
use mino::browsers::chrome::{find_chromium, DEFAULT_FLAGS};
use mino::browsers::{ChromiumConfig, ChromiumDriver};
use mino::engine::WorkerConfig;
use mino::model::{Extraction, FieldType, JobFilter, OutputField};
use mino::Platform;

const CONCURRENCY: usize = 8;
const TARGET_RATIO: f64 = 0.85;
const INSTRUCTIONS: &str = "Find the requested fields.";

/// One site of the corpus: its pages by file name and its row of `expected.csv`.
struct Site {
    pages: HashMap<String, String>,
    row: IndexMap<String, String>,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sites")
}

/// The sites of `expected.csv`, in its order, with every HTML file of each.
fn corpus() -> Vec<Site> {
    let dir = corpus_dir();
    let mut reader = csv::Reader::from_path(dir.join("expected.csv")).expect("expected.csv");
    let headers = reader.headers().expect("a header").clone();
    reader
        .records()
        .map(|record| {
            let record = record.expect("a row of expected.csv");
            let row: IndexMap<String, String> = headers
                .iter()
                .zip(record.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect();
            let start = row.get("site").expect("a site column");
            let site_dir = dir.join(start).parent().expect("a site folder").to_owned();
            let pages = std::fs::read_dir(&site_dir)
                .expect("a site folder")
                .map(|entry| entry.expect("a directory entry").path())
                .filter(|p| p.extension().is_some_and(|e| e == "html"))
                .map(|p| {
                    let name = p
                        .file_name()
                        .expect("a name")
                        .to_string_lossy()
                        .into_owned();
                    (name, std::fs::read_to_string(&p).expect("a readable page"))
                })
                .collect();
            Site { pages, row }
        })
        .collect()
}

/// The fields of `expected.csv`'s ground-truth columns.
fn fields() -> Vec<OutputField> {
    let typed = |name: &str, field_type| OutputField {
        field_type,
        ..OutputField::named(name)
    };
    vec![
        typed("title", FieldType::Text),
        typed("price", FieldType::Number),
        typed("author", FieldType::Text),
        typed("date", FieldType::Date),
        typed("email", FieldType::Email),
        typed("phone", FieldType::Phone),
        typed("company", FieldType::Text),
        typed("address", FieldType::Text),
        typed("sku", FieldType::Text),
    ]
}

/// `/s/<n>/<file>` answers page `<file>` of site `n % sites`; anything else is a 404.
async fn serve(sites: Arc<Vec<Site>>) -> FixtureServer {
    FixtureServer::start(move |path, _| {
        let mut parts = path.trim_start_matches('/').splitn(3, '/');
        let page = match (parts.next(), parts.next(), parts.next()) {
            (Some("s"), Some(n), Some(file)) => n.parse::<usize>().ok().and_then(|n| {
                let file = file.split(['?', '#']).next().unwrap_or(file);
                sites[n % sites.len()].pages.get(file).cloned()
            }),
            _ => None,
        };
        match page {
            Some(html) => Reply::Page {
                html,
                delay: Duration::ZERO,
            },
            None => Reply::Status(404),
        }
    })
    .await
}

/// One job done by hand on the bare browser: what `HeuristicAgent::run` does in a browser
/// session.
async fn bare_visit(
    bare: &Bare,
    task: &AgentTask,
    settings: &HeuristicSettings,
) -> Result<Extraction, String> {
    let timeout = Duration::from_secs(settings.navigation_timeout_secs);
    bare.in_fresh_page(|page| async move {
        let load = |url: String| {
            let page = page.clone();
            async move {
                bare_chromium::goto(&page, url, timeout).await?;
                let url = page.url().await.map_err(|e| format!("url: {e}"))?;
                let html = page.content().await.map_err(|e| format!("content: {e}"))?;
                Ok::<_, String>((url.unwrap_or_default(), html))
            }
        };
        let mut run = SiteRun::for_task(task, settings.max_follow_links);
        let (url, html) = load(task.site_url.clone()).await?;
        let mut next = run.visit(&html, &url);
        while let Some(link) = next.take() {
            match load(link.clone()).await {
                Ok((url, html)) => next = run.visit(&html, &url),
                Err(err) => run.follow_failed(&link, &err),
            }
        }
        if settings.screenshot {
            let shot = ScreenshotParams::builder()
                .format(CaptureScreenshotFormat::Jpeg)
                .quality(i64::from(settings.screenshot_quality))
                .build();
            page.screenshot(shot)
                .await
                .map_err(|e| format!("screenshot: {e}"))?;
        }
        page.url().await.map_err(|e| format!("url: {e}"))?;
        Ok(run.finish().values)
    })
    .await
}

/// One timed run of one side.
struct Run {
    pages_per_sec: f64,
    secs: f64,
    /// Site URL → what was extracted.
    values: HashMap<String, Extraction>,
    failures: usize,
}

/// Every row through the bare loop, `CONCURRENCY` at once.
async fn bare_run(bare: &Arc<Bare>, rows: &[IndexMap<String, String>]) -> Run {
    let settings = Arc::new(HeuristicSettings::default());
    let tasks: Arc<Vec<AgentTask>> = Arc::new(
        rows.iter()
            .map(|row| AgentTask {
                instructions: INSTRUCTIONS.to_owned(),
                site_url: row["url"].clone(),
                inputs: IndexMap::from([("kind".to_owned(), row["kind"].clone())]),
                output_fields: fields(),
            })
            .collect(),
    );
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let (bare, tasks, next, settings) =
                (bare.clone(), tasks.clone(), next.clone(), settings.clone());
            tokio::spawn(async move {
                let mut out = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(task) = tasks.get(i) else { break };
                    out.push((
                        task.site_url.clone(),
                        bare_visit(&bare, task, &settings).await,
                    ));
                }
                out
            })
        })
        .collect();
    let mut values = HashMap::new();
    let mut failures = 0;
    for worker in workers {
        for (url, result) in worker.await.expect("a bare task") {
            match result {
                Ok(v) => {
                    values.insert(url, v);
                }
                Err(err) => {
                    failures += 1;
                    eprintln!("  bare: {url}: {err}");
                }
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    Run {
        pages_per_sec: values.len() as f64 / secs,
        secs,
        values,
        failures,
    }
}

/// Every row as one production execution on the platform.
async fn mino_run(platform: &Platform, rows: &[IndexMap<String, String>]) -> Run {
    let project = common::project(platform, "heuristic", serde_json::json!({}), fields(), 5).await;
    let batch = common::batch(platform, &project, rows).await;
    let (done, took) = common::run_execution(
        platform,
        &project,
        &batch,
        CONCURRENCY as u32,
        Duration::from_secs(900),
    )
    .await;
    let filter = JobFilter {
        execution_id: Some(done.id),
        ..JobFilter::default()
    };
    let mut values = HashMap::new();
    for id in platform.store().job_ids(&filter).await.expect("job ids") {
        let job = platform.store().get_job(id).await.expect("a job");
        if let Some(extraction) = job.extraction {
            values.insert(job.site_url, extraction);
        }
    }
    let secs = took.as_secs_f64();
    Run {
        pages_per_sec: done.counts.completed as f64 / secs,
        secs,
        failures: (done.total - done.counts.completed) as usize,
        values,
    }
}

#[tokio::main]
async fn main() {
    let Some(executable) = find_chromium() else {
        eprintln!("end_to_end: no Chromium found (set MINO_CHROME); nothing measured");
        return;
    };
    let pages = env_usize("MINO_BENCH_PAGES", 200);
    let reps = env_usize("MINO_BENCH_REPS", 3);
    let sites = Arc::new(corpus());
    let server = serve(sites.clone()).await;
    let rows: Vec<IndexMap<String, String>> = (0..pages)
        .map(|n| {
            let site = &sites[n % sites.len()];
            let mut row = IndexMap::new();
            row.insert("url".to_owned(), server.url(&format!("/s/{n}/index.html")));
            row.insert("kind".to_owned(), site.row["kind"].clone());
            for (column, value) in &site.row {
                if column.starts_with("gt_") {
                    row.insert(column.clone(), value.clone());
                }
            }
            row
        })
        .collect();
    println!(
        "end_to_end: {pages} start pages over {} corpus sites, concurrency {CONCURRENCY}, {reps} repetition(s), {}, load average {}",
        sites.len(),
        executable.display(),
        load_average()
    );

    // The driver's defaults, except the health check, which on this shared two-core machine
    // may take longer than 10 s to answer while 8 pages load (see the chromium_pages bench).
    let driver = Arc::new(ChromiumDriver::new(
        ChromiumConfig::local()
            .executable(&executable)
            .health_timeout(Duration::from_secs(60)),
    ));
    let dir = tempfile::Builder::new()
        .prefix("mino-bench-e2e-")
        .tempdir()
        .expect("a scratch directory");
    let dyn_driver: DynBrowserDriver = driver.clone();
    let platform = common::sqlite_platform(
        dir.path(),
        dyn_driver,
        AgentRegistry::default(),
        WorkerConfig::default(),
    )
    .await;
    let bare = Arc::new(Bare::launch(&executable, "mino-bench-e2e-").await);

    // Warm-up: both browsers launched and a few pages loaded before any timing.
    let warm: Vec<_> = rows.iter().take(CONCURRENCY).cloned().collect();
    for _ in 0..2 {
        let session = driver
            .open(SessionOptions::default())
            .await
            .expect("MINO's browser opens");
        session.close().await.expect("a session closes");
    }
    mino_run(&platform, &warm).await;
    bare_run(&bare, &warm).await;

    let (mut mino_rates, mut bare_rates, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let mut failures = 0;
    let mut same = (0, 0);
    for rep in 0..reps {
        let mino_first = rep % 2 == 1;
        let (mino, bare_side) = if mino_first {
            let m = mino_run(&platform, &rows).await;
            (m, bare_run(&bare, &rows).await)
        } else {
            let b = bare_run(&bare, &rows).await;
            (mino_run(&platform, &rows).await, b)
        };
        for (name, r) in [("MINO", &mino), ("bare", &bare_side)] {
            println!(
                "  rep {} {name}: {:6.2} pages/s ({:5.1} s), {} failed, load {}",
                rep + 1,
                r.pages_per_sec,
                r.secs,
                r.failures,
                load_average()
            );
        }
        failures += mino.failures + bare_side.failures;
        for (url, values) in &bare_side.values {
            same.1 += 1;
            if mino.values.get(url) == Some(values) {
                same.0 += 1;
            }
        }
        mino_rates.push(mino.pages_per_sec);
        bare_rates.push(bare_side.pages_per_sec);
        ratios.push(mino.pages_per_sec / bare_side.pages_per_sec);
    }

    let ratio = median(&mut ratios);
    println!();
    println!("median of {reps} repetition(s), {pages} pages, concurrency {CONCURRENCY}:");
    println!("| side | pages/s |");
    println!("|---|---:|");
    println!(
        "| MINO (engine, SQLite, ChromiumDriver, heuristic agent) | {:.2} |",
        median(&mut mino_rates)
    );
    println!(
        "| bare chromiumoxide loop, same extraction | {:.2} |",
        median(&mut bare_rates)
    );
    println!(
        "MINO / bare: {ratio:.2}× (target ≥ {TARGET_RATIO}×): {}; identical extractions {}/{}; {failures} failed; load average {}",
        if ratio >= TARGET_RATIO { "met" } else { "NOT met" },
        same.0,
        same.1,
        load_average()
    );
    platform.stop_worker(mino::engine::Shutdown::Graceful).await;
    driver.shutdown().await;
    if let Ok(mut bare) = Arc::try_unwrap(bare) {
        let _ = bare.browser.close().await;
        let _ = bare.browser.wait().await;
    }
}
