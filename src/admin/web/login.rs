//! Signing in and out of the console.
//!
//! The sign-in form has no session yet, so it carries a double-submit CSRF token (a cookie and a
//! field that must match). Failed attempts are counted per account; after [`SIGN_IN_LIMIT`] in a
//! row the account is locked for [`LOCK_MINUTES`]. An unknown login gets the same answer as a
//! wrong password, so the form does not tell which logins exist.

use super::signed::{LOGIN_CSRF_COOKIE, SESSION_COOKIE, cookie, set_cookie};
use super::{Console, NoFields, Posted, csrf_field};
use crate::admin::auth;
use crate::http::{HttpError, constant_time_eq};
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Duration;
use maud::{Markup, html};
use serde::Deserialize;

/// Failed sign-ins in a row before the account is locked, and for how long.
pub const SIGN_IN_LIMIT: i64 = 5;
pub const LOCK_MINUTES: i64 = 15;
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
        set_cookie(LOGIN_CSRF_COOKIE, &csrf, 3600),
    );
    response
}

pub async fn login(
    State(console): State<Console>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, HttpError> {
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !constant_time_eq(form.csrf.as_bytes(), expected.as_bytes()) {
        return Err(HttpError::Forbidden("admin-error-csrf"));
    }
    let login = form.login.trim();
    let now = console.clock.now();
    let refuse = |id: &str| {
        let page = login_form(&console, &expected, Some(&console.text(id)));
        Ok((StatusCode::UNAUTHORIZED, page).into_response())
    };
    let Some(user) = console.db.user(login).await? else {
        return refuse("admin-error-sign-in");
    };
    if user.locked_until.is_some_and(|until| until > now) {
        return refuse("admin-error-locked");
    }
    if !auth::verify_password(&form.password, &user.password_hash) {
        console
            .db
            .record_failed_sign_in(login, SIGN_IN_LIMIT, Duration::minutes(LOCK_MINUTES), now)
            .await?;
        return refuse("admin-error-sign-in");
    }
    let token = auth::new_token();
    let csrf = auth::new_token();
    console.db.clear_failed_sign_ins(login).await?;
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
    let mut response = Redirect::to("/admin/flows").into_response();
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, &token, SESSION_HOURS * 3600),
    );
    headers.append(header::SET_COOKIE, set_cookie(LOGIN_CSRF_COOKIE, "", 0));
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
        .append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", 0));
    Ok(response)
}
