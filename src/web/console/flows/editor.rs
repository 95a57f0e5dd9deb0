//! A version's page and, for a draft, its editor: question texts, factors, options and
//! conditions, adding, moving and deleting questions. Every change is saved as the draft's new
//! content (with its audit entry) and the browser comes back to the page.

use super::{editable, load, may_manage, status_label};
use crate::core::flow::{self, Choice, Flow, Question, QuestionKind, Text};
use crate::storage::{FlowStatus, FlowVersionInfo, Role};
use crate::web::HttpError;
use crate::web::console::{Acting, Console, NoFields, Signed, csrf_field, segment};
use axum::extract::{Path, State};
use axum::response::Redirect;
use maud::{Markup, html};
use serde::Deserialize;

pub async fn show(
    State(console): State<Console>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Markup, HttpError> {
    let (info, flow) = load(&console, &signed, id).await?;
    Ok(render_show(&console, &signed, &info, &flow, html! {}).await)
}

fn factor_select(flow: &Flow, selected: Option<&str>) -> Markup {
    html! {
        select name="factor" {
            @for f in &flow.factors {
                option value=(f.id) selected[Some(f.id.as_str()) == selected] { (f.name.vi) }
            }
        }
    }
}

/// A version's page, with `notice` (a validation result) above it.
pub(super) async fn render_show(
    console: &Console,
    signed: &Signed,
    info: &FlowVersionInfo,
    flow: &Flow,
    notice: Markup,
) -> Markup {
    let manage = may_manage(console, signed, info.owner_agency.as_deref()).await;
    let csrf = csrf_field(&signed.csrf);
    let t = |id: &str| console.text(id);
    let base = format!("/admin/flows/{}", info.id);
    let published = info.status == FlowStatus::Published;
    let editable = !published && manage;
    let body = html! {
        (notice)
        p {
            (t("admin-flow")) " " b { (info.flow_id) } " · v" (info.version) " · "
            span class="tag" id="status" { (status_label(console, info.status)) }
            @if info.current {
                " " span class="tag" { (t("admin-current")) }
            }
            " · " (crate::core::i18n::integer(info.responses, console.lang)) " " (t("admin-responses"))
        }
        p {
            a href={ (base) "/preview" } { (t("admin-preview")) } " · "
            a href={ (base) "/diff" } { (t("admin-diff")) }
        }
        @if published && signed.user.role != Role::Viewer {
            form method="post" action={ (base) "/draft" } class="inline" {
                (csrf) button { (t("admin-new-draft")) }
            } " "
            @if !info.current && manage {
                form method="post" action={ (base) "/rollback" } class="inline" {
                    (csrf) button { (t("admin-rollback")) }
                }
            }
        }
        @if editable {
            form method="post" action={ (base) "/validate" } class="inline" {
                (csrf) button id="validate" { (t("admin-validate")) }
            } " "
            @if info.status == FlowStatus::Validated {
                form method="post" action={ (base) "/publish" } class="inline" {
                    (csrf) button id="publish" { (t("admin-publish")) }
                }
            }
        }
        h2 { (t("admin-questions")) }
        table {
            @for (index, question) in flow.questions.iter().enumerate() {
                @let kind = crate::core::survey::kind_name(&question.kind);
                @let action = format!("{base}/questions/{}", segment(&question.id));
                @if editable {
                    tr {
                        td { (index + 1) ". " code { (question.id) } br; span class="tag" { (kind) } }
                        td {
                            form method="post" action=(action) class="question" data-question=(question.id) {
                                (csrf)
                                label { (t("admin-text-vi")) textarea name="vi" { (question.text.vi) } }
                                label { (t("admin-text-en")) textarea name="en" { (question.text.en.as_deref().unwrap_or("")) } }
                                @if let QuestionKind::Scale { factor } = &question.kind {
                                    (factor_select(flow, Some(factor)))
                                }
                                @if !question.options().is_empty() {
                                    label { (t("admin-options-help")) textarea name="options" { (options_text(question.options())) } }
                                }
                                label {
                                    (t("admin-condition-help"))
                                    input type="text" name="show_if" value=(condition_text(question));
                                }
                                button { (t("admin-save")) }
                            }
                        }
                        td {
                            form method="post" action={ (action) "/move" } {
                                (csrf) input type="hidden" name="direction" value="up"; button { "↑" }
                            }
                            form method="post" action={ (action) "/move" } {
                                (csrf) input type="hidden" name="direction" value="down"; button { "↓" }
                            }
                            form method="post" action={ (action) "/delete" } {
                                (csrf) button { (t("admin-delete")) }
                            }
                        }
                    }
                } @else {
                    tr {
                        td { (index + 1) ". " code { (question.id) } " " span class="tag" { (kind) } }
                        td { (question.text.vi) }
                    }
                }
            }
        }
        @if editable {
            h2 { (t("admin-add-question")) }
            form method="post" action={ (base) "/questions" } {
                (csrf)
                label { (t("admin-question-id")) input type="text" name="id"; }
                label {
                    (t("admin-kind"))
                    select name="kind" {
                        @for kind in ["scale", "yes_no", "text", "single_choice", "multiple_choice"] {
                            option { (kind) }
                        }
                    }
                }
                label { (t("admin-text-vi")) textarea name="vi" {} }
                label { (t("admin-text-en")) textarea name="en" {} }
                label { (t("admin-factor")) (factor_select(flow, None)) }
                label { (t("admin-options-help")) textarea name="options" {} }
                button { (t("admin-add")) }
            }
        }
    };
    console.page(Some(signed), &flow.title.vi, body)
}

/// A condition as the editor shows it: `question=value1,value2`.
fn condition_text(question: &Question) -> String {
    question
        .show_if
        .as_ref()
        .map(|c| [c.question.as_str(), &c.any_of.join(",")].join("="))
        .unwrap_or_default()
}

/// Saves a draft's new content and goes back to its page.
async fn save(
    console: &Console,
    signed: &Signed,
    info: &FlowVersionInfo,
    flow: &Flow,
) -> Result<Redirect, HttpError> {
    console
        .db
        .save_draft(info.id, flow, &signed.user.login, console.clock.now())
        .await?;
    Ok(Redirect::to(&format!("/admin/flows/{}", info.id)))
}

/// A question's fields; a field left out is left as it is.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct QuestionForm {
    vi: Option<String>,
    en: Option<String>,
    factor: Option<String>,
    options: Option<String>,
    show_if: Option<String>,
}

pub async fn edit_question(
    State(console): State<Console>,
    Path((id, question_id)): Path<(i64, String)>,
    Acting { signed, form }: Acting<QuestionForm>,
) -> Result<Redirect, HttpError> {
    let (info, mut flow) = editable(&console, &signed, id).await?;
    let question = flow
        .questions
        .iter_mut()
        .find(|q| q.id == question_id)
        .ok_or(HttpError::Forbidden("admin-not-found"))?;
    if let Some(vi) = form.vi {
        question.text.vi = vi.trim().to_string();
    }
    if let Some(en) = form.en {
        question.text.en = Some(en.trim().to_string()).filter(|e| !e.is_empty());
    }
    if let (QuestionKind::Scale { factor }, Some(chosen)) = (&mut question.kind, form.factor) {
        *factor = chosen;
    }
    if let Some(text) = form.options {
        match &mut question.kind {
            QuestionKind::SingleChoice { options }
            | QuestionKind::MultipleChoice { options, .. } => {
                *options = parse_options(&text);
            }
            _ => {}
        }
    }
    if let Some(text) = form.show_if {
        // `question=value1,value2`; empty removes the condition. Validation checks the rest.
        question.show_if = text
            .split_once('=')
            .map(|(target, values)| flow::Condition {
                question: target.trim().to_string(),
                any_of: values
                    .split(',')
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
                    .collect(),
            });
    }
    save(&console, &signed, &info, &flow).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MoveForm {
    direction: String,
}

pub async fn move_question(
    State(console): State<Console>,
    Path((id, question_id)): Path<(i64, String)>,
    Acting { signed, form }: Acting<MoveForm>,
) -> Result<Redirect, HttpError> {
    let (info, mut flow) = editable(&console, &signed, id).await?;
    if let Some(at) = flow.question_index(&question_id) {
        let to = match form.direction.as_str() {
            "up" => at.checked_sub(1),
            _ => Some(at + 1).filter(|to| *to < flow.questions.len()),
        };
        if let Some(to) = to {
            flow.questions.swap(at, to);
        }
    }
    save(&console, &signed, &info, &flow).await
}

pub async fn delete_question(
    State(console): State<Console>,
    Path((id, question_id)): Path<(i64, String)>,
    Acting { signed, .. }: Acting<NoFields>,
) -> Result<Redirect, HttpError> {
    let (info, mut flow) = editable(&console, &signed, id).await?;
    flow.questions.retain(|q| q.id != question_id);
    save(&console, &signed, &info, &flow).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewQuestionForm {
    id: String,
    kind: String,
    vi: String,
    en: String,
    factor: String,
    options: String,
}

pub async fn add_question(
    State(console): State<Console>,
    Path(id): Path<i64>,
    Acting { signed, form }: Acting<NewQuestionForm>,
) -> Result<Redirect, HttpError> {
    let (info, mut flow) = editable(&console, &signed, id).await?;
    let options = parse_options(form.options.trim());
    let kind = match form.kind.trim() {
        "scale" => QuestionKind::Scale {
            factor: form.factor.trim().to_string(),
        },
        "yes_no" => QuestionKind::YesNo,
        "single_choice" => QuestionKind::SingleChoice { options },
        "multiple_choice" => {
            let max_choices = options.len().min(3);
            QuestionKind::MultipleChoice {
                options,
                max_choices,
            }
        }
        _ => QuestionKind::Text { max_length: 500 },
    };
    let en = form.en.trim().to_string();
    flow.questions.push(Question {
        id: form.id.trim().to_string(),
        text: Text {
            vi: form.vi.trim().to_string(),
            en: Some(en).filter(|e| !e.is_empty()),
        },
        kind,
        show_if: None,
        alert_if: Vec::new(),
    });
    save(&console, &signed, &info, &flow).await
}

/// Options as the editor shows them: one per line, `id|Vietnamese|English`.
fn options_text(options: &[Choice]) -> String {
    options
        .iter()
        .map(|o| {
            [
                o.id.as_str(),
                o.text.vi.as_str(),
                o.text.en.as_deref().unwrap_or(""),
            ]
            .join("|")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn parse_options(text: &str) -> Vec<Choice> {
    text.lines()
        .filter_map(|line| {
            let mut parts = line.split('|').map(str::trim);
            let id = parts.next().filter(|s| !s.is_empty())?.to_string();
            let vi = parts.next().unwrap_or_default().to_string();
            let en = parts.next().filter(|s| !s.is_empty()).map(str::to_string);
            Some(Choice {
                id,
                text: Text { vi, en },
            })
        })
        .collect()
}
