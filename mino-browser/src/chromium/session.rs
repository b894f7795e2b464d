//! [`ChromiumSession`]: one tab in its own browser context.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chromiumoxide::cdp::browser_protocol::browser::BrowserContextId;
use chromiumoxide::cdp::browser_protocol::emulation::SetDeviceMetricsOverrideParams;
use chromiumoxide::cdp::browser_protocol::input::{
    DispatchKeyEventParams, DispatchKeyEventType, DispatchMouseEventParams, DispatchMouseEventType,
    MouseButton,
};
use chromiumoxide::cdp::browser_protocol::inspector::EventTargetCrashed;
use chromiumoxide::cdp::browser_protocol::network::{EventResponseReceived, ResourceType};
use chromiumoxide::cdp::browser_protocol::page::{
    CaptureScreenshotFormat, CaptureScreenshotParams, EventLifecycleEvent, NavigateParams,
};
use chromiumoxide::cdp::js_protocol::runtime::EvaluateParams;
use chromiumoxide::error::CdpError;
use chromiumoxide::listeners::EventStream;
use chromiumoxide::Page;
use futures::{FutureExt, StreamExt};
use mino_core::browser::navigation::{check_url, load_timeout, net_error, status_error};
use mino_core::browser::script::{self, ClickTarget};
use mino_core::browser::{BrowserSession, Frame, ImageFormat, Navigation, WaitUntil};
use mino_core::{Error, ErrorKind, Result};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::error::{browser_gone, map_cdp, tab_crashed};
use super::instance::Instance;
use super::screencast;

/// How long `goto` waits for the main document's response event after the load event, when it
/// has not been seen yet (events and command answers travel on different channels).
const RESPONSE_GRACE: Duration = Duration::from_millis(250);

/// A tab of [`ChromiumDriver`](super::ChromiumDriver) in its own browser context.
#[derive(Debug)]
pub struct ChromiumSession {
    instance: Arc<Instance>,
    context: BrowserContextId,
    page: Page,
    /// Main-document responses, read after each navigation for the HTTP status.
    responses: EventStream<EventResponseReceived>,
    /// Lifecycle events, read for `networkIdle`.
    lifecycle: EventStream<EventLifecycleEvent>,
    guard: Guard,
    started: std::time::Instant,
    frame_quality: u8,
    screencast: Option<JoinHandle<()>>,
}

impl ChromiumSession {
    /// Wraps a fresh tab: subscribes to the events the session reads and applies a viewport
    /// that differs from the browser's default.
    pub(crate) async fn start(
        instance: Arc<Instance>,
        context: BrowserContextId,
        page: Page,
        viewport: Option<(u32, u32)>,
        frame_quality: u8,
    ) -> Result<ChromiumSession> {
        let subscribed = async {
            let responses = page.event_listener::<EventResponseReceived>().await?;
            let lifecycle = page.event_listener::<EventLifecycleEvent>().await?;
            let crashed = page.event_listener::<EventTargetCrashed>().await?;
            if let Some((width, height)) = viewport {
                page.execute(SetDeviceMetricsOverrideParams::new(
                    i64::from(width),
                    i64::from(height),
                    1.0,
                    false,
                ))
                .await?;
            }
            Ok::<_, CdpError>((responses, lifecycle, crashed))
        }
        .await;
        let (responses, lifecycle, crashed) = match subscribed {
            Ok(streams) => streams,
            Err(err) => {
                let _ = instance.browser.dispose_browser_context(context).await;
                return Err(map_cdp(err, "open"));
            }
        };
        let guard = Guard {
            crashed,
            crash_seen: false,
            alive: instance.alive(),
        };
        Ok(ChromiumSession {
            instance,
            context,
            page,
            responses,
            lifecycle,
            guard,
            started: std::time::Instant::now(),
            frame_quality,
            screencast: None,
        })
    }

    /// Evaluates an expression in the page and returns its JSON value.
    async fn eval(&mut self, expression: String, op: &'static str) -> Result<serde_json::Value> {
        drain(&mut self.responses);
        let page = &self.page;
        self.guard.run(op, eval_value(page, expression)).await
    }

    /// The response of the main document loaded by `loader_id`: among the events so far, or
    /// — for http(s), which always has one — arriving until `until`.
    async fn document_response(
        &mut self,
        loader_id: &str,
        wait: bool,
        until: Instant,
    ) -> Option<(u16, String)> {
        let mut found = None;
        while let Some(Some(event)) = self.responses.next().now_or_never() {
            found = document_of(&event, loader_id).or(found);
        }
        if found.is_none() && wait {
            while let Ok(Some(event)) = tokio::time::timeout_at(until, self.responses.next()).await
            {
                found = document_of(&event, loader_id);
                if found.is_some() {
                    break;
                }
            }
        }
        found
    }

    /// Waits for Chromium's `networkIdle` lifecycle event of the navigation `loader_id`.
    async fn network_idle(&mut self, loader_id: &str, until: Instant) -> bool {
        loop {
            match tokio::time::timeout_at(until, self.lifecycle.next()).await {
                Ok(Some(event)) => {
                    if event.name == "networkIdle" && event.loader_id.as_ref() == loader_id {
                        return true;
                    }
                }
                Ok(None) | Err(_) => return false,
            }
        }
    }

    fn stop_screencast(&mut self) {
        if let Some(task) = self.screencast.take() {
            task.abort();
        }
    }
}

#[async_trait]
impl BrowserSession for ChromiumSession {
    async fn goto(&mut self, url: &str, wait: WaitUntil, timeout: Duration) -> Result<Navigation> {
        let parsed = check_url(url)?;
        let deadline = Instant::now() + timeout;
        drain(&mut self.responses);
        drain(&mut self.lifecycle);
        let page = &self.page;
        let navigate = async {
            match tokio::time::timeout_at(deadline, page.execute(NavigateParams::new(url))).await {
                Ok(result) => result.map(Ok),
                Err(_) => Ok(Err(())),
            }
        };
        let answer = match self.guard.run("goto", navigate).await? {
            Ok(answer) => answer.result,
            Err(()) => return Err(load_timeout(url, timeout)),
        };
        let loader_id = answer.loader_id.as_ref().map(|l| l.as_ref().to_owned());
        let is_http = matches!(parsed.scheme(), "http" | "https");
        let document = match &loader_id {
            Some(loader) => {
                let until = Instant::now() + RESPONSE_GRACE;
                self.document_response(loader, is_http, until.min(deadline))
                    .await
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
            if !self.network_idle(loader, deadline).await {
                self.guard.check("goto")?;
                return Err(load_timeout(url, timeout).with_context("wait", "network_idle"));
            }
        }
        let page = &self.page;
        let current = self.guard.run("goto", page.url()).await?;
        let final_url = current
            .or_else(|| document.as_ref().map(|(_, u)| u.clone()))
            .unwrap_or_else(|| url.to_owned());
        Ok(Navigation {
            url: final_url,
            status: document.map(|(status, _)| status),
        })
    }

    async fn current_url(&mut self) -> Result<String> {
        let page = &self.page;
        match self.guard.run("current_url", page.url()).await? {
            Some(url) => Ok(url),
            None => {
                let value = self.eval("location.href".to_owned(), "current_url").await?;
                Ok(value.as_str().unwrap_or_default().to_owned())
            }
        }
    }

    async fn title(&mut self) -> Result<String> {
        let value = self.eval("document.title".to_owned(), "title").await?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    async fn html(&mut self) -> Result<String> {
        let value = self.eval(script::HTML.to_owned(), "html").await?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    async fn evaluate(&mut self, expression: &str) -> Result<serde_json::Value> {
        self.eval(expression.to_owned(), "evaluate").await
    }

    async fn click(&mut self, selector: &str) -> Result<()> {
        let value = self.eval(script::click_target(selector), "click").await?;
        let (x, y) = match script::parse_click_target(&value, selector)? {
            ClickTarget::Point { x, y } => (x, y),
            ClickTarget::ClickedByScript => return Ok(()),
        };
        let page = &self.page;
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
        self.guard.run("click", press).await
    }

    async fn type_text(&mut self, selector: &str, text: &str) -> Result<()> {
        let value = self.eval(script::focus(selector), "type_text").await?;
        script::parse_focus(&value, selector)?;
        let page = &self.page;
        let typing = async {
            for ch in text.chars() {
                for event in key_events(ch) {
                    page.execute(event).await?;
                }
            }
            Ok(())
        };
        self.guard.run("type_text", typing).await
    }

    async fn scroll_by(&mut self, dy: i64) -> Result<()> {
        self.eval(script::scroll_by(dy), "scroll_by").await?;
        Ok(())
    }

    async fn wait_for(&mut self, selector: &str, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.eval(script::exists(selector), "wait_for").await {
                Ok(value) => {
                    if script::parse_exists(&value, selector)? {
                        return Ok(());
                    }
                }
                // The page navigated while we looked ("execution context destroyed"); a
                // crash or a dead browser is reported by the guard on the next round.
                Err(err) if err.kind() == ErrorKind::Browser => self.guard.check("wait_for")?,
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
        let page = &self.page;
        let shot = self.guard.run("screenshot", page.execute(params)).await?;
        crate::decode_base64(shot.result.data.as_ref(), "screenshot")
    }

    async fn frames(&mut self, max_fps: u32) -> Result<Option<mpsc::Receiver<Frame>>> {
        self.stop_screencast();
        let page = &self.page;
        let started = self.started;
        let quality = self.frame_quality;
        let (task, frames) = self
            .guard
            .run(
                "frames",
                screencast::start(page.clone(), started, max_fps, quality),
            )
            .await?;
        self.screencast = Some(task);
        Ok(Some(frames))
    }

    async fn close(mut self: Box<Self>) -> Result<()> {
        self.stop_screencast();
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
        self.stop_screencast();
    }
}

/// Fails operations of a crashed tab or a dead browser promptly instead of at their timeout.
#[derive(Debug)]
struct Guard {
    crashed: EventStream<EventTargetCrashed>,
    crash_seen: bool,
    alive: watch::Receiver<bool>,
}

impl Guard {
    /// An error if the tab crashed or the browser is gone.
    fn check(&mut self, op: &'static str) -> Result<()> {
        if !self.crash_seen {
            // The stream also ends when the tab's target disappears.
            if let Some(event) = self.crashed.next().now_or_never() {
                let _ = event;
                self.crash_seen = true;
            }
        }
        if self.crash_seen {
            return Err(tab_crashed(op));
        }
        if !*self.alive.borrow() {
            return Err(browser_gone(op));
        }
        Ok(())
    }

    /// Runs a CDP operation, cut short when the tab crashes or the browser goes away.
    async fn run<T>(
        &mut self,
        op: &'static str,
        operation: impl Future<Output = Result<T, CdpError>>,
    ) -> Result<T> {
        self.check(op)?;
        enum Outcome<T> {
            Done(Result<T, CdpError>),
            Crashed,
            Gone,
        }
        let outcome = tokio::select! {
            result = operation => Outcome::Done(result),
            _ = self.crashed.next() => Outcome::Crashed,
            _ = self.alive.wait_for(|alive| !*alive) => Outcome::Gone,
        };
        match outcome {
            Outcome::Done(Ok(value)) => Ok(value),
            // A command that failed because the connection broke is a dead browser, whatever
            // chromiumoxide called it.
            Outcome::Done(Err(err)) => match self.check(op) {
                Err(dead) => Err(dead.with_source(err)),
                Ok(()) => Err(map_cdp(err, op)),
            },
            Outcome::Crashed => {
                self.crash_seen = true;
                Err(tab_crashed(op))
            }
            Outcome::Gone => Err(browser_gone(op)),
        }
    }
}

/// `Runtime.evaluate` by value, awaiting promises, in the page's main world.
async fn eval_value(page: &Page, expression: String) -> Result<serde_json::Value, CdpError> {
    let mut params = EvaluateParams::new(expression);
    params.return_by_value = Some(true);
    params.await_promise = Some(true);
    let answer = page.execute(params).await?.result;
    if let Some(exception) = answer.exception_details {
        return Err(CdpError::JavascriptException(Box::new(exception)));
    }
    Ok(answer.result.value.unwrap_or(serde_json::Value::Null))
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

/// Status and URL of a response event when it is the main document of navigation `loader_id`.
fn document_of(event: &EventResponseReceived, loader_id: &str) -> Option<(u16, String)> {
    (event.r#type == ResourceType::Document && event.loader_id.as_ref() == loader_id).then(|| {
        let status = u16::try_from(event.response.status).unwrap_or(0);
        (status, event.response.url.clone())
    })
}

/// Discards the events queued so far.
fn drain<T: chromiumoxide::cdp::IntoEventKind + Unpin>(stream: &mut EventStream<T>) {
    while let Some(Some(_)) = stream.next().now_or_never() {}
}
