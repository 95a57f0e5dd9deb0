//! Officials on Telegram: `/subscribe CODE`, `/unsubscribe`, `/report` and `/help` in groups,
//! channels and private chats, and [`TelegramOfficials`], which renders the officials' service's
//! channel-neutral messages as this channel's outbox payloads.

use super::commands::{Command, Parsed};
use super::{CHANNEL, HandleError, Handled, Telegram, commands, messages};
use crate::services::officials::{OfficialMessage, OfficialsRenderer};
use crate::storage::{Effects, Outgoing, RedeemError, SubscriptionPeriod};
use chrono::{DateTime, Utc};
use teloxide::types::Message;

/// Renders officials' messages as Telegram outbox rows: text as a message, a chart as a photo,
/// an attachment as a document.
#[derive(Debug, Clone, Copy, Default)]
pub struct TelegramOfficials;

impl OfficialsRenderer for TelegramOfficials {
    fn channel(&self) -> &str {
        CHANNEL
    }

    fn render(&self, chat_id: &str, messages: &[OfficialMessage]) -> Vec<Outgoing> {
        let Ok(chat) = chat_id.parse::<i64>() else {
            return Vec::new();
        };
        messages
            .iter()
            .map(|message| match message {
                OfficialMessage::Text { text } => messages::text(chat, text.clone(), None),
                OfficialMessage::Chart { png, caption } => {
                    messages::photo(chat, png, caption.clone())
                }
                OfficialMessage::Attachment {
                    file_name,
                    bytes,
                    caption,
                } => messages::document(chat, bytes, file_name.clone(), caption.clone()),
            })
            .collect()
    }
}

impl Telegram {
    /// A post in a channel. Only a channel's administrators can post in it, so its commands need
    /// no further check; anything else posted there is not for us.
    pub(super) async fn on_channel_post(
        &self,
        inbound: &str,
        post: &Message,
        now: DateTime<Utc>,
    ) -> Result<Handled, HandleError> {
        let parsed = post.text().map_or(Parsed::Text, |text| {
            commands::parse(text, &self.bot_username)
        });
        match parsed {
            Parsed::Command(Command::Help) => {
                self.reply(inbound, post.chat.id.0, "official-help", now)
                    .await
            }
            Parsed::Command(
                command @ (Command::Subscribe(_) | Command::Unsubscribe | Command::Report),
            ) => {
                self.on_official_command(inbound, post, command, true, now)
                    .await
            }
            _ => self.ignore(inbound, now).await,
        }
    }

    /// `/subscribe CODE`, `/unsubscribe`, `/report` from an official's chat; any other command
    /// is ignored here (the callers route only these).
    pub(super) async fn on_official_command(
        &self,
        inbound: &str,
        message: &Message,
        command: Command,
        channel_post: bool,
        now: DateTime<Utc>,
    ) -> Result<Handled, HandleError> {
        match command {
            Command::Subscribe(code) => self.subscribe(inbound, message, &code, now).await,
            Command::Unsubscribe => self.unsubscribe(inbound, message, channel_post, now).await,
            Command::Report => self.report(inbound, message.chat.id.0, now).await,
            Command::Start(_) | Command::Cancel | Command::Help | Command::Xoa => {
                self.ignore(inbound, now).await
            }
        }
    }

    async fn subscribe(
        &self,
        inbound: &str,
        message: &Message,
        argument: &str,
        now: DateTime<Utc>,
    ) -> Result<Handled, HandleError> {
        let chat = message.chat.id.0;
        let db = self.conversations.db();
        if argument.is_empty() {
            return self.reply(inbound, chat, "subscribe-usage", now).await;
        }
        let code = crate::storage::normalize_code(argument);
        let title = message.chat.title().map(str::to_string);
        let agencies = db.agencies().await?;
        let result = db
            .redeem_subscription_code(
                &code,
                CHANNEL,
                &chat.to_string(),
                title.as_deref(),
                |period, weekday, hour| {
                    crate::services::officials::next_run(now, period, weekday, hour)
                },
                |subscription| {
                    let agency = agencies
                        .iter()
                        .find(|a| a.code == subscription.agency_code)
                        .map_or(subscription.agency_code.clone(), |a| a.name.clone());
                    let done = match subscription.period {
                        SubscriptionPeriod::Week => "subscribe-done",
                        SubscriptionPeriod::Month => "subscribe-done-month",
                        SubscriptionPeriod::Year => "subscribe-done-year",
                    };
                    let text = self.text(
                        done,
                        &[
                            ("agency", agency),
                            (
                                "weekday",
                                self.text(&format!("weekday-{}", subscription.weekday), &[]),
                            ),
                            ("hour", format!("{:02}:00", subscription.hour)),
                        ],
                    );
                    let mut effects = Effects::from_inbound(CHANNEL, inbound);
                    effects.push(messages::text(chat, text, None));
                    effects
                },
                now,
            )
            .await;
        match result {
            Ok(_) => Ok(Handled::default()),
            Err(RedeemError::Storage(err)) => Err(err.into()),
            Err(RedeemError::Unknown) => self.reply(inbound, chat, "subscribe-unknown", now).await,
            Err(RedeemError::Expired) => self.reply(inbound, chat, "subscribe-expired", now).await,
            Err(RedeemError::Used) => self.reply(inbound, chat, "subscribe-used", now).await,
        }
    }

    async fn unsubscribe(
        &self,
        inbound: &str,
        message: &Message,
        channel_post: bool,
        now: DateTime<Utc>,
    ) -> Result<Handled, HandleError> {
        let chat = message.chat.id.0;
        let db = self.conversations.db();
        let admin = if channel_post || message.chat.is_private() {
            true
        } else {
            match message.from.as_ref() {
                Some(user) => self
                    .admins
                    .is_admin(chat, user.id.0)
                    .await
                    .unwrap_or_else(|err| {
                        tracing::warn!(%err, "cannot check chat administrators");
                        false
                    }),
                None => false,
            }
        };
        if !admin {
            return self
                .reply(inbound, chat, "unsubscribe-not-admin", now)
                .await;
        }
        let mut effects = Effects::from_inbound(CHANNEL, inbound);
        let subscribed = db.chat_subscriptions(CHANNEL, &chat.to_string()).await?;
        let reply = if subscribed.is_empty() {
            "report-not-subscribed"
        } else {
            "unsubscribe-done"
        };
        effects.push(messages::text(chat, self.text(reply, &[]), None));
        db.unsubscribe(CHANNEL, &chat.to_string(), &effects, now)
            .await?;
        Ok(Handled::default())
    }

    /// `/report`: this week so far, as the officials' service says, rendered for this chat.
    /// The update is recorded at once and the summary computed on its own task, so a large
    /// scope never holds up the update loop; the reply goes through the outbox when ready. A
    /// report lost to a crash in between is asked for again.
    async fn report(
        &self,
        inbound: &str,
        chat: i64,
        now: DateTime<Utc>,
    ) -> Result<Handled, HandleError> {
        let fresh = self.record(inbound, Vec::new(), now).await?;
        if fresh {
            let officials = self.officials.clone();
            let db = self.conversations.db().clone();
            let ready = self.outbox_ready.clone();
            let not_subscribed = self.text("report-not-subscribed", &[]);
            tokio::spawn(async move {
                let outgoing = match officials.report(CHANNEL, &chat.to_string(), now).await {
                    Ok(Some(report)) => TelegramOfficials.render(&chat.to_string(), &report),
                    Ok(None) => vec![messages::text(chat, not_subscribed, None)],
                    Err(err) => {
                        tracing::error!(%err, "cannot compute a /report");
                        return;
                    }
                };
                let effects = Effects {
                    inbound: None,
                    outgoing,
                };
                match db.record_effects(&effects, now).await {
                    Ok(_) => ready.notify_one(),
                    Err(err) => tracing::error!(%err, "cannot queue a /report"),
                }
            });
        }
        Ok(Handled {
            callback_answer: None,
            duplicate: !fresh,
        })
    }
}
