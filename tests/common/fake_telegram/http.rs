//! The HTTP layer of the fake Bot API server: routing `/bot<TOKEN>/<method>`, the token check,
//! holds, outages and injected failures, the `{"ok":…}` answers, and long-polling `getUpdates`.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::methods::{canonical_name, dispatch};
use super::params::{as_i64, parse_params};
use super::state::{Shared, lock};
use super::{Call, Failure, TOKEN};

pub(super) async fn handle(
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
    let limited = state
        .over_limits(&method, &params)
        .then_some(Failure::TooManyRequests { retry_after: 1 });
    let result = match limited.or_else(|| state.take_failure(&method, &params)) {
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
pub(super) fn broken_response() -> Response {
    let body = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("connection dropped"))
    });
    (StatusCode::OK, axum::body::Body::from_stream(body)).into_response()
}

pub(super) fn ok_response(result: Value) -> Response {
    axum::Json(json!({ "ok": true, "result": result })).into_response()
}

pub(super) fn error_response(code: u16, description: &str) -> Response {
    let body = json!({ "ok": false, "error_code": code, "description": description });
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
    (status, axum::Json(body)).into_response()
}

pub(super) fn failure_response(failure: &Failure) -> Response {
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

pub(super) async fn get_updates(shared: &Arc<Shared>, params: Value) -> Response {
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
