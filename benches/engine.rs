//! The engine's own cost, and its retries.
//!
//! **Overhead.** 20,000 jobs whose agent and browser do nothing (a no-op `BrowserDriver`
//! whose sessions answer at once, and a no-op `Agent` that returns an empty value per field)
//! run through the real engine: claims with leases, sessions, results, events, stats. The
//! time is the wall time from `Platform::start_execution` until the execution is seen
//! completed (polled every 5 ms), at concurrency 50:
//!
//! - SQLite: one process, the platform and its worker in this one;
//! - Postgres: 1 and 4 worker processes (this binary started again as a worker) sharing one
//!   database schema, events between them through LISTEN/NOTIFY, as `mino worker` runs; the
//!   execution's concurrency of 50 holds across them all.
//!
//! The baseline, in the same run and on the same Postgres: graphile-worker (installed from
//! npm by `scripts/bench-engine.sh`) running 20,000 no-op jobs with the same total
//! concurrency, in 1 and 4 node processes (50, and 13+13+12+12), started together once their
//! connections are open, timed from their start until the last job is done. See
//! `benches/graphile_noop.js`. Each process, MINO's or graphile-worker's, has as many
//! database connections as jobs it may run at once.
//!
//! **Retry recovery.** An agent that fails with a transient (network) error with probability
//! p, independently on every attempt (one seeded random stream), over 2,000 jobs with max
//! attempts k, on SQLite with no backoff delay: the share of jobs that end completed against
//! 1 − p^k.
//!
//! Run: `scripts/bench-engine.sh` (installs the baseline, then
//! `cargo bench -p mino --features postgres --bench engine`). `MINO_BENCH_JOBS` (default
//! 20000), `MINO_BENCH_REPS` (default 1), `MINO_BENCH_ONLY` (`sqlite`, `postgres` or
//! `retry`), `MINO_BENCH_DATABASE_URL` (default the tests' Postgres).

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use common::{env_usize, load_average, thousands};
use mino::agent::{Agent, AgentOutcome, AgentRegistry, AgentTask, DynAgent};
use mino::browser::{
    BrowserDriver, BrowserSession, Capabilities, DynBrowserDriver, ImageFormat, Navigation,
    SessionOptions, WaitUntil,
};
use mino::engine::{Backoff, WorkerConfig};
use mino::model::{ExecutionStatus, OutputField};
use mino::stores::postgres::{PostgresConfig, PostgresStore};
use mino::{Error, ErrorKind, Platform, Result};
use rand::{Rng, SeedableRng};

const CONCURRENCY: u32 = 50;
const WORKER_COUNTS: [usize; 2] = [1, 4];
const SQLITE_TARGET: f64 = 10_000.0;
const POSTGRES_TARGET_RATIO: f64 = 0.5;
const RETRY_JOBS: usize = 2_000;
const RETRY_CELLS: [(f64, u32); 4] = [(0.3, 3), (0.3, 5), (0.6, 3), (0.6, 5)];
const RETRY_TOLERANCE: f64 = 0.02;
const ROLE_ENV: &str = "MINO_BENCH_ROLE";

/// A browser that does nothing: sessions open at once and every page operation succeeds.
#[derive(Debug)]
struct NoopDriver;

#[derive(Debug)]
struct NoopSession {
    url: String,
}

#[async_trait]
impl BrowserDriver for NoopDriver {
    fn name(&self) -> &'static str {
        "noop"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
    }

    async fn open(&self, _options: SessionOptions) -> Result<Box<dyn BrowserSession>> {
        Ok(Box::new(NoopSession {
            url: "about:blank".to_owned(),
        }))
    }
}

#[async_trait]
impl BrowserSession for NoopSession {
    async fn goto(&mut self, url: &str, _: WaitUntil, _: Duration) -> Result<Navigation> {
        self.url = url.to_owned();
        Ok(Navigation {
            url: url.to_owned(),
            status: Some(200),
        })
    }

    async fn current_url(&mut self) -> Result<String> {
        Ok(self.url.clone())
    }

    async fn title(&mut self) -> Result<String> {
        Ok(String::new())
    }

    async fn html(&mut self) -> Result<String> {
        Ok(String::new())
    }

    async fn evaluate(&mut self, _expression: &str) -> Result<serde_json::Value> {
        Ok(serde_json::Value::Null)
    }

    async fn click(&mut self, _selector: &str) -> Result<()> {
        Ok(())
    }

    async fn type_text(&mut self, _selector: &str, _text: &str) -> Result<()> {
        Ok(())
    }

    async fn scroll_by(&mut self, _dy: i64) -> Result<()> {
        Ok(())
    }

    async fn wait_for(&mut self, _selector: &str, _timeout: Duration) -> Result<()> {
        Ok(())
    }

    async fn screenshot(&mut self, _format: ImageFormat) -> Result<Vec<u8>> {
        Ok(Vec::new())
    }

    async fn close(self: Box<Self>) -> Result<()> {
        Ok(())
    }
}

/// An empty result for every field.
fn nothing_found(task: &AgentTask) -> AgentOutcome {
    AgentOutcome {
        values: task
            .output_fields
            .iter()
            .map(|f| (f.name.clone(), None))
            .collect(),
        final_url: Some(task.site_url.clone()),
        ..AgentOutcome::default()
    }
}

/// An agent that does nothing.
#[derive(Debug)]
struct NoopAgent;

#[async_trait]
impl Agent for NoopAgent {
    fn name(&self) -> &'static str {
        "noop"
    }

    async fn run(&self, task: &AgentTask, _: &mut dyn BrowserSession) -> Result<AgentOutcome> {
        Ok(nothing_found(task))
    }
}

/// An agent whose every attempt fails with a transient error with probability `p`, drawn
/// from one seeded stream shared by all its attempts.
#[derive(Debug)]
struct FlakyAgent {
    p: f64,
    rng: Mutex<rand::rngs::StdRng>,
}

#[async_trait]
impl Agent for FlakyAgent {
    fn name(&self) -> &'static str {
        "flaky"
    }

    async fn run(&self, task: &AgentTask, _: &mut dyn BrowserSession) -> Result<AgentOutcome> {
        let fail = self
            .rng
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .random_bool(self.p);
        if fail {
            return Err(Error::new(ErrorKind::Network, "injected transient failure"));
        }
        Ok(nothing_found(task))
    }
}

/// `noop`, and `flaky-<percent>` for each failure rate of the retry cells. The registry is
/// asked for an agent again every few seconds: each name hands out one shared agent, so the
/// random stream runs on instead of starting over.
fn agents() -> AgentRegistry {
    let mut agents = AgentRegistry::empty();
    agents.register("noop", |_| Ok(Arc::new(NoopAgent) as DynAgent));
    for (i, p) in [0.3, 0.6].into_iter().enumerate() {
        let agent: DynAgent = Arc::new(FlakyAgent {
            p,
            rng: Mutex::new(rand::rngs::StdRng::seed_from_u64(0x5EED + i as u64)),
        });
        agents.register(flaky_name(p), move |_| Ok(agent.clone()));
    }
    agents
}

fn flaky_name(p: f64) -> String {
    format!("flaky-{:.0}", p * 100.0)
}

fn driver() -> DynBrowserDriver {
    Arc::new(NoopDriver)
}

/// The engine's defaults, without screenshots (the no-op browser has nothing to show) and
/// with retries at once.
fn worker_config() -> WorkerConfig {
    WorkerConfig {
        max_in_flight: CONCURRENCY as usize,
        screenshots: false,
        backoff: Backoff {
            base: Duration::ZERO,
            max: Duration::ZERO,
        },
        ..WorkerConfig::default()
    }
}

fn fields() -> Vec<OutputField> {
    vec![OutputField::named("title")]
}

/// One measured run.
struct Measured {
    jobs: u64,
    secs: f64,
}

impl Measured {
    fn rate(&self) -> f64 {
        self.jobs as f64 / self.secs
    }
}

async fn mino_sqlite(jobs: usize) -> Measured {
    let dir = tempfile::Builder::new()
        .prefix("mino-bench-engine-")
        .tempdir()
        .expect("a scratch directory");
    let platform = common::sqlite_platform(dir.path(), driver(), agents(), worker_config()).await;
    let measured = mino_run(&platform, jobs).await;
    platform.stop_worker(mino::engine::Shutdown::Graceful).await;
    measured
}

/// Runs `jobs` no-op jobs on `platform` (whose workers may live elsewhere) and checks that
/// every one completed.
async fn mino_run(platform: &Platform, jobs: usize) -> Measured {
    let project = common::project(platform, "noop", serde_json::json!({}), fields(), 5).await;
    let rows = common::site_rows("https://example.invalid", jobs);
    let batch = common::batch(platform, &project, &rows).await;
    let (done, took) = common::run_execution(
        platform,
        &project,
        &batch,
        CONCURRENCY,
        Duration::from_secs(900),
    )
    .await;
    assert_eq!(done.status, ExecutionStatus::Completed);
    assert_eq!(done.counts.completed, jobs as u64, "{:?}", done.counts);
    Measured {
        jobs: done.counts.completed,
        secs: took.as_secs_f64(),
    }
}

/// `base` with a fresh schema and a pool of `connections`.
fn schema_url(base: &str, schema: &str, connections: usize) -> String {
    let separator = if base.contains('?') { '&' } else { '?' };
    format!("{base}{separator}schema={schema}&max_connections={connections}")
}

/// A child process that says `ready` on stdout and waits for stdin.
struct ChildProc {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl ChildProc {
    fn spawn(mut command: Command) -> ChildProc {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("a child process starts");
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        ChildProc {
            child,
            stdin,
            stdout,
        }
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .expect("a line from a child");
        line.trim().to_owned()
    }

    fn expect_ready(&mut self) {
        let line = self.line();
        assert_eq!(line, "ready", "a child process failed to start");
    }

    fn say(&mut self, text: &str) {
        let stdin = self.stdin.as_mut().expect("the child's stdin");
        writeln!(stdin, "{text}").expect("write to a child");
        stdin.flush().expect("flush");
    }

    fn finish(mut self) {
        drop(self.stdin.take());
        let status = self.child.wait().expect("the child ends");
        assert!(status.success(), "a child process failed: {status}");
    }
}

/// Runs `jobs` no-op jobs on Postgres with `workers` worker processes.
async fn mino_postgres(base: &str, jobs: usize, workers: usize) -> Measured {
    let schema = format!("mino_bench_{}", uuid::Uuid::now_v7().simple());
    let per_worker = (CONCURRENCY as usize).div_ceil(workers);
    let url = schema_url(base, &schema, per_worker);
    let (store, events) = mino::stores::open_with_events(&url)
        .await
        .expect("the Postgres store opens");
    let platform = Platform::builder()
        .store(store)
        .driver(driver())
        .agents(agents())
        .events(events)
        .worker(worker_config())
        .build()
        .expect("the platform is built");
    let exe = std::env::current_exe().expect("this bench's path");
    let mut children: Vec<ChildProc> = (0..workers)
        .map(|_| {
            let mut command = Command::new(&exe);
            command.env(ROLE_ENV, "worker").env("MINO_BENCH_URL", &url);
            ChildProc::spawn(command)
        })
        .collect();
    for child in &mut children {
        child.expect_ready();
    }
    let measured = mino_run(&platform, jobs).await;
    for child in children {
        child.finish();
    }
    drop(platform);
    let config = PostgresConfig::from_url(&url).expect("a valid URL");
    if let Ok(store) = PostgresStore::connect_without_migrating(config).await {
        if let Err(err) = store.drop_schema().await {
            eprintln!("could not drop schema {schema}: {err}");
        }
    }
    measured
}

/// The worker process of the Postgres runs: a platform with its worker until stdin closes.
async fn worker_process() {
    let url = std::env::var("MINO_BENCH_URL").expect("MINO_BENCH_URL");
    let (store, events) = mino::stores::open_with_events(&url)
        .await
        .expect("the Postgres store opens");
    let platform = Platform::builder()
        .store(store)
        .driver(driver())
        .agents(agents())
        .events(events)
        .worker(worker_config())
        .build()
        .expect("the platform is built");
    platform.start_worker().expect("the worker starts");
    println!("ready");
    tokio::task::spawn_blocking(|| {
        let mut sink = String::new();
        while std::io::stdin().read_line(&mut sink).is_ok_and(|n| n > 0) {}
    })
    .await
    .expect("stdin watcher");
    platform.stop_worker(mino::engine::Shutdown::Graceful).await;
}

/// Where graphile-worker and the baseline script are, when installed.
struct Graphile {
    script: PathBuf,
    node_dir: PathBuf,
}

impl Graphile {
    fn find() -> Option<Graphile> {
        let node_dir = std::env::var_os("MINO_BENCH_NODE")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/var/tmp/mino-bench-node"));
        let installed = node_dir.join("node_modules/graphile-worker/package.json");
        if !installed.is_file() {
            println!(
                "graphile-worker is not installed in {} (scripts/bench-engine.sh installs it): no baseline",
                node_dir.display()
            );
            return None;
        }
        Some(Graphile {
            script: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/graphile_noop.js"),
            node_dir,
        })
    }

    fn command(&self, url: &str, schema: &str, jobs: usize, args: &[&str]) -> Command {
        let mut command = Command::new("node");
        command
            .arg(&self.script)
            .args(args)
            .env("MINO_BENCH_NODE", &self.node_dir)
            .env("GW_URL", url)
            .env("GW_SCHEMA", schema)
            .env("GW_JOBS", jobs.to_string());
        command
    }

    /// `jobs` no-op jobs through `workers` processes sharing `CONCURRENCY`.
    fn run(&self, url: &str, jobs: usize, workers: usize) -> Measured {
        let schema = "mino_bench_graphile";
        let status = self
            .command(url, schema, jobs, &["prepare"])
            .status()
            .expect("node runs");
        assert!(status.success(), "preparing graphile-worker failed");
        let total = CONCURRENCY as usize;
        let mut children: Vec<ChildProc> = (0..workers)
            .map(|i| {
                // 50 over 4: 13, 13, 12, 12.
                let share = total / workers + usize::from(i < total % workers);
                ChildProc::spawn(self.command(url, schema, jobs, &["work", &share.to_string()]))
            })
            .collect();
        for child in &mut children {
            child.expect_ready();
        }
        for child in &mut children {
            child.say("go");
        }
        let (mut first, mut last, mut done) = (f64::INFINITY, 0f64, 0u64);
        for mut child in children {
            let report: serde_json::Value =
                serde_json::from_str(&child.line()).expect("a JSON report from graphile-worker");
            first = first.min(report["t0"].as_f64().expect("t0"));
            last = last.max(report["last"].as_f64().expect("last"));
            done += report["done"].as_u64().expect("done");
            child.finish();
        }
        let status = self
            .command(url, schema, jobs, &["drop"])
            .status()
            .expect("node runs");
        assert!(status.success(), "dropping graphile-worker's schema failed");
        assert_eq!(done, jobs as u64, "graphile-worker completed every job");
        Measured {
            jobs: done,
            secs: (last - first) / 1000.0,
        }
    }
}

async fn postgres_reachable(url: &str) -> std::result::Result<(), String> {
    let config = PostgresConfig::from_url(url).map_err(|e| e.to_string())?;
    PostgresStore::connect_without_migrating(config)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn show(label: &str, m: &Measured) {
    println!(
        "  {label}: {} jobs in {:.2} s = {} jobs/s (load {})",
        m.jobs,
        m.secs,
        thousands(m.rate()),
        load_average()
    );
}

async fn overhead(jobs: usize, reps: usize, only: Option<&str>) {
    println!(
        "engine overhead: {jobs} no-op jobs at concurrency {CONCURRENCY}, {reps} repetition(s), load average {}",
        load_average()
    );
    let mut sqlite = Vec::new();
    if only.is_none_or(|o| o == "sqlite") {
        for rep in 0..reps {
            let m = mino_sqlite(jobs).await;
            show(&format!("rep {} MINO SQLite, 1 process", rep + 1), &m);
            sqlite.push(m.rate());
        }
    }

    // pg[worker index] = (MINO rates, graphile rates, per-rep ratios)
    let mut pg: Vec<(Vec<f64>, Vec<f64>, Vec<f64>)> = vec![Default::default(); 2];
    let base = common::postgres_url();
    let run_pg = only.is_none_or(|o| o == "postgres");
    let reachable = if run_pg {
        postgres_reachable(&base).await
    } else {
        Err("not asked for".to_owned())
    };
    if let Err(why) = &reachable {
        println!("Postgres runs skipped: {why}");
    }
    let graphile = reachable.is_ok().then(Graphile::find).flatten();
    if reachable.is_ok() {
        for rep in 0..reps {
            for (wi, &workers) in WORKER_COUNTS.iter().enumerate() {
                // Alternate which side goes first, so neither always meets a warmer server.
                let graphile_first = rep % 2 == 1;
                let mut baseline = None;
                if graphile_first {
                    baseline = graphile.as_ref().map(|g| g.run(&base, jobs, workers));
                }
                let m = mino_postgres(&base, jobs, workers).await;
                if !graphile_first {
                    baseline = graphile.as_ref().map(|g| g.run(&base, jobs, workers));
                }
                show(
                    &format!("rep {} MINO Postgres, {workers} worker(s)", rep + 1),
                    &m,
                );
                pg[wi].0.push(m.rate());
                if let Some(b) = baseline {
                    show(
                        &format!("rep {} graphile-worker, {workers} process(es)", rep + 1),
                        &b,
                    );
                    pg[wi].1.push(b.rate());
                    pg[wi].2.push(m.rate() / b.rate());
                }
            }
        }
    }

    println!();
    println!("median of {reps} repetition(s), {jobs} jobs, total concurrency {CONCURRENCY}:");
    println!(
        "| setup | MINO jobs/s | graphile-worker jobs/s | MINO / graphile-worker | target | met |"
    );
    println!("|---|---:|---:|---:|---|---|");
    if !sqlite.is_empty() {
        let rate = median(sqlite);
        println!(
            "| SQLite, 1 process | {} | — | — | ≥ {} jobs/s | {} |",
            thousands(rate),
            thousands(SQLITE_TARGET),
            yes_no(rate >= SQLITE_TARGET)
        );
    }
    for (wi, &workers) in WORKER_COUNTS.iter().enumerate() {
        let (mino, baseline, ratios) = &pg[wi];
        if mino.is_empty() {
            continue;
        }
        let (b, r, met) = if ratios.is_empty() {
            ("—".to_owned(), "—".to_owned(), "no baseline")
        } else {
            let ratio = median(ratios.clone());
            (
                thousands(median(baseline.clone())),
                format!("{ratio:.2}×"),
                yes_no(ratio >= POSTGRES_TARGET_RATIO),
            )
        };
        println!(
            "| Postgres, {workers} worker process(es) | {} | {b} | {r} | ≥ {POSTGRES_TARGET_RATIO}× | {met} |",
            thousands(median(mino.clone())),
        );
    }
    println!("load average at the end: {}", load_average());
}

fn yes_no(met: bool) -> &'static str {
    if met {
        "yes"
    } else {
        "**no**"
    }
}

async fn retries() {
    println!();
    println!(
        "retry recovery: {RETRY_JOBS} jobs per cell, transient failures at rate p on every attempt, no backoff delay, SQLite, concurrency {CONCURRENCY}"
    );
    let dir = tempfile::Builder::new()
        .prefix("mino-bench-retry-")
        .tempdir()
        .expect("a scratch directory");
    let platform = common::sqlite_platform(dir.path(), driver(), agents(), worker_config()).await;
    println!("| p | k | completed | measured share | 1 − p^k | difference | attempts per job (expected) | within ±2 points |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---|");
    let mut all_within = true;
    for (p, k) in RETRY_CELLS {
        let project = common::project(
            &platform,
            &flaky_name(p),
            serde_json::json!({}),
            fields(),
            k,
        )
        .await;
        let rows = common::site_rows("https://example.invalid", RETRY_JOBS);
        let batch = common::batch(&platform, &project, &rows).await;
        let (done, _) = common::run_execution(
            &platform,
            &project,
            &batch,
            CONCURRENCY,
            Duration::from_secs(600),
        )
        .await;
        assert_eq!(done.status, ExecutionStatus::Completed);
        assert_eq!(
            done.counts.completed + done.counts.failed,
            RETRY_JOBS as u64,
            "{:?}",
            done.counts
        );
        let attempts = total_attempts(&platform, done.id).await;
        let share = done.counts.completed as f64 / RETRY_JOBS as f64;
        let expected = 1.0 - p.powi(k as i32);
        // Attempts until the first success, capped at k: (1 − p^k) / (1 − p).
        let expected_attempts = expected / (1.0 - p);
        let within = (share - expected).abs() <= RETRY_TOLERANCE;
        all_within &= within;
        println!(
            "| {p} | {k} | {} / {RETRY_JOBS} | {:.2} % | {:.2} % | {:+.2} points | {:.3} ({expected_attempts:.3}) | {} |",
            done.counts.completed,
            100.0 * share,
            100.0 * expected,
            100.0 * (share - expected),
            attempts as f64 / RETRY_JOBS as f64,
            yes_no(within)
        );
    }
    println!(
        "retry recovery within ±2 points in every cell: {}",
        yes_no(all_within)
    );
    platform.stop_worker(mino::engine::Shutdown::Graceful).await;
}

/// The number of attempts (sessions) the jobs of an execution took.
async fn total_attempts(platform: &Platform, execution: mino::model::ExecutionId) -> u64 {
    let filter = mino::model::JobFilter {
        execution_id: Some(execution),
        ..Default::default()
    };
    let ids = platform.store().job_ids(&filter).await.expect("job ids");
    let mut attempts = 0;
    for id in ids {
        attempts += u64::from(platform.store().get_job(id).await.expect("a job").attempts);
    }
    attempts
}

#[tokio::main]
async fn main() {
    if std::env::var(ROLE_ENV).is_ok_and(|r| r == "worker") {
        worker_process().await;
        return;
    }
    let jobs = env_usize("MINO_BENCH_JOBS", 20_000);
    let reps = env_usize("MINO_BENCH_REPS", 1);
    let only = std::env::var("MINO_BENCH_ONLY").ok();
    if only.as_deref().is_none_or(|o| o != "retry") {
        overhead(jobs, reps, only.as_deref()).await;
    }
    if only.as_deref().is_none_or(|o| o == "retry") {
        retries().await;
    }
}
