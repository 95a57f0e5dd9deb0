//! The terminal channel (`sipas-bot chat`): a person types answers, or a script pipes them one per
//! line. Buttons are shown numbered with the key to type. Answers are stored exactly as a chat
//! channel stores them, through [`Conversations`].

use crate::core::flow::{Flow, Lang};
use crate::core::i18n::Locales;
use crate::core::prompt;
use crate::core::survey::{Input, Reply, SurveyState};
use crate::services::citizens::dossier;
use crate::services::conversation::{ConversationError, Conversations, Opened};
use chrono::{DateTime, Utc};
use std::io::Write;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// The channel name stored with sessions and responses.
pub const CHANNEL: &str = "console";

/// How the conversation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Completed,
    /// Input ended (or the citizen left) before the last question: the link resumes it.
    Paused,
}

/// Runs one survey in the terminal until it is complete or the input ends.
pub async fn run<R, W>(
    conversations: &Conversations,
    locales: &Locales,
    opened: Opened,
    input: R,
    output: &mut W,
    echo: bool,
    clock: impl Fn() -> DateTime<Utc>,
) -> Result<Ending, ConversationError>
where
    R: AsyncBufRead + Unpin,
    W: Write,
{
    let lang = opened.session.lang;
    let flow = opened.flow.clone();
    let invitation = &opened.invitation;
    let mut say = |text: String| {
        // A closed terminal must not lose the answers already stored: ignore write errors.
        let _ = writeln!(output, "{text}\n");
        let _ = output.flush();
    };
    say(dossier::dossier_line(locales, lang, invitation));
    if opened.resumed {
        say(locales.text(lang, "survey-resumed", &[]));
    } else {
        say(flow.intro.get(lang).to_string());
    }
    say(question_text(locales, lang, &flow, &opened.session.state));

    let mut session = opened.session;
    let mut lines = input.lines();
    loop {
        let line = match lines.next_line().await {
            Ok(Some(line)) => line,
            Ok(None) | Err(_) => {
                conversations.pause(&session, clock()).await?;
                say(locales.text(lang, "chat-paused", &[("token", session.token.clone())]));
                return Ok(Ending::Paused);
            }
        };
        if echo {
            say(format!("> {line}"));
        }
        let turn = conversations
            .input(&session, &Input::Text(line), clock())
            .await?;
        session = turn.session;
        match &turn.reply {
            Reply::Ask { hint, .. } => {
                if let Some(hint) = hint {
                    say(prompt::hint(locales, lang, &flow, hint));
                }
                say(question_text(locales, lang, &flow, &session.state));
            }
            Reply::Finished | Reply::AlreadyFinished => {
                say(flow.outro.get(lang).to_string());
                return Ok(Ending::Completed);
            }
            Reply::StaleButton { .. } => say(question_text(locales, lang, &flow, &session.state)),
        }
    }
}

/// The current question with its choices numbered: `[5] Rất hài lòng`.
fn question_text(locales: &Locales, lang: Lang, flow: &Flow, state: &SurveyState) -> String {
    let Some(prompt) = prompt::question(locales, lang, flow, state) else {
        return flow.outro.get(lang).to_string();
    };
    let mut text = prompt.text;
    for button in prompt.buttons.iter().flatten() {
        if button.key == button.label {
            text.push_str(&format!("\n  [{}]", button.label));
        } else {
            text.push_str(&format!("\n  [{}] {}", button.key, button.label));
        }
    }
    text
}
