//! `GET /api/batches/{id}/analytics/dashboard`.

use axum::extract::{Path, State};
use mino_core::model::BatchId;
use mino_core::platform::BatchDashboard;

use crate::error::ApiResult;
use crate::extract::{id, Json};
use crate::openapi::schemas;
use crate::state::AppState;

/// Everything a batch's results page shows: the batch, counts by status, accuracy and cost
/// per column, the trend across executions and the latest execution's figures.
#[utoipa::path(get, path = "/api/batches/{id}/analytics/dashboard", tag = "analytics",
    params(("id" = String, Path, description = "batch id (UUID)")),
    responses((status = 200, body = schemas::BatchDashboard), (status = 404, body = crate::error::ErrorBody)))]
pub async fn dashboard(
    State(state): State<AppState>,
    Path(batch): Path<String>,
) -> ApiResult<Json<BatchDashboard>> {
    let batch = id(&batch, BatchId::parse)?;
    Ok(Json(state.platform.analytics_dashboard(batch).await?))
}
