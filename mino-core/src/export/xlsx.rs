//! Excel: a "Results" sheet written in constant memory, then "Metrics" and "Summary".
//!
//! - **Results**: the header row (bold, frozen, with an autofilter over every row), one row
//!   per job. Verdicts are booleans on green (pass) or red (fail) fills; the job accuracy is
//!   on a green, amber or red fill. Plain numbers in numeric columns are numbers; every other
//!   value is a string, prefixed with `'` when it would otherwise read as a formula. Values
//!   longer than Excel's cell limit (32,767 UTF-16 units) are cut there. A sheet holds at
//!   most 1,048,575 jobs; further jobs continue on "Results 2", "Results 3"…
//! - **Metrics**: one row per output field: evaluated, passed, failed, missing, wrong and
//!   accuracy.
//! - **Summary**: the title, when it was exported, job counts and the pass rate.
//!
//! The Results sheets use rust_xlsxwriter's constant-memory mode: each row goes to a
//! temporary file as soon as the next one starts, so memory stays flat whatever the number
//! of jobs. The workbook is assembled into the output at the end.

use std::borrow::Cow;
use std::io::Write;

use chrono::{DateTime, Utc};
use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook, Worksheet};

use super::error::{io_error, xlsx_error};
use super::layout::{neutralise, plain_number, Cell, ExportLayout, RowWriter};
use crate::error::{Error, Result};
use crate::model::{Accuracy, BatchMetrics};

/// Rows of a sheet available to jobs (Excel's 1,048,576 less the header).
pub const MAX_JOBS_PER_SHEET: u32 = 1_048_575;
/// Excel's column limit.
const MAX_COLUMNS: usize = 16_384;
/// Excel's cell text limit, in UTF-16 units.
const MAX_CELL_UTF16: usize = 32_767;

struct Formats {
    header: Format,
    pass: Format,
    fail: Format,
    partial: Format,
    percent: Format,
}

impl Formats {
    fn new() -> Self {
        let fill = |bg: u32, fg: u32| {
            Format::new()
                .set_background_color(Color::RGB(bg))
                .set_font_color(Color::RGB(fg))
        };
        Formats {
            header: Format::new()
                .set_bold()
                .set_background_color(Color::RGB(0xD9E1F2))
                .set_border_bottom(FormatBorder::Thin),
            pass: fill(0xC6EFCE, 0x006100),
            fail: fill(0xFFC7CE, 0x9C0006),
            partial: fill(0xFFEB9C, 0x9C5700),
            percent: Format::new().set_num_format("0.0%"),
        }
    }
}

/// Writes rows into a workbook and the workbook into `out` at the end.
pub(crate) struct XlsxSink<W: Write + Send> {
    workbook: Workbook,
    out: W,
    formats: Formats,
    headers: Vec<String>,
    /// Index in the workbook of each Results sheet, with its last written row.
    sheets: Vec<(usize, u32)>,
    /// Jobs per Results sheet before the next one starts.
    jobs_per_sheet: u32,
    /// Where the next cell goes: sheet index, row, column.
    cursor: (usize, u32, u16),
}

impl<W: Write + Send> XlsxSink<W> {
    /// Starts a workbook with its first Results sheet.
    pub(crate) fn new(layout: &ExportLayout, out: W) -> Result<Self> {
        if layout.width() > MAX_COLUMNS {
            return Err(Error::validation(format!(
                "an Excel sheet holds at most {MAX_COLUMNS} columns; this export needs {}",
                layout.width()
            ))
            .with_context("field", "format"));
        }
        let mut sink = XlsxSink {
            workbook: Workbook::new(),
            out,
            formats: Formats::new(),
            headers: layout.headers(),
            sheets: Vec::new(),
            jobs_per_sheet: MAX_JOBS_PER_SHEET,
            cursor: (0, 0, 0),
        };
        sink.add_results_sheet()?;
        Ok(sink)
    }

    fn add_results_sheet(&mut self) -> Result<()> {
        let index = self.sheets.len();
        let name = match index {
            0 => "Results".to_owned(),
            n => format!("Results {}", n + 1),
        };
        let sheet = self
            .workbook
            .add_worksheet_with_constant_memory()
            .map_err(xlsx_error)?;
        sheet.set_name(name).map_err(xlsx_error)?;
        for (col, header) in self.headers.iter().enumerate() {
            let col = col as u16;
            sheet
                .write_string_with_format(0, col, fit(&neutralise(header)), &self.formats.header)
                .map_err(xlsx_error)?;
            let width = match col {
                0 => 10.0,
                1 => 36.0,
                _ => (header.chars().count() as f64 + 2.0).clamp(10.0, 30.0),
            };
            sheet.set_column_width(col, width).map_err(xlsx_error)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
        // Sheets are added in order, so the workbook index is the number of sheets so far.
        self.sheets.push((index, 0));
        Ok(())
    }

    /// Starts the next row, on a new Results sheet when the current one is full.
    pub(crate) fn start_row(&mut self) -> Result<()> {
        if self
            .sheets
            .last()
            .is_some_and(|(_, row)| *row >= self.jobs_per_sheet)
        {
            self.add_results_sheet()?;
        }
        let Some((index, last_row)) = self.sheets.last_mut() else {
            return Err(Error::internal("the Excel export has no Results sheet"));
        };
        *last_row += 1;
        self.cursor = (*index, *last_row, 0);
        Ok(())
    }

    /// Adds the autofilters and the Metrics and Summary sheets, and writes the workbook.
    pub(crate) fn finish(
        mut self,
        title: &str,
        jobs: u64,
        metrics: &BatchMetrics,
        exported_at: DateTime<Utc>,
    ) -> Result<()> {
        let last_col = (self.headers.len() - 1) as u16;
        for (index, last_row) in self.sheets.clone() {
            let sheet = self
                .workbook
                .worksheet_from_index(index)
                .map_err(xlsx_error)?;
            sheet
                .autofilter(0, 0, last_row, last_col)
                .map_err(xlsx_error)?;
        }
        let sheet = self.workbook.add_worksheet();
        sheet.set_name("Metrics").map_err(xlsx_error)?;
        write_metrics(sheet, &self.formats, metrics)?;
        let sheet = self.workbook.add_worksheet();
        sheet.set_name("Summary").map_err(xlsx_error)?;
        write_summary(sheet, &self.formats, title, jobs, metrics, exported_at)?;
        self.workbook
            .save_to_writer(&mut self.out)
            .map_err(xlsx_error)?;
        self.out.flush().map_err(io_error)
    }
}

impl<W: Write + Send> RowWriter for XlsxSink<W> {
    fn cell(&mut self, cell: Cell<'_>) -> Result<()> {
        let (index, row, col) = self.cursor;
        self.cursor.2 += 1;
        let formats = &self.formats;
        let sheet = self
            .workbook
            .worksheet_from_index(index)
            .map_err(xlsx_error)?;
        let written = match cell {
            Cell::Empty => return Ok(()),
            Cell::Index(i) => sheet.write_number(row, col, i as f64),
            Cell::Text { value, numeric } => match numeric.then(|| plain_number(value)).flatten() {
                Some(number) => sheet.write_number(row, col, number),
                None => sheet.write_string(row, col, fit(&neutralise(value))),
            },
            Cell::Accuracy(a) => {
                let format = match a {
                    Accuracy::Pass => &formats.pass,
                    Accuracy::Partial => &formats.partial,
                    Accuracy::Fail => &formats.fail,
                };
                sheet.write_string_with_format(row, col, a.as_str(), format)
            }
            Cell::Match(passed) => {
                let format = if passed { &formats.pass } else { &formats.fail };
                sheet.write_boolean_with_format(row, col, passed, format)
            }
        };
        written.map(|_| ()).map_err(xlsx_error)
    }
}

/// `s` cut to Excel's cell limit.
fn fit<'a>(s: &'a Cow<'a, str>) -> &'a str {
    // UTF-16 units never outnumber UTF-8 bytes, so short strings need no counting.
    if s.len() <= MAX_CELL_UTF16 {
        return s;
    }
    let mut units = 0;
    for (i, c) in s.char_indices() {
        units += c.len_utf16();
        if units > MAX_CELL_UTF16 {
            return &s[..i];
        }
    }
    s
}

fn write_metrics(sheet: &mut Worksheet, formats: &Formats, metrics: &BatchMetrics) -> Result<()> {
    let headers = [
        "field",
        "evaluated",
        "passed",
        "failed",
        "missing",
        "wrong",
        "accuracy",
    ];
    for (col, header) in headers.iter().enumerate() {
        sheet
            .write_string_with_format(0, col as u16, *header, &formats.header)
            .map_err(xlsx_error)?;
        sheet
            .set_column_width(col as u16, if col == 0 { 24.0 } else { 12.0 })
            .map_err(xlsx_error)?;
    }
    for (i, column) in metrics.columns.iter().enumerate() {
        let row = i as u32 + 1;
        sheet
            .write_string(row, 0, fit(&neutralise(&column.field)))
            .map_err(xlsx_error)?;
        let counts = [
            column.evaluated,
            column.passed,
            column.failed,
            column.missing,
            column.wrong,
        ];
        for (col, n) in counts.iter().enumerate() {
            sheet
                .write_number(row, col as u16 + 1, *n as f64)
                .map_err(xlsx_error)?;
        }
        if let Some(accuracy) = column.accuracy {
            sheet
                .write_number_with_format(row, 6, accuracy, &formats.percent)
                .map_err(xlsx_error)?;
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
    Ok(())
}

fn write_summary(
    sheet: &mut Worksheet,
    formats: &Formats,
    title: &str,
    jobs: u64,
    metrics: &BatchMetrics,
    exported_at: DateTime<Utc>,
) -> Result<()> {
    sheet.set_column_width(0, 20.0).map_err(xlsx_error)?;
    sheet.set_column_width(1, 30.0).map_err(xlsx_error)?;
    let text_rows = [
        ("project", title.to_owned()),
        (
            "exported_at",
            exported_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        ),
    ];
    let mut row = 0;
    for (label, value) in &text_rows {
        sheet
            .write_string_with_format(row, 0, *label, &formats.header)
            .map_err(xlsx_error)?;
        sheet
            .write_string(row, 1, fit(&neutralise(value)))
            .map_err(xlsx_error)?;
        row += 1;
    }
    let counts = [
        ("jobs", jobs),
        ("jobs_evaluated", metrics.jobs_evaluated),
        ("jobs_passed", metrics.jobs_passed),
        ("jobs_partial", metrics.jobs_partial),
        ("jobs_failed", metrics.jobs_failed),
    ];
    for (label, n) in counts {
        sheet
            .write_string_with_format(row, 0, label, &formats.header)
            .map_err(xlsx_error)?;
        sheet.write_number(row, 1, n as f64).map_err(xlsx_error)?;
        row += 1;
    }
    sheet
        .write_string_with_format(row, 0, "pass_rate", &formats.header)
        .map_err(xlsx_error)?;
    if let Some(rate) = metrics.pass_rate {
        sheet
            .write_number_with_format(row, 1, rate, &formats.percent)
            .map_err(xlsx_error)?;
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::model::BatchMetrics;

    #[test]
    fn results_continue_on_new_sheets_when_one_is_full() {
        let layout = ExportLayout {
            title: "t".into(),
            inputs: Vec::new(),
            fields: Vec::new(),
        };
        let mut out = Vec::new();
        let mut sink = XlsxSink::new(&layout, &mut out).unwrap();
        sink.jobs_per_sheet = 2;
        for i in 0..5 {
            sink.start_row().unwrap();
            for cell in [Cell::Index(i), Cell::Empty, Cell::Empty, Cell::Empty] {
                sink.cell(cell).unwrap();
            }
        }
        assert_eq!(sink.sheets, vec![(0, 2), (1, 2), (2, 1)]);
        for name in ["Results", "Results 2", "Results 3"] {
            assert!(sink.workbook.worksheet_from_name(name).is_ok(), "{name}");
        }
        sink.finish("t", 5, &BatchMetrics::default(), Utc::now())
            .unwrap();
        assert!(out.starts_with(b"PK"), "an xlsx file is a zip archive");
    }
}
