//! Creating an execution: checking its job selection and queuing the selected jobs, in the
//! caller's transaction.

use std::collections::HashSet;

use rusqlite::{params_from_iter, Connection, OptionalExtension};

use super::batches;
use super::error::SqlResultExt;
use super::executions::{self, INSERT_COLUMNS};
use super::job_query;
use super::jobs::{active_conflict, is_active};
use super::row::{micros, now, seed_to_sql};
use mino_core::model::{
    BatchId, Execution, ExecutionId, JobFilter, JobId, JobSelection, JobStatus, NewExecution,
};
use mino_core::{Error, Result};

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
    executions::get(conn, id)
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
        "INSERT INTO executions ({INSERT_COLUMNS}) \
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
