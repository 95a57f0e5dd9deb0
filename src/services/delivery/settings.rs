//! The delivery settings of `serve`, read once at start-up: each channel's pace (Telegram's and
//! Zalo's limits differ), how long a claimed row stays an instance's, and how long a message is
//! retried through outages.

use super::pacing::Pace;
use super::worker::WorkerSettings;
use crate::settings::config::SettingError;
use chrono::Duration;
use std::ops::RangeInclusive;

/// Telegram's limits for a bot: about 30 messages a second overall, 1 a second in one chat.
pub const DEFAULT_TELEGRAM_MESSAGES_PER_SECOND: f64 = 30.0;
pub const DEFAULT_TELEGRAM_CHAT_MESSAGES_PER_SECOND: f64 = 1.0;
/// Zalo's published limit is about 4,000 API calls a minute per app (~66 a second, error -32
/// beyond); 50 a second leaves room for the token refreshes and the rating queries. Zalo states
/// no per-user limit; 10 a second keeps one citizen's burst (an answer's acknowledgement and the
/// next question) immediate.
pub const DEFAULT_ZALO_MESSAGES_PER_SECOND: f64 = 50.0;
pub const DEFAULT_ZALO_CHAT_MESSAGES_PER_SECOND: f64 = 10.0;
pub const DEFAULT_OUTBOX_LEASE_SECONDS: i64 = 30;
pub const DEFAULT_OUTBOX_MAX_AGE_DAYS: i64 = 7;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeliverySettings {
    /// `TELEGRAM_MESSAGES_PER_SECOND` (overall, 1–1000) and `TELEGRAM_CHAT_MESSAGES_PER_SECOND`
    /// (per chat). Per instance: with N instances, give each the bot's limit divided by N.
    pub telegram_pace: Pace,
    /// `ZALO_MESSAGES_PER_SECOND` (overall, 1–1000) and `ZALO_CHAT_MESSAGES_PER_SECOND` (per
    /// user, 0.05–30). Per instance, like Telegram's.
    pub zalo_pace: Pace,
    /// `OUTBOX_LEASE_SECONDS`: a dead instance's rows are taken over this long after its last
    /// renewal.
    pub lease: Duration,
    /// `OUTBOX_MAX_AGE_DAYS`: how long a queued message is retried through outages.
    pub max_age: Duration,
}

impl Default for DeliverySettings {
    fn default() -> DeliverySettings {
        DeliverySettings {
            telegram_pace: Pace {
                overall_per_second: DEFAULT_TELEGRAM_MESSAGES_PER_SECOND,
                chat_per_second: DEFAULT_TELEGRAM_CHAT_MESSAGES_PER_SECOND,
            },
            zalo_pace: Pace {
                overall_per_second: DEFAULT_ZALO_MESSAGES_PER_SECOND,
                chat_per_second: DEFAULT_ZALO_CHAT_MESSAGES_PER_SECOND,
            },
            lease: Duration::seconds(DEFAULT_OUTBOX_LEASE_SECONDS),
            max_age: Duration::days(DEFAULT_OUTBOX_MAX_AGE_DAYS),
        }
    }
}

impl DeliverySettings {
    /// Reads the settings through `get` (a name to its non-blank value).
    pub fn from_lookup(
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<DeliverySettings, SettingError> {
        let number = |name: &'static str,
                      default: f64,
                      range: RangeInclusive<f64>,
                      expected: &'static str|
         -> Result<f64, SettingError> {
            match get(name) {
                None => Ok(default),
                Some(text) => text
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|v| range.contains(v))
                    .ok_or(SettingError {
                        name,
                        value: text,
                        expected,
                    }),
            }
        };
        let defaults = DeliverySettings::default();
        let telegram_pace = Pace {
            overall_per_second: number(
                "TELEGRAM_MESSAGES_PER_SECOND",
                defaults.telegram_pace.overall_per_second,
                1.0..=1000.0,
                "setting-expect-messages-per-second",
            )?,
            chat_per_second: number(
                "TELEGRAM_CHAT_MESSAGES_PER_SECOND",
                defaults.telegram_pace.chat_per_second,
                0.05..=30.0,
                "setting-expect-chat-messages-per-second",
            )?,
        };
        let zalo_pace = Pace {
            overall_per_second: number(
                "ZALO_MESSAGES_PER_SECOND",
                defaults.zalo_pace.overall_per_second,
                1.0..=1000.0,
                "setting-expect-messages-per-second",
            )?,
            chat_per_second: number(
                "ZALO_CHAT_MESSAGES_PER_SECOND",
                defaults.zalo_pace.chat_per_second,
                0.05..=30.0,
                "setting-expect-chat-messages-per-second",
            )?,
        };
        let lease = number(
            "OUTBOX_LEASE_SECONDS",
            DEFAULT_OUTBOX_LEASE_SECONDS as f64,
            5.0..=3600.0,
            "setting-expect-lease",
        )?;
        let max_age = number(
            "OUTBOX_MAX_AGE_DAYS",
            DEFAULT_OUTBOX_MAX_AGE_DAYS as f64,
            1.0..=365.0,
            "setting-expect-positive-days",
        )?;
        if max_age.fract() != 0.0 {
            return Err(SettingError {
                name: "OUTBOX_MAX_AGE_DAYS",
                value: max_age.to_string(),
                expected: "setting-expect-positive-days",
            });
        }
        Ok(DeliverySettings {
            telegram_pace,
            zalo_pace,
            lease: Duration::milliseconds((lease * 1000.0) as i64),
            max_age: Duration::seconds((max_age * 86_400.0) as i64),
        })
    }

    /// The worker settings these give at `pace` (the caller adds its channel's per-chat rule).
    pub fn worker_at(&self, pace: Pace) -> WorkerSettings {
        WorkerSettings {
            lease: self.lease,
            max_age: self.max_age,
            ..WorkerSettings::new(pace)
        }
    }

    /// Telegram's worker settings (its pace).
    pub fn telegram_worker(&self) -> WorkerSettings {
        self.worker_at(self.telegram_pace)
    }

    /// Zalo's worker settings (its pace).
    pub fn zalo_worker(&self) -> WorkerSettings {
        self.worker_at(self.zalo_pace)
    }

    /// [`DeliverySettings::telegram_worker`].
    pub fn worker(&self) -> WorkerSettings {
        self.telegram_worker()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read(pairs: &[(&str, &str)]) -> Result<DeliverySettings, SettingError> {
        let env: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        DeliverySettings::from_lookup(|name| env.get(name).cloned())
    }

    #[test]
    fn defaults_are_telegrams_limits_a_half_minute_lease_and_a_week() {
        let settings = read(&[]).unwrap();
        assert_eq!(settings, DeliverySettings::default());
        assert_eq!(settings.telegram_pace.overall_per_second, 30.0);
        assert_eq!(settings.telegram_pace.chat_per_second, 1.0);
        assert_eq!(settings.lease, Duration::seconds(30));
        assert_eq!(settings.max_age, Duration::days(7));
        assert_eq!(settings.zalo_pace.overall_per_second, 50.0);
        assert_eq!(settings.zalo_pace.chat_per_second, 10.0);
    }

    #[test]
    fn zalo_has_a_pace_of_its_own() {
        let settings = read(&[
            ("ZALO_MESSAGES_PER_SECOND", "20"),
            ("ZALO_CHAT_MESSAGES_PER_SECOND", "2"),
        ])
        .unwrap();
        assert_eq!(settings.zalo_worker().pace.overall_per_second, 20.0);
        assert_eq!(settings.zalo_worker().pace.chat_per_second, 2.0);
        assert_eq!(settings.telegram_worker().pace.overall_per_second, 30.0);
        let err = read(&[("ZALO_MESSAGES_PER_SECOND", "0")]).unwrap_err();
        assert_eq!(err.name, "ZALO_MESSAGES_PER_SECOND");
    }

    #[test]
    fn paid_broadcasts_go_up_to_a_thousand_a_second() {
        let settings = read(&[
            ("TELEGRAM_MESSAGES_PER_SECOND", "1000"),
            ("TELEGRAM_CHAT_MESSAGES_PER_SECOND", "0.5"),
            ("OUTBOX_LEASE_SECONDS", "10"),
            ("OUTBOX_MAX_AGE_DAYS", "2"),
        ])
        .unwrap();
        assert_eq!(settings.telegram_pace.overall_per_second, 1000.0);
        assert_eq!(settings.telegram_pace.chat_per_second, 0.5);
        assert_eq!(settings.worker().lease, Duration::seconds(10));
        assert_eq!(settings.worker().max_age, Duration::days(2));
    }

    #[test]
    fn out_of_range_values_name_the_setting() {
        for (name, value, expected) in [
            (
                "TELEGRAM_MESSAGES_PER_SECOND",
                "1001",
                "setting-expect-messages-per-second",
            ),
            (
                "TELEGRAM_MESSAGES_PER_SECOND",
                "many",
                "setting-expect-messages-per-second",
            ),
            (
                "TELEGRAM_CHAT_MESSAGES_PER_SECOND",
                "0",
                "setting-expect-chat-messages-per-second",
            ),
            ("OUTBOX_LEASE_SECONDS", "1", "setting-expect-lease"),
            ("OUTBOX_MAX_AGE_DAYS", "0", "setting-expect-positive-days"),
            ("OUTBOX_MAX_AGE_DAYS", "2.5", "setting-expect-positive-days"),
        ] {
            let err = read(&[(name, value)]).unwrap_err();
            assert_eq!(
                (err.name, err.value.as_str(), err.expected),
                (name, value, expected)
            );
        }
    }
}
