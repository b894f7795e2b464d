//! Operations on many jobs at once: delete, update, rerun, and storing evaluations.
//!
//! Each runs in the caller's transaction and checks every job before changing any, so a
//! conflict leaves everything as it was.

use std::collections::HashSet;

use rusqlite::Connection;

use super::error::SqlResultExt;
use super::jobs::{active_conflict, apply_update, is_active, status_of};
use super::row::{micros, now, opt_json};
use mino_core::model::{Evaluation, JobId, JobUpdate};
use mino_core::store::{check_bulk, BULK_DELETE_MAX, BULK_RERUN_MAX, BULK_UPDATE_MAX};
use mino_core::Result;

/// The ids without repeats, in their first order.
fn distinct(ids: &[JobId]) -> Vec<JobId> {
    let mut seen = HashSet::with_capacity(ids.len());
    ids.iter().copied().filter(|id| seen.insert(*id)).collect()
}

/// Fails with a conflict when any job is queued or running.
fn ensure_none_active(conn: &Connection, ids: &[JobId]) -> Result<()> {
    for id in ids {
        if let Some(status) = status_of(conn, *id)? {
            if is_active(status) {
                return Err(active_conflict(*id, status));
            }
        }
    }
    Ok(())
}

/// Deletes jobs (foreign keys delete their sessions and artifacts); returns how many existed.
pub(crate) fn delete(conn: &Connection, ids: &[JobId]) -> Result<u64> {
    check_bulk("bulk delete", ids.len(), BULK_DELETE_MAX)?;
    let ids = distinct(ids);
    ensure_none_active(conn, &ids)?;
    let mut stmt = conn
        .prepare_cached("DELETE FROM jobs WHERE id = ?1")
        .db("prepare a job delete")?;
    let mut deleted = 0u64;
    for id in &ids {
        deleted += stmt.execute([id.0.as_bytes()]).db("delete a job")? as u64;
    }
    Ok(deleted)
}

/// Applies one update to many jobs; returns how many existed.
pub(crate) fn update(conn: &Connection, ids: &[JobId], update: &JobUpdate) -> Result<u64> {
    check_bulk("bulk update", ids.len(), BULK_UPDATE_MAX)?;
    update.validate()?;
    let ids = distinct(ids);
    if update.status.is_some() {
        ensure_none_active(conn, &ids)?;
    }
    let mut updated = 0u64;
    for id in &ids {
        if apply_update(conn, *id, update)? {
            updated += 1;
        }
    }
    Ok(updated)
}

/// Applies each update to its job; returns how many distinct jobs existed.
pub(crate) fn update_each(conn: &Connection, updates: &[(JobId, JobUpdate)]) -> Result<u64> {
    check_bulk("bulk update", updates.len(), BULK_UPDATE_MAX)?;
    for (_, update) in updates {
        update.validate()?;
    }
    let with_status: Vec<JobId> = updates
        .iter()
        .filter(|(_, u)| u.status.is_some())
        .map(|(id, _)| *id)
        .collect();
    ensure_none_active(conn, &distinct(&with_status))?;
    let mut existed = HashSet::new();
    for (id, update) in updates {
        if apply_update(conn, *id, update)? {
            existed.insert(*id);
        }
    }
    Ok(existed.len() as u64)
}

/// Resets jobs to pending (attempts, last error and lease cleared; extraction and evaluation
/// kept; invalid jobs untouched); returns how many were reset.
pub(crate) fn rerun(conn: &Connection, ids: &[JobId]) -> Result<u64> {
    check_bulk("bulk rerun", ids.len(), BULK_RERUN_MAX)?;
    let ids = distinct(ids);
    ensure_none_active(conn, &ids)?;
    let at = micros(now());
    let mut stmt = conn
        .prepare_cached(
            "UPDATE jobs SET status = 'pending', attempts = 0, last_error = NULL, \
             lease_owner = NULL, lease_expires_at = NULL, next_attempt_at = NULL, \
             updated_at = ?2 WHERE id = ?1 AND status <> 'invalid'",
        )
        .db("prepare a job rerun")?;
    let mut reset = 0u64;
    for id in &ids {
        reset += stmt.execute((id.0.as_bytes(), at)).db("rerun a job")? as u64;
    }
    Ok(reset)
}

/// Stores (or clears) evaluations and their accuracy; unknown jobs are skipped. Returns how
/// many jobs were updated.
pub(crate) fn save_evaluations(
    conn: &Connection,
    evaluations: Vec<(JobId, Option<Evaluation>)>,
) -> Result<u64> {
    let at = micros(now());
    let mut stmt = conn
        .prepare_cached(
            "UPDATE jobs SET evaluation = ?2, accuracy = ?3, updated_at = ?4 WHERE id = ?1",
        )
        .db("prepare an evaluation update")?;
    let mut updated = 0u64;
    for (id, evaluation) in evaluations {
        let accuracy = evaluation
            .as_ref()
            .and_then(|e| e.accuracy)
            .map(|a| a.as_str());
        let text = opt_json(evaluation.as_ref())?;
        updated += stmt
            .execute((id.0.as_bytes(), text, accuracy, at))
            .db("store an evaluation")? as u64;
    }
    Ok(updated)
}
