//! The health check's write: one heartbeat row, upserted, so `/healthz` knows the database
//! takes writes and not only reads.

use super::{Db, StorageError, timestamp};
use chrono::{DateTime, Utc};

impl Db {
    /// Upserts the heartbeat row `name` with `now`.
    pub async fn write_heartbeat(
        &self,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO health_heartbeats (name, beat_at) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET beat_at = $2",
        )
        .bind(name)
        .bind(timestamp(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
