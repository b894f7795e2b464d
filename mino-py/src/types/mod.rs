//! The record classes returned to Python, and their conversions from `mino_core` types.

mod batch;
mod events;
mod ground_truth;
mod job;
mod metrics;
mod project;
mod run;

pub use batch::{Batch, Column, IngestReport, InvalidRow};
pub use events::{
    event_to_py, ConcurrencyEvent, ExecutionStatusEvent, FrameEvent, JobTransitionEvent, LogEvent,
    StatsEvent,
};
pub use ground_truth::{GroundTruthChange, GroundTruthResult};
pub use job::{Evaluation, FieldEvaluation, Job, LogLine, Session, SessionError, Usage};
pub use metrics::{
    BatchDashboard, BatchMetrics, ColumnMetrics, CostMetrics, ExecutionCost, ExportSummary,
    MetricsReport, MetricsSnapshot, TrendPoint,
};
pub use project::{AgentConfig, InstructionVersion, OutputField, Project, ProjectSettings};
pub use run::{ExecutionStats, StatusCounts};

/// A UTC timestamp; Python sees an aware `datetime`.
pub type Timestamp = chrono::DateTime<chrono::Utc>;

use pyo3::prelude::*;

/// Registers every record class in the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Project>()?;
    m.add_class::<OutputField>()?;
    m.add_class::<AgentConfig>()?;
    m.add_class::<ProjectSettings>()?;
    m.add_class::<InstructionVersion>()?;
    m.add_class::<Batch>()?;
    m.add_class::<Column>()?;
    m.add_class::<IngestReport>()?;
    m.add_class::<InvalidRow>()?;
    m.add_class::<Job>()?;
    m.add_class::<Evaluation>()?;
    m.add_class::<FieldEvaluation>()?;
    m.add_class::<Session>()?;
    m.add_class::<SessionError>()?;
    m.add_class::<LogLine>()?;
    m.add_class::<Usage>()?;
    m.add_class::<StatusCounts>()?;
    m.add_class::<ExecutionStats>()?;
    m.add_class::<MetricsReport>()?;
    m.add_class::<BatchMetrics>()?;
    m.add_class::<ColumnMetrics>()?;
    m.add_class::<CostMetrics>()?;
    m.add_class::<ExecutionCost>()?;
    m.add_class::<ExportSummary>()?;
    m.add_class::<MetricsSnapshot>()?;
    m.add_class::<TrendPoint>()?;
    m.add_class::<BatchDashboard>()?;
    m.add_class::<GroundTruthResult>()?;
    m.add_class::<GroundTruthChange>()?;
    m.add_class::<ExecutionStatusEvent>()?;
    m.add_class::<ConcurrencyEvent>()?;
    m.add_class::<JobTransitionEvent>()?;
    m.add_class::<LogEvent>()?;
    m.add_class::<StatsEvent>()?;
    m.add_class::<FrameEvent>()?;
    Ok(())
}
