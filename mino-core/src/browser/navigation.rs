//! Rules every driver applies around a navigation, so that the same site fails the same way
//! whichever driver opened it: which URLs may be opened, which HTTP statuses are errors, and
//! what Chromium's network error names mean.

use crate::error::{Error, ErrorKind, Result};

/// URL schemes a session may navigate to. `file` is needed by the offline demo; `about` and
/// `data` by agents that reset or build pages.
pub const ALLOWED_SCHEMES: &[&str] = &["http", "https", "file", "about", "data"];

/// Parses a navigation target, failing with [`ErrorKind::Validation`] (permanent) for strings
/// that are not absolute URLs or use a scheme outside [`ALLOWED_SCHEMES`].
pub fn check_url(url: &str) -> Result<url::Url> {
    let parsed = url::Url::parse(url).map_err(|err| {
        Error::validation(format!("not a valid URL: {err}"))
            .with_context("url", url)
            .with_source(err)
    })?;
    if !ALLOWED_SCHEMES.contains(&parsed.scheme()) {
        return Err(
            Error::validation(format!("URL scheme {:?} is not allowed", parsed.scheme()))
                .with_context("url", url),
        );
    }
    Ok(parsed)
}

/// Proxy schemes a session may use (those Chromium understands).
pub const PROXY_SCHEMES: &[&str] = &["http", "https", "socks4", "socks5"];

/// Checks a session's proxy (e.g. `http://127.0.0.1:3128`), failing with
/// [`ErrorKind::Validation`] for anything but `scheme://host[:port]` with a scheme of
/// [`PROXY_SCHEMES`].
pub fn check_proxy(proxy: &str) -> Result<()> {
    let invalid = |why: &str| {
        Error::validation(format!("invalid proxy {proxy:?}: {why}")).with_context("proxy", proxy)
    };
    let parsed = url::Url::parse(proxy).map_err(|err| invalid(&err.to_string()))?;
    if !PROXY_SCHEMES.contains(&parsed.scheme()) {
        return Err(invalid("the scheme must be http, https, socks4 or socks5"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(invalid("no host"));
    }
    if !matches!(parsed.path(), "" | "/") || parsed.query().is_some() {
        return Err(invalid("a proxy has no path or query"));
    }
    Ok(())
}

/// The error for a main-document HTTP status, or `None` when the status is a success.
///
/// 4xx answers are permanent except 408 (request timeout) and 429 (too many requests), which
/// ask the client to come back later; 5xx answers are transient.
pub fn status_error(status: u16, url: &str) -> Option<Error> {
    if status < 400 {
        return None;
    }
    let transient = status >= 500 || status == 408 || status == 429;
    Some(
        Error::new(ErrorKind::HttpStatus, format!("HTTP {status} from {url}"))
            .with_context("status", status.to_string())
            .with_context("url", url)
            .with_transient(transient),
    )
}

/// Maps a Chromium network error name as reported for a failed navigation (e.g.
/// `net::ERR_CONNECTION_REFUSED`) to an error of the right kind.
///
/// Connection-level failures are [`ErrorKind::Network`] (transient); a missing local file is
/// permanent; a URL Chromium refuses is [`ErrorKind::Validation`]; a network timeout is
/// [`ErrorKind::Timeout`].
pub fn net_error(name: &str, url: &str) -> Error {
    let code = name.trim().trim_start_matches("net::");
    let (kind, transient) = match code {
        "ERR_TIMED_OUT" | "ERR_CONNECTION_TIMED_OUT" => (ErrorKind::Timeout, None),
        "ERR_INVALID_URL" | "ERR_UNKNOWN_URL_SCHEME" | "ERR_DISALLOWED_URL_SCHEME" => {
            (ErrorKind::Validation, None)
        }
        "ERR_FILE_NOT_FOUND" | "ERR_ACCESS_DENIED" => (ErrorKind::Network, Some(false)),
        _ => (ErrorKind::Network, None),
    };
    let mut err = Error::new(kind, format!("navigation to {url} failed: {code}"))
        .with_context("net_error", code)
        .with_context("url", url);
    if let Some(transient) = transient {
        err = err.with_transient(transient);
    }
    err
}

/// The [`ErrorKind::Timeout`] error of a navigation that did not finish in `timeout`.
pub fn load_timeout(url: &str, timeout: std::time::Duration) -> Error {
    Error::new(
        ErrorKind::Timeout,
        format!("{url} did not load within {timeout:?}"),
    )
    .with_context("url", url)
    .with_context("op", "goto")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_before_the_browser_sees_them() {
        assert!(check_url("https://example.com/a?b").is_ok());
        assert!(check_url("file:///tmp/x.html").is_ok());
        assert!(check_url("about:blank").is_ok());
        for bad in [
            "example.com",
            "",
            "javascript:alert(1)",
            "chrome://crash",
            "ftp://x/",
        ] {
            let err = check_url(bad).expect_err(bad);
            assert_eq!(err.kind(), ErrorKind::Validation, "{bad}");
            assert!(!err.is_transient());
        }
    }

    #[test]
    fn proxies_are_checked() {
        assert!(check_proxy("http://127.0.0.1:3128").is_ok());
        assert!(check_proxy("socks5://proxy.example:1080").is_ok());
        for bad in ["127.0.0.1:3128", "ftp://x:1", "http://x:1/path", "nonsense"] {
            let err = check_proxy(bad).expect_err(bad);
            assert_eq!(err.kind(), ErrorKind::Validation, "{bad}");
        }
    }

    #[test]
    fn statuses_split_into_permanent_and_transient() {
        assert!(status_error(200, "u").is_none());
        assert!(status_error(304, "u").is_none());
        let not_found = status_error(404, "u").expect("404 is an error");
        assert_eq!(not_found.kind(), ErrorKind::HttpStatus);
        assert_eq!(not_found.context_value("status"), Some("404"));
        assert!(!not_found.is_transient());
        assert!(status_error(429, "u").expect("429").is_transient());
        assert!(status_error(503, "u").expect("503").is_transient());
    }

    #[test]
    fn net_errors_map_to_kinds() {
        let refused = net_error("net::ERR_CONNECTION_REFUSED", "http://x/");
        assert_eq!(refused.kind(), ErrorKind::Network);
        assert!(refused.is_transient());
        assert_eq!(
            refused.context_value("net_error"),
            Some("ERR_CONNECTION_REFUSED")
        );
        assert!(!net_error("net::ERR_FILE_NOT_FOUND", "file:///x").is_transient());
        assert_eq!(
            net_error("net::ERR_TIMED_OUT", "u").kind(),
            ErrorKind::Timeout
        );
        assert_eq!(
            net_error("net::ERR_UNKNOWN_URL_SCHEME", "u").kind(),
            ErrorKind::Validation
        );
    }
}
