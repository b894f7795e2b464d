//! Assembling a [`Platform`].

use std::sync::{Arc, Mutex};

use super::{stats::StatsTracker, Inner, Platform};
use crate::agent::AgentRegistry;
use crate::browser::DynBrowserDriver;
use crate::engine::WorkerConfig;
use crate::error::{Error, Result};
use crate::events::{BroadcastSink, DynEventSink};
use crate::ingest::IngestOptions;
use crate::store::DynStore;

/// Builds a [`Platform`]. The store and the browser driver are required; the agent registry
/// defaults to the built-in agents, events to an in-process broadcast, and the rest to their
/// defaults.
#[derive(Debug, Default)]
pub struct PlatformBuilder {
    store: Option<DynStore>,
    driver: Option<DynBrowserDriver>,
    agents: Option<AgentRegistry>,
    events: Option<DynEventSink>,
    ingest: Option<IngestOptions>,
    worker: Option<WorkerConfig>,
}

impl PlatformBuilder {
    /// The store (required).
    pub fn store(mut self, store: DynStore) -> Self {
        self.store = Some(store);
        self
    }

    /// The browser driver (required).
    pub fn driver(mut self, driver: DynBrowserDriver) -> Self {
        self.driver = Some(driver);
        self
    }

    /// The agents (default: the built-in ones).
    pub fn agents(mut self, agents: AgentRegistry) -> Self {
        self.agents = Some(agents);
        self
    }

    /// The event sink (default: in-process broadcast).
    pub fn events(mut self, events: DynEventSink) -> Self {
        self.events = Some(events);
        self
    }

    /// CSV ingest limits and options.
    pub fn ingest(mut self, options: IngestOptions) -> Self {
        self.ingest = Some(options);
        self
    }

    /// Settings of this process's worker.
    pub fn worker(mut self, config: WorkerConfig) -> Self {
        self.worker = Some(config);
        self
    }

    /// Builds the platform. Must run inside a Tokio runtime (it starts the stats task).
    pub fn build(self) -> Result<Platform> {
        let store = self
            .store
            .ok_or_else(|| Error::validation("a platform needs a store"))?;
        let driver = self
            .driver
            .ok_or_else(|| Error::validation("a platform needs a browser driver"))?;
        let events: DynEventSink = self
            .events
            .unwrap_or_else(|| Arc::new(BroadcastSink::default()));
        let stats = StatsTracker::start(store.clone(), events.clone());
        Ok(Platform {
            inner: Arc::new(Inner {
                store,
                driver,
                agents: Arc::new(self.agents.unwrap_or_default()),
                events,
                ingest: self.ingest.unwrap_or_default(),
                worker_config: self.worker.unwrap_or_default(),
                worker: Mutex::new(None),
                stats,
            }),
        })
    }
}
