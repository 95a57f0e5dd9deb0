//! Several `serve` instances on one database: only one long-polls at a time, and another takes
//! over when it is gone.

use crate::common;

use chrono::Duration;
use common::TestDb;
use common::fake_telegram::FakeTelegram;
use common::server::{monday_morning, settings};
use sipas_bot::clock::{Clock, ManualClock};
use sipas_bot::storage::LEASE_SECONDS;
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
            sipas_bot::serve::start(settings(&fake, &test_db.url, &[]), Arc::new(clock.clone()))
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
