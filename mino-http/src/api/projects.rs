//! Projects, their jobs, executions and instruction versions.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use mino_core::model::{
    ExecutionStatus, InstructionVersion, Job, NewProject, Project, ProjectId, ProjectUpdate,
};
use mino_core::store::{ExecutionFilter, Page};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{ApiError, ApiResult};
use crate::extract::{id, JobListParams, Json, PageParams, Query};
use crate::openapi::schemas;
use crate::state::AppState;

/// Lists projects, oldest first.
#[utoipa::path(get, path = "/api/projects", tag = "projects", params(PageParams),
    responses((status = 200, body = schemas::ProjectPage), (status = 400, body = crate::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Query(params): Query<PageParams>,
) -> ApiResult<Json<Page<Project>>> {
    Ok(Json(state.platform.projects(params.page()?).await?))
}

/// Creates a project (its instruction version 1).
#[utoipa::path(post, path = "/api/projects", tag = "projects", request_body = NewProject,
    responses((status = 201, body = Project), (status = 400, body = crate::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Json(new): Json<NewProject>,
) -> ApiResult<(StatusCode, Json<Project>)> {
    new.validate()?;
    let project = state.platform.create_project(new).await?;
    Ok((StatusCode::CREATED, Json(project)))
}

/// Gets a project.
#[utoipa::path(get, path = "/api/projects/{id}", tag = "projects",
    params(("id" = String, Path, description = "project id (UUID)")),
    responses((status = 200, body = Project), (status = 404, body = crate::error::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Path(project): Path<String>,
) -> ApiResult<Json<Project>> {
    let project = id(&project, ProjectId::parse)?;
    Ok(Json(state.platform.project(project).await?))
}

/// Updates a project; new instructions or output fields make a new instruction version.
#[utoipa::path(put, path = "/api/projects/{id}", tag = "projects", request_body = ProjectUpdate,
    params(("id" = String, Path, description = "project id (UUID)")),
    responses((status = 200, body = Project), (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Path(project): Path<String>,
    Json(update): Json<ProjectUpdate>,
) -> ApiResult<Json<Project>> {
    let project = id(&project, ProjectId::parse)?;
    update.validate()?;
    Ok(Json(state.platform.update_project(project, update).await?))
}

/// Deletes a project and everything under it (a conflict while one of its executions runs).
#[utoipa::path(delete, path = "/api/projects/{id}", tag = "projects",
    params(("id" = String, Path, description = "project id (UUID)")),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Path(project): Path<String>,
) -> ApiResult<StatusCode> {
    let project = id(&project, ProjectId::parse)?;
    state.platform.delete_project(project).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lists a project's jobs, filtered and paged.
#[utoipa::path(get, path = "/api/projects/{id}/jobs", tag = "projects",
    params(("id" = String, Path, description = "project id (UUID)"), JobListParams),
    responses((status = 200, body = schemas::JobPage), (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn jobs(
    State(state): State<AppState>,
    Path(project): Path<String>,
    Query(params): Query<JobListParams>,
) -> ApiResult<Json<Page<Job>>> {
    let project = id(&project, ProjectId::parse)?;
    let mut filter = params.filter()?;
    let page = params.page()?;
    state.platform.project(project).await?;
    filter.project_id = Some(project);
    Ok(Json(state.platform.jobs(&filter, page).await?))
}

/// Filters of a project's execution list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExecutionListParams {
    /// Rows per page, 1–500 (default 50).
    #[serde(default)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Comma-separated statuses: running, paused, stopping, completed, stopped, failed.
    #[serde(default)]
    pub status: Option<String>,
    /// Only executions of this batch.
    #[serde(default)]
    pub batch_id: Option<String>,
}

/// Lists a project's executions, oldest first.
#[utoipa::path(get, path = "/api/projects/{id}/executions", tag = "projects",
    params(("id" = String, Path, description = "project id (UUID)"), ExecutionListParams),
    responses((status = 200, body = schemas::ExecutionPage), (status = 400, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn executions(
    State(state): State<AppState>,
    Path(project): Path<String>,
    Query(params): Query<ExecutionListParams>,
) -> ApiResult<Json<Page<mino_core::model::Execution>>> {
    let project = id(&project, ProjectId::parse)?;
    let page = PageParams {
        limit: params.limit,
        cursor: params.cursor.clone(),
    }
    .page()?;
    let mut filter = ExecutionFilter {
        project_id: Some(project),
        ..ExecutionFilter::default()
    };
    if let Some(statuses) = &params.status {
        for status in statuses.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            filter.statuses.push(ExecutionStatus::parse(status)?);
        }
    }
    if let Some(batch) = params.batch_id.as_deref().filter(|b| !b.is_empty()) {
        filter.batch_id = Some(id(batch, mino_core::model::BatchId::parse)?);
    }
    state.platform.project(project).await?;
    Ok(Json(state.platform.executions(filter, page).await?))
}

/// Lists a project's instruction versions, oldest first (each with its instructions and
/// output fields, so a client can diff any two).
#[utoipa::path(get, path = "/api/projects/{id}/instructions/versions", tag = "projects",
    params(("id" = String, Path, description = "project id (UUID)"), PageParams),
    responses((status = 200, body = schemas::VersionPage), (status = 404, body = crate::error::ErrorBody)))]
pub async fn versions(
    State(state): State<AppState>,
    Path(project): Path<String>,
    Query(params): Query<PageParams>,
) -> ApiResult<Json<Page<InstructionVersion>>> {
    let project = id(&project, ProjectId::parse)?;
    let page = params.page()?;
    Ok(Json(
        state
            .platform
            .instruction_versions(project, page)
            .await
            .map_err(ApiError::from)?,
    ))
}
