//! Signing in and out of the console.
//!
//! The sign-in form has no session yet, so it carries a double-submit CSRF token (a cookie and a
//! field that must match). Every attempt is counted in the database before the password is
//! checked, per account and (much higher, never for a remembered device) per address: see
//! `throttle.rs`. An unknown login, a disabled account and a wrong password get the same answer
//! after the same argon2 work (an unknown login is checked against a dummy hash), so the form
//! does not tell which logins exist. argon2 runs on the blocking pool, at most one hash per core
//! at once (`auth::verify_password_off_thread`). A failed sign-in is logged and audited
//! (`user.sign_in_failed`); each sign-in deletes expired and idle sessions.

use super::signed::{DEVICE_COOKIE, LOGIN_CSRF_COOKIE, SESSION_COOKIE, cookie};
use super::throttle::{Admission, DEVICE_DAYS};
use super::{Console, NoFields, Posted, csrf_field};
use crate::services::admin::auth;
use crate::web::{HttpError, constant_time_eq};
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Form, State};
use axum::http::{Extensions, HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Duration;
use maud::{Markup, html};
use serde::Deserialize;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

pub use super::throttle::{LOCK_MINUTES, SIGN_IN_LIMIT};
/// How long a console session lasts.
pub const SESSION_HOURS: i64 = 8;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    csrf: String,
    login: String,
    password: String,
}

fn login_form(console: &Console, csrf: &str, message: Option<&str>) -> Markup {
    console.page(
        None,
        &console.text("admin-sign-in-title"),
        html! {
            @if let Some(message) = message {
                p class="error" { (message) }
            }
            form method="post" action="/admin/login" {
                (csrf_field(csrf))
                p { label { (console.text("admin-login")) input type="text" name="login" autocomplete="username"; } }
                p { label { (console.text("admin-password")) input type="password" name="password" autocomplete="current-password"; } }
                button { (console.text("admin-sign-in")) }
            }
        },
    )
}

pub async fn login_page(State(console): State<Console>) -> Response {
    let csrf = auth::new_token();
    let mut response = login_form(&console, &csrf, None).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        console.cookie(LOGIN_CSRF_COOKIE, &csrf, 3600),
    );
    response
}

/// The client's address as the listener saw it (a proxy in front makes it the proxy's).
fn client_address(extensions: &Extensions) -> IpAddr {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip())
}

pub async fn login(
    State(console): State<Console>,
    extensions: Extensions,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, HttpError> {
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !constant_time_eq(form.csrf.as_bytes(), expected.as_bytes()) {
        return Err(HttpError::Forbidden("admin-error-csrf"));
    }
    let login = form.login.trim();
    let address = client_address(&extensions);
    let now = console.clock.now();
    let refuse = |id: &str| {
        let page = login_form(&console, &expected, Some(&console.text(id)));
        Ok((StatusCode::UNAUTHORIZED, page).into_response())
    };
    let device = cookie(&headers, DEVICE_COOKIE).filter(|d| d.len() == 64);
    let known_device = match &device {
        Some(device) => {
            console
                .db
                .is_known_sign_in_device(&auth::token_hash(device), login, now)
                .await?
        }
        None => false,
    };
    let admission = console
        .throttle
        .admit(&console.db, login, address, known_device, now)
        .await?;
    if admission == Admission::Locked {
        tracing::warn!(login = ?login, %address, "console sign-in refused: locked");
        return refuse("admin-error-locked");
    }
    let account = console.db.account(login).await?.filter(|a| !a.disabled);
    let hash = account.as_ref().map(|a| a.user.password_hash.clone());
    let verified = auth::verify_password_off_thread(form.password, hash).await;
    let Some(account) = account.filter(|_| verified) else {
        // Logged escaped (`?`) and audited, never with the password; the login is cut to the
        // longest a login may be.
        let typed: String = login.chars().take(64).collect();
        tracing::warn!(login = ?typed, %address, "console sign-in failed");
        console
            .db
            .record_audit(
                &typed,
                "user.sign_in_failed",
                &typed,
                None,
                Some(&address.to_string()),
                now,
            )
            .await?;
        return refuse("admin-error-sign-in");
    };
    console.throttle.succeeded(&console.db, login).await?;
    let purged = console
        .db
        .purge_sign_in_state(console.session_idle, console.throttle.window(), now)
        .await?;
    if purged > 0 {
        tracing::info!(sessions = purged, "expired console sessions deleted");
    }
    let login = account.user.login.as_str();
    let token = auth::new_token();
    let csrf = auth::new_token();
    console
        .db
        .create_web_session(
            &auth::token_hash(&token),
            login,
            &csrf,
            now + Duration::hours(SESSION_HOURS),
            now,
        )
        .await?;
    console
        .db
        .record_audit(login, "user.sign_in", login, None, None, now)
        .await?;
    let next = if account.must_change_password {
        "/admin/password"
    } else {
        "/admin/flows"
    };
    let mut response = Redirect::to(next).into_response();
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        console.cookie(SESSION_COOKIE, &token, SESSION_HOURS * 3600),
    );
    headers.append(header::SET_COOKIE, console.cookie(LOGIN_CSRF_COOKIE, "", 0));
    // This device is remembered as one that signed in as this login: the address limit never
    // applies to it (see `throttle.rs`).
    let device = device.unwrap_or_else(auth::new_token);
    console
        .db
        .remember_sign_in_device(
            &auth::token_hash(&device),
            login,
            now + Duration::days(DEVICE_DAYS),
        )
        .await?;
    headers.append(
        header::SET_COOKIE,
        console.cookie(DEVICE_COOKIE, &device, DEVICE_DAYS * 24 * 3600),
    );
    Ok(response)
}

pub async fn logout(
    State(console): State<Console>,
    posted: Posted<NoFields>,
) -> Result<Response, HttpError> {
    console
        .db
        .delete_web_session(&auth::token_hash(&posted.signed.token))
        .await?;
    let mut response = Redirect::to("/admin/login").into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, console.cookie(SESSION_COOKIE, "", 0));
    Ok(response)
}
