//! The one Tokio runtime of the process, and running MINO futures from Python threads.
//!
//! Every blocking call of the module goes through [`block_on`]: the future runs with the GIL
//! released (other Python threads go on), in slices of [`SIGNAL_CHECK`], and between slices
//! the calling thread checks for signals, so Ctrl-C interrupts any call with
//! `KeyboardInterrupt`. An interrupted future is dropped, which cancels it.

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use tokio::runtime::Runtime;

use crate::errors::internal_error;

/// How often a waiting call looks for pending signals (Ctrl-C).
pub const SIGNAL_CHECK: Duration = Duration::from_millis(100);

/// The runtime and the process that started it.
static RUNTIME: OnceLock<(u32, Runtime)> = OnceLock::new();

/// The process-wide runtime, started on first use.
///
/// A child made by `fork()` inherits the runtime without its threads, so it would hang: it
/// gets an error instead (use the `spawn` start method of `multiprocessing`).
pub fn runtime() -> PyResult<&'static Runtime> {
    let (pid, runtime) = match RUNTIME.get() {
        Some(started) => started,
        None => {
            let built = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .thread_name("mino-runtime")
                .build()
                .map_err(|err| internal_error(format!("cannot start the Tokio runtime: {err}")))?;
            // Two threads may race here; the loser's runtime is dropped unused.
            RUNTIME.get_or_init(|| (std::process::id(), built))
        }
    };
    if *pid != std::process::id() {
        return Err(PyRuntimeError::new_err(
            "mino was started in the parent of this forked process and cannot run here; \
             use multiprocessing's \"spawn\" start method, or open platforms only after the fork",
        ));
    }
    Ok(runtime)
}

/// Runs `future` to completion on the runtime with the GIL released, checking for signals
/// every [`SIGNAL_CHECK`]. A pending signal whose handler raises (Ctrl-C) drops the future
/// and returns that exception.
pub fn block_on<F>(py: Python<'_>, future: F) -> PyResult<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    let runtime = runtime()?;
    let mut future = Box::pin(future);
    loop {
        let slice = py.detach(|| {
            runtime.block_on(async { tokio::time::timeout(SIGNAL_CHECK, &mut future).await })
        });
        match slice {
            Ok(output) => return Ok(output),
            Err(_elapsed) => py.check_signals()?,
        }
    }
}

/// [`block_on`] for futures that return a MINO result, mapping the error to its exception.
pub fn run<F, T>(py: Python<'_>, future: F) -> PyResult<T>
where
    F: Future<Output = mino::Result<T>> + Send,
    T: Send,
{
    block_on(py, future)?.map_err(|err| crate::errors::to_py_err(py, err))
}

/// Whether this process is a fork of the one that started the runtime.
pub fn forked() -> bool {
    RUNTIME
        .get()
        .is_some_and(|(pid, _)| *pid != std::process::id())
}

/// The runtime, if this process started it.
pub fn existing() -> Option<&'static Runtime> {
    RUNTIME
        .get()
        .filter(|(pid, _)| *pid == std::process::id())
        .map(|(_, runtime)| runtime)
}
