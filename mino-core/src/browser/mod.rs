//! The [`BrowserDriver`] and [`BrowserSession`] traits: how MINO drives a browser.
//!
//! Implementations live in `mino-browser` (Chromium over CDP, WebDriver). A conformance suite
//! runs the same tests against every driver on local fixture pages; it tests the sentences of
//! the `# Behavior` sections below.
//!
//! Two helper modules keep the drivers consistent with each other: [`navigation`] decides which
//! URLs may be opened and which HTTP statuses are errors, and [`script`] holds the page-side
//! JavaScript that gives `click`, `type_text`, `wait_for` and `scroll_by` the same meaning in
//! every driver.

pub mod navigation;
pub mod script;

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
    /// A proxy per session ([`SessionOptions::proxy`]).
    pub proxy_per_session: bool,
    /// The HTTP status of the main document is known after `goto`, so 4xx/5xx answers become
    /// [`ErrorKind::HttpStatus`](crate::ErrorKind::HttpStatus) errors.
    pub http_status: bool,
}

/// Options for a new session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionOptions {
    /// A proxy for this session, e.g. `http://127.0.0.1:3128` or `socks5://host:1080` (checked
    /// by [`navigation::check_proxy`]). Only honoured by drivers with
    /// [`Capabilities::proxy_per_session`]; others fail `open` with
    /// [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported).
    pub proxy: Option<String>,
    /// Viewport width and height in CSS pixels (default [`DEFAULT_VIEWPORT`]).
    pub viewport: Option<(u32, u32)>,
}

/// The viewport of a session when [`SessionOptions::viewport`] is `None`.
pub const DEFAULT_VIEWPORT: (u32, u32) = (1280, 800);

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
/// - Every session has its own cookies, storage and cache: nothing set in one session is
///   visible in another, open at the same time or later.
/// - A crashed, killed or disconnected browser makes the operations in flight and the later
///   operations of its sessions fail with [`ErrorKind::Browser`](crate::ErrorKind::Browser)
///   (transient). The next [`BrowserDriver::open`] relaunches or reconnects; it does not hand
///   out a session of the dead browser.
/// - A browser that does not answer a health check at `open` in time counts as hung: `open`
///   fails with a transient `Browser` error and the next `open` starts afresh.
/// - `open` fails with [`ErrorKind::Validation`](crate::ErrorKind::Validation) for an invalid
///   proxy, with [`ErrorKind::Unsupported`](crate::ErrorKind::Unsupported) for options the driver
///   cannot honour (see [`Capabilities`]), and with a transient `Browser` error when the browser
///   cannot be started or reached.
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
/// - `goto` accepts `http`, `https`, `file`, `about` and `data` URLs; anything else, or a string
///   that is not a URL, fails with [`ErrorKind::Validation`](crate::ErrorKind::Validation)
///   before the browser is asked.
/// - `goto` follows redirects and returns the final URL. It fails with
///   [`ErrorKind::Timeout`](crate::ErrorKind::Timeout) when the page does not reach `wait` in
///   time, [`ErrorKind::Network`](crate::ErrorKind::Network) when it cannot be reached
///   (refused, reset, DNS), and — when the driver knows the status
///   ([`Capabilities::http_status`]) — [`ErrorKind::HttpStatus`](crate::ErrorKind::HttpStatus)
///   for 4xx (permanent; 408 and 429 transient) and 5xx (transient) main-document answers, with
///   the status in the context pair `status`. The page stays loaded after an `HttpStatus`
///   error, so its content can still be read.
/// - Selector operations (`click`, `type_text`, `wait_for`) take CSS selectors. An invalid
///   selector, or — for `click` and `type_text` — no matching element, fails with
///   [`ErrorKind::Validation`](crate::ErrorKind::Validation). `wait_for` fails with
///   [`ErrorKind::Timeout`](crate::ErrorKind::Timeout) when nothing matches in time.
/// - `evaluate` runs JavaScript as a browser console does — an expression, or statements whose
///   last value is the result — and returns that value as JSON; a promise is awaited. A
///   JavaScript exception fails with [`ErrorKind::Validation`](crate::ErrorKind::Validation); a
///   value that JSON cannot represent (e.g. `undefined`, a function) comes back as `null`. On
///   pages whose Content Security Policy forbids `eval`, drivers that evaluate through the page
///   (WebDriver) accept expressions only.
/// - A crashed tab fails the operation in flight and every later one with a transient
///   [`ErrorKind::Browser`](crate::ErrorKind::Browser) error.
#[async_trait]
pub trait BrowserSession: Send + Debug {
    /// Navigates and waits as asked, at most `timeout`.
    async fn goto(&mut self, url: &str, wait: WaitUntil, timeout: Duration) -> Result<Navigation>;

    /// The current URL.
    async fn current_url(&mut self) -> Result<String>;

    /// The document title.
    async fn title(&mut self) -> Result<String>;

    /// The serialized DOM of the page as it is now (doctype included).
    async fn html(&mut self) -> Result<String>;

    /// Evaluates JavaScript (an expression or statements) and returns its JSON value.
    async fn evaluate(&mut self, expression: &str) -> Result<serde_json::Value>;

    /// Scrolls the first element matching a CSS selector into view and clicks its centre.
    async fn click(&mut self, selector: &str) -> Result<()>;

    /// Focuses the first element matching a CSS selector and types `text` at its end, key by
    /// key, as a user would.
    async fn type_text(&mut self, selector: &str, text: &str) -> Result<()>;

    /// Scrolls the window by `dy` CSS pixels (negative: up).
    async fn scroll_by(&mut self, dy: i64) -> Result<()>;

    /// Waits until an element matches the selector, at most `timeout`.
    async fn wait_for(&mut self, selector: &str, timeout: Duration) -> Result<()>;

    /// A screenshot of the viewport.
    async fn screenshot(&mut self, format: ImageFormat) -> Result<Vec<u8>>;

    /// Live frames, when the driver has [`Capabilities::live_frames`]; `None` otherwise.
    ///
    /// At most `max_fps` frames a second arrive. Frames are dropped rather than queued when the
    /// receiver is slow. A new call replaces the stream of the previous one; the stream ends
    /// when the session closes.
    async fn frames(&mut self, max_fps: u32) -> Result<Option<tokio::sync::mpsc::Receiver<Frame>>> {
        let _ = max_fps;
        Ok(None)
    }

    /// Closes the session and frees its browser resources (tab, cookies, storage).
    async fn close(self: Box<Self>) -> Result<()>;
}
