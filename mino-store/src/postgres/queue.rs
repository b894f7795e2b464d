//! The engine's job queue: claims with leases, heartbeats, reclaiming the work of workers
//! that died. Finishing attempts is in `finishing.rs`.
//!
//! Claims, reclaims and stops lock the execution row, then job rows (claims and reclaims with
//! `SKIP LOCKED`). Finishing attempts locks their job rows (in id order, as heartbeats and
//! bulk updates do) and, through the counts trigger, the rows of the execution's counts that
//! hold their shards; it takes the execution's lock
//! only in the rare cases that need it (the end of the execution, a retry racing a stop), in
//! a transaction of its own after its commit. So finishes of one execution run side by side,
//! and nobody waits for a job row while holding an execution: the operations cannot
//! deadlock one another. Claims lock executions with `SKIP LOCKED` too: a claimer never
//! waits for another, it moves on to the next execution (or comes back empty-handed and polls
//! again), and while it holds an execution nobody else can start its jobs, which is what
//! keeps the concurrency limit exact across workers (a finish that has not committed yet
//! still counts as running, which errs on the safe side).

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use mino_core::model::{
    Execution, ExecutionId, ExecutionStatus, JobId, NewSession, Session, SessionError, SessionId,
    Usage,
};
use mino_core::store::{Claim, Reclaimed};
use mino_core::{Error, ErrorKind, Result};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::error::DbResultExt;
use super::executions::{
    counts_from, fetch, settle, ExecutionRow, COUNTS_OF_PARAM, EXECUTION_COLUMNS,
};
use super::jobs::{JobRow, JOB_COLUMNS};
use super::sessions::{SessionRow, SESSION_COLUMNS};

#[derive(sqlx::FromRow)]
struct ClaimedRow {
    #[sqlx(flatten)]
    job: JobRow,
    lease_expires_at: DateTime<Utc>,
    session_id: Uuid,
    session_started_at: DateTime<Utc>,
    counts_before: Vec<i64>,
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
    // The executions' status and settings are current (their rows are locked, and a row
    // changed while the statement ran is read again); their counts live in other rows and
    // may predate the lock, so they are only a hint here: each claim counts again.
    let sql = format!(
        "SELECT {EXECUTION_COLUMNS} FROM executions WHERE status = 'running' \
         ORDER BY id FOR UPDATE SKIP LOCKED"
    );
    let executions: Vec<ExecutionRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(&mut *tx)
        .await
        .db()?;

    let mut claims = Vec::new();
    let mut left = i64::from(max);
    for row in executions {
        let execution = row.into_model()?;
        let running = i64::try_from(execution.counts.running).unwrap_or(i64::MAX);
        if i64::from(execution.concurrency) <= running {
            continue;
        }
        let taken = claim_from(&mut tx, execution, worker, left, lease).await?;
        left -= taken.len() as i64;
        claims.extend(taken);
        if left == 0 {
            break;
        }
    }
    tx.commit().await.db()?;
    Ok(claims)
}

/// Starts up to `max` due jobs of one execution (locked by the caller) for `worker`, within
/// its concurrency, in one statement: the jobs, their records in the execution and a session
/// for each. The statement begins after the lock was granted, so its count of running jobs
/// includes every claim committed before: it cannot claim beyond the limit.
async fn claim_from(
    conn: &mut PgConnection,
    mut execution: Execution,
    worker: &str,
    max: i64,
    lease: i64,
) -> Result<Vec<Claim>> {
    let session_ids: Vec<Uuid> = (0..max).map(|_| SessionId::new().0).collect();
    let sql = format!(
        "WITH room AS ( \
             SELECT GREATEST(0, LEAST($4::bigint, e.concurrency - COALESCE( \
                 (SELECT sum(c.jobs_running) FROM execution_counts c \
                  WHERE c.execution_id = $1), 0)::bigint)) AS n \
             FROM executions e WHERE e.id = $1), \
         claimed AS ( \
             UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_owner = $2, \
             lease_expires_at = now() + $3 * interval '1 microsecond', next_attempt_at = NULL, \
             updated_at = now() \
             WHERE id IN (SELECT id FROM jobs WHERE execution_id = $1 AND status = 'queued' \
                          AND (next_attempt_at IS NULL OR next_attempt_at <= now()) \
                          ORDER BY id LIMIT (SELECT n FROM room) FOR UPDATE SKIP LOCKED) \
             RETURNING {JOB_COLUMNS}, lease_expires_at), \
         recorded AS ( \
             UPDATE execution_jobs SET status = 'running', attempts = attempts + 1 \
             WHERE execution_id = $1 AND job_id IN (SELECT id FROM claimed)), \
         numbered AS ( \
             SELECT c.id AS job_id, c.attempts, s.session_id \
             FROM (SELECT id, attempts, row_number() OVER (ORDER BY id) AS n FROM claimed) c \
             JOIN UNNEST($5::uuid[]) WITH ORDINALITY AS s (session_id, n) USING (n)), \
         made AS ( \
             INSERT INTO sessions (id, job_id, execution_id, attempt, worker_id, status, usage) \
             SELECT session_id, job_id, $1, attempts, $2, 'running', $6 FROM numbered \
             RETURNING id, job_id, started_at) \
         SELECT claimed.*, made.id AS session_id, made.started_at AS session_started_at, \
                {COUNTS_OF_PARAM} AS counts_before \
         FROM claimed JOIN made ON made.job_id = claimed.id ORDER BY claimed.id"
    );
    let rows: Vec<ClaimedRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(execution.id.0)
        .bind(worker)
        .bind(lease)
        .bind(max)
        .bind(&session_ids)
        .bind(Json(Usage::default()))
        .fetch_all(&mut *conn)
        .await
        .db()?;
    // The counts as the record's trigger leaves them at the end of the statement.
    if let Some(first) = rows.first() {
        execution.counts = counts_from(&first.counts_before)?;
    }
    let n = rows.len() as u64;
    execution.counts.queued = execution.counts.queued.saturating_sub(n);
    execution.counts.running += n;
    let mut claims = Vec::with_capacity(rows.len());
    for row in rows {
        let job = row.job.into_model()?;
        let session = Session::started(
            SessionId(row.session_id),
            NewSession {
                job_id: job.id,
                execution_id: Some(execution.id),
                attempt: job.attempts,
                worker_id: worker.to_owned(),
            },
            row.session_started_at,
        );
        claims.push(Claim {
            job,
            execution: execution.clone(),
            session,
            lease_expires_at: row.lease_expires_at,
        });
    }
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
    // Paused executions keep their running attempts; stopping and finished ones do not. The
    // jobs are locked in id order first, as finishes lock them, so a heartbeat and a batch of
    // finishes of the same worker cannot deadlock.
    let kept: Vec<Uuid> = sqlx::query_scalar(
        "UPDATE jobs AS j SET lease_expires_at = now() + $3 * interval '1 microsecond' \
         FROM executions AS e \
         WHERE j.id IN (SELECT id FROM jobs WHERE id = ANY($1) ORDER BY id FOR UPDATE) \
         AND j.status = 'running' AND j.lease_owner = $2 \
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
