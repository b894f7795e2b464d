//! Metrics, snapshots, trends, the dashboard summary of a batch, and exports.

use std::io::Write;

use serde::{Deserialize, Serialize};

use super::Platform;
use crate::error::{Error, Result};
use crate::events::ExecutionStats;
use crate::export::{self, ExportFormat, ExportSummary};
use crate::metrics::{batch_report, trend_from_snapshots, MetricsReport, Trend, TrendBy};
use crate::model::{
    Batch, BatchId, Execution, ExecutionId, JobFilter, MetricsSnapshot, NewSnapshot, ProjectId,
    StatusCounts,
};
use crate::store::{Cursor, ExecutionFilter, Page, PageRequest, MAX_PAGE_LIMIT};

/// Everything the dashboard shows about a batch, in one call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchDashboard {
    /// The batch.
    pub batch: Batch,
    /// Its jobs by status.
    pub counts: StatusCounts,
    /// Accuracy per column and cost over all its jobs.
    pub report: MetricsReport,
    /// Pass rate per execution, oldest first (from end-of-execution and manual snapshots).
    pub trend: Trend,
    /// Its latest execution with live stats, if it ever ran.
    pub latest_execution: Option<ExecutionStats>,
}

impl Platform {
    /// Accuracy per column and cost of a batch's jobs, or of the jobs one execution of it
    /// ran.
    pub async fn column_metrics(
        &self,
        batch: BatchId,
        execution: Option<ExecutionId>,
    ) -> Result<MetricsReport> {
        self.inner.store.get_batch(batch).await?;
        if let Some(execution) = execution {
            self.execution_of_batch(batch, execution).await?;
        }
        let filter = JobFilter {
            batch_id: Some(batch),
            execution_id: execution,
            ..JobFilter::default()
        };
        batch_report(self.inner.store.as_ref(), &filter).await
    }

    /// Stores a snapshot of a batch's metrics now (of one execution's jobs when given), with
    /// the project's current instruction version, or the execution's.
    pub async fn create_snapshot(
        &self,
        batch: BatchId,
        execution: Option<ExecutionId>,
    ) -> Result<MetricsSnapshot> {
        let found = self.inner.store.get_batch(batch).await?;
        let version = match execution {
            Some(id) => {
                self.execution_of_batch(batch, id)
                    .await?
                    .instruction_version
            }
            None => {
                self.inner
                    .store
                    .get_project(found.project_id)
                    .await?
                    .instruction_version
            }
        };
        let report = self.column_metrics(batch, execution).await?;
        self.inner
            .store
            .create_snapshot(NewSnapshot {
                batch_id: batch,
                execution_id: execution,
                instruction_version: Some(version),
                metrics: report.metrics,
                at_end: false,
            })
            .await
    }

    /// A batch's snapshots, oldest first.
    pub async fn snapshots(
        &self,
        batch: BatchId,
        page: PageRequest,
    ) -> Result<Page<MetricsSnapshot>> {
        self.inner.store.get_batch(batch).await?;
        self.inner.store.list_snapshots(batch, page).await
    }

    /// How a batch's metrics moved across its executions or instruction versions: one point
    /// per execution or version, from its latest snapshot, oldest first. Every execution
    /// that ended has a point (the engine snapshots it at its end).
    pub async fn trends(&self, batch: BatchId, by: TrendBy) -> Result<Trend> {
        self.inner.store.get_batch(batch).await?;
        let mut snapshots = Vec::new();
        let mut cursor: Option<Cursor> = None;
        loop {
            let page = self
                .inner
                .store
                .list_snapshots(batch, PageRequest::new(MAX_PAGE_LIMIT, cursor)?)
                .await?;
            snapshots.extend(page.data);
            match page.next_cursor {
                Some(c) => cursor = Some(Cursor::decode(&c)?),
                None => break,
            }
        }
        Ok(trend_from_snapshots(&snapshots, by))
    }

    /// The dashboard summary of a batch.
    pub async fn analytics_dashboard(&self, batch: BatchId) -> Result<BatchDashboard> {
        let found = self.inner.store.get_batch(batch).await?;
        let counts = self.batch_counts(batch).await?;
        let report = self.column_metrics(batch, None).await?;
        let trend = self.trends(batch, TrendBy::Execution).await?;
        let latest = self.latest_execution(batch).await?;
        let latest_execution = match latest {
            Some(execution) => Some(self.execution_stats(execution.id).await?),
            None => None,
        };
        Ok(BatchDashboard {
            batch: found,
            counts,
            report,
            trend,
            latest_execution,
        })
    }

    /// Exports a project's jobs matching `filter` (the job list's filters) into `out`.
    ///
    /// Memory stays constant whatever the number of jobs. `out` is written synchronously
    /// between store round trips; a front end streaming to a network client hands it a
    /// writer that forwards chunks.
    pub async fn export<W: Write + Send>(
        &self,
        project: ProjectId,
        filter: &JobFilter,
        format: ExportFormat,
        out: W,
    ) -> Result<ExportSummary> {
        let project = self.inner.store.get_project(project).await?;
        if let Some(batch) = filter.batch_id {
            let found = self.inner.store.get_batch(batch).await?;
            if found.project_id != project.id {
                return Err(
                    Error::validation(format!("batch {batch} belongs to another project"))
                        .with_context("field", "batch_id"),
                );
            }
        }
        export::export(self.inner.store.as_ref(), &project, filter, format, out).await
    }

    /// The newest execution of a batch.
    async fn latest_execution(&self, batch: BatchId) -> Result<Option<Execution>> {
        let filter = ExecutionFilter {
            batch_id: Some(batch),
            ..ExecutionFilter::default()
        };
        let mut last = None;
        let mut cursor: Option<Cursor> = None;
        loop {
            let page = self
                .inner
                .store
                .list_executions(filter.clone(), PageRequest::new(MAX_PAGE_LIMIT, cursor)?)
                .await?;
            if let Some(newest) = page.data.last() {
                last = Some(newest.clone());
            }
            match page.next_cursor {
                Some(c) => cursor = Some(Cursor::decode(&c)?),
                None => return Ok(last),
            }
        }
    }

    /// An execution that must belong to `batch`.
    async fn execution_of_batch(&self, batch: BatchId, id: ExecutionId) -> Result<Execution> {
        let execution = self.inner.store.get_execution(id).await?;
        if execution.batch_id != batch {
            return Err(
                Error::validation(format!("execution {id} belongs to another batch"))
                    .with_context("field", "execution_id"),
            );
        }
        Ok(execution)
    }
}
