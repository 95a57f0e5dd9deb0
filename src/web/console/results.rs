//! The "Kết quả" page: the summary of any agency in the signed-in user's subtree over any week,
//! month, quarter or year — its figures, the chart, every unit and every procedure — with the
//! chart as a PNG route and the period's data as XLSX and CSV downloads.
//!
//! Every route reads the same two query fields (`agency`, `period`) and goes through
//! [`Results::load`], which checks the scope first: a manager asking for an agency outside their
//! subtree gets 403 for the page and for each download alike. Figures come from the officials'
//! service, so the console shows exactly what the Telegram groups receive.

use super::{Console, Signed, segment};
use crate::core::agency::AgencyTree;
use crate::core::i18n::{self, percent};
use crate::core::summary::{
    self, AnswerRow, Figure, Period, PeriodKind, Week, WeeklySummary, mask,
};
use crate::services::officials::OfficialsError;
use crate::storage::Role;
use crate::web::HttpError;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

/// How many periods of each kind the picker offers (any other label can be typed in the URL).
const OFFERED: [(PeriodKind, usize); 4] = [
    (PeriodKind::Week, 8),
    (PeriodKind::Month, 6),
    (PeriodKind::Quarter, 4),
    (PeriodKind::Year, 3),
];

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ResultsQuery {
    agency: String,
    period: String,
}

/// The agencies a user may see results of: an admin all; a manager (or a viewer tied to an
/// agency) their subtree; a manager with no agency none.
fn visible(tree: &AgencyTree, signed: &Signed) -> Vec<(String, String, usize)> {
    let scope = match (&signed.user.role, &signed.user.agency_code) {
        (Role::Admin, _) | (Role::Viewer, None) => None,
        (_, Some(code)) => Some(code.clone()),
        (Role::Manager, None) => Some(String::new()),
    };
    tree.in_tree_order()
        .into_iter()
        .filter(|(agency, _)| {
            scope
                .as_deref()
                .is_none_or(|scope| tree.within(&agency.code, scope))
        })
        .map(|(agency, depth)| (agency.code.clone(), agency.name.clone(), depth))
        .collect()
}

/// A checked request: the agency (in scope) and the period.
struct Results {
    agency: String,
    period: Period,
    agencies: Vec<(String, String, usize)>,
}

impl Results {
    /// Checks `query` against the user's scope. `Ok(Err(text))` is a period that does not parse.
    async fn load(
        console: &Console,
        signed: &Signed,
        query: &ResultsQuery,
    ) -> Result<Result<Results, String>, HttpError> {
        let tree = console.db.agency_tree().await?;
        let agencies = visible(&tree, signed);
        let agency = match query.agency.trim() {
            "" => match agencies.first() {
                Some((code, ..)) => code.clone(),
                None => return Err(HttpError::Forbidden("admin-error-not-yours")),
            },
            code => code.to_string(),
        };
        if !agencies.iter().any(|(code, ..)| *code == agency) {
            return Err(if tree.contains(&agency) {
                HttpError::Forbidden("admin-error-not-yours")
            } else {
                HttpError::NotFound("admin-not-found")
            });
        }
        let period = match query.period.trim() {
            "" => Period::Week(Week::containing(console.clock.now()).previous()),
            text => match Period::parse(text) {
                Some(period) => period,
                None => return Ok(Err(text.to_string())),
            },
        };
        Ok(Ok(Results {
            agency,
            period,
            agencies,
        }))
    }

    fn query(&self) -> String {
        format!(
            "agency={}&period={}",
            segment(&self.agency),
            segment(&self.period.label())
        )
    }

    /// The period's summary from the running totals (the page and the chart need no answers).
    async fn summary(&self, console: &Console) -> Result<WeeklySummary, HttpError> {
        let options = console.officials.options(None);
        console
            .officials
            .period_summary(&self.agency, self.period, options)
            .await
            .map_err(officials_error)
    }

    /// The summary with the period's answer rows, for the XLSX and CSV downloads.
    async fn summary_with_rows(
        &self,
        console: &Console,
    ) -> Result<(WeeklySummary, Vec<AnswerRow>), HttpError> {
        console
            .officials
            .period_summary_with_rows(&self.agency, self.period, None)
            .await
            .map_err(officials_error)
    }
}

fn officials_error(err: OfficialsError) -> HttpError {
    match err {
        OfficialsError::Storage(err) => HttpError::Storage(err),
        OfficialsError::UnknownAgency(_) => HttpError::NotFound("admin-not-found"),
        OfficialsError::UnknownFlow(flow) => HttpError::UnknownFlow(flow),
    }
}

/// A download's checked request, or the error a bad period gives.
async fn checked(
    console: &Console,
    signed: &Signed,
    query: &ResultsQuery,
) -> Result<Results, HttpError> {
    Results::load(console, signed, query)
        .await?
        .map_err(|_| HttpError::NotFound("admin-results-bad-period"))
}

pub async fn page(
    State(console): State<Console>,
    signed: Signed,
    Query(query): Query<ResultsQuery>,
) -> Result<Response, HttpError> {
    let title = console.text("admin-results-title");
    let results = match Results::load(&console, &signed, &query).await? {
        Ok(results) => results,
        Err(bad) => {
            let body = html! {
                p class="error" id="bad-period" {
                    (console.t("admin-results-bad-period-text", &[("period", bad)]))
                }
                a href="/admin/results" { (console.text("admin-results-title")) }
            };
            let page = console.page(Some(&signed), &title, body);
            return Ok((StatusCode::BAD_REQUEST, page).into_response());
        }
    };
    let summary = results.summary(&console).await?;
    let body = html! {
        (picker(&console, &results))
        h2 id="summary-title" { (summary.agency_name) " · " (summary.week) " (" (summary.from) " – " (summary.to) ")" }
        p {
            a id="download-xlsx" href={ "/admin/results/export.xlsx?" (results.query()) } { (console.text("admin-results-xlsx")) }
            " · "
            a id="download-csv" href={ "/admin/results/export.csv?" (results.query()) } { (console.text("admin-results-csv")) }
        }
        (figures(&console, &summary))
        img id="chart" src={ "/admin/results/chart.png?" (results.query()) }
            alt=(console.text("admin-results-chart")) style="max-width:100%";
        (strata(&console, &summary))
        (themes(&console, &summary))
        (units(&console, &summary))
        (procedures(&console, &summary))
    };
    Ok(console.page(Some(&signed), &title, body).into_response())
}

pub async fn chart(
    State(console): State<Console>,
    signed: Signed,
    Query(query): Query<ResultsQuery>,
) -> Result<Response, HttpError> {
    let results = checked(&console, &signed, &query).await?;
    let summary = results.summary(&console).await?;
    let png = console.officials.chart(&summary);
    Ok(([(header::CONTENT_TYPE, "image/png")], png).into_response())
}

pub async fn xlsx(
    State(console): State<Console>,
    signed: Signed,
    Query(query): Query<ResultsQuery>,
) -> Result<Response, HttpError> {
    let results = checked(&console, &signed, &query).await?;
    let (summary, rows) = results.summary_with_rows(&console).await?;
    let bytes = summary::xlsx::workbook(&console.locales, console.lang, &summary, &rows)
        .map_err(|err| HttpError::InvalidUpdate(err.to_string()))?;
    Ok(download(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &file_name(&summary, "xlsx"),
        bytes,
    ))
}

pub async fn csv(
    State(console): State<Console>,
    signed: Signed,
    Query(query): Query<ResultsQuery>,
) -> Result<Response, HttpError> {
    let results = checked(&console, &signed, &query).await?;
    let (summary, rows) = results.summary_with_rows(&console).await?;
    Ok(download(
        "text/csv; charset=utf-8",
        &file_name(&summary, "csv"),
        answers_csv(&console, &rows).into_bytes(),
    ))
}

fn file_name(summary: &WeeklySummary, extension: &str) -> String {
    // Agency codes and period labels are letters, digits, dots and dashes; anything else is
    // dropped so the header stays well-formed.
    let safe: String = format!("sipas-{}-{}", summary.agency_code, summary.week)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        .collect();
    format!("{safe}.{extension}")
}

fn download(content_type: &'static str, file_name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The period's answers as the XLSX's answer sheet has them: no identities, free text masked.
fn answers_csv(console: &Console, rows: &[AnswerRow]) -> String {
    let mut out = String::from("\u{feff}");
    let header: Vec<String> = [
        "xlsx-response",
        "xlsx-agency",
        "xlsx-procedure",
        "xlsx-submitted",
        "xlsx-question",
        "xlsx-kind",
        "xlsx-answer",
    ]
    .iter()
    .map(|id| console.text(id))
    .collect();
    push_record(&mut out, &header);
    for row in rows {
        let local = row
            .submitted_at
            .with_timezone(&crate::core::clock::vietnam());
        let answer = match row.level {
            Some(level) => level.to_string(),
            None if row.kind == "text" => mask(&row.value),
            None => row.value.clone(),
        };
        push_record(
            &mut out,
            &[
                row.response_id.to_string(),
                row.agency_code.clone(),
                row.procedure_code.clone(),
                // To the day, as every CSV we write (a minute narrows a response to a person).
                local.format("%Y-%m-%d").to_string(),
                row.question_id.clone(),
                row.kind.clone(),
                answer,
            ],
        );
    }
    out
}

/// One CSV record (RFC 4180): a field with a comma, quote or line break is quoted. A field
/// that a spreadsheet would read as a formula gets a leading apostrophe, by the one
/// neutraliser every CSV uses (`storage::spreadsheet_cell`).
fn push_record(out: &mut String, fields: &[String]) {
    let quoted: Vec<String> = fields
        .iter()
        .map(|field| {
            let field = crate::storage::spreadsheet_cell(field).into_owned();
            if field.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", field.replace('"', "\"\""))
            } else {
                field
            }
        })
        .collect();
    out.push_str(&quoted.join(","));
    out.push_str("\r\n");
}

fn picker(console: &Console, results: &Results) -> Markup {
    let now = console.clock.now();
    let current = results.period.label();
    html! {
        form method="get" action="/admin/results" id="pick" {
            label {
                (console.text("admin-agency"))
                select name="agency" {
                    @for (code, name, depth) in &results.agencies {
                        option value=(code) selected[*code == results.agency] {
                            ("· ".repeat(*depth)) (name) " (" (code) ")"
                        }
                    }
                }
            }
            label {
                (console.text("admin-results-period"))
                select name="period" {
                    @for (kind, count) in OFFERED {
                        optgroup label=(console.text(&format!("admin-results-kind-{}", kind.id()))) {
                            @for period in Period::containing(kind, now).previous().last(count).into_iter().rev() {
                                @let label = period.label();
                                option value=(label) selected[label == current] { (label) }
                            }
                        }
                    }
                    @if !OFFERED.iter().any(|(kind, count)| {
                        Period::containing(*kind, now).previous().last(*count).contains(&results.period)
                    }) {
                        option value=(current) selected { (current) }
                    }
                }
            }
            button { (console.text("admin-results-show")) }
        }
    }
}

fn figure_row(console: &Console, name: &str, figure: &Figure) -> Markup {
    let lang = console.lang;
    html! {
        tr {
            td { (name) }
            td { (figure.value.map_or_else(|| "–".to_string(), |v| percent(v, lang))) }
            td { (figure.margin.map_or_else(String::new, |m| format!("± {}", percent(m, lang)))) }
            td { (figure.change.map_or_else(String::new, |c| signed_points(c, lang))) }
            td { (i18n::integer(figure.sample as i64, lang)) }
        }
    }
}

fn signed_points(change: f64, lang: crate::core::flow::Lang) -> String {
    let sign = if change > 0.0 { "+" } else { "" };
    format!("{sign}{}", i18n::decimal(change, 2, lang))
}

fn figures(console: &Console, summary: &WeeklySummary) -> Markup {
    let lang = console.lang;
    html! {
        p id="counts" {
            (console.t("admin-results-counts", &[
                ("invitations", i18n::integer(summary.counts.invitations as i64, lang)),
                ("responses", i18n::integer(summary.counts.responses as i64, lang)),
                ("rate", summary.response_rate.map_or_else(|| "–".to_string(), |r| percent(r, lang))),
            ]))
        }
        p id="trend" { (summary::render::trend(&console.locales, lang, summary)) }
        table id="figures" {
            tr {
                th { (console.text("admin-results-figure")) }
                th { (console.text("xlsx-index")) }
                th { (console.text("xlsx-margin")) }
                th { (console.text("xlsx-change")) }
                th { (console.text("xlsx-responses")) }
            }
            tr id="weighted" {
                td { (console.text("xlsx-weighted")) }
                td { (summary.weighted.index.map_or_else(|| "–".to_string(), |v| percent(v, lang))) }
                td { (summary.weighted.margin.map_or_else(String::new, |m| format!("± {}", percent(m, lang)))) }
                td { (summary.weighted.change.map_or_else(String::new, |c| signed_points(c, lang))) }
                td { (i18n::integer(summary.weighted.strata.iter().filter(|s| s.weight > 0.0).map(|s| s.responses).sum::<u64>() as i64, lang)) }
            }
            (figure_row(console, &console.text("xlsx-overall"), &summary.overall))
            @for factor in &summary.factors {
                (figure_row(console, &factor.name, &factor.figure))
            }
        }
    }
}

/// The strata of the weighted index and the response rate per channel.
fn strata(console: &Console, summary: &WeeklySummary) -> Markup {
    let lang = console.lang;
    let channel = |code: &str| summary::render::channel_name(&console.locales, lang, code);
    let rate = |r: Option<f64>| r.map_or_else(|| "–".to_string(), |v| percent(v, lang));
    html! {
        h2 { (console.text("xlsx-sheet-strata")) }
        table id="channels" {
            tr {
                th { (console.text("xlsx-channel")) }
                th { (console.text("xlsx-dossiers")) }
                th { (console.text("xlsx-responses")) }
                th { (console.text("xlsx-response-rate")) }
            }
            @for reach in &summary.response_rates.by_channel {
                tr {
                    td { (channel(&reach.key)) }
                    td { (i18n::integer(reach.dossiers as i64, lang)) }
                    td { (i18n::integer(reach.responses as i64, lang)) }
                    td { (rate(reach.rate)) }
                }
            }
        }
        table id="strata" {
            tr {
                th { (console.text("xlsx-name")) }
                th { (console.text("xlsx-channel")) }
                th { (console.text("xlsx-dossiers")) }
                th { (console.text("xlsx-responses")) }
                th { (console.text("xlsx-index")) }
                th { (console.text("xlsx-weight")) }
            }
            @for stratum in &summary.weighted.strata {
                tr {
                    td { (stratum.unit_name) }
                    td { (channel(&stratum.channel)) }
                    td { (i18n::integer(stratum.dossiers as i64, lang)) }
                    td { (i18n::integer(stratum.responses as i64, lang)) }
                    td { (rate(stratum.index)) }
                    td { (percent(stratum.weight, lang)) }
                }
            }
        }
        @if !summary.weighted.units_without_responses.is_empty() {
            p id="units-without-responses" {
                (console.text("xlsx-units-without-responses")) ": "
                (summary.weighted.units_without_responses.iter().map(|u| u.name.clone()).collect::<Vec<_>>().join(", "))
            }
        }
    }
}

/// The period's comment themes for the scope, with the change of their share.
fn themes(console: &Console, summary: &WeeklySummary) -> Markup {
    let lang = console.lang;
    html! {
        @if !summary.themes.is_empty() {
            h2 { (console.text("xlsx-sheet-themes")) }
            table id="themes" {
                tr {
                    th { (console.text("xlsx-theme")) }
                    th { (console.text("xlsx-count")) }
                    th { (console.text("xlsx-share")) }
                    th { (console.text("xlsx-change")) }
                    th { (console.text("xlsx-examples")) }
                }
                @for theme in &summary.themes {
                    tr {
                        td { (theme.name) }
                        td { (i18n::integer(theme.count as i64, lang)) }
                        td { (theme.share.map_or_else(|| "–".to_string(), |v| percent(v, lang))) }
                        td { (theme.change.map_or_else(String::new, |c| signed_points(c, lang))) }
                        td { (theme.examples.join(" | ")) }
                    }
                }
            }
        }
    }
}

fn units(console: &Console, summary: &WeeklySummary) -> Markup {
    let lang = console.lang;
    html! {
        h2 { (console.text("xlsx-sheet-units")) }
        table id="units" {
            tr {
                th { (console.text("xlsx-code")) }
                th { (console.text("xlsx-name")) }
                th { (console.text("xlsx-index")) }
                th { (console.text("xlsx-weighted")) }
                th { (console.text("xlsx-responses")) }
                th { (console.text("xlsx-response-rate")) }
                th { (console.text("xlsx-rank")) }
                th { (console.text("xlsx-change")) }
            }
            @for unit in summary.units.iter().chain(&summary.small_units) {
                tr {
                    td { (unit.code) }
                    td { (unit.name) }
                    td { (unit.index.map_or_else(|| "–".to_string(), |v| percent(v, lang))) }
                    td { (unit.weighted_index.map_or_else(|| "–".to_string(), |v| percent(v, lang))) }
                    td { (i18n::integer(unit.responses as i64, lang)) }
                    td { (unit.response_rate.map_or_else(|| "–".to_string(), |v| percent(v, lang))) }
                    td { (unit.rank.map_or_else(String::new, |(rank, of)| format!("{rank}/{of}"))) }
                    td { (unit.change.map_or_else(String::new, |c| signed_points(c, lang))) }
                }
            }
        }
    }
}

fn procedures(console: &Console, summary: &WeeklySummary) -> Markup {
    let lang = console.lang;
    let lowest: Vec<&str> = (summary.procedures.lowest.iter())
        .map(|p| p.code.as_str())
        .collect();
    html! {
        h2 { (console.text("xlsx-sheet-procedures")) }
        p { (console.t("admin-results-lowest-rule", &[("count", summary.procedures.min_responses.to_string())])) }
        table id="procedures" {
            tr {
                th { (console.text("xlsx-code")) }
                th { (console.text("xlsx-name")) }
                th { (console.text("xlsx-responses")) }
                th { (console.text("xlsx-index")) }
                th { (console.text("xlsx-margin")) }
            }
            @for procedure in &summary.procedures.all {
                tr class=[lowest.contains(&procedure.code.as_str()).then_some("weak")] {
                    td { (procedure.code) }
                    td { (procedure.name) }
                    td { (i18n::integer(procedure.responses as i64, lang)) }
                    td { (procedure.index.map_or_else(|| "–".to_string(), |v| percent(v, lang))) }
                    td { (procedure.margin.map_or_else(String::new, |m| format!("± {}", percent(m, lang)))) }
                }
            }
        }
    }
}
