//! Reading numbers as people and websites write them.
//!
//! A value is a number when it holds exactly one run of digits, optionally with:
//!
//! - currency symbols (`$ € £ ¥ ₹ ₩ …`) and words or codes (`USD`, `EUR`, `kr`, `Fr.`, `Rs.`),
//!   a `%` sign, or a label ending in `:` anywhere around the digits;
//! - thousands separators: `,` `.` `'` `’` and spaces (including no-break and thin spaces,
//!   which only count when three digits follow);
//! - a decimal separator, `.` or `,` (see [`DecimalSeparator`] for the rule that tells them
//!   from thousands separators);
//! - a sign: `-5`, `−5`, `+5`, `(5)` (accounting style) or `5-` (trailing minus).
//!
//! Anything else makes the value "not a number", so the comparator falls back to comparing
//! the texts: a second digit run (`5 of 10`, `10-20`), a one-letter suffix glued to the
//! digits (`5k`, `1e5`, whose meaning we cannot know), or other symbols (`5/10`, `=5`).

use serde::{Deserialize, Serialize};

/// Which character separates the decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecimalSeparator {
    /// Decided per value: when both `.` and `,` appear, the last one is the decimal
    /// separator (`1,299.00`, `1.299,00`); when only one kind appears more than once, it
    /// groups thousands (`1,299,000`); a single `,` followed by exactly three digits groups
    /// thousands (`1,299` = 1299) and otherwise separates decimals (`12,5`), unless spaces
    /// already group the thousands (`1 299,000` = 1299.0); a single `.` separates decimals.
    #[default]
    Auto,
    /// `.` separates decimals, `,` groups thousands.
    Point,
    /// `,` separates decimals, `.` groups thousands.
    Comma,
}

/// Where the scan is relative to the one digit run.
#[derive(PartialEq)]
enum State {
    Before,
    InRun,
    After,
}

fn is_currency(c: char) -> bool {
    matches!(
        c,
        '$' | '€'
            | '£'
            | '¥'
            | '¢'
            | '₹'
            | '₩'
            | '₽'
            | '₺'
            | '₪'
            | '฿'
            | '₫'
            | '₦'
            | '₱'
            | '₴'
            | '₸'
            | '₿'
            | '₡'
            | '₲'
            | '₵'
            | '₭'
            | '﷼'
    )
}

fn is_group_space(c: char) -> bool {
    matches!(
        c,
        ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}' | '\u{2007}' | '\'' | '’'
    )
}

/// Whether `rest` starts with exactly three digits (a thousands group).
fn three_digits_follow(rest: &[u8]) -> bool {
    rest.len() >= 3
        && rest[..3].iter().all(u8::is_ascii_digit)
        && !rest.get(3).is_some_and(u8::is_ascii_digit)
}

/// Parses `s` as a number (see the module docs); `None` when it is not one.
pub fn parse_number(s: &str, decimal: DecimalSeparator) -> Option<f64> {
    // The digit run, with `.` and `,` kept as written and grouping spaces as `g`.
    let mut run = RunBuf::default();
    let mut state = State::Before;
    let mut signs = 0u8;
    let mut negative = false;
    let mut open_paren = false;
    let mut closed_paren = false;
    let bytes = s.as_bytes();
    let mut prev_digit = false;
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let rest = &bytes[i + c.len_utf8()..];
        let next_is_digit = rest.first().is_some_and(u8::is_ascii_digit);
        match c {
            '0'..='9' => {
                if state == State::After {
                    return None;
                }
                state = State::InRun;
                run.push(c as u8)?;
            }
            '.' | ',' => match state {
                State::InRun if next_is_digit => run.push(c as u8)?,
                State::InRun => state = State::After,
                State::Before if next_is_digit => {
                    state = State::InRun;
                    run.push(c as u8)?;
                }
                _ => {}
            },
            c if is_group_space(c) => {
                if state == State::InRun {
                    if three_digits_follow(rest) {
                        run.push(b'g')?;
                    } else {
                        state = State::After;
                    }
                }
            }
            '-' | '−' | '‒' | '–' => {
                if state == State::InRun {
                    state = State::After;
                }
                signs += 1;
                negative = true;
            }
            '+' => {
                if state != State::Before {
                    return None;
                }
                signs += 1;
            }
            '(' => {
                if state != State::Before || open_paren {
                    return None;
                }
                open_paren = true;
                signs += 1;
                negative = true;
            }
            ')' => {
                if !open_paren || closed_paren || state == State::Before {
                    return None;
                }
                closed_paren = true;
                state = State::After;
            }
            c if c.is_alphabetic() => {
                // A single Latin letter glued to the digits is a unit we cannot read (5k, 1e5).
                let single = c.is_ascii() && !chars.peek().is_some_and(|(_, n)| n.is_alphabetic());
                if prev_digit && single {
                    return None;
                }
                if state == State::InRun {
                    state = State::After;
                }
            }
            c if is_currency(c)
                || c.is_whitespace()
                || matches!(c, '%' | ':' | '#' | '~' | '≈') =>
            {
                if state == State::InRun {
                    state = State::After;
                }
            }
            _ => return None,
        }
        prev_digit = c.is_ascii_digit();
    }
    if run.is_empty() || signs > 1 || open_paren != closed_paren {
        return None;
    }
    let value = interpret(run.as_bytes(), decimal)?;
    Some(if negative { -value } else { value })
}

/// Turns a digit run with separators into a value.
fn interpret(run: &[u8], mode: DecimalSeparator) -> Option<f64> {
    let dots = run.iter().filter(|b| **b == b'.').count();
    let commas = run.iter().filter(|b| **b == b',').count();
    let spaced = run.contains(&b'g');
    let decimal = match mode {
        DecimalSeparator::Point => Some(b'.'),
        DecimalSeparator::Comma => Some(b','),
        DecimalSeparator::Auto => match (dots, commas) {
            (0, 0) => None,
            (_, 0) if dots > 1 => None,
            (0, _) if commas > 1 => None,
            (1, 0) => Some(b'.'),
            (0, 1) => {
                let after = run.len() - 1 - run.iter().rposition(|b| *b == b',')?;
                // `0,299` can only be a decimal.
                if after == 3 && !spaced && run.first() != Some(&b'0') && run.first() != Some(&b',')
                {
                    None
                } else {
                    Some(b',')
                }
            }
            _ => {
                let last_dot = run.iter().rposition(|b| *b == b'.');
                let last_comma = run.iter().rposition(|b| *b == b',');
                if last_dot > last_comma {
                    Some(b'.')
                } else {
                    Some(b',')
                }
            }
        },
    };
    let mut out = RunBuf::default();
    let mut seen_decimal = false;
    for &b in run {
        match b {
            b'0'..=b'9' => out.push(b)?,
            _ if Some(b) == decimal => {
                if seen_decimal {
                    return None;
                }
                seen_decimal = true;
                out.push(b'.')?;
            }
            // A grouping separator after the decimal one is not a number we can read.
            _ if seen_decimal => return None,
            _ => {}
        }
    }
    std::str::from_utf8(out.as_bytes()).ok()?.parse().ok()
}

/// A small inline buffer for digit runs; longer runs are not numbers worth reading.
struct RunBuf {
    bytes: [u8; 64],
    len: usize,
}

impl Default for RunBuf {
    fn default() -> Self {
        RunBuf {
            bytes: [0; 64],
            len: 0,
        }
    }
}

impl RunBuf {
    fn push(&mut self, b: u8) -> Option<()> {
        *self.bytes.get_mut(self.len)? = b;
        self.len += 1;
        Some(())
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// Whether two numbers are equal within an absolute or a relative tolerance.
///
/// A few units of floating-point rounding are allowed on top, so that a tolerance of 0.01
/// accepts `19.99` against `20.00` (whose difference computes as 0.010000000000002).
pub fn within(a: f64, b: f64, abs_tolerance: f64, rel_tolerance: f64) -> bool {
    let diff = (a - b).abs();
    let scale = a.abs().max(b.abs());
    let rounding = 4.0 * f64::EPSILON * scale.max(abs_tolerance);
    diff <= abs_tolerance + rounding || diff <= rel_tolerance * scale + rounding
}

/// How close two numbers are, from 0 to 1: `1 − |a − b| / max(|a|, |b|)`, floored at 0.
pub fn closeness(a: f64, b: f64) -> f64 {
    let scale = a.abs().max(b.abs());
    if scale == 0.0 {
        return 1.0;
    }
    (1.0 - (a - b).abs() / scale).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_common_forms() {
        let p = |s| parse_number(s, DecimalSeparator::Auto);
        assert_eq!(p("$1,299.00"), Some(1299.0));
        assert_eq!(p("1.299,00 €"), Some(1299.0));
        assert_eq!(p("1 299,00"), Some(1299.0));
        assert_eq!(p("(5)"), Some(-5.0));
        assert_eq!(p("5-"), Some(-5.0));
        assert_eq!(p(".5"), Some(0.5));
        assert_eq!(p("5k"), None);
        assert_eq!(p("5 of 10"), None);
        assert_eq!(p("-(5)"), None);
        assert_eq!(p(""), None);
    }
}
