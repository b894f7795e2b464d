//! `mino worker`: runs only the engine, claiming jobs of every running execution in the
//! database. Start as many as you like on as many machines as share a Postgres database.

use std::time::Duration;

use clap::Args;
use mino_core::engine::{Backoff, Shutdown, WorkerConfig};
use mino_core::platform::Platform;

use super::signals::Signals;
use super::GlobalArgs;

/// Arguments of `mino worker`.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// Browser: chromium, cdp:ws://…, webdriver or webdriver:http://…
    #[arg(long, default_value = "chromium")]
    pub browser: String,
    /// The most jobs this worker runs at once (executions' own limits still apply).
    #[arg(long, default_value_t = 50)]
    pub max_in_flight: usize,
    /// Seconds a claimed job stays held without a heartbeat; a dead worker's jobs are taken
    /// again after this long.
    #[arg(long, default_value_t = 30)]
    pub lease_secs: u64,
    /// A name for this worker (default: host-pid-random).
    #[arg(long)]
    pub worker_id: Option<String>,
    /// Retry delay of transient failures as BASE[:MAX] (exponential from BASE up to MAX,
    /// with full jitter), e.g. 500ms:30s.
    #[arg(long, default_value = "1s:60s")]
    pub backoff: Backoff,
}

impl WorkerArgs {
    /// The worker settings these arguments describe.
    pub fn config(&self) -> WorkerConfig {
        let mut config = WorkerConfig {
            max_in_flight: self.max_in_flight.clamp(1, 500),
            lease: Duration::from_secs(self.lease_secs.clamp(1, 3600)),
            backoff: self.backoff,
            ..WorkerConfig::default()
        };
        if let Some(id) = &self.worker_id {
            config.worker_id = id.clone();
        }
        config
    }
}

pub async fn run(global: &GlobalArgs, args: WorkerArgs) -> anyhow::Result<()> {
    let mut signals = Signals::install()?;
    let platform = mino::connect(mino::PlatformOptions {
        database: global.database.clone(),
        browser: args.browser.clone(),
        worker: args.config(),
        ..mino::PlatformOptions::default()
    })
    .await?;
    let id = platform.start_worker()?;
    tracing::info!(worker = %id, database = %global.database, "worker running; Ctrl-C or SIGTERM stops it");
    signals.next().await;
    finish_running_jobs(&platform, &mut signals).await;
    Ok(())
}

/// Stops the platform's worker gracefully (its running jobs finish), unless a second signal
/// comes first: then it leaves at once.
pub async fn finish_running_jobs(platform: &Platform, signals: &mut Signals) {
    tracing::info!("finishing running jobs (signal again to hand them back at once)");
    let graceful = platform.stop_worker(Shutdown::Graceful);
    tokio::pin!(graceful);
    tokio::select! {
        _ = &mut graceful => {}
        _ = signals.next() => {
            // The graceful stop holds the handle; a second signal cancels it by leaving: the
            // leases run out and other workers take the jobs.
            tracing::warn!("leaving now; unfinished jobs return to the queue when their leases expire");
        }
    }
}
