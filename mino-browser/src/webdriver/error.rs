//! The one place where thirtyfour's errors become [`mino_core::Error`]s.
//!
//! chromedriver reports navigation failures and crashes as `unknown error` with Chromium's own
//! wording in the message, so those are told apart here by that wording.

use mino_core::browser::navigation::net_error;
use mino_core::{Error, ErrorKind};
use thirtyfour::error::{WebDriverError, WebDriverErrorInner as Inner};

/// Maps an error of thirtyfour to a MINO error of the right kind. `op` names the operation
/// (e.g. `goto`) and `url` the page asked for, when there is one.
pub(crate) fn map_wd(err: WebDriverError, op: &'static str, url: Option<&str>) -> Error {
    let text = err.to_string();
    if let (Some(url), Some(code)) = (url, net_error_name(&text)) {
        return net_error(code, url).with_context("op", op).with_source(err);
    }
    let (kind, message) = match err.as_inner() {
        // chromedriver's own error codes (e.g. "tab crashed") are outside the W3C list.
        _ if is_crash(&text) => (ErrorKind::Browser, "the tab crashed"),
        Inner::NoSuchElement(_) | Inner::InvalidSelector(_) => {
            (ErrorKind::Validation, "no such element or invalid selector")
        }
        Inner::JavascriptError(_) => (ErrorKind::Validation, "JavaScript threw"),
        Inner::InvalidArgument(_) | Inner::InvalidUrl(_) => {
            (ErrorKind::Validation, "invalid argument")
        }
        Inner::WebDriverTimeout(_) | Inner::ScriptTimeout(_) | Inner::Timeout(_) => {
            (ErrorKind::Timeout, "timed out")
        }
        Inner::Json(_) | Inner::ParseError(_) | Inner::DecodeError(_) => (
            ErrorKind::Internal,
            "could not understand the WebDriver server",
        ),
        Inner::UnsupportedOperation(_) | Inner::UnknownCommand(_) | Inner::UnknownMethod(_) => (
            ErrorKind::Unsupported,
            "the WebDriver server does not support this",
        ),
        // Everything else is the server, the session or the browser failing: the tab crashed,
        // the browser or chromedriver is gone, the session was deleted. A new session may work.
        _ => (ErrorKind::Browser, "WebDriver failed"),
    };
    let mut mapped = Error::new(kind, format!("{op}: {message}: {text}")).with_context("op", op);
    if kind == ErrorKind::Browser {
        mapped = mapped.with_transient(true);
    }
    mapped.with_source(err)
}

/// The `net::ERR_…` name in a chromedriver message, e.g. `ERR_CONNECTION_REFUSED` in
/// `unknown error: net::ERR_CONNECTION_REFUSED`.
fn net_error_name(text: &str) -> Option<&str> {
    let start = text.find("net::ERR_")?;
    let rest = &text[start..];
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

fn is_crash(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    text.contains("tab crashed") || text.contains("page crash")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn net_error_names_are_found_in_messages() {
        assert_eq!(
            net_error_name(
                "unknown error: net::ERR_CONNECTION_REFUSED\n  (Session info: chrome=156)"
            ),
            Some("net::ERR_CONNECTION_REFUSED")
        );
        assert_eq!(net_error_name("no such window"), None);
    }

    #[test]
    fn kinds_follow_the_failure() {
        let refused = map_wd(
            WebDriverError::RequestFailed("connection refused".into()),
            "open",
            None,
        );
        assert_eq!(refused.kind(), ErrorKind::Browser);
        assert!(refused.is_transient());
        let timeout = map_wd(
            WebDriverError::Timeout("slow".into()),
            "goto",
            Some("http://x/"),
        );
        assert_eq!(timeout.kind(), ErrorKind::Timeout);
        let net = map_wd(
            WebDriverError::HttpError("unknown error: net::ERR_NAME_NOT_RESOLVED".into()),
            "goto",
            Some("http://x/"),
        );
        assert_eq!(net.kind(), ErrorKind::Network);
        assert_eq!(
            net.context_value("net_error"),
            Some("ERR_NAME_NOT_RESOLVED")
        );
    }
}
