//! The HTTP client of Zalo's APIs: consultation messages, template messages (by user id and by
//! phone), the rating query and the OAuth refresh. It knows the wire formats and nothing of
//! tokens' lifecycle ([`super::token`]) or of the survey.
//!
//! Zalo answers errors with HTTP 200 and a negative `error`; those become [`ZaloError::Api`],
//! tagged with the [`Host`] that answered (the same code means different things on the OA host
//! and the business host). An error body is read whatever the HTTP status, so a refusal that
//! comes with a 4xx is still understood. Shapes marked unconfirmed are each kept in one place.

use super::errors::{Host, ZaloError};
use super::events::Feedback;
use super::messages::{OutboundMessage, cs_body};
use super::phone::PhoneNumber;
use super::settings::{TemplateMode, ZaloSettings};
use crate::settings::config::Secret;
use serde_json::{Value, json};
use std::time::Duration;

/// A whole call, connection included. No database lock or transaction is held across a call
/// (the token refresh holds only a claim row, see [`super::token`]).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(8);

/// How the rating query is sent. Every working public client sends its parameters in the query
/// string, most with GET; should a live OA want POST with the same query string, this is the
/// one line to change.
pub const RATING_METHOD: reqwest::Method = reqwest::Method::GET;

/// The most ratings one page of the rating query may ask for.
pub const MAX_RATING_PAGE: u32 = 10_000;

#[derive(Debug, Clone)]
pub struct ZaloApi {
    http: reqwest::Client,
    api_url: String,
    oauth_url: String,
    business_url: String,
    app_id: String,
    app_secret: Secret,
    template_mode: TemplateMode,
}

/// A message Zalo accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// `data.message_id` (consultation) or `data.msg_id` (template), when given.
    pub message_id: Option<String>,
}

/// A new token pair from the OAuth refresh.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    pub access_token: Secret,
    pub refresh_token: Secret,
    /// Seconds the access token lives (Zalo sends `"90000"`, a string).
    pub expires_in: i64,
}

/// One page of the rating query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatingQuery {
    pub template_id: String,
    /// Epoch milliseconds.
    pub from_time: i64,
    pub to_time: i64,
    pub offset: u32,
    pub limit: u32,
}

impl ZaloApi {
    pub fn new(settings: &ZaloSettings) -> ZaloApi {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .expect("a client with a timeout builds");
        ZaloApi {
            http,
            api_url: settings.api_url.clone(),
            oauth_url: settings.oauth_url.clone(),
            business_url: settings.business_api_url.clone(),
            app_id: settings.app_id.clone(),
            app_secret: settings.app_secret.clone(),
            template_mode: settings.template_mode,
        }
    }

    /// Sends a consultation message (free within 48 hours of the citizen's last interaction).
    pub async fn send_consultation(
        &self,
        access_token: &Secret,
        user_id: &str,
        message: &OutboundMessage,
    ) -> Result<Sent, ZaloError> {
        let url = format!("{}/v3.0/oa/message/cs", self.api_url);
        let data = self
            .post_json(Host::Oa, &url, access_token, &cs_body(user_id, message))
            .await?;
        Ok(Sent {
            message_id: text(&data, "message_id").or_else(|| text(&data, "msg_id")),
        })
    }

    /// Sends an approved template to a follower by user id: a top-level `user_id` beside
    /// `template_id` and `template_data`, no `recipient` wrapper and no `tracking_id` (this path
    /// takes none). The answer's `data.message_id` is what a rating names, so the caller records
    /// it. -249 means the template cannot go by user id: a configuration error.
    pub async fn send_template_to_user(
        &self,
        access_token: &Secret,
        user_id: &str,
        template_id: &str,
        template_data: &Value,
    ) -> Result<Sent, ZaloError> {
        let url = format!("{}/v3.0/oa/message/template", self.api_url);
        let mut body = json!({
            "user_id": user_id,
            "template_id": template_id,
            "template_data": template_data,
        });
        self.template_mode.mark(&mut body);
        let data = self.post_json(Host::Oa, &url, access_token, &body).await?;
        Ok(Sent {
            message_id: text(&data, "message_id").or_else(|| text(&data, "msg_id")),
        })
    }

    /// Sends an approved template by phone number (ZBS template message, the old ZNS format).
    /// `tracking_id` (at most 48 characters) comes back with the delivery receipt and the rating.
    pub async fn send_template_to_phone(
        &self,
        access_token: &Secret,
        phone: &PhoneNumber,
        template_id: &str,
        template_data: &Value,
        tracking_id: &str,
    ) -> Result<Sent, ZaloError> {
        let url = format!("{}/message/template", self.business_url);
        let mut body = json!({
            "phone": phone.as_str(),
            "template_id": template_id,
            "template_data": template_data,
            "tracking_id": tracking_id,
        });
        self.template_mode.mark(&mut body);
        let data = self
            .post_json(Host::Business, &url, access_token, &body)
            .await?;
        Ok(Sent {
            message_id: text(&data, "msg_id"),
        })
    }

    /// The ratings citizens gave through a rating template, one page: `template_id`,
    /// `from_time`, `to_time` (epoch milliseconds), `offset` and `limit` (at most
    /// [`MAX_RATING_PAGE`]) in the query string, never a JSON body. The answer is
    /// `data: {total, data: [{msgId, trackingId, rate, note, feedbacks, submitDate}]}`; the
    /// list is also looked for as `data` itself or `data.items`, leniently.
    pub async fn ratings(
        &self,
        access_token: &Secret,
        query: &RatingQuery,
    ) -> Result<Vec<Feedback>, ZaloError> {
        let url = format!("{}/rating/get", self.business_url);
        let params = [
            ("template_id", query.template_id.clone()),
            ("from_time", query.from_time.to_string()),
            ("to_time", query.to_time.to_string()),
            ("offset", query.offset.to_string()),
            ("limit", query.limit.min(MAX_RATING_PAGE).to_string()),
        ];
        let response = self
            .http
            .request(RATING_METHOD, &url)
            .header("access_token", access_token.expose())
            .query(&params)
            .send()
            .await
            .map_err(transport)?;
        let value = read_json(response).await?;
        check_error(Host::Business, &value)?;
        let data = value.get("data").cloned().unwrap_or(Value::Null);
        let items = match &data {
            Value::Array(items) => items.clone(),
            _ => ["data", "items"]
                .iter()
                .find_map(|key| data.get(key).and_then(Value::as_array).cloned())
                .unwrap_or_default(),
        };
        Ok(items
            .iter()
            .map(|item| {
                let submitted = text(item, "submitDate").unwrap_or_default();
                Feedback::from_value(item, submitted)
            })
            .collect())
    }

    /// The OA's profile (`GET {openapi}/v2.0/oa/getoa`): `data` as Zalo gives it (`oa_id`,
    /// `name`, `is_verified`, and where present the package). Read by `sipas-bot zalo check`.
    pub async fn oa_profile(&self, access_token: &Secret) -> Result<Value, ZaloError> {
        let url = format!("{}/v2.0/oa/getoa", self.api_url);
        self.get_json(Host::Oa, &url, access_token, &[]).await
    }

    /// A template's status, parameters and price (`GET {business}/template/info?template_id=`):
    /// `data` as Zalo gives it (`status` is `ENABLE` once approved, `listParams` its
    /// parameters, `price`). Read by `sipas-bot zalo check`.
    pub async fn template_info(
        &self,
        access_token: &Secret,
        template_id: &str,
    ) -> Result<Value, ZaloError> {
        let url = format!("{}/template/info", self.business_url);
        self.get_json(
            Host::Business,
            &url,
            access_token,
            &[("template_id", template_id)],
        )
        .await
    }

    async fn get_json(
        &self,
        host: Host,
        url: &str,
        access_token: &Secret,
        query: &[(&str, &str)],
    ) -> Result<Value, ZaloError> {
        let response = self
            .http
            .get(url)
            .header("access_token", access_token.expose())
            .query(query)
            .send()
            .await
            .map_err(transport)?;
        let value = read_json(response).await?;
        check_error(host, &value)?;
        Ok(value.get("data").cloned().unwrap_or(Value::Null))
    }

    /// Trades a refresh token for a new pair. The old refresh token dies the moment Zalo
    /// answers: the caller must store the new one before anything else.
    pub async fn refresh(&self, refresh_token: &Secret) -> Result<TokenGrant, ZaloError> {
        let url = format!("{}/v4/oa/access_token", self.oauth_url);
        let form = [
            ("refresh_token", refresh_token.expose()),
            ("app_id", self.app_id.as_str()),
            ("grant_type", "refresh_token"),
        ];
        let response = self
            .http
            .post(&url)
            .header("secret_key", self.app_secret.expose())
            .form(&form)
            .send()
            .await
            .map_err(transport)?;
        // The OAuth server may refuse with a 4xx and a JSON body: read it either way. A 4xx
        // (other than 408 and 429) is a refusal even without a readable body, so it is never
        // retried for ever.
        let status = response.status();
        let body = response.json::<Value>().await.unwrap_or(Value::Null);
        let refused = status.is_client_error()
            && status != reqwest::StatusCode::REQUEST_TIMEOUT
            && status != reqwest::StatusCode::TOO_MANY_REQUESTS;
        let code = error_code(&body);
        if code != 0 || refused || body.get("error_name").is_some() {
            return Err(ZaloError::Refresh {
                code: if code != 0 {
                    code
                } else {
                    -i64::from(status.as_u16())
                },
                error_name: text(&body, "error_name").unwrap_or_default(),
                message: text(&body, "message")
                    .or_else(|| text(&body, "error_description"))
                    .or_else(|| text(&body, "error_reason"))
                    .unwrap_or_else(|| format!("HTTP {status}")),
            });
        }
        if !status.is_success() {
            return Err(ZaloError::Transport(format!("HTTP {status}")));
        }
        let value = body;
        let access = text(&value, "access_token");
        let refresh = text(&value, "refresh_token");
        let expires_in = text(&value, "expires_in").and_then(|s| s.trim().parse::<i64>().ok());
        match (access, refresh, expires_in) {
            (Some(access), Some(refresh), Some(expires_in)) if expires_in > 0 => Ok(TokenGrant {
                access_token: Secret::new(access),
                refresh_token: Secret::new(refresh),
                expires_in,
            }),
            _ => Err(ZaloError::Transport(
                "the token answer lacks access_token, refresh_token or expires_in".into(),
            )),
        }
    }

    /// POSTs JSON with the bare `access_token` header and returns `data` of a success.
    async fn post_json(
        &self,
        host: Host,
        url: &str,
        access_token: &Secret,
        body: &Value,
    ) -> Result<Value, ZaloError> {
        let response = self
            .http
            .post(url)
            .header("access_token", access_token.expose())
            .json(body)
            .send()
            .await
            .map_err(transport)?;
        let value = read_json(response).await?;
        check_error(host, &value)?;
        Ok(value.get("data").cloned().unwrap_or(Value::Null))
    }
}

/// The answer's JSON, whatever the HTTP status: Zalo's error body says more than the status.
/// A non-2xx answer without an `error` field is a transport failure.
async fn read_json(response: reqwest::Response) -> Result<Value, ZaloError> {
    let status = response.status();
    let value = response.json::<Value>().await;
    match value {
        Ok(value) if status.is_success() || value.get("error").is_some() => {
            if !status.is_success() && error_code(&value) == 0 {
                return Err(ZaloError::Transport(format!("HTTP {status}")));
            }
            Ok(value)
        }
        Ok(_) => Err(ZaloError::Transport(format!("HTTP {status}"))),
        Err(_) if !status.is_success() => Err(ZaloError::Transport(format!("HTTP {status}"))),
        Err(err) => Err(ZaloError::Transport(format!("unreadable answer: {err}"))),
    }
}

fn error_code(value: &Value) -> i64 {
    match value.get("error") {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(-1),
        Some(Value::String(s)) => s.trim().parse().unwrap_or(-1),
        _ => 0,
    }
}

/// `{"error": <non-zero>, "message"}` is a failure whatever the HTTP status.
fn check_error(host: Host, value: &Value) -> Result<(), ZaloError> {
    let code = error_code(value);
    if code == 0 {
        return Ok(());
    }
    Err(ZaloError::Api {
        host,
        code,
        message: text(value, "message")
            .or_else(|| text(value, "error_description"))
            .unwrap_or_default(),
    })
}

/// Never includes the URL's query or any header, so no token reaches a log.
fn transport(err: reqwest::Error) -> ZaloError {
    let kind = if err.is_timeout() {
        "time-out"
    } else if err.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    ZaloError::Transport(kind.to_string())
}

fn text(value: &Value, key: &str) -> Option<String> {
    match value.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
