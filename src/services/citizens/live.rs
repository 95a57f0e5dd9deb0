//! Which message shows a survey's live question. On a channel that edits messages (Telegram) a
//! press edits the pressed message into the next question, so that message is the live one; a
//! question drawn on a new message (a typed answer, a resume) takes the buttons off the old one.
//! A press on any other message is superseded: it changes nothing, and the message is edited to
//! show what was recorded for its question, so old buttons never look usable.

use super::{CitizenRenderer, Citizens, CitizensError, Done, Notice};
use crate::core::flow::{Flow, Lang};
use crate::core::prompt;
use crate::core::survey::{Answer, Button, SurveyState};
use crate::storage::{Session, StorageError};
use chrono::{DateTime, Utc};

/// Whether a press on `message` is superseded. The session keeps either the live message itself
/// (`"42"`: a press edited it into the live question) or, after a question was drawn on a new
/// message whose id is not known yet, the newest message before it (`">41"`: message ids grow
/// in a chat, so every message up to 41 is superseded and the first newer one is live). Nothing
/// known: nothing is superseded.
pub fn is_superseded(session: &Session, message: &str) -> bool {
    superseded(session.live_message_id.as_deref(), message)
}

/// [`is_superseded`] on what the session keeps.
fn superseded(live: Option<&str>, message: &str) -> bool {
    match live {
        None => false,
        Some(live) => match live.strip_prefix('>') {
            Some(floor) => match (floor.parse::<i64>(), message.parse::<i64>()) {
                (Ok(floor), Ok(message)) => message <= floor,
                _ => false,
            },
            None => live != message,
        },
    }
}

/// The live message itself, when the session knows it (its buttons can be taken off).
pub fn known(session: &Session) -> Option<&str> {
    session
        .live_message_id
        .as_deref()
        .filter(|live| !live.starts_with('>'))
}

/// What the session keeps after a question was drawn on a new message, `newest` being the
/// chat's newest message before it.
pub fn drawn_after(newest: Option<&str>) -> Option<String> {
    newest.map(|newest| format!(">{newest}"))
}

/// The button that gives `answer`, to name it with the flow's own label.
fn button_of(answer: &Answer) -> Option<Button> {
    Some(match answer {
        Answer::Scale(value) => Button::Scale(*value),
        Answer::Choice(id) => Button::Option(id.clone()),
        Answer::YesNo(true) => Button::Yes,
        Answer::YesNo(false) => Button::No,
        Answer::Skipped => Button::Skip,
        Answer::Choices(_) | Answer::Text(_) => return None,
    })
}

/// The text of what was recorded for `question`: the question, then the answer stored (labels
/// of a multiple choice joined, a typed text as typed); when nothing is, the question and a line
/// that sends the citizen to the newest message. The flag says whether an answer was recorded.
pub fn recorded_text(
    locales: &crate::core::i18n::Locales,
    lang: Lang,
    flow: &Flow,
    state: &SurveyState,
    question: &str,
) -> (String, bool) {
    let question_text = flow
        .question(question)
        .map_or(String::new(), |q| q.text.get(lang).to_string());
    let given = state.answers.iter().rev().find(|a| a.question == question);
    let label = given.and_then(|given| match &given.answer {
        Answer::Text(text) => Some(text.clone()),
        Answer::Choices(ids) => Some(
            ids.iter()
                .filter_map(|id| {
                    prompt::chosen_label(flow, lang, question, &Button::Option(id.clone()))
                })
                .collect::<Vec<_>>()
                .join(", "),
        ),
        other => button_of(other).and_then(|b| prompt::chosen_label(flow, lang, question, &b)),
    });
    match label {
        Some(answer) => (
            locales.text(
                lang,
                "tg-answered",
                &[("question", question_text), ("answer", answer)],
            ),
            true,
        ),
        None => (
            format!(
                "{question_text}\n\n{}",
                locales.text(lang, "citizen-superseded-open", &[])
            ),
            false,
        ),
    }
}

impl Citizens {
    /// Records that `message` shows the session's live question (`None`: not known).
    pub async fn set_live(
        &self,
        session: &Session,
        message: Option<&str>,
    ) -> Result<(), StorageError> {
        if session.live_message_id.as_deref() != message {
            self.db().set_live_message(session.id, message).await?;
        }
        Ok(())
    }

    /// A press on a superseded message (or on a question already answered): nothing is stored;
    /// the pressed message is edited to show what was recorded for `question`, and the press
    /// gets its notice.
    #[allow(clippy::too_many_arguments)]
    pub async fn superseded_press(
        &self,
        renderer: &dyn CitizenRenderer,
        chat: &str,
        inbound: &str,
        session: &Session,
        question: &str,
        message: &str,
        now: DateTime<Utc>,
    ) -> Result<Done, CitizensError> {
        let flow = self.conversations.flow(session.flow_version_id).await?;
        let (text, answered) =
            recorded_text(&self.locales, session.lang, &flow, &session.state, question);
        let mut outgoing: Vec<_> = renderer
            .replace_text(chat, message, text)
            .into_iter()
            .collect();
        let notice = if answered {
            Notice::StaleButton
        } else {
            Notice::MovedOn
        };
        let toast = Citizens::toast(renderer, chat, notice, &mut outgoing);
        let fresh = self
            .record(renderer.channel(), inbound, outgoing, now)
            .await?;
        Ok(Done {
            toast,
            duplicate: !fresh,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_live_message_or_the_first_newer_one_is_live() {
        assert!(!superseded(None, "7"));
        assert!(!superseded(Some("7"), "7"));
        assert!(superseded(Some("7"), "6"));
        assert!(superseded(Some("7"), "8"));
        // A question drawn on a new message after message 7: 8 and later are live.
        assert_eq!(drawn_after(Some("7")).as_deref(), Some(">7"));
        assert!(superseded(Some(">7"), "7"));
        assert!(superseded(Some(">7"), "3"));
        assert!(!superseded(Some(">7"), "8"));
        assert!(!superseded(Some(">7"), "not a number"));
        assert_eq!(drawn_after(None), None);
    }
}
