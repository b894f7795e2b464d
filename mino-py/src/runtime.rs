//! The one Tokio runtime of the process, and running MINO futures from Python threads.
//!
//! Every blocking call of the module goes through [`block_on`]: the future runs with the GIL
//! released (other Python threads go on), in slices of [`SIGNAL_CHECK`], and between slices
//! the calling thread checks for signals, so Ctrl-C interrupts any call with
//! `KeyboardInterrupt`. An interrupted future is dropped, which cancels it.

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use pyo3::prelude::*;
use tokio::runtime::Runtime;

use crate::errors::internal_error;

/// How often a waiting call looks for pending signals (Ctrl-C).
pub const SIGNAL_CHECK: Duration = Duration::from_millis(100);

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// The process-wide runtime, started on first use.
pub fn runtime() -> PyResult<&'static Runtime> {
    if let Some(runtime) = RUNTIME.get() {
        return Ok(runtime);
    }
    let built = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("mino-runtime")
        .build()
        .map_err(|err| internal_error(format!("cannot start the Tokio runtime: {err}")))?;
    // Two threads may race here; the loser's runtime is dropped unused.
    Ok(RUNTIME.get_or_init(|| built))
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

/// The runtime, if it was started.
pub fn existing() -> Option<&'static Runtime> {
    RUNTIME.get()
}
