//! Turns the engine's replies into channel-neutral prompts: a text and rows of buttons, with the
//! words from the flow and the locale. Telegram shows the buttons as an inline keyboard; the
//! terminal shows them numbered with the key to type.

use crate::core::flow::{Flow, Lang, QuestionKind};
use crate::core::i18n::{self, Locales};
use crate::core::survey::{self, Button, Hint, SurveyState};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub text: String,
    pub buttons: Vec<Vec<PromptButton>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptButton {
    pub label: String,
    /// Callback data for chat buttons: see [`callback_data`].
    pub data: String,
    /// What to type instead of pressing, in a channel without buttons.
    pub key: String,
}

/// Callback data of a survey button: `a|<question id>|<button code>` (at most 64 bytes for
/// Telegram, so question and option ids are kept short).
pub fn callback_data(question: &str, button: &Button) -> String {
    format!("a|{question}|{}", button.encode())
}

/// Reads callback data written by [`callback_data`].
pub fn parse_callback(data: &str) -> Option<(String, Button)> {
    let mut parts = data.splitn(3, '|');
    if parts.next()? != "a" {
        return None;
    }
    let question = parts.next()?.to_string();
    let button = Button::decode(parts.next()?)?;
    Some((question, button))
}

/// The current question of `state` as a prompt, or `None` when the survey is finished.
pub fn question(locales: &Locales, lang: Lang, flow: &Flow, state: &SurveyState) -> Option<Prompt> {
    let question = survey::current_question(flow, state).filter(|_| !state.finished)?;
    let (position, total) = survey::progress(flow, state);
    Some(question_prompt(
        locales,
        lang,
        flow,
        question,
        (position, total),
        &state.pending_choices,
        !state.answers.is_empty(),
    ))
}

/// One question as a citizen sees it at `position` of `total` (also the admin preview).
pub fn question_prompt(
    locales: &Locales,
    lang: Lang,
    flow: &Flow,
    question: &crate::core::flow::Question,
    (position, total): (usize, usize),
    picked: &[String],
    can_go_back: bool,
) -> Prompt {
    let mut text = locales.text(
        lang,
        "survey-question-header",
        &[
            ("position", i18n::integer(position as i64, lang)),
            ("total", i18n::integer(total as i64, lang)),
        ],
    );
    text.push('\n');
    text.push_str(question.text.get(lang));
    let id = question.id.as_str();
    let button = |label: &str, button: Button, key: String| PromptButton {
        label: label.to_string(),
        data: callback_data(id, &button),
        key,
    };
    let mut rows: Vec<Vec<PromptButton>> = Vec::new();
    match &question.kind {
        QuestionKind::Scale { .. } => {
            for level in flow.scale_descending() {
                rows.push(vec![button(
                    level.text.get(lang),
                    Button::Scale(level.value),
                    level.value.to_string(),
                )]);
            }
        }
        QuestionKind::YesNo => rows.push(vec![
            button(flow.labels.yes.get(lang), Button::Yes, "1".into()),
            button(flow.labels.no.get(lang), Button::No, "2".into()),
        ]),
        QuestionKind::SingleChoice { options } => {
            for (index, option) in options.iter().enumerate() {
                rows.push(vec![button(
                    option.text.get(lang),
                    Button::Option(option.id.clone()),
                    (index + 1).to_string(),
                )]);
            }
        }
        QuestionKind::MultipleChoice {
            options,
            max_choices,
        } => {
            text.push('\n');
            text.push_str(&locales.text(
                lang,
                "survey-multiple-choice-help",
                &[
                    ("max", i18n::integer(*max_choices as i64, lang)),
                    ("done", flow.labels.done.get(lang).to_string()),
                ],
            ));
            for (index, option) in options.iter().enumerate() {
                let label = if picked.contains(&option.id) {
                    locales.text(
                        lang,
                        "survey-option-picked",
                        &[("option", option.text.get(lang).to_string())],
                    )
                } else {
                    option.text.get(lang).to_string()
                };
                rows.push(vec![button(
                    &label,
                    Button::Option(option.id.clone()),
                    (index + 1).to_string(),
                )]);
            }
            let done = flow.labels.done.get(lang);
            rows.push(vec![button(done, Button::Done, done.to_string())]);
        }
        QuestionKind::Text { max_length } => {
            text.push('\n');
            text.push_str(&locales.text(
                lang,
                "survey-text-help",
                &[
                    ("max", i18n::integer(*max_length as i64, lang)),
                    ("skip", flow.labels.skip.get(lang).to_string()),
                ],
            ));
        }
    }
    let mut last_row = Vec::new();
    if can_go_back {
        let back = flow.labels.back.get(lang);
        last_row.push(button(back, Button::Back, back.to_string()));
    }
    let skip = flow.labels.skip.get(lang);
    last_row.push(button(skip, Button::Skip, skip.to_string()));
    rows.push(last_row);
    Prompt {
        text,
        buttons: rows,
    }
}

/// The sentence that explains why the same question is asked again.
pub fn hint(locales: &Locales, lang: Lang, flow: &Flow, hint: &Hint) -> String {
    match hint {
        Hint::Unclear => locales.text(
            lang,
            "hint-unclear",
            &[("skip", flow.labels.skip.get(lang).to_string())],
        ),
        Hint::TooLong { max } => locales.text(
            lang,
            "hint-too-long",
            &[("max", i18n::integer(*max as i64, lang))],
        ),
        Hint::TooManyChoices { max } => locales.text(
            lang,
            "hint-too-many-choices",
            &[("max", i18n::integer(*max as i64, lang))],
        ),
        Hint::NothingSelected => locales.text(
            lang,
            "hint-nothing-selected",
            &[("done", flow.labels.done.get(lang).to_string())],
        ),
        Hint::NoPrevious => locales.text(lang, "hint-no-previous", &[]),
    }
}

/// The label of the answer a button gives, to mark it on the old message ("Đã chọn: Hài lòng").
pub fn chosen_label(flow: &Flow, lang: Lang, question_id: &str, button: &Button) -> Option<String> {
    let question = flow.question(question_id)?;
    Some(match button {
        Button::Scale(value) => flow.scale_label(*value)?.get(lang).to_string(),
        Button::Yes => flow.labels.yes.get(lang).to_string(),
        Button::No => flow.labels.no.get(lang).to_string(),
        Button::Skip => flow.labels.skip.get(lang).to_string(),
        Button::Back => flow.labels.back.get(lang).to_string(),
        Button::Done => flow.labels.done.get(lang).to_string(),
        Button::Option(id) => question
            .options()
            .iter()
            .find(|option| &option.id == id)?
            .text
            .get(lang)
            .to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow() -> Flow {
        Flow::from_toml("short", include_str!("../../flows/sipas-short.toml")).unwrap()
    }

    #[test]
    fn scale_question_shows_the_official_labels_best_first_and_skip() {
        let locales = Locales::load();
        let flow = flow();
        let prompt = question(&locales, Lang::Vi, &flow, &SurveyState::new(&flow)).unwrap();
        assert!(prompt.text.starts_with("Câu 1/7\n"), "{}", prompt.text);
        let labels: Vec<&str> = prompt
            .buttons
            .iter()
            .flatten()
            .map(|b| b.label.as_str())
            .collect();
        assert_eq!(
            labels,
            [
                "Rất hài lòng",
                "Hài lòng",
                "Bình thường",
                "Không hài lòng",
                "Rất không hài lòng",
                "Bỏ qua"
            ]
        );
        assert_eq!(prompt.buttons[0][0].data, "a|access|5");
        assert_eq!(prompt.buttons[0][0].key, "5");
    }

    #[test]
    fn callback_data_round_trips_and_fits_telegram() {
        let data = callback_data("expectations", &Button::Option("feedback_handling".into()));
        assert!(data.len() <= 64);
        assert_eq!(
            parse_callback(&data),
            Some((
                "expectations".into(),
                Button::Option("feedback_handling".into())
            ))
        );
        assert_eq!(parse_callback("x|a|5"), None);
        assert_eq!(parse_callback("a|q|9"), None);
    }
}
