//! The JSON shapes of Telegram objects the fake server returns: the bot's user, users, chats and
//! the bot's messages.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::{BOT_ID, BOT_USERNAME};

pub(super) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

pub(super) fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

pub(super) fn bot_user_json() -> Value {
    json!({
        "id": BOT_ID,
        "is_bot": true,
        "first_name": "SIPAS Test Bot",
        "username": BOT_USERNAME,
    })
}

pub(super) fn me_json() -> Value {
    let mut me = bot_user_json();
    let object = me.as_object_mut().expect("object");
    object.insert("can_join_groups".into(), json!(true));
    object.insert("can_read_all_group_messages".into(), json!(false));
    object.insert("supports_inline_queries".into(), json!(false));
    object.insert("can_connect_to_business".into(), json!(false));
    object.insert("has_main_web_app".into(), json!(false));
    me
}

pub(super) fn user_json(user_id: i64) -> Value {
    json!({ "id": user_id, "is_bot": false, "first_name": format!("User{user_id}") })
}

pub(super) fn chat_json(chat_id: i64) -> Value {
    json!({ "id": chat_id, "type": "private", "first_name": format!("User{chat_id}") })
}

pub(super) fn bot_message_json(chat_id: i64, message_id: i32) -> Value {
    json!({
        "message_id": message_id,
        "from": bot_user_json(),
        "chat": chat_json(chat_id),
        "date": now(),
    })
}
