//! The durable outbox, and the effects of handling one inbound message.
//!
//! Handling a message changes state and causes replies. Both are written in one transaction:
//! the inbound message id (so a redelivery is recognised), the state change, and the outgoing
//! messages as outbox rows. A worker sends the rows later; a crash loses nothing.

use super::{Db, StorageError, parse_timestamp, timestamp};
use chrono::{DateTime, Utc};
use sqlx::{Any, Row, Transaction};

/// A message to send, as the channel that sends it encodes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub channel: String,
    pub chat_id: String,
    /// What to do: `send_message`, `edit_message`, … (the channel's vocabulary).
    pub kind: String,
    /// The channel's own JSON payload.
    pub payload: serde_json::Value,
    /// The invitation this message serves: a permanent refusal marks it undeliverable.
    pub invitation_token: Option<String>,
}

/// What handling one inbound message does besides its own state change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Effects {
    /// `(channel, message id)` of the inbound message, recorded once.
    pub inbound: Option<(String, String)>,
    pub outgoing: Vec<Outgoing>,
}

impl Effects {
    pub fn from_inbound(channel: &str, message_id: &str) -> Effects {
        Effects {
            inbound: Some((channel.to_string(), message_id.to_string())),
            outgoing: Vec::new(),
        }
    }

    pub fn push(&mut self, outgoing: Outgoing) {
        self.outgoing.push(outgoing);
    }
}

/// One outbox row to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub id: i64,
    pub channel: String,
    pub chat_id: String,
    pub kind: String,
    pub payload: serde_json::Value,
    pub invitation_token: Option<String>,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
}

/// How a delivery attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// Try again at this time (rate limit, server error, time-out).
    RetryAt(DateTime<Utc>, String),
    /// The recipient cannot be reached (blocked the bot, never started it): never retried.
    Undeliverable(String),
}

/// Records the effects inside `tx`. Returns `false` when the inbound message was seen before:
/// the caller must roll back and do nothing.
pub(super) async fn apply_effects(
    tx: &mut Transaction<'_, Any>,
    effects: &Effects,
    now: DateTime<Utc>,
) -> Result<bool, StorageError> {
    if let Some((channel, message_id)) = &effects.inbound {
        let fresh = sqlx::query(
            "INSERT INTO inbound_messages (channel, message_id, seen_at) VALUES ($1, $2, $3)
             ON CONFLICT (channel, message_id) DO NOTHING",
        )
        .bind(channel)
        .bind(message_id)
        .bind(timestamp(now))
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if fresh == 0 {
            return Ok(false);
        }
    }
    for outgoing in &effects.outgoing {
        sqlx::query(
            "INSERT INTO outbox (channel, chat_id, kind, payload, invitation_token, status, attempts,
             next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6)",
        )
        .bind(&outgoing.channel)
        .bind(&outgoing.chat_id)
        .bind(&outgoing.kind)
        .bind(outgoing.payload.to_string())
        .bind(outgoing.invitation_token.as_deref())
        .bind(timestamp(now))
        .execute(&mut **tx)
        .await?;
    }
    Ok(true)
}

impl Db {
    /// Records effects that come with no other state change (a help text, an error reply).
    /// `false` when the inbound message was seen before (nothing is recorded then).
    pub async fn record_effects(
        &self,
        effects: &Effects,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let mut tx = self.pool.begin().await?;
        if !apply_effects(&mut tx, effects, now).await? {
            tx.rollback().await?;
            return Ok(false);
        }
        tx.commit().await?;
        Ok(true)
    }

    /// The pending rows of `channel` in order, up to `limit`, due or not: the sender keeps each
    /// chat's order by stopping at a chat's first row that is not yet due.
    pub async fn pending_outbox(
        &self,
        channel: &str,
        limit: i64,
    ) -> Result<Vec<OutboxRow>, StorageError> {
        let rows = sqlx::query(
            "SELECT id, channel, chat_id, kind, payload, invitation_token, attempts, next_attempt_at
             FROM outbox WHERE channel = $1 AND status = 'pending' ORDER BY id LIMIT $2",
        )
        .bind(channel)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let payload: String = row.try_get("payload")?;
                let next: String = row.try_get("next_attempt_at")?;
                Ok(OutboxRow {
                    id: row.try_get("id")?,
                    channel: row.try_get("channel")?,
                    chat_id: row.try_get("chat_id")?,
                    kind: row.try_get("kind")?,
                    payload: serde_json::from_str(&payload)
                        .map_err(|err| StorageError::Corrupt(format!("outbox payload: {err}")))?,
                    invitation_token: row.try_get("invitation_token")?,
                    attempts: row.try_get("attempts")?,
                    next_attempt_at: parse_timestamp(&next)?,
                })
            })
            .collect()
    }

    /// Claims a row for sending; `false` when another worker has it.
    pub async fn claim_outbox(&self, id: i64, now: DateTime<Utc>) -> Result<bool, StorageError> {
        let claimed = sqlx::query(
            "UPDATE outbox SET status = 'sending', attempts = attempts + 1, next_attempt_at = $1
             WHERE id = $2 AND status = 'pending'",
        )
        .bind(timestamp(now))
        .bind(id)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(claimed == 1)
    }

    /// Records how a claimed row's delivery ended.
    pub async fn finish_outbox(
        &self,
        row: &OutboxRow,
        delivery: &Delivery,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let mut tx = self.pool.begin().await?;
        match delivery {
            Delivery::Sent => {
                sqlx::query("UPDATE outbox SET status = 'sent', sent_at = $1, last_error = NULL WHERE id = $2")
                    .bind(timestamp(now))
                    .bind(row.id)
                    .execute(&mut *tx)
                    .await?;
            }
            Delivery::RetryAt(at, error) => {
                sqlx::query("UPDATE outbox SET status = 'pending', next_attempt_at = $1, last_error = $2 WHERE id = $3")
                    .bind(timestamp(*at))
                    .bind(error)
                    .bind(row.id)
                    .execute(&mut *tx)
                    .await?;
            }
            Delivery::Undeliverable(error) => {
                sqlx::query(
                    "UPDATE outbox SET status = 'undeliverable', last_error = $1 WHERE id = $2",
                )
                .bind(error)
                .bind(row.id)
                .execute(&mut *tx)
                .await?;
                // Nothing more can reach this chat: later rows for it would fail the same way.
                sqlx::query(
                    "UPDATE outbox SET status = 'undeliverable', last_error = $1
                     WHERE channel = $2 AND chat_id = $3 AND status = 'pending'",
                )
                .bind(error)
                .bind(&row.channel)
                .bind(&row.chat_id)
                .execute(&mut *tx)
                .await?;
                if let Some(token) = &row.invitation_token {
                    sqlx::query(
                        "UPDATE invitations SET status = 'undeliverable', updated_at = $1
                         WHERE token = $2 AND status <> 'completed'",
                    )
                    .bind(timestamp(now))
                    .bind(token)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Returns rows left `sending` by a process that stopped mid-send to the queue. A message
    /// whose send succeeded just before the stop may go out again: the only window where a
    /// row can be sent twice, chosen over losing it.
    pub async fn requeue_stale_outbox(
        &self,
        older_than: DateTime<Utc>,
    ) -> Result<u64, StorageError> {
        let result = sqlx::query("UPDATE outbox SET status = 'pending' WHERE status = 'sending' AND next_attempt_at < $1")
            .bind(timestamp(older_than))
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected())
    }

    /// Rows not yet delivered, by channel and status, for `/metrics` (sent rows are history).
    pub async fn outbox_depth(&self) -> Result<Vec<(String, String, i64)>, StorageError> {
        let rows = sqlx::query(
            "SELECT channel, status, COUNT(*) AS total FROM outbox
             WHERE status IN ('pending', 'sending', 'undeliverable') GROUP BY channel, status",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)))
            .collect()
    }

    /// Counts rows by status, for tests and health checks.
    pub async fn outbox_count(&self, status: &str) -> Result<i64, StorageError> {
        Ok(
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM outbox WHERE status = $1")
                .bind(status)
                .fetch_one(&self.pool)
                .await?,
        )
    }
}
