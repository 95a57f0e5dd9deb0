//! The fake server's state: the updates queued for `getUpdates`, the bot's messages per chat,
//! the recorded calls and the injected failures, shared between the handle and the HTTP layer.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard};

use serde_json::Value;
use tokio::sync::Notify;

use super::params::as_i64;
use super::{Call, Failure, Limits};

pub(super) struct Shared {
    pub(super) addr: SocketAddr,
    pub(super) state: Mutex<FakeState>,
    /// Woken whenever an update is queued (long-polling `getUpdates` waits on it).
    pub(super) updates: Notify,
    /// Woken whenever a call is recorded (`wait_for` waits on it).
    pub(super) calls: Notify,
    /// While true, `sendMessage` calls are held unanswered (see [`FakeTelegram::hold_sends`]).
    pub(super) hold: tokio::sync::watch::Sender<bool>,
}

pub(super) struct StoredMessage {
    pub(super) message_id: i32,
    pub(super) text: String,
    pub(super) reply_markup: Option<Value>,
    pub(super) photo: bool,
    /// The `Message` object as Telegram would return it now.
    pub(super) json: Value,
}

#[derive(Default)]
pub(super) struct FakeState {
    pub(super) next_update_id: i64,
    /// Unconfirmed updates, ascending `update_id`.
    pub(super) queue: Vec<Value>,
    /// Redeliveries requested with `repeat`, handed out once regardless of the offset.
    pub(super) repeats: VecDeque<Value>,
    /// Every update ever queued, by id (for `repeat`).
    pub(super) history: HashMap<i64, Value>,
    /// Per chat; private chats share one message id sequence between user and bot.
    pub(super) next_message_id: HashMap<i64, i32>,
    /// The bot's messages, per chat, in the order sent.
    pub(super) messages: HashMap<i64, Vec<StoredMessage>>,
    pub(super) failures: Vec<(String, Option<i64>, Failure)>,
    /// Every call, including `getUpdates` and `getMe`.
    pub(super) calls: Vec<Call>,
    pub(super) next_callback_id: u64,
    pub(super) next_file_id: u64,
    pub(super) webhook_url: String,
    /// While true, every send or edit fails with a broken connection (an outage).
    pub(super) outage: bool,
    /// `(chat, user)` pairs for which getChatMember answers "creator".
    pub(super) admins: std::collections::HashSet<(i64, i64)>,
    /// Telegram's limits, when enforced (see [`FakeState::over_limits`]).
    pub(super) limits: Option<Limits>,
    /// Arrivals of the calls counted overall in the last second, oldest first.
    pub(super) counted: VecDeque<std::time::Instant>,
    /// The last counted new message of each chat.
    pub(super) last_in_chat: HashMap<i64, std::time::Instant>,
    /// 429s answered because of the limits.
    pub(super) too_many: u64,
}

impl FakeState {
    pub(super) fn new_update_id(&mut self) -> i64 {
        self.next_update_id += 1;
        self.next_update_id
    }

    pub(super) fn new_message_id(&mut self, chat_id: i64) -> i32 {
        let next = self.next_message_id.entry(chat_id).or_insert(0);
        *next += 1;
        *next
    }

    /// With limits on: whether the call arriving now goes over them (it is then refused and not
    /// counted). Every `send*`/`edit*` call counts overall, a new message (`send*`) in its chat
    /// too; the overall count is of arrivals in the last second (a rolling window).
    pub(super) fn over_limits(&mut self, method: &str, params: &Value) -> bool {
        let Some(limits) = self.limits else {
            return false;
        };
        if !(method.starts_with("send") || method.starts_with("edit")) {
            return false;
        }
        let now = std::time::Instant::now();
        let chat = params.get("chat_id").and_then(as_i64);
        let in_chat = method.starts_with("send");
        while self
            .counted
            .front()
            .is_some_and(|at| now - *at >= std::time::Duration::from_secs(1))
        {
            self.counted.pop_front();
        }
        let chat_busy = in_chat
            && chat
                .and_then(|chat| self.last_in_chat.get(&chat))
                .is_some_and(|at| now - *at < limits.per_chat);
        if self.counted.len() >= limits.overall || chat_busy {
            self.too_many += 1;
            return true;
        }
        self.counted.push_back(now);
        if let (true, Some(chat)) = (in_chat, chat) {
            self.last_in_chat.insert(chat, now);
        }
        false
    }

    pub(super) fn take_failure(&mut self, method: &str, params: &Value) -> Option<Failure> {
        let chat = params.get("chat_id").and_then(as_i64);
        let index = self
            .failures
            .iter()
            .position(|(m, c, _)| m.eq_ignore_ascii_case(method) && (c.is_none() || *c == chat))?;
        Some(self.failures.remove(index).2)
    }

    pub(super) fn find_message(
        &mut self,
        chat_id: i64,
        message_id: i64,
    ) -> Option<&mut StoredMessage> {
        self.messages
            .get_mut(&chat_id)?
            .iter_mut()
            .find(|m| i64::from(m.message_id) == message_id)
    }
}

/// An error answer: HTTP status / `error_code`, and `description`.
pub(super) type ApiResult = Result<Value, (u16, String)>;

pub(super) fn bad_request(description: &str) -> (u16, String) {
    (400, format!("Bad Request: {description}"))
}

pub(super) fn lock(shared: &Shared) -> MutexGuard<'_, FakeState> {
    // A panicking test thread must not turn every later request into a second panic.
    shared.state.lock().unwrap_or_else(|e| e.into_inner())
}
