//! One live question on Telegram (issue 16): a question drawn on a new message takes the
//! keyboard off the message that showed it, and a press on a superseded message edits that
//! message to show what was recorded, with the notice; nothing is stored twice.

use crate::common;

use common::server::{Harness, button, keyboard};
use sipas_bot::core::survey::Answer;

const CHAT: i64 = 700_500;

/// The messages in `chat` that still carry an inline keyboard.
fn live_keyboards(harness: &Harness, chat: i64) -> Vec<i32> {
    harness
        .fake
        .messages_to(chat)
        .iter()
        .filter(|m| {
            !keyboard(m)
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .is_empty()
        })
        .map(|m| m.message_id)
        .collect()
}

async fn resume_by_link_leaves_one_live_keyboard(test_db: common::TestDb) {
    let harness = Harness::start_with(test_db, &[]).await;
    let token = harness.notice("HS-LIVE", None).await;
    harness.fake.push_command(CHAT, &format!("/start {token}"));
    let invitation = harness.messages(CHAT, 1).await[0].clone();
    harness
        .fake
        .press(CHAT, invitation.message_id, &button(&invitation, "Bắt đầu"));
    let first = harness.messages(CHAT, 2).await[1].clone();
    // A press edits the question's message into the next question: that message is live.
    harness
        .fake
        .press(CHAT, first.message_id, &button(&first, "Hài lòng"));
    let second = harness.edited(CHAT, first.message_id, &first.text).await;
    assert!(second.text.contains("Câu 2/7"), "{}", second.text);
    let stale_data = button(&second, "Rất hài lòng");
    // The link again: the survey resumes on a new message, and the old one loses its keyboard.
    harness.fake.push_command(CHAT, &format!("/start {token}"));
    let resumed = harness.messages(CHAT, 3).await[2].clone();
    assert!(resumed.text.contains("Câu 2/7"), "{}", resumed.text);
    harness.outbox_settled().await;
    assert_eq!(live_keyboards(&harness, CHAT), [resumed.message_id]);
    let cleared = harness.fake.calls_of("editMessageReplyMarkup");
    assert!(
        cleared
            .iter()
            .any(|c| c.body["message_id"] == first.message_id),
        "{cleared:#?}"
    );

    // A press on the superseded message: nothing stored, the message shows what was recorded
    // for the question pressed, with the notice.
    let answered = harness.fake.calls_of("answerCallbackQuery").len();
    harness.fake.press(CHAT, first.message_id, "a|access|1");
    let notices = harness
        .fake
        .wait_for("answerCallbackQuery", answered + 1)
        .await;
    let notice = notices
        .last()
        .unwrap()
        .str("text")
        .unwrap_or_default()
        .to_string();
    assert!(notice.contains("đã được trả lời"), "{notice}");
    let shown = harness.edited(CHAT, first.message_id, &second.text).await;
    assert!(shown.text.contains("✓ Hài lòng"), "{}", shown.text);
    assert!(!shown.text.contains("Câu 2/7"), "{}", shown.text);
    assert!(keyboard(&shown).into_iter().flatten().next().is_none());
    // Its old keyboard's answer to the open question does not count either: that question is
    // answered on the newest message.
    harness.fake.press(CHAT, first.message_id, &stale_data);
    let notices = harness
        .fake
        .wait_for("answerCallbackQuery", answered + 2)
        .await;
    let notice = notices
        .last()
        .unwrap()
        .str("text")
        .unwrap_or_default()
        .to_string();
    assert!(notice.contains("tin nhắn mới nhất"), "{notice}");
    let moved = harness.edited(CHAT, first.message_id, &shown.text).await;
    assert!(moved.text.contains("tin nhắn mới nhất"), "{}", moved.text);
    let session = harness.db.session_for_token(&token).await.unwrap().unwrap();
    assert_eq!(session.state.answers.len(), 1);
    assert_eq!(session.state.answer("access"), Some(&Answer::Scale(4)));

    // The live message's first press counts, once.
    harness
        .fake
        .press(CHAT, resumed.message_id, &button(&resumed, "Rất hài lòng"));
    let third = harness
        .edited(CHAT, resumed.message_id, &resumed.text)
        .await;
    assert!(third.text.contains("Câu 3/7"), "{}", third.text);
    let session = harness.db.session_for_token(&token).await.unwrap().unwrap();
    assert_eq!(session.state.answers.len(), 2);
    assert_eq!(session.state.answer("procedures"), Some(&Answer::Scale(5)));
    harness.outbox_settled().await;
    assert_eq!(live_keyboards(&harness, CHAT), [resumed.message_id]);

    // A typed answer draws the next question on a new message: again one live keyboard.
    let count = harness.fake.messages_to(CHAT).len();
    harness.fake.push_text(CHAT, "5");
    let fourth = harness.messages(CHAT, count + 1).await[count].clone();
    assert!(fourth.text.contains("Câu 4/7"), "{}", fourth.text);
    harness.outbox_settled().await;
    assert_eq!(live_keyboards(&harness, CHAT), [fourth.message_id]);
    harness.running.unwrap().shutdown().await;
}

#[tokio::test]
async fn resume_by_link_leaves_one_live_keyboard_and_a_superseded_press_is_edited() {
    for test_db in common::TestDb::all().await {
        resume_by_link_leaves_one_live_keyboard(test_db).await;
    }
}
