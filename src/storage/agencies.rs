//! Agencies: the administrative units that handle dossiers. Their tree is walked only through
//! [`AgencyTree`], which [`Db::agency_tree`] loads.

use super::{Db, StorageError, timestamp};
use crate::core::agency::AgencyTree;
pub use crate::core::agency::{Agency, AgencyLevel};
use chrono::{DateTime, Utc};

/// An agency as stored: the level is read as text and checked, so a damaged row is reported
/// as corrupt instead of failing the query.
#[derive(sqlx::FromRow)]
struct AgencyRow {
    code: String,
    name: String,
    parent_code: Option<String>,
    level: String,
}

impl TryFrom<AgencyRow> for Agency {
    type Error = StorageError;

    fn try_from(row: AgencyRow) -> Result<Agency, StorageError> {
        let level = AgencyLevel::from_code(&row.level)
            .ok_or_else(|| StorageError::Corrupt(format!("agency level {:?}", row.level)))?;
        Ok(Agency {
            code: row.code,
            name: row.name,
            parent_code: row.parent_code,
            level,
        })
    }
}

const AGENCY_SELECT: &str = "SELECT code, name, parent_code, level FROM agencies";

impl Db {
    /// Inserts or updates an agency by code. The parent must already exist.
    pub async fn upsert_agency(
        &self,
        agency: &Agency,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        sqlx::query(
            "INSERT INTO agencies (code, name, parent_code, level, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, parent_code = excluded.parent_code,
             level = excluded.level",
        )
        .bind(&agency.code)
        .bind(&agency.name)
        .bind(agency.parent_code.as_deref())
        .bind(agency.level.code())
        .bind(timestamp(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn agency(&self, code: &str) -> Result<Option<Agency>, StorageError> {
        let row: Option<AgencyRow> = sqlx::query_as(&format!("{AGENCY_SELECT} WHERE code = $1"))
            .bind(code)
            .fetch_optional(&self.pool)
            .await?;
        row.map(Agency::try_from).transpose()
    }

    /// Every agency, ordered by code.
    pub async fn agencies(&self) -> Result<Vec<Agency>, StorageError> {
        let rows: Vec<AgencyRow> = sqlx::query_as(&format!("{AGENCY_SELECT} ORDER BY code"))
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(Agency::try_from).collect()
    }

    /// Whether `code` is `root` or an agency under it: a walk up from `code` by the primary key
    /// (a parent cycle in stored data ends, as `UNION` keeps each row once). An unknown `code`
    /// is under nothing.
    pub async fn agency_within(&self, code: &str, root: &str) -> Result<bool, StorageError> {
        let found: i64 = sqlx::query_scalar(
            "WITH RECURSIVE up (code, parent_code) AS (
                SELECT code, parent_code FROM agencies WHERE code = $1
                UNION SELECT a.code, a.parent_code FROM agencies a JOIN up ON a.code = up.parent_code)
             SELECT COUNT(*) FROM up WHERE code = $2",
        )
        .bind(code)
        .bind(root)
        .fetch_one(&self.pool)
        .await?;
        Ok(found > 0)
    }

    /// The whole tree, read once for one use (a summary, an alert pass, a permission check).
    pub async fn agency_tree(&self) -> Result<AgencyTree, StorageError> {
        Ok(AgencyTree::new(self.agencies().await?))
    }
}
