//! The HTTP API (axum): notice intake for one-stop systems, invitation QR codes, the OpenAPI
//! document, the health check and the Telegram and Zalo webhooks. Handlers parse, call the library and map
//! errors to status codes; they hold no survey logic.

pub mod console;
pub mod error;
pub mod headers;
pub mod limits;
pub mod listener;
mod notices;
mod zalo;

pub use error::{HttpError, constant_time_eq};

use crate::channels::telegram::poller::Poller;
use crate::core::flow::Lang;
use crate::core::i18n::Locales;
use crate::services::intake::Links;
use crate::settings::config::Secret;
use crate::storage::Db;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::map_response_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::Duration;
use std::sync::Arc;

/// Notices larger than this are refused with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How long `/healthz` waits for its heartbeat write before answering 503.
pub const HEALTH_WRITE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// What the handlers share.
#[derive(Clone)]
pub struct ApiState {
    pub db: Db,
    pub locales: Arc<Locales>,
    pub lang: Lang,
    /// `INTAKE_TOKEN`, the client of every agency, when set; named clients are looked up in
    /// the database.
    pub intake_token: Option<Secret>,
    pub links: Links,
    pub flow: String,
    pub invitation_ttl: Duration,
    pub telegram: Option<crate::channels::telegram::Telegram>,
    pub clock: Arc<dyn crate::core::clock::Clock>,
    /// Set in webhook mode: the poller's `process` and the secret Telegram sends back.
    pub webhook: Option<(Poller, Secret)>,
    /// Set when Zalo runs: the inbox that `POST /zalo/webhook` stores events in.
    pub zalo: Option<crate::channels::zalo::ZaloInbox>,
    /// The intake's rate limit and time-outs, per client.
    pub intake_limits: Arc<limits::IntakeLimits>,
    /// The background workers' heartbeats: `/healthz` fails while one is stale.
    pub heartbeats: crate::settings::health::Heartbeats,
}

pub fn router(state: ApiState) -> Router {
    Router::new()
        .route("/api/v1/notices", post(notices::submit))
        .route("/api/v1/invitations/{token}/qr.png", get(notices::qr_code))
        .route("/api/v1/openapi.json", get(openapi))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/telegram/webhook", post(webhook))
        .route("/zalo/webhook", post(zalo::webhook))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(map_response_with_state(state.clone(), json_errors))
        .with_state(state)
}

/// Gives an [`HttpError`]'s response its JSON body: a stable code for programs, a sentence for
/// people.
async fn json_errors(State(state): State<ApiState>, response: Response) -> Response {
    match response.extensions().get::<error::Failure>().cloned() {
        Some(failure) => {
            // A 429 keeps its Retry-After through the rewrite into JSON.
            let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
            let mut json = failure.json(response.status(), &state.locales, state.lang);
            if let Some(value) = retry_after {
                json.headers_mut().insert(header::RETRY_AFTER, value);
            }
            json
        }
        None => response,
    }
}

async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("openapi.json"),
    )
}

/// `200 ok` when the database answers, takes a write (a heartbeat row) within
/// [`HEALTH_WRITE_TIMEOUT`], every background worker ticked within three of its intervals and no
/// Zalo sender is paused; `503` otherwise, saying which (`database unreachable`, `database not
/// writable`, worker names, and `zalo` with the host and code that paused it: never a token).
/// Either way a line per worker restarted after a panic follows (`restarted telegram_lane: 1`).
async fn healthz(State(state): State<ApiState>) -> Response {
    if let Err(err) = state.db.ping().await {
        tracing::error!(%err, "health check: database unreachable");
        return (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response();
    }
    // A database that reads but does not take a write (a held write lock, a full disk) is not
    // healthy: a heartbeat row is written, within a bound.
    let write = state.db.write_heartbeat("healthz", state.clock.now());
    match tokio::time::timeout(HEALTH_WRITE_TIMEOUT, write).await {
        Ok(Ok(())) => {}
        Ok(Err(err)) => {
            tracing::error!(%err, "health check: database refuses writes");
            return (StatusCode::SERVICE_UNAVAILABLE, "database not writable").into_response();
        }
        Err(_) => {
            tracing::error!("health check: database write timed out");
            return (StatusCode::SERVICE_UNAVAILABLE, "database not writable").into_response();
        }
    }
    let mut problems = Vec::new();
    let stale = state.heartbeats.stale();
    if !stale.is_empty() {
        let stale = stale.join(", ");
        tracing::warn!(workers = %stale, "health check: workers stopped ticking");
        problems.push(format!("stale workers: {stale}"));
    }
    match state.db.any_zalo_pause().await {
        Ok(Some(pause)) => problems.push(format!(
            "zalo: paused by {} error {} since {} (sipas-bot zalo resume)",
            pause.host,
            pause.code,
            pause.paused_at.to_rfc3339()
        )),
        Ok(None) => {}
        Err(err) => {
            tracing::error!(%err, "health check: cannot read the Zalo pause");
            problems.push("zalo: pause unreadable".into());
        }
    }
    let restarts = state.heartbeats.restart_report();
    if problems.is_empty() {
        return (StatusCode::OK, format!("ok{restarts}")).into_response();
    }
    (
        StatusCode::SERVICE_UNAVAILABLE,
        format!("{}{restarts}", problems.join("; ")),
    )
        .into_response()
}

/// Prometheus text format; the outbox depth is read from the database at scrape time.
async fn metrics(State(state): State<ApiState>) -> Response {
    let outbox: Vec<(String, String, i64)> = match state.db.outbox_depth().await {
        Ok(depth) => depth
            .into_iter()
            .map(|(channel, status, rows)| (channel, status.code().to_string(), rows))
            .collect(),
        Err(err) => {
            tracing::error!(%err, "metrics: cannot read the outbox depth");
            Vec::new()
        }
    };
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::settings::metrics::render(&outbox),
    )
        .into_response()
}

async fn webhook(
    State(state): State<ApiState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let Some((poller, secret)) = &state.webhook else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let given = headers
        .get("x-telegram-bot-api-secret-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !constant_time_eq(given.as_bytes(), secret.expose().as_bytes()) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let update: teloxide::types::Update = match serde_json::from_slice(&body) {
        Ok(update) => update,
        Err(err) => return HttpError::InvalidUpdate(err.to_string()).into_response(),
    };
    match poller.process(&update).await {
        Ok(_) => StatusCode::OK.into_response(),
        // Not 2xx: Telegram delivers the update again later.
        Err(err) => {
            tracing::error!(%err, "webhook update failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// `Path` re-export for the submodules.
pub(crate) type TokenPath = Path<String>;
