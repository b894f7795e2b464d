//! Carrying out the model's browser actions.
//!
//! An action that fails in a way the model can work around (no such element, a page that does
//! not load, an error status) becomes a sentence in the tool result; only failures of the
//! browser itself end the run.

use std::time::Duration;

use mino_core::browser::{BrowserSession, WaitUntil};
use mino_core::{Error, ErrorKind, Result};
use url::Url;

use super::page::{element_selector, mark, settle, PageState, Settled};
use super::tools::{Action, Direction};

/// Whether the model can be told about `err` and go on.
fn recoverable(err: &Error) -> bool {
    matches!(
        err.kind(),
        ErrorKind::Validation | ErrorKind::Timeout | ErrorKind::Network | ErrorKind::HttpStatus
    )
}

/// `Ok(report)` for the model, or the error when it cannot be reported.
fn report(result: Result<String>, what: &str) -> Result<String> {
    match result {
        Ok(report) => Ok(report),
        Err(err) if recoverable(&err) => Ok(format!("{what} failed: {err}")),
        Err(err) => Err(err),
    }
}

/// Carries out one browser action (not `finish`) on the page the model saw, and says what
/// happened in a sentence for the model. `token` marks the document to see whether the action
/// left it.
pub(crate) async fn execute(
    session: &mut dyn BrowserSession,
    page: &PageState,
    action: &Action,
    token: &str,
    timeout: Duration,
) -> Result<String> {
    match action {
        Action::Navigate { url } => {
            let target = match Url::parse(&page.url).and_then(|base| base.join(url.trim())) {
                Ok(target) => target,
                Err(e) => return Ok(format!("{url:?} is not a URL ({e}); nothing happened.")),
            };
            let result = session
                .goto(target.as_str(), WaitUntil::Load, timeout)
                .await
                .map(|nav| format!("Opened {}.", nav.url));
            report(result, "Navigation")
        }
        Action::Click { element } => {
            let Some(listed) = page.element(*element) else {
                return Ok(missing(*element));
            };
            let selector = element_selector(*element);
            let result = async {
                mark(session, token).await?;
                session.click(&selector).await?;
                let settled = settle(session, token, timeout).await?;
                Ok(format!("Clicked {}. {}", listed.describe(), after(settled)))
            }
            .await;
            report(result, "The click")
        }
        Action::Type {
            element,
            text,
            submit,
        } => {
            let Some(listed) = page.element(*element) else {
                return Ok(missing(*element));
            };
            let selector = element_selector(*element);
            let result = async {
                clear(session, &selector).await?;
                session.type_text(&selector, text).await?;
                if !*submit {
                    return Ok(format!("Typed {text:?} into {}.", listed.describe()));
                }
                mark(session, token).await?;
                // Enter in a field submits its form, as it would for a person.
                session.type_text(&selector, "\n").await?;
                let settled = settle(session, token, timeout).await?;
                Ok(format!(
                    "Typed {text:?} into {} and pressed Enter. {}",
                    listed.describe(),
                    after(settled)
                ))
            }
            .await;
            report(result, "Typing")
        }
        Action::Scroll { direction } => {
            let step = (page.viewport_height.max(200) * 4) / 5;
            let dy = match direction {
                Direction::Down => step,
                Direction::Up => -step,
            };
            let result = session
                .scroll_by(dy)
                .await
                .map(|()| format!("Scrolled {}.", if dy > 0 { "down" } else { "up" }));
            report(result, "Scrolling")
        }
        Action::Finish { .. } => Err(Error::internal("finish is not a browser action")),
    }
}

fn missing(element: u32) -> String {
    format!(
        "There is no element [{element}] in the current page state; nothing happened. \
         Use a number from the latest list."
    )
}

fn after(settled: Settled) -> &'static str {
    match settled {
        Settled::SamePage => "The page stayed the same document.",
        Settled::NewPage => "A new page loaded.",
        Settled::StillLoading => "The page was still loading when the time was up.",
    }
}

/// Empties a field before typing, so that `type` replaces its text rather than appending.
async fn clear(session: &mut dyn BrowserSession, selector: &str) -> Result<()> {
    let selector = serde_json::Value::String(selector.to_owned());
    session
        .evaluate(&format!(
            "(() => {{ const el = document.querySelector({selector}); if (!el) return false; \
             if ('value' in el) {{ el.value = ''; \
               el.dispatchEvent(new Event('input', {{ bubbles: true }})); }} \
             else if (el.isContentEditable) {{ el.textContent = ''; }} return true; }})()"
        ))
        .await
        .map(|_| ())
}
