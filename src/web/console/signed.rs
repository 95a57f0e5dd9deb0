//! Who is asking: the extractors every console handler starts from.
//!
//! [`Signed`] turns the session cookie into the signed-in user, or sends the browser to the
//! sign-in page; a user whose password was printed by `admin add` is sent to change it first,
//! whatever page they ask for. [`Posted`] adds what every state-changing request needs: the form, typed, and
//! the session's CSRF token checked against the one it carries. [`Acting`] also refuses viewers,
//! who only read. Handlers take one of them and never repeat these checks.

use super::Console;
use crate::services::admin::auth;
use crate::storage::{Role, User};
use crate::web::{HttpError, constant_time_eq};
use axum::extract::{Form, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use serde::Deserialize;
use serde::de::DeserializeOwned;

pub const SESSION_COOKIE: &str = "sipas_session";
pub const LOGIN_CSRF_COOKIE: &str = "sipas_login_csrf";
/// A device that signed in before (see `throttle.rs`): its token's SHA-256 is stored.
pub const DEVICE_COOKIE: &str = "sipas_device";
/// What a user who must change their password may still reach.
const PASSWORD_CHANGE_PATHS: [&str; 2] = ["/admin/password", "/admin/logout"];

/// The signed-in user of a request, with the session's CSRF token.
pub struct Signed {
    pub user: User,
    pub csrf: String,
    /// The session cookie's value, to end the session on sign-out.
    pub token: String,
}

impl FromRequestParts<Console> for Signed {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, console: &Console) -> Result<Self, HttpError> {
        let token = cookie(&parts.headers, SESSION_COOKIE).ok_or(HttpError::SignIn)?;
        let hash = auth::token_hash(&token);
        let now = console.clock.now();
        let session = console
            .db
            .web_session(&hash, now)
            .await?
            .ok_or(HttpError::SignIn)?;
        // Unused for `ADMIN_SESSION_IDLE_MINUTES`: the session ends. Otherwise its use is
        // recorded, at most once a minute (a write per page would be wasted on SQLite).
        if now - session.last_seen >= console.session_idle {
            console.db.delete_web_session(&hash).await?;
            return Err(HttpError::SignIn);
        }
        if now - session.last_seen >= chrono::Duration::minutes(1) {
            console.db.touch_web_session(&hash, now).await?;
        }
        if session.must_change_password && !PASSWORD_CHANGE_PATHS.contains(&parts.uri.path()) {
            return Err(HttpError::PasswordChange);
        }
        Ok(Signed {
            user: session.user,
            csrf: session.csrf,
            token,
        })
    }
}

/// A form posted by a signed-in user, its CSRF token checked.
pub struct Posted<F> {
    pub signed: Signed,
    pub form: F,
}

/// The token every form carries beside its own fields.
#[derive(Deserialize)]
struct WithCsrf<F> {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    form: F,
}

/// The form of a button that only carries the CSRF token.
#[derive(Deserialize, Default)]
pub struct NoFields {}

impl<F: DeserializeOwned + Send> FromRequest<Console> for Posted<F> {
    type Rejection = HttpError;

    async fn from_request(request: Request, console: &Console) -> Result<Self, HttpError> {
        let (mut parts, body) = request.into_parts();
        let signed = Signed::from_request_parts(&mut parts, console).await?;
        let Form(posted) =
            Form::<WithCsrf<F>>::from_request(Request::from_parts(parts, body), console).await?;
        if !constant_time_eq(posted.csrf.as_bytes(), signed.csrf.as_bytes()) {
            return Err(HttpError::Forbidden("admin-error-csrf"));
        }
        Ok(Posted {
            signed,
            form: posted.form,
        })
    }
}

/// A form posted by a user who may change things (a manager or an admin).
pub struct Acting<F> {
    pub signed: Signed,
    pub form: F,
}

impl<F: DeserializeOwned + Send> FromRequest<Console> for Acting<F> {
    type Rejection = HttpError;

    async fn from_request(request: Request, console: &Console) -> Result<Self, HttpError> {
        let Posted { signed, form } = Posted::from_request(request, console).await?;
        if signed.user.role == Role::Viewer {
            return Err(HttpError::Forbidden("admin-error-viewer"));
        }
        Ok(Acting { signed, form })
    }
}

impl Signed {
    /// Refuses everyone but admins.
    pub fn admin_only(&self) -> Result<(), HttpError> {
        match self.user.role {
            Role::Admin => Ok(()),
            _ => Err(HttpError::Forbidden("admin-error-admin-only")),
        }
    }
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_string())
}

impl Console {
    /// A console cookie; `Secure` whenever the public address is https, so the browser never
    /// sends the session over plain HTTP.
    pub fn cookie(&self, name: &str, value: &str, max_age: i64) -> HeaderValue {
        let secure = if self.secure_cookies { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{name}={value}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
        ))
        .expect("a valid cookie")
    }
}
