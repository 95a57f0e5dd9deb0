//! Accounts: changing one's own password (required at the first sign-in with a password printed
//! by `admin add`) and, for admins, the list of users and disabling one, which ends all of their
//! sessions at once.

use super::{Console, NoFields, Posted, Signed, csrf_field};
use crate::services::admin::auth;
use crate::web::HttpError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

/// The shortest password a user may choose (the printed ones have 16 characters).
pub const MIN_PASSWORD_CHARS: usize = 12;

fn password_form(console: &Console, signed: &Signed, must: bool, notice: Markup) -> Markup {
    let min = MIN_PASSWORD_CHARS.to_string();
    console.page(
        Some(signed),
        &console.text("admin-password-title"),
        html! {
            @if must {
                p id="must-change" { (console.text("admin-password-must-change")) }
            }
            (notice)
            form method="post" action="/admin/password" {
                (csrf_field(&signed.csrf))
                p { label { (console.text("admin-password-current")) input type="password" name="current" autocomplete="current-password"; } }
                p { label { (console.t("admin-password-new", &[("min", min)])) input type="password" name="new" autocomplete="new-password"; } }
                p { label { (console.text("admin-password-repeat")) input type="password" name="repeat" autocomplete="new-password"; } }
                button { (console.text("admin-password-title")) }
            }
        },
    )
}

async fn must_change(console: &Console, login: &str) -> Result<bool, HttpError> {
    Ok(console
        .db
        .account(login)
        .await?
        .is_some_and(|account| account.must_change_password))
}

pub async fn password_page(
    State(console): State<Console>,
    signed: Signed,
) -> Result<Markup, HttpError> {
    let must = must_change(&console, &signed.user.login).await?;
    Ok(password_form(&console, &signed, must, html! {}))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    current: String,
    new: String,
    repeat: String,
}

pub async fn change_password(
    State(console): State<Console>,
    Posted { signed, form }: Posted<PasswordForm>,
) -> Result<Response, HttpError> {
    let hash = signed.user.password_hash.clone();
    let current_ok = auth::verify_password_off_thread(form.current.clone(), Some(hash)).await;
    let problem = if !current_ok {
        Some("admin-error-password-current")
    } else if form.new.chars().count() < MIN_PASSWORD_CHARS {
        Some("admin-error-password-short")
    } else if form.new == form.current {
        Some("admin-error-password-same")
    } else if form.new != form.repeat {
        Some("admin-error-password-repeat")
    } else {
        None
    };
    if let Some(problem) = problem {
        let must = must_change(&console, &signed.user.login).await?;
        let min = MIN_PASSWORD_CHARS.to_string();
        let notice = html! { p class="error" { (console.t(problem, &[("min", min)])) } };
        let page = password_form(&console, &signed, must, notice);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let hash = auth::hash_password_off_thread(form.new).await;
    console
        .db
        .set_password(
            &signed.user.login,
            &hash,
            &auth::token_hash(&signed.token),
            console.clock.now(),
        )
        .await?;
    Ok(Redirect::to("/admin/flows").into_response())
}

pub async fn users(State(console): State<Console>, signed: Signed) -> Result<Markup, HttpError> {
    signed.admin_only()?;
    render_users(&console, &signed, html! {}).await
}

async fn render_users(
    console: &Console,
    signed: &Signed,
    notice: Markup,
) -> Result<Markup, HttpError> {
    let accounts = console.db.accounts().await?;
    let body = html! {
        (notice)
        table id="users" {
            tr {
                th { (console.text("admin-login")) }
                th { (console.text("admin-role")) }
                th { (console.text("admin-agency")) }
                th { (console.text("admin-status")) }
                th {}
            }
            @for account in &accounts {
                @let user = &account.user;
                tr class="user" data-login=(user.login) {
                    td { (user.login) }
                    td { (console.text(&format!("admin-role-{}", user.role.code()))) }
                    td { (user.agency_code.as_deref().unwrap_or("*")) }
                    td {
                        (console.text(if account.disabled { "admin-user-disabled" } else { "admin-user-active" }))
                    }
                    td {
                        @if !account.disabled && user.login != signed.user.login {
                            form method="post" action={ "/admin/users/" (super::segment(&user.login)) "/disable" } class="inline" {
                                (csrf_field(&signed.csrf))
                                button { (console.text("admin-disable")) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(console.page(Some(signed), &console.text("admin-users-title"), body))
}

pub async fn disable(
    State(console): State<Console>,
    Path(login): Path<String>,
    Posted { signed, .. }: Posted<NoFields>,
) -> Result<Markup, HttpError> {
    signed.admin_only()?;
    if login == signed.user.login {
        return Err(HttpError::Forbidden("admin-error-disable-self"));
    }
    if !console
        .db
        .disable_user(&login, &signed.user.login, console.clock.now())
        .await?
    {
        return Err(HttpError::NotFound("admin-not-found"));
    }
    let notice = html! {
        p class="ok" id="disabled" { (console.t("admin-user-disabled-done", &[("login", login)])) }
    };
    render_users(&console, &signed, notice).await
}
