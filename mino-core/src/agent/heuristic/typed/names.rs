//! Names of companies (copyright notices, legal forms, the site's name) and of authors
//! (bylines).

use std::sync::LazyLock;

use regex::Regex;
use scraper::{Html, Selector};

use super::candidate;
use crate::agent::heuristic::coerce::Origin;
use crate::agent::heuristic::dates::{find_dates, DayOrder};
use crate::agent::heuristic::lines::{Line, Zone};
use crate::agent::heuristic::page::Candidate;
use crate::agent::heuristic::patterns;

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

pub(super) fn copyrights(lines: &[Line]) -> Vec<Candidate> {
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
pub(super) fn legal_names(lines: &[Line]) -> Vec<Candidate> {
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
pub(super) fn site_names(doc: &Html) -> Vec<Candidate> {
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
pub(super) fn bylines(lines: &[Line]) -> Vec<Candidate> {
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
