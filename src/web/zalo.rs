//! `POST /zalo/webhook`: Zalo's events. The signature is checked on the raw body (401 when it
//! does not match or the timestamp is more than 5 minutes off); the event is stored in the inbox
//! and answered 200 at once, and processed after by the inbox's worker. A repeated event is
//! answered 200 and changes nothing.

use super::ApiState;
use crate::channels::zalo::{AcceptError, SIGNATURE_HEADER};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

pub async fn webhook(
    State(state): State<ApiState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let Some(inbox) = &state.zalo else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    match inbox.accept(signature, &body).await {
        Ok(_) => StatusCode::OK.into_response(),
        Err(AcceptError::Signature(err)) => {
            tracing::warn!(%err, "Zalo webhook refused");
            StatusCode::UNAUTHORIZED.into_response()
        }
        // Signed by Zalo but not an event we can read: retrying would not help.
        Err(AcceptError::Event(err)) => {
            tracing::warn!(%err, "unreadable Zalo event ignored");
            StatusCode::OK.into_response()
        }
        // Not 2xx: Zalo delivers the event again later.
        Err(AcceptError::Storage(err)) => {
            tracing::error!(%err, "Zalo event could not be stored");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}
