//! A [`JobFilter`] as SQL conditions on `jobs AS j`, with their parameters in order.

use rusqlite::types::Value;

use super::search;
use mino_core::model::{JobFilter, JobStatus};

/// Conditions joined with AND (`1` when there are none) and their positional (`?`)
/// parameters.
#[derive(Debug, Clone, Default)]
pub(crate) struct Conditions {
    parts: Vec<String>,
    params: Vec<Value>,
}

impl Conditions {
    /// Adds a condition with its parameters.
    pub(crate) fn push(&mut self, sql: impl Into<String>, params: impl IntoIterator<Item = Value>) {
        self.parts.push(sql.into());
        self.params.extend(params);
    }

    /// The conditions as one SQL expression.
    pub(crate) fn sql(&self) -> String {
        if self.parts.is_empty() {
            "1".to_owned()
        } else {
            self.parts.join(" AND ")
        }
    }

    /// The parameters, in placeholder order.
    pub(crate) fn params(&self) -> &[Value] {
        &self.params
    }
}

fn blob(id: uuid::Uuid) -> Value {
    Value::Blob(id.as_bytes().to_vec())
}

/// The statuses as an SQL list. They come from a closed enum, so they are written inline:
/// the planner then sees literals and can pick the partial and composite indexes.
pub(crate) fn status_list(statuses: &[JobStatus]) -> String {
    let names: Vec<String> = statuses
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    names.join(", ")
}

/// Every condition of `filter` except the statuses, which [`status_condition`] gives, so
/// paging can handle each status on its own.
pub(crate) fn base_conditions(filter: &JobFilter) -> Conditions {
    let mut c = Conditions::default();
    if let Some(batch) = filter.batch_id {
        c.push("j.batch_id = ?", [blob(batch.0)]);
    }
    if let Some(project) = filter.project_id {
        c.push(
            "j.batch_id IN (SELECT id FROM batches WHERE project_id = ?)",
            [blob(project.0)],
        );
    }
    if let Some(execution) = filter.execution_id {
        c.push("j.execution_id = ?", [blob(execution.0)]);
    }
    if let Some(has) = filter.has_ground_truth {
        c.push("j.has_ground_truth = ?", [Value::Integer(i64::from(has))]);
    }
    if let Some(accuracy) = filter.accuracy {
        c.push(
            "j.accuracy = ?",
            [Value::Text(accuracy.as_str().to_owned())],
        );
    }
    if let Some(text) = filter.search.as_deref() {
        if let Some((sql, params)) = search::condition(text) {
            c.push(sql, params);
        }
    }
    c
}

/// The status condition of a filter, if it has one.
pub(crate) fn status_condition(statuses: &[JobStatus]) -> Option<String> {
    match statuses {
        [] => None,
        [one] => Some(format!("j.status = '{}'", one.as_str())),
        many => Some(format!("j.status IN ({})", status_list(many))),
    }
}

/// Every condition of `filter`.
pub(crate) fn conditions(filter: &JobFilter) -> Conditions {
    let mut c = base_conditions(filter);
    if let Some(sql) = status_condition(&dedup(&filter.statuses)) {
        c.push(sql, []);
    }
    c
}

/// The statuses without repeats, in their canonical order.
pub(crate) fn dedup(statuses: &[JobStatus]) -> Vec<JobStatus> {
    JobStatus::ALL
        .into_iter()
        .filter(|s| statuses.contains(s))
        .collect()
}
