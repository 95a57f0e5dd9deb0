//! The errors a command can end with, rendered as one line in the operator's language.

use crate::core::flow::{FlowProblem, Lang, LoadError};
use crate::core::i18n::Locales;
use crate::settings::config::SettingError;
use crate::storage::{SessionOpenError, StorageError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Setting(#[from] SettingError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    FlowLoad(#[from] LoadError),
    #[error("{} problems in flow files", problems.len())]
    FlowInvalid { problems: Vec<FlowProblem> },
    #[error("unknown flow {0}")]
    UnknownFlow(String),
    #[error("{path}: {reason}")]
    Io { path: String, reason: String },
    #[error(transparent)]
    Invitation(#[from] SessionOpenError),
    #[error("{0}")]
    Conversation(#[from] crate::services::conversation::ConversationError),
    #[error("Telegram: {0}")]
    Telegram(String),
    #[error("{0}")]
    Api(String),
    #[error("unknown agency {0}")]
    UnknownAgency(String),
    #[error("bad week {0}")]
    BadWeek(String),
    #[error("bad period {0}")]
    BadPeriod(String),
}

impl AppError {
    /// One line for the terminal, in `lang`.
    pub fn render(&self, locales: &Locales, lang: Lang) -> String {
        let text = |id: &str, args: &[(&str, String)]| locales.text(lang, id, args);
        match self {
            AppError::Setting(err) => text(
                "error-setting",
                &[
                    ("name", err.name.to_string()),
                    ("value", err.value.clone()),
                    ("expected", text(err.expected, &[])),
                ],
            ),
            AppError::Storage(err) => render_storage(locales, lang, err),
            AppError::FlowLoad(LoadError::Io { file, source }) => text(
                "error-file",
                &[("path", file.clone()), ("reason", source.to_string())],
            ),
            AppError::FlowLoad(LoadError::Syntax { file, message }) => text(
                "error-flow-syntax",
                &[("file", file.clone()), ("reason", message.clone())],
            ),
            AppError::FlowInvalid { problems } => text(
                "error-flow-invalid",
                &[("count", problems.len().to_string())],
            ),
            AppError::UnknownFlow(flow) => text("error-unknown-flow", &[("flow", flow.clone())]),
            AppError::Io { path, reason } => text(
                "error-file",
                &[("path", path.clone()), ("reason", reason.clone())],
            ),
            AppError::Invitation(err) => match err {
                SessionOpenError::UnknownToken => text("invitation-unknown", &[]),
                SessionOpenError::Expired => text("invitation-expired", &[]),
                SessionOpenError::AlreadyCompleted => text("invitation-completed", &[]),
                SessionOpenError::InUseElsewhere => text("invitation-in-use", &[]),
                SessionOpenError::Storage(err) => render_storage(locales, lang, err),
            },
            AppError::Conversation(err) => text("error-database", &[("reason", err.to_string())]),
            AppError::Telegram(reason) => text("error-telegram", &[("reason", reason.clone())]),
            AppError::Api(reason) => text("error-api", &[("reason", reason.clone())]),
            AppError::UnknownAgency(agency) => {
                text("error-unknown-agency", &[("agency", agency.clone())])
            }
            AppError::BadWeek(week) => text("error-bad-week", &[("week", week.clone())]),
            AppError::BadPeriod(period) => text("error-bad-period", &[("period", period.clone())]),
        }
    }
}

fn render_storage(locales: &Locales, lang: Lang, err: &StorageError) -> String {
    let text = |id: &str, args: &[(&str, String)]| locales.text(lang, id, args);
    match err {
        StorageError::UnsupportedScheme(scheme) => {
            text("error-database-scheme", &[("scheme", scheme.clone())])
        }
        StorageError::DataDirectory { path, reason } => text(
            "error-data-directory",
            &[("path", path.clone()), ("reason", reason.clone())],
        ),
        StorageError::Connect(reason) => {
            text("error-database-connect", &[("reason", reason.clone())])
        }
        StorageError::Migrate(reason) => {
            text("error-database-migrate", &[("reason", reason.clone())])
        }
        StorageError::PublishedVersionDiffers { flow_id, version } => text(
            "error-flow-version-differs",
            &[("flow", flow_id.clone()), ("version", version.to_string())],
        ),
        other => text("error-database", &[("reason", other.to_string())]),
    }
}
