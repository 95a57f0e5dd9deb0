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
use crate::services::citizens::{Decision, Notice, Origin, Step};
use crate::storage::{Outgoing, Session};
use chrono::{DateTime, Utc};
use teloxide::types::{CallbackQuery, Message};

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
        let chat_ref = chat.to_string();
        let own = message.id.0.to_string();
        self.citizens.remember_chat(CHANNEL, &chat_ref, now).await?;
        let citizens = &self.citizens;
        let renderer = &self.renderer;
        let done = match parsed {
            Parsed::Command(Command::Start(token)) if token.is_empty() => {
                citizens
                    .reply(renderer, &chat_ref, inbound, Notice::Welcome, now)
                    .await?
            }
            Parsed::Command(Command::Start(token)) => {
                citizens
                    .open_link(
                        renderer,
                        &chat_ref,
                        inbound,
                        &token,
                        Origin::message(&own),
                        now,
                    )
                    .await?
            }
            Parsed::Command(Command::Xoa) => {
                citizens
                    .ask_withdrawal(renderer, &chat_ref, inbound, now)
                    .await?
            }
            Parsed::Command(Command::Cancel) => {
                citizens.cancel(renderer, &chat_ref, inbound, now).await?
            }
            // Meant for another bot: whatever it is, not ours to answer.
            Parsed::OtherBot => return self.ignore(inbound, now).await,
            Parsed::Command(_) | Parsed::Unknown => {
                citizens
                    .reply(renderer, &chat_ref, inbound, Notice::Help, now)
                    .await?
            }
            Parsed::Text => match self.active_session(chat).await? {
                Some(session) => {
                    let input = Input::Text(text.to_string());
                    return self
                        .survey_input(inbound, chat, None, Some(message.id.0), session, input, now)
                        .await;
                }
                None => {
                    citizens
                        .reply(renderer, &chat_ref, inbound, Notice::NoSurvey, now)
                        .await?
                }
            },
        };
        Ok(self.done(done))
    }

    /// A press of the invitation's own buttons: start (the pressed invitation loses its
    /// buttons), later or decline.
    pub(super) async fn on_invitation_button(
        &self,
        inbound: &str,
        chat: i64,
        message_id: i32,
        action: &str,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Handled, HandleError> {
        let chat_ref = chat.to_string();
        let pressed = message_id.to_string();
        let decision = match action {
            messages::INVITE_START => {
                let done = self
                    .citizens
                    .begin(
                        &self.renderer,
                        &chat_ref,
                        inbound,
                        token,
                        Origin::press(&pressed),
                        now,
                    )
                    .await?;
                return Ok(self.done(done));
            }
            messages::INVITE_LATER => Decision::Later,
            _ => Decision::Decline,
        };
        let done = self
            .citizens
            .decide(
                &self.renderer,
                &chat_ref,
                inbound,
                token,
                decision,
                Some(&pressed),
                now,
            )
            .await?;
        Ok(self.done(done))
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
            .survey_input(inbound, chat, Some(message_id), None, session, input, now)
            .await?;
        handled.callback_answer = Some((
            query.id.clone(),
            handled.callback_answer.and_then(|(_, text)| text),
        ));
        Ok(handled)
    }

    /// One answer (typed or pressed) to the survey in progress in `chat`: `pressed` is the
    /// message whose button was pressed, `typed` the citizen's own message.
    #[allow(clippy::too_many_arguments)]
    async fn survey_input(
        &self,
        inbound: &str,
        chat: i64,
        pressed: Option<i32>,
        typed: Option<i32>,
        session: Session,
        input: Input,
        now: DateTime<Utc>,
    ) -> Result<Handled, HandleError> {
        let (pressed, typed) = (pressed.map(|m| m.to_string()), typed.map(|m| m.to_string()));
        let origin = match (&pressed, &typed) {
            (Some(message), _) => Origin::press(message),
            (None, Some(message)) => Origin::message(message),
            (None, None) => Origin::NONE,
        };
        let done = self
            .citizens
            .answer(
                &self.renderer,
                &chat.to_string(),
                inbound,
                session,
                input,
                origin,
                now,
            )
            .await?;
        Ok(self.done(done))
    }
}

/// The rows of a survey step on Telegram. A press edits the pressed message into what comes
/// next (the answer on top: one Bot API call per answer); a typed answer gets it as a new
/// message; a tick on a multiple-choice question redraws the keyboard; a hint on a press is the
/// press's notice, nothing sent.
pub(super) fn step_rows(locales: &Locales, chat: i64, step: &Step<'_>) -> Vec<Outgoing> {
    let (after, flow) = (step.after, step.flow);
    let (lang, token) = (after.lang, after.token.as_str());
    let pressed = step
        .pressed
        .and_then(|p| p.message.parse::<i32>().ok().map(|message| (message, p)));
    let question_prompt = || prompt::question(locales, lang, flow, &after.state);
    let mut rows = Vec::new();
    match step.reply {
        Reply::Ask { question, hint } => {
            let same_question = pressed.is_some_and(|(_, p)| p.question == question);
            match (pressed, hint, same_question) {
                // A hint on a pressed button is shown as the press's notice, nothing sent.
                (Some(_), Some(_), _) => {}
                // A tick on a multiple-choice question: redraw the same keyboard.
                (Some((message_id, _)), None, true) => {
                    if let Some(current) = question_prompt() {
                        rows.push(messages::replace_keyboard(
                            chat,
                            message_id,
                            &current.buttons,
                        ));
                    }
                }
                _ => {
                    let lead = hint
                        .as_ref()
                        .map(|hint| prompt::hint(locales, lang, flow, hint));
                    let current = question_prompt();
                    match pressed {
                        // A press: the pressed message becomes the next question, the answer
                        // shown on top. One edit, nothing else on the queue.
                        Some((message_id, p)) => rows.push(messages::answered_then(
                            chat,
                            message_id,
                            answered(locales, lang, flow, p.question, p.button),
                            current.as_ref(),
                            lead,
                            token,
                        )),
                        // A typed answer: the next question is a new message.
                        None => {
                            if let Some(current) = current {
                                rows.push(messages::prompt(chat, lead, &current, token));
                            }
                        }
                    }
                }
            }
        }
        Reply::Finished => {
            // The closing words offer the withdrawal (issue 10): one button. A press edits the
            // pressed question into them; a typed answer gets them as new.
            let outro = flow.outro.get(lang).to_string();
            let offer = vec![(
                locales.text(lang, "tg-withdraw-offer", &[]),
                messages::WITHDRAW_ASK,
            )];
            match pressed {
                Some((message_id, p)) => rows.push(messages::answered_then_closing(
                    chat,
                    message_id,
                    answered(locales, lang, flow, p.question, p.button),
                    outro,
                    offer,
                    token,
                )),
                None => rows.push(messages::text_with_buttons(chat, outro, offer)),
            }
        }
        // A stale press on the live message (an old client's keyboard): the message shows the
        // live question, so it stays; the press gets its notice.
        Reply::StaleButton { .. } | Reply::AlreadyFinished => {}
    }
    rows
}

/// The answered question and the answer chosen, shown on top of the pressed message.
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
