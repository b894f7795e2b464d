//! The Postgres [`Store`](mino_core::store::Store): for many workers and servers sharing one
//! database.
//!
//! - A sqlx connection pool; every pooled connection gets the configured schema as its
//!   `search_path`, so one database can hold many independent MINO schemas (tests use a
//!   fresh one per run).
//! - Versioned migrations (`migrations/NNNN_name.sql`, embedded in the binary) applied on
//!   open under an advisory lock, so any number of processes may start at once.
//! - Batches are loaded with `COPY`; lists page by keyset on time-ordered ids.
//!
//! The module is split by entity (`projects`, `batches` with `copy`, `jobs` and
//! `job_writes`, `executions` with `selection`, `queue`, `sessions`, `snapshots`,
//! `artifacts`); `store` maps the trait onto them, `error` maps sqlx errors once, `codec`
//! holds shared conversions.

mod artifacts;
mod batches;
mod codec;
mod config;
mod copy;
mod error;
mod events;
mod executions;
mod finishing;
mod ground_truth;
mod job_writes;
mod jobs;
mod migrate;
mod projects;
mod queue;
mod selection;
mod sessions;
mod snapshots;
mod store;
#[cfg(test)]
mod tests;
mod usage;

use mino_core::{Error, ErrorKind, Result};
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use tracing::info;

pub use config::{PostgresConfig, DEFAULT_ACQUIRE_TIMEOUT, DEFAULT_MAX_CONNECTIONS};
pub use events::PgEventSink;
pub use migrate::SCHEMA_VERSION;

use config::quote_ident;
use error::DbResultExt;

/// A [`Store`](mino_core::store::Store) on Postgres.
///
/// Cloning is cheap and shares the pool.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    config: PostgresConfig,
    finisher: finishing::Finisher,
}

impl PostgresStore {
    /// Opens a pool and applies pending migrations.
    ///
    /// Fails with [`ErrorKind::Storage`] when the server cannot be reached and with
    /// [`ErrorKind::Unsupported`] when the schema is newer than this build knows.
    pub async fn connect(config: PostgresConfig) -> Result<Self> {
        let store = Self::connect_without_migrating(config).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Opens a pool without touching the schema (see [`PostgresStore::migrate`]).
    pub async fn connect_without_migrating(config: PostgresConfig) -> Result<Self> {
        let mut options = PgPoolOptions::new()
            .max_connections(config.max_connections())
            .min_connections(config.min_connections())
            .acquire_timeout(config.acquire_timeout());
        if let Some(schema) = config.schema() {
            let set_path = format!("SET search_path TO {}", quote_ident(schema));
            options = options.after_connect(move |conn, _meta| {
                let set_path = set_path.clone();
                Box::pin(async move {
                    sqlx::raw_sql(sqlx::AssertSqlSafe(set_path))
                        .execute(conn)
                        .await?;
                    Ok(())
                })
            });
        }
        let pool = options
            .connect_with(config.connect_options().clone())
            .await
            .db()?;
        let finisher = finishing::Finisher::spawn(pool.clone());
        Ok(PostgresStore {
            pool,
            config,
            finisher,
        })
    }

    /// Applies pending migrations (creating the schema first when one is configured);
    /// returns the versions applied now, empty when the schema was up to date.
    pub async fn migrate(&self) -> Result<Vec<i32>> {
        let applied = migrate::run(&self.pool, self.config.schema()).await?;
        if !applied.is_empty() {
            info!(
                versions = ?applied,
                schema = self.config.schema().unwrap_or("(default)"),
                "Postgres schema migrated"
            );
        }
        Ok(applied)
    }

    /// Drops the configured schema with everything in it, then closes the pool. Meant for
    /// tests that ran on a throw-away schema; refused when no schema is configured, so it
    /// can never drop `public`.
    pub async fn drop_schema(&self) -> Result<()> {
        let schema = self.config.schema().ok_or_else(|| {
            Error::new(
                ErrorKind::Unsupported,
                "drop_schema needs a configured schema (?schema=NAME)",
            )
        })?;
        let ddl = format!("DROP SCHEMA IF EXISTS {} CASCADE", quote_ident(schema));
        sqlx::raw_sql(sqlx::AssertSqlSafe(ddl))
            .execute(&self.pool)
            .await
            .db()?;
        self.pool.close().await;
        Ok(())
    }

    /// The connection pool, for components that share it (e.g. LISTEN/NOTIFY events).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Starts an event sink shared with every process on this database and schema (see
    /// [`PgEventSink`]).
    pub async fn event_sink(&self) -> Result<std::sync::Arc<PgEventSink>> {
        let channel = match self.config.schema() {
            Some(schema) => format!("mino_events_{schema}"),
            None => "mino_events".to_owned(),
        };
        let channel: String = channel.chars().take(63).collect();
        PgEventSink::start(self.pool.clone(), &channel).await
    }

    /// The settings this store was opened with.
    pub fn config(&self) -> &PostgresConfig {
        &self.config
    }

    /// Closes the pool, waiting for connections in use to come back.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
