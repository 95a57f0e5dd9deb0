//! The Telegram channel end to end: `serve` built in-process, the real Bot API protocol against a
//! fake Bot API server on 127.0.0.1, a real database, a hand-driven clock.

use crate::common;

use chrono::{Duration, TimeZone, Utc};
use common::fake_telegram::{BOT_USERNAME, Failure};
use common::server::{Harness, button, keyboard};
use sipas_bot::core::clock::vietnam;
use sipas_bot::storage::{InvitationStatus, OutboxStatus};

const CHAT: i64 = 700_100;

/// Opens the invitation and presses Bắt đầu; returns the first question's message.
async fn begin(harness: &Harness, chat: i64, token: &str) -> common::fake_telegram::SentMessage {
    let before = harness.fake.messages_to(chat).len();
    harness.fake.push_command(chat, &format!("/start {token}"));
    let invitation = harness.messages(chat, before + 1).await[before].clone();
    assert_eq!(
        keyboard(&invitation)
            .into_iter()
            .flatten()
            .map(|(label, _)| label)
            .collect::<Vec<_>>(),
        ["Bắt đầu", "Để sau", "Không tham gia"]
    );
    harness
        .fake
        .press(chat, invitation.message_id, &button(&invitation, "Bắt đầu"));
    harness.messages(chat, before + 2).await[before + 1].clone()
}

/// Presses `label` on the last message and waits for the next question, which arrives as an
/// edit of the pressed message (one Bot API call per answer).
async fn press(harness: &Harness, chat: i64, label: &str) -> common::fake_telegram::SentMessage {
    let messages = harness.fake.messages_to(chat);
    let last = messages.last().unwrap();
    harness
        .fake
        .press(chat, last.message_id, &button(last, label));
    let next = harness.edited(chat, last.message_id, &last.text).await;
    assert_eq!(
        harness.fake.messages_to(chat).len(),
        messages.len(),
        "a press sends no new message"
    );
    next
}

/// Types `text` and waits for the next message.
async fn type_text(harness: &Harness, chat: i64, text: &str) -> common::fake_telegram::SentMessage {
    let count = harness.fake.messages_to(chat).len();
    harness.fake.push_text(chat, text);
    harness.messages(chat, count + 1).await[count].clone()
}

#[tokio::test]
async fn a_posted_notice_leads_to_a_stored_survey_driven_by_bot_api_updates() {
    let harness = Harness::start().await;
    let (status, invitation) = harness
        .post_notice(common::server::notice_body("HS-001"))
        .await;
    assert_eq!(status, 201, "{invitation}");
    let token = invitation["token"].as_str().unwrap().to_string();
    assert_eq!(token.len(), 32);
    assert_eq!(
        invitation["deep_link"],
        format!("https://t.me/{BOT_USERNAME}?start={token}")
    );

    let first = begin(&harness, CHAT, &token).await;
    let opened = &harness.fake.messages_to(CHAT)[0];
    assert!(opened.text.contains("Đăng ký khai sinh"), "{}", opened.text);
    assert!(opened.text.contains("16/11/2026"), "{}", opened.text);
    assert!(first.text.contains("Câu 1/7"), "{}", first.text);
    let labels: Vec<String> = keyboard(&first)
        .into_iter()
        .flatten()
        .map(|(l, _)| l)
        .collect();
    assert_eq!(
        labels,
        [
            "Rất hài lòng",
            "Hài lòng",
            "Bình thường",
            "Không hài lòng",
            "Rất không hài lòng",
            "Bỏ qua"
        ]
    );

    let second = press(&harness, CHAT, "Rất hài lòng").await;
    assert!(second.text.contains("Câu 2/7"));
    let answered = &harness.fake.messages_to(CHAT)[1];
    let (answer_shown, next_question) = answered.text.split_once("\n\n").unwrap();
    assert!(
        answer_shown.ends_with("✓ Rất hài lòng"),
        "the answer stays visible above the next question: {}",
        answered.text
    );
    assert!(next_question.contains("Câu 2/7"), "{}", answered.text);
    let buttons = keyboard(answered);
    assert!(!buttons.is_empty(), "the next question's keyboard");
    assert!(
        buttons
            .iter()
            .flatten()
            .all(|(_, data)| !data.contains("|access|")),
        "the old keyboard is removed: {buttons:?}"
    );

    type_text(&harness, CHAT, "hai long").await;
    press(&harness, CHAT, "Bình thường").await;
    type_text(&harness, CHAT, "4").await;
    let overall = press(&harness, CHAT, "Không").await;
    assert!(
        overall.text.contains("Nhìn chung"),
        "PAKN skipped: {}",
        overall.text
    );
    press(&harness, CHAT, "Hài lòng").await;
    let thanks = type_text(&harness, CHAT, "Cán bộ rất nhiệt tình").await;
    assert!(thanks.text.contains("Cảm ơn Ông/Bà"), "{}", thanks.text);

    let rows = harness.db.export_rows().await.unwrap();
    let answers: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r.question_id.as_str(), r.answer.as_str()))
        .collect();
    assert_eq!(
        answers,
        [
            ("access", "5"),
            ("procedures", "4"),
            ("civil_servants", "3"),
            ("results", "4"),
            ("gave_feedback", "no"),
            ("overall", "4"),
            ("comment", "Cán bộ rất nhiệt tình"),
        ]
    );
    assert!(rows.iter().all(|r| r.response_channel == "telegram"));
    let invitation = harness.db.invitation(&token).await.unwrap().unwrap();
    assert_eq!(invitation.status, InvitationStatus::Completed);

    // A completed token opened again gets a thank-you and nothing else.
    let again = type_text(&harness, CHAT, &format!("/start {token}")).await;
    assert!(
        again.text.contains("đã hoàn thành khảo sát"),
        "{}",
        again.text
    );
    assert!(keyboard(&again).is_empty());
    assert!(!harness.fake.calls_of("answerCallbackQuery").is_empty());
    harness.running.unwrap().shutdown().await;
}

#[tokio::test]
async fn a_restart_in_the_middle_loses_nothing() {
    let mut harness = Harness::start().await;
    let token = harness.notice("HS-002", None).await;
    begin(&harness, CHAT, &token).await;
    press(&harness, CHAT, "Hài lòng").await;
    type_text(&harness, CHAT, "5").await;
    harness.restart().await;

    let third = type_text(&harness, CHAT, "rat khong hai long").await;
    assert!(third.text.contains("Câu 4/7"), "{}", third.text);
    for answer in ["4", "không", "5", "bỏ qua"] {
        type_text(&harness, CHAT, answer).await;
    }
    let rows = harness.db.export_rows().await.unwrap();
    assert_eq!(rows.len(), 7);
    assert_eq!(rows[2].answer, "1");
    harness.running.unwrap().shutdown().await;
}

#[tokio::test]
async fn a_duplicate_update_and_a_stale_keyboard_change_nothing() {
    let harness = Harness::start().await;
    let token = harness.notice("HS-003", None).await;
    let first = begin(&harness, CHAT, &token).await;
    let update = harness
        .fake
        .press(CHAT, first.message_id, &button(&first, "Hài lòng"));
    harness.edited(CHAT, first.message_id, &first.text).await;
    harness.outbox_settled().await;
    let answered_before = harness.fake.calls_of("answerCallbackQuery").len();
    let edits_before = harness.fake.calls_of("editMessageText").len();

    harness.fake.repeat(update);
    harness
        .fake
        .wait_for("answerCallbackQuery", answered_before + 1)
        .await;
    harness.outbox_settled().await;
    assert_eq!(
        harness.fake.messages_to(CHAT).len(),
        2,
        "nothing sent for a repeated update"
    );
    assert_eq!(
        harness.fake.calls_of("editMessageText").len(),
        edits_before,
        "nothing edited for a repeated update"
    );

    // The first question's keyboard is gone from the chat, but an old client may still press it.
    harness.fake.press(CHAT, first.message_id, "a|access|1");
    let answers = harness
        .fake
        .wait_for("answerCallbackQuery", answered_before + 2)
        .await;
    let notice = answers.last().unwrap().body["text"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(notice.contains("đã được trả lời"), "{notice}");
    harness.outbox_settled().await;
    assert_eq!(harness.fake.messages_to(CHAT).len(), 2);
    assert_eq!(harness.fake.calls_of("editMessageText").len(), edits_before);

    let session = harness.db.session_for_token(&token).await.unwrap().unwrap();
    assert_eq!(session.state.answers.len(), 1);
    assert_eq!(
        session.state.answer("access"),
        Some(&sipas_bot::core::survey::Answer::Scale(4))
    );
    harness.running.unwrap().shutdown().await;
}

#[tokio::test]
async fn a_429_is_waited_out_then_the_message_is_sent_once() {
    let harness = Harness::start().await;
    let token = harness.notice("HS-004", None).await;
    harness.fake.fail_next(
        "sendMessage",
        Some(CHAT),
        Failure::TooManyRequests { retry_after: 1 },
    );
    harness.fake.push_command(CHAT, &format!("/start {token}"));
    let messages = harness.messages(CHAT, 1).await;
    assert!(messages[0].text.contains("Đăng ký khai sinh"));
    harness.outbox_settled().await;
    let attempts = harness.fake.calls_of("sendMessage").len();
    assert_eq!(attempts, 2, "one refused, one sent");
    assert_eq!(harness.fake.messages_to(CHAT).len(), 1);
    harness.running.unwrap().shutdown().await;
}

#[tokio::test]
async fn a_403_marks_the_invitation_undeliverable_without_retrying() {
    let harness = Harness::start().await;
    // The citizen talked to the bot before, so a notice naming their chat is sent by the bot.
    type_text(&harness, CHAT, "xin chào").await;
    harness
        .fake
        .fail_next("sendMessage", Some(CHAT), Failure::Forbidden);
    let token = harness.notice("HS-005", Some(CHAT)).await;
    harness.outbox_settled().await;
    let invitation = harness.db.invitation(&token).await.unwrap().unwrap();
    assert_eq!(invitation.status, InvitationStatus::Undeliverable);
    assert_eq!(
        harness.fake.calls_of("sendMessage").len(),
        2,
        "the greeting reply and one refused try"
    );
    assert_eq!(
        harness
            .db
            .outbox_count(OutboxStatus::Undeliverable)
            .await
            .unwrap(),
        1
    );
    harness.running.unwrap().shutdown().await;
}

#[tokio::test]
async fn a_known_chat_receives_the_completion_notice_from_the_bot() {
    let harness = Harness::start().await;
    type_text(&harness, CHAT, "/help").await;
    harness.notice("HS-006", Some(CHAT)).await;
    let messages = harness.messages(CHAT, 2).await;
    assert!(
        messages[1]
            .text
            .contains("hồ sơ của Ông/Bà đã giải quyết xong"),
        "{}",
        messages[1].text
    );
    assert_eq!(keyboard(&messages[1]).len(), 2);
    // A chat that never talked to the bot is not messaged.
    harness.notice("HS-007", Some(CHAT + 1)).await;
    harness.outbox_settled().await;
    assert!(harness.fake.messages_to(CHAT + 1).is_empty());
    harness.running.unwrap().shutdown().await;
}

#[tokio::test]
async fn invalid_and_expired_tokens_get_a_clear_message() {
    let harness = Harness::start().await;
    let unknown = type_text(&harness, CHAT, "/start 00000000000000000000000000000000").await;
    assert!(
        unknown.text.contains("không đúng hoặc không còn tồn tại"),
        "{}",
        unknown.text
    );
    let garbage = type_text(&harness, CHAT, "/start ../../etc").await;
    assert!(garbage.text.contains("không đúng"), "{}", garbage.text);

    let token = harness.notice("HS-008", None).await;
    harness.clock.advance(Duration::days(7));
    let expired = type_text(&harness, CHAT, &format!("/start {token}")).await;
    assert!(expired.text.contains("đã hết hạn"), "{}", expired.text);
    harness.running.unwrap().shutdown().await;
}

#[tokio::test]
async fn a_decline_is_recorded_and_nothing_more_is_sent() {
    let harness = Harness::start().await;
    let token = harness.notice("HS-009", None).await;
    harness.fake.push_command(CHAT, &format!("/start {token}"));
    let invitation = harness.messages(CHAT, 1).await[0].clone();
    harness.fake.press(
        CHAT,
        invitation.message_id,
        &button(&invitation, "Không tham gia"),
    );
    let ack = harness.messages(CHAT, 2).await[1].clone();
    assert!(ack.text.contains("không gửi thêm"), "{}", ack.text);
    assert!(keyboard(&harness.fake.messages_to(CHAT)[0]).is_empty());
    let stored = harness.db.invitation(&token).await.unwrap().unwrap();
    assert_eq!(stored.status, InvitationStatus::Declined);
    let counts = harness.db.agency_counts().await.unwrap();
    assert_eq!((counts[0].invitations, counts[0].declines), (1, 1));
    harness.clock.advance(Duration::days(2));
    assert_eq!(harness.running().send_due_reminders().await.unwrap(), 0);
    harness.running.unwrap().shutdown().await;
}

#[tokio::test]
async fn later_schedules_one_reminder_outside_the_quiet_hours() {
    let harness = Harness::start().await;
    let token = harness.notice("HS-010", None).await;
    harness.fake.push_command(CHAT, &format!("/start {token}"));
    let invitation = harness.messages(CHAT, 1).await[0].clone();
    harness
        .fake
        .press(CHAT, invitation.message_id, &button(&invitation, "Để sau"));
    let ack = harness.messages(CHAT, 2).await[1].clone();
    assert!(ack.text.contains("10:00 ngày 17/11/2026"), "{}", ack.text);
    assert_eq!(
        harness.db.invitation(&token).await.unwrap().unwrap().status,
        InvitationStatus::Postponed
    );

    assert_eq!(
        harness.running().send_due_reminders().await.unwrap(),
        0,
        "not yet due"
    );
    harness.clock.advance(Duration::hours(24));
    assert_eq!(harness.running().send_due_reminders().await.unwrap(), 1);
    let reminder = harness.messages(CHAT, 3).await[2].clone();
    assert!(reminder.text.contains("Kính nhắc"), "{}", reminder.text);
    assert_eq!(keyboard(&reminder).len(), 2);
    harness.clock.advance(Duration::hours(24));
    assert_eq!(
        harness.running().send_due_reminders().await.unwrap(),
        0,
        "only one reminder"
    );

    // A second "Để sau" on the reminder schedules nothing more.
    harness
        .fake
        .press(CHAT, reminder.message_id, &button(&reminder, "Để sau"));
    let second_ack = harness.messages(CHAT, 4).await[3].clone();
    assert!(
        second_ack.text.contains("khi thuận tiện"),
        "{}",
        second_ack.text
    );

    // Late in the evening, the reminder moves to 07:00 the day after next.
    let evening = vietnam()
        .with_ymd_and_hms(2026, 11, 16, 22, 30, 0)
        .unwrap()
        .with_timezone(&Utc);
    harness.clock.set(evening);
    let token = harness.notice("HS-011", None).await;
    harness
        .fake
        .push_command(CHAT + 5, &format!("/start {token}"));
    let invitation = harness.messages(CHAT + 5, 1).await[0].clone();
    harness.fake.press(
        CHAT + 5,
        invitation.message_id,
        &button(&invitation, "Để sau"),
    );
    harness.messages(CHAT + 5, 2).await;
    let due = harness.db.reminder(&token).await.unwrap().unwrap().due_at;
    assert_eq!(
        due,
        vietnam()
            .with_ymd_and_hms(2026, 11, 18, 7, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    );
    harness.running.unwrap().shutdown().await;
}

#[tokio::test]
async fn cancel_pauses_and_the_same_link_resumes() {
    let harness = Harness::start().await;
    let token = harness.notice("HS-012", None).await;
    begin(&harness, CHAT, &token).await;
    press(&harness, CHAT, "Hài lòng").await;
    let paused = type_text(&harness, CHAT, "/cancel").await;
    assert!(paused.text.contains("tạm dừng"), "{}", paused.text);
    let nothing = type_text(&harness, CHAT, "5").await;
    assert!(
        nothing.text.contains("chưa có khảo sát"),
        "{}",
        nothing.text
    );
    let resumed = type_text(&harness, CHAT, &format!("/start {token}")).await;
    assert!(resumed.text.contains("tiếp tục"), "{}", resumed.text);
    assert!(resumed.text.contains("Câu 2/7"), "{}", resumed.text);
    let help = type_text(&harness, CHAT, "/help").await;
    assert!(help.text.contains("/cancel"), "{}", help.text);
    harness.running.unwrap().shutdown().await;
}

#[tokio::test]
async fn the_same_conversation_runs_on_postgresql() {
    let Some(test_db) = common::TestDb::postgres().await else {
        return;
    };
    let mut harness = Harness::start_with(test_db, &[]).await;
    let token = harness.notice("HS-PG-1", None).await;
    begin(&harness, CHAT, &token).await;
    press(&harness, CHAT, "Rất hài lòng").await;
    harness.restart().await;
    for answer in ["4", "3", "5", "có", "Hài lòng", "5"] {
        type_text(&harness, CHAT, answer).await;
    }
    let last = type_text(&harness, CHAT, "bỏ qua").await;
    assert!(last.text.contains("Cảm ơn Ông/Bà"), "{}", last.text);
    let rows = harness.db.export_rows().await.unwrap();
    assert_eq!(rows.len(), 8, "with the PAKN question");
    assert_eq!(
        harness.db.invitation(&token).await.unwrap().unwrap().status,
        InvitationStatus::Completed
    );
    harness.finish().await;
}

#[tokio::test]
async fn chats_are_handled_side_by_side_and_each_in_order() {
    let harness = Harness::start().await;
    // Interleaved, as Telegram delivers them in one batch: each chat's replies must come in the
    // order of its own updates, whichever lane and batch they fall in.
    let chats: Vec<i64> = (0..12).map(|i| CHAT + 100 + i).collect();
    let script = [
        "/start",
        "/help",
        "/cancel",
        "/start 00000000000000000000000000000000",
    ];
    for text in script {
        for chat in &chats {
            harness.fake.push_command(*chat, text);
        }
    }
    for chat in &chats {
        let replies = harness.messages(*chat, script.len()).await;
        let texts: Vec<&str> = replies.iter().map(|m| m.text.as_str()).collect();
        assert!(texts[0].starts_with("Xin chào Ông/Bà"), "{chat}: {texts:?}");
        assert!(texts[1].contains("/cancel: tạm dừng"), "{chat}: {texts:?}");
        assert!(texts[2].contains("chưa có khảo sát"), "{chat}: {texts:?}");
        assert!(texts[3].contains("không đúng"), "{chat}: {texts:?}");
    }
    harness.running.unwrap().shutdown().await;
}

#[tokio::test]
async fn a_slow_callback_answer_does_not_hold_up_the_next_update() {
    let harness = Harness::start().await;
    let token = harness.notice("HS-013", None).await;
    let first = begin(&harness, CHAT, &token).await;
    harness.fake.wait_for("answerCallbackQuery", 1).await;
    // A 500 makes teloxide wait 10 s before it returns the answer's error.
    harness
        .fake
        .fail_next("answerCallbackQuery", None, Failure::ServerError);
    harness
        .fake
        .press(CHAT, first.message_id, &button(&first, "Hài lòng"));
    harness.fake.wait_for("answerCallbackQuery", 2).await;
    let count = harness.fake.messages_to(CHAT).len();
    harness.fake.push_text(CHAT, "5");
    let next = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        harness.messages(CHAT, count + 1),
    )
    .await
    .expect("the chat's next update is handled while the press's answer still waits");
    assert!(next[count].text.contains("Câu 3/7"), "{}", next[count].text);
    harness.running.unwrap().shutdown().await;
}

#[tokio::test]
async fn another_chat_cannot_answer_a_recipient_bound_invitation() {
    let harness = Harness::start().await;
    let stranger = CHAT + 9;
    let token = harness.notice("HS-050", Some(CHAT)).await;
    // Opening the link from another chat is refused politely, and nothing starts.
    let refused = type_text(&harness, stranger, &format!("/start {token}")).await;
    assert!(
        refused.text.contains("dành riêng cho người nộp hồ sơ"),
        "{}",
        refused.text
    );
    assert!(keyboard(&refused).is_empty());
    // Nor can it press Bắt đầu with the invitation's own button data.
    harness.fake.push_command(CHAT, &format!("/start {token}"));
    let data = button(&harness.messages(CHAT, 1).await[0], "Bắt đầu");
    let before = harness.fake.messages_to(stranger).len();
    harness.fake.press(stranger, refused.message_id, &data);
    let pressed = harness.messages(stranger, before + 1).await[before].clone();
    assert!(
        pressed.text.contains("dành riêng cho người nộp hồ sơ"),
        "{}",
        pressed.text
    );
    assert!(
        harness
            .db
            .session_for_token(&token)
            .await
            .unwrap()
            .is_none()
    );
    // The recipient answers, in the recipient's own chat.
    let invitation = harness.fake.messages_to(CHAT)[0].clone();
    harness.fake.press(CHAT, invitation.message_id, &data);
    let first = harness.messages(CHAT, 2).await[1].clone();
    assert!(first.text.contains("Câu 1/7"), "{}", first.text);
    let session = harness.db.session_for_token(&token).await.unwrap().unwrap();
    assert_eq!(session.chat_ref, CHAT.to_string());
    let stored = harness.db.invitation(&token).await.unwrap().unwrap();
    assert_eq!(stored.status, InvitationStatus::Started);
    harness.running.unwrap().shutdown().await;
}
