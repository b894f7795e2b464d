//! Dates: `<time>` elements, then dates written in the text; "updated" dates are skipped.

use std::sync::LazyLock;

use scraper::{ElementRef, Html, Node, Selector};

use super::candidate;
use crate::agent::heuristic::coerce::Origin;
use crate::agent::heuristic::dates::{find_dates, DayOrder};
use crate::agent::heuristic::lines::{zone_of, Line, Zone};
use crate::agent::heuristic::page::Candidate;
use crate::agent::heuristic::text::element_text;

static TIMES: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("time").expect("valid selector"));

/// Words that make a date something else than the one asked for.
pub(super) const UPDATE_WORDS: &[&str] = &["updated", "modified", "edited", "revised", "last"];

pub(super) fn dates(doc: &Html, lines: &[Line], order: DayOrder) -> Vec<Candidate> {
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
