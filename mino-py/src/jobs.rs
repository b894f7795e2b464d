//! Jobs: details with sessions, filtered lists, edits and bulk operations.

use mino::model::{
    Accuracy, BatchId, ExecutionId, JobFilter, JobId, JobStatus, JobUpdate, ProjectId,
};
use pyo3::prelude::*;

use crate::convert::{id_of, ids_of, opt_id, parse_enum, parse_enums, string_map};
use crate::executions::Execution;
use crate::paging::{Item, PageIterator};
use crate::platform::Platform;
use crate::runtime::run;
use crate::types::Job;

/// The job filter of the keyword arguments shared by `jobs()` and `export()`.
#[allow(clippy::too_many_arguments)]
pub fn job_filter(
    py: Python<'_>,
    project: Option<&Bound<'_, PyAny>>,
    batch: Option<&Bound<'_, PyAny>>,
    execution: Option<&Bound<'_, PyAny>>,
    status: Option<&Bound<'_, PyAny>>,
    accuracy: Option<&str>,
    has_ground_truth: Option<bool>,
    search: Option<String>,
) -> PyResult<JobFilter> {
    Ok(JobFilter {
        project_id: opt_id::<ProjectId>(project)?,
        batch_id: opt_id::<BatchId>(batch)?,
        execution_id: opt_id::<ExecutionId>(execution)?,
        statuses: parse_enums(py, status, "status")?,
        has_ground_truth,
        accuracy: accuracy
            .map(|a| parse_enum::<Accuracy>(py, a, "accuracy"))
            .transpose()?,
        search: search.filter(|s| !s.trim().is_empty()),
    })
}

/// The update of the keyword arguments shared by `update_job()` and `update_jobs()`.
fn job_update(
    py: Python<'_>,
    site_url: Option<String>,
    inputs: Option<&Bound<'_, PyAny>>,
    ground_truth: Option<&Bound<'_, PyAny>>,
    status: Option<&str>,
    changed_by: Option<String>,
) -> PyResult<JobUpdate> {
    Ok(JobUpdate {
        site_url,
        inputs: inputs.map(|i| string_map(i, "inputs")).transpose()?,
        ground_truth: ground_truth
            .map(|g| string_map(g, "ground_truth"))
            .transpose()?,
        status: status
            .map(|s| parse_enum::<JobStatus>(py, s, "status"))
            .transpose()?,
        changed_by,
    })
}

#[pymethods]
impl Platform {
    /// A job with every attempt made at it (``job.sessions``, oldest first).
    fn job(&self, py: Python<'_>, job: &Bound<'_, PyAny>) -> PyResult<Job> {
        let id: JobId = id_of(job)?;
        let platform = self.core()?;
        let detail = run(py, async move { platform.job(id).await })?;
        Ok(Job::new(&detail.job, Some(&detail.sessions)))
    }

    /// Jobs in row order matching every filter given, fetched ``page_size`` at a time as you
    /// iterate (start after ``cursor`` to resume an earlier listing).
    ///
    /// ``status`` is one status or a list (pending, queued, running, completed, failed,
    /// cancelled, invalid); ``accuracy`` is pass, partial or fail; ``search`` matches the site
    /// URL (case-insensitive).
    #[pyo3(signature = (*, project = None, batch = None, execution = None, status = None, accuracy = None, has_ground_truth = None, search = None, page_size = 100, cursor = None))]
    #[allow(clippy::too_many_arguments)]
    fn jobs(
        slf: &Bound<'_, Self>,
        project: Option<&Bound<'_, PyAny>>,
        batch: Option<&Bound<'_, PyAny>>,
        execution: Option<&Bound<'_, PyAny>>,
        status: Option<&Bound<'_, PyAny>>,
        accuracy: Option<&str>,
        has_ground_truth: Option<bool>,
        search: Option<String>,
        page_size: u32,
        cursor: Option<String>,
    ) -> PyResult<PageIterator> {
        let filter = job_filter(
            slf.py(),
            project,
            batch,
            execution,
            status,
            accuracy,
            has_ground_truth,
            search,
        )?;
        PageIterator::new(slf, page_size, cursor, move |platform, page| {
            let filter = filter.clone();
            Box::pin(async move {
                let page = platform.jobs(&filter, page).await?;
                Ok(page.map(|j| Item::Job(Box::new(Job::new(&j, None)))))
            })
        })
    }

    /// Changes one job: ``inputs`` and ``ground_truth`` are merged into what it has (an empty
    /// value removes a ground-truth field, and the job is scored again; ``changed_by`` names
    /// who, in the audit trail); ``status`` may only be ``pending`` (reset) or ``cancelled``.
    #[pyo3(signature = (job, *, site_url = None, inputs = None, ground_truth = None, status = None, changed_by = None))]
    #[allow(clippy::too_many_arguments)]
    fn update_job(
        &self,
        py: Python<'_>,
        job: &Bound<'_, PyAny>,
        site_url: Option<String>,
        inputs: Option<&Bound<'_, PyAny>>,
        ground_truth: Option<&Bound<'_, PyAny>>,
        status: Option<&str>,
        changed_by: Option<String>,
    ) -> PyResult<Job> {
        let id: JobId = id_of(job)?;
        let update = job_update(py, site_url, inputs, ground_truth, status, changed_by)?;
        let platform = self.core()?;
        let job = run(py, async move { platform.update_job(id, update).await })?;
        Ok(Job::new(&job, None))
    }

    /// Applies one change to up to 1,000 jobs (as ``update_job``); returns how many existed.
    #[pyo3(signature = (jobs, *, site_url = None, inputs = None, ground_truth = None, status = None, changed_by = None))]
    #[allow(clippy::too_many_arguments)]
    fn update_jobs(
        &self,
        py: Python<'_>,
        jobs: &Bound<'_, PyAny>,
        site_url: Option<String>,
        inputs: Option<&Bound<'_, PyAny>>,
        ground_truth: Option<&Bound<'_, PyAny>>,
        status: Option<&str>,
        changed_by: Option<String>,
    ) -> PyResult<u64> {
        let ids: Vec<JobId> = ids_of(jobs)?;
        let update = job_update(py, site_url, inputs, ground_truth, status, changed_by)?;
        let platform = self.core()?;
        run(
            py,
            async move { platform.bulk_update_jobs(&ids, update).await },
        )
    }

    /// Deletes up to 1,000 jobs; returns how many existed.
    fn delete_jobs(&self, py: Python<'_>, jobs: &Bound<'_, PyAny>) -> PyResult<u64> {
        let ids: Vec<JobId> = ids_of(jobs)?;
        let platform = self.core()?;
        run(py, async move { platform.bulk_delete_jobs(&ids).await })
    }

    /// Runs up to 100 jobs again: they are reset and a production execution starts over
    /// them, one per batch they belong to.
    #[pyo3(signature = (jobs, *, concurrency = None))]
    fn rerun_jobs(
        slf: &Bound<'_, Self>,
        jobs: &Bound<'_, PyAny>,
        concurrency: Option<u32>,
    ) -> PyResult<Vec<Execution>> {
        let ids: Vec<JobId> = ids_of(jobs)?;
        let platform = slf.get().core()?;
        let executions = run(slf.py(), async move {
            platform.bulk_rerun_jobs(&ids, concurrency).await
        })?;
        Ok(executions
            .into_iter()
            .map(|e| Execution::new(slf.clone().unbind(), e, None))
            .collect())
    }
}
