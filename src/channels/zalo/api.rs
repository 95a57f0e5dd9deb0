//! The HTTP client of Zalo's APIs: consultation messages, template messages (by user id and by
//! phone), the rating query and the OAuth refresh. It knows the wire formats and nothing of
//! tokens' lifecycle ([`super::token`]) or of the survey.
//!
//! Zalo answers errors with HTTP 200 and a negative `error`; those become [`ZaloError::Api`].
//! Shapes marked unconfirmed are each kept in one function.

use super::errors::ZaloError;
use super::events::Feedback;
use super::messages::{OutboundMessage, cs_body};
use super::phone::PhoneNumber;
use super::settings::ZaloSettings;
use crate::settings::config::Secret;
use serde_json::{Value, json};
use std::time::Duration;

/// A whole call, connection included. Kept under SQLite's 10-second busy timeout, since the
/// token refresh runs while holding the token row's lock.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(8);

#[derive(Debug, Clone)]
pub struct ZaloApi {
    http: reqwest::Client,
    api_url: String,
    oauth_url: String,
    business_url: String,
    app_id: String,
    app_secret: Secret,
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
            .post_json(&url, access_token, &cs_body(user_id, message))
            .await?;
        Ok(Sent {
            message_id: text(&data, "message_id").or_else(|| text(&data, "msg_id")),
        })
    }

    /// Sends an approved template to a follower by user id. **Unconfirmed** body shape (the same
    /// fields as by phone, with `recipient.user_id`): kept here alone.
    pub async fn send_template_to_user(
        &self,
        access_token: &Secret,
        user_id: &str,
        template_id: &str,
        template_data: &Value,
        tracking_id: &str,
    ) -> Result<Sent, ZaloError> {
        let url = format!("{}/v3.0/oa/message/template", self.api_url);
        let body = json!({
            "recipient": {"user_id": user_id},
            "template_id": template_id,
            "template_data": template_data,
            "tracking_id": tracking_id,
        });
        let data = self.post_json(&url, access_token, &body).await?;
        Ok(Sent {
            message_id: text(&data, "msg_id").or_else(|| text(&data, "message_id")),
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
        let body = json!({
            "phone": phone.as_str(),
            "template_id": template_id,
            "template_data": template_data,
            "tracking_id": tracking_id,
        });
        let data = self.post_json(&url, access_token, &body).await?;
        Ok(Sent {
            message_id: text(&data, "msg_id"),
        })
    }

    /// The ratings citizens gave through a rating template, one page. The answer's layout is
    /// read leniently (`data` as the list, or `data.data` / `data.items`).
    pub async fn ratings(
        &self,
        access_token: &Secret,
        query: &RatingQuery,
    ) -> Result<Vec<Feedback>, ZaloError> {
        let url = format!("{}/rating/get", self.business_url);
        let body = json!({
            "template_id": query.template_id,
            "from_time": query.from_time,
            "to_time": query.to_time,
            "offset": query.offset,
            "limit": query.limit,
        });
        let data = self.post_json(&url, access_token, &body).await?;
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
        let value = read_json(response).await?;
        check_error(&value).map_err(|err| match err {
            ZaloError::Api { code, message } => ZaloError::Refresh { code, message },
            other => other,
        })?;
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
        check_error(&value)?;
        Ok(value.get("data").cloned().unwrap_or(Value::Null))
    }
}

async fn read_json(response: reqwest::Response) -> Result<Value, ZaloError> {
    let status = response.status();
    if !status.is_success() {
        return Err(ZaloError::Transport(format!("HTTP {status}")));
    }
    response
        .json::<Value>()
        .await
        .map_err(|err| ZaloError::Transport(format!("unreadable answer: {err}")))
}

/// `{"error": <non-zero>, "message"}` is a failure whatever the HTTP status.
fn check_error(value: &Value) -> Result<(), ZaloError> {
    let code = match value.get("error") {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(-1),
        Some(Value::String(s)) => s.trim().parse().unwrap_or(-1),
        _ => 0,
    };
    if code == 0 {
        return Ok(());
    }
    Err(ZaloError::Api {
        code,
        message: text(value, "message").unwrap_or_default(),
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
