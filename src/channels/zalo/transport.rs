//! [`ZaloTransport`]: the delivery core's [`Transport`] for the Zalo channel. It sends one
//! outbox row through the [`TokenManager`] (which refreshes the access token and retries once
//! on -216/-220) and maps Zalo's error classes onto the core's [`Outcome`]s.
//!
//! The rows Zalo's outbox holds, by `kind` (payloads are built by [`payload`] and
//! [`super::invitations`]):
//! - `cs`: a reply in the conversation; `reminder`: a reminder. Both are consultation messages,
//!   sent only while the user's messaging window allows ([`Window::allows`]).
//! - `invite_user`: an invitation to a follower: a consultation message while the window allows,
//!   else the invitation template by user id.
//! - `invite_phone`: the invitation template by phone number (ZBS); `chat_id` is
//!   `invitation:<token>`, so the number is only in the payload, never in a key or a log, and it
//!   is dropped from the payload once the row will not be sent again.
//!
//! Before anything is sent the sender's pause is read ([`PauseSwitch`]): while paused, every row
//! waits (`Retry`) and no call reaches Zalo. An answer whose class pauses
//! ([`ErrorClass::pauses`]) pauses the sender and the row waits too. A template refused at night
//! waits until 06:00 Vietnam time, one refused for quota until 06:00 the next day
//! ([`super::schedule`]). A citizen Zalo cannot reach is recorded out of reach for the
//! invitation, so another channel can take over.

use super::errors::{ErrorClass, ZaloError};
use super::messages::{OutboundMessage, QueryButton};
use super::pause::{PAUSE_RECHECK, PauseSwitch};
use super::phone::PhoneNumber;
use super::schedule;
use super::template;
use super::token::TokenManager;
use super::window::Window;
use crate::core::clock::Clock;
use crate::services::delivery::{Outcome, Transport};
use crate::storage::{Db, OutboxRow};
use futures::future::BoxFuture;
use serde_json::{Value, json};
use std::sync::Arc;

pub const KIND_REPLY: &str = "cs";
pub const KIND_REMINDER: &str = "reminder";
pub const KIND_INVITE_USER: &str = "invite_user";
pub const KIND_INVITE_PHONE: &str = "invite_phone";

/// Sends Zalo's outbox rows.
#[derive(Debug, Clone)]
pub struct ZaloTransport {
    tokens: Arc<TokenManager>,
    db: Db,
    clock: Arc<dyn Clock>,
    /// The approved invitation template, when there is one.
    template_id: Option<String>,
    billable_replies: bool,
    pause: PauseSwitch,
}

/// The payload of a consultation message row.
pub fn payload(message: &OutboundMessage) -> Value {
    let buttons: Vec<Value> = message
        .buttons
        .iter()
        .map(|b| json!({"title": b.title, "payload": b.payload}))
        .collect();
    json!({"text": message.text, "buttons": buttons})
}

/// Reads a consultation message back from a row's payload.
pub fn message_of(payload: &Value) -> Option<OutboundMessage> {
    let text = payload.get("text")?.as_str()?.to_string();
    let buttons = payload
        .get("buttons")
        .and_then(Value::as_array)
        .map(|buttons| {
            buttons
                .iter()
                .filter_map(|b| {
                    Some(QueryButton {
                        title: b.get("title")?.as_str()?.to_string(),
                        payload: b.get("payload")?.as_str()?.to_string(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Some(OutboundMessage { text, buttons })
}

impl ZaloTransport {
    pub fn new(
        tokens: Arc<TokenManager>,
        db: Db,
        clock: Arc<dyn Clock>,
        template_id: Option<String>,
        billable_replies: bool,
        pause: PauseSwitch,
    ) -> ZaloTransport {
        ZaloTransport {
            tokens,
            db,
            clock,
            template_id,
            billable_replies,
            pause,
        }
    }

    /// The sender's pause switch (shared with the upkeep loop).
    pub fn pause_switch(&self) -> &PauseSwitch {
        &self.pause
    }

    async fn window(&self, user_id: &str) -> Result<Window, Outcome> {
        let user = self
            .db
            .zalo_user(user_id)
            .await
            .map_err(|err| retry(&ZaloError::from(err)))?;
        Ok(Window::at(
            user.map(|u| u.last_interaction_at),
            self.clock.now(),
        ))
    }

    async fn send_row(&self, row: &OutboxRow) -> Outcome {
        match self.pause.paused().await {
            Ok(None) => {}
            Ok(Some(pause)) => {
                return Outcome::Retry {
                    after: Some(PAUSE_RECHECK),
                    error: format!(
                        "the Zalo sender is paused ({} {}): waiting for an operator",
                        pause.host, pause.code
                    ),
                };
            }
            Err(err) => return retry(&ZaloError::from(err)),
        }
        match row.kind.as_str() {
            KIND_REPLY | KIND_REMINDER => {
                let Some(message) = message_of(&row.payload) else {
                    return Outcome::MessageFailed("malformed Zalo message payload".into());
                };
                let window = match self.window(&row.chat_id).await {
                    Ok(window) => window,
                    Err(outcome) => return outcome,
                };
                if !window.allows(self.billable_replies, row.kind == KIND_REMINDER) {
                    return self.outside_window(row, window).await;
                }
                let sent = self.tokens.send_consultation(&row.chat_id, &message).await;
                self.outcome(row, sent.map(|_| ())).await
            }
            KIND_INVITE_USER => {
                let Some(message) = message_of(&row.payload) else {
                    return Outcome::MessageFailed("malformed Zalo invitation payload".into());
                };
                let window = match self.window(&row.chat_id).await {
                    Ok(window) => window,
                    Err(outcome) => return outcome,
                };
                if window.allows(self.billable_replies, false) {
                    match self.tokens.send_consultation(&row.chat_id, &message).await {
                        // Zalo knows better than our record: fall back on the template.
                        Err(err) if err.class() == ErrorClass::WindowClosed => {}
                        // Its message id matches the delivery receipt back to the invitation.
                        sent => return self.template_outcome(row, sent).await,
                    }
                }
                let Some(template_id) = &self.template_id else {
                    return self.outside_window(row, Window::Closed).await;
                };
                let data = match self.template_data(row).await {
                    Ok(data) => data,
                    Err(outcome) => return outcome,
                };
                let sent = self
                    .tokens
                    .send_template_to_user(&row.chat_id, template_id, &data)
                    .await;
                self.template_outcome(row, sent).await
            }
            KIND_INVITE_PHONE => {
                let Some(template_id) = &self.template_id else {
                    return Outcome::MessageFailed("ZALO_INVITATION_TEMPLATE_ID is not set".into());
                };
                let phone = row
                    .payload
                    .get("phone")
                    .and_then(Value::as_str)
                    .and_then(|p| PhoneNumber::parse(p).ok());
                let Some(phone) = phone else {
                    return Outcome::MessageFailed("the row has no valid phone number".into());
                };
                let token = row.invitation_token.clone().unwrap_or_default();
                let data = match self.template_data(row).await {
                    Ok(data) => data,
                    Err(outcome) => return outcome,
                };
                let sent = self
                    .tokens
                    .send_template_to_phone(&phone, template_id, &data, &token)
                    .await;
                let outcome = self.template_outcome(row, sent).await;
                if !matches!(outcome, Outcome::Retry { .. }) {
                    self.forget_phone(row).await;
                }
                outcome
            }
            other => Outcome::MessageFailed(format!("unknown Zalo row kind {other:?}")),
        }
    }

    /// The template's parameters of `row`, with the receipt's short code as the identifying
    /// parameter (made now if the invitation has none yet: the same code every time).
    async fn template_data(&self, row: &OutboxRow) -> Result<Value, Outcome> {
        let data = row
            .payload
            .get("template_data")
            .cloned()
            .unwrap_or(json!({}));
        let Some(token) = &row.invitation_token else {
            return Ok(data);
        };
        let storage = |err: crate::storage::StorageError| retry(&ZaloError::from(err));
        let Some(invitation) = self.db.invitation(token).await.map_err(storage)? else {
            return Ok(data);
        };
        let code = self
            .db
            .create_receipt_code(token, invitation.expires_at, self.clock.now())
            .await
            .map_err(storage)?;
        Ok(template::with_receipt_code(data, &code))
    }

    /// A consultation message the window does not allow now: closed means the chat is out of
    /// reach (recorded); billed without permission means this message is not sent.
    async fn outside_window(&self, row: &OutboxRow, window: Window) -> Outcome {
        match window {
            Window::Closed => {
                let reason = "the Zalo messaging window is closed";
                self.record_out_of_reach(row, reason).await;
                Outcome::ChatUnreachable(reason.into())
            }
            _ if row.kind == KIND_REMINDER => {
                Outcome::MessageFailed("a reminder is sent only in the free window".into())
            }
            _ => Outcome::MessageFailed(
                "the free window has passed and ZALO_BILLABLE_REPLIES is off".into(),
            ),
        }
    }

    /// A sent invitation counts as done only once its message id is stored: by user id, a
    /// rating and a delivery receipt name the invitation only by that id. A passing storage
    /// failure is tried again a few times; sending again would bill the citizen's OA twice.
    async fn template_outcome(
        &self,
        row: &OutboxRow,
        sent: Result<super::Sent, ZaloError>,
    ) -> Outcome {
        let sent = match sent {
            Ok(sent) => sent,
            Err(err) => return self.outcome(row, Err(err)).await,
        };
        let Some(token) = &row.invitation_token else {
            return Outcome::Sent;
        };
        let mut tries = 0u32;
        loop {
            match self
                .db
                .record_zalo_template(token, sent.message_id.as_deref(), self.clock.now())
                .await
            {
                Ok(()) => return Outcome::Sent,
                Err(err) if err.is_transient() && tries < 5 => {
                    tries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(200 * u64::from(tries)))
                        .await;
                }
                Err(err) => {
                    tracing::error!(%err, "could not record a Zalo template's message id");
                    return Outcome::Sent;
                }
            }
        }
    }

    /// Maps a call's result onto the delivery core's rules.
    async fn outcome(&self, row: &OutboxRow, sent: Result<(), ZaloError>) -> Outcome {
        let err = match sent {
            Ok(()) => return Outcome::Sent,
            Err(err) => err,
        };
        let class = err.class();
        let now = self.clock.now();
        match class {
            ErrorClass::WindowClosed | ErrorClass::Undeliverable => {
                self.record_out_of_reach(row, &err.to_string()).await;
                Outcome::ChatUnreachable(err.to_string())
            }
            ErrorClass::Permanent => Outcome::MessageFailed(err.to_string()),
            ErrorClass::NightTime => Outcome::Retry {
                after: Some(schedule::until(now, schedule::next_morning(now))),
                error: err.to_string(),
            },
            ErrorClass::NextDay => Outcome::Retry {
                after: Some(schedule::until(now, schedule::next_day_morning(now))),
                error: err.to_string(),
            },
            class if class.pauses() => {
                self.pause.pause(&err).await;
                retry(&err)
            }
            // The token manager has already refreshed and retried once: a second refusal waits
            // for the next attempt rather than looping here.
            _ => retry(&err),
        }
    }

    /// Drops the phone number from a row that will not be sent again: numbers are kept only as
    /// long as delivery needs them.
    async fn forget_phone(&self, row: &OutboxRow) {
        let mut payload = row.payload.clone();
        if let Some(fields) = payload.as_object_mut() {
            fields.remove("phone");
        }
        if let Err(err) = self.db.replace_outbox_payload(row.id, &payload).await {
            tracing::error!(%err, row = row.id, "could not drop a phone number from the outbox");
        }
    }

    async fn record_out_of_reach(&self, row: &OutboxRow, reason: &str) {
        if let Some(token) = &row.invitation_token
            && let Err(err) = self
                .db
                .mark_zalo_out_of_reach(token, reason, self.clock.now())
                .await
        {
            tracing::error!(%err, "could not record an invitation out of reach on Zalo");
        }
    }
}

fn retry(err: &ZaloError) -> Outcome {
    Outcome::Retry {
        after: err.class().suggested_wait(),
        error: err.to_string(),
    }
}

impl Transport for ZaloTransport {
    fn channel(&self) -> &'static str {
        super::CHANNEL
    }

    fn send<'a>(&'a self, row: &'a OutboxRow) -> BoxFuture<'a, Outcome> {
        Box::pin(self.send_row(row))
    }
}
