//! Finding calendar dates in text and writing them as ISO 8601 (`2024-03-05`).

use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::{Captures, Regex};

/// How to read an all-numeric date like `03/05/2024` when both parts could be the month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DayOrder {
    /// `03/05/2024` is March 5 (United States).
    MonthFirst,
    /// `03/05/2024` is 3 May (most of the world).
    DayFirst,
}

impl DayOrder {
    /// The order a page's `<html lang>` suggests: month first for US English or no region.
    pub(crate) fn from_lang(lang: Option<&str>) -> DayOrder {
        match lang.map(|l| l.trim().to_ascii_lowercase()) {
            None => DayOrder::MonthFirst,
            Some(l) if l.is_empty() || l == "en" || l == "en-us" || l == "en_us" => {
                DayOrder::MonthFirst
            }
            Some(_) => DayOrder::DayFirst,
        }
    }
}

const MONTH: &str = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?";

static ISO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:\b|T)").expect("valid date regex")
});
static MONTH_DAY_YEAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)\b{MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:\s*[-–]\s*\d{{1,2}}(?:st|nd|rd|th)?)?,?\s+(\d{{4}})\b"
    ))
    .expect("valid date regex")
});
static DAY_MONTH_YEAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)\b(\d{{1,2}})(?:st|nd|rd|th)?(?:\s*[-–]\s*(?:[a-z]+day\s+)?\d{{1,2}}(?:st|nd|rd|th)?)?\.?\s+(?:of\s+)?{MONTH},?\s+(\d{{4}})\b"
    ))
    .expect("valid date regex")
});
static NUMERIC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(\d{1,2})[./-](\d{1,2})[./-](\d{4})\b").expect("valid date regex")
});

/// A date found in text: where it starts and ends (byte offsets) and what day it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FoundDate {
    /// Byte offset of the first character.
    pub start: usize,
    /// Byte offset after the last character.
    pub end: usize,
    /// The day.
    pub date: NaiveDate,
}

/// Every date in `text`, in order of appearance; overlapping readings keep the earliest.
pub(crate) fn find_dates(text: &str, order: DayOrder) -> Vec<FoundDate> {
    let mut found: Vec<FoundDate> = Vec::new();
    let mut push = |start: usize, end: usize, date: Option<NaiveDate>| {
        if let Some(date) = date {
            found.push(FoundDate { start, end, date });
        }
    };
    for c in ISO.captures_iter(text) {
        let (s, e) = span(&c);
        push(s, e, ymd(num(&c, 1), num(&c, 2), num(&c, 3)));
    }
    for c in MONTH_DAY_YEAR.captures_iter(text) {
        let (s, e) = span(&c);
        push(s, e, ymd(num(&c, 3), month(&c, 1), num(&c, 2)));
    }
    for c in DAY_MONTH_YEAR.captures_iter(text) {
        let (s, e) = span(&c);
        push(s, e, ymd(num(&c, 3), month(&c, 2), num(&c, 1)));
    }
    for c in NUMERIC.captures_iter(text) {
        let (s, e) = span(&c);
        let (a, b, y) = (num(&c, 1), num(&c, 2), num(&c, 3));
        let (m, d) = match order {
            _ if a > 12 => (b, a),
            _ if b > 12 => (a, b),
            DayOrder::MonthFirst => (a, b),
            DayOrder::DayFirst => (b, a),
        };
        push(s, e, ymd(y, m, d));
    }
    found.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
    let mut out: Vec<FoundDate> = Vec::new();
    for f in found {
        if out.last().is_none_or(|last| f.start >= last.end) {
            out.push(f);
        }
    }
    out
}

/// The first date in `text`, as `YYYY-MM-DD`.
pub(crate) fn first_iso_date(text: &str, order: DayOrder) -> Option<String> {
    find_dates(text, order)
        .first()
        .map(|f| f.date.format("%Y-%m-%d").to_string())
}

fn span(c: &Captures<'_>) -> (usize, usize) {
    c.get(0).map(|m| (m.start(), m.end())).unwrap_or((0, 0))
}

fn num(c: &Captures<'_>, i: usize) -> u32 {
    c.get(i).and_then(|m| m.as_str().parse().ok()).unwrap_or(0)
}

fn month(c: &Captures<'_>, i: usize) -> u32 {
    let Some(m) = c.get(i) else { return 0 };
    let prefix: String = m.as_str().to_ascii_lowercase().chars().take(3).collect();
    match prefix.as_str() {
        "jan" => 1,
        "feb" => 2,
        "mar" => 3,
        "apr" => 4,
        "may" => 5,
        "jun" => 6,
        "jul" => 7,
        "aug" => 8,
        "sep" => 9,
        "oct" => 10,
        "nov" => 11,
        "dec" => 12,
        _ => 0,
    }
}

fn ymd(y: u32, m: u32, d: u32) -> Option<NaiveDate> {
    if !(1900..=2100).contains(&y) {
        return None;
    }
    NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(s: &str) -> Option<String> {
        first_iso_date(s, DayOrder::MonthFirst)
    }

    #[test]
    fn reads_common_formats() {
        assert_eq!(
            iso("2024-03-05T10:00:00+01:00").as_deref(),
            Some("2024-03-05")
        );
        assert_eq!(
            iso("Published March 5, 2024").as_deref(),
            Some("2024-03-05")
        );
        assert_eq!(iso("Tue, Mar. 5th 2024").as_deref(), Some("2024-03-05"));
        assert_eq!(iso("5 March 2024").as_deref(), Some("2024-03-05"));
        assert_eq!(
            iso("the 21st of September, 2023").as_deref(),
            Some("2023-09-21")
        );
        assert_eq!(iso("June 12–14, 2025").as_deref(), Some("2025-06-12"));
        assert_eq!(iso("12-14 June 2025").as_deref(), Some("2025-06-12"));
        assert_eq!(
            iso("Friday 15 – Sunday 17 August 2025").as_deref(),
            Some("2025-08-15")
        );
        assert_eq!(iso("03/05/2024").as_deref(), Some("2024-03-05"));
        assert_eq!(
            first_iso_date("03/05/2024", DayOrder::DayFirst).as_deref(),
            Some("2024-05-03")
        );
        assert_eq!(iso("25.12.2024").as_deref(), Some("2024-12-25"));
    }

    #[test]
    fn rejects_non_dates() {
        assert_eq!(iso("2024-13-45"), None);
        assert_eq!(iso("Call 555-0100"), None);
        assert_eq!(iso("in May we"), None);
    }

    #[test]
    fn finds_several_in_order() {
        let f = find_dates("from 2024-01-02 until Feb 3, 2024", DayOrder::MonthFirst);
        assert_eq!(f.len(), 2);
        assert!(f[0].start < f[1].start);
    }

    #[test]
    fn lang_picks_the_order() {
        assert_eq!(DayOrder::from_lang(Some("en-GB")), DayOrder::DayFirst);
        assert_eq!(DayOrder::from_lang(Some("en")), DayOrder::MonthFirst);
        assert_eq!(DayOrder::from_lang(None), DayOrder::MonthFirst);
    }
}
