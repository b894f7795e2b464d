//! Executions: reading, listing, changing and ending them, with their per-execution job
//! counts (creating one, with its job selection, is in `selection`).

use rusqlite::{Connection, OptionalExtension, Row};

use super::error::SqlResultExt;
use super::page;
use super::row::{
    enum_at, micros, now, opt_time_at, opt_u32_at, seed_from_sql, time_at, u32_at, uuid_at,
};
use mino_core::model::{
    validate_concurrency, BatchId, Execution, ExecutionId, ExecutionMode, ExecutionStatus,
    ExecutionUpdate, ProjectId, StatusCounts,
};
use mino_core::store::{ExecutionFilter, Page, PageRequest};
use mino_core::{Error, Result};

/// The columns of an [`Execution`], in [`from_row`] order. The job counts by status are
/// kept in the execution's row by triggers on `execution_jobs` (migration 4), so reading an
/// execution costs one row however many jobs it has.
const COLUMNS: &str = "id, project_id, batch_id, mode, sample_size, seed, \
    concurrency, max_attempts, job_timeout_secs, instruction_version, status, created_at, \
    updated_at, finished_at, jobs_pending, jobs_queued, jobs_running, jobs_completed, \
    jobs_failed, jobs_cancelled, jobs_invalid";

/// The columns a new execution is inserted with (its counts start at zero).
pub(crate) const INSERT_COLUMNS: &str = "id, project_id, batch_id, mode, sample_size, seed, \
    concurrency, max_attempts, job_timeout_secs, instruction_version, status, created_at, \
    updated_at, finished_at";

/// A count column; the triggers never take one below zero.
fn count_at(row: &Row<'_>, index: usize) -> rusqlite::Result<u64> {
    Ok(u64::try_from(row.get::<_, i64>(index)?).unwrap_or(0))
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<Execution> {
    let counts = StatusCounts {
        pending: count_at(row, 14)?,
        queued: count_at(row, 15)?,
        running: count_at(row, 16)?,
        completed: count_at(row, 17)?,
        failed: count_at(row, 18)?,
        cancelled: count_at(row, 19)?,
        invalid: count_at(row, 20)?,
    };
    Ok(Execution {
        id: ExecutionId(uuid_at(row, 0)?),
        project_id: ProjectId(uuid_at(row, 1)?),
        batch_id: BatchId(uuid_at(row, 2)?),
        mode: enum_at(row, 3, ExecutionMode::parse)?,
        sample_size: opt_u32_at(row, 4)?,
        seed: row.get::<_, Option<i64>>(5)?.map(seed_from_sql),
        concurrency: u32_at(row, 6)?,
        max_attempts: u32_at(row, 7)?,
        job_timeout_secs: u32_at(row, 8)?,
        instruction_version: u32_at(row, 9)?,
        status: enum_at(row, 10, ExecutionStatus::parse)?,
        total: counts.total(),
        counts,
        created_at: time_at(row, 11)?,
        updated_at: time_at(row, 12)?,
        finished_at: opt_time_at(row, 13)?,
    })
}

fn read(conn: &Connection, id: ExecutionId) -> Result<Execution> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM executions WHERE id = ?1"))
        .and_then(|mut stmt| stmt.query_row([id.0.as_bytes()], from_row).optional())
        .db("read an execution")?
        .ok_or_else(|| Error::not_found("execution", id))
}

/// Gets an execution with its counts.
pub(crate) fn get(conn: &Connection, id: ExecutionId) -> Result<Execution> {
    read(conn, id)
}

/// Lists executions by id.
pub(crate) fn list(
    conn: &Connection,
    filter: &ExecutionFilter,
    page: &PageRequest,
) -> Result<Page<Execution>> {
    let statuses: Vec<ExecutionStatus> = ExecutionStatus::ALL
        .into_iter()
        .filter(|s| filter.statuses.contains(s))
        .collect();
    // Statuses come from a closed enum, so they are safe to write inline.
    let status_sql = if statuses.is_empty() {
        "1".to_owned()
    } else {
        let names: Vec<String> = statuses
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        format!("status IN ({})", names.join(", "))
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM executions \
         WHERE (?1 IS NULL OR project_id = ?1) AND (?2 IS NULL OR batch_id = ?2) AND {status_sql} \
         AND id > ?3 ORDER BY id LIMIT ?4"
    );
    let after = page::after_id(page)?;
    let rows = conn
        .prepare_cached(&sql)
        .and_then(|mut stmt| {
            stmt.query_map(
                (
                    filter.project_id.map(|p| p.0.as_bytes().to_vec()),
                    filter.batch_id.map(|b| b.0.as_bytes().to_vec()),
                    after,
                    page::fetch(page),
                ),
                from_row,
            )?
            .collect::<rusqlite::Result<Vec<_>>>()
        })
        .db("list executions")?;
    Ok(page::by_id(rows, page, |e| e.id.0))
}

/// Changes status or concurrency of an unfinished execution.
///
/// Stopping it, or finishing it by hand (completed, stopped, failed), cancels its queued
/// jobs, so none stays held by an execution that will never run it; running ones are left
/// to their workers. A stopping execution with nothing running is stopped at once. A
/// finished one records `finished_at`.
pub(crate) fn update(
    conn: &Connection,
    id: ExecutionId,
    update: ExecutionUpdate,
) -> Result<Execution> {
    if let Some(concurrency) = update.concurrency {
        validate_concurrency(concurrency)?;
    }
    let execution = read(conn, id)?;
    if !execution.status.is_active() {
        return Err(Error::conflict(format!(
            "execution {id} is {} and cannot change",
            execution.status.as_str()
        ))
        .with_context("execution_id", id.to_string())
        .with_context("status", execution.status.as_str()));
    }
    let at = micros(now());
    let status = update.status.unwrap_or(execution.status);
    let concurrency = update.concurrency.unwrap_or(execution.concurrency);
    let finished = (!status.is_active()).then_some(at);
    conn.prepare_cached(
        "UPDATE executions SET status = ?2, concurrency = ?3, updated_at = ?4, \
         finished_at = ?5 WHERE id = ?1",
    )
    .and_then(|mut stmt| {
        stmt.execute((id.0.as_bytes(), status.as_str(), concurrency, at, finished))
    })
    .db("update an execution")?;
    if status == ExecutionStatus::Stopping || finished.is_some() {
        cancel_queued_jobs(conn, id, at)?;
    }
    if status == ExecutionStatus::Stopping {
        end_if_done(conn, id, at)?;
    }
    get(conn, id)
}

fn cancel_queued_jobs(conn: &Connection, id: ExecutionId, at: i64) -> Result<()> {
    conn.prepare_cached(
        "UPDATE execution_jobs SET status = 'cancelled' \
         WHERE execution_id = ?1 AND status = 'queued'",
    )
    .and_then(|mut stmt| stmt.execute([id.0.as_bytes()]))
    .db("cancel an execution's jobs")?;
    conn.prepare_cached(
        "UPDATE jobs SET status = 'cancelled', next_attempt_at = NULL, updated_at = ?2 \
         WHERE execution_id = ?1 AND status = 'queued'",
    )
    .and_then(|mut stmt| stmt.execute((id.0.as_bytes(), at)))
    .db("cancel an execution's jobs")?;
    Ok(())
}

/// Ends an active execution none of whose jobs is pending, queued or running any more:
/// `stopped` when it was stopping, `completed` otherwise.
pub(crate) fn end_if_done(conn: &Connection, id: ExecutionId, at: i64) -> Result<()> {
    let status: Option<String> = conn
        .prepare_cached("SELECT status FROM executions WHERE id = ?1")
        .and_then(|mut stmt| stmt.query_row([id.0.as_bytes()], |r| r.get(0)).optional())
        .db("read an execution's status")?;
    let Some(status) = status.map(|s| ExecutionStatus::parse(&s)).transpose()? else {
        return Ok(());
    };
    if !status.is_active() {
        return Ok(());
    }
    let open = conn
        .prepare_cached(
            "SELECT 1 FROM execution_jobs WHERE execution_id = ?1 \
             AND (status = 'queued' OR status = 'running' OR status = 'pending')",
        )
        .and_then(|mut stmt| stmt.exists([id.0.as_bytes()]))
        .db("look for an execution's open jobs")?;
    if open {
        return Ok(());
    }
    let end = if status == ExecutionStatus::Stopping {
        ExecutionStatus::Stopped
    } else {
        ExecutionStatus::Completed
    };
    conn.prepare_cached(
        "UPDATE executions SET status = ?2, finished_at = ?3, updated_at = ?3 WHERE id = ?1",
    )
    .and_then(|mut stmt| stmt.execute((id.0.as_bytes(), end.as_str(), at)))
    .db("end an execution")?;
    Ok(())
}
