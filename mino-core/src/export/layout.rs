//! Which columns an export has, and the cells of one job's row.
//!
//! The tabular formats (CSV, Excel) share one column layout: `row_index`, `site_url`,
//! `status`, `accuracy`, each input column, then for each output field `<field>` (the
//! extracted value), `gt_<field>` (the ground truth) and `<field>_match` (the stored verdict).

use std::borrow::Cow;

use crate::error::Result;
use crate::evaluation::lookup_at;
use crate::model::{Accuracy, Batch, ColumnRole, ColumnType, FieldType, Job, Project};

/// One column of the layout that holds free values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueColumn {
    /// The input column header or output field name.
    pub name: String,
    /// Whether values are numbers: plain numbers are then written as numbers (Excel) and
    /// left as they are (CSV) instead of being neutralised.
    pub numeric: bool,
}

/// The columns of an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportLayout {
    /// A title for the export (the project's name), shown on the Excel summary sheet.
    pub title: String,
    /// Input columns, in file order.
    pub inputs: Vec<ValueColumn>,
    /// Output fields, in project order.
    pub fields: Vec<ValueColumn>,
}

impl ExportLayout {
    /// The layout of a project's jobs from the given batches: the inputs are those of the
    /// batches' schemas (in the first batch's order, then new ones as they appear), numeric
    /// when every batch detected them as integers or numbers; the fields are the project's,
    /// numeric when of type number.
    pub fn new(project: &Project, batches: &[Batch]) -> Self {
        let mut inputs: Vec<ValueColumn> = Vec::new();
        for batch in batches {
            for column in &batch.columns {
                if column.role != ColumnRole::Input {
                    continue;
                }
                let numeric =
                    matches!(column.column_type, ColumnType::Integer | ColumnType::Number);
                match inputs.iter_mut().find(|c| c.name == column.name) {
                    Some(existing) => existing.numeric &= numeric,
                    None => inputs.push(ValueColumn {
                        name: column.name.clone(),
                        numeric,
                    }),
                }
            }
        }
        let fields = project
            .output_fields
            .iter()
            .map(|f| ValueColumn {
                name: f.name.clone(),
                numeric: f.field_type == FieldType::Number,
            })
            .collect();
        ExportLayout {
            title: project.name.clone(),
            inputs,
            fields,
        }
    }

    /// The header row.
    pub fn headers(&self) -> Vec<String> {
        let mut headers: Vec<String> = ["row_index", "site_url", "status", "accuracy"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        headers.extend(self.inputs.iter().map(|c| c.name.clone()));
        for field in &self.fields {
            headers.push(field.name.clone());
            headers.push(format!("gt_{}", field.name));
            headers.push(format!("{}_match", field.name));
        }
        headers
    }

    /// How many columns a row has.
    pub fn width(&self) -> usize {
        4 + self.inputs.len() + 3 * self.fields.len()
    }

    /// Hands the cells of one job's row to `out`, in column order.
    pub(crate) fn write_row<R: RowWriter>(&self, job: &Job, out: &mut R) -> Result<()> {
        out.cell(Cell::Index(job.row_index))?;
        out.cell(Cell::text(&job.site_url, false))?;
        out.cell(Cell::text(job.status.as_str(), false))?;
        out.cell(job.accuracy.map_or(Cell::Empty, Cell::Accuracy))?;
        for (i, input) in self.inputs.iter().enumerate() {
            let value = match job.inputs.get_index(i) {
                Some((key, value)) if *key == input.name => Some(value),
                _ => job.inputs.get(&input.name),
            };
            out.cell(value.map_or(Cell::Empty, |v| Cell::text(v, input.numeric)))?;
        }
        let verdicts = job.evaluation.as_ref().map_or(&[][..], |e| &e.fields[..]);
        for (i, field) in self.fields.iter().enumerate() {
            let extracted = job
                .extraction
                .as_ref()
                .and_then(|e| lookup_at(e, i, &field.name))
                .and_then(|v| v.as_deref());
            out.cell(extracted.map_or(Cell::Empty, |v| Cell::text(v, field.numeric)))?;
            let expected = lookup_at(&job.ground_truth, i, &field.name);
            out.cell(expected.map_or(Cell::Empty, |v| Cell::text(v, field.numeric)))?;
            // Verdicts are usually in field order: look there first.
            let verdict = match verdicts.get(i) {
                Some(v) if v.field == field.name => Some(v),
                _ => verdicts.iter().find(|v| v.field == field.name),
            };
            out.cell(verdict.map_or(Cell::Empty, |v| Cell::Match(v.passed)))?;
        }
        Ok(())
    }
}

/// Receives the cells of a row, one at a time, in column order.
pub(crate) trait RowWriter {
    /// Writes the next cell.
    fn cell(&mut self, cell: Cell<'_>) -> Result<()>;
}

/// One cell of a row, before a format writes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Cell<'a> {
    /// Nothing.
    Empty,
    /// The job's row index.
    Index(u64),
    /// A value from a website, a user or the CSV.
    Text {
        /// The value.
        value: &'a str,
        /// Whether the column holds numbers.
        numeric: bool,
    },
    /// The job's verdict.
    Accuracy(Accuracy),
    /// One field's verdict.
    Match(bool),
}

impl<'a> Cell<'a> {
    fn text(value: &'a str, numeric: bool) -> Self {
        if value.is_empty() {
            Cell::Empty
        } else {
            Cell::Text { value, numeric }
        }
    }
}

/// Whether a spreadsheet would read `s` as a formula: it starts with `=`, `+`, `-`, `@`, a
/// tab or a carriage return.
pub fn is_formula_like(s: &str) -> bool {
    matches!(
        s.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    )
}

/// `s` made safe for a spreadsheet: prefixed with `'` when it would be read as a formula,
/// so a website's text can never run as one.
pub fn neutralise(s: &str) -> Cow<'_, str> {
    if is_formula_like(s) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// `s` as a number when it is a plain decimal number that a spreadsheet reads back exactly
/// (see [`is_plain_number`]).
pub fn plain_number(s: &str) -> Option<f64> {
    if is_plain_number(s) {
        s.parse().ok()
    } else {
        None
    }
}

/// Whether `s` is a plain decimal number that a spreadsheet reads back exactly: an optional
/// `-`, digits without a superfluous leading zero, an optional fraction, at most 15 digits.
pub fn is_plain_number(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s).as_bytes();
    let (mut int, mut frac, mut point) = (0usize, 0usize, false);
    for &b in digits {
        match b {
            b'0'..=b'9' if point => frac += 1,
            b'0'..=b'9' => int += 1,
            b'.' if !point => point = true,
            _ => return false,
        }
    }
    int > 0 && (!point || frac > 0) && (int == 1 || digits[0] != b'0') && int + frac <= 15
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutralises_formulas_and_reads_plain_numbers() {
        assert_eq!(neutralise("=1+1"), "'=1+1");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("\tx"), "'\tx");
        assert_eq!(neutralise("plain"), "plain");
        assert_eq!(plain_number("-5"), Some(-5.0));
        assert_eq!(plain_number("12.50"), Some(12.5));
        assert_eq!(plain_number("007"), None);
        assert_eq!(plain_number("-5+cmd"), None);
        assert_eq!(plain_number("1e5"), None);
        assert_eq!(plain_number("1234567890123456"), None);
    }
}
