//! Self-test of the fake Telegram Bot API server: teloxide's real client talks to it.

use crate::common::fake_telegram;

use fake_telegram::{BOT_USERNAME, Failure, FakeTelegram, TOKEN};
use serde_json::json;
use teloxide::payloads::*;
use teloxide::prelude::*;
use teloxide::types::{
    CallbackQueryId, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, MessageEntityKind,
    MessageId, Seconds, UpdateKind,
};
use teloxide::{ApiError, RequestError};

fn bot(fake: &FakeTelegram) -> Bot {
    Bot::new(TOKEN).set_api_url(fake.api_url().parse().expect("api url"))
}

fn keyboard(buttons: &[(&str, &str)]) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![
        buttons
            .iter()
            .map(|(label, data)| InlineKeyboardButton::callback(*label, *data))
            .collect::<Vec<_>>(),
    ])
}

#[tokio::test]
async fn get_me_reports_the_test_bot() {
    let fake = FakeTelegram::start().await;
    let me = bot(&fake).get_me().await.expect("getMe");
    assert_eq!(me.username(), BOT_USERNAME);
    assert!(me.user.is_bot);
    assert_eq!(fake.get_me_count(), 1);
    assert!(fake.calls().is_empty(), "getMe is not listed in calls()");
}

#[tokio::test]
async fn get_updates_delivers_texts_commands_and_presses() {
    let fake = FakeTelegram::start().await;
    let bot = bot(&fake);

    // A bot message to press a button under.
    let sent = bot
        .send_message(ChatId(42), "How was it?")
        .reply_markup(keyboard(&[("Good", "rate:5"), ("Bad", "rate:1")]))
        .await
        .expect("sendMessage");

    let text_id = fake.push_text(42, "hello");
    let command_id = fake.push_command(42, "/start abc");
    let press_id = fake.press(42, sent.id.0, "rate:5");
    assert!(text_id < command_id && command_id < press_id);

    let updates = bot.get_updates().await.expect("getUpdates");
    assert_eq!(updates.len(), 3);

    assert_eq!(i64::from(updates[0].id.0), text_id);
    let UpdateKind::Message(message) = &updates[0].kind else {
        panic!("expected a message, got {:?}", updates[0].kind);
    };
    assert_eq!(message.text(), Some("hello"));
    assert_eq!(message.chat.id, ChatId(42));
    assert!(message.chat.is_private());
    assert_eq!(message.from.as_ref().map(|u| u.id.0), Some(42));

    let UpdateKind::Message(command) = &updates[1].kind else {
        panic!("expected a message, got {:?}", updates[1].kind);
    };
    assert_eq!(command.text(), Some("/start abc"));
    let entities = command.entities().expect("entities");
    assert_eq!(entities.len(), 1);
    assert_eq!(entities[0].kind, MessageEntityKind::BotCommand);
    assert_eq!((entities[0].offset, entities[0].length), (0, 6));

    let UpdateKind::CallbackQuery(query) = &updates[2].kind else {
        panic!("expected a callback query, got {:?}", updates[2].kind);
    };
    assert_eq!(query.data.as_deref(), Some("rate:5"));
    assert_eq!(query.from.id.0, 42);
    let pressed = query
        .regular_message()
        .expect("message of the callback query");
    assert_eq!(pressed.id, sent.id);
    assert_eq!(pressed.text(), Some("How was it?"));
    assert!(pressed.reply_markup().is_some());

    // Unconfirmed updates are delivered again; confirmed ones are forgotten.
    let again = bot.get_updates().await.expect("getUpdates");
    assert_eq!(again.len(), 3);
    let after = bot
        .get_updates()
        .offset(press_id as i32 + 1)
        .await
        .expect("getUpdates");
    assert!(after.is_empty());
    let after = bot.get_updates().await.expect("getUpdates");
    assert!(after.is_empty(), "updates below the offset were confirmed");
    assert_eq!(fake.poll_count(), 4);
    assert!(fake.calls_of("getUpdates").len() == 4);

    // A repeat is redelivered even though it was confirmed, exactly once.
    fake.repeat(text_id);
    let repeated = bot
        .get_updates()
        .offset(press_id as i32 + 1)
        .await
        .expect("getUpdates");
    assert_eq!(repeated.len(), 1);
    assert_eq!(i64::from(repeated[0].id.0), text_id);
    let after = bot
        .get_updates()
        .offset(press_id as i32 + 1)
        .await
        .expect("getUpdates");
    assert!(after.is_empty());
}

#[tokio::test]
async fn push_raw_assigns_update_ids() {
    let fake = FakeTelegram::start().await;
    let first = fake.push_text(7, "a");
    let raw = fake.push_raw(json!({
        "message": {
            "message_id": 100,
            "date": 1_700_000_000,
            "chat": {"id": 7, "type": "private", "first_name": "Seven"},
            "from": {"id": 7, "is_bot": false, "first_name": "Seven", "language_code": "id"},
            "text": "halo"
        }
    }));
    assert_eq!(raw, first + 1);
    let updates = bot(&fake).get_updates().await.expect("getUpdates");
    let UpdateKind::Message(message) = &updates[1].kind else {
        panic!("expected a message");
    };
    assert_eq!(message.text(), Some("halo"));
    assert_eq!(
        message
            .from
            .as_ref()
            .and_then(|u| u.language_code.as_deref()),
        Some("id")
    );
}

#[tokio::test]
async fn send_and_edit_messages() {
    let fake = FakeTelegram::start().await;
    let bot = bot(&fake);

    let sent = bot
        .send_message(ChatId(42), "Question 1")
        .reply_markup(keyboard(&[("Yes", "q1:yes"), ("No", "q1:no")]))
        .await
        .expect("sendMessage");
    assert_eq!(sent.text(), Some("Question 1"));
    assert_eq!(sent.chat.id, ChatId(42));
    assert!(sent.from.as_ref().is_some_and(|u| u.is_bot));
    let markup = sent.reply_markup().expect("inline keyboard echoed back");
    assert_eq!(markup.inline_keyboard[0].len(), 2);

    let call = &fake.calls_of("sendMessage")[0];
    assert_eq!(call.chat_id(), Some(42));
    assert_eq!(call.str("text"), Some("Question 1"));
    assert_eq!(
        call.reply_markup().unwrap()["inline_keyboard"][0][0]["callback_data"],
        "q1:yes"
    );

    let edited = bot
        .edit_message_text(ChatId(42), sent.id, "Question 1: Yes ✓")
        .await
        .expect("editMessageText");
    assert_eq!(edited.id, sent.id);
    assert_eq!(edited.text(), Some("Question 1: Yes ✓"));
    assert!(
        edited.reply_markup().is_none(),
        "no reply_markup removes the keyboard"
    );
    assert!(edited.edit_date().is_some());

    let messages = fake.messages_to(42);
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].message_id, sent.id.0);
    assert_eq!(messages[0].text, "Question 1: Yes ✓");
    assert_eq!(messages[0].reply_markup, None);
    assert!(!messages[0].photo);

    // Editing to the same content is an error, as in Telegram.
    let err = bot
        .edit_message_text(ChatId(42), sent.id, "Question 1: Yes ✓")
        .await
        .unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::MessageNotModified)),
        "{err:?}"
    );

    let with_markup = bot
        .edit_message_reply_markup(ChatId(42), sent.id)
        .reply_markup(keyboard(&[("Undo", "q1:undo")]))
        .await
        .expect("editMessageReplyMarkup");
    assert!(with_markup.reply_markup().is_some());
    assert_eq!(fake.messages_to(42)[0].text, "Question 1: Yes ✓");
    assert!(fake.messages_to(42)[0].reply_markup.is_some());

    let err = bot
        .edit_message_text(ChatId(42), MessageId(999), "x")
        .await
        .unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::MessageToEditNotFound)),
        "{err:?}"
    );

    assert!(fake.messages_to(43).is_empty());
    let methods: Vec<String> = fake.calls().into_iter().map(|c| c.method).collect();
    assert_eq!(
        methods,
        [
            "sendMessage",
            "editMessageText",
            "editMessageText",
            "editMessageReplyMarkup",
            "editMessageText"
        ]
    );
}

#[tokio::test]
async fn true_returning_methods() {
    let fake = FakeTelegram::start().await;
    let bot = bot(&fake);
    fake.push_text(42, "hi");
    bot.answer_callback_query(CallbackQueryId("cbq-1".to_string()))
        .await
        .expect("answerCallbackQuery");
    bot.set_my_commands(vec![teloxide::types::BotCommand::new("start", "Start")])
        .await
        .expect("setMyCommands");
    bot.set_webhook("https://example.com/hook".parse().unwrap())
        .await
        .expect("setWebhook");
    assert_eq!(fake.webhook_url(), "https://example.com/hook");
    let info = bot.get_webhook_info().await.expect("getWebhookInfo");
    assert_eq!(
        info.url.map(|u| u.to_string()).as_deref(),
        Some("https://example.com/hook")
    );
    assert_eq!(info.pending_update_count, 1);
    bot.delete_webhook().await.expect("deleteWebhook");
    let info = bot.get_webhook_info().await.expect("getWebhookInfo");
    assert!(info.url.is_none());
    let methods: Vec<String> = fake.calls().into_iter().map(|c| c.method).collect();
    assert_eq!(
        methods,
        [
            "answerCallbackQuery",
            "setMyCommands",
            "setWebhook",
            "getWebhookInfo",
            "deleteWebhook",
            "getWebhookInfo"
        ]
    );
}

#[tokio::test]
async fn send_photo_is_multipart() {
    let fake = FakeTelegram::start().await;
    let bot = bot(&fake);
    let png = vec![0x89u8; 1234];
    let sent = bot
        .send_photo(ChatId(42), InputFile::memory(png).file_name("chart.png"))
        .caption("Your results")
        .reply_markup(keyboard(&[("More", "more")]))
        .await
        .expect("sendPhoto");
    let photo = sent.photo().expect("photo");
    assert_eq!(photo.len(), 1);
    assert_eq!(photo[0].file.size, 1234);
    assert_eq!(sent.caption(), Some("Your results"));
    assert!(sent.reply_markup().is_some());

    let call = &fake.calls_of("sendPhoto")[0];
    assert_eq!(call.body["chat_id"], "42");
    assert_eq!(call.chat_id(), Some(42));
    assert_eq!(call.body["photo_bytes"], 1234);
    assert_eq!(call.str("caption"), Some("Your results"));
    assert!(call.reply_markup().is_some());

    // A photo without a file name (InputFile::memory's default) is attached all the same.
    bot.send_photo(ChatId(42), InputFile::memory(vec![1u8, 2, 3]))
        .await
        .expect("sendPhoto");
    assert_eq!(fake.calls_of("sendPhoto")[1].body["photo_bytes"], 3);

    let messages = fake.messages_to(42);
    assert_eq!(messages.len(), 2);
    assert!(messages[0].photo);
    assert_eq!(messages[0].text, "Your results");
}

#[tokio::test]
async fn injected_failures_map_to_teloxide_errors() {
    let fake = FakeTelegram::start().await;
    let bot = bot(&fake);

    fake.fail_next(
        "sendMessage",
        Some(42),
        Failure::TooManyRequests { retry_after: 3 },
    );
    fake.fail_next("sendMessage", None, Failure::Forbidden);
    fake.fail_next(
        "sendMessage",
        Some(42),
        Failure::Other {
            error_code: 400,
            description: "Bad Request: chat not found".into(),
        },
    );

    // Chat 7 doesn't match the first failure (chat 42), so it takes the second one.
    let err = bot.send_message(ChatId(7), "hi").await.unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::BotBlocked)),
        "{err:?}"
    );

    let err = bot.send_message(ChatId(42), "hi").await.unwrap_err();
    assert!(
        matches!(err, RequestError::RetryAfter(s) if s == Seconds::from_seconds(3)),
        "{err:?}"
    );
    let err = bot.send_message(ChatId(42), "hi").await.unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::ChatNotFound)),
        "{err:?}"
    );

    // Failures are used up: the next call succeeds.
    bot.send_message(ChatId(42), "hi")
        .await
        .expect("sendMessage");
    assert_eq!(
        fake.calls_of("sendMessage").len(),
        4,
        "failed calls are recorded"
    );
    assert_eq!(fake.messages_to(42).len(), 1);
    assert_eq!(fake.messages_to(7).len(), 0);
}

#[tokio::test]
async fn long_poll_returns_when_an_update_is_pushed() {
    let fake = FakeTelegram::start().await;
    let bot = bot(&fake);

    let pusher = {
        let fake = fake.clone();
        tokio::spawn(async move {
            // The long poll is recorded as soon as it arrives; push while it waits.
            fake.wait_for("getUpdates", 1).await;
            fake.push_text(42, "late")
        })
    };
    let updates = bot.get_updates().timeout(5).await.expect("getUpdates");
    let pushed = pusher.await.expect("pusher");
    assert_eq!(updates.len(), 1);
    assert_eq!(i64::from(updates[0].id.0), pushed);
    let UpdateKind::Message(message) = &updates[0].kind else {
        panic!("expected a message");
    };
    assert_eq!(message.text(), Some("late"));
}

#[tokio::test]
async fn wait_for_sees_calls_from_another_task() {
    let fake = FakeTelegram::start().await;
    let sender = {
        let bot = bot(&fake);
        tokio::spawn(async move {
            for i in 0..3 {
                bot.send_message(ChatId(5), format!("m{i}")).await.unwrap();
            }
        })
    };
    let calls = fake.wait_for("SENDMESSAGE", 3).await;
    assert_eq!(calls.len(), 3);
    assert_eq!(fake.messages_to(5).len(), 3);
    sender.await.unwrap();
}

/// Telegram (and the fake) accept any casing of the method name; teloxide itself sends
/// PascalCase (`SendMessage`). Errors carry the HTTP status of `error_code`.
#[tokio::test]
async fn raw_http_casing_and_error_shapes() {
    let fake = FakeTelegram::start().await;
    let client = teloxide::net::client_from_env();
    let post = |method: &str, body: &'static str| {
        client
            .post(format!("{}bot{TOKEN}/{method}", fake.api_url()))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };

    let response = post("sendmessage", r#"{"chat_id":1,"text":"a"}"#)
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body: serde_json::Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(body["ok"], true);
    assert_eq!(body["result"]["text"], "a");
    assert_eq!(fake.calls()[0].method, "sendMessage");

    fake.fail_next("sendMessage", None, Failure::ServerError);
    let response = post("sendMessage", r#"{"chat_id":1,"text":"b"}"#)
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 500);
    let body: serde_json::Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"ok":false,"error_code":500,"description":"Internal Server Error"})
    );

    fake.fail_next(
        "sendMessage",
        None,
        Failure::TooManyRequests { retry_after: 3 },
    );
    let response = post("sendMessage", r#"{"chat_id":1,"text":"c"}"#)
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 429);
    let body: serde_json::Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"ok":false,"error_code":429,"description":"Too Many Requests: retry after 3",
               "parameters":{"retry_after":3}})
    );

    let response = post("noSuchMethod", "{}").await.unwrap();
    assert_eq!(response.status().as_u16(), 404);
    let response = client
        .post(format!("{}bot999:WRONG/getMe", fake.api_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    let response = client
        .get(format!("{}bot{TOKEN}/getMe", fake.api_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
}

/// teloxide's own `Dispatcher` + `Polling` (getWebhookInfo, long polling with offsets, graceful
/// shutdown) runs unchanged against the fake.
#[tokio::test]
async fn teloxide_dispatcher_runs_against_the_fake() {
    let fake = FakeTelegram::start().await;
    let handler = Update::filter_message().endpoint(|bot: Bot, msg: Message| async move {
        let text = format!("echo: {}", msg.text().unwrap_or(""));
        bot.send_message(msg.chat.id, text).await?;
        respond(())
    });
    let mut dispatcher = Dispatcher::builder(bot(&fake), handler).build();
    let token = dispatcher.shutdown_token();
    let task = tokio::spawn(async move { dispatcher.dispatch().await });

    fake.push_text(42, "one");
    fake.wait_for("sendMessage", 1).await;
    let second = fake.push_text(42, "two");
    fake.wait_for("sendMessage", 2).await;
    // A redelivery reaches the handler once more.
    fake.repeat(second);
    fake.wait_for("sendMessage", 3).await;

    token.shutdown().expect("dispatcher is running").await;
    task.await.expect("dispatcher task");

    let texts: Vec<String> = fake.messages_to(42).into_iter().map(|m| m.text).collect();
    assert_eq!(texts, ["echo: one", "echo: two", "echo: two"]);
    assert!(fake.calls_of("getWebhookInfo").len() == 1);
    assert!(fake.poll_count() >= 3);
}

/// The `Throttle` adaptor (default settings) retries a request answered with 429 by itself,
/// after freezing for `retry_after` seconds.
#[tokio::test]
async fn throttle_retries_after_too_many_requests() {
    use teloxide::adaptors::throttle::Limits;

    let fake = FakeTelegram::start().await;
    let bot = bot(&fake).throttle(Limits::default());
    fake.fail_next(
        "sendMessage",
        Some(42),
        Failure::TooManyRequests { retry_after: 1 },
    );
    let sent = bot.send_message(ChatId(42), "hi").await.expect("retried");
    assert_eq!(sent.text(), Some("hi"));
    assert_eq!(fake.calls_of("sendMessage").len(), 2);
    assert_eq!(fake.messages_to(42).len(), 1);
}
