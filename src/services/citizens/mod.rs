//! The citizens' service, channel-neutral: every rule a citizen meets, whichever app they use.
//! Opening a survey (link token, receipt code or a pressed start button) with the recipient
//! binding ([`binding`]), the refusals, the lead line, resume, "later" with its one reminder,
//! decline, `/cancel`, withdrawal ([`decisions`], [`withdrawal`]), the dossier line in Vietnam
//! time ([`dossier`]), ratings that keep their stars ([`rating`]) and the live question's message
//! ([`live`]). It decides and stores; what it says is rendered by the chat's channel through a
//! [`CitizenRenderer`] and written as outbox rows in the same transaction as the change.
//! **Knows no channel**: no teloxide, no Zalo JSON.

pub mod binding;
mod decisions;
pub mod dossier;
pub mod live;
pub mod rating;
mod render;
mod turn;
mod withdrawal;

pub use decisions::Decision;
pub use render::{CitizenRenderer, InvitationLead, Notice, Pressed, Recipient, Step};

use crate::core::flow::Lang;
use crate::core::i18n::Locales;
use crate::core::prompt;
use crate::services::conversation::{ConversationError, Conversations};
use crate::storage::zalo::{AttemptLimit, ReceiptCodeError, normalize_receipt_code};
use crate::storage::{
    Db, Effects, InvitationStatus, Outgoing, Session, SessionOpenError, StorageError,
};
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

/// How long "Để sau" waits before the reminder, unless the channel is told otherwise.
pub const DEFAULT_REMINDER_DELAY: Duration = Duration::hours(24);

/// How many wrong receipt codes one chat may send in an hour.
pub const CODE_ATTEMPTS: AttemptLimit = AttemptLimit {
    max_failures: 5,
    window: Duration::hours(1),
};

#[derive(Debug, thiserror::Error)]
pub enum CitizensError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Conversation(#[from] ConversationError),
}

impl From<SessionOpenError> for CitizensError {
    fn from(err: SessionOpenError) -> Self {
        match err {
            SessionOpenError::Storage(err) => CitizensError::Storage(err),
            other => CitizensError::Storage(StorageError::Corrupt(other.to_string())),
        }
    }
}

/// What the channel must still do: show a short notice on the press (Telegram's toast), and
/// whether the inbound event had been handled before.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Done {
    pub toast: Option<Notice>,
    pub duplicate: bool,
}

impl Done {
    fn fresh(fresh: bool) -> Done {
        Done {
            toast: None,
            duplicate: !fresh,
        }
    }
}

/// Where an event happened in the chat, on a channel whose messages have ids (Telegram).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Origin<'a> {
    /// The bot's message whose button was pressed: it loses its buttons when a new message
    /// takes over.
    pub pressed: Option<&'a str>,
    /// The newest message of the chat at the event (the citizen's own message, or the pressed
    /// one): a message drawn now is newer, and every older one is superseded (see [`live`]).
    pub newest: Option<&'a str>,
}

impl<'a> Origin<'a> {
    /// A channel without message ids (Zalo).
    pub const NONE: Origin<'static> = Origin {
        pressed: None,
        newest: None,
    };

    /// The citizen's own message `message`.
    pub fn message(message: &'a str) -> Origin<'a> {
        Origin {
            pressed: None,
            newest: Some(message),
        }
    }

    /// A press on the bot's message `message`.
    pub fn press(message: &'a str) -> Origin<'a> {
        Origin {
            pressed: Some(message),
            newest: Some(message),
        }
    }
}

/// The citizens' service the channels share.
#[derive(Debug, Clone)]
pub struct Citizens {
    conversations: Conversations,
    locales: Arc<Locales>,
    lang: Lang,
    reminder_delay: Duration,
}

impl Citizens {
    pub fn new(conversations: Conversations, locales: Arc<Locales>, lang: Lang) -> Citizens {
        Citizens {
            conversations,
            locales,
            lang,
            reminder_delay: DEFAULT_REMINDER_DELAY,
        }
    }

    /// How long "Để sau" waits (`REMINDER_DELAY_HOURS`).
    pub fn with_reminder_delay(mut self, delay: Duration) -> Citizens {
        self.reminder_delay = delay;
        self
    }

    pub fn conversations(&self) -> &Conversations {
        &self.conversations
    }

    pub fn locales(&self) -> &Arc<Locales> {
        &self.locales
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    fn db(&self) -> &Db {
        self.conversations.db()
    }

    /// The chat's survey in progress, if any.
    pub async fn active_session(
        &self,
        channel: &str,
        chat: &str,
    ) -> Result<Option<Session>, StorageError> {
        self.db().active_session(channel, chat).await
    }

    /// Remembers that `chat` talked to us (a notice may then be sent there directly).
    pub async fn remember_chat(
        &self,
        channel: &str,
        chat: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        self.db().remember_chat(channel, chat, now).await?;
        Ok(())
    }

    /// Records the inbound event with `outgoing` and no other change; `false` when it had been.
    pub async fn record(
        &self,
        channel: &str,
        inbound: &str,
        outgoing: Vec<Outgoing>,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let effects = Effects {
            inbound: Some((channel.to_string(), inbound.to_string())),
            outgoing,
        };
        self.db().record_effects(&effects, now).await
    }

    /// A press's notice: shown on the press where the channel can (the returned toast), else
    /// sent as a message with the press's other rows.
    fn toast(
        renderer: &dyn CitizenRenderer,
        chat: &str,
        notice: Notice,
        outgoing: &mut Vec<Outgoing>,
    ) -> Option<Notice> {
        if renderer.shows_toasts() {
            return Some(notice);
        }
        outgoing.push(renderer.notice(chat, &notice, None));
        None
    }

    /// Answers `notice`, nothing else.
    pub async fn reply(
        &self,
        renderer: &dyn CitizenRenderer,
        chat: &str,
        inbound: &str,
        notice: Notice,
        now: DateTime<Utc>,
    ) -> Result<Done, CitizensError> {
        let row = renderer.notice(chat, &notice, None);
        let fresh = self
            .record(renderer.channel(), inbound, vec![row], now)
            .await?;
        Ok(Done::fresh(fresh))
    }

    /// A link opened (`/start <token>`): the invitation with its choices, or the survey itself
    /// when it was begun before (resume).
    pub async fn open_link(
        &self,
        renderer: &dyn CitizenRenderer,
        chat: &str,
        inbound: &str,
        token: &str,
        origin: Origin<'_>,
        now: DateTime<Utc>,
    ) -> Result<Done, CitizensError> {
        let db = self.db();
        let Some(invitation) = db.invitation(token).await? else {
            return self
                .reply(renderer, chat, inbound, Notice::Unknown, now)
                .await;
        };
        if !binding::may_open(&invitation, renderer.channel(), chat) {
            return self
                .reply(renderer, chat, inbound, Notice::NotYours, now)
                .await;
        }
        if matches!(
            invitation.status,
            InvitationStatus::Completed | InvitationStatus::Withdrawn
        ) {
            return self
                .reply(renderer, chat, inbound, Notice::Completed, now)
                .await;
        }
        if db.session_for_token(token).await?.is_some() {
            return self
                .begin(renderer, chat, inbound, token, origin, now)
                .await;
        }
        if invitation.is_expired(now) {
            return self
                .reply(renderer, chat, inbound, Notice::Expired, now)
                .await;
        }
        let row = renderer.invitation(chat, &invitation, InvitationLead::Opened);
        let fresh = self
            .record(renderer.channel(), inbound, vec![row], now)
            .await?;
        Ok(Done::fresh(fresh))
    }

    /// Opens or resumes the survey of `token` and draws its current question on a new message.
    /// A pressed invitation message loses its buttons, and so does a resumed survey's live
    /// question: one live question at a time.
    pub async fn begin(
        &self,
        renderer: &dyn CitizenRenderer,
        chat: &str,
        inbound: &str,
        token: &str,
        origin: Origin<'_>,
        now: DateTime<Utc>,
    ) -> Result<Done, CitizensError> {
        let channel = renderer.channel();
        let Some(invitation) = self.db().invitation(token).await? else {
            return self
                .reply(renderer, chat, inbound, Notice::Unknown, now)
                .await;
        };
        if !binding::may_open(&invitation, channel, chat) {
            return self
                .reply(renderer, chat, inbound, Notice::NotYours, now)
                .await;
        }
        let opened = match self
            .conversations
            .open(token, channel, chat, self.lang, now)
            .await
        {
            Ok(opened) => opened,
            Err(SessionOpenError::Storage(err)) => return Err(err.into()),
            Err(refusal) => {
                let notice = match refusal {
                    SessionOpenError::UnknownToken => Notice::Unknown,
                    SessionOpenError::Expired => Notice::Expired,
                    SessionOpenError::AlreadyCompleted => Notice::Completed,
                    _ => Notice::InUse,
                };
                return self.reply(renderer, chat, inbound, notice, now).await;
            }
        };
        let lead = if opened.resumed {
            self.locales.text(self.lang, "survey-resumed", &[])
        } else {
            opened.flow.intro.get(self.lang).to_string()
        };
        let mut outgoing = Vec::new();
        let question = prompt::question(
            &self.locales,
            self.lang,
            &opened.flow,
            &opened.session.state,
        );
        match &question {
            Some(question) => outgoing.push(renderer.question(chat, lead, question, token)),
            None => outgoing.push(renderer.notice(chat, &Notice::Completed, None)),
        }
        // After the question: a cosmetic edit must not hold the question back behind the
        // chat's pace.
        let superseded = live::known(&opened.session);
        for message in origin.pressed.into_iter().chain(superseded) {
            outgoing.extend(renderer.clear_keyboard(chat, message));
        }
        let fresh = self.record(channel, inbound, outgoing, now).await?;
        if fresh {
            // The question now shows on a new message, whose id a press on it will name.
            let drawn = live::drawn_after(origin.newest);
            self.set_live(&opened.session, drawn.as_deref()).await?;
        }
        Ok(Done::fresh(fresh))
    }

    /// A receipt code typed in the chat (Zalo): the survey it names, for its recipient only. A
    /// code naming another citizen's invitation is refused before anything changes (it is not
    /// marked used, and it is not a wrong guess either).
    pub async fn receipt_code(
        &self,
        renderer: &dyn CitizenRenderer,
        chat: &str,
        inbound: &str,
        typed: &str,
        now: DateTime<Utc>,
    ) -> Result<Done, CitizensError> {
        let Some(code) = normalize_receipt_code(typed) else {
            return self
                .reply(renderer, chat, inbound, Notice::NoSurvey, now)
                .await;
        };
        let db = self.db();
        if let Some(invitation) = db.receipt_code_invitation(&code).await?
            && !binding::may_open(&invitation, renderer.channel(), chat)
        {
            return self
                .reply(renderer, chat, inbound, Notice::NotYours, now)
                .await;
        }
        match db
            .redeem_receipt_code(typed, chat, CODE_ATTEMPTS, now)
            .await
        {
            Ok(token) => {
                self.begin(renderer, chat, inbound, &token, Origin::NONE, now)
                    .await
            }
            Err(ReceiptCodeError::Storage(err)) => Err(err.into()),
            Err(refusal) => {
                let notice = match refusal {
                    ReceiptCodeError::Expired => Notice::CodeExpired,
                    ReceiptCodeError::Used => Notice::CodeUsed,
                    ReceiptCodeError::TooManyAttempts => Notice::CodeTooMany,
                    _ => Notice::CodeUnknown,
                };
                self.reply(renderer, chat, inbound, notice, now).await
            }
        }
    }
}
