//! `POST /api/v1/notices` and `GET /api/v1/invitations/{token}/qr.png`.

use super::{ApiState, HttpError, TokenPath, constant_time_eq};
use crate::services::citizens::CitizenRenderer;
use crate::services::intake::tenant::{self, Repost};
use crate::services::intake::{self, IntakeFailure, NoticeError};
use crate::services::intake_clients::{self, Client};
use crate::storage::NoticeOutcome;
use axum::Json;
use axum::body::Bytes;
use axum::extract::FromRequest;
use axum::extract::State;
use axum::extract::connect_info::ConnectInfo;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

pub async fn submit(
    State(state): State<ApiState>,
    request: axum::extract::Request,
) -> Result<Response, HttpError> {
    let limits = state.intake_limits.clone();
    let deadline = tokio::time::Instant::now() + limits.timeout;
    let address = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
    let client =
        tokio::time::timeout_at(deadline, authenticate(&state, request.headers(), address))
            .await
            .map_err(|_| HttpError::TimedOut(StatusCode::SERVICE_UNAVAILABLE))??;
    limits.admit(&client.name).map_err(HttpError::RateLimited)?;
    // A client that stops sending its body holds nothing for longer than the time-out. The
    // extractor keeps the body limit (413) as before.
    let body = match tokio::time::timeout_at(deadline, Bytes::from_request(request, &())).await {
        Err(_) => return Err(HttpError::TimedOut(StatusCode::REQUEST_TIMEOUT)),
        Ok(Err(rejection)) => return Ok(rejection.into_response()),
        Ok(Ok(body)) => body,
    };
    tokio::time::timeout_at(deadline, answer(state, client, body))
        .await
        .map_err(|_| HttpError::TimedOut(StatusCode::SERVICE_UNAVAILABLE))?
}

/// The client a request's bearer token names: `INTAKE_TOKEN` (compared in constant time) for
/// every agency, else an unrevoked named client, read from the database on every request so a
/// revocation holds at once on every instance. Anything else is 401.
///
/// A wrong token counts against the caller's address: past its burst, the address gets 429
/// without a database look-up until its bucket refills (`limits.rs`).
async fn authenticate(
    state: &ApiState,
    headers: &HeaderMap,
    address: IpAddr,
) -> Result<Client, HttpError> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if let Some(shared) = &state.intake_token
        && constant_time_eq(bearer.as_bytes(), shared.expose().as_bytes())
    {
        return Ok(Client::shared());
    }
    state
        .intake_limits
        .may_authenticate(address)
        .map_err(HttpError::RateLimited)?;
    match intake_clients::named(&state.db, bearer).await? {
        Some(client) => Ok(client),
        None => {
            state.intake_limits.failed_authentication(address);
            tracing::warn!(%address, "notice refused: missing or wrong bearer token");
            Err(HttpError::Unauthorized)
        }
    }
}

async fn answer(state: ApiState, client: Client, body: Bytes) -> Result<Response, HttpError> {
    // Read once: the notice and the recipients it names.
    let parsed = intake::parse(&body).map_err(|err| match err {
        NoticeError::Syntax(detail) => HttpError::InvalidJson(detail),
        NoticeError::Fields(errors) => HttpError::InvalidNotice(errors),
    })?;
    let notice = &parsed.notice;
    // The content rules first (intake::submit checks them again for every other path), so a
    // code with a control character is refused before anything logs it. Codes are logged with
    // `?` all the same: escaped, one line each.
    if let Err(errors) = intake::content::check(notice, state.clock.now()) {
        tracing::warn!(client = %client.name, agency = ?notice.agency_code, dossier = ?notice.dossier_code, "notice refused: content rules");
        return Err(HttpError::InvalidNotice(errors));
    }
    // A client with a subtree posts only for its root or an agency under it (an unknown code is
    // under nothing); nothing of a refused notice is stored.
    if let Some(scope) = &client.scope
        && !state.db.agency_within(&notice.agency_code, scope).await?
    {
        tracing::warn!(client = %client.name, agency = ?notice.agency_code, "notice refused: agency outside the client's subtree");
        return Err(HttpError::AgencyNotAllowed(
            notice.agency_code.clone(),
            scope.clone(),
        ));
    }
    // The channels that run, each with its invitation renderer: a recipient on a channel that
    // does not run is stored without it.
    let mut channels: Vec<&dyn CitizenRenderer> = Vec::new();
    if let Some(telegram) = &state.telegram {
        channels.push(telegram.citizens_renderer());
    }
    if let Some(inbox) = &state.zalo {
        channels.push(inbox.zalo().citizens_renderer());
    }
    let submitted = intake::submit(
        &state.db,
        &channels,
        &state.flow,
        state.invitation_ttl,
        &parsed,
        state.clock.now(),
    )
    .await
    .map_err(|err| match err {
        IntakeFailure::UnknownFlow(flow) => HttpError::UnknownFlow(flow),
        IntakeFailure::Storage(err) => HttpError::Storage(err),
        IntakeFailure::Invalid(errors) => HttpError::InvalidNotice(errors),
    })?;
    let outcome = &submitted.outcome;
    // Dossiers belong to the tenant that posted them: a stored code is answered only to a client
    // whose scope covers the stored agency, and only when the content is the same. Nothing
    // changed in storage for an existing code.
    if let NoticeOutcome::Existing(stored) = outcome {
        let covers = match &client.scope {
            None => true,
            Some(scope) => state.db.agency_within(&stored.agency_code, scope).await?,
        };
        match tenant::repost(stored, notice, covers) {
            Repost::Same => {}
            Repost::Differs(fields) => {
                tracing::warn!(client = %client.name, dossier = ?notice.dossier_code, fields = ?fields, "notice refused: differs from the stored dossier");
                return Err(HttpError::DossierDiffers(fields));
            }
            Repost::Foreign => {
                tracing::warn!(client = %client.name, dossier = ?notice.dossier_code, "notice refused: dossier belongs to another client's subtree");
                return Err(HttpError::DossierExists);
            }
        }
    }
    let (status, counted) = match outcome {
        NoticeOutcome::Created(_) => (StatusCode::CREATED, "created"),
        NoticeOutcome::Existing(_) => (StatusCode::OK, "existing"),
    };
    crate::settings::metrics::notice_received(counted);
    if outcome.invitation().unknown_agency {
        tracing::warn!(agency = ?notice.agency_code, "notice for an unknown agency accepted and flagged");
    }
    let mut view = state.links.view(outcome.invitation());
    // One code per invitation, made with it: a repeated notice gets the same one.
    view.zalo_receipt_code = submitted.receipt_code;
    Ok((status, Json(view)).into_response())
}

pub async fn qr_code(
    State(state): State<ApiState>,
    token: TokenPath,
) -> Result<Response, HttpError> {
    let token = token.0;
    let known = token.len() == 32 && token.chars().all(|c| c.is_ascii_hexdigit());
    let invitation = match known {
        true => state.db.invitation(&token).await?,
        false => None,
    };
    let invitation = invitation.ok_or(HttpError::NotFound("invitation-unknown"))?;
    let png =
        crate::core::qr::png(&state.links.deep_link(&invitation.token)).ok_or(HttpError::Qr)?;
    Ok(([(header::CONTENT_TYPE, "image/png")], png).into_response())
}
