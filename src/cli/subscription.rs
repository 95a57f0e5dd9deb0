//! `sipas-bot subscription code|list`: the admin's side of officials' subscriptions.

use crate::app::error::AppError;
use crate::core::i18n::{self, Locales};
use crate::settings::config::Settings;
use crate::storage::{SubscriptionCode, SubscriptionPeriod};
use chrono::{Duration, Utc};
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum SubscriptionCommand {
    /// Issues a single-use code that subscribes one chat to an agency and every unit under it.
    Code {
        #[arg(long)]
        agency: String,
        /// Show the index as points on this maximum too (e.g. 24).
        #[arg(long)]
        points_max: Option<f64>,
        /// How often the summary comes: each week, or the month or year just ended on the 1st
        /// of the next.
        #[arg(long, value_enum, default_value = "week")]
        period: PeriodChoice,
        /// Day of the weekly summary: 1 = Monday … 7 = Sunday.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=7))]
        weekday: u32,
        /// Hour of the weekly summary, Vietnam time.
        #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(0..=23))]
        hour: u32,
        /// Attach the week's data as an XLSX workbook to each summary.
        #[arg(long)]
        xlsx: bool,
        /// How long the code can be used.
        #[arg(long, default_value_t = 7)]
        valid_days: i64,
    },
    /// Lists every subscription.
    List,
}

/// The periods a subscription may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PeriodChoice {
    Week,
    Month,
    Year,
}

impl From<PeriodChoice> for SubscriptionPeriod {
    fn from(choice: PeriodChoice) -> SubscriptionPeriod {
        match choice {
            PeriodChoice::Week => SubscriptionPeriod::Week,
            PeriodChoice::Month => SubscriptionPeriod::Month,
            PeriodChoice::Year => SubscriptionPeriod::Year,
        }
    }
}

pub async fn run(
    command: SubscriptionCommand,
    settings: &Settings,
    locales: &Locales,
) -> Result<ExitCode, AppError> {
    let db = crate::services::startup::open_store(settings.database_url.expose()).await?;
    let lang = settings.lang;
    let now = Utc::now();
    let agencies = db.agencies().await?;
    let name_of = |code: &str| {
        agencies
            .iter()
            .find(|a| a.code == code)
            .map(|a| a.name.clone())
    };
    match command {
        SubscriptionCommand::Code {
            agency,
            points_max,
            period,
            weekday,
            hour,
            xlsx,
            valid_days,
        } => {
            let Some(name) = name_of(&agency) else {
                return Err(AppError::UnknownAgency(agency));
            };
            let code = SubscriptionCode {
                code: crate::storage::new_code(),
                agency_code: agency,
                points_max: points_max.filter(|p| *p > 0.0),
                period: period.into(),
                weekday,
                hour,
                xlsx,
                expires_at: now + Duration::days(valid_days.max(1)),
            };
            db.create_subscription_code(&code, now).await?;
            let expires = code
                .expires_at
                .with_timezone(&crate::core::clock::vietnam());
            println!(
                "{}",
                locales.text(
                    lang,
                    "subscription-code-created",
                    &[
                        ("code", code.code.clone()),
                        ("agency", name),
                        (
                            "expires",
                            format!(
                                "{} {}",
                                expires.format("%H:%M"),
                                i18n::date(expires.date_naive(), lang)
                            )
                        ),
                    ],
                )
            );
        }
        SubscriptionCommand::List => {
            let subscriptions = db.subscriptions().await?;
            if subscriptions.is_empty() {
                println!("{}", locales.text(lang, "subscription-list-empty", &[]));
            }
            for s in subscriptions {
                let next = s.next_run_at.with_timezone(&crate::core::clock::vietnam());
                let state = if s.active {
                    "subscription-active"
                } else {
                    "subscription-inactive"
                };
                println!(
                    "{}",
                    locales.text(
                        lang,
                        "subscription-list-row",
                        &[
                            ("id", s.id.to_string()),
                            (
                                "chat",
                                format!(
                                    "{} ({})",
                                    s.chat_title.clone().unwrap_or_default(),
                                    s.chat_id
                                )
                            ),
                            (
                                "agency",
                                name_of(&s.agency_code).unwrap_or(s.agency_code.clone())
                            ),
                            ("schedule", schedule(locales, lang, &s)),
                            (
                                "next",
                                format!(
                                    "{} {}",
                                    next.format("%H:%M"),
                                    i18n::date(next.date_naive(), lang)
                                )
                            ),
                            ("state", locales.text(lang, state, &[])),
                        ],
                    )
                );
            }
        }
    }
    db.close().await;
    Ok(ExitCode::SUCCESS)
}

/// When a subscription's summary comes, as the list shows it.
fn schedule(
    locales: &Locales,
    lang: crate::core::flow::Lang,
    s: &crate::storage::Subscription,
) -> String {
    let hour = format!("{:02}:00", s.hour);
    match s.period {
        SubscriptionPeriod::Week => format!(
            "{} {hour}",
            locales.text(lang, &format!("weekday-{}", s.weekday), &[])
        ),
        SubscriptionPeriod::Month => locales.text(lang, "schedule-month", &[("hour", hour)]),
        SubscriptionPeriod::Year => locales.text(lang, "schedule-year", &[("hour", hour)]),
    }
}
