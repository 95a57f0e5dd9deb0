//! Answers of completed responses, flat, for `sipas-bot export`. No chat ids, no phone numbers,
//! no dossier codes: a row says what was answered about which service, not who answered.

use super::columns::Flag;
use super::{Db, StorageError};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ExportRow {
    pub response_id: i64,
    pub flow_id: String,
    pub flow_version: i64,
    pub question_id: String,
    pub kind: String,
    #[sqlx(rename = "value")]
    pub answer: String,
    #[sqlx(try_from = "Flag")]
    pub skipped: bool,
    pub factor: Option<String>,
    pub agency_code: String,
    pub procedure_code: String,
    pub submission_channel: String,
    pub response_channel: String,
    #[sqlx(rename = "completed_at")]
    pub dossier_completed_at: String,
    pub submitted_at: String,
}

impl Db {
    /// Every answer of every completed response, oldest response first, in the order asked.
    pub async fn export_rows(&self) -> Result<Vec<ExportRow>, StorageError> {
        Ok(sqlx::query_as(
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
        .await?)
    }
}
