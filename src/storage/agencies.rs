//! Agencies: the administrative units that handle dossiers, in a tree (tỉnh > sở/huyện > xã).

use super::{Db, StorageError, timestamp};
use chrono::{DateTime, Utc};
use sqlx::Row;

/// The level of an agency in the administrative tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AgencyLevel {
    Tinh,
    So,
    Huyen,
    Xa,
}

impl AgencyLevel {
    pub fn code(self) -> &'static str {
        match self {
            AgencyLevel::Tinh => "tinh",
            AgencyLevel::So => "so",
            AgencyLevel::Huyen => "huyen",
            AgencyLevel::Xa => "xa",
        }
    }

    /// Accepts the codes and the Vietnamese words, with or without diacritics.
    pub fn parse(text: &str) -> Option<AgencyLevel> {
        match crate::survey::normalize(text).as_str() {
            "tinh" => Some(AgencyLevel::Tinh),
            "so" => Some(AgencyLevel::So),
            "huyen" => Some(AgencyLevel::Huyen),
            "xa" => Some(AgencyLevel::Xa),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Agency {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    pub level: AgencyLevel,
}

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
