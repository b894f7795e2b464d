//! Choosing the one same-site link most likely to hold the fields still missing: "Contact"
//! for an e-mail address, "About" for the company, "Pricing" for a price, or any link named
//! by the field or the instructions.

use std::sync::LazyLock;

use scraper::Selector;
use url::Url;

use super::field::{Concept, FieldSpec};
use super::lines::{zone_of, Zone};
use super::page::Page;
use super::text::{element_text, tokens};

static LINKS: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("a[href]").expect("valid selector"));

/// Link words that lead to pages holding each kind of field.
fn link_words(concept: Concept) -> &'static [&'static str] {
    match concept {
        Concept::Email | Concept::Phone | Concept::Address => &[
            "contact",
            "contact us",
            "contacts",
            "kontakt",
            "contacto",
            "get in touch",
            "reach us",
            "find us",
            "locations",
            "location",
            "visit",
            "support",
            "imprint",
            "impressum",
            "legal notice",
            "help",
        ],
        Concept::Company => &[
            "about",
            "about us",
            "company",
            "who we are",
            "our story",
            "imprint",
            "impressum",
            "legal notice",
            "legal",
        ],
        Concept::Author => &[
            "about",
            "team",
            "staff",
            "authors",
            "people",
            "masthead",
            "contributors",
        ],
        Concept::Price => &[
            "pricing", "prices", "price", "plans", "tickets", "rates", "buy",
        ],
        Concept::Date => &[
            "events",
            "schedule",
            "calendar",
            "dates",
            "programme",
            "program",
        ],
        Concept::Title | Concept::Description => &["about"],
        Concept::Url | Concept::Sku | Concept::Other => &[],
    }
}

/// Instruction words too common to say anything about a link.
const COMMON: &[&str] = &[
    "the", "and", "for", "from", "with", "page", "site", "website", "find", "extract", "each",
    "every", "this", "that", "their", "its", "into", "name", "value", "values", "field", "fields",
    "get", "home", "more", "read", "all", "our", "you", "your",
];

/// A link worth following.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LinkChoice {
    /// The absolute URL, without fragment.
    pub url: String,
    /// The link text.
    pub text: String,
    /// The missing fields it is expected to hold.
    pub fields: Vec<String>,
}

/// The best link on `page` for the `missing` fields, within `site`, not yet `visited`.
pub(crate) fn choose_link(
    page: &Page,
    missing: &[&FieldSpec],
    instructions: &str,
    visited: &[String],
    site: Option<&Url>,
) -> Option<LinkChoice> {
    let base = page.base()?;
    let instruction_words: Vec<String> = tokens(instructions)
        .into_iter()
        .filter(|t| t.len() >= 4 && !COMMON.contains(&t.as_str()))
        .collect();
    let mut best: Option<(f32, LinkChoice)> = None;
    for a in page.doc().select(&LINKS) {
        if matches!(zone_of(a), None | Some(Zone::Overlay)) {
            continue;
        }
        let Some(url) = resolve(base, a.value().attr("href").unwrap_or("")) else {
            continue;
        };
        if !same_site(&url, site.unwrap_or(base)) || is_visited(&url, base, visited) {
            continue;
        }
        let text = element_text(a);
        let label = format!(
            "{text} {} {}",
            a.value().attr("title").unwrap_or(""),
            a.value().attr("aria-label").unwrap_or("")
        );
        let text_tokens = tokens(&label);
        let href_tokens = href_words(&url);
        let mut score = 0.0f32;
        let mut fields = Vec::new();
        for spec in missing {
            let s = field_link_score(spec, &text_tokens, &href_tokens);
            if s > 0.0 {
                fields.push(spec.name.clone());
                score = score.max(s);
            }
        }
        // Each further field the link serves makes it a little better.
        score += 0.05 * fields.len().saturating_sub(1) as f32;
        let meaningful: Vec<&String> = text_tokens
            .iter()
            .filter(|t| t.len() >= 4 && !COMMON.contains(&t.as_str()))
            .collect();
        if !meaningful.is_empty() && meaningful.iter().all(|t| instruction_words.contains(t)) {
            score = score.max(0.6);
            if fields.is_empty() {
                fields = missing.iter().map(|s| s.name.clone()).collect();
            }
        }
        if score >= 0.5 && best.as_ref().is_none_or(|(b, _)| score > *b) {
            best = Some((
                score,
                LinkChoice {
                    url: url.to_string(),
                    text,
                    fields,
                },
            ));
        }
    }
    best.map(|(_, c)| c)
}

fn field_link_score(spec: &FieldSpec, text: &[String], href: &[String]) -> f32 {
    let mut phrases: Vec<Vec<String>> =
        link_words(spec.concept).iter().map(|w| tokens(w)).collect();
    let own: Vec<String> = spec
        .name_tokens
        .iter()
        .chain(&spec.desc_tokens)
        .filter(|t| t.len() >= 3 && !COMMON.contains(&t.as_str()))
        .cloned()
        .collect();
    phrases.extend(own.into_iter().map(|t| vec![t]));
    let mut best = 0.0f32;
    for phrase in &phrases {
        if text == phrase.as_slice() {
            best = best.max(1.0);
        } else if text.len() <= 5 && text.windows(phrase.len()).any(|w| w == phrase.as_slice()) {
            best = best.max(0.9);
        } else if href.windows(phrase.len()).any(|w| w == phrase.as_slice()) {
            best = best.max(0.8);
        }
    }
    best
}

fn resolve(base: &Url, href: &str) -> Option<Url> {
    let href = href.trim();
    if href.is_empty() || href.starts_with('#') {
        return None;
    }
    let mut url = base.join(href).ok()?;
    if !matches!(url.scheme(), "http" | "https" | "file") {
        return None;
    }
    url.set_fragment(None);
    let path = url.path().to_ascii_lowercase();
    let is_download = [
        ".pdf", ".jpg", ".jpeg", ".png", ".gif", ".zip", ".svg", ".mp4", ".xml",
    ]
    .iter()
    .any(|ext| path.ends_with(ext));
    (!is_download).then_some(url)
}

/// Same host (ignoring `www.`); for `file:` URLs, inside the directory of the site's page.
fn same_site(url: &Url, site: &Url) -> bool {
    if url.scheme() != site.scheme() {
        return false;
    }
    if url.scheme() == "file" {
        let dir = site.path().rsplit_once('/').map_or("", |(d, _)| d);
        return url.path().starts_with(&format!("{dir}/"));
    }
    let host = |u: &Url| {
        u.host_str()
            .map(|h| h.trim_start_matches("www.").to_ascii_lowercase())
    };
    host(url).is_some()
        && host(url) == host(site)
        && url.port_or_known_default() == site.port_or_known_default()
}

fn is_visited(url: &Url, current: &Url, visited: &[String]) -> bool {
    let mut current = current.clone();
    current.set_fragment(None);
    if *url == current {
        return true;
    }
    visited.iter().any(|v| {
        Url::parse(v).is_ok_and(|mut v| {
            v.set_fragment(None);
            v == *url
        })
    })
}

/// The words of a URL's path: `/company/contact-us.html` → `company contact us`.
fn href_words(url: &Url) -> Vec<String> {
    let path = url.path();
    let path = path
        .rsplit_once('.')
        .filter(|(_, ext)| ext.len() <= 4 && !ext.contains('/'))
        .map_or(path, |(p, _)| p);
    tokens(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FieldType, OutputField};

    fn spec(name: &str, ty: FieldType) -> FieldSpec {
        let mut f = OutputField::named(name);
        f.field_type = ty;
        FieldSpec::new(&f)
    }

    fn choose(html: &str, fields: &[FieldSpec], instructions: &str) -> Option<LinkChoice> {
        let page = Page::parse(html, "https://www.acme.example/index.html");
        let missing: Vec<&FieldSpec> = fields.iter().collect();
        choose_link(&page, &missing, instructions, &[], None)
    }

    #[test]
    fn contact_links_serve_contact_fields() {
        let html = r#"<nav><a href="/">Home</a><a href="products.html">Products</a>
            <a href="about.html">About us</a><a href="contact.html#form">Contact</a>
            <a href="https://twitter.com/acme">Contact us on Twitter</a></nav>"#;
        let c = choose(
            html,
            &[
                spec("email", FieldType::Email),
                spec("phone", FieldType::Phone),
            ],
            "",
        )
        .expect("a link");
        assert_eq!(c.url, "https://www.acme.example/contact.html");
        assert_eq!(c.fields, ["email", "phone"]);
        let c = choose(html, &[spec("company", FieldType::Text)], "").expect("a link");
        assert_eq!(c.url, "https://www.acme.example/about.html");
    }

    #[test]
    fn instructions_and_hrefs_name_links() {
        let html = r#"<a href="/people/index.html">Meet the crew</a><a href="/x">Leadership</a>"#;
        let c = choose(
            html,
            &[spec("ceo", FieldType::Text)],
            "Find the CEO on the leadership page",
        );
        assert_eq!(c.map(|c| c.text).as_deref(), Some("Leadership"));
        let c = choose(html, &[spec("author", FieldType::Text)], "");
        assert_eq!(
            c.map(|c| c.url).as_deref(),
            Some("https://www.acme.example/people/index.html")
        );
    }

    #[test]
    fn nothing_relevant_nothing_followed() {
        let html = r#"<a href="/blog">Blog</a><a href="mailto:x@y.z">Contact</a>"#;
        assert_eq!(choose(html, &[spec("email", FieldType::Email)], ""), None);
    }

    #[test]
    fn file_sites_stay_in_their_directory() {
        let site = Url::parse("file:///sites/shop-1/index.html").expect("url");
        let inside = Url::parse("file:///sites/shop-1/contact.html").expect("url");
        let outside = Url::parse("file:///sites/shop-2/contact.html").expect("url");
        assert!(same_site(&inside, &site));
        assert!(!same_site(&outside, &site));
    }
}
