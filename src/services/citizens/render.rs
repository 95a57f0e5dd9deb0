//! What the citizens' service says, channel-neutral, and the renderer each channel gives it
//! (the pattern of the officials' `OfficialsRenderer`): outbox rows are in each channel's own
//! vocabulary and are written in the same transaction as the state they follow, so the service
//! renders them with the chat's channel renderer just before it writes.

use crate::core::flow::{Flow, Lang};
use crate::core::i18n::Locales;
use crate::core::phone::PhoneNumber;
use crate::core::prompt::Prompt;
use crate::core::survey::{Button, Reply};
use crate::storage::{Invitation, Outgoing, Session, StorageError};
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;

/// A sentence for the citizen. Each channel words it (Telegram says "open the link", Zalo
/// "send the code").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// `/start` with no invitation, or a Zalo follow.
    Welcome,
    Help,
    /// Nothing in progress to answer, cancel or withdraw from.
    NoSurvey,
    /// `/cancel`: the answers are kept, the link resumes.
    Paused,
    /// Refusals to open an invitation.
    Unknown,
    NotYours,
    Completed,
    Expired,
    InUse,
    /// "Để sau": the reminder's time (`HH:MM`, date), or no reminder.
    LaterAck {
        time: String,
        date: String,
    },
    LaterNoReminder,
    DeclineAck,
    WithdrawDone,
    WithdrawNothing,
    WithdrawKept,
    /// A press on something already answered or decided.
    StaleButton,
    /// A press on a superseded message whose question is still open: it is answered on the
    /// newest message.
    MovedOn,
    /// A hint of the engine's (already worded from the flow), shown on the press.
    Hint(String),
    /// Receipt codes typed in a chat.
    CodeUnknown,
    CodeExpired,
    CodeUsed,
    CodeTooMany,
}

impl Notice {
    /// The sentence of this notice in `lang`: the message id `own` gives for it where the channel
    /// words it itself (welcome, help, "later" without a reminder…), else the id every channel
    /// shares, so a shared sentence is mapped once.
    pub fn text(
        &self,
        locales: &Locales,
        lang: Lang,
        own: impl Fn(&Notice) -> Option<&'static str>,
    ) -> String {
        let shared = match self {
            Notice::Hint(text) => return text.clone(),
            Notice::Unknown => "invitation-unknown",
            Notice::NotYours => "invitation-not-yours",
            Notice::Completed => "invitation-completed",
            Notice::Expired => "invitation-expired",
            Notice::InUse => "invitation-in-use",
            Notice::LaterAck { .. } => "tg-later-ack",
            Notice::DeclineAck => "tg-decline-ack",
            Notice::WithdrawDone => "tg-withdraw-done",
            Notice::WithdrawNothing => "tg-withdraw-nothing",
            Notice::WithdrawKept => "tg-withdraw-kept",
            Notice::MovedOn => "citizen-moved-on",
            Notice::CodeUnknown => "zalo-code-unknown",
            Notice::CodeExpired => "zalo-code-expired",
            Notice::CodeUsed => "zalo-code-used",
            Notice::CodeTooMany => "zalo-code-too-many",
            // Worded by each channel: `own` must name them.
            Notice::Welcome
            | Notice::Help
            | Notice::NoSurvey
            | Notice::Paused
            | Notice::LaterNoReminder
            | Notice::StaleButton => "tg-help",
        };
        let args = match self {
            Notice::LaterAck { time, date } => vec![("time", time.clone()), ("date", date.clone())],
            _ => Vec::new(),
        };
        locales.text(lang, own(self).unwrap_or(shared), &args)
    }
}

/// One survey step to show: the session as stored after it, its flow, what the engine said, and
/// the press that made it (the pressed message, the question and button pressed), if any.
#[derive(Debug, Clone, Copy)]
pub struct Step<'a> {
    pub after: &'a Session,
    pub flow: &'a Flow,
    pub reply: &'a Reply,
    pub pressed: Option<Pressed<'a>>,
}

/// A pressed answer button.
#[derive(Debug, Clone, Copy)]
pub struct Pressed<'a> {
    pub message: &'a str,
    pub question: &'a str,
    pub button: &'a Button,
}

/// How an invitation message opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationLead {
    /// The citizen opened the link or the code.
    Opened,
    /// The dossier's notice, sent by us.
    Notice,
    /// The reminder of a postponed invitation.
    Reminder,
}

/// Someone a dossier's notice names, on the channel that reaches them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// A Telegram chat (`recipient.telegram_chat_id`).
    TelegramChat(String),
    /// A follower of the Zalo OA (`recipient.zalo_user_id`).
    ZaloUser(String),
    /// A mobile number, reached through Zalo's template by phone (`recipient.phone`).
    Phone(PhoneNumber),
}

impl Recipient {
    /// The channel that reaches the recipient.
    pub fn channel(&self) -> &'static str {
        match self {
            Recipient::TelegramChat(_) => super::binding::TELEGRAM,
            Recipient::ZaloUser(_) | Recipient::Phone(_) => super::binding::ZALO,
        }
    }

    /// The recipient's chat on that channel, when they have one.
    pub fn chat(&self) -> Option<&str> {
        match self {
            Recipient::TelegramChat(chat) | Recipient::ZaloUser(chat) => Some(chat),
            Recipient::Phone(_) => None,
        }
    }
}

/// One channel's way of saying what the service decided, as outbox rows.
pub trait CitizenRenderer: Send + Sync + std::fmt::Debug {
    /// The channel's name in sessions, inbound ids and outbox rows.
    fn channel(&self) -> &'static str;

    /// The sentence of `notice` in this channel's words.
    fn notice_text(&self, notice: &Notice) -> String;

    /// Whether a press can carry a short notice of its own (Telegram's toast). When it cannot,
    /// the service sends the notice as a message.
    fn shows_toasts(&self) -> bool {
        true
    }

    /// A plain message (serving invitation `token`, if any).
    fn text(&self, chat: &str, text: String, token: Option<&str>) -> Outgoing;

    /// The invitation with its choices: start, later, decline.
    fn invitation(&self, chat: &str, invitation: &Invitation, lead: InvitationLead) -> Outgoing;

    /// The current question drawn on a new message, `lead` above it.
    fn question(&self, chat: &str, lead: String, prompt: &Prompt, token: &str) -> Outgoing;

    /// What a survey step shows: the next question (on the pressed message where the channel
    /// edits, else on a new one), the closing words with the withdrawal's offer, or a word on a
    /// stale answer. Rendered inside the step's transaction.
    fn step(&self, chat: &str, step: &Step<'_>) -> Vec<Outgoing>;

    /// The confirmation a withdrawal asks for, with "yes" and "no".
    fn withdraw_confirm(&self, chat: &str) -> Outgoing;

    /// Takes the buttons off a sent message; `None` on a channel that cannot edit.
    fn clear_keyboard(&self, chat: &str, message: &str) -> Option<Outgoing>;

    /// Rewrites a sent message into `text` with no buttons; `None` on a channel that cannot edit.
    fn replace_text(&self, chat: &str, message: &str, text: String) -> Option<Outgoing>;

    /// The reminder of a postponed invitation, or `None` when the channel cannot reach the
    /// citizen now (Zalo's messaging window).
    fn reminder<'a>(
        &'a self,
        chat: &'a str,
        invitation: &'a Invitation,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<Option<Outgoing>, StorageError>>;

    /// The row that invites `recipient` (one of this channel's) to answer `invitation`, queued
    /// in the notice's own transaction.
    fn notice_invitation(&self, invitation: &Invitation, recipient: &Recipient) -> Outgoing;

    /// Whether the channel may write to a chat only after the citizen wrote to us (a Telegram
    /// bot cannot start a conversation): intake then invites only a chat it knows.
    fn needs_known_chat(&self) -> bool {
        false
    }

    /// Whether invitations get a receipt code for this channel's chat (Zalo: printed on the
    /// receipt under the OA's QR code).
    fn receipt_codes(&self) -> bool {
        false
    }

    /// Wakes the channel's delivery worker: rows were queued.
    fn wake(&self);

    /// `notice` as a message.
    fn notice(&self, chat: &str, notice: &Notice, token: Option<&str>) -> Outgoing {
        self.text(chat, self.notice_text(notice), token)
    }
}
