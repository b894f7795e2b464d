//! [`WebDriverSession`]: one WebDriver session, one browser.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use mino_core::browser::navigation::{check_url, load_timeout, net_error};
use mino_core::browser::script::{self, ClickTarget, NetworkProbe};
use mino_core::browser::{BrowserSession, Frame, ImageFormat, Navigation, WaitUntil};
use mino_core::{Error, ErrorKind, Result};
use serde_json::{json, Value};
use thirtyfour::cdp::Cdp;
use thirtyfour::session::handle::SessionHandle;
use thirtyfour::WebDriver;
use tokio::sync::{mpsc, Mutex};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::error::map_wd;
use super::service::Service;

/// Extra time given to the WebDriver server beyond a page-load timeout before the client gives
/// up on the request itself (the server answers a page-load timeout with an error of its own).
const SERVER_GRACE: Duration = Duration::from_secs(5);

/// Frames buffered for a slow receiver before new ones are dropped.
const FRAME_BUFFER: usize = 2;

/// A session of [`WebDriverDriver`](super::WebDriverDriver): its own WebDriver session and
/// browser.
#[derive(Debug)]
pub struct WebDriverSession {
    driver: Option<WebDriver>,
    /// Keeps a spawned chromedriver running while the session uses it.
    service: Option<Arc<Mutex<Service>>>,
    /// The page-load timeout last sent to the server, so it is only sent when it changes.
    page_load_timeout: Option<Duration>,
    started: std::time::Instant,
    frame_quality: u8,
    frames: Option<JoinHandle<()>>,
}

impl WebDriverSession {
    /// Wraps a new WebDriver session and installs the network tracker used for
    /// [`WaitUntil::NetworkIdle`] (through chromedriver's DevTools passthrough; without it,
    /// idleness is judged from resource timing alone).
    ///
    /// The viewport is set exactly through the same passthrough: a window size alone leaves the
    /// viewport smaller by the (invisible) window decorations of headless Chromium.
    pub(crate) async fn start(
        driver: WebDriver,
        service: Option<Arc<Mutex<Service>>>,
        viewport: (u32, u32),
        frame_quality: u8,
    ) -> WebDriverSession {
        let cdp = driver.cdp();
        let installed = cdp
            .send_raw(
                "Page.addScriptToEvaluateOnNewDocument",
                json!({ "source": script::NETWORK_TRACKER }),
            )
            .await;
        if let Err(err) = installed {
            tracing::debug!(error = %err, "no DevTools passthrough; network idleness from resource timing only");
        } else {
            let (width, height) = viewport;
            let metrics = json!({
                "width": width, "height": height, "deviceScaleFactor": 1, "mobile": false,
            });
            if let Err(err) = cdp
                .send_raw("Emulation.setDeviceMetricsOverride", metrics)
                .await
            {
                tracing::debug!(error = %err, "viewport left to the window size");
            }
        }
        WebDriverSession {
            driver: Some(driver),
            service,
            page_load_timeout: None,
            started: std::time::Instant::now(),
            frame_quality,
            frames: None,
        }
    }

    fn driver(&self, op: &'static str) -> Result<&WebDriver> {
        self.driver.as_ref().ok_or_else(|| {
            Error::new(ErrorKind::Browser, format!("{op}: the session is closed"))
                .with_context("op", op)
        })
    }

    /// Runs an expression as a WebDriver script and returns its JSON value.
    async fn run(&self, expression: &str, op: &'static str) -> Result<Value> {
        let driver = self.driver(op)?;
        // A newline before the closing parenthesis keeps a trailing `//` comment harmless.
        let body = format!("return (\n{expression}\n);");
        let ret = driver
            .execute(body, Vec::new())
            .await
            .map_err(|err| map_wd(err, op, None))?;
        Ok(ret.json().clone())
    }

    async fn wait_network_idle(
        &self,
        url: &str,
        timeout: Duration,
        deadline: Instant,
    ) -> Result<()> {
        loop {
            let probe: NetworkProbe =
                serde_json::from_value(self.run(script::NETWORK_PROBE, "goto").await?)?;
            let Some(wait) = probe.wait_more() else {
                return Ok(());
            };
            if Instant::now() + wait > deadline {
                return Err(load_timeout(url, timeout).with_context("wait", "network_idle"));
            }
            tokio::time::sleep(wait).await;
        }
    }

    fn stop_frames(&mut self) {
        if let Some(task) = self.frames.take() {
            task.abort();
        }
    }
}

#[async_trait]
impl BrowserSession for WebDriverSession {
    async fn goto(&mut self, url: &str, wait: WaitUntil, timeout: Duration) -> Result<Navigation> {
        check_url(url)?;
        let deadline = Instant::now() + timeout;
        if self.page_load_timeout != Some(timeout) {
            self.driver("goto")?
                .set_page_load_timeout(timeout)
                .await
                .map_err(|err| map_wd(err, "goto", None))?;
            self.page_load_timeout = Some(timeout);
        }
        let driver = self.driver("goto")?;
        match tokio::time::timeout(timeout + SERVER_GRACE, driver.goto(url)).await {
            Err(_) => return Err(load_timeout(url, timeout)),
            Ok(Err(err)) => {
                let err = map_wd(err, "goto", Some(url));
                return Err(if err.kind() == ErrorKind::Timeout {
                    load_timeout(url, timeout).with_source(err)
                } else {
                    err
                });
            }
            Ok(Ok(())) => {}
        }
        // chromedriver reports failed http(s) navigations, but shows Chromium's error page
        // without a word for a missing or unreadable file.
        if url.starts_with("file:") {
            if let Some(code) = self.run(script::ERROR_PAGE_CODE, "goto").await?.as_str() {
                return Err(net_error(code, url).with_context("op", "goto"));
            }
        }
        if wait == WaitUntil::NetworkIdle {
            self.wait_network_idle(url, timeout, deadline).await?;
        }
        let current = self.current_url().await?;
        Ok(Navigation {
            url: current,
            status: None,
        })
    }

    async fn current_url(&mut self) -> Result<String> {
        let url = self
            .driver("current_url")?
            .current_url()
            .await
            .map_err(|err| map_wd(err, "current_url", None))?;
        Ok(url.to_string())
    }

    async fn title(&mut self) -> Result<String> {
        self.driver("title")?
            .title()
            .await
            .map_err(|err| map_wd(err, "title", None))
    }

    async fn html(&mut self) -> Result<String> {
        let value = self.run(script::HTML, "html").await?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    async fn evaluate(&mut self, expression: &str) -> Result<Value> {
        let driver = self.driver("evaluate")?;
        let args = vec![Value::String(expression.to_owned())];
        let ret = driver
            .execute(script::EVAL_ARGUMENT, args)
            .await
            .map_err(|err| map_wd(err, "evaluate", None))?;
        let value = ret.json();
        if value.get(script::EVAL_BLOCKED).is_some() {
            return self.run(expression, "evaluate").await;
        }
        Ok(value.clone())
    }

    async fn click(&mut self, selector: &str) -> Result<()> {
        let value = self.run(&script::click_target(selector), "click").await?;
        let (x, y) = match script::parse_click_target(&value, selector)? {
            ClickTarget::Point { x, y } => (x, y),
            ClickTarget::ClickedByScript => return Ok(()),
        };
        // Viewport coordinates; WebDriver pointer moves take whole pixels.
        self.driver("click")?
            .action_chain()
            .move_to(x.round() as i64, y.round() as i64)
            .click()
            .perform()
            .await
            .map_err(|err| map_wd(err, "click", None))
    }

    async fn type_text(&mut self, selector: &str, text: &str) -> Result<()> {
        let value = self.run(&script::focus(selector), "type_text").await?;
        script::parse_focus(&value, selector)?;
        self.driver("type_text")?
            .action_chain()
            .send_keys(text)
            .perform()
            .await
            .map_err(|err| map_wd(err, "type_text", None))
    }

    async fn scroll_by(&mut self, dy: i64) -> Result<()> {
        self.run(&script::scroll_by(dy), "scroll_by").await?;
        Ok(())
    }

    async fn wait_for(&mut self, selector: &str, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.run(&script::exists(selector), "wait_for").await {
                Ok(value) => {
                    if script::parse_exists(&value, selector)? {
                        return Ok(());
                    }
                }
                // A navigation between the script's start and end ("stale" document): look
                // again. Real failures (session gone) repeat and end at the deadline.
                Err(err) if err.kind() == ErrorKind::Browser => {
                    if Instant::now() >= deadline {
                        return Err(err);
                    }
                }
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
        let driver = self.driver("screenshot")?;
        match format {
            ImageFormat::Png => driver
                .screenshot_as_png()
                .await
                .map_err(|err| map_wd(err, "screenshot", None)),
            // WebDriver only knows PNG; JPEG comes from the DevTools passthrough.
            ImageFormat::Jpeg(quality) => capture_jpeg(&driver.cdp(), quality, "screenshot").await,
        }
    }

    async fn frames(&mut self, max_fps: u32) -> Result<Option<mpsc::Receiver<Frame>>> {
        self.stop_frames();
        let handle = self.driver("frames")?.handle().clone();
        let (tx, rx) = mpsc::channel(FRAME_BUFFER);
        let task = tokio::spawn(frame_loop(
            handle,
            tx,
            max_fps,
            self.frame_quality,
            self.started,
        ));
        self.frames = Some(task);
        Ok(Some(rx))
    }

    async fn close(mut self: Box<Self>) -> Result<()> {
        self.stop_frames();
        let Some(driver) = self.driver.take() else {
            return Ok(());
        };
        let quit = driver
            .quit()
            .await
            .map_err(|err| map_wd(err, "close", None));
        drop(self.service.take());
        quit
    }
}

impl Drop for WebDriverSession {
    fn drop(&mut self) {
        self.stop_frames();
        // A session dropped without `close`: quit it in the background so its browser does not
        // linger, keeping a spawned chromedriver alive until then.
        if let (Some(driver), Ok(runtime)) =
            (self.driver.take(), tokio::runtime::Handle::try_current())
        {
            let service = self.service.take();
            runtime.spawn(async move {
                let _ = driver.quit().await;
                drop(service);
            });
        }
    }
}

/// Takes a JPEG of the viewport through chromedriver's DevTools passthrough.
async fn capture_jpeg(cdp: &Cdp, quality: u8, op: &'static str) -> Result<Vec<u8>> {
    let answer = cdp
        .send_raw(
            "Page.captureScreenshot",
            json!({ "format": "jpeg", "quality": quality.clamp(1, 100) }),
        )
        .await
        .map_err(|err| map_wd(err, op, None))?;
    let data = answer
        .get("data")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::new(ErrorKind::Internal, format!("{op}: no image in the answer")))?;
    crate::decode_base64(data, op)
}

/// Live frames by periodic screenshots: one every `1/max_fps` seconds, dropped when the
/// receiver is behind, until the receiver or the session goes away.
async fn frame_loop(
    handle: Arc<SessionHandle>,
    tx: mpsc::Sender<Frame>,
    max_fps: u32,
    quality: u8,
    session_started: std::time::Instant,
) {
    let cdp = Cdp::new(handle);
    let mut ticks = tokio::time::interval(Duration::from_secs(1) / max_fps.max(1));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = tx.closed() => return,
        }
        let jpeg = match capture_jpeg(&cdp, quality, "frames").await {
            Ok(jpeg) => jpeg,
            Err(err) => {
                tracing::debug!(error = %err, "live frames stopped");
                return;
            }
        };
        let at_ms = u64::try_from(session_started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match tx.try_send(Frame { jpeg, at_ms }) {
            Ok(()) | Err(mpsc::error::TrySendError::Full(_)) => {}
            Err(mpsc::error::TrySendError::Closed(_)) => return,
        }
    }
}
