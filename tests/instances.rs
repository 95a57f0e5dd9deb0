//! Several `serve` instances on one database: only one long-polls at a time, and another takes
//! over when it is gone; in webhook mode any number take updates, and killing one loses no
//! answer and no message: the survivor takes the dead one's leased outbox rows over.

use crate::common;

use chrono::Duration;
use common::TestDb;
use common::fake_telegram::FakeTelegram;
use common::server::{monday_morning, settings};
use sipas_bot::core::clock::{Clock, ManualClock};
use sipas_bot::storage::{LEASE_SECONDS, OutboxStatus};
use std::sync::Arc;

/// Tries the lock until it is free, for at most 10 s: a dead PostgreSQL session ends as soon as
/// the server reads the closed socket, which happens beside the test, not in step with it.
async fn take_once_free(
    db: &sipas_bot::storage::Db,
    holder: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Option<sipas_bot::storage::PollerLock> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let taken = db.try_poller_lock(holder, at).await.unwrap();
        if taken.is_some() || std::time::Instant::now() > deadline {
            return taken;
        }
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn the_poller_lock_is_held_by_one_instance_and_freed_by_release_or_expiry() {
    for test_db in TestDb::all().await {
        let db = test_db.open().await;
        let now = monday_morning();
        let first = db
            .try_poller_lock("first", now)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{}: a free lock is taken", test_db.name));
        assert!(
            db.try_poller_lock("second", now).await.unwrap().is_none(),
            "{}: a held lock is refused",
            test_db.name
        );
        first.release().await;
        let mut second = db
            .try_poller_lock("second", now)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{}: a released lock is taken", test_db.name));
        assert!(second.renew(now).await, "{}", test_db.name);
        // The holder dies without releasing: the lock ends with its session (PostgreSQL) or when
        // its lease runs out (SQLite), not before.
        drop(second);
        let later = now + Duration::seconds(LEASE_SECONDS + 1);
        let third = take_once_free(&db, "third", later).await;
        assert!(
            third.is_some(),
            "{}: a dead holder's lock is taken",
            test_db.name
        );
        if let Some(third) = third {
            third.release().await;
        }
        db.close().await;
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn a_second_poller_takes_over_when_the_first_is_gone() {
    for test_db in TestDb::all().await {
        let fake = FakeTelegram::start().await;
        let clock = ManualClock::new(monday_morning());
        let start = || async {
            sipas_bot::app::serve::start(
                settings(&fake, &test_db.url, &[]),
                Arc::new(clock.clone()),
            )
            .await
            .expect("serve starts")
        };
        let first = start().await;
        // The first instance polls: a greeting is answered.
        fake.push_text(900_001, "xin chào");
        fake.wait_for("sendMessage", 1).await;
        let second = start().await;
        let db = test_db.open().await;
        assert!(
            db.try_poller_lock("probe", clock.now())
                .await
                .unwrap()
                .is_none(),
            "{}: the lock is held while the first instance polls",
            test_db.name
        );
        // The first instance dies: its tasks stop without releasing anything.
        drop(first);
        // SQLite's lease must run out; PostgreSQL ends the dead session's lock by itself.
        clock.advance(Duration::seconds(LEASE_SECONDS + 1));
        fake.push_text(900_002, "xin chào");
        let sent = fake.wait_for("sendMessage", 2).await;
        assert_eq!(
            sent.last().unwrap().chat_id(),
            Some(900_002),
            "{}: the second instance polls",
            test_db.name
        );
        second.shutdown().await;
        db.close().await;
        test_db.cleanup().await;
    }
}

/// Surveys the two-instance test opens.
const SURVEYS: usize = 1000;
/// Requests in flight at once, like a load balancer's connections.
const IN_FLIGHT: usize = 64;
const WEBHOOK_SECRET: &str = "webhook-secret-0123";

/// A `serve` process of the real binary in webhook mode.
struct Instance {
    child: std::process::Child,
    base: String,
}

/// An instance left running when a test fails (its assertion panics before the clean stop) is
/// killed here: a leaked `serve` would hold its PostgreSQL connections and fail later tests.
impl Drop for Instance {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Instance {
    fn spawn(fake: &FakeTelegram, db_url: &str) -> Instance {
        use std::io::BufRead;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sipas-bot"))
            .arg("serve")
            .env_remove("SIPAS_CONFIG")
            .env("TELEGRAM_BOT_TOKEN", common::fake_telegram::TOKEN)
            .env("TELEGRAM_API_URL", fake.api_url())
            .env("HTTP_ADDR", "127.0.0.1:0")
            .env("INTAKE_TOKEN", common::server::INTAKE_TOKEN)
            .env("DATABASE_URL", db_url)
            .env("SIPAS_FLOW", "sipas-short")
            .env("SIPAS_LANG", "vi")
            .env("TELEGRAM_MODE", "webhook")
            .env("TELEGRAM_WEBHOOK_URL", "http://127.0.0.1/telegram/webhook")
            .env("TELEGRAM_WEBHOOK_SECRET", WEBHOOK_SECRET)
            .env("WORKER_TICK_SECONDS", "86400")
            // Our own pace raised (the fake has no limits) so 5,000 messages go out in seconds,
            // and a short lease (long enough that a loaded machine still renews it in time), so the
            // killed instance's rows are taken over within seconds.
            .env("TELEGRAM_MESSAGES_PER_SECOND", "1000")
            .env("TELEGRAM_CHAT_MESSAGES_PER_SECOND", "30")
            .env("OUTBOX_LEASE_SECONDS", "12")
            .env("RUST_LOG", "error")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run sipas-bot serve");
        // The start-up line names the bound address; read until it comes (or the process ends).
        let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
        let base = loop {
            let line = lines
                .next()
                .expect("serve printed its address before exiting")
                .unwrap();
            if let Some(at) = line.find("http://127.0.0.1:") {
                let address: String = line[at..]
                    .chars()
                    .take_while(|c| !c.is_whitespace() && *c != ',')
                    .collect();
                break address;
            }
        };
        // Keep draining stderr so the process never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Instance { child, base }
    }
}

/// A private-chat update from citizen `chat`, as Telegram posts it.
fn text_update(update_id: i64, chat: i64, message_id: i64, text: &str) -> serde_json::Value {
    let mut message = serde_json::json!({
        "message_id": message_id,
        "from": { "id": chat, "is_bot": false, "first_name": "Dân" },
        "chat": { "id": chat, "type": "private", "first_name": "Dân" },
        "date": 1_763_262_000,
        "text": text,
    });
    if text.starts_with('/') {
        let length = text.split_whitespace().next().unwrap().len();
        message["entities"] =
            serde_json::json!([{ "type": "bot_command", "offset": 0, "length": length }]);
    }
    serde_json::json!({ "update_id": update_id, "message": message })
}

/// A press of the invitation's Bắt đầu, sent without waiting for the invitation's delivery: the
/// press only needs the token; the message id it names only gets its keyboard removed (an edit of
/// a message that is not there is skipped).
fn start_press(update_id: i64, chat: i64, token: &str) -> serde_json::Value {
    serde_json::json!({
        "update_id": update_id,
        "callback_query": {
            "id": format!("cb-{update_id}"),
            "from": { "id": chat, "is_bot": false, "first_name": "Dân" },
            "message": {
                "message_id": 2,
                "from": { "id": common::fake_telegram::BOT_ID, "is_bot": true, "first_name": "SIPAS" },
                "chat": { "id": chat, "type": "private", "first_name": "Dân" },
                "date": 1_763_262_000,
                "text": "…",
            },
            "chat_instance": format!("ci-{chat}"),
            "data": format!("inv|start|{token}"),
        }
    })
}

/// The load balancer: posts to the preferred instance, and to the other one when it does not
/// answer 2xx (dead, or failing), until one accepts. Telegram does the same with a webhook
/// update that was not acknowledged.
async fn post(
    http: &reqwest::Client,
    bases: &[String; 2],
    preferred: usize,
    path: &str,
    body: &serde_json::Value,
) -> serde_json::Value {
    for attempt in 0..20 {
        let base = &bases[(preferred + attempt) % 2];
        let sent = http
            .post(format!("{base}{path}"))
            .bearer_auth(common::server::INTAKE_TOKEN)
            .header("x-telegram-bot-api-secret-token", WEBHOOK_SECRET)
            .json(body)
            .send()
            .await;
        if let Ok(response) = sent
            && response.status().is_success()
        {
            return response.json().await.unwrap_or(serde_json::Value::Null);
        }
    }
    panic!("no instance accepted {path}: {body}");
}

/// Resolves once the fake has received more than `seen` calls (of any method).
async fn next_call(fake: &FakeTelegram, seen: usize) {
    loop {
        let counts = ["sendMessage", "editMessageText", "editMessageReplyMarkup"]
            .map(|method| fake.calls_of(method).len());
        if fake.calls().len() > seen {
            return;
        }
        tokio::select! {
            _ = fake.wait_for("sendMessage", counts[0] + 1) => {}
            _ = fake.wait_for("editMessageText", counts[1] + 1) => {}
            _ = fake.wait_for("editMessageReplyMarkup", counts[2] + 1) => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_lose_no_answer_when_one_is_killed() {
    use futures::StreamExt;
    let Some(test_db) = TestDb::postgres().await else {
        return;
    };
    let fake = FakeTelegram::start().await;
    // One after the other: the second finds the schema and the flows in place.
    let mut first = Instance::spawn(&fake, &test_db.url);
    let mut second = Instance::spawn(&fake, &test_db.url);
    let bases = [first.base.clone(), second.base.clone()];
    let http = reqwest::Client::new();
    let answered = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let half_answered = Arc::new(tokio::sync::Notify::new());

    let surveys = futures::stream::iter(0..SURVEYS)
        .map(|i| {
            let (http, bases) = (http.clone(), bases.clone());
            let (answered, half_answered) = (answered.clone(), half_answered.clone());
            async move {
                let chat = 800_000 + i as i64;
                let preferred = i % 2;
                let update = |step: i64| (i as i64) * 10 + step;
                let mut notice = common::server::notice_body(&format!("HS-KILL-{i}"));
                notice["recipient"] = serde_json::Value::Null;
                let created = post(&http, &bases, preferred, "/api/v1/notices", &notice).await;
                let token = created["token"].as_str().expect("a token").to_string();
                let hook = "/telegram/webhook";
                let start = text_update(update(1), chat, 1, &format!("/start {token}"));
                post(&http, &bases, preferred, hook, &start).await;
                post(
                    &http,
                    &bases,
                    preferred,
                    hook,
                    &start_press(update(2), chat, &token),
                )
                .await;
                post(
                    &http,
                    &bases,
                    preferred,
                    hook,
                    &text_update(update(3), chat, 4, "4"),
                )
                .await;
                post(
                    &http,
                    &bases,
                    preferred,
                    hook,
                    &text_update(update(4), chat, 6, "5"),
                )
                .await;
                if answered.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1 == SURVEYS / 2 {
                    half_answered.notify_one();
                }
                (chat, token)
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect::<Vec<_>>();
    let db = test_db.open().await;
    let killer = async {
        half_answered.notified().await;
        // Frozen first (SIGSTOP: it still holds its locks, so nothing of it is taken over yet),
        // so the window below is read as it stands at the kill.
        let pid = first.child.id().to_string();
        let stopped = std::process::Command::new("kill")
            .args(["-STOP", &pid])
            .status()
            .unwrap();
        assert!(stopped.success());
        // The at-least-once window: rows held under a lease when the instance died (claimed,
        // sent perhaps, but not recorded as sent). The dead instance's rows are taken over as
        // soon as its liveness lock is gone; a row of the survivor in flight at that moment,
        // on a machine loaded enough to miss a lease renewal, may be taken over too. Only these
        // may ever go out twice.
        let in_flight: Vec<(String, String)> =
            sqlx::query_as("SELECT chat_id, payload FROM outbox WHERE status = 'sending'")
                .fetch_all(db.pool())
                .await
                .unwrap();
        // SIGKILL: no shutdown, no release, requests in flight cut off.
        first.child.kill().expect("kill the first instance");
        first.child.wait().unwrap();
        in_flight
            .into_iter()
            .map(|(chat, payload)| {
                let payload: serde_json::Value = serde_json::from_str(&payload).unwrap();
                (
                    chat.parse::<i64>().ok(),
                    payload["text"].as_str().map(str::to_string),
                )
            })
            .collect::<std::collections::HashSet<_>>()
    };
    let (surveys, window) = tokio::join!(surveys, killer);

    // Every accepted answer is stored, once, in the order given.
    for (_, token) in &surveys {
        let session = db
            .session_for_token(token)
            .await
            .unwrap()
            .expect("a session");
        assert_eq!(
            session.state.answers.len(),
            2,
            "{token}: {:?}",
            session.state
        );
        assert_eq!(
            session.state.answer("access"),
            Some(&sipas_bot::core::survey::Answer::Scale(4))
        );
        assert_eq!(
            session.state.answer("procedures"),
            Some(&sipas_bot::core::survey::Answer::Scale(5))
        );
    }
    // Every update's messages were queued once: per chat the invitation, the first question
    // and the keyboard's removal, then one question per typed answer.
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT chat_id, kind, COUNT(*) FROM outbox GROUP BY chat_id, kind ORDER BY chat_id, kind",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    let mut per_chat = std::collections::HashMap::<String, Vec<(String, i64)>>::new();
    for (chat, kind, count) in rows {
        per_chat.entry(chat).or_default().push((kind, count));
    }
    assert_eq!(per_chat.len(), SURVEYS);
    for (chat, kinds) in &per_chat {
        assert_eq!(
            kinds,
            &[
                ("edit_markup".to_string(), 1),
                ("send_message".to_string(), 4)
            ],
            "chat {chat}"
        );
    }
    // Every message is delivered: the survivor takes the dead instance's leased rows over once
    // its liveness lock is gone, and sends everything else. Waits on the fake's calls, re-reading
    // the outbox after each (and at least every second, for the lease to run out).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(75);
    loop {
        let seen = fake.calls().len();
        let pending = db.outbox_count(OutboxStatus::Pending).await.unwrap();
        let sending = db.outbox_count(OutboxStatus::Sending).await.unwrap();
        if pending == 0 && sending == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not delivered within 75 s: {pending} pending, {sending} sending"
        );
        let _ =
            tokio::time::timeout(std::time::Duration::from_secs(1), next_call(&fake, seen)).await;
    }
    assert_eq!(
        db.outbox_count(OutboxStatus::Undeliverable).await.unwrap(),
        0,
        "no message given up"
    );
    let queued: Vec<(String, String)> =
        sqlx::query_as("SELECT chat_id, payload FROM outbox WHERE kind = 'send_message'")
            .fetch_all(db.pool())
            .await
            .unwrap();
    assert_eq!(queued.len(), SURVEYS * 4);
    let delivered: std::collections::HashSet<(Option<i64>, Option<String>)> = fake
        .calls_of("sendMessage")
        .iter()
        .map(|call| (call.chat_id(), call.str("text").map(str::to_string)))
        .collect();
    for (chat, payload) in &queued {
        let payload: serde_json::Value = serde_json::from_str(payload).unwrap();
        let key = (
            chat.parse::<i64>().ok(),
            payload["text"].as_str().map(str::to_string),
        );
        assert!(delivered.contains(&key), "never delivered: {key:?}");
    }

    // Nothing was sent twice outside the window (every message of a chat has its own text).
    let mut sent = std::collections::HashSet::new();
    for call in fake.calls_of("sendMessage") {
        let key = (call.chat_id(), call.str("text").map(str::to_string));
        if !sent.insert(key.clone()) && !window.contains(&key) {
            let rows: Vec<(i64, String, Option<String>)> = sqlx::query_as(
                "SELECT attempts, status, last_error FROM outbox WHERE chat_id = $1 ORDER BY id",
            )
            .bind(key.0.map(|c| c.to_string()).unwrap_or_default())
            .fetch_all(db.pool())
            .await
            .unwrap();
            panic!("sent twice, and not in flight at the kill: {key:?}; its chat's rows: {rows:?}");
        }
    }
    assert!(!sent.is_empty());

    // The survivor stops cleanly on SIGTERM.
    let pid = second.child.id().to_string();
    let stopped = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(stopped.success());
    assert!(second.child.wait().unwrap().success());
    db.close().await;
    test_db.cleanup().await;
}
