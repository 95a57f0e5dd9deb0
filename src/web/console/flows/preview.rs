//! How a version looks to a citizen (every question as the chat would show it), and what
//! changed between two versions, question by question.

use super::load;
use crate::core::flow::Flow;
use crate::web::HttpError;
use crate::web::console::{Console, Signed};
use axum::extract::{Path, Query, State};
use maud::{Markup, html};
use serde::Deserialize;

pub async fn preview(
    State(console): State<Console>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Markup, HttpError> {
    let (_, flow) = load(&console, &signed, id).await?;
    let total = flow.questions.len();
    let body = html! {
        p { (flow.intro.get(console.lang)) }
        @for (index, question) in flow.questions.iter().enumerate() {
            @let prompt = crate::core::prompt::question_prompt(
                &console.locales,
                console.lang,
                &flow,
                question,
                (index + 1, total),
                &[],
                index > 0,
            );
            div class="preview" data-question=(question.id) {
                p {
                    @for (line_no, line) in prompt.text.split('\n').enumerate() {
                        @if line_no > 0 { br; }
                        (line)
                    }
                }
                @for button in prompt.buttons.iter().flatten() {
                    span class="btn" { (button.label) }
                }
            }
        }
        p { (flow.outro.get(console.lang)) }
    };
    let title = console.t("admin-preview-title", &[("flow", flow.title.vi.clone())]);
    Ok(console.page(Some(&signed), &title, body))
}

#[derive(Deserialize)]
pub struct DiffQuery {
    with: Option<i64>,
}

pub async fn diff(
    State(console): State<Console>,
    signed: Signed,
    Path(id): Path<i64>,
    Query(query): Query<DiffQuery>,
) -> Result<Markup, HttpError> {
    let (info, new) = load(&console, &signed, id).await?;
    let base_id = match query.with {
        Some(other) => Some(other),
        None => console
            .db
            .flow_version_id(&info.flow_id, info.version - 1)
            .await
            .ok()
            .flatten(),
    };
    let Some(base_id) = base_id else {
        let body = html! { (console.text("admin-diff-none")) };
        return Ok(console.page(Some(&signed), &console.text("admin-diff"), body));
    };
    let (base_info, old) = load(&console, &signed, base_id).await?;
    let changes = flow_diff(&old, &new);
    let body = html! {
        ul id="diff" {
            @for change in &changes {
                li { (render_change(change)) }
            }
            @if changes.is_empty() {
                li { (console.text("admin-diff-same")) }
            }
        }
    };
    let title = console.t(
        "admin-diff-title",
        &[
            ("from", format!("v{}", base_info.version)),
            ("to", format!("v{}", info.version)),
        ],
    );
    Ok(console.page(Some(&signed), &title, body))
}

/// One change between two versions of a flow, naming the question by its id.
#[derive(Debug, PartialEq, Eq)]
pub enum Change<'a> {
    Removed {
        id: &'a str,
        text: &'a str,
    },
    Added {
        id: &'a str,
        text: &'a str,
    },
    Text {
        id: &'a str,
        before: &'a str,
        after: &'a str,
    },
    /// The kind, the condition or the alerts changed.
    Settings {
        id: &'a str,
    },
    /// The question moved to this (1-based) position.
    Moved {
        id: &'a str,
        position: usize,
    },
}

fn render_change(change: &Change) -> Markup {
    match change {
        Change::Removed { id, text } => html! { del { "− " (id) ": " (text) } },
        Change::Added { id, text } => html! { ins { "+ " (id) ": " (text) } },
        Change::Text { id, before, after } => {
            html! { (id) ": " del { (before) } " → " ins { (after) } }
        }
        Change::Settings { id } => html! { (id) ": ⚙" },
        Change::Moved { id, position } => html! { (id) ": ↕ " (position) },
    }
}

/// What changed between two versions, question by question.
pub fn flow_diff<'a>(old: &'a Flow, new: &'a Flow) -> Vec<Change<'a>> {
    let mut changes = Vec::new();
    for question in &old.questions {
        if new.question(&question.id).is_none() {
            changes.push(Change::Removed {
                id: &question.id,
                text: &question.text.vi,
            });
        }
    }
    for (index, question) in new.questions.iter().enumerate() {
        let Some(before) = old.question(&question.id) else {
            changes.push(Change::Added {
                id: &question.id,
                text: &question.text.vi,
            });
            continue;
        };
        if before.text != question.text {
            changes.push(Change::Text {
                id: &question.id,
                before: &before.text.vi,
                after: &question.text.vi,
            });
        }
        if before.kind != question.kind
            || before.show_if != question.show_if
            || before.alert_if != question.alert_if
        {
            changes.push(Change::Settings { id: &question.id });
        }
        if old.question_index(&question.id) != Some(index) {
            changes.push(Change::Moved {
                id: &question.id,
                position: index + 1,
            });
        }
    }
    changes
}
