//! The audit trail of ground truth: every value set, edited or removed after ingest.

use chrono::{DateTime, Utc};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::ids::{BatchId, ChangeId, JobId};

/// Who changed ground truth when the caller does not say.
pub const UNKNOWN_ACTOR: &str = "unknown";

/// One field's ground truth changed on one job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroundTruthChange {
    /// Its id (time-ordered: later changes have larger ids).
    pub id: ChangeId,
    /// The job.
    pub job_id: JobId,
    /// The job's batch.
    pub batch_id: BatchId,
    /// The field.
    pub field: String,
    /// The value before, `None` when the field had none.
    pub old_value: Option<String>,
    /// The value after, `None` when the field was removed.
    pub new_value: Option<String>,
    /// Who made the change, as the caller named itself.
    pub changed_by: String,
    /// When.
    pub changed_at: DateTime<Utc>,
}

/// Which changes to list; every set filter must match.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GroundTruthChangeFilter {
    /// Changes to jobs of this batch.
    #[serde(default)]
    pub batch_id: Option<BatchId>,
    /// Changes to this job.
    #[serde(default)]
    pub job_id: Option<JobId>,
    /// Changes to this field.
    #[serde(default)]
    pub field: Option<String>,
}

/// A change to one field, before the store gives it an id, job and time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    /// The field.
    pub field: String,
    /// The value before.
    pub old_value: Option<String>,
    /// The value after.
    pub new_value: Option<String>,
}

/// Merges `updates` into `truth` as every store does (a blank value removes the field) and
/// returns the fields whose value really changed, in the order of `updates`.
///
/// Setting a field to the value it already has, or removing a field that is absent, is not a
/// change and is not recorded.
pub fn merge_ground_truth(
    truth: &mut IndexMap<String, String>,
    updates: &IndexMap<String, String>,
) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    for (field, value) in updates {
        let old_value = if value.trim().is_empty() {
            truth.shift_remove(field)
        } else {
            truth.insert(field.clone(), value.clone())
        };
        let new_value = truth.get(field).cloned();
        if old_value != new_value {
            changes.push(FieldChange {
                field: field.clone(),
                old_value,
                new_value,
            });
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> IndexMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn merge_records_sets_edits_and_removals_but_not_no_ops() {
        let mut truth = map(&[("title", "Old"), ("price", "10"), ("sku", "A1")]);
        let changes = merge_ground_truth(
            &mut truth,
            &map(&[
                ("title", "New"),
                ("price", "10"),
                ("sku", " "),
                ("author", "Ann"),
                ("absent", ""),
            ]),
        );
        assert_eq!(
            truth,
            map(&[("title", "New"), ("price", "10"), ("author", "Ann")])
        );
        let summary: Vec<_> = changes
            .iter()
            .map(|c| {
                (
                    c.field.as_str(),
                    c.old_value.as_deref(),
                    c.new_value.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                ("title", Some("Old"), Some("New")),
                ("sku", Some("A1"), None),
                ("author", None, Some("Ann")),
            ]
        );
    }
}
