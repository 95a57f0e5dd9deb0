//! `sipas-bot export`: the stored answers of completed responses as CSV or JSON. No chat ids,
//! no phone numbers, no dossier codes.

use super::Format;
use crate::app::error::AppError;
use crate::settings::config::Settings;
use crate::storage::{Db, ExportRow};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(long, value_enum)]
    pub format: Format,
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub output: Option<PathBuf>,
}

pub async fn run(args: ExportArgs, settings: &Settings) -> Result<ExitCode, AppError> {
    let db = Db::open(settings.database_url.expose()).await?;
    let rows = db.export_rows().await?;
    db.close().await;
    let bytes = render(&rows, args.format);
    let written = match &args.output {
        Some(path) => std::fs::write(path, &bytes).map_err(|err| (super::display_path(path), err)),
        None => std::io::stdout()
            .lock()
            .write_all(&bytes)
            .map_err(|err| ("stdout".to_string(), err)),
    };
    written.map_err(|(path, err)| AppError::Io {
        path,
        reason: err.to_string(),
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The rows in `format`: CSV with a header line (cells safe from formula injection), or a JSON
/// array.
pub fn render(rows: &[ExportRow], format: Format) -> Vec<u8> {
    match format {
        Format::Json => {
            let mut bytes = serde_json::to_vec_pretty(rows).expect("rows serialize");
            bytes.push(b'\n');
            bytes
        }
        Format::Csv => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            if rows.is_empty() {
                // serde-driven headers come with the first row; write them for an empty export too.
                writer.write_record(CSV_HEADER).expect("writing to memory");
            }
            for row in rows {
                writer
                    .serialize(row.for_spreadsheet())
                    .expect("writing to memory");
            }
            writer.into_inner().expect("writing to memory")
        }
    }
}

const CSV_HEADER: &[&str] = &[
    "response_id",
    "flow_id",
    "flow_version",
    "question_id",
    "kind",
    "answer",
    "skipped",
    "factor",
    "agency_code",
    "procedure_code",
    "submission_channel",
    "response_channel",
    "dossier_completed_at",
    "submitted_at",
    "flag",
];
