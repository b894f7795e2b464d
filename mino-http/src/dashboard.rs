//! The dashboard: hand-written HTML, CSS and JavaScript modules embedded in the binary and
//! served at `/` and `/assets/…`. It uses only the public API and `/ws`.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

/// Every embedded file: path under `/assets/`, content type, contents.
pub const ASSETS: &[(&str, &str, &str)] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../dashboard/app.css"),
    ),
    (
        "js/app.js",
        "text/javascript; charset=utf-8",
        include_str!("../dashboard/js/app.js"),
    ),
    (
        "js/api.js",
        "text/javascript; charset=utf-8",
        include_str!("../dashboard/js/api.js"),
    ),
    (
        "js/dom.js",
        "text/javascript; charset=utf-8",
        include_str!("../dashboard/js/dom.js"),
    ),
    (
        "js/live.js",
        "text/javascript; charset=utf-8",
        include_str!("../dashboard/js/live.js"),
    ),
    (
        "js/projects.js",
        "text/javascript; charset=utf-8",
        include_str!("../dashboard/js/projects.js"),
    ),
    (
        "js/batch.js",
        "text/javascript; charset=utf-8",
        include_str!("../dashboard/js/batch.js"),
    ),
    (
        "js/execution.js",
        "text/javascript; charset=utf-8",
        include_str!("../dashboard/js/execution.js"),
    ),
    (
        "js/jobs.js",
        "text/javascript; charset=utf-8",
        include_str!("../dashboard/js/jobs.js"),
    ),
    (
        "js/job.js",
        "text/javascript; charset=utf-8",
        include_str!("../dashboard/js/job.js"),
    ),
    (
        "js/metrics.js",
        "text/javascript; charset=utf-8",
        include_str!("../dashboard/js/metrics.js"),
    ),
];

/// The page every dashboard view starts from.
pub const INDEX: &str = include_str!("../dashboard/index.html");

/// A strict content security policy: only this server's scripts, styles and images (and
/// `data:`/`blob:` images for live frames); no inline script at all.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/// `GET /`.
pub async fn index() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        INDEX,
    )
        .into_response()
}

/// `GET /assets/{*path}`.
pub async fn asset(Path(path): Path<String>) -> Response {
    match ASSETS.iter().find(|(p, _, _)| *p == path) {
        Some((_, content_type, body)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            *body,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}
