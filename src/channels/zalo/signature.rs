//! The webhook signature: Zalo signs each event it posts with
//! `X-ZEvent-Signature: mac=<hex SHA-256(app_id + raw body + timestamp + OA secret key)>`, the
//! timestamp being the `timestamp` string inside the body (epoch milliseconds). The header is
//! accepted as `mac=<hex>` or as the bare hex.
//!
//! Zalo retries an unanswered event for hours (and may disable a webhook that keeps failing),
//! so a correctly signed event is accepted up to `ZALO_EVENT_MAX_AGE_HOURS` old (the inbox
//! deduplicates it on its id); one stamped more than five minutes in the future is refused.
//!
//! The formula is only partly confirmed (one public client hashes the app secret, another puts the
//! OA id first), so it lives in [`expected_mac`] alone.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// The header Zalo puts the signature in.
pub const SIGNATURE_HEADER: &str = "x-zevent-signature";

/// How far in the future an event's timestamp may be (clock skew).
pub const MAX_SKEW: chrono::Duration = chrono::Duration::minutes(5);

/// How old a signed event may be when `ZALO_EVENT_MAX_AGE_HOURS` is not set.
pub const DEFAULT_MAX_AGE: chrono::Duration = chrono::Duration::hours(24);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature header is missing or not of the form mac=<hex> or <hex>")]
    MissingHeader,
    #[error("the body is not JSON with a string timestamp")]
    NoTimestamp,
    #[error("the signature does not match")]
    Mismatch,
    #[error("the event is older than ZALO_EVENT_MAX_AGE_HOURS")]
    Stale,
    #[error("the event is stamped more than five minutes in the future")]
    Future,
}

/// The hex digest Zalo should have sent for `raw_body`. The one place the formula lives.
pub fn expected_mac(app_id: &str, raw_body: &[u8], timestamp: &str, oa_secret_key: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(app_id.as_bytes());
    hasher.update(raw_body);
    hasher.update(timestamp.as_bytes());
    hasher.update(oa_secret_key.as_bytes());
    hex::encode(hasher.finalize())
}

/// The value of `X-ZEvent-Signature` for `raw_body`: what a test (or the fake) posts.
pub fn signature_header(app_id: &str, raw_body: &[u8], oa_secret_key: &str) -> Option<String> {
    let timestamp = body_timestamp(raw_body)?;
    Some(format!(
        "mac={}",
        expected_mac(app_id, raw_body, &timestamp, oa_secret_key)
    ))
}

/// Checks an event: the header against the raw body as received (never re-serialised), then
/// the body's timestamp: at most `max_age` old, at most [`MAX_SKEW`] ahead of `now`.
/// Comparison is in constant time.
pub fn verify(
    header: Option<&str>,
    raw_body: &[u8],
    app_id: &str,
    oa_secret_key: &str,
    now: DateTime<Utc>,
    max_age: chrono::Duration,
) -> Result<(), SignatureError> {
    let given = header
        .map(str::trim)
        .map(|h| h.strip_prefix("mac=").unwrap_or(h))
        .filter(|hex| !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()))
        .ok_or(SignatureError::MissingHeader)?;
    let timestamp = body_timestamp(raw_body).ok_or(SignatureError::NoTimestamp)?;
    let expected = expected_mac(app_id, raw_body, &timestamp, oa_secret_key);
    if !constant_time_eq(given.to_ascii_lowercase().as_bytes(), expected.as_bytes()) {
        return Err(SignatureError::Mismatch);
    }
    let millis: i64 = timestamp.parse().map_err(|_| SignatureError::NoTimestamp)?;
    let sent = DateTime::<Utc>::from_timestamp_millis(millis).ok_or(SignatureError::NoTimestamp)?;
    if sent - now > MAX_SKEW {
        return Err(SignatureError::Future);
    }
    if now - sent > max_age {
        return Err(SignatureError::Stale);
    }
    Ok(())
}

/// The body's `timestamp`, as the string Zalo sent (a number is accepted too, as its digits).
fn body_timestamp(raw_body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(raw_body).ok()?;
    match value.get("timestamp")? {
        serde_json::Value::String(text) => Some(text.clone()),
        serde_json::Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const BODY: &[u8] =
        br#"{"app_id":"11","event_name":"follow","timestamp":"1763870400000","follower":{"id":"u1"}}"#;

    fn sent_at() -> DateTime<Utc> {
        Utc.timestamp_millis_opt(1_763_870_400_000).unwrap()
    }

    #[test]
    fn the_mac_is_plain_sha256_of_the_four_terms() {
        let mut hasher = Sha256::new();
        hasher.update(b"11");
        hasher.update(BODY);
        hasher.update(b"1763870400000");
        hasher.update(b"key");
        let header = signature_header("11", BODY, "key").unwrap();
        assert_eq!(header, format!("mac={}", hex::encode(hasher.finalize())));
        let verify_at =
            |header: &str, now| verify(Some(header), BODY, "11", "key", now, DEFAULT_MAX_AGE);
        assert_eq!(verify_at(&header, sent_at()), Ok(()));
        // The bare hex is accepted too.
        assert_eq!(
            verify_at(header.trim_start_matches("mac="), sent_at()),
            Ok(())
        );
    }

    #[test]
    fn wrong_key_missing_header_future_and_too_old_are_refused() {
        let header = signature_header("11", BODY, "key").unwrap();
        let check = |header: Option<&str>, key: &str, now| {
            verify(header, BODY, "11", key, now, DEFAULT_MAX_AGE)
        };
        assert_eq!(
            check(Some(&header), "other", sent_at()),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            check(None, "key", sent_at()),
            Err(SignatureError::MissingHeader)
        );
        assert_eq!(
            check(Some("mac="), "key", sent_at()),
            Err(SignatureError::MissingHeader)
        );
        // Late is fine up to the maximum age (Zalo's retries), not beyond.
        let late = sent_at() + chrono::Duration::hours(23);
        assert_eq!(check(Some(&header), "key", late), Ok(()));
        let too_late = sent_at() + chrono::Duration::hours(25);
        assert_eq!(
            check(Some(&header), "key", too_late),
            Err(SignatureError::Stale)
        );
        // Stamped in the future: five minutes of skew, no more.
        let early = sent_at() - chrono::Duration::seconds(299);
        assert_eq!(check(Some(&header), "key", early), Ok(()));
        let too_early = sent_at() - chrono::Duration::minutes(6);
        assert_eq!(
            check(Some(&header), "key", too_early),
            Err(SignatureError::Future)
        );
    }
}
