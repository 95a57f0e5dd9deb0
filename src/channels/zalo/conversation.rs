//! The citizens' conversation in the OA chat: one stored webhook event becomes a call to the
//! citizens' service (opening, later, decline, `/cancel`, withdrawal, receipt codes), an engine
//! input, or a follower change; the replies are rendered by [`ZaloCitizens`] as `zalo` outbox
//! rows written in the same transaction as the state (the event's dedup key is the inbound id,
//! so an event processed twice changes nothing). No network call here: [`super::transport`]
//! sends the rows.
//!
//! A typed answer works as on Telegram (digits, the labels with or without diacritics, "bỏ qua",
//! "quay lại"); a pressed query button arrives as text and is read with
//! [`parse_query_payload`] (answers) or [`parse_action`] (the invitation's and the withdrawal's
//! buttons). `/cancel`, `/xoa` and `/help` are typed as on Telegram. A citizen with no survey in
//! progress may send the short code printed on the receipt; wrong codes are counted per Zalo
//! user.

use super::events::ZaloEvent;
use super::invitations::{
    DECLINE, LATER, START, WITHDRAW_ASK, WITHDRAW_NO, WITHDRAW_YES, ZaloCitizens, parse_action,
};
use super::messages::parse_query_payload;
use crate::core::flow::Lang;
use crate::core::i18n::Locales;
use crate::core::survey::Input;
use crate::services::citizens::{Citizens, CitizensError, Decision, Notice, Origin};
use crate::services::conversation::{ConversationError, Conversations};
use crate::storage::{Outgoing, Session, SessionOpenError, StorageError};
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;
use tokio::sync::Notify;

#[derive(Debug, thiserror::Error)]
pub enum ZaloHandleError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Conversation(#[from] ConversationError),
}

impl From<SessionOpenError> for ZaloHandleError {
    fn from(err: SessionOpenError) -> Self {
        match err {
            SessionOpenError::Storage(err) => ZaloHandleError::Storage(err),
            other => ZaloHandleError::Storage(StorageError::Corrupt(other.to_string())),
        }
    }
}

impl From<CitizensError> for ZaloHandleError {
    fn from(err: CitizensError) -> Self {
        match err {
            CitizensError::Storage(err) => ZaloHandleError::Storage(err),
            CitizensError::Conversation(err) => ZaloHandleError::Conversation(err),
        }
    }
}

/// The Zalo side of the citizens' service.
#[derive(Debug, Clone)]
pub struct Zalo {
    /// The survey service (the inbox worker reads the database through it).
    pub(super) conversations: Conversations,
    pub(super) citizens: Citizens,
    pub(super) renderer: ZaloCitizens,
    /// Woken whenever rows are added to the outbox.
    outbox_ready: Arc<Notify>,
}

/// A command typed in the OA chat, as on Telegram.
fn command(text: &str) -> Option<&'static str> {
    let word = text.trim().to_lowercase();
    ["/cancel", "/xoa", "/help", "/start"]
        .into_iter()
        .find(|command| *command == word)
}

impl Zalo {
    pub fn new(
        conversations: Conversations,
        locales: Arc<Locales>,
        lang: Lang,
        outbox_ready: Arc<Notify>,
    ) -> Zalo {
        let renderer = ZaloCitizens {
            locales: locales.clone(),
            lang,
            db: conversations.db().clone(),
            billable_replies: false,
            outbox_ready: outbox_ready.clone(),
        };
        Zalo {
            citizens: Citizens::new(conversations.clone(), locales.clone(), lang),
            conversations,
            renderer,
            outbox_ready,
        }
    }

    /// `ZALO_BILLABLE_REPLIES`: a reminder may go as a billed consultation message.
    pub fn with_billable_replies(mut self, billable: bool) -> Zalo {
        self.renderer.billable_replies = billable;
        self
    }

    /// How long "Để sau" waits (`REMINDER_DELAY_HOURS`).
    pub fn with_reminder_delay(mut self, delay: Duration) -> Zalo {
        self.citizens = self.citizens.with_reminder_delay(delay);
        self
    }

    pub fn outbox_ready(&self) -> Arc<Notify> {
        self.outbox_ready.clone()
    }

    /// Handles one event. Safe to call twice with the same event: the second time does nothing.
    pub async fn handle_event(
        &self,
        event: &ZaloEvent,
        now: DateTime<Utc>,
    ) -> Result<(), ZaloHandleError> {
        let inbound = event.dedup_key();
        // The follower rows are Zalo's own: the messaging window reads them. Every event of a
        // user is an interaction, except an unfollow.
        let db = self.conversations.db();
        // The window opens from when the citizen acted (the event's time), not from now.
        let now_or_event = event.interaction(now).map_or(now, |(_, at)| at);
        let (user, following) = match event {
            ZaloEvent::UserSendText { user_id, .. } => (Some(user_id), None),
            ZaloEvent::Follow { user_id, .. } => (Some(user_id), Some(true)),
            ZaloEvent::UserFeedback(feedback) => (feedback.user_id.as_ref(), None),
            ZaloEvent::Unfollow { user_id, .. } => {
                db.unfollow_zalo_user(user_id, now).await?;
                (None, None)
            }
            ZaloEvent::Unknown { .. } => (None, None),
        };
        if let Some(user) = user {
            db.touch_zalo_user(user, following, now_or_event).await?;
        }
        match event {
            ZaloEvent::UserSendText { user_id, text, .. } => {
                self.on_text(&inbound, user_id, text, now).await?;
            }
            ZaloEvent::Follow { user_id, .. } => {
                self.citizens
                    .reply(&self.renderer, user_id, &inbound, Notice::Welcome, now)
                    .await?;
            }
            ZaloEvent::UserFeedback(feedback) => {
                self.store_feedback(&inbound, feedback, now).await?;
            }
            ZaloEvent::Unfollow { .. } | ZaloEvent::Unknown { .. } => {
                self.record(&inbound, Vec::new(), now).await?;
            }
        }
        self.outbox_ready.notify_one();
        Ok(())
    }

    /// Records the event as handled with `outgoing` and no other change; `false` when it had been.
    pub(super) async fn record(
        &self,
        inbound: &str,
        outgoing: Vec<Outgoing>,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        self.citizens
            .record(super::CHANNEL, inbound, outgoing, now)
            .await
    }

    async fn on_text(
        &self,
        inbound: &str,
        user: &str,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ZaloHandleError> {
        let (citizens, renderer) = (&self.citizens, &self.renderer);
        if let Some((action, token)) = parse_action(text) {
            let decide =
                |decision| citizens.decide(renderer, user, inbound, &token, decision, None, now);
            match action {
                START => {
                    citizens
                        .begin(renderer, user, inbound, &token, Origin::NONE, now)
                        .await?
                }
                LATER => decide(Decision::Later).await?,
                DECLINE => decide(Decision::Decline).await?,
                WITHDRAW_ASK => {
                    citizens
                        .ask_withdrawal(renderer, user, inbound, now)
                        .await?
                }
                WITHDRAW_YES | WITHDRAW_NO => {
                    let confirmed = action == WITHDRAW_YES;
                    citizens
                        .withdraw(renderer, user, inbound, confirmed, None, now)
                        .await?
                }
                _ => {
                    citizens
                        .reply(renderer, user, inbound, Notice::Help, now)
                        .await?
                }
            };
            return Ok(());
        }
        match command(text) {
            Some("/cancel") => {
                citizens.cancel(renderer, user, inbound, now).await?;
                return Ok(());
            }
            Some("/xoa") => {
                citizens
                    .ask_withdrawal(renderer, user, inbound, now)
                    .await?;
                return Ok(());
            }
            Some(command) => {
                let notice = match command {
                    "/start" => Notice::Welcome,
                    _ => Notice::Help,
                };
                citizens.reply(renderer, user, inbound, notice, now).await?;
                return Ok(());
            }
            None => {}
        }
        if let Some(session) = citizens.active_session(super::CHANNEL, user).await? {
            let input = match parse_query_payload(text) {
                Some((question, button)) => Input::Button { question, button },
                None => Input::Text(text.trim().to_string()),
            };
            return self.survey_input(inbound, user, session, input, now).await;
        }
        // Only a text shaped like a code counts as an attempt: a greeting is not a guess.
        citizens
            .receipt_code(renderer, user, inbound, text, now)
            .await?;
        Ok(())
    }

    /// One answer (typed or pressed) to the survey in progress in `user`'s chat. A pressed
    /// button arrives as text: no message of ours to edit.
    async fn survey_input(
        &self,
        inbound: &str,
        user: &str,
        session: Session,
        input: Input,
        now: DateTime<Utc>,
    ) -> Result<(), ZaloHandleError> {
        let done = self
            .citizens
            .answer(
                &self.renderer,
                user,
                inbound,
                session,
                input,
                Origin::NONE,
                now,
            )
            .await?;
        if done.duplicate {
            tracing::debug!("Zalo event handled before");
        }
        Ok(())
    }

    /// Sends the reminder of every Zalo invitation whose "Để sau" time has come, once, as the
    /// messaging window allows (see [`ZaloCitizens`]'s reminder).
    pub async fn send_due_reminders(&self, now: DateTime<Utc>) -> Result<usize, ZaloHandleError> {
        let sent = self
            .citizens
            .send_due_reminders(&self.renderer, now)
            .await?;
        if sent > 0 {
            self.outbox_ready.notify_one();
        }
        Ok(sent)
    }
}
