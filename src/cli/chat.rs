//! `sipas-bot chat`: the citizen's side in the terminal, over the same conversation service and
//! storage as the chat channels.

use crate::app::error::AppError;
use crate::channels::console;
use crate::core::flow::{self, Flow};
use crate::core::i18n::Locales;
use crate::services::conversation::Conversations;
use crate::settings::config::Settings;
use crate::storage::{Db, NewNotice, SubmissionChannel};
use chrono::{Duration, Utc};
use clap::Args;
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct ChatArgs {
    /// Resume or answer this invitation (from a notice). Without it, a walk-in dossier is created.
    #[arg(long)]
    pub token: Option<String>,
    /// The agency of the walk-in dossier.
    #[arg(long, default_value = "KIOSK")]
    pub agency: String,
    /// The procedure code of the walk-in dossier.
    #[arg(long, default_value = "KIOSK")]
    pub procedure: String,
    /// The procedure's name, as the citizen knows it.
    #[arg(long)]
    pub procedure_name: Option<String>,
    /// A flow id (stored) or a flow file to ask; default: SIPAS_FLOW.
    #[arg(long)]
    pub flow: Option<String>,
}

pub async fn run(
    args: ChatArgs,
    settings: &Settings,
    locales: &Locales,
) -> Result<ExitCode, AppError> {
    let db = crate::services::startup::open_store(settings.database_url.expose()).await?;
    let token = match &args.token {
        Some(token) => token.clone(),
        None => {
            let flow_version_id = resolve_flow(
                &db,
                args.flow.as_deref().unwrap_or(&settings.flow),
                locales,
                settings,
            )
            .await?;
            let notice = NewNotice {
                dossier_code: format!("CHAT-{}", &crate::storage::new_token()[..12]),
                agency_code: args.agency.clone(),
                procedure_code: args.procedure.clone(),
                procedure_name: args
                    .procedure_name
                    .clone()
                    .unwrap_or_else(|| locales.text(settings.lang, "chat-default-procedure", &[])),
                submission_channel: SubmissionChannel::Direct,
                completed_at: Utc::now(),
                recipient_chat_id: None,
            };
            let outcome = db
                .submit_notice(
                    &notice,
                    flow_version_id,
                    Duration::days(settings.invitation_ttl_days),
                    Utc::now(),
                )
                .await?;
            outcome.invitation().token.clone()
        }
    };
    let conversations = Conversations::new(db.clone());
    let opened = conversations
        .open(
            &token,
            console::CHANNEL,
            "terminal",
            settings.lang,
            Utc::now(),
        )
        .await?;
    let stdin = tokio::io::BufReader::new(tokio::io::stdin());
    let echo = !std::io::stdin().is_terminal();
    let mut stdout = std::io::stdout();
    let ending = console::run(
        &conversations,
        locales,
        opened,
        stdin,
        &mut stdout,
        echo,
        Utc::now,
    )
    .await?;
    db.close().await;
    Ok(match ending {
        console::Ending::Completed => ExitCode::SUCCESS,
        // A script that stops early has not completed the survey: say so with the exit code.
        console::Ending::Paused => ExitCode::from(3),
    })
}

/// The stored version id of a flow named by id or by file; a file is validated and stored.
pub async fn resolve_flow(
    db: &Db,
    flow: &str,
    locales: &Locales,
    settings: &Settings,
) -> Result<i64, AppError> {
    let path = Path::new(flow);
    if flow.ends_with(".toml") || path.is_file() {
        let (parsed, _) = Flow::load(path)?;
        let problems = flow::validate(&super::display_path(path), &parsed);
        if !problems.is_empty() {
            for problem in &problems {
                eprintln!(
                    "{}",
                    crate::core::flow::render_problem(locales, settings.lang, problem)
                );
            }
            return Err(AppError::FlowInvalid { problems });
        }
        return Ok(db.store_flow(&parsed, Utc::now()).await?);
    }
    match db.latest_flow(flow).await? {
        Some(stored) => Ok(stored.id),
        None => Err(AppError::UnknownFlow(flow.to_string())),
    }
}
