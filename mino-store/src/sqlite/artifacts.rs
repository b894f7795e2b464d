//! Artifacts: blobs (screenshots and the like) kept with jobs and sessions.

use rusqlite::{Connection, OptionalExtension, Row};

use super::error::SqlResultExt;
use super::jobs;
use super::row::{int, micros, now, opt_uuid_at, time_at, u64_at, uuid_at};
use mino_core::model::{Artifact, ArtifactId, JobId, NewArtifact, SessionId};
use mino_core::{Error, Result};

fn from_row(row: &Row<'_>) -> rusqlite::Result<(Artifact, Vec<u8>)> {
    let artifact = Artifact {
        id: ArtifactId(uuid_at(row, 0)?),
        job_id: opt_uuid_at(row, 1)?.map(JobId),
        session_id: opt_uuid_at(row, 2)?.map(SessionId),
        kind: row.get(3)?,
        content_type: row.get(4)?,
        size: u64_at(row, 5)?,
        created_at: time_at(row, 6)?,
    };
    Ok((artifact, row.get(7)?))
}

/// Stores a blob for an existing job and/or session (of that job, when both are given).
pub(crate) fn put(conn: &Connection, new: NewArtifact) -> Result<Artifact> {
    if new.kind.trim().is_empty() {
        return Err(
            Error::validation("artifact kind must not be empty").with_context("field", "kind")
        );
    }
    if new.content_type.trim().is_empty() {
        return Err(Error::validation("artifact content type must not be empty")
            .with_context("field", "content_type"));
    }
    if let Some(job) = new.job_id {
        jobs::ensure_exists(conn, job)?;
    }
    if let Some(session) = new.session_id {
        let job: Option<[u8; 16]> = conn
            .prepare_cached("SELECT job_id FROM sessions WHERE id = ?1")
            .and_then(|mut stmt| {
                stmt.query_row([session.0.as_bytes()], |r| r.get(0))
                    .optional()
            })
            .db("look up a session")?;
        match (job, new.job_id) {
            (None, _) => return Err(Error::not_found("session", session)),
            (Some(owner), Some(job)) if owner != *job.0.as_bytes() => {
                return Err(Error::validation(format!(
                    "session {session} belongs to another job than {job}"
                ))
                .with_context("field", "session_id"))
            }
            _ => {}
        }
    }
    let artifact = Artifact {
        id: ArtifactId::new(),
        job_id: new.job_id,
        session_id: new.session_id,
        kind: new.kind,
        content_type: new.content_type,
        size: new.bytes.len() as u64,
        created_at: now(),
    };
    let size = int(artifact.size, "size")?;
    conn.prepare_cached(
        "INSERT INTO artifacts (id, job_id, session_id, kind, content_type, size, bytes, \
         created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .and_then(|mut stmt| {
        stmt.execute(rusqlite::params![
            artifact.id.0.as_bytes(),
            artifact.job_id.map(|j| j.0.as_bytes().to_vec()),
            artifact.session_id.map(|s| s.0.as_bytes().to_vec()),
            artifact.kind,
            artifact.content_type,
            size,
            new.bytes,
            micros(artifact.created_at),
        ])
    })
    .db("insert an artifact")?;
    Ok(artifact)
}

/// Gets a blob and its metadata.
pub(crate) fn get(conn: &Connection, id: ArtifactId) -> Result<(Artifact, Vec<u8>)> {
    conn.prepare_cached(
        "SELECT id, job_id, session_id, kind, content_type, size, created_at, bytes \
         FROM artifacts WHERE id = ?1",
    )
    .and_then(|mut stmt| stmt.query_row([id.0.as_bytes()], from_row).optional())
    .db("read an artifact")?
    .ok_or_else(|| Error::not_found("artifact", id))
}

/// Fails with NotFound unless the artifact exists.
pub(crate) fn ensure_exists(conn: &Connection, id: ArtifactId) -> Result<()> {
    let found = conn
        .prepare_cached("SELECT 1 FROM artifacts WHERE id = ?1")
        .and_then(|mut stmt| stmt.exists([id.0.as_bytes()]))
        .db("look up an artifact")?;
    if found {
        Ok(())
    } else {
        Err(Error::not_found("artifact", id))
    }
}
