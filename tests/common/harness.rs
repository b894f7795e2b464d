//! An in-process platform for the engine tests: SQLite in a temporary file, a worker with
//! small retry delays, Chromium already launched, and a fixture shop.

use std::time::{Duration, Instant};

use mino::browser::SessionOptions;
use mino::engine::{Backoff, Shutdown, WorkerConfig};
use mino::events::Event;
use mino::model::{BatchId, Execution, ExecutionId, ExecutionMode, ProjectId};
use mino::platform::StartExecution;
use mino::Platform;
use tempfile::TempDir;

use super::fixture::{FixtureServer, Reply};
use super::shop::product_page;
use super::{product, runs};

/// Small retry delays, so that retries take milliseconds instead of seconds.
pub const BACKOFF: Backoff = Backoff {
    base: Duration::from_millis(100),
    max: Duration::from_millis(400),
};

/// A platform on a fresh SQLite file with its worker running, and the fixture server.
pub struct Harness {
    pub platform: Platform,
    pub server: FixtureServer,
    pub worker_id: String,
    _dir: TempDir,
}

impl Harness {
    /// `None` (after saying why) when Chromium is missing outside CI.
    pub async fn start(
        script: impl Fn(&str, u32) -> Reply + Send + Sync + 'static,
    ) -> Option<Self> {
        if !super::require_chromium() {
            return None;
        }
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite:{}", dir.path().join("mino.db").display());
        let store = mino::stores::open(&url).await.expect("the store opens");
        let driver = mino::browsers::driver_from_spec("chromium").expect("a chromium driver");
        // Launch the browser before any job runs, so that short job time limits measure pages
        // and not Chromium's start-up on a busy machine.
        let warm = driver.open(SessionOptions::default()).await;
        warm.expect("chromium starts")
            .close()
            .await
            .expect("a session closes");
        let platform = Platform::builder()
            .store(store)
            .driver(driver)
            .worker(WorkerConfig {
                backoff: BACKOFF,
                ..WorkerConfig::default()
            })
            .build()
            .expect("the platform is built");
        let worker_id = platform.start_worker().expect("the worker starts");
        let server = FixtureServer::start(script).await;
        Some(Harness {
            platform,
            server,
            worker_id,
            _dir: dir,
        })
    }

    /// A project with these limits and a batch of one row per path (products in turn).
    pub async fn batch(&self, max_attempts: u32, timeout_secs: u32, paths: &[String]) -> Batch {
        let project = runs::shop_project(&self.platform, max_attempts, timeout_secs).await;
        let rows: Vec<_> = paths
            .iter()
            .enumerate()
            .map(|(i, path)| {
                let (title, price, brand) = product(i);
                runs::row(&self.server.url(path), title, price, brand)
            })
            .collect();
        let batch = runs::batch(&self.platform, &project, &rows).await;
        Batch {
            project: project.id,
            batch: batch.id,
        }
    }

    pub async fn start_execution(&self, batch: &Batch, start: StartExecution) -> Execution {
        self.platform
            .start_execution(batch.project, batch.batch, start)
            .await
            .expect("the execution starts")
    }

    pub async fn execution(&self, id: ExecutionId) -> Execution {
        self.platform.execution(id).await.expect("the execution")
    }

    /// Waits until the execution has ended.
    pub async fn finished(&self, id: ExecutionId, timeout: Duration) -> Execution {
        self.until_within(id, "the execution to end", timeout, |e| {
            !e.status.is_active()
        })
        .await
    }

    /// Waits (at most two minutes) until the execution satisfies `test`.
    pub async fn until(
        &self,
        id: ExecutionId,
        what: &str,
        test: impl Fn(&Execution) -> bool,
    ) -> Execution {
        self.until_within(id, what, Duration::from_secs(120), test)
            .await
    }

    pub async fn until_within(
        &self,
        id: ExecutionId,
        what: &str,
        timeout: Duration,
        test: impl Fn(&Execution) -> bool,
    ) -> Execution {
        let deadline = Instant::now() + timeout;
        loop {
            let now = self.execution(id).await;
            if test(&now) {
                return now;
            }
            assert!(
                Instant::now() < deadline,
                "timed out after {timeout:?} waiting for {what}; the execution is {} with {:?}",
                now.status.as_str(),
                now.counts
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn stop(self) {
        self.platform.stop_worker(Shutdown::Graceful).await;
    }
}

pub struct Batch {
    pub project: ProjectId,
    pub batch: BatchId,
}

pub fn production(concurrency: u32) -> StartExecution {
    StartExecution {
        mode: Some(ExecutionMode::Production),
        concurrency: Some(concurrency),
        ..StartExecution::default()
    }
}

/// Serves product `i` on `/p/<i>` after `delay`.
pub fn shop(delay: Duration) -> impl Fn(&str, u32) -> Reply + Send + Sync + 'static {
    move |path, _| {
        let i: usize = path
            .rsplit('/')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let (title, price, brand) = product(i);
        Reply::Page {
            html: product_page(title, price, brand),
            delay,
        }
    }
}

pub fn paths(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}/{i}")).collect()
}

/// Collects every event until the execution's final stats arrive (or `timeout` passes).
pub fn collect_events(
    platform: &Platform,
    timeout: Duration,
) -> tokio::task::JoinHandle<Vec<Event>> {
    let mut rx = platform.subscribe();
    tokio::spawn(async move {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut events = Vec::new();
        while let Ok(Ok(event)) = tokio::time::timeout_at(deadline, rx.recv()).await {
            let last = matches!(&*event, Event::Stats(s) if !s.status.is_active());
            events.push((*event).clone());
            if last {
                break;
            }
        }
        events
    })
}
