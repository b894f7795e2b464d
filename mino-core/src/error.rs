//! The one error type of MINO.
//!
//! Every fallible operation returns [`Error`], which carries an [`ErrorKind`]. Callers decide
//! what to do from the kind alone: the HTTP layer maps it to a status code, the Python layer to
//! an exception class, and the engine asks [`Error::is_transient`] whether an attempt may be
//! retried. Nothing ever inspects message strings.

use std::fmt;

/// A boxed error source.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// `Result` with [`Error`] as the error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, coarsely enough that callers can act on it.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The addressed entity does not exist.
    NotFound,
    /// The input is malformed or out of range.
    Validation,
    /// The operation contradicts current state (e.g. a job already in an active execution).
    Conflict,
    /// The input is larger than the configured limit.
    PayloadTooLarge,
    /// The input is of a format MINO cannot read.
    UnsupportedMediaType,
    /// An operation did not finish in time.
    Timeout,
    /// A network or navigation failure (connection refused, reset, DNS).
    Network,
    /// A website answered with an HTTP error status.
    HttpStatus,
    /// A provider asked us to slow down.
    RateLimited,
    /// The browser failed (crashed, disconnected, protocol error).
    Browser,
    /// The agent failed to run (not: it ran and found nothing).
    Agent,
    /// The database failed.
    Storage,
    /// The backend does not support this operation.
    Unsupported,
    /// The operation was cancelled (execution stopped).
    Cancelled,
    /// A bug or an unexpected state.
    Internal,
}

impl ErrorKind {
    /// A stable, upper-case code for this kind, as used by the HTTP API and Python exceptions.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "NOT_FOUND",
            ErrorKind::Validation => "VALIDATION_ERROR",
            ErrorKind::Conflict => "CONFLICT",
            ErrorKind::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            ErrorKind::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            ErrorKind::Timeout => "TIMEOUT",
            ErrorKind::Network => "NETWORK_ERROR",
            ErrorKind::HttpStatus => "HTTP_STATUS",
            ErrorKind::RateLimited => "RATE_LIMITED",
            ErrorKind::Browser => "BROWSER_ERROR",
            ErrorKind::Agent => "AGENT_ERROR",
            ErrorKind::Storage => "STORAGE_ERROR",
            ErrorKind::Unsupported => "UNSUPPORTED",
            ErrorKind::Cancelled => "CANCELLED",
            ErrorKind::Internal => "INTERNAL",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A MINO error: a kind, a human-readable message, context pairs and an optional source.
#[derive(thiserror::Error)]
#[error("{message}")]
pub struct Error {
    kind: ErrorKind,
    message: String,
    context: Vec<(&'static str, String)>,
    transient: Option<bool>,
    #[source]
    source: Option<BoxError>,
}

impl Error {
    /// A new error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            context: Vec::new(),
            transient: None,
            source: None,
        }
    }

    /// Shorthand for [`ErrorKind::Validation`].
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Validation, message)
    }

    /// Shorthand for [`ErrorKind::NotFound`] naming the entity and its id.
    pub fn not_found(entity: &'static str, id: impl fmt::Display) -> Self {
        Self::new(ErrorKind::NotFound, format!("{entity} {id} not found"))
            .with_context("entity", entity)
            .with_context("id", id.to_string())
    }

    /// Shorthand for [`ErrorKind::Conflict`].
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, message)
    }

    /// Shorthand for [`ErrorKind::Storage`] with a source.
    pub fn storage(message: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self::new(ErrorKind::Storage, message).with_source(source)
    }

    /// Shorthand for [`ErrorKind::Internal`].
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }

    /// Adds a context pair (e.g. `("field", "limit")`).
    #[must_use]
    pub fn with_context(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.context.push((key, value.into()));
        self
    }

    /// Attaches the underlying cause.
    #[must_use]
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// Overrides whether this error may be retried (the default comes from the kind).
    #[must_use]
    pub fn with_transient(mut self, transient: bool) -> Self {
        self.transient = Some(transient);
        self
    }

    /// The kind of this error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, without context.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The context pairs, in the order they were added.
    pub fn context(&self) -> &[(&'static str, String)] {
        &self.context
    }

    /// The value of the first context pair named `key`.
    pub fn context_value(&self, key: &str) -> Option<&str> {
        self.context
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Whether retrying the same operation later may succeed.
    ///
    /// Timeouts, network failures, rate limits, browser failures and storage failures are
    /// transient; everything else is permanent, unless overridden with
    /// [`Error::with_transient`] (e.g. HTTP 503 is transient, HTTP 404 is not).
    pub fn is_transient(&self) -> bool {
        self.transient.unwrap_or(matches!(
            self.kind,
            ErrorKind::Timeout
                | ErrorKind::Network
                | ErrorKind::RateLimited
                | ErrorKind::Browser
                | ErrorKind::Storage
        ))
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.kind)?;
        for (k, v) in &self.context {
            write!(f, " {k}={v}")?;
        }
        if let Some(source) = &self.source {
            write!(f, ": {source:?}")?;
        }
        Ok(())
    }
}

impl From<serde_json::Error> for Error {
    fn from(err: serde_json::Error) -> Self {
        Error::new(ErrorKind::Internal, format!("JSON encoding failed: {err}")).with_source(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_follows_kind_unless_overridden() {
        assert!(Error::new(ErrorKind::Timeout, "t").is_transient());
        assert!(!Error::validation("v").is_transient());
        assert!(Error::new(ErrorKind::HttpStatus, "503")
            .with_transient(true)
            .is_transient());
        assert!(!Error::new(ErrorKind::HttpStatus, "404").is_transient());
    }

    #[test]
    fn not_found_carries_entity_and_id() {
        let err = Error::not_found("project", "abc");
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert_eq!(err.context_value("id"), Some("abc"));
        assert_eq!(err.to_string(), "project abc not found");
    }
}
