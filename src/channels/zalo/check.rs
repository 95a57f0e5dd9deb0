//! `sipas-bot zalo check`: whether the configured OA is ready to go live, read from Zalo with
//! the configured credentials, sending nothing. In the order of the README's go-live checklist:
//! the token (refreshed, the new one stored first), the OA's profile (verified, its package),
//! what no API tells (the app's permissions including `user_feedback`, the webhook URL and its
//! domain verification, the OA's own automatic replies) as items to confirm by hand, each
//! configured template's status, parameters and price, the template mode, and the sender's
//! pause. Each finding is a locale key and its arguments; the command prints them in Vietnamese
//! and exits 1 when one blocks go-live.

use super::api::ZaloApi;
use super::errors::ZaloError;
use super::settings::{TemplateMode, ZaloSettings};
use super::template::PARAMETERS;
use super::token::TokenManager;
use crate::core::clock::Clock;
use crate::storage::Db;
use serde_json::Value;
use std::sync::Arc;

/// How a finding weighs on go-live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    /// Must be fixed before go-live.
    Blocking,
    /// No API says: confirm it by hand on the OA's and the app's pages.
    Manual,
}

/// One line of the check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub verdict: Verdict,
    /// A locale key (`zalo-check-…`).
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl Finding {
    fn new(verdict: Verdict, key: &'static str, args: Vec<(&'static str, String)>) -> Finding {
        Finding { verdict, key, args }
    }
}

/// Every finding, in checklist order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    pub findings: Vec<Finding>,
}

impl CheckReport {
    pub fn blocks_go_live(&self) -> bool {
        self.findings.iter().any(|f| f.verdict == Verdict::Blocking)
    }

    fn push(&mut self, verdict: Verdict, key: &'static str, args: Vec<(&'static str, String)>) {
        self.findings.push(Finding::new(verdict, key, args));
    }
}

/// Runs the check. Sends no message; the only write is the refreshed token pair.
pub async fn check(db: &Db, settings: &ZaloSettings, clock: Arc<dyn Clock>) -> CheckReport {
    let mut report = CheckReport::default();
    let api = ZaloApi::new(settings);
    let tokens = TokenManager::new(db.clone(), api.clone(), settings, clock);
    let token = match tokens.refresh_now().await {
        Ok(token) => {
            report.push(Verdict::Ok, "zalo-check-token-ok", vec![]);
            token
        }
        Err(err) => {
            report.push(
                Verdict::Blocking,
                "zalo-check-token-failed",
                error_args(&err),
            );
            manual_items(&mut report);
            return report;
        }
    };
    match api.oa_profile(&token).await {
        Ok(profile) => {
            let name = text(&profile, "name").unwrap_or_default();
            let verified = matches!(profile.get("is_verified"), Some(Value::Bool(true)))
                || text(&profile, "is_verified").is_some_and(|v| v == "1" || v == "true");
            if verified {
                report.push(Verdict::Ok, "zalo-check-oa-verified", vec![("name", name)]);
            } else {
                report.push(
                    Verdict::Blocking,
                    "zalo-check-oa-not-verified",
                    vec![("name", name)],
                );
            }
            match text(&profile, "package_name") {
                Some(package) => report.push(
                    Verdict::Manual,
                    "zalo-check-oa-package",
                    vec![("package", package)],
                ),
                None => report.push(Verdict::Manual, "zalo-check-oa-package-unknown", vec![]),
            }
        }
        // -224, -223, -221…: the OA cannot use the Open API as it stands.
        Err(err) => report.push(Verdict::Blocking, "zalo-check-oa-failed", error_args(&err)),
    }
    manual_items(&mut report);
    match &settings.invitation_template_id {
        None => report.push(Verdict::Manual, "zalo-check-template-none", vec![]),
        Some(id) => check_template(&mut report, &api, &token, id).await,
    }
    match settings.template_mode {
        TemplateMode::Production => report.push(Verdict::Ok, "zalo-check-mode-production", vec![]),
        TemplateMode::Development => {
            report.push(Verdict::Blocking, "zalo-check-mode-development", vec![])
        }
    }
    match db.zalo_pause(&settings.oa_id).await {
        Ok(None) => {}
        Ok(Some(pause)) => report.push(
            Verdict::Blocking,
            "zalo-check-paused",
            vec![
                ("host", pause.host),
                ("code", pause.code.to_string()),
                ("reason", pause.reason),
            ],
        ),
        Err(err) => report.push(
            Verdict::Blocking,
            "zalo-check-storage",
            vec![("error", err.to_string())],
        ),
    }
    report
}

/// What no API answers.
fn manual_items(report: &mut CheckReport) {
    for key in [
        "zalo-check-manual-permissions",
        "zalo-check-manual-webhook",
        "zalo-check-manual-autoreply",
    ] {
        report.push(Verdict::Manual, key, vec![]);
    }
}

async fn check_template(
    report: &mut CheckReport,
    api: &ZaloApi,
    token: &crate::settings::config::Secret,
    id: &str,
) {
    let info = match api.template_info(token, id).await {
        Ok(info) => info,
        Err(err) => {
            let mut args = error_args(&err);
            args.push(("template", id.to_string()));
            report.push(Verdict::Blocking, "zalo-check-template-failed", args);
            return;
        }
    };
    let status = text(&info, "status").unwrap_or_default();
    if status.eq_ignore_ascii_case("ENABLE") {
        report.push(
            Verdict::Ok,
            "zalo-check-template-approved",
            vec![("template", id.to_string())],
        );
    } else {
        report.push(
            Verdict::Blocking,
            "zalo-check-template-not-approved",
            vec![("template", id.to_string()), ("status", status)],
        );
    }
    let declared: Vec<(String, bool)> = info
        .get("listParams")
        .and_then(Value::as_array)
        .map(|params| {
            params
                .iter()
                .filter_map(|p| {
                    let name = text(p, "name")?;
                    let required = !matches!(p.get("require"), Some(Value::Bool(false)));
                    Some((name, required))
                })
                .collect()
        })
        .unwrap_or_default();
    let missing: Vec<String> = declared
        .iter()
        .filter(|(name, required)| *required && !PARAMETERS.contains(&name.as_str()))
        .map(|(name, _)| name.clone())
        .collect();
    let unknown: Vec<String> = PARAMETERS
        .iter()
        .filter(|ours| !declared.iter().any(|(name, _)| name == *ours))
        .map(|ours| ours.to_string())
        .collect();
    if missing.is_empty() && unknown.is_empty() {
        report.push(
            Verdict::Ok,
            "zalo-check-template-params",
            vec![("template", id.to_string())],
        );
    } else {
        report.push(
            Verdict::Blocking,
            "zalo-check-template-params-differ",
            vec![
                ("template", id.to_string()),
                ("missing", missing.join(", ")),
                ("unknown", unknown.join(", ")),
            ],
        );
    }
    let price = text(&info, "price").unwrap_or_else(|| "?".into());
    report.push(
        Verdict::Ok,
        "zalo-check-template-price",
        vec![("template", id.to_string()), ("price", price)],
    );
}

fn error_args(err: &ZaloError) -> Vec<(&'static str, String)> {
    let code = err.code().map(|c| c.to_string()).unwrap_or_default();
    let reason = match err {
        ZaloError::Api { message, .. } => message.clone(),
        ZaloError::Refresh {
            error_name,
            message,
            ..
        } if !error_name.is_empty() => format!("{error_name}: {message}"),
        ZaloError::Refresh { message, .. } => message.clone(),
        other => other.to_string(),
    };
    vec![("code", code), ("reason", reason)]
}

fn text(value: &Value, key: &str) -> Option<String> {
    match value.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}
