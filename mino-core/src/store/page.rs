//! Cursor pagination shared by every list.
//!
//! Lists are ordered by a stable key (the entity's time-ordered id, or a sequence number such as
//! an instruction version) and page with "key greater than the cursor", never with OFFSET, so
//! a page costs the same at any depth and rows inserted between two page requests never cause
//! a duplicate or a gap among the rows that existed before.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Error, Result};

/// The smallest page size.
pub const MIN_PAGE_LIMIT: u32 = 1;
/// The largest page size.
pub const MAX_PAGE_LIMIT: u32 = 500;
/// The page size when none is given.
pub const DEFAULT_PAGE_LIMIT: u32 = 50;

/// The position after which the next page starts. Opaque to clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cursor {
    /// After the row with this id.
    Id(Uuid),
    /// After the row with this sequence number.
    Seq(i64),
}

impl Cursor {
    /// The opaque text form.
    pub fn encode(&self) -> String {
        let mut bytes = Vec::with_capacity(17);
        match self {
            Cursor::Id(id) => {
                bytes.push(b'i');
                bytes.extend_from_slice(id.as_bytes());
            }
            Cursor::Seq(n) => {
                bytes.push(b's');
                bytes.extend_from_slice(&n.to_be_bytes());
            }
        }
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Parses the opaque text form.
    pub fn decode(text: &str) -> Result<Self> {
        let invalid = || Error::validation("cursor is not valid").with_context("field", "cursor");
        let bytes = URL_SAFE_NO_PAD.decode(text.trim()).map_err(|_| invalid())?;
        match bytes.split_first() {
            Some((b'i', rest)) => Uuid::from_slice(rest)
                .map(Cursor::Id)
                .map_err(|_| invalid()),
            Some((b's', rest)) => {
                let arr: [u8; 8] = rest.try_into().map_err(|_| invalid())?;
                Ok(Cursor::Seq(i64::from_be_bytes(arr)))
            }
            _ => Err(invalid()),
        }
    }

    /// The id of an id cursor; a validation error for any other kind.
    pub fn id(&self) -> Result<Uuid> {
        match self {
            Cursor::Id(id) => Ok(*id),
            Cursor::Seq(_) => Err(Error::validation("cursor does not belong to this list")
                .with_context("field", "cursor")),
        }
    }

    /// The number of a sequence cursor; a validation error for any other kind.
    pub fn seq(&self) -> Result<i64> {
        match self {
            Cursor::Seq(n) => Ok(*n),
            Cursor::Id(_) => Err(Error::validation("cursor does not belong to this list")
                .with_context("field", "cursor")),
        }
    }
}

/// Which page to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    limit: u32,
    /// Start after this position; `None` for the first page.
    pub cursor: Option<Cursor>,
}

impl PageRequest {
    /// The first page with `limit` rows; a validation error unless 1 ≤ limit ≤ 500.
    pub fn first(limit: u32) -> Result<Self> {
        Self::new(limit, None)
    }

    /// A page of `limit` rows after `cursor`.
    pub fn new(limit: u32, cursor: Option<Cursor>) -> Result<Self> {
        if !(MIN_PAGE_LIMIT..=MAX_PAGE_LIMIT).contains(&limit) {
            return Err(Error::validation(format!(
                "limit must be between {MIN_PAGE_LIMIT} and {MAX_PAGE_LIMIT}"
            ))
            .with_context("field", "limit"));
        }
        Ok(PageRequest { limit, cursor })
    }

    /// A page from the wire form: optional limit, optional opaque cursor.
    pub fn parse(limit: Option<u32>, cursor: Option<&str>) -> Result<Self> {
        let cursor = match cursor {
            Some(c) if !c.is_empty() => Some(Cursor::decode(c)?),
            _ => None,
        };
        Self::new(limit.unwrap_or(DEFAULT_PAGE_LIMIT), cursor)
    }

    /// The page size.
    pub fn limit(&self) -> u32 {
        self.limit
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest {
            limit: DEFAULT_PAGE_LIMIT,
            cursor: None,
        }
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The rows, in list order.
    pub data: Vec<T>,
    /// The cursor of the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` fetched rows: when the extra row is there, it is
    /// dropped and the cursor points after the last kept row.
    pub fn from_rows(mut rows: Vec<T>, limit: u32, key: impl Fn(&T) -> Cursor) -> Self {
        let limit = limit as usize;
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|r| key(r).encode())
        } else {
            None
        };
        Page {
            data: rows,
            next_cursor,
        }
    }

    /// Maps every row.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            data: self.data.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let id = Uuid::now_v7();
        for c in [Cursor::Id(id), Cursor::Seq(42), Cursor::Seq(-1)] {
            assert_eq!(Cursor::decode(&c.encode()).ok(), Some(c));
        }
        assert!(Cursor::decode("!!!").is_err());
        assert!(Cursor::decode("").is_err());
        assert!(Cursor::Seq(1).id().is_err());
    }

    #[test]
    fn limits_are_checked() {
        assert!(PageRequest::first(0).is_err());
        assert!(PageRequest::first(501).is_err());
        assert_eq!(
            PageRequest::parse(None, None).map(|p| p.limit()).ok(),
            Some(50)
        );
    }

    #[test]
    fn from_rows_drops_the_probe_row() {
        let page = Page::from_rows(vec![1i64, 2, 3], 2, |n| Cursor::Seq(*n));
        assert_eq!(page.data, vec![1, 2]);
        assert_eq!(page.next_cursor, Some(Cursor::Seq(2).encode()));
        let last = Page::from_rows(vec![1i64], 2, |n| Cursor::Seq(*n));
        assert_eq!(last.next_cursor, None);
    }
}
