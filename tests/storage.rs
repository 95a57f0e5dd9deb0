//! Storage cases, run on every backend: SQLite always, PostgreSQL whenever a server is reachable
//! (always in CI).

use crate::common;

use chrono::{Duration, TimeZone, Utc};
use common::TestDb;
use sipas_bot::core::flow::{self, Flow, Lang};
use sipas_bot::core::survey::{Answer, Input};
use sipas_bot::services::conversation::Conversations;
use sipas_bot::storage::{
    Agency, AgencyLevel, Db, Effects, InvitationStatus, NewNotice, NoticeOutcome, Progress,
    SessionOpenError, StorageError, SubmissionChannel,
};

fn at(hour: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 16, hour, 0, 0).unwrap()
}

fn notice(code: &str, agency: &str) -> NewNotice {
    NewNotice {
        dossier_code: code.into(),
        agency_code: agency.into(),
        procedure_code: "1.001612".into(),
        procedure_name: "Đăng ký khai sinh".into(),
        submission_channel: SubmissionChannel::Online,
        completed_at: at(8),
        recipient_chat_id: Some("555000111".into()),
    }
}

fn short_flow() -> Flow {
    flow::builtin()
        .into_iter()
        .find(|f| f.id == "sipas-short")
        .unwrap()
}

async fn short_flow_id(db: &Db) -> i64 {
    db.latest_flow("sipas-short").await.unwrap().unwrap().id
}

async fn seed_agencies(db: &Db) {
    for (code, name, parent, level) in [
        ("T1", "UBND tỉnh Mẫu", None, AgencyLevel::Tinh),
        ("T1.H1", "UBND huyện Một", Some("T1"), AgencyLevel::Huyen),
        ("T1.H1.X1", "UBND xã Một", Some("T1.H1"), AgencyLevel::Xa),
    ] {
        db.upsert_agency(
            &Agency {
                code: code.into(),
                name: name.into(),
                parent_code: parent.map(str::to_string),
                level,
            },
            at(7),
        )
        .await
        .unwrap();
    }
}

/// Types `answers` into a session, one per step.
async fn answer_all(
    conversations: &Conversations,
    token: &str,
    chat: &str,
    answers: &[&str],
) -> Progress {
    let opened = conversations
        .open(token, "test", chat, Lang::Vi, at(9))
        .await
        .unwrap();
    let mut session = opened.session;
    let mut progress = Progress::Saved;
    for (number, answer) in answers.iter().enumerate() {
        // At a person's pace (5 s an answer): faster than anyone reads is flagged and left out
        // of the totals.
        let now = at(9) + Duration::seconds(5 * (number as i64 + 1));
        let turn = conversations
            .input(&session, &Input::Text(answer.to_string()), now)
            .await
            .unwrap();
        session = turn.session;
        progress = turn.progress;
    }
    progress
}

/// Submits a notice and returns its invitation token.
async fn invite(
    db: &Db,
    dossier: &str,
    agency: &str,
    flow_id: i64,
    now: chrono::DateTime<Utc>,
) -> String {
    db.submit_notice(&notice(dossier, agency), flow_id, Duration::days(7), now)
        .await
        .unwrap()
        .invitation()
        .token
        .clone()
}

const SHORT_ANSWERS: [&str; 7] = [
    "5",
    "hai long",
    "3",
    "4",
    "không",
    "rất hài lòng",
    "Cán bộ tận tình",
];

#[tokio::test]
async fn migrations_are_repeatable_and_flows_are_stored_once() {
    for test_db in TestDb::all().await {
        let db = test_db.open().await;
        db.migrate().await.unwrap();
        let again = sipas_bot::services::startup::open_store(&test_db.url)
            .await
            .unwrap();
        let flow = short_flow();
        let first = db.store_flow(&flow, at(1)).await.unwrap();
        assert_eq!(
            again.store_flow(&flow, at(2)).await.unwrap(),
            first,
            "{}",
            test_db.name
        );
        let mut changed = flow.clone();
        changed.questions[0].text.vi = "Câu hỏi đã sửa?".into();
        assert!(
            matches!(
                db.store_flow(&changed, at(3)).await,
                Err(StorageError::PublishedVersionDiffers { .. })
            ),
            "{}: a published version never changes",
            test_db.name
        );
        changed.version = flow.version + 1;
        let second = db.store_flow(&changed, at(3)).await.unwrap();
        assert_ne!(second, first);
        assert_eq!(
            db.latest_flow("sipas-short").await.unwrap().unwrap().id,
            second
        );
        assert_eq!(db.flow_version(first).await.unwrap().flow, flow);
        db.close().await;
        again.close().await;
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn notices_are_idempotent_and_unknown_agencies_are_flagged() {
    for test_db in TestDb::all().await {
        let db = test_db.open().await;
        seed_agencies(&db).await;
        let flow_id = short_flow_id(&db).await;
        let first = db
            .submit_notice(&notice("HS-1", "T1.H1"), flow_id, Duration::days(7), at(8))
            .await
            .unwrap();
        let NoticeOutcome::Created(invitation) = &first else {
            panic!("{}: first notice creates", test_db.name)
        };
        assert_eq!(invitation.token.len(), 32);
        assert!(invitation.token.chars().all(|c| c.is_ascii_hexdigit()));
        assert!(!invitation.unknown_agency);
        assert_eq!(invitation.agency_label(), "UBND huyện Một");
        assert_eq!(invitation.expires_at, at(8) + Duration::days(7));
        let again = db
            .submit_notice(&notice("HS-1", "T1.H1"), flow_id, Duration::days(7), at(10))
            .await
            .unwrap();
        assert_eq!(
            again,
            NoticeOutcome::Existing(invitation.clone()),
            "{}",
            test_db.name
        );

        let unknown = db
            .submit_notice(
                &notice("HS-2", "NO-SUCH"),
                flow_id,
                Duration::days(7),
                at(8),
            )
            .await
            .unwrap();
        assert!(unknown.invitation().unknown_agency, "{}", test_db.name);
        assert_ne!(unknown.invitation().token, invitation.token);
        db.close().await;
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn a_completed_survey_is_stored_and_exported_without_private_data() {
    for test_db in TestDb::all().await {
        let db = test_db.open().await;
        seed_agencies(&db).await;
        let flow_id = short_flow_id(&db).await;
        let token = db
            .submit_notice(
                &notice("HS-1", "T1.H1.X1"),
                flow_id,
                Duration::days(7),
                at(8),
            )
            .await
            .unwrap()
            .invitation()
            .token
            .clone();
        let conversations = Conversations::new(db.clone());
        let progress = answer_all(&conversations, &token, "chat-4242", &SHORT_ANSWERS).await;
        assert_eq!(progress, Progress::Completed, "{}", test_db.name);
        let invitation = db.invitation(&token).await.unwrap().unwrap();
        assert_eq!(invitation.status, InvitationStatus::Completed);

        let rows = db.export_rows().await.unwrap();
        let answers: Vec<(&str, &str)> = rows
            .iter()
            .map(|r| (r.question_id.as_str(), r.answer.as_str()))
            .collect();
        assert_eq!(
            answers,
            [
                ("access", "5"),
                ("procedures", "4"),
                ("civil_servants", "3"),
                ("results", "4"),
                ("gave_feedback", "no"),
                ("overall", "5"),
                ("comment", "Cán bộ tận tình"),
            ],
            "{}",
            test_db.name
        );
        let first = &rows[0];
        assert_eq!(
            (first.flow_id.as_str(), first.flow_version),
            ("sipas-short", short_flow().version)
        );
        assert_eq!(first.factor.as_deref(), Some("access"));
        assert_eq!(first.agency_code, "T1.H1.X1");
        assert_eq!(first.submission_channel, "online");
        // To the day (issue 10): a time to the second can single out one dossier.
        assert_eq!(first.dossier_completed_at, "2026-11-16");
        assert_eq!(first.submitted_at.len(), "2026-11-16".len());
        let json = serde_json::to_string(&rows).unwrap();
        assert!(
            !json.contains("chat-4242") && !json.contains("555000111") && !json.contains("HS-1")
        );

        let again = conversations
            .open(&token, "test", "chat-4242", Lang::Vi, at(10))
            .await;
        assert!(
            matches!(again, Err(SessionOpenError::AlreadyCompleted)),
            "{}",
            test_db.name
        );

        let counts = db.agency_counts().await.unwrap();
        assert_eq!(counts.len(), 1);
        assert_eq!((counts[0].invitations, counts[0].responses), (1, 1));
        let scale = rows.iter().filter(|r| r.kind == "scale").count();
        assert_eq!(scale, 5, "four factors and the overall question");
        db.close().await;
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn a_restart_mid_survey_loses_nothing_and_the_citizen_continues() {
    for test_db in TestDb::all().await {
        let db = test_db.open().await;
        let flow_id = short_flow_id(&db).await;
        let token = invite(&db, "HS-9", "X", flow_id, at(8)).await;
        let conversations = Conversations::new(db.clone());
        answer_all(&conversations, &token, "chat-1", &SHORT_ANSWERS[..3]).await;
        db.close().await;

        let reopened = test_db.open().await;
        let conversations = Conversations::new(reopened.clone());
        let opened = conversations
            .open(&token, "test", "chat-1", Lang::Vi, at(11))
            .await
            .unwrap();
        assert!(opened.resumed, "{}", test_db.name);
        assert_eq!(opened.session.state.answers.len(), 3);
        assert_eq!(
            opened.session.state.answer("procedures"),
            Some(&Answer::Scale(4))
        );
        let progress = answer_all(&conversations, &token, "chat-1", &SHORT_ANSWERS[3..]).await;
        assert_eq!(progress, Progress::Completed, "{}", test_db.name);
        assert_eq!(reopened.export_rows().await.unwrap().len(), 7);
        reopened.close().await;
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn invalid_expired_and_foreign_links_are_refused() {
    for test_db in TestDb::all().await {
        let db = test_db.open().await;
        let flow_id = short_flow_id(&db).await;
        let conversations = Conversations::new(db.clone());
        let unknown = conversations
            .open("0".repeat(32).as_str(), "test", "c", Lang::Vi, at(9))
            .await;
        assert!(
            matches!(unknown, Err(SessionOpenError::UnknownToken)),
            "{}",
            test_db.name
        );

        let token = invite(&db, "HS-3", "X", flow_id, at(8)).await;
        let expired = conversations
            .open(&token, "test", "c", Lang::Vi, at(8) + Duration::days(7))
            .await;
        assert!(
            matches!(expired, Err(SessionOpenError::Expired)),
            "{}",
            test_db.name
        );

        conversations
            .open(&token, "test", "owner", Lang::Vi, at(9))
            .await
            .unwrap();
        let other = conversations
            .open(&token, "test", "stranger", Lang::Vi, at(9))
            .await;
        assert!(
            matches!(other, Err(SessionOpenError::InUseElsewhere)),
            "{}",
            test_db.name
        );
        db.close().await;
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn a_stale_save_is_refused_and_a_repeated_input_counts_once() {
    for test_db in TestDb::all().await {
        let db = test_db.open().await;
        let flow_id = short_flow_id(&db).await;
        let token = invite(&db, "HS-4", "X", flow_id, at(8)).await;
        let conversations = Conversations::new(db.clone());
        let opened = conversations
            .open(&token, "test", "c", Lang::Vi, at(9))
            .await
            .unwrap();
        let stale = opened.session.clone();
        let first = conversations
            .input(&opened.session, &Input::Text("5".into()), at(9))
            .await
            .unwrap();
        assert_eq!(first.session.state.answers.len(), 1);

        let flow = conversations.flow(flow_id).await.unwrap();
        let conflict = db
            .save_progress(
                &stale,
                &first.session.state,
                &flow,
                at(9),
                &Default::default(),
            )
            .await
            .unwrap();
        assert_eq!(conflict, Progress::Conflict, "{}", test_db.name);

        // The same press arriving from a stale view is applied to what is stored: the button of the
        // first question is now an old button and changes nothing.
        let press = Input::Button {
            question: "access".into(),
            button: sipas_bot::core::survey::Button::Scale(1),
        };
        let repeated = conversations.input(&stale, &press, at(9)).await.unwrap();
        assert_eq!(repeated.session.state.answers.len(), 1, "{}", test_db.name);
        assert_eq!(
            repeated.session.state.answer("access"),
            Some(&Answer::Scale(5))
        );
        db.close().await;
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn a_new_flow_version_applies_to_new_invitations_only() {
    for test_db in TestDb::all().await {
        let db = test_db.open().await;
        let shipped = short_flow_id(&db).await;
        let old_token = invite(&db, "HS-5", "X", shipped, at(8)).await;
        let conversations = Conversations::new(db.clone());
        answer_all(&conversations, &old_token, "c1", &SHORT_ANSWERS[..2]).await;

        let mut next = short_flow();
        next.version += 1;
        next.questions[0].text.vi = "Ông/Bà thấy việc tiếp cận dịch vụ thế nào?".into();
        let published = db.store_flow(&next, at(9)).await.unwrap();
        let new_token = db
            .submit_notice(
                &notice("HS-6", "X"),
                db.latest_flow("sipas-short").await.unwrap().unwrap().id,
                Duration::days(7),
                at(9),
            )
            .await
            .unwrap()
            .invitation()
            .token
            .clone();
        assert_eq!(
            db.invitation(&new_token)
                .await
                .unwrap()
                .unwrap()
                .flow_version_id,
            published
        );

        let progress = answer_all(&conversations, &old_token, "c1", &SHORT_ANSWERS[2..]).await;
        assert_eq!(progress, Progress::Completed);
        answer_all(&conversations, &new_token, "c2", &SHORT_ANSWERS).await;
        let versions: Vec<(i64, String)> = db
            .export_rows()
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.flow_version, r.question_id))
            .filter(|(_, q)| q == "access")
            .collect();
        assert_eq!(
            versions,
            [
                (next.version - 1, "access".to_string()),
                (next.version, "access".to_string())
            ],
            "{}",
            test_db.name
        );
        db.close().await;
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn statuses_round_trip_and_damaged_rows_are_reported_as_corrupt() {
    for test_db in TestDb::all().await {
        let db = test_db.open().await;
        seed_agencies(&db).await;
        let flow_id = short_flow_id(&db).await;
        let token = invite(&db, "D-STATUS", "T1.H1.X1", flow_id, at(8)).await;
        // Every status is written and read back as itself; completed last, since it is final.
        let mut statuses = InvitationStatus::ALL.to_vec();
        statuses.retain(|status| *status != InvitationStatus::Completed);
        statuses.push(InvitationStatus::Completed);
        for status in statuses {
            assert!(
                db.set_invitation_status(&token, status, at(8))
                    .await
                    .unwrap()
            );
            let stored = db.invitation(&token).await.unwrap().unwrap().status;
            assert_eq!(stored, status, "{}", test_db.name);
        }
        // A completed invitation is final.
        assert!(
            !db.set_invitation_status(&token, InvitationStatus::Declined, at(9))
                .await
                .unwrap()
        );

        sqlx::query("UPDATE invitations SET status = 'lost' WHERE token = $1")
            .bind(&token)
            .execute(db.pool())
            .await
            .unwrap();
        let damaged = db.invitation(&token).await.unwrap_err();
        assert!(
            matches!(&damaged, StorageError::Corrupt(why) if why.contains("unknown invitation status \"lost\"")),
            "{}: {damaged}",
            test_db.name
        );
        sqlx::query(
            "UPDATE invitations SET status = 'pending', expires_at = 'next week' WHERE token = $1",
        )
        .bind(&token)
        .execute(db.pool())
        .await
        .unwrap();
        let damaged = db.invitation(&token).await.unwrap_err();
        assert!(
            matches!(&damaged, StorageError::Corrupt(why) if why.contains("expires_at") && why.contains("bad time")),
            "{}: {damaged}",
            test_db.name
        );
        db.close().await;
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn inbound_messages_are_acted_on_once() {
    for test_db in TestDb::all().await {
        let db = test_db.open().await;
        let seen = |channel: &str| Effects::from_inbound(channel, "1001");
        assert!(db.record_effects(&seen("telegram"), at(9)).await.unwrap());
        assert!(
            !db.record_effects(&seen("telegram"), at(9)).await.unwrap(),
            "{}",
            test_db.name
        );
        assert!(db.record_effects(&seen("zalo"), at(9)).await.unwrap());
        db.close().await;
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn the_demo_runs_through_the_engine_and_storage_on_every_backend() {
    for test_db in TestDb::all().await {
        let db = test_db.open().await;
        let locales = sipas_bot::core::i18n::Locales::load();
        let outcome = sipas_bot::app::demo::simulate(&db, &locales, Lang::Vi, 60, 7, false)
            .await
            .unwrap();
        assert_eq!(outcome.invitations, 60, "{}", test_db.name);
        assert!(outcome.responses > 30 && outcome.responses + outcome.declines <= 60);
        assert!(
            outcome.summary.contains("Chỉ số SIPAS chung"),
            "{}",
            outcome.summary
        );
        let responses: std::collections::BTreeSet<i64> = db
            .export_rows()
            .await
            .unwrap()
            .iter()
            .map(|r| r.response_id)
            .collect();
        assert_eq!(responses.len() as u64, outcome.responses);
        db.close().await;
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn going_back_rewrites_only_the_changed_answers() {
    for test_db in TestDb::all().await {
        let db = test_db.open().await;
        let flow_id = short_flow_id(&db).await;
        let token = invite(&db, "HS-BACK", "X", flow_id, at(8)).await;
        let conversations = Conversations::new(db.clone());
        let opened = conversations
            .open(&token, "test", "c", Lang::Vi, at(9))
            .await
            .unwrap();
        let mut session = opened.session;
        for input in [
            Input::Text("5".into()),
            Input::Text("4".into()),
            Input::Back,
            Input::Back,
            Input::Text("1".into()),
            Input::Text("2".into()),
            Input::Text("3".into()),
            Input::Text("4".into()),
            Input::Text("có".into()),
            Input::Text("5".into()),
            Input::Back,
            Input::Text("4".into()),
            Input::Text("3".into()),
            Input::Text("Không có gì thêm".into()),
        ] {
            session = conversations
                .input(&session, &input, at(9))
                .await
                .unwrap()
                .session;
        }
        assert!(session.state.finished, "{}", test_db.name);
        let answers: Vec<(String, String)> = db
            .export_rows()
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.question_id, r.answer))
            .collect();
        let expected = [
            ("access", "1"),
            ("procedures", "2"),
            ("civil_servants", "3"),
            ("results", "4"),
            ("gave_feedback", "yes"),
            ("feedback", "4"),
            ("overall", "3"),
            ("comment", "Không có gì thêm"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(q, a)| (q.to_string(), a.to_string()))
            .collect();
        assert_eq!(answers, expected, "{}", test_db.name);
        db.close().await;
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn a_parent_cycle_is_refused_on_import_and_ends_every_walk_of_stored_data() {
    for test_db in TestDb::all().await {
        let db = test_db.open().await;
        seed_agencies(&db).await;
        let csv = "code,name,parent_code,level\nT1,UBND tỉnh Mẫu,T1.H1.X1,tỉnh\n";
        let report = sipas_bot::services::admin::import::import_agencies(&db, csv, "test", at(8))
            .await
            .unwrap();
        assert_eq!(report.accepted, 0, "{}", test_db.name);
        assert_eq!(report.rejected[0].reason, "import-error-cycle");
        assert_eq!(
            report.rejected[0].args,
            [("cycle", "T1 → T1.H1.X1 → T1.H1 → T1".to_string())]
        );
        assert_eq!(db.agency("T1").await.unwrap().unwrap().parent_code, None);

        // Data written before the import refused cycles may hold one: every walk still ends.
        db.upsert_agency(
            &Agency {
                code: "T1".into(),
                name: "UBND tỉnh Mẫu".into(),
                parent_code: Some("T1.H1.X1".into()),
                level: AgencyLevel::Tinh,
            },
            at(9),
        )
        .await
        .unwrap();
        let tree = db.agency_tree().await.unwrap();
        assert_eq!(tree.ancestors("T1.H1.X1"), ["T1.H1.X1", "T1.H1", "T1"]);
        assert_eq!(tree.subtree("T1"), ["T1", "T1.H1", "T1.H1.X1"]);
        db.assign_flow("T1", "sipas-short", "test", at(9))
            .await
            .unwrap();
        assert_eq!(
            db.flow_for_agency("T1.H1.X1", "sipas-full").await.unwrap(),
            "sipas-short",
            "{}",
            test_db.name
        );
        let weekly = sipas_bot::services::officials::Officials::new(
            db.clone(),
            std::sync::Arc::new(sipas_bot::core::i18n::Locales::load()),
            Lang::Vi,
            "sipas-short".into(),
        );
        let scope = weekly.scope("T1.H1").await.unwrap();
        assert_eq!(scope.codes, ["T1.H1", "T1.H1.X1", "T1"]);
        db.close().await;
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn a_subscription_keeps_its_period_from_code_to_subscription_on_every_backend() {
    use sipas_bot::storage::{SubscriptionCode, SubscriptionPeriod};
    for test_db in TestDb::all().await {
        let db = test_db.open().await;
        seed_agencies(&db).await;
        let mut periods = Vec::new();
        for (chat, period) in [
            ("-1", SubscriptionPeriod::Week),
            ("-2", SubscriptionPeriod::Month),
            ("-3", SubscriptionPeriod::Year),
        ] {
            let code = SubscriptionCode {
                code: sipas_bot::storage::new_code(),
                agency_code: "T1".into(),
                points_max: None,
                period,
                weekday: 1,
                hour: 8,
                xlsx: false,
                expires_at: at(20),
            };
            db.create_subscription_code(&code, at(9)).await.unwrap();
            let subscription = db
                .redeem_subscription_code(
                    &code.code,
                    "telegram",
                    chat,
                    None,
                    |period, weekday, hour| {
                        sipas_bot::services::officials::next_run(at(9), period, weekday, hour)
                    },
                    |_| Effects::default(),
                    at(9),
                )
                .await
                .unwrap();
            assert_eq!(subscription.period, period, "{}", test_db.name);
            periods.push((subscription.period, subscription.next_run_at));
        }
        let vn = |y, m, d| {
            sipas_bot::core::clock::vietnam()
                .with_ymd_and_hms(y, m, d, 8, 0, 0)
                .unwrap()
                .with_timezone(&Utc)
        };
        assert_eq!(
            periods,
            [
                (SubscriptionPeriod::Week, vn(2026, 11, 23)),
                (SubscriptionPeriod::Month, vn(2026, 12, 1)),
                (SubscriptionPeriod::Year, vn(2027, 1, 1)),
            ],
            "{}",
            test_db.name
        );
        let stored: Vec<SubscriptionPeriod> = (db.subscriptions().await.unwrap().iter())
            .map(|s| s.period)
            .collect();
        assert_eq!(stored.len(), 3);
        assert!(stored.contains(&SubscriptionPeriod::Month));
        db.close().await;
        test_db.cleanup().await;
    }
}

/// The shipped flows as the previous release stored them: version 1, whose intros promised the
/// answers stay confidential.
fn shipped_v1() -> Vec<Flow> {
    [
        (
            "sipas-full.toml",
            include_str!("common/shipped_v1/sipas-full.toml"),
        ),
        (
            "sipas-short.toml",
            include_str!("common/shipped_v1/sipas-short.toml"),
        ),
    ]
    .iter()
    .map(|(file, source)| Flow::from_toml(file, source).unwrap())
    .collect()
}

#[tokio::test]
async fn an_install_holding_version_1_puts_the_shipped_version_2_in_force_at_its_next_start() {
    for test_db in TestDb::all().await {
        // The previous release's start: migrations, then its shipped flows (version 1).
        let db = Db::open(&test_db.url).await.unwrap();
        let v1 = shipped_v1();
        sipas_bot::services::startup::store_shipped(&db, &v1)
            .await
            .unwrap();
        let v1_short = short_flow_id(&db).await;
        let v1_short_flow = v1.iter().find(|f| f.id == "sipas-short").unwrap();
        assert!(
            v1_short_flow.intro.vi.contains("giữ kín"),
            "the old promise"
        );
        let old_token = invite(&db, "HS-V1", "X", v1_short, at(8)).await;
        let conversations = Conversations::new(db.clone());
        answer_all(&conversations, &old_token, "c1", &SHORT_ANSWERS[..2]).await;
        db.close().await;

        // This release starts on the same database.
        let db = sipas_bot::services::startup::open_store(&test_db.url)
            .await
            .unwrap();
        for id in ["sipas-short", "sipas-full"] {
            let in_force = db.latest_flow(id).await.unwrap().unwrap();
            assert_eq!(in_force.flow.version, 2, "{}: {id}", test_db.name);
            let intro = &in_force.flow.intro;
            assert!(
                intro
                    .vi
                    .contains("Cơ quan sẽ đọc các câu trả lời và góp ý của Ông/Bà")
                    && intro.vi.contains("không kèm họ tên, số điện thoại"),
                "{id}: {}",
                intro.vi
            );
            let source = in_force.flow.to_toml();
            assert!(
                !source.contains("giữ kín") && !source.contains("confidential"),
                "{id} promises nothing it cannot keep"
            );
            // Version 1 stays stored as it was, for the answers given on it.
            let old = db.flow_version_id(id, 1).await.unwrap().unwrap();
            let stored_v1 = db.flow_version(old).await.unwrap().flow;
            assert_eq!(&stored_v1, v1.iter().find(|f| f.id == id).unwrap());
        }
        // The survey begun on version 1 finishes on it; a new invitation gets version 2.
        let conversations = Conversations::new(db.clone());
        let progress = answer_all(&conversations, &old_token, "c1", &SHORT_ANSWERS[2..]).await;
        assert_eq!(progress, Progress::Completed);
        let v2_short = short_flow_id(&db).await;
        assert_ne!(v2_short, v1_short);
        let new_token = invite(&db, "HS-V2", "X", v2_short, at(9)).await;
        answer_all(&conversations, &new_token, "c2", &SHORT_ANSWERS).await;
        let versions: Vec<i64> = db
            .export_rows()
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.question_id == "access")
            .map(|r| r.flow_version)
            .collect();
        assert_eq!(versions, [1, 2], "{}", test_db.name);
        db.close().await;
        test_db.cleanup().await;
    }
    // A fresh install stores version 2 only.
    for fresh in TestDb::all().await {
        let fresh_db = fresh.open().await;
        assert_eq!(
            fresh_db.flow_version_id("sipas-short", 1).await.unwrap(),
            None
        );
        assert_eq!(
            fresh_db
                .latest_flow("sipas-short")
                .await
                .unwrap()
                .unwrap()
                .flow
                .version,
            2
        );
        fresh_db.close().await;
        fresh.cleanup().await;
    }
}
