//! The update lanes against a database fault that will not pass: one chat's update fails every
//! time it is handled. It must not hold up other chats, nor its own chat for ever: after
//! `GIVE_UP_AFTER` deliveries it is given up, the citizen is told, and the chat works again.
//! The fault is real: a trigger in the test database refuses that chat's survey.

use crate::common;

use common::server::{Harness, button};

const POISONED: i64 = 700_950;
const HEALTHY: i64 = 700_951;

async fn poison(harness: &Harness, backend: &str) {
    let statements: &[&str] = if backend == "postgres" {
        &[
            "CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN
               IF NEW.chat_ref = '700950' THEN RAISE EXCEPTION 'poisoned'; END IF;
               RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER poison BEFORE INSERT ON survey_sessions
               FOR EACH ROW EXECUTE FUNCTION poison()",
        ]
    } else {
        &["CREATE TRIGGER poison BEFORE INSERT ON survey_sessions
             WHEN NEW.chat_ref = '700950' BEGIN SELECT RAISE(ABORT, 'poisoned'); END"]
    };
    for statement in statements {
        sqlx::query(statement)
            .execute(harness.db.pool())
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn an_update_that_keeps_failing_is_given_up_without_blocking_any_chat() {
    for test_db in common::TestDb::all().await {
        let backend = test_db.name;
        let harness = Harness::start_with(test_db, &[]).await;
        poison(&harness, backend).await;
        let stuck = harness.notice("HS-POISON-1", None).await;
        let fine = harness.notice("HS-POISON-2", None).await;
        // Both chats see their invitation; pressing "Bắt đầu" opens the survey (a session row).
        harness.fake.push_text(POISONED, &format!("/start {stuck}"));
        harness.fake.push_text(HEALTHY, &format!("/start {fine}"));
        let invited = harness.messages(POISONED, 1).await[0].clone();
        let start = button(&invited, "Bắt đầu");
        assert!(start.starts_with("inv|start|"), "{backend}");
        harness.fake.press(POISONED, invited.message_id, &start);
        let opened = harness.messages(HEALTHY, 1).await[0].clone();
        harness
            .fake
            .press(HEALTHY, opened.message_id, &button(&opened, "Bắt đầu"));

        // The healthy chat goes on while the other fails: its first question comes.
        let question = harness.messages(HEALTHY, 2).await[1].clone();
        assert!(
            question.text.contains("Câu 1"),
            "{backend}: {}",
            question.text
        );

        // The failing update is given up: the citizen is told it was not recorded.
        let told = harness.messages(POISONED, 2).await[1].clone();
        assert!(
            told.text.contains("chưa ghi nhận được"),
            "{backend}: {}",
            told.text
        );

        // Once the fault is gone the same chat opens its survey: nothing holds it back.
        let drop = if backend == "postgres" {
            "DROP TRIGGER poison ON survey_sessions"
        } else {
            "DROP TRIGGER poison"
        };
        sqlx::query(drop).execute(harness.db.pool()).await.unwrap();
        harness.fake.press(POISONED, invited.message_id, &start);
        let question = harness.messages(POISONED, 3).await[2].clone();
        assert!(
            question.text.contains("Câu 1"),
            "{backend}: {}",
            question.text
        );
        harness.finish().await;
    }
}
