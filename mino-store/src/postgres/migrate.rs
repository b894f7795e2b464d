//! Versioned schema migrations, applied on open under an advisory lock.

use mino_core::{Error, ErrorKind, Result};
use sqlx::PgPool;
use tracing::info;

use super::config::quote_ident;
use super::error::DbResultExt;

/// One schema change. Versions start at 1 and have no gaps; a released migration is never
/// edited, only followed by a new one.
pub(crate) struct Migration {
    pub(crate) version: i32,
    pub(crate) name: &'static str,
    pub(crate) sql: &'static str,
}

pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sql: include_str!("migrations/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "audit_and_end_snapshots",
        sql: include_str!("migrations/0002_audit_and_end_snapshots.sql"),
    },
    Migration {
        version: 3,
        name: "sharded_execution_counts",
        sql: include_str!("migrations/0003_sharded_execution_counts.sql"),
    },
];

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: i32 = 3;

/// Key of the advisory lock that serialises migrations. One key for the whole database
/// (not one per schema), because `CREATE EXTENSION` is database-wide and two openers of
/// different schemas could otherwise race to create it.
const MIGRATION_LOCK_KEY: i64 = i64::from_be_bytes(*b"minomigr");

/// Brings the schema to [`SCHEMA_VERSION`]; returns the versions applied now.
///
/// Everything runs in one transaction that first takes a transaction-scoped advisory lock:
/// concurrent openers wait for the first one and then find nothing left to do, and a
/// failed migration leaves the database as it was.
pub(crate) async fn run(pool: &PgPool, schema: Option<&str>) -> Result<Vec<i32>> {
    let mut tx = pool.begin().await.db()?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(MIGRATION_LOCK_KEY)
        .execute(&mut *tx)
        .await
        .db()?;
    if let Some(schema) = schema {
        let ddl = format!("CREATE SCHEMA IF NOT EXISTS {}", quote_ident(schema));
        sqlx::raw_sql(sqlx::AssertSqlSafe(ddl))
            .execute(&mut *tx)
            .await
            .db()?;
    }
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS mino_schema_migrations (
             version    integer PRIMARY KEY,
             name       text NOT NULL,
             applied_at timestamptz NOT NULL DEFAULT now()
         )",
    )
    .execute(&mut *tx)
    .await
    .db()?;

    let applied: Vec<(i32, String)> =
        sqlx::query_as("SELECT version, name FROM mino_schema_migrations ORDER BY version")
            .fetch_all(&mut *tx)
            .await
            .db()?;
    check_applied(&applied)?;

    let mut done = Vec::new();
    for migration in MIGRATIONS.iter().skip(applied.len()) {
        info!(
            version = migration.version,
            name = migration.name,
            schema = schema.unwrap_or("(default)"),
            "applying Postgres migration"
        );
        sqlx::raw_sql(migration.sql).execute(&mut *tx).await.db()?;
        sqlx::query("INSERT INTO mino_schema_migrations (version, name) VALUES ($1, $2)")
            .bind(migration.version)
            .bind(migration.name)
            .execute(&mut *tx)
            .await
            .db()?;
        done.push(migration.version);
    }
    tx.commit().await.db()?;
    Ok(done)
}

/// Checks that the applied migrations are a prefix of the known ones.
fn check_applied(applied: &[(i32, String)]) -> Result<()> {
    if let Some((newest, _)) = applied.last() {
        if *newest > SCHEMA_VERSION {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "the database schema is at version {newest}, newer than the newest this \
                     build of MINO knows ({SCHEMA_VERSION}); upgrade MINO"
                ),
            )
            .with_context("schema_version", newest.to_string()));
        }
    }
    for (position, (version, name)) in applied.iter().enumerate() {
        let known = MIGRATIONS.get(position);
        if known.map(|m| (m.version, m.name)) != Some((*version, name.as_str())) {
            return Err(Error::internal(format!(
                "the database has migration {version} ({name:?}) where this build expects \
                 {:?}; the schema was changed by something else",
                known.map(|m| (m.version, m.name))
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_without_gaps() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version as usize, i + 1, "{}", m.name);
        }
        assert_eq!(MIGRATIONS.last().map(|m| m.version), Some(SCHEMA_VERSION));
    }

    #[test]
    fn newer_or_foreign_history_is_refused() {
        assert!(check_applied(&[]).is_ok());
        assert!(check_applied(&[(1, "initial".into())]).is_ok());
        let known: Vec<(i32, String)> = MIGRATIONS
            .iter()
            .map(|m| (m.version, m.name.to_owned()))
            .collect();
        assert!(check_applied(&known).is_ok());
        let mut newer = known.clone();
        newer.push((SCHEMA_VERSION + 1, "future".into()));
        let newer = check_applied(&newer);
        assert_eq!(newer.err().map(|e| e.kind()), Some(ErrorKind::Unsupported));
        let foreign = check_applied(&[(1, "something else".into())]);
        assert_eq!(foreign.err().map(|e| e.kind()), Some(ErrorKind::Internal));
    }
}
