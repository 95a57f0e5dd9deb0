//! `sipas-bot flow …`: checking flow files.

use crate::error::AppError;
use crate::flow::{self, Flow, FlowProblem, Lang};
use crate::i18n::{self, Locales};
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
}

pub async fn run(command: FlowCommand, locales: &Locales) -> Result<ExitCode, AppError> {
    let lang = crate::config::Settings::from_env()?.lang;
    match command {
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

/// One problem as a line: the file, the question and what is wrong.
pub fn render_problem(locales: &Locales, lang: Lang, problem: &FlowProblem) -> String {
    let message = locales.text(lang, problem.kind.message_id(), &problem.kind.args());
    match &problem.question {
        Some(question) => locales.text(
            lang,
            "flow-problem-in-question",
            &[
                ("file", problem.file.clone()),
                ("question", question.clone()),
                ("problem", message),
            ],
        ),
        None => locales.text(
            lang,
            "flow-problem-in-flow",
            &[("file", problem.file.clone()), ("problem", message)],
        ),
    }
}
