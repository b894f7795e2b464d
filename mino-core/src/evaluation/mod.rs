//! Scoring what agents extracted against ground truth.
//!
//! Each output field is compared with a [`Comparator`] chosen from its
//! [`FieldType`](crate::model::FieldType) and optionally overridden by the field's
//! `comparator` JSON (see [`spec`] for its form). A comparison yields a [`Verdict`]: a score
//! from 0 to 1 and whether it passed. [`JobEvaluator`] applies the comparators to a job's
//! ground truth and extraction and produces its [`Evaluation`](crate::model::Evaluation);
//! [`reevaluate`] re-scores stored jobs in bulk without running any agent.
//!
//! | kind | field type | matches when |
//! |------|------------|--------------|
//! | `text` | text | folded texts are equal ([`text`]) |
//! | `fuzzy` | — | folded similarity ≥ threshold, default 0.85 ([`similarity`]) |
//! | `exact` | — | trimmed texts are equal |
//! | `number` | number | numbers equal within tolerance ([`number`]) |
//! | `date` | date | same calendar date ([`date`]) |
//! | `url` | url | same canonical URL ([`url`]) |
//! | `email` | email | same canonical address ([`contact`]) |
//! | `phone` | phone | same digits, country code optional ([`contact`]) |
//! | `boolean` | boolean | same yes/no ([`boolean`]) |
//! | `list` | list | same items in any order ([`list`]) |
//!
//! Comparators avoid regular expressions and allocate little: the typed parsers are
//! single-pass scanners, so a comparison costs well under a microsecond (see
//! `benches/evaluation.rs`).

pub mod boolean;
mod compare;
pub mod contact;
pub mod date;
mod job;
pub mod list;
pub mod number;
mod reevaluate;
pub mod similarity;
pub mod spec;
pub mod text;
pub mod url;

pub use compare::{Expected, Verdict};
pub(crate) use job::lookup_at;
pub use job::{accuracy_of, evaluate_job, JobEvaluator};
pub use number::DecimalSeparator;
pub use reevaluate::{reevaluate, reevaluate_jobs, REEVALUATE_PAGE};
pub use spec::{Comparator, DateOptions, FuzzyOptions, ListOptions, NumberOptions};
pub use url::UrlOptions;
