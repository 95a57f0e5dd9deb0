//! Named intake clients end to end: `sipas-bot intake-client add|list|revoke` run as the real
//! binary against the database of a running `serve`, whose API is posted to over real sockets,
//! on SQLite and PostgreSQL. A client posts only within its agency subtree (403 outside, nothing
//! stored), stops at once when revoked (401), and has a rate bucket of its own; `INTAKE_TOKEN`
//! keeps working for every agency and is optional.

use crate::common;

use common::TestDb;
use common::server::{Harness, INTAKE_TOKEN, notice_body};
use sipas_bot::storage::{Agency, AgencyLevel, Db};
use std::process::{Command, Output};

/// Runs the real binary on `db_url` off the async threads, so the in-process server keeps
/// answering meanwhile.
async fn sipas(db_url: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let db_url = db_url.to_string();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_sipas-bot"))
            .args(&args)
            .env("DATABASE_URL", db_url)
            .env_remove("SIPAS_LANG")
            .env_remove("SIPAS_CONFIG")
            .env_remove("INTAKE_TOKEN")
            .envs(env)
            .output()
            .expect("run sipas-bot")
    })
    .await
    .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// T14 ⊃ T14.H02 ⊃ T14.H02.X01, and T14.H03 beside T14.H02.
async fn seed(db: &Db) {
    for (code, parent, level) in [
        ("T14", None, AgencyLevel::Tinh),
        ("T14.H02", Some("T14"), AgencyLevel::Huyen),
        ("T14.H02.X01", Some("T14.H02"), AgencyLevel::Xa),
        ("T14.H03", Some("T14"), AgencyLevel::Huyen),
    ] {
        let agency = Agency {
            code: code.into(),
            name: format!("UBND {code}"),
            parent_code: parent.map(str::to_string),
            level,
        };
        db.upsert_agency(&agency, chrono::Utc::now()).await.unwrap();
    }
}

/// `intake-client add`; returns the printed token (the line of 64 hex digits).
async fn add(db_url: &str, name: &str, agency: Option<&str>) -> String {
    let mut args = vec!["intake-client", "add", name];
    if let Some(agency) = agency {
        args.extend(["--agency", agency]);
    }
    let out = sipas(db_url, &args, &[]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("chỉ hiển thị một lần"),
        "says it is shown once: {text}"
    );
    let tokens: Vec<&str> = text
        .lines()
        .filter(|l| l.len() == 64 && l.chars().all(|c| c.is_ascii_hexdigit()))
        .collect();
    assert_eq!(tokens.len(), 1, "{text}");
    tokens[0].to_string()
}

async fn post(
    harness: &Harness,
    token: &str,
    dossier: &str,
    agency: &str,
) -> (u16, serde_json::Value) {
    let mut body = notice_body(dossier);
    body["agency_code"] = agency.into();
    let response = harness
        .http
        .post(format!("{}/api/v1/notices", harness.base))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

async fn a_client_posts_within_its_subtree_until_revoked(test_db: TestDb) {
    let backend = test_db.name;
    let harness = Harness::start_with(test_db, &[]).await;
    seed(&harness.db).await;
    let token = add(&harness.db_url, "motcua-mocchau", Some("T14.H02")).await;

    for (dossier, agency) in [("HS-IN-1", "T14.H02"), ("HS-IN-2", "T14.H02.X01")] {
        let (status, body) = post(&harness, &token, dossier, agency).await;
        assert_eq!(status, 201, "{backend} {agency}: {body}");
        assert_eq!(body["unknown_agency"], false);
    }
    for (dossier, agency) in [
        ("HS-OUT-1", "T14.H03"),
        ("HS-OUT-2", "T14"),
        ("HS-OUT-3", "T99"),
    ] {
        let (status, body) = post(&harness, &token, dossier, agency).await;
        assert_eq!(status, 403, "{backend} {agency}: {body}");
        assert_eq!(body["error"], "agency_not_allowed", "{body}");
        let message = body["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("“{agency}” nằm ngoài phạm vi"))
                && message.contains("“T14.H02”"),
            "{message}"
        );
    }
    // Nothing of the refused notices was stored: no count for their agencies, and the shared
    // token, which may post for every agency, creates them now (201, not 200).
    let counted: Vec<String> = harness
        .db
        .agency_counts()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.agency_code)
        .collect();
    assert_eq!(counted, ["T14.H02", "T14.H02.X01"], "{backend}");
    for (dossier, agency) in [
        ("HS-OUT-1", "T14.H03"),
        ("HS-OUT-2", "T14"),
        ("HS-OUT-3", "T99"),
    ] {
        let (status, body) = post(&harness, INTAKE_TOKEN, dossier, agency).await;
        assert_eq!(status, 201, "{backend} {agency}: {body}");
    }

    // Revoked from another process: the running server refuses the token with the next post.
    let revoked = sipas(
        &harness.db_url,
        &["intake-client", "revoke", "motcua-mocchau"],
        &[],
    )
    .await;
    assert!(revoked.status.success(), "{}", stderr(&revoked));
    assert!(stdout(&revoked).contains("Đã thu hồi “motcua-mocchau”"));
    let (status, body) = post(&harness, &token, "HS-IN-3", "T14.H02").await;
    assert_eq!(status, 401, "{backend}: {body}");
    assert_eq!(body["error"], "unauthorized");
    let again = sipas(
        &harness.db_url,
        &["intake-client", "revoke", "motcua-mocchau"],
        &[],
    )
    .await;
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stdout(&again).contains("đã được thu hồi lúc"),
        "{}",
        stdout(&again)
    );
    harness.finish().await;
}

#[tokio::test]
async fn a_client_posts_within_its_subtree_until_revoked_on_sqlite() {
    a_client_posts_within_its_subtree_until_revoked(TestDb::sqlite()).await;
}

#[tokio::test]
async fn a_client_posts_within_its_subtree_until_revoked_on_postgresql() {
    if let Some(test_db) = TestDb::postgres().await {
        a_client_posts_within_its_subtree_until_revoked(test_db).await;
    }
}

/// The list names each client, its scope, when it was created and whether it is revoked, and
/// never a token or a token's hash; bad `add` and `revoke` calls fail with one clear line each
/// and create nothing.
#[tokio::test]
async fn the_commands_list_without_tokens_and_refuse_bad_input() {
    for test_db in TestDb::all().await {
        let db = test_db.open().await;
        seed(&db).await;
        let url = test_db.url.clone();
        let scoped = add(&url, "motcua-mocchau", Some("T14.H02")).await;
        let everywhere = add(&url, "lgsp.son-la", None).await;
        assert_ne!(scoped, everywhere);

        for (args, said) in [
            (
                vec!["intake-client", "add", "motcua-mocchau"],
                "đã có hệ thống gửi thông báo tên “motcua-mocchau”",
            ),
            (
                vec!["intake-client", "add", "motcua-t99", "--agency", "T99"],
                "không có cơ quan mã “T99”",
            ),
            (
                vec!["intake-client", "add", "Một Cửa"],
                "tên “Một Cửa” không hợp lệ",
            ),
            (
                vec!["intake-client", "revoke", "khong-co"],
                "không có hệ thống gửi thông báo tên “khong-co”",
            ),
        ] {
            let out = sipas(&url, &args, &[]).await;
            assert_eq!(out.status.code(), Some(1), "{}: {args:?}", test_db.name);
            let line = stderr(&out);
            assert!(line.starts_with("Lỗi: ") && line.contains(said), "{line}");
            assert!(
                stdout(&out).is_empty(),
                "no token printed: {}",
                stdout(&out)
            );
        }

        let revoked = sipas(&url, &["intake-client", "revoke", "lgsp.son-la"], &[]).await;
        assert!(revoked.status.success(), "{}", stderr(&revoked));
        let list = sipas(&url, &["intake-client", "list"], &[]).await;
        assert!(list.status.success(), "{}", stderr(&list));
        let list = stdout(&list);
        let lines: Vec<&str> = list.lines().collect();
        assert_eq!(lines.len(), 2, "{}: {list}", test_db.name);
        assert!(
            lines[0].starts_with("lgsp.son-la · phạm vi: tất cả · tạo lúc ")
                && lines[0].contains(" · đã thu hồi lúc "),
            "{list}"
        );
        assert!(
            lines[1].starts_with("motcua-mocchau · phạm vi: T14.H02 · tạo lúc ")
                && lines[1].ends_with(" · đang dùng"),
            "{list}"
        );
        for token in [&scoped, &everywhere] {
            let hash = sipas_bot::services::admin::auth::token_hash(token);
            assert!(
                !list.contains(token.as_str()) && !list.contains(&hash),
                "{list}"
            );
        }
        db.close().await;
        test_db.cleanup().await;
    }
}

/// Without `INTAKE_TOKEN` only named clients post; a client of every agency posts for an
/// unknown one too (accepted and flagged, as with `INTAKE_TOKEN`); `sipas-bot notice` takes a
/// named client's token from `INTAKE_TOKEN` and reports a refusal in Vietnamese.
#[tokio::test]
async fn without_intake_token_only_named_clients_post() {
    let harness = Harness::start_with(TestDb::sqlite(), &[("INTAKE_TOKEN", "")]).await;
    seed(&harness.db).await;
    let (status, _) = post(&harness, INTAKE_TOKEN, "HS-1", "T14.H02").await;
    assert_eq!(status, 401);
    let (status, _) = post(&harness, "", "HS-1", "T14.H02").await;
    assert_eq!(status, 401);
    let everywhere = add(&harness.db_url, "lgsp", None).await;
    let (status, body) = post(&harness, &everywhere, "HS-1", "T99").await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["unknown_agency"], true);

    let scoped = add(&harness.db_url, "motcua-mocchau", Some("T14.H02")).await;
    let notice = |agency: &str, dossier: &str| {
        let args = [
            "notice",
            "--dossier",
            dossier,
            "--agency",
            agency,
            "--procedure",
            "1.001612",
            "--procedure-name",
            "Đăng ký khai sinh",
            // The server's clock is the harness's (16/11/2026): a completion after it by more
            // than a day is refused.
            "--completed-at",
            "2026-11-16T09:30:00+07:00",
            "--api",
            harness.base.as_str(),
        ]
        .map(str::to_string);
        let (url, token) = (harness.db_url.clone(), scoped.clone());
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            sipas(&url, &args, &[("INTAKE_TOKEN", token.as_str())]).await
        }
    };
    let accepted = notice("T14.H02.X01", "HS-2").await;
    assert!(accepted.status.success(), "{}", stderr(&accepted));
    let invitation: serde_json::Value = serde_json::from_slice(&accepted.stdout).unwrap();
    assert_eq!(invitation["dossier_code"], "HS-2");
    let refused = notice("T14.H03", "HS-3").await;
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("403")
            && stderr(&refused).contains("“T14.H03” nằm ngoài phạm vi"),
        "{}",
        stderr(&refused)
    );
    harness.finish().await;
}

/// Each client has its own rate bucket: one that exhausts its rate does not hold another up.
#[tokio::test]
async fn each_named_client_has_its_own_rate() {
    let harness = Harness::start_with(TestDb::sqlite(), &[("INTAKE_RATE_PER_SECOND", "1")]).await;
    let first = add(&harness.db_url, "motcua-a", None).await;
    let second = add(&harness.db_url, "motcua-b", None).await;
    let dossiers: Vec<String> = (0..4).map(|i| format!("HS-A-{i}")).collect();
    let burst = futures::future::join_all(
        dossiers
            .iter()
            .map(|d| post(&harness, &first, d, "T14.H02")),
    )
    .await;
    let limited = burst.iter().filter(|(status, _)| *status == 429).count();
    assert!(
        limited >= 2,
        "a burst of 1 lets at most 1–2 of 4 through: {burst:?}"
    );
    // At once, before the first client's bucket refills: the second one and INTAKE_TOKEN pass.
    let (status, body) = post(&harness, &second, "HS-B-1", "T14.H02").await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = post(&harness, INTAKE_TOKEN, "HS-S-1", "T14.H02").await;
    assert_eq!(status, 201, "{body}");
    harness.finish().await;
}

/// The subtree check walks up the tree: an agency is within itself and its ancestors, not its
/// siblings or descendants, an unknown code is within nothing, and a parent cycle in stored data
/// ends the walk instead of hanging.
#[tokio::test]
async fn the_subtree_check_walks_up_and_ends_on_a_cycle() {
    for test_db in TestDb::all().await {
        let db = test_db.open().await;
        seed(&db).await;
        for (code, root, within) in [
            ("T14.H02", "T14.H02", true),
            ("T14.H02.X01", "T14.H02", true),
            ("T14.H02.X01", "T14", true),
            ("T14.H03", "T14.H02", false),
            ("T14", "T14.H02", false),
            ("T99", "T14", false),
            ("T14.H02", "T99", false),
        ] {
            let got = db.agency_within(code, root).await.unwrap();
            assert_eq!(got, within, "{}: {code} in {root}", test_db.name);
        }
        // T14 ⟲ T14.H03: a damaged parent that closes a cycle.
        let mut top = Agency {
            code: "T14".into(),
            name: "UBND T14".into(),
            parent_code: Some("T14.H03".into()),
            level: AgencyLevel::Tinh,
        };
        db.upsert_agency(&top, chrono::Utc::now()).await.unwrap();
        let walk = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            db.agency_within("T14.H02.X01", "T99"),
        )
        .await
        .expect("the walk ends");
        assert!(!walk.unwrap(), "{}", test_db.name);
        assert!(db.agency_within("T14.H02", "T14.H03").await.unwrap());
        top.parent_code = None;
        db.upsert_agency(&top, chrono::Utc::now()).await.unwrap();
        db.close().await;
        test_db.cleanup().await;
    }
}
