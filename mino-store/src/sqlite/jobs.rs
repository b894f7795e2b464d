//! Jobs: reading, counting and single updates (lists are in `job_query`).

use indexmap::IndexMap;
use rusqlite::{Connection, OptionalExtension, Row};

use super::error::SqlResultExt;
use super::ground_truth;
use super::row::{
    enum_at, json, json_at, micros, now, opt_enum_at, opt_json_at, opt_uuid_at, time_at, u32_at,
    u64_at, uuid_at,
};
use mino_core::model::{
    merge_ground_truth, Accuracy, BatchId, ExecutionId, Job, JobId, JobStatus, JobUpdate,
    ProjectId, StatusCounts,
};
use mino_core::{Error, Result};

/// The columns of a [`Job`], from `jobs AS j` (the project comes from the batch).
pub(crate) const SELECT: &str = "SELECT j.id, j.batch_id, \
     (SELECT b.project_id FROM batches b WHERE b.id = j.batch_id), \
     j.row_index, j.line, j.site_url, j.inputs, j.ground_truth, j.status, j.invalid_reason, \
     j.attempts, j.execution_id, j.extraction, j.evaluation, j.accuracy, j.last_error, \
     j.created_at, j.updated_at FROM jobs j";

/// Maps a row of [`SELECT`].
pub(crate) fn from_row(row: &Row<'_>) -> rusqlite::Result<Job> {
    Ok(Job {
        id: JobId(uuid_at(row, 0)?),
        batch_id: BatchId(uuid_at(row, 1)?),
        project_id: ProjectId(uuid_at(row, 2)?),
        row_index: u64_at(row, 3)?,
        line: u64_at(row, 4)?,
        site_url: row.get(5)?,
        inputs: json_at(row, 6)?,
        ground_truth: json_at(row, 7)?,
        status: enum_at(row, 8, JobStatus::parse)?,
        invalid_reason: row.get(9)?,
        attempts: u32_at(row, 10)?,
        execution_id: opt_uuid_at(row, 11)?.map(ExecutionId),
        extraction: opt_json_at(row, 12)?,
        evaluation: opt_json_at(row, 13)?,
        accuracy: opt_enum_at(row, 14, Accuracy::parse)?,
        last_error: row.get(15)?,
        created_at: time_at(row, 16)?,
        updated_at: time_at(row, 17)?,
    })
}

/// Gets a job.
pub(crate) fn get(conn: &Connection, id: JobId) -> Result<Job> {
    conn.prepare_cached(&format!("{SELECT} WHERE j.id = ?1"))
        .and_then(|mut stmt| stmt.query_row([id.0.as_bytes()], from_row).optional())
        .db("read a job")?
        .ok_or_else(|| Error::not_found("job", id))
}

/// Fails with NotFound unless the job exists.
pub(crate) fn ensure_exists(conn: &Connection, id: JobId) -> Result<()> {
    let found = conn
        .prepare_cached("SELECT 1 FROM jobs WHERE id = ?1")
        .and_then(|mut stmt| stmt.exists([id.0.as_bytes()]))
        .db("look up a job")?;
    if found {
        Ok(())
    } else {
        Err(Error::not_found("job", id))
    }
}

/// The status of a job, or `None` when it does not exist.
pub(crate) fn status_of(conn: &Connection, id: JobId) -> Result<Option<JobStatus>> {
    let status: Option<String> = conn
        .prepare_cached("SELECT status FROM jobs WHERE id = ?1")
        .and_then(|mut stmt| stmt.query_row([id.0.as_bytes()], |r| r.get(0)).optional())
        .db("read a job's status")?;
    status.map(|s| JobStatus::parse(&s)).transpose()
}

/// Whether a job is held by an active execution (queued or running).
pub(crate) fn is_active(status: JobStatus) -> bool {
    matches!(status, JobStatus::Queued | JobStatus::Running)
}

/// The conflict of touching a job an active execution holds.
pub(crate) fn active_conflict(id: JobId, status: JobStatus) -> Error {
    Error::conflict(format!(
        "job {id} is {} in an active execution",
        status.as_str()
    ))
    .with_context("job_id", id.to_string())
    .with_context("status", status.as_str())
}

/// Folds (status, count) rows into counts.
pub(crate) fn status_counts(rows: Vec<(String, i64)>) -> Result<StatusCounts> {
    let mut counts = StatusCounts::default();
    for (status, n) in rows {
        let n = u64::try_from(n).map_err(|_| Error::internal("negative job count"))?;
        counts.add(JobStatus::parse(&status)?, n);
    }
    Ok(counts)
}

/// Updates one job; see [`apply_update`].
pub(crate) fn update(conn: &Connection, id: JobId, update: JobUpdate) -> Result<Job> {
    update.validate()?;
    if !apply_update(conn, id, &update)? {
        return Err(Error::not_found("job", id));
    }
    get(conn, id)
}

/// Applies `update` to one job; returns false when the job does not exist.
///
/// Inputs are merged key by key; ground truth too, where an empty value removes the field.
/// A new site URL makes an invalid job pending and clears its reason. A status is applied
/// only to jobs that are not (still) invalid: `pending` also clears attempts and the last
/// error, as a rerun does. Setting a status on a queued or running job is a conflict. The
/// caller validates `update`.
pub(crate) fn apply_update(conn: &Connection, id: JobId, update: &JobUpdate) -> Result<bool> {
    type Current = (
        i64,
        BatchId,
        String,
        String,
        IndexMap<String, String>,
        IndexMap<String, String>,
    );
    let current: Option<Current> = conn
        .prepare_cached(
            "SELECT seq, batch_id, status, site_url, inputs, ground_truth FROM jobs \
             WHERE id = ?1",
        )
        .and_then(|mut stmt| {
            stmt.query_row([id.0.as_bytes()], |r| {
                Ok((
                    r.get(0)?,
                    BatchId(uuid_at(r, 1)?),
                    r.get(2)?,
                    r.get(3)?,
                    json_at(r, 4)?,
                    json_at(r, 5)?,
                ))
            })
            .optional()
        })
        .db("read a job for update")?;
    let Some((seq, batch, status, site_url, mut inputs, mut truth)) = current else {
        return Ok(false);
    };
    let old_status = JobStatus::parse(&status)?;
    if update.status.is_some() && is_active(old_status) {
        return Err(active_conflict(id, old_status));
    }
    let at = micros(now());
    let mut status = old_status;
    let mut clear_reason = false;
    if let Some(url) = &update.site_url {
        let url = url.trim();
        if url != site_url {
            conn.prepare_cached("UPDATE jobs SET site_url = ?2 WHERE seq = ?1")
                .and_then(|mut stmt| stmt.execute((seq, url)))
                .db("update a job's site URL")?;
        }
        if status == JobStatus::Invalid {
            status = JobStatus::Pending;
            clear_reason = true;
        }
    }
    if let Some(values) = &update.inputs {
        for (key, value) in values {
            inputs.insert(key.clone(), value.clone());
        }
    }
    if let Some(values) = &update.ground_truth {
        let changes = merge_ground_truth(&mut truth, values);
        ground_truth::record(conn, id, batch, &changes, update.changed_by.as_deref())?;
    }
    let mut reset = false;
    if let Some(new_status) = update.status {
        if status != JobStatus::Invalid {
            reset = new_status == JobStatus::Pending;
            status = new_status;
        }
    }
    let has_truth = truth.values().any(|v| !v.trim().is_empty());
    let (inputs, truth) = (json(&inputs)?, json(&truth)?);
    conn.prepare_cached(
        "UPDATE jobs SET inputs = ?2, ground_truth = ?3, has_ground_truth = ?4, status = ?5, \
         invalid_reason = CASE WHEN ?6 THEN NULL ELSE invalid_reason END, \
         attempts = CASE WHEN ?7 THEN 0 ELSE attempts END, \
         last_error = CASE WHEN ?7 THEN NULL ELSE last_error END, \
         updated_at = ?8 WHERE seq = ?1",
    )
    .and_then(|mut stmt| {
        stmt.execute(rusqlite::params![
            seq,
            inputs,
            truth,
            has_truth,
            status.as_str(),
            clear_reason,
            reset,
            at
        ])
    })
    .db("update a job")?;
    Ok(true)
}
