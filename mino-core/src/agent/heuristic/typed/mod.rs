//! The pattern rule: values recognised by their shape (and a little context) anywhere on the
//! page — `mailto:`/`tel:` links, `<time datetime>`, prices near the product, bylines,
//! `<address>` blocks, street lines and copyright notices.

mod address;
mod contact;
mod dates;
mod names;
mod price;

use scraper::Html;

use crate::agent::heuristic::coerce::Origin;
use crate::agent::heuristic::dates::DayOrder;
use crate::agent::heuristic::field::{Concept, FieldSpec};
use crate::agent::heuristic::lines::{Line, Zone};
use crate::agent::heuristic::page::Candidate;
use crate::agent::heuristic::patterns;
use crate::agent::heuristic::text::excerpt;

/// Candidates for `spec` found by shape, best first.
pub(crate) fn candidates(
    spec: &FieldSpec,
    doc: &Html,
    lines: &[Line],
    order: DayOrder,
) -> Vec<Candidate> {
    match spec.concept {
        Concept::Email => contact::contact_links(
            doc,
            lines,
            "mailto:",
            "pattern:email",
            patterns::emails_in_text,
        ),
        Concept::Phone => contact::contact_links(
            doc,
            lines,
            "tel:",
            "pattern:phone",
            contact::phone_in_context,
        ),
        Concept::Date => dates::dates(doc, lines, order),
        Concept::Price => price::prices(lines),
        Concept::Address => address::addresses(lines),
        Concept::Company => {
            let mut out = names::copyrights(lines);
            out.extend(names::legal_names(lines));
            out.extend(names::site_names(doc));
            out
        }
        Concept::Author => names::bylines(lines),
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

pub(super) fn candidate(raw: String, rule: &str, context: &str) -> Candidate {
    Candidate {
        raw,
        rule: rule.to_owned(),
        origin: Origin::Text,
        snippet: excerpt(context, 160),
    }
}

pub(super) fn zone_rank(zone: Zone) -> Option<u8> {
    match zone {
        Zone::Main => Some(0),
        Zone::Footer => Some(1),
        Zone::Header => Some(2),
        Zone::Nav => Some(3),
        Zone::Aside => Some(4),
        Zone::Overlay => None,
    }
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
