//! The engine's job queue: claims with leases, heartbeats, finishing attempts, reclaiming
//! the work of workers that died.
//!
//! Locks are always taken in the same order — the execution row, then job rows — so the
//! operations cannot deadlock one another. Claims lock executions with `SKIP LOCKED`: a
//! claimer never waits for another, it moves on to the next execution (or comes back
//! empty-handed and polls again), and while it holds an execution nobody else can start
//! its jobs, which is what keeps the concurrency limit exact across workers.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use mino_core::model::{
    ExecutionId, ExecutionStatus, JobId, SessionError, SessionId, SessionStatus, Usage,
};
use mino_core::store::{AttemptResult, Claim, FinishedAttempt, NextStep, Reclaimed};
use mino_core::{Error, ErrorKind, Result};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::codec::{to_i32, PairsRef};
use super::error::DbResultExt;
use super::executions::{fetch, settle};
use super::jobs::{JobRow, JOB_COLUMNS};
use super::sessions::{write_outcome, SessionRow, SESSION_COLUMNS};

#[derive(sqlx::FromRow)]
struct ClaimedRow {
    #[sqlx(flatten)]
    job: JobRow,
    lease_expires_at: DateTime<Utc>,
}

pub(crate) async fn claim(
    pool: &PgPool,
    worker: &str,
    max: u32,
    lease: Duration,
) -> Result<Vec<Claim>> {
    check_worker(worker)?;
    if max == 0 {
        return Ok(Vec::new());
    }
    let lease = lease_micros(lease)?;
    let mut tx = pool.begin().await.db()?;
    let executions: Vec<(Uuid, i32, i64)> = sqlx::query_as(
        "SELECT id, concurrency, jobs_running FROM executions WHERE status = 'running' \
         ORDER BY id FOR UPDATE SKIP LOCKED",
    )
    .fetch_all(&mut *tx)
    .await
    .db()?;

    let mut claims = Vec::new();
    let mut left = i64::from(max);
    for (execution, concurrency, running) in executions {
        let take = left.min(i64::from(concurrency) - running);
        if take <= 0 {
            continue;
        }
        let taken = claim_from(&mut tx, ExecutionId(execution), worker, take, lease).await?;
        left -= taken.len() as i64;
        claims.extend(taken);
        if left == 0 {
            break;
        }
    }
    tx.commit().await.db()?;
    Ok(claims)
}

/// Starts up to `take` due jobs of one execution (locked by the caller) for `worker`.
async fn claim_from(
    conn: &mut PgConnection,
    execution: ExecutionId,
    worker: &str,
    take: i64,
    lease: i64,
) -> Result<Vec<Claim>> {
    let sql = format!(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_owner = $2, \
         lease_expires_at = now() + $3 * interval '1 microsecond', next_attempt_at = NULL, \
         updated_at = now() \
         WHERE id IN (SELECT id FROM jobs WHERE execution_id = $1 AND status = 'queued' \
                      AND (next_attempt_at IS NULL OR next_attempt_at <= now()) \
                      ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED) \
         RETURNING {JOB_COLUMNS}, lease_expires_at"
    );
    let mut rows: Vec<ClaimedRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(execution.0)
        .bind(worker)
        .bind(lease)
        .bind(take)
        .fetch_all(&mut *conn)
        .await
        .db()?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut jobs = Vec::with_capacity(rows.len());
    let mut leases = Vec::with_capacity(rows.len());
    for row in rows.drain(..) {
        leases.push(row.lease_expires_at);
        jobs.push(row.job.into_model()?);
    }
    let ids: Vec<Uuid> = jobs.iter().map(|j| j.id.0).collect();
    sqlx::query(
        "UPDATE execution_jobs SET status = 'running', attempts = attempts + 1 \
         WHERE execution_id = $1 AND job_id = ANY($2)",
    )
    .bind(execution.0)
    .bind(&ids)
    .execute(&mut *conn)
    .await
    .db()?;

    let session_ids: Vec<Uuid> = jobs.iter().map(|_| SessionId::new().0).collect();
    let attempts = jobs
        .iter()
        .map(|j| to_i32(j.attempts, "attempts"))
        .collect::<Result<Vec<_>>>()?;
    let sql = format!(
        "INSERT INTO sessions (id, job_id, execution_id, attempt, worker_id, status, usage) \
         SELECT s.id, s.job_id, $1, s.attempt, $2, 'running', $3 \
         FROM UNNEST($4::uuid[], $5::uuid[], $6::integer[]) AS s (id, job_id, attempt) \
         RETURNING {SESSION_COLUMNS}"
    );
    let sessions: Vec<SessionRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(execution.0)
        .bind(worker)
        .bind(Json(Usage::default()))
        .bind(&session_ids)
        .bind(&ids)
        .bind(&attempts)
        .fetch_all(&mut *conn)
        .await
        .db()?;
    let mut sessions = sessions
        .into_iter()
        .map(SessionRow::into_model)
        .collect::<Result<Vec<_>>>()?;

    let execution = fetch(conn, execution, false).await?.into_model()?;
    let mut claims = Vec::with_capacity(jobs.len());
    for (job, lease_expires_at) in jobs.into_iter().zip(leases) {
        let at = sessions
            .iter()
            .position(|s| s.job_id == job.id)
            .ok_or_else(|| Error::internal(format!("no session was made for job {}", job.id)))?;
        claims.push(Claim {
            session: sessions.swap_remove(at),
            job,
            execution: execution.clone(),
            lease_expires_at,
        });
    }
    claims.sort_by_key(|c| c.job.id);
    Ok(claims)
}

pub(crate) async fn heartbeat(
    pool: &PgPool,
    worker: &str,
    jobs: &[JobId],
    lease: Duration,
) -> Result<Vec<JobId>> {
    check_worker(worker)?;
    if jobs.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = jobs.iter().map(|j| j.0).collect();
    // Paused executions keep their running attempts; stopping and finished ones do not.
    let kept: Vec<Uuid> = sqlx::query_scalar(
        "UPDATE jobs AS j SET lease_expires_at = now() + $3 * interval '1 microsecond' \
         FROM executions AS e \
         WHERE j.id = ANY($1) AND j.status = 'running' AND j.lease_owner = $2 \
         AND e.id = j.execution_id AND e.status IN ('running', 'paused') \
         RETURNING j.id",
    )
    .bind(&ids)
    .bind(worker)
    .bind(lease_micros(lease)?)
    .fetch_all(pool)
    .await
    .db()?;
    let kept: HashSet<Uuid> = kept.into_iter().collect();
    let mut seen = HashSet::new();
    Ok(jobs
        .iter()
        .filter(|j| !kept.contains(&j.0) && seen.insert(j.0))
        .copied()
        .collect())
}

pub(crate) async fn finish(
    pool: &PgPool,
    worker: &str,
    session: SessionId,
    result: AttemptResult,
) -> Result<FinishedAttempt> {
    if result.outcome.status == SessionStatus::Running {
        return Err(Error::validation("an attempt cannot finish as running")
            .with_context("field", "status"));
    }
    let mut tx = pool.begin().await.db()?;
    let attempt: Option<(Uuid, Option<Uuid>)> =
        sqlx::query_as("SELECT job_id, execution_id FROM sessions WHERE id = $1")
            .bind(session.0)
            .fetch_optional(&mut *tx)
            .await
            .db()?;
    let (job_id, execution_id) = attempt.ok_or_else(|| Error::not_found("session", session))?;
    let lost = || {
        Error::conflict(format!(
            "worker {worker} no longer holds the job of session {session}"
        ))
        .with_context("session_id", session.to_string())
    };
    let execution = ExecutionId(execution_id.ok_or_else(lost)?);
    // Lock order: execution, job, session — as in claims and reclaims. The session is read
    // again under the locks: a reclaim may have marked it lost since the first read.
    let status = fetch(&mut tx, execution, true).await?.status()?;
    let held: Option<i32> = sqlx::query_scalar(
        "SELECT 1 FROM jobs WHERE id = $1 AND status = 'running' AND lease_owner = $2 \
         AND execution_id = $3 FOR UPDATE",
    )
    .bind(job_id)
    .bind(worker)
    .bind(execution.0)
    .fetch_optional(&mut *tx)
    .await
    .db()?;
    let current: Option<i32> = sqlx::query_scalar(
        "SELECT 1 FROM sessions WHERE id = $1 AND status = 'running' AND worker_id = $2 \
         FOR UPDATE",
    )
    .bind(session.0)
    .bind(worker)
    .fetch_optional(&mut *tx)
    .await
    .db()?;
    if held.is_none() || current.is_none() {
        return Err(lost());
    }

    let session = write_outcome(&mut tx, session, &result.outcome).await?;
    // A stopping or finished execution runs nothing more: a retry becomes a cancellation.
    let next = match result.next {
        NextStep::Retry { .. }
            if status != ExecutionStatus::Running && status != ExecutionStatus::Paused =>
        {
            NextStep::Cancel
        }
        next => next,
    };
    let completed = next == NextStep::Complete;
    let retry_at = match next {
        NextStep::Retry { at } => Some(at),
        _ => None,
    };
    let sql = format!(
        "UPDATE jobs SET status = $2, lease_owner = NULL, lease_expires_at = NULL, \
         next_attempt_at = $3, \
         extraction = CASE WHEN $4 THEN COALESCE($5, extraction) ELSE extraction END, \
         evaluation = CASE WHEN $4 THEN $6 ELSE evaluation END, \
         last_error = CASE WHEN $4 THEN NULL ELSE COALESCE($7, last_error) END, \
         updated_at = now() WHERE id = $1 RETURNING {JOB_COLUMNS}"
    );
    let job: JobRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(job_id)
        .bind(next.job_status().as_str())
        .bind(retry_at)
        .bind(completed)
        .bind(
            result
                .outcome
                .extraction
                .as_ref()
                .map(|e| Json(PairsRef(e))),
        )
        .bind(result.evaluation.as_ref().map(Json))
        .bind(result.outcome.error.as_ref().map(|e| e.message.as_str()))
        .fetch_one(&mut *tx)
        .await
        .db()?;
    set_execution_status(&mut tx, execution, job_id, next.job_status().as_str()).await?;
    let execution = settle(&mut tx, execution).await?;
    tx.commit().await.db()?;
    Ok(FinishedAttempt {
        job: job.into_model()?,
        execution,
        session,
    })
}

pub(crate) async fn reclaim(pool: &PgPool) -> Result<Vec<Reclaimed>> {
    let executions: Vec<Uuid> = sqlx::query_scalar(
        "SELECT DISTINCT execution_id FROM jobs \
         WHERE status = 'running' AND lease_expires_at < now() AND execution_id IS NOT NULL \
         ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .db()?;
    let mut reclaimed = Vec::new();
    // One transaction per execution keeps each short and its locks few.
    for execution in executions {
        let mut tx = pool.begin().await.db()?;
        reclaimed.extend(reclaim_in(&mut tx, ExecutionId(execution)).await?);
        tx.commit().await.db()?;
    }
    Ok(reclaimed)
}

async fn reclaim_in(conn: &mut PgConnection, execution: ExecutionId) -> Result<Vec<Reclaimed>> {
    let row = fetch(conn, execution, true).await?;
    let ended = !matches!(
        row.status()?,
        ExecutionStatus::Running | ExecutionStatus::Paused
    );
    let expired: Vec<(Uuid, i32, Option<String>)> = sqlx::query_as(
        "SELECT id, attempts, lease_owner FROM jobs WHERE execution_id = $1 \
         AND status = 'running' AND lease_expires_at < now() ORDER BY id FOR UPDATE SKIP LOCKED",
    )
    .bind(execution.0)
    .fetch_all(&mut *conn)
    .await
    .db()?;

    let mut reclaimed = Vec::with_capacity(expired.len());
    for (job, attempts, owner) in expired {
        let worker_id = owner.unwrap_or_default();
        let message = format!("worker {worker_id:?} stopped heartbeating and its lease expired");
        let error = SessionError {
            kind: ErrorKind::Timeout,
            message: message.clone(),
            transient: true,
        };
        let sql = format!(
            "UPDATE sessions SET status = 'lost', finished_at = now(), error = $2 \
             WHERE job_id = $1 AND status = 'running' RETURNING {SESSION_COLUMNS}"
        );
        let sessions: Vec<SessionRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(job)
            .bind(Json(&error))
            .fetch_all(&mut *conn)
            .await
            .db()?;
        let status = if ended {
            "cancelled"
        } else if attempts >= row.max_attempts() {
            "failed"
        } else {
            "queued"
        };
        let sql = format!(
            "UPDATE jobs SET status = $2, lease_owner = NULL, lease_expires_at = NULL, \
             next_attempt_at = NULL, last_error = $3, updated_at = now() \
             WHERE id = $1 RETURNING {JOB_COLUMNS}"
        );
        let job_row: JobRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(job)
            .bind(status)
            .bind(&message)
            .fetch_one(&mut *conn)
            .await
            .db()?;
        set_execution_status(conn, execution, job, status).await?;
        let job = job_row.into_model()?;
        for session in sessions {
            reclaimed.push(Reclaimed {
                job: job.clone(),
                session: session.into_model()?,
                worker_id: worker_id.clone(),
            });
        }
    }
    settle(conn, execution).await?;
    Ok(reclaimed)
}

/// Records a job's new status in its execution's own record.
async fn set_execution_status(
    conn: &mut PgConnection,
    execution: ExecutionId,
    job: Uuid,
    status: &str,
) -> Result<()> {
    sqlx::query("UPDATE execution_jobs SET status = $3 WHERE execution_id = $1 AND job_id = $2")
        .bind(execution.0)
        .bind(job)
        .bind(status)
        .execute(conn)
        .await
        .db()?;
    Ok(())
}

fn check_worker(worker: &str) -> Result<()> {
    if worker.trim().is_empty() {
        return Err(
            Error::validation("worker id must not be empty").with_context("field", "worker")
        );
    }
    Ok(())
}

/// A lease as whole microseconds (what Postgres intervals hold).
fn lease_micros(lease: Duration) -> Result<i64> {
    i64::try_from(lease.as_micros())
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            Error::validation("lease must be between 1 µs and 292,000 years")
                .with_context("field", "lease")
        })
}
