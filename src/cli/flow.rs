//! `sipas-bot flow …`: checking flow files.

use crate::app::error::AppError;
use crate::core::flow::{self, Flow, render_problem};
use crate::core::i18n::{self, Locales};
use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum FlowCommand {
    /// Checks flow files and prints every problem found; exits non-zero if there is one.
    Validate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Validates a flow file and publishes it: new invitations use it from now on.
    Publish { file: PathBuf },
    /// Lists every flow version with its status and response count.
    List,
    /// Prints a stored version as a flow file.
    Export { flow: String, version: i64 },
}

pub async fn run(command: FlowCommand, locales: &Locales) -> Result<ExitCode, AppError> {
    let settings = crate::settings::config::Settings::from_env()?;
    let lang = settings.lang;
    match command {
        FlowCommand::Publish { file } => {
            let (parsed, _) = Flow::load(&file)?;
            let problems = flow::validate(&super::display_path(&file), &parsed);
            if !problems.is_empty() {
                for problem in &problems {
                    println!("{}", render_problem(locales, lang, problem));
                }
                return Err(AppError::FlowInvalid { problems });
            }
            let db = crate::services::startup::open_store(settings.database_url.expose()).await?;
            db.publish_flow_file(&parsed, "cli", chrono::Utc::now())
                .await?;
            db.close().await;
            println!(
                "{}",
                locales.text(
                    lang,
                    "flow-published",
                    &[
                        ("flow", parsed.id.clone()),
                        ("version", parsed.version.to_string())
                    ]
                )
            );
            Ok(ExitCode::SUCCESS)
        }
        FlowCommand::List => {
            let db = crate::services::startup::open_store(settings.database_url.expose()).await?;
            for v in db.flow_versions().await? {
                let current = if v.current {
                    locales.text(lang, "flow-list-current", &[])
                } else {
                    String::new()
                };
                println!(
                    "{}",
                    locales.text(
                        lang,
                        "flow-list-row",
                        &[
                            ("flow", v.flow_id.clone()),
                            ("version", v.version.to_string()),
                            (
                                "status",
                                locales.text(
                                    lang,
                                    &format!("admin-status-{}", v.status.code()),
                                    &[]
                                )
                            ),
                            ("current", current),
                            ("responses", i18n::integer(v.responses, lang)),
                            ("title", v.title.clone()),
                        ],
                    )
                );
            }
            db.close().await;
            Ok(ExitCode::SUCCESS)
        }
        FlowCommand::Export { flow, version } => {
            let db = crate::services::startup::open_store(settings.database_url.expose()).await?;
            let Some(id) = db.flow_version_id(&flow, version).await? else {
                eprintln!(
                    "{}: {}",
                    locales.text(lang, "error-label", &[]),
                    locales.text(
                        lang,
                        "error-unknown-flow-version",
                        &[("flow", flow), ("version", version.to_string())]
                    )
                );
                return Ok(ExitCode::FAILURE);
            };
            let stored = db.flow_version(id).await?;
            db.close().await;
            print!("{}", stored.flow.to_toml());
            Ok(ExitCode::SUCCESS)
        }
        FlowCommand::Validate { files } => {
            let mut failed = false;
            for path in files {
                let file = super::display_path(&path);
                let flow = match Flow::load(&path) {
                    Ok((flow, _)) => flow,
                    Err(err) => {
                        failed = true;
                        let err = AppError::from(err);
                        println!("{}", err.render(locales, lang));
                        continue;
                    }
                };
                let problems = flow::validate(&file, &flow);
                if problems.is_empty() {
                    println!(
                        "{}",
                        locales.text(
                            lang,
                            "flow-valid",
                            &[
                                ("file", file.clone()),
                                ("flow", flow.id.clone()),
                                ("version", flow.version.to_string()),
                                (
                                    "questions",
                                    i18n::integer(flow.questions.len() as i64, lang)
                                ),
                            ],
                        )
                    );
                }
                for problem in &problems {
                    failed = true;
                    println!("{}", render_problem(locales, lang, problem));
                }
            }
            Ok(if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}
