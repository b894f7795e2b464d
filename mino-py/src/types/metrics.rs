//! Metrics against ground truth, cost, and export summaries.

use mino::export;
use mino::metrics;
use mino::model;

use super::{Batch, ExecutionStats, StatusCounts, Timestamp};
use crate::records::record;

record! {
    /// Accuracy and cost of a set of jobs (a batch, or one execution of it).
    MetricsReport {
        /// Accuracy per job and per column.
        metrics: BatchMetrics,
        /// Tokens and cost, per job, per execution and per correct field.
        cost: CostMetrics,
    }
}

record! {
    /// Accuracy over a set of jobs.
    BatchMetrics {
        /// Jobs with an evaluation.
        jobs_evaluated: u64,
        /// Jobs whose verdict is pass.
        jobs_passed: u64,
        /// Jobs whose verdict is partial.
        jobs_partial: u64,
        /// Jobs whose verdict is fail.
        jobs_failed: u64,
        /// ``jobs_passed / jobs_evaluated``, when anything was evaluated.
        pass_rate: Option<f64>,
        /// Per output field, in first-seen order.
        columns: Vec<ColumnMetrics>,
        /// Total cost of the sessions counted, US dollars.
        cost_usd: f64,
    }
}

record! {
    /// Accuracy of one output field (column).
    ColumnMetrics {
        /// The field.
        field: String,
        /// Jobs where the field had ground truth and an extraction to compare.
        evaluated: u64,
        /// Of those, matched.
        passed: u64,
        /// Of those, not matched.
        failed: u64,
        /// Failed because the agent returned nothing.
        missing: u64,
        /// Failed because the agent returned a different value.
        wrong: u64,
        /// ``passed / evaluated``, when anything was evaluated.
        accuracy: Option<f64>,
    }
}

record! {
    /// Tokens and cost of the sessions of a set of jobs.
    CostMetrics {
        /// Sessions (attempts) counted.
        sessions: u64,
        /// Jobs with at least one session counted.
        jobs_run: u64,
        /// Prompt tokens.
        tokens_in: u64,
        /// Completion tokens.
        tokens_out: u64,
        /// Total cost, US dollars.
        cost_usd: f64,
        /// ``cost_usd / jobs_run``.
        cost_per_job: Option<f64>,
        /// ``cost_usd`` over the number of executions counted.
        cost_per_execution: Option<f64>,
        /// ``cost_usd`` over the fields that passed evaluation.
        cost_per_correct_field: Option<f64>,
        /// Per execution, in first-seen order.
        executions: Vec<ExecutionCost>,
    }
}

record! {
    /// Cost of one execution's sessions.
    ExecutionCost {
        /// The execution's id (``None`` for sessions run outside any execution).
        execution_id: Option<String>,
        /// Sessions counted.
        sessions: u64,
        /// Distinct jobs those sessions ran.
        jobs: u64,
        /// Their cost, US dollars.
        cost_usd: f64,
        /// ``cost_usd / jobs``.
        cost_per_job: Option<f64>,
    }
}

record! {
    /// What an export wrote.
    ExportSummary {
        /// csv, json, ndjson or xlsx.
        format: String,
        /// Jobs written.
        jobs: u64,
        /// Accuracy of the jobs written.
        metrics: BatchMetrics,
    }
}

impl From<&model::BatchMetrics> for BatchMetrics {
    fn from(m: &model::BatchMetrics) -> Self {
        BatchMetrics {
            jobs_evaluated: m.jobs_evaluated,
            jobs_passed: m.jobs_passed,
            jobs_partial: m.jobs_partial,
            jobs_failed: m.jobs_failed,
            pass_rate: m.pass_rate,
            columns: m
                .columns
                .iter()
                .map(|c| ColumnMetrics {
                    field: c.field.clone(),
                    evaluated: c.evaluated,
                    passed: c.passed,
                    failed: c.failed,
                    missing: c.missing,
                    wrong: c.wrong,
                    accuracy: c.accuracy,
                })
                .collect(),
            cost_usd: m.cost_usd,
        }
    }
}

impl From<&metrics::CostMetrics> for CostMetrics {
    fn from(c: &metrics::CostMetrics) -> Self {
        CostMetrics {
            sessions: c.sessions,
            jobs_run: c.jobs_run,
            tokens_in: c.tokens_in,
            tokens_out: c.tokens_out,
            cost_usd: c.cost_usd,
            cost_per_job: c.cost_per_job,
            cost_per_execution: c.cost_per_execution,
            cost_per_correct_field: c.cost_per_correct_field,
            executions: c
                .executions
                .iter()
                .map(|e| ExecutionCost {
                    execution_id: e.execution_id.map(|id| id.to_string()),
                    sessions: e.sessions,
                    jobs: e.jobs,
                    cost_usd: e.cost_usd,
                    cost_per_job: e.cost_per_job,
                })
                .collect(),
        }
    }
}

impl From<&metrics::MetricsReport> for MetricsReport {
    fn from(r: &metrics::MetricsReport) -> Self {
        MetricsReport {
            metrics: BatchMetrics::from(&r.metrics),
            cost: CostMetrics::from(&r.cost),
        }
    }
}

impl From<&export::ExportSummary> for ExportSummary {
    fn from(s: &export::ExportSummary) -> Self {
        ExportSummary {
            format: s.format.as_str().to_owned(),
            jobs: s.jobs,
            metrics: BatchMetrics::from(&s.metrics),
        }
    }
}

record! {
    /// Metrics of a batch stored at a point in time.
    MetricsSnapshot {
        /// Its id.
        id: String,
        /// The batch's id.
        batch_id: String,
        /// The execution it was taken for, if any.
        execution_id: Option<String>,
        /// The instruction version in force.
        instruction_version: Option<u32>,
        /// The metrics.
        metrics: BatchMetrics,
        /// Whether the engine took it when its execution ended.
        at_end: bool,
        /// When it was taken (UTC).
        created_at: Timestamp,
    }
}

record! {
    /// One point of a trend: the metrics of one execution or one instruction version.
    TrendPoint {
        /// ``execution`` or ``instruction_version``.
        kind: String,
        /// The execution's id, for an execution point.
        execution_id: Option<String>,
        /// The version number, for an instruction-version point.
        version: Option<u32>,
        /// The metrics measured there (its latest snapshot).
        metrics: BatchMetrics,
    }
}

record! {
    /// Everything a dashboard shows about a batch, in one call.
    BatchDashboard {
        /// The batch.
        batch: Batch,
        /// Its jobs by status.
        counts: StatusCounts,
        /// Accuracy and cost of all its jobs.
        report: MetricsReport,
        /// Metrics per execution, oldest first.
        trend: Vec<TrendPoint>,
        /// Live figures of its newest execution, if it has one.
        latest_execution: Option<ExecutionStats>,
    }
}

impl From<&model::MetricsSnapshot> for MetricsSnapshot {
    fn from(s: &model::MetricsSnapshot) -> Self {
        MetricsSnapshot {
            id: s.id.to_string(),
            batch_id: s.batch_id.to_string(),
            execution_id: s.execution_id.map(|e| e.to_string()),
            instruction_version: s.instruction_version,
            metrics: BatchMetrics::from(&s.metrics),
            at_end: s.at_end,
            created_at: s.created_at,
        }
    }
}

impl From<&metrics::TrendPoint> for TrendPoint {
    fn from(p: &metrics::TrendPoint) -> Self {
        let (kind, execution_id, version) = match p.key {
            metrics::TrendKey::Execution { execution_id } => {
                ("execution", Some(execution_id.to_string()), None)
            }
            metrics::TrendKey::InstructionVersion { version } => {
                ("instruction_version", None, Some(version))
            }
        };
        TrendPoint {
            kind: kind.to_owned(),
            execution_id,
            version,
            metrics: BatchMetrics::from(&p.metrics),
        }
    }
}

impl From<&mino::platform::BatchDashboard> for BatchDashboard {
    fn from(d: &mino::platform::BatchDashboard) -> Self {
        BatchDashboard {
            batch: Batch::new(&d.batch, None),
            counts: StatusCounts::from(&d.counts),
            report: MetricsReport::from(&d.report),
            trend: d.trend.iter().map(TrendPoint::from).collect(),
            latest_execution: d.latest_execution.as_ref().map(ExecutionStats::from),
        }
    }
}
