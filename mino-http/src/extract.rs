//! Extractors whose rejections answer in the API's error shape, and parsing of the inputs
//! every list shares: ids in paths, cursor pages and job filters.

use axum::extract::FromRequest;
use axum::extract::FromRequestParts;
use mino_core::model::{Accuracy, BatchId, ExecutionId, JobFilter, JobStatus};
use mino_core::store::PageRequest;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ApiResult};

/// A JSON body; a malformed one is a VALIDATION_ERROR, a missing content type
/// UNSUPPORTED_MEDIA_TYPE and a body over the limit PAYLOAD_TOO_LARGE.
#[derive(Debug, Clone, Copy, Default, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

/// Query parameters; malformed ones are a VALIDATION_ERROR.
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

/// Parses a path id with `parse` (the id types' own parser, which names the entity).
pub fn id<T>(text: &str, parse: fn(&str) -> mino_core::Result<T>) -> ApiResult<T> {
    parse(text).map_err(ApiError::from)
}

/// `limit` (1–500, default 50) and `cursor` (opaque, from a previous page's `next_cursor`).
#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Rows per page, 1–500 (default 50).
    #[serde(default)]
    pub limit: Option<u32>,
    /// Where the page starts: the `next_cursor` of the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
}

impl PageParams {
    /// The page these parameters ask for.
    pub fn page(&self) -> ApiResult<PageRequest> {
        Ok(PageRequest::parse(self.limit, self.cursor.as_deref())?)
    }
}

/// The longest `search` text.
pub const MAX_SEARCH_CHARS: usize = 200;

/// Filters of a job list (every given filter must match) and its page.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobListParams {
    /// Rows per page, 1–500 (default 50).
    #[serde(default)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Comma-separated statuses: pending, queued, running, completed, failed, cancelled,
    /// invalid.
    #[serde(default)]
    pub status: Option<String>,
    /// `true`: only jobs with ground truth; `false`: only jobs without.
    #[serde(default)]
    pub has_ground_truth: Option<bool>,
    /// pass, fail or partial.
    #[serde(default)]
    pub accuracy: Option<String>,
    /// Text the site URL contains (case-insensitive, at most 200 characters).
    #[serde(default)]
    pub search: Option<String>,
    /// Only jobs of this batch (project lists).
    #[serde(default)]
    pub batch_id: Option<String>,
    /// Only jobs currently or last in this execution.
    #[serde(default)]
    pub execution_id: Option<String>,
}

impl JobListParams {
    /// The page asked for.
    pub fn page(&self) -> ApiResult<PageRequest> {
        Ok(PageRequest::parse(self.limit, self.cursor.as_deref())?)
    }

    /// The job filter these parameters describe.
    pub fn filter(&self) -> ApiResult<JobFilter> {
        let mut filter = JobFilter::default();
        if let Some(statuses) = &self.status {
            for status in statuses.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                filter.statuses.push(JobStatus::parse(status)?);
            }
        }
        filter.has_ground_truth = self.has_ground_truth;
        if let Some(accuracy) = self.accuracy.as_deref().filter(|a| !a.is_empty()) {
            filter.accuracy = Some(Accuracy::parse(accuracy)?);
        }
        if let Some(search) = self
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            if search.chars().count() > MAX_SEARCH_CHARS {
                return Err(ApiError::validation(
                    "search",
                    format!("search must be at most {MAX_SEARCH_CHARS} characters"),
                ));
            }
            filter.search = Some(search.to_owned());
        }
        if let Some(batch) = self.batch_id.as_deref().filter(|s| !s.is_empty()) {
            filter.batch_id = Some(BatchId::parse(batch)?);
        }
        if let Some(execution) = self.execution_id.as_deref().filter(|s| !s.is_empty()) {
            filter.execution_id = Some(ExecutionId::parse(execution)?);
        }
        Ok(filter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_filters_parse_and_refuse_bad_values() {
        let params = JobListParams {
            status: Some("completed, failed".to_owned()),
            accuracy: Some("pass".to_owned()),
            search: Some(" shop ".to_owned()),
            ..JobListParams::default()
        };
        let filter = params.filter().unwrap_or_default();
        assert_eq!(
            filter.statuses,
            vec![JobStatus::Completed, JobStatus::Failed]
        );
        assert_eq!(filter.accuracy, Some(Accuracy::Pass));
        assert_eq!(filter.search.as_deref(), Some("shop"));
        for bad in [
            JobListParams {
                status: Some("done".to_owned()),
                ..JobListParams::default()
            },
            JobListParams {
                accuracy: Some("great".to_owned()),
                ..JobListParams::default()
            },
            JobListParams {
                search: Some("x".repeat(201)),
                ..JobListParams::default()
            },
            JobListParams {
                batch_id: Some("nope".to_owned()),
                ..JobListParams::default()
            },
            JobListParams {
                limit: Some(0),
                ..JobListParams::default()
            },
        ] {
            assert!(bad.filter().and_then(|_| bad.page()).is_err(), "{bad:?}");
        }
    }
}
