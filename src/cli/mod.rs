//! The command line: argument parsing and one function per command. Commands read settings,
//! open the store and call into the library; they hold no survey logic of their own.

mod admin;
mod chat;
mod export;
mod flow;
mod intake_client;
mod notice;
mod subscription;
mod summary;
mod themes;
mod totals;
mod zalo;

use crate::app::error::AppError;
use crate::core::flow::Lang;
use crate::core::i18n::Locales;
use crate::settings::config::Settings;
use crate::storage::Db;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "sipas-bot",
    version,
    about = "SIPAS citizen-satisfaction surveys in chat apps"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs the whole job offline: sample agencies, simulated citizens, a printed summary.
    Demo(crate::app::demo::DemoArgs),
    /// Answers a survey in the terminal, typed or piped one answer per line.
    Chat(chat::ChatArgs),
    /// Writes the stored answers of completed responses.
    Export(export::ExportArgs),
    /// Works with question flow files.
    #[command(subcommand)]
    Flow(flow::FlowCommand),
    /// Runs the database migrations and exits.
    Migrate,
    /// Runs the Telegram bot, the HTTP API and the background workers.
    Serve,
    /// Submits a dossier-completion notice to a running server's API.
    Notice(notice::NoticeArgs),
    /// Console accounts.
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// Agencies.
    #[command(subcommand)]
    Agency(admin::AgencyCommand),
    /// Named intake clients: the one-stop systems that post notices, each with its own token
    /// and agency subtree.
    #[command(subcommand)]
    IntakeClient(intake_client::IntakeClientCommand),
    /// Officials' subscriptions: issue a code, list them.
    #[command(subcommand)]
    Subscription(subscription::SubscriptionCommand),
    /// The weekly SIPAS summary of an agency and its units.
    Summary(summary::SummaryArgs),
    /// The running totals summaries are read from.
    #[command(subcommand)]
    Totals(totals::TotalsCommand),
    /// Comment themes: check a themes file (`THEMES_FILE`).
    #[command(subcommand)]
    Themes(themes::ThemesCommand),
    /// The Zalo OA: the go-live check, and resuming a paused sender.
    #[command(subcommand)]
    Zalo(zalo::ZaloCommand),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Csv,
    Json,
}

/// Runs a parsed command line; the exit code says whether it worked.
pub fn run(cli: Cli) -> ExitCode {
    let locales = Locales::load();
    let lang = Settings::from_env().map(|s| s.lang).unwrap_or(Lang::Vi);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::FAILURE;
        }
    };
    init_tracing(if matches!(cli.command, Command::Serve) {
        "info"
    } else {
        "warn"
    });
    match runtime.block_on(dispatch(cli, &locales)) {
        Ok(code) => code,
        Err(err) => {
            let label = locales.text(lang, "error-label", &[]);
            eprintln!("{label}: {}", err.render(&locales, lang));
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(cli: Cli, locales: &Locales) -> Result<ExitCode, AppError> {
    match cli.command {
        Command::Flow(command) => flow::run(command, locales).await,
        Command::Notice(args) => notice::run(args).await,
        Command::Themes(command) => Ok(themes::run(command, locales)),
        Command::Serve => {
            let settings = crate::app::serve::ServeSettings::from_env()?;
            let clock = std::sync::Arc::new(crate::core::clock::SystemClock);
            let running = crate::app::serve::start(settings, clock).await?;
            eprintln!(
                "{}",
                locales.text(
                    Settings::from_env()?.lang,
                    "serve-started",
                    &[
                        ("addr", running.http_addr.to_string()),
                        ("bot", running.bot_username.clone())
                    ]
                )
            );
            running.until_signal().await;
            Ok(ExitCode::SUCCESS)
        }
        command => {
            let settings = Settings::from_env()?;
            match command {
                Command::Demo(args) => crate::app::demo::run(args, &settings, locales).await,
                Command::Chat(args) => chat::run(args, &settings, locales).await,
                Command::Export(args) => export::run(args, &settings).await,
                Command::Admin(command) => admin::run_admin(command, &settings, locales).await,
                Command::Agency(command) => admin::run_agency(command, &settings, locales).await,
                Command::IntakeClient(command) => {
                    intake_client::run(command, &settings, locales).await
                }
                Command::Subscription(command) => {
                    subscription::run(command, &settings, locales).await
                }
                Command::Summary(args) => summary::run(args, &settings, locales).await,
                Command::Totals(command) => totals::run(command, &settings, locales).await,
                Command::Zalo(command) => zalo::run(command, &settings, locales).await,
                Command::Migrate => {
                    let db = Db::open(settings.database_url.expose()).await?;
                    db.close().await;
                    println!("{}", locales.text(settings.lang, "migrate-done", &[]));
                    Ok(ExitCode::SUCCESS)
                }
                Command::Flow(_) | Command::Notice(_) | Command::Themes(_) | Command::Serve => {
                    unreachable!("handled above")
                }
            }
        }
    }
}

fn init_tracing(default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Resolves a path argument for messages.
pub(crate) fn display_path(path: &std::path::Path) -> String {
    PathBuf::from(path).display().to_string()
}
