//! The engine's queue: claiming jobs with a lease, and keeping leases alive.
//!
//! Every claim runs in the one write transaction SQLite allows at a time, so counting an
//! execution's running jobs and claiming up to its concurrency cannot race with another
//! worker of this store.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension};

use super::error::SqlResultExt;
use super::row::{micros, now};
use super::{executions, jobs, sessions};
use mino_core::model::{ExecutionId, JobId, JobStatus, NewSession};
use mino_core::store::Claim;
use mino_core::{Error, Result};

/// An execution's queued jobs that may run now, in the order of the partial index on queued
/// jobs: fresh ones (no retry time) in row order, then retries by time.
const CLAIMABLE: &str = "SELECT id FROM jobs WHERE execution_id = ?1 AND status = 'queued' \
     AND (next_attempt_at IS NULL OR next_attempt_at <= ?2) \
     ORDER BY next_attempt_at, seq LIMIT ?3";

/// Running jobs whose lease ran out, for `reclaim_expired`; served by the partial index on
/// running jobs' leases.
pub(crate) const EXPIRED: &str = "SELECT id, lease_owner, attempts, execution_id FROM jobs \
     WHERE status = 'running' AND lease_expires_at < ?1 ORDER BY lease_expires_at";

/// The instant a lease of `lease` taken at `at` runs out, as stored and as returned.
pub(crate) fn lease_end(at: DateTime<Utc>, lease: Duration) -> Result<(i64, DateTime<Utc>)> {
    let too_long = || Error::validation("the lease is too long").with_context("field", "lease");
    let end = i64::try_from(lease.as_micros())
        .ok()
        .and_then(|us| micros(at).checked_add(us))
        .ok_or_else(too_long)?;
    let instant = DateTime::from_timestamp_micros(end).ok_or_else(too_long)?;
    Ok((end, instant))
}

fn check_worker(worker: &str) -> Result<()> {
    if worker.trim().is_empty() {
        return Err(
            Error::validation("worker id must not be empty").with_context("field", "worker")
        );
    }
    Ok(())
}

/// Moves a job, and its record in its execution, to `status`, releasing any lease.
pub(crate) fn settle_job(
    conn: &Connection,
    job: JobId,
    execution: ExecutionId,
    status: JobStatus,
    last_error: Option<&str>,
    at: i64,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE jobs SET status = ?2, last_error = ?3, lease_owner = NULL, \
         lease_expires_at = NULL, next_attempt_at = NULL, updated_at = ?4 WHERE id = ?1",
    )
    .and_then(|mut stmt| stmt.execute((job.0.as_bytes(), status.as_str(), last_error, at)))
    .db("move a job")?;
    record_status(conn, job, execution, status)
}

/// Sets a job's status (and its attempts) in its execution's record.
pub(crate) fn record_status(
    conn: &Connection,
    job: JobId,
    execution: ExecutionId,
    status: JobStatus,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE execution_jobs SET status = ?3, \
         attempts = (SELECT attempts FROM jobs WHERE id = ?2) \
         WHERE execution_id = ?1 AND job_id = ?2",
    )
    .and_then(|mut stmt| stmt.execute((execution.0.as_bytes(), job.0.as_bytes(), status.as_str())))
    .db("record a job's status in its execution")?;
    Ok(())
}

/// Claims up to `max` queued jobs of running executions, oldest execution first, within each
/// execution's concurrency.
pub(crate) fn claim(
    conn: &Connection,
    worker: &str,
    max: u32,
    lease: Duration,
) -> Result<Vec<Claim>> {
    check_worker(worker)?;
    let at = now();
    let (expires, expires_at) = lease_end(at, lease)?;
    let mut claims = Vec::new();
    if max == 0 {
        return Ok(claims);
    }
    // `jobs_running` is the execution's count of running jobs, kept by triggers.
    let running: Vec<([u8; 16], i64, i64)> = conn
        .prepare_cached(
            "SELECT id, concurrency, jobs_running FROM executions WHERE status = 'running' \
             ORDER BY id",
        )
        .and_then(|mut stmt| {
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect()
        })
        .db("find running executions")?;
    for (execution, concurrency, busy) in running {
        let room = max as usize - claims.len();
        if room == 0 {
            break;
        }
        let execution = ExecutionId(uuid::Uuid::from_bytes(execution));
        let free = usize::try_from(concurrency - busy).unwrap_or(0).min(room);
        if free == 0 {
            continue;
        }
        let due: Vec<[u8; 16]> = conn
            .prepare_cached(CLAIMABLE)
            .and_then(|mut stmt| {
                stmt.query_map((execution.0.as_bytes(), micros(at), free as i64), |r| {
                    r.get(0)
                })?
                .collect()
            })
            .db("find claimable jobs")?;
        if due.is_empty() {
            continue;
        }
        let mut claimed = Vec::with_capacity(due.len());
        for id in due {
            let id = JobId(uuid::Uuid::from_bytes(id));
            claimed.push(take(conn, id, execution, worker, expires, micros(at))?);
        }
        let current = executions::get(conn, execution)?;
        for (job, session) in claimed {
            claims.push(Claim {
                job,
                execution: current.clone(),
                session,
                lease_expires_at: expires_at,
            });
        }
    }
    Ok(claims)
}

/// Hands one queued job to `worker`: running, one more attempt, a lease and a session.
fn take(
    conn: &Connection,
    id: JobId,
    execution: ExecutionId,
    worker: &str,
    expires: i64,
    at: i64,
) -> Result<(mino_core::model::Job, mino_core::model::Session)> {
    let attempt: i64 = conn
        .prepare_cached(
            "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_owner = ?2, \
             lease_expires_at = ?3, next_attempt_at = NULL, updated_at = ?4 \
             WHERE id = ?1 RETURNING attempts",
        )
        .and_then(|mut stmt| stmt.query_row((id.0.as_bytes(), worker, expires, at), |r| r.get(0)))
        .db("claim a job")?;
    record_status(conn, id, execution, JobStatus::Running)?;
    let session = sessions::create(
        conn,
        NewSession {
            job_id: id,
            execution_id: Some(execution),
            attempt: u32::try_from(attempt).map_err(|_| Error::internal("attempts overflow"))?,
            worker_id: worker.to_owned(),
        },
    )?;
    Ok((jobs::get(conn, id)?, session))
}

/// Extends the leases `worker` still holds among `ids`; returns the others, and those whose
/// execution is stopping or finished, in the order given.
pub(crate) fn heartbeat(
    conn: &Connection,
    worker: &str,
    ids: &[JobId],
    lease: Duration,
) -> Result<Vec<JobId>> {
    check_worker(worker)?;
    let (expires, _) = lease_end(now(), lease)?;
    let mut gone = Vec::new();
    for id in ids {
        let held: Option<i64> = conn
            .prepare_cached(
                "SELECT j.seq FROM jobs j JOIN executions e ON e.id = j.execution_id \
                 WHERE j.id = ?1 AND j.status = 'running' AND j.lease_owner = ?2 \
                 AND (e.status = 'running' OR e.status = 'paused')",
            )
            .and_then(|mut stmt| {
                stmt.query_row((id.0.as_bytes(), worker), |r| r.get(0))
                    .optional()
            })
            .db("check a lease")?;
        match held {
            Some(seq) => {
                conn.prepare_cached("UPDATE jobs SET lease_expires_at = ?2 WHERE seq = ?1")
                    .and_then(|mut stmt| stmt.execute((seq, expires)))
                    .db("extend a lease")?;
            }
            None => gone.push(*id),
        }
    }
    Ok(gone)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqlite::migrations::migrate;

    fn plan(conn: &Connection, sql: &str) -> String {
        let mut stmt = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .expect("explain");
        let params = [const { rusqlite::types::Value::Null }; 3];
        let n = stmt.parameter_count();
        let rows = stmt
            .query_map(rusqlite::params_from_iter(&params[..n]), |r| {
                r.get::<_, String>(3)
            })
            .expect("plan");
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .expect("rows")
            .join(" | ")
    }

    #[test]
    fn claims_and_reclaims_read_the_partial_indexes() {
        let mut conn = Connection::open_in_memory().expect("memory db");
        migrate(&mut conn).expect("migrate");
        let claim = plan(&conn, CLAIMABLE);
        assert!(claim.contains("USING INDEX jobs_queued"), "{claim}");
        assert!(!claim.contains("TEMP B-TREE"), "{claim}");
        let expired = plan(&conn, EXPIRED);
        assert!(expired.contains("USING INDEX jobs_lease"), "{expired}");
    }

    #[test]
    fn leases_end_in_whole_microseconds() {
        let at = now();
        let (end, instant) = lease_end(at, Duration::from_nanos(1_500_999)).expect("lease");
        assert_eq!(end, micros(at) + 1_500);
        assert_eq!(micros(instant), end);
        assert!(lease_end(at, Duration::MAX).is_err());
    }
}
