//! Ground-truth edits and their audit trail.

use mino::model;
use mino::platform::GroundTruthResult as CoreResult;

use super::Timestamp;
use crate::records::record;

record! {
    /// What a bulk ground-truth operation did.
    GroundTruthResult {
        /// Jobs named (duplicates counted once).
        jobs: u64,
        /// Jobs whose ground truth was written.
        updated: u64,
        /// Jobs left as they were (no extracted value to copy).
        skipped: u64,
    }
}

record! {
    /// One field's ground truth changed on one job: who, when, before and after.
    GroundTruthChange {
        /// Its id (later changes have larger ids).
        id: String,
        /// The job's id.
        job_id: String,
        /// The job's batch's id.
        batch_id: String,
        /// The field.
        field: String,
        /// The value before (``None``: the field had none).
        old_value: Option<String>,
        /// The value after (``None``: the field was removed).
        new_value: Option<String>,
        /// Who made the change, as the caller named itself (``unknown`` when unnamed).
        changed_by: String,
        /// When (UTC).
        changed_at: Timestamp,
    }
}

impl From<&CoreResult> for GroundTruthResult {
    fn from(r: &CoreResult) -> Self {
        GroundTruthResult {
            jobs: r.jobs,
            updated: r.updated,
            skipped: r.skipped,
        }
    }
}

impl From<&model::GroundTruthChange> for GroundTruthChange {
    fn from(c: &model::GroundTruthChange) -> Self {
        GroundTruthChange {
            id: c.id.to_string(),
            job_id: c.job_id.to_string(),
            batch_id: c.batch_id.to_string(),
            field: c.field.clone(),
            old_value: c.old_value.clone(),
            new_value: c.new_value.clone(),
            changed_by: c.changed_by.clone(),
            changed_at: c.changed_at,
        }
    }
}
