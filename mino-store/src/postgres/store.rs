//! [`Store`] for [`PostgresStore`]: each method hands over to its entity module.

use std::time::Duration;

use async_trait::async_trait;
use mino_core::metrics::UsageTotals;
use mino_core::model::*;
use mino_core::store::{
    AttemptResult, BatchFilter, Claim, ExecutionFilter, FinishedAttempt, JobRows, Page,
    PageRequest, Reclaimed, Store,
};
use mino_core::Result;

use super::{
    artifacts, batches, executions, ground_truth, job_writes, jobs, projects, queue, sessions,
    snapshots, usage, PostgresStore,
};

#[async_trait]
impl Store for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn create_project(&self, new: NewProject) -> Result<Project> {
        projects::create(&self.pool, new).await
    }

    async fn get_project(&self, id: ProjectId) -> Result<Project> {
        projects::get(&self.pool, id).await
    }

    async fn list_projects(&self, page: PageRequest) -> Result<Page<Project>> {
        projects::list(&self.pool, page).await
    }

    async fn update_project(&self, id: ProjectId, update: ProjectUpdate) -> Result<Project> {
        projects::update(&self.pool, id, update).await
    }

    async fn delete_project(&self, id: ProjectId) -> Result<()> {
        projects::delete(&self.pool, id).await
    }

    async fn list_instruction_versions(
        &self,
        project: ProjectId,
        page: PageRequest,
    ) -> Result<Page<InstructionVersion>> {
        projects::list_versions(&self.pool, project, page).await
    }

    async fn get_instruction_version(
        &self,
        project: ProjectId,
        version: u32,
    ) -> Result<InstructionVersion> {
        projects::get_version(&self.pool, project, version).await
    }

    async fn create_batch(&self, new: NewBatch, rows: JobRows) -> Result<Batch> {
        batches::create(&self.pool, new, rows).await
    }

    async fn get_batch(&self, id: BatchId) -> Result<Batch> {
        batches::get(&self.pool, id).await
    }

    async fn list_batches(&self, filter: BatchFilter, page: PageRequest) -> Result<Page<Batch>> {
        batches::list(&self.pool, filter, page).await
    }

    async fn update_batch(&self, id: BatchId, update: BatchUpdate) -> Result<Batch> {
        batches::update(&self.pool, id, update).await
    }

    async fn delete_batch(&self, id: BatchId) -> Result<()> {
        batches::delete(&self.pool, id).await
    }

    async fn get_job(&self, id: JobId) -> Result<Job> {
        jobs::get(&self.pool, id).await
    }

    async fn list_jobs(&self, filter: &JobFilter, page: PageRequest) -> Result<Page<Job>> {
        jobs::list(&self.pool, filter, page).await
    }

    async fn count_jobs(&self, filter: &JobFilter) -> Result<StatusCounts> {
        jobs::count(&self.pool, filter).await
    }

    async fn update_job(&self, id: JobId, update: JobUpdate) -> Result<Job> {
        job_writes::update(&self.pool, id, update).await
    }

    async fn bulk_delete_jobs(&self, ids: &[JobId]) -> Result<u64> {
        job_writes::bulk_delete(&self.pool, ids).await
    }

    async fn bulk_update_jobs(&self, ids: &[JobId], update: JobUpdate) -> Result<u64> {
        job_writes::bulk_update(&self.pool, ids, update).await
    }

    async fn usage_totals(&self, filter: &JobFilter) -> Result<UsageTotals> {
        usage::totals(&self.pool, filter).await
    }

    async fn update_jobs_each(&self, updates: Vec<(JobId, JobUpdate)>) -> Result<u64> {
        job_writes::update_each(&self.pool, updates).await
    }

    async fn list_ground_truth_changes(
        &self,
        filter: &GroundTruthChangeFilter,
        page: PageRequest,
    ) -> Result<Page<GroundTruthChange>> {
        ground_truth::list(&self.pool, filter, page).await
    }

    async fn bulk_rerun_jobs(&self, ids: &[JobId]) -> Result<u64> {
        job_writes::bulk_rerun(&self.pool, ids).await
    }

    async fn save_evaluations(&self, evaluations: Vec<(JobId, Option<Evaluation>)>) -> Result<u64> {
        job_writes::save_evaluations(&self.pool, evaluations).await
    }

    async fn create_execution(
        &self,
        new: NewExecution,
        selection: JobSelection,
    ) -> Result<Execution> {
        executions::create(&self.pool, new, selection).await
    }

    async fn get_execution(&self, id: ExecutionId) -> Result<Execution> {
        executions::get(&self.pool, id).await
    }

    async fn list_executions(
        &self,
        filter: ExecutionFilter,
        page: PageRequest,
    ) -> Result<Page<Execution>> {
        executions::list(&self.pool, filter, page).await
    }

    async fn update_execution(
        &self,
        id: ExecutionId,
        update: ExecutionUpdate,
    ) -> Result<Execution> {
        executions::update(&self.pool, id, update).await
    }

    async fn claim_jobs(&self, worker: &str, max: u32, lease: Duration) -> Result<Vec<Claim>> {
        queue::claim(&self.pool, worker, max, lease).await
    }

    async fn heartbeat(&self, worker: &str, jobs: &[JobId], lease: Duration) -> Result<Vec<JobId>> {
        queue::heartbeat(&self.pool, worker, jobs, lease).await
    }

    async fn finish_attempt(
        &self,
        worker: &str,
        session: SessionId,
        result: AttemptResult,
    ) -> Result<FinishedAttempt> {
        self.finisher.finish(worker, session, result).await
    }

    async fn reclaim_expired(&self) -> Result<Vec<Reclaimed>> {
        queue::reclaim(&self.pool).await
    }

    async fn create_session(&self, new: NewSession) -> Result<Session> {
        sessions::create(&self.pool, new).await
    }

    async fn finish_session(&self, id: SessionId, outcome: SessionOutcome) -> Result<Session> {
        sessions::finish(&self.pool, id, outcome).await
    }

    async fn get_session(&self, id: SessionId) -> Result<Session> {
        sessions::get(&self.pool, id).await
    }

    async fn list_sessions(&self, job: JobId, page: PageRequest) -> Result<Page<Session>> {
        sessions::list(&self.pool, job, page).await
    }

    async fn create_snapshot(&self, new: NewSnapshot) -> Result<MetricsSnapshot> {
        snapshots::create(&self.pool, new).await
    }

    async fn list_snapshots(
        &self,
        batch: BatchId,
        page: PageRequest,
    ) -> Result<Page<MetricsSnapshot>> {
        snapshots::list(&self.pool, batch, page).await
    }

    async fn put_artifact(&self, new: NewArtifact) -> Result<Artifact> {
        artifacts::put(&self.pool, new).await
    }

    async fn get_artifact(&self, id: ArtifactId) -> Result<(Artifact, Vec<u8>)> {
        artifacts::get(&self.pool, id).await
    }
}
