//! Prices in the page's own content, near its main heading.

use super::candidate;
use crate::agent::heuristic::lines::{Line, Zone};
use crate::agent::heuristic::page::Candidate;
use crate::agent::heuristic::patterns;

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

/// Prices in the page's own content: marked-up prices first, then the first ones after the
/// main heading; thresholds, savings and fees are skipped.
pub(super) fn prices(lines: &[Line]) -> Vec<Candidate> {
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
