//! The responses already checked for alerts, so each is alerted on once, with its alert messages
//! in the same transaction.

use super::outbox::{Effects, apply_effects};
use super::{Db, StorageError, timestamp};
use chrono::{DateTime, Utc};

impl Db {
    /// Completed responses submitted since `since` not yet checked for alerts, with their
    /// integrity flag: a flagged response (it looks manufactured) is checked and marked but
    /// raises no alert.
    pub async fn responses_to_alert(
        &self,
        since: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<(i64, String, Option<String>)>, StorageError> {
        Ok(sqlx::query_as(
            "SELECT r.id, n.agency_code, r.flag FROM responses r JOIN notices n ON n.dossier_code = r.dossier_code
             LEFT JOIN alerted_responses a ON a.response_id = r.id
             WHERE a.response_id IS NULL AND r.submitted_at >= $1 ORDER BY r.id LIMIT $2",
        )
        .bind(timestamp(since))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Marks a response checked, with its alert messages, once.
    pub async fn mark_alerted(
        &self,
        response_id: i64,
        effects: &Effects,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let mut tx = self.pool.begin().await?;
        let fresh = sqlx::query(
            "INSERT INTO alerted_responses (response_id, created_at) VALUES ($1, $2) ON CONFLICT (response_id) DO NOTHING",
        )
        .bind(response_id)
        .bind(timestamp(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if fresh == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        apply_effects(&mut tx, effects, now).await?;
        tx.commit().await?;
        Ok(true)
    }
}
