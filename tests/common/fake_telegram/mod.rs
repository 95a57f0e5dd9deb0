//! A fake Telegram Bot API server for end-to-end tests.
//!
//! It listens on `127.0.0.1:<random port>` and answers `/bot<TOKEN>/<method>` the way
//! `api.telegram.org` does, closely enough for teloxide's real client (including the `Polling`
//! update listener and the `Throttle` adaptor) to run against it unchanged:
//!
//! * method names are case-insensitive (teloxide sends them in PascalCase, e.g. `SendMessage`);
//!   calls are recorded under the canonical lowerCamel name (`sendMessage`);
//! * parameters are read from a JSON body, a `multipart/form-data` body (teloxide always uses
//!   multipart for `sendPhoto`), a urlencoded body or the query string;
//! * every answer is `{"ok":true,"result":…}` or `{"ok":false,"error_code":…,"description":…}`
//!   with the matching HTTP status;
//! * `getUpdates` honours `offset` (confirming and forgetting older updates, negative offsets
//!   included), `limit` and long polling (`timeout`, woken as soon as an update is pushed);
//! * the bot's messages are kept per chat, so edits can be checked, and realistic errors are
//!   returned where Telegram would return them (`message is not modified`, `message to edit not
//!   found`, `message text is empty`, `message is too long`, `BUTTON_DATA_INVALID`, `Not Found`
//!   for unknown methods, `Unauthorized` for a wrong token, `409 Conflict` for `getUpdates` while
//!   a webhook is set).
//!
//! Include it from a test crate with
//! `use crate::common::fake_telegram;`.

#![allow(dead_code)]

mod http;
mod json;
mod methods;
mod params;
mod state;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use serde_json::{Value, json};
use tokio::sync::Notify;

use self::http::handle;
use self::json::{chat_json, now, user_json, utf16_len};
use self::methods::mark_command;
use self::params::{as_i64, parse_markup};
use self::state::{FakeState, Shared, lock};

/// The bot token the fake server accepts (any other token gets `401 Unauthorized`).
pub const TOKEN: &str = "123456:TEST-TOKEN";
/// The username `getMe` reports.
pub const BOT_USERNAME: &str = "sipas_test_bot";
/// The bot's user id (the numeric part of [`TOKEN`], as in real Telegram).
pub const BOT_ID: i64 = 123456;

/// How long [`FakeTelegram::wait_for`] waits before panicking.
const WAIT_FOR_TIMEOUT: Duration = Duration::from_secs(10);
/// Telegram's limit on message text length (characters after entity parsing).
const MAX_TEXT_LEN: usize = 4096;
/// Telegram's limit on photo caption length.
const MAX_CAPTION_LEN: usize = 1024;

/// One request the bot made.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// Canonical lowerCamel method name, e.g. `"sendMessage"` (whatever casing was requested).
    pub method: String,
    /// The parameters. JSON bodies are kept as sent. For multipart bodies (`sendPhoto`): every
    /// text field as a string (so `chat_id` is `"42"` and `reply_markup` a JSON string), plus
    /// `"<field>_bytes": <len>` for each uploaded file, e.g. `"photo_bytes": 1234`.
    pub body: Value,
}

impl Call {
    /// `chat_id` as a number, whether it was sent as a JSON number or as a string (multipart).
    pub fn chat_id(&self) -> Option<i64> {
        as_i64(self.body.get("chat_id")?)
    }

    /// A string parameter (`text`, `caption`, `callback_query_id`, …).
    pub fn str(&self, field: &str) -> Option<&str> {
        self.body.get(field)?.as_str()
    }

    /// `reply_markup` as JSON, whether it was sent as an object (JSON body) or as a JSON
    /// string (multipart).
    pub fn reply_markup(&self) -> Option<Value> {
        parse_markup(self.body.get("reply_markup"))
    }
}

/// A failure to inject with [`FakeTelegram::fail_next`].
#[derive(Clone, Debug)]
pub enum Failure {
    /// HTTP 429, `"Too Many Requests: retry after N"` with `parameters.retry_after` — teloxide
    /// returns `RequestError::RetryAfter(N s)`. Note that teloxide's `Throttle` adaptor (with its
    /// default settings) catches this, freezes for N seconds and then retries the request itself.
    TooManyRequests { retry_after: u32 },
    /// HTTP 403, `"Forbidden: bot was blocked by the user"` — `RequestError::Api(ApiError::BotBlocked)`.
    Forbidden,
    /// HTTP 500, `"Internal Server Error"` — `RequestError::Api(ApiError::Unknown(..))`.
    /// Beware: teloxide-core sleeps 10 s (hard-coded `DELAY_ON_SERVER_ERROR`) before returning
    /// the error of any response with a 5xx status, exactly as it would against real Telegram.
    ServerError,
    /// Any other error; the HTTP status is `error_code` (teloxide parses `description` into an
    /// `ApiError`, e.g. `"Bad Request: chat not found"` → `ApiError::ChatNotFound`).
    Other {
        error_code: u16,
        description: String,
    },
}

/// Telegram's rate limits, as [`FakeTelegram::enforce_limits`] applies them.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// `send*`/`edit*` calls arriving in any rolling second (Telegram: about 30).
    pub overall: usize,
    /// The least time between two new messages (`send*`) to one chat (Telegram: about 1 s).
    pub per_chat: Duration,
}

/// The current state of one message the bot has in a chat.
#[derive(Clone, Debug, PartialEq)]
pub struct SentMessage {
    pub message_id: i32,
    /// The text (or, for a photo, the caption; empty without one), after edits.
    pub text: String,
    /// The `reply_markup` as the bot last sent it for this message (inline keyboards, but also
    /// reply keyboards / `remove_keyboard`, which Telegram does not echo in the `Message`).
    pub reply_markup: Option<Value>,
    pub photo: bool,
}

/// Handle on a running fake server; clones share the same server and state.
#[derive(Clone)]
pub struct FakeTelegram {
    shared: Arc<Shared>,
}

impl FakeTelegram {
    /// Binds `127.0.0.1:0` and spawns the server on the current tokio runtime.
    pub async fn start() -> FakeTelegram {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake Telegram server");
        let addr = listener.local_addr().expect("fake Telegram server address");
        let shared = Arc::new(Shared {
            addr,
            state: Mutex::new(FakeState::default()),
            updates: Notify::new(),
            calls: Notify::new(),
            hold: tokio::sync::watch::channel(false).0,
        });
        let app = Router::new()
            .fallback(handle)
            .layer(DefaultBodyLimit::max(64 * 1024 * 1024))
            .with_state(shared.clone());
        tokio::spawn(async move {
            axum::serve(listener, app)
                .await
                .expect("fake Telegram server");
        });
        FakeTelegram { shared }
    }

    /// The base URL to give the bot (`Bot::set_api_url`, `TELEGRAM_API_URL`), e.g.
    /// `http://127.0.0.1:41234/`. teloxide appends `bot<TOKEN>/<Method>` as path segments, so the
    /// base must have an empty path (`/`); with a path like `/api/` the result would be `/api//bot…`.
    pub fn api_url(&self) -> String {
        format!("http://{}/", self.shared.addr)
    }

    fn state(&self) -> MutexGuard<'_, FakeState> {
        lock(&self.shared)
    }

    /// Queues a private-chat text message from user `chat_id` (user id == chat id); returns
    /// its `update_id`.
    pub fn push_text(&self, chat_id: i64, text: &str) -> i64 {
        self.push_user_message(chat_id, text, None)
    }

    /// Like [`push_text`](Self::push_text), with a `bot_command` entity over the first word
    /// (e.g. `/start` in `"/start abc"`).
    pub fn push_command(&self, chat_id: i64, text: &str) -> i64 {
        let command = text.split_whitespace().next().unwrap_or("");
        let start = text.find(command).unwrap_or(0);
        let entity = json!({
            "type": "bot_command",
            "offset": utf16_len(&text[..start]),
            "length": utf16_len(command),
        });
        self.push_user_message(chat_id, text, Some(entity))
    }

    fn push_user_message(&self, chat_id: i64, text: &str, entity: Option<Value>) -> i64 {
        let mut state = self.state();
        let message_id = state.new_message_id(chat_id);
        let mut message = json!({
            "message_id": message_id,
            "from": user_json(chat_id),
            "chat": chat_json(chat_id),
            "date": now(),
            "text": text,
        });
        if let Some(entity) = entity {
            message["entities"] = json!([entity]);
        }
        let id = state.new_update_id();
        self.queue(state, json!({ "update_id": id, "message": message }))
    }

    /// Queues a `callback_query` update: user `chat_id` pressed a button with `data` under the
    /// bot's message `message_id` in that chat (as it is now, after edits). Panics if the bot
    /// has no such message.
    pub fn press(&self, chat_id: i64, message_id: i32, data: &str) -> i64 {
        let mut state = self.state();
        let message = match state.find_message(chat_id, i64::from(message_id)) {
            Some(message) => message.json.clone(),
            None => panic!(
                "press: the bot has no message {message_id} in chat {chat_id}; it has {:?}",
                state
                    .messages
                    .get(&chat_id)
                    .map(|ms| ms.iter().map(|m| m.message_id).collect::<Vec<_>>())
                    .unwrap_or_default()
            ),
        };
        state.next_callback_id += 1;
        let query_id = format!("cbq-{}", state.next_callback_id);
        let id = state.new_update_id();
        let update = json!({
            "update_id": id,
            "callback_query": {
                "id": query_id,
                "from": user_json(chat_id),
                "message": message,
                "chat_instance": format!("ci-{chat_id}"),
                "data": data,
            }
        });
        self.queue(state, update)
    }

    /// Queues any update; assigns the next `update_id` if it has none. Returns its `update_id`.
    pub fn push_raw(&self, mut update: Value) -> i64 {
        let mut state = self.state();
        match update.get("update_id").and_then(Value::as_i64) {
            Some(id) => state.next_update_id = state.next_update_id.max(id),
            None => {
                let id = state.new_update_id();
                update["update_id"] = json!(id);
            }
        }
        self.queue(state, update)
    }

    fn queue(&self, mut state: MutexGuard<'_, FakeState>, update: Value) -> i64 {
        let id = update["update_id"].as_i64().expect("update_id");
        state.history.insert(id, update.clone());
        let at = state
            .queue
            .partition_point(|u| u["update_id"].as_i64().unwrap_or(0) <= id);
        state.queue.insert(at, update);
        drop(state);
        self.shared.updates.notify_waiters();
        id
    }

    /// Makes `user` an administrator (the owner) of `chat` for getChatMember.
    pub fn make_admin(&self, chat_id: i64, user_id: i64) {
        self.state().admins.insert((chat_id, user_id));
    }

    /// Queues a message `text` from `user_id` in the group `chat_id` (a command if it starts
    /// with `/`); returns its update_id.
    pub fn push_group_text(&self, chat_id: i64, user_id: i64, text: &str) -> i64 {
        let mut message = json!({
            "message_id": 1,
            "date": 1_763_261_000,
            "chat": {"id": chat_id, "type": "supergroup", "title": "Nhóm lãnh đạo"},
            "from": {"id": user_id, "is_bot": false, "first_name": "Cán bộ"},
            "text": text,
        });
        mark_command(&mut message, text);
        self.push_raw(json!({ "message": message }))
    }

    /// Queues a post `text` in the channel `chat_id`; returns its update_id.
    pub fn push_channel_post(&self, chat_id: i64, text: &str) -> i64 {
        let mut message = json!({
            "message_id": 1,
            "date": 1_763_261_000,
            "chat": {"id": chat_id, "type": "channel", "title": "Kênh SIPAS"},
            "sender_chat": {"id": chat_id, "type": "channel", "title": "Kênh SIPAS"},
            "text": text,
        });
        mark_command(&mut message, text);
        self.push_raw(json!({ "channel_post": message }))
    }

    /// Delivers the update `update_id` once more (same `update_id`), even if the bot already
    /// confirmed it — a redelivery. Panics if no such update was ever queued.
    pub fn repeat(&self, update_id: i64) {
        let mut state = self.state();
        let update = state
            .history
            .get(&update_id)
            .unwrap_or_else(|| panic!("repeat: no update {update_id} was ever queued"))
            .clone();
        state.repeats.push_back(update);
        drop(state);
        self.shared.updates.notify_waiters();
    }

    /// The next call of `method` (case-insensitive; for chat `chat_id` if given) fails once with
    /// `failure`. Failures for the same method are used in the order they were registered.
    pub fn fail_next(&self, method: &str, chat_id: Option<i64>, failure: Failure) {
        self.state()
            .failures
            .push((method.to_string(), chat_id, failure));
    }

    /// An outage: while `on`, every `send*`/`edit*` call is recorded and then answered with a
    /// broken connection (headers, then the body aborts), which teloxide reports as
    /// `RequestError::Network`, as it would a dropped connection to real Telegram.
    pub fn set_outage(&self, on: bool) {
        self.state().outage = on;
    }

    /// Enforces `limits` from now on: a call over them is recorded and answered 429
    /// (`retry_after` 1), and is not counted toward them.
    pub fn enforce_limits(&self, limits: Limits) {
        self.state().limits = Some(limits);
    }

    /// How many calls the limits refused with a 429.
    pub fn too_many_requests(&self) -> u64 {
        self.state().too_many
    }

    /// While `on`, `sendMessage` calls are recorded and held unanswered; when released they fail
    /// with a broken connection and deliver nothing (Telegram never got to them). Lets a test
    /// kill a process while it holds outbox rows in flight.
    pub fn hold_sends(&self, on: bool) {
        self.shared.hold.send_replace(on);
    }

    /// Every call received so far, in order, except `getUpdates` and `getMe` (see
    /// [`poll_count`](Self::poll_count); `calls_of("getUpdates")` still lists them).
    pub fn calls(&self) -> Vec<Call> {
        self.state()
            .calls
            .iter()
            .filter(|c| c.method != "getUpdates" && c.method != "getMe")
            .cloned()
            .collect()
    }

    /// Every call of `method` (case-insensitive, any method including `getUpdates`), in order.
    pub fn calls_of(&self, method: &str) -> Vec<Call> {
        self.state()
            .calls
            .iter()
            .filter(|c| c.method.eq_ignore_ascii_case(method))
            .cloned()
            .collect()
    }

    /// How many `getUpdates` calls have been received (counted when they arrive, so a
    /// long poll in progress counts).
    pub fn poll_count(&self) -> usize {
        self.calls_of("getUpdates").len()
    }

    /// How many `getMe` calls have been received.
    pub fn get_me_count(&self) -> usize {
        self.calls_of("getMe").len()
    }

    /// Waits until at least `count` calls of `method` (failed ones included) have been received,
    /// then returns `calls_of(method)`. Panics after 10 s, listing every call received.
    /// Calls are recorded after their effect (e.g. `messages_to` already shows a sent message).
    pub async fn wait_for(&self, method: &str, count: usize) -> Vec<Call> {
        let waiting = async {
            loop {
                let notified = self.shared.calls.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                let calls = self.calls_of(method);
                if calls.len() >= count {
                    return calls;
                }
                notified.await;
            }
        };
        match tokio::time::timeout(WAIT_FOR_TIMEOUT, waiting).await {
            Ok(calls) => calls,
            Err(_) => {
                let all = self.state().calls.clone();
                let listing: Vec<String> = all
                    .iter()
                    .map(|c| format!("  {} {}", c.method, c.body))
                    .collect();
                panic!(
                    "wait_for: timed out after {WAIT_FOR_TIMEOUT:?} waiting for {count} call(s) of \
                     {method}; got {}. All {} calls received:\n{}",
                    self.calls_of(method).len(),
                    all.len(),
                    listing.join("\n")
                );
            }
        }
    }

    /// The bot's messages in chat `chat_id`, as they are now (after edits; deleted ones
    /// removed), in the order sent.
    pub fn messages_to(&self, chat_id: i64) -> Vec<SentMessage> {
        self.state()
            .messages
            .get(&chat_id)
            .map(|messages| {
                messages
                    .iter()
                    .map(|m| SentMessage {
                        message_id: m.message_id,
                        text: m.text.clone(),
                        reply_markup: m.reply_markup.clone(),
                        photo: m.photo,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The webhook URL last set with `setWebhook` (empty when none).
    pub fn webhook_url(&self) -> String {
        self.state().webhook_url.clone()
    }
}
