//! The HTTP API over real sockets: notice intake and every bad input, QR codes, OpenAPI, health,
//! the webhook; and the real `serve` binary's start-up checks and graceful shutdown.

use crate::common;

use common::server::{Harness, INTAKE_TOKEN, notice_body};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test]
async fn notices_are_idempotent_and_unknown_agencies_are_flagged() {
    let harness = Harness::start().await;
    let (first_status, first) = harness.post_notice(notice_body("HS-100")).await;
    assert_eq!(first_status, 201);
    let (again_status, again) = harness.post_notice(notice_body("HS-100")).await;
    assert_eq!(again_status, 200);
    assert_eq!(first, again, "the same invitation");
    assert_eq!(first["status"], "pending");
    assert_eq!(
        first["unknown_agency"], true,
        "no agencies are loaded in this test"
    );
    let token = first["token"].as_str().unwrap();
    assert_eq!(
        first["qr_code_url"],
        format!("{}/api/v1/invitations/{token}/qr.png", harness.base)
    );

    let png = harness
        .http
        .get(first["qr_code_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(png.status(), 200);
    assert_eq!(png.headers()["content-type"], "image/png");
    let bytes = png.bytes().await.unwrap();
    let info = png::Decoder::new(std::io::Cursor::new(bytes.to_vec()))
        .read_info()
        .unwrap()
        .info()
        .clone();
    assert_eq!(info.width, info.height);
    assert!(info.width >= 200);

    let missing = harness
        .http
        .get(format!(
            "{}/api/v1/invitations/{}/qr.png",
            harness.base,
            "f".repeat(32)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    harness.running.unwrap().shutdown().await;
}

#[tokio::test]
async fn bad_notices_are_refused_with_the_field_and_the_reason() {
    let harness = Harness::start().await;
    let url = format!("{}/api/v1/notices", harness.base);
    let send = |body: Vec<u8>, token: Option<&str>| {
        let mut request = harness
            .http
            .post(&url)
            .header("content-type", "application/json")
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };

    let no_token = send(notice_body("HS-1").to_string().into_bytes(), None)
        .await
        .unwrap();
    assert_eq!(no_token.status(), 401);
    let wrong = send(
        notice_body("HS-1").to_string().into_bytes(),
        Some("wrong-token-123456789"),
    )
    .await
    .unwrap();
    assert_eq!(wrong.status(), 401);
    let body: serde_json::Value = wrong.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized");

    let syntax = send(b"{\"dossier_code\": ".to_vec(), Some(INTAKE_TOKEN))
        .await
        .unwrap();
    assert_eq!(syntax.status(), 400);
    let body: serde_json::Value = syntax.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("không phải JSON hợp lệ"),
        "{body}"
    );

    let mut bad = notice_body("HS-2");
    bad["submission_channel"] = "fax".into();
    bad["completed_at"] = "16/11/2026".into();
    bad.as_object_mut().unwrap().remove("procedure_code");
    let fields = send(bad.to_string().into_bytes(), Some(INTAKE_TOKEN))
        .await
        .unwrap();
    assert_eq!(fields.status(), 422);
    let body: serde_json::Value = fields.json().await.unwrap();
    let named: Vec<&str> = body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        named,
        ["procedure_code", "submission_channel", "completed_at"]
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("submission_channel: phải là direct, online hoặc postal.")
    );

    let mut huge = notice_body("HS-3");
    huge["procedure_name"] = "x".repeat(70 * 1024).into();
    let too_big = send(huge.to_string().into_bytes(), Some(INTAKE_TOKEN))
        .await
        .unwrap();
    assert_eq!(too_big.status(), 413);

    // Nothing of the refused notices was stored; a good one still is.
    assert_eq!(harness.db.agency_counts().await.unwrap().len(), 0);
    let (status, _) = harness.post_notice(notice_body("HS-4")).await;
    assert_eq!(status, 201);
    harness.running.unwrap().shutdown().await;
}

#[tokio::test]
async fn openapi_and_health_are_served() {
    let harness = Harness::start().await;
    let doc: serde_json::Value = harness
        .http
        .get(format!("{}/api/v1/openapi.json", harness.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/api/v1/notices",
        "/api/v1/invitations/{token}/qr.png",
        "/healthz",
    ] {
        assert!(doc["paths"][path].is_object(), "{path}");
    }
    let responses = &doc["paths"]["/api/v1/notices"]["post"]["responses"];
    for status in ["201", "200", "400", "401", "403", "413", "422", "503"] {
        assert!(responses[status].is_object(), "{status}");
    }
    let required = doc["components"]["schemas"]["Notice"]["required"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(required, 6);
    let health = harness
        .http
        .get(format!("{}/healthz", harness.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    harness.db.close().await;
    harness.running.unwrap().shutdown().await;
}

#[tokio::test]
async fn webhook_mode_takes_updates_over_http_with_the_secret() {
    let test_db = common::TestDb::sqlite();
    let harness = Harness::start_with(
        test_db,
        &[
            ("TELEGRAM_MODE", "webhook"),
            (
                "TELEGRAM_WEBHOOK_URL",
                "https://bot.example.gov.vn/telegram/webhook",
            ),
            ("TELEGRAM_WEBHOOK_SECRET", "webhook-secret-0123"),
        ],
    )
    .await;
    let set = harness.fake.calls_of("setWebhook");
    assert_eq!(set.len(), 1);
    assert_eq!(set[0].body["secret_token"], "webhook-secret-0123");
    let update = serde_json::json!({
        "update_id": 9001,
        "message": {
            "message_id": 1, "date": 1763261000,
            "chat": {"id": 4242, "type": "private", "first_name": "Lan"},
            "from": {"id": 4242, "is_bot": false, "first_name": "Lan"},
            "text": "/help",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}]
        }
    });
    let url = format!("{}/telegram/webhook", harness.base);
    let refused = harness.http.post(&url).json(&update).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    let accepted = harness
        .http
        .post(&url)
        .header("X-Telegram-Bot-Api-Secret-Token", "webhook-secret-0123")
        .json(&update)
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 200);
    let help = harness.messages(4242, 1).await;
    assert!(help[0].text.contains("/cancel"));
    assert_eq!(
        harness.fake.poll_count(),
        0,
        "no long polling in webhook mode"
    );
    harness.running.unwrap().shutdown().await;
}

#[test]
fn serve_refuses_to_start_without_its_settings() {
    let dir = tempfile::tempdir().unwrap();
    for (env, name) in [
        (vec![], "TELEGRAM_BOT_TOKEN"),
        (
            vec![("TELEGRAM_BOT_TOKEN", "not-a-token")],
            "TELEGRAM_BOT_TOKEN",
        ),
        // INTAKE_TOKEN is optional (named clients can post without it), but never short.
        (
            vec![("TELEGRAM_BOT_TOKEN", "1:abc"), ("INTAKE_TOKEN", "short")],
            "INTAKE_TOKEN",
        ),
        (
            vec![
                ("TELEGRAM_BOT_TOKEN", "1:abc"),
                ("INTAKE_TOKEN", INTAKE_TOKEN),
                ("HTTP_ADDR", "localhost"),
            ],
            "HTTP_ADDR",
        ),
        (
            vec![
                ("TELEGRAM_BOT_TOKEN", "1:abc"),
                ("INTAKE_TOKEN", INTAKE_TOKEN),
                ("TELEGRAM_MODE", "push"),
            ],
            "TELEGRAM_MODE",
        ),
        (
            vec![
                ("TELEGRAM_BOT_TOKEN", "1:abc"),
                ("INTAKE_TOKEN", INTAKE_TOKEN),
                ("TELEGRAM_MODE", "webhook"),
                (
                    "TELEGRAM_WEBHOOK_URL",
                    "https://bot.example.gov.vn/telegram/webhook",
                ),
                // Fifteen characters: one short of the minimum.
                ("TELEGRAM_WEBHOOK_SECRET", "abcdefghij-1234"),
            ],
            "TELEGRAM_WEBHOOK_SECRET",
        ),
        (
            vec![
                ("TELEGRAM_BOT_TOKEN", "1:abc"),
                ("INTAKE_TOKEN", INTAKE_TOKEN),
                ("TELEGRAM_API_URL", "http://api.telegram.org/"),
            ],
            "TELEGRAM_API_URL",
        ),
        (
            vec![
                ("TELEGRAM_BOT_TOKEN", "1:abc"),
                ("INTAKE_TOKEN", INTAKE_TOKEN),
                ("TELEGRAM_API_URL", "http://192.168.1.10:8081/"),
            ],
            "TELEGRAM_API_URL",
        ),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_sipas-bot"))
            .arg("serve")
            .current_dir(dir.path())
            .env_clear()
            .envs(env.iter().copied())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{env:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(name), "{env:?}: {stderr}");
        assert!(
            !stderr.contains("not-a-token")
                && !stderr.contains("short")
                && !stderr.contains("abcdefghij-1234"),
            "secrets never echoed: {stderr}"
        );
        assert!(stderr.contains("không hợp lệ"), "in Vietnamese: {stderr}");
    }
    assert!(
        !dir.path().join("data").exists(),
        "nothing written before the settings are right"
    );
}

// Multi-threaded: the test thread blocks reading the child's output while the fake API serves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_serve_binary_answers_and_stops_gracefully_on_sigterm() {
    let fake = common::fake_telegram::FakeTelegram::start().await;
    let dir = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let mut child = Command::new(env!("CARGO_BIN_EXE_sipas-bot"))
        .arg("serve")
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env("TELEGRAM_BOT_TOKEN", common::fake_telegram::TOKEN)
        .env("TELEGRAM_API_URL", fake.api_url())
        .env("HTTP_ADDR", addr.to_string())
        .env("INTAKE_TOKEN", INTAKE_TOKEN)
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let mut log = Vec::new();
    let started = loop {
        let line = lines_rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .unwrap_or_else(|err| panic!("serve did not start ({err}): {log:#?}"));
        log.push(line.clone());
        if line.contains("Đang phục vụ") {
            break line;
        }
    };
    assert!(
        started.contains(&addr.to_string()) && started.contains("@sipas_test_bot"),
        "{started}"
    );
    fake.wait_for("getUpdates", 1).await;

    let client = reqwest::Client::new();
    let response = client
        .post(format!("http://{addr}/api/v1/notices"))
        .bearer_auth(INTAKE_TOKEN)
        .json(&notice_body("HS-200"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(
        client
            .get(format!("http://{addr}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "graceful exit: {status:?}");
    for line in lines_rx.try_iter() {
        log.push(line);
    }
    let log = log.join("\n");
    assert!(
        !log.contains(common::fake_telegram::TOKEN),
        "the bot token never appears in logs"
    );
    assert!(
        !log.contains(INTAKE_TOKEN),
        "the intake token never appears in logs"
    );
    assert!(dir.path().join("data/sipas.db").exists());
}

/// Posts `count` notices at once over real sockets: all with the same dossier code, or each its
/// own. Returns (status, body) in order.
async fn post_at_once(
    harness: &Harness,
    count: usize,
    same: bool,
) -> Vec<(u16, serde_json::Value)> {
    let posts = (0..count).map(|i| {
        let dossier = match same {
            true => format!("HS-SAME-{count}"),
            false => format!("HS-DISTINCT-{count}-{i}"),
        };
        harness.post_notice(notice_body(&dossier))
    });
    futures::future::join_all(posts).await
}

async fn concurrent_notices_all_succeed(test_db: common::TestDb) {
    let harness = Harness::start_with(test_db, &[]).await;
    for count in [2, 20] {
        let same = post_at_once(&harness, count, true).await;
        let created = same.iter().filter(|(status, _)| *status == 201).count();
        let existing = same.iter().filter(|(status, _)| *status == 200).count();
        // One creates the invitation; every other one gets the same invitation back.
        assert_eq!((created, existing), (1, count - 1), "{same:?}");
        let token = &same[0].1["token"];
        assert!(token.is_string(), "{same:?}");
        assert!(
            same.iter().all(|(_, body)| &body["token"] == token),
            "{same:?}"
        );

        let distinct: Vec<_> = post_at_once(&harness, count, false).await;
        assert!(
            distinct.iter().all(|(status, _)| *status == 201),
            "{distinct:?}"
        );
        let tokens: std::collections::BTreeSet<_> = distinct
            .iter()
            .map(|(_, body)| body["token"].to_string())
            .collect();
        assert_eq!(tokens.len(), count, "{distinct:?}");
    }
    harness.running.unwrap().shutdown().await;
}

#[tokio::test]
async fn concurrent_identical_and_distinct_notices_all_succeed_on_sqlite() {
    concurrent_notices_all_succeed(common::TestDb::sqlite()).await;
}

#[tokio::test]
async fn concurrent_identical_and_distinct_notices_all_succeed_on_postgresql() {
    if let Some(test_db) = common::TestDb::postgres().await {
        concurrent_notices_all_succeed(test_db).await;
    }
}

#[tokio::test]
async fn a_client_over_its_rate_gets_429_with_retry_after() {
    let harness =
        Harness::start_with(common::TestDb::sqlite(), &[("INTAKE_RATE_PER_SECOND", "1")]).await;
    let posts = (0..5).map(|i| {
        harness
            .http
            .post(format!("{}/api/v1/notices", harness.base))
            .bearer_auth(INTAKE_TOKEN)
            .json(&notice_body(&format!("HS-RATE-{i}")))
            .send()
    });
    let responses = futures::future::join_all(posts).await;
    let mut limited = 0;
    for response in responses {
        let response = response.unwrap();
        if response.status() == 429 {
            limited += 1;
            let retry: u64 = response.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!(retry >= 1);
            let body: serde_json::Value = response.json().await.unwrap();
            assert_eq!(body["error"], "rate_limited");
            assert!(
                body["message"].as_str().unwrap().contains("thử lại sau"),
                "{body}"
            );
        } else {
            assert_eq!(response.status(), 201);
        }
    }
    assert!(limited >= 3, "a burst of 1 lets at most 1–2 of 5 through");
    harness.running.unwrap().shutdown().await;
}

#[tokio::test]
async fn a_body_that_never_arrives_times_out() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let harness =
        Harness::start_with(common::TestDb::sqlite(), &[("INTAKE_TIMEOUT_SECONDS", "1")]).await;
    let addr = harness.base.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/v1/notices HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {INTAKE_TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"dossier"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    // The server answers by itself after the time-out; a hang fails the test's own time limit.
    let read = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        let mut buf = [0u8; 4096];
        loop {
            let n = stream.read(&mut buf).await.unwrap();
            answer.extend_from_slice(&buf[..n]);
            if n == 0 || String::from_utf8_lossy(&answer).contains("timed_out") {
                break;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "no answer");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("timed_out"), "{text}");
    harness.running.unwrap().shutdown().await;
}
