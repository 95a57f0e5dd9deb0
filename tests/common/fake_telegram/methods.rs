//! The Bot API methods the fake server answers (sending, editing and deleting messages, `getMe`,
//! callbacks, commands, chat members, webhooks), with the errors real Telegram returns.

use serde_json::{Value, json};

use super::json::{bot_message_json, me_json, now};
use super::params::{as_i64, is_true, parse_markup};
use super::state::{ApiResult, FakeState, StoredMessage, bad_request};
use super::{MAX_CAPTION_LEN, MAX_TEXT_LEN};

pub(super) const KNOWN_METHODS: &[&str] = &[
    "getMe",
    "logOut",
    "close",
    "getUpdates",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
    "sendMessage",
    "sendPhoto",
    "sendDocument",
    "sendChatAction",
    "editMessageText",
    "editMessageCaption",
    "editMessageReplyMarkup",
    "deleteMessage",
    "answerCallbackQuery",
    "setMyCommands",
    "deleteMyCommands",
    "getMyCommands",
    "setMyName",
    "setMyDescription",
    "setMyShortDescription",
    "setChatMenuButton",
    "getChat",
];

/// Telegram method names are case-insensitive; map any casing to the documented lowerCamel.
pub(super) fn canonical_name(method: &str) -> String {
    if let Some(known) = KNOWN_METHODS
        .iter()
        .find(|m| m.eq_ignore_ascii_case(method))
    {
        return known.to_string();
    }
    let mut chars = method.chars();
    match chars.next() {
        Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

pub(super) fn dispatch(state: &mut FakeState, method: &str, params: &Value) -> ApiResult {
    match method {
        "getMe" => Ok(me_json()),
        "sendMessage" => send_message(state, params),
        "sendPhoto" => send_photo(state, params),
        "sendDocument" => send_document(state, params),
        "editMessageText" => edit_message(state, params, EditKind::Text),
        "editMessageCaption" => edit_message(state, params, EditKind::Caption),
        "editMessageReplyMarkup" => edit_message(state, params, EditKind::Markup),
        "deleteMessage" => {
            let chat_id = required_chat(params)?;
            let message_id = params.get("message_id").and_then(as_i64);
            let messages = state.messages.entry(chat_id).or_default();
            match messages
                .iter()
                .position(|m| Some(i64::from(m.message_id)) == message_id)
            {
                Some(at) => {
                    messages.remove(at);
                    Ok(json!(true))
                }
                None => Err(bad_request("message to delete not found")),
            }
        }
        "setWebhook" => {
            state.webhook_url = params
                .get("url")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            Ok(json!(true))
        }
        "deleteWebhook" => {
            state.webhook_url.clear();
            if params.get("drop_pending_updates").is_some_and(is_true) {
                state.queue.clear();
            }
            Ok(json!(true))
        }
        "getWebhookInfo" => Ok(json!({
            "url": state.webhook_url,
            "has_custom_certificate": false,
            "pending_update_count": state.queue.len(),
        })),
        "getMyCommands" => Ok(json!([])),
        "getChatMember" => {
            let chat_id = required_chat(params)?;
            let user_id = params.get("user_id").and_then(as_i64).unwrap_or_default();
            let user = json!({"id": user_id, "is_bot": false, "first_name": "Cán bộ"});
            if state.admins.contains(&(chat_id, user_id)) {
                Ok(json!({"status": "creator", "user": user, "is_anonymous": false}))
            } else {
                Ok(json!({"status": "member", "user": user}))
            }
        }
        "answerCallbackQuery"
        | "setMyCommands"
        | "deleteMyCommands"
        | "sendChatAction"
        | "logOut"
        | "close"
        | "setMyName"
        | "setMyDescription"
        | "setMyShortDescription"
        | "setChatMenuButton" => Ok(json!(true)),
        _ => Err((404, "Not Found".to_string())),
    }
}

pub(super) fn required_chat(params: &Value) -> Result<i64, (u16, String)> {
    match params.get("chat_id") {
        None => Err(bad_request("chat_id is empty")),
        Some(v) => as_i64(v).ok_or_else(|| bad_request("chat not found")),
    }
}

pub(super) fn check_text(text: &str, max: usize, too_long: &str) -> Result<(), (u16, String)> {
    if text.chars().count() > max {
        return Err(bad_request(too_long));
    }
    Ok(())
}

/// Rejects callback data Telegram would reject (1–64 bytes).
pub(super) fn check_markup(markup: &Option<Value>) -> Result<(), (u16, String)> {
    let Some(rows) = markup
        .as_ref()
        .and_then(|m| m.get("inline_keyboard"))
        .and_then(Value::as_array)
    else {
        return Ok(());
    };
    for button in rows.iter().filter_map(Value::as_array).flatten() {
        if let Some(data) = button.get("callback_data") {
            let len = data.as_str().map_or(0, str::len);
            if !(1..=64).contains(&len) {
                return Err(bad_request("BUTTON_DATA_INVALID"));
            }
        }
    }
    Ok(())
}

/// Only inline keyboards appear in a returned `Message`.
pub(super) fn set_markup_json(message: &mut Value, markup: &Option<Value>) {
    let object = message.as_object_mut().expect("message object");
    match markup {
        Some(m) if m.get("inline_keyboard").is_some() => {
            object.insert("reply_markup".into(), m.clone());
        }
        _ => {
            object.remove("reply_markup");
        }
    }
}

pub(super) fn send_message(state: &mut FakeState, params: &Value) -> ApiResult {
    let chat_id = required_chat(params)?;
    let text = params.get("text").and_then(Value::as_str).unwrap_or("");
    if text.trim().is_empty() {
        return Err(bad_request("message text is empty"));
    }
    check_text(text, MAX_TEXT_LEN, "message is too long")?;
    let markup = parse_markup(params.get("reply_markup"));
    check_markup(&markup)?;

    let message_id = state.new_message_id(chat_id);
    let mut message = bot_message_json(chat_id, message_id);
    message["text"] = json!(text);
    set_markup_json(&mut message, &markup);
    state
        .messages
        .entry(chat_id)
        .or_default()
        .push(StoredMessage {
            message_id,
            text: text.to_string(),
            reply_markup: markup,
            photo: false,
            json: message.clone(),
        });
    Ok(message)
}

pub(super) fn send_photo(state: &mut FakeState, params: &Value) -> ApiResult {
    let chat_id = required_chat(params)?;
    if params.get("photo").is_none() && params.get("photo_bytes").is_none() {
        return Err(bad_request("there is no photo in the request"));
    }
    let caption = params.get("caption").and_then(Value::as_str).unwrap_or("");
    check_text(caption, MAX_CAPTION_LEN, "message caption is too long")?;
    let markup = parse_markup(params.get("reply_markup"));
    check_markup(&markup)?;

    state.next_file_id += 1;
    let file = state.next_file_id;
    let size = params.get("photo_bytes").and_then(as_i64).unwrap_or(0);
    let message_id = state.new_message_id(chat_id);
    let mut message = bot_message_json(chat_id, message_id);
    message["photo"] = json!([{
        "file_id": format!("photo-file-{file}"),
        "file_unique_id": format!("photo-unique-{file}"),
        "width": 800,
        "height": 600,
        "file_size": size,
    }]);
    if !caption.is_empty() {
        message["caption"] = json!(caption);
    }
    set_markup_json(&mut message, &markup);
    state
        .messages
        .entry(chat_id)
        .or_default()
        .push(StoredMessage {
            message_id,
            text: caption.to_string(),
            reply_markup: markup,
            photo: true,
            json: message.clone(),
        });
    Ok(message)
}

/// Marks a leading `/command` in a message's text as a bot_command entity, as Telegram does.
pub(super) fn mark_command(message: &mut Value, text: &str) {
    if let Some(word) = text
        .split_whitespace()
        .next()
        .filter(|w| w.starts_with('/'))
    {
        let length = word.encode_utf16().count();
        message["entities"] = json!([{"type": "bot_command", "offset": 0, "length": length}]);
    }
}

pub(super) fn send_document(state: &mut FakeState, params: &Value) -> ApiResult {
    let chat_id = required_chat(params)?;
    let size = params.get("document_bytes").and_then(as_i64).unwrap_or(0);
    if size == 0 {
        return Err(bad_request("there is no document in the request"));
    }
    let caption = params.get("caption").and_then(Value::as_str).unwrap_or("");
    check_text(caption, MAX_CAPTION_LEN, "message caption is too long")?;
    state.next_file_id += 1;
    let file = state.next_file_id;
    let message_id = state.new_message_id(chat_id);
    let mut message = bot_message_json(chat_id, message_id);
    message["document"] = json!({
        "file_id": format!("document-file-{file}"),
        "file_unique_id": format!("document-unique-{file}"),
        "file_size": size,
    });
    if !caption.is_empty() {
        message["caption"] = json!(caption);
    }
    state
        .messages
        .entry(chat_id)
        .or_default()
        .push(StoredMessage {
            message_id,
            text: caption.to_string(),
            reply_markup: None,
            photo: false,
            json: message.clone(),
        });
    Ok(message)
}

#[derive(PartialEq)]
pub(super) enum EditKind {
    Text,
    Caption,
    Markup,
}

pub(super) fn edit_message(state: &mut FakeState, params: &Value, kind: EditKind) -> ApiResult {
    if params.get("inline_message_id").is_some() {
        return Ok(json!(true));
    }
    let chat_id = required_chat(params)?;
    let message_id = params
        .get("message_id")
        .and_then(as_i64)
        .ok_or_else(|| bad_request("message identifier is not specified"))?;
    let markup = parse_markup(params.get("reply_markup"));
    check_markup(&markup)?;
    let new_text = match kind {
        EditKind::Text => {
            let text = params.get("text").and_then(Value::as_str).unwrap_or("");
            if text.trim().is_empty() {
                return Err(bad_request("message text is empty"));
            }
            check_text(text, MAX_TEXT_LEN, "MESSAGE_TOO_LONG")?;
            Some(text.to_string())
        }
        EditKind::Caption => {
            let caption = params.get("caption").and_then(Value::as_str).unwrap_or("");
            check_text(caption, MAX_CAPTION_LEN, "message caption is too long")?;
            Some(caption.to_string())
        }
        EditKind::Markup => None,
    };
    let message = state
        .find_message(chat_id, message_id)
        .ok_or_else(|| bad_request("message to edit not found"))?;
    match kind {
        EditKind::Text if message.photo => {
            return Err(bad_request("there is no text in the message to edit"));
        }
        EditKind::Caption if !message.photo => {
            return Err(bad_request("there is no caption in the message to edit"));
        }
        _ => {}
    }
    // Like Telegram: omitting reply_markup in an edit removes the inline keyboard.
    let text = new_text.unwrap_or_else(|| message.text.clone());
    if text == message.text && markup == message.reply_markup {
        return Err(bad_request(
            "message is not modified: specified new message content and reply markup are \
             exactly the same as a current content and reply markup of the message",
        ));
    }
    message.text = text.clone();
    message.reply_markup = markup.clone();
    let json = &mut message.json;
    match kind {
        EditKind::Text => json["text"] = json!(text),
        EditKind::Caption if text.is_empty() => {
            json.as_object_mut().map(|o| o.remove("caption"));
        }
        EditKind::Caption => json["caption"] = json!(text),
        EditKind::Markup => {}
    }
    set_markup_json(json, &markup);
    json["edit_date"] = json!(now());
    Ok(json.clone())
}
