//! Text helpers: cleaning values, splitting keys into tokens, and reading a page as lines.

use scraper::{ElementRef, Html, Node};

/// Collapses every run of whitespace (including no-break and zero-width spaces) into one space
/// and trims the ends.
pub(crate) fn collapse_ws(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars() {
        if c.is_whitespace() || c == '\u{200b}' || c == '\u{feff}' {
            pending_space = !out.is_empty();
        } else {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
        }
    }
    out
}

/// Turns a raw value (which may hold entities or markup, as JSON-LD strings often do) into
/// clean text: entities decoded, tags dropped, whitespace collapsed.
pub(crate) fn clean(s: &str) -> String {
    if s.contains('&') || s.contains('<') {
        // The HTML parser is the one decoder that knows every entity the browser knows.
        let fragment = Html::parse_fragment(s);
        collapse_ws(&fragment.root_element().text().collect::<String>())
    } else {
        collapse_ws(s)
    }
}

/// Splits a key, label or field name into lower-case word tokens: `datePublished` →
/// `date published`, `og:site_name` → `og site name`, `E-mail` → `e mail`.
pub(crate) fn tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in s.chars() {
        if c.is_alphanumeric() {
            if c.is_uppercase() && prev_lower && !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = c.is_lowercase() || c.is_ascii_digit();
            cur.extend(c.to_lowercase());
        } else {
            prev_lower = false;
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Shortens `s` to at most `max` characters, for log lines and evidence snippets.
pub(crate) fn excerpt(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Elements whose text is never visible content.
pub(crate) fn is_invisible_tag(name: &str) -> bool {
    matches!(
        name,
        "script"
            | "style"
            | "noscript"
            | "template"
            | "svg"
            | "head"
            | "iframe"
            | "object"
            | "select"
            | "textarea"
            // Struck-through text is a value that no longer holds (an old price).
            | "del"
            | "s"
            | "strike"
    )
}

/// Elements that start a new line of text when rendered.
pub(crate) fn is_block_tag(name: &str) -> bool {
    matches!(
        name,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "body"
            | "br"
            | "caption"
            | "dd"
            | "details"
            | "dialog"
            | "div"
            | "dl"
            | "dt"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "form"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "header"
            | "hr"
            | "li"
            | "main"
            | "nav"
            | "ol"
            | "p"
            | "pre"
            | "section"
            | "summary"
            | "table"
            | "tbody"
            | "td"
            | "tfoot"
            | "th"
            | "thead"
            | "tr"
            | "ul"
            | "option"
            | "button"
            | "center"
    )
}

/// Whether an element is hidden from readers by markup alone.
pub(crate) fn is_hidden(el: ElementRef<'_>) -> bool {
    let v = el.value();
    if v.attr("hidden").is_some() || v.attr("aria-hidden") == Some("true") {
        return true;
    }
    if v.name() == "input" && v.attr("type") == Some("hidden") {
        return true;
    }
    v.attr("style").is_some_and(|style| {
        let style: String = style.chars().filter(|c| !c.is_whitespace()).collect();
        let style = style.to_ascii_lowercase();
        style.contains("display:none") || style.contains("visibility:hidden")
    })
}

/// The visible text of an element, with a space wherever a line would break.
pub(crate) fn element_text(el: ElementRef<'_>) -> String {
    let mut buf = String::new();
    push_text(el, &mut buf);
    collapse_ws(&buf)
}

fn push_text(el: ElementRef<'_>, buf: &mut String) {
    for child in el.children() {
        match child.value() {
            Node::Text(t) => buf.push_str(t),
            Node::Element(e) => {
                let Some(child_el) = ElementRef::wrap(child) else {
                    continue;
                };
                if is_invisible_tag(e.name()) || is_hidden(child_el) {
                    continue;
                }
                let block = is_block_tag(e.name());
                if block {
                    buf.push(' ');
                }
                push_text(child_el, buf);
                if block {
                    buf.push(' ');
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_split_camel_case_and_punctuation() {
        assert_eq!(tokens("datePublished"), ["date", "published"]);
        assert_eq!(tokens("og:site_name"), ["og", "site", "name"]);
        assert_eq!(tokens("E-mail"), ["e", "mail"]);
        assert_eq!(tokens("  Price (USD): "), ["price", "usd"]);
        assert_eq!(tokens("SKU"), ["sku"]);
    }

    #[test]
    fn clean_decodes_entities_and_drops_tags() {
        assert_eq!(
            clean("Tom &amp; Jerry&nbsp;&#8212; <b>live</b>"),
            "Tom & Jerry — live"
        );
        assert_eq!(clean("  a \n\t b  "), "a b");
    }

    #[test]
    fn element_text_skips_scripts_struck_text_and_hidden_elements() {
        let html = Html::parse_fragment(
            "<div>Now <del>$20</del><b>$15</b><script>x()</script><span hidden>no</span>\
             <p>next</p></div>",
        );
        let sel = scraper::Selector::parse("div").expect("valid selector");
        let div = html.select(&sel).next().expect("div");
        assert_eq!(element_text(div), "Now $15 next");
    }
}
