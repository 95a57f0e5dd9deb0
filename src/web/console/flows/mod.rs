//! Flow pages. This file holds the list of versions and assignments and what the other flow
//! pages share (loading a version, who may manage it); `editor.rs` is a draft's editor,
//! `lifecycle.rs` the actions that move a version along (draft, validate, publish, rollback,
//! assign), `preview.rs` the citizen's view and the diff between versions.

pub mod editor;
pub mod lifecycle;
pub mod preview;

use super::{Console, Scope, Signed, csrf_field};
use crate::core::flow::Flow;
use crate::storage::{FlowStatus, FlowVersionInfo, Role};
use crate::web::HttpError;
use axum::extract::State;
use maud::{Markup, html};

/// Whether `signed` may change flows owned by `owner` (None: a flow for every agency).
async fn may_manage(console: &Console, signed: &Signed, owner: Option<&str>) -> bool {
    match signed.user.role {
        Role::Admin => true,
        Role::Viewer => false,
        Role::Manager => {
            let (Some(scope), Some(owner)) = (signed.user.agency_code.as_deref(), owner) else {
                return false;
            };
            let tree = console.db.agency_tree().await.unwrap_or_default();
            tree.within(owner, scope)
        }
    }
}

fn status_label(console: &Console, status: FlowStatus) -> String {
    console.text(&format!("admin-status-{}", status.code()))
}

/// A stored version and its flow, or 404 (also when it is outside what `signed` may see).
async fn load(
    console: &Console,
    signed: &Signed,
    id: i64,
) -> Result<(FlowVersionInfo, Flow), HttpError> {
    let info = console
        .db
        .flow_version_info(id)
        .await?
        .ok_or(HttpError::NotFound("admin-not-found"))?;
    Scope::of(console, signed).await?.check_flow(&info)?;
    let stored = console.db.flow_version(id).await?;
    Ok((info, stored.flow))
}

/// Loads a version for a change by `signed`, who must have the right to manage it.
async fn editable(
    console: &Console,
    signed: &Signed,
    id: i64,
) -> Result<(FlowVersionInfo, Flow), HttpError> {
    let (info, flow) = load(console, signed, id).await?;
    if !may_manage(console, signed, info.owner_agency.as_deref()).await {
        return Err(HttpError::Forbidden("admin-error-not-yours"));
    }
    Ok((info, flow))
}

pub async fn list(State(console): State<Console>, signed: Signed) -> Result<Markup, HttpError> {
    let scope = Scope::of(&console, &signed).await?;
    let mut versions = console.db.flow_versions().await?;
    versions.retain(|v| scope.sees_flow(v));
    let mut assignments = console.db.flow_assignments().await?;
    assignments.retain(|(agency, _)| scope.sees_everything() || scope.sees_agency(agency));
    let agencies = console.db.agencies().await?;
    let mut flow_ids: Vec<&str> = versions.iter().map(|v| v.flow_id.as_str()).collect();
    flow_ids.dedup();
    let body = html! {
        table {
            tr {
                th { (console.text("admin-flow")) }
                th { (console.text("admin-version")) }
                th { (console.text("admin-title")) }
                th { (console.text("admin-status")) }
                th { (console.text("admin-responses")) }
                th {}
            }
            @for v in &versions {
                tr class="version" data-flow=(v.flow_id) data-version=(v.version) {
                    td { (v.flow_id) }
                    td { "v" (v.version) }
                    td { (v.title) }
                    td {
                        (status_label(&console, v.status))
                        @if v.current {
                            " " span class="tag" { (console.text("admin-current")) }
                        }
                    }
                    td { (crate::core::i18n::integer(v.responses, console.lang)) }
                    td { a href={ "/admin/flows/" (v.id) } { (console.text("admin-open")) } }
                }
            }
        }
        h2 { (console.text("admin-assignments")) }
        ul {
            @for (agency, flow) in &assignments {
                li { (agency) " → " (flow) }
            }
        }
        @if signed.user.role == Role::Admin {
            form method="post" action="/admin/assignments" {
                (csrf_field(&signed.csrf))
                label {
                    (console.text("admin-agency"))
                    select name="agency" {
                        option value="*" { (console.text("admin-all-agencies")) }
                        @for a in &agencies {
                            option value=(a.code) { (a.name) " (" (a.code) ")" }
                        }
                    }
                }
                label {
                    (console.text("admin-flow"))
                    select name="flow" {
                        @for flow in &flow_ids {
                            option { (flow) }
                        }
                    }
                }
                button { (console.text("admin-assign")) }
            }
        }
    };
    Ok(console.page(Some(&signed), &console.text("admin-flows-title"), body))
}
