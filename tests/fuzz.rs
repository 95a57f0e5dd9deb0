//! Property tests over every parser that reads outside input: flow files, Telegram callback data,
//! typed answers, intake JSON, agency CSV and the Zalo webhook body (with Zalo's button payloads
//! and phone numbers). Each target checks that nothing panics and, where
//! there is one, a property that must hold for every input.
//!
//! The suite runs proptest's default 256 cases per test. The fuzzing run of README "Fuzzing"
//! raises it: `PROPTEST_CASES=1000000 cargo test --release --test fuzz`.

use proptest::prelude::*;
use proptest::sample::Index;
use sipas_bot::channels::telegram::messages::parse_invitation_data;
use sipas_bot::core::flow::{self, Flow, Question, QuestionKind};
use sipas_bot::core::prompt::{callback_data, parse_callback};
use sipas_bot::core::survey::{self, Answer, Button, Input, Reply, SurveyState};
use sipas_bot::services::admin::import::parse_agencies;
use sipas_bot::services::intake::{NoticeError, parse_notice};
use std::sync::LazyLock;

// ---------------------------------------------------------------- flow files

/// Pieces of flow syntax, so that mutations reach the validator and not only the TOML parser.
const FLOW_FRAGMENTS: &[&str] = &[
    "\"",
    "'",
    "[",
    "]",
    "{",
    "}",
    "=",
    ",",
    "\n",
    "#",
    "\"\"\"",
    "1e400",
    "-9223372036854775808",
    "[[questions]]\nid = \"q\"\nkind = \"scale\"\nfactor = \"access\"\ntext = { vi = \"Câu?\" }\n",
    "[[questions]]\nid = \"s\"\nkind = \"single_choice\"\ntext = { vi = \"Chọn\" }\noptions = []\n",
    "[[questions.options]]\nid = \"A b\"\ntext = { vi = \"x\" }\n",
    "[[questions.options]]\nid = \"nhanh\"\ntext = { vi = \"\" }\n",
    "id = \"x\\\"><script>\"\n",
    "id = \"\"\n",
    "kind = \"text\"\n",
    "kind = \"multiple_choice\"\n",
    "max_length = 0\n",
    "max_choices = 99\n",
    "version = -1\n",
    "factor = \"nope\"\n",
    "show_if = { question = \"access\", any_of = [\"9\"] }\n",
    "show_if = { question = \"comment\", any_of = [\"answered\"] }\n",
    "alert_if = [\"yes\", \"maybe\"]\n",
    "contact_question = \"access\"\n",
    "[[scale]]\nvalue = 9\ntext = { vi = \"\" }\n",
    "[[factors]]\nid = \"access\"\nname = { vi = \"Trùng\" }\n",
];

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(FLOW_FRAGMENTS).prop_map(str::to_string),
        1 => "\\PC{0,12}",
    ]
}

/// A shipped flow file with a few characters cut out and a few fragments put in.
fn mutated_flow_source() -> impl Strategy<Value = String> {
    let sources: Vec<&'static str> = flow::BUILTIN.iter().map(|(_, source)| *source).collect();
    (
        prop::sample::select(sources),
        prop::collection::vec((any::<Index>(), 0..24usize, fragment()), 1..5),
    )
        .prop_map(|(source, edits)| {
            let mut chars: Vec<char> = source.chars().collect();
            for (at, cut, insert) in edits {
                let at = at.index(chars.len() + 1);
                let end = (at + cut).min(chars.len());
                chars.splice(at..end, insert.chars());
            }
            chars.into_iter().collect()
        })
}

/// What must hold for any flow that parsed: validation does not panic, the flow survives a trip
/// through TOML, and a flow without problems has ids that are safe in pages and callback data.
fn check_parsed_flow(flow: &Flow) -> Result<(), TestCaseError> {
    let problems = flow::validate("fuzz.toml", flow);
    let again = Flow::from_toml("again.toml", &flow.to_toml());
    prop_assert_eq!(
        again.as_ref().ok(),
        Some(flow),
        "{:?}",
        again.as_ref().err()
    );
    if problems.is_empty() {
        prop_assert!(flow::flow_id_is_valid(&flow.id));
        for question in &flow.questions {
            prop_assert!(flow::question_id_is_valid(&question.id));
            for option in question.options() {
                let data = callback_data(&question.id, &Button::Option(option.id.clone()));
                prop_assert!(data.len() <= 64, "{data}");
            }
        }
    }
    Ok(())
}

/// One change to a parsed flow, of the kinds an editor in the console can make.
#[derive(Debug, Clone)]
enum FlowEdit {
    QuestionId(Index, String),
    OptionId(Index, Index, String),
    ShowIf(Index, Index, Vec<String>),
    AlertIf(Index, Vec<String>),
    MaxChoices(Index, usize),
    MaxLength(Index, usize),
    Factor(Index, String),
    Remove(Index),
    Duplicate(Index),
    Version(i64),
    FlowId(String),
}

fn an_id() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9_]{0,40}",
        prop::sample::select(vec![
            "access",
            "overall",
            "comment",
            "gave_feedback",
            "capacity"
        ])
        .prop_map(str::to_string),
        "\\PC{0,12}",
    ]
}

fn a_value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "1", "5", "9", "yes", "no", "skip", "answered", "capacity"
        ])
        .prop_map(str::to_string),
        "\\PC{0,6}",
    ]
}

fn flow_edit() -> impl Strategy<Value = FlowEdit> {
    let index = any::<Index>;
    prop_oneof![
        (index(), an_id()).prop_map(|(q, id)| FlowEdit::QuestionId(q, id)),
        (index(), index(), an_id()).prop_map(|(q, o, id)| FlowEdit::OptionId(q, o, id)),
        (index(), index(), prop::collection::vec(a_value(), 0..3))
            .prop_map(|(q, t, v)| FlowEdit::ShowIf(q, t, v)),
        (index(), prop::collection::vec(a_value(), 0..3))
            .prop_map(|(q, v)| FlowEdit::AlertIf(q, v)),
        (index(), 0..12usize).prop_map(|(q, n)| FlowEdit::MaxChoices(q, n)),
        (index(), 0..3usize).prop_map(|(q, n)| FlowEdit::MaxLength(q, n)),
        (index(), an_id()).prop_map(|(q, f)| FlowEdit::Factor(q, f)),
        index().prop_map(FlowEdit::Remove),
        index().prop_map(FlowEdit::Duplicate),
        (-2i64..3).prop_map(FlowEdit::Version),
        prop_oneof!["[a-z][a-z0-9_.-]{0,70}", "\\PC{0,10}"].prop_map(FlowEdit::FlowId),
    ]
}

fn apply(flow: &mut Flow, edit: FlowEdit) {
    let count = flow.questions.len();
    if count == 0 {
        return;
    }
    match edit {
        FlowEdit::QuestionId(q, id) => flow.questions[q.index(count)].id = id,
        FlowEdit::OptionId(q, o, id) => {
            if let QuestionKind::SingleChoice { options }
            | QuestionKind::MultipleChoice { options, .. } =
                &mut flow.questions[q.index(count)].kind
                && !options.is_empty()
            {
                let at = o.index(options.len());
                options[at].id = id;
            }
        }
        FlowEdit::ShowIf(q, target, any_of) => {
            let question = flow.questions[target.index(count)].id.clone();
            flow.questions[q.index(count)].show_if = Some(flow::Condition { question, any_of });
        }
        FlowEdit::AlertIf(q, values) => flow.questions[q.index(count)].alert_if = values,
        FlowEdit::MaxChoices(q, n) => {
            if let QuestionKind::MultipleChoice { max_choices, .. } =
                &mut flow.questions[q.index(count)].kind
            {
                *max_choices = n;
            }
        }
        FlowEdit::MaxLength(q, n) => {
            if let QuestionKind::Text { max_length } = &mut flow.questions[q.index(count)].kind {
                *max_length = n;
            }
        }
        FlowEdit::Factor(q, id) => {
            if let QuestionKind::Scale { factor } = &mut flow.questions[q.index(count)].kind {
                *factor = id;
            }
        }
        FlowEdit::Remove(q) => {
            flow.questions.remove(q.index(count));
        }
        FlowEdit::Duplicate(q) => {
            let copy = flow.questions[q.index(count)].clone();
            flow.questions.push(copy);
        }
        FlowEdit::Version(version) => flow.version = version,
        FlowEdit::FlowId(id) => flow.id = id,
    }
}

proptest! {
    #[test]
    fn flow_file_validator_takes_edited_flows(
        which in any::<Index>(),
        edits in prop::collection::vec(flow_edit(), 1..6),
    ) {
        let mut flow = which.get(&flow::builtin()).clone();
        for edit in edits {
            apply(&mut flow, edit);
        }
        check_parsed_flow(&flow)?;
    }
}

proptest! {
    #[test]
    fn flow_file_parser_takes_any_text(text in "\\PC{0,300}") {
        if let Ok(flow) = Flow::from_toml("fuzz.toml", &text) {
            check_parsed_flow(&flow)?;
        }
    }

    #[test]
    fn flow_file_parser_and_validator_take_mutated_flows(text in mutated_flow_source()) {
        if let Ok(flow) = Flow::from_toml("fuzz.toml", &text) {
            check_parsed_flow(&flow)?;
        }
    }
}

// ---------------------------------------------------------------- callback data

fn button() -> impl Strategy<Value = Button> {
    prop_oneof![
        (1u8..=5).prop_map(Button::Scale),
        "[a-z][a-z0-9_]{0,23}".prop_map(Button::Option),
        Just(Button::Yes),
        Just(Button::No),
        Just(Button::Skip),
        Just(Button::Done),
        Just(Button::Back),
    ]
}

proptest! {
    #[test]
    fn callback_decoder_takes_any_data(data in "\\PC{0,80}|(a|inv)\\|[^|]{0,20}\\|[^|]{0,20}(\\|.{0,5})?") {
        if let Some((question, button)) = parse_callback(&data) {
            // What decodes is exactly what was sent: it encodes back to the same bytes.
            prop_assert_eq!(callback_data(&question, &button), data.clone());
        }
        if let Some((action, token)) = parse_invitation_data(&data) {
            prop_assert_eq!(format!("inv|{action}|{token}"), data.clone());
        }
    }

    #[test]
    fn callback_data_round_trips_and_fits(
        question in "[a-z][a-z0-9_]{0,31}",
        button in button(),
    ) {
        let data = callback_data(&question, &button);
        prop_assert!(data.len() <= 64, "{}", data);
        prop_assert_eq!(parse_callback(&data), Some((question, button)));
    }

    #[test]
    fn callback_invitation_data_round_trips(action in "[a-z]{1,10}", token in "[0-9a-f]{32}") {
        let data = format!("inv|{action}|{token}");
        prop_assert_eq!(parse_invitation_data(&data), Some((action.as_str(), token.as_str())));
    }
}

// ---------------------------------------------------------------- typed answers

/// The shipped full flow's questions, plus a single-choice one made from its multiple-choice
/// question, so every kind of question is matched.
static QUESTIONS: LazyLock<(Flow, Vec<Question>)> = LazyLock::new(|| {
    let flow = flow::builtin()
        .into_iter()
        .find(|f| f.id == "sipas-full")
        .unwrap();
    let mut questions = flow.questions.clone();
    let single = questions
        .iter()
        .find_map(|q| match &q.kind {
            QuestionKind::MultipleChoice { options, .. } => Some(Question {
                id: "single".into(),
                kind: QuestionKind::SingleChoice {
                    options: options.clone(),
                },
                ..q.clone()
            }),
            _ => None,
        })
        .unwrap();
    questions.push(single);
    (flow, questions)
});

/// Words a citizen might type: every label, level and option text, in its written form, upper
/// case and without diacritics' help, and the connectors between numbers.
static WORDS: LazyLock<Vec<String>> = LazyLock::new(|| {
    let (flow, questions) = &*QUESTIONS;
    let mut words = vec!["và".to_string(), "va".into(), "and".into(), "số".into()];
    let labels = &flow.labels;
    let mut texts: Vec<&flow::Text> = vec![
        &labels.skip,
        &labels.yes,
        &labels.no,
        &labels.done,
        &labels.back,
    ];
    texts.extend(flow.scale.iter().map(|level| &level.text));
    for question in questions {
        texts.extend(question.options().iter().map(|option| &option.text));
    }
    for text in texts {
        for variant in [Some(&text.vi), text.en.as_ref()].into_iter().flatten() {
            words.push(variant.clone());
            words.push(variant.to_uppercase());
        }
    }
    words
});

fn typed_line() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        2 => "[0-9]{1,3}",
        3 => prop::sample::select(WORDS.clone()),
        1 => "\\PC{0,12}",
    ];
    let separator = prop::sample::select(vec![" ", ", ", " và ", ";", "", "  ", "\u{a0}"]);
    prop::collection::vec((token, separator), 0..5).prop_map(|parts| {
        parts
            .into_iter()
            .map(|(token, separator)| token + separator)
            .collect()
    })
}

/// `answer` is something `question` can have as its answer.
fn answer_fits(question: &Question, answer: &Answer, typed: &str) -> Result<(), TestCaseError> {
    match (&question.kind, answer) {
        (_, Answer::Skipped) => {}
        (QuestionKind::Scale { .. }, Answer::Scale(value)) => {
            prop_assert!((1..=5).contains(value))
        }
        (QuestionKind::YesNo, Answer::YesNo(_)) => {}
        (QuestionKind::SingleChoice { options }, Answer::Choice(id)) => {
            prop_assert!(options.iter().any(|o| &o.id == id), "{id}")
        }
        (
            QuestionKind::MultipleChoice {
                options,
                max_choices,
            },
            Answer::Choices(ids),
        ) => {
            prop_assert!(!ids.is_empty() && ids.len() <= *max_choices, "{ids:?}");
            // In the options' order, hence each at most once and each one of them.
            let in_order: Vec<&String> = options
                .iter()
                .map(|o| &o.id)
                .filter(|id| ids.contains(id))
                .collect();
            prop_assert_eq!(in_order, ids.iter().collect::<Vec<_>>());
        }
        (QuestionKind::Text { max_length }, Answer::Text(text)) => {
            prop_assert_eq!(text.as_str(), typed.trim());
            prop_assert!(!text.is_empty() && text.chars().count() <= *max_length);
        }
        (kind, answer) => prop_assert!(false, "{answer:?} to a {kind:?} question"),
    }
    Ok(())
}

proptest! {
    #[test]
    fn typed_answer_matcher_answers_only_with_the_question_s_own_options(
        which in any::<Index>(),
        typed in typed_line(),
        picked in prop::collection::vec(any::<Index>(), 0..3),
    ) {
        let (base, questions) = &*QUESTIONS;
        let question = which.get(questions).clone();
        // The question alone, so that it is the current one whatever it depends on.
        let flow = Flow {
            questions: vec![Question { show_if: None, ..question.clone() }],
            ..base.clone()
        };
        let mut state = SurveyState::new(&flow);
        if let QuestionKind::MultipleChoice { options, max_choices } = &question.kind {
            for index in picked.iter().take(*max_choices) {
                let id = index.get(options).id.clone();
                if !state.pending_choices.contains(&id) {
                    state.pending_choices.push(id);
                }
            }
        }
        let step = survey::step(&flow, &state, &Input::Text(typed.clone())).unwrap();
        match &step.reply {
            Reply::Finished => {
                prop_assert_eq!(step.state.answers.len(), 1);
                prop_assert_eq!(&step.state.answers[0].question, &question.id);
                answer_fits(&question, &step.state.answers[0].answer, &typed)?;
            }
            Reply::Ask { question: asked, .. } => {
                prop_assert_eq!(asked, &question.id);
                prop_assert!(step.state.answers.is_empty());
            }
            other => prop_assert!(false, "{other:?}"),
        }
    }
}

// ---------------------------------------------------------------- intake JSON

const NOTICE_FIELDS: &[&str] = &[
    "dossier_code",
    "agency_code",
    "procedure_code",
    "procedure_name",
    "submission_channel",
    "completed_at",
];

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "\\PC{0,20}".prop_map(Value::String),
        "[ ]{0,3}[0-9]{1,19}[ ]{0,3}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("\\PC{0,8}|telegram_chat_id", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// A value for one notice field: often right, sometimes wrong in one of the ways clients err.
fn field_value(field: &'static str) -> impl Strategy<Value = Option<serde_json::Value>> {
    use serde_json::Value;
    let right = match field {
        "submission_channel" => prop::sample::select(vec!["direct", "online", "postal"])
            .prop_map(str::to_string)
            .boxed(),
        "completed_at" => prop::sample::select(vec![
            "2026-11-16T08:00:00Z",
            "2026-11-16T15:00:00+07:00",
            "2026-02-30T08:00:00Z",
            "2026-11-16",
        ])
        .prop_map(str::to_string)
        .boxed(),
        _ => "[A-Za-z0-9.\\-]{1,20}|\\PC{1,70}".boxed(),
    };
    prop_oneof![
        6 => right.prop_map(|s| Some(Value::String(s))),
        1 => Just(None),
        1 => json_value().prop_map(Some),
        1 => "[ \t]{0,3}".prop_map(|s| Some(Value::String(s))),
        1 => "x{65,600}".prop_map(|s| Some(Value::String(s))),
    ]
}

fn notice_object() -> impl Strategy<Value = serde_json::Value> {
    let fields: Vec<_> = NOTICE_FIELDS.iter().map(|f| field_value(f)).collect();
    (fields, prop::option::of(json_value())).prop_map(|(values, recipient)| {
        let mut object = serde_json::Map::new();
        for (field, value) in NOTICE_FIELDS.iter().zip(values) {
            if let Some(value) = value {
                object.insert(field.to_string(), value);
            }
        }
        if let Some(recipient) = recipient {
            object.insert("recipient".into(), recipient);
        }
        serde_json::Value::Object(object)
    })
}

proptest! {
    #[test]
    fn intake_json_takes_any_bytes(body in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = parse_notice(&body);
    }

    #[test]
    fn intake_json_accepts_only_complete_notices(value in prop_oneof![notice_object(), json_value()]) {
        let body = serde_json::to_vec(&value).unwrap();
        match parse_notice(&body) {
            Ok(notice) => {
                for text in [
                    &notice.dossier_code,
                    &notice.agency_code,
                    &notice.procedure_code,
                    &notice.procedure_name,
                ] {
                    prop_assert!(!text.is_empty() && text.trim() == text, "{text:?}");
                }
                prop_assert!(notice.dossier_code.chars().count() <= 64);
                prop_assert_eq!(
                    value["dossier_code"].as_str().map(str::trim),
                    Some(notice.dossier_code.as_str())
                );
                if let Some(chat) = &notice.recipient_chat_id {
                    prop_assert!(chat.parse::<i64>().is_ok(), "{chat}");
                }
            }
            Err(NoticeError::Fields(errors)) => prop_assert!(!errors.is_empty()),
            Err(NoticeError::Syntax(_)) => prop_assert!(false, "valid JSON refused as syntax"),
        }
    }
}

// ---------------------------------------------------------------- agency CSV

fn agency_csv() -> impl Strategy<Value = (String, usize)> {
    let code = prop::sample::select(vec!["T1", "T1.H1", "T1.H2", "T1.H1.X1", "T9", "", "t1"]);
    let name = prop::sample::select(vec!["UBND tỉnh Một", "Huyện \"Hai\"", "", "Xã, Ba", " "]);
    let level = prop::sample::select(vec!["tỉnh", "huyện", "xã", "sở", "Tinh", "quận", ""]);
    let row = (code.clone(), name, code, level);
    let header = prop::sample::select(vec![
        "code,name,parent_code,level",
        "level,parent_code,name,code",
        "CODE, Name ,parent_code,LEVEL",
    ]);
    (header, prop::collection::vec(row, 0..12)).prop_map(|(header, rows)| {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let columns: Vec<String> = header.split(',').map(|c| c.trim().to_lowercase()).collect();
        writer.write_record(header.split(',')).unwrap();
        for (code, name, parent, level) in &rows {
            let record: Vec<&str> = columns
                .iter()
                .map(|column| match column.as_str() {
                    "code" => *code,
                    "name" => *name,
                    "parent_code" => *parent,
                    _ => *level,
                })
                .collect();
            writer.write_record(record).unwrap();
        }
        (
            String::from_utf8(writer.into_inner().unwrap()).unwrap(),
            rows.len(),
        )
    })
}

/// Stored agencies with these codes, as the import sees them (a province's roots).
fn stored(codes: &[&str]) -> sipas_bot::core::agency::AgencyTree {
    sipas_bot::core::agency::AgencyTree::new(
        codes
            .iter()
            .map(|code| sipas_bot::core::agency::Agency {
                code: code.to_string(),
                name: code.to_string(),
                parent_code: None,
                level: sipas_bot::core::agency::AgencyLevel::Tinh,
            })
            .collect(),
    )
}

proptest! {
    #[test]
    fn agency_csv_import_takes_any_text(text in "\\PC{0,200}|code,name,parent_code,level\n[^\"]{0,200}") {
        let _ = parse_agencies(&text, &stored(&["T1"]));
    }

    #[test]
    fn agency_csv_import_keeps_parents_first_and_accounts_for_every_row(
        (text, rows) in agency_csv(),
        known_t1 in any::<bool>(),
    ) {
        let known: Vec<String> = if known_t1 { vec!["T1".into()] } else { Vec::new() };
        let codes: Vec<&str> = known.iter().map(String::as_str).collect();
        let (accepted, rejected) = parse_agencies(&text, &stored(&codes));
        prop_assert_eq!(accepted.len() + rejected.len(), rows, "{}", text);
        for (index, agency) in accepted.iter().enumerate() {
            prop_assert!(!agency.code.is_empty() && !agency.name.is_empty());
            prop_assert!(accepted[..index].iter().all(|a| a.code != agency.code), "unique");
            if let Some(parent) = &agency.parent_code {
                prop_assert!(
                    known.contains(parent) || accepted[..index].iter().any(|a| &a.code == parent),
                    "{parent} before {}", agency.code
                );
            }
        }
    }
}

// ---------------------------------------------------------------- the Zalo webhook body

/// Bodies shaped like Zalo's events, with any values, besides any text at all.
fn zalo_body() -> impl Strategy<Value = String> {
    let names = prop::sample::select(vec![
        "user_send_text",
        "follow",
        "unfollow",
        "user_feedback",
        "oa_send_text",
        "",
    ]);
    let value = prop_oneof![
        "\\PC{0,20}".prop_map(serde_json::Value::String),
        any::<i64>().prop_map(serde_json::Value::from),
        Just(serde_json::Value::Null),
        prop::collection::vec("\\PC{0,8}", 0..4).prop_map(|v| serde_json::json!(v)),
    ];
    let field = prop::sample::select(vec![
        "text",
        "msg_id",
        "rate",
        "note",
        "feedbacks",
        "tracking_id",
        "msgId",
        "trackingId",
    ]);
    (
        names,
        prop::collection::vec((field, value.clone()), 0..6),
        value,
        any::<bool>(),
    )
        .prop_map(|(name, fields, timestamp, nested)| {
            let inner: serde_json::Map<String, serde_json::Value> = fields
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
            let mut body = serde_json::json!({
                "app_id": "123", "event_name": name, "timestamp": timestamp,
                "sender": {"id": "u1"}, "follower": {"id": "u1"}, "recipient": {"id": "oa"},
            });
            if nested {
                body["message"] = serde_json::Value::Object(inner);
            } else {
                for (k, v) in inner {
                    body[k] = v;
                }
            }
            body.to_string()
        })
}

proptest! {
    #[test]
    fn zalo_webhook_bodies_parse_or_are_refused_never_panic(
        body in prop_oneof!["\\PC{0,300}", zalo_body()],
    ) {
        if let Ok(event) = sipas_bot::channels::zalo::ZaloEvent::parse(body.as_bytes()) {
            // A parsed event always has a name and a key to deduplicate a redelivery on.
            let _ = event.event_name();
            prop_assert!(!event.dedup_key().is_empty());
        }
    }

    #[test]
    fn zalo_button_payloads_and_phone_numbers_read_back_or_are_refused(
        text in "\\PC{0,60}",
        phone in "[+0-9 ().-]{0,20}",
    ) {
        // A typed text is either a button press (an id and a button) or the citizen's words.
        let _ = sipas_bot::channels::zalo::messages::parse_query_payload(&text);
        if let Ok(number) = sipas_bot::channels::zalo::PhoneNumber::parse(&phone) {
            let digits = number.as_str().to_string();
            prop_assert!(digits.starts_with("84") && digits.chars().all(|c| c.is_ascii_digit()));
            // Normalising is idempotent: the normal form parses to itself.
            let again = sipas_bot::channels::zalo::PhoneNumber::parse(&digits).unwrap();
            prop_assert_eq!(again.as_str(), digits.as_str());
        }
    }
}
