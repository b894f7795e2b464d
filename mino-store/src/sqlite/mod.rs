//! The SQLite store: embedded, zero setup, the default.
//!
//! One file (or memory) holds everything. Writes go through one connection behind a mutex,
//! reads through a small pool of connections that see consistent snapshots (WAL mode), and
//! all blocking work runs on Tokio's blocking threads. The schema is migrated on open.
//!
//! Layout: [`config`](SqliteConfig) parses URLs, `conn` owns the connections, `migrations`
//! holds the versioned schema, `error` maps rusqlite errors, `row` converts column values,
//! and one file per entity implements its part of [`Store`](mino_core::store::Store)
//! (`store.rs` wires them to the trait).

mod artifacts;
mod attempts;
mod batches;
mod config;
mod conn;
mod error;
mod executions;
mod filter;
mod ids;
mod job_bulk;
mod job_insert;
mod job_query;
mod jobs;
mod migrations;
mod page;
mod projects;
mod queue;
mod row;
mod search;
mod search_index;
#[cfg(test)]
mod search_tests;
mod sessions;
mod snapshots;
mod store;

use std::sync::Arc;

use tracing::info;

pub use config::{
    SqliteConfig, SqliteLocation, DEFAULT_BUSY_TIMEOUT, DEFAULT_READERS, MAX_READERS,
};
use conn::Connections;
use error::join_error;
use mino_core::Result;
use search_index::SearchIndexer;

/// A [`Store`](mino_core::store::Store) on SQLite.
///
/// Cheap to clone; clones share the connections.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    conns: Arc<Connections>,
    search: Arc<SearchIndexer>,
}

impl SqliteStore {
    /// Opens (or creates) the database and applies pending migrations.
    ///
    /// Fails with a validation error when the file's directory does not exist, and with a
    /// storage error when the database was migrated by a newer MINO.
    pub async fn open(config: SqliteConfig) -> Result<Self> {
        let conns = tokio::task::spawn_blocking(move || {
            Connections::open(&config, |conn| migrations::migrate(conn).map(|_| ()))
        })
        .await
        .map_err(join_error)??;
        let conns = Arc::new(conns);
        let search = Arc::new(SearchIndexer::spawn(&conns));
        info!(
            schema_version = migrations::latest_version(),
            "SQLite store ready"
        );
        Ok(SqliteStore { conns, search })
    }

    /// Applies pending migrations; returns the versions applied (none when the schema is
    /// current). [`SqliteStore::open`] already did this; it matters when another process may
    /// have replaced the file.
    pub async fn migrate(&self) -> Result<Vec<i64>> {
        let conns = Arc::clone(&self.conns);
        tokio::task::spawn_blocking(move || migrations::migrate(&mut conns.lock_writer()))
            .await
            .map_err(join_error)?
    }

    /// The newest schema version this build knows (the version of a freshly opened database).
    pub fn schema_version() -> i64 {
        migrations::latest_version()
    }

    /// Waits until every job stored so far is in the site-url search index.
    ///
    /// Searches are correct at any time (jobs not indexed yet are scanned); this only makes
    /// them fast, e.g. before measuring or after a bulk import.
    pub async fn wait_for_search_index(&self) -> Result<()> {
        self.search.catch_up(&self.conns).await
    }
}
