//! The pattern rule: values recognised by their shape (and a little context) anywhere on the
//! page — `mailto:`/`tel:` links, `<time datetime>`, prices near the product, bylines,
//! `<address>` blocks, street lines and copyright notices.

use std::sync::LazyLock;

use regex::Regex;
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
static SITE_NAME: LazyLock<Selector> = LazyLock::new(|| {
    Selector::parse(
        r#"meta[property="og:site_name"][content], meta[name="application-name"][content]"#,
    )
    .expect("valid selector")
});
static BY_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b[Bb]y\s+(\p{Lu}[\p{L}'’.-]+(?:\s+(?:\p{Lu}[\p{L}'’.-]+|van|von|de|der|la|le|da|di|del|bin)){1,4})")
        .expect("valid byline regex")
});
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

/// Words before a price that make it a threshold, a saving or an old price.
const PRICE_BEFORE: &[&str] = &[
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
    "discount",
    "deposit",
    "fee",
    "payments of",
];

/// Words after a price that make it a saving, a fee or an instalment.
const PRICE_AFTER: &[&str] = &[
    "off",
    "discount",
    "shipping",
    "delivery",
    "fee",
    "deposit",
    "per month",
    "/mo",
    "a month",
    "monthly",
    "million",
    "billion",
    "bn",
    "thousand",
];

/// Candidates for `spec` found by shape, best first.
pub(crate) fn candidates(
    spec: &FieldSpec,
    doc: &Html,
    lines: &[Line],
    order: DayOrder,
) -> Vec<Candidate> {
    match spec.concept {
        Concept::Email => contact_links(
            doc,
            lines,
            "mailto:",
            "pattern:email",
            patterns::emails_in_text,
        ),
        Concept::Phone => contact_links(doc, lines, "tel:", "pattern:phone", phone_in_context),
        Concept::Date => dates(doc, lines, order),
        Concept::Price => prices(lines),
        Concept::Address => addresses(lines),
        Concept::Company => {
            let mut out = copyrights(lines);
            out.extend(legal_names(lines));
            out.extend(site_names(doc));
            out
        }
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

/// `mailto:`/`tel:` links first (a link is a deliberate way to reach someone; an address in
/// running text is often for one purpose only), then the same shape in text; within each,
/// content before footer before header; system mailboxes last.
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
        found.push(((is_system(href), 0, rank, i), c));
    }
    for (i, line) in lines.iter().enumerate() {
        let Some(rank) = zone_rank(line.zone) else {
            continue;
        };
        for hit in find(&line.text) {
            let system = is_system(&hit.text);
            found.push(((system, 1, rank, i), candidate(hit.text, rule, &line.text)));
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
            // "1-800-555-0199" reads as a phone number without a word saying so.
            let separators = h.text.matches(['-', '.']).count();
            let digits = h.text.chars().filter(char::is_ascii_digit).count();
            let written_like_phone = h.text.starts_with('+')
                || h.text.starts_with('(')
                || (digits >= 10 && separators >= 2);
            !recent.contains("fax") && (says_phone || written_like_phone)
        })
        .collect()
}

fn dates(doc: &Html, lines: &[Line], order: DayOrder) -> Vec<Candidate> {
    // Content before header; within a zone, <time> elements before dates in text.
    let mut found: Vec<((u8, u8, usize), Candidate)> = Vec::new();
    for (i, time) in doc.select(&TIMES).enumerate() {
        let rank = match zone_of(time) {
            Some(Zone::Main) => 0,
            Some(Zone::Header) => 1,
            _ => continue,
        };
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
        found.push(((rank, 0, i), c));
    }
    for (i, line) in lines.iter().enumerate() {
        let rank = match line.zone {
            Zone::Main => 0,
            Zone::Header => 1,
            _ => continue,
        };
        for date in find_dates(&line.text, order) {
            let before = line.text[..date.start].to_lowercase();
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
            let c = candidate(
                line.text[date.start..date.end].to_owned(),
                "pattern:date",
                &line.text,
            );
            found.push(((rank, 1, i), c));
        }
    }
    found.sort_by_key(|(k, _)| *k);
    found.into_iter().map(|(_, c)| c).collect()
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
        // A price in a long sentence is a figure being talked about, not the price on offer.
        let short = line.text.split_whitespace().count() <= 12;
        // Headings name things ("$48M transit line"); they do not price them.
        if line.zone != Zone::Main || line.heading.is_some() || !(short || line.price_hint) {
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
            // "$48M" is an amount of money, not a price.
            let glued = after.chars().next().is_some_and(char::is_alphabetic);
            if glued
                || PRICE_BEFORE.iter().any(|w| has_word(&before, w))
                || PRICE_AFTER.iter().any(|w| has_word(&after, w))
            {
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
        let after_number = value.split_once(' ').map_or("", |(_, rest)| rest);
        if !patterns::has_postal_code(after_number) {
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

/// Names with a legal form (`… GmbH`, `… LLC`) in the footer, then anywhere in the content.
fn legal_names(lines: &[Line]) -> Vec<Candidate> {
    let mut found: Vec<(u8, Candidate)> = lines
        .iter()
        .filter_map(|l| {
            let rank = match l.zone {
                Zone::Footer => 0,
                Zone::Main | Zone::Header => 1,
                _ => return None,
            };
            let name = patterns::legal_name(&l.text)?;
            Some((rank, candidate(name, "pattern:legal-name", &l.text)))
        })
        .collect();
    found.sort_by_key(|(r, _)| *r);
    found.into_iter().map(|(_, c)| c).collect()
}

/// The site's own name (`og:site_name`, `application-name`): often a brand rather than the
/// company, so it comes after every other sign of the company.
fn site_names(doc: &Html) -> Vec<Candidate> {
    doc.select(&SITE_NAME)
        .filter_map(|m| {
            let key = m
                .value()
                .attr("property")
                .or_else(|| m.value().attr("name"))?;
            let content = m.value().attr("content")?;
            let mut c = candidate(content.to_owned(), &format!("meta:{key}"), content);
            c.origin = Origin::Exact;
            Some(c)
        })
        .collect()
}

/// Bylines: lines marked as the author's, lines starting with "By", and short lines saying
/// "… by Jane Doe" (`Posted on 3 May by Jane Doe`), when what follows reads as a name.
fn bylines(lines: &[Line]) -> Vec<Candidate> {
    let mut found: Vec<(u8, Candidate)> = Vec::new();
    for line in lines
        .iter()
        .filter(|l| matches!(l.zone, Zone::Main | Zone::Header) && l.heading.is_none())
    {
        let lower = line.text.to_lowercase();
        let by = ["by ", "written by ", "words by ", "posted by "]
            .iter()
            .find(|p| lower.starts_with(*p))
            .map(|p| &line.text[p.len()..]);
        match (by, line.author_hint) {
            (Some(rest), hint) if looks_like_name(rest) => {
                let c = candidate(line.text.clone(), "pattern:byline", &line.text);
                found.push((if hint { 0 } else { 1 }, c));
            }
            (None, true) if looks_like_name(&line.text) => {
                found.push((
                    0,
                    candidate(line.text.clone(), "pattern:byline", &line.text),
                ));
            }
            _ => {
                // "Posted on 3 May by Jane Doe": a short line about the post itself, not a
                // sentence of the text ("a lecture by Dr Ashby on rivers").
                let lower = line.text.to_lowercase();
                let about_post = ["posted", "published", "written", "updated"]
                    .iter()
                    .any(|w| lower.contains(w))
                    || !find_dates(&line.text, DayOrder::MonthFirst).is_empty();
                if line.text.split_whitespace().count() > 12 || !about_post {
                    continue;
                }
                if let Some(name) = BY_NAME.captures(&line.text).and_then(|c| c.get(1)) {
                    let c = candidate(name.as_str().to_owned(), "pattern:byline", &line.text);
                    found.push((2, c));
                }
            }
        }
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
                    | "and"
                    | "&"
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
            )
            .first()
            .map(String::as_str),
            Some("Acme Corp.")
        );
        assert_eq!(
            raw(
                "author",
                FieldType::Text,
                "<p>Posted on 3 May 2023 by Tom Whitaker in Bread</p>"
            ),
            ["Tom Whitaker"]
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
