//! Ingest into a store: analysis off the async runtime, then one atomic `create_batch`.

use crate::error::{Error, Result};
use crate::model::{Batch, ProjectId};
use crate::store::Store;

use super::analyze::analyze;
use super::options::IngestOptions;
use super::plan::{IngestPlan, IngestReport};
use super::source::CsvSource;

/// [`analyze`] on a blocking thread, so that reading a large file does not stall the
/// async runtime.
pub async fn analyze_async(source: CsvSource, options: IngestOptions) -> Result<IngestPlan> {
    tokio::task::spawn_blocking(move || analyze(&source, &options))
        .await
        .map_err(|err| Error::internal(format!("the CSV analysis task failed: {err}")))?
}

/// Analyses a CSV and creates a batch of `project` with one job per row.
///
/// Nothing is written when the analysis fails; the store writes the batch and its jobs
/// atomically, reading the rows lazily inside its transaction. An empty `name` falls back
/// to the file's name.
pub async fn import_csv(
    store: &dyn Store,
    project: ProjectId,
    name: impl Into<String>,
    source: CsvSource,
    options: IngestOptions,
) -> Result<(Batch, IngestReport)> {
    let name = name.into();
    let plan = analyze_async(source, options).await?;
    let new = plan.new_batch(project, name);
    let rows = plan.rows()?;
    let batch = store.create_batch(new, rows).await?;
    tracing::info!(
        batch = %batch.id,
        project = %project,
        rows = batch.total_rows,
        invalid = batch.invalid_rows,
        "imported CSV"
    );
    Ok((batch, plan.into_report()))
}
