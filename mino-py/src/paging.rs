//! Lazy iteration over paged lists: the next page is fetched when the current one is used up.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;

use mino::platform::Platform as CorePlatform;
use mino::store::{Cursor, Page, PageRequest};
use pyo3::prelude::*;
use pyo3::IntoPyObjectExt;

use crate::errors::to_py_err;
use crate::executions::Execution;
use crate::platform::Platform;
use crate::runtime::run;
use crate::types::{Batch, GroundTruthChange, InstructionVersion, Job, MetricsSnapshot, Project};

/// One element of a paged list, before it becomes a Python object.
pub enum Item {
    /// A project.
    Project(Project),
    /// An instruction version.
    InstructionVersion(InstructionVersion),
    /// A batch.
    Batch(Batch),
    /// A job.
    Job(Box<Job>),
    /// An execution (becomes a live `Execution` handle).
    Execution(Box<mino::model::Execution>),
    /// A metrics snapshot.
    Snapshot(Box<MetricsSnapshot>),
    /// A ground-truth change.
    Change(Box<GroundTruthChange>),
}

impl Item {
    fn into_py(self, py: Python<'_>, platform: &Py<Platform>) -> PyResult<Py<PyAny>> {
        match self {
            Item::Project(p) => p.into_py_any(py),
            Item::InstructionVersion(v) => v.into_py_any(py),
            Item::Batch(b) => b.into_py_any(py),
            Item::Job(j) => (*j).into_py_any(py),
            Item::Execution(e) => Execution::new(platform.clone_ref(py), *e, None).into_py_any(py),
            Item::Snapshot(s) => (*s).into_py_any(py),
            Item::Change(c) => (*c).into_py_any(py),
        }
    }
}

/// The future of one page.
pub type PageFuture = Pin<Box<dyn Future<Output = mino::Result<Page<Item>>> + Send>>;

type Fetch = Box<dyn Fn(CorePlatform, PageRequest) -> PageFuture + Send + Sync>;

/// An iterator over a paged list; pages are fetched as iteration reaches them.
///
/// ``next_cursor`` is the position after the last page fetched: pass it as ``cursor=`` to
/// the same list later to continue from there.
#[pyclass(module = "mino")]
pub struct PageIterator {
    platform: Py<Platform>,
    fetch: Fetch,
    page_size: u32,
    buffer: VecDeque<Item>,
    next_cursor: Option<String>,
    exhausted: bool,
}

impl PageIterator {
    /// An iterator starting after `cursor` (from the beginning when `None`).
    pub fn new<F>(
        platform: &Bound<'_, Platform>,
        page_size: u32,
        cursor: Option<String>,
        fetch: F,
    ) -> PyResult<Self>
    where
        F: Fn(CorePlatform, PageRequest) -> PageFuture + Send + Sync + 'static,
    {
        let py = platform.py();
        // A closed platform, a bad page size or cursor fail now rather than on first use.
        platform.get().core()?;
        PageRequest::parse(Some(page_size), cursor.as_deref()).map_err(|e| to_py_err(py, e))?;
        Ok(PageIterator {
            platform: platform.clone().unbind(),
            fetch: Box::new(fetch),
            page_size,
            buffer: VecDeque::new(),
            next_cursor: cursor,
            exhausted: false,
        })
    }

    fn fill(&mut self, py: Python<'_>) -> PyResult<()> {
        let cursor = match &self.next_cursor {
            Some(text) => Some(Cursor::decode(text).map_err(|e| to_py_err(py, e))?),
            None => None,
        };
        let request = PageRequest::new(self.page_size, cursor).map_err(|e| to_py_err(py, e))?;
        let platform = self.platform.get().core()?;
        let page = run(py, (self.fetch)(platform, request))?;
        self.exhausted = page.next_cursor.is_none();
        if page.next_cursor.is_some() {
            self.next_cursor = page.next_cursor;
        }
        self.buffer.extend(page.data);
        Ok(())
    }
}

#[pymethods]
impl PageIterator {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        if self.buffer.is_empty() && !self.exhausted {
            self.fill(py)?;
        }
        match self.buffer.pop_front() {
            Some(item) => item.into_py(py, &self.platform).map(Some),
            None => Ok(None),
        }
    }

    /// Where the next page starts: the cursor after the last page fetched (the starting
    /// cursor before the first fetch); ``None`` once the last page was fetched, or before the
    /// first fetch of a listing from the beginning.
    #[getter]
    fn next_cursor(&self) -> Option<String> {
        if self.exhausted {
            None
        } else {
            self.next_cursor.clone()
        }
    }

    /// Rows fetched per page.
    #[getter]
    fn page_size(&self) -> u32 {
        self.page_size
    }
}
