//! A loopback Bot API server that answers as fast as it can (adapted from the protocol code of
//! tests/common/fake_telegram.rs, JSON bodies only): getUpdates long polling, sendMessage and the
//! edits, answerCallbackQuery. Each chat's new messages and text edits go to its simulated
//! citizen through a channel, stamped on arrival. Optionally it enforces Telegram's limits (overall and per chat)
//! with 429s, and counts them.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::{Notify, mpsc};

pub const TOKEN: &str = "123456:BENCH-token_abcdefghijklmnop";
pub const BOT_ID: i64 = 123_456;

/// A message the bot sent, or the text of one it edited (the next question), as its citizen
/// sees it.
#[derive(Debug, Clone)]
pub struct Sent {
    pub at: Instant,
    pub text: String,
    /// The callback data of the buttons, in order.
    pub buttons: Vec<String>,
    pub json: Value,
}

/// Telegram's limits, when enforced: messages per second overall and per chat.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub overall: usize,
    pub per_chat: Duration,
}

#[derive(Default)]
struct Inner {
    queue: VecDeque<Value>,
    next_update: i64,
    next_message: i64,
    citizens: HashMap<i64, mpsc::UnboundedSender<Sent>>,
    recent: VecDeque<Instant>,
    last_per_chat: HashMap<i64, Instant>,
}

struct Shared {
    inner: Mutex<Inner>,
    updates: Notify,
    limits: Option<Limits>,
    pub sent: AtomicU64,
    pub too_many: AtomicU64,
    first_sent: Mutex<Option<Instant>>,
    last_sent: Mutex<Option<Instant>>,
}

#[derive(Clone)]
pub struct Fake {
    shared: Arc<Shared>,
    addr: SocketAddr,
}

impl Fake {
    pub async fn start(limits: Option<Limits>) -> Fake {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            // Update ids go on from where another process's fake left them: the bot keeps
            // the ids it has seen, and a repeated id would be taken for a redelivery.
            inner: Mutex::new(Inner {
                next_update: i64::from(std::process::id() % 20_000) * 100_000,
                ..Inner::default()
            }),
            updates: Notify::new(),
            limits,
            sent: AtomicU64::new(0),
            too_many: AtomicU64::new(0),
            first_sent: Mutex::new(None),
            last_sent: Mutex::new(None),
        });
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(shared.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Fake { shared, addr }
    }

    /// The limits this fake enforces, if any.
    pub fn limits(&self) -> Option<Limits> {
        self.shared.limits
    }

    pub fn api_url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The stream of new messages to `chat`.
    pub fn citizen(&self, chat: i64) -> mpsc::UnboundedReceiver<Sent> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.lock().citizens.insert(chat, tx);
        rx
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.shared.inner.lock().unwrap()
    }

    fn queue(&self, make: impl FnOnce(i64) -> Value) {
        let mut inner = self.lock();
        inner.next_update += 1;
        let id = inner.next_update;
        inner.queue.push_back(make(id));
        drop(inner);
        self.shared.updates.notify_waiters();
    }

    /// The citizen types `text` (a command when it starts with `/`).
    pub fn type_text(&self, chat: i64, text: &str) {
        let mut message = json!({
            "message_id": 1_000_000 + chat % 1_000_000,
            "from": user(chat), "chat": chat_json(chat), "date": now(), "text": text,
        });
        if text.starts_with('/') {
            let command = text.split_whitespace().next().unwrap_or("");
            message["entities"] =
                json!([{ "type": "bot_command", "offset": 0, "length": command.len() }]);
        }
        self.queue(|id| json!({ "update_id": id, "message": message }));
    }

    /// The citizen presses the button with `data` under `message`.
    pub fn press(&self, chat: i64, message: &Value, data: &str) {
        self.queue(|id| {
            json!({ "update_id": id, "callback_query": {
                "id": format!("cbq-{id}"), "from": user(chat), "message": message,
                "chat_instance": format!("ci-{chat}"), "data": data,
            }})
        });
    }

    /// Messages accepted, 429s returned, and the span between the first and last accepted.
    pub fn sent_stats(&self) -> (u64, u64, Duration) {
        let first = *self.shared.first_sent.lock().unwrap();
        let last = *self.shared.last_sent.lock().unwrap();
        let span = match (first, last) {
            (Some(a), Some(b)) => b - a,
            _ => Duration::ZERO,
        };
        (
            self.shared.sent.load(Ordering::SeqCst),
            self.shared.too_many.load(Ordering::SeqCst),
            span,
        )
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn user(id: i64) -> Value {
    json!({ "id": id, "is_bot": false, "first_name": format!("User{id}") })
}

fn chat_json(id: i64) -> Value {
    json!({ "id": id, "type": "private", "first_name": format!("User{id}") })
}

fn ok(result: Value) -> Response {
    axum::Json(json!({ "ok": true, "result": result })).into_response()
}

fn as_i64(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

async fn handle(State(shared): State<Arc<Shared>>, uri: Uri, body: Bytes) -> Response {
    let method = uri.path().rsplit('/').next().unwrap_or("").to_string();
    let params: Value = serde_json::from_slice(&body).unwrap_or_else(|_| json!({}));
    match method.to_ascii_lowercase().as_str() {
        "getme" => ok(json!({
            "id": BOT_ID, "is_bot": true, "first_name": "SIPAS Bench", "username": "sipas_bench_bot",
            "can_join_groups": true, "can_read_all_group_messages": false,
            "supports_inline_queries": false, "can_connect_to_business": false,
            "has_main_web_app": false,
        })),
        "getupdates" => get_updates(&shared, &params).await,
        "sendmessage" | "sendphoto" | "senddocument" => send(&shared, &params, true),
        // A pressed answer's next question arrives as an edit of the pressed message (README,
        // "One message per answer"): the citizen sees it as it sees a new message.
        "editmessagetext" => send(&shared, &params, false),
        "editmessagereplymarkup" => {
            let chat = as_i64(params.get("chat_id")).unwrap_or(0);
            let id = as_i64(params.get("message_id")).unwrap_or(0);
            ok(message_json(chat, id, &params))
        }
        _ => ok(json!(true)),
    }
}

fn message_json(chat: i64, id: i64, params: &Value) -> Value {
    let mut message = json!({
        "message_id": id,
        "from": { "id": BOT_ID, "is_bot": true, "first_name": "SIPAS Bench" },
        "chat": chat_json(chat), "date": now(),
        "text": params.get("text").and_then(Value::as_str).unwrap_or(""),
    });
    if let Some(markup) = params.get("reply_markup").filter(|m| !m.is_null()) {
        message["reply_markup"] = markup.clone();
    }
    message
}

/// A new message (`new_message`) or an edit. With limits on, both count toward the overall
/// limit (arrivals in any rolling second), a new message toward its chat's too (the time since
/// the chat's last new message), as tests/common/fake_telegram reads Telegram's limits.
fn send(shared: &Shared, params: &Value, new_message: bool) -> Response {
    let chat = as_i64(params.get("chat_id")).unwrap_or(0);
    let at = Instant::now();
    let mut inner = shared.inner.lock().unwrap();
    if let Some(limits) = shared.limits {
        while inner
            .recent
            .front()
            .is_some_and(|t| at - *t >= Duration::from_secs(1))
        {
            inner.recent.pop_front();
        }
        let chat_busy = new_message
            && inner
                .last_per_chat
                .get(&chat)
                .is_some_and(|t| at - *t < limits.per_chat);
        if inner.recent.len() >= limits.overall || chat_busy {
            shared.too_many.fetch_add(1, Ordering::SeqCst);
            let body = json!({ "ok": false, "error_code": 429,
                "description": "Too Many Requests: retry after 1",
                "parameters": { "retry_after": 1 } });
            return (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
        }
        inner.recent.push_back(at);
        if new_message {
            inner.last_per_chat.insert(chat, at);
        }
    }
    // An edit keeps its message's id; a new message gets the next one.
    let id = match as_i64(params.get("message_id")) {
        Some(id) => id,
        None => {
            inner.next_message += 1;
            inner.next_message
        }
    };
    let json = message_json(chat, id, params);
    let buttons = json["reply_markup"]["inline_keyboard"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .flat_map(|r| r.as_array().cloned().unwrap_or_default())
                .filter_map(|b| b["callback_data"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if let Some(citizen) = inner.citizens.get(&chat) {
        let _ = citizen.send(Sent {
            at,
            text: json["text"].as_str().unwrap_or("").to_string(),
            buttons,
            json: json.clone(),
        });
    }
    drop(inner);
    shared.sent.fetch_add(1, Ordering::SeqCst);
    shared.first_sent.lock().unwrap().get_or_insert(at);
    *shared.last_sent.lock().unwrap() = Some(at);
    ok(json)
}

async fn get_updates(shared: &Shared, params: &Value) -> Response {
    let offset = as_i64(params.get("offset")).unwrap_or(0);
    let limit = as_i64(params.get("limit")).unwrap_or(100).clamp(1, 100) as usize;
    let timeout = as_i64(params.get("timeout")).unwrap_or(0).max(0) as u64;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
    loop {
        let notified = shared.updates.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        {
            let mut inner = shared.inner.lock().unwrap();
            while inner
                .queue
                .front()
                .is_some_and(|u| u["update_id"].as_i64().unwrap_or(0) < offset)
            {
                inner.queue.pop_front();
            }
            let batch: Vec<Value> = inner.queue.iter().take(limit).cloned().collect();
            if !batch.is_empty() || tokio::time::Instant::now() >= deadline {
                return ok(Value::Array(batch));
            }
        }
        let _ = tokio::time::timeout_at(deadline, notified).await;
    }
}
