//! Case-insensitive substring search on job site URLs, and the task that keeps its trigram
//! index filled.
//!
//! The trigram index (`jobs_search`, FTS5) finds the rows holding every trigram of the
//! searched text; `LIKE` then checks each candidate, so results are exactly those of a plain
//! `LIKE '%text%'`. Jobs are indexed after their batch is stored, by a background task, in
//! chunks: storing a batch stays as fast as a plain insert, and jobs above the watermark
//! (`jobs_search_state.indexed_upto`) are scanned with LIKE until the task reaches them.

use std::sync::{Arc, Weak};
use std::time::Duration;

use rusqlite::types::Value;
use rusqlite::Connection;
use tokio::sync::Notify;
use tracing::{debug, warn};

use super::conn::Connections;
use super::error::SqlResultExt;
use mino_core::Result;

/// Trigram queries need at least this many characters; shorter searches scan with LIKE.
const MIN_INDEXED_CHARS: usize = 3;
/// Enough trigrams to narrow a search to few rows; LIKE decides the rest.
const MAX_TRIGRAMS: usize = 12;
/// Above this many candidates, a search scans instead of starting from the index.
const MAX_DRIVING_ROWS: i64 = 5_000;
/// Jobs indexed per write transaction: long enough to be efficient, short enough that other
/// writers wait at most a few tens of milliseconds.
const CHUNK_ROWS: i64 = 5_000;
/// Pause after a failed chunk before trying again.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// The SQL condition (on `jobs AS j`) and parameters of a search for `text`, or `None`
/// when the text is empty.
///
/// When the index narrows the search to a few thousand candidates, the condition drives
/// the query from them; otherwise (short text, a text most URLs contain, or many jobs not
/// indexed yet) a LIKE scan is cheaper, and it stops as soon as a page is full.
pub(crate) fn condition(conn: &Connection, text: &str) -> Result<Option<(String, Vec<Value>)>> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let like = Value::Text(like_pattern(text));
    let scan = (
        "j.site_url LIKE ? ESCAPE '\\'".to_owned(),
        vec![like.clone()],
    );
    let Some(query) = trigram_query(text) else {
        return Ok(Some(scan));
    };
    let (hits, unindexed): (i64, i64) = conn
        .prepare_cached(
            "SELECT (SELECT count(*) FROM \
                       (SELECT rowid FROM jobs_search WHERE jobs_search MATCH ?1 LIMIT ?2)), \
                    coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'jobs'), 0) \
                      - (SELECT indexed_upto FROM jobs_search_state)",
        )
        .and_then(|mut stmt| {
            stmt.query_row((&query, MAX_DRIVING_ROWS), |r| Ok((r.get(0)?, r.get(1)?)))
        })
        .db("estimate a search")?;
    if hits + unindexed >= MAX_DRIVING_ROWS {
        return Ok(Some(scan));
    }
    Ok(Some((
        "j.seq IN (SELECT rowid FROM jobs_search WHERE jobs_search MATCH ? \
                   UNION ALL SELECT seq FROM jobs \
                   WHERE seq > (SELECT indexed_upto FROM jobs_search_state)) \
         AND j.site_url LIKE ? ESCAPE '\\'"
            .to_owned(),
        vec![Value::Text(query), like],
    )))
}

/// `%text%` with LIKE's wildcards and the escape character escaped.
fn like_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for ch in text.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(ch);
    }
    pattern.push('%');
    pattern
}

/// An FTS5 query requiring the distinct trigrams of `text` (each quoted, so no character
/// has a special meaning), or `None` when `text` is too short to have one.
fn trigram_query(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() < MIN_INDEXED_CHARS {
        return None;
    }
    let mut trigrams: Vec<String> = Vec::new();
    for window in chars.windows(MIN_INDEXED_CHARS) {
        let trigram: String = window.iter().collect();
        // FTS5 folds case itself; this only avoids asking for the same trigram twice.
        if !trigrams
            .iter()
            .any(|t| t.to_lowercase() == trigram.to_lowercase())
        {
            trigrams.push(trigram);
        }
        if trigrams.len() == MAX_TRIGRAMS {
            break;
        }
    }
    let quoted: Vec<String> = trigrams
        .iter()
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect();
    Some(quoted.join(" AND "))
}

/// Indexes the next chunk of jobs above the watermark; returns whether more remain.
pub(crate) fn index_chunk(conn: &Connection) -> Result<bool> {
    let upto: i64 = conn
        .query_row("SELECT indexed_upto FROM jobs_search_state", [], |r| {
            r.get(0)
        })
        .db("read the search watermark")?;
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
    conn.prepare_cached(
        "INSERT INTO jobs_search (rowid, site_url) \
         SELECT seq, site_url FROM jobs WHERE seq > ?1 AND seq <= ?2",
    )
    .and_then(|mut stmt| stmt.execute((upto, end)))
    .db("index job site URLs")?;
    conn.prepare_cached("UPDATE jobs_search_state SET indexed_upto = ?1")
        .and_then(|mut stmt| stmt.execute([end]))
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

    /// Says that jobs were added.
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    /// Indexes everything now, in the caller's task.
    pub(crate) async fn catch_up(&self, conns: &Arc<Connections>) -> Result<()> {
        while conns.write(|tx| index_chunk(tx)).await? {}
        Ok(())
    }
}

/// Indexes chunk after chunk; returns false once the store is gone.
async fn run_until_done(weak: &Weak<Connections>) -> bool {
    loop {
        let Some(conns) = weak.upgrade() else {
            return false;
        };
        match conns.write(|tx| index_chunk(tx)).await {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("a%b_c\\d"), "%a\\%b\\_c\\\\d%");
    }

    #[test]
    fn trigram_queries_quote_and_dedupe() {
        assert_eq!(trigram_query("ab"), None);
        assert_eq!(trigram_query("abc").as_deref(), Some("\"abc\""));
        assert_eq!(
            trigram_query("a\"bc").as_deref(),
            Some("\"a\"\"b\" AND \"\"\"bc\"")
        );
        assert_eq!(
            trigram_query("abcABC").as_deref(),
            Some("\"abc\" AND \"bcA\" AND \"cAB\"")
        );
        let long = "x".repeat(10) + &"abcdefghijklmnopqrstuvwxyz".repeat(2);
        assert_eq!(
            trigram_query(&long).map(|q| q.matches(" AND ").count()),
            Some(MAX_TRIGRAMS - 1)
        );
    }
}
