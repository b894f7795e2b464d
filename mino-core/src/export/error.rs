//! Mapping the writers' errors to [`Error`], once.

use std::io;

use crate::error::{Error, ErrorKind};

/// An I/O error while writing the export. A reader that went away (broken pipe, reset
/// connection) cancelled the export; anything else is a failure of the storage written to.
pub(crate) fn io_error(err: io::Error) -> Error {
    let kind = match err.kind() {
        io::ErrorKind::BrokenPipe
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted => ErrorKind::Cancelled,
        _ => ErrorKind::Storage,
    };
    Error::new(kind, format!("writing the export failed: {err}"))
        .with_transient(false)
        .with_source(err)
}

/// A CSV writer error.
pub(crate) fn csv_error(err: csv::Error) -> Error {
    if err.is_io_error() {
        match err.into_kind() {
            csv::ErrorKind::Io(io) => io_error(io),
            other => Error::internal(format!("CSV export failed: {other:?}")),
        }
    } else {
        Error::internal(format!("CSV export failed: {err}")).with_source(err)
    }
}

/// A JSON serialisation error.
pub(crate) fn json_error(err: serde_json::Error) -> Error {
    if err.is_io() {
        io_error(io::Error::from(err))
    } else {
        Error::internal(format!("JSON export failed: {err}")).with_source(err)
    }
}

/// An Excel writer error. Limits (string length, rows, columns) are enforced before
/// writing, so anything but I/O is a bug.
pub(crate) fn xlsx_error(err: rust_xlsxwriter::XlsxError) -> Error {
    match err {
        rust_xlsxwriter::XlsxError::IoError(io) => io_error(io),
        rust_xlsxwriter::XlsxError::TempFileError(path, io) => Error::new(
            ErrorKind::Storage,
            format!(
                "the Excel export could not create a temporary file in {}: {io}",
                path.display()
            ),
        )
        .with_transient(false)
        .with_source(io),
        other => Error::internal(format!("Excel export failed: {other}")).with_source(other),
    }
}
