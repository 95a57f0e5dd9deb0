//! The survey engine: a pure state machine, `(flow, state, input) -> (new state, reply)`.
//!
//! It knows no channel, no database and no clock. Channels turn what a citizen did (a button, a
//! typed line) into an [`Input`], call [`step`], store the new [`SurveyState`] and render the
//! [`Reply`]. The state is plain serde data carrying its format version and the exact flow
//! version it runs on, so a survey in progress finishes on the questions it started with.

mod input;

pub use input::normalize;

use crate::core::flow::{Flow, Question, QuestionKind};
use serde::{Deserialize, Serialize};

/// The version of the serialized state's shape. Bump it (and teach [`SurveyState::upgrade`]) when
/// the shape changes, so stored states from older builds keep working.
pub const STATE_FORMAT: u32 = 1;

/// Where one citizen is in one survey.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SurveyState {
    pub format: u32,
    pub flow_id: String,
    pub flow_version: i64,
    /// The answers given, in the order asked. Going back pops the last one.
    pub answers: Vec<GivenAnswer>,
    /// Options picked with buttons on the current multiple-choice question, not yet confirmed.
    #[serde(default)]
    pub pending_choices: Vec<String>,
    pub finished: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GivenAnswer {
    pub question: String,
    pub answer: Answer,
}

/// One answer, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Answer {
    /// A level of the 5-level scale, 1 (Rất không hài lòng) to 5 (Rất hài lòng).
    Scale(u8),
    Choice(String),
    Choices(Vec<String>),
    YesNo(bool),
    Text(String),
    Skipped,
}

impl Answer {
    /// The values a condition can test: a scale digit, option ids, `yes`/`no`, `answered`, `skip`.
    pub fn condition_values(&self) -> Vec<String> {
        match self {
            Answer::Scale(value) => vec![value.to_string()],
            Answer::Choice(id) => vec![id.clone()],
            Answer::Choices(ids) => ids.clone(),
            Answer::YesNo(true) => vec!["yes".into()],
            Answer::YesNo(false) => vec!["no".into()],
            Answer::Text(_) => vec!["answered".into()],
            Answer::Skipped => vec!["skip".into()],
        }
    }

    /// A flat text form for exports: `5`, `capacity;digital`, `yes`, the text, or empty for a skip.
    pub fn export_value(&self) -> String {
        match self {
            Answer::Scale(value) => value.to_string(),
            Answer::Choice(id) => id.clone(),
            Answer::Choices(ids) => ids.join(";"),
            Answer::YesNo(true) => "yes".into(),
            Answer::YesNo(false) => "no".into(),
            Answer::Text(text) => text.clone(),
            Answer::Skipped => String::new(),
        }
    }

    /// The scale level, when this is a scale answer.
    pub fn scale(&self) -> Option<u8> {
        match self {
            Answer::Scale(value) => Some(*value),
            _ => None,
        }
    }
}

/// What a citizen did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Opened or resumed the survey: show the current question again.
    Start,
    /// Pressed a button that was shown with `question`.
    Button { question: String, button: Button },
    /// Typed a line.
    Text(String),
    /// Asked to go back one question.
    Back,
}

/// A button as channels encode it; see [`Button::encode`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Button {
    Scale(u8),
    Option(String),
    Yes,
    No,
    Skip,
    Done,
    Back,
}

impl Button {
    /// A short code for callback data: `5`, `o:capacity`, `y`, `n`, `skip`, `done`, `back`.
    pub fn encode(&self) -> String {
        match self {
            Button::Scale(value) => value.to_string(),
            Button::Option(id) => format!("o:{id}"),
            Button::Yes => "y".into(),
            Button::No => "n".into(),
            Button::Skip => "skip".into(),
            Button::Done => "done".into(),
            Button::Back => "back".into(),
        }
    }

    pub fn decode(code: &str) -> Option<Button> {
        Some(match code {
            "y" => Button::Yes,
            "n" => Button::No,
            "skip" => Button::Skip,
            "done" => Button::Done,
            "back" => Button::Back,
            _ => match code.strip_prefix("o:") {
                Some(id) if !id.is_empty() => Button::Option(id.to_string()),
                // One digit only: "+5" or "05" were never sent, so they are not ours.
                _ => match code.parse::<u8>() {
                    Ok(value @ 1..=5) if code.len() == 1 => Button::Scale(value),
                    _ => return None,
                },
            },
        })
    }
}

/// What the channel should tell the citizen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Ask `question`, with a hint when the last input was not understood.
    Ask {
        question: String,
        hint: Option<Hint>,
    },
    /// The last answer completed the survey.
    Finished,
    /// The survey was already complete; nothing changed.
    AlreadyFinished,
    /// A button of an earlier question was pressed; nothing changed.
    StaleButton { current: String },
}

/// Why the same question is asked again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hint {
    Unclear,
    TooLong { max: usize },
    TooManyChoices { max: usize },
    NothingSelected,
    NoPrevious,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub state: SurveyState,
    pub reply: Reply,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error("the survey state is for flow {state_flow} v{state_version}, not {flow} v{version}")]
    FlowMismatch {
        state_flow: String,
        state_version: i64,
        flow: String,
        version: i64,
    },
    #[error("the survey state has format {0}, newer than this program knows ({STATE_FORMAT})")]
    UnknownFormat(u32),
}

impl SurveyState {
    pub fn new(flow: &Flow) -> SurveyState {
        SurveyState {
            format: STATE_FORMAT,
            flow_id: flow.id.clone(),
            flow_version: flow.version,
            answers: Vec::new(),
            pending_choices: Vec::new(),
            finished: false,
        }
    }

    /// Reads a stored state, upgrading older formats.
    pub fn from_json(json: &str) -> Result<SurveyState, serde_json::Error> {
        serde_json::from_str::<SurveyState>(json).map(SurveyState::upgrade)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a survey state always serializes")
    }

    /// Brings a state of an older format up to [`STATE_FORMAT`]. Format 1 is the first.
    fn upgrade(self) -> SurveyState {
        self
    }

    pub fn answer(&self, question: &str) -> Option<&Answer> {
        self.answers
            .iter()
            .find(|given| given.question == question)
            .map(|given| &given.answer)
    }
}

/// Whether `question` is shown given the answers so far.
fn is_shown(question: &Question, state: &SurveyState) -> bool {
    match &question.show_if {
        None => true,
        Some(condition) => state.answer(&condition.question).is_some_and(|answer| {
            answer
                .condition_values()
                .iter()
                .any(|value| condition.any_of.contains(value))
        }),
    }
}

/// The question to ask now, or `None` when every shown question is answered.
pub fn current_question<'f>(flow: &'f Flow, state: &SurveyState) -> Option<&'f Question> {
    let start = match state.answers.last() {
        Some(last) => flow
            .question_index(&last.question)
            .map_or(0, |index| index + 1),
        None => 0,
    };
    flow.questions[start.min(flow.questions.len())..]
        .iter()
        .find(|question| is_shown(question, state))
}

/// `(position, total)` of the current question among those shown so far, e.g. `(3, 19)`.
/// Conditional questions count once their condition is met.
pub fn progress(flow: &Flow, state: &SurveyState) -> (usize, usize) {
    let total = flow
        .questions
        .iter()
        .filter(|question| is_shown(question, state))
        .count();
    ((state.answers.len() + 1).min(total.max(1)), total)
}

/// Advances the survey by one input.
pub fn step(flow: &Flow, state: &SurveyState, input: &Input) -> Result<Step, EngineError> {
    if state.format > STATE_FORMAT {
        return Err(EngineError::UnknownFormat(state.format));
    }
    if state.flow_id != flow.id || state.flow_version != flow.version {
        return Err(EngineError::FlowMismatch {
            state_flow: state.flow_id.clone(),
            state_version: state.flow_version,
            flow: flow.id.clone(),
            version: flow.version,
        });
    }
    let mut next = state.clone();
    let unchanged = |reply| Step {
        state: state.clone(),
        reply,
    };
    let Some(question) = current_question(flow, state).filter(|_| !state.finished) else {
        return Ok(unchanged(Reply::AlreadyFinished));
    };
    let ask_again = |hint| Reply::Ask {
        question: question.id.clone(),
        hint: Some(hint),
    };

    let action = match input {
        Input::Start => {
            return Ok(unchanged(Reply::Ask {
                question: question.id.clone(),
                hint: None,
            }));
        }
        Input::Back => Action::Back,
        Input::Button {
            question: pressed_on,
            button,
        } => {
            if pressed_on != &question.id {
                return Ok(unchanged(Reply::StaleButton {
                    current: question.id.clone(),
                }));
            }
            match input::from_button(question, button, &mut next.pending_choices) {
                Ok(action) => action,
                Err(hint) => {
                    return Ok(Step {
                        state: next,
                        reply: ask_again(hint),
                    });
                }
            }
        }
        Input::Text(text) => match input::from_text(flow, question, text, &next.pending_choices) {
            Ok(action) => action,
            Err(hint) => return Ok(unchanged(ask_again(hint))),
        },
    };

    match action {
        Action::Keep => Ok(Step {
            reply: Reply::Ask {
                question: question.id.clone(),
                hint: None,
            },
            state: next,
        }),
        Action::Back => {
            next.pending_choices.clear();
            if next.answers.pop().is_none() {
                return Ok(unchanged(ask_again(Hint::NoPrevious)));
            }
            let previous = current_question(flow, &next).expect("a popped question is askable");
            Ok(Step {
                reply: Reply::Ask {
                    question: previous.id.clone(),
                    hint: None,
                },
                state: next,
            })
        }
        Action::Answer(answer) => {
            next.pending_choices.clear();
            next.answers.push(GivenAnswer {
                question: question.id.clone(),
                answer,
            });
            let reply = match current_question(flow, &next) {
                Some(following) => Reply::Ask {
                    question: following.id.clone(),
                    hint: None,
                },
                None => {
                    next.finished = true;
                    Reply::Finished
                }
            };
            Ok(Step { state: next, reply })
        }
    }
}

/// What an input means for the current question.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Action {
    Answer(Answer),
    Back,
    /// A toggle on a multiple-choice question: same question, new selection.
    Keep,
}

/// The kinds' names used in exports and summaries.
pub fn kind_name(kind: &QuestionKind) -> &'static str {
    match kind {
        QuestionKind::Scale { .. } => "scale",
        QuestionKind::SingleChoice { .. } => "single_choice",
        QuestionKind::MultipleChoice { .. } => "multiple_choice",
        QuestionKind::YesNo => "yes_no",
        QuestionKind::Text { .. } => "text",
    }
}

#[cfg(test)]
mod tests;
