//! Running totals, on every backend: rebuilt equals running, a summary from totals equals the
//! answer-row computation, flagged responses stay out of the index and are counted apart, and
//! a withdrawal deletes the answers and subtracts them.

use crate::common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use common::TestDb;
use sipas_bot::core::flow::Lang;
use sipas_bot::core::i18n::Locales;
use sipas_bot::core::summary::{self, Options, Period, PeriodKind};
use sipas_bot::core::survey::Input;
use sipas_bot::services::conversation::Conversations;
use sipas_bot::services::officials::Officials;
use sipas_bot::storage::{
    Agency, AgencyLevel, Db, MANY_DOSSIERS, NewNotice, SubmissionChannel, TOO_FAST,
};
use std::sync::Arc;

/// The demo's own data: sample agencies, the full flow, simulated citizens at a person's pace.
async fn demo(db: &Db) {
    sipas_bot::app::demo::simulate(db, &Locales::load(), Lang::Vi, 80, 11, false)
        .await
        .unwrap();
}

/// The officials' service over `db`, for summaries of `flow`.
fn officials(db: &Db, flow: &str) -> Officials {
    Officials::new(
        db.clone(),
        Arc::new(Locales::load()),
        Lang::Vi,
        flow.to_string(),
    )
}

#[tokio::test]
async fn rebuilt_totals_equal_the_running_totals() {
    for test_db in TestDb::all().await {
        let db = test_db.open().await;
        demo(&db).await;
        let running = db.totals_snapshot().await.unwrap();
        assert!(!running.answers.is_empty(), "{}", test_db.name);
        assert!(!running.responses.is_empty(), "{}", test_db.name);
        assert!(!running.invitations.is_empty(), "{}", test_db.name);
        assert!(!running.dossiers.is_empty(), "{}", test_db.name);
        assert!(!running.channel_responses.is_empty(), "{}", test_db.name);
        assert!(!running.channel_answers.is_empty(), "{}", test_db.name);
        let (before, rebuilt) = db.rebuild_totals().await.unwrap();
        assert_eq!(before, running, "{}", test_db.name);
        assert_eq!(rebuilt, running, "{}: rebuilt == running", test_db.name);

        // A drifted total is found and corrected by the rebuild.
        sqlx::query("UPDATE answer_totals SET count = count + 7 WHERE value = '5'")
            .execute(db.pool())
            .await
            .unwrap();
        let (drifted, rebuilt) = db.rebuild_totals().await.unwrap();
        assert_ne!(drifted, running, "{}", test_db.name);
        assert_eq!(rebuilt, running, "{}", test_db.name);

        // So are drifted dossier and channel totals.
        for drift in [
            "UPDATE dossier_totals SET dossiers = dossiers + 3",
            "UPDATE channel_answer_totals SET count = count + 2 WHERE value = '4'",
        ] {
            sqlx::query(drift).execute(db.pool()).await.unwrap();
            let (drifted, rebuilt) = db.rebuild_totals().await.unwrap();
            assert_ne!(drifted, running, "{}: {drift}", test_db.name);
            assert_eq!(rebuilt, running, "{}: {drift}", test_db.name);
        }
        db.close().await;
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn a_summary_from_totals_equals_the_answer_row_computation() {
    for test_db in TestDb::all().await {
        let db = test_db.open().await;
        demo(&db).await;
        let officials = officials(&db, sipas_bot::settings::config::DEFAULT_FLOW);
        let flow = db
            .latest_flow(sipas_bot::settings::config::DEFAULT_FLOW)
            .await
            .unwrap()
            .unwrap()
            .flow;
        let options = Options {
            points_max: Some(24.0),
            procedure_min_responses: 2,
        };
        for agency in ["T14", "T14.P03"] {
            for kind in [PeriodKind::Week, PeriodKind::Month, PeriodKind::Year] {
                let period = Period::containing(kind, Utc::now());
                let scope = officials.scope(agency).await.unwrap();
                let first = period.last(summary::TREND_PERIODS)[0];
                let rows = db
                    .summary_rows(&scope.codes, first.start(), period.end())
                    .await
                    .unwrap();
                assert!(!rows.is_empty() || agency != "T14", "{}", test_db.name);
                let counts = db
                    .invitation_counts(&scope.codes, period.start(), period.end())
                    .await
                    .unwrap();
                // The dossiers nobody answered for are not in the answer rows: count them from
                // the notices themselves, so the weighted index checks `dossier_totals` too.
                let dossiers = db
                    .dossier_counts(&scope.codes, period.start(), period.end())
                    .await
                    .unwrap();
                let before = period.previous();
                let dossiers_before = db
                    .dossier_counts(&scope.codes, before.start(), before.end())
                    .await
                    .unwrap();
                let mut totals = summary::PeriodTotals::from_rows(&scope, period, &rows);
                totals.add_dossiers(&scope, &dossiers, &dossiers_before);
                let mut from_rows = summary::build_totals(
                    &flow,
                    Lang::Vi,
                    &scope,
                    period,
                    &totals,
                    counts,
                    options,
                );
                // The themes from the rows' comments, newest first as storage reads them.
                let comments_of = |p: Period| -> Vec<(String, String)> {
                    let mut texts: Vec<&summary::AnswerRow> = rows
                        .iter()
                        .filter(|r| r.kind == "text" && !r.value.trim().is_empty())
                        .filter(|r| r.submitted_at >= p.start() && r.submitted_at < p.end())
                        .collect();
                    texts.sort_by(|a, b| {
                        b.submitted_at
                            .cmp(&a.submitted_at)
                            .then(b.response_id.cmp(&a.response_id))
                    });
                    texts
                        .into_iter()
                        .filter_map(|r| {
                            let unit = summary::unit_of(&scope, &r.agency_code)?;
                            Some((unit.to_string(), r.value.clone()))
                        })
                        .collect()
                };
                summary::themes::attach(
                    &mut from_rows,
                    &summary::themes::Lexicon::shipped(),
                    &scope,
                    &totals,
                    &comments_of(period),
                    &comments_of(period.previous()),
                );
                if agency == "T14" && kind == PeriodKind::Year {
                    assert!(!from_rows.themes.is_empty(), "{}", test_db.name);
                }
                if agency == "T14" && kind == PeriodKind::Year {
                    assert!(from_rows.weighted.index.is_some(), "{}", test_db.name);
                    assert!(!from_rows.weighted.strata.is_empty(), "{}", test_db.name);
                }
                let from_totals = officials
                    .period_summary(agency, period, options)
                    .await
                    .unwrap();
                assert_eq!(
                    from_totals,
                    from_rows,
                    "{} {agency} {}",
                    test_db.name,
                    period.label()
                );
            }
        }
        db.close().await;
        test_db.cleanup().await;
    }
}

fn vn(day: u32, hour: u32) -> DateTime<Utc> {
    sipas_bot::core::clock::vietnam()
        .with_ymd_and_hms(2026, 11, day, hour, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

async fn seed_agencies(db: &Db) {
    for (code, name, parent, level) in [
        ("P", "UBND tỉnh Mẫu", None, AgencyLevel::Tinh),
        ("P.H1", "UBND huyện Một", Some("P"), AgencyLevel::Huyen),
    ] {
        let agency = Agency {
            code: code.into(),
            name: name.into(),
            parent_code: parent.map(str::to_string),
            level,
        };
        db.upsert_agency(&agency, vn(16, 7)).await.unwrap();
    }
}

const SHORT_ALL_FIVE: [&str; 7] = ["5", "5", "5", "5", "không", "5", "bỏ qua"];
const SHORT_ALL_ONE: [&str; 7] = ["1", "1", "1", "1", "không", "1", "bỏ qua"];

/// A citizen on `chat` answers dossier `dossier` of agency P.H1 with `answers`, `pace` apart.
async fn respond(
    db: &Db,
    dossier: &str,
    chat: &str,
    answers: &[&str],
    at: DateTime<Utc>,
    pace: Duration,
) {
    let flow = db.latest_flow("sipas-short").await.unwrap().unwrap();
    let notice = NewNotice {
        dossier_code: dossier.into(),
        agency_code: "P.H1".into(),
        procedure_code: "1.001612".into(),
        procedure_name: "Đăng ký khai sinh".into(),
        submission_channel: SubmissionChannel::Direct,
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
    let conversations = Conversations::new(db.clone());
    let mut session = conversations
        .open(&token, "test", chat, Lang::Vi, at)
        .await
        .unwrap()
        .session;
    let mut now = at;
    for answer in answers {
        now += pace;
        session = conversations
            .input(&session, &Input::Text(answer.to_string()), now)
            .await
            .unwrap()
            .session;
    }
    assert!(session.state.finished, "{dossier} completed");
}

#[tokio::test]
async fn a_flagged_response_is_kept_out_of_the_index_and_shown_apart() {
    for test_db in TestDb::all().await {
        let db = test_db.open().await;
        seed_agencies(&db).await;
        let human = Duration::seconds(6);
        // One chat answering six dossiers in a week: the sixth is one too many.
        for number in 1..=5 {
            let dossier = format!("HS-{number}");
            respond(
                &db,
                &dossier,
                "chat-a",
                &SHORT_ALL_FIVE,
                vn(17, 8 + number),
                human,
            )
            .await;
        }
        respond(&db, "HS-6", "chat-a", &SHORT_ALL_ONE, vn(18, 9), human).await;
        // Another chat, faster than anyone reads.
        respond(
            &db,
            "HS-7",
            "chat-b",
            &SHORT_ALL_ONE,
            vn(18, 10),
            Duration::milliseconds(300),
        )
        .await;
        let officials = officials(&db, "sipas-short");
        let week = summary::Week::containing(vn(18, 12));
        let flagged = db.flagged_responses(Some("P"), 10).await.unwrap();
        let reasons: Vec<(&str, &str)> = flagged
            .iter()
            .map(|f| (f.dossier_code.as_str(), f.flag.as_str()))
            .collect();
        assert_eq!(
            reasons,
            vec![("HS-7", TOO_FAST), ("HS-6", MANY_DOSSIERS)],
            "{}",
            test_db.name
        );
        let summary = officials.summary("P", week, None).await.unwrap();
        assert_eq!(summary.flagged, 2, "{}", test_db.name);
        assert_eq!(
            summary.overall.value,
            Some(1.0),
            "{}: only the honest five count",
            test_db.name
        );
        assert_eq!(summary.overall.sample, 5, "{}", test_db.name);
        assert_eq!(
            summary.counts.responses, 7,
            "{}: every response is stored",
            test_db.name
        );
        let text = summary::render::text(&Locales::load(), Lang::Vi, &summary);
        assert!(text.contains("2 phản hồi bị gắn cờ"), "{text}");
        // The export keeps every answer but names the flag, so flagged rows can be read apart.
        let flags: std::collections::BTreeMap<i64, Option<String>> = db
            .export_rows()
            .await
            .unwrap()
            .into_iter()
            .map(|row| (row.response_id, row.flag))
            .collect();
        assert_eq!(flags.len(), 7, "{}", test_db.name);
        let mut exported_flags: Vec<&str> = flags.values().flatten().map(String::as_str).collect();
        exported_flags.sort();
        assert_eq!(
            exported_flags,
            vec![MANY_DOSSIERS, TOO_FAST],
            "{}",
            test_db.name
        );

        // An admin clears one flag: it joins the index, audited, and the totals stay exact.
        let cleared = flagged.iter().find(|f| f.flag == TOO_FAST).unwrap();
        assert!(
            db.clear_flag(cleared.response_id, "admin", vn(19, 9))
                .await
                .unwrap()
        );
        assert!(
            !db.clear_flag(cleared.response_id, "admin", vn(19, 9))
                .await
                .unwrap()
        );
        let summary = officials.summary("P", week, None).await.unwrap();
        assert_eq!(summary.flagged, 1, "{}", test_db.name);
        assert_eq!(summary.overall.sample, 6, "{}", test_db.name);
        let audit = db.audit_log(50).await.unwrap();
        assert!(
            audit
                .iter()
                .any(|e| e.action == "flag.clear" && e.target == "HS-7"),
            "{}",
            test_db.name
        );
        let running = db.totals_snapshot().await.unwrap();
        let (_, rebuilt) = db.rebuild_totals().await.unwrap();
        assert_eq!(rebuilt, running, "{}", test_db.name);
        db.close().await;
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn a_withdrawal_deletes_the_answers_and_subtracts_them() {
    for test_db in TestDb::all().await {
        let db = test_db.open().await;
        seed_agencies(&db).await;
        let human = Duration::seconds(6);
        respond(&db, "HS-1", "chat-a", &SHORT_ALL_FIVE, vn(17, 9), human).await;
        respond(&db, "HS-2", "chat-a", &SHORT_ALL_ONE, vn(17, 10), human).await;
        respond(&db, "HS-3", "chat-b", &SHORT_ALL_FIVE, vn(17, 11), human).await;
        let officials = officials(&db, "sipas-short");
        let week = summary::Week::containing(vn(17, 12));
        let before = officials.summary("P", week, None).await.unwrap();
        assert_eq!(before.overall.sample, 3, "{}", test_db.name);

        let withdrawn = db
            .withdraw_chat("test", "chat-a", &Default::default(), vn(18, 9))
            .await
            .unwrap();
        assert_eq!(withdrawn, Some(2), "{}", test_db.name);
        assert!(!db.chat_has_surveys("test", "chat-a").await.unwrap());
        let exported: std::collections::BTreeSet<i64> = db
            .export_rows()
            .await
            .unwrap()
            .iter()
            .map(|r| r.response_id)
            .collect();
        assert_eq!(
            exported.len(),
            1,
            "{}: only chat-b's answers remain",
            test_db.name
        );
        let (answers_left,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM answers")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(
            answers_left,
            SHORT_ALL_FIVE.len() as i64,
            "{}",
            test_db.name
        );

        let after = officials.summary("P", week, None).await.unwrap();
        assert_eq!(after.overall.sample, 1, "{}", test_db.name);
        assert_eq!(after.overall.value, Some(1.0), "{}", test_db.name);
        assert_eq!(after.counts.invitations, 3, "{}", test_db.name);
        assert_eq!(after.counts.responses, 1, "{}", test_db.name);
        assert_eq!(after.counts.withdrawn, 2, "{}", test_db.name);
        let rate = after.response_rate.unwrap();
        assert!((rate - 1.0 / 3.0).abs() < 1e-9, "{}: {rate}", test_db.name);
        let running = db.totals_snapshot().await.unwrap();
        let (_, rebuilt) = db.rebuild_totals().await.unwrap();
        assert_eq!(rebuilt, running, "{}: subtracted exactly", test_db.name);

        // A withdrawn invitation cannot be answered again.
        let invitation = db.invitation_for_dossier("HS-1").await.unwrap().unwrap();
        let conversations = Conversations::new(db.clone());
        assert!(
            conversations
                .open(&invitation.token, "test", "chat-a", Lang::Vi, vn(18, 10))
                .await
                .is_err(),
            "{}",
            test_db.name
        );
        db.close().await;
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn retention_unlinks_chats_and_keeps_the_answers() {
    for test_db in TestDb::all().await {
        let db = test_db.open().await;
        seed_agencies(&db).await;
        let human = Duration::seconds(6);
        respond(&db, "HS-1", "chat-a", &SHORT_ALL_FIVE, vn(2, 9), human).await;
        respond(&db, "HS-2", "chat-b", &SHORT_ALL_ONE, vn(20, 9), human).await;
        let officials = officials(&db, "sipas-short");
        let week = summary::Week::containing(vn(2, 12));
        let summary_before = officials.summary("P", week, None).await.unwrap();
        let export_before = db.export_rows().await.unwrap();
        let retention = Duration::days(sipas_bot::storage::DEFAULT_RETENTION_DAYS);

        // The day before the 30 days are over, both chats are still linked.
        let unlinked = db
            .unlink_retained(retention, vn(2, 9) + Duration::days(29))
            .await
            .unwrap();
        assert_eq!(unlinked, 0, "{}", test_db.name);
        assert!(db.chat_has_surveys("test", "chat-a").await.unwrap());

        // After, chat-a's survey is unlinked; chat-b's, completed later, is not yet.
        let unlinked = db
            .unlink_retained(retention, vn(2, 10) + Duration::days(30))
            .await
            .unwrap();
        assert_eq!(unlinked, 1, "{}", test_db.name);
        assert!(
            !db.chat_has_surveys("test", "chat-a").await.unwrap(),
            "{}",
            test_db.name
        );
        assert!(db.chat_has_surveys("test", "chat-b").await.unwrap());
        let (linked,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM survey_sessions WHERE chat_ref = 'chat-a'")
                .fetch_one(db.pool())
                .await
                .unwrap();
        assert_eq!(linked, 0, "{}", test_db.name);
        // Running again unlinks nothing new.
        assert_eq!(
            db.unlink_retained(retention, vn(2, 10) + Duration::days(30))
                .await
                .unwrap(),
            0
        );

        // Answers and counts stay: the summary and the export are unchanged.
        let summary_after = officials.summary("P", week, None).await.unwrap();
        assert_eq!(
            summary_after.overall, summary_before.overall,
            "{}",
            test_db.name
        );
        assert_eq!(
            summary_after.counts.responses,
            summary_before.counts.responses
        );
        assert_eq!(
            db.export_rows().await.unwrap(),
            export_before,
            "{}",
            test_db.name
        );
    }
}

/// The latest comments a summary shows are read from `response_comments`, kept as each response
/// completes: they go with a withdrawal, and `totals rebuild` recomputes the same ones.
#[tokio::test]
async fn the_latest_comments_are_kept_apart_and_go_with_a_withdrawal() {
    for test_db in TestDb::all().await {
        let db = test_db.open().await;
        seed_agencies(&db).await;
        let human = Duration::seconds(6);
        let with = |comment: &'static str| {
            let mut answers = SHORT_ALL_FIVE;
            answers[6] = comment;
            answers
        };
        respond(
            &db,
            "HS-1",
            "chat-a",
            &with("Cán bộ nhiệt tình"),
            vn(17, 9),
            human,
        )
        .await;
        respond(
            &db,
            "HS-2",
            "chat-b",
            &with("Chờ lâu quá"),
            vn(17, 10),
            human,
        )
        .await;
        let officials = officials(&db, "sipas-short");
        let week = summary::Week::containing(vn(17, 12));
        let shown = officials.summary("P", week, None).await.unwrap().comments;
        assert_eq!(
            shown,
            ["Chờ lâu quá", "Cán bộ nhiệt tình"],
            "{}: newest first",
            test_db.name
        );

        db.withdraw_chat("test", "chat-a", &Default::default(), vn(18, 9))
            .await
            .unwrap();
        let shown = officials.summary("P", week, None).await.unwrap().comments;
        assert_eq!(shown, ["Chờ lâu quá"], "{}", test_db.name);

        let kept = || async {
            sqlx::query_as::<_, (i64, String)>(
                "SELECT response_id, value FROM response_comments ORDER BY response_id",
            )
            .fetch_all(db.pool())
            .await
            .unwrap()
        };
        let running = kept().await;
        db.rebuild_totals().await.unwrap();
        assert_eq!(kept().await, running, "{}", test_db.name);
        assert_eq!(running.len(), 1, "{}", test_db.name);
        db.close().await;
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn totals_rebuild_names_the_tables_that_had_drifted() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/t.db", dir.path().display());
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_sipas-bot"))
            .args(args)
            .current_dir(dir.path())
            .env("DATABASE_URL", &url)
            .env_remove("SIPAS_LANG")
            .output()
            .unwrap()
    };
    let demo = run(&["demo", "--citizens", "30", "--database", &url]);
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let clean = run(&["totals", "rebuild"]);
    let out = String::from_utf8_lossy(&clean.stdout).to_string();
    assert!(clean.status.success() && out.contains("khớp"), "{out}");
    assert!(!out.contains("đã lệch"), "{out}");

    let db = sipas_bot::services::startup::open_store(&url)
        .await
        .unwrap();
    sqlx::query("UPDATE dossier_totals SET dossiers = dossiers + 1")
        .execute(db.pool())
        .await
        .unwrap();
    db.close().await;
    let drifted = run(&["totals", "rebuild"]);
    let out = String::from_utf8_lossy(&drifted.stdout).to_string();
    assert!(drifted.status.success(), "{out}");
    assert!(out.contains("Các bảng đã lệch: dossier_totals."), "{out}");
}
