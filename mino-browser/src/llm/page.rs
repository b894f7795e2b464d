//! What the model sees of the page, and waiting for the page to settle after an action.
//!
//! One script ([`digest_script`]) reads the URL, title, scroll position, visible text and the
//! visible interactive elements, and tags each listed element with `data-mino-el="N"`, so
//! that `click(N)` and `type(N, …)` reach it through the CSS selector [`element_selector`].

use std::fmt::Write as _;
use std::time::Duration;

use mino_core::browser::BrowserSession;
use mino_core::{ErrorKind, Result};
use serde::Deserialize;
use tokio::time::Instant;

/// The attribute that numbers the listed elements.
const ATTRIBUTE: &str = "data-mino-el";

/// The CSS selector of element `n` of the last digest.
pub(crate) fn element_selector(n: u32) -> String {
    format!("[{ATTRIBUTE}=\"{n}\"]")
}

/// The page-side script returning a [`PageState`] with at most `max_elements` elements and
/// `max_text_chars` characters of text.
pub(crate) fn digest_script(max_elements: usize, max_text_chars: usize) -> String {
    format!(
        r#"(() => {{
  const ATTR = '{ATTRIBUTE}', MAX = {max_elements}, MAXTEXT = {max_text_chars};
  for (const old of document.querySelectorAll('[' + ATTR + ']')) old.removeAttribute(ATTR);
  const clean = (t, n) => String(t || '').replace(/\s+/g, ' ').trim().slice(0, n);
  const visible = (el) => {{
    const r = el.getBoundingClientRect();
    if (r.width <= 0 || r.height <= 0) return false;
    const s = getComputedStyle(el);
    return s.visibility !== 'hidden' && s.display !== 'none';
  }};
  const wanted = 'a[href], button, input:not([type=hidden]), textarea, select, summary, ' +
    '[role=button], [role=link], [role=tab], [role=menuitem], [onclick], [contenteditable=true]';
  const elements = [];
  for (const el of document.querySelectorAll(wanted)) {{
    if (elements.length >= MAX) break;
    if (el.disabled || !visible(el)) continue;
    const n = elements.length + 1;
    el.setAttribute(ATTR, String(n));
    const tag = el.tagName.toLowerCase(), role = el.getAttribute('role');
    // A new tab would be invisible to the session: links open in this one.
    if (tag === 'a' && el.target && el.target !== '_self') el.target = '_self';
    const kind = tag === 'a' ? 'link' : ['input', 'textarea', 'select'].includes(tag) ? tag
      : (tag === 'button' || role === 'button') ? 'button' : (role || tag);
    const item = {{ n, kind, text: clean(el.innerText || el.textContent, 80) }};
    if (tag === 'a') item.href = el.getAttribute('href');
    if (tag === 'input') item.input_type = (el.getAttribute('type') || 'text').toLowerCase();
    const label = el.getAttribute('aria-label') || el.getAttribute('placeholder') ||
      el.getAttribute('title') || (el.labels && el.labels[0] ? el.labels[0].innerText : '') ||
      el.getAttribute('name');
    if (label) item.label = clean(label, 80);
    if (['input', 'textarea', 'select'].includes(tag) && el.value) item.value = clean(el.value, 80);
    elements.push(item);
  }}
  const raw = document.body ? (document.body.innerText || '') : '';
  const text = raw.replace(/[ \t\u00a0]+/g, ' ').replace(/\s*\n\s*/g, '\n').trim();
  return {{
    url: location.href, title: document.title, text: text.slice(0, MAXTEXT),
    text_length: text.length, scroll_y: Math.round(window.scrollY),
    scroll_height: Math.round(document.documentElement ? document.documentElement.scrollHeight : 0),
    viewport_height: window.innerHeight, elements,
  }};
}})()"#
    )
}

/// The page as the model sees it at one step.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub(crate) struct PageState {
    pub url: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub text_length: usize,
    #[serde(default)]
    pub scroll_y: i64,
    #[serde(default)]
    pub scroll_height: i64,
    #[serde(default)]
    pub viewport_height: i64,
    #[serde(default)]
    pub elements: Vec<Element>,
}

/// One numbered interactive element.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub(crate) struct Element {
    pub n: u32,
    pub kind: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub href: Option<String>,
    #[serde(default)]
    pub input_type: Option<String>,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
}

impl Element {
    /// One line, e.g. `[3] link "Catalogue" -> /catalogue`.
    pub fn describe(&self) -> String {
        let mut line = format!("[{}] {}", self.n, self.kind);
        if let Some(t) = &self.input_type {
            let _ = write!(line, " type={t}");
        }
        if !self.text.is_empty() {
            let _ = write!(line, " {:?}", self.text);
        }
        if let Some(label) = self.label.as_ref().filter(|l| **l != self.text) {
            let _ = write!(line, " label={label:?}");
        }
        if let Some(value) = &self.value {
            let _ = write!(line, " value={value:?}");
        }
        if let Some(href) = &self.href {
            let _ = write!(line, " -> {href}");
        }
        line
    }
}

impl PageState {
    /// The element numbered `n`, if the last digest listed it.
    pub fn element(&self, n: u32) -> Option<&Element> {
        self.elements.iter().find(|e| e.n == n)
    }

    /// The page state message of `step` (from 1) of at most `max_steps`.
    pub fn render(&self, step: u32, max_steps: u32) -> String {
        let mut out = format!(
            "Step {step} of at most {max_steps}. Current page:\nURL: {}\nTitle: {}\n\
             Scroll: {} of {} px (window height {} px)\n",
            self.url, self.title, self.scroll_y, self.scroll_height, self.viewport_height
        );
        if self.elements.is_empty() {
            out.push_str("Interactive elements: none visible\n");
        } else {
            out.push_str("Interactive elements (use the number with click or type):\n");
            for element in &self.elements {
                out.push_str(&element.describe());
                out.push('\n');
            }
        }
        let shown = self.text.chars().count();
        if shown < self.text_length {
            let _ = writeln!(
                out,
                "Visible text (first {shown} of {} characters; scroll or follow links for more):",
                self.text_length
            );
        } else {
            out.push_str("Visible text:\n");
        }
        out.push_str(&self.text);
        out
    }

    /// A short excerpt of the text around `value` (case-insensitive), for evidence.
    pub fn snippet(&self, value: &str) -> Option<String> {
        const AROUND: usize = 60;
        let needle = value.trim().to_lowercase();
        if needle.is_empty() {
            return None;
        }
        let chars: Vec<char> = self.text.chars().collect();
        let lower: Vec<char> = chars.iter().flat_map(|c| c.to_lowercase()).collect();
        // Lower-casing can change lengths (rarely); then positions would not line up.
        if lower.len() != chars.len() {
            return None;
        }
        let needle: Vec<char> = needle.chars().collect();
        let at = lower
            .windows(needle.len())
            .position(|w| w == needle.as_slice())?;
        let start = at.saturating_sub(AROUND);
        let end = (at + needle.len() + AROUND).min(chars.len());
        let excerpt: String = chars[start..end].iter().collect();
        Some(excerpt.split_whitespace().collect::<Vec<_>>().join(" "))
    }
}

/// Reads the page. A page that is between two documents (it navigated on its own) is read
/// again a few times before the error counts.
pub(crate) async fn read_page(session: &mut dyn BrowserSession, script: &str) -> Result<PageState> {
    let mut tries = 0;
    loop {
        match session.evaluate(script).await {
            Ok(value) => {
                return serde_json::from_value(value).map_err(|e| {
                    mino_core::Error::internal(format!("llm agent: unreadable page digest: {e}"))
                })
            }
            Err(err) if err.kind() == ErrorKind::Browser && tries < 5 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(err) => return Err(err),
        }
    }
}

/// How the page ended up after an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Settled {
    /// The same document, no navigation pending.
    SamePage,
    /// A new document finished loading.
    NewPage,
    /// Still loading when the time was up.
    StillLoading,
}

/// Marks the current document before an action, so that [`settle`] can tell whether the
/// action left it: the mark is gone in a new document, and `beforeunload` records that a
/// navigation started (a link's target may take a while to answer).
pub(crate) async fn mark(session: &mut dyn BrowserSession, token: &str) -> Result<()> {
    let token = serde_json::Value::String(token.to_owned());
    session
        .evaluate(&format!(
            "(() => {{ window.__minoMark = {token}; window.__minoLeaving = false; \
             window.addEventListener('beforeunload', () => {{ window.__minoLeaving = true; }}, \
             {{ once: true }}); return true; }})()"
        ))
        .await
        .map(|_| ())
}

/// Waits until the page is settled after an action on a document marked with `token`: the
/// same document with no navigation started, or a new document loaded. Gives up after
/// `timeout` with [`Settled::StillLoading`]; a browser error that lasts until then is returned.
pub(crate) async fn settle(
    session: &mut dyn BrowserSession,
    token: &str,
    timeout: Duration,
) -> Result<Settled> {
    // Lets a click's navigation start (or a script react) before the first look.
    tokio::time::sleep(Duration::from_millis(150)).await;
    let token = serde_json::Value::String(token.to_owned());
    let probe = format!(
        "({{ marked: window.__minoMark === {token}, leaving: !!window.__minoLeaving, \
           ready: document.readyState }})"
    );
    let deadline = Instant::now() + timeout;
    loop {
        let failure = match session.evaluate(&probe).await {
            Ok(state) => {
                let marked = state.get("marked").and_then(|v| v.as_bool()) == Some(true);
                let leaving = state.get("leaving").and_then(|v| v.as_bool()) == Some(true);
                let complete = state.get("ready").and_then(|v| v.as_str()) == Some("complete");
                match (marked, leaving) {
                    (true, false) => return Ok(Settled::SamePage),
                    (false, _) if complete => return Ok(Settled::NewPage),
                    _ => None,
                }
            }
            // Between two documents the page has no context to evaluate in.
            Err(err) if err.kind() == ErrorKind::Browser => Some(err),
            Err(err) => return Err(err),
        };
        if Instant::now() >= deadline {
            return match failure {
                Some(err) => Err(err),
                None => Ok(Settled::StillLoading),
            };
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> PageState {
        PageState {
            url: "http://x/".into(),
            title: "Shop".into(),
            text: "Welcome.\nPrice: $39.99 incl. VAT\nMore below".into(),
            text_length: 500,
            elements: vec![
                Element {
                    n: 1,
                    kind: "link".into(),
                    text: "Catalogue".into(),
                    href: Some("/catalogue".into()),
                    ..Element::default()
                },
                Element {
                    n: 2,
                    kind: "input".into(),
                    input_type: Some("search".into()),
                    label: Some("Search books".into()),
                    value: Some("rust".into()),
                    ..Element::default()
                },
            ],
            ..PageState::default()
        }
    }

    #[test]
    fn renders_numbered_elements_and_trimmed_text() {
        let text = state().render(2, 12);
        assert!(text.starts_with("Step 2 of at most 12."));
        assert!(text.contains("[1] link \"Catalogue\" -> /catalogue\n"));
        assert!(text.contains("[2] input type=search label=\"Search books\" value=\"rust\"\n"));
        assert!(text.contains("first 43 of 500 characters"));
        assert!(text.ends_with("More below"));
        assert_eq!(element_selector(7), "[data-mino-el=\"7\"]");
    }

    #[test]
    fn snippets_surround_the_value() {
        let s = state();
        assert_eq!(
            s.snippet("$39.99").as_deref(),
            Some("Welcome. Price: $39.99 incl. VAT More below")
        );
        assert_eq!(s.snippet("absent"), None);
        assert_eq!(s.snippet(" "), None);
    }
}
