//! The citizens' conversation on Telegram: commands in a private chat (`/start` with an
//! invitation's token, `/cancel`, `/help`), typed answers and pressed buttons, each turned into
//! an engine input whose reply is rendered as outbox rows in the same transaction as the state.
//! Presses of the invitation's own buttons go to [`super::invitations`].

use super::commands::{Command, Parsed};
use super::{CHANNEL, HandleError, Handled, Telegram, messages};
use crate::core::flow::{Flow, Lang};
use crate::core::i18n::Locales;
use crate::core::prompt;
use crate::core::survey::{Button, Input, Reply};
use crate::storage::{Effects, InvitationStatus, Progress, Session, SessionOpenError};
use chrono::{DateTime, Utc};
use teloxide::types::{CallbackQuery, CallbackQueryId, Message};

impl Telegram {
    /// A message in a private chat: a citizen's command or typed answer.
    pub(super) async fn on_private(
        &self,
        inbound: &str,
        message: &Message,
        text: &str,
        parsed: Parsed,
        now: DateTime<Utc>,
    ) -> Result<Handled, HandleError> {
        let chat = message.chat.id.0;
        self.conversations
            .db()
            .remember_chat(CHANNEL, &chat.to_string(), now)
            .await?;
        match parsed {
            Parsed::Command(Command::Start(token)) if token.is_empty() => {
                self.reply(inbound, chat, "tg-welcome", now).await
            }
            Parsed::Command(Command::Start(token)) => {
                self.on_start(inbound, chat, &token, now).await
            }
            Parsed::Command(Command::Xoa) => self.ask_withdrawal(inbound, chat, now).await,
            Parsed::Command(Command::Cancel) => match self.active_session(chat).await? {
                Some(session) => {
                    self.conversations
                        .db()
                        .pause_session(session.id, now)
                        .await?;
                    self.reply(inbound, chat, "tg-paused", now).await
                }
                None => self.reply(inbound, chat, "tg-no-survey", now).await,
            },
            // Meant for another bot: whatever it is, not ours to answer.
            Parsed::OtherBot => self.ignore(inbound, now).await,
            Parsed::Command(_) | Parsed::Unknown => self.reply(inbound, chat, "tg-help", now).await,
            Parsed::Text => match self.active_session(chat).await? {
                Some(session) => {
                    let input = Input::Text(text.to_string());
                    self.survey_input(inbound, chat, None, session, input, now)
                        .await
                }
                None => self.reply(inbound, chat, "tg-no-survey", now).await,
            },
        }
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
        if addressed_elsewhere(&invitation, chat) {
            return self.reply(inbound, chat, "invitation-not-yours", now).await;
        }
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
    pub(super) async fn begin(
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
        // The invitation's keyboard goes after the question: a cosmetic edit must not hold the
        // first question back behind the chat's pace.
        if let Some(message_id) = pressed {
            outgoing.push(messages::replace_keyboard(chat, message_id, &[]));
        }
        let fresh = self.record(inbound, outgoing, now).await?;
        Ok(Handled {
            callback_answer: None,
            duplicate: !fresh,
        })
    }

    pub(super) async fn on_callback(
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
        if let Some(handled) = self
            .on_withdrawal_button(inbound, chat, message_id, query.id.clone(), data, now)
            .await?
        {
            return Ok(handled);
        }
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
                            let lead = hint
                                .as_ref()
                                .map(|hint| prompt::hint(&locales, lang, flow, hint));
                            let current = question_prompt();
                            match (pressed, &pressed_button) {
                                // A press: the pressed message becomes the next question, the
                                // answer shown on top. One edit, nothing else on the queue.
                                (Some(message_id), Some((q, button))) => {
                                    effects.push(messages::answered_then(
                                        chat,
                                        message_id,
                                        answered(&locales, lang, flow, q, button),
                                        current.as_ref(),
                                        lead,
                                        &token,
                                    ));
                                }
                                // A typed answer: the next question is a new message.
                                _ => {
                                    if let Some(current) = current {
                                        effects
                                            .push(messages::prompt(chat, lead, &current, &token));
                                    }
                                }
                            }
                        }
                    }
                }
                Reply::Finished => {
                    // The closing words offer the withdrawal (issue 10): one button. A press
                    // edits the pressed question into them; a typed answer gets them as new.
                    let outro = flow.outro.get(lang).to_string();
                    let offer = vec![(
                        locales.text(lang, "tg-withdraw-offer", &[]),
                        messages::WITHDRAW_ASK,
                    )];
                    match (pressed, &pressed_button) {
                        (Some(message_id), Some((q, button))) => {
                            effects.push(messages::answered_then_closing(
                                chat,
                                message_id,
                                answered(&locales, lang, flow, q, button),
                                outro,
                                offer,
                                &token,
                            ));
                        }
                        _ => effects.push(messages::text_with_buttons(chat, outro, offer)),
                    }
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
}

/// The answered question and the answer chosen, shown on top of the pressed message.
/// Whether the notice named a recipient chat other than `chat`: only the citizen the one-stop
/// system names may answer, so whoever prints or sees the receipt cannot answer in their place.
pub(super) fn addressed_elsewhere(invitation: &crate::storage::Invitation, chat: i64) -> bool {
    invitation
        .recipient_chat_id
        .as_deref()
        .is_some_and(|recipient| recipient != chat.to_string())
}

fn answered(locales: &Locales, lang: Lang, flow: &Flow, question: &str, button: &Button) -> String {
    let question_text = flow
        .question(question)
        .map_or(String::new(), |q| q.text.get(lang).to_string());
    let label = prompt::chosen_label(flow, lang, question, button).unwrap_or_default();
    locales.text(
        lang,
        "tg-answered",
        &[("question", question_text), ("answer", label)],
    )
}
