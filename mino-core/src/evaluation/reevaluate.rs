//! Re-scoring stored jobs against their ground truth without running any agent again.

use tracing::{debug, info};

use super::job::JobEvaluator;
use crate::error::{Error, Result};
use crate::model::{Evaluation, Job, JobFilter, JobId, JobStatus, Project};
use crate::store::{Cursor, PageRequest, Store};

/// Jobs fetched and written per round trip.
pub const REEVALUATE_PAGE: u32 = 500;

/// Evaluates again every job of `project` matching `filter`, with the project's current
/// output fields, comparators and settings, and stores the results with
/// [`Store::save_evaluations`], one page of [`REEVALUATE_PAGE`] jobs at a time.
///
/// # Behavior
///
/// - Only jobs of `project` are touched: the filter's `project_id` is set to it, and a
///   filter naming another project is a validation error.
/// - A job with an extraction is evaluated against it. A `failed` job without one is
///   evaluated as if the agent returned nothing (every field with ground truth fails as
///   missing). Any other job without an extraction gets its evaluation cleared.
/// - `queued` and `running` jobs are skipped: their attempt will store a fresh evaluation
///   when it finishes, and writing now could overwrite it with a stale one.
/// - A bad comparator override is a validation error before anything is written.
///
/// Returns how many jobs were written.
pub async fn reevaluate(store: &dyn Store, project: &Project, filter: &JobFilter) -> Result<u64> {
    if filter.project_id.is_some_and(|p| p != project.id) {
        return Err(Error::validation(
            "the filter names another project than the one re-evaluated",
        )
        .with_context("field", "project_id"));
    }
    let evaluator = JobEvaluator::new(&project.output_fields, &project.settings)?;
    let filter = JobFilter {
        project_id: Some(project.id),
        ..filter.clone()
    };
    let mut written = 0;
    let mut cursor: Option<Cursor> = None;
    loop {
        let page = store
            .list_jobs(&filter, PageRequest::new(REEVALUATE_PAGE, cursor)?)
            .await?;
        let updates: Vec<(JobId, Option<Evaluation>)> = page
            .data
            .iter()
            .filter_map(|job| evaluation_for(&evaluator, job).map(|e| (job.id, e)))
            .collect();
        if !updates.is_empty() {
            written += store.save_evaluations(updates).await?;
        }
        debug!(project = %project.id, written, "re-evaluated a page of jobs");
        match page.next_cursor {
            Some(next) => cursor = Some(Cursor::decode(&next)?),
            None => break,
        }
    }
    info!(project = %project.id, written, "re-evaluation finished");
    Ok(written)
}

/// Evaluates again the given jobs of `project` (ids of other projects or unknown ids are
/// skipped), by the same rules as [`reevaluate`]. Returns how many jobs were written.
pub async fn reevaluate_jobs(store: &dyn Store, project: &Project, ids: &[JobId]) -> Result<u64> {
    let evaluator = JobEvaluator::new(&project.output_fields, &project.settings)?;
    let mut updates = Vec::with_capacity(ids.len());
    for id in ids {
        let job = match store.get_job(*id).await {
            Ok(job) => job,
            Err(err) if err.kind() == crate::ErrorKind::NotFound => continue,
            Err(err) => return Err(err),
        };
        if job.project_id != project.id {
            continue;
        }
        if let Some(evaluation) = evaluation_for(&evaluator, &job) {
            updates.push((job.id, evaluation));
        }
    }
    if updates.is_empty() {
        return Ok(0);
    }
    store.save_evaluations(updates).await
}

/// What to store for one job: `None` to leave it alone, `Some(None)` to clear it.
fn evaluation_for(evaluator: &JobEvaluator, job: &Job) -> Option<Option<Evaluation>> {
    match (job.status, &job.extraction) {
        (JobStatus::Queued | JobStatus::Running, _) => None,
        (_, Some(extraction)) => Some(Some(
            evaluator.evaluate(&job.ground_truth, Some(extraction)),
        )),
        (JobStatus::Failed, None) => Some(Some(evaluator.evaluate(&job.ground_truth, None))),
        (_, None) if job.evaluation.is_some() => Some(None),
        (_, None) => None,
    }
}
