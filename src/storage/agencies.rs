//! Agencies: the administrative units that handle dossiers. Their tree is walked only through
//! [`AgencyTree`], which [`Db::agency_tree`] loads.

use super::{Db, StorageError, timestamp};
use crate::agency::AgencyTree;
pub use crate::agency::{Agency, AgencyLevel};
use chrono::{DateTime, Utc};
use sqlx::Row;

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
        let row =
            sqlx::query("SELECT code, name, parent_code, level FROM agencies WHERE code = $1")
                .bind(code)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|row| agency_from_row(&row)).transpose()
    }

    /// Every agency, ordered by code.
    pub async fn agencies(&self) -> Result<Vec<Agency>, StorageError> {
        let rows = sqlx::query("SELECT code, name, parent_code, level FROM agencies ORDER BY code")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(agency_from_row).collect()
    }

    /// The whole tree, read once for one use (a summary, an alert pass, a permission check).
    pub async fn agency_tree(&self) -> Result<AgencyTree, StorageError> {
        Ok(AgencyTree::new(self.agencies().await?))
    }
}

fn agency_from_row(row: &sqlx::any::AnyRow) -> Result<Agency, StorageError> {
    let level: String = row.try_get("level")?;
    Ok(Agency {
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        parent_code: row.try_get("parent_code")?,
        level: AgencyLevel::parse(&level)
            .ok_or_else(|| StorageError::Corrupt(format!("agency level {level:?}")))?,
    })
}
