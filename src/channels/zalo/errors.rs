//! What a failed call to Zalo means for the message, in terms the delivery core acts on.
//! Zalo answers errors with HTTP 200 and `{"error": <negative code>, "message"}`; transport
//! failures (time-outs, refused connections, 5xx) are transient.
//!
//! The same number means different things on the two hosts (-124 is an invalid access token on
//! the business host; -201 a bad parameter on the OA host), so a code is classified with the
//! [`Host`] that answered it ([`ErrorClass::of`]). The tables are those of `zalo-oa.md`; a code
//! no table names is permanent for its message only.

use std::time::Duration;

/// Which of Zalo's APIs answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Host {
    /// The OA Open API (`openapi.zalo.me`): consultation messages, templates by user id.
    Oa,
    /// The business API (`business.openapi.zalo.me`, ZBS/ZNS): templates by phone, ratings.
    Business,
    /// The OAuth server (`oauth.zaloapp.com`).
    OAuth,
}

impl Host {
    pub fn name(self) -> &'static str {
        match self {
            Host::Oa => "oa",
            Host::Business => "business",
            Host::OAuth => "oauth",
        }
    }
}

/// What to do after a failed send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// The network or Zalo's servers failed (time-out, 5xx, unreadable answer, -100 on the
    /// business host): retry with backoff while the message is still worth sending.
    Transient,
    /// -32: the app or OA is over its rate limit: back off, then retry.
    RateLimited,
    /// -216, -220 (OA) and -124 (business): the access token is invalid or expired: refresh
    /// it, then retry once.
    Token,
    /// -213, -230, -232: the citizen's messaging window is closed (not a follower, no
    /// interaction in 7 days): send no more chat messages to them.
    WindowClosed,
    /// The citizen cannot be reached on Zalo: blocked, restricted, banned or inactive (-217,
    /// -244, -227 on the OA host); phone invalid, no Zalo account, cannot receive, refused this
    /// kind or this OA (-108, -118, -114, -119, -139, -140, -141 on the business host). The
    /// invitation is recorded out of reach for Zalo, so another channel can take over.
    Undeliverable,
    /// -211, -218: out of quota: wait for it to renew.
    QuotaWait,
    /// -234 (OA) and -133 (business): no such message at night (22:00–06:00): send at 06:00
    /// Asia/Ho_Chi_Minh.
    NightTime,
    /// -144, -147, -1441 (business): the OA's daily, the template's daily or the monthly quota
    /// is spent: send the next day.
    NextDay,
    /// Anything else (-201 a bad parameter…): this message fails; the chat goes on.
    Permanent,
    /// No retry can cure it (the app or API not activated, the OA not verified or its tier too
    /// low, content policy, the template not approved or not sendable by user id, the balance):
    /// the Zalo sender pauses, the queue waits, `/healthz` fails until an operator resumes.
    Configuration,
    /// The OAuth server refused our refresh token: the OA's authorization is lost for every
    /// message. Paused like [`ErrorClass::Configuration`]: an operator must authorize again.
    Unauthorized,
}

impl ErrorClass {
    /// Classifies an error code answered by `host`.
    pub fn of(host: Host, code: i64) -> ErrorClass {
        match host {
            Host::Oa => Self::of_oa(code),
            Host::Business => Self::of_business(code),
            Host::OAuth => ErrorClass::Unauthorized,
        }
    }

    fn of_oa(code: i64) -> ErrorClass {
        match code {
            -32 => ErrorClass::RateLimited,
            -216 | -220 => ErrorClass::Token,
            -213 | -230 | -232 => ErrorClass::WindowClosed,
            -217 | -244 | -227 => ErrorClass::Undeliverable,
            -211 | -218 => ErrorClass::QuotaWait,
            -234 => ErrorClass::NightTime,
            -209 | -212 | -219 | -221 | -223 | -224 | -248 | -249 => ErrorClass::Configuration,
            _ => ErrorClass::Permanent,
        }
    }

    fn of_business(code: i64) -> ErrorClass {
        match code {
            -32 => ErrorClass::RateLimited,
            -124 | -216 | -220 => ErrorClass::Token,
            -133 => ErrorClass::NightTime,
            -144 | -147 | -1441 => ErrorClass::NextDay,
            -100 => ErrorClass::Transient,
            -108 | -118 | -114 | -119 | -139 | -140 | -141 => ErrorClass::Undeliverable,
            -115 | -117 | -131 | -135 | -136 | -137 | -146 | -109 | -1121 | -1122 | -1124
            | -249 => ErrorClass::Configuration,
            _ => ErrorClass::Permanent,
        }
    }

    /// Whether the same message may succeed later without any change to it (after an
    /// operator's resume, for the pausing classes: the queue waits).
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorClass::Transient
                | ErrorClass::RateLimited
                | ErrorClass::Token
                | ErrorClass::QuotaWait
                | ErrorClass::NightTime
                | ErrorClass::NextDay
                | ErrorClass::Configuration
                | ErrorClass::Unauthorized
        )
    }

    /// Whether the class pauses the whole Zalo sender until an operator resumes it.
    pub fn pauses(self) -> bool {
        matches!(self, ErrorClass::Configuration | ErrorClass::Unauthorized)
    }

    /// A first wait before retrying, where the class suggests one (the delivery core applies its
    /// own backoff on top). The night and next-day waits depend on the time: see
    /// [`super::schedule`].
    pub fn suggested_wait(self) -> Option<Duration> {
        match self {
            ErrorClass::Transient => Some(Duration::from_secs(5)),
            ErrorClass::RateLimited => Some(Duration::from_secs(60)),
            ErrorClass::QuotaWait => Some(Duration::from_secs(3600)),
            ErrorClass::Configuration | ErrorClass::Unauthorized => Some(Duration::from_secs(300)),
            _ => None,
        }
    }
}

/// A failed call to Zalo.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZaloError {
    /// Zalo answered with an error code.
    #[error("Zalo {} error {code}: {message}", host.name())]
    Api {
        host: Host,
        code: i64,
        message: String,
    },
    /// No usable answer: connection, time-out, HTTP status, unreadable body.
    #[error("Zalo could not be reached: {0}")]
    Transport(String),
    /// The OAuth server refused the refresh (the refresh token is spent, expired or revoked).
    /// `error_name` is Zalo's name for the error when it gave one; never a token.
    #[error("Zalo refused the token refresh: {code} {error_name} {message}")]
    Refresh {
        code: i64,
        error_name: String,
        message: String,
    },
    /// The Zalo sender is paused by an earlier configuration error: nothing was sent.
    #[error("the Zalo sender is paused: {0}")]
    Paused(String),
    /// The token row could not be read or written.
    #[error("token storage: {0}")]
    Storage(String),
}

impl ZaloError {
    pub fn class(&self) -> ErrorClass {
        match self {
            ZaloError::Api { host, code, .. } => ErrorClass::of(*host, *code),
            ZaloError::Refresh { .. } => ErrorClass::Unauthorized,
            ZaloError::Paused(_) => ErrorClass::Configuration,
            ZaloError::Transport(_) | ZaloError::Storage(_) => ErrorClass::Transient,
        }
    }

    pub fn code(&self) -> Option<i64> {
        match self {
            ZaloError::Api { code, .. } | ZaloError::Refresh { code, .. } => Some(*code),
            _ => None,
        }
    }

    pub fn host(&self) -> Option<Host> {
        match self {
            ZaloError::Api { host, .. } => Some(*host),
            ZaloError::Refresh { .. } => Some(Host::OAuth),
            _ => None,
        }
    }
}

impl From<crate::storage::StorageError> for ZaloError {
    fn from(err: crate::storage::StorageError) -> Self {
        ZaloError::Storage(err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_code_has_its_class_on_its_host() {
        use ErrorClass::*;
        let oa = [
            (-32, RateLimited),
            (-216, Token),
            (-220, Token),
            (-213, WindowClosed),
            (-230, WindowClosed),
            (-232, WindowClosed),
            (-217, Undeliverable),
            (-244, Undeliverable),
            (-227, Undeliverable),
            (-211, QuotaWait),
            (-218, QuotaWait),
            (-234, NightTime),
            (-201, Permanent),
            (-124, Permanent),
            (-999, Permanent),
        ];
        for (code, class) in oa {
            assert_eq!(ErrorClass::of(Host::Oa, code), class, "oa {code}");
        }
        for code in [-209, -212, -219, -221, -223, -224, -248, -249] {
            assert_eq!(ErrorClass::of(Host::Oa, code), Configuration, "oa {code}");
        }
        let business = [
            (-124, Token),
            (-133, NightTime),
            (-144, NextDay),
            (-147, NextDay),
            (-1441, NextDay),
            (-100, Transient),
            (-201, Permanent),
        ];
        for (code, class) in business {
            assert_eq!(
                ErrorClass::of(Host::Business, code),
                class,
                "business {code}"
            );
        }
        for code in [-108, -118, -114, -119, -139, -140, -141] {
            assert_eq!(
                ErrorClass::of(Host::Business, code),
                Undeliverable,
                "{code}"
            );
        }
        for code in [
            -115, -117, -131, -135, -136, -137, -146, -109, -1121, -1122, -1124, -249,
        ] {
            assert_eq!(
                ErrorClass::of(Host::Business, code),
                Configuration,
                "{code}"
            );
            assert!(Configuration.pauses());
        }
        assert!(!WindowClosed.is_retryable());
        assert!(RateLimited.is_retryable() && NextDay.is_retryable());
        assert_eq!(ZaloError::Transport("x".into()).class(), Transient);
    }
}
