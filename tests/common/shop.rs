//! The fixture shop the end-to-end suites run the heuristic agent on: its product pages
//! (schema.org microdata), the project that extracts title, price and brand from them, and
//! the CSV rows holding their ground truth.
//!
//! Shared by the workspace's `tests/common` and `mino-http/tests/common` (included there with
//! `#[path]`); each suite keeps its own product list and server.

use indexmap::IndexMap;
use mino_core::model::{AgentConfig, FieldType, NewProject, OutputField};

/// A small product page in the shape of the demo shop (schema.org microdata), which the
/// heuristic agent reads title, price and brand from. The values are HTML-escaped.
pub fn product_page(title: &str, price: &str, brand: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{title} | {brand}</title></head><body><main>\
         <div itemscope itemtype=\"https://schema.org/Product\">\
         <h1 itemprop=\"name\">{title}</h1>\
         <div itemprop=\"brand\" itemscope itemtype=\"https://schema.org/Brand\">\
         <span itemprop=\"name\">{brand}</span></div>\
         <div itemprop=\"offers\" itemscope itemtype=\"https://schema.org/Offer\">\
         <span class=\"amount\">{price}</span></div></div></main></body></html>",
        title = escape(title),
        brand = escape(brand),
        price = escape(price),
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A project extracting title, price and brand with the heuristic agent. It follows no
/// links: every fixture page holds all three fields, and one request per attempt keeps a
/// fixture server's request counts exact.
pub fn shop_project(name: &str, max_attempts: u32, timeout_secs: u32) -> NewProject {
    let mut new = NewProject::named(name);
    new.instructions = "Find the product's title, its price and its brand.".to_owned();
    new.output_fields = vec![
        OutputField::named("title"),
        OutputField {
            field_type: FieldType::Number,
            ..OutputField::named("price")
        },
        OutputField::named("brand"),
    ];
    new.agent = AgentConfig {
        name: "heuristic".to_owned(),
        settings: serde_json::json!({ "max_follow_links": 0, "navigation_timeout_secs": 60 }),
    };
    new.settings.max_attempts = max_attempts;
    new.settings.job_timeout_secs = timeout_secs;
    new
}

/// One CSV row: the site URL and the ground truth of the three fields.
pub fn row(url: &str, title: &str, price: &str, brand: &str) -> IndexMap<String, String> {
    let mut row = IndexMap::new();
    row.insert("url".to_owned(), url.to_owned());
    row.insert("gt_title".to_owned(), title.to_owned());
    row.insert("gt_price".to_owned(), price.to_owned());
    row.insert("gt_brand".to_owned(), brand.to_owned());
    row
}
