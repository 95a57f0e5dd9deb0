//! The Zalo channel's rows: the webhook inbox (the token pair is in `zalo_tokens.rs`).
//!
//! Receipt codes ([`Db::create_receipt_code`], [`Db::redeem_receipt_code`]) let a citizen holding
//! the paper receipt start in the OA chat; wrong codes are counted per Zalo user.

use super::{Backend, Db, StorageError, parse_timestamp, timestamp};
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use sqlx::{Any, Row, Transaction};

/// An event waiting in the inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZaloInboxEvent {
    pub id: i64,
    pub dedup_key: String,
    pub event_name: String,
    /// The raw body, as Zalo signed it.
    pub body: String,
    /// Processing attempts before this one.
    pub attempts: i64,
}

/// Why a receipt code did not open an invitation.
#[derive(Debug, thiserror::Error)]
pub enum ReceiptCodeError {
    #[error("unknown receipt code")]
    Unknown,
    #[error("receipt code expired")]
    Expired,
    #[error("receipt code already used by another Zalo user")]
    Used,
    #[error("too many wrong codes from this Zalo user; wait before trying again")]
    TooManyAttempts,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<sqlx::Error> for ReceiptCodeError {
    fn from(err: sqlx::Error) -> Self {
        ReceiptCodeError::Storage(err.into())
    }
}

/// How many wrong codes a Zalo user may send within a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptLimit {
    pub max_failures: i64,
    pub window: Duration,
}

/// Eight characters without look-alikes (no 0/O, 1/I/L), grouped as `ABCD-EFGH`: easy to type
/// from paper, about 40 bits, so with a few wrong attempts allowed per hour it cannot be guessed.
pub fn new_receipt_code() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut rng = rand::rngs::OsRng;
    let raw: String = (0..8)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{}-{}", &raw[..4], &raw[4..])
}

/// A typed code in its stored form: case, spaces and dashes do not matter.
pub fn normalize_receipt_code(text: &str) -> Option<String> {
    let plain: String = text
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let only_separators = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '.'));
    (plain.len() == 8 && only_separators).then(|| format!("{}-{}", &plain[..4], &plain[4..]))
}

impl Db {
    /// Stores a webhook event; `true` the first time its key is seen, `false` for a repeat.
    pub async fn store_zalo_event(
        &self,
        dedup_key: &str,
        event_name: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let result = sqlx::query(
            "INSERT INTO zalo_events (dedup_key, event_name, body, received_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT (dedup_key) DO NOTHING",
        )
        .bind(dedup_key)
        .bind(event_name)
        .bind(body)
        .bind(timestamp(now))
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Claims up to `limit` unprocessed events, oldest first, for `owner` until `lease_until`.
    /// An event whose lease has run out (its instance died) is claimed again.
    pub async fn claim_zalo_events(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<ZaloInboxEvent>, StorageError> {
        // The conditions are repeated outside the sub-query: PostgreSQL re-checks them on a row
        // another instance claimed meanwhile, so one event is never claimed twice.
        let rows = sqlx::query(
            "UPDATE zalo_events SET lease_owner = $1, lease_until = $2, attempts = attempts + 1
             WHERE id IN (SELECT id FROM zalo_events
                          WHERE processed_at IS NULL AND (lease_until IS NULL OR lease_until < $3)
                          ORDER BY id LIMIT $4)
               AND processed_at IS NULL AND (lease_until IS NULL OR lease_until < $3)
             RETURNING id, dedup_key, event_name, body, attempts",
        )
        .bind(owner)
        .bind(timestamp(lease_until))
        .bind(timestamp(now))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut events: Vec<ZaloInboxEvent> = rows
            .iter()
            .map(|row| {
                Ok(ZaloInboxEvent {
                    id: row.try_get("id")?,
                    dedup_key: row.try_get("dedup_key")?,
                    event_name: row.try_get("event_name")?,
                    body: row.try_get("body")?,
                    attempts: row.try_get::<i64, _>("attempts")? - 1,
                })
            })
            .collect::<Result<_, sqlx::Error>>()?;
        events.sort_by_key(|event| event.id);
        Ok(events)
    }

    /// Marks an event processed, so it is never claimed again.
    pub async fn finish_zalo_event(&self, id: i64, now: DateTime<Utc>) -> Result<(), StorageError> {
        sqlx::query(
            "UPDATE zalo_events SET processed_at = $2, lease_owner = NULL, lease_until = NULL
             WHERE id = $1",
        )
        .bind(id)
        .bind(timestamp(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Gives an event back after a failure, to be claimed again from `retry_at`.
    pub async fn fail_zalo_event(
        &self,
        id: i64,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        sqlx::query(
            "UPDATE zalo_events SET last_error = $2, lease_owner = NULL, lease_until = $3
             WHERE id = $1",
        )
        .bind(id)
        .bind(error)
        .bind(timestamp(retry_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Deletes processed events received before `before`. Callers pass a horizon no shorter than
    /// `ZALO_EVENT_MAX_AGE_HOURS`: a late retry of an event still finds its key and changes
    /// nothing. How many were deleted.
    pub async fn purge_zalo_events(&self, before: DateTime<Utc>) -> Result<u64, StorageError> {
        let done = sqlx::query(
            "DELETE FROM zalo_events WHERE processed_at IS NOT NULL AND received_at < $1",
        )
        .bind(timestamp(before))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }
}

/// Creates the receipt code of a new invitation in the transaction that creates it: a random
/// code drawn again on the rare collision with another invitation's.
pub(super) async fn insert_receipt_code(
    tx: &mut Transaction<'static, Any>,
    invitation_token: &str,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<String, StorageError> {
    loop {
        let code = new_receipt_code();
        let inserted = sqlx::query(
            "INSERT INTO zalo_receipt_codes (code, invitation_token, created_at, expires_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(&code)
        .bind(invitation_token)
        .bind(timestamp(now))
        .bind(timestamp(expires_at))
        .execute(&mut **tx)
        .await?;
        if inserted.rows_affected() == 1 {
            return Ok(code);
        }
    }
}

impl Db {
    /// The receipt code of an invitation, if it has one.
    pub async fn receipt_code(
        &self,
        invitation_token: &str,
    ) -> Result<Option<String>, StorageError> {
        Ok(
            sqlx::query_scalar("SELECT code FROM zalo_receipt_codes WHERE invitation_token = $1")
                .bind(invitation_token)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Creates the receipt code of an invitation (one per invitation: a second call gives the
    /// same code).
    pub async fn create_receipt_code(
        &self,
        invitation_token: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<String, StorageError> {
        loop {
            let code = new_receipt_code();
            let inserted = sqlx::query(
                "INSERT INTO zalo_receipt_codes (code, invitation_token, created_at, expires_at)
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            )
            .bind(&code)
            .bind(invitation_token)
            .bind(timestamp(now))
            .bind(timestamp(expires_at))
            .execute(&self.pool)
            .await?;
            if inserted.rows_affected() == 1 {
                return Ok(code);
            }
            let existing: Option<String> = sqlx::query_scalar(
                "SELECT code FROM zalo_receipt_codes WHERE invitation_token = $1",
            )
            .bind(invitation_token)
            .fetch_optional(&self.pool)
            .await?;
            if let Some(existing) = existing {
                return Ok(existing);
            }
            // The random code collided with another invitation's: draw again.
        }
    }

    /// Opens a receipt code for `zalo_user_id`: the invitation's token, the first time and
    /// again for the same user. A code that matches nothing counts as a wrong attempt; after
    /// `limit.max_failures` within `limit.window`, every code is refused until the window ends
    /// (a right code does not reset the count, or one real code would unlock guessing).
    pub async fn redeem_receipt_code(
        &self,
        typed: &str,
        zalo_user_id: &str,
        limit: AttemptLimit,
        now: DateTime<Utc>,
    ) -> Result<String, ReceiptCodeError> {
        let mut tx = self.pool.begin().await?;
        // A write first: the writer lock on SQLite, the row's creation on PostgreSQL.
        sqlx::query(
            "INSERT INTO zalo_code_attempts (zalo_user_id, window_started_at, failures)
             VALUES ($1, $2, 0) ON CONFLICT (zalo_user_id) DO NOTHING",
        )
        .bind(zalo_user_id)
        .bind(timestamp(now))
        .execute(&mut *tx)
        .await?;
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        };
        let row = sqlx::query(&format!(
            "SELECT window_started_at, failures FROM zalo_code_attempts WHERE zalo_user_id = $1{lock}"
        ))
        .bind(zalo_user_id)
        .fetch_one(&mut *tx)
        .await?;
        let started = parse_timestamp(&row.try_get::<String, _>("window_started_at")?)?;
        let mut failures: i64 = row.try_get("failures")?;
        if started + limit.window <= now {
            failures = 0;
            sqlx::query(
                "UPDATE zalo_code_attempts SET window_started_at = $2, failures = 0
                 WHERE zalo_user_id = $1",
            )
            .bind(zalo_user_id)
            .bind(timestamp(now))
            .execute(&mut *tx)
            .await?;
        }
        if failures >= limit.max_failures {
            tx.commit().await?;
            return Err(ReceiptCodeError::TooManyAttempts);
        }
        let found = match normalize_receipt_code(typed) {
            None => None,
            Some(code) => {
                sqlx::query(
                    "SELECT code, invitation_token, expires_at, used_by FROM zalo_receipt_codes
                 WHERE code = $1",
                )
                .bind(code)
                .fetch_optional(&mut *tx)
                .await?
            }
        };
        let Some(found) = found else {
            sqlx::query(
                "UPDATE zalo_code_attempts SET failures = failures + 1 WHERE zalo_user_id = $1",
            )
            .bind(zalo_user_id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            return Err(ReceiptCodeError::Unknown);
        };
        let used_by: Option<String> = found.try_get("used_by")?;
        let result = if used_by.as_deref().is_some_and(|user| user != zalo_user_id) {
            Err(ReceiptCodeError::Used)
        } else if parse_timestamp(&found.try_get::<String, _>("expires_at")?)? <= now {
            Err(ReceiptCodeError::Expired)
        } else {
            if used_by.is_none() {
                sqlx::query(
                    "UPDATE zalo_receipt_codes SET used_by = $2, used_at = $3 WHERE code = $1",
                )
                .bind(found.try_get::<String, _>("code")?)
                .bind(zalo_user_id)
                .bind(timestamp(now))
                .execute(&mut *tx)
                .await?;
            }
            Ok(found.try_get::<String, _>("invitation_token")?)
        };
        tx.commit().await?;
        result
    }
}
