//! Versioned schema migrations, embedded in the binary and applied in one transaction.
//!
//! `schema_migrations` records every applied version. Opening a database applies what is
//! missing; a database migrated by a newer MINO (a version this binary does not know) is
//! refused rather than used with a schema the code does not understand.

use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use tracing::info;

use super::error::SqlResultExt;
use mino_core::{Error, ErrorKind, Result};

/// One migration: its number, a short name and its SQL.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Migration {
    /// Applied in increasing order, starting at 1, without gaps.
    pub version: i64,
    /// What it does, recorded beside the version.
    pub name: &'static str,
    /// The statements.
    pub sql: &'static str,
}

/// Every migration this binary knows.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "schema",
        sql: include_str!("0001_schema.sql"),
    },
    Migration {
        version: 2,
        name: "job_search",
        sql: include_str!("0002_job_search.sql"),
    },
    Migration {
        version: 3,
        name: "audit_and_end_snapshots",
        sql: include_str!("0003_audit_and_end_snapshots.sql"),
    },
    Migration {
        version: 4,
        name: "execution_counts",
        sql: include_str!("0004_execution_counts.sql"),
    },
];

/// The newest schema version this binary knows.
pub(crate) fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// Applies every pending migration in one immediate transaction; returns the versions
/// applied (empty when the schema was current).
pub(crate) fn migrate(conn: &mut Connection) -> Result<Vec<i64>> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .db("begin the migration transaction")?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    INTEGER PRIMARY KEY,
             name       TEXT NOT NULL,
             applied_at INTEGER NOT NULL
         )",
    )
    .db("create schema_migrations")?;
    let current: i64 = tx
        .query_row("SELECT max(version) FROM schema_migrations", [], |r| {
            r.get::<_, Option<i64>>(0)
        })
        .optional()
        .db("read the schema version")?
        .flatten()
        .unwrap_or(0);
    let latest = latest_version();
    if current > latest {
        return Err(Error::new(
            ErrorKind::Storage,
            format!(
                "the database schema is at version {current}, newer than the newest this \
                 MINO knows ({latest}); upgrade MINO to open it"
            ),
        )
        .with_transient(false)
        .with_context("schema_version", current.to_string())
        .with_context("supported_version", latest.to_string()));
    }
    let mut applied = Vec::new();
    for migration in MIGRATIONS.iter().filter(|m| m.version > current) {
        tx.execute_batch(migration.sql).db(&format!(
            "apply migration {} ({})",
            migration.version, migration.name
        ))?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
            (
                migration.version,
                migration.name,
                Utc::now().timestamp_micros(),
            ),
        )
        .db("record a migration")?;
        applied.push(migration.version);
    }
    tx.commit().db("commit the migrations")?;
    if !applied.is_empty() {
        info!(from = current, to = latest, "applied SQLite migrations");
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn versions(conn: &Connection) -> Vec<i64> {
        let mut stmt = conn
            .prepare("SELECT version FROM schema_migrations ORDER BY version")
            .expect("prepare");
        let rows = stmt.query_map([], |r| r.get(0)).expect("query");
        rows.collect::<rusqlite::Result<_>>().expect("rows")
    }

    #[test]
    fn versions_are_numbered_from_one_without_gaps() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1, "{}", m.name);
        }
    }

    #[test]
    fn fresh_database_gets_every_migration() {
        let mut conn = Connection::open_in_memory().expect("memory db");
        let applied = migrate(&mut conn).expect("migrate");
        assert_eq!(
            applied,
            MIGRATIONS.iter().map(|m| m.version).collect::<Vec<_>>()
        );
        assert_eq!(versions(&conn), applied);
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN
                 ('projects', 'instruction_versions', 'batches', 'jobs', 'executions',
                  'execution_jobs', 'sessions', 'metrics_snapshots', 'artifacts', 'jobs_search')",
                [],
                |r| r.get(0),
            )
            .expect("count tables");
        assert_eq!(tables, 10);
    }

    #[test]
    fn migrating_again_is_a_no_op() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("m.db");
        let mut conn = Connection::open(&path).expect("open");
        migrate(&mut conn).expect("first migrate");
        drop(conn);
        let mut conn = Connection::open(&path).expect("reopen");
        assert_eq!(
            migrate(&mut conn).expect("second migrate"),
            Vec::<i64>::new()
        );
        assert_eq!(versions(&conn).len(), MIGRATIONS.len());
    }

    #[test]
    fn newer_schema_is_refused_and_left_untouched() {
        let mut conn = Connection::open_in_memory().expect("memory db");
        migrate(&mut conn).expect("migrate");
        let future = latest_version() + 1;
        conn.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, 'future', 0)",
            [future],
        )
        .expect("insert future version");
        let err = migrate(&mut conn).expect_err("refused");
        assert_eq!(err.kind(), ErrorKind::Storage);
        assert!(!err.is_transient());
        assert_eq!(
            err.context_value("schema_version"),
            Some(future.to_string().as_str())
        );
        assert!(err.message().contains("upgrade MINO"), "{}", err.message());
        assert_eq!(versions(&conn).last(), Some(&future));
    }

    #[test]
    fn a_failing_migration_leaves_nothing_behind() {
        let mut conn = Connection::open_in_memory().expect("memory db");
        conn.execute_batch("CREATE TABLE projects (x INTEGER)")
            .expect("conflicting table");
        assert!(migrate(&mut conn).is_err());
        let recorded: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'schema_migrations'",
                [],
                |r| r.get(0),
            )
            .expect("query");
        assert_eq!(recorded, 0, "the whole migration rolled back");
    }
}
