//! `GET /metrics` over a real socket: after a notice, a survey answer and a refused message, the
//! Prometheus page names every figure operators watch.

mod common;

use common::fake_telegram::Failure;
use common::server::{Harness, button};

const CHAT: i64 = 700_900;
const BLOCKED: i64 = 700_901;

#[tokio::test]
async fn metrics_page_counts_notices_answers_sends_errors_and_outbox_depth() {
    let harness = Harness::start().await;
    let token = harness.notice("HS-M01", None).await;

    harness.fake.push_command(CHAT, &format!("/start {token}"));
    let invitation = harness.messages(CHAT, 1).await[0].clone();
    harness
        .fake
        .press(CHAT, invitation.message_id, &button(&invitation, "Bắt đầu"));
    let first = harness.messages(CHAT, 2).await[1].clone();
    harness
        .fake
        .press(CHAT, first.message_id, &button(&first, "Rất hài lòng"));
    // The press edits the question into the next one.
    let second = harness.edited(CHAT, first.message_id, &first.text).await;
    assert!(second.text.contains("Câu 2/"), "{}", second.text);

    // A chat that blocked the bot: its reply becomes undeliverable, a 403 is counted.
    harness
        .fake
        .fail_next("sendMessage", Some(BLOCKED), Failure::Forbidden);
    harness.fake.push_command(BLOCKED, "/start");
    harness.fake.wait_for("sendMessage", 3).await;
    harness.outbox_settled().await;

    let response = harness
        .http
        .get(format!("{}/metrics", harness.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain"),
        "{:?}",
        response.headers()
    );
    let page = response.text().await.unwrap();
    for expected in [
        "sipas_notices_received_total{outcome=\"created\"} 1",
        "sipas_answers_stored_total{channel=\"telegram\"}",
        "sipas_outbox_messages{channel=\"telegram\",status=\"undeliverable\"} 1",
        "sipas_send_duration_seconds_bucket{channel=\"telegram\",le=\"0.05\"}",
        "sipas_send_errors_total{channel=\"telegram\",kind=\"403\"} 1",
        "sipas_worker_heartbeat_timestamp_seconds{worker=\"telegram_sender\"}",
        "sipas_worker_heartbeat_timestamp_seconds{worker=\"telegram_poller\"}",
        "sipas_tap_to_next_seconds_bucket{channel=\"telegram\",le=\"0.5\"}",
        "sipas_tap_to_next_seconds_count{channel=\"telegram\"}",
    ] {
        assert!(page.contains(expected), "{expected} missing from:\n{page}");
    }
    let answers: f64 = page
        .lines()
        .find_map(|l| l.strip_prefix("sipas_answers_stored_total{channel=\"telegram\"} "))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        answers, 1.0,
        "one answer given (opening the survey is not one)"
    );
    harness.finish().await;
}
