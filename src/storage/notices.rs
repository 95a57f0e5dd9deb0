//! Dossier-completion notices: each stored once per dossier code, with the invitation it creates
//! (see [`super::invitations`]) in the same transaction.

use super::codes::stored_code;
use super::invitations::new_token;
use super::outbox::{Effects, apply_effects};
use super::{Db, Invitation, InvitationStatus, StorageError, parse_timestamp, timestamp};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

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

/// What a notice means on Zalo, when Zalo runs: who it names — a follower's user id, or a phone
/// number (kept only as "by phone": the number travels in the invitation's outbox row alone),
/// which with the notice's Telegram chat binds the invitation to its recipient (see
/// `services::citizens::binding`) — and whether the invitation gets a receipt code to type in
/// the OA chat, made in the notice's own transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ZaloNotice {
    pub user_id: Option<String>,
    pub by_phone: bool,
    pub receipt_code: bool,
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
        self.submit_bound_notice(
            notice,
            &ZaloNotice::default(),
            flow_version_id,
            valid_for,
            now,
            effects_for,
        )
        .await
    }

    /// Like [`Db::submit_notice_with`], with what the notice means on Zalo (its recipient,
    /// stored beside the Telegram chat as the invitation's binding, and the receipt code).
    pub async fn submit_bound_notice<F>(
        &self,
        notice: &NewNotice,
        zalo: &ZaloNotice,
        flow_version_id: i64,
        valid_for: Duration,
        now: DateTime<Utc>,
        effects_for: F,
    ) -> Result<NoticeOutcome, StorageError>
    where
        F: FnOnce(&Invitation) -> Effects,
    {
        let mut tx = self.pool.begin().await?;
        // The write comes first: on SQLite a transaction that reads first holds a snapshot it
        // cannot upgrade once another writer commits, and two identical notices at once then get
        // "database is locked" instead of waiting their turn. Starting with the write takes the
        // write lock at once (waiting on busy_timeout); on PostgreSQL the second insert waits for
        // the first to commit and then does nothing, and we read the row the first one wrote.
        let inserted = sqlx::query(
            "INSERT INTO notices (dossier_code, agency_code, unknown_agency, procedure_code, procedure_name,
             submission_channel, completed_at, recipient_chat_id, received_at,
             recipient_zalo_user_id, recipient_by_phone)
             VALUES ($1, $2, CASE WHEN EXISTS (SELECT 1 FROM agencies WHERE code = $2) THEN 0 ELSE 1 END,
                     $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (dossier_code) DO NOTHING",
        )
        .bind(&notice.dossier_code)
        .bind(&notice.agency_code)
        .bind(&notice.procedure_code)
        .bind(&notice.procedure_name)
        .bind(notice.submission_channel)
        .bind(timestamp(notice.completed_at))
        .bind(notice.recipient_chat_id.as_deref())
        .bind(timestamp(now))
        .bind(zalo.user_id.as_deref())
        .bind(i64::from(zalo.by_phone))
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
        // The agency's name, if we know the agency: read under the write lock just taken.
        let agency_name: Option<String> =
            sqlx::query_scalar("SELECT name FROM agencies WHERE code = $1")
                .bind(&notice.agency_code)
                .fetch_optional(&mut *tx)
                .await?;
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
        let invitation = Invitation {
            token,
            flow_version_id,
            status: InvitationStatus::Pending,
            // Stored at second precision: equal to what a later read returns.
            expires_at: parse_timestamp(&timestamp(now + valid_for))?,
            dossier_code: notice.dossier_code.clone(),
            agency_code: notice.agency_code.clone(),
            unknown_agency: agency_name.is_none(),
            agency_name,
            procedure_code: notice.procedure_code.clone(),
            procedure_name: notice.procedure_name.clone(),
            submission_channel: notice.submission_channel,
            completed_at: parse_timestamp(&timestamp(notice.completed_at))?,
            recipient_chat_id: notice.recipient_chat_id.clone(),
            recipient_zalo_user_id: zalo.user_id.clone(),
            recipient_by_phone: zalo.by_phone,
        };
        if zalo.receipt_code {
            super::zalo::insert_receipt_code(
                &mut tx,
                &invitation.token,
                invitation.expires_at,
                now,
            )
            .await?;
        }
        apply_effects(&mut tx, &effects_for(&invitation), now).await?;
        tx.commit().await?;
        Ok(NoticeOutcome::Created(invitation))
    }
}
