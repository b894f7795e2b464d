//! The OpenAPI document at `/api/openapi.json`, generated from the handlers' annotations.
//!
//! The core model types derive `utoipa::ToSchema` themselves (mino-core's `openapi` feature),
//! so the document describes them from their own definitions. [`schemas`] describes the few
//! core types outside the model (platform results, live stats, pages) that the handlers
//! return; a test checks that every route of the router is listed here.

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

/// The JSON form of the core types outside `mino_core::model`, for the document.
///
/// Their fields are the model types themselves, so only these shells are restated.
pub mod schemas {
    #![allow(dead_code)]

    use mino_core::model::{
        Batch, BatchId, BatchMetrics, Execution, ExecutionId, ExecutionStatus, GroundTruthChange,
        InstructionVersion, Job, MetricsSnapshot, Project, Session, StatusCounts,
    };
    use serde_json::Value;
    use utoipa::ToSchema;

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

    /// A job with its sessions (`mino_core::platform::JobDetail`).
    #[derive(ToSchema)]
    pub struct JobDetail {
        /// The job.
        pub job: Job,
        /// Its sessions, oldest first.
        pub sessions: Vec<Session>,
    }

    /// Live figures of an execution (`mino_core::events::ExecutionStats`).
    #[derive(ToSchema)]
    pub struct ExecutionStats {
        /// The execution.
        pub execution_id: ExecutionId,
        /// Its batch.
        pub batch_id: BatchId,
        /// Its status.
        pub status: ExecutionStatus,
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
        pub at: chrono::DateTime<chrono::Utc>,
    }

    /// Accuracy and cost (`mino_core::metrics::MetricsReport`).
    #[derive(ToSchema)]
    pub struct MetricsReport {
        /// Accuracy.
        pub metrics: BatchMetrics,
        /// Tokens and cost per job, execution and correct field.
        #[schema(value_type = Object)]
        pub cost: Value,
    }

    /// One trend point (`mino_core::metrics::TrendPoint`).
    #[derive(ToSchema)]
    pub struct TrendPoint {
        /// `{"kind":"execution","execution_id":…}` or `{"kind":"instruction_version","version":…}`.
        #[schema(value_type = Object)]
        pub key: Value,
        /// The metrics there.
        pub metrics: BatchMetrics,
    }

    /// The outcome of a bulk ground-truth change (`mino_core::platform::GroundTruthResult`).
    #[derive(ToSchema)]
    pub struct GroundTruthResult {
        /// Jobs named.
        pub jobs: u64,
        /// Jobs changed.
        pub updated: u64,
        /// Jobs left as they were.
        pub skipped: u64,
    }

    /// A batch's results page (`mino_core::platform::BatchDashboard`).
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
            /// One page of a list (`mino_core::store::Page`).
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
