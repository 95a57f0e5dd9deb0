//! Back within seconds after a crash, on every backend: the real binary is SIGKILLed while it
//! holds the poller lock and an outbox row in flight, and an instance started at once answers
//! the citizen's next message within 3 s; a dead instance's leased rows are sent by a survivor
//! within 3 s, long before their 30-second lease would run out. Each waits on the event with a
//! bounded deadline, never on a sleep.

use crate::common;

use common::TestDb;
use common::fake_telegram::{self, FakeTelegram};
use sipas_bot::channels::telegram::sender::{self, TelegramTransport};
use sipas_bot::core::clock::SystemClock;
use sipas_bot::services::delivery::{Worker, WorkerSettings};
use sipas_bot::storage::{Effects, OutboxStatus, Outgoing};
use std::io::BufRead;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The target of issue 16: the next reply within this long of an immediate restart.
const BACK_WITHIN: Duration = Duration::from_secs(3);

/// A `sipas-bot serve` process, killed when dropped (a failing test leaves nothing running).
struct Bot(std::process::Child);

impl Drop for Bot {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Bot {
    /// Starts the real binary long-polling the fake, with the default delivery settings (a
    /// 30-second outbox lease), and returns once it printed its address (it has started).
    fn start(fake: &FakeTelegram, db_url: &str, dir: &std::path::Path) -> Bot {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sipas-bot"))
            .arg("serve")
            .current_dir(dir)
            .env_remove("SIPAS_CONFIG")
            .env("DATABASE_URL", db_url)
            .env("TELEGRAM_BOT_TOKEN", fake_telegram::TOKEN)
            .env("TELEGRAM_API_URL", fake.api_url())
            .env("HTTP_ADDR", "127.0.0.1:0")
            .env("INTAKE_TOKEN", common::server::INTAKE_TOKEN)
            .env("SIPAS_FLOW", "sipas-short")
            .env("WORKER_TICK_SECONDS", "86400")
            .env("RUST_LOG", "error")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run sipas-bot serve");
        let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
        loop {
            let line = lines
                .next()
                .expect("serve printed its address before exiting")
                .unwrap();
            if line.contains("http://127.0.0.1:") || line.contains("127.0.0.1:") {
                break;
            }
        }
        std::thread::spawn(move || for _ in lines {});
        Bot(child)
    }

    fn kill(mut self) {
        self.0.kill().expect("SIGKILL");
        self.0.wait().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_sigkilled_and_restarted_answers_the_next_message_within_three_seconds() {
    for test_db in TestDb::all().await {
        let fake = FakeTelegram::start().await;
        let dir = tempfile::tempdir().unwrap();
        let chat = 906_001;
        let first = Bot::start(&fake, &test_db.url, dir.path());
        fake.push_text(chat, "xin chào");
        fake.wait_for("sendMessage", 1).await;
        // The next reply is held in flight (its row leased), then the process dies holding the
        // poller lock, the row and its liveness lock.
        fake.hold_sends(true);
        fake.push_text(chat, "xin chào");
        fake.wait_for("sendMessage", 2).await;
        first.kill();
        fake.hold_sends(false);
        assert_eq!(
            fake.messages_to(chat).len(),
            1,
            "the held reply never arrived"
        );

        let second = Bot::start(&fake, &test_db.url, dir.path());
        let restarted = Instant::now();
        fake.push_text(chat, "chào lần nữa");
        // The held reply goes again first (its chat's order), then the new one.
        let answered = tokio::time::timeout(BACK_WITHIN, async {
            while fake.messages_to(chat).len() < 3 {
                let seen = fake.calls_of("sendMessage").len();
                fake.wait_for("sendMessage", seen + 1).await;
            }
        })
        .await;
        assert!(
            answered.is_ok(),
            "{}: no answer within {BACK_WITHIN:?} of the restart ({:?} since; {} messages)",
            test_db.name,
            restarted.elapsed(),
            fake.messages_to(chat).len()
        );
        second.kill();
        test_db.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_instances_rows_are_sent_by_the_survivor_within_three_seconds() {
    for test_db in TestDb::all().await {
        let db = test_db.open().await;
        let fake = FakeTelegram::start().await;
        let chats = [807_001, 807_002, 807_003];
        for chat in chats {
            let mut effects = Effects::default();
            for text in ["một", "hai"] {
                effects.push(Outgoing {
                    channel: "telegram".into(),
                    chat_id: chat.to_string(),
                    kind: "send_message".into(),
                    payload: serde_json::json!({ "text": text }),
                    invitation_token: None,
                });
            }
            assert!(
                db.record_effects(&effects, chrono::Utc::now())
                    .await
                    .unwrap()
            );
        }
        fake.hold_sends(true);
        let dir = tempfile::tempdir().unwrap();
        let dead = Bot::start(&fake, &test_db.url, dir.path());
        fake.wait_for("sendMessage", 3).await;
        assert_eq!(
            db.outbox_count(OutboxStatus::Sending).await.unwrap(),
            6,
            "{}: each chat's rows are held, its head in flight",
            test_db.name
        );
        dead.kill();
        fake.hold_sends(false);

        // A survivor on the real clock, with the default 30-second lease: it must not wait for
        // the dead instance's leases to run out.
        let bot =
            teloxide::Bot::new(fake_telegram::TOKEN).set_api_url(fake.api_url().parse().unwrap());
        let survivor = Worker::new(
            db.clone(),
            Arc::new(TelegramTransport::new(bot)),
            Arc::new(SystemClock),
            WorkerSettings {
                counts_per_chat: sender::counts_per_chat,
                slower_chat: sender::slower_chat,
                ..WorkerSettings::new(sipas_bot::services::delivery::Pace {
                    overall_per_second: 1000.0,
                    chat_per_second: 1000.0,
                })
            },
        );
        let killed = Instant::now();
        let mut sent = 0;
        // PostgreSQL ends the dead session (and its lock) once it reads the closed socket,
        // beside the test: each step is tried again until the rows move or the deadline passes.
        while sent < 6 {
            assert!(
                killed.elapsed() < BACK_WITHIN,
                "{}: {sent} of 6 rows sent within {BACK_WITHIN:?} of the kill",
                test_db.name
            );
            sent += survivor.deliver_due().await.unwrap().sent;
            tokio::task::yield_now().await;
        }
        for chat in chats {
            let texts: Vec<String> = fake.messages_to(chat).into_iter().map(|m| m.text).collect();
            assert_eq!(texts, ["một", "hai"], "{}: chat {chat}", test_db.name);
        }
        db.close().await;
        test_db.cleanup().await;
    }
}
