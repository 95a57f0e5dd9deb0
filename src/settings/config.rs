//! Settings, read once from the environment and passed down. Secrets are wrapped so that they
//! never print.

use crate::core::flow::Lang;
use std::fmt;

/// The database used when `DATABASE_URL` is not set: an SQLite file under ./data.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://./data/sipas.db";

/// The flow new invitations use unless `SIPAS_FLOW` says otherwise.
pub const DEFAULT_FLOW: &str = "sipas-full";

/// How long an invitation stays open, in days, unless `INVITATION_TTL_DAYS` says otherwise.
pub const DEFAULT_INVITATION_TTL_DAYS: i64 = 7;

/// How summaries are computed, wherever they are made (`summary`, the scheduled ones, the
/// console): `SIPAS_TARGET` and `SUMMARY_PROCEDURE_MIN_RESPONSES`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SummarySettings {
    /// The index aimed at, drawn on the chart, as a fraction (0.9).
    pub target: f64,
    /// A procedure needs this many responses to be listed among the lowest-rated.
    pub procedure_min_responses: u64,
}

impl Default for SummarySettings {
    fn default() -> SummarySettings {
        SummarySettings {
            target: crate::core::summary::DEFAULT_TARGET,
            procedure_min_responses: crate::core::summary::DEFAULT_PROCEDURE_MIN_RESPONSES,
        }
    }
}

/// Reads a target given as a fraction (0.9) or a percentage (90).
pub fn parse_target(text: &str) -> Option<f64> {
    let value: f64 = text.trim().replace(',', ".").parse().ok()?;
    let fraction = if value > 1.0 { value / 100.0 } else { value };
    (value.is_finite() && fraction > 0.0 && fraction <= 1.0).then_some(fraction)
}

/// A value that must not appear in logs: `Debug` and `Display` print a placeholder.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A setting that could not be read: its name, the value given and what was expected (the id of
/// a locale message, so the operator reads it in their language).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}={value:?}: {expected}")]
pub struct SettingError {
    pub name: &'static str,
    pub value: String,
    pub expected: &'static str,
}

/// The process environment, over the optional file named by `SIPAS_CONFIG` (lines
/// `NAME=value`, `#` comments): a variable set in the environment wins over the file.
pub fn environment() -> Result<impl Fn(&str) -> Option<String>, SettingError> {
    let file = match std::env::var("SIPAS_CONFIG")
        .ok()
        .filter(|p| !p.trim().is_empty())
    {
        None => Vec::new(),
        Some(path) => {
            let text = std::fs::read_to_string(&path).map_err(|_| SettingError {
                name: "SIPAS_CONFIG",
                value: path.clone(),
                expected: "setting-expect-config-file",
            })?;
            parse_config_file(&text).map_err(|line| SettingError {
                name: "SIPAS_CONFIG",
                value: format!("{path}:{line}"),
                expected: "setting-expect-config-line",
            })?
        }
    };
    Ok(move |name: &str| {
        std::env::var(name).ok().or_else(|| {
            file.iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
        })
    })
}

/// `NAME=value` lines; blank lines and `#` comments skipped; quotes around a value removed.
/// A malformed line gives its number.
pub fn parse_config_file(text: &str) -> Result<Vec<(String, String)>, usize> {
    let mut pairs = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line.split_once('=').ok_or(index + 1)?;
        let key = key.trim().trim_start_matches("export ").trim();
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(index + 1);
        }
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        pairs.push((key.to_string(), value.to_string()));
    }
    Ok(pairs)
}

/// One chat answering more dossiers than this in 30 days has its responses flagged (the same
/// default as `storage::Integrity`, which the configuration layer may not name).
pub const DEFAULT_INTEGRITY_MAX_DOSSIERS_PER_CHAT: u32 = 5;

/// The settings every command shares.
#[derive(Debug, Clone)]
pub struct Settings {
    /// May hold a password: kept as a secret.
    pub database_url: Secret,
    pub lang: Lang,
    pub flow: String,
    pub invitation_ttl_days: i64,
    /// More dossiers than this answered from one chat in 30 days are flagged
    /// (`INTEGRITY_MAX_DOSSIERS_PER_CHAT`, default 5).
    pub integrity_max_dossiers_per_chat: u32,
    pub summary: SummarySettings,
    /// A console session unused this long ends (`ADMIN_SESSION_IDLE_MINUTES`, default 60).
    pub admin_session_idle_minutes: i64,
    /// Every listener closes a connection whose request headers are not in within this
    /// (`HTTP_HEADER_TIMEOUT_SECONDS`, default 10).
    pub http_header_timeout_seconds: u64,
    /// Every listener serves at most this many connections at once (`HTTP_MAX_CONNECTIONS`,
    /// default 1024); more wait to be accepted.
    pub http_max_connections: usize,
}

/// A console session unused this many minutes ends.
pub const DEFAULT_ADMIN_SESSION_IDLE_MINUTES: i64 = 60;

impl Settings {
    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Settings, SettingError> {
        let lookup = environment()?;
        Settings::from_lookup(lookup)
    }

    /// Reads the settings through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, SettingError> {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let database_url = get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string());
        let lang = match get("SIPAS_LANG") {
            None => Lang::Vi,
            Some(code) => Lang::parse(&code).ok_or(SettingError {
                name: "SIPAS_LANG",
                value: code.clone(),
                expected: "setting-expect-language",
            })?,
        };
        let invitation_ttl_days = match get("INVITATION_TTL_DAYS") {
            None => DEFAULT_INVITATION_TTL_DAYS,
            Some(text) => text
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|days| *days > 0)
                .ok_or(SettingError {
                    name: "INVITATION_TTL_DAYS",
                    value: text.clone(),
                    expected: "setting-expect-positive-days",
                })?,
        };
        let integrity_max_dossiers_per_chat = match get("INTEGRITY_MAX_DOSSIERS_PER_CHAT") {
            None => DEFAULT_INTEGRITY_MAX_DOSSIERS_PER_CHAT,
            Some(text) => text
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|count| *count > 0)
                .ok_or(SettingError {
                    name: "INTEGRITY_MAX_DOSSIERS_PER_CHAT",
                    value: text.clone(),
                    expected: "setting-expect-positive-count",
                })?,
        };
        let defaults = SummarySettings::default();
        let target = match get("SIPAS_TARGET") {
            None => defaults.target,
            Some(text) => parse_target(&text).ok_or(SettingError {
                name: "SIPAS_TARGET",
                value: text.clone(),
                expected: "setting-expect-target",
            })?,
        };
        let procedure_min_responses = match get("SUMMARY_PROCEDURE_MIN_RESPONSES") {
            None => defaults.procedure_min_responses,
            Some(text) => {
                text.trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or(SettingError {
                        name: "SUMMARY_PROCEDURE_MIN_RESPONSES",
                        value: text.clone(),
                        expected: "setting-expect-positive-count",
                    })?
            }
        };
        let admin_session_idle_minutes = match get("ADMIN_SESSION_IDLE_MINUTES") {
            None => DEFAULT_ADMIN_SESSION_IDLE_MINUTES,
            Some(text) => text
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|minutes| (1..=24 * 60).contains(minutes))
                .ok_or(SettingError {
                    name: "ADMIN_SESSION_IDLE_MINUTES",
                    value: text.clone(),
                    expected: "setting-expect-idle-minutes",
                })?,
        };
        let positive = |name: &'static str, default: u64, max: u64| match get(name) {
            None => Ok(default),
            Some(text) => text
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or(SettingError {
                    name,
                    value: text.clone(),
                    expected: "setting-expect-positive-count",
                }),
        };
        let http_header_timeout_seconds = positive("HTTP_HEADER_TIMEOUT_SECONDS", 10, 300)?;
        let http_max_connections = positive("HTTP_MAX_CONNECTIONS", 1024, 1_000_000)? as usize;
        Ok(Settings {
            admin_session_idle_minutes,
            http_header_timeout_seconds,
            http_max_connections,
            database_url: Secret::new(database_url),
            lang,
            flow: get("SIPAS_FLOW").unwrap_or_else(|| DEFAULT_FLOW.to_string()),
            invitation_ttl_days,
            integrity_max_dossiers_per_chat,
            summary: SummarySettings {
                target,
                procedure_min_responses,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_need_no_environment() {
        let settings = Settings::from_lookup(|_| None).unwrap();
        assert_eq!(settings.database_url.expose(), DEFAULT_DATABASE_URL);
        assert_eq!(settings.lang, Lang::Vi);
        assert_eq!(settings.flow, "sipas-full");
        assert_eq!(settings.invitation_ttl_days, 7);
        assert_eq!(settings.integrity_max_dossiers_per_chat, 5);
        assert_eq!(settings.summary, SummarySettings::default());
        assert_eq!(settings.admin_session_idle_minutes, 60);
        assert_eq!(
            (
                settings.http_header_timeout_seconds,
                settings.http_max_connections
            ),
            (10, 1024)
        );
        for name in ["HTTP_HEADER_TIMEOUT_SECONDS", "HTTP_MAX_CONNECTIONS"] {
            let err =
                Settings::from_lookup(|asked| (asked == name).then(|| "0".into())).unwrap_err();
            assert_eq!(err.name, name);
        }
        for bad in ["0", "-5", "1441", "một giờ"] {
            let err = Settings::from_lookup(|name| {
                (name == "ADMIN_SESSION_IDLE_MINUTES").then(|| bad.into())
            })
            .unwrap_err();
            assert_eq!(err.name, "ADMIN_SESSION_IDLE_MINUTES", "{bad}");
        }
    }

    #[test]
    fn the_summary_settings_are_read_for_every_command() {
        let settings = Settings::from_lookup(|name| match name {
            "SIPAS_TARGET" => Some("95".into()),
            "SUMMARY_PROCEDURE_MIN_RESPONSES" => Some("12".into()),
            _ => None,
        })
        .unwrap();
        assert!((settings.summary.target - 0.95).abs() < 1e-12);
        assert_eq!(settings.summary.procedure_min_responses, 12);
        assert_eq!(parse_target("0,9"), Some(0.9));
        for bad in ["0", "150", "-5", "nhiều"] {
            let err = Settings::from_lookup(|name| (name == "SIPAS_TARGET").then(|| bad.into()))
                .unwrap_err();
            assert_eq!(err.name, "SIPAS_TARGET", "{bad}");
        }
        let err = Settings::from_lookup(|name| {
            (name == "SUMMARY_PROCEDURE_MIN_RESPONSES").then(|| "0".into())
        })
        .unwrap_err();
        assert_eq!(err.name, "SUMMARY_PROCEDURE_MIN_RESPONSES");
    }

    #[test]
    fn bad_values_name_the_setting() {
        let err =
            Settings::from_lookup(|name| (name == "INVITATION_TTL_DAYS").then(|| "-1".into()))
                .unwrap_err();
        assert_eq!(err.name, "INVITATION_TTL_DAYS");
        let err =
            Settings::from_lookup(|name| (name == "SIPAS_LANG").then(|| "fr".into())).unwrap_err();
        assert_eq!(err.name, "SIPAS_LANG");
        let err = Settings::from_lookup(|name| {
            (name == "INTEGRITY_MAX_DOSSIERS_PER_CHAT").then(|| "nhiều".into())
        })
        .unwrap_err();
        assert_eq!(err.name, "INTEGRITY_MAX_DOSSIERS_PER_CHAT");
    }

    #[test]
    fn config_files_are_name_value_lines() {
        let pairs = parse_config_file(
            "# sipas\nDATABASE_URL=\"postgres://db/sipas\"\n\nexport HTTP_ADDR = 0.0.0.0:8080\n",
        )
        .unwrap();
        assert_eq!(
            pairs,
            [
                (
                    "DATABASE_URL".to_string(),
                    "postgres://db/sipas".to_string()
                ),
                ("HTTP_ADDR".to_string(), "0.0.0.0:8080".to_string()),
            ]
        );
        assert_eq!(parse_config_file("A=1\nno equals sign\n"), Err(2));
        assert_eq!(parse_config_file("lower=1\n"), Err(1));
    }

    #[test]
    fn secrets_never_print() {
        let secret = Secret::new("postgres://user:hunter2@db/sipas");
        assert!(!format!("{secret:?} {secret}").contains("hunter2"));
    }
}
