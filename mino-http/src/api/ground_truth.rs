//! Ground truth of a batch: bulk set from extractions, bulk edit, the audit trail, column
//! metrics, trends and snapshots.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use mino_core::metrics::{MetricsReport, Trend, TrendBy};
use mino_core::model::{
    BatchId, ExecutionId, GroundTruthChange, GroundTruthChangeFilter, JobId, MetricsSnapshot,
};
use mino_core::platform::{BulkEditGroundTruth, BulkSetGroundTruth, GroundTruthResult};
use mino_core::store::Page;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::api::jobs::changed_by;
use crate::error::{ApiError, ApiResult};
use crate::extract::{id, Json, PageParams, Query};
use crate::openapi::schemas;
use crate::state::AppState;

/// Take the agent's extracted values as ground truth.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkSetBody {
    /// The jobs (1–1,000), all of this batch.
    #[schema(value_type = Vec<String>)]
    pub job_ids: Vec<JobId>,
    /// The fields to take; empty or absent: every extracted field.
    #[serde(default)]
    pub fields: Vec<String>,
}

/// Give one field the same ground truth on many jobs.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkEditBody {
    /// The jobs (1–1,000), all of this batch.
    #[schema(value_type = Vec<String>)]
    pub job_ids: Vec<JobId>,
    /// The output field.
    pub field: String,
    /// The expected value; an empty string removes the field's ground truth.
    pub value: String,
}

/// Sets ground truth from the jobs' extracted values, and scores them again.
#[utoipa::path(post, path = "/api/batches/{id}/ground-truth/bulk-set", tag = "ground truth",
    params(("id" = String, Path, description = "batch id (UUID)"),
        ("x-mino-user" = Option<String>, Header, description = "who changes it (audit trail)")),
    request_body = BulkSetBody,
    responses((status = 200, body = schemas::GroundTruthResult), (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn bulk_set(
    State(state): State<AppState>,
    Path(batch): Path<String>,
    headers: HeaderMap,
    Json(body): Json<BulkSetBody>,
) -> ApiResult<Json<GroundTruthResult>> {
    let batch = id(&batch, BatchId::parse)?;
    let user = changed_by(&headers)?;
    let result = state
        .platform
        .bulk_set_ground_truth(
            batch,
            BulkSetGroundTruth {
                job_ids: body.job_ids,
                fields: body.fields,
                changed_by: Some(user),
            },
        )
        .await?;
    Ok(Json(result))
}

/// Gives one field the same ground truth (or removes it) on many jobs, and scores them again.
#[utoipa::path(post, path = "/api/batches/{id}/ground-truth/bulk-edit", tag = "ground truth",
    params(("id" = String, Path, description = "batch id (UUID)"),
        ("x-mino-user" = Option<String>, Header, description = "who changes it (audit trail)")),
    request_body = BulkEditBody,
    responses((status = 200, body = schemas::GroundTruthResult), (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn bulk_edit(
    State(state): State<AppState>,
    Path(batch): Path<String>,
    headers: HeaderMap,
    Json(body): Json<BulkEditBody>,
) -> ApiResult<Json<GroundTruthResult>> {
    let batch = id(&batch, BatchId::parse)?;
    let user = changed_by(&headers)?;
    let result = state
        .platform
        .bulk_edit_ground_truth(
            batch,
            BulkEditGroundTruth {
                job_ids: body.job_ids,
                field: body.field,
                value: body.value,
                changed_by: Some(user),
            },
        )
        .await?;
    Ok(Json(result))
}

/// Filters of the ground-truth audit trail.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangeParams {
    /// Rows per page, 1–500 (default 50).
    #[serde(default)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Only changes of this job.
    #[serde(default)]
    pub job_id: Option<String>,
    /// Only changes of this field.
    #[serde(default)]
    pub field: Option<String>,
}

/// The ground-truth changes of a batch (who changed what, when), oldest first.
#[utoipa::path(get, path = "/api/batches/{id}/ground-truth/changes", tag = "ground truth",
    params(("id" = String, Path, description = "batch id (UUID)"), ChangeParams),
    responses((status = 200, body = schemas::GroundTruthChangePage), (status = 404, body = crate::error::ErrorBody)))]
pub async fn changes(
    State(state): State<AppState>,
    Path(batch): Path<String>,
    Query(params): Query<ChangeParams>,
) -> ApiResult<Json<Page<GroundTruthChange>>> {
    let batch = id(&batch, BatchId::parse)?;
    let page = PageParams {
        limit: params.limit,
        cursor: params.cursor,
    }
    .page()?;
    let job_id = match params.job_id.as_deref().filter(|j| !j.is_empty()) {
        Some(j) => Some(id(j, JobId::parse)?),
        None => None,
    };
    let filter = GroundTruthChangeFilter {
        batch_id: Some(batch),
        job_id,
        field: params.field.filter(|f| !f.is_empty()),
    };
    Ok(Json(
        state.platform.ground_truth_changes(filter, page).await?,
    ))
}

/// Which execution's jobs to measure.
#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
#[serde(default, deny_unknown_fields)]
pub struct ExecutionParam {
    /// Only jobs last run in this execution (default: every job of the batch).
    pub execution_id: Option<String>,
}

impl ExecutionParam {
    fn execution(&self) -> ApiResult<Option<ExecutionId>> {
        match self.execution_id.as_deref().filter(|e| !e.is_empty()) {
            Some(e) => Ok(Some(id(e, ExecutionId::parse)?)),
            None => Ok(None),
        }
    }
}

/// Accuracy per column (and per job) with cost, for the batch or one of its executions.
#[utoipa::path(get, path = "/api/batches/{id}/ground-truth/column-metrics", tag = "ground truth",
    params(("id" = String, Path, description = "batch id (UUID)"), ExecutionParam),
    responses((status = 200, body = schemas::MetricsReport), (status = 404, body = crate::error::ErrorBody)))]
pub async fn column_metrics(
    State(state): State<AppState>,
    Path(batch): Path<String>,
    Query(params): Query<ExecutionParam>,
) -> ApiResult<Json<MetricsReport>> {
    let batch = id(&batch, BatchId::parse)?;
    let execution = params.execution()?;
    Ok(Json(state.platform.column_metrics(batch, execution).await?))
}

/// How trend points are grouped.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default, deny_unknown_fields)]
pub struct TrendParams {
    /// `execution` (default) or `instruction_version`.
    pub by: Option<String>,
}

/// Accuracy over successive executions or instruction versions, oldest first.
#[utoipa::path(get, path = "/api/batches/{id}/ground-truth/trends", tag = "ground truth",
    params(("id" = String, Path, description = "batch id (UUID)"), TrendParams),
    responses((status = 200, body = Vec<schemas::TrendPoint>), (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn trends(
    State(state): State<AppState>,
    Path(batch): Path<String>,
    Query(params): Query<TrendParams>,
) -> ApiResult<Json<Trend>> {
    let batch = id(&batch, BatchId::parse)?;
    let by = match params.by.as_deref().unwrap_or("execution") {
        "execution" => TrendBy::Execution,
        "instruction_version" | "version" => TrendBy::InstructionVersion,
        other => {
            return Err(ApiError::validation(
                "by",
                format!("by must be execution or instruction_version, not {other:?}"),
            ))
        }
    };
    Ok(Json(state.platform.trends(batch, by).await?))
}

/// Records the batch's (or one execution's) metrics now, as a trend point.
#[utoipa::path(post, path = "/api/batches/{id}/ground-truth/snapshot", tag = "ground truth",
    params(("id" = String, Path, description = "batch id (UUID)")),
    request_body = ExecutionParam,
    responses((status = 201, body = MetricsSnapshot), (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn create_snapshot(
    State(state): State<AppState>,
    Path(batch): Path<String>,
    body: bytes::Bytes,
) -> ApiResult<(StatusCode, Json<MetricsSnapshot>)> {
    let batch = id(&batch, BatchId::parse)?;
    let params: ExecutionParam = if body.iter().all(u8::is_ascii_whitespace) {
        ExecutionParam::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::validation("body", format!("invalid JSON body: {e}")))?
    };
    let execution = params.execution()?;
    let snapshot = state.platform.create_snapshot(batch, execution).await?;
    Ok((StatusCode::CREATED, Json(snapshot)))
}

/// The batch's metrics snapshots, oldest first.
#[utoipa::path(get, path = "/api/batches/{id}/ground-truth/snapshots", tag = "ground truth",
    params(("id" = String, Path, description = "batch id (UUID)"), PageParams),
    responses((status = 200, body = schemas::SnapshotPage), (status = 404, body = crate::error::ErrorBody)))]
pub async fn snapshots(
    State(state): State<AppState>,
    Path(batch): Path<String>,
    Query(params): Query<PageParams>,
) -> ApiResult<Json<Page<MetricsSnapshot>>> {
    let batch = id(&batch, BatchId::parse)?;
    Ok(Json(state.platform.snapshots(batch, params.page()?).await?))
}
