//! Survey sessions: one citizen answering one invitation on one channel. Each step's state and
//! answers are written in one transaction before the next question is sent, so a crash or a
//! restart loses nothing and the citizen continues where they were.

use super::codes::stored_code;
use super::columns::{LangCode, StateJson};
use super::flags::judge_and_count;
use super::invitations::update_invitation_status;
use super::outbox::{Effects, apply_effects};
use super::{Db, Invitation, InvitationStatus, StorageError, timestamp};
use crate::core::flow::{Flow, Lang};
use crate::core::survey::{self, SurveyState};
use chrono::{DateTime, Utc};

stored_code! {
    /// Where a survey session is: being answered, paused by the citizen, or done.
    pub enum SessionStatus("session status") {
        Active = "active",
        Paused = "paused",
        Completed = "completed",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Session {
    pub id: i64,
    #[sqlx(rename = "invitation_token")]
    pub token: String,
    pub channel: String,
    /// The chat on `channel`. Private: never exported, never summarized.
    pub chat_ref: String,
    #[sqlx(try_from = "LangCode")]
    pub lang: Lang,
    pub flow_version_id: i64,
    #[sqlx(try_from = "StateJson")]
    pub state: SurveyState,
    pub status: SessionStatus,
    /// Bumped by every save; a save from a stale read is refused (see [`Progress::Conflict`]).
    pub revision: i64,
    /// The message that shows the live question, when the channel knows it (Telegram: the
    /// message a press edited into the next question). `None` after a question was drawn on a
    /// new message, until a press on it names it.
    pub live_message_id: Option<String>,
}

/// The result of opening an invitation's survey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenSession {
    Fresh(Session),
    Resumed(Session),
}

impl OpenSession {
    pub fn session(&self) -> &Session {
        match self {
            OpenSession::Fresh(session) | OpenSession::Resumed(session) => session,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SessionOpenError {
    #[error("unknown invitation")]
    UnknownToken,
    #[error("invitation expired")]
    Expired,
    #[error("invitation already answered")]
    AlreadyCompleted,
    #[error("invitation in use by another chat")]
    InUseElsewhere,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<sqlx::Error> for SessionOpenError {
    fn from(err: sqlx::Error) -> Self {
        SessionOpenError::Storage(err.into())
    }
}

/// What a save did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    Saved,
    /// The survey is complete and its response stored.
    Completed,
    /// Somebody saved this session since it was read: reload and apply the input again.
    Conflict,
    /// The inbound message was handled before: nothing was changed.
    Duplicate,
}

const SESSION_SELECT: &str =
    "SELECT id, invitation_token, channel, chat_ref, lang, flow_version_id, state,
    status, revision, live_message_id FROM survey_sessions";

impl Db {
    /// Opens (or resumes) the survey of invitation `token` for a chat.
    pub async fn open_session(
        &self,
        token: &str,
        channel: &str,
        chat_ref: &str,
        lang: Lang,
        flow: &Flow,
        now: DateTime<Utc>,
    ) -> Result<(OpenSession, Invitation), SessionOpenError> {
        self.open_session_on(token, channel, chat_ref, lang, flow, None, now)
            .await
    }

    /// Like [`Db::open_session`]; a new session answers `flow_version_id` (the flow `flow` is a
    /// version of) instead of the invitation's own flow: a rating from Zalo's template is stored
    /// on a flow that has the overall question.
    #[allow(clippy::too_many_arguments)]
    pub async fn open_session_on(
        &self,
        token: &str,
        channel: &str,
        chat_ref: &str,
        lang: Lang,
        flow: &Flow,
        flow_version_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<(OpenSession, Invitation), SessionOpenError> {
        let invitation = self
            .invitation(token)
            .await?
            .ok_or(SessionOpenError::UnknownToken)?;
        if matches!(
            invitation.status,
            InvitationStatus::Completed | InvitationStatus::Withdrawn
        ) {
            return Err(SessionOpenError::AlreadyCompleted);
        }
        if let Some(mut session) = self.session_for_token(token).await? {
            if session.channel != channel || session.chat_ref != chat_ref {
                return Err(SessionOpenError::InUseElsewhere);
            }
            if invitation.is_expired(now) {
                return Err(SessionOpenError::Expired);
            }
            sqlx::query(
                "UPDATE survey_sessions SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4",
            )
            .bind(SessionStatus::Active)
            .bind(timestamp(now))
            .bind(session.id)
            .bind(SessionStatus::Paused)
            .execute(&self.pool)
            .await?;
            session.status = SessionStatus::Active;
            self.set_invitation_status(token, InvitationStatus::Started, now)
                .await?;
            return Ok((OpenSession::Resumed(session), invitation));
        }
        if invitation.is_expired(now) {
            return Err(SessionOpenError::Expired);
        }
        let state = SurveyState::new(flow);
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO survey_sessions (invitation_token, channel, chat_ref, lang, flow_version_id, state,
             status, revision, started_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $8) ON CONFLICT (invitation_token) DO NOTHING",
        )
        .bind(token)
        .bind(channel)
        .bind(chat_ref)
        .bind(lang.code())
        .bind(flow_version_id.unwrap_or(invitation.flow_version_id))
        .bind(state.to_json())
        .bind(SessionStatus::Active)
        .bind(timestamp(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        update_invitation_status(&mut *tx, token, InvitationStatus::Started, now).await?;
        tx.commit().await?;
        let session = self
            .session_for_token(token)
            .await?
            .ok_or_else(|| StorageError::Corrupt(format!("session for {token} vanished")))?;
        if inserted == 0 {
            // A concurrent open of the same link won the race: treat it as a resume.
            if session.channel != channel || session.chat_ref != chat_ref {
                return Err(SessionOpenError::InUseElsewhere);
            }
            return Ok((OpenSession::Resumed(session), invitation));
        }
        Ok((OpenSession::Fresh(session), invitation))
    }

    pub async fn session_for_token(&self, token: &str) -> Result<Option<Session>, StorageError> {
        Ok(
            sqlx::query_as(&format!("{SESSION_SELECT} WHERE invitation_token = $1"))
                .bind(token)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn session(&self, id: i64) -> Result<Option<Session>, StorageError> {
        Ok(sqlx::query_as(&format!("{SESSION_SELECT} WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The chat's survey in progress, if any (the most recently touched one).
    pub async fn active_session(
        &self,
        channel: &str,
        chat_ref: &str,
    ) -> Result<Option<Session>, StorageError> {
        Ok(sqlx::query_as(&format!(
            "{SESSION_SELECT} WHERE channel = $1 AND chat_ref = $2 AND status = $3
             ORDER BY updated_at DESC, id DESC LIMIT 1"
        ))
        .bind(channel)
        .bind(chat_ref)
        .bind(SessionStatus::Active)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Records which message shows the session's live question (`None`: not known).
    pub async fn set_live_message(
        &self,
        id: i64,
        message: Option<&str>,
    ) -> Result<(), StorageError> {
        sqlx::query("UPDATE survey_sessions SET live_message_id = $1 WHERE id = $2")
            .bind(message)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Pauses a session: the same link resumes it later.
    pub async fn pause_session(&self, id: i64, now: DateTime<Utc>) -> Result<(), StorageError> {
        sqlx::query(
            "UPDATE survey_sessions SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4",
        )
        .bind(SessionStatus::Paused)
        .bind(timestamp(now))
        .bind(id)
        .bind(SessionStatus::Active)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Stores the state after one step, with the answers it holds, in one transaction. When the
    /// state is finished the response is recorded and the invitation completed.
    pub async fn save_progress(
        &self,
        session: &Session,
        state: &SurveyState,
        flow: &Flow,
        now: DateTime<Utc>,
        effects: &Effects,
    ) -> Result<Progress, StorageError> {
        let mut tx = self.pool.begin().await?;
        let status = if state.finished {
            SessionStatus::Completed
        } else {
            SessionStatus::Active
        };
        let updated = sqlx::query(
            "UPDATE survey_sessions SET state = $1, status = $2, revision = revision + 1, updated_at = $3
             WHERE id = $4 AND revision = $5 AND status <> $6",
        )
        .bind(state.to_json())
        .bind(status)
        .bind(timestamp(now))
        .bind(session.id)
        .bind(session.revision)
        .bind(SessionStatus::Completed)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            tx.rollback().await?;
            return Ok(Progress::Conflict);
        }
        if !apply_effects(&mut tx, effects, now).await? {
            tx.rollback().await?;
            return Ok(Progress::Duplicate);
        }
        // The stored answers are exactly `session.state`'s (the revision check above proves it):
        // rewrite only from the first answer that differs, usually just the new one.
        let kept = session
            .state
            .answers
            .iter()
            .zip(&state.answers)
            .take_while(|(stored, new)| stored == new)
            .count();
        sqlx::query("DELETE FROM answers WHERE session_id = $1 AND position >= $2")
            .bind(session.id)
            .bind(kept as i64)
            .execute(&mut *tx)
            .await?;
        for (position, given) in state.answers.iter().enumerate().skip(kept) {
            let question = flow.question(&given.question);
            sqlx::query(
                "INSERT INTO answers (session_id, position, question_id, flow_version_id, factor, kind, value, level, skipped,
                 answered_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(session.id)
            .bind(position as i64)
            .bind(&given.question)
            .bind(session.flow_version_id)
            .bind(question.and_then(|q| q.factor()))
            .bind(question.map_or("unknown", |q| survey::kind_name(&q.kind)))
            .bind(given.answer.export_value())
            .bind(given.answer.scale().map(i64::from))
            .bind(i64::from(given.answer == survey::Answer::Skipped))
            .bind(timestamp(now))
            .execute(&mut *tx)
            .await?;
        }
        if !state.finished {
            tx.commit().await?;
            return Ok(Progress::Saved);
        }
        let recorded = sqlx::query(
            "INSERT INTO responses (session_id, flow_version_id, dossier_code, channel, submitted_at)
             SELECT s.id, s.flow_version_id, i.dossier_code, s.channel, $1
             FROM survey_sessions s JOIN invitations i ON i.token = s.invitation_token WHERE s.id = $2
             ON CONFLICT (session_id) DO NOTHING",
        )
        .bind(timestamp(now))
        .bind(session.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if recorded == 1 {
            // Judged and counted in this transaction: the totals always match the responses.
            let (response_id,): (i64,) =
                sqlx::query_as("SELECT id FROM responses WHERE session_id = $1")
                    .bind(session.id)
                    .fetch_one(&mut *tx)
                    .await?;
            judge_and_count(&mut tx, self.integrity, response_id, session.id, now).await?;
            super::comments::keep_comments(&mut tx, response_id).await?;
        }
        // Last, just before the commit: the agency's totals rows are shared by every response
        // completing there that day, so each transaction holds their locks for as short a time
        // as it can. The order (answer totals, then the invitation totals its trigger keeps) is
        // the one a withdrawal takes too, so the two never deadlock.
        update_invitation_status(&mut *tx, &session.token, InvitationStatus::Completed, now)
            .await?;
        tx.commit().await?;
        Ok(Progress::Completed)
    }
}
