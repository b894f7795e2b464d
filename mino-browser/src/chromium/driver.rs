//! [`ChromiumDriver`]: one browser, one fresh browser context per session.

use std::sync::Arc;

use async_trait::async_trait;
use chromiumoxide::cdp::browser_protocol::target::CreateBrowserContextParams;
use mino_core::browser::navigation::check_proxy;
use mino_core::browser::{
    BrowserDriver, BrowserSession, Capabilities, SessionOptions, DEFAULT_VIEWPORT,
};
use mino_core::{Error, ErrorKind, Result};
use tokio::sync::Mutex;

use super::config::ChromiumConfig;
use super::error::map_cdp;
use super::instance::Instance;
use super::session::ChromiumSession;

/// Drives Chromium over the DevTools protocol (chromiumoxide).
///
/// The browser is launched (or connected to) on the first [`open`](BrowserDriver::open), not
/// when the driver is built. Every session gets its own browser context — an incognito-like
/// profile with its own cookies, storage, cache and optional proxy — that is disposed when the
/// session closes. When the browser dies or hangs, the next `open` starts a new one.
#[derive(Debug)]
pub struct ChromiumDriver {
    config: ChromiumConfig,
    instance: Mutex<Option<Arc<Instance>>>,
}

impl ChromiumDriver {
    /// A driver with this configuration. Starts nothing yet.
    pub fn new(config: ChromiumConfig) -> Self {
        ChromiumDriver {
            config,
            instance: Mutex::new(None),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ChromiumConfig {
        &self.config
    }

    /// The process id of the launched browser, while one runs (`None` for a remote browser).
    /// Useful for monitoring, and for tests that kill the browser on purpose.
    pub async fn browser_pid(&self) -> Option<u32> {
        let guard = self.instance.lock().await;
        guard
            .as_ref()
            .filter(|instance| instance.is_alive())
            .and_then(|instance| instance.pid())
    }

    /// Closes the browser now instead of when the driver is dropped. Open sessions fail with
    /// [`ErrorKind::Browser`] afterwards; a later `open` launches a new browser.
    pub async fn shutdown(&self) {
        let instance = self.instance.lock().await.take();
        if let Some(instance) = instance {
            match Arc::try_unwrap(instance) {
                Ok(instance) => instance.shutdown().await,
                // Sessions still hold it; it is killed when the last one closes.
                Err(shared) => drop(shared),
            }
        }
    }

    /// The live instance, started if there is none or the last one died.
    async fn instance(&self) -> Result<Arc<Instance>> {
        let mut guard = self.instance.lock().await;
        if let Some(instance) = guard.as_ref() {
            if instance.is_alive() {
                return Ok(instance.clone());
            }
            tracing::warn!("Chromium died; starting a new one");
        }
        *guard = None;
        let instance = Arc::new(Instance::start(&self.config).await?);
        *guard = Some(instance.clone());
        Ok(instance)
    }

    /// Forgets `instance` if it is still the current one, so the next `open` starts afresh.
    async fn discard(&self, instance: &Arc<Instance>) {
        let mut guard = self.instance.lock().await;
        if guard.as_ref().is_some_and(|cur| Arc::ptr_eq(cur, instance)) {
            *guard = None;
        }
    }

    async fn new_session(
        &self,
        instance: Arc<Instance>,
        options: &SessionOptions,
    ) -> Result<ChromiumSession> {
        let context_params = CreateBrowserContextParams {
            dispose_on_detach: Some(true),
            proxy_server: options.proxy.clone(),
            ..CreateBrowserContextParams::default()
        };
        let context = instance
            .browser
            .create_browser_context(context_params)
            .await
            .map_err(|err| map_cdp(err, "open"))?;
        let viewport = options.viewport.filter(|v| *v != DEFAULT_VIEWPORT);
        ChromiumSession::start(instance, context, viewport, self.config.frame_quality).await
    }
}

#[async_trait]
impl BrowserDriver for ChromiumDriver {
    fn name(&self) -> &'static str {
        "chromium"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            live_frames: true,
            proxy_per_session: true,
            http_status: true,
        }
    }

    async fn open(&self, options: SessionOptions) -> Result<Box<dyn BrowserSession>> {
        if let Some(proxy) = &options.proxy {
            check_proxy(proxy)?;
        }
        let instance = self.instance().await?;
        // Opening a session doubles as the health check: a browser that cannot make a context
        // and a tab in time is hung, and is replaced on the next open.
        let opened = tokio::time::timeout(
            self.config.health_timeout,
            self.new_session(instance.clone(), &options),
        )
        .await;
        match opened {
            Ok(Ok(session)) => Ok(Box::new(session)),
            Ok(Err(err)) => {
                if !instance.is_alive() {
                    self.discard(&instance).await;
                }
                Err(err)
            }
            Err(_) => {
                tracing::warn!(timeout = ?self.config.health_timeout, "Chromium is not answering; it will be replaced");
                self.discard(&instance).await;
                Err(Error::new(
                    ErrorKind::Browser,
                    "the browser did not open a session in time (hung)",
                )
                .with_context("op", "open"))
            }
        }
    }
}
