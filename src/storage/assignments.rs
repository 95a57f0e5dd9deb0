//! Which flow each agency subtree uses: an assignment per agency code (`*` for every agency
//! without its own), resolved up the agency tree when an invitation is created.

use super::audit::audit;
use super::lifecycle::{FlowStatus, LifecycleError};
use super::{Db, StorageError, timestamp};
use chrono::{DateTime, Utc};

impl Db {
    /// Makes `flow_id` the flow of an agency subtree (`*`: every agency without its own). Only
    /// a flow with a published version can be assigned: otherwise every notice of the subtree
    /// would find no version to invite with.
    pub async fn assign_flow(
        &self,
        agency_code: &str,
        flow_id: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<(), LifecycleError> {
        let mut tx = self.pool.begin().await?;
        let published: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM flow_versions WHERE flow_id = $1 AND status = $2",
        )
        .bind(flow_id)
        .bind(FlowStatus::Published)
        .fetch_one(&mut *tx)
        .await?;
        if published == 0 {
            return Err(LifecycleError::NothingPublished(flow_id.to_string()));
        }
        let before: Option<String> =
            sqlx::query_scalar("SELECT flow_id FROM flow_assignments WHERE agency_code = $1")
                .bind(agency_code)
                .fetch_optional(&mut *tx)
                .await?;
        sqlx::query(
            "INSERT INTO flow_assignments (agency_code, flow_id, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (agency_code) DO UPDATE SET flow_id = excluded.flow_id, updated_at = excluded.updated_at",
        )
        .bind(agency_code)
        .bind(flow_id)
        .bind(timestamp(now))
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            actor,
            "flow.assign",
            agency_code,
            before.as_deref(),
            Some(flow_id),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The flow new invitations of `agency_code` use: the nearest assignment up its tree, then
    /// the default assignment `*`, then `fallback`.
    pub async fn flow_for_agency(
        &self,
        agency_code: &str,
        fallback: &str,
    ) -> Result<String, StorageError> {
        let assignments = self.flow_assignments().await?;
        if assignments.is_empty() {
            return Ok(fallback.to_string());
        }
        let tree = self.agency_tree().await?;
        for code in tree.ancestors(agency_code) {
            if let Some((_, flow)) = assignments.iter().find(|(a, _)| a == code) {
                return Ok(flow.clone());
            }
        }
        Ok(assignments
            .iter()
            .find(|(a, _)| a == "*")
            .map_or(fallback.to_string(), |(_, flow)| flow.clone()))
    }

    /// Every assignment as `(agency code, flow id)`, by agency code.
    pub async fn flow_assignments(&self) -> Result<Vec<(String, String)>, StorageError> {
        Ok(
            sqlx::query_as(
                "SELECT agency_code, flow_id FROM flow_assignments ORDER BY agency_code",
            )
            .fetch_all(&self.pool)
            .await?,
        )
    }
}
