//! Retention (issue 10): `RETENTION_DAYS` after a survey was completed or its invitation expired,
//! the chat that answered is unlinked from it — the session's chat reference is replaced by a
//! marker naming no one, the notice forgets its recipient, and pending reminders go. Answers,
//! responses and the running totals stay, so summaries and exports do not change; only the way
//! back from an answer to a person is cut.

use super::{Db, StorageError, timestamp};
use chrono::{DateTime, Duration, Utc};

/// What an unlinked session's chat reference becomes: no chat id starts with it, and its session
/// id keeps it unique, so no two unlinked sessions look like one chat to the integrity checks.
pub const UNLINKED_PREFIX: &str = "unlinked:";

/// The default of `RETENTION_DAYS`.
pub const DEFAULT_RETENTION_DAYS: i64 = 30;

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
        tx.commit().await?;
        Ok(due.len() as u64)
    }
}
