//! The [`Store`] trait: every persistent operation of MINO.
//!
//! Implementations live in `mino-store` (SQLite, Postgres); a conformance suite in
//! `mino-store/tests` runs the same tests against each of them, checking exactly the
//! behaviour described here.

mod page;
mod queue;

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

pub use page::{Cursor, Page, PageRequest, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, MIN_PAGE_LIMIT};
pub use queue::{AttemptResult, Claim, FinishedAttempt, NextStep, Reclaimed};

use crate::error::{Error, Result};
use crate::metrics::UsageTotals;
use crate::model::*;

/// A store shared between tasks.
pub type DynStore = Arc<dyn Store>;

/// Rows to store as jobs of a new batch, in file order. An `Err` item aborts the whole batch.
pub type JobRows = Box<dyn Iterator<Item = Result<NewJob>> + Send>;

/// The most ids one bulk delete may name.
pub const BULK_DELETE_MAX: usize = 1_000;
/// The most ids one bulk update may name.
pub const BULK_UPDATE_MAX: usize = 1_000;
/// The most ids one bulk rerun may name.
pub const BULK_RERUN_MAX: usize = 100;

/// Checks the size of a bulk operation: 1 to `max` ids.
pub fn check_bulk(op: &'static str, len: usize, max: usize) -> Result<()> {
    if len == 0 || len > max {
        return Err(Error::validation(format!(
            "{op} takes between 1 and {max} job ids, got {len}"
        ))
        .with_context("field", "job_ids")
        .with_context("max", max.to_string()));
    }
    Ok(())
}

/// Filters for batch lists.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BatchFilter {
    /// Batches of this project.
    #[serde(default)]
    pub project_id: Option<ProjectId>,
}

/// Filters for execution lists.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExecutionFilter {
    /// Executions of this project.
    #[serde(default)]
    pub project_id: Option<ProjectId>,
    /// Executions of this batch.
    #[serde(default)]
    pub batch_id: Option<BatchId>,
    /// Executions with any of these statuses (empty: any).
    #[serde(default)]
    pub statuses: Vec<ExecutionStatus>,
}

/// Every persistent operation of MINO.
///
/// # Behavior
///
/// - Every list returns rows in a stable order (ascending id, which is creation order, except
///   instruction versions, ascending by number) and pages with [`PageRequest`]: a page holds at
///   most `limit` rows and a `next_cursor` when more rows follow. Rows inserted between two
///   page requests never cause a duplicate or skip a row that existed before.
/// - Getting, updating or deleting an id that does not exist is [`ErrorKind::NotFound`]
///   (crate::ErrorKind::NotFound), naming the entity.
/// - Deleting a project deletes its instruction versions, batches, jobs, executions,
///   sessions, snapshots and artifacts. Deleting a batch deletes its jobs, executions,
///   sessions, snapshots and artifacts. Deleting jobs deletes their sessions and artifacts.
/// - Multi-row writes (a batch with its jobs, a bulk operation, an execution with its job
///   selection) are atomic: on error nothing of them is stored.
/// - Input is validated before anything is written (names, output fields, settings, ranges,
///   bulk sizes) with [`ErrorKind::Validation`](crate::ErrorKind::Validation) errors.
#[async_trait]
pub trait Store: Send + Sync + Debug + 'static {
    /// A short name of the backend, e.g. `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    // ---- projects -------------------------------------------------------------------------

    /// Creates a project and its instruction version 1.
    async fn create_project(&self, new: NewProject) -> Result<Project>;

    /// Gets a project.
    async fn get_project(&self, id: ProjectId) -> Result<Project>;

    /// Lists projects.
    async fn list_projects(&self, page: PageRequest) -> Result<Page<Project>>;

    /// Updates a project. When the new instructions or output fields differ from the current
    /// ones, a new instruction version (current + 1) is stored and becomes current.
    async fn update_project(&self, id: ProjectId, update: ProjectUpdate) -> Result<Project>;

    /// Deletes a project and everything under it.
    async fn delete_project(&self, id: ProjectId) -> Result<()>;

    /// Lists a project's instruction versions, oldest first.
    async fn list_instruction_versions(
        &self,
        project: ProjectId,
        page: PageRequest,
    ) -> Result<Page<InstructionVersion>>;

    /// Gets one instruction version.
    async fn get_instruction_version(
        &self,
        project: ProjectId,
        version: u32,
    ) -> Result<InstructionVersion>;

    // ---- batches --------------------------------------------------------------------------

    /// Creates a batch with one job per row, in one transaction. Rows with an
    /// `invalid_reason` become `invalid` jobs, the others `pending`. The batch's
    /// total/valid/invalid counts are those of the rows stored. An `Err` row aborts everything.
    async fn create_batch(&self, new: NewBatch, rows: JobRows) -> Result<Batch>;

    /// Gets a batch.
    async fn get_batch(&self, id: BatchId) -> Result<Batch>;

    /// Lists batches.
    async fn list_batches(&self, filter: BatchFilter, page: PageRequest) -> Result<Page<Batch>>;

    /// Updates a batch.
    async fn update_batch(&self, id: BatchId, update: BatchUpdate) -> Result<Batch>;

    /// Deletes a batch and everything under it.
    async fn delete_batch(&self, id: BatchId) -> Result<()>;

    // ---- jobs -----------------------------------------------------------------------------

    /// Gets a job.
    async fn get_job(&self, id: JobId) -> Result<Job>;

    /// Lists jobs matching a filter, in id (row) order.
    async fn list_jobs(&self, filter: &JobFilter, page: PageRequest) -> Result<Page<Job>>;

    /// Counts jobs matching a filter, by status.
    async fn count_jobs(&self, filter: &JobFilter) -> Result<StatusCounts>;

    /// Updates one job. Inputs and ground truth are merged key by key (an empty ground-truth
    /// value removes that field). Setting a usable `site_url` on an invalid job makes it
    /// pending and clears its reason. Setting `status` on a queued or running job is a
    /// conflict; invalid jobs keep their status (fix their `site_url` instead).
    async fn update_job(&self, id: JobId, update: JobUpdate) -> Result<Job>;

    /// Deletes up to [`BULK_DELETE_MAX`] jobs; returns how many existed. Queued or running
    /// jobs are a conflict and nothing is deleted.
    async fn bulk_delete_jobs(&self, ids: &[JobId]) -> Result<u64>;

    /// Applies one update to up to [`BULK_UPDATE_MAX`] jobs; returns how many existed.
    async fn bulk_update_jobs(&self, ids: &[JobId], update: JobUpdate) -> Result<u64>;

    /// Applies a different update to each of up to [`BULK_UPDATE_MAX`] jobs, atomically (a
    /// job named twice gets both updates, in order); returns how many distinct jobs existed.
    /// The rules of [`update_job`](Store::update_job) apply to each; one conflict or
    /// invalid update leaves every job as it was.
    async fn update_jobs_each(&self, updates: Vec<(JobId, JobUpdate)>) -> Result<u64>;

    /// Lists recorded ground-truth changes matching a filter, oldest first.
    ///
    /// Every update that changes a job's ground truth (single, bulk, or per job) records one
    /// [`GroundTruthChange`] per field whose value changed, in the same transaction, with the
    /// update's `changed_by`. Changes stay when their job is deleted and go with its batch.
    async fn list_ground_truth_changes(
        &self,
        filter: &GroundTruthChangeFilter,
        page: PageRequest,
    ) -> Result<Page<GroundTruthChange>>;

    /// Resets up to [`BULK_RERUN_MAX`] jobs to `pending` (attempts and last error cleared, the
    /// last extraction kept until a new one replaces it); returns how many were reset.
    /// Invalid jobs are left as they are. Queued or running jobs are a conflict.
    async fn bulk_rerun_jobs(&self, ids: &[JobId]) -> Result<u64>;

    /// Stores evaluations (and their accuracy) for jobs; `None` clears a job's evaluation.
    /// Unknown job ids are skipped. Returns how many jobs were updated.
    async fn save_evaluations(&self, evaluations: Vec<(JobId, Option<Evaluation>)>) -> Result<u64>;

    /// The ids of every job matching a filter, in id order (for drawing samples and building
    /// execution selections without loading whole jobs).
    async fn job_ids(&self, filter: &JobFilter) -> Result<Vec<JobId>> {
        let mut ids = Vec::new();
        let mut cursor = None;
        loop {
            let page = self
                .list_jobs(filter, PageRequest::new(MAX_PAGE_LIMIT, cursor)?)
                .await?;
            ids.extend(page.data.iter().map(|j| j.id));
            match page.next_cursor {
                Some(c) => cursor = Some(Cursor::decode(&c)?),
                None => return Ok(ids),
            }
        }
    }

    /// Sums the usage (sessions, distinct jobs, tokens, cost per execution) of the sessions
    /// of the jobs matching `filter` that ever ran (have an `execution_id`); when the filter
    /// names an execution, only that execution's sessions count. Executions come oldest
    /// first. The default reads every job's sessions; stores override it with one query.
    async fn usage_totals(&self, filter: &JobFilter) -> Result<UsageTotals> {
        crate::metrics::usage_by_paging(self, filter).await
    }

    // ---- executions -----------------------------------------------------------------------

    /// Creates a running execution over the selected jobs of its batch, in one transaction:
    /// every selected job becomes `queued` with `attempts = 0` and `execution_id` set.
    /// Invalid jobs are never selected; ids from another batch are a validation error; a
    /// selected job that is queued or running (it belongs to another active execution) is
    /// a conflict; an empty selection is a validation error.
    async fn create_execution(
        &self,
        new: NewExecution,
        selection: JobSelection,
    ) -> Result<Execution>;

    /// Gets an execution with its counts.
    async fn get_execution(&self, id: ExecutionId) -> Result<Execution>;

    /// Lists executions.
    async fn list_executions(
        &self,
        filter: ExecutionFilter,
        page: PageRequest,
    ) -> Result<Page<Execution>>;

    /// Changes an execution's status or concurrency. Changing a finished (completed,
    /// stopped, failed) execution is a conflict.
    ///
    /// Setting `stopping` (or a finished status) cancels the execution's queued jobs in the
    /// same transaction; running ones are left to their workers, which learn from their next
    /// heartbeat that they must abort. A `stopping` execution with nothing running becomes
    /// `stopped` at once; otherwise it becomes `stopped` when its last running attempt ends.
    /// A finished status sets `finished_at`.
    async fn update_execution(&self, id: ExecutionId, update: ExecutionUpdate)
        -> Result<Execution>;

    // ---- engine queue ---------------------------------------------------------------------

    /// Claims up to `max` queued jobs for `worker`, each held with a lease until now + `lease`.
    ///
    /// Only jobs of `running` executions whose retry time (if any) has passed are claimed,
    /// oldest execution first, and never so many that an execution has more running jobs than
    /// its concurrency — counted across every worker sharing the store. Each claimed job
    /// becomes `running` with `attempts + 1` (in the job and in its execution's record), and a
    /// `running` session is created for the attempt, all in one transaction.
    async fn claim_jobs(&self, worker: &str, max: u32, lease: Duration) -> Result<Vec<Claim>>;

    /// Extends to now + `lease` the leases that `worker` still holds among `jobs`. Returns the
    /// jobs among `jobs` that it no longer holds, or whose execution is stopping or finished:
    /// the worker must abort those attempts.
    async fn heartbeat(&self, worker: &str, jobs: &[JobId], lease: Duration) -> Result<Vec<JobId>>;

    /// Records the result of an attempt in one transaction: finishes its session, moves the job
    /// as `result.next` says (in the job and in its execution's record), stores the extraction
    /// and evaluation when completed, and ends the execution when this was its last
    /// non-terminal job (`completed`, or `stopped` when it was stopping).
    ///
    /// A conflict when `worker` no longer holds the job under this session (its lease expired
    /// and the job was reclaimed): then nothing is written, so no job is ever finished twice.
    async fn finish_attempt(
        &self,
        worker: &str,
        session: SessionId,
        result: AttemptResult,
    ) -> Result<FinishedAttempt>;

    /// Closes every attempt whose lease has expired: its session becomes `lost`, with an error
    /// naming the worker that stopped heartbeating, and its job is queued again at once — or
    /// failed when no attempts are left, or cancelled when its execution is stopping or
    /// finished. Ends the executions that thereby finish.
    async fn reclaim_expired(&self) -> Result<Vec<Reclaimed>>;

    // ---- sessions -------------------------------------------------------------------------

    /// Starts a session (status `running`).
    async fn create_session(&self, new: NewSession) -> Result<Session>;

    /// Records how a session ended. Finishing a session twice is a conflict.
    async fn finish_session(&self, id: SessionId, outcome: SessionOutcome) -> Result<Session>;

    /// Gets a session.
    async fn get_session(&self, id: SessionId) -> Result<Session>;

    /// Lists a job's sessions, oldest first.
    async fn list_sessions(&self, job: JobId, page: PageRequest) -> Result<Page<Session>>;

    // ---- metrics snapshots ----------------------------------------------------------------

    /// Stores a snapshot.
    async fn create_snapshot(&self, new: NewSnapshot) -> Result<MetricsSnapshot>;

    /// Lists a batch's snapshots, oldest first.
    async fn list_snapshots(
        &self,
        batch: BatchId,
        page: PageRequest,
    ) -> Result<Page<MetricsSnapshot>>;

    // ---- artifacts ------------------------------------------------------------------------

    /// Stores a blob.
    async fn put_artifact(&self, new: NewArtifact) -> Result<Artifact>;

    /// Gets a blob and its metadata.
    async fn get_artifact(&self, id: ArtifactId) -> Result<(Artifact, Vec<u8>)>;
}
