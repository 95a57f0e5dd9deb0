//! A running `serve` (built in-process) against the fake Bot API, on a fresh database, with a
//! hand-driven clock.

use super::fake_telegram::{self, FakeTelegram, SentMessage};
use chrono::{DateTime, TimeZone, Utc};
use sipas_bot::app::serve::{Running, ServeSettings};
use sipas_bot::core::clock::{ManualClock, vietnam};
use sipas_bot::storage::{Db, OutboxStatus};
use std::collections::HashMap;
use std::sync::Arc;

pub const INTAKE_TOKEN: &str = "intake-secret-0123456789";

pub struct Harness {
    pub fake: FakeTelegram,
    pub running: Option<Running>,
    pub clock: ManualClock,
    pub db_url: String,
    pub db: Db,
    pub base: String,
    pub http: reqwest::Client,
    extra: Vec<(String, String)>,
    _test_db: super::TestDb,
}

/// 10:00 on Monday 16/11/2026, Vietnam time.
pub fn monday_morning() -> DateTime<Utc> {
    vietnam()
        .with_ymd_and_hms(2026, 11, 16, 10, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

pub fn settings(fake: &FakeTelegram, db_url: &str, extra: &[(String, String)]) -> ServeSettings {
    let mut env: HashMap<String, String> = HashMap::from([
        ("TELEGRAM_BOT_TOKEN".into(), fake_telegram::TOKEN.into()),
        ("TELEGRAM_API_URL".into(), fake.api_url()),
        ("HTTP_ADDR".into(), "127.0.0.1:0".into()),
        ("INTAKE_TOKEN".into(), INTAKE_TOKEN.into()),
        ("DATABASE_URL".into(), db_url.into()),
        ("SIPAS_FLOW".into(), "sipas-short".into()),
        // Tests drive the workers themselves (with the hand-driven clock): keep the background
        // loops out of the way.
        ("WORKER_TICK_SECONDS".into(), "86400".into()),
    ]);
    env.extend(extra.iter().cloned());
    ServeSettings::from_lookup(|name| env.get(name).cloned()).expect("test settings are valid")
}

impl Harness {
    pub async fn start() -> Harness {
        Harness::start_with(super::TestDb::sqlite(), &[]).await
    }

    pub async fn start_with(test_db: super::TestDb, extra: &[(&str, &str)]) -> Harness {
        let fake = FakeTelegram::start().await;
        let clock = ManualClock::new(monday_morning());
        let extra: Vec<(String, String)> = extra
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let running = sipas_bot::app::serve::start(
            settings(&fake, &test_db.url, &extra),
            Arc::new(clock.clone()),
        )
        .await
        .expect("serve starts");
        let db = sipas_bot::storage::Db::connect(&test_db.url).await.unwrap();
        Harness {
            base: format!("http://{}", running.http_addr),
            running: Some(running),
            fake,
            clock,
            db_url: test_db.url.clone(),
            db,
            http: reqwest::Client::new(),
            extra,
            _test_db: test_db,
        }
    }

    /// Stops the server and drops the test database.
    pub async fn finish(mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown().await;
        }
        self.db.close().await;
        self._test_db.cleanup().await;
    }

    pub fn running(&self) -> &Running {
        self.running.as_ref().expect("running")
    }

    /// Stops the server gracefully and starts a new one on the same database and fake API.
    pub async fn restart(&mut self) {
        self.running.take().expect("running").shutdown().await;
        let running = sipas_bot::app::serve::start(
            settings(&self.fake, &self.db_url, &self.extra),
            Arc::new(self.clock.clone()),
        )
        .await
        .expect("serve restarts");
        self.base = format!("http://{}", running.http_addr);
        self.running = Some(running);
    }

    pub async fn post_notice(&self, body: serde_json::Value) -> (u16, serde_json::Value) {
        let response = self
            .http
            .post(format!("{}/api/v1/notices", self.base))
            .bearer_auth(INTAKE_TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (
            status,
            response.json().await.unwrap_or(serde_json::Value::Null),
        )
    }

    /// Posts a valid notice and returns the invitation token.
    pub async fn notice(&self, dossier: &str, chat: Option<i64>) -> String {
        let mut body = notice_body(dossier);
        if let Some(chat) = chat {
            body["recipient"] = serde_json::json!({ "telegram_chat_id": chat });
        }
        let (status, json) = self.post_notice(body).await;
        assert_eq!(status, 201, "{json}");
        json["token"].as_str().unwrap().to_string()
    }

    /// Waits until `count` messages have been sent to `chat` and returns them.
    pub async fn messages(&self, chat: i64, count: usize) -> Vec<SentMessage> {
        let mut passes = self
            .running()
            .sender
            .as_ref()
            .expect("Telegram runs")
            .subscribe();
        let wait = async {
            loop {
                let messages = self.fake.messages_to(chat);
                if messages.len() >= count {
                    return messages;
                }
                passes.changed().await.expect("sender alive");
            }
        };
        match tokio::time::timeout(std::time::Duration::from_secs(15), wait).await {
            Ok(messages) => messages,
            Err(_) => panic!(
                "expected {count} messages to {chat}, got {:#?}",
                self.fake.messages_to(chat)
            ),
        }
    }

    /// Waits until the bot's message `message_id` in `chat` no longer reads `old_text` (a press
    /// edits the pressed message into the next question) and returns it.
    pub async fn edited(&self, chat: i64, message_id: i32, old_text: &str) -> SentMessage {
        let mut passes = self
            .running()
            .sender
            .as_ref()
            .expect("Telegram runs")
            .subscribe();
        let current = || {
            self.fake
                .messages_to(chat)
                .into_iter()
                .find(|m| m.message_id == message_id)
        };
        let wait = async {
            loop {
                if let Some(message) = current().filter(|m| m.text != old_text) {
                    return message;
                }
                passes.changed().await.expect("sender alive");
            }
        };
        match tokio::time::timeout(std::time::Duration::from_secs(15), wait).await {
            Ok(message) => message,
            Err(_) => panic!(
                "expected message {message_id} in {chat} to be edited, got {:#?}",
                current()
            ),
        }
    }

    /// Waits until the outbox has nothing pending or in flight.
    pub async fn outbox_settled(&self) {
        let mut passes = self
            .running()
            .sender
            .as_ref()
            .expect("Telegram runs")
            .subscribe();
        let wait = async {
            loop {
                let pending = self.db.outbox_count(OutboxStatus::Pending).await.unwrap();
                let sending = self.db.outbox_count(OutboxStatus::Sending).await.unwrap();
                if pending + sending == 0 {
                    return;
                }
                passes.changed().await.expect("sender alive");
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(15), wait)
            .await
            .expect("the outbox settles");
    }
}

pub fn notice_body(dossier: &str) -> serde_json::Value {
    serde_json::json!({
        "dossier_code": dossier,
        "agency_code": "T14.H02",
        "procedure_code": "1.001612",
        "procedure_name": "Đăng ký khai sinh",
        "submission_channel": "direct",
        "completed_at": "2026-11-16T09:30:00+07:00",
    })
}

/// The inline keyboard of a message: rows of (label, callback data).
pub fn keyboard(message: &SentMessage) -> Vec<Vec<(String, String)>> {
    let Some(markup) = &message.reply_markup else {
        return Vec::new();
    };
    markup["inline_keyboard"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|row| {
                    row.as_array()
                        .unwrap()
                        .iter()
                        .map(|b| {
                            (
                                b["text"].as_str().unwrap_or_default().to_string(),
                                b["callback_data"].as_str().unwrap_or_default().to_string(),
                            )
                        })
                        .collect()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The callback data of the button labelled `label` on `message`.
pub fn button(message: &SentMessage, label: &str) -> String {
    keyboard(message)
        .into_iter()
        .flatten()
        .find(|(l, _)| l == label)
        .map(|(_, data)| data)
        .unwrap_or_else(|| panic!("no button {label:?} on {message:#?}"))
}
