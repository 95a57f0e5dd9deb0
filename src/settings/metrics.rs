//! Operational metrics in Prometheus text format, for `GET /metrics`. The `metrics` facade is
//! what the working code calls (one line where the work happens); `metrics-exporter-prometheus`
//! holds the values and renders them, with no HTTP listener of its own (axum serves the page).
//!
//! Values are process-wide: with no recorder installed (the CLI) every call is a no-op. Labels
//! never carry a chat id or a phone number; the tap-to-next map keys on the chat only in memory.

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

/// Latency buckets in seconds: fine below 100 ms, where the answer path should be.
const LATENCY_BUCKETS: &[f64] = &[
    0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Chats whose tap waits for its next message; bounded so taps never answered (ignored group
/// chatter) cannot grow it without end.
const MAX_PENDING_TAPS: usize = 100_000;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
static TAPS: OnceLock<Mutex<HashMap<String, Instant>>> = OnceLock::new();

/// Installs the process-wide recorder once (later calls reuse it: tests start several servers).
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(SEND_DURATION.into()), LATENCY_BUCKETS)
            .and_then(|b| {
                b.set_buckets_for_metric(Matcher::Full(TAP_TO_NEXT.into()), LATENCY_BUCKETS)
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

fn taps() -> std::sync::MutexGuard<'static, HashMap<String, Instant>> {
    TAPS.get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// A citizen's input arrived from `chat` (the clock starts for tap-to-next).
pub fn tap(chat: &str) {
    if HANDLE.get().is_none() {
        return;
    }
    let mut taps = taps();
    if taps.len() >= MAX_PENDING_TAPS {
        taps.clear();
    }
    taps.entry(chat.to_string()).or_insert_with(Instant::now);
}

/// A new message reached `chat`: if a tap was waiting for it, that is its tap-to-next time.
pub fn replied(channel: &'static str, chat: &str) {
    if HANDLE.get().is_none() {
        return;
    }
    if let Some(at) = taps().remove(chat) {
        metrics::histogram!(TAP_TO_NEXT, "channel" => channel).record(at.elapsed().as_secs_f64());
    }
}
