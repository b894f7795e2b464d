//! Job counts and live execution figures.

use mino::events;
use mino::model;
use pyo3::prelude::*;

use super::Timestamp;
use crate::records::record;

record! {
    /// Job counts by status.
    StatusCounts {
        /// Jobs not run yet (or reset).
        pending: u64,
        /// Jobs waiting for a worker.
        queued: u64,
        /// Jobs running now.
        running: u64,
        /// Jobs whose attempt finished with an extraction.
        completed: u64,
        /// Jobs that failed for good.
        failed: u64,
        /// Jobs cancelled by a stop.
        cancelled: u64,
        /// Rows without a usable site URL.
        invalid: u64,
    }
}

#[pymethods]
impl StatusCounts {
    /// The sum of all counters.
    #[getter]
    fn total(&self) -> u64 {
        self.pending
            + self.queued
            + self.running
            + self.completed
            + self.failed
            + self.cancelled
            + self.invalid
    }
}

impl From<&model::StatusCounts> for StatusCounts {
    fn from(c: &model::StatusCounts) -> Self {
        StatusCounts {
            pending: c.pending,
            queued: c.queued,
            running: c.running,
            completed: c.completed,
            failed: c.failed,
            cancelled: c.cancelled,
            invalid: c.invalid,
        }
    }
}

record! {
    /// Live figures of an execution: progress, throughput and ETA.
    ExecutionStats {
        /// The execution's id.
        execution_id: String,
        /// Its batch's id.
        batch_id: String,
        /// running, paused, stopping, completed, stopped or failed.
        status: String,
        /// Jobs in it.
        total: u64,
        /// Its jobs by status; they sum to ``total``.
        counts: StatusCounts,
        /// Finished jobs / total, from 0 to 1.
        progress: f64,
        /// Jobs finished per minute, over the recent window.
        throughput_per_min: f64,
        /// Estimated seconds until every job is done, when it can be estimated.
        eta_secs: Option<u64>,
        /// The concurrency limit.
        concurrency: u32,
        /// When these figures were taken (UTC).
        at: Timestamp,
    }
}

impl From<&events::ExecutionStats> for ExecutionStats {
    fn from(s: &events::ExecutionStats) -> Self {
        ExecutionStats {
            execution_id: s.execution_id.to_string(),
            batch_id: s.batch_id.to_string(),
            status: s.status.as_str().to_owned(),
            total: s.total,
            counts: StatusCounts::from(&s.counts),
            progress: s.progress,
            throughput_per_min: s.throughput_per_min,
            eta_secs: s.eta_secs,
            concurrency: s.concurrency,
            at: s.at,
        }
    }
}
