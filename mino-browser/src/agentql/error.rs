//! The one place where the AgentQL API's failures become [`mino_core::Error`]s.

use mino_core::{Error, ErrorKind};
use reqwest::StatusCode;

use crate::agents::ProviderErrors;

/// The mapping handed to [`send_with_retry`](crate::agents::send_with_retry).
pub(crate) const ERRORS: ProviderErrors = ProviderErrors {
    status: from_status,
    transport: from_reqwest,
};

/// An error status of the API. 401/403 are permanent (a retry cannot fix a key), 429 is
/// [`RateLimited`](ErrorKind::RateLimited), 5xx [`Network`](ErrorKind::Network) (both
/// transient); any other status is a permanent [`Agent`](ErrorKind::Agent) error.
pub(crate) fn from_status(status: StatusCode, body: &str) -> Error {
    let detail = api_message(body);
    let code = status.as_u16();
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Error::new(
            ErrorKind::Agent,
            format!(
                "agentql agent: AgentQL refused the API key (HTTP {code}): {detail}; \
                 check settings.api_key / api_key_env"
            ),
        )
        .with_transient(false),
        StatusCode::TOO_MANY_REQUESTS => Error::new(
            ErrorKind::RateLimited,
            format!("agentql agent: AgentQL is rate limiting (HTTP 429): {detail}"),
        ),
        s if s.is_server_error() => Error::new(
            ErrorKind::Network,
            format!("agentql agent: AgentQL failed (HTTP {code}): {detail}"),
        ),
        _ => Error::new(
            ErrorKind::Agent,
            format!("agentql agent: AgentQL rejected the query (HTTP {code}): {detail}"),
        ),
    }
}

/// A request that got no answer: timeouts are [`Timeout`](ErrorKind::Timeout), everything
/// else [`Network`](ErrorKind::Network).
pub(crate) fn from_reqwest(err: reqwest::Error) -> Error {
    let kind = if err.is_timeout() {
        ErrorKind::Timeout
    } else {
        ErrorKind::Network
    };
    Error::new(kind, format!("agentql agent: query request failed: {err}")).with_source(err)
}

/// A permanent agent error (an answer that repeating the query would not change).
pub(crate) fn agent_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Agent, message).with_transient(false)
}

/// The readable part of an error body: a message under one of the usual keys, else the body.
fn api_message(body: &str) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let message = parsed.as_ref().and_then(|v| {
        [
            "/error_info",
            "/detail",
            "/message",
            "/error/message",
            "/error",
        ]
        .iter()
        .find_map(|p| v.pointer(p).and_then(|m| m.as_str()))
    });
    match message {
        Some(m) => m.to_owned(),
        None if body.trim().is_empty() => "no details".to_owned(),
        None => body.trim().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_kinds() {
        let err = from_status(StatusCode::UNAUTHORIZED, r#"{"detail":"Invalid API key"}"#);
        assert_eq!(err.kind(), ErrorKind::Agent);
        assert!(!err.is_transient());
        assert!(err.message().contains("Invalid API key"));
        assert!(from_status(StatusCode::TOO_MANY_REQUESTS, "").is_transient());
        assert_eq!(
            from_status(StatusCode::SERVICE_UNAVAILABLE, "").kind(),
            ErrorKind::Network
        );
        let bad = from_status(StatusCode::UNPROCESSABLE_ENTITY, "bad query");
        assert!(!bad.is_transient());
        assert!(bad.message().contains("bad query"));
    }
}
