//! A request id on every request and response (`x-request-id`: the client's, or a new UUID),
//! kept in a task-local while the handler runs so that errors and logs carry it.

use axum::extract::Request;
use axum::http::HeaderName;
use axum::middleware::Next;
use axum::response::Response;
use tower_http::request_id::{MakeRequestId, RequestId};

/// The header carrying the request id.
pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

tokio::task_local! {
    static CURRENT: String;
}

/// The id of the request being handled on this task, if any.
pub fn current() -> Option<String> {
    CURRENT.try_with(Clone::clone).ok()
}

/// Makes a UUID v7 for each request without one.
#[derive(Debug, Clone, Copy, Default)]
pub struct MakeUuid;

impl MakeRequestId for MakeUuid {
    fn make_request_id<B>(&mut self, _request: &axum::http::Request<B>) -> Option<RequestId> {
        axum::http::HeaderValue::from_str(&uuid::Uuid::now_v7().to_string())
            .ok()
            .map(RequestId::new)
    }
}

/// Runs the rest of the stack with the request's id in the task-local.
pub async fn scope(request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(&HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(128).collect::<String>())
        .unwrap_or_default();
    CURRENT.scope(id, next.run(request)).await
}

/// Runs `f` as if inside a request with id `id` (for tests of what errors carry).
#[cfg(test)]
pub(crate) async fn scope_for_test<T>(id: &str, f: impl FnOnce() -> T) -> T {
    CURRENT.scope(id.to_owned(), async move { f() }).await
}
