//! E-mail addresses and phone numbers: `mailto:`/`tel:` links, then the same shapes in text.

use std::sync::LazyLock;

use scraper::{Html, Selector};

use super::{candidate, zone_rank};
use crate::agent::heuristic::lines::{zone_of, Line};
use crate::agent::heuristic::page::Candidate;
use crate::agent::heuristic::patterns;
use crate::agent::heuristic::text::element_text;

static LINKS: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("a[href]").expect("valid selector"));

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

/// `mailto:`/`tel:` links first (a link is a deliberate way to reach someone; an address in
/// running text is often for one purpose only), then the same shape in text; within each,
/// content before footer before header; system mailboxes last.
pub(super) fn contact_links(
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
pub(super) fn phone_in_context(text: &str) -> Vec<patterns::Hit> {
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
