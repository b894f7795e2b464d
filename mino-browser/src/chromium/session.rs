//! [`ChromiumSession`]: a tab in its own browser context.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chromiumoxide::cdp::browser_protocol::browser::BrowserContextId;
use chromiumoxide::cdp::browser_protocol::input::{
    DispatchKeyEventParams, DispatchKeyEventType, DispatchMouseEventParams, DispatchMouseEventType,
    MouseButton,
};
use chromiumoxide::cdp::browser_protocol::page::{
    CaptureScreenshotFormat, CaptureScreenshotParams, NavigateParams,
};
use mino_core::browser::navigation::{check_url, load_timeout, net_error, status_error};
use mino_core::browser::script::{self, ClickTarget};
use mino_core::browser::{
    BrowserSession, Frame, ImageFormat, Navigation, WaitUntil, DEFAULT_VIEWPORT,
};
use mino_core::{Error, ErrorKind, Result};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::error::map_cdp;
use super::instance::Instance;
use super::screencast;
use super::tab::Tab;

/// How long `goto` waits for the main document's response event after the load event, when it
/// has not been seen yet (events and command answers travel on different channels).
const RESPONSE_GRACE: Duration = Duration::from_millis(250);

/// A session of [`ChromiumDriver`](super::ChromiumDriver): a tab in its own browser context.
///
/// A `goto` that timed out leaves Chromium's navigation pending; the next `goto` then opens a
/// new tab in the same context (same cookies and storage) instead of queueing behind it.
#[derive(Debug)]
pub struct ChromiumSession {
    instance: Arc<Instance>,
    context: BrowserContextId,
    tab: Tab,
    viewport: Option<(u32, u32)>,
    /// A navigation timed out and may still be pending in this tab.
    stalled: bool,
    started: std::time::Instant,
    frame_quality: u8,
    frames: Option<FrameFeed>,
    /// The context was disposed (or the browser is gone); nothing to clean up on drop.
    closed: bool,
}

/// The live frames of the session: kept so they can move to a replacement tab.
#[derive(Debug)]
struct FrameFeed {
    task: JoinHandle<()>,
    tx: mpsc::Sender<Frame>,
    max_fps: u32,
}

impl ChromiumSession {
    /// Opens the session's tab in `context`, which it owns from now on (disposed on close, or
    /// here when the tab cannot be opened).
    pub(crate) async fn start(
        instance: Arc<Instance>,
        context: BrowserContextId,
        viewport: Option<(u32, u32)>,
        frame_quality: u8,
    ) -> Result<ChromiumSession> {
        let tab = match Tab::open(&instance, &context, viewport).await {
            Ok(tab) => tab,
            Err(err) => {
                let _ = instance.browser.dispose_browser_context(context).await;
                return Err(err);
            }
        };
        Ok(ChromiumSession {
            instance,
            context,
            tab,
            viewport,
            stalled: false,
            started: std::time::Instant::now(),
            frame_quality,
            frames: None,
            closed: false,
        })
    }

    /// Swaps a tab with a stalled navigation for a fresh one in the same context, moving the
    /// live frames along.
    async fn replace_tab(&mut self) -> Result<()> {
        let fresh = Tab::open(&self.instance, &self.context, self.viewport).await?;
        let stale = std::mem::replace(&mut self.tab, fresh);
        self.stalled = false;
        tracing::debug!("replaced a tab whose navigation timed out");
        if let Some(feed) = self.frames.take() {
            feed.task.abort();
            self.start_frames(feed.tx, feed.max_fps).await?;
        }
        stale.close(&self.instance).await;
        Ok(())
    }

    async fn start_frames(&mut self, tx: mpsc::Sender<Frame>, max_fps: u32) -> Result<()> {
        let start = screencast::start(
            self.tab.page.clone(),
            tx.clone(),
            self.started,
            self.viewport.unwrap_or(DEFAULT_VIEWPORT),
            max_fps,
            self.frame_quality,
        );
        let task = self.tab.guard.run("frames", start).await?;
        self.frames = Some(FrameFeed { task, tx, max_fps });
        Ok(())
    }

    fn stop_frames(&mut self) {
        if let Some(feed) = self.frames.take() {
            feed.task.abort();
        }
    }
}

#[async_trait]
impl BrowserSession for ChromiumSession {
    async fn goto(&mut self, url: &str, wait: WaitUntil, timeout: Duration) -> Result<Navigation> {
        let parsed = check_url(url)?;
        let deadline = Instant::now() + timeout;
        if self.stalled {
            self.replace_tab().await?;
        }
        let tab = &mut self.tab;
        tab.forget_events();
        let page = &tab.page;
        let navigate = async {
            match tokio::time::timeout_at(deadline, page.execute(NavigateParams::new(url))).await {
                Ok(result) => result.map(Ok),
                Err(_) => Ok(Err(())),
            }
        };
        let answer = match tab.guard.run("goto", navigate).await? {
            Ok(answer) => answer.result,
            Err(()) => {
                self.stalled = true;
                return Err(load_timeout(url, timeout));
            }
        };
        let loader_id = answer.loader_id.as_ref().map(|l| l.as_ref().to_owned());
        let is_http = matches!(parsed.scheme(), "http" | "https");
        let document = match &loader_id {
            Some(loader) => {
                let until = (Instant::now() + RESPONSE_GRACE).min(deadline);
                tab.document_response(loader, is_http, until).await
            }
            // Same-document navigation (fragment, history API): no new response.
            None => None,
        };
        if let Some((status, final_url)) = &document {
            if let Some(err) = status_error(*status, final_url) {
                return Err(err.with_context("op", "goto"));
            }
        }
        if let Some(text) = answer.error_text {
            return Err(net_error(&text, url).with_context("op", "goto"));
        }
        if let (WaitUntil::NetworkIdle, Some(loader)) = (wait, &loader_id) {
            if !tab.network_idle(loader, deadline).await {
                tab.guard.check("goto")?;
                return Err(load_timeout(url, timeout).with_context("wait", "network_idle"));
            }
        }
        let page = &tab.page;
        let current = tab.guard.run("goto", page.url()).await?;
        let final_url = current
            .or_else(|| document.as_ref().map(|(_, u)| u.clone()))
            .unwrap_or_else(|| url.to_owned());
        Ok(Navigation {
            url: final_url,
            status: document.map(|(status, _)| status),
        })
    }

    async fn current_url(&mut self) -> Result<String> {
        let page = &self.tab.page;
        match self.tab.guard.run("current_url", page.url()).await? {
            Some(url) => Ok(url),
            None => {
                let value = self
                    .tab
                    .eval("location.href".to_owned(), "current_url")
                    .await?;
                Ok(value.as_str().unwrap_or_default().to_owned())
            }
        }
    }

    async fn title(&mut self) -> Result<String> {
        let value = self.tab.eval("document.title".to_owned(), "title").await?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    async fn html(&mut self) -> Result<String> {
        let value = self.tab.eval(script::HTML.to_owned(), "html").await?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    async fn evaluate(&mut self, expression: &str) -> Result<serde_json::Value> {
        self.tab.eval(expression.to_owned(), "evaluate").await
    }

    async fn click(&mut self, selector: &str) -> Result<()> {
        let value = self
            .tab
            .eval(script::click_target(selector), "click")
            .await?;
        let (x, y) = match script::parse_click_target(&value, selector)? {
            ClickTarget::Point { x, y } => (x, y),
            ClickTarget::ClickedByScript => return Ok(()),
        };
        let page = &self.tab.page;
        let press = async {
            for kind in [
                DispatchMouseEventType::MousePressed,
                DispatchMouseEventType::MouseReleased,
            ] {
                let mut event = DispatchMouseEventParams::new(kind, x, y);
                event.button = Some(MouseButton::Left);
                event.click_count = Some(1);
                page.execute(event).await?;
            }
            Ok(())
        };
        self.tab.guard.run("click", press).await
    }

    async fn type_text(&mut self, selector: &str, text: &str) -> Result<()> {
        let value = self.tab.eval(script::focus(selector), "type_text").await?;
        script::parse_focus(&value, selector)?;
        let page = &self.tab.page;
        let typing = async {
            for ch in text.chars() {
                for event in key_events(ch) {
                    page.execute(event).await?;
                }
            }
            Ok(())
        };
        self.tab.guard.run("type_text", typing).await
    }

    async fn scroll_by(&mut self, dy: i64) -> Result<()> {
        self.tab.eval(script::scroll_by(dy), "scroll_by").await?;
        Ok(())
    }

    async fn wait_for(&mut self, selector: &str, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.tab.eval(script::exists(selector), "wait_for").await {
                Ok(value) => {
                    if script::parse_exists(&value, selector)? {
                        return Ok(());
                    }
                }
                // The page navigated while we looked ("execution context destroyed"); a
                // crash or a dead browser is reported by the guard.
                Err(err) if err.kind() == ErrorKind::Browser => self.tab.guard.check("wait_for")?,
                Err(err) => return Err(err),
            }
            if Instant::now() + script::WAIT_POLL_INTERVAL > deadline {
                return Err(Error::new(
                    ErrorKind::Timeout,
                    format!("no element matched {selector:?} within {timeout:?}"),
                )
                .with_context("selector", selector)
                .with_context("op", "wait_for"));
            }
            tokio::time::sleep(script::WAIT_POLL_INTERVAL).await;
        }
    }

    async fn screenshot(&mut self, format: ImageFormat) -> Result<Vec<u8>> {
        let params = match format {
            ImageFormat::Png => CaptureScreenshotParams {
                format: Some(CaptureScreenshotFormat::Png),
                ..CaptureScreenshotParams::default()
            },
            ImageFormat::Jpeg(quality) => CaptureScreenshotParams {
                format: Some(CaptureScreenshotFormat::Jpeg),
                quality: Some(i64::from(quality.clamp(1, 100))),
                ..CaptureScreenshotParams::default()
            },
        };
        let page = &self.tab.page;
        let shot = self
            .tab
            .guard
            .run("screenshot", page.execute(params))
            .await?;
        crate::decode_base64(shot.result.data.as_ref(), "screenshot")
    }

    async fn frames(&mut self, max_fps: u32) -> Result<Option<mpsc::Receiver<Frame>>> {
        self.stop_frames();
        let (tx, rx) = mpsc::channel(screencast::BUFFER);
        self.start_frames(tx, max_fps).await?;
        Ok(Some(rx))
    }

    async fn close(mut self: Box<Self>) -> Result<()> {
        self.stop_frames();
        self.closed = true;
        if !self.instance.is_alive() {
            return Ok(());
        }
        // Disposing the context closes its tab and drops its cookies, storage and cache.
        self.instance
            .browser
            .dispose_browser_context(self.context.clone())
            .await
            .map_err(|err| map_cdp(err, "close"))
    }
}

impl Drop for ChromiumSession {
    fn drop(&mut self) {
        self.stop_frames();
        // A session dropped without `close` (e.g. a cancelled task) would leave its context and
        // tab open for the life of the browser: dispose of it in the background.
        if self.closed || !self.instance.is_alive() {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let instance = self.instance.clone();
            let context = self.context.clone();
            runtime.spawn(async move {
                if let Err(err) = instance.browser.dispose_browser_context(context).await {
                    tracing::debug!(error = %err, "disposing a dropped session's context failed");
                }
            });
        }
    }
}

/// Key-down (with the text, so the character is inserted and `input` fires) and key-up for one
/// character; a newline is the Enter key.
fn key_events(ch: char) -> [DispatchKeyEventParams; 2] {
    let (key, text, code) = match ch {
        '\n' | '\r' => ("Enter".to_owned(), "\r".to_owned(), Some(13)),
        '\t' => ("Tab".to_owned(), "\t".to_owned(), Some(9)),
        other => (other.to_string(), other.to_string(), None),
    };
    let mut down = DispatchKeyEventParams::new(DispatchKeyEventType::KeyDown);
    down.key = Some(key.clone());
    down.text = Some(text.clone());
    down.unmodified_text = Some(text);
    down.windows_virtual_key_code = code;
    let mut up = DispatchKeyEventParams::new(DispatchKeyEventType::KeyUp);
    up.key = Some(key);
    up.windows_virtual_key_code = code;
    [down, up]
}
