//! Flow pages: versions, a draft's editor, validation, publishing, rollback, preview and diff.

use super::{Console, Fields, Signed, csrf_field, esc};
use crate::flow::{self, Choice, Flow, Question, QuestionKind, Text};
use crate::storage::{FlowStatus, FlowVersionInfo, LifecycleError, Role};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};

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
    console.t(&format!("admin-status-{}", status.code()), &[])
}

pub async fn list(State(console): State<Console>, headers: HeaderMap) -> Response {
    let signed = match console.signed(&headers).await {
        Ok(signed) => signed,
        Err(response) => return response,
    };
    let (versions, assignments, agencies) = match (
        console.db.flow_versions().await,
        console.db.flow_assignments().await,
        console.db.agencies().await,
    ) {
        (Ok(v), Ok(a), Ok(g)) => (v, a, g),
        (Err(err), _, _) | (_, Err(err), _) | (_, _, Err(err)) => return console.failure(err),
    };
    let mut body = format!(
        "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th></th></tr>",
        esc(&console.t("admin-flow", &[])),
        esc(&console.t("admin-version", &[])),
        esc(&console.t("admin-title", &[])),
        esc(&console.t("admin-status", &[])),
        esc(&console.t("admin-responses", &[])),
    );
    for v in &versions {
        let current = if v.current {
            format!(
                " <span class=tag>{}</span>",
                esc(&console.t("admin-current", &[]))
            )
        } else {
            String::new()
        };
        body.push_str(&format!(
            "<tr class=version data-flow=\"{flow}\" data-version={version}><td>{flow}</td><td>v{version}</td><td>{title}</td><td>{status}{current}</td><td>{responses}</td><td><a href=/admin/flows/{id}>{open}</a></td></tr>",
            flow = esc(&v.flow_id),
            version = v.version,
            title = esc(&v.title),
            status = esc(&status_label(&console, v.status)),
            responses = crate::i18n::integer(v.responses, console.lang),
            id = v.id,
            open = esc(&console.t("admin-open", &[])),
        ));
    }
    body.push_str("</table>");
    body.push_str(&format!(
        "<h2>{}</h2><ul>",
        esc(&console.t("admin-assignments", &[]))
    ));
    for (agency, flow) in &assignments {
        body.push_str(&format!("<li>{} → {}</li>", esc(agency), esc(flow)));
    }
    body.push_str("</ul>");
    if signed.user.role == Role::Admin {
        let mut flow_ids: Vec<&str> = versions.iter().map(|v| v.flow_id.as_str()).collect();
        flow_ids.dedup();
        let agency_options: String =
            std::iter::once(("*".to_string(), console.t("admin-all-agencies", &[])))
                .chain(
                    agencies
                        .iter()
                        .map(|a| (a.code.clone(), format!("{} ({})", a.name, a.code))),
                )
                .map(|(code, label)| {
                    format!("<option value=\"{}\">{}</option>", esc(&code), esc(&label))
                })
                .collect();
        let flow_options: String = flow_ids
            .iter()
            .map(|f| format!("<option>{}</option>", esc(f)))
            .collect();
        body.push_str(&format!(
            "<form method=post action=/admin/assignments>{}<label>{}<select name=agency>{agency_options}</select></label><label>{}<select name=flow>{flow_options}</select></label><button>{}</button></form>",
            csrf_field(&signed.csrf),
            esc(&console.t("admin-agency", &[])),
            esc(&console.t("admin-flow", &[])),
            esc(&console.t("admin-assign", &[])),
        ));
    }
    Html(console.page(Some(&signed), &console.t("admin-flows-title", &[]), &body)).into_response()
}

async fn load(console: &Console, id: i64) -> Result<(FlowVersionInfo, Flow), Response> {
    match console.db.flow_version_info(id).await {
        Ok(Some(info)) => match console.db.flow_version(id).await {
            Ok(stored) => Ok((info, stored.flow)),
            Err(err) => Err(console.failure(err)),
        },
        Ok(None) => Err((
            StatusCode::NOT_FOUND,
            Html(console.page(None, &console.t("admin-not-found", &[]), "")),
        )
            .into_response()),
        Err(err) => Err(console.failure(err)),
    }
}

fn factor_select(flow: &Flow, selected: Option<&str>) -> String {
    let options: String = flow
        .factors
        .iter()
        .map(|f| {
            let mark = if Some(f.id.as_str()) == selected {
                " selected"
            } else {
                ""
            };
            format!(
                "<option value=\"{}\"{mark}>{}</option>",
                esc(&f.id),
                esc(&f.name.vi)
            )
        })
        .collect();
    format!("<select name=factor>{options}</select>")
}

pub async fn show(
    State(console): State<Console>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    let signed = match console.signed(&headers).await {
        Ok(signed) => signed,
        Err(response) => return response,
    };
    let (info, flow) = match load(&console, id).await {
        Ok(loaded) => loaded,
        Err(response) => return response,
    };
    render_show(&console, &signed, &info, &flow, "").await
}

async fn render_show(
    console: &Console,
    signed: &Signed,
    info: &FlowVersionInfo,
    flow: &Flow,
    notice: &str,
) -> Response {
    let manage = may_manage(console, signed, info.owner_agency.as_deref()).await;
    let csrf = csrf_field(&signed.csrf);
    let t = |id: &str| esc(&console.t(id, &[]));
    let mut body = format!(
        "{notice}<p>{} <b>{}</b> · v{} · <span class=tag id=status>{}</span>{} · {} {}</p><p><a href=/admin/flows/{id}/preview>{}</a> · <a href=/admin/flows/{id}/diff>{}</a></p>",
        t("admin-flow"),
        esc(&info.flow_id),
        info.version,
        esc(&status_label(console, info.status)),
        if info.current {
            format!(" <span class=tag>{}</span>", t("admin-current"))
        } else {
            String::new()
        },
        crate::i18n::integer(info.responses, console.lang),
        t("admin-responses"),
        t("admin-preview"),
        t("admin-diff"),
        id = info.id,
    );
    let editable = info.status != FlowStatus::Published && manage;
    if info.status == FlowStatus::Published && signed.user.role != Role::Viewer {
        body.push_str(&format!(
            "<form method=post action=/admin/flows/{}/draft class=inline>{csrf}<button>{}</button></form> ",
            info.id,
            t("admin-new-draft")
        ));
        if !info.current && manage {
            body.push_str(&format!(
                "<form method=post action=/admin/flows/{}/rollback class=inline>{csrf}<button>{}</button></form>",
                info.id,
                t("admin-rollback")
            ));
        }
    }
    if editable {
        body.push_str(&format!(
            "<form method=post action=/admin/flows/{}/validate class=inline>{csrf}<button id=validate>{}</button></form> ",
            info.id,
            t("admin-validate")
        ));
        if info.status == FlowStatus::Validated {
            body.push_str(&format!(
                "<form method=post action=/admin/flows/{}/publish class=inline>{csrf}<button id=publish>{}</button></form>",
                info.id,
                t("admin-publish")
            ));
        }
    }
    body.push_str(&format!("<h2>{}</h2><table>", t("admin-questions")));
    for (index, question) in flow.questions.iter().enumerate() {
        let qid = esc(&question.id);
        let kind = crate::survey::kind_name(&question.kind);
        if editable {
            let mut factor = match &question.kind {
                QuestionKind::Scale { factor } => factor_select(flow, Some(factor)),
                _ => String::new(),
            };
            if !question.options().is_empty() {
                factor.push_str(&format!(
                    "<label>{}<textarea name=options>{}</textarea></label>",
                    t("admin-options-help"),
                    esc(&options_text(question.options()))
                ));
            }
            let condition = question
                .show_if
                .as_ref()
                .map(|c| format!("{}={}", c.question, c.any_of.join(",")))
                .unwrap_or_default();
            factor.push_str(&format!(
                "<label>{}<input type=text name=show_if value=\"{}\"></label>",
                t("admin-condition-help"),
                esc(&condition)
            ));
            body.push_str(&format!(
                "<tr><td>{n}. <code>{qid}</code><br><span class=tag>{kind}</span></td><td><form method=post action=/admin/flows/{id}/questions/{qid} class=question data-question=\"{qid}\">{csrf}<label>{vi_label}<textarea name=vi>{vi}</textarea></label><label>{en_label}<textarea name=en>{en}</textarea></label>{factor}<button>{save}</button></form></td><td><form method=post action=/admin/flows/{id}/questions/{qid}/move>{csrf}<input type=hidden name=direction value=up><button>↑</button></form><form method=post action=/admin/flows/{id}/questions/{qid}/move>{csrf}<input type=hidden name=direction value=down><button>↓</button></form><form method=post action=/admin/flows/{id}/questions/{qid}/delete>{csrf}<button>{delete}</button></form></td></tr>",
                n = index + 1,
                id = info.id,
                vi_label = t("admin-text-vi"),
                en_label = t("admin-text-en"),
                vi = esc(&question.text.vi),
                en = esc(question.text.en.as_deref().unwrap_or("")),
                save = t("admin-save"),
                delete = t("admin-delete"),
            ));
        } else {
            body.push_str(&format!(
                "<tr><td>{}. <code>{qid}</code> <span class=tag>{kind}</span></td><td>{}</td></tr>",
                index + 1,
                esc(&question.text.vi)
            ));
        }
    }
    body.push_str("</table>");
    if editable {
        let kinds: String = [
            "scale",
            "yes_no",
            "text",
            "single_choice",
            "multiple_choice",
        ]
        .iter()
        .map(|k| format!("<option>{k}</option>"))
        .collect();
        body.push_str(&format!(
            "<h2>{}</h2><form method=post action=/admin/flows/{}/questions>{csrf}<label>{}<input type=text name=id></label><label>{}<select name=kind>{kinds}</select></label><label>{}<textarea name=vi></textarea></label><label>{}<textarea name=en></textarea></label><label>{}{}</label><label>{}<textarea name=options></textarea></label><button>{}</button></form>",
            t("admin-add-question"),
            info.id,
            t("admin-question-id"),
            t("admin-kind"),
            t("admin-text-vi"),
            t("admin-text-en"),
            t("admin-factor"),
            factor_select(flow, None),
            t("admin-options-help"),
            t("admin-add"),
        ));
    }
    Html(console.page(Some(signed), &flow.title.vi, &body)).into_response()
}

/// Loads a version for a change: the session, the CSRF token, the right to manage it.
async fn editable(
    console: &Console,
    headers: &HeaderMap,
    fields: &Fields,
    id: i64,
) -> Result<(Signed, FlowVersionInfo, Flow), Response> {
    let signed = console.acting(headers, fields).await?;
    let (info, flow) = load(console, id).await?;
    if !may_manage(console, &signed, info.owner_agency.as_deref()).await {
        return Err(console.forbidden("admin-error-not-yours"));
    }
    Ok((signed, info, flow))
}

fn lifecycle_error(console: &Console, err: LifecycleError) -> Response {
    match err {
        LifecycleError::Storage(err) => console.failure(err),
        LifecycleError::Published(_) => console.forbidden("admin-error-published"),
        LifecycleError::NotValidated(_) => console.forbidden("admin-error-not-validated"),
        LifecycleError::NeverPublished(_) | LifecycleError::Unknown(_) => {
            console.forbidden("admin-not-found")
        }
    }
}

async fn save(console: &Console, signed: &Signed, info: &FlowVersionInfo, flow: &Flow) -> Response {
    match console
        .db
        .save_draft(info.id, flow, &signed.user.login, console.clock.now())
        .await
    {
        Ok(()) => Redirect::to(&format!("/admin/flows/{}", info.id)).into_response(),
        Err(err) => lifecycle_error(console, err),
    }
}

pub async fn edit_question(
    State(console): State<Console>,
    headers: HeaderMap,
    Path((id, question_id)): Path<(i64, String)>,
    Form(fields): Form<Fields>,
) -> Response {
    let (signed, info, mut flow) = match editable(&console, &headers, &fields, id).await {
        Ok(loaded) => loaded,
        Err(response) => return response,
    };
    let Some(question) = flow.questions.iter_mut().find(|q| q.id == question_id) else {
        return console.forbidden("admin-not-found");
    };
    if let Some(vi) = fields.get("vi") {
        question.text.vi = vi.trim().to_string();
    }
    if let Some(en) = fields.get("en") {
        question.text.en = Some(en.trim().to_string()).filter(|e| !e.is_empty());
    }
    if let (QuestionKind::Scale { factor }, Some(chosen)) =
        (&mut question.kind, fields.get("factor"))
    {
        *factor = chosen.clone();
    }
    if let Some(text) = fields.get("options") {
        match &mut question.kind {
            QuestionKind::SingleChoice { options }
            | QuestionKind::MultipleChoice { options, .. } => {
                *options = parse_options(text);
            }
            _ => {}
        }
    }
    if let Some(text) = fields.get("show_if") {
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

pub async fn move_question(
    State(console): State<Console>,
    headers: HeaderMap,
    Path((id, question_id)): Path<(i64, String)>,
    Form(fields): Form<Fields>,
) -> Response {
    let (signed, info, mut flow) = match editable(&console, &headers, &fields, id).await {
        Ok(loaded) => loaded,
        Err(response) => return response,
    };
    if let Some(at) = flow.question_index(&question_id) {
        let to = match fields.get("direction").map(String::as_str) {
            Some("up") => at.checked_sub(1),
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
    headers: HeaderMap,
    Path((id, question_id)): Path<(i64, String)>,
    Form(fields): Form<Fields>,
) -> Response {
    let (signed, info, mut flow) = match editable(&console, &headers, &fields, id).await {
        Ok(loaded) => loaded,
        Err(response) => return response,
    };
    flow.questions.retain(|q| q.id != question_id);
    save(&console, &signed, &info, &flow).await
}

pub async fn add_question(
    State(console): State<Console>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(fields): Form<Fields>,
) -> Response {
    let (signed, info, mut flow) = match editable(&console, &headers, &fields, id).await {
        Ok(loaded) => loaded,
        Err(response) => return response,
    };
    let field = |name: &str| {
        fields
            .get(name)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let options = parse_options(&field("options"));
    let kind = match field("kind").as_str() {
        "scale" => QuestionKind::Scale {
            factor: field("factor"),
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
    let en = field("en");
    flow.questions.push(Question {
        id: field("id"),
        text: Text {
            vi: field("vi"),
            en: Some(en).filter(|e| !e.is_empty()),
        },
        kind,
        show_if: None,
        alert_if: Vec::new(),
    });
    save(&console, &signed, &info, &flow).await
}

pub async fn validate(
    State(console): State<Console>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(fields): Form<Fields>,
) -> Response {
    let (signed, info, flow) = match editable(&console, &headers, &fields, id).await {
        Ok(loaded) => loaded,
        Err(response) => return response,
    };
    let file = format!("{} v{}", info.flow_id, info.version);
    let problems = flow::validate(&file, &flow);
    if problems.is_empty() {
        if let Err(err) = console
            .db
            .mark_validated(id, &signed.user.login, console.clock.now())
            .await
        {
            return lifecycle_error(&console, err);
        }
        let (info, flow) = match load(&console, id).await {
            Ok(loaded) => loaded,
            Err(response) => return response,
        };
        let notice = format!(
            "<p class=ok id=valid>{}</p>",
            esc(&console.t("admin-valid", &[]))
        );
        return render_show(&console, &signed, &info, &flow, &notice).await;
    }
    let list: String = problems
        .iter()
        .map(|p| {
            format!(
                "<li>{}</li>",
                esc(&crate::flow::render_problem(
                    &console.locales,
                    console.lang,
                    p
                ))
            )
        })
        .collect();
    let notice = format!(
        "<div class=error id=problems><p>{}</p><ul>{list}</ul></div>",
        esc(&console.t("admin-invalid", &[]))
    );
    let mut response = render_show(&console, &signed, &info, &flow, &notice).await;
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    response
}

pub async fn publish(
    State(console): State<Console>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(fields): Form<Fields>,
) -> Response {
    put_in_force(&console, &headers, &fields, id, false).await
}

pub async fn rollback(
    State(console): State<Console>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(fields): Form<Fields>,
) -> Response {
    put_in_force(&console, &headers, &fields, id, true).await
}

/// Publishes a validated draft, or (`rollback`) puts an earlier published version back.
async fn put_in_force(
    console: &Console,
    headers: &HeaderMap,
    fields: &Fields,
    id: i64,
    rollback: bool,
) -> Response {
    let (signed, _, _) = match editable(console, headers, fields, id).await {
        Ok(loaded) => loaded,
        Err(response) => return response,
    };
    let (actor, now) = (signed.user.login.as_str(), console.clock.now());
    let done = if rollback {
        console.db.rollback(id, actor, now).await
    } else {
        console.db.publish(id, actor, now).await
    };
    match done {
        Ok(()) => Redirect::to("/admin/flows").into_response(),
        Err(err) => lifecycle_error(console, err),
    }
}

pub async fn new_draft(
    State(console): State<Console>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(fields): Form<Fields>,
) -> Response {
    let signed = match console.acting(&headers, &fields).await {
        Ok(signed) => signed,
        Err(response) => return response,
    };
    let (info, _) = match load(&console, id).await {
        Ok(loaded) => loaded,
        Err(response) => return response,
    };
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
    match console
        .db
        .create_draft(id, fork_ref, &signed.user.login, console.clock.now())
        .await
    {
        Ok(draft) => Redirect::to(&format!("/admin/flows/{draft}")).into_response(),
        Err(err) => lifecycle_error(&console, err),
    }
}

pub async fn assign(
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
    let agency = fields.get("agency").cloned().unwrap_or_else(|| "*".into());
    let flow = fields.get("flow").cloned().unwrap_or_default();
    match console
        .db
        .assign_flow(&agency, &flow, &signed.user.login, console.clock.now())
        .await
    {
        Ok(()) => Redirect::to("/admin/flows").into_response(),
        Err(err) => console.failure(err),
    }
}

pub async fn preview(
    State(console): State<Console>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    let signed = match console.signed(&headers).await {
        Ok(signed) => signed,
        Err(response) => return response,
    };
    let (_, flow) = match load(&console, id).await {
        Ok(loaded) => loaded,
        Err(response) => return response,
    };
    let total = flow.questions.len();
    let mut body = format!("<p>{}</p>", esc(flow.intro.get(console.lang)));
    for (index, question) in flow.questions.iter().enumerate() {
        let prompt = crate::prompt::question_prompt(
            &console.locales,
            console.lang,
            &flow,
            question,
            (index + 1, total),
            &[],
            index > 0,
        );
        let buttons: String = prompt
            .buttons
            .iter()
            .flatten()
            .map(|b| format!("<span class=btn>{}</span>", esc(&b.label)))
            .collect();
        body.push_str(&format!(
            "<div class=preview data-question=\"{}\"><p>{}</p>{buttons}</div>",
            esc(&question.id),
            esc(&prompt.text).replace('\n', "<br>")
        ));
    }
    body.push_str(&format!("<p>{}</p>", esc(flow.outro.get(console.lang))));
    Html(console.page(
        Some(&signed),
        &console.t("admin-preview-title", &[("flow", flow.title.vi.clone())]),
        &body,
    ))
    .into_response()
}

#[derive(serde::Deserialize)]
pub struct DiffQuery {
    with: Option<i64>,
}

pub async fn diff(
    State(console): State<Console>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(query): Query<DiffQuery>,
) -> Response {
    let signed = match console.signed(&headers).await {
        Ok(signed) => signed,
        Err(response) => return response,
    };
    let (info, new) = match load(&console, id).await {
        Ok(loaded) => loaded,
        Err(response) => return response,
    };
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
        return Html(console.page(
            Some(&signed),
            &console.t("admin-diff", &[]),
            &esc(&console.t("admin-diff-none", &[])),
        ))
        .into_response();
    };
    let (base_info, old) = match load(&console, base_id).await {
        Ok(loaded) => loaded,
        Err(response) => return response,
    };
    let mut rows = String::new();
    for change in flow_diff(&old, &new) {
        rows.push_str(&format!("<li>{change}</li>"));
    }
    if rows.is_empty() {
        rows = format!("<li>{}</li>", esc(&console.t("admin-diff-same", &[])));
    }
    let title = console.t(
        "admin-diff-title",
        &[
            ("from", format!("v{}", base_info.version)),
            ("to", format!("v{}", info.version)),
        ],
    );
    Html(console.page(Some(&signed), &title, &format!("<ul id=diff>{rows}</ul>"))).into_response()
}

/// Options as the editor shows them: one per line, `id|Vietnamese|English`.
fn options_text(options: &[Choice]) -> String {
    options
        .iter()
        .map(|o| {
            format!(
                "{}|{}|{}",
                o.id,
                o.text.vi,
                o.text.en.as_deref().unwrap_or("")
            )
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

/// What changed between two versions, question by question, as HTML list items.
pub fn flow_diff(old: &Flow, new: &Flow) -> Vec<String> {
    let mut changes = Vec::new();
    for question in &old.questions {
        if new.question(&question.id).is_none() {
            changes.push(format!(
                "<del>− {}: {}</del>",
                esc(&question.id),
                esc(&question.text.vi)
            ));
        }
    }
    for (index, question) in new.questions.iter().enumerate() {
        match old.question(&question.id) {
            None => changes.push(format!(
                "<ins>+ {}: {}</ins>",
                esc(&question.id),
                esc(&question.text.vi)
            )),
            Some(before) => {
                if before.text != question.text {
                    changes.push(format!(
                        "{}: <del>{}</del> → <ins>{}</ins>",
                        esc(&question.id),
                        esc(&before.text.vi),
                        esc(&question.text.vi)
                    ));
                }
                if before.kind != question.kind
                    || before.show_if != question.show_if
                    || before.alert_if != question.alert_if
                {
                    changes.push(format!("{}: ⚙", esc(&question.id)));
                }
                if old.question_index(&question.id) != Some(index) {
                    changes.push(format!("{}: ↕ {}", esc(&question.id), index + 1));
                }
            }
        }
    }
    changes
}
