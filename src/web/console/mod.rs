//! The admin console at `/admin`: server-rendered pages in Vietnamese, no JavaScript.
//!
//! Pages are maud templates, which escape every value unless it is explicitly marked as
//! markup; every sentence comes from the locales. Sign-in (`login.rs`) checks an argon2 hash and
//! throttles repeated failures (`throttle.rs`); the session is an HttpOnly, SameSite=Strict
//! cookie (`Secure` behind https) whose token is stored hashed. The extractors in `signed.rs`
//! turn the cookie into the user and check the session's CSRF token on every form post, so
//! handlers never repeat those checks. Viewers only read; managers act on their agency subtree;
//! admins on everything; managers and viewers also only see their subtree (`scope.rs`). Every
//! response carries the security headers of `crate::web::headers`.

mod account;
mod flags;
mod flows;
mod login;
mod pages;
mod results;
mod scope;
mod signed;
mod throttle;
mod zalo;

pub use scope::Scope;
pub use signed::{Acting, NoFields, Posted, Signed};
pub use throttle::Throttle;
pub use zalo::ZaloBanner;

use crate::core::clock::Clock;
use crate::core::flow::Lang;
use crate::core::i18n::Locales;
use crate::services::officials::Officials;
use crate::storage::Db;
use crate::web::error::Failure;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::middleware::{map_response, map_response_with_state};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{DOCTYPE, Markup, html};
use std::sync::Arc;

pub use login::{LOCK_MINUTES, SESSION_HOURS, SIGN_IN_LIMIT};

#[derive(Clone)]
pub struct Console {
    pub db: Db,
    pub locales: Arc<Locales>,
    pub lang: Lang,
    pub clock: Arc<dyn Clock>,
    /// The flow of agencies without an assignment (`SIPAS_FLOW`).
    pub default_flow: String,
    /// Set when the public address is https: cookies get the `Secure` flag.
    pub secure_cookies: bool,
    pub throttle: Arc<Throttle>,
    /// A session unused this long ends (`ADMIN_SESSION_IDLE_MINUTES`, default 60).
    pub session_idle: chrono::Duration,
    /// Computes the results page's summaries, as the officials' groups get them.
    pub officials: Officials,
    /// The Zalo sender's pause, shown as a banner on every page.
    pub zalo_banner: ZaloBanner,
}

pub fn router(console: Console) -> Router {
    Router::new()
        .route("/admin", get(|| async { Redirect::to("/admin/flows") }))
        .route("/admin/login", get(login::login_page).post(login::login))
        .route("/admin/logout", post(login::logout))
        .route("/admin/flows", get(flows::list))
        .route("/admin/flows/{id}", get(flows::editor::show))
        .route("/admin/flows/{id}/preview", get(flows::preview::preview))
        .route("/admin/flows/{id}/diff", get(flows::preview::diff))
        .route("/admin/flows/{id}/draft", post(flows::lifecycle::new_draft))
        .route(
            "/admin/flows/{id}/questions",
            post(flows::editor::add_question),
        )
        .route(
            "/admin/flows/{id}/questions/{question}",
            post(flows::editor::edit_question),
        )
        .route(
            "/admin/flows/{id}/questions/{question}/move",
            post(flows::editor::move_question),
        )
        .route(
            "/admin/flows/{id}/questions/{question}/delete",
            post(flows::editor::delete_question),
        )
        .route(
            "/admin/flows/{id}/validate",
            post(flows::lifecycle::validate),
        )
        .route("/admin/flows/{id}/publish", post(flows::lifecycle::publish))
        .route(
            "/admin/flows/{id}/rollback",
            post(flows::lifecycle::rollback),
        )
        .route("/admin/assignments", post(flows::lifecycle::assign))
        .route("/admin/agencies", get(pages::agencies))
        .route("/admin/agencies/import", post(pages::import_agencies))
        .route(
            "/admin/subscriptions",
            get(pages::subscriptions).post(pages::issue_code),
        )
        .route("/admin/audit", get(pages::audit))
        .route(
            "/admin/password",
            get(account::password_page).post(account::change_password),
        )
        .route("/admin/users", get(account::users))
        .route("/admin/users/{login}/disable", post(account::disable))
        .route("/admin/style.css", get(style))
        .route("/admin/flags", get(flags::list))
        .route("/admin/flags/{id}/clear", post(flags::clear))
        .route("/admin/results", get(results::page))
        .route("/admin/results/chart.png", get(results::chart))
        .route("/admin/results/export.xlsx", get(results::xlsx))
        .route("/admin/results/export.csv", get(results::csv))
        .route("/admin/zalo/resume", post(zalo::resume))
        .layer(axum::middleware::from_fn_with_state(
            console.clone(),
            zalo::refresh,
        ))
        .layer(map_response_with_state(console.clone(), error_page))
        .layer(map_response(crate::web::headers::console_headers))
        .with_state(console)
}

impl Console {
    pub fn t(&self, id: &str, args: &[(&str, String)]) -> String {
        self.locales.text(self.lang, id, args)
    }

    /// A message without arguments.
    pub fn text(&self, id: &str) -> String {
        self.t(id, &[])
    }

    /// A whole page: the navigation (when signed in), a title and the body.
    pub fn page(&self, signed: Option<&Signed>, title: &str, body: Markup) -> Markup {
        html! {
            (DOCTYPE)
            html lang="vi" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width";
                    title { (title) " · SIPAS" }
                    // A file of ours rather than inline, so the CSP needs no 'unsafe-inline'.
                    link rel="stylesheet" href="/admin/style.css";
                }
                body {
                    @if let Some(signed) = signed {
                        nav {
                            a href="/admin/flows" { (self.text("admin-nav-flows")) } " "
                            a href="/admin/agencies" { (self.text("admin-nav-agencies")) } " "
                            a href="/admin/subscriptions" { (self.text("admin-nav-subscriptions")) } " "
                            a href="/admin/audit" { (self.text("admin-nav-audit")) } " "
                            @if signed.user.role == crate::storage::Role::Admin {
                                a href="/admin/users" { (self.text("admin-nav-users")) } " "
                            }
                            a href="/admin/password" { (self.text("admin-nav-password")) } " "
                            a href="/admin/flags" { (self.text("admin-nav-flags")) } " "
                            a href="/admin/results" { (self.text("admin-nav-results")) } " "
                            span class="who" {
                                (signed.user.login) " ("
                                (self.text(&format!("admin-role-{}", signed.user.role.code())))
                                ")"
                            } " "
                            form method="post" action="/admin/logout" class="inline" {
                                (csrf_field(&signed.csrf))
                                button { (self.text("admin-sign-out")) }
                            }
                        }
                    }
                    @if let Some(signed) = signed {
                        (zalo::banner(
                            self,
                            Some(&signed.csrf),
                            signed.user.role == crate::storage::Role::Admin,
                        ))
                    }
                    main {
                        h1 { (title) }
                        (body)
                    }
                }
            }
        }
    }
}

/// The hidden field that carries the session's CSRF token in every form.
pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}

/// A path segment with everything but unreserved characters percent-encoded, so an odd id
/// cannot change which route a form posts to.
pub fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push('%');
            out.push_str(&hex::encode_upper([byte]));
        }
    }
    out
}

/// The console's stylesheet, the one resource its pages load.
async fn style() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE)
}

/// Renders an [`crate::web::HttpError`] as the console's error page.
async fn error_page(State(console): State<Console>, response: Response) -> Response {
    let Some(failure) = response.extensions().get::<Failure>().cloned() else {
        return response;
    };
    let status = response.status();
    let page = match status {
        StatusCode::NOT_FOUND => console.page(None, &console.text("admin-not-found"), html! {}),
        _ => {
            let title = match status {
                StatusCode::FORBIDDEN => "admin-forbidden-title",
                _ => "admin-error-title",
            };
            let message = failure.text(&console.locales, console.lang);
            console.page(
                None,
                &console.text(title),
                html! { p class="error" { (message) } },
            )
        }
    };
    (status, page).into_response()
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;color:#212529}nav{background:#0d6efd;padding:.6em 1em}nav a{color:#fff;margin-right:1em;text-decoration:none}nav .who{color:#e7f1ff;margin:0 1em}main{padding:1em 2em;max-width:70em}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #dee2e6;padding:.35em;text-align:left;vertical-align:top}.error{color:#b02a37}.ok{color:#146c43}.inline{display:inline}input[type=text],textarea,select{width:100%;box-sizing:border-box;font:inherit}textarea{min-height:3em}button{margin:.2em 0}.preview{border:1px solid #dee2e6;border-radius:.5em;padding:.6em;margin:.6em 0;max-width:26em}.preview .btn{display:block;border:1px solid #0d6efd;border-radius:.3em;margin:.2em 0;padding:.2em .5em;color:#0d6efd}tr.weak{background:#f8d7da}.tag{font-size:.85em;background:#e9ecef;border-radius:.3em;padding:0 .4em}del{color:#b02a37}ins{color:#146c43}";
