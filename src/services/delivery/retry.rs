//! What the outbox records for a transport's answer, and when a row is tried again: backoff
//! doubling from 1 s to five minutes, with no limit on the number of tries, until the message
//! is too old to be worth sending. Pure: the worker passes the time in.

use super::Outcome;
use crate::storage::{Claimed, Finish};
use chrono::{DateTime, Utc};

/// The longest backoff between two tries of a row.
pub const MAX_BACKOFF: chrono::Duration = chrono::Duration::minutes(5);

/// What the outbox records for a transport's answer: transient failures come back after the
/// platform's wait or our backoff, until the message is too old to be worth sending.
pub fn finish_of(
    claimed: &Claimed,
    outcome: Outcome,
    now: DateTime<Utc>,
    max_age: chrono::Duration,
) -> Finish {
    match outcome {
        Outcome::Sent => Finish::Sent,
        Outcome::MessageFailed(error) => Finish::Failed(error),
        Outcome::ChatUnreachable(error) => Finish::ChatUnreachable(error),
        Outcome::Retry { after, error } => {
            let wait = after
                .and_then(|after| chrono::Duration::from_std(after).ok())
                .unwrap_or_else(|| backoff(claimed.row.attempts));
            let at = now + wait;
            if at > claimed.created_at + max_age {
                Finish::Failed(format!(
                    "expired after {} days: {error}",
                    max_age.num_days()
                ))
            } else {
                Finish::RetryAt(at, error)
            }
        }
    }
}

/// The wait before the next try after `attempts` tries: 1 s, 2 s, 4 s, … up to five minutes.
/// There is no limit on the number of tries: an hour of outage costs about a dozen.
pub fn backoff(attempts: i64) -> chrono::Duration {
    let exponent = attempts.saturating_sub(1).clamp(0, 20) as u32;
    chrono::Duration::seconds(2i64.saturating_pow(exponent)).min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::OutboxRow;
    use chrono::TimeZone;
    use std::time::Duration;

    fn claimed(attempts: i64, created_at: DateTime<Utc>) -> Claimed {
        Claimed {
            row: OutboxRow {
                id: 1,
                channel: "telegram".into(),
                chat_id: "1".into(),
                kind: "send_message".into(),
                payload: serde_json::json!({}),
                invitation_token: None,
                attempts,
                next_attempt_at: created_at,
            },
            created_at,
            lease_owner: "w/1".into(),
        }
    }

    fn retry(after: Option<Duration>) -> Outcome {
        Outcome::Retry {
            after,
            error: "502".into(),
        }
    }

    #[test]
    fn backoff_doubles_up_to_five_minutes() {
        let secs: Vec<i64> = (1..=12).map(|a| backoff(a).num_seconds()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
        assert_eq!(backoff(10_000), MAX_BACKOFF);
    }

    #[test]
    fn retries_go_on_until_the_message_is_too_old() {
        let queued = Utc.with_ymd_and_hms(2026, 11, 16, 3, 0, 0).unwrap();
        let week = chrono::Duration::days(7);
        let now = queued + chrono::Duration::hours(1);
        assert_eq!(
            finish_of(&claimed(40, queued), retry(None), now, week),
            Finish::RetryAt(now + MAX_BACKOFF, "502".into())
        );
        assert_eq!(
            finish_of(
                &claimed(1, queued),
                retry(Some(Duration::from_secs(30))),
                now,
                week
            ),
            Finish::RetryAt(now + chrono::Duration::seconds(30), "502".into())
        );
        let late = queued + week - chrono::Duration::seconds(10);
        assert!(matches!(
            finish_of(&claimed(40, queued), retry(None), late, week),
            Finish::Failed(error) if error.starts_with("expired")
        ));
        assert_eq!(
            finish_of(&claimed(1, queued), Outcome::Sent, late, week),
            Finish::Sent
        );
    }
}
