//! Batches (their jobs are stored by `job_insert`).

use rusqlite::{Connection, OptionalExtension, Row};
use tracing::debug;

use super::error::SqlResultExt;
use super::job_insert::insert_rows;
use super::row::{int, json, json_at, micros, now, time_at, u64_at, uuid_at};
use super::{page, projects};
use mino_core::model::{Batch, BatchId, BatchUpdate, NewBatch, ProjectId};
use mino_core::store::{BatchFilter, JobRows, Page, PageRequest};
use mino_core::{Error, Result};

const COLUMNS: &str = "id, project_id, name, source_filename, columns, site_url_column, preview, \
                       warnings, total_rows, valid_rows, invalid_rows, created_at, updated_at";

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
        "INSERT INTO batches ({COLUMNS}, first_job_seq, last_job_seq) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, 0, 0, ?9, ?9, 1, 0)"
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
    let inserted = insert_rows(conn, batch.id, rows, micros(at))?;
    batch.valid_rows = inserted.valid;
    batch.invalid_rows = inserted.invalid;
    batch.total_rows = inserted.valid + inserted.invalid;
    let counts = (
        int(batch.total_rows, "total_rows")?,
        int(inserted.valid, "valid_rows")?,
        int(inserted.invalid, "invalid_rows")?,
    );
    conn.prepare_cached(
        "UPDATE batches SET total_rows = ?2, valid_rows = ?3, invalid_rows = ?4, \
         first_job_seq = ?5, last_job_seq = ?6 WHERE id = ?1",
    )
    .and_then(|mut stmt| {
        stmt.execute((
            batch.id.0.as_bytes(),
            counts.0,
            counts.1,
            counts.2,
            inserted.first_seq,
            inserted.last_seq,
        ))
    })
    .db("count a batch's rows")?;
    debug!(batch = %batch.id, rows = batch.total_rows, "stored a batch");
    Ok(batch)
}

/// A batch's project and the `seq` range of its jobs, or `None` when it does not exist.
pub(crate) fn scope(conn: &Connection, id: BatchId) -> Result<Option<(ProjectId, i64, i64)>> {
    conn.prepare_cached("SELECT project_id, first_job_seq, last_job_seq FROM batches WHERE id = ?1")
        .and_then(|mut stmt| {
            stmt.query_row([id.0.as_bytes()], |r| {
                Ok((ProjectId(uuid_at(r, 0)?), r.get(1)?, r.get(2)?))
            })
            .optional()
        })
        .db("read a batch's job range")
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
