//! The one code path every export goes through: jobs in, rows out, metrics on the way.

use std::io::Write;

use chrono::Utc;
use serde::{Deserialize, Serialize};
use tracing::debug;

use super::csv::CsvSink;
use super::json::JsonSink;
use super::layout::ExportLayout;
use super::xlsx::XlsxSink;
use crate::error::{Error, Result};
use crate::metrics::AccuracyTally;
use crate::model::{BatchMetrics, Job};

/// An export file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// Comma-separated values, one row per job.
    Csv,
    /// One JSON array of job objects.
    Json,
    /// One JSON object per line.
    Ndjson,
    /// An Excel workbook (Results, Metrics and Summary sheets).
    Xlsx,
}

impl ExportFormat {
    /// Every format.
    pub const ALL: [ExportFormat; 4] = [
        ExportFormat::Csv,
        ExportFormat::Json,
        ExportFormat::Ndjson,
        ExportFormat::Xlsx,
    ];

    /// The lower-case name, which is also the file extension.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Json => "json",
            ExportFormat::Ndjson => "ndjson",
            ExportFormat::Xlsx => "xlsx",
        }
    }

    /// Parses the lower-case name (`jsonl` is accepted for NDJSON, `excel` for XLSX).
    pub fn parse(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(ExportFormat::Csv),
            "json" => Ok(ExportFormat::Json),
            "ndjson" | "jsonl" => Ok(ExportFormat::Ndjson),
            "xlsx" | "excel" => Ok(ExportFormat::Xlsx),
            _ => Err(Error::validation(format!(
                "unknown export format {s:?} (expected csv, json, ndjson or xlsx)"
            ))
            .with_context("field", "format")),
        }
    }

    /// The MIME type of the file.
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Json => "application/json",
            ExportFormat::Ndjson => "application/x-ndjson",
            ExportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        }
    }
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportSummary {
    /// The format written.
    pub format: ExportFormat,
    /// Jobs written (one row or object each).
    pub jobs: u64,
    /// Accuracy of the jobs written, from their stored evaluations (no cost).
    pub metrics: BatchMetrics,
}

enum Sink<W: Write + Send> {
    Csv(Box<CsvSink<W>>),
    Json(JsonSink<W>),
    Xlsx(Box<XlsxSink<W>>),
}

/// Writes jobs one at a time in any [`ExportFormat`], in constant memory, and counts their
/// metrics on the way.
pub struct ExportWriter<W: Write + Send> {
    layout: ExportLayout,
    format: ExportFormat,
    sink: Sink<W>,
    tally: AccuracyTally,
    jobs: u64,
}

impl<W: Write + Send> ExportWriter<W> {
    /// Starts an export into `out` (the CSV header, the JSON `[`, the Excel workbook).
    pub fn new(layout: ExportLayout, format: ExportFormat, out: W) -> Result<Self> {
        let sink = match format {
            ExportFormat::Csv => Sink::Csv(Box::new(CsvSink::new(&layout, out)?)),
            ExportFormat::Json => Sink::Json(JsonSink::new(out, true)?),
            ExportFormat::Ndjson => Sink::Json(JsonSink::new(out, false)?),
            ExportFormat::Xlsx => Sink::Xlsx(Box::new(XlsxSink::new(&layout, out)?)),
        };
        let tally = AccuracyTally::with_fields(layout.fields.iter().map(|f| f.name.clone()));
        Ok(ExportWriter {
            layout,
            format,
            sink,
            tally,
            jobs: 0,
        })
    }

    /// Writes one job.
    pub fn write_job(&mut self, job: &Job) -> Result<()> {
        match &mut self.sink {
            Sink::Json(sink) => sink.write_job(&self.layout, job)?,
            Sink::Csv(sink) => {
                self.layout.write_row(job, sink.as_mut())?;
                sink.end_row()?;
            }
            Sink::Xlsx(sink) => {
                sink.start_row()?;
                self.layout.write_row(job, sink.as_mut())?;
            }
        }
        self.tally.add_job(job);
        self.jobs += 1;
        Ok(())
    }

    /// Jobs written so far.
    pub fn jobs_written(&self) -> u64 {
        self.jobs
    }

    /// Ends the export (closing the JSON array, adding the Excel Metrics and Summary sheets)
    /// and flushes it to the output.
    pub fn finish(self) -> Result<ExportSummary> {
        let metrics = self.tally.metrics();
        match self.sink {
            Sink::Csv(sink) => (*sink).finish()?,
            Sink::Json(sink) => sink.finish()?,
            Sink::Xlsx(sink) => {
                (*sink).finish(&self.layout.title, self.jobs, &metrics, Utc::now())?
            }
        }
        debug!(
            format = self.format.as_str(),
            jobs = self.jobs,
            "export finished"
        );
        Ok(ExportSummary {
            format: self.format,
            jobs: self.jobs,
            metrics,
        })
    }
}

/// Writes every job of `jobs` into `out` and finishes the export: the same code path as the
/// store-backed [`super::export`], for jobs from any source.
pub fn export_jobs<W, I>(
    layout: ExportLayout,
    format: ExportFormat,
    jobs: I,
    out: W,
) -> Result<ExportSummary>
where
    W: Write + Send,
    I: IntoIterator,
    I::Item: std::borrow::Borrow<Job>,
{
    let mut writer = ExportWriter::new(layout, format, out)?;
    for job in jobs {
        writer.write_job(std::borrow::Borrow::borrow(&job))?;
    }
    writer.finish()
}
