//! Microdata items (`itemscope`, `itemtype`, `itemprop`), nested items included, as
//! JSON-LD-shaped values.

use std::sync::LazyLock;

use scraper::{ElementRef, Html, Selector};
use serde_json::Value;

use super::{short_type, to_object};
use crate::agent::heuristic::text::element_text;

static TOP_ITEMS: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("[itemscope]:not([itemprop])").expect("valid selector"));

/// The top-level items of the page, in document order.
pub(super) fn items(doc: &Html) -> Vec<Value> {
    doc.select(&TOP_ITEMS).map(|el| item(el, 0)).collect()
}

const MAX_DEPTH: usize = 6;

fn item(el: ElementRef<'_>, depth: usize) -> Value {
    let item_type = el
        .value()
        .attr("itemtype")
        .and_then(|t| t.split_whitespace().next())
        .map(short_type);
    let mut props = Vec::new();
    if depth < MAX_DEPTH {
        collect(el, depth, &mut props);
    }
    to_object(item_type, props)
}

/// The properties of the item `el`: descendants with `itemprop` whose nearest item is `el`.
fn collect(el: ElementRef<'_>, depth: usize, props: &mut Vec<(String, Value)>) {
    for child in el.child_elements() {
        let v = child.value();
        if let Some(names) = v.attr("itemprop") {
            let value = if v.attr("itemscope").is_some() {
                item(child, depth + 1)
            } else {
                Value::String(property_value(child))
            };
            for name in names.split_whitespace() {
                props.push((short_type(name), value.clone()));
            }
        }
        // A nested item owns the properties inside it.
        if v.attr("itemscope").is_none() {
            collect(child, depth, props);
        }
    }
}

/// The value of a property element, by the microdata rules: an attribute for elements that
/// point somewhere or carry a machine value, the text otherwise.
pub(super) fn property_value(el: ElementRef<'_>) -> String {
    let v = el.value();
    let attr = |name: &str| v.attr(name).map(str::to_owned);
    let by_tag = match v.name() {
        "meta" => attr("content"),
        "a" | "link" | "area" => attr("href"),
        "img" | "audio" | "video" | "source" | "iframe" | "embed" | "track" => attr("src"),
        "object" => attr("data"),
        "time" => attr("datetime"),
        "data" | "meter" => attr("value"),
        _ => None,
    };
    by_tag
        .or_else(|| attr("content"))
        .unwrap_or_else(|| element_text(el))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_items_keep_their_own_properties() {
        let doc = Html::parse_document(
            r#"<div itemscope itemtype="https://schema.org/Product">
              <h1 itemprop="name">Trail Shoe</h1>
              <div itemprop="brand" itemscope itemtype="https://schema.org/Brand">
                <span itemprop="name">Peak</span></div>
              <div itemprop="offers" itemscope itemtype="https://schema.org/Offer">
                <meta itemprop="priceCurrency" content="USD">
                <span itemprop="price" content="89.00">$89</span></div>
            </div>"#,
        );
        let items = items(&doc);
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["@type"], "Product");
        assert_eq!(items[0]["name"], "Trail Shoe");
        assert_eq!(items[0]["brand"]["name"], "Peak");
        assert_eq!(items[0]["offers"]["price"], "89.00");
    }
}
