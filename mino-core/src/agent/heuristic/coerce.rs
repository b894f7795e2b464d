//! Turning a raw candidate into a clean value of the field's kind, or rejecting it.
//!
//! Every rule hands its raw text here, so a price is always a price and a date always an ISO
//! date, whichever rule found it; a candidate of the wrong shape is refused and the next rule
//! gets its turn.

use url::Url;

use crate::model::FieldType;

use super::dates::{first_iso_date, DayOrder};
use super::field::{Concept, FieldSpec};
use super::patterns;
use super::text::clean;

/// What coercion needs to know about the page.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PageCtx<'a> {
    /// The page URL, to resolve relative links.
    pub url: Option<&'a Url>,
    /// How to read all-numeric dates.
    pub day_order: DayOrder,
}

/// Where a raw value comes from, as far as cleaning it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// A structured value or element meant to hold exactly this value.
    Exact,
    /// A document title (`<title>`, `og:title`), which usually carries the site name too.
    DocumentTitle,
    /// Free text that holds the value somewhere.
    Text,
}

/// The clean value of `spec` in `raw`, if `raw` holds one.
pub(crate) fn coerce(
    spec: &FieldSpec,
    raw: &str,
    origin: Origin,
    page: PageCtx<'_>,
) -> Option<String> {
    let text = clean(raw);
    if text.is_empty() {
        return None;
    }
    match spec.concept {
        Concept::Price => price(&text),
        Concept::Email => email(&text),
        Concept::Phone => phone(&text),
        Concept::Date => first_iso_date(&text, page.day_order),
        Concept::Url => url(&text, page.url),
        Concept::Title => title(&text, origin),
        Concept::Author => author(&text),
        Concept::Company => company(&text),
        Concept::Address => bounded(&text, 5, 250).filter(|t| t.chars().any(char::is_alphabetic)),
        Concept::Description => bounded(&text, 1, 2000),
        // A code has a digit and no more than a few parts: "DJ-FF24-050", "6540021".
        Concept::Sku => bounded(&text, 1, 40).filter(|t| is_code(t)),
        Concept::Other if spec.field_type == FieldType::Number => {
            patterns::numbers(&text).into_iter().next().map(|h| h.text)
        }
        Concept::Other => bounded(&text, 1, 500),
    }
}

/// A product code: one or two parts, with a digit, a dash or in capitals ("SS-ATL-BASE").
fn is_code(text: &str) -> bool {
    let letters: Vec<char> = text.chars().filter(|c| c.is_alphabetic()).collect();
    text.split_whitespace().count() <= 2
        && (text.chars().any(|c| c.is_ascii_digit())
            || text.contains(['-', '_'])
            || (letters.len() >= 3 && letters.iter().all(|c| c.is_uppercase())))
}

fn bounded(text: &str, min: usize, max: usize) -> Option<String> {
    let n = text.chars().count();
    (min..=max).contains(&n).then(|| text.to_owned())
}

fn looks_like_url(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    t.starts_with("http://")
        || t.starts_with("https://")
        || t.starts_with("www.")
        || t.starts_with('/')
}

fn price(text: &str) -> Option<String> {
    if let Some(hit) = patterns::prices(text).into_iter().next() {
        return Some(hit.text);
    }
    // A bare amount counts only when the whole value is the amount ("1299.00", "1,299").
    let hits = patterns::numbers(text);
    match hits.as_slice() {
        [only] if text.trim().trim_end_matches(['-', '.']).len() <= only.text.len() + 1 => {
            Some(only.text.clone())
        }
        _ => None,
    }
}

fn email(text: &str) -> Option<String> {
    let text = strip_scheme(text, "mailto:");
    let text = text.split('?').next().unwrap_or(text);
    patterns::emails(&patterns::deobfuscate_email(text))
        .into_iter()
        .next()
        .map(|h| h.text)
}

fn phone(text: &str) -> Option<String> {
    let text = strip_scheme(text, "tel:");
    patterns::phones(text).into_iter().next().map(|h| h.text)
}

fn strip_scheme<'t>(text: &'t str, scheme: &str) -> &'t str {
    match text.get(..scheme.len()) {
        Some(head) if head.eq_ignore_ascii_case(scheme) => &text[scheme.len()..],
        _ => text,
    }
}

fn url(text: &str, base: Option<&Url>) -> Option<String> {
    if let Some(hit) = patterns::urls(text).into_iter().next() {
        return Some(hit.text);
    }
    if text.contains(char::is_whitespace) {
        return None;
    }
    if let Some(rest) = text.strip_prefix("www.") {
        return Some(format!("https://www.{rest}"));
    }
    let base = base?;
    base.join(text)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https" | "file"))
        .map(|u| u.to_string())
}

fn title(text: &str, origin: Origin) -> Option<String> {
    let text = if origin == Origin::DocumentTitle {
        strip_site_name(text)
    } else {
        text.to_owned()
    };
    if looks_like_url(&text) {
        return None;
    }
    bounded(&text, 1, 300)
}

/// `Acme Anvil 3000 | Acme Store` → `Acme Anvil 3000`: document titles add the site name on
/// one side; the page's own title is the longest part.
pub(crate) fn strip_site_name(text: &str) -> String {
    for sep in [" | ", " — ", " – ", " - ", " :: ", " · ", " • "] {
        if text.contains(sep) {
            let parts: Vec<&str> = text.split(sep).map(str::trim).collect();
            let mut best = parts[0];
            for p in &parts[1..] {
                if p.chars().count() > best.chars().count() {
                    best = p;
                }
            }
            return best.to_owned();
        }
    }
    text.to_owned()
}

fn author(text: &str) -> Option<String> {
    let mut t = text.trim();
    // Bylines carry a prefix ("By", "Words by") and often a date or a role after the name.
    let lower = t.to_lowercase();
    for prefix in [
        "written by",
        "words by",
        "posted by",
        "story by",
        "text by",
        "author:",
        "by:",
        "by ",
    ] {
        if lower.starts_with(prefix) {
            t = t[prefix.len()..].trim_start_matches([':', ' ']);
            break;
        }
    }
    for stop in [
        " | ",
        "|",
        " • ",
        "•",
        " · ",
        "·",
        " — ",
        " – ",
        " - ",
        ", ",
        " on ",
        " published",
        " updated",
    ] {
        if let Some(i) = t.find(stop) {
            t = &t[..i];
        }
    }
    let t = t.trim().trim_end_matches([',', '.', ';', ':']).trim();
    if t.starts_with('@') || looks_like_url(t) || t.contains('@') {
        return None;
    }
    if first_iso_date(t, DayOrder::MonthFirst).is_some() || t.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let words = t.split_whitespace().count();
    if !(1..=6).contains(&words) {
        return None;
    }
    bounded(t, 2, 80)
}

fn company(text: &str) -> Option<String> {
    let name = patterns::copyright_holder(text).unwrap_or_else(|| text.to_owned());
    if looks_like_url(&name) || name.contains('@') {
        return None;
    }
    if name.split_whitespace().count() > 10 {
        return None;
    }
    bounded(name.trim(), 2, 120)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::OutputField;

    fn spec(name: &str, ty: FieldType) -> FieldSpec {
        let mut f = OutputField::named(name);
        f.field_type = ty;
        FieldSpec::new(&f)
    }

    fn c(name: &str, ty: FieldType, raw: &str) -> Option<String> {
        let base = Url::parse("https://shop.example/p/1").ok();
        let page = PageCtx {
            url: base.as_ref(),
            day_order: DayOrder::MonthFirst,
        };
        coerce(&spec(name, ty), raw, Origin::Text, page)
    }

    #[test]
    fn typed_values_are_checked() {
        assert_eq!(
            c("price", FieldType::Number, "Now only $19.99!").as_deref(),
            Some("$19.99")
        );
        assert_eq!(
            c("price", FieldType::Number, "1299.00").as_deref(),
            Some("1299.00")
        );
        assert_eq!(c("price", FieldType::Number, "Call for price"), None);
        assert_eq!(c("price", FieldType::Number, "Ships in 3 days"), None);
        assert_eq!(
            c("email", FieldType::Email, "mailto:Info@Acme.io?subject=Hi").as_deref(),
            Some("Info@Acme.io")
        );
        assert_eq!(
            c("phone", FieldType::Phone, "tel:+14155550132").as_deref(),
            Some("+14155550132")
        );
        assert_eq!(
            c("date", FieldType::Date, "Mar 5, 2024 at 10:00").as_deref(),
            Some("2024-03-05")
        );
        assert_eq!(c("date", FieldType::Date, "soon"), None);
        assert_eq!(
            c("website", FieldType::Url, "/about").as_deref(),
            Some("https://shop.example/about")
        );
    }

    #[test]
    fn bylines_lose_prefix_role_and_date() {
        assert_eq!(
            c("author", FieldType::Text, "By Jane Doe | March 3, 2024").as_deref(),
            Some("Jane Doe")
        );
        assert_eq!(
            c("author", FieldType::Text, "Words by Sam Lee, Senior Editor").as_deref(),
            Some("Sam Lee")
        );
        assert_eq!(c("author", FieldType::Text, "@janedoe"), None);
        assert_eq!(
            c("author", FieldType::Text, "https://x.io/people/jane"),
            None
        );
    }

    #[test]
    fn document_titles_lose_the_site_name() {
        assert_eq!(
            strip_site_name("Acme Anvil 3000 | Acme Store"),
            "Acme Anvil 3000"
        );
        assert_eq!(
            strip_site_name("News — Rain returns to the valley"),
            "Rain returns to the valley"
        );
        assert_eq!(strip_site_name("Plain"), "Plain");
    }

    #[test]
    fn company_from_copyright_line() {
        assert_eq!(
            c(
                "company",
                FieldType::Text,
                "© 2024 Northwind Traders Ltd. All rights reserved."
            )
            .as_deref(),
            Some("Northwind Traders Ltd.")
        );
    }
}
