//! Flow versions. A stored version never changes: every answer points at the exact questions it
//! answered, and a survey in progress keeps reading the version it started on.

use super::{Db, StorageError, timestamp};
use crate::flow::Flow;
use chrono::{DateTime, Utc};
use sqlx::Row;

/// A flow version as stored, with its row id.
#[derive(Debug, Clone)]
pub struct StoredFlow {
    pub id: i64,
    pub flow: Flow,
}

impl Db {
    /// Stores a validated flow version and returns its id. Storing the same version again with
    /// the same content returns the existing id; other content under a published id and version
    /// is refused.
    pub async fn store_flow(&self, flow: &Flow, now: DateTime<Utc>) -> Result<i64, StorageError> {
        let source = flow.to_toml();
        let existing =
            sqlx::query("SELECT id, source FROM flow_versions WHERE flow_id = $1 AND version = $2")
                .bind(&flow.id)
                .bind(flow.version)
                .fetch_optional(&self.pool)
                .await?;
        if let Some(row) = existing {
            let stored: String = row.try_get("source")?;
            return if stored == source {
                Ok(row.try_get("id")?)
            } else {
                Err(StorageError::PublishedVersionDiffers {
                    flow_id: flow.id.clone(),
                    version: flow.version,
                })
            };
        }
        let row = sqlx::query(
            "INSERT INTO flow_versions (flow_id, version, title, source, status, created_at)
             VALUES ($1, $2, $3, $4, 'published', $5)
             ON CONFLICT (flow_id, version) DO NOTHING RETURNING id",
        )
        .bind(&flow.id)
        .bind(flow.version)
        .bind(&flow.title.vi)
        .bind(&source)
        .bind(timestamp(now))
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => Ok(row.try_get("id")?),
            // Another process stored the same version between our read and write: check again.
            None => Box::pin(self.store_flow(flow, now)).await,
        }
    }

    /// Loads a stored version by id.
    pub async fn flow_version(&self, id: i64) -> Result<StoredFlow, StorageError> {
        let row = sqlx::query("SELECT id, source FROM flow_versions WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StorageError::UnknownFlowVersion(id))?;
        stored_from_row(&row)
    }

    /// The newest published version of `flow_id`.
    pub async fn latest_flow(&self, flow_id: &str) -> Result<Option<StoredFlow>, StorageError> {
        let row = sqlx::query(
            "SELECT id, source FROM flow_versions WHERE flow_id = $1 AND status = 'published'
             ORDER BY version DESC LIMIT 1",
        )
        .bind(flow_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| stored_from_row(&row)).transpose()
    }
}

fn stored_from_row(row: &sqlx::any::AnyRow) -> Result<StoredFlow, StorageError> {
    let id: i64 = row.try_get("id")?;
    let source: String = row.try_get("source")?;
    let flow = Flow::from_toml(&format!("flow_versions/{id}"), &source)
        .map_err(|err| StorageError::Corrupt(err.to_string()))?;
    Ok(StoredFlow { id, flow })
}
