//! Reads a page as rendered lines of text, each tagged with the part of the page it sits in.
//!
//! Pattern and `Label: value` rules work on lines rather than on the DOM, because that is how
//! a reader sees a page: a price split over three `<span>`s is one line, a `<br>` starts a new
//! one. The zone of a line (main content, navigation, footer, related items, cookie banner)
//! lets the rules prefer the page's own content over its chrome.

use scraper::{ElementRef, Html, Node};

use super::text::{collapse_ws, is_block_tag, is_hidden, is_invisible_tag, tokens};

/// The part of a page a line sits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Zone {
    /// The page's own content.
    Main,
    /// The site footer.
    Footer,
    /// The site header or banner.
    Header,
    /// Related items, sidebars, reviews, comments.
    Aside,
    /// Menus, breadcrumbs, pagination.
    Nav,
    /// Cookie banners, pop-ups, newsletter boxes.
    Overlay,
}

/// One rendered line of text.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    /// The text, whitespace collapsed.
    pub text: String,
    /// Where it sits.
    pub zone: Zone,
    /// The innermost block element holding it: lines split by `<br>` share a group.
    pub group: usize,
    /// Inside an element whose class or id says `price`.
    pub price_hint: bool,
    /// Inside an element whose class or id says `author` or `byline`.
    pub author_hint: bool,
    /// Inside an `<address>` element.
    pub in_address: bool,
    /// The heading level (1–6) when the line is a heading.
    pub heading: Option<u8>,
}

#[derive(Debug, Clone, Copy)]
struct Ctx {
    zone: Zone,
    in_content: bool,
    group: usize,
    price_hint: bool,
    author_hint: bool,
    in_address: bool,
    heading: Option<u8>,
}

struct Builder {
    lines: Vec<Line>,
    buf: String,
    buf_ctx: Option<Ctx>,
    buf_price_hint: bool,
    buf_author_hint: bool,
    next_group: usize,
}

impl Builder {
    fn push_text(&mut self, text: &str, ctx: Ctx) {
        if text.trim().is_empty() {
            if !self.buf.is_empty() {
                self.buf.push(' ');
            }
            return;
        }
        if self.buf_ctx.is_none() {
            self.buf_ctx = Some(ctx);
        }
        self.buf_price_hint |= ctx.price_hint;
        self.buf_author_hint |= ctx.author_hint;
        self.buf.push_str(text);
    }

    fn flush(&mut self) {
        let text = collapse_ws(&self.buf);
        self.buf.clear();
        let price_hint = std::mem::take(&mut self.buf_price_hint);
        let author_hint = std::mem::take(&mut self.buf_author_hint);
        if let Some(ctx) = self.buf_ctx.take() {
            if !text.is_empty() {
                self.lines.push(Line {
                    text,
                    zone: ctx.zone,
                    group: ctx.group,
                    price_hint,
                    author_hint,
                    in_address: ctx.in_address,
                    heading: ctx.heading,
                });
            }
        }
    }
}

const ROOT: Ctx = Ctx {
    zone: Zone::Main,
    in_content: false,
    group: 0,
    price_hint: false,
    author_hint: false,
    in_address: false,
    heading: None,
};

/// The visible lines of a document's body, in reading order.
pub(crate) fn page_lines(doc: &Html) -> Vec<Line> {
    let mut builder = Builder {
        lines: Vec::new(),
        buf: String::new(),
        buf_ctx: None,
        buf_price_hint: false,
        buf_author_hint: false,
        next_group: 1,
    };
    walk(doc.root_element(), ROOT, &mut builder);
    builder.flush();
    builder.lines
}

/// The zone of one element, and whether a reader can see it at all.
pub(crate) fn zone_of(el: ElementRef<'_>) -> Option<Zone> {
    let mut chain: Vec<ElementRef<'_>> = el.ancestors().filter_map(ElementRef::wrap).collect();
    chain.reverse();
    chain.push(el);
    let mut ctx = ROOT;
    for e in chain {
        if is_invisible_tag(e.value().name()) || is_hidden(e) {
            return None;
        }
        ctx = classify(e, ctx);
    }
    Some(ctx.zone)
}

fn walk(el: ElementRef<'_>, ctx: Ctx, b: &mut Builder) {
    for child in el.children() {
        match child.value() {
            Node::Text(t) => b.push_text(t, ctx),
            Node::Element(e) => {
                let Some(child_el) = ElementRef::wrap(child) else {
                    continue;
                };
                let name = e.name();
                if is_invisible_tag(name) || is_hidden(child_el) || is_struck_price(child_el) {
                    continue;
                }
                if name == "br" || name == "hr" {
                    b.flush();
                    continue;
                }
                let block = is_block_tag(name);
                let mut inner = classify(child_el, ctx);
                if block {
                    b.flush();
                    inner.group = b.next_group;
                    b.next_group += 1;
                }
                walk(child_el, inner, b);
                if block {
                    b.flush();
                }
            }
            _ => {}
        }
    }
}

/// Class and id words of an element.
fn marker_tokens(el: ElementRef<'_>) -> Vec<String> {
    let v = el.value();
    let mut s = String::new();
    for attr in ["class", "id", "role"] {
        if let Some(a) = v.attr(attr) {
            s.push_str(a);
            s.push(' ');
        }
    }
    tokens(&s)
}

/// An old, struck-through or list price: `<span class="price price--old">`.
fn is_struck_price(el: ElementRef<'_>) -> bool {
    let t = marker_tokens(el);
    t.iter().any(|w| w.contains("price"))
        && t.iter().any(|w| {
            matches!(
                w.as_str(),
                "old"
                    | "was"
                    | "compare"
                    | "original"
                    | "regular"
                    | "list"
                    | "before"
                    | "msrp"
                    | "strike"
                    | "crossed"
            )
        })
}

/// `<a rel="author">` names the author by definition.
fn v_rel_author(el: ElementRef<'_>) -> bool {
    el.value().attr("rel").is_some_and(|r| {
        r.split_whitespace()
            .any(|w| w.eq_ignore_ascii_case("author"))
    })
}

fn classify(el: ElementRef<'_>, parent: Ctx) -> Ctx {
    let mut ctx = parent;
    let name = el.value().name();
    let words = marker_tokens(el);
    let has = |list: &[&str]| words.iter().any(|w| list.contains(&w.as_str()));

    if matches!(name, "article" | "main") || has(&["main"]) {
        ctx.in_content = true;
    }
    if name == "address" {
        ctx.in_address = true;
    }
    if let Some(level) = name
        .strip_prefix('h')
        .and_then(|d| d.parse::<u8>().ok())
        .filter(|d| (1..=6).contains(d))
    {
        ctx.heading = Some(level);
    }
    if words.iter().any(|w| w.contains("price")) {
        ctx.price_hint = true;
    }
    if v_rel_author(el) || has(&["author", "byline", "writer", "contributor", "authors"]) {
        ctx.author_hint = true;
    }

    let zone = if has(&[
        "cookie",
        "cookies",
        "consent",
        "gdpr",
        "popup",
        "modal",
        "newsletter",
        "subscribe",
    ]) {
        Some(Zone::Overlay)
    } else if name == "nav"
        || has(&[
            "navigation",
            "nav",
            "navbar",
            "menu",
            "breadcrumb",
            "breadcrumbs",
            "pagination",
        ])
    {
        Some(Zone::Nav)
    } else if name == "aside"
        || has(&[
            "complementary",
            "related",
            "recommended",
            "recommendations",
            "similar",
            "sidebar",
            "widget",
            "upsell",
            "crosssell",
            "trending",
            "popular",
            "carousel",
            "review",
            "reviews",
            "comment",
            "comments",
        ])
    {
        Some(Zone::Aside)
    } else if !parent.in_content && (name == "footer" || has(&["footer", "contentinfo"])) {
        Some(Zone::Footer)
    } else if !parent.in_content && (name == "header" || has(&["header", "masthead", "banner"])) {
        Some(Zone::Header)
    } else {
        None
    };
    // Chrome never turns back into content: an <article> card inside "related" stays related.
    if let Some(zone) = zone {
        if parent.zone == Zone::Main || zone > parent.zone {
            ctx.zone = zone;
        }
    }
    ctx
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(html: &str) -> Vec<Line> {
        page_lines(&Html::parse_document(html))
    }

    #[test]
    fn br_splits_lines_in_one_group_and_inline_elements_join() {
        let l = lines("<p>Phone: <b>555</b> 0100<br>Email: a@b.co</p><p>Next</p>");
        let texts: Vec<_> = l.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["Phone: 555 0100", "Email: a@b.co", "Next"]);
        assert_eq!(l[0].group, l[1].group);
        assert_ne!(l[1].group, l[2].group);
    }

    #[test]
    fn zones_follow_landmarks_and_class_names() {
        let l = lines(
            "<header><a>Logo</a></header><nav>Menu</nav><main><article><header><h1>T</h1>\
             </header><div class=\"related-products\"><article>Other</article></div></article>\
             </main><div class=\"cookie-banner\">Cookies</div><footer>Foot</footer>",
        );
        let zone = |t: &str| l.iter().find(|l| l.text == t).map(|l| l.zone);
        assert_eq!(zone("Logo"), Some(Zone::Header));
        assert_eq!(zone("Menu"), Some(Zone::Nav));
        assert_eq!(zone("T"), Some(Zone::Main));
        assert_eq!(zone("Other"), Some(Zone::Aside));
        assert_eq!(zone("Cookies"), Some(Zone::Overlay));
        assert_eq!(zone("Foot"), Some(Zone::Footer));
        assert_eq!(
            l.iter().find(|l| l.text == "T").and_then(|l| l.heading),
            Some(1)
        );
    }

    #[test]
    fn old_prices_are_not_read() {
        let l = lines(
            "<div class=\"price\"><span class=\"price-old\">$60</span> <span>$45</span></div>",
        );
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].text, "$45");
        assert!(l[0].price_hint);
    }
}
