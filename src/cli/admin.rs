//! `sipas-bot admin add` and `sipas-bot agency import`: bootstrap console users, load agencies.

use crate::app::error::AppError;
use crate::core::i18n::Locales;
use crate::services::admin::{auth, import};
use crate::settings::config::Settings;
use crate::storage::{Role, User};
use chrono::Utc;
use clap::{Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    Admin,
    Manager,
    Viewer,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Creates a console account and prints its one-time password.
    Add {
        #[arg(long, value_enum)]
        role: RoleArg,
        #[arg(long)]
        login: String,
        /// The agency subtree a manager manages.
        #[arg(long)]
        agency: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AgencyCommand {
    /// Imports agencies from a CSV file (code,name,parent_code,level); reports rejected rows.
    Import { file: PathBuf },
}

pub async fn run_admin(
    command: AdminCommand,
    settings: &Settings,
    locales: &Locales,
) -> Result<ExitCode, AppError> {
    let lang = settings.lang;
    let AdminCommand::Add {
        role,
        login,
        agency,
    } = command;
    let role = match role {
        RoleArg::Admin => Role::Admin,
        RoleArg::Manager => Role::Manager,
        RoleArg::Viewer => Role::Viewer,
    };
    if role == Role::Manager && agency.is_none() {
        eprintln!(
            "{}: {}",
            locales.text(lang, "error-label", &[]),
            locales.text(lang, "admin-needs-agency", &[])
        );
        return Ok(ExitCode::FAILURE);
    }
    let db = crate::services::startup::open_store(settings.database_url.expose()).await?;
    if let Some(code) = &agency
        && db.agency(code).await?.is_none()
    {
        return Err(AppError::UnknownAgency(code.clone()));
    }
    let password = auth::one_time_password();
    let user = User {
        login: login.trim().to_string(),
        role,
        agency_code: agency,
        password_hash: auth::hash_password(&password),
        failed_attempts: 0,
        locked_until: None,
    };
    let created = db.create_user(&user, "cli", Utc::now()).await?;
    if created {
        // The printed password has been on a screen: its owner must choose their own.
        db.require_password_change(&user.login).await?;
    }
    db.close().await;
    if !created {
        eprintln!(
            "{}: {}",
            locales.text(lang, "error-label", &[]),
            locales.text(lang, "admin-exists", &[("login", user.login)])
        );
        return Ok(ExitCode::FAILURE);
    }
    println!(
        "{}",
        locales.text(
            lang,
            "admin-added",
            &[
                ("login", user.login),
                ("role", role.code().to_string()),
                ("password", password)
            ],
        )
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn run_agency(
    command: AgencyCommand,
    settings: &Settings,
    locales: &Locales,
) -> Result<ExitCode, AppError> {
    let AgencyCommand::Import { file } = command;
    let text = std::fs::read_to_string(&file).map_err(|err| AppError::Io {
        path: super::display_path(&file),
        reason: err.to_string(),
    })?;
    let db = crate::services::startup::open_store(settings.database_url.expose()).await?;
    let report = import::import_agencies(&db, &text, "cli", Utc::now()).await?;
    db.close().await;
    let lang = settings.lang;
    println!(
        "{}",
        locales.text(
            lang,
            "import-report",
            &[
                ("accepted", report.accepted.to_string()),
                ("rejected", report.rejected.len().to_string())
            ],
        )
    );
    for rejected in &report.rejected {
        println!(
            "{}",
            locales.text(
                lang,
                "import-rejected-row",
                &[
                    ("line", rejected.line.to_string()),
                    ("code", rejected.code.clone()),
                    (
                        "reason",
                        locales.text(lang, rejected.reason, &rejected.args)
                    ),
                ],
            )
        );
    }
    Ok(if report.rejected.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
