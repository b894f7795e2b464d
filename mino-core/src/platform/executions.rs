//! Executions: start (test sample or production), pause, resume, stop, concurrency, stats.

use chrono::Utc;
use rand::seq::IndexedRandom;
use rand::SeedableRng;
use serde::{Deserialize, Serialize};

use super::{not_active, Platform};
use crate::error::{Error, Result};
use crate::events::{Event, ExecutionStats};
use crate::model::{
    validate_concurrency, Accuracy, BatchId, Execution, ExecutionId, ExecutionMode,
    ExecutionStatus, ExecutionUpdate, JobFilter, JobId, JobSelection, JobStatus, NewExecution,
    ProjectId,
};
use crate::store::{ExecutionFilter, Page, PageRequest};

/// Which jobs a production execution takes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunScope {
    /// Every valid job.
    #[default]
    All,
    /// Jobs never run (or reset).
    Pending,
    /// Jobs that failed (retries exhausted included) or were cancelled.
    Failed,
    /// Jobs whose result does not pass ground truth (fail or partial).
    NotPassing,
    /// Everything not done well: pending, failed, cancelled or not passing — "rerun every
    /// row that failed" in one call.
    Unfinished,
}

impl RunScope {
    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Result<Self> {
        serde_json::from_value(serde_json::Value::String(s.to_owned())).map_err(|_| {
            Error::validation(format!(
                "unknown scope {s:?}: expected all, pending, failed, not_passing or unfinished"
            ))
            .with_context("field", "scope")
        })
    }

    /// The filters whose union is the scope (within one batch).
    fn filters(self, batch: BatchId) -> Vec<JobFilter> {
        let by_status = |statuses: Vec<JobStatus>| JobFilter {
            batch_id: Some(batch),
            statuses,
            ..JobFilter::default()
        };
        let by_accuracy = |accuracy| JobFilter {
            batch_id: Some(batch),
            statuses: vec![JobStatus::Completed],
            accuracy: Some(accuracy),
            ..JobFilter::default()
        };
        match self {
            RunScope::All => vec![by_status(vec![
                JobStatus::Pending,
                JobStatus::Completed,
                JobStatus::Failed,
                JobStatus::Cancelled,
            ])],
            RunScope::Pending => vec![by_status(vec![JobStatus::Pending])],
            RunScope::Failed => vec![by_status(vec![JobStatus::Failed, JobStatus::Cancelled])],
            RunScope::NotPassing => {
                vec![by_accuracy(Accuracy::Fail), by_accuracy(Accuracy::Partial)]
            }
            RunScope::Unfinished => vec![
                by_status(vec![
                    JobStatus::Pending,
                    JobStatus::Failed,
                    JobStatus::Cancelled,
                ]),
                by_accuracy(Accuracy::Fail),
                by_accuracy(Accuracy::Partial),
            ],
        }
    }
}

/// How to start an execution; unset values take the project's settings or the defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StartExecution {
    /// Test (a sample) or production; default test.
    pub mode: Option<ExecutionMode>,
    /// Sample size in test mode, 10–50 (default 10).
    pub sample_size: Option<u32>,
    /// Sample seed (default derived from the batch, so the same batch gives the same sample).
    pub seed: Option<u64>,
    /// Which jobs a production run takes (default all).
    pub scope: Option<RunScope>,
    /// Jobs at once, 1–50 (default 5).
    pub concurrency: Option<u32>,
    /// Attempts per job, 1–20 (default: the project's).
    pub max_attempts: Option<u32>,
    /// Time limit per attempt in seconds (default: the project's).
    pub job_timeout_secs: Option<u32>,
}

/// The default sample size of a test execution.
pub const DEFAULT_SAMPLE: u32 = 10;
/// The default concurrency.
pub const DEFAULT_CONCURRENCY: u32 = 5;

impl Platform {
    /// Starts an execution of `batch` (which must belong to `project`).
    ///
    /// Test mode draws a deterministic sample of valid jobs (seeded); production takes the
    /// jobs of its scope. A job already in an active execution is a conflict. The execution
    /// records the project's current instruction version.
    pub async fn start_execution(
        &self,
        project: ProjectId,
        batch: BatchId,
        start: StartExecution,
    ) -> Result<Execution> {
        self.start_execution_over(project, batch, start, None).await
    }

    /// [`Platform::start_execution`], over exactly `jobs` in production mode when given.
    pub(super) async fn start_execution_over(
        &self,
        project: ProjectId,
        batch: BatchId,
        start: StartExecution,
        jobs: Option<Vec<JobId>>,
    ) -> Result<Execution> {
        let project = self.inner.store.get_project(project).await?;
        let batch = self.inner.store.get_batch(batch).await?;
        if batch.project_id != project.id {
            return Err(Error::validation(format!(
                "batch {} does not belong to project {}",
                batch.id, project.id
            ))
            .with_context("field", "batch_id"));
        }
        if project.output_fields.is_empty() {
            return Err(Error::validation(
                "the project has no output fields: say what the agent should extract first",
            )
            .with_context("field", "output_fields"));
        }
        self.inner.agents.create_from(&project.agent)?;
        let mode = start.mode.unwrap_or(ExecutionMode::Test);
        let seed = start.seed.unwrap_or_else(|| seed_of(batch.id));
        let sample_size = match mode {
            ExecutionMode::Test => Some(start.sample_size.unwrap_or(DEFAULT_SAMPLE)),
            ExecutionMode::Production => None,
        };
        let new = NewExecution {
            project_id: project.id,
            batch_id: batch.id,
            mode,
            sample_size,
            seed: (mode == ExecutionMode::Test).then_some(seed),
            concurrency: start.concurrency.unwrap_or(DEFAULT_CONCURRENCY),
            max_attempts: start.max_attempts.unwrap_or(project.settings.max_attempts),
            job_timeout_secs: start
                .job_timeout_secs
                .unwrap_or(project.settings.job_timeout_secs),
            instruction_version: project.instruction_version,
        };
        new.validate()?;
        let selection = match mode {
            ExecutionMode::Test => {
                let n = sample_size.unwrap_or(DEFAULT_SAMPLE) as usize;
                JobSelection::Ids(self.draw_sample(batch.id, n, seed).await?)
            }
            ExecutionMode::Production if jobs.is_some() => {
                JobSelection::Ids(jobs.unwrap_or_default())
            }
            ExecutionMode::Production => {
                let scope = start.scope.unwrap_or_default();
                let mut ids: Vec<JobId> = Vec::new();
                for filter in scope.filters(batch.id) {
                    ids.extend(self.inner.store.job_ids(&filter).await?);
                }
                ids.sort_unstable();
                ids.dedup();
                if ids.is_empty() {
                    return Err(Error::validation(format!(
                        "no job of the batch is in scope {scope:?}"
                    ))
                    .with_context("field", "scope"));
                }
                JobSelection::Ids(ids)
            }
        };
        let execution = self.inner.store.create_execution(new, selection).await?;
        tracing::info!(execution = %execution.id, batch = %batch.id, total = execution.total, mode = mode.as_str(), "execution started");
        self.publish_status(&execution);
        self.wake_worker();
        Ok(execution)
    }

    /// A deterministic sample of `n` valid jobs (all of them when there are fewer), in id order.
    async fn draw_sample(&self, batch: BatchId, n: usize, seed: u64) -> Result<Vec<JobId>> {
        let valid = self
            .inner
            .store
            .job_ids(&JobFilter {
                batch_id: Some(batch),
                statuses: vec![
                    JobStatus::Pending,
                    JobStatus::Queued,
                    JobStatus::Running,
                    JobStatus::Completed,
                    JobStatus::Failed,
                    JobStatus::Cancelled,
                ],
                ..JobFilter::default()
            })
            .await?;
        if valid.is_empty() {
            return Err(Error::validation("the batch has no valid job to sample")
                .with_context("field", "batch_id"));
        }
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut sample: Vec<JobId> = valid.choose_multiple(&mut rng, n).copied().collect();
        sample.sort_unstable();
        Ok(sample)
    }

    /// Gets an execution.
    pub async fn execution(&self, id: ExecutionId) -> Result<Execution> {
        self.inner.store.get_execution(id).await
    }

    /// Lists executions of a project and/or batch.
    pub async fn executions(
        &self,
        filter: ExecutionFilter,
        page: PageRequest,
    ) -> Result<Page<Execution>> {
        self.inner.store.list_executions(filter, page).await
    }

    /// Live figures of an execution: counts, progress, throughput and ETA.
    pub async fn execution_stats(&self, id: ExecutionId) -> Result<ExecutionStats> {
        let execution = self.inner.store.get_execution(id).await?;
        Ok(self.inner.stats.stats_of(&execution))
    }

    /// Pauses a running execution: no new job starts; running attempts finish.
    pub async fn pause_execution(&self, id: ExecutionId) -> Result<Execution> {
        self.transition(id, &[ExecutionStatus::Running], ExecutionStatus::Paused)
            .await
    }

    /// Resumes a paused execution.
    pub async fn resume_execution(&self, id: ExecutionId) -> Result<Execution> {
        let execution = self
            .transition(id, &[ExecutionStatus::Paused], ExecutionStatus::Running)
            .await?;
        self.wake_worker();
        Ok(execution)
    }

    /// Stops an execution: queued jobs are cancelled at once and running attempts are aborted
    /// as soon as their workers hear of it (the stop is an event they listen for), or at the
    /// latest at their next heartbeat.
    pub async fn stop_execution(&self, id: ExecutionId) -> Result<Execution> {
        self.transition(
            id,
            &[ExecutionStatus::Running, ExecutionStatus::Paused],
            ExecutionStatus::Stopping,
        )
        .await
    }

    /// Changes how many jobs of the execution run at once (1–50), across all workers.
    pub async fn set_concurrency(&self, id: ExecutionId, concurrency: u32) -> Result<Execution> {
        validate_concurrency(concurrency)?;
        let execution = self.inner.store.get_execution(id).await?;
        if !execution.status.is_active() {
            return Err(not_active(&format!("execution {id}")));
        }
        let execution = self
            .inner
            .store
            .update_execution(
                id,
                ExecutionUpdate {
                    concurrency: Some(concurrency),
                    ..ExecutionUpdate::default()
                },
            )
            .await?;
        self.inner.events.publish(Event::Concurrency {
            execution_id: id,
            concurrency,
            at: Utc::now(),
        });
        self.wake_worker();
        Ok(execution)
    }

    async fn transition(
        &self,
        id: ExecutionId,
        from: &[ExecutionStatus],
        to: ExecutionStatus,
    ) -> Result<Execution> {
        let execution = self.inner.store.get_execution(id).await?;
        if !from.contains(&execution.status) {
            return Err(Error::conflict(format!(
                "execution {id} is {}, it cannot become {}",
                execution.status.as_str(),
                to.as_str()
            ))
            .with_context("status", execution.status.as_str()));
        }
        let execution = self
            .inner
            .store
            .update_execution(
                id,
                ExecutionUpdate {
                    status: Some(to),
                    ..ExecutionUpdate::default()
                },
            )
            .await?;
        self.publish_status(&execution);
        // Stopping an execution with nothing running ends it at once.
        crate::engine::on_execution_end(self.inner.store.clone(), execution.clone());
        Ok(execution)
    }

    fn publish_status(&self, execution: &Execution) {
        self.inner.events.publish(Event::ExecutionStatus {
            execution_id: execution.id,
            batch_id: execution.batch_id,
            status: execution.status,
            at: Utc::now(),
        });
    }
}

/// A stable seed from a batch id, so a batch's default sample never changes.
fn seed_of(batch: BatchId) -> u64 {
    let n = batch.as_uuid().as_u128();
    (n as u64) ^ ((n >> 64) as u64)
}
