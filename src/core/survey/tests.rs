use super::*;
use crate::core::flow::Flow;

fn short_flow() -> Flow {
    Flow::from_toml(
        "sipas-short.toml",
        include_str!("../../../flows/sipas-short.toml"),
    )
    .unwrap()
}

fn full_flow() -> Flow {
    Flow::from_toml(
        "sipas-full.toml",
        include_str!("../../../flows/sipas-full.toml"),
    )
    .unwrap()
}

fn typed(flow: &Flow, state: &SurveyState, text: &str) -> Step {
    step(flow, state, &Input::Text(text.into())).unwrap()
}

fn asked(step: &Step) -> &str {
    match &step.reply {
        Reply::Ask { question, .. } => question,
        other => panic!("expected a question, got {other:?}"),
    }
}

#[test]
fn start_asks_the_first_question_and_changes_nothing() {
    let flow = short_flow();
    let state = SurveyState::new(&flow);
    let step = step(&flow, &state, &Input::Start).unwrap();
    assert_eq!(asked(&step), "access");
    assert_eq!(step.state, state);
}

#[test]
fn scale_accepts_digits_and_labels_in_any_case_with_or_without_diacritics() {
    let flow = short_flow();
    let state = SurveyState::new(&flow);
    for (text, level) in [
        ("4", 4),
        (" 5 ", 5),
        ("hai long", 4),
        ("Hài lòng", 4),
        ("RẤT HÀI LÒNG", 5),
        ("rat khong hai long", 1),
        ("Không hài lòng.", 2),
        ("binh thuong", 3),
        ("Very satisfied", 5),
    ] {
        let step = typed(&flow, &state, text);
        assert_eq!(
            step.state.answer("access"),
            Some(&Answer::Scale(level)),
            "typed {text:?}"
        );
        assert_eq!(asked(&step), "procedures");
    }
}

#[test]
fn skip_is_accepted_typed_with_or_without_diacritics() {
    let flow = short_flow();
    let state = SurveyState::new(&flow);
    for text in ["bỏ qua", "bo qua", "BỎ QUA"] {
        let step = typed(&flow, &state, text);
        assert_eq!(step.state.answer("access"), Some(&Answer::Skipped));
    }
}

#[test]
fn unclear_input_gets_a_hint_and_the_same_question() {
    let flow = short_flow();
    let state = SurveyState::new(&flow);
    for text in ["6", "0", "hài", "có lẽ", ""] {
        let step = typed(&flow, &state, text);
        assert_eq!(
            step.reply,
            Reply::Ask {
                question: "access".into(),
                hint: Some(Hint::Unclear)
            },
            "typed {text:?}"
        );
        assert_eq!(step.state, state);
    }
}

#[test]
fn conditional_questions_follow_the_earlier_answer() {
    let flow = short_flow();
    let mut state = SurveyState::new(&flow);
    for answer in ["5", "4", "4", "5"] {
        state = typed(&flow, &state, answer).state;
    }
    let without = typed(&flow, &state, "không");
    assert_eq!(asked(&without), "overall", "no feedback: PAKN skipped");
    let with = typed(&flow, &state, "có");
    assert_eq!(asked(&with), "feedback");
}

#[test]
fn back_returns_to_the_previous_question_and_allows_a_change() {
    let flow = short_flow();
    let state = SurveyState::new(&flow);
    let first = typed(&flow, &state, "2");
    let back = step(&flow, &first.state, &Input::Back).unwrap();
    assert_eq!(asked(&back), "access");
    assert_eq!(back.state.answer("access"), None);
    let changed = typed(&flow, &back.state, "5");
    assert_eq!(changed.state.answer("access"), Some(&Answer::Scale(5)));
    let typed_back = typed(&flow, &changed.state, "quay lại");
    assert_eq!(asked(&typed_back), "access");
}

#[test]
fn back_on_the_first_question_says_there_is_nothing_before() {
    let flow = short_flow();
    let state = SurveyState::new(&flow);
    let step = step(&flow, &state, &Input::Back).unwrap();
    assert_eq!(
        step.reply,
        Reply::Ask {
            question: "access".into(),
            hint: Some(Hint::NoPrevious)
        }
    );
}

#[test]
fn a_full_survey_finishes_and_then_stays_finished() {
    let flow = short_flow();
    let mut state = SurveyState::new(&flow);
    for answer in ["5", "4", "3", "5", "co", "2", "4"] {
        state = typed(&flow, &state, answer).state;
    }
    let last = typed(&flow, &state, "Cán bộ rất nhiệt tình.");
    assert_eq!(last.reply, Reply::Finished);
    assert!(last.state.finished);
    assert_eq!(
        last.state.answer("comment"),
        Some(&Answer::Text("Cán bộ rất nhiệt tình.".into()))
    );
    let again = typed(&flow, &last.state, "5");
    assert_eq!(again.reply, Reply::AlreadyFinished);
    assert_eq!(again.state, last.state);
}

#[test]
fn text_longer_than_the_cap_is_refused_with_the_cap() {
    let flow = short_flow();
    let mut state = SurveyState::new(&flow);
    for answer in ["5", "4", "3", "5", "không", "4"] {
        state = typed(&flow, &state, answer).state;
    }
    let long = "a".repeat(501);
    let step = typed(&flow, &state, &long);
    assert_eq!(
        step.reply,
        Reply::Ask {
            question: "comment".into(),
            hint: Some(Hint::TooLong { max: 500 })
        }
    );
}

#[test]
fn buttons_answer_and_stale_buttons_change_nothing() {
    let flow = short_flow();
    let state = SurveyState::new(&flow);
    let press = |state: &SurveyState, question: &str, button: Button| {
        step(
            &flow,
            state,
            &Input::Button {
                question: question.into(),
                button,
            },
        )
        .unwrap()
    };
    let first = press(&state, "access", Button::Scale(4));
    assert_eq!(first.state.answer("access"), Some(&Answer::Scale(4)));
    let stale = press(&first.state, "access", Button::Scale(1));
    assert_eq!(
        stale.reply,
        Reply::StaleButton {
            current: "procedures".into()
        }
    );
    assert_eq!(stale.state, first.state);
    let wrong_kind = press(&first.state, "procedures", Button::Yes);
    assert_eq!(
        wrong_kind.reply,
        Reply::Ask {
            question: "procedures".into(),
            hint: Some(Hint::Unclear)
        }
    );
}

#[test]
fn button_codes_round_trip() {
    for button in [
        Button::Scale(1),
        Button::Scale(5),
        Button::Option("digital".into()),
        Button::Yes,
        Button::No,
        Button::Skip,
        Button::Done,
        Button::Back,
    ] {
        assert_eq!(Button::decode(&button.encode()), Some(button));
    }
    assert_eq!(Button::decode("6"), None);
    assert_eq!(Button::decode("o:"), None);
}

#[test]
fn a_state_for_another_flow_version_is_refused() {
    let flow = short_flow();
    let mut state = SurveyState::new(&flow);
    state.flow_version = flow.version + 1;
    assert!(matches!(
        step(&flow, &state, &Input::Start),
        Err(EngineError::FlowMismatch { .. })
    ));
}

#[test]
fn state_round_trips_through_json() {
    let flow = short_flow();
    let state = typed(&flow, &SurveyState::new(&flow), "4").state;
    assert_eq!(SurveyState::from_json(&state.to_json()).unwrap(), state);
}

/// Walks the full flow to the expectations question.
fn at_expectations(flow: &Flow) -> SurveyState {
    let mut state = SurveyState::new(flow);
    while current_question(flow, &state).map(|q| q.id.as_str()) != Some("expectations") {
        let question = current_question(flow, &state).unwrap();
        let answer = if question.id == "gave_feedback" {
            "không"
        } else {
            "4"
        };
        state = typed(flow, &state, answer).state;
    }
    state
}

#[test]
fn multiple_choice_by_typed_numbers_respects_the_maximum() {
    let flow = full_flow();
    let state = at_expectations(&flow);
    let ok = typed(&flow, &state, "3, 1");
    let ids = match ok.state.answer("expectations") {
        Some(Answer::Choices(ids)) => ids.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(ids.len(), 2);
    let too_many = typed(&flow, &state, "1 2 3 4");
    assert_eq!(
        too_many.reply,
        Reply::Ask {
            question: "expectations".into(),
            hint: Some(Hint::TooManyChoices { max: 3 })
        }
    );
}

#[test]
fn multiple_choice_by_buttons_toggles_then_done() {
    let flow = full_flow();
    let state = at_expectations(&flow);
    let options: Vec<String> = flow
        .question("expectations")
        .unwrap()
        .options()
        .iter()
        .map(|o| o.id.clone())
        .collect();
    let press = |state: &SurveyState, button: Button| {
        step(
            &flow,
            state,
            &Input::Button {
                question: "expectations".into(),
                button,
            },
        )
        .unwrap()
    };
    let none = press(&state, Button::Done);
    assert_eq!(
        none.reply,
        Reply::Ask {
            question: "expectations".into(),
            hint: Some(Hint::NothingSelected)
        }
    );
    let mut current = state;
    for id in &options[..3] {
        current = press(&current, Button::Option(id.clone())).state;
    }
    let fourth = press(&current, Button::Option(options[3].clone()));
    assert_eq!(
        fourth.reply,
        Reply::Ask {
            question: "expectations".into(),
            hint: Some(Hint::TooManyChoices { max: 3 })
        }
    );
    let untoggled = press(&current, Button::Option(options[0].clone())).state;
    assert_eq!(untoggled.pending_choices, options[1..3].to_vec());
    let done = press(&untoggled, Button::Done);
    assert_eq!(
        done.state.answer("expectations"),
        Some(&Answer::Choices(options[1..3].to_vec()))
    );
    assert!(done.state.pending_choices.is_empty());
}

#[test]
fn progress_counts_conditional_questions_once_shown() {
    let flow = short_flow();
    let state = SurveyState::new(&flow);
    assert_eq!(progress(&flow, &state), (1, 7));
    let mut state = state;
    for answer in ["5", "4", "3", "5", "có"] {
        state = typed(&flow, &state, answer).state;
    }
    assert_eq!(progress(&flow, &state), (6, 8));
}

#[test]
fn normalize_strips_diacritics_case_and_punctuation() {
    assert_eq!(normalize("  RẤT   Hài lòng!! "), "rat hai long");
    assert_eq!(normalize("Đồng ý"), "dong y");
}
