//! Throughput and ETA from recent completions.
//!
//! The ETA uses the rate of the last few minutes, not the average since the start, so it
//! follows a change of concurrency or a slow stretch of sites within a minute or two.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Counts finished jobs over a sliding window.
#[derive(Debug, Clone)]
pub struct Throughput {
    window: Duration,
    events: VecDeque<(Instant, u64)>,
}

impl Throughput {
    /// A tracker over `window` (e.g. two minutes).
    pub fn new(window: Duration) -> Self {
        Throughput {
            window,
            events: VecDeque::new(),
        }
    }

    /// Records `n` jobs finishing at `at`.
    pub fn record(&mut self, at: Instant, n: u64) {
        self.events.push_back((at, n));
        self.trim(at);
    }

    fn trim(&mut self, now: Instant) {
        while let Some((t, _)) = self.events.front() {
            if now.duration_since(*t) > self.window {
                self.events.pop_front();
            } else {
                break;
            }
        }
    }

    /// Jobs per second over the window ending at `now`; `None` until two completions are seen.
    pub fn per_second(&mut self, now: Instant) -> Option<f64> {
        self.trim(now);
        let first = self.events.front()?.0;
        let total: u64 = self.events.iter().map(|(_, n)| n).sum();
        let span = now.duration_since(first).as_secs_f64();
        if total < 2 || span <= 0.0 {
            return None;
        }
        Some(total as f64 / span)
    }

    /// Seconds until `remaining` jobs finish at the recent rate.
    pub fn eta_secs(&mut self, now: Instant, remaining: u64) -> Option<u64> {
        if remaining == 0 {
            return Some(0);
        }
        let rate = self.per_second(now)?;
        (rate > 0.0).then(|| (remaining as f64 / rate).ceil() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eta_follows_the_recent_rate() {
        let start = Instant::now();
        let mut t = Throughput::new(Duration::from_secs(60));
        assert_eq!(t.eta_secs(start, 10), None);
        // 2 jobs per second for 10 seconds.
        for i in 0..20u64 {
            t.record(start + Duration::from_millis(500 * i), 1);
        }
        let now = start + Duration::from_secs(10);
        let rate = t.per_second(now).unwrap_or(0.0);
        assert!((rate - 2.0).abs() < 0.1, "rate {rate}");
        assert_eq!(t.eta_secs(now, 100), Some(50));
        assert_eq!(t.eta_secs(now, 0), Some(0));
        // Old completions leave the window.
        let later = start + Duration::from_secs(200);
        assert_eq!(t.per_second(later), None);
    }
}
