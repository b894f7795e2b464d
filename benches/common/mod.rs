//! Shared by the engine benchmarks (`engine`, `end_to_end`): platforms on a scratch SQLite
//! file, projects and batches, waiting for an execution to end, and the machine's load.

#![allow(dead_code)] // each bench binary uses a different part

/// The scripted fixture web server of the end-to-end tests, reused as it is.
#[path = "../../tests/common/fixture.rs"]
pub mod fixture;

/// Sizes from the environment, the machine's load and medians, as every bench reads them.
#[path = "../../mino-browser/benches/support/bench_env.rs"]
mod bench_env;

pub use bench_env::*;

use std::time::{Duration, Instant};

use indexmap::IndexMap;
use mino::agent::AgentRegistry;
use mino::browser::DynBrowserDriver;
use mino::engine::WorkerConfig;
use mino::model::{AgentConfig, Batch, Execution, ExecutionMode, NewProject, OutputField, Project};
use mino::platform::StartExecution;
use mino::Platform;

/// The Postgres server of the benchmarks (the tests' server unless told otherwise).
pub fn postgres_url() -> String {
    std::env::var("MINO_BENCH_DATABASE_URL")
        .or_else(|_| std::env::var("MINO_TEST_DATABASE_URL"))
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "postgres://postgres:postgres@127.0.0.1:5432/test".to_owned())
}

/// A platform on a fresh SQLite file in `dir`, with its worker running.
pub async fn sqlite_platform(
    dir: &std::path::Path,
    driver: DynBrowserDriver,
    agents: AgentRegistry,
    worker: WorkerConfig,
) -> Platform {
    let url = format!("sqlite:{}", dir.join("mino.db").display());
    let store = mino::stores::open(&url)
        .await
        .expect("the SQLite store opens");
    let platform = Platform::builder()
        .store(store)
        .driver(driver)
        .agents(agents)
        .worker(worker)
        .build()
        .expect("the platform is built");
    platform.start_worker().expect("the worker starts");
    platform
}

/// A project running `agent` (with `settings`) to extract `fields`.
pub async fn project(
    platform: &Platform,
    agent: &str,
    settings: serde_json::Value,
    fields: Vec<OutputField>,
    max_attempts: u32,
) -> Project {
    let mut new = NewProject::named(format!("bench {agent}"));
    new.instructions = "Find the requested fields.".to_owned();
    new.output_fields = fields;
    new.agent = AgentConfig {
        name: agent.to_owned(),
        settings,
    };
    new.settings.max_attempts = max_attempts;
    new.settings.job_timeout_secs = 120;
    platform
        .create_project(new)
        .await
        .expect("the project is created")
}

/// A batch of `rows` through the same ingest as a CSV upload; every row must be runnable.
pub async fn batch(
    platform: &Platform,
    project: &Project,
    rows: &[IndexMap<String, String>],
) -> Batch {
    let (batch, report) = platform
        .create_batch_from_rows(project.id, "bench.csv", rows)
        .await
        .expect("the batch is created");
    assert_eq!(
        report.valid_rows,
        rows.len() as u64,
        "every row is runnable"
    );
    batch
}

/// `n` rows with distinct site URLs under `base`.
pub fn site_rows(base: &str, n: usize) -> Vec<IndexMap<String, String>> {
    (0..n)
        .map(|i| {
            let mut row = IndexMap::new();
            row.insert("url".to_owned(), format!("{base}/site/{i}"));
            row
        })
        .collect()
}

/// A production run of every job at `concurrency`.
pub fn production(concurrency: u32) -> StartExecution {
    StartExecution {
        mode: Some(ExecutionMode::Production),
        concurrency: Some(concurrency),
        ..StartExecution::default()
    }
}

/// Starts a production execution of `batch` and waits until it ends; returns it with the
/// wall time from the start call until the end was seen (polled every 5 ms).
pub async fn run_execution(
    platform: &Platform,
    project: &Project,
    batch: &Batch,
    concurrency: u32,
    timeout: Duration,
) -> (Execution, Duration) {
    let started = Instant::now();
    let execution = platform
        .start_execution(project.id, batch.id, production(concurrency))
        .await
        .expect("the execution starts");
    loop {
        let now = platform
            .execution(execution.id)
            .await
            .expect("the execution is read");
        if !now.status.is_active() {
            return (now, started.elapsed());
        }
        assert!(
            started.elapsed() < timeout,
            "the execution did not end within {timeout:?}: {} with {:?}",
            now.status.as_str(),
            now.counts
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: f64) -> String {
    let digits = format!("{:.0}", n.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
