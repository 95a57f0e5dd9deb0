//! A citizen's withdrawal (issue 10): `/xoa` deletes every answer given from a chat and the
//! link between that chat and the dossiers, and subtracts the responses from the running totals,
//! in one transaction. The invitations stay, as withdrawn: the response rate counts them as asked
//! and not answered, so a withdrawal cannot make the rate look better.

use super::outbox::{Effects, apply_effects};
use super::totals::count_response;
use super::{Db, InvitationStatus, StorageError, timestamp};
use chrono::{DateTime, Utc};

impl Db {
    /// Withdraws everything answered from `chat_ref` on `channel`, with `effects` (the reply).
    /// `None` when the inbound message was handled before; otherwise how many surveys
    /// (completed or in progress) were withdrawn.
    pub async fn withdraw_chat(
        &self,
        channel: &str,
        chat_ref: &str,
        effects: &Effects,
        now: DateTime<Utc>,
    ) -> Result<Option<u64>, StorageError> {
        let mut tx = self.pool.begin().await?;
        if !apply_effects(&mut tx, effects, now).await? {
            tx.rollback().await?;
            return Ok(None);
        }
        let sessions: Vec<(i64, String, Option<i64>)> = sqlx::query_as(
            "SELECT s.id, s.invitation_token, r.id FROM survey_sessions s
             LEFT JOIN responses r ON r.session_id = s.id
             WHERE s.channel = $1 AND s.chat_ref = $2",
        )
        .bind(channel)
        .bind(chat_ref)
        .fetch_all(&mut *tx)
        .await?;
        for (session_id, _, response_id) in &sessions {
            if let Some(response_id) = response_id {
                count_response(&mut tx, *response_id, -1).await?;
                super::comments::forget_comments(&mut tx, *response_id).await?;
                // Every row that refers to the response goes with it: an alert already sent
                // leaves its mark here.
                for statement in [
                    "DELETE FROM alerted_responses WHERE response_id = $1",
                    "DELETE FROM responses WHERE id = $1",
                ] {
                    sqlx::query(statement)
                        .bind(response_id)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            for statement in [
                "DELETE FROM answers WHERE session_id = $1",
                "DELETE FROM survey_sessions WHERE id = $1",
            ] {
                sqlx::query(statement)
                    .bind(session_id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        // The invitations after every answer total: their triggers lock the agency's invitation
        // totals last, the order in which completing a response locks them, so a withdrawal and
        // a completion never wait on each other in a cycle.
        for (_, token, _) in &sessions {
            // The triggers move the invitation from its outcome to withdrawn in the totals.
            sqlx::query("UPDATE invitations SET status = $1, updated_at = $2 WHERE token = $3")
                .bind(InvitationStatus::Withdrawn)
                .bind(timestamp(now))
                .bind(token)
                .execute(&mut *tx)
                .await?;
            // The chat is no longer tied to the dossier, nor reminded about it.
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
        // Issue 18: the finished outbox rows, receipt codes and Zalo message ids go too.
        let tokens: Vec<String> = sessions.iter().map(|(_, token, _)| token.clone()).collect();
        super::retention::cut_invitation_links(&mut tx, &tokens).await?;
        super::retention::cut_chat_links(&mut tx, channel, chat_ref).await?;
        tx.commit().await?;
        Ok(Some(sessions.len() as u64))
    }

    /// Whether any survey was opened from `chat_ref` on `channel` (and not withdrawn).
    pub async fn chat_has_surveys(
        &self,
        channel: &str,
        chat_ref: &str,
    ) -> Result<bool, StorageError> {
        let (count,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM survey_sessions WHERE channel = $1 AND chat_ref = $2",
        )
        .bind(channel)
        .bind(chat_ref)
        .fetch_one(&self.pool)
        .await?;
        Ok(count > 0)
    }
}
