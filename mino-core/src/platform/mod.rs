//! [`Platform`]: the one service layer that the HTTP API, the Python module and the command
//! line all call.
//!
//! It composes a [`Store`](crate::store::Store), a [`BrowserDriver`](crate::browser::BrowserDriver),
//! the agent registry and an [`EventSink`](crate::events::EventSink), and offers every
//! operation of MINO: projects and instruction versions, batches from CSV, executions, jobs,
//! ground truth, metrics and exports. Front ends only convert to and from their wire formats.

mod analytics;
mod batches;
mod builder;
mod executions;
mod ground_truth;
mod jobs;
mod projects;
mod stats;

use std::sync::{Arc, Mutex};

pub use analytics::BatchDashboard;
pub use builder::PlatformBuilder;
pub use executions::{RunScope, StartExecution};
pub use ground_truth::{BulkEditGroundTruth, BulkSetGroundTruth, GroundTruthResult};
pub use jobs::JobDetail;

use crate::agent::AgentRegistry;
use crate::browser::DynBrowserDriver;
use crate::engine::{start_worker, Shutdown, WorkerConfig, WorkerHandle};
use crate::error::{Error, ErrorKind, Result};
use crate::events::{DynEventSink, EventReceiver};
use crate::ingest::IngestOptions;
use crate::store::DynStore;

/// The MINO service layer. Cheap to clone: clones share everything.
#[derive(Clone, Debug)]
pub struct Platform {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: DynStore,
    driver: DynBrowserDriver,
    agents: Arc<AgentRegistry>,
    events: DynEventSink,
    ingest: IngestOptions,
    worker_config: WorkerConfig,
    worker: Mutex<Option<WorkerHandle>>,
    stats: stats::StatsTracker,
}

impl Platform {
    /// A builder; a store and a browser driver are required.
    pub fn builder() -> PlatformBuilder {
        PlatformBuilder::default()
    }

    /// The store.
    pub fn store(&self) -> &DynStore {
        &self.inner.store
    }

    /// The browser driver.
    pub fn driver(&self) -> &DynBrowserDriver {
        &self.inner.driver
    }

    /// The agent registry.
    pub fn agents(&self) -> &Arc<AgentRegistry> {
        &self.inner.agents
    }

    /// The event sink.
    pub fn events(&self) -> &DynEventSink {
        &self.inner.events
    }

    /// Subscribes to every event from now on (job transitions, logs, stats, frames…).
    pub fn subscribe(&self) -> EventReceiver {
        self.inner.events.subscribe()
    }

    /// Starts this process's worker (one per platform). A conflict when it already runs.
    pub fn start_worker(&self) -> Result<String> {
        let mut slot = self
            .inner
            .worker
            .lock()
            .map_err(|_| Error::internal("worker slot poisoned"))?;
        if let Some(handle) = slot.as_ref() {
            if !handle.is_finished() {
                return Err(Error::conflict(format!(
                    "worker {} is already running",
                    handle.worker_id()
                )));
            }
        }
        let handle = start_worker(
            self.inner.store.clone(),
            self.inner.driver.clone(),
            self.inner.agents.clone(),
            self.inner.events.clone(),
            self.inner.worker_config.clone(),
        );
        let id = handle.worker_id().to_owned();
        *slot = Some(handle);
        Ok(id)
    }

    /// Stops this process's worker, if it runs, and waits for it.
    pub async fn stop_worker(&self, how: Shutdown) {
        let handle = self.inner.worker.lock().ok().and_then(|mut w| w.take());
        if let Some(handle) = handle {
            handle.shutdown(how).await;
        }
    }

    /// Whether this process runs a worker.
    pub fn has_worker(&self) -> bool {
        self.inner
            .worker
            .lock()
            .map(|w| w.as_ref().is_some_and(|h| !h.is_finished()))
            .unwrap_or(false)
    }

    /// Nudges the local worker to look for jobs now.
    fn wake_worker(&self) {
        if let Ok(worker) = self.inner.worker.lock() {
            if let Some(handle) = worker.as_ref() {
                handle.wake();
            }
        }
    }
}

fn not_active(what: &str) -> Error {
    Error::new(ErrorKind::Conflict, format!("{what} is not active"))
}
