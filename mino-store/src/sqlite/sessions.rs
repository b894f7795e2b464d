//! Sessions: one per attempt at a job.

use rusqlite::{Connection, OptionalExtension, Row};

use super::error::SqlResultExt;
use super::row::{
    enum_at, json, json_at, micros, now, opt_json, opt_json_at, opt_time_at, opt_uuid_at, time_at,
    u32_at, uuid_at,
};
use super::{artifacts, jobs, page};
use mino_core::model::{
    ExecutionId, JobId, NewSession, Session, SessionId, SessionOutcome, SessionStatus,
};
use mino_core::store::{Page, PageRequest};
use mino_core::{Error, Result};

const COLUMNS: &str = "id, job_id, execution_id, attempt, worker_id, status, started_at, \
                       finished_at, log, extraction, error, screenshot, final_url, usage";

fn parse_status(s: &str) -> Result<SessionStatus> {
    [
        SessionStatus::Running,
        SessionStatus::Succeeded,
        SessionStatus::Failed,
        SessionStatus::Cancelled,
        SessionStatus::Lost,
    ]
    .into_iter()
    .find(|st| st.as_str() == s)
    .ok_or_else(|| Error::validation(format!("unknown session status {s:?}")))
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<Session> {
    Ok(Session {
        id: SessionId(uuid_at(row, 0)?),
        job_id: JobId(uuid_at(row, 1)?),
        execution_id: opt_uuid_at(row, 2)?.map(ExecutionId),
        attempt: u32_at(row, 3)?,
        worker_id: row.get(4)?,
        status: enum_at(row, 5, parse_status)?,
        started_at: time_at(row, 6)?,
        finished_at: opt_time_at(row, 7)?,
        log: json_at(row, 8)?,
        extraction: opt_json_at(row, 9)?,
        error: opt_json_at(row, 10)?,
        screenshot: opt_uuid_at(row, 11)?.map(mino_core::model::ArtifactId),
        final_url: row.get(12)?,
        usage: json_at(row, 13)?,
    })
}

/// Starts a session for an existing job (and execution, when given).
pub(crate) fn create(conn: &Connection, new: NewSession) -> Result<Session> {
    if new.attempt == 0 {
        return Err(
            Error::validation("attempt numbers start at 1").with_context("field", "attempt")
        );
    }
    if new.worker_id.trim().is_empty() {
        return Err(
            Error::validation("worker_id must not be empty").with_context("field", "worker_id")
        );
    }
    jobs::ensure_exists(conn, new.job_id)?;
    if let Some(execution) = new.execution_id {
        let found = conn
            .prepare_cached("SELECT 1 FROM executions WHERE id = ?1")
            .and_then(|mut stmt| stmt.exists([execution.0.as_bytes()]))
            .db("look up an execution")?;
        if !found {
            return Err(Error::not_found("execution", execution));
        }
    }
    let session = Session::started(SessionId::new(), new, now());
    let (log, usage) = (json(&session.log)?, json(&session.usage)?);
    conn.prepare_cached(&format!(
        "INSERT INTO sessions ({COLUMNS}) \
         VALUES (?1, ?2, ?3, ?4, ?5, 'running', ?6, NULL, ?7, NULL, NULL, NULL, NULL, ?8)"
    ))
    .and_then(|mut stmt| {
        stmt.execute(rusqlite::params![
            session.id.0.as_bytes(),
            session.job_id.0.as_bytes(),
            session.execution_id.map(|e| e.0.as_bytes().to_vec()),
            session.attempt,
            session.worker_id,
            micros(session.started_at),
            log,
            usage,
        ])
    })
    .db("insert a session")?;
    Ok(session)
}

/// Records how a running session ended.
pub(crate) fn finish(conn: &Connection, id: SessionId, outcome: SessionOutcome) -> Result<Session> {
    if outcome.status == SessionStatus::Running {
        return Err(
            Error::validation("a session cannot finish as running").with_context("field", "status")
        );
    }
    let mut session = get(conn, id)?;
    if session.status != SessionStatus::Running {
        return Err(Error::conflict(format!(
            "session {id} already finished as {}",
            session.status.as_str()
        ))
        .with_context("session_id", id.to_string()));
    }
    if let Some(screenshot) = outcome.screenshot {
        artifacts::ensure_exists(conn, screenshot)?;
    }
    session.finish(outcome, now());
    let (log, extraction, error, usage) = (
        json(&session.log)?,
        opt_json(session.extraction.as_ref())?,
        opt_json(session.error.as_ref())?,
        json(&session.usage)?,
    );
    conn.prepare_cached(
        "UPDATE sessions SET status = ?2, finished_at = ?3, log = ?4, extraction = ?5, \
         error = ?6, screenshot = ?7, final_url = ?8, usage = ?9 WHERE id = ?1",
    )
    .and_then(|mut stmt| {
        stmt.execute(rusqlite::params![
            id.0.as_bytes(),
            session.status.as_str(),
            session.finished_at.map(micros),
            log,
            extraction,
            error,
            session.screenshot.map(|a| a.0.as_bytes().to_vec()),
            session.final_url,
            usage,
        ])
    })
    .db("finish a session")?;
    Ok(session)
}

/// Gets a session.
pub(crate) fn get(conn: &Connection, id: SessionId) -> Result<Session> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM sessions WHERE id = ?1"))
        .and_then(|mut stmt| stmt.query_row([id.0.as_bytes()], from_row).optional())
        .db("read a session")?
        .ok_or_else(|| Error::not_found("session", id))
}

/// Lists a job's sessions, oldest first (none for a job that does not exist).
pub(crate) fn list(conn: &Connection, job: JobId, page: &PageRequest) -> Result<Page<Session>> {
    let after = page::after_id(page)?;
    let rows = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM sessions WHERE job_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3"
        ))
        .and_then(|mut stmt| {
            stmt.query_map((job.0.as_bytes(), after, page::fetch(page)), from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .db("list sessions")?;
    Ok(page::by_id(rows, page, |s| s.id.0))
}
