//! Jobs: details with sessions, edits, bulk operations.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::executions::StartExecution;
use super::Platform;
use crate::error::Result;
use crate::evaluation::reevaluate_jobs;
use crate::model::{
    BatchId, Execution, ExecutionMode, Job, JobFilter, JobId, JobStatus, JobUpdate, ProjectId,
    Session,
};
use crate::store::{check_bulk, Cursor, Page, PageRequest, BULK_RERUN_MAX};

/// A job with every attempt made at it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobDetail {
    /// The job.
    pub job: Job,
    /// Its sessions, oldest first.
    pub sessions: Vec<Session>,
}

impl Platform {
    /// A job with its sessions (all of them, oldest first).
    pub async fn job(&self, id: JobId) -> Result<JobDetail> {
        let job = self.inner.store.get_job(id).await?;
        let mut sessions = Vec::new();
        let mut cursor: Option<Cursor> = None;
        loop {
            let page = self
                .inner
                .store
                .list_sessions(id, PageRequest::new(500, cursor)?)
                .await?;
            sessions.extend(page.data);
            match page.next_cursor {
                Some(c) => cursor = Some(Cursor::decode(&c)?),
                None => break,
            }
        }
        Ok(JobDetail { job, sessions })
    }

    /// Lists jobs matching a filter.
    pub async fn jobs(&self, filter: &JobFilter, page: PageRequest) -> Result<Page<Job>> {
        self.inner.store.list_jobs(filter, page).await
    }

    /// Updates a job; a change of ground truth scores it again at once.
    pub async fn update_job(&self, id: JobId, update: JobUpdate) -> Result<Job> {
        update.validate()?;
        let rescore = update.ground_truth.is_some();
        let job = self.inner.store.update_job(id, update).await?;
        if rescore {
            self.rescore(&[job.id], job.project_id).await?;
            return self.inner.store.get_job(id).await;
        }
        Ok(job)
    }

    /// Deletes up to 1,000 jobs; returns how many existed.
    pub async fn bulk_delete_jobs(&self, ids: &[JobId]) -> Result<u64> {
        self.inner.store.bulk_delete_jobs(ids).await
    }

    /// Applies one update to up to 1,000 jobs; returns how many existed. A change of ground
    /// truth scores them again.
    pub async fn bulk_update_jobs(&self, ids: &[JobId], update: JobUpdate) -> Result<u64> {
        update.validate()?;
        let rescore = update.ground_truth.is_some();
        let n = self.inner.store.bulk_update_jobs(ids, update).await?;
        if rescore && n > 0 {
            let first = self.first_existing(ids).await?;
            if let Some(job) = first {
                self.rescore(ids, job.project_id).await?;
            }
        }
        Ok(n)
    }

    /// Runs up to 100 jobs again: they are reset to pending and a production execution is
    /// started over them, one per batch they belong to.
    pub async fn bulk_rerun_jobs(
        &self,
        ids: &[JobId],
        concurrency: Option<u32>,
    ) -> Result<Vec<Execution>> {
        check_bulk("bulk rerun", ids.len(), BULK_RERUN_MAX)?;
        self.inner.store.bulk_rerun_jobs(ids).await?;
        let mut by_batch: BTreeMap<BatchId, (ProjectId, Vec<JobId>)> = BTreeMap::new();
        for id in ids {
            match self.inner.store.get_job(*id).await {
                Ok(job) if job.status == JobStatus::Pending => {
                    by_batch
                        .entry(job.batch_id)
                        .or_insert_with(|| (job.project_id, Vec::new()))
                        .1
                        .push(job.id);
                }
                Ok(_) => {}
                Err(err) if err.kind() == crate::ErrorKind::NotFound => {}
                Err(err) => return Err(err),
            }
        }
        let mut executions = Vec::new();
        for (batch, (project, jobs)) in by_batch {
            let execution = self
                .start_execution_over(
                    project,
                    batch,
                    StartExecution {
                        mode: Some(ExecutionMode::Production),
                        concurrency,
                        ..StartExecution::default()
                    },
                    Some(jobs),
                )
                .await?;
            executions.push(execution);
        }
        Ok(executions)
    }

    async fn first_existing(&self, ids: &[JobId]) -> Result<Option<Job>> {
        for id in ids {
            match self.inner.store.get_job(*id).await {
                Ok(job) => return Ok(Some(job)),
                Err(err) if err.kind() == crate::ErrorKind::NotFound => continue,
                Err(err) => return Err(err),
            }
        }
        Ok(None)
    }

    /// Scores the given jobs of a project again.
    pub(super) async fn rescore(&self, ids: &[JobId], project: ProjectId) -> Result<()> {
        let project = self.inner.store.get_project(project).await?;
        reevaluate_jobs(self.inner.store.as_ref(), &project, ids).await?;
        Ok(())
    }
}
