//! The analysis pass: one streaming read that checks every row and counts what it sees,
//! keeping only fixed-size state (per-column counters, 10 preview rows, at most 1,000
//! invalid rows), whatever the size of the file.

use std::time::Instant;

use crate::error::{Error, ErrorKind, Result};
use crate::model::{ColumnSchema, InvalidRow};

use super::detect::ColumnStats;
use super::encoding::{scan, too_large, Encoding};
use super::header::{
    ground_truth_field, quoted_list, read_header, site_column_by_name, site_column_by_override,
};
use super::layout::Layout;
use super::options::{IngestOptions, MAX_LISTED_INVALID_ROWS, PREVIEW_ROWS};
use super::plan::{IngestPlan, IngestReport};
use super::records::{Record, RecordReader};
use super::site::SiteResolver;
use super::sniff::sniff_source;
use super::source::{read_error, CsvSource};

/// How many first data rows (holding at most 4 MiB) decide the site column when no header
/// names it.
pub const SITE_SAMPLE_ROWS: usize = 1_000;
/// The most bytes of fields those rows may hold, so that huge first rows cannot make the
/// sample large.
const SITE_SAMPLE_BYTES: usize = 4 * 1024 * 1024;
/// The share of URL-like values, in percent, a column needs to be taken as the site column
/// when no header names it.
const SITE_MIN_URL_PERCENT: u64 = 50;

/// Reads the source (a cheap encoding scan, then one pass over the records) and plans the
/// batch: delimiter, encoding, columns with types and roles, the site column, counts,
/// invalid rows and warnings.
///
/// # Errors
///
/// - [`PayloadTooLarge`](ErrorKind::PayloadTooLarge): more than `max_bytes` bytes (checked
///   before reading) or more than `max_rows` data rows.
/// - [`UnsupportedMediaType`](ErrorKind::UnsupportedMediaType): binary data, UTF-16, a
///   workbook or a PDF.
/// - [`Validation`](ErrorKind::Validation): an empty file, no data rows, empty or duplicate
///   header names, an unknown `site_column`, no site column, or an unusable `base_dir`.
/// - [`NotFound`](ErrorKind::NotFound): the path does not exist.
pub fn analyze(source: &CsvSource, options: &IngestOptions) -> Result<IngestPlan> {
    let started = Instant::now();
    let fingerprint = source.fingerprint()?;
    if fingerprint.size > options.max_bytes {
        return Err(too_large(options.max_bytes));
    }
    let scanned = scan(source, options.max_bytes)?;
    if !scanned.has_content {
        return Err(Error::validation("the file is empty"));
    }
    let encoding = scanned.encoding;
    let delimiter = sniff_source(source, encoding.bom_len())?;
    let resolver = SiteResolver::new(options.base_dir.as_deref())?;

    let mut reader = RecordReader::new(source.open(encoding.bom_len())?, delimiter);
    let mut record = Record::default();
    let read = |reader: &mut RecordReader<_>, record: &mut Record| {
        reader.read(record).map_err(|err| read_error(source, err))
    };
    if !read(&mut reader, &mut record)? {
        return Err(Error::validation("the file is empty"));
    }
    let names = read_header(&record, encoding)?;

    // When no header names the site column, the first rows decide it; they are kept (a
    // bounded number) and counted below like every other row.
    let mut sample: Vec<Record> = Vec::new();
    let mut sample_bytes = 0;
    let site = match (&options.site_column, site_column_by_name(&names)) {
        (Some(wanted), _) => site_column_by_override(&names, wanted)?,
        (None, Some(index)) => index,
        (None, None) => {
            while sample.len() < SITE_SAMPLE_ROWS
                && sample_bytes < SITE_SAMPLE_BYTES
                && read(&mut reader, &mut record)?
            {
                sample_bytes += record.byte_len();
                sample.push(record.compact());
            }
            if sample.is_empty() {
                return Err(no_data_rows());
            }
            site_column_by_values(&names, &sample)?
        }
    };
    let layout = Layout::new(names, site, encoding, delimiter, resolver);

    let mut tally = Tally::new(&layout, options.max_rows);
    for row in &sample {
        tally.add(&layout, row)?;
    }
    drop(sample);
    while read(&mut reader, &mut record)? {
        tally.add(&layout, &record)?;
    }
    if tally.total == 0 {
        return Err(no_data_rows());
    }

    let report = tally.into_report(&layout);
    tracing::info!(
        source = %source.describe(),
        rows = report.total_rows,
        valid = report.valid_rows,
        invalid = report.invalid_rows,
        delimiter = %delimiter,
        encoding = %encoding,
        site_column = %report.site_url_column,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "analysed CSV"
    );
    Ok(IngestPlan::new(report, source.clone(), fingerprint, layout))
}

fn no_data_rows() -> Error {
    Error::validation("the file has a header but no data rows")
}

/// The non-ground-truth column with the largest share of URL-like values in the sample,
/// if that share is at least [`SITE_MIN_URL_PERCENT`]; ties go to the leftmost column.
fn site_column_by_values(names: &[String], sample: &[Record]) -> Result<usize> {
    let mut stats = vec![ColumnStats::default(); names.len()];
    for row in sample {
        for (column, value) in stats.iter_mut().zip(row.iter()) {
            column.observe(value);
        }
    }
    let best = stats
        .iter()
        .enumerate()
        .filter(|(index, s)| {
            ground_truth_field(&names[*index]).is_none() && s.url_percent() >= SITE_MIN_URL_PERCENT
        })
        .max_by_key(|(index, s)| (s.url_percent(), std::cmp::Reverse(*index)));
    match best {
        Some((index, s)) => {
            tracing::debug!(
                column = %names[index],
                url_percent = s.url_percent(),
                "site column chosen by its values"
            );
            Ok(index)
        }
        None => Err(Error::validation(format!(
            "no site column: no header is named like url, site, website, domain, link or \
             homepage, and no column holds mostly URLs; the columns are: {}",
            quoted_list(names)
        ))
        .with_context("field", "site_column")),
    }
}

/// The fixed-size state of the analysis pass.
struct Tally {
    stats: Vec<ColumnStats>,
    max_rows: u64,
    total: u64,
    valid: u64,
    invalid: u64,
    invalid_list: Vec<InvalidRow>,
    preview: Vec<Vec<String>>,
    encoding: Encoding,
}

impl Tally {
    fn new(layout: &Layout, max_rows: u64) -> Self {
        Tally {
            stats: vec![ColumnStats::default(); layout.names.len()],
            max_rows,
            total: 0,
            valid: 0,
            invalid: 0,
            invalid_list: Vec::new(),
            preview: Vec::new(),
            encoding: layout.encoding,
        }
    }

    fn add(&mut self, layout: &Layout, record: &Record) -> Result<()> {
        if self.total >= self.max_rows {
            return Err(Error::new(
                ErrorKind::PayloadTooLarge,
                format!(
                    "the file has more than {} data rows, the limit",
                    self.max_rows
                ),
            )
            .with_context("max_rows", self.max_rows.to_string()));
        }
        let row_index = self.total;
        self.total += 1;
        for (column, value) in self.stats.iter_mut().zip(record.iter()) {
            column.observe(value);
        }
        if self.preview.len() < PREVIEW_ROWS {
            let row = record
                .iter()
                .map(|field| self.encoding.decode(field).map(|s| s.into_owned()))
                .collect::<Result<Vec<_>>>()?;
            self.preview.push(row);
        }
        match layout.check(record)?.invalid_reason {
            None => self.valid += 1,
            Some(reason) => {
                self.invalid += 1;
                if self.invalid_list.len() < MAX_LISTED_INVALID_ROWS {
                    self.invalid_list.push(InvalidRow {
                        row_index,
                        line: record.line(),
                        reason,
                    });
                }
            }
        }
        Ok(())
    }

    fn into_report(self, layout: &Layout) -> IngestReport {
        let mut warnings = Vec::new();
        if layout.encoding == Encoding::Latin1 {
            warnings.push(
                "the file is not valid UTF-8, so it was read as Latin-1 (ISO-8859-1); \
                 check that accented characters look right"
                    .to_string(),
            );
        }
        if self.valid == 0 {
            warnings
                .push("every row is invalid, so no job can run; see the invalid rows".to_string());
        }
        if self.invalid > self.invalid_list.len() as u64 {
            warnings.push(format!(
                "{} rows are invalid; only the first {} are listed",
                self.invalid,
                self.invalid_list.len()
            ));
        }
        let columns: Vec<ColumnSchema> = layout
            .names
            .iter()
            .zip(&layout.roles)
            .zip(&self.stats)
            .enumerate()
            .map(|(index, ((name, role), stats))| ColumnSchema {
                name: name.clone(),
                index,
                column_type: stats.column_type(),
                role: role.clone(),
                non_empty: stats.non_empty,
            })
            .collect();
        for column in columns.iter().filter(|c| c.non_empty == 0) {
            warnings.push(format!("column `{}` is empty in every row", column.name));
        }
        IngestReport {
            delimiter: layout.delimiter,
            encoding: layout.encoding,
            columns,
            site_url_column: layout.names[layout.site].clone(),
            preview: self.preview,
            warnings,
            total_rows: self.total,
            valid_rows: self.valid,
            invalid_rows: self.invalid,
            invalid_row_list: self.invalid_list,
        }
    }
}
