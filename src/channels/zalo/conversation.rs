//! The citizens' conversation in the OA chat: one stored webhook event becomes engine inputs,
//! receipt codes or follower changes, and its replies become `zalo` outbox rows written in the
//! same transaction as the state (the event's dedup key is the inbound id, so an event processed
//! twice changes nothing). No network call here: [`super::transport`] sends the rows.
//!
//! A typed answer works as on Telegram (digits, the labels with or without diacritics, "bỏ qua",
//! "quay lại"); a pressed query button arrives as text and is read with
//! [`parse_query_payload`]. A citizen with no survey in progress may send the short code printed
//! on the receipt; wrong codes are counted per Zalo user.

use super::events::ZaloEvent;
use super::messages::{
    OutboundMessage, QueryButton, from_prompt, parse_query_payload, query_payload,
};
use super::transport::{KIND_REPLY, payload};
use crate::core::flow::{Flow, Lang};
use crate::core::i18n::Locales;
use crate::core::prompt;
use crate::core::survey::{Input, Reply};
use crate::services::conversation::{ConversationError, Conversations};
use crate::storage::zalo::{AttemptLimit, ReceiptCodeError, normalize_receipt_code};
use crate::storage::{Effects, Outgoing, Progress, Session, SessionOpenError, StorageError};
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;
use tokio::sync::Notify;

/// How many wrong receipt codes a Zalo user may send in an hour.
pub const CODE_ATTEMPTS: AttemptLimit = AttemptLimit {
    max_failures: 5,
    window: Duration::hours(1),
};

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

/// The Zalo side of the conversation service.
#[derive(Debug, Clone)]
pub struct Zalo {
    pub(super) conversations: Conversations,
    pub(super) locales: Arc<Locales>,
    pub(super) lang: Lang,
    /// Woken whenever rows are added to the outbox.
    outbox_ready: Arc<Notify>,
}

/// The payload of the invitation's start button: `Bắt đầu khảo sát [start|<token>]`.
pub fn start_payload(label: &str, token: &str) -> String {
    query_payload(label, &format!("start|{token}"))
}

/// Reads the token back from a pressed start button.
pub fn parse_start(text: &str) -> Option<String> {
    let inner = text.trim().strip_suffix(']')?;
    let (_, data) = inner.rsplit_once('[')?;
    let token = data.strip_prefix("start|")?;
    (!token.is_empty() && token.chars().all(|c| c.is_ascii_alphanumeric()))
        .then(|| token.to_string())
}

impl Zalo {
    pub fn new(
        conversations: Conversations,
        locales: Arc<Locales>,
        lang: Lang,
        outbox_ready: Arc<Notify>,
    ) -> Zalo {
        Zalo {
            conversations,
            locales,
            lang,
            outbox_ready,
        }
    }

    pub fn outbox_ready(&self) -> Arc<Notify> {
        self.outbox_ready.clone()
    }

    pub(super) fn text(&self, id: &str, args: &[(&str, String)]) -> String {
        self.locales.text(self.lang, id, args)
    }

    /// A consultation message to `user` as an outbox row.
    pub(super) fn row(user: &str, message: &OutboundMessage, token: Option<&str>) -> Outgoing {
        Outgoing {
            channel: super::CHANNEL.to_string(),
            chat_id: user.to_string(),
            kind: KIND_REPLY.to_string(),
            payload: payload(message),
            invitation_token: token.map(str::to_string),
        }
    }

    /// Handles one event. Safe to call twice with the same event: the second time does nothing.
    pub async fn handle_event(
        &self,
        event: &ZaloEvent,
        now: DateTime<Utc>,
    ) -> Result<(), ZaloHandleError> {
        let inbound = event.dedup_key();
        let db = self.conversations.db();
        // The window opens from when the citizen acted (the event's time), not from now.
        let now_or_event = event.interaction(now).map_or(now, |(_, at)| at);
        match event {
            ZaloEvent::UserSendText { user_id, text, .. } => {
                db.touch_zalo_user(user_id, None, now_or_event).await?;
                self.on_text(&inbound, user_id, text, now).await?;
            }
            ZaloEvent::Follow { user_id, .. } => {
                db.touch_zalo_user(user_id, Some(true), now_or_event)
                    .await?;
                let welcome = OutboundMessage::text(self.text("zalo-welcome", &[]));
                self.record(&inbound, vec![Zalo::row(user_id, &welcome, None)], now)
                    .await?;
            }
            ZaloEvent::Unfollow { user_id, .. } => {
                db.unfollow_zalo_user(user_id, now).await?;
                self.record(&inbound, Vec::new(), now).await?;
            }
            ZaloEvent::UserFeedback(feedback) => {
                if let Some(user) = &feedback.user_id {
                    db.touch_zalo_user(user, None, now_or_event).await?;
                }
                self.store_feedback(&inbound, feedback, now).await?;
            }
            ZaloEvent::Unknown { .. } => {
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
        let effects = Effects {
            inbound: Some((super::CHANNEL.to_string(), inbound.to_string())),
            outgoing,
        };
        self.conversations.db().record_effects(&effects, now).await
    }

    async fn reply(
        &self,
        inbound: &str,
        user: &str,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let message = OutboundMessage::text(self.text(id, &[]));
        self.record(inbound, vec![Zalo::row(user, &message, None)], now)
            .await?;
        Ok(())
    }

    async fn on_text(
        &self,
        inbound: &str,
        user: &str,
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ZaloHandleError> {
        if let Some(token) = parse_start(text) {
            return self.begin(inbound, user, &token, now).await;
        }
        let db = self.conversations.db();
        if let Some(session) = db.active_session(super::CHANNEL, user).await? {
            let input = match parse_query_payload(text) {
                Some((question, button)) => Input::Button { question, button },
                None => Input::Text(text.trim().to_string()),
            };
            return self.survey_input(inbound, user, session, input, now).await;
        }
        if normalize_receipt_code(text).is_none() {
            self.reply(inbound, user, "zalo-no-survey", now).await?;
            return Ok(());
        }
        // Only a text shaped like a code counts as an attempt: a greeting is not a guess.
        match db.redeem_receipt_code(text, user, CODE_ATTEMPTS, now).await {
            Ok(token) => self.begin(inbound, user, &token, now).await,
            Err(ReceiptCodeError::Storage(err)) => Err(err.into()),
            Err(refusal) => {
                let id = match refusal {
                    ReceiptCodeError::Expired => "zalo-code-expired",
                    ReceiptCodeError::Used => "zalo-code-used",
                    ReceiptCodeError::TooManyAttempts => "zalo-code-too-many",
                    _ => "zalo-code-unknown",
                };
                self.reply(inbound, user, id, now).await?;
                Ok(())
            }
        }
    }

    /// Opens or resumes the survey of `token` in `user`'s chat and sends its current question.
    async fn begin(
        &self,
        inbound: &str,
        user: &str,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ZaloHandleError> {
        let opened = match self
            .conversations
            .open(token, super::CHANNEL, user, self.lang, now)
            .await
        {
            Ok(opened) => opened,
            Err(SessionOpenError::Storage(err)) => return Err(err.into()),
            Err(refusal) => {
                let id = match refusal {
                    SessionOpenError::UnknownToken => "invitation-unknown",
                    SessionOpenError::Expired => "invitation-expired",
                    SessionOpenError::AlreadyCompleted => "invitation-completed",
                    _ => "invitation-in-use",
                };
                self.reply(inbound, user, id, now).await?;
                return Ok(());
            }
        };
        let lead = if opened.resumed {
            self.text("survey-resumed", &[])
        } else {
            opened.flow.intro.get(self.lang).to_string()
        };
        let message = match prompt::question(
            &self.locales,
            self.lang,
            &opened.flow,
            &opened.session.state,
        ) {
            Some(question) => with_lead(lead, from_prompt(&self.locales, self.lang, &question)),
            None => OutboundMessage::text(self.text("invitation-completed", &[])),
        };
        self.record(inbound, vec![Zalo::row(user, &message, Some(token))], now)
            .await?;
        Ok(())
    }

    /// One answer (typed or pressed) to the survey in progress in `user`'s chat.
    async fn survey_input(
        &self,
        inbound: &str,
        user: &str,
        session: Session,
        input: Input,
        now: DateTime<Utc>,
    ) -> Result<(), ZaloHandleError> {
        let locales = self.locales.clone();
        let lang = session.lang;
        let token = session.token.clone();
        let effects_for = |after: &Session, flow: &Flow, reply: &Reply| -> Effects {
            let mut effects = Effects::from_inbound(super::CHANNEL, inbound);
            let current = || prompt::question(&locales, lang, flow, &after.state);
            let message = match reply {
                Reply::Ask { hint, .. } => current().map(|question| {
                    let message = from_prompt(&locales, lang, &question);
                    match hint {
                        Some(hint) => with_lead(prompt::hint(&locales, lang, flow, hint), message),
                        None => message,
                    }
                }),
                Reply::Finished => Some(OutboundMessage::text(flow.outro.get(lang).to_string())),
                Reply::AlreadyFinished => Some(OutboundMessage::text(locales.text(
                    lang,
                    "invitation-completed",
                    &[],
                ))),
                Reply::StaleButton { .. } => current().map(|question| {
                    with_lead(
                        locales.text(lang, "zalo-stale-button", &[]),
                        from_prompt(&locales, lang, &question),
                    )
                }),
            };
            if let Some(message) = message {
                effects.push(Zalo::row(user, &message, Some(&token)));
            }
            effects
        };
        let turn = self
            .conversations
            .input_with(&session, &input, now, effects_for)
            .await?;
        if turn.progress == Progress::Duplicate {
            tracing::debug!("Zalo event handled before");
        }
        Ok(())
    }
}

/// `lead`, a blank line, then the message's text; buttons kept.
pub(super) fn with_lead(lead: String, message: OutboundMessage) -> OutboundMessage {
    OutboundMessage {
        text: format!("{lead}\n\n{}", message.text),
        buttons: message.buttons,
    }
}

/// The start button of an invitation sent as a consultation message.
pub(super) fn start_button(locales: &Locales, lang: Lang, token: &str) -> QueryButton {
    let label = locales.text(lang, "zalo-button-start", &[]);
    QueryButton {
        payload: start_payload(&label, token),
        title: label,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_start_button_carries_the_token() {
        let payload = start_payload("Bắt đầu khảo sát", "0123abcd");
        assert_eq!(payload, "Bắt đầu khảo sát [start|0123abcd]");
        assert_eq!(parse_start(&payload).as_deref(), Some("0123abcd"));
        assert_eq!(parse_start("Rất hài lòng [a|access|5]"), None);
        assert_eq!(parse_start("[start|x y]"), None);
    }
}
