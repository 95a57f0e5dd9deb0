//! Issue 18, item 1 and 5: dossiers belong to the tenant that posted them, and intake content is
//! data. Real `serve`, real sockets, SQLite and PostgreSQL: a ward's client re-posting a
//! province's dossier code gets 409 `dossier_exists` and no invitation data; the owner gets the
//! same invitation for the same content and 409 naming the fields for different content, with
//! nothing changed; a link in a procedure name, a newline in an agency code and a completion
//! time in 1999 are refused with 422 naming the field, and the log line stays one line.

use crate::common;

use common::TestDb;
use common::server::{Harness, INTAKE_TOKEN, notice_body};
use sipas_bot::storage::{Agency, AgencyLevel};
use std::io::Write;
use std::sync::{Arc, Mutex};

async fn seed(harness: &Harness) {
    for (code, parent, level) in [
        ("T14", None, AgencyLevel::Tinh),
        ("T14.H02", Some("T14"), AgencyLevel::Huyen),
        ("T14.H02.X01", Some("T14.H02"), AgencyLevel::Xa),
    ] {
        let agency = Agency {
            code: code.into(),
            name: format!("UBND {code}"),
            parent_code: parent.map(str::to_string),
            level,
        };
        harness
            .db
            .upsert_agency(&agency, chrono::Utc::now())
            .await
            .unwrap();
    }
}

async fn client(harness: &Harness, name: &str, agency: &str) -> String {
    sipas_bot::services::intake_clients::add(
        &harness.db,
        name,
        Some(agency),
        "test",
        chrono::Utc::now(),
    )
    .await
    .unwrap()
    .expose()
    .to_string()
}

async fn post(
    harness: &Harness,
    token: &str,
    body: &serde_json::Value,
) -> (u16, serde_json::Value) {
    let response = harness
        .http
        .post(format!("{}/api/v1/notices", harness.base))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

fn notice(dossier: &str, agency: &str) -> serde_json::Value {
    let mut body = notice_body(dossier);
    body["agency_code"] = agency.into();
    body
}

fn fields(body: &serde_json::Value) -> Vec<String> {
    body["fields"]
        .as_array()
        .map(|fields| {
            fields
                .iter()
                .map(|f| f["field"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

async fn a_dossier_belongs_to_the_tenant_that_posted_it(test_db: TestDb) {
    let backend = test_db.name;
    let harness = Harness::start_with(test_db, &[]).await;
    seed(&harness).await;
    let justice = client(&harness, "so-tu-phap", "T14").await;
    let ward = client(&harness, "motcua-x01", "T14.H02.X01").await;

    let (status, first) = post(&harness, &justice, &notice("HS-TP-1", "T14")).await;
    assert_eq!(status, 201, "{backend}: {first}");

    // The ward re-posts the province's code under its own ward: nothing of the invitation.
    let (status, body) = post(&harness, &ward, &notice("HS-TP-1", "T14.H02.X01")).await;
    assert_eq!(status, 409, "{backend}: {body}");
    assert_eq!(body["error"], "dossier_exists", "{body}");
    let text = body.to_string();
    let token = first["token"].as_str().unwrap();
    assert!(
        !text.contains(token) && body.get("deep_link").is_none() && body.get("token").is_none(),
        "{backend}: no invitation data: {body}"
    );

    // The owner: the same content is the same invitation; different content is named, and
    // nothing changes.
    let (status, again) = post(&harness, &justice, &notice("HS-TP-1", "T14")).await;
    assert_eq!(status, 200, "{backend}: {again}");
    assert_eq!(again["token"], first["token"]);
    let mut changed = notice("HS-TP-1", "T14.H02");
    changed["procedure_name"] = "Đăng ký kết hôn".into();
    let (status, body) = post(&harness, &justice, &changed).await;
    assert_eq!(status, 409, "{backend}: {body}");
    assert_eq!(body["error"], "dossier_differs", "{body}");
    assert_eq!(fields(&body), ["agency_code", "procedure_name"], "{body}");
    assert!(body.get("token").is_none(), "{body}");
    let stored = harness
        .db
        .invitation_for_dossier("HS-TP-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.agency_code.as_str(), stored.procedure_name.as_str()),
        ("T14", "Đăng ký khai sinh"),
        "{backend}: nothing changed"
    );

    // A ward posting a code first owns only its ward's invitation: the province, whose scope
    // covers the ward, is told how its notice differs and gets no other invitation.
    let (status, _) = post(&harness, &ward, &notice("HS-TP-2", "T14.H02.X01")).await;
    assert_eq!(status, 201, "{backend}");
    let (status, body) = post(&harness, &justice, &notice("HS-TP-2", "T14")).await;
    assert_eq!(status, 409, "{backend}: {body}");
    assert_eq!(fields(&body), ["agency_code"], "{body}");
    // INTAKE_TOKEN covers every agency.
    let (status, body) = post(&harness, INTAKE_TOKEN, &notice("HS-TP-2", "T14.H02.X01")).await;
    assert_eq!(status, 200, "{backend}: {body}");
    harness.finish().await;
}

#[tokio::test]
async fn a_dossier_belongs_to_the_tenant_that_posted_it_on_sqlite() {
    a_dossier_belongs_to_the_tenant_that_posted_it(TestDb::sqlite()).await;
}

#[tokio::test]
async fn a_dossier_belongs_to_the_tenant_that_posted_it_on_postgresql() {
    if let Some(test_db) = TestDb::postgres().await {
        a_dossier_belongs_to_the_tenant_that_posted_it(test_db).await;
    }
}

/// The log lines of this thread, as the fmt subscriber writes them.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs on the current thread only, so the server's tasks log into this test's subscriber.
#[tokio::test(flavor = "current_thread")]
async fn intake_content_is_data_not_a_message() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let harness = Harness::start().await;
    seed(&harness).await;

    let mut link = notice("HS-C-1", "T14.H02");
    link["procedure_name"] = "Khai sinh — nhận hồ sơ tại https://t.me/khaisinh_bot".into();
    let (status, body) = post(&harness, INTAKE_TOKEN, &link).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(fields(&body), ["procedure_name"], "{body}");

    let forged = notice("HS-C-2", "T14.H02\nINFO sipas_bot: admin signed in");
    let (status, body) = post(&harness, INTAKE_TOKEN, &forged).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(fields(&body), ["agency_code"], "{body}");

    let mut old = notice("HS-C-3", "T14.H02");
    old["completed_at"] = "1999-12-31T00:00:00+07:00".into();
    old["dossier_code"] = "HS C 3".into();
    let (status, body) = post(&harness, INTAKE_TOKEN, &old).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(fields(&body), ["dossier_code", "completed_at"], "{body}");

    // `+0111` is chat 111: stored as the parsed integer.
    let mut plus = notice("HS-C-4", "T14.H02");
    plus["recipient"] = serde_json::json!({ "telegram_chat_id": "+0111" });
    let (status, body) = post(&harness, INTAKE_TOKEN, &plus).await;
    assert_eq!(status, 201, "{body}");
    let stored = harness
        .db
        .invitation_for_dossier("HS-C-4")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.recipient_chat_id.as_deref(), Some("111"));
    harness.finish().await;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains(r#"T14.H02\nINFO sipas_bot: admin signed in"#),
        "the refused code is logged escaped: {logs}"
    );
    assert!(
        !logs
            .lines()
            .any(|line| line.starts_with("INFO sipas_bot: admin")),
        "no forged line: {logs}"
    );
}

/// Wrong tokens are limited per address: after a burst of ten 401s the address gets 429 (no
/// database look-up), while `INTAKE_TOKEN` still posts.
#[tokio::test]
async fn unauthenticated_calls_are_rate_limited_per_address() {
    let harness = Harness::start().await;
    for n in 0..10 {
        let (status, _) = post(
            &harness,
            "wrong-token",
            &notice(&format!("HS-U-{n}"), "T14"),
        )
        .await;
        assert_eq!(status, 401, "{n}");
    }
    let response = harness
        .http
        .post(format!("{}/api/v1/notices", harness.base))
        .bearer_auth("wrong-token")
        .json(&notice("HS-U-X", "T14"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
    let (status, body) = post(&harness, INTAKE_TOKEN, &notice("HS-U-OK", "T14")).await;
    assert_eq!(status, 201, "{body}");
    harness.finish().await;
}
