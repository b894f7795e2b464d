//! The bare chromiumoxide baseline of the Chromium benches, written once: a browser launched
//! exactly as `ChromiumDriver` launches its own (same binary, flags, viewport, window size,
//! timeouts, fresh profile, TMPDIR inside it), and a fresh browser context and page per visit,
//! disposed whatever happened, as the driver does.
//!
//! Included with `#[path]` by `mino-browser/benches/chromium_pages.rs` and the workspace's
//! `benches/end_to_end.rs`; the including module brings `ChromiumConfig`, `DEFAULT_FLAGS` and
//! `DEFAULT_VIEWPORT` into scope (from `mino_browser`/`mino_core` in the one, from the `mino`
//! facade in the other).

// Each bench uses a part of it (only the page bench reads the pid).
#![allow(dead_code)]

use std::future::Future;
use std::path::Path;
use std::time::Duration;

use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::cdp::browser_protocol::target::{
    CreateBrowserContextParams, CreateTargetParams,
};
use chromiumoxide::handler::viewport::Viewport;
use chromiumoxide::Page;
use futures::StreamExt;

use super::{ChromiumConfig, DEFAULT_FLAGS, DEFAULT_VIEWPORT};

/// A chromiumoxide browser launched as the driver launches its own.
pub struct Bare {
    /// The browser.
    pub browser: Browser,
    /// Its process id.
    pub pid: u32,
    _profile: tempfile::TempDir,
}

impl Bare {
    /// Launches `executable` with a fresh profile in a temp dir named `prefix…`.
    pub async fn launch(executable: &Path, prefix: &str) -> Bare {
        let defaults = ChromiumConfig::local();
        let profile = tempfile::Builder::new()
            .prefix(prefix)
            .tempdir()
            .expect("a profile dir");
        let tmp = profile.path().join("tmp");
        std::fs::create_dir_all(&tmp).expect("a temp dir");
        let (width, height) = DEFAULT_VIEWPORT;
        let config = BrowserConfig::builder()
            .chrome_executable(executable)
            .user_data_dir(profile.path().join("profile"))
            .env("TMPDIR", tmp.to_string_lossy())
            .window_size(width, height)
            .viewport(Viewport {
                width,
                height,
                ..Viewport::default()
            })
            .launch_timeout(defaults.launch_timeout)
            .request_timeout(defaults.request_timeout)
            // chromiumoxide adds the leading `--` itself.
            .args(DEFAULT_FLAGS.iter().map(|f| f.trim_start_matches("--")))
            .no_sandbox()
            .build()
            .expect("a browser config");
        let (mut browser, mut handler) = Browser::launch(config).await.expect("launch Chromium");
        tokio::spawn(async move { while handler.next().await.is_some() {} });
        let pid = browser
            .get_mut_child()
            .and_then(|child| child.as_mut_inner().id())
            .expect("a launched browser has a pid");
        Bare {
            browser,
            pid,
            _profile: profile,
        }
    }

    /// Runs `work` on a new page (at `about:blank`) in a fresh browser context, then disposes
    /// the context whatever happened, so a failure leaks nothing. An error says which step
    /// failed.
    pub async fn in_fresh_page<T, F, Fut>(&self, work: F) -> Result<T, String>
    where
        F: FnOnce(Page) -> Fut,
        Fut: Future<Output = Result<T, String>>,
    {
        let context = self
            .browser
            .create_browser_context(CreateBrowserContextParams {
                dispose_on_detach: Some(true),
                ..CreateBrowserContextParams::default()
            })
            .await
            .map_err(|e| format!("context: {e}"))?;
        let target = CreateTargetParams::builder()
            .url("about:blank")
            .browser_context_id(context.clone())
            .build()
            .map_err(|e| format!("target: {e}"))?;
        let done = async {
            let page = self
                .browser
                .new_page(target)
                .await
                .map_err(|e| format!("page: {e}"))?;
            work(page).await
        }
        .await;
        let disposed = self.browser.dispose_browser_context(context).await;
        let value = done?;
        disposed.map_err(|e| format!("dispose: {e}"))?;
        Ok(value)
    }
}

/// Navigates `page` to `url` and waits for the load event, at most `timeout`.
pub async fn goto(page: &Page, url: impl Into<String>, timeout: Duration) -> Result<(), String> {
    tokio::time::timeout(timeout, page.goto(url.into()))
        .await
        .map_err(|_| "goto: timed out".to_owned())?
        .map_err(|e| format!("goto: {e}"))?;
    Ok(())
}
