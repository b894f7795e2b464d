//! How attempts finish: their results are written in batches, one statement per batch.
//!
//! Attempts of a busy worker finish a few at a time. Each finish writes a session, a job, the
//! job's record in its execution and, through the counts trigger, a shard of the execution's
//! counts; as one statement per attempt the server spends most of that time starting up the
//! statement and its trigger. So finishes queue for a few batch runners, and every finish that
//! queued while the runners were busy goes into the next statement. A batch that fails is
//! split into single finishes, so one bad result (a screenshot that is not stored, say) cannot
//! lose the others.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use mino_core::model::{
    Execution, ExecutionId, ExecutionStatus, Job, JobId, JobStatus, NewSession, Session, SessionId,
    SessionStatus,
};
use mino_core::store::{AttemptResult, FinishedAttempt, NextStep};
use mino_core::{Error, Result};
use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot, Semaphore};
use tracing::debug;
use uuid::Uuid;

use super::codec::PairsRef;
use super::error::{corrupt, DbResultExt};
use super::executions::{fetch, settle, ExecutionRow, EXECUTION_COLUMNS};
use super::jobs::{JobRow, JOB_COLUMNS};

/// The most finishes in one statement.
const MAX_BATCH: usize = 64;
/// Batches written at once: more than one, so the server's cores share the work.
const RUNNERS: usize = 4;

/// One attempt's result on its way to the database.
struct Pending {
    worker: String,
    session: SessionId,
    result: AttemptResult,
    reply: oneshot::Sender<Result<FinishedAttempt>>,
}

/// The queue in front of the batch runners. Dropping every clone ends them once the queue is
/// empty.
#[derive(Debug, Clone)]
pub(crate) struct Finisher {
    queue: mpsc::UnboundedSender<Pending>,
}

impl Finisher {
    /// Starts the dispatcher on the current Tokio runtime.
    pub(crate) fn spawn(pool: PgPool) -> Self {
        let (queue, rx) = mpsc::unbounded_channel();
        tokio::spawn(dispatch(pool, rx));
        Finisher { queue }
    }

    /// Records the result of an attempt, if `worker` still holds its job under `session`.
    pub(crate) async fn finish(
        &self,
        worker: &str,
        session: SessionId,
        result: AttemptResult,
    ) -> Result<FinishedAttempt> {
        if result.outcome.status == SessionStatus::Running {
            return Err(Error::validation("an attempt cannot finish as running")
                .with_context("field", "status"));
        }
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Pending {
                worker: worker.to_owned(),
                session,
                result,
                reply,
            })
            .map_err(|_| Error::internal("the Postgres finisher has stopped"))?;
        answer
            .await
            .map_err(|_| Error::internal("the Postgres finisher dropped an attempt's result"))?
    }
}

/// Takes queued finishes in batches and hands each batch to a runner, at most [`RUNNERS`] at
/// a time; what queues meanwhile forms the next batch.
async fn dispatch(pool: PgPool, mut rx: mpsc::UnboundedReceiver<Pending>) {
    let runners = Arc::new(Semaphore::new(RUNNERS));
    while let Some(first) = rx.recv().await {
        let Ok(permit) = runners.clone().acquire_owned().await else {
            return;
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let pool = pool.clone();
        tokio::spawn(async move {
            run(&pool, batch).await;
            drop(permit);
        });
    }
}

/// Writes one batch and answers its callers; a failed batch of several is written again one
/// finish at a time.
async fn run(pool: &PgPool, batch: Vec<Pending>) {
    let items: Vec<(&str, SessionId, &AttemptResult)> = batch
        .iter()
        .map(|p| (p.worker.as_str(), p.session, &p.result))
        .collect();
    match write(pool, &items).await {
        Ok(rows) => answer(pool, batch, rows).await,
        Err(err) if batch.len() == 1 => {
            if let Some(pending) = batch.into_iter().next() {
                let _ = pending.reply.send(Err(err));
            }
        }
        Err(err) => {
            debug!(error = ?err, finishes = batch.len(), "a batch of finishes failed; writing them one by one");
            for pending in batch {
                let single = [(pending.worker.as_str(), pending.session, &pending.result)];
                match write(pool, &single).await {
                    Ok(rows) => answer(pool, vec![pending], rows).await,
                    Err(err) => {
                        let _ = pending.reply.send(Err(err));
                    }
                }
            }
        }
    }
}

/// A finished attempt's job, and what the database set in its session.
#[derive(sqlx::FromRow)]
struct FinishedRow {
    #[sqlx(flatten)]
    job: JobRow,
    finished_session: Uuid,
    session_attempt: i32,
    session_started_at: DateTime<Utc>,
    session_finished_at: DateTime<Utc>,
}

/// The finishes of one batch in one statement, and so in one transaction: it locks each job
/// and session (in job order, as every statement that locks several jobs does), writes
/// nothing for a finish whose worker no longer holds both (a reclaim that got there first
/// left the job no longer running), and writes the others' sessions, jobs and the jobs'
/// records in their executions. The executions' counts follow from the records' trigger at
/// the end of the statement, in the jobs' shards only. A stopping or finished execution runs
/// nothing more: a retry there becomes a cancellation. That status is read without the
/// execution's lock, so a stop may slip in before this commits: see [`cancel_late_retry`].
async fn write(
    pool: &PgPool,
    items: &[(&str, SessionId, &AttemptResult)],
) -> Result<Vec<FinishedRow>> {
    let n = items.len();
    let mut sessions = Vec::with_capacity(n);
    let mut workers = Vec::with_capacity(n);
    let mut statuses = Vec::with_capacity(n);
    let mut logs = Vec::with_capacity(n);
    let mut extractions = Vec::with_capacity(n);
    let mut errors = Vec::with_capacity(n);
    let mut screenshots = Vec::with_capacity(n);
    let mut final_urls = Vec::with_capacity(n);
    let mut usages = Vec::with_capacity(n);
    let mut nexts = Vec::with_capacity(n);
    let mut retry_ats = Vec::with_capacity(n);
    let mut completes = Vec::with_capacity(n);
    let mut evaluations = Vec::with_capacity(n);
    let mut messages = Vec::with_capacity(n);
    for (worker, session, result) in items {
        let outcome = &result.outcome;
        let (next, retry_at) = match result.next {
            NextStep::Retry { at } => (JobStatus::Queued, Some(at)),
            next => (next.job_status(), None),
        };
        sessions.push(session.0);
        workers.push(*worker);
        statuses.push(outcome.status.as_str());
        logs.push(serde_json::to_string(&outcome.log)?);
        extractions.push(
            outcome
                .extraction
                .as_ref()
                .map(|e| serde_json::to_string(&PairsRef(e)))
                .transpose()?,
        );
        errors.push(
            outcome
                .error
                .as_ref()
                .map(serde_json::to_string)
                .transpose()?,
        );
        screenshots.push(outcome.screenshot.map(|a| a.0));
        final_urls.push(outcome.final_url.as_deref());
        usages.push(serde_json::to_string(&outcome.usage)?);
        nexts.push(next.as_str());
        retry_ats.push(retry_at);
        completes.push(result.next == NextStep::Complete);
        evaluations.push(
            result
                .evaluation
                .as_ref()
                .map(serde_json::to_string)
                .transpose()?,
        );
        messages.push(outcome.error.as_ref().map(|e| e.message.as_str()));
    }
    let sql = format!(
        "WITH input AS ( \
             SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], \
                                  $6::text[], $7::uuid[], $8::text[], $9::text[], $10::text[], \
                                  $11::timestamptz[], $12::boolean[], $13::text[], $14::text[]) \
             AS i (in_session, in_worker, in_status, in_log, in_extraction, in_error, \
                   in_screenshot, in_final_url, in_usage, in_next, in_retry_at, in_completed, \
                   in_evaluation, in_message)), \
         held AS ( \
             SELECT input.*, j.id AS held_job, j.execution_id AS held_execution \
             FROM input JOIN sessions s ON s.id = input.in_session JOIN jobs j ON j.id = s.job_id \
             WHERE s.status = 'running' AND s.worker_id = input.in_worker \
             AND j.status = 'running' AND j.lease_owner = input.in_worker \
             AND j.execution_id = s.execution_id \
             ORDER BY j.id FOR UPDATE OF j, s), \
         written AS ( \
             UPDATE sessions SET status = held.in_status, finished_at = now(), \
             log = held.in_log::jsonb, extraction = held.in_extraction::jsonb, \
             error = held.in_error::jsonb, screenshot = held.in_screenshot, \
             final_url = held.in_final_url, usage = held.in_usage::jsonb \
             FROM held WHERE sessions.id = held.in_session \
             RETURNING sessions.id AS written_session, sessions.attempt AS session_attempt, \
                       sessions.started_at AS session_started_at, \
                       sessions.finished_at AS session_finished_at), \
         decided AS ( \
             SELECT held.*, CASE WHEN held.in_next = 'queued' \
                                 AND e.status NOT IN ('running', 'paused') \
                            THEN 'cancelled' ELSE held.in_next END AS in_decided \
             FROM held JOIN executions e ON e.id = held.held_execution), \
         job AS ( \
             UPDATE jobs SET status = decided.in_decided, \
             lease_owner = NULL, lease_expires_at = NULL, \
             next_attempt_at = CASE WHEN decided.in_decided = 'queued' \
                                    THEN decided.in_retry_at END, \
             extraction = CASE WHEN decided.in_completed \
                               THEN COALESCE(decided.in_extraction::jsonb, extraction) \
                               ELSE extraction END, \
             evaluation = CASE WHEN decided.in_completed THEN decided.in_evaluation::jsonb \
                               ELSE evaluation END, \
             last_error = CASE WHEN decided.in_completed THEN NULL \
                               ELSE COALESCE(decided.in_message, last_error) END, \
             updated_at = now() \
             FROM decided WHERE jobs.id = decided.held_job \
             RETURNING {JOB_COLUMNS}, decided.in_session AS finished_session), \
         recorded AS ( \
             UPDATE execution_jobs SET status = decided.in_decided FROM decided \
             WHERE execution_jobs.execution_id = decided.held_execution \
             AND execution_jobs.job_id = decided.held_job) \
         SELECT job.*, written.session_attempt, written.session_started_at, \
                written.session_finished_at \
         FROM job JOIN written ON written.written_session = job.finished_session"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(&sessions)
        .bind(&workers)
        .bind(&statuses)
        .bind(&logs)
        .bind(&extractions)
        .bind(&errors)
        .bind(&screenshots)
        .bind(&final_urls)
        .bind(&usages)
        .bind(&nexts)
        .bind(&retry_ats)
        .bind(&completes)
        .bind(&evaluations)
        .bind(&messages)
        .fetch_all(pool)
        .await
        .db()
}

/// Answers every caller of a written batch: its finished attempt, or a conflict when its
/// worker no longer held the job. Each execution of the batch is then looked at once.
async fn answer(pool: &PgPool, batch: Vec<Pending>, rows: Vec<FinishedRow>) {
    let mut rows: HashMap<Uuid, FinishedRow> =
        rows.into_iter().map(|r| (r.finished_session, r)).collect();
    let mut executions: HashMap<ExecutionId, Execution> = HashMap::new();
    for pending in batch {
        let Pending {
            worker,
            session,
            result,
            reply,
        } = pending;
        let Some(row) = rows.remove(&session.0) else {
            let _ = reply.send(Err(Error::conflict(format!(
                "worker {worker} no longer holds the job of session {session}"
            ))
            .with_context("session_id", session.to_string())));
            continue;
        };
        let finished = finished_attempt(pool, &mut executions, &worker, row, result).await;
        let _ = reply.send(finished);
    }
}

async fn finished_attempt(
    pool: &PgPool,
    executions: &mut HashMap<ExecutionId, Execution>,
    worker: &str,
    row: FinishedRow,
    result: AttemptResult,
) -> Result<FinishedAttempt> {
    let attempt = u32::try_from(row.session_attempt)
        .map_err(|_| corrupt("session attempt", row.session_attempt))?;
    let mut job = row.job.into_model()?;
    let execution_id = job
        .execution_id
        .ok_or_else(|| Error::internal(format!("job {} has no execution", job.id)))?;
    let mut session = Session::started(
        SessionId(row.finished_session),
        NewSession {
            job_id: job.id,
            execution_id: Some(execution_id),
            attempt,
            worker_id: worker.to_owned(),
        },
        row.session_started_at,
    );
    session.finish(result.outcome, row.session_finished_at);
    let execution = if job.status == JobStatus::Queued {
        let (execution, cancelled) = cancel_late_retry(pool, execution_id, job.id).await?;
        if let Some(cancelled) = cancelled {
            job = cancelled;
        }
        executions.remove(&execution_id);
        execution
    } else {
        match executions.get(&execution_id) {
            Some(execution) => execution.clone(),
            None => {
                let execution = settle_if_done(pool, execution_id).await?;
                executions.insert(execution_id, execution.clone());
                execution
            }
        }
    };
    Ok(FinishedAttempt {
        job,
        execution,
        session,
    })
}

/// After finished attempts: ends the execution when no job of it is queued or running any
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
