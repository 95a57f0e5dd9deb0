//! Console sign-in state every instance shares: attempts counted before a password is checked,
//! devices that signed in before, and the deletion of expired sessions. The attempt windows
//! also keep `/report`'s cooldown per chat (key `report:<channel>:<chat>`).
//!
//! An attempt is counted with one upsert that returns the new count, so forty guesses at once
//! get forty distinct counts and only those within the limit go on to argon2. A count lives in
//! a window: the first attempt after the window has passed starts a fresh one.

use super::{Db, StorageError, timestamp};
use chrono::{DateTime, Duration, Utc};

impl Db {
    /// Counts one attempt under `key` (say `account:admin` or `address:203.0.113.9`) and
    /// returns the count within the current window, this attempt included. A window older
    /// than `window` is restarted by this attempt.
    pub async fn count_attempt(
        &self,
        key: &str,
        window: Duration,
        now: DateTime<Utc>,
    ) -> Result<i64, StorageError> {
        let count: i64 = sqlx::query_scalar(
            "INSERT INTO sign_in_attempts (key, attempts, window_start) VALUES ($1, 1, $2)
             ON CONFLICT (key) DO UPDATE SET
                 attempts = CASE WHEN sign_in_attempts.window_start <= $3 THEN 1
                                 ELSE sign_in_attempts.attempts + 1 END,
                 window_start = CASE WHEN sign_in_attempts.window_start <= $3 THEN $2
                                     ELSE sign_in_attempts.window_start END
             RETURNING attempts",
        )
        .bind(key)
        .bind(timestamp(now))
        .bind(timestamp(now - window))
        .fetch_one(&self.pool)
        .await?;
        Ok(count)
    }

    /// Forgets the attempts under `key` (a successful sign-in clears its account's count).
    pub async fn clear_sign_in_attempts(&self, key: &str) -> Result<(), StorageError> {
        sqlx::query("DELETE FROM sign_in_attempts WHERE key = $1")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Remembers a device that signed in as `login` until `expires_at` (its cookie's hash).
    pub async fn remember_sign_in_device(
        &self,
        token_hash: &str,
        login: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO sign_in_devices (token_hash, login, expires_at) VALUES ($1, $2, $3)
             ON CONFLICT (token_hash) DO UPDATE SET login = $2, expires_at = $3",
        )
        .bind(token_hash)
        .bind(login.to_lowercase())
        .bind(timestamp(expires_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Whether the device whose cookie hashes to `token_hash` signed in as `login` before and
    /// is still remembered.
    pub async fn is_known_sign_in_device(
        &self,
        token_hash: &str,
        login: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM sign_in_devices WHERE token_hash = $1 AND login = $2 AND expires_at > $3",
        )
        .bind(token_hash)
        .bind(login.to_lowercase())
        .bind(timestamp(now))
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    /// Deletes expired web sessions, sessions idle for longer than `idle`, remembered devices
    /// past their time and attempt windows older than `window`; returns the sessions deleted.
    pub async fn purge_sign_in_state(
        &self,
        idle: Duration,
        window: Duration,
        now: DateTime<Utc>,
    ) -> Result<u64, StorageError> {
        let sessions = sqlx::query(
            "DELETE FROM web_sessions WHERE expires_at <= $1
             OR COALESCE(last_seen_at, created_at) <= $2",
        )
        .bind(timestamp(now))
        .bind(timestamp(now - idle))
        .execute(&self.pool)
        .await?
        .rows_affected();
        sqlx::query("DELETE FROM sign_in_devices WHERE expires_at <= $1")
            .bind(timestamp(now))
            .execute(&self.pool)
            .await?;
        sqlx::query("DELETE FROM sign_in_attempts WHERE window_start <= $1")
            .bind(timestamp(now - window))
            .execute(&self.pool)
            .await?;
        Ok(sessions)
    }
}
