//! Retry delays: exponential backoff with full jitter.
//!
//! Full jitter (a uniformly random delay between zero and the exponential cap) spreads the
//! retries of many jobs that failed together — say, a site that answered 503 to a whole
//! burst — instead of sending them back in lockstep.

use std::time::Duration;

use std::str::FromStr;

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How long to wait before retrying a transient failure.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Backoff {
    /// The cap of the first retry's delay.
    pub base: Duration,
    /// The largest cap, however many attempts failed.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_secs(1),
            max: Duration::from_secs(60),
        }
    }
}

impl Backoff {
    /// The cap after `failed_attempts` failures: `base · 2^(failed_attempts - 1)`, at most `max`.
    pub fn cap(&self, failed_attempts: u32) -> Duration {
        let exp = failed_attempts.saturating_sub(1).min(30);
        self.base.saturating_mul(1u32 << exp).min(self.max)
    }

    /// A random delay in `[0, cap(failed_attempts)]`.
    pub fn delay(&self, failed_attempts: u32, rng: &mut impl Rng) -> Duration {
        let cap = self.cap(failed_attempts).as_micros() as u64;
        Duration::from_micros(rng.random_range(0..=cap))
    }

    /// Parses `BASE` or `BASE:MAX`, each a number with a unit `ms`, `s` or `m` (`500ms:30s`,
    /// `2s`); a lone base keeps the default maximum (or the base, when larger). The base may
    /// be zero (retry at once); the maximum must not be below the base nor above a day.
    pub fn parse(text: &str) -> Result<Self> {
        let invalid = |why: &str| {
            Error::validation(format!(
                "backoff {text:?}: {why} (expected BASE[:MAX], e.g. 1s:60s)"
            ))
            .with_context("field", "backoff")
        };
        let (base, max) = match text.split_once(':') {
            Some((base, max)) => (base, Some(max)),
            None => (text, None),
        };
        let base = parse_duration(base).ok_or_else(|| invalid("bad base"))?;
        let max = match max {
            Some(max) => parse_duration(max).ok_or_else(|| invalid("bad maximum"))?,
            None => Backoff::default().max.max(base),
        };
        if max < base {
            return Err(invalid("the maximum is below the base"));
        }
        if max > Duration::from_secs(24 * 3600) {
            return Err(invalid("the maximum is over a day"));
        }
        Ok(Backoff { base, max })
    }
}

impl FromStr for Backoff {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Backoff::parse(s)
    }
}

/// `250ms`, `2s`, `1.5s`, `3m`.
fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (number, unit_secs) = if let Some(n) = text.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60.0)
    } else {
        return None;
    };
    let value: f64 = number.trim().parse().ok()?;
    if !value.is_finite() || value < 0.0 || value * unit_secs > 1e9 {
        return None;
    }
    Some(Duration::from_secs_f64(value * unit_secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_base_and_maximum_with_units() {
        let b = Backoff::parse("500ms:30s").expect("valid");
        assert_eq!(
            (b.base, b.max),
            (Duration::from_millis(500), Duration::from_secs(30))
        );
        let b = Backoff::parse("2s").expect("base only");
        assert_eq!(
            (b.base, b.max),
            (Duration::from_secs(2), Duration::from_secs(60))
        );
        let b = Backoff::parse("2m").expect("base above the default maximum");
        assert_eq!(
            (b.base, b.max),
            (Duration::from_secs(120), Duration::from_secs(120))
        );
        let b: Backoff = "0ms:0ms".parse().expect("no delay");
        assert_eq!(b.cap(5), Duration::ZERO);
        assert_eq!(
            Backoff::parse("1.5s").expect("fraction").base,
            Duration::from_millis(1500)
        );
        for bad in [
            "",
            "5",
            "x:1s",
            "10s:1s",
            "-1s",
            "1s:2d",
            "1s:25000m",
            "nans",
        ] {
            let err = Backoff::parse(bad).expect_err(bad);
            assert_eq!(err.kind(), crate::ErrorKind::Validation, "{bad}");
        }
    }

    #[test]
    fn caps_double_and_stop_at_max() {
        let b = Backoff {
            base: Duration::from_millis(100),
            max: Duration::from_secs(1),
        };
        assert_eq!(b.cap(1), Duration::from_millis(100));
        assert_eq!(b.cap(2), Duration::from_millis(200));
        assert_eq!(b.cap(4), Duration::from_millis(800));
        assert_eq!(b.cap(5), Duration::from_secs(1));
        assert_eq!(b.cap(1000), Duration::from_secs(1));
    }

    #[test]
    fn delays_spread_over_the_whole_range() {
        let b = Backoff {
            base: Duration::from_millis(1000),
            max: Duration::from_secs(10),
        };
        let mut rng = rand::rng();
        let delays: Vec<_> = (0..2000).map(|_| b.delay(1, &mut rng)).collect();
        assert!(delays.iter().all(|d| *d <= Duration::from_millis(1000)));
        let low = delays
            .iter()
            .filter(|d| **d < Duration::from_millis(250))
            .count();
        let high = delays
            .iter()
            .filter(|d| **d > Duration::from_millis(750))
            .count();
        // Uniform: each quarter holds about 500 of 2000.
        assert!((350..650).contains(&low), "low quarter {low}");
        assert!((350..650).contains(&high), "high quarter {high}");
    }
}
