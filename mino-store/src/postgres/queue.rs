//! The engine's job queue: claims with leases, heartbeats, finishing attempts, reclaiming
//! the work of workers that died.
//!
//! Claims, reclaims and stops lock the execution row, then job rows (claims and reclaims with
//! `SKIP LOCKED`). Finishing an attempt locks its job row and, through the counts trigger,
//! the one row of the execution's counts that holds its shard; it takes the execution's lock
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
    Execution, ExecutionId, ExecutionStatus, Job, JobId, JobStatus, Session, SessionError,
    SessionId, SessionStatus, Usage,
};
use mino_core::store::{AttemptResult, Claim, FinishedAttempt, NextStep, Reclaimed};
use mino_core::{Error, ErrorKind, Result};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::codec::PairsRef;
use super::error::{corrupt, DbResultExt};
use super::executions::{
    counts_from, fetch, settle, ExecutionRow, COUNTS_OF_PARAM, EXECUTION_COLUMNS,
};
use super::jobs::{JobRow, JOB_COLUMNS};
use super::sessions::{SessionRow, SESSION_COLUMNS};

/// A finished attempt's job, and what the database set in its session.
#[derive(sqlx::FromRow)]
struct FinishedRow {
    #[sqlx(flatten)]
    job: JobRow,
    session_id: Uuid,
    session_attempt: i32,
    session_started_at: DateTime<Utc>,
    session_finished_at: Option<DateTime<Utc>>,
}

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
        let session = Session {
            id: SessionId(row.session_id),
            job_id: job.id,
            execution_id: Some(execution.id),
            attempt: job.attempts,
            worker_id: worker.to_owned(),
            status: SessionStatus::Running,
            started_at: row.session_started_at,
            finished_at: None,
            log: Vec::new(),
            extraction: None,
            error: None,
            screenshot: None,
            final_url: None,
            usage: Usage::default(),
        };
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
    let AttemptResult {
        outcome,
        next,
        evaluation,
    } = result;
    let completed = next == NextStep::Complete;
    let (next_status, retry_at) = match next {
        NextStep::Retry { at } => (JobStatus::Queued, Some(at)),
        next => (next.job_status(), None),
    };
    // One statement, so one round trip and its own transaction: it locks the job and the
    // session (nothing is written unless this worker still holds both: a reclaim that got
    // here first left the job no longer running), writes the session, the job and the job's
    // record in the execution. The execution's counts follow from the record's trigger at
    // the end of the statement, in the job's shard only. A stopping or finished execution
    // runs nothing more: a retry becomes a cancellation. That status is read without the
    // execution's lock, so a stop may slip in before this commits: see `cancel_late_retry`.
    let sql = format!(
        "WITH held AS ( \
             SELECT j.id AS job_id, j.execution_id FROM jobs j JOIN sessions s ON s.job_id = j.id \
             WHERE s.id = $1 AND s.status = 'running' AND s.worker_id = $2 \
             AND j.status = 'running' AND j.lease_owner = $2 AND j.execution_id = s.execution_id \
             FOR UPDATE OF j, s), \
         written AS ( \
             UPDATE sessions SET status = $3, finished_at = now(), log = $4, extraction = $5, \
             error = $6, screenshot = $7, final_url = $8, usage = $9 \
             WHERE id = $1 AND EXISTS (SELECT 1 FROM held) \
             RETURNING id AS session_id, attempt AS session_attempt, \
                       started_at AS session_started_at, finished_at AS session_finished_at), \
         decided AS ( \
             SELECT CASE WHEN $10 = 'queued' AND e.status NOT IN ('running', 'paused') \
                         THEN 'cancelled' ELSE $10 END AS status \
             FROM executions e JOIN held ON e.id = held.execution_id), \
         job AS ( \
             UPDATE jobs SET status = (SELECT status FROM decided), \
             lease_owner = NULL, lease_expires_at = NULL, \
             next_attempt_at = CASE WHEN (SELECT status FROM decided) = 'queued' THEN $11 END, \
             extraction = CASE WHEN $12 THEN COALESCE($5, extraction) ELSE extraction END, \
             evaluation = CASE WHEN $12 THEN $13 ELSE evaluation END, \
             last_error = CASE WHEN $12 THEN NULL ELSE COALESCE($14, last_error) END, \
             updated_at = now() WHERE id = (SELECT job_id FROM held) RETURNING {JOB_COLUMNS}), \
         recorded AS ( \
             UPDATE execution_jobs SET status = (SELECT status FROM decided) \
             WHERE (execution_id, job_id) = (SELECT execution_id, job_id FROM held)) \
         SELECT job.*, written.* FROM job, written"
    );
    let finished: Option<FinishedRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(session.0)
        .bind(worker)
        .bind(outcome.status.as_str())
        .bind(Json(&outcome.log))
        .bind(outcome.extraction.as_ref().map(|e| Json(PairsRef(e))))
        .bind(outcome.error.as_ref().map(Json))
        .bind(outcome.screenshot.map(|a| a.0))
        .bind(&outcome.final_url)
        .bind(Json(&outcome.usage))
        .bind(next_status.as_str())
        .bind(retry_at)
        .bind(completed)
        .bind(evaluation.as_ref().map(Json))
        .bind(outcome.error.as_ref().map(|e| e.message.as_str()))
        .fetch_optional(pool)
        .await
        .db()?;
    let Some(finished) = finished else {
        return Err(Error::conflict(format!(
            "worker {worker} no longer holds the job of session {session}"
        ))
        .with_context("session_id", session.to_string()));
    };
    let attempt = u32::try_from(finished.session_attempt)
        .map_err(|_| corrupt("session attempt", finished.session_attempt))?;
    let mut job = finished.job.into_model()?;
    let execution = job
        .execution_id
        .ok_or_else(|| Error::internal(format!("job {} has no execution", job.id)))?;
    let session = Session {
        id: SessionId(finished.session_id),
        job_id: job.id,
        execution_id: Some(execution),
        attempt,
        worker_id: worker.to_owned(),
        status: outcome.status,
        started_at: finished.session_started_at,
        finished_at: finished.session_finished_at,
        log: outcome.log,
        extraction: outcome.extraction,
        error: outcome.error,
        screenshot: outcome.screenshot,
        final_url: outcome.final_url,
        usage: outcome.usage,
    };

    let execution = if job.status == JobStatus::Queued {
        let (execution, cancelled) = cancel_late_retry(pool, execution, job.id).await?;
        if let Some(cancelled) = cancelled {
            job = cancelled;
        }
        execution
    } else {
        settle_if_done(pool, execution).await?
    };
    Ok(FinishedAttempt {
        job,
        execution,
        session,
    })
}

/// After a finished attempt: ends the execution when no job of it is queued or running any
/// more. The first look takes no lock; only when it finds nothing left does it take the
/// execution's lock and look again (concurrent finishes each look after their own commit, so
/// the last of them sees all of them).
async fn settle_if_done(pool: &PgPool, id: ExecutionId) -> Result<Execution> {
    let sql = format!("SELECT {EXECUTION_COLUMNS} FROM executions WHERE id = $1");
    let row: Option<ExecutionRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id.0)
        .fetch_optional(pool)
        .await
        .db()?;
    let execution = row
        .ok_or_else(|| Error::not_found("execution", id))?
        .into_model()?;
    if !execution.status.is_active() || execution.counts.queued + execution.counts.running > 0 {
        return Ok(execution);
    }
    let mut tx = pool.begin().await.db()?;
    fetch(&mut tx, id, true).await?;
    let execution = settle(&mut tx, id).await?;
    tx.commit().await.db()?;
    Ok(execution)
}

/// A retry queued while a stop was under way: the stop cancelled the execution's queued jobs
/// before this one was queued, and nothing would ever claim it. Under the execution's lock
/// (so that a stop in progress has committed), such a job is cancelled and the execution
/// settled. Returns the execution, and the job when it was cancelled.
async fn cancel_late_retry(
    pool: &PgPool,
    id: ExecutionId,
    job: JobId,
) -> Result<(Execution, Option<Job>)> {
    let mut tx = pool.begin().await.db()?;
    let status = fetch(&mut tx, id, true).await?.status()?;
    if matches!(status, ExecutionStatus::Running | ExecutionStatus::Paused) {
        let execution = fetch(&mut tx, id, false).await?.into_model()?;
        tx.commit().await.db()?;
        return Ok((execution, None));
    }
    let sql = format!(
        "WITH job AS (UPDATE jobs SET status = 'cancelled', next_attempt_at = NULL, \
                      updated_at = now() WHERE id = $1 AND status = 'queued' \
                      RETURNING {JOB_COLUMNS}), \
         recorded AS (UPDATE execution_jobs SET status = 'cancelled' \
                      WHERE execution_id = $2 AND job_id = $1 AND status = 'queued') \
         SELECT * FROM job"
    );
    let cancelled: Option<JobRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(job.0)
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await
        .db()?;
    let execution = settle(&mut tx, id).await?;
    tx.commit().await.db()?;
    Ok((execution, cancelled.map(JobRow::into_model).transpose()?))
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
