//! Reminders for citizens who chose "Để sau", and invitation decisions (postpone, decline)
//! recorded together with their effects.

use super::codes::stored_code;
use super::columns::Stamp;
use super::invitations::update_invitation_status;
use super::outbox::{Effects, apply_effects};
use super::{Db, InvitationStatus, StorageError, timestamp};
use chrono::{DateTime, Utc};

stored_code! {
    /// Where a reminder is: waiting for its time, sent, or dropped because it was no longer
    /// wanted (the survey was answered or declined meanwhile).
    pub enum ReminderStatus("reminder status") {
        Scheduled = "scheduled",
        Sent = "sent",
        Skipped = "skipped",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Reminder {
    pub invitation_token: String,
    pub channel: String,
    pub chat_id: String,
    #[sqlx(try_from = "Stamp")]
    pub due_at: DateTime<Utc>,
}

const REMINDER_SELECT: &str = "SELECT invitation_token, channel, chat_id, due_at FROM reminders";

impl Db {
    /// Sets an invitation's status with its effects in one transaction, unless it is completed.
    /// `Ok(false)` when the inbound message was handled before.
    pub async fn decide_invitation(
        &self,
        token: &str,
        status: InvitationStatus,
        reminder: Option<&Reminder>,
        effects: &Effects,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let mut tx = self.pool.begin().await?;
        if !apply_effects(&mut tx, effects, now).await? {
            tx.rollback().await?;
            return Ok(false);
        }
        update_invitation_status(&mut *tx, token, status, now).await?;
        if let Some(reminder) = reminder {
            // One reminder per invitation, ever: a second "Để sau" does not schedule another.
            sqlx::query(
                "INSERT INTO reminders (invitation_token, channel, chat_id, due_at, status, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (invitation_token) DO NOTHING",
            )
            .bind(&reminder.invitation_token)
            .bind(&reminder.channel)
            .bind(&reminder.chat_id)
            .bind(timestamp(reminder.due_at))
            .bind(ReminderStatus::Scheduled)
            .bind(timestamp(now))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Scheduled reminders due at `now`.
    pub async fn due_reminders(
        &self,
        channel: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<Reminder>, StorageError> {
        Ok(sqlx::query_as(&format!(
            "{REMINDER_SELECT} WHERE channel = $1 AND status = $2 AND due_at <= $3 ORDER BY due_at"
        ))
        .bind(channel)
        .bind(ReminderStatus::Scheduled)
        .bind(timestamp(now))
        .fetch_all(&self.pool)
        .await?)
    }

    /// The reminder of an invitation, whatever its status.
    pub async fn reminder(&self, token: &str) -> Result<Option<Reminder>, StorageError> {
        Ok(
            sqlx::query_as(&format!("{REMINDER_SELECT} WHERE invitation_token = $1"))
                .bind(token)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Marks a reminder done (`sent` or `skipped`) with its effects, once.
    pub async fn finish_reminder(
        &self,
        token: &str,
        status: ReminderStatus,
        effects: &Effects,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let mut tx = self.pool.begin().await?;
        let updated = sqlx::query(
            "UPDATE reminders SET status = $1 WHERE invitation_token = $2 AND status = $3",
        )
        .bind(status)
        .bind(token)
        .bind(ReminderStatus::Scheduled)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 || !apply_effects(&mut tx, effects, now).await? {
            tx.rollback().await?;
            return Ok(false);
        }
        tx.commit().await?;
        Ok(true)
    }
}
