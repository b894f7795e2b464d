//! [`WebDriverDriver`]: a fresh WebDriver session (and browser) per MINO session.

use std::sync::Arc;

use async_trait::async_trait;
use mino_core::browser::navigation::check_proxy;
use mino_core::browser::{
    BrowserDriver, BrowserSession, Capabilities, SessionOptions, DEFAULT_VIEWPORT,
};
use mino_core::{Error, ErrorKind, Result};
use thirtyfour::{ChromeCapabilities, ChromiumLikeCapabilities, DesiredCapabilities, WebDriver};
use tokio::sync::Mutex;

use super::config::{find_chromedriver, Endpoint, WebDriverConfig};
use super::error::map_wd;
use super::service::Service;
use super::session::WebDriverSession;

/// Drives headless Chromium through a WebDriver server (thirtyfour): a chromedriver it spawns,
/// or a remote server such as Selenium Grid.
///
/// Every session is a new WebDriver session, so a new browser with a fresh profile: isolation
/// is complete, at the cost of a browser start per session. A spawned chromedriver is started on
/// the first [`open`](BrowserDriver::open), restarted when it died, and shut down (with the
/// browsers it started) when the driver and its sessions are gone.
///
/// WebDriver does not tell the HTTP status of a page, so 4xx/5xx pages load without an error
/// ([`Capabilities::http_status`] is false). Live frames, JPEG screenshots and network idleness
/// use chromedriver's DevTools passthrough, so they need a Chromium-based browser behind the
/// server.
#[derive(Debug)]
pub struct WebDriverDriver {
    config: WebDriverConfig,
    service: Mutex<Option<Arc<Mutex<Service>>>>,
}

impl WebDriverDriver {
    /// A driver with this configuration. Starts nothing yet.
    pub fn new(config: WebDriverConfig) -> Self {
        WebDriverDriver {
            config,
            service: Mutex::new(None),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &WebDriverConfig {
        &self.config
    }

    /// The process id of the spawned chromedriver, while one runs.
    pub async fn chromedriver_pid(&self) -> Option<u32> {
        let guard = self.service.lock().await;
        let service = guard.as_ref()?;
        let mut service = service.lock().await;
        if service.is_running() {
            service.pid()
        } else {
            None
        }
    }

    /// The server URL, spawning chromedriver if needed, and the service to keep alive while a
    /// session uses it.
    async fn server(&self) -> Result<(String, Option<Arc<Mutex<Service>>>)> {
        let binary = match &self.config.endpoint {
            Endpoint::Remote { url } => return Ok((url.clone(), None)),
            Endpoint::Spawn { chromedriver } => chromedriver.clone(),
        };
        let mut guard = self.service.lock().await;
        if let Some(service) = guard.as_ref() {
            let mut running = service.lock().await;
            if running.is_running() {
                return Ok((running.url(), Some(service.clone())));
            }
            tracing::warn!("chromedriver died; starting a new one");
        }
        *guard = None;
        let binary = binary.or_else(find_chromedriver).ok_or_else(|| {
            Error::new(
                ErrorKind::Browser,
                "no chromedriver found: set MINO_CHROMEDRIVER or put chromedriver on PATH",
            )
            .with_transient(false)
        })?;
        let service = Service::spawn(&binary, self.config.start_timeout).await?;
        let url = service.url();
        let service = Arc::new(Mutex::new(service));
        *guard = Some(service.clone());
        Ok((url, Some(service)))
    }

    /// Forgets `service` if it is still the current one, so the next `open` spawns afresh.
    async fn discard(&self, service: &Arc<Mutex<Service>>) {
        let mut guard = self.service.lock().await;
        if guard.as_ref().is_some_and(|cur| Arc::ptr_eq(cur, service)) {
            *guard = None;
        }
    }

    fn capabilities_for(&self, options: &SessionOptions) -> Result<ChromeCapabilities> {
        let mut caps = DesiredCapabilities::chrome();
        let cap_err = |err| map_wd(err, "open", None);
        caps.set_headless().map_err(cap_err)?;
        if !self.config.sandbox {
            caps.set_no_sandbox().map_err(cap_err)?;
        }
        let binary = self
            .config
            .browser_binary
            .clone()
            .or_else(|| match self.config.endpoint {
                Endpoint::Spawn { .. } => crate::chrome::find_chromium(),
                Endpoint::Remote { .. } => None,
            });
        if let Some(binary) = binary {
            caps.set_binary(&binary.to_string_lossy())
                .map_err(cap_err)?;
        }
        let (width, height) = options.viewport.unwrap_or(DEFAULT_VIEWPORT);
        caps.add_arg(&format!("--window-size={width},{height}"))
            .map_err(cap_err)?;
        if let Some(proxy) = &options.proxy {
            caps.add_arg(&format!("--proxy-server={proxy}"))
                .map_err(cap_err)?;
        }
        for flag in crate::chrome::DEFAULT_FLAGS
            .iter()
            .copied()
            .chain(self.config.args.iter().map(String::as_str))
        {
            caps.add_arg(flag).map_err(cap_err)?;
        }
        Ok(caps)
    }
}

#[async_trait]
impl BrowserDriver for WebDriverDriver {
    fn name(&self) -> &'static str {
        "webdriver"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            live_frames: true,
            proxy_per_session: true,
            http_status: false,
        }
    }

    async fn open(&self, options: SessionOptions) -> Result<Box<dyn BrowserSession>> {
        if let Some(proxy) = &options.proxy {
            check_proxy(proxy)?;
        }
        let (url, service) = self.server().await?;
        let caps = self.capabilities_for(&options)?;
        let connect = WebDriver::builder(url.as_str(), caps)
            .request_timeout(self.config.request_timeout)
            .connect();
        let driver = match tokio::time::timeout(self.config.session_timeout, connect).await {
            Ok(Ok(driver)) => driver,
            Ok(Err(err)) => return Err(map_wd(err, "open", None).with_context("server", url)),
            Err(_) => {
                if let Some(service) = &service {
                    tracing::warn!(
                        "chromedriver did not create a session in time; it will be replaced"
                    );
                    self.discard(service).await;
                }
                return Err(Error::new(
                    ErrorKind::Browser,
                    "the WebDriver server did not create a session in time (hung)",
                )
                .with_context("op", "open")
                .with_context("server", url));
            }
        };
        let viewport = options.viewport.unwrap_or(DEFAULT_VIEWPORT);
        let session =
            WebDriverSession::start(driver, service, viewport, self.config.frame_quality).await;
        Ok(Box::new(session))
    }
}
