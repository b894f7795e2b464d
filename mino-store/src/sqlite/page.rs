//! Keyset paging: `key > cursor ORDER BY key LIMIT limit + 1`, then `Page::from_rows`.

use mino_core::store::{Cursor, Page, PageRequest};
use mino_core::Result;
use uuid::Uuid;

/// The id to start after, as a BLOB. The first page starts after the empty BLOB, which sorts
/// before every id, so one statement (and one index range) serves every page.
pub(crate) fn after_id(page: &PageRequest) -> Result<Vec<u8>> {
    match &page.cursor {
        None => Ok(Vec::new()),
        Some(cursor) => Ok(cursor.id()?.as_bytes().to_vec()),
    }
}

/// The sequence number to start after (sequences start at 1).
pub(crate) fn after_seq(page: &PageRequest) -> Result<i64> {
    match &page.cursor {
        None => Ok(0),
        Some(cursor) => cursor.seq(),
    }
}

/// Rows to fetch: one more than the page holds, to learn whether another page follows.
pub(crate) fn fetch(page: &PageRequest) -> i64 {
    i64::from(page.limit()) + 1
}

/// A page of rows ordered by id.
pub(crate) fn by_id<T>(rows: Vec<T>, page: &PageRequest, id: impl Fn(&T) -> Uuid) -> Page<T> {
    Page::from_rows(rows, page.limit(), |row| Cursor::Id(id(row)))
}

/// A page of rows ordered by a sequence number.
pub(crate) fn by_seq<T>(rows: Vec<T>, page: &PageRequest, seq: impl Fn(&T) -> i64) -> Page<T> {
    Page::from_rows(rows, page.limit(), |row| Cursor::Seq(seq(row)))
}
