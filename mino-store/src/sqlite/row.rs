//! Conversions between SQLite values and domain values: UUID BLOBs, microsecond timestamps,
//! JSON text and unsigned numbers.
//!
//! Readers return `rusqlite::Result` so they compose inside row-mapping closures; a value
//! MINO could not have written becomes a conversion failure, reported as an internal error.

use chrono::{DateTime, Utc};
use rusqlite::types::Type;
use rusqlite::Row;
use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;

use mino_core::{Error, Result};

/// The current time, cut to the microseconds the database keeps, so what a write returns
/// equals what a later read returns.
pub(crate) fn now() -> DateTime<Utc> {
    let micros = Utc::now().timestamp_micros();
    DateTime::from_timestamp_micros(micros).unwrap_or_default()
}

/// A timestamp as stored.
pub(crate) fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

/// A value as JSON text.
pub(crate) fn json<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    Ok(serde_json::to_string(value)?)
}

/// An optional value as JSON text.
pub(crate) fn opt_json<T: Serialize>(value: Option<&T>) -> Result<Option<String>> {
    value.map(json).transpose()
}

/// An unsigned number as SQLite's signed integer.
pub(crate) fn int(value: u64, field: &'static str) -> Result<i64> {
    i64::try_from(value).map_err(|_| {
        Error::validation(format!("{field} is too large to store")).with_context("field", field)
    })
}

fn failure(idx: usize, ty: Type, why: impl Into<String>) -> rusqlite::Error {
    let why: Box<dyn std::error::Error + Send + Sync> = why.into().into();
    rusqlite::Error::FromSqlConversionFailure(idx, ty, why)
}

/// A 16-byte UUID column.
pub(crate) fn uuid_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<Uuid> {
    let bytes: [u8; 16] = row.get(idx)?;
    Ok(Uuid::from_bytes(bytes))
}

/// A nullable 16-byte UUID column.
pub(crate) fn opt_uuid_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<Uuid>> {
    let bytes: Option<[u8; 16]> = row.get(idx)?;
    Ok(bytes.map(Uuid::from_bytes))
}

/// A microsecond timestamp column.
pub(crate) fn time_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<DateTime<Utc>> {
    let us: i64 = row.get(idx)?;
    DateTime::from_timestamp_micros(us).ok_or_else(|| {
        failure(
            idx,
            Type::Integer,
            format!("timestamp {us} is out of range"),
        )
    })
}

/// A nullable microsecond timestamp column.
pub(crate) fn opt_time_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
    match row.get::<_, Option<i64>>(idx)? {
        None => Ok(None),
        Some(_) => time_at(row, idx).map(Some),
    }
}

/// A JSON text column.
pub(crate) fn json_at<T: DeserializeOwned>(row: &Row<'_>, idx: usize) -> rusqlite::Result<T> {
    let text = row.get_ref(idx)?.as_str()?;
    serde_json::from_str(text).map_err(|e| failure(idx, Type::Text, e.to_string()))
}

/// A nullable JSON text column.
pub(crate) fn opt_json_at<T: DeserializeOwned>(
    row: &Row<'_>,
    idx: usize,
) -> rusqlite::Result<Option<T>> {
    match row.get_ref(idx)?.as_str_or_null()? {
        None => Ok(None),
        Some(text) => serde_json::from_str(text)
            .map(Some)
            .map_err(|e| failure(idx, Type::Text, e.to_string())),
    }
}

/// A non-negative integer column.
pub(crate) fn u64_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<u64> {
    let n: i64 = row.get(idx)?;
    u64::try_from(n).map_err(|_| failure(idx, Type::Integer, format!("{n} is negative")))
}

/// A non-negative integer column that fits 32 bits.
pub(crate) fn u32_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<u32> {
    let n: i64 = row.get(idx)?;
    u32::try_from(n).map_err(|_| failure(idx, Type::Integer, format!("{n} is out of range")))
}

/// A nullable non-negative integer column that fits 32 bits.
pub(crate) fn opt_u32_at(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<u32>> {
    match row.get::<_, Option<i64>>(idx)? {
        None => Ok(None),
        Some(_) => u32_at(row, idx).map(Some),
    }
}

/// A text column holding one of an enum's names.
pub(crate) fn enum_at<T>(
    row: &Row<'_>,
    idx: usize,
    parse: impl FnOnce(&str) -> Result<T>,
) -> rusqlite::Result<T> {
    let text = row.get_ref(idx)?.as_str()?;
    parse(text).map_err(|e| failure(idx, Type::Text, e.message().to_owned()))
}

/// A nullable text column holding one of an enum's names.
pub(crate) fn opt_enum_at<T>(
    row: &Row<'_>,
    idx: usize,
    parse: impl FnOnce(&str) -> Result<T>,
) -> rusqlite::Result<Option<T>> {
    match row.get_ref(idx)?.as_str_or_null()? {
        None => Ok(None),
        Some(text) => parse(text)
            .map(Some)
            .map_err(|e| failure(idx, Type::Text, e.message().to_owned())),
    }
}

/// Seeds use all 64 bits; SQLite integers are signed, so the bits are stored as they are.
pub(crate) fn seed_to_sql(seed: u64) -> i64 {
    i64::from_ne_bytes(seed.to_ne_bytes())
}

/// The inverse of [`seed_to_sql`].
pub(crate) fn seed_from_sql(stored: i64) -> u64 {
    u64::from_ne_bytes(stored.to_ne_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_round_trip_through_signed_storage() {
        for seed in [0, 1, u64::MAX, 1 << 63, 42] {
            assert_eq!(seed_from_sql(seed_to_sql(seed)), seed);
        }
    }

    #[test]
    fn now_survives_storage() {
        let at = now();
        assert_eq!(DateTime::from_timestamp_micros(micros(at)), Some(at));
    }
}
