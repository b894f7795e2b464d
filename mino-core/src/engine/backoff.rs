//! Retry delays: exponential backoff with full jitter.
//!
//! Full jitter (a uniformly random delay between zero and the exponential cap) spreads the
//! retries of many jobs that failed together — say, a site that answered 503 to a whole
//! burst — instead of sending them back in lockstep.

use std::time::Duration;

use rand::Rng;
use serde::{Deserialize, Serialize};

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
}

#[cfg(test)]
mod tests {
    use super::*;

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
