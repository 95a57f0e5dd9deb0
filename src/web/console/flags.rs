//! Flagged responses for admins: the responses that look manufactured (one chat answering many
//! dossiers, or answers faster than anyone reads), newest first, each with a button that clears
//! its flag. Clearing adds the response to the index and is written to the audit log. No chat
//! ids or phone numbers are shown; times are given to the day.

use super::{Acting, Console, NoFields, Signed, csrf_field};
use crate::web::HttpError;
use axum::extract::{Path, State};
use maud::{Markup, html};

/// How many flagged responses the page lists.
const SHOWN: i64 = 200;

pub async fn list(State(console): State<Console>, signed: Signed) -> Result<Markup, HttpError> {
    signed.admin_only()?;
    render(&console, &signed, html! {}).await
}

pub async fn clear(
    State(console): State<Console>,
    Path(response_id): Path<i64>,
    Acting { signed, .. }: Acting<NoFields>,
) -> Result<Markup, HttpError> {
    signed.admin_only()?;
    let cleared = console
        .db
        .clear_flag(response_id, &signed.user.login, console.clock.now())
        .await?;
    let notice = if cleared {
        html! { p class="ok" { (console.text("admin-flag-cleared")) } }
    } else {
        html! { p class="error" { (console.text("admin-flag-not-found")) } }
    };
    render(&console, &signed, notice).await
}

async fn render(console: &Console, signed: &Signed, notice: Markup) -> Result<Markup, HttpError> {
    let flagged = console.db.flagged_responses(None, SHOWN).await?;
    let body = html! {
        (notice)
        p { (console.text("admin-flags-help")) }
        @if flagged.is_empty() {
            p { (console.text("admin-flags-none")) }
        } @else {
            table id="flags" {
                tr {
                    th { (console.text("admin-agency")) }
                    th { (console.text("admin-flag-dossier")) }
                    th { (console.text("admin-flag-procedure")) }
                    th { (console.text("admin-flag-day")) }
                    th { (console.text("admin-flag-reason")) }
                    th {}
                }
                @for flag in &flagged {
                    tr {
                        td { (flag.agency_code) }
                        td { (flag.dossier_code) }
                        td { (flag.procedure_name) }
                        td { (flag.submitted_at.get(..10).unwrap_or_default()) }
                        td { (console.text(&format!("admin-flag-{}", flag.flag.replace('_', "-")))) }
                        td {
                            form method="post" action=(format!("/admin/flags/{}/clear", flag.response_id)) {
                                (csrf_field(&signed.csrf))
                                button { (console.text("admin-flag-clear")) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(console.page(Some(signed), &console.text("admin-flags-title"), body))
}
