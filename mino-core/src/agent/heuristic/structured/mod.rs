//! Structured data on a page: JSON-LD, microdata, RDFa lite and meta tags, all flattened into
//! one list of [`Fact`]s.
//!
//! Microdata and RDFa items are first turned into JSON-LD-shaped values, so one walker turns
//! every kind of item into facts the same way: a fact per scalar property, plus one per nested
//! object that has a name (`Article.author` → the author's name) and one per postal address
//! (its parts joined).

mod jsonld;
mod meta;
mod microdata;
mod rdfa;
mod score;

pub(crate) use score::fact_score;

use indexmap::IndexMap;
use scraper::Html;
use serde_json::{Map, Value};

use super::text::{clean, tokens};

/// Where a fact was found; earlier kinds win ties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Source {
    /// `<script type="application/ld+json">`.
    JsonLd,
    /// `itemscope` / `itemprop`.
    Microdata,
    /// `typeof` / `property`.
    Rdfa,
    /// `<meta property|name content>`.
    Meta,
}

impl Source {
    /// The prefix of evidence rules.
    pub(crate) fn prefix(self) -> &'static str {
        match self {
            Source::JsonLd => "json-ld",
            Source::Microdata => "microdata",
            Source::Rdfa => "rdfa",
            Source::Meta => "meta",
        }
    }
}

/// One value from structured data.
#[derive(Debug, Clone)]
pub(crate) struct Fact {
    /// Where it was found.
    pub source: Source,
    /// The type of the top-level item (`Product`), or `meta` for meta tags.
    pub root_type: String,
    /// The property names from the item down to the value (`offers`, `price`).
    pub props: Vec<String>,
    /// The value as written.
    pub value: String,
    /// The evidence rule (`json-ld:Product.offers.price`).
    pub rule: String,
    /// Position among all facts of the page.
    pub order: usize,
}

impl Fact {
    /// The tokens of the property that names this value (the last one).
    pub(crate) fn key_tokens(&self) -> Vec<String> {
        self.props.last().map(|p| tokens(p)).unwrap_or_default()
    }
}

/// Every fact on the page, JSON-LD first, then microdata, RDFa and meta tags.
pub(crate) fn facts(doc: &Html) -> Vec<Fact> {
    let mut out = Vec::new();
    for item in jsonld::items(doc) {
        flatten(Source::JsonLd, &item, &mut out);
    }
    for item in microdata::items(doc) {
        flatten(Source::Microdata, &item, &mut out);
    }
    for item in rdfa::items(doc) {
        flatten(Source::Rdfa, &item, &mut out);
    }
    out.extend(meta::facts(doc));
    for (i, f) in out.iter_mut().enumerate() {
        f.order = i;
    }
    out
}

/// The short type name: `http://schema.org/Product` and `schema:Product` → `Product`.
pub(crate) fn short_type(t: &str) -> String {
    t.trim()
        .rsplit(['/', ':', '#'])
        .next()
        .unwrap_or("")
        .to_owned()
}

/// The first `@type` of an item, shortened.
pub(crate) fn type_of(obj: &Map<String, Value>) -> Option<String> {
    match obj.get("@type")? {
        Value::String(s) => Some(short_type(s)),
        Value::Array(a) => a.iter().find_map(Value::as_str).map(short_type),
        _ => None,
    }
}

const MAX_DEPTH: usize = 5;

/// Properties that describe the page machinery, not the page's thing.
const SKIPPED: &[&str] = &[
    "@context",
    "@id",
    "@type",
    "potentialAction",
    "mainEntityOfPage",
    "@graph",
];

struct Walk<'a> {
    source: Source,
    root_type: String,
    out: &'a mut Vec<Fact>,
}

fn flatten(source: Source, item: &Value, out: &mut Vec<Fact>) {
    let Value::Object(obj) = item else { return };
    let root_type = type_of(obj).unwrap_or_else(|| "Thing".to_owned());
    let mut walk = Walk {
        source,
        root_type,
        out,
    };
    let mut props = Vec::new();
    walk.object(obj, &mut props);
}

impl Walk<'_> {
    fn push(&mut self, props: &[String], rule_props: &[&str], value: String) {
        let value = clean(&value);
        if value.is_empty() {
            return;
        }
        let mut rule = format!("{}:{}", self.source.prefix(), self.root_type);
        for p in props
            .iter()
            .map(String::as_str)
            .chain(rule_props.iter().copied())
        {
            rule.push('.');
            rule.push_str(p);
        }
        self.out.push(Fact {
            source: self.source,
            root_type: self.root_type.clone(),
            props: props.to_vec(),
            value,
            rule,
            order: 0,
        });
    }

    fn object(&mut self, obj: &Map<String, Value>, props: &mut Vec<String>) {
        if props.len() >= MAX_DEPTH {
            return;
        }
        for (key, value) in obj {
            if SKIPPED.contains(&key.as_str()) {
                continue;
            }
            // A nested item's name stands for the item itself (below), so it is not repeated.
            if !props.is_empty() && matches!(key.as_str(), "name" | "legalName") {
                continue;
            }
            props.push(key.clone());
            self.value(value, props);
            props.pop();
        }
    }

    fn value(&mut self, value: &Value, props: &mut Vec<String>) {
        match value {
            Value::String(s) => self.push(props, &[], s.clone()),
            Value::Number(n) => self.push(props, &[], n.to_string()),
            Value::Bool(_) | Value::Null => {}
            Value::Array(items) => {
                for item in items {
                    self.value(item, props);
                }
            }
            Value::Object(obj) => {
                if let Some(v) = obj.get("@value") {
                    self.value(v, props);
                    return;
                }
                if let Some(address) = postal_address(obj) {
                    self.push(props, &[], address);
                } else if let Some(name) = obj.get("name").and_then(scalar) {
                    self.push(props, &["name"], name);
                } else if let Some(name) = obj.get("legalName").and_then(scalar) {
                    self.push(props, &["legalName"], name);
                }
                self.object(obj, props);
            }
        }
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(a) => a.first().and_then(scalar),
        _ => None,
    }
}

/// The parts of a `PostalAddress` joined in the order the page gives them (which follows
/// the country's convention: `Zuidweg 38, 2671 MN, Naaldwijk`), a region directly followed
/// by its postal code kept together (`CO 80202`). A two-letter country code is left out: it
/// is a code for machines, not part of the address as people write it.
fn postal_address(obj: &Map<String, Value>) -> Option<String> {
    let is_address = type_of(obj).is_some_and(|t| t == "PostalAddress")
        || obj.contains_key("streetAddress")
        || obj.contains_key("addressLocality");
    if !is_address {
        return None;
    }
    let mut parts: Vec<String> = Vec::new();
    let mut last_was_region = false;
    for (key, value) in obj {
        let text = match (key.as_str(), value) {
            ("addressCountry", Value::Object(c)) => c.get("name").and_then(scalar),
            (
                "streetAddress"
                | "postOfficeBoxNumber"
                | "addressLocality"
                | "addressRegion"
                | "postalCode"
                | "addressCountry",
                v,
            ) => scalar(v),
            _ => None,
        };
        let Some(text) = text.map(|t| clean(&t)).filter(|t| !t.is_empty()) else {
            continue;
        };
        if key == "addressCountry"
            && text.len() == 2
            && text.chars().all(|c| c.is_ascii_uppercase())
        {
            continue;
        }
        match parts.last_mut() {
            Some(region) if last_was_region && key == "postalCode" => {
                region.push(' ');
                region.push_str(&text);
            }
            _ => parts.push(text),
        }
        last_was_region = key == "addressRegion";
    }
    (parts.len() >= 2).then(|| parts.join(", "))
}

/// Groups repeated properties of a microdata or RDFa item into arrays, keeping first-seen order.
pub(crate) fn to_object(item_type: Option<String>, props: Vec<(String, Value)>) -> Value {
    let mut grouped: IndexMap<String, Vec<Value>> = IndexMap::new();
    for (k, v) in props {
        grouped.entry(k).or_default().push(v);
    }
    let mut obj = Map::new();
    if let Some(t) = item_type {
        obj.insert("@type".to_owned(), Value::String(t));
    }
    for (k, mut vs) in grouped {
        let v = if vs.len() == 1 {
            vs.remove(0)
        } else {
            Value::Array(vs)
        };
        obj.insert(k, v);
    }
    Value::Object(obj)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(html: &str) -> Vec<(String, String)> {
        facts(&Html::parse_document(html))
            .into_iter()
            .map(|f| (f.rule, f.value))
            .collect()
    }

    #[test]
    fn nested_items_become_named_facts_and_addresses_are_joined() {
        let r = rules(
            r#"<script type="application/ld+json">{"@context":"https://schema.org","@type":"Event",
            "name":"Jazz Night","location":{"@type":"Place","name":"Blue Hall","address":{
            "@type":"PostalAddress","streetAddress":"1 Main St","addressLocality":"Springfield",
            "addressRegion":"IL","postalCode":"62704"}}}</script>"#,
        );
        assert!(r.contains(&("json-ld:Event.name".into(), "Jazz Night".into())));
        assert!(r.contains(&("json-ld:Event.location.name".into(), "Blue Hall".into())));
        assert!(r.contains(&(
            "json-ld:Event.location.address".into(),
            "1 Main St, Springfield, IL 62704".into()
        )));
        assert!(!r
            .iter()
            .any(|(rule, _)| rule == "json-ld:Event.location.address.name"));
    }
}
