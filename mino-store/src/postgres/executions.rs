//! Executions: creating one over a selection, reading its counts, changing its status.

use chrono::{DateTime, Utc};
use mino_core::model::{
    validate_concurrency, BatchId, Execution, ExecutionId, ExecutionMode, ExecutionStatus,
    ExecutionUpdate, JobSelection, JobStatus, NewExecution, ProjectId, StatusCounts,
};
use mino_core::store::{ExecutionFilter, Page, PageRequest};
use mino_core::{Error, Result};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use tracing::info;
use uuid::Uuid;

use super::codec::{id_page, parse_stored, push_id_page, to_i32, to_u32, to_u64};
use super::error::{corrupt, DbResultExt};
use super::selection::{lock_batch, Selection};

/// An execution's counts of jobs by status, added up from the shards of `execution_counts`
/// rows named `c`, in the order of [`JobStatus::ALL`] (checked by a test below).
macro_rules! count_sums {
    () => {
        "ARRAY[COALESCE(sum(c.jobs_pending), 0), COALESCE(sum(c.jobs_queued), 0), \
                COALESCE(sum(c.jobs_running), 0), COALESCE(sum(c.jobs_completed), 0), \
                COALESCE(sum(c.jobs_failed), 0), COALESCE(sum(c.jobs_cancelled), 0), \
                COALESCE(sum(c.jobs_invalid), 0)]::bigint[]"
    };
}

/// The columns an [`ExecutionRow`] reads: the execution's own, and its counts.
pub(crate) const EXECUTION_COLUMNS: &str = concat!(
    "id, project_id, batch_id, mode, sample_size, seed, \
     concurrency, max_attempts, job_timeout_secs, instruction_version, status, \
     created_at, updated_at, finished_at, (SELECT ",
    count_sums!(),
    " FROM execution_counts c WHERE c.execution_id = executions.id) AS counts"
);

/// The counts of the execution `$1`, as an expression.
pub(crate) const COUNTS_OF_PARAM: &str = concat!(
    "(SELECT ",
    count_sums!(),
    " FROM execution_counts c WHERE c.execution_id = $1)"
);

/// Counts read as the array of [`EXECUTION_COLUMNS`] or [`COUNTS_OF_PARAM`].
pub(crate) fn counts_from(values: &[i64]) -> Result<StatusCounts> {
    if values.len() != JobStatus::ALL.len() {
        return Err(corrupt(
            "execution counts",
            format!(
                "{} values instead of {}",
                values.len(),
                JobStatus::ALL.len()
            ),
        ));
    }
    let mut counts = StatusCounts::default();
    for (status, n) in JobStatus::ALL.into_iter().zip(values) {
        counts.add(status, to_u64(*n, "job count")?);
    }
    Ok(counts)
}

#[derive(sqlx::FromRow)]
pub(crate) struct ExecutionRow {
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
    counts: Vec<i64>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
}

impl ExecutionRow {
    pub(crate) fn into_model(self) -> Result<Execution> {
        let counts = counts_from(&self.counts)?;
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
            status: self.status()?,
            total: counts.total(),
            counts,
            created_at: self.created_at,
            updated_at: self.updated_at,
            finished_at: self.finished_at,
        })
    }

    pub(crate) fn status(&self) -> Result<ExecutionStatus> {
        parse_stored(&self.status, "execution status", ExecutionStatus::parse)
    }

    pub(crate) fn max_attempts(&self) -> i32 {
        self.max_attempts
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
    let selection = Selection::check(&mut tx, &new, selection).await?;

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

    let selected = selection.queue(&mut tx, id).await?;
    if selected == 0 {
        return Err(Error::validation(
            "the selection holds no runnable job (invalid jobs are never selected)",
        )
        .with_context("field", "selection"));
    }
    let execution = fetch(&mut tx, id, false).await?.into_model()?;
    tx.commit().await.db()?;
    info!(execution_id = %id, batch_id = %new.batch_id, jobs = selected, "execution created");
    Ok(execution)
}

pub(crate) async fn get(pool: &PgPool, id: ExecutionId) -> Result<Execution> {
    let mut conn = pool.acquire().await.db()?;
    fetch(&mut conn, id, false).await?.into_model()
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
    let executions = rows
        .into_iter()
        .map(ExecutionRow::into_model)
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
    let current = fetch(&mut tx, id, true).await?.status()?;
    if !current.is_active() {
        return Err(Error::conflict(format!(
            "execution {id} is {}; a finished execution cannot change",
            current.as_str()
        ))
        .with_context("execution_id", id.to_string())
        .with_context("status", current.as_str()));
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
    // Stopping or ending keeps no job waiting; running ones are left to their workers,
    // which learn of it at their next heartbeat.
    if finished || status == ExecutionStatus::Stopping {
        cancel_queued(&mut tx, id).await?;
    }
    let execution = settle(&mut tx, id).await?;
    tx.commit().await.db()?;
    if execution.status != current {
        info!(
            execution_id = %id,
            from = current.as_str(),
            to = execution.status.as_str(),
            "execution status changed"
        );
    }
    Ok(execution)
}

/// Reads an execution row, locking it when `lock` is set (see [`settle`] for what the lock
/// keeps out). The counts of a locked read may predate the lock (its statement's snapshot is
/// older than the lock when it had to wait, and the counts live in other rows): read them
/// again with a later statement when they matter.
pub(crate) async fn fetch(
    conn: &mut PgConnection,
    id: ExecutionId,
    lock: bool,
) -> Result<ExecutionRow> {
    let suffix = if lock { " FOR UPDATE" } else { "" };
    let sql = format!("SELECT {EXECUTION_COLUMNS} FROM executions WHERE id = $1{suffix}");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id.0)
        .fetch_optional(conn)
        .await
        .db()?
        .ok_or_else(|| Error::not_found("execution", id))
}

/// Ends an active execution (locked by the caller) that has no queued or running job left:
/// `stopped` when it was stopping, `completed` otherwise. Returns it as it is now, in one
/// round trip. The caller's lock makes the counts exact: every change that makes a job of an
/// active execution queued or running again (claims, reclaims, a retry that lands in a
/// stopping execution) takes the same lock first.
pub(crate) async fn settle(conn: &mut PgConnection, id: ExecutionId) -> Result<Execution> {
    // When nothing ends, the second branch reads the row as this transaction left it (an
    // update by this statement would be invisible to it, but then the first branch has it).
    let sql = format!(
        "WITH ended AS (UPDATE executions SET \
         status = CASE WHEN status = 'stopping' THEN 'stopped' ELSE 'completed' END, \
         finished_at = now(), updated_at = now() \
         WHERE id = $1 AND status IN ('running', 'paused', 'stopping') \
         AND (SELECT COALESCE(sum(c.jobs_queued + c.jobs_running), 0) \
              FROM execution_counts c WHERE c.execution_id = $1) = 0 \
         RETURNING {EXECUTION_COLUMNS}) \
         SELECT ended.*, true AS ended_now FROM ended \
         UNION ALL \
         SELECT {EXECUTION_COLUMNS}, false FROM executions \
         WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM ended)"
    );
    let row: Option<SettledRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await
        .db()?;
    let row = row.ok_or_else(|| Error::not_found("execution", id))?;
    let execution = row.execution.into_model()?;
    if row.ended_now {
        info!(execution_id = %id, status = execution.status.as_str(), "execution ended");
    }
    Ok(execution)
}

#[derive(sqlx::FromRow)]
struct SettledRow {
    #[sqlx(flatten)]
    execution: ExecutionRow,
    ended_now: bool,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_count_sums_follow_the_order_of_job_statuses() {
        let sql = count_sums!();
        let at: Vec<usize> = JobStatus::ALL
            .iter()
            .map(|s| {
                let column = format!("c.jobs_{}", s.as_str());
                sql.find(&column)
                    .unwrap_or_else(|| panic!("{column} missing"))
            })
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{sql}");
    }
}
