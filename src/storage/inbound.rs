//! Processed inbound messages, so a message delivered twice (a repeated Telegram update, a
//! retried webhook) is acted on once.

use super::{StorageError, timestamp};
use chrono::{DateTime, Utc};
use sqlx::{Any, Executor};

/// Records `message_id` of `channel` as seen; `true` the first time, `false` after. The one
/// statement every path that acts on an inbound message goes through.
pub(super) async fn record_inbound<'e>(
    executor: impl Executor<'e, Database = Any>,
    channel: &str,
    message_id: &str,
    now: DateTime<Utc>,
) -> Result<bool, StorageError> {
    let result = sqlx::query(
        "INSERT INTO inbound_messages (channel, message_id, seen_at) VALUES ($1, $2, $3)
         ON CONFLICT (channel, message_id) DO NOTHING",
    )
    .bind(channel)
    .bind(message_id)
    .bind(timestamp(now))
    .execute(executor)
    .await?;
    Ok(result.rows_affected() == 1)
}
