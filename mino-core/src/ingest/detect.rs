//! Column type detection from per-column counters.
//!
//! Each non-empty value is tested against every recogniser it could fit and counted; the
//! column's type is the first of boolean, integer, number, date, email, url that at least
//! [`SHARE_PERCENT`] of its non-empty values fit, else text (or empty when it has no value).
//!
//! Two refinements keep look-alike columns apart:
//! - **Boolean** needs the boolean share *and* no number other than 0 and 1. A column made
//!   only of `0` and `1` is boolean when both occur (`in_stock`); a column of only `1`s,
//!   or with a `2` anywhere, is an integer (`quantity`).
//! - **Integer** needs every numeric value to be a plain integer; one `1.5` makes it number.

use crate::model::ColumnType;

use super::classify::{is_bool_word, is_email, is_integer, is_number, is_url_like};
use super::dates::is_date;

/// The share of non-empty values, in percent, that must fit a type.
pub const SHARE_PERCENT: u64 = 90;

/// Counters of one column.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ColumnStats {
    pub(crate) non_empty: u64,
    bool_words: u64,
    zeros: u64,
    ones: u64,
    integers: u64,
    numbers: u64,
    dates: u64,
    emails: u64,
    urls: u64,
}

impl ColumnStats {
    /// Counts one raw value.
    pub(crate) fn observe(&mut self, raw: &[u8]) {
        let v = raw.trim_ascii();
        if v.is_empty() {
            return;
        }
        self.non_empty += 1;
        if is_bool_word(v) {
            self.bool_words += 1;
            return;
        }
        if is_number(v) {
            self.numbers += 1;
            if is_integer(v) {
                self.integers += 1;
                match v {
                    b"0" => self.zeros += 1,
                    b"1" => self.ones += 1,
                    _ => {}
                }
            }
            return;
        }
        // The remaining types exclude one another, so the first match is the only one.
        if is_date(v) {
            self.dates += 1;
        } else if is_email(v) {
            self.emails += 1;
        } else if is_url_like(v) {
            self.urls += 1;
        }
    }

    fn fits(&self, count: u64) -> bool {
        count * 100 >= self.non_empty * SHARE_PERCENT
    }

    /// The share of non-empty values that look like URLs or domains, in percent.
    pub(crate) fn url_percent(&self) -> u64 {
        (self.urls * 100).checked_div(self.non_empty).unwrap_or(0)
    }

    /// The detected type.
    pub(crate) fn column_type(&self) -> ColumnType {
        if self.non_empty == 0 {
            return ColumnType::Empty;
        }
        let zero_one = self.zeros + self.ones;
        let other_numbers = self.numbers - zero_one;
        let flags = if self.bool_words > 0 {
            other_numbers == 0
        } else {
            self.zeros > 0 && self.ones > 0 && other_numbers == 0
        };
        if flags && self.fits(self.bool_words + zero_one) {
            ColumnType::Boolean
        } else if self.integers == self.numbers && self.fits(self.integers) {
            ColumnType::Integer
        } else if self.fits(self.numbers) {
            ColumnType::Number
        } else if self.fits(self.dates) {
            ColumnType::Date
        } else if self.fits(self.emails) {
            ColumnType::Email
        } else if self.fits(self.urls) {
            ColumnType::Url
        } else {
            ColumnType::Text
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn detect(values: &[&str]) -> ColumnType {
        let mut stats = ColumnStats::default();
        for v in values {
            stats.observe(v.as_bytes());
        }
        stats.column_type()
    }

    #[test]
    fn detects_each_type() {
        assert_eq!(detect(&["", " "]), ColumnType::Empty);
        assert_eq!(detect(&["yes", "no", "Y", ""]), ColumnType::Boolean);
        assert_eq!(detect(&["true", "false", "1", "0"]), ColumnType::Boolean);
        assert_eq!(detect(&["1", "0", "1", "1"]), ColumnType::Boolean);
        assert_eq!(detect(&["12", "-4", "007"]), ColumnType::Integer);
        assert_eq!(
            detect(&["1,299.00", "$12.50", "12,5 €", "3"]),
            ColumnType::Number
        );
        assert_eq!(
            detect(&["2024-03-05", "03/05/2024", "March 5, 2024", "5 Mar 2024"]),
            ColumnType::Date
        );
        assert_eq!(detect(&["a@b.com", "c.d@e.org"]), ColumnType::Email);
        assert_eq!(
            detect(&["https://a.com", "example.com", "www.shop.co.uk/path"]),
            ColumnType::Url
        );
        assert_eq!(detect(&["hello", "world", "12"]), ColumnType::Text);
    }

    #[test]
    fn zero_one_columns() {
        // Only 1s: a count, not a flag.
        assert_eq!(detect(&["1", "1", "1"]), ColumnType::Integer);
        // Mostly 0/1 with other numbers: a quantity.
        let mut values = ["0", "1"].repeat(10);
        values.push("2");
        assert_eq!(detect(&values), ColumnType::Integer);
        // Words make 0/1 flags too, but not other numbers.
        assert_eq!(detect(&["yes", "no", "0", "2"]), ColumnType::Text);
    }

    #[test]
    fn ninety_percent_rule() {
        let mut values = vec!["42"; 9];
        values.push("n/a");
        assert_eq!(detect(&values), ColumnType::Integer);
        values.push("n/a");
        assert_eq!(detect(&values), ColumnType::Text);
        // One decimal among integers makes the column a number.
        assert_eq!(detect(&["1", "2", "3.5"]), ColumnType::Number);
    }
}
