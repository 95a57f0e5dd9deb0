//! The Telegram channel: Bot API updates in, outbox rows out.
//!
//! [`Telegram::handle_update`] turns one update into engine inputs and invitation decisions and
//! records every effect (the update id, the state change, the replies) in one transaction. It
//! makes no network call itself: replies go through the outbox ([`sender`]); the answer to a
//! button press is returned for the caller to send at once. [`poller`] fetches updates by long
//! polling; the HTTP layer accepts them by webhook.

pub mod messages;
pub mod poller;
pub mod sender;

use crate::clock::outside_quiet_hours;
use crate::conversation::{ConversationError, Conversations};
use crate::flow::{Flow, Lang};
use crate::i18n::{self, Locales};
use crate::prompt;
use crate::storage::{
    Effects, InvitationStatus, Outgoing, Progress, RedeemError, Reminder, ReminderStatus, Session,
    SessionOpenError, StorageError,
};
use crate::survey::{Button, Input, Reply};
use crate::weekly::Weekly;
use chrono::{DateTime, Duration, Utc};
use futures::future::BoxFuture;
use std::sync::Arc;
use teloxide::prelude::Requester;
use teloxide::types::{CallbackQuery, CallbackQueryId, Message, Update, UpdateKind};
use teloxide::types::{ChatId, UserId};
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
    weekly: Weekly,
    admins: Arc<dyn ChatAdmins>,
    locales: Arc<Locales>,
    lang: Lang,
    reminder_delay: Duration,
    /// Woken whenever rows are added to the outbox.
    outbox_ready: Arc<Notify>,
}

impl Telegram {
    pub fn new(
        conversations: Conversations,
        weekly: Weekly,
        admins: Arc<dyn ChatAdmins>,
        locales: Arc<Locales>,
        lang: Lang,
        reminder_delay: Duration,
        outbox_ready: Arc<Notify>,
    ) -> Telegram {
        Telegram {
            conversations,
            weekly,
            admins,
            locales,
            lang,
            reminder_delay,
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
            UpdateKind::ChannelPost(post) => match post.text().and_then(parse_command) {
                // Only a channel's administrators can post in it.
                Some(command) => {
                    self.on_official_command(&inbound, post, command, true, now)
                        .await?
                }
                None => {
                    self.record(&inbound, Vec::new(), now).await?;
                    Handled::default()
                }
            },
            _ => {
                self.record(&inbound, Vec::new(), now).await?;
                Handled::default()
            }
        };
        self.outbox_ready.notify_one();
        Ok(handled)
    }

    /// Records the update id and `outgoing` messages with no other change.
    async fn record(
        &self,
        inbound: &str,
        outgoing: Vec<Outgoing>,
        now: DateTime<Utc>,
    ) -> Result<bool, HandleError> {
        let effects = Effects {
            inbound: Some((CHANNEL.to_string(), inbound.to_string())),
            outgoing,
        };
        Ok(self
            .conversations
            .db()
            .record_effects(&effects, now)
            .await?)
    }

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

    async fn on_message(
        &self,
        inbound: &str,
        message: &Message,
        now: DateTime<Utc>,
    ) -> Result<Handled, HandleError> {
        let Some(text) = message.text() else {
            self.record(inbound, Vec::new(), now).await?;
            return Ok(Handled::default());
        };
        if let Some(command @ ("subscribe" | "unsubscribe" | "report", _)) = parse_command(text) {
            return self
                .on_official_command(inbound, message, command, false, now)
                .await;
        }
        if !message.chat.is_private() {
            // In groups the bot answers only to commands meant for it.
            return match parse_command(text) {
                Some(("help", _)) => {
                    self.reply(inbound, message.chat.id.0, "official-help", now)
                        .await
                }
                _ => {
                    self.record(inbound, Vec::new(), now).await?;
                    Ok(Handled::default())
                }
            };
        }
        let chat = message.chat.id.0;
        self.conversations
            .db()
            .remember_chat(CHANNEL, &chat.to_string(), now)
            .await?;
        match parse_command(text) {
            Some(("start", "")) => self.reply(inbound, chat, "tg-welcome", now).await,
            Some(("start", token)) => self.on_start(inbound, chat, token, now).await,
            Some(("cancel", _)) => match self.active_session(chat).await? {
                Some(session) => {
                    self.conversations
                        .db()
                        .pause_session(session.id, now)
                        .await?;
                    self.reply(inbound, chat, "tg-paused", now).await
                }
                None => self.reply(inbound, chat, "tg-no-survey", now).await,
            },
            Some(_) => self.reply(inbound, chat, "tg-help", now).await,
            None => match self.active_session(chat).await? {
                Some(session) => {
                    let input = Input::Text(text.to_string());
                    self.survey_input(inbound, chat, None, session, input, now)
                        .await
                }
                None => self.reply(inbound, chat, "tg-no-survey", now).await,
            },
        }
    }

    async fn active_session(&self, chat: i64) -> Result<Option<Session>, StorageError> {
        self.conversations
            .db()
            .active_session(CHANNEL, &chat.to_string())
            .await
    }

    /// `/start <token>`: the deep link from the notice or the QR code.
    async fn on_start(
        &self,
        inbound: &str,
        chat: i64,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Handled, HandleError> {
        let db = self.conversations.db();
        let Some(invitation) = db.invitation(token).await? else {
            return self.reply(inbound, chat, "invitation-unknown", now).await;
        };
        if invitation.status == InvitationStatus::Completed {
            return self.reply(inbound, chat, "invitation-completed", now).await;
        }
        if db.session_for_token(token).await?.is_some() {
            return self.begin(inbound, chat, token, None, now).await;
        }
        if invitation.is_expired(now) {
            return self.reply(inbound, chat, "invitation-expired", now).await;
        }
        let message = messages::invitation(
            &self.locales,
            self.lang,
            chat,
            &invitation,
            "tg-invitation-opened",
        );
        let fresh = self.record(inbound, vec![message], now).await?;
        Ok(Handled {
            callback_answer: None,
            duplicate: !fresh,
        })
    }

    /// Opens or resumes the survey and sends the current question.
    async fn begin(
        &self,
        inbound: &str,
        chat: i64,
        token: &str,
        pressed: Option<i32>,
        now: DateTime<Utc>,
    ) -> Result<Handled, HandleError> {
        let opened = match self
            .conversations
            .open(token, CHANNEL, &chat.to_string(), self.lang, now)
            .await
        {
            Ok(opened) => opened,
            Err(SessionOpenError::Storage(err)) => return Err(err.into()),
            Err(refusal) => {
                let id = match refusal {
                    SessionOpenError::UnknownToken => "invitation-unknown",
                    SessionOpenError::Expired => "invitation-expired",
                    SessionOpenError::AlreadyCompleted => "invitation-completed",
                    _ => "invitation-in-use",
                };
                return self.reply(inbound, chat, id, now).await;
            }
        };
        let mut outgoing = Vec::new();
        if let Some(message_id) = pressed {
            outgoing.push(messages::replace_keyboard(chat, message_id, &[]));
        }
        let lead = if opened.resumed {
            self.text("survey-resumed", &[])
        } else {
            opened.flow.intro.get(self.lang).to_string()
        };
        match prompt::question(
            &self.locales,
            self.lang,
            &opened.flow,
            &opened.session.state,
        ) {
            Some(question) => outgoing.push(messages::prompt(chat, Some(lead), &question, token)),
            None => outgoing.push(messages::text(
                chat,
                self.text("invitation-completed", &[]),
                None,
            )),
        }
        let fresh = self.record(inbound, outgoing, now).await?;
        Ok(Handled {
            callback_answer: None,
            duplicate: !fresh,
        })
    }

    async fn on_callback(
        &self,
        inbound: &str,
        query: &CallbackQuery,
        now: DateTime<Utc>,
    ) -> Result<Handled, HandleError> {
        let answer = |notice: Option<String>, duplicate: bool| Handled {
            callback_answer: Some((query.id.clone(), notice)),
            duplicate,
        };
        let Some(message) = &query.message else {
            self.record(inbound, Vec::new(), now).await?;
            return Ok(answer(None, false));
        };
        let chat = message.chat().id.0;
        let message_id = message.id().0;
        let data = query.data.as_deref().unwrap_or_default();
        if let Some((action, token)) = messages::parse_invitation_data(data) {
            return self
                .on_invitation_button(inbound, chat, message_id, action, token, now)
                .await
                .map(|handled| Handled {
                    callback_answer: Some((
                        query.id.clone(),
                        handled.callback_answer.and_then(|(_, text)| text),
                    )),
                    duplicate: handled.duplicate,
                });
        }
        let Some((question, button)) = prompt::parse_callback(data) else {
            let fresh = self.record(inbound, Vec::new(), now).await?;
            return Ok(answer(Some(self.text("tg-stale-button", &[])), !fresh));
        };
        let Some(session) = self.active_session(chat).await? else {
            let fresh = self.record(inbound, Vec::new(), now).await?;
            return Ok(answer(Some(self.text("tg-no-survey", &[])), !fresh));
        };
        let input = Input::Button { question, button };
        let mut handled = self
            .survey_input(inbound, chat, Some(message_id), session, input, now)
            .await?;
        handled.callback_answer = Some((
            query.id.clone(),
            handled.callback_answer.and_then(|(_, text)| text),
        ));
        Ok(handled)
    }

    async fn on_invitation_button(
        &self,
        inbound: &str,
        chat: i64,
        message_id: i32,
        action: &str,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Handled, HandleError> {
        let db = self.conversations.db();
        let notice = |text: String, duplicate: bool| Handled {
            callback_answer: Some((CallbackQueryId(String::new()), Some(text))),
            duplicate,
        };
        let Some(invitation) = db.invitation(token).await? else {
            return self.reply(inbound, chat, "invitation-unknown", now).await;
        };
        if action == messages::INVITE_START {
            return self
                .begin(inbound, chat, token, Some(message_id), now)
                .await;
        }
        let decided = matches!(
            invitation.status,
            InvitationStatus::Started | InvitationStatus::Completed
        );
        if decided || invitation.is_expired(now) {
            let fresh = self.record(inbound, Vec::new(), now).await?;
            return Ok(notice(self.text("tg-stale-button", &[]), !fresh));
        }
        let mut effects = Effects::from_inbound(CHANNEL, inbound);
        effects.push(messages::replace_keyboard(chat, message_id, &[]));
        let (status, reminder) = if action == messages::INVITE_LATER {
            let due = outside_quiet_hours(now + self.reminder_delay);
            let already = db.reminder(token).await?.is_some();
            let text = if already || due >= invitation.expires_at {
                self.text("tg-later-no-reminder", &[])
            } else {
                let local = due.with_timezone(&crate::clock::vietnam());
                self.text(
                    "tg-later-ack",
                    &[
                        ("time", local.format("%H:%M").to_string()),
                        ("date", i18n::date(local.date_naive(), self.lang)),
                    ],
                )
            };
            effects.push(messages::text(chat, text, Some(token)));
            let reminder = (due < invitation.expires_at).then(|| Reminder {
                invitation_token: token.to_string(),
                channel: CHANNEL.to_string(),
                chat_id: chat.to_string(),
                due_at: due,
            });
            (InvitationStatus::Postponed, reminder)
        } else {
            effects.push(messages::text(chat, self.text("tg-decline-ack", &[]), None));
            (InvitationStatus::Declined, None)
        };
        let fresh = db
            .decide_invitation(token, status, reminder.as_ref(), &effects, now)
            .await?;
        Ok(Handled {
            callback_answer: None,
            duplicate: !fresh,
        })
    }

    /// One answer (typed or pressed) to the survey in progress in `chat`.
    async fn survey_input(
        &self,
        inbound: &str,
        chat: i64,
        pressed: Option<i32>,
        session: Session,
        input: Input,
        now: DateTime<Utc>,
    ) -> Result<Handled, HandleError> {
        let locales = self.locales.clone();
        let lang = session.lang;
        let token = session.token.clone();
        let pressed_button = match &input {
            Input::Button { question, button } => Some((question.clone(), button.clone())),
            _ => None,
        };
        let effects_for = |after: &Session, flow: &Flow, reply: &Reply| -> Effects {
            let mut effects = Effects::from_inbound(CHANNEL, inbound);
            let question_prompt = || prompt::question(&locales, lang, flow, &after.state);
            match reply {
                Reply::Ask { question, hint } => {
                    let same_question = pressed_button.as_ref().is_some_and(|(q, _)| q == question);
                    match (pressed, hint, same_question) {
                        // A hint on a pressed button is shown as the press's notice, nothing sent.
                        (Some(_), Some(_), _) => {}
                        // A tick on a multiple-choice question: redraw the same keyboard.
                        (Some(message_id), None, true) => {
                            if let Some(current) = question_prompt() {
                                effects.push(messages::replace_keyboard(
                                    chat,
                                    message_id,
                                    &current.buttons,
                                ));
                            }
                        }
                        _ => {
                            if let (Some(message_id), Some((q, button))) =
                                (pressed, &pressed_button)
                            {
                                effects.push(answered(
                                    &locales, lang, flow, chat, message_id, q, button,
                                ));
                            }
                            let lead = hint
                                .as_ref()
                                .map(|hint| prompt::hint(&locales, lang, flow, hint));
                            if let Some(current) = question_prompt() {
                                effects.push(messages::prompt(chat, lead, &current, &token));
                            }
                        }
                    }
                }
                Reply::Finished => {
                    if let (Some(message_id), Some((q, button))) = (pressed, &pressed_button) {
                        effects.push(answered(&locales, lang, flow, chat, message_id, q, button));
                    }
                    effects.push(messages::text(chat, flow.outro.get(lang).to_string(), None));
                }
                Reply::AlreadyFinished | Reply::StaleButton { .. } => {}
            }
            effects
        };
        let turn = self
            .conversations
            .input_with(&session, &input, now, effects_for)
            .await?;
        let notice = match (&turn.reply, pressed) {
            (Reply::StaleButton { .. }, _) => Some(self.text("tg-stale-button", &[])),
            (Reply::AlreadyFinished, _) => Some(self.text("invitation-completed", &[])),
            (
                Reply::Ask {
                    hint: Some(hint), ..
                },
                Some(_),
            ) => Some(prompt::hint(&self.locales, lang, &turn.flow, hint)),
            _ => None,
        };
        Ok(Handled {
            callback_answer: Some((CallbackQueryId(String::new()), notice)),
            duplicate: turn.progress == Progress::Duplicate,
        })
    }

    /// `/subscribe CODE`, `/unsubscribe`, `/report` from an official's chat.
    async fn on_official_command(
        &self,
        inbound: &str,
        message: &Message,
        (command, argument): (&str, &str),
        channel_post: bool,
        now: DateTime<Utc>,
    ) -> Result<Handled, HandleError> {
        let chat = message.chat.id.0;
        let db = self.conversations.db();
        match command {
            "subscribe" => {
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
                        |weekday, hour| crate::weekly::next_weekly(now, weekday, hour),
                        |subscription| {
                            let agency = agencies
                                .iter()
                                .find(|a| a.code == subscription.agency_code)
                                .map_or(subscription.agency_code.clone(), |a| a.name.clone());
                            let text = self.text(
                                "subscribe-done",
                                &[
                                    ("agency", agency),
                                    (
                                        "weekday",
                                        self.text(
                                            &format!("weekday-{}", subscription.weekday),
                                            &[],
                                        ),
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
                    Err(RedeemError::Unknown) => {
                        self.reply(inbound, chat, "subscribe-unknown", now).await
                    }
                    Err(RedeemError::Expired) => {
                        self.reply(inbound, chat, "subscribe-expired", now).await
                    }
                    Err(RedeemError::Used) => {
                        self.reply(inbound, chat, "subscribe-used", now).await
                    }
                }
            }
            "unsubscribe" => {
                let admin = if channel_post || message.chat.is_private() {
                    true
                } else {
                    match message.from.as_ref() {
                        Some(user) => {
                            self.admins
                                .is_admin(chat, user.id.0)
                                .await
                                .unwrap_or_else(|err| {
                                    tracing::warn!(%err, "cannot check chat administrators");
                                    false
                                })
                        }
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
            _ => {
                let subscriptions = db.chat_subscriptions(CHANNEL, &chat.to_string()).await?;
                if subscriptions.is_empty() {
                    return self
                        .reply(inbound, chat, "report-not-subscribed", now)
                        .await;
                }
                let week = crate::summary::Week::containing(now);
                let mut outgoing = Vec::new();
                for subscription in &subscriptions {
                    match self
                        .weekly
                        .summary(&subscription.agency_code, week, subscription.points_max)
                        .await
                    {
                        Ok(summary) => outgoing.extend(self.weekly.messages(chat, &summary)),
                        Err(crate::weekly::WeeklyError::Storage(err)) => return Err(err.into()),
                        Err(err) => tracing::warn!(%err, "no summary for a subscription"),
                    }
                }
                let fresh = self.record(inbound, outgoing, now).await?;
                Ok(Handled {
                    callback_answer: None,
                    duplicate: !fresh,
                })
            }
        }
    }

    /// Sends the reminder of every invitation whose "Để sau" time has come, once.
    pub async fn send_due_reminders(&self, now: DateTime<Utc>) -> Result<usize, HandleError> {
        let db = self.conversations.db();
        let mut sent = 0;
        for reminder in db.due_reminders(CHANNEL, now).await? {
            let Ok(chat) = reminder.chat_id.parse::<i64>() else {
                continue;
            };
            let invitation = db.invitation(&reminder.invitation_token).await?;
            let still_wanted = invitation.as_ref().is_some_and(|i| {
                matches!(
                    i.status,
                    InvitationStatus::Postponed | InvitationStatus::Pending
                ) && !i.is_expired(now)
            });
            let (status, effects) = match (&invitation, still_wanted) {
                (Some(invitation), true) => {
                    // The quiet hours apply at sending time too: a reminder found late waits.
                    if outside_quiet_hours(now) != now {
                        continue;
                    }
                    let message = messages::invitation(
                        &self.locales,
                        self.lang,
                        chat,
                        invitation,
                        "tg-reminder",
                    );
                    (
                        ReminderStatus::Sent,
                        Effects {
                            inbound: None,
                            outgoing: vec![message],
                        },
                    )
                }
                _ => (ReminderStatus::Skipped, Effects::default()),
            };
            if db
                .finish_reminder(&reminder.invitation_token, status, &effects, now)
                .await?
                && status == ReminderStatus::Sent
            {
                sent += 1;
            }
        }
        if sent > 0 {
            self.outbox_ready.notify_one();
        }
        Ok(sent)
    }

    /// The invitation message for a notice whose citizen already talks to us, or `None`.
    pub fn notice_message(&self, invitation: &crate::storage::Invitation, chat: i64) -> Outgoing {
        messages::invitation(&self.locales, self.lang, chat, invitation, "tg-notice")
    }

    pub fn outbox_ready(&self) -> Arc<Notify> {
        self.outbox_ready.clone()
    }
}

/// The old question's message, rewritten to show the answer chosen and without its keyboard.
fn answered(
    locales: &Locales,
    lang: Lang,
    flow: &Flow,
    chat: i64,
    message_id: i32,
    question: &str,
    button: &Button,
) -> Outgoing {
    let question_text = flow
        .question(question)
        .map_or(String::new(), |q| q.text.get(lang).to_string());
    let label = prompt::chosen_label(flow, lang, question, button).unwrap_or_default();
    messages::replace_text(
        chat,
        message_id,
        locales.text(
            lang,
            "tg-answered",
            &[("question", question_text), ("answer", label)],
        ),
    )
}

/// `/start abc` → `("start", "abc")`; `/help@sipas_bot` → `("help", "")`; plain text → `None`.
pub fn parse_command(text: &str) -> Option<(&str, &str)> {
    let rest = text.trim().strip_prefix('/')?;
    let (word, argument) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let command = word.split('@').next().unwrap_or(word);
    Some((command, argument.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_parsed_with_or_without_the_bot_name() {
        assert_eq!(parse_command("/start abc123"), Some(("start", "abc123")));
        assert_eq!(parse_command("/help@sipas_bot"), Some(("help", "")));
        assert_eq!(parse_command("  /cancel  "), Some(("cancel", "")));
        assert_eq!(parse_command("hài lòng"), None);
    }
}
