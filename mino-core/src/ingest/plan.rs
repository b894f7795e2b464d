//! The result of the analysis pass: what was found, and how to read the rows.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{ColumnSchema, InvalidRow, NewBatch, ProjectId};
use crate::store::JobRows;

use super::encoding::Encoding;
use super::layout::Layout;
use super::rows::RowIter;
use super::sniff::Delimiter;
use super::source::{CsvSource, Fingerprint};

/// What ingest found in a file; the same for every caller (HTTP, Python, the command line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IngestReport {
    /// The field separator.
    pub delimiter: Delimiter,
    /// How the bytes were read.
    pub encoding: Encoding,
    /// The columns, in file order, with their types and roles.
    pub columns: Vec<ColumnSchema>,
    /// The header of the site-url column.
    pub site_url_column: String,
    /// The first data rows (at most 10), as written.
    pub preview: Vec<Vec<String>>,
    /// Things the user should know (e.g. the file was read as Latin-1).
    pub warnings: Vec<String>,
    /// Data rows in the file.
    pub total_rows: u64,
    /// Rows that will become runnable jobs.
    pub valid_rows: u64,
    /// Rows that will become `invalid` jobs.
    pub invalid_rows: u64,
    /// The first invalid rows (at most 1,000; a warning says when there are more), with
    /// their line numbers and reasons.
    pub invalid_row_list: Vec<InvalidRow>,
}

/// An analysed CSV: its report, and everything needed to read its rows as jobs.
#[derive(Debug, Clone)]
pub struct IngestPlan {
    report: IngestReport,
    source: CsvSource,
    fingerprint: Fingerprint,
    layout: Arc<Layout>,
}

impl IngestPlan {
    pub(crate) fn new(
        report: IngestReport,
        source: CsvSource,
        fingerprint: Fingerprint,
        layout: Layout,
    ) -> Self {
        IngestPlan {
            report,
            source,
            fingerprint,
            layout: Arc::new(layout),
        }
    }

    /// What the analysis found.
    pub fn report(&self) -> &IngestReport {
        &self.report
    }

    /// The report, without the plan.
    pub fn into_report(self) -> IngestReport {
        self.report
    }

    /// The analysed source.
    pub fn source(&self) -> &CsvSource {
        &self.source
    }

    /// The rows as jobs, read lazily in file order; for [`Store::create_batch`]
    /// (crate::store::Store::create_batch).
    ///
    /// A file source is read again from disk, one record at a time, so memory stays
    /// constant. The iterator does blocking I/O: consume it off the async runtime. If the
    /// file changed since the analysis (size, modification time, header, or row count), this
    /// call or an item of the iterator is a [`Conflict`](crate::ErrorKind::Conflict) error,
    /// which makes the store abort the batch.
    pub fn rows(&self) -> Result<JobRows> {
        if self.source.fingerprint()? != self.fingerprint {
            return Err(changed());
        }
        let iter = RowIter::new(
            &self.source,
            Arc::clone(&self.layout),
            self.report.total_rows,
        )?;
        Ok(Box::new(iter))
    }

    /// The batch to create for these rows. An empty `name` falls back to the file name.
    pub fn new_batch(&self, project_id: ProjectId, name: impl Into<String>) -> NewBatch {
        let source_filename = self.source.file_name();
        let name = name.into().trim().to_string();
        let name = match (&source_filename, name.is_empty()) {
            (Some(file), true) => file.clone(),
            _ => name,
        };
        NewBatch {
            project_id,
            name,
            source_filename,
            columns: self.report.columns.clone(),
            site_url_column: self.report.site_url_column.clone(),
            preview: self.report.preview.clone(),
            warnings: self.report.warnings.clone(),
        }
    }
}

/// The error for a source whose contents differ from what was analysed.
pub(crate) fn changed() -> Error {
    Error::conflict("the file changed since it was analysed; upload or analyse it again")
}
