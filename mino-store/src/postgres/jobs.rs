//! Reading jobs: get, filtered pages and counts.

use chrono::{DateTime, Utc};
use mino_core::model::{
    Accuracy, BatchId, Evaluation, ExecutionId, Job, JobFilter, JobId, JobStatus, ProjectId,
    StatusCounts,
};
use mino_core::store::{Page, PageRequest};
use mino_core::{Error, Result};
use sqlx::types::Json;
use sqlx::{PgExecutor, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use super::codec::{contains_pattern, id_page, parse_stored, push_id_page, to_u32, to_u64, Pairs};
use super::error::DbResultExt;

/// The columns a [`JobRow`] reads.
pub(crate) const JOB_COLUMNS: &str = "id, batch_id, project_id, row_index, line, site_url, \
     inputs, ground_truth, status, invalid_reason, attempts, execution_id, extraction, \
     evaluation, accuracy, last_error, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub(crate) struct JobRow {
    id: Uuid,
    batch_id: Uuid,
    project_id: Uuid,
    row_index: i64,
    line: i64,
    site_url: String,
    inputs: Json<Pairs<String>>,
    ground_truth: Json<Pairs<String>>,
    status: String,
    invalid_reason: Option<String>,
    attempts: i32,
    execution_id: Option<Uuid>,
    extraction: Option<Json<Pairs<Option<String>>>>,
    evaluation: Option<Json<Evaluation>>,
    accuracy: Option<String>,
    last_error: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl JobRow {
    pub(crate) fn into_model(self) -> Result<Job> {
        Ok(Job {
            id: JobId(self.id),
            batch_id: BatchId(self.batch_id),
            project_id: ProjectId(self.project_id),
            row_index: to_u64(self.row_index, "row_index")?,
            line: to_u64(self.line, "line")?,
            site_url: self.site_url,
            inputs: self.inputs.0 .0,
            ground_truth: self.ground_truth.0 .0,
            status: parse_stored(&self.status, "job status", JobStatus::parse)?,
            invalid_reason: self.invalid_reason,
            attempts: to_u32(self.attempts, "attempts")?,
            execution_id: self.execution_id.map(ExecutionId),
            extraction: self.extraction.map(|e| e.0 .0),
            evaluation: self.evaluation.map(|e| e.0),
            accuracy: self
                .accuracy
                .as_deref()
                .map(|a| parse_stored(a, "accuracy", Accuracy::parse))
                .transpose()?,
            last_error: self.last_error,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

pub(crate) async fn get(executor: impl PgExecutor<'_>, id: JobId) -> Result<Job> {
    let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1");
    sqlx::query_as::<_, JobRow>(sqlx::AssertSqlSafe(sql))
        .bind(id.0)
        .fetch_optional(executor)
        .await
        .db()?
        .ok_or_else(|| Error::not_found("job", id))?
        .into_model()
}

pub(crate) async fn list(
    pool: &PgPool,
    filter: &JobFilter,
    page: PageRequest,
) -> Result<Page<Job>> {
    let mut qb = list_query("", filter, &page)?;
    let rows: Vec<JobRow> = qb.build_query_as().fetch_all(pool).await.db()?;
    let jobs = rows
        .into_iter()
        .map(JobRow::into_model)
        .collect::<Result<Vec<_>>>()?;
    Ok(id_page(jobs, &page, |j| j.id.0))
}

/// The statement behind [`list`], after `prefix` (tests put `EXPLAIN ` there).
pub(crate) fn list_query(
    prefix: &str,
    filter: &JobFilter,
    page: &PageRequest,
) -> Result<QueryBuilder<Postgres>> {
    let mut qb =
        QueryBuilder::<Postgres>::new(format!("{prefix}SELECT {JOB_COLUMNS} FROM jobs WHERE true"));
    push_filter(&mut qb, filter);
    push_id_page(&mut qb, page)?;
    Ok(qb)
}

pub(crate) async fn count(pool: &PgPool, filter: &JobFilter) -> Result<StatusCounts> {
    let mut qb = QueryBuilder::<Postgres>::new("SELECT status, count(*) FROM jobs WHERE true");
    push_filter(&mut qb, filter);
    qb.push(" GROUP BY status");
    let rows: Vec<(String, i64)> = qb.build_query_as().fetch_all(pool).await.db()?;
    counts_from_rows(rows)
}

/// Sums `(status, count)` rows into [`StatusCounts`].
pub(crate) fn counts_from_rows(rows: Vec<(String, i64)>) -> Result<StatusCounts> {
    let mut counts = StatusCounts::default();
    for (status, n) in rows {
        let status = parse_stored(&status, "job status", JobStatus::parse)?;
        counts.add(status, to_u64(n, "count")?);
    }
    Ok(counts)
}

/// Appends ` AND …` for every set filter. User text only ever travels as a bound value.
pub(crate) fn push_filter(qb: &mut QueryBuilder<Postgres>, filter: &JobFilter) {
    if let Some(project) = filter.project_id {
        qb.push(" AND project_id = ").push_bind(project.0);
    }
    if let Some(batch) = filter.batch_id {
        qb.push(" AND batch_id = ").push_bind(batch.0);
    }
    if let Some(execution) = filter.execution_id {
        qb.push(" AND execution_id = ").push_bind(execution.0);
    }
    match filter.statuses.as_slice() {
        [] => {}
        // One status is a plain equality, so the (batch_id, status, id) index yields rows
        // already in page order.
        [status] => {
            qb.push(" AND status = ").push_bind(status.as_str());
        }
        statuses => {
            let names: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
            qb.push(" AND status = ANY(").push_bind(names).push(")");
        }
    }
    if let Some(has) = filter.has_ground_truth {
        qb.push(" AND has_ground_truth = ").push_bind(has);
    }
    if let Some(accuracy) = filter.accuracy {
        qb.push(" AND accuracy = ").push_bind(accuracy.as_str());
    }
    if let Some(search) = filter.search.as_deref().map(str::trim) {
        if !search.is_empty() {
            qb.push(" AND site_url ILIKE ")
                .push_bind(contains_pattern(search));
        }
    }
}
