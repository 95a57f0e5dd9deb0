//! What the demo leaves behind for a newcomer: the officials' summary of the week just ended for
//! the province (the same text a Telegram group gets on Monday), its chart PNG and its XLSX
//! written next to the demo's database, and the exact commands that explore the same database
//! next — each with its `DATABASE_URL`, so nothing a newcomer types meets an empty database.

use crate::app::error::AppError;
use crate::core::i18n::Locales;
use crate::core::summary::{self, Period, Week};
use crate::services::officials::{Officials, OfficialsError};
use crate::settings::config::Settings;
use crate::storage::Db;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The agency whose summary the demo shows: the sample province.
pub const DEMO_AGENCY: &str = "T14";

/// Writes the chart and the workbook of the week just ended and returns what to print: the
/// summary, where the files are, and the commands to run next.
pub async fn write_and_show(
    db: &Db,
    locales: &Locales,
    settings: &Settings,
    url: &str,
) -> Result<String, AppError> {
    let lang = settings.lang;
    let officials = Officials::new(
        db.clone(),
        Arc::new(Locales::load()),
        lang,
        crate::settings::config::DEFAULT_FLOW.to_string(),
    )
    .with_summary_settings(settings.summary);
    let week = Week::containing(chrono::Utc::now()).previous();
    let (summary, rows) = officials
        .period_summary_with_rows(DEMO_AGENCY, Period::Week(week), None)
        .await
        .map_err(|err| match err {
            OfficialsError::Storage(err) => AppError::Storage(err),
            OfficialsError::UnknownAgency(code) => AppError::UnknownAgency(code),
            OfficialsError::UnknownFlow(flow) => AppError::UnknownFlow(flow),
        })?;
    let dir = directory_of(url);
    let stem = format!("sipas-{DEMO_AGENCY}-{}", week.label());
    let png_path = dir.join(format!("{stem}.png"));
    let xlsx_path = dir.join(format!("{stem}.xlsx"));
    let workbook =
        summary::xlsx::workbook(locales, lang, &summary, &rows).map_err(|err| AppError::Io {
            path: xlsx_path.display().to_string(),
            reason: err.to_string(),
        })?;
    write(&png_path, &officials.chart(&summary))?;
    write(&xlsx_path, &workbook)?;

    let shown_url = public_url(url);
    let with_db = |command: &str| format!("  DATABASE_URL={shown_url} sipas-bot {command}");
    let commands = [
        with_db(&format!(
            "summary --agency {DEMO_AGENCY} --week {}",
            week.label()
        )),
        with_db(&format!(
            "summary --agency {} --week {}",
            super::WEAK_UNIT,
            week.label()
        )),
        with_db(&format!(
            "summary --agency {DEMO_AGENCY} --week {} --format png --output {}",
            week.previous().label(),
            dir.join(format!(
                "sipas-{DEMO_AGENCY}-{}.png",
                week.previous().label()
            ))
            .display()
        )),
        with_db("export --format csv"),
        with_db("admin add --role admin --login demo"),
        format!(
            "  DATABASE_URL={shown_url} TELEGRAM_BOT_TOKEN=<token> INTAKE_TOKEN=<16+> sipas-bot serve"
        ),
    ];
    let t = |id: &str, args: &[(&str, String)]| locales.text(lang, id, args);
    Ok([
        String::new(),
        summary::render::text(locales, lang, &summary),
        String::new(),
        t(
            "demo-files",
            &[
                ("chart", png_path.display().to_string()),
                ("workbook", xlsx_path.display().to_string()),
            ],
        ),
        String::new(),
        t("demo-explore", &[]),
        commands.join("\n"),
        t("demo-console", &[]),
    ]
    .join("\n"))
}

/// The folder of an SQLite database file; `./data` for any other database.
fn directory_of(url: &str) -> PathBuf {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or(rest));
    match path.and_then(|p| Path::new(p).parent()) {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("./data"),
    }
}

/// The URL as the printed commands give it: a password is never printed.
fn public_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), AppError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|err| AppError::Io {
            path: parent.display().to_string(),
            reason: err.to_string(),
        })?;
    }
    std::fs::write(path, bytes).map_err(|err| AppError::Io {
        path: path.display().to_string(),
        reason: err.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_go_next_to_the_database_and_passwords_stay_hidden() {
        assert_eq!(
            directory_of("sqlite://./data/demo.db"),
            PathBuf::from("./data")
        );
        assert_eq!(
            directory_of("sqlite:///tmp/x/demo.db?mode=rwc"),
            PathBuf::from("/tmp/x")
        );
        assert_eq!(directory_of("postgres://u:p@h/db"), PathBuf::from("./data"));
        assert_eq!(
            public_url("postgres://sipas:hunter2@db:5432/sipas"),
            "postgres://sipas:***@db:5432/sipas"
        );
        assert_eq!(
            public_url("sqlite://./data/demo.db"),
            "sqlite://./data/demo.db"
        );
    }
}
