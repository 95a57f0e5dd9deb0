//! The Zalo channel's settings (`ZALO_*`), read from the same environment and config file as
//! every other setting. The channel runs only when it is configured: with no `ZALO_APP_ID`,
//! [`ZaloSettings::from_lookup`] answers `None`. Secrets are [`Secret`]s, so they never print.

use crate::settings::config::{Secret, SettingError};

pub const DEFAULT_API_URL: &str = "https://openapi.zalo.me";
pub const DEFAULT_OAUTH_URL: &str = "https://oauth.zaloapp.com";
pub const DEFAULT_BUSINESS_API_URL: &str = "https://business.openapi.zalo.me";

#[derive(Debug, Clone)]
pub struct ZaloSettings {
    pub app_id: String,
    /// The app's secret: the `secret_key` header of the OAuth refresh.
    pub app_secret: Secret,
    pub oa_id: String,
    /// The "OA Secret Key" of the webhook settings, which signs the events Zalo posts to us.
    pub oa_secret_key: Secret,
    /// The first refresh token, from the OA's authorization. Later ones live in the database;
    /// this one is used only to seed an empty token row.
    pub refresh_token: Secret,
    /// Base of the OA Open API (`/v3.0/oa/...`), without a trailing slash.
    pub api_url: String,
    /// Base of the OAuth server (`/v4/oa/access_token`), without a trailing slash.
    pub oauth_url: String,
    /// Base of the business API (template messages by phone, rating query).
    pub business_api_url: String,
    /// The approved template that invites a citizen by phone or by user id, when there is one.
    pub invitation_template_id: Option<String>,
    /// Whether consultation replies may be sent in the billed window (48 hours to 7 days).
    pub billable_replies: bool,
    /// `ZALO_TEMPLATE_MODE`: development (the default) sends templates only to the OA's admins.
    pub template_mode: TemplateMode,
    /// `SIPAS_SECRET_KEY`: seals the OA's tokens in the database (required with Zalo).
    pub secret_key: super::seal::SecretKey,
    /// `ZALO_EVENT_MAX_AGE_HOURS` (default 24): how old a correctly signed event may be and still
    /// be accepted (Zalo retries an unanswered event for hours); dedup keys are kept as long.
    pub event_max_age: chrono::Duration,
}

/// How template messages are sent: Zalo's development mode delivers only to the OA's and the
/// app's admins, on the development wallet, so a staging server never pays for or reaches real
/// citizens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateMode {
    Development,
    Production,
}

impl TemplateMode {
    pub fn parse(text: &str) -> Option<TemplateMode> {
        match text.trim().to_ascii_lowercase().as_str() {
            "development" => Some(TemplateMode::Development),
            "production" => Some(TemplateMode::Production),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TemplateMode::Development => "development",
            TemplateMode::Production => "production",
        }
    }

    /// Adds `"mode": "development"` to a template message's body in development mode. The one
    /// place that knows the flag's shape.
    pub fn mark(self, body: &mut serde_json::Value) {
        if self == TemplateMode::Development {
            body["mode"] = serde_json::Value::from("development");
        }
    }
}

/// Whether `url` may be used for Zalo's APIs: https, or plain http to a loopback address (the
/// tests' fake server). Tokens and secrets travel in these requests' headers.
fn acceptable_url(url: &url::Url) -> bool {
    match url.scheme() {
        "https" => url.host().is_some(),
        "http" => match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
            None => false,
        },
        _ => false,
    }
}

impl ZaloSettings {
    /// Reads the `ZALO_*` settings through `lookup`. `Ok(None)` when the channel is not
    /// configured at all (no `ZALO_APP_ID`); an error naming the first setting missing or
    /// malformed when it is configured only in part.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<ZaloSettings>, SettingError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let Some(app_id) = get("ZALO_APP_ID") else {
            return Ok(None);
        };
        let required = |name: &'static str, expected: &'static str| {
            get(name).ok_or(SettingError {
                name,
                value: String::new(),
                expected,
            })
        };
        let app_secret = Secret::new(required("ZALO_APP_SECRET", "setting-expect-zalo-secret")?);
        let oa_id = required("ZALO_OA_ID", "setting-expect-zalo-id")?;
        let oa_secret_key = Secret::new(required(
            "ZALO_OA_SECRET_KEY",
            "setting-expect-zalo-secret",
        )?);
        let refresh_token = Secret::new(required(
            "ZALO_REFRESH_TOKEN",
            "setting-expect-zalo-secret",
        )?);
        for (name, value) in [("ZALO_APP_ID", &app_id), ("ZALO_OA_ID", &oa_id)] {
            if !value.chars().all(|c| c.is_ascii_digit()) {
                return Err(SettingError {
                    name,
                    value: value.clone(),
                    expected: "setting-expect-zalo-id",
                });
            }
        }
        let url = |name: &'static str, default: &str| -> Result<String, SettingError> {
            let text = get(name).unwrap_or_else(|| default.to_string());
            url::Url::parse(&text)
                .ok()
                .filter(acceptable_url)
                .map(|_| text.trim_end_matches('/').to_string())
                .ok_or(SettingError {
                    name,
                    value: text.clone(),
                    expected: "setting-expect-zalo-url",
                })
        };
        let billable_replies = match get("ZALO_BILLABLE_REPLIES") {
            None => false,
            Some(text) => match text.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => true,
                "false" | "0" | "no" => false,
                _ => {
                    return Err(SettingError {
                        name: "ZALO_BILLABLE_REPLIES",
                        value: text,
                        expected: "setting-expect-boolean",
                    });
                }
            },
        };
        let template_mode = match get("ZALO_TEMPLATE_MODE") {
            None => TemplateMode::Development,
            Some(text) => TemplateMode::parse(&text).ok_or(SettingError {
                name: "ZALO_TEMPLATE_MODE",
                value: text,
                expected: "setting-expect-zalo-template-mode",
            })?,
        };
        let event_max_age = match get("ZALO_EVENT_MAX_AGE_HOURS") {
            None => chrono::Duration::hours(24),
            Some(text) => text
                .parse::<i64>()
                .ok()
                .filter(|hours| (1..=24 * 7).contains(hours))
                .map(chrono::Duration::hours)
                .ok_or(SettingError {
                    name: "ZALO_EVENT_MAX_AGE_HOURS",
                    value: text,
                    expected: "setting-expect-zalo-event-age",
                })?,
        };
        let secret_key = match get("SIPAS_SECRET_KEY") {
            None => {
                return Err(SettingError {
                    name: "SIPAS_SECRET_KEY",
                    value: String::new(),
                    expected: "setting-expect-secret-key",
                });
            }
            Some(text) => super::seal::SecretKey::parse(&text).ok_or(SettingError {
                name: "SIPAS_SECRET_KEY",
                // Never echo a secret, even a malformed one.
                value: String::new(),
                expected: "setting-expect-secret-key",
            })?,
        };
        Ok(Some(ZaloSettings {
            app_id,
            app_secret,
            oa_id,
            oa_secret_key,
            refresh_token,
            api_url: url("ZALO_API_URL", DEFAULT_API_URL)?,
            oauth_url: url("ZALO_OAUTH_URL", DEFAULT_OAUTH_URL)?,
            business_api_url: url("ZALO_BUSINESS_API_URL", DEFAULT_BUSINESS_API_URL)?,
            invitation_template_id: get("ZALO_INVITATION_TEMPLATE_ID"),
            billable_replies,
            template_mode,
            secret_key,
            event_max_age,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn full() -> HashMap<&'static str, &'static str> {
        HashMap::from([
            ("ZALO_APP_ID", "1234567890"),
            ("ZALO_APP_SECRET", "app-secret-value"),
            ("ZALO_OA_ID", "987654321"),
            ("ZALO_OA_SECRET_KEY", "oa-secret-value"),
            ("ZALO_REFRESH_TOKEN", "first-refresh-token"),
            (
                "SIPAS_SECRET_KEY",
                "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
            ),
        ])
    }

    #[test]
    fn unconfigured_means_no_channel_and_defaults_fill_the_rest() {
        assert!(ZaloSettings::from_lookup(|_| None).unwrap().is_none());
        let env = full();
        let settings = ZaloSettings::from_lookup(|n| env.get(n).map(|v| v.to_string()))
            .unwrap()
            .unwrap();
        assert_eq!(settings.api_url, DEFAULT_API_URL);
        assert_eq!(settings.oauth_url, DEFAULT_OAUTH_URL);
        assert_eq!(settings.business_api_url, DEFAULT_BUSINESS_API_URL);
        assert!(!settings.billable_replies);
        assert_eq!(settings.invitation_template_id, None);
        let printed = format!("{settings:?}");
        for secret in ["app-secret-value", "oa-secret-value", "first-refresh-token"] {
            assert!(!printed.contains(secret), "{printed}");
        }
    }

    #[test]
    fn a_partial_or_bad_configuration_names_the_setting() {
        let mut env = full();
        env.remove("ZALO_OA_SECRET_KEY");
        let err = ZaloSettings::from_lookup(|n| env.get(n).map(|v| v.to_string())).unwrap_err();
        assert_eq!(err.name, "ZALO_OA_SECRET_KEY");
        let mut env = full();
        env.insert("ZALO_BILLABLE_REPLIES", "maybe");
        let err = ZaloSettings::from_lookup(|n| env.get(n).map(|v| v.to_string())).unwrap_err();
        assert_eq!(err.name, "ZALO_BILLABLE_REPLIES");
        let mut env = full();
        env.insert("ZALO_API_URL", "ftp://x");
        let err = ZaloSettings::from_lookup(|n| env.get(n).map(|v| v.to_string())).unwrap_err();
        assert_eq!(err.name, "ZALO_API_URL");
        let mut env = full();
        env.remove("SIPAS_SECRET_KEY");
        let err = ZaloSettings::from_lookup(|n| env.get(n).map(|v| v.to_string())).unwrap_err();
        assert_eq!(err.name, "SIPAS_SECRET_KEY");
        env.insert("SIPAS_SECRET_KEY", "too-short");
        let err = ZaloSettings::from_lookup(|n| env.get(n).map(|v| v.to_string())).unwrap_err();
        assert_eq!((err.name, err.value.as_str()), ("SIPAS_SECRET_KEY", ""));
        let mut env = full();
        env.insert("ZALO_TEMPLATE_MODE", "live");
        let err = ZaloSettings::from_lookup(|n| env.get(n).map(|v| v.to_string())).unwrap_err();
        assert_eq!(err.name, "ZALO_TEMPLATE_MODE");
        let mut env = full();
        env.insert("ZALO_EVENT_MAX_AGE_HOURS", "0");
        let err = ZaloSettings::from_lookup(|n| env.get(n).map(|v| v.to_string())).unwrap_err();
        assert_eq!(err.name, "ZALO_EVENT_MAX_AGE_HOURS");
    }

    #[test]
    fn zalo_urls_are_https_unless_loopback() {
        for (url, ok) in [
            ("https://openapi.zalo.me", true),
            ("http://openapi.zalo.me", false),
            ("http://127.0.0.1:8080", true),
            ("http://[::1]:8080", true),
            ("http://localhost:9", true),
            ("http://10.0.0.1", false),
        ] {
            let mut env = full();
            env.insert("ZALO_OAUTH_URL", url);
            let result = ZaloSettings::from_lookup(|n| env.get(n).map(|v| v.to_string()));
            assert_eq!(result.is_ok(), ok, "{url}");
        }
        let env = full();
        let settings = ZaloSettings::from_lookup(|n| env.get(n).map(|v| v.to_string()))
            .unwrap()
            .unwrap();
        assert_eq!(settings.template_mode, TemplateMode::Development);
        assert_eq!(settings.event_max_age, chrono::Duration::hours(24));
    }
}
