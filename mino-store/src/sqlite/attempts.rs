//! How attempts end: finished by their worker, or reclaimed after their lease ran out.

use rusqlite::{Connection, OptionalExtension};

use super::error::SqlResultExt;
use super::queue::{settle_job, EXPIRED};
use super::row::{micros, now, opt_json, opt_uuid_at, uuid_at};
use super::{executions, jobs, sessions};
use mino_core::model::{
    ExecutionId, ExecutionStatus, JobId, JobStatus, SessionError, SessionId, SessionOutcome,
    SessionStatus, Usage,
};
use mino_core::store::{AttemptResult, FinishedAttempt, NextStep, Reclaimed};
use mino_core::{Error, ErrorKind, Result};

/// Who holds a job now, to check that a session still owns it.
struct Holder {
    status: String,
    owner: Option<String>,
    attempts: i64,
    execution: Option<ExecutionId>,
}

fn holder(conn: &Connection, job: JobId) -> Result<Option<Holder>> {
    conn.prepare_cached(
        "SELECT status, lease_owner, attempts, execution_id FROM jobs WHERE id = ?1",
    )
    .and_then(|mut stmt| {
        stmt.query_row([job.0.as_bytes()], |r| {
            Ok(Holder {
                status: r.get(0)?,
                owner: r.get(1)?,
                attempts: r.get(2)?,
                execution: opt_uuid_at(r, 3)?.map(ExecutionId),
            })
        })
        .optional()
    })
    .db("read a job's holder")
}

/// A running job whose lease ran out.
struct Expired {
    job: JobId,
    owner: Option<String>,
    attempts: i64,
    execution: Option<ExecutionId>,
}

fn execution_status(conn: &Connection, id: ExecutionId) -> Result<ExecutionStatus> {
    let status: String = conn
        .prepare_cached("SELECT status FROM executions WHERE id = ?1")
        .and_then(|mut stmt| stmt.query_row([id.0.as_bytes()], |r| r.get(0)))
        .db("read an execution's status")?;
    ExecutionStatus::parse(&status)
}

/// Records the result of an attempt, if `worker` still holds its job under `session`.
///
/// A retry asked for while the execution is stopping or finished cancels the job instead:
/// nothing would ever claim it again.
pub(crate) fn finish(
    conn: &Connection,
    worker: &str,
    session_id: SessionId,
    result: AttemptResult,
) -> Result<FinishedAttempt> {
    if result.outcome.status == SessionStatus::Running {
        return Err(Error::validation("an attempt cannot finish as running")
            .with_context("field", "outcome.status"));
    }
    let session = sessions::get(conn, session_id)?;
    let job = session.job_id;
    let held = holder(conn, job)?.is_some_and(|h| {
        h.status == JobStatus::Running.as_str()
            && h.owner.as_deref() == Some(worker)
            && h.attempts == i64::from(session.attempt)
            && h.execution == session.execution_id
    });
    let execution = match session.execution_id {
        Some(execution)
            if held && session.status == SessionStatus::Running && session.worker_id == worker =>
        {
            execution
        }
        _ => {
            return Err(Error::conflict(format!(
                "worker {worker:?} no longer holds job {job} under session {session_id}"
            ))
            .with_context("job_id", job.to_string())
            .with_context("session_id", session_id.to_string()))
        }
    };
    let at = micros(now());
    let mut next = result.next;
    let active = matches!(
        execution_status(conn, execution)?,
        ExecutionStatus::Running | ExecutionStatus::Paused
    );
    if matches!(next, NextStep::Retry { .. }) && !active {
        next = NextStep::Cancel;
    }
    let error = result.outcome.error.as_ref().map(|e| e.message.clone());
    let extraction = opt_json(result.outcome.extraction.as_ref())?;
    let session = sessions::finish(conn, session_id, result.outcome)?;
    let status = next.job_status();
    settle_job(conn, job, execution, status, error.as_deref(), at)?;
    match next {
        NextStep::Complete => {
            let accuracy = result
                .evaluation
                .as_ref()
                .and_then(|e| e.accuracy)
                .map(|a| a.as_str());
            let evaluation = opt_json(result.evaluation.as_ref())?;
            conn.prepare_cached(
                "UPDATE jobs SET extraction = ?2, evaluation = ?3, accuracy = ?4 WHERE id = ?1",
            )
            .and_then(|mut stmt| stmt.execute((job.0.as_bytes(), extraction, evaluation, accuracy)))
            .db("store an extraction")?;
        }
        NextStep::Retry { at: when } => {
            conn.prepare_cached("UPDATE jobs SET next_attempt_at = ?2 WHERE id = ?1")
                .and_then(|mut stmt| stmt.execute((job.0.as_bytes(), micros(when))))
                .db("schedule a retry")?;
        }
        NextStep::Fail | NextStep::Cancel => {}
    }
    executions::end_if_done(conn, execution, at)?;
    Ok(FinishedAttempt {
        job: jobs::get(conn, job)?,
        execution: executions::get(conn, execution)?,
        session,
    })
}

/// Closes every attempt whose lease has run out and moves its job on.
pub(crate) fn reclaim_expired(conn: &Connection) -> Result<Vec<Reclaimed>> {
    let at = micros(now());
    let expired: Vec<Expired> = conn
        .prepare_cached(EXPIRED)
        .and_then(|mut stmt| {
            stmt.query_map([at], |r| {
                Ok(Expired {
                    job: JobId(uuid_at(r, 0)?),
                    owner: r.get(1)?,
                    attempts: r.get(2)?,
                    execution: opt_uuid_at(r, 3)?.map(ExecutionId),
                })
            })?
            .collect()
        })
        .db("find expired leases")?;
    let mut reclaimed = Vec::with_capacity(expired.len());
    let mut touched: Vec<ExecutionId> = Vec::new();
    for Expired {
        job,
        owner,
        attempts,
        execution,
    } in expired
    {
        let worker = owner.unwrap_or_default();
        let message = format!("worker {worker:?} stopped heartbeating; its lease expired");
        let Some(execution) = execution else {
            // A running job outside any execution cannot be retried by anyone.
            settle_job_alone(conn, job, &message, at)?;
            continue;
        };
        let (status, max_attempts): (String, i64) = conn
            .prepare_cached("SELECT status, max_attempts FROM executions WHERE id = ?1")
            .and_then(|mut stmt| {
                stmt.query_row([execution.0.as_bytes()], |r| Ok((r.get(0)?, r.get(1)?)))
            })
            .db("read an execution's limits")?;
        let next = match ExecutionStatus::parse(&status)? {
            ExecutionStatus::Running | ExecutionStatus::Paused if attempts < max_attempts => {
                JobStatus::Queued
            }
            ExecutionStatus::Running | ExecutionStatus::Paused => JobStatus::Failed,
            _ => JobStatus::Cancelled,
        };
        let session = lose_session(conn, job, &message)?;
        settle_job(conn, job, execution, next, Some(&message), at)?;
        if !touched.contains(&execution) {
            touched.push(execution);
        }
        if let Some(session) = session {
            reclaimed.push(Reclaimed {
                job: jobs::get(conn, job)?,
                session,
                worker_id: worker,
            });
        }
    }
    for execution in touched {
        executions::end_if_done(conn, execution, at)?;
    }
    Ok(reclaimed)
}

/// Marks a job's running session `lost`, if it has one.
fn lose_session(
    conn: &Connection,
    job: JobId,
    message: &str,
) -> Result<Option<mino_core::model::Session>> {
    let running: Option<[u8; 16]> = conn
        .prepare_cached(
            "SELECT id FROM sessions WHERE job_id = ?1 AND status = 'running' \
             ORDER BY id DESC LIMIT 1",
        )
        .and_then(|mut stmt| stmt.query_row([job.0.as_bytes()], |r| r.get(0)).optional())
        .db("find a job's running session")?;
    let Some(id) = running.map(|s| SessionId(uuid::Uuid::from_bytes(s))) else {
        return Ok(None);
    };
    let outcome = SessionOutcome {
        status: SessionStatus::Lost,
        log: Vec::new(),
        extraction: None,
        error: Some(SessionError {
            kind: ErrorKind::Timeout,
            message: message.to_owned(),
            transient: true,
        }),
        screenshot: None,
        final_url: None,
        usage: Usage::default(),
    };
    sessions::finish(conn, id, outcome).map(Some)
}

fn settle_job_alone(conn: &Connection, job: JobId, message: &str, at: i64) -> Result<()> {
    lose_session(conn, job, message)?;
    conn.prepare_cached(
        "UPDATE jobs SET status = 'failed', last_error = ?2, lease_owner = NULL, \
         lease_expires_at = NULL, updated_at = ?3 WHERE id = ?1",
    )
    .and_then(|mut stmt| stmt.execute((job.0.as_bytes(), message, at)))
    .db("fail an orphaned job")?;
    Ok(())
}
