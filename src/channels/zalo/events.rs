//! The events Zalo posts to our webhook, parsed leniently: every id and the timestamp are
//! strings on the wire (numbers are accepted too), unknown events are kept as
//! [`ZaloEvent::Unknown`], and nothing here panics on a body we did not expect.
//!
//! `user_feedback` (the answer to a rating template) has no confirmed JSON: its fields are
//! looked for at the top level and under `message`, under the names of the rating-query
//! endpoint as well (`msgId`, `trackingId`).

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZaloEvent {
    /// A typed message, or a query button pressed (its payload arrives as the text).
    UserSendText {
        user_id: String,
        msg_id: String,
        text: String,
        timestamp: String,
    },
    Follow {
        user_id: String,
        timestamp: String,
    },
    Unfollow {
        user_id: String,
        timestamp: String,
    },
    UserFeedback(Feedback),
    /// Any other event (delivery receipts, stickers, images…): kept; the inbox opens the
    /// messaging window for those that are interactions ([`is_interaction`]) and records
    /// delivery receipts (`user_received_message`).
    Unknown {
        event_name: String,
        /// `sender.id`, `follower.id` or `user_id`, when the event names the citizen.
        user_id: Option<String>,
        /// `message.msg_id`, when there is one.
        msg_id: Option<String>,
        /// `message.tracking_id` (a delivery receipt of a template by phone carries ours).
        tracking_id: Option<String>,
        timestamp: String,
    },
}

/// The delivery receipt of a template or consultation message.
pub const RECEIVED_MESSAGE: &str = "user_received_message";

/// Whether Zalo counts `event_name` as an interaction of the citizen, which opens the 48-hour
/// window from the event's own time: every message the citizen sends (text, image, sticker,
/// GIF, audio, video, file, location, link, business card), submitting info, tapping the chat
/// button, following.
pub fn is_interaction(event_name: &str) -> bool {
    event_name.starts_with("user_send_")
        || matches!(
            event_name,
            "user_submit_info" | "user_click_chatnow" | "follow" | "user_feedback"
        )
}

/// A citizen's answer to a rating template ("Đánh giá dịch vụ").
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Feedback {
    /// The citizen, when the event names them.
    pub user_id: Option<String>,
    /// 1 to 5 stars; `None` when absent or out of range.
    pub rate: Option<u8>,
    pub note: Option<String>,
    /// The reasons the citizen chose.
    pub feedbacks: Vec<String>,
    pub msg_id: Option<String>,
    pub tracking_id: Option<String>,
    pub timestamp: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("the body is not a JSON object")]
    NotJson,
    #[error("the event has no event_name")]
    NoEventName,
    #[error("event {event} lacks {field}")]
    Missing {
        event: &'static str,
        field: &'static str,
    },
}

impl ZaloEvent {
    /// Parses a webhook body.
    pub fn parse(raw_body: &[u8]) -> Result<ZaloEvent, EventError> {
        let value: Value = serde_json::from_slice(raw_body).map_err(|_| EventError::NotJson)?;
        if !value.is_object() {
            return Err(EventError::NotJson);
        }
        let event_name = text(&value, &["event_name"]).ok_or(EventError::NoEventName)?;
        let timestamp = text(&value, &["timestamp"]).unwrap_or_default();
        let need = |event: &'static str, field: &'static str, found: Option<String>| {
            found.ok_or(EventError::Missing { event, field })
        };
        Ok(match event_name.as_str() {
            "user_send_text" => ZaloEvent::UserSendText {
                user_id: need(
                    "user_send_text",
                    "sender.id",
                    text(&value, &["sender", "id"]),
                )?,
                msg_id: need(
                    "user_send_text",
                    "message.msg_id",
                    text(&value, &["message", "msg_id"]),
                )?,
                text: text(&value, &["message", "text"]).unwrap_or_default(),
                timestamp,
            },
            "follow" => ZaloEvent::Follow {
                user_id: need("follow", "follower.id", text(&value, &["follower", "id"]))?,
                timestamp,
            },
            "unfollow" => ZaloEvent::Unfollow {
                user_id: need("unfollow", "follower.id", text(&value, &["follower", "id"]))?,
                timestamp,
            },
            "user_feedback" => ZaloEvent::UserFeedback(Feedback::from_value(&value, timestamp)),
            _ => ZaloEvent::Unknown {
                user_id: text(&value, &["sender", "id"])
                    .or_else(|| text(&value, &["follower", "id"]))
                    .or_else(|| text(&value, &["user_id"])),
                msg_id: text(&value, &["message", "msg_id"]).or_else(|| text(&value, &["msg_id"])),
                tracking_id: text(&value, &["message", "tracking_id"])
                    .or_else(|| text(&value, &["tracking_id"])),
                event_name,
                timestamp,
            },
        })
    }

    /// The citizen whose interaction this event is, and when it happened: the event's own
    /// timestamp, never later than `now` (a clock ahead of ours does not stretch the window).
    /// `None` for events that are not interactions.
    pub fn interaction(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Option<(&str, chrono::DateTime<chrono::Utc>)> {
        let (user, timestamp) = match self {
            ZaloEvent::UserSendText {
                user_id, timestamp, ..
            }
            | ZaloEvent::Follow { user_id, timestamp } => (user_id.as_str(), timestamp),
            ZaloEvent::UserFeedback(feedback) => {
                (feedback.user_id.as_deref()?, &feedback.timestamp)
            }
            ZaloEvent::Unknown {
                event_name,
                user_id,
                timestamp,
                ..
            } if is_interaction(event_name) => (user_id.as_deref()?, timestamp),
            _ => return None,
        };
        Some((user, event_time(timestamp).map_or(now, |at| at.min(now))))
    }

    /// The key that makes a repeated delivery of the same event recognisable: the message id
    /// where the event has one, else its name, user and timestamp.
    pub fn dedup_key(&self) -> String {
        match self {
            ZaloEvent::UserSendText { msg_id, .. } => format!("msg:{msg_id}"),
            ZaloEvent::UserFeedback(feedback) => match (&feedback.msg_id, &feedback.tracking_id) {
                (Some(msg_id), _) => format!("feedback:{msg_id}"),
                (None, Some(tracking)) => format!("feedback-tracking:{tracking}"),
                (None, None) => format!(
                    "feedback:{}:{}",
                    feedback.user_id.as_deref().unwrap_or_default(),
                    feedback.timestamp
                ),
            },
            ZaloEvent::Follow { user_id, timestamp } => format!("follow:{user_id}:{timestamp}"),
            ZaloEvent::Unfollow { user_id, timestamp } => {
                format!("unfollow:{user_id}:{timestamp}")
            }
            ZaloEvent::Unknown {
                event_name,
                user_id,
                msg_id,
                timestamp,
                ..
            } => match msg_id {
                Some(msg_id) => format!("{event_name}:{msg_id}"),
                None => format!(
                    "{event_name}:{}:{timestamp}",
                    user_id.as_deref().unwrap_or_default()
                ),
            },
        }
    }

    pub fn event_name(&self) -> &str {
        match self {
            ZaloEvent::UserSendText { .. } => "user_send_text",
            ZaloEvent::Follow { .. } => "follow",
            ZaloEvent::Unfollow { .. } => "unfollow",
            ZaloEvent::UserFeedback(_) => "user_feedback",
            ZaloEvent::Unknown { event_name, .. } => event_name,
        }
    }
}

impl Feedback {
    /// Reads a feedback from a webhook event or from an item of the rating-query endpoint.
    pub fn from_value(value: &Value, timestamp: String) -> Feedback {
        let field = |names: &[&str]| {
            names
                .iter()
                .find_map(|name| text(value, &[name]).or_else(|| text(value, &["message", name])))
        };
        let list = ["feedbacks", "feedback"].iter().find_map(|name| {
            value
                .get(name)
                .or_else(|| value.get("message").and_then(|m| m.get(name)))
        });
        let feedbacks = match list {
            Some(Value::Array(items)) => items.iter().filter_map(scalar).collect(),
            Some(other) => scalar(other).into_iter().collect(),
            None => Vec::new(),
        };
        Feedback {
            user_id: text(value, &["sender", "id"])
                .or_else(|| text(value, &["user_id"]))
                .or_else(|| text(value, &["follower", "id"])),
            rate: field(&["rate", "rating"])
                .and_then(|r| r.trim().parse::<f64>().ok())
                .filter(|r| (1.0..=5.0).contains(r) && r.fract() == 0.0)
                .map(|r| r as u8),
            note: field(&["note"]).filter(|n| !n.trim().is_empty()),
            feedbacks,
            msg_id: field(&["msg_id", "msgId"]),
            tracking_id: field(&["tracking_id", "trackingId"]),
            timestamp,
        }
    }
}

/// An event's `timestamp` (epoch milliseconds, as a string) as a time.
pub fn event_time(timestamp: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let millis: i64 = timestamp.trim().parse().ok()?;
    chrono::DateTime::from_timestamp_millis(millis)
}

/// A string or number at `path`, as text.
fn text(value: &Value, path: &[&str]) -> Option<String> {
    let mut at = value;
    for key in path {
        at = at.get(key)?;
    }
    scalar(at)
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_follow_and_unknown_events() {
        let event = ZaloEvent::parse(
            br#"{"app_id":"1","sender":{"id":"u1"},"recipient":{"id":"oa"},
            "event_name":"user_send_text","message":{"text":"5","msg_id":"m1"},"timestamp":"17"}"#,
        )
        .unwrap();
        assert_eq!(
            event,
            ZaloEvent::UserSendText {
                user_id: "u1".into(),
                msg_id: "m1".into(),
                text: "5".into(),
                timestamp: "17".into()
            }
        );
        assert_eq!(event.dedup_key(), "msg:m1");
        let event =
            ZaloEvent::parse(br#"{"event_name":"unfollow","follower":{"id":9},"timestamp":"1"}"#)
                .unwrap();
        assert!(matches!(event, ZaloEvent::Unfollow { user_id, .. } if user_id == "9"));
        let event =
            ZaloEvent::parse(br#"{"event_name":"user_send_sticker","timestamp":"2"}"#).unwrap();
        assert_eq!(event.event_name(), "user_send_sticker");
        assert_eq!(ZaloEvent::parse(b"[1]"), Err(EventError::NotJson));
        assert_eq!(ZaloEvent::parse(b"{}"), Err(EventError::NoEventName));
        assert!(ZaloEvent::parse(br#"{"event_name":"user_send_text"}"#).is_err());
    }
}
