//! Meta tags: OpenGraph (`og:*`, `article:*`, `product:*`), Twitter cards and
//! `<meta name=…>` (author, description, Dublin Core…).

use std::sync::LazyLock;

use scraper::{Html, Selector};

use super::{Fact, Source};
use crate::agent::heuristic::text::clean;

static META: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("meta[content]").expect("valid selector"));

/// Namespaces that say which vocabulary a key is from, not what it means.
const NAMESPACES: &[&str] = &[
    "og", "twitter", "article", "product", "book", "profile", "music", "video", "dc", "dcterms",
    "citation", "fb", "al", "parsely", "sailthru", "business", "place",
];

/// Keys whose value is never the thing they seem to name (a handle, an id, a layout hint).
const IGNORED: &[&str] = &[
    "twitter:card",
    "twitter:site",
    "twitter:creator",
    "viewport",
    "robots",
    "og:type",
    "og:locale",
    "theme-color",
    "generator",
    "referrer",
    "format-detection",
    "fb:app_id",
    "google-site-verification",
];

/// One fact per meta tag with a name or property and a content, in document order.
pub(super) fn facts(doc: &Html) -> Vec<Fact> {
    let mut out = Vec::new();
    for el in doc.select(&META) {
        let v = el.value();
        // `itemprop` metas belong to microdata items and are read there.
        if v.attr("itemprop").is_some() {
            continue;
        }
        let Some(key) = v.attr("property").or_else(|| v.attr("name")) else {
            continue;
        };
        let key = key.trim().to_ascii_lowercase();
        if key.is_empty() || IGNORED.contains(&key.as_str()) {
            continue;
        }
        let value = clean(v.attr("content").unwrap_or(""));
        if value.is_empty() {
            continue;
        }
        out.push(Fact {
            source: Source::Meta,
            root_type: "meta".to_owned(),
            props: vec![meaning(&key)],
            rule: format!("meta:{key}"),
            value,
            order: 0,
        });
    }
    out
}

/// The part of a key that says what it means: `og:site_name` → `site_name`,
/// `product:price:amount` → `price amount`, `dc.creator` → `creator`.
fn meaning(key: &str) -> String {
    let mut parts: Vec<&str> = key.split([':', '.']).filter(|p| !p.is_empty()).collect();
    while parts.len() > 1 && NAMESPACES.contains(&parts[0]) {
        parts.remove(0);
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_lose_their_namespace() {
        assert_eq!(meaning("og:site_name"), "site_name");
        assert_eq!(meaning("product:price:amount"), "price amount");
        assert_eq!(meaning("article:published_time"), "published_time");
        assert_eq!(
            meaning("DC.creator".to_ascii_lowercase().as_str()),
            "creator"
        );
        assert_eq!(meaning("author"), "author");
    }

    #[test]
    fn reads_og_and_name_tags() {
        let doc = Html::parse_document(
            r#"<head><meta property="og:title" content="Rain returns | Daily">
            <meta name="author" content="Jane Doe"><meta name="twitter:creator" content="@jd">
            <meta name="viewport" content="width=device-width"></head>"#,
        );
        let f = facts(&doc);
        let got: Vec<_> = f
            .iter()
            .map(|f| (f.rule.as_str(), f.value.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("meta:og:title", "Rain returns | Daily"),
                ("meta:author", "Jane Doe")
            ]
        );
    }
}
