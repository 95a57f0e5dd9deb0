//! The intake's limits per client: a token bucket of `INTAKE_RATE_PER_SECOND` notices a second
//! (with a burst of as many), and the time a request may take to send its body and to be
//! answered (`INTAKE_TIMEOUT_SECONDS`). One client that loops or hangs must not starve the
//! others or hold a connection and a database transaction open for ever.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The default rate: far above what a province's one-stop systems send, low enough to stop a loop.
pub const DEFAULT_RATE_PER_SECOND: u32 = 200;
/// The default time a notice may take, body included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub struct IntakeLimits {
    rate_per_second: f64,
    burst: f64,
    pub timeout: Duration,
    /// Wall-clock buckets by client name: the rate is about real load, not the survey clock.
    buckets: Mutex<HashMap<String, Bucket>>,
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
        }
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
}
