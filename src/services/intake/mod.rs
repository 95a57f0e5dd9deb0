//! Dossier-completion notices from one-stop systems: parsing with field-by-field errors, once,
//! into a typed notice with its recipients ([`ParsedNotice`]), and submission ([`submit`]:
//! idempotent on the dossier code), shared by the HTTP API and `sipas-bot notice`. **Knows no
//! channel**: each channel contributes its invitation through its
//! [`crate::services::citizens::CitizenRenderer`].

pub mod content;
mod submit;
pub mod tenant;

pub use submit::{IntakeFailure, Submitted, submit};

use crate::core::phone::PhoneNumber;
use crate::services::citizens::Recipient;
use crate::storage::{Invitation, NewNotice, SubmissionChannel};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

/// The longest code or name we accept, in characters.
const MAX_CODE: usize = 64;
const MAX_NAME: usize = 500;
/// Zalo user ids are long decimal numbers; anything longer than this is not one.
const MAX_ZALO_USER_ID: usize = 32;

/// One field that is wrong, with the id of the locale message that says why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub reason: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeError {
    /// The body is not JSON at all (HTTP 400).
    Syntax(String),
    /// JSON, but fields are missing or wrong (HTTP 422).
    Fields(Vec<FieldError>),
}

/// A notice read once: what is stored, and the recipients it names beyond the Telegram chat
/// (which the stored notice keeps itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedNotice {
    pub notice: NewNotice,
    /// The citizen's Zalo: a follower's user id or a phone number.
    pub zalo: Option<Recipient>,
}

impl ParsedNotice {
    /// Everyone the notice names, each on the channel that reaches them.
    pub fn recipients(&self) -> Vec<Recipient> {
        let telegram = self
            .notice
            .recipient_chat_id
            .clone()
            .map(Recipient::TelegramChat);
        telegram.into_iter().chain(self.zalo.clone()).collect()
    }
}

/// Reads a notice, reporting every wrong field at once.
pub fn parse_notice(body: &[u8]) -> Result<NewNotice, NoticeError> {
    parse(body).map(|parsed| parsed.notice)
}

/// Reads a notice and its recipients, reporting every wrong field at once.
pub fn parse(body: &[u8]) -> Result<ParsedNotice, NoticeError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|err| NoticeError::Syntax(err.to_string()))?;
    let Some(object) = value.as_object() else {
        return Err(NoticeError::Fields(vec![FieldError {
            field: "$".into(),
            reason: "intake-error-not-object",
        }]));
    };
    let mut errors = Vec::new();
    let mut text = |field: &str, max: usize| -> String {
        match object.get(field) {
            None | Some(Value::Null) => {
                errors.push(FieldError {
                    field: field.into(),
                    reason: "intake-error-missing",
                });
                String::new()
            }
            Some(Value::String(s)) if s.trim().is_empty() => {
                errors.push(FieldError {
                    field: field.into(),
                    reason: "intake-error-empty",
                });
                String::new()
            }
            Some(Value::String(s)) if s.chars().count() > max => {
                errors.push(FieldError {
                    field: field.into(),
                    reason: "intake-error-too-long",
                });
                String::new()
            }
            Some(Value::String(s)) => s.trim().to_string(),
            Some(_) => {
                errors.push(FieldError {
                    field: field.into(),
                    reason: "intake-error-not-string",
                });
                String::new()
            }
        }
    };
    let dossier_code = text("dossier_code", MAX_CODE);
    let agency_code = text("agency_code", MAX_CODE);
    let procedure_code = text("procedure_code", MAX_CODE);
    let procedure_name = text("procedure_name", MAX_NAME);
    let channel_text = text("submission_channel", MAX_CODE);
    let completed_text = text("completed_at", MAX_CODE);
    let submission_channel = SubmissionChannel::from_code(&channel_text);
    if submission_channel.is_none() && !channel_text.is_empty() {
        errors.push(FieldError {
            field: "submission_channel".into(),
            reason: "intake-error-channel",
        });
    }
    let completed_at = DateTime::parse_from_rfc3339(&completed_text).ok();
    if completed_at.is_none() && !completed_text.is_empty() {
        errors.push(FieldError {
            field: "completed_at".into(),
            reason: "intake-error-time",
        });
    }
    let recipient_chat_id = match object.get("recipient") {
        None | Some(Value::Null) => None,
        Some(Value::Object(recipient)) => match recipient.get("telegram_chat_id") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) if n.is_i64() => Some(n.to_string()),
            // Stored as the parsed integer: `+0111` is chat 111, not another chat.
            Some(Value::String(s)) if s.trim().parse::<i64>().is_ok() => {
                s.trim().parse::<i64>().ok().map(|id| id.to_string())
            }
            Some(_) => {
                errors.push(FieldError {
                    field: "recipient.telegram_chat_id".into(),
                    reason: "intake-error-chat-id",
                });
                None
            }
        },
        Some(_) => {
            errors.push(FieldError {
                field: "recipient".into(),
                reason: "intake-error-not-object",
            });
            None
        }
    };
    let zalo = match zalo_recipient(&value) {
        Ok(zalo) => zalo,
        Err(mut zalo_errors) => {
            errors.append(&mut zalo_errors);
            None
        }
    };
    match (submission_channel, completed_at, errors.is_empty()) {
        (Some(submission_channel), Some(completed_at), true) => Ok(ParsedNotice {
            notice: NewNotice {
                dossier_code,
                agency_code,
                procedure_code,
                procedure_name,
                submission_channel,
                completed_at: completed_at.with_timezone(&Utc),
                recipient_chat_id,
            },
            zalo,
        }),
        _ => Err(NoticeError::Fields(errors)),
    }
}

/// The citizen's Zalo, when the notice names one: `recipient.zalo_user_id` (a follower of the
/// OA) or `recipient.phone` (normalised to `84…`). The user id wins when both are given. Every
/// wrong field is named; a phone number never appears in the error.
pub fn zalo_recipient(notice: &Value) -> Result<Option<Recipient>, Vec<FieldError>> {
    let Some(recipient) = notice.get("recipient").and_then(Value::as_object) else {
        return Ok(None);
    };
    let mut errors = Vec::new();
    let user = match recipient.get("zalo_user_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s))
            if !s.trim().is_empty()
                && s.trim().len() <= MAX_ZALO_USER_ID
                && s.trim().chars().all(|c| c.is_ascii_digit()) =>
        {
            Some(s.trim().to_string())
        }
        Some(Value::Number(n)) if n.is_u64() => Some(n.to_string()),
        Some(_) => {
            errors.push(FieldError {
                field: "recipient.zalo_user_id".into(),
                reason: "intake-error-zalo-user-id",
            });
            None
        }
    };
    let phone = match recipient.get("phone") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => match PhoneNumber::parse(s) {
            Ok(phone) => Some(phone),
            Err(_) => {
                errors.push(FieldError {
                    field: "recipient.phone".into(),
                    reason: "intake-error-phone",
                });
                None
            }
        },
        Some(_) => {
            errors.push(FieldError {
                field: "recipient.phone".into(),
                reason: "intake-error-phone",
            });
            None
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(user
        .map(Recipient::ZaloUser)
        .or(phone.map(Recipient::Phone)))
}

/// The invitation as the API and the `notice` command return it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvitationView {
    pub dossier_code: String,
    pub token: String,
    pub deep_link: String,
    pub qr_code_url: String,
    pub expires_at: String,
    pub status: String,
    pub unknown_agency: bool,
    /// When Zalo runs: the short code printed under the OA's QR code on the receipt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zalo_receipt_code: Option<String>,
}

/// Where links point: the bot's username and the API's public address.
#[derive(Debug, Clone)]
pub struct Links {
    pub bot_username: String,
    pub public_base_url: String,
}

impl Links {
    pub fn deep_link(&self, token: &str) -> String {
        format!("https://t.me/{}?start={token}", self.bot_username)
    }

    pub fn qr_code_url(&self, token: &str) -> String {
        format!(
            "{}/api/v1/invitations/{token}/qr.png",
            self.public_base_url.trim_end_matches('/')
        )
    }

    pub fn view(&self, invitation: &Invitation) -> InvitationView {
        InvitationView {
            dossier_code: invitation.dossier_code.clone(),
            token: invitation.token.clone(),
            deep_link: self.deep_link(&invitation.token),
            qr_code_url: self.qr_code_url(&invitation.token),
            expires_at: crate::storage::timestamp(invitation.expires_at),
            status: invitation.status.code().to_string(),
            unknown_agency: invitation.unknown_agency,
            zalo_receipt_code: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reasons(body: &str) -> Vec<(String, &'static str)> {
        match parse_notice(body.as_bytes()) {
            Err(NoticeError::Fields(errors)) => {
                errors.into_iter().map(|e| (e.field, e.reason)).collect()
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_complete_notice_parses() {
        let notice = parse_notice(
            br#"{"dossier_code":"H1","agency_code":"A","procedure_code":"P","procedure_name":"Khai sinh",
                "submission_channel":"online","completed_at":"2026-11-16T15:00:00+07:00",
                "recipient":{"telegram_chat_id":123}}"#,
        )
        .unwrap();
        assert_eq!(
            notice.completed_at.to_rfc3339(),
            "2026-11-16T08:00:00+00:00"
        );
        assert_eq!(notice.recipient_chat_id.as_deref(), Some("123"));
        assert_eq!(notice.submission_channel, SubmissionChannel::Online);
    }

    #[test]
    fn every_wrong_field_is_named() {
        let found = reasons(
            r#"{"dossier_code":"","agency_code":5,"procedure_name":"x","submission_channel":"fax",
                "completed_at":"hôm qua","recipient":{"telegram_chat_id":"abc"}}"#,
        );
        assert_eq!(
            found,
            [
                ("dossier_code".to_string(), "intake-error-empty"),
                ("agency_code".to_string(), "intake-error-not-string"),
                ("procedure_code".to_string(), "intake-error-missing"),
                ("submission_channel".to_string(), "intake-error-channel"),
                ("completed_at".to_string(), "intake-error-time"),
                (
                    "recipient.telegram_chat_id".to_string(),
                    "intake-error-chat-id"
                ),
            ]
        );
    }

    #[test]
    fn zalo_recipients_are_normalised_and_wrong_ones_named() {
        let notice = |recipient: &str| {
            format!(
                r#"{{"dossier_code":"H1","agency_code":"A","procedure_code":"P","procedure_name":"x",
                "submission_channel":"online","completed_at":"2026-11-16T15:00:00+07:00",
                "recipient":{recipient}}}"#
            )
        };
        let value = |text: &str| serde_json::from_str::<Value>(text).unwrap();
        let phone = zalo_recipient(&value(&notice(r#"{"phone":"+84 912 345 678"}"#))).unwrap();
        assert!(matches!(phone, Some(Recipient::Phone(p)) if p.as_str() == "84912345678"));
        let user = zalo_recipient(&value(&notice(r#"{"zalo_user_id":"123456789"}"#))).unwrap();
        assert_eq!(user, Some(Recipient::ZaloUser("123456789".into())));
        let found = reasons(&notice(r#"{"zalo_user_id":"abc","phone":"0212345678"}"#));
        assert_eq!(
            found,
            [
                (
                    "recipient.zalo_user_id".to_string(),
                    "intake-error-zalo-user-id"
                ),
                ("recipient.phone".to_string(), "intake-error-phone"),
            ]
        );
    }

    #[test]
    fn not_json_is_a_syntax_error() {
        assert!(matches!(
            parse_notice(b"{oops"),
            Err(NoticeError::Syntax(_))
        ));
        assert_eq!(
            reasons("[1]"),
            [("$".to_string(), "intake-error-not-object")]
        );
    }
}
