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
