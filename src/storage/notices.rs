//! Dossier-completion notices and the single-use survey invitations they create.

use super::codes::stored_code;
use super::columns::{Flag, Stamp};
use super::outbox::{Effects, apply_effects};
use super::{Db, StorageError, parse_timestamp, timestamp};
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sqlx::{Any, Executor};

stored_code! {
    /// How the citizen submitted the dossier.
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub enum SubmissionChannel("submission channel") {
        Direct = "direct",
        Online = "online",
        Postal = "postal",
    }
}

/// A dossier-completion notice as a one-stop system sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotice {
    pub dossier_code: String,
    pub agency_code: String,
    pub procedure_code: String,
    pub procedure_name: String,
    pub submission_channel: SubmissionChannel,
    pub completed_at: DateTime<Utc>,
    /// The citizen's chat, when the one-stop system knows it. Private: never exported.
    pub recipient_chat_id: Option<String>,
}

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
    pub recipient_chat_id: Option<String>,
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

/// What submitting a notice did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeOutcome {
    /// A new notice and its invitation.
    Created(Invitation),
    /// The same dossier was notified before: its existing invitation.
    Existing(Invitation),
}

impl NoticeOutcome {
    pub fn invitation(&self) -> &Invitation {
        match self {
            NoticeOutcome::Created(invitation) | NoticeOutcome::Existing(invitation) => invitation,
        }
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
    n.completed_at, n.recipient_chat_id, a.name AS agency_name
    FROM invitations i JOIN notices n ON n.dossier_code = i.dossier_code
    LEFT JOIN agencies a ON a.code = n.agency_code";

impl Db {
    /// Stores a notice and creates its invitation, in one transaction; idempotent on the dossier
    /// code. An agency code we do not know is accepted and flagged for admins.
    pub async fn submit_notice(
        &self,
        notice: &NewNotice,
        flow_version_id: i64,
        valid_for: Duration,
        now: DateTime<Utc>,
    ) -> Result<NoticeOutcome, StorageError> {
        self.submit_notice_with(notice, flow_version_id, valid_for, now, |_| {
            Effects::default()
        })
        .await
    }

    /// Like [`Db::submit_notice`]; the effects of a new invitation (e.g. the invitation message
    /// to a chat we know) are recorded in the same transaction.
    pub async fn submit_notice_with<F>(
        &self,
        notice: &NewNotice,
        flow_version_id: i64,
        valid_for: Duration,
        now: DateTime<Utc>,
        effects_for: F,
    ) -> Result<NoticeOutcome, StorageError>
    where
        F: FnOnce(&Invitation) -> Effects,
    {
        let mut tx = self.pool.begin().await?;
        let known: Option<i64> = sqlx::query_scalar("SELECT 1 FROM agencies WHERE code = $1")
            .bind(&notice.agency_code)
            .fetch_optional(&mut *tx)
            .await?;
        let inserted = sqlx::query(
            "INSERT INTO notices (dossier_code, agency_code, unknown_agency, procedure_code, procedure_name,
             submission_channel, completed_at, recipient_chat_id, received_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (dossier_code) DO NOTHING",
        )
        .bind(&notice.dossier_code)
        .bind(&notice.agency_code)
        .bind(i64::from(known.is_none()))
        .bind(&notice.procedure_code)
        .bind(&notice.procedure_name)
        .bind(notice.submission_channel)
        .bind(timestamp(notice.completed_at))
        .bind(notice.recipient_chat_id.as_deref())
        .bind(timestamp(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            tx.rollback().await?;
            let existing = self
                .invitation_for_dossier(&notice.dossier_code)
                .await?
                .ok_or_else(|| {
                    StorageError::Corrupt(format!(
                        "notice {} has no invitation",
                        notice.dossier_code
                    ))
                })?;
            return Ok(NoticeOutcome::Existing(existing));
        }
        let token = new_token();
        sqlx::query(
            "INSERT INTO invitations (token, dossier_code, flow_version_id, status, created_at, expires_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $5)",
        )
        .bind(&token)
        .bind(&notice.dossier_code)
        .bind(flow_version_id)
        .bind(InvitationStatus::Pending)
        .bind(timestamp(now))
        .bind(timestamp(now + valid_for))
        .execute(&mut *tx)
        .await?;
        let agency_name: Option<String> =
            sqlx::query_scalar("SELECT name FROM agencies WHERE code = $1")
                .bind(&notice.agency_code)
                .fetch_optional(&mut *tx)
                .await?;
        let invitation = Invitation {
            token,
            flow_version_id,
            status: InvitationStatus::Pending,
            // Stored at second precision: equal to what a later read returns.
            expires_at: parse_timestamp(&timestamp(now + valid_for))?,
            dossier_code: notice.dossier_code.clone(),
            agency_code: notice.agency_code.clone(),
            agency_name,
            unknown_agency: known.is_none(),
            procedure_code: notice.procedure_code.clone(),
            procedure_name: notice.procedure_name.clone(),
            submission_channel: notice.submission_channel,
            completed_at: parse_timestamp(&timestamp(notice.completed_at))?,
            recipient_chat_id: notice.recipient_chat_id.clone(),
        };
        apply_effects(&mut tx, &effects_for(&invitation), now).await?;
        tx.commit().await?;
        Ok(NoticeOutcome::Created(invitation))
    }

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
