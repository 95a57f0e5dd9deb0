//! The admin console at `/admin`: server-rendered pages in Vietnamese, no JavaScript.
//!
//! Sign-in checks an argon2 hash and locks an account after repeated failures; the session is an
//! HttpOnly, SameSite=Strict cookie whose token is stored hashed; every form carries the
//! session's CSRF token (the sign-in form a double-submit cookie) and is refused with 403
//! without it. Viewers only read; managers act on their agency subtree; admins on everything.

mod flows;
mod pages;

use crate::admin::auth;
use crate::clock::Clock;
use crate::flow::Lang;
use crate::i18n::Locales;
use crate::storage::{Db, Role, User};
use axum::Router;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Duration;
use std::collections::HashMap;
use std::sync::Arc;

/// Failed sign-ins in a row before the account is locked, and for how long.
pub const SIGN_IN_LIMIT: i64 = 5;
pub const LOCK_MINUTES: i64 = 15;
/// How long a console session lasts.
pub const SESSION_HOURS: i64 = 8;

const SESSION_COOKIE: &str = "sipas_session";
const LOGIN_CSRF_COOKIE: &str = "sipas_login_csrf";

#[derive(Clone)]
pub struct Console {
    pub db: Db,
    pub locales: Arc<Locales>,
    pub lang: Lang,
    pub clock: Arc<dyn Clock>,
}

pub type Fields = HashMap<String, String>;

pub fn router(console: Console) -> Router {
    Router::new()
        .route("/admin", get(|| async { Redirect::to("/admin/flows") }))
        .route("/admin/login", get(login_page).post(login))
        .route("/admin/logout", post(logout))
        .route("/admin/flows", get(flows::list))
        .route("/admin/flows/{id}", get(flows::show))
        .route("/admin/flows/{id}/preview", get(flows::preview))
        .route("/admin/flows/{id}/diff", get(flows::diff))
        .route("/admin/flows/{id}/draft", post(flows::new_draft))
        .route("/admin/flows/{id}/questions", post(flows::add_question))
        .route(
            "/admin/flows/{id}/questions/{question}",
            post(flows::edit_question),
        )
        .route(
            "/admin/flows/{id}/questions/{question}/move",
            post(flows::move_question),
        )
        .route(
            "/admin/flows/{id}/questions/{question}/delete",
            post(flows::delete_question),
        )
        .route("/admin/flows/{id}/validate", post(flows::validate))
        .route("/admin/flows/{id}/publish", post(flows::publish))
        .route("/admin/flows/{id}/rollback", post(flows::rollback))
        .route("/admin/assignments", post(flows::assign))
        .route("/admin/agencies", get(pages::agencies))
        .route("/admin/agencies/import", post(pages::import_agencies))
        .route(
            "/admin/subscriptions",
            get(pages::subscriptions).post(pages::issue_code),
        )
        .route("/admin/audit", get(pages::audit))
        .with_state(console)
}

/// The signed-in user of a request, with the session's CSRF token.
pub struct Signed {
    pub user: User,
    pub csrf: String,
}

impl Console {
    pub fn t(&self, id: &str, args: &[(&str, String)]) -> String {
        self.locales.text(self.lang, id, args)
    }

    /// The session of a request, or a redirect to the sign-in page.
    pub async fn signed(&self, headers: &HeaderMap) -> Result<Signed, Response> {
        let Some(token) = cookie(headers, SESSION_COOKIE) else {
            return Err(Redirect::to("/admin/login").into_response());
        };
        match self
            .db
            .web_session(&auth::token_hash(&token), self.clock.now())
            .await
        {
            Ok(Some((user, csrf))) => Ok(Signed { user, csrf }),
            Ok(None) => Err(Redirect::to("/admin/login").into_response()),
            Err(err) => Err(self.failure(err)),
        }
    }

    /// The session of a form post whose CSRF token matches, and whose user may change things.
    pub async fn acting(&self, headers: &HeaderMap, fields: &Fields) -> Result<Signed, Response> {
        let signed = self.signed(headers).await?;
        let given = fields.get("csrf").map(String::as_str).unwrap_or_default();
        if !crate::http::constant_time_eq(given.as_bytes(), signed.csrf.as_bytes()) {
            return Err(self.forbidden("admin-error-csrf"));
        }
        if signed.user.role == Role::Viewer {
            return Err(self.forbidden("admin-error-viewer"));
        }
        Ok(signed)
    }

    pub fn forbidden(&self, id: &str) -> Response {
        (
            StatusCode::FORBIDDEN,
            Html(self.page(
                None,
                &self.t("admin-forbidden-title", &[]),
                &format!("<p class=error>{}</p>", esc(&self.t(id, &[]))),
            )),
        )
            .into_response()
    }

    pub fn failure(&self, err: impl std::fmt::Display) -> Response {
        tracing::error!(%err, "console request failed");
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Html(self.page(
                None,
                &self.t("admin-error-title", &[]),
                &format!(
                    "<p class=error>{}</p>",
                    esc(&self.t("http-error-internal", &[]))
                ),
            )),
        )
            .into_response()
    }

    /// A whole page: the navigation (when signed in), a title and the body.
    pub fn page(&self, signed: Option<&Signed>, title: &str, body: &str) -> String {
        let nav = match signed {
            Some(signed) => format!(
                "<nav><a href=/admin/flows>{}</a> <a href=/admin/agencies>{}</a> <a href=/admin/subscriptions>{}</a> <a href=/admin/audit>{}</a> <span class=who>{} ({})</span> <form method=post action=/admin/logout class=inline>{}<button>{}</button></form></nav>",
                esc(&self.t("admin-nav-flows", &[])),
                esc(&self.t("admin-nav-agencies", &[])),
                esc(&self.t("admin-nav-subscriptions", &[])),
                esc(&self.t("admin-nav-audit", &[])),
                esc(&signed.user.login),
                esc(&self.t(&format!("admin-role-{}", signed.user.role.code()), &[])),
                csrf_field(&signed.csrf),
                esc(&self.t("admin-sign-out", &[])),
            ),
            None => String::new(),
        };
        format!(
            "<!doctype html><html lang=vi><head><meta charset=utf-8><meta name=viewport content=\"width=device-width\"><title>{title} · SIPAS</title><style>{STYLE}</style></head><body>{nav}<main><h1>{title}</h1>{body}</main></body></html>",
            title = esc(title),
        )
    }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;color:#212529}nav{background:#0d6efd;padding:.6em 1em}nav a{color:#fff;margin-right:1em;text-decoration:none}nav .who{color:#e7f1ff;margin:0 1em}main{padding:1em 2em;max-width:70em}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #dee2e6;padding:.35em;text-align:left;vertical-align:top}.error{color:#b02a37}.ok{color:#146c43}.inline{display:inline}input[type=text],textarea,select{width:100%;box-sizing:border-box;font:inherit}textarea{min-height:3em}button{margin:.2em 0}.preview{border:1px solid #dee2e6;border-radius:.5em;padding:.6em;margin:.6em 0;max-width:26em}.preview .btn{display:block;border:1px solid #0d6efd;border-radius:.3em;margin:.2em 0;padding:.2em .5em;color:#0d6efd}.tag{font-size:.85em;background:#e9ecef;border-radius:.3em;padding:0 .4em}del{color:#b02a37}ins{color:#146c43}";

/// Escapes text for HTML content and attribute values.
pub fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

pub fn csrf_field(token: &str) -> String {
    format!("<input type=hidden name=csrf value=\"{}\">", esc(token))
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_string())
}

fn set_cookie(name: &str, value: &str, max_age: i64) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age={max_age}"
    ))
    .expect("a valid cookie")
}

fn login_form(console: &Console, csrf: &str, message: Option<&str>) -> String {
    let message = message.map_or(String::new(), |m| format!("<p class=error>{}</p>", esc(m)));
    console.page(
        None,
        &console.t("admin-sign-in-title", &[]),
        &format!(
            "{message}<form method=post action=/admin/login>{}<p><label>{}<input type=text name=login autocomplete=username></label></p><p><label>{}<input type=password name=password autocomplete=current-password></label></p><button>{}</button></form>",
            csrf_field(csrf),
            esc(&console.t("admin-login", &[])),
            esc(&console.t("admin-password", &[])),
            esc(&console.t("admin-sign-in", &[])),
        ),
    )
}

async fn login_page(State(console): State<Console>) -> Response {
    let csrf = auth::new_token();
    let mut response = Html(login_form(&console, &csrf, None)).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LOGIN_CSRF_COOKIE, &csrf, 3600),
    );
    response
}

async fn login(
    State(console): State<Console>,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Response {
    let given = fields.get("csrf").map(String::as_str).unwrap_or_default();
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !crate::http::constant_time_eq(given.as_bytes(), expected.as_bytes())
    {
        return console.forbidden("admin-error-csrf");
    }
    let login = fields
        .get("login")
        .map(|l| l.trim().to_string())
        .unwrap_or_default();
    let password = fields.get("password").cloned().unwrap_or_default();
    let now = console.clock.now();
    let refuse = |id: &str| {
        (
            StatusCode::UNAUTHORIZED,
            Html(login_form(&console, &expected, Some(&console.t(id, &[])))),
        )
            .into_response()
    };
    let user = match console.db.user(&login).await {
        Ok(user) => user,
        Err(err) => return console.failure(err),
    };
    let Some(user) = user else {
        // Same answer as a wrong password: the form does not tell which logins exist.
        return refuse("admin-error-sign-in");
    };
    if user.locked_until.is_some_and(|until| until > now) {
        return refuse("admin-error-locked");
    }
    if !auth::verify_password(&password, &user.password_hash) {
        if let Err(err) = console
            .db
            .record_failed_sign_in(&login, SIGN_IN_LIMIT, Duration::minutes(LOCK_MINUTES), now)
            .await
        {
            return console.failure(err);
        }
        return refuse("admin-error-sign-in");
    }
    let token = auth::new_token();
    let csrf = auth::new_token();
    let stored = async {
        console.db.clear_failed_sign_ins(&login).await?;
        console
            .db
            .create_web_session(
                &auth::token_hash(&token),
                &login,
                &csrf,
                now + Duration::hours(SESSION_HOURS),
                now,
            )
            .await?;
        console
            .db
            .record_audit(&login, "user.sign_in", &login, None, None, now)
            .await
    };
    if let Err(err) = stored.await {
        return console.failure(err);
    }
    let mut response = Redirect::to("/admin/flows").into_response();
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, &token, SESSION_HOURS * 3600),
    );
    headers.append(header::SET_COOKIE, set_cookie(LOGIN_CSRF_COOKIE, "", 0));
    response
}

async fn logout(
    State(console): State<Console>,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Response {
    let signed = match console.signed(&headers).await {
        Ok(signed) => signed,
        Err(response) => return response,
    };
    if fields.get("csrf") != Some(&signed.csrf) {
        return console.forbidden("admin-error-csrf");
    }
    if let Some(token) = cookie(&headers, SESSION_COOKIE)
        && let Err(err) = console
            .db
            .delete_web_session(&auth::token_hash(&token))
            .await
    {
        return console.failure(err);
    }
    let mut response = Redirect::to("/admin/login").into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", 0));
    response
}
