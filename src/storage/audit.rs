//! The audit log: who changed what, when, with the value before and after. Every change that is
//! audited writes its entry in the same transaction as the change itself.

use super::columns::Stamp;
use super::{Db, StorageError, timestamp};
use chrono::{DateTime, Utc};
use sqlx::{Any, Transaction};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditEntry {
    #[sqlx(try_from = "Stamp")]
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub before: Option<String>,
    pub after: Option<String>,
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

impl Db {
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
        Ok(sqlx::query_as(
            "SELECT at, actor, action, target, before, after FROM audit_log ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}
