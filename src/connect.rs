//! Assembling a [`Platform`] from a database URL and a browser spec: what the command line,
//! the HTTP server and the Python module all do on start.

use mino_core::agent::AgentRegistry;
use mino_core::engine::WorkerConfig;
use mino_core::ingest::IngestOptions;
use mino_core::platform::Platform;
use mino_core::Result;

/// Where a platform keeps its data and how it drives browsers.
#[derive(Debug, Clone)]
pub struct PlatformOptions {
    /// `sqlite:PATH` (default `sqlite:mino.db`) or `postgres://…`.
    pub database: String,
    /// `chromium` (default), `cdp:ws://…`, `webdriver` or `webdriver:http://…`.
    pub browser: String,
    /// Settings of the worker, when one is started.
    pub worker: WorkerConfig,
    /// CSV limits.
    pub ingest: IngestOptions,
}

impl Default for PlatformOptions {
    fn default() -> Self {
        PlatformOptions {
            database: "sqlite:mino.db".to_owned(),
            browser: "chromium".to_owned(),
            worker: WorkerConfig::default(),
            ingest: IngestOptions::default(),
        }
    }
}

/// Opens the store (applying migrations), prepares the browser driver (launched on first
/// use) and the agents this build has, and builds the platform. No worker is started.
pub async fn connect(options: PlatformOptions) -> Result<Platform> {
    let (store, events) = mino_store::open_with_events(&options.database).await?;
    let driver = mino_browser::driver_from_spec(&options.browser)?;
    let mut agents = AgentRegistry::default();
    mino_browser::register_agents(&mut agents);
    Platform::builder()
        .store(store)
        .driver(driver)
        .agents(agents)
        .events(events)
        .ingest(options.ingest)
        .worker(options.worker)
        .build()
}
