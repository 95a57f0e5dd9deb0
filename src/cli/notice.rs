//! `sipas-bot notice`: submits a dossier-completion notice to a running server's API from a
//! shell, as a one-stop system would, and prints the invitation.

use crate::app::error::AppError;
use clap::Args;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct NoticeArgs {
    #[arg(long)]
    pub dossier: String,
    #[arg(long)]
    pub agency: String,
    #[arg(long)]
    pub procedure: String,
    #[arg(long)]
    pub procedure_name: String,
    /// direct, online or postal.
    #[arg(long, default_value = "direct")]
    pub channel: String,
    /// RFC 3339; default: now.
    #[arg(long)]
    pub completed_at: Option<String>,
    /// The citizen's Telegram chat id, when known.
    #[arg(long)]
    pub telegram_chat_id: Option<i64>,
    /// The API's base URL; default http://HTTP_ADDR.
    #[arg(long)]
    pub api: Option<String>,
}

pub async fn run(args: NoticeArgs) -> Result<ExitCode, AppError> {
    let environment = crate::settings::config::environment()?;
    let token = environment("INTAKE_TOKEN").unwrap_or_default();
    let api = args.api.clone().unwrap_or_else(|| {
        let addr =
            environment("HTTP_ADDR").unwrap_or_else(|| crate::app::serve::DEFAULT_HTTP_ADDR.into());
        format!("http://{addr}")
    });
    let mut body = serde_json::json!({
        "dossier_code": args.dossier,
        "agency_code": args.agency,
        "procedure_code": args.procedure,
        "procedure_name": args.procedure_name,
        "submission_channel": args.channel,
        "completed_at": args.completed_at.clone().unwrap_or_else(|| crate::storage::timestamp(chrono::Utc::now())),
    });
    if let Some(chat) = args.telegram_chat_id {
        body["recipient"] = serde_json::json!({ "telegram_chat_id": chat });
    }
    let url = format!("{}/api/v1/notices", api.trim_end_matches('/'));
    let response = reqwest::Client::new()
        .post(&url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .map_err(|err| AppError::Io {
            path: url.clone(),
            reason: err.without_url().to_string(),
        })?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if !status.is_success() {
        let message = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_string))
            .unwrap_or(text);
        return Err(AppError::Api(format!("{status}: {message}")));
    }
    println!("{text}");
    Ok(ExitCode::SUCCESS)
}
