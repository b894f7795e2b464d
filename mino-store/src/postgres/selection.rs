//! Checking and queueing the jobs a new execution takes.

use std::collections::HashMap;

use mino_core::model::{BatchId, ExecutionId, JobFilter, JobSelection, NewExecution};
use mino_core::{Error, Result};
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

use super::error::DbResultExt;
use super::jobs::push_filter;

/// The jobs an execution takes: explicit ids (already checked) or a filter on its batch.
pub(crate) enum Selection {
    Ids(Vec<Uuid>),
    Filter(JobFilter),
}

impl Selection {
    /// Checks a selection for `new` and locks what it needs: explicit ids must exist and
    /// be in the batch; a filter is forced onto the execution's batch.
    pub(crate) async fn check(
        conn: &mut PgConnection,
        new: &NewExecution,
        selection: JobSelection,
    ) -> Result<Self> {
        let selection = match selection {
            JobSelection::Ids(ids) => {
                let ids: Vec<Uuid> = ids.iter().map(|id| id.0).collect();
                check_ids(&mut *conn, new.batch_id, &ids).await?;
                Selection::Ids(ids)
            }
            JobSelection::Filter(mut filter) => {
                filter.batch_id = Some(new.batch_id);
                Selection::Filter(filter)
            }
        };
        selection.refuse_active(conn).await?;
        Ok(selection)
    }

    /// Queues the selected runnable jobs for `execution` and records them in its
    /// execution_jobs, in one pass; returns how many were selected.
    pub(crate) async fn queue(
        &self,
        conn: &mut PgConnection,
        execution: ExecutionId,
    ) -> Result<u64> {
        let mut qb = QueryBuilder::<Postgres>::new(
            "WITH selected AS (UPDATE jobs SET status = 'queued', attempts = 0, execution_id = ",
        );
        qb.push_bind(execution.0).push(
            ", last_error = NULL, lease_owner = NULL, lease_expires_at = NULL, \
             next_attempt_at = NULL, updated_at = now() WHERE status <> 'invalid'",
        );
        self.push(&mut qb);
        qb.push(
            " RETURNING id) INSERT INTO execution_jobs (execution_id, job_id, status, attempts) \
             SELECT ",
        )
        .push_bind(execution.0)
        .push(", id, 'queued', 0 FROM selected");
        Ok(qb.build().execute(conn).await.db()?.rows_affected())
    }

    fn push(&self, qb: &mut QueryBuilder<Postgres>) {
        match self {
            Selection::Ids(ids) => {
                qb.push(" AND id = ANY(").push_bind(ids.clone()).push(")");
            }
            Selection::Filter(filter) => push_filter(qb, filter),
        }
    }

    /// A conflict when a selected job is queued or running in another execution.
    async fn refuse_active(&self, conn: &mut PgConnection) -> Result<()> {
        let mut qb = QueryBuilder::<Postgres>::new(
            "SELECT id, execution_id FROM jobs WHERE status IN ('queued', 'running')",
        );
        self.push(&mut qb);
        qb.push(" LIMIT 1");
        let busy: Option<(Uuid, Option<Uuid>)> =
            qb.build_query_as().fetch_optional(conn).await.db()?;
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
}

/// Checks the batch, project and instruction version, and locks the batch row. Every
/// execution of a batch is created under this lock, so no other one can queue jobs of the
/// batch between the conflict check and the queueing; that makes row locks on a million
/// selected jobs (a WAL record each, right before the update rewrites them anyway)
/// unnecessary.
pub(crate) async fn lock_batch(conn: &mut PgConnection, new: &NewExecution) -> Result<()> {
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
