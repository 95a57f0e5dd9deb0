//! Officials' side end to end: subscriptions by code, the weekly summary with its chart arriving
//! at a fake group on the loopback Bot API, /report, restarts, two instances, and alerts.

use crate::common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use common::server::Harness;
use sipas_bot::core::clock::vietnam;
use sipas_bot::core::flow::Lang;
use sipas_bot::core::summary::Week;
use sipas_bot::core::survey::Input;
use sipas_bot::services::conversation::Conversations;
use sipas_bot::storage::{
    Agency, AgencyLevel, Db, NewNotice, SubmissionChannel, SubscriptionCode, SubscriptionPeriod,
};

const GROUP: i64 = -100_200_300;
const ADMIN: i64 = 501;
const MEMBER: i64 = 502;

fn vn(day: u32, hour: u32) -> DateTime<Utc> {
    vietnam()
        .with_ymd_and_hms(2026, 11, day, hour, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

async fn seed_agencies(db: &Db) {
    for (code, name, parent, level) in [
        ("T14", "UBND tỉnh Sơn La", None, AgencyLevel::Tinh),
        (
            "T14.H01",
            "UBND thành phố Sơn La",
            Some("T14"),
            AgencyLevel::Huyen,
        ),
        (
            "T14.H02",
            "UBND huyện Mộc Châu",
            Some("T14"),
            AgencyLevel::Huyen,
        ),
        (
            "T14.H02.X01",
            "UBND xã Chiềng Sơn",
            Some("T14.H02"),
            AgencyLevel::Xa,
        ),
    ] {
        let agency = Agency {
            code: code.into(),
            name: name.into(),
            parent_code: parent.map(str::to_string),
            level,
        };
        db.upsert_agency(&agency, vn(1, 8)).await.unwrap();
    }
}

async fn issue_code(db: &Db, agency: &str, expires_at: DateTime<Utc>) -> String {
    let code = SubscriptionCode {
        code: sipas_bot::storage::new_code(),
        agency_code: agency.into(),
        points_max: Some(24.0),
        period: SubscriptionPeriod::Week,
        weekday: 1,
        hour: 8,
        xlsx: agency == "T14",
        expires_at,
    };
    db.create_subscription_code(&code, vn(16, 9)).await.unwrap();
    code.code
}

/// A citizen completes the flow in force by typing `answers`, starting at `at`, one answer
/// every 5 seconds.
async fn respond(
    db: &Db,
    flow_id: &str,
    dossier: &str,
    agency: &str,
    answers: &[&str],
    at: DateTime<Utc>,
) {
    let flow = db.latest_flow(flow_id).await.unwrap().unwrap();
    let notice = NewNotice {
        dossier_code: dossier.into(),
        agency_code: agency.into(),
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
        .open(&token, "test", dossier, Lang::Vi, at)
        .await
        .unwrap()
        .session;
    // At a person's pace: answers faster than anyone reads are flagged and left out of the index.
    for (number, answer) in answers.iter().enumerate() {
        let answered_at = at + Duration::seconds(5 * (number as i64 + 1));
        session = conversations
            .input(&session, &Input::Text(answer.to_string()), answered_at)
            .await
            .unwrap()
            .session;
    }
    assert!(session.state.finished, "{dossier} completed");
}

/// Sends `text` in the group as `user` and waits for the bot's next message there.
async fn group_says(
    harness: &Harness,
    user: i64,
    text: &str,
) -> common::fake_telegram::SentMessage {
    let count = harness.fake.messages_to(GROUP).len();
    harness.fake.push_group_text(GROUP, user, text);
    harness.messages(GROUP, count + 1).await[count].clone()
}

#[tokio::test]
async fn only_a_valid_unused_code_subscribes_and_only_admins_unsubscribe() {
    let harness = Harness::start().await;
    seed_agencies(&harness.db).await;
    let none = group_says(&harness, MEMBER, "/subscribe").await;
    assert!(none.text.contains("gửi kèm mã"), "{}", none.text);
    let wrong = group_says(&harness, MEMBER, "/subscribe AAAA-BBBB-CCCC").await;
    assert!(wrong.text.contains("không đúng"), "{}", wrong.text);
    let expired_code = issue_code(&harness.db, "T14.H02", vn(16, 9) + Duration::hours(1)).await;
    harness.clock.advance(Duration::hours(2));
    let expired = group_says(&harness, MEMBER, &format!("/subscribe {expired_code}")).await;
    assert!(expired.text.contains("hết hạn"), "{}", expired.text);
    assert!(
        harness.db.subscriptions().await.unwrap().is_empty(),
        "no code, no subscription"
    );

    let code = issue_code(&harness.db, "T14.H02", vn(30, 9)).await;
    let typed = code.to_lowercase().replace('-', " ");
    let done = group_says(
        &harness,
        MEMBER,
        &format!("/subscribe@sipas_test_bot {typed}"),
    )
    .await;
    assert!(done.text.contains("UBND huyện Mộc Châu"), "{}", done.text);
    assert!(done.text.contains("thứ Hai lúc 08:00"), "{}", done.text);
    let reused = group_says(&harness, MEMBER, &format!("/subscribe {code}")).await;
    assert!(reused.text.contains("đã được sử dụng"), "{}", reused.text);
    let subscriptions = harness.db.subscriptions().await.unwrap();
    assert_eq!(subscriptions.len(), 1);
    assert_eq!(subscriptions[0].next_run_at, vn(23, 8));
    assert_eq!(
        subscriptions[0].chat_title.as_deref(),
        Some("Nhóm lãnh đạo")
    );

    let refused = group_says(&harness, MEMBER, "/unsubscribe").await;
    assert!(
        refused.text.contains("Chỉ quản trị viên"),
        "{}",
        refused.text
    );
    assert!(harness.db.subscriptions().await.unwrap()[0].active);
    harness.fake.make_admin(GROUP, ADMIN);
    let ended = group_says(&harness, ADMIN, "/unsubscribe").await;
    assert!(ended.text.contains("Đã hủy"), "{}", ended.text);
    assert!(!harness.db.subscriptions().await.unwrap()[0].active);

    // Ordinary chatter in the group is ignored.
    harness
        .fake
        .push_group_text(GROUP, MEMBER, "chào mọi người");
    let help = group_says(&harness, MEMBER, "/help").await;
    assert!(help.text.contains("/subscribe"), "{}", help.text);
    harness.finish().await;
}

const GOOD: [&str; 7] = ["5", "5", "4", "5", "không", "5", "bỏ qua"];
const POOR: [&str; 7] = [
    "2",
    "3",
    "4",
    "4",
    "không",
    "3",
    "Chờ lâu quá, gọi 0912 345 678",
];

#[tokio::test]
async fn the_weekly_summary_and_its_chart_arrive_on_monday_morning_once() {
    let mut harness = Harness::start().await;
    seed_agencies(&harness.db).await;
    let code = issue_code(&harness.db, "T14", vn(30, 9)).await;
    group_says(&harness, MEMBER, &format!("/subscribe {code}")).await;

    // Week 47 (16–22/11): three responses; week 46: one.
    respond(
        &harness.db,
        "sipas-short",
        "HS-1",
        "T14.H01",
        &GOOD,
        vn(17, 10),
    )
    .await;
    respond(
        &harness.db,
        "sipas-short",
        "HS-2",
        "T14.H02.X01",
        &POOR,
        vn(18, 15),
    )
    .await;
    respond(
        &harness.db,
        "sipas-short",
        "HS-3",
        "T14.H02",
        &GOOD,
        vn(22, 20),
    )
    .await;
    respond(
        &harness.db,
        "sipas-short",
        "HS-0",
        "T14.H01",
        &GOOD,
        vn(10, 9),
    )
    .await;

    harness.clock.set(vn(23, 7));
    assert_eq!(
        harness.running().run_due_summaries().await.unwrap(),
        0,
        "not Monday 08:00 yet"
    );
    harness.clock.set(vn(23, 8));
    assert_eq!(harness.running().run_due_summaries().await.unwrap(), 1);
    let messages = harness.messages(GROUP, 4).await;
    let summary = &messages[1];
    assert!(
        summary
            .text
            .contains("BÁO CÁO SIPAS TUẦN 2026-W47 (16/11/2026 – 22/11/2026)"),
        "{}",
        summary.text
    );
    assert!(
        summary.text.contains("Phản hồi: 3 (tỷ lệ 100,00%)"),
        "{}",
        summary.text
    );
    // Access: 5, 2, 5 → 2/3; procedures 5, 3, 5 → 2/3; civil servants 4, 4, 4 → 1; results 5, 4, 5 → 1.
    assert!(
        summary
            .text
            .contains("Chỉ số SIPAS chung (hiệu chỉnh theo số hồ sơ): 83,33%"),
        "{}",
        summary.text
    );
    assert!(
        summary.text.contains("Quy đổi: 20,00/24 điểm"),
        "{}",
        summary.text
    );
    assert!(
        summary
            .text
            .contains("Xu hướng (chưa hiệu chỉnh): 2026-W46: 100,00% → 2026-W47: 83,33%"),
        "{}",
        summary.text
    );
    assert!(
        summary.text.contains("“Chờ lâu quá, gọi ***”"),
        "masked: {}",
        summary.text
    );
    assert!(
        summary.text.contains("UBND huyện Mộc Châu (2)"),
        "too few to rank: {}",
        summary.text
    );
    assert!(
        !summary.text.contains("HS-2"),
        "no dossier codes in summaries"
    );
    assert!(messages[2].photo, "the chart follows the text");
    let photo = harness.fake.calls_of("sendPhoto");
    assert!(photo[0].body["photo_bytes"].as_u64().unwrap() > 10_000);
    let workbook = harness.fake.calls_of("sendDocument");
    assert_eq!(workbook.len(), 1, "the subscription asked for the XLSX");
    assert!(workbook[0].body["document_bytes"].as_u64().unwrap() > 3_000);
    assert_eq!(messages[3].text, "Dữ liệu tuần 2026-W47 (XLSX)");

    // Again the same morning, after a restart, the next day: nothing more for week 47.
    assert_eq!(harness.running().run_due_summaries().await.unwrap(), 0);
    harness.restart().await;
    harness.clock.set(vn(24, 9));
    assert_eq!(harness.running().run_due_summaries().await.unwrap(), 0);
    harness.outbox_settled().await;
    assert_eq!(harness.fake.messages_to(GROUP).len(), 4);
    assert_eq!(
        harness.db.subscriptions().await.unwrap()[0].next_run_at,
        vn(30, 8)
    );

    // `sipas-bot summary` and /report compute the same figures.
    let offline = harness
        .running()
        .weekly
        .summary("T14", Week::parse("2026-W47").unwrap(), Some(24.0))
        .await
        .unwrap();
    assert!((offline.overall.value.unwrap() - 5.0 / 6.0).abs() < 1e-9);
    respond(
        &harness.db,
        "sipas-short",
        "HS-4",
        "T14.H01",
        &POOR,
        vn(24, 10),
    )
    .await;
    let report = group_says(&harness, MEMBER, "/report").await;
    let this_week = harness
        .running()
        .weekly
        .summary("T14", Week::parse("2026-W48").unwrap(), Some(24.0))
        .await
        .unwrap();
    let expected = sipas_bot::core::summary::render::text(
        &sipas_bot::core::i18n::Locales::load(),
        Lang::Vi,
        &this_week,
    );
    assert_eq!(report.text, expected);
    assert!(report.text.contains("2026-W48"));
    harness.finish().await;
}

#[tokio::test]
async fn a_monthly_subscription_gets_octobers_summary_on_the_first_of_november_once() {
    let mut harness = Harness::start().await;
    seed_agencies(&harness.db).await;
    let october = |day: u32, hour: u32| {
        vietnam()
            .with_ymd_and_hms(2026, 10, day, hour, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    };
    harness.clock.set(october(20, 9));
    let code = SubscriptionCode {
        code: sipas_bot::storage::new_code(),
        agency_code: "T14".into(),
        points_max: None,
        period: SubscriptionPeriod::Month,
        weekday: 1,
        hour: 8,
        xlsx: true,
        expires_at: october(27, 9),
    };
    harness
        .db
        .create_subscription_code(&code, october(20, 9))
        .await
        .unwrap();
    let done = group_says(&harness, MEMBER, &format!("/subscribe {}", code.code)).await;
    assert!(done.text.contains("hằng tháng"), "{}", done.text);
    assert_eq!(
        harness.db.subscriptions().await.unwrap()[0].next_run_at,
        vn(1, 8),
        "the first of November at 08:00"
    );
    // October: two responses in different weeks; 31 October 23:00 (Vietnam) still counts;
    // 1 November does not.
    respond(
        &harness.db,
        "sipas-short",
        "HS-1",
        "T14.H01",
        &GOOD,
        october(5, 10),
    )
    .await;
    respond(
        &harness.db,
        "sipas-short",
        "HS-2",
        "T14.H02",
        &POOR,
        october(31, 23),
    )
    .await;
    respond(
        &harness.db,
        "sipas-short",
        "HS-3",
        "T14.H02",
        &POOR,
        vn(1, 7),
    )
    .await;

    // Mondays in between send nothing: the subscription is monthly.
    harness.clock.set(october(26, 8));
    assert_eq!(harness.running().run_due_summaries().await.unwrap(), 0);
    harness.clock.set(vn(1, 7));
    assert_eq!(
        harness.running().run_due_summaries().await.unwrap(),
        0,
        "not 08:00 yet"
    );
    harness.clock.set(vn(1, 8));
    assert_eq!(harness.running().run_due_summaries().await.unwrap(), 1);
    let messages = harness.messages(GROUP, 4).await;
    assert!(
        messages[1]
            .text
            .contains("BÁO CÁO SIPAS THÁNG 2026-10 (01/10/2026 – 31/10/2026)"),
        "{}",
        messages[1].text
    );
    assert!(
        messages[1].text.contains("Phản hồi: 2"),
        "{}",
        messages[1].text
    );
    assert!(messages[2].photo, "the chart follows the text");
    assert_eq!(messages[3].text, "Dữ liệu tháng 2026-10 (XLSX)");

    // Once: again that morning, after a restart, the next Monday.
    assert_eq!(harness.running().run_due_summaries().await.unwrap(), 0);
    harness.restart().await;
    harness.clock.set(vn(2, 8));
    assert_eq!(harness.running().run_due_summaries().await.unwrap(), 0);
    harness.outbox_settled().await;
    assert_eq!(harness.fake.messages_to(GROUP).len(), 4);
    assert_eq!(
        harness.db.subscriptions().await.unwrap()[0].next_run_at,
        vietnam()
            .with_ymd_and_hms(2026, 12, 1, 8, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    );
    harness.finish().await;
}

#[tokio::test]
async fn a_missed_monday_is_sent_once_when_the_service_is_back() {
    let mut harness = Harness::start().await;
    seed_agencies(&harness.db).await;
    let code = issue_code(&harness.db, "T14.H02", vn(30, 9)).await;
    group_says(&harness, MEMBER, &format!("/subscribe {code}")).await;
    respond(
        &harness.db,
        "sipas-short",
        "HS-1",
        "T14.H02",
        &GOOD,
        vn(18, 10),
    )
    .await;
    // The service was down all Monday; it comes back on Wednesday.
    harness.restart().await;
    harness.clock.set(vn(25, 14));
    assert_eq!(harness.running().run_due_summaries().await.unwrap(), 1);
    let messages = harness.messages(GROUP, 3).await;
    assert!(
        messages[1].text.contains("2026-W47"),
        "the week that ended: {}",
        messages[1].text
    );
    assert_eq!(harness.running().run_due_summaries().await.unwrap(), 0);
    harness.finish().await;
}

#[tokio::test]
async fn two_instances_on_one_postgresql_send_each_summary_once() {
    let Some(test_db) = common::TestDb::postgres().await else {
        return;
    };
    let harness = Harness::start_with(test_db, &[]).await;
    seed_agencies(&harness.db).await;
    let code = issue_code(&harness.db, "T14", vn(30, 9)).await;
    group_says(&harness, MEMBER, &format!("/subscribe {code}")).await;
    respond(
        &harness.db,
        "sipas-short",
        "HS-1",
        "T14.H01",
        &GOOD,
        vn(18, 10),
    )
    .await;
    let second = sipas_bot::app::serve::start(
        common::server::settings(&harness.fake, &harness.db_url, &[]),
        std::sync::Arc::new(harness.clock.clone()),
    )
    .await
    .unwrap();
    harness.clock.set(vn(23, 8));
    let (first, other) = tokio::join!(
        harness.running().run_due_summaries(),
        second.run_due_summaries()
    );
    assert_eq!(
        first.unwrap() + other.unwrap(),
        1,
        "one summary between the two instances"
    );
    harness.messages(GROUP, 3).await;
    harness.outbox_settled().await;
    second.shutdown().await;
    let summaries = harness
        .fake
        .messages_to(GROUP)
        .iter()
        .filter(|m| m.text.contains("BÁO CÁO SIPAS TUẦN"))
        .count();
    assert_eq!(summaries, 1);
    harness.finish().await;
}

#[tokio::test]
async fn serious_reports_alert_the_scope_with_the_dossier_only_when_consented() {
    let harness =
        Harness::start_with(common::TestDb::sqlite(), &[("SIPAS_FLOW", "sipas-full")]).await;
    seed_agencies(&harness.db).await;
    let code = issue_code(&harness.db, "T14.H02", vn(30, 9)).await;
    group_says(&harness, MEMBER, &format!("/subscribe {code}")).await;

    let mut answers: Vec<&str> = vec!["4"; 16];
    answers[4] = "1"; // procedures_posted: Rất không hài lòng
    answers.extend(["không", "1", "có", "không", "bỏ qua", "có"]); // harassment yes, consent yes
    respond(
        &harness.db,
        "sipas-full",
        "HS-ALERT-1",
        "T14.H02.X01",
        &answers,
        vn(16, 10),
    )
    .await;
    let mut quiet: Vec<&str> = vec!["5"; 16];
    quiet.extend(["không", "2", "không", "không", "bỏ qua", "không"]);
    respond(
        &harness.db,
        "sipas-full",
        "HS-QUIET",
        "T14.H02",
        &quiet,
        vn(16, 10),
    )
    .await;
    let mut unconsented: Vec<&str> = vec!["4"; 16];
    unconsented.extend(["không", "3", "không", "có", "bỏ qua", "không"]); // payment outside the rules
    respond(
        &harness.db,
        "sipas-full",
        "HS-ALERT-2",
        "T14.H02",
        &unconsented,
        vn(16, 10),
    )
    .await;
    // Another district's response reaches nobody here.
    respond(
        &harness.db,
        "sipas-full",
        "HS-OTHER",
        "T14.H01",
        &answers,
        vn(16, 10),
    )
    .await;

    assert_eq!(harness.running().run_alerts().await.unwrap(), 2);
    let messages = harness.messages(GROUP, 3).await;
    let first = &messages[1].text;
    assert!(first.contains("CẢNH BÁO"), "{first}");
    assert!(
        first.contains("UBND xã Chiềng Sơn") && first.contains("Đăng ký khai sinh"),
        "{first}"
    );
    assert!(first.contains("→ Rất không hài lòng"), "{first}");
    assert!(
        first.contains("gây phiền hà, sách nhiễu") && first.contains("→ Có"),
        "{first}"
    );
    assert!(first.contains("Mã hồ sơ: HS-ALERT-1"), "consented: {first}");
    let second = &messages[2].text;
    assert!(second.contains("ngoài quy định"), "{second}");
    assert!(
        !second.contains("HS-ALERT-2"),
        "no consent, no dossier: {second}"
    );
    assert_eq!(
        harness.running().run_alerts().await.unwrap(),
        0,
        "each response alerts once"
    );
    harness.outbox_settled().await;
    assert_eq!(harness.fake.messages_to(GROUP).len(), 3);
    harness.finish().await;
}

#[test]
fn the_summary_command_gives_text_json_and_a_png() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_sipas-bot"))
            .args(args)
            .current_dir(dir.path())
            .env("DATABASE_URL", "sqlite://./data/demo.db")
            .env_remove("SIPAS_LANG")
            .output()
            .unwrap()
    };
    // The demo spreads its citizens over six weeks: the week just ended has as many as the
    // old demo put in one week with 60.
    let demo = run(&["demo", "--citizens", "900"]);
    assert!(demo.status.success());
    let week = Week::containing(Utc::now()).previous().label();
    let text = run(&[
        "summary",
        "--agency",
        "T14",
        "--week",
        &week,
        "--points-max",
        "24",
    ]);
    assert!(
        text.status.success(),
        "{}",
        String::from_utf8_lossy(&text.stderr)
    );
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.contains(&format!("BÁO CÁO SIPAS TUẦN {week}")),
        "{text}"
    );
    let json = run(&[
        "summary", "--agency", "T14", "--week", &week, "--format", "json",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["week"], week);
    assert_eq!(json["factors"].as_array().unwrap().len(), 5);
    // The headline is the index weighted to the dossiers.
    let weighted = json["weighted"]["index"].as_f64().unwrap();
    assert!(
        text.contains(&format!(
            "Chỉ số SIPAS chung (hiệu chỉnh theo số hồ sơ): {}",
            sipas_bot::core::i18n::percent(weighted, Lang::Vi)
        )),
        "text and JSON agree"
    );
    assert!(json["weighted"]["strata"].as_array().unwrap().len() > 9);
    assert!(json["weighted"]["margin"].as_f64().unwrap() > 0.0);
    assert_eq!(json["response_rates"]["by_channel"][0]["key"], "direct");
    let png = run(&[
        "summary",
        "--agency",
        "T14",
        "--week",
        &week,
        "--format",
        "png",
        "--output",
        "chart.png",
    ]);
    assert!(png.status.success());
    let bytes = std::fs::read(dir.path().join("chart.png")).unwrap();
    let info = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .unwrap()
        .info()
        .clone();
    // Portrait and 1080 px wide, so its text stays readable on a phone; taller with more units.
    assert_eq!(info.width, sipas_bot::core::summary::chart::WIDTH);
    assert!(
        (1_200..=2_400).contains(&info.height),
        "height {}",
        info.height
    );
    let year = Utc::now()
        .with_timezone(&sipas_bot::core::clock::vietnam())
        .format("%Y")
        .to_string();
    let yearly = run(&[
        "summary",
        "--agency",
        "T14",
        "--period",
        &year,
        "--points-max",
        "24",
    ]);
    assert!(
        yearly.status.success(),
        "{}",
        String::from_utf8_lossy(&yearly.stderr)
    );
    let yearly = String::from_utf8(yearly.stdout).unwrap();
    assert!(
        yearly.contains(&format!(
            "BÁO CÁO SIPAS NĂM {year} (01/01/{year} – 31/12/{year})"
        )),
        "{yearly}"
    );
    let bad = run(&["summary", "--agency", "T14", "--period", "2026-13"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("kỳ “2026-13” không hợp lệ"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    let unknown = run(&["summary", "--agency", "NOPE"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("không có cơ quan mã “NOPE”"));
}

#[tokio::test]
async fn a_channel_subscribes_and_unsubscribes_by_its_own_posts() {
    let harness = Harness::start().await;
    seed_agencies(&harness.db).await;
    let channel = -100_900_800;
    let code = issue_code(&harness.db, "T14", vn(30, 9)).await;
    harness
        .fake
        .push_channel_post(channel, &format!("/subscribe {code}"));
    let done = harness.messages(channel, 1).await;
    assert!(
        done[0].text.contains("UBND tỉnh Sơn La"),
        "{}",
        done[0].text
    );
    assert_eq!(
        harness.db.subscriptions().await.unwrap()[0]
            .chat_title
            .as_deref(),
        Some("Kênh SIPAS")
    );
    // Only administrators post in a channel: its /unsubscribe needs no further check.
    harness.fake.push_channel_post(channel, "/unsubscribe");
    let ended = harness.messages(channel, 2).await;
    assert!(ended[1].text.contains("Đã hủy"), "{}", ended[1].text);
    assert!(!harness.db.subscriptions().await.unwrap()[0].active);
    harness.finish().await;
}

#[tokio::test]
async fn a_command_for_another_bot_is_left_to_it_and_ours_is_answered() {
    let harness = Harness::start().await;
    seed_agencies(&harness.db).await;
    let bot = common::fake_telegram::BOT_USERNAME;
    // Updates are handled in order: once the reply to the last one has arrived, the earlier
    // ones were handled, and a settled outbox shows they sent nothing.
    harness
        .fake
        .push_group_text(GROUP, MEMBER, "/help@other_bot");
    harness
        .fake
        .push_group_text(GROUP, MEMBER, "/report@other_bot");
    harness
        .fake
        .push_group_text(GROUP, MEMBER, "/subscribe@other_bot AAAA-BBBB-CCCC");
    let help = group_says(&harness, MEMBER, &format!("/help@{bot}")).await;
    harness.outbox_settled().await;
    let sent = harness.fake.messages_to(GROUP);
    assert_eq!(sent.len(), 1, "only our own command is answered: {sent:#?}");
    assert!(help.text.contains("/subscribe"), "{}", help.text);
    assert!(help.text.contains("/report"), "{}", help.text);
    harness.finish().await;
}

#[tokio::test]
async fn help_posted_in_a_channel_answers_with_help() {
    let harness = Harness::start().await;
    seed_agencies(&harness.db).await;
    let channel = -100_900_801;
    harness.fake.push_channel_post(channel, "/help@other_bot");
    harness.fake.push_channel_post(channel, "/help");
    let help = harness.messages(channel, 1).await;
    harness.outbox_settled().await;
    let sent = harness.fake.messages_to(channel);
    assert_eq!(sent.len(), 1, "one answer, to our /help: {sent:#?}");
    assert!(help[0].text.contains("/subscribe"), "{}", help[0].text);
    assert!(
        !help[0].text.contains("chưa đăng ký nhận báo cáo"),
        "help, not the report: {}",
        help[0].text
    );
    // Addressed to us by name, it is answered the same way.
    let bot = common::fake_telegram::BOT_USERNAME;
    harness
        .fake
        .push_channel_post(channel, &format!("/help@{bot}"));
    let again = harness.messages(channel, 2).await;
    assert_eq!(again[1].text, help[0].text);
    harness.finish().await;
}

#[tokio::test]
async fn serve_computes_summaries_with_the_target_and_procedure_minimum_it_was_given() {
    let harness = Harness::start_with(
        common::TestDb::sqlite(),
        &[
            ("SIPAS_TARGET", "95"),
            ("SUMMARY_PROCEDURE_MIN_RESPONSES", "2"),
        ],
    )
    .await;
    seed_agencies(&harness.db).await;
    respond(
        &harness.db,
        "sipas-short",
        "HS-1",
        "T14.H01",
        &GOOD,
        vn(17, 10),
    )
    .await;
    respond(
        &harness.db,
        "sipas-short",
        "HS-2",
        "T14.H02",
        &POOR,
        vn(18, 10),
    )
    .await;
    let week = Week::parse("2026-W47").unwrap();
    let weekly = &harness.running().weekly;
    let summary = weekly.summary("T14", week, None).await.unwrap();
    assert_eq!(summary.procedures.min_responses, 2);
    assert_eq!(
        summary.procedures.lowest.len(),
        1,
        "two responses are enough for the lowest-rated list"
    );
    let text = sipas_bot::core::summary::render::text(
        &sipas_bot::core::i18n::Locales::load(),
        Lang::Vi,
        &summary,
    );
    assert!(text.contains("(từ 2 phản hồi trở lên)"), "{text}");
    let locales = sipas_bot::core::i18n::Locales::load();
    assert_eq!(
        weekly.chart(&summary),
        sipas_bot::core::summary::chart::png_with_target(&locales, Lang::Vi, &summary, 0.95),
        "the chart's target line is SIPAS_TARGET"
    );
    assert_ne!(
        weekly.chart(&summary),
        sipas_bot::core::summary::chart::png_with_target(&locales, Lang::Vi, &summary, 0.90)
    );
    harness.finish().await;
}
