//! How the Chromium driver finds its browser: launch one locally, or connect to a running one.

use std::path::PathBuf;
use std::time::Duration;

use mino_core::{Error, Result};

pub use crate::chrome::{find_chromium, CHROME_ENV, CHROME_NAMES, DEFAULT_FLAGS};

/// Where the browser comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// Launch a local headless Chromium. `None`: [`CHROME_ENV`], then [`CHROME_NAMES`] on
    /// `PATH`, looked up at launch time.
    Launch {
        /// The binary to run.
        executable: Option<PathBuf>,
    },
    /// Connect to a running browser's DevTools endpoint: a `ws://…/devtools/browser/…` URL, or
    /// an `http://host:port` whose `/json/version` names it.
    Connect {
        /// The endpoint URL.
        url: String,
    },
}

/// Configuration of a [`ChromiumDriver`](super::ChromiumDriver).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChromiumConfig {
    /// Where the browser comes from.
    pub endpoint: Endpoint,
    /// Extra command-line flags for a launched browser (e.g. `--lang=de`).
    pub args: Vec<String>,
    /// Whether to run Chromium's sandbox. Off by default: it cannot start as root in a
    /// container, which is where MINO's workers usually run.
    pub sandbox: bool,
    /// How long a launch may take before it counts as failed.
    pub launch_timeout: Duration,
    /// Upper bound of every CDP command, including a navigation's wait for the load event: a
    /// `goto` timeout longer than this is cut to it.
    pub request_timeout: Duration,
    /// How long opening a session (creating a browser context and a tab) may take before the
    /// browser counts as hung and is replaced on the next open.
    pub health_timeout: Duration,
    /// JPEG quality of live frames (1–100).
    pub frame_quality: u8,
}

impl ChromiumConfig {
    /// Launch a local headless Chromium found via [`CHROME_ENV`] or `PATH`.
    pub fn local() -> Self {
        Self::with_endpoint(Endpoint::Launch { executable: None })
    }

    /// Connect to a running browser at a DevTools URL (`ws://`, `wss://`, `http://`, `https://`).
    pub fn remote(url: &str) -> Result<Self> {
        let parsed = url::Url::parse(url).map_err(|err| {
            Error::validation(format!("invalid CDP endpoint URL: {err}"))
                .with_context("url", url)
                .with_source(err)
        })?;
        if !matches!(parsed.scheme(), "ws" | "wss" | "http" | "https") {
            return Err(Error::validation(format!(
                "CDP endpoint must be a ws://, wss://, http:// or https:// URL, got {url:?}"
            ))
            .with_context("url", url));
        }
        Ok(Self::with_endpoint(Endpoint::Connect {
            url: url.to_owned(),
        }))
    }

    fn with_endpoint(endpoint: Endpoint) -> Self {
        ChromiumConfig {
            endpoint,
            args: Vec::new(),
            sandbox: false,
            launch_timeout: Duration::from_secs(20),
            request_timeout: Duration::from_secs(60),
            health_timeout: Duration::from_secs(10),
            frame_quality: 60,
        }
    }

    /// Uses this binary instead of looking one up (only for [`Endpoint::Launch`]).
    #[must_use]
    pub fn executable(mut self, path: impl Into<PathBuf>) -> Self {
        if let Endpoint::Launch { executable } = &mut self.endpoint {
            *executable = Some(path.into());
        }
        self
    }

    /// Adds a command-line flag for a launched browser.
    #[must_use]
    pub fn arg(mut self, flag: impl Into<String>) -> Self {
        self.args.push(flag.into());
        self
    }

    /// Sets [`ChromiumConfig::request_timeout`].
    #[must_use]
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Sets [`ChromiumConfig::health_timeout`].
    #[must_use]
    pub fn health_timeout(mut self, timeout: Duration) -> Self {
        self.health_timeout = timeout;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_endpoints_are_validated() {
        let config = ChromiumConfig::remote("ws://127.0.0.1:9222/devtools/browser/abc")
            .expect("ws url is fine");
        assert!(matches!(config.endpoint, Endpoint::Connect { .. }));
        assert!(ChromiumConfig::remote("http://127.0.0.1:9222").is_ok());
        for bad in ["127.0.0.1:9222", "file:///tmp/x", "not a url"] {
            let err = ChromiumConfig::remote(bad).expect_err(bad);
            assert_eq!(err.kind(), mino_core::ErrorKind::Validation);
        }
    }

    #[test]
    fn executable_only_applies_to_launches() {
        let config = ChromiumConfig::local().executable("/opt/chrome");
        assert_eq!(
            config.endpoint,
            Endpoint::Launch {
                executable: Some("/opt/chrome".into())
            }
        );
        let remote = ChromiumConfig::remote("ws://h:1/x")
            .expect("valid")
            .executable("/opt/chrome");
        assert!(matches!(remote.endpoint, Endpoint::Connect { .. }));
    }
}
