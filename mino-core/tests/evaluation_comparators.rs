//! Every comparator against tricky real-world values, matches and mismatches alike, and the
//! comparator overrides of output fields.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use mino_core::evaluation::{Comparator, NumberOptions, Verdict};
use mino_core::model::{FieldType, OutputField};
use mino_core::ErrorKind;
use serde_json::json;

/// Runs a table of (expected, actual, should pass) through the comparator of `field_type`
/// with the override `comparator`, and reports every row that disagrees at once.
fn check(field_type: FieldType, comparator: serde_json::Value, table: &[(&str, &str, bool)]) {
    let field = OutputField {
        field_type,
        comparator,
        ..OutputField::named("f")
    };
    let cmp = Comparator::for_field(&field).unwrap();
    let mut wrong = Vec::new();
    for (expected, actual, pass) in table {
        let verdict = cmp.compare(expected, actual);
        assert!((0.0..=1.0).contains(&verdict.score), "{verdict:?}");
        // A pass always scores 1 unless a threshold lets a near match pass.
        if verdict.passed != *pass {
            wrong.push(format!(
                "{}: {expected:?} vs {actual:?}: expected passed={pass}, got {verdict:?}",
                cmp.name()
            ));
        }
        // Comparing through a prepared expected value gives the same verdict.
        assert_eq!(
            cmp.compare_prepared(&cmp.prepare(expected), actual),
            verdict
        );
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[test]
fn text_folds_case_whitespace_punctuation_quotes_and_width() {
    check(
        FieldType::Text,
        json!(null),
        &[
            ("Acme Inc.", "ACME, inc", true),
            ("  Hello   World ", "hello world", true),
            ("Don’t Panic", "don't panic", true),
            ("“Quoted”", "\"quoted\"", true),
            ("Ｔｏｋｙｏ", "Tokyo", true),
            ("Saint-Denis", "Saint – Denis", true),
            ("ﬁne", "fine", true),
            ("New\u{a0}York", "New York", true),
            ("AT&T", "AT&T", true),
            ("AT&T", "AT T", false),
            ("Café", "Cafe", false),
            ("Acme Inc", "Acme Ltd", false),
            ("Version 1.5", "Version 15", false),
            ("C++", "C", false),
            ("abc", "", false),
        ],
    );
}

#[test]
fn exact_only_trims() {
    check(
        FieldType::Text,
        json!({"kind": "exact"}),
        &[
            ("SKU-001", " SKU-001 ", true),
            ("SKU-001", "sku-001", false),
        ],
    );
}

#[test]
fn fuzzy_passes_at_the_threshold() {
    check(
        FieldType::Text,
        json!({"kind": "fuzzy"}),
        &[
            ("Acme Corporation", "Acme Corporatoin", true),
            ("Johnathan Smith", "Jonathan Smith", true),
            ("Café de Flore", "Cafe de Flore", true),
            ("U.S.A.", "usa", false),
            ("Acme Corporation", "Globex Corporation", false),
            ("Paris", "London", false),
        ],
    );
    check(
        FieldType::Text,
        json!({"kind": "fuzzy", "threshold": 0.5}),
        &[
            ("Acme Corporation", "Acme Corp", true),
            ("Paris", "London", false),
        ],
    );
    let fuzzy = Comparator::for_field(&OutputField {
        comparator: json!("fuzzy"),
        ..OutputField::named("f")
    })
    .unwrap();
    let v = fuzzy.compare("kitten", "sitting");
    assert!((v.score - (1.0 - 3.0 / 7.0)).abs() < 1e-9, "{v:?}");
}

#[test]
fn numbers_fold_currency_separators_and_signs() {
    check(
        FieldType::Number,
        json!(null),
        &[
            ("$1,299.00", "1299", true),
            ("1.299,00 €", "1299", true),
            ("1 299,00", "1299", true),
            ("1\u{202f}299,00 €", "1299.00", true),
            ("USD 1,299", "1299", true),
            ("1299 USD", "$1,299.00", true),
            ("€1.299", "1.299", true),
            ("CHF 1'299.50", "1299.5", true),
            ("US$ 12.5", "12.50", true),
            ("£0.99", "0.99 GBP", true),
            ("¥1,000", "1000円", true),
            ("-5", "(5)", true),
            ("-5", "5-", true),
            ("−5", "-5.00", true),
            ("-$5.00", "$-5", true),
            ("0,5", "0.5", true),
            ("Price: 42", "42", true),
            ("1,299,000", "1299000", true),
            ("1.299.000,50", "1299000.5", true),
            ("$1,299.00", "1,299.01", false),
            ("5", "-5", false),
            ("1299", "129.9", false),
            ("5", "5k", false),
            ("10", "10-20", false),
            ("1299", "", false),
            ("N/A", "n/a", true),
            ("N/A", "0", false),
        ],
    );
}

#[test]
fn number_tolerances_apply() {
    check(
        FieldType::Number,
        json!({"kind": "number", "abs_tolerance": 0.01, "rel_tolerance": 0.0}),
        &[("19.99", "20.00", true), ("19.99", "20.01", false)],
    );
    check(
        FieldType::Number,
        json!({"rel_tolerance": 0.05}),
        &[("100", "104.9", true), ("100", "106", false)],
    );
    check(
        FieldType::Number,
        json!({"decimal": "comma"}),
        &[("1.299", "1299", true), ("1,5", "1.5", false)],
    );
    // A near miss scores by closeness.
    let cmp = Comparator::Number(NumberOptions::default());
    let v = cmp.compare("100", "90");
    assert!(!v.passed && (v.score - 0.9).abs() < 1e-9, "{v:?}");
}

#[test]
fn dates_match_across_written_forms() {
    check(
        FieldType::Date,
        json!(null),
        &[
            ("March 5, 2024", "2024-03-05", true),
            ("5 March 2024", "2024-03-05", true),
            ("Mar 5 2024", "2024-03-05", true),
            ("05/03/2024", "2024-03-05", true),
            ("2024-03-05T10:00:00Z", "2024-03-05", true),
            ("2024-03-05T23:59:59+05:30", "March 5, 2024", true),
            ("Tuesday, March 5th, 2024", "2024/03/05", true),
            ("5. März 2024", "2024-03-05", true),
            ("5 de marzo de 2024", "05.03.2024", true),
            ("Sept 1, 2023", "2023-09-01", true),
            ("03/25/2024", "25/03/2024", true),
            ("20240305", "2024-03-05", true),
            ("05/03/24", "2024-03-05", true),
            ("March 5, 2024", "2024-03-06", false),
            ("March 5, 2024", "2023-03-05", false),
            ("05/03/2024", "2024-05-03", false),
            ("2024-03-05", "soon", false),
            ("2024-03-05", "", false),
        ],
    );
    check(
        FieldType::Date,
        json!({"day_first": false}),
        &[
            ("05/03/2024", "May 3, 2024", true),
            ("05/03/2024", "2024-03-05", false),
        ],
    );
}

#[test]
fn urls_fold_case_ports_slashes_fragments_and_tracking() {
    check(
        FieldType::Url,
        json!(null),
        &[
            (
                "HTTP://Example.com/a/?utm_source=x",
                "http://example.com/a",
                true,
            ),
            ("https://example.com:443/", "https://example.com", true),
            ("http://example.com:80/p", "http://example.com/p", true),
            (
                "https://shop.com/p?b=2&a=1",
                "https://shop.com/p?a=1&b=2",
                true,
            ),
            (
                "https://shop.com/p?gclid=1&fbclid=2&id=7",
                "https://shop.com/p?id=7#reviews",
                true,
            ),
            ("example.com/about", "https://www.example.com/about/", true),
            ("https://example.com/a", "http://example.com/a", true),
            ("https://bücher.de/", "https://xn--bcher-kva.de", true),
            (
                "https://shop3.example.com/p/5",
                "HTTP://Shop3.example.com/p/5/?utm_source=x&gclid=1",
                true,
            ),
            ("https://example.com/a", "https://example.com/b", false),
            ("https://example.com/A", "https://example.com/a", false),
            (
                "https://example.com/p?id=7",
                "https://example.com/p?id=8",
                false,
            ),
            ("https://example.com:8443/", "https://example.com/", false),
            ("https://example.com/", "https://example.org/", false),
        ],
    );
    check(
        FieldType::Url,
        json!({"ignore_scheme": false, "ignore_www": false}),
        &[
            ("https://example.com/a", "http://example.com/a", false),
            ("https://example.com/a", "https://www.example.com/a", false),
            ("https://example.com/a", "https://EXAMPLE.com/a/", true),
        ],
    );
}

#[test]
fn emails_fold_case_and_mailto() {
    check(
        FieldType::Email,
        json!(null),
        &[
            ("Jane.Doe@Example.com", "jane.doe@example.com", true),
            ("jane@example.com", "mailto:JANE@example.com", true),
            ("jane@example.com", "Jane Doe <jane@example.com>", true),
            (
                "jane@example.com",
                "mailto:jane@example.com?subject=Hello",
                true,
            ),
            ("jane@example.com", "john@example.com", false),
            ("jane@example.com", "jane@example.org", false),
        ],
    );
}

#[test]
fn phones_compare_digits_with_optional_country_code() {
    check(
        FieldType::Phone,
        json!(null),
        &[
            ("+1 (555) 010-2000", "555-010-2000", true),
            ("555.010.2000", "(555) 010 2000", true),
            ("+44 20 7946 0958", "020 7946 0958", true),
            ("0044 20 7946 0958", "+44 (0)20 7946 0958", true),
            ("+33 1 23 45 67 89", "01 23 45 67 89", true),
            ("555-010-2000 ext. 12", "+1 555 010 2000", true),
            ("+1 (555) 010-2000", "555-010-2001", false),
            ("+1 (555) 010-2000", "010-2000", false),
            ("+1 555 010 2000", "+44 555 010 2000", false),
            ("555-010-2000", "call us", false),
        ],
    );
}

#[test]
fn booleans_read_yes_and_no() {
    check(
        FieldType::Boolean,
        json!(null),
        &[
            ("yes", "TRUE", true),
            ("Y", "1", true),
            ("no", "false", true),
            ("0", "N", true),
            ("true", "✔", true),
            ("off", "No.", true),
            ("yes", "no", false),
            ("true", "0", false),
            ("yes", "maybe", false),
        ],
    );
}

#[test]
fn lists_ignore_order_separators_and_case() {
    check(
        FieldType::List,
        json!(null),
        &[
            ("red; green; blue", "Blue, RED, green", true),
            ("red|green", "green\nred", true),
            ("Doe, Jane; Roe, Rick", "roe rick; doe jane", true),
            ("a, b, c", "a, b", false),
            ("a, b", "a, b, c", false),
            ("a, b", "c, d", false),
        ],
    );
    check(
        FieldType::List,
        json!({"threshold": 0.5}),
        &[("a, b, c", "a, b", true), ("a, b", "c, d", false)],
    );
    let v = Comparator::for_type(FieldType::List).compare("a, b, c", "b, c, d");
    assert!(!v.passed && (v.score - 0.5).abs() < 1e-9, "{v:?}");
}

#[test]
fn empty_expected_passes_only_empty_actual() {
    for t in [
        FieldType::Text,
        FieldType::Number,
        FieldType::Url,
        FieldType::List,
    ] {
        let cmp = Comparator::for_type(t);
        assert_eq!(cmp.compare("  ", ""), Verdict::PASS, "{t:?}");
        assert_eq!(cmp.compare("", "something"), Verdict::FAIL, "{t:?}");
        assert_eq!(cmp.compare("x1", "   "), Verdict::FAIL, "{t:?}");
    }
}

#[test]
fn bad_overrides_are_validation_errors_naming_the_field() {
    let bad = [
        json!({"kind": "nope"}),
        json!({"kind": "fuzzy", "threshold": 1.5}),
        json!({"kind": "fuzzy", "treshold": 0.9}),
        json!({"kind": "number", "abs_tolerance": -1}),
        json!({"kind": "text", "threshold": 0.9}),
        json!({"kind": 3}),
        json!({"kind": "list", "separators": ""}),
        json!(42),
    ];
    for comparator in bad {
        let field = OutputField {
            comparator: comparator.clone(),
            ..OutputField::named("price")
        };
        let err = Comparator::for_field(&field).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Validation, "{comparator}");
        assert!(err.message().contains("\"price\""), "{comparator}: {err}");
        assert_eq!(
            err.context_value("field"),
            Some("output_fields.price.comparator")
        );
    }
}

#[test]
fn overrides_parse_into_typed_comparators() {
    let field = OutputField {
        field_type: FieldType::Number,
        comparator: json!({"kind": "number", "abs_tolerance": 0.01, "rel_tolerance": 0.0}),
        ..OutputField::named("price")
    };
    assert_eq!(
        Comparator::for_field(&field).unwrap(),
        Comparator::Number(NumberOptions {
            abs_tolerance: 0.01,
            rel_tolerance: 0.0,
            ..NumberOptions::default()
        })
    );
    // A text field may switch to another kind; the name is recorded in evaluations.
    let field = OutputField {
        comparator: json!({"kind": "date"}),
        ..OutputField::named("published")
    };
    assert_eq!(Comparator::for_field(&field).unwrap().name(), "date");
    // The typed form serialises back to the same JSON shape.
    let json = serde_json::to_value(Comparator::for_type(FieldType::Number)).unwrap();
    assert_eq!(json["kind"], "number");
    assert_eq!(json["abs_tolerance"], 0.0);
}
