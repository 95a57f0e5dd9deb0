//! The delivery core's rules against the fake Bot API, on every backend: an hour of outage
//! loses nothing, a 400 fails one message, a 403 fails the chat, our own pace draws no 429 from
//! a fake enforcing Telegram's limits, leases keep each chat's order
//! across instances and are taken over when their holder dies (a real `serve` process, killed
//! with SIGKILL).
//!
//! The in-process workers here are driven step by step ([`Worker::deliver_due`]) with a
//! hand-driven clock; their pace is raised to 1000 messages a second, so it never holds a step
//! up (pacing itself is unit-tested in `src/delivery/pacing.rs` with explicit instants), except
//! in the test of the pace itself, which keeps the defaults and real time.

use crate::common;

use chrono::{Duration, Utc};
use common::TestDb;
use common::fake_telegram::{self, Failure, FakeTelegram};
use common::server::monday_morning;
use sipas_bot::channels::telegram::sender::{self, TelegramTransport};
use sipas_bot::core::clock::{Clock, ManualClock};
use sipas_bot::services::delivery::{Pace, Worker, WorkerSettings};
use sipas_bot::storage::{
    Db, Effects, InvitationStatus, NewNotice, NoticeOutcome, OutboxStatus, Outgoing,
    SubmissionChannel,
};
use std::sync::Arc;
use teloxide::Bot;

const FAST: Pace = Pace {
    overall_per_second: 1000.0,
    chat_per_second: 1000.0,
};

fn worker(db: &Db, fake: &FakeTelegram, clock: &ManualClock) -> Worker {
    let bot = Bot::new(fake_telegram::TOKEN).set_api_url(fake.api_url().parse().unwrap());
    Worker::new(
        db.clone(),
        Arc::new(TelegramTransport::new(bot)),
        Arc::new(clock.clone()),
        WorkerSettings {
            counts_per_chat: sender::counts_per_chat,
            slower_chat: sender::slower_chat,
            ..WorkerSettings::new(FAST)
        },
    )
}

/// Queues text messages to `chat`, in one transaction, as a conversation would.
async fn queue(
    db: &Db,
    chat: i64,
    texts: &[&str],
    token: Option<&str>,
    now: chrono::DateTime<Utc>,
) {
    let mut effects = Effects::default();
    for text in texts {
        effects.push(Outgoing {
            channel: "telegram".into(),
            chat_id: chat.to_string(),
            kind: "send_message".into(),
            payload: serde_json::json!({ "text": text }),
            invitation_token: token.map(str::to_string),
        });
    }
    assert!(db.record_effects(&effects, now).await.unwrap());
}

fn texts(fake: &FakeTelegram, chat: i64) -> Vec<String> {
    fake.messages_to(chat).into_iter().map(|m| m.text).collect()
}

async fn count(db: &Db, status: OutboxStatus) -> i64 {
    db.outbox_count(status).await.unwrap()
}

#[tokio::test]
async fn an_hour_of_outage_loses_nothing_and_keeps_each_chats_order() {
    for test_db in TestDb::all().await {
        let db = test_db.open().await;
        let fake = FakeTelegram::start().await;
        let clock = ManualClock::new(monday_morning());
        let worker = worker(&db, &fake, &clock);
        let chats = [801_001, 801_002, 801_003];
        for chat in chats {
            queue(&db, chat, &["một", "hai", "ba"], None, clock.now()).await;
        }
        fake.set_outage(true);
        for _ in 0..60 {
            clock.advance(Duration::minutes(1));
            let pass = worker.deliver_due().await.unwrap();
            assert_eq!(pass.sent + pass.failed, 0, "{}: {pass:?}", test_db.name);
        }
        let tries_in_outage = fake.calls_of("sendMessage").len();
        assert!(
            (3..=80).contains(&tries_in_outage),
            "{}: backoff keeps tries few: {tries_in_outage}",
            test_db.name
        );
        assert_eq!(
            count(&db, OutboxStatus::Undeliverable).await,
            0,
            "{}",
            test_db.name
        );
        assert_eq!(
            count(&db, OutboxStatus::Pending).await,
            9,
            "{}",
            test_db.name
        );

        fake.set_outage(false);
        // Back up, Telegram first asks for a long wait: the chat's rows go back to the queue,
        // not to the bin; the other chats go on.
        fake.fail_next(
            "sendMessage",
            Some(chats[0]),
            Failure::TooManyRequests { retry_after: 120 },
        );
        clock.advance(Duration::minutes(5));
        let pass = worker.deliver_due().await.unwrap();
        assert_eq!(
            (pass.claimed, pass.sent, pass.retried),
            (9, 6, 3),
            "{}",
            test_db.name
        );
        clock.advance(Duration::minutes(3));
        assert_eq!(
            worker.deliver_due().await.unwrap().sent,
            3,
            "{}",
            test_db.name
        );
        for chat in chats {
            assert_eq!(
                texts(&fake, chat),
                ["một", "hai", "ba"],
                "{}: chat {chat}, in order, each once",
                test_db.name
            );
        }
        assert_eq!(count(&db, OutboxStatus::Sent).await, 9, "{}", test_db.name);
        assert_eq!(worker.deliver_due().await.unwrap().claimed, 0);
        db.close().await;
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn a_400_fails_that_message_and_the_chat_goes_on() {
    for test_db in TestDb::all().await {
        let db = test_db.open().await;
        let fake = FakeTelegram::start().await;
        let clock = ManualClock::new(monday_morning());
        let worker = worker(&db, &fake, &clock);
        let chat = 802_001;
        queue(&db, chat, &["quá dài", "tiếp theo"], None, clock.now()).await;
        fake.fail_next(
            "sendMessage",
            Some(chat),
            Failure::Other {
                error_code: 400,
                description: "Bad Request: message is too long".into(),
            },
        );
        let pass = worker.deliver_due().await.unwrap();
        assert_eq!(
            (pass.claimed, pass.failed, pass.sent),
            (2, 1, 1),
            "{}",
            test_db.name
        );
        assert_eq!(texts(&fake, chat), ["tiếp theo"], "{}", test_db.name);
        assert_eq!(count(&db, OutboxStatus::Undeliverable).await, 1);
        assert_eq!(count(&db, OutboxStatus::Sent).await, 1);
        db.close().await;
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn a_403_fails_every_pending_row_of_the_chat_and_its_invitation() {
    for test_db in TestDb::all().await {
        let db = test_db.open().await;
        let fake = FakeTelegram::start().await;
        let clock = ManualClock::new(monday_morning());
        let worker = worker(&db, &fake, &clock);
        let flow_id = db.latest_flow("sipas-short").await.unwrap().unwrap().id;
        let notice = NewNotice {
            dossier_code: "HS-403".into(),
            agency_code: "T14.H02".into(),
            procedure_code: "1.001612".into(),
            procedure_name: "Đăng ký khai sinh".into(),
            submission_channel: SubmissionChannel::Online,
            completed_at: clock.now(),
            recipient_chat_id: None,
        };
        let NoticeOutcome::Created(invitation) = db
            .submit_notice(&notice, flow_id, Duration::days(7), clock.now())
            .await
            .unwrap()
        else {
            panic!("a new notice")
        };
        let (blocked, other) = (803_001, 803_002);
        queue(&db, blocked, &["lời mời"], None, clock.now()).await;
        queue(
            &db,
            blocked,
            &["nhắc", "câu hỏi"],
            Some(&invitation.token),
            clock.now(),
        )
        .await;
        queue(&db, other, &["xin chào"], None, clock.now()).await;
        fake.fail_next("sendMessage", Some(blocked), Failure::Forbidden);
        let pass = worker.deliver_due().await.unwrap();
        assert_eq!((pass.sent, pass.failed), (1, 3), "{}", test_db.name);
        assert_eq!(
            worker.deliver_due().await.unwrap().claimed,
            0,
            "nothing left to try"
        );
        assert_eq!(
            count(&db, OutboxStatus::Undeliverable).await,
            3,
            "{}",
            test_db.name
        );
        assert_eq!(
            db.invitation(&invitation.token)
                .await
                .unwrap()
                .unwrap()
                .status,
            InvitationStatus::Undeliverable,
            "{}",
            test_db.name
        );
        assert_eq!(
            fake.calls_of("sendMessage").len(),
            2,
            "one refused, one to the other chat"
        );
        assert_eq!(texts(&fake, other), ["xin chào"]);
        db.close().await;
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn a_lease_keeps_a_chat_to_one_holder_until_it_runs_out() {
    for test_db in TestDb::all().await {
        let db = test_db.open().await;
        let now = monday_morning();
        queue(&db, 804_001, &["một", "hai"], None, now).await;
        queue(&db, 804_002, &["ba"], None, now).await;
        let lease = Duration::seconds(30);
        let first = db
            .claim_outbox("telegram", "a", now, now + lease, 100)
            .await
            .unwrap();
        let claimed: Vec<String> = first
            .iter()
            .map(|c| c.row.payload["text"].to_string())
            .collect();
        assert_eq!(
            claimed,
            ["\"một\"", "\"hai\"", "\"ba\""],
            "{}: each chat's head and the due rows behind it",
            test_db.name
        );
        assert!(
            db.claim_outbox("telegram", "b", now, now + lease, 100)
                .await
                .unwrap()
                .is_empty(),
            "{}: held rows and the rows behind them are not claimable",
            test_db.name
        );
        let later = now + lease + Duration::seconds(1);
        let taken = db
            .claim_outbox("telegram", "b", later, later + lease, 100)
            .await
            .unwrap();
        let heads: Vec<String> = taken
            .iter()
            .map(|c| c.row.payload["text"].to_string())
            .collect();
        assert_eq!(
            heads,
            ["\"một\"", "\"ba\""],
            "{}: the heads are taken over after the lease; the row behind waits its turn",
            test_db.name
        );
        assert_eq!(taken[0].row.attempts, 2);
        // The first holder's late answer counts only for the row it still holds ("hai"): the
        // heads are "b"'s now, and stay in flight under "b".
        let finished: Vec<_> = first
            .iter()
            .map(|c| (c.clone(), sipas_bot::storage::Finish::Sent))
            .collect();
        db.finish_outbox(&finished, later).await.unwrap();
        assert_eq!(count(&db, OutboxStatus::Sent).await, 1, "{}", test_db.name);
        assert_eq!(
            count(&db, OutboxStatus::Sending).await,
            2,
            "{}",
            test_db.name
        );
        db.close().await;
        test_db.cleanup().await;
    }
}

/// Our own pace (the defaults: 30 a second, 1 a second per chat) against a fake that enforces
/// Telegram's limits as strictly as they could be read: 30 calls arriving in any rolling second,
/// a second between two new messages to one chat. Three seconds of saturated sending (45 chats,
/// two messages each, all due at once) draw no 429, and every message goes out once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_seconds_at_full_pace_draw_no_429_from_telegrams_limits() {
    for test_db in TestDb::all().await {
        let db = test_db.open().await;
        let fake = FakeTelegram::start().await;
        fake.enforce_limits(fake_telegram::Limits {
            overall: 30,
            per_chat: std::time::Duration::from_secs(1),
        });
        let clock = ManualClock::new(monday_morning());
        let bot = Bot::new(fake_telegram::TOKEN).set_api_url(fake.api_url().parse().unwrap());
        let worker = Worker::new(
            db.clone(),
            Arc::new(TelegramTransport::new(bot)),
            Arc::new(clock.clone()),
            WorkerSettings {
                counts_per_chat: sender::counts_per_chat,
                slower_chat: sender::slower_chat,
                ..WorkerSettings::new(
                    sipas_bot::services::delivery::settings::DeliverySettings::default()
                        .telegram_pace,
                )
            },
        );
        let chats: Vec<i64> = (0..45).map(|i| 806_000 + i).collect();
        for chat in &chats {
            queue(&db, *chat, &["một", "hai"], None, clock.now()).await;
        }
        let started = std::time::Instant::now();
        let pass = worker.deliver_due().await.unwrap();
        let took = started.elapsed();
        assert_eq!(
            fake.too_many_requests(),
            0,
            "{}: {pass:?} in {took:?}",
            test_db.name
        );
        assert_eq!((pass.claimed, pass.sent), (90, 90), "{}", test_db.name);
        for chat in &chats {
            assert_eq!(texts(&fake, *chat), ["một", "hai"], "{}", test_db.name);
        }
        // 90 sends: 89 gaps of 1/30 s and two margins; well under the time a 429's wait adds.
        assert!(
            took < std::time::Duration::from_secs(5),
            "{}: {took:?}",
            test_db.name
        );
        db.close().await;
        test_db.cleanup().await;
    }
}

/// Kills the child on drop, so a failing test leaves no process behind.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_held_by_a_killed_instance_are_taken_over_after_the_lease() {
    let Some(test_db) = TestDb::postgres().await else {
        return;
    };
    let db = test_db.open().await;
    let fake = FakeTelegram::start().await;
    let chats = [805_001, 805_002, 805_003];
    for chat in chats {
        queue(&db, chat, &["một", "hai"], None, Utc::now()).await;
    }
    fake.hold_sends(true);
    let dir = tempfile::tempdir().unwrap();
    let mut child = Child(
        std::process::Command::new(env!("CARGO_BIN_EXE_sipas-bot"))
            .arg("serve")
            .current_dir(dir.path())
            .env("DATABASE_URL", &test_db.url)
            .env("TELEGRAM_BOT_TOKEN", fake_telegram::TOKEN)
            .env("TELEGRAM_API_URL", fake.api_url())
            .env("HTTP_ADDR", "127.0.0.1:0")
            .env("INTAKE_TOKEN", common::server::INTAKE_TOKEN)
            .env("OUTBOX_LEASE_SECONDS", "5")
            .env("WORKER_TICK_SECONDS", "86400")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    tokio::time::timeout(
        std::time::Duration::from_secs(30),
        fake.wait_for("sendMessage", 3),
    )
    .await
    .expect("the instance sends the head of each chat");
    assert_eq!(
        count(&db, OutboxStatus::Sending).await,
        6,
        "each chat's rows are held, its head in flight"
    );
    child.0.kill().unwrap();
    child.0.wait().unwrap();
    fake.hold_sends(false);
    assert!(
        fake.messages_to(chats[0]).is_empty(),
        "nothing reached Telegram"
    );

    // Another instance, its clock past the dead one's last lease.
    let clock = ManualClock::new(Utc::now() + Duration::seconds(7));
    let taker = worker(&db, &fake, &clock);
    let pass = taker.deliver_due().await.unwrap();
    assert_eq!((pass.claimed, pass.sent), (3, 3), "{pass:?}");
    assert_eq!(taker.deliver_due().await.unwrap().sent, 3);
    for chat in chats {
        assert_eq!(
            texts(&fake, chat),
            ["một", "hai"],
            "chat {chat}: in order, once"
        );
    }
    assert_eq!(count(&db, OutboxStatus::Sent).await, 6);
    db.close().await;
    test_db.cleanup().await;
}
