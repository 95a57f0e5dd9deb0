//! Counts for the console's agency page and the demo: invitation outcomes and responses per
//! agency and flow version, read from the running totals. Every index is computed by the one
//! summary engine ([`crate::core::summary`]), never here.

use super::summaries::count_invitations;
use super::{Db, InvitationStatus, StorageError};
use crate::core::summary::Counts;

/// Invitations of one agency by outcome, as the console's agency page and the demo show them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgencyCounts {
    pub agency_code: String,
    pub invitations: u64,
    pub responses: u64,
    pub declines: u64,
    pub undeliverable: u64,
}

impl Db {
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
