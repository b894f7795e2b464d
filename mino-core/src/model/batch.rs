//! Batches: one uploaded CSV, its detected schema and row counts.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ids::{BatchId, ProjectId};

/// The type detected for a CSV column from its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ColumnType {
    /// URLs or bare domains.
    Url,
    /// Whole numbers.
    Integer,
    /// Decimal numbers (currency and separators allowed).
    Number,
    /// yes/no, true/false, 1/0.
    Boolean,
    /// Dates in a common written format.
    Date,
    /// E-mail addresses.
    Email,
    /// Anything else.
    Text,
    /// No values at all.
    Empty,
}

/// What a column is used for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ColumnRole {
    /// The site URL of each row.
    Site,
    /// An input passed to the agent.
    Input,
    /// Ground truth for the output field `field` (column `gt_<field>`).
    GroundTruth {
        /// The output field name.
        field: String,
    },
}

/// One column of a batch as detected on ingest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ColumnSchema {
    /// The header as written in the file.
    pub name: String,
    /// Position in the file, from 0.
    pub index: usize,
    /// The detected type.
    pub column_type: ColumnType,
    /// What the column is used for.
    pub role: ColumnRole,
    /// How many rows have a non-empty value.
    pub non_empty: u64,
}

/// A row that could not become a runnable job, with where it is in the file and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvalidRow {
    /// Data row index from 0 (the header is not a row).
    pub row_index: u64,
    /// The 1-based line number in the file where the row starts.
    pub line: u64,
    /// Why the row is not runnable.
    pub reason: String,
}

/// A batch: the jobs of one CSV file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Batch {
    /// Its id.
    pub id: BatchId,
    /// The project it belongs to.
    pub project_id: ProjectId,
    /// A display name (defaults to the file name).
    pub name: String,
    /// The uploaded file's name, when known.
    pub source_filename: Option<String>,
    /// Detected columns, in file order.
    pub columns: Vec<ColumnSchema>,
    /// The header of the site-url column.
    pub site_url_column: String,
    /// The first rows of the file (at most 10), as written, for previews.
    pub preview: Vec<Vec<String>>,
    /// Warnings from ingest (e.g. the file was read as Latin-1).
    pub warnings: Vec<String>,
    /// Data rows in the file.
    pub total_rows: u64,
    /// Rows that became runnable jobs.
    pub valid_rows: u64,
    /// Rows kept as jobs with status `invalid`.
    pub invalid_rows: u64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl Batch {
    /// Names of the output fields that have a ground-truth column.
    pub fn ground_truth_fields(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().filter_map(|c| match &c.role {
            ColumnRole::GroundTruth { field } => Some(field.as_str()),
            _ => None,
        })
    }
}

/// Input for creating a batch; the store assigns the id and timestamps and counts the rows
/// it stores (total, valid, invalid).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewBatch {
    /// The project it belongs to.
    pub project_id: ProjectId,
    /// A display name.
    pub name: String,
    /// The uploaded file's name, when known.
    pub source_filename: Option<String>,
    /// Detected columns.
    pub columns: Vec<ColumnSchema>,
    /// The header of the site-url column.
    pub site_url_column: String,
    /// Up to 10 preview rows.
    pub preview: Vec<Vec<String>>,
    /// Ingest warnings.
    pub warnings: Vec<String>,
}

/// A partial update of a batch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchUpdate {
    /// New display name.
    #[serde(default)]
    pub name: Option<String>,
}
