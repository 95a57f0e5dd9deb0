//! Agencies: the administrative units that handle dossiers, in a tree (tỉnh > sở/huyện > xã).

use super::codes::stored_code;
use super::{Db, StorageError, timestamp};
use chrono::{DateTime, Utc};

stored_code! {
    /// The level of an agency in the administrative tree.
    #[derive(serde::Serialize, serde::Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub enum AgencyLevel("agency level") {
        Tinh = "tinh",
        So = "so",
        Huyen = "huyen",
        Xa = "xa",
    }
}

impl AgencyLevel {
    /// Reads what a person typed (an import file): the codes and the Vietnamese words, with or
    /// without diacritics.
    pub fn parse(text: &str) -> Option<AgencyLevel> {
        AgencyLevel::from_code(&crate::survey::normalize(text))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct Agency {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    pub level: AgencyLevel,
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
        .bind(agency.level)
        .bind(timestamp(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn agency(&self, code: &str) -> Result<Option<Agency>, StorageError> {
        Ok(sqlx::query_as(&format!("{AGENCY_SELECT} WHERE code = $1"))
            .bind(code)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Every agency, ordered by code.
    pub async fn agencies(&self) -> Result<Vec<Agency>, StorageError> {
        Ok(sqlx::query_as(&format!("{AGENCY_SELECT} ORDER BY code"))
            .fetch_all(&self.pool)
            .await?)
    }
}

/// The agency and every agency above it, nearest first. A cycle in bad data ends the chain
/// instead of looping.
pub fn ancestors(agencies: &[Agency], code: &str) -> Vec<String> {
    let mut chain = vec![code.to_string()];
    while let Some(parent) = agencies
        .iter()
        .find(|a| Some(&a.code) == chain.last())
        .and_then(|a| a.parent_code.clone())
    {
        if chain.contains(&parent) {
            break;
        }
        chain.push(parent);
    }
    chain
}

/// Whether `code` is `scope` or an agency under it.
pub fn within(agencies: &[Agency], code: &str, scope: &str) -> bool {
    ancestors(agencies, code).iter().any(|c| c == scope)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agency(code: &str, parent: Option<&str>) -> Agency {
        Agency {
            code: code.into(),
            name: code.into(),
            parent_code: parent.map(str::to_string),
            level: AgencyLevel::Xa,
        }
    }

    #[test]
    fn ancestors_walk_up_and_stop_on_a_cycle() {
        let tree = [
            agency("T", None),
            agency("H", Some("T")),
            agency("X", Some("H")),
        ];
        assert_eq!(ancestors(&tree, "X"), ["X", "H", "T"]);
        assert!(within(&tree, "X", "T") && within(&tree, "H", "H") && !within(&tree, "T", "H"));
        let cycle = [agency("A", Some("B")), agency("B", Some("A"))];
        assert_eq!(ancestors(&cycle, "A"), ["A", "B"]);
        assert_eq!(ancestors(&tree, "UNKNOWN"), ["UNKNOWN"]);
    }
}
