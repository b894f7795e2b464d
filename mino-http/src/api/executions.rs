//! Executions: start (test sample or production), stats, pause, resume, stop, concurrency.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use bytes::Bytes;
use mino_core::events::ExecutionStats;
use mino_core::model::{BatchId, Execution, ExecutionId, ExecutionMode, ProjectId};
use mino_core::platform::{RunScope, StartExecution};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult};
use crate::extract::{id, Json};
use crate::openapi::schemas;
use crate::state::AppState;

/// How to start an execution; unset values take the project's settings or the defaults.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct StartBody {
    /// `test` (a sample, the default) or `production`.
    #[schema(value_type = Option<String>, example = "test")]
    pub mode: Option<ExecutionMode>,
    /// Sample size of a test run, 10–50 (default 10).
    pub sample_size: Option<u32>,
    /// Sample seed (default: derived from the batch).
    pub seed: Option<u64>,
    /// Which jobs a production run takes: all, pending, failed, not_passing, unfinished.
    #[schema(value_type = Option<String>, example = "all")]
    pub scope: Option<RunScope>,
    /// Jobs at once, 1–50 (default 5).
    pub concurrency: Option<u32>,
    /// Attempts per job, 1–20.
    pub max_attempts: Option<u32>,
    /// Time limit per attempt in seconds, 1–3600.
    pub job_timeout_secs: Option<u32>,
}

impl StartBody {
    fn validate(&self) -> ApiResult<()> {
        check_range("sample_size", self.sample_size, 10, 50)?;
        check_range("concurrency", self.concurrency, 1, 50)?;
        check_range("max_attempts", self.max_attempts, 1, 20)?;
        check_range("job_timeout_secs", self.job_timeout_secs, 1, 3600)?;
        if self.mode == Some(ExecutionMode::Production) && self.sample_size.is_some() {
            return Err(ApiError::validation(
                "sample_size",
                "sample_size applies to test executions only",
            ));
        }
        if self.mode != Some(ExecutionMode::Production) && self.scope.is_some() {
            return Err(ApiError::validation(
                "scope",
                "scope applies to production executions only",
            ));
        }
        Ok(())
    }
}

fn check_range(field: &'static str, value: Option<u32>, min: u32, max: u32) -> ApiResult<()> {
    match value {
        Some(v) if !(min..=max).contains(&v) => Err(ApiError::validation(
            field,
            format!("{field} must be between {min} and {max}"),
        )),
        _ => Ok(()),
    }
}

/// Starts an execution of a batch of the project.
#[utoipa::path(post, path = "/api/projects/{id}/batches/{batch_id}/execute", tag = "executions",
    params(("id" = String, Path, description = "project id (UUID)"),
        ("batch_id" = String, Path, description = "batch id (UUID)")),
    request_body = StartBody,
    responses((status = 201, body = Execution), (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn start(
    State(state): State<AppState>,
    Path((project, batch)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Execution>)> {
    let project = id(&project, ProjectId::parse)?;
    let batch = id(&batch, BatchId::parse)?;
    // The body is optional: no body starts a default test run.
    let body: StartBody = if body.iter().all(u8::is_ascii_whitespace) {
        StartBody::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::validation("body", format!("invalid JSON body: {e}")))?
    };
    body.validate()?;
    let execution = state
        .platform
        .start_execution(
            project,
            batch,
            StartExecution {
                mode: body.mode,
                sample_size: body.sample_size,
                seed: body.seed,
                scope: body.scope,
                concurrency: body.concurrency,
                max_attempts: body.max_attempts,
                job_timeout_secs: body.job_timeout_secs,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(execution)))
}

/// Gets an execution.
#[utoipa::path(get, path = "/api/executions/{id}", tag = "executions",
    params(("id" = String, Path, description = "execution id (UUID)")),
    responses((status = 200, body = Execution), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Path(execution): Path<String>,
) -> ApiResult<Json<Execution>> {
    let execution = id(&execution, ExecutionId::parse)?;
    Ok(Json(state.platform.execution(execution).await?))
}

/// Live figures of an execution: counts, progress, throughput and ETA.
#[utoipa::path(get, path = "/api/executions/{id}/stats", tag = "executions",
    params(("id" = String, Path, description = "execution id (UUID)")),
    responses((status = 200, body = schemas::ExecutionStats), (status = 404, body = crate::error::ErrorBody)))]
pub async fn stats(
    State(state): State<AppState>,
    Path(execution): Path<String>,
) -> ApiResult<Json<ExecutionStats>> {
    let execution = id(&execution, ExecutionId::parse)?;
    Ok(Json(state.platform.execution_stats(execution).await?))
}

/// Pauses a running execution (running attempts finish; no new one starts).
#[utoipa::path(post, path = "/api/executions/{id}/pause", tag = "executions",
    params(("id" = String, Path, description = "execution id (UUID)")),
    responses((status = 200, body = Execution), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody)))]
pub async fn pause(
    State(state): State<AppState>,
    Path(execution): Path<String>,
) -> ApiResult<Json<Execution>> {
    let execution = id(&execution, ExecutionId::parse)?;
    Ok(Json(state.platform.pause_execution(execution).await?))
}

/// Resumes a paused execution.
#[utoipa::path(post, path = "/api/executions/{id}/resume", tag = "executions",
    params(("id" = String, Path, description = "execution id (UUID)")),
    responses((status = 200, body = Execution), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody)))]
pub async fn resume(
    State(state): State<AppState>,
    Path(execution): Path<String>,
) -> ApiResult<Json<Execution>> {
    let execution = id(&execution, ExecutionId::parse)?;
    Ok(Json(state.platform.resume_execution(execution).await?))
}

/// Stops an execution: queued jobs are cancelled, running attempts aborted.
#[utoipa::path(post, path = "/api/executions/{id}/stop", tag = "executions",
    params(("id" = String, Path, description = "execution id (UUID)")),
    responses((status = 200, body = Execution), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody)))]
pub async fn stop(
    State(state): State<AppState>,
    Path(execution): Path<String>,
) -> ApiResult<Json<Execution>> {
    let execution = id(&execution, ExecutionId::parse)?;
    Ok(Json(state.platform.stop_execution(execution).await?))
}

/// A new concurrency limit.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConcurrencyBody {
    /// Jobs at once across all workers, 1–50.
    pub concurrency: u32,
}

/// Changes how many jobs of the execution run at once.
#[utoipa::path(post, path = "/api/executions/{id}/concurrency", tag = "executions",
    params(("id" = String, Path, description = "execution id (UUID)")),
    request_body = ConcurrencyBody,
    responses((status = 200, body = Execution), (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn concurrency(
    State(state): State<AppState>,
    Path(execution): Path<String>,
    Json(body): Json<ConcurrencyBody>,
) -> ApiResult<Json<Execution>> {
    let execution = id(&execution, ExecutionId::parse)?;
    check_range("concurrency", Some(body.concurrency), 1, 50)?;
    Ok(Json(
        state
            .platform
            .set_concurrency(execution, body.concurrency)
            .await?,
    ))
}
