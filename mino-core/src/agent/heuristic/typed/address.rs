//! Postal addresses: `<address>` blocks, then street lines.

use super::candidate;
use crate::agent::heuristic::lines::{Line, Zone};
use crate::agent::heuristic::page::Candidate;
use crate::agent::heuristic::patterns;

pub(super) fn addresses(lines: &[Line]) -> Vec<Candidate> {
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
