//! What a failed call to Zalo means for the message, in terms the delivery core acts on.
//! Zalo answers errors with HTTP 200 and `{"error": <negative code>, "message"}`; transport
//! failures (time-outs, refused connections, 5xx) are transient.

use std::time::Duration;

/// What to do after a failed send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// The network or Zalo's servers failed (time-out, 5xx, unreadable answer): retry with
    /// backoff while the message is still worth sending.
    Transient,
    /// -32: the app or OA is over its rate limit: back off, then retry.
    RateLimited,
    /// -216, -220: the access token is invalid or expired: refresh it, then retry once.
    Token,
    /// -213, -230, -232: the citizen's messaging window is closed (not a follower, no
    /// interaction in 7 days): send no more chat messages to them.
    WindowClosed,
    /// -217, -244, -227: blocked, restricted, banned or inactive: the citizen is unreachable.
    Undeliverable,
    /// -211, -218: out of quota: wait for it to renew.
    QuotaWait,
    /// -234: not at night (22:00–06:00): send again in the morning.
    NightTime,
    /// Anything else (-201 a bad parameter…): this message fails; the chat goes on.
    Permanent,
    /// The OAuth server refused our refresh token: the OA's authorization is lost for every
    /// message. Pause the channel and alert: an operator must authorize the app again.
    Unauthorized,
}

impl ErrorClass {
    /// Classifies one of Zalo's error codes.
    pub fn of_code(code: i64) -> ErrorClass {
        match code {
            -32 => ErrorClass::RateLimited,
            -216 | -220 => ErrorClass::Token,
            -213 | -230 | -232 => ErrorClass::WindowClosed,
            -217 | -244 | -227 => ErrorClass::Undeliverable,
            -211 | -218 => ErrorClass::QuotaWait,
            -234 => ErrorClass::NightTime,
            _ => ErrorClass::Permanent,
        }
    }

    /// Whether the same message may succeed later without any change to it (after an
    /// operator's re-authorization, for [`ErrorClass::Unauthorized`]: the queue waits).
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorClass::Transient
                | ErrorClass::RateLimited
                | ErrorClass::Token
                | ErrorClass::QuotaWait
                | ErrorClass::NightTime
                | ErrorClass::Unauthorized
        )
    }

    /// A first wait before retrying, where the class suggests one (the delivery core applies its
    /// own backoff on top).
    pub fn suggested_wait(self) -> Option<Duration> {
        match self {
            ErrorClass::Transient => Some(Duration::from_secs(5)),
            ErrorClass::RateLimited => Some(Duration::from_secs(60)),
            ErrorClass::QuotaWait => Some(Duration::from_secs(3600)),
            ErrorClass::Unauthorized => Some(Duration::from_secs(900)),
            _ => None,
        }
    }
}

/// A failed call to Zalo.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZaloError {
    /// Zalo answered with an error code.
    #[error("Zalo error {code}: {message}")]
    Api { code: i64, message: String },
    /// No usable answer: connection, time-out, HTTP status, unreadable body.
    #[error("Zalo could not be reached: {0}")]
    Transport(String),
    /// The OAuth server refused the refresh (the refresh token is spent, expired or revoked).
    #[error("Zalo refused the token refresh: {code} {message}")]
    Refresh { code: i64, message: String },
    /// The token row could not be read or written.
    #[error("token storage: {0}")]
    Storage(String),
}

impl ZaloError {
    pub fn class(&self) -> ErrorClass {
        match self {
            ZaloError::Api { code, .. } => ErrorClass::of_code(*code),
            ZaloError::Refresh { .. } => ErrorClass::Unauthorized,
            ZaloError::Transport(_) | ZaloError::Storage(_) => ErrorClass::Transient,
        }
    }

    pub fn code(&self) -> Option<i64> {
        match self {
            ZaloError::Api { code, .. } | ZaloError::Refresh { code, .. } => Some(*code),
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
    fn every_documented_code_has_its_class() {
        let cases = [
            (-32, ErrorClass::RateLimited),
            (-216, ErrorClass::Token),
            (-220, ErrorClass::Token),
            (-213, ErrorClass::WindowClosed),
            (-230, ErrorClass::WindowClosed),
            (-232, ErrorClass::WindowClosed),
            (-217, ErrorClass::Undeliverable),
            (-244, ErrorClass::Undeliverable),
            (-227, ErrorClass::Undeliverable),
            (-211, ErrorClass::QuotaWait),
            (-218, ErrorClass::QuotaWait),
            (-234, ErrorClass::NightTime),
            (-201, ErrorClass::Permanent),
            (-999, ErrorClass::Permanent),
        ];
        for (code, class) in cases {
            assert_eq!(ErrorClass::of_code(code), class, "{code}");
        }
        assert!(!ErrorClass::WindowClosed.is_retryable());
        assert!(ErrorClass::RateLimited.is_retryable());
        assert_eq!(
            ZaloError::Transport("x".into()).class(),
            ErrorClass::Transient
        );
    }
}
