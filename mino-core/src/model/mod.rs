//! The domain model: plain data types shared by every layer.

mod artifact;
mod batch;
mod execution;
mod ground_truth;
mod ids;
mod job;
mod metrics;
mod project;
mod session;

pub use artifact::{Artifact, NewArtifact};
pub use batch::{Batch, BatchUpdate, ColumnRole, ColumnSchema, ColumnType, InvalidRow, NewBatch};
pub use execution::{
    validate_concurrency, Execution, ExecutionMode, ExecutionStatus, ExecutionUpdate, JobSelection,
    NewExecution,
};
pub use ground_truth::{
    merge_ground_truth, FieldChange, GroundTruthChange, GroundTruthChangeFilter, UNKNOWN_ACTOR,
};
pub use ids::{
    ArtifactId, BatchId, ChangeId, ExecutionId, JobId, ProjectId, SessionId, SnapshotId,
};
pub use job::{
    Accuracy, Evaluation, Extraction, FieldEvaluation, Job, JobFilter, JobStatus, JobUpdate,
    NewJob, StatusCounts,
};
pub use metrics::{BatchMetrics, ColumnMetrics, MetricsSnapshot, NewSnapshot};
pub use project::{
    validate_output_fields, AgentConfig, FieldType, InstructionVersion, NewProject, OutputField,
    Project, ProjectSettings, ProjectUpdate,
};
pub use session::{
    LogLevel, LogLine, NewSession, Session, SessionError, SessionOutcome, SessionStatus, Usage,
};
