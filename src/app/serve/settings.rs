//! The settings of `serve` on top of the shared ones: which channels run, where HTTP listens,
//! how Telegram updates arrive, and the workers' pace. Everything is checked at start-up, so a
//! wrong value stops the process with the setting's name instead of failing later.

use crate::channels::zalo::ZaloSettings;
use crate::services::delivery::settings::DeliverySettings;
use crate::settings::config::{Secret, SettingError, Settings};
use chrono::Duration;
use std::net::SocketAddr;

pub const DEFAULT_TELEGRAM_API_URL: &str = "https://api.telegram.org/";
pub const DEFAULT_HTTP_ADDR: &str = "127.0.0.1:8080";
pub const DEFAULT_REMINDER_DELAY_HOURS: i64 = 24;
/// Alerts go out within a minute: the workers look every 30 seconds.
pub const DEFAULT_WORKER_TICK_SECONDS: u64 = 30;

/// The shortest `TELEGRAM_WEBHOOK_SECRET` accepted.
pub const MIN_WEBHOOK_SECRET_LEN: usize = 16;

/// The shortest `INTAKE_TOKEN` accepted.
pub const MIN_INTAKE_TOKEN_LEN: usize = 16;

/// Whether `url` names this machine (127.0.0.0/8, ::1 or `localhost`), where plain http is safe.
fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// How updates reach us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Polling,
    /// Telegram posts updates to `url` (our `/telegram/webhook`), with `secret` in a header.
    Webhook {
        url: url::Url,
        secret: Secret,
    },
}

/// The settings of `serve`, on top of the shared ones.
#[derive(Debug, Clone)]
pub struct ServeSettings {
    pub base: Settings,
    /// `None` when only Zalo runs.
    pub telegram_token: Option<Secret>,
    pub telegram_api_url: url::Url,
    pub http_addr: SocketAddr,
    /// `ADMIN_HTTP_ADDR`: the console on a listener of its own (say, internal only) and no
    /// longer on `http_addr`; without it the console shares `http_addr`.
    pub admin_http_addr: Option<SocketAddr>,
    /// `INTAKE_TOKEN`: the intake client of every agency. Optional: without it only the named
    /// clients (`sipas-bot intake-client add`) can post notices.
    pub intake_token: Option<Secret>,
    /// Where the API is reached from outside, for QR code links; default `http://HTTP_ADDR`.
    pub public_base_url: String,
    pub mode: Mode,
    pub reminder_delay: Duration,
    /// How often the reminder, summary and alert workers look for due work.
    pub worker_tick: std::time::Duration,
    /// `RETENTION_DAYS`: how long after completion or expiry a chat stays linked to its survey.
    pub retention: Duration,
    /// The Zalo OA channel, when `ZALO_APP_ID` is set.
    pub zalo: Option<ZaloSettings>,
    /// The Telegram outbox's pace, lease and age limit.
    pub delivery: DeliverySettings,
    /// `INTAKE_RATE_PER_SECOND` and `INTAKE_TIMEOUT_SECONDS`: notices a second per client, and
    /// how long one may take.
    pub intake_rate_per_second: u32,
    pub intake_timeout: std::time::Duration,
}

impl ServeSettings {
    pub fn from_env() -> Result<ServeSettings, SettingError> {
        let lookup = crate::settings::config::environment()?;
        ServeSettings::from_lookup(lookup)
    }

    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<ServeSettings, SettingError> {
        let base = Settings::from_lookup(&lookup)?;
        let zalo = ZaloSettings::from_lookup(&lookup)?;
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let invalid = |name: &'static str, value: String, expected: &'static str| SettingError {
            name,
            value,
            expected,
        };
        // Telegram runs when its token is set; it may be left out only when Zalo runs instead.
        let telegram_token = match get("TELEGRAM_BOT_TOKEN") {
            Some(token) => token,
            None if zalo.is_some() => String::new(),
            None => {
                return Err(invalid(
                    "TELEGRAM_BOT_TOKEN",
                    String::new(),
                    "setting-expect-bot-token",
                ));
            }
        };
        let well_formed = telegram_token.is_empty()
            || telegram_token.split_once(':').is_some_and(|(id, secret)| {
                !id.is_empty()
                    && id.chars().all(|c| c.is_ascii_digit())
                    && !secret.is_empty()
                    && secret
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            });
        if !well_formed {
            // Never echo a secret, even a malformed one.
            return Err(invalid(
                "TELEGRAM_BOT_TOKEN",
                "***".into(),
                "setting-expect-bot-token",
            ));
        }
        let api_text = get("TELEGRAM_API_URL").unwrap_or_else(|| DEFAULT_TELEGRAM_API_URL.into());
        let telegram_api_url = url::Url::parse(&api_text)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| invalid("TELEGRAM_API_URL", api_text.clone(), "setting-expect-url"))?;
        // The bot token travels in every request's path: plain http would send it in clear,
        // which is only acceptable when the server never leaves this machine.
        if telegram_api_url.scheme() != "https" && !is_loopback(&telegram_api_url) {
            return Err(invalid(
                "TELEGRAM_API_URL",
                api_text.clone(),
                "setting-expect-https-url",
            ));
        }
        let addr_text = get("HTTP_ADDR").unwrap_or_else(|| DEFAULT_HTTP_ADDR.into());
        let http_addr: SocketAddr = addr_text.parse().map_err(|_| {
            invalid(
                "HTTP_ADDR",
                addr_text.clone(),
                "setting-expect-socket-address",
            )
        })?;
        let admin_http_addr = match get("ADMIN_HTTP_ADDR") {
            None => None,
            Some(text) => Some(text.trim().parse().map_err(|_| {
                invalid(
                    "ADMIN_HTTP_ADDR",
                    text.clone(),
                    "setting-expect-socket-address",
                )
            })?),
        };
        let intake_token = get("INTAKE_TOKEN");
        if intake_token
            .as_ref()
            .is_some_and(|token| token.chars().count() < MIN_INTAKE_TOKEN_LEN)
        {
            return Err(invalid(
                "INTAKE_TOKEN",
                "***".into(),
                "setting-expect-intake-token",
            ));
        }
        let public_base_url = match get("PUBLIC_BASE_URL") {
            Some(text) => url::Url::parse(&text)
                .map(|_| text.trim_end_matches('/').to_string())
                .map_err(|_| invalid("PUBLIC_BASE_URL", text.clone(), "setting-expect-url"))?,
            None => format!("http://{http_addr}"),
        };
        let mode = match get("TELEGRAM_MODE").as_deref().unwrap_or("polling") {
            "polling" => Mode::Polling,
            "webhook" => {
                let url_text = get("TELEGRAM_WEBHOOK_URL").ok_or_else(|| {
                    invalid("TELEGRAM_WEBHOOK_URL", String::new(), "setting-expect-url")
                })?;
                let url = url::Url::parse(&url_text)
                    .ok()
                    .filter(|u| u.scheme() == "https" || u.host_str() == Some("127.0.0.1"))
                    .ok_or_else(|| {
                        invalid(
                            "TELEGRAM_WEBHOOK_URL",
                            url_text.clone(),
                            "setting-expect-url",
                        )
                    })?;
                let secret = get("TELEGRAM_WEBHOOK_SECRET").unwrap_or_default();
                // Telegram accepts one character, but a short secret can be guessed: anyone
                // who guesses it can post updates as any citizen.
                let secret_ok = (MIN_WEBHOOK_SECRET_LEN..=256).contains(&secret.len())
                    && secret
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                if !secret_ok {
                    return Err(invalid(
                        "TELEGRAM_WEBHOOK_SECRET",
                        "***".into(),
                        "setting-expect-webhook-secret",
                    ));
                }
                Mode::Webhook {
                    url,
                    secret: Secret::new(secret),
                }
            }
            other => {
                return Err(invalid(
                    "TELEGRAM_MODE",
                    other.to_string(),
                    "setting-expect-mode",
                ));
            }
        };
        let reminder_delay = match get("REMINDER_DELAY_HOURS") {
            None => Duration::hours(DEFAULT_REMINDER_DELAY_HOURS),
            Some(text) => text
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|h| *h > 0)
                .map(Duration::hours)
                .ok_or_else(|| {
                    invalid(
                        "REMINDER_DELAY_HOURS",
                        text.clone(),
                        "setting-expect-positive-hours",
                    )
                })?,
        };
        let worker_tick = match get("WORKER_TICK_SECONDS") {
            None => std::time::Duration::from_secs(DEFAULT_WORKER_TICK_SECONDS),
            Some(text) => text
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|s| (1..=86_400).contains(s))
                .map(std::time::Duration::from_secs)
                .ok_or_else(|| {
                    invalid("WORKER_TICK_SECONDS", text.clone(), "setting-expect-tick")
                })?,
        };
        let retention_days = match get("RETENTION_DAYS") {
            None => crate::storage::DEFAULT_RETENTION_DAYS,
            Some(text) => text
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|days| (1..=36_500).contains(days))
                .ok_or_else(|| {
                    invalid(
                        "RETENTION_DAYS",
                        text.clone(),
                        "setting-expect-positive-days",
                    )
                })?,
        };
        let delivery = DeliverySettings::from_lookup(get)?;
        let positive = |name: &'static str, default: u32| match get(name) {
            None => Ok(default),
            Some(text) => text
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| invalid(name, text.clone(), "setting-expect-positive-count")),
        };
        let intake_rate_per_second = positive(
            "INTAKE_RATE_PER_SECOND",
            crate::web::limits::DEFAULT_RATE_PER_SECOND,
        )?;
        let intake_timeout = std::time::Duration::from_secs(u64::from(positive(
            "INTAKE_TIMEOUT_SECONDS",
            crate::web::limits::DEFAULT_TIMEOUT.as_secs() as u32,
        )?));
        Ok(ServeSettings {
            intake_rate_per_second,
            intake_timeout,
            retention: Duration::days(retention_days),
            zalo,
            worker_tick,
            delivery,
            base,
            telegram_token: (!telegram_token.is_empty()).then(|| Secret::new(telegram_token)),
            telegram_api_url,
            http_addr,
            admin_http_addr,
            intake_token: intake_token.map(Secret::new),
            public_base_url,
            mode,
            reminder_delay,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::is_loopback;

    #[test]
    fn plain_http_is_only_for_this_machine() {
        for (url, loopback) in [
            ("http://127.0.0.1:8081/", true),
            ("http://127.5.0.1/", true),
            ("http://[::1]:8081/", true),
            ("http://localhost:8081/", true),
            ("http://api.telegram.org/", false),
            ("http://192.168.1.10/", false),
            ("http://localhost.example.com/", false),
        ] {
            assert_eq!(
                is_loopback(&url::Url::parse(url).unwrap()),
                loopback,
                "{url}"
            );
        }
    }

    #[test]
    fn the_intake_token_is_optional_but_never_short() {
        let settings = |token: Option<&'static str>| {
            super::ServeSettings::from_lookup(move |name| match name {
                "TELEGRAM_BOT_TOKEN" => Some("123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789".into()),
                "INTAKE_TOKEN" => token.map(String::from),
                _ => None,
            })
        };
        assert_eq!(settings(None).unwrap().intake_token, None);
        assert_eq!(settings(Some("  ")).unwrap().intake_token, None);
        let token = settings(Some("an-intake-token-long-enough")).unwrap();
        assert_eq!(
            token.intake_token.unwrap().expose(),
            "an-intake-token-long-enough"
        );
        let short = settings(Some("fifteen-chars-x")).unwrap_err();
        assert_eq!((short.name, short.value.as_str()), ("INTAKE_TOKEN", "***"));
    }

    #[test]
    fn retention_days_default_to_30_and_must_be_positive() {
        let settings = |retention: Option<&'static str>| {
            super::ServeSettings::from_lookup(move |name| match name {
                "TELEGRAM_BOT_TOKEN" => Some("123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789".into()),
                "INTAKE_TOKEN" => Some("an-intake-token-long-enough".into()),
                "RETENTION_DAYS" => retention.map(String::from),
                _ => None,
            })
        };
        assert_eq!(
            settings(None).unwrap().retention,
            chrono::Duration::days(30)
        );
        assert_eq!(
            settings(Some("90")).unwrap().retention,
            chrono::Duration::days(90)
        );
        for bad in ["0", "-3", "a month"] {
            assert_eq!(
                settings(Some(bad)).unwrap_err().name,
                "RETENTION_DAYS",
                "{bad}"
            );
        }
    }
}
