//! A paused Zalo sender: one row per OA while an error no retry can cure (configuration, a
//! refused refresh token) stops it. The delivery of Zalo's outbox rows waits while the row is
//! there; an operator's resume deletes it and makes every waiting row due at once.

use super::OutboxStatus;
use super::{Db, StorageError, parse_timestamp, timestamp};
use chrono::{DateTime, Utc};
use sqlx::Row;

/// Why and since when the Zalo sender of an OA is paused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZaloPause {
    /// `oa`, `business` or `oauth`: the host whose answer paused it.
    pub host: String,
    pub code: i64,
    /// Zalo's message, or the OAuth error's `error_name` (never a token).
    pub reason: String,
    pub paused_at: DateTime<Utc>,
}

impl Db {
    /// Pauses the Zalo sender of `oa_id`; `true` when it was not paused before (the first error
    /// is the one kept).
    pub async fn pause_zalo(&self, oa_id: &str, pause: &ZaloPause) -> Result<bool, StorageError> {
        let done = sqlx::query(
            "INSERT INTO zalo_pause (oa_id, host, code, reason, paused_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (oa_id) DO NOTHING",
        )
        .bind(oa_id)
        .bind(&pause.host)
        .bind(pause.code)
        .bind(&pause.reason)
        .bind(timestamp(pause.paused_at))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Whether (and why) the Zalo sender of `oa_id` is paused.
    pub async fn zalo_pause(&self, oa_id: &str) -> Result<Option<ZaloPause>, StorageError> {
        let row =
            sqlx::query("SELECT host, code, reason, paused_at FROM zalo_pause WHERE oa_id = $1")
                .bind(oa_id)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|row| {
            Ok(ZaloPause {
                host: row.try_get("host")?,
                code: row.try_get("code")?,
                reason: row.try_get("reason")?,
                paused_at: parse_timestamp(&row.try_get::<String, _>("paused_at")?)?,
            })
        })
        .transpose()
    }

    /// Any paused OA (for `/healthz` and the console, which do not know the OA's id).
    pub async fn any_zalo_pause(&self) -> Result<Option<ZaloPause>, StorageError> {
        let oa: Option<String> =
            sqlx::query_scalar("SELECT oa_id FROM zalo_pause ORDER BY paused_at LIMIT 1")
                .fetch_optional(&self.pool)
                .await?;
        match oa {
            Some(oa) => self.zalo_pause(&oa).await,
            None => Ok(None),
        }
    }

    /// Resumes every paused Zalo sender: deletes the pause and makes Zalo's waiting outbox rows
    /// due at `now`, so they go at the worker's next pass. The pause that was lifted, if any.
    pub async fn resume_zalo(&self, now: DateTime<Utc>) -> Result<Option<ZaloPause>, StorageError> {
        let pause = self.any_zalo_pause().await?;
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM zalo_pause")
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE outbox SET next_attempt_at = $1
             WHERE channel = 'zalo' AND status = $2 AND next_attempt_at > $1",
        )
        .bind(timestamp(now))
        .bind(OutboxStatus::Pending)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(pause)
    }
}
