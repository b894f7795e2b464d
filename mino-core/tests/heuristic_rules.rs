//! One small page per rule of the heuristic agent's pure extraction: what it finds, and the
//! evidence rule it names.

use indexmap::IndexMap;
use mino_core::agent::heuristic::{extract_page, extract_site, SiteExtraction};
use mino_core::agent::AgentTask;
use mino_core::model::{FieldType, LogLevel, OutputField};

const URL: &str = "https://shop.example/products/item.html";

fn field(name: &str, ty: FieldType) -> OutputField {
    let mut f = OutputField::named(name);
    f.field_type = ty;
    f
}

fn text(name: &str) -> OutputField {
    field(name, FieldType::Text)
}

fn run(html: &str, fields: &[OutputField]) -> SiteExtraction {
    extract_page(html, URL, fields)
}

/// The value and evidence rule of `name`.
fn got<'a>(r: &'a SiteExtraction, name: &str) -> (Option<&'a str>, Option<&'a str>) {
    (
        r.values.get(name).and_then(|v| v.as_deref()),
        r.evidence.get(name).map(|e| e.rule.as_str()),
    )
}

#[test]
fn json_ld_graph_references_and_nested_types() {
    let html = r##"<html><head><script type="application/ld+json">
    {"@context":"https://schema.org","@graph":[
      {"@type":"WebSite","name":"Daily Planet"},
      {"@type":"BreadcrumbList","itemListElement":[{"@type":"ListItem","name":"Home"}]},
      {"@type":"NewsArticle","headline":"Bridge reopens","author":{"@id":"#ck"},
       "datePublished":"2024-05-01T08:00:00Z","dateModified":"2024-05-02"},
      {"@type":"Person","@id":"#ck","name":"Clark Kent"}]}
    </script></head><body><h1>Something else</h1></body></html>"##;
    let r = run(
        html,
        &[
            text("title"),
            text("author"),
            field("date", FieldType::Date),
        ],
    );
    assert_eq!(
        got(&r, "title"),
        (Some("Bridge reopens"), Some("json-ld:NewsArticle.headline"))
    );
    assert_eq!(
        got(&r, "author"),
        (Some("Clark Kent"), Some("json-ld:NewsArticle.author.name"))
    );
    assert_eq!(
        got(&r, "date"),
        (
            Some("2024-05-01"),
            Some("json-ld:NewsArticle.datePublished")
        )
    );
}

#[test]
fn json_ld_arrays_offers_and_event_addresses() {
    let html = r#"<script type="application/ld+json">[
      {"@type":"Organization","name":"Venue Co"},
      {"@type":"Event","name":"Jazz Night","startDate":"2025-02-14T20:00",
       "location":{"@type":"Place","name":"Blue Hall","address":{"@type":"PostalAddress",
         "streetAddress":"1 Main St","addressLocality":"Springfield","addressRegion":"IL",
         "postalCode":"62704","addressCountry":"US"}},
       "offers":[{"@type":"Offer","price":"25.00","priceCurrency":"USD"},{"@type":"Offer","price":"40.00"}]}
    ]</script>"#;
    let fields = [
        text("title"),
        field("price", FieldType::Number),
        text("address"),
        field("date", FieldType::Date),
        text("company"),
    ];
    let r = run(html, &fields);
    assert_eq!(
        got(&r, "title"),
        (Some("Jazz Night"), Some("json-ld:Event.name"))
    );
    assert_eq!(
        got(&r, "price"),
        (Some("25.00"), Some("json-ld:Event.offers.price"))
    );
    assert_eq!(
        got(&r, "address"),
        (
            Some("1 Main St, Springfield, IL 62704"),
            Some("json-ld:Event.location.address")
        )
    );
    assert_eq!(
        got(&r, "date"),
        (Some("2025-02-14"), Some("json-ld:Event.startDate"))
    );
    assert_eq!(
        got(&r, "company"),
        (Some("Venue Co"), Some("json-ld:Organization.name"))
    );
}

#[test]
fn nested_microdata() {
    let html = r#"<div itemscope itemtype="https://schema.org/Product">
      <h2 itemprop="name">Trail Shoe</h2>
      <div itemprop="brand" itemscope itemtype="https://schema.org/Brand"><span itemprop="name">Peak</span></div>
      <div itemprop="offers" itemscope itemtype="https://schema.org/Offer">
        <span itemprop="price" content="89.00">$89</span></div>
      <div itemprop="review" itemscope itemtype="https://schema.org/Review">
        <span itemprop="author">Sam</span></div>
    </div>"#;
    let r = run(
        html,
        &[
            text("title"),
            field("price", FieldType::Number),
            text("brand"),
            text("author"),
        ],
    );
    assert_eq!(
        got(&r, "title"),
        (Some("Trail Shoe"), Some("microdata:Product.name"))
    );
    assert_eq!(
        got(&r, "price"),
        (Some("89.00"), Some("microdata:Product.offers.price"))
    );
    assert_eq!(
        got(&r, "brand"),
        (Some("Peak"), Some("microdata:Product.brand.name"))
    );
    // A reviewer is not the author of the page.
    assert_eq!(got(&r, "author"), (None, None));
}

#[test]
fn rdfa_lite() {
    let html = r#"<div vocab="https://schema.org/" typeof="LocalBusiness">
      <span property="name">Corner Bakery</span>
      <a property="telephone" href="tel:+441130000000">0113 000 0000</a></div>"#;
    let r = run(html, &[text("company"), field("phone", FieldType::Phone)]);
    assert_eq!(
        got(&r, "company"),
        (Some("Corner Bakery"), Some("rdfa:LocalBusiness.name"))
    );
    assert_eq!(
        got(&r, "phone"),
        (Some("+441130000000"), Some("rdfa:LocalBusiness.telephone"))
    );
}

#[test]
fn open_graph_and_meta_tags() {
    let html = r#"<head><title>x</title>
      <meta property="og:title" content="Rain returns to the valley | The Daily">
      <meta property="article:published_time" content="2023-11-16T17:05:00-08:00">
      <meta property="article:author" content="https://daily.example/staff/lena">
      <meta name="author" content="Lena Marsh">
      <meta property="og:site_name" content="The Daily"></head><body><p>Text</p></body>"#;
    let r = run(
        html,
        &[
            text("title"),
            field("date", FieldType::Date),
            text("author"),
            text("company"),
        ],
    );
    assert_eq!(
        got(&r, "title"),
        (Some("Rain returns to the valley"), Some("meta:og:title"))
    );
    assert_eq!(
        got(&r, "date"),
        (Some("2023-11-16"), Some("meta:article:published_time"))
    );
    // The profile URL in article:author is not a name; <meta name="author"> is.
    assert_eq!(got(&r, "author"), (Some("Lena Marsh"), Some("meta:author")));
    assert_eq!(
        got(&r, "company"),
        (Some("The Daily"), Some("meta:og:site_name"))
    );
}

#[test]
fn tables_definition_lists_and_label_lines() {
    let html = "<main><table><tr><th>Asking price</th><td>$22,495</td></tr>\
        <tr><td>Item no.</td><td>RB-7</td></tr></table>\
        <dl><dt>Manufacturer</dt><dd>Forgeline Tools</dd></dl>\
        <p><b>E-mail:</b> sales@acme.example</p>\
        <p>Address:<br>12 Main Street<br>Springfield, IL 62704</p>\
        <table><thead><tr><th>Size</th><th>Code</th></tr></thead>\
        <tbody><tr><td>Small</td><td>S-100</td></tr></tbody></table></main>";
    let fields = [
        field("price", FieldType::Number),
        text("sku"),
        text("company"),
        field("email", FieldType::Email),
        text("address"),
        text("code"),
    ];
    let r = run(html, &fields);
    assert_eq!(got(&r, "price"), (Some("$22,495"), Some("label:table")));
    assert_eq!(got(&r, "sku"), (Some("RB-7"), Some("label:table")));
    assert_eq!(
        got(&r, "company"),
        (Some("Forgeline Tools"), Some("label:dl"))
    );
    assert_eq!(
        got(&r, "email"),
        (Some("sales@acme.example"), Some("label:text"))
    );
    assert_eq!(
        got(&r, "address"),
        (
            Some("12 Main Street, Springfield, IL 62704"),
            Some("label:text")
        )
    );
    assert_eq!(got(&r, "code"), (Some("S-100"), Some("label:table-column")));
}

#[test]
fn price_pattern_skips_banners_old_prices_and_related_items() {
    let html = "<div class=\"promo\">Free shipping over $50</div><main><h1>Mug</h1>\
        <div class=\"price\"><span class=\"price--compare\">$34.00</span> <span>$28.00</span></div>\
        <p>Or 4 payments of $7.00</p><div class=\"related-products\"><p>Saucer $16.00</p></div></main>";
    let r = run(html, &[field("price", FieldType::Number), text("title")]);
    assert_eq!(got(&r, "price"), (Some("$28.00"), Some("pattern:price")));
    assert_eq!(got(&r, "title"), (Some("Mug"), Some("heading:h1")));
}

#[test]
fn email_phone_date_and_url_patterns() {
    let html = "<main><h1>Hi</h1><p>Posted <time datetime=\"2024-03-05T09:00\">Tuesday</time>, \
        updated <time datetime=\"2024-03-09\">later</time></p>\
        <p>See https://docs.acme.example/guide for more.</p></main>\
        <footer><a href=\"mailto:hello@acme.example?subject=Hi\">Write</a> \
        <a href=\"tel:+14155550132\">Call</a> privacy@acme.example</footer>\
        <div class=\"cookie-banner\">Questions? dpo@acme.example</div>";
    let fields = [
        field("email", FieldType::Email),
        field("phone", FieldType::Phone),
        field("date", FieldType::Date),
        field("link", FieldType::Url),
    ];
    let r = run(html, &fields);
    assert_eq!(
        got(&r, "email"),
        (Some("hello@acme.example"), Some("pattern:email"))
    );
    assert_eq!(
        got(&r, "phone"),
        (Some("+14155550132"), Some("pattern:phone"))
    );
    assert_eq!(got(&r, "date"), (Some("2024-03-05"), Some("pattern:time")));
    assert_eq!(
        got(&r, "link"),
        (Some("https://docs.acme.example/guide"), Some("pattern:url"))
    );
}

#[test]
fn text_dates_bylines_and_copyrights() {
    let html = "<html lang=\"en-GB\"><body><main><h1>Bread</h1>\
        <p>Posted on 03/02/2023 by Tom Whitaker in Baking</p></main>\
        <footer><p>© 2019–2024 Crumb Media Ltd. All rights reserved.</p></footer></body></html>";
    let r = run(
        html,
        &[
            field("date", FieldType::Date),
            text("author"),
            text("company"),
        ],
    );
    // en-GB reads day first.
    assert_eq!(got(&r, "date"), (Some("2023-02-03"), Some("pattern:date")));
    assert_eq!(
        got(&r, "author"),
        (Some("Tom Whitaker"), Some("pattern:byline"))
    );
    assert_eq!(
        got(&r, "company"),
        (Some("Crumb Media Ltd."), Some("pattern:copyright"))
    );
}

#[test]
fn synonyms_descriptions_and_types_pick_the_key() {
    let html = r#"<script type="application/ld+json">{"@type":"Book","name":"Dunes",
      "author":{"@type":"Person","name":"Ana Lima"},"datePublished":"2021-06-01",
      "offers":{"@type":"Offer","price":"12.50"}}</script>
      <table><tr><th>Opening hours</th><td>9–5</td></tr></table>"#;
    let mut when = field("released", FieldType::Date);
    when.description = "the day the book came out".to_owned();
    let fields = [
        text("writer"),
        field("cost", FieldType::Number),
        when,
        text("opening_hours"),
    ];
    let r = run(html, &fields);
    assert_eq!(
        got(&r, "writer"),
        (Some("Ana Lima"), Some("json-ld:Book.author.name"))
    );
    assert_eq!(
        got(&r, "cost"),
        (Some("12.50"), Some("json-ld:Book.offers.price"))
    );
    assert_eq!(
        got(&r, "released"),
        (Some("2021-06-01"), Some("json-ld:Book.datePublished"))
    );
    assert_eq!(got(&r, "opening_hours"), (Some("9–5"), Some("label:table")));
}

#[test]
fn selectors_come_first_and_bad_ones_are_logged() {
    let html = r#"<script type="application/ld+json">{"@type":"Product","name":"From JSON-LD"}</script>
      <h1 class="title">From the selector</h1><span class="p" data-x="1">Now $9.99</span>"#;
    let mut title = text("title");
    title.selector = Some("h1.title".to_owned());
    let mut price = field("price", FieldType::Number);
    price.selector = Some("span[".to_owned());
    let r = run(html, &[title, price]);
    assert_eq!(
        got(&r, "title"),
        (Some("From the selector"), Some("selector:h1.title"))
    );
    assert_eq!(got(&r, "price"), (Some("$9.99"), Some("pattern:price")));
    assert!(r
        .log
        .iter()
        .any(|l| l.level == LogLevel::Warn && l.message.contains("price: selector \"span[\"")));
}

#[test]
fn values_are_clean_text() {
    let html = "<main><h1>  Tom &amp; Jerry&nbsp;—\n   the  <em>Movie</em> </h1></main>";
    let r = run(html, &[text("title")]);
    assert_eq!(got(&r, "title").0, Some("Tom & Jerry — the Movie"));
}

#[test]
fn missing_fields_are_none_and_logged() {
    let r = run(
        "<main><h1>Only a title</h1></main>",
        &[text("title"), field("email", FieldType::Email)],
    );
    assert_eq!(r.values.get("email"), Some(&None));
    assert!(!r.evidence.contains_key("email"));
    assert!(r
        .log
        .iter()
        .any(|l| l.message == "email: not found on 1 page(s)"));
    assert_eq!(r.values.keys().collect::<Vec<_>>(), ["title", "email"]);
}

#[test]
fn links_are_followed_for_missing_fields_only() {
    let home = r#"<html><body><nav><a href="/">Home</a> <a href="/blog">Blog</a>
      <a href="/contact-us">Contact us</a></nav><main><h1>Acme Widgets</h1></main>
      <footer>© 2024 Acme Widgets Ltd</footer></body></html>"#;
    let contact = r#"<main><h1>Contact</h1><p>Email: hello@acme.example</p>
      <p>© 2020 Someone Else Inc</p></main>"#;
    let task = AgentTask {
        instructions: "Get the company's contact e-mail".to_owned(),
        site_url: "https://acme.example/".to_owned(),
        inputs: IndexMap::new(),
        output_fields: vec![text("company"), field("email", FieldType::Email)],
    };
    let mut asked = Vec::new();
    let r = extract_site(&task, home, "https://acme.example/", 1, |url| {
        asked.push(url.to_owned());
        (url == "https://acme.example/contact-us").then(|| contact.to_owned())
    });
    assert_eq!(asked, ["https://acme.example/contact-us"]);
    assert_eq!(
        got(&r, "company"),
        (Some("Acme Widgets Ltd"), Some("pattern:copyright"))
    );
    assert_eq!(r.evidence["company"].url, "https://acme.example/");
    assert_eq!(
        got(&r, "email"),
        (Some("hello@acme.example"), Some("label:text"))
    );
    assert_eq!(r.evidence["email"].url, "https://acme.example/contact-us");
    assert_eq!(
        r.visited,
        ["https://acme.example/", "https://acme.example/contact-us"]
    );
    assert!(r.log.iter().any(|l| l
        .message
        .starts_with("following https://acme.example/contact-us")));

    // No follow allowed, or nothing missing: nothing is fetched.
    let r = extract_site(&task, home, "https://acme.example/", 0, |_| {
        panic!("no fetch")
    });
    assert_eq!(r.values["email"], None);
}

#[test]
fn an_unreadable_link_is_logged_and_the_first_page_stands() {
    let home = r#"<a href="contact.html">Contact</a><footer>© Acme GmbH</footer>"#;
    let task = AgentTask {
        instructions: String::new(),
        site_url: "https://acme.example/index.html".to_owned(),
        inputs: IndexMap::new(),
        output_fields: vec![text("company"), field("phone", FieldType::Phone)],
    };
    let r = extract_site(&task, home, "https://acme.example/index.html", 1, |_| None);
    assert_eq!(got(&r, "company").0, Some("Acme GmbH"));
    assert!(r.log.iter().any(|l| l.level == LogLevel::Warn
        && l.message
            .contains("could not read https://acme.example/contact.html")));
}

#[test]
fn the_same_page_gives_the_same_result() {
    let html = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/sites/news-graph-heatwave/index.html"),
    )
    .expect("fixture");
    let fields = [
        text("title"),
        text("author"),
        field("date", FieldType::Date),
        text("company"),
    ];
    let first = run(&html, &fields);
    for _ in 0..3 {
        assert_eq!(run(&html, &fields), first);
    }
}
