//! Which comparator a field uses, and with which options: the typed form of
//! `OutputField.comparator`.
//!
//! The JSON override is an object with a `kind` and that kind's options, e.g.
//! `{"kind":"number","abs_tolerance":0.01,"rel_tolerance":0.0}` or
//! `{"kind":"fuzzy","threshold":0.85}`. Without `kind`, the options apply to the comparator
//! of the field's type (`{"abs_tolerance":0.5}` on a number field). A bare string names a
//! kind with default options (`"fuzzy"`). `null` (the default) means the comparator of the
//! field's type with default options. Unknown kinds, unknown options and out-of-range values
//! are validation errors naming the field.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::list::DEFAULT_SEPARATORS;
use super::number::DecimalSeparator;
use super::url::UrlOptions;
use crate::error::{Error, Result};
use crate::model::{FieldType, OutputField};

/// A comparator with its options.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Comparator {
    /// The texts are equal after trimming; nothing else is folded.
    Exact,
    /// The texts are equal after folding (see [`super::text`]); the score is their
    /// similarity.
    Text,
    /// The folded texts' similarity (see [`super::similarity`]) reaches a threshold.
    Fuzzy(FuzzyOptions),
    /// Both are numbers (see [`super::number`]) equal within a tolerance.
    Number(NumberOptions),
    /// Both are the same calendar date (see [`super::date`]).
    Date(DateOptions),
    /// Both are the same URL (see [`super::url`]).
    Url(UrlOptions),
    /// Both are the same e-mail address (see [`super::contact::canonical_email`]).
    Email,
    /// Both are the same phone number (see [`super::contact::same_phone`]).
    Phone,
    /// Both are the same yes/no value (see [`super::boolean`]).
    Boolean,
    /// Both hold the same items in any order (see [`super::list`]).
    List(ListOptions),
}

/// Options of the fuzzy comparator.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FuzzyOptions {
    /// The least similarity that passes, from 0 to 1 (default 0.85).
    pub threshold: f64,
}

impl Default for FuzzyOptions {
    fn default() -> Self {
        FuzzyOptions { threshold: 0.85 }
    }
}

/// Options of the number comparator. Two numbers match when their difference is at most
/// `abs_tolerance`, or at most `rel_tolerance` times the larger magnitude.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NumberOptions {
    /// Largest absolute difference that still matches (default 0).
    pub abs_tolerance: f64,
    /// Largest relative difference that still matches (default 1e-9, which only absorbs
    /// floating-point rounding).
    pub rel_tolerance: f64,
    /// How `.` and `,` are read.
    pub decimal: DecimalSeparator,
}

impl Default for NumberOptions {
    fn default() -> Self {
        NumberOptions {
            abs_tolerance: 0.0,
            rel_tolerance: 1e-9,
            decimal: DecimalSeparator::Auto,
        }
    }
}

/// Options of the date comparator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DateOptions {
    /// In ambiguous numeric dates (`05/03/2024`) the first number is the day (default true).
    pub day_first: bool,
}

impl Default for DateOptions {
    fn default() -> Self {
        DateOptions { day_first: true }
    }
}

/// Options of the list comparator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ListOptions {
    /// Separator characters, tried in order (default newline, `;`, `|`, `,`).
    pub separators: String,
    /// The least Jaccard similarity of the item sets that passes (default 1: same items).
    pub threshold: f64,
}

impl Default for ListOptions {
    fn default() -> Self {
        ListOptions {
            separators: DEFAULT_SEPARATORS.to_owned(),
            threshold: 1.0,
        }
    }
}

/// Options of kinds that take none: any key is an error.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoOptions {}

impl Comparator {
    /// The comparator a field type uses by default.
    pub fn for_type(field_type: FieldType) -> Comparator {
        match field_type {
            FieldType::Text => Comparator::Text,
            FieldType::Number => Comparator::Number(NumberOptions::default()),
            FieldType::Date => Comparator::Date(DateOptions::default()),
            FieldType::Url => Comparator::Url(UrlOptions::default()),
            FieldType::Email => Comparator::Email,
            FieldType::Phone => Comparator::Phone,
            FieldType::Boolean => Comparator::Boolean,
            FieldType::List => Comparator::List(ListOptions::default()),
        }
    }

    /// The comparator of a field: its JSON override when set, else its type's default.
    pub fn for_field(field: &OutputField) -> Result<Comparator> {
        let invalid = |msg: String| {
            Error::validation(format!(
                "output field {:?} has an invalid comparator: {msg}",
                field.name
            ))
            .with_context("field", format!("output_fields.{}.comparator", field.name))
        };
        let default_kind = Comparator::for_type(field.field_type).name();
        let (kind, options) = match &field.comparator {
            serde_json::Value::Null => return Ok(Comparator::for_type(field.field_type)),
            serde_json::Value::String(kind) => (kind.clone(), serde_json::Map::new()),
            serde_json::Value::Object(map) => {
                let mut options = map.clone();
                let kind = match options.remove("kind") {
                    None => default_kind.to_owned(),
                    Some(serde_json::Value::String(kind)) => kind,
                    Some(other) => {
                        return Err(invalid(format!("kind must be a string, not {other}")))
                    }
                };
                (kind, options)
            }
            other => return Err(invalid(format!("expected an object, got {other}"))),
        };
        let comparator = Comparator::from_parts(kind.trim(), options).map_err(invalid)?;
        comparator.validate().map_err(invalid)?;
        Ok(comparator)
    }

    fn from_parts(
        kind: &str,
        options: serde_json::Map<String, serde_json::Value>,
    ) -> std::result::Result<Comparator, String> {
        fn opts<T: DeserializeOwned>(
            options: serde_json::Map<String, serde_json::Value>,
        ) -> std::result::Result<T, String> {
            serde_json::from_value(serde_json::Value::Object(options)).map_err(|e| e.to_string())
        }
        let none = |options| opts::<NoOptions>(options).map(|_| ());
        Ok(match kind {
            "exact" => none(options).map(|()| Comparator::Exact)?,
            "text" => none(options).map(|()| Comparator::Text)?,
            "email" => none(options).map(|()| Comparator::Email)?,
            "phone" => none(options).map(|()| Comparator::Phone)?,
            "boolean" => none(options).map(|()| Comparator::Boolean)?,
            "fuzzy" => Comparator::Fuzzy(opts(options)?),
            "number" => Comparator::Number(opts(options)?),
            "date" => Comparator::Date(opts(options)?),
            "url" => Comparator::Url(opts(options)?),
            "list" => Comparator::List(opts(options)?),
            other => {
                return Err(format!(
                    "unknown kind {other:?} (expected one of exact, text, fuzzy, number, date, \
                     url, email, phone, boolean, list)"
                ))
            }
        })
    }

    fn validate(&self) -> std::result::Result<(), String> {
        let unit = |name: &str, v: f64| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(format!("{name} must be between 0 and 1, got {v}"))
            }
        };
        match self {
            Comparator::Fuzzy(o) => unit("threshold", o.threshold),
            Comparator::List(o) => {
                if o.separators.is_empty() {
                    return Err("separators must not be empty".to_owned());
                }
                unit("threshold", o.threshold)
            }
            Comparator::Number(o) => {
                for (name, v) in [
                    ("abs_tolerance", o.abs_tolerance),
                    ("rel_tolerance", o.rel_tolerance),
                ] {
                    if !(v.is_finite() && v >= 0.0) {
                        return Err(format!("{name} must be a number ≥ 0, got {v}"));
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// The comparator's kind, as recorded in [`crate::model::FieldEvaluation::comparator`].
    pub fn name(&self) -> &'static str {
        match self {
            Comparator::Exact => "exact",
            Comparator::Text => "text",
            Comparator::Fuzzy(_) => "fuzzy",
            Comparator::Number(_) => "number",
            Comparator::Date(_) => "date",
            Comparator::Url(_) => "url",
            Comparator::Email => "email",
            Comparator::Phone => "phone",
            Comparator::Boolean => "boolean",
            Comparator::List(_) => "list",
        }
    }
}
