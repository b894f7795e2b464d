//! [`Store`] for [`SqliteStore`]: each method runs one entity function in a read snapshot or
//! a write transaction.

use std::time::Duration;

use async_trait::async_trait;

use super::{
    artifacts, attempts, batches, executions, ground_truth, job_bulk, job_query, jobs, projects,
    queue, selection, sessions, snapshots, usage, SqliteStore,
};
use mino_core::metrics::UsageTotals;
use mino_core::model::*;
use mino_core::store::{
    AttemptResult, BatchFilter, Claim, ExecutionFilter, FinishedAttempt, JobRows, Page,
    PageRequest, Reclaimed, Store,
};
use mino_core::Result;

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn create_project(&self, new: NewProject) -> Result<Project> {
        self.conns.write(move |tx| projects::create(tx, new)).await
    }

    async fn get_project(&self, id: ProjectId) -> Result<Project> {
        self.conns.read(move |tx| projects::get(tx, id)).await
    }

    async fn list_projects(&self, page: PageRequest) -> Result<Page<Project>> {
        self.conns.read(move |tx| projects::list(tx, &page)).await
    }

    async fn update_project(&self, id: ProjectId, update: ProjectUpdate) -> Result<Project> {
        self.conns
            .write(move |tx| projects::update(tx, id, update))
            .await
    }

    async fn delete_project(&self, id: ProjectId) -> Result<()> {
        self.conns.write(move |tx| projects::delete(tx, id)).await?;
        self.search.wake();
        Ok(())
    }

    async fn list_instruction_versions(
        &self,
        project: ProjectId,
        page: PageRequest,
    ) -> Result<Page<InstructionVersion>> {
        self.conns
            .read(move |tx| projects::list_versions(tx, project, &page))
            .await
    }

    async fn get_instruction_version(
        &self,
        project: ProjectId,
        version: u32,
    ) -> Result<InstructionVersion> {
        self.conns
            .read(move |tx| projects::get_version(tx, project, version))
            .await
    }

    async fn create_batch(&self, new: NewBatch, rows: JobRows) -> Result<Batch> {
        let batch = self
            .conns
            .write_bulk(move |tx| batches::create(tx, new, rows))
            .await?;
        self.search.wake();
        Ok(batch)
    }

    async fn get_batch(&self, id: BatchId) -> Result<Batch> {
        self.conns.read(move |tx| batches::get(tx, id)).await
    }

    async fn list_batches(&self, filter: BatchFilter, page: PageRequest) -> Result<Page<Batch>> {
        self.conns
            .read(move |tx| batches::list(tx, &filter, &page))
            .await
    }

    async fn update_batch(&self, id: BatchId, update: BatchUpdate) -> Result<Batch> {
        self.conns
            .write(move |tx| batches::update(tx, id, update))
            .await
    }

    async fn delete_batch(&self, id: BatchId) -> Result<()> {
        self.conns.write(move |tx| batches::delete(tx, id)).await?;
        self.search.wake();
        Ok(())
    }

    async fn get_job(&self, id: JobId) -> Result<Job> {
        self.conns.read(move |tx| jobs::get(tx, id)).await
    }

    async fn list_jobs(&self, filter: &JobFilter, page: PageRequest) -> Result<Page<Job>> {
        let filter = filter.clone();
        self.conns
            .read(move |tx| job_query::list(tx, &filter, &page))
            .await
    }

    async fn count_jobs(&self, filter: &JobFilter) -> Result<StatusCounts> {
        let filter = filter.clone();
        self.conns
            .read(move |tx| job_query::count(tx, &filter))
            .await
    }

    async fn job_ids(&self, filter: &JobFilter) -> Result<Vec<JobId>> {
        let filter = filter.clone();
        self.conns.read(move |tx| job_query::ids(tx, &filter)).await
    }

    async fn update_job(&self, id: JobId, update: JobUpdate) -> Result<Job> {
        self.conns
            .write(move |tx| jobs::update(tx, id, update))
            .await
    }

    async fn bulk_delete_jobs(&self, ids: &[JobId]) -> Result<u64> {
        let ids = ids.to_vec();
        let deleted = self
            .conns
            .write(move |tx| job_bulk::delete(tx, &ids))
            .await?;
        self.search.wake();
        Ok(deleted)
    }

    async fn bulk_update_jobs(&self, ids: &[JobId], update: JobUpdate) -> Result<u64> {
        let ids = ids.to_vec();
        self.conns
            .write(move |tx| job_bulk::update(tx, &ids, &update))
            .await
    }

    async fn usage_totals(&self, filter: &JobFilter) -> Result<UsageTotals> {
        let filter = filter.clone();
        self.conns.read(move |tx| usage::totals(tx, &filter)).await
    }

    async fn update_jobs_each(&self, updates: Vec<(JobId, JobUpdate)>) -> Result<u64> {
        self.conns
            .write(move |tx| job_bulk::update_each(tx, &updates))
            .await
    }

    async fn list_ground_truth_changes(
        &self,
        filter: &GroundTruthChangeFilter,
        page: PageRequest,
    ) -> Result<Page<GroundTruthChange>> {
        let filter = filter.clone();
        self.conns
            .read(move |tx| ground_truth::list(tx, &filter, &page))
            .await
    }

    async fn bulk_rerun_jobs(&self, ids: &[JobId]) -> Result<u64> {
        let ids = ids.to_vec();
        self.conns.write(move |tx| job_bulk::rerun(tx, &ids)).await
    }

    async fn save_evaluations(&self, evaluations: Vec<(JobId, Option<Evaluation>)>) -> Result<u64> {
        self.conns
            .write(move |tx| job_bulk::save_evaluations(tx, evaluations))
            .await
    }

    async fn create_execution(
        &self,
        new: NewExecution,
        selection: JobSelection,
    ) -> Result<Execution> {
        self.conns
            .write(move |tx| selection::create(tx, new, selection))
            .await
    }

    async fn get_execution(&self, id: ExecutionId) -> Result<Execution> {
        self.conns.read(move |tx| executions::get(tx, id)).await
    }

    async fn list_executions(
        &self,
        filter: ExecutionFilter,
        page: PageRequest,
    ) -> Result<Page<Execution>> {
        self.conns
            .read(move |tx| executions::list(tx, &filter, &page))
            .await
    }

    async fn update_execution(
        &self,
        id: ExecutionId,
        update: ExecutionUpdate,
    ) -> Result<Execution> {
        self.conns
            .write(move |tx| executions::update(tx, id, update))
            .await
    }

    async fn claim_jobs(&self, worker: &str, max: u32, lease: Duration) -> Result<Vec<Claim>> {
        let worker = worker.to_owned();
        self.conns
            .write(move |tx| queue::claim(tx, &worker, max, lease))
            .await
    }

    async fn heartbeat(&self, worker: &str, jobs: &[JobId], lease: Duration) -> Result<Vec<JobId>> {
        let (worker, jobs) = (worker.to_owned(), jobs.to_vec());
        self.conns
            .write(move |tx| queue::heartbeat(tx, &worker, &jobs, lease))
            .await
    }

    async fn finish_attempt(
        &self,
        worker: &str,
        session: SessionId,
        result: AttemptResult,
    ) -> Result<FinishedAttempt> {
        let worker = worker.to_owned();
        self.conns
            .write(move |tx| attempts::finish(tx, &worker, session, result))
            .await
    }

    async fn reclaim_expired(&self) -> Result<Vec<Reclaimed>> {
        self.conns.write(|tx| attempts::reclaim_expired(tx)).await
    }

    async fn create_session(&self, new: NewSession) -> Result<Session> {
        self.conns.write(move |tx| sessions::create(tx, new)).await
    }

    async fn finish_session(&self, id: SessionId, outcome: SessionOutcome) -> Result<Session> {
        self.conns
            .write(move |tx| sessions::finish(tx, id, outcome))
            .await
    }

    async fn get_session(&self, id: SessionId) -> Result<Session> {
        self.conns.read(move |tx| sessions::get(tx, id)).await
    }

    async fn list_sessions(&self, job: JobId, page: PageRequest) -> Result<Page<Session>> {
        self.conns
            .read(move |tx| sessions::list(tx, job, &page))
            .await
    }

    async fn create_snapshot(&self, new: NewSnapshot) -> Result<MetricsSnapshot> {
        self.conns.write(move |tx| snapshots::create(tx, new)).await
    }

    async fn list_snapshots(
        &self,
        batch: BatchId,
        page: PageRequest,
    ) -> Result<Page<MetricsSnapshot>> {
        self.conns
            .read(move |tx| snapshots::list(tx, batch, &page))
            .await
    }

    async fn put_artifact(&self, new: NewArtifact) -> Result<Artifact> {
        self.conns.write(move |tx| artifacts::put(tx, new)).await
    }

    async fn get_artifact(&self, id: ArtifactId) -> Result<(Artifact, Vec<u8>)> {
        self.conns.read(move |tx| artifacts::get(tx, id)).await
    }
}
