//! `sipas-bot summary`: the summary of an agency over a week, month, quarter or year, offline, as
//! text, JSON, the chart or the XLSX workbook.

use crate::app::error::AppError;
use crate::core::i18n::Locales;
use crate::core::summary::{self, Options, Period, Week};
use crate::services::officials::{Officials, OfficialsError};
use crate::settings::config::Settings;
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SummaryFormat {
    Text,
    Json,
    Png,
    Xlsx,
}

#[derive(Debug, Args)]
pub struct SummaryArgs {
    #[arg(long)]
    pub agency: String,
    /// The ISO week, e.g. 2026-W47; default: the week just ended.
    #[arg(long, conflicts_with = "period")]
    pub week: Option<String>,
    /// A year (2026), a quarter (2026-Q3), a month (2026-11) or an ISO week (2026-W47).
    #[arg(long)]
    pub period: Option<String>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: SummaryFormat,
    /// Also show the index as points on this maximum (e.g. 24).
    #[arg(long)]
    pub points_max: Option<f64>,
    /// The target index drawn on the chart, as a fraction (0.9) or a percentage (90).
    #[arg(long, env = "SIPAS_TARGET", default_value_t = summary::DEFAULT_TARGET)]
    pub target: f64,
    /// A procedure needs this many responses to be listed among the lowest-rated.
    #[arg(long, env = "SUMMARY_PROCEDURE_MIN_RESPONSES", default_value_t = summary::DEFAULT_PROCEDURE_MIN_RESPONSES)]
    pub procedure_min_responses: u64,
    /// Write to this file instead of standard output (a PNG needs one unless piped).
    #[arg(long)]
    pub output: Option<PathBuf>,
}

pub async fn run(
    args: SummaryArgs,
    settings: &Settings,
    locales: &Locales,
) -> Result<ExitCode, AppError> {
    let period = match (&args.period, &args.week) {
        (Some(text), _) => Period::parse(text).ok_or_else(|| AppError::BadPeriod(text.clone()))?,
        (None, Some(text)) => Week::parse(text)
            .ok_or_else(|| AppError::BadWeek(text.clone()))?
            .into(),
        (None, None) => Week::containing(chrono::Utc::now()).previous().into(),
    };
    let target = if args.target > 1.0 {
        args.target / 100.0
    } else {
        args.target
    };
    let db = crate::services::startup::open_store(settings.database_url.expose()).await?;
    let weekly = Officials::new(
        db.clone(),
        Arc::new(Locales::load()),
        settings.lang,
        settings.flow.clone(),
    );
    let options = Options {
        points_max: args.points_max,
        procedure_min_responses: args.procedure_min_responses,
    };
    let summary = weekly
        .period_summary(&args.agency, period, options)
        .await
        .map_err(app_error)?;
    let bytes = match args.format {
        SummaryFormat::Text => format!(
            "{}\n",
            summary::render::text(locales, settings.lang, &summary)
        )
        .into_bytes(),
        SummaryFormat::Json => {
            let mut json = serde_json::to_vec_pretty(&summary).expect("a summary serializes");
            json.push(b'\n');
            json
        }
        SummaryFormat::Png => {
            summary::chart::png_with_target(locales, settings.lang, &summary, target)
        }
        SummaryFormat::Xlsx => {
            let in_period = db.period_answer_rows(&args.agency, period).await?;
            summary::xlsx::workbook(locales, settings.lang, &summary, &in_period).map_err(
                |err| AppError::Io {
                    path: "xlsx".to_string(),
                    reason: err.to_string(),
                },
            )?
        }
    };
    db.close().await;
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

fn app_error(err: OfficialsError) -> AppError {
    match err {
        OfficialsError::Storage(err) => AppError::Storage(err),
        OfficialsError::UnknownAgency(code) => AppError::UnknownAgency(code),
        OfficialsError::UnknownFlow(flow) => AppError::UnknownFlow(flow),
    }
}
