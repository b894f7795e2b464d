//! Where the WebDriver driver gets its sessions: a chromedriver it spawns, or a WebDriver server.

use std::path::PathBuf;
use std::time::Duration;

use mino_core::{Error, Result};

/// Environment variable naming the chromedriver binary to spawn.
pub const CHROMEDRIVER_ENV: &str = "MINO_CHROMEDRIVER";

/// Binary names searched on `PATH` when [`CHROMEDRIVER_ENV`] is not set.
pub const CHROMEDRIVER_NAMES: &[&str] = &["chromedriver"];

/// Where the WebDriver server is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// Spawn a local chromedriver on a free port. `None`: [`CHROMEDRIVER_ENV`], then
    /// [`CHROMEDRIVER_NAMES`] on `PATH`, looked up at spawn time.
    Spawn {
        /// The chromedriver binary.
        chromedriver: Option<PathBuf>,
    },
    /// A running WebDriver server, e.g. Selenium Grid at `http://grid:4444`.
    Remote {
        /// The server URL.
        url: String,
    },
}

/// Configuration of a [`WebDriverDriver`](super::WebDriverDriver).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebDriverConfig {
    /// Where the WebDriver server is.
    pub endpoint: Endpoint,
    /// The Chromium binary the server should start. `None`: for a spawned chromedriver the
    /// same lookup as the Chromium driver ([`find_chromium`](crate::chrome::find_chromium)), for
    /// a remote server its own default.
    pub browser_binary: Option<PathBuf>,
    /// Extra command-line flags for the browsers (e.g. `--lang=de`).
    pub args: Vec<String>,
    /// Whether to run Chromium's sandbox (off: it cannot start as root in a container).
    pub sandbox: bool,
    /// How long a spawned chromedriver may take to get ready.
    pub start_timeout: Duration,
    /// How long creating a session (which starts a browser) may take; past it the server counts
    /// as hung and a spawned chromedriver is replaced on the next open.
    pub session_timeout: Duration,
    /// Upper bound of one HTTP request to the server; a `goto` timeout longer than this is cut
    /// to it.
    pub request_timeout: Duration,
    /// JPEG quality of live frames (1–100).
    pub frame_quality: u8,
}

impl WebDriverConfig {
    /// Spawn a local chromedriver found via [`CHROMEDRIVER_ENV`] or `PATH`.
    pub fn local() -> Self {
        Self::with_endpoint(Endpoint::Spawn { chromedriver: None })
    }

    /// Use the WebDriver server at `url`. Only `http://`: the driver is built without a TLS
    /// stack, as WebDriver servers (chromedriver, Selenium Grid) speak plain HTTP on a trusted
    /// network; put a TLS-terminating proxy in front of a server reached over the internet.
    pub fn remote(url: &str) -> Result<Self> {
        let parsed = url::Url::parse(url).map_err(|err| {
            Error::validation(format!("invalid WebDriver URL: {err}"))
                .with_context("url", url)
                .with_source(err)
        })?;
        if parsed.scheme() != "http" {
            return Err(
                Error::validation(format!("WebDriver URL must be http://, got {url:?}"))
                    .with_context("url", url),
            );
        }
        Ok(Self::with_endpoint(Endpoint::Remote {
            url: url.to_owned(),
        }))
    }

    fn with_endpoint(endpoint: Endpoint) -> Self {
        WebDriverConfig {
            endpoint,
            browser_binary: None,
            args: Vec::new(),
            sandbox: false,
            start_timeout: Duration::from_secs(20),
            session_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(60),
            frame_quality: 60,
        }
    }

    /// Uses this chromedriver instead of looking one up (only for [`Endpoint::Spawn`]).
    #[must_use]
    pub fn chromedriver(mut self, path: impl Into<PathBuf>) -> Self {
        if let Endpoint::Spawn { chromedriver } = &mut self.endpoint {
            *chromedriver = Some(path.into());
        }
        self
    }

    /// Sets [`WebDriverConfig::browser_binary`].
    #[must_use]
    pub fn browser_binary(mut self, path: impl Into<PathBuf>) -> Self {
        self.browser_binary = Some(path.into());
        self
    }

    /// Adds a command-line flag for the browsers.
    #[must_use]
    pub fn arg(mut self, flag: impl Into<String>) -> Self {
        self.args.push(flag.into());
        self
    }
}

/// The chromedriver a local spawn would use: [`CHROMEDRIVER_ENV`] when set, else
/// `chromedriver` on `PATH`.
pub fn find_chromedriver() -> Option<PathBuf> {
    crate::chrome::find_executable(CHROMEDRIVER_ENV, CHROMEDRIVER_NAMES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_urls_are_validated() {
        assert!(WebDriverConfig::remote("http://grid:4444").is_ok());
        assert!(WebDriverConfig::remote("http://grid:4444/wd/hub").is_ok());
        for bad in [
            "grid:4444",
            "ws://grid:4444",
            "https://grid:4444",
            "nonsense",
        ] {
            let err = WebDriverConfig::remote(bad).expect_err(bad);
            assert_eq!(err.kind(), mino_core::ErrorKind::Validation);
        }
    }

    #[test]
    fn chromedriver_only_applies_to_spawns() {
        let config = WebDriverConfig::local().chromedriver("/opt/cd");
        assert_eq!(
            config.endpoint,
            Endpoint::Spawn {
                chromedriver: Some("/opt/cd".into())
            }
        );
    }
}
