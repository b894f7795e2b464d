//! Executions: one run of an agent over (part of) a batch.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ids::{BatchId, ExecutionId, JobId, ProjectId};
use super::job::{JobFilter, StatusCounts};
use crate::error::{Error, Result};

/// Test (a sample) or production (all selected jobs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ExecutionMode {
    /// A deterministic sample of 10–50 valid jobs.
    Test,
    /// Every selected job.
    Production,
}

impl ExecutionMode {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionMode::Test => "test",
            ExecutionMode::Production => "production",
        }
    }

    /// Parses the lower-case name.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "test" => Ok(ExecutionMode::Test),
            "production" => Ok(ExecutionMode::Production),
            _ => Err(Error::validation(format!("unknown execution mode {s:?}"))
                .with_context("field", "mode")),
        }
    }
}

/// Where an execution is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ExecutionStatus {
    /// Jobs are being claimed and run.
    Running,
    /// No new job is claimed; running attempts finish.
    Paused,
    /// Stop was asked: queued jobs are cancelled, running ones aborted.
    Stopping,
    /// Every job reached a terminal status.
    Completed,
    /// Stopped by a user before every job finished.
    Stopped,
    /// The execution itself failed (e.g. its project was misconfigured).
    Failed,
}

impl ExecutionStatus {
    /// Every status.
    pub const ALL: [ExecutionStatus; 6] = [
        ExecutionStatus::Running,
        ExecutionStatus::Paused,
        ExecutionStatus::Stopping,
        ExecutionStatus::Completed,
        ExecutionStatus::Stopped,
        ExecutionStatus::Failed,
    ];

    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionStatus::Running => "running",
            ExecutionStatus::Paused => "paused",
            ExecutionStatus::Stopping => "stopping",
            ExecutionStatus::Completed => "completed",
            ExecutionStatus::Stopped => "stopped",
            ExecutionStatus::Failed => "failed",
        }
    }

    /// Parses the lower-case name.
    pub fn parse(s: &str) -> Result<Self> {
        ExecutionStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| {
                Error::validation(format!("unknown execution status {s:?}"))
                    .with_context("field", "status")
            })
    }

    /// Whether the execution still holds its jobs (running, paused or stopping).
    pub fn is_active(self) -> bool {
        matches!(
            self,
            ExecutionStatus::Running | ExecutionStatus::Paused | ExecutionStatus::Stopping
        )
    }
}

/// An execution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Execution {
    /// Its id.
    pub id: ExecutionId,
    /// The project.
    pub project_id: ProjectId,
    /// The batch.
    pub batch_id: BatchId,
    /// Test or production.
    pub mode: ExecutionMode,
    /// Sample size in test mode.
    pub sample_size: Option<u32>,
    /// Seed of the sample, so the same sample can be drawn again.
    pub seed: Option<u64>,
    /// Jobs at once, across all workers (1–50).
    pub concurrency: u32,
    /// Attempts per job (1–20).
    pub max_attempts: u32,
    /// Time limit per attempt, seconds.
    pub job_timeout_secs: u32,
    /// The instruction version it runs.
    pub instruction_version: u32,
    /// Its status.
    pub status: ExecutionStatus,
    /// Jobs in it.
    pub total: u64,
    /// Its jobs by their status in this execution. Always sums to `total`.
    pub counts: StatusCounts,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed status or settings.
    pub updated_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
}

/// Input for creating an execution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewExecution {
    /// The project.
    pub project_id: ProjectId,
    /// The batch.
    pub batch_id: BatchId,
    /// Test or production.
    pub mode: ExecutionMode,
    /// Sample size in test mode.
    pub sample_size: Option<u32>,
    /// Sample seed.
    pub seed: Option<u64>,
    /// Jobs at once (1–50).
    pub concurrency: u32,
    /// Attempts per job (1–20).
    pub max_attempts: u32,
    /// Time limit per attempt, seconds (1–3600).
    pub job_timeout_secs: u32,
    /// The instruction version it runs.
    pub instruction_version: u32,
}

impl NewExecution {
    /// Checks every range.
    pub fn validate(&self) -> Result<()> {
        validate_concurrency(self.concurrency)?;
        if let Some(n) = self.sample_size {
            if !(10..=50).contains(&n) {
                return Err(Error::validation("sample size must be between 10 and 50")
                    .with_context("field", "sample_size"));
            }
        }
        if !(1..=20).contains(&self.max_attempts) {
            return Err(Error::validation("max_attempts must be between 1 and 20")
                .with_context("field", "max_attempts"));
        }
        if !(1..=3600).contains(&self.job_timeout_secs) {
            return Err(
                Error::validation("job_timeout_secs must be between 1 and 3600")
                    .with_context("field", "job_timeout_secs"),
            );
        }
        Ok(())
    }
}

/// Checks that a concurrency is within 1–50.
pub fn validate_concurrency(concurrency: u32) -> Result<()> {
    if !(1..=50).contains(&concurrency) {
        return Err(Error::validation("concurrency must be between 1 and 50")
            .with_context("field", "concurrency"));
    }
    Ok(())
}

/// Which jobs an execution takes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum JobSelection {
    /// Exactly these jobs (e.g. a drawn sample). They must be in the execution's batch.
    Ids(Vec<JobId>),
    /// Every job of the batch matching the filter (its batch is forced to the execution's).
    /// Invalid jobs are never selected.
    Filter(JobFilter),
}

/// A change to a running execution.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExecutionUpdate {
    /// New status.
    #[serde(default)]
    pub status: Option<ExecutionStatus>,
    /// New concurrency (1–50).
    #[serde(default)]
    pub concurrency: Option<u32>,
}
