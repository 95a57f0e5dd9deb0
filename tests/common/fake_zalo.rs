//! A fake Zalo API server for tests: the OA Open API (consultation and template messages), the
//! business API (template by phone, rating query) and the OAuth server, on one loopback port.
//!
//! It speaks the real protocol as far as it is known: the bare `access_token` header, errors as
//! HTTP 200 with `{"error": <negative>, "message"}`, the refresh as a form body with the
//! `secret_key` header and a string `expires_in`. Refresh tokens are single-use and rotate: a
//! spent one is refused and counted ([`FakeZalo::reused_refresh_tokens`]), so a test sees a
//! broken chain. Error codes can be queued per path (so on either host: the OA host's paths
//! start with `/v3.0/oa/`, the business host's are `/message/template` and `/rating/get`), and
//! the access tokens can be expired.
//!
//! It refuses what the real API refuses: a call without the `access_token` header (-216), a JSON
//! body or missing query parameters on `rating/get` (-201; `limit` at most 10,000), a template by
//! user id with a `recipient` wrapper or a `tracking_id` (-201). A template by user id answers
//! `data.message_id`, one by phone `data.msg_id`, as Zalo does.
//!
//! Include it with `#[path = "common/fake_zalo.rs"] mod fake_zalo;`.
#![allow(dead_code)]

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Json;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

pub const APP_ID: &str = "1234567890";
pub const APP_SECRET: &str = "fake-app-secret";
pub const OA_ID: &str = "4455667788";
pub const OA_SECRET_KEY: &str = "fake-oa-secret-key";
/// The refresh token the OA's authorization gave: `ZALO_REFRESH_TOKEN`.
pub const FIRST_REFRESH_TOKEN: &str = "rt-0";
/// `SIPAS_SECRET_KEY`: seals the tokens in the test databases.
pub const SECRET_KEY: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

const WAIT_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_BUTTONS: usize = 5;
const MAX_TEXT_CHARS: usize = 2000;

/// One request the bot made.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub path: String,
    pub method: String,
    /// The query string's parameters.
    pub query: HashMap<String, String>,
    pub access_token: Option<String>,
    /// The JSON body, or the form fields as a JSON object.
    pub body: Value,
    /// The `error` code answered: 0 for a success.
    pub error: i64,
}

#[derive(Default)]
struct Inner {
    calls: Vec<Call>,
    valid_access: HashSet<String>,
    live_refresh: String,
    spent_refresh: HashSet<String>,
    reused_refresh: usize,
    generation: u64,
    queued_errors: HashMap<String, VecDeque<i64>>,
    ratings: Vec<Value>,
    hold_refresh: Option<Duration>,
    /// What `GET /v2.0/oa/getoa` answers as `data`.
    profile: Value,
    /// What `GET /template/info` answers as `data`, per template id.
    templates: HashMap<String, Value>,
    /// Every refresh token is refused, answered with this HTTP status.
    revoked: Option<u16>,
    next_message: u64,
    answered_message_ids: Vec<String>,
}

struct Shared {
    inner: Mutex<Inner>,
    changed: Notify,
    refresh_arrived: Notify,
}

#[derive(Clone)]
pub struct FakeZalo {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl FakeZalo {
    pub async fn start() -> FakeZalo {
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner {
                live_refresh: FIRST_REFRESH_TOKEN.to_string(),
                profile: json!({"oa_id": OA_ID, "name": "UBND Phường Mẫu", "is_verified": true,
                    "package_name": "Gói Nâng cao"}),
                ..Inner::default()
            }),
            changed: Notify::new(),
            refresh_arrived: Notify::new(),
        });
        let app = Router::new()
            .route("/v4/oa/access_token", axum::routing::post(refresh))
            .fallback(axum::routing::any(api_call))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeZalo { addr, shared }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The `ZALO_*` settings pointing every API at this fake.
    pub fn env(&self) -> HashMap<String, String> {
        HashMap::from([
            ("ZALO_APP_ID".into(), APP_ID.into()),
            ("ZALO_APP_SECRET".into(), APP_SECRET.into()),
            ("ZALO_OA_ID".into(), OA_ID.into()),
            ("ZALO_OA_SECRET_KEY".into(), OA_SECRET_KEY.into()),
            ("ZALO_REFRESH_TOKEN".into(), FIRST_REFRESH_TOKEN.into()),
            ("ZALO_API_URL".into(), self.url()),
            ("ZALO_OAUTH_URL".into(), self.url()),
            ("ZALO_BUSINESS_API_URL".into(), self.url()),
            ("SIPAS_SECRET_KEY".into(), SECRET_KEY.into()),
        ])
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.shared.inner.lock().unwrap()
    }

    /// Every call to `path` so far.
    pub fn calls(&self, path: &str) -> Vec<Call> {
        self.lock()
            .calls
            .iter()
            .filter(|c| c.path == path)
            .cloned()
            .collect()
    }

    /// Waits until `path` has been called `count` times; panics after 10 seconds.
    pub async fn wait_for_calls(&self, path: &str, count: usize) -> Vec<Call> {
        let wait = async {
            loop {
                let notified = self.shared.changed.notified();
                let calls = self.calls(path);
                if calls.len() >= count {
                    return calls;
                }
                notified.await;
            }
        };
        tokio::time::timeout(WAIT_TIMEOUT, wait)
            .await
            .unwrap_or_else(|_| panic!("{path} was not called {count} times"))
    }

    /// Makes the next call to `path` answer `code` (after the token check).
    pub fn fail_next(&self, path: &str, code: i64) {
        self.lock()
            .queued_errors
            .entry(path.to_string())
            .or_default()
            .push_back(code);
    }

    /// Every access token issued so far stops working (-216), as when one expires.
    pub fn expire_access_tokens(&self) {
        self.lock().valid_access.clear();
    }

    /// Successful refreshes so far.
    pub fn refreshes(&self) -> u64 {
        self.lock().generation
    }

    /// Times a spent refresh token was presented: a broken chain.
    pub fn reused_refresh_tokens(&self) -> usize {
        self.lock().reused_refresh
    }

    /// The refresh token alive now.
    pub fn live_refresh_token(&self) -> String {
        self.lock().live_refresh.clone()
    }

    /// Holds each refresh's answer (after rotating) until another refresh request arrives or
    /// `hold` passes: it widens the window in which a second instance could spend the same
    /// refresh token, so a missing lock shows as a reused token.
    pub fn hold_refresh(&self, hold: Duration) {
        self.lock().hold_refresh = Some(hold);
    }

    /// The message ids answered to templates sent by user id, oldest first.
    pub fn template_message_ids(&self) -> Vec<String> {
        self.lock().answered_message_ids.clone()
    }

    /// The OA's authorization is withdrawn: every refresh token is refused from now on, with
    /// `{"error": -14014, "error_name": "invalid_grant"}` and HTTP `status` (Zalo's OAuth server
    /// may answer a refusal with a 4xx).
    pub fn revoke_authorization(&self, status: u16) {
        self.lock().revoked = Some(status);
    }

    /// What the OA's profile says (`data` of `GET /v2.0/oa/getoa`).
    pub fn set_profile(&self, profile: Value) {
        self.lock().profile = profile;
    }

    /// Declares a template with `status` (`ENABLE` once approved) and parameters, as
    /// `GET /template/info` answers it.
    pub fn set_template(&self, id: &str, status: &str, params: &[&str]) {
        let list: Vec<Value> = params
            .iter()
            .map(|name| json!({"name": name, "require": true, "type": "STRING", "maxLength": 200}))
            .collect();
        self.lock().templates.insert(
            id.to_string(),
            json!({"templateId": id, "templateName": "Mời đánh giá", "status": status,
                   "listParams": list, "price": "300", "timeout": 7_200_000}),
        );
    }

    /// The OA is authorized again: `refresh_token` is the one alive, and refreshes work again.
    pub fn authorize_again(&self, refresh_token: &str) {
        let mut inner = self.lock();
        inner.revoked = None;
        let old = std::mem::replace(&mut inner.live_refresh, refresh_token.to_string());
        inner.spent_refresh.insert(old);
    }

    /// What the rating query returns.
    pub fn set_ratings(&self, ratings: Vec<Value>) {
        self.lock().ratings = ratings;
    }
}

async fn refresh(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> (axum::http::StatusCode, Json<Value>) {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let secret_ok = headers.get("secret_key").and_then(|v| v.to_str().ok()) == Some(APP_SECRET);
    let presented = form.get("refresh_token").cloned().unwrap_or_default();
    let (answer, hold, status) = {
        let mut inner = shared.inner.lock().unwrap();
        let status = inner.revoked.unwrap_or(200);
        let answer = if inner.revoked.is_some() {
            json!({"error": -14014, "error_name": "invalid_grant",
                   "error_reason": "Refresh token is invalid or expired"})
        } else if !secret_ok
            || form.get("app_id").map(String::as_str) != Some(APP_ID)
            || form.get("grant_type").map(String::as_str) != Some("refresh_token")
        {
            json!({"error": -14002, "message": "Invalid app secret or parameters"})
        } else if presented == inner.live_refresh {
            inner.generation += 1;
            let access = format!("at-{}", inner.generation);
            let refresh = format!("rt-{}", inner.generation);
            let old = std::mem::replace(&mut inner.live_refresh, refresh.clone());
            inner.spent_refresh.insert(old);
            inner.valid_access.insert(access.clone());
            json!({"access_token": access, "refresh_token": refresh, "expires_in": "90000"})
        } else {
            if inner.spent_refresh.contains(&presented) {
                inner.reused_refresh += 1;
            }
            json!({"error": -14014, "message": "Invalid refresh token"})
        };
        let error = answer.get("error").and_then(Value::as_i64).unwrap_or(0);
        inner.calls.push(Call {
            path: "/v4/oa/access_token".into(),
            method: "POST".into(),
            query: HashMap::new(),
            access_token: None,
            body: json!(form),
            error,
        });
        (answer, inner.hold_refresh, status)
    };
    shared.refresh_arrived.notify_waiters();
    shared.changed.notify_waiters();
    if let Some(hold) = hold {
        let _ = tokio::time::timeout(hold, shared.refresh_arrived.notified()).await;
    }
    let status = axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::OK);
    (status, Json(answer))
}

async fn api_call(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    raw_body: Bytes,
) -> Json<Value> {
    let path = uri.path().to_string();
    let query: HashMap<String, String> =
        url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let token = headers
        .get("access_token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body: Value = serde_json::from_slice(&raw_body).unwrap_or(Value::Null);
    let answer = {
        let mut inner = shared.inner.lock().unwrap();
        let queued = inner
            .queued_errors
            .get_mut(&path)
            .and_then(VecDeque::pop_front);
        let answer = if !token
            .as_ref()
            .is_some_and(|t| inner.valid_access.contains(t))
        {
            json!({"error": -216, "message": "Access token is invalid"})
        } else if let Some(code) = queued {
            json!({"error": code, "message": format!("queued error {code}")})
        } else if let Err(problem) = check_shape(&path, &method, &query, &raw_body, &body) {
            json!({"error": -201, "message": problem})
        } else {
            match path.as_str() {
                "/v3.0/oa/message/cs" => match check_cs(&body) {
                    Err(problem) => json!({"error": -201, "message": problem}),
                    Ok(user) => {
                        inner.next_message += 1;
                        json!({"error": 0, "message": "Success", "data": {
                            "message_id": format!("mid-{}", inner.next_message),
                            "user_id": user,
                            "sent_time": "1763870400000"}})
                    }
                },
                "/v3.0/oa/message/template" => {
                    inner.next_message += 1;
                    let id = format!("tmid-{}", inner.next_message);
                    inner.answered_message_ids.push(id.clone());
                    json!({"error": 0, "message": "Success", "data": {
                        "message_id": id,
                        "user_id": body["user_id"],
                        "sent_time": "1763870400000"}})
                }
                "/message/template" => {
                    inner.next_message += 1;
                    json!({"error": 0, "message": "Success", "data": {
                        "msg_id": format!("tmid-{}", inner.next_message),
                        "sent_time": "1763870400000",
                        "quota": {"dailyQuota": "500", "remainingQuota": "499"}}})
                }
                "/rating/get" => json!({"error": 0, "message": "Success", "data": {
                    "total": inner.ratings.len(), "data": inner.ratings.clone()}}),
                "/v2.0/oa/getoa" => json!({"error": 0, "message": "Success",
                    "data": inner.profile.clone()}),
                "/template/info" => match query
                    .get("template_id")
                    .and_then(|id| inner.templates.get(id))
                {
                    Some(info) => json!({"error": 0, "message": "Success", "data": info.clone()}),
                    None => json!({"error": -109, "message": "Template not found"}),
                },
                _ => json!({"error": -404, "message": "unknown endpoint"}),
            }
        };
        inner.calls.push(Call {
            path: path.clone(),
            method: method.to_string(),
            query,
            access_token: token,
            body,
            error: answer["error"].as_i64().unwrap_or(0),
        });
        answer
    };
    shared.changed.notify_waiters();
    Json(answer)
}

/// The shapes the real API insists on, per endpoint.
fn check_shape(
    path: &str,
    method: &Method,
    query: &HashMap<String, String>,
    raw_body: &[u8],
    body: &Value,
) -> Result<(), String> {
    match path {
        "/rating/get" => {
            if !raw_body.is_empty() {
                return Err(
                    "rating/get takes its parameters in the query string, not a body".into(),
                );
            }
            if method != Method::GET && method != Method::POST {
                return Err("rating/get is a GET".into());
            }
            for name in ["template_id", "from_time", "to_time", "offset", "limit"] {
                if !query.contains_key(name) {
                    return Err(format!("missing query parameter {name}"));
                }
            }
            let limit: u64 = query["limit"].parse().map_err(|_| "bad limit")?;
            if limit == 0 || limit > 10_000 {
                return Err("limit must be 1 to 10000".into());
            }
            Ok(())
        }
        "/v3.0/oa/message/template" => {
            if body.get("recipient").is_some() || body.get("tracking_id").is_some() {
                return Err("a template by user id takes user_id at the top level, no recipient and no tracking_id".into());
            }
            if !body["user_id"].is_string()
                || !body["template_id"].is_string()
                || !body["template_data"].is_object()
            {
                return Err("user_id, template_id and template_data are required".into());
            }
            Ok(())
        }
        "/message/template" => {
            if !body["phone"].is_string()
                || !body["template_id"].is_string()
                || !body["template_data"].is_object()
            {
                return Err("phone, template_id and template_data are required".into());
            }
            if body["tracking_id"]
                .as_str()
                .is_some_and(|t| t.chars().count() > 48)
            {
                return Err("tracking_id is longer than 48 characters".into());
            }
            Ok(())
        }
        "/v2.0/oa/getoa" | "/template/info" if method != Method::GET => {
            Err(format!("{path} is a GET"))
        }
        "/v2.0/oa/getoa" | "/template/info" => Ok(()),
        _ if method != Method::POST => Err(format!("{path} is a POST")),
        _ => Ok(()),
    }
}

/// The checks Zalo makes on a consultation message, as far as they are known.
fn check_cs(body: &Value) -> Result<String, String> {
    let user = body["recipient"]["user_id"]
        .as_str()
        .ok_or("recipient.user_id is missing")?;
    let text = body["message"]["text"]
        .as_str()
        .ok_or("message.text is missing")?;
    if text.is_empty() || text.chars().count() > MAX_TEXT_CHARS {
        return Err("message.text is empty or too long".into());
    }
    if let Some(attachment) = body["message"].get("attachment") {
        let buttons = attachment["payload"]["buttons"]
            .as_array()
            .ok_or("attachment.payload.buttons is missing")?;
        if attachment["type"] != "template" || buttons.is_empty() || buttons.len() > MAX_BUTTONS {
            return Err("bad template attachment".into());
        }
        for button in buttons {
            let ok = button["title"].as_str().is_some_and(|t| !t.is_empty())
                && button["payload"].as_str().is_some_and(|p| !p.is_empty())
                && matches!(
                    button["type"].as_str(),
                    Some("oa.query.show" | "oa.query.hide")
                );
            if !ok {
                return Err("bad button".into());
            }
        }
    }
    Ok(user.to_string())
}
