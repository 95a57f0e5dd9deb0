//! Agencies (list, CSV import), subscription codes, and the audit log; each page shows a
//! manager or viewer only their subtree (see `scope.rs`).

use super::{Acting, Console, Scope, Signed, csrf_field};
use crate::storage::{Role, SubscriptionCode};
use crate::web::HttpError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use maud::{Markup, html};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};

/// The audit page shows the newest entries, looking that far back for a subtree's.
const AUDIT_SHOWN: usize = 200;
const AUDIT_SCAN: i64 = 5_000;

pub async fn agencies(State(console): State<Console>, signed: Signed) -> Result<Markup, HttpError> {
    render_agencies(&console, &signed, html! {}).await
}

async fn render_agencies(
    console: &Console,
    signed: &Signed,
    notice: Markup,
) -> Result<Markup, HttpError> {
    let scope = Scope::of(console, signed).await?;
    let mut agencies = console.db.agencies().await?;
    agencies.retain(|a| scope.sees_agency(&a.code));
    let counts = console.db.agency_counts().await?;
    let mut by_version = console.db.responses_by_agency_and_version().await?;
    by_version.retain(|(agency, ..)| scope.sees_agency(agency));
    let body = html! {
        (notice)
        table {
            tr {
                th { (console.text("admin-code")) }
                th { (console.text("admin-name")) }
                th { (console.text("admin-parent")) }
                th { (console.text("admin-level")) }
                th { (console.text("admin-invitations")) }
                th { (console.text("admin-responses")) }
            }
            @for agency in &agencies {
                @let count = counts.iter().find(|c| c.agency_code == agency.code);
                tr {
                    td { (agency.code) }
                    td { (agency.name) }
                    td { (agency.parent_code.as_deref().unwrap_or("")) }
                    td { (agency.level.code()) }
                    td { (count.map_or(0, |c| c.invitations)) }
                    td { (count.map_or(0, |c| c.responses)) }
                }
            }
        }
        h2 { (console.text("admin-by-version")) }
        table id="by-version" {
            tr {
                th { (console.text("admin-agency")) }
                th { (console.text("admin-flow")) }
                th { (console.text("admin-responses")) }
            }
            @for (agency, flow, version, count) in &by_version {
                tr {
                    td { (agency) }
                    td { (flow) " v" (version) }
                    td { (crate::core::i18n::integer(*count, console.lang)) }
                }
            }
        }
        @if signed.user.role == Role::Admin {
            h2 { (console.text("admin-import")) }
            form method="post" action="/admin/agencies/import" {
                (csrf_field(&signed.csrf))
                label {
                    (console.text("admin-import-help"))
                    textarea name="csv" rows="8" placeholder="code,name,parent_code,level" {}
                }
                button { (console.text("admin-import")) }
            }
        }
    };
    Ok(console.page(Some(signed), &console.text("admin-agencies-title"), body))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ImportForm {
    csv: String,
}

pub async fn import_agencies(
    State(console): State<Console>,
    Acting { signed, form }: Acting<ImportForm>,
) -> Result<Markup, HttpError> {
    signed.admin_only()?;
    let report = crate::services::admin::import::import_agencies(
        &console.db,
        &form.csv,
        &signed.user.login,
        console.clock.now(),
    )
    .await?;
    let notice = html! {
        div id="import-report" {
            p class="ok" {
                (console.t("import-report", &[
                    ("accepted", report.accepted.to_string()),
                    ("rejected", report.rejected.len().to_string()),
                ]))
            }
            ul class="error" {
                @for row in &report.rejected {
                    li {
                        (console.t("import-rejected-row", &[
                            ("line", row.line.to_string()),
                            ("code", row.code.clone()),
                            ("reason", console.t(row.reason, &row.args)),
                        ]))
                    }
                }
            }
        }
    };
    render_agencies(&console, &signed, notice).await
}

pub async fn subscriptions(
    State(console): State<Console>,
    signed: Signed,
) -> Result<Markup, HttpError> {
    render_subscriptions(&console, &signed, html! {}).await
}

async fn render_subscriptions(
    console: &Console,
    signed: &Signed,
    notice: Markup,
) -> Result<Markup, HttpError> {
    let scope = Scope::of(console, signed).await?;
    let mut subscriptions = console.db.subscriptions().await?;
    subscriptions.retain(|s| scope.sees_agency(&s.agency_code));
    let mut agencies = console.db.agencies().await?;
    agencies.retain(|a| scope.sees_agency(&a.code));
    let body = html! {
        (notice)
        table {
            @for s in &subscriptions {
                tr {
                    td { "#" (s.id) }
                    td { (s.chat_title.as_deref().unwrap_or(&s.chat_id)) }
                    td { (s.agency_code) }
                    td {
                        (console.text(if s.active { "subscription-active" } else { "subscription-inactive" }))
                    }
                }
            }
        }
        @if signed.user.role != Role::Viewer {
            h2 { (console.text("admin-issue-code")) }
            form method="post" action="/admin/subscriptions" {
                (csrf_field(&signed.csrf))
                label {
                    (console.text("admin-agency"))
                    select name="agency" {
                        @for a in &agencies {
                            option value=(a.code) { (a.name) " (" (a.code) ")" }
                        }
                    }
                }
                button { (console.text("admin-issue-code")) }
            }
        }
    };
    Ok(console.page(
        Some(signed),
        &console.text("admin-subscriptions-title"),
        body,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct IssueCodeForm {
    agency: String,
}

pub async fn issue_code(
    State(console): State<Console>,
    Acting { signed, form }: Acting<IssueCodeForm>,
) -> Result<Response, HttpError> {
    let agency = form.agency;
    let tree = console.db.agency_tree().await?;
    let found = tree
        .get(&agency)
        .ok_or(HttpError::Forbidden("admin-not-found"))?;
    if signed.user.role == Role::Manager {
        let scope = signed.user.agency_code.clone().unwrap_or_default();
        if !tree.within(&agency, &scope) {
            return Err(HttpError::Forbidden("admin-error-not-yours"));
        }
    }
    let now = console.clock.now();
    let code = SubscriptionCode {
        code: crate::storage::new_code(),
        agency_code: agency.clone(),
        points_max: None,
        period: crate::storage::SubscriptionPeriod::Week,
        weekday: 1,
        hour: 8,
        xlsx: false,
        expires_at: now + Duration::days(7),
    };
    console.db.create_subscription_code(&code, now).await?;
    console
        .db
        .record_audit(
            &signed.user.login,
            "subscription.code",
            &agency,
            None,
            None,
            now,
        )
        .await?;
    let expires = code
        .expires_at
        .with_timezone(&crate::core::clock::vietnam());
    let expires = [
        expires.format("%H:%M").to_string(),
        crate::core::i18n::date(expires.date_naive(), console.lang),
    ]
    .join(" ");
    let notice = html! {
        p class="ok" id="code" {
            (console.t("subscription-code-created", &[
                ("code", code.code.clone()),
                ("agency", found.name.clone()),
                ("expires", expires),
            ]))
        }
    };
    let page = render_subscriptions(&console, &signed, notice).await?;
    Ok((StatusCode::CREATED, page).into_response())
}

pub async fn audit(State(console): State<Console>, signed: Signed) -> Result<Markup, HttpError> {
    let scope = Scope::of(&console, &signed).await?;
    let mut entries = console.db.audit_log(AUDIT_SCAN).await?;
    if !scope.sees_everything() {
        let user_agencies: HashMap<String, Option<String>> = console
            .db
            .accounts()
            .await?
            .into_iter()
            .map(|a| (a.user.login, a.user.agency_code))
            .collect();
        let owned_flows: HashSet<String> = console
            .db
            .flow_versions()
            .await?
            .into_iter()
            .filter(|v| {
                v.owner_agency
                    .as_deref()
                    .is_some_and(|owner| scope.sees_agency(owner))
            })
            .map(|v| v.flow_id)
            .collect();
        entries.retain(|e| scope.sees_audit(e, &user_agencies, &owned_flows));
    }
    entries.truncate(AUDIT_SHOWN);
    // Short values inline; long ones (a whole flow file) folded, in full.
    let short = |text: &Option<String>| {
        let text = text.as_deref().unwrap_or_default();
        html! {
            @if text.chars().count() <= 80 {
                (text)
            } @else {
                details {
                    summary { (text.chars().take(60).collect::<String>()) "…" }
                    pre { (text) }
                }
            }
        }
    };
    let body = html! {
        table {
            @for entry in &entries {
                @let at = entry.at.with_timezone(&crate::core::clock::vietnam());
                tr {
                    td { (at.format("%H:%M")) " " (crate::core::i18n::date(at.date_naive(), console.lang)) }
                    td { (entry.actor) }
                    td { (entry.action) }
                    td { (entry.target) }
                    td { del { (short(&entry.before)) } }
                    td { ins { (short(&entry.after)) } }
                }
            }
        }
    };
    Ok(console.page(Some(&signed), &console.text("admin-audit-title"), body))
}
