//! Engine events and the [`EventSink`] trait that carries them.
//!
//! Every job transition, log line, stats update and execution status change is an [`Event`].
//! The default sink ([`BroadcastSink`]) fans events out inside one process; the Postgres sink
//! in `mino-store` also sends them to every other process sharing the database, so a server
//! sees the events of workers on other machines.

mod broadcast;

use std::fmt::Debug;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use broadcast::BroadcastSink;

use crate::model::{
    BatchId, ExecutionId, ExecutionStatus, JobId, JobStatus, LogLine, SessionId, StatusCounts,
};

/// A sink shared between tasks.
pub type DynEventSink = Arc<dyn EventSink>;

/// Progress of one execution, as shown on a live dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionStats {
    /// The execution.
    pub execution_id: ExecutionId,
    /// Its batch.
    pub batch_id: BatchId,
    /// Its status.
    pub status: ExecutionStatus,
    /// Jobs in it.
    pub total: u64,
    /// Jobs by status; always sums to `total`.
    pub counts: StatusCounts,
    /// Terminal jobs / total, 0–1.
    pub progress: f64,
    /// Jobs that finished per minute, over the recent window.
    pub throughput_per_min: f64,
    /// Estimated seconds until every job is terminal, when it can be estimated.
    pub eta_secs: Option<u64>,
    /// Concurrency limit.
    pub concurrency: u32,
    /// When these figures were taken.
    pub at: DateTime<Utc>,
}

/// Something that happened in the engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// An execution changed status (started, paused, resumed, stopping, finished).
    ExecutionStatus {
        /// The execution.
        execution_id: ExecutionId,
        /// Its batch.
        batch_id: BatchId,
        /// The new status.
        status: ExecutionStatus,
        /// When.
        at: DateTime<Utc>,
    },
    /// An execution's concurrency changed.
    Concurrency {
        /// The execution.
        execution_id: ExecutionId,
        /// The new limit.
        concurrency: u32,
        /// When.
        at: DateTime<Utc>,
    },
    /// A job moved from one status to another.
    JobTransition {
        /// The execution.
        execution_id: ExecutionId,
        /// The job.
        job_id: JobId,
        /// The session of the attempt, when one is involved.
        session_id: Option<SessionId>,
        /// Old status.
        from: JobStatus,
        /// New status.
        to: JobStatus,
        /// Attempt number (1-based) of the attempt involved.
        attempt: u32,
        /// The worker involved.
        worker_id: Option<String>,
        /// The site URL, for display.
        site_url: String,
        /// The error, when the transition is a failure or a retry.
        error: Option<String>,
        /// When.
        at: DateTime<Utc>,
    },
    /// A log line of a running attempt.
    Log {
        /// The execution.
        execution_id: ExecutionId,
        /// The job.
        job_id: JobId,
        /// The session.
        session_id: SessionId,
        /// The line.
        line: LogLine,
    },
    /// Fresh figures of an execution.
    Stats(ExecutionStats),
    /// A live browser frame of a running job. Frames stay in the process that produced them.
    Frame {
        /// The execution.
        execution_id: ExecutionId,
        /// The job.
        job_id: JobId,
        /// JPEG bytes.
        #[serde(with = "base64_bytes")]
        jpeg: Vec<u8>,
        /// When.
        at: DateTime<Utc>,
    },
}

impl Event {
    /// The execution the event belongs to.
    pub fn execution_id(&self) -> ExecutionId {
        match self {
            Event::ExecutionStatus { execution_id, .. }
            | Event::Concurrency { execution_id, .. }
            | Event::JobTransition { execution_id, .. }
            | Event::Log { execution_id, .. }
            | Event::Frame { execution_id, .. } => *execution_id,
            Event::Stats(stats) => stats.execution_id,
        }
    }

    /// The job the event belongs to, if any.
    pub fn job_id(&self) -> Option<JobId> {
        match self {
            Event::JobTransition { job_id, .. }
            | Event::Log { job_id, .. }
            | Event::Frame { job_id, .. } => Some(*job_id),
            _ => None,
        }
    }

    /// Whether the event crosses to other processes. Frames are too large and too many;
    /// stats are derived by each process from the transitions it sees.
    pub fn is_shared(&self) -> bool {
        !matches!(self, Event::Frame { .. } | Event::Stats(_))
    }
}

/// A receiver of events. Lagging receivers lose the oldest events instead of slowing the
/// engine down.
pub type EventReceiver = tokio::sync::broadcast::Receiver<Arc<Event>>;

/// Carries engine events to whoever listens.
///
/// # Behavior
///
/// - `publish` never blocks on slow subscribers: a subscriber that falls behind misses events
///   (its receiver reports how many) and everyone else is unaffected.
/// - Every subscriber sees the events published after it subscribed, in publish order per
///   publishing process.
pub trait EventSink: Send + Sync + Debug + 'static {
    /// Publishes an event.
    fn publish(&self, event: Event);

    /// Subscribes to every event published from now on.
    fn subscribe(&self) -> EventReceiver;
}

mod base64_bytes {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}
