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
mod ground_truth;
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
mod selection;
mod sessions;
mod snapshots;
mod store;
mod usage;
mod writer;

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

#[cfg(test)]
mod tests {
    use super::*;
    use mino_core::model::NewProject;
    use mino_core::store::{PageRequest, Store};
    use mino_core::ErrorKind;

    #[tokio::test]
    async fn reopening_keeps_data_and_migrates_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite:{}?readers=2", dir.path().join("m.db").display());
        let store = SqliteStore::open(SqliteConfig::from_url(&url).expect("url"))
            .await
            .expect("open");
        let project = store
            .create_project(NewProject::named("kept"))
            .await
            .expect("project");
        drop(store);
        let store = SqliteStore::open(SqliteConfig::from_url(&url).expect("url"))
            .await
            .expect("reopen");
        assert_eq!(store.migrate().await.expect("migrate"), Vec::<i64>::new());
        assert_eq!(store.get_project(project.id).await.expect("get"), project);
    }

    #[tokio::test]
    async fn a_missing_directory_is_a_clear_validation_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("no-such-dir").join("m.db");
        let err = SqliteStore::open(SqliteConfig::file(&path))
            .await
            .expect_err("refused");
        assert_eq!(err.kind(), ErrorKind::Validation);
        assert!(
            err.message().contains("does not exist"),
            "{}",
            err.message()
        );
        assert!(!path.exists());
    }

    #[tokio::test]
    async fn a_database_from_a_newer_mino_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("m.db");
        drop(
            SqliteStore::open(SqliteConfig::file(&path))
                .await
                .expect("open"),
        );
        let conn = rusqlite::Connection::open(&path).expect("raw open");
        conn.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, 'future', 0)",
            [SqliteStore::schema_version() + 1],
        )
        .expect("future version");
        drop(conn);
        let err = SqliteStore::open(SqliteConfig::file(&path))
            .await
            .expect_err("refused");
        assert_eq!(err.kind(), ErrorKind::Storage);
        assert!(err.message().contains("newer"), "{}", err.message());
    }

    #[tokio::test]
    async fn memory_databases_work_with_one_connection() {
        let store = SqliteStore::open(SqliteConfig::from_url("sqlite::memory:").expect("url"))
            .await
            .expect("open");
        let project = store
            .create_project(NewProject::named("m"))
            .await
            .expect("project");
        let page = store
            .list_projects(PageRequest::first(10).expect("page"))
            .await
            .expect("list");
        assert_eq!(page.data, vec![project]);
        let other = SqliteStore::open(SqliteConfig::memory())
            .await
            .expect("open");
        let page = other
            .list_projects(PageRequest::first(10).expect("page"))
            .await
            .expect("list");
        assert!(page.data.is_empty(), "each memory store is private");
    }
}
