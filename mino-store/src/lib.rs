#![doc = include_str!("../README.md")]

#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "sqlite")]
pub mod sqlite;

use std::sync::Arc;

use mino_core::events::{BroadcastSink, DynEventSink};
use mino_core::store::DynStore;
use mino_core::{Error, Result};

/// Opens a store and the event sink that suits it: Postgres shares events between processes
/// through `LISTEN`/`NOTIFY`; SQLite (one process) uses an in-process broadcast.
pub async fn open_with_events(url: &str) -> Result<(DynStore, DynEventSink)> {
    #[cfg(feature = "postgres")]
    {
        let trimmed = url.trim();
        if trimmed.starts_with("postgres://") || trimmed.starts_with("postgresql://") {
            let config = postgres::PostgresConfig::from_url(trimmed)?;
            let store = postgres::PostgresStore::connect(config).await?;
            let events: DynEventSink = store.event_sink().await?;
            return Ok((Arc::new(store), events));
        }
    }
    let store = open(url).await?;
    Ok((store, Arc::new(BroadcastSink::default())))
}

/// Opens a store from a URL and applies pending migrations.
///
/// - `sqlite:path/to/file.db`, `sqlite://path`, `sqlite:///abs/path` or `sqlite::memory:`
/// - `postgres://user@host:port/db` (or `postgresql://…`)
pub async fn open(url: &str) -> Result<DynStore> {
    let url = url.trim();
    if url.starts_with("sqlite:") {
        #[cfg(feature = "sqlite")]
        {
            let config = sqlite::SqliteConfig::from_url(url)?;
            return Ok(Arc::new(sqlite::SqliteStore::open(config).await?));
        }
        #[cfg(not(feature = "sqlite"))]
        return Err(Error::new(
            mino_core::ErrorKind::Unsupported,
            "this build of MINO has no SQLite support (feature `sqlite`)",
        ));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        #[cfg(feature = "postgres")]
        {
            let config = postgres::PostgresConfig::from_url(url)?;
            return Ok(Arc::new(postgres::PostgresStore::connect(config).await?));
        }
        #[cfg(not(feature = "postgres"))]
        return Err(Error::new(
            mino_core::ErrorKind::Unsupported,
            "this build of MINO has no Postgres support (feature `postgres`)",
        ));
    }
    Err(Error::validation(format!(
        "unsupported database URL {url:?}: expected sqlite:PATH or postgres://…"
    ))
    .with_context("field", "database"))
}
