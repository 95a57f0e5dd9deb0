//! The flow lifecycle: draft → validated → published, and the version in force per flow (a
//! rollback points it at an earlier published version). Every change is audited in its own
//! transaction (see [`super::audit`]); which flow an agency uses is in [`super::assignments`].

use super::audit::audit;
use super::codes::stored_code;
use super::columns::{Flag, Stamp};
use super::{Db, StorageError, timestamp};
use crate::core::flow::Flow;
use chrono::{DateTime, Utc};
use sqlx::{Any, Executor, Transaction};

stored_code! {
    /// Where a flow version is in its lifecycle.
    #[derive(serde::Serialize)]
    #[serde(rename_all = "lowercase")]
    pub enum FlowStatus("flow status") {
        Draft = "draft",
        Validated = "validated",
        Published = "published",
    }
}

/// A stored version with its lifecycle facts.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct FlowVersionInfo {
    pub id: i64,
    pub flow_id: String,
    pub version: i64,
    pub title: String,
    pub status: FlowStatus,
    pub owner_agency: Option<String>,
    pub created_by: Option<String>,
    #[sqlx(try_from = "Stamp")]
    pub created_at: DateTime<Utc>,
    /// Whether new invitations of this flow use this version.
    #[sqlx(try_from = "Flag")]
    pub current: bool,
    pub responses: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    #[error("flow version {0} is not stored")]
    Unknown(i64),
    #[error("flow version {0} is published and can no longer change")]
    Published(i64),
    #[error("flow version {0} must be validated before it is published")]
    NotValidated(i64),
    #[error("flow version {0} was never published")]
    NeverPublished(i64),
    /// Assigning a flow that has no published version would fail every notice of the subtree.
    #[error("flow {0} has no published version")]
    NothingPublished(String),
    /// A fork's flow id is already used by a flow another agency (or everyone) owns.
    #[error("flow {0} belongs to another agency")]
    OwnedElsewhere(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<sqlx::Error> for LifecycleError {
    fn from(err: sqlx::Error) -> Self {
        LifecycleError::Storage(err.into())
    }
}

const VERSION_SELECT: &str =
    "SELECT v.id, v.flow_id, v.version, v.title, v.status, v.owner_agency, v.created_by,
    v.created_at, CAST(CASE WHEN c.flow_version_id = v.id THEN 1 ELSE 0 END AS BIGINT) AS current,
    (SELECT COUNT(*) FROM responses r WHERE r.flow_version_id = v.id) AS responses
    FROM flow_versions v LEFT JOIN flow_current c ON c.flow_id = v.flow_id";

impl Db {
    /// Every version of every flow, by flow and version.
    pub async fn flow_versions(&self) -> Result<Vec<FlowVersionInfo>, StorageError> {
        Ok(
            sqlx::query_as(&format!("{VERSION_SELECT} ORDER BY v.flow_id, v.version"))
                .fetch_all(&self.pool)
                .await?,
        )
    }

    pub async fn flow_version_info(
        &self,
        id: i64,
    ) -> Result<Option<FlowVersionInfo>, StorageError> {
        Ok(sqlx::query_as(&format!("{VERSION_SELECT} WHERE v.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The version of `flow_id` at `version`.
    pub async fn flow_version_id(
        &self,
        flow_id: &str,
        version: i64,
    ) -> Result<Option<i64>, StorageError> {
        Ok(
            sqlx::query_scalar("SELECT id FROM flow_versions WHERE flow_id = $1 AND version = $2")
                .bind(flow_id)
                .bind(version)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Starts a draft from a stored version: a copy under the next free version number. With
    /// `fork`, the copy starts a flow of its own (`(flow id, owner agency)`), as a manager's
    /// flow for their subtree does.
    pub async fn create_draft(
        &self,
        from_id: i64,
        fork: Option<(&str, &str)>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, LifecycleError> {
        let source = self
            .flow_version(from_id)
            .await
            .map_err(|_| LifecycleError::Unknown(from_id))?;
        let mut info = self
            .flow_version_info(from_id)
            .await?
            .ok_or(LifecycleError::Unknown(from_id))?;
        let mut flow = source.flow.clone();
        if let Some((flow_id, owner)) = fork {
            flow.id = flow_id.to_string();
            info.owner_agency = Some(owner.to_string());
        }
        let mut tx = self.pool.begin().await?;
        if let Some((flow_id, owner)) = fork {
            // A fork is owned by its agency: never add versions to a flow id someone else owns.
            let foreign: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM flow_versions WHERE flow_id = $1
                 AND (owner_agency IS NULL OR owner_agency <> $2)",
            )
            .bind(flow_id)
            .bind(owner)
            .fetch_one(&mut *tx)
            .await?;
            if foreign > 0 {
                return Err(LifecycleError::OwnedElsewhere(flow_id.to_string()));
            }
        }
        let next: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM flow_versions WHERE flow_id = $1",
        )
        .bind(&flow.id)
        .fetch_one(&mut *tx)
        .await?;
        flow.version = next;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO flow_versions (flow_id, version, title, source, status, owner_agency, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(&flow.id)
        .bind(next)
        .bind(&flow.title.vi)
        .bind(flow.to_toml())
        .bind(FlowStatus::Draft)
        .bind(info.owner_agency.as_deref())
        .bind(actor)
        .bind(timestamp(now))
        .fetch_one(&mut *tx)
        .await?;
        let target = format!("{} v{next}", flow.id);
        audit(
            &mut tx,
            actor,
            "flow.draft",
            &target,
            None,
            Some(&format!("from v{}", source.flow.version)),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Saves an edited draft (a validated one goes back to draft). A published version is refused.
    pub async fn save_draft(
        &self,
        id: i64,
        flow: &Flow,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<(), LifecycleError> {
        let info = self
            .flow_version_info(id)
            .await?
            .ok_or(LifecycleError::Unknown(id))?;
        if info.status == FlowStatus::Published {
            return Err(LifecycleError::Published(id));
        }
        let before = self.flow_version(id).await?.flow.to_toml();
        let mut flow = flow.clone();
        flow.id = info.flow_id.clone();
        flow.version = info.version;
        let after = flow.to_toml();
        let mut tx = self.pool.begin().await?;
        let updated = sqlx::query(
            "UPDATE flow_versions SET source = $1, title = $2, status = $3 WHERE id = $4 AND status <> $5",
        )
        .bind(&after)
        .bind(&flow.title.vi)
        .bind(FlowStatus::Draft)
        .bind(id)
        .bind(FlowStatus::Published)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            return Err(LifecycleError::Published(id));
        }
        let target = format!("{} v{}", info.flow_id, info.version);
        audit(
            &mut tx,
            actor,
            "flow.edit",
            &target,
            Some(&before),
            Some(&after),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Marks a draft validated (the caller has checked it has no problem).
    pub async fn mark_validated(
        &self,
        id: i64,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<(), LifecycleError> {
        self.set_status(
            id,
            FlowStatus::Draft,
            FlowStatus::Validated,
            "flow.validate",
            actor,
            now,
        )
        .await
    }

    /// Publishes a validated version and puts it in force for new invitations.
    pub async fn publish(
        &self,
        id: i64,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<(), LifecycleError> {
        let info = self
            .flow_version_info(id)
            .await?
            .ok_or(LifecycleError::Unknown(id))?;
        match info.status {
            FlowStatus::Published => return Err(LifecycleError::Published(id)),
            FlowStatus::Draft => return Err(LifecycleError::NotValidated(id)),
            FlowStatus::Validated => {}
        }
        // Validated once is not enough: the stored source is checked again as it is now, so a
        // version marked validated by a path that did not check (or under older rules) cannot go
        // in force.
        let stored = self.flow_version(id).await?;
        let file = format!("{} v{}", info.flow_id, info.version);
        if !crate::core::flow::validate(&file, &stored.flow).is_empty() {
            return Err(LifecycleError::NotValidated(id));
        }
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE flow_versions SET status = $1, published_at = $2 WHERE id = $3 AND status = $4",
        )
        .bind(FlowStatus::Published)
        .bind(timestamp(now))
        .bind(id)
        .bind(FlowStatus::Validated)
        .execute(&mut *tx)
        .await?;
        let before = set_current(&mut tx, &info.flow_id, id, now).await?;
        let target = format!("{} v{}", info.flow_id, info.version);
        audit(
            &mut tx,
            actor,
            "flow.publish",
            &target,
            before.as_deref(),
            Some(&format!("v{}", info.version)),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Puts an earlier published version in force again.
    pub async fn rollback(
        &self,
        id: i64,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<(), LifecycleError> {
        let info = self
            .flow_version_info(id)
            .await?
            .ok_or(LifecycleError::Unknown(id))?;
        if info.status != FlowStatus::Published {
            return Err(LifecycleError::NeverPublished(id));
        }
        let mut tx = self.pool.begin().await?;
        let before = set_current(&mut tx, &info.flow_id, id, now).await?;
        let target = info.flow_id.clone();
        audit(
            &mut tx,
            actor,
            "flow.rollback",
            &target,
            before.as_deref(),
            Some(&format!("v{}", info.version)),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_status(
        &self,
        id: i64,
        from: FlowStatus,
        to: FlowStatus,
        action: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<(), LifecycleError> {
        let info = self
            .flow_version_info(id)
            .await?
            .ok_or(LifecycleError::Unknown(id))?;
        if info.status == FlowStatus::Published {
            return Err(LifecycleError::Published(id));
        }
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE flow_versions SET status = $1 WHERE id = $2 AND status = $3")
            .bind(to)
            .bind(id)
            .bind(from)
            .execute(&mut *tx)
            .await?;
        let target = format!("{} v{}", info.flow_id, info.version);
        audit(
            &mut tx,
            actor,
            action,
            &target,
            Some(info.status.code()),
            Some(to.code()),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The version number of `flow_id` in force, if any.
pub(super) async fn current_version<'e>(
    executor: impl Executor<'e, Database = Any>,
    flow_id: &str,
) -> Result<Option<i64>, StorageError> {
    Ok(sqlx::query_scalar(
        "SELECT v.version FROM flow_current c JOIN flow_versions v ON v.id = c.flow_version_id WHERE c.flow_id = $1",
    )
    .bind(flow_id)
    .fetch_optional(executor)
    .await?)
}

/// Puts `version_id` in force for `flow_id`.
pub(super) async fn put_in_force<'e>(
    executor: impl Executor<'e, Database = Any>,
    flow_id: &str,
    version_id: i64,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO flow_current (flow_id, flow_version_id, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (flow_id) DO UPDATE SET flow_version_id = excluded.flow_version_id, updated_at = excluded.updated_at",
    )
    .bind(flow_id)
    .bind(version_id)
    .bind(timestamp(now))
    .execute(executor)
    .await?;
    Ok(())
}

/// Points `flow_id` at `version_id`; returns the version label it pointed at before.
pub(super) async fn set_current(
    tx: &mut Transaction<'_, Any>,
    flow_id: &str,
    version_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<String>, StorageError> {
    let before = current_version(&mut **tx, flow_id).await?;
    put_in_force(&mut **tx, flow_id, version_id, now).await?;
    Ok(before.map(|v| format!("v{v}")))
}
