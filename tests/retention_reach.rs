//! Issue 18, item 6: retention and withdrawal reach every table. On SQLite and PostgreSQL, a
//! dossier reached on Telegram (a chat), on Zalo (a user, a receipt code, a template) and by
//! phone leaves, after `RETENTION_DAYS`, no chat id, Zalo user id or phone number in any row of
//! any table (the walk reads every column of every table as text); a withdrawal cuts the
//! finished outbox rows and receipt code of the chat's dossiers at once; a finished row keeps
//! no phone number from the moment it finishes.

use crate::common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use common::TestDb;
use sipas_bot::core::flow::Lang;
use sipas_bot::storage::zalo::AttemptLimit;
use sipas_bot::storage::{Db, Effects, Finish, NewNotice, Outgoing, SubmissionChannel};

const CHAT: &str = "700111222";
const ZALO_USER: &str = "8001234567890";
const PHONE: &str = "84912345678";

fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, 3, 0, 0).unwrap()
}

fn notice(dossier: &str, chat: Option<&str>) -> NewNotice {
    NewNotice {
        dossier_code: dossier.into(),
        agency_code: "T14".into(),
        procedure_code: "1.001612".into(),
        procedure_name: "Đăng ký khai sinh".into(),
        submission_channel: SubmissionChannel::Direct,
        completed_at: at(1),
        recipient_chat_id: chat.map(str::to_string),
    }
}

fn row(channel: &str, chat: &str, kind: &str, payload: serde_json::Value, token: &str) -> Outgoing {
    Outgoing {
        channel: channel.into(),
        chat_id: chat.into(),
        kind: kind.into(),
        payload,
        invitation_token: Some(token.into()),
    }
}

/// Every row of every table, each column as text (NULL as empty), by table.
async fn every_row(db: &Db, backend: &str) -> Vec<(String, String)> {
    let tables: Vec<String> = match backend {
        "sqlite" => sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        ),
        _ => sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
        ),
    }
    .fetch_all(db.pool())
    .await
    .unwrap();
    assert!(tables.len() > 20, "{backend}: {tables:?}");
    let mut rows = Vec::new();
    for table in tables {
        let pragma = format!("SELECT name FROM pragma_table_info('{table}')");
        let columns: Vec<String> = match backend {
            "sqlite" => sqlx::query_scalar(&pragma),
            _ => sqlx::query_scalar(
                "SELECT column_name::text FROM information_schema.columns WHERE table_name = $1",
            )
            .bind(table.clone()),
        }
        .fetch_all(db.pool())
        .await
        .unwrap();
        let text = columns
            .iter()
            .map(|c| match backend {
                // `quote` renders any value, a blob too, as text.
                "sqlite" => format!("quote(\"{c}\")"),
                _ => format!("COALESCE(CAST(\"{c}\" AS TEXT), '')"),
            })
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let found: Vec<String> = sqlx::query_scalar(&format!("SELECT {text} FROM \"{table}\""))
            .fetch_all(db.pool())
            .await
            .unwrap();
        rows.extend(found.into_iter().map(|r| (table.clone(), r)));
    }
    rows
}

async fn finish_all(db: &Db, channel: &str, now: DateTime<Utc>) {
    let claimed = db
        .claim_outbox(channel, "test", now, now + Duration::minutes(1), 100)
        .await
        .unwrap();
    let finished: Vec<_> = claimed.into_iter().map(|c| (c, Finish::Sent)).collect();
    db.finish_outbox(&finished, now).await.unwrap();
}

async fn retention_leaves_no_person_linked_to_a_dossier(test_db: TestDb) {
    let backend = test_db.name;
    let db = test_db.open().await;
    let flow = db.latest_flow("sipas-short").await.unwrap().unwrap();
    let now = at(1);
    // A Telegram chat, a Zalo user and a phone number, each invited to a dossier.
    let telegram = db
        .submit_notice_with(
            &notice("HS-R-1", Some(CHAT)),
            flow.id,
            Duration::days(7),
            now,
            |i| {
                let mut effects = Effects::default();
                effects.push(row(
                    "telegram",
                    CHAT,
                    "send_message",
                    serde_json::json!({"chat_id": CHAT, "text": "Mời Ông/Bà"}),
                    &i.token,
                ));
                effects
            },
        )
        .await
        .unwrap();
    let zalo = db
        .submit_notice_with(
            &notice("HS-R-2", None),
            flow.id,
            Duration::days(7),
            now,
            |i| {
                let mut effects = Effects::default();
                effects.push(row(
                    "zalo",
                    ZALO_USER,
                    "invite_user",
                    serde_json::json!({"text": "Mời", "user": ZALO_USER}),
                    &i.token,
                ));
                effects
            },
        )
        .await
        .unwrap();
    let phone = db
        .submit_notice_with(&notice("HS-R-3", None), flow.id, Duration::days(7), now, |i| {
            let mut effects = Effects::default();
            effects.push(row("zalo", &format!("invitation:{}", i.token), "invite_phone", serde_json::json!({"phone": PHONE, "template_data": {"procedure": "Khai sinh"}}), &i.token));
            effects
        })
        .await
        .unwrap();
    let (telegram, zalo, phone) = (
        telegram.invitation().clone(),
        zalo.invitation().clone(),
        phone.invitation().clone(),
    );
    db.remember_chat("telegram", CHAT, now).await.unwrap();
    db.touch_zalo_user(ZALO_USER, Some(true), now)
        .await
        .unwrap();
    db.store_zalo_event(
        &format!("follow:{ZALO_USER}:1"),
        "follow",
        &format!(r#"{{"event_name":"follow","follower":{{"id":"{ZALO_USER}"}}}}"#),
        now,
    )
    .await
    .unwrap();
    let events = db
        .claim_zalo_events("test", now, now + Duration::minutes(1), 10)
        .await
        .unwrap();
    for event in &events {
        db.finish_zalo_event(event.id, now).await.unwrap();
    }
    let inbound = Effects::from_inbound("zalo", &format!("follow:{ZALO_USER}:1"));
    db.record_effects(&inbound, now).await.unwrap();
    let code = db
        .create_receipt_code(&zalo.token, zalo.expires_at, now)
        .await
        .unwrap();
    let limit = AttemptLimit {
        max_failures: 5,
        window: Duration::hours(1),
    };
    db.redeem_receipt_code(&code, ZALO_USER, limit, now)
        .await
        .unwrap();
    db.record_zalo_template(&phone.token, Some("zalo-msg-1"), now)
        .await
        .unwrap();
    let short = sipas_bot::core::flow::builtin()
        .into_iter()
        .find(|f| f.id == "sipas-short")
        .unwrap();
    for (invitation, channel, chat) in [(&telegram, "telegram", CHAT), (&zalo, "zalo", ZALO_USER)] {
        db.open_session(&invitation.token, channel, chat, Lang::Vi, &short, now)
            .await
            .unwrap_or_else(|err| panic!("{backend}: {err:?}"));
    }
    finish_all(&db, "telegram", now).await;
    finish_all(&db, "zalo", now).await;

    // From the moment it is sent, the phone invitation keeps no number.
    let rows = every_row(&db, backend).await;
    let outbox: Vec<_> = rows.iter().filter(|(t, _)| t == "outbox").collect();
    assert!(
        outbox.iter().all(|(_, r)| !r.contains(PHONE)),
        "{backend}: {outbox:?}"
    );
    assert!(
        rows.iter().any(|(_, r)| r.contains(CHAT)),
        "the walk sees the chat"
    );

    // The invitations expire on the 8th; 30 days of retention later nothing names anyone.
    let later = at(8) + Duration::days(31);
    db.unlink_retained(Duration::days(30), later).await.unwrap();
    let rows = every_row(&db, backend).await;
    for person in [CHAT, ZALO_USER, PHONE, "zalo-msg-1", code.as_str()] {
        let found: Vec<_> = rows.iter().filter(|(_, r)| r.contains(person)).collect();
        assert!(found.is_empty(), "{backend}: {person} still in {found:?}");
    }
    // The dossiers, their invitations and statuses stay.
    for invitation in [&telegram, &zalo, &phone] {
        assert!(
            db.invitation(&invitation.token).await.unwrap().is_some(),
            "{backend}"
        );
    }
    db.close().await;
    test_db.cleanup().await;
}

#[tokio::test]
async fn retention_leaves_no_person_linked_to_a_dossier_on_sqlite() {
    retention_leaves_no_person_linked_to_a_dossier(TestDb::sqlite()).await;
}

#[tokio::test]
async fn retention_leaves_no_person_linked_to_a_dossier_on_postgresql() {
    if let Some(test_db) = TestDb::postgres().await {
        retention_leaves_no_person_linked_to_a_dossier(test_db).await;
    }
}

/// `/xoa` cuts the chat's finished outbox rows and the dossier's links at once, not after
/// the retention.
#[tokio::test]
async fn a_withdrawal_cuts_the_outbox_rows_at_once() {
    for test_db in TestDb::all().await {
        let backend = test_db.name;
        let db = test_db.open().await;
        let flow = db.latest_flow("sipas-short").await.unwrap().unwrap();
        let now = at(1);
        let outcome = db
            .submit_notice_with(
                &notice("HS-W-1", Some(CHAT)),
                flow.id,
                Duration::days(7),
                now,
                |i| {
                    let mut effects = Effects::default();
                    effects.push(row(
                        "telegram",
                        CHAT,
                        "send_message",
                        serde_json::json!({"chat_id": CHAT}),
                        &i.token,
                    ));
                    effects
                },
            )
            .await
            .unwrap();
        let short = sipas_bot::core::flow::builtin()
            .into_iter()
            .find(|f| f.id == "sipas-short")
            .unwrap();
        db.open_session(
            &outcome.invitation().token,
            "telegram",
            CHAT,
            Lang::Vi,
            &short,
            now,
        )
        .await
        .unwrap_or_else(|err| panic!("{backend}: {err:?}"));
        finish_all(&db, "telegram", now).await;
        db.withdraw_chat("telegram", CHAT, &Effects::default(), now)
            .await
            .unwrap();
        let rows = every_row(&db, backend).await;
        let left: Vec<_> = rows
            .iter()
            .filter(|(t, r)| t != "channel_chats" && r.contains(CHAT))
            .collect();
        assert!(left.is_empty(), "{backend}: {left:?}");
        db.close().await;
        test_db.cleanup().await;
    }
}
