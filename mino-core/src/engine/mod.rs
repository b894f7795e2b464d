//! The execution engine: workers that claim jobs from the store with a lease, run each
//! attempt in its own browser session with the project's agent, retry transient failures
//! with backoff, and report every transition as an event.
//!
//! Any number of workers, in one process or many, may share a store: the store's claim
//! operation enforces each execution's concurrency across all of them, and a job whose worker
//! died is reclaimed when its lease runs out.

mod attempt;
mod backoff;
mod config;
mod ended;
mod spec;
mod throughput;
mod worker;

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

pub use backoff::Backoff;
pub use config::{default_worker_id, WorkerConfig};
pub(crate) use ended::on_execution_end;
pub use throughput::Throughput;
pub use worker::{Shutdown, WorkerHandle};

use crate::agent::AgentRegistry;
use crate::browser::DynBrowserDriver;
use crate::events::DynEventSink;
use crate::store::DynStore;

/// Starts a worker on the current Tokio runtime.
pub fn start_worker(
    store: DynStore,
    driver: DynBrowserDriver,
    agents: Arc<AgentRegistry>,
    events: DynEventSink,
    config: WorkerConfig,
) -> WorkerHandle {
    let ctx = attempt::AttemptContext {
        store,
        driver,
        agents,
        events,
        config,
        specs: spec::SpecCache::new(Duration::from_secs(5)),
        handing_back: CancellationToken::new(),
    };
    worker::spawn_worker(Arc::new(ctx))
}
