//! The Zalo token refresh as `serve` lives with it, on both backends: an OAuth host that accepts
//! connections and never answers holds no database lock (notices and webhooks go on at once
//! while the refresh hangs), and a refresh token Zalo no longer accepts pauses the sender once,
//! with `/healthz` naming `zalo`, instead of being retried for ever.

use crate::common::server::{Harness, notice_body};
use crate::common::{TestDb, fake_zalo};
use crate::zalo_flow::{TEMPLATE_ID, inbox_settled, post_raw, text_event};

use fake_zalo::FakeZalo;
use serde_json::json;
use sipas_bot::core::clock::Clock;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::Notify;

/// A server that accepts connections, reads nothing and never answers.
struct Hanging {
    addr: std::net::SocketAddr,
    accepted: Arc<AtomicUsize>,
    arrived: Arc<Notify>,
}

impl Hanging {
    async fn start() -> Hanging {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let arrived = Arc::new(Notify::new());
        let (count, notify) = (accepted.clone(), arrived.clone());
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
                count.fetch_add(1, Ordering::SeqCst);
                notify.notify_waiters();
            }
        });
        Hanging {
            addr,
            accepted,
            arrived,
        }
    }

    async fn wait_for_connection(&self) {
        let wait = async {
            loop {
                let arrived = self.arrived.notified();
                if self.accepted.load(Ordering::SeqCst) > 0 {
                    return;
                }
                arrived.await;
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(15), wait)
            .await
            .expect("the refresh reaches the OAuth host");
    }
}

async fn start(test_db: TestDb, overrides: &[(&str, String)]) -> (Harness, FakeZalo) {
    let fake = FakeZalo::start().await;
    let mut env: Vec<(String, String)> = fake.env().into_iter().collect();
    env.push(("ZALO_INVITATION_TEMPLATE_ID".into(), TEMPLATE_ID.into()));
    env.extend(overrides.iter().map(|(k, v)| (k.to_string(), v.clone())));
    let extra: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    (Harness::start_with(test_db, &extra).await, fake)
}

fn follow(h: &Harness, user: &str) -> String {
    json!({"oa_id": fake_zalo::OA_ID, "follower": {"id": user}, "event_name": "follow",
        "timestamp": h.clock.now().timestamp_millis().to_string()})
    .to_string()
}

async fn status_of(h: &Harness, chat: &str) -> String {
    sqlx::query_scalar("SELECT status FROM outbox WHERE chat_id = $1 ORDER BY id LIMIT 1")
        .bind(chat)
        .fetch_one(h.db.pool())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hanging_oauth_host_blocks_neither_notices_nor_webhooks() {
    for test_db in TestDb::all().await {
        let name = test_db.name;
        let hanging = Hanging::start().await;
        let (h, _fake) = start(
            test_db,
            &[("ZALO_OAUTH_URL", format!("http://{}", hanging.addr))],
        )
        .await;
        // A follower's welcome needs a token: the refresh goes out and hangs.
        assert_eq!(post_raw(&h, &follow(&h, "2301"), None).await, 200, "{name}");
        inbox_settled(&h).await;
        h.running().notify_outbox();
        hanging.wait_for_connection().await;
        // Meanwhile notices are accepted and webhooks answered, each at once.
        for n in 0..12 {
            let (status, json) = h.post_notice(notice_body(&format!("H-HANG-{n}"))).await;
            assert_eq!(status, 201, "{name}: {json}");
            let event = text_event(&h, &format!("24{n:02}"), "xin chào");
            assert_eq!(post_raw(&h, &event, None).await, 200, "{name}");
        }
        inbox_settled(&h).await;
        // All of it while the refresh was still waiting on the OAuth host (8 s time-out): the
        // welcome's row is still held by its send.
        assert_eq!(status_of(&h, "2301").await, "sending", "{name}");
        assert_eq!(hanging.accepted.load(Ordering::SeqCst), 1, "{name}");
        h.finish().await;
    }
}

#[tokio::test]
async fn a_refused_refresh_token_pauses_the_sender_once_and_names_zalo_in_healthz() {
    for test_db in TestDb::all().await {
        let name = test_db.name;
        let (h, fake) = start(test_db, &[]).await;
        // The OAuth server refuses with a 400 and a JSON body: the body is read all the same.
        fake.revoke_authorization(400);
        assert_eq!(post_raw(&h, &follow(&h, "2501"), None).await, 200, "{name}");
        inbox_settled(&h).await;
        let outcomes = crate::zalo_flow::deliver(&h).await;
        assert!(
            matches!(
                outcomes.as_slice(),
                [sipas_bot::services::delivery::Outcome::Retry { .. }]
            ),
            "{name}: {outcomes:?}"
        );
        let pause = h.db.any_zalo_pause().await.unwrap().expect("paused");
        assert_eq!(
            (pause.host.as_str(), pause.code, pause.reason.as_str()),
            ("oauth", -14014, "invalid_grant"),
            "{name}"
        );
        let response = h
            .http
            .get(format!("{}/healthz", h.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 503, "{name}");
        assert!(response.text().await.unwrap().contains("zalo"), "{name}");
        // More messages wait without another refresh: the refused token is not tried again.
        assert_eq!(post_raw(&h, &follow(&h, "2502"), None).await, 200, "{name}");
        inbox_settled(&h).await;
        let refreshes = fake.calls("/v4/oa/access_token").len();
        assert_eq!(refreshes, 1, "{name}");
        h.clock.advance(chrono::Duration::minutes(2));
        crate::zalo_flow::deliver(&h).await;
        assert_eq!(fake.calls("/v4/oa/access_token").len(), 1, "{name}");
        h.finish().await;
    }
}
