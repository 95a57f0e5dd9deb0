//! `GET /healthz` over a real socket knows the background workers: `200 ok` while every worker
//! ticks (or idles) within three of its intervals, `503` naming a worker that stopped, and `200`
//! again once it ticks. The worker is stalled the honest way: its pass waits on a table lock the
//! test holds in PostgreSQL.

use crate::common;

use common::TestDb;
use common::server::Harness;
use sqlx::Connection;
use std::time::Duration;
use tokio::time::Instant;

/// Ticks of one second: a stalled worker is stale after three.
const TICK: (&str, &str) = ("WORKER_TICK_SECONDS", "1");

async fn healthz(harness: &Harness) -> (u16, String) {
    let response = harness
        .http
        .get(format!("{}/healthz", harness.base))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// Asks `/healthz` after every heartbeat of any worker until it answers `want`, or fails after
/// `within`; returns the body.
async fn healthz_until(harness: &Harness, want: u16, within: Duration) -> String {
    let mut ticks = harness.running().heartbeats.subscribe();
    let deadline = Instant::now() + within;
    loop {
        let (status, body) = healthz(harness).await;
        if status == want {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "/healthz still answers {status} {body:?}, {want} expected"
        );
        let _ = tokio::time::timeout_at(deadline, ticks.changed()).await;
    }
}

/// Waits until `worker` has ticked `count` times after now.
async fn ticks_of(harness: &Harness, worker: &str, count: usize) {
    let heartbeats = &harness.running().heartbeats;
    let mut ticks = heartbeats.subscribe();
    let mut last = heartbeats.last_tick(worker).expect("registered");
    let mut seen = 0;
    let wait = async {
        while seen < count {
            ticks.changed().await.expect("serve runs");
            let now = heartbeats.last_tick(worker).unwrap();
            if now > last {
                (last, seen) = (now, seen + 1);
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), wait)
        .await
        .unwrap_or_else(|_| panic!("{worker} ticked {seen} of {count} times"));
}

#[tokio::test]
async fn healthz_is_ok_while_every_worker_ticks_or_idles() {
    let harness = Harness::start_with(TestDb::sqlite(), &[TICK]).await;
    assert_eq!(
        harness.running().heartbeats.workers(),
        [
            "officials",
            "reminders",
            "telegram_poller",
            "telegram_sender"
        ],
        "every background loop of a polling Telegram serve registers"
    );
    // More than three intervals of the one-second loops pass: they keep ticking, and the idle
    // sender and the long-polling poller are not taken for stalled.
    ticks_of(&harness, "officials", 4).await;
    ticks_of(&harness, "reminders", 1).await;
    assert_eq!(healthz(&harness).await, (200, "ok".to_string()));
    harness.finish().await;
}

#[tokio::test]
async fn a_stalled_worker_turns_healthz_503_naming_it_until_it_ticks_again() {
    let Some(test_db) = TestDb::postgres().await else {
        return;
    };
    let harness = Harness::start_with(test_db, &[TICK]).await;
    ticks_of(&harness, "officials", 1).await;
    assert_eq!(healthz(&harness).await, (200, "ok".to_string()));

    // The officials' pass reads the subscriptions first; the reminders, the sender and the
    // health check itself never touch that table.
    let mut lock = sqlx::PgConnection::connect(&harness.db_url).await.unwrap();
    sqlx::query("BEGIN").execute(&mut lock).await.unwrap();
    sqlx::query("LOCK TABLE subscriptions IN ACCESS EXCLUSIVE MODE")
        .execute(&mut lock)
        .await
        .unwrap();
    let body = healthz_until(&harness, 503, Duration::from_secs(20)).await;
    assert_eq!(
        body, "stale workers: officials",
        "only the stalled worker is named"
    );

    sqlx::query("ROLLBACK").execute(&mut lock).await.unwrap();
    lock.close().await.unwrap();
    let body = healthz_until(&harness, 200, Duration::from_secs(20)).await;
    assert_eq!(body, "ok");
    harness.finish().await;
}
