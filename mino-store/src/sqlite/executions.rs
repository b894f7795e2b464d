//! Executions, their job selection and their per-execution job counts.

use std::collections::HashSet;

use rusqlite::{params_from_iter, Connection, OptionalExtension, Row};

use super::error::SqlResultExt;
use super::job_query;
use super::jobs::{active_conflict, is_active, status_counts};
use super::row::{
    enum_at, micros, now, opt_time_at, opt_u32_at, seed_from_sql, seed_to_sql, time_at, u32_at,
    uuid_at,
};
use super::{batches, page};
use mino_core::model::{
    validate_concurrency, BatchId, Execution, ExecutionId, ExecutionMode, ExecutionStatus,
    ExecutionUpdate, JobFilter, JobId, JobSelection, JobStatus, NewExecution, ProjectId,
    StatusCounts,
};
use mino_core::store::{ExecutionFilter, Page, PageRequest};
use mino_core::{Error, Result};

const COLUMNS: &str = "id, project_id, batch_id, mode, sample_size, seed, concurrency, \
                       max_attempts, job_timeout_secs, instruction_version, status, created_at, \
                       updated_at, finished_at";

fn from_row(row: &Row<'_>) -> rusqlite::Result<Execution> {
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
        total: 0,
        counts: StatusCounts::default(),
        created_at: time_at(row, 11)?,
        updated_at: time_at(row, 12)?,
        finished_at: opt_time_at(row, 13)?,
    })
}

/// Fills in `counts` and `total` from the execution's own record of its jobs.
fn with_counts(conn: &Connection, mut execution: Execution) -> Result<Execution> {
    let rows: Vec<(String, i64)> = conn
        .prepare_cached(
            "SELECT status, count(*) FROM execution_jobs WHERE execution_id = ?1 GROUP BY status",
        )
        .and_then(|mut stmt| {
            stmt.query_map([execution.id.0.as_bytes()], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })
        .db("count an execution's jobs")?;
    execution.counts = status_counts(rows)?;
    execution.total = execution.counts.total();
    Ok(execution)
}

fn read(conn: &Connection, id: ExecutionId) -> Result<Execution> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM executions WHERE id = ?1"))
        .and_then(|mut stmt| stmt.query_row([id.0.as_bytes()], from_row).optional())
        .db("read an execution")?
        .ok_or_else(|| Error::not_found("execution", id))
}

/// Gets an execution with its counts.
pub(crate) fn get(conn: &Connection, id: ExecutionId) -> Result<Execution> {
    let execution = read(conn, id)?;
    with_counts(conn, execution)
}

/// Creates a running execution and queues its selected jobs.
pub(crate) fn create(
    conn: &Connection,
    new: NewExecution,
    selection: JobSelection,
) -> Result<Execution> {
    new.validate()?;
    let batch = batches::get(conn, new.batch_id)?;
    if batch.project_id != new.project_id {
        return Err(
            Error::validation(format!("batch {} belongs to another project", batch.id))
                .with_context("field", "batch_id"),
        );
    }
    let version_exists = conn
        .prepare_cached("SELECT 1 FROM instruction_versions WHERE project_id = ?1 AND version = ?2")
        .and_then(|mut stmt| stmt.exists((new.project_id.0.as_bytes(), new.instruction_version)))
        .db("look up an instruction version")?;
    if !version_exists {
        return Err(Error::validation(format!(
            "instruction version {} does not exist",
            new.instruction_version
        ))
        .with_context("field", "instruction_version"));
    }
    // Every check comes before the first write; the execution row must exist before the
    // rows that select its jobs.
    let selection = match selection {
        JobSelection::Ids(ids) => JobSelection::Ids(check_ids(conn, new.batch_id, &ids)?),
        JobSelection::Filter(mut f) => {
            f.batch_id = Some(new.batch_id);
            check_filter(conn, &f)?;
            JobSelection::Filter(f)
        }
    };
    let at = now();
    let id = ExecutionId::new();
    insert(conn, id, &new, at)?;
    let queued = match &selection {
        JobSelection::Ids(ids) => queue_ids(conn, id, ids)?,
        JobSelection::Filter(f) => queue_filter(conn, id, f)?,
    };
    if queued == 0 {
        return Err(empty_selection());
    }
    conn.prepare_cached(
        "UPDATE jobs SET status = 'queued', attempts = 0, execution_id = ?1, last_error = NULL, \
         lease_owner = NULL, lease_expires_at = NULL, next_attempt_at = NULL, updated_at = ?2 \
         WHERE id IN (SELECT job_id FROM execution_jobs WHERE execution_id = ?1)",
    )
    .and_then(|mut stmt| stmt.execute((id.0.as_bytes(), micros(at))))
    .db("queue an execution's jobs")?;
    get(conn, id)
}

fn empty_selection() -> Error {
    Error::validation("the selection holds no runnable job").with_context("field", "job_ids")
}

fn insert(
    conn: &Connection,
    id: ExecutionId,
    new: &NewExecution,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    conn.prepare_cached(&format!(
        "INSERT INTO executions ({COLUMNS}) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'running', ?11, ?11, NULL)"
    ))
    .and_then(|mut stmt| {
        stmt.execute(rusqlite::params![
            id.0.as_bytes(),
            new.project_id.0.as_bytes(),
            new.batch_id.0.as_bytes(),
            new.mode.as_str(),
            new.sample_size,
            new.seed.map(seed_to_sql),
            new.concurrency,
            new.max_attempts,
            new.job_timeout_secs,
            new.instruction_version,
            micros(at),
        ])
    })
    .db("insert an execution")?;
    Ok(())
}

/// Checks explicitly chosen jobs: unknown ids are not found, another batch's are a
/// validation error, active ones a conflict; invalid ones are dropped. Returns the rest.
fn check_ids(conn: &Connection, batch: BatchId, ids: &[JobId]) -> Result<Vec<JobId>> {
    if ids.is_empty() {
        return Err(empty_selection());
    }
    let mut stmt = conn
        .prepare_cached("SELECT batch_id, status FROM jobs WHERE id = ?1")
        .db("prepare a job lookup")?;
    let mut seen = HashSet::with_capacity(ids.len());
    let mut selected = Vec::with_capacity(ids.len());
    let mut conflict = None;
    for id in ids {
        if !seen.insert(*id) {
            continue;
        }
        let found: Option<([u8; 16], String)> = stmt
            .query_row([id.0.as_bytes()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .db("look up a selected job")?;
        let Some((job_batch, status)) = found else {
            return Err(Error::not_found("job", id));
        };
        if job_batch != *batch.0.as_bytes() {
            return Err(
                Error::validation(format!("job {id} belongs to another batch"))
                    .with_context("field", "job_ids")
                    .with_context("job_id", id.to_string()),
            );
        }
        match JobStatus::parse(&status)? {
            JobStatus::Invalid => {}
            s if is_active(s) => {
                conflict.get_or_insert_with(|| active_conflict(*id, s));
            }
            _ => selected.push(*id),
        }
    }
    // Validation errors win over conflicts: they are reported for every id first.
    if let Some(conflict) = conflict {
        return Err(conflict);
    }
    if selected.is_empty() {
        return Err(empty_selection());
    }
    Ok(selected)
}

fn queue_ids(conn: &Connection, execution: ExecutionId, ids: &[JobId]) -> Result<u64> {
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO execution_jobs (execution_id, job_id, status, attempts) \
             VALUES (?1, ?2, 'queued', 0)",
        )
        .db("prepare an execution job insert")?;
    for id in ids {
        stmt.execute((execution.0.as_bytes(), id.0.as_bytes()))
            .db("select a job")?;
    }
    Ok(ids.len() as u64)
}

/// Fails with a conflict when the filter selects a job an active execution holds.
fn check_filter(conn: &Connection, f: &JobFilter) -> Result<()> {
    let Some(c) = job_query::selection(conn, f)? else {
        return Ok(());
    };
    let sql = format!(
        "SELECT j.id, j.status FROM jobs j WHERE {} AND j.status IN ('queued', 'running') LIMIT 1",
        c.sql()
    );
    let active: Option<([u8; 16], String)> = conn
        .prepare_cached(&sql)
        .and_then(|mut stmt| {
            stmt.query_row(params_from_iter(c.params().iter()), |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
        })
        .db("check a selection for active jobs")?;
    match active {
        None => Ok(()),
        Some((id, status)) => Err(active_conflict(
            JobId(uuid::Uuid::from_bytes(id)),
            JobStatus::parse(&status)?,
        )),
    }
}

fn queue_filter(conn: &Connection, execution: ExecutionId, f: &JobFilter) -> Result<u64> {
    let Some(c) = job_query::selection(conn, f)? else {
        return Ok(0);
    };
    let sql = format!(
        "INSERT INTO execution_jobs (execution_id, job_id, status, attempts) \
         SELECT ?, j.id, 'queued', 0 FROM jobs j WHERE {} AND j.status <> 'invalid' ORDER BY j.seq",
        c.sql()
    );
    let mut params = vec![rusqlite::types::Value::Blob(
        execution.0.as_bytes().to_vec(),
    )];
    params.extend_from_slice(c.params());
    let n = conn
        .prepare_cached(&sql)
        .and_then(|mut stmt| stmt.execute(params_from_iter(params.iter())))
        .db("select an execution's jobs")?;
    Ok(n as u64)
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
    let rows = rows
        .into_iter()
        .map(|e| with_counts(conn, e))
        .collect::<Result<Vec<_>>>()?;
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
         WHERE execution_id = ?1 AND status IN ('queued', 'running') AND status = 'queued'",
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
