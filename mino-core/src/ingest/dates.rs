//! Recognising dates in the formats people put in spreadsheets, on raw bytes.
//!
//! Accepted: ISO (`2024-03-05`, `2024/03/05`, with an optional time such as
//! `2024-03-05T10:00:00Z` or `2024-03-05 10:00`), numeric day/month orders with a four-digit
//! year (`03/05/2024`, `5.3.2024`, `05-03-2024`, optionally followed by a time), and named
//! months (`March 5, 2024`, `5 Mar 2024`, `5-Mar-2024`, `Mar. 5th 2024`). Day and month
//! ranges are checked; the day is not checked against the month's length.

/// Whether `v` (trimmed) is a date.
pub(crate) fn is_date(v: &[u8]) -> bool {
    iso(v) || numeric(v) || named(v)
}

fn digits(v: &[u8]) -> Option<u32> {
    if v.is_empty() || v.len() > 4 || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(v.iter().fold(0, |n, &b| n * 10 + u32::from(b - b'0')))
}

fn ranged(v: &[u8], len: std::ops::RangeInclusive<usize>, max: u32) -> bool {
    len.contains(&v.len()) && digits(v).is_some_and(|n| (1..=max).contains(&n))
}

fn iso(v: &[u8]) -> bool {
    if v.len() < 10 {
        return false;
    }
    let sep = v[4];
    let date_ok = matches!(sep, b'-' | b'/')
        && v[7] == sep
        && digits(&v[..4]).is_some()
        && v[..4].len() == 4
        && ranged(&v[5..7], 2..=2, 12)
        && ranged(&v[8..10], 2..=2, 31);
    date_ok && (v.len() == 10 || (matches!(v[10], b'T' | b' ') && time(&v[11..])))
}

/// `HH:MM`, `HH:MM:SS`, optional fraction, optional `Z` or `±HH[:]MM` offset.
fn time(v: &[u8]) -> bool {
    if v.len() < 5 || v[2] != b':' {
        return false;
    }
    let hm = digits(&v[..2]).is_some_and(|h| h < 24) && digits(&v[3..5]).is_some_and(|m| m < 60);
    if !hm {
        return false;
    }
    let mut rest = &v[5..];
    if let Some(after) = rest.strip_prefix(b":") {
        if after.len() < 2 || digits(&after[..2]).is_none_or(|s| s > 60) {
            return false;
        }
        rest = &after[2..];
        if let Some(frac) = rest.strip_prefix(b".") {
            let n = frac.iter().take_while(|b| b.is_ascii_digit()).count();
            if n == 0 {
                return false;
            }
            rest = &frac[n..];
        }
    }
    match rest {
        [] | b"Z" | b"z" => true,
        [b'+' | b'-', offset @ ..] => {
            let compact: &[u8] = match offset {
                [a, b, b':', c, d] => &[*a, *b, *c, *d],
                other => other,
            };
            matches!(compact.len(), 2 | 4) && compact.iter().all(u8::is_ascii_digit)
        }
        _ => false,
    }
}

/// `D/M/YYYY` or `M/D/YYYY` (also with `.` or `-`), optionally followed by a time.
fn numeric(v: &[u8]) -> bool {
    let (date, clock) = match v.iter().position(|&b| b == b' ') {
        Some(space) => (&v[..space], Some(&v[space + 1..])),
        None => (v, None),
    };
    let Some(&sep) = date.iter().find(|b| matches!(b, b'/' | b'.' | b'-')) else {
        return false;
    };
    let mut parts = date.split(|&b| b == sep);
    let (Some(a), Some(b), Some(y), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let day_month = (ranged(a, 1..=2, 31) && ranged(b, 1..=2, 12))
        || (ranged(a, 1..=2, 12) && ranged(b, 1..=2, 31));
    day_month && y.len() == 4 && digits(y).is_some() && clock.is_none_or(time)
}

/// Three words: a month name, a day and a four-digit year, month first or day first.
fn named(v: &[u8]) -> bool {
    let mut words: [&[u8]; 3] = [&[]; 3];
    let mut count = 0;
    for word in v
        .split(|&b| matches!(b, b' ' | b',' | b'-' | b'.'))
        .filter(|w| !w.is_empty())
    {
        if count == 3 {
            return false;
        }
        words[count] = word;
        count += 1;
    }
    if count != 3 {
        return false;
    }
    let year = words[2].len() == 4 && digits(words[2]).is_some();
    year && ((month(words[0]) && day(words[1])) || (day(words[0]) && month(words[1])))
}

fn day(v: &[u8]) -> bool {
    let n = v.iter().take_while(|b| b.is_ascii_digit()).count();
    let suffix = &v[n..];
    let suffix_ok = suffix.is_empty()
        || [&b"st"[..], b"nd", b"rd", b"th"]
            .iter()
            .any(|s| suffix.eq_ignore_ascii_case(s));
    suffix_ok && ranged(&v[..n], 1..=2, 31)
}

fn month(v: &[u8]) -> bool {
    const MONTHS: [&[u8]; 12] = [
        b"january",
        b"february",
        b"march",
        b"april",
        b"may",
        b"june",
        b"july",
        b"august",
        b"september",
        b"october",
        b"november",
        b"december",
    ];
    v.eq_ignore_ascii_case(b"sept")
        || MONTHS.iter().any(|name| {
            v.eq_ignore_ascii_case(name) || (v.len() == 3 && v.eq_ignore_ascii_case(&name[..3]))
        })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn accepts_common_formats() {
        for v in [
            "2024-03-05",
            "2024/03/05",
            "2024-03-05T10:00:00Z",
            "2024-03-05T10:00:00.123+02:00",
            "2024-03-05 10:00",
            "2024-03-05T10:00:00-0500",
            "03/05/2024",
            "3/5/2024",
            "25/12/2024",
            "12/25/2024",
            "05.03.2024",
            "05-03-2024",
            "03/05/2024 14:30",
            "March 5, 2024",
            "mar 5 2024",
            "5 Mar 2024",
            "5 March 2024",
            "5-Mar-2024",
            "Sept. 21st, 2024",
        ] {
            assert!(is_date(v.as_bytes()), "{v}");
        }
    }

    #[test]
    fn rejects_near_misses() {
        for v in [
            "2024",
            "2024-13-05",
            "2024-03-32",
            "2024-03-05T25:00",
            "2024-03-05Tnoon",
            "13/13/2024",
            "1/2/3",
            "03/05/24",
            "5 Marchy 2024",
            "March 2024",
            "March 32, 2024",
            "Mon, 5 March 2024",
            "1.299,00",
            "10.0.0.1",
        ] {
            assert!(!is_date(v.as_bytes()), "{v}");
        }
    }
}
