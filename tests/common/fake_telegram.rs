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

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use tokio::sync::Notify;

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

struct Shared {
    addr: SocketAddr,
    state: Mutex<FakeState>,
    /// Woken whenever an update is queued (long-polling `getUpdates` waits on it).
    updates: Notify,
    /// Woken whenever a call is recorded (`wait_for` waits on it).
    calls: Notify,
    /// While true, `sendMessage` calls are held unanswered (see [`FakeTelegram::hold_sends`]).
    hold: tokio::sync::watch::Sender<bool>,
}

struct StoredMessage {
    message_id: i32,
    text: String,
    reply_markup: Option<Value>,
    photo: bool,
    /// The `Message` object as Telegram would return it now.
    json: Value,
}

#[derive(Default)]
struct FakeState {
    next_update_id: i64,
    /// Unconfirmed updates, ascending `update_id`.
    queue: Vec<Value>,
    /// Redeliveries requested with `repeat`, handed out once regardless of the offset.
    repeats: VecDeque<Value>,
    /// Every update ever queued, by id (for `repeat`).
    history: HashMap<i64, Value>,
    /// Per chat; private chats share one message id sequence between user and bot.
    next_message_id: HashMap<i64, i32>,
    /// The bot's messages, per chat, in the order sent.
    messages: HashMap<i64, Vec<StoredMessage>>,
    failures: Vec<(String, Option<i64>, Failure)>,
    /// Every call, including `getUpdates` and `getMe`.
    calls: Vec<Call>,
    next_callback_id: u64,
    next_file_id: u64,
    webhook_url: String,
    /// While true, every send or edit fails with a broken connection (an outage).
    outage: bool,
    /// `(chat, user)` pairs for which getChatMember answers "creator".
    admins: std::collections::HashSet<(i64, i64)>,
}

impl FakeState {
    fn new_update_id(&mut self) -> i64 {
        self.next_update_id += 1;
        self.next_update_id
    }

    fn new_message_id(&mut self, chat_id: i64) -> i32 {
        let next = self.next_message_id.entry(chat_id).or_insert(0);
        *next += 1;
        *next
    }

    fn take_failure(&mut self, method: &str, params: &Value) -> Option<Failure> {
        let chat = params.get("chat_id").and_then(as_i64);
        let index = self
            .failures
            .iter()
            .position(|(m, c, _)| m.eq_ignore_ascii_case(method) && (c.is_none() || *c == chat))?;
        Some(self.failures.remove(index).2)
    }

    fn find_message(&mut self, chat_id: i64, message_id: i64) -> Option<&mut StoredMessage> {
        self.messages
            .get_mut(&chat_id)?
            .iter_mut()
            .find(|m| i64::from(m.message_id) == message_id)
    }
}

/// An error answer: HTTP status / `error_code`, and `description`.
type ApiResult = Result<Value, (u16, String)>;

fn bad_request(description: &str) -> (u16, String) {
    (400, format!("Bad Request: {description}"))
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

fn lock(shared: &Shared) -> MutexGuard<'_, FakeState> {
    // A panicking test thread must not turn every later request into a second panic.
    shared.state.lock().unwrap_or_else(|e| e.into_inner())
}

// ---------------------------------------------------------------------------------------------
// HTTP

async fn handle(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path();
    let Some(rest) = path.strip_prefix("/bot") else {
        return error_response(404, "Not Found");
    };
    let (token, method) = rest.split_once('/').unwrap_or((rest, ""));
    if token != TOKEN && token.replace("%3A", ":").replace("%3a", ":") != TOKEN {
        return error_response(401, "Unauthorized");
    }
    if method.is_empty() || method.contains('/') {
        return error_response(404, "Not Found");
    }
    let params = match parse_params(&headers, &body, uri.query()) {
        Ok(params) => params,
        Err(description) => return error_response(400, &format!("Bad Request: {description}")),
    };
    let method = canonical_name(method);

    if method == "getUpdates" {
        return get_updates(&shared, params).await;
    }

    let held = method == "sendMessage" && *shared.hold.borrow();
    let broken = held || {
        let state = lock(&shared);
        state.outage && (method.starts_with("send") || method.starts_with("edit"))
    };
    if broken {
        lock(&shared).calls.push(Call {
            method,
            body: params,
        });
        shared.calls.notify_waiters();
        if held {
            let mut hold = shared.hold.subscribe();
            let _ = hold.wait_for(|held| !held).await;
        }
        return broken_response();
    }

    let mut state = lock(&shared);
    let result = match state.take_failure(&method, &params) {
        Some(failure) => Err(failure),
        None => Ok(dispatch(&mut state, &method, &params)),
    };
    state.calls.push(Call {
        method,
        body: params,
    });
    drop(state);
    shared.calls.notify_waiters();
    match result {
        Err(failure) => failure_response(&failure),
        Ok(Ok(value)) => ok_response(value),
        Ok(Err((code, description))) => error_response(code, &description),
    }
}

/// A 200 whose body aborts after the headers: the client sees a dropped connection.
fn broken_response() -> Response {
    let body = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("connection dropped"))
    });
    (StatusCode::OK, axum::body::Body::from_stream(body)).into_response()
}

fn ok_response(result: Value) -> Response {
    axum::Json(json!({ "ok": true, "result": result })).into_response()
}

fn error_response(code: u16, description: &str) -> Response {
    let body = json!({ "ok": false, "error_code": code, "description": description });
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
    (status, axum::Json(body)).into_response()
}

fn failure_response(failure: &Failure) -> Response {
    match failure {
        Failure::TooManyRequests { retry_after } => {
            let body = json!({
                "ok": false,
                "error_code": 429,
                "description": format!("Too Many Requests: retry after {retry_after}"),
                "parameters": { "retry_after": retry_after },
            });
            (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response()
        }
        Failure::Forbidden => error_response(403, "Forbidden: bot was blocked by the user"),
        Failure::ServerError => error_response(500, "Internal Server Error"),
        Failure::Other {
            error_code,
            description,
        } => error_response(*error_code, description),
    }
}

async fn get_updates(shared: &Arc<Shared>, params: Value) -> Response {
    let offset = params.get("offset").and_then(as_i64).unwrap_or(0);
    let limit = params
        .get("limit")
        .and_then(as_i64)
        .unwrap_or(100)
        .clamp(1, 100) as usize;
    let timeout = params.get("timeout").and_then(as_i64).unwrap_or(0).max(0) as u64;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);

    // Recorded on arrival, so that `wait_for("getUpdates", n)` sees a long poll in progress.
    let failure = {
        let mut state = lock(shared);
        let failure = state.take_failure("getUpdates", &params);
        state.calls.push(Call {
            method: "getUpdates".to_string(),
            body: params,
        });
        failure
    };
    shared.calls.notify_waiters();
    if let Some(failure) = failure {
        return failure_response(&failure);
    }

    loop {
        let notified = shared.updates.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        {
            let mut state = lock(shared);
            if !state.webhook_url.is_empty() {
                return error_response(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; use \
                     deleteWebhook to delete the webhook first",
                );
            }
            // Updates below the offset are confirmed: forget them.
            if offset > 0 {
                state
                    .queue
                    .retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
            } else if offset < 0 {
                let keep = offset.unsigned_abs() as usize;
                let len = state.queue.len();
                if len > keep {
                    state.queue.drain(..len - keep);
                }
            }
            let repeats = state.repeats.len().min(limit);
            let mut batch: Vec<Value> = state.repeats.drain(..repeats).collect();
            batch.extend(state.queue.iter().take(limit - batch.len()).cloned());
            if !batch.is_empty() || tokio::time::Instant::now() >= deadline {
                return ok_response(Value::Array(batch));
            }
        }
        // Long polling: wait for a push (or the deadline), then look again.
        let _ = tokio::time::timeout_at(deadline, notified).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Methods

const KNOWN_METHODS: &[&str] = &[
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
fn canonical_name(method: &str) -> String {
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

fn dispatch(state: &mut FakeState, method: &str, params: &Value) -> ApiResult {
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

fn required_chat(params: &Value) -> Result<i64, (u16, String)> {
    match params.get("chat_id") {
        None => Err(bad_request("chat_id is empty")),
        Some(v) => as_i64(v).ok_or_else(|| bad_request("chat not found")),
    }
}

fn check_text(text: &str, max: usize, too_long: &str) -> Result<(), (u16, String)> {
    if text.chars().count() > max {
        return Err(bad_request(too_long));
    }
    Ok(())
}

/// Rejects callback data Telegram would reject (1–64 bytes).
fn check_markup(markup: &Option<Value>) -> Result<(), (u16, String)> {
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
fn set_markup_json(message: &mut Value, markup: &Option<Value>) {
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

fn send_message(state: &mut FakeState, params: &Value) -> ApiResult {
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

fn send_photo(state: &mut FakeState, params: &Value) -> ApiResult {
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
fn mark_command(message: &mut Value, text: &str) {
    if let Some(word) = text
        .split_whitespace()
        .next()
        .filter(|w| w.starts_with('/'))
    {
        let length = word.encode_utf16().count();
        message["entities"] = json!([{"type": "bot_command", "offset": 0, "length": length}]);
    }
}

fn send_document(state: &mut FakeState, params: &Value) -> ApiResult {
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
enum EditKind {
    Text,
    Caption,
    Markup,
}

fn edit_message(state: &mut FakeState, params: &Value, kind: EditKind) -> ApiResult {
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

// ---------------------------------------------------------------------------------------------
// JSON shapes

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

fn bot_user_json() -> Value {
    json!({
        "id": BOT_ID,
        "is_bot": true,
        "first_name": "SIPAS Test Bot",
        "username": BOT_USERNAME,
    })
}

fn me_json() -> Value {
    let mut me = bot_user_json();
    let object = me.as_object_mut().expect("object");
    object.insert("can_join_groups".into(), json!(true));
    object.insert("can_read_all_group_messages".into(), json!(false));
    object.insert("supports_inline_queries".into(), json!(false));
    object.insert("can_connect_to_business".into(), json!(false));
    object.insert("has_main_web_app".into(), json!(false));
    me
}

fn user_json(user_id: i64) -> Value {
    json!({ "id": user_id, "is_bot": false, "first_name": format!("User{user_id}") })
}

fn chat_json(chat_id: i64) -> Value {
    json!({ "id": chat_id, "type": "private", "first_name": format!("User{chat_id}") })
}

fn bot_message_json(chat_id: i64, message_id: i32) -> Value {
    json!({
        "message_id": message_id,
        "from": bot_user_json(),
        "chat": chat_json(chat_id),
        "date": now(),
    })
}

// ---------------------------------------------------------------------------------------------
// Parameters

fn as_i64(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn is_true(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::String(s) => s == "true",
        _ => false,
    }
}

/// `reply_markup` arrives as an object (JSON body) or as a JSON string (multipart/urlencoded).
fn parse_markup(value: Option<&Value>) -> Option<Value> {
    match value? {
        Value::Null => None,
        Value::String(s) => serde_json::from_str(s).ok(),
        other => Some(other.clone()),
    }
}

fn parse_params(headers: &HeaderMap, body: &[u8], query: Option<&str>) -> Result<Value, String> {
    let mut params = Map::new();
    if let Some(query) = query {
        params.extend(parse_urlencoded(query));
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(params));
    }
    match essence.as_str() {
        "multipart/form-data" => params.extend(parse_multipart(&content_type, body)?),
        "application/x-www-form-urlencoded" => {
            let text = std::str::from_utf8(body).map_err(|e| e.to_string())?;
            params.extend(parse_urlencoded(text));
        }
        _ => match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(object)) => params.extend(object),
            Ok(_) => return Err("parameters must be a JSON object".into()),
            Err(e) => return Err(format!("can't parse JSON body: {e}")),
        },
    }
    Ok(Value::Object(params))
}

fn parse_urlencoded(text: &str) -> Map<String, Value> {
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key), Value::String(percent_decode(value)))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'+', _) => out.push(b' '),
            (b'%', Some(b)) => {
                out.push(b);
                i += 2;
            }
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from > haystack.len() {
        return None;
    }
    haystack[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// A deliberately small `multipart/form-data` parser: text parts become string fields, file
/// parts (those with a `filename`, or referenced as `attach://<name>`) become `<field>_bytes`.
fn parse_multipart(content_type: &str, body: &[u8]) -> Result<Map<String, Value>, String> {
    let boundary = content_type
        .split(';')
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"').to_string())
        .ok_or("multipart body without boundary")?;
    let delimiter = format!("--{boundary}").into_bytes();

    // (name, content, has a filename), in order.
    let mut parts: Vec<(String, &[u8], bool)> = Vec::new();
    let mut pos = find(body, &delimiter, 0).ok_or("multipart delimiter not found")?;
    loop {
        pos += delimiter.len();
        if body[pos..].starts_with(b"--") {
            break; // closing delimiter
        }
        let headers_start = pos + 2; // CRLF after the delimiter
        let headers_end = find(body, b"\r\n\r\n", headers_start).ok_or("part without headers")?;
        let part_headers = String::from_utf8_lossy(&body[headers_start..headers_end]);
        let content_start = headers_end + 4;
        let mut closing = b"\r\n".to_vec();
        closing.extend_from_slice(&delimiter);
        let content_end = find(body, &closing, content_start).ok_or("unterminated part")?;

        let disposition = part_headers
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))
            .unwrap_or("");
        let attribute = |name: &str| {
            disposition.split(';').find_map(|p| {
                let (k, v) = p.trim().split_once('=')?;
                (k.trim() == name).then(|| v.trim().trim_matches('"').to_string())
            })
        };
        let name = attribute("name").unwrap_or_default();
        let is_file = attribute("filename").is_some();
        parts.push((name, &body[content_start..content_end], is_file));
        pos = content_end + 2;
    }

    // Parts referenced as `attach://<name>` are files even without a filename.
    let attached: Vec<String> = parts
        .iter()
        .filter_map(|(_, content, _)| std::str::from_utf8(content).ok())
        .filter_map(|v| v.strip_prefix("attach://"))
        .map(str::to_string)
        .collect();
    let is_file =
        |name: &str, has_filename: bool| has_filename || attached.iter().any(|a| a == name);
    let file_len = |name: &str| {
        parts
            .iter()
            .find(|(n, _, f)| n == name && is_file(n, *f))
            .map(|(_, content, _)| content.len())
    };

    let mut params = Map::new();
    for (name, content, has_filename) in &parts {
        if is_file(name, *has_filename) {
            continue;
        }
        let value = String::from_utf8_lossy(content).into_owned();
        if let Some(len) = value.strip_prefix("attach://").and_then(file_len) {
            params.insert(format!("{name}_bytes"), json!(len));
        }
        params.insert(name.clone(), Value::String(value));
    }
    // Files uploaded directly under the field name (no `attach://`).
    for (name, content, has_filename) in &parts {
        if is_file(name, *has_filename) && !attached.contains(name) {
            params.insert(format!("{name}_bytes"), json!(content.len()));
        }
    }
    Ok(params)
}
