//! RDFa lite items (`vocab`, `typeof`, `property`), nested items included, as JSON-LD-shaped
//! values.

use std::sync::LazyLock;

use scraper::{ElementRef, Html, Selector};
use serde_json::Value;

use super::microdata::property_value;
use super::{short_type, to_object};

static TOP_ITEMS: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("[typeof]:not([property])").expect("valid selector"));

const MAX_DEPTH: usize = 6;

/// The top-level items of the page, in document order.
pub(super) fn items(doc: &Html) -> Vec<Value> {
    doc.select(&TOP_ITEMS).map(|el| item(el, 0)).collect()
}

fn item(el: ElementRef<'_>, depth: usize) -> Value {
    let item_type = el
        .value()
        .attr("typeof")
        .and_then(|t| t.split_whitespace().next())
        .map(short_type);
    let mut props = Vec::new();
    if depth < MAX_DEPTH {
        collect(el, depth, &mut props);
    }
    to_object(item_type, props)
}

fn collect(el: ElementRef<'_>, depth: usize, props: &mut Vec<(String, Value)>) {
    for child in el.child_elements() {
        let v = child.value();
        if let Some(names) = v.attr("property") {
            let value = if v.attr("typeof").is_some() {
                item(child, depth + 1)
            } else {
                Value::String(property_value(child))
            };
            for name in names.split_whitespace() {
                props.push((short_type(name), value.clone()));
            }
        }
        if v.attr("typeof").is_none() {
            collect(child, depth, props);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_typeof_and_property() {
        let doc = Html::parse_document(
            r#"<div vocab="https://schema.org/" typeof="LocalBusiness">
              <h2 property="name">Corner Bakery</h2>
              <div property="address" typeof="PostalAddress">
                <span property="streetAddress">12 Elm Rd</span>,
                <span property="addressLocality">Leeds</span></div>
              <a property="telephone" href="tel:+441130000000">0113 000 0000</a>
            </div>"#,
        );
        let items = items(&doc);
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["@type"], "LocalBusiness");
        assert_eq!(items[0]["address"]["streetAddress"], "12 Elm Rd");
        assert_eq!(items[0]["telephone"], "tel:+441130000000");
    }
}
