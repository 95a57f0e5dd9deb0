//! `sipas-bot demo`: the whole job on the embedded default, with no token and no server. It
//! creates its own SQLite database, sample agencies, the full flow, and several hundred simulated
//! citizens who answer through the same conversation service and storage as real ones (typed
//! digits, words with and without diacritics, buttons, skips, going back), then prints the
//! SIPAS summary per factor and per agency, and the officials' summary of the week just ended
//! ([`explore`]).
//!
//! The answers are spread over the last [`DEMO_WEEKS`] weeks and tell a story a newcomer can
//! read in the summary: service improves modestly week by week, one unit ([`WEAK_UNIT`]) lags
//! behind and one procedure ([`WEAK_PROCEDURE`]) is rated lower wherever it is handled — so the
//! change, the trend, the ranks and the weak spots all have something to show.
//!
//! Non-response is not the same everywhere ([`answer_chance`], [`channel_shift`]): citizens who
//! walked in answer the chat invitation far less often than those who applied online, and are
//! less satisfied; rural communes answer less than wards. So the plain mean of whoever answered
//! overstates the index, and the index weighted to the dossiers visibly differs from it.
//!
//! The province is organised as it is since 1 July 2025: departments and ward or commune
//! People's Committees directly under it, no districts.

mod citizen;
mod explore;

use crate::app::error::AppError;
use crate::core::agency::AgencyTree;
use crate::core::flow::Lang;
use crate::core::i18n::Locales;
use crate::core::summary::{self, Period, PeriodKind, Week};
use crate::services::conversation::Conversations;
use crate::services::officials::{Officials, OfficialsError};
use crate::settings::config::Settings;
use crate::storage::{Agency, AgencyLevel, Db, InvitationStatus, NewNotice, SubmissionChannel};
use chrono::{Duration, Utc};
use clap::Args;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::process::ExitCode;

const AGENCIES: &str = include_str!("agencies.csv");
const PROCEDURES: &str = include_str!("procedures.csv");
const COMMENTS: &str = include_str!("comments.txt");

/// The demo's own database, recreated on every run.
pub const DEMO_DATABASE: &str = "./data/demo.db";
/// How many weeks of history the demo simulates, ending now.
pub const DEMO_WEEKS: i64 = 6;
/// The unit that serves citizens worse than the others.
pub const WEAK_UNIT: &str = "T14.SNNMT";
/// The procedure rated lower wherever it is handled (land certificates).
pub const WEAK_PROCEDURE: &str = "1.004227";
/// How much more often a criterion satisfies citizens at the end of the six weeks than at the
/// start: a modest improvement.
const IMPROVEMENT: f64 = 0.15;
/// How much less often the weak procedure satisfies.
const PROCEDURE_PENALTY: f64 = 0.25;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// How many citizens receive an invitation (over six weeks).
    #[arg(long, default_value_t = 1200)]
    pub citizens: u32,
    /// The random seed: the same seed gives the same answers.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Another database for the demo (default: a fresh SQLite file at ./data/demo.db).
    #[arg(long)]
    pub database: Option<String>,
}

/// What the demo did, for its caller and its tests.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoOutcome {
    pub invitations: u64,
    pub responses: u64,
    pub declines: u64,
    pub summary: String,
}

pub async fn run(
    args: DemoArgs,
    settings: &Settings,
    locales: &Locales,
) -> Result<ExitCode, AppError> {
    let url = match &args.database {
        Some(url) => url.clone(),
        None => {
            for suffix in ["", "-wal", "-shm"] {
                let path = format!("{DEMO_DATABASE}{suffix}");
                match std::fs::remove_file(&path) {
                    Ok(()) => {}
                    Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                    Err(err) => {
                        return Err(AppError::Io {
                            path,
                            reason: err.to_string(),
                        });
                    }
                }
            }
            format!("sqlite://{DEMO_DATABASE}")
        }
    };
    let db = crate::services::startup::open_store(&url).await?;
    let outcome = simulate(&db, locales, settings.lang, args.citizens, args.seed, true).await?;
    println!("{}", outcome.summary);
    let explored = explore::write_and_show(&db, locales, settings, &url).await;
    db.close().await;
    println!("{}", explored?);
    Ok(ExitCode::SUCCESS)
}

/// Seeds agencies, invites `citizens` simulated citizens, lets them answer and summarizes.
pub async fn simulate(
    db: &Db,
    locales: &Locales,
    lang: Lang,
    citizens: u32,
    seed: u64,
    show_progress: bool,
) -> Result<DemoOutcome, AppError> {
    let now = Utc::now();
    let agencies = sample_agencies();
    for agency in &agencies {
        db.upsert_agency(agency, now).await?;
    }
    let flow = db
        .latest_flow(crate::settings::config::DEFAULT_FLOW)
        .await?
        .ok_or_else(|| AppError::UnknownFlow(crate::settings::config::DEFAULT_FLOW.into()))?;
    let procedures: Vec<(&str, &str)> = PROCEDURES
        .lines()
        .skip(1)
        .filter_map(|line| line.split_once(','))
        .collect();
    let comments: Vec<&str> = COMMENTS.lines().filter(|l| !l.trim().is_empty()).collect();
    let units: Vec<&Agency> = agencies
        .iter()
        .filter(|a| a.parent_code.is_some())
        .collect();
    let mut rng = StdRng::seed_from_u64(seed);
    // Each unit serves citizens a little better or worse than the others; the weak one clearly
    // worse.
    let quality: Vec<f64> = (units.iter())
        .map(|unit| match unit.code.as_str() {
            WEAK_UNIT => 0.45,
            _ => rng.gen_range(0.68..0.88),
        })
        .collect();
    let span_minutes = DEMO_WEEKS * 7 * 24 * 60;
    let week_so_far = (now - Week::containing(now).start()).num_minutes().max(2);
    let weak_procedure = (procedures.iter())
        .position(|(code, _)| *code == WEAK_PROCEDURE)
        .unwrap_or(0);
    // Each unit directly under the province gets about the same share of dossiers (spread
    // over its own subtree), so every one of them has enough answers a week to be ranked.
    let tree = AgencyTree::new(agencies.clone());
    let roots: Vec<&str> = (agencies.iter())
        .filter(|a| a.parent_code.is_none())
        .map(|a| a.code.as_str())
        .collect();
    let branches: Vec<Vec<usize>> = (roots.iter())
        .flat_map(|root| tree.children(root))
        .map(|top| {
            let subtree = tree.subtree(&top.code);
            (0..units.len())
                .filter(|i| subtree.contains(&units[*i].code.as_str()))
                .collect()
        })
        .collect();
    let weak_unit = units.iter().position(|u| u.code == WEAK_UNIT).unwrap_or(0);

    let conversations = Conversations::new(db.clone());
    let progress = progress_bar(locales, lang, citizens, show_progress);
    for number in 1..=citizens {
        // Birth registrations and land certificates are the busiest procedures; half of the
        // land certificates are handled by the land department (the weak unit).
        let (procedure_code, procedure_name) = match rng.gen_range(0..100) {
            0..30 => procedures[0],
            30..60 => procedures[weak_procedure],
            _ => procedures[rng.gen_range(0..procedures.len())],
        };
        let unit = if procedure_code == WEAK_PROCEDURE && rng.gen_bool(0.5) {
            weak_unit
        } else {
            let branch = &branches[rng.gen_range(0..branches.len())];
            branch[rng.gen_range(0..branch.len())]
        };
        // When the dossier was completed: anywhere in the six weeks; every tenth citizen in
        // the week in progress, so `/report` and this week's summary have answers even on a
        // Monday morning. Each answers before now. `progress_in_time` runs from 0 (six weeks
        // ago) to 1 (now).
        let ago = if number % 10 == 0 {
            rng.gen_range(1..week_so_far)
        } else {
            rng.gen_range(60..span_minutes)
        };
        let completed_at = now - Duration::minutes(ago);
        let answered_at = completed_at + Duration::minutes(rng.gen_range(0..ago.min(50)));
        let progress_in_time = 1.0 - ago as f64 / span_minutes as f64;
        let mut satisfaction = quality[unit] + IMPROVEMENT * progress_in_time;
        if procedure_code == WEAK_PROCEDURE {
            satisfaction -= PROCEDURE_PENALTY;
        }
        let satisfaction = satisfaction.clamp(0.05, 0.98);
        let channel = match rng.gen_range(0..100) {
            0..55 => SubmissionChannel::Direct,
            55..93 => SubmissionChannel::Online,
            _ => SubmissionChannel::Postal,
        };
        let satisfaction = (satisfaction + channel_shift(channel)).clamp(0.05, 0.98);
        let notice = NewNotice {
            dossier_code: format!("DEMO-{number:05}"),
            agency_code: units[unit].code.clone(),
            procedure_code: procedure_code.to_string(),
            procedure_name: procedure_name.to_string(),
            submission_channel: channel,
            completed_at,
            recipient_chat_id: None,
        };
        let invitation = db
            .submit_notice(&notice, flow.id, Duration::days(7), completed_at)
            .await?;
        let token = invitation.invitation().token.clone();
        let answers = rng.gen_bool(answer_chance(channel, &units[unit].code));
        match (answers, rng.gen_range(0..3)) {
            (false, 0) => {
                db.set_invitation_status(&token, InvitationStatus::Declined, answered_at)
                    .await?;
            }
            (false, _) => {} // never opened the invitation
            (true, _) => {
                let opened = conversations
                    .open(&token, "demo", &format!("demo-{number}"), lang, answered_at)
                    .await?;
                let mut citizen = citizen::Citizen::new(&mut rng, satisfaction, &comments);
                citizen
                    .answer(&conversations, opened.session, answered_at)
                    .await?;
            }
        }
        progress.inc(1);
    }
    progress.finish_and_clear();

    // Everything simulated, through the one summary engine the officials read: the year so far
    // for the province (the six weeks, unless they straddle New Year).
    let counts = db.agency_counts().await?;
    let top = counts
        .iter()
        .fold(summary::Counts::default(), |mut all, c| {
            all.invitations += c.invitations;
            all.responses += c.responses;
            all.declines += c.declines;
            all
        });
    let officials = Officials::new(
        db.clone(),
        std::sync::Arc::new(Locales::load()),
        lang,
        crate::settings::config::DEFAULT_FLOW.to_string(),
    );
    let roots: Vec<String> = roots.iter().map(|r| r.to_string()).collect();
    let province = roots.first().cloned().unwrap_or_default();
    let year = officials
        .period_summary(
            &province,
            Period::containing(PeriodKind::Year, now),
            summary::Options::default(),
        )
        .await
        .map_err(|err| match err {
            OfficialsError::Storage(err) => AppError::Storage(err),
            OfficialsError::UnknownAgency(code) => AppError::UnknownAgency(code),
            OfficialsError::UnknownFlow(flow) => AppError::UnknownFlow(flow),
        })?;
    Ok(DemoOutcome {
        invitations: top.invitations,
        responses: top.responses,
        declines: top.declines,
        summary: summary::render::text(locales, lang, &year),
    })
}

/// The chance that a citizen answers the chat invitation: walk-in citizens (handed a QR code
/// at the counter) answer far less than those who applied online and already use the chat app;
/// rural communes less than wards and departments.
pub fn answer_chance(channel: SubmissionChannel, unit: &str) -> f64 {
    let by_channel = match channel {
        SubmissionChannel::Direct => 0.45,
        SubmissionChannel::Online => 0.92,
        SubmissionChannel::Postal => 0.70,
    };
    let rural = unit.starts_with("T14.X");
    if rural { by_channel * 0.8 } else { by_channel }
}

/// How much more (or less) often a criterion satisfies a citizen of this channel: walk-in
/// citizens waited at the counter and are less satisfied.
fn channel_shift(channel: SubmissionChannel) -> f64 {
    match channel {
        SubmissionChannel::Direct => -0.28,
        SubmissionChannel::Online => 0.10,
        SubmissionChannel::Postal => -0.05,
    }
}

fn sample_agencies() -> Vec<Agency> {
    AGENCIES
        .lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            Agency {
                code: fields[0].to_string(),
                name: fields[1].to_string(),
                parent_code: Some(fields[2])
                    .filter(|p| !p.is_empty())
                    .map(str::to_string),
                level: AgencyLevel::parse(fields[3]).expect("demo agencies have valid levels"),
            }
        })
        .collect()
}

fn progress_bar(
    locales: &Locales,
    lang: Lang,
    total: u32,
    visible: bool,
) -> indicatif::ProgressBar {
    if !visible {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(u64::from(total));
    let template = format!(
        "{} [{{bar:30}}] {{pos}}/{{len}}",
        locales.text(lang, "demo-progress", &[])
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(&template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_province_has_two_levels_and_no_district() {
        let agencies = sample_agencies();
        assert!(agencies.iter().all(|a| a.level != AgencyLevel::Huyen));
        let province: Vec<&Agency> = agencies
            .iter()
            .filter(|a| a.parent_code.is_none())
            .collect();
        assert_eq!(province.len(), 1);
        assert_eq!(province[0].level, AgencyLevel::Tinh);
        for agency in agencies.iter().filter(|a| a.parent_code.is_some()) {
            assert_eq!(
                agency.parent_code.as_deref(),
                Some(province[0].code.as_str())
            );
            assert!(matches!(agency.level, AgencyLevel::So | AgencyLevel::Xa));
        }
        assert!(agencies.iter().any(|a| a.name.contains("phường")));
        assert!(agencies.iter().any(|a| a.name.starts_with("Sở ")));
    }

    #[test]
    fn walk_in_citizens_answer_less_than_online_ones_and_rural_communes_less_than_wards() {
        let direct = answer_chance(SubmissionChannel::Direct, "T14.P01");
        let online = answer_chance(SubmissionChannel::Online, "T14.P01");
        assert!(direct < online / 1.5);
        assert!(answer_chance(SubmissionChannel::Direct, "T14.X01") < direct);
        assert!(
            channel_shift(SubmissionChannel::Direct) < channel_shift(SubmissionChannel::Online)
        );
    }
}
