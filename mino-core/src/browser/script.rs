//! Page-side JavaScript shared by the drivers.
//!
//! `click`, `type_text`, `wait_for` and `scroll_by` find elements in the page with the same
//! expressions in every driver, so a selector that works with one driver works with the others,
//! and invalid selectors or missing elements fail the same way. Each function here returns a
//! self-contained JavaScript *expression*; drivers evaluate it (CDP `Runtime.evaluate`, or
//! `return (…);` in a WebDriver script) and hand the JSON result to the matching `parse_*`.

use serde_json::Value;

use crate::error::{Error, Result};

/// How often [`BrowserSession::wait_for`](super::BrowserSession::wait_for) looks for the
/// element. Polling (rather than a page-side observer) survives navigations while waiting.
pub const WAIT_POLL_INTERVAL: std::time::Duration = std::time::Duration::from_millis(50);

/// The serialized DOM with its doctype, as [`BrowserSession::html`](super::BrowserSession::html)
/// returns it.
pub const HTML: &str = "(() => { const d = document.doctype; \
    return (d ? new XMLSerializer().serializeToString(d) : '') + \
    (document.documentElement ? document.documentElement.outerHTML : ''); })()";

/// Quiet time after which the network counts as idle (matches Chromium's `networkIdle`).
pub const NETWORK_QUIET: std::time::Duration = std::time::Duration::from_millis(500);

/// A script to run in every new document (before the page's own scripts) for drivers that
/// cannot observe the network from outside: it counts `fetch` and `XMLHttpRequest` calls in
/// flight and remembers when the network was last active, for [`NETWORK_PROBE`].
pub const NETWORK_TRACKER: &str = "(() => { if (window.__minoNet) return; \
    const state = { inflight: 0, last: performance.now() }; \
    Object.defineProperty(window, '__minoNet', { value: state, enumerable: false }); \
    const touch = () => { state.last = performance.now(); }; \
    const start = () => { state.inflight += 1; touch(); }; \
    const end = () => { state.inflight = Math.max(0, state.inflight - 1); touch(); }; \
    const fetch = window.fetch; \
    if (typeof fetch === 'function') { \
      window.fetch = function (...args) { start(); \
        try { return fetch.apply(this, args).finally(end); } catch (e) { end(); throw e; } }; } \
    const send = XMLHttpRequest.prototype.send; \
    XMLHttpRequest.prototype.send = function (...args) { start(); \
      this.addEventListener('loadend', end, { once: true }); \
      try { return send.apply(this, args); } catch (e) { end(); throw e; } }; \
    try { new PerformanceObserver(touch).observe({ type: 'resource' }); } catch (e) {} \
  })()";

/// Reports the network state as a [`NetworkProbe`]: requests in flight (when
/// [`NETWORK_TRACKER`] runs in the page) and milliseconds since the last network activity seen
/// by the tracker or the resource timing entries.
pub const NETWORK_PROBE: &str = "(() => { const now = performance.now(); \
    const s = window.__minoNet; let last = s ? s.last : 0; \
    for (const e of performance.getEntriesByType('resource')) \
      last = Math.max(last, e.responseEnd || e.startTime); \
    return { complete: document.readyState === 'complete', inflight: s ? s.inflight : 0, \
             quiet_ms: now - last, tracked: !!s }; })()";

/// The answer of [`NETWORK_PROBE`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
pub struct NetworkProbe {
    /// `document.readyState` is `complete`.
    pub complete: bool,
    /// `fetch`/`XMLHttpRequest` calls in flight (0 when the tracker is absent).
    pub inflight: u32,
    /// Milliseconds since the last network activity.
    pub quiet_ms: f64,
    /// Whether [`NETWORK_TRACKER`] runs in the page.
    pub tracked: bool,
}

impl NetworkProbe {
    /// How much longer to wait before the network counts as idle; `None` when it is idle now.
    pub fn wait_more(&self) -> Option<std::time::Duration> {
        let quiet = std::time::Duration::from_secs_f64(self.quiet_ms.max(0.0) / 1000.0);
        if self.complete && self.inflight == 0 && quiet >= NETWORK_QUIET {
            None
        } else {
            // Poll again when the quiet period could be over, but keep an eye on new activity.
            Some(
                NETWORK_QUIET
                    .saturating_sub(quiet)
                    .clamp(WAIT_POLL_INTERVAL, NETWORK_QUIET),
            )
        }
    }
}

/// A WebDriver script body (not an expression) that evaluates its first argument as
/// JavaScript with `eval`, so statements work as with CDP's `Runtime.evaluate`. On pages whose
/// Content Security Policy forbids `eval` it returns an object with the key
/// [`EVAL_BLOCKED`] instead; the driver then runs the source as an expression (WebDriver
/// scripts themselves are exempt from the policy).
pub const EVAL_ARGUMENT: &str = "try { return eval(arguments[0]); } \
    catch (e) { if (e instanceof EvalError) return { __minoEvalBlocked: true }; throw e; }";

/// The key of the object [`EVAL_ARGUMENT`] returns when `eval` is forbidden.
pub const EVAL_BLOCKED: &str = "__minoEvalBlocked";

/// Reads the error code of Chromium's own error page (`chrome-error://…`), which a WebDriver
/// server shows instead of reporting some failed navigations (e.g. a missing `file://` page):
/// the `net::ERR_…` name, or `null` when the page is not an error page.
pub const ERROR_PAGE_CODE: &str =
    "(() => { if (!location.href.startsWith('chrome-error:')) return null; \
    const el = document.querySelector('.error-code'); \
    const code = el ? el.textContent.trim() : ''; \
    return 'net::' + (code.startsWith('ERR_') ? code : 'ERR_FAILED'); })()";

/// Where to click the element a selector names.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ClickTarget {
    /// The centre of the element in viewport CSS pixels; the element is on top there, so a
    /// real mouse click at this point reaches it.
    Point {
        /// Horizontal position.
        x: f64,
        /// Vertical position.
        y: f64,
    },
    /// The element has no box or is covered by another element; the script already clicked it
    /// through the DOM (`element.click()`), which is what a user who reached it would cause.
    ClickedByScript,
}

/// Quotes a string as a JavaScript string literal (JSON is a subset of JavaScript).
fn literal(s: &str) -> String {
    Value::String(s.to_owned()).to_string()
}

/// The shared prologue: finds the first match of the selector in `el`, or returns an error
/// object from the expression.
fn find(selector: &str) -> String {
    format!(
        "let el; try {{ el = document.querySelector({sel}); }} \
         catch (e) {{ return {{ error: 'invalid_selector', message: String(e && e.message) }}; }} \
         if (!el) return {{ error: 'no_match' }};",
        sel = literal(selector)
    )
}

/// Scrolls the first match into view and reports where to click it (see [`ClickTarget`]).
pub fn click_target(selector: &str) -> String {
    format!(
        "(() => {{ {find} \
         el.scrollIntoView({{ block: 'center', inline: 'center', behavior: 'instant' }}); \
         const r = el.getBoundingClientRect(); \
         if (r.width > 0 && r.height > 0) {{ \
           const x = r.left + r.width / 2, y = r.top + r.height / 2; \
           const top = document.elementFromPoint(x, y); \
           if (top && (top === el || el.contains(top))) return {{ x, y }}; \
         }} \
         el.click(); return {{ clicked: true }}; }})()",
        find = find(selector)
    )
}

/// Parses the result of [`click_target`].
pub fn parse_click_target(value: &Value, selector: &str) -> Result<ClickTarget> {
    check_outcome(value, selector)?;
    if value.get("clicked").and_then(Value::as_bool) == Some(true) {
        return Ok(ClickTarget::ClickedByScript);
    }
    match (
        value.get("x").and_then(Value::as_f64),
        value.get("y").and_then(Value::as_f64),
    ) {
        (Some(x), Some(y)) => Ok(ClickTarget::Point { x, y }),
        _ => Err(unexpected(value, selector)),
    }
}

/// Scrolls the first match into view, focuses it and puts the caret at the end of its value.
pub fn focus(selector: &str) -> String {
    format!(
        "(() => {{ {find} \
         el.scrollIntoView({{ block: 'center', inline: 'center', behavior: 'instant' }}); \
         el.focus(); \
         const active = document.activeElement; \
         if (!(active === el || el.contains(active))) return {{ error: 'not_focusable' }}; \
         if (typeof el.value === 'string' && typeof el.setSelectionRange === 'function') {{ \
           try {{ const n = el.value.length; el.setSelectionRange(n, n); }} catch (e) {{}} \
         }} \
         return {{ focused: true }}; }})()",
        find = find(selector)
    )
}

/// Parses the result of [`focus`].
pub fn parse_focus(value: &Value, selector: &str) -> Result<()> {
    check_outcome(value, selector)?;
    if value.get("focused").and_then(Value::as_bool) == Some(true) {
        Ok(())
    } else {
        Err(unexpected(value, selector))
    }
}

/// Whether an element matches the selector now.
pub fn exists(selector: &str) -> String {
    format!(
        "(() => {{ {find} return {{ found: true }}; }})()",
        find = find(selector)
    )
}

/// Parses the result of [`exists`]: `Ok(false)` when nothing matches yet.
pub fn parse_exists(value: &Value, selector: &str) -> Result<bool> {
    if value.get("error").and_then(Value::as_str) == Some("no_match") {
        return Ok(false);
    }
    check_outcome(value, selector)?;
    Ok(value.get("found").and_then(Value::as_bool) == Some(true))
}

/// Scrolls the window by `dy` CSS pixels at once (ignoring `scroll-behavior: smooth`, so the
/// position has changed when the call returns).
pub fn scroll_by(dy: i64) -> String {
    format!("(() => {{ window.scrollBy({{ top: {dy}, left: 0, behavior: 'instant' }}); return window.scrollY; }})()")
}

/// Turns the error objects of the scripts above into [`ErrorKind::Validation`] errors.
///
/// [`ErrorKind::Validation`]: crate::ErrorKind::Validation
fn check_outcome(value: &Value, selector: &str) -> Result<()> {
    let Some(error) = value.get("error").and_then(Value::as_str) else {
        return Ok(());
    };
    let message = match error {
        "invalid_selector" => format!(
            "invalid CSS selector {selector:?}: {}",
            value.get("message").and_then(Value::as_str).unwrap_or("")
        ),
        "no_match" => format!("no element matches {selector:?}"),
        "not_focusable" => format!("the element matching {selector:?} cannot take focus"),
        other => format!("selector {selector:?} failed: {other}"),
    };
    Err(Error::validation(message).with_context("selector", selector))
}

fn unexpected(value: &Value, selector: &str) -> Error {
    Error::internal(format!("unexpected result of a page script: {value}"))
        .with_context("selector", selector)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::ErrorKind;

    #[test]
    fn selectors_are_quoted_not_spliced() {
        let js = exists("a[href=\"x\"]'); alert(1); ('");
        assert!(js.contains(r#"document.querySelector("a[href=\"x\"]'); alert(1); ('")"#));
    }

    #[test]
    fn outcomes_map_to_validation_errors() {
        let err = parse_click_target(&json!({"error": "no_match"}), "#x").expect_err("no match");
        assert_eq!(err.kind(), ErrorKind::Validation);
        assert_eq!(err.context_value("selector"), Some("#x"));
        let err = parse_focus(
            &json!({"error": "invalid_selector", "message": "bad"}),
            "[[",
        )
        .expect_err("invalid");
        assert_eq!(err.kind(), ErrorKind::Validation);
        assert!(err.message().contains("bad"));
        assert!(!parse_exists(&json!({"error": "no_match"}), "#x").expect("no match is false"));
        assert!(parse_exists(&json!({"found": true}), "#x").expect("found"));
        assert!(parse_exists(&json!({"error": "invalid_selector"}), "[[").is_err());
    }

    #[test]
    fn network_probe_says_when_idle() {
        let probe = |complete, inflight, quiet_ms| NetworkProbe {
            complete,
            inflight,
            quiet_ms,
            tracked: true,
        };
        assert_eq!(probe(true, 0, 600.0).wait_more(), None);
        assert!(probe(true, 1, 600.0).wait_more().is_some());
        assert!(probe(false, 0, 600.0).wait_more().is_some());
        let wait = probe(true, 0, 100.0).wait_more().expect("not quiet yet");
        assert_eq!(wait, std::time::Duration::from_millis(400));
    }

    #[test]
    fn click_targets_parse() {
        assert_eq!(
            parse_click_target(&json!({"x": 1.5, "y": 2.0}), "a").expect("point"),
            ClickTarget::Point { x: 1.5, y: 2.0 }
        );
        assert_eq!(
            parse_click_target(&json!({"clicked": true}), "a").expect("script"),
            ClickTarget::ClickedByScript
        );
        assert_eq!(
            parse_click_target(&json!(null), "a")
                .expect_err("null")
                .kind(),
            ErrorKind::Internal
        );
    }
}
