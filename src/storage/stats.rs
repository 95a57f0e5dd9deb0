//! Figures for the demo's report and the console's agency page: scale ratings of completed
//! responses, and invitation and response counts per agency, the counts read from the running
//! totals. Aggregation happens in [`crate::core::scoring`] and [`crate::core::report`].

use super::columns::Level;
use super::summaries::count_invitations;
use super::{Db, InvitationStatus, StorageError};
pub use crate::core::report::{AgencyCounts, StoredRating};
use crate::core::summary::Counts;

/// One scale answer of a completed response, as read ([`StoredRating`] is the core's own type).
#[derive(sqlx::FromRow)]
struct RatingRow {
    agency_code: String,
    flow_version_id: i64,
    question_id: String,
    #[sqlx(try_from = "Level")]
    level: Option<u8>,
}

impl Db {
    /// Every scale answer of every completed response.
    pub async fn scale_ratings(&self) -> Result<Vec<StoredRating>, StorageError> {
        let rows: Vec<RatingRow> = sqlx::query_as(
            "SELECT n.agency_code, a.flow_version_id, a.question_id, a.level
             FROM answers a
             JOIN responses r ON r.session_id = a.session_id
             JOIN notices n ON n.dossier_code = r.dossier_code
             WHERE a.kind = 'scale'",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| StoredRating {
                agency_code: row.agency_code,
                flow_version_id: row.flow_version_id,
                question_id: row.question_id,
                level: row.level,
            })
            .collect())
    }

    /// Completed responses per agency and flow version: `(agency, flow id, version, count)`.
    pub async fn responses_by_agency_and_version(
        &self,
    ) -> Result<Vec<(String, String, i64, i64)>, StorageError> {
        // From the running totals: flagged responses are responses too.
        Ok(sqlx::query_as(
            "SELECT t.agency_code, f.flow_id, f.version, CAST(SUM(t.responses + t.flagged) AS BIGINT) AS total
             FROM response_totals t JOIN flow_versions f ON f.id = t.flow_version_id
             GROUP BY t.agency_code, f.flow_id, f.version HAVING SUM(t.responses + t.flagged) <> 0
             ORDER BY t.agency_code, f.flow_id, f.version",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Invitation outcomes per agency code.
    pub async fn agency_counts(&self) -> Result<Vec<AgencyCounts>, StorageError> {
        let rows: Vec<(String, InvitationStatus, i64)> = sqlx::query_as(
            "SELECT agency_code, status, CAST(SUM(count) AS BIGINT) AS total FROM invitation_totals
             GROUP BY agency_code, status HAVING SUM(count) <> 0 ORDER BY agency_code",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut tallies: Vec<(String, Counts)> = Vec::new();
        for (agency_code, status, total) in rows {
            if tallies.last().is_none_or(|(code, _)| *code != agency_code) {
                tallies.push((agency_code, Counts::default()));
            }
            let (_, counts) = tallies.last_mut().expect("just pushed");
            count_invitations(counts, status, total);
        }
        Ok(tallies
            .into_iter()
            .map(|(agency_code, counts)| AgencyCounts {
                agency_code,
                invitations: counts.invitations,
                responses: counts.responses,
                declines: counts.declines,
                undeliverable: counts.undeliverable,
            })
            .collect())
    }
}
