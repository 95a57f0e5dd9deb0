//! The period's data as an XLSX workbook for officials who want to work on it: a sheet of the
//! summary's figures, a sheet of every answer (no identities; free text masked), and the full
//! tables the message shortens: every unit and every procedure.

use super::{AnswerRow, WeeklySummary, mask};
use crate::core::flow::Lang;
use crate::core::i18n::Locales;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

pub fn workbook(
    locales: &Locales,
    lang: Lang,
    summary: &WeeklySummary,
    rows: &[AnswerRow],
) -> Result<Vec<u8>, XlsxError> {
    let t = |id: &str| locales.text(lang, id, &[]);
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let percent = Format::new().set_num_format("0.00%");

    let sheet = book.add_worksheet();
    sheet.set_name(t("xlsx-sheet-summary"))?;
    sheet.set_column_width(0, 60)?;
    sheet.set_column_width(1, 14)?;
    let mut line = 0u32;
    let mut put = |label: String, value: Option<f64>, as_percent: bool| -> Result<(), XlsxError> {
        sheet.write_string(line, 0, label)?;
        if let Some(value) = value {
            if as_percent {
                sheet.write_number_with_format(line, 1, value, &percent)?;
            } else {
                sheet.write_number(line, 1, value)?;
            }
        }
        line += 1;
        Ok(())
    };
    put(
        format!(
            "{} {} — {}",
            t("xlsx-week"),
            summary.week,
            summary.agency_name
        ),
        None,
        false,
    )?;
    put(
        t("xlsx-invitations"),
        Some(summary.counts.invitations as f64),
        false,
    )?;
    put(
        t("xlsx-responses"),
        Some(summary.counts.responses as f64),
        false,
    )?;
    put(t("xlsx-response-rate"), summary.response_rate, true)?;
    put(t("xlsx-weighted"), summary.weighted.index, true)?;
    put(t("xlsx-weighted-margin"), summary.weighted.margin, true)?;
    put(t("xlsx-overall"), summary.overall.value, true)?;
    for factor in &summary.factors {
        put(factor.name.clone(), factor.figure.value, true)?;
    }
    for unit in summary.units.iter().chain(&summary.small_units) {
        put(unit.name.clone(), unit.index, true)?;
    }

    let answers = book.add_worksheet();
    answers.set_name(t("xlsx-sheet-answers"))?;
    for (column, id) in [
        "xlsx-response",
        "xlsx-agency",
        "xlsx-submitted",
        "xlsx-question",
        "xlsx-kind",
        "xlsx-answer",
    ]
    .iter()
    .enumerate()
    {
        answers.write_string_with_format(0, column as u16, t(id), &bold)?;
    }
    for (index, row) in rows.iter().enumerate() {
        let at = (index + 1) as u32;
        let local = row
            .submitted_at
            .with_timezone(&crate::core::clock::vietnam());
        answers.write_number(at, 0, row.response_id as f64)?;
        answers.write_string(at, 1, &row.agency_code)?;
        answers.write_string(at, 2, local.format("%d/%m/%Y %H:%M").to_string())?;
        answers.write_string(at, 3, &row.question_id)?;
        answers.write_string(at, 4, &row.kind)?;
        let value = if row.kind == "text" {
            mask(&row.value)
        } else {
            row.value.clone()
        };
        match row.level {
            Some(level) => answers.write_number(at, 5, f64::from(level))?,
            None => answers.write_string(at, 5, value)?,
        };
    }

    let units = book.add_worksheet();
    units.set_name(t("xlsx-sheet-units"))?;
    units.set_column_width(1, 50)?;
    for (column, id) in [
        "xlsx-code",
        "xlsx-name",
        "xlsx-index",
        "xlsx-responses",
        "xlsx-rank",
        "xlsx-points",
        "xlsx-change",
    ]
    .iter()
    .enumerate()
    {
        units.write_string_with_format(0, column as u16, t(id), &bold)?;
    }
    for (index, unit) in summary.units.iter().chain(&summary.small_units).enumerate() {
        let at = (index + 1) as u32;
        units.write_string(at, 0, &unit.code)?;
        units.write_string(at, 1, &unit.name)?;
        if let Some(value) = unit.index {
            units.write_number_with_format(at, 2, value, &percent)?;
        }
        units.write_number(at, 3, unit.responses as f64)?;
        if let Some((rank, of)) = unit.rank {
            units.write_string(at, 4, format!("{rank}/{of}"))?;
        }
        if let Some(points) = unit.points {
            units.write_number(at, 5, (points * 100.0).round() / 100.0)?;
        }
        if let Some(change) = unit.change {
            units.write_number(at, 6, (change * 100.0).round() / 100.0)?;
        }
    }

    let procedures = book.add_worksheet();
    procedures.set_name(t("xlsx-sheet-procedures"))?;
    procedures.set_column_width(1, 60)?;
    for (column, id) in [
        "xlsx-code",
        "xlsx-name",
        "xlsx-responses",
        "xlsx-index",
        "xlsx-margin",
    ]
    .iter()
    .enumerate()
    {
        procedures.write_string_with_format(0, column as u16, t(id), &bold)?;
    }
    for (index, procedure) in summary.procedures.all.iter().enumerate() {
        let at = (index + 1) as u32;
        procedures.write_string(at, 0, &procedure.code)?;
        procedures.write_string(at, 1, &procedure.name)?;
        procedures.write_number(at, 2, procedure.responses as f64)?;
        if let Some(value) = procedure.index {
            procedures.write_number_with_format(at, 3, value, &percent)?;
        }
        if let Some(margin) = procedure.margin {
            procedures.write_number_with_format(at, 4, margin, &percent)?;
        }
    }
    strata_sheet(&mut book, locales, lang, summary)?;
    themes_sheet(&mut book, locales, lang, summary)?;
    book.save_to_buffer()
}

/// The themes of the period: the scope's first, then each unit's.
fn themes_sheet(
    book: &mut Workbook,
    locales: &Locales,
    lang: Lang,
    summary: &WeeklySummary,
) -> Result<(), XlsxError> {
    let t = |id: &str| locales.text(lang, id, &[]);
    let bold = Format::new().set_bold();
    let percent = Format::new().set_num_format("0.00%");
    let sheet = book.add_worksheet();
    sheet.set_name(t("xlsx-sheet-themes"))?;
    sheet.set_column_width(1, 40)?;
    sheet.set_column_width(2, 36)?;
    sheet.set_column_width(6, 80)?;
    for (column, id) in [
        "xlsx-code",
        "xlsx-name",
        "xlsx-theme",
        "xlsx-count",
        "xlsx-share",
        "xlsx-change",
        "xlsx-examples",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string_with_format(0, column as u16, t(id), &bold)?;
    }
    let mut at = 1u32;
    let groups = std::iter::once((&summary.agency_code, &summary.agency_name, &summary.themes))
        .chain(
            summary
                .unit_themes
                .iter()
                .map(|u| (&u.code, &u.name, &u.themes)),
        );
    for (code, name, themes) in groups {
        for theme in themes {
            sheet.write_string(at, 0, code)?;
            sheet.write_string(at, 1, name)?;
            sheet.write_string(at, 2, &theme.name)?;
            sheet.write_number(at, 3, theme.count as f64)?;
            if let Some(share) = theme.share {
                sheet.write_number_with_format(at, 4, share, &percent)?;
            }
            if let Some(change) = theme.change {
                sheet.write_number(at, 5, (change * 100.0).round() / 100.0)?;
            }
            sheet.write_string(at, 6, theme.examples.join(" | "))?;
            at += 1;
        }
    }
    Ok(())
}

/// The strata of the weighted index: unit, channel, dossiers, responses, response rate, index,
/// weight; then the units left out for want of any response.
fn strata_sheet(
    book: &mut Workbook,
    locales: &Locales,
    lang: Lang,
    summary: &WeeklySummary,
) -> Result<(), XlsxError> {
    let t = |id: &str| locales.text(lang, id, &[]);
    let bold = Format::new().set_bold();
    let percent = Format::new().set_num_format("0.00%");
    let sheet = book.add_worksheet();
    sheet.set_name(t("xlsx-sheet-strata"))?;
    sheet.set_column_width(1, 50)?;
    for (column, id) in [
        "xlsx-code",
        "xlsx-name",
        "xlsx-channel",
        "xlsx-dossiers",
        "xlsx-responses",
        "xlsx-response-rate",
        "xlsx-index",
        "xlsx-weight",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string_with_format(0, column as u16, t(id), &bold)?;
    }
    let mut at = 1u32;
    for stratum in &summary.weighted.strata {
        sheet.write_string(at, 0, &stratum.unit)?;
        sheet.write_string(at, 1, &stratum.unit_name)?;
        sheet.write_string(
            at,
            2,
            super::render::channel_name(locales, lang, &stratum.channel),
        )?;
        sheet.write_number(at, 3, stratum.dossiers as f64)?;
        sheet.write_number(at, 4, stratum.responses as f64)?;
        if stratum.dossiers > 0 {
            let rate = stratum.responses as f64 / stratum.dossiers as f64;
            sheet.write_number_with_format(at, 5, rate, &percent)?;
        }
        if let Some(index) = stratum.index {
            sheet.write_number_with_format(at, 6, index, &percent)?;
        }
        sheet.write_number_with_format(at, 7, stratum.weight, &percent)?;
        at += 1;
    }
    if !summary.weighted.units_without_responses.is_empty() {
        at += 1;
        sheet.write_string_with_format(at, 0, t("xlsx-units-without-responses"), &bold)?;
        for unit in &summary.weighted.units_without_responses {
            at += 1;
            sheet.write_string(at, 0, &unit.code)?;
            sheet.write_string(at, 1, &unit.name)?;
            sheet.write_number(at, 3, unit.dossiers as f64)?;
        }
    }
    Ok(())
}
