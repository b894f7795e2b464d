//! `mino.Platform`: a connection to a MINO database and browser, with this process's worker.

use std::sync::RwLock;

use mino::engine::{Shutdown, WorkerConfig};
use mino::model::AgentConfig;
use mino::platform::Platform as CorePlatform;
use mino::PlatformOptions;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use crate::convert::from_py;
use crate::errors::validation;
use crate::runtime::{block_on, run, runtime};

/// A MINO platform: projects, batches, executions, jobs, ground truth, metrics and exports
/// over one database and one browser.
///
/// ``database`` is ``sqlite:PATH`` (``sqlite:///abs/path``, ``sqlite::memory:``) or
/// ``postgres://user:password@host/db`` (``?schema=NAME``); its schema is created or upgraded
/// on connect. ``browser`` is ``chromium`` (local, launched on first use), ``cdp:ws://…``,
/// ``webdriver`` or ``webdriver:http://…``. ``agent`` is the default agent of projects
/// created here: a name (``heuristic``, ``llm``, ``agentql``) or
/// ``{"name": …, "settings": {…}}``.
///
/// With ``worker=True`` (the default) this process runs executions itself; with
/// ``worker=False`` it only queues them for workers elsewhere (``mino worker``).
/// Use it as a context manager, or call ``close()``, to stop the worker and the browser.
#[pyclass(frozen, module = "mino")]
pub struct Platform {
    inner: RwLock<Option<CorePlatform>>,
    default_agent: AgentConfig,
    database: String,
}

impl Platform {
    /// The core platform, or an error once closed.
    pub fn core(&self) -> PyResult<CorePlatform> {
        let guard = self
            .inner
            .read()
            .map_err(|_| PyRuntimeError::new_err("the platform lock is poisoned"))?;
        guard
            .as_ref()
            .cloned()
            .ok_or_else(|| PyRuntimeError::new_err("the platform is closed"))
    }

    /// The agent given to projects created without one.
    pub fn default_agent(&self) -> &AgentConfig {
        &self.default_agent
    }
}

/// Reads the `agent` argument: a registry name or `{"name": …, "settings": {…}}`.
pub fn agent_config(arg: &Bound<'_, PyAny>) -> PyResult<AgentConfig> {
    if let Ok(name) = arg.cast::<PyString>() {
        return Ok(AgentConfig {
            name: name.to_cow()?.into_owned(),
            ..AgentConfig::default()
        });
    }
    if arg.is_instance_of::<PyDict>() || arg.hasattr("to_dict")? {
        return from_py(arg, "agent");
    }
    Err(validation(
        arg.py(),
        "agent must be a name or a dict with name and settings",
        "agent",
    ))
}

#[pymethods]
impl Platform {
    #[new]
    #[pyo3(signature = (database = "sqlite:mino.db", browser = "chromium", *, agent = None, worker = true, worker_id = None, max_in_flight = None))]
    fn new(
        py: Python<'_>,
        database: &str,
        browser: &str,
        agent: Option<&Bound<'_, PyAny>>,
        worker: bool,
        worker_id: Option<String>,
        max_in_flight: Option<usize>,
    ) -> PyResult<Self> {
        let default_agent = match agent {
            Some(agent) if !agent.is_none() => agent_config(agent)?,
            _ => AgentConfig::default(),
        };
        let mut worker_config = WorkerConfig::default();
        if let Some(id) = worker_id {
            worker_config.worker_id = id;
        }
        if let Some(n) = max_in_flight {
            if n == 0 {
                return Err(validation(
                    py,
                    "max_in_flight must be at least 1",
                    "max_in_flight",
                ));
            }
            worker_config.max_in_flight = n;
        }
        let options = PlatformOptions {
            database: database.to_owned(),
            browser: browser.to_owned(),
            worker: worker_config,
            ..PlatformOptions::default()
        };
        let agent_check = default_agent.clone();
        let platform = run(py, async move {
            let platform = mino::connect(options).await?;
            platform.agents().create_from(&agent_check)?;
            if worker {
                platform.start_worker()?;
            }
            Ok(platform)
        })?;
        Ok(Platform {
            inner: RwLock::new(Some(platform)),
            default_agent,
            database: database.to_owned(),
        })
    }

    /// The database URL this platform was opened with.
    #[getter]
    fn database(&self) -> String {
        self.database.clone()
    }

    /// Whether ``close()`` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.inner.read().map(|p| p.is_none()).unwrap_or(true)
    }

    /// Whether this process runs a worker that executes jobs.
    #[getter]
    fn has_worker(&self) -> PyResult<bool> {
        Ok(self.core()?.has_worker())
    }

    /// Starts this process's worker (when created with ``worker=False``); returns its id.
    /// A ``ConflictError`` when it already runs.
    fn start_worker(&self, py: Python<'_>) -> PyResult<String> {
        let platform = self.core()?;
        let _guard = runtime()?.enter();
        platform
            .start_worker()
            .map_err(|err| crate::errors::to_py_err(py, err))
    }

    /// Stops this process's worker and waits for it. ``graceful=True`` lets running attempts
    /// finish; ``False`` aborts them and hands their jobs back to the queue.
    #[pyo3(signature = (graceful = true))]
    fn stop_worker(&self, py: Python<'_>, graceful: bool) -> PyResult<()> {
        let platform = self.core()?;
        let how = if graceful {
            Shutdown::Graceful
        } else {
            Shutdown::HandBack
        };
        block_on(py, async move { platform.stop_worker(how).await })
    }

    /// Stops the worker (running attempts are handed back to the queue) and releases the
    /// database and the browser. Calling it again does nothing.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let taken = self
            .inner
            .write()
            .map_err(|_| PyRuntimeError::new_err("the platform lock is poisoned"))?
            .take();
        if let Some(platform) = taken {
            if crate::runtime::forked() {
                // See `Drop`: what the parent opened stays the parent's.
                std::mem::forget(platform);
                return Ok(());
            }
            block_on(py, async move {
                platform.stop_worker(Shutdown::HandBack).await;
                drop(platform);
            })?;
        }
        Ok(())
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<bool> {
        self.close(py)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        let state = if self.closed() { "closed" } else { "open" };
        format!("Platform(database={:?}, {state})", redact(&self.database))
    }
}

impl Drop for Platform {
    fn drop(&mut self) {
        // Garbage-collected without close(): stop the worker and release the rest on the
        // runtime, without blocking the thread that drops it. (A worker whose handle is merely
        // dropped would go on claiming jobs.)
        if let Ok(slot) = self.inner.get_mut() {
            if let Some(platform) = slot.take() {
                if crate::runtime::forked() {
                    // The parent's platform: its browser and connections are the parent's,
                    // and dropping them here would close or kill them under it.
                    std::mem::forget(platform);
                } else if let Some(runtime) = crate::runtime::existing() {
                    runtime.spawn(async move {
                        platform.stop_worker(Shutdown::HandBack).await;
                        drop(platform);
                    });
                }
            }
        }
    }
}

/// A database URL without its password.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}
