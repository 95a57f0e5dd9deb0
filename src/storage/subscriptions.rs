//! Subscriptions of officials' chats to an agency's summaries, the single-use codes that
//! authorize them, and the record of summaries sent.

use super::codes::stored_code;
use super::columns::{Flag, MaybeStamp, Stamp};
use super::outbox::{Effects, apply_effects};
use super::{Db, StorageError, timestamp};
use chrono::{DateTime, Utc};
use rand::Rng;

stored_code! {
    /// How often a subscription's summary comes: each week, month or year, on the first day of
    /// the next one.
    pub enum SubscriptionPeriod("subscription period") {
        Week = "week",
        Month = "month",
        Year = "year",
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SubscriptionCode {
    pub code: String,
    pub agency_code: String,
    pub points_max: Option<f64>,
    pub period: SubscriptionPeriod,
    pub weekday: u32,
    pub hour: u32,
    /// Attach the period's data as an XLSX workbook.
    pub xlsx: bool,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Subscription {
    pub id: i64,
    pub channel: String,
    pub chat_id: String,
    pub chat_title: Option<String>,
    pub agency_code: String,
    pub points_max: Option<f64>,
    pub period: SubscriptionPeriod,
    /// 1 = Monday … 7 = Sunday, Vietnam time.
    #[sqlx(try_from = "i64")]
    pub weekday: u32,
    #[sqlx(try_from = "i64")]
    pub hour: u32,
    #[sqlx(try_from = "Stamp")]
    pub next_run_at: DateTime<Utc>,
    #[sqlx(try_from = "Flag")]
    pub active: bool,
    #[sqlx(try_from = "Flag")]
    pub xlsx: bool,
}

/// A stored code as redeeming reads it.
#[derive(sqlx::FromRow)]
struct StoredCode {
    agency_code: String,
    points_max: Option<f64>,
    period: SubscriptionPeriod,
    #[sqlx(try_from = "i64")]
    weekday: u32,
    #[sqlx(try_from = "i64")]
    hour: u32,
    xlsx: i64,
    #[sqlx(try_from = "Stamp")]
    expires_at: DateTime<Utc>,
    #[sqlx(try_from = "MaybeStamp")]
    used_at: Option<DateTime<Utc>>,
}

/// Why a code did not subscribe the chat.
#[derive(Debug, thiserror::Error)]
pub enum RedeemError {
    #[error("unknown subscription code")]
    Unknown,
    #[error("subscription code expired")]
    Expired,
    #[error("subscription code already used")]
    Used,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<sqlx::Error> for RedeemError {
    fn from(err: sqlx::Error) -> Self {
        RedeemError::Storage(err.into())
    }
}

/// Codes are typed by hand in a chat: 12 characters without look-alikes (no 0/O, 1/I/L),
/// grouped as `ABCD-EFGH-JKMN`: about 60 bits, single use, short-lived.
pub fn new_code() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut rng = rand::rngs::OsRng;
    let raw: String = (0..12)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{}-{}-{}", &raw[..4], &raw[4..8], &raw[8..])
}

/// Codes are compared without dashes, spaces or case.
pub fn normalize_code(code: &str) -> String {
    let plain: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if plain.len() == 12 {
        format!("{}-{}-{}", &plain[..4], &plain[4..8], &plain[8..])
    } else {
        plain
    }
}

const SUBSCRIPTION_SELECT: &str =
    "SELECT id, channel, chat_id, chat_title, agency_code, points_max, period,
    weekday, hour, next_run_at, active, xlsx FROM subscriptions";

impl Db {
    pub async fn create_subscription_code(
        &self,
        code: &SubscriptionCode,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO subscription_codes (code, agency_code, points_max, weekday, hour, xlsx, expires_at, created_at, period)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&code.code)
        .bind(&code.agency_code)
        .bind(code.points_max)
        .bind(i64::from(code.weekday))
        .bind(i64::from(code.hour))
        .bind(i64::from(code.xlsx))
        .bind(timestamp(code.expires_at))
        .bind(timestamp(now))
        .bind(code.period)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Uses a code for a chat: the code is spent and the chat subscribed (or re-activated), with
    /// the effects (the confirmation message), in one transaction.
    // The chat's identity, the schedule and the reply all belong to one transaction.
    #[allow(clippy::too_many_arguments)]
    pub async fn redeem_subscription_code(
        &self,
        code: &str,
        channel: &str,
        chat_id: &str,
        chat_title: Option<&str>,
        next_run_at: impl FnOnce(SubscriptionPeriod, u32, u32) -> DateTime<Utc>,
        effects_for: impl FnOnce(&Subscription) -> Effects,
        now: DateTime<Utc>,
    ) -> Result<Subscription, RedeemError> {
        let mut tx = self.pool.begin().await?;
        let stored: StoredCode = sqlx::query_as(
            "SELECT agency_code, points_max, period, weekday, hour, xlsx, expires_at, used_at FROM subscription_codes WHERE code = $1",
        )
        .bind(code)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(RedeemError::Unknown)?;
        if stored.used_at.is_some() {
            return Err(RedeemError::Used);
        }
        if stored.expires_at <= now {
            return Err(RedeemError::Expired);
        }
        let spent = sqlx::query(
            "UPDATE subscription_codes SET used_at = $1, used_by_chat = $2 WHERE code = $3 AND used_at IS NULL",
        )
        .bind(timestamp(now))
        .bind(chat_id)
        .bind(code)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if spent == 0 {
            return Err(RedeemError::Used);
        }
        let StoredCode {
            agency_code,
            points_max,
            period,
            weekday,
            hour,
            xlsx,
            ..
        } = stored;
        sqlx::query(
            "INSERT INTO subscriptions (channel, chat_id, chat_title, agency_code, points_max, weekday, hour,
             next_run_at, active, created_at, xlsx, period) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10, $11)
             ON CONFLICT (channel, chat_id, agency_code) DO UPDATE SET active = 1, chat_title = excluded.chat_title,
             points_max = excluded.points_max, weekday = excluded.weekday, hour = excluded.hour,
             xlsx = excluded.xlsx, next_run_at = excluded.next_run_at, period = excluded.period",
        )
        .bind(channel)
        .bind(chat_id)
        .bind(chat_title)
        .bind(&agency_code)
        .bind(points_max)
        .bind(i64::from(weekday))
        .bind(i64::from(hour))
        .bind(timestamp(next_run_at(period, weekday, hour)))
        .bind(timestamp(now))
        .bind(xlsx)
        .bind(period)
        .execute(&mut *tx)
        .await?;
        let subscription: Subscription = sqlx::query_as(&format!(
            "{SUBSCRIPTION_SELECT} WHERE channel = $1 AND chat_id = $2 AND agency_code = $3"
        ))
        .bind(channel)
        .bind(chat_id)
        .bind(&agency_code)
        .fetch_one(&mut *tx)
        .await?;
        apply_effects(&mut tx, &effects_for(&subscription), now).await?;
        tx.commit().await?;
        Ok(subscription)
    }

    /// Ends every subscription of a chat, with its effects; returns how many ended.
    pub async fn unsubscribe(
        &self,
        channel: &str,
        chat_id: &str,
        effects: &Effects,
        now: DateTime<Utc>,
    ) -> Result<u64, StorageError> {
        let mut tx = self.pool.begin().await?;
        let ended = sqlx::query("UPDATE subscriptions SET active = 0 WHERE channel = $1 AND chat_id = $2 AND active = 1")
            .bind(channel)
            .bind(chat_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        apply_effects(&mut tx, effects, now).await?;
        tx.commit().await?;
        Ok(ended)
    }

    /// Every subscription, active first, by id.
    pub async fn subscriptions(&self) -> Result<Vec<Subscription>, StorageError> {
        Ok(
            sqlx::query_as(&format!("{SUBSCRIPTION_SELECT} ORDER BY active DESC, id"))
                .fetch_all(&self.pool)
                .await?,
        )
    }

    pub async fn chat_subscriptions(
        &self,
        channel: &str,
        chat_id: &str,
    ) -> Result<Vec<Subscription>, StorageError> {
        Ok(sqlx::query_as(&format!(
            "{SUBSCRIPTION_SELECT} WHERE channel = $1 AND chat_id = $2 AND active = 1 ORDER BY id"
        ))
        .bind(channel)
        .bind(chat_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Active subscriptions whose next summary is due.
    pub async fn due_subscriptions(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<Subscription>, StorageError> {
        Ok(sqlx::query_as(&format!(
            "{SUBSCRIPTION_SELECT} WHERE active = 1 AND next_run_at <= $1 ORDER BY next_run_at, id"
        ))
        .bind(timestamp(now))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Records the summary of `week` (the label of the period it covers: a week, a month or a
    /// year) for a subscription with its messages and moves the next run, in one transaction.
    /// `false` when that period was already sent (by this process before
    /// a restart, or by another instance): then only the next run moves.
    pub async fn record_summary_run(
        &self,
        subscription: &Subscription,
        week: &str,
        next_run_at: DateTime<Utc>,
        effects: &Effects,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let mut tx = self.pool.begin().await?;
        let claimed = sqlx::query(
            "INSERT INTO summary_runs (subscription_id, week, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (subscription_id, week) DO NOTHING",
        )
        .bind(subscription.id)
        .bind(week)
        .bind(timestamp(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if claimed == 1 {
            apply_effects(&mut tx, effects, now).await?;
        }
        sqlx::query("UPDATE subscriptions SET next_run_at = $1 WHERE id = $2 AND next_run_at < $1")
            .bind(timestamp(next_run_at))
            .bind(subscription.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(claimed == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_typeable_and_normalized() {
        let code = new_code();
        assert_eq!(code.len(), 14);
        assert_eq!(normalize_code(&code.to_lowercase().replace('-', " ")), code);
        assert_ne!(new_code(), code);
    }
}
