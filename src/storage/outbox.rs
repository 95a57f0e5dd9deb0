//! The durable outbox, and the effects of handling one inbound message.
//!
//! Handling a message changes state and causes replies. Both are written in one transaction:
//! the inbound message id (so a redelivery is recognised), the state change, and the outgoing
//! messages as outbox rows. A worker sends the rows later; a crash loses nothing.

use super::codes::stored_code;
use super::columns::{JsonText, Stamp};
use super::inbound::record_inbound;
use super::invitations::update_invitation_status;
use super::{Db, InvitationStatus, StorageError, timestamp};
use chrono::{DateTime, Utc};
use sqlx::{Any, Transaction};

stored_code! {
    /// Where an outbox row is: waiting, being sent by a worker, or done one way or the other.
    pub enum OutboxStatus("outbox status") {
        Pending = "pending",
        Sending = "sending",
        Sent = "sent",
        Undeliverable = "undeliverable",
    }
}

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
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: i64,
    pub channel: String,
    pub chat_id: String,
    /// The channel's vocabulary (see [`Outgoing::kind`]), so a string here.
    pub kind: String,
    #[sqlx(try_from = "JsonText")]
    pub payload: serde_json::Value,
    pub invitation_token: Option<String>,
    pub attempts: i64,
    #[sqlx(try_from = "Stamp")]
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
    if let Some((channel, message_id)) = &effects.inbound
        && !record_inbound(&mut **tx, channel, message_id, now).await?
    {
        return Ok(false);
    }
    for outgoing in &effects.outgoing {
        sqlx::query(
            "INSERT INTO outbox (channel, chat_id, kind, payload, invitation_token, status, attempts,
             next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $7)",
        )
        .bind(&outgoing.channel)
        .bind(&outgoing.chat_id)
        .bind(&outgoing.kind)
        .bind(outgoing.payload.to_string())
        .bind(outgoing.invitation_token.as_deref())
        .bind(OutboxStatus::Pending)
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
        Ok(sqlx::query_as(
            "SELECT id, channel, chat_id, kind, payload, invitation_token, attempts, next_attempt_at
             FROM outbox WHERE channel = $1 AND status = $2 ORDER BY id LIMIT $3",
        )
        .bind(channel)
        .bind(OutboxStatus::Pending)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Claims a row for sending; `false` when another worker has it.
    pub async fn claim_outbox(&self, id: i64, now: DateTime<Utc>) -> Result<bool, StorageError> {
        let claimed = sqlx::query(
            "UPDATE outbox SET status = $1, attempts = attempts + 1, next_attempt_at = $2
             WHERE id = $3 AND status = $4",
        )
        .bind(OutboxStatus::Sending)
        .bind(timestamp(now))
        .bind(id)
        .bind(OutboxStatus::Pending)
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
                sqlx::query(
                    "UPDATE outbox SET status = $1, sent_at = $2, last_error = NULL WHERE id = $3",
                )
                .bind(OutboxStatus::Sent)
                .bind(timestamp(now))
                .bind(row.id)
                .execute(&mut *tx)
                .await?;
            }
            Delivery::RetryAt(at, error) => {
                sqlx::query("UPDATE outbox SET status = $1, next_attempt_at = $2, last_error = $3 WHERE id = $4")
                    .bind(OutboxStatus::Pending)
                    .bind(timestamp(*at))
                    .bind(error)
                    .bind(row.id)
                    .execute(&mut *tx)
                    .await?;
            }
            Delivery::Undeliverable(error) => {
                sqlx::query("UPDATE outbox SET status = $1, last_error = $2 WHERE id = $3")
                    .bind(OutboxStatus::Undeliverable)
                    .bind(error)
                    .bind(row.id)
                    .execute(&mut *tx)
                    .await?;
                // Nothing more can reach this chat: later rows for it would fail the same way.
                sqlx::query(
                    "UPDATE outbox SET status = $1, last_error = $2
                     WHERE channel = $3 AND chat_id = $4 AND status = $5",
                )
                .bind(OutboxStatus::Undeliverable)
                .bind(error)
                .bind(&row.channel)
                .bind(&row.chat_id)
                .bind(OutboxStatus::Pending)
                .execute(&mut *tx)
                .await?;
                if let Some(token) = &row.invitation_token {
                    update_invitation_status(&mut *tx, token, InvitationStatus::Undeliverable, now)
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
        let result =
            sqlx::query("UPDATE outbox SET status = $1 WHERE status = $2 AND next_attempt_at < $3")
                .bind(OutboxStatus::Pending)
                .bind(OutboxStatus::Sending)
                .bind(timestamp(older_than))
                .execute(&self.pool)
                .await?;
        Ok(result.rows_affected())
    }

    /// Rows not yet delivered, by channel and status, for `/metrics` (sent rows are history).
    pub async fn outbox_depth(&self) -> Result<Vec<(String, OutboxStatus, i64)>, StorageError> {
        Ok(sqlx::query_as(
            "SELECT channel, status, COUNT(*) AS total FROM outbox
             WHERE status <> $1 GROUP BY channel, status",
        )
        .bind(OutboxStatus::Sent)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Counts rows by status, for tests and health checks.
    pub async fn outbox_count(&self, status: OutboxStatus) -> Result<i64, StorageError> {
        Ok(
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM outbox WHERE status = $1")
                .bind(status)
                .fetch_one(&self.pool)
                .await?,
        )
    }
}
