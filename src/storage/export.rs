//! Answers of completed responses, flat, for `sipas-bot export`. No chat ids, no phone numbers,
//! no dossier codes: a row says what was answered about which service, not who answered.

use super::{Db, StorageError};
use serde::Serialize;
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportRow {
    pub response_id: i64,
    pub flow_id: String,
    pub flow_version: i64,
    pub question_id: String,
    pub kind: String,
    pub answer: String,
    pub skipped: bool,
    pub factor: Option<String>,
    pub agency_code: String,
    pub procedure_code: String,
    pub submission_channel: String,
    pub response_channel: String,
    pub dossier_completed_at: String,
    pub submitted_at: String,
}

impl Db {
    /// Every answer of every completed response, oldest response first, in the order asked.
    pub async fn export_rows(&self) -> Result<Vec<ExportRow>, StorageError> {
        let rows = sqlx::query(
            "SELECT r.id AS response_id, f.flow_id, f.version AS flow_version, a.question_id, a.kind, a.value,
                    a.skipped, a.factor, n.agency_code, n.procedure_code, n.submission_channel,
                    r.channel AS response_channel, n.completed_at, r.submitted_at
             FROM responses r
             JOIN answers a ON a.session_id = r.session_id
             JOIN flow_versions f ON f.id = a.flow_version_id
             JOIN notices n ON n.dossier_code = r.dossier_code
             ORDER BY r.id, a.position",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let skipped: i64 = row.try_get("skipped")?;
                Ok(ExportRow {
                    response_id: row.try_get("response_id")?,
                    flow_id: row.try_get("flow_id")?,
                    flow_version: row.try_get("flow_version")?,
                    question_id: row.try_get("question_id")?,
                    kind: row.try_get("kind")?,
                    answer: row.try_get("value")?,
                    skipped: skipped != 0,
                    factor: row.try_get("factor")?,
                    agency_code: row.try_get("agency_code")?,
                    procedure_code: row.try_get("procedure_code")?,
                    submission_channel: row.try_get("submission_channel")?,
                    response_channel: row.try_get("response_channel")?,
                    dossier_completed_at: row.try_get("completed_at")?,
                    submitted_at: row.try_get("submitted_at")?,
                })
            })
            .collect()
    }
}
