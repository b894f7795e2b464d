//! HTTP benchmark: `GET /api/batches/{id}/jobs?limit=50&status=completed` on a 1,000,000-job
//! batch, at page 1 and at a cursor 900,000 jobs deep, driven by `wrk` over a real socket
//! against the router on SQLite; the ratio against `GET /api/health` on the same server in
//! the same run shows what the query itself costs.
//!
//! Run: `cargo bench -p mino-http --bench http` (needs `wrk`, Debian package `wrk`;
//! `MINO_BENCH_JOBS` changes the batch size, `MINO_BENCH_SECS` the time per URL).

mod support;

use std::process::Command;
use std::time::Instant;

use indexmap::IndexMap;
use mino_core::model::{JobFilter, JobStatus, NewBatch, NewJob, NewProject};
use mino_core::store::{Cursor, JobRows};
use support::{env_or, serving_platform};

fn main() {
    let jobs: u64 = env_or("MINO_BENCH_JOBS", 1_000_000);
    let secs: u64 = env_or("MINO_BENCH_SECS", 10);
    if Command::new("wrk").arg("--version").output().is_err() {
        eprintln!("the HTTP benchmark needs wrk (apt-get install wrk)");
        std::process::exit(2);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(run(jobs, secs));
}

/// Every 20th job stays pending, the rest are completed, so the filter really filters.
fn rows(n: u64) -> JobRows {
    Box::new((0..n).map(|i| {
        let mut inputs = IndexMap::new();
        inputs.insert("company".to_owned(), format!("Company {i}"));
        let mut ground_truth = IndexMap::new();
        ground_truth.insert("title".to_owned(), format!("Title {i}"));
        Ok(NewJob {
            row_index: i,
            line: i + 2,
            site_url: format!("https://shop-{i}.example.com/"),
            inputs,
            ground_truth,
            invalid_reason: None,
        })
    }))
}

async fn run(jobs: u64, secs: u64) {
    let dir = tempfile::tempdir().expect("a scratch directory");
    let path = dir.path().join("http-bench.db");
    let url = format!("sqlite:{}", path.display());
    let (store, events) = mino_store::open_with_events(&url)
        .await
        .expect("the store opens");
    let project = store
        .create_project(NewProject::named("http bench"))
        .await
        .expect("a project");
    let load = Instant::now();
    let batch = store
        .create_batch(
            NewBatch {
                project_id: project.id,
                name: "bench".into(),
                source_filename: None,
                columns: vec![],
                site_url_column: "url".into(),
                preview: vec![],
                warnings: vec![],
            },
            rows(jobs),
        )
        .await
        .expect("a batch");
    // The engine would take hours to complete a million jobs; the benchmark marks 95% of
    // them completed in the database directly (the list query does not care how).
    {
        let db = rusqlite::Connection::open(&path).expect("the database");
        db.busy_timeout(std::time::Duration::from_secs(30))
            .expect("a busy timeout");
        let changed = db
            .execute(
                "UPDATE jobs SET status = 'completed' WHERE row_index % 20 <> 19",
                [],
            )
            .expect("jobs are marked completed");
        eprintln!(
            "loaded {jobs} jobs and completed {changed} in {:.1} s",
            load.elapsed().as_secs_f64()
        );
    }
    let ids = store
        .job_ids(&JobFilter {
            batch_id: Some(batch.id),
            statuses: vec![JobStatus::Completed],
            ..JobFilter::default()
        })
        .await
        .expect("job ids");
    let depth = (jobs as usize * 9 / 10).min(ids.len().saturating_sub(1));
    let cursor = Cursor::Id(ids[depth].as_uuid()).encode();
    let platform = serving_platform(store, events);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let addr = listener.local_addr().expect("an address");
    let app = mino_http::router(platform);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let base = format!("http://{addr}");
    let list = format!(
        "{base}/api/batches/{}/jobs?limit=50&status=completed",
        batch.id
    );
    let targets = [
        ("GET /api/health", format!("{base}/api/health")),
        ("jobs page 1", list.clone()),
        ("jobs at depth 900,000", format!("{list}&cursor={cursor}")),
    ];
    // The first request of each URL must answer a full page.
    let client = reqwest::Client::new();
    for (_, url) in &targets[1..] {
        let body: serde_json::Value = client
            .get(url)
            .send()
            .await
            .expect("an answer")
            .json()
            .await
            .expect("JSON");
        assert_eq!(body["data"].as_array().map(Vec::len), Some(50), "{url}");
    }
    println!("HTTP benchmark: {jobs} jobs, 50-row pages of completed jobs, wrk -t2 -c16 -d{secs}s");
    println!();
    println!("| URL | requests/s | p50 ms | p99 ms | requests/s vs health |");
    println!("|---|---:|---:|---:|---:|");
    let mut health_rps = None;
    for (name, url) in &targets {
        let url = url.clone();
        let secs = secs.to_string();
        let out = tokio::task::spawn_blocking(move || {
            Command::new("wrk")
                .args(["-t2", "-c16", &format!("-d{secs}s"), "--latency", &url])
                .output()
                .expect("wrk runs")
        })
        .await
        .expect("wrk finishes");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let rps = field(&text, "Requests/sec:").unwrap_or(0.0);
        let p50 = latency(&text, "50%").unwrap_or(f64::NAN);
        let p99 = latency(&text, "99%").unwrap_or(f64::NAN);
        let non_2xx = text.contains("Non-2xx");
        let health = *health_rps.get_or_insert(rps);
        println!(
            "| {name} | {rps:.0} | {p50:.2} | {p99:.2} | {:.2}× |{}",
            rps / health,
            if non_2xx { " (non-2xx answers!)" } else { "" }
        );
    }
}

/// The number after `label` in wrk's output.
fn field(text: &str, label: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(label))
        .and_then(|v| v.trim().parse().ok())
}

/// A latency percentile line of wrk's `--latency` output, in milliseconds.
fn latency(text: &str, percentile: &str) -> Option<f64> {
    let value = text
        .lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix(percentile))?
        .trim()
        .to_owned();
    let (number, unit) = value.split_at(value.find(|c: char| c.is_ascii_alphabetic())?);
    let number: f64 = number.parse().ok()?;
    Some(match unit {
        "us" => number / 1000.0,
        "ms" => number,
        "s" => number * 1000.0,
        _ => return None,
    })
}
