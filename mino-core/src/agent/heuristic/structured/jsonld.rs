//! JSON-LD items: every `<script type="application/ld+json">`, with `@graph`s unpacked,
//! top-level arrays split, and `{"@id": …}` references replaced by the node they point to.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use scraper::{Html, Selector};
use serde_json::{Map, Value};
use tracing::debug;

static SCRIPT: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("script[type]").expect("valid selector"));

/// How deep references are followed; graphs may point in circles.
const MAX_REF_DEPTH: usize = 4;

/// The top-level items of every JSON-LD block, in document order.
pub(super) fn items(doc: &Html) -> Vec<Value> {
    let mut roots = Vec::new();
    for script in doc.select(&SCRIPT) {
        let is_ld = script.value().attr("type").is_some_and(|t| {
            t.trim()
                .to_ascii_lowercase()
                .starts_with("application/ld+json")
        });
        if !is_ld {
            continue;
        }
        let raw: String = script.text().collect();
        match parse(&raw) {
            Some(value) => collect_roots(value, &mut roots),
            None => debug!(
                len = raw.len(),
                "skipping JSON-LD block that does not parse"
            ),
        }
    }
    let mut ids = BTreeMap::new();
    for root in &roots {
        index_ids(root, &mut ids);
    }
    roots.iter().map(|r| resolve(r, &ids, 0)).collect()
}

/// Parses a block, forgiving the wrappers and trailing commas that pages carry.
fn parse(raw: &str) -> Option<Value> {
    let trimmed = raw
        .trim()
        .trim_start_matches("<!--")
        .trim_end_matches("-->")
        .trim()
        .trim_start_matches("/*<![CDATA[*/")
        .trim_end_matches("/*]]>*/")
        .trim()
        .trim_end_matches(';');
    if let Ok(v) = serde_json::from_str(trimmed) {
        return Some(v);
    }
    // A trailing comma before a closing bracket is the most common hand-written slip.
    let mut fixed = String::with_capacity(trimmed.len());
    let chars: Vec<char> = trimmed.chars().collect();
    let mut in_string = false;
    let mut escaped = false;
    for (i, &c) in chars.iter().enumerate() {
        if in_string {
            in_string = c != '"' || escaped;
            escaped = c == '\\' && !escaped;
        } else if c == '"' {
            in_string = true;
        } else if c == ',' {
            let next = chars[i + 1..].iter().find(|c| !c.is_whitespace());
            if matches!(next, Some('}') | Some(']')) {
                continue;
            }
        }
        fixed.push(c);
    }
    serde_json::from_str(&fixed).ok()
}

fn collect_roots(value: Value, roots: &mut Vec<Value>) {
    match value {
        Value::Array(items) => {
            for item in items {
                collect_roots(item, roots);
            }
        }
        Value::Object(mut obj) => {
            if let Some(graph) = obj.remove("@graph") {
                collect_roots(graph, roots);
            }
            if obj.keys().any(|k| !k.starts_with('@')) {
                roots.push(Value::Object(obj));
            }
        }
        _ => {}
    }
}

fn index_ids(value: &Value, ids: &mut BTreeMap<String, Value>) {
    match value {
        Value::Array(items) => items.iter().for_each(|i| index_ids(i, ids)),
        Value::Object(obj) => {
            if let Some(Value::String(id)) = obj.get("@id") {
                if !is_reference(obj) {
                    ids.entry(id.clone()).or_insert_with(|| value.clone());
                }
            }
            obj.values().for_each(|v| index_ids(v, ids));
        }
        _ => {}
    }
}

/// `{"@id": "#author"}` (maybe with a `@type`) points at a node defined elsewhere.
fn is_reference(obj: &Map<String, Value>) -> bool {
    obj.contains_key("@id") && obj.keys().all(|k| k == "@id" || k == "@type")
}

fn resolve(value: &Value, ids: &BTreeMap<String, Value>, depth: usize) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(|i| resolve(i, ids, depth)).collect()),
        Value::Object(obj) => {
            if is_reference(obj) && depth < MAX_REF_DEPTH {
                if let Some(target) = obj
                    .get("@id")
                    .and_then(Value::as_str)
                    .and_then(|id| ids.get(id))
                {
                    return resolve(target, ids, depth + 1);
                }
            }
            Value::Object(
                obj.iter()
                    .map(|(k, v)| (k.clone(), resolve(v, ids, depth)))
                    .collect(),
            )
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_references_are_resolved() {
        let doc = Html::parse_document(
            r##"<script type="application/ld+json">{"@context":"https://schema.org","@graph":[
            {"@type":"NewsArticle","headline":"Rain","author":{"@id":"#jane"},},
            {"@type":"Person","@id":"#jane","name":"Jane Doe"}]}</script>"##,
        );
        let items = items(&doc);
        assert_eq!(items.len(), 2);
        assert_eq!(items[0]["author"]["name"], "Jane Doe");
    }

    #[test]
    fn broken_blocks_are_skipped() {
        let doc = Html::parse_document(
            r#"<script type="application/ld+json">{oops</script>
            <script type="application/ld+json">[{"@type":"Product","name":"A"}]</script>"#,
        );
        assert_eq!(items(&doc).len(), 1);
    }
}
