//! Who can be reached on Zalo: each Zalo user's last interaction (the messaging window runs from
//! it) and whether they follow the OA, and per invitation sent through Zalo its template's
//! message id and whether Zalo is out of reach for it.

use super::{Db, StorageError, parse_timestamp, timestamp};
use chrono::{DateTime, Utc};
use sqlx::Row;

/// A Zalo user as the messaging window sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZaloUser {
    pub user_id: String,
    pub last_interaction_at: DateTime<Utc>,
    pub following: bool,
}

impl Db {
    /// Records an interaction of `user_id` (a message, a button press, a follow) that happened
    /// at `now` (the event's own time): the free window starts again from it, unless a later
    /// interaction is already known (late events arrive out of order). `following` is set when
    /// the event says so.
    pub async fn touch_zalo_user(
        &self,
        user_id: &str,
        following: Option<bool>,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let follow = following.map(i64::from);
        sqlx::query(
            "INSERT INTO zalo_users (user_id, last_interaction_at, following, updated_at)
             VALUES ($1, $2, COALESCE($3, 1), $2)
             ON CONFLICT (user_id) DO UPDATE SET
               last_interaction_at = CASE WHEN zalo_users.last_interaction_at < $2 THEN $2
                                          ELSE zalo_users.last_interaction_at END,
               updated_at = $2,
               following = COALESCE($3, zalo_users.following)",
        )
        .bind(user_id)
        .bind(timestamp(now))
        .bind(follow)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records that `user_id` stopped following the OA (not an interaction: the window does not
    /// restart).
    pub async fn unfollow_zalo_user(
        &self,
        user_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO zalo_users (user_id, last_interaction_at, following, updated_at)
             VALUES ($1, $2, 0, $2)
             ON CONFLICT (user_id) DO UPDATE SET following = 0, updated_at = $2",
        )
        .bind(user_id)
        .bind(timestamp(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn zalo_user(&self, user_id: &str) -> Result<Option<ZaloUser>, StorageError> {
        let row = sqlx::query(
            "SELECT user_id, last_interaction_at, following FROM zalo_users WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(ZaloUser {
                user_id: row.try_get("user_id")?,
                last_interaction_at: parse_timestamp(
                    &row.try_get::<String, _>("last_interaction_at")?,
                )?,
                following: row.try_get::<i64, _>("following")? != 0,
            })
        })
        .transpose()
    }

    /// Remembers the message id Zalo gave an invitation's template, so a rating that names only
    /// the message id finds its invitation.
    pub async fn record_zalo_template(
        &self,
        invitation_token: &str,
        msg_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO zalo_invitations (invitation_token, template_msg_id, updated_at)
             VALUES ($1, $2, $3)
             ON CONFLICT (invitation_token) DO UPDATE SET template_msg_id = $2, updated_at = $3",
        )
        .bind(invitation_token)
        .bind(msg_id)
        .bind(timestamp(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records that Zalo cannot reach the citizen of an invitation any more (the window closed,
    /// blocked): nothing is sent for it again through Zalo.
    pub async fn mark_zalo_out_of_reach(
        &self,
        invitation_token: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO zalo_invitations (invitation_token, out_of_reach_at, reason, updated_at)
             VALUES ($1, $2, $3, $2)
             ON CONFLICT (invitation_token) DO UPDATE SET out_of_reach_at = $2, reason = $3,
               updated_at = $2",
        )
        .bind(invitation_token)
        .bind(timestamp(now))
        .bind(reason)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// When (and why) Zalo went out of reach for an invitation, if it did.
    pub async fn zalo_out_of_reach(
        &self,
        invitation_token: &str,
    ) -> Result<Option<(DateTime<Utc>, String)>, StorageError> {
        let row = sqlx::query(
            "SELECT out_of_reach_at, reason FROM zalo_invitations
             WHERE invitation_token = $1 AND out_of_reach_at IS NOT NULL",
        )
        .bind(invitation_token)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok((
                parse_timestamp(&row.try_get::<String, _>("out_of_reach_at")?)?,
                row.try_get::<Option<String>, _>("reason")?
                    .unwrap_or_default(),
            ))
        })
        .transpose()
    }

    /// The invitation whose template Zalo gave `msg_id`.
    pub async fn invitation_by_zalo_msg(
        &self,
        msg_id: &str,
    ) -> Result<Option<String>, StorageError> {
        Ok(sqlx::query_scalar(
            "SELECT invitation_token FROM zalo_invitations WHERE template_msg_id = $1",
        )
        .bind(msg_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Records a delivery receipt (`user_received_message`): the invitation whose message
    /// `msg_id` names (or whose token is `tracking_id`) reached the citizen's phone at `at`. The
    /// first receipt counts; `true` when this one was new.
    pub async fn record_zalo_delivery(
        &self,
        msg_id: Option<&str>,
        tracking_id: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let done = sqlx::query(
            "UPDATE zalo_invitations SET delivered_at = $3, updated_at = $3
             WHERE delivered_at IS NULL
               AND (template_msg_id = $1 OR invitation_token = $2)",
        )
        .bind(msg_id)
        .bind(tracking_id)
        .bind(timestamp(at))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Invitations through Zalo whose delivery receipt came, per agency code, among those sent
    /// between `from` and `to` (the invitation's creation): the numerator of the delivered
    /// rate beside the response rate. Telegram has no receipts: a sent message counts as
    /// delivered there.
    pub async fn zalo_delivered_by_agency(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(String, i64)>, StorageError> {
        let rows = sqlx::query(
            "SELECT n.agency_code AS agency_code, COUNT(*) AS delivered
             FROM zalo_invitations z
             JOIN invitations i ON i.token = z.invitation_token
             JOIN notices n ON n.dossier_code = i.dossier_code
             WHERE z.delivered_at IS NOT NULL AND i.created_at >= $1 AND i.created_at < $2
             GROUP BY n.agency_code ORDER BY n.agency_code",
        )
        .bind(timestamp(from))
        .bind(timestamp(to))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("agency_code")?, row.try_get("delivered")?)))
            .collect()
    }

    /// When an invitation's Zalo message reached the phone, if a receipt said so.
    pub async fn zalo_delivered_at(
        &self,
        invitation_token: &str,
    ) -> Result<Option<DateTime<Utc>>, StorageError> {
        let at: Option<Option<String>> = sqlx::query_scalar(
            "SELECT delivered_at FROM zalo_invitations WHERE invitation_token = $1",
        )
        .bind(invitation_token)
        .fetch_optional(&self.pool)
        .await?;
        at.flatten().as_deref().map(parse_timestamp).transpose()
    }

    /// Webhook events stored and not yet processed (for health checks and tests).
    pub async fn zalo_events_unprocessed(&self) -> Result<i64, StorageError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM zalo_events WHERE processed_at IS NULL")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Replaces an outbox row's payload: a phone number is dropped from the row once the
    /// template has gone (or can never go), since nothing needs it after.
    pub async fn replace_outbox_payload(
        &self,
        id: i64,
        payload: &serde_json::Value,
    ) -> Result<(), StorageError> {
        sqlx::query("UPDATE outbox SET payload = $2 WHERE id = $1")
            .bind(id)
            .bind(payload.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
