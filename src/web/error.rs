//! One error type for the HTTP API and the admin console.
//!
//! Each variant maps to one status code. Internal details (storage failures) are logged here and
//! never reach the client. `IntoResponse` knows no locale, so it leaves a [`Failure`] in the
//! response's extensions; each router's `map_response` layer, which has the locales, turns it
//! into the body its clients expect: the API a JSON `{"error": code, "message": …}`, the console
//! its error page.

use crate::core::flow::Lang;
use crate::core::i18n::Locales;
use crate::services::intake::FieldError;
use crate::storage::{LifecycleError, StorageError};
use axum::Json;
use axum::extract::rejection::FormRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The console needs a session: the browser is sent to the sign-in page.
    #[error("not signed in")]
    SignIn,
    /// Signed in with a password that must be changed first: the browser is sent to change it.
    #[error("password must be changed")]
    PasswordChange,
    /// A console request that cannot be carried out as asked; the locale message id says why
    /// and its arguments fill it in.
    #[error("refused: {0}")]
    Refused(&'static str, Vec<(&'static str, String)>),
    /// The intake token is missing or wrong.
    #[error("missing or wrong bearer token")]
    Unauthorized,
    /// An intake client posted a notice for an agency outside its subtree: (agency, subtree).
    #[error("agency {0} outside the client's subtree {1}")]
    AgencyNotAllowed(String, String),
    /// A notice for a stored dossier code from a client whose scope does not cover the stored
    /// dossier's agency: 409, no invitation data.
    #[error("dossier exists")]
    DossierExists,
    /// A notice for a stored dossier code whose content differs in these fields: 409, nothing
    /// changed.
    #[error("dossier differs in {0:?}")]
    DossierDiffers(Vec<&'static str>),
    /// Signed in, but not allowed; the locale message id says why.
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// Nothing at this address; the locale message id says what.
    #[error("not found: {0}")]
    NotFound(&'static str),
    /// A console form that cannot be read (wrong content type or encoding).
    #[error("unreadable form: {0}")]
    Form(#[from] FormRejection),
    /// A notice that is not JSON at all.
    #[error("invalid JSON: {0}")]
    InvalidJson(String),
    /// A notice whose fields are missing or wrong, every one of them.
    #[error("invalid notice")]
    InvalidNotice(Vec<FieldError>),
    /// A webhook body that is not a Telegram update.
    #[error("invalid update: {0}")]
    InvalidUpdate(String),
    /// The configured or assigned flow is not stored: a deployment mistake.
    #[error("unknown flow {0}")]
    UnknownFlow(String),
    /// An intake client sent more notices than its rate; it may retry after this many seconds.
    #[error("rate limited")]
    RateLimited(u64),
    /// An intake request took longer than `INTAKE_TIMEOUT_SECONDS` (408 while its body was
    /// still arriving, 503 while we were answering).
    #[error("timed out ({0})")]
    TimedOut(StatusCode),
    /// A QR code could not be drawn.
    #[error("QR code failed")]
    Qr,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<sqlx::Error> for HttpError {
    fn from(err: sqlx::Error) -> Self {
        HttpError::Storage(err.into())
    }
}

impl From<LifecycleError> for HttpError {
    fn from(err: LifecycleError) -> Self {
        match err {
            LifecycleError::Storage(err) => HttpError::Storage(err),
            LifecycleError::Published(_) => HttpError::Forbidden("admin-error-published"),
            LifecycleError::NotValidated(_) => HttpError::Forbidden("admin-error-not-validated"),
            LifecycleError::NothingPublished(flow) => {
                HttpError::Refused("admin-error-unpublished-flow", vec![("flow", flow)])
            }
            LifecycleError::OwnedElsewhere(_) => HttpError::Forbidden("admin-error-not-yours"),
            LifecycleError::NeverPublished(_) | LifecycleError::Unknown(_) => {
                HttpError::Forbidden("admin-not-found")
            }
        }
    }
}

/// What went wrong, left in a response's extensions for the router's layer to render.
#[derive(Debug, Clone)]
pub struct Failure {
    /// A stable code for programs.
    pub code: &'static str,
    /// The sentence for people, as a locale message and its arguments…
    pub message: &'static str,
    pub args: Vec<(&'static str, String)>,
    /// …or, for a parser's own words, the text itself.
    pub detail: Option<String>,
    /// Each wrong field of a notice and the locale message saying why.
    pub fields: Vec<(String, &'static str)>,
}

impl Failure {
    fn new(code: &'static str, message: &'static str) -> Failure {
        Failure {
            code,
            message,
            args: Vec::new(),
            detail: None,
            fields: Vec::new(),
        }
    }

    /// The sentence for people, in `lang`.
    pub fn text(&self, locales: &Locales, lang: Lang) -> String {
        if let Some(detail) = &self.detail {
            return detail.clone();
        }
        if !self.fields.is_empty() {
            return self
                .fields
                .iter()
                .map(|(field, reason)| format!("{field}: {}", locales.text(lang, reason, &[])))
                .collect::<Vec<_>>()
                .join("; ");
        }
        let args: Vec<(&str, String)> = self.args.iter().map(|(k, v)| (*k, v.clone())).collect();
        locales.text(lang, self.message, &args)
    }

    /// The API's JSON body: `{"error": code, "message": …}` (and `fields` for a notice).
    pub fn json(&self, status: StatusCode, locales: &Locales, lang: Lang) -> Response {
        let message = self.text(locales, lang);
        let body = if self.fields.is_empty() {
            serde_json::json!({ "error": self.code, "message": message })
        } else {
            let fields: Vec<serde_json::Value> = self
                .fields
                .iter()
                .map(|(field, reason)| {
                    serde_json::json!({ "field": field, "message": locales.text(lang, reason, &[]) })
                })
                .collect();
            serde_json::json!({ "error": self.code, "message": message, "fields": fields })
        };
        (status, Json(body)).into_response()
    }
}

impl HttpError {
    pub fn status(&self) -> StatusCode {
        match self {
            HttpError::SignIn | HttpError::PasswordChange => StatusCode::SEE_OTHER,
            HttpError::Refused(..) => StatusCode::UNPROCESSABLE_ENTITY,
            HttpError::Unauthorized => StatusCode::UNAUTHORIZED,
            HttpError::Forbidden(_) | HttpError::AgencyNotAllowed(..) => StatusCode::FORBIDDEN,
            HttpError::NotFound(_) => StatusCode::NOT_FOUND,
            HttpError::DossierExists | HttpError::DossierDiffers(_) => StatusCode::CONFLICT,
            HttpError::Form(rejection) => rejection.status(),
            HttpError::InvalidJson(_) | HttpError::InvalidUpdate(_) => StatusCode::BAD_REQUEST,
            HttpError::InvalidNotice(_) => StatusCode::UNPROCESSABLE_ENTITY,
            HttpError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            HttpError::TimedOut(status) => *status,
            HttpError::UnknownFlow(_) | HttpError::Qr => StatusCode::INTERNAL_SERVER_ERROR,
            HttpError::Storage(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn failure(self) -> Failure {
        match self {
            // Answered by a redirect before a failure is needed.
            HttpError::SignIn => Failure::new("sign_in", "admin-sign-in-title"),
            HttpError::PasswordChange => Failure::new("password_change", "admin-password-title"),
            HttpError::Refused(id, args) => Failure {
                args,
                ..Failure::new("refused", id)
            },
            HttpError::Unauthorized => Failure::new("unauthorized", "http-error-unauthorized"),
            HttpError::Forbidden(id) => Failure::new("forbidden", id),
            HttpError::AgencyNotAllowed(agency, scope) => Failure {
                args: vec![("agency", agency), ("scope", scope)],
                ..Failure::new("agency_not_allowed", "http-error-agency-not-allowed")
            },
            HttpError::NotFound(id) => Failure::new("not_found", id),
            HttpError::DossierExists => Failure::new("dossier_exists", "http-error-dossier-exists"),
            HttpError::DossierDiffers(fields) => Failure {
                fields: fields
                    .into_iter()
                    .map(|field| (field.to_string(), "http-error-dossier-field-differs"))
                    .collect(),
                ..Failure::new("dossier_differs", "http-error-dossier-differs")
            },
            HttpError::Form(_) => Failure::new("invalid_form", "admin-error-csrf"),
            HttpError::InvalidJson(detail) => Failure {
                args: vec![("detail", detail)],
                ..Failure::new("invalid_json", "http-error-invalid-json")
            },
            HttpError::InvalidNotice(errors) => Failure {
                fields: errors.into_iter().map(|e| (e.field, e.reason)).collect(),
                ..Failure::new("invalid_notice", "http-error-internal")
            },
            HttpError::InvalidUpdate(detail) => Failure {
                detail: Some(detail),
                ..Failure::new("invalid_update", "http-error-internal")
            },
            HttpError::UnknownFlow(flow) => Failure {
                args: vec![("flow", flow)],
                ..Failure::new("unknown_flow", "error-unknown-flow")
            },
            HttpError::RateLimited(seconds) => Failure {
                args: vec![("seconds", seconds.to_string())],
                ..Failure::new("rate_limited", "http-error-rate-limited")
            },
            HttpError::TimedOut(_) => Failure::new("timed_out", "http-error-timed-out"),
            HttpError::Qr => Failure::new("qr_failed", "http-error-internal"),
            HttpError::Storage(_) => Failure::new("storage_unavailable", "http-error-internal"),
        }
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        match self {
            HttpError::SignIn => return Redirect::to("/admin/login").into_response(),
            HttpError::PasswordChange => return Redirect::to("/admin/password").into_response(),
            _ => {}
        }
        let status = self.status();
        if status.is_server_error() {
            // The details stay in the log; the client reads a sentence without them.
            tracing::error!(err = %self, "request failed");
        }
        let retry_after = match &self {
            HttpError::RateLimited(seconds) => Some(*seconds),
            _ => None,
        };
        let mut response = status.into_response();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response.extensions_mut().insert(self.failure());
        response
    }
}

/// Compares secrets in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::intake::FieldError;

    /// The response an API client receives for `err`: the status and the JSON body.
    async fn api_body(err: HttpError) -> (StatusCode, serde_json::Value) {
        let response = err.into_response();
        let failure = response.extensions().get::<Failure>().cloned().unwrap();
        let response = failure.json(response.status(), &Locales::load(), Lang::Vi);
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn storage_failures_answer_503_without_their_details() {
        let err = HttpError::Storage(StorageError::Corrupt("row 7 of /srv/sipas.db".into()));
        let (status, body) = api_body(err).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["error"], "storage_unavailable");
        let text = Locales::load().text(Lang::Vi, "http-error-internal", &[]);
        assert_eq!(body["message"], text.as_str());
        assert!(!body.to_string().contains("sipas.db"), "{body}");
    }

    #[tokio::test]
    async fn each_variant_keeps_its_status_and_code() {
        for (err, status, code) in [
            (HttpError::Unauthorized, 401, "unauthorized"),
            (HttpError::Forbidden("admin-error-csrf"), 403, "forbidden"),
            (
                HttpError::AgencyNotAllowed("T14.H03".into(), "T14.H02".into()),
                403,
                "agency_not_allowed",
            ),
            (HttpError::NotFound("invitation-unknown"), 404, "not_found"),
            (HttpError::InvalidJson("eof".into()), 400, "invalid_json"),
            (
                HttpError::InvalidUpdate("eof".into()),
                400,
                "invalid_update",
            ),
            (HttpError::UnknownFlow("x".into()), 500, "unknown_flow"),
            (HttpError::Qr, 500, "qr_failed"),
        ] {
            let (got, body) = api_body(err).await;
            assert_eq!((got.as_u16(), body["error"].as_str()), (status, Some(code)));
            assert!(!body["message"].as_str().unwrap().is_empty(), "{body}");
        }
    }

    #[tokio::test]
    async fn an_invalid_notice_names_every_field() {
        let err = HttpError::InvalidNotice(vec![
            FieldError {
                field: "dossier_code".into(),
                reason: "http-error-internal",
            },
            FieldError {
                field: "agency_code".into(),
                reason: "http-error-internal",
            },
        ]);
        let (status, body) = api_body(err).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["fields"].as_array().unwrap().len(), 2);
        let message = body["message"].as_str().unwrap();
        assert!(message.starts_with("dossier_code: ") && message.contains("; agency_code: "));
    }

    #[test]
    fn no_session_sends_the_browser_to_sign_in() {
        let response = HttpError::SignIn.into_response();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(response.headers()["location"], "/admin/login");
    }
}
