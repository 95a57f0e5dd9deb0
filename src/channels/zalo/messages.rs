//! Outbound consultation messages: a question from [`crate::core::prompt`] (channel-neutral text and
//! buttons) becomes a text with query buttons (`oa.query.show`). Pressing one makes the
//! citizen's client send the button's payload as an ordinary text message, which
//! [`parse_query_payload`] reads back.
//!
//! Zalo shows at most [`MAX_BUTTONS`] buttons (old SDKs' limit). When a question has more,
//! answers keep the buttons first and the rest are offered as typed keys in one extra line, from
//! the locales. The JSON shape of the buttons is not confirmed: it lives in [`cs_body`] alone.

use crate::core::flow::Lang;
use crate::core::i18n::Locales;
use crate::core::prompt::{Prompt, PromptButton, parse_callback};
use crate::core::survey::Button;
use serde_json::{Value, json};

/// The most query buttons one message carries.
pub const MAX_BUTTONS: usize = 5;

/// Zalo's limit on a consultation message's text, in characters.
pub const MAX_TEXT_CHARS: usize = 2000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundMessage {
    pub text: String,
    pub buttons: Vec<QueryButton>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryButton {
    pub title: String,
    /// What the citizen's client sends back when pressed: see [`query_payload`].
    pub payload: String,
}

impl OutboundMessage {
    pub fn text(text: impl Into<String>) -> OutboundMessage {
        OutboundMessage {
            text: text.into(),
            buttons: Vec::new(),
        }
    }
}

/// A prompt as a Zalo message: at most [`MAX_BUTTONS`] buttons (answers first, then "done",
/// "skip" and "back"); buttons that do not fit become typed keys — an answer is listed as
/// "key. label" and one closing line says what may be typed.
pub fn from_prompt(locales: &Locales, lang: Lang, prompt: &Prompt) -> OutboundMessage {
    let mut all: Vec<&PromptButton> = prompt.buttons.iter().flatten().collect();
    if all.len() > MAX_BUTTONS {
        // Answers keep the buttons; a stable sort keeps the flow's order within each group.
        all.sort_by_key(|button| priority(button));
    }
    let (shown, typed) = all.split_at(all.len().min(MAX_BUTTONS));
    let mut text = prompt.text.clone();
    if !typed.is_empty() {
        for button in typed.iter().filter(|b| priority(b) == 0) {
            text.push('\n');
            text.push_str(&locales.text(
                lang,
                "zalo-typed-option",
                &[("key", button.key.clone()), ("label", button.label.clone())],
            ));
        }
        let keys: Vec<String> = typed
            .iter()
            .map(|b| {
                if b.key.chars().all(|c| c.is_ascii_digit()) {
                    b.key.clone()
                } else {
                    format!("“{}”", b.key)
                }
            })
            .collect();
        text.push('\n');
        text.push_str(&locales.text(lang, "zalo-typed-fallback", &[("keys", keys.join(", "))]));
    }
    OutboundMessage {
        text,
        buttons: shown
            .iter()
            .map(|button| QueryButton {
                title: button.label.clone(),
                payload: query_payload(&button.label, &button.data),
            })
            .collect(),
    }
}

/// 0 for an answer, then done, skip, back: the order in which buttons keep their place.
fn priority(button: &PromptButton) -> u8 {
    match parse_callback(&button.data).map(|(_, b)| b) {
        Some(Button::Done) => 1,
        Some(Button::Skip) => 2,
        Some(Button::Back) => 3,
        _ => 0,
    }
}

/// The payload of a query button. Zalo echoes it in the chat as the citizen's own message, so
/// it reads as the label, with the callback data (question and answer) in brackets at the end:
/// `Rất hài lòng [a|access|5]`.
pub fn query_payload(label: &str, callback_data: &str) -> String {
    format!("{label} [{callback_data}]")
}

/// Reads a button press back from the text of a `user_send_text`: the question it was shown
/// with and the button. `None` for a text the citizen typed.
pub fn parse_query_payload(text: &str) -> Option<(String, Button)> {
    let inner = text.trim().strip_suffix(']')?;
    let (_, data) = inner.rsplit_once('[')?;
    parse_callback(data)
}

/// The body of `POST /v3.0/oa/message/cs`. The one place that knows the JSON shape of a
/// consultation message and its buttons (the `template` attachment with a `buttons` list; the
/// other shape seen, `template_type: "button"` with the text inside, would change only this).
pub fn cs_body(user_id: &str, message: &OutboundMessage) -> Value {
    // Counted as Zalo counts: composed characters (NFC).
    let text: String = super::template::nfc(&message.text)
        .chars()
        .take(MAX_TEXT_CHARS)
        .collect();
    let mut body = json!({
        "recipient": {"user_id": user_id},
        "message": {"text": text},
    });
    if !message.buttons.is_empty() {
        let buttons: Vec<Value> = message
            .buttons
            .iter()
            .map(|button| {
                json!({
                    "title": button.title,
                    "type": "oa.query.show",
                    "payload": button.payload,
                })
            })
            .collect();
        body["message"]["attachment"] = json!({
            "type": "template",
            "payload": {"buttons": buttons},
        });
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::flow::Flow;
    use crate::core::survey::SurveyState;

    fn flow() -> Flow {
        Flow::from_toml("short", include_str!("../../../flows/sipas-short.toml")).unwrap()
    }

    #[test]
    fn a_scale_question_keeps_its_five_levels_as_buttons_and_offers_skip_typed() {
        let locales = Locales::load();
        let flow = flow();
        let prompt =
            crate::core::prompt::question(&locales, Lang::Vi, &flow, &SurveyState::new(&flow))
                .unwrap();
        let message = from_prompt(&locales, Lang::Vi, &prompt);
        assert_eq!(message.buttons.len(), MAX_BUTTONS);
        assert_eq!(message.buttons[0].title, "Rất hài lòng");
        assert_eq!(message.buttons[0].payload, "Rất hài lòng [a|access|5]");
        assert!(message.text.starts_with(&prompt.text));
        assert!(message.text.ends_with("“Bỏ qua”."), "{}", message.text);
        assert_eq!(
            parse_query_payload(&message.buttons[4].payload),
            Some(("access".into(), Button::Scale(1)))
        );
        assert_eq!(parse_query_payload("rất hài lòng"), None);
        assert_eq!(parse_query_payload("ok [x|y]"), None);
    }

    #[test]
    fn choices_beyond_the_limit_are_listed_to_type_and_small_questions_keep_every_button() {
        let locales = Locales::load();
        let button = |label: &str, code: &str, key: &str| PromptButton {
            label: label.into(),
            data: format!("a|q|{code}"),
            key: key.into(),
        };
        let mut rows: Vec<Vec<PromptButton>> = (1..=7)
            .map(|i| {
                vec![button(
                    &format!("Ý {i}"),
                    &format!("o:x{i}"),
                    &i.to_string(),
                )]
            })
            .collect();
        rows.push(vec![
            button("Quay lại", "back", "Quay lại"),
            button("Bỏ qua", "skip", "Bỏ qua"),
        ]);
        let prompt = Prompt {
            text: "Câu 3/7".into(),
            buttons: rows,
        };
        let message = from_prompt(&locales, Lang::Vi, &prompt);
        let titles: Vec<&str> = message.buttons.iter().map(|b| b.title.as_str()).collect();
        assert_eq!(titles, ["Ý 1", "Ý 2", "Ý 3", "Ý 4", "Ý 5"]);
        assert_eq!(
            message.text,
            "Câu 3/7\n6. Ý 6\n7. Ý 7\nÔng/Bà cũng có thể gõ: 6, 7, “Bỏ qua”, “Quay lại”."
        );
        let small = Prompt {
            text: "Câu 5/7".into(),
            buttons: vec![
                vec![button("Có", "y", "1"), button("Không", "n", "2")],
                vec![
                    button("Quay lại", "back", "Quay lại"),
                    button("Bỏ qua", "skip", "Bỏ qua"),
                ],
            ],
        };
        let message = from_prompt(&locales, Lang::Vi, &small);
        assert_eq!(message.text, "Câu 5/7");
        let titles: Vec<&str> = message.buttons.iter().map(|b| b.title.as_str()).collect();
        assert_eq!(titles, ["Có", "Không", "Quay lại", "Bỏ qua"]);
    }

    #[test]
    fn the_body_carries_text_and_query_buttons() {
        let message = OutboundMessage {
            text: "Câu 1/7".into(),
            buttons: vec![QueryButton {
                title: "Có".into(),
                payload: "Có [a|q|y]".into(),
            }],
        };
        let body = cs_body("u1", &message);
        assert_eq!(body["recipient"]["user_id"], "u1");
        assert_eq!(body["message"]["text"], "Câu 1/7");
        let button = &body["message"]["attachment"]["payload"]["buttons"][0];
        assert_eq!(button["type"], "oa.query.show");
        assert_eq!(button["payload"], "Có [a|q|y]");
        assert!(
            cs_body("u1", &OutboundMessage::text("x"))["message"]
                .get("attachment")
                .is_none()
        );
    }
}
