//! The intake's limits per client: a token bucket of `INTAKE_RATE_PER_SECOND` notices a second
//! (with a burst of as many), and the time a request may take to send its body and to be
//! answered (`INTAKE_TIMEOUT_SECONDS`). One client that loops or hangs must not starve the
//! others or hold a connection and a database transaction open for ever.
//!
//! Calls that fail to authenticate are limited per client address too
//! ([`UNAUTHENTICATED_PER_SECOND`], a burst of [`UNAUTHENTICATED_BURST`]): past it, a named
//! token is not looked up in the database for that address until its bucket refills, so a
//! stream of wrong tokens costs one map look-up each, not a query.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The default rate: far above what a province's one-stop systems send, low enough to stop a loop.
pub const DEFAULT_RATE_PER_SECOND: u32 = 200;
/// The default time a notice may take, body included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Failed authentications an address may make a second, after a burst of
/// [`UNAUTHENTICATED_BURST`].
pub const UNAUTHENTICATED_PER_SECOND: f64 = 1.0;
pub const UNAUTHENTICATED_BURST: f64 = 10.0;
/// Past this many tracked addresses, the full buckets are forgotten (a bound on memory).
const MAX_ADDRESSES: usize = 10_000;

#[derive(Debug)]
pub struct IntakeLimits {
    rate_per_second: f64,
    burst: f64,
    pub timeout: Duration,
    /// Wall-clock buckets by client name: the rate is about real load, not the survey clock.
    buckets: Mutex<HashMap<String, Bucket>>,
    /// Buckets of failed authentications, by address.
    unauthenticated: Mutex<HashMap<std::net::IpAddr, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl IntakeLimits {
    pub fn new(rate_per_second: u32, timeout: Duration) -> IntakeLimits {
        let rate = f64::from(rate_per_second.max(1));
        IntakeLimits {
            rate_per_second: rate,
            burst: rate,
            timeout,
            buckets: Mutex::new(HashMap::new()),
            unauthenticated: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `address` may try a token now; `Err(seconds)` when its failures used its bucket.
    pub fn may_authenticate(&self, address: std::net::IpAddr) -> Result<(), u64> {
        self.may_authenticate_at(address, Instant::now())
    }

    /// Counts one failed authentication of `address`.
    pub fn failed_authentication(&self, address: std::net::IpAddr) {
        self.failed_at(address, Instant::now())
    }

    fn refill(bucket: &mut Bucket, now: Instant) {
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens =
            (bucket.tokens + elapsed * UNAUTHENTICATED_PER_SECOND).min(UNAUTHENTICATED_BURST);
        bucket.at = now;
    }

    fn may_authenticate_at(&self, address: std::net::IpAddr, now: Instant) -> Result<(), u64> {
        let mut buckets = self
            .unauthenticated
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let Some(bucket) = buckets.get_mut(&address) else {
            return Ok(());
        };
        Self::refill(bucket, now);
        match bucket.tokens >= 1.0 {
            true => Ok(()),
            false => Err(((1.0 - bucket.tokens) / UNAUTHENTICATED_PER_SECOND)
                .ceil()
                .max(1.0) as u64),
        }
    }

    fn failed_at(&self, address: std::net::IpAddr, now: Instant) {
        let mut buckets = self
            .unauthenticated
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_ADDRESSES {
            buckets.retain(|_, bucket| {
                Self::refill(bucket, now);
                bucket.tokens < UNAUTHENTICATED_BURST
            });
        }
        let bucket = buckets.entry(address).or_insert(Bucket {
            tokens: UNAUTHENTICATED_BURST,
            at: now,
        });
        Self::refill(bucket, now);
        bucket.tokens = (bucket.tokens - 1.0).max(0.0);
    }

    /// Takes one notice from `client`'s bucket; `Err(seconds)` says when the next one fits.
    pub fn admit(&self, client: &str) -> Result<(), u64> {
        self.admit_at(client, Instant::now())
    }

    fn admit_at(&self, client: &str, now: Instant) -> Result<(), u64> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = buckets.entry(client.to_string()).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate_per_second).min(self.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / self.rate_per_second;
            Err(wait.ceil().max(1.0) as u64)
        }
    }
}

impl Default for IntakeLimits {
    fn default() -> Self {
        IntakeLimits::new(DEFAULT_RATE_PER_SECOND, DEFAULT_TIMEOUT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_rate_holds_per_client() {
        let limits = IntakeLimits::new(2, DEFAULT_TIMEOUT);
        let start = Instant::now();
        assert_eq!(limits.admit_at("a", start), Ok(()));
        assert_eq!(limits.admit_at("a", start), Ok(()));
        assert_eq!(limits.admit_at("a", start), Err(1));
        // Another client has its own bucket.
        assert_eq!(limits.admit_at("b", start), Ok(()));
        // Half a second later one more notice fits at 2 a second.
        let later = start + Duration::from_millis(500);
        assert_eq!(limits.admit_at("a", later), Ok(()));
        assert_eq!(limits.admit_at("a", later), Err(1));
    }

    #[test]
    fn failed_authentications_are_limited_per_address() {
        let limits = IntakeLimits::default();
        let (prober, other) = ("203.0.113.9".parse().unwrap(), "10.0.0.7".parse().unwrap());
        let start = Instant::now();
        for _ in 0..UNAUTHENTICATED_BURST as usize {
            assert_eq!(limits.may_authenticate_at(prober, start), Ok(()));
            limits.failed_at(prober, start);
        }
        assert_eq!(limits.may_authenticate_at(prober, start), Err(1));
        assert_eq!(limits.may_authenticate_at(other, start), Ok(()));
        let later = start + Duration::from_secs(1);
        assert_eq!(limits.may_authenticate_at(prober, later), Ok(()));
    }
}
