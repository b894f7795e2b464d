//! What each column of an analysed file is for, and how one record becomes a job. Both
//! passes use the same [`Layout::check`], so the rows pass agrees with the analysis counts.

use std::io::Read;

use indexmap::IndexMap;

use crate::error::Result;
use crate::model::{ColumnRole, NewJob};

use super::encoding::Encoding;
use super::header::ground_truth_field;
use super::records::{Record, RecordReader};
use super::site::SiteResolver;
use super::sniff::Delimiter;
use super::source::CsvSource;

/// The columns of a file and how to read it.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub(crate) names: Vec<String>,
    pub(crate) roles: Vec<ColumnRole>,
    pub(crate) site: usize,
    pub(crate) encoding: Encoding,
    pub(crate) delimiter: Delimiter,
    pub(crate) resolver: SiteResolver,
}

/// The outcome of checking one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RowCheck {
    /// The normalised URL, or the trimmed value as written when the row is invalid.
    pub(crate) site_url: String,
    /// Why the row cannot run.
    pub(crate) invalid_reason: Option<String>,
}

impl Layout {
    /// A layout with `site` as the site column; every other column is an input, except
    /// `gt_` columns, which are ground truth.
    pub(crate) fn new(
        names: Vec<String>,
        site: usize,
        encoding: Encoding,
        delimiter: Delimiter,
        resolver: SiteResolver,
    ) -> Self {
        let roles = names
            .iter()
            .enumerate()
            .map(|(index, name)| match ground_truth_field(name) {
                _ if index == site => ColumnRole::Site,
                Some(field) => ColumnRole::GroundTruth {
                    field: field.to_string(),
                },
                None => ColumnRole::Input,
            })
            .collect();
        Layout {
            names,
            roles,
            site,
            encoding,
            delimiter,
            resolver,
        }
    }

    /// A record reader over the source, past its BOM, header included. Records may have
    /// any number of fields: ragged rows are reported, not fatal.
    pub(crate) fn reader(&self, source: &CsvSource) -> Result<RecordReader<Box<dyn Read + Send>>> {
        let input = source.open(self.encoding.bom_len())?;
        Ok(RecordReader::new(input, self.delimiter))
    }

    /// Checks one data record: field count and site URL.
    pub(crate) fn check(&self, record: &Record) -> Result<RowCheck> {
        let raw = match record.get(self.site) {
            Some(bytes) => self.encoding.decode(bytes)?,
            None => "".into(),
        };
        let resolved = self.resolver.resolve(&raw);
        let (site_url, site_problem) = match resolved {
            Ok(url) => (url, None),
            Err(reason) => (raw.trim().to_string(), Some(reason)),
        };
        let invalid_reason = if record.len() != self.names.len() {
            Some(format!(
                "row has {} field{}, the header has {}",
                record.len(),
                if record.len() == 1 { "" } else { "s" },
                self.names.len()
            ))
        } else {
            site_problem
        };
        Ok(RowCheck {
            site_url,
            invalid_reason,
        })
    }

    /// The job for one data record. Missing fields of a short row are empty, extra fields
    /// of a long row are left out (the row is invalid either way).
    pub(crate) fn job(&self, record: &Record, row_index: u64) -> Result<NewJob> {
        let check = self.check(record)?;
        let mut inputs = IndexMap::new();
        let mut ground_truth = IndexMap::new();
        for (index, role) in self.roles.iter().enumerate() {
            let value = match record.get(index) {
                Some(bytes) => self.encoding.decode(bytes)?.into_owned(),
                None => String::new(),
            };
            match role {
                ColumnRole::Site => {}
                ColumnRole::Input => {
                    inputs.insert(self.names[index].clone(), value);
                }
                ColumnRole::GroundTruth { field } => {
                    if !value.trim().is_empty() {
                        ground_truth.insert(field.clone(), value);
                    }
                }
            }
        }
        Ok(NewJob {
            row_index,
            line: record.line(),
            site_url: check.site_url,
            inputs,
            ground_truth,
            invalid_reason: check.invalid_reason,
        })
    }
}
