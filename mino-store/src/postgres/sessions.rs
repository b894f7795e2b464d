//! Sessions: one row per attempt at a job.

use chrono::{DateTime, Utc};
use mino_core::model::{
    ArtifactId, ExecutionId, JobId, LogLine, NewSession, Session, SessionError, SessionId,
    SessionOutcome, SessionStatus, Usage,
};
use mino_core::store::{Page, PageRequest};
use mino_core::{Error, Result};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use super::codec::{id_page, push_id_page, to_i32, to_u32, Pairs, PairsRef};
use super::error::{corrupt, DbResultExt};

/// The columns a [`SessionRow`] reads.
pub(crate) const SESSION_COLUMNS: &str = "id, job_id, execution_id, attempt, worker_id, status, \
     started_at, finished_at, log, extraction, error, screenshot, final_url, usage";

#[derive(sqlx::FromRow)]
pub(crate) struct SessionRow {
    id: Uuid,
    job_id: Uuid,
    execution_id: Option<Uuid>,
    attempt: i32,
    worker_id: String,
    status: String,
    started_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    log: Json<Vec<LogLine>>,
    extraction: Option<Json<Pairs<Option<String>>>>,
    error: Option<Json<SessionError>>,
    screenshot: Option<Uuid>,
    final_url: Option<String>,
    usage: Json<Usage>,
}

impl SessionRow {
    pub(crate) fn into_model(self) -> Result<Session> {
        Ok(Session {
            id: SessionId(self.id),
            job_id: JobId(self.job_id),
            execution_id: self.execution_id.map(ExecutionId),
            attempt: to_u32(self.attempt, "attempt")?,
            worker_id: self.worker_id,
            status: parse_status(&self.status)?,
            started_at: self.started_at,
            finished_at: self.finished_at,
            log: self.log.0,
            extraction: self.extraction.map(|e| e.0 .0),
            error: self.error.map(|e| e.0),
            screenshot: self.screenshot.map(ArtifactId),
            final_url: self.final_url,
            usage: self.usage.0,
        })
    }
}

pub(crate) async fn create(pool: &PgPool, new: NewSession) -> Result<Session> {
    if new.attempt == 0 {
        return Err(
            Error::validation("attempt numbers start at 1").with_context("field", "attempt")
        );
    }
    // A missing job or execution fails on its foreign key and comes back as not found.
    let sql = format!(
        "INSERT INTO sessions (id, job_id, execution_id, attempt, worker_id, status, usage) \
         VALUES ($1, $2, $3, $4, $5, 'running', $6) RETURNING {SESSION_COLUMNS}"
    );
    sqlx::query_as::<_, SessionRow>(sqlx::AssertSqlSafe(sql))
        .bind(SessionId::new().0)
        .bind(new.job_id.0)
        .bind(new.execution_id.map(|e| e.0))
        .bind(to_i32(new.attempt, "attempt")?)
        .bind(&new.worker_id)
        .bind(Json(Usage::default()))
        .fetch_one(pool)
        .await
        .db()?
        .into_model()
}

pub(crate) async fn finish(
    pool: &PgPool,
    id: SessionId,
    outcome: SessionOutcome,
) -> Result<Session> {
    if outcome.status == SessionStatus::Running {
        return Err(
            Error::validation("a session cannot finish as running").with_context("field", "status")
        );
    }
    let mut tx = pool.begin().await.db()?;
    let current: Option<String> =
        sqlx::query_scalar("SELECT status FROM sessions WHERE id = $1 FOR UPDATE")
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await
            .db()?;
    let current = parse_status(&current.ok_or_else(|| Error::not_found("session", id))?)?;
    if current != SessionStatus::Running {
        return Err(Error::conflict(format!(
            "session {id} already finished as {}",
            current.as_str()
        ))
        .with_context("session_id", id.to_string()));
    }
    let session = write_outcome(&mut tx, id, &outcome).await?;
    tx.commit().await.db()?;
    Ok(session)
}

/// Records how a running session ended (the caller has checked that it is running).
pub(crate) async fn write_outcome(
    conn: &mut PgConnection,
    id: SessionId,
    outcome: &SessionOutcome,
) -> Result<Session> {
    if outcome.status == SessionStatus::Running {
        return Err(
            Error::validation("a session cannot finish as running").with_context("field", "status")
        );
    }
    let sql = format!(
        "UPDATE sessions SET status = $2, finished_at = now(), log = $3, extraction = $4, \
         error = $5, screenshot = $6, final_url = $7, usage = $8 WHERE id = $1 \
         RETURNING {SESSION_COLUMNS}"
    );
    sqlx::query_as::<_, SessionRow>(sqlx::AssertSqlSafe(sql))
        .bind(id.0)
        .bind(outcome.status.as_str())
        .bind(Json(&outcome.log))
        .bind(outcome.extraction.as_ref().map(|e| Json(PairsRef(e))))
        .bind(outcome.error.as_ref().map(Json))
        .bind(outcome.screenshot.map(|a| a.0))
        .bind(&outcome.final_url)
        .bind(Json(&outcome.usage))
        .fetch_optional(conn)
        .await
        .db()?
        .ok_or_else(|| Error::not_found("session", id))?
        .into_model()
}

pub(crate) async fn get(pool: &PgPool, id: SessionId) -> Result<Session> {
    let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id = $1");
    sqlx::query_as::<_, SessionRow>(sqlx::AssertSqlSafe(sql))
        .bind(id.0)
        .fetch_optional(pool)
        .await
        .db()?
        .ok_or_else(|| Error::not_found("session", id))?
        .into_model()
}

/// A job's sessions; like every list, an unknown job gives an empty page.
pub(crate) async fn list(pool: &PgPool, job: JobId, page: PageRequest) -> Result<Page<Session>> {
    let mut qb = QueryBuilder::<Postgres>::new(format!(
        "SELECT {SESSION_COLUMNS} FROM sessions WHERE job_id = "
    ));
    qb.push_bind(job.0);
    push_id_page(&mut qb, &page)?;
    let rows: Vec<SessionRow> = qb.build_query_as().fetch_all(pool).await.db()?;
    let sessions = rows
        .into_iter()
        .map(SessionRow::into_model)
        .collect::<Result<Vec<_>>>()?;
    Ok(id_page(sessions, &page, |s| s.id.0))
}

/// The model has no parser for session statuses; this one accepts exactly their names.
fn parse_status(name: &str) -> Result<SessionStatus> {
    [
        SessionStatus::Running,
        SessionStatus::Succeeded,
        SessionStatus::Failed,
        SessionStatus::Cancelled,
        SessionStatus::Lost,
    ]
    .into_iter()
    .find(|s| s.as_str() == name)
    .ok_or_else(|| corrupt("session status", name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_statuses_round_trip() {
        for status in [
            SessionStatus::Running,
            SessionStatus::Succeeded,
            SessionStatus::Failed,
            SessionStatus::Cancelled,
            SessionStatus::Lost,
        ] {
            assert_eq!(parse_status(status.as_str()).ok(), Some(status));
        }
        assert!(parse_status("done").is_err());
    }
}
