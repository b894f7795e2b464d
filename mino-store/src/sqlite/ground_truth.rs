//! The audit trail of ground truth: recording changes as updates make them, and listing them.

use rusqlite::types::Value;
use rusqlite::{Connection, Row};

use super::error::SqlResultExt;
use super::page;
use super::row::{micros, now, time_at, uuid_at};
use mino_core::model::{
    BatchId, ChangeId, FieldChange, GroundTruthChange, GroundTruthChangeFilter, JobId,
    UNKNOWN_ACTOR,
};
use mino_core::store::{Page, PageRequest};
use mino_core::Result;

const COLUMNS: &str = "id, job_id, batch_id, field, old_value, new_value, changed_by, changed_at";

fn from_row(row: &Row<'_>) -> rusqlite::Result<GroundTruthChange> {
    Ok(GroundTruthChange {
        id: ChangeId(uuid_at(row, 0)?),
        job_id: JobId(uuid_at(row, 1)?),
        batch_id: BatchId(uuid_at(row, 2)?),
        field: row.get(3)?,
        old_value: row.get(4)?,
        new_value: row.get(5)?,
        changed_by: row.get(6)?,
        changed_at: time_at(row, 7)?,
    })
}

/// Records the changes one update made to one job, in the caller's transaction.
pub(crate) fn record(
    conn: &Connection,
    job: JobId,
    batch: BatchId,
    changes: &[FieldChange],
    changed_by: Option<&str>,
) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let by = changed_by.unwrap_or(UNKNOWN_ACTOR);
    let at = micros(now());
    let mut stmt = conn
        .prepare_cached(&format!(
            "INSERT INTO ground_truth_changes ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
        ))
        .db("prepare a ground-truth change")?;
    for change in changes {
        stmt.execute(rusqlite::params![
            ChangeId::new().0.as_bytes(),
            job.0.as_bytes(),
            batch.0.as_bytes(),
            change.field,
            change.old_value,
            change.new_value,
            by,
            at,
        ])
        .db("record a ground-truth change")?;
    }
    Ok(())
}

/// Lists changes matching `filter`, oldest first.
pub(crate) fn list(
    conn: &Connection,
    filter: &GroundTruthChangeFilter,
    page: &PageRequest,
) -> Result<Page<GroundTruthChange>> {
    let mut clauses = vec!["id > ?".to_owned()];
    let mut params: Vec<Value> = vec![Value::Blob(page::after_id(page)?)];
    if let Some(job) = filter.job_id {
        clauses.push("job_id = ?".to_owned());
        params.push(Value::Blob(job.0.as_bytes().to_vec()));
    }
    if let Some(batch) = filter.batch_id {
        clauses.push("batch_id = ?".to_owned());
        params.push(Value::Blob(batch.0.as_bytes().to_vec()));
    }
    if let Some(field) = &filter.field {
        clauses.push("field = ?".to_owned());
        params.push(Value::Text(field.clone()));
    }
    params.push(Value::Integer(page::fetch(page)));
    let sql = format!(
        "SELECT {COLUMNS} FROM ground_truth_changes WHERE {} ORDER BY id LIMIT ?",
        clauses.join(" AND ")
    );
    let rows = conn
        .prepare_cached(&sql)
        .and_then(|mut stmt| {
            stmt.query_map(rusqlite::params_from_iter(params), from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .db("list ground-truth changes")?;
    Ok(page::by_id(rows, page, |c| c.id.0))
}
