//! The citizens' service rendered for Telegram ([`TelegramCitizens`]): its notices, the
//! invitation with Bắt đầu / Để sau / Không tham gia, questions with inline keyboards, the
//! withdrawal's confirmation, and edits of sent messages. The rules are the service's
//! ([`crate::services::citizens`]); this file only knows how Telegram shows them.

use super::{CHANNEL, HandleError, Telegram, messages};
use crate::core::flow::Lang;
use crate::core::i18n::Locales;
use crate::core::prompt::Prompt;
use crate::services::citizens::{CitizenRenderer, InvitationLead, Notice, Recipient, Step};
use crate::storage::{Invitation, Outgoing, StorageError};
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use std::sync::Arc;
use tokio::sync::Notify;

/// The Telegram renderer of the citizens' service.
#[derive(Debug, Clone)]
pub struct TelegramCitizens {
    pub locales: Arc<Locales>,
    pub lang: Lang,
    /// Woken whenever rows are added to the outbox.
    pub outbox_ready: Arc<Notify>,
}

fn chat_id(chat: &str) -> i64 {
    chat.parse().unwrap_or_default()
}

impl TelegramCitizens {
    fn invitation_row(
        &self,
        chat: &str,
        invitation: &Invitation,
        lead: InvitationLead,
    ) -> Outgoing {
        messages::invitation(&self.locales, self.lang, chat_id(chat), invitation, lead)
    }
}

impl CitizenRenderer for TelegramCitizens {
    fn channel(&self) -> &'static str {
        CHANNEL
    }

    fn notice_text(&self, notice: &Notice) -> String {
        notice.text(&self.locales, self.lang, |notice| match notice {
            Notice::Welcome => Some("tg-welcome"),
            Notice::Help => Some("tg-help"),
            Notice::NoSurvey => Some("tg-no-survey"),
            Notice::Paused => Some("tg-paused"),
            Notice::LaterNoReminder => Some("tg-later-no-reminder"),
            Notice::StaleButton => Some("tg-stale-button"),
            _ => None,
        })
    }

    fn text(&self, chat: &str, text: String, token: Option<&str>) -> Outgoing {
        messages::text(chat_id(chat), text, token)
    }

    fn invitation(&self, chat: &str, invitation: &Invitation, lead: InvitationLead) -> Outgoing {
        self.invitation_row(chat, invitation, lead)
    }

    fn question(&self, chat: &str, lead: String, prompt: &Prompt, token: &str) -> Outgoing {
        messages::prompt(chat_id(chat), Some(lead), prompt, token)
    }

    fn step(&self, chat: &str, step: &Step<'_>) -> Vec<Outgoing> {
        super::citizens::step_rows(&self.locales, chat_id(chat), step)
    }

    fn withdraw_confirm(&self, chat: &str) -> Outgoing {
        let text = |id: &str| self.locales.text(self.lang, id, &[]);
        messages::text_with_buttons(
            chat_id(chat),
            text("tg-withdraw-confirm"),
            vec![
                (text("tg-withdraw-yes"), messages::WITHDRAW_YES),
                (text("tg-withdraw-no"), messages::WITHDRAW_NO),
            ],
        )
    }

    fn clear_keyboard(&self, chat: &str, message: &str) -> Option<Outgoing> {
        let message = message.parse().ok()?;
        Some(messages::replace_keyboard(chat_id(chat), message, &[]))
    }

    fn replace_text(&self, chat: &str, message: &str, text: String) -> Option<Outgoing> {
        let message = message.parse().ok()?;
        Some(messages::replace_text(chat_id(chat), message, text))
    }

    fn notice_invitation(&self, invitation: &Invitation, recipient: &Recipient) -> Outgoing {
        let chat = recipient.chat().unwrap_or_default();
        self.invitation_row(chat, invitation, InvitationLead::Notice)
    }

    /// A bot cannot start a conversation: only a chat that wrote to us is invited.
    fn needs_known_chat(&self) -> bool {
        true
    }

    fn wake(&self) {
        self.outbox_ready.notify_one();
    }

    fn reminder<'a>(
        &'a self,
        chat: &'a str,
        invitation: &'a Invitation,
        _now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Option<Outgoing>, StorageError>> {
        Box::pin(async move {
            Ok(chat
                .parse::<i64>()
                .is_ok()
                .then(|| self.invitation_row(chat, invitation, InvitationLead::Reminder)))
        })
    }
}

impl Telegram {
    /// Sends the reminder of every invitation whose "Để sau" time has come, once.
    pub async fn send_due_reminders(&self, now: DateTime<Utc>) -> Result<usize, HandleError> {
        let sent = self
            .citizens
            .send_due_reminders(&self.renderer, now)
            .await?;
        if sent > 0 {
            self.outbox_ready.notify_one();
        }
        Ok(sent)
    }

    /// How Telegram renders the citizens' service (and its invitations, for intake).
    pub fn citizens_renderer(&self) -> &TelegramCitizens {
        &self.renderer
    }
}
