//! Executions, their job selection and their per-execution job statuses.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use mino_core::model::{
    validate_concurrency, BatchId, Execution, ExecutionId, ExecutionMode, ExecutionStatus,
    ExecutionUpdate, JobFilter, JobSelection, NewExecution, ProjectId, StatusCounts,
};
use mino_core::store::{ExecutionFilter, Page, PageRequest};
use mino_core::{Error, Result};
use sqlx::{PgConnection, PgExecutor, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use super::codec::{id_page, parse_stored, push_id_page, to_i32, to_u32};
use super::error::DbResultExt;
use super::jobs::{counts_from_rows, push_filter};

const EXECUTION_COLUMNS: &str = "id, project_id, batch_id, mode, sample_size, seed, \
     concurrency, max_attempts, job_timeout_secs, instruction_version, status, created_at, \
     updated_at, finished_at";

#[derive(sqlx::FromRow)]
struct ExecutionRow {
    id: Uuid,
    project_id: Uuid,
    batch_id: Uuid,
    mode: String,
    sample_size: Option<i32>,
    seed: Option<i64>,
    concurrency: i32,
    max_attempts: i32,
    job_timeout_secs: i32,
    instruction_version: i32,
    status: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
}

impl ExecutionRow {
    fn into_model(self, counts: StatusCounts) -> Result<Execution> {
        Ok(Execution {
            id: ExecutionId(self.id),
            project_id: ProjectId(self.project_id),
            batch_id: BatchId(self.batch_id),
            mode: parse_stored(&self.mode, "execution mode", ExecutionMode::parse)?,
            sample_size: self
                .sample_size
                .map(|n| to_u32(n, "sample_size"))
                .transpose()?,
            // Stored bit for bit: a u64 seed above i64::MAX is a negative bigint.
            seed: self.seed.map(|s| s as u64),
            concurrency: to_u32(self.concurrency, "concurrency")?,
            max_attempts: to_u32(self.max_attempts, "max_attempts")?,
            job_timeout_secs: to_u32(self.job_timeout_secs, "job_timeout_secs")?,
            instruction_version: to_u32(self.instruction_version, "instruction_version")?,
            status: parse_stored(&self.status, "execution status", ExecutionStatus::parse)?,
            total: counts.total(),
            counts,
            created_at: self.created_at,
            updated_at: self.updated_at,
            finished_at: self.finished_at,
        })
    }
}

pub(crate) async fn create(
    pool: &PgPool,
    new: NewExecution,
    selection: JobSelection,
) -> Result<Execution> {
    new.validate()?;
    let mut tx = pool.begin().await.db()?;
    lock_batch(&mut tx, &new).await?;

    let filter = match selection {
        JobSelection::Ids(ids) => {
            let ids: Vec<Uuid> = ids.iter().map(|id| id.0).collect();
            check_ids(&mut tx, new.batch_id, &ids).await?;
            Selection::Ids(ids)
        }
        JobSelection::Filter(mut filter) => {
            filter.batch_id = Some(new.batch_id);
            Selection::Filter(filter)
        }
    };
    refuse_active_jobs(&mut tx, &filter).await?;

    let id = ExecutionId::new();
    sqlx::query(
        "INSERT INTO executions (id, project_id, batch_id, mode, sample_size, seed, \
         concurrency, max_attempts, job_timeout_secs, instruction_version, status) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'running')",
    )
    .bind(id.0)
    .bind(new.project_id.0)
    .bind(new.batch_id.0)
    .bind(new.mode.as_str())
    .bind(
        new.sample_size
            .map(|n| to_i32(n, "sample_size"))
            .transpose()?,
    )
    .bind(new.seed.map(|s| s as i64))
    .bind(to_i32(new.concurrency, "concurrency")?)
    .bind(to_i32(new.max_attempts, "max_attempts")?)
    .bind(to_i32(new.job_timeout_secs, "job_timeout_secs")?)
    .bind(to_i32(new.instruction_version, "instruction_version")?)
    .execute(&mut *tx)
    .await
    .db()?;

    // One pass over the selected jobs: queue them and record them in the execution.
    let mut qb = QueryBuilder::<Postgres>::new(
        "WITH selected AS (UPDATE jobs SET status = 'queued', attempts = 0, execution_id = ",
    );
    qb.push_bind(id.0).push(
        ", last_error = NULL, lease_owner = NULL, lease_expires_at = NULL, \
         next_attempt_at = NULL, updated_at = now() WHERE status <> 'invalid'",
    );
    filter.push(&mut qb);
    qb.push(
        " RETURNING id) INSERT INTO execution_jobs (execution_id, job_id, status, attempts) \
         SELECT ",
    )
    .push_bind(id.0)
    .push(", id, 'queued', 0 FROM selected");
    let selected = qb.build().execute(&mut *tx).await.db()?.rows_affected();
    if selected == 0 {
        return Err(Error::validation(
            "the selection holds no runnable job (invalid jobs are never selected)",
        )
        .with_context("field", "selection"));
    }

    // Every selected job is queued now; counting them again would read them all back.
    let counts = StatusCounts {
        queued: selected,
        ..StatusCounts::default()
    };
    let execution = fetch_row(&mut tx, id).await?.into_model(counts)?;
    tx.commit().await.db()?;
    Ok(execution)
}

pub(crate) async fn get(pool: &PgPool, id: ExecutionId) -> Result<Execution> {
    let mut conn = pool.acquire().await.db()?;
    fetch(&mut conn, id).await
}

pub(crate) async fn list(
    pool: &PgPool,
    filter: ExecutionFilter,
    page: PageRequest,
) -> Result<Page<Execution>> {
    let mut qb = QueryBuilder::<Postgres>::new(format!(
        "SELECT {EXECUTION_COLUMNS} FROM executions WHERE true"
    ));
    if let Some(project) = filter.project_id {
        qb.push(" AND project_id = ").push_bind(project.0);
    }
    if let Some(batch) = filter.batch_id {
        qb.push(" AND batch_id = ").push_bind(batch.0);
    }
    if !filter.statuses.is_empty() {
        let names: Vec<&str> = filter.statuses.iter().map(|s| s.as_str()).collect();
        qb.push(" AND status = ANY(").push_bind(names).push(")");
    }
    push_id_page(&mut qb, &page)?;
    let rows: Vec<ExecutionRow> = qb.build_query_as().fetch_all(pool).await.db()?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut counts = counts_of(pool, &ids).await?;
    let executions = rows
        .into_iter()
        .map(|row| {
            let c = counts.remove(&row.id).unwrap_or_default();
            row.into_model(c)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(id_page(executions, &page, |e| e.id.0))
}

pub(crate) async fn update(
    pool: &PgPool,
    id: ExecutionId,
    update: ExecutionUpdate,
) -> Result<Execution> {
    if let Some(concurrency) = update.concurrency {
        validate_concurrency(concurrency)?;
    }
    let mut tx = pool.begin().await.db()?;
    let current: Option<String> =
        sqlx::query_scalar("SELECT status FROM executions WHERE id = $1 FOR UPDATE")
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await
            .db()?;
    let current = current.ok_or_else(|| Error::not_found("execution", id))?;
    let current = parse_stored(&current, "execution status", ExecutionStatus::parse)?;
    if !current.is_active() {
        return Err(Error::conflict(format!(
            "execution {id} is {}; a finished execution cannot change",
            current.as_str()
        ))
        .with_context("execution_id", id.to_string()));
    }

    let status = update.status.unwrap_or(current);
    let finished = !status.is_active();
    sqlx::query(
        "UPDATE executions SET status = $2, concurrency = COALESCE($3, concurrency), \
         updated_at = now(), finished_at = CASE WHEN $4 THEN now() ELSE finished_at END \
         WHERE id = $1",
    )
    .bind(id.0)
    .bind(status.as_str())
    .bind(
        update
            .concurrency
            .map(|c| to_i32(c, "concurrency"))
            .transpose()?,
    )
    .bind(finished)
    .execute(&mut *tx)
    .await
    .db()?;

    // A finished execution keeps no job waiting: queued ones are cancelled with it, so none
    // stays queued forever and blocks later executions. Running ones are left to their
    // workers, which learn of it at their next heartbeat.
    if finished {
        cancel_queued(&mut tx, id).await?;
    }

    let execution = fetch(&mut tx, id).await?;
    tx.commit().await.db()?;
    Ok(execution)
}

/// The jobs an execution takes: explicit ids (already checked) or a filter on its batch.
enum Selection {
    Ids(Vec<Uuid>),
    Filter(JobFilter),
}

impl Selection {
    fn push(&self, qb: &mut QueryBuilder<Postgres>) {
        match self {
            Selection::Ids(ids) => {
                qb.push(" AND id = ANY(").push_bind(ids.clone()).push(")");
            }
            Selection::Filter(filter) => push_filter(qb, filter),
        }
    }
}

/// Checks the batch and project, and locks the batch row. Every execution of a batch is
/// created under this lock, so no other one can queue jobs of the batch between the
/// conflict check and the update below; that makes row locks on a million selected jobs
/// (a WAL record each, right before the update rewrites them anyway) unnecessary.
async fn lock_batch(conn: &mut PgConnection, new: &NewExecution) -> Result<()> {
    let project: Option<Uuid> =
        sqlx::query_scalar("SELECT project_id FROM batches WHERE id = $1 FOR NO KEY UPDATE")
            .bind(new.batch_id.0)
            .fetch_optional(&mut *conn)
            .await
            .db()?;
    let project = project.ok_or_else(|| Error::not_found("batch", new.batch_id))?;
    if project != new.project_id.0 {
        return Err(Error::validation(format!(
            "batch {} does not belong to project {}",
            new.batch_id, new.project_id
        ))
        .with_context("field", "batch_id"));
    }
    let version: Option<i32> = sqlx::query_scalar(
        "SELECT version FROM instruction_versions WHERE project_id = $1 AND version = $2",
    )
    .bind(new.project_id.0)
    .bind(i64::from(new.instruction_version))
    .fetch_optional(&mut *conn)
    .await
    .db()?;
    if version.is_none() {
        return Err(Error::validation(format!(
            "project {} has no instruction version {}",
            new.project_id, new.instruction_version
        ))
        .with_context("field", "instruction_version"));
    }
    Ok(())
}

/// Checks explicit ids: they must exist, be in the batch, and not be empty. The rows are
/// locked so they cannot change until the execution is stored.
async fn check_ids(conn: &mut PgConnection, batch: BatchId, ids: &[Uuid]) -> Result<()> {
    if ids.is_empty() {
        return Err(
            Error::validation("the selection names no job").with_context("field", "job_ids")
        );
    }
    let rows: Vec<(Uuid, Uuid)> =
        sqlx::query_as("SELECT id, batch_id FROM jobs WHERE id = ANY($1) ORDER BY id FOR UPDATE")
            .bind(ids)
            .fetch_all(&mut *conn)
            .await
            .db()?;
    let found: HashMap<Uuid, Uuid> = rows.into_iter().collect();
    if let Some(missing) = ids.iter().find(|id| !found.contains_key(id)) {
        return Err(Error::not_found("job", missing));
    }
    if let Some((job, _)) = found.iter().find(|(_, b)| **b != batch.0) {
        return Err(
            Error::validation(format!("job {job} is not in batch {batch}"))
                .with_context("field", "job_ids")
                .with_context("job_id", job.to_string()),
        );
    }
    Ok(())
}

/// A conflict when a selected job is queued or running in another execution.
async fn refuse_active_jobs(conn: &mut PgConnection, selection: &Selection) -> Result<()> {
    let mut qb = QueryBuilder::<Postgres>::new(
        "SELECT id, execution_id FROM jobs WHERE status IN ('queued', 'running')",
    );
    selection.push(&mut qb);
    qb.push(" LIMIT 1");
    let busy: Option<(Uuid, Option<Uuid>)> =
        qb.build_query_as().fetch_optional(&mut *conn).await.db()?;
    match busy {
        None => Ok(()),
        Some((job, execution)) => {
            let mut err = Error::conflict(format!(
                "job {job} is already queued or running in an active execution"
            ))
            .with_context("job_id", job.to_string());
            if let Some(execution) = execution {
                err = err.with_context("execution_id", execution.to_string());
            }
            Err(err)
        }
    }
}

/// Cancels an execution's queued jobs, in the jobs and in the execution's own record.
async fn cancel_queued(conn: &mut PgConnection, id: ExecutionId) -> Result<()> {
    sqlx::query(
        "UPDATE jobs SET status = 'cancelled', next_attempt_at = NULL, updated_at = now() \
         WHERE execution_id = $1 AND status = 'queued'",
    )
    .bind(id.0)
    .execute(&mut *conn)
    .await
    .db()?;
    sqlx::query(
        "UPDATE execution_jobs SET status = 'cancelled' \
         WHERE execution_id = $1 AND status = 'queued'",
    )
    .bind(id.0)
    .execute(&mut *conn)
    .await
    .db()?;
    Ok(())
}

async fn fetch_row(conn: &mut PgConnection, id: ExecutionId) -> Result<ExecutionRow> {
    let sql = format!("SELECT {EXECUTION_COLUMNS} FROM executions WHERE id = $1");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await
        .db()?
        .ok_or_else(|| Error::not_found("execution", id))
}

async fn fetch(conn: &mut PgConnection, id: ExecutionId) -> Result<Execution> {
    let row = fetch_row(&mut *conn, id).await?;
    let counts = counts_of(&mut *conn, &[id.0])
        .await?
        .remove(&id.0)
        .unwrap_or_default();
    row.into_model(counts)
}

/// Job counts by status for each execution, from the execution's own record.
async fn counts_of(
    executor: impl PgExecutor<'_>,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, StatusCounts>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, String, i64)> = sqlx::query_as(
        "SELECT execution_id, status, count(*) FROM execution_jobs \
         WHERE execution_id = ANY($1) GROUP BY execution_id, status",
    )
    .bind(ids)
    .fetch_all(executor)
    .await
    .db()?;
    let mut by_execution: HashMap<Uuid, Vec<(String, i64)>> = HashMap::new();
    for (execution, status, n) in rows {
        by_execution.entry(execution).or_default().push((status, n));
    }
    by_execution
        .into_iter()
        .map(|(execution, rows)| Ok((execution, counts_from_rows(rows)?)))
        .collect()
}
