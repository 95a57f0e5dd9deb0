//! One answer, typed or pressed, to the survey in progress in a chat: the engine's step stored
//! with its replies (rendered by the chat's channel) in one transaction, the live question's
//! message kept up to date, a press on a superseded message turned away (see [`super::live`]).

use super::render::{Pressed, Step};
use super::{CitizenRenderer, Citizens, CitizensError, Done, Notice, Origin, live};
use crate::core::prompt;
use crate::core::survey::{Input, Reply};
use crate::storage::{Effects, Progress, Session};
use chrono::{DateTime, Utc};

impl Citizens {
    /// Applies `input` to `session` (the chat's survey in progress) and says what comes next.
    /// `origin` is the citizen's message or the pressed one, on a channel with message ids.
    #[allow(clippy::too_many_arguments)]
    pub async fn answer(
        &self,
        renderer: &dyn CitizenRenderer,
        chat: &str,
        inbound: &str,
        session: Session,
        input: Input,
        origin: Origin<'_>,
        now: DateTime<Utc>,
    ) -> Result<Done, CitizensError> {
        let pressed_button = match &input {
            Input::Button { question, button } => Some((question.clone(), button.clone())),
            _ => None,
        };
        let pressed = origin.pressed.zip(pressed_button.as_ref());
        if let Some((message, (question, _))) = pressed
            && live::is_superseded(&session, message)
        {
            return self
                .superseded_press(renderer, chat, inbound, &session, question, message, now)
                .await;
        }
        // What comes next on a new message takes the buttons off the live question's message.
        let superseded = match origin.pressed {
            None => {
                live::known(&session).and_then(|message| renderer.clear_keyboard(chat, message))
            }
            Some(_) => None,
        };
        let channel = renderer.channel();
        let effects_for = |after: &Session, flow: &_, reply: &Reply| -> Effects {
            let mut effects = Effects::from_inbound(channel, inbound);
            if !matches!(reply, Reply::StaleButton { .. } | Reply::AlreadyFinished)
                && let Some(clear) = &superseded
            {
                effects.push(clear.clone());
            }
            let step = Step {
                after,
                flow,
                reply,
                pressed: pressed.map(|(message, (question, button))| Pressed {
                    message,
                    question,
                    button,
                }),
            };
            effects.outgoing.extend(renderer.step(chat, &step));
            effects
        };
        let turn = self
            .conversations
            .input_with(&session, &input, now, effects_for)
            .await?;
        let moved_on = !matches!(
            turn.reply,
            Reply::StaleButton { .. } | Reply::AlreadyFinished
        );
        if turn.progress != Progress::Duplicate && moved_on {
            // The pressed message now shows the next question; a new message's id is not known
            // until a press on it names it, but it is newer than the citizen's message.
            let live = match origin.pressed {
                Some(message) => Some(message.to_string()),
                None => live::drawn_after(origin.newest),
            };
            self.set_live(&turn.session, live.as_deref()).await?;
        }
        // The step's rows already say it on a channel without toasts.
        let toast = match (&turn.reply, origin.pressed) {
            _ if !renderer.shows_toasts() => None,
            (Reply::StaleButton { .. }, _) => Some(Notice::StaleButton),
            (Reply::AlreadyFinished, _) => Some(Notice::Completed),
            (
                Reply::Ask {
                    hint: Some(hint), ..
                },
                Some(_),
            ) => Some(Notice::Hint(prompt::hint(
                &self.locales,
                session.lang,
                &turn.flow,
                hint,
            ))),
            _ => None,
        };
        Ok(Done {
            toast,
            duplicate: turn.progress == Progress::Duplicate,
        })
    }
}
