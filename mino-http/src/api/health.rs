//! `GET /api/health`.

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::extract::Json;
use crate::state::AppState;

/// The server is up.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: &'static str,
    /// The server's version.
    pub version: &'static str,
    /// Whether this process runs a worker.
    pub worker: bool,
    /// The store backend (`sqlite` or `postgres`).
    pub store: &'static str,
}

/// Whether the server is up. Touches no database, so it measures the HTTP stack alone.
#[utoipa::path(get, path = "/api/health", tag = "health",
    responses((status = 200, body = Health)))]
pub async fn health(State(state): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        worker: state.platform.has_worker(),
        store: state.platform.store().backend(),
    })
}
