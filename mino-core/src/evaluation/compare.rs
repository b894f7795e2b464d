//! Running a comparator: normalise the expected value once, then compare extracted values
//! against it.
//!
//! Every comparison returns a [`Verdict`]: a score from 0 to 1 and whether it passed.
//! Rules common to every comparator:
//!
//! - An empty expected value (only whitespace) passes exactly when the extracted value is
//!   empty too (whether an empty ground-truth cell is evaluated at all is decided by the job
//!   evaluation, see [`super::JobEvaluator`]).
//! - An empty extracted value against a non-empty expected one fails with score 0.
//! - When the expected value cannot be read as the comparator's type (a number field holding
//!   `N/A`), both sides are compared as folded text instead. When the expected value can be
//!   read but the extracted one cannot, the comparison fails with score 0.

use chrono::NaiveDate;

use super::boolean::parse_bool;
use super::contact::{canonical_email, phone_digits, same_phone};
use super::date::parse_date;
use super::list::{jaccard, list_items};
use super::number::{closeness, parse_number, within};
use super::similarity::similarity;
use super::spec::Comparator;
use super::text::fold;
use super::url::canonical_url;

/// The outcome of one comparison.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    /// Similarity from 0 to 1.
    pub score: f64,
    /// Whether the values match.
    pub passed: bool,
}

impl Verdict {
    /// A match (score 1).
    pub const PASS: Verdict = Verdict {
        score: 1.0,
        passed: true,
    };
    /// A mismatch with score 0.
    pub const FAIL: Verdict = Verdict {
        score: 0.0,
        passed: false,
    };

    fn from_bool(passed: bool) -> Verdict {
        if passed {
            Verdict::PASS
        } else {
            Verdict::FAIL
        }
    }
}

/// An expected value normalised for one comparator, ready to be compared many times.
#[derive(Debug, Clone, PartialEq)]
pub struct Expected(Norm);

#[derive(Debug, Clone, PartialEq)]
enum Norm {
    Empty,
    /// Folded text: the text comparators, and the fallback of the typed ones.
    Text(String),
    Exact(String),
    Number(f64),
    Date(NaiveDate),
    /// A canonical string (URL, e-mail).
    Canonical(String),
    Phone(String),
    Bool(bool),
    List(Vec<String>),
}

impl Comparator {
    /// Normalises an expected value for this comparator.
    pub fn prepare(&self, expected: &str) -> Expected {
        let trimmed = expected.trim();
        if trimmed.is_empty() {
            return Expected(Norm::Empty);
        }
        let typed = match self {
            Comparator::Exact => Some(Norm::Exact(trimmed.to_owned())),
            Comparator::Text | Comparator::Fuzzy(_) => None,
            Comparator::Number(o) => parse_number(trimmed, o.decimal).map(Norm::Number),
            Comparator::Date(o) => parse_date(trimmed, o.day_first).map(Norm::Date),
            Comparator::Url(o) => canonical_url(trimmed, o).map(Norm::Canonical),
            Comparator::Email => Some(Norm::Canonical(canonical_email(trimmed))),
            Comparator::Phone => phone_digits(trimmed).map(Norm::Phone),
            Comparator::Boolean => parse_bool(trimmed).map(Norm::Bool),
            Comparator::List(o) => Some(Norm::List(list_items(trimmed, &o.separators))),
        };
        Expected(typed.unwrap_or_else(|| Norm::Text(fold(trimmed))))
    }

    /// Compares an extracted value with a prepared expected value.
    pub fn compare_prepared(&self, expected: &Expected, actual: &str) -> Verdict {
        let actual = actual.trim();
        match (&expected.0, actual.is_empty()) {
            (Norm::Empty, empty) => return Verdict::from_bool(empty),
            (_, true) => return Verdict::FAIL,
            _ => {}
        }
        match (&expected.0, self) {
            (Norm::Text(want), Comparator::Fuzzy(o)) => {
                let score = similarity(want, &fold(actual));
                Verdict {
                    score,
                    passed: score >= o.threshold,
                }
            }
            (Norm::Text(want), _) => {
                let got = fold(actual);
                if *want == got {
                    Verdict::PASS
                } else {
                    Verdict {
                        score: similarity(want, &got),
                        passed: false,
                    }
                }
            }
            (Norm::Exact(want), _) => Verdict::from_bool(want == actual),
            (Norm::Number(want), Comparator::Number(o)) => match parse_number(actual, o.decimal) {
                Some(got) if within(*want, got, o.abs_tolerance, o.rel_tolerance) => Verdict::PASS,
                Some(got) => Verdict {
                    score: closeness(*want, got),
                    passed: false,
                },
                None => Verdict::FAIL,
            },
            (Norm::Date(want), Comparator::Date(o)) => {
                Verdict::from_bool(parse_date(actual, o.day_first) == Some(*want))
            }
            (Norm::Canonical(want), Comparator::Url(o)) => {
                Verdict::from_bool(canonical_url(actual, o).as_deref() == Some(want.as_str()))
            }
            (Norm::Canonical(want), _) => Verdict::from_bool(*want == canonical_email(actual)),
            (Norm::Phone(want), _) => {
                Verdict::from_bool(phone_digits(actual).is_some_and(|got| same_phone(want, &got)))
            }
            (Norm::Bool(want), _) => Verdict::from_bool(parse_bool(actual) == Some(*want)),
            (Norm::List(want), Comparator::List(o)) => {
                let score = jaccard(want, &list_items(actual, &o.separators));
                Verdict {
                    score,
                    passed: score >= o.threshold,
                }
            }
            // A prepared value always comes from the same comparator; a mismatched pair can
            // only come from mixing comparators up, and then nothing matches.
            _ => Verdict::FAIL,
        }
    }

    /// Compares an extracted value with an expected one.
    pub fn compare(&self, expected: &str, actual: &str) -> Verdict {
        // Normalising is a function of the text, so identical texts always match; agents
        // often return the value exactly as the ground truth has it.
        if expected.trim() == actual.trim() {
            return Verdict::PASS;
        }
        self.compare_prepared(&self.prepare(expected), actual)
    }
}
