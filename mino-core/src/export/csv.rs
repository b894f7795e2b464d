//! CSV: one header row, then one row per job, cells neutralised against formulas.

use std::fmt::Write as _;
use std::io::Write;

use super::error::csv_error;
use super::layout::{is_plain_number, neutralise, Cell, ExportLayout, RowWriter};
use crate::error::Result;

/// Writes rows as CSV (RFC 4180 quoting, `\n` line ends).
pub(crate) struct CsvSink<W: Write> {
    writer: csv::Writer<W>,
    scratch: String,
}

impl<W: Write> CsvSink<W> {
    /// Starts the file with the header row.
    pub(crate) fn new(layout: &ExportLayout, out: W) -> Result<Self> {
        let mut writer = csv::WriterBuilder::new()
            .buffer_capacity(64 * 1024)
            .from_writer(out);
        let headers = layout.headers();
        writer
            .write_record(headers.iter().map(|h| neutralise(h).into_owned()))
            .map_err(csv_error)?;
        Ok(CsvSink {
            writer,
            scratch: String::new(),
        })
    }

    /// Ends the current row.
    pub(crate) fn end_row(&mut self) -> Result<()> {
        self.writer.write_record(None::<&[u8]>).map_err(csv_error)
    }

    /// Flushes everything to the output.
    pub(crate) fn finish(mut self) -> Result<()> {
        self.writer.flush().map_err(super::error::io_error)
    }
}

impl<W: Write> RowWriter for CsvSink<W> {
    fn cell(&mut self, cell: Cell<'_>) -> Result<()> {
        let field: &str = match cell {
            Cell::Empty => "",
            Cell::Index(i) => {
                self.scratch.clear();
                // Writing to a String cannot fail.
                let _ = write!(self.scratch, "{i}");
                &self.scratch
            }
            // A plain number in a numeric column is data, not a formula.
            Cell::Text {
                value,
                numeric: true,
            } if is_plain_number(value) => value,
            Cell::Text { value, .. } => {
                let safe = neutralise(value);
                return self.writer.write_field(safe.as_bytes()).map_err(csv_error);
            }
            Cell::Accuracy(a) => a.as_str(),
            Cell::Match(true) => "true",
            Cell::Match(false) => "false",
        };
        self.writer.write_field(field).map_err(csv_error)
    }
}
