//! Metrics snapshots: accuracy at a point in time.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ids::{BatchId, ExecutionId, SnapshotId};

/// Accuracy of one output field (column) over a set of jobs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ColumnMetrics {
    /// The field.
    pub field: String,
    /// Jobs where the field had ground truth and an extraction to compare.
    pub evaluated: u64,
    /// Of those, matched.
    pub passed: u64,
    /// Of those, not matched.
    pub failed: u64,
    /// Failed because the agent returned nothing.
    pub missing: u64,
    /// Failed because the agent returned a different value.
    pub wrong: u64,
    /// `passed / evaluated`, when anything was evaluated.
    pub accuracy: Option<f64>,
}

/// Metrics over a batch (or one execution of it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchMetrics {
    /// Jobs with an evaluation.
    pub jobs_evaluated: u64,
    /// Jobs whose accuracy is pass.
    pub jobs_passed: u64,
    /// Jobs whose accuracy is partial.
    pub jobs_partial: u64,
    /// Jobs whose accuracy is fail.
    pub jobs_failed: u64,
    /// `jobs_passed / jobs_evaluated`.
    pub pass_rate: Option<f64>,
    /// Per field.
    pub columns: Vec<ColumnMetrics>,
    /// Total cost of the sessions counted, US dollars.
    #[serde(default)]
    pub cost_usd: f64,
}

/// A stored snapshot of metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MetricsSnapshot {
    /// Its id.
    pub id: SnapshotId,
    /// The batch.
    pub batch_id: BatchId,
    /// The execution it was taken for, if any.
    pub execution_id: Option<ExecutionId>,
    /// The instruction version in force.
    pub instruction_version: Option<u32>,
    /// The metrics.
    pub metrics: BatchMetrics,
    /// Whether the engine took it when its execution ended (at most one per execution).
    #[serde(default)]
    pub at_end: bool,
    /// When it was taken.
    pub created_at: DateTime<Utc>,
}

/// Input for storing a snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewSnapshot {
    /// The batch.
    pub batch_id: BatchId,
    /// The execution, if any.
    pub execution_id: Option<ExecutionId>,
    /// The instruction version.
    pub instruction_version: Option<u32>,
    /// The metrics.
    pub metrics: BatchMetrics,
    /// Taken when the execution ended. A store keeps one such snapshot per execution:
    /// storing another returns the one already stored.
    #[serde(default)]
    pub at_end: bool,
}
