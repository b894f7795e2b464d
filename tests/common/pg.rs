//! A throw-away Postgres schema per test.
//!
//! The server comes from `MINO_TEST_DATABASE_URL` (default the local `test` database). Each
//! test gets `?schema=mino_test_<uuid>`, created by the first store that opens it and dropped
//! by [`PgSchema::drop`].
//!
//! Shared by the workspace's `tests/common` and `mino-http/tests/common` (included there with
//! `#[path]`); the including module provides `require` and `postgres_url`.

use mino_store::postgres::{PostgresConfig, PostgresStore};

/// A fresh schema on the test server.
pub struct PgSchema {
    /// The database URL naming the schema, for `--database` and `mino::connect`.
    pub url: String,
    store: PostgresStore,
}

impl PgSchema {
    /// Creates the schema (with MINO's tables); `None` after saying why when the server is
    /// not reachable outside CI.
    pub async fn create() -> Option<Self> {
        let base = super::postgres_url();
        let schema = format!("mino_test_{}", uuid::Uuid::now_v7().simple());
        let separator = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{separator}schema={schema}");
        let config = PostgresConfig::from_url(&url).expect("the test database URL is valid");
        let connected = PostgresStore::connect(config).await;
        let available = match &connected {
            Ok(_) => Ok(()),
            Err(err) => Err(format!("cannot open {base}: {err}")),
        };
        if !super::require("Postgres", available) {
            return None;
        }
        Some(PgSchema {
            url,
            store: connected.ok()?,
        })
    }

    /// Drops the schema and everything in it.
    pub async fn drop(self) {
        if let Err(err) = self.store.drop_schema().await {
            eprintln!("could not drop the test schema of {}: {err}", self.url);
        }
    }
}
