//! The one place where the chat API's failures become [`mino_core::Error`]s.

use mino_core::{Error, ErrorKind};
use reqwest::StatusCode;

use crate::agents::ProviderErrors;

/// The mapping handed to [`send_with_retry`](crate::agents::send_with_retry).
pub(crate) const ERRORS: ProviderErrors = ProviderErrors {
    status: from_status,
    transport: from_reqwest,
};

/// An error status of the chat API. 401/403 are permanent (a retry cannot fix a key), 429 is
/// [`RateLimited`](ErrorKind::RateLimited), 5xx [`Network`](ErrorKind::Network) (both
/// transient); any other status is a permanent [`Agent`](ErrorKind::Agent) error, as the
/// same request would fail again.
pub(crate) fn from_status(status: StatusCode, body: &str) -> Error {
    let detail = provider_message(body);
    let code = status.as_u16();
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Error::new(
            ErrorKind::Agent,
            format!(
                "llm agent: the model provider refused the API key (HTTP {code}): {detail}; \
                 check settings.api_key / api_key_env"
            ),
        )
        .with_transient(false),
        StatusCode::TOO_MANY_REQUESTS => Error::new(
            ErrorKind::RateLimited,
            format!("llm agent: the model provider is rate limiting (HTTP 429): {detail}"),
        ),
        s if s.is_server_error() => Error::new(
            ErrorKind::Network,
            format!("llm agent: the model provider failed (HTTP {code}): {detail}"),
        ),
        _ => Error::new(
            ErrorKind::Agent,
            format!("llm agent: the model provider rejected the request (HTTP {code}): {detail}"),
        ),
    }
}

/// A request that got no answer: timeouts are [`Timeout`](ErrorKind::Timeout), everything
/// else (refused, reset, DNS, a broken body) [`Network`](ErrorKind::Network).
pub(crate) fn from_reqwest(err: reqwest::Error) -> Error {
    let kind = if err.is_timeout() {
        ErrorKind::Timeout
    } else {
        ErrorKind::Network
    };
    Error::new(kind, format!("llm agent: model request failed: {err}")).with_source(err)
}

/// The `error.message` of an OpenAI-style error body, else the body itself.
fn provider_message(body: &str) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let message = parsed.as_ref().and_then(|v| {
        v.pointer("/error/message")
            .or_else(|| v.get("error"))
            .or_else(|| v.get("message"))
            .and_then(|m| m.as_str())
    });
    match message {
        Some(m) => m.to_owned(),
        None if body.trim().is_empty() => "no details".to_owned(),
        None => body.trim().to_owned(),
    }
}

/// A permanent agent error (the run cannot succeed by repeating it).
pub(crate) fn agent_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Agent, message).with_transient(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_kinds() {
        let body =
            r#"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}}"#;
        let err = from_status(StatusCode::UNAUTHORIZED, body);
        assert_eq!(err.kind(), ErrorKind::Agent);
        assert!(!err.is_transient());
        assert!(err.message().contains("Incorrect API key provided"));
        assert!(from_status(StatusCode::FORBIDDEN, "")
            .message()
            .contains("no details"));
        let limited = from_status(StatusCode::TOO_MANY_REQUESTS, "slow down");
        assert_eq!(limited.kind(), ErrorKind::RateLimited);
        assert!(limited.is_transient());
        let down = from_status(StatusCode::BAD_GATEWAY, "");
        assert_eq!(down.kind(), ErrorKind::Network);
        assert!(down.is_transient());
        assert!(!from_status(StatusCode::BAD_REQUEST, "{}").is_transient());
    }
}
