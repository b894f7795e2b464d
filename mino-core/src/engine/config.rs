//! Worker settings.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::backoff::Backoff;
use crate::browser::ImageFormat;

/// How a worker claims and runs jobs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkerConfig {
    /// A name unique among the workers sharing a store (shown on sessions).
    pub worker_id: String,
    /// The most attempts this worker runs at once, whatever the executions allow.
    pub max_in_flight: usize,
    /// How long a claim holds a job without a heartbeat. A worker that dies loses its jobs
    /// to other workers after at most this long.
    pub lease: Duration,
    /// How often the worker looks for new jobs when nothing wakes it.
    pub poll_interval: Duration,
    /// Retry delays for transient failures.
    pub backoff: Backoff,
    /// Whether to keep a final screenshot of every attempt.
    pub screenshots: bool,
    /// The format of those screenshots.
    pub screenshot_format: ImageFormat,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            worker_id: default_worker_id(),
            max_in_flight: 50,
            lease: Duration::from_secs(30),
            poll_interval: Duration::from_millis(250),
            backoff: Backoff::default(),
            screenshots: true,
            screenshot_format: ImageFormat::Jpeg(70),
        }
    }
}

impl WorkerConfig {
    /// How often leases are extended: three times per lease, so one missed beat is harmless.
    pub fn heartbeat_interval(&self) -> Duration {
        (self.lease / 3).max(Duration::from_millis(50))
    }
}

/// `host-pid-xxxx`: readable in logs and unique across restarts.
pub fn default_worker_id() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_owned())
        })
        .unwrap_or_else(|| "worker".to_owned());
    let suffix = uuid::Uuid::now_v7().simple().to_string();
    format!(
        "{host}-{}-{}",
        std::process::id(),
        &suffix[suffix.len() - 4..]
    )
}
