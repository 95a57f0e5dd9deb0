//! Invitations through Zalo and the citizens' service rendered for Zalo ([`ZaloCitizens`]).
//!
//! Invitations are queued by intake in the notice's transaction ([`ZaloCitizens`] is Zalo's
//! renderer for it):
//! - to a follower (`recipient.zalo_user_id`): a consultation message with Bắt đầu / Để sau /
//!   Không tham gia while the window is open, else the invitation template by user id (decided
//!   when sent, by [`super::transport`]);
//! - by phone (`recipient.phone`): the invitation template by phone (ZBS), whose tracking id is
//!   the invitation's token, so the rating it carries comes back matched to the invitation.
//!
//! The template's parameters depend on the template Zalo approved for the OA: they are built in
//! [`template_data`] alone. Zalo cannot edit a sent message, so the service's edits render as
//! nothing, and a press's notice (Telegram's toast) is sent as a message.

use super::messages::{OutboundMessage, QueryButton, from_prompt, query_payload};
use super::transport::{KIND_INVITE_PHONE, KIND_INVITE_USER, KIND_REMINDER, KIND_REPLY, payload};
use super::window::Window;
use crate::core::flow::Lang;
use crate::core::i18n::Locales;
use crate::core::prompt;
use crate::core::prompt::Prompt;
use crate::core::survey::Reply;
use crate::services::citizens::dossier;
use crate::services::citizens::{CitizenRenderer, InvitationLead, Notice, Recipient, Step};
use crate::storage::{Db, Invitation, Outgoing, StorageError};
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use serde_json::{Value, json};
use std::sync::Arc;
use tokio::sync::Notify;

/// The data of the invitation's buttons and of the withdrawal's: `[start|<token>]` and so on.
pub const START: &str = "start";
pub const LATER: &str = "later";
pub const DECLINE: &str = "decline";
pub const WITHDRAW_ASK: &str = "wd|ask";
pub const WITHDRAW_YES: &str = "wd|yes";
pub const WITHDRAW_NO: &str = "wd|no";

/// The parameters of the invitation template ([`super::template`]); dossier codes and phone
/// numbers are never among them.
pub fn template_data(invitation: &Invitation) -> Value {
    super::template::template_data(invitation)
}

/// A query button whose press sends `[data]` back.
fn button(locales: &Locales, lang: Lang, label_id: &str, data: &str) -> QueryButton {
    let title = locales.text(lang, label_id, &[]);
    QueryButton {
        payload: query_payload(&title, data),
        title,
    }
}

/// The invitation as a consultation message: the lead, the dossier, the request, and Bắt đầu
/// khảo sát / Để sau / Không tham gia.
pub fn invitation_message(
    locales: &Locales,
    lang: Lang,
    invitation: &Invitation,
    lead: InvitationLead,
) -> OutboundMessage {
    let token = &invitation.token;
    let text = dossier::invitation_text(locales, lang, invitation, lead);
    OutboundMessage {
        text,
        buttons: vec![
            button(
                locales,
                lang,
                "zalo-button-start",
                &format!("{START}|{token}"),
            ),
            button(
                locales,
                lang,
                "tg-button-later",
                &format!("{LATER}|{token}"),
            ),
            button(
                locales,
                lang,
                "tg-button-decline",
                &format!("{DECLINE}|{token}"),
            ),
        ],
    }
}

/// The outbox row that invites the citizen of `invitation` on Zalo: a follower by user id, or a
/// phone number by the template.
pub fn invitation_row(
    locales: &Locales,
    lang: Lang,
    invitation: &Invitation,
    recipient: &Recipient,
) -> Outgoing {
    let token = &invitation.token;
    let (chat_id, kind, payload) = match recipient {
        Recipient::ZaloUser(user) | Recipient::TelegramChat(user) => {
            let message = invitation_message(locales, lang, invitation, InvitationLead::Notice);
            let mut payload = payload(&message);
            payload["template_data"] = template_data(invitation);
            (user.clone(), KIND_INVITE_USER, payload)
        }
        Recipient::Phone(phone) => (
            // The number stays in the payload only: the chat id names the invitation.
            format!("invitation:{token}"),
            KIND_INVITE_PHONE,
            json!({"phone": phone.as_str(), "template_data": template_data(invitation)}),
        ),
    };
    Outgoing {
        channel: super::CHANNEL.to_string(),
        chat_id,
        kind: kind.to_string(),
        payload,
        invitation_token: Some(token.clone()),
    }
}

/// The Zalo renderer of the citizens' service.
#[derive(Debug, Clone)]
pub struct ZaloCitizens {
    pub locales: Arc<Locales>,
    pub lang: Lang,
    /// Reads the citizen's last interaction, for the messaging window of a reminder.
    pub db: Db,
    /// `ZALO_BILLABLE_REPLIES`: a reminder may go in the billed window (48 hours to 7 days).
    pub billable_replies: bool,
    /// Woken whenever rows are added to the outbox.
    pub outbox_ready: Arc<Notify>,
}

impl super::Zalo {
    /// How Zalo renders the citizens' service (and its invitations, for intake).
    pub fn citizens_renderer(&self) -> &ZaloCitizens {
        &self.renderer
    }
}

impl ZaloCitizens {
    fn row(
        &self,
        chat: &str,
        kind: &str,
        message: &OutboundMessage,
        token: Option<&str>,
    ) -> Outgoing {
        Outgoing {
            channel: super::CHANNEL.to_string(),
            chat_id: chat.to_string(),
            kind: kind.to_string(),
            payload: payload(message),
            invitation_token: token.map(str::to_string),
        }
    }

    fn text_id(&self, id: &str) -> String {
        self.locales.text(self.lang, id, &[])
    }
}

impl CitizenRenderer for ZaloCitizens {
    fn channel(&self) -> &'static str {
        super::CHANNEL
    }

    fn notice_text(&self, notice: &Notice) -> String {
        notice.text(&self.locales, self.lang, |notice| match notice {
            Notice::Welcome => Some("zalo-welcome"),
            Notice::Help => Some("zalo-help"),
            Notice::NoSurvey => Some("zalo-no-survey"),
            Notice::Paused => Some("zalo-paused"),
            Notice::LaterNoReminder => Some("zalo-later-no-reminder"),
            Notice::StaleButton => Some("zalo-stale-choice"),
            _ => None,
        })
    }

    fn shows_toasts(&self) -> bool {
        false
    }

    fn text(&self, chat: &str, text: String, token: Option<&str>) -> Outgoing {
        self.row(chat, KIND_REPLY, &OutboundMessage::text(text), token)
    }

    fn invitation(&self, chat: &str, invitation: &Invitation, lead: InvitationLead) -> Outgoing {
        let message = invitation_message(&self.locales, self.lang, invitation, lead);
        self.row(chat, KIND_REPLY, &message, Some(&invitation.token))
    }

    fn question(&self, chat: &str, lead: String, prompt: &Prompt, token: &str) -> Outgoing {
        let message = with_lead(lead, from_prompt(&self.locales, self.lang, prompt));
        self.row(chat, KIND_REPLY, &message, Some(token))
    }

    /// The next question as a new message (a hint on top), the closing words with the
    /// withdrawal's offer, or, for a stale answer, a word and the current question again.
    fn step(&self, chat: &str, step: &Step<'_>) -> Vec<Outgoing> {
        let (locales, flow, after) = (&*self.locales, step.flow, step.after);
        let lang = after.lang;
        let current = || prompt::question(locales, lang, flow, &after.state);
        let message = match step.reply {
            Reply::Ask { hint, .. } => current().map(|question| {
                let message = from_prompt(locales, lang, &question);
                match hint {
                    Some(hint) => with_lead(prompt::hint(locales, lang, flow, hint), message),
                    None => message,
                }
            }),
            // The closing words offer the withdrawal, as on Telegram.
            Reply::Finished => Some(OutboundMessage {
                text: flow.outro.get(lang).to_string(),
                buttons: vec![withdraw_offer(locales, lang)],
            }),
            Reply::AlreadyFinished => Some(OutboundMessage::text(locales.text(
                lang,
                "invitation-completed",
                &[],
            ))),
            Reply::StaleButton { .. } => current().map(|question| {
                with_lead(
                    locales.text(lang, "zalo-stale-button", &[]),
                    from_prompt(locales, lang, &question),
                )
            }),
        };
        message
            .map(|message| self.row(chat, KIND_REPLY, &message, Some(&after.token)))
            .into_iter()
            .collect()
    }

    fn withdraw_confirm(&self, chat: &str) -> Outgoing {
        let message = OutboundMessage {
            text: self.text_id("tg-withdraw-confirm"),
            buttons: vec![
                button(&self.locales, self.lang, "tg-withdraw-yes", WITHDRAW_YES),
                button(&self.locales, self.lang, "tg-withdraw-no", WITHDRAW_NO),
            ],
        };
        self.row(chat, KIND_REPLY, &message, None)
    }

    fn notice_invitation(&self, invitation: &Invitation, recipient: &Recipient) -> Outgoing {
        invitation_row(&self.locales, self.lang, invitation, recipient)
    }

    /// The code printed under the OA's QR code on the receipt.
    fn receipt_codes(&self) -> bool {
        true
    }

    fn wake(&self) {
        self.outbox_ready.notify_one();
    }

    fn clear_keyboard(&self, _chat: &str, _message: &str) -> Option<Outgoing> {
        None
    }

    fn replace_text(&self, _chat: &str, _message: &str, _text: String) -> Option<Outgoing> {
        None
    }

    /// A consultation message while the free 48-hour window is open; in the billed window only
    /// when billed replies are enabled; else none (a template is not a reminder).
    fn reminder<'a>(
        &'a self,
        chat: &'a str,
        invitation: &'a Invitation,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Option<Outgoing>, StorageError>> {
        Box::pin(async move {
            let last = self
                .db
                .zalo_user(chat)
                .await?
                .map(|u| u.last_interaction_at);
            let message = invitation_message(
                &self.locales,
                self.lang,
                invitation,
                InvitationLead::Reminder,
            );
            let kind = match Window::at(last, now) {
                Window::Free => KIND_REMINDER,
                Window::Billed if self.billable_replies => KIND_REPLY,
                Window::Billed | Window::Closed => return Ok(None),
            };
            Ok(Some(self.row(
                chat,
                kind,
                &message,
                Some(&invitation.token),
            )))
        })
    }
}

/// `lead`, a blank line, then the message's text; buttons kept.
pub(super) fn with_lead(lead: String, message: OutboundMessage) -> OutboundMessage {
    OutboundMessage {
        text: format!("{lead}\n\n{}", message.text),
        buttons: message.buttons,
    }
}

/// The offer under the survey's closing words: one button, "Xóa câu trả lời".
pub(super) fn withdraw_offer(locales: &Locales, lang: Lang) -> QueryButton {
    button(locales, lang, "tg-withdraw-offer", WITHDRAW_ASK)
}

/// Reads the data of a pressed invitation or withdrawal button: `(action, token)`; the token is
/// empty for the withdrawal's buttons.
pub fn parse_action(text: &str) -> Option<(&'static str, String)> {
    let inner = text.trim().strip_suffix(']')?;
    let (_, data) = inner.rsplit_once('[')?;
    for action in [WITHDRAW_ASK, WITHDRAW_YES, WITHDRAW_NO] {
        if data == action {
            return Some((action, String::new()));
        }
    }
    let (action, token) = data.split_once('|')?;
    let action = [START, LATER, DECLINE].into_iter().find(|a| *a == action)?;
    (!token.is_empty() && token.chars().all(|c| c.is_ascii_alphanumeric()))
        .then(|| (action, token.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_buttons_carry_their_action() {
        let payload = query_payload("Bắt đầu khảo sát", "start|0123abcd");
        assert_eq!(payload, "Bắt đầu khảo sát [start|0123abcd]");
        assert_eq!(parse_action(&payload), Some((START, "0123abcd".into())));
        assert_eq!(
            parse_action("Để sau [later|ab12]"),
            Some((LATER, "ab12".into()))
        );
        assert_eq!(
            parse_action("Xóa câu trả lời [wd|yes]"),
            Some((WITHDRAW_YES, String::new()))
        );
        assert_eq!(parse_action("Rất hài lòng [a|access|5]"), None);
        assert_eq!(parse_action("[start|x y]"), None);
        assert_eq!(parse_action("[other|abc]"), None);
    }
}
