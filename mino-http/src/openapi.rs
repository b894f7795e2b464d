//! The OpenAPI document at `/api/openapi.json`, generated from the handlers' annotations.
//!
//! Core types are plain serde types; [`schemas`] describes their JSON form for the document
//! (the handlers serialise the core types themselves, so the wire form cannot drift from
//! serde; a test checks that every route of the router is listed here).

use utoipa::OpenApi;

use crate::api;

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(title = "MINO API", description = "Run web agents over batches of websites and score them against ground truth."),
    paths(
        api::health::health,
        api::projects::list, api::projects::create, api::projects::get, api::projects::update,
        api::projects::delete, api::projects::jobs, api::projects::executions, api::projects::versions,
        api::batches::list, api::batches::create_upload, api::batches::create_json, api::batches::get,
        api::batches::update, api::batches::delete, api::batches::jobs,
        api::exports::export_post, api::exports::export_get,
        api::executions::start, api::executions::get, api::executions::stats, api::executions::pause,
        api::executions::resume, api::executions::stop, api::executions::concurrency,
        api::jobs::get, api::jobs::update, api::jobs::bulk_delete, api::jobs::bulk_rerun,
        api::jobs::bulk_update, api::artifacts::get,
        api::ground_truth::bulk_set, api::ground_truth::bulk_edit, api::ground_truth::changes,
        api::ground_truth::column_metrics, api::ground_truth::trends,
        api::ground_truth::create_snapshot, api::ground_truth::snapshots,
        api::analytics::dashboard,
    ),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorObject)),
    tags(
        (name = "projects"), (name = "batches"), (name = "executions"), (name = "jobs"),
        (name = "ground truth"), (name = "analytics"), (name = "health"),
    )
)]
pub struct ApiDoc;

/// The document as JSON text.
pub fn document() -> String {
    ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|_| "{}".to_owned())
}

/// The JSON form of the core types, for the document.
pub mod schemas {
    #![allow(dead_code)]

    use utoipa::ToSchema;

    use serde_json::Value;

    /// What the agent extracts: one output field.
    #[derive(ToSchema)]
    pub struct OutputField {
        /// The field name (`gt_<name>` columns hold its ground truth).
        pub name: String,
        /// What it means, for the agent.
        pub description: Option<String>,
        /// text, number, date, url, email, phone, boolean or list.
        #[schema(rename = "type")]
        pub field_type: Option<String>,
        /// A CSS selector hint.
        pub selector: Option<String>,
        /// How extracted and expected values are compared.
        #[schema(value_type = Option<Object>)]
        pub comparator: Option<Value>,
    }

    /// Which agent runs, with its settings.
    #[derive(ToSchema)]
    pub struct AgentConfig {
        /// heuristic (built in), llm or agentql.
        pub name: String,
        /// Agent settings.
        #[schema(value_type = Object)]
        pub settings: Value,
    }

    /// Run settings of a project.
    #[derive(ToSchema)]
    pub struct ProjectSettings {
        /// Proxy URLs.
        pub proxies: Vec<String>,
        /// Attempts per job, 1–20.
        pub max_attempts: u32,
        /// Time limit per attempt, 1–3600 s.
        pub job_timeout_secs: u32,
        /// Whether an empty ground truth means "expect nothing".
        pub empty_ground_truth_is_expected: bool,
    }

    /// A project.
    #[derive(ToSchema)]
    pub struct Project {
        /// Its id.
        pub id: String,
        /// Name, 1–200 characters.
        pub name: String,
        /// Description.
        pub description: String,
        /// Instructions for the agent.
        pub instructions: String,
        /// What to extract.
        pub output_fields: Vec<OutputField>,
        /// The agent.
        pub agent: AgentConfig,
        /// Run settings.
        pub settings: ProjectSettings,
        /// Current instruction version.
        pub instruction_version: u32,
        /// Created.
        pub created_at: String,
        /// Last changed.
        pub updated_at: String,
    }

    /// A new project.
    #[derive(ToSchema)]
    pub struct NewProject {
        /// Name, 1–200 characters.
        pub name: String,
        /// Description.
        pub description: Option<String>,
        /// Instructions for the agent.
        pub instructions: Option<String>,
        /// What to extract (at most 100 fields).
        pub output_fields: Option<Vec<OutputField>>,
        /// The agent (default heuristic).
        pub agent: Option<AgentConfig>,
        /// Run settings.
        pub settings: Option<ProjectSettings>,
    }

    /// A partial update of a project.
    #[derive(ToSchema)]
    pub struct ProjectUpdate {
        /// New name.
        pub name: Option<String>,
        /// New description.
        pub description: Option<String>,
        /// New instructions (a new instruction version).
        pub instructions: Option<String>,
        /// New output fields (a new instruction version).
        pub output_fields: Option<Vec<OutputField>>,
        /// New agent.
        pub agent: Option<AgentConfig>,
        /// New settings.
        pub settings: Option<ProjectSettings>,
    }

    /// One version of a project's instructions.
    #[derive(ToSchema)]
    pub struct InstructionVersion {
        /// The project.
        pub project_id: String,
        /// Its number, from 1.
        pub version: u32,
        /// The instructions.
        pub instructions: String,
        /// The output fields.
        pub output_fields: Vec<OutputField>,
        /// When.
        pub created_at: String,
    }

    /// A detected CSV column.
    #[derive(ToSchema)]
    pub struct ColumnSchema {
        /// Header.
        pub name: String,
        /// Position from 0.
        pub index: u32,
        /// url, integer, number, boolean, date, email, text or empty.
        pub column_type: String,
        /// `{"kind":"site"}`, `{"kind":"input"}` or `{"kind":"ground_truth","field":…}`.
        #[schema(value_type = Object)]
        pub role: Value,
        /// Non-empty cells.
        pub non_empty: u64,
    }

    /// A batch.
    #[derive(ToSchema)]
    pub struct Batch {
        /// Its id.
        pub id: String,
        /// Its project.
        pub project_id: String,
        /// Name.
        pub name: String,
        /// The uploaded file's name.
        pub source_filename: Option<String>,
        /// Detected columns.
        pub columns: Vec<ColumnSchema>,
        /// The site column.
        pub site_url_column: String,
        /// The first 10 rows.
        pub preview: Vec<Vec<String>>,
        /// Ingest warnings.
        pub warnings: Vec<String>,
        /// Rows.
        pub total_rows: u64,
        /// Runnable rows.
        pub valid_rows: u64,
        /// Invalid rows.
        pub invalid_rows: u64,
        /// Created.
        pub created_at: String,
        /// Last changed.
        pub updated_at: String,
    }

    /// Job counts by status.
    #[derive(ToSchema)]
    pub struct StatusCounts {
        /// Pending.
        pub pending: u64,
        /// Queued.
        pub queued: u64,
        /// Running.
        pub running: u64,
        /// Completed.
        pub completed: u64,
        /// Failed.
        pub failed: u64,
        /// Cancelled.
        pub cancelled: u64,
        /// Invalid.
        pub invalid: u64,
    }

    /// A batch with its counts (the batch's fields, plus `counts`).
    #[derive(ToSchema)]
    pub struct BatchView {
        /// Its id.
        pub id: String,
        /// Its project.
        pub project_id: String,
        /// Name.
        pub name: String,
        /// Detected columns.
        pub columns: Vec<ColumnSchema>,
        /// The first 10 rows.
        pub preview: Vec<Vec<String>>,
        /// Rows.
        pub total_rows: u64,
        /// Jobs by status.
        pub counts: StatusCounts,
    }

    /// A rename.
    #[derive(ToSchema)]
    pub struct BatchUpdate {
        /// New name.
        pub name: Option<String>,
    }

    /// A CSV upload.
    #[derive(ToSchema)]
    pub struct BatchUpload {
        /// The project.
        pub project_id: String,
        /// The batch name (default: the file name).
        pub name: Option<String>,
        /// The CSV file.
        #[schema(value_type = String, format = Binary)]
        pub file: Vec<u8>,
    }

    /// A new batch and what ingest found.
    #[derive(ToSchema)]
    pub struct BatchCreated {
        /// The batch.
        pub batch: Batch,
        /// Delimiter, encoding, columns, preview, warnings, row counts, invalid rows.
        #[schema(value_type = Object)]
        pub report: Value,
    }

    /// A job (one CSV row).
    #[derive(ToSchema)]
    pub struct Job {
        /// Its id.
        pub id: String,
        /// Its batch.
        pub batch_id: String,
        /// Its project.
        pub project_id: String,
        /// Row index from 0.
        pub row_index: u64,
        /// Line in the file.
        pub line: u64,
        /// The site.
        pub site_url: String,
        /// Input columns.
        #[schema(value_type = Object)]
        pub inputs: Value,
        /// Field → expected value.
        #[schema(value_type = Object)]
        pub ground_truth: Value,
        /// pending, queued, running, completed, failed, cancelled or invalid.
        pub status: String,
        /// Why the row is invalid.
        pub invalid_reason: Option<String>,
        /// Attempts in its last execution.
        pub attempts: u32,
        /// Its current or last execution.
        pub execution_id: Option<String>,
        /// Field → extracted value.
        #[schema(value_type = Option<Object>)]
        pub extraction: Option<Value>,
        /// Verdicts per field.
        #[schema(value_type = Option<Object>)]
        pub evaluation: Option<Value>,
        /// pass, fail or partial.
        pub accuracy: Option<String>,
        /// The last error.
        pub last_error: Option<String>,
        /// Created.
        pub created_at: String,
        /// Last changed.
        pub updated_at: String,
    }

    /// A partial update of a job.
    #[derive(ToSchema)]
    pub struct JobUpdate {
        /// New site URL.
        pub site_url: Option<String>,
        /// Inputs to set.
        #[schema(value_type = Option<Object>)]
        pub inputs: Option<Value>,
        /// Ground truth to set (an empty value removes the field).
        #[schema(value_type = Option<Object>)]
        pub ground_truth: Option<Value>,
        /// pending (reset) or cancelled.
        pub status: Option<String>,
    }

    /// One attempt at a job.
    #[derive(ToSchema)]
    pub struct Session {
        /// Its id.
        pub id: String,
        /// The job.
        pub job_id: String,
        /// The execution.
        pub execution_id: Option<String>,
        /// Attempt number from 1.
        pub attempt: u32,
        /// The worker.
        pub worker_id: String,
        /// running, succeeded, failed, cancelled or lost.
        pub status: String,
        /// Started.
        pub started_at: String,
        /// Finished.
        pub finished_at: Option<String>,
        /// Log lines (`at`, `level`, `message`).
        #[schema(value_type = Vec<Object>)]
        pub log: Vec<Value>,
        /// Field → extracted value.
        #[schema(value_type = Option<Object>)]
        pub extraction: Option<Value>,
        /// The error (`kind`, `message`, `transient`).
        #[schema(value_type = Option<Object>)]
        pub error: Option<Value>,
        /// Screenshot artifact id (`GET /api/artifacts/{id}`).
        pub screenshot: Option<String>,
        /// The URL the browser ended on.
        pub final_url: Option<String>,
        /// Tokens and cost.
        #[schema(value_type = Object)]
        pub usage: Value,
    }

    /// A job with its sessions.
    #[derive(ToSchema)]
    pub struct JobDetail {
        /// The job.
        pub job: Job,
        /// Its sessions, oldest first.
        pub sessions: Vec<Session>,
    }

    /// An execution.
    #[derive(ToSchema)]
    pub struct Execution {
        /// Its id.
        pub id: String,
        /// Its project.
        pub project_id: String,
        /// Its batch.
        pub batch_id: String,
        /// test or production.
        pub mode: String,
        /// Sample size of a test run.
        pub sample_size: Option<u32>,
        /// Sample seed.
        pub seed: Option<u64>,
        /// Jobs at once.
        pub concurrency: u32,
        /// Attempts per job.
        pub max_attempts: u32,
        /// Time limit per attempt.
        pub job_timeout_secs: u32,
        /// Instruction version used.
        pub instruction_version: u32,
        /// running, paused, stopping, completed, stopped or failed.
        pub status: String,
        /// Jobs in it.
        pub total: u64,
        /// Jobs by status.
        pub counts: StatusCounts,
        /// Created.
        pub created_at: String,
        /// Last changed.
        pub updated_at: String,
        /// Finished.
        pub finished_at: Option<String>,
    }

    /// Live figures of an execution.
    #[derive(ToSchema)]
    pub struct ExecutionStats {
        /// The execution.
        pub execution_id: String,
        /// Its batch.
        pub batch_id: String,
        /// Its status.
        pub status: String,
        /// Jobs in it.
        pub total: u64,
        /// Jobs by status.
        pub counts: StatusCounts,
        /// Terminal jobs / total, 0–1.
        pub progress: f64,
        /// Jobs finished per minute, recently.
        pub throughput_per_min: f64,
        /// Seconds until done, when known.
        pub eta_secs: Option<u64>,
        /// Concurrency limit.
        pub concurrency: u32,
        /// When measured.
        pub at: String,
    }

    /// Accuracy of one column.
    #[derive(ToSchema)]
    pub struct ColumnMetrics {
        /// The field.
        pub field: String,
        /// Jobs evaluated on it.
        pub evaluated: u64,
        /// Matches.
        pub passed: u64,
        /// Mismatches.
        pub failed: u64,
        /// Failures where nothing was extracted.
        pub missing: u64,
        /// Failures with a wrong value.
        pub wrong: u64,
        /// passed / evaluated.
        pub accuracy: Option<f64>,
    }

    /// Accuracy of a set of jobs.
    #[derive(ToSchema)]
    pub struct BatchMetrics {
        /// Jobs evaluated.
        pub jobs_evaluated: u64,
        /// Jobs passing.
        pub jobs_passed: u64,
        /// Jobs partly passing.
        pub jobs_partial: u64,
        /// Jobs failing.
        pub jobs_failed: u64,
        /// passed / evaluated.
        pub pass_rate: Option<f64>,
        /// Per column.
        pub columns: Vec<ColumnMetrics>,
        /// Total cost.
        pub cost_usd: f64,
    }

    /// Accuracy and cost.
    #[derive(ToSchema)]
    pub struct MetricsReport {
        /// Accuracy.
        pub metrics: BatchMetrics,
        /// Tokens and cost per job, execution and correct field.
        #[schema(value_type = Object)]
        pub cost: Value,
    }

    /// One trend point.
    #[derive(ToSchema)]
    pub struct TrendPoint {
        /// `{"kind":"execution","execution_id":…}` or `{"kind":"instruction_version","version":…}`.
        #[schema(value_type = Object)]
        pub key: Value,
        /// The metrics there.
        pub metrics: BatchMetrics,
    }

    /// Metrics at a point in time.
    #[derive(ToSchema)]
    pub struct MetricsSnapshot {
        /// Its id.
        pub id: String,
        /// The batch.
        pub batch_id: String,
        /// The execution measured.
        pub execution_id: Option<String>,
        /// The instruction version.
        pub instruction_version: Option<u32>,
        /// The metrics.
        pub metrics: BatchMetrics,
        /// When.
        pub created_at: String,
    }

    /// The outcome of a bulk ground-truth change.
    #[derive(ToSchema)]
    pub struct GroundTruthResult {
        /// Jobs named.
        pub jobs: u64,
        /// Jobs changed.
        pub updated: u64,
        /// Jobs left as they were.
        pub skipped: u64,
    }

    /// One recorded ground-truth change.
    #[derive(ToSchema)]
    pub struct GroundTruthChange {
        /// Its id.
        pub id: String,
        /// The job.
        pub job_id: String,
        /// The batch.
        pub batch_id: String,
        /// The field.
        pub field: String,
        /// Before (absent: no ground truth).
        pub old_value: Option<String>,
        /// After (absent: removed).
        pub new_value: Option<String>,
        /// Who.
        pub changed_by: String,
        /// When.
        pub changed_at: String,
    }

    /// A batch's results page.
    #[derive(ToSchema)]
    pub struct BatchDashboard {
        /// The batch.
        pub batch: Batch,
        /// Jobs by status.
        pub counts: StatusCounts,
        /// Accuracy and cost.
        pub report: MetricsReport,
        /// Accuracy across executions.
        pub trend: Vec<TrendPoint>,
        /// The latest execution's figures.
        pub latest_execution: Option<ExecutionStats>,
    }

    macro_rules! page {
        ($name:ident, $item:ty) => {
            /// One page of a list.
            #[derive(ToSchema)]
            pub struct $name {
                /// The rows.
                pub data: Vec<$item>,
                /// The cursor of the next page; absent on the last page.
                pub next_cursor: Option<String>,
            }
        };
    }

    page!(ProjectPage, Project);
    page!(BatchPage, Batch);
    page!(JobPage, Job);
    page!(ExecutionPage, Execution);
    page!(VersionPage, InstructionVersion);
    page!(SnapshotPage, MetricsSnapshot);
    page!(GroundTruthChangePage, GroundTruthChange);
}
