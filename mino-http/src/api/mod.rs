//! The REST API: one module per resource, routes under `/api`.

pub mod analytics;
pub mod artifacts;
pub mod batches;
pub mod executions;
pub mod exports;
pub mod ground_truth;
pub mod health;
pub mod jobs;
pub mod projects;

use axum::routing::{get, post};
use axum::Router;

use crate::state::AppState;

/// Every API route (mounted under `/api` by [`crate::router`]).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/health", get(health::health))
        .route("/projects", get(projects::list).post(projects::create))
        .route(
            "/projects/{id}",
            get(projects::get)
                .put(projects::update)
                .delete(projects::delete),
        )
        .route("/projects/{id}/jobs", get(projects::jobs))
        .route("/projects/{id}/executions", get(projects::executions))
        .route(
            "/projects/{id}/instructions/versions",
            get(projects::versions),
        )
        .route("/projects/{id}/batches", post(batches::create_json))
        .route(
            "/projects/{id}/batches/{batch_id}/execute",
            post(executions::start),
        )
        .route(
            "/batches/{id}",
            get(batches::get)
                .put(batches::update)
                .delete(batches::delete),
        )
        .route("/batches/{id}/jobs", get(batches::jobs))
        .route(
            "/batches/{id}/export",
            post(exports::export_post).get(exports::export_get),
        )
        .route(
            "/batches/{id}/ground-truth/bulk-set",
            post(ground_truth::bulk_set),
        )
        .route(
            "/batches/{id}/ground-truth/bulk-edit",
            post(ground_truth::bulk_edit),
        )
        .route(
            "/batches/{id}/ground-truth/changes",
            get(ground_truth::changes),
        )
        .route(
            "/batches/{id}/ground-truth/column-metrics",
            get(ground_truth::column_metrics),
        )
        .route(
            "/batches/{id}/ground-truth/trends",
            get(ground_truth::trends),
        )
        .route(
            "/batches/{id}/ground-truth/snapshot",
            post(ground_truth::create_snapshot),
        )
        .route(
            "/batches/{id}/ground-truth/snapshots",
            get(ground_truth::snapshots),
        )
        .route(
            "/batches/{id}/analytics/dashboard",
            get(analytics::dashboard),
        )
        .route("/executions/{id}", get(executions::get))
        .route("/executions/{id}/stats", get(executions::stats))
        .route("/executions/{id}/pause", post(executions::pause))
        .route("/executions/{id}/resume", post(executions::resume))
        .route("/executions/{id}/stop", post(executions::stop))
        .route(
            "/executions/{id}/concurrency",
            post(executions::concurrency),
        )
        .route("/jobs/{id}", get(jobs::get).patch(jobs::update))
        .route("/jobs/bulk/delete", post(jobs::bulk_delete))
        .route("/jobs/bulk/rerun", post(jobs::bulk_rerun))
        .route("/jobs/bulk/update", post(jobs::bulk_update))
        .route("/artifacts/{id}", get(artifacts::get))
}
