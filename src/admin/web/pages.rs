//! Agencies (list, CSV import), subscription codes, and the audit log.

use super::{Console, Fields, csrf_field, esc};
use crate::storage::{Role, SubscriptionCode};
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use chrono::Duration;

pub async fn agencies(State(console): State<Console>, headers: HeaderMap) -> Response {
    let signed = match console.signed(&headers).await {
        Ok(signed) => signed,
        Err(response) => return response,
    };
    render_agencies(&console, &signed, "").await
}

async fn render_agencies(console: &Console, signed: &super::Signed, notice: &str) -> Response {
    let (agencies, counts) = match (
        console.db.agencies().await,
        console.db.agency_counts().await,
    ) {
        (Ok(a), Ok(c)) => (a, c),
        (Err(err), _) | (_, Err(err)) => return console.failure(err),
    };
    let mut body = format!(
        "{notice}<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        esc(&console.t("admin-code", &[])),
        esc(&console.t("admin-name", &[])),
        esc(&console.t("admin-parent", &[])),
        esc(&console.t("admin-level", &[])),
        esc(&console.t("admin-invitations", &[])),
        esc(&console.t("admin-responses", &[])),
    );
    for agency in &agencies {
        let count = counts.iter().find(|c| c.agency_code == agency.code);
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&agency.code),
            esc(&agency.name),
            esc(agency.parent_code.as_deref().unwrap_or("")),
            esc(agency.level.code()),
            count.map_or(0, |c| c.invitations),
            count.map_or(0, |c| c.responses),
        ));
    }
    body.push_str("</table>");
    let by_version = match console.db.responses_by_agency_and_version().await {
        Ok(rows) => rows,
        Err(err) => return console.failure(err),
    };
    body.push_str(&format!(
        "<h2>{}</h2><table id=by-version><tr><th>{}</th><th>{}</th><th>{}</th></tr>",
        esc(&console.t("admin-by-version", &[])),
        esc(&console.t("admin-agency", &[])),
        esc(&console.t("admin-flow", &[])),
        esc(&console.t("admin-responses", &[])),
    ));
    for (agency, flow, version, count) in &by_version {
        body.push_str(&format!(
            "<tr><td>{}</td><td>{} v{version}</td><td>{}</td></tr>",
            esc(agency),
            esc(flow),
            crate::i18n::integer(*count, console.lang)
        ));
    }
    body.push_str("</table>");
    if signed.user.role == Role::Admin {
        body.push_str(&format!(
            "<h2>{}</h2><form method=post action=/admin/agencies/import>{}<label>{}<textarea name=csv rows=8 placeholder=\"code,name,parent_code,level\"></textarea></label><button>{}</button></form>",
            esc(&console.t("admin-import", &[])),
            csrf_field(&signed.csrf),
            esc(&console.t("admin-import-help", &[])),
            esc(&console.t("admin-import", &[])),
        ));
    }
    Html(console.page(Some(signed), &console.t("admin-agencies-title", &[]), &body)).into_response()
}

pub async fn import_agencies(
    State(console): State<Console>,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Response {
    let signed = match console.acting(&headers, &fields).await {
        Ok(signed) => signed,
        Err(response) => return response,
    };
    if signed.user.role != Role::Admin {
        return console.forbidden("admin-error-admin-only");
    }
    let report = match crate::admin::import::import_agencies(
        &console.db,
        fields.get("csv").map(String::as_str).unwrap_or(""),
        &signed.user.login,
        console.clock.now(),
    )
    .await
    {
        Ok(report) => report,
        Err(err) => return console.failure(err),
    };
    let lines: String = report
        .rejected
        .iter()
        .map(|r| {
            format!(
                "<li>{}</li>",
                esc(&console.t(
                    "import-rejected-row",
                    &[
                        ("line", r.line.to_string()),
                        ("code", r.code.clone()),
                        ("reason", console.t(r.reason, &r.args))
                    ],
                ))
            )
        })
        .collect();
    let notice = format!(
        "<div id=import-report><p class=ok>{}</p><ul class=error>{lines}</ul></div>",
        esc(&console.t(
            "import-report",
            &[
                ("accepted", report.accepted.to_string()),
                ("rejected", report.rejected.len().to_string())
            ],
        ))
    );
    render_agencies(&console, &signed, &notice).await
}

pub async fn subscriptions(State(console): State<Console>, headers: HeaderMap) -> Response {
    let signed = match console.signed(&headers).await {
        Ok(signed) => signed,
        Err(response) => return response,
    };
    render_subscriptions(&console, &signed, "").await
}

async fn render_subscriptions(console: &Console, signed: &super::Signed, notice: &str) -> Response {
    let (subscriptions, agencies) = match (
        console.db.subscriptions().await,
        console.db.agencies().await,
    ) {
        (Ok(s), Ok(a)) => (s, a),
        (Err(err), _) | (_, Err(err)) => return console.failure(err),
    };
    let mut body = format!("{notice}<table>");
    for s in &subscriptions {
        body.push_str(&format!(
            "<tr><td>#{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            s.id,
            esc(s.chat_title.as_deref().unwrap_or(&s.chat_id)),
            esc(&s.agency_code),
            esc(&console.t(
                if s.active {
                    "subscription-active"
                } else {
                    "subscription-inactive"
                },
                &[]
            )),
        ));
    }
    body.push_str("</table>");
    if signed.user.role != Role::Viewer {
        let options: String = agencies
            .iter()
            .map(|a| {
                format!(
                    "<option value=\"{}\">{} ({})</option>",
                    esc(&a.code),
                    esc(&a.name),
                    esc(&a.code)
                )
            })
            .collect();
        body.push_str(&format!(
            "<h2>{}</h2><form method=post action=/admin/subscriptions>{}<label>{}<select name=agency>{options}</select></label><button>{}</button></form>",
            esc(&console.t("admin-issue-code", &[])),
            csrf_field(&signed.csrf),
            esc(&console.t("admin-agency", &[])),
            esc(&console.t("admin-issue-code", &[])),
        ));
    }
    Html(console.page(
        Some(signed),
        &console.t("admin-subscriptions-title", &[]),
        &body,
    ))
    .into_response()
}

pub async fn issue_code(
    State(console): State<Console>,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Response {
    let signed = match console.acting(&headers, &fields).await {
        Ok(signed) => signed,
        Err(response) => return response,
    };
    let agency = fields.get("agency").cloned().unwrap_or_default();
    let tree = console.db.agency_tree().await.unwrap_or_default();
    let Some(found) = tree.get(&agency) else {
        return console.forbidden("admin-not-found");
    };
    if signed.user.role == Role::Manager {
        let scope = signed.user.agency_code.clone().unwrap_or_default();
        let inside = tree.within(&agency, &scope);
        if !inside {
            return console.forbidden("admin-error-not-yours");
        }
    }
    let now = console.clock.now();
    let code = SubscriptionCode {
        code: crate::storage::new_code(),
        agency_code: agency.clone(),
        points_max: None,
        weekday: 1,
        hour: 8,
        xlsx: false,
        expires_at: now + Duration::days(7),
    };
    let stored = async {
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
            .await
    };
    if let Err(err) = stored.await {
        return console.failure(err);
    }
    let expires = code.expires_at.with_timezone(&crate::clock::vietnam());
    let notice = format!(
        "<p class=ok id=code>{}</p>",
        esc(&console.t(
            "subscription-code-created",
            &[
                ("code", code.code.clone()),
                ("agency", found.name.clone()),
                (
                    "expires",
                    format!(
                        "{} {}",
                        expires.format("%H:%M"),
                        crate::i18n::date(expires.date_naive(), console.lang)
                    )
                ),
            ],
        ))
    );
    let mut response = render_subscriptions(&console, &signed, &notice).await;
    *response.status_mut() = StatusCode::CREATED;
    response
}

pub async fn audit(State(console): State<Console>, headers: HeaderMap) -> Response {
    let signed = match console.signed(&headers).await {
        Ok(signed) => signed,
        Err(response) => return response,
    };
    let entries = match console.db.audit_log(200).await {
        Ok(entries) => entries,
        Err(err) => return console.failure(err),
    };
    let mut body = String::from("<table>");
    for entry in &entries {
        let at = entry.at.with_timezone(&crate::clock::vietnam());
        // Short values inline; long ones (a whole flow file) folded, in full.
        let short = |text: &Option<String>| {
            let text = text.clone().unwrap_or_default();
            if text.chars().count() <= 80 {
                return esc(&text);
            }
            let cut: String = text.chars().take(60).collect();
            format!(
                "<details><summary>{}…</summary><pre>{}</pre></details>",
                esc(&cut),
                esc(&text)
            )
        };
        body.push_str(&format!(
            "<tr><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td><td><del>{}</del></td><td><ins>{}</ins></td></tr>",
            at.format("%H:%M"),
            crate::i18n::date(at.date_naive(), console.lang),
            esc(&entry.actor),
            esc(&entry.action),
            esc(&entry.target),
            short(&entry.before),
            short(&entry.after),
        ));
    }
    body.push_str("</table>");
    Html(console.page(Some(&signed), &console.t("admin-audit-title", &[]), &body)).into_response()
}
