//! CSV ingest: from an uploaded or local CSV file to a batch of jobs, in constant memory.
//!
//! A file is read in passes, never held whole:
//!
//! 1. **scan** — a cheap byte pass: binary data is refused, the encoding is UTF-8 (with or
//!    without BOM) or, failing that, Latin-1;
//! 2. **analysis** ([`analyze`]) — the delimiter is sniffed from the first lines, then every
//!    record is checked and counted: column types, the site column, valid and invalid rows
//!    (with line numbers), a preview. The result is an [`IngestPlan`];
//! 3. **rows** ([`IngestPlan::rows`]) — records become [`NewJob`](crate::model::NewJob)s
//!    lazily, as the store consumes them inside its transaction.
//!
//! [`import_csv`] runs all of it against a [`Store`](crate::store::Store).
//!
//! # Columns
//!
//! - The **site column** is the one named by [`IngestOptions::site_column`], else one whose
//!   header reads like `url`, `site`, `Site URL`, `website_url`, `domain`, `link` or
//!   `homepage`, else the column whose first values are mostly URLs or domain names.
//!   `gt_` columns are never the site column.
//! - `gt_<field>` columns (prefix in any case) hold ground truth for `<field>`; empty cells
//!   are not stored.
//! - Every other column is an input, in file order, empty values included.
//!
//! # Rows
//!
//! Every data row becomes a job. A row whose site value is not an `http`/`https`/`file`
//! URL or a domain name (made `https://`), or whose field count differs from the header's,
//! becomes an `invalid` job with a reason; rows are never dropped.

mod analyze;
mod classify;
mod dates;
mod detect;
mod encoding;
mod header;
mod import;
mod layout;
mod options;
mod plan;
mod records;
mod rows;
mod site;
mod sniff;
mod source;

pub use analyze::{analyze, SITE_SAMPLE_ROWS};
pub use detect::SHARE_PERCENT;
pub use encoding::Encoding;
pub use header::GROUND_TRUTH_PREFIX;
pub use import::{analyze_async, import_csv};
pub use options::{
    IngestOptions, DEFAULT_MAX_BYTES, DEFAULT_MAX_ROWS, MAX_LISTED_INVALID_ROWS, PREVIEW_ROWS,
};
pub use plan::{IngestPlan, IngestReport};
pub use sniff::Delimiter;
pub use source::CsvSource;
