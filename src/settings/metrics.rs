//! Operational metrics in Prometheus text format, for `GET /metrics`. The `metrics` facade is
//! what the working code calls (one line where the work happens); `metrics-exporter-prometheus`
//! holds the values and renders them, with no HTTP listener of its own (axum serves the page).
//!
//! Values are process-wide: with no recorder installed (the CLI) every call is a no-op. Labels
//! never carry a chat id or a phone number; the tap-to-next map keys on the chat only in memory.
//!
//! **A reply's stages.** A citizen's input is followed from its arrival to the reply that answers
//! it: [`received`] (the update reached the bot), [`stored`] (the webhook event is durably stored:
//! Zalo's inbox), [`committed`] (the transaction holding the state and the reply's outbox rows
//! committed), [`claimed`] (the delivery worker took the reply's row) and [`replied`] (the reply
//! was sent). Each stage is recorded in `sipas_reply_stage_seconds{channel, stage}` as the time
//! since the previous mark of that chat (a mark a channel does not have is skipped), and the
//! whole in `sipas_tap_to_next_seconds{channel}`.

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub const ANSWERS_STORED: &str = "sipas_answers_stored_total";
pub const NOTICES_RECEIVED: &str = "sipas_notices_received_total";
pub const OUTBOX_MESSAGES: &str = "sipas_outbox_messages";
pub const SEND_DURATION: &str = "sipas_send_duration_seconds";
pub const SEND_ERRORS: &str = "sipas_send_errors_total";
pub const WORKER_HEARTBEAT: &str = "sipas_worker_heartbeat_timestamp_seconds";
pub const WORKER_RESTARTS: &str = "sipas_worker_restarts_total";
pub const TAP_TO_NEXT: &str = "sipas_tap_to_next_seconds";
pub const UPDATES_GIVEN_UP: &str = "sipas_updates_given_up_total";
pub const REPLY_STAGE: &str = "sipas_reply_stage_seconds";

/// Latency buckets in seconds: fine below 100 ms, where the answer path should be.
const LATENCY_BUCKETS: &[f64] = &[
    0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Chats whose tap waits for its next message; bounded so taps never answered (ignored group
/// chatter) cannot grow it without end.
const MAX_PENDING_TAPS: usize = 100_000;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
static TAPS: OnceLock<Mutex<HashMap<String, Trace>>> = OnceLock::new();

/// One input on its way to its reply: when it arrived, and the last stage it passed.
#[derive(Debug, Clone, Copy)]
struct Trace {
    received: Instant,
    last: Instant,
}

/// Installs the process-wide recorder once (later calls reuse it: tests start several servers).
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(SEND_DURATION.into()), LATENCY_BUCKETS)
            .and_then(|b| {
                b.set_buckets_for_metric(Matcher::Full(TAP_TO_NEXT.into()), LATENCY_BUCKETS)
            })
            .and_then(|b| {
                b.set_buckets_for_metric(Matcher::Full(REPLY_STAGE.into()), LATENCY_BUCKETS)
            })
            .expect("static buckets are valid");
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        // Another recorder already installed (an embedding program's): ours still renders the
        // page, it just sees no values from the facade.
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed");
        }
        handle
    })
}

/// The page: `outbox` is the current depth as (channel, status, rows), read at scrape time.
pub fn render(outbox: &[(String, String, i64)]) -> String {
    let handle = install();
    for (channel, status, rows) in outbox {
        metrics::gauge!(OUTBOX_MESSAGES, "channel" => channel.clone(), "status" => status.clone())
            .set(*rows as f64);
    }
    handle.run_upkeep();
    handle.render()
}

/// An answer (state change) committed, on `channel`.
pub fn answer_stored(channel: &str) {
    metrics::counter!(ANSWERS_STORED, "channel" => channel.to_string()).increment(1);
}

/// A notice accepted through the HTTP intake (`created` or `existing`).
pub fn notice_received(outcome: &'static str) {
    metrics::counter!(NOTICES_RECEIVED, "outcome" => outcome).increment(1);
}

/// One outbound API call finished after `took`; `error` is its kind when it failed
/// (`429`, `403`, `400`, `5xx`, `network`, `other`).
pub fn sent(channel: &'static str, took: Duration, error: Option<&'static str>) {
    metrics::histogram!(SEND_DURATION, "channel" => channel).record(took.as_secs_f64());
    if let Some(kind) = error {
        metrics::counter!(SEND_ERRORS, "channel" => channel, "kind" => kind).increment(1);
    }
}

/// An inbound update kept failing for a lasting reason and was given up (logged with its error).
pub fn update_given_up() {
    metrics::counter!(UPDATES_GIVEN_UP).increment(1);
}

/// A worker finished a pass: its last heartbeat, in Unix seconds (wall time, for alerting).
/// Workers call it through [`crate::settings::health::Heartbeat::tick`], which also tells `/healthz`.
pub fn heartbeat(worker: &'static str) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    metrics::gauge!(WORKER_HEARTBEAT, "worker" => worker).set(now);
}

/// A worker's loop panicked and was started again.
pub fn worker_restarted(worker: &'static str) {
    metrics::counter!(WORKER_RESTARTS, "worker" => worker).increment(1);
}

fn taps() -> std::sync::MutexGuard<'static, HashMap<String, Trace>> {
    TAPS.get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

fn key(channel: &str, chat: &str) -> String {
    format!("{channel}:{chat}")
}

/// A citizen's input arrived on `channel` from `chat`: the clock starts for its reply (an input
/// already waiting for one keeps its start).
pub fn received(channel: &'static str, chat: &str) {
    if HANDLE.get().is_none() {
        return;
    }
    let mut taps = taps();
    if taps.len() >= MAX_PENDING_TAPS {
        taps.clear();
    }
    let now = Instant::now();
    taps.entry(key(channel, chat)).or_insert(Trace {
        received: now,
        last: now,
    });
}

/// A Telegram input arrived from `chat` ([`received`] on Telegram).
pub fn tap(chat: &str) {
    received("telegram", chat);
}

/// Records `stage` for the input waiting in `chat`, if one is.
fn mark(channel: &'static str, chat: &str, stage: &'static str) {
    if HANDLE.get().is_none() {
        return;
    }
    let now = Instant::now();
    let since = taps().get_mut(&key(channel, chat)).map(|trace| {
        let since = now.saturating_duration_since(trace.last);
        trace.last = now;
        since
    });
    if let Some(since) = since {
        metrics::histogram!(REPLY_STAGE, "channel" => channel, "stage" => stage)
            .record(since.as_secs_f64());
    }
}

/// The input from `chat` is stored durably (a webhook event, before it is handled); starts
/// its clock when nothing did.
pub fn stored(channel: &'static str, chat: &str) {
    received(channel, chat);
    mark(channel, chat, "stored");
}

/// The transaction handling the input from `chat` committed, with its reply's outbox rows.
pub fn committed(channel: &'static str, chat: &str) {
    mark(channel, chat, "committed");
}

/// The delivery worker claimed a row to `chat`.
pub fn claimed(channel: &'static str, chat: &str) {
    mark(channel, chat, "claimed");
}

/// A reply reached `chat`: if an input was waiting for it, its last stage and its whole time
/// (tap to next) are recorded.
pub fn replied(channel: &'static str, chat: &str) {
    if HANDLE.get().is_none() {
        return;
    }
    mark(channel, chat, "sent");
    if let Some(trace) = taps().remove(&key(channel, chat)) {
        metrics::histogram!(TAP_TO_NEXT, "channel" => channel)
            .record(trace.received.elapsed().as_secs_f64());
    }
}
