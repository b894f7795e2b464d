//! One running browser: launched locally or connected to, with its CDP handler task.
//!
//! The driver keeps the current instance and replaces it when it dies; sessions keep an `Arc`
//! to the instance they were opened in, so a replaced instance lives until its last session
//! closes.

use std::time::Duration;

use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::handler::viewport::Viewport;
use chromiumoxide::handler::HandlerConfig;
use futures::StreamExt;
use mino_core::browser::DEFAULT_VIEWPORT;
use mino_core::{Error, ErrorKind, Result};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::config::{find_chromium, ChromiumConfig, Endpoint, DEFAULT_FLAGS};
use super::error::map_cdp;

/// A running browser and the task that drives its CDP connection.
#[derive(Debug)]
pub(crate) struct Instance {
    pub(crate) browser: Browser,
    /// `true` while the CDP connection is up; turns `false` for good when the handler ends
    /// (websocket closed, process gone).
    alive: watch::Receiver<bool>,
    handler: JoinHandle<()>,
    pid: Option<u32>,
    /// Fresh profile of a launched browser, removed after the process is gone. Declared after
    /// `browser` so it is dropped after it.
    profile: Option<tempfile::TempDir>,
}

impl Instance {
    /// Launches or connects as the config says.
    pub(crate) async fn start(config: &ChromiumConfig) -> Result<Instance> {
        match &config.endpoint {
            Endpoint::Launch { executable } => Self::launch(config, executable.clone()).await,
            Endpoint::Connect { url } => Self::connect(config, url).await,
        }
    }

    async fn launch(
        config: &ChromiumConfig,
        executable: Option<std::path::PathBuf>,
    ) -> Result<Instance> {
        let executable = executable.or_else(find_chromium).ok_or_else(|| {
            Error::new(
                ErrorKind::Browser,
                "no Chromium found: set MINO_CHROME or put chromium on PATH",
            )
            .with_transient(false)
        })?;
        let profile = tempfile::Builder::new()
            .prefix("mino-chromium-")
            .tempdir()
            .map_err(|err| {
                Error::new(
                    ErrorKind::Internal,
                    "could not create a Chromium profile dir",
                )
                .with_source(err)
            })?;
        // Chromium keeps per-process files (singleton socket, scoped dirs) in TMPDIR and only
        // removes them on a clean exit; pointing TMPDIR into the profile removes them with it
        // even after a kill.
        let tmp = profile.path().join("tmp");
        std::fs::create_dir_all(&tmp).map_err(|err| {
            Error::new(ErrorKind::Internal, "could not create a Chromium temp dir").with_source(err)
        })?;
        let (width, height) = DEFAULT_VIEWPORT;
        let mut builder = BrowserConfig::builder()
            .chrome_executable(&executable)
            .user_data_dir(profile.path().join("profile"))
            .env("TMPDIR", tmp.to_string_lossy())
            .window_size(width, height)
            .viewport(viewport(DEFAULT_VIEWPORT))
            .launch_timeout(config.launch_timeout)
            .request_timeout(config.request_timeout)
            .args(DEFAULT_FLAGS.iter().copied().map(bare_flag))
            .args(config.args.iter().map(String::as_str).map(bare_flag));
        if !config.sandbox {
            builder = builder.no_sandbox();
        }
        let browser_config = builder
            .build()
            .map_err(|msg| Error::new(ErrorKind::Internal, msg))?;
        let (mut browser, handler) = Browser::launch(browser_config)
            .await
            .map_err(|err| map_cdp(err, "launch"))?;
        let pid = browser
            .get_mut_child()
            .and_then(|child| child.as_mut_inner().id());
        tracing::info!(executable = %executable.display(), ?pid, "launched Chromium");
        Ok(Self::with_handler(browser, handler, pid, Some(profile)))
    }

    async fn connect(config: &ChromiumConfig, url: &str) -> Result<Instance> {
        let handler_config = HandlerConfig {
            viewport: Some(viewport(DEFAULT_VIEWPORT)),
            request_timeout: config.request_timeout,
            ..HandlerConfig::default()
        };
        let connect = Browser::connect_with_config(url, handler_config);
        let (browser, handler) = tokio::time::timeout(config.launch_timeout, connect)
            .await
            .map_err(|_| {
                Error::new(
                    ErrorKind::Browser,
                    "timed out connecting to the CDP endpoint",
                )
                .with_context("url", url)
            })?
            .map_err(|err| {
                Error::new(
                    ErrorKind::Browser,
                    format!("could not connect to the CDP endpoint: {err}"),
                )
                .with_context("url", url)
                .with_source(err)
            })?;
        tracing::info!(url, "connected to Chromium");
        Ok(Self::with_handler(browser, handler, None, None))
    }

    fn with_handler(
        browser: Browser,
        mut handler: chromiumoxide::Handler,
        pid: Option<u32>,
        profile: Option<tempfile::TempDir>,
    ) -> Instance {
        let (alive_tx, alive) = watch::channel(true);
        // The handler must be polled for anything to happen; it yields an error only when the
        // connection is broken, so the first error ends the instance.
        let handler = tokio::spawn(async move {
            while let Some(event) = handler.next().await {
                if let Err(err) = event {
                    tracing::warn!(error = %err, "Chromium connection ended");
                    break;
                }
            }
            let _ = alive_tx.send(false);
        });
        Instance {
            browser,
            alive,
            handler,
            pid,
            profile,
        }
    }

    /// Whether the CDP connection is still up.
    pub(crate) fn is_alive(&self) -> bool {
        *self.alive.borrow()
    }

    /// A receiver that turns `false` when the connection ends.
    pub(crate) fn alive(&self) -> watch::Receiver<bool> {
        self.alive.clone()
    }

    /// The process id of a launched browser.
    pub(crate) fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// Closes the browser politely, then makes sure it is gone.
    pub(crate) async fn shutdown(mut self) {
        if self.is_alive() {
            let close = self.browser.close();
            if tokio::time::timeout(Duration::from_secs(5), close)
                .await
                .is_err()
            {
                tracing::warn!("Chromium did not close in time; killing it");
            }
        }
        if let Some(child) = self.browser.get_mut_child() {
            let child = child.as_mut_inner();
            if tokio::time::timeout(Duration::from_secs(5), child.wait())
                .await
                .is_err()
            {
                let _ = child.kill().await;
            }
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.handler.abort();
        if let Some(child) = self.browser.get_mut_child() {
            // Kill and reap before the profile directory is removed, so Chromium cannot write
            // into it while it is being deleted. SIGKILL takes effect within milliseconds.
            let child = child.as_mut_inner();
            if let Ok(None) = child.try_wait() {
                let _ = child.start_kill();
                for _ in 0..200 {
                    if !matches!(child.try_wait(), Ok(None)) {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        }
        if let Some(profile) = self.profile.take() {
            crate::remove_dir_retrying(&profile.keep());
        }
    }
}

/// chromiumoxide puts `--` in front of every flag itself, so flags are passed without it.
fn bare_flag(flag: &str) -> &str {
    flag.strip_prefix("--").unwrap_or(flag)
}

fn viewport((width, height): (u32, u32)) -> Viewport {
    Viewport {
        width,
        height,
        ..Viewport::default()
    }
}
