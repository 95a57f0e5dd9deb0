//! `sipas-bot summary`: the weekly summary of an agency, offline, as text, JSON or the chart.

use crate::config::Settings;
use crate::error::AppError;
use crate::i18n::Locales;
use crate::officials::{Officials, OfficialsError};
use crate::summary::{self, Week};
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
}

#[derive(Debug, Args)]
pub struct SummaryArgs {
    #[arg(long)]
    pub agency: String,
    /// The ISO week, e.g. 2026-W47; default: the week just ended.
    #[arg(long)]
    pub week: Option<String>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: SummaryFormat,
    /// Also show the index as points on this maximum (e.g. 24).
    #[arg(long)]
    pub points_max: Option<f64>,
    /// Write to this file instead of standard output (a PNG needs one unless piped).
    #[arg(long)]
    pub output: Option<PathBuf>,
}

pub async fn run(
    args: SummaryArgs,
    settings: &Settings,
    locales: &Locales,
) -> Result<ExitCode, AppError> {
    let week = match &args.week {
        Some(text) => Week::parse(text).ok_or_else(|| AppError::BadWeek(text.clone()))?,
        None => Week::containing(chrono::Utc::now()).previous(),
    };
    let db = crate::startup::open_store(settings.database_url.expose()).await?;
    let weekly = Officials::new(
        db.clone(),
        Arc::new(Locales::load()),
        settings.lang,
        settings.flow.clone(),
    );
    let summary = weekly
        .summary(&args.agency, week, args.points_max)
        .await
        .map_err(|err| match err {
            OfficialsError::Storage(err) => AppError::Storage(err),
            OfficialsError::UnknownAgency(code) => AppError::UnknownAgency(code),
            OfficialsError::UnknownFlow(flow) => AppError::UnknownFlow(flow),
        })?;
    db.close().await;
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
        SummaryFormat::Png => summary::chart::png(locales, settings.lang, &summary),
    };
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
