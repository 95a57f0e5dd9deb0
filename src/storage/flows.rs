//! Flow versions. A stored version never changes: every answer points at the exact questions it
//! answered, and a survey in progress keeps reading the version it started on.

use super::lifecycle::{FlowStatus, current_version, put_in_force, set_current};
use super::{Db, StorageError, timestamp};
use crate::core::flow::Flow;
use chrono::{DateTime, Utc};

/// A flow version as stored, with its row id.
#[derive(Debug, Clone)]
pub struct StoredFlow {
    pub id: i64,
    pub flow: Flow,
}

/// The audit log's actor for what the binary's shipped flows change at start-up.
pub const SHIPPED_ACTOR: &str = "sipas-bot";

impl Db {
    /// Publishes a flow file as is (`sipas-bot flow publish`): stored, put in force, audited.
    pub async fn publish_flow_file(
        &self,
        flow: &Flow,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StorageError> {
        let id = self.store_flow(flow, now).await?;
        let mut tx = self.pool.begin().await?;
        let before = set_current(&mut tx, &flow.id, id, now).await?;
        sqlx::query("UPDATE flow_versions SET published_at = COALESCE(published_at, $1), created_by = COALESCE(created_by, $2) WHERE id = $3")
            .bind(timestamp(now))
            .bind(actor)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let target = format!("{} v{}", flow.id, flow.version);
        super::audit::audit(
            &mut tx,
            actor,
            "flow.publish",
            &target,
            before.as_deref(),
            Some(&format!("v{}", flow.version)),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Stores a validated flow version and returns its id. Storing the same version again with
    /// the same content returns the existing id; other content under a published id and version
    /// is refused.
    pub async fn store_flow(&self, flow: &Flow, now: DateTime<Utc>) -> Result<i64, StorageError> {
        let source = flow.to_toml();
        let existing: Option<(i64, String)> = sqlx::query_as(
            "SELECT id, source FROM flow_versions WHERE flow_id = $1 AND version = $2",
        )
        .bind(&flow.id)
        .bind(flow.version)
        .fetch_optional(&self.pool)
        .await?;
        if let Some((id, stored)) = existing {
            return if stored == source {
                Ok(id)
            } else {
                Err(StorageError::PublishedVersionDiffers {
                    flow_id: flow.id.clone(),
                    version: flow.version,
                })
            };
        }
        let inserted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO flow_versions (flow_id, version, title, source, status, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (flow_id, version) DO NOTHING RETURNING id",
        )
        .bind(&flow.id)
        .bind(flow.version)
        .bind(&flow.title.vi)
        .bind(&source)
        .bind(FlowStatus::Published)
        .bind(timestamp(now))
        .fetch_optional(&self.pool)
        .await?;
        match inserted {
            Some(id) => {
                // A newly stored version newer than the one in force replaces it (an upgrade
                // shipping a new flow version); a rollback is kept, since that version is not new.
                // Replacing a version in force (perhaps one an admin published or rolled back
                // to) is audited, in the same transaction, so the console's history says why the
                // flow changed.
                let mut tx = self.pool.begin().await?;
                let current = current_version(&mut *tx, &flow.id).await?;
                if current.is_none_or(|version| version < flow.version) {
                    put_in_force(&mut *tx, &flow.id, id, now).await?;
                    if let Some(before) = current {
                        super::audit::audit(
                            &mut tx,
                            SHIPPED_ACTOR,
                            "flow.shipped_in_force",
                            &format!("{} v{}", flow.id, flow.version),
                            Some(&format!("v{before}")),
                            Some(&format!("v{}", flow.version)),
                            now,
                        )
                        .await?;
                    }
                }
                tx.commit().await?;
                Ok(id)
            }
            // Another process stored the same version between our read and write: check again.
            None => Box::pin(self.store_flow(flow, now)).await,
        }
    }

    /// Loads a stored version by id.
    pub async fn flow_version(&self, id: i64) -> Result<StoredFlow, StorageError> {
        let row = sqlx::query_as("SELECT id, source FROM flow_versions WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StorageError::UnknownFlowVersion(id))?;
        parse_stored(row)
    }

    /// The version of `flow_id` in force for new invitations: the one published last or rolled
    /// back to, else the newest published.
    pub async fn latest_flow(&self, flow_id: &str) -> Result<Option<StoredFlow>, StorageError> {
        let current = sqlx::query_as(
            "SELECT v.id, v.source FROM flow_current c JOIN flow_versions v ON v.id = c.flow_version_id
             WHERE c.flow_id = $1",
        )
        .bind(flow_id)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(row) = current {
            return parse_stored(row).map(Some);
        }
        let row = sqlx::query_as(
            "SELECT id, source FROM flow_versions WHERE flow_id = $1 AND status = $2
             ORDER BY version DESC LIMIT 1",
        )
        .bind(flow_id)
        .bind(FlowStatus::Published)
        .fetch_optional(&self.pool)
        .await?;
        row.map(parse_stored).transpose()
    }
}

/// A stored `(id, source)` read back into a flow.
fn parse_stored((id, source): (i64, String)) -> Result<StoredFlow, StorageError> {
    let flow = Flow::from_toml(&format!("flow_versions/{id}"), &source)
        .map_err(|err| StorageError::Corrupt(err.to_string()))?;
    Ok(StoredFlow { id, flow })
}
