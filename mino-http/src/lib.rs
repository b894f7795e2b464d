//! MINO's HTTP front end: the REST API of the seed's endpoints under `/api`, live updates over
//! WebSocket at `/ws`, Prometheus metrics at `/metrics` and the dashboard at `/`, as one axum
//! router over [`mino_core::platform::Platform`].
//!
//! ```no_run
//! # async fn demo(platform: mino_core::platform::Platform) -> std::io::Result<()> {
//! let app = mino_http::router(platform);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3001").await?;
//! axum::serve(listener, app).await
//! # }
//! ```
//!
//! Every API error has one shape, `{"error":{"code","message","details"}}`, with `code` one
//! of `VALIDATION_ERROR`, `NOT_FOUND`, `CONFLICT`, `PAYLOAD_TOO_LARGE`,
//! `UNSUPPORTED_MEDIA_TYPE` or `INTERNAL` (see [`error`]); every response carries an
//! `x-request-id`. Lists page with `limit` and `cursor` and answer `{data, next_cursor}`.

pub mod api;
pub mod dashboard;
pub mod error;
pub mod extract;
pub mod metrics;
pub mod openapi;
pub mod request_id;
pub mod state;
pub mod ws;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use mino_core::platform::Platform;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use error::{ApiError, ApiResult};
pub use state::{AppState, HttpConfig};

/// The router with default settings (CORS open to localhost origins).
pub fn router(platform: Platform) -> Router {
    router_with(platform, HttpConfig::default())
}

/// The router with these settings. Starts the tasks that follow the platform's events (the
/// WebSocket hub and the metrics); they end when the platform's event sink closes.
pub fn router_with(platform: Platform, config: HttpConfig) -> Router {
    let config = Arc::new(config);
    let metrics = Arc::new(metrics::Metrics::new());
    let hub = ws::Hub::new(config.clone(), metrics.clone());
    hub.follow(&platform);
    metrics.follow(platform.clone());
    let state = AppState {
        platform,
        config: config.clone(),
        hub,
        metrics,
    };
    let upload_limit = config.max_upload_bytes.saturating_add(1024 * 1024);
    let api = api::routes()
        .route(
            "/batches",
            get(api::batches::list)
                .post(api::batches::create_upload)
                .layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route("/openapi.json", get(openapi_json))
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(cors(&config));
    Router::new()
        .nest("/api", api)
        .route("/ws", get(ws::handler))
        .route("/metrics", get(metrics::endpoint))
        .route("/", get(dashboard::index))
        .route("/assets/{*path}", get(dashboard::asset))
        .with_state(state)
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(axum::middleware::from_fn(request_id::scope))
        .layer(TraceLayer::new_for_http().make_span_with(
            |request: &axum::http::Request<axum::body::Body>| {
                let id = request
                    .headers()
                    .get(&request_id::HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                tracing::info_span!("request", method = %request.method(), uri = %request.uri().path(), request_id = %id)
            },
        ))
        .layer(PropagateRequestIdLayer::new(request_id::HEADER))
        .layer(SetRequestIdLayer::new(request_id::HEADER, request_id::MakeUuid))
}

async fn openapi_json() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        openapi::document(),
    )
}

/// CORS: the configured origins, or any localhost origin when none are configured.
fn cors(config: &HttpConfig) -> CorsLayer {
    let origins = if config.allowed_origins.is_empty() {
        AllowOrigin::predicate(|origin: &HeaderValue, _| is_local_origin(origin))
    } else {
        let list: Vec<HeaderValue> = config
            .allowed_origins
            .iter()
            .filter_map(|o| HeaderValue::from_str(o.trim_end_matches('/')).ok())
            .collect();
        AllowOrigin::list(list)
    };
    CorsLayer::new()
        .allow_origin(origins)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers([
            header::CONTENT_TYPE,
            request_id::HEADER,
            HeaderName::from_static(api::jobs::USER_HEADER),
        ])
        .expose_headers([request_id::HEADER, header::CONTENT_DISPOSITION])
        .max_age(std::time::Duration::from_secs(600))
}

/// Whether an origin is `http(s)://localhost`, `127.0.0.1` or `[::1]`, on any port.
pub fn is_local_origin(origin: &HeaderValue) -> bool {
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let Some(rest) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false;
    };
    let host = if let Some(v6) = rest.strip_prefix('[') {
        match v6.split_once(']') {
            Some((host, port)) if port.is_empty() || port.starts_with(':') => host,
            _ => return false,
        }
    } else {
        match rest.split_once(':') {
            Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
            Some(_) => return false,
            None => rest,
        }
    };
    matches!(host, "localhost" | "127.0.0.1" | "::1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_origins_are_recognised() {
        for ok in [
            "http://localhost:3000",
            "http://127.0.0.1",
            "https://localhost",
            "http://[::1]:8080",
        ] {
            assert!(is_local_origin(&HeaderValue::from_static(ok)), "{ok}");
        }
        for bad in [
            "http://localhost.evil.com",
            "http://evil.com",
            "http://127.0.0.1.nip.io",
            "null",
            "http://localhost:80/x",
        ] {
            assert!(!is_local_origin(&HeaderValue::from_static(bad)), "{bad}");
        }
    }
}
