//! Ground truth: bulk set from extracted values, bulk edit, and the audit trail.
//!
//! Every change goes through the store's job updates, which record who changed which field
//! from what to what in the same transaction; the jobs changed are then scored again, so
//! verdicts and metrics follow the new ground truth without running any agent.

use std::collections::HashSet;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::Platform;
use crate::error::{Error, Result};
use crate::model::{BatchId, GroundTruthChange, GroundTruthChangeFilter, Job, JobId, JobUpdate};
use crate::store::{check_bulk, Page, PageRequest, BULK_UPDATE_MAX};

/// The longest field name ground truth accepts.
const MAX_FIELD_LEN: usize = 200;

/// Take the values an agent extracted as the ground truth of chosen jobs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BulkSetGroundTruth {
    /// The jobs (1 to 1,000, all of the batch).
    pub job_ids: Vec<JobId>,
    /// The fields to take; empty takes every field the agent extracted.
    #[serde(default)]
    pub fields: Vec<String>,
    /// Who makes the change (recorded in the audit trail).
    #[serde(default)]
    pub changed_by: Option<String>,
}

/// Give one field the same ground truth on chosen jobs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BulkEditGroundTruth {
    /// The jobs (1 to 1,000, all of the batch).
    pub job_ids: Vec<JobId>,
    /// The field.
    pub field: String,
    /// Its new value; an empty value removes the field's ground truth.
    #[serde(default)]
    pub value: String,
    /// Who makes the change (recorded in the audit trail).
    #[serde(default)]
    pub changed_by: Option<String>,
}

/// What a bulk ground-truth operation did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroundTruthResult {
    /// Jobs named.
    pub jobs: u64,
    /// Jobs whose ground truth was written (in a bulk set: the jobs with an extraction).
    pub updated: u64,
    /// Jobs skipped: in a bulk set, those with no extracted value for the chosen fields.
    pub skipped: u64,
}

impl Platform {
    /// Takes extracted values as ground truth for chosen jobs of a batch.
    ///
    /// Only non-empty extracted values are taken: a field the agent did not find keeps its
    /// ground truth. Jobs without any such value are skipped and counted. Jobs of another
    /// batch are a validation error, unknown ids are not found, and nothing is changed then.
    pub async fn bulk_set_ground_truth(
        &self,
        batch: BatchId,
        req: BulkSetGroundTruth,
    ) -> Result<GroundTruthResult> {
        check_bulk("bulk ground-truth set", req.job_ids.len(), BULK_UPDATE_MAX)?;
        for field in &req.fields {
            check_field(field)?;
        }
        let jobs = self.jobs_of_batch(batch, &req.job_ids).await?;
        let mut updates = Vec::with_capacity(jobs.len());
        for job in &jobs {
            let values: IndexMap<String, String> = job
                .extraction
                .iter()
                .flatten()
                .filter(|(field, _)| req.fields.is_empty() || req.fields.contains(field))
                .filter_map(|(field, value)| {
                    let value = value.as_deref()?.trim();
                    (!value.is_empty()).then(|| (field.clone(), value.to_owned()))
                })
                .collect();
            if !values.is_empty() {
                updates.push((
                    job.id,
                    JobUpdate {
                        ground_truth: Some(values),
                        changed_by: req.changed_by.clone(),
                        ..JobUpdate::default()
                    },
                ));
            }
        }
        let result = GroundTruthResult {
            jobs: jobs.len() as u64,
            updated: updates.len() as u64,
            skipped: (jobs.len() - updates.len()) as u64,
        };
        if let Some(first) = jobs.first() {
            let ids: Vec<JobId> = updates.iter().map(|(id, _)| *id).collect();
            if !updates.is_empty() {
                self.inner.store.update_jobs_each(updates).await?;
                self.rescore(&ids, first.project_id).await?;
            }
        }
        Ok(result)
    }

    /// Gives one field the same ground truth (or removes it, with an empty value) on chosen
    /// jobs of a batch, and scores them again.
    pub async fn bulk_edit_ground_truth(
        &self,
        batch: BatchId,
        req: BulkEditGroundTruth,
    ) -> Result<GroundTruthResult> {
        check_bulk("bulk ground-truth edit", req.job_ids.len(), BULK_UPDATE_MAX)?;
        check_field(&req.field)?;
        let jobs = self.jobs_of_batch(batch, &req.job_ids).await?;
        let ids: Vec<JobId> = jobs.iter().map(|j| j.id).collect();
        let update = JobUpdate {
            ground_truth: Some(IndexMap::from([(req.field.clone(), req.value.clone())])),
            changed_by: req.changed_by,
            ..JobUpdate::default()
        };
        let updated = self.inner.store.bulk_update_jobs(&ids, update).await?;
        if let Some(first) = jobs.first() {
            self.rescore(&ids, first.project_id).await?;
        }
        Ok(GroundTruthResult {
            jobs: ids.len() as u64,
            updated,
            skipped: 0,
        })
    }

    /// The recorded ground-truth changes matching a filter, oldest first.
    pub async fn ground_truth_changes(
        &self,
        filter: GroundTruthChangeFilter,
        page: PageRequest,
    ) -> Result<Page<GroundTruthChange>> {
        if let Some(batch) = filter.batch_id {
            self.inner.store.get_batch(batch).await?;
        }
        // A deleted job keeps its trail, so an unknown job id is not an error.
        self.inner
            .store
            .list_ground_truth_changes(&filter, page)
            .await
    }

    /// The named jobs, distinct, in the order named; each must exist and belong to `batch`.
    async fn jobs_of_batch(&self, batch: BatchId, ids: &[JobId]) -> Result<Vec<Job>> {
        self.inner.store.get_batch(batch).await?;
        let mut jobs: Vec<Job> = Vec::with_capacity(ids.len());
        let mut seen = HashSet::with_capacity(ids.len());
        for id in ids {
            if !seen.insert(*id) {
                continue;
            }
            let job = self.inner.store.get_job(*id).await?;
            if job.batch_id != batch {
                return Err(Error::validation(format!(
                    "job {id} belongs to batch {}, not {batch}",
                    job.batch_id
                ))
                .with_context("field", "job_ids")
                .with_context("job_id", id.to_string()));
            }
            jobs.push(job);
        }
        Ok(jobs)
    }
}

/// A field name must be non-empty and of sensible length.
fn check_field(field: &str) -> Result<()> {
    let trimmed = field.trim();
    if trimmed.is_empty() || trimmed.len() > MAX_FIELD_LEN || trimmed != field {
        return Err(Error::validation(format!(
            "field name {field:?} must be 1 to {MAX_FIELD_LEN} characters without surrounding \
             spaces"
        ))
        .with_context("field", "field"));
    }
    Ok(())
}
