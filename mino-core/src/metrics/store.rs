//! Metrics of the jobs a store holds, paged through with a [`JobFilter`].

use futures::stream::{self, StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use tracing::debug;

use super::columns::AccuracyTally;
use super::cost::{CostMetrics, CostTally, UsageTotals};
use crate::error::{Error, Result};
use crate::model::{
    BatchMetrics, Execution, Job, JobFilter, JobId, MetricsSnapshot, NewSnapshot, Session,
};
use crate::store::{Cursor, PageRequest, Store, MAX_PAGE_LIMIT};

/// Jobs whose sessions are fetched at the same time.
const SESSION_FETCHES: usize = 8;

/// Accuracy and cost of a set of jobs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricsReport {
    /// Accuracy per job and per column; `cost_usd` is the total cost.
    pub metrics: BatchMetrics,
    /// Tokens and cost per job, per execution and per correct field.
    #[serde(default)]
    pub cost: CostMetrics,
}

/// Accuracy and total cost of the jobs matching `filter` (see [`batch_report`]).
pub async fn batch_metrics(store: &dyn Store, filter: &JobFilter) -> Result<BatchMetrics> {
    Ok(batch_report(store, filter).await?.metrics)
}

/// Accuracy and cost of the jobs matching `filter`.
///
/// # Behavior
///
/// - Accuracy comes from each job's stored evaluation (see [`AccuracyTally`]), paging
///   through the jobs 500 at a time; columns come in first-seen order.
/// - Cost comes from the sessions of each job that ever ran (has an `execution_id`); when
///   the filter names an execution, only that execution's sessions count. The store sums it
///   ([`Store::usage_totals`]).
pub async fn batch_report(store: &dyn Store, filter: &JobFilter) -> Result<MetricsReport> {
    let mut accuracy = AccuracyTally::new();
    let mut cursor: Option<Cursor> = None;
    loop {
        let page = store
            .list_jobs(filter, PageRequest::new(MAX_PAGE_LIMIT, cursor)?)
            .await?;
        for job in &page.data {
            accuracy.add_job(job);
        }
        debug!(jobs = page.data.len(), "metrics: counted a page of jobs");
        match page.next_cursor {
            Some(next) => cursor = Some(Cursor::decode(&next)?),
            None => break,
        }
    }
    let usage = store.usage_totals(filter).await?;
    let cost = CostMetrics::from_usage(&usage, accuracy.fields_passed());
    let mut metrics = accuracy.metrics();
    metrics.cost_usd = cost.cost_usd;
    Ok(MetricsReport { metrics, cost })
}

/// Sums the usage of the sessions of the jobs matching `filter` by reading every job's
/// sessions, a few jobs at a time: what [`Store::usage_totals`] does for a store without an
/// aggregate query.
pub async fn usage_by_paging<S: Store + ?Sized>(
    store: &S,
    filter: &JobFilter,
) -> Result<UsageTotals> {
    let mut cost = CostTally::new(filter.execution_id);
    let mut cursor: Option<Cursor> = None;
    loop {
        let page = store
            .list_jobs(filter, PageRequest::new(MAX_PAGE_LIMIT, cursor)?)
            .await?;
        let ran: Vec<JobId> = page
            .data
            .iter()
            .filter(|j: &&Job| j.execution_id.is_some())
            .map(|j| j.id)
            .collect();
        let sessions: Vec<Vec<Session>> = stream::iter(ran)
            .map(|job| job_sessions(store, job))
            .buffered(SESSION_FETCHES)
            .try_collect()
            .await?;
        for job_sessions in &sessions {
            cost.add_job_sessions(job_sessions);
        }
        match page.next_cursor {
            Some(next) => cursor = Some(Cursor::decode(&next)?),
            None => return Ok(cost.usage()),
        }
    }
}

/// Every session of one job.
async fn job_sessions<S: Store + ?Sized>(store: &S, job: JobId) -> Result<Vec<Session>> {
    let mut all = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .list_sessions(job, PageRequest::new(MAX_PAGE_LIMIT, cursor)?)
            .await?;
        all.extend(page.data);
        match page.next_cursor {
            Some(next) => cursor = Some(Cursor::decode(&next)?),
            None => return Ok(all),
        }
    }
}

/// Takes the snapshot of an ended execution: the metrics of the jobs it ran, with its
/// instruction version, marked `at_end`.
///
/// Stores keep one end snapshot per execution, so every process that sees the end may call
/// this; the first call stores it and later calls return it. An execution still active is a
/// conflict.
pub async fn snapshot_execution_end(
    store: &dyn Store,
    execution: &Execution,
) -> Result<MetricsSnapshot> {
    if execution.status.is_active() {
        return Err(Error::conflict(format!(
            "execution {} is {}: its end snapshot is taken when it ends",
            execution.id,
            execution.status.as_str()
        ))
        .with_context("execution_id", execution.id.to_string()));
    }
    let filter = JobFilter {
        batch_id: Some(execution.batch_id),
        execution_id: Some(execution.id),
        ..JobFilter::default()
    };
    let report = batch_report(store, &filter).await?;
    store
        .create_snapshot(NewSnapshot {
            batch_id: execution.batch_id,
            execution_id: Some(execution.id),
            instruction_version: Some(execution.instruction_version),
            metrics: report.metrics,
            at_end: true,
        })
        .await
}
