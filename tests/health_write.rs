//! Issue 18, item 3: `/healthz` checks a write. While another connection holds the database's
//! write lock (SQLite) or the heartbeat table (PostgreSQL), `/healthz` answers `503 database
//! not writable` within its bound; once the lock goes, `200 ok`.

use crate::common;

use common::TestDb;
use common::server::Harness;
use sqlx::Connection;

async fn healthz(harness: &Harness) -> (u16, String) {
    let response = harness
        .http
        .get(format!("{}/healthz", harness.base))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn healthz_names_a_database_that_takes_no_write_on_sqlite() {
    let harness = Harness::start_with(TestDb::sqlite(), &[]).await;
    assert_eq!(healthz(&harness).await, (200, "ok".to_string()));
    let mut holder = sqlx::SqliteConnection::connect(&harness.db_url)
        .await
        .unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut holder)
        .await
        .unwrap();
    let started = std::time::Instant::now();
    assert_eq!(
        healthz(&harness).await,
        (503, "database not writable".to_string())
    );
    assert!(
        started.elapsed() < sipas_bot::web::HEALTH_WRITE_TIMEOUT * 3,
        "answered within its bound: {:?}",
        started.elapsed()
    );
    sqlx::query("ROLLBACK").execute(&mut holder).await.unwrap();
    holder.close().await.unwrap();
    assert_eq!(healthz(&harness).await, (200, "ok".to_string()));
    harness.finish().await;
}

#[tokio::test]
async fn healthz_names_a_database_that_takes_no_write_on_postgresql() {
    let Some(test_db) = TestDb::postgres().await else {
        return;
    };
    let harness = Harness::start_with(test_db, &[]).await;
    assert_eq!(healthz(&harness).await, (200, "ok".to_string()));
    let mut holder = sqlx::PgConnection::connect(&harness.db_url).await.unwrap();
    sqlx::query("BEGIN").execute(&mut holder).await.unwrap();
    sqlx::query("LOCK TABLE health_heartbeats IN ACCESS EXCLUSIVE MODE")
        .execute(&mut holder)
        .await
        .unwrap();
    assert_eq!(
        healthz(&harness).await,
        (503, "database not writable".to_string())
    );
    sqlx::query("ROLLBACK").execute(&mut holder).await.unwrap();
    holder.close().await.unwrap();
    assert_eq!(healthz(&harness).await, (200, "ok".to_string()));
    harness.finish().await;
}
