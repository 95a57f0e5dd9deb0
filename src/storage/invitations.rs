//! Single-use survey invitations: their status from pending to answered, declined or
//! unreachable, and the unguessable token a citizen's link carries.

use super::codes::stored_code;
use super::columns::{Flag, Stamp};
use super::{Db, StorageError, SubmissionChannel, timestamp};
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::Serialize;
use sqlx::{Any, Executor};

stored_code! {
    /// Where an invitation is: from sent (pending) to answered, declined or unreachable.
    #[derive(Serialize)]
    #[serde(rename_all = "lowercase")]
    pub enum InvitationStatus("invitation status") {
        Pending = "pending",
        Started = "started",
        Postponed = "postponed",
        Completed = "completed",
        Declined = "declined",
        Undeliverable = "undeliverable",
        /// The citizen withdrew their answers (`/xoa`): asked, and not counted as answered.
        Withdrawn = "withdrawn",
    }
}

/// An invitation with the dossier it is about.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Invitation {
    pub token: String,
    pub flow_version_id: i64,
    pub status: InvitationStatus,
    #[sqlx(try_from = "Stamp")]
    pub expires_at: DateTime<Utc>,
    pub dossier_code: String,
    pub agency_code: String,
    /// The agency's name when the code is known.
    pub agency_name: Option<String>,
    #[sqlx(try_from = "Flag")]
    pub unknown_agency: bool,
    pub procedure_code: String,
    pub procedure_name: String,
    pub submission_channel: SubmissionChannel,
    #[sqlx(try_from = "Stamp")]
    pub completed_at: DateTime<Utc>,
    /// The Telegram chat the notice named. Private: never exported.
    pub recipient_chat_id: Option<String>,
    /// The Zalo follower the notice named. Private: never exported.
    pub recipient_zalo_user_id: Option<String>,
    /// The notice named a phone number (reached through Zalo's template by phone).
    #[sqlx(try_from = "Flag")]
    pub recipient_by_phone: bool,
}

impl Invitation {
    /// The agency's name, or its code when we do not know it.
    pub fn agency_label(&self) -> &str {
        self.agency_name.as_deref().unwrap_or(&self.agency_code)
    }

    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        now >= self.expires_at
    }
}

/// A fresh unguessable token: 128 random bits from the OS, as 32 hex digits.
pub fn new_token() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

const INVITATION_SELECT: &str =
    "SELECT i.token, i.flow_version_id, i.status, i.expires_at, n.dossier_code,
    n.agency_code, n.unknown_agency, n.procedure_code, n.procedure_name, n.submission_channel,
    n.completed_at, n.recipient_chat_id, n.recipient_zalo_user_id, n.recipient_by_phone,
    a.name AS agency_name
    FROM invitations i JOIN notices n ON n.dossier_code = i.dossier_code
    LEFT JOIN agencies a ON a.code = n.agency_code";

impl Db {
    pub async fn invitation(&self, token: &str) -> Result<Option<Invitation>, StorageError> {
        Ok(
            sqlx::query_as(&format!("{INVITATION_SELECT} WHERE i.token = $1"))
                .bind(token)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn invitation_for_dossier(
        &self,
        dossier_code: &str,
    ) -> Result<Option<Invitation>, StorageError> {
        Ok(
            sqlx::query_as(&format!("{INVITATION_SELECT} WHERE i.dossier_code = $1"))
                .bind(dossier_code)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// The invitation a receipt code opens, read without redeeming it (no attempt is counted,
    /// nothing is marked used): whoever may not open it is refused before anything changes.
    pub async fn receipt_code_invitation(
        &self,
        code: &str,
    ) -> Result<Option<Invitation>, StorageError> {
        Ok(sqlx::query_as(&format!(
            "{INVITATION_SELECT} JOIN zalo_receipt_codes c ON c.invitation_token = i.token
             WHERE c.code = $1"
        ))
        .bind(code)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Sets an invitation's status, unless it is already completed (a completed response is final).
    pub async fn set_invitation_status(
        &self,
        token: &str,
        status: InvitationStatus,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        update_invitation_status(&self.pool, token, status, now).await
    }
}

/// Sets an invitation's status unless it is completed (a completed response is final); `true`
/// when it changed. The one statement every status change goes through.
pub(super) async fn update_invitation_status<'e>(
    executor: impl Executor<'e, Database = Any>,
    token: &str,
    status: InvitationStatus,
    now: DateTime<Utc>,
) -> Result<bool, StorageError> {
    let result = sqlx::query(
        "UPDATE invitations SET status = $1, updated_at = $2 WHERE token = $3 AND status <> $4",
    )
    .bind(status)
    .bind(timestamp(now))
    .bind(token)
    .bind(InvitationStatus::Completed)
    .execute(executor)
    .await?;
    Ok(result.rows_affected() == 1)
}
