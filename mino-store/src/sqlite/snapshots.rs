//! Metrics snapshots of a batch.

use rusqlite::{Connection, Row};

use super::error::SqlResultExt;
use super::row::{json, json_at, micros, now, opt_u32_at, opt_uuid_at, time_at, uuid_at};
use super::{batches, page};
use mino_core::model::{BatchId, ExecutionId, MetricsSnapshot, NewSnapshot, SnapshotId};
use mino_core::store::{Page, PageRequest};
use mino_core::{Error, Result};

const COLUMNS: &str =
    "id, batch_id, execution_id, instruction_version, metrics, at_end, created_at";

fn from_row(row: &Row<'_>) -> rusqlite::Result<MetricsSnapshot> {
    Ok(MetricsSnapshot {
        id: SnapshotId(uuid_at(row, 0)?),
        batch_id: BatchId(uuid_at(row, 1)?),
        execution_id: opt_uuid_at(row, 2)?.map(ExecutionId),
        instruction_version: opt_u32_at(row, 3)?,
        metrics: json_at(row, 4)?,
        at_end: row.get(5)?,
        created_at: time_at(row, 6)?,
    })
}

/// Stores a snapshot of an existing batch (and of one of its executions, when given); an
/// execution's end snapshot is stored once, later ones return it.
pub(crate) fn create(conn: &Connection, new: NewSnapshot) -> Result<MetricsSnapshot> {
    batches::get(conn, new.batch_id)?;
    if new.at_end && new.execution_id.is_none() {
        return Err(
            Error::validation("an end-of-execution snapshot needs its execution")
                .with_context("field", "execution_id"),
        );
    }
    if let Some(execution) = new.execution_id {
        let batch: Option<[u8; 16]> = conn
            .prepare_cached("SELECT batch_id FROM executions WHERE id = ?1")
            .and_then(|mut stmt| {
                rusqlite::OptionalExtension::optional(
                    stmt.query_row([execution.0.as_bytes()], |r| r.get(0)),
                )
            })
            .db("look up an execution")?;
        match batch {
            None => return Err(Error::not_found("execution", execution)),
            Some(b) if b != *new.batch_id.0.as_bytes() => {
                return Err(Error::validation(format!(
                    "execution {execution} belongs to another batch"
                ))
                .with_context("field", "execution_id"))
            }
            Some(_) => {}
        }
    }
    if let (true, Some(execution)) = (new.at_end, new.execution_id) {
        let existing = conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM metrics_snapshots WHERE execution_id = ?1 AND at_end = 1"
            ))
            .and_then(|mut stmt| {
                rusqlite::OptionalExtension::optional(
                    stmt.query_row([execution.0.as_bytes()], from_row),
                )
            })
            .db("look up an end-of-execution snapshot")?;
        if let Some(existing) = existing {
            return Ok(existing);
        }
    }
    let snapshot = MetricsSnapshot {
        id: SnapshotId::new(),
        batch_id: new.batch_id,
        execution_id: new.execution_id,
        instruction_version: new.instruction_version,
        metrics: new.metrics,
        at_end: new.at_end,
        created_at: now(),
    };
    let metrics = json(&snapshot.metrics)?;
    conn.prepare_cached(&format!(
        "INSERT INTO metrics_snapshots ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    ))
    .and_then(|mut stmt| {
        stmt.execute(rusqlite::params![
            snapshot.id.0.as_bytes(),
            snapshot.batch_id.0.as_bytes(),
            snapshot.execution_id.map(|e| e.0.as_bytes().to_vec()),
            snapshot.instruction_version,
            metrics,
            snapshot.at_end,
            micros(snapshot.created_at),
        ])
    })
    .db("insert a metrics snapshot")?;
    Ok(snapshot)
}

/// Lists a batch's snapshots, oldest first (none for a batch that does not exist).
pub(crate) fn list(
    conn: &Connection,
    batch: BatchId,
    page: &PageRequest,
) -> Result<Page<MetricsSnapshot>> {
    let after = page::after_id(page)?;
    let rows = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM metrics_snapshots WHERE batch_id = ?1 AND id > ?2 \
             ORDER BY id LIMIT ?3"
        ))
        .and_then(|mut stmt| {
            stmt.query_map((batch.0.as_bytes(), after, page::fetch(page)), from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .db("list metrics snapshots")?;
    Ok(page::by_id(rows, page, |s| s.id.0))
}
