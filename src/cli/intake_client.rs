//! `sipas-bot intake-client add|list|revoke`: the named clients that may post notices, each
//! with its own token and agency subtree (see `crate::services::intake_clients`).

use crate::app::error::AppError;
use crate::core::flow::Lang;
use crate::core::i18n::{self, Locales};
use crate::services::intake_clients::{self, AddError};
use crate::settings::config::Settings;
use crate::storage::Revocation;
use chrono::{DateTime, Utc};
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum IntakeClientCommand {
    /// Adds a client with a fresh token, printed once and stored only as its SHA-256.
    Add {
        /// The client's name: 1–64 of a-z 0-9 _ . - (starting with a letter or digit).
        name: String,
        /// The agency it may post for, with every unit under it; every agency without it.
        #[arg(long)]
        agency: Option<String>,
    },
    /// Lists the clients: name, scope, created, revoked. Never a token.
    List,
    /// Revokes a client: its token stops working at once, on every instance.
    Revoke { name: String },
}

pub async fn run(
    command: IntakeClientCommand,
    settings: &Settings,
    locales: &Locales,
) -> Result<ExitCode, AppError> {
    let lang = settings.lang;
    let text = |id: &str, args: &[(&str, String)]| locales.text(lang, id, args);
    // A refusal the operator can fix: one line on standard error, exit 1.
    let refuse = |id: &str, args: &[(&str, String)]| {
        eprintln!("{}: {}", text("error-label", &[]), text(id, args));
        ExitCode::FAILURE
    };
    let scope = |agency: Option<&str>| match agency {
        Some(code) => code.to_string(),
        None => text("intake-client-scope-all", &[]),
    };
    let db = crate::services::startup::open_store(settings.database_url.expose()).await?;
    let now = Utc::now();
    let code = match command {
        IntakeClientCommand::Add { name, agency } => {
            match intake_clients::add(&db, &name, agency.as_deref(), "cli", now).await {
                Ok(token) => {
                    let shown = scope(agency.as_deref());
                    println!(
                        "{}",
                        text(
                            "intake-client-added",
                            &[("name", name.clone()), ("scope", shown)]
                        )
                    );
                    // Alone on its line, so a script can take it.
                    println!("{}", token.expose());
                    println!("{}", text("intake-client-token-once", &[]));
                    ExitCode::SUCCESS
                }
                Err(AddError::BadName(name)) => refuse("intake-client-bad-name", &[("name", name)]),
                Err(AddError::Taken(name)) => refuse("intake-client-exists", &[("name", name)]),
                Err(AddError::UnknownAgency(code)) => {
                    db.close().await;
                    return Err(AppError::UnknownAgency(code));
                }
                Err(AddError::Storage(err)) => {
                    db.close().await;
                    return Err(err.into());
                }
            }
        }
        IntakeClientCommand::List => {
            let clients = db.intake_clients().await?;
            if clients.is_empty() {
                println!("{}", text("intake-client-list-empty", &[]));
            }
            for client in clients {
                let state = match client.revoked_at {
                    None => text("intake-client-active", &[]),
                    Some(at) => text("intake-client-revoked-at", &[("at", when(at, lang))]),
                };
                println!(
                    "{}",
                    text(
                        "intake-client-list-row",
                        &[
                            ("name", client.name.clone()),
                            ("scope", scope(client.agency_code.as_deref())),
                            ("created", when(client.created_at, lang)),
                            ("state", state),
                        ],
                    )
                );
            }
            ExitCode::SUCCESS
        }
        IntakeClientCommand::Revoke { name } => {
            match db.revoke_intake_client(&name, "cli", now).await? {
                Revocation::Revoked => {
                    println!("{}", text("intake-client-revoked", &[("name", name)]));
                    ExitCode::SUCCESS
                }
                Revocation::AlreadyRevoked(at) => {
                    println!(
                        "{}",
                        text(
                            "intake-client-already-revoked",
                            &[("name", name), ("at", when(at, lang))]
                        )
                    );
                    ExitCode::SUCCESS
                }
                Revocation::Unknown => refuse("intake-client-unknown", &[("name", name)]),
            }
        }
    };
    db.close().await;
    Ok(code)
}

/// A time as the lists show it: Vietnam time, `08:05 23/11/2026`.
fn when(at: DateTime<Utc>, lang: Lang) -> String {
    let local = at.with_timezone(&crate::core::clock::vietnam());
    format!(
        "{} {}",
        local.format("%H:%M"),
        i18n::date(local.date_naive(), lang)
    )
}
