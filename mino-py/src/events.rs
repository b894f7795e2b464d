//! Blocking iteration over engine events.

use std::sync::Arc;
use std::time::Duration;

use mino::events::{Event, EventReceiver};
use mino::model::ExecutionId;
use mino::platform::Platform as CorePlatform;
use pyo3::exceptions::PyTimeoutError;
use pyo3::prelude::*;
use tokio::sync::broadcast::error::RecvError;

use crate::errors::validation;
use crate::platform::Platform;
use crate::runtime::run;
use crate::types::event_to_py;

/// What waiting for the next event gave.
enum Next {
    /// An event to yield; `last` when it ends the execution followed.
    Event { event: Arc<Event>, last: bool },
    /// Nothing more will come.
    End,
    /// No event within the timeout.
    TimedOut,
}

/// A blocking iterator over events: of one execution (ending after the event that ends it),
/// or of the whole platform (never ending by itself). Waiting releases the GIL and Ctrl-C
/// interrupts it.
#[pyclass(module = "mino")]
pub struct EventIterator {
    platform: Py<Platform>,
    receiver: EventReceiver,
    execution: Option<ExecutionId>,
    timeout: Option<Duration>,
    finished: bool,
}

impl EventIterator {
    /// An iterator over `receiver`, for `execution` only when given.
    pub fn new(
        py: Python<'_>,
        platform: Py<Platform>,
        receiver: EventReceiver,
        execution: Option<ExecutionId>,
        timeout: Option<f64>,
        finished: bool,
    ) -> PyResult<Self> {
        let timeout = match timeout {
            Some(secs) if secs.is_finite() && secs > 0.0 => Some(Duration::from_secs_f64(secs)),
            Some(_) => {
                return Err(validation(
                    py,
                    "timeout must be a positive number of seconds",
                    "timeout",
                ))
            }
            None => None,
        };
        Ok(EventIterator {
            platform,
            receiver,
            execution,
            timeout,
            finished,
        })
    }
}

/// Waits for the next event that concerns `execution` (any event when `None`).
async fn next_event(
    platform: CorePlatform,
    receiver: &mut EventReceiver,
    execution: Option<ExecutionId>,
    timeout: Option<Duration>,
) -> mino::Result<Next> {
    let wait = async {
        loop {
            match receiver.recv().await {
                Ok(event) => match execution {
                    None => return Ok(Next::Event { event, last: false }),
                    Some(id) if event.execution_id() == id => {
                        let last = matches!(
                            &*event,
                            Event::ExecutionStatus { status, .. } if !status.is_active()
                        );
                        return Ok(Next::Event { event, last });
                    }
                    Some(_) => {}
                },
                Err(RecvError::Lagged(_)) => {
                    // Events were lost: the one that ends the execution may be among them.
                    if let Some(id) = execution {
                        if !platform.execution(id).await?.status.is_active() {
                            return Ok(Next::End);
                        }
                    }
                }
                Err(RecvError::Closed) => return Ok(Next::End),
            }
        }
    };
    match timeout {
        Some(limit) => match tokio::time::timeout(limit, wait).await {
            Ok(next) => next,
            Err(_) => Ok(Next::TimedOut),
        },
        None => wait.await,
    }
}

#[pymethods]
impl EventIterator {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        if self.finished {
            return Ok(None);
        }
        let platform = self.platform.get().core()?;
        let next = run(
            py,
            next_event(platform, &mut self.receiver, self.execution, self.timeout),
        )?;
        match next {
            Next::Event { event, last } => {
                self.finished = last;
                event_to_py(py, &event).map(Some)
            }
            Next::End => {
                self.finished = true;
                Ok(None)
            }
            Next::TimedOut => Err(PyTimeoutError::new_err(format!(
                "no event within {} s",
                self.timeout.map(|t| t.as_secs_f64()).unwrap_or_default()
            ))),
        }
    }

    /// Whether the iterator has ended.
    #[getter]
    fn finished(&self) -> bool {
        self.finished
    }
}
