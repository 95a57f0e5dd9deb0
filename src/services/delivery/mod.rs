//! The delivery core every channel's outbox goes through: which rows are due, who holds them,
//! how each failure is treated. It knows no platform: a channel plugs in a [`Transport`] that
//! sends one row and says how it went, in the terms of [`Outcome`].
//!
//! The rules a transport's answer drives:
//! - [`Outcome::Retry`]: a transient failure (time-out, 5xx, connection error, rate limit). The
//!   row is tried again with backoff, or after the wait the platform asked for, for as long as
//!   the message is still worth sending.
//! - [`Outcome::MessageFailed`]: this message can never go (a permanent 400: too long, bad button
//!   data). It fails alone; the chat's later rows go on.
//! - [`Outcome::ChatUnreachable`]: nothing can reach this chat (blocked, deactivated, not found,
//!   a messaging window closed). Every pending row of the chat fails with it.

pub mod pacing;
pub mod retry;
pub mod settings;
pub mod worker;

pub use pacing::Pace;
pub use worker::{Pass, Worker, WorkerSettings};

use crate::storage::OutboxRow;
use futures::future::BoxFuture;
use std::time::Duration;

/// How one attempt to send one outbox row ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// Try again: after `after` when the platform said how long to wait (Telegram's
    /// `retry_after`), else after the core's own backoff.
    Retry {
        after: Option<Duration>,
        error: String,
    },
    /// This message can never be delivered; the chat goes on.
    MessageFailed(String),
    /// The chat cannot be reached at all: the row and every pending row of the chat fail.
    ChatUnreachable(String),
}

/// One channel's way of sending an outbox row (a Bot API call, a Zalo OA call).
pub trait Transport: Send + Sync + 'static {
    /// The channel whose rows this transport sends (`telegram`, `zalo`).
    fn channel(&self) -> &'static str;

    /// Sends one row. Never panics on a bad payload: that is a [`Outcome::MessageFailed`].
    fn send<'a>(&'a self, row: &'a OutboxRow) -> BoxFuture<'a, Outcome>;
}
