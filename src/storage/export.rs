//! Answers of completed responses, flat, for `sipas-bot export`. No chat ids, no phone numbers,
//! no dossier codes: a row says what was answered about which service, not who answered. For the
//! same reason times are given to the day (Asia/Ho_Chi_Minh), since a completion time to the
//! second can single out one dossier, and comments are masked as in the summaries. A flagged
//! response's rows carry its `flag`, so they can be read apart from the honest ones.

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
    /// Why the response was flagged as looking manufactured (`many_dossiers`, `too_fast`), empty
    /// when it was not: such answers are kept but must be read apart from the honest ones.
    pub flag: Option<String>,
}

impl Db {
    /// Every answer of every completed response, oldest response first, in the order asked.
    pub async fn export_rows(&self) -> Result<Vec<ExportRow>, StorageError> {
        let rows: Vec<ExportRow> = sqlx::query_as(
            "SELECT r.id AS response_id, f.flow_id, f.version AS flow_version, a.question_id, a.kind, a.value,
                    a.skipped, a.factor, n.agency_code, n.procedure_code, n.submission_channel,
                    r.channel AS response_channel, n.completed_at, r.submitted_at, r.flag
             FROM responses r
             JOIN answers a ON a.session_id = r.session_id
             JOIN flow_versions f ON f.id = a.flow_version_id
             JOIN notices n ON n.dossier_code = r.dossier_code
             ORDER BY r.id, a.position",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| ExportRow {
                answer: if row.kind == "text" {
                    crate::core::summary::mask(&row.answer)
                } else {
                    row.answer
                },
                dossier_completed_at: day_of(&row.dossier_completed_at),
                submitted_at: day_of(&row.submitted_at),
                ..row
            })
            .collect())
    }
}

impl ExportRow {
    /// The row with every text cell made safe to open in a spreadsheet: a cell that starts with
    /// `=`, `+`, `-`, `@`, a tab or a carriage return would be read as a formula (a comment
    /// `=HYPERLINK(...)` becomes a live link), so it gets a leading `'`.
    pub fn for_spreadsheet(&self) -> ExportRow {
        let cell = |text: &str| spreadsheet_cell(text).into_owned();
        ExportRow {
            flow_id: cell(&self.flow_id),
            question_id: cell(&self.question_id),
            kind: cell(&self.kind),
            answer: cell(&self.answer),
            factor: self.factor.as_deref().map(cell),
            agency_code: cell(&self.agency_code),
            procedure_code: cell(&self.procedure_code),
            submission_channel: cell(&self.submission_channel),
            response_channel: cell(&self.response_channel),
            flag: self.flag.as_deref().map(cell),
            ..self.clone()
        }
    }
}

/// `text` with a leading `'` when a spreadsheet would take it for a formula.
pub fn spreadsheet_cell(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

/// The calendar day in Vietnam of a stored RFC 3339 time, `YYYY-MM-DD`. A value that does not
/// parse keeps only its date part rather than failing the whole export.
fn day_of(stored: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(stored) {
        Ok(at) => at
            .with_timezone(&crate::core::clock::vietnam())
            .format("%Y-%m-%d")
            .to_string(),
        Err(_) => stored.chars().take(10).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::{day_of, spreadsheet_cell};

    #[test]
    fn formulas_are_neutralised() {
        for formula in [
            "=HYPERLINK(\"http://x.example\",\"bấm\")",
            "+1+2",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
        ] {
            assert_eq!(spreadsheet_cell(formula), format!("'{formula}"));
        }
        for plain in ["Rất nhanh", "5", "", "a=b", "'=x"] {
            assert_eq!(spreadsheet_cell(plain), plain);
        }
    }

    #[test]
    fn times_are_given_to_the_day_in_vietnam() {
        assert_eq!(day_of("2026-11-16T08:15:42Z"), "2026-11-16");
        // 18:30 UTC is already the next day in Hà Nội.
        assert_eq!(day_of("2026-11-16T18:30:00Z"), "2026-11-17");
        assert_eq!(day_of("2026-11-16T09:00:00+07:00"), "2026-11-16");
        assert_eq!(day_of("2026-11-16 08:15"), "2026-11-16");
    }
}
