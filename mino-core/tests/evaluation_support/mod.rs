//! Test support for the evaluation, metrics and export tests: an in-memory [`Store`] holding
//! a fixed set of projects, batches, jobs and sessions, and builders for them.
//!
//! It implements the reads those modules use (projects, batches, job lists with every
//! filter and cursor paging, sessions) and `save_evaluations`; every other operation answers
//! `Unsupported`. It counts `list_jobs` calls and the largest page asked for, so tests can
//! check that callers page.
#![allow(dead_code, clippy::unwrap_used)] // each test binary uses part of it

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::Utc;
use indexmap::IndexMap;
use mino_core::model::*;
use mino_core::store::{BatchFilter, Cursor, ExecutionFilter, JobRows, Page, PageRequest, Store};
use mino_core::{Error, ErrorKind, Result};

/// An in-memory store over fixed data.
#[derive(Debug, Default)]
pub struct MemoryStore {
    pub projects: Mutex<Vec<Project>>,
    pub batches: Mutex<Vec<Batch>>,
    pub jobs: Mutex<Vec<Job>>,
    pub sessions: Mutex<Vec<Session>>,
    pub list_jobs_calls: AtomicU64,
    pub largest_page: AtomicU32,
}

fn unsupported<T>(op: &str) -> Result<T> {
    Err(Error::new(
        ErrorKind::Unsupported,
        format!("{op} is not part of the test store"),
    ))
}

fn matches(filter: &JobFilter, job: &Job) -> bool {
    filter.project_id.is_none_or(|p| p == job.project_id)
        && filter.batch_id.is_none_or(|b| b == job.batch_id)
        && filter
            .execution_id
            .is_none_or(|e| Some(e) == job.execution_id)
        && (filter.statuses.is_empty() || filter.statuses.contains(&job.status))
        && filter
            .has_ground_truth
            .is_none_or(|wanted| wanted == has_ground_truth(job))
        && filter.accuracy.is_none_or(|a| Some(a) == job.accuracy)
        && filter
            .search
            .as_deref()
            .is_none_or(|s| job.site_url.to_lowercase().contains(&s.to_lowercase()))
}

/// Whether a job has any ground truth (the `has_ground_truth` filter).
fn has_ground_truth(job: &Job) -> bool {
    !job.ground_truth.is_empty()
}

fn page_of<T: Clone>(
    rows: impl Iterator<Item = T>,
    page: PageRequest,
    key: impl Fn(&T) -> uuid::Uuid,
) -> Result<Page<T>> {
    let after = page.cursor.map(|c| c.id()).transpose()?;
    let rows: Vec<T> = rows
        .filter(|r| after.is_none_or(|a| key(r) > a))
        .take(page.limit() as usize + 1)
        .collect();
    Ok(Page::from_rows(rows, page.limit(), |r| Cursor::Id(key(r))))
}

impl MemoryStore {
    /// A store with one project, its batches, jobs and sessions.
    pub fn new(
        project: Project,
        batches: Vec<Batch>,
        jobs: Vec<Job>,
        sessions: Vec<Session>,
    ) -> Self {
        let mut jobs = jobs;
        jobs.sort_by_key(|j| j.id);
        let mut sessions = sessions;
        sessions.sort_by_key(|s| s.id);
        MemoryStore {
            projects: Mutex::new(vec![project]),
            batches: Mutex::new(batches),
            jobs: Mutex::new(jobs),
            sessions: Mutex::new(sessions),
            ..Default::default()
        }
    }

    /// A copy of a job by row index.
    pub fn job(&self, row_index: u64) -> Job {
        self.jobs
            .lock()
            .unwrap()
            .iter()
            .find(|j| j.row_index == row_index)
            .cloned()
            .unwrap()
    }
}

#[async_trait]
impl Store for MemoryStore {
    fn backend(&self) -> &'static str {
        "memory-test"
    }

    async fn create_project(&self, _new: NewProject) -> Result<Project> {
        unsupported("create_project")
    }

    async fn get_project(&self, id: ProjectId) -> Result<Project> {
        let projects = self.projects.lock().unwrap();
        projects
            .iter()
            .find(|p| p.id == id)
            .cloned()
            .ok_or_else(|| Error::not_found("project", id))
    }

    async fn list_projects(&self, _page: PageRequest) -> Result<Page<Project>> {
        unsupported("list_projects")
    }

    async fn update_project(&self, _id: ProjectId, _update: ProjectUpdate) -> Result<Project> {
        unsupported("update_project")
    }

    async fn delete_project(&self, _id: ProjectId) -> Result<()> {
        unsupported("delete_project")
    }

    async fn list_instruction_versions(
        &self,
        _project: ProjectId,
        _page: PageRequest,
    ) -> Result<Page<InstructionVersion>> {
        unsupported("list_instruction_versions")
    }

    async fn get_instruction_version(
        &self,
        _project: ProjectId,
        _version: u32,
    ) -> Result<InstructionVersion> {
        unsupported("get_instruction_version")
    }

    async fn create_batch(&self, _new: NewBatch, _rows: JobRows) -> Result<Batch> {
        unsupported("create_batch")
    }

    async fn get_batch(&self, id: BatchId) -> Result<Batch> {
        let batches = self.batches.lock().unwrap();
        batches
            .iter()
            .find(|b| b.id == id)
            .cloned()
            .ok_or_else(|| Error::not_found("batch", id))
    }

    async fn list_batches(&self, filter: BatchFilter, page: PageRequest) -> Result<Page<Batch>> {
        let batches = self.batches.lock().unwrap();
        page_of(
            batches
                .iter()
                .filter(|b| filter.project_id.is_none_or(|p| p == b.project_id))
                .cloned(),
            page,
            |b| b.id.0,
        )
    }

    async fn update_batch(&self, _id: BatchId, _update: BatchUpdate) -> Result<Batch> {
        unsupported("update_batch")
    }

    async fn delete_batch(&self, _id: BatchId) -> Result<()> {
        unsupported("delete_batch")
    }

    async fn get_job(&self, id: JobId) -> Result<Job> {
        let jobs = self.jobs.lock().unwrap();
        jobs.iter()
            .find(|j| j.id == id)
            .cloned()
            .ok_or_else(|| Error::not_found("job", id))
    }

    async fn list_jobs(&self, filter: &JobFilter, page: PageRequest) -> Result<Page<Job>> {
        self.list_jobs_calls.fetch_add(1, Ordering::Relaxed);
        self.largest_page.fetch_max(page.limit(), Ordering::Relaxed);
        let jobs = self.jobs.lock().unwrap();
        page_of(
            jobs.iter().filter(|j| matches(filter, j)).cloned(),
            page,
            |j| j.id.0,
        )
    }

    async fn count_jobs(&self, _filter: &JobFilter) -> Result<StatusCounts> {
        unsupported("count_jobs")
    }

    async fn update_job(&self, _id: JobId, _update: JobUpdate) -> Result<Job> {
        unsupported("update_job")
    }

    async fn bulk_delete_jobs(&self, _ids: &[JobId]) -> Result<u64> {
        unsupported("bulk_delete_jobs")
    }

    async fn bulk_update_jobs(&self, _ids: &[JobId], _update: JobUpdate) -> Result<u64> {
        unsupported("bulk_update_jobs")
    }

    async fn claim_jobs(
        &self,
        _worker: &str,
        _max: u32,
        _lease: std::time::Duration,
    ) -> Result<Vec<mino_core::store::Claim>> {
        unsupported("claim_jobs")
    }

    async fn heartbeat(
        &self,
        _worker: &str,
        _jobs: &[JobId],
        _lease: std::time::Duration,
    ) -> Result<Vec<JobId>> {
        unsupported("heartbeat")
    }

    async fn finish_attempt(
        &self,
        _worker: &str,
        _session: SessionId,
        _result: mino_core::store::AttemptResult,
    ) -> Result<mino_core::store::FinishedAttempt> {
        unsupported("finish_attempt")
    }

    async fn reclaim_expired(&self) -> Result<Vec<mino_core::store::Reclaimed>> {
        unsupported("reclaim_expired")
    }

    async fn update_jobs_each(&self, _updates: Vec<(JobId, JobUpdate)>) -> Result<u64> {
        unsupported("update_jobs_each")
    }

    async fn list_ground_truth_changes(
        &self,
        _filter: &GroundTruthChangeFilter,
        _page: PageRequest,
    ) -> Result<Page<GroundTruthChange>> {
        unsupported("list_ground_truth_changes")
    }

    async fn bulk_rerun_jobs(&self, _ids: &[JobId]) -> Result<u64> {
        unsupported("bulk_rerun_jobs")
    }

    async fn save_evaluations(&self, evaluations: Vec<(JobId, Option<Evaluation>)>) -> Result<u64> {
        let mut jobs = self.jobs.lock().unwrap();
        let mut updated = 0;
        for (id, evaluation) in evaluations {
            if let Some(job) = jobs.iter_mut().find(|j| j.id == id) {
                job.accuracy = evaluation.as_ref().and_then(|e| e.accuracy);
                job.evaluation = evaluation;
                updated += 1;
            }
        }
        Ok(updated)
    }

    async fn create_execution(
        &self,
        _new: NewExecution,
        _selection: JobSelection,
    ) -> Result<Execution> {
        unsupported("create_execution")
    }

    async fn get_execution(&self, _id: ExecutionId) -> Result<Execution> {
        unsupported("get_execution")
    }

    async fn list_executions(
        &self,
        _filter: ExecutionFilter,
        _page: PageRequest,
    ) -> Result<Page<Execution>> {
        unsupported("list_executions")
    }

    async fn update_execution(
        &self,
        _id: ExecutionId,
        _update: ExecutionUpdate,
    ) -> Result<Execution> {
        unsupported("update_execution")
    }

    async fn create_session(&self, _new: NewSession) -> Result<Session> {
        unsupported("create_session")
    }

    async fn finish_session(&self, _id: SessionId, _outcome: SessionOutcome) -> Result<Session> {
        unsupported("finish_session")
    }

    async fn get_session(&self, _id: SessionId) -> Result<Session> {
        unsupported("get_session")
    }

    async fn list_sessions(&self, job: JobId, page: PageRequest) -> Result<Page<Session>> {
        let sessions = self.sessions.lock().unwrap();
        page_of(
            sessions.iter().filter(|s| s.job_id == job).cloned(),
            page,
            |s| s.id.0,
        )
    }

    async fn create_snapshot(&self, _new: NewSnapshot) -> Result<MetricsSnapshot> {
        unsupported("create_snapshot")
    }

    async fn list_snapshots(
        &self,
        _batch: BatchId,
        _page: PageRequest,
    ) -> Result<Page<MetricsSnapshot>> {
        unsupported("list_snapshots")
    }

    async fn put_artifact(&self, _new: NewArtifact) -> Result<Artifact> {
        unsupported("put_artifact")
    }

    async fn get_artifact(&self, _id: ArtifactId) -> Result<(Artifact, Vec<u8>)> {
        unsupported("get_artifact")
    }
}

// ---- builders -------------------------------------------------------------------------------

/// A project with these fields (name, type) and default settings.
pub fn project(fields: &[(&str, FieldType)]) -> Project {
    let now = Utc::now();
    Project {
        id: ProjectId::new(),
        name: "Shop prices".into(),
        description: String::new(),
        instructions: "Find the price".into(),
        output_fields: fields
            .iter()
            .map(|(name, t)| OutputField {
                field_type: *t,
                ..OutputField::named(*name)
            })
            .collect(),
        agent: AgentConfig::default(),
        settings: ProjectSettings::default(),
        instruction_version: 1,
        created_at: now,
        updated_at: now,
    }
}

/// A batch of `project` whose input columns are `inputs` (name, type).
pub fn batch(project: &Project, inputs: &[(&str, ColumnType)]) -> Batch {
    let now = Utc::now();
    let mut columns = vec![ColumnSchema {
        name: "website".into(),
        index: 0,
        column_type: ColumnType::Url,
        role: ColumnRole::Site,
        non_empty: 0,
    }];
    for (i, (name, t)) in inputs.iter().enumerate() {
        columns.push(ColumnSchema {
            name: (*name).into(),
            index: i + 1,
            column_type: *t,
            role: ColumnRole::Input,
            non_empty: 0,
        });
    }
    Batch {
        id: BatchId::new(),
        project_id: project.id,
        name: "batch".into(),
        source_filename: Some("sites.csv".into()),
        columns,
        site_url_column: "website".into(),
        preview: Vec::new(),
        warnings: Vec::new(),
        total_rows: 0,
        valid_rows: 0,
        invalid_rows: 0,
        created_at: now,
        updated_at: now,
    }
}

/// A completed job of `batch` with inputs, ground truth and extraction (`None` values: the
/// agent found nothing).
pub fn job(
    batch: &Batch,
    row_index: u64,
    inputs: &[(&str, &str)],
    ground_truth: &[(&str, &str)],
    extraction: Option<&[(&str, Option<&str>)]>,
) -> Job {
    let now = Utc::now();
    let map = |pairs: &[(&str, &str)]| -> IndexMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    Job {
        id: JobId::new(),
        batch_id: batch.id,
        project_id: batch.project_id,
        row_index,
        line: row_index + 2,
        site_url: format!("https://site{row_index}.example.com"),
        inputs: map(inputs),
        ground_truth: map(ground_truth),
        status: if extraction.is_some() {
            JobStatus::Completed
        } else {
            JobStatus::Failed
        },
        invalid_reason: None,
        attempts: 1,
        execution_id: None,
        extraction: extraction.map(|pairs| {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.map(str::to_owned)))
                .collect()
        }),
        evaluation: None,
        accuracy: None,
        last_error: None,
        created_at: now,
        updated_at: now,
    }
}

/// A finished session of `job` in `execution` that cost `cost_usd`.
pub fn session(job: &Job, execution: Option<ExecutionId>, attempt: u32, cost_usd: f64) -> Session {
    let now = Utc::now();
    Session {
        id: SessionId::new(),
        job_id: job.id,
        execution_id: execution,
        attempt,
        worker_id: "w1".into(),
        status: SessionStatus::Succeeded,
        started_at: now,
        finished_at: Some(now),
        log: Vec::new(),
        extraction: job.extraction.clone(),
        error: None,
        screenshot: None,
        final_url: None,
        usage: Usage {
            tokens_in: 100 * u64::from(attempt),
            tokens_out: 10,
            cost_usd,
        },
    }
}
