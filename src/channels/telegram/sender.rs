//! Delivers the Telegram outbox through teloxide's `Throttle` (about 1 message per second per
//! chat, 20 per minute per group, 30 per second overall).
//!
//! Each chat's rows go out in order: a chat whose first pending row is not due yet waits whole.
//! 429 waits the `retry_after` the API asked for; server errors and time-outs back off; a chat
//! that cannot be reached (403: blocked, never started) is marked undeliverable and not retried.

use super::messages::{self, Payload};
use crate::clock::Clock;
use crate::storage::{Db, Delivery, OutboxRow, StorageError};
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::Arc;
use teloxide::adaptors::Throttle;
use teloxide::adaptors::throttle::Limits;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, InputFile, MessageId};
use teloxide::{ApiError, RequestError};

/// After this many failed attempts a row is given up: kept as `undeliverable`, with the last error.
pub const MAX_ATTEMPTS: i64 = 12;

/// The bot used for sending, rate-limited as Telegram asks.
pub type SendingBot = Throttle<Bot>;

pub fn throttled(bot: Bot) -> SendingBot {
    bot.throttle(Limits::default())
}

#[derive(Debug, Clone)]
pub struct Sender {
    db: Db,
    bot: SendingBot,
    clock: Arc<dyn Clock>,
    /// Counts finished passes, so tests and operators can wait for the outbox to move.
    passes: Arc<tokio::sync::watch::Sender<u64>>,
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    pub sent: usize,
    pub retried: usize,
    pub undeliverable: usize,
    /// The earliest time a pending row becomes due, if any is waiting.
    pub next_due: Option<DateTime<Utc>>,
}

impl Sender {
    pub fn new(db: Db, bot: SendingBot, clock: Arc<dyn Clock>) -> Sender {
        Sender {
            db,
            bot,
            clock,
            passes: Arc::new(tokio::sync::watch::channel(0).0),
        }
    }

    /// Changes after every delivery pass.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.passes.subscribe()
    }

    /// Sends every due row once: chats in parallel, each chat's rows in order.
    pub async fn deliver_due(&self) -> Result<Pass, StorageError> {
        let rows = self.db.pending_outbox(super::CHANNEL, 500).await?;
        let now = self.clock.now();
        let mut by_chat: Vec<(String, Vec<OutboxRow>)> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut pass = Pass::default();
        for row in rows {
            let slot = *index.entry(row.chat_id.clone()).or_insert_with(|| {
                by_chat.push((row.chat_id.clone(), Vec::new()));
                by_chat.len() - 1
            });
            by_chat[slot].1.push(row);
        }
        let mut chats = Vec::new();
        for (_, rows) in by_chat {
            let due: Vec<OutboxRow> = rows
                .iter()
                .take_while(|r| r.next_attempt_at <= now)
                .cloned()
                .collect();
            if let Some(waiting) = rows.get(due.len()) {
                pass.next_due = Some(
                    pass.next_due
                        .map_or(waiting.next_attempt_at, |t| t.min(waiting.next_attempt_at)),
                );
            }
            if !due.is_empty() {
                chats.push(self.deliver_chat(due));
            }
        }
        let results = futures::future::join_all(chats).await;
        self.passes.send_modify(|count| *count += 1);
        for result in results {
            let chat_pass = result?;
            pass.sent += chat_pass.sent;
            pass.retried += chat_pass.retried;
            pass.undeliverable += chat_pass.undeliverable;
            if let Some(at) = chat_pass.next_due {
                pass.next_due = Some(pass.next_due.map_or(at, |t| t.min(at)));
            }
        }
        Ok(pass)
    }

    async fn deliver_chat(&self, rows: Vec<OutboxRow>) -> Result<Pass, StorageError> {
        let mut pass = Pass::default();
        for row in rows {
            if !self.db.claim_outbox(row.id, self.clock.now()).await? {
                continue; // another worker has it
            }
            let delivery = self.send(&row).await;
            let now = self.clock.now();
            let delivery = match delivery {
                Delivery::RetryAt(_, error) if row.attempts + 1 >= MAX_ATTEMPTS => {
                    tracing::warn!(row = row.id, %error, "giving up on an outbox row");
                    Delivery::Undeliverable(format!("gave up: {error}"))
                }
                other => other,
            };
            self.db.finish_outbox(&row, &delivery, now).await?;
            match delivery {
                Delivery::Sent => {
                    pass.sent += 1;
                    // The next question arrives as a new message (typed answers) or as the
                    // pressed message edited into it (button answers).
                    if row.kind == messages::SEND_MESSAGE || row.kind == messages::EDIT_MESSAGE {
                        crate::metrics::replied(super::CHANNEL, &row.chat_id);
                    }
                }
                Delivery::RetryAt(at, error) => {
                    tracing::info!(row = row.id, %error, retry_at = %at, "outbox row will be retried");
                    pass.retried += 1;
                    pass.next_due = Some(at);
                    // Keep the chat's order: later rows wait for this one.
                    break;
                }
                Delivery::Undeliverable(error) => {
                    tracing::info!(row = row.id, %error, "chat unreachable");
                    pass.undeliverable += 1;
                    break;
                }
            }
        }
        Ok(pass)
    }

    async fn send(&self, row: &OutboxRow) -> Delivery {
        let Ok(chat) = row.chat_id.parse::<i64>() else {
            return Delivery::Undeliverable(format!("bad chat id {:?}", row.chat_id));
        };
        let chat = ChatId(chat);
        let payload: Payload = match serde_json::from_value(row.payload.clone()) {
            Ok(payload) => payload,
            Err(err) => return Delivery::Undeliverable(format!("bad payload: {err}")),
        };
        let keyboard = InlineKeyboardMarkup::new(payload.buttons.iter().map(|row| {
            row.iter()
                .map(|b| InlineKeyboardButton::callback(b.label.clone(), b.data.clone()))
                .collect::<Vec<_>>()
        }));
        let text = payload.text.clone().unwrap_or_default();
        let started = std::time::Instant::now();
        let result = match (row.kind.as_str(), payload.message_id) {
            (messages::SEND_MESSAGE, _) => {
                let request = self.bot.send_message(chat, text);
                if payload.buttons.is_empty() {
                    request.await.map(|_| ())
                } else {
                    request.reply_markup(keyboard).await.map(|_| ())
                }
            }
            (messages::EDIT_MESSAGE, Some(id)) => {
                let request = self.bot.edit_message_text(chat, MessageId(id), text);
                if payload.buttons.is_empty() {
                    request.await.map(|_| ())
                } else {
                    request.reply_markup(keyboard).await.map(|_| ())
                }
            }
            (messages::EDIT_MARKUP, Some(id)) => self
                .bot
                .edit_message_reply_markup(chat, MessageId(id))
                .reply_markup(keyboard)
                .await
                .map(|_| ()),
            (messages::SEND_PHOTO, _) => {
                let Some(bytes) = payload
                    .photo_hex
                    .as_deref()
                    .and_then(|h| hex::decode(h).ok())
                else {
                    return Delivery::Undeliverable("photo payload is not hex".into());
                };
                let photo = InputFile::memory(bytes).file_name("sipas.png");
                self.bot
                    .send_photo(chat, photo)
                    .caption(text)
                    .await
                    .map(|_| ())
            }
            (messages::SEND_DOCUMENT, _) => {
                let Some(bytes) = payload
                    .photo_hex
                    .as_deref()
                    .and_then(|h| hex::decode(h).ok())
                else {
                    return Delivery::Undeliverable("document payload is not hex".into());
                };
                let name = payload
                    .file_name
                    .clone()
                    .unwrap_or_else(|| "sipas.xlsx".into());
                let file = InputFile::memory(bytes).file_name(name);
                self.bot
                    .send_document(chat, file)
                    .caption(text)
                    .await
                    .map(|_| ())
            }
            (kind, _) => return Delivery::Undeliverable(format!("unknown outbox kind {kind}")),
        };
        crate::metrics::sent(super::CHANNEL, started.elapsed(), error_kind(&result));
        classify(result, row.attempts, self.clock.now())
    }

    /// Runs until `shutdown` fires: a pass, then wait for new rows, the next due time or a tick.
    pub async fn run(
        self,
        ready: Arc<tokio::sync::Notify>,
        mut shutdown: tokio::sync::watch::Receiver<bool>,
    ) {
        match self
            .db
            .requeue_stale_outbox(self.clock.now() - Duration::minutes(2))
            .await
        {
            Ok(0) => {}
            Ok(count) => tracing::warn!(
                count,
                "requeued outbox rows left mid-send by a previous run"
            ),
            Err(err) => tracing::error!(%err, "cannot requeue stale outbox rows"),
        }
        loop {
            let pass = self.deliver_due().await;
            crate::metrics::heartbeat("telegram_sender");
            let wait = match pass {
                Ok(pass) => pass
                    .next_due
                    .map(|at| (at - self.clock.now()).to_std().unwrap_or_default())
                    .unwrap_or(std::time::Duration::from_secs(5))
                    .min(std::time::Duration::from_secs(5)),
                Err(err) => {
                    tracing::error!(%err, "outbox pass failed");
                    std::time::Duration::from_secs(2)
                }
            };
            tokio::select! {
                _ = ready.notified() => {}
                _ = tokio::time::sleep(wait) => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                // Finish what is due now, then stop: nothing in flight is dropped.
                if let Err(err) = self.deliver_due().await {
                    tracing::error!(%err, "last outbox pass failed");
                }
                return;
            }
        }
    }
}

/// The kind of a failed call, for the error counter.
fn error_kind(result: &Result<(), RequestError>) -> Option<&'static str> {
    let error = result.as_ref().err()?;
    Some(match error {
        RequestError::RetryAfter(_) => "429",
        RequestError::Network(_) | RequestError::Io(_) => "network",
        RequestError::Api(ApiError::Unknown(text)) if text.starts_with("Internal") => "5xx",
        RequestError::Api(
            ApiError::BotBlocked
            | ApiError::UserDeactivated
            | ApiError::CantInitiateConversation
            | ApiError::BotKicked
            | ApiError::BotKickedFromSupergroup,
        ) => "403",
        RequestError::Api(ApiError::Unknown(text)) if text.starts_with("Forbidden") => "403",
        RequestError::Api(_) => "400",
        _ => "other",
    })
}

/// Maps a Bot API result to what the outbox does next.
fn classify(result: Result<(), RequestError>, attempts: i64, now: DateTime<Utc>) -> Delivery {
    match result {
        Ok(()) => Delivery::Sent,
        Err(RequestError::RetryAfter(wait)) => Delivery::RetryAt(
            now + Duration::seconds(i64::from(wait.seconds())),
            "429 retry after".into(),
        ),
        Err(RequestError::Api(
            error @ (ApiError::BotBlocked
            | ApiError::UserDeactivated
            | ApiError::CantInitiateConversation
            | ApiError::BotKicked
            | ApiError::BotKickedFromSupergroup
            | ApiError::ChatNotFound),
        )) => Delivery::Undeliverable(error.to_string()),
        Err(RequestError::Api(ApiError::Unknown(text))) if text.starts_with("Forbidden") => {
            Delivery::Undeliverable(text)
        }
        // The message already shows what we wanted, or is gone: nothing to retry.
        Err(RequestError::Api(ApiError::MessageNotModified)) => Delivery::Sent,
        Err(RequestError::Api(
            error @ (ApiError::MessageToEditNotFound | ApiError::MessageCantBeEdited),
        )) => {
            tracing::info!(%error, "edit skipped");
            Delivery::Sent
        }
        Err(error) => {
            let backoff = 2i64.saturating_pow(attempts.clamp(0, 9) as u32).min(600);
            Delivery::RetryAt(now + Duration::seconds(backoff), error.to_string())
        }
    }
}
