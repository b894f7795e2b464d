//! Evaluating one job's extraction against its ground truth.

use chrono::{DateTime, Utc};
use indexmap::IndexMap;

use super::spec::Comparator;
use crate::error::Result;
use crate::model::{
    Accuracy, Evaluation, Extraction, FieldEvaluation, OutputField, ProjectSettings,
};

/// The output fields of a project with their comparators parsed, ready to evaluate any
/// number of jobs.
///
/// # Behavior
///
/// - A field is evaluated when its ground truth is present and not blank. A blank
///   ground-truth value is evaluated only when the project's
///   `empty_ground_truth_is_expected` is set, and then passes only when the agent returned
///   nothing (or only whitespace). A field without any ground-truth entry is never evaluated.
/// - Ground truth and extracted values are looked up by field name, exactly first, then
///   ignoring case and surrounding spaces (CSV headers such as `GT_Price` name `price`).
/// - A field the agent returned nothing for (no entry, `null`, or blank) fails with score 0
///   against a non-blank expected value.
/// - Accuracy is `pass` when every evaluated field passed, `fail` when none did, `partial`
///   otherwise, and `None` when no field was evaluated.
#[derive(Debug, Clone)]
pub struct JobEvaluator {
    fields: Vec<(String, Comparator)>,
    empty_is_expected: bool,
}

impl JobEvaluator {
    /// Parses the comparator of every field; a bad override is a validation error naming the
    /// field.
    pub fn new(fields: &[OutputField], settings: &ProjectSettings) -> Result<Self> {
        let fields = fields
            .iter()
            .map(|f| Ok((f.name.clone(), Comparator::for_field(f)?)))
            .collect::<Result<_>>()?;
        Ok(JobEvaluator {
            fields,
            empty_is_expected: settings.empty_ground_truth_is_expected,
        })
    }

    /// The fields and their comparators, in project order.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &Comparator)> {
        self.fields.iter().map(|(n, c)| (n.as_str(), c))
    }

    /// Evaluates one job, stamped with the current time.
    pub fn evaluate(
        &self,
        ground_truth: &IndexMap<String, String>,
        extraction: Option<&Extraction>,
    ) -> Evaluation {
        self.evaluate_at(ground_truth, extraction, Utc::now())
    }

    /// Evaluates one job, stamped with `at`.
    pub fn evaluate_at(
        &self,
        ground_truth: &IndexMap<String, String>,
        extraction: Option<&Extraction>,
        at: DateTime<Utc>,
    ) -> Evaluation {
        let mut fields = Vec::with_capacity(self.fields.len());
        for (i, (name, comparator)) in self.fields.iter().enumerate() {
            let Some(expected) = lookup_at(ground_truth, i, name) else {
                continue;
            };
            if expected.trim().is_empty() && !self.empty_is_expected {
                continue;
            }
            let actual = extraction
                .and_then(|e| lookup_at(e, i, name))
                .and_then(|v| v.as_deref());
            let verdict = comparator.compare(expected, actual.unwrap_or(""));
            fields.push(FieldEvaluation {
                field: name.clone(),
                expected: expected.clone(),
                actual: actual.map(str::to_owned),
                comparator: comparator.name().to_owned(),
                score: verdict.score,
                passed: verdict.passed,
            });
        }
        Evaluation {
            accuracy: accuracy_of(&fields),
            fields,
            evaluated_at: at,
        }
    }
}

/// Evaluates one job's extraction against its ground truth with the project's fields and
/// settings (see [`JobEvaluator`] for the rules). To evaluate many jobs, build a
/// [`JobEvaluator`] once instead.
pub fn evaluate_job(
    fields: &[OutputField],
    settings: &ProjectSettings,
    ground_truth: &IndexMap<String, String>,
    extraction: Option<&Extraction>,
) -> Result<Evaluation> {
    Ok(JobEvaluator::new(fields, settings)?.evaluate(ground_truth, extraction))
}

/// The overall verdict of a set of field verdicts (`None` when there are none).
pub fn accuracy_of(fields: &[FieldEvaluation]) -> Option<Accuracy> {
    let passed = fields.iter().filter(|f| f.passed).count();
    match passed {
        _ if fields.is_empty() => None,
        0 => Some(Accuracy::Fail),
        n if n == fields.len() => Some(Accuracy::Pass),
        _ => Some(Accuracy::Partial),
    }
}

/// Looks a field up by name: exactly, then ignoring case and surrounding spaces.
pub(crate) fn lookup<'a, V>(map: &'a IndexMap<String, V>, name: &str) -> Option<&'a V> {
    map.get(name).or_else(|| {
        let name = name.trim();
        map.iter()
            .find(|(k, _)| {
                let k = k.trim();
                k.eq_ignore_ascii_case(name)
                    || (!(k.is_ascii() && name.is_ascii())
                        && k.to_lowercase() == name.to_lowercase())
            })
            .map(|(_, v)| v)
    })
}

/// [`lookup`], checking position `hint` first: extractions and ground truth usually list
/// fields in project order, and comparing one key is cheaper than hashing the name.
pub(crate) fn lookup_at<'a, V>(
    map: &'a IndexMap<String, V>,
    hint: usize,
    name: &str,
) -> Option<&'a V> {
    match map.get_index(hint) {
        Some((key, value)) if key == name => Some(value),
        _ => lookup(map, name),
    }
}
