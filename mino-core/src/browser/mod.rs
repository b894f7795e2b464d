//! The [`BrowserDriver`] and [`BrowserSession`] traits: how MINO drives a browser.
//!
//! Implementations live in `mino-browser` (Chromium over CDP, WebDriver). A conformance suite
//! runs the same tests against every driver on local fixture pages.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// A driver shared between tasks.
pub type DynBrowserDriver = Arc<dyn BrowserDriver>;

/// What a driver can do, so callers check instead of every driver faking every feature.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// Live frames of the page while an agent works ([`BrowserSession::frames`]).
    pub live_frames: bool,
    /// A proxy per session.
    pub proxy_per_session: bool,
    /// The HTTP status of the main document is known after `goto`.
    pub http_status: bool,
}

/// Options for a new session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionOptions {
    /// A proxy URL for this session, e.g. `http://127.0.0.1:3128`.
    pub proxy: Option<String>,
    /// Viewport width and height in CSS pixels (default 1280×800).
    pub viewport: Option<(u32, u32)>,
}

/// When a navigation counts as done.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitUntil {
    /// The load event fired.
    #[default]
    Load,
    /// The load event fired and no network request was in flight for 500 ms.
    NetworkIdle,
}

/// Image format of a screenshot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageFormat {
    /// PNG.
    #[default]
    Png,
    /// JPEG at the given quality (1–100).
    Jpeg(u8),
}

impl ImageFormat {
    /// The MIME type.
    pub fn content_type(self) -> &'static str {
        match self {
            ImageFormat::Png => "image/png",
            ImageFormat::Jpeg(_) => "image/jpeg",
        }
    }
}

/// The result of a navigation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Navigation {
    /// The URL after redirects.
    pub url: String,
    /// The HTTP status of the main document, when the driver knows it.
    pub status: Option<u16>,
}

/// One live frame of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// JPEG bytes.
    pub jpeg: Vec<u8>,
    /// Milliseconds since the session started.
    pub at_ms: u64,
}

/// Opens isolated browser sessions.
///
/// # Behavior
///
/// - Every session has its own cookies, storage and cache: nothing leaks between sessions.
/// - A crashed or disconnected browser makes operations fail with
///   [`ErrorKind::Browser`](crate::ErrorKind::Browser) (transient); the driver relaunches or
///   reconnects on the next [`BrowserDriver::open`].
#[async_trait]
pub trait BrowserDriver: Send + Sync + Debug + 'static {
    /// A short name, e.g. `chromium` or `webdriver`.
    fn name(&self) -> &'static str;

    /// What this driver can do.
    fn capabilities(&self) -> Capabilities;

    /// Opens a new isolated session.
    async fn open(&self, options: SessionOptions) -> Result<Box<dyn BrowserSession>>;
}

/// One isolated browser tab.
///
/// # Behavior
///
/// - `goto` fails with [`ErrorKind::Timeout`](crate::ErrorKind::Timeout) when the page does not
///   load in time, [`ErrorKind::Network`](crate::ErrorKind::Network) when it cannot be reached,
///   and [`ErrorKind::HttpStatus`](crate::ErrorKind::HttpStatus) for 4xx (permanent) and 5xx
///   (transient) main-document answers when the driver knows the status.
/// - Selector operations fail with [`ErrorKind::Validation`](crate::ErrorKind::Validation) when
///   nothing matches the selector.
#[async_trait]
pub trait BrowserSession: Send + Debug {
    /// Navigates and waits as asked, at most `timeout`.
    async fn goto(&mut self, url: &str, wait: WaitUntil, timeout: Duration) -> Result<Navigation>;

    /// The current URL.
    async fn current_url(&mut self) -> Result<String>;

    /// The document title.
    async fn title(&mut self) -> Result<String>;

    /// The serialized DOM of the page as it is now.
    async fn html(&mut self) -> Result<String>;

    /// Evaluates a JavaScript expression and returns its JSON value.
    async fn evaluate(&mut self, expression: &str) -> Result<serde_json::Value>;

    /// Clicks the first element matching a CSS selector.
    async fn click(&mut self, selector: &str) -> Result<()>;

    /// Types text into the first element matching a CSS selector.
    async fn type_text(&mut self, selector: &str, text: &str) -> Result<()>;

    /// Scrolls by `dy` CSS pixels (negative: up).
    async fn scroll_by(&mut self, dy: i64) -> Result<()>;

    /// Waits until an element matches the selector, at most `timeout`.
    async fn wait_for(&mut self, selector: &str, timeout: Duration) -> Result<()>;

    /// A screenshot of the viewport.
    async fn screenshot(&mut self, format: ImageFormat) -> Result<Vec<u8>>;

    /// Live frames, when the driver has [`Capabilities::live_frames`]; `None` otherwise.
    /// Frames are dropped rather than queued when the receiver is slow.
    async fn frames(&mut self, max_fps: u32) -> Result<Option<tokio::sync::mpsc::Receiver<Frame>>>;

    /// Closes the session and frees its browser resources.
    async fn close(self: Box<Self>) -> Result<()>;
}
