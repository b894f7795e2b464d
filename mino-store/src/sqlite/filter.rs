//! A [`JobFilter`] as SQL conditions on `jobs AS j`, with their parameters in order.

use rusqlite::types::Value;
use rusqlite::Connection;

use super::search;
use mino_core::model::{JobFilter, JobStatus};
use mino_core::Result;

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

    /// Whether there is no condition at all.
    pub(crate) fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// The parameters, in placeholder order.
    pub(crate) fn params(&self) -> &[Value] {
        &self.params
    }
}

/// A UUID as the BLOB it is stored as.
pub(crate) fn blob(id: uuid::Uuid) -> Value {
    Value::Blob(id.as_bytes().to_vec())
}

/// The conditions of `filter` other than its batch, project and statuses: those decide how
/// a list walks the jobs, so the list builds them itself.
pub(crate) fn row_conditions(conn: &Connection, filter: &JobFilter) -> Result<Conditions> {
    let mut c = Conditions::default();
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
        if let Some((sql, params)) = search::condition(conn, text)? {
            c.push(sql, params);
        }
    }
    Ok(c)
}

/// Every condition of `filter`, for statements that visit all matching jobs (counts,
/// selections) and may use any index.
pub(crate) fn conditions(conn: &Connection, filter: &JobFilter) -> Result<Conditions> {
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
    let rest = row_conditions(conn, filter)?;
    c.push(rest.sql(), rest.params().iter().cloned());
    if let Some(sql) = status_condition(&dedup(&filter.statuses)) {
        c.push(sql, []);
    }
    Ok(c)
}

/// The condition for a set of statuses, if it restricts anything. Statuses come from a
/// closed enum, so they are written inline: the planner sees literals it can match against
/// the indexes.
pub(crate) fn status_condition(statuses: &[JobStatus]) -> Option<String> {
    match statuses {
        [] => None,
        [one] => Some(format!("j.status = '{}'", one.as_str())),
        many => {
            let names: Vec<String> = many.iter().map(|s| format!("'{}'", s.as_str())).collect();
            Some(format!("j.status IN ({})", names.join(", ")))
        }
    }
}

/// The statuses without repeats, in their canonical order.
pub(crate) fn dedup(statuses: &[JobStatus]) -> Vec<JobStatus> {
    JobStatus::ALL
        .into_iter()
        .filter(|s| statuses.contains(s))
        .collect()
}
