//! The connections of one store: a single writer behind a mutex and a small pool of readers.
//!
//! SQLite lets one connection write at a time, so writes queue for the writer thread (which
//! commits them in groups, see [`super::writer`]) instead of spinning on `SQLITE_BUSY`. In WAL mode readers never block the writer nor each other, so
//! reads run on their own connections in parallel. All of it is blocking work, done on
//! Tokio's blocking threads.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use tokio::sync::Semaphore;
use tracing::{debug, error};

use super::config::{SqliteConfig, SqliteLocation};
use super::error::{join_error, SqlResultExt};
use super::writer::WriteQueue;
use mino_core::{Error, ErrorKind, Result};

/// Prepared statements each connection keeps; create_batch and the engine reuse theirs.
const STATEMENT_CACHE: usize = 64;
/// Page size of new databases. Larger pages than SQLite's 4 KiB make bulk inserts cheaper
/// (fewer page splits, shallower trees) and cost little for the small reads MINO does.
const PAGE_SIZE: i64 = 16 * 1024;
/// SQLite's default: checkpoint once the WAL holds this many pages.
const AUTOCHECKPOINT_PAGES: i64 = 1000;
/// Page cache of the writer, in KiB (a negative `cache_size` means KiB): enough to keep the
/// pages a bulk insert keeps coming back to (the right-hand edges of the table and indexes).
const WRITER_CACHE_KIB: i64 = 64 * 1024;
/// Page cache of each reader, in KiB.
const READER_CACHE_KIB: i64 = 16 * 1024;

/// The writer and the readers of one database.
#[derive(Debug)]
pub(crate) struct Connections {
    writer: Arc<Mutex<Connection>>,
    writes: WriteQueue,
    readers: Option<Readers>,
}

#[derive(Debug)]
struct Readers {
    idle: Mutex<Vec<Connection>>,
    // One permit per idle connection: waiting for a permit is waiting for a connection,
    // asynchronously, before a blocking thread is taken.
    permits: Semaphore,
}

impl Connections {
    /// Opens the writer (creating the file when missing) and lets `prepare` set up the schema
    /// before the readers open, so they see it from the start.
    pub(crate) fn open(
        config: &SqliteConfig,
        prepare: impl FnOnce(&mut Connection) -> Result<()>,
    ) -> Result<Self> {
        let mut writer = match &config.location {
            SqliteLocation::Memory => {
                Connection::open_in_memory().db("open an in-memory database")?
            }
            SqliteLocation::File(path) => {
                check_directory(path)?;
                Connection::open(path).db(&format!("open {}", path.display()))?
            }
        };
        // Only takes effect while the database is still empty.
        writer
            .pragma_update(None, "page_size", PAGE_SIZE)
            .db("set page_size")?;
        configure(&writer, config, WRITER_CACHE_KIB)?;
        if config.path().is_some() {
            let mode: String = writer
                .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
                .db("switch to WAL")?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(Error::new(
                    ErrorKind::Storage,
                    format!("the database refused WAL mode (it stays in {mode} mode)"),
                )
                .with_transient(false));
            }
        }
        prepare(&mut writer)?;
        let readers = match config.path() {
            Some(path) if config.readers > 0 => Some(Readers::open(path, config)?),
            _ => None,
        };
        debug!(readers = config.readers, "opened SQLite connections");
        let writer = Arc::new(Mutex::new(writer));
        Ok(Connections {
            writes: WriteQueue::spawn(Arc::clone(&writer))?,
            writer,
            readers,
        })
    }

    /// Runs `f` in a write transaction on the writer, committing when it returns `Ok` and
    /// rolling back otherwise. The transaction may be shared with other writes queued at the
    /// same time, each in its own savepoint; `f` answers only for its own changes.
    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
    {
        self.writes.write(f).await
    }

    /// Like [`Connections::write`], for one large insert whose rows are checked by the
    /// caller (it verifies their parent first): foreign keys are not checked row by row, and
    /// the WAL is not checkpointed at commit. The next ordinary write checkpoints instead,
    /// which keeps that work out of the bulk insert's time.
    pub(crate) async fn write_bulk<T, F>(self: &Arc<Self>, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
    {
        let this = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let mut conn = this.lock_writer();
            // Both are connection settings; foreign_keys cannot change inside a transaction.
            let result = set_bulk_mode(&conn, true).and_then(|()| {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .db("begin a bulk write transaction")?;
                let value = f(&tx)?;
                tx.commit().db("commit")?;
                Ok(value)
            });
            if let Err(err) = set_bulk_mode(&conn, false) {
                error!(error = ?err, "could not restore foreign key checks after a bulk insert");
                return Err(err);
            }
            result
        })
        .await
        .map_err(join_error)?
    }

    /// Runs `f` in a read transaction (one consistent snapshot) on a reader, or on the writer
    /// when there are no readers.
    pub(crate) async fn read<T, F>(self: &Arc<Self>, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
    {
        let Some(readers) = &self.readers else {
            let this = Arc::clone(self);
            return tokio::task::spawn_blocking(move || snapshot(&mut this.lock_writer(), f))
                .await
                .map_err(join_error)?;
        };
        let permit = readers
            .permits
            .acquire()
            .await
            .map_err(|_| Error::internal("the SQLite reader pool is closed"))?;
        let this = Arc::clone(self);
        let result = tokio::task::spawn_blocking(move || {
            let Some(readers) = &this.readers else {
                return Err(Error::internal("the SQLite reader pool disappeared"));
            };
            let mut conn = readers.take()?;
            let result = snapshot(&mut conn, f);
            readers.give_back(conn);
            result
        })
        .await
        .map_err(join_error)?;
        drop(permit);
        result
    }

    /// The writer connection, for work outside the store's transactions (tests, maintenance).
    pub(crate) fn lock_writer(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock dropped its transaction, which rolled back: the
        // connection is still sound.
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Readers {
    fn open(path: &Path, config: &SqliteConfig) -> Result<Self> {
        let mut idle = Vec::with_capacity(config.readers);
        for _ in 0..config.readers {
            let conn = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .db(&format!("open a reader on {}", path.display()))?;
            configure(&conn, config, READER_CACHE_KIB)?;
            // Read-write flags avoid the corner cases of read-only WAL connections; this makes
            // any write through a reader fail instead.
            conn.pragma_update(None, "query_only", true)
                .db("make a reader read-only")?;
            idle.push(conn);
        }
        Ok(Readers {
            idle: Mutex::new(idle),
            permits: Semaphore::new(config.readers),
        })
    }

    fn take(&self) -> Result<Connection> {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
            .ok_or_else(|| Error::internal("no idle SQLite reader despite a permit"))
    }

    fn give_back(&self, conn: Connection) {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(conn);
    }
}

fn set_bulk_mode(conn: &Connection, bulk: bool) -> Result<()> {
    conn.pragma_update(None, "foreign_keys", !bulk)
        .db("switch foreign key checks")?;
    let pages = if bulk { 0 } else { AUTOCHECKPOINT_PAGES };
    conn.pragma_update(None, "wal_autocheckpoint", pages)
        .db("switch WAL checkpoints")
}

fn snapshot<T>(conn: &mut Connection, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Deferred)
        .db("begin a read transaction")?;
    let value = f(&tx)?;
    // Ending a read transaction cannot lose anything; commit just releases the snapshot.
    tx.commit().db("end a read transaction")?;
    Ok(value)
}

fn configure(conn: &Connection, config: &SqliteConfig, cache_kib: i64) -> Result<()> {
    conn.busy_timeout(config.busy_timeout)
        .db("set busy_timeout")?;
    conn.pragma_update(None, "foreign_keys", true)
        .db("enable foreign keys")?;
    // NORMAL is durable in WAL mode except for the last transactions before a power loss.
    conn.pragma_update(None, "synchronous", "NORMAL")
        .db("set synchronous")?;
    conn.pragma_update(None, "cache_size", -cache_kib)
        .db("set cache_size")?;
    conn.pragma_update(None, "temp_store", "MEMORY")
        .db("set temp_store")?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(())
}

/// SQLite creates a missing file but not its directory; say so plainly instead of "unable to
/// open database file".
fn check_directory(path: &Path) -> Result<()> {
    let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) else {
        return Ok(());
    };
    if dir.is_dir() {
        return Ok(());
    }
    Err(Error::validation(format!(
        "cannot open SQLite database {}: directory {} does not exist",
        path.display(),
        dir.display()
    ))
    .with_context("field", "database")
    .with_context("path", path.display().to_string()))
}
