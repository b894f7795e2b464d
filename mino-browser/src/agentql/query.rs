//! Building the AgentQL query from the output fields, and reading its `data` back.
//!
//! AgentQL terms are identifiers, one per line, with an optional natural-language hint in
//! parentheses: `{ product_price(the price in the buy box) }`. Field names are turned into
//! unique identifiers, and descriptions into hints without the characters the query syntax
//! uses.

use mino_core::model::{Extraction, FieldType, OutputField};
use serde_json::{Map, Value};

/// Longest hint kept from a description.
const MAX_HINT_CHARS: usize = 200;

/// An output field and the query term that asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Term {
    /// The output field's name.
    pub field: String,
    /// The identifier in the query (and in the answer's `data`).
    pub name: String,
    /// The hint in parentheses, if any.
    pub hint: Option<String>,
}

/// The query for `fields` and the term of each field, in field order.
pub(crate) fn build(fields: &[OutputField]) -> (String, Vec<Term>) {
    let mut terms: Vec<Term> = Vec::with_capacity(fields.len());
    for field in fields {
        let base = identifier(&field.name);
        let mut name = base.clone();
        let mut n = 2;
        while terms.iter().any(|t| t.name == name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        terms.push(Term {
            field: field.name.clone(),
            name,
            hint: hint(field),
        });
    }
    let mut query = String::from("{\n");
    for term in &terms {
        query.push_str("  ");
        query.push_str(&term.name);
        if let Some(hint) = &term.hint {
            query.push('(');
            query.push_str(hint);
            query.push(')');
        }
        query.push('\n');
    }
    query.push('}');
    (query, terms)
}

/// A field name as a query identifier: letters, digits and `_`, not starting with a digit.
fn identifier(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_matches('_');
    if out.is_empty() {
        "field".to_owned()
    } else if out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("field_{out}")
    } else {
        out.to_owned()
    }
}

/// The description (or, without one, the kind of value) as a hint: one line, no brackets.
fn hint(field: &OutputField) -> Option<String> {
    let text = if field.description.trim().is_empty() {
        match field.field_type {
            FieldType::Date => "a date",
            FieldType::Url => "a URL",
            FieldType::Email => "an e-mail address",
            FieldType::Phone => "a phone number",
            FieldType::Number => "a number",
            FieldType::Boolean => "yes or no",
            _ => return None,
        }
        .to_owned()
    } else {
        field.description.clone()
    };
    let cleaned: String = text
        .chars()
        .map(|c| {
            if "(){}[]".contains(c) || c.is_control() {
                ' '
            } else {
                c
            }
        })
        .collect();
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    let joined = words.join(" ");
    let hint: String = joined.chars().take(MAX_HINT_CHARS).collect();
    (!hint.is_empty()).then_some(hint)
}

/// The field values from the answer's `data`: strings trimmed (blank is `None`), numbers and
/// booleans as text, `null` or a missing term `None`. Lists and objects (which a plain term
/// should not return) are kept as compact JSON and reported in the returned notes.
pub(crate) fn read(terms: &[Term], data: &Map<String, Value>) -> (Extraction, Vec<String>) {
    let mut values = Extraction::new();
    let mut notes = Vec::new();
    for term in terms {
        let value = match data.get(&term.name) {
            None => {
                notes.push(format!(
                    "AgentQL returned no term {} ({})",
                    term.name, term.field
                ));
                None
            }
            Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(Value::Bool(b)) => Some(b.to_string()),
            Some(other) => {
                notes.push(format!(
                    "AgentQL returned a structured value for {}; kept as JSON",
                    term.field
                ));
                Some(other.to_string())
            }
        };
        values.insert(term.field.clone(), value);
    }
    (values, notes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(name: &str, description: &str, field_type: FieldType) -> OutputField {
        OutputField {
            description: description.to_owned(),
            field_type,
            ..OutputField::named(name)
        }
    }

    #[test]
    fn queries_use_identifiers_and_hints() {
        let (query, terms) = build(&[
            field(
                "Product name",
                "The name (as in the heading)\nof the item",
                FieldType::Text,
            ),
            field("product-name", "", FieldType::Text),
            field("2nd price", "", FieldType::Number),
            field("¿", "", FieldType::Text),
        ]);
        assert_eq!(
            query,
            "{\n  Product_name(The name as in the heading of the item)\n  product_name\n  \
             field_2nd_price(a number)\n  field\n}"
        );
        assert_eq!(terms[1].field, "product-name");
        let (query, _) = build(&[
            field("a", "", FieldType::Text),
            field("a!", "", FieldType::Text),
        ]);
        assert_eq!(query, "{\n  a\n  a_2\n}");
    }

    #[test]
    fn data_becomes_field_values() {
        let (_, terms) = build(&[
            field("title", "", FieldType::Text),
            field("price", "", FieldType::Number),
            field("stock", "", FieldType::Boolean),
            field("tags", "", FieldType::Text),
            field("blank", "", FieldType::Text),
            field("gone", "", FieldType::Text),
        ]);
        let data = json!({"title": " Anvil ", "price": 19.5, "stock": true,
                          "tags": ["a", "b"], "blank": "  "});
        let (values, notes) = read(&terms, data.as_object().expect("object"));
        assert_eq!(values["title"].as_deref(), Some("Anvil"));
        assert_eq!(values["price"].as_deref(), Some("19.5"));
        assert_eq!(values["stock"].as_deref(), Some("true"));
        assert_eq!(values["tags"].as_deref(), Some("[\"a\",\"b\"]"));
        assert_eq!(values["blank"], None);
        assert_eq!(values["gone"], None);
        assert_eq!(notes.len(), 2);
    }
}
