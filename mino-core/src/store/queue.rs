//! Types of the engine's job-queue operations on a [`Store`](super::Store).
//!
//! A worker claims jobs with a lease, extends the lease with heartbeats while it works, and
//! finishes each attempt. A job whose lease expires (its worker died) is taken again by the
//! next claim; its lost attempt stays as a `lost` session. Because finishing requires the
//! lease, a worker that lost its lease can never complete the job a second time.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{Evaluation, Execution, Job, JobStatus, Session, SessionOutcome};

/// One attempt handed to a worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    /// The job, as it is now (status `running`, attempts already counting this one).
    pub job: Job,
    /// Its execution.
    pub execution: Execution,
    /// The session recording this attempt (status `running`).
    pub session: Session,
    /// When the lease runs out unless extended.
    pub lease_expires_at: DateTime<Utc>,
}

/// What happens to a job after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NextStep {
    /// The attempt succeeded: the job is completed with the outcome's extraction.
    Complete,
    /// A transient failure with attempts left: the job is queued again, not before `at`.
    Retry {
        /// The earliest time of the next attempt.
        at: DateTime<Utc>,
    },
    /// A permanent failure, or no attempts left: the job failed.
    Fail,
    /// The execution was stopped: the job is cancelled.
    Cancel,
}

impl NextStep {
    /// The job status this step leads to.
    pub fn job_status(&self) -> JobStatus {
        match self {
            NextStep::Complete => JobStatus::Completed,
            NextStep::Retry { .. } => JobStatus::Queued,
            NextStep::Fail => JobStatus::Failed,
            NextStep::Cancel => JobStatus::Cancelled,
        }
    }
}

/// The result of one attempt, recorded in one transaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptResult {
    /// How the session ended.
    pub outcome: SessionOutcome,
    /// What happens to the job.
    pub next: NextStep,
    /// The evaluation of the extraction against ground truth, when completed.
    pub evaluation: Option<Evaluation>,
}

/// The state after an attempt was recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FinishedAttempt {
    /// The job after the attempt.
    pub job: Job,
    /// The execution after the attempt (completed when this was its last job).
    pub execution: Execution,
    /// The finished session.
    pub session: Session,
}

/// Attempts whose lease ran out, found and closed by [`Store::reclaim_expired`](super::Store).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reclaimed {
    /// The job after reclaiming (queued again, or failed when no attempts were left, or
    /// cancelled when its execution was stopped).
    pub job: Job,
    /// The session that was marked `lost`.
    pub session: Session,
    /// The worker that held the lease.
    pub worker_id: String,
}
