//! Batches: CSV in, jobs out.

use indexmap::IndexMap;

use super::Platform;
use crate::error::{Error, Result};
use crate::evaluation::reevaluate;
use crate::ingest::{import_csv, CsvSource, IngestOptions, IngestReport};
use crate::model::{Batch, BatchId, BatchUpdate, JobFilter, ProjectId, StatusCounts};
use crate::store::{BatchFilter, ExecutionFilter, Page, PageRequest};

impl Platform {
    /// Creates a batch of `project` from a CSV (a file or uploaded bytes), with the platform's
    /// ingest limits unless `options` are given. Nothing is stored when the file is refused.
    pub async fn create_batch_from_csv(
        &self,
        project: ProjectId,
        name: impl Into<String>,
        source: CsvSource,
        options: Option<IngestOptions>,
    ) -> Result<(Batch, IngestReport)> {
        self.inner.store.get_project(project).await?;
        let options = options.unwrap_or_else(|| self.inner.ingest.clone());
        import_csv(self.inner.store.as_ref(), project, name, source, options).await
    }

    /// Creates a batch from rows given as column → value maps (the JSON form of a CSV): the
    /// rows go through exactly the same ingest as a file, so detection and validation match.
    pub async fn create_batch_from_rows(
        &self,
        project: ProjectId,
        name: impl Into<String>,
        rows: &[IndexMap<String, String>],
    ) -> Result<(Batch, IngestReport)> {
        let bytes = rows_to_csv(rows)?;
        self.create_batch_from_csv(project, name, CsvSource::bytes(bytes), None)
            .await
    }

    /// Gets a batch.
    pub async fn batch(&self, id: BatchId) -> Result<Batch> {
        self.inner.store.get_batch(id).await
    }

    /// Lists batches, optionally of one project.
    pub async fn batches(
        &self,
        project: Option<ProjectId>,
        page: PageRequest,
    ) -> Result<Page<Batch>> {
        self.inner
            .store
            .list_batches(
                BatchFilter {
                    project_id: project,
                },
                page,
            )
            .await
    }

    /// Renames a batch.
    pub async fn update_batch(&self, id: BatchId, update: BatchUpdate) -> Result<Batch> {
        self.inner.store.update_batch(id, update).await
    }

    /// Deletes a batch and everything under it. A conflict while one of its executions is
    /// active.
    pub async fn delete_batch(&self, id: BatchId) -> Result<()> {
        self.inner.store.get_batch(id).await?;
        self.ensure_no_active_execution(ExecutionFilter {
            batch_id: Some(id),
            ..ExecutionFilter::default()
        })
        .await?;
        self.inner.store.delete_batch(id).await
    }

    /// Job counts of a batch by status.
    pub async fn batch_counts(&self, id: BatchId) -> Result<StatusCounts> {
        self.inner.store.get_batch(id).await?;
        self.inner
            .store
            .count_jobs(&JobFilter {
                batch_id: Some(id),
                ..JobFilter::default()
            })
            .await
    }

    /// Scores every job of a batch again against its ground truth (no agent runs).
    pub async fn reevaluate_batch(&self, id: BatchId) -> Result<u64> {
        let batch = self.inner.store.get_batch(id).await?;
        let project = self.inner.store.get_project(batch.project_id).await?;
        reevaluate(
            self.inner.store.as_ref(),
            &project,
            &JobFilter {
                batch_id: Some(id),
                ..JobFilter::default()
            },
        )
        .await
    }
}

/// Writes rows as CSV with the union of their columns, in first-seen order.
fn rows_to_csv(rows: &[IndexMap<String, String>]) -> Result<Vec<u8>> {
    if rows.is_empty() {
        return Err(
            Error::validation("a batch needs at least one row").with_context("field", "rows")
        );
    }
    let mut headers: IndexMap<&str, ()> = IndexMap::new();
    for row in rows {
        for key in row.keys() {
            headers.insert(key.as_str(), ());
        }
    }
    let mut writer = csv::Writer::from_writer(Vec::new());
    let write_err = |e: csv::Error| Error::internal(format!("writing rows as CSV failed: {e}"));
    writer.write_record(headers.keys()).map_err(write_err)?;
    for row in rows {
        writer
            .write_record(
                headers
                    .keys()
                    .map(|h| row.get(*h).map(String::as_str).unwrap_or("")),
            )
            .map_err(write_err)?;
    }
    writer
        .into_inner()
        .map_err(|e| Error::internal(format!("writing rows as CSV failed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_become_csv_with_the_union_of_columns() {
        let mut a = IndexMap::new();
        a.insert("url".to_owned(), "a.com".to_owned());
        a.insert("gt_title".to_owned(), "A, \"quoted\"".to_owned());
        let mut b = IndexMap::new();
        b.insert("url".to_owned(), "b.com".to_owned());
        b.insert("country".to_owned(), "DE".to_owned());
        let csv = rows_to_csv(&[a, b]).unwrap_or_default();
        assert_eq!(
            String::from_utf8_lossy(&csv),
            "url,gt_title,country\na.com,\"A, \"\"quoted\"\"\",\nb.com,,DE\n"
        );
        assert!(rows_to_csv(&[]).is_err());
    }
}
