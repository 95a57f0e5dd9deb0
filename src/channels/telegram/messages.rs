//! Telegram outbox payloads: what to send or edit, encoded as JSON rows for the sender. Plain
//! text (no parse mode), so nothing a citizen or a flow writes needs escaping.

use crate::core::flow::Lang;
use crate::core::i18n::Locales;
use crate::core::prompt::{Prompt, PromptButton};
use crate::services::citizens::InvitationLead;
use crate::services::citizens::dossier;
use crate::storage::{Invitation, Outgoing};
use serde::{Deserialize, Serialize};

use super::CHANNEL;

/// The kinds of outbox rows this channel writes.
pub const SEND_MESSAGE: &str = "send_message";
pub const EDIT_MESSAGE: &str = "edit_message";
pub const EDIT_MARKUP: &str = "edit_markup";
pub const SEND_PHOTO: &str = "send_photo";
pub const SEND_DOCUMENT: &str = "send_document";

/// Callback data of the invitation buttons: `inv|start|<token>` and so on.
pub const INVITE_START: &str = "start";
pub const INVITE_LATER: &str = "later";
pub const INVITE_DECLINE: &str = "decline";
/// Callback data of the withdrawal buttons: offered at the end of a survey, confirmed, kept.
pub const WITHDRAW_ASK: &str = "wd|ask";
pub const WITHDRAW_YES: &str = "wd|yes";
pub const WITHDRAW_NO: &str = "wd|no";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    pub label: String,
    pub data: String,
}

/// The payload of every kind: a message to send, or the new text and/or keyboard of a sent one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Rows of inline buttons; empty removes the keyboard.
    #[serde(default)]
    pub buttons: Vec<Vec<Button>>,
    /// A PNG, hex-encoded, for `send_photo` (with `text` as its caption).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo_hex: Option<String>,
    /// The file name of a `send_document` (whose bytes are in `photo_hex`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
}

fn outgoing(chat_id: i64, kind: &str, payload: Payload, token: Option<&str>) -> Outgoing {
    Outgoing {
        channel: CHANNEL.to_string(),
        chat_id: chat_id.to_string(),
        kind: kind.to_string(),
        payload: serde_json::to_value(payload).expect("payloads serialize"),
        invitation_token: token.map(str::to_string),
    }
}

fn buttons_of(prompt_buttons: &[Vec<PromptButton>]) -> Vec<Vec<Button>> {
    prompt_buttons
        .iter()
        .map(|row| {
            row.iter()
                .map(|b| Button {
                    label: b.label.clone(),
                    data: b.data.clone(),
                })
                .collect()
        })
        .collect()
}

/// A plain message, with the invitation it serves (a refusal to deliver marks it).
pub fn text(chat_id: i64, text: String, token: Option<&str>) -> Outgoing {
    outgoing(
        chat_id,
        SEND_MESSAGE,
        Payload {
            message_id: None,
            text: Some(text),
            buttons: Vec::new(),
            photo_hex: None,
            file_name: None,
        },
        token,
    )
}

/// A plain message with one row of inline buttons `(label, callback data)`.
pub fn text_with_buttons(chat_id: i64, text: String, buttons: Vec<(String, &str)>) -> Outgoing {
    outgoing(
        chat_id,
        SEND_MESSAGE,
        Payload {
            message_id: None,
            text: Some(text),
            buttons: one_row(buttons),
            photo_hex: None,
            file_name: None,
        },
        None,
    )
}

/// One row of buttons from `(label, callback data)` pairs.
fn one_row(buttons: Vec<(String, &str)>) -> Vec<Vec<Button>> {
    vec![
        buttons
            .into_iter()
            .map(|(label, data)| Button {
                label,
                data: data.to_string(),
            })
            .collect(),
    ]
}

/// A question (or any prompt) with its inline keyboard, optionally preceded by `lead` text.
pub fn prompt(chat_id: i64, lead: Option<String>, prompt: &Prompt, token: &str) -> Outgoing {
    let text = match lead {
        Some(lead) => format!("{lead}\n\n{}", prompt.text),
        None => prompt.text.clone(),
    };
    outgoing(
        chat_id,
        SEND_MESSAGE,
        Payload {
            message_id: None,
            text: Some(text),
            buttons: buttons_of(&prompt.buttons),
            photo_hex: None,
            file_name: None,
        },
        Some(token),
    )
}

/// Replaces a sent message's text and removes its keyboard (marks the chosen answer).
pub fn replace_text(chat_id: i64, message_id: i32, text: String) -> Outgoing {
    outgoing(
        chat_id,
        EDIT_MESSAGE,
        Payload {
            message_id: Some(message_id),
            text: Some(text),
            buttons: Vec::new(),
            photo_hex: None,
            file_name: None,
        },
        None,
    )
}

/// Rewrites the message whose button was pressed into the next question (or the closing words):
/// `answered` (the question and the answer chosen) stays on top, `prompt` with its keyboard
/// below. One edit instead of an edit and a new message, so the next question is the only
/// thing on the chat's queue (see the README, "The citizen's conversation in Telegram").
pub fn answered_then(
    chat_id: i64,
    message_id: i32,
    answered: String,
    prompt: Option<&Prompt>,
    rest: Option<String>,
    token: &str,
) -> Outgoing {
    let mut text = answered;
    for part in rest.iter().chain(prompt.map(|p| &p.text)) {
        text.push_str("\n\n");
        text.push_str(part);
    }
    outgoing(
        chat_id,
        EDIT_MESSAGE,
        Payload {
            message_id: Some(message_id),
            text: Some(text),
            buttons: prompt.map(|p| buttons_of(&p.buttons)).unwrap_or_default(),
            photo_hex: None,
            file_name: None,
        },
        Some(token),
    )
}

/// The pressed last question edited into the closing words, with one row of buttons under them
/// (the withdrawal offer): the survey ends in the message the citizen just pressed.
pub fn answered_then_closing(
    chat_id: i64,
    message_id: i32,
    answered: String,
    closing: String,
    buttons: Vec<(String, &str)>,
    token: &str,
) -> Outgoing {
    outgoing(
        chat_id,
        EDIT_MESSAGE,
        Payload {
            message_id: Some(message_id),
            text: Some(format!("{answered}\n\n{closing}")),
            buttons: one_row(buttons),
            photo_hex: None,
            file_name: None,
        },
        Some(token),
    )
}

/// Replaces a sent message's keyboard (ticks on a multiple-choice question; none to remove it).
pub fn replace_keyboard(chat_id: i64, message_id: i32, buttons: &[Vec<PromptButton>]) -> Outgoing {
    outgoing(
        chat_id,
        EDIT_MARKUP,
        Payload {
            message_id: Some(message_id),
            text: None,
            buttons: buttons_of(buttons),
            photo_hex: None,
            file_name: None,
        },
        None,
    )
}

/// The invitation: the dossier, a short polite request, and Bắt đầu / Để sau / Không tham gia.
/// `lead` picks the opening: a link opened, a completion notice sent by us, or a reminder.
pub fn invitation(
    locales: &Locales,
    lang: Lang,
    chat_id: i64,
    invitation: &Invitation,
    lead: InvitationLead,
) -> Outgoing {
    let text = dossier::invitation_text(locales, lang, invitation, lead);
    let button = |label_id: &str, action: &str| Button {
        label: locales.text(lang, label_id, &[]),
        data: format!("inv|{action}|{}", invitation.token),
    };
    outgoing(
        chat_id,
        SEND_MESSAGE,
        Payload {
            message_id: None,
            text: Some(text),
            buttons: vec![
                vec![button("tg-button-start", INVITE_START)],
                vec![
                    button("tg-button-later", INVITE_LATER),
                    button("tg-button-decline", INVITE_DECLINE),
                ],
            ],
            photo_hex: None,
            file_name: None,
        },
        Some(&invitation.token),
    )
}

/// A picture (the summary chart) with a short caption.
pub fn photo(chat_id: i64, png: &[u8], caption: String) -> Outgoing {
    outgoing(
        chat_id,
        SEND_PHOTO,
        Payload {
            message_id: None,
            text: Some(caption),
            buttons: Vec::new(),
            photo_hex: Some(hex::encode(png)),
            file_name: None,
        },
        None,
    )
}

/// A file (the week's XLSX) with a caption.
pub fn document(chat_id: i64, bytes: &[u8], file_name: String, caption: String) -> Outgoing {
    outgoing(
        chat_id,
        SEND_DOCUMENT,
        Payload {
            message_id: None,
            text: Some(caption),
            buttons: Vec::new(),
            photo_hex: Some(hex::encode(bytes)),
            file_name: Some(file_name),
        },
        None,
    )
}

/// Reads `inv|<action>|<token>`.
pub fn parse_invitation_data(data: &str) -> Option<(&str, &str)> {
    let mut parts = data.splitn(3, '|');
    (parts.next()? == "inv").then_some(())?;
    let action = parts.next()?;
    let token = parts.next()?;
    Some((action, token))
}
