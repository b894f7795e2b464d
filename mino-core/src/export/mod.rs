//! Exports of a project's jobs: CSV, JSON, NDJSON and Excel.
//!
//! [`export`] pages through the jobs matching a [`JobFilter`] (the same filter as the job
//! list) and streams them through an [`ExportWriter`]; [`export_jobs`] does the same for
//! jobs from any iterator. Either way memory stays constant whatever the number of jobs:
//! one page of jobs, one row, and for Excel a temporary file per Results sheet.
//!
//! CSV and Excel share one column layout (see [`ExportLayout`]); JSON and NDJSON write one
//! typed object per job (see the `json` module docs). In CSV and Excel, every cell that
//! begins with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'`
//! ([`neutralise`]), so text taken from a website can never run as a formula; plain numbers
//! (`-5`, `12.50`) in numeric columns are left as numbers.

mod csv;
mod error;
mod json;
mod layout;
mod writer;
mod xlsx;

use std::io::Write;

use tracing::info;

pub use layout::{
    is_formula_like, is_plain_number, neutralise, plain_number, ExportLayout, ValueColumn,
};
pub use writer::{export_jobs, ExportFormat, ExportSummary, ExportWriter};
pub use xlsx::MAX_JOBS_PER_SHEET;

use crate::error::{Error, Result};
use crate::model::{Batch, JobFilter, Project};
use crate::store::{BatchFilter, Cursor, PageRequest, Store, MAX_PAGE_LIMIT};

/// Exports the jobs of `project` matching `filter` into `out`, 500 jobs per store round
/// trip, in job (row) order.
///
/// # Behavior
///
/// - Only jobs of `project` are exported: the filter's `project_id` is set to it; a filter
///   naming another project, or a batch of another project, is a validation error.
/// - The input columns are those of the filtered batch, or of every batch of the project.
/// - Values, ground truth and verdicts are written as stored; nothing is re-evaluated.
/// - On error the output holds a partial file.
pub async fn export<W: Write + Send>(
    store: &dyn Store,
    project: &Project,
    filter: &JobFilter,
    format: ExportFormat,
    out: W,
) -> Result<ExportSummary> {
    if filter.project_id.is_some_and(|p| p != project.id) {
        return Err(
            Error::validation("the filter names another project than the one exported")
                .with_context("field", "project_id"),
        );
    }
    let batches = project_batches(store, project, filter).await?;
    let layout = ExportLayout::new(project, &batches);
    let filter = JobFilter {
        project_id: Some(project.id),
        ..filter.clone()
    };
    let mut writer = ExportWriter::new(layout, format, out)?;
    let mut cursor: Option<Cursor> = None;
    loop {
        let page = store
            .list_jobs(&filter, PageRequest::new(MAX_PAGE_LIMIT, cursor)?)
            .await?;
        for job in &page.data {
            writer.write_job(job)?;
        }
        match page.next_cursor {
            Some(next) => cursor = Some(Cursor::decode(&next)?),
            None => break,
        }
    }
    let summary = writer.finish()?;
    info!(
        project = %project.id,
        format = format.as_str(),
        jobs = summary.jobs,
        "export written"
    );
    Ok(summary)
}

/// The batches whose input columns the export shows.
async fn project_batches(
    store: &dyn Store,
    project: &Project,
    filter: &JobFilter,
) -> Result<Vec<Batch>> {
    if let Some(id) = filter.batch_id {
        let batch = store.get_batch(id).await?;
        if batch.project_id != project.id {
            return Err(Error::validation(format!(
                "batch {id} does not belong to project {}",
                project.id
            ))
            .with_context("field", "batch_id"));
        }
        return Ok(vec![batch]);
    }
    let batch_filter = BatchFilter {
        project_id: Some(project.id),
    };
    let mut batches = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .list_batches(
                batch_filter.clone(),
                PageRequest::new(MAX_PAGE_LIMIT, cursor)?,
            )
            .await?;
        batches.extend(page.data);
        match page.next_cursor {
            Some(next) => cursor = Some(Cursor::decode(&next)?),
            None => return Ok(batches),
        }
    }
}
