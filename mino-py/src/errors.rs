//! MINO errors as Python exceptions.
//!
//! The classes live in `mino/_errors.py` (so that they can also derive from `ValueError` and
//! `LookupError`); [`exception_class`] is the one place that picks a class for an
//! [`ErrorKind`]. Every exception carries the same `code` as the HTTP API
//! ([`ErrorKind::code`]).

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyModule};

use mino::{Error, ErrorKind};

/// The Python class name for an error kind.
pub fn exception_class(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::NotFound => "NotFoundError",
        ErrorKind::Validation | ErrorKind::PayloadTooLarge | ErrorKind::UnsupportedMediaType => {
            "ValidationError"
        }
        ErrorKind::Conflict => "ConflictError",
        ErrorKind::Browser | ErrorKind::Timeout | ErrorKind::Network | ErrorKind::HttpStatus => {
            "BrowserError"
        }
        ErrorKind::Agent | ErrorKind::RateLimited => "AgentError",
        ErrorKind::Storage => "StorageError",
        _ => "MinoError",
    }
}

/// The lower-case name of a kind (`not_found`), as serialised.
pub fn kind_name(kind: ErrorKind) -> String {
    crate::convert::enum_name(&kind)
}

static ERRORS_MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

fn errors_module(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    ERRORS_MODULE
        .get_or_try_init(py, || py.import("mino._errors").map(Bound::unbind))
        .map(|module| module.bind(py))
}

/// Converts a MINO error into the matching `mino` exception.
pub fn to_py_err(py: Python<'_>, err: Error) -> PyErr {
    match build(py, &err) {
        Ok(exception) => exception,
        // The error classes could not even be imported: say what the original error was.
        Err(import_failure) => PyRuntimeError::new_err(format!(
            "{} ({}); and the mino exception classes are unavailable: {import_failure}",
            err.message(),
            err.kind().code()
        )),
    }
}

fn build(py: Python<'_>, err: &Error) -> PyResult<PyErr> {
    let class = errors_module(py)?.getattr(exception_class(err.kind()))?;
    let details = PyDict::new(py);
    for (key, value) in err.context() {
        details.set_item(*key, value)?;
    }
    let kwargs = PyDict::new(py);
    kwargs.set_item("code", err.kind().code())?;
    kwargs.set_item("kind", kind_name(err.kind()))?;
    kwargs.set_item("details", details)?;
    kwargs.set_item("transient", err.is_transient())?;
    let exception = class.call((message_of(err),), Some(&kwargs))?;
    Ok(PyErr::from_value(exception))
}

/// The message, followed by its underlying cause when the message does not already say it.
fn message_of(err: &Error) -> String {
    let message = err.message().to_owned();
    match std::error::Error::source(err) {
        Some(source) => {
            let cause = source.to_string();
            if cause.is_empty() || message.contains(&cause) {
                message
            } else {
                format!("{message}: {cause}")
            }
        }
        None => message,
    }
}

/// A validation error raised by the bindings themselves (bad argument types or values).
pub fn validation(py: Python<'_>, message: impl Into<String>, field: &'static str) -> PyErr {
    to_py_err(py, Error::validation(message).with_context("field", field))
}

/// An internal failure that is not a MINO error (e.g. the runtime could not start).
pub fn internal_error(message: String) -> PyErr {
    Python::attach(|py| to_py_err(py, Error::internal(message)))
}
