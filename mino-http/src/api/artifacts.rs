//! Artifacts: screenshots of sessions.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use mino_core::model::ArtifactId;

use crate::error::ApiResult;
use crate::extract::id;
use crate::state::AppState;

/// Gets an artifact's bytes (a session's screenshot) with its content type.
#[utoipa::path(get, path = "/api/artifacts/{id}", tag = "jobs",
    params(("id" = String, Path, description = "artifact id (UUID)")),
    responses((status = 200, description = "the artifact's bytes", content_type = "image/jpeg"),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Path(artifact): Path<String>,
) -> ApiResult<Response> {
    let artifact = id(&artifact, ArtifactId::parse)?;
    let (meta, bytes) = state.platform.store().get_artifact(artifact).await?;
    Ok((
        [
            (header::CONTENT_TYPE, meta.content_type),
            (
                header::CACHE_CONTROL,
                "private, max-age=86400, immutable".to_owned(),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        ],
        bytes,
    )
        .into_response())
}
