//! The Zalo channel's foundations against a loopback fake Zalo API (tests/common/fake_zalo.rs)
//! and real databases: the webhook signature, events, phone numbers, messages with query
//! buttons, and the token chain (refresh on -216, a restart, two instances at once).

use crate::common::{self, fake_zalo};

use chrono::{TimeZone, Utc};
use common::TestDb;
use fake_zalo::FakeZalo;
use serde_json::json;
use sipas_bot::channels::zalo::{
    self, ErrorClass, Feedback, OutboundMessage, PhoneError, PhoneNumber, SignatureError,
    TokenManager, ZaloApi, ZaloEvent, ZaloSettings,
};
use sipas_bot::core::clock::{Clock, ManualClock};
use sipas_bot::core::flow::{self, Lang};
use sipas_bot::core::i18n::Locales;
use sipas_bot::core::survey::{Button, SurveyState};
use sipas_bot::storage::Db;
use std::sync::Arc;
use std::time::Duration;

const CS: &str = "/v3.0/oa/message/cs";
const REFRESH: &str = "/v4/oa/access_token";

fn settings(fake: &FakeZalo) -> ZaloSettings {
    let env = fake.env();
    ZaloSettings::from_lookup(|name| env.get(name).cloned())
        .unwrap()
        .expect("configured")
}

fn manager(fake: &FakeZalo, db: &Db, clock: &ManualClock) -> TokenManager {
    let settings = settings(fake);
    TokenManager::new(
        db.clone(),
        ZaloApi::new(&settings),
        &settings,
        Arc::new(clock.clone()),
    )
}

fn clock() -> ManualClock {
    ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 23, 3, 0, 0).unwrap())
}

fn signed(body: &str) -> String {
    zalo::signature_header(fake_zalo::APP_ID, body.as_bytes(), fake_zalo::OA_SECRET_KEY).unwrap()
}

#[test]
fn the_webhook_signature_is_checked_on_the_raw_body_and_the_timestamp() {
    let sent = Utc.with_ymd_and_hms(2026, 11, 23, 3, 0, 0).unwrap();
    // Spacing kept as Zalo sent it: re-serialising would change the hash.
    let body = format!(
        r#"{{"app_id": "{}", "event_name": "follow", "follower": {{"id": "u1"}}, "timestamp": "{}"}}"#,
        fake_zalo::APP_ID,
        sent.timestamp_millis()
    );
    let header = signed(&body);
    let verify = |header: Option<&str>, body: &str, now| {
        zalo::verify(
            header,
            body.as_bytes(),
            fake_zalo::APP_ID,
            fake_zalo::OA_SECRET_KEY,
            now,
            chrono::Duration::hours(24),
        )
    };
    assert_eq!(verify(Some(&header), &body, sent), Ok(()));
    assert_eq!(
        verify(Some(&header), &body, sent + chrono::Duration::minutes(4)),
        Ok(())
    );
    // Bad: another key, a tampered body, a re-serialised body, no header.
    let other = zalo::signature_header(fake_zalo::APP_ID, body.as_bytes(), "wrong").unwrap();
    assert_eq!(
        verify(Some(&other), &body, sent),
        Err(SignatureError::Mismatch)
    );
    let tampered = body.replace("u1", "u2");
    assert_eq!(
        verify(Some(&header), &tampered, sent),
        Err(SignatureError::Mismatch)
    );
    let reserialised =
        serde_json::to_string(&serde_json::from_str::<serde_json::Value>(&body).unwrap()).unwrap();
    assert_eq!(
        verify(Some(&header), &reserialised, sent),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify(None, &body, sent),
        Err(SignatureError::MissingHeader)
    );
    // Zalo retries for hours: a correct signature 15 minutes late is accepted, one older than
    // ZALO_EVENT_MAX_AGE_HOURS is not; more than five minutes in the future is refused.
    assert_eq!(
        verify(Some(&header), &body, sent + chrono::Duration::minutes(15)),
        Ok(())
    );
    assert_eq!(
        verify(Some(&header), &body, sent + chrono::Duration::hours(25)),
        Err(SignatureError::Stale)
    );
    assert_eq!(
        verify(Some(&header), &body, sent - chrono::Duration::minutes(6)),
        Err(SignatureError::Future)
    );
}

#[test]
fn phone_numbers_become_the_international_form() {
    for input in [
        "0912345678",
        "+84 912 345 678",
        "84912345678",
        "0912.345.678",
        "(+84) 912-345-678",
        "0084912345678",
    ] {
        assert_eq!(
            PhoneNumber::parse(input).map(|p| p.as_str().to_string()),
            Ok("84912345678".to_string()),
            "{input}"
        );
    }
    assert_eq!(PhoneNumber::parse("  "), Err(PhoneError::Empty));
    assert_eq!(
        PhoneNumber::parse("09123x5678"),
        Err(PhoneError::BadCharacter)
    );
    for bad in [
        "091234567",
        "09123456789",
        "0212345678",
        "+1 912 345 678",
        "84",
    ] {
        assert_eq!(
            PhoneNumber::parse(bad),
            Err(PhoneError::NotVietnameseMobile),
            "{bad}"
        );
    }
    let phone = PhoneNumber::parse("0912345678").unwrap();
    assert!(!format!("{phone:?}").contains("912345"));
}

#[test]
fn events_parse_and_feedback_is_read_wherever_its_fields_are() {
    let text = ZaloEvent::parse(
        r#"{"app_id":"1","sender":{"id":"u1"},"recipient":{"id":"oa"},"user_id_by_app":"x",
            "event_name":"user_send_text","message":{"text":"Hài lòng [a|access|4]","msg_id":"m9"},
            "timestamp":"1763870400000"}"#
            .as_bytes(),
    )
    .unwrap();
    let ZaloEvent::UserSendText { text, .. } = &text else {
        panic!("{text:?}")
    };
    assert_eq!(
        zalo::parse_query_payload(text),
        Some(("access".into(), Button::Scale(4)))
    );
    let follow = ZaloEvent::parse(
        r#"{"oa_id":"oa","follower":{"id":"u7"},"event_name":"follow","source":"qr","timestamp":"5"}"#.as_bytes(),
    )
    .unwrap();
    assert_eq!(
        follow,
        ZaloEvent::Follow {
            user_id: "u7".into(),
            timestamp: "5".into()
        }
    );
    let top = ZaloEvent::parse(
        r#"{"event_name":"user_feedback","sender":{"id":"u1"},"rate":"4","note":"Nhanh",
            "feedbacks":["Thái độ tốt","Đúng hẹn"],"msg_id":"z1","tracking_id":"inv-1","timestamp":"6"}"#.as_bytes(),
    )
    .unwrap();
    let nested = ZaloEvent::parse(
        r#"{"event_name":"user_feedback","sender":{"id":"u1"},"timestamp":"6",
            "message":{"rate":4,"note":"Nhanh","feedbacks":["Thái độ tốt","Đúng hẹn"],
            "msgId":"z1","trackingId":"inv-1"}}"#
            .as_bytes(),
    )
    .unwrap();
    let expected = ZaloEvent::UserFeedback(Feedback {
        user_id: Some("u1".into()),
        rate: Some(4),
        note: Some("Nhanh".into()),
        feedbacks: vec!["Thái độ tốt".into(), "Đúng hẹn".into()],
        msg_id: Some("z1".into()),
        tracking_id: Some("inv-1".into()),
        timestamp: "6".into(),
    });
    assert_eq!(top, expected);
    assert_eq!(nested, expected);
    assert_eq!(top.dedup_key(), "feedback:z1");
    let odd =
        ZaloEvent::parse(r#"{"event_name":"user_feedback","rate":9,"timestamp":"7"}"#.as_bytes())
            .unwrap();
    assert!(matches!(
        odd,
        ZaloEvent::UserFeedback(Feedback { rate: None, .. })
    ));
    let unknown = ZaloEvent::parse(
        r#"{"event_name":"user_received_message","message":{"msg_id":3}}"#.as_bytes(),
    )
    .unwrap();
    assert_eq!(unknown.event_name(), "user_received_message");
    assert!(ZaloEvent::parse(b"not json").is_err());
}

#[tokio::test]
async fn a_question_reaches_zalo_as_text_with_query_buttons() {
    let fake = FakeZalo::start().await;
    let test_db = TestDb::sqlite();
    let db = test_db.open().await;
    let clock = clock();
    let tokens = manager(&fake, &db, &clock);
    let short = flow::builtin()
        .into_iter()
        .find(|f| f.id == "sipas-short")
        .unwrap();
    let locales = Locales::load();
    let prompt =
        sipas_bot::core::prompt::question(&locales, Lang::Vi, &short, &SurveyState::new(&short))
            .unwrap();
    let message = zalo::from_prompt(&locales, Lang::Vi, &prompt);
    let sent = tokens.send_consultation("u-42", &message).await.unwrap();
    assert_eq!(sent.message_id.as_deref(), Some("mid-1"));
    let calls = fake.calls(CS);
    assert_eq!(calls.len(), 1);
    let call = &calls[0];
    assert_eq!(call.error, 0);
    assert_eq!(call.access_token.as_deref(), Some("at-1"));
    assert_eq!(call.body["recipient"]["user_id"], "u-42");
    let text = call.body["message"]["text"].as_str().unwrap();
    assert!(text.starts_with("Câu 1/7\n"), "{text}");
    assert!(text.contains("“Bỏ qua”"), "{text}");
    let attachment = &call.body["message"]["attachment"];
    assert_eq!(attachment["type"], "template");
    let buttons = attachment["payload"]["buttons"].as_array().unwrap();
    assert_eq!(buttons.len(), zalo::MAX_BUTTONS);
    let titles: Vec<&str> = buttons
        .iter()
        .map(|b| b["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Rất hài lòng",
            "Hài lòng",
            "Bình thường",
            "Không hài lòng",
            "Rất không hài lòng"
        ]
    );
    for (button, value) in buttons.iter().zip([5, 4, 3, 2, 1]) {
        assert_eq!(button["type"], "oa.query.show");
        // The press comes back as a text message carrying the payload.
        assert_eq!(
            zalo::parse_query_payload(button["payload"].as_str().unwrap()),
            Some(("access".into(), Button::Scale(value)))
        );
    }
    // A plain text goes out without an attachment; a window closed is classified, not retried.
    fake.fail_next(CS, -230);
    let err = tokens
        .send_consultation("u-42", &OutboundMessage::text("Cảm ơn Ông/Bà"))
        .await
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::WindowClosed);
    assert_eq!(fake.calls(CS).len(), 2);
    tokens
        .send_consultation("u-42", &OutboundMessage::text("Cảm ơn Ông/Bà"))
        .await
        .unwrap();
    assert!(
        fake.calls(CS)[2].body["message"]
            .get("attachment")
            .is_none()
    );
    db.close().await;
    test_db.cleanup().await;
}

#[tokio::test]
async fn an_expired_access_token_is_refreshed_and_the_message_delivered_once() {
    let fake = FakeZalo::start().await;
    let test_db = TestDb::sqlite();
    let db = test_db.open().await;
    let clock = clock();
    let tokens = manager(&fake, &db, &clock);
    let message = OutboundMessage::text("Câu 1/7");
    tokens.send_consultation("u1", &message).await.unwrap();
    assert_eq!(fake.refreshes(), 1);

    fake.expire_access_tokens();
    tokens.send_consultation("u1", &message).await.unwrap();
    let calls = fake.calls(CS);
    let outcomes: Vec<(i64, Option<&str>)> = calls
        .iter()
        .map(|c| (c.error, c.access_token.as_deref()))
        .collect();
    assert_eq!(
        outcomes,
        [(0, Some("at-1")), (-216, Some("at-1")), (0, Some("at-2"))]
    );
    assert_eq!(fake.refreshes(), 2);

    // A second -216 after the refresh is not retried again: no loop.
    fake.fail_next(CS, -216);
    fake.fail_next(CS, -220);
    let err = tokens.send_consultation("u1", &message).await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::Token);
    assert_eq!(fake.calls(CS).len(), 5);
    assert_eq!(fake.refreshes(), 3);
    assert_eq!(fake.reused_refresh_tokens(), 0);
    db.close().await;
    test_db.cleanup().await;
}

#[tokio::test]
async fn the_refresh_chain_survives_a_restart() {
    for test_db in TestDb::all().await {
        let fake = FakeZalo::start().await;
        let clock = clock();
        let db = test_db.open().await;
        let first = manager(&fake, &db, &clock);
        first.access_token().await.unwrap();
        assert_eq!(fake.live_refresh_token(), "rt-1", "{}", test_db.name);
        // The process ends right after the refresh: nothing of it survives but the database.
        drop(first);
        db.close().await;

        // The settings still name the first refresh token, which Zalo has spent.
        let db = test_db.open().await;
        let second = manager(&fake, &db, &clock);
        fake.expire_access_tokens();
        second
            .send_consultation("u1", &OutboundMessage::text("Câu 1/7"))
            .await
            .unwrap();
        assert_eq!(fake.refreshes(), 2, "{}", test_db.name);

        // An idle OA rotates its refresh token well before three months.
        assert!(!second.rotate_if_due().await.unwrap());
        clock.advance(chrono::Duration::days(31));
        assert!(second.rotate_if_due().await.unwrap());
        assert_eq!(fake.live_refresh_token(), "rt-3");
        assert_eq!(
            db.zalo_token(fake_zalo::OA_ID)
                .await
                .unwrap()
                .unwrap()
                .generation,
            3
        );
        assert_eq!(fake.reused_refresh_tokens(), 0, "{}", test_db.name);

        // A manager that never saw the database's token (another database) spends the dead
        // first token: Zalo refuses, and the error says the authorization is lost.
        let other_db = TestDb::sqlite();
        let lost = manager(&fake, &other_db.open().await, &clock);
        let err = lost.access_token().await.unwrap_err();
        assert_eq!(err.class(), ErrorClass::Unauthorized, "{err}");
        assert_eq!(fake.reused_refresh_tokens(), 1);
        db.close().await;
        test_db.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_refreshing_at_once_keep_the_chain() {
    for test_db in TestDb::all().await {
        let fake = FakeZalo::start().await;
        // Each refresh answer waits until a second refresh arrives (or 300 ms): without the
        // database lock, the other instance would spend the same refresh token meanwhile.
        fake.hold_refresh(Duration::from_millis(300));
        let clock = clock();
        let db_a = test_db.open().await;
        let db_b = Db::connect(&test_db.url).await.unwrap();
        let a = manager(&fake, &db_a, &clock);
        let b = manager(&fake, &db_b, &clock);

        // Both start with no token at all.
        let (token_a, token_b) = tokio::join!(a.access_token(), b.access_token());
        let (token_a, token_b) = (token_a.unwrap(), token_b.unwrap());
        assert_eq!(token_a, token_b, "{}", test_db.name);
        assert_eq!(fake.refreshes(), 1, "{}", test_db.name);

        // Both find the token refused at once.
        fake.expire_access_tokens();
        let message = OutboundMessage::text("Câu 1/7");
        let (sent_a, sent_b) = tokio::join!(
            a.send_consultation("u1", &message),
            b.send_consultation("u2", &message)
        );
        sent_a.unwrap();
        sent_b.unwrap();
        assert_eq!(fake.refreshes(), 2, "{}", test_db.name);
        assert_eq!(fake.reused_refresh_tokens(), 0, "{}", test_db.name);
        let delivered = fake.calls(CS).iter().filter(|c| c.error == 0).count();
        assert_eq!(delivered, 2, "{}", test_db.name);
        assert!(
            fake.calls(REFRESH).iter().all(|c| c.error == 0),
            "{}",
            test_db.name
        );
        assert_eq!(
            b.stored_refresh_token().await.unwrap().unwrap().expose(),
            fake.live_refresh_token()
        );
        // Sealed at rest: the database never holds the token itself.
        let raw = db_b.zalo_token(fake_zalo::OA_ID).await.unwrap().unwrap();
        assert!(
            !raw.refresh_token
                .expose()
                .contains(&fake.live_refresh_token()),
            "{}",
            test_db.name
        );
        assert!(raw.refresh_token.expose().starts_with("v1:"));
        let _ = clock.now();
        db_a.close().await;
        db_b.close().await;
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn template_messages_and_the_rating_query_use_the_business_api() {
    let fake = FakeZalo::start().await;
    let test_db = TestDb::sqlite();
    let db = test_db.open().await;
    let clock = clock();
    let tokens = manager(&fake, &db, &clock);
    let phone = PhoneNumber::parse("+84 912 345 678").unwrap();
    let data = json!({"ma_ho_so": "H01.23"});
    let sent = tokens
        .send_template_to_phone(&phone, "tpl-7", &data, "inv-1")
        .await
        .unwrap();
    assert_eq!(sent.message_id.as_deref(), Some("tmid-1"));
    let call = &fake.calls("/message/template")[0];
    // Development mode (the default) marks every template.
    assert_eq!(
        call.body,
        json!({"phone": "84912345678", "template_id": "tpl-7", "template_data": data,
               "tracking_id": "inv-1", "mode": "development"})
    );
    // By user id: a top-level user_id, no recipient wrapper, no tracking id; the answer's
    // data.message_id is the id.
    let sent = tokens
        .send_template_to_user("u1", "tpl-7", &data)
        .await
        .unwrap();
    assert_eq!(sent.message_id.as_deref(), Some("tmid-2"));
    let call = &fake.calls("/v3.0/oa/message/template")[0];
    assert_eq!(call.error, 0, "{call:?}");
    assert_eq!(
        call.body,
        json!({"user_id": "u1", "template_id": "tpl-7", "template_data": data,
               "mode": "development"})
    );
    fake.set_ratings(vec![json!({"rate": 5, "note": "", "feedbacks": ["Nhanh"],
        "msgId": "tmid-1", "trackingId": "inv-1", "submitDate": "1763870400000"})]);
    let query = zalo::RatingQuery {
        template_id: "tpl-7".into(),
        from_time: 0,
        to_time: 1_763_870_400_000,
        offset: 0,
        limit: 100_000,
    };
    let ratings = tokens
        .call(|token| {
            let api = tokens.api().clone();
            let query = query.clone();
            async move { api.ratings(&token, &query).await }
        })
        .await
        .unwrap();
    assert_eq!(ratings.len(), 1);
    assert_eq!(ratings[0].rate, Some(5));
    assert_eq!(ratings[0].tracking_id.as_deref(), Some("inv-1"));
    assert_eq!(ratings[0].msg_id.as_deref(), Some("tmid-1"));
    assert_eq!(ratings[0].note, None);
    let call = &fake.calls("/rating/get")[0];
    assert_eq!((call.method.as_str(), call.error), ("GET", 0));
    assert_eq!(call.query["template_id"], "tpl-7");
    assert_eq!(call.query["to_time"], "1763870400000");
    // The page never asks for more than Zalo's 10,000.
    assert_eq!(call.query["limit"], "10000");
    db.close().await;
    test_db.cleanup().await;
}

#[tokio::test]
async fn production_mode_sends_templates_without_the_development_flag() {
    let fake = FakeZalo::start().await;
    let test_db = TestDb::sqlite();
    let db = test_db.open().await;
    let clock = clock();
    let mut env = fake.env();
    env.insert("ZALO_TEMPLATE_MODE".into(), "production".into());
    let settings = ZaloSettings::from_lookup(|name| env.get(name).cloned())
        .unwrap()
        .unwrap();
    let tokens = TokenManager::new(
        db.clone(),
        ZaloApi::new(&settings),
        &settings,
        Arc::new(clock.clone()),
    );
    let phone = PhoneNumber::parse("0912345678").unwrap();
    tokens
        .send_template_to_phone(&phone, "tpl-7", &json!({"ma": "X"}), "inv-1")
        .await
        .unwrap();
    tokens
        .send_template_to_user("u1", "tpl-7", &json!({"ma": "X"}))
        .await
        .unwrap();
    for path in ["/message/template", "/v3.0/oa/message/template"] {
        let call = &fake.calls(path)[0];
        assert_eq!(call.error, 0, "{call:?}");
        assert!(call.body.get("mode").is_none(), "{path}: {}", call.body);
    }
    db.close().await;
    test_db.cleanup().await;
}

#[tokio::test]
async fn the_fake_refuses_what_zalo_refuses() {
    let fake = FakeZalo::start().await;
    let http = reqwest::Client::new();
    let test_db = TestDb::sqlite();
    let db = test_db.open().await;
    let clock = clock();
    let token = manager(&fake, &db, &clock).access_token().await.unwrap();
    let answer = |request: reqwest::RequestBuilder| async move {
        let value: serde_json::Value = request.send().await.unwrap().json().await.unwrap();
        value["error"].as_i64().unwrap()
    };
    // A JSON body on rating/get.
    let body = json!({"template_id": "t", "from_time": 0, "to_time": 1, "offset": 0, "limit": 10});
    let url = format!("{}/rating/get", fake.url());
    assert_eq!(
        answer(
            http.post(&url)
                .header("access_token", token.expose())
                .json(&body)
        )
        .await,
        -201
    );
    // A recipient wrapper on a template by user id.
    let url = format!("{}/v3.0/oa/message/template", fake.url());
    let body = json!({"recipient": {"user_id": "u1"}, "template_id": "t", "template_data": {}});
    assert_eq!(
        answer(
            http.post(&url)
                .header("access_token", token.expose())
                .json(&body)
        )
        .await,
        -201
    );
    // No access_token header (a Bearer header is not it).
    let body = json!({"user_id": "u1", "template_id": "t", "template_data": {}});
    assert_eq!(
        answer(http.post(&url).bearer_auth(token.expose()).json(&body)).await,
        -216
    );
    // Any code on either host.
    fake.fail_next("/message/template", -124);
    fake.fail_next("/v3.0/oa/message/template", -124);
    let phone = json!({"phone": "84912345678", "template_id": "t", "template_data": {}});
    let business = format!("{}/message/template", fake.url());
    assert_eq!(
        answer(
            http.post(&business)
                .header("access_token", token.expose())
                .json(&phone)
        )
        .await,
        -124
    );
    assert_eq!(
        answer(
            http.post(&url)
                .header("access_token", token.expose())
                .json(&body)
        )
        .await,
        -124
    );
    assert_eq!(
        zalo::ErrorClass::of(zalo::Host::Business, -124),
        ErrorClass::Token
    );
    assert_eq!(
        zalo::ErrorClass::of(zalo::Host::Oa, -124),
        ErrorClass::Permanent
    );
    db.close().await;
    test_db.cleanup().await;
}

#[tokio::test]
async fn the_inbox_stores_an_event_once_and_hands_it_out_once() {
    for test_db in TestDb::all().await {
        let db = test_db.open().await;
        let now = clock().now();
        let body = r#"{"event_name":"user_send_text","sender":{"id":"u1"},"message":{"text":"5","msg_id":"m1"},"timestamp":"1"}"#;
        let event = ZaloEvent::parse(body.as_bytes()).unwrap();
        assert!(
            db.store_zalo_event(&event.dedup_key(), event.event_name(), body, now)
                .await
                .unwrap()
        );
        assert!(
            !db.store_zalo_event(&event.dedup_key(), event.event_name(), body, now)
                .await
                .unwrap()
        );
        let lease = now + chrono::Duration::seconds(30);
        let claimed = db.claim_zalo_events("a", now, lease, 10).await.unwrap();
        assert_eq!(claimed.len(), 1, "{}", test_db.name);
        assert_eq!(claimed[0].body, body);
        assert!(
            db.claim_zalo_events("b", now, lease, 10)
                .await
                .unwrap()
                .is_empty()
        );
        // A dead instance's lease runs out and the event is taken over.
        let later = lease + chrono::Duration::seconds(1);
        let taken = db
            .claim_zalo_events("b", later, later + chrono::Duration::seconds(30), 10)
            .await
            .unwrap();
        assert_eq!(taken.len(), 1);
        assert_eq!(taken[0].attempts, 1);
        db.finish_zalo_event(taken[0].id, later).await.unwrap();
        let much_later = later + chrono::Duration::hours(1);
        assert!(
            db.claim_zalo_events("c", much_later, much_later, 10)
                .await
                .unwrap()
                .is_empty()
        );
        db.close().await;
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn a_receipt_code_opens_its_invitation_and_wrong_codes_are_rate_limited() {
    use sipas_bot::storage::zalo::{AttemptLimit, ReceiptCodeError, normalize_receipt_code};
    use sipas_bot::storage::{Agency, AgencyLevel, NewNotice, SubmissionChannel};
    for test_db in TestDb::all().await {
        let db = test_db.open().await;
        let now = clock().now();
        db.upsert_agency(
            &Agency {
                code: "T1".into(),
                name: "UBND tỉnh Mẫu".into(),
                parent_code: None,
                level: AgencyLevel::Tinh,
            },
            now,
        )
        .await
        .unwrap();
        let flow_id = db.latest_flow("sipas-short").await.unwrap().unwrap().id;
        let notice = NewNotice {
            dossier_code: "H01.2026.000123".into(),
            agency_code: "T1".into(),
            procedure_code: "1.001612".into(),
            procedure_name: "Đăng ký khai sinh".into(),
            submission_channel: SubmissionChannel::Direct,
            completed_at: now,
            recipient_chat_id: None,
        };
        let token = db
            .submit_notice(&notice, flow_id, chrono::Duration::days(7), now)
            .await
            .unwrap()
            .invitation()
            .token
            .clone();
        let expires = now + chrono::Duration::days(7);
        let code = db.create_receipt_code(&token, expires, now).await.unwrap();
        assert_eq!(
            db.create_receipt_code(&token, expires, now).await.unwrap(),
            code
        );
        assert_eq!(
            normalize_receipt_code(&code).as_deref(),
            Some(code.as_str())
        );
        let limit = AttemptLimit {
            max_failures: 5,
            window: chrono::Duration::hours(1),
        };
        // Five wrong codes, then even the right one is refused for the rest of the hour.
        for wrong in ["AAAA-AAAA", "hello", "2345 6789", "ZZZZZZZZ", "A-B-C"] {
            assert!(matches!(
                db.redeem_receipt_code(wrong, "guesser", limit, now).await,
                Err(ReceiptCodeError::Unknown)
            ));
        }
        assert!(matches!(
            db.redeem_receipt_code(&code, "guesser", limit, now).await,
            Err(ReceiptCodeError::TooManyAttempts)
        ));
        // The citizen types it loosely; the same citizen may send it again; nobody else may.
        let typed = code.to_lowercase().replace('-', " ");
        assert_eq!(
            db.redeem_receipt_code(&typed, "citizen", limit, now)
                .await
                .unwrap(),
            token,
            "{}",
            test_db.name
        );
        assert_eq!(
            db.redeem_receipt_code(&code, "citizen", limit, now)
                .await
                .unwrap(),
            token
        );
        let later = now + chrono::Duration::minutes(61);
        assert!(matches!(
            db.redeem_receipt_code(&code, "guesser", limit, later).await,
            Err(ReceiptCodeError::Used)
        ));
        db.close().await;
        test_db.cleanup().await;
    }
}
