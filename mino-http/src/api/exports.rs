//! `POST|GET /api/batches/{id}/export`: a batch's jobs as CSV, JSON, NDJSON or Excel,
//! streamed with a `Content-Disposition` and in constant memory.
//!
//! The export itself writes to a blocking `std::io::Write`; it runs on a blocking thread and
//! hands 64 KiB chunks to the response body through a small bounded channel, so a slow
//! client slows the export down instead of growing a buffer, and a client that goes away
//! ends it (the writer reports a broken pipe).

use std::io::{self, Write};

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use mino_core::export::ExportFormat;
use mino_core::model::BatchId;
use serde::Deserialize;
use tokio::sync::mpsc;
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ApiResult};
use crate::extract::{id, JobListParams, Query};
use crate::state::AppState;

/// Bytes per chunk handed to the response body.
const CHUNK: usize = 64 * 1024;
/// Chunks in flight between the export and the client.
const CHUNKS_IN_FLIGHT: usize = 4;

/// What to export: the format and the job filters of the job list.
#[derive(Debug, Clone, Default, Deserialize, ToSchema, IntoParams)]
#[serde(default, deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportRequest {
    /// csv (default), json, ndjson or xlsx.
    pub format: Option<String>,
    /// Comma-separated job statuses.
    pub status: Option<String>,
    /// Only jobs with (`true`) or without (`false`) ground truth.
    pub has_ground_truth: Option<bool>,
    /// pass, fail or partial.
    pub accuracy: Option<String>,
    /// Text the site URL contains.
    pub search: Option<String>,
    /// Only jobs currently or last in this execution.
    pub execution_id: Option<String>,
}

/// Exports a batch's jobs (body: format and filters).
#[utoipa::path(post, path = "/api/batches/{id}/export", tag = "batches",
    params(("id" = String, Path, description = "batch id (UUID)")),
    request_body = ExportRequest,
    responses((status = 200, description = "the file, streamed", content_type = "text/csv"),
        (status = 400, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn export_post(
    State(state): State<AppState>,
    Path(batch): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let request: ExportRequest = if body.iter().all(u8::is_ascii_whitespace) {
        ExportRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::validation("body", format!("invalid JSON body: {e}")))?
    };
    export(state, &batch, request).await
}

/// Exports a batch's jobs (query: format and filters), for download links.
#[utoipa::path(get, path = "/api/batches/{id}/export", tag = "batches",
    params(("id" = String, Path, description = "batch id (UUID)"), ExportRequest),
    responses((status = 200, description = "the file, streamed", content_type = "text/csv"),
        (status = 400, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn export_get(
    State(state): State<AppState>,
    Path(batch): Path<String>,
    Query(request): Query<ExportRequest>,
) -> ApiResult<Response> {
    export(state, &batch, request).await
}

async fn export(state: AppState, batch: &str, request: ExportRequest) -> ApiResult<Response> {
    let batch = id(batch, BatchId::parse)?;
    let format = ExportFormat::parse(request.format.as_deref().unwrap_or("csv"))?;
    let mut filter = JobListParams {
        status: request.status,
        has_ground_truth: request.has_ground_truth,
        accuracy: request.accuracy,
        search: request.search,
        execution_id: request.execution_id,
        ..JobListParams::default()
    }
    .filter()?;
    // Everything that can be refused is checked before the first byte is sent.
    let found = state.platform.batch(batch).await?;
    if let Some(execution) = filter.execution_id {
        let execution = state.platform.execution(execution).await?;
        if execution.batch_id != batch {
            return Err(ApiError::validation(
                "execution_id",
                "the execution belongs to another batch",
            ));
        }
    }
    filter.batch_id = Some(batch);
    let (tx, mut rx) = mpsc::channel::<io::Result<Bytes>>(CHUNKS_IN_FLIGHT);
    let platform = state.platform.clone();
    let runtime = tokio::runtime::Handle::current();
    let project = found.project_id;
    tokio::task::spawn_blocking(move || {
        let writer = ChannelWriter::new(tx.clone());
        let result = runtime.block_on(platform.export(project, &filter, format, writer));
        match result {
            Ok(summary) => {
                tracing::info!(batch = %batch, format = format.as_str(), jobs = summary.jobs, "export sent");
            }
            Err(err) if err.kind() == mino_core::ErrorKind::Cancelled => {
                tracing::info!(batch = %batch, "export cancelled: the client went away");
            }
            Err(err) => {
                tracing::error!(batch = %batch, error = ?err, "export failed mid-stream");
                // An error item makes the body end abnormally, so the client sees a broken
                // download rather than a short file that looks complete.
                let _ = tx.blocking_send(Err(io::Error::other(err.to_string())));
            }
        }
    });
    let stream = futures::stream::poll_fn(move |cx| rx.poll_recv(cx));
    let file_name = format!("{}-{}.{}", safe_name(&found.name), batch, format.as_str());
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(format.content_type()),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

/// A file name part of ASCII letters, digits, `-` and `_` only.
fn safe_name(name: &str) -> String {
    let cleaned: String = name
        .trim_end_matches(".csv")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(60)
        .collect();
    if cleaned.trim_matches('_').is_empty() {
        "batch".to_owned()
    } else {
        cleaned
    }
}

/// A `Write` that sends full chunks through a bounded channel, blocking while it is full.
/// Only for use on a blocking thread (never on a runtime worker).
struct ChannelWriter {
    buffer: Vec<u8>,
    tx: mpsc::Sender<io::Result<Bytes>>,
}

impl ChannelWriter {
    fn new(tx: mpsc::Sender<io::Result<Bytes>>) -> Self {
        ChannelWriter {
            buffer: Vec::with_capacity(CHUNK),
            tx,
        }
    }

    fn send(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buffer,
            Vec::with_capacity(CHUNK),
        ));
        // The export runs inside `Handle::block_on` on a blocking thread, where tokio's own
        // `blocking_send` refuses to run; waiting on the send future with the futures
        // executor blocks only this thread, which is what a blocking thread is for.
        futures::executor::block_on(self.tx.send(Ok(chunk)))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

impl Drop for ChannelWriter {
    fn drop(&mut self) {
        let _ = self.send();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_plain_ascii() {
        assert_eq!(safe_name("shops.csv"), "shops");
        assert_eq!(safe_name("a\"b\r\nc"), "a_b__c");
        assert_eq!(safe_name("<>"), "batch");
    }

    #[test]
    fn the_writer_sends_chunks_and_reports_a_gone_reader() {
        let (tx, mut rx) = mpsc::channel(8);
        let mut writer = ChannelWriter::new(tx);
        assert!(writer.write_all(&vec![b'x'; CHUNK + 10]).is_ok());
        assert!(writer.flush().is_ok());
        let mut total = 0;
        while let Ok(Ok(chunk)) = rx.try_recv() {
            total += chunk.len();
        }
        assert_eq!(total, CHUNK + 10);
        drop(rx);
        let failed = writer.write_all(&vec![b'y'; CHUNK]);
        assert_eq!(failed.map_err(|e| e.kind()), Err(io::ErrorKind::BrokenPipe));
    }
}
