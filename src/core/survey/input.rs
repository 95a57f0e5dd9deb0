//! Reading what a citizen typed or pressed against the current question.
//!
//! Typed words are compared after [`normalize`]: lower case, diacritics removed, punctuation
//! dropped, so "RẤT HÀI LÒNG", "rat hai long" and "Rất hài lòng." all read the same.

use super::{Action, Answer, Button, Hint};
use crate::core::flow::{Flow, Question, QuestionKind, Text};

/// Lower case, no diacritics (đ → d), letters and digits only, single spaces.
pub fn normalize(text: &str) -> String {
    let plain = deunicode::deunicode(text).to_lowercase();
    plain
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn matches(text: &Text, typed: &str) -> bool {
    text.variants().any(|variant| normalize(variant) == typed)
}

pub(super) fn from_button(
    question: &Question,
    button: &Button,
    pending: &mut Vec<String>,
) -> Result<Action, Hint> {
    let answer = match (&question.kind, button) {
        (_, Button::Skip) => Answer::Skipped,
        (_, Button::Back) => return Ok(Action::Back),
        (QuestionKind::Scale { .. }, Button::Scale(value)) if (1..=5).contains(value) => {
            Answer::Scale(*value)
        }
        (QuestionKind::YesNo, Button::Yes) => Answer::YesNo(true),
        (QuestionKind::YesNo, Button::No) => Answer::YesNo(false),
        (QuestionKind::SingleChoice { options }, Button::Option(id))
            if options.iter().any(|o| &o.id == id) =>
        {
            Answer::Choice(id.clone())
        }
        (
            QuestionKind::MultipleChoice {
                options,
                max_choices,
            },
            Button::Option(id),
        ) if options.iter().any(|o| &o.id == id) => {
            if let Some(at) = pending.iter().position(|picked| picked == id) {
                pending.remove(at);
            } else if pending.len() >= *max_choices {
                return Err(Hint::TooManyChoices { max: *max_choices });
            } else {
                pending.push(id.clone());
            }
            return Ok(Action::Keep);
        }
        (QuestionKind::MultipleChoice { options, .. }, Button::Done) => {
            if pending.is_empty() {
                return Err(Hint::NothingSelected);
            }
            Answer::Choices(in_option_order(options, pending))
        }
        _ => return Err(Hint::Unclear),
    };
    Ok(Action::Answer(answer))
}

pub(super) fn from_text(
    flow: &Flow,
    question: &Question,
    typed: &str,
    pending: &[String],
) -> Result<Action, Hint> {
    let raw = typed.trim();
    let word = normalize(raw);
    if matches(&flow.labels.skip, &word) {
        return Ok(Action::Answer(Answer::Skipped));
    }
    if matches(&flow.labels.back, &word) {
        return Ok(Action::Back);
    }
    let answer = match &question.kind {
        QuestionKind::Scale { .. } => {
            let level = match word.parse::<u8>() {
                Ok(value @ 1..=5) => Some(value),
                _ => flow
                    .scale
                    .iter()
                    .find(|level| matches(&level.text, &word))
                    .map(|level| level.value),
            };
            Answer::Scale(level.ok_or(Hint::Unclear)?)
        }
        QuestionKind::YesNo => {
            if word == "1" || matches(&flow.labels.yes, &word) {
                Answer::YesNo(true)
            } else if word == "2" || matches(&flow.labels.no, &word) {
                Answer::YesNo(false)
            } else {
                return Err(Hint::Unclear);
            }
        }
        QuestionKind::SingleChoice { options } => {
            let index = pick_one(options, &word).ok_or(Hint::Unclear)?;
            Answer::Choice(options[index].id.clone())
        }
        QuestionKind::MultipleChoice {
            options,
            max_choices,
        } => {
            if matches(&flow.labels.done, &word) {
                if pending.is_empty() {
                    return Err(Hint::NothingSelected);
                }
                return Ok(Action::Answer(Answer::Choices(in_option_order(
                    options, pending,
                ))));
            }
            let picked = pick_many(options, &word).ok_or(Hint::Unclear)?;
            if picked.len() > *max_choices {
                return Err(Hint::TooManyChoices { max: *max_choices });
            }
            Answer::Choices(in_option_order(options, &picked))
        }
        QuestionKind::Text { max_length } => {
            if raw.is_empty() {
                return Err(Hint::Unclear);
            }
            if raw.chars().count() > *max_length {
                return Err(Hint::TooLong { max: *max_length });
            }
            Answer::Text(raw.to_string())
        }
    };
    Ok(Action::Answer(answer))
}

/// An option by its number (1-based, as shown) or by its text.
fn pick_one(options: &[crate::core::flow::Choice], word: &str) -> Option<usize> {
    if let Ok(number) = word.parse::<usize>() {
        return (1..=options.len()).contains(&number).then(|| number - 1);
    }
    options
        .iter()
        .position(|option| matches(&option.text, word))
}

/// Several options by number ("1, 3", "1 3", "1 va 3"), or one by its text.
fn pick_many(options: &[crate::core::flow::Choice], word: &str) -> Option<Vec<String>> {
    if let Some(index) = options
        .iter()
        .position(|option| matches(&option.text, word))
    {
        return Some(vec![options[index].id.clone()]);
    }
    let mut picked: Vec<String> = Vec::new();
    for part in word
        .split(' ')
        .filter(|part| *part != "va" && *part != "and")
    {
        let index = pick_one(options, part)?;
        let id = &options[index].id;
        if !picked.contains(id) {
            picked.push(id.clone());
        }
    }
    (!picked.is_empty()).then_some(picked)
}

fn in_option_order(options: &[crate::core::flow::Choice], picked: &[String]) -> Vec<String> {
    options
        .iter()
        .filter(|option| picked.contains(&option.id))
        .map(|option| option.id.clone())
        .collect()
}
