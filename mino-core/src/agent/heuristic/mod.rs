//! The built-in `heuristic` agent: offline, deterministic, and the default.
//!
//! For every output field it tries, in order, and keeps the first value of the right shape:
//!
//! 1. the field's explicit CSS selector (`selector:<css>`);
//! 2. structured data: JSON-LD (with `@graph`, arrays, `@id` references and nested items such
//!    as `Product.offers.price`), microdata, RDFa lite, then OpenGraph/Twitter/`<meta name>`
//!    tags (`json-ld:Product.offers.price`, `microdata:…`, `rdfa:…`, `meta:og:title`);
//! 3. label–value pairs: table rows, header rows, definition lists, `Label: value` lines
//!    (`label:table`, `label:table-column`, `label:dl`, `label:text`);
//! 4. typed patterns: `mailto:`/`tel:` links and addresses in text, `<time datetime>` and
//!    dates, prices near the main heading, bylines, `<address>` blocks, street lines and
//!    copyright notices (`pattern:email`, `pattern:time`, `element:address`, …);
//! 5. for title-like fields, the main `<h1>` and the document title (`heading:h1`,
//!    `heading:title`).
//!
//! Keys and labels are matched to fields through the field's name, description and type:
//! synonyms (title/name/headline, price/cost/amount, author/byline/writer…) and the field's
//! own words. Values are cleaned by kind: prices keep their currency, dates become
//! `YYYY-MM-DD`, e-mail and phone lose `mailto:`/`tel:`, document titles lose the site name.
//!
//! While fields are missing it follows up to `max_follow_links` same-site links whose text
//! or address promises them ("Contact", "About", "Pricing", or words from the field or the
//! instructions) and looks for the missing fields there.
//!
//! The extraction is pure: [`extract_page`] and [`extract_site`] work on HTML strings (the
//! latter loads followed links through a closure), and [`HeuristicAgent`] drives the same
//! [`SiteRun`] through a [`BrowserSession`](crate::browser::BrowserSession).

mod agent;
mod coerce;
mod config;
mod dates;
mod field;
mod labels;
mod lines;
mod links;
mod page;
mod patterns;
mod site;
mod structured;
mod text;
mod typed;

pub use agent::HeuristicAgent;
pub use config::HeuristicSettings;
pub use site::{extract_page, extract_site, LogEntry, SiteExtraction, SiteRun};
