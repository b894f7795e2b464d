//! Several `mino worker` processes on one Postgres schema, a platform in the test process on
//! the same database (no worker of its own) following their events through LISTEN/NOTIFY,
//! and a fixture server.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mino::events::Event;
use mino::model::{Execution, ExecutionId, JobFilter, JobStatus, Session};
use mino::store::PageRequest;
use mino::{Platform, PlatformOptions};
use tempfile::TempDir;

use super::fixture::{FixtureServer, Reply};
use super::pg::PgSchema;
use super::processes::WorkerProcess;

/// Everything a fault test runs against.
pub struct Cluster {
    pub platform: Platform,
    pub server: FixtureServer,
    pub workers: Vec<WorkerProcess>,
    pub database: String,
    pub lease_secs: u64,
    logs: Arc<TempDir>,
    events: Arc<Mutex<Received>>,
}

/// The events the test process heard, and how many it missed by falling behind.
#[derive(Default)]
struct Received {
    events: Vec<Event>,
    missed: u64,
}

/// Runs `test` on a fresh cluster, then drops the schema, whether the test passed or not
/// (worker processes die with the cluster). Returns without running when Chromium or
/// Postgres is missing outside CI.
pub async fn with_cluster<F, Fut>(
    lease_secs: u64,
    script: impl Fn(&str, u32) -> Reply + Send + Sync + 'static,
    test: F,
) where
    F: FnOnce(Cluster) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    if !super::require_chromium() {
        return;
    }
    let Some(schema) = PgSchema::create().await else {
        return;
    };
    let platform = mino::connect(PlatformOptions {
        database: schema.url.clone(),
        ..PlatformOptions::default()
    })
    .await
    .expect("the test process connects");
    let events = Arc::new(Mutex::new(Received::default()));
    let mut rx = platform.subscribe();
    let sink = events.clone();
    let follower = tokio::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(event) => sink
                    .lock()
                    .expect("events lock")
                    .events
                    .push((*event).clone()),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                    sink.lock().expect("events lock").missed += n
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            }
        }
    });
    let logs = Arc::new(tempfile::tempdir().expect("a log directory"));
    let cluster = Cluster {
        platform,
        server: FixtureServer::start(script).await,
        workers: Vec::new(),
        database: schema.url.clone(),
        lease_secs,
        logs: logs.clone(),
        events,
    };
    // On its own task, so that a failing test still gets its schema dropped here.
    let outcome = tokio::spawn(test(cluster)).await;
    follower.abort();
    schema.drop().await;
    if let Err(failure) = outcome {
        print_logs(logs.path());
        std::panic::resume_unwind(failure.into_panic());
    }
}

fn print_logs(dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(40)..].join("\n");
        eprintln!("--- {} ---\n{tail}", entry.file_name().to_string_lossy());
    }
}

impl Cluster {
    /// Starts a `mino worker` process named `id`.
    pub fn spawn_worker(&mut self, id: &str) {
        let worker = WorkerProcess::spawn(&self.database, id, self.lease_secs, self.logs.path());
        self.workers.push(worker);
    }

    /// The lease the workers hold jobs with.
    pub fn lease(&self) -> Duration {
        Duration::from_secs(self.lease_secs)
    }

    /// Every event received so far (none missed).
    pub fn events(&self) -> Vec<Event> {
        let received = self.events.lock().expect("events lock");
        assert_eq!(
            received.missed, 0,
            "the test process fell behind the events"
        );
        received.events.clone()
    }

    pub async fn execution(&self, id: ExecutionId) -> Execution {
        self.platform.execution(id).await.expect("the execution")
    }

    /// Waits until the execution satisfies `test`, failing after `timeout`.
    pub async fn until(
        &mut self,
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
            let dead: Vec<&str> = (self.workers.iter_mut())
                .filter_map(|w| (!w.killed() && !w.is_running()).then_some(w.id.as_str()))
                .collect();
            assert!(dead.is_empty(), "workers {dead:?} exited on their own");
            assert!(
                Instant::now() < deadline,
                "timed out after {timeout:?} waiting for {what}; the execution is {} with {:?}",
                now.status.as_str(),
                now.counts
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The sessions now running for the execution (a few at most: the concurrency).
    pub async fn running_sessions(&self, id: ExecutionId) -> Vec<Session> {
        let filter = JobFilter {
            execution_id: Some(id),
            statuses: vec![JobStatus::Running],
            ..JobFilter::default()
        };
        let page = PageRequest::first(50).expect("a page size");
        let jobs = self
            .platform
            .jobs(&filter, page)
            .await
            .expect("running jobs");
        let mut running = Vec::new();
        for job in jobs.data {
            let detail = self.platform.job(job.id).await.expect("a running job");
            running.extend(
                detail
                    .sessions
                    .into_iter()
                    .filter(|s| s.execution_id == Some(id) && s.finished_at.is_none()),
            );
        }
        running
    }
}
