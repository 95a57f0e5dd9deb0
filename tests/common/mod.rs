//! Test support: fresh databases on every backend. SQLite always; PostgreSQL when a server is
//! reachable at `TEST_DATABASE_URL` (default: the local server), and always when
//! `SIPAS_REQUIRE_POSTGRES=1` (CI), where an unreachable server fails the test.
#![allow(dead_code)]

pub mod fake_telegram;
pub mod fake_zalo;
pub mod server;
pub mod webdriver;

use sipas_bot::storage::Db;
use sqlx::Connection;
use std::sync::atomic::{AtomicU32, Ordering};

static NEXT: AtomicU32 = AtomicU32::new(0);

pub fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// A database of its own for one test; dropped (PostgreSQL) or deleted (SQLite) by `cleanup`.
pub struct TestDb {
    pub name: &'static str,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/sipas.db", dir.path().display());
        TestDb {
            name: "sqlite",
            url,
            _dir: Some(dir),
            pg_name: None,
        }
    }

    /// A fresh PostgreSQL database, or `None` when no server is reachable (and none is required).
    pub async fn postgres() -> Option<TestDb> {
        let admin = admin_url();
        let required = std::env::var("SIPAS_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
        let mut conn = match sqlx::PgConnection::connect(&admin).await {
            Ok(conn) => conn,
            Err(err) if required => panic!("PostgreSQL is required but unreachable: {err}"),
            Err(err) => {
                eprintln!("PostgreSQL unreachable ({err}); running SQLite only");
                return None;
            }
        };
        let name = format!(
            "sipas_test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
            .execute(&mut conn)
            .await
            .expect("drop old test database");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let base = admin
            .rsplit_once('/')
            .map_or(admin.as_str(), |(base, _)| base);
        Some(TestDb {
            name: "postgres",
            url: format!("{base}/{name}"),
            _dir: None,
            pg_name: Some(name),
        })
    }

    /// Every backend available here.
    pub async fn all() -> Vec<TestDb> {
        let mut dbs = vec![TestDb::sqlite()];
        dbs.extend(TestDb::postgres().await);
        dbs
    }

    pub async fn open(&self) -> Db {
        sipas_bot::services::startup::open_store(&self.url)
            .await
            .unwrap_or_else(|err| panic!("{}: {err}", self.name))
    }

    pub async fn cleanup(self) {
        if let Some(name) = &self.pg_name
            && let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url()).await
        {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await;
        }
    }
}
