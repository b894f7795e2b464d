//! Changing jobs: single and bulk updates, bulk delete and rerun, evaluations.

use std::collections::HashMap;

use indexmap::IndexMap;
use mino_core::model::{
    merge_ground_truth, ChangeId, Evaluation, FieldChange, Job, JobId, JobStatus, JobUpdate,
    UNKNOWN_ACTOR,
};
use mino_core::store::{check_bulk, BULK_DELETE_MAX, BULK_RERUN_MAX, BULK_UPDATE_MAX};
use mino_core::{Error, Result};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::codec::{parse_stored, to_i32, to_u32, Pairs, PairsRef};
use super::error::DbResultExt;

/// Statements per `save_evaluations` call are capped at this many jobs each, so one call
/// over a million jobs neither builds one huge array nor makes a million round trips.
const EVALUATION_CHUNK: usize = 5_000;

pub(crate) async fn update(pool: &PgPool, id: JobId, update: JobUpdate) -> Result<Job> {
    update.validate()?;
    let mut tx = pool.begin().await.db()?;
    let mut job = lock_jobs(&mut tx, &[id.0])
        .await?
        .pop()
        .ok_or_else(|| Error::not_found("job", id))?;
    if update.status.is_some() && is_active(job.status) {
        return Err(Error::conflict(format!(
            "job {id} is {} in an active execution; its status cannot be set",
            job.status.as_str()
        ))
        .with_context("job_id", id.to_string()));
    }
    let changes = apply_update(&mut job, &update);
    write_jobs(&mut tx, std::slice::from_ref(&job)).await?;
    let trail = ChangeTrail::of(&job, changes, &update);
    trail.write(&mut tx).await?;
    let job = super::jobs::get(&mut *tx, id).await?;
    tx.commit().await.db()?;
    Ok(job)
}

pub(crate) async fn bulk_update(pool: &PgPool, ids: &[JobId], update: JobUpdate) -> Result<u64> {
    check_bulk("bulk update", ids.len(), BULK_UPDATE_MAX)?;
    update.validate()?;
    let mut tx = pool.begin().await.db()?;
    let mut jobs = lock_jobs(&mut tx, &uuids(ids)).await?;
    if update.status.is_some() {
        refuse_active(&jobs, "update the status of")?;
    }
    let mut trail = ChangeTrail::default();
    for job in &mut jobs {
        let changes = apply_update(job, &update);
        trail.extend(ChangeTrail::of(job, changes, &update));
    }
    write_jobs(&mut tx, &jobs).await?;
    trail.write(&mut tx).await?;
    tx.commit().await.db()?;
    Ok(jobs.len() as u64)
}

pub(crate) async fn update_each(pool: &PgPool, updates: Vec<(JobId, JobUpdate)>) -> Result<u64> {
    check_bulk("bulk update", updates.len(), BULK_UPDATE_MAX)?;
    for (_, update) in &updates {
        update.validate()?;
    }
    let ids: Vec<JobId> = updates.iter().map(|(id, _)| *id).collect();
    let mut tx = pool.begin().await.db()?;
    let mut jobs = lock_jobs(&mut tx, &uuids(&ids)).await?;
    let position: HashMap<Uuid, usize> = jobs.iter().enumerate().map(|(i, j)| (j.id, i)).collect();
    let mut trail = ChangeTrail::default();
    for (id, update) in &updates {
        let Some(&i) = position.get(&id.0) else {
            continue;
        };
        let job = &mut jobs[i];
        if update.status.is_some() {
            refuse_active(std::slice::from_ref(job), "update the status of")?;
        }
        let changes = apply_update(job, update);
        trail.extend(ChangeTrail::of(job, changes, update));
    }
    write_jobs(&mut tx, &jobs).await?;
    trail.write(&mut tx).await?;
    tx.commit().await.db()?;
    Ok(jobs.len() as u64)
}

pub(crate) async fn bulk_delete(pool: &PgPool, ids: &[JobId]) -> Result<u64> {
    check_bulk("bulk delete", ids.len(), BULK_DELETE_MAX)?;
    let ids = uuids(ids);
    let mut tx = pool.begin().await.db()?;
    let jobs = lock_jobs(&mut tx, &ids).await?;
    refuse_active(&jobs, "delete")?;
    let deleted = sqlx::query("DELETE FROM jobs WHERE id = ANY($1)")
        .bind(&ids)
        .execute(&mut *tx)
        .await
        .db()?
        .rows_affected();
    tx.commit().await.db()?;
    Ok(deleted)
}

pub(crate) async fn bulk_rerun(pool: &PgPool, ids: &[JobId]) -> Result<u64> {
    check_bulk("bulk rerun", ids.len(), BULK_RERUN_MAX)?;
    let ids = uuids(ids);
    let mut tx = pool.begin().await.db()?;
    let jobs = lock_jobs(&mut tx, &ids).await?;
    refuse_active(&jobs, "rerun")?;
    // The extraction and its evaluation stay until a new attempt replaces them.
    let reset = sqlx::query(
        "UPDATE jobs SET status = 'pending', attempts = 0, last_error = NULL, \
         lease_owner = NULL, lease_expires_at = NULL, next_attempt_at = NULL, \
         updated_at = now() WHERE id = ANY($1) AND status <> 'invalid'",
    )
    .bind(&ids)
    .execute(&mut *tx)
    .await
    .db()?
    .rows_affected();
    tx.commit().await.db()?;
    Ok(reset)
}

pub(crate) async fn save_evaluations(
    pool: &PgPool,
    evaluations: Vec<(JobId, Option<Evaluation>)>,
) -> Result<u64> {
    // One entry per job, the last one winning, as if they were applied in order.
    let mut latest: HashMap<Uuid, Option<String>> = HashMap::with_capacity(evaluations.len());
    for (id, evaluation) in evaluations {
        let json = evaluation.map(|e| serde_json::to_string(&e)).transpose()?;
        latest.insert(id.0, json);
    }
    if latest.is_empty() {
        return Ok(0);
    }
    let entries: Vec<(Uuid, Option<String>)> = latest.into_iter().collect();
    let mut tx = pool.begin().await.db()?;
    let mut updated = 0;
    for chunk in entries.chunks(EVALUATION_CHUNK) {
        let (ids, docs): (Vec<Uuid>, Vec<Option<String>>) = chunk.iter().cloned().unzip();
        // Unknown ids find no row in the join and are skipped.
        updated += sqlx::query(
            "UPDATE jobs AS j SET evaluation = u.evaluation::jsonb, updated_at = now() \
             FROM UNNEST($1::uuid[], $2::text[]) AS u(id, evaluation) WHERE j.id = u.id",
        )
        .bind(ids)
        .bind(docs)
        .execute(&mut *tx)
        .await
        .db()?
        .rows_affected();
    }
    tx.commit().await.db()?;
    Ok(updated)
}

/// The part of a job that updates change.
#[derive(Debug, Clone, PartialEq)]
struct EditableJob {
    id: Uuid,
    batch_id: Uuid,
    status: JobStatus,
    site_url: String,
    inputs: IndexMap<String, String>,
    ground_truth: IndexMap<String, String>,
    invalid_reason: Option<String>,
    attempts: u32,
    last_error: Option<String>,
}

/// Applies `update` as the `Store::update_job` docs say and returns the ground-truth fields
/// it changed. The caller has already refused a status change on a queued or running job.
fn apply_update(job: &mut EditableJob, update: &JobUpdate) -> Vec<FieldChange> {
    if let Some(url) = &update.site_url {
        job.site_url = url.trim().to_owned();
        // `JobUpdate::validate` guarantees a non-empty URL, which makes an invalid row
        // runnable.
        if job.status == JobStatus::Invalid {
            job.status = JobStatus::Pending;
            job.invalid_reason = None;
        }
    }
    if let Some(inputs) = &update.inputs {
        for (key, value) in inputs {
            job.inputs.insert(key.clone(), value.clone());
        }
    }
    let changes = match &update.ground_truth {
        Some(values) => merge_ground_truth(&mut job.ground_truth, values),
        None => Vec::new(),
    };
    // An invalid job keeps its status until it gets a usable URL, as in a bulk rerun.
    if let Some(status) = update.status {
        if job.status != JobStatus::Invalid {
            job.status = status;
            if status == JobStatus::Pending {
                job.attempts = 0;
                job.last_error = None;
            }
        }
    }
    changes
}

/// Ground-truth changes to record, as columns for one `UNNEST` insert.
#[derive(Debug, Default)]
struct ChangeTrail {
    ids: Vec<Uuid>,
    jobs: Vec<Uuid>,
    batches: Vec<Uuid>,
    fields: Vec<String>,
    old_values: Vec<Option<String>>,
    new_values: Vec<Option<String>>,
    changed_by: Vec<String>,
}

impl ChangeTrail {
    fn of(job: &EditableJob, changes: Vec<FieldChange>, update: &JobUpdate) -> Self {
        let by = update.changed_by.as_deref().unwrap_or(UNKNOWN_ACTOR);
        let mut trail = Self::default();
        for change in changes {
            trail.ids.push(ChangeId::new().0);
            trail.jobs.push(job.id);
            trail.batches.push(job.batch_id);
            trail.fields.push(change.field);
            trail.old_values.push(change.old_value);
            trail.new_values.push(change.new_value);
            trail.changed_by.push(by.to_owned());
        }
        trail
    }

    fn extend(&mut self, other: Self) {
        self.ids.extend(other.ids);
        self.jobs.extend(other.jobs);
        self.batches.extend(other.batches);
        self.fields.extend(other.fields);
        self.old_values.extend(other.old_values);
        self.new_values.extend(other.new_values);
        self.changed_by.extend(other.changed_by);
    }

    async fn write(self, conn: &mut PgConnection) -> Result<()> {
        if self.ids.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO ground_truth_changes \
             (id, job_id, batch_id, field, old_value, new_value, changed_by) \
             SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], \
                                  $6::text[], $7::text[])",
        )
        .bind(self.ids)
        .bind(self.jobs)
        .bind(self.batches)
        .bind(self.fields)
        .bind(self.old_values)
        .bind(self.new_values)
        .bind(self.changed_by)
        .execute(conn)
        .await
        .db()?;
        Ok(())
    }
}

#[derive(sqlx::FromRow)]
struct EditableRow {
    id: Uuid,
    batch_id: Uuid,
    status: String,
    site_url: String,
    inputs: Json<Pairs<String>>,
    ground_truth: Json<Pairs<String>>,
    invalid_reason: Option<String>,
    attempts: i32,
    last_error: Option<String>,
}

/// Locks and reads the existing jobs among `ids`, in id order (a fixed lock order keeps
/// concurrent bulk operations from deadlocking).
async fn lock_jobs(conn: &mut PgConnection, ids: &[Uuid]) -> Result<Vec<EditableJob>> {
    let rows: Vec<EditableRow> = sqlx::query_as(
        "SELECT id, batch_id, status, site_url, inputs, ground_truth, invalid_reason, \
         attempts, last_error FROM jobs WHERE id = ANY($1) ORDER BY id FOR UPDATE",
    )
    .bind(ids)
    .fetch_all(conn)
    .await
    .db()?;
    rows.into_iter()
        .map(|row| {
            Ok(EditableJob {
                id: row.id,
                batch_id: row.batch_id,
                status: parse_stored(&row.status, "job status", JobStatus::parse)?,
                site_url: row.site_url,
                inputs: row.inputs.0 .0,
                ground_truth: row.ground_truth.0 .0,
                invalid_reason: row.invalid_reason,
                attempts: to_u32(row.attempts, "attempts")?,
                last_error: row.last_error,
            })
        })
        .collect()
}

/// Writes the edited jobs back in one statement.
async fn write_jobs(conn: &mut PgConnection, jobs: &[EditableJob]) -> Result<()> {
    let mut ids = Vec::with_capacity(jobs.len());
    let mut statuses = Vec::with_capacity(jobs.len());
    let mut site_urls = Vec::with_capacity(jobs.len());
    let mut inputs = Vec::with_capacity(jobs.len());
    let mut ground_truths = Vec::with_capacity(jobs.len());
    let mut reasons = Vec::with_capacity(jobs.len());
    let mut attempts = Vec::with_capacity(jobs.len());
    let mut errors = Vec::with_capacity(jobs.len());
    for job in jobs {
        ids.push(job.id);
        statuses.push(job.status.as_str());
        site_urls.push(job.site_url.as_str());
        inputs.push(serde_json::to_string(&PairsRef(&job.inputs))?);
        ground_truths.push(serde_json::to_string(&PairsRef(&job.ground_truth))?);
        reasons.push(job.invalid_reason.as_deref());
        attempts.push(to_i32(job.attempts, "attempts")?);
        errors.push(job.last_error.as_deref());
    }
    sqlx::query(
        "UPDATE jobs AS j SET status = u.status, site_url = u.site_url, \
         inputs = u.inputs::jsonb, ground_truth = u.ground_truth::jsonb, \
         invalid_reason = u.invalid_reason, attempts = u.attempts, last_error = u.last_error, \
         updated_at = now() \
         FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], \
                     $7::integer[], $8::text[]) \
              AS u(id, status, site_url, inputs, ground_truth, invalid_reason, attempts, \
                   last_error) \
         WHERE j.id = u.id",
    )
    .bind(ids)
    .bind(statuses)
    .bind(site_urls)
    .bind(inputs)
    .bind(ground_truths)
    .bind(reasons)
    .bind(attempts)
    .bind(errors)
    .execute(conn)
    .await
    .db()?;
    Ok(())
}

fn is_active(status: JobStatus) -> bool {
    matches!(status, JobStatus::Queued | JobStatus::Running)
}

/// A conflict when any of the locked jobs is held by an active execution.
fn refuse_active(jobs: &[EditableJob], action: &str) -> Result<()> {
    let active: Vec<&EditableJob> = jobs.iter().filter(|j| is_active(j.status)).collect();
    match active.first() {
        None => Ok(()),
        Some(first) => Err(Error::conflict(format!(
            "cannot {action} {} job(s) that are queued or running in an active execution \
             (e.g. job {})",
            active.len(),
            first.id
        ))
        .with_context("job_id", first.id.to_string())),
    }
}

fn uuids(ids: &[JobId]) -> Vec<Uuid> {
    ids.iter().map(|id| id.0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(status: JobStatus) -> EditableJob {
        let mut ground_truth = IndexMap::new();
        ground_truth.insert("price".to_owned(), "10".to_owned());
        ground_truth.insert("name".to_owned(), "Acme".to_owned());
        EditableJob {
            id: Uuid::nil(),
            batch_id: Uuid::nil(),
            status,
            site_url: String::new(),
            inputs: IndexMap::new(),
            ground_truth,
            invalid_reason: Some("no URL".to_owned()),
            attempts: 3,
            last_error: Some("timeout".to_owned()),
        }
    }

    #[test]
    fn a_usable_url_makes_an_invalid_job_pending() {
        let mut j = job(JobStatus::Invalid);
        apply_update(
            &mut j,
            &JobUpdate {
                site_url: Some("  https://a.example ".to_owned()),
                ..Default::default()
            },
        );
        assert_eq!(j.status, JobStatus::Pending);
        assert_eq!(j.invalid_reason, None);
        assert_eq!(j.site_url, "https://a.example");
    }

    #[test]
    fn ground_truth_merges_and_empty_removes() {
        let mut j = job(JobStatus::Completed);
        let mut gt = IndexMap::new();
        gt.insert("price".to_owned(), " ".to_owned());
        gt.insert("email".to_owned(), "a@b.c".to_owned());
        gt.insert("name".to_owned(), "Acme Inc".to_owned());
        apply_update(
            &mut j,
            &JobUpdate {
                ground_truth: Some(gt),
                ..Default::default()
            },
        );
        let fields: Vec<(&str, &str)> = j
            .ground_truth
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(fields, vec![("name", "Acme Inc"), ("email", "a@b.c")]);
    }

    #[test]
    fn pending_resets_attempts_but_invalid_jobs_keep_their_status() {
        let mut done = job(JobStatus::Failed);
        let reset = JobUpdate {
            status: Some(JobStatus::Pending),
            ..Default::default()
        };
        apply_update(&mut done, &reset);
        assert_eq!(done.status, JobStatus::Pending);
        assert_eq!(done.attempts, 0);
        assert_eq!(done.last_error, None);

        let mut invalid = job(JobStatus::Invalid);
        apply_update(&mut invalid, &reset);
        assert_eq!(invalid.status, JobStatus::Invalid);
    }

    #[test]
    fn active_jobs_are_refused() {
        let jobs = vec![job(JobStatus::Completed), job(JobStatus::Running)];
        let err = refuse_active(&jobs, "delete").err().map(|e| e.kind());
        assert_eq!(err, Some(mino_core::ErrorKind::Conflict));
        assert!(refuse_active(&jobs[..1], "delete").is_ok());
    }
}
