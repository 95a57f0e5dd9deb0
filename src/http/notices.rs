//! `POST /api/v1/notices` and `GET /api/v1/invitations/{token}/qr.png`.

use super::{ApiState, TokenPath, constant_time_eq, error};
use crate::intake::{self, IntakeFailure, NoticeError};
use crate::storage::NoticeOutcome;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

pub async fn submit(
    State(state): State<ApiState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let lang = state.lang;
    let text = |id: &str| state.locales.text(lang, id, &[]);
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !constant_time_eq(bearer.as_bytes(), state.intake_token.expose().as_bytes()) {
        return error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            text("http-error-unauthorized"),
        );
    }
    let notice = match intake::parse_notice(&body) {
        Ok(notice) => notice,
        Err(NoticeError::Syntax(detail)) => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                state
                    .locales
                    .text(lang, "http-error-invalid-json", &[("detail", detail)]),
            );
        }
        Err(NoticeError::Fields(errors)) => {
            let fields: Vec<serde_json::Value> = errors
                .iter()
                .map(|e| serde_json::json!({ "field": e.field, "message": text(e.reason) }))
                .collect();
            let message = errors
                .iter()
                .map(|e| format!("{}: {}", e.field, text(e.reason)))
                .collect::<Vec<_>>()
                .join("; ");
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(serde_json::json!({ "error": "invalid_notice", "message": message, "fields": fields })),
            )
                .into_response();
        }
    };
    let outcome = intake::submit(
        &state.db,
        state.telegram.as_ref(),
        &state.flow,
        state.invitation_ttl,
        &notice,
        state.clock.now(),
    )
    .await;
    match outcome {
        Ok(outcome) => {
            let (status, counted) = match outcome {
                NoticeOutcome::Created(_) => (StatusCode::CREATED, "created"),
                NoticeOutcome::Existing(_) => (StatusCode::OK, "existing"),
            };
            crate::metrics::notice_received(counted);
            if outcome.invitation().unknown_agency {
                tracing::warn!(agency = %notice.agency_code, "notice for an unknown agency accepted and flagged");
            }
            (status, Json(state.links.view(outcome.invitation()))).into_response()
        }
        Err(IntakeFailure::UnknownFlow(flow)) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "unknown_flow",
            state
                .locales
                .text(lang, "error-unknown-flow", &[("flow", flow)]),
        ),
        Err(IntakeFailure::Storage(err)) => {
            tracing::error!(%err, "notice intake failed");
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "storage_unavailable",
                text("http-error-internal"),
            )
        }
    }
}

pub async fn qr_code(State(state): State<ApiState>, token: TokenPath) -> Response {
    let token = token.0;
    let known = token.len() == 32 && token.chars().all(|c| c.is_ascii_hexdigit());
    let invitation = match known {
        true => state.db.invitation(&token).await,
        false => Ok(None),
    };
    match invitation {
        Ok(Some(invitation)) => match crate::qr::png(&state.links.deep_link(&invitation.token)) {
            Some(png) => ([(header::CONTENT_TYPE, "image/png")], png).into_response(),
            None => error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "qr_failed",
                state.locales.text(state.lang, "http-error-internal", &[]),
            ),
        },
        Ok(None) => error(
            StatusCode::NOT_FOUND,
            "not_found",
            state.locales.text(state.lang, "invitation-unknown", &[]),
        ),
        Err(err) => {
            tracing::error!(%err, "qr lookup failed");
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "storage_unavailable",
                state.locales.text(state.lang, "http-error-internal", &[]),
            )
        }
    }
}
