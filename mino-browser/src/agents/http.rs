//! Provider HTTP shared by the network agents: retries of rate-limited and failing requests
//! with backoff, honouring `Retry-After` in both of its forms (seconds or an HTTP date).
//!
//! Which status means what is each agent's business (its `error.rs` builds the errors through
//! [`ProviderErrors`]); this module only decides *whether and when* to try again.

use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime};

use chrono::NaiveDateTime;
use mino_core::{Error, Result};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{RequestBuilder, Response, StatusCode};
use tracing::warn;

/// How often and how long to retry a provider request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RetryPolicy {
    /// Retries after the first request (so `max_retries + 1` requests at most).
    pub max_retries: u32,
    /// The first backoff delay when the provider gives no `Retry-After`; it doubles per retry.
    pub base_delay: Duration,
    /// The longest backoff delay.
    pub max_delay: Duration,
    /// The longest `Retry-After` waited for in-process. A provider asking for more gets the
    /// error right away: the engine retries the whole attempt later instead of holding a
    /// browser session open for minutes.
    pub max_wait: Duration,
}

impl RetryPolicy {
    /// `max_retries` retries, waiting at most `max_wait` for one `Retry-After`.
    pub fn new(max_retries: u32, max_wait: Duration) -> Self {
        RetryPolicy {
            max_retries,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_wait,
        }
    }

    /// The backoff before retry number `retry` (from 0): exponential, capped, with jitter
    /// between half and the whole delay so that parallel workers do not retry in lockstep.
    pub fn backoff(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.min(16));
        let full = self.base_delay.saturating_mul(factor).min(self.max_delay);
        full / 2 + full.mul_f64(jitter() / 2.0)
    }
}

/// A number in `[0, 1)`. The standard library's per-process random hash keys are random
/// enough for spreading retries, without a dependency on a random number generator.
fn jitter() -> f64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// How one provider's failures become MINO errors (implemented in each agent's `error.rs`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ProviderErrors {
    /// The error for an answer with an error status, given the start of its body.
    pub status: fn(StatusCode, &str) -> Error,
    /// The error for a request that got no answer (connect, timeout, broken body).
    pub transport: fn(reqwest::Error) -> Error,
}

/// Sends the request `build` makes, retrying 429 and 5xx answers (after `Retry-After` when
/// the provider sends one, else after [`RetryPolicy::backoff`]) and failed connections. Any
/// other error status, a timeout, or the last failure is returned as the error `errors` maps
/// it to, with the number of requests made in the context pair `attempts`.
pub(crate) async fn send_with_retry(
    policy: &RetryPolicy,
    errors: &ProviderErrors,
    build: impl Fn() -> RequestBuilder,
) -> Result<Response> {
    let mut retry = 0u32;
    loop {
        let attempts = (retry + 1).to_string();
        let response = match build().send().await {
            Ok(response) => response,
            Err(err) => {
                // A refused or reset connection is often a restarting gateway; a timeout is
                // not retried here, as waiting that long again would hold the session.
                let retryable = err.is_connect() && retry < policy.max_retries;
                let mapped = (errors.transport)(err).with_context("attempts", attempts);
                if !retryable {
                    return Err(mapped);
                }
                let delay = policy.backoff(retry);
                warn!(error = %mapped, retry = retry + 1, ?delay, "provider unreachable; retrying");
                tokio::time::sleep(delay).await;
                retry += 1;
                continue;
            }
        };
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let hint = retry_after(response.headers(), SystemTime::now());
        let body = body_excerpt(response).await;
        let mut err = (errors.status)(status, &body)
            .with_context("status", status.as_u16().to_string())
            .with_context("attempts", attempts);
        if let Some(hint) = hint {
            err = err.with_context("retry_after_secs", format!("{:.1}", hint.as_secs_f64()));
        }
        let retryable = status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
        if !retryable || retry >= policy.max_retries {
            return Err(err);
        }
        let delay = hint.unwrap_or_else(|| policy.backoff(retry));
        if delay > policy.max_wait {
            return Err(err);
        }
        warn!(
            status = status.as_u16(),
            retry = retry + 1,
            ?delay,
            "provider asked to wait; retrying"
        );
        tokio::time::sleep(delay).await;
        retry += 1;
    }
}

/// At most this much of an error body goes into the error message.
const BODY_EXCERPT_CHARS: usize = 600;

/// The start of an error answer's body, for the message; empty when it cannot be read.
async fn body_excerpt(response: Response) -> String {
    let text = response.text().await.unwrap_or_default();
    text.chars().take(BODY_EXCERPT_CHARS).collect()
}

/// The delay a `Retry-After` header asks for: a number of seconds (fractions accepted), or an
/// HTTP date (IMF-fixdate, RFC 850 or asctime, as RFC 9110 requires recipients to accept)
/// counted from `now`; a date in the past means no wait. `None` without a readable header.
fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let at = parse_http_date(value)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Parses the three HTTP date formats (all in GMT).
fn parse_http_date(value: &str) -> Option<SystemTime> {
    const FORMATS: [&str; 3] = [
        "%a, %d %b %Y %H:%M:%S GMT",
        "%A, %d-%b-%y %H:%M:%S GMT",
        "%a %b %e %H:%M:%S %Y",
    ];
    FORMATS
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(value, format).ok())
        .map(|at| SystemTime::from(at.and_utc()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(RETRY_AFTER, HeaderValue::from_str(value).expect("header"));
        map
    }

    #[test]
    fn retry_after_reads_seconds_and_all_date_forms() {
        // 1994-11-06T08:49:37Z, the example date of RFC 9110.
        let date = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        let before = date - Duration::from_secs(30);
        assert_eq!(
            retry_after(&headers("120"), before),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            retry_after(&headers("1.5"), before),
            Some(Duration::from_millis(1500))
        );
        for form in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(
                retry_after(&headers(form), before),
                Some(Duration::from_secs(30)),
                "{form}"
            );
        }
        let after = date + Duration::from_secs(5);
        assert_eq!(
            retry_after(&headers("Sun, 06 Nov 1994 08:49:37 GMT"), after),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&headers("soon"), before), None);
        assert_eq!(retry_after(&headers("-3"), before), None);
        assert_eq!(retry_after(&HeaderMap::new(), before), None);
    }

    #[test]
    fn backoff_grows_and_stays_within_bounds() {
        let policy = RetryPolicy::new(5, Duration::from_secs(60));
        for retry in 0..10 {
            let full = policy
                .base_delay
                .saturating_mul(2u32.pow(retry))
                .min(policy.max_delay);
            let delay = policy.backoff(retry);
            assert!(delay >= full / 2 && delay <= full, "{retry}: {delay:?}");
        }
    }
}
