//! Sign-in throttling, per account and per client address, that never locks anyone out for good.
//!
//! Failures are counted per (login, address): after [`SIGN_IN_LIMIT`] in a row that pair waits
//! [`LOCK_MINUTES`]. An attacker elsewhere therefore cannot keep a known admin out: the admin's
//! own address has its own count, and every lock ends by itself. An address that fails
//! [`ADDRESS_LIMIT`] times across any logins (guessing many accounts) waits as long. Unknown
//! logins are counted like known ones, so the "locked" answer tells nothing about which exist.
//! The counts live in memory: a restart forgets them, which only ever shortens a wait.

use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// Failed sign-ins in a row, per (login, address), before a wait of [`LOCK_MINUTES`].
pub const SIGN_IN_LIMIT: u32 = 5;
/// Failed sign-ins from one address, across logins, before the same wait.
pub const ADDRESS_LIMIT: u32 = 20;
pub const LOCK_MINUTES: i64 = 15;
/// Past this many tracked keys, those not locked are forgotten (a bound on memory).
const MAX_KEYS: usize = 10_000;

#[derive(Clone, PartialEq, Eq, Hash)]
enum Key {
    Account(String, IpAddr),
    Address(IpAddr),
}

#[derive(Default)]
struct Count {
    failures: u32,
    locked_until: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct Throttle {
    counts: Mutex<HashMap<Key, Count>>,
}

impl Throttle {
    /// Whether `login` from `address` must wait before trying again.
    pub fn is_locked(&self, login: &str, address: IpAddr, now: DateTime<Utc>) -> bool {
        let mut counts = self.counts.lock().expect("throttle lock");
        [account(login, address), Key::Address(address)]
            .iter()
            .any(|key| match counts.get_mut(key) {
                Some(count) => match count.locked_until {
                    Some(until) if until > now => true,
                    // A lock that has ended starts a fresh count.
                    Some(_) => {
                        *count = Count::default();
                        false
                    }
                    None => false,
                },
                None => false,
            })
    }

    pub fn record_failure(&self, login: &str, address: IpAddr, now: DateTime<Utc>) {
        let mut counts = self.counts.lock().expect("throttle lock");
        if counts.len() >= MAX_KEYS {
            counts.retain(|_, count| count.locked_until.is_some_and(|until| until > now));
        }
        for (key, limit) in [
            (account(login, address), SIGN_IN_LIMIT),
            (Key::Address(address), ADDRESS_LIMIT),
        ] {
            let count = counts.entry(key).or_default();
            count.failures += 1;
            if count.failures >= limit {
                count.locked_until = Some(now + Duration::minutes(LOCK_MINUTES));
            }
        }
    }

    /// A successful sign-in clears its (login, address) count; the address's count stays, so
    /// one known password does not reset a spray across other accounts.
    pub fn record_success(&self, login: &str, address: IpAddr) {
        let mut counts = self.counts.lock().expect("throttle lock");
        counts.remove(&account(login, address));
    }
}

/// Logins are compared as typed but without case, as people type them.
fn account(login: &str, address: IpAddr) -> Key {
    Key::Account(login.to_lowercase(), address)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + Duration::minutes(minutes)
    }

    #[test]
    fn a_lock_is_per_login_and_address_and_ends_by_itself() {
        let throttle = Throttle::default();
        let attacker: IpAddr = "203.0.113.9".parse().unwrap();
        let office: IpAddr = "10.0.0.7".parse().unwrap();
        for _ in 0..SIGN_IN_LIMIT {
            assert!(!throttle.is_locked("admin", attacker, at(0)));
            throttle.record_failure("admin", attacker, at(0));
        }
        assert!(throttle.is_locked("admin", attacker, at(1)));
        assert!(throttle.is_locked("ADMIN", attacker, at(1)));
        assert!(
            !throttle.is_locked("admin", office, at(1)),
            "the admin's own address"
        );
        assert!(!throttle.is_locked("admin", attacker, at(LOCK_MINUTES + 1)));
        throttle.record_failure("admin", attacker, at(LOCK_MINUTES + 1));
        assert!(
            !throttle.is_locked("admin", attacker, at(LOCK_MINUTES + 1)),
            "a fresh count after the lock"
        );
    }

    #[test]
    fn an_address_guessing_many_logins_waits_too() {
        let throttle = Throttle::default();
        let sprayer: IpAddr = "203.0.113.10".parse().unwrap();
        for n in 0..ADDRESS_LIMIT {
            throttle.record_failure(&format!("user{n}"), sprayer, at(0));
        }
        assert!(throttle.is_locked("someone-else", sprayer, at(1)));
        assert!(!throttle.is_locked("someone-else", "10.0.0.8".parse().unwrap(), at(1)));
    }
}
