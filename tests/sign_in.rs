//! Issue 18, item 4: console sign-in counted in the database before the password is checked.
//! Real `serve`, real HTTP, SQLite and PostgreSQL: forty guesses at once reach argon2 at most
//! five times; a remembered device is not held by its address's limit while a new one is; an
//! idle session ends after `ADMIN_SESSION_IDLE_MINUTES`; a sign-in deletes expired sessions.

use crate::common;

use chrono::Duration;
use common::TestDb;
use common::server::Harness;
use sipas_bot::core::clock::Clock;
use sipas_bot::services::admin::auth;
use sipas_bot::storage::{Role, User};
use std::collections::HashMap;

/// A client that keeps its cookies and does not follow redirects.
#[derive(Clone)]
struct Browser {
    http: reqwest::Client,
    base: String,
    cookies: HashMap<String, String>,
}

impl Browser {
    fn new(base: &str) -> Browser {
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.to_string(),
            cookies: HashMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> (u16, String) {
        let response = request
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        for value in response.headers().get_all("set-cookie") {
            let (pair, _) = value.to_str().unwrap().split_once(';').unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            match value.is_empty() {
                true => self.cookies.remove(name),
                false => self.cookies.insert(name.into(), value.into()),
            };
        }
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    async fn get(&mut self, path: &str) -> (u16, String) {
        let request = self.http.get(format!("{}{path}", self.base));
        self.send(request).await
    }

    /// Opens the form, then posts it: the answer's status.
    async fn sign_in(&mut self, login: &str, password: &str) -> (u16, String) {
        let (_, form) = self.get("/admin/login").await;
        let marker = "name=\"csrf\" value=\"";
        let at = form.find(marker).unwrap() + marker.len();
        let csrf = form[at..at + 64].to_string();
        let request = self.http.post(format!("{}/admin/login", self.base)).form(&[
            ("csrf", csrf.as_str()),
            ("login", login),
            ("password", password),
        ]);
        self.send(request).await
    }
}

async fn add_admin(harness: &Harness) {
    let user = User {
        login: "admin".into(),
        role: Role::Admin,
        agency_code: None,
        password_hash: auth::hash_password("admin-mật-khẩu"),
        failed_attempts: 0,
        locked_until: None,
    };
    assert!(
        harness
            .db
            .create_user(&user, "test", harness.clock.now())
            .await
            .unwrap()
    );
}

/// Verified failures are audited one each: their count is the number of argon2 checks.
async fn failures_audited(harness: &Harness) -> usize {
    harness
        .db
        .audit_log(1000)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.action == "user.sign_in_failed")
        .count()
}

async fn forty_guesses_at_once_reach_argon2_at_most_five_times(test_db: TestDb) {
    let backend = test_db.name;
    let harness = Harness::start_with(test_db, &[]).await;
    add_admin(&harness).await;
    let guesses = (0..40).map(|n| {
        let mut browser = Browser::new(&harness.base);
        async move { browser.sign_in("admin", &format!("đoán-{n}")).await }
    });
    let answers = futures::future::join_all(guesses).await;
    assert!(
        answers.iter().all(|(status, _)| *status == 401),
        "{backend}"
    );
    let locked = answers
        .iter()
        .filter(|(_, body)| body.contains("tạm khóa"))
        .count();
    let verified = failures_audited(&harness).await;
    assert!(
        verified <= 5 && verified + locked == 40,
        "{backend}: {verified} verified, {locked} locked"
    );
    // The right password waits for the window too, then passes.
    let mut admin = Browser::new(&harness.base);
    let (status, body) = admin.sign_in("admin", "admin-mật-khẩu").await;
    assert!(status == 401 && body.contains("tạm khóa"), "{backend}");
    harness.clock.advance(Duration::minutes(16));
    let (status, _) = admin.sign_in("admin", "admin-mật-khẩu").await;
    assert_eq!(status, 303, "{backend}");
    harness.finish().await;
}

#[tokio::test]
async fn forty_guesses_at_once_reach_argon2_at_most_five_times_on_sqlite() {
    forty_guesses_at_once_reach_argon2_at_most_five_times(TestDb::sqlite()).await;
}

#[tokio::test]
async fn forty_guesses_at_once_reach_argon2_at_most_five_times_on_postgresql() {
    if let Some(test_db) = TestDb::postgres().await {
        forty_guesses_at_once_reach_argon2_at_most_five_times(test_db).await;
    }
}

/// Behind a proxy everyone shares one address: a spray of unknown logins from it locks new
/// devices out of every login for the window, never a device that signed in as that login.
#[tokio::test]
async fn the_address_limit_never_holds_a_remembered_device() {
    let harness = Harness::start().await;
    add_admin(&harness).await;
    let mut office = Browser::new(&harness.base);
    assert_eq!(office.sign_in("admin", "admin-mật-khẩu").await.0, 303);
    assert!(office.cookies.contains_key("sipas_device"));
    office.cookies.remove("sipas_session");

    // The spray: 99 logins once each (no account count reaches its limit); with the office's
    // first sign-in that is the address's 100.
    let mut sprayer = Browser::new(&harness.base);
    for n in 0..99 {
        let (status, body) = sprayer.sign_in(&format!("khach{n}"), "sai").await;
        assert!(status == 401 && !body.contains("tạm khóa"), "{n}");
    }
    let (status, body) = sprayer.sign_in("khach-moi", "sai").await;
    assert!(
        status == 401 && body.contains("tạm khóa"),
        "the address is held"
    );
    let mut new_device = Browser::new(&harness.base);
    let (_, body) = new_device.sign_in("admin", "admin-mật-khẩu").await;
    assert!(
        body.contains("tạm khóa"),
        "a new device from that address waits"
    );
    assert_eq!(
        office.sign_in("admin", "admin-mật-khẩu").await.0,
        303,
        "the remembered device signs in"
    );
    harness.finish().await;
}

async fn idle_and_expired_sessions_end(test_db: TestDb) {
    let backend = test_db.name;
    let harness = Harness::start_with(test_db, &[("ADMIN_SESSION_IDLE_MINUTES", "30")]).await;
    add_admin(&harness).await;
    let mut browser = Browser::new(&harness.base);
    assert_eq!(browser.sign_in("admin", "admin-mật-khẩu").await.0, 303);
    // Used every 20 minutes, the session lives on.
    for _ in 0..3 {
        harness.clock.advance(Duration::minutes(20));
        assert_eq!(browser.get("/admin/flows").await.0, 200, "{backend}");
    }
    harness.clock.advance(Duration::minutes(31));
    assert_eq!(browser.get("/admin/flows").await.0, 303, "{backend}: idle");
    assert_eq!(
        sessions(&harness).await,
        0,
        "{backend}: the idle one is gone"
    );

    // A session left alone past its time is deleted by the next sign-in.
    let mut left = Browser::new(&harness.base);
    assert_eq!(left.sign_in("admin", "admin-mật-khẩu").await.0, 303);
    harness.clock.advance(Duration::hours(9));
    assert_eq!(browser.sign_in("admin", "admin-mật-khẩu").await.0, 303);
    assert_eq!(sessions(&harness).await, 1, "{backend}: only the new one");
    harness.finish().await;
}

async fn sessions(harness: &Harness) -> i64 {
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM web_sessions")
        .fetch_one(harness.db.pool())
        .await
        .unwrap();
    count
}

#[tokio::test]
async fn idle_and_expired_sessions_end_on_sqlite() {
    idle_and_expired_sessions_end(TestDb::sqlite()).await;
}

#[tokio::test]
async fn idle_and_expired_sessions_end_on_postgresql() {
    if let Some(test_db) = TestDb::postgres().await {
        idle_and_expired_sessions_end(test_db).await;
    }
}
