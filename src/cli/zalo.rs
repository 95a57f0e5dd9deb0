//! `sipas-bot zalo check` and `sipas-bot zalo resume`: the Zalo OA's go-live check (read from
//! Zalo with the configured credentials, sending nothing; exit 1 when something blocks go-live)
//! and the operator's resume of a Zalo sender paused by a configuration error.

use crate::app::error::AppError;
use crate::channels::zalo::check::{Verdict, check};
use crate::channels::zalo::{ZaloSettings, pause};
use crate::core::clock::{Clock, SystemClock};
use crate::core::i18n::Locales;
use crate::settings::config::{Settings, environment};
use clap::Subcommand;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Subcommand)]
pub enum ZaloCommand {
    /// Checks the configured OA before go-live: token, profile, templates, mode. Sends nothing.
    Check,
    /// Resumes the Zalo sender after an operator fixed what paused it.
    Resume,
}

pub async fn run(
    command: ZaloCommand,
    settings: &Settings,
    locales: &Locales,
) -> Result<ExitCode, AppError> {
    let lang = settings.lang;
    let lookup = environment()?;
    let Some(zalo) = ZaloSettings::from_lookup(&lookup)? else {
        eprintln!("{}", locales.text(lang, "zalo-check-not-configured", &[]));
        return Ok(ExitCode::FAILURE);
    };
    let db = crate::services::startup::open_store(settings.database_url.expose()).await?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let code = match command {
        ZaloCommand::Check => {
            let report = check(&db, &zalo, clock).await;
            println!("{}", locales.text(lang, "zalo-check-title", &[]));
            for finding in &report.findings {
                let mark = match finding.verdict {
                    Verdict::Ok => "✓",
                    Verdict::Blocking => "✗",
                    Verdict::Manual => "?",
                };
                let args: Vec<(&str, String)> =
                    finding.args.iter().map(|(k, v)| (*k, v.clone())).collect();
                println!("{mark} {}", locales.text(lang, finding.key, &args));
            }
            if report.blocks_go_live() {
                println!("{}", locales.text(lang, "zalo-check-blocked", &[]));
                ExitCode::FAILURE
            } else {
                println!("{}", locales.text(lang, "zalo-check-ready", &[]));
                ExitCode::SUCCESS
            }
        }
        ZaloCommand::Resume => {
            // Paused by a refused refresh token: the OA was authorized again, and its new first
            // refresh token (ZALO_REFRESH_TOKEN) replaces the dead chain.
            let paused = db.zalo_pause(&zalo.oa_id).await?;
            if paused.is_some_and(|p| p.host == "oauth") {
                let tokens = crate::channels::zalo::TokenManager::new(
                    db.clone(),
                    crate::channels::zalo::ZaloApi::new(&zalo),
                    &zalo,
                    clock.clone(),
                );
                match tokens.reseed().await {
                    Ok(true) => println!("{}", locales.text(lang, "zalo-reseeded", &[])),
                    Ok(false) => {
                        eprintln!("{}", locales.text(lang, "zalo-reseed-same", &[]));
                        db.close().await;
                        return Ok(ExitCode::FAILURE);
                    }
                    Err(err) => return Err(AppError::Api(err.to_string())),
                }
            }
            resume(&db, locales, lang).await?
        }
    };
    db.close().await;
    Ok(code)
}

async fn resume(
    db: &crate::storage::Db,
    locales: &Locales,
    lang: crate::core::flow::Lang,
) -> Result<ExitCode, AppError> {
    Ok(match pause::resume(db, SystemClock.now()).await? {
        Some(lifted) => {
            println!(
                "{}",
                locales.text(
                    lang,
                    "zalo-resumed",
                    &[
                        ("host", lifted.host),
                        ("code", lifted.code.to_string()),
                        ("reason", lifted.reason),
                    ],
                )
            );
            ExitCode::SUCCESS
        }
        None => {
            println!("{}", locales.text(lang, "zalo-not-paused", &[]));
            ExitCode::SUCCESS
        }
    })
}
