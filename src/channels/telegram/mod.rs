//! The Telegram channel: Bot API updates in, outbox rows out.
//!
//! [`Telegram::handle_update`] turns one update into engine inputs, invitation decisions or
//! officials' commands and records every effect (the update id, the state change, the replies)
//! in one transaction. It makes no network call itself: replies go through the outbox
//! ([`sender`]); the answer to a button press is returned for the caller to send at once.
//! [`poller`] fetches updates by long polling; the HTTP layer accepts them by webhook.
//!
//! This file routes an update by its kind and its [`commands`]; the citizens' conversation is in
//! [`citizens`], invitation buttons and reminders in [`invitations`], the officials' commands
//! and the rendering of their messages in [`officials`], the payloads in [`messages`].

mod citizens;
pub mod commands;
mod invitations;
pub mod messages;
pub mod officials;
pub mod poller;
pub mod sender;
mod withdrawal;

use crate::core::flow::Lang;
use crate::core::i18n::Locales;
use crate::services::citizens::{Citizens, CitizensError, Done, Notice};
use crate::services::conversation::{ConversationError, Conversations};
use crate::services::officials::{Officials, OfficialsError};
use crate::storage::{Outgoing, Session, SessionOpenError, StorageError};
use chrono::{DateTime, Duration, Utc};
use commands::{Command, Parsed};
use futures::future::BoxFuture;
use std::sync::Arc;
use teloxide::prelude::Requester;
use teloxide::types::{CallbackQueryId, ChatId, Message, Update, UpdateKind, UserId};
use tokio::sync::Notify;

/// The channel name stored with sessions, outbox rows and inbound ids.
pub const CHANNEL: &str = "telegram";

/// What the caller must still do after an update was handled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Handled {
    /// Answer this callback query (with an optional short notice shown to the citizen).
    pub callback_answer: Option<(CallbackQueryId, Option<String>)>,
    /// The update had been handled before: nothing was done again.
    pub duplicate: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum HandleError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Conversation(#[from] ConversationError),
    #[error(transparent)]
    Officials(#[from] OfficialsError),
    /// The update lanes have stopped (the server is shutting down): the update was not handled.
    #[error("the update workers have stopped")]
    Stopped,
}

impl HandleError {
    /// Whether handling the same update again may succeed (see [`StorageError::is_transient`]).
    pub fn is_transient(&self) -> bool {
        match self {
            HandleError::Storage(err)
            | HandleError::Conversation(ConversationError::Storage(err))
            | HandleError::Officials(OfficialsError::Storage(err)) => err.is_transient(),
            HandleError::Conversation(ConversationError::Contention) | HandleError::Stopped => true,
            HandleError::Conversation(ConversationError::Engine(_)) | HandleError::Officials(_) => {
                false
            }
        }
    }
}

impl From<CitizensError> for HandleError {
    fn from(err: CitizensError) -> Self {
        match err {
            CitizensError::Storage(err) => HandleError::Storage(err),
            CitizensError::Conversation(err) => HandleError::Conversation(err),
        }
    }
}

impl From<SessionOpenError> for HandleError {
    fn from(err: SessionOpenError) -> Self {
        match err {
            SessionOpenError::Storage(err) => HandleError::Storage(err),
            other => HandleError::Storage(StorageError::Corrupt(other.to_string())),
        }
    }
}

/// Who may end a group's subscriptions: its administrators, as Telegram says.
pub trait ChatAdmins: Send + Sync + std::fmt::Debug {
    fn is_admin(&self, chat: i64, user: u64) -> BoxFuture<'_, Result<bool, String>>;
}

/// [`ChatAdmins`] through the Bot API's getChatMember.
#[derive(Debug, Clone)]
pub struct BotAdmins(pub teloxide::Bot);

impl ChatAdmins for BotAdmins {
    fn is_admin(&self, chat: i64, user: u64) -> BoxFuture<'_, Result<bool, String>> {
        Box::pin(async move {
            self.0
                .get_chat_member(ChatId(chat), UserId(user))
                .await
                .map(|member| member.is_privileged())
                .map_err(|err| err.to_string())
        })
    }
}

/// The Telegram side of the conversation service, and the officials' commands.
#[derive(Debug, Clone)]
pub struct Telegram {
    conversations: Conversations,
    /// The citizens' rules, shared with every channel, and how Telegram renders them.
    citizens: Citizens,
    renderer: invitations::TelegramCitizens,
    officials: Officials,
    admins: Arc<dyn ChatAdmins>,
    locales: Arc<Locales>,
    lang: Lang,
    /// Commands addressed to another bot (`/help@other_bot`) are not ours.
    bot_username: String,
    /// Woken whenever rows are added to the outbox.
    outbox_ready: Arc<Notify>,
}

/// How a [`Telegram`] is wired.
#[derive(Debug, Clone)]
pub struct TelegramSettings {
    pub lang: Lang,
    pub reminder_delay: Duration,
    /// The bot's username as `getMe` reports it, without the `@`.
    pub bot_username: String,
}

impl Telegram {
    pub fn new(
        conversations: Conversations,
        officials: Officials,
        admins: Arc<dyn ChatAdmins>,
        locales: Arc<Locales>,
        settings: TelegramSettings,
        outbox_ready: Arc<Notify>,
    ) -> Telegram {
        let citizens = Citizens::new(conversations.clone(), locales.clone(), settings.lang)
            .with_reminder_delay(settings.reminder_delay);
        let renderer = invitations::TelegramCitizens {
            locales: locales.clone(),
            lang: settings.lang,
            outbox_ready: outbox_ready.clone(),
        };
        Telegram {
            conversations,
            citizens,
            renderer,
            officials,
            admins,
            locales,
            lang: settings.lang,
            bot_username: settings.bot_username,
            outbox_ready,
        }
    }

    fn text(&self, id: &str, args: &[(&str, String)]) -> String {
        self.locales.text(self.lang, id, args)
    }

    /// Handles one update. Safe to call twice with the same update: the second time does nothing.
    pub async fn handle_update(
        &self,
        update: &Update,
        now: DateTime<Utc>,
    ) -> Result<Handled, HandleError> {
        let inbound = update.id.0.to_string();
        let handled = match &update.kind {
            UpdateKind::Message(message) => self.on_message(&inbound, message, now).await?,
            UpdateKind::CallbackQuery(query) => self.on_callback(&inbound, query, now).await?,
            UpdateKind::ChannelPost(post) => self.on_channel_post(&inbound, post, now).await?,
            _ => self.ignore(&inbound, now).await?,
        };
        self.outbox_ready.notify_one();
        Ok(handled)
    }

    /// A message in a private chat, a group or a supergroup.
    async fn on_message(
        &self,
        inbound: &str,
        message: &Message,
        now: DateTime<Utc>,
    ) -> Result<Handled, HandleError> {
        let Some(text) = message.text() else {
            return self.ignore(inbound, now).await;
        };
        let parsed = commands::parse(text, &self.bot_username);
        match parsed {
            Parsed::Command(
                command @ (Command::Subscribe(_) | Command::Unsubscribe | Command::Report),
            ) => {
                self.on_official_command(inbound, message, command, false, now)
                    .await
            }
            // In groups the bot answers only to commands meant for it.
            _ if !message.chat.is_private() => match parsed {
                Parsed::Command(Command::Help) => {
                    self.reply(inbound, message.chat.id.0, "official-help", now)
                        .await
                }
                _ => self.ignore(inbound, now).await,
            },
            _ => self.on_private(inbound, message, text, parsed, now).await,
        }
    }

    /// Records the update id and `outgoing` messages with no other change.
    async fn record(
        &self,
        inbound: &str,
        outgoing: Vec<Outgoing>,
        now: DateTime<Utc>,
    ) -> Result<bool, HandleError> {
        Ok(self
            .citizens
            .record(CHANNEL, inbound, outgoing, now)
            .await?)
    }

    /// Records the update as seen, and does nothing else.
    async fn ignore(&self, inbound: &str, now: DateTime<Utc>) -> Result<Handled, HandleError> {
        self.record(inbound, Vec::new(), now).await?;
        Ok(Handled::default())
    }

    /// Ends an update that keeps failing for a reason that will not pass (see
    /// [`HandleError::is_transient`]): it is recorded as handled, so it is neither fetched again
    /// nor holds up its chat, and a citizen in a private chat is told it was not recorded.
    pub async fn give_up(
        &self,
        update: &Update,
        now: DateTime<Utc>,
    ) -> Result<Handled, HandleError> {
        let inbound = update.id.0.to_string();
        match update.chat() {
            Some(chat) if chat.is_private() => {
                self.reply(&inbound, chat.id.0, "update-failed", now).await
            }
            _ => self.ignore(&inbound, now).await,
        }
    }

    /// Replies with the locale message `id`, nothing else.
    async fn reply(
        &self,
        inbound: &str,
        chat: i64,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Handled, HandleError> {
        let fresh = self
            .record(
                inbound,
                vec![messages::text(chat, self.text(id, &[]), None)],
                now,
            )
            .await?;
        Ok(Handled {
            callback_answer: None,
            duplicate: !fresh,
        })
    }

    async fn active_session(&self, chat: i64) -> Result<Option<Session>, StorageError> {
        self.citizens
            .active_session(CHANNEL, &chat.to_string())
            .await
    }

    /// What the citizens' service did, as this channel's answer: its notice shown on the press
    /// (when the update was a press).
    fn done(&self, done: Done) -> Handled {
        Handled {
            callback_answer: done.toast.map(|notice: Notice| {
                (
                    CallbackQueryId(String::new()),
                    Some(crate::services::citizens::CitizenRenderer::notice_text(
                        &self.renderer,
                        &notice,
                    )),
                )
            }),
            duplicate: done.duplicate,
        }
    }

    pub fn outbox_ready(&self) -> Arc<Notify> {
        self.outbox_ready.clone()
    }
}
