//! Label–value pairs as people lay them out: table rows (`<th>`/`<td>` or a label in the
//! first column), header rows over one data row, definition lists, and `Label: value` lines.

use std::sync::LazyLock;

use regex::Regex;
use scraper::{ElementRef, Html, Selector};

use super::lines::{zone_of, Line, Zone};
use super::text::{element_text, tokens};

static ROWS: LazyLock<Selector> = LazyLock::new(|| Selector::parse("tr").expect("valid selector"));
static TABLES: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("table").expect("valid selector"));
static TERMS: LazyLock<Selector> = LazyLock::new(|| Selector::parse("dt").expect("valid selector"));
static LABEL_LINE: LazyLock<Regex> = LazyLock::new(|| {
    // "Label: value", and the "Item # value" of codes and numbers.
    Regex::new(r"^\s*([\p{L}][\p{L}\p{N} .&/'()-]{0,40}?)\s*(?:[:：]|#\s*[:：]?)\s*(.*)$")
        .expect("valid label regex")
});

/// Where a pair was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum PairKind {
    /// A table row.
    Table,
    /// A header cell over the first data row.
    TableColumn,
    /// A `<dt>`/`<dd>` pair.
    Definition,
    /// A `Label: value` line, or a label line followed by its value.
    Text,
}

impl PairKind {
    /// The evidence rule.
    pub(crate) fn rule(self) -> &'static str {
        match self {
            PairKind::Table => "label:table",
            PairKind::TableColumn => "label:table-column",
            PairKind::Definition => "label:dl",
            PairKind::Text => "label:text",
        }
    }
}

/// A label and the value next to it.
#[derive(Debug, Clone)]
pub(crate) struct Pair {
    /// How it was laid out.
    pub kind: PairKind,
    /// The label's tokens.
    pub label: Vec<String>,
    /// The label as written.
    pub label_text: String,
    /// The value as written.
    pub value: String,
    /// Where it sits.
    pub zone: Zone,
    /// Position among pairs of its kind.
    pub order: usize,
}

/// Labels longer than this are sentences, not labels.
const MAX_LABEL_WORDS: usize = 5;

/// Every label–value pair of the page, outside navigation, related items and overlays.
pub(crate) fn pairs(doc: &Html, lines: &[Line]) -> Vec<Pair> {
    let mut out = Vec::new();
    table_pairs(doc, &mut out);
    definition_pairs(doc, &mut out);
    text_pairs(lines, &mut out);
    out.retain(|p| matches!(p.zone, Zone::Main | Zone::Footer | Zone::Header));
    out
}

fn new_pair(kind: PairKind, label: &str, value: String, zone: Zone, order: usize) -> Option<Pair> {
    let label_text = label.trim().trim_end_matches([':', '：']).trim().to_owned();
    let label = tokens(&label_text);
    if label.is_empty() || label.len() > MAX_LABEL_WORDS || value.trim().is_empty() {
        return None;
    }
    Some(Pair {
        kind,
        label,
        label_text,
        value,
        zone,
        order,
    })
}

fn cells(row: ElementRef<'_>) -> Vec<ElementRef<'_>> {
    row.child_elements()
        .filter(|c| matches!(c.value().name(), "td" | "th"))
        .collect()
}

fn table_pairs(doc: &Html, out: &mut Vec<Pair>) {
    for (order, row) in doc.select(&ROWS).enumerate() {
        let Some(zone) = zone_of(row) else { continue };
        let cells = cells(row);
        let first_th = cells.iter().position(|c| c.value().name() == "th");
        let pair = match first_th {
            // <th>Label</th><td>value</td>
            Some(i) if cells.get(i + 1).is_some_and(|c| c.value().name() == "td") => {
                Some((element_text(cells[i]), element_text(cells[i + 1])))
            }
            // <td>Label</td><td>value</td>: a label column.
            None if cells.len() >= 2 => Some((element_text(cells[0]), element_text(cells[1]))),
            _ => None,
        };
        if let Some((label, value)) = pair {
            if label.chars().count() <= 40 {
                out.extend(new_pair(PairKind::Table, &label, value, zone, order));
            }
        }
    }
    for (order, table) in doc.select(&TABLES).enumerate() {
        let Some(zone) = zone_of(table) else { continue };
        let rows: Vec<ElementRef<'_>> = table.select(&ROWS).collect();
        // A header row of <th>s over data rows: the first data row is the page's own item.
        let Some(header_at) = rows.iter().position(|r| {
            let c = cells(*r);
            c.len() >= 2 && c.iter().all(|c| c.value().name() == "th")
        }) else {
            continue;
        };
        let Some(data) = rows[header_at + 1..]
            .iter()
            .find(|r| cells(**r).iter().any(|c| c.value().name() == "td"))
        else {
            continue;
        };
        let heads = cells(rows[header_at]);
        let values = cells(*data);
        for (i, head) in heads.iter().enumerate() {
            if let Some(value) = values.get(i) {
                let pair = new_pair(
                    PairKind::TableColumn,
                    &element_text(*head),
                    element_text(*value),
                    zone,
                    order * 100 + i,
                );
                out.extend(pair);
            }
        }
    }
}

fn definition_pairs(doc: &Html, out: &mut Vec<Pair>) {
    for (order, dt) in doc.select(&TERMS).enumerate() {
        let Some(zone) = zone_of(dt) else { continue };
        let dd = dt
            .next_siblings()
            .filter_map(ElementRef::wrap)
            .take_while(|e| e.value().name() != "dt")
            .find(|e| e.value().name() == "dd");
        if let Some(dd) = dd {
            out.extend(new_pair(
                PairKind::Definition,
                &element_text(dt),
                element_text(dd),
                zone,
                order,
            ));
        }
    }
}

fn text_pairs(lines: &[Line], out: &mut Vec<Pair>) {
    for (i, line) in lines.iter().enumerate() {
        if let Some(caps) = LABEL_LINE.captures(&line.text) {
            let label = caps.get(1).map_or("", |m| m.as_str());
            let value = caps.get(2).map_or("", |m| m.as_str()).trim();
            if matches!(
                label.to_ascii_lowercase().as_str(),
                "http" | "https" | "mailto" | "tel"
            ) {
                continue;
            }
            let value = if value.is_empty() {
                following_value(lines, i)
            } else {
                value.to_owned()
            };
            out.extend(new_pair(PairKind::Text, label, value, line.zone, i));
        } else if line.heading.is_some() || line.text.split_whitespace().count() <= 2 {
            // A short line or a heading on its own ("Email", "<h4>Phone</h4>") labels the next.
            let value = following_value(lines, i);
            if let Some(mut pair) = new_pair(PairKind::Text, &line.text, value, line.zone, i) {
                // Only short labels qualify this way, or every short line would label the next.
                if pair.label.len() <= 2 {
                    pair.order = i;
                    out.push(pair);
                }
            }
        }
    }
}

/// The value under a label line: the next line, plus the lines that continue it in the same
/// block (an address over several `<br>`-separated lines).
fn following_value(lines: &[Line], i: usize) -> String {
    let Some(first) = lines.get(i + 1) else {
        return String::new();
    };
    if LABEL_LINE.is_match(&first.text) || first.heading.is_some() {
        return String::new();
    }
    let mut parts = vec![first.text.clone()];
    for next in lines.iter().skip(i + 2).take(3) {
        if next.group != first.group
            || LABEL_LINE.is_match(&next.text)
            || next.text.chars().count() > 80
        {
            break;
        }
        parts.push(next.text.clone());
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::heuristic::lines::page_lines;

    fn pairs_of(html: &str) -> Vec<(PairKind, String, String)> {
        let doc = Html::parse_document(html);
        let lines = page_lines(&doc);
        pairs(&doc, &lines)
            .into_iter()
            .map(|p| (p.kind, p.label_text, p.value))
            .collect()
    }

    #[test]
    fn tables_lists_and_text_lines() {
        let p = pairs_of(
            "<table><tr><th>Weight</th><td>2 kg</td></tr><tr><td>SKU</td><td>AB-1</td></tr></table>\
             <dl><dt>Color</dt><dd>Red</dd></dl><p><b>Phone:</b> 555 0100</p>\
             <p>Address:<br>1 Main St<br>Springfield</p>",
        );
        assert!(p.contains(&(PairKind::Table, "Weight".into(), "2 kg".into())));
        assert!(p.contains(&(PairKind::Table, "SKU".into(), "AB-1".into())));
        assert!(p.contains(&(PairKind::Definition, "Color".into(), "Red".into())));
        assert!(p.contains(&(PairKind::Text, "Phone".into(), "555 0100".into())));
        assert!(p.contains(&(
            PairKind::Text,
            "Address".into(),
            "1 Main St, Springfield".into()
        )));
    }

    #[test]
    fn header_rows_label_the_first_data_row() {
        let p = pairs_of(
            "<table><thead><tr><th>Variant</th><th>Price</th></tr></thead>\
             <tbody><tr><td>Small</td><td>$5</td></tr><tr><td>Large</td><td>$9</td></tr></tbody></table>",
        );
        assert!(p.contains(&(PairKind::TableColumn, "Price".into(), "$5".into())));
        assert!(!p
            .iter()
            .any(|(k, _, v)| *k == PairKind::TableColumn && v == "$9"));
    }

    #[test]
    fn related_items_and_banners_are_ignored() {
        let p = pairs_of(
            "<aside><p>Price: $3</p></aside><div class=\"cookie\"><p>Email: x@y.z</p></div>",
        );
        assert!(p.is_empty());
    }
}
