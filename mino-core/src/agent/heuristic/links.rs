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

/// Link words that lead to pages holding each kind of field, with how surely they do.
fn link_words(concept: Concept) -> &'static [(&'static str, f32)] {
    match concept {
        Concept::Email | Concept::Phone | Concept::Address => &[
            ("contact", 1.0),
            ("contact us", 1.0),
            ("contacts", 1.0),
            ("kontakt", 1.0),
            ("contacto", 1.0),
            ("get in touch", 1.0),
            ("reach us", 0.9),
            ("find us", 0.9),
            ("imprint", 0.9),
            ("impressum", 0.9),
            ("locations", 0.8),
            ("location", 0.8),
            ("offices", 0.8),
            ("legal notice", 0.8),
            ("visit", 0.7),
            ("support", 0.7),
            ("help", 0.6),
        ],
        Concept::Company => &[
            ("about", 1.0),
            ("about us", 1.0),
            ("company", 0.9),
            ("who we are", 0.9),
            ("our story", 0.8),
            ("imprint", 0.9),
            ("impressum", 0.9),
            ("legal notice", 0.8),
            ("legal", 0.6),
        ],
        Concept::Author => &[
            ("about", 0.7),
            ("team", 0.8),
            ("staff", 0.8),
            ("authors", 1.0),
            ("people", 0.7),
            ("masthead", 0.8),
            ("contributors", 0.9),
        ],
        Concept::Price => &[
            ("pricing", 1.0),
            ("prices", 1.0),
            ("price", 1.0),
            ("plans", 0.8),
            ("tickets", 0.8),
            ("rates", 0.8),
            ("buy", 0.6),
        ],
        Concept::Date => &[
            ("events", 0.8),
            ("schedule", 0.8),
            ("calendar", 0.8),
            ("dates", 0.9),
            ("programme", 0.7),
            ("program", 0.7),
        ],
        Concept::Title | Concept::Description => &[("about", 0.6)],
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
        let href_tokens = href_words(&url, site.unwrap_or(base));
        let mut score = 0.0f32;
        let mut fields = Vec::new();
        for spec in missing {
            let s = field_link_score(spec, &text_tokens, &href_tokens);
            if s > 0.0 {
                fields.push(spec.name.clone());
                score = score.max(s);
            }
        }
        // A link that promises more of the missing fields is the better one to spend a visit on.
        score += 0.1 * fields.len().saturating_sub(1) as f32;
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
    let mut phrases: Vec<(Vec<String>, f32)> = link_words(spec.concept)
        .iter()
        .map(|(w, weight)| (tokens(w), *weight))
        .collect();
    let own = spec
        .name_tokens
        .iter()
        .chain(&spec.desc_tokens)
        .filter(|t| t.len() >= 3 && !COMMON.contains(&t.as_str()));
    phrases.extend(own.map(|t| (vec![t.clone()], 1.0)));
    let mut best = 0.0f32;
    for (phrase, weight) in &phrases {
        let s = if text == phrase.as_slice() {
            1.0
        } else if text.len() <= 5 && text.windows(phrase.len()).any(|w| w == phrase.as_slice()) {
            0.9
        } else if href.windows(phrase.len()).any(|w| w == phrase.as_slice()) {
            0.8
        } else {
            0.0
        };
        best = best.max(s * weight);
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

/// The words of a link's path below the site: `/company/contact-us.html` →
/// `company contact us`. For `file:` sites only the part below the site's directory counts,
/// so the folder a site is stored in says nothing about its links.
fn href_words(url: &Url, site: &Url) -> Vec<String> {
    let mut path = url.path();
    if url.scheme() == "file" {
        let dir = site.path().rsplit_once('/').map_or("", |(d, _)| d);
        path = path.strip_prefix(dir).unwrap_or(path);
    }
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
