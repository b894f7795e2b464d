//! Reading calendar dates written in many ways.
//!
//! Accepted forms (case-insensitive; weekday names, ordinal suffixes and times are ignored):
//!
//! - ISO: `2024-03-05`, `2024/03/05`, `2024.03.05`, and ISO date-times such as
//!   `2024-03-05T10:00:00Z` or `2024-03-05 10:00:00+01:00` (the date as written; the time and
//!   offset are ignored, so a date and a date-time on the same day match);
//! - compact: `20240305`;
//! - with a month name, in any order: `March 5, 2024`, `5 March 2024`, `Mar 5 2024`,
//!   `Tuesday, 5th of March 2024`, `2024 Mar 05`; English, French, German and Spanish month
//!   names and their usual abbreviations (`Sept`, `März`, `févr.`, `5 de marzo de 2024`);
//! - numeric with the year last: `05/03/2024`, `5.3.2024`, `05-03-24`.
//!
//! **Day/month rule** for numeric dates with the year last: when the first number is above 12
//! it is the day (`25/03/2024`); when the second is above 12 it is the day (`03/25/2024`);
//! otherwise the first number is the day when `day_first` is true (the default:
//! `05/03/2024` is 5 March 2024) and the month when it is false (US style: 3 May 2024).
//! A two-digit year means 2000–2069 for `00`–`69` and 1970–1999 for `70`–`99`.

use chrono::NaiveDate;

const MONTHS: &[(&str, u32)] = &[
    ("january", 1),
    ("jan", 1),
    ("janvier", 1),
    ("janv", 1),
    ("januar", 1),
    ("enero", 1),
    ("ene", 1),
    ("february", 2),
    ("feb", 2),
    ("février", 2),
    ("fevrier", 2),
    ("févr", 2),
    ("fevr", 2),
    ("fév", 2),
    ("februar", 2),
    ("febrero", 2),
    ("march", 3),
    ("mar", 3),
    ("mars", 3),
    ("märz", 3),
    ("marz", 3),
    ("mär", 3),
    ("marzo", 3),
    ("april", 4),
    ("apr", 4),
    ("avril", 4),
    ("avr", 4),
    ("abril", 4),
    ("abr", 4),
    ("may", 5),
    ("mai", 5),
    ("mayo", 5),
    ("june", 6),
    ("jun", 6),
    ("juin", 6),
    ("juni", 6),
    ("junio", 6),
    ("july", 7),
    ("jul", 7),
    ("juillet", 7),
    ("juil", 7),
    ("juli", 7),
    ("julio", 7),
    ("august", 8),
    ("aug", 8),
    ("août", 8),
    ("aout", 8),
    ("agosto", 8),
    ("ago", 8),
    ("september", 9),
    ("sep", 9),
    ("sept", 9),
    ("septembre", 9),
    ("septiembre", 9),
    ("setiembre", 9),
    ("october", 10),
    ("oct", 10),
    ("octobre", 10),
    ("oktober", 10),
    ("okt", 10),
    ("octubre", 10),
    ("november", 11),
    ("nov", 11),
    ("novembre", 11),
    ("noviembre", 11),
    ("december", 12),
    ("dec", 12),
    ("décembre", 12),
    ("decembre", 12),
    ("déc", 12),
    ("dezember", 12),
    ("dez", 12),
    ("diciembre", 12),
    ("dic", 12),
];

/// Words that may surround a date without changing it: weekdays, fillers, time markers and
/// common time-zone abbreviations.
const IGNORED: &[&str] = &[
    "monday",
    "mon",
    "tuesday",
    "tue",
    "tues",
    "wednesday",
    "wed",
    "thursday",
    "thu",
    "thur",
    "thurs",
    "friday",
    "fri",
    "saturday",
    "sat",
    "sunday",
    "sun",
    "lundi",
    "mardi",
    "mercredi",
    "jeudi",
    "vendredi",
    "samedi",
    "dimanche",
    "montag",
    "dienstag",
    "mittwoch",
    "donnerstag",
    "freitag",
    "samstag",
    "sonntag",
    "lunes",
    "martes",
    "miércoles",
    "miercoles",
    "jueves",
    "viernes",
    "sábado",
    "sabado",
    "domingo",
    "the",
    "of",
    "on",
    "at",
    "de",
    "del",
    "le",
    "am",
    "pm",
    "a",
    "p",
    "m",
    "t",
    "z",
    "utc",
    "gmt",
    "est",
    "edt",
    "cst",
    "cdt",
    "mst",
    "mdt",
    "pst",
    "pdt",
    "cet",
    "cest",
    "bst",
    "ist",
];

const ORDINALS: &[&str] = &["st", "nd", "rd", "th", "er", "e", "o", "a"];

/// A number as written: its value and how many digits it had.
#[derive(Clone, Copy)]
struct Num {
    value: u32,
    digits: usize,
}

/// Parses a date (see the module docs); `None` when `s` is not one.
pub fn parse_date(s: &str, day_first: bool) -> Option<NaiveDate> {
    let s = s.trim();
    if let Some(date) = parse_iso_prefix(s.as_bytes()) {
        return Some(date);
    }
    let mut nums: [Num; 3] = [Num {
        value: 0,
        digits: 0,
    }; 3];
    let mut count = 0;
    let mut month = None;
    let mut in_time = false;
    let mut chars = s.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c.is_ascii_digit() {
            let mut end = start + 1;
            while let Some((i, d)) = chars.peek().copied() {
                if !d.is_ascii_digit() {
                    break;
                }
                end = i + 1;
                chars.next();
            }
            let text = &s[start..end];
            if chars.peek().is_some_and(|(_, n)| *n == ':') {
                // Hours: everything numeric from here on is time or offset.
                in_time = true;
            }
            if in_time {
                continue;
            }
            // Ordinal suffix glued to the number: 5th, 1st, 1er.
            let word_start = chars.peek().map(|(i, _)| *i);
            if let Some(ws) = word_start {
                let word_end = alpha_end(s, ws);
                if word_end > ws && ORDINALS.contains(&s[ws..word_end].to_lowercase().as_str()) {
                    while chars.peek().is_some_and(|(i, _)| *i < word_end) {
                        chars.next();
                    }
                }
            }
            if count == 3 || text.len() > 8 {
                return None;
            }
            nums[count] = Num {
                value: text.parse().ok()?,
                digits: text.len(),
            };
            count += 1;
        } else if c.is_alphabetic() {
            let end = alpha_end(s, start);
            while chars.peek().is_some_and(|(i, _)| *i < end) {
                chars.next();
            }
            let word = s[start..end].to_lowercase();
            if let Some((_, m)) = MONTHS.iter().find(|(name, _)| *name == word) {
                if month.replace(*m).is_some() {
                    return None;
                }
            } else if !IGNORED.contains(&word.as_str()) {
                return None;
            }
        } else if !(c.is_whitespace()
            || matches!(
                c,
                ',' | '.' | '/' | '-' | ':' | '+' | '(' | ')' | '年' | '月' | '日'
            ))
        {
            return None;
        }
    }
    resolve(&nums[..count], month, day_first)
}

/// The byte index where the run of letters starting at `start` ends.
fn alpha_end(s: &str, start: usize) -> usize {
    s[start..]
        .char_indices()
        .find(|(_, c)| !c.is_alphabetic())
        .map_or(s.len(), |(i, _)| start + i)
}

/// `YYYY-MM-DD` (or `/`, `.`) at the start, followed by the end, a `T` or a space.
fn parse_iso_prefix(b: &[u8]) -> Option<NaiveDate> {
    if b.len() < 10 {
        return None;
    }
    let sep = b[4];
    if !matches!(sep, b'-' | b'/' | b'.') || b[7] != sep {
        return None;
    }
    if b.len() > 10 && !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, d| {
            d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
        })
    };
    NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
}

fn full_year(n: Num) -> Option<i32> {
    match n.digits {
        4 => Some(n.value as i32),
        1 | 2 if n.value < 70 => Some(2000 + n.value as i32),
        1 | 2 => Some(1900 + n.value as i32),
        _ => None,
    }
}

fn resolve(nums: &[Num], month: Option<u32>, day_first: bool) -> Option<NaiveDate> {
    let (year, month, day) = match (month, nums) {
        (Some(m), [a, b]) => {
            // The year is the four-digit number, or else the one that cannot be a day.
            if a.digits == 4 || (a.value > 31 && b.digits <= 2) {
                (full_year(*a)?, m, b.value)
            } else {
                (full_year(*b)?, m, a.value)
            }
        }
        (None, [n]) if n.digits == 8 => {
            let v = n.value;
            ((v / 10_000) as i32, (v / 100) % 100, v % 100)
        }
        (None, [a, b, c]) if a.digits == 4 => (a.value as i32, b.value, c.value),
        (None, [a, b, c]) if a.digits <= 2 && b.digits <= 2 => {
            let year = full_year(*c)?;
            if a.value > 12 || (b.value <= 12 && day_first) {
                (year, b.value, a.value)
            } else {
                (year, a.value, b.value)
            }
        }
        _ => return None,
    };
    NaiveDate::from_ymd_opt(year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, day)
    }

    #[test]
    fn reads_written_forms() {
        assert_eq!(parse_date("March 5, 2024", true), d(2024, 3, 5));
        assert_eq!(
            parse_date("Tuesday, 5th of March 2024", true),
            d(2024, 3, 5)
        );
        assert_eq!(parse_date("05/03/2024", true), d(2024, 3, 5));
        assert_eq!(parse_date("05/03/2024", false), d(2024, 5, 3));
        assert_eq!(parse_date("03/25/2024", true), d(2024, 3, 25));
        assert_eq!(parse_date("2024-03-05T10:00:00Z", true), d(2024, 3, 5));
        assert_eq!(
            parse_date("March 5, 2024 10:30 pm EST", true),
            d(2024, 3, 5)
        );
        assert_eq!(parse_date("20240305", true), d(2024, 3, 5));
        assert_eq!(parse_date("2024", true), None);
        assert_eq!(parse_date("31/02/2024", true), None);
        assert_eq!(parse_date("soon", true), None);
    }
}
