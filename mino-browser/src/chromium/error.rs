//! The one place where chromiumoxide's errors become [`mino_core::Error`]s.

use chromiumoxide::error::CdpError;
use mino_core::{Error, ErrorKind};

/// Maps an error of chromiumoxide to a MINO error of the right kind. `op` names the operation
/// (e.g. `goto`) for the context.
pub(crate) fn map_cdp(err: CdpError, op: &'static str) -> Error {
    let (kind, message) = match &err {
        // The websocket or the handler task is gone: the browser died or was disconnected.
        CdpError::Ws(_)
        | CdpError::ChannelSendError(_)
        | CdpError::NoResponse
        | CdpError::Io(_) => (
            ErrorKind::Browser,
            "lost the connection to the browser".to_owned(),
        ),
        CdpError::LaunchExit(..) | CdpError::LaunchTimeout(_) | CdpError::LaunchIo(..) => {
            (ErrorKind::Browser, "could not start Chromium".to_owned())
        }
        CdpError::Timeout => (
            ErrorKind::Timeout,
            "the browser did not answer in time".to_owned(),
        ),
        CdpError::JavascriptException(details) => (
            ErrorKind::Validation,
            format!("JavaScript threw: {}", exception_text(details)),
        ),
        CdpError::Url(_) => (ErrorKind::Validation, "invalid URL".to_owned()),
        CdpError::Serde(_) | CdpError::InvalidMessage(..) | CdpError::DecodeError(_) => (
            ErrorKind::Internal,
            "could not decode the browser's answer".to_owned(),
        ),
        // Protocol errors, unknown frames, "target closed" and the like: the page changed under
        // the command (navigation, crash). Trying again in a fresh session usually works.
        CdpError::Chrome(_)
        | CdpError::ChromeMessage(_)
        | CdpError::FrameNotFound(_)
        | CdpError::NotFound
        | CdpError::ScrollingFailed(_)
        | CdpError::UnexpectedWsMessage(_) => (ErrorKind::Browser, "browser error".to_owned()),
    };
    Error::new(kind, format!("{op}: {message}: {err}"))
        .with_context("op", op)
        .with_source(err)
}

/// The most useful line of a JavaScript exception: the thrown error's description when it has
/// one, else the exception's text.
fn exception_text(details: &chromiumoxide::cdp::js_protocol::runtime::ExceptionDetails) -> String {
    details
        .exception
        .as_ref()
        .and_then(|e| e.description.clone())
        .unwrap_or_else(|| details.text.clone())
}

/// The error for a tab whose renderer crashed.
pub(crate) fn tab_crashed(op: &'static str) -> Error {
    Error::new(ErrorKind::Browser, format!("{op}: the tab crashed"))
        .with_context("op", op)
        .with_transient(true)
}

/// The error for a browser whose connection ended (crash, kill, remote disconnect).
pub(crate) fn browser_gone(op: &'static str) -> Error {
    Error::new(
        ErrorKind::Browser,
        format!("{op}: the browser exited or disconnected"),
    )
    .with_context("op", op)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_the_failure() {
        let gone = map_cdp(CdpError::NoResponse, "goto");
        assert_eq!(gone.kind(), ErrorKind::Browser);
        assert!(gone.is_transient());
        assert_eq!(gone.context_value("op"), Some("goto"));
        assert_eq!(
            map_cdp(CdpError::Timeout, "goto").kind(),
            ErrorKind::Timeout
        );
        assert_eq!(
            map_cdp(CdpError::msg("x"), "click").kind(),
            ErrorKind::Browser
        );
        assert!(tab_crashed("html").is_transient());
        assert!(browser_gone("html").is_transient());
    }
}
