//! Maps sqlx errors to [`mino_core::Error`], once, for the whole Postgres backend.

use mino_core::{Error, ErrorKind};
use sqlx::error::{DatabaseError, ErrorKind as DbKind};

/// Converts `Result<T, sqlx::Error>` into MINO's result type.
pub(crate) trait DbResultExt<T> {
    /// Maps the error with [`map_db_error`].
    fn db(self) -> mino_core::Result<T>;
}

impl<T> DbResultExt<T> for Result<T, sqlx::Error> {
    fn db(self) -> mino_core::Result<T> {
        self.map_err(map_db_error)
    }
}

/// Maps one sqlx error to the [`ErrorKind`] callers act on.
///
/// Constraint violations become what they mean for the caller (a duplicate is a conflict, a
/// missing referenced row is "not found", a failed CHECK is invalid input); connection and
/// server trouble is [`ErrorKind::Storage`], which the engine retries; bugs (bad SQL, a
/// column that does not decode) are [`ErrorKind::Internal`], which it does not.
pub(crate) fn map_db_error(err: sqlx::Error) -> Error {
    match err {
        sqlx::Error::Database(db) => map_database_error(db),
        sqlx::Error::PoolTimedOut => {
            Error::storage("timed out waiting for a free database connection", err)
        }
        sqlx::Error::Configuration(_) => {
            Error::validation(format!("database configuration is not valid: {err}"))
                .with_context("field", "database")
                .with_source(err)
        }
        sqlx::Error::Decode(_)
        | sqlx::Error::Encode(_)
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::TypeNotFound { .. }
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::RowNotFound => {
            Error::internal(format!("unexpected database result: {err}")).with_source(err)
        }
        other => Error::storage(format!("database failure: {other}"), other),
    }
}

fn map_database_error(db: Box<dyn DatabaseError>) -> Error {
    let constraint = db.constraint().map(str::to_owned);
    let message = db.message().to_owned();
    let mapped = match db.kind() {
        DbKind::UniqueViolation => Error::conflict(format!("already exists: {message}")),
        DbKind::ForeignKeyViolation => {
            let entity = constraint.as_deref().and_then(referenced_entity);
            let what = entity.unwrap_or("referenced row");
            let err = Error::new(ErrorKind::NotFound, format!("{what} not found"));
            match entity {
                Some(entity) => err.with_context("entity", entity),
                None => err,
            }
        }
        DbKind::CheckViolation | DbKind::ExclusionViolation => {
            Error::validation(format!("value out of range: {message}"))
        }
        DbKind::NotNullViolation => Error::internal(format!("missing value: {message}")),
        _ => by_sqlstate_class(db.code().as_deref(), &message),
    };
    let mapped = match constraint {
        Some(c) => mapped.with_context("constraint", c),
        None => mapped,
    };
    mapped.with_source(db)
}

/// Errors without a [`DbKind`], sorted by the SQLSTATE class (its first two characters).
fn by_sqlstate_class(code: Option<&str>, message: &str) -> Error {
    match code.map(|c| c.get(..2).unwrap_or(c)) {
        // Data exceptions: text the database cannot hold (a NUL byte, a bad escape).
        Some("22") => Error::validation(format!("value cannot be stored: {message}")),
        // Syntax errors and undefined objects are bugs or a schema that is out of date.
        Some("42") => Error::internal(format!("database rejected a statement: {message}")),
        // Serialization failures, deadlocks, lost connections, shutdown: worth a retry.
        _ => Error::new(ErrorKind::Storage, format!("database failure: {message}")),
    }
}

/// Foreign keys are named `<table>_<entity>_fk`, so a violation names the missing entity.
fn referenced_entity(constraint: &str) -> Option<&'static str> {
    let entity = constraint.strip_suffix("_fk")?.rsplit('_').next()?;
    [
        "project",
        "batch",
        "job",
        "execution",
        "session",
        "artifact",
    ]
    .into_iter()
    .find(|known| *known == entity)
}

/// An error for a stored value that does not decode into the model (a bug or manual edits).
pub(crate) fn corrupt(what: &str, detail: impl std::fmt::Display) -> Error {
    Error::internal(format!("stored {what} is not valid: {detail}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreign_key_names_give_the_entity() {
        assert_eq!(referenced_entity("sessions_job_fk"), Some("job"));
        assert_eq!(
            referenced_entity("execution_jobs_execution_fk"),
            Some("execution")
        );
        assert_eq!(
            referenced_entity("metrics_snapshots_batch_fk"),
            Some("batch")
        );
        assert_eq!(referenced_entity("jobs_pkey"), None);
        assert_eq!(referenced_entity("weird_thing_fk"), None);
    }

    #[test]
    fn pool_timeouts_are_transient_storage_errors() {
        let err = map_db_error(sqlx::Error::PoolTimedOut);
        assert_eq!(err.kind(), ErrorKind::Storage);
        assert!(err.is_transient());
        let err = map_db_error(sqlx::Error::RowNotFound);
        assert_eq!(err.kind(), ErrorKind::Internal);
    }

    #[test]
    fn sqlstate_classes_sort_unnamed_errors() {
        assert_eq!(
            by_sqlstate_class(Some("22021"), "bad byte").kind(),
            ErrorKind::Validation
        );
        assert_eq!(
            by_sqlstate_class(Some("42P01"), "no table").kind(),
            ErrorKind::Internal
        );
        assert_eq!(
            by_sqlstate_class(Some("40001"), "serialize").kind(),
            ErrorKind::Storage
        );
        assert_eq!(by_sqlstate_class(None, "?").kind(), ErrorKind::Storage);
    }
}
