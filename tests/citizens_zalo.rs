//! The citizens' service on Zalo, end to end against the fake Zalo server (issue 16): the same
//! choices as on Telegram — later with its one reminder inside the messaging window, decline,
//! `/cancel`, withdrawal with its confirmation — the recipient binding across channels, ratings
//! that keep their stars on any agency flow, and the dossier's day in Vietnam time.

use crate::common::server::{Harness, button as tg_button, keyboard, notice_body};
use crate::common::{TestDb, fake_zalo};
use crate::zalo_flow::{
    CS, TEMPLATE_BY_PHONE, TEMPLATE_ID, button, deliver, last_text, now_ms, say, sent_to,
    text_event, zalo,
};

use chrono::Duration;
use fake_zalo::FakeZalo;
use serde_json::json;
use sipas_bot::core::clock::Clock;
use sipas_bot::services::delivery::Outcome;
use sipas_bot::storage::InvitationStatus;

/// `serve` with Zalo beside the fake Telegram, and `extra` settings.
async fn start_with(test_db: TestDb, extra: &[(&str, &str)]) -> (Harness, FakeZalo) {
    let fake = FakeZalo::start().await;
    let mut env: Vec<(String, String)> = fake.env().into_iter().collect();
    env.push(("ZALO_INVITATION_TEMPLATE_ID".into(), TEMPLATE_ID.into()));
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    (Harness::start_with(test_db, &env).await, fake)
}

/// A follower of the OA (their window opens now) invited by a notice naming them; returns the
/// invitation's token and receipt code once the invitation went out.
async fn invite_follower(
    h: &Harness,
    fake: &FakeZalo,
    user: &str,
    dossier: &str,
) -> (String, String) {
    let follow = json!({"oa_id": fake_zalo::OA_ID, "follower": {"id": user},
        "event_name": "follow", "app_id": fake_zalo::APP_ID, "source": "qr",
        "timestamp": now_ms(h)})
    .to_string();
    say(h, follow).await;
    let mut body = notice_body(dossier);
    body["recipient"] = json!({"zalo_user_id": user});
    let (status, json) = h.post_notice(body).await;
    assert_eq!(status, 201, "{json}");
    assert_eq!(deliver(h).await, [Outcome::Sent]);
    assert!(last_text(fake, user).contains("Đăng ký khai sinh"));
    let token = json["token"].as_str().unwrap().to_string();
    let code = json["zalo_receipt_code"].as_str().unwrap().to_string();
    // The code was made with the invitation, in the notice's transaction.
    assert_eq!(h.db.receipt_code(&token).await.unwrap(), Some(code.clone()));
    (token, code)
}

async fn status(h: &Harness, token: &str) -> InvitationStatus {
    h.db.invitation(token).await.unwrap().unwrap().status
}

#[tokio::test]
async fn later_sends_one_reminder_inside_the_window_and_decline_is_kept_on_zalo() {
    for test_db in TestDb::all().await {
        let (h, fake) = start_with(test_db, &[]).await;
        let user = "2101";
        let (token, _) = invite_follower(&h, &fake, user, "HZ-LATER").await;
        let later = button(&fake, user, "Để sau");
        say(&h, text_event(&h, user, &later)).await;
        assert!(
            last_text(&fake, user).contains("sẽ nhắc"),
            "{}",
            last_text(&fake, user)
        );
        assert_eq!(status(&h, &token).await, InvitationStatus::Postponed);
        // A second "Để sau" schedules nothing more.
        say(&h, text_event(&h, user, &later)).await;
        let running = zalo(&h).inbox.zalo();
        assert_eq!(running.send_due_reminders(h.clock.now()).await.unwrap(), 0);
        h.clock.advance(Duration::hours(25));
        assert_eq!(running.send_due_reminders(h.clock.now()).await.unwrap(), 1);
        assert_eq!(deliver(&h).await, [Outcome::Sent]);
        let reminder = last_text(&fake, user);
        assert!(reminder.contains("Kính nhắc"), "{reminder}");
        assert!(reminder.contains("Đăng ký khai sinh"), "{reminder}");
        // One reminder, ever.
        h.clock.advance(Duration::hours(25));
        assert_eq!(running.send_due_reminders(h.clock.now()).await.unwrap(), 0);
        // The reminder's start button opens the survey.
        let start = button(&fake, user, "Bắt đầu khảo sát");
        say(&h, text_event(&h, user, &start)).await;
        assert!(
            last_text(&fake, user).contains("Câu 1/7"),
            "{}",
            last_text(&fake, user)
        );

        // Another follower declines: thanked, recorded, and the button is spent.
        let other = "2102";
        let (declined, _) = invite_follower(&h, &fake, other, "HZ-DECLINE").await;
        let decline = button(&fake, other, "Không tham gia");
        say(&h, text_event(&h, other, &decline)).await;
        assert!(
            last_text(&fake, other).contains("không gửi thêm"),
            "{}",
            last_text(&fake, other)
        );
        assert_eq!(status(&h, &declined).await, InvitationStatus::Declined);
        h.finish().await;
    }
}

#[tokio::test]
async fn a_reminder_due_past_the_free_window_is_not_sent_unless_billed_replies_are_on() {
    for billable in [false, true] {
        let setting = if billable { "true" } else { "false" };
        let (h, fake) = start_with(TestDb::sqlite(), &[("ZALO_BILLABLE_REPLIES", setting)]).await;
        let user = "2111";
        invite_follower(&h, &fake, user, "HZ-WINDOW").await;
        say(&h, text_event(&h, user, &button(&fake, user, "Để sau"))).await;
        let before = sent_to(&fake, user).len();
        // The reminder was due after a day, but nothing ran until the free 48 hours had passed.
        h.clock.advance(Duration::hours(50));
        let sent = zalo(&h)
            .inbox
            .zalo()
            .send_due_reminders(h.clock.now())
            .await
            .unwrap();
        deliver(&h).await;
        assert_eq!(sent, usize::from(billable), "billable replies: {billable}");
        assert_eq!(sent_to(&fake, user).len(), before + usize::from(billable));
        h.finish().await;
    }
}

#[tokio::test]
async fn cancel_resumes_and_a_withdrawal_is_confirmed_on_zalo() {
    for test_db in TestDb::all().await {
        let (h, fake) = start_with(test_db, &[]).await;
        let user = "2121";
        let (token, code) = invite_follower(&h, &fake, user, "HZ-CANCEL").await;
        say(
            &h,
            text_event(&h, user, &button(&fake, user, "Bắt đầu khảo sát")),
        )
        .await;
        say(&h, text_event(&h, user, &button(&fake, user, "Hài lòng"))).await;
        say(&h, text_event(&h, user, "/cancel")).await;
        assert!(
            last_text(&fake, user).contains("tạm dừng"),
            "{}",
            last_text(&fake, user)
        );
        say(&h, text_event(&h, user, "5")).await;
        assert!(last_text(&fake, user).contains("chưa có khảo sát"));
        // The receipt code (or the start button) resumes where the citizen stopped.
        say(&h, text_event(&h, user, &code)).await;
        let resumed = last_text(&fake, user);
        assert!(
            resumed.contains("tiếp tục") && resumed.contains("Câu 2/7"),
            "{resumed}"
        );
        for answer in ["5", "4", "5", "Không", "4", "bỏ qua"] {
            say(&h, text_event(&h, user, answer)).await;
        }
        assert!(last_text(&fake, user).starts_with("Cảm ơn Ông/Bà"));
        assert_eq!(status(&h, &token).await, InvitationStatus::Completed);
        assert!(!h.db.export_rows().await.unwrap().is_empty());
        // The closing words offer the withdrawal; "Không xóa" keeps everything.
        say(
            &h,
            text_event(&h, user, &button(&fake, user, "Xóa câu trả lời")),
        )
        .await;
        assert!(last_text(&fake, user).contains("có chắc muốn xóa"));
        say(&h, text_event(&h, user, &button(&fake, user, "Không xóa"))).await;
        assert!(last_text(&fake, user).contains("giữ nguyên"));
        assert_eq!(status(&h, &token).await, InvitationStatus::Completed);
        // `/xoa` asks again; "Xóa câu trả lời" withdraws the answers.
        say(&h, text_event(&h, user, "/xoa")).await;
        say(
            &h,
            text_event(&h, user, &button(&fake, user, "Xóa câu trả lời")),
        )
        .await;
        assert!(
            last_text(&fake, user).contains("Đã xóa"),
            "{}",
            last_text(&fake, user)
        );
        assert_eq!(status(&h, &token).await, InvitationStatus::Withdrawn);
        assert!(h.db.export_rows().await.unwrap().is_empty());
        h.finish().await;
    }
}

#[tokio::test]
async fn a_bound_invitation_refuses_other_zalo_users_and_telegram_chats() {
    for test_db in TestDb::all().await {
        let (h, fake) = start_with(test_db, &[]).await;
        let owner = "2131";
        let (token, code) = invite_follower(&h, &fake, owner, "HZ-BOUND").await;
        // Another Zalo user types the owner's receipt code: refused, and nothing changes.
        let stranger = "2132";
        say(&h, text_event(&h, stranger, &code)).await;
        let refused = last_text(&fake, stranger);
        assert!(
            refused.contains("dành riêng cho người nộp hồ sơ"),
            "{refused}"
        );
        assert!(h.db.session_for_token(&token).await.unwrap().is_none());
        assert_eq!(status(&h, &token).await, InvitationStatus::Pending);
        // Nor can they press the invitation's start button with its payload.
        let start = button(&fake, owner, "Bắt đầu khảo sát");
        say(&h, text_event(&h, stranger, &start)).await;
        assert!(last_text(&fake, stranger).contains("dành riêng"));
        // A Telegram chat opening the Zalo-bound link is refused too.
        let chat = 700_300;
        h.fake.push_command(chat, &format!("/start {token}"));
        let message = h.messages(chat, 1).await[0].clone();
        assert!(
            message.text.contains("dành riêng cho người nộp hồ sơ"),
            "{}",
            message.text
        );
        assert!(keyboard(&message).is_empty());
        assert!(h.db.session_for_token(&token).await.unwrap().is_none());
        // The owner's own code still works: the stranger's try did not spend it.
        say(&h, text_event(&h, owner, &code)).await;
        assert!(
            last_text(&fake, owner).contains("Câu 1/7"),
            "{}",
            last_text(&fake, owner)
        );

        // A notice naming a phone is for Zalo: a Telegram chat is refused.
        let mut body = notice_body("HZ-PHONE");
        body["recipient"] = json!({"phone": "0912345678"});
        let (status_code, json) = h.post_notice(body).await;
        assert_eq!(status_code, 201, "{json}");
        let by_phone = json["token"].as_str().unwrap().to_string();
        h.fake.push_command(chat, &format!("/start {by_phone}"));
        let message = h.messages(chat, 2).await[1].clone();
        assert!(message.text.contains("dành riêng"), "{}", message.text);
        let _ = tg_button;
        h.finish().await;
    }
}

#[tokio::test]
async fn a_rating_on_a_full_flow_agency_keeps_its_stars_in_the_overall_figure() {
    for test_db in TestDb::all().await {
        let (h, fake) = start_with(test_db, &[("SIPAS_FLOW", "sipas-full")]).await;
        let mut body = notice_body("HZ-RATE");
        body["recipient"] = json!({"phone": "+84 912 345 678"});
        let (status_code, json) = h.post_notice(body).await;
        assert_eq!(status_code, 201, "{json}");
        let token = json["token"].as_str().unwrap().to_string();
        deliver(&h).await;
        assert_eq!(fake.calls(TEMPLATE_BY_PHONE).len(), 1);
        let feedback = json!({"event_name": "user_feedback", "app_id": fake_zalo::APP_ID,
            "sender": {"id": "3101"}, "timestamp": now_ms(&h),
            "message": {"rate": 2, "note": "Chờ lâu", "feedbacks": [], "msg_id": "tm-rate",
                        "tracking_id": token}})
        .to_string();
        say(&h, feedback).await;
        assert_eq!(status(&h, &token).await, InvitationStatus::Completed);
        let rows = h.db.export_rows().await.unwrap();
        let overall = rows
            .iter()
            .find(|r| r.question_id == "overall")
            .expect("the stars");
        assert_eq!(overall.answer, "2");
        assert!(!overall.skipped);
        assert_eq!(overall.flow_id, "sipas-rating");
        let comment = rows.iter().find(|r| r.question_id == "comment").unwrap();
        assert_eq!(comment.answer, "Chờ lâu");
        // Stored on the rating flow (no question of the full flow's factors), and summarised.
        assert!(
            rows.iter()
                .all(|r| r.question_id == "overall" || r.question_id == "comment")
        );
        let now = h.clock.now();
        let summary =
            h.db.summary_rows(
                &["T14.H02".to_string()],
                now - Duration::days(7),
                now + Duration::days(1),
            )
            .await
            .unwrap();
        assert!(
            summary
                .iter()
                .any(|r| r.question_id == "overall" && r.level == Some(2)),
            "{summary:?}"
        );
        h.finish().await;
    }
}

#[tokio::test]
async fn a_dossier_completed_at_dawn_in_vietnam_shows_that_day_in_every_channel() {
    for test_db in TestDb::all().await {
        dawn_dossier(test_db).await;
    }
}

async fn dawn_dossier(test_db: TestDb) {
    let (h, fake) = start_with(test_db, &[]).await;
    let dawn = |dossier: &str| {
        let mut body = notice_body(dossier);
        body["completed_at"] = json!("2026-11-17T06:30:00+07:00");
        body
    };
    // Telegram: the invitation a link opens.
    let (_, json) = h.post_notice(dawn("HZ-DAWN-TG")).await;
    let chat = 700_400;
    h.fake
        .push_command(chat, &format!("/start {}", json["token"].as_str().unwrap()));
    let opened = h.messages(chat, 1).await[0].clone();
    assert!(opened.text.contains("17/11/2026"), "{}", opened.text);
    // Zalo: the consultation invitation to a follower, and the template's parameter.
    let user = "2141";
    let follow = json!({"oa_id": fake_zalo::OA_ID, "follower": {"id": user},
        "event_name": "follow", "app_id": fake_zalo::APP_ID, "source": "qr",
        "timestamp": now_ms(&h)})
    .to_string();
    say(&h, follow).await;
    let mut body = dawn("HZ-DAWN-ZALO");
    body["recipient"] = json!({"zalo_user_id": user});
    h.post_notice(body).await;
    deliver(&h).await;
    assert!(
        last_text(&fake, user).contains("17/11/2026"),
        "{}",
        last_text(&fake, user)
    );
    let mut body = dawn("HZ-DAWN-PHONE");
    body["recipient"] = json!({"phone": "0912345679"});
    h.post_notice(body).await;
    deliver(&h).await;
    let template = fake.calls(TEMPLATE_BY_PHONE).pop().unwrap();
    assert_eq!(
        template.body["template_data"]["completed_date"],
        "17/11/2026"
    );
    let _ = CS;
    h.finish().await;
}
