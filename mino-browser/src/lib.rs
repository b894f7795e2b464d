#![doc = include_str!("../README.md")]

use mino_core::browser::DynBrowserDriver;
use mino_core::Result;
#[cfg(not(all(feature = "chromium", feature = "webdriver")))]
use mino_core::{Error, ErrorKind};

#[cfg(feature = "agentql")]
pub mod agentql;
pub mod agents;
#[cfg(feature = "chromium")]
pub mod chromium;
#[cfg(feature = "llm")]
pub mod llm;
#[cfg(feature = "webdriver")]
pub mod webdriver;

pub use agents::register_agents;

#[cfg(feature = "chromium")]
pub use chromium::{ChromiumConfig, ChromiumDriver, ChromiumSession};
#[cfg(feature = "webdriver")]
pub use webdriver::{WebDriverConfig, WebDriverDriver, WebDriverSession};

/// Builds a driver from a short textual spec, as given on a command line or in a config file.
///
/// | spec | driver |
/// | --- | --- |
/// | `chromium` | local headless Chromium ([`ChromiumConfig::local`]) |
/// | `cdp:ws://…` (or `cdp:http://…`) | a running Chromium's DevTools endpoint ([`ChromiumConfig::remote`]) |
/// | `webdriver` | a chromedriver spawned locally ([`WebDriverConfig::local`]) |
/// | `webdriver:http://…` | a WebDriver server such as Selenium Grid ([`WebDriverConfig::remote`]) |
///
/// Nothing is started here: drivers launch or connect on their first `open`. An unknown spec is
/// a [`Validation`](mino_core::ErrorKind::Validation) error; a spec whose driver this build
/// leaves out is [`Unsupported`](mino_core::ErrorKind::Unsupported).
pub fn driver_from_spec(spec: &str) -> Result<DynBrowserDriver> {
    let spec = spec.trim();
    let (kind, endpoint) = match spec.split_once(':') {
        Some((kind, rest)) => (kind, Some(rest)),
        None => (spec, None),
    };
    match (kind, endpoint) {
        ("chromium", None) => chromium_driver(None),
        ("cdp", Some(url)) if !url.is_empty() => chromium_driver(Some(url)),
        ("webdriver", None) => webdriver_driver(None),
        ("webdriver", Some(url)) if !url.is_empty() => webdriver_driver(Some(url)),
        _ => Err(mino_core::Error::validation(format!(
            "unknown browser driver spec {spec:?}; expected chromium, cdp:<url>, webdriver or webdriver:<url>"
        ))
        .with_context("spec", spec)),
    }
}

#[cfg(feature = "chromium")]
fn chromium_driver(remote: Option<&str>) -> Result<DynBrowserDriver> {
    let config = match remote {
        Some(url) => ChromiumConfig::remote(url)?,
        None => ChromiumConfig::local(),
    };
    Ok(std::sync::Arc::new(ChromiumDriver::new(config)))
}

#[cfg(not(feature = "chromium"))]
fn chromium_driver(_remote: Option<&str>) -> Result<DynBrowserDriver> {
    Err(Error::new(
        ErrorKind::Unsupported,
        "this build of mino-browser has no Chromium driver (feature `chromium`)",
    ))
}

#[cfg(feature = "webdriver")]
fn webdriver_driver(remote: Option<&str>) -> Result<DynBrowserDriver> {
    let config = match remote {
        Some(url) => WebDriverConfig::remote(url)?,
        None => WebDriverConfig::local(),
    };
    Ok(std::sync::Arc::new(WebDriverDriver::new(config)))
}

#[cfg(not(feature = "webdriver"))]
fn webdriver_driver(_remote: Option<&str>) -> Result<DynBrowserDriver> {
    Err(Error::new(
        ErrorKind::Unsupported,
        "this build of mino-browser has no WebDriver driver (feature `webdriver`)",
    ))
}

/// Decodes the base64 images browsers send (screenshots, frames).
#[cfg(any(feature = "chromium", feature = "webdriver"))]
pub(crate) fn decode_base64(data: &str, op: &'static str) -> Result<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|err| {
            mino_core::Error::new(
                mino_core::ErrorKind::Internal,
                format!("{op}: the browser sent invalid base64"),
            )
            .with_context("op", op)
            .with_source(err)
        })
}

/// Removes a directory a browser wrote into. Chromium's helper processes (storage, network)
/// outlive a killed browser by a few milliseconds and may still write into it, so a failed
/// removal is retried for up to two seconds before it is given up with a warning.
#[cfg(any(feature = "chromium", feature = "webdriver"))]
pub(crate) fn remove_dir_retrying(path: &std::path::Path) {
    let mut last_error = None;
    for _ in 0..80 {
        match std::fs::remove_dir_all(path) {
            Ok(()) => return,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return,
            Err(err) => last_error = Some(err),
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    if let Some(err) = last_error {
        tracing::warn!(path = %path.display(), error = %err, "could not remove a browser directory");
    }
}

/// Finding Chromium and the flags it needs, shared by both drivers (the WebDriver driver tells
/// chromedriver which binary to start and with which flags).
pub mod chrome {
    use std::path::{Path, PathBuf};
    /// Environment variable naming the Chromium (or Chrome) binary to launch.
    pub const CHROME_ENV: &str = "MINO_CHROME";

    /// Binary names searched on `PATH` when [`CHROME_ENV`] is not set, in order.
    pub const CHROME_NAMES: &[&str] = &[
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ];

    /// Flags every browser MINO starts gets (besides headless and, as root, no-sandbox).
    ///
    /// `--disable-gpu` because containers have none; the background-networking,
    /// component-update, sync and QUIC flags because Chromium's own outbound connections
    /// (updates, field trials) are refused in sandboxed networks and would only slow page loads
    /// and disturb network idleness; `--no-first-run` and `--no-default-browser-check` so no
    /// welcome page or prompt opens.
    pub const DEFAULT_FLAGS: &[&str] = &[
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--no-first-run",
        "--no-default-browser-check",
    ];

    /// The Chromium binary to start: [`CHROME_ENV`] when set, else the first of
    /// [`CHROME_NAMES`] on `PATH`.
    pub fn find_chromium() -> Option<PathBuf> {
        find_executable(CHROME_ENV, CHROME_NAMES)
    }

    /// The first of `names` that is an executable file on `PATH`.
    pub(crate) fn find_on_path(names: &[&str]) -> Option<PathBuf> {
        let path = std::env::var_os("PATH")?;
        let dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
        names
            .iter()
            .flat_map(|name| dirs.iter().map(move |dir| dir.join(name)))
            .find(|candidate| is_executable(candidate))
    }

    /// An executable from an environment variable when it is set, else the first of `names` on
    /// `PATH`. A variable naming a file that is not executable is ignored with a warning, so that a
    /// stale setting does not hide a working install.
    pub(crate) fn find_executable(env_var: &str, names: &[&str]) -> Option<PathBuf> {
        if let Some(value) = std::env::var_os(env_var).filter(|v| !v.is_empty()) {
            let path = PathBuf::from(&value);
            if is_executable(&path) {
                return Some(path);
            }
            if let Some(found) = find_on_path(&[&value.to_string_lossy()]) {
                return Some(found);
            }
            tracing::warn!(var = env_var, value = %path.display(), "not an executable; searching PATH");
        }
        find_on_path(names)
    }

    fn is_executable(path: &Path) -> bool {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path)
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_specs_are_validation_errors() {
        for spec in ["", "firefox", "cdp:", "webdriver:", "chromium:ws://x"] {
            let err = driver_from_spec(spec).expect_err(spec);
            assert_eq!(err.kind(), mino_core::ErrorKind::Validation, "{spec}");
        }
    }

    #[cfg(all(feature = "chromium", feature = "webdriver"))]
    #[test]
    fn known_specs_build_drivers_without_starting_anything() {
        assert_eq!(
            driver_from_spec("chromium").expect("local").name(),
            "chromium"
        );
        assert_eq!(
            driver_from_spec("cdp:ws://127.0.0.1:9222/devtools/browser/x")
                .expect("remote")
                .name(),
            "chromium"
        );
        assert_eq!(
            driver_from_spec("webdriver").expect("local").name(),
            "webdriver"
        );
        assert_eq!(
            driver_from_spec("webdriver:http://127.0.0.1:4444")
                .expect("remote")
                .name(),
            "webdriver"
        );
        let err = driver_from_spec("cdp:not a url").expect_err("bad url");
        assert_eq!(err.kind(), mino_core::ErrorKind::Validation);
    }

    #[test]
    fn path_lookup_finds_sh() {
        assert!(chrome::find_on_path(&["definitely-not-a-real-binary-mino", "sh"]).is_some());
        assert!(chrome::find_on_path(&["definitely-not-a-real-binary-mino"]).is_none());
    }
}
