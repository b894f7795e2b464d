//! Limits and choices for one ingest.

use std::path::PathBuf;

/// The largest file ingested by default: 100 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 100 * 1024 * 1024;
/// The most data rows ingested by default.
pub const DEFAULT_MAX_ROWS: u64 = 5_000_000;
/// How many invalid rows a plan lists; the counts always cover all of them.
pub const MAX_LISTED_INVALID_ROWS: usize = 1_000;
/// How many data rows a plan keeps for previews.
pub const PREVIEW_ROWS: usize = 10;

/// How to ingest a CSV file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestOptions {
    /// Files larger than this many bytes are refused with
    /// [`ErrorKind::PayloadTooLarge`](crate::ErrorKind::PayloadTooLarge) before they are read.
    pub max_bytes: u64,
    /// Files with more data rows than this are refused with
    /// [`ErrorKind::PayloadTooLarge`](crate::ErrorKind::PayloadTooLarge).
    pub max_rows: u64,
    /// The header of the site-url column, overriding detection (matched case-insensitively,
    /// ignoring surrounding spaces).
    pub site_column: Option<String>,
    /// A directory against which site values that are relative file paths (`pages/a.html`)
    /// become `file://` URLs. Only files inside this directory are accepted; without it,
    /// such values are invalid rows.
    pub base_dir: Option<PathBuf>,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            max_bytes: DEFAULT_MAX_BYTES,
            max_rows: DEFAULT_MAX_ROWS,
            site_column: None,
            base_dir: None,
        }
    }
}

impl IngestOptions {
    /// Sets [`IngestOptions::site_column`].
    #[must_use]
    pub fn with_site_column(mut self, column: impl Into<String>) -> Self {
        self.site_column = Some(column.into());
        self
    }

    /// Sets [`IngestOptions::base_dir`].
    #[must_use]
    pub fn with_base_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.base_dir = Some(dir.into());
        self
    }

    /// Sets [`IngestOptions::max_bytes`].
    #[must_use]
    pub fn with_max_bytes(mut self, max_bytes: u64) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// Sets [`IngestOptions::max_rows`].
    #[must_use]
    pub fn with_max_rows(mut self, max_rows: u64) -> Self {
        self.max_rows = max_rows;
        self
    }
}
