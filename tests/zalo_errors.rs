//! Zalo's answers end to end, on both backends: `serve` against the fake Zalo API answering
//! error codes on the business host (night, quota, token, out of reach) and on the OA host (a
//! tier too low pauses the sender until an operator resumes), late and future webhook events,
//! windows from the event's own time and delivery receipts.

use crate::common::TestDb;
use crate::common::server::{Harness, notice_body};
use crate::zalo_flow::{
    CS, TEMPLATE_BY_PHONE, deliver, inbox_settled, post_raw, say, sent_to, start_on, text_event,
};

use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;
use sipas_bot::channels::zalo;
use sipas_bot::core::clock::{Clock, vietnam};
use sipas_bot::services::delivery::Outcome;

/// A time in Vietnam (UTC+7).
fn vn(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    vietnam()
        .with_ymd_and_hms(2026, 11, day, hour, minute, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// Posts a notice inviting by phone; its invitation token.
async fn phone_notice(h: &Harness, dossier: &str) -> String {
    let mut body = notice_body(dossier);
    body["recipient"] = json!({"phone": "+84 912 345 678"});
    let (status, json) = h.post_notice(body).await;
    assert_eq!(status, 201, "{json}");
    json["token"].as_str().unwrap().to_string()
}

/// When the invitation's row is tried next.
async fn next_attempt(h: &Harness, token: &str) -> DateTime<Utc> {
    let text: String =
        sqlx::query_scalar("SELECT next_attempt_at FROM outbox WHERE invitation_token = $1")
            .bind(token)
            .fetch_one(h.db.pool())
            .await
            .unwrap();
    sipas_bot::storage::parse_timestamp(&text).unwrap()
}

/// Wakes the Zalo worker and waits for one whole pass (a row behind a waiting row of its chat is
/// due but not claimable, so "settled" never comes while paused); the outcomes since the last
/// call.
async fn one_pass(h: &Harness) -> Vec<Outcome> {
    let worker = h.running().zalo_sender.clone().expect("Zalo's worker runs");
    let mut passes = worker.subscribe();
    passes.borrow_and_update();
    h.running().notify_outbox();
    // A pass may already be under way: wait for two, so one began after the rows were queued.
    for _ in 0..2 {
        tokio::time::timeout(std::time::Duration::from_secs(15), passes.changed())
            .await
            .expect("a worker pass")
            .expect("the worker alive");
        h.running().notify_outbox();
    }
    // And until no row is still held by a pass.
    let holding = async || -> i64 {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM outbox WHERE channel = 'zalo' AND status = 'sending'",
        )
        .fetch_one(h.db.pool())
        .await
        .unwrap()
    };
    while holding().await > 0 {
        tokio::time::timeout(std::time::Duration::from_secs(15), passes.changed())
            .await
            .expect("a worker pass")
            .expect("the worker alive");
    }
    worker.take_recent_outcomes()
}

fn is_retry(outcomes: &[Outcome]) -> bool {
    matches!(outcomes, [Outcome::Retry { .. }])
}

async fn healthz(h: &Harness) -> (u16, String) {
    let response = h
        .http
        .get(format!("{}/healthz", h.base))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn night_waits_for_six_and_a_spent_quota_for_the_next_day() {
    for test_db in TestDb::all().await {
        let name = test_db.name;
        let (h, fake) = start_on(test_db).await;
        // -133 at 22:30: the template goes at 06:00 the next morning, not before.
        h.clock.set(vn(16, 22, 30));
        fake.fail_next(TEMPLATE_BY_PHONE, -133);
        let token = phone_notice(&h, "H-ZALO-E1").await;
        assert!(is_retry(&deliver(&h).await), "{name}");
        assert_eq!(next_attempt(&h, &token).await, vn(17, 6, 0), "{name}");
        h.clock.set(vn(17, 5, 59));
        assert_eq!(deliver(&h).await, [], "{name}");
        h.clock.set(vn(17, 6, 0));
        assert_eq!(deliver(&h).await, [Outcome::Sent], "{name}");
        let errors: Vec<i64> = fake
            .calls(TEMPLATE_BY_PHONE)
            .iter()
            .map(|c| c.error)
            .collect();
        assert_eq!(errors, [-133, 0], "{name}");

        // -144 (the OA's daily quota): the next day at 06:00.
        fake.fail_next(TEMPLATE_BY_PHONE, -144);
        let token = phone_notice(&h, "H-ZALO-E2").await;
        assert!(is_retry(&deliver(&h).await), "{name}");
        assert_eq!(next_attempt(&h, &token).await, vn(18, 6, 0), "{name}");
        h.clock.set(vn(18, 6, 0));
        assert_eq!(deliver(&h).await, [Outcome::Sent], "{name}");
        assert_eq!(fake.calls(TEMPLATE_BY_PHONE).len(), 4, "{name}");
        h.finish().await;
    }
}

#[tokio::test]
async fn an_invalid_token_on_the_business_host_refreshes_once() {
    for test_db in TestDb::all().await {
        let name = test_db.name;
        let (h, fake) = start_on(test_db).await;
        fake.fail_next(TEMPLATE_BY_PHONE, -124);
        phone_notice(&h, "H-ZALO-E3").await;
        assert_eq!(deliver(&h).await, [Outcome::Sent], "{name}");
        let errors: Vec<i64> = fake
            .calls(TEMPLATE_BY_PHONE)
            .iter()
            .map(|c| c.error)
            .collect();
        assert_eq!(errors, [-124, 0], "{name}");
        let refreshes = fake.refreshes();
        assert_eq!(refreshes, 2, "{name}: the first token, then one refresh");
        // Refused again after the refresh: no loop, the row waits for its next try.
        fake.fail_next(TEMPLATE_BY_PHONE, -124);
        fake.fail_next(TEMPLATE_BY_PHONE, -124);
        phone_notice(&h, "H-ZALO-E4").await;
        assert!(is_retry(&deliver(&h).await), "{name}");
        assert_eq!(fake.calls(TEMPLATE_BY_PHONE).len(), 4, "{name}");
        assert_eq!(fake.refreshes(), refreshes + 1, "{name}");
        assert_eq!(fake.reused_refresh_tokens(), 0, "{name}");
        h.finish().await;
    }
}

#[tokio::test]
async fn no_zalo_account_records_the_invitation_out_of_reach_and_forgets_the_number() {
    for test_db in TestDb::all().await {
        let name = test_db.name;
        let (h, fake) = start_on(test_db).await;
        fake.fail_next(TEMPLATE_BY_PHONE, -118);
        let token = phone_notice(&h, "H-ZALO-E5").await;
        let outcomes = deliver(&h).await;
        assert!(
            matches!(outcomes.as_slice(), [Outcome::ChatUnreachable(_)]),
            "{name}: {outcomes:?}"
        );
        assert!(
            h.db.zalo_out_of_reach(&token).await.unwrap().is_some(),
            "{name}"
        );
        // Nothing of the number is kept, in any column of the outbox or of Zalo's reach.
        let outbox: Vec<(String, Option<String>)> =
            sqlx::query_as("SELECT payload, last_error FROM outbox")
                .fetch_all(h.db.pool())
                .await
                .unwrap();
        let reach: Vec<(Option<String>,)> = sqlx::query_as("SELECT reason FROM zalo_invitations")
            .fetch_all(h.db.pool())
            .await
            .unwrap();
        let kept = format!("{outbox:?} {reach:?}");
        for form in ["912345678", "912 345 678"] {
            assert!(!kept.contains(form), "{name}: {kept}");
        }
        // Not retried: the fake saw one call.
        assert_eq!(deliver(&h).await, [], "{name}");
        assert_eq!(fake.calls(TEMPLATE_BY_PHONE).len(), 1, "{name}");
        h.finish().await;
    }
}

#[tokio::test]
async fn a_tier_too_low_pauses_the_sender_until_resumed_and_then_every_message_goes_once() {
    for test_db in TestDb::all().await {
        let name = test_db.name;
        let (h, fake) = start_on(test_db).await;
        assert_eq!(healthz(&h).await.0, 200, "{name}");
        let user = "2101";
        fake.fail_next(CS, -224);
        let follow = json!({"oa_id": crate::common::fake_zalo::OA_ID, "follower": {"id": user},
            "event_name": "follow", "timestamp": h.clock.now().timestamp_millis().to_string()})
        .to_string();
        assert!(is_retry(&say(&h, follow).await), "{name}");
        let (status, body) = healthz(&h).await;
        assert_eq!(status, 503, "{name}");
        assert!(
            body.contains("zalo") && body.contains("-224"),
            "{name}: {body}"
        );
        // Everything waits while paused: the same chat, another chat, a template by phone.
        for body in [
            text_event(&h, user, "xin chào"),
            text_event(&h, "2102", "xin chào"),
        ] {
            assert_eq!(post_raw(&h, &body, None).await, 200, "{name}");
        }
        inbox_settled(&h).await;
        phone_notice(&h, "H-ZALO-E6").await;
        let outcomes = one_pass(&h).await;
        assert!(
            outcomes.iter().all(|o| matches!(o, Outcome::Retry { .. })),
            "{name}: {outcomes:?}"
        );
        assert_eq!(fake.calls(CS).len(), 1, "{name}");
        assert!(fake.calls(TEMPLATE_BY_PHONE).is_empty(), "{name}");
        let waiting: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM outbox WHERE channel = 'zalo' AND status IN ('pending', 'sending')",
        )
        .fetch_one(h.db.pool())
        .await
        .unwrap();
        assert_eq!(waiting, 4, "{name}: none failed one by one");

        // The operator resumes: every waiting message goes, once.
        let lifted = zalo::pause::resume(&h.db, h.clock.now()).await.unwrap();
        assert_eq!(lifted.map(|p| p.code), Some(-224), "{name}");
        let mut sent = Vec::new();
        for _ in 0..4 {
            sent.extend(deliver(&h).await);
            if sent.len() >= 4 {
                break;
            }
        }
        assert_eq!(sent, vec![Outcome::Sent; 4], "{name}");
        assert_eq!(deliver(&h).await, [], "{name}");
        assert_eq!(sent_to(&fake, user).len(), 2, "{name}");
        assert_eq!(sent_to(&fake, "2102").len(), 1, "{name}");
        assert_eq!(fake.calls(TEMPLATE_BY_PHONE).len(), 1, "{name}");
        assert_eq!(healthz(&h).await.0, 200, "{name}");
        h.finish().await;
    }
}

#[tokio::test]
async fn a_late_signed_event_counts_once_from_its_own_time_and_the_future_is_refused() {
    for test_db in TestDb::all().await {
        let name = test_db.name;
        let (h, fake) = start_on(test_db).await;
        let user = "2201";
        let at = h.clock.now() - chrono::Duration::minutes(15);
        let late = json!({"app_id": crate::common::fake_zalo::APP_ID, "sender": {"id": user},
            "recipient": {"id": crate::common::fake_zalo::OA_ID}, "event_name": "user_send_text",
            "message": {"text": "xin chào", "msg_id": "late-1"},
            "timestamp": at.timestamp_millis().to_string()})
        .to_string();
        assert_eq!(say(&h, late.clone()).await, [Outcome::Sent], "{name}");
        // Again (Zalo's retry): accepted, and nothing changes.
        assert_eq!(post_raw(&h, &late, None).await, 200, "{name}");
        inbox_settled(&h).await;
        assert_eq!(deliver(&h).await, [], "{name}");
        assert_eq!(sent_to(&fake, user).len(), 1, "{name}");
        // The window runs from when the citizen wrote, not from when we processed it.
        let seen = h.db.zalo_user(user).await.unwrap().unwrap();
        assert_eq!(
            seen.last_interaction_at.timestamp(),
            at.timestamp(),
            "{name}"
        );
        // A sticker is an interaction too; an older event never moves the window back.
        let sticker_at = h.clock.now() - chrono::Duration::minutes(5);
        let sticker = json!({"app_id": crate::common::fake_zalo::APP_ID, "sender": {"id": user},
            "event_name": "user_send_sticker", "message": {"msg_id": "st-1"},
            "timestamp": sticker_at.timestamp_millis().to_string()})
        .to_string();
        say(&h, sticker).await;
        let seen = h.db.zalo_user(user).await.unwrap().unwrap();
        assert_eq!(
            seen.last_interaction_at.timestamp(),
            sticker_at.timestamp(),
            "{name}"
        );
        let older = json!({"app_id": crate::common::fake_zalo::APP_ID, "sender": {"id": user},
            "event_name": "user_send_image", "message": {"msg_id": "im-1"},
            "timestamp": (h.clock.now() - chrono::Duration::hours(3)).timestamp_millis().to_string()})
        .to_string();
        say(&h, older).await;
        let seen = h.db.zalo_user(user).await.unwrap().unwrap();
        assert_eq!(
            seen.last_interaction_at.timestamp(),
            sticker_at.timestamp(),
            "{name}"
        );
        // Two hours in the future: refused.
        let future = json!({"app_id": crate::common::fake_zalo::APP_ID, "sender": {"id": user},
            "event_name": "user_send_text", "message": {"text": "x", "msg_id": "future-2"},
            "timestamp": (h.clock.now() + chrono::Duration::hours(2)).timestamp_millis().to_string()})
        .to_string();
        assert_eq!(post_raw(&h, &future, None).await, 401, "{name}");
        // The bare hex signature is accepted as well as mac=<hex>.
        let bare = text_event(&h, user, "1");
        let mac = zalo::signature_header(
            crate::common::fake_zalo::APP_ID,
            bare.as_bytes(),
            crate::common::fake_zalo::OA_SECRET_KEY,
        )
        .unwrap();
        let hex = mac.trim_start_matches("mac=").to_string();
        assert_eq!(post_raw(&h, &bare, Some(hex)).await, 200, "{name}");
        h.finish().await;
    }
}

#[tokio::test]
async fn a_delivery_receipt_marks_the_invitation_delivered() {
    for test_db in TestDb::all().await {
        let name = test_db.name;
        let (h, fake) = start_on(test_db).await;
        let token = phone_notice(&h, "H-ZALO-E7").await;
        assert_eq!(deliver(&h).await, [Outcome::Sent], "{name}");
        assert_eq!(
            h.db.zalo_delivered_at(&token).await.unwrap(),
            None,
            "{name}"
        );
        let msg_id = "tmid-1";
        let call = &fake.calls(TEMPLATE_BY_PHONE)[0];
        assert_eq!(call.error, 0);
        // The template's identifying parameter is the receipt's short code, the date is
        // dd/mm/yyyy, and nothing names the dossier or the number.
        let code: String =
            sqlx::query_scalar("SELECT code FROM zalo_receipt_codes WHERE invitation_token = $1")
                .bind(&token)
                .fetch_one(h.db.pool())
                .await
                .unwrap();
        let data = &call.body["template_data"];
        assert_eq!(data["receipt_code"], code.as_str(), "{name}: {data}");
        let date = data["completed_date"].as_str().unwrap();
        assert!(
            chrono::NaiveDate::parse_from_str(date, "%d/%m/%Y").is_ok(),
            "{name}: {date}"
        );
        assert!(!data.to_string().contains("H-ZALO-E7"), "{name}: {data}");
        assert!(!data.to_string().contains("912345678"), "{name}: {data}");
        let receipt = json!({"app_id": crate::common::fake_zalo::APP_ID,
            "event_name": "user_received_message", "sender": {"id": crate::common::fake_zalo::OA_ID},
            "message": {"msg_id": msg_id, "tracking_id": token, "delivery_time": "1"},
            "timestamp": h.clock.now().timestamp_millis().to_string()})
        .to_string();
        say(&h, receipt.clone()).await;
        let delivered = h.db.zalo_delivered_at(&token).await.unwrap();
        assert!(delivered.is_some(), "{name}");
        say(&h, receipt).await;
        let now = h.clock.now();
        let by_agency =
            h.db.zalo_delivered_by_agency(
                now - chrono::Duration::days(1),
                now + chrono::Duration::days(1),
            )
            .await
            .unwrap();
        let total: i64 = by_agency.iter().map(|(_, n)| n).sum();
        assert_eq!(total, 1, "{name}: {by_agency:?}");
        h.finish().await;
    }
}

#[tokio::test]
async fn dedup_keys_outlive_the_accepted_age_and_are_purged_after() {
    for test_db in TestDb::all().await {
        let name = test_db.name;
        let db = test_db.open().await;
        let now = vn(20, 12, 0);
        let old = now - chrono::Duration::hours(49);
        assert!(
            db.store_zalo_event("msg:old", "user_send_text", "{}", old)
                .await
                .unwrap()
        );
        assert!(
            db.store_zalo_event("msg:recent", "user_send_text", "{}", now)
                .await
                .unwrap()
        );
        assert!(
            db.store_zalo_event("msg:waiting", "user_send_text", "{}", old)
                .await
                .unwrap()
        );
        for event in db.claim_zalo_events("t", now, now, 10).await.unwrap() {
            if event.dedup_key != "msg:waiting" {
                db.finish_zalo_event(event.id, now).await.unwrap();
            }
        }
        // The horizon `serve` uses: the accepted age (24 h) and a day more.
        let horizon = now - chrono::Duration::hours(24) - chrono::Duration::days(1);
        assert_eq!(db.purge_zalo_events(horizon).await.unwrap(), 1, "{name}");
        // A retry of the recent event is still recognised; the old one's key is gone; an
        // unprocessed event is never purged.
        assert!(
            !db.store_zalo_event("msg:recent", "user_send_text", "{}", now)
                .await
                .unwrap()
        );
        assert!(
            db.store_zalo_event("msg:old", "user_send_text", "{}", now)
                .await
                .unwrap()
        );
        assert!(
            !db.store_zalo_event("msg:waiting", "user_send_text", "{}", now)
                .await
                .unwrap()
        );
        db.close().await;
        test_db.cleanup().await;
    }
}
