//! The pattern rule: values recognised by their shape (and a little context) anywhere on the
//! page — `mailto:`/`tel:` links, `<time datetime>`, prices near the product, bylines,
//! `<address>` blocks, street lines and copyright notices.

use std::sync::LazyLock;

use scraper::{ElementRef, Html, Node, Selector};

use super::coerce::Origin;
use super::dates::{find_dates, DayOrder};
use super::field::{Concept, FieldSpec};
use super::lines::{zone_of, Line, Zone};
use super::page::Candidate;
use super::patterns;
use super::text::{element_text, excerpt};

static LINKS: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("a[href]").expect("valid selector"));
static TIMES: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("time").expect("valid selector"));

/// Mailboxes that are not where anyone wants to be contacted.
const SYSTEM_MAILBOXES: &[&str] = &[
    "noreply",
    "no-reply",
    "donotreply",
    "do-not-reply",
    "privacy",
    "gdpr",
    "dpo",
    "abuse",
    "webmaster",
    "postmaster",
    "unsubscribe",
    "dataprotection",
];

/// Words that make a date something else than the one asked for.
const UPDATE_WORDS: &[&str] = &["updated", "modified", "edited", "revised", "last"];

/// Words around a price that make it a threshold, a saving or a fee, not the price.
const PRICE_CONTEXT: &[&str] = &[
    "over",
    "above",
    "save",
    "saving",
    "shipping",
    "delivery",
    "was",
    "orig",
    "compare",
    "list",
    "msrp",
    "rrp",
    "under",
    "spend",
    "up to",
    "off",
    "discount",
    "deposit",
    "fee",
    "per month",
    "/mo",
];

/// Candidates for `spec` found by shape, best first.
pub(crate) fn candidates(
    spec: &FieldSpec,
    doc: &Html,
    lines: &[Line],
    order: DayOrder,
) -> Vec<Candidate> {
    match spec.concept {
        Concept::Email => contact_links(doc, lines, "mailto:", "pattern:email", patterns::emails),
        Concept::Phone => contact_links(doc, lines, "tel:", "pattern:phone", phone_in_context),
        Concept::Date => dates(doc, lines, order),
        Concept::Price => prices(lines),
        Concept::Address => addresses(lines),
        Concept::Company => copyrights(lines),
        Concept::Author => bylines(lines),
        Concept::Url => lines
            .iter()
            .filter(|l| l.zone == Zone::Main)
            .flat_map(|l| {
                patterns::urls(&l.text)
                    .into_iter()
                    .map(move |h| candidate(h.text, "pattern:url", &l.text))
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn candidate(raw: String, rule: &str, context: &str) -> Candidate {
    Candidate {
        raw,
        rule: rule.to_owned(),
        origin: Origin::Text,
        snippet: excerpt(context, 160),
    }
}

fn zone_rank(zone: Zone) -> Option<u8> {
    match zone {
        Zone::Main => Some(0),
        Zone::Footer => Some(1),
        Zone::Header => Some(2),
        Zone::Nav => Some(3),
        Zone::Aside => Some(4),
        Zone::Overlay => None,
    }
}

/// `mailto:`/`tel:` links first, then the same shape in text, content before footer before
/// header, and system mailboxes last.
fn contact_links(
    doc: &Html,
    lines: &[Line],
    scheme: &str,
    rule: &str,
    find: fn(&str) -> Vec<patterns::Hit>,
) -> Vec<Candidate> {
    let mut found: Vec<((bool, u8, u8, usize), Candidate)> = Vec::new();
    for (i, a) in doc.select(&LINKS).enumerate() {
        let href = a.value().attr("href").unwrap_or("").trim();
        let Some(head) = href.get(..scheme.len()) else {
            continue;
        };
        if !head.eq_ignore_ascii_case(scheme) {
            continue;
        }
        let Some(rank) = zone_of(a).and_then(zone_rank) else {
            continue;
        };
        let c = candidate(
            href.to_owned(),
            rule,
            &format!("<a href=\"{href}\">{}</a>", element_text(a)),
        );
        found.push(((is_system(href), rank, 0, i), c));
    }
    for (i, line) in lines.iter().enumerate() {
        let Some(rank) = zone_rank(line.zone) else {
            continue;
        };
        for hit in find(&line.text) {
            let system = is_system(&hit.text);
            found.push(((system, rank, 1, i), candidate(hit.text, rule, &line.text)));
        }
    }
    found.sort_by_key(|(k, _)| *k);
    found.into_iter().map(|(_, c)| c).collect()
}

fn is_system(address: &str) -> bool {
    let lower = address.to_ascii_lowercase();
    let local = lower
        .trim_start_matches("mailto:")
        .split('@')
        .next()
        .unwrap_or("");
    SYSTEM_MAILBOXES.contains(&local)
}

/// Phone numbers in text count when the line says so or the number is written like one
/// (`+44 …`, `(415) …`); anything after "fax" is not the phone.
fn phone_in_context(text: &str) -> Vec<patterns::Hit> {
    let lower = text.to_lowercase();
    let says_phone = ["phone", "tel", "call", "mobile", "hotline", "☎", "📞"]
        .iter()
        .any(|w| lower.contains(w));
    patterns::phones(text)
        .into_iter()
        .filter(|h| {
            let before = lower.get(..h.start).unwrap_or("");
            let recent: String = before
                .chars()
                .rev()
                .take(14)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            !recent.contains("fax")
                && (says_phone || h.text.starts_with('+') || h.text.starts_with('('))
        })
        .collect()
}

fn dates(doc: &Html, lines: &[Line], order: DayOrder) -> Vec<Candidate> {
    let mut out = Vec::new();
    for time in doc.select(&TIMES) {
        if !matches!(zone_of(time), Some(Zone::Main | Zone::Header)) {
            continue;
        }
        let markers = format!(
            "{} {} {}",
            time.value().attr("class").unwrap_or(""),
            time.value().attr("itemprop").unwrap_or(""),
            text_before(time)
        )
        .to_lowercase();
        if UPDATE_WORDS.iter().any(|w| markers.contains(w)) {
            continue;
        }
        let raw = time
            .value()
            .attr("datetime")
            .map(str::to_owned)
            .unwrap_or_else(|| element_text(time));
        let mut c = candidate(raw, "pattern:time", &time.html());
        c.origin = Origin::Exact;
        out.push(c);
    }
    for line in lines
        .iter()
        .filter(|l| matches!(l.zone, Zone::Main | Zone::Header))
    {
        for found in find_dates(&line.text, order) {
            let before = line.text[..found.start].to_lowercase();
            let tail: String = before
                .chars()
                .rev()
                .take(30)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            if UPDATE_WORDS.iter().any(|w| tail.contains(w)) {
                continue;
            }
            out.push(candidate(
                line.text[found.start..found.end].to_owned(),
                "pattern:date",
                &line.text,
            ));
        }
    }
    out
}

/// The text just before an element among its siblings ("Updated" before a `<time>`).
fn text_before(el: ElementRef<'_>) -> String {
    let mut parts = Vec::new();
    let mut len = 0;
    for sib in el.prev_siblings() {
        let t = match sib.value() {
            Node::Text(t) => t.to_string(),
            Node::Element(_) => ElementRef::wrap(sib).map(element_text).unwrap_or_default(),
            _ => String::new(),
        };
        len += t.len();
        parts.push(t);
        if len > 30 {
            break;
        }
    }
    parts.reverse();
    let joined = parts.concat();
    let start = joined.len().saturating_sub(30);
    let start = (start..=joined.len())
        .find(|i| joined.is_char_boundary(*i))
        .unwrap_or(0);
    joined[start..].to_owned()
}

/// Prices in the page's own content: marked-up prices first, then the first ones after the
/// main heading; thresholds, savings and fees are skipped.
fn prices(lines: &[Line]) -> Vec<Candidate> {
    let h1 = lines
        .iter()
        .position(|l| l.heading == Some(1) && l.zone == Zone::Main);
    let mut found: Vec<((bool, bool, usize), Candidate)> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.zone != Zone::Main {
            continue;
        }
        let lower = line.text.to_lowercase();
        for hit in patterns::prices(&line.text) {
            let before = lower.get(..hit.start).unwrap_or("");
            let before: String = before
                .chars()
                .rev()
                .take(25)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            let after: String = lower
                .get(hit.start + hit.text.len()..)
                .unwrap_or("")
                .chars()
                .take(12)
                .collect();
            let context = format!("{before} | {after}");
            if PRICE_CONTEXT.iter().any(|w| has_word(&context, w)) {
                continue;
            }
            let before_h1 = h1.is_some_and(|h| i < h);
            found.push((
                (!line.price_hint, before_h1, i),
                candidate(hit.text, "pattern:price", &line.text),
            ));
        }
    }
    found.sort_by_key(|(k, _)| *k);
    found.into_iter().map(|(_, c)| c).collect()
}

fn has_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

fn addresses(lines: &[Line]) -> Vec<Candidate> {
    let mut out = Vec::new();
    // <address> blocks: drop the name line, contact lines and labelled lines.
    let mut i = 0;
    while i < lines.len() {
        if !lines[i].in_address || lines[i].zone == Zone::Overlay {
            i += 1;
            continue;
        }
        let start = i;
        while i < lines.len() && lines[i].in_address {
            i += 1;
        }
        let block = &lines[start..i];
        let mut parts: Vec<&str> = block
            .iter()
            .map(|l| l.text.as_str())
            .filter(|t| {
                patterns::emails(t).is_empty()
                    && patterns::phones(t).is_empty()
                    && patterns::urls(t).is_empty()
                    && !t.contains(':')
            })
            .collect();
        if parts.len() >= 2 && !parts[0].chars().any(|c| c.is_ascii_digit()) {
            parts.remove(0);
        }
        if !parts.is_empty() {
            let joined: Vec<&str> = block.iter().map(|l| l.text.as_str()).collect();
            out.push(candidate(
                parts.join(", "),
                "element:address",
                &joined.join(" / "),
            ));
        }
    }
    // Street lines, with the city line after them when the street line has no postal code.
    for (i, line) in lines.iter().enumerate() {
        if !matches!(line.zone, Zone::Main | Zone::Footer) {
            continue;
        }
        let Some(hit) = patterns::street_address(&line.text) else {
            continue;
        };
        let mut value = hit.text;
        if !patterns::has_postal_code(&value) {
            if let Some(next) = lines
                .get(i + 1)
                .filter(|n| n.group == line.group && patterns::has_postal_code(&n.text))
            {
                value = format!("{value}, {}", next.text);
            }
        }
        out.push(candidate(value, "pattern:address", &line.text));
    }
    out
}

fn copyrights(lines: &[Line]) -> Vec<Candidate> {
    let mut found: Vec<(u8, Candidate)> = lines
        .iter()
        .filter_map(|l| {
            let rank = match l.zone {
                Zone::Footer => 0,
                Zone::Overlay => return None,
                _ => 1,
            };
            let holder = patterns::copyright_holder(&l.text)?;
            Some((rank, candidate(holder, "pattern:copyright", &l.text)))
        })
        .collect();
    found.sort_by_key(|(r, _)| *r);
    found.into_iter().map(|(_, c)| c).collect()
}

/// Bylines: lines marked as the author's, or starting with "By", that read as a name.
fn bylines(lines: &[Line]) -> Vec<Candidate> {
    let mut found: Vec<(bool, Candidate)> = Vec::new();
    for line in lines
        .iter()
        .filter(|l| matches!(l.zone, Zone::Main | Zone::Header) && l.heading.is_none())
    {
        let lower = line.text.to_lowercase();
        let by = ["by ", "written by ", "words by ", "posted by "]
            .iter()
            .find(|p| lower.starts_with(*p))
            .map(|p| &line.text[p.len()..]);
        let name_part = match (by, line.author_hint) {
            (Some(rest), _) => rest,
            (None, true) => line.text.as_str(),
            (None, false) => continue,
        };
        if !looks_like_name(name_part) {
            continue;
        }
        found.push((
            !line.author_hint,
            candidate(line.text.clone(), "pattern:byline", &line.text),
        ));
    }
    found.sort_by_key(|(k, _)| *k);
    found.into_iter().map(|(_, c)| c).collect()
}

/// "Jane Doe", "Ana de la Cruz, Staff Writer": capitalised words up to the first separator.
fn looks_like_name(text: &str) -> bool {
    let head = text
        .split(['|', ',', '•', '·', '—', '–'])
        .next()
        .unwrap_or("")
        .split(" on ")
        .next()
        .unwrap_or("");
    let words: Vec<&str> = head.split_whitespace().collect();
    if !(2..=5).contains(&words.len()) {
        return false;
    }
    words.iter().all(|w| {
        w.chars().next().is_some_and(char::is_uppercase)
            || matches!(
                *w,
                "van"
                    | "von"
                    | "de"
                    | "der"
                    | "den"
                    | "la"
                    | "le"
                    | "da"
                    | "di"
                    | "du"
                    | "del"
                    | "al"
                    | "bin"
                    | "ter"
            )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::heuristic::lines::page_lines;
    use crate::model::{FieldType, OutputField};

    fn raw(name: &str, ty: FieldType, html: &str) -> Vec<String> {
        let mut f = OutputField::named(name);
        f.field_type = ty;
        let doc = Html::parse_document(html);
        let lines = page_lines(&doc);
        candidates(&FieldSpec::new(&f), &doc, &lines, DayOrder::MonthFirst)
            .into_iter()
            .map(|c| c.raw)
            .collect()
    }

    #[test]
    fn content_prices_beat_banners_and_related_items() {
        let got = raw(
            "price",
            FieldType::Number,
            "<header>Free shipping over $50</header><main><h1>Mug</h1><p>Only $12.00 today</p>\
             <p class=\"price\">$14.00</p><div class=\"related\"><p>$3.00</p></div></main>",
        );
        assert_eq!(got, ["$14.00", "$12.00"]);
    }

    #[test]
    fn contact_links_come_first_and_system_mailboxes_last() {
        let got = raw(
            "email",
            FieldType::Email,
            "<main><p>privacy@acme.io</p><a href=\"mailto:hello@acme.io\">Write</a></main>",
        );
        assert_eq!(got, ["mailto:hello@acme.io", "privacy@acme.io"]);
        let phones = raw(
            "phone",
            FieldType::Phone,
            "<p>Tel 020 7946 0958, Fax 020 7946 0959</p><p>Order 2024 1234 5678</p>",
        );
        assert_eq!(phones, ["020 7946 0958"]);
    }

    #[test]
    fn updated_dates_are_skipped() {
        let got = raw(
            "date",
            FieldType::Date,
            "<article><p>Updated <time datetime=\"2024-03-09\">Mar 9</time></p>\
             <p>Published <time datetime=\"2024-03-01\">Mar 1</time></p></article>",
        );
        assert_eq!(got.first().map(String::as_str), Some("2024-03-01"));
    }

    #[test]
    fn bylines_and_copyrights() {
        assert_eq!(
            raw(
                "author",
                FieldType::Text,
                "<p>By Jane Doe | May 2, 2024</p>"
            ),
            ["By Jane Doe | May 2, 2024"]
        );
        assert!(raw("author", FieldType::Text, "<p>By the way, it rained</p>").is_empty());
        assert_eq!(
            raw(
                "company",
                FieldType::Text,
                "<footer><p>© 2024 Acme Corp. All rights reserved.</p></footer>"
            ),
            ["Acme Corp."]
        );
    }

    #[test]
    fn address_blocks_drop_names_and_contact_lines() {
        let got = raw(
            "address",
            FieldType::Text,
            "<address>Acme Corp<br>12 Main Street<br>Springfield, IL 62704<br>Phone: 555 0100</address>",
        );
        assert_eq!(
            got.first().map(String::as_str),
            Some("12 Main Street, Springfield, IL 62704")
        );
    }
}
