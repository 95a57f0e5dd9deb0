//! The flow lifecycle: draft → validated → published, the version in force per flow (a rollback
//! points it at an earlier published version), which flow each agency subtree uses, and the audit
//! log that every change writes in its own transaction.

use super::{Db, StorageError, parse_timestamp, timestamp};
use crate::flow::Flow;
use chrono::{DateTime, Utc};
use sqlx::{Any, Row, Transaction};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FlowStatus {
    Draft,
    Validated,
    Published,
}

impl FlowStatus {
    pub fn code(self) -> &'static str {
        match self {
            FlowStatus::Draft => "draft",
            FlowStatus::Validated => "validated",
            FlowStatus::Published => "published",
        }
    }

    fn parse(code: &str) -> Option<FlowStatus> {
        match code {
            "draft" => Some(FlowStatus::Draft),
            "validated" => Some(FlowStatus::Validated),
            "published" => Some(FlowStatus::Published),
            _ => None,
        }
    }
}

/// A stored version with its lifecycle facts.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowVersionInfo {
    pub id: i64,
    pub flow_id: String,
    pub version: i64,
    pub title: String,
    pub status: FlowStatus,
    pub owner_agency: Option<String>,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Whether new invitations of this flow use this version.
    pub current: bool,
    pub responses: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub before: Option<String>,
    pub after: Option<String>,
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
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<sqlx::Error> for LifecycleError {
    fn from(err: sqlx::Error) -> Self {
        LifecycleError::Storage(err.into())
    }
}

/// Writes one audit entry inside `tx`.
pub(super) async fn audit(
    tx: &mut Transaction<'_, Any>,
    actor: &str,
    action: &str,
    target: &str,
    before: Option<&str>,
    after: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    sqlx::query("INSERT INTO audit_log (at, actor, action, target, before, after) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(timestamp(now))
        .bind(actor)
        .bind(action)
        .bind(target)
        .bind(before)
        .bind(after)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

const VERSION_SELECT: &str =
    "SELECT v.id, v.flow_id, v.version, v.title, v.status, v.owner_agency, v.created_by,
    v.created_at, CAST(CASE WHEN c.flow_version_id = v.id THEN 1 ELSE 0 END AS BIGINT) AS current,
    (SELECT COUNT(*) FROM responses r WHERE r.flow_version_id = v.id) AS responses
    FROM flow_versions v LEFT JOIN flow_current c ON c.flow_id = v.flow_id";

impl Db {
    /// Every version of every flow, by flow and version.
    pub async fn flow_versions(&self) -> Result<Vec<FlowVersionInfo>, StorageError> {
        let rows = sqlx::query(&format!("{VERSION_SELECT} ORDER BY v.flow_id, v.version"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(info_from_row).collect()
    }

    pub async fn flow_version_info(
        &self,
        id: i64,
    ) -> Result<Option<FlowVersionInfo>, StorageError> {
        let row = sqlx::query(&format!("{VERSION_SELECT} WHERE v.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| info_from_row(&row)).transpose()
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
        let next: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM flow_versions WHERE flow_id = $1",
        )
        .bind(&flow.id)
        .fetch_one(&mut *tx)
        .await?;
        flow.version = next;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO flow_versions (flow_id, version, title, source, status, owner_agency, created_by, created_at)
             VALUES ($1, $2, $3, $4, 'draft', $5, $6, $7) RETURNING id",
        )
        .bind(&flow.id)
        .bind(next)
        .bind(&flow.title.vi)
        .bind(flow.to_toml())
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
            "UPDATE flow_versions SET source = $1, title = $2, status = 'draft' WHERE id = $3 AND status <> 'published'",
        )
        .bind(&after)
        .bind(&flow.title.vi)
        .bind(id)
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
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE flow_versions SET status = 'published', published_at = $1 WHERE id = $2 AND status = 'validated'")
            .bind(timestamp(now))
            .bind(id)
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
            .bind(to.code())
            .bind(id)
            .bind(from.code())
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

    /// Makes `flow_id` the flow of an agency subtree (`*`: every agency without its own).
    pub async fn assign_flow(
        &self,
        agency_code: &str,
        flow_id: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let mut tx = self.pool.begin().await?;
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
        let assignments: Vec<(String, String)> =
            sqlx::query("SELECT agency_code, flow_id FROM flow_assignments")
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|row| Ok((row.try_get("agency_code")?, row.try_get("flow_id")?)))
                .collect::<Result<_, sqlx::Error>>()?;
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

    pub async fn flow_assignments(&self) -> Result<Vec<(String, String)>, StorageError> {
        let rows =
            sqlx::query("SELECT agency_code, flow_id FROM flow_assignments ORDER BY agency_code")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("agency_code")?, row.try_get("flow_id")?)))
            .collect()
    }

    /// Records an action outside the lifecycle (imports, codes, users) in the audit log.
    pub async fn record_audit(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        before: Option<&str>,
        after: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let mut tx = self.pool.begin().await?;
        audit(&mut tx, actor, action, target, before, after, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The newest audit entries first.
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>, StorageError> {
        let rows = sqlx::query("SELECT at, actor, action, target, before, after FROM audit_log ORDER BY id DESC LIMIT $1")
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                let at: String = row.try_get("at")?;
                Ok(AuditEntry {
                    at: parse_timestamp(&at)?,
                    actor: row.try_get("actor")?,
                    action: row.try_get("action")?,
                    target: row.try_get("target")?,
                    before: row.try_get("before")?,
                    after: row.try_get("after")?,
                })
            })
            .collect()
    }
}

/// Points `flow_id` at `version_id`; returns the version label it pointed at before.
pub(super) async fn set_current(
    tx: &mut Transaction<'_, Any>,
    flow_id: &str,
    version_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<String>, StorageError> {
    let before: Option<i64> = sqlx::query_scalar(
        "SELECT v.version FROM flow_current c JOIN flow_versions v ON v.id = c.flow_version_id WHERE c.flow_id = $1",
    )
    .bind(flow_id)
    .fetch_optional(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO flow_current (flow_id, flow_version_id, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (flow_id) DO UPDATE SET flow_version_id = excluded.flow_version_id, updated_at = excluded.updated_at",
    )
    .bind(flow_id)
    .bind(version_id)
    .bind(timestamp(now))
    .execute(&mut **tx)
    .await?;
    Ok(before.map(|v| format!("v{v}")))
}

fn info_from_row(row: &sqlx::any::AnyRow) -> Result<FlowVersionInfo, StorageError> {
    let status: String = row.try_get("status")?;
    let created: String = row.try_get("created_at")?;
    let current: i64 = row.try_get("current")?;
    Ok(FlowVersionInfo {
        id: row.try_get("id")?,
        flow_id: row.try_get("flow_id")?,
        version: row.try_get("version")?,
        title: row.try_get("title")?,
        status: FlowStatus::parse(&status)
            .ok_or_else(|| StorageError::Corrupt(format!("flow status {status:?}")))?,
        owner_agency: row.try_get("owner_agency")?,
        created_by: row.try_get("created_by")?,
        created_at: parse_timestamp(&created)?,
        current: current != 0,
        responses: row.try_get("responses")?,
    })
}
