//! Accuracy per column and per job, accumulated one job at a time.

use indexmap::IndexMap;

use crate::model::{Accuracy, BatchMetrics, ColumnMetrics, Evaluation, Job};

/// Accumulates [`BatchMetrics`] (without cost) from job evaluations, in constant memory per
/// column.
///
/// # Behavior
///
/// - Only jobs with an evaluation that evaluated at least one field count as evaluated jobs;
///   `pass_rate` is passed jobs over evaluated jobs.
/// - Per column: `evaluated` counts the jobs whose evaluation has that field, `passed` and
///   `failed` split them, and a failure is `missing` when the agent returned nothing (no
///   value, or only whitespace) and `wrong` otherwise. `accuracy` is passed over evaluated.
/// - Columns come in the order given to [`AccuracyTally::with_fields`], then in the order
///   first seen; a given column is reported even when no job evaluated it.
#[derive(Debug, Clone, Default)]
pub struct AccuracyTally {
    columns: IndexMap<String, ColumnMetrics>,
    jobs_evaluated: u64,
    jobs_passed: u64,
    jobs_partial: u64,
    jobs_failed: u64,
}

impl AccuracyTally {
    /// An empty tally whose columns appear in first-seen order.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty tally reporting these columns first, in this order.
    pub fn with_fields<I, S>(fields: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut tally = Self::default();
        for field in fields {
            let field = field.into();
            tally.columns.insert(field.clone(), empty_column(field));
        }
        tally
    }

    /// Counts a job's stored evaluation, if it has one.
    pub fn add_job(&mut self, job: &Job) {
        if let Some(evaluation) = &job.evaluation {
            self.add_evaluation(evaluation);
        }
    }

    /// Counts one evaluation.
    pub fn add_evaluation(&mut self, evaluation: &Evaluation) {
        match evaluation.accuracy {
            None => return,
            Some(Accuracy::Pass) => self.jobs_passed += 1,
            Some(Accuracy::Partial) => self.jobs_partial += 1,
            Some(Accuracy::Fail) => self.jobs_failed += 1,
        }
        self.jobs_evaluated += 1;
        // Verdicts usually come in column order: try the next column before hashing.
        let mut next = 0;
        for field in &evaluation.fields {
            let index = column_index(&mut self.columns, next, &field.field);
            next = index + 1;
            let Some((_, column)) = self.columns.get_index_mut(index) else {
                continue;
            };
            column.evaluated += 1;
            if field.passed {
                column.passed += 1;
            } else {
                column.failed += 1;
                if field.actual.as_deref().is_none_or(|a| a.trim().is_empty()) {
                    column.missing += 1;
                } else {
                    column.wrong += 1;
                }
            }
        }
    }

    /// Fields passed over all columns (the denominator of cost per correct field).
    pub fn fields_passed(&self) -> u64 {
        self.columns.values().map(|c| c.passed).sum()
    }

    /// The metrics so far (`cost_usd` is 0: cost comes from sessions, see
    /// [`super::CostTally`]).
    pub fn metrics(&self) -> BatchMetrics {
        BatchMetrics {
            jobs_evaluated: self.jobs_evaluated,
            jobs_passed: self.jobs_passed,
            jobs_partial: self.jobs_partial,
            jobs_failed: self.jobs_failed,
            pass_rate: ratio(self.jobs_passed, self.jobs_evaluated),
            columns: self
                .columns
                .values()
                .map(|c| ColumnMetrics {
                    accuracy: ratio(c.passed, c.evaluated),
                    ..c.clone()
                })
                .collect(),
            cost_usd: 0.0,
        }
    }
}

/// The index of column `name`, checking position `hint` first; added when new.
fn column_index(columns: &mut IndexMap<String, ColumnMetrics>, hint: usize, name: &str) -> usize {
    if columns.get_index(hint).is_some_and(|(k, _)| k == name) {
        return hint;
    }
    if let Some(index) = columns.get_index_of(name) {
        return index;
    }
    let (index, _) = columns.insert_full(name.to_owned(), empty_column(name.to_owned()));
    index
}

fn empty_column(field: String) -> ColumnMetrics {
    ColumnMetrics {
        field,
        ..ColumnMetrics::default()
    }
}

/// `part / whole`, or `None` when `whole` is 0.
pub(crate) fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Metrics of a set of jobs (without cost), columns in first-seen order.
pub fn metrics_of<'a>(jobs: impl IntoIterator<Item = &'a Job>) -> BatchMetrics {
    let mut tally = AccuracyTally::new();
    for job in jobs {
        tally.add_job(job);
    }
    tally.metrics()
}
