//! Exports of a project's jobs as CSV, JSON, NDJSON or Excel, to a file or to bytes.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use mino::export::ExportFormat;
use mino::model::{JobFilter, ProjectId};
use mino::platform::Platform as CorePlatform;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::convert::id_of;
use crate::errors::to_py_err;
use crate::jobs::job_filter;
use crate::platform::Platform;
use crate::runtime::run;
use crate::types::ExportSummary;

/// The format named by `format`, or by the file's extension.
fn format_of(py: Python<'_>, format: Option<&str>, path: Option<&Path>) -> PyResult<ExportFormat> {
    let name = match (format, path) {
        (Some(name), _) => name.to_owned(),
        (None, Some(path)) => path
            .extension()
            .map(|e| e.to_string_lossy().into_owned())
            .unwrap_or_default(),
        (None, None) => "csv".to_owned(),
    };
    ExportFormat::parse(&name).map_err(|err| to_py_err(py, err))
}

/// Writes the export into `out`.
async fn write_export<W: Write + Send>(
    platform: CorePlatform,
    project: ProjectId,
    filter: JobFilter,
    format: ExportFormat,
    out: W,
) -> mino::Result<mino::export::ExportSummary> {
    platform.export(project, &filter, format, out).await
}

#[pymethods]
impl Platform {
    /// Writes the jobs of ``project`` matching the filters (as in ``jobs()``) to ``path``:
    /// CSV, JSON, NDJSON or Excel after ``format`` or the file's extension (.csv, .json,
    /// .ndjson, .xlsx). Values, ground truth and verdicts are written as stored. Nothing is
    /// left at ``path`` when the export fails.
    #[pyo3(signature = (project, path, *, format = None, batch = None, execution = None, status = None, accuracy = None, has_ground_truth = None, search = None))]
    #[allow(clippy::too_many_arguments)]
    fn export(
        &self,
        py: Python<'_>,
        project: &Bound<'_, PyAny>,
        path: PathBuf,
        format: Option<&str>,
        batch: Option<&Bound<'_, PyAny>>,
        execution: Option<&Bound<'_, PyAny>>,
        status: Option<&Bound<'_, PyAny>>,
        accuracy: Option<&str>,
        has_ground_truth: Option<bool>,
        search: Option<String>,
    ) -> PyResult<ExportSummary> {
        let project: ProjectId = id_of(project)?;
        let format = format_of(py, format, Some(&path))?;
        let filter = job_filter(
            py,
            None,
            batch,
            execution,
            status,
            accuracy,
            has_ground_truth,
            search,
        )?;
        let platform = self.core()?;
        let file = std::fs::File::create(&path)?;
        let mut out = BufWriter::new(file);
        let written = run(py, async {
            let summary = write_export(platform, project, filter, format, &mut out).await?;
            out.flush().map_err(|err| {
                mino::Error::internal(format!("cannot write {}: {err}", path.display()))
                    .with_source(err)
            })?;
            Ok(summary)
        });
        match written {
            Ok(summary) => Ok(ExportSummary::from(&summary)),
            Err(err) => {
                drop(out);
                // A partial file is worse than none.
                let _ = std::fs::remove_file(&path);
                Err(err)
            }
        }
    }

    /// The export of ``project`` (see ``export()``) as bytes, in ``format`` (csv, json,
    /// ndjson or xlsx).
    #[pyo3(signature = (project, format = "csv", *, batch = None, execution = None, status = None, accuracy = None, has_ground_truth = None, search = None))]
    #[allow(clippy::too_many_arguments)]
    fn export_bytes<'py>(
        &self,
        py: Python<'py>,
        project: &Bound<'_, PyAny>,
        format: &str,
        batch: Option<&Bound<'_, PyAny>>,
        execution: Option<&Bound<'_, PyAny>>,
        status: Option<&Bound<'_, PyAny>>,
        accuracy: Option<&str>,
        has_ground_truth: Option<bool>,
        search: Option<String>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let project: ProjectId = id_of(project)?;
        let format = format_of(py, Some(format), None)?;
        let filter = job_filter(
            py,
            None,
            batch,
            execution,
            status,
            accuracy,
            has_ground_truth,
            search,
        )?;
        let platform = self.core()?;
        let mut out: Vec<u8> = Vec::new();
        run(
            py,
            write_export(platform, project, filter, format, &mut out),
        )?;
        Ok(PyBytes::new(py, &out))
    }
}
