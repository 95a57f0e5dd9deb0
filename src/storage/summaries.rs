//! The rows a weekly summary and an alert are computed from.

use super::{Db, StorageError, parse_timestamp, timestamp};
use crate::summary::{AnswerRow, Counts};
use chrono::{DateTime, Utc};
use sqlx::Row;

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

fn answer_from_row(row: &sqlx::any::AnyRow) -> Result<AnswerRow, StorageError> {
    let submitted: String = row.try_get("submitted_at")?;
    let level: Option<i64> = row.try_get("level")?;
    Ok(AnswerRow {
        response_id: row.try_get("response_id")?,
        agency_code: row.try_get("agency_code")?,
        procedure_code: row.try_get("procedure_code")?,
        procedure_name: row.try_get("procedure_name")?,
        submitted_at: parse_timestamp(&submitted)?,
        question_id: row.try_get("question_id")?,
        kind: row.try_get("kind")?,
        value: row.try_get("value")?,
        level: level.and_then(|l| u8::try_from(l).ok()),
    })
}

const ANSWER_SELECT: &str =
    "SELECT r.id AS response_id, n.agency_code, n.procedure_code, n.procedure_name, r.submitted_at, a.question_id, a.kind,
    a.value, a.level FROM responses r
    JOIN answers a ON a.session_id = r.session_id
    JOIN notices n ON n.dossier_code = r.dossier_code";

impl Db {
    /// The answers of responses submitted in `[from, to)` to agencies in `codes`.
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
            "{ANSWER_SELECT} WHERE r.submitted_at >= $1 AND r.submitted_at < $2 AND n.agency_code IN ({})
             ORDER BY r.id, a.position",
            placeholders(2, codes.len())
        );
        let mut query = sqlx::query(&sql).bind(timestamp(from)).bind(timestamp(to));
        for code in codes {
            query = query.bind(code);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(answer_from_row).collect()
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
        let mut query = sqlx::query(&sql).bind(timestamp(from)).bind(timestamp(to));
        for code in codes {
            query = query.bind(code);
        }
        for row in query.fetch_all(&self.pool).await? {
            let status: String = row.try_get("status")?;
            let total = row.try_get::<i64, _>("total")? as u64;
            counts.invitations += total;
            match status.as_str() {
                "completed" => counts.responses += total,
                "declined" => counts.declines += total,
                "undeliverable" => counts.undeliverable += total,
                _ => {}
            }
        }
        Ok(counts)
    }

    /// One completed response with its answers.
    pub async fn response_facts(
        &self,
        response_id: i64,
    ) -> Result<Option<ResponseFacts>, StorageError> {
        let Some(head) = sqlx::query(
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
        let rows = sqlx::query(&format!(
            "{ANSWER_SELECT} WHERE r.id = $1 ORDER BY a.position"
        ))
        .bind(response_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(Some(ResponseFacts {
            response_id,
            agency_code: head.try_get("agency_code")?,
            agency_name: head.try_get("agency_name")?,
            procedure_name: head.try_get("procedure_name")?,
            dossier_code: head.try_get("dossier_code")?,
            flow_version_id: head.try_get("flow_version_id")?,
            answers: rows.iter().map(answer_from_row).collect::<Result<_, _>>()?,
        }))
    }
}
