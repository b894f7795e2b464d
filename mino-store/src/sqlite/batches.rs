//! Batches, and the bulk insert of their jobs.

use std::io::Write as _;

use rusqlite::{Connection, OptionalExtension, Row};
use serde::Serialize;
use tracing::debug;

use super::error::SqlResultExt;
use super::row::{int, json, json_at, micros, now, time_at, u64_at, uuid_at};
use super::{page, projects};
use mino_core::model::{
    Batch, BatchId, BatchUpdate, JobId, JobStatus, NewBatch, NewJob, ProjectId,
};
use mino_core::store::{BatchFilter, JobRows, Page, PageRequest};
use mino_core::{Error, Result};

const COLUMNS: &str = "id, project_id, name, source_filename, columns, site_url_column, preview, \
                       warnings, total_rows, valid_rows, invalid_rows, created_at, updated_at";

/// Rows with an empty site URL and no reason of their own are stored invalid with this one.
pub(crate) const EMPTY_URL_REASON: &str = "the site URL is empty";

fn from_row(row: &Row<'_>) -> rusqlite::Result<Batch> {
    Ok(Batch {
        id: BatchId(uuid_at(row, 0)?),
        project_id: ProjectId(uuid_at(row, 1)?),
        name: row.get(2)?,
        source_filename: row.get(3)?,
        columns: json_at(row, 4)?,
        site_url_column: row.get(5)?,
        preview: json_at(row, 6)?,
        warnings: json_at(row, 7)?,
        total_rows: u64_at(row, 8)?,
        valid_rows: u64_at(row, 9)?,
        invalid_rows: u64_at(row, 10)?,
        created_at: time_at(row, 11)?,
        updated_at: time_at(row, 12)?,
    })
}

fn validate_name(name: &str) -> Result<()> {
    let len = name.trim().chars().count();
    if len == 0 || len > 200 {
        return Err(
            Error::validation("batch name must be between 1 and 200 characters")
                .with_context("field", "name"),
        );
    }
    Ok(())
}

/// Creates a batch and one job per row; the counts are those of the rows stored.
pub(crate) fn create(conn: &Connection, new: NewBatch, rows: JobRows) -> Result<Batch> {
    validate_name(&new.name)?;
    projects::ensure_exists(conn, new.project_id)?;
    let at = now();
    let mut batch = Batch {
        id: BatchId::new(),
        project_id: new.project_id,
        name: new.name,
        source_filename: new.source_filename,
        columns: new.columns,
        site_url_column: new.site_url_column,
        preview: new.preview,
        warnings: new.warnings,
        total_rows: 0,
        valid_rows: 0,
        invalid_rows: 0,
        created_at: at,
        updated_at: at,
    };
    let (columns, preview, warnings) = (
        json(&batch.columns)?,
        json(&batch.preview)?,
        json(&batch.warnings)?,
    );
    conn.prepare_cached(&format!(
        "INSERT INTO batches ({COLUMNS}) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, 0, 0, ?9, ?9)"
    ))
    .and_then(|mut stmt| {
        stmt.execute(rusqlite::params![
            batch.id.0.as_bytes(),
            batch.project_id.0.as_bytes(),
            batch.name,
            batch.source_filename,
            columns,
            batch.site_url_column,
            preview,
            warnings,
            micros(at),
        ])
    })
    .db("insert a batch")?;
    let (valid, invalid) = insert_jobs(conn, batch.id, rows, micros(at))?;
    batch.valid_rows = valid;
    batch.invalid_rows = invalid;
    batch.total_rows = valid + invalid;
    let counts = (
        int(batch.total_rows, "total_rows")?,
        int(valid, "valid_rows")?,
        int(invalid, "invalid_rows")?,
    );
    conn.prepare_cached(
        "UPDATE batches SET total_rows = ?2, valid_rows = ?3, invalid_rows = ?4 WHERE id = ?1",
    )
    .and_then(|mut stmt| stmt.execute((batch.id.0.as_bytes(), counts.0, counts.1, counts.2)))
    .db("count a batch's rows")?;
    debug!(batch = %batch.id, rows = batch.total_rows, "stored a batch");
    Ok(batch)
}

/// Streams rows into `jobs` with one cached statement, reusing the JSON buffers, so a
/// million rows take constant memory. Returns (valid, invalid).
fn insert_jobs(conn: &Connection, batch: BatchId, rows: JobRows, at: i64) -> Result<(u64, u64)> {
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO jobs (id, batch_id, row_index, line, site_url, inputs, ground_truth, \
             has_ground_truth, status, invalid_reason, attempts, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0, ?11, ?11)",
        )
        .db("prepare the job insert")?;
    let (mut valid, mut invalid) = (0u64, 0u64);
    let mut inputs = Vec::with_capacity(256);
    let mut ground_truth = Vec::with_capacity(256);
    for row in rows {
        let NewJob {
            row_index,
            line,
            site_url,
            inputs: row_inputs,
            ground_truth: row_truth,
            invalid_reason,
        } = row?;
        let invalid_reason = match invalid_reason {
            None if site_url.trim().is_empty() => Some(EMPTY_URL_REASON.to_owned()),
            reason => reason,
        };
        let status = if invalid_reason.is_some() {
            invalid += 1;
            JobStatus::Invalid
        } else {
            valid += 1;
            JobStatus::Pending
        };
        let has_truth = row_truth.values().any(|v| !v.trim().is_empty());
        stmt.execute(rusqlite::params![
            JobId::new().0.as_bytes(),
            batch.0.as_bytes(),
            int(row_index, "row_index")?,
            int(line, "line")?,
            site_url,
            json_text(&mut inputs, &row_inputs)?,
            json_text(&mut ground_truth, &row_truth)?,
            has_truth,
            status.as_str(),
            invalid_reason,
            at,
        ])
        .db("insert a job")?;
    }
    Ok((valid, invalid))
}

/// Serialises into a reused buffer and returns it as text.
fn json_text<'b, T: Serialize>(buf: &'b mut Vec<u8>, value: &T) -> Result<&'b str> {
    buf.clear();
    serde_json::to_writer(&mut *buf, value)?;
    buf.flush()
        .map_err(|e| Error::internal(format!("JSON buffer: {e}")))?;
    std::str::from_utf8(buf).map_err(|e| Error::internal(format!("JSON is not UTF-8: {e}")))
}

/// Gets a batch.
pub(crate) fn get(conn: &Connection, id: BatchId) -> Result<Batch> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM batches WHERE id = ?1"))
        .and_then(|mut stmt| stmt.query_row([id.0.as_bytes()], from_row).optional())
        .db("read a batch")?
        .ok_or_else(|| Error::not_found("batch", id))
}

/// Lists batches by id, optionally of one project.
pub(crate) fn list(
    conn: &Connection,
    filter: &BatchFilter,
    page: &PageRequest,
) -> Result<Page<Batch>> {
    let after = page::after_id(page)?;
    let project = filter.project_id.map(|p| p.0.as_bytes().to_vec());
    let rows = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM batches \
             WHERE (?1 IS NULL OR project_id = ?1) AND id > ?2 ORDER BY id LIMIT ?3"
        ))
        .and_then(|mut stmt| {
            stmt.query_map((project, after, page::fetch(page)), from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .db("list batches")?;
    Ok(page::by_id(rows, page, |b| b.id.0))
}

/// Renames a batch.
pub(crate) fn update(conn: &Connection, id: BatchId, update: BatchUpdate) -> Result<Batch> {
    let mut batch = get(conn, id)?;
    if let Some(name) = update.name {
        validate_name(&name)?;
        batch.name = name;
    }
    batch.updated_at = now();
    conn.prepare_cached("UPDATE batches SET name = ?2, updated_at = ?3 WHERE id = ?1")
        .and_then(|mut stmt| stmt.execute((id.0.as_bytes(), &batch.name, micros(batch.updated_at))))
        .db("update a batch")?;
    Ok(batch)
}

/// Deletes a batch; foreign keys delete its jobs, executions, sessions, snapshots, artifacts.
pub(crate) fn delete(conn: &Connection, id: BatchId) -> Result<()> {
    let deleted = conn
        .prepare_cached("DELETE FROM batches WHERE id = ?1")
        .and_then(|mut stmt| stmt.execute([id.0.as_bytes()]))
        .db("delete a batch")?;
    if deleted == 0 {
        return Err(Error::not_found("batch", id));
    }
    Ok(())
}
