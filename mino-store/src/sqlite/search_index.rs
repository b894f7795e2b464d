//! Filling the site-url search index in the background.
//!
//! Jobs are indexed after their batch is stored, in chunks, each in its own short write
//! transaction: storing a batch stays as fast as a plain insert, and other writers wait at
//! most one chunk. `jobs_search_state.indexed_upto` marks how far the index reaches; the
//! search condition checks jobs above it with LIKE alone, so results are right at any time.
//! Entries of deleted jobs stay behind (see the migration); once they outnumber the live
//! ones, the index is emptied and filled again from the start.

use std::sync::{Arc, Weak};
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::Notify;
use tracing::{debug, info, warn};

use super::conn::Connections;
use super::error::SqlResultExt;
use mino_core::Result;

/// Jobs indexed per write transaction.
const CHUNK_ROWS: i64 = 5_000;
/// Leftover entries tolerated before a rebuild is considered at all.
pub(crate) const REBUILD_MIN_STALE: i64 = 50_000;
/// Pause after a failed chunk before trying again.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Does the next step of the index's upkeep: a rebuild when leftover entries outnumber live
/// ones (and are at least `min_stale`), else indexing the next chunk above the watermark.
/// Returns whether more work remains.
pub(crate) fn index_chunk(conn: &Connection, min_stale: i64) -> Result<bool> {
    let (upto, indexed, stale): (i64, i64, i64) = conn
        .query_row(
            "SELECT indexed_upto, indexed_rows, stale_rows FROM jobs_search_state",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .db("read the search index state")?;
    if stale >= min_stale && stale * 2 > indexed {
        conn.execute_batch(
            "INSERT INTO jobs_search (jobs_search) VALUES ('delete-all');
             UPDATE jobs_search_state SET indexed_upto = 0, indexed_rows = 0, stale_rows = 0;",
        )
        .db("empty the search index")?;
        info!(stale, "rebuilding the site-url search index");
        return Ok(true);
    }
    // AUTOINCREMENT keeps the largest seq ever given in sqlite_sequence; every job at or
    // below it exists already or was deleted, so indexing up to it leaves no gap.
    let last: i64 = conn
        .query_row(
            "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'jobs'), 0)",
            [],
            |r| r.get(0),
        )
        .db("read the last job seq")?;
    if last <= upto {
        return Ok(false);
    }
    let chunk_end: Option<i64> = conn
        .prepare_cached("SELECT seq FROM jobs WHERE seq > ?1 ORDER BY seq LIMIT 1 OFFSET ?2")
        .and_then(|mut stmt| {
            let mut rows = stmt.query((upto, CHUNK_ROWS - 1))?;
            rows.next()?.map(|r| r.get(0)).transpose()
        })
        .db("find the end of a search chunk")?;
    let end = chunk_end.unwrap_or(last).min(last);
    let added = conn
        .prepare_cached(
            "INSERT INTO jobs_search (rowid, site_url) \
             SELECT seq, site_url FROM jobs WHERE seq > ?1 AND seq <= ?2",
        )
        .and_then(|mut stmt| stmt.execute((upto, end)))
        .db("index job site URLs")?;
    conn.prepare_cached(
        "UPDATE jobs_search_state SET indexed_upto = ?1, indexed_rows = indexed_rows + ?2",
    )
    .and_then(|mut stmt| stmt.execute((end, added as i64)))
    .db("move the search watermark")?;
    Ok(end < last)
}

/// Runs [`index_chunk`] in the background whenever jobs were added.
#[derive(Debug)]
pub(crate) struct SearchIndexer {
    wake: Arc<Notify>,
}

impl SearchIndexer {
    /// Starts the task; it catches up at once, then waits to be woken. It ends with the
    /// store (it holds the connections only while it works).
    pub(crate) fn spawn(conns: &Arc<Connections>) -> Self {
        let wake = Arc::new(Notify::new());
        let weak = Arc::downgrade(conns);
        let signal = Arc::clone(&wake);
        tokio::spawn(async move {
            loop {
                if !run_until_done(&weak).await {
                    return;
                }
                signal.notified().await;
            }
        });
        wake.notify_one();
        SearchIndexer { wake }
    }

    /// Says that jobs were added or deleted.
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    /// Does all pending upkeep now, in the caller's task.
    pub(crate) async fn catch_up(&self, conns: &Arc<Connections>) -> Result<()> {
        while conns.write(|tx| index_chunk(tx, REBUILD_MIN_STALE)).await? {}
        Ok(())
    }
}

/// Works chunk after chunk; returns false once the store is gone.
async fn run_until_done(weak: &Weak<Connections>) -> bool {
    loop {
        let Some(conns) = weak.upgrade() else {
            return false;
        };
        match conns.write(|tx| index_chunk(tx, REBUILD_MIN_STALE)).await {
            Ok(true) => {}
            Ok(false) => return true,
            Err(err) => {
                warn!(error = ?err, "indexing job site URLs failed; retrying");
                drop(conns);
                tokio::time::sleep(RETRY_AFTER).await;
                continue;
            }
        }
        drop(conns);
        // Let queued writers take the lock between chunks.
        tokio::task::yield_now().await;
        debug!("indexed a chunk of job site URLs");
    }
}
