//! The one error shape of the API: `{"error":{"code","message","details"}}`, mapped once from
//! [`ErrorKind`], plus the rejections of axum's extractors mapped to the same shape.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mino_core::{Error, ErrorKind};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::request_id;

/// An error answered to a client. Built from any [`mino_core::Error`].
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct ApiError(#[from] pub Error);

/// `Result` of a handler.
pub type ApiResult<T> = std::result::Result<T, ApiError>;

impl ApiError {
    /// A validation error naming the offending input.
    pub fn validation(field: &'static str, message: impl Into<String>) -> Self {
        ApiError(Error::validation(message).with_context("field", field))
    }

    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ApiError(Error::new(kind, message))
    }

    /// The HTTP status and the API code of this error.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        status_and_code(self.0.kind())
    }
}

/// The status and API code of an error kind: the one place where kinds become HTTP.
pub fn status_and_code(kind: ErrorKind) -> (StatusCode, &'static str) {
    match kind {
        ErrorKind::NotFound => (StatusCode::NOT_FOUND, "NOT_FOUND"),
        ErrorKind::Validation | ErrorKind::Unsupported => {
            (StatusCode::BAD_REQUEST, "VALIDATION_ERROR")
        }
        ErrorKind::Conflict => (StatusCode::CONFLICT, "CONFLICT"),
        ErrorKind::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE"),
        ErrorKind::UnsupportedMediaType => {
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE")
        }
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL"),
    }
}

/// The body of every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorObject,
}

/// What went wrong.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorObject {
    /// VALIDATION_ERROR, NOT_FOUND, CONFLICT, PAYLOAD_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE or
    /// INTERNAL.
    pub code: &'static str,
    /// A human-readable message.
    pub message: String,
    /// Context: the offending `field`, limits, and the `request_id` of the request.
    #[schema(value_type = Object)]
    pub details: Value,
}

/// Builds an error response of `status`; used for errors that never were a core error.
pub fn error_response(
    status: StatusCode,
    code: &'static str,
    message: String,
    mut details: Map<String, Value>,
) -> Response {
    if let Some(id) = request_id::current() {
        details.insert("request_id".to_owned(), Value::String(id));
    }
    let body = ErrorBody {
        error: ErrorObject {
            code,
            message,
            details: Value::Object(details),
        },
    };
    (status, axum::Json(body)).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let err = self.0;
        let request = request_id::current().unwrap_or_default();
        if status.is_server_error() {
            tracing::error!(request_id = %request, kind = %err.kind(), error = ?err, "request failed");
            let mut details = Map::new();
            details.insert(
                "kind".to_owned(),
                Value::String(err.kind().code().to_owned()),
            );
            return error_response(
                status,
                code,
                format!(
                    "internal error; the server log has the details under request id {request}"
                ),
                details,
            );
        }
        tracing::debug!(request_id = %request, code, error = ?err, "request refused");
        let mut details = Map::new();
        for (key, value) in err.context() {
            details.insert((*key).to_owned(), Value::String(value.clone()));
        }
        error_response(status, code, err.message().to_owned(), details)
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let kind = match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ErrorKind::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorKind::UnsupportedMediaType,
            _ => ErrorKind::Validation,
        };
        let message = match &rejection {
            JsonRejection::MissingJsonContentType(_) => {
                "expected a body with Content-Type: application/json".to_owned()
            }
            other => other.body_text(),
        };
        ApiError(Error::new(kind, message).with_context("field", "body"))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError(Error::validation(rejection.body_text()).with_context("field", "query"))
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError(Error::validation(rejection.body_text()).with_context("field", "path"))
    }
}

/// The JSON answer to a path no route matches.
pub async fn not_found() -> Response {
    error_response(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "no such API route".to_owned(),
        Map::new(),
    )
}

/// The JSON answer to a method a route does not take.
pub async fn method_not_allowed() -> Response {
    error_response(
        StatusCode::METHOD_NOT_ALLOWED,
        "VALIDATION_ERROR",
        "this route does not take this HTTP method".to_owned(),
        Map::new(),
    )
}

/// The answer when a handler panicked: logged, and an INTERNAL error for the client.
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a handler panicked");
    tracing::error!(panic = what, "a request handler panicked");
    error_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        "INTERNAL",
        "internal error; the server log has the details".to_owned(),
        Map::new(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The JSON body of a response (`null` when it is not JSON).
    async fn json_body(response: Response) -> Value {
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap_or_default();
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    }

    #[test]
    fn every_kind_maps_to_one_of_the_six_codes() {
        let codes = [
            "VALIDATION_ERROR",
            "NOT_FOUND",
            "CONFLICT",
            "PAYLOAD_TOO_LARGE",
            "UNSUPPORTED_MEDIA_TYPE",
            "INTERNAL",
        ];
        for kind in [
            ErrorKind::NotFound,
            ErrorKind::Validation,
            ErrorKind::Conflict,
            ErrorKind::PayloadTooLarge,
            ErrorKind::UnsupportedMediaType,
            ErrorKind::Timeout,
            ErrorKind::Storage,
            ErrorKind::Internal,
        ] {
            let (_, code) = status_and_code(kind);
            assert!(codes.contains(&code), "{kind:?} gave {code}");
        }
        assert_eq!(
            status_and_code(ErrorKind::PayloadTooLarge).0,
            StatusCode::PAYLOAD_TOO_LARGE
        );
        assert_eq!(status_and_code(ErrorKind::Storage).1, "INTERNAL");
    }

    #[tokio::test]
    async fn a_panic_becomes_an_internal_error_without_its_message() {
        let response = panic_response(Box::new("secret detail"));
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = json_body(response).await;
        assert_eq!(body["error"]["code"], "INTERNAL");
        assert!(!body.to_string().contains("secret detail"));
    }

    #[tokio::test]
    async fn internal_errors_hide_their_message_and_carry_the_request_id() {
        let response = crate::request_id::scope_for_test("req-7", || {
            ApiError(Error::storage(
                "disk on fire at /var/db",
                std::io::Error::other("io"),
            ))
            .into_response()
        })
        .await;
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = json_body(response).await;
        assert_eq!(body["error"]["code"], "INTERNAL");
        assert_eq!(body["error"]["details"]["request_id"], "req-7");
        assert!(!body.to_string().contains("disk on fire"));
        assert!(body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("req-7")));
    }
}
