//! Batches: a CSV (path, file, text or bytes) or a list of dicts in, jobs out.

use std::path::PathBuf;

use indexmap::IndexMap;
use mino::ingest::{CsvSource, IngestOptions};
use mino::model::{BatchId, BatchUpdate, ProjectId};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyString};

use crate::convert::{id_of, opt_id, string_map};
use crate::errors::validation;
use crate::paging::{Item, PageIterator};
use crate::platform::Platform;
use crate::runtime::run;
use crate::types::{Batch, StatusCounts};

/// Where a CSV comes from, as given from Python.
struct Source {
    csv: CsvSource,
    /// The folder of a CSV given as a path: relative site paths resolve against it.
    folder: Option<PathBuf>,
}

/// Reads the `source` argument of `upload_csv`.
///
/// A path-like object is a file; `bytes` are the file's contents; an object with `read()` is
/// an open file (text or binary); a `str` with a line break is CSV text and any other `str`
/// is a path.
fn csv_source(arg: &Bound<'_, PyAny>) -> PyResult<Source> {
    let py = arg.py();
    let as_path = |text: String| -> Source {
        let path = PathBuf::from(text);
        let folder = std::fs::canonicalize(&path)
            .ok()
            .and_then(|p| p.parent().map(PathBuf::from));
        Source {
            csv: CsvSource::path(path),
            folder,
        }
    };
    if let Ok(text) = arg.cast::<PyString>() {
        let text = text.to_cow()?;
        if text.contains('\n') {
            return Ok(Source {
                csv: CsvSource::bytes(text.as_bytes().to_vec()),
                folder: None,
            });
        }
        return Ok(as_path(text.into_owned()));
    }
    if let Ok(bytes) = arg.cast::<PyBytes>() {
        return Ok(Source {
            csv: CsvSource::bytes(bytes.as_bytes().to_vec()),
            folder: None,
        });
    }
    if let Ok(bytes) = arg.cast::<PyByteArray>() {
        return Ok(Source {
            csv: CsvSource::bytes(bytes.to_vec()),
            folder: None,
        });
    }
    if arg.hasattr("__fspath__")? {
        let path = py.import("os")?.call_method1("fspath", (arg,))?;
        let path: String = match path.cast::<PyString>() {
            Ok(s) => s.to_cow()?.into_owned(),
            Err(_) => path.call_method1("decode", ("utf-8",))?.extract()?,
        };
        return Ok(as_path(path));
    }
    if arg.hasattr("read")? {
        let content = arg.call_method0("read")?;
        let data: Vec<u8> = match content.cast::<PyString>() {
            Ok(text) => text.to_cow()?.as_bytes().to_vec(),
            Err(_) => content.extract()?,
        };
        let name = match arg.getattr_opt("name")? {
            Some(name) if name.is_instance_of::<PyString>() => {
                let name: String = name.extract()?;
                std::path::Path::new(&name)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
            }
            _ => None,
        };
        let csv = match name {
            Some(name) => CsvSource::upload(name, data),
            None => CsvSource::bytes(data),
        };
        return Ok(Source { csv, folder: None });
    }
    Err(validation(
        py,
        format!(
            "source must be a path, an open file, CSV text or bytes, not {}",
            arg.get_type().name()?
        ),
        "source",
    ))
}

/// Rows given as a list of dicts; values become text (`None` is empty).
fn rows_of(arg: &Bound<'_, PyAny>) -> PyResult<Vec<IndexMap<String, String>>> {
    let mut rows = Vec::new();
    for item in arg.try_iter()? {
        rows.push(string_map(&item?, "rows")?);
    }
    Ok(rows)
}

#[pymethods]
impl Platform {
    /// Creates a batch of ``project`` from a CSV, one job per row.
    ///
    /// ``source`` is a path (``str`` or ``pathlib.Path``), an open file (text or binary),
    /// CSV text (a ``str`` with a line break) or ``bytes``. Site values that are relative
    /// file paths resolve against ``base_dir`` (default: the CSV's folder when ``source`` is
    /// a path). ``site_column`` overrides the detection of the site-url column. Rows without a
    /// usable URL become ``invalid`` jobs, listed in ``batch.report``. A file that cannot be
    /// read as CSV, or is larger than ``max_bytes`` (default 100 MB), is a ``ValidationError``
    /// and nothing is stored.
    #[pyo3(signature = (project, source, *, name = None, site_column = None, base_dir = None, max_bytes = None))]
    #[allow(clippy::too_many_arguments)]
    fn upload_csv(
        &self,
        py: Python<'_>,
        project: &Bound<'_, PyAny>,
        source: &Bound<'_, PyAny>,
        name: Option<String>,
        site_column: Option<String>,
        base_dir: Option<PathBuf>,
        max_bytes: Option<u64>,
    ) -> PyResult<Batch> {
        let project: ProjectId = id_of(project)?;
        let source = csv_source(source)?;
        let mut options = IngestOptions::default();
        if let Some(column) = site_column {
            options = options.with_site_column(column);
        }
        if let Some(dir) = base_dir.or(source.folder) {
            options = options.with_base_dir(dir);
        }
        if let Some(max) = max_bytes {
            options = options.with_max_bytes(max);
        }
        let name = name
            .or_else(|| source.csv.file_name())
            .unwrap_or_else(|| "upload.csv".to_owned());
        let platform = self.core()?;
        let csv = source.csv;
        let (batch, report) = run(py, async move {
            platform
                .create_batch_from_csv(project, name, csv, Some(options))
                .await
        })?;
        Ok(Batch::new(&batch, Some(&report)))
    }

    /// Creates a batch of ``project`` from rows given as dicts (column → value), with exactly
    /// the same detection and validation as a CSV. Values are written as text.
    #[pyo3(signature = (project, rows, *, name = "rows"))]
    fn create_batch(
        &self,
        py: Python<'_>,
        project: &Bound<'_, PyAny>,
        rows: &Bound<'_, PyAny>,
        name: &str,
    ) -> PyResult<Batch> {
        let project: ProjectId = id_of(project)?;
        let rows = rows_of(rows)?;
        let name = name.to_owned();
        let platform = self.core()?;
        let (batch, report) = run(py, async move {
            platform.create_batch_from_rows(project, name, &rows).await
        })?;
        Ok(Batch::new(&batch, Some(&report)))
    }

    /// Gets a batch by id.
    fn batch(&self, py: Python<'_>, batch: &Bound<'_, PyAny>) -> PyResult<Batch> {
        let id: BatchId = id_of(batch)?;
        let platform = self.core()?;
        let batch = run(py, async move { platform.batch(id).await })?;
        Ok(Batch::new(&batch, None))
    }

    /// Batches, oldest first (of one project when given), fetched lazily.
    #[pyo3(signature = (project = None, *, page_size = 50))]
    fn batches(
        slf: &Bound<'_, Self>,
        project: Option<&Bound<'_, PyAny>>,
        page_size: u32,
    ) -> PyResult<PageIterator> {
        let project: Option<ProjectId> = opt_id(project)?;
        PageIterator::new(slf, page_size, None, move |platform, page| {
            Box::pin(async move {
                let page = platform.batches(project, page).await?;
                Ok(page.map(|b| Item::Batch(Batch::new(&b, None))))
            })
        })
    }

    /// Renames a batch.
    fn rename_batch(
        &self,
        py: Python<'_>,
        batch: &Bound<'_, PyAny>,
        name: String,
    ) -> PyResult<Batch> {
        let id: BatchId = id_of(batch)?;
        let platform = self.core()?;
        let update = BatchUpdate { name: Some(name) };
        let batch = run(py, async move { platform.update_batch(id, update).await })?;
        Ok(Batch::new(&batch, None))
    }

    /// Deletes a batch and its jobs. A ``ConflictError`` while one of its executions is
    /// active.
    fn delete_batch(&self, py: Python<'_>, batch: &Bound<'_, PyAny>) -> PyResult<()> {
        let id: BatchId = id_of(batch)?;
        let platform = self.core()?;
        run(py, async move { platform.delete_batch(id).await })
    }

    /// A batch's jobs counted by status.
    fn batch_counts(&self, py: Python<'_>, batch: &Bound<'_, PyAny>) -> PyResult<StatusCounts> {
        let id: BatchId = id_of(batch)?;
        let platform = self.core()?;
        let counts = run(py, async move { platform.batch_counts(id).await })?;
        Ok(StatusCounts::from(&counts))
    }

    /// Scores every job of a batch again against its ground truth (no agent runs); returns
    /// how many jobs were scored.
    fn reevaluate_batch(&self, py: Python<'_>, batch: &Bound<'_, PyAny>) -> PyResult<u64> {
        let id: BatchId = id_of(batch)?;
        let platform = self.core()?;
        run(py, async move { platform.reevaluate_batch(id).await })
    }
}
