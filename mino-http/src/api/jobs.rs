//! Jobs: detail with sessions, edits, and bulk delete, rerun and update.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use mino_core::model::{Execution, Job, JobId, JobUpdate};
use mino_core::platform::JobDetail;
use mino_core::store::{check_bulk, BULK_DELETE_MAX, BULK_RERUN_MAX, BULK_UPDATE_MAX};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult};
use crate::extract::{id, Json};
use crate::openapi::schemas;
use crate::state::AppState;

/// The header naming who made a change (ground-truth audit trail); default `api`.
pub const USER_HEADER: &str = "x-mino-user";

/// Who made the change: the `X-Mino-User` header (at most 200 characters), else `api`.
pub fn changed_by(headers: &HeaderMap) -> ApiResult<String> {
    match headers.get(USER_HEADER) {
        None => Ok("api".to_owned()),
        Some(value) => {
            let user = value
                .to_str()
                .map_err(|_| ApiError::validation("x-mino-user", "X-Mino-User must be ASCII text"))?
                .trim();
            if user.is_empty() || user.chars().count() > 200 {
                return Err(ApiError::validation(
                    "x-mino-user",
                    "X-Mino-User must be between 1 and 200 characters",
                ));
            }
            Ok(user.to_owned())
        }
    }
}

/// Gets a job with every attempt (session) made at it.
#[utoipa::path(get, path = "/api/jobs/{id}", tag = "jobs",
    params(("id" = String, Path, description = "job id (UUID)")),
    responses((status = 200, body = schemas::JobDetail), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Path(job): Path<String>,
) -> ApiResult<Json<JobDetail>> {
    let job = id(&job, JobId::parse)?;
    Ok(Json(state.platform.job(job).await?))
}

/// Updates a job (site URL, inputs, ground truth, status reset); a change of ground truth
/// scores it again.
#[utoipa::path(patch, path = "/api/jobs/{id}", tag = "jobs",
    params(("id" = String, Path, description = "job id (UUID)"),
        ("x-mino-user" = Option<String>, Header, description = "who changes it (ground-truth audit)")),
    request_body = JobUpdate,
    responses((status = 200, body = Job), (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Path(job): Path<String>,
    headers: HeaderMap,
    Json(update): Json<JobUpdate>,
) -> ApiResult<Json<Job>> {
    let job = id(&job, JobId::parse)?;
    let update = with_user(update, &headers)?;
    update.validate()?;
    Ok(Json(state.platform.update_job(job, update).await?))
}

fn with_user(update: JobUpdate, headers: &HeaderMap) -> ApiResult<JobUpdate> {
    let user = changed_by(headers)?;
    Ok(JobUpdate {
        changed_by: Some(user),
        ..update
    })
}

/// Job ids of a bulk operation.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkIds {
    /// The jobs (1–1,000; 1–100 for a rerun).
    #[schema(value_type = Vec<String>)]
    pub job_ids: Vec<JobId>,
    /// Rerun only: concurrency of the executions started, 1–50.
    #[serde(default)]
    pub concurrency: Option<u32>,
}

/// One update applied to many jobs.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkUpdateBody {
    /// The jobs (1–1,000).
    #[schema(value_type = Vec<String>)]
    pub job_ids: Vec<JobId>,
    /// The update.
    pub update: JobUpdate,
}

/// How many jobs a bulk operation touched.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BulkResult {
    /// Jobs that existed and were changed.
    pub affected: u64,
}

/// The executions a rerun started (one per batch).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RerunResult {
    /// Jobs reset and run again.
    pub affected: u64,
    /// The executions started.
    pub executions: Vec<Execution>,
}

/// Deletes up to 1,000 jobs.
#[utoipa::path(post, path = "/api/jobs/bulk/delete", tag = "jobs", request_body = BulkIds,
    responses((status = 200, body = BulkResult), (status = 400, body = crate::error::ErrorBody)))]
pub async fn bulk_delete(
    State(state): State<AppState>,
    Json(body): Json<BulkIds>,
) -> ApiResult<Json<BulkResult>> {
    check_bulk("bulk delete", body.job_ids.len(), BULK_DELETE_MAX)?;
    let affected = state.platform.bulk_delete_jobs(&body.job_ids).await?;
    Ok(Json(BulkResult { affected }))
}

/// Runs up to 100 jobs again: they are reset and a production execution starts over them.
#[utoipa::path(post, path = "/api/jobs/bulk/rerun", tag = "jobs", request_body = BulkIds,
    responses((status = 200, body = RerunResult), (status = 400, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody)))]
pub async fn bulk_rerun(
    State(state): State<AppState>,
    Json(body): Json<BulkIds>,
) -> ApiResult<Json<RerunResult>> {
    check_bulk("bulk rerun", body.job_ids.len(), BULK_RERUN_MAX)?;
    if let Some(c) = body.concurrency {
        mino_core::model::validate_concurrency(c)?;
    }
    let executions = state
        .platform
        .bulk_rerun_jobs(&body.job_ids, body.concurrency)
        .await?;
    let affected = executions.iter().map(|e| e.total).sum();
    Ok(Json(RerunResult {
        affected,
        executions,
    }))
}

/// Applies one update to up to 1,000 jobs.
#[utoipa::path(post, path = "/api/jobs/bulk/update", tag = "jobs", request_body = BulkUpdateBody,
    params(("x-mino-user" = Option<String>, Header, description = "who changes it (ground-truth audit)")),
    responses((status = 200, body = BulkResult), (status = 400, body = crate::error::ErrorBody)))]
pub async fn bulk_update(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(body): Json<BulkUpdateBody>,
) -> ApiResult<Json<BulkResult>> {
    check_bulk("bulk update", body.job_ids.len(), BULK_UPDATE_MAX)?;
    let update = with_user(body.update, &headers)?;
    update.validate()?;
    let affected = state
        .platform
        .bulk_update_jobs(&body.job_ids, update)
        .await?;
    Ok(Json(BulkResult { affected }))
}
