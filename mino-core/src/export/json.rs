//! JSON (one array) and NDJSON (one object per line).
//!
//! Each job is an object with typed values:
//!
//! ```json
//! {"id":"…","row_index":0,"site_url":"https://…","status":"completed","accuracy":"partial",
//!  "inputs":{"name":"Acme"},
//!  "fields":{"price":{"value":"$1,299.00","expected":"1299","match":true,"score":1.0,
//!                     "comparator":"number"}},
//!  "error":null}
//! ```
//!
//! `fields` holds every output field of the layout, with `null`s where there is no value,
//! no ground truth or no verdict. JSON is data, not a spreadsheet: nothing is neutralised.

use std::io::{BufWriter, Write};

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use super::error::{io_error, json_error};
use super::layout::ExportLayout;
use crate::evaluation::lookup_at;
use crate::model::{FieldEvaluation, Job};

use crate::error::Result;

/// Writes jobs as a JSON array or as NDJSON.
pub(crate) struct JsonSink<W: Write> {
    out: BufWriter<W>,
    array: bool,
    first: bool,
}

impl<W: Write> JsonSink<W> {
    /// Starts the output (`[` for an array).
    pub(crate) fn new(out: W, array: bool) -> Result<Self> {
        let mut out = BufWriter::with_capacity(64 * 1024, out);
        if array {
            out.write_all(b"[").map_err(io_error)?;
        }
        Ok(JsonSink {
            out,
            array,
            first: true,
        })
    }

    /// Writes one job.
    pub(crate) fn write_job(&mut self, layout: &ExportLayout, job: &Job) -> Result<()> {
        if self.array {
            let sep: &[u8] = if self.first { b"\n" } else { b",\n" };
            self.out.write_all(sep).map_err(io_error)?;
        }
        self.first = false;
        serde_json::to_writer(&mut self.out, &JsonJob { layout, job }).map_err(json_error)?;
        if !self.array {
            self.out.write_all(b"\n").map_err(io_error)?;
        }
        Ok(())
    }

    /// Closes the array and flushes everything to the output.
    pub(crate) fn finish(mut self) -> Result<()> {
        if self.array {
            let end: &[u8] = if self.first { b"]\n" } else { b"\n]\n" };
            self.out.write_all(end).map_err(io_error)?;
        }
        self.out.flush().map_err(io_error)
    }
}

/// Serialises a job without copying it.
struct JsonJob<'a> {
    layout: &'a ExportLayout,
    job: &'a Job,
}

impl Serialize for JsonJob<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let job = self.job;
        let mut map = serializer.serialize_map(Some(8))?;
        map.serialize_entry("id", &job.id)?;
        map.serialize_entry("row_index", &job.row_index)?;
        map.serialize_entry("site_url", &job.site_url)?;
        map.serialize_entry("status", &job.status)?;
        map.serialize_entry("accuracy", &job.accuracy)?;
        map.serialize_entry("inputs", &job.inputs)?;
        map.serialize_entry("fields", &JsonFields(self))?;
        map.serialize_entry("error", &job.last_error)?;
        map.end()
    }
}

struct JsonFields<'a>(&'a JsonJob<'a>);

impl Serialize for JsonFields<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let JsonJob { layout, job } = self.0;
        let mut map = serializer.serialize_map(Some(layout.fields.len()))?;
        for (i, field) in layout.fields.iter().enumerate() {
            let value = job
                .extraction
                .as_ref()
                .and_then(|e| lookup_at(e, i, &field.name))
                .and_then(|v| v.as_deref());
            let verdict = job
                .evaluation
                .as_ref()
                .and_then(|e| e.fields.iter().find(|f| f.field == field.name));
            map.serialize_entry(
                &field.name,
                &JsonField {
                    value,
                    expected: lookup_at(&job.ground_truth, i, &field.name).map(String::as_str),
                    verdict,
                },
            )?;
        }
        map.end()
    }
}

struct JsonField<'a> {
    value: Option<&'a str>,
    expected: Option<&'a str>,
    verdict: Option<&'a FieldEvaluation>,
}

impl Serialize for JsonField<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(5))?;
        map.serialize_entry("value", &self.value)?;
        map.serialize_entry("expected", &self.expected)?;
        map.serialize_entry("match", &self.verdict.map(|v| v.passed))?;
        map.serialize_entry("score", &self.verdict.map(|v| v.score))?;
        map.serialize_entry("comparator", &self.verdict.map(|v| v.comparator.as_str()))?;
        map.end()
    }
}
