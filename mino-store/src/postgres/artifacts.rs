//! Artifacts: blobs kept in a bytea column.

use chrono::{DateTime, Utc};
use mino_core::model::{Artifact, ArtifactId, JobId, NewArtifact, SessionId};
use mino_core::{Error, Result};
use sqlx::PgPool;
use uuid::Uuid;

use super::codec::{to_i64, to_u64};
use super::error::DbResultExt;

const ARTIFACT_COLUMNS: &str = "id, job_id, session_id, kind, content_type, size, created_at";

#[derive(sqlx::FromRow)]
struct ArtifactRow {
    id: Uuid,
    job_id: Option<Uuid>,
    session_id: Option<Uuid>,
    kind: String,
    content_type: String,
    size: i64,
    created_at: DateTime<Utc>,
}

impl ArtifactRow {
    fn into_model(self) -> Result<Artifact> {
        Ok(Artifact {
            id: ArtifactId(self.id),
            job_id: self.job_id.map(JobId),
            session_id: self.session_id.map(SessionId),
            kind: self.kind,
            content_type: self.content_type,
            size: to_u64(self.size, "artifact size")?,
            created_at: self.created_at,
        })
    }
}

pub(crate) async fn put(pool: &PgPool, new: NewArtifact) -> Result<Artifact> {
    if new.kind.trim().is_empty() {
        return Err(
            Error::validation("artifact kind must not be empty").with_context("field", "kind")
        );
    }
    if new.content_type.trim().is_empty() {
        return Err(Error::validation("artifact content type must not be empty")
            .with_context("field", "content_type"));
    }
    let size = to_i64(new.bytes.len() as u64, "size")?;
    // A missing job or session fails on its foreign key and comes back as not found.
    let sql = format!(
        "INSERT INTO artifacts (id, job_id, session_id, kind, content_type, size, bytes) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {ARTIFACT_COLUMNS}"
    );
    sqlx::query_as::<_, ArtifactRow>(sqlx::AssertSqlSafe(sql))
        .bind(ArtifactId::new().0)
        .bind(new.job_id.map(|j| j.0))
        .bind(new.session_id.map(|s| s.0))
        .bind(&new.kind)
        .bind(&new.content_type)
        .bind(size)
        .bind(&new.bytes)
        .fetch_one(pool)
        .await
        .db()?
        .into_model()
}

pub(crate) async fn get(pool: &PgPool, id: ArtifactId) -> Result<(Artifact, Vec<u8>)> {
    #[derive(sqlx::FromRow)]
    struct WithBytes {
        #[sqlx(flatten)]
        meta: ArtifactRow,
        bytes: Vec<u8>,
    }
    let sql = format!("SELECT {ARTIFACT_COLUMNS}, bytes FROM artifacts WHERE id = $1");
    let row = sqlx::query_as::<_, WithBytes>(sqlx::AssertSqlSafe(sql))
        .bind(id.0)
        .fetch_optional(pool)
        .await
        .db()?
        .ok_or_else(|| Error::not_found("artifact", id))?;
    Ok((row.meta.into_model()?, row.bytes))
}
