//! MINO's Python bindings: the `mino._mino` extension module behind `import mino`.
//!
//! A thin conversion layer over [`mino::Platform`]: every behaviour lives in `mino-core`;
//! this crate turns Python arguments into core types, runs the call on the process's one
//! Tokio runtime with the GIL released ([`runtime`]), and turns results into frozen record
//! classes ([`types`]) and errors into the `mino.MinoError` tree ([`errors`]).
//!
//! The module is split by resource: [`projects`], [`batches`], [`executions`] (and the
//! [`events`] iterator), [`jobs`], [`ground_truth`], [`metrics`] and [`exports`] each add their methods to
//! [`platform::Platform`].

mod batches;
mod convert;
mod errors;
mod events;
mod executions;
mod exports;
mod ground_truth;
mod jobs;
mod metrics;
mod paging;
mod platform;
mod projects;
mod records;
mod runtime;
mod types;

use pyo3::prelude::*;

/// The extension module; `mino/__init__.py` re-exports its classes.
#[pymodule]
fn _mino(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<platform::Platform>()?;
    m.add_class::<executions::Execution>()?;
    m.add_class::<events::EventIterator>()?;
    m.add_class::<paging::PageIterator>()?;
    types::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
