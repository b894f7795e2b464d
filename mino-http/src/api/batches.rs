//! Batches: created from an uploaded CSV (multipart form data) or from JSON rows; read,
//! renamed, deleted; their jobs listed with filters.

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use indexmap::IndexMap;
use mino_core::ingest::{CsvSource, IngestReport};
use mino_core::model::{Batch, BatchId, BatchUpdate, Job, ProjectId, StatusCounts};
use mino_core::store::Page;
use mino_core::{Error, ErrorKind};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ApiResult};
use crate::extract::{id, JobListParams, Json, Query};
use crate::openapi::schemas;
use crate::state::AppState;

/// The most rows a JSON batch may hold (larger batches are uploaded as CSV files).
pub const MAX_JSON_ROWS: usize = 10_000;

/// A batch with its job counts by status.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchView {
    /// The batch.
    #[serde(flatten)]
    pub batch: Batch,
    /// Its jobs by status.
    pub counts: StatusCounts,
}

/// A new batch and what ingest found in the file.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchCreated {
    /// The batch.
    pub batch: Batch,
    /// Columns, types, ground-truth columns, preview, invalid rows.
    #[schema(value_type = Object)]
    pub report: IngestReport,
}

/// Filters of the batch list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BatchListParams {
    /// Only batches of this project.
    #[serde(default)]
    pub project_id: Option<String>,
    /// Rows per page, 1–500 (default 50).
    #[serde(default)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
}

/// Lists batches, optionally of one project.
#[utoipa::path(get, path = "/api/batches", tag = "batches", params(BatchListParams),
    responses((status = 200, body = schemas::BatchPage), (status = 400, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Query(params): Query<BatchListParams>,
) -> ApiResult<Json<Page<Batch>>> {
    let page = mino_core::store::PageRequest::parse(params.limit, params.cursor.as_deref())?;
    let project = match params.project_id.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => Some(id(p, ProjectId::parse)?),
        None => None,
    };
    Ok(Json(state.platform.batches(project, page).await?))
}

/// Creates a batch from an uploaded CSV: multipart form data with the fields `project_id`,
/// `name` (optional, default the file name) and `file`.
#[utoipa::path(post, path = "/api/batches", tag = "batches",
    request_body(content = schemas::BatchUpload, content_type = "multipart/form-data"),
    responses((status = 201, body = BatchCreated), (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 413, body = crate::error::ErrorBody),
        (status = 415, body = crate::error::ErrorBody)))]
pub async fn create_upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<(StatusCode, Json<BatchCreated>)> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type
        .to_ascii_lowercase()
        .starts_with("multipart/form-data")
    {
        return Err(ApiError::new(
            ErrorKind::UnsupportedMediaType,
            "upload the CSV as multipart/form-data (fields project_id, name, file); JSON rows go to POST /api/projects/{id}/batches",
        ));
    }
    let mut multipart = multipart.map_err(|e| ApiError::validation("body", e.body_text()))?;
    let limit = state.config.max_upload_bytes;
    let mut project: Option<ProjectId> = None;
    let mut name: Option<String> = None;
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        match field.name().unwrap_or("") {
            "project_id" => {
                let text = field.text().await.map_err(multipart_error)?;
                project = Some(id(&text, ProjectId::parse)?);
            }
            "name" => {
                let text = field.text().await.map_err(multipart_error)?;
                name = Some(text.trim().to_owned()).filter(|n| !n.is_empty());
            }
            "file" => {
                let file_name = field.file_name().unwrap_or("upload.csv").to_owned();
                let mut data = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                    if data.len() + chunk.len() > limit {
                        return Err(ApiError(
                            Error::new(
                                ErrorKind::PayloadTooLarge,
                                format!("the file is larger than the {limit} byte limit"),
                            )
                            .with_context("field", "file")
                            .with_context("max_bytes", limit.to_string()),
                        ));
                    }
                    data.extend_from_slice(&chunk);
                }
                file = Some((file_name, data));
            }
            other => {
                return Err(ApiError::validation(
                    "body",
                    format!("unknown form field {other:?}: expected project_id, name and file"),
                ))
            }
        }
    }
    let project =
        project.ok_or_else(|| ApiError::validation("project_id", "project_id is required"))?;
    let (file_name, data) =
        file.ok_or_else(|| ApiError::validation("file", "a CSV file is required"))?;
    let name = name.unwrap_or_else(|| file_name.clone());
    check_name(&name)?;
    tracing::info!(project = %project, file = %file_name, bytes = data.len(), "batch upload");
    let (batch, report) = state
        .platform
        .create_batch_from_csv(project, name, CsvSource::upload(file_name, data), None)
        .await?;
    Ok((StatusCode::CREATED, Json(BatchCreated { batch, report })))
}

fn multipart_error(err: axum::extract::multipart::MultipartError) -> ApiError {
    let kind = if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ErrorKind::PayloadTooLarge
    } else {
        ErrorKind::Validation
    };
    ApiError(Error::new(kind, err.body_text()).with_context("field", "body"))
}

/// A batch given as JSON: rows (column → value maps, like CSV rows) or CSV text.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBatchJson {
    /// The batch's name.
    pub name: String,
    /// The rows, at most 10,000 (`url`, inputs and `gt_<field>` columns).
    #[serde(default)]
    #[schema(value_type = Option<Vec<Object>>)]
    pub rows: Option<Vec<IndexMap<String, String>>>,
    /// Or: the CSV text itself.
    #[serde(default)]
    pub csv: Option<String>,
}

/// Creates a batch of a project from JSON rows or CSV text; ingest is the same as for files.
#[utoipa::path(post, path = "/api/projects/{id}/batches", tag = "batches",
    params(("id" = String, Path, description = "project id (UUID)")),
    request_body = NewBatchJson,
    responses((status = 201, body = BatchCreated), (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 413, body = crate::error::ErrorBody)))]
pub async fn create_json(
    State(state): State<AppState>,
    Path(project): Path<String>,
    Json(body): Json<NewBatchJson>,
) -> ApiResult<(StatusCode, Json<BatchCreated>)> {
    let project = id(&project, ProjectId::parse)?;
    check_name(&body.name)?;
    let (batch, report) = match (body.rows, body.csv) {
        (Some(rows), None) => {
            if rows.is_empty() || rows.len() > MAX_JSON_ROWS {
                return Err(ApiError::validation(
                    "rows",
                    format!("rows must hold between 1 and {MAX_JSON_ROWS} rows"),
                ));
            }
            state
                .platform
                .create_batch_from_rows(project, body.name, &rows)
                .await?
        }
        (None, Some(csv)) => {
            state
                .platform
                .create_batch_from_csv(project, body.name, CsvSource::bytes(csv.into_bytes()), None)
                .await?
        }
        _ => {
            return Err(ApiError::validation(
                "rows",
                "give exactly one of rows and csv",
            ))
        }
    };
    Ok((StatusCode::CREATED, Json(BatchCreated { batch, report })))
}

fn check_name(name: &str) -> ApiResult<()> {
    let len = name.trim().chars().count();
    if len == 0 || len > 200 {
        return Err(ApiError::validation(
            "name",
            "name must be between 1 and 200 characters",
        ));
    }
    Ok(())
}

/// Gets a batch with its job counts.
#[utoipa::path(get, path = "/api/batches/{id}", tag = "batches",
    params(("id" = String, Path, description = "batch id (UUID)")),
    responses((status = 200, body = BatchView), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Path(batch): Path<String>,
) -> ApiResult<Json<BatchView>> {
    let batch = id(&batch, BatchId::parse)?;
    let counts = state.platform.batch_counts(batch).await?;
    let batch = state.platform.batch(batch).await?;
    Ok(Json(BatchView { batch, counts }))
}

/// Renames a batch.
#[utoipa::path(put, path = "/api/batches/{id}", tag = "batches",
    params(("id" = String, Path, description = "batch id (UUID)")),
    request_body = BatchUpdate,
    responses((status = 200, body = Batch), (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Path(batch): Path<String>,
    Json(update): Json<BatchUpdate>,
) -> ApiResult<Json<Batch>> {
    let batch = id(&batch, BatchId::parse)?;
    if let Some(name) = &update.name {
        check_name(name)?;
    }
    Ok(Json(state.platform.update_batch(batch, update).await?))
}

/// Deletes a batch and everything under it (a conflict while one of its executions runs).
#[utoipa::path(delete, path = "/api/batches/{id}", tag = "batches",
    params(("id" = String, Path, description = "batch id (UUID)")),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Path(batch): Path<String>,
) -> ApiResult<StatusCode> {
    let batch = id(&batch, BatchId::parse)?;
    state.platform.delete_batch(batch).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lists a batch's jobs, filtered and paged.
#[utoipa::path(get, path = "/api/batches/{id}/jobs", tag = "batches",
    params(("id" = String, Path, description = "batch id (UUID)"), JobListParams),
    responses((status = 200, body = schemas::JobPage), (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn jobs(
    State(state): State<AppState>,
    Path(batch): Path<String>,
    Query(params): Query<JobListParams>,
) -> ApiResult<Json<Page<Job>>> {
    let batch = id(&batch, BatchId::parse)?;
    let mut filter = params.filter()?;
    let page = params.page()?;
    if filter.batch_id.is_some_and(|b| b != batch) {
        return Err(ApiError::validation(
            "batch_id",
            "batch_id names another batch than the path",
        ));
    }
    filter.batch_id = Some(batch);
    let jobs = state.platform.jobs(&filter, page).await?;
    if jobs.data.is_empty() {
        // An empty page of a batch that does not exist is a 404, not an empty list.
        state.platform.batch(batch).await?;
    }
    Ok(Json(jobs))
}
