//! The weighted index end to end on both backends: real notices (with their submission
//! channels), real conversations, the running totals, the officials' service.
//!
//! Scope P with units A, B, C; each respondent answers the short flow all 5 (satisfied) or all 1,
//! so a stratum's index is its share of satisfied respondents.
//!
//! | unit | channel | dossiers | responses | satisfied | ȳ_h | N_h after folding |
//! |---|---|---|---|---|---|---|
//! | A | direct | 6 | 2 | 1 | 0,5 | 6 + 2·6/10 = 7,2 |
//! | A | online | 4 | 2 | 2 | 1,0 | 4 + 2·4/10 = 4,8 |
//! | A | postal | 2 | 0 | – | – | folded |
//! | B | direct | 3 | 0 | – | – | B left out, named |
//! | C | online | 5 | 2 | 1 | 0,5 | 5 |
//!
//! N = 17; weighted = (7,2·0,5 + 4,8·1 + 5·0,5) / 17 = 10,9 / 17 = 0,641176; plain = 4/6 =
//! 0,666667; margin = 1,96 · √((7,2/17)²·0,25/2 + (4,8/17)²·0/2 + (5/17)²·0,25/2) = 0,357318.

use crate::common::TestDb;
use chrono::{DateTime, Duration, TimeZone, Utc};
use sipas_bot::core::flow::Lang;
use sipas_bot::core::i18n::Locales;
use sipas_bot::core::summary::{Options, Period, Week};
use sipas_bot::core::survey::Input;
use sipas_bot::services::conversation::Conversations;
use sipas_bot::services::officials::Officials;
use sipas_bot::storage::{Agency, AgencyLevel, Db, NewNotice, SubmissionChannel};
use std::sync::Arc;

const ALL_FIVE: [&str; 7] = ["5", "5", "5", "5", "không", "5", "bỏ qua"];
const ALL_ONE: [&str; 7] = ["1", "1", "1", "1", "không", "1", "bỏ qua"];

fn vn(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    sipas_bot::core::clock::vietnam()
        .with_ymd_and_hms(2026, 11, day, hour, minute, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-5
}

/// A dossier of `agency` by `channel`, completed at `at`; answered with `answers` when given.
async fn dossier(
    db: &Db,
    number: u32,
    agency: &str,
    channel: SubmissionChannel,
    answers: Option<&[&str]>,
    at: DateTime<Utc>,
) {
    let flow = db.latest_flow("sipas-short").await.unwrap().unwrap();
    let notice = NewNotice {
        dossier_code: format!("HS-{number}"),
        agency_code: agency.into(),
        procedure_code: "1.001612".into(),
        procedure_name: "Đăng ký khai sinh".into(),
        submission_channel: channel,
        completed_at: at,
        recipient_chat_id: None,
    };
    let token = db
        .submit_notice(&notice, flow.id, Duration::days(7), at)
        .await
        .unwrap()
        .invitation()
        .token
        .clone();
    let Some(answers) = answers else { return };
    let conversations = Conversations::new(db.clone());
    let chat = format!("chat-{number}");
    let mut session = conversations
        .open(&token, "test", &chat, Lang::Vi, at)
        .await
        .unwrap()
        .session;
    let mut now = at;
    for answer in answers {
        now += Duration::seconds(8);
        session = conversations
            .input(&session, &Input::Text(answer.to_string()), now)
            .await
            .unwrap()
            .session;
    }
    assert!(session.state.finished);
}

#[tokio::test]
async fn the_weighted_index_folds_empty_strata_and_names_silent_units_on_every_backend() {
    for test_db in TestDb::all().await {
        let db = test_db.open().await;
        for (code, name, parent, level) in [
            ("P", "UBND tỉnh Mẫu", None, AgencyLevel::Tinh),
            ("P.A", "UBND phường A", Some("P"), AgencyLevel::Xa),
            ("P.B", "UBND xã B", Some("P"), AgencyLevel::Xa),
            ("P.C", "Sở C", Some("P"), AgencyLevel::So),
        ] {
            let agency = Agency {
                code: code.into(),
                name: name.into(),
                parent_code: parent.map(str::to_string),
                level,
            };
            db.upsert_agency(&agency, vn(16, 7, 0)).await.unwrap();
        }
        use SubmissionChannel::{Direct, Online, Postal};
        let five: Option<&[&str]> = Some(&ALL_FIVE);
        let one: Option<&[&str]> = Some(&ALL_ONE);
        let plan: Vec<(&str, SubmissionChannel, Vec<Option<&[&str]>>)> = vec![
            ("P.A", Direct, vec![five, one, None, None, None, None]),
            ("P.A", Online, vec![five, five, None, None]),
            ("P.A", Postal, vec![None, None]),
            ("P.B", Direct, vec![None, None, None]),
            ("P.C", Online, vec![five, one, None, None, None]),
        ];
        let mut number = 0;
        for (agency, channel, dossiers) in plan {
            for answers in dossiers {
                number += 1;
                let at = vn(17, 8, 0) + Duration::minutes(10 * i64::from(number));
                dossier(&db, number, agency, channel, answers, at).await;
            }
        }

        let officials = Officials::new(
            db.clone(),
            Arc::new(Locales::load()),
            Lang::Vi,
            "sipas-short".into(),
        );
        let week = Week::containing(vn(17, 12, 0));
        let summary = officials
            .period_summary("P", Period::Week(week), Options::default())
            .await
            .unwrap();
        let name = &test_db.name;
        let plain = summary.overall.value.unwrap();
        assert!(close(plain, 4.0 / 6.0), "{name}: {plain}");
        let weighted = &summary.weighted;
        assert!(
            close(weighted.index.unwrap(), 10.9 / 17.0),
            "{name}: {weighted:?}"
        );
        assert!(
            close(weighted.margin.unwrap(), 0.357318),
            "{name}: {weighted:?}"
        );
        let units: Vec<&str> = weighted
            .units_without_responses
            .iter()
            .map(|u| u.name.as_str())
            .collect();
        assert_eq!(units, ["UBND xã B"], "{name}");
        let weight = |unit: &str, channel: &str| {
            weighted
                .strata
                .iter()
                .find(|s| s.unit == unit && s.channel == channel)
                .map(|s| (s.dossiers, s.responses, s.weight))
                .unwrap()
        };
        let (dossiers, responses, w) = weight("P.A", "direct");
        assert_eq!((dossiers, responses), (6, 2), "{name}");
        assert!(close(w, 7.2 / 17.0), "{name}");
        assert_eq!(weight("P.A", "postal"), (2, 0, 0.0), "{name}");
        assert!(close(
            weighted.units["P.A"].index.unwrap(),
            (7.2 * 0.5 + 4.8) / 12.0
        ));
        // Response rates per channel: direct 2/9, online 4/9, postal 0/2.
        let rates: Vec<(String, u64, u64)> = summary
            .response_rates
            .by_channel
            .iter()
            .map(|r| (r.key.clone(), r.responses, r.dossiers))
            .collect();
        assert_eq!(
            rates,
            [
                ("direct".to_string(), 2, 9),
                ("online".to_string(), 4, 9),
                ("postal".to_string(), 0, 2)
            ],
            "{name}"
        );
        // The margin is wide: the plain index is not shown beside the weighted one.
        let text = sipas_bot::core::summary::render::text(&Locales::load(), Lang::Vi, &summary);
        assert!(
            text.contains(
                "Chỉ số SIPAS chung (hiệu chỉnh theo số hồ sơ): 64,12%, sai số ±35,73 điểm %"
            ),
            "{name}: {text}"
        );
        assert!(!text.contains("chưa hiệu chỉnh:"), "{name}: {text}");
        db.close().await;
        test_db.cleanup().await;
    }
}
