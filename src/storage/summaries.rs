//! The rows a weekly summary and an alert are computed from.

use super::columns::{Level, Stamp};
use super::{Db, InvitationStatus, StorageError, timestamp};
use crate::core::summary::{AnswerRow, Counts, DossierCount, Period};
use chrono::{DateTime, Utc};

/// A completed response as an alert needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseFacts {
    pub response_id: i64,
    pub agency_code: String,
    pub agency_name: Option<String>,
    pub procedure_name: String,
    pub dossier_code: String,
    pub flow_version_id: i64,
    pub answers: Vec<AnswerRow>,
}

/// `$2, $3, …` for a list bound after `offset` other parameters.
fn placeholders(offset: usize, count: usize) -> String {
    (0..count)
        .map(|i| format!("${}", offset + i + 1))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An answer row as stored; [`AnswerRow`] belongs to the pure summary code, which knows no SQL.
#[derive(sqlx::FromRow)]
struct StoredAnswer {
    response_id: i64,
    agency_code: String,
    procedure_code: String,
    procedure_name: String,
    #[sqlx(try_from = "Stamp")]
    submitted_at: DateTime<Utc>,
    question_id: String,
    kind: String,
    value: String,
    #[sqlx(try_from = "Level")]
    level: Option<u8>,
    submission_channel: String,
}

impl From<StoredAnswer> for AnswerRow {
    fn from(stored: StoredAnswer) -> AnswerRow {
        AnswerRow {
            response_id: stored.response_id,
            agency_code: stored.agency_code,
            procedure_code: stored.procedure_code,
            procedure_name: stored.procedure_name,
            submitted_at: stored.submitted_at,
            question_id: stored.question_id,
            kind: stored.kind,
            value: stored.value,
            level: stored.level,
            submission_channel: stored.submission_channel,
        }
    }
}

/// The head of a response as an alert needs it.
#[derive(sqlx::FromRow)]
struct ResponseHead {
    flow_version_id: i64,
    agency_code: String,
    agency_name: Option<String>,
    procedure_name: String,
    dossier_code: String,
}

/// Adds `total` invitations in `status` to `counts`. The one place outcomes are told apart.
pub(super) fn count_invitations(counts: &mut Counts, status: InvitationStatus, total: i64) {
    let total = total as u64;
    counts.invitations += total;
    match status {
        InvitationStatus::Completed => counts.responses += total,
        InvitationStatus::Declined => counts.declines += total,
        InvitationStatus::Undeliverable => counts.undeliverable += total,
        InvitationStatus::Withdrawn => counts.withdrawn += total,
        InvitationStatus::Pending | InvitationStatus::Started | InvitationStatus::Postponed => {}
    }
}

const ANSWER_SELECT: &str =
    "SELECT r.id AS response_id, n.agency_code, n.procedure_code, n.procedure_name, r.submitted_at, a.question_id, a.kind,
    a.value, a.level, n.submission_channel FROM responses r
    JOIN answers a ON a.session_id = r.session_id
    JOIN notices n ON n.dossier_code = r.dossier_code";

impl Db {
    /// The answers of responses submitted in `[from, to)` to agencies in `codes`, flagged ones
    /// left out: the answer-row computation the totals replaced, kept for comparisons.
    pub async fn summary_rows(
        &self,
        codes: &[String],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<AnswerRow>, StorageError> {
        if codes.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "{ANSWER_SELECT} WHERE r.submitted_at >= $1 AND r.submitted_at < $2 AND r.flag IS NULL AND n.agency_code IN ({})
             ORDER BY r.id, a.position",
            placeholders(2, codes.len())
        );
        let mut query = sqlx::query_as::<_, StoredAnswer>(&sql)
            .bind(timestamp(from))
            .bind(timestamp(to));
        for code in codes {
            query = query.bind(code);
        }
        let rows = query.fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(AnswerRow::from).collect())
    }

    /// The answers of `period`'s responses in the scope of `agency_code` (flagged ones left
    /// out), for the XLSX export of every answer. Summaries read totals instead.
    pub async fn period_answer_rows(
        &self,
        agency_code: &str,
        period: Period,
    ) -> Result<Vec<AnswerRow>, StorageError> {
        let rows = sqlx::query_as::<_, StoredAnswer>(&format!(
            "WITH RECURSIVE tree (code) AS (
                SELECT code FROM agencies WHERE code = $1
                UNION SELECT a.code FROM agencies a JOIN tree t ON a.parent_code = t.code)
             {ANSWER_SELECT} JOIN tree ON tree.code = n.agency_code
             WHERE r.submitted_at >= $2 AND r.submitted_at < $3 AND r.flag IS NULL
             ORDER BY r.id, a.position"
        ))
        .bind(agency_code)
        .bind(timestamp(period.start()))
        .bind(timestamp(period.end()))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(AnswerRow::from).collect())
    }

    /// Dossiers completed in `[from, to)` (Vietnam days) for agencies in `codes`, per agency and
    /// submission channel, counted from the notices themselves: the check of `dossier_totals`.
    pub async fn dossier_counts(
        &self,
        codes: &[String],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<DossierCount>, StorageError> {
        if codes.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT agency_code, submission_channel, COUNT(*) FROM notices
             WHERE completed_at >= $1 AND completed_at < $2 AND agency_code IN ({})
             GROUP BY agency_code, submission_channel ORDER BY agency_code, submission_channel",
            placeholders(2, codes.len())
        );
        let mut query = sqlx::query_as::<_, (String, String, i64)>(&sql)
            .bind(timestamp(from))
            .bind(timestamp(to));
        for code in codes {
            query = query.bind(code);
        }
        Ok(query
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|(agency_code, channel, dossiers)| DossierCount {
                agency_code,
                channel,
                dossiers: dossiers as u64,
            })
            .collect())
    }

    /// Invitations created in `[from, to)` for agencies in `codes`, by outcome.
    pub async fn invitation_counts(
        &self,
        codes: &[String],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Counts, StorageError> {
        let mut counts = Counts::default();
        if codes.is_empty() {
            return Ok(counts);
        }
        let sql = format!(
            "SELECT i.status, COUNT(*) AS total FROM invitations i JOIN notices n ON n.dossier_code = i.dossier_code
             WHERE i.created_at >= $1 AND i.created_at < $2 AND n.agency_code IN ({}) GROUP BY i.status",
            placeholders(2, codes.len())
        );
        let mut query = sqlx::query_as::<_, (InvitationStatus, i64)>(&sql)
            .bind(timestamp(from))
            .bind(timestamp(to));
        for code in codes {
            query = query.bind(code);
        }
        for (status, total) in query.fetch_all(&self.pool).await? {
            count_invitations(&mut counts, status, total);
        }
        Ok(counts)
    }

    /// One completed response with its answers.
    pub async fn response_facts(
        &self,
        response_id: i64,
    ) -> Result<Option<ResponseFacts>, StorageError> {
        let Some(head) = sqlx::query_as::<_, ResponseHead>(
            "SELECT r.id, r.flow_version_id, n.agency_code, n.procedure_name, n.dossier_code, g.name AS agency_name
             FROM responses r JOIN notices n ON n.dossier_code = r.dossier_code
             LEFT JOIN agencies g ON g.code = n.agency_code WHERE r.id = $1",
        )
        .bind(response_id)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let rows = sqlx::query_as::<_, StoredAnswer>(&format!(
            "{ANSWER_SELECT} WHERE r.id = $1 ORDER BY a.position"
        ))
        .bind(response_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(Some(ResponseFacts {
            response_id,
            agency_code: head.agency_code,
            agency_name: head.agency_name,
            procedure_name: head.procedure_name,
            dossier_code: head.dossier_code,
            flow_version_id: head.flow_version_id,
            answers: rows.into_iter().map(AnswerRow::from).collect(),
        }))
    }
}
