//! The actions that move a flow version along its lifecycle: a new draft (a manager's draft of
//! a flow not theirs becomes their own fork), validation, publishing, rollback, and assigning a
//! flow to an agency subtree. The rules themselves live in `storage::lifecycle`.

use super::editor::render_show;
use super::{editable, load, may_manage};
use crate::core::flow;
use crate::storage::Role;
use crate::web::HttpError;
use crate::web::console::{Acting, Console, NoFields};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

pub async fn validate(
    State(console): State<Console>,
    Path(id): Path<i64>,
    Acting { signed, .. }: Acting<NoFields>,
) -> Result<Response, HttpError> {
    let (info, flow) = editable(&console, &signed, id).await?;
    let file = format!("{} v{}", info.flow_id, info.version);
    let problems = flow::validate(&file, &flow);
    if problems.is_empty() {
        console
            .db
            .mark_validated(id, &signed.user.login, console.clock.now())
            .await?;
        let (info, flow) = load(&console, &signed, id).await?;
        let notice = html! { p class="ok" id="valid" { (console.text("admin-valid")) } };
        return Ok(render_show(&console, &signed, &info, &flow, notice)
            .await
            .into_response());
    }
    let notice = html! {
        div class="error" id="problems" {
            p { (console.text("admin-invalid")) }
            ul {
                @for p in &problems {
                    li { (crate::core::flow::render_problem(&console.locales, console.lang, p)) }
                }
            }
        }
    };
    let page = render_show(&console, &signed, &info, &flow, notice).await;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

pub async fn publish(
    State(console): State<Console>,
    Path(id): Path<i64>,
    Acting { signed, .. }: Acting<NoFields>,
) -> Result<Redirect, HttpError> {
    editable(&console, &signed, id).await?;
    console
        .db
        .publish(id, &signed.user.login, console.clock.now())
        .await?;
    Ok(Redirect::to("/admin/flows"))
}

/// Puts an earlier published version back in force.
pub async fn rollback(
    State(console): State<Console>,
    Path(id): Path<i64>,
    Acting { signed, .. }: Acting<NoFields>,
) -> Result<Redirect, HttpError> {
    editable(&console, &signed, id).await?;
    console
        .db
        .rollback(id, &signed.user.login, console.clock.now())
        .await?;
    Ok(Redirect::to("/admin/flows"))
}

pub async fn new_draft(
    State(console): State<Console>,
    Path(id): Path<i64>,
    Acting { signed, .. }: Acting<NoFields>,
) -> Result<Redirect, HttpError> {
    let (info, _) = load(&console, &signed, id).await?;
    // A manager's changes to a flow that is not theirs start a flow of their own.
    let fork = match (&signed.user.role, signed.user.agency_code.as_deref()) {
        (Role::Manager, Some(agency))
            if !may_manage(&console, &signed, info.owner_agency.as_deref()).await =>
        {
            Some((
                format!("{}-{}", info.flow_id, agency.to_lowercase()),
                agency.to_string(),
            ))
        }
        _ => None,
    };
    let fork_ref = fork.as_ref().map(|(f, a)| (f.as_str(), a.as_str()));
    let draft = console
        .db
        .create_draft(id, fork_ref, &signed.user.login, console.clock.now())
        .await?;
    Ok(Redirect::to(&format!("/admin/flows/{draft}")))
}

#[derive(Deserialize)]
pub struct AssignForm {
    #[serde(default = "all_agencies")]
    agency: String,
    #[serde(default)]
    flow: String,
}

fn all_agencies() -> String {
    "*".into()
}

pub async fn assign(
    State(console): State<Console>,
    Acting { signed, form }: Acting<AssignForm>,
) -> Result<Redirect, HttpError> {
    signed.admin_only()?;
    console
        .db
        .assign_flow(
            &form.agency,
            &form.flow,
            &signed.user.login,
            console.clock.now(),
        )
        .await?;
    Ok(Redirect::to("/admin/flows"))
}
