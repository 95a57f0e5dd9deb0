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

/// A row a worker holds under a lease, with the time it was queued (a message stops being
/// worth retrying some days after that).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub row: OutboxRow,
    pub created_at: DateTime<Utc>,
    /// The lease this row is held under (one per claim): only its holder may finish the row.
    pub lease_owner: String,
}

#[derive(sqlx::FromRow)]
struct ClaimedRecord {
    #[sqlx(flatten)]
    row: OutboxRow,
    #[sqlx(try_from = "Stamp")]
    created_at: DateTime<Utc>,
    lease_owner: String,
}

/// How the delivery of a claimed row ended, as the outbox records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finish {
    Sent,
    /// Back to the queue, due again at this time.
    RetryAt(DateTime<Utc>, String),
    /// This message can never go; the chat's later rows go on.
    Failed(String),
    /// Nothing reaches the chat: this row, every pending row of the chat and their invitations
    /// are undeliverable.
    ChatUnreachable(String),
    /// Not tried (a row ahead of it in the chat must be retried first): back to the queue as it
    /// was.
    Released,
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

    /// Claims rows of `channel` under the lease `lease_owner` until `lease_until`: up to `limit`
    /// chats, oldest first, and in each the run of rows due now from its head on.
    ///
    /// A chat's head (its oldest row not yet sent or failed) is claimable when it is due or its
    /// lease ran out (the instance holding it died); the rows behind it come with it, in the same
    /// transaction, up to the first row not due. No other instance can claim a row behind a
    /// held one, so a chat's messages go out in order whichever instance holds which. One
    /// transaction for the whole batch.
    pub async fn claim_outbox(
        &self,
        channel: &str,
        lease_owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Claimed>, StorageError> {
        // PostgreSQL: rows another instance is claiming right now are skipped, not waited for;
        // the conditions are repeated outside the sub-query because PostgreSQL re-checks them on
        // a row changed meanwhile, so one row is never claimed twice. SQLite has one writer.
        let lock = match self.backend {
            super::Backend::Postgres => "FOR UPDATE SKIP LOCKED",
            super::Backend::Sqlite => "",
        };
        let claimable = |t: &str| {
            format!(
                "{t}.channel = $1
                 AND (({t}.status = $2 AND {t}.next_attempt_at <= $3)
                      OR ({t}.status = $4 AND ({t}.lease_until IS NULL OR {t}.lease_until < $3)))"
            )
        };
        let returning = "RETURNING id, channel, chat_id, kind, payload, invitation_token, attempts,
                       next_attempt_at, created_at, lease_owner";
        let heads = format!(
            "UPDATE outbox SET status = $4, lease_owner = $5, lease_until = $6,
                 attempts = attempts + 1
             WHERE id IN (SELECT o.id FROM outbox o
                          WHERE {inner}
                            AND NOT EXISTS (SELECT 1 FROM outbox e
                                            WHERE e.channel = o.channel AND e.chat_id = o.chat_id
                                              AND e.status IN ($2, $4) AND e.id < o.id)
                          ORDER BY o.id LIMIT $7 {lock})
               AND {outer}
             {returning}",
            inner = claimable("o"),
            outer = claimable("outbox"),
        );
        // The due rows right behind the heads just claimed: nothing ahead of them in their chat
        // is still to do except rows of this very claim.
        let followers = format!(
            "UPDATE outbox SET status = $4, lease_owner = $5, lease_until = $6,
                 attempts = attempts + 1
             WHERE channel = $1 AND status = $2 AND next_attempt_at <= $3
               AND chat_id IN (SELECT h.chat_id FROM outbox h
                               WHERE h.channel = $1 AND h.status = $4 AND h.lease_owner = $5)
               AND NOT EXISTS (SELECT 1 FROM outbox e
                               WHERE e.channel = outbox.channel AND e.chat_id = outbox.chat_id
                                 AND e.id < outbox.id
                                 AND ((e.status = $2 AND e.next_attempt_at > $3)
                                      OR (e.status = $4 AND COALESCE(e.lease_owner, '') <> $5)))
             {returning}"
        );
        let mut tx = self.pool.begin().await?;
        let mut records: Vec<ClaimedRecord> = Vec::new();
        for (sql, with_limit) in [(heads.as_str(), true), (followers.as_str(), false)] {
            let query = sqlx::query_as::<_, ClaimedRecord>(sql)
                .bind(channel)
                .bind(OutboxStatus::Pending)
                .bind(timestamp(now))
                .bind(OutboxStatus::Sending)
                .bind(lease_owner)
                .bind(timestamp(lease_until));
            let query = if with_limit { query.bind(limit) } else { query };
            let batch = query.fetch_all(&mut *tx).await?;
            if batch.is_empty() {
                break; // no heads, no followers
            }
            records.extend(batch);
        }
        tx.commit().await?;
        let mut claimed: Vec<Claimed> = records
            .into_iter()
            .map(|record| Claimed {
                row: record.row,
                created_at: record.created_at,
                lease_owner: record.lease_owner,
            })
            .collect();
        claimed.sort_by_key(|c| c.row.id);
        Ok(claimed)
    }

    /// Takes over at once the rows of `channel` leased by delivery workers known to be dead (their
    /// liveness lock is gone: [`Db::hold_liveness`]), instead of waiting for their leases to run
    /// out: their lease ends now, so the next claim takes them. `me` is the caller's own worker,
    /// never judged. Returns how many rows were freed. A worker the database cannot judge (an
    /// in-memory SQLite) keeps its lease.
    pub async fn free_dead_leases(
        &self,
        channel: &str,
        me: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, StorageError> {
        let holders: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT lease_owner FROM outbox
             WHERE channel = $1 AND status = $2 AND lease_until >= $3 AND lease_owner IS NOT NULL",
        )
        .bind(channel)
        .bind(OutboxStatus::Sending)
        .bind(timestamp(now))
        .fetch_all(&self.pool)
        .await?;
        // A lease is `{worker}/{claim}`: one check per worker.
        let mut workers: Vec<&str> = holders
            .iter()
            .map(|lease| lease.rsplit_once('/').map_or(lease.as_str(), |(w, _)| w))
            .filter(|worker| *worker != me)
            .collect();
        workers.sort_unstable();
        workers.dedup();
        let mut freed = 0;
        for worker in workers {
            if self.owner_alive(worker).await? == Some(false) {
                let rows = self.free_leases_of(channel, worker).await?;
                tracing::info!(worker, rows, "outbox rows of a dead worker taken over");
                freed += rows;
            }
        }
        Ok(freed)
    }

    /// Ends now the leases of every row of `channel` that `worker` holds (a dead worker's, or a
    /// worker's own from a run that panicked): the next claim takes them.
    pub async fn free_leases_of(&self, channel: &str, worker: &str) -> Result<u64, StorageError> {
        if !super::locks::plain_owner(worker) {
            return Ok(0);
        }
        Ok(sqlx::query(
            "UPDATE outbox SET lease_until = NULL
             WHERE channel = $1 AND status = $2 AND lease_owner LIKE $3",
        )
        .bind(channel)
        .bind(OutboxStatus::Sending)
        .bind(format!("{worker}/%"))
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    /// Extends the leases `owner` holds (the lease `owner` itself, and each of its claims,
    /// `{owner}/{claim}`), so a slow send is not taken over while it runs.
    pub async fn renew_outbox_leases(
        &self,
        owner: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<u64, StorageError> {
        Ok(sqlx::query(
            "UPDATE outbox SET lease_until = $1
                 WHERE (lease_owner = $2 OR lease_owner LIKE $4) AND status = $3",
        )
        .bind(timestamp(lease_until))
        .bind(owner)
        .bind(OutboxStatus::Sending)
        .bind(format!("{owner}/%"))
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    /// Records how a batch of claimed rows ended, in one transaction. A row whose lease ran out
    /// and was taken over by another claim is left to its new holder. Returns whether a chat of
    /// the batch has rows waiting (worth claiming now).
    pub async fn finish_outbox(
        &self,
        finished: &[(Claimed, Finish)],
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        if finished.is_empty() {
            return Ok(false);
        }
        let mut tx = self.pool.begin().await?;
        for (claimed, finish) in finished {
            let row = &claimed.row;
            let (status, error, next_attempt_at) = match finish {
                Finish::Sent => (OutboxStatus::Sent, None, None),
                Finish::RetryAt(at, error) => (OutboxStatus::Pending, Some(error), Some(*at)),
                Finish::Failed(error) | Finish::ChatUnreachable(error) => {
                    (OutboxStatus::Undeliverable, Some(error), None)
                }
                Finish::Released => (OutboxStatus::Pending, None, None),
            };
            let untried = i64::from(*finish == Finish::Released);
            let changed = sqlx::query(
                "UPDATE outbox SET status = $1, last_error = COALESCE($2, last_error),
                     next_attempt_at = COALESCE($3, next_attempt_at),
                     sent_at = CASE WHEN $1 = $4 THEN $5 ELSE sent_at END,
                     attempts = attempts - $9, lease_owner = NULL, lease_until = NULL
                 WHERE id = $6 AND status = $7 AND lease_owner = $8",
            )
            .bind(status)
            .bind(error)
            .bind(next_attempt_at.map(timestamp))
            .bind(OutboxStatus::Sent)
            .bind(timestamp(now))
            .bind(row.id)
            .bind(OutboxStatus::Sending)
            .bind(&claimed.lease_owner)
            .bind(untried)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                continue;
            }
            if let Finish::ChatUnreachable(error) = finish {
                chat_unreachable(&mut tx, row, error, now).await?;
            }
        }
        // A row that is done keeps no phone number (issue 18; `retention.rs`).
        let ids: Vec<i64> = finished.iter().map(|(c, _)| c.row.id).collect();
        super::retention::scrub_finished_phones(&mut tx, &ids).await?;
        let mut chats: Vec<&str> = finished
            .iter()
            .map(|(c, _)| c.row.chat_id.as_str())
            .collect();
        chats.sort_unstable();
        chats.dedup();
        let list = (0..chats.len())
            .map(|i| format!("${}", i + 3))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT COUNT(*) FROM outbox WHERE channel = $1 AND status = $2 AND chat_id IN ({list})"
        );
        let mut waiting = sqlx::query_scalar::<_, i64>(&sql)
            .bind(&finished[0].0.row.channel)
            .bind(OutboxStatus::Pending);
        for chat in &chats {
            waiting = waiting.bind(*chat);
        }
        let waiting = waiting.fetch_one(&mut *tx).await?;
        tx.commit().await?;
        Ok(waiting > 0)
    }

    /// The earliest time something of `channel` may become claimable: a pending row due, or a
    /// lease running out. `None` when nothing is waiting.
    pub async fn next_outbox_due(
        &self,
        channel: &str,
    ) -> Result<Option<DateTime<Utc>>, StorageError> {
        let next: Option<String> = sqlx::query_scalar(
            "SELECT MIN(t) FROM (
                 SELECT MIN(next_attempt_at) AS t FROM outbox WHERE channel = $1 AND status = $2
                 UNION ALL
                 SELECT MIN(lease_until) AS t FROM outbox WHERE channel = $1 AND status = $3
             ) due",
        )
        .bind(channel)
        .bind(OutboxStatus::Pending)
        .bind(OutboxStatus::Sending)
        .fetch_one(&self.pool)
        .await?;
        next.as_deref().map(super::parse_timestamp).transpose()
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

    /// Rows of `channel` still to be tried now: held by a sender, or queued and due at `now`.
    /// Zero means the channel's senders have settled (for tests and health checks).
    pub async fn outbox_unsettled(
        &self,
        channel: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StorageError> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM outbox WHERE channel = $1
             AND (status = $2 OR (status = $3 AND next_attempt_at <= $4))",
        )
        .bind(channel)
        .bind(OutboxStatus::Sending)
        .bind(OutboxStatus::Pending)
        .bind(timestamp(now))
        .fetch_one(&self.pool)
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

/// Fails every pending row of an unreachable chat, and the invitations they served.
async fn chat_unreachable(
    tx: &mut Transaction<'_, Any>,
    row: &OutboxRow,
    error: &str,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    let tokens: Vec<String> = sqlx::query_scalar(
        "SELECT invitation_token FROM outbox
         WHERE channel = $1 AND chat_id = $2 AND status = $3 AND invitation_token IS NOT NULL",
    )
    .bind(&row.channel)
    .bind(&row.chat_id)
    .bind(OutboxStatus::Pending)
    .fetch_all(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE outbox SET status = $1, last_error = $2
         WHERE channel = $3 AND chat_id = $4 AND status = $5",
    )
    .bind(OutboxStatus::Undeliverable)
    .bind(error)
    .bind(&row.channel)
    .bind(&row.chat_id)
    .bind(OutboxStatus::Pending)
    .execute(&mut **tx)
    .await?;
    for token in row.invitation_token.iter().chain(tokens.iter()) {
        update_invitation_status(&mut **tx, token, InvitationStatus::Undeliverable, now).await?;
    }
    Ok(())
}
