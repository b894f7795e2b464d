//! Conversions between model values and column values shared by every entity module.

use std::fmt;
use std::marker::PhantomData;

use indexmap::IndexMap;
use mino_core::store::{Cursor, Page, PageRequest};
use mino_core::{Error, Result};
use serde::de::{DeserializeOwned, SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sqlx::{Postgres, QueryBuilder};

use super::error::corrupt;

/// A map stored as a JSON array of `[key, value]` pairs, keeping its order (jsonb objects
/// sort their keys).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pairs<V>(pub IndexMap<String, V>);

/// Borrowed form of [`Pairs`] for writing.
pub(crate) struct PairsRef<'a, V>(pub &'a IndexMap<String, V>);

impl<V: Serialize> Serialize for PairsRef<'_, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for pair in self.0 {
            seq.serialize_element(&pair)?;
        }
        seq.end()
    }
}

impl<V: Serialize> Serialize for Pairs<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        PairsRef(&self.0).serialize(serializer)
    }
}

impl<'de, V: DeserializeOwned> Deserialize<'de> for Pairs<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PairsVisitor<V>(PhantomData<V>);

        impl<'de, V: DeserializeOwned> Visitor<'de> for PairsVisitor<V> {
            type Value = Pairs<V>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of [key, value] pairs")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut map = IndexMap::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some((key, value)) = seq.next_element::<(String, V)>()? {
                    map.insert(key, value);
                }
                Ok(Pairs(map))
            }
        }

        deserializer.deserialize_seq(PairsVisitor(PhantomData))
    }
}

/// A stored non-negative integer as `u32`.
pub(crate) fn to_u32(value: i32, what: &str) -> Result<u32> {
    u32::try_from(value).map_err(|_| corrupt(what, value))
}

/// A stored non-negative integer as `u64`.
pub(crate) fn to_u64(value: i64, what: &str) -> Result<u64> {
    u64::try_from(value).map_err(|_| corrupt(what, value))
}

/// A model `u32` as a Postgres `integer`; a validation error when it does not fit.
pub(crate) fn to_i32(value: u32, field: &'static str) -> Result<i32> {
    i32::try_from(value).map_err(|_| {
        Error::validation(format!("{field} is too large")).with_context("field", field)
    })
}

/// A model `u64` as a Postgres `bigint`; a validation error when it does not fit.
pub(crate) fn to_i64(value: u64, field: &'static str) -> Result<i64> {
    i64::try_from(value).map_err(|_| {
        Error::validation(format!("{field} is too large")).with_context("field", field)
    })
}

/// Parses a stored enum name with the model's own parser.
pub(crate) fn parse_stored<T>(
    value: &str,
    what: &str,
    parse: impl FnOnce(&str) -> Result<T>,
) -> Result<T> {
    parse(value).map_err(|_| corrupt(what, value))
}

/// Appends the keyset condition and order of a page on `id`, fetching one probe row more
/// than the page holds (see [`Page::from_rows`]).
pub(crate) fn push_id_page(qb: &mut QueryBuilder<Postgres>, page: &PageRequest) -> Result<()> {
    if let Some(cursor) = page.cursor {
        qb.push(" AND id > ").push_bind(cursor.id()?);
    }
    qb.push(" ORDER BY id LIMIT ")
        .push_bind(i64::from(page.limit()) + 1);
    Ok(())
}

/// Builds a page of rows keyed by a UUID.
pub(crate) fn id_page<T>(
    rows: Vec<T>,
    page: &PageRequest,
    id: impl Fn(&T) -> uuid::Uuid,
) -> Page<T> {
    Page::from_rows(rows, page.limit(), |row| Cursor::Id(id(row)))
}

/// `text` as an ILIKE pattern matching it anywhere, with its wildcards taken literally.
pub(crate) fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_keep_key_order() {
        let mut map = IndexMap::new();
        map.insert("zeta".to_owned(), Some("1".to_owned()));
        map.insert("alpha".to_owned(), None);
        let json = serde_json::to_string(&PairsRef(&map)).expect("serialises");
        assert_eq!(json, r#"[["zeta","1"],["alpha",null]]"#);
        let back: Pairs<Option<String>> = serde_json::from_str(&json).expect("parses");
        assert_eq!(back.0.keys().collect::<Vec<_>>(), vec!["zeta", "alpha"]);
        assert_eq!(back.0, map);
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(contains_pattern("a%b_c\\d"), r"%a\%b\_c\\d%");
        assert_eq!(contains_pattern("Shop"), "%Shop%");
    }

    #[test]
    fn integer_conversions_check_ranges() {
        assert!(to_u32(-1, "attempts").is_err());
        assert_eq!(to_u32(7, "attempts").ok(), Some(7));
        assert!(to_i32(u32::MAX, "version").is_err());
        assert!(to_i64(u64::MAX, "row_index").is_err());
        assert_eq!(to_u64(5, "rows").ok(), Some(5));
    }
}
