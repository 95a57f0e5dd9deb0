//! `sipas-bot themes check FILE`: validates a comment-themes file (the format of the shipped
//! `themes/vi.toml`, what `THEMES_FILE` may name) and says which line is wrong. Exit 0 when the
//! file is valid, 1 when it is refused or cannot be read.

use crate::core::flow::Lang;
use crate::core::i18n::Locales;
use crate::core::summary::themes::{Lexicon, LexiconProblem};
use crate::settings::config::Settings;
use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum ThemesCommand {
    /// Checks a themes file and names the line of the first problem.
    Check {
        /// The TOML file (as `themes/vi.toml`).
        file: PathBuf,
    },
}

pub fn run(command: ThemesCommand, locales: &Locales) -> ExitCode {
    let lang = Settings::from_env().map(|s| s.lang).unwrap_or(Lang::Vi);
    let ThemesCommand::Check { file } = command;
    let path = file.display().to_string();
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(err) => {
            eprintln!(
                "{}",
                locales.text(
                    lang,
                    "themes-error-unreadable",
                    &[("path", path), ("reason", err.to_string())]
                )
            );
            return ExitCode::FAILURE;
        }
    };
    match Lexicon::parse(&text) {
        Ok(lexicon) => {
            let names: Vec<String> = lexicon.themes.iter().map(|t| t.name.clone()).collect();
            println!(
                "{}",
                locales.text(
                    lang,
                    "themes-ok",
                    &[
                        ("count", lexicon.themes.len().to_string()),
                        ("names", names.join(", "))
                    ]
                )
            );
            ExitCode::SUCCESS
        }
        Err(err) => {
            let problem = match &err.problem {
                LexiconProblem::Syntax(detail) => locales.text(
                    lang,
                    "themes-problem-syntax",
                    &[("detail", detail.trim().to_string())],
                ),
                LexiconProblem::NoThemes => locales.text(lang, "themes-problem-none", &[]),
                LexiconProblem::BadId(id) => {
                    locales.text(lang, "themes-problem-bad-id", &[("id", id.clone())])
                }
                LexiconProblem::DuplicateId(id) => {
                    locales.text(lang, "themes-problem-duplicate", &[("id", id.clone())])
                }
                LexiconProblem::EmptyName(id) => {
                    locales.text(lang, "themes-problem-no-name", &[("id", id.clone())])
                }
                LexiconProblem::NoPhrases(id) => {
                    locales.text(lang, "themes-problem-no-phrases", &[("id", id.clone())])
                }
                LexiconProblem::EmptyPhrase(id) => {
                    locales.text(lang, "themes-problem-empty-phrase", &[("id", id.clone())])
                }
                LexiconProblem::MissingOther => locales.text(lang, "themes-problem-no-other", &[]),
            };
            eprintln!(
                "{}",
                locales.text(
                    lang,
                    "themes-error",
                    &[
                        ("path", path),
                        ("line", err.line.to_string()),
                        ("problem", problem)
                    ]
                )
            );
            ExitCode::FAILURE
        }
    }
}
