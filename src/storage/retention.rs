//! Retention (issue 10): `RETENTION_DAYS` after a survey was completed or its invitation expired,
//! the chat that answered is unlinked from it — the session's chat reference is replaced by a
//! marker naming no one, the notice forgets its recipient, and pending reminders go. Answers,
//! responses and the running totals stay, so summaries and exports do not change; only the way
//! back from an answer to a person is cut.
//!
//! Retention and withdrawal reach every table that can tie a chat, a Zalo user or a phone
//! number to a dossier (issue 18): the finished outbox rows of those invitations lose their
//! payload, error and chat id; receipt codes and the Zalo template's message id go; and, by
//! age, whatever else could link a person to a survey: finished outbox rows older than the
//! horizon, raw Zalo event bodies once processed (the rows after the dedupe horizon), known
//! chats and Zalo users not heard from within it, inbound message ids past the dedupe horizon,
//! receipt-code attempt windows. A finished row never keeps a phone number
//! ([`scrub_finished_phones`]).

use super::{Db, StorageError, timestamp};
use chrono::{DateTime, Duration, Utc};
use sqlx::{Any, Transaction};

/// What an unlinked session's chat reference becomes: no chat id starts with it, and its session
/// id keeps it unique, so no two unlinked sessions look like one chat to the integrity checks.
pub const UNLINKED_PREFIX: &str = "unlinked:";

/// The default of `RETENTION_DAYS`.
pub const DEFAULT_RETENTION_DAYS: i64 = 30;

/// How long a processed inbound message id (and a Zalo event row) is kept to recognise a
/// repeated delivery: Telegram and Zalo redeliver within hours, never after days. Eight days: the
/// longest `ZALO_EVENT_MAX_AGE_HOURS` (168) plus the day of margin the Zalo upkeep keeps, so a
/// late retry that is still accepted always finds its key.
pub const DEDUPE_HORIZON_DAYS: i64 = 8;

/// The outbox statuses after which a row is never sent again.
const FINISHED: &str = "('sent', 'undeliverable')";

impl Db {
    /// Unlinks chats from surveys completed, or invitations expired, more than `retention` before
    /// `now`. Returns how many sessions were unlinked; running it again unlinks nothing new.
    pub async fn unlink_retained(
        &self,
        retention: Duration,
        now: DateTime<Utc>,
    ) -> Result<u64, StorageError> {
        let cutoff = timestamp(now - retention);
        let mut tx = self.pool.begin().await?;
        let due: Vec<(i64, String)> = sqlx::query_as(
            "SELECT s.id, s.invitation_token FROM survey_sessions s
             JOIN invitations i ON i.token = s.invitation_token
             LEFT JOIN responses r ON r.session_id = s.id
             WHERE s.chat_ref NOT LIKE $1
               AND (r.submitted_at < $2 OR i.expires_at < $2)",
        )
        .bind(format!("{UNLINKED_PREFIX}%"))
        .bind(&cutoff)
        .fetch_all(&mut *tx)
        .await?;
        for (session_id, token) in &due {
            sqlx::query("UPDATE survey_sessions SET chat_ref = $1 WHERE id = $2")
                .bind(format!("{UNLINKED_PREFIX}{session_id}"))
                .bind(session_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE notices SET recipient_chat_id = NULL
                 WHERE dossier_code = (SELECT dossier_code FROM invitations WHERE token = $1)",
            )
            .bind(token)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM reminders WHERE invitation_token = $1")
                .bind(token)
                .execute(&mut *tx)
                .await?;
        }
        // Notices whose invitation expired unanswered may still name their recipient.
        sqlx::query(
            "UPDATE notices SET recipient_chat_id = NULL
             WHERE recipient_chat_id IS NOT NULL AND dossier_code IN
                (SELECT dossier_code FROM invitations WHERE expires_at < $1)",
        )
        .bind(&cutoff)
        .execute(&mut *tx)
        .await?;
        let tokens: Vec<String> = due.into_iter().map(|(_, token)| token).collect();
        cut_invitation_links(&mut tx, &tokens).await?;
        // Invitations expired unanswered before the cutoff: the same links go.
        let expired: Vec<String> =
            sqlx::query_scalar("SELECT token FROM invitations WHERE expires_at < $1 AND token IN (SELECT invitation_token FROM zalo_receipt_codes UNION SELECT invitation_token FROM zalo_invitations WHERE template_msg_id IS NOT NULL)")
                .bind(&cutoff)
                .fetch_all(&mut *tx)
                .await?;
        cut_invitation_links(&mut tx, &expired).await?;
        purge_by_age(&mut tx, &cutoff, now).await?;
        tx.commit().await?;
        Ok(tokens.len() as u64)
    }
}

/// Cuts what still ties each of `tokens`' invitations to a person: the payload, last error and
/// chat id of its finished outbox rows, its receipt code, and the Zalo template's message id.
/// The rows themselves stay (the delivery counts and the invitation's status do not change).
pub(super) async fn cut_invitation_links(
    tx: &mut Transaction<'_, Any>,
    tokens: &[String],
) -> Result<(), StorageError> {
    for token in tokens {
        sqlx::query(&format!(
            "UPDATE outbox SET payload = '{{}}', last_error = NULL,
                 chat_id = '{UNLINKED_PREFIX}outbox:' || CAST(id AS TEXT)
             WHERE invitation_token = $1 AND status IN {FINISHED}
               AND chat_id NOT LIKE '{UNLINKED_PREFIX}%'"
        ))
        .bind(token)
        .execute(&mut **tx)
        .await?;
        sqlx::query("DELETE FROM zalo_receipt_codes WHERE invitation_token = $1")
            .bind(token)
            .execute(&mut **tx)
            .await?;
        sqlx::query(
            "UPDATE zalo_invitations SET template_msg_id = NULL
             WHERE invitation_token = $1 AND template_msg_id IS NOT NULL",
        )
        .bind(token)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// A withdrawal's reach beyond its invitations: every finished outbox row of the chat (the
/// questions it was asked, the replies) loses its payload and its chat id.
pub(super) async fn cut_chat_links(
    tx: &mut Transaction<'_, Any>,
    channel: &str,
    chat_ref: &str,
) -> Result<(), StorageError> {
    sqlx::query(&format!(
        "UPDATE outbox SET payload = '{{}}', last_error = NULL,
             chat_id = '{UNLINKED_PREFIX}outbox:' || CAST(id AS TEXT)
         WHERE channel = $1 AND chat_id = $2 AND status IN {FINISHED}"
    ))
    .bind(channel)
    .bind(chat_ref)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The by-age part of a retention pass (see the module comment); `cutoff` is `now` minus the
/// retention.
async fn purge_by_age(
    tx: &mut Transaction<'_, Any>,
    cutoff: &str,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    let horizon = timestamp(now - Duration::days(DEDUPE_HORIZON_DAYS));
    sqlx::query(&format!(
        "UPDATE outbox SET payload = '{{}}', last_error = NULL,
             chat_id = '{UNLINKED_PREFIX}outbox:' || CAST(id AS TEXT)
         WHERE created_at < $1 AND status IN {FINISHED}
           AND chat_id NOT LIKE '{UNLINKED_PREFIX}%'"
    ))
    .bind(cutoff)
    .execute(&mut **tx)
    .await?;
    scrub_all_finished_phones(tx).await?;
    for (statement, bound) in [
        // A processed event's body (the sender's id, the answers) has done its work.
        (
            "UPDATE zalo_events SET body = '' WHERE processed_at IS NOT NULL AND body <> ''",
            None,
        ),
        (
            "DELETE FROM zalo_events WHERE processed_at IS NOT NULL AND received_at < $1",
            Some(&horizon),
        ),
        (
            "DELETE FROM inbound_messages WHERE seen_at < $1",
            Some(&horizon),
        ),
        (
            "DELETE FROM zalo_receipt_codes WHERE expires_at < $1",
            Some(&cutoff.to_string()),
        ),
        (
            "DELETE FROM zalo_code_attempts WHERE window_started_at < $1",
            Some(&cutoff.to_string()),
        ),
        // A chat or Zalo user not heard from since the cutoff and tied to no survey still
        // linked: forgotten (a chat that talks again is remembered again).
        (
            "DELETE FROM channel_chats WHERE first_seen_at < $1 AND NOT EXISTS
                (SELECT 1 FROM survey_sessions s
                 WHERE s.channel = channel_chats.channel AND s.chat_ref = channel_chats.chat_id)",
            Some(&cutoff.to_string()),
        ),
        (
            "DELETE FROM zalo_users WHERE last_interaction_at < $1 AND NOT EXISTS
                (SELECT 1 FROM survey_sessions s
                 WHERE s.channel = 'zalo' AND s.chat_ref = zalo_users.user_id)",
            Some(&cutoff.to_string()),
        ),
    ] {
        let query = sqlx::query(statement);
        let query = match bound {
            Some(value) => query.bind(value.clone()),
            None => query,
        };
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// Removes the phone number from the payload of each finished row among `ids` (the Zalo
/// invitation by phone carries one until it is sent or given up). A small statement of its own,
/// called where rows finish.
pub(super) async fn scrub_finished_phones(
    tx: &mut Transaction<'_, Any>,
    ids: &[i64],
) -> Result<(), StorageError> {
    if ids.is_empty() {
        return Ok(());
    }
    // One statement for the whole batch: the finishing transaction stays short.
    let list = (1..=ids.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT id, payload FROM outbox WHERE id IN ({list}) AND status IN {FINISHED}
         AND payload LIKE '%\"phone\"%'"
    );
    let mut query = sqlx::query_as::<_, (i64, String)>(&sql);
    for id in ids {
        query = query.bind(*id);
    }
    for (id, payload) in query.fetch_all(&mut **tx).await? {
        scrub_one(tx, id, &payload).await?;
    }
    Ok(())
}

/// Every finished row still holding a phone number (rows finished before this rule).
async fn scrub_all_finished_phones(tx: &mut Transaction<'_, Any>) -> Result<(), StorageError> {
    let rows: Vec<(i64, String)> = sqlx::query_as(&format!(
        "SELECT id, payload FROM outbox WHERE status IN {FINISHED}
         AND payload LIKE '%\"phone\"%'"
    ))
    .fetch_all(&mut **tx)
    .await?;
    for (id, payload) in rows {
        scrub_one(tx, id, &payload).await?;
    }
    Ok(())
}

async fn scrub_one(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    payload: &str,
) -> Result<(), StorageError> {
    let scrubbed = match serde_json::from_str::<serde_json::Value>(payload) {
        Ok(serde_json::Value::Object(mut object)) => {
            object.remove("phone");
            serde_json::Value::Object(object).to_string()
        }
        // Not an object: nothing of it is worth keeping.
        _ => "{}".to_string(),
    };
    sqlx::query("UPDATE outbox SET payload = $1 WHERE id = $2")
        .bind(scrubbed)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
