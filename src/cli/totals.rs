//! `sipas-bot totals rebuild`: recomputes the running totals from the stored answers and
//! invitations, in one transaction, and says whether they had drifted. Run after restoring a
//! backup, after deleting rows by hand, or to check the running totals against the answers.

use crate::app::error::AppError;
use crate::core::i18n::Locales;
use crate::settings::config::Settings;
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum TotalsCommand {
    /// Recomputes every total from the answers and invitations.
    Rebuild,
}

pub async fn run(
    command: TotalsCommand,
    settings: &Settings,
    locales: &Locales,
) -> Result<ExitCode, AppError> {
    match command {
        TotalsCommand::Rebuild => {
            let db = crate::services::startup::open_store(settings.database_url.expose()).await?;
            let (before, after) = db.rebuild_totals().await?;
            db.close().await;
            let id = if before == after {
                "totals-rebuilt-same"
            } else {
                "totals-rebuilt-changed"
            };
            let args = [
                (
                    "responses",
                    crate::core::i18n::integer(after.responses.len() as i64, settings.lang),
                ),
                (
                    "answers",
                    crate::core::i18n::integer(after.answers.len() as i64, settings.lang),
                ),
                (
                    "invitations",
                    crate::core::i18n::integer(after.invitations.len() as i64, settings.lang),
                ),
            ];
            println!("{}", locales.text(settings.lang, id, &args));
            // Which tables had drifted, so an operator knows where to look.
            let drifted: Vec<&str> = [
                ("response_totals", before.responses != after.responses),
                ("answer_totals", before.answers != after.answers),
                ("invitation_totals", before.invitations != after.invitations),
                ("dossier_totals", before.dossiers != after.dossiers),
                (
                    "channel_response_totals",
                    before.channel_responses != after.channel_responses,
                ),
                (
                    "channel_answer_totals",
                    before.channel_answers != after.channel_answers,
                ),
            ]
            .into_iter()
            .filter(|(_, changed)| *changed)
            .map(|(table, _)| table)
            .collect();
            if !drifted.is_empty() {
                println!(
                    "{}",
                    locales.text(
                        settings.lang,
                        "totals-drifted",
                        &[("tables", drifted.join(", "))]
                    )
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
