//! A citizen withdraws on Telegram, end to end against the fake Bot API: the button under the
//! closing message and `/xoa` ask first; "yes" deletes the answers and the link to the chat.

use crate::common;

use common::server::{Harness, button, keyboard};
use sipas_bot::storage::InvitationStatus;

const CHAT: i64 = 700_900;

/// Presses `label` on the last message and waits for the next message.
async fn press(harness: &Harness, label: &str) -> common::fake_telegram::SentMessage {
    let messages = harness.fake.messages_to(CHAT);
    let last = messages.last().unwrap();
    harness
        .fake
        .press(CHAT, last.message_id, &button(last, label));
    harness.messages(CHAT, messages.len() + 1).await[messages.len()].clone()
}

/// Types `text` and waits for the next message.
async fn type_text(harness: &Harness, text: &str) -> common::fake_telegram::SentMessage {
    let count = harness.fake.messages_to(CHAT).len();
    harness.fake.push_text(CHAT, text);
    harness.messages(CHAT, count + 1).await[count].clone()
}

fn labels(message: &common::fake_telegram::SentMessage) -> Vec<String> {
    keyboard(message)
        .into_iter()
        .flatten()
        .map(|(l, _)| l)
        .collect()
}

/// Answers the short survey of dossier `dossier` from [`CHAT`]; returns the invitation token.
async fn complete_survey(harness: &Harness, dossier: &str) -> String {
    let (status, invitation) = harness
        .post_notice(common::server::notice_body(dossier))
        .await;
    assert_eq!(status, 201, "{invitation}");
    let token = invitation["token"].as_str().unwrap().to_string();
    let opened = type_text(harness, &format!("/start {token}")).await;
    harness
        .fake
        .press(CHAT, opened.message_id, &button(&opened, "Bắt đầu"));
    harness.messages(CHAT, 2).await;
    // At a person's pace: a survey answered faster than anyone reads is flagged, and a flagged
    // response raises no alert.
    for answer in ["5", "4", "3", "4", "không", "4"] {
        harness.clock.advance(chrono::Duration::seconds(5));
        type_text(harness, answer).await;
    }
    harness.clock.advance(chrono::Duration::seconds(5));
    let thanks = type_text(harness, "Cán bộ rất nhiệt tình").await;
    assert!(thanks.text.contains("Cảm ơn Ông/Bà"), "{}", thanks.text);
    assert_eq!(labels(&thanks), ["Xóa câu trả lời"]);
    assert_eq!(harness.db.export_rows().await.unwrap().len(), 7);
    token
}

#[tokio::test]
async fn a_citizen_withdraws_after_a_confirmation_and_the_answers_are_deleted() {
    let harness = Harness::start().await;
    let token = complete_survey(&harness, "HS-XOA").await;

    // "No" keeps everything.
    let confirm = press(&harness, "Xóa câu trả lời").await;
    assert!(confirm.text.contains("có chắc"), "{}", confirm.text);
    assert_eq!(labels(&confirm), ["Xóa câu trả lời", "Không xóa"]);
    let kept = press(&harness, "Không xóa").await;
    assert!(kept.text.contains("giữ nguyên"), "{}", kept.text);
    assert_eq!(harness.db.export_rows().await.unwrap().len(), 7);

    // `/xoa` asks again; "yes" deletes.
    let confirm = type_text(&harness, "/xoa").await;
    assert!(confirm.text.contains("có chắc"), "{}", confirm.text);
    let done = press(&harness, "Xóa câu trả lời").await;
    assert!(done.text.contains("Đã xóa"), "{}", done.text);
    assert!(harness.db.export_rows().await.unwrap().is_empty());
    let invitation = harness.db.invitation(&token).await.unwrap().unwrap();
    assert_eq!(invitation.status, InvitationStatus::Withdrawn);
    assert_eq!(invitation.recipient_chat_id, None);
    assert!(
        !harness
            .db
            .chat_has_surveys("telegram", &CHAT.to_string())
            .await
            .unwrap()
    );
    let nothing = type_text(&harness, "/xoa").await;
    assert!(nothing.text.contains("có chắc"), "{}", nothing.text);
    let nothing = press(&harness, "Xóa câu trả lời").await;
    assert!(
        nothing.text.contains("Không có câu trả lời"),
        "{}",
        nothing.text
    );
    harness.running.unwrap().shutdown().await;
}

/// The alert pass marks every new response it has checked (`alerted_responses`). A withdrawal
/// after that pass must delete the mark with the response: before, the foreign key refused the
/// delete, and the withdrawal failed every time it was tried.
#[tokio::test]
async fn a_response_already_checked_for_alerts_can_be_withdrawn() {
    for test_db in common::TestDb::all().await {
        let backend = test_db.name;
        let harness = Harness::start_with(test_db, &[]).await;
        complete_survey(&harness, "HS-XOA-ALERT").await;
        harness.running().run_alerts().await.unwrap();
        let (marked,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM alerted_responses")
            .fetch_one(harness.db.pool())
            .await
            .unwrap();
        assert_eq!(marked, 1, "{backend}: the alert pass checked the response");

        let confirm = type_text(&harness, "/xoa").await;
        assert!(
            confirm.text.contains("có chắc"),
            "{backend}: {}",
            confirm.text
        );
        let done = press(&harness, "Xóa câu trả lời").await;
        assert!(done.text.contains("Đã xóa"), "{backend}: {}", done.text);
        assert!(
            harness.db.export_rows().await.unwrap().is_empty(),
            "{backend}"
        );
        let (left,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM alerted_responses")
            .fetch_one(harness.db.pool())
            .await
            .unwrap();
        assert_eq!(left, 0, "{backend}");
        harness.finish().await;
    }
}
