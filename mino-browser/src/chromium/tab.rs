//! One tab (CDP page target) of a session, with the events the session reads from it and the
//! guard that fails its operations promptly when it crashes or the browser goes away.

use std::future::Future;

use chromiumoxide::cdp::browser_protocol::browser::BrowserContextId;
use chromiumoxide::cdp::browser_protocol::emulation::SetDeviceMetricsOverrideParams;
use chromiumoxide::cdp::browser_protocol::inspector::EventTargetCrashed;
use chromiumoxide::cdp::browser_protocol::network::{EventResponseReceived, ResourceType};
use chromiumoxide::cdp::browser_protocol::page::EventLifecycleEvent;
use chromiumoxide::cdp::browser_protocol::target::{CloseTargetParams, CreateTargetParams};
use chromiumoxide::cdp::js_protocol::runtime::EvaluateParams;
use chromiumoxide::error::CdpError;
use chromiumoxide::listeners::EventStream;
use chromiumoxide::Page;
use futures::{FutureExt, StreamExt};
use mino_core::{Error, ErrorKind, Result};
use tokio::sync::watch;
use tokio::time::Instant;

use super::error::{browser_gone, map_cdp, tab_crashed};
use super::instance::Instance;

/// A tab and its event subscriptions.
#[derive(Debug)]
pub(crate) struct Tab {
    pub(crate) page: Page,
    /// Main-document responses, read after each navigation for the HTTP status.
    responses: EventStream<EventResponseReceived>,
    /// Lifecycle events, read for `networkIdle`.
    lifecycle: EventStream<EventLifecycleEvent>,
    pub(crate) guard: Guard,
}

impl Tab {
    /// Opens a blank tab in `context`, subscribes to its events and applies a viewport that
    /// differs from the browser's default.
    pub(crate) async fn open(
        instance: &Instance,
        context: &BrowserContextId,
        viewport: Option<(u32, u32)>,
    ) -> Result<Tab> {
        let target = CreateTargetParams::builder()
            .url("about:blank")
            .browser_context_id(context.clone())
            .build()
            .map_err(|msg| Error::new(ErrorKind::Internal, msg))?;
        let page = instance
            .browser
            .new_page(target)
            .await
            .map_err(|err| map_cdp(err, "open"))?;
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
        match subscribed {
            Ok((responses, lifecycle, crashed)) => Ok(Tab {
                page,
                responses,
                lifecycle,
                guard: Guard {
                    crashed,
                    crash_seen: false,
                    alive: instance.alive(),
                },
            }),
            Err(err) => {
                let _ = page.close().await;
                Err(map_cdp(err, "open"))
            }
        }
    }

    /// Closes the tab through the browser, which works even when its renderer is busy.
    pub(crate) async fn close(self, instance: &Instance) {
        let target = CloseTargetParams::new(self.page.target_id().clone());
        if let Err(err) = instance.browser.execute(target).await {
            tracing::debug!(error = %err, "closing a replaced tab failed");
        }
    }

    /// Evaluates an expression in the page and returns its JSON value.
    pub(crate) async fn eval(
        &mut self,
        expression: String,
        op: &'static str,
    ) -> Result<serde_json::Value> {
        self.forget_responses();
        let page = &self.page;
        self.guard.run(op, eval_value(page, expression)).await
    }

    /// Discards the response events queued so far, so they do not pile up between
    /// navigations.
    pub(crate) fn forget_responses(&mut self) {
        drain(&mut self.responses);
    }

    /// Discards queued events before a navigation, so only its own are read after it.
    pub(crate) fn forget_events(&mut self) {
        drain(&mut self.responses);
        drain(&mut self.lifecycle);
    }

    /// The status and URL of the main document loaded by `loader_id`: among the events so far,
    /// or — when `wait` (http(s) always has one) — arriving until `until`.
    pub(crate) async fn document_response(
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
    pub(crate) async fn network_idle(&mut self, loader_id: &str, until: Instant) -> bool {
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
}

/// Fails operations of a crashed tab or a dead browser promptly instead of at their timeout.
#[derive(Debug)]
pub(crate) struct Guard {
    crashed: EventStream<EventTargetCrashed>,
    crash_seen: bool,
    alive: watch::Receiver<bool>,
}

impl Guard {
    /// An error if the tab crashed or the browser is gone.
    pub(crate) fn check(&mut self, op: &'static str) -> Result<()> {
        // The stream also ends (`Some(None)`) when the tab's target disappears.
        if !self.crash_seen && self.crashed.next().now_or_never().is_some() {
            self.crash_seen = true;
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
    pub(crate) async fn run<T>(
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
