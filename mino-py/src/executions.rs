//! Executions: start one, then watch and steer it through an `Execution` handle.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use mino::events::{Event, EventReceiver};
use mino::model::{self, BatchId, ExecutionId, ExecutionMode, ProjectId};
use mino::platform::{Platform as CorePlatform, RunScope, StartExecution};
use mino::store::ExecutionFilter;
use pyo3::exceptions::{PyRuntimeError, PyTimeoutError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use tokio::sync::broadcast::error::RecvError;

use crate::convert::{id_of, opt_id, parse_enum, parse_enums};
use crate::events::EventIterator;
use crate::paging::{Item, PageIterator};
use crate::platform::Platform;
use crate::runtime::run;
use crate::types::{ExecutionStats, StatusCounts, Timestamp};

/// How often `wait()` looks at the store when no event says the execution changed (events of
/// workers in other processes may not reach this one).
const WAIT_POLL: Duration = Duration::from_millis(500);

/// A running (or finished) execution: its latest known state, and the means to steer it.
///
/// Attributes show the state when the handle last heard from the store (``refresh()``,
/// ``wait()`` and every control call update it).
#[pyclass(frozen, module = "mino")]
pub struct Execution {
    platform: Py<Platform>,
    id: ExecutionId,
    snapshot: Mutex<model::Execution>,
    /// Events from just before the start, for the first `events()` call.
    first_events: Mutex<Option<EventReceiver>>,
}

impl Execution {
    /// A handle; `events` is a subscription taken before the execution started.
    pub fn new(
        platform: Py<Platform>,
        execution: model::Execution,
        events: Option<EventReceiver>,
    ) -> Self {
        Execution {
            platform,
            id: execution.id,
            snapshot: Mutex::new(execution),
            first_events: Mutex::new(events),
        }
    }

    fn snapshot(&self) -> model::Execution {
        self.snapshot
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn store(&self, execution: model::Execution) {
        *self
            .snapshot
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = execution;
    }

    fn core(&self) -> PyResult<CorePlatform> {
        self.platform.get().core()
    }

    /// Runs a control call and keeps its result as the new state.
    fn control<F, Fut>(slf: &Bound<'_, Self>, call: F) -> PyResult<Py<Self>>
    where
        F: FnOnce(CorePlatform, ExecutionId) -> Fut,
        Fut: std::future::Future<Output = mino::Result<model::Execution>> + Send,
    {
        let this = slf.get();
        let platform = this.core()?;
        let execution = run(slf.py(), call(platform, this.id))?;
        this.store(execution);
        Ok(slf.clone().unbind())
    }
}

/// Waits until the execution is no longer active, or the deadline passes (`None` then).
async fn wait_done(
    platform: CorePlatform,
    id: ExecutionId,
    deadline: Option<Instant>,
) -> mino::Result<Option<model::Execution>> {
    let mut events = platform.subscribe();
    loop {
        let execution = platform.execution(id).await?;
        if !execution.status.is_active() {
            return Ok(Some(execution));
        }
        let remaining = match deadline {
            Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => left,
                _ => return Ok(None),
            },
            None => WAIT_POLL,
        };
        let _ =
            tokio::time::timeout(remaining.min(WAIT_POLL), status_change(&mut events, id)).await;
    }
}

/// Returns at the next status event of execution `id` (or when events were lost or closed).
async fn status_change(events: &mut EventReceiver, id: ExecutionId) {
    loop {
        match events.recv().await {
            Ok(event) => {
                if let Event::ExecutionStatus { execution_id, .. } = &*event {
                    if *execution_id == id {
                        return;
                    }
                }
            }
            Err(RecvError::Lagged(_)) => return,
            Err(RecvError::Closed) => {
                // Nothing more will come; let the caller poll the store.
                std::future::pending::<()>().await;
            }
        }
    }
}

#[pymethods]
impl Execution {
    /// Its id.
    #[getter]
    fn id(&self) -> String {
        self.id.to_string()
    }

    /// The project's id.
    #[getter]
    fn project_id(&self) -> String {
        self.snapshot().project_id.to_string()
    }

    /// The batch's id.
    #[getter]
    fn batch_id(&self) -> String {
        self.snapshot().batch_id.to_string()
    }

    /// ``test`` (a sample) or ``production``.
    #[getter]
    fn mode(&self) -> &'static str {
        self.snapshot().mode.as_str()
    }

    /// The sample size in test mode.
    #[getter]
    fn sample_size(&self) -> Option<u32> {
        self.snapshot().sample_size
    }

    /// The sample's seed in test mode.
    #[getter]
    fn seed(&self) -> Option<u64> {
        self.snapshot().seed
    }

    /// Jobs at once, across all workers.
    #[getter]
    fn concurrency(&self) -> u32 {
        self.snapshot().concurrency
    }

    /// Attempts per job.
    #[getter]
    fn max_attempts(&self) -> u32 {
        self.snapshot().max_attempts
    }

    /// Time limit per attempt, in seconds.
    #[getter]
    fn job_timeout_secs(&self) -> u32 {
        self.snapshot().job_timeout_secs
    }

    /// The instruction version it runs.
    #[getter]
    fn instruction_version(&self) -> u32 {
        self.snapshot().instruction_version
    }

    /// running, paused, stopping, completed, stopped or failed.
    #[getter]
    fn status(&self) -> &'static str {
        self.snapshot().status.as_str()
    }

    /// Whether it still holds its jobs (running, paused or stopping).
    #[getter]
    fn is_active(&self) -> bool {
        self.snapshot().status.is_active()
    }

    /// Jobs in it.
    #[getter]
    fn total(&self) -> u64 {
        self.snapshot().total
    }

    /// Its jobs by their status in this execution.
    #[getter]
    fn counts(&self) -> StatusCounts {
        StatusCounts::from(&self.snapshot().counts)
    }

    /// When it was created (UTC).
    #[getter]
    fn created_at(&self) -> Timestamp {
        self.snapshot().created_at
    }

    /// When it last changed status or settings (UTC).
    #[getter]
    fn updated_at(&self) -> Timestamp {
        self.snapshot().updated_at
    }

    /// When it ended (UTC), once it has.
    #[getter]
    fn finished_at(&self) -> Option<Timestamp> {
        self.snapshot().finished_at
    }

    /// Fetches the latest state; returns this handle.
    fn refresh(slf: &Bound<'_, Self>) -> PyResult<Py<Self>> {
        Self::control(slf, |p, id| async move { p.execution(id).await })
    }

    /// Pauses it: no new job starts; running attempts finish. A ``ConflictError`` unless it
    /// is running.
    fn pause(slf: &Bound<'_, Self>) -> PyResult<Py<Self>> {
        Self::control(slf, |p, id| async move { p.pause_execution(id).await })
    }

    /// Resumes it after ``pause()``. A ``ConflictError`` unless it is paused.
    fn resume(slf: &Bound<'_, Self>) -> PyResult<Py<Self>> {
        Self::control(slf, |p, id| async move { p.resume_execution(id).await })
    }

    /// Stops it: queued jobs are cancelled, running attempts aborted. It ends as ``stopped``
    /// once they are; ``wait()`` for that.
    fn stop(slf: &Bound<'_, Self>) -> PyResult<Py<Self>> {
        Self::control(slf, |p, id| async move { p.stop_execution(id).await })
    }

    /// Changes how many of its jobs run at once (1–50), across all workers, while it runs.
    fn set_concurrency(slf: &Bound<'_, Self>, concurrency: u32) -> PyResult<Py<Self>> {
        Self::control(slf, move |p, id| async move {
            p.set_concurrency(id, concurrency).await
        })
    }

    /// Live figures: counts, progress, throughput and ETA.
    fn stats(&self, py: Python<'_>) -> PyResult<ExecutionStats> {
        let platform = self.core()?;
        let id = self.id;
        let stats = run(py, async move { platform.execution_stats(id).await })?;
        Ok(ExecutionStats::from(&stats))
    }

    /// Blocks until the execution has ended (completed, stopped or failed) and returns this
    /// handle with its final state. Other Python threads run meanwhile; Ctrl-C raises
    /// ``KeyboardInterrupt`` (the execution goes on: ``stop()`` it if you mean to).
    /// ``timeout`` in seconds raises ``TimeoutError`` when it passes first.
    #[pyo3(signature = (timeout = None))]
    fn wait(slf: &Bound<'_, Self>, timeout: Option<f64>) -> PyResult<Py<Self>> {
        let py = slf.py();
        let this = slf.get();
        let deadline = match timeout {
            Some(secs) if secs.is_finite() && secs >= 0.0 => {
                Some(Instant::now() + Duration::from_secs_f64(secs))
            }
            Some(_) => {
                return Err(crate::errors::validation(
                    py,
                    "timeout must be a number of seconds, at least 0",
                    "timeout",
                ))
            }
            None => None,
        };
        let platform = this.core()?;
        match run(py, wait_done(platform, this.id, deadline))? {
            Some(execution) => {
                this.store(execution);
                Ok(slf.clone().unbind())
            }
            None => Err(PyTimeoutError::new_err(format!(
                "execution {} is still {} after {} s",
                this.id,
                this.snapshot().status.as_str(),
                timeout.unwrap_or_default()
            ))),
        }
    }

    /// The execution's events as they happen (job transitions, logs, stats, status changes),
    /// as a blocking iterator that ends after the event that ends the execution. The first
    /// call on a handle from ``execute()`` starts at the execution's start; later calls start
    /// now. ``timeout`` in seconds raises ``TimeoutError`` when no event comes for that long.
    #[pyo3(signature = (timeout = None))]
    fn events(slf: &Bound<'_, Self>, timeout: Option<f64>) -> PyResult<EventIterator> {
        let py = slf.py();
        let this = slf.get();
        let first = this
            .first_events
            .lock()
            .map_err(|_| PyRuntimeError::new_err("the events lock is poisoned"))?
            .take();
        let platform = this.core()?;
        let (receiver, finished) = match first {
            Some(receiver) => (receiver, false),
            None => {
                let receiver = platform.subscribe();
                let id = this.id;
                let now = run(py, async move { platform.execution(id).await })?;
                let finished = !now.status.is_active();
                this.store(now);
                (receiver, finished)
            }
        };
        EventIterator::new(
            py,
            this.platform.clone_ref(py),
            receiver,
            Some(this.id),
            timeout,
            finished,
        )
    }

    /// The state as a plain ``dict``.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let e = self.snapshot();
        let dict = PyDict::new(py);
        dict.set_item("id", e.id.to_string())?;
        dict.set_item("project_id", e.project_id.to_string())?;
        dict.set_item("batch_id", e.batch_id.to_string())?;
        dict.set_item("mode", e.mode.as_str())?;
        dict.set_item("sample_size", e.sample_size)?;
        dict.set_item("seed", e.seed)?;
        dict.set_item("concurrency", e.concurrency)?;
        dict.set_item("max_attempts", e.max_attempts)?;
        dict.set_item("job_timeout_secs", e.job_timeout_secs)?;
        dict.set_item("instruction_version", e.instruction_version)?;
        dict.set_item("status", e.status.as_str())?;
        dict.set_item("total", e.total)?;
        let counts = pyo3::Bound::new(py, StatusCounts::from(&e.counts))?;
        dict.set_item("counts", counts.call_method0("to_dict")?)?;
        dict.set_item("created_at", e.created_at)?;
        dict.set_item("updated_at", e.updated_at)?;
        dict.set_item("finished_at", e.finished_at)?;
        Ok(dict)
    }

    fn __repr__(&self) -> String {
        let e = self.snapshot();
        format!(
            "Execution(id='{}', mode='{}', status='{}', total={}, completed={}, failed={})",
            e.id,
            e.mode.as_str(),
            e.status.as_str(),
            e.total,
            e.counts.completed,
            e.counts.failed
        )
    }
}

#[pymethods]
impl Platform {
    /// Starts an execution of ``batch``: ``mode="test"`` runs a deterministic sample of
    /// ``sample`` valid jobs (10–50, default 10; ``seed`` picks another sample),
    /// ``mode="production"`` the jobs of ``scope`` (all, pending, failed, not_passing or
    /// unfinished). ``concurrency`` (1–50, default 5), ``max_attempts`` and
    /// ``job_timeout_secs`` default to the project's settings. A ``ConflictError`` when a job
    /// is already in an active execution.
    #[pyo3(signature = (batch, *, mode = "test", sample = None, seed = None, scope = None, concurrency = None, max_attempts = None, job_timeout_secs = None))]
    #[allow(clippy::too_many_arguments)]
    fn execute(
        slf: &Bound<'_, Self>,
        batch: &Bound<'_, PyAny>,
        mode: &str,
        sample: Option<u32>,
        seed: Option<u64>,
        scope: Option<&str>,
        concurrency: Option<u32>,
        max_attempts: Option<u32>,
        job_timeout_secs: Option<u32>,
    ) -> PyResult<Execution> {
        let py = slf.py();
        let batch: BatchId = id_of(batch)?;
        let mode: ExecutionMode = parse_enum(py, mode, "mode")?;
        let scope: Option<RunScope> = scope.map(|s| parse_enum(py, s, "scope")).transpose()?;
        let start = StartExecution {
            mode: Some(mode),
            sample_size: sample,
            seed,
            scope,
            concurrency,
            max_attempts,
            job_timeout_secs,
        };
        let platform = slf.get().core()?;
        let (execution, events) = run(py, async move {
            let found = platform.batch(batch).await?;
            let events = platform.subscribe();
            let execution = platform
                .start_execution(found.project_id, batch, start)
                .await?;
            Ok((execution, events))
        })?;
        Ok(Execution::new(
            slf.clone().unbind(),
            execution,
            Some(events),
        ))
    }

    /// A handle on an execution by id.
    fn execution(slf: &Bound<'_, Self>, execution: &Bound<'_, PyAny>) -> PyResult<Execution> {
        let id: ExecutionId = id_of(execution)?;
        let platform = slf.get().core()?;
        let execution = run(slf.py(), async move { platform.execution(id).await })?;
        Ok(Execution::new(slf.clone().unbind(), execution, None))
    }

    /// Executions, oldest first, of a project and/or batch, with any of the given statuses;
    /// fetched lazily.
    #[pyo3(signature = (*, project = None, batch = None, status = None, page_size = 50))]
    fn executions(
        slf: &Bound<'_, Self>,
        project: Option<&Bound<'_, PyAny>>,
        batch: Option<&Bound<'_, PyAny>>,
        status: Option<&Bound<'_, PyAny>>,
        page_size: u32,
    ) -> PyResult<PageIterator> {
        let py = slf.py();
        let filter = ExecutionFilter {
            project_id: opt_id::<ProjectId>(project)?,
            batch_id: opt_id::<BatchId>(batch)?,
            statuses: parse_enums(py, status, "status")?,
        };
        PageIterator::new(slf, page_size, None, move |platform, page| {
            let filter = filter.clone();
            Box::pin(async move {
                let page = platform.executions(filter, page).await?;
                Ok(page.map(|e| Item::Execution(Box::new(e))))
            })
        })
    }

    /// Every event of this platform from now on (all executions), as a blocking iterator
    /// that never ends by itself: break out of it, or give ``timeout`` (seconds without an
    /// event before ``TimeoutError``).
    #[pyo3(signature = (*, timeout = None))]
    fn events(slf: &Bound<'_, Self>, timeout: Option<f64>) -> PyResult<EventIterator> {
        let py = slf.py();
        let receiver = slf.get().core()?.subscribe();
        EventIterator::new(py, slf.clone().unbind(), receiver, None, timeout, false)
    }
}
