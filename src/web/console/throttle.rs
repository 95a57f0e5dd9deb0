//! Sign-in throttling, counted in the database before a password is checked, so every instance
//! shares the count and forty guesses at once cannot all reach argon2.
//!
//! Each attempt is counted first (one atomic upsert returning the count, `storage/sign_in.rs`),
//! per account: past [`SIGN_IN_LIMIT`] attempts in a window of [`LOCK_MINUTES`] the account
//! waits until the window ends, whoever asks and from wherever. A successful sign-in clears its
//! account's count. Per address the limit is much higher, [`ADDRESS_LIMIT`], and it never
//! applies to a device that signed in as that login before (a remembered device cookie): behind
//! the reverse proxy the README prescribes every user shares one address, and a spray from it
//! must not lock out the people who work there. Unknown logins are counted like known ones, so
//! "locked" tells nothing about which exist; every lock ends by itself.

use crate::storage::{Db, StorageError};
use chrono::{DateTime, Duration, Utc};
use std::net::IpAddr;

/// Attempts per account in a window of [`LOCK_MINUTES`]; the next one waits for the window's
/// end.
pub const SIGN_IN_LIMIT: i64 = 5;
/// Attempts from one address across logins in a window, for devices not remembered.
pub const ADDRESS_LIMIT: i64 = 100;
pub const LOCK_MINUTES: i64 = 15;
/// How long a device that signed in is remembered.
pub const DEVICE_DAYS: i64 = 90;

/// What a counted attempt may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Within the limits: check the password.
    Verify,
    /// Over a limit: refused without checking the password.
    Locked,
}

/// The sign-in throttle (its counts are in the database).
#[derive(Debug, Default)]
pub struct Throttle;

impl Throttle {
    pub fn window(&self) -> Duration {
        Duration::minutes(LOCK_MINUTES)
    }

    /// Counts this attempt and says whether it may check a password. `known_device`: the
    /// request carries the cookie of a device that signed in as `login` before.
    pub async fn admit(
        &self,
        db: &Db,
        login: &str,
        address: IpAddr,
        known_device: bool,
        now: DateTime<Utc>,
    ) -> Result<Admission, StorageError> {
        let account = db
            .count_attempt(&account_key(login), self.window(), now)
            .await?;
        if account > SIGN_IN_LIMIT {
            return Ok(Admission::Locked);
        }
        if !known_device {
            let from_address = db
                .count_attempt(&format!("address:{address}"), self.window(), now)
                .await?;
            if from_address > ADDRESS_LIMIT {
                return Ok(Admission::Locked);
            }
        }
        Ok(Admission::Verify)
    }

    /// A successful sign-in clears its account's count; the address's count stays, so one
    /// known password does not reset a spray across other accounts.
    pub async fn succeeded(&self, db: &Db, login: &str) -> Result<(), StorageError> {
        db.clear_sign_in_attempts(&account_key(login)).await
    }
}

/// Logins are compared as typed but without case, as people type them; a key keeps at most
/// 64 characters (no login is longer), so a megabyte-long guess stores no megabyte.
fn account_key(login: &str) -> String {
    let login: String = login.to_lowercase().chars().take(64).collect();
    format!("account:{login}")
}
