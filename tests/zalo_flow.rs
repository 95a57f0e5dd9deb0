//! The Zalo channel end to end: `serve` with Zalo configured (beside the fake Telegram), signed
//! webhook posts over a real socket to `POST /zalo/webhook`, the inbox worker, and the outbox
//! delivered through `ZaloTransport` by the delivery core's worker against the fake Zalo API;
//! [`deliver`] waits for that worker to settle.

use crate::common::server::{Harness, notice_body};
use crate::common::{TestDb, fake_zalo};

use fake_zalo::FakeZalo;
use serde_json::{Value, json};
use sipas_bot::channels::zalo;
use sipas_bot::channels::zalo::runtime::ZaloRunning;
use sipas_bot::core::clock::Clock;
use sipas_bot::services::delivery::Outcome;
use sipas_bot::storage::{InvitationStatus, OutboxStatus};
use std::sync::atomic::{AtomicU64, Ordering};

pub(crate) const CS: &str = "/v3.0/oa/message/cs";
pub(crate) const TEMPLATE_BY_PHONE: &str = "/message/template";
pub(crate) const TEMPLATE_ID: &str = "tpl-rating-1";

static NEXT_MSG: AtomicU64 = AtomicU64::new(1);

pub(crate) async fn start() -> (Harness, FakeZalo) {
    start_on(TestDb::sqlite()).await
}

pub(crate) async fn start_on(test_db: TestDb) -> (Harness, FakeZalo) {
    let fake = FakeZalo::start().await;
    let mut env: Vec<(String, String)> = fake.env().into_iter().collect();
    env.push(("ZALO_INVITATION_TEMPLATE_ID".into(), TEMPLATE_ID.into()));
    let extra: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let harness = Harness::start_with(test_db, &extra).await;
    (harness, fake)
}

pub(crate) fn zalo(h: &Harness) -> &ZaloRunning {
    h.running().zalo.as_ref().expect("Zalo is configured")
}

/// Posts `body` to the webhook, signed as Zalo signs it (or with `signature` when given).
pub(crate) async fn post_raw(h: &Harness, body: &str, signature: Option<String>) -> u16 {
    let signature = signature.unwrap_or_else(|| {
        zalo::signature_header(fake_zalo::APP_ID, body.as_bytes(), fake_zalo::OA_SECRET_KEY)
            .unwrap()
    });
    h.http
        .post(format!("{}/zalo/webhook", h.base))
        .header("X-ZEvent-Signature", signature)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

pub(crate) fn now_ms(h: &Harness) -> String {
    h.clock.now().timestamp_millis().to_string()
}

pub(crate) fn text_event(h: &Harness, user: &str, text: &str) -> String {
    let msg_id = format!("msg-{}", NEXT_MSG.fetch_add(1, Ordering::SeqCst));
    json!({
        "app_id": fake_zalo::APP_ID,
        "sender": {"id": user},
        "recipient": {"id": fake_zalo::OA_ID},
        "event_name": "user_send_text",
        "message": {"text": text, "msg_id": msg_id},
        "timestamp": now_ms(h),
    })
    .to_string()
}

/// Waits until the inbox worker has processed every stored event.
pub(crate) async fn inbox_settled(h: &Harness) {
    let mut passes = zalo(h).inbox.subscribe();
    let wait = async {
        loop {
            if h.db.zalo_events_unprocessed().await.unwrap() == 0 {
                return;
            }
            passes.changed().await.expect("inbox worker alive");
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(15), wait)
        .await
        .expect("the inbox settles");
}

/// Wakes the delivery core's Zalo worker, waits until every due Zalo row is tried, and returns
/// the outcomes of the sends since the last call.
pub(crate) async fn deliver(h: &Harness) -> Vec<Outcome> {
    let worker = h.running().zalo_sender.clone().expect("Zalo's worker runs");
    let mut passes = worker.subscribe();
    h.running().notify_outbox();
    let wait = async {
        loop {
            let now = h.clock.now();
            if h.db.outbox_unsettled(zalo::CHANNEL, now).await.unwrap() == 0 {
                return;
            }
            passes.changed().await.expect("the worker alive");
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(15), wait)
        .await
        .expect("the Zalo outbox settles");
    worker.take_recent_outcomes()
}

/// Posts a signed event, lets the worker process it and delivers the replies.
pub(crate) async fn say(h: &Harness, body: String) -> Vec<Outcome> {
    assert_eq!(post_raw(h, &body, None).await, 200);
    inbox_settled(h).await;
    deliver(h).await
}

/// The consultation messages sent to `user`, oldest first.
pub(crate) fn sent_to(fake: &FakeZalo, user: &str) -> Vec<Value> {
    fake.calls(CS)
        .into_iter()
        .filter(|c| c.error == 0 && c.body["recipient"]["user_id"] == user)
        .map(|c| c.body["message"].clone())
        .collect()
}

pub(crate) fn last_text(fake: &FakeZalo, user: &str) -> String {
    sent_to(fake, user)
        .last()
        .and_then(|m| m["text"].as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The payload of the button titled `title` on the last message to `user`.
pub(crate) fn button(fake: &FakeZalo, user: &str, title: &str) -> String {
    let last = sent_to(fake, user).pop().expect("a message");
    last["attachment"]["payload"]["buttons"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|b| b["title"] == title)
        .and_then(|b| b["payload"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("no button {title:?} on {last:#}"))
}

#[tokio::test]
async fn a_full_survey_over_zalo_from_a_notice_with_a_zalo_user_id() {
    for test_db in TestDb::all().await {
        full_survey(test_db).await;
    }
}

async fn full_survey(test_db: TestDb) {
    let (h, fake) = start_on(test_db).await;
    let user = "2001";
    let follow =
        json!({"oa_id": fake_zalo::OA_ID, "follower": {"id": user}, "event_name": "follow",
        "app_id": fake_zalo::APP_ID, "source": "qr", "timestamp": now_ms(&h)})
        .to_string();
    assert_eq!(say(&h, follow).await, [Outcome::Sent]);
    let mut body = notice_body("H-ZALO-1");
    body["recipient"] = json!({"zalo_user_id": user});
    let (status, json) = h.post_notice(body).await;
    assert_eq!(status, 201, "{json}");
    let token = json["token"].as_str().unwrap().to_string();
    // The window is open (the follow): the invitation goes as a consultation message.
    assert_eq!(deliver(&h).await, [Outcome::Sent]);
    assert!(last_text(&fake, user).contains("Đăng ký khai sinh"));
    let start = button(&fake, user, "Bắt đầu khảo sát");
    say(&h, text_event(&h, user, &start)).await;
    assert!(
        last_text(&fake, user).contains("Câu 1/7"),
        "{}",
        last_text(&fake, user)
    );
    // Pressed buttons, typed digits, labels without diacritics, "Không", then a comment.
    let press = button(&fake, user, "Rất hài lòng");
    say(&h, text_event(&h, user, &press)).await;
    let press = button(&fake, user, "Hài lòng");
    say(&h, text_event(&h, user, &press)).await;
    say(&h, text_event(&h, user, "5")).await;
    say(&h, text_event(&h, user, "rat hai long")).await;
    say(&h, text_event(&h, user, "Không")).await;
    say(&h, text_event(&h, user, "4")).await;
    assert!(
        last_text(&fake, user).contains("ý kiến"),
        "{}",
        last_text(&fake, user)
    );
    say(&h, text_event(&h, user, "Cán bộ nhiệt tình")).await;
    assert!(last_text(&fake, user).starts_with("Cảm ơn Ông/Bà"));
    let invitation = h.db.invitation(&token).await.unwrap().unwrap();
    assert_eq!(invitation.status, InvitationStatus::Completed);
    let rows = h.db.export_rows().await.unwrap();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r.response_channel == "zalo"));
    let overall = rows.iter().find(|r| r.question_id == "overall").unwrap();
    assert_eq!(overall.answer, "4");
    let exported = serde_json::to_string(&rows).unwrap();
    assert!(!exported.contains(user));
    h.finish().await;
}

#[tokio::test]
async fn bad_signatures_and_stale_events_are_refused_and_a_repeat_changes_nothing() {
    let (h, fake) = start().await;
    let body = text_event(&h, "2002", "xin chào");
    let wrong =
        zalo::signature_header(fake_zalo::APP_ID, body.as_bytes(), "not-the-oa-key").unwrap();
    assert_eq!(post_raw(&h, &body, Some(wrong)).await, 401);
    assert_eq!(post_raw(&h, &body, Some("mac=".into())).await, 401);
    // Older than ZALO_EVENT_MAX_AGE_HOURS (24), or two hours in the future: refused.
    for (id, at) in [
        ("old-1", h.clock.now() - chrono::Duration::hours(25)),
        ("future-1", h.clock.now() + chrono::Duration::hours(2)),
    ] {
        let refused = json!({"app_id": fake_zalo::APP_ID, "sender": {"id": "2002"},
            "event_name": "user_send_text", "message": {"text": "x", "msg_id": id},
            "timestamp": at.timestamp_millis().to_string()})
        .to_string();
        assert_eq!(post_raw(&h, &refused, None).await, 401, "{id}");
    }
    assert_eq!(h.db.zalo_events_unprocessed().await.unwrap(), 0);
    // The same event twice: stored once, answered once.
    assert_eq!(post_raw(&h, &body, None).await, 200);
    assert_eq!(post_raw(&h, &body, None).await, 200);
    inbox_settled(&h).await;
    assert_eq!(deliver(&h).await, [Outcome::Sent]);
    assert_eq!(sent_to(&fake, "2002").len(), 1);
    assert!(last_text(&fake, "2002").contains("mã khảo sát"));
    h.finish().await;
}

#[tokio::test]
async fn a_closed_window_is_recorded_and_not_retried() {
    let (h, fake) = start().await;
    let user = "2003";
    let follow =
        json!({"oa_id": fake_zalo::OA_ID, "follower": {"id": user}, "event_name": "follow",
        "timestamp": now_ms(&h)})
        .to_string();
    say(&h, follow).await;
    fake.fail_next(CS, -230);
    let mut body = notice_body("H-ZALO-3");
    body["recipient"] = json!({"zalo_user_id": user});
    let (status, json) = h.post_notice(body).await;
    assert_eq!(status, 201, "{json}");
    let token = json["token"].as_str().unwrap().to_string();
    // Zalo says the window is closed: the template by user id is the fallback, and with it
    // failing the same way the invitation is out of reach on Zalo.
    fake.fail_next("/v3.0/oa/message/template", -230);
    let outcomes = deliver(&h).await;
    assert_eq!(outcomes.len(), 1, "{outcomes:?}");
    assert!(
        matches!(outcomes[0], Outcome::ChatUnreachable(_)),
        "{outcomes:?}"
    );
    let (_, reason) =
        h.db.zalo_out_of_reach(&token)
            .await
            .unwrap()
            .expect("recorded");
    assert!(reason.contains("-230"), "{reason}");
    assert_eq!(
        h.db.invitation(&token).await.unwrap().unwrap().status,
        InvitationStatus::Undeliverable
    );
    // Nothing left to retry.
    h.clock.advance(chrono::Duration::hours(1));
    assert!(deliver(&h).await.is_empty());
    assert_eq!(h.db.outbox_count(OutboxStatus::Pending).await.unwrap(), 0);
    assert_eq!(fake.calls(CS).iter().filter(|c| c.error == -230).count(), 1);
    h.finish().await;
}

#[tokio::test]
async fn a_template_invitation_by_phone_then_its_rating_is_a_response_in_the_summary() {
    let (h, fake) = start().await;
    let mut bad = notice_body("H-ZALO-BAD");
    bad["recipient"] = json!({"phone": "12345"});
    let (status, json) = h.post_notice(bad).await;
    assert_eq!(status, 422, "{json}");
    assert!(json.to_string().contains("recipient.phone"), "{json}");
    let mut body = notice_body("H-ZALO-4");
    body["recipient"] = json!({"phone": "+84 912 345 678"});
    let (status, json) = h.post_notice(body).await;
    assert_eq!(status, 201, "{json}");
    let token = json["token"].as_str().unwrap().to_string();
    assert_eq!(deliver(&h).await, [Outcome::Sent]);
    let calls = fake.calls(TEMPLATE_BY_PHONE);
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].body["phone"], "84912345678");
    assert_eq!(calls[0].body["tracking_id"], token.as_str());
    assert_eq!(calls[0].body["template_id"], TEMPLATE_ID);
    // Sent: the number is no longer kept in the outbox.
    let payloads: Vec<String> = sqlx::query_scalar("SELECT payload FROM outbox")
        .fetch_all(h.db.pool())
        .await
        .unwrap();
    assert!(!payloads.is_empty());
    assert!(
        payloads.iter().all(|p| !p.contains("912345678")),
        "{payloads:?}"
    );
    let msg_id = "tmid-1";
    let feedback = json!({"event_name": "user_feedback", "app_id": fake_zalo::APP_ID,
        "sender": {"id": "3001"}, "timestamp": now_ms(&h),
        "message": {"rate": 4, "note": "Nhanh gọn", "feedbacks": ["Đúng hẹn"], "msg_id": msg_id,
                    "tracking_id": token}})
    .to_string();
    say(&h, feedback.clone()).await;
    // The same rating again (a webhook retry, or the reconciliation) changes nothing.
    fake.set_ratings(vec![
        json!({"rate": 4, "note": "Nhanh gọn", "feedbacks": ["Đúng hẹn"],
        "msgId": msg_id, "trackingId": token, "submitDate": now_ms(&h)}),
    ]);
    let running = zalo(&h);
    let now = h.clock.now();
    let read = running
        .inbox
        .zalo()
        .reconcile_ratings(
            &running.tokens,
            TEMPLATE_ID,
            now - chrono::Duration::days(2),
            now,
            now,
        )
        .await
        .unwrap();
    assert_eq!(read, 1);
    assert_eq!(
        h.db.invitation(&token).await.unwrap().unwrap().status,
        InvitationStatus::Completed
    );
    let rows = h.db.export_rows().await.unwrap();
    let response_ids: std::collections::BTreeSet<i64> =
        rows.iter().map(|r| r.response_id).collect();
    assert_eq!(response_ids.len(), 1);
    let answer = |q: &str| rows.iter().find(|r| r.question_id == q).unwrap().clone();
    assert_eq!(answer("overall").answer, "4");
    assert_eq!(answer("comment").answer, "Đúng hẹn; Nhanh gọn");
    assert!(answer("access").skipped);
    assert!(!serde_json::to_string(&rows).unwrap().contains("912345678"));
    // The week's summary reads it with Telegram's responses.
    let week_start = now - chrono::Duration::days(7);
    let summary =
        h.db.summary_rows(
            &["T14.H02".to_string()],
            week_start,
            now + chrono::Duration::days(1),
        )
        .await
        .unwrap();
    assert!(
        summary.iter().any(|r| r.question_id == "overall"),
        "{summary:?}"
    );
    let counts =
        h.db.invitation_counts(
            &["T14.H02".to_string()],
            week_start,
            now + chrono::Duration::days(1),
        )
        .await
        .unwrap();
    assert_eq!((counts.invitations, counts.responses), (1, 1), "{counts:?}");
    h.finish().await;
}

#[tokio::test]
async fn a_receipt_code_starts_the_survey_and_wrong_codes_are_rate_limited() {
    let (h, fake) = start().await;
    let (status, json) = h.post_notice(notice_body("H-ZALO-5")).await;
    assert_eq!(status, 201, "{json}");
    let token = json["token"].as_str().unwrap().to_string();
    let code = json["zalo_receipt_code"]
        .as_str()
        .expect("a receipt code")
        .to_string();
    // The same notice again: the same invitation, the same code.
    let (status, again) = h.post_notice(notice_body("H-ZALO-5")).await;
    assert_eq!(status, 200);
    assert_eq!(again["zalo_receipt_code"], code.as_str());
    say(&h, text_event(&h, "2005", &code.to_lowercase())).await;
    let first = last_text(&fake, "2005");
    assert!(first.contains("Câu 1/7"), "{first}");
    assert_eq!(
        h.db.invitation(&token).await.unwrap().unwrap().status,
        InvitationStatus::Started
    );
    // A guesser: five wrong codes, then even the right one is refused for the hour.
    for wrong in [
        "AAAA-AAAA",
        "BBBB BBBB",
        "CCCCCCCC",
        "DDDD-DDDD",
        "EEEE-EEEE",
    ] {
        say(&h, text_event(&h, "6666", wrong)).await;
        assert!(last_text(&fake, "6666").contains("không đúng"));
    }
    say(&h, text_event(&h, "6666", &code)).await;
    assert!(last_text(&fake, "6666").contains("quá nhiều lần"));
    // A greeting is not a guess.
    say(&h, text_event(&h, "7777", "xin chào")).await;
    assert!(last_text(&fake, "7777").contains("mã khảo sát"));
    h.finish().await;
}

#[tokio::test]
async fn serve_runs_zalo_alone_when_telegram_is_not_configured() {
    let fake = FakeZalo::start().await;
    let test_db = TestDb::sqlite();
    let mut env = fake.env();
    env.extend([
        ("HTTP_ADDR".to_string(), "127.0.0.1:0".to_string()),
        (
            "INTAKE_TOKEN".to_string(),
            crate::common::server::INTAKE_TOKEN.to_string(),
        ),
        ("DATABASE_URL".to_string(), test_db.url.clone()),
        ("SIPAS_FLOW".to_string(), "sipas-short".to_string()),
        ("WORKER_TICK_SECONDS".to_string(), "86400".to_string()),
    ]);
    let settings =
        sipas_bot::app::serve::ServeSettings::from_lookup(|name| env.get(name).cloned()).unwrap();
    assert!(settings.telegram_token.is_none());
    let clock = sipas_bot::core::clock::ManualClock::new(crate::common::server::monday_morning());
    let running = sipas_bot::app::serve::start(settings, std::sync::Arc::new(clock.clone()))
        .await
        .expect("serve starts with Zalo alone");
    assert!(running.telegram.is_none() && running.sender.is_none());
    let zalo = running.zalo.clone().expect("Zalo runs");
    let body = json!({"app_id": fake_zalo::APP_ID, "sender": {"id": "2009"},
        "event_name": "user_send_text", "message": {"text": "xin chào", "msg_id": "alone-1"},
        "timestamp": clock.now().timestamp_millis().to_string()})
    .to_string();
    let signature =
        zalo::signature_header(fake_zalo::APP_ID, body.as_bytes(), fake_zalo::OA_SECRET_KEY)
            .unwrap();
    let status = reqwest::Client::new()
        .post(format!("http://{}/zalo/webhook", running.http_addr))
        .header("X-ZEvent-Signature", signature)
        .body(body)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
    let db = sipas_bot::storage::Db::connect(&test_db.url).await.unwrap();
    let mut passes = zalo.inbox.subscribe();
    tokio::time::timeout(std::time::Duration::from_secs(15), async {
        while db.zalo_events_unprocessed().await.unwrap() > 0 {
            passes.changed().await.unwrap();
        }
    })
    .await
    .expect("the event is processed");
    // The reply is queued, and Zalo's own worker, woken by its own signal, sends it.
    fake.wait_for_calls(CS, 1).await;
    // Neither channel configured: the Telegram token is named as missing.
    let err = sipas_bot::app::serve::ServeSettings::from_lookup(|name| match name {
        "INTAKE_TOKEN" => Some(crate::common::server::INTAKE_TOKEN.to_string()),
        _ => None,
    })
    .unwrap_err();
    assert_eq!(err.name, "TELEGRAM_BOT_TOKEN");
    running.shutdown().await;
    db.close().await;
    test_db.cleanup().await;
}

#[tokio::test]
async fn past_the_free_window_a_follower_is_invited_by_template_and_billed_replies_wait() {
    let (h, fake) = start().await;
    let user = "2010";
    let follow =
        json!({"oa_id": fake_zalo::OA_ID, "follower": {"id": user}, "event_name": "follow",
        "timestamp": now_ms(&h)})
        .to_string();
    say(&h, follow).await;
    let chat_messages = sent_to(&fake, user).len();
    // Three days later the window is billed, and billed replies are off: the template goes.
    h.clock.advance(chrono::Duration::days(3));
    let mut body = notice_body("H-ZALO-10");
    body["recipient"] = json!({"zalo_user_id": user});
    let (status, json) = h.post_notice(body).await;
    assert_eq!(status, 201, "{json}");
    let token = json["token"].as_str().unwrap().to_string();
    assert_eq!(deliver(&h).await, [Outcome::Sent]);
    assert_eq!(sent_to(&fake, user).len(), chat_messages);
    let calls = fake.calls("/v3.0/oa/message/template");
    assert_eq!(calls.len(), 1);
    // Zalo's shape by user id: a top-level user_id, no recipient wrapper, no tracking id; the
    // answer's message id is stored before the send counts, so a rating naming it finds us.
    assert_eq!(calls[0].error, 0, "{:?}", calls[0]);
    assert_eq!(calls[0].body["user_id"], user);
    assert!(calls[0].body.get("recipient").is_none());
    assert!(calls[0].body.get("tracking_id").is_none());
    assert_eq!(calls[0].body["template_id"], TEMPLATE_ID);
    let message_id = fake.template_message_ids().pop().expect("a message id");
    assert_eq!(
        h.db.invitation_by_zalo_msg(&message_id).await.unwrap(),
        Some(token.clone())
    );
    // A chat reply queued now (the window billed, replies not allowed) is not sent.
    let row = sipas_bot::storage::Outgoing {
        channel: "zalo".into(),
        chat_id: user.into(),
        kind: "reminder".into(),
        payload: json!({"text": "x", "buttons": []}),
        invitation_token: Some(token.clone()),
    };
    let effects = sipas_bot::storage::Effects {
        inbound: None,
        outgoing: vec![row],
    };
    h.db.record_effects(&effects, h.clock.now()).await.unwrap();
    let outcomes = deliver(&h).await;
    assert!(
        matches!(outcomes.as_slice(), [Outcome::MessageFailed(_)]),
        "{outcomes:?}"
    );
    assert_eq!(sent_to(&fake, user).len(), chat_messages);
    h.finish().await;
}

#[tokio::test]
async fn zalo_users_and_reach_are_stored_on_every_backend() {
    use sipas_bot::storage::{NewNotice, SubmissionChannel};
    for test_db in TestDb::all().await {
        let db = test_db.open().await;
        let now = crate::common::server::monday_morning();
        assert_eq!(db.zalo_user("u1").await.unwrap(), None);
        db.touch_zalo_user("u1", None, now).await.unwrap();
        db.unfollow_zalo_user("u1", now).await.unwrap();
        let later = now + chrono::Duration::hours(2);
        db.touch_zalo_user("u1", None, later).await.unwrap();
        let user = db.zalo_user("u1").await.unwrap().unwrap();
        assert_eq!(user.last_interaction_at, later, "{}", test_db.name);
        assert!(!user.following, "{}", test_db.name);
        db.touch_zalo_user("u1", Some(true), later).await.unwrap();
        assert!(db.zalo_user("u1").await.unwrap().unwrap().following);
        let flow_id = db.latest_flow("sipas-short").await.unwrap().unwrap().id;
        let notice = NewNotice {
            dossier_code: "H-REACH".into(),
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
        db.record_zalo_template(&token, Some("tm-9"), now)
            .await
            .unwrap();
        assert_eq!(
            db.invitation_by_zalo_msg("tm-9").await.unwrap(),
            Some(token.clone())
        );
        assert_eq!(db.zalo_out_of_reach(&token).await.unwrap(), None);
        db.mark_zalo_out_of_reach(&token, "Zalo error -230", later)
            .await
            .unwrap();
        assert_eq!(
            db.zalo_out_of_reach(&token).await.unwrap(),
            Some((later, "Zalo error -230".to_string())),
            "{}",
            test_db.name
        );
        assert_eq!(
            db.invitation_by_zalo_msg("tm-9").await.unwrap(),
            Some(token)
        );
        assert_eq!(db.zalo_events_unprocessed().await.unwrap(), 0);
        db.close().await;
        test_db.cleanup().await;
    }
}
