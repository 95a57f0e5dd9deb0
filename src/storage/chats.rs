//! The chats each channel knows: a chat that has talked to us can be written to first (Telegram
//! lets a bot message only chats that started it).

use super::{Db, StorageError, timestamp};
use chrono::{DateTime, Utc};

impl Db {
    /// Remembers that a chat has talked to us; `true` the first time.
    pub async fn remember_chat(
        &self,
        channel: &str,
        chat_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let inserted = sqlx::query(
            "INSERT INTO channel_chats (channel, chat_id, first_seen_at) VALUES ($1, $2, $3)
             ON CONFLICT (channel, chat_id) DO NOTHING",
        )
        .bind(channel)
        .bind(chat_id)
        .bind(timestamp(now))
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(inserted == 1)
    }

    pub async fn knows_chat(&self, channel: &str, chat_id: &str) -> Result<bool, StorageError> {
        let known: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM channel_chats WHERE channel = $1 AND chat_id = $2")
                .bind(channel)
                .bind(chat_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(known.is_some())
    }
}
