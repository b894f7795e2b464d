//! Batches, their columns and ingest reports.

use mino::ingest;
use mino::model::{self, ColumnRole};

use super::Timestamp;
use crate::convert::enum_name;
use crate::records::record;

record! {
    /// A batch: the jobs of one CSV file (or list of rows).
    Batch {
        /// Its id.
        id: String,
        /// The project's id.
        project_id: String,
        /// A display name (defaults to the file name).
        name: String,
        /// The uploaded file's name, when known.
        source_filename: Option<String>,
        /// Detected columns, in file order.
        columns: Vec<Column>,
        /// The header of the site-url column.
        site_url_column: String,
        /// The first rows of the file (at most 10), as written.
        preview: Vec<Vec<String>>,
        /// Warnings from ingest (e.g. the file was read as Latin-1).
        warnings: Vec<String>,
        /// Data rows in the file.
        total_rows: u64,
        /// Rows that became runnable jobs.
        valid_rows: u64,
        /// Rows kept as jobs with status ``invalid``.
        invalid_rows: u64,
        /// When it was created (UTC).
        created_at: Timestamp,
        /// When it last changed (UTC).
        updated_at: Timestamp,
        /// What ingest found, on the batch returned by ``upload_csv`` or ``create_batch``;
        /// ``None`` on batches fetched later.
        report: Option<IngestReport>,
    }
}

record! {
    /// One column of a batch as detected on ingest.
    Column {
        /// The header as written in the file.
        name: String,
        /// Position in the file, from 0.
        index: usize,
        /// The detected type: url, integer, number, boolean, date, email, text or empty.
        r#type: String,
        /// What the column is for: ``site``, ``input`` or ``ground_truth``.
        role: String,
        /// For a ground-truth column, the output field it holds the answers of.
        field: Option<String>,
        /// How many rows have a value in it.
        non_empty: u64,
    }
}

record! {
    /// What ingest found in a file, beyond what the batch records.
    IngestReport {
        /// The field separator: ``comma``, ``semicolon``, ``tab`` or ``pipe``.
        delimiter: String,
        /// How the bytes were read: ``utf8``, ``utf8_bom`` or ``latin1``.
        encoding: String,
        /// Data rows in the file.
        total_rows: u64,
        /// Rows that became runnable jobs.
        valid_rows: u64,
        /// Rows that became ``invalid`` jobs.
        invalid_rows: u64,
        /// The first invalid rows (at most 1,000) with their line numbers and reasons.
        invalid_row_list: Vec<InvalidRow>,
        /// Things to know about the file.
        warnings: Vec<String>,
    }
}

record! {
    /// A CSV row that could not become a runnable job.
    InvalidRow {
        /// Data row index from 0.
        row_index: u64,
        /// The 1-based line of the file where the row starts.
        line: u64,
        /// Why the row is not runnable.
        reason: String,
    }
}

impl From<&model::ColumnSchema> for Column {
    fn from(c: &model::ColumnSchema) -> Self {
        let (role, field) = match &c.role {
            ColumnRole::Site => ("site", None),
            ColumnRole::Input => ("input", None),
            ColumnRole::GroundTruth { field } => ("ground_truth", Some(field.clone())),
        };
        Column {
            name: c.name.clone(),
            index: c.index,
            r#type: enum_name(&c.column_type),
            role: role.to_owned(),
            field,
            non_empty: c.non_empty,
        }
    }
}

impl From<&ingest::IngestReport> for IngestReport {
    fn from(r: &ingest::IngestReport) -> Self {
        IngestReport {
            delimiter: enum_name(&r.delimiter),
            encoding: enum_name(&r.encoding),
            total_rows: r.total_rows,
            valid_rows: r.valid_rows,
            invalid_rows: r.invalid_rows,
            invalid_row_list: r
                .invalid_row_list
                .iter()
                .map(|row| InvalidRow {
                    row_index: row.row_index,
                    line: row.line,
                    reason: row.reason.clone(),
                })
                .collect(),
            warnings: r.warnings.clone(),
        }
    }
}

impl Batch {
    /// A batch record, with the ingest report when the batch was just created.
    pub fn new(b: &model::Batch, report: Option<&ingest::IngestReport>) -> Self {
        Batch {
            id: b.id.to_string(),
            project_id: b.project_id.to_string(),
            name: b.name.clone(),
            source_filename: b.source_filename.clone(),
            columns: b.columns.iter().map(Column::from).collect(),
            site_url_column: b.site_url_column.clone(),
            preview: b.preview.clone(),
            warnings: b.warnings.clone(),
            total_rows: b.total_rows,
            valid_rows: b.valid_rows,
            invalid_rows: b.invalid_rows,
            created_at: b.created_at,
            updated_at: b.updated_at,
            report: report.map(IngestReport::from),
        }
    }
}
