//! Sessions: one per attempt at a job.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ids::{ArtifactId, ExecutionId, JobId, SessionId};
use super::job::Extraction;
use crate::error::ErrorKind;

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    /// Still running.
    Running,
    /// Finished with an extraction.
    Succeeded,
    /// Failed with an error.
    Failed,
    /// Aborted because its execution was stopped.
    Cancelled,
    /// Its worker disappeared (lease expired); the job was taken again.
    Lost,
}

impl SessionStatus {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Running => "running",
            SessionStatus::Succeeded => "succeeded",
            SessionStatus::Failed => "failed",
            SessionStatus::Cancelled => "cancelled",
            SessionStatus::Lost => "lost",
        }
    }
}

/// Severity of a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LogLevel {
    /// Detail.
    Debug,
    /// Normal progress.
    Info,
    /// Something odd.
    Warn,
    /// A failure.
    Error,
}

/// One line of an attempt's log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LogLine {
    /// When it was written.
    pub at: DateTime<Utc>,
    /// Severity.
    pub level: LogLevel,
    /// The text.
    pub message: String,
}

/// Tokens and money an attempt spent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Usage {
    /// Prompt tokens.
    pub tokens_in: u64,
    /// Completion tokens.
    pub tokens_out: u64,
    /// Cost in US dollars.
    pub cost_usd: f64,
}

impl Usage {
    /// Adds another usage to this one.
    pub fn add(&mut self, other: &Usage) {
        self.tokens_in += other.tokens_in;
        self.tokens_out += other.tokens_out;
        self.cost_usd += other.cost_usd;
    }
}

/// Why an attempt failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionError {
    /// The error kind.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub kind: ErrorKind,
    /// The message.
    pub message: String,
    /// Whether it was retried (or would have been, had attempts remained).
    pub transient: bool,
}

/// One attempt at a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Session {
    /// Its id.
    pub id: SessionId,
    /// The job.
    pub job_id: JobId,
    /// The execution it ran in.
    pub execution_id: Option<ExecutionId>,
    /// 1 for the first attempt of the job in its execution.
    pub attempt: u32,
    /// The worker that ran it.
    pub worker_id: String,
    /// How it ended.
    pub status: SessionStatus,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// Ordered log lines.
    pub log: Vec<LogLine>,
    /// What it extracted, when it succeeded.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<HashMap<String, Option<String>>>))]
    pub extraction: Option<Extraction>,
    /// Why it failed.
    pub error: Option<SessionError>,
    /// Its final screenshot.
    pub screenshot: Option<ArtifactId>,
    /// The URL the browser ended on.
    pub final_url: Option<String>,
    /// Tokens and cost.
    pub usage: Usage,
}

impl Session {
    /// The session of an attempt that starts now: running, nothing recorded yet.
    pub fn started(id: SessionId, new: NewSession, started_at: DateTime<Utc>) -> Self {
        Session {
            id,
            job_id: new.job_id,
            execution_id: new.execution_id,
            attempt: new.attempt,
            worker_id: new.worker_id,
            status: SessionStatus::Running,
            started_at,
            finished_at: None,
            log: Vec::new(),
            extraction: None,
            error: None,
            screenshot: None,
            final_url: None,
            usage: Usage::default(),
        }
    }

    /// Records how the attempt ended.
    pub fn finish(&mut self, outcome: SessionOutcome, finished_at: DateTime<Utc>) {
        self.status = outcome.status;
        self.finished_at = Some(finished_at);
        self.log = outcome.log;
        self.extraction = outcome.extraction;
        self.error = outcome.error;
        self.screenshot = outcome.screenshot;
        self.final_url = outcome.final_url;
        self.usage = outcome.usage;
    }

    /// Duration in milliseconds, when finished.
    pub fn duration_ms(&self) -> Option<i64> {
        self.finished_at
            .map(|f| (f - self.started_at).num_milliseconds())
    }
}

/// Input for starting a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewSession {
    /// The job.
    pub job_id: JobId,
    /// The execution.
    pub execution_id: Option<ExecutionId>,
    /// Attempt number from 1.
    pub attempt: u32,
    /// The worker.
    pub worker_id: String,
}

/// How a session ended, to be recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionOutcome {
    /// The final status (not `Running`).
    pub status: SessionStatus,
    /// Log lines.
    pub log: Vec<LogLine>,
    /// The extraction, when it succeeded.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<HashMap<String, Option<String>>>))]
    pub extraction: Option<Extraction>,
    /// The error, when it failed.
    pub error: Option<SessionError>,
    /// Final screenshot.
    pub screenshot: Option<ArtifactId>,
    /// Final URL.
    pub final_url: Option<String>,
    /// Usage.
    pub usage: Usage,
}
