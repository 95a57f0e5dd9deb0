//! Invitations through Zalo, queued by intake in the notice's transaction:
//! - to a follower (`recipient.zalo_user_id`): a consultation message with a start button while
//!   the window is open, else the invitation template by user id (decided when sent, by
//!   [`super::transport`]);
//! - by phone (`recipient.phone`): the invitation template by phone (ZBS), whose tracking id is
//!   the invitation's token, so the rating it carries comes back matched to the invitation.
//!
//! The template's parameters depend on the template Zalo approved for the OA: they are built in
//! [`template_data`] alone.

use super::conversation::start_button;
use super::messages::OutboundMessage;
use super::phone::PhoneNumber;
use super::transport::{KIND_INVITE_PHONE, KIND_INVITE_USER, payload};
use crate::core::flow::Lang;
use crate::core::i18n::Locales;
use crate::storage::{Invitation, Outgoing};
use serde_json::{Value, json};

/// Where a notice asks us to invite the citizen on Zalo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZaloRecipient {
    User(String),
    Phone(PhoneNumber),
}

/// The parameters of the invitation template ([`super::template`]); dossier codes and phone
/// numbers are never among them.
pub fn template_data(invitation: &Invitation) -> Value {
    super::template::template_data(invitation)
}

/// The outbox row that invites the citizen of `invitation` on Zalo.
pub fn invitation_row(
    locales: &Locales,
    lang: Lang,
    invitation: &Invitation,
    recipient: &ZaloRecipient,
) -> Outgoing {
    let token = &invitation.token;
    let (chat_id, kind, payload) = match recipient {
        ZaloRecipient::User(user) => {
            let message = OutboundMessage {
                text: locales.text(
                    lang,
                    "zalo-invitation",
                    &[
                        ("procedure", invitation.procedure_name.clone()),
                        ("agency", invitation.agency_label().to_string()),
                    ],
                ),
                buttons: vec![start_button(locales, lang, token)],
            };
            let mut payload = payload(&message);
            payload["template_data"] = template_data(invitation);
            (user.clone(), KIND_INVITE_USER, payload)
        }
        ZaloRecipient::Phone(phone) => (
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

impl super::Zalo {
    /// The invitation's row in this channel's language.
    pub fn invitation_row(&self, invitation: &Invitation, recipient: &ZaloRecipient) -> Outgoing {
        invitation_row(&self.locales, self.lang, invitation, recipient)
    }
}
