//! Jobs: one per CSV row.

use chrono::{DateTime, Utc};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::ids::{BatchId, ExecutionId, JobId, ProjectId};
use crate::error::{Error, Result};

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Not run yet, or reset for a rerun.
    Pending,
    /// Part of an active execution, waiting for a worker (or for its retry backoff).
    Queued,
    /// A worker runs an attempt now.
    Running,
    /// An attempt finished and its extraction is stored.
    Completed,
    /// Every allowed attempt failed, or the failure was permanent.
    Failed,
    /// Its execution was stopped before it finished.
    Cancelled,
    /// The row cannot run (no usable site URL); `invalid_reason` says why.
    Invalid,
}

impl JobStatus {
    /// Every status, in display order.
    pub const ALL: [JobStatus; 7] = [
        JobStatus::Pending,
        JobStatus::Queued,
        JobStatus::Running,
        JobStatus::Completed,
        JobStatus::Failed,
        JobStatus::Cancelled,
        JobStatus::Invalid,
    ];

    /// The lower-case name used in JSON, URLs and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Completed => "completed",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
            JobStatus::Invalid => "invalid",
        }
    }

    /// Parses the lower-case name.
    pub fn parse(s: &str) -> Result<Self> {
        JobStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| {
                Error::validation(format!("unknown job status {s:?}"))
                    .with_context("field", "status")
            })
    }

    /// Whether the job is done for its execution (nothing more will happen to it there).
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            JobStatus::Completed | JobStatus::Failed | JobStatus::Cancelled | JobStatus::Invalid
        )
    }
}

/// A job's overall verdict against ground truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Accuracy {
    /// Every evaluated field matched.
    Pass,
    /// No evaluated field matched.
    Fail,
    /// Some matched, some did not.
    Partial,
}

impl Accuracy {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Accuracy::Pass => "pass",
            Accuracy::Fail => "fail",
            Accuracy::Partial => "partial",
        }
    }

    /// Parses the lower-case name.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "pass" => Ok(Accuracy::Pass),
            "fail" => Ok(Accuracy::Fail),
            "partial" => Ok(Accuracy::Partial),
            _ => Err(Error::validation(format!("unknown accuracy {s:?}"))
                .with_context("field", "accuracy")),
        }
    }
}

/// Field name → extracted value (`None`: the agent found nothing for it).
pub type Extraction = IndexMap<String, Option<String>>;

/// The verdict for one field of one job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldEvaluation {
    /// The field name.
    pub field: String,
    /// The ground truth.
    pub expected: String,
    /// What the agent extracted.
    pub actual: Option<String>,
    /// The comparator that decided.
    pub comparator: String,
    /// Similarity from 0 to 1.
    pub score: f64,
    /// Whether it matched.
    pub passed: bool,
}

/// The evaluation of one job's latest extraction against its ground truth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Evaluation {
    /// One entry per evaluated field.
    pub fields: Vec<FieldEvaluation>,
    /// The overall verdict (`None` when no field was evaluated).
    pub accuracy: Option<Accuracy>,
    /// When it was computed.
    pub evaluated_at: DateTime<Utc>,
}

/// A job: one CSV row to run an agent on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Job {
    /// Its id.
    pub id: JobId,
    /// Its batch.
    pub batch_id: BatchId,
    /// Its batch's project.
    pub project_id: ProjectId,
    /// Data row index from 0.
    pub row_index: u64,
    /// The 1-based line of the file where the row starts.
    pub line: u64,
    /// The site URL (normalised: bare domains got `https://`).
    pub site_url: String,
    /// Input columns (header → value), in file order.
    #[cfg_attr(feature = "openapi", schema(value_type = HashMap<String, String>))]
    pub inputs: IndexMap<String, String>,
    /// Ground truth (field → expected value), from `gt_` columns or set later.
    #[cfg_attr(feature = "openapi", schema(value_type = HashMap<String, String>))]
    pub ground_truth: IndexMap<String, String>,
    /// Its status.
    pub status: JobStatus,
    /// Why the row is invalid, when it is.
    pub invalid_reason: Option<String>,
    /// Attempts made in its current or last execution.
    pub attempts: u32,
    /// The execution it belongs to now, or last belonged to.
    pub execution_id: Option<ExecutionId>,
    /// The latest successful extraction.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<HashMap<String, Option<String>>>))]
    pub extraction: Option<Extraction>,
    /// The latest evaluation against ground truth.
    pub evaluation: Option<Evaluation>,
    /// Shortcut to `evaluation.accuracy`, for filtering.
    pub accuracy: Option<Accuracy>,
    /// The last error message, when the last attempt failed.
    pub last_error: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// A job as produced by ingest, before the store assigns ids and timestamps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewJob {
    /// Data row index from 0.
    pub row_index: u64,
    /// The 1-based line of the file where the row starts.
    pub line: u64,
    /// The site URL, normalised (may be empty for invalid rows).
    pub site_url: String,
    /// Input columns.
    #[cfg_attr(feature = "openapi", schema(value_type = HashMap<String, String>))]
    pub inputs: IndexMap<String, String>,
    /// Ground truth.
    #[cfg_attr(feature = "openapi", schema(value_type = HashMap<String, String>))]
    pub ground_truth: IndexMap<String, String>,
    /// `Some(reason)` makes the job `invalid`; `None` makes it `pending`.
    pub invalid_reason: Option<String>,
}

/// A partial update of a job (one job, or many in a bulk update).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobUpdate {
    /// New site URL (an invalid job with a new usable URL becomes pending).
    #[serde(default)]
    pub site_url: Option<String>,
    /// Input values to set (merged into the existing inputs).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<HashMap<String, String>>))]
    pub inputs: Option<IndexMap<String, String>>,
    /// Ground-truth values to set (merged; an empty string removes the field).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<HashMap<String, String>>))]
    pub ground_truth: Option<IndexMap<String, String>>,
    /// New status; only `pending` (reset) and `cancelled` may be set by hand.
    #[serde(default)]
    pub status: Option<JobStatus>,
    /// Who makes the change, recorded with every ground-truth change it causes (the audit
    /// trail); [`UNKNOWN_ACTOR`](super::UNKNOWN_ACTOR) when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_by: Option<String>,
}

impl JobUpdate {
    /// Checks that only hand-settable statuses are used.
    pub fn validate(&self) -> Result<()> {
        if let Some(status) = self.status {
            if !matches!(status, JobStatus::Pending | JobStatus::Cancelled) {
                return Err(Error::validation(format!(
                    "status can only be set to pending or cancelled, not {}",
                    status.as_str()
                ))
                .with_context("field", "status"));
            }
        }
        if let Some(url) = &self.site_url {
            if url.trim().is_empty() {
                return Err(Error::validation("site_url must not be empty")
                    .with_context("field", "site_url"));
            }
        }
        Ok(())
    }
}

/// Filters for job lists, counts and exports. Every set filter must match.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobFilter {
    /// Jobs of this project.
    #[serde(default)]
    pub project_id: Option<ProjectId>,
    /// Jobs of this batch.
    #[serde(default)]
    pub batch_id: Option<BatchId>,
    /// Jobs currently or last in this execution.
    #[serde(default)]
    pub execution_id: Option<ExecutionId>,
    /// Jobs with any of these statuses (empty: any).
    #[serde(default)]
    pub statuses: Vec<JobStatus>,
    /// Jobs with (true) or without (false) any ground truth.
    #[serde(default)]
    pub has_ground_truth: Option<bool>,
    /// Jobs with this verdict.
    #[serde(default)]
    pub accuracy: Option<Accuracy>,
    /// Jobs whose site URL contains this text (case-insensitive).
    #[serde(default)]
    pub search: Option<String>,
}

/// Job counts by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusCounts {
    /// Pending jobs.
    pub pending: u64,
    /// Queued jobs.
    pub queued: u64,
    /// Running jobs.
    pub running: u64,
    /// Completed jobs.
    pub completed: u64,
    /// Failed jobs.
    pub failed: u64,
    /// Cancelled jobs.
    pub cancelled: u64,
    /// Invalid jobs.
    pub invalid: u64,
}

impl StatusCounts {
    /// Adds `n` to the counter of `status`.
    pub fn add(&mut self, status: JobStatus, n: u64) {
        *self.get_mut(status) += n;
    }

    /// The counter of `status`.
    pub fn get(&self, status: JobStatus) -> u64 {
        match status {
            JobStatus::Pending => self.pending,
            JobStatus::Queued => self.queued,
            JobStatus::Running => self.running,
            JobStatus::Completed => self.completed,
            JobStatus::Failed => self.failed,
            JobStatus::Cancelled => self.cancelled,
            JobStatus::Invalid => self.invalid,
        }
    }

    fn get_mut(&mut self, status: JobStatus) -> &mut u64 {
        match status {
            JobStatus::Pending => &mut self.pending,
            JobStatus::Queued => &mut self.queued,
            JobStatus::Running => &mut self.running,
            JobStatus::Completed => &mut self.completed,
            JobStatus::Failed => &mut self.failed,
            JobStatus::Cancelled => &mut self.cancelled,
            JobStatus::Invalid => &mut self.invalid,
        }
    }

    /// The sum of all counters.
    pub fn total(&self) -> u64 {
        JobStatus::ALL.iter().map(|s| self.get(*s)).sum()
    }
}
