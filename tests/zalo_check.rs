//! `sipas-bot zalo check` and `sipas-bot zalo resume`, the real binary against the fake Zalo
//! API, on both backends: everything in order exits 0; a template Zalo has not approved exits 1
//! with the reason; nothing is ever sent; the refreshed token is stored.

use crate::common::{TestDb, fake_zalo};

use fake_zalo::FakeZalo;
use sipas_bot::channels::zalo;
use sipas_bot::channels::zalo::template::PARAMETERS;
use std::process::Output;

const TEMPLATE: &str = "tpl-check-1";

async fn sipas(fake: &FakeZalo, db_url: &str, args: &[&str], extra: &[(&str, &str)]) -> Output {
    // Run on the blocking pool, so the fake keeps answering on this runtime.
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_sipas-bot"));
    command
        .args(args)
        .env_remove("SIPAS_CONFIG")
        .env("DATABASE_URL", db_url)
        .env("SIPAS_LANG", "vi")
        .env("ZALO_INVITATION_TEMPLATE_ID", TEMPLATE);
    for (name, value) in fake.env() {
        command.env(name, value);
    }
    for (name, value) in extra {
        command.env(name, value);
    }
    tokio::task::spawn_blocking(move || command.output().expect("run sipas-bot"))
        .await
        .unwrap()
}

fn sent_nothing(fake: &FakeZalo) -> bool {
    [
        "/v3.0/oa/message/cs",
        "/v3.0/oa/message/template",
        "/message/template",
    ]
    .iter()
    .all(|path| fake.calls(path).is_empty())
}

#[tokio::test]
async fn zalo_check_passes_a_ready_oa_and_names_an_unapproved_template() {
    for test_db in TestDb::all().await {
        let name = test_db.name;
        let fake = FakeZalo::start().await;
        fake.set_template(TEMPLATE, "ENABLE", &PARAMETERS);
        let production = [("ZALO_TEMPLATE_MODE", "production")];
        let out = sipas(&fake, &test_db.url, &["zalo", "check"], &production).await;
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("đã được duyệt"), "{name}: {stdout}");
        assert!(stdout.contains("đã được xác thực"), "{name}: {stdout}");
        assert!(!stdout.contains('✗'), "{name}: {stdout}");
        assert!(sent_nothing(&fake), "{name}");
        // The refresh's new token was stored: the chain goes on from it.
        let db = test_db.open().await;
        let stored = db.zalo_token(fake_zalo::OA_ID).await.unwrap().unwrap();
        assert_eq!(stored.generation, 1, "{name}");
        let sealer = zalo::seal::Sealer::new(
            &zalo::seal::SecretKey::parse(fake_zalo::SECRET_KEY).unwrap(),
            fake_zalo::OA_ID,
        );
        let opened = sealer.open("refresh_token", &stored.refresh_token).unwrap();
        assert_eq!(opened.expose(), fake.live_refresh_token(), "{name}");
        assert_ne!(stored.refresh_token, opened, "{name}: sealed at rest");
        db.close().await;

        // Not approved yet: exit 1, with the status.
        fake.set_template(TEMPLATE, "PENDING_REVIEW", &PARAMETERS);
        let out = sipas(&fake, &test_db.url, &["zalo", "check"], &production).await;
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{name}: {stdout}");
        assert!(
            stdout.contains("PENDING_REVIEW") && stdout.contains("chưa dùng được"),
            "{name}: {stdout}"
        );
        // Development mode and a parameter the template lacks block too.
        fake.set_template(TEMPLATE, "ENABLE", &["procedure_name", "ma_ho_so"]);
        let out = sipas(&fake, &test_db.url, &["zalo", "check"], &[]).await;
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{name}: {stdout}");
        assert!(stdout.contains("development"), "{name}: {stdout}");
        assert!(stdout.contains("ma_ho_so"), "{name}: {stdout}");
        assert!(sent_nothing(&fake), "{name}");
        assert_eq!(fake.reused_refresh_tokens(), 0, "{name}");

        // A refused refresh token is named, and blocks.
        fake.revoke_authorization(400);
        let out = sipas(&fake, &test_db.url, &["zalo", "check"], &production).await;
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{name}: {stdout}");
        assert!(stdout.contains("invalid_grant"), "{name}: {stdout}");

        // Resume with nothing paused says so; with a pause it lifts it.
        let out = sipas(&fake, &test_db.url, &["zalo", "resume"], &[]).await;
        assert_eq!(out.status.code(), Some(0), "{name}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("không bị tạm dừng"));
        let db = test_db.open().await;
        let pause = sipas_bot::storage::ZaloPause {
            host: "oa".into(),
            code: -224,
            reason: "tier".into(),
            paused_at: chrono::Utc::now(),
        };
        assert!(db.pause_zalo(fake_zalo::OA_ID, &pause).await.unwrap());
        let out = sipas(&fake, &test_db.url, &["zalo", "resume"], &[]).await;
        assert_eq!(out.status.code(), Some(0), "{name}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("-224"),
            "{name}"
        );
        assert_eq!(db.any_zalo_pause().await.unwrap(), None, "{name}");

        // Paused by the refused refresh token: resuming with the old ZALO_REFRESH_TOKEN is
        // refused; after a new authorization its token replaces the dead chain.
        let refused = sipas_bot::storage::ZaloPause {
            host: "oauth".into(),
            code: -14014,
            reason: "invalid_grant".into(),
            paused_at: chrono::Utc::now(),
        };
        db.reseed_zalo_token(
            fake_zalo::OA_ID,
            &sipas_bot::settings::config::Secret::new(fake_zalo::FIRST_REFRESH_TOKEN),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        assert!(db.pause_zalo(fake_zalo::OA_ID, &refused).await.unwrap());
        let out = sipas(&fake, &test_db.url, &["zalo", "resume"], &[]).await;
        assert_eq!(out.status.code(), Some(1), "{name}");
        assert!(db.any_zalo_pause().await.unwrap().is_some(), "{name}");
        fake.authorize_again("rt-new");
        let new_token = [("ZALO_REFRESH_TOKEN", "rt-new")];
        let out = sipas(&fake, &test_db.url, &["zalo", "resume"], &new_token).await;
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{name}: {stdout}");
        assert_eq!(db.any_zalo_pause().await.unwrap(), None, "{name}");
        fake.set_template(TEMPLATE, "ENABLE", &PARAMETERS);
        let out = sipas(&fake, &test_db.url, &["zalo", "check"], &production).await;
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{name}: {stdout}");
        assert_eq!(fake.reused_refresh_tokens(), 0, "{name}");
        db.close().await;
        test_db.cleanup().await;
    }
}
