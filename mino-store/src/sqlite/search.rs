//! Case-insensitive substring search on job site URLs.
//!
//! The trigram index (`jobs_search`, FTS5) finds the rows holding every trigram of the
//! searched text; `LIKE` then checks each candidate, so results are exactly those of a plain
//! `LIKE '%text%'`. Jobs above the index's watermark (not indexed yet, see `search_index`)
//! are checked with LIKE alone.

use rusqlite::types::Value;
use rusqlite::Connection;

use super::error::SqlResultExt;
use mino_core::Result;

/// Trigram queries need at least this many characters; shorter searches scan with LIKE.
const MIN_INDEXED_CHARS: usize = 3;
/// Enough trigrams to narrow a search to few rows; LIKE decides the rest.
const MAX_TRIGRAMS: usize = 12;
/// Above this many candidates, a search scans instead of starting from the index.
const MAX_DRIVING_ROWS: i64 = 5_000;

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
