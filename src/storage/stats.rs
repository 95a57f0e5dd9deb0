//! Figures for summaries: scale ratings of completed responses and invitation counts per agency.
//! Aggregation happens in [`crate::scoring`] and [`crate::report`]; this only reads rows.

use super::{Db, StorageError};
pub use crate::report::{AgencyCounts, StoredRating};
use sqlx::Row;

impl Db {
    /// Every scale answer of every completed response.
    pub async fn scale_ratings(&self) -> Result<Vec<StoredRating>, StorageError> {
        let rows = sqlx::query(
            "SELECT n.agency_code, a.flow_version_id, a.question_id, a.level
             FROM answers a
             JOIN responses r ON r.session_id = a.session_id
             JOIN notices n ON n.dossier_code = r.dossier_code
             WHERE a.kind = 'scale'",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let level: Option<i64> = row.try_get("level")?;
                Ok(StoredRating {
                    agency_code: row.try_get("agency_code")?,
                    flow_version_id: row.try_get("flow_version_id")?,
                    question_id: row.try_get("question_id")?,
                    level: level.and_then(|l| u8::try_from(l).ok()),
                })
            })
            .collect()
    }

    /// Completed responses per agency and flow version: `(agency, flow id, version, count)`.
    pub async fn responses_by_agency_and_version(
        &self,
    ) -> Result<Vec<(String, String, i64, i64)>, StorageError> {
        let rows = sqlx::query(
            "SELECT n.agency_code, f.flow_id, f.version, COUNT(*) AS total
             FROM responses r JOIN notices n ON n.dossier_code = r.dossier_code
             JOIN flow_versions f ON f.id = r.flow_version_id
             GROUP BY n.agency_code, f.flow_id, f.version ORDER BY n.agency_code, f.flow_id, f.version",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("agency_code")?,
                    row.try_get("flow_id")?,
                    row.try_get("version")?,
                    row.try_get("total")?,
                ))
            })
            .collect()
    }

    /// Invitation outcomes per agency code.
    pub async fn agency_counts(&self) -> Result<Vec<AgencyCounts>, StorageError> {
        let rows = sqlx::query(
            "SELECT n.agency_code, i.status, COUNT(*) AS total
             FROM invitations i JOIN notices n ON n.dossier_code = i.dossier_code
             GROUP BY n.agency_code, i.status ORDER BY n.agency_code",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut counts: Vec<AgencyCounts> = Vec::new();
        for row in &rows {
            let agency_code: String = row.try_get("agency_code")?;
            let status: String = row.try_get("status")?;
            let total: i64 = row.try_get("total")?;
            if counts.last().is_none_or(|c| c.agency_code != agency_code) {
                counts.push(AgencyCounts {
                    agency_code: agency_code.clone(),
                    ..AgencyCounts::default()
                });
            }
            let entry = counts.last_mut().expect("just pushed");
            let total = total as u64;
            entry.invitations += total;
            match status.as_str() {
                "completed" => entry.responses += total,
                "declined" => entry.declines += total,
                "undeliverable" => entry.undeliverable += total,
                _ => {}
            }
        }
        Ok(counts)
    }
}
