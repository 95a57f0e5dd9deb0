//! The Telegram transport of the delivery core: turns an outbox row into a Bot API call, and the
//! Bot API's answer into an [`Outcome`]. Pacing, retries, leases and order are the core's
//! ([`crate::services::delivery`]); this file only knows Telegram's vocabulary and errors.
//!
//! - 429 `Too Many Requests` carries `retry_after`: a [`Outcome::Retry`] with that wait.
//! - Time-outs, connection errors, 5xx and a revoked token are transient: retried with backoff.
//! - 403 (blocked, deactivated, kicked, never started) and "chat not found": the chat is
//!   unreachable.
//! - Any other 400 (message too long, bad button data): this message fails alone.

use super::messages::{self, Payload};
use crate::services::delivery::{Outcome, Transport};
use crate::storage::OutboxRow;
use futures::future::BoxFuture;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, InputFile, MessageId};
use teloxide::{ApiError, RequestError};

/// Sends Telegram outbox rows with a plain `Bot`: no teloxide `Throttle`, the core paces.
#[derive(Debug, Clone)]
pub struct TelegramTransport {
    bot: Bot,
}

/// Whether a row counts toward Telegram's per-chat limit: new messages do, edits do not.
pub fn counts_per_chat(row: &OutboxRow) -> bool {
    !matches!(
        row.kind.as_str(),
        messages::EDIT_MESSAGE | messages::EDIT_MARKUP
    )
}

/// Whether a row is the reply an input waits for: the next question arrives as a new message
/// (typed answers) or as the pressed message edited into it (button answers); a keyboard's
/// removal is not a reply.
pub fn answers_input(row: &OutboxRow) -> bool {
    matches!(
        row.kind.as_str(),
        messages::SEND_MESSAGE | messages::EDIT_MESSAGE
    )
}

/// Telegram holds groups and channels (negative chat ids) to about 20 messages a minute.
pub fn slower_chat(row: &OutboxRow) -> Option<f64> {
    row.chat_id.starts_with('-').then_some(20.0 / 60.0)
}

impl TelegramTransport {
    pub fn new(bot: Bot) -> TelegramTransport {
        TelegramTransport { bot }
    }

    async fn send_row(&self, row: &OutboxRow) -> Outcome {
        let Ok(chat) = row.chat_id.parse::<i64>() else {
            return Outcome::ChatUnreachable(format!("bad chat id {:?}", row.chat_id));
        };
        let chat = ChatId(chat);
        let payload: Payload = match serde_json::from_value(row.payload.clone()) {
            Ok(payload) => payload,
            Err(err) => return Outcome::MessageFailed(format!("bad payload: {err}")),
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
                    return Outcome::MessageFailed("photo payload is not hex".into());
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
                    return Outcome::MessageFailed("document payload is not hex".into());
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
            (kind, _) => return Outcome::MessageFailed(format!("unknown outbox kind {kind}")),
        };
        crate::settings::metrics::sent(super::CHANNEL, started.elapsed(), error_kind(&result));
        classify(result)
    }
}

impl Transport for TelegramTransport {
    fn channel(&self) -> &'static str {
        super::CHANNEL
    }

    fn send<'a>(&'a self, row: &'a OutboxRow) -> BoxFuture<'a, Outcome> {
        Box::pin(self.send_row(row))
    }
}

/// The kind of a failed send, for `sipas_send_errors_total`.
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

/// Maps a Bot API result to an [`Outcome`].
pub fn classify(result: Result<(), RequestError>) -> Outcome {
    let error = match result {
        Ok(()) => return Outcome::Sent,
        Err(error) => error,
    };
    match error {
        RequestError::RetryAfter(wait) => Outcome::Retry {
            after: Some(wait.duration()),
            error: "429 Too Many Requests".into(),
        },
        RequestError::Api(
            error @ (ApiError::BotBlocked
            | ApiError::UserDeactivated
            | ApiError::CantInitiateConversation
            | ApiError::CantTalkWithBots
            | ApiError::BotKicked
            | ApiError::BotKickedFromSupergroup
            | ApiError::ChatNotFound
            | ApiError::UserNotFound),
        ) => Outcome::ChatUnreachable(error.to_string()),
        // A group became a supergroup: the old id reaches nobody.
        RequestError::MigrateToChatId(_) => Outcome::ChatUnreachable(error.to_string()),
        // The message already shows what we wanted, or is gone: nothing to retry.
        RequestError::Api(ApiError::MessageNotModified) => Outcome::Sent,
        RequestError::Api(
            error @ (ApiError::MessageToEditNotFound | ApiError::MessageCantBeEdited),
        ) => {
            tracing::info!(%error, "edit skipped");
            Outcome::Sent
        }
        // A revoked token or a clash of pollers is ours to fix; the messages wait.
        RequestError::Api(ApiError::InvalidToken | ApiError::TerminatedByOtherGetUpdates) => {
            Outcome::Retry {
                after: None,
                error: error.to_string(),
            }
        }
        // teloxide knows no variant for these descriptions; Telegram's prefix says the class.
        RequestError::Api(ApiError::Unknown(text)) => {
            if text.starts_with("Forbidden") {
                Outcome::ChatUnreachable(text)
            } else if text.starts_with("Bad Request") {
                Outcome::MessageFailed(text)
            } else {
                // 5xx ("Internal Server Error", "Bad Gateway", …) and anything unknown.
                Outcome::Retry {
                    after: None,
                    error: text,
                }
            }
        }
        // Every other API error is Telegram refusing this one message (a 400).
        RequestError::Api(error) => Outcome::MessageFailed(error.to_string()),
        // Time-outs, connection errors, a proxy's HTML page: transient.
        RequestError::Network(_) | RequestError::InvalidJson { .. } | RequestError::Io(_) => {
            Outcome::Retry {
                after: None,
                error: error.to_string(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use teloxide::types::Seconds;

    fn api(error: ApiError) -> Outcome {
        classify(Err(RequestError::Api(error)))
    }

    #[test]
    fn groups_are_held_to_twenty_a_minute_and_edits_do_not_count_per_chat() {
        let row = |chat: &str, kind: &str| OutboxRow {
            id: 1,
            channel: "telegram".into(),
            chat_id: chat.into(),
            kind: kind.into(),
            payload: serde_json::json!({}),
            invitation_token: None,
            attempts: 0,
            next_attempt_at: chrono::Utc::now(),
        };
        assert_eq!(
            slower_chat(&row("-1001234", messages::SEND_MESSAGE)),
            Some(20.0 / 60.0)
        );
        assert_eq!(slower_chat(&row("700100", messages::SEND_MESSAGE)), None);
        assert!(counts_per_chat(&row("700100", messages::SEND_PHOTO)));
        assert!(!counts_per_chat(&row("700100", messages::EDIT_MESSAGE)));
    }

    #[test]
    fn a_429_waits_what_telegram_asked() {
        assert_eq!(
            classify(Err(RequestError::RetryAfter(Seconds::from_seconds(7)))),
            Outcome::Retry {
                after: Some(std::time::Duration::from_secs(7)),
                error: "429 Too Many Requests".into(),
            }
        );
    }

    #[test]
    fn server_errors_and_a_bad_token_are_retried() {
        for error in [
            ApiError::Unknown("Internal Server Error".into()),
            ApiError::Unknown("Bad Gateway".into()),
            ApiError::InvalidToken,
        ] {
            assert!(
                matches!(api(error.clone()), Outcome::Retry { after: None, .. }),
                "{error:?}"
            );
        }
    }

    #[test]
    fn a_bad_request_fails_the_message_and_a_refusal_the_chat() {
        assert!(matches!(
            api(ApiError::MessageIsTooLong),
            Outcome::MessageFailed(_)
        ));
        assert!(matches!(
            api(ApiError::Unknown("Bad Request: BUTTON_DATA_INVALID".into())),
            Outcome::MessageFailed(_)
        ));
        for error in [
            ApiError::BotBlocked,
            ApiError::UserDeactivated,
            ApiError::ChatNotFound,
            ApiError::Unknown("Forbidden: bot was kicked from the channel chat".into()),
        ] {
            assert!(
                matches!(api(error.clone()), Outcome::ChatUnreachable(_)),
                "{error:?}"
            );
        }
        assert_eq!(api(ApiError::MessageNotModified), Outcome::Sent);
    }
}
