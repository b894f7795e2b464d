//! The one place where rusqlite's errors become [`mino_core::Error`]s.

use mino_core::{Error, ErrorKind};
use rusqlite::ffi;
use rusqlite::ErrorCode;

/// Maps a rusqlite error raised while doing `what` (e.g. "insert job").
///
/// Busy and locked databases stay [`ErrorKind::Storage`], which is transient, so callers may
/// retry; constraint violations that slipped past the explicit checks become conflicts or
/// validation errors; rows that cannot be decoded are internal errors (a bug or a damaged file).
pub(crate) fn map_sqlite(err: rusqlite::Error, what: &str) -> Error {
    let (kind, transient) = classify(&err);
    let mut mapped = Error::new(kind, format!("SQLite failed to {what}: {err}"));
    if let Some(transient) = transient {
        mapped = mapped.with_transient(transient);
    }
    mapped.with_source(err)
}

fn classify(err: &rusqlite::Error) -> (ErrorKind, Option<bool>) {
    match err {
        rusqlite::Error::SqliteFailure(code, _) => match code.code {
            ErrorCode::ConstraintViolation => match code.extended_code {
                ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                    (ErrorKind::Conflict, None)
                }
                ffi::SQLITE_CONSTRAINT_FOREIGNKEY | ffi::SQLITE_CONSTRAINT_CHECK => {
                    (ErrorKind::Validation, None)
                }
                _ => (ErrorKind::Internal, None),
            },
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => (ErrorKind::Storage, Some(true)),
            // A full disk, a read-only file or a damaged database will not heal by retrying.
            ErrorCode::DiskFull
            | ErrorCode::ReadOnly
            | ErrorCode::DatabaseCorrupt
            | ErrorCode::NotADatabase
            | ErrorCode::CannotOpen
            | ErrorCode::PermissionDenied => (ErrorKind::Storage, Some(false)),
            ErrorCode::TooBig => (ErrorKind::PayloadTooLarge, None),
            _ => (ErrorKind::Storage, None),
        },
        rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::InvalidColumnType(..)
        | rusqlite::Error::IntegralValueOutOfRange(..)
        | rusqlite::Error::InvalidColumnIndex(..)
        | rusqlite::Error::InvalidColumnName(..)
        | rusqlite::Error::QueryReturnedNoRows
        | rusqlite::Error::InvalidParameterName(..)
        | rusqlite::Error::InvalidParameterCount(..) => (ErrorKind::Internal, None),
        _ => (ErrorKind::Storage, None),
    }
}

/// Adds [`map_sqlite`] to rusqlite results.
pub(crate) trait SqlResultExt<T> {
    /// Maps the error, naming what was being done.
    fn db(self, what: &str) -> Result<T, Error>;
}

impl<T> SqlResultExt<T> for rusqlite::Result<T> {
    fn db(self, what: &str) -> Result<T, Error> {
        self.map_err(|err| map_sqlite(err, what))
    }
}

/// A blocking task that panicked or was cancelled by runtime shutdown.
pub(crate) fn join_error(err: tokio::task::JoinError) -> Error {
    Error::internal(format!("a SQLite task did not finish: {err}")).with_source(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    fn failure(sql: &str) -> Error {
        let conn = Connection::open_in_memory().expect("memory db");
        conn.execute_batch(
            "PRAGMA foreign_keys = ON;
             CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT UNIQUE, n INTEGER CHECK (n > 0));
             CREATE TABLE c (p INTEGER REFERENCES p(id));
             INSERT INTO p VALUES (1, 'a', 1);",
        )
        .expect("schema");
        conn.execute_batch(sql).db("test").expect_err("an error")
    }

    #[test]
    fn constraint_violations_get_meaningful_kinds() {
        assert_eq!(
            failure("INSERT INTO p VALUES (2, 'a', 1)").kind(),
            ErrorKind::Conflict
        );
        assert_eq!(
            failure("INSERT INTO p VALUES (1, 'b', 1)").kind(),
            ErrorKind::Conflict
        );
        assert_eq!(
            failure("INSERT INTO c VALUES (9)").kind(),
            ErrorKind::Validation
        );
        assert_eq!(
            failure("INSERT INTO p VALUES (3, 'c', 0)").kind(),
            ErrorKind::Validation
        );
        assert_eq!(failure("SELEKT 1").kind(), ErrorKind::Storage);
    }

    #[test]
    fn busy_is_transient_and_corruption_is_not() {
        let busy = rusqlite::Error::SqliteFailure(ffi::Error::new(ffi::SQLITE_BUSY), None);
        assert!(map_sqlite(busy, "x").is_transient());
        let full = rusqlite::Error::SqliteFailure(ffi::Error::new(ffi::SQLITE_FULL), None);
        assert!(!map_sqlite(full, "x").is_transient());
        assert_eq!(
            map_sqlite(rusqlite::Error::QueryReturnedNoRows, "x").kind(),
            ErrorKind::Internal
        );
    }
}
