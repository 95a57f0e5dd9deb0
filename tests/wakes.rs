//! Each transport's outbox worker is woken by its own signal, at once, by every path that queues
//! a row for it; and a button press is answered outside the message pace. Both are counted, not
//! timed: each Zalo reply must come with a wake-up of Zalo's worker and must not have waited for
//! the worker's periodic look at the outbox, and the Telegram worker is not woken by Zalo's
//! traffic; the callback answer
//! must reach the fake before the messages queued ahead of it at one message a second.

use crate::common;

use common::server::Harness;
use common::{TestDb, fake_zalo};
use serde_json::json;
use sipas_bot::channels::zalo;
use sipas_bot::core::clock::Clock;
use sipas_bot::storage::{Effects, Outgoing};
use std::sync::atomic::{AtomicU64, Ordering};

const CS: &str = "/v3.0/oa/message/cs";
static NEXT_MSG: AtomicU64 = AtomicU64::new(1);

async fn post_signed(h: &Harness, body: &str) {
    let signature =
        zalo::signature_header(fake_zalo::APP_ID, body.as_bytes(), fake_zalo::OA_SECRET_KEY)
            .unwrap();
    let status = h
        .http
        .post(format!("{}/zalo/webhook", h.base))
        .header("X-ZEvent-Signature", signature)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
}

fn now_ms(h: &Harness) -> String {
    h.clock.now().timestamp_millis().to_string()
}

fn text_event(h: &Harness, user: &str, text: &str) -> String {
    let msg_id = format!("wake-{}", NEXT_MSG.fetch_add(1, Ordering::SeqCst));
    json!({
        "app_id": fake_zalo::APP_ID, "sender": {"id": user},
        "recipient": {"id": fake_zalo::OA_ID}, "event_name": "user_send_text",
        "message": {"text": text, "msg_id": msg_id}, "timestamp": now_ms(h),
    })
    .to_string()
}

/// The payload of the button titled `title` on the last consultation message to `user`.
fn button(fake: &fake_zalo::FakeZalo, title: &str) -> String {
    let last = fake.calls(CS).pop().expect("a message").body;
    last["message"]["attachment"]["payload"]["buttons"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|b| b["title"] == title)
        .and_then(|b| b["payload"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("no button {title:?} on {last:#}"))
}

/// Posts `body` (a Zalo event that brings one reply): its worker must be woken, and the reply
/// must not wait for the worker's next look at the outbox (a claim on a wake-up, or right after
/// the chat's previous row was recorded, takes it at once).
async fn step(
    h: &Harness,
    fake: &fake_zalo::FakeZalo,
    zalo: &sipas_bot::services::delivery::Worker,
    sent: &mut usize,
    what: &str,
    body: String,
) {
    let (woken_before, looked_before) = (zalo.wakeups(), zalo.claimed_on_look());
    post_signed(h, &body).await;
    *sent += 1;
    fake.wait_for_calls(CS, *sent).await;
    assert!(
        zalo.wakeups() > woken_before && zalo.claimed_on_look() == looked_before,
        "{what}: the reply waited for the worker's look (wake-ups {}, rows claimed on one {}, \
         on a look {})",
        zalo.wakeups(),
        zalo.claimed_on_wake(),
        zalo.claimed_on_look()
    );
}

#[tokio::test]
async fn a_zalo_reply_leaves_on_its_own_wake_up_and_never_wakes_telegram() {
    for test_db in TestDb::all().await {
        let backend = test_db.name;
        let fake = fake_zalo::FakeZalo::start().await;
        let env: Vec<(String, String)> = fake.env().into_iter().collect();
        let extra: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let h = Harness::start_with(test_db, &extra).await;
        let zalo = h.running().zalo_sender.clone().expect("Zalo's worker runs");
        // Its first look at the outbox done (a row queued before would be claimed by it).
        zalo.subscribe()
            .wait_for(|rounds| *rounds > 0)
            .await
            .expect("the worker runs");
        let telegram = h.running().sender.clone().expect("Telegram's worker runs");
        let telegram_wakeups = telegram.wakeups();
        let user = "3001";
        let mut sent = 0;
        let follow = json!({"oa_id": fake_zalo::OA_ID, "follower": {"id": user},
            "event_name": "follow", "app_id": fake_zalo::APP_ID, "source": "qr",
            "timestamp": now_ms(&h)});
        step(&h, &fake, &zalo, &mut sent, "follow", follow.to_string()).await;
        // The intake queues the invitation: it wakes Zalo's worker too.
        let (woken_before, looked_before) = (zalo.wakeups(), zalo.claimed_on_look());
        let mut notice = common::server::notice_body("H-WAKE-1");
        notice["recipient"] = json!({"zalo_user_id": user});
        let (status, json) = h.post_notice(notice).await;
        assert_eq!(status, 201, "{json}");
        sent += 1;
        fake.wait_for_calls(CS, sent).await;
        assert!(
            zalo.wakeups() > woken_before && zalo.claimed_on_look() == looked_before,
            "{backend}: intake"
        );
        let start = text_event(&h, user, &button(&fake, "Bắt đầu khảo sát"));
        step(&h, &fake, &zalo, &mut sent, "start", start).await;
        let press = text_event(&h, user, &button(&fake, "Rất hài lòng"));
        step(&h, &fake, &zalo, &mut sent, "answer", press).await;
        let typed = text_event(&h, user, "5");
        step(&h, &fake, &zalo, &mut sent, "typed answer", typed).await;
        assert_eq!(
            telegram.wakeups(),
            telegram_wakeups,
            "{backend}: Zalo's traffic woke Telegram's worker"
        );
        h.finish().await;
    }
}

#[tokio::test]
async fn a_callback_answer_is_never_held_behind_the_message_pace() {
    // One message a second overall: five queued messages take five seconds.
    let h = Harness::start_with(
        TestDb::sqlite(),
        &[
            ("TELEGRAM_MESSAGES_PER_SECOND", "1"),
            ("TELEGRAM_CHAT_MESSAGES_PER_SECOND", "1"),
        ],
    )
    .await;
    let chat = 909_001;
    let token = h.notice("H-CALLBACK-1", None).await;
    h.fake.push_command(chat, &format!("/start {token}"));
    let invitation = h.messages(chat, 1).await.remove(0);
    let start = common::server::button(&invitation, "Bắt đầu");
    // Five messages to other chats are queued ahead of anything the press brings.
    let queued: Vec<i64> = (909_100..909_105).collect();
    for other in &queued {
        let mut effects = Effects::default();
        effects.push(Outgoing {
            channel: "telegram".into(),
            chat_id: other.to_string(),
            kind: "send_message".into(),
            payload: json!({ "text": "tin nhắn xếp hàng" }),
            invitation_token: None,
        });
        assert!(h.db.record_effects(&effects, h.clock.now()).await.unwrap());
    }
    h.running().notify_outbox();
    h.fake.press(chat, invitation.message_id, &start);
    h.fake.wait_for("answerCallbackQuery", 1).await;
    // Counted at the fake: the answer came before most of the queue had gone.
    let calls = h.fake.calls();
    let answered_at = calls
        .iter()
        .position(|c| c.method == "answerCallbackQuery")
        .unwrap();
    let queued_before = calls[..answered_at]
        .iter()
        .filter(|c| c.method == "sendMessage" && c.chat_id().is_some_and(|c| c != chat))
        .count();
    assert!(
        queued_before < queued.len(),
        "the callback answer waited for the queued messages ({queued_before} went first)"
    );
    h.finish().await;
}
